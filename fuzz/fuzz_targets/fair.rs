//! A matching fair's JSON (`solve::fair::Fair::from_json`) on arbitrary text. A fair
//! that parses and is small is scheduled with a small move limit and no clock, and the
//! schedule must pass `verify` with the weight it claims; a panic, a refusal to
//! schedule (there are no locked meetings to contradict) or a failed check is a finding.

#![no_main]

use libfuzzer_sys::fuzz_target;
use solve::fair::{Fair, ScheduleOptions, schedule, verify};

/// Fairs scheduled per input stay small, so that one run takes milliseconds.
const MAX_PARTICIPANTS: usize = 30;
const MAX_REQUESTS: usize = 60;
const MAX_SLOTS: usize = 24;
const MOVES: u64 = 300;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let fair = match Fair::from_json(text) {
        Ok(fair) => fair,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    if fair.participants().len() > MAX_PARTICIPANTS
        || fair.requests().len() > MAX_REQUESTS
        || fair.slots() > MAX_SLOTS
    {
        return;
    }
    let options = ScheduleOptions {
        iteration_limit: Some(MOVES),
        time_budget: None,
        ..ScheduleOptions::default()
    };
    let plan = match schedule(&fair, &options) {
        Ok(plan) => plan,
        Err(error) => panic!("a fair without locked meetings was refused: {error}"),
    };
    assert_eq!(
        verify(&fair, &plan),
        Ok(plan.weight),
        "the schedule passes verify"
    );
    let _ = plan.to_json(&fair);
});
