//! The routing problem as callers describe it: factories, their machines and working
//! calendars, jobs made of operations, transport lags between factories, and — when
//! re-planning — the operations already started or finished and the machines that broke.
//!
//! Time is an integer number of minutes from an origin the caller chooses (for example
//! Monday 00:00 of the planning week). [`Problem::validate`] turns every inconsistency into
//! a [`ProblemError`] that names the job, operation or machine at fault, so the router
//! never has to guess what a malformed problem meant.

use thiserror::Error;

/// Minutes since the caller's time origin.
pub type Time = i64;

/// The end of a calendar window that never closes.
pub const FOREVER: Time = i64::MAX / 8;

/// The longest operation, in minutes (about 1,900 years): far beyond any real job, and
/// small enough that the sums of durations the router forms stay well below
/// [`FOREVER`] and cannot overflow.
pub const MAX_DURATION: Time = 1_000_000_000;

/// A factory (工場) of the 仲間まわし network; machines belong to exactly one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factory {
    pub name: String,
}

/// One half-open interval `[start, end)` of working time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: Time,
    pub end: Time,
}

/// When a machine works, as sorted, disjoint, non-empty windows.
///
/// Semantics (pausable, as in most job shops that run day shifts): an operation of
/// duration `p > 0` starts at a working minute and ends when it has received `p` working
/// minutes; it may pause across non-working time but keeps the machine while paused, so
/// nothing else runs on that machine in between. After the last window the machine does
/// not work; use [`FOREVER`] as the last end for an open-ended calendar. Operations of
/// duration 0 are instantaneous and ignore the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub windows: Vec<Window>,
}

impl Calendar {
    /// A machine that works around the clock from time 0 on.
    pub fn always() -> Self {
        Calendar {
            windows: vec![Window {
                start: 0,
                end: FOREVER,
            }],
        }
    }

    /// A shift pattern repeated every `period` minutes for `periods` periods, e.g. a
    /// weekday 8:00–17:00 shift is `repeating(1440, &[(480, 1020)], 5)`.
    pub fn repeating(period: Time, shifts: &[(Time, Time)], periods: usize) -> Self {
        let mut windows = Vec::with_capacity(shifts.len() * periods);
        for k in 0..periods as Time {
            for &(start, end) in shifts {
                windows.push(Window {
                    start: k * period + start,
                    end: k * period + end,
                });
            }
        }
        Calendar { windows }
    }
}

/// A machine (設備): it belongs to one factory and works according to its calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    pub name: String,
    pub factory: usize,
    pub calendar: Calendar,
}

/// One way of doing an operation: on `machine`, taking `duration` working minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alternative {
    pub machine: usize,
    pub duration: Time,
}

/// One process step of a job (e.g. turning, then plating), doable on any of its
/// alternatives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub alternatives: Vec<Alternative>,
}

/// A multi-process job: its operations run in the given order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub name: String,
    /// The job's material is available from this time on.
    pub release: Time,
    /// When the customer expects it; only reported (as tardiness), never a constraint.
    pub due: Option<Time>,
    pub operations: Vec<Operation>,
}

/// An operation that has started (or finished) and must stay exactly where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrozenOperation {
    pub job: usize,
    pub operation: usize,
    pub machine: usize,
    pub start: Time,
    /// The (possibly delayed) end reported by the factory.
    pub end: Time,
}

/// A machine that stopped working at `from`, until `until` (or for good when `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    pub machine: usize,
    pub from: Time,
    pub until: Option<Time>,
}

/// Everything the router needs to know.
///
/// Re-planning uses the same type: `frozen` lists the operations that keep their place,
/// `outages` the machine breakdowns, and `not_before` the moment of re-planning (no
/// operation that is not frozen may start earlier).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub factories: Vec<Factory>,
    pub machines: Vec<Machine>,
    pub jobs: Vec<Job>,
    /// `transport[a][b]`: minutes a job needs to travel from factory `a` to factory `b`
    /// between two consecutive operations. Trucks run whatever the calendars say.
    pub transport: Vec<Vec<Time>>,
    pub frozen: Vec<FrozenOperation>,
    pub outages: Vec<Outage>,
    pub not_before: Time,
}

