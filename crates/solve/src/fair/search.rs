//! The search: a weight-ordered greedy start, then simulated annealing over
//! ejection moves.
//!
//! Per slot the meetings form a matching of at most `tables` edges, so the only ways
//! a request `r = {a, b}` can enter slot `s` are to push out whatever `a` and `b`
//! already do in `s` and, when the slot is full, one more meeting of `s` (the
//! lightest). A move does exactly that and then repairs: every meeting pushed out
//! tries another slot where it still fits, and every (participant, slot) that
//! became free is offered to the heaviest unscheduled request that fits there. This
//! is a depth-limited ejection chain; chains longer than one move arise from
//! accepting moves that keep the weight equal (a sideways step frees a slot that a
//! later move uses), and the annealing temperature lets the search cross small
//! losses. Moves are applied in place and undone from a log when rejected, so a
//! move costs about the degree of its two participants plus one pass over a slot.

use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::instance::Fair;

/// Marks "no slot" in `slot_of`.
pub(crate) const NO_SLOT: u16 = u16::MAX;
/// Marks "no meeting" in `busy`.
const NO_REQUEST: u32 = u32::MAX;

/// The mutable assignment plus the indexes that make moves cheap.
pub(crate) struct Engine {
    slots: usize,
    tables: usize,
    ends: Vec<(u32, u32)>,
    weight: Vec<u32>,
    common: Vec<Vec<u16>>,
    /// Requests of each participant, heaviest first, for filling a freed slot.
    incident: Vec<Vec<u32>>,
    /// `available[p * slots + s]`.
    available: Vec<bool>,
    /// Locked (and kept) meetings: never moved or ejected.
    fixed: Vec<bool>,
    slot_of: Vec<u16>,
    /// `busy[p * slots + s]` = the request participant `p` meets in slot `s`.
    busy: Vec<u32>,
    members: Vec<Vec<u32>>,
    pos_in_slot: Vec<u32>,
    /// Unscheduled, movable requests that have a common slot.
    open: Vec<u32>,
    pos_in_open: Vec<u32>,
    total: u64,
    /// (request, slot before the change), for undoing a rejected move.
    log: Vec<(u32, u16)>,
}

impl Engine {
    pub(crate) fn new(fair: &Fair) -> Engine {
        let slots = fair.slots();
        let n = fair.requests().len();
        let p_count = fair.participants().len();
        let ends: Vec<(u32, u32)> = (0..n)
            .map(|r| {
                let (a, b) = fair.ends(r);
                (a as u32, b as u32)
            })
            .collect();
        let weight: Vec<u32> = (0..n).map(|r| fair.weight(r)).collect();
        let common = (0..n)
            .map(|r| fair.common_slots(r).iter().map(|s| s.0 as u16).collect())
            .collect();
        let mut incident = vec![Vec::new(); p_count];
        for (r, &(a, b)) in ends.iter().enumerate() {
            incident[a as usize].push(r as u32);
            incident[b as usize].push(r as u32);
        }
        for list in &mut incident {
            list.sort_by_key(|&r| (std::cmp::Reverse(weight[r as usize]), r));
        }
        let mut available = vec![false; p_count * slots];
        for (p, participant) in fair.participants().iter().enumerate() {
            for s in &participant.available {
                available[p * slots + s.0] = true;
            }
        }
        let mut engine = Engine {
            slots,
            tables: fair.tables(),
            ends,
            weight,
            common,
            incident,
            available,
            fixed: vec![false; n],
            slot_of: vec![NO_SLOT; n],
            busy: vec![NO_REQUEST; p_count * slots],
            members: vec![Vec::new(); slots],
            pos_in_slot: vec![0; n],
            open: Vec::new(),
            pos_in_open: vec![NO_REQUEST; n],
            total: 0,
            log: Vec::new(),
        };
        for r in 0..n {
            if !engine.common[r].is_empty() {
                engine.open_push(r as u32);
            }
        }
        engine
    }

    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    pub(crate) fn slot_of(&self) -> &[u16] {
        &self.slot_of
    }

