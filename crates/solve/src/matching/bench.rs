//! A timing helper for `renkei bench matching`: ranks synthetic candidates shaped
//! like the directory's companies (a few processes, materials, equipment and
//! certifications from the shared taxonomy, one of the seven cities, a size, and a
//! text score for a minority of them, as a full-text index would give).

use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::model::{Candidate, Need, NeedKind, Settings, SizeBand};
use super::rank::rank;

const CITIES: [&str; 7] = [
    "kawaguchi",
    "sumida",
    "ota",
    "okaya",
    "kaga",
    "higashiosaka",
    "amagasaki",
];
const PROCESSES: [&str; 21] = [
    "cutting",
    "grinding",
    "press",
    "sheet_metal",
    "welding",
    "plating",
    "painting",
    "heat_treatment",
    "casting",
    "forging",
    "resin_molding",
    "mold",
    "assembly",
    "inspection",
    "design",
    "electronics",
    "sewing",
    "leather",
    "printing",
    "woodwork",
    "glass",
];
const MATERIALS: [&str; 13] = [
    "steel",
    "stainless",
    "aluminium",
    "copper",
    "titanium",
    "cast_iron",
    "resin",
    "rubber",
    "textile",
    "leather_material",
    "wood",
    "paper",
    "ceramics",
];
const EQUIPMENT: [&str; 10] = [
    "machining_center",
    "five_axis",
    "nc_lathe",
    "wire_edm",
    "laser_cutter",
    "press_brake",
    "press_machine",
    "injection_machine",
    "cmm",
    "printer_3d",
];
const CERTIFICATIONS: [&str; 6] = [
    "iso9001",
    "iso14001",
    "iso13485",
    "jisq9100",
    "iatf16949",
    "eco_action21",
];

/// What one timing run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchingBench {
    /// Candidates ranked.
    pub candidates: usize,
    /// Time to rank them and explain the first page ([`DEFAULT_LIMIT`](super::DEFAULT_LIMIT)).
    pub page: Duration,
    /// Time to rank them and explain every one (`limit: None`).
    pub all: Duration,
    /// The best score, so that the run cannot be optimised away and can be compared.
    pub best_score: f64,
}

/// Picks `count` distinct codes from `from`.
fn pick(rng: &mut SmallRng, from: &[&str], count: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(count);
    while out.len() < count.min(from.len()) {
        let code = from[rng.random_range(0..from.len())];
        if !out.iter().any(|c| c == code) {
            out.push(code.to_owned());
        }
    }
    out
}

/// `count` synthetic companies, the same for the same seed.
pub fn synthetic_candidates(count: usize, seed: u64) -> Vec<Candidate> {
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..count)
        .map(|i| {
            let processes = rng.random_range(1..=4);
            let materials = rng.random_range(1..=3);
            let equipment = rng.random_range(0..=3);
            let certifications = rng.random_range(0..=2);
            Candidate {
                id: i as i64 + 1,
                name: format!("株式会社サンプル{}", i + 1),
                city: Some(CITIES[rng.random_range(0..CITIES.len())].to_owned()),
                processes: pick(&mut rng, &PROCESSES, processes),
                materials: pick(&mut rng, &MATERIALS, materials),
                equipment: pick(&mut rng, &EQUIPMENT, equipment),
                certifications: pick(&mut rng, &CERTIFICATIONS, certifications),
                size: match rng.random_range(0..10) {
                    0..=5 => Some(SizeBand::Micro),
                    6..=8 => Some(SizeBand::Small),
                    _ => None,
                },
                text_score: if rng.random_bool(0.2) {
                    rng.random_range(0.5..12.0)
                } else {
                    0.0
                },
            }
        })
        .collect()
}

/// The benchmark's need: 東大阪市 looks for a medical part partner (the 大阪大学医学部
/// example), asking for every part of the score.
pub fn synthetic_need() -> Need {
    let codes = |list: &[&str]| list.iter().map(|c| (*c).to_owned()).collect();
    Need {
        kind: NeedKind::Business,
        city: Some("higashiosaka".to_owned()),
        processes: codes(&["cutting", "grinding", "inspection"]),
        materials: codes(&["titanium", "stainless"]),
        equipment: codes(&["five_axis"]),
        certifications_required: codes(&["iso13485"]),
        size_preference: Some(SizeBand::Small),
        text_terms: codes(&["医療機器", "精密加工"]),
        owner_id: None,
    }
}

/// Ranks `candidates` synthetic companies for [`synthetic_need`] and reports how
/// long it took, once for one page and once explaining everyone. Generating the
/// candidates is not timed.
pub fn bench(candidates: usize, seed: u64) -> MatchingBench {
    let pool = synthetic_candidates(candidates, seed);
    let need = synthetic_need();
    let started = Instant::now();
    let first_page = rank(&need, &pool, &Settings::default());
    let page = started.elapsed();
    let started = Instant::now();
    let everyone = rank(
        &need,
        &pool,
        &Settings {
            limit: None,
            ..Settings::default()
        },
    );
    let all = started.elapsed();
    let best_score = first_page
        .first()
        .map_or(0.0, |r| r.score)
        .max(everyone.first().map_or(0.0, |r| r.score));
    MatchingBench {
        candidates,
        page,
        all,
        best_score,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_synthetic_pool_is_the_same_for_the_same_seed() {
        assert_eq!(synthetic_candidates(50, 7), synthetic_candidates(50, 7));
        assert_ne!(synthetic_candidates(50, 7), synthetic_candidates(50, 8));
    }

    #[test]
    fn the_bench_ranks_every_candidate() {
        let report = bench(500, 1);
        assert_eq!(report.candidates, 500);
        assert!(report.best_score > 0.0 && report.best_score <= 100.0);
    }
}
