//! A form's questions as HTML inputs, for every page that asks them (a company's
//! answer page, a survey link, a call's application, the builder's preview): sections
//! as fieldsets, help texts, required marks, each question's error beside it, and
//! what was typed put back. Field names are the question ids (table cells
//! `id[row][column]`), as [`FormDefinition::raw_from_fields`] reads them.
//!
//! A conditional question is always in the page (it works without JavaScript) with
//! a note saying when to answer it; `static/forms.js` hides it while it does not apply.

use askama::Template;
use domain::Invalid;
use domain::forms::{FormDefinition, QuestionKind, RawAnswer, RawAnswers, SCALE_POINTS};

#[derive(Template)]
#[template(path = "forms/questions.html")]
struct QuestionsTemplate {
    sections: Vec<SectionView>,
}

struct SectionView {
    title: String,
    help: String,
    questions: Vec<QuestionView>,
}

/// One table cell: its field name, what was typed, its accessible label.
pub(crate) type Cell = (String, String, String);

/// One question as the template draws it.
pub(crate) struct QuestionView {
    id: String,
    number: usize,
    label: String,
    help: String,
    required: bool,
    error: Option<String>,
    kind: &'static str,
    /// The typed value of a one-value question.
    value: String,
    /// Choices and scale points: (value, label, checked).
    options: Vec<(String, String, bool)>,
    unit: String,
    min: String,
    max: String,
    step: &'static str,
    max_chars: u32,
    columns: Vec<String>,
    /// Table rows: (label, cells).
    rows: Vec<(String, Vec<Cell>)>,
    /// A file question: the kept file's name, what types and how big.
    file: String,
    accept: String,
    file_rule: String,
    /// When a conditional question applies, in words, and for the script.
    condition_note: String,
    condition_question: String,
    condition_values: String,
}

impl QuestionView {
    fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if !self.help.is_empty() {
            ids.push(format!("{}-help", self.id));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.id));
        }
        ids.join(" ")
    }
}

/// The questions of `definition` as HTML, with `raw` filled in and `errors` shown by
/// their questions (an error whose field is not a question is left to the page).
pub fn questions_html(definition: &FormDefinition, raw: &RawAnswers, errors: &[Invalid]) -> String {
    let mut number = 0;
    let sections = definition
        .sections
        .iter()
        .map(|section| SectionView {
            title: section.title.clone(),
            help: section.help.clone(),
            questions: section
                .questions
                .iter()
                .map(|question| {
                    number += 1;
                    view(definition, question, number, raw, errors)
                })
                .collect(),
        })
        .collect();
    QuestionsTemplate { sections }
        .render()
        .unwrap_or_else(|error| {
            tracing::error!(%error, "questions did not render");
            "<p class=\"error\">質問を表示できませんでした。</p>".to_owned()
        })
}

fn text_of(raw: &RawAnswers, id: &str) -> String {
    match raw.get(id) {
        Some(RawAnswer::Text(text)) => text.clone(),
        _ => String::new(),
    }
}

