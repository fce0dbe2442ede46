//! The initiative catalogue: an initiative (施策) of one organisation carries one or
//! more pillars and one entry per fiscal year — a result (done), a plan (planned) or
//! 未定 — each with KPIs (a labelled number with a unit). This module validates what
//! staff type; the store keeps it.

use crate::{FiscalYear, Invalid, Pillar, text};

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 4000;
pub const SUMMARY_MAX: usize = 4000;
pub const KPI_LABEL_MAX: usize = 100;
pub const KPI_UNIT_MAX: usize = 20;
pub const KPI_NOTE_MAX: usize = 500;
/// More KPIs than this on one year's entry is a typing accident, not a programme.
pub const KPIS_PER_ENTRY_MAX: usize = 50;

/// Whether a fiscal year's entry reports a result or announces a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryStatus {
    /// 実施済み: the year's result.
    Done,
    /// 予定: the year's plan.
    Planned,
    /// 未定: the organisation has not decided (加賀市's 平成29年度).
    Undecided,
}

impl EntryStatus {
    pub const ALL: [EntryStatus; 3] = [
        EntryStatus::Done,
        EntryStatus::Planned,
        EntryStatus::Undecided,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EntryStatus::Done => "done",
            EntryStatus::Planned => "planned",
            EntryStatus::Undecided => "undecided",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EntryStatus::Done => "実施済み",
            EntryStatus::Planned => "予定",
            EntryStatus::Undecided => "未定",
        }
    }

    pub fn parse(code: &str) -> Result<EntryStatus, Invalid> {
        EntryStatus::ALL
            .into_iter()
            .find(|status| status.code() == code.trim() || status.label() == code.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "status",
                    "状況は「実施済み」「予定」「未定」から選んでください。",
                )
            })
    }
}

/// The kinds of programme, telling which engine serves an initiative.
pub const PROGRAM_KINDS: &[(&str, &str)] = &[
    ("meeting", "会議"),
    ("study_session", "勉強会"),
    ("survey", "調査・アンケート"),
    ("event", "イベント"),
    ("job_fair", "就職面接会"),
    ("seminar", "セミナー"),
    ("cohort", "塾・育成講座"),
    ("subsidy", "補助金・助成"),
    ("consulting", "専門家派遣・相談"),
    ("certification", "認定制度"),
    ("matching_fair", "商談会"),
    ("matching", "マッチング"),
    ("facility", "拠点・施設"),
    ("diagnostic", "診断"),
    ("network", "ネットワーク"),
    ("routing", "仲間まわし"),
    ("open_factory", "オープンファクトリー"),
    ("class", "体験教室"),
    ("agreement", "協定・連携"),
    ("research", "研究・情報収集"),
    ("district", "地区指定"),
    ("incentive", "優遇策"),
    ("award", "表彰"),
    ("share_office", "シェアオフィス"),
    ("publishing", "情報発信"),
    ("schedule", "スケジュール共有"),
    ("succession_matching", "事業承継マッチング"),
    ("other", "その他"),
];

pub fn program_kind_label(code: &str) -> &'static str {
    PROGRAM_KINDS
        .iter()
        .find(|(kind, _)| *kind == code)
        .map(|(_, label)| *label)
        .unwrap_or("その他")
}

/// The number of a KPI. Kept as typed in meaning: 1,000 is a thousand, １．５ is 1.5.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KpiValue(f64);

impl KpiValue {
    pub fn new(value: f64) -> Result<KpiValue, Invalid> {
        if value.is_finite() && value.abs() < 1e15 {
            Ok(KpiValue(value))
        } else {
            Err(Invalid::new(
                "value",
                "数値が大きすぎるか、数値ではありません。",
            ))
        }
    }

    /// Reads "1,000", "１，０００", "58", "2.5"; refuses words and blanks.
    pub fn parse(field: &str, input: &str) -> Result<KpiValue, Invalid> {
        let narrowed = text::narrow_ascii(input);
        let compact: String = narrowed
            .trim()
            .chars()
            .filter(|c| *c != ',' && *c != '、')
            .collect();
        if compact.is_empty() {
            return Err(Invalid::new(field, "KPIには数値を入力してください。"));
        }
        let value = compact.parse::<f64>().map_err(|_| {
            Invalid::new(
                field,
                format!("「{input}」は数値として読めません。半角数字で入力してください。"),
            )
        })?;
        KpiValue::new(value).map_err(|error| Invalid::new(field, error.reason))
    }

