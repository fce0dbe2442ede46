//! Integration tests of the matching-fair scheduler: every constraint on fairs from a
//! seeded generator shaped like `shared/bench/matchmaking/gen.py`, locked and kept
//! meetings, determinism, and the benchmark's small instance when it is present.

use std::collections::HashMap;
use std::error::Error;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use solve::fair::{
    Fair, MeetingRequest, Participant, Placement, Schedule, ScheduleError, ScheduleOptions, Slot,
    Table, UnplacedReason, schedule, verify,
};

type TestResult = Result<(), Box<dyn Error>>;

/// A fair shaped like gen.py's: a few popular buyers with log-normal popularity,
/// suppliers asking them for meetings (sometimes reciprocated, which weighs more),
/// some supplier-to-supplier networking, late arrivals, early leavers, people with
/// a block away or only half a day, and tables at 0.9 of what a simple greedy would
/// place with unlimited tables, so that tables bind as at a busy fair.
fn generate(participants: usize, requests: usize, slots: usize, seed: u64) -> Fair {
    let mut rng = StdRng::seed_from_u64(seed);
    let lognormal = |sigma: f64, rng: &mut StdRng| {
        // Box–Muller; the log-normal shape is all that matters here.
        let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
        (sigma * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()).exp()
    };
    let buyers = (participants * 12 / 100).max(2);
    let popularity: Vec<f64> = (0..buyers).map(|_| lognormal(1.0, &mut rng)).collect();
    let activity: Vec<f64> = (buyers..participants)
        .map(|_| lognormal(0.8, &mut rng))
        .collect();
    let pick = |weights: &[f64], rng: &mut StdRng| {
        let total: f64 = weights.iter().sum();
        let mut x = rng.random::<f64>() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    };
    let available: Vec<Vec<Slot>> = (0..participants)
        .map(|_| {
            let all: Vec<usize> = (0..slots).collect();
            let u: f64 = rng.random();
            let third = (slots / 3).max(1);
            let kept: Vec<usize> = if u < 0.60 {
                all
            } else if u < 0.73 {
                all[rng.random_range(1..=third).min(slots - 1)..].to_vec()
            } else if u < 0.86 {
                all[..slots - rng.random_range(1..=third).min(slots - 1)].to_vec()
            } else if u < 0.95 {
                let len = rng.random_range(1..=3.min(slots.saturating_sub(1)).max(1));
                let start = rng.random_range(0..slots);
                all.into_iter()
                    .filter(|s| !(start..start + len).contains(s))
                    .collect()
            } else if rng.random::<bool>() {
                all[..(slots / 2).max(1)].to_vec()
            } else {
                all[slots / 2..].to_vec()
            };
            kept.into_iter().map(Slot).collect()
        })
        .collect();
    let max_degree = 8 * slots;
    let mut degree = vec![0usize; participants];
    let mut weight: HashMap<(usize, usize), u32> = HashMap::new();
    let mut order = Vec::new();
    let mut guard = 0;
    while weight.len() < requests && guard < 200 * requests {
        guard += 1;
        let u: f64 = rng.random();
        let supplier = buyers + pick(&activity, &mut rng);
        let (from, to) = if u < 0.75 {
            (supplier, pick(&popularity, &mut rng))
        } else if u < 0.85 {
            (rng.random_range(0..buyers), supplier)
        } else {
            (
                supplier,
                buyers + rng.random_range(0..participants - buyers),
            )
        };
        if from == to {
            continue;
        }
        let key = (from.min(to), from.max(to));
        let points = [5, 3, 1][rng.random_range(0..3)];
        match weight.get_mut(&key) {
            Some(w) => *w = (*w + points).min(10),
            None if degree[from] < max_degree && degree[to] < max_degree => {
                degree[from] += 1;
                degree[to] += 1;
                weight.insert(key, points);
                order.push(key);
            }
            None => {}
        }
    }
    // Tables: 0.9 of what weight-first, least-loaded greedy places without limits.
    let mut busy = vec![false; participants * slots];
    let mut load = vec![0usize; slots];
    let mut sorted = order.clone();
    sorted.sort_by_key(|k| (std::cmp::Reverse(weight[k]), *k));
    for &(a, b) in &sorted {
        let best = (0..slots)
            .filter(|&s| {
                available[a].contains(&Slot(s))
                    && available[b].contains(&Slot(s))
                    && !busy[a * slots + s]
                    && !busy[b * slots + s]
            })
            .min_by_key(|&s| load[s]);
        if let Some(s) = best {
            busy[a * slots + s] = true;
            busy[b * slots + s] = true;
            load[s] += 1;
        }
    }
    let placed: usize = load.iter().sum();
    let tables = ((placed * 9).div_ceil(10 * slots)).max(1);
    let people = (0..participants)
        .map(|p| Participant {
            id: format!("p{}", p + 1),
            available: available[p].clone(),
        })
        .collect();
    let wishes = order
        .iter()
        .map(|&(a, b)| MeetingRequest {
            a: format!("p{}", a + 1),
            b: format!("p{}", b + 1),
            weight: weight[&(a, b)],
        })
        .collect();
    match Fair::new(slots, tables, people, wishes) {
        Ok(fair) => fair,
        Err(e) => panic!("the generator made an invalid fair: {e}"),
    }
}

