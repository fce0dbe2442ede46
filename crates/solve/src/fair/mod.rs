//! Matching-fair meeting scheduler (商談会).
//!
//! Participants of a fair have asked for one-on-one meetings; each accepted
//! [`MeetingRequest`] is worth a weight. [`schedule`] puts requests into a [`Slot`]
//! and at a [`Table`] so that nobody has two meetings in one slot, nobody meets
//! outside their availability and no slot holds more meetings than tables, making
//! the total weight as high as it can within the time or move budget. It returns a
//! [`Schedule`] with the meetings, the [`Unplaced`] requests and why each was left
//! out, and an upper bound that proves optimality when the two meet.
//!
//! Staff decisions are respected: meetings in [`ScheduleOptions::locked`] are never
//! moved, and after late changes a re-run with [`ScheduleOptions::previous`] and
//! `keep_previous` leaves already notified meetings where they were whenever the
//! fair still allows it. [`Priority`] documents how must/should/could become
//! weights.
//!
//! ```
//! use solve::fair::{Fair, ScheduleOptions, schedule, verify};
//! let fair = Fair::from_json(r#"{"slots": 2, "tables": 1,
//!     "participants": [{"id": "a", "available": [0, 1]}, {"id": "b", "available": [1]},
//!                      {"id": "c", "available": [0, 1]}],
//!     "requests": [{"a": "a", "b": "b", "weight": 5}, {"a": "a", "b": "c", "weight": 3}]}"#)?;
//! let plan = schedule(&fair, &ScheduleOptions { iteration_limit: Some(1000), time_budget: None,
//!                                               ..ScheduleOptions::default() })?;
//! assert_eq!(plan.weight, 8);
//! assert!(plan.is_optimal());
//! assert_eq!(verify(&fair, &plan), Ok(8));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The engine is pure: no I/O, no printing, no threads; the clock is read only to
//! honour the time budget.

mod bound;
mod instance;
mod priority;
mod schedule;
mod search;

use std::collections::HashSet;
use std::time::Instant;

pub use instance::{
    Fair, FairError, MAX_PARTICIPANT_SLOTS, MAX_WEIGHT, MeetingRequest, Participant, Slot, Table,
};
pub use priority::Priority;
pub use schedule::{
    Meeting, Placement, Schedule, ScheduleError, ScheduleOptions, SlotBlocker, Unplaced,
    UnplacedReason, Violation, verify,
};

use search::{Engine, Limits, NO_SLOT};

/// Moves per request when neither a budget nor a limit is given.
const DEFAULT_MOVES_PER_REQUEST: u64 = 200;

/// The share of the run after which a search that found nothing better stops and
/// leaves the rest of the budget to the bound. On the benchmark's medium size the
/// search finds its best within the first third of a second.
const PATIENCE: f64 = 0.35;

/// Up to this many (request, common slot) pairs a fair counts as small: the bound
/// then has time to prove optimality (the benchmark's small size has about 3,000).
const SMALL_FAIR_CHOICES: usize = 20_000;

