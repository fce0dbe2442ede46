//! The forms engine: one definition for surveys, scored diagnostics and applications.
//!
//! A form is sections of questions (text, long text, number, single and multiple
//! choice, 1–5 scale, date, file, table), each possibly required and possibly shown
//! only when an earlier choice has a given answer. A [`FormVersion`] is frozen once
//! someone has answered it: changing the questions then makes a new version, so that
//! every stored answer is read against the questions that were actually asked.
//!
//! The definition is a document (it is stored as JSON and edited as a whole by staff),
//! so, unlike most domain types, it derives serde: the JSON *is* the definition.
//!
//! - [`answers`]: what a page submits ([`RawAnswers`]) parsed against a version into
//!   typed [`Answers`], or per-question Japanese errors while the raw input is kept.
//! - [`scoring`]: points per option, scored areas, bands and advice (企業健康診断).
//! - [`eligibility`]: the rules of a call (founding year, city, size band).
//! - [`aggregate`]: counts per option and means, overall and cross-tabulated.

pub mod aggregate;
pub mod answers;
pub mod builder;
pub mod eligibility;
pub mod scoring;
pub mod upload;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::Invalid;

pub use answers::{Answer, Answers, FileMeta, RawAnswer, RawAnswers};
pub use eligibility::{Applicant, Eligibility, EligibilityRule};
pub use scoring::{Band, Diagnosis, ScoredArea, Scoring};

/// Longest question id: ids appear in form field names and in stored JSON.
const MAX_ID: usize = 40;

/// What a form is for; the engine is the same, the pages and workflow differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormPurpose {
    /// 調査: distributed to many companies, read in aggregate.
    Survey,
    /// 診断: scored, with a result and advice for the company.
    Diagnostic,
    /// 申請: an application to a call, reviewed and decided.
    Application,
}

impl FormPurpose {
    pub const ALL: [FormPurpose; 3] = [
        FormPurpose::Survey,
        FormPurpose::Diagnostic,
        FormPurpose::Application,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FormPurpose::Survey => "survey",
            FormPurpose::Diagnostic => "diagnostic",
            FormPurpose::Application => "application",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FormPurpose::Survey => "調査",
            FormPurpose::Diagnostic => "診断",
            FormPurpose::Application => "申請",
        }
    }

    pub fn parse(code: &str) -> Option<FormPurpose> {
        Self::ALL.into_iter().find(|p| p.code() == code.trim())
    }
}

/// The questions of one version of a form, with its scoring when it is a diagnostic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormDefinition {
    pub sections: Vec<Section>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoring: Option<Scoring>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub title: String,
    /// 説明: shown under the section title.
    #[serde(default)]
    pub help: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// Stable within the form (`q1`, `successor`): the key of the answer.
    pub id: String,
    pub label: String,
    /// 記入の手引き: shown under the question.
    #[serde(default)]
    pub help: String,
    #[serde(default)]
    pub required: bool,
    pub kind: QuestionKind,
    /// Shown only when an earlier choice question has one of the given answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
    /// The scored area (key of [`Scoring::areas`]) this question counts towards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
}

/// "Show this question only if question `question` is answered with one of `any_of`."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub question: String,
    pub any_of: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// What is stored (`yes`, `a`); stable across wording changes.
    pub value: String,
    pub label: String,
    /// Points in a diagnostic.
    #[serde(default)]
    pub points: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionKind {
    /// 一行の記述.
    Text {
        #[serde(default = "default_text_max")]
        max_chars: u32,
    },
    /// 複数行の記述.
    LongText {
        #[serde(default = "default_long_text_max")]
        max_chars: u32,
    },
    Number {
        #[serde(default)]
        min: Option<f64>,
        #[serde(default)]
        max: Option<f64>,
        /// 単位 shown after the field (人, 円, 年).
        #[serde(default)]
        unit: String,
        /// Whole numbers only (人数, 年).
        #[serde(default)]
        integer: bool,
    },
    SingleChoice {
        options: Vec<Choice>,
    },
    MultipleChoice {
        options: Vec<Choice>,
    },
    /// 1–5, each point labelled (1 = まったく当てはまらない … 5 = よく当てはまる).
    /// In a diagnostic the chosen point is the score.
    Scale {
        labels: Vec<String>,
    },
    Date,
    File {
        /// Lower-case extensions without the dot (`pdf`, `jpg`); empty allows any.
        allowed_types: Vec<String>,
        max_bytes: u64,
    },
    /// A grid to fill: each cell is free text.
    Table {
        columns: Vec<String>,
        rows: Vec<String>,
    },
}

