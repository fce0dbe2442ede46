//! A solution as the search sees it — a machine for every operation and an order of the
//! operations on every machine — and its exact timing.
//!
//! The timing is the semi-active schedule of that routing: every operation starts as soon
//! as its job predecessor (plus transport), its machine predecessor, its release and its
//! machine's calendar allow. Heads (`start`) come from one forward pass in topological
//! order of the disjunctive graph, tails from one backward pass; a cycle (possible only
//! after a bad move) is reported instead of a timing.

use super::instance::{Instance, NONE};
use super::model::Time;

/// Machine assignment and machine sequences.
#[derive(Clone)]
pub(crate) struct Routing {
    pub machine: Vec<u32>,
    /// Working minutes of each operation on its assigned machine.
    pub duration: Vec<Time>,
    pub sequence: Vec<Vec<u32>>,
    pub position: Vec<u32>,
}

impl Routing {
    /// An empty routing with room for every operation on every machine, so that moves
    /// never reallocate.
    pub fn empty(inst: &Instance) -> Routing {
        Routing {
            machine: vec![NONE; inst.n],
            duration: vec![0; inst.n],
            sequence: (0..inst.machines)
                .map(|_| Vec::with_capacity(inst.n))
                .collect(),
            position: vec![NONE; inst.n],
        }
    }

    /// Copies `other` into `self` reusing the allocations.
    pub fn copy_from(&mut self, other: &Routing) {
        self.machine.copy_from_slice(&other.machine);
        self.duration.copy_from_slice(&other.duration);
        self.position.copy_from_slice(&other.position);
        for (mine, theirs) in self.sequence.iter_mut().zip(&other.sequence) {
            mine.clear();
            mine.extend_from_slice(theirs);
        }
    }

    #[inline]
    pub fn machine_pred(&self, v: usize) -> u32 {
        let p = self.position[v] as usize;
        if p == 0 {
            NONE
        } else {
            self.sequence[self.machine[v] as usize][p - 1]
        }
    }

    #[inline]
    pub fn machine_succ(&self, v: usize) -> u32 {
        let seq = &self.sequence[self.machine[v] as usize];
        let p = self.position[v] as usize + 1;
        if p < seq.len() { seq[p] } else { NONE }
    }

    /// Appends `v` to machine `m`.
    pub fn append(&mut self, v: usize, m: usize, duration: Time) {
        self.machine[v] = m as u32;
        self.duration[v] = duration;
        self.position[v] = self.sequence[m].len() as u32;
        self.sequence[m].push(v as u32);
    }

    /// Takes `v` off its machine.
    pub fn remove(&mut self, v: usize) {
        let m = self.machine[v] as usize;
        let p = self.position[v] as usize;
        self.sequence[m].remove(p);
        for (i, &u) in self.sequence[m].iter().enumerate().skip(p) {
            self.position[u as usize] = i as u32;
        }
    }

    /// Puts `v` (not on any sequence) at index `p` of machine `m`'s sequence.
    pub fn insert(&mut self, v: usize, m: usize, p: usize, duration: Time) {
        self.machine[v] = m as u32;
        self.duration[v] = duration;
        self.sequence[m].insert(p, v as u32);
        for (i, &u) in self.sequence[m].iter().enumerate().skip(p) {
            self.position[u as usize] = i as u32;
        }
    }

    /// Exchanges two operations that are next to each other on the same machine.
    pub fn swap_adjacent(&mut self, u: usize, w: usize) {
        let m = self.machine[u] as usize;
        let (pu, pw) = (self.position[u] as usize, self.position[w] as usize);
        self.sequence[m].swap(pu, pw);
        self.position[u] = pw as u32;
        self.position[w] = pu as u32;
    }
}

/// Heads, ends and tails of a routing, and scratch space for computing them.
pub(crate) struct Timing {
    pub start: Vec<Time>,
    pub end: Vec<Time>,
    /// Longest path from the end of an operation to the end of the schedule, counting
    /// each later operation's span and transport (an estimate when calendars pause work).
    pub tail: Vec<Time>,
    pub makespan: Time,
    order: Vec<u32>,
    pending: Vec<u8>,
    stack: Vec<u32>,
}

