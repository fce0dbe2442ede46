//! Answers: what a page submits ([`RawAnswers`], exactly as typed, stored as a draft
//! so that nothing is lost) and what a version accepts ([`Answers`], typed).
//!
//! Parsing checks every shown question and reports each problem against the
//! question's id with a Japanese reason; hidden (conditional) questions are ignored,
//! whatever was typed into them. The raw answers are never changed by parsing, so a
//! refused submission re-renders with everything the person typed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{FormDefinition, Question, QuestionKind, SCALE_POINTS};
use crate::Invalid;
use crate::text::narrow_ascii;

/// Longest text in one table cell.
const MAX_CELL_CHARS: usize = 200;

/// An uploaded file as the form knows it; the bytes live elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMeta {
    /// The name the person's computer gave it (`決算書.pdf`).
    pub name: String,
    pub bytes: u64,
    /// The stored file (`form_files`), once uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<i64>,
}

impl FileMeta {
    /// The lower-case extension, without the dot.
    pub fn extension(&self) -> Option<String> {
        let (_, extension) = self.name.rsplit_once('.')?;
        (!extension.is_empty()).then(|| extension.to_lowercase())
    }
}

/// One answer as typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawAnswer {
    /// A text field, a number, a date, a scale point or one radio button.
    Text(String),
    /// Checkboxes (or a select that allows several).
    Choices(Vec<String>),
    /// Table cells, row by row.
    Table(Vec<Vec<String>>),
    File(FileMeta),
}

impl RawAnswer {
    fn is_blank(&self) -> bool {
        match self {
            RawAnswer::Text(text) => text.trim().is_empty(),
            RawAnswer::Choices(values) => values.iter().all(|v| v.trim().is_empty()),
            RawAnswer::Table(rows) => rows.iter().flatten().all(|c| c.trim().is_empty()),
            RawAnswer::File(file) => file.name.trim().is_empty(),
        }
    }

    /// Whether this answer is one of `values` (for conditions).
    fn matches_any(&self, values: &[String]) -> bool {
        match self {
            RawAnswer::Text(text) => values.iter().any(|v| v == text.trim()),
            RawAnswer::Choices(chosen) => chosen.iter().any(|c| values.iter().any(|v| v == c)),
            _ => false,
        }
    }
}

/// Everything typed into one response, by question id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawAnswers(pub BTreeMap<String, RawAnswer>);

impl RawAnswers {
    pub fn get(&self, id: &str) -> Option<&RawAnswer> {
        self.0.get(id)
    }

    pub fn set(&mut self, id: impl Into<String>, answer: RawAnswer) {
        self.0.insert(id.into(), answer);
    }

    /// Builder for tests and demo data: a text answer.
    pub fn with(mut self, id: &str, text: &str) -> Self {
        self.set(id, RawAnswer::Text(text.into()));
        self
    }

    /// Builder for tests and demo data: several choices.
    pub fn with_choices(mut self, id: &str, values: &[&str]) -> Self {
        self.set(
            id,
            RawAnswer::Choices(values.iter().map(|v| (*v).to_owned()).collect()),
        );
        self
    }
}

/// One accepted answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Text(String),
    Number(f64),
    Choice(String),
    Choices(Vec<String>),
    Scale(u8),
    Date(NaiveDate),
    File(FileMeta),
    Table(Vec<Vec<String>>),
}

/// The accepted answers of one response: only shown questions that were answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Answers(pub BTreeMap<String, Answer>);

impl Answers {
    pub fn get(&self, id: &str) -> Option<&Answer> {
        self.0.get(id)
    }
}

impl FormDefinition {
    /// The ids of the questions shown for these answers. A question is shown when it
    /// has no condition, or when its condition's question is itself shown and answered
    /// with one of the condition's values (conditions only point backwards, so one
    /// pass in order settles chains).
    pub fn shown(&self, raw: &RawAnswers) -> BTreeSet<String> {
        let mut shown = BTreeSet::new();
        for question in self.questions() {
            let visible = match &question.show_if {
                None => true,
                Some(condition) => {
                    shown.contains(&condition.question)
                        && raw
                            .get(&condition.question)
                            .is_some_and(|a| a.matches_any(&condition.any_of))
                }
            };
            if visible {
                shown.insert(question.id.clone());
            }
        }
        shown
    }

