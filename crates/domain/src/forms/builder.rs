//! The form builder's rules: what staff type into the question editor (one form for
//! every kind of question, written for clerks: options one per line, points as
//! 「ラベル=3」, a condition as the earlier question and the answers that show this
//! one) turned into a [`Question`], and the edits of a definition (add, replace,
//! remove, move a question; add or rename a section). The result is checked as a
//! whole by [`FormDefinition::check`] before it is saved.

use super::{Choice, Condition, FormDefinition, Question, QuestionKind, Section};
use crate::Invalid;

/// The question editor's fields, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuestionInput {
    /// Empty for a new question: an id is made (`q1`, `q2`, …).
    pub id: String,
    pub section: String,
    pub label: String,
    pub help: String,
    pub required: bool,
    /// A [`QuestionKind::code`].
    pub kind: String,
    /// Choices, one per line, 「ラベル」 or 「ラベル=点数」.
    pub options: String,
    pub min: String,
    pub max: String,
    pub unit: String,
    pub integer: bool,
    pub max_chars: String,
    /// Five lines: what each point of a scale means.
    pub scale_labels: String,
    /// 「pdf, jpg」.
    pub allowed_types: String,
    pub max_kb: String,
    /// Lines.
    pub columns: String,
    pub rows: String,
    /// The earlier choice question whose answer shows this one ("" for always).
    pub show_if: String,
    /// The answers of that question (their labels or values), one per line.
    pub show_if_answers: String,
    /// The scored area of a diagnostic ("" for none).
    pub area: String,
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn optional_number(text: &str, field: &str, errors: &mut Vec<Invalid>) -> Option<f64> {
    let text = crate::text::narrow_ascii(text.trim());
    if text.is_empty() {
        return None;
    }
    match text.replace(',', "").parse::<f64>() {
        Ok(value) if value.is_finite() => Some(value),
        _ => {
            errors.push(Invalid::new(
                field,
                format!("「{text}」は数値として読めません。"),
            ));
            None
        }
    }
}

fn positive(text: &str, default: u64, field: &str, errors: &mut Vec<Invalid>) -> u64 {
    let text = crate::text::narrow_ascii(text.trim());
    if text.is_empty() {
        return default;
    }
    match text.parse::<u64>() {
        Ok(value) if value > 0 => value,
        _ => {
            errors.push(Invalid::new(
                field,
                format!("「{text}」は1以上の整数で入力してください。"),
            ));
            default
        }
    }
}

/// Options from lines: 「決まっている」 or 「決まっている=5」. Values stay stable: an
/// option whose label an existing option has keeps that option's value, a new one
/// gets the next free `o{n}`.
fn parse_options(text: &str, existing: &[Choice], errors: &mut Vec<Invalid>) -> Vec<Choice> {
    let mut options: Vec<Choice> = Vec::new();
    let mut next = 1;
    for line in lines(text) {
        let (label, points) = match line.rsplit_once(['=', '＝']) {
            Some((label, points)) => {
                let points_text = crate::text::narrow_ascii(points.trim());
                match points_text.parse::<i32>() {
                    Ok(points) => (label.trim().to_owned(), points),
                    Err(_) => {
                        errors.push(Invalid::new(
                            "options",
                            format!("「{line}」の点数は整数にしてください（例：決まっている=5）。"),
                        ));
                        (label.trim().to_owned(), 0)
                    }
                }
            }
            None => (line.clone(), 0),
        };
        let value = match existing.iter().find(|o| o.label == label) {
            Some(kept) => kept.value.clone(),
            None => loop {
                let candidate = format!("o{next}");
                next += 1;
                if !existing.iter().any(|o| o.value == candidate)
                    && !options.iter().any(|o| o.value == candidate)
                {
                    break candidate;
                }
            },
        };
        options.push(Choice {
            value,
            label,
            points,
        });
    }
    options
}