impl Timing {
    pub fn new(inst: &Instance) -> Timing {
        Timing {
            start: vec![0; inst.n],
            end: vec![0; inst.n],
            tail: vec![0; inst.n],
            makespan: 0,
            order: Vec::with_capacity(inst.n),
            pending: vec![0; inst.n],
            stack: Vec::with_capacity(inst.n),
        }
    }

    /// The ready time of `v` on its machine from everything except the calendar.
    #[inline]
    pub fn ready(&self, inst: &Instance, r: &Routing, v: usize) -> Time {
        let m = r.machine[v] as usize;
        let mut ready = inst.release_on(v, m).max(inst.free_from[m]);
        let jp = inst.job_pred[v];
        if jp != NONE {
            ready = ready.max(self.end[jp as usize] + inst.lag(r.machine[jp as usize] as usize, m));
        }
        let mp = r.machine_pred(v);
        if mp != NONE {
            ready = ready.max(self.end[mp as usize]);
        }
        ready
    }

    /// Computes exact heads and tails; returns `false` when the routing has a cycle.
    pub fn evaluate(&mut self, inst: &Instance, r: &Routing) -> bool {
        self.order.clear();
        self.stack.clear();
        for v in 0..inst.n {
            self.pending[v] = u8::from(inst.job_pred[v] != NONE) + u8::from(r.position[v] != 0);
            if self.pending[v] == 0 {
                self.stack.push(v as u32);
            }
        }
        let mut makespan = inst.frozen_makespan;
        while let Some(v) = self.stack.pop() {
            let v = v as usize;
            self.order.push(v as u32);
            let ready = self.ready(inst, r, v);
            let (start, end) = inst.place(r.machine[v] as usize, ready, r.duration[v]);
            self.start[v] = start;
            self.end[v] = end;
            makespan = makespan.max(end);
            for s in [inst.job_succ[v], r.machine_succ(v)] {
                if s != NONE {
                    self.pending[s as usize] -= 1;
                    if self.pending[s as usize] == 0 {
                        self.stack.push(s);
                    }
                }
            }
        }
        if self.order.len() != inst.n {
            return false;
        }
        self.makespan = makespan;
        for i in (0..inst.n).rev() {
            let v = self.order[i] as usize;
            let mut tail = 0;
            let js = inst.job_succ[v];
            if js != NONE {
                let s = js as usize;
                let lag = inst.lag(r.machine[v] as usize, r.machine[s] as usize);
                tail = tail.max(self.tail[s] + self.end[s] - self.start[s] + lag);
            }
            let ms = r.machine_succ(v);
            if ms != NONE {
                let s = ms as usize;
                tail = tail.max(self.tail[s] + self.end[s] - self.start[s]);
            }
            self.tail[v] = tail;
        }
        true
    }

    /// One critical path, first operation first, written into `path`: from the operation
    /// that ends last, follow whichever predecessor made each operation wait, preferring
    /// the machine predecessor on ties (longer critical blocks give more swap moves).
    pub fn critical_path(&self, inst: &Instance, r: &Routing, path: &mut Vec<u32>) {
        path.clear();
        let Some(last) = (0..inst.n).max_by_key(|&v| (self.end[v], std::cmp::Reverse(v))) else {
            return;
        };
        if self.end[last] < inst.frozen_makespan {
            return;
        }
        let mut v = last;
        loop {
            path.push(v as u32);
            let m = r.machine[v] as usize;
            let ready = self.ready(inst, r, v);
            let mp = r.machine_pred(v);
            let jp = inst.job_pred[v];
            if mp != NONE && self.end[mp as usize] == ready {
                v = mp as usize;
            } else if jp != NONE
                && self.end[jp as usize] + inst.lag(r.machine[jp as usize] as usize, m) == ready
            {
                v = jp as usize;
            } else {
                break;
            }
        }
        path.reverse();
    }
}