    pub(crate) fn is_fixed(&self, r: usize) -> bool {
        self.fixed[r]
    }

    pub(crate) fn meets(&self, p: usize, s: usize) -> Option<usize> {
        let r = self.busy[p * self.slots + s];
        (r != NO_REQUEST).then_some(r as usize)
    }

    pub(crate) fn load(&self, s: usize) -> usize {
        self.members[s].len()
    }

    fn open_push(&mut self, r: u32) {
        self.pos_in_open[r as usize] = self.open.len() as u32;
        self.open.push(r);
    }

    fn open_remove(&mut self, r: u32) {
        let i = self.pos_in_open[r as usize] as usize;
        self.open.swap_remove(i);
        if let Some(&moved) = self.open.get(i) {
            self.pos_in_open[moved as usize] = i as u32;
        }
        self.pos_in_open[r as usize] = NO_REQUEST;
    }

    /// Whether request `r` could be put in slot `s` as things stand.
    pub(crate) fn fits(&self, r: usize, s: usize) -> bool {
        let (a, b) = self.ends[r];
        self.members[s].len() < self.tables
            && self.busy[a as usize * self.slots + s] == NO_REQUEST
            && self.busy[b as usize * self.slots + s] == NO_REQUEST
            && self.available[a as usize * self.slots + s]
            && self.available[b as usize * self.slots + s]
    }

    /// Moves request `r` to slot `s` (or out, with `NO_SLOT`) without logging. The
    /// caller guarantees that the target cells are free.
    fn raw_set(&mut self, r: u32, s: u16) {
        let ri = r as usize;
        let old = self.slot_of[ri];
        if old == s {
            return;
        }
        let (a, b) = self.ends[ri];
        if old != NO_SLOT {
            let o = old as usize;
            self.busy[a as usize * self.slots + o] = NO_REQUEST;
            self.busy[b as usize * self.slots + o] = NO_REQUEST;
            let i = self.pos_in_slot[ri] as usize;
            self.members[o].swap_remove(i);
            if let Some(&moved) = self.members[o].get(i) {
                self.pos_in_slot[moved as usize] = i as u32;
            }
            self.total -= u64::from(self.weight[ri]);
            if s == NO_SLOT {
                self.open_push(r);
            }
        } else {
            self.open_remove(r);
        }
        if s != NO_SLOT {
            let n = s as usize;
            self.busy[a as usize * self.slots + n] = r;
            self.busy[b as usize * self.slots + n] = r;
            self.pos_in_slot[ri] = self.members[n].len() as u32;
            self.members[n].push(r);
            self.total += u64::from(self.weight[ri]);
        }
        self.slot_of[ri] = s;
    }

    fn set(&mut self, r: u32, s: u16) {
        self.log.push((r, self.slot_of[r as usize]));
        self.raw_set(r, s);
    }

    fn undo(&mut self) {
        while let Some((r, s)) = self.log.pop() {
            self.raw_set(r, s);
        }
    }

    /// Places `r` in `s` for good (locked or kept meetings, greedy start).
    pub(crate) fn place(&mut self, r: usize, s: usize, fixed: bool) {
        self.raw_set(r as u32, s as u16);
        self.fixed[r] = fixed;
    }

    /// Puts back a remembered assignment (the best one found), keeping fixed ones.
    pub(crate) fn restore(&mut self, slot_of: &[u16]) {
        for (r, &s) in slot_of.iter().enumerate() {
            if self.slot_of[r] != s {
                self.raw_set(r as u32, NO_SLOT);
            }
        }
        for (r, &s) in slot_of.iter().enumerate() {
            if s != NO_SLOT && self.slot_of[r] == NO_SLOT {
                self.raw_set(r as u32, s);
            }
        }
    }