/// Schedules the fair. Fails only when the locked meetings contradict each other or
/// the fair; any other fair, however crowded, gets a valid schedule.
pub fn schedule(fair: &Fair, options: &ScheduleOptions) -> Result<Schedule, ScheduleError> {
    let start = Instant::now();
    let n = fair.requests().len();
    let mut engine = Engine::new(fair);
    // The table a meeting asks for: locked tables must be honoured, previous ones
    // are kept when free so that a re-run does not send people to other tables.
    let mut wished_table: Vec<Option<usize>> = vec![None; n];
    let mut locked = vec![false; n];
    place_locked(
        fair,
        &options.locked,
        &mut engine,
        &mut wished_table,
        &mut locked,
    )?;

    let mut previous: Vec<Option<(Slot, Option<Table>)>> = vec![None; n];
    for p in &options.previous {
        if let Some(r) = fair.request_between(&p.a, &p.b) {
            previous[r] = Some((p.slot, p.table));
        }
    }
    // Heaviest previous meetings first, so that when late changes make two of them
    // clash the lighter one is the one that moves.
    let mut order: Vec<usize> = (0..n).filter(|&r| previous[r].is_some()).collect();
    order.sort_by_key(|&r| (std::cmp::Reverse(fair.weight(r)), r));
    for r in order {
        if let Some((slot, table)) = previous[r]
            && !locked[r]
            && slot.0 < fair.slots()
            && engine.fits(r, slot.0)
        {
            engine.place(r, slot.0, options.keep_previous);
            wished_table[r] = table.map(|t| t.0);
        }
    }
    engine.greedy();

    // The bound comes before the search so that the search can stop as soon as it
    // reaches it. On small fairs the bound can close the gap and the search needs
    // little time, so the bound gets half the budget; on larger ones it cannot
    // converge in a second anyway and gets a fifth, leaving the rest to the search.
    let choices: usize = (0..n).map(|r| fair.common_slots(r).len()).sum();
    let share = if choices <= SMALL_FAIR_CHOICES {
        0.5
    } else {
        0.2
    };
    let bound_deadline = options.time_budget.map(|b| start + b.mul_f64(share));
    // Without a clock the bound's effort follows the move limit, so that a small
    // limit means a quick run throughout.
    let bound_steps = match (options.time_budget, options.iteration_limit) {
        (None, Some(limit)) => limit.saturating_mul(200),
        _ => 300_000_000,
    };
    let (fixed_weight, relaxation, mut pricing) = relax(fair, &engine);
    let work = relaxation
        .allowed
        .iter()
        .map(Vec::len)
        .sum::<usize>()
        .max(1) as u64;
    // At most `bound_steps` request-slot evaluations, and never fewer than 50 rounds.
    let rounds = (bound_steps / work).clamp(50, 30_000) as usize;
    let target = engine.total().saturating_sub(fixed_weight);
    let upper_bound = fixed_weight + pricing.improve(&relaxation, target, rounds, bound_deadline);
    let limits = search_limits(start, n, options, upper_bound);
    let iterations = engine.anneal(options.seed, limits);
    // The best assignment seen may still leave a request that fits somewhere.
    engine.greedy();
    let weight = engine.total();
    // A search that stopped early for lack of progress leaves its time to the bound.
    let budget_end = options.time_budget.map(|b| start + b.mul_f64(0.98));
    let upper_bound = if weight < upper_bound
        && budget_end.is_none_or(|end| Instant::now() < end)
        && pricing.rounds() < rounds
    {
        fixed_weight
            + pricing.improve(
                &relaxation,
                weight.saturating_sub(fixed_weight),
                rounds,
                budget_end,
            )
    } else {
        upper_bound
    };

    let meetings = assign_tables(fair, &engine, &wished_table, &locked);
    let mut placed_at = vec![None; n];
    for m in &meetings {
        placed_at[m.request] = Some((m.slot, m.table));
    }
    let moved = (0..n)
        .filter(|&r| {
            previous[r].is_some_and(|(slot, table)| {
                !placed_at[r].is_some_and(|(s, t)| s == slot && table.is_none_or(|w| w == t))
            })
        })
        .collect();
    Ok(Schedule {
        meetings,
        unplaced: explain_unplaced(fair, &engine),
        weight,
        upper_bound: upper_bound.max(weight),
        moved,
        iterations,
    })
}

fn search_limits(
    start: Instant,
    requests: usize,
    options: &ScheduleOptions,
    upper_bound: u64,
) -> Limits {
    // The last 2 % are left for the final fill, the tables and the explanations,
    // so that the whole call ends within the budget.
    let budget = options.time_budget.map(|b| b.mul_f64(0.98));
    let iterations = match (options.iteration_limit, options.time_budget) {
        (None, None) => Some(DEFAULT_MOVES_PER_REQUEST * requests.max(1) as u64),
        (limit, _) => limit,
    };
    Limits {
        start,
        budget,
        iterations,
        enough: upper_bound,
        patience: PATIENCE,
    }
}