fn default_text_max() -> u32 {
    200
}

fn default_long_text_max() -> u32 {
    4000
}

/// The largest file a file question may accept: what one submission can carry
/// (the web layer refuses bodies over 2 MB) with room for the other answers.
pub const MAX_FILE_BYTES: u64 = 1900 * 1024;

/// The points of a 1–5 scale.
pub const SCALE_POINTS: u8 = 5;

impl QuestionKind {
    pub fn code(&self) -> &'static str {
        match self {
            QuestionKind::Text { .. } => "text",
            QuestionKind::LongText { .. } => "long_text",
            QuestionKind::Number { .. } => "number",
            QuestionKind::SingleChoice { .. } => "single_choice",
            QuestionKind::MultipleChoice { .. } => "multiple_choice",
            QuestionKind::Scale { .. } => "scale",
            QuestionKind::Date => "date",
            QuestionKind::File { .. } => "file",
            QuestionKind::Table { .. } => "table",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            QuestionKind::Text { .. } => "記述（一行）",
            QuestionKind::LongText { .. } => "記述（複数行）",
            QuestionKind::Number { .. } => "数値",
            QuestionKind::SingleChoice { .. } => "単一選択",
            QuestionKind::MultipleChoice { .. } => "複数選択",
            QuestionKind::Scale { .. } => "5段階評価",
            QuestionKind::Date => "日付",
            QuestionKind::File { .. } => "ファイル",
            QuestionKind::Table { .. } => "表",
        }
    }

    /// The options of a choice question.
    pub fn options(&self) -> &[Choice] {
        match self {
            QuestionKind::SingleChoice { options } | QuestionKind::MultipleChoice { options } => {
                options
            }
            _ => &[],
        }
    }

    /// The most points this question can give in a diagnostic.
    pub fn max_points(&self) -> i32 {
        match self {
            QuestionKind::SingleChoice { options } => {
                options.iter().map(|o| o.points).max().unwrap_or(0).max(0)
            }
            QuestionKind::MultipleChoice { options } => {
                options.iter().map(|o| o.points.max(0)).sum()
            }
            QuestionKind::Scale { .. } => i32::from(SCALE_POINTS),
            _ => 0,
        }
    }
}

