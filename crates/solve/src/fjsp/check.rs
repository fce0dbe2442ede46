//! An independent checker for plans: every rule of [`Problem`] verified from scratch,
//! written without any of the router's data structures so that a bug in the router
//! cannot hide behind the same bug here. It favours plain loops over speed.

use super::model::{FOREVER, Problem, ProblemError, Time};
use super::plan::{Makespan, Plan};
use thiserror::Error;

/// The first rule a plan breaks. Jobs, operations and machines are 0-based.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Violation {
    #[error("the problem itself is invalid: {0}")]
    InvalidProblem(#[from] ProblemError),
    #[error("job {job}, operation {operation} has no assignment")]
    Missing { job: usize, operation: usize },
    #[error("job {job}, operation {operation} is assigned more than once")]
    Duplicate { job: usize, operation: usize },
    #[error("an assignment names job {job}, operation {operation}, which does not exist")]
    Unknown { job: usize, operation: usize },
    #[error("job {job}, operation {operation} is on machine {machine}, which cannot do it")]
    Ineligible {
        job: usize,
        operation: usize,
        machine: usize,
    },
    #[error("job {job}, operation {operation} is frozen but was moved")]
    FrozenMoved { job: usize, operation: usize },
    #[error(
        "job {job}, operation {operation} starts at {start}, before the job's release or the re-planning time {earliest}"
    )]
    TooEarly {
        job: usize,
        operation: usize,
        start: Time,
        earliest: Time,
    },
    #[error(
        "job {job}, operation {operation} gets {worked} working minutes in [{start}, {end}) but needs {needed}"
    )]
    WrongWork {
        job: usize,
        operation: usize,
        start: Time,
        end: Time,
        worked: Time,
        needed: Time,
    },
    #[error("job {job}, operation {operation} starts or ends outside working time")]
    OutsideWorkingTime { job: usize, operation: usize },
    #[error(
        "job {job}, operation {operation} starts at {start}, before its predecessor ends plus transport ({ready})"
    )]
    Precedence {
        job: usize,
        operation: usize,
        start: Time,
        ready: Time,
    },
    #[error(
        "machine {machine}: job {job_a} op {operation_a} and job {job_b} op {operation_b} overlap"
    )]
    Overlap {
        machine: usize,
        job_a: usize,
        operation_a: usize,
        job_b: usize,
        operation_b: usize,
    },
    #[error("the plan reports makespan {reported}, but its last operation ends at {actual}")]
    WrongMakespan { reported: Time, actual: Time },
}

/// Verifies a plan against a problem and returns its makespan.
pub fn check(problem: &Problem, plan: &Plan) -> Result<Makespan, Violation> {
    // Indices in an invalid problem cannot be trusted, so nothing else is looked at.
    problem.validate()?;
    // One slot per operation, so that missing and duplicate assignments are found.
    let mut slots: Vec<Vec<Option<usize>>> = problem
        .jobs
        .iter()
        .map(|j| vec![None; j.operations.len()])
        .collect();
    for (index, a) in plan.assignments.iter().enumerate() {
        let unknown = Violation::Unknown {
            job: a.job,
            operation: a.operation,
        };
        let slot = slots
            .get_mut(a.job)
            .and_then(|s| s.get_mut(a.operation))
            .ok_or(unknown)?;
        if slot.is_some() {
            return Err(Violation::Duplicate {
                job: a.job,
                operation: a.operation,
            });
        }
        *slot = Some(index);
    }

    for (j, job) in problem.jobs.iter().enumerate() {
        for (o, operation) in job.operations.iter().enumerate() {
            let index = slots[j][o].ok_or(Violation::Missing {
                job: j,
                operation: o,
            })?;
            let a = plan.assignments[index];
            let Some(alternative) = operation
                .alternatives
                .iter()
                .find(|alt| alt.machine == a.machine)
            else {
                return Err(Violation::Ineligible {
                    job: j,
                    operation: o,
                    machine: a.machine,
                });
            };
            if let Some(frozen) = problem.frozen_at(j, o) {
                if (frozen.machine, frozen.start, frozen.end) != (a.machine, a.start, a.end) {
                    return Err(Violation::FrozenMoved {
                        job: j,
                        operation: o,
                    });
                }
            } else {
                let earliest = job.release.max(problem.not_before);
                if a.start < earliest {
                    return Err(Violation::TooEarly {
                        job: j,
                        operation: o,
                        start: a.start,
                        earliest,
                    });
                }
                let needed = alternative.duration;
                let worked = working_minutes(problem, a.machine, a.start, a.end);
                if worked != needed || a.end < a.start {
                    return Err(Violation::WrongWork {
                        job: j,
                        operation: o,
                        start: a.start,
                        end: a.end,
                        worked,
                        needed,
                    });
                }
                // A positive-length operation starts in a working minute and its last
                // minute is a working one: it neither begins nor ends in a pause.
                if needed > 0
                    && !(is_working(problem, a.machine, a.start)
                        && is_working(problem, a.machine, a.end - 1))
                {
                    return Err(Violation::OutsideWorkingTime {
                        job: j,
                        operation: o,
                    });
                }
            }
            if o > 0 {
                let previous = plan.assignments[slots[j][o - 1].ok_or(Violation::Missing {
                    job: j,
                    operation: o - 1,
                })?];
                let ready = previous.end + problem.lag(previous.machine, a.machine);
                if a.start < ready {
                    return Err(Violation::Precedence {
                        job: j,
                        operation: o,
                        start: a.start,
                        ready,
                    });
                }
            }
        }
    }

    // Operations of positive length on the same machine must not share a minute. An
    // instantaneous operation occupies nothing.
    for machine in 0..problem.machines.len() {
        let mut on_machine: Vec<_> = plan
            .assignments
            .iter()
            .filter(|a| a.machine == machine && a.end > a.start)
            .collect();
        on_machine.sort_by_key(|a| (a.start, a.end));
        for pair in on_machine.windows(2) {
            if pair[1].start < pair[0].end {
                return Err(Violation::Overlap {
                    machine,
                    job_a: pair[0].job,
                    operation_a: pair[0].operation,
                    job_b: pair[1].job,
                    operation_b: pair[1].operation,
                });
            }
        }
    }

    let actual = plan.assignments.iter().map(|a| a.end).max().unwrap_or(0);
    if plan.makespan.0 != actual {
        return Err(Violation::WrongMakespan {
            reported: plan.makespan.0,
            actual,
        });
    }
    Ok(Makespan(actual))
}

