//! Match ranking: one engine for every matching programme of the council —
//! business matching across cities, 企業×デザイナー, needs ↔ seeds with universities
//! and hospitals, the successor bank and internships.
//!
//! A [`Need`] lists what its owner looks for (taxonomy codes for processes,
//! materials, equipment and required certifications, a size, the words searched
//! for); each [`Candidate`] brings what it offers and its relevance from the
//! full-text index. [`rank`] scores every candidate from 0 to 100 and says why: the
//! [`Component`]s of a [`Ranked`] result add up to its score, each with a Japanese
//! reason (「工程が一致: 切削・溶接（2/3）」「必須の認証 ISO 13485 がない（−30点）」).
//!
//! - The parts the need asks for share the 100 points by the kind's [`Weights`];
//!   a part it says nothing about is left out.
//! - Processes, materials and equipment score the share of the need's list the
//!   candidate covers; text relevance is divided by the best in the candidate set.
//! - A missing required certification costs a penalty (30 points by default) or,
//!   with [`MissingCertification::Exclude`], excludes the candidate; either way the
//!   reason is shown.
//! - The [`CityPolicy`] favours partners in other cities by default (linking the
//!   cities is the council's point), the same city for internships.
//! - Results are ordered by score, then id, and do not depend on input order.
//!
//! ```
//! use solve::matching::{Candidate, Need, NeedKind, Settings, rank_with_labels};
//! let codes = |list: &[&str]| list.iter().map(|c| c.to_string()).collect::<Vec<_>>();
//! let need = Need {
//!     kind: NeedKind::Seeds,
//!     city: Some("higashiosaka".into()),
//!     processes: codes(&["cutting"]),
//!     certifications_required: codes(&["iso13485"]),
//!     ..Need::default()
//! };
//! let candidates = [
//!     Candidate { id: 1, city: Some("ota".into()), processes: codes(&["cutting"]),
//!                 ..Candidate::default() },
//!     Candidate { id: 2, city: Some("ota".into()), processes: codes(&["cutting"]),
//!                 certifications: codes(&["iso13485"]), ..Candidate::default() },
//! ];
//! let labels = |code: &str| match code {
//!     "cutting" => "切削".to_string(),
//!     "iso13485" => "ISO 13485".to_string(),
//!     "ota" => "大田区".to_string(),
//!     other => other.to_string(),
//! };
//! let ranking = rank_with_labels(&need, &candidates, &Settings::default(), &labels);
//! assert_eq!(ranking[0].candidate_id, 2);
//! assert_eq!(ranking[0].score, 100.0);
//! assert!(ranking[1].components.iter().any(|c| c.reason.starts_with("必須の認証 ISO 13485 がない")));
//! ```
//!
//! Pure: no I/O, no clock (except in [`bench()`]), no randomness.

mod bench;
mod model;
mod rank;
mod weights;

#[cfg(test)]
mod tests;

pub use bench::{MatchingBench, bench, synthetic_candidates, synthetic_need};
pub use model::{
    Candidate, CityPolicy, Component, ComponentKind, DEFAULT_LIMIT,
    DEFAULT_MISSING_CERTIFICATION_PENALTY, MissingCertification, Need, NeedKind, Ranked, Settings,
    SizeBand,
};
pub use rank::{rank, rank_with_labels};
pub use weights::Weights;
