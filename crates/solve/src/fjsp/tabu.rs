//! Tabu search over the critical path, after Mastrolilli & Gambardella (2000).
//!
//! Each iteration looks only at one critical path of the current routing:
//! - *reassignment*: take a critical operation off its machine and insert it into the
//!   sequence of any eligible machine (its own included), at one of the positions that
//!   MG2000 proves acyclic (after every operation that may precede it, before every one
//!   that may follow it);
//! - *swap*: exchange the first two or the last two operations of a critical block
//!   (the N5 neighbourhood of Nowicki & Smutnicki).
//!
//! Moves are ranked by the approximate length of the longest path through the moved
//! operations, computed from the current heads and tails in O(1) per position (MG2000's
//! estimate); only the chosen move is applied and timed exactly. Reassignment puts the
//! (operation, old machine) pair on the tabu list, a swap the reversed pair; a tabu move
//! is allowed when its estimate beats the best makespan (aspiration). When the best has
//! not improved for a while, a few random critical moves kick the search elsewhere
//! (mostly from where it is, sometimes from the best routing found).
//!
//! The inner loop allocates nothing: sequences keep their capacity, candidate moves are
//! compared as they are generated, and ties are broken by reservoir sampling.

use super::instance::{Instance, NONE};
use super::model::Time;
use super::schedule::{Routing, Timing};
use rand::Rng;
use rand::rngs::SmallRng;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Move {
    /// Put `v` at `index` of machine `machine`'s sequence (without `v`, if it is there).
    Reassign { v: u32, machine: u32, index: u32 },
    /// Exchange `u` and its machine successor `w`.
    Swap { u: u32, w: u32 },
}

/// How [`Search::scan`] picks among the neighbours.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pick {
    /// The lowest estimate among allowed moves, ties broken at random.
    Best,
    /// Any neighbour, uniformly: for perturbation.
    Random,
}

/// When to stop.
pub(crate) struct Limits {
    /// `None` when only the iteration limit counts.
    pub deadline: Option<Instant>,
    pub max_iterations: u64,
    /// Stop as soon as the makespan reaches this (a lower bound).
    pub lower_bound: Time,
}

pub(crate) struct Outcome {
    pub best: Routing,
    pub makespan: Time,
    pub iterations: u64,
    pub restarts: u64,
    pub reached_lower_bound: bool,
}

pub(crate) struct Search<'a> {
    inst: &'a Instance,
    rng: SmallRng,
    current: Routing,
    timing: Timing,
    best: Routing,
    best_makespan: Time,
    path: Vec<u32>,
    /// `tabu_machine[v * machines + m]`: iteration until which moving `v` onto `m` is tabu.
    tabu_machine: Vec<u64>,
    /// Recently reversed machine arcs `(u, w, until)`: swapping `u` before `w` back is tabu.
    tabu_swaps: Vec<(u32, u32, u64)>,
    iteration: u64,
    // The move chosen by the current scan, with the number of equal candidates seen
    // (for uniform tie-breaking without collecting them).
    chosen: Option<(Move, Time)>,
    ties: u32,
    tabu_fallback: Option<(Move, Time)>,
}