    /// Parses a submission: every shown question checked, every problem reported.
    pub fn parse_answers(&self, raw: &RawAnswers) -> Result<Answers, Vec<Invalid>> {
        let shown = self.shown(raw);
        let mut answers = BTreeMap::new();
        let mut errors = Vec::new();
        for question in self.questions().filter(|q| shown.contains(&q.id)) {
            match raw.get(&question.id).filter(|a| !a.is_blank()) {
                None if question.required => errors.push(Invalid::new(
                    &question.id,
                    format!("「{}」は必須です。", question.label),
                )),
                None => {}
                Some(answer) => match parse_one(question, answer) {
                    Ok(parsed) => {
                        answers.insert(question.id.clone(), parsed);
                    }
                    Err(reason) => errors.push(Invalid::new(&question.id, reason)),
                },
            }
        }
        if errors.is_empty() {
            Ok(Answers(answers))
        } else {
            Err(errors)
        }
    }

    /// Reads a page's form fields into raw answers: a question's id as the field name
    /// (repeated for checkboxes), table cells as `id[row][column]` counted from 0.
    /// Unknown fields are dropped; files come separately (multipart).
    pub fn raw_from_fields(&self, fields: &[(String, String)]) -> RawAnswers {
        let mut raw = RawAnswers::default();
        for question in self.questions() {
            let values = || {
                fields
                    .iter()
                    .filter(|(name, _)| *name == question.id)
                    .map(|(_, value)| value.clone())
            };
            match &question.kind {
                QuestionKind::MultipleChoice { .. } => {
                    let chosen: Vec<String> = values().collect();
                    if !chosen.is_empty() {
                        raw.set(&question.id, RawAnswer::Choices(chosen));
                    }
                }
                QuestionKind::Table { columns, rows } => {
                    let mut grid = vec![vec![String::new(); columns.len()]; rows.len()];
                    let mut any = false;
                    for (name, value) in fields {
                        if let Some((row, column)) = table_cell(name, &question.id)
                            && let Some(cell) = grid.get_mut(row).and_then(|r| r.get_mut(column))
                        {
                            *cell = value.clone();
                            any = true;
                        }
                    }
                    if any {
                        raw.set(&question.id, RawAnswer::Table(grid));
                    }
                }
                QuestionKind::File { .. } => {}
                _ => {
                    if let Some(value) = values().next_back() {
                        raw.set(&question.id, RawAnswer::Text(value));
                    }
                }
            }
        }
        raw
    }
}

/// `q[1][2]` → (1, 2) when `q` is `id`.
fn table_cell(name: &str, id: &str) -> Option<(usize, usize)> {
    let rest = name.strip_prefix(id)?.strip_prefix('[')?;
    let (row, rest) = rest.split_once("][")?;
    let column = rest.strip_suffix(']')?;
    Some((row.parse().ok()?, column.parse().ok()?))
}

fn wrong_shape() -> String {
    "回答の形式が正しくありません。".into()
}

fn single_text(answer: &RawAnswer) -> Result<&str, String> {
    match answer {
        RawAnswer::Text(text) => Ok(text.trim()),
        RawAnswer::Choices(values) if values.len() == 1 => Ok(values[0].trim()),
        RawAnswer::Choices(_) => Err("1つだけ選んでください。".into()),
        _ => Err(wrong_shape()),
    }
}

