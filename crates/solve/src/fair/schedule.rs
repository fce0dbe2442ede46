//! What goes into a scheduling run besides the fair (options, locked and previous
//! placements) and what comes out of it (the schedule, the requests left out and
//! why), plus the solution JSON of `shared/bench/matchmaking/check.py` and an
//! independent checker of every constraint.

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::instance::{Fair, Slot, Table};

/// A meeting fixed in a slot (and possibly at a table), named by the platform's ids.
/// Used both for meetings locked by staff and for the placements of an earlier run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub a: String,
    pub b: String,
    pub slot: Slot,
    /// `None` lets the scheduler choose the table.
    pub table: Option<Table>,
}

/// How a scheduling run is steered.
#[derive(Debug, Clone)]
pub struct ScheduleOptions {
    /// Seeds every random choice: the same fair, options and seed give the same
    /// schedule when the run is ended by `iteration_limit` rather than by the clock.
    pub seed: u64,
    /// Wall-clock budget for the whole call: the bound gets a fifth of it (half on
    /// small fairs), the search the rest. The greedy start always runs, so a budget
    /// far too small for the fair is overrun by that much. The run ends earlier when
    /// the schedule is proven optimal. `None` leaves only the iteration limit.
    pub time_budget: Option<Duration>,
    /// Number of local-search moves to try (whichever of this and the budget ends
    /// first ends the search). Without a budget it also sets the bound's effort,
    /// 200 request-slot evaluations per move. `None` leaves only the time budget;
    /// with neither, a default of 200 moves per request is used.
    pub iteration_limit: Option<u64>,
    /// Meetings fixed by staff: placed first, never moved, never dropped. A locked
    /// meeting that breaks a constraint is an error, not something to repair.
    pub locked: Vec<Placement>,
    /// The schedule of an earlier run (for example, already notified to the
    /// participants). With `keep_previous` these stay in their slots, and at their
    /// tables, whenever the current fair still allows it; otherwise they only seed
    /// the search.
    pub previous: Vec<Placement>,
    /// Keep `previous` meetings where they were whenever still possible.
    pub keep_previous: bool,
}

impl Default for ScheduleOptions {
    fn default() -> Self {
        ScheduleOptions {
            seed: 1,
            time_budget: Some(Duration::from_secs(1)),
            iteration_limit: None,
            locked: Vec::new(),
            previous: Vec::new(),
            keep_previous: false,
        }
    }
}

/// Why the locked meetings cannot all hold at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("locked meeting {a}–{b} is not an accepted request")]
    LockedNotRequested { a: String, b: String },
    #[error("locked meeting {a}–{b} appears twice")]
    LockedTwice { a: String, b: String },
    #[error("locked meeting {a}–{b} is in slot {slot}, but slots run from 0 to {last}")]
    LockedSlotOutOfRange {
        a: String,
        b: String,
        slot: usize,
        last: usize,
    },
    #[error("locked meeting {a}–{b} is at table {table}, but the fair has {tables} tables")]
    LockedTableOutOfRange {
        a: String,
        b: String,
        table: usize,
        tables: usize,
    },
    #[error("locked meeting {a}–{b} is in slot {slot}, when {who} is not there")]
    LockedUnavailable {
        a: String,
        b: String,
        slot: usize,
        who: String,
    },
    #[error("{who} has two locked meetings in slot {slot}")]
    LockedDoubleBooked { who: String, slot: usize },
    #[error("table {table} of slot {slot} is locked for two meetings")]
    LockedTableTaken { slot: usize, table: usize },
    #[error("slot {slot} has more locked meetings than tables")]
    LockedOverCapacity { slot: usize },
}

/// One scheduled meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meeting {
    /// Index into [`Fair::requests`].
    pub request: usize,
    pub slot: Slot,
    pub table: Table,
    /// Whether the meeting was locked by staff (and so is exactly where they put it).
    pub locked: bool,
}

/// Why a request could not be placed, from the most to the least definitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnplacedReason {
    /// The two are never at the fair at the same time.
    NoCommonSlot,
    /// Every common slot is taken, for one side or by the tables, by meetings that
    /// are locked (or kept from the previous schedule).
    BlockedByLocked,
    /// In every common slot where both are free, every table is taken.
    SlotsFull,
    /// In every common slot one side already meets someone else; fitting this
    /// request in would cost meetings worth at least as much.
    LostToOtherMeetings,
}

impl fmt::Display for UnplacedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnplacedReason::NoCommonSlot => "no common available slot",
            UnplacedReason::BlockedByLocked => {
                "every common slot is blocked by locked or kept meetings"
            }
            UnplacedReason::SlotsFull => "every slot where both are free is full",
            UnplacedReason::LostToOtherMeetings => "lost to meetings of at least the same weight",
        })
    }
}