impl<'a> Search<'a> {
    /// Starts from a complete, acyclic routing.
    pub fn new(inst: &'a Instance, start: Routing, rng: SmallRng) -> Search<'a> {
        let mut timing = Timing::new(inst);
        let acyclic = timing.evaluate(inst, &start);
        debug_assert!(
            acyclic,
            "the start routing is a list schedule and cannot have a cycle"
        );
        Search {
            inst,
            rng,
            best: start.clone(),
            current: start,
            best_makespan: timing.makespan,
            timing,
            path: Vec::with_capacity(inst.n),
            tabu_machine: vec![0; inst.n * inst.machines],
            tabu_swaps: Vec::with_capacity(64),
            iteration: 0,
            chosen: None,
            ties: 0,
            tabu_fallback: None,
        }
    }

    pub fn run(mut self, limits: &Limits) -> Outcome {
        let n = self.inst.n as u64;
        let machines = self.inst.machines.max(1) as u64;
        // Tenure grows with the number of operations per machine, as in MG2000 where it
        // depends on the instance size; randomised to avoid cycling. A short patience
        // before perturbing worked best on Brandimarte's Mk03–Mk10 and Hurink's la16–la40.
        let tenure_min = 2 + n / (8 * machines);
        let tenure_range = 2 + n / machines;
        let patience = (300 + 10 * n).min(3000);
        let mut last_improvement = 0u64;
        let mut restarts = 0u64;
        let mut reached_lower_bound = self.best_makespan <= limits.lower_bound;
        while !reached_lower_bound && self.iteration < limits.max_iterations {
            if self.iteration.is_multiple_of(64)
                && limits.deadline.is_some_and(|d| Instant::now() >= d)
            {
                break;
            }
            self.iteration += 1;
            if self.iteration - last_improvement > patience {
                restarts += 1;
                last_improvement = self.iteration;
                self.perturb();
                continue;
            }
            self.timing
                .critical_path(self.inst, &self.current, &mut self.path);
            if self.path.is_empty() {
                // Frozen operations alone set the makespan: nothing left to improve.
                break;
            }
            self.scan(Pick::Best);
            let Some((step, _)) = self.chosen.or(self.tabu_fallback) else {
                // No operation on the critical path can move: the path is a chain of
                // single-machine operations of one job, a lower bound this routing meets.
                break;
            };
            let tenure = tenure_min + self.rng.random_range(0..=tenure_range);
            if !self.apply(step, tenure) {
                continue;
            }

            if self.timing.makespan < self.best_makespan {
                self.best_makespan = self.timing.makespan;
                self.best.copy_from(&self.current);
                last_improvement = self.iteration;
                reached_lower_bound = self.best_makespan <= limits.lower_bound;
            }
        }
        Outcome {
            best: self.best,
            makespan: self.best_makespan,
            iterations: self.iteration,
            restarts,
            reached_lower_bound,
        }
    }

    /// Applies a move and times the result exactly. A move that closes a cycle (possible
    /// only with zero durations, which break MG2000's argument) is undone and made tabu.
    fn apply(&mut self, step: Move, tenure: u64) -> bool {
        let until = self.iteration + tenure;
        let machines = self.inst.machines;
        match step {
            Move::Reassign { v, machine, index } => {
                let v = v as usize;
                let (old_machine, old_index) = (
                    self.current.machine[v] as usize,
                    self.current.position[v] as usize,
                );
                let old_duration = self.current.duration[v];
                let duration = self
                    .inst
                    .duration_on(v, machine as usize)
                    .unwrap_or(old_duration);
                self.current.remove(v);
                self.current
                    .insert(v, machine as usize, index as usize, duration);
                if self.timing.evaluate(self.inst, &self.current) {
                    self.tabu_machine[v * machines + old_machine] = until;
                    return true;
                }
                self.current.remove(v);
                self.current.insert(v, old_machine, old_index, old_duration);
                self.tabu_machine[v * machines + machine as usize] = until;
            }
            Move::Swap { u, w } => {
                self.current.swap_adjacent(u as usize, w as usize);
                if self.timing.evaluate(self.inst, &self.current) {
                    self.remember_swap(w, u, until);
                    return true;
                }
                self.current.swap_adjacent(w as usize, u as usize);
                self.remember_swap(u, w, until);
            }
        }
        let restored = self.timing.evaluate(self.inst, &self.current);
        debug_assert!(restored, "undoing a move restores an acyclic routing");
        false
    }

    fn remember_swap(&mut self, u: u32, w: u32, until: u64) {
        let now = self.iteration;
        self.tabu_swaps.retain(|&(_, _, t)| t > now);
        self.tabu_swaps.push((u, w, until));
    }

    fn swap_is_tabu(&self, u: u32, w: u32) -> bool {
        self.tabu_swaps
            .iter()
            .any(|&(a, b, t)| a == u && b == w && t > self.iteration)
    }

    /// Applies a few random critical moves to the current or the best routing.
    fn perturb(&mut self) {
        // Mostly kick the current routing (a random walk between local optima, which
        // reaches farther); now and then return to the best one to intensify.
        if self.rng.random_range(0..10) == 0 {
            self.current.copy_from(&self.best);
            let acyclic = self.timing.evaluate(self.inst, &self.current);
            debug_assert!(acyclic);
        }
        self.tabu_machine.fill(0);
        self.tabu_swaps.clear();
        let moves = 2 + self.rng.random_range(0..=(self.inst.n / 25).max(2));
        for _ in 0..moves {
            self.timing
                .critical_path(self.inst, &self.current, &mut self.path);
            if self.path.is_empty() {
                return;
            }
            self.scan(Pick::Random);
            if let Some((step, _)) = self.chosen {
                self.apply(step, 0);
            }
        }
    }

    /// Considers one neighbour.
    #[inline]
    fn consider(&mut self, pick: Pick, step: Move, estimate: Time, tabu: bool) {
        if pick == Pick::Random {
            self.ties += 1;
            if self.rng.random_range(0..self.ties) == 0 {
                self.chosen = Some((step, estimate));
            }
            return;
        }
        if tabu && estimate >= self.best_makespan {
            if self.tabu_fallback.is_none_or(|(_, e)| estimate < e) {
                self.tabu_fallback = Some((step, estimate));
            }
            return;
        }
        match self.chosen {
            Some((_, e)) if estimate > e => {}
            Some((_, e)) if estimate == e => {
                self.ties += 1;
                if self.rng.random_range(0..self.ties) == 0 {
                    self.chosen = Some((step, estimate));
                }
            }
            _ => {
                self.chosen = Some((step, estimate));
                self.ties = 1;
            }
        }
    }

    /// Scans the neighbourhood of the current critical path (in `self.path`).
    fn scan(&mut self, pick: Pick) {
        self.chosen = None;
        self.tabu_fallback = None;
        self.ties = 0;
        let inst = self.inst;
        for i in 0..self.path.len() {
            let v = self.path[i] as usize;
            for a in inst.alt_start[v]..inst.alt_start[v + 1] {
                let k = inst.alt_machine[a] as usize;
                self.scan_reassignments(pick, v, k, inst.alt_duration[a]);
            }
        }
        // Critical blocks: runs of path operations that follow each other on a machine.
        let mut block_start = 0;
        for i in 1..=self.path.len() {
            let continues = i < self.path.len() && {
                let (u, w) = (self.path[i - 1] as usize, self.path[i] as usize);
                self.current.machine[u] == self.current.machine[w]
                    && self.current.position[w] == self.current.position[u] + 1
            };
            if continues {
                continue;
            }
            let block_end = i - 1;
            if block_end > block_start {
                self.consider_swap(pick, self.path[block_start], self.path[block_start + 1]);
                if block_end - 1 > block_start {
                    self.consider_swap(pick, self.path[block_end - 1], self.path[block_end]);
                }
            }
            block_start = i;
        }
    }

    fn span(&self, v: usize) -> Time {
        self.timing.end[v] - self.timing.start[v]
    }

    /// MG2000 insertion of `v` into machine `k`'s sequence at every acyclic position.
    fn scan_reassignments(&mut self, pick: Pick, v: usize, k: usize, duration: Time) {
        let inst = self.inst;
        let (r, t) = (&self.current, &self.timing);
        let mut head = inst.release_on(v, k).max(inst.free_from[k]);
        let jp = inst.job_pred[v];
        if jp != NONE {
            let jp = jp as usize;
            head = head.max(t.end[jp] + inst.lag(r.machine[jp] as usize, k));
        }
        let mut tail = 0;
        let js = inst.job_succ[v];
        if js != NONE {
            let js = js as usize;
            tail = inst.lag(k, r.machine[js] as usize) + self.span(js) + t.tail[js];
        }
        // Every position's estimate is at least `head + duration + tail`; when that
        // already exceeds the best estimate found, no position can win or tie, so the
        // machine is skipped without changing which move is chosen.
        if pick == Pick::Best && self.chosen.is_some_and(|(_, e)| head + duration + tail > e) {
            return;
        }
        let sequence = &r.sequence[k];
        // On v's own machine, positions refer to the sequence without v.
        let own = r.machine[v] as usize == k;
        let skip = if own {
            r.position[v] as usize
        } else {
            usize::MAX
        };
        let len = sequence.len() - usize::from(own);
        let at = |i: usize| sequence[if i >= skip { i + 1 } else { i }] as usize;
        // MG2000: an operation whose tail outweighs v's (`heavy_tail`) but whose end does
        // not pass v's earliest start could be an ancestor of v, so v goes after it; one
        // that ends after v's earliest start but has the lighter tail could be a
        // descendant, so v goes before it. Positions in between keep the graph acyclic.
        let mut lo = 0;
        let mut hi = len;
        for i in 0..len {
            let x = at(i);
            let late_end = t.end[x] > head;
            let heavy_tail = (t.end[x] - t.start[x]) + t.tail[x] > tail;
            if heavy_tail && !late_end {
                lo = i + 1;
            }
            if late_end && !heavy_tail && hi == len {
                hi = i;
            }
        }
        if lo > hi || (own && lo == hi && lo == skip) {
            return;
        }
        let tabu = self.tabu_machine[v * inst.machines + k] > self.iteration;
        let estimate_at = |index: usize| {
            if index == skip {
                return Time::MAX;
            }
            let before = if index > 0 {
                t.end[at(index - 1)]
            } else {
                Time::MIN
            };
            let after = if index < len {
                let x = at(index);
                (t.end[x] - t.start[x]) + t.tail[x]
            } else {
                0
            };
            head.max(before) + duration + tail.max(after)
        };
        // Only the best position per machine competes (first one on ties); a random
        // pick takes any position.
        let (index, estimate) = if pick == Pick::Random {
            let index = self.rng.random_range(lo..=hi);
            (index, estimate_at(index))
        } else {
            (lo..=hi)
                .map(|i| (i, estimate_at(i)))
                .min_by_key(|&(_, e)| e)
                .unwrap_or((lo, Time::MAX))
        };
        if estimate == Time::MAX {
            return;
        }
        let step = Move::Reassign {
            v: v as u32,
            machine: k as u32,
            index: index as u32,
        };
        self.consider(pick, step, estimate, tabu);
    }

    /// Estimate for exchanging `u` and its machine successor `w` (Balas & Vazacopoulos).
    fn consider_swap(&mut self, pick: Pick, u: u32, w: u32) {
        let inst = self.inst;
        let (uu, ww) = (u as usize, w as usize);
        if inst.job_succ[uu] == w {
            return;
        }
        let (r, t) = (&self.current, &self.timing);
        let m = r.machine[uu] as usize;
        let job_head = |v: usize| {
            let mut h = inst.release_on(v, m).max(inst.free_from[m]);
            let jp = inst.job_pred[v];
            if jp != NONE {
                h = h.max(t.end[jp as usize] + inst.lag(r.machine[jp as usize] as usize, m));
            }
            h
        };
        let job_tail = |v: usize| {
            let js = inst.job_succ[v];
            if js == NONE {
                0
            } else {
                let js = js as usize;
                inst.lag(m, r.machine[js] as usize) + (t.end[js] - t.start[js]) + t.tail[js]
            }
        };
        let mp = r.machine_pred(uu);
        let ms = r.machine_succ(ww);
        let (pu, pw) = (r.duration[uu], r.duration[ww]);
        let head_w = job_head(ww).max(if mp == NONE {
            Time::MIN
        } else {
            t.end[mp as usize]
        });
        let head_u = job_head(uu).max(head_w + pw);
        let after = if ms == NONE {
            0
        } else {
            (t.end[ms as usize] - t.start[ms as usize]) + t.tail[ms as usize]
        };
        let tail_u = job_tail(uu).max(after);
        let tail_w = job_tail(ww).max(tail_u + pu);
        let estimate = (head_w + pw + tail_w).max(head_u + pu + tail_u);
        let tabu = self.swap_is_tabu(u, w);
        self.consider(pick, Move::Swap { u, w }, estimate, tabu);
    }
}