    pub fn get(self) -> f64 {
        self.0
    }

    /// "1,000", "2.5": thousands separated, no trailing zeros.
    pub fn display(self) -> String {
        let value = self.0;
        if value.fract() == 0.0 {
            let digits = format!("{}", value.abs() as i64);
            let mut grouped = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    grouped.push(',');
                }
                grouped.push(c);
            }
            if value < 0.0 {
                format!("-{grouped}")
            } else {
                grouped
            }
        } else {
            let text = format!("{value:.4}");
            text.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
    }
}

/// A KPI as typed on a form: every field still text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KpiInput {
    pub label: String,
    pub value: String,
    pub unit: String,
    pub note: String,
}

/// A validated KPI.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiDraft {
    pub label: String,
    pub value: KpiValue,
    pub unit: String,
    pub note: String,
}

impl KpiDraft {
    /// Validates the KPI at position `index` (1-based in messages, as staff count rows).
    pub fn parse(index: usize, input: &KpiInput) -> Result<KpiDraft, Vec<Invalid>> {
        let field = |name: &str| format!("kpi[{index}].{name}");
        let mut errors = Vec::new();
        let label = text::required_line(&field("label"), &input.label, KPI_LABEL_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        let value = KpiValue::parse(&field("value"), &input.value)
            .map_err(|e| errors.push(e))
            .ok();
        let unit = text::optional_text(&field("unit"), &input.unit, KPI_UNIT_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        let note = text::optional_text(&field("note"), &input.note, KPI_NOTE_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        match (label, value, unit, note) {
            (Some(label), Some(value), Some(unit), Some(note)) if errors.is_empty() => {
                Ok(KpiDraft {
                    label,
                    value,
                    unit,
                    note,
                })
            }
            _ => Err(errors),
        }
    }

    /// A row with every field blank is an unused row of the form, not a KPI.
    pub fn is_blank(input: &KpiInput) -> bool {
        [&input.label, &input.value, &input.unit, &input.note]
            .iter()
            .all(|text| text.trim().is_empty())
    }
}

/// An initiative as typed on a form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitiativeInput {
    pub title: String,
    pub description: String,
    pub pillars: Vec<String>,
    pub program_kind: String,
}

/// A validated initiative (without its owner, which the store checks separately).
#[derive(Debug, Clone, PartialEq)]
pub struct InitiativeDraft {
    pub title: String,
    pub description: String,
    pub pillars: Vec<Pillar>,
    pub program_kind: String,
}

impl InitiativeDraft {
    pub fn parse(input: &InitiativeInput) -> Result<InitiativeDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let title = text::required_line("title", &input.title, TITLE_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        let description = text::optional_text("description", &input.description, DESCRIPTION_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        let mut pillars = Vec::new();
        for raw in &input.pillars {
            match Pillar::parse(raw) {
                Ok(pillar) if !pillars.contains(&pillar) => pillars.push(pillar),
                Ok(_) => {}
                Err(error) => errors.push(Invalid::new("pillars", error.reason)),
            }
        }
        pillars.sort();
        if pillars.is_empty() && !errors.iter().any(|e| e.field == "pillars") {
            errors.push(Invalid::new("pillars", "柱を1つ以上選んでください。"));
        }
        let program_kind = input.program_kind.trim();
        let program_kind = if program_kind.is_empty() {
            "other".to_owned()
        } else if PROGRAM_KINDS.iter().any(|(code, _)| *code == program_kind) {
            program_kind.to_owned()
        } else {
            errors.push(Invalid::new(
                "program_kind",
                "事業の種類を一覧から選んでください。",
            ));
            String::new()
        };
        match (title, description) {
            (Some(title), Some(description)) if errors.is_empty() => Ok(InitiativeDraft {
                title,
                description,
                pillars,
                program_kind,
            }),
            _ => Err(errors),
        }
    }
}

/// A fiscal year's entry as typed on a form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryInput {
    pub fy: String,
    pub status: String,
    pub summary: String,
    pub kpis: Vec<KpiInput>,
}

/// A validated fiscal year's entry with its KPIs.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryDraft {
    pub fy: FiscalYear,
    pub status: EntryStatus,
    pub summary: String,
    pub kpis: Vec<KpiDraft>,
}

impl EntryDraft {
    pub fn parse(input: &EntryInput) -> Result<EntryDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let fy = FiscalYear::parse(&input.fy)
            .map_err(|e| errors.push(e))
            .ok();
        let status = EntryStatus::parse(&input.status)
            .map_err(|e| errors.push(e))
            .ok();
        let summary = text::optional_text("summary", &input.summary, SUMMARY_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        let rows: Vec<&KpiInput> = input
            .kpis
            .iter()
            .filter(|k| !KpiDraft::is_blank(k))
            .collect();
        if rows.len() > KPIS_PER_ENTRY_MAX {
            errors.push(Invalid::new(
                "kpis",
                format!("KPIは1年度あたり{KPIS_PER_ENTRY_MAX}件までです。"),
            ));
        }
        let mut kpis = Vec::new();
        for (index, row) in input.kpis.iter().enumerate() {
            if KpiDraft::is_blank(row) {
                continue;
            }
            match KpiDraft::parse(index + 1, row) {
                Ok(kpi) => kpis.push(kpi),
                Err(mut kpi_errors) => errors.append(&mut kpi_errors),
            }
        }
        match (fy, status, summary) {
            (Some(fy), Some(status), Some(summary)) if errors.is_empty() => Ok(EntryDraft {
                fy,
                status,
                summary,
                kpis,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kpi(label: &str, value: &str, unit: &str) -> KpiInput {
        KpiInput {
            label: label.into(),
            value: value.into(),
            unit: unit.into(),
            note: String::new(),
        }
    }

    #[test]
    fn kpi_values_read_thousands_separators_and_full_width_digits() {
        assert_eq!(KpiValue::parse("v", "1,000").unwrap().get(), 1000.0);
        assert_eq!(KpiValue::parse("v", "１，０００").unwrap().get(), 1000.0);
        assert_eq!(KpiValue::parse("v", "2.5").unwrap().get(), 2.5);
    }

    #[test]
    fn kpi_values_display_as_people_write_them() {
        assert_eq!(KpiValue::new(1000.0).unwrap().display(), "1,000");
        assert_eq!(KpiValue::new(58.0).unwrap().display(), "58");
        assert_eq!(KpiValue::new(1234567.0).unwrap().display(), "1,234,567");
        assert_eq!(KpiValue::new(2.5).unwrap().display(), "2.5");
    }

    #[test]
    fn a_kpi_without_a_number_is_refused_with_its_row() {
        let errors = KpiDraft::parse(2, &kpi("商談数", "たくさん", "商談")).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "kpi[2].value");
        let blank = KpiDraft::parse(1, &kpi("商談数", "", "商談")).unwrap_err();
        assert!(blank[0].reason.contains("数値"));
    }

    #[test]
    fn an_entry_skips_blank_kpi_rows_and_reports_every_error_at_once() {
        let input = EntryInput {
            fy: "平成29年度".into(),
            status: "planned".into(),
            summary: "引き続き開催予定。".into(),
            kpis: vec![kpi("参加企業数", "36", "企業"), KpiInput::default()],
        };
        let entry = EntryDraft::parse(&input).unwrap();
        assert_eq!(entry.fy.year(), 2017);
        assert_eq!(entry.kpis.len(), 1);

        let broken = EntryInput {
            fy: "3000".into(),
            status: "someday".into(),
            kpis: vec![kpi("", "x", "")],
            ..input
        };
        let fields: Vec<String> = EntryDraft::parse(&broken)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["fy", "status", "kpi[1].label", "kpi[1].value"]);
    }

    #[test]
    fn an_initiative_needs_a_title_and_at_least_one_known_pillar() {
        let errors = InitiativeDraft::parse(&InitiativeInput::default()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "pillars"]);

        let draft = InitiativeDraft::parse(&InitiativeInput {
            title: "経営塾".into(),
            pillars: vec!["2".into(), "2".into(), "1".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(draft.pillars, [Pillar::NewValue, Pillar::SkillsAndPeople]);
        assert_eq!(draft.program_kind, "other");
    }

    #[test]
    fn statuses_parse_from_codes_and_japanese_labels() {
        assert_eq!(EntryStatus::parse("done"), Ok(EntryStatus::Done));
        assert_eq!(EntryStatus::parse("未定"), Ok(EntryStatus::Undecided));
        assert!(EntryStatus::parse("maybe").is_err());
    }
}