fn place_locked(
    fair: &Fair,
    locked_meetings: &[Placement],
    engine: &mut Engine,
    wished_table: &mut [Option<usize>],
    locked: &mut [bool],
) -> Result<(), ScheduleError> {
    let mut tables_taken = HashSet::new();
    for p in locked_meetings {
        let (a, b) = (p.a.clone(), p.b.clone());
        let r =
            fair.request_between(&p.a, &p.b)
                .ok_or_else(|| ScheduleError::LockedNotRequested {
                    a: a.clone(),
                    b: b.clone(),
                })?;
        if locked[r] {
            return Err(ScheduleError::LockedTwice { a, b });
        }
        let s = p.slot.0;
        if s >= fair.slots() {
            return Err(ScheduleError::LockedSlotOutOfRange {
                a,
                b,
                slot: s,
                last: fair.slots() - 1,
            });
        }
        if let Some(Table(t)) = p.table
            && t >= fair.tables()
        {
            return Err(ScheduleError::LockedTableOutOfRange {
                a,
                b,
                table: t,
                tables: fair.tables(),
            });
        }
        let (pa, pb) = fair.ends(r);
        for q in [pa, pb] {
            let who = fair.participants()[q].id.clone();
            if !fair.is_available(q, p.slot) {
                return Err(ScheduleError::LockedUnavailable { a, b, slot: s, who });
            }
            if engine.meets(q, s).is_some() {
                return Err(ScheduleError::LockedDoubleBooked { who, slot: s });
            }
        }
        if let Some(Table(t)) = p.table
            && !tables_taken.insert((s, t))
        {
            return Err(ScheduleError::LockedTableTaken { slot: s, table: t });
        }
        if engine.load(s) >= fair.tables() {
            return Err(ScheduleError::LockedOverCapacity { slot: s });
        }
        engine.place(r, s, true);
        locked[r] = true;
        wished_table[r] = p.table.map(|t| t.0);
    }
    Ok(())
}

/// The relaxation that bounds what any schedule keeping the fixed meetings can
/// weigh, and starting prices from the engine's current assignment (the greedy
/// start). Returns the fixed meetings' weight, which the bound leaves out.
fn relax(fair: &Fair, engine: &Engine) -> (u64, bound::Relaxation, bound::Pricing) {
    let n = fair.requests().len();
    let s_count = fair.slots();
    let mut capacity = vec![fair.tables(); s_count];
    let mut fixed_weight = 0u64;
    let mut blocked = vec![false; fair.participants().len() * s_count];
    for r in 0..n {
        let s = engine.slot_of()[r];
        if engine.is_fixed(r) && s != NO_SLOT {
            let s = s as usize;
            capacity[s] = capacity[s].saturating_sub(1);
            fixed_weight += u64::from(fair.weight(r));
            let (a, b) = fair.ends(r);
            blocked[a * s_count + s] = true;
            blocked[b * s_count + s] = true;
        }
    }
    let ends: Vec<(u32, u32)> = (0..n)
        .map(|r| {
            let (a, b) = fair.ends(r);
            (a as u32, b as u32)
        })
        .collect();
    let weights: Vec<u32> = (0..n).map(|r| fair.weight(r)).collect();
    let allowed: Vec<Vec<u16>> = (0..n)
        .map(|r| {
            if engine.is_fixed(r) {
                return Vec::new();
            }
            let (a, b) = fair.ends(r);
            fair.common_slots(r)
                .iter()
                .filter(|s| {
                    capacity[s.0] > 0 && !blocked[a * s_count + s.0] && !blocked[b * s_count + s.0]
                })
                .map(|s| s.0 as u16)
                .collect()
        })
        .collect();
    // A full slot's table is worth about its lightest movable meeting.
    let table_prices: Vec<f64> = (0..s_count)
        .map(|s| {
            let lightest = (0..n)
                .filter(|&r| engine.slot_of()[r] == s as u16 && !engine.is_fixed(r))
                .map(|r| fair.weight(r))
                .min();
            match lightest {
                Some(w) if engine.load(s) >= fair.tables() => f64::from(w),
                _ => 0.0,
            }
        })
        .collect();
    // A meeting's weight above its table's price is charged to the busier side
    // (more requests per present slot): that side's time is what is scarce, as
    // complementary slackness would have it at the optimum.
    let mut participant_prices = vec![0.0f64; fair.participants().len() * s_count];
    let mut demand = vec![0usize; fair.participants().len()];
    for r in 0..n {
        let (a, b) = fair.ends(r);
        demand[a] += 1;
        demand[b] += 1;
    }
    let pressure =
        |p: usize| demand[p] as f64 / fair.participants()[p].available.len().max(1) as f64;
    for r in 0..n {
        let s = engine.slot_of()[r];
        if s == NO_SLOT || engine.is_fixed(r) {
            continue;
        }
        let s = s as usize;
        let (a, b) = fair.ends(r);
        let busier = if pressure(a) >= pressure(b) { a } else { b };
        let excess: f64 = f64::from(fair.weight(r)) - table_prices[s];
        participant_prices[busier * s_count + s] = excess.max(0.0);
    }
    let relaxation = bound::Relaxation {
        slots: s_count,
        participants: fair.participants().len(),
        ends,
        weight: weights,
        allowed,
        capacity,
    };
    let pricing = bound::Pricing::new(&relaxation, table_prices, participant_prices);
    (fixed_weight, relaxation, pricing)
}