/// The machine's outages as disjoint sorted intervals.
fn merged_outages(problem: &Problem, machine: usize) -> Vec<(Time, Time)> {
    let mut outages: Vec<(Time, Time)> = problem
        .outages
        .iter()
        .filter(|o| o.machine == machine)
        .map(|o| (o.from, o.until.unwrap_or(FOREVER)))
        .collect();
    outages.sort();
    let mut merged: Vec<(Time, Time)> = Vec::new();
    for (from, until) in outages {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(until),
            _ => merged.push((from, until)),
        }
    }
    merged
}

fn overlap(a: (Time, Time), b: (Time, Time)) -> Time {
    (a.1.min(b.1) - a.0.max(b.0)).max(0)
}

/// Working minutes of `machine` in `[start, end)`: calendar windows minus outages.
fn working_minutes(problem: &Problem, machine: usize, start: Time, end: Time) -> Time {
    let outages = merged_outages(problem, machine);
    let mut total = 0;
    for w in &problem.machines[machine].calendar.windows {
        let part = (start.max(w.start), end.min(w.end));
        if part.0 >= part.1 {
            continue;
        }
        total += part.1 - part.0;
        for &o in &outages {
            total -= overlap(part, o);
        }
    }
    total
}

fn is_working(problem: &Problem, machine: usize, t: Time) -> bool {
    working_minutes(problem, machine, t, t + 1) == 1
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::fjsp::model::{Calendar, Factory, FrozenOperation, Outage, Window};
    use crate::fjsp::plan::{Assignment, SearchStats};

    /// Two jobs on two machines in two factories, 3 minutes apart by truck.
    fn problem() -> Problem {
        let mut problem = crate::fjsp::parse("2 2\n2 1 1 4 2 1 2 2 3\n1 2 1 5 2 6\n").unwrap();
        problem.factories.push(Factory { name: "F2".into() });
        problem.machines[1].factory = 1;
        problem.transport = vec![vec![0, 3], vec![3, 0]];
        problem
    }

    fn plan(problem: &Problem, assignments: &[(usize, usize, usize, Time, Time)]) -> Plan {
        let assignments = assignments
            .iter()
            .map(|&(job, operation, machine, start, end)| Assignment {
                job,
                operation,
                machine,
                start,
                end,
            })
            .collect();
        Plan::from_assignments(problem, assignments, SearchStats::default())
    }

    #[test]
    fn a_correct_plan_passes_and_its_makespan_is_returned() {
        let p = problem();
        // Job 0: M1 [0,4), truck 3, M2 [7,10); job 1: M1 [4,9).
        assert_eq!(
            check(
                &p,
                &plan(&p, &[(0, 0, 0, 0, 4), (0, 1, 1, 7, 10), (1, 0, 0, 4, 9)])
            ),
            Ok(Makespan(10))
        );
    }

    #[test]
    fn ignoring_the_transport_lag_is_a_precedence_violation() {
        let p = problem();
        let result = check(
            &p,
            &plan(&p, &[(0, 0, 0, 0, 4), (0, 1, 1, 5, 8), (1, 0, 0, 4, 9)]),
        );
        assert_eq!(
            result,
            Err(Violation::Precedence {
                job: 0,
                operation: 1,
                start: 5,
                ready: 7
            })
        );
    }

    #[test]
    fn two_operations_sharing_a_machine_minute_overlap() {
        let p = problem();
        let result = check(
            &p,
            &plan(&p, &[(0, 0, 0, 0, 4), (0, 1, 1, 7, 10), (1, 0, 0, 3, 8)]),
        );
        assert!(
            matches!(result, Err(Violation::Overlap { machine: 0, .. })),
            "{result:?}"
        );
    }

    #[test]
    fn a_machine_that_cannot_do_the_operation_is_ineligible() {
        let p = problem();
        let result = check(
            &p,
            &plan(&p, &[(0, 0, 1, 0, 4), (0, 1, 1, 7, 10), (1, 0, 0, 4, 9)]),
        );
        assert_eq!(
            result,
            Err(Violation::Ineligible {
                job: 0,
                operation: 0,
                machine: 1
            })
        );
    }

    #[test]
    fn a_missing_or_doubled_operation_is_reported() {
        let p = problem();
        let result = check(&p, &plan(&p, &[(0, 0, 0, 0, 4), (1, 0, 0, 4, 9)]));
        assert_eq!(
            result,
            Err(Violation::Missing {
                job: 0,
                operation: 1
            })
        );
        let result = check(
            &p,
            &plan(
                &p,
                &[
                    (0, 0, 0, 0, 4),
                    (0, 0, 0, 0, 4),
                    (0, 1, 1, 7, 10),
                    (1, 0, 0, 4, 9),
                ],
            ),
        );
        assert_eq!(
            result,
            Err(Violation::Duplicate {
                job: 0,
                operation: 0
            })
        );
    }

    #[test]
    fn an_operation_pausing_over_the_night_must_count_only_working_minutes() {
        let mut p = problem();
        p.machines[0].calendar = Calendar {
            windows: vec![
                Window { start: 0, end: 2 },
                Window {
                    start: 10,
                    end: FOREVER,
                },
            ],
        };
        // Job 0 op 0 takes 4 working minutes: [0,2) and [10,12).
        let good = plan(
            &p,
            &[(0, 0, 0, 0, 12), (0, 1, 1, 15, 18), (1, 0, 0, 12, 17)],
        );
        assert_eq!(check(&p, &good), Ok(Makespan(18)));
        let too_short = plan(&p, &[(0, 0, 0, 0, 4), (0, 1, 1, 7, 10), (1, 0, 0, 12, 17)]);
        assert!(matches!(
            check(&p, &too_short),
            Err(Violation::WrongWork {
                job: 0,
                operation: 0,
                worked: 2,
                ..
            })
        ));
        let starts_at_night = plan(
            &p,
            &[(0, 0, 0, 5, 14), (0, 1, 1, 17, 20), (1, 0, 0, 14, 19)],
        );
        assert_eq!(
            check(&p, &starts_at_night),
            Err(Violation::OutsideWorkingTime {
                job: 0,
                operation: 0
            })
        );
    }

    #[test]
    fn work_during_an_outage_does_not_count() {
        let mut p = problem();
        p.outages.push(Outage {
            machine: 0,
            from: 1,
            until: Some(3),
        });
        let result = check(
            &p,
            &plan(&p, &[(0, 0, 0, 0, 4), (0, 1, 1, 7, 10), (1, 0, 0, 4, 9)]),
        );
        assert!(
            matches!(
                result,
                Err(Violation::WrongWork {
                    job: 0,
                    operation: 0,
                    worked: 2,
                    ..
                })
            ),
            "{result:?}"
        );
        let fixed = plan(&p, &[(0, 0, 0, 0, 6), (0, 1, 1, 9, 12), (1, 0, 0, 6, 11)]);
        assert_eq!(check(&p, &fixed), Ok(Makespan(12)));
    }

    #[test]
    fn a_frozen_operation_must_not_move_and_nothing_new_starts_before_replanning_time() {
        let mut p = problem();
        p.frozen.push(FrozenOperation {
            job: 0,
            operation: 0,
            machine: 0,
            start: 0,
            end: 6,
        });
        p.not_before = 2;
        let moved = plan(&p, &[(0, 0, 0, 0, 4), (0, 1, 1, 9, 12), (1, 0, 0, 6, 11)]);
        assert_eq!(
            check(&p, &moved),
            Err(Violation::FrozenMoved {
                job: 0,
                operation: 0
            })
        );
        let kept = plan(&p, &[(0, 0, 0, 0, 6), (0, 1, 1, 9, 12), (1, 0, 0, 6, 11)]);
        assert_eq!(check(&p, &kept), Ok(Makespan(12)));
        let mut early = kept.clone();
        early.assignments[2] = Assignment {
            job: 1,
            operation: 0,
            machine: 1,
            start: 1,
            end: 7,
        };
        assert!(matches!(
            check(&p, &early),
            Err(Violation::TooEarly { job: 1, .. })
        ));
    }

    #[test]
    fn a_wrong_reported_makespan_is_caught() {
        let p = problem();
        let mut wrong = plan(&p, &[(0, 0, 0, 0, 4), (0, 1, 1, 7, 10), (1, 0, 0, 4, 9)]);
        wrong.makespan = Makespan(9);
        assert_eq!(
            check(&p, &wrong),
            Err(Violation::WrongMakespan {
                reported: 9,
                actual: 10
            })
        );
    }
}