impl FormDefinition {
    /// Every question in order, across sections.
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions().find(|q| q.id == id)
    }

    /// Checks the definition as staff built it; every problem is listed, in Japanese,
    /// with the question's id as the field (`questions.q3`).
    pub fn check(&self) -> Result<(), Vec<Invalid>> {
        let mut errors = Vec::new();
        if self.questions().next().is_none() {
            errors.push(Invalid::new("sections", "質問が1つもありません。"));
        }
        for (index, section) in self.sections.iter().enumerate() {
            if section.title.trim().is_empty() {
                errors.push(Invalid::new(
                    format!("sections.{}", index + 1),
                    "セクションの見出しを入力してください。",
                ));
            }
        }
        let areas: BTreeSet<&str> = self
            .scoring
            .iter()
            .flat_map(|s| s.areas.iter().map(|a| a.key.as_str()))
            .collect();
        let mut seen: Vec<&Question> = Vec::new();
        for question in self.questions() {
            let field = format!("questions.{}", question.id);
            let mut refuse = |reason: String| errors.push(Invalid::new(field.clone(), reason));
            if !valid_id(&question.id) {
                refuse(format!(
                    "質問ID「{}」は半角英数字・ハイフン・下線の{MAX_ID}文字以内にしてください。",
                    question.id
                ));
            }
            if seen.iter().any(|q| q.id == question.id) {
                refuse(format!("質問ID「{}」が重複しています。", question.id));
            }
            if question.label.trim().is_empty() {
                refuse("質問文を入力してください。".into());
            }
            check_kind(&question.kind, &mut refuse);
            if let Some(condition) = &question.show_if {
                match seen.iter().find(|q| q.id == condition.question) {
                    None => refuse(format!(
                        "表示条件の質問「{}」は、この質問より前にある質問を指定してください。",
                        condition.question
                    )),
                    Some(source) if source.kind.options().is_empty() => refuse(format!(
                        "表示条件には選択式の質問を指定してください（「{}」は{}です）。",
                        source.label,
                        source.kind.label()
                    )),
                    Some(source) => {
                        if condition.any_of.is_empty() {
                            refuse("表示条件の回答を1つ以上指定してください。".into());
                        }
                        for value in &condition.any_of {
                            if !source.kind.options().iter().any(|o| &o.value == value) {
                                refuse(format!(
                                    "表示条件の回答「{value}」は質問「{}」の選択肢にありません。",
                                    source.label
                                ));
                            }
                        }
                    }
                }
            }
            if let Some(area) = &question.area {
                if !areas.contains(area.as_str()) {
                    refuse(format!("採点分野「{area}」が定義されていません。"));
                } else if question.kind.max_points() <= 0 {
                    refuse(
                        "採点分野に入れる質問は、配点のある選択式か5段階評価にしてください。"
                            .into(),
                    );
                }
            }
            seen.push(question);
        }
        if let Some(scoring) = &self.scoring {
            errors.extend(scoring.check());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn check_kind(kind: &QuestionKind, refuse: &mut impl FnMut(String)) {
    match kind {
        QuestionKind::Text { max_chars } | QuestionKind::LongText { max_chars } => {
            if *max_chars == 0 {
                refuse("文字数の上限は1以上にしてください。".into());
            }
        }
        QuestionKind::Number { min, max, .. } => {
            if min.is_some_and(|v| !v.is_finite()) || max.is_some_and(|v| !v.is_finite()) {
                refuse("最小値・最大値は有限の数にしてください。".into());
            }
            if let (Some(min), Some(max)) = (min, max)
                && min > max
            {
                refuse(format!(
                    "最小値（{min}）が最大値（{max}）より大きくなっています。"
                ));
            }
        }
        QuestionKind::SingleChoice { options } | QuestionKind::MultipleChoice { options } => {
            if options.len() < 2 {
                refuse("選択肢を2つ以上用意してください。".into());
            }
            let mut values = BTreeSet::new();
            for option in options {
                if option.value.trim().is_empty() || option.label.trim().is_empty() {
                    refuse("選択肢の値と表示名を入力してください。".into());
                } else if !values.insert(option.value.as_str()) {
                    refuse(format!("選択肢の値「{}」が重複しています。", option.value));
                }
            }
        }
        QuestionKind::Scale { labels } => {
            if labels.len() != usize::from(SCALE_POINTS) {
                refuse(format!(
                    "5段階評価には5つの目盛りの説明が必要です（{}個あります）。",
                    labels.len()
                ));
            }
        }
        QuestionKind::Date => {}
        QuestionKind::File {
            allowed_types,
            max_bytes,
        } => {
            if *max_bytes == 0 {
                refuse("ファイルの上限サイズを指定してください。".into());
            }
            if *max_bytes > MAX_FILE_BYTES {
                refuse(format!(
                    "ファイルの上限は{}KBまでにしてください（送信できる大きさの上限です）。",
                    MAX_FILE_BYTES / 1024
                ));
            }
            if allowed_types
                .iter()
                .any(|t| t.is_empty() || t.starts_with('.') || t.to_lowercase() != *t)
            {
                refuse(
                    "許可するファイル形式は小文字の拡張子（pdf、jpg）で指定してください。".into(),
                );
            }
        }
        QuestionKind::Table { columns, rows } => {
            if columns.is_empty() || rows.is_empty() {
                refuse("表には列と行を1つ以上用意してください。".into());
            }
        }
    }
}

/// One version of a form: its number and whether it has been answered. Answered
/// versions are frozen; [`FormVersion::revise`] says what changing one means.
#[derive(Debug, Clone, PartialEq)]
pub struct FormVersion {
    pub number: u32,
    pub definition: FormDefinition,
    /// Whether any response (a draft or a submission) refers to this version.
    pub answered: bool,
}

/// What saving a changed definition does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revision {
    /// Nobody has answered yet: the version is changed where it is.
    InPlace,
    /// The version is frozen: the change becomes a new version with this number.
    NewVersion(u32),
}

impl FormVersion {
    pub fn revise(&self) -> Revision {
        if self.answered {
            Revision::NewVersion(self.number.saturating_add(1))
        } else {
            Revision::InPlace
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn choice(value: &str, label: &str, points: i32) -> Choice {
        Choice {
            value: value.into(),
            label: label.into(),
            points,
        }
    }

    pub(crate) fn question(id: &str, kind: QuestionKind) -> Question {
        Question {
            id: id.into(),
            label: format!("質問{id}"),
            help: String::new(),
            required: false,
            kind,
            show_if: None,
            area: None,
        }
    }

    pub(crate) fn yes_no() -> QuestionKind {
        QuestionKind::SingleChoice {
            options: vec![choice("yes", "はい", 2), choice("no", "いいえ", 0)],
        }
    }

    /// A succession survey: whether a successor is decided, and who, only if so.
    pub(crate) fn succession_survey() -> FormDefinition {
        FormDefinition {
            sections: vec![Section {
                title: "事業承継".into(),
                help: "経営者ご本人がご回答ください。".into(),
                questions: vec![
                    Question {
                        required: true,
                        ..question(
                            "employees",
                            QuestionKind::Number {
                                min: Some(0.0),
                                max: Some(10_000.0),
                                unit: "人".into(),
                                integer: true,
                            },
                        )
                    },
                    Question {
                        required: true,
                        ..question("successor", yes_no())
                    },
                    Question {
                        required: true,
                        show_if: Some(Condition {
                            question: "successor".into(),
                            any_of: vec!["yes".into()],
                        }),
                        ..question(
                            "who",
                            QuestionKind::SingleChoice {
                                options: vec![
                                    choice("family", "親族", 0),
                                    choice("staff", "従業員", 0),
                                    choice("outside", "社外", 0),
                                ],
                            },
                        )
                    },
                    question(
                        "concerns",
                        QuestionKind::MultipleChoice {
                            options: vec![
                                choice("tax", "税金", 0),
                                choice("debt", "借入金の保証", 0),
                                choice("people", "後継者の育成", 0),
                            ],
                        },
                    ),
                    question(
                        "outlook",
                        QuestionKind::Scale {
                            labels: ["悪い", "やや悪い", "普通", "やや良い", "良い"]
                                .map(String::from)
                                .to_vec(),
                        },
                    ),
                    question("planned_on", QuestionKind::Date),
                    question(
                        "plan",
                        QuestionKind::File {
                            allowed_types: vec!["pdf".into()],
                            max_bytes: 1_000_000,
                        },
                    ),
                    question(
                        "sales",
                        QuestionKind::Table {
                            columns: vec!["2022年".into(), "2023年".into()],
                            rows: vec!["売上高".into(), "経常利益".into()],
                        },
                    ),
                    question("note", QuestionKind::LongText { max_chars: 10 }),
                ],
            }],
            scoring: None,
        }
    }

    fn errors_of(definition: &FormDefinition) -> Vec<String> {
        definition
            .check()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn a_well_built_survey_passes_the_check() {
        assert_eq!(errors_of(&succession_survey()), Vec::<String>::new());
    }

    #[test]
    fn duplicate_ids_and_conditions_on_later_or_free_text_questions_are_refused() {
        let mut form = succession_survey();
        let questions = &mut form.sections[0].questions;
        questions[0].show_if = Some(Condition {
            question: "successor".into(),
            any_of: vec!["yes".into()],
        });
        questions[3].id = "who".into();
        questions[5].show_if = Some(Condition {
            question: "employees".into(),
            any_of: vec!["1".into()],
        });
        questions[2].show_if = Some(Condition {
            question: "successor".into(),
            any_of: vec!["maybe".into()],
        });
        let errors = errors_of(&form);
        assert!(
            errors.iter().any(|e| e.contains("より前にある質問")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("「who」が重複")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("選択式の質問を指定")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("「maybe」は質問")),
            "{errors:?}"
        );
    }

    #[test]
    fn broken_kinds_are_refused_with_japanese_reasons() {
        let form = FormDefinition {
            sections: vec![Section {
                title: String::new(),
                help: String::new(),
                questions: vec![
                    question(
                        "n",
                        QuestionKind::Number {
                            min: Some(5.0),
                            max: Some(1.0),
                            unit: String::new(),
                            integer: false,
                        },
                    ),
                    question(
                        "c",
                        QuestionKind::SingleChoice {
                            options: vec![choice("a", "A", 0)],
                        },
                    ),
                    question("s", QuestionKind::Scale { labels: vec![] }),
                    question(
                        "f",
                        QuestionKind::File {
                            allowed_types: vec![".PDF".into()],
                            max_bytes: 0,
                        },
                    ),
                    question(
                        "t",
                        QuestionKind::Table {
                            columns: vec![],
                            rows: vec!["a".into()],
                        },
                    ),
                    question("bad id!", QuestionKind::Date),
                ],
            }],
            scoring: None,
        };
        expect_test::expect![[r#"
            [
                "sections.1: セクションの見出しを入力してください。",
                "questions.n: 最小値（5）が最大値（1）より大きくなっています。",
                "questions.c: 選択肢を2つ以上用意してください。",
                "questions.s: 5段階評価には5つの目盛りの説明が必要です（0個あります）。",
                "questions.f: ファイルの上限サイズを指定してください。",
                "questions.f: 許可するファイル形式は小文字の拡張子（pdf、jpg）で指定してください。",
                "questions.t: 表には列と行を1つ以上用意してください。",
                "questions.bad id!: 質問ID「bad id!」は半角英数字・ハイフン・下線の40文字以内にしてください。",
            ]
        "#]]
        .assert_debug_eq(&errors_of(&form));
    }

    #[test]
    fn an_empty_form_is_refused() {
        let form = FormDefinition {
            sections: vec![],
            scoring: None,
        };
        assert_eq!(errors_of(&form), vec!["sections: 質問が1つもありません。"]);
    }

    #[test]
    fn an_answered_version_is_frozen_and_changes_make_a_new_version() {
        let mut version = FormVersion {
            number: 3,
            definition: succession_survey(),
            answered: false,
        };
        assert_eq!(version.revise(), Revision::InPlace);
        version.answered = true;
        assert_eq!(version.revise(), Revision::NewVersion(4));
    }

    #[test]
    fn the_definition_round_trips_through_json() {
        let form = succession_survey();
        let json = serde_json::to_string(&form).expect("serialises");
        assert!(json.contains(r#""type":"single_choice""#), "{json}");
        let back: FormDefinition = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, form);
    }
}

/// When answers are accepted: from `opens_on` to `closes_on`, both inclusive, in
/// Japan time; either end may be open. A call for applications and a survey with a
/// deadline have one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    pub opens_on: Option<chrono::NaiveDate>,
    pub closes_on: Option<chrono::NaiveDate>,
}

/// Whether a period accepts answers on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodState {
    NotYetOpen,
    Open,
    Closed,
}

impl Period {
    /// Checks the period as staff typed it.
    pub fn validate(&self) -> Result<(), Invalid> {
        match (self.opens_on, self.closes_on) {
            (Some(open), Some(close)) if close < open => Err(Invalid::new(
                "closes_on",
                "締切日は受付開始日より後の日付にしてください。",
            )),
            _ => Ok(()),
        }
    }

    pub fn state_on(&self, day: chrono::NaiveDate) -> PeriodState {
        if self.opens_on.is_some_and(|open| day < open) {
            PeriodState::NotYetOpen
        } else if self.closes_on.is_some_and(|close| day > close) {
            PeriodState::Closed
        } else {
            PeriodState::Open
        }
    }

    /// Refuses an answer on `day` outside the period, saying why in Japanese.
    pub fn accepts_on(&self, day: chrono::NaiveDate) -> Result<(), Invalid> {
        let date = |d: chrono::NaiveDate| d.format("%Y年%-m月%-d日").to_string();
        match (self.state_on(day), self.opens_on, self.closes_on) {
            (PeriodState::NotYetOpen, Some(open), _) => Err(Invalid::new(
                "period",
                format!("受付開始前です。{}から受け付けます。", date(open)),
            )),
            (PeriodState::Closed, _, Some(close)) => Err(Invalid::new(
                "period",
                format!(
                    "受付は{}で締め切りました。入力内容は下書きとして保存されています。",
                    date(close)
                ),
            )),
            _ => Ok(()),
        }
    }

    /// 「2016年4月1日〜2016年6月30日」, for pages.
    pub fn label(&self) -> String {
        let date = |d: chrono::NaiveDate| d.format("%Y年%-m月%-d日").to_string();
        match (self.opens_on, self.closes_on) {
            (None, None) => "随時".to_owned(),
            (Some(open), None) => format!("{}〜", date(open)),
            (None, Some(close)) => format!("〜{}", date(close)),
            (Some(open), Some(close)) => format!("{}〜{}", date(open), date(close)),
        }
    }
}

#[cfg(test)]
mod period_tests {
    use super::*;
    use crate::time::japan_day;
    use chrono::NaiveDate;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_call_accepts_on_its_first_and_last_day_and_refuses_after() {
        let period = Period {
            opens_on: Some(day(2016, 4, 1)),
            closes_on: Some(day(2016, 6, 30)),
        };
        assert!(period.accepts_on(day(2016, 4, 1)).is_ok());
        assert!(period.accepts_on(day(2016, 6, 30)).is_ok());
        let late = period.accepts_on(day(2016, 7, 1)).unwrap_err();
        assert!(
            late.reason.contains("2016年6月30日で締め切りました"),
            "{late:?}"
        );
        let early = period.accepts_on(day(2016, 3, 31)).unwrap_err();
        assert!(early.reason.contains("受付開始前"), "{early:?}");
        assert_eq!(period.label(), "2016年4月1日〜2016年6月30日");
    }

    #[test]
    fn a_close_before_the_opening_is_refused_and_japan_day_turns_at_15_utc() {
        let wrong = Period {
            opens_on: Some(day(2016, 6, 1)),
            closes_on: Some(day(2016, 5, 1)),
        };
        assert_eq!(wrong.validate().unwrap_err().field, "closes_on");
        let at = |h| {
            chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
                .unwrap()
                .and_hms_opt(h, 0, 0)
                .unwrap()
                .and_utc()
        };
        assert_eq!(japan_day(at(14)), day(2026, 11, 24));
        assert_eq!(japan_day(at(15)), day(2026, 11, 25));
    }
}