fn quick(seed: u64) -> ScheduleOptions {
    ScheduleOptions {
        seed,
        time_budget: None,
        iteration_limit: Some(20_000),
        ..ScheduleOptions::default()
    }
}

fn placement(fair: &Fair, plan: &Schedule, k: usize) -> Placement {
    let m = plan.meetings[k];
    let r = &fair.requests()[m.request];
    Placement {
        a: r.a.clone(),
        b: r.b.clone(),
        slot: m.slot,
        table: Some(m.table),
    }
}

#[test]
fn schedules_of_generated_fairs_keep_every_constraint() -> TestResult {
    for (seed, (p, r, s)) in [(40, 200, 8), (60, 300, 12), (120, 900, 10), (30, 150, 1)]
        .into_iter()
        .enumerate()
    {
        let fair = generate(p, r, s, seed as u64);
        let plan = schedule(&fair, &quick(seed as u64))?;
        let weight = verify(&fair, &plan).map_err(|v| format!("{v:?}"))?;
        assert!(weight > 0);
        assert_eq!(
            plan.meetings.len() + plan.unplaced.len(),
            fair.requests().len()
        );
        assert!(plan.upper_bound >= plan.weight);
    }
    Ok(())
}

#[test]
fn a_crowded_fair_with_one_table_still_gets_a_valid_schedule() -> TestResult {
    let fair = generate(80, 600, 6, 7);
    let crowded = Fair::new(
        fair.slots(),
        1,
        fair.participants().to_vec(),
        fair.requests().to_vec(),
    )?;
    let plan = schedule(&crowded, &quick(3))?;
    verify(&crowded, &plan).map_err(|v| format!("{v:?}"))?;
    assert_eq!(plan.meetings.len(), crowded.slots());
    Ok(())
}

#[test]
fn a_fair_without_tables_places_nothing_and_says_the_slots_are_full() -> TestResult {
    let fair = generate(30, 100, 4, 2);
    let empty = Fair::new(4, 0, fair.participants().to_vec(), fair.requests().to_vec())?;
    let plan = schedule(&empty, &quick(1))?;
    assert!(plan.meetings.is_empty());
    assert!(plan.unplaced.iter().all(|u| matches!(
        u.reason,
        UnplacedReason::SlotsFull | UnplacedReason::NoCommonSlot
    )));
    Ok(())
}

