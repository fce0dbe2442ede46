//! The matching fair as the scheduler sees it: slots, tables, participants with their
//! availability, and the accepted meeting requests between them, validated once so
//! that the search never has to check an index or a weight again.
//!
//! The JSON wire format is the one of `shared/bench/matchmaking/gen.py`:
//! `{"slots": S, "tables": T, "participants": [{"id", "available": [slot…]}],
//! "requests": [{"a", "b", "weight"}]}`; any other key (such as `meta`) is ignored.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

/// A time slot of the fair, numbered from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot(pub usize);

/// A table of the fair, numbered from 0; every slot has the same tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Table(pub usize);

/// The largest weight a request may carry. Weights are summed in `u64`, so the cap
/// is not about overflow but about catching a unit mistake (yen instead of points).
pub const MAX_WEIGHT: u32 = 1_000_000;

/// The most (participant, slot) pairs a fair may have. The scheduler keeps a few
/// bytes per pair; the benchmark's large size has 60,000, a national fair with
/// 20,000 participants over 50 slots has a million.
pub const MAX_PARTICIPANT_SLOTS: usize = 50_000_000;

/// Someone who takes part in the fair: a company, a buyer, an investor, a university.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// The platform's identifier, echoed back in the schedule.
    pub id: String,
    /// The slots this participant is present in, sorted and without repeats.
    pub available: Vec<Slot>,
}

/// An accepted request for a one-on-one meeting, as the platform hands it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRequest {
    /// One participant's id (the order of `a` and `b` carries no meaning).
    pub a: String,
    /// The other participant's id.
    pub b: String,
    /// How much holding this meeting is worth; see [`super::Priority`] for a mapping
    /// from must/should/could.
    pub weight: u32,
}

/// Why an instance was rejected. Each variant names the offending item so that the
/// organiser can fix the data rather than guess.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FairError {
    #[error("not a valid fair instance: {0}")]
    Json(String),
    #[error("the fair must have at least one slot")]
    NoSlots,
    #[error("slot count {0} is out of range (1..=65535)")]
    SlotsOutOfRange(i64),
    #[error(
        "{participants} participants over {slots} slots is more than the scheduler handles ({MAX_PARTICIPANT_SLOTS} participant-slots)"
    )]
    TooLarge { participants: usize, slots: usize },
    #[error("table count {0} must not be negative")]
    NegativeTables(i64),
    #[error("participant with an empty id (position {position})")]
    EmptyParticipantId { position: usize },
    #[error("participant {id} is listed twice")]
    DuplicateParticipant { id: String },
    #[error("participant {id} is available in slot {slot}, but slots run from 0 to {last}")]
    AvailabilityOutOfRange { id: String, slot: i64, last: usize },
    #[error("request #{position} names unknown participant {id}")]
    UnknownParticipant { position: usize, id: String },
    #[error("request #{position} asks {id} to meet itself")]
    SelfRequest { position: usize, id: String },
    #[error("request #{position} repeats the pair {a}–{b} (first at #{first})")]
    DuplicateRequest {
        position: usize,
        first: usize,
        a: String,
        b: String,
    },
    #[error("request #{position} has weight {weight}; weights run from 1 to {MAX_WEIGHT}")]
    WeightOutOfRange { position: usize, weight: i64 },
}

/// A validated fair. Requests refer to participants by index internally; the public
/// accessors give both the platform's ids and the indices the schedule uses.
#[derive(Debug, Clone)]
pub struct Fair {
    slots: usize,
    tables: usize,
    participants: Vec<Participant>,
    requests: Vec<MeetingRequest>,
    /// `ends[r]` = the participant indices of request `r`.
    ends: Vec<(usize, usize)>,
    /// `common[r]` = slots where both sides of request `r` are present, ascending.
    common: Vec<Vec<Slot>>,
    by_id: HashMap<String, usize>,
    by_pair: HashMap<(usize, usize), usize>,
}

#[derive(Deserialize)]
struct FairJson {
    slots: i64,
    tables: i64,
    participants: Vec<ParticipantJson>,
    requests: Vec<RequestJson>,
}