    /// The greedy start: heaviest requests first (and, among equals, those with the
    /// fewest common slots, as they have the fewest chances later), each into the
    /// fitting slot with the fewest meetings so far, which keeps tables free
    /// everywhere for as long as possible.
    pub(crate) fn greedy(&mut self) {
        let mut order: Vec<usize> = (0..self.slot_of.len())
            .filter(|&r| self.slot_of[r] == NO_SLOT && !self.common[r].is_empty())
            .collect();
        order.sort_by_key(|&r| (std::cmp::Reverse(self.weight[r]), self.common[r].len(), r));
        for r in order {
            let best = self.common[r]
                .iter()
                .map(|&s| s as usize)
                .filter(|&s| self.fits(r, s))
                .min_by_key(|&s| (self.members[s].len(), s));
            if let Some(s) = best {
                self.raw_set(r as u32, s as u16);
            }
        }
    }

    /// Puts `r` in some slot where it fits, trying slots from a random start.
    fn place_anywhere(&mut self, r: u32, rng: &mut SmallRng) -> bool {
        let k = self.common[r as usize].len();
        if k == 0 {
            return false;
        }
        let start = rng.random_range(0..k);
        for i in 0..k {
            let s = self.common[r as usize][(start + i) % k] as usize;
            if self.fits(r as usize, s) {
                self.set(r, s as u16);
                return true;
            }
        }
        false
    }

    /// Offers a freed (participant, slot) to the heaviest unscheduled request of
    /// that participant that fits there.
    fn fill(&mut self, p: u32, s: usize) {
        if self.busy[p as usize * self.slots + s] != NO_REQUEST
            || self.members[s].len() >= self.tables
        {
            return;
        }
        let found = self.incident[p as usize]
            .iter()
            .copied()
            .find(|&q| self.slot_of[q as usize] == NO_SLOT && self.fits(q as usize, s));
        if let Some(q) = found {
            self.set(q, s as u16);
        }
    }

    /// The lightest movable meeting of slot `s` other than `r`, ties broken at random.
    fn lightest(&self, s: usize, rng: &mut SmallRng) -> Option<u32> {
        let list = &self.members[s];
        if list.is_empty() {
            return None;
        }
        let start = rng.random_range(0..list.len());
        let mut best: Option<u32> = None;
        for i in 0..list.len() {
            let q = list[(start + i) % list.len()];
            if self.fixed[q as usize] {
                continue;
            }
            if best.is_none_or(|b| self.weight[q as usize] < self.weight[b as usize]) {
                best = Some(q);
            }
        }
        best
    }

    /// The ejection move: puts `r` in `s`, pushing out what stands in the way, then
    /// repairs. Returns false (with the state unchanged) when a locked meeting is in
    /// the way. The change is in the log until `commit` or `undo`.
    fn eject_into(&mut self, r: u32, s: usize, rng: &mut SmallRng) -> bool {
        let (a, b) = self.ends[r as usize];
        let ea = self.busy[a as usize * self.slots + s];
        let eb = self.busy[b as usize * self.slots + s];
        if (ea != NO_REQUEST && self.fixed[ea as usize])
            || (eb != NO_REQUEST && self.fixed[eb as usize])
        {
            return false;
        }
        let old = self.slot_of[r as usize];
        let mut ejected = [NO_REQUEST; 3];
        let mut n = 0;
        for e in [ea, eb] {
            if e != NO_REQUEST && !ejected[..n].contains(&e) {
                self.set(e, NO_SLOT);
                ejected[n] = e;
                n += 1;
            }
        }
        if old != NO_SLOT {
            self.set(r, NO_SLOT);
        }
        if self.members[s].len() >= self.tables {
            match self.lightest(s, rng) {
                Some(v) => {
                    self.set(v, NO_SLOT);
                    ejected[n] = v;
                    n += 1;
                }
                None => {
                    self.undo();
                    return false;
                }
            }
        }
        self.set(r, s as u16);
        let ejected = &mut ejected[..n];
        ejected.sort_by_key(|&e| std::cmp::Reverse(self.weight[e as usize]));
        for &e in ejected.iter() {
            self.place_anywhere(e, rng);
        }
        if old != NO_SLOT {
            self.fill(a, old as usize);
            self.fill(b, old as usize);
        }
        for &e in ejected.iter() {
            let (c, d) = self.ends[e as usize];
            for q in [c, d] {
                if q != a && q != b {
                    self.fill(q, s);
                }
            }
        }
        true
    }