/// What is wrong with a [`Problem`]. Jobs, operations and machines are 0-based indices.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProblemError {
    #[error("the problem has no machines")]
    NoMachines,
    #[error("the problem has no factories")]
    NoFactories,
    #[error("job {job} has no operations")]
    EmptyJob { job: usize },
    #[error("job {job}, operation {operation}: no machine can do it (no alternatives)")]
    NoEligibleMachine { job: usize, operation: usize },
    #[error(
        "job {job}, operation {operation}: machine {machine} does not exist ({machines} machines)"
    )]
    MachineOutOfRange {
        job: usize,
        operation: usize,
        machine: usize,
        machines: usize,
    },
    #[error("job {job}, operation {operation}: machine {machine} is listed twice")]
    DuplicateAlternative {
        job: usize,
        operation: usize,
        machine: usize,
    },
    #[error(
        "job {job}, operation {operation}: duration {duration} is negative or over {MAX_DURATION}"
    )]
    DurationOutOfRange {
        job: usize,
        operation: usize,
        duration: Time,
    },
    #[error("job {job}: negative release time {release}")]
    NegativeRelease { job: usize, release: Time },
    #[error("machine {machine}: factory {factory} does not exist ({factories} factories)")]
    FactoryOutOfRange {
        machine: usize,
        factory: usize,
        factories: usize,
    },
    #[error("machine {machine}: the calendar has no working time")]
    NoWorkingTime { machine: usize },
    #[error(
        "machine {machine}: calendar window {window} is empty, unsorted or overlaps the previous one"
    )]
    BadWindow { machine: usize, window: usize },
    #[error("the transport matrix must be {factories}×{factories} with non-negative entries")]
    TransportShape { factories: usize },
    #[error(
        "outage {outage}: machine {machine} does not exist or the outage ends before it starts"
    )]
    BadOutage { outage: usize, machine: usize },
    #[error("frozen entry {index}: job {job}, operation {operation} does not exist")]
    FrozenUnknownOperation {
        index: usize,
        job: usize,
        operation: usize,
    },
    #[error("job {job}, operation {operation} is frozen twice")]
    FrozenTwice { job: usize, operation: usize },
    #[error("job {job}, operation {operation}: frozen on machine {machine}, which cannot do it")]
    FrozenIneligible {
        job: usize,
        operation: usize,
        machine: usize,
    },
    #[error("job {job}, operation {operation}: frozen end {end} is before its start {start}")]
    FrozenEndsBeforeStart {
        job: usize,
        operation: usize,
        start: Time,
        end: Time,
    },
    #[error(
        "job {job}, operation {operation} is frozen but an earlier operation of the job is not"
    )]
    FrozenNotPrefix { job: usize, operation: usize },
    #[error(
        "job {job}, operation {operation}: frozen start is before its predecessor's end plus transport"
    )]
    FrozenPrecedence { job: usize, operation: usize },
    #[error("machine {machine}: frozen operations (job {job}, operation {operation}) overlap")]
    FrozenOverlap {
        machine: usize,
        job: usize,
        operation: usize,
    },
}

impl Problem {
    /// A problem on one factory whose machines all work around the clock: the shape of
    /// the academic benchmarks.
    pub fn single_factory(machines: usize, jobs: Vec<Job>) -> Self {
        Problem {
            factories: vec![Factory {
                name: "factory".to_owned(),
            }],
            machines: (0..machines)
                .map(|m| Machine {
                    name: format!("M{}", m + 1),
                    factory: 0,
                    calendar: Calendar::always(),
                })
                .collect(),
            jobs,
            transport: vec![vec![0]],
            frozen: Vec::new(),
            outages: Vec::new(),
            not_before: 0,
        }
    }

    /// The number of operations over all jobs.
    pub fn operation_count(&self) -> usize {
        self.jobs.iter().map(|job| job.operations.len()).sum()
    }

    /// The frozen entry of an operation, if any.
    pub fn frozen_at(&self, job: usize, operation: usize) -> Option<&FrozenOperation> {
        self.frozen
            .iter()
            .find(|f| f.job == job && f.operation == operation)
    }

