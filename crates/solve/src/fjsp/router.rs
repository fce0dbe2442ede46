//! The router's entry points: [`route`] plans a [`Problem`] within a [`Budget`], and
//! [`Problem::replanning`] turns a running plan plus the news from the factories (delays,
//! breakdowns) into the problem to route again.

use super::construct;
use super::instance::Instance;
use super::model::{FOREVER, Outage, Problem, ProblemError, Time};
use super::plan::{Assignment, Plan, SearchStats};
use super::schedule::Timing;
use super::tabu::{Limits, Search};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::time::{Duration, Instant};
use thiserror::Error;

/// How long the router may think. The search is deterministic for a given seed and
/// iteration count; with a time limit, where it stops depends on the machine's speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub time: Duration,
    pub max_iterations: Option<u64>,
    pub seed: u64,
}

impl Budget {
    /// A wall-clock budget.
    pub fn time(time: Duration, seed: u64) -> Budget {
        Budget {
            time,
            max_iterations: None,
            seed,
        }
    }

    /// An iteration budget: the same seed gives the same plan on every machine.
    pub fn iterations(max_iterations: u64, seed: u64) -> Budget {
        Budget {
            time: Duration::from_secs(3600),
            max_iterations: Some(max_iterations),
            seed,
        }
    }
}

/// Why the router returned no plan.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RouteError {
    #[error("invalid problem: {0}")]
    Invalid(#[from] ProblemError),
    #[error(
        "job {job}, operation {operation}: no eligible machine has enough working time left \
         after the operation's predecessors (calendars and outages end too soon)"
    )]
    Unplaceable { job: usize, operation: usize },
}

/// A factory's report that a started operation will end later than planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delay {
    pub job: usize,
    pub operation: usize,
    pub end: Time,
}

impl Problem {
    /// The problem to route at `now`, after `previous` was put into action: operations
    /// that started before `now` are frozen where they are (with the delayed end where a
    /// factory reported one), the new outages are added, and nothing else may start
    /// before `now`. Operations on a machine that breaks while they run stay frozen; the
    /// factory reports their new end as a delay.
    pub fn replanning(
        &self,
        previous: &Plan,
        now: Time,
        delays: &[Delay],
        outages: &[Outage],
    ) -> Problem {
        let mut next = self.clone();
        next.frozen = previous.started_by(now);
        for delay in delays {
            if let Some(f) = next
                .frozen
                .iter_mut()
                .find(|f| f.job == delay.job && f.operation == delay.operation)
            {
                f.end = delay.end;
            }
        }
        next.outages.extend_from_slice(outages);
        next.not_before = self.not_before.max(now);
        next
    }
}

/// Routes every operation of `problem`: a machine and a start for each, minimising the
/// makespan. Returns a plan that satisfies every constraint (see [`super::check`]) or
/// says why none was found.
pub fn route(problem: &Problem, budget: &Budget) -> Result<Plan, RouteError> {
    let started = Instant::now();
    problem.validate()?;
    let inst = Instance::new(problem);
    let mut rng = SmallRng::seed_from_u64(budget.seed);
    let start = construct::earliest_finish(&inst, &mut rng).map_err(|v| {
        let (job, operation) = inst.origin[v];
        RouteError::Unplaceable { job, operation }
    })?;
    let mut timing = Timing::new(&inst);
    timing.evaluate(&inst, &start);
    let initial_makespan = timing.makespan;
    let limits = Limits {
        deadline: started.checked_add(budget.time),
        max_iterations: budget.max_iterations.unwrap_or(u64::MAX),
        lower_bound: lower_bound(&inst),
    };
    let outcome = Search::new(&inst, start, rng).run(&limits);
    timing.evaluate(&inst, &outcome.best);
    debug_assert_eq!(timing.makespan, outcome.makespan);

    let mut assignments: Vec<Assignment> = problem
        .frozen
        .iter()
        .map(|f| Assignment {
            job: f.job,
            operation: f.operation,
            machine: f.machine,
            start: f.start,
            end: f.end,
        })
        .collect();
    for v in 0..inst.n {
        let (job, operation) = inst.origin[v];
        if timing.end[v] >= FOREVER {
            return Err(RouteError::Unplaceable { job, operation });
        }
        assignments.push(Assignment {
            job,
            operation,
            machine: outcome.best.machine[v] as usize,
            start: timing.start[v],
            end: timing.end[v],
        });
    }
    let stats = SearchStats {
        iterations: outcome.iterations,
        restarts: outcome.restarts,
        initial_makespan,
        proved_optimal: outcome.reached_lower_bound,
    };
    Ok(Plan::from_assignments(problem, assignments, stats))
}