#[test]
fn locked_meetings_stay_exactly_where_staff_put_them() -> TestResult {
    let fair = generate(60, 300, 12, 11);
    let first = schedule(&fair, &quick(1))?;
    // Lock a few meetings into a different slot and table than the search chose,
    // where both sides are present and nothing else is locked.
    let mut locked: Vec<Placement> = Vec::new();
    for k in (0..first.meetings.len()).step_by(9) {
        let mut p = placement(&fair, &first, k);
        let r = first.meetings[k].request;
        let (a, b) = fair.ends(r);
        let Some(&slot) = fair
            .common_slots(r)
            .iter()
            .find(|&&s| s != p.slot && !locked.iter().any(|l| clash(&fair, l, a, b, s)))
        else {
            continue;
        };
        p.slot = slot;
        p.table = Some(Table(
            fair.tables() - 1 - locked.iter().filter(|l| l.slot == slot).count(),
        ));
        locked.push(p);
    }
    assert!(locked.len() >= 5);
    let options = ScheduleOptions {
        locked: locked.clone(),
        ..quick(2)
    };
    let plan = schedule(&fair, &options)?;
    verify(&fair, &plan).map_err(|v| format!("{v:?}"))?;
    for l in &locked {
        let r = fair
            .request_between(&l.a, &l.b)
            .ok_or("locked request vanished")?;
        let m = plan
            .meetings
            .iter()
            .find(|m| m.request == r)
            .ok_or("a locked meeting was dropped")?;
        assert_eq!((m.slot, Some(m.table), m.locked), (l.slot, l.table, true));
    }
    Ok(())
}

fn clash(fair: &Fair, l: &Placement, a: usize, b: usize, s: Slot) -> bool {
    let ends = [
        fair.participant_index(&l.a).unwrap_or(usize::MAX),
        fair.participant_index(&l.b).unwrap_or(usize::MAX),
    ];
    l.slot == s && (ends.contains(&a) || ends.contains(&b))
}

#[test]
fn kept_meetings_stay_in_their_slots_and_tables_after_late_changes() -> TestResult {
    let fair = generate(60, 300, 12, 5);
    let first = schedule(&fair, &quick(1))?;
    let previous: Vec<Placement> = (0..first.meetings.len())
        .map(|k| placement(&fair, &first, k))
        .collect();
    // Late changes: one busy participant leaves after slot 3, and a heavy new
    // request arrives that the old schedule had no room for.
    let mut people = fair.participants().to_vec();
    let leaver = fair.ends(first.meetings[0].request).0;
    people[leaver].available.retain(|s| s.0 <= 3);
    let mut wishes = fair.requests().to_vec();
    let (x, y) = (&people[0].id, &people[people.len() - 1].id);
    if fair.request_between(x, y).is_none() {
        wishes.push(MeetingRequest {
            a: x.clone(),
            b: y.clone(),
            weight: 10,
        });
    }
    let changed = Fair::new(fair.slots(), fair.tables(), people, wishes)?;
    let options = ScheduleOptions {
        previous: previous.clone(),
        keep_previous: true,
        ..quick(9)
    };
    let plan = schedule(&changed, &options)?;
    verify(&changed, &plan).map_err(|v| format!("{v:?}"))?;
    for p in &previous {
        let r = changed
            .request_between(&p.a, &p.b)
            .ok_or("request vanished")?;
        let (a, b) = changed.ends(r);
        let still_possible = changed.is_available(a, p.slot) && changed.is_available(b, p.slot);
        let now = plan.meetings.iter().find(|m| m.request == r);
        if still_possible {
            assert_eq!(
                now.map(|m| (m.slot, Some(m.table))),
                Some((p.slot, p.table)),
                "{}–{} moved",
                p.a,
                p.b
            );
            assert!(!plan.moved.contains(&r));
        } else {
            assert!(plan.moved.contains(&r));
        }
    }
    Ok(())
}

#[test]
fn the_same_seed_and_move_limit_give_the_same_schedule() -> TestResult {
    let fair = generate(100, 700, 10, 21);
    let one = schedule(&fair, &quick(4))?;
    let two = schedule(&fair, &quick(4))?;
    assert_eq!(one.meetings, two.meetings);
    assert_eq!(one.to_json(&fair), two.to_json(&fair));
    Ok(())
}