impl QuestionInput {
    /// The editor's fields for an existing question (to edit it).
    pub fn of(question: &Question, section: &str) -> QuestionInput {
        let mut input = QuestionInput {
            id: question.id.clone(),
            section: section.to_owned(),
            label: question.label.clone(),
            help: question.help.clone(),
            required: question.required,
            kind: question.kind.code().to_owned(),
            area: question.area.clone().unwrap_or_default(),
            ..Default::default()
        };
        if let Some(condition) = &question.show_if {
            input.show_if = condition.question.clone();
            input.show_if_answers = condition.any_of.join("\n");
        }
        match &question.kind {
            QuestionKind::Text { max_chars } | QuestionKind::LongText { max_chars } => {
                input.max_chars = max_chars.to_string();
            }
            QuestionKind::Number {
                min,
                max,
                unit,
                integer,
            } => {
                input.min = min.map(|v| v.to_string()).unwrap_or_default();
                input.max = max.map(|v| v.to_string()).unwrap_or_default();
                input.unit = unit.clone();
                input.integer = *integer;
            }
            QuestionKind::SingleChoice { options } | QuestionKind::MultipleChoice { options } => {
                input.options = options
                    .iter()
                    .map(|o| {
                        if o.points == 0 {
                            o.label.clone()
                        } else {
                            format!("{}={}", o.label, o.points)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
            }
            QuestionKind::Scale { labels } => input.scale_labels = labels.join("\n"),
            QuestionKind::Date => {}
            QuestionKind::File {
                allowed_types,
                max_bytes,
            } => {
                input.allowed_types = allowed_types.join(", ");
                input.max_kb = (max_bytes / 1024).to_string();
            }
            QuestionKind::Table { columns, rows } => {
                input.columns = columns.join("\n");
                input.rows = rows.join("\n");
            }
        }
        input
    }

    /// The question these fields describe, in `definition` (which gives the ids in use,
    /// the options to keep stable, and the questions a condition may name).
    pub fn to_question(&self, definition: &FormDefinition) -> Result<Question, Vec<Invalid>> {
        let mut errors = Vec::new();
        let existing = definition.question(&self.id);
        let kept_options = existing.map(|q| q.kind.options()).unwrap_or(&[]);
        let kind = match self.kind.as_str() {
            "text" => QuestionKind::Text {
                max_chars: u32::try_from(positive(&self.max_chars, 200, "max_chars", &mut errors))
                    .unwrap_or(u32::MAX),
            },
            "long_text" => QuestionKind::LongText {
                max_chars: u32::try_from(positive(&self.max_chars, 4000, "max_chars", &mut errors))
                    .unwrap_or(u32::MAX),
            },
            "number" => QuestionKind::Number {
                min: optional_number(&self.min, "min", &mut errors),
                max: optional_number(&self.max, "max", &mut errors),
                unit: self.unit.trim().to_owned(),
                integer: self.integer,
            },
            "single_choice" => QuestionKind::SingleChoice {
                options: parse_options(&self.options, kept_options, &mut errors),
            },
            "multiple_choice" => QuestionKind::MultipleChoice {
                options: parse_options(&self.options, kept_options, &mut errors),
            },
            "scale" => QuestionKind::Scale {
                labels: lines(&self.scale_labels),
            },
            "date" => QuestionKind::Date,
            "file" => QuestionKind::File {
                allowed_types: self
                    .allowed_types
                    .split([',', '、', ' ', '，'])
                    .map(|t| t.trim().trim_start_matches('.').to_lowercase())
                    .filter(|t| !t.is_empty())
                    .collect(),
                max_bytes: positive(&self.max_kb, 1024, "max_kb", &mut errors) * 1024,
            },
            "table" => QuestionKind::Table {
                columns: lines(&self.columns),
                rows: lines(&self.rows),
            },
            _ => {
                errors.push(Invalid::new("kind", "質問の種類を選んでください。"));
                QuestionKind::Date
            }
        };
        let show_if = if self.show_if.trim().is_empty() {
            None
        } else {
            match definition.question(self.show_if.trim()) {
                None => {
                    errors.push(Invalid::new("show_if", "表示条件の質問が見つかりません。"));
                    None
                }
                Some(source) => {
                    let mut any_of = Vec::new();
                    for answer in lines(&self.show_if_answers) {
                        match source
                            .kind
                            .options()
                            .iter()
                            .find(|o| o.label == answer || o.value == answer)
                        {
                            Some(option) => any_of.push(option.value.clone()),
                            None => errors.push(Invalid::new(
                                "show_if_answers",
                                format!(
                                    "「{answer}」は質問「{}」の選択肢にありません。",
                                    source.label
                                ),
                            )),
                        }
                    }
                    if any_of.is_empty() && errors.is_empty() {
                        errors.push(Invalid::new(
                            "show_if_answers",
                            "表示条件の回答を1行に1つ入力してください。",
                        ));
                    }
                    Some(Condition {
                        question: source.id.clone(),
                        any_of,
                    })
                }
            }
        };
        if self.label.trim().is_empty() {
            errors.push(Invalid::new("label", "質問文を入力してください。"));
        }
        let id = if self.id.trim().is_empty() {
            next_id(definition)
        } else {
            self.id.trim().to_owned()
        };
        let question = Question {
            id,
            label: self.label.trim().to_owned(),
            help: self.help.trim().to_owned(),
            required: self.required,
            kind,
            show_if,
            area: Some(self.area.trim().to_owned()).filter(|a| !a.is_empty()),
        };
        if errors.is_empty() {
            Ok(question)
        } else {
            Err(errors)
        }
    }
}

/// The first free `q{n}`.
fn next_id(definition: &FormDefinition) -> String {
    (1..)
        .map(|n| format!("q{n}"))
        .find(|id| definition.question(id).is_none())
        .unwrap_or_else(|| "q".into())
}

/// One change to a definition from the builder.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Adds the question at the end of the section (by index), or replaces the
    /// question with the same id where it is.
    Save {
        section: usize,
        question: Question,
    },
    Remove {
        id: String,
    },
    MoveUp {
        id: String,
    },
    MoveDown {
        id: String,
    },
    AddSection {
        title: String,
        help: String,
    },
    RenameSection {
        section: usize,
        title: String,
        help: String,
    },
}

impl FormDefinition {
    /// The definition after `edit`; refused when the result would not be a valid form
    /// (a condition on a removed question, a question moved above the one it depends on).
    pub fn edited(&self, edit: Edit) -> Result<FormDefinition, Vec<Invalid>> {
        let mut next = self.clone();
        let position = |def: &FormDefinition, id: &str| {
            def.sections.iter().enumerate().find_map(|(s, section)| {
                section
                    .questions
                    .iter()
                    .position(|q| q.id == id)
                    .map(|i| (s, i))
            })
        };
        let missing = || vec![Invalid::new("question", "その質問は見つかりません。")];
        match edit {
            Edit::Save { section, question } => match position(&next, &question.id) {
                Some((s, i)) if s == section => next.sections[s].questions[i] = question,
                Some((s, i)) => {
                    next.sections[s].questions.remove(i);
                    match next.sections.get_mut(section) {
                        Some(target) => target.questions.push(question),
                        None => return Err(no_section()),
                    }
                }
                None => match next.sections.get_mut(section) {
                    Some(target) => target.questions.push(question),
                    None => return Err(no_section()),
                },
            },
            Edit::Remove { id } => {
                let (s, i) = position(&next, &id).ok_or_else(missing)?;
                next.sections[s].questions.remove(i);
                if let Some(dependent) = next
                    .questions()
                    .find(|q| q.show_if.as_ref().is_some_and(|c| c.question == id))
                {
                    return Err(vec![Invalid::new(
                        "question",
                        format!(
                            "質問「{}」の表示条件がこの質問を使っているため削除できません。先に表示条件を外してください。",
                            dependent.label
                        ),
                    )]);
                }
            }
            Edit::MoveUp { id } => {
                let (s, i) = position(&next, &id).ok_or_else(missing)?;
                if i > 0 {
                    next.sections[s].questions.swap(i - 1, i);
                } else if s > 0 {
                    let question = next.sections[s].questions.remove(i);
                    next.sections[s - 1].questions.push(question);
                }
            }
            Edit::MoveDown { id } => {
                let (s, i) = position(&next, &id).ok_or_else(missing)?;
                if i + 1 < next.sections[s].questions.len() {
                    next.sections[s].questions.swap(i, i + 1);
                } else if s + 1 < next.sections.len() {
                    let question = next.sections[s].questions.remove(i);
                    next.sections[s + 1].questions.insert(0, question);
                }
            }
            Edit::AddSection { title, help } => next.sections.push(Section {
                title: title.trim().to_owned(),
                help: help.trim().to_owned(),
                questions: Vec::new(),
            }),
            Edit::RenameSection {
                section,
                title,
                help,
            } => {
                let target = next.sections.get_mut(section).ok_or_else(no_section)?;
                target.title = title.trim().to_owned();
                target.help = help.trim().to_owned();
            }
        }
        // A section may stay empty while it is being filled; the rest must hold.
        let mut errors: Vec<Invalid> = next.check().err().unwrap_or_default();
        errors.retain(|e| e.field != "sections" || next.questions().next().is_none());
        if errors.is_empty() {
            Ok(next)
        } else {
            Err(errors)
        }
    }
}

fn no_section() -> Vec<Invalid> {
    vec![Invalid::new("section", "セクションを選んでください。")]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> FormDefinition {
        FormDefinition {
            sections: vec![Section {
                title: "事業承継".into(),
                help: String::new(),
                questions: Vec::new(),
            }],
            scoring: None,
        }
    }

    fn input(label: &str, kind: &str) -> QuestionInput {
        QuestionInput {
            label: label.into(),
            kind: kind.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_clerk_builds_a_choice_and_a_conditional_question_from_lines() {
        let def = start();
        let successor = QuestionInput {
            options: "決まっている=5\n候補がいる＝３\n決まっていない".into(),
            required: true,
            ..input("後継者は決まっていますか", "single_choice")
        }
        .to_question(&def)
        .unwrap();
        assert_eq!(successor.id, "q1");
        let points: Vec<(&str, i32)> = successor
            .kind
            .options()
            .iter()
            .map(|o| (o.label.as_str(), o.points))
            .collect();
        assert_eq!(
            points,
            [
                ("決まっている", 5),
                ("候補がいる", 3),
                ("決まっていない", 0)
            ]
        );
        let def = def
            .edited(Edit::Save {
                section: 0,
                question: successor,
            })
            .unwrap();
        let who = QuestionInput {
            show_if: "q1".into(),
            show_if_answers: "決まっている\n候補がいる".into(),
            ..input("後継者との関係", "text")
        }
        .to_question(&def)
        .unwrap();
        assert_eq!(who.id, "q2");
        assert_eq!(who.show_if.as_ref().unwrap().any_of, ["o1", "o2"]);
        let def = def
            .edited(Edit::Save {
                section: 0,
                question: who,
            })
            .unwrap();
        // The condition depends on q1: q1 cannot be removed, nor q2 moved above it.
        let refused = def.edited(Edit::Remove { id: "q1".into() }).unwrap_err();
        assert!(refused[0].reason.contains("表示条件がこの質問を使っている"));
        assert!(def.edited(Edit::MoveUp { id: "q2".into() }).is_err());

        // Editing the labels keeps the stored values of unchanged options.
        let edited = QuestionInput {
            options: "決まっていない\n決まっている=5\nわからない".into(),
            ..QuestionInput::of(def.question("q1").unwrap(), "0")
        }
        .to_question(&def)
        .unwrap();
        let values: Vec<&str> = edited
            .kind
            .options()
            .iter()
            .map(|o| o.value.as_str())
            .collect();
        assert_eq!(values, ["o3", "o1", "o4"]);
    }

    #[test]
    fn wrong_numbers_and_unknown_condition_answers_are_named() {
        let def = start();
        let errors = QuestionInput {
            min: "十".into(),
            ..input("従業員数", "number")
        }
        .to_question(&def)
        .unwrap_err();
        assert_eq!(errors[0].field, "min");
        let errors = input("", "nonsense").to_question(&def).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["kind", "label"]);
        let file = QuestionInput {
            allowed_types: ".PDF、jpg".into(),
            max_kb: "２０４８".into(),
            ..input("決算書", "file")
        }
        .to_question(&def)
        .unwrap();
        assert_eq!(
            file.kind,
            QuestionKind::File {
                allowed_types: vec!["pdf".into(), "jpg".into()],
                max_bytes: 2048 * 1024
            }
        );
    }
}