    /// Simulated annealing over ejection moves, keeping the best assignment seen.
    pub(crate) fn anneal(&mut self, seed: u64, limits: Limits) -> u64 {
        let mut rng = SmallRng::seed_from_u64(seed);
        let n = self.slot_of.len();
        let movable: Vec<u32> = (0..n as u32)
            .filter(|&r| !self.fixed[r as usize] && self.common[r as usize].len() > 1)
            .collect();
        if n == 0 || self.tables == 0 || (self.open.is_empty() && movable.is_empty()) {
            return 0;
        }
        let mean_weight = self.weight.iter().map(|&w| f64::from(w)).sum::<f64>() / n as f64;
        let (t_start, t_end) = (0.6 * mean_weight, 0.02 * mean_weight);
        let mut best = self.total;
        let mut best_slots = self.slot_of.clone();
        let mut temperature = t_start;
        let mut iterations = 0u64;
        let mut improved = false;
        let mut last_gain = limits.progress(0);
        loop {
            if iterations.is_multiple_of(256) {
                let progress = limits.progress(iterations);
                if improved {
                    last_gain = progress;
                    improved = false;
                }
                if progress >= 1.0
                    || best >= limits.enough
                    || progress - last_gain >= limits.patience
                {
                    break;
                }
                temperature = t_start * (t_end / t_start).powf(progress);
            }
            iterations += 1;
            let before = self.total;
            let moved =
                if !self.open.is_empty() && (movable.is_empty() || rng.random::<f64>() < 0.7) {
                    // Heavier open requests are tried more often (a two-way tournament).
                    let x = self.open[rng.random_range(0..self.open.len())];
                    let y = self.open[rng.random_range(0..self.open.len())];
                    let r = if self.weight[y as usize] > self.weight[x as usize] {
                        y
                    } else {
                        x
                    };
                    let c = &self.common[r as usize];
                    let s = c[rng.random_range(0..c.len())] as usize;
                    self.eject_into(r, s, &mut rng)
                } else {
                    let r = movable[rng.random_range(0..movable.len())];
                    let c = &self.common[r as usize];
                    let s = c[rng.random_range(0..c.len())];
                    if self.slot_of[r as usize] == s {
                        false
                    } else {
                        self.eject_into(r, s as usize, &mut rng)
                    }
                };
            if !moved {
                continue;
            }
            let delta = self.total as f64 - before as f64;
            if delta >= 0.0 || rng.random::<f64>() < (delta / temperature).exp() {
                self.log.clear();
                if self.total > best {
                    best = self.total;
                    improved = true;
                    best_slots.copy_from_slice(&self.slot_of);
                }
            } else {
                self.undo();
            }
        }
        self.restore(&best_slots);
        iterations
    }
}

/// When the search stops: whichever of the budget and the move count comes first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) start: Instant,
    pub(crate) budget: Option<Duration>,
    pub(crate) iterations: Option<u64>,
    /// A weight nothing can exceed: reaching it ends the search.
    pub(crate) enough: u64,
    /// The search also ends when its best has not improved for this share of the
    /// run (of the budget or of the move limit), handing the rest to the bound.
    pub(crate) patience: f64,
}

impl Limits {
    /// How far along the run is, from 0 to 1 (1 or more means stop).
    fn progress(&self, iterations: u64) -> f64 {
        let by_count = self
            .iterations
            .map_or(0.0, |limit| iterations as f64 / limit.max(1) as f64);
        let by_clock = self.budget.map_or(0.0, |budget| {
            self.start.elapsed().as_secs_f64() / budget.as_secs_f64().max(1e-9)
        });
        by_count.max(by_clock)
    }
}
