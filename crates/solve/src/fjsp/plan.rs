//! What the router answers: a machine and a time for every operation, with the makespan
//! and each job's lateness against its due date.

use super::model::{Problem, Time};

/// The time at which the last operation of the plan ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Makespan(pub Time);

impl std::fmt::Display for Makespan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where and when one operation runs. `end - start` exceeds the duration when the
/// operation pauses over non-working time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    pub job: usize,
    pub operation: usize,
    pub machine: usize,
    pub start: Time,
    pub end: Time,
}

/// How one job fares in a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobOutcome {
    pub completion: Time,
    /// `max(0, completion - due)`, 0 for jobs without a due date.
    pub tardiness: Time,
}

/// Counters of the search that produced a plan, for benchmarks and logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchStats {
    pub iterations: u64,
    pub restarts: u64,
    /// Makespan of the constructive start solution.
    pub initial_makespan: Time,
    /// Whether the search stopped because the makespan reached a lower bound.
    pub proved_optimal: bool,
}

/// A complete routing: one assignment per operation, in job order (all operations of
/// job 0, then job 1, …), frozen operations included unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub assignments: Vec<Assignment>,
    pub makespan: Makespan,
    pub jobs: Vec<JobOutcome>,
    pub stats: SearchStats,
}

impl Plan {
    /// Builds a plan from assignments, computing makespan and job outcomes.
    pub fn from_assignments(
        problem: &Problem,
        mut assignments: Vec<Assignment>,
        stats: SearchStats,
    ) -> Plan {
        assignments.sort_by_key(|a| (a.job, a.operation));
        let mut jobs: Vec<JobOutcome> = problem
            .jobs
            .iter()
            .map(|j| JobOutcome {
                completion: j.release,
                tardiness: 0,
            })
            .collect();
        for a in &assignments {
            if let Some(outcome) = jobs.get_mut(a.job) {
                outcome.completion = outcome.completion.max(a.end);
            }
        }
        for (outcome, job) in jobs.iter_mut().zip(&problem.jobs) {
            outcome.tardiness = job.due.map_or(0, |due| (outcome.completion - due).max(0));
        }
        let makespan = Makespan(assignments.iter().map(|a| a.end).max().unwrap_or(0));
        Plan {
            assignments,
            makespan,
            jobs,
            stats,
        }
    }

    /// The sum of all jobs' tardiness.
    pub fn total_tardiness(&self) -> Time {
        self.jobs.iter().map(|j| j.tardiness).sum()
    }

    /// The assignment of one operation.
    pub fn assignment(&self, job: usize, operation: usize) -> Option<&Assignment> {
        self.assignments
            .iter()
            .find(|a| a.job == job && a.operation == operation)
    }

    /// The operations that have started by `now`, frozen as they are: the input to
    /// re-planning after a delay or a breakdown reported at `now`.
    pub fn started_by(&self, now: Time) -> Vec<super::model::FrozenOperation> {
        self.assignments
            .iter()
            .filter(|a| a.start < now)
            .map(|a| super::model::FrozenOperation {
                job: a.job,
                operation: a.operation,
                machine: a.machine,
                start: a.start,
                end: a.end,
            })
            .collect()
    }
}
