//! Scored diagnostics (the 企業健康診断): choice options carry points, a 1–5 scale
//! counts its point, and questions belong to scored areas (事業承継の準備, 財務, 人材).
//! A diagnosis is the points per area and in total, as a share of the most that the
//! *shown* questions could give, with a band (良好/注意/要対策) and its advice.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{Answer, Answers, FormDefinition, Question, QuestionKind};
use crate::Invalid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scoring {
    pub areas: Vec<ScoredArea>,
    /// From the best band down; a score falls in the first band whose
    /// `min_percent` it reaches, so the last band starts at 0.
    pub bands: Vec<Band>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredArea {
    pub key: String,
    pub label: String,
    /// Advice for this area by band key: what to do when 財務 is 要対策.
    #[serde(default)]
    pub advice: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub key: String,
    pub label: String,
    pub min_percent: u8,
    /// Advice for the whole result in this band.
    #[serde(default)]
    pub advice: String,
}

/// The score of one area, or of the whole diagnosis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    pub key: String,
    pub label: String,
    pub points: i32,
    pub max: i32,
    /// Points as a whole percentage of `max`, rounded down.
    pub percent: u8,
    pub band_key: String,
    pub band_label: String,
    pub advice: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// In the scoring's order; an area none of whose questions was shown is left out.
    pub areas: Vec<Score>,
    pub total: Score,
}

impl Scoring {
    pub(super) fn check(&self) -> Vec<Invalid> {
        let mut errors = Vec::new();
        let mut refuse = |reason: String| errors.push(Invalid::new("scoring", reason));
        if self.areas.is_empty() {
            refuse("採点分野を1つ以上定義してください。".into());
        }
        if self.bands.is_empty() || !self.bands.iter().any(|b| b.min_percent == 0) {
            refuse("判定区分には0%から始まる区分を含めてください。".into());
        }
        if self
            .bands
            .windows(2)
            .any(|pair| pair[0].min_percent <= pair[1].min_percent)
        {
            refuse("判定区分は下限（%）の高い順に並べてください。".into());
        }
        if self.bands.iter().any(|b| b.min_percent > 100) {
            refuse("判定区分の下限は0〜100%にしてください。".into());
        }
        let bands: BTreeSet<&str> = self.bands.iter().map(|b| b.key.as_str()).collect();
        if bands.len() != self.bands.len() {
            refuse("判定区分のキーが重複しています。".into());
        }
        let mut areas = BTreeSet::new();
        for area in &self.areas {
            if !areas.insert(area.key.as_str()) {
                refuse(format!("採点分野「{}」が重複しています。", area.key));
            }
            for band in area.advice.keys() {
                if !bands.contains(band.as_str()) {
                    refuse(format!(
                        "採点分野「{}」の助言に未定義の判定区分「{band}」があります。",
                        area.label
                    ));
                }
            }
        }
        errors
    }

    fn band(&self, percent: u8) -> Option<&Band> {
        self.bands.iter().find(|b| percent >= b.min_percent)
    }

    fn score(
        &self,
        key: &str,
        label: &str,
        points: i32,
        max: i32,
        advice: Option<&ScoredArea>,
    ) -> Score {
        let percent = if max > 0 {
            let share = i64::from(points.clamp(0, max)) * 100 / i64::from(max);
            u8::try_from(share).unwrap_or(100)
        } else {
            0
        };
        let band = self.band(percent);
        let advice = match (band, advice) {
            (Some(band), Some(area)) => area.advice.get(&band.key).cloned().unwrap_or_default(),
            (Some(band), None) => band.advice.clone(),
            _ => String::new(),
        };
        Score {
            key: key.into(),
            label: label.into(),
            points,
            max,
            percent,
            band_key: band.map(|b| b.key.clone()).unwrap_or_default(),
            band_label: band.map(|b| b.label.clone()).unwrap_or_default(),
            advice,
        }
    }
}

/// Points this answer gives.
fn points_of(question: &Question, answer: &Answer) -> i32 {
    match (&question.kind, answer) {
        (QuestionKind::SingleChoice { options }, Answer::Choice(value)) => options
            .iter()
            .find(|o| &o.value == value)
            .map_or(0, |o| o.points),
        (QuestionKind::MultipleChoice { options }, Answer::Choices(values)) => options
            .iter()
            .filter(|o| values.contains(&o.value))
            .map(|o| o.points)
            .sum(),
        (QuestionKind::Scale { .. }, Answer::Scale(point)) => i32::from(*point),
        _ => 0,
    }
}

