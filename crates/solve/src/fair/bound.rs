//! An upper bound on the best schedule's weight, from Lagrangian relaxation.
//!
//! Pricing "participant p is busy in slot s" at `μ[p,s] ≥ 0` and "a table of slot
//! s" at `ν[s] ≥ 0` leaves every request free to pick its best slot on its own:
//!
//! `L(μ, ν) = Σ_r max(0, max_{s ∈ slots(r)} (w_r − μ[a,s] − μ[b,s] − ν[s]))
//!            + Σ μ + Σ_s tables_s · ν[s]`
//!
//! `L` bounds the optimum for any prices (weak duality), and its minimum equals the
//! LP relaxation that `cpsat.py` reports, because once the prices are fixed each
//! request's choice is integral. Prices are improved by subgradient steps with
//! Polyak's step length aimed at the best known schedule. Weights are integers, so
//! `⌊L⌋` bounds the optimum too; when it equals the schedule's weight, the schedule
//! is proven optimal.

use std::time::Instant;

/// The part of the problem the bound is computed on: what the search may still
/// change once locked and kept meetings are in place.
pub(crate) struct Relaxation {
    pub(crate) slots: usize,
    pub(crate) participants: usize,
    pub(crate) ends: Vec<(u32, u32)>,
    pub(crate) weight: Vec<u32>,
    /// Slots each request may still take.
    pub(crate) allowed: Vec<Vec<u16>>,
    /// Free tables left in each slot.
    pub(crate) capacity: Vec<usize>,
}

/// A tolerance for floating-point sums of integer weights, far above their rounding
/// error and far below 1.
const EPS: f64 = 1e-6;

/// The prices and the state of the subgradient method, kept between calls so that
/// time left over after the search continues where the first call stopped.
pub(crate) struct Pricing {
    mu: Vec<f64>,
    nu: Vec<f64>,
    g_mu: Vec<f64>,
    g_nu: Vec<f64>,
    /// Only prices that some request can feel are worth moving; the others stay 0,
    /// which is optimal for them.
    used: Vec<usize>,
    theta: f64,
    best_value: f64,
    stale: usize,
    best: u64,
    rounds: usize,
}

impl Pricing {
    /// Starts from the given prices: for tables, for example, the lightest meeting
    /// of each full slot in a known schedule; for participants' time, `[p * slots
    /// + s]`. Prices near the LP's shorten the descent.
    pub(crate) fn new(
        relaxation: &Relaxation,
        table_prices: Vec<f64>,
        participant_prices: Vec<f64>,
    ) -> Pricing {
        let s_count = relaxation.slots;
        let mut mu = participant_prices;
        mu.resize(relaxation.participants * s_count, 0.0);
        let mut nu = table_prices;
        nu.resize(s_count, 0.0);
        let mut used = vec![false; mu.len()];
        for (r, &(a, b)) in relaxation.ends.iter().enumerate() {
            for &s in &relaxation.allowed[r] {
                used[a as usize * s_count + s as usize] = true;
                used[b as usize * s_count + s as usize] = true;
            }
        }
        let used: Vec<usize> = (0..mu.len()).filter(|&i| used[i]).collect();
        let trivial: u64 = relaxation
            .weight
            .iter()
            .zip(&relaxation.allowed)
            .filter(|(_, allowed)| !allowed.is_empty())
            .map(|(&w, _)| u64::from(w))
            .sum();
        Pricing {
            g_mu: vec![0.0; mu.len()],
            g_nu: vec![0.0; s_count],
            mu,
            nu,
            used,
            // Polyak steps with a factor of 2 overshoot at first, which pushes the
            // prices above the optimum and then descends fast; starting at 1 was
            // slower on the benchmark sizes. The factor halves whenever the bound
            // stops improving.
            theta: 2.0,
            best_value: f64::INFINITY,
            stale: 0,
            best: trivial,
            rounds: 0,
        }
    }

    /// Rounds run so far, over all calls.
    pub(crate) fn rounds(&self) -> usize {
        self.rounds
    }

    /// Improves the bound until `deadline`, until `max_rounds` rounds have run in
    /// all, or as soon as it reaches `target` (the weight of a known schedule:
    /// nothing lower is possible, so the search for a better bound can stop).
    pub(crate) fn improve(
        &mut self,
        relaxation: &Relaxation,
        target: u64,
        max_rounds: usize,
        deadline: Option<Instant>,
    ) -> u64 {
        let s_count = relaxation.slots;
        // The scalars are copied out and written back at the end, so that the loop
        // reads like the textbook method.
        let (mut theta, mut best_value, mut stale, mut best) =
            (self.theta, self.best_value, self.stale, self.best);
        let Pricing {
            mu,
            nu,
            g_mu,
            g_nu,
            used,
            rounds,
            ..
        } = self;
        while *rounds < max_rounds {
            let round = *rounds;
            *rounds += 1;
            if best <= target {
                break;
            }
            if round % 8 == 0 && deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            for &i in used.iter() {
                g_mu[i] = 1.0;
            }
            for (s, g) in g_nu.iter_mut().enumerate() {
                *g = relaxation.capacity[s] as f64;
            }
            let mut value = 0.0f64;
            for (r, &(a, b)) in relaxation.ends.iter().enumerate() {
                let w = f64::from(relaxation.weight[r]);
                let (a, b) = (a as usize * s_count, b as usize * s_count);
                let mut pick = None;
                let mut gain = 0.0f64;
                for &s in &relaxation.allowed[r] {
                    let s = s as usize;
                    let reduced = w - mu[a + s] - mu[b + s] - nu[s];
                    if reduced > gain {
                        gain = reduced;
                        pick = Some(s);
                    }
                }
                if let Some(s) = pick {
                    value += gain;
                    g_mu[a + s] -= 1.0;
                    g_mu[b + s] -= 1.0;
                    g_nu[s] -= 1.0;
                }
            }
            value += used.iter().map(|&i| mu[i]).sum::<f64>();
            value += nu
                .iter()
                .zip(&relaxation.capacity)
                .map(|(v, &c)| v * c as f64)
                .sum::<f64>();
            let floor = (value + EPS).floor();
            if floor >= 0.0 && (floor as u64) < best {
                best = floor as u64;
            }
            if value < best_value - 1e-9 {
                best_value = value;
                stale = 0;
            } else {
                stale += 1;
                if stale >= 400 {
                    theta *= 0.5;
                    stale = 0;
                    if theta < 1e-6 {
                        break;
                    }
                }
            }
            // Projected subgradient step towards the target; coordinates at zero whose
            // subgradient would push them negative have no component in the step.
            let mut norm = 0.0f64;
            for &i in used.iter() {
                if mu[i] > 0.0 || g_mu[i] < 0.0 {
                    norm += g_mu[i] * g_mu[i];
                }
            }
            for s in 0..s_count {
                if nu[s] > 0.0 || g_nu[s] < 0.0 {
                    norm += g_nu[s] * g_nu[s];
                }
            }
            if norm < 1e-12 {
                break;
            }
            let step = theta * (value - target as f64).max(0.05) / norm;
            for &i in used.iter() {
                mu[i] = (mu[i] - step * g_mu[i]).max(0.0);
            }
            for s in 0..s_count {
                nu[s] = (nu[s] - step * g_nu[s]).max(0.0);
            }
        }
        self.theta = theta;
        self.best_value = best_value;
        self.stale = stale;
        self.best = best;
        best
    }
}