#[test]
fn contradictory_locks_are_refused_with_the_reason() -> TestResult {
    let fair = generate(40, 200, 8, 3);
    let r = (0..fair.requests().len())
        .find(|&r| fair.common_slots(r).len() >= 2)
        .ok_or("no flexible request")?;
    let (a, b) = (fair.requests()[r].a.clone(), fair.requests()[r].b.clone());
    let slot = fair.common_slots(r)[0];
    let lock = |slot, table| Placement {
        a: a.clone(),
        b: b.clone(),
        slot,
        table,
    };
    let twice = ScheduleOptions {
        locked: vec![lock(slot, None), lock(fair.common_slots(r)[1], None)],
        ..quick(1)
    };
    assert!(matches!(
        schedule(&fair, &twice),
        Err(ScheduleError::LockedTwice { .. })
    ));
    let far = ScheduleOptions {
        locked: vec![lock(Slot(99), None)],
        ..quick(1)
    };
    assert!(matches!(
        schedule(&fair, &far),
        Err(ScheduleError::LockedSlotOutOfRange { .. })
    ));
    let no_table = ScheduleOptions {
        locked: vec![lock(slot, Some(Table(fair.tables())))],
        ..quick(1)
    };
    assert!(matches!(
        schedule(&fair, &no_table),
        Err(ScheduleError::LockedTableOutOfRange { .. })
    ));
    let stranger = ScheduleOptions {
        locked: vec![Placement {
            a: a.clone(),
            b: a.clone(),
            slot,
            table: None,
        }],
        ..quick(1)
    };
    assert!(matches!(
        schedule(&fair, &stranger),
        Err(ScheduleError::LockedNotRequested { .. })
    ));
    Ok(())
}

#[test]
fn the_benchmark_small_instance_is_solved_to_its_proven_optimum() -> TestResult {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/bench/matchmaking/small_s1.json"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        println!("skipped: {path} is not there");
        return Ok(());
    };
    let fair = Fair::from_json(&text)?;
    // A move limit and no clock: the same schedule on a fast machine and on a
    // loaded CI runner (with a clock, a slow run ended the search at 644). Every
    // seed from 1 to 4 reaches 646 within this limit (about 20 million moves).
    let options = ScheduleOptions {
        seed: 1,
        time_budget: None,
        iteration_limit: Some(50_000_000),
        ..ScheduleOptions::default()
    };
    let plan = schedule(&fair, &options)?;
    assert_eq!(verify(&fair, &plan), Ok(646));
    // CP-SAT proves 646 optimal and the LP bound is 646.01: ours must prove it too.
    assert_eq!(plan.upper_bound, 646);
    assert!(plan.is_optimal());
    Ok(())
}

/// A tiny random fair: few enough requests to enumerate every schedule.
fn tiny(seed: u64) -> Fair {
    let mut rng = StdRng::seed_from_u64(seed);
    let slots = rng.random_range(1..=3);
    let tables = rng.random_range(0..=3);
    let people = rng.random_range(2..=6);
    let participants: Vec<Participant> = (0..people)
        .map(|p| Participant {
            id: format!("p{p}"),
            available: (0..slots)
                .filter(|_| rng.random::<f64>() < 0.8)
                .map(Slot)
                .collect(),
        })
        .collect();
    let mut requests: Vec<MeetingRequest> = Vec::new();
    for a in 0..people {
        for b in a + 1..people {
            if requests.len() < 8 && rng.random::<f64>() < 0.6 {
                requests.push(MeetingRequest {
                    a: format!("p{a}"),
                    b: format!("p{b}"),
                    weight: rng.random_range(1..=10),
                });
            }
        }
    }
    match Fair::new(slots, tables, participants, requests) {
        Ok(fair) => fair,
        Err(e) => panic!("tiny fair invalid: {e}"),
    }
}