fn number_text(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn view(
    definition: &FormDefinition,
    question: &domain::forms::Question,
    number: usize,
    raw: &RawAnswers,
    errors: &[Invalid],
) -> QuestionView {
    let error = errors
        .iter()
        .filter(|e| e.field == question.id || e.field.starts_with(&format!("{}[", question.id)))
        .map(|e| e.reason.clone())
        .reduce(|a, b| format!("{a} {b}"));
    let (condition_note, condition_question, condition_values) = match &question.show_if {
        Some(condition) => {
            let asked = definition.question(&condition.question);
            let labels: Vec<String> = condition
                .any_of
                .iter()
                .map(|value| {
                    asked
                        .and_then(|q| q.kind.options().iter().find(|o| o.value == *value))
                        .map_or_else(|| value.clone(), |o| o.label.clone())
                })
                .map(|label| format!("「{label}」"))
                .collect();
            (
                format!(
                    "「{}」で{}と答えた方のみ回答してください。",
                    asked.map_or(condition.question.as_str(), |q| q.label.as_str()),
                    labels.join("または")
                ),
                condition.question.clone(),
                condition.any_of.join("\u{1f}"),
            )
        }
        None => Default::default(),
    };
    let mut view = QuestionView {
        id: question.id.clone(),
        number,
        label: question.label.clone(),
        help: question.help.clone(),
        required: question.required,
        error,
        kind: question.kind.code(),
        value: text_of(raw, &question.id),
        options: Vec::new(),
        unit: String::new(),
        min: String::new(),
        max: String::new(),
        step: "any",
        max_chars: 0,
        columns: Vec::new(),
        rows: Vec::new(),
        file: String::new(),
        accept: String::new(),
        file_rule: String::new(),
        condition_note,
        condition_question,
        condition_values,
    };
    match &question.kind {
        QuestionKind::Text { max_chars } | QuestionKind::LongText { max_chars } => {
            view.max_chars = *max_chars;
        }
        QuestionKind::Number {
            min,
            max,
            unit,
            integer,
        } => {
            view.min = number_text(*min);
            view.max = number_text(*max);
            view.unit = unit.clone();
            view.step = if *integer { "1" } else { "any" };
        }
        QuestionKind::SingleChoice { options } => {
            view.options = options
                .iter()
                .map(|o| (o.value.clone(), o.label.clone(), view.value == o.value))
                .collect();
        }
        QuestionKind::MultipleChoice { options } => {
            let chosen = match raw.get(&question.id) {
                Some(RawAnswer::Choices(values)) => values.clone(),
                Some(RawAnswer::Text(value)) => vec![value.clone()],
                _ => Vec::new(),
            };
            view.options = options
                .iter()
                .map(|o| (o.value.clone(), o.label.clone(), chosen.contains(&o.value)))
                .collect();
        }
        QuestionKind::Scale { labels } => {
            view.options = (1..=SCALE_POINTS)
                .map(|point| {
                    let label = labels
                        .get(usize::from(point - 1))
                        .filter(|l| !l.is_empty())
                        .map_or_else(|| point.to_string(), |l| format!("{point}（{l}）"));
                    (point.to_string(), label, view.value == point.to_string())
                })
                .collect();
        }
        QuestionKind::Date => {}
        QuestionKind::File {
            allowed_types,
            max_bytes,
        } => {
            if let Some(RawAnswer::File(file)) = raw.get(&question.id) {
                view.file = file.name.clone();
            }
            view.accept = allowed_types
                .iter()
                .map(|t| format!(".{t}"))
                .collect::<Vec<_>>()
                .join(",");
            view.file_rule = format!(
                "{}{}KBまで",
                if allowed_types.is_empty() {
                    String::new()
                } else {
                    format!("形式：{}、", allowed_types.join("・"))
                },
                max_bytes / 1024
            );
        }
        QuestionKind::Table { columns, rows } => {
            let typed = match raw.get(&question.id) {
                Some(RawAnswer::Table(grid)) => grid.clone(),
                _ => Vec::new(),
            };
            view.columns = columns.clone();
            view.rows = rows
                .iter()
                .enumerate()
                .map(|(r, label)| {
                    let cells = columns
                        .iter()
                        .enumerate()
                        .map(|(c, column)| {
                            let value = typed
                                .get(r)
                                .and_then(|row| row.get(c))
                                .cloned()
                                .unwrap_or_default();
                            (
                                format!("{}[{r}][{c}]", question.id),
                                value,
                                format!("{label}・{column}"),
                            )
                        })
                        .collect();
                    (label.clone(), cells)
                })
                .collect();
        }
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::forms::{Choice, Condition, Question, Section};

    fn definition() -> FormDefinition {
        FormDefinition {
            sections: vec![Section {
                title: "事業承継".into(),
                help: "現在の状況をお答えください。".into(),
                questions: vec![
                    Question {
                        id: "successor".into(),
                        label: "後継者は決まっていますか".into(),
                        help: String::new(),
                        required: true,
                        kind: QuestionKind::SingleChoice {
                            options: vec![
                                Choice {
                                    value: "yes".into(),
                                    label: "決まっている".into(),
                                    points: 0,
                                },
                                Choice {
                                    value: "no".into(),
                                    label: "決まっていない".into(),
                                    points: 0,
                                },
                            ],
                        },
                        show_if: None,
                        area: None,
                    },
                    Question {
                        id: "who".into(),
                        label: "後継者との関係".into(),
                        help: "例：長男、従業員".into(),
                        required: false,
                        kind: QuestionKind::Text { max_chars: 50 },
                        show_if: Some(Condition {
                            question: "successor".into(),
                            any_of: vec!["yes".into()],
                        }),
                        area: None,
                    },
                    Question {
                        id: "sales".into(),
                        label: "売上高".into(),
                        help: String::new(),
                        required: false,
                        kind: QuestionKind::Table {
                            columns: vec!["2015年度".into()],
                            rows: vec!["売上".into()],
                        },
                        show_if: None,
                        area: None,
                    },
                ],
            }],
            scoring: None,
        }
    }

    #[test]
    fn typed_values_errors_and_conditions_are_drawn_escaped() {
        let raw = RawAnswers::default()
            .with("successor", "yes")
            .with("who", "<script>長男</script>");
        let errors = vec![Invalid::new("who", "50文字以内で入力してください。")];
        let html = questions_html(&definition(), &raw, &errors);
        assert!(html.contains(r#"value="yes" checked"#), "{html}");
        assert!(html.contains("&#60;script&#62;長男"), "{html}");
        assert!(!html.contains("<script>長男"), "{html}");
        assert!(html.contains("50文字以内で入力してください。"));
        assert!(html.contains("「後継者は決まっていますか」で「決まっている」と答えた方のみ"));
        assert!(html.contains(r#"name="sales[0][0]""#), "{html}");
        assert!(html.contains("必須"));
    }
}

#[derive(Template)]
#[template(path = "forms/answers.html")]
struct AnswersTemplate {
    sections: Vec<(String, Vec<(String, AnswerView)>)>,
}

/// An answer as read back.
enum AnswerView {
    Text(String),
    Lines(Vec<String>),
    Table(Vec<String>, Vec<(String, Vec<String>)>),
    File(String, Option<i64>),
    Blank,
}

/// A response read back (the owning staff, the respondent, a reviewer): every shown
/// question with its answer as the person chose it (choice labels, not codes), table
/// cells in their grid and uploaded files as links.
pub fn answers_html(definition: &FormDefinition, raw: &RawAnswers) -> String {
    let shown = definition.shown(raw);
    let sections = definition
        .sections
        .iter()
        .map(|section| {
            let answers = section
                .questions
                .iter()
                .filter(|q| shown.contains(&q.id))
                .map(|q| {
                    let label_of = |value: &str| {
                        q.kind
                            .options()
                            .iter()
                            .find(|o| o.value == value)
                            .map_or_else(|| value.to_owned(), |o| o.label.clone())
                    };
                    let view = match (raw.get(&q.id), &q.kind) {
                        (None, _) => AnswerView::Blank,
                        (Some(RawAnswer::Text(text)), _) if text.trim().is_empty() => {
                            AnswerView::Blank
                        }
                        (Some(RawAnswer::Text(text)), QuestionKind::Number { unit, .. }) => {
                            AnswerView::Text(format!("{text} {unit}"))
                        }
                        (Some(RawAnswer::Text(text)), QuestionKind::Scale { labels }) => {
                            let point: usize = text.parse().unwrap_or(0);
                            AnswerView::Text(match labels.get(point.wrapping_sub(1)) {
                                Some(label) => format!("{point}（{label}）"),
                                None => text.clone(),
                            })
                        }
                        (Some(RawAnswer::Text(text)), _) => AnswerView::Text(label_of(text)),
                        (Some(RawAnswer::Choices(values)), _) => {
                            AnswerView::Lines(values.iter().map(|v| label_of(v)).collect())
                        }
                        (Some(RawAnswer::Table(grid)), QuestionKind::Table { columns, rows }) => {
                            AnswerView::Table(
                                columns.clone(),
                                rows.iter()
                                    .enumerate()
                                    .map(|(r, label)| {
                                        (label.clone(), grid.get(r).cloned().unwrap_or_default())
                                    })
                                    .collect(),
                            )
                        }
                        (Some(RawAnswer::Table(_)), _) => AnswerView::Blank,
                        (Some(RawAnswer::File(file)), _) => {
                            AnswerView::File(file.name.clone(), file.file_id)
                        }
                    };
                    (q.label.clone(), view)
                })
                .collect();
            (section.title.clone(), answers)
        })
        .collect();
    AnswersTemplate { sections }
        .render()
        .unwrap_or_else(|error| {
            tracing::error!(%error, "answers did not render");
            "<p class=\"error\">回答を表示できませんでした。</p>".to_owned()
        })
}