/// A makespan no routing can beat: the longest job (shortest durations, no transport),
/// the average machine load, the load of operations bound to one machine, and the
/// latest frozen end. Lets the search stop early on instances it solves to optimality.
fn lower_bound(inst: &Instance) -> Time {
    let mut bound = inst.frozen_makespan;
    let shortest = |v: usize| {
        (inst.alt_start[v]..inst.alt_start[v + 1])
            .map(|a| inst.alt_duration[a])
            .min()
            .unwrap_or(0)
    };
    let mut total = inst.free_from.iter().sum::<Time>();
    let mut bound_to = inst.free_from.clone();
    for v in 0..inst.n {
        total += shortest(v);
        if inst.alt_start[v + 1] - inst.alt_start[v] == 1 {
            bound_to[inst.alt_machine[inst.alt_start[v]] as usize] +=
                inst.alt_duration[inst.alt_start[v]];
        }
        if inst.job_succ[v] == super::instance::NONE {
            // Walk the job backwards from its last operation.
            let mut chain = 0;
            let mut u = v;
            loop {
                chain += shortest(u);
                let p = inst.job_pred[u];
                if p == super::instance::NONE {
                    let earliest = (inst.alt_start[u]..inst.alt_start[u + 1])
                        .map(|a| inst.release_on(u, inst.alt_machine[a] as usize))
                        .min()
                        .unwrap_or(0);
                    bound = bound.max(earliest + chain);
                    break;
                }
                u = p as usize;
            }
        }
    }
    let machines = inst.machines.max(1) as Time;
    bound = bound.max((total + machines - 1) / machines);
    bound.max(bound_to.into_iter().max().unwrap_or(0))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::fjsp::{check, parse};

    #[test]
    fn a_tiny_instance_is_solved_to_its_lower_bound_and_the_search_stops_there() {
        // Two jobs that can swap machines: the optimum runs both in parallel.
        let problem = parse("2 2\n1 2 1 5 2 9\n1 2 1 9 2 5\n").unwrap();
        let plan = route(&problem, &Budget::iterations(10_000, 3)).unwrap();
        assert_eq!(plan.makespan.0, 5);
        assert!(plan.stats.proved_optimal);
        assert_eq!(check(&problem, &plan), Ok(plan.makespan));
    }

    #[test]
    fn the_lower_bound_counts_the_longest_job_and_the_average_load() {
        let problem = parse("2 2\n3 1 1 4 1 1 4 1 2 4\n1 1 2 2\n").unwrap();
        assert_eq!(lower_bound(&Instance::new(&problem)), 12);
        let problem = parse("3 1\n1 1 1 4\n1 1 1 4\n1 1 1 4\n").unwrap();
        assert_eq!(lower_bound(&Instance::new(&problem)), 12);
    }

    #[test]
    fn a_delay_reported_at_replanning_extends_the_frozen_operation() {
        let problem = parse("2 2\n2 1 1 4 1 2 3\n1 1 1 5\n").unwrap();
        let plan = route(&problem, &Budget::iterations(1000, 1)).unwrap();
        let first = *plan.assignment(0, 0).unwrap();
        let delay = Delay {
            job: 0,
            operation: 0,
            end: first.end + 7,
        };
        let next = problem.replanning(&plan, first.start + 1, &[delay], &[]);
        let frozen = next.frozen_at(0, 0).unwrap();
        assert_eq!((frozen.start, frozen.end), (first.start, first.end + 7));
        let replanned = route(&next, &Budget::iterations(1000, 1)).unwrap();
        assert_eq!(check(&next, &replanned), Ok(replanned.makespan));
        assert!(replanned.assignment(0, 1).unwrap().start >= first.end + 7);
    }

    #[test]
    fn jobs_finishing_after_their_due_date_report_tardiness() {
        let mut problem = parse("2 1\n1 1 1 5\n1 1 1 5\n").unwrap();
        problem.jobs[0].due = Some(6);
        problem.jobs[1].due = Some(6);
        let plan = route(&problem, &Budget::iterations(100, 1)).unwrap();
        assert_eq!(plan.total_tardiness(), 4);
    }
}
