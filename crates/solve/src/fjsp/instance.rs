//! The router's flat view of a validated [`Problem`]: only the operations still to plan,
//! numbered `0..n`, with their alternatives, job neighbours and earliest times in plain
//! vectors, and each machine's effective calendar (its windows minus its outages).
//! The search touches nothing else, so it never follows a pointer or allocates.

use super::model::{FOREVER, Problem, Time};

/// Marks "no such operation" in the `u32` neighbour arrays.
pub(crate) const NONE: u32 = u32::MAX;

pub(crate) struct Instance {
    pub n: usize,
    pub machines: usize,
    /// `(job, operation)` of each planned operation, for building the plan.
    pub origin: Vec<(usize, usize)>,
    pub job_pred: Vec<u32>,
    pub job_succ: Vec<u32>,
    /// Earliest start from release and re-planning time.
    pub base: Vec<Time>,
    /// End and factory of a frozen job predecessor, if any (`Time::MIN` when none).
    pub frozen_pred_end: Vec<Time>,
    pub frozen_pred_factory: Vec<usize>,
    /// Alternatives of operation `v` are `alt_start[v]..alt_start[v + 1]`.
    pub alt_start: Vec<usize>,
    pub alt_machine: Vec<u32>,
    pub alt_duration: Vec<Time>,
    pub factory: Vec<usize>,
    factories: usize,
    transport: Vec<Time>,
    /// A machine is free for planned operations from this time (after frozen ones).
    pub free_from: Vec<Time>,
    /// Effective working windows per machine; `always[m]` short-cuts `[0, ∞)`.
    windows: Vec<Vec<(Time, Time)>>,
    always: Vec<bool>,
    /// The latest end of a frozen operation: a floor for the makespan.
    pub frozen_makespan: Time,
    /// Whether any transport lag is non-zero; when none is, `lag` skips the lookups
    /// (the academic benchmarks have a single factory, and this is the hottest path).
    has_transport: bool,
}

impl Instance {
    /// Builds the flat view; `problem` must be valid.
    pub fn new(problem: &Problem) -> Instance {
        let machines = problem.machines.len();
        let factories = problem.factories.len();
        let mut inst = Instance {
            n: 0,
            machines,
            origin: Vec::new(),
            job_pred: Vec::new(),
            job_succ: Vec::new(),
            base: Vec::new(),
            frozen_pred_end: Vec::new(),
            frozen_pred_factory: Vec::new(),
            alt_start: vec![0],
            alt_machine: Vec::new(),
            alt_duration: Vec::new(),
            factory: problem.machines.iter().map(|m| m.factory).collect(),
            factories,
            transport: problem.transport.iter().flatten().copied().collect(),
            free_from: vec![problem.not_before; machines],
            windows: Vec::with_capacity(machines),
            always: Vec::with_capacity(machines),
            frozen_makespan: 0,
            has_transport: problem.transport.iter().flatten().any(|&t| t != 0),
        };
        for f in &problem.frozen {
            inst.free_from[f.machine] = inst.free_from[f.machine].max(f.end);
            inst.frozen_makespan = inst.frozen_makespan.max(f.end);
        }
        for (j, job) in problem.jobs.iter().enumerate() {
            let mut previous = NONE;
            for (o, operation) in job.operations.iter().enumerate() {
                if problem.frozen_at(j, o).is_some() {
                    continue;
                }
                let v = inst.n as u32;
                inst.n += 1;
                inst.origin.push((j, o));
                inst.job_pred.push(previous);
                inst.job_succ.push(NONE);
                if previous != NONE {
                    inst.job_succ[previous as usize] = v;
                }
                inst.base.push(job.release.max(problem.not_before));
                match o.checked_sub(1).and_then(|p| problem.frozen_at(j, p)) {
                    Some(f) if previous == NONE => {
                        inst.frozen_pred_end.push(f.end);
                        inst.frozen_pred_factory
                            .push(problem.machines[f.machine].factory);
                    }
                    _ => {
                        inst.frozen_pred_end.push(Time::MIN);
                        inst.frozen_pred_factory.push(0);
                    }
                }
                for a in &operation.alternatives {
                    inst.alt_machine.push(a.machine as u32);
                    inst.alt_duration.push(a.duration);
                }
                inst.alt_start.push(inst.alt_machine.len());
                previous = v;
            }
        }
        for (m, machine) in problem.machines.iter().enumerate() {
            let windows = effective_windows(
                &machine
                    .calendar
                    .windows
                    .iter()
                    .map(|w| (w.start, w.end))
                    .collect::<Vec<_>>(),
                problem
                    .outages
                    .iter()
                    .filter(|o| o.machine == m)
                    .map(|o| (o.from, o.until.unwrap_or(FOREVER))),
            );
            inst.always
                .push(windows.len() == 1 && windows[0].0 <= 0 && windows[0].1 >= FOREVER);
            inst.windows.push(windows);
        }
        inst
    }