#[derive(Deserialize)]
struct ParticipantJson {
    id: String,
    available: Vec<i64>,
}

#[derive(Deserialize)]
struct RequestJson {
    a: String,
    b: String,
    weight: i64,
}

impl Fair {
    /// Parses and validates an instance in the JSON format of `gen.py`.
    pub fn from_json(text: &str) -> Result<Fair, FairError> {
        let raw: FairJson =
            serde_json::from_str(text).map_err(|e| FairError::Json(e.to_string()))?;
        // Slot and table counts are read as signed numbers so that a negative count
        // gets its own message instead of serde's "invalid value".
        if raw.slots == 0 {
            return Err(FairError::NoSlots);
        }
        if !(1..=i64::from(u16::MAX)).contains(&raw.slots) {
            return Err(FairError::SlotsOutOfRange(raw.slots));
        }
        if raw.tables < 0 {
            return Err(FairError::NegativeTables(raw.tables));
        }
        let slots = raw.slots as usize;
        let mut participants = Vec::with_capacity(raw.participants.len());
        for p in raw.participants {
            let mut available = Vec::with_capacity(p.available.len());
            for s in p.available {
                if s < 0 || s >= raw.slots {
                    return Err(FairError::AvailabilityOutOfRange {
                        id: p.id,
                        slot: s,
                        last: slots - 1,
                    });
                }
                available.push(Slot(s as usize));
            }
            participants.push(Participant {
                id: p.id,
                available,
            });
        }
        let mut requests = Vec::with_capacity(raw.requests.len());
        for (position, r) in raw.requests.into_iter().enumerate() {
            if r.weight < 1 || r.weight > i64::from(MAX_WEIGHT) {
                return Err(FairError::WeightOutOfRange {
                    position,
                    weight: r.weight,
                });
            }
            requests.push(MeetingRequest {
                a: r.a,
                b: r.b,
                weight: r.weight as u32,
            });
        }
        let tables =
            usize::try_from(raw.tables).map_err(|_| FairError::NegativeTables(raw.tables))?;
        Fair::new(slots, tables, participants, requests)
    }

    /// Validates a fair built by the platform from its own records.
    pub fn new(
        slots: usize,
        tables: usize,
        mut participants: Vec<Participant>,
        requests: Vec<MeetingRequest>,
    ) -> Result<Fair, FairError> {
        if slots == 0 {
            return Err(FairError::NoSlots);
        }
        if slots > usize::from(u16::MAX) {
            return Err(FairError::SlotsOutOfRange(slots as i64));
        }
        if participants.len().saturating_mul(slots) > MAX_PARTICIPANT_SLOTS {
            return Err(FairError::TooLarge {
                participants: participants.len(),
                slots,
            });
        }
        let mut by_id = HashMap::with_capacity(participants.len());
        for (position, p) in participants.iter_mut().enumerate() {
            if p.id.is_empty() {
                return Err(FairError::EmptyParticipantId { position });
            }
            if let Some(&Slot(s)) = p.available.iter().find(|s| s.0 >= slots) {
                return Err(FairError::AvailabilityOutOfRange {
                    id: p.id.clone(),
                    slot: s as i64,
                    last: slots - 1,
                });
            }
            // A slot listed twice means the same as once; tolerate it.
            p.available.sort_unstable();
            p.available.dedup();
            if by_id.insert(p.id.clone(), position).is_some() {
                return Err(FairError::DuplicateParticipant { id: p.id.clone() });
            }
        }
        let mut ends = Vec::with_capacity(requests.len());
        let mut by_pair = HashMap::with_capacity(requests.len());
        for (position, r) in requests.iter().enumerate() {
            let index = |id: &str| {
                by_id
                    .get(id)
                    .copied()
                    .ok_or_else(|| FairError::UnknownParticipant {
                        position,
                        id: id.to_string(),
                    })
            };
            let (a, b) = (index(&r.a)?, index(&r.b)?);
            if a == b {
                return Err(FairError::SelfRequest {
                    position,
                    id: r.a.clone(),
                });
            }
            if r.weight == 0 || r.weight > MAX_WEIGHT {
                return Err(FairError::WeightOutOfRange {
                    position,
                    weight: i64::from(r.weight),
                });
            }
            let key = (a.min(b), a.max(b));
            if let Some(&first) = by_pair.get(&key) {
                return Err(FairError::DuplicateRequest {
                    position,
                    first,
                    a: r.a.clone(),
                    b: r.b.clone(),
                });
            }
            by_pair.insert(key, position);
            ends.push((a, b));
        }
        let common = ends
            .iter()
            .map(|&(a, b)| {
                let other: HashSet<Slot> = participants[b].available.iter().copied().collect();
                participants[a]
                    .available
                    .iter()
                    .copied()
                    .filter(|s| other.contains(s))
                    .collect()
            })
            .collect();
        Ok(Fair {
            slots,
            tables,
            participants,
            requests,
            ends,
            common,
            by_id,
            by_pair,
        })
    }