    /// Checks every structural rule the router relies on.
    pub fn validate(&self) -> Result<(), ProblemError> {
        if self.factories.is_empty() {
            return Err(ProblemError::NoFactories);
        }
        if self.machines.is_empty() {
            return Err(ProblemError::NoMachines);
        }
        let factories = self.factories.len();
        if self.transport.len() != factories
            || self
                .transport
                .iter()
                .any(|row| row.len() != factories || row.iter().any(|&t| t < 0))
        {
            return Err(ProblemError::TransportShape { factories });
        }
        for (m, machine) in self.machines.iter().enumerate() {
            if machine.factory >= factories {
                return Err(ProblemError::FactoryOutOfRange {
                    machine: m,
                    factory: machine.factory,
                    factories,
                });
            }
            if machine.calendar.windows.is_empty() {
                return Err(ProblemError::NoWorkingTime { machine: m });
            }
            let mut previous_end = Time::MIN;
            for (w, window) in machine.calendar.windows.iter().enumerate() {
                if window.start >= window.end || window.start < previous_end {
                    return Err(ProblemError::BadWindow {
                        machine: m,
                        window: w,
                    });
                }
                previous_end = window.end;
            }
        }
        let machines = self.machines.len();
        for (j, job) in self.jobs.iter().enumerate() {
            if job.operations.is_empty() {
                return Err(ProblemError::EmptyJob { job: j });
            }
            if job.release < 0 {
                return Err(ProblemError::NegativeRelease {
                    job: j,
                    release: job.release,
                });
            }
            for (o, operation) in job.operations.iter().enumerate() {
                if operation.alternatives.is_empty() {
                    return Err(ProblemError::NoEligibleMachine {
                        job: j,
                        operation: o,
                    });
                }
                for (a, alternative) in operation.alternatives.iter().enumerate() {
                    if alternative.machine >= machines {
                        return Err(ProblemError::MachineOutOfRange {
                            job: j,
                            operation: o,
                            machine: alternative.machine,
                            machines,
                        });
                    }
                    if !(0..=MAX_DURATION).contains(&alternative.duration) {
                        return Err(ProblemError::DurationOutOfRange {
                            job: j,
                            operation: o,
                            duration: alternative.duration,
                        });
                    }
                    if operation.alternatives[..a]
                        .iter()
                        .any(|b| b.machine == alternative.machine)
                    {
                        return Err(ProblemError::DuplicateAlternative {
                            job: j,
                            operation: o,
                            machine: alternative.machine,
                        });
                    }
                }
            }
        }
        for (i, outage) in self.outages.iter().enumerate() {
            if outage.machine >= machines || outage.until.is_some_and(|until| until < outage.from) {
                return Err(ProblemError::BadOutage {
                    outage: i,
                    machine: outage.machine,
                });
            }
        }
        self.validate_frozen()
    }

    fn validate_frozen(&self) -> Result<(), ProblemError> {
        for (i, f) in self.frozen.iter().enumerate() {
            let Some(operation) = self
                .jobs
                .get(f.job)
                .and_then(|job| job.operations.get(f.operation))
            else {
                return Err(ProblemError::FrozenUnknownOperation {
                    index: i,
                    job: f.job,
                    operation: f.operation,
                });
            };
            if self.frozen[..i]
                .iter()
                .any(|g| g.job == f.job && g.operation == f.operation)
            {
                return Err(ProblemError::FrozenTwice {
                    job: f.job,
                    operation: f.operation,
                });
            }
            if !operation
                .alternatives
                .iter()
                .any(|a| a.machine == f.machine)
            {
                return Err(ProblemError::FrozenIneligible {
                    job: f.job,
                    operation: f.operation,
                    machine: f.machine,
                });
            }
            if f.end < f.start {
                return Err(ProblemError::FrozenEndsBeforeStart {
                    job: f.job,
                    operation: f.operation,
                    start: f.start,
                    end: f.end,
                });
            }
        }
        // Second pass, once every entry is known to name a real operation and machine.
        for (i, f) in self.frozen.iter().enumerate() {
            // Started operations are a prefix of their job: the router plans the rest of
            // each job after its last frozen operation.
            if f.operation > 0 {
                match self.frozen_at(f.job, f.operation - 1) {
                    None => {
                        return Err(ProblemError::FrozenNotPrefix {
                            job: f.job,
                            operation: f.operation,
                        });
                    }
                    Some(p) => {
                        let lag = self.lag(p.machine, f.machine);
                        if p.end + lag > f.start {
                            return Err(ProblemError::FrozenPrecedence {
                                job: f.job,
                                operation: f.operation,
                            });
                        }
                    }
                }
            }
            let overlapping = self.frozen[..i].iter().any(|g| {
                g.machine == f.machine
                    && g.start < f.end
                    && f.start < g.end
                    && g.start < g.end
                    && f.start < f.end
            });
            if overlapping {
                return Err(ProblemError::FrozenOverlap {
                    machine: f.machine,
                    job: f.job,
                    operation: f.operation,
                });
            }
        }
        Ok(())
    }

    /// Transport minutes from the factory of machine `from` to that of machine `to`.
    pub fn lag(&self, from: usize, to: usize) -> Time {
        self.transport[self.machines[from].factory][self.machines[to].factory]
    }
}
