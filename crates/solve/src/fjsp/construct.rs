//! The start solution: earliest-finish-time list scheduling. Among the next operation of
//! every job and every machine able to do it, repeatedly append the pair that finishes
//! first (calendars, transport and releases included); ties go to the shorter processing
//! time, then to a seeded random choice. Cheap, and good enough for the tabu search to
//! take over within milliseconds.

use super::instance::{Instance, NONE};
use super::model::{FOREVER, Time};
use super::schedule::Routing;
use rand::Rng;
use rand::rngs::SmallRng;

/// Builds a complete routing, or names the first operation (instance index) that no
/// eligible machine can finish within its calendar.
pub(crate) fn earliest_finish(inst: &Instance, rng: &mut SmallRng) -> Result<Routing, usize> {
    let mut routing = Routing::empty(inst);
    let mut machine_end = inst.free_from.clone();
    let mut end = vec![0 as Time; inst.n];
    // The next unplanned operation of every job that still has one.
    let mut front: Vec<usize> = (0..inst.n).filter(|&v| inst.job_pred[v] == NONE).collect();
    while !front.is_empty() {
        let mut best: Option<(Time, Time, u32, usize, usize, Time)> = None;
        for (slot, &v) in front.iter().enumerate() {
            for a in inst.alt_start[v]..inst.alt_start[v + 1] {
                let m = inst.alt_machine[a] as usize;
                let duration = inst.alt_duration[a];
                let mut ready = inst.release_on(v, m).max(machine_end[m]);
                let jp = inst.job_pred[v];
                if jp != NONE {
                    let jp = jp as usize;
                    ready = ready.max(end[jp] + inst.lag(routing.machine[jp] as usize, m));
                }
                let (_, finish) = inst.place(m, ready, duration);
                let key = (finish, duration, rng.random::<u32>(), slot, m, duration);
                if best.is_none_or(|b| (key.0, key.1, key.2) < (b.0, b.1, b.2)) {
                    best = Some(key);
                }
            }
        }
        let Some((finish, _, _, slot, m, duration)) = best else {
            break;
        };
        let v = front[slot];
        if finish >= FOREVER {
            return Err(v);
        }
        routing.append(v, m, duration);
        end[v] = finish;
        machine_end[m] = finish;
        let next = inst.job_succ[v];
        if next == NONE {
            front.swap_remove(slot);
        } else {
            front[slot] = next as usize;
        }
    }
    Ok(routing)
}