    /// Number of slots.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// Number of tables in every slot.
    pub fn tables(&self) -> usize {
        self.tables
    }

    /// The participants, in the order they were given.
    pub fn participants(&self) -> &[Participant] {
        &self.participants
    }

    /// The requests, in the order they were given; a request's index is its identity
    /// in [`super::Schedule`].
    pub fn requests(&self) -> &[MeetingRequest] {
        &self.requests
    }

    /// The participant indices of request `r`.
    pub fn ends(&self, r: usize) -> (usize, usize) {
        self.ends[r]
    }

    /// The weight of request `r`.
    pub fn weight(&self, r: usize) -> u32 {
        self.requests[r].weight
    }

    /// The slots in which both sides of request `r` are present.
    pub fn common_slots(&self, r: usize) -> &[Slot] {
        &self.common[r]
    }

    /// Whether participant `p` is present in slot `s`.
    pub fn is_available(&self, p: usize, s: Slot) -> bool {
        self.participants[p].available.binary_search(&s).is_ok()
    }

    /// The index of the participant with this id.
    pub fn participant_index(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The index of the request between these two participants, in either order.
    pub fn request_between(&self, a: &str, b: &str) -> Option<usize> {
        let (a, b) = (self.participant_index(a)?, self.participant_index(b)?);
        self.by_pair.get(&(a.min(b), a.max(b))).copied()
    }

    /// The sum of all request weights: a trivial upper bound.
    pub fn total_weight(&self) -> u64 {
        self.requests.iter().map(|r| u64::from(r.weight)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn check_error(text: &str, expected: Expect) {
        match Fair::from_json(text) {
            Ok(_) => panic!("instance was accepted"),
            Err(e) => expected.assert_eq(&e.to_string()),
        }
    }

    const TWO: &str = r#"{"id":"p1","available":[0,1]},{"id":"p2","available":[1]}"#;

    #[test]
    fn a_small_valid_instance_is_accepted_and_indexed() -> Result<(), FairError> {
        let text = format!(
            r#"{{"slots":2,"tables":1,"participants":[{TWO}],
            "requests":[{{"a":"p2","b":"p1","weight":3}}],"meta":{{"x":1}}}}"#
        );
        let fair = Fair::from_json(&text)?;
        assert_eq!(fair.slots(), 2);
        assert_eq!(fair.ends(0), (1, 0));
        assert_eq!(fair.common_slots(0), &[Slot(1)]);
        assert_eq!(fair.request_between("p1", "p2"), Some(0));
        Ok(())
    }

    #[test]
    fn text_that_is_not_json_is_rejected() {
        check_error(
            "{slots: 3",
            expect!["not a valid fair instance: key must be a string at line 1 column 2"],
        );
    }

    #[test]
    fn a_missing_field_is_rejected() {
        check_error(
            r#"{"slots":3,"participants":[],"requests":[]}"#,
            expect!["not a valid fair instance: missing field `tables` at line 1 column 43"],
        );
    }

    #[test]
    fn zero_slots_are_rejected() {
        check_error(
            r#"{"slots":0,"tables":1,"participants":[],"requests":[]}"#,
            expect!["the fair must have at least one slot"],
        );
    }

    #[test]
    fn a_fair_too_large_to_schedule_is_rejected_before_any_allocation() {
        let people = vec![
            Participant {
                id: "p".into(),
                available: vec![]
            };
            1000
        ];
        let err = Fair::new(65_535, 1, people, vec![]).map(|_| ());
        expect![[r#"Err(TooLarge { participants: 1000, slots: 65535 })"#]]
            .assert_eq(&format!("{err:?}"));
    }

    #[test]
    fn a_huge_table_count_is_accepted() -> Result<(), FairError> {
        let fair = Fair::from_json(
            r#"{"slots":1,"tables":1000000000000,"participants":[{"id":"a","available":[0]},{"id":"b","available":[0]}],"requests":[{"a":"a","b":"b","weight":1}]}"#,
        )?;
        assert_eq!(fair.tables(), 1_000_000_000_000);
        Ok(())
    }

    #[test]
    fn negative_tables_are_rejected() {
        check_error(
            r#"{"slots":2,"tables":-1,"participants":[],"requests":[]}"#,
            expect!["table count -1 must not be negative"],
        );
    }

    #[test]
    fn availability_outside_the_slots_is_rejected() {
        check_error(
            r#"{"slots":2,"tables":1,"participants":[{"id":"p1","available":[0,2]}],"requests":[]}"#,
            expect!["participant p1 is available in slot 2, but slots run from 0 to 1"],
        );
    }

    #[test]
    fn a_participant_listed_twice_is_rejected() {
        check_error(
            r#"{"slots":2,"tables":1,"participants":[{"id":"p1","available":[0]},{"id":"p1","available":[1]}],"requests":[]}"#,
            expect!["participant p1 is listed twice"],
        );
    }

    #[test]
    fn a_request_naming_an_unknown_participant_is_rejected() {
        check_error(
            &format!(
                r#"{{"slots":2,"tables":1,"participants":[{TWO}],"requests":[{{"a":"p1","b":"p9","weight":1}}]}}"#
            ),
            expect!["request #0 names unknown participant p9"],
        );
    }

    #[test]
    fn a_request_to_oneself_is_rejected() {
        check_error(
            &format!(
                r#"{{"slots":2,"tables":1,"participants":[{TWO}],"requests":[{{"a":"p1","b":"p1","weight":1}}]}}"#
            ),
            expect!["request #0 asks p1 to meet itself"],
        );
    }

    #[test]
    fn the_same_pair_requested_twice_in_either_order_is_rejected() {
        check_error(
            &format!(
                r#"{{"slots":2,"tables":1,"participants":[{TWO}],"requests":[{{"a":"p1","b":"p2","weight":1}},{{"a":"p2","b":"p1","weight":5}}]}}"#
            ),
            expect!["request #1 repeats the pair p2–p1 (first at #0)"],
        );
    }

    #[test]
    fn a_weight_of_zero_is_rejected() {
        check_error(
            &format!(
                r#"{{"slots":2,"tables":1,"participants":[{TWO}],"requests":[{{"a":"p1","b":"p2","weight":0}}]}}"#
            ),
            expect!["request #0 has weight 0; weights run from 1 to 1000000"],
        );
    }

    #[test]
    fn a_fractional_weight_is_rejected_as_bad_json() {
        check_error(
            &format!(
                r#"{{"slots":2,"tables":1,"participants":[{TWO}],"requests":[{{"a":"p1","b":"p2","weight":1.5}}]}}"#
            ),
            expect![
                "not a valid fair instance: invalid type: floating point `1.5`, expected i64 at line 1 column 140"
            ],
        );
    }

    #[test]
    fn repeated_availability_is_tolerated() -> Result<(), FairError> {
        let fair = Fair::from_json(
            r#"{"slots":2,"tables":1,"participants":[{"id":"p1","available":[1,0,1]}],"requests":[]}"#,
        )?;
        assert_eq!(fair.participants()[0].available, vec![Slot(0), Slot(1)]);
        Ok(())
    }
}
