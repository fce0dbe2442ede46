//! The forms engine's answer parser (`FormDefinition::parse_answers`) on raw answers
//! built from arbitrary bytes, against one representative form: every question kind,
//! required questions, a chain of conditions, and scoring. The same bytes are also
//! read as a page's `name=value` fields (`raw_from_fields`, table cells as
//! `id[row][column]`). Accepted answers are diagnosed and summarised. Refusals are
//! fine; a panic is a finding, and so is an accepted answer to a hidden question or a
//! missing answer to a shown required one.

#![no_main]

use std::sync::LazyLock;

use domain::forms::{FileMeta, FormDefinition, RawAnswer, RawAnswers};
use libfuzzer_sys::fuzz_target;

/// A 企業健康診断-like form: the nine kinds, required and conditional questions
/// (`who` only when `successor` is yes, `when` only when `who` is family or staff).
const FORM: &str = r#"{
  "sections": [
    {"title": "会社概要", "questions": [
      {"id": "name", "label": "会社名", "required": true, "kind": {"type": "text", "max_chars": 40}},
      {"id": "about", "label": "事業内容", "kind": {"type": "long_text", "max_chars": 400}},
      {"id": "employees", "label": "従業員数", "required": true,
       "kind": {"type": "number", "min": 0, "max": 10000, "unit": "人", "integer": true}},
      {"id": "sales", "label": "売上高", "kind": {"type": "number", "min": -1e9, "unit": "万円"}},
      {"id": "founded", "label": "設立日", "kind": {"type": "date"}}
    ]},
    {"title": "事業承継", "help": "経営者ご本人がご回答ください。", "questions": [
      {"id": "successor", "label": "後継者は決まっていますか", "required": true, "area": "succession",
       "kind": {"type": "single_choice", "options": [
         {"value": "yes", "label": "はい", "points": 2}, {"value": "no", "label": "いいえ"}]}},
      {"id": "who", "label": "後継者はどなたですか", "required": true, "area": "succession",
       "show_if": {"question": "successor", "any_of": ["yes"]},
       "kind": {"type": "single_choice", "options": [
         {"value": "family", "label": "親族", "points": 1}, {"value": "staff", "label": "従業員", "points": 2},
         {"value": "outside", "label": "社外"}]}},
      {"id": "when", "label": "承継の予定日", "required": true,
       "show_if": {"question": "who", "any_of": ["family", "staff"]}, "kind": {"type": "date"}},
      {"id": "concerns", "label": "心配なこと", "area": "succession",
       "kind": {"type": "multiple_choice", "options": [
         {"value": "tax", "label": "税金", "points": 1}, {"value": "debt", "label": "借入金の保証", "points": 1},
         {"value": "people", "label": "後継者の育成"}]}},
      {"id": "outlook", "label": "業績の見通し", "required": true, "area": "finance",
       "kind": {"type": "scale", "labels": ["悪い", "やや悪い", "普通", "やや良い", "良い"]}},
      {"id": "plan", "label": "事業計画書", "kind": {"type": "file", "allowed_types": ["pdf", "xlsx"], "max_bytes": 1000000}},
      {"id": "figures", "label": "業績", "kind": {"type": "table",
       "columns": ["2023年", "2024年"], "rows": ["売上高", "経常利益", "従業員数"]}}
    ]}
  ],
  "scoring": {
    "areas": [{"key": "succession", "label": "事業承継", "advice": {"low": "早めに相談を"}},
              {"key": "finance", "label": "財務"}],
    "bands": [{"key": "high", "label": "良好", "min_percent": 70},
              {"key": "mid", "label": "注意", "min_percent": 40},
              {"key": "low", "label": "要対策", "min_percent": 0}]
  }
}"#;

static DEFINITION: LazyLock<FormDefinition> = LazyLock::new(|| {
    let definition: FormDefinition = serde_json::from_str(FORM).expect("the form parses");
    assert_eq!(definition.check(), Ok(()), "the form is well built");
    definition
});

/// The question ids, plus one that is not on the form.
const IDS: [&str; 13] = [
    "name", "about", "employees", "sales", "founded", "successor", "who", "when", "concerns",
    "outlook", "plan", "figures", "unknown",
];

/// Records are separated by NUL; a record's first byte picks the question and the
/// answer's shape, the rest is its text (`|` separates choices and cells, `;` rows).
fn raw_answers(data: &[u8]) -> RawAnswers {
    let mut raw = RawAnswers::default();
    for record in data.split(|&b| b == 0) {
        let Some((&selector, rest)) = record.split_first() else {
            continue;
        };
        let id = IDS[usize::from(selector) % IDS.len()];
        let text = String::from_utf8_lossy(rest).into_owned();
        let answer = match (selector / 16) % 4 {
            0 => RawAnswer::Text(text),
            1 => RawAnswer::Choices(text.split('|').map(str::to_owned).collect()),
            2 => RawAnswer::Table(
                text.split(';')
                    .map(|row| row.split('|').map(str::to_owned).collect())
                    .collect(),
            ),
            _ => RawAnswer::File(FileMeta {
                bytes: rest.len() as u64 * 40_000,
                name: text,
                file_id: None,
            }),
        };
        raw.set(id, answer);
    }
    raw
}

/// The same bytes as a page's fields: one `name=value` per line.
fn fields(data: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(data)
        .lines()
        .map(|line| {
            let (name, value) = line.split_once('=').unwrap_or((line, ""));
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

fn parse_and_check(definition: &FormDefinition, raw: &RawAnswers) {
    let shown = definition.shown(raw);
    match definition.parse_answers(raw) {
        Ok(answers) => {
            for id in answers.0.keys() {
                assert!(shown.contains(id), "an answer to hidden question {id} was accepted");
            }
            for question in definition.questions() {
                if question.required && shown.contains(&question.id) {
                    assert!(
                        answers.get(&question.id).is_some(),
                        "required question {} was accepted unanswered",
                        question.id
                    );
                }
            }
            let _ = definition.diagnose(&answers);
            let _ = definition.summarise(std::slice::from_ref(&answers));
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            for error in errors {
                let _ = error.to_string();
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let definition = &*DEFINITION;
    parse_and_check(definition, &raw_answers(data));
    parse_and_check(definition, &definition.raw_from_fields(&fields(data)));
});