impl FormDefinition {
    /// Whether `question` was shown, judged from accepted answers (which hold only
    /// shown questions, so a chain of conditions is followed through them).
    fn shown_in(question: &Question, answers: &Answers) -> bool {
        question
            .show_if
            .as_ref()
            .is_none_or(|condition| match answers.get(&condition.question) {
                Some(Answer::Choice(value)) => condition.any_of.contains(value),
                Some(Answer::Choices(values)) => {
                    values.iter().any(|v| condition.any_of.contains(v))
                }
                _ => false,
            })
    }

    /// The diagnosis of accepted answers, or `None` when the form is not scored.
    /// Unanswered optional questions count as no points; hidden ones do not count.
    pub fn diagnose(&self, answers: &Answers) -> Option<Diagnosis> {
        let scoring = self.scoring.as_ref()?;
        let mut per_area: BTreeMap<&str, (i32, i32)> = BTreeMap::new();
        for question in self.questions() {
            let Some(area) = question.area.as_deref() else {
                continue;
            };
            if !Self::shown_in(question, answers) {
                continue;
            }
            let entry = per_area.entry(area).or_default();
            entry.0 += answers
                .get(&question.id)
                .map_or(0, |a| points_of(question, a));
            entry.1 += question.kind.max_points();
        }
        let areas: Vec<Score> = scoring
            .areas
            .iter()
            .filter_map(|area| {
                let (points, max) = per_area.get(area.key.as_str())?;
                Some(scoring.score(&area.key, &area.label, *points, *max, Some(area)))
            })
            .collect();
        let points = areas.iter().map(|a| a.points).sum();
        let max = areas.iter().map(|a| a.max).sum();
        let total = scoring.score("total", "総合", points, max, None);
        Some(Diagnosis { areas, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::tests::{choice, question};
    use crate::forms::{Condition, RawAnswers, Section};

    fn bands() -> Vec<Band> {
        vec![
            Band {
                key: "good".into(),
                label: "良好".into(),
                min_percent: 80,
                advice: "この調子で".into(),
            },
            Band {
                key: "watch".into(),
                label: "注意".into(),
                min_percent: 50,
                advice: "早めの点検を".into(),
            },
            Band {
                key: "act".into(),
                label: "要対策".into(),
                min_percent: 0,
                advice: "専門家に相談を".into(),
            },
        ]
    }

    fn health_check() -> FormDefinition {
        let in_area = |q: Question, area: &str| Question {
            area: Some(area.into()),
            ..q
        };
        FormDefinition {
            sections: vec![Section {
                title: "企業健康診断".into(),
                help: String::new(),
                questions: vec![
                    in_area(
                        question(
                            "successor",
                            QuestionKind::SingleChoice {
                                options: vec![
                                    choice("yes", "決まっている", 4),
                                    choice("candidate", "候補がいる", 2),
                                    choice("no", "いない", 0),
                                ],
                            },
                        ),
                        "succession",
                    ),
                    Question {
                        show_if: Some(Condition {
                            question: "successor".into(),
                            any_of: vec!["yes".into(), "candidate".into()],
                        }),
                        ..in_area(
                            question(
                                "told",
                                QuestionKind::SingleChoice {
                                    options: vec![
                                        choice("yes", "伝えた", 2),
                                        choice("no", "まだ", 0),
                                    ],
                                },
                            ),
                            "succession",
                        )
                    },
                    in_area(
                        question(
                            "finance",
                            QuestionKind::MultipleChoice {
                                options: vec![
                                    choice("plan", "資金計画がある", 3),
                                    choice("bank", "金融機関と相談している", 2),
                                    choice("guarantee", "個人保証がある", -1),
                                ],
                            },
                        ),
                        "finance",
                    ),
                    in_area(
                        question(
                            "people",
                            QuestionKind::Scale {
                                labels: ["1", "2", "3", "4", "5"].map(String::from).to_vec(),
                            },
                        ),
                        "people",
                    ),
                ],
            }],
            scoring: Some(Scoring {
                areas: vec![
                    ScoredArea {
                        key: "succession".into(),
                        label: "事業承継の準備".into(),
                        advice: [(
                            "act".to_owned(),
                            "後継者候補の検討を始めましょう".to_owned(),
                        )]
                        .into(),
                    },
                    ScoredArea {
                        key: "finance".into(),
                        label: "財務".into(),
                        advice: BTreeMap::new(),
                    },
                    ScoredArea {
                        key: "people".into(),
                        label: "人材".into(),
                        advice: BTreeMap::new(),
                    },
                ],
                bands: bands(),
            }),
        }
    }

    fn diagnose(raw: RawAnswers) -> Diagnosis {
        let form = health_check();
        let answers = form.parse_answers(&raw).expect("valid");
        form.diagnose(&answers).expect("scored")
    }

    fn line(score: &Score) -> String {
        format!(
            "{} {}/{} {}% {} {}",
            score.label, score.points, score.max, score.percent, score.band_label, score.advice
        )
    }

    #[test]
    fn the_health_check_is_well_built() {
        assert_eq!(health_check().check(), Ok(()));
    }

    #[test]
    fn areas_and_total_are_scored_with_bands_and_advice() {
        let diagnosis = diagnose(
            RawAnswers::default()
                .with("successor", "candidate")
                .with("told", "yes")
                .with_choices("finance", &["plan", "guarantee"])
                .with("people", "4"),
        );
        let lines: Vec<String> = diagnosis
            .areas
            .iter()
            .chain([&diagnosis.total])
            .map(line)
            .collect();
        expect_test::expect![[r#"
            [
                "事業承継の準備 4/6 66% 注意 ",
                "財務 2/5 40% 要対策 ",
                "人材 4/5 80% 良好 ",
                "総合 10/16 62% 注意 早めの点検を",
            ]
        "#]]
        .assert_debug_eq(&lines);
    }

    #[test]
    fn hidden_questions_do_not_count_against_the_company() {
        let diagnosis = diagnose(RawAnswers::default().with("successor", "no"));
        let lines: Vec<String> = diagnosis
            .areas
            .iter()
            .chain([&diagnosis.total])
            .map(line)
            .collect();
        expect_test::expect![[r#"
            [
                "事業承継の準備 0/4 0% 要対策 後継者候補の検討を始めましょう",
                "財務 0/5 0% 要対策 ",
                "人材 0/5 0% 要対策 ",
                "総合 0/14 0% 要対策 専門家に相談を",
            ]
        "#]]
        .assert_debug_eq(&lines);
    }

    #[test]
    fn negative_points_never_push_a_percentage_below_zero() {
        let diagnosis = diagnose(RawAnswers::default().with_choices("finance", &["guarantee"]));
        let finance = &diagnosis.areas[1];
        assert_eq!((finance.points, finance.percent), (-1, 0));
    }

    #[test]
    fn a_survey_without_scoring_has_no_diagnosis() {
        let form = crate::forms::tests::succession_survey();
        assert_eq!(form.diagnose(&Answers::default()), None);
    }

    #[test]
    fn broken_scoring_is_refused() {
        let mut form = health_check();
        let scoring = form.scoring.as_mut().expect("scored");
        scoring.bands.reverse();
        scoring.areas[1].key = "succession".into();
        scoring.areas[0]
            .advice
            .insert("excellent".into(), "…".into());
        form.sections[0].questions[3].area = Some("sales".into());
        let errors: Vec<String> = form
            .check()
            .expect_err("refused")
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        expect_test::expect![[r#"
            [
                "questions.finance: 採点分野「finance」が定義されていません。",
                "questions.people: 採点分野「sales」が定義されていません。",
                "scoring: 判定区分は下限（%）の高い順に並べてください。",
                "scoring: 採点分野「事業承継の準備」の助言に未定義の判定区分「excellent」があります。",
                "scoring: 採点分野「succession」が重複しています。",
            ]
        "#]]
        .assert_debug_eq(&errors);
    }

    #[test]
    fn a_question_in_an_area_must_be_able_to_score() {
        let mut form = health_check();
        form.sections[0].questions.push(Question {
            area: Some("people".into()),
            ..question("memo", QuestionKind::Text { max_chars: 10 })
        });
        let errors = form.check().expect_err("refused");
        assert_eq!(errors[0].field, "questions.memo");
    }
}