fn parse_one(question: &Question, answer: &RawAnswer) -> Result<Answer, String> {
    match &question.kind {
        QuestionKind::Text { max_chars } | QuestionKind::LongText { max_chars } => {
            let text = single_text(answer)?;
            let length = text.chars().count();
            if length > *max_chars as usize {
                return Err(format!(
                    "{max_chars}文字以内で入力してください（{length}文字あります）。"
                ));
            }
            Ok(Answer::Text(text.to_owned()))
        }
        QuestionKind::Number {
            min,
            max,
            unit,
            integer,
        } => {
            let text = narrow_ascii(single_text(answer)?);
            let cleaned: String = text
                .trim()
                .trim_end_matches(unit.as_str())
                .chars()
                .filter(|c| *c != ',' && *c != '、')
                .collect();
            let value: f64 = cleaned
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| format!("数値で入力してください（「{}」）。", text.trim()))?;
            if *integer && value.fract() != 0.0 {
                return Err("整数で入力してください。".into());
            }
            let out_of_range = min.is_some_and(|m| value < m) || max.is_some_and(|m| value > m);
            if out_of_range {
                let show = |v: &Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
                return Err(match (min, max) {
                    (Some(_), Some(_)) => format!(
                        "{}{unit}から{}{unit}までの範囲で入力してください。",
                        show(min),
                        show(max)
                    ),
                    (Some(_), None) => format!("{}{unit}以上で入力してください。", show(min)),
                    _ => format!("{}{unit}以下で入力してください。", show(max)),
                });
            }
            Ok(Answer::Number(value))
        }
        QuestionKind::SingleChoice { options } => {
            let value = single_text(answer)?;
            if options.iter().any(|o| o.value == value) {
                Ok(Answer::Choice(value.to_owned()))
            } else {
                Err(format!(
                    "選択肢の中から選んでください（「{value}」はありません）。"
                ))
            }
        }
        QuestionKind::MultipleChoice { options } => {
            let chosen: Vec<&str> = match answer {
                RawAnswer::Text(text) => vec![text.trim()],
                RawAnswer::Choices(values) => values.iter().map(|v| v.trim()).collect(),
                _ => return Err(wrong_shape()),
            };
            let unknown: Vec<&str> = chosen
                .iter()
                .copied()
                .filter(|c| !c.is_empty() && !options.iter().any(|o| o.value == *c))
                .collect();
            if !unknown.is_empty() {
                return Err(format!(
                    "選択肢の中から選んでください（「{}」はありません）。",
                    unknown.join("」「")
                ));
            }
            // In the options' order, each once: what was chosen, not how it was sent.
            Ok(Answer::Choices(
                options
                    .iter()
                    .filter(|o| chosen.contains(&o.value.as_str()))
                    .map(|o| o.value.clone())
                    .collect(),
            ))
        }
        QuestionKind::Scale { .. } => {
            let text = narrow_ascii(single_text(answer)?);
            match text.trim().parse::<u8>() {
                Ok(point) if (1..=SCALE_POINTS).contains(&point) => Ok(Answer::Scale(point)),
                _ => Err(format!("1から{SCALE_POINTS}の中から選んでください。")),
            }
        }
        QuestionKind::Date => {
            let text = single_text(answer)?;
            parse_date(text)
                .map(Answer::Date)
                .ok_or_else(|| format!("日付は 2025-04-01 の形で入力してください（「{text}」）。"))
        }
        QuestionKind::File {
            allowed_types,
            max_bytes,
        } => {
            let RawAnswer::File(file) = answer else {
                return Err(wrong_shape());
            };
            let extension = file.extension().unwrap_or_default();
            if !allowed_types.is_empty() && !allowed_types.contains(&extension) {
                return Err(format!(
                    "ファイルの形式は {} にしてください（「{}」）。",
                    allowed_types.join("・"),
                    file.name
                ));
            }
            if file.bytes > *max_bytes {
                return Err(format!(
                    "ファイルは{}以下にしてください（{}あります）。",
                    byte_size(*max_bytes),
                    byte_size(file.bytes)
                ));
            }
            Ok(Answer::File(file.clone()))
        }
        QuestionKind::Table { columns, rows } => {
            let RawAnswer::Table(grid) = answer else {
                return Err(wrong_shape());
            };
            if grid.len() > rows.len() || grid.iter().any(|r| r.len() > columns.len()) {
                return Err(format!("表は{}行×{}列です。", rows.len(), columns.len()));
            }
            let mut cells = vec![vec![String::new(); columns.len()]; rows.len()];
            for (r, row) in grid.iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    let cell = cell.trim();
                    if cell.chars().count() > MAX_CELL_CHARS {
                        return Err(format!(
                            "「{}」の「{}」は{MAX_CELL_CHARS}文字以内で入力してください。",
                            rows[r], columns[c]
                        ));
                    }
                    cells[r][c] = cell.to_owned();
                }
            }
            Ok(Answer::Table(cells))
        }
    }
}