    /// Transport lag from the factory of machine `a` to that of machine `b`.
    #[inline]
    pub fn lag(&self, a: usize, b: usize) -> Time {
        if !self.has_transport {
            return 0;
        }
        self.transport[self.factory[a] * self.factories + self.factory[b]]
    }

    #[inline]
    pub fn factory_lag(&self, from_factory: usize, to_machine: usize) -> Time {
        self.transport[from_factory * self.factories + self.factory[to_machine]]
    }

    /// Earliest start of `v` on machine `m` from its release and frozen predecessor.
    #[inline]
    pub fn release_on(&self, v: usize, m: usize) -> Time {
        let fp = self.frozen_pred_end[v];
        if fp == Time::MIN {
            self.base[v]
        } else {
            self.base[v].max(fp + self.factory_lag(self.frozen_pred_factory[v], m))
        }
    }

    /// Duration of `v` on `m`, if `m` can do it.
    pub fn duration_on(&self, v: usize, m: usize) -> Option<Time> {
        (self.alt_start[v]..self.alt_start[v + 1])
            .find(|&a| self.alt_machine[a] as usize == m)
            .map(|a| self.alt_duration[a])
    }

    /// Start and end of an operation of `duration` working minutes on `m` that may start
    /// at `ready`: it starts at the first working minute and pauses over non-working time.
    /// Ends at [`FOREVER`] when the calendar runs out first.
    #[inline]
    pub fn place(&self, m: usize, ready: Time, duration: Time) -> (Time, Time) {
        if duration == 0 {
            return (ready, ready);
        }
        if self.always[m] {
            let start = ready.max(0);
            return (start, (start + duration).min(FOREVER));
        }
        let windows = &self.windows[m];
        // First window whose end lies after `ready`.
        let mut w = windows.partition_point(|&(_, end)| end <= ready);
        if w == windows.len() {
            return (FOREVER, FOREVER);
        }
        let start = ready.max(windows[w].0);
        let mut remaining = duration;
        let mut at = start;
        loop {
            let available = windows[w].1 - at;
            if remaining <= available {
                return (start, at + remaining);
            }
            remaining -= available;
            w += 1;
            if w == windows.len() {
                return (start, FOREVER);
            }
            at = windows[w].0;
        }
    }
}

/// Calendar windows minus outage intervals, as sorted disjoint non-empty windows.
fn effective_windows(
    windows: &[(Time, Time)],
    outages: impl Iterator<Item = (Time, Time)>,
) -> Vec<(Time, Time)> {
    let mut result = windows.to_vec();
    for (from, until) in outages {
        let mut next = Vec::with_capacity(result.len() + 1);
        for &(s, e) in &result {
            if until <= s || e <= from {
                next.push((s, e));
                continue;
            }
            if s < from {
                next.push((s, from));
            }
            if until < e {
                next.push((until, e));
            }
        }
        result = next;
    }
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::fjsp::model::{Alternative, Calendar, Job, Operation, Outage, Window};

    fn one_machine(calendar: Calendar, outages: Vec<Outage>) -> Instance {
        let job = Job {
            name: "J".into(),
            release: 0,
            due: None,
            operations: vec![Operation {
                alternatives: vec![Alternative {
                    machine: 0,
                    duration: 5,
                }],
            }],
        };
        let mut problem = Problem::single_factory(1, vec![job]);
        problem.machines[0].calendar = calendar;
        problem.outages = outages;
        Instance::new(&problem)
    }

    #[test]
    fn an_operation_pauses_over_the_night_and_resumes_next_morning() {
        let inst = one_machine(Calendar::repeating(100, &[(10, 14)], 3), vec![]);
        assert_eq!(inst.place(0, 0, 5), (10, 111));
        assert_eq!(inst.place(0, 14, 4), (110, 114));
        assert_eq!(inst.place(0, 0, 13), (10, FOREVER));
    }

    #[test]
    fn an_outage_cuts_working_time_out_of_the_calendar() {
        let inst = one_machine(
            Calendar {
                windows: vec![Window {
                    start: 0,
                    end: FOREVER,
                }],
            },
            vec![Outage {
                machine: 0,
                from: 3,
                until: Some(10),
            }],
        );
        assert_eq!(inst.place(0, 0, 5), (0, 12));
        assert_eq!(inst.place(0, 4, 1), (10, 11));
    }
}
