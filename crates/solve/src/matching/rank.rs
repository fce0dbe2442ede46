//! The ranking itself. It runs in two passes so that a page of 50 out of 100,000
//! candidates costs little: every candidate gets a score from numbers alone, the
//! best `limit` are chosen, and only those get their Japanese reasons. Both passes
//! add the same numbers in the same order, so the components of a result add up to
//! its score.

use std::cmp::Ordering;

use super::model::{
    Candidate, CityPolicy, Component, ComponentKind, MissingCertification, Need, Ranked, Settings,
};
use super::weights::Weights;

/// Ranks `candidates` for `need`, showing codes as they are in the reasons. See
/// [`rank_with_labels`].
pub fn rank(need: &Need, candidates: &[Candidate], settings: &Settings) -> Vec<Ranked> {
    rank_with_labels(need, candidates, settings, &|code: &str| code.to_owned())
}

/// Ranks `candidates` for `need`: ranked candidates by score (highest first, then
/// by id), then excluded ones in the same order, at most `settings.limit` in all.
/// `labels` turns a code (a process, material, equipment, certification or city
/// key) into the Japanese name the reasons show, e.g. `"cutting"` → 切削.
///
/// The result depends only on the inputs, not on the order of `candidates` (when
/// ids are distinct) nor on the machine.
pub fn rank_with_labels(
    need: &Need,
    candidates: &[Candidate],
    settings: &Settings,
    labels: &dyn Fn(&str) -> String,
) -> Vec<Ranked> {
    let plan = Plan::new(need, candidates, settings);
    let mut scored: Vec<Scored> = candidates
        .iter()
        .enumerate()
        .map(|(index, candidate)| plan.score(index, candidate))
        .collect();
    let limit = settings.limit.unwrap_or(scored.len());
    if limit == 0 {
        return Vec::new();
    }
    if limit < scored.len() {
        scored.select_nth_unstable_by(limit - 1, Scored::order);
        scored.truncate(limit);
    }
    scored.sort_unstable_by(Scored::order);
    scored
        .iter()
        .filter_map(|s| candidates.get(s.index).map(|c| plan.explain(c, s, labels)))
        .collect()
}

/// A candidate's place before its reasons are written.
#[derive(Debug, Clone, Copy)]
struct Scored {
    index: usize,
    id: i64,
    score: f64,
    excluded: bool,
}

impl Scored {
    /// Ranked before excluded, then score descending, id ascending, and the input
    /// position last so that even equal ids order the same way every time.
    fn order(a: &Scored, b: &Scored) -> Ordering {
        a.excluded
            .cmp(&b.excluded)
            .then_with(|| b.score.total_cmp(&a.score))
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.index.cmp(&b.index))
    }
}

/// What a need asks, prepared once for all candidates: the lists without
/// duplicates, the points each part is worth (`None`: the part is left out), the
/// best text score.
struct Plan<'a> {
    need: &'a Need,
    processes: Vec<&'a str>,
    materials: Vec<&'a str>,
    equipment: Vec<&'a str>,
    certifications: Vec<&'a str>,
    text_max: Option<f64>,
    processes_max: Option<f64>,
    materials_max: Option<f64>,
    equipment_max: Option<f64>,
    /// Points of one held certification (0 when the weight is 0).
    certification_each: f64,
    size_max: Option<f64>,
    city_max: Option<f64>,
    city_policy: CityPolicy,
    missing: MissingCertification,
    best_text: f64,
}

/// How much of a list is covered, and the points for it.
fn share(max: f64, covered: usize, wanted: usize) -> f64 {
    if wanted == 0 {
        0.0
    } else {
        max * (covered as f64 / wanted as f64)
    }
}

fn distinct(items: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::with_capacity(items.len());
    for item in items {
        if !item.is_empty() && !out.contains(&item.as_str()) {
            out.push(item);
        }
    }
    out
}

fn has(list: &[String], code: &str) -> bool {
    list.iter().any(|item| item == code)
}