/// `2025-04-01`, `2025/4/1`, `2025年4月1日` (full-width digits too).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = narrow_ascii(text);
    let parts: Vec<&str> = text
        .trim()
        .trim_end_matches('日')
        .split(['-', '/', '年', '月'])
        .collect();
    let [year, month, day] = parts.as_slice() else {
        return None;
    };
    NaiveDate::from_ymd_opt(
        year.trim().parse().ok()?,
        month.trim().parse().ok()?,
        day.trim().parse().ok()?,
    )
}

fn byte_size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        format!("{:.1}MB", bytes as f64 / MB as f64)
    } else {
        format!("{}KB", bytes.div_ceil(1024))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::tests::succession_survey;

    fn errors(raw: &RawAnswers) -> Vec<String> {
        succession_survey()
            .parse_answers(raw)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn a_complete_submission_is_parsed_into_typed_answers() {
        let mut raw = RawAnswers::default()
            .with("employees", "１，２００人")
            .with("successor", "yes")
            .with("who", "staff")
            .with_choices("concerns", &["people", "tax", "tax"])
            .with("outlook", "4")
            .with("planned_on", "2026年4月1日")
            .with("note", " 特になし ");
        raw.set(
            "plan",
            RawAnswer::File(FileMeta {
                name: "計画書.PDF".into(),
                bytes: 20_000,
                file_id: None,
            }),
        );
        raw.set(
            "sales",
            RawAnswer::Table(vec![vec!["1億".into(), " 1.2億 ".into()]]),
        );
        let answers = succession_survey().parse_answers(&raw).expect("valid");
        expect_test::expect![[r#"
            {
                "concerns": Choices(
                    [
                        "tax",
                        "people",
                    ],
                ),
                "employees": Number(
                    1200.0,
                ),
                "note": Text(
                    "特になし",
                ),
                "outlook": Scale(
                    4,
                ),
                "plan": File(
                    FileMeta {
                        name: "計画書.PDF",
                        bytes: 20000,
                        file_id: None,
                    },
                ),
                "planned_on": Date(
                    2026-04-01,
                ),
                "sales": Table(
                    [
                        [
                            "1億",
                            "1.2億",
                        ],
                        [
                            "",
                            "",
                        ],
                    ],
                ),
                "successor": Choice(
                    "yes",
                ),
                "who": Choice(
                    "staff",
                ),
            }
        "#]]
        .assert_debug_eq(&answers.0);
    }

    #[test]
    fn every_problem_is_reported_against_its_question_in_japanese() {
        let mut raw = RawAnswers::default()
            .with("employees", "10001")
            .with("successor", "yes")
            .with_choices("concerns", &["tax", "golf"])
            .with("outlook", "6")
            .with("planned_on", "2026-02-30")
            .with("note", "とても長い備考を書きました。");
        raw.set(
            "plan",
            RawAnswer::File(FileMeta {
                name: "plan.exe".into(),
                bytes: 3 * 1024 * 1024,
                file_id: None,
            }),
        );
        expect_test::expect![[r#"
            [
                "employees: 0人から10000人までの範囲で入力してください。",
                "who: 「質問who」は必須です。",
                "concerns: 選択肢の中から選んでください（「golf」はありません）。",
                "outlook: 1から5の中から選んでください。",
                "planned_on: 日付は 2025-04-01 の形で入力してください（「2026-02-30」）。",
                "plan: ファイルの形式は pdf にしてください（「plan.exe」）。",
                "note: 10文字以内で入力してください（14文字あります）。",
            ]
        "#]]
        .assert_debug_eq(&errors(&raw));
    }

    #[test]
    fn required_answers_missing_or_blank_are_refused() {
        let raw = RawAnswers::default().with("employees", "  ");
        assert_eq!(
            errors(&raw),
            vec![
                "employees: 「質問employees」は必須です。",
                "successor: 「質問successor」は必須です。",
            ]
        );
    }

    #[test]
    fn hidden_questions_are_ignored_whatever_was_typed_into_them() {
        let raw = RawAnswers::default()
            .with("employees", "12")
            .with("successor", "no")
            .with("who", "not an option");
        let answers = succession_survey().parse_answers(&raw).expect("valid");
        assert_eq!(answers.get("who"), None);
        assert!(!succession_survey().shown(&raw).contains("who"));
    }

    #[test]
    fn numbers_must_be_numbers_and_whole_when_counted() {
        let raw = RawAnswers::default()
            .with("employees", "十二")
            .with("successor", "no");
        assert_eq!(
            errors(&raw),
            vec!["employees: 数値で入力してください（「十二」）。"]
        );
        let raw = raw.with("employees", "12.5");
        assert_eq!(errors(&raw), vec!["employees: 整数で入力してください。"]);
        let raw = raw.with("employees", "NaN");
        assert_eq!(
            errors(&raw),
            vec!["employees: 数値で入力してください（「NaN」）。"]
        );
    }

    #[test]
    fn oversized_files_and_wrong_shapes_are_refused() {
        let mut raw = RawAnswers::default()
            .with("employees", "3")
            .with("successor", "no")
            .with("sales", "a text where a table belongs");
        raw.set(
            "plan",
            RawAnswer::File(FileMeta {
                name: "plan.pdf".into(),
                bytes: 2 * 1024 * 1024,
                file_id: None,
            }),
        );
        assert_eq!(
            errors(&raw),
            vec![
                "plan: ファイルは977KB以下にしてください（2.0MBあります）。",
                "sales: 回答の形式が正しくありません。",
            ]
        );
        raw.set("sales", RawAnswer::Table(vec![vec!["x".into()]; 3]));
        raw.0.remove("plan");
        assert_eq!(errors(&raw), vec!["sales: 表は2行×2列です。"]);
    }

    #[test]
    fn a_single_choice_with_two_values_is_refused() {
        let raw = RawAnswers::default()
            .with("employees", "3")
            .with_choices("successor", &["yes", "no"]);
        assert_eq!(errors(&raw)[0], "successor: 1つだけ選んでください。");
    }

    #[test]
    fn form_fields_become_raw_answers_by_kind() {
        let fields: Vec<(String, String)> = [
            ("employees", "12"),
            ("concerns", "tax"),
            ("concerns", "debt"),
            ("sales[1][0]", "3000"),
            ("sales[9][9]", "ignored"),
            ("sales[x][0]", "ignored"),
            ("unknown", "dropped"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let raw = succession_survey().raw_from_fields(&fields);
        assert_eq!(raw.get("employees"), Some(&RawAnswer::Text("12".into())));
        assert_eq!(
            raw.get("concerns"),
            Some(&RawAnswer::Choices(vec!["tax".into(), "debt".into()]))
        );
        assert_eq!(
            raw.get("sales"),
            Some(&RawAnswer::Table(vec![
                vec![String::new(), String::new()],
                vec!["3000".into(), String::new()]
            ]))
        );
        assert_eq!(raw.0.len(), 3);
    }

    #[test]
    fn raw_answers_round_trip_through_json_so_drafts_keep_everything() {
        let mut raw = RawAnswers::default()
            .with("employees", "たくさん")
            .with_choices("concerns", &["golf"]);
        raw.set("sales", RawAnswer::Table(vec![vec!["a".into()]]));
        let json = serde_json::to_string(&raw).expect("serialises");
        let back: RawAnswers = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, raw);
    }

    #[test]
    fn dates_are_read_in_the_ways_people_write_them() {
        let day = NaiveDate::from_ymd_opt(2025, 4, 1);
        for text in [
            "2025-04-01",
            "2025/4/1",
            "２０２５年４月１日",
            " 2025-4-01 ",
        ] {
            assert_eq!(parse_date(text), day, "{text}");
        }
        for text in ["", "2025", "2025-13-01", "令和7年4月1日", "2025-04-01-02"] {
            assert_eq!(parse_date(text), None, "{text}");
        }
    }
}