fn assign_tables(
    fair: &Fair,
    engine: &Engine,
    wished_table: &[Option<usize>],
    locked: &[bool],
) -> Vec<Meeting> {
    let s_count = fair.slots();
    let mut per_slot: Vec<Vec<usize>> = vec![Vec::new(); s_count];
    for (r, &s) in engine.slot_of().iter().enumerate() {
        if s != NO_SLOT {
            per_slot[s as usize].push(r);
        }
    }
    let mut meetings = Vec::new();
    for (s, requests) in per_slot.iter().enumerate() {
        // A set rather than a vector of all tables: a fair may declare far more
        // tables than it has meetings.
        let mut taken = HashSet::new();
        let mut table_of = vec![None; requests.len()];
        // Locked tables first, since they are promises; then previous tables.
        for pass in [true, false] {
            for (i, &r) in requests.iter().enumerate() {
                if locked[r] == pass
                    && let Some(t) = wished_table[r]
                    && t < fair.tables()
                    && taken.insert(t)
                {
                    table_of[i] = Some(t);
                }
            }
        }
        let mut free = (0..fair.tables()).filter(|t| !taken.contains(t));
        for (i, &r) in requests.iter().enumerate() {
            let table = match table_of[i] {
                Some(t) => t,
                // There are never more meetings than tables in a slot, so a free
                // table always exists; the fallback only keeps this total.
                None => free.next().unwrap_or(0),
            };
            meetings.push(Meeting {
                request: r,
                slot: Slot(s),
                table: Table(table),
                locked: locked[r],
            });
        }
    }
    meetings.sort_by_key(|m| (m.slot, m.table));
    meetings
}