fn covered(wanted: &[&str], offered: &[String]) -> usize {
    wanted.iter().filter(|code| has(offered, code)).count()
}

fn text_value(candidate: &Candidate) -> f64 {
    let value = f64::from(candidate.text_score);
    if value.is_finite() && value > 0.0 {
        value
    } else {
        0.0
    }
}

impl<'a> Plan<'a> {
    fn new(need: &'a Need, candidates: &[Candidate], settings: &Settings) -> Plan<'a> {
        let weights = settings
            .weights
            .unwrap_or_else(|| Weights::for_kind(need.kind))
            .sanitised();
        let city_policy = settings
            .city_policy
            .unwrap_or_else(|| CityPolicy::for_kind(need.kind));
        let missing = match settings.missing_certification {
            MissingCertification::Penalty(p) if p.is_nan() || p < 0.0 => {
                MissingCertification::Penalty(0.0)
            }
            other => other,
        };
        let processes = distinct(&need.processes);
        let materials = distinct(&need.materials);
        let equipment = distinct(&need.equipment);
        let certifications = distinct(&need.certifications_required);

        let on = |weight: f64, asked: bool| (asked && weight > 0.0).then_some(weight);
        let parts = [
            on(
                weights.text,
                need.text_terms.iter().any(|t| !t.trim().is_empty()),
            ),
            on(weights.processes, !processes.is_empty()),
            on(weights.materials, !materials.is_empty()),
            on(weights.equipment, !equipment.is_empty()),
            on(weights.certifications, !certifications.is_empty()),
            on(weights.size, need.size_preference.is_some()),
            on(
                weights.city,
                need.city.is_some() && city_policy != CityPolicy::Neutral,
            ),
        ];
        let total: f64 = parts.iter().flatten().sum();
        let points =
            |part: Option<f64>| part.map(|w| if total > 0.0 { 100.0 * w / total } else { 0.0 });
        let [text, proc, mat, equip, cert, size, city] = parts.map(points);

        let mut plan = Plan {
            need,
            text_max: text,
            processes_max: proc,
            materials_max: mat,
            equipment_max: equip,
            certification_each: cert.map_or(0.0, |c| c / certifications.len() as f64),
            size_max: size,
            city_max: city,
            processes,
            materials,
            equipment,
            certifications,
            city_policy,
            missing,
            best_text: 0.0,
        };
        // Normalise text against the candidates that are actually ranked: the need's
        // owner matches its own words best, and an excluded candidate should not
        // lower everyone else's relevance.
        plan.best_text = candidates
            .iter()
            .filter(|c| !plan.is_excluded(c))
            .map(text_value)
            .fold(0.0, f64::max);
        plan
    }

    fn is_owner(&self, candidate: &Candidate) -> bool {
        self.need.owner_id == Some(candidate.id)
    }

    fn missing_count(&self, candidate: &Candidate) -> usize {
        self.certifications.len() - covered(&self.certifications, &candidate.certifications)
    }

    fn is_excluded(&self, candidate: &Candidate) -> bool {
        self.is_owner(candidate)
            || (self.missing == MissingCertification::Exclude && self.missing_count(candidate) > 0)
    }

    fn text_ratio(&self, candidate: &Candidate) -> f64 {
        if self.best_text > 0.0 {
            (text_value(candidate) / self.best_text).min(1.0)
        } else {
            0.0
        }
    }

    /// The size part's share of its points: 1 for the wished band, ½ for a
    /// neighbouring one, 0 otherwise or when the size is unknown.
    fn size_fraction(&self, candidate: &Candidate) -> f64 {
        match (self.need.size_preference, candidate.size) {
            (Some(wished), Some(size)) => match wished.distance(size) {
                0 => 1.0,
                1 => 0.5,
                _ => 0.0,
            },
            _ => 0.0,
        }
    }

    /// The city part's share of its points: 1 when the policy favours where the
    /// candidate is, 0 when it does not, ½ when the candidate's city is unknown.
    fn city_fraction(&self, candidate: &Candidate) -> f64 {
        let (Some(home), Some(city)) = (&self.need.city, &candidate.city) else {
            return 0.5;
        };
        let same = home == city;
        match (self.city_policy, same) {
            (CityPolicy::PreferOtherCities, false) | (CityPolicy::PreferSameCity, true) => 1.0,
            _ => 0.0,
        }
    }

    fn penalty(&self) -> f64 {
        match self.missing {
            MissingCertification::Penalty(p) => p,
            MissingCertification::Exclude => 0.0,
        }
    }

    /// The score from numbers alone, adding exactly what [`Plan::explain`] lists.
    fn score(&self, index: usize, candidate: &Candidate) -> Scored {
        let mut total = 0.0;
        if let Some(max) = self.text_max {
            total += max * self.text_ratio(candidate);
        }
        for (max, wanted, offered) in [
            (self.processes_max, &self.processes, &candidate.processes),
            (self.materials_max, &self.materials, &candidate.materials),
            (self.equipment_max, &self.equipment, &candidate.equipment),
        ] {
            if let Some(max) = max {
                total += share(max, covered(wanted, offered), wanted.len());
            }
        }
        let mut missing = 0;
        for code in &self.certifications {
            if has(&candidate.certifications, code) {
                total += self.certification_each;
            } else {
                missing += 1;
            }
        }
        if let Some(max) = self.size_max {
            total += max * self.size_fraction(candidate);
        }
        if let Some(max) = self.city_max {
            total += max * self.city_fraction(candidate);
        }
        let penalty = self.penalty();
        for _ in 0..missing {
            total -= penalty.min(total);
        }
        Scored {
            index,
            id: candidate.id,
            score: total.clamp(0.0, 100.0),
            excluded: self.is_excluded(candidate),
        }
    }

    /// The components of a candidate's score with their Japanese reasons.
    fn explain(
        &self,
        candidate: &Candidate,
        scored: &Scored,
        labels: &dyn Fn(&str) -> String,
    ) -> Ranked {
        let mut out = Components {
            list: Vec::with_capacity(8 + self.certifications.len()),
            total: 0.0,
        };

        if let Some(max) = self.text_max {
            let ratio = self.text_ratio(candidate);
            let terms = self
                .need
                .text_terms
                .iter()
                .take(5)
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("・");
            let reason = if ratio > 0.0 {
                format!("説明の関連度 {}%（キーワード: {terms}）", percent(ratio))
            } else {
                format!("キーワード（{terms}）に一致する説明がない")
            };
            out.push(ComponentKind::Text, max * ratio, max, reason);
        }
        for (kind, noun, max, wanted, offered) in [
            (
                ComponentKind::Processes,
                "工程",
                self.processes_max,
                &self.processes,
                &candidate.processes,
            ),
            (
                ComponentKind::Materials,
                "材料",
                self.materials_max,
                &self.materials,
                &candidate.materials,
            ),
            (
                ComponentKind::Equipment,
                "設備",
                self.equipment_max,
                &self.equipment,
                &candidate.equipment,
            ),
        ] {
            let Some(max) = max else { continue };
            let (hit, miss): (Vec<&str>, Vec<&str>) =
                wanted.iter().partition(|code| has(offered, code));
            let n = wanted.len();
            let reason = if miss.is_empty() {
                format!("{noun}が一致: {}（{n}/{n}）", join(&hit, labels))
            } else if hit.is_empty() {
                format!("必要な{noun}がない: {}（0/{n}）", join(&miss, labels))
            } else {
                format!(
                    "{noun}が一致: {}（{}/{n}）、不足: {}",
                    join(&hit, labels),
                    hit.len(),
                    join(&miss, labels)
                )
            };
            out.push(kind, share(max, hit.len(), n), max, reason);
        }
        let mut missing = Vec::new();
        for code in &self.certifications {
            if has(&candidate.certifications, code) {
                out.push(
                    ComponentKind::Certification,
                    self.certification_each,
                    self.certification_each,
                    format!("必須の認証 {} を保有", labels(code)),
                );
            } else {
                missing.push(*code);
            }
        }
        if let Some(max) = self.size_max {
            let reason = match (self.need.size_preference, candidate.size) {
                (Some(wished), Some(size)) => match wished.distance(size) {
                    0 => format!("規模が希望どおり: {}", size.label()),
                    1 => format!("規模が近い: {}（希望: {}）", size.label(), wished.label()),
                    _ => format!(
                        "規模が希望と違う: {}（希望: {}）",
                        size.label(),
                        wished.label()
                    ),
                },
                (Some(wished), None) => format!("規模が不明（希望: {}）", wished.label()),
                (None, _) => String::new(),
            };
            out.push(
                ComponentKind::Size,
                max * self.size_fraction(candidate),
                max,
                reason,
            );
        }
        if let Some(max) = self.city_max {
            let reason = match (&self.need.city, &candidate.city, self.city_policy) {
                (Some(home), Some(city), CityPolicy::PreferOtherCities) if home != city => {
                    format!("他市（{}）の相手: 都市間の連携を優先する設定", labels(city))
                }
                (Some(_), Some(city), CityPolicy::PreferOtherCities) => format!(
                    "同じ市（{}）の相手: 他市との連携を優先する設定のため加点なし",
                    labels(city)
                ),
                (Some(home), Some(city), _) if home == city => {
                    format!("同じ市（{}）の相手: 近さを優先する設定", labels(city))
                }
                (Some(_), Some(city), _) => format!(
                    "他市（{}）の相手: 同じ市を優先する設定のため加点なし",
                    labels(city)
                ),
                _ => "所在地が不明（半分を加点）".to_owned(),
            };
            out.push(
                ComponentKind::City,
                max * self.city_fraction(candidate),
                max,
                reason,
            );
        }
        let exclude = self.missing == MissingCertification::Exclude;
        let penalty = self.penalty();
        for code in &missing {
            let (points, reason) = if exclude {
                (0.0, format!("必須の認証 {} がない（対象外）", labels(code)))
            } else {
                let taken = penalty.min(out.total);
                let floor = if taken < penalty {
                    "、0点が下限"
                } else {
                    ""
                };
                (
                    // `0.0 - taken` rather than `-taken`: no "−0" when nothing is left.
                    0.0 - taken,
                    format!(
                        "必須の認証 {} がない（{}点{floor}）",
                        labels(code),
                        signed(-penalty)
                    ),
                )
            };
            out.push(
                ComponentKind::Certification,
                points,
                self.certification_each,
                reason,
            );
        }

        let excluded = if self.is_owner(candidate) {
            Some("ニーズの登録者自身".to_owned())
        } else if exclude && !missing.is_empty() {
            Some(format!("必須の認証 {} がない", join(&missing, labels)))
        } else {
            None
        };
        Ranked {
            candidate_id: candidate.id,
            score: scored.score,
            components: out.list,
            excluded,
        }
    }
}

/// The components written so far and the sum of their points, which the penalty
/// of a missing certification may take down to 0 but not below.
struct Components {
    list: Vec<Component>,
    total: f64,
}

impl Components {
    fn push(&mut self, kind: ComponentKind, points: f64, max_points: f64, reason: String) {
        self.total += points;
        self.list.push(Component {
            kind,
            points,
            max_points,
            reason,
        });
    }
}

fn join(codes: &[&str], labels: &dyn Fn(&str) -> String) -> String {
    codes
        .iter()
        .map(|code| labels(code))
        .collect::<Vec<_>>()
        .join("・")
}

fn percent(ratio: f64) -> i64 {
    (ratio * 100.0).round() as i64
}

/// Points as people read them: "−30", "−12.5", "0".
fn signed(points: f64) -> String {
    let rounded = (points * 10.0).round() / 10.0;
    if rounded == 0.0 {
        "0".to_owned()
    } else if rounded.fract() == 0.0 {
        format!("{}", rounded as i64).replace('-', "−")
    } else {
        format!("{rounded:.1}").replace('-', "−")
    }
}