/// The best weight over every assignment of requests to slots (or none).
fn brute_force(fair: &Fair) -> u64 {
    let n = fair.requests().len();
    let choices = fair.slots() + 1;
    let mut best = 0;
    for code in 0..choices.pow(n as u32) {
        let mut rest = code;
        let mut busy = std::collections::HashSet::new();
        let mut load = vec![0; fair.slots()];
        let mut weight = 0u64;
        let mut ok = true;
        for r in 0..n {
            let c = rest % choices;
            rest /= choices;
            if c == fair.slots() {
                continue;
            }
            let (a, b) = fair.ends(r);
            load[c] += 1;
            ok &= fair.common_slots(r).contains(&Slot(c))
                && busy.insert((a, c))
                && busy.insert((b, c))
                && load[c] <= fair.tables();
            weight += u64::from(fair.weight(r));
        }
        if ok {
            best = best.max(weight);
        }
    }
    best
}

#[test]
fn tiny_random_fairs_are_solved_to_the_enumerated_optimum_under_a_valid_bound() -> TestResult {
    for seed in 0..60 {
        let fair = tiny(seed);
        let plan = schedule(&fair, &quick(seed))?;
        let weight = verify(&fair, &plan).map_err(|v| format!("seed {seed}: {v:?}"))?;
        let optimum = brute_force(&fair);
        assert_eq!(weight, optimum, "seed {seed}");
        assert!(
            plan.upper_bound >= optimum,
            "seed {seed}: bound below optimum"
        );
    }
    Ok(())
}

#[test]
fn random_locks_and_late_absences_never_break_a_constraint_or_move_a_kept_meeting() -> TestResult {
    for seed in 0..8u64 {
        let mut rng = StdRng::seed_from_u64(100 + seed);
        let fair = generate(50, 250, 8, seed);
        let first = schedule(&fair, &quick(seed))?;
        let all: Vec<Placement> = (0..first.meetings.len())
            .map(|k| placement(&fair, &first, k))
            .collect();
        // Staff lock a random fifth (some without a table); the rest was notified.
        let (mut locked, mut previous) = (Vec::new(), Vec::new());
        for mut p in all {
            if rng.random::<f64>() < 0.2 {
                if rng.random::<bool>() {
                    p.table = None;
                }
                locked.push(p);
            } else {
                previous.push(p);
            }
        }
        // Late absences: a few participants miss one slot; nobody with a lock there.
        let mut people = fair.participants().to_vec();
        for _ in 0..5 {
            let p = rng.random_range(0..people.len());
            let s = Slot(rng.random_range(0..fair.slots()));
            let id = people[p].id.clone();
            if !locked
                .iter()
                .any(|l| l.slot == s && (l.a == id || l.b == id))
            {
                people[p].available.retain(|&x| x != s);
            }
        }
        let changed = Fair::new(
            fair.slots(),
            fair.tables(),
            people,
            fair.requests().to_vec(),
        )?;
        let options = ScheduleOptions {
            locked: locked.clone(),
            previous: previous.clone(),
            keep_previous: true,
            ..quick(seed)
        };
        let plan = schedule(&changed, &options)?;
        verify(&changed, &plan).map_err(|v| format!("seed {seed}: {v:?}"))?;
        let at = |p: &Placement| -> Result<Option<(Slot, Table)>, String> {
            let r = changed
                .request_between(&p.a, &p.b)
                .ok_or("request vanished")?;
            Ok(plan
                .meetings
                .iter()
                .find(|m| m.request == r)
                .map(|m| (m.slot, m.table)))
        };
        for l in &locked {
            let (slot, table) = at(l)?.ok_or("a locked meeting was dropped")?;
            assert_eq!(slot, l.slot, "seed {seed}");
            assert!(l.table.is_none_or(|t| t == table), "seed {seed}");
        }
        for p in &previous {
            let r = changed.request_between(&p.a, &p.b).ok_or("vanished")?;
            let (a, b) = changed.ends(r);
            if changed.is_available(a, p.slot) && changed.is_available(b, p.slot) {
                assert_eq!(
                    at(p)?,
                    Some((p.slot, p.table.ok_or("no table")?)),
                    "seed {seed}"
                );
            }
        }
        assert!(plan.weight <= plan.upper_bound);
    }
    Ok(())
}
