//! The `.fjs` reader (`solve::fjsp::parse`) on arbitrary text. What parses must write
//! back to the same problem; when it is small enough for a quick search it is also
//! routed with a tiny iteration budget, and the plan must pass the independent check
//! (a plan the router returns that fails `check` is a finding, as is a panic).

#![no_main]

use libfuzzer_sys::fuzz_target;
use solve::fjsp::{self, Budget, RouteError};

/// Problems routed per input stay small, so that one run takes milliseconds.
const MAX_JOBS: usize = 8;
const MAX_OPERATIONS: usize = 40;
const MAX_MACHINES: usize = 12;
const ITERATIONS: u64 = 100;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let problem = match fjsp::parse(text) {
        Ok(problem) => problem,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    assert_eq!(
        fjsp::parse(&fjsp::write(&problem)).as_ref(),
        Ok(&problem),
        "a parsed problem writes back to itself"
    );
    if problem.jobs.len() > MAX_JOBS
        || problem.operation_count() > MAX_OPERATIONS
        || problem.machines.len() > MAX_MACHINES
    {
        return;
    }
    match fjsp::route(&problem, &Budget::iterations(ITERATIONS, 1)) {
        Ok(plan) => {
            assert_eq!(
                fjsp::check(&problem, &plan),
                Ok(plan.makespan),
                "the router's plan passes the check"
            );
        }
        // A parsed `.fjs` has one always-open factory: every operation fits somewhere,
        // so the only acceptable refusal is a problem the model itself rejects.
        Err(RouteError::Invalid(error)) => {
            let _ = error.to_string();
        }
        Err(error) => panic!("a parsed .fjs problem was not routed: {error}"),
    }
});
