//! Aggregates of many responses: what the council and other cities may see when
//! individual answers are private. Per question: how many answered, counts per
//! option (or per scale point), and the mean of numbers and scales; and the same
//! cross-tabulated by a group of the respondent (city, industry, size).

use std::collections::BTreeMap;

use super::{Answer, Answers, FormDefinition, Question, QuestionKind, SCALE_POINTS};

/// One column of counts: an option, or a point of a scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    pub value: String,
    pub label: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuestionSummary {
    pub id: String,
    pub label: String,
    pub kind: &'static str,
    pub answered: u32,
    /// Options of choice questions, points of scales; empty otherwise.
    pub tallies: Vec<Tally>,
    /// Numbers and scales.
    pub mean: Option<f64>,
}

/// One row of a cross-tabulation: the respondents of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossRow {
    pub group: String,
    pub respondents: u32,
    pub summary: QuestionSummary,
}

fn columns(question: &Question) -> Vec<(String, String)> {
    match &question.kind {
        QuestionKind::SingleChoice { options } | QuestionKind::MultipleChoice { options } => {
            options
                .iter()
                .map(|o| (o.value.clone(), o.label.clone()))
                .collect()
        }
        QuestionKind::Scale { labels } => (1..=SCALE_POINTS)
            .map(|point| {
                let label = labels
                    .get(usize::from(point - 1))
                    .cloned()
                    .unwrap_or_default();
                (point.to_string(), label)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Summarises one question over the given answers.
pub fn summarise_question<'a>(
    question: &Question,
    responses: impl IntoIterator<Item = &'a Answers>,
) -> QuestionSummary {
    let mut tallies: Vec<Tally> = columns(question)
        .into_iter()
        .map(|(value, label)| Tally {
            value,
            label,
            count: 0,
        })
        .collect();
    let mut answered = 0;
    let (mut sum, mut numbers) = (0.0, 0u32);
    let count = |value: &str, tallies: &mut Vec<Tally>| {
        if let Some(tally) = tallies.iter_mut().find(|t| t.value == value) {
            tally.count += 1;
        }
    };
    for answers in responses {
        let Some(answer) = answers.get(&question.id) else {
            continue;
        };
        answered += 1;
        match answer {
            Answer::Choice(value) => count(value, &mut tallies),
            Answer::Choices(values) => values.iter().for_each(|v| count(v, &mut tallies)),
            Answer::Scale(point) => {
                count(&point.to_string(), &mut tallies);
                sum += f64::from(*point);
                numbers += 1;
            }
            Answer::Number(value) => {
                sum += value;
                numbers += 1;
            }
            _ => {}
        }
    }
    QuestionSummary {
        id: question.id.clone(),
        label: question.label.clone(),
        kind: question.kind.code(),
        answered,
        tallies,
        mean: (numbers > 0).then(|| sum / f64::from(numbers)),
    }
}

impl FormDefinition {
    /// Every question summarised over the responses.
    pub fn summarise(&self, responses: &[Answers]) -> Vec<QuestionSummary> {
        self.questions()
            .map(|q| summarise_question(q, responses))
            .collect()
    }

    /// One question cross-tabulated by the respondents' group (sorted by group);
    /// `None` when the form has no such question.
    pub fn cross_tab<'a>(
        &self,
        question: &str,
        responses: impl IntoIterator<Item = (String, &'a Answers)>,
    ) -> Option<Vec<CrossRow>> {
        let question = self.question(question)?;
        let mut groups: BTreeMap<String, Vec<&Answers>> = BTreeMap::new();
        for (group, answers) in responses {
            groups.entry(group).or_default().push(answers);
        }
        Some(
            groups
                .into_iter()
                .map(|(group, members)| CrossRow {
                    group,
                    respondents: u32::try_from(members.len()).unwrap_or(u32::MAX),
                    summary: summarise_question(question, members),
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::forms::RawAnswers;
    use crate::forms::tests::succession_survey;

    use super::*;

    fn responses() -> Vec<(String, Answers)> {
        let form = succession_survey();
        [
            ("金属製品", "12", "yes", &["tax"][..], "4"),
            ("金属製品", "30", "no", &["tax", "debt"][..], "2"),
            ("鋳物", "7", "yes", &[][..], "5"),
        ]
        .into_iter()
        .map(|(industry, employees, successor, concerns, outlook)| {
            let raw = RawAnswers::default()
                .with("employees", employees)
                .with("successor", successor)
                .with("who", "family")
                .with_choices("concerns", concerns)
                .with("outlook", outlook);
            (
                industry.to_owned(),
                form.parse_answers(&raw).expect("valid"),
            )
        })
        .collect()
    }

    fn show(summary: &QuestionSummary) -> String {
        let tallies: Vec<String> = summary
            .tallies
            .iter()
            .map(|t| format!("{}={}", t.label, t.count))
            .collect();
        format!(
            "{} n={} [{}] mean={:?}",
            summary.id,
            summary.answered,
            tallies.join(" "),
            summary.mean
        )
    }

    #[test]
    fn every_question_is_counted_with_means_for_numbers_and_scales() {
        let answers: Vec<Answers> = responses().into_iter().map(|(_, a)| a).collect();
        let lines: Vec<String> = succession_survey()
            .summarise(&answers)
            .iter()
            .map(show)
            .collect();
        expect_test::expect![[r#"
            [
                "employees n=3 [] mean=Some(16.333333333333332)",
                "successor n=3 [はい=2 いいえ=1] mean=None",
                "who n=2 [親族=2 従業員=0 社外=0] mean=None",
                "concerns n=2 [税金=2 借入金の保証=1 後継者の育成=0] mean=None",
                "outlook n=3 [悪い=0 やや悪い=1 普通=0 やや良い=1 良い=1] mean=Some(3.6666666666666665)",
                "planned_on n=0 [] mean=None",
                "plan n=0 [] mean=None",
                "sales n=0 [] mean=None",
                "note n=0 [] mean=None",
            ]
        "#]]
        .assert_debug_eq(&lines);
    }

    #[test]
    fn a_question_is_cross_tabulated_by_group() {
        let responses = responses();
        let rows = succession_survey()
            .cross_tab("successor", responses.iter().map(|(g, a)| (g.clone(), a)))
            .expect("question exists");
        let lines: Vec<String> = rows
            .iter()
            .map(|r| format!("{} ({}): {}", r.group, r.respondents, show(&r.summary)))
            .collect();
        expect_test::expect![[r#"
            [
                "金属製品 (2): successor n=2 [はい=1 いいえ=1] mean=None",
                "鋳物 (1): successor n=1 [はい=1 いいえ=0] mean=None",
            ]
        "#]]
        .assert_debug_eq(&lines);
        assert!(
            succession_survey()
                .cross_tab("nothing", std::iter::empty())
                .is_none()
        );
    }

    #[test]
    fn no_responses_give_zero_counts_and_no_mean() {
        let summary = succession_survey().summarise(&[]);
        assert!(summary.iter().all(|s| s.answered == 0 && s.mean.is_none()));
    }
}