/// What stands in the way of a request in one of its common slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotBlocker {
    pub slot: Slot,
    /// The request side `a` meets in this slot, if any.
    pub a_meets: Option<usize>,
    /// The request side `b` meets in this slot, if any.
    pub b_meets: Option<usize>,
    /// Whether every table of the slot is taken.
    pub full: bool,
}

/// A request the schedule leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unplaced {
    /// Index into [`Fair::requests`].
    pub request: usize,
    pub reason: UnplacedReason,
    /// One entry per common slot, for staff who want to free a slot by hand.
    pub blockers: Vec<SlotBlocker>,
}

/// The result of a scheduling run.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The meetings, ordered by slot and table.
    pub meetings: Vec<Meeting>,
    /// The requests left out, heaviest first.
    pub unplaced: Vec<Unplaced>,
    /// Total weight of the meetings.
    pub weight: u64,
    /// No schedule of this fair (with these locked and kept meetings) weighs more.
    pub upper_bound: u64,
    /// Requests of `previous` that are not in the same slot and table any more.
    pub moved: Vec<usize>,
    /// Local-search moves tried.
    pub iterations: u64,
}

impl Schedule {
    /// Whether the schedule is proven to be the best possible.
    pub fn is_optimal(&self) -> bool {
        self.weight >= self.upper_bound
    }

    /// The solution in `check.py`'s format:
    /// `{"meetings":[{"a":…,"b":…,"slot":…,"table":…}]}`.
    pub fn to_json(&self, fair: &Fair) -> String {
        #[derive(Serialize)]
        struct Row<'a> {
            a: &'a str,
            b: &'a str,
            slot: usize,
            table: usize,
        }
        #[derive(Serialize)]
        struct Solution<'a> {
            meetings: Vec<Row<'a>>,
        }
        let meetings = self
            .meetings
            .iter()
            .map(|m| {
                let r = &fair.requests()[m.request];
                Row {
                    a: &r.a,
                    b: &r.b,
                    slot: m.slot.0,
                    table: m.table.0,
                }
            })
            .collect();
        // Serialising plain strings and integers cannot fail; an empty object is a
        // harmless fallback that `check.py` would still reject loudly.
        serde_json::to_string(&Solution { meetings }).unwrap_or_else(|_| "{}".to_string())
    }
}

/// A broken constraint found by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    #[error("meeting #{0} refers to request {1}, which does not exist")]
    UnknownRequest(usize, usize),
    #[error("request {0} is scheduled twice")]
    ScheduledTwice(usize),
    #[error("request {0} is in slot {1}, outside the fair")]
    SlotOutOfRange(usize, usize),
    #[error("request {0} is at table {1}, outside the fair")]
    TableOutOfRange(usize, usize),
    #[error("request {0} is in slot {1}, when participant {2} is not there")]
    Unavailable(usize, usize, String),
    #[error("participant {0} has two meetings in slot {1}")]
    DoubleBooked(String, usize),
    #[error("table {1} of slot {0} is used twice")]
    TableTaken(usize, usize),
    #[error("the reported weight {0} differs from the meetings' weight {1}")]
    WrongWeight(u64, u64),
}

/// Checks every constraint of `check.py` on a schedule and recomputes its weight.
/// Written separately from the search so that a bug there cannot hide itself.
pub fn verify(fair: &Fair, schedule: &Schedule) -> Result<u64, Vec<Violation>> {
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut busy = HashSet::new();
    let mut tables = HashSet::new();
    let mut weight = 0u64;
    for (k, m) in schedule.meetings.iter().enumerate() {
        if m.request >= fair.requests().len() {
            errors.push(Violation::UnknownRequest(k, m.request));
            continue;
        }
        if !seen.insert(m.request) {
            errors.push(Violation::ScheduledTwice(m.request));
            continue;
        }
        if m.slot.0 >= fair.slots() {
            errors.push(Violation::SlotOutOfRange(m.request, m.slot.0));
            continue;
        }
        if m.table.0 >= fair.tables() {
            errors.push(Violation::TableOutOfRange(m.request, m.table.0));
            continue;
        }
        let (a, b) = fair.ends(m.request);
        for p in [a, b] {
            let id = &fair.participants()[p].id;
            if !fair.is_available(p, m.slot) {
                errors.push(Violation::Unavailable(m.request, m.slot.0, id.clone()));
            }
            if !busy.insert((p, m.slot)) {
                errors.push(Violation::DoubleBooked(id.clone(), m.slot.0));
            }
        }
        if !tables.insert((m.slot, m.table)) {
            errors.push(Violation::TableTaken(m.slot.0, m.table.0));
        }
        weight += u64::from(fair.weight(m.request));
    }
    if weight != schedule.weight {
        errors.push(Violation::WrongWeight(schedule.weight, weight));
    }
    if errors.is_empty() {
        Ok(weight)
    } else {
        Err(errors)
    }
}