fn explain_unplaced(fair: &Fair, engine: &Engine) -> Vec<Unplaced> {
    let s_count = fair.slots();
    let mut fixed_in_slot = vec![0usize; s_count];
    for (r, &s) in engine.slot_of().iter().enumerate() {
        if s != NO_SLOT && engine.is_fixed(r) {
            fixed_in_slot[s as usize] += 1;
        }
    }
    let mut open: Vec<usize> = (0..fair.requests().len())
        .filter(|&r| engine.slot_of()[r] == NO_SLOT)
        .collect();
    open.sort_by_key(|&r| (std::cmp::Reverse(fair.weight(r)), r));
    open.into_iter()
        .map(|r| {
            let (a, b) = fair.ends(r);
            let blockers: Vec<SlotBlocker> = fair
                .common_slots(r)
                .iter()
                .map(|&slot| SlotBlocker {
                    slot,
                    a_meets: engine.meets(a, slot.0),
                    b_meets: engine.meets(b, slot.0),
                    full: engine.load(slot.0) >= fair.tables(),
                })
                .collect();
            let by_locked = |k: &SlotBlocker| {
                k.a_meets.is_some_and(|q| engine.is_fixed(q))
                    || k.b_meets.is_some_and(|q| engine.is_fixed(q))
                    || (k.full
                        && fixed_in_slot[k.slot.0] > 0
                        && fixed_in_slot[k.slot.0] >= engine.load(k.slot.0))
            };
            let reason = if blockers.is_empty() {
                UnplacedReason::NoCommonSlot
            } else if blockers.iter().all(by_locked) {
                UnplacedReason::BlockedByLocked
            } else if blockers
                .iter()
                .any(|k| k.a_meets.is_none() && k.b_meets.is_none())
            {
                UnplacedReason::SlotsFull
            } else {
                UnplacedReason::LostToOtherMeetings
            };
            Unplaced {
                request: r,
                reason,
                blockers,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// A fair from a compact description: participants as `id:slots` and requests
    /// as `a-b:weight`.
    fn fair(slots: usize, tables: usize, people: &[&str], requests: &[&str]) -> Fair {
        let participants = people
            .iter()
            .map(|p| {
                let (id, avail) = p.split_once(':').unwrap_or((p, ""));
                Participant {
                    id: id.to_string(),
                    available: avail
                        .chars()
                        .filter_map(|c| c.to_digit(10))
                        .map(|d| Slot(d as usize))
                        .collect(),
                }
            })
            .collect();
        let requests = requests
            .iter()
            .map(|r| {
                let (pair, w) = r.split_once(':').unwrap_or((r, "1"));
                let (a, b) = pair.split_once('-').unwrap_or((pair, pair));
                MeetingRequest {
                    a: a.to_string(),
                    b: b.to_string(),
                    weight: w.parse().unwrap_or(1),
                }
            })
            .collect();
        match Fair::new(slots, tables, participants, requests) {
            Ok(f) => f,
            Err(e) => panic!("bad test fair: {e}"),
        }
    }

    fn run(fair: &Fair, locked: Vec<Placement>) -> Result<Schedule, ScheduleError> {
        schedule(
            fair,
            &ScheduleOptions {
                time_budget: None,
                iteration_limit: Some(5_000),
                locked,
                ..ScheduleOptions::default()
            },
        )
    }

    fn reasons(fair: &Fair, plan: &Schedule) -> Vec<String> {
        plan.unplaced
            .iter()
            .map(|u| {
                let r = &fair.requests()[u.request];
                format!("{}-{}: {}", r.a, r.b, u.reason)
            })
            .collect()
    }

    #[test]
    fn a_pair_never_present_together_has_no_common_slot() -> TestResult {
        let f = fair(2, 1, &["a:0", "b:1"], &["a-b:5"]);
        let plan = run(&f, vec![])?;
        expect![[r#"["a-b: no common available slot"]"#]]
            .assert_eq(&format!("{:?}", reasons(&f, &plan)));
        Ok(())
    }

    #[test]
    fn a_request_loses_to_heavier_meetings_of_the_same_people() -> TestResult {
        // In the only slot, a meets c (9) and b meets d (9): a-b (5) cannot beat both.
        let f = fair(
            1,
            5,
            &["a:0", "b:0", "c:0", "d:0"],
            &["a-b:5", "a-c:9", "b-d:9"],
        );
        let plan = run(&f, vec![])?;
        assert_eq!(plan.weight, 18);
        expect![[r#"["a-b: lost to meetings of at least the same weight"]"#]]
            .assert_eq(&format!("{:?}", reasons(&f, &plan)));
        Ok(())
    }

    #[test]
    fn a_request_whose_free_slots_are_full_says_so() -> TestResult {
        // One table: c-d (9) takes it, a-b (2) is free but has no table.
        let f = fair(1, 1, &["a:0", "b:0", "c:0", "d:0"], &["a-b:2", "c-d:9"]);
        let plan = run(&f, vec![])?;
        expect![[r#"["a-b: every slot where both are free is full"]"#]]
            .assert_eq(&format!("{:?}", reasons(&f, &plan)));
        assert!(plan.unplaced[0].blockers[0].full);
        Ok(())
    }

    #[test]
    fn a_request_blocked_by_a_locked_meeting_names_the_lock() -> TestResult {
        // Staff lock the light a-c (1) into the only slot; a-b (9) would have won.
        let f = fair(1, 2, &["a:0", "b:0", "c:0"], &["a-b:9", "a-c:1"]);
        let lock = Placement {
            a: "c".into(),
            b: "a".into(),
            slot: Slot(0),
            table: Some(Table(1)),
        };
        let plan = run(&f, vec![lock])?;
        assert_eq!(plan.weight, 1);
        assert_eq!(plan.upper_bound, 1, "the bound respects the lock");
        expect![[r#"["a-b: every common slot is blocked by locked or kept meetings"]"#]]
            .assert_eq(&format!("{:?}", reasons(&f, &plan)));
        assert_eq!(
            (plan.meetings[0].table, plan.meetings[0].locked),
            (Table(1), true)
        );
        Ok(())
    }

    #[test]
    fn the_heavier_meeting_wins_a_shared_participant() -> TestResult {
        let f = fair(1, 3, &["a:0", "b:0", "c:0"], &["a-b:3", "a-c:4"]);
        let plan = run(&f, vec![])?;
        assert_eq!(plan.weight, 4);
        assert!(plan.is_optimal());
        Ok(())
    }

    #[test]
    fn two_locks_for_one_person_in_one_slot_are_refused() {
        let f = fair(2, 2, &["a:01", "b:01", "c:01"], &["a-b", "a-c"]);
        let lock = |b: &str| Placement {
            a: "a".into(),
            b: b.into(),
            slot: Slot(1),
            table: None,
        };
        let err = run(&f, vec![lock("b"), lock("c")]).map(|_| ());
        expect![[r#"Err(LockedDoubleBooked { who: "a", slot: 1 })"#]]
            .assert_eq(&format!("{err:?}"));
    }

    #[test]
    fn a_lock_when_someone_is_away_is_refused() {
        let f = fair(2, 2, &["a:01", "b:1"], &["a-b"]);
        let lock = Placement {
            a: "a".into(),
            b: "b".into(),
            slot: Slot(0),
            table: None,
        };
        let err = run(&f, vec![lock]).map(|_| ());
        expect![[r#"Err(LockedUnavailable { a: "a", b: "b", slot: 0, who: "b" })"#]]
            .assert_eq(&format!("{err:?}"));
    }

    #[test]
    fn more_locks_than_tables_in_a_slot_are_refused() {
        let f = fair(1, 1, &["a:0", "b:0", "c:0", "d:0"], &["a-b", "c-d"]);
        let lock = |a: &str, b: &str| Placement {
            a: a.into(),
            b: b.into(),
            slot: Slot(0),
            table: None,
        };
        let err = run(&f, vec![lock("a", "b"), lock("c", "d")]).map(|_| ());
        expect![[r#"Err(LockedOverCapacity { slot: 0 })"#]].assert_eq(&format!("{err:?}"));
    }

    #[test]
    fn the_solution_json_is_in_the_checkers_format() -> TestResult {
        let f = fair(2, 1, &["a:01", "b:01", "c:1"], &["a-b:2", "c-a:3"]);
        let plan = run(&f, vec![])?;
        expect![[r#"{"meetings":[{"a":"a","b":"b","slot":0,"table":0},{"a":"c","b":"a","slot":1,"table":0}]}"#]]
            .assert_eq(&plan.to_json(&f));
        Ok(())
    }

    #[test]
    fn a_fair_with_a_huge_table_count_is_scheduled_without_allocating_every_table() -> TestResult {
        let f = Fair::new(
            1,
            usize::MAX / 2,
            vec![
                Participant {
                    id: "a".into(),
                    available: vec![Slot(0)],
                },
                Participant {
                    id: "b".into(),
                    available: vec![Slot(0)],
                },
            ],
            vec![MeetingRequest {
                a: "a".into(),
                b: "b".into(),
                weight: 4,
            }],
        )?;
        let plan = run(&f, vec![])?;
        assert_eq!((plan.weight, plan.meetings[0].table), (4, Table(0)));
        Ok(())
    }

    #[test]
    fn an_empty_fair_gets_an_empty_schedule() -> TestResult {
        let f = fair(3, 2, &[], &[]);
        let plan = run(&f, vec![])?;
        assert_eq!(
            (plan.weight, plan.upper_bound, plan.meetings.len()),
            (0, 0, 0)
        );
        Ok(())
    }

    #[test]
    fn the_checker_catches_a_double_booking_and_a_wrong_weight() {
        let f = fair(1, 2, &["a:0", "b:0", "c:0"], &["a-b:2", "a-c:3"]);
        let bad = Schedule {
            meetings: vec![
                Meeting {
                    request: 0,
                    slot: Slot(0),
                    table: Table(0),
                    locked: false,
                },
                Meeting {
                    request: 1,
                    slot: Slot(0),
                    table: Table(0),
                    locked: false,
                },
            ],
            unplaced: vec![],
            weight: 4,
            upper_bound: 5,
            moved: vec![],
            iterations: 0,
        };
        let errors: Vec<String> = verify(&f, &bad)
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect();
        expect![[r#"
            [
                "participant a has two meetings in slot 0",
                "table 0 of slot 0 is used twice",
                "the reported weight 4 differs from the meetings' weight 5",
            ]
        "#]]
        .assert_debug_eq(&errors);
    }
}
