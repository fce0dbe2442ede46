//! Published PDFs, typeset with typst as a library: data in, PDF bytes out, no
//! database and no network. Each document is a typst template in `templates/`
//! that reads its data from a JSON file the crate serves beside it, so names and
//! texts print as typed (they are never spliced into markup). The one font is the
//! bundled IPAex Gothic (IPA Font License v1.0, `fonts/`), embedded (subset) in
//! every PDF, so a fresh machine needs nothing else.
//!
//! Typesetting is CPU work of tens to hundreds of milliseconds: servers call these
//! functions from a blocking task.

mod world;

use serde::Serialize;

pub use world::FONT_FAMILY;

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("typesetting failed: {0}")]
    Typeset(String),
    #[error("document data: {0}")]
    Data(#[from] serde_json::Error),
}

// ---------------------------------------------------------------- the annual report

/// The council's annual report as published (no staff-only notes: the caller
/// leaves them out, and this data has no place for them).
#[derive(Debug, Clone, Serialize)]
pub struct AnnualReport {
    pub title: String,
    /// 「平成28年度・平成29年度」.
    pub years: String,
    /// 作成日時, Japan time, as shown.
    pub generated: String,
    pub preamble: Vec<String>,
    pub council: Vec<YearItems>,
    pub organisations: Vec<OrganisationSection>,
    /// The three pillars' short names, in order.
    pub pillar_headings: Vec<String>,
    pub overview: Vec<OverviewRow>,
    pub city_overview: Vec<OverviewRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct YearItems {
    pub label: String,
    pub items: Vec<ReportItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportItem {
    pub title: String,
    pub status: String,
    pub summary: String,
    pub kpis: Vec<String>,
    /// The other pillars the entry belongs to.
    pub pillars: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrganisationSection {
    pub name: String,
    pub pillars: Vec<PillarSection>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PillarSection {
    pub heading: String,
    pub years: Vec<YearItems>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OverviewRow {
    pub name: String,
    /// Entries per pillar (done and planned), drawn as the chart's bars.
    pub counts: [u32; 3],
    /// The table's cells per pillar, e.g. 「3（実施2・予定等1）」.
    pub cells: Vec<String>,
    pub kpis: u32,
}

/// The annual report as an A4 PDF: cover, 目次 with page numbers, running header
/// and footer, the entries, and the KPI overview as a vector chart and tables.
pub fn annual_report(report: &AnnualReport) -> Result<Vec<u8>, PrintError> {
    world::typeset(
        include_str!("../templates/annual.typ"),
        serde_json::to_vec(report)?,
    )
}

// ---------------------------------------------------------------- certificates

/// A registry certificate: 認定証 (i-mono・i-waza) or 表彰状 (100年企業).
#[derive(Debug, Clone, Serialize)]
pub struct Certificate {
    /// 「認定証」 or 「表彰状」.
    pub heading: String,
    /// The certificate's number (the registry entry's slug).
    pub number: String,
    pub company: String,
    /// The certified product or technique, or empty for an award.
    pub subject: String,
    pub body: String,
    /// Further facts in small print (category, founding year…).
    pub facts: Vec<String>,
    /// The decision date, e.g. 「2017年3月10日」.
    pub date: String,
    /// The organisation that certifies or awards.
    pub issuer: String,
}

pub fn certificate(certificate: &Certificate) -> Result<Vec<u8>, PrintError> {
    world::typeset(
        include_str!("../templates/certificate.typ"),
        serde_json::to_vec(certificate)?,
    )
}

// ---------------------------------------------------------------- the diagnostic's report

#[derive(Debug, Clone, Serialize)]
pub struct DiagnosisReport {
    /// The diagnostic's (form's) title.
    pub form: String,
    pub company: String,
    /// When the answers were submitted, Japan time, or empty.
    pub submitted: String,
    pub total: Option<DiagnosisTotal>,
    pub areas: Vec<DiagnosisArea>,
    /// The organisation that runs the diagnostic.
    pub issuer: String,
    pub generated: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiagnosisTotal {
    pub percent: u8,
    pub band: String,
    pub advice: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiagnosisArea {
    pub label: String,
    pub percent: u8,
    pub points: i32,
    pub max: i32,
    pub band: String,
    pub advice: String,
}

pub fn diagnosis(report: &DiagnosisReport) -> Result<Vec<u8>, PrintError> {
    world::typeset(
        include_str!("../templates/diagnosis.typ"),
        serde_json::to_vec(report)?,
    )
}

// ---------------------------------------------------------------- a company's fair schedule

#[derive(Debug, Clone, Serialize)]
pub struct FairSchedule {
    pub fair: String,
    pub date: String,
    pub company: String,
    pub meetings: usize,
    pub lines: Vec<ScheduleLine>,
    pub generated: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScheduleLine {
    pub slot: String,
    /// The other company, or empty.
    pub with: String,
    pub table: String,
    /// The company does not take part in this slot.
    pub absent: bool,
}

pub fn fair_schedule(schedule: &FairSchedule) -> Result<Vec<u8>, PrintError> {
    world::typeset(
        include_str!("../templates/fair_schedule.typ"),
        serde_json::to_vec(schedule)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(title: &str) -> ReportItem {
        ReportItem {
            title: title.to_owned(),
            status: "実施".to_owned(),
            summary: "概要".to_owned(),
            kpis: vec!["商談数：58商談".to_owned()],
            pillars: vec![],
        }
    }

    #[test]
    fn markup_in_the_data_prints_as_typed_and_typesets() {
        // Were the data spliced into markup, these would fail or run.
        let hostile = "#panic(\"x\") *太字* $x$ <a> @ref // ]";
        let report = AnnualReport {
            title: hostile.to_owned(),
            years: "平成28年度".to_owned(),
            generated: "2026年12月7日 19:00".to_owned(),
            preamble: vec![hostile.to_owned()],
            council: vec![YearItems {
                label: "平成28年度".to_owned(),
                items: vec![item(hostile)],
            }],
            organisations: vec![OrganisationSection {
                name: hostile.to_owned(),
                pillars: vec![PillarSection {
                    heading: "柱".to_owned(),
                    years: vec![],
                }],
            }],
            pillar_headings: vec!["一".into(), "二".into(), "三".into()],
            overview: vec![OverviewRow {
                name: hostile.to_owned(),
                counts: [2, 0, 1],
                cells: vec!["2".into(), "0".into(), "1".into()],
                kpis: 1,
            }],
            city_overview: vec![],
        };
        let pdf = annual_report(&report).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.windows(11).any(|w| w == FONT_FAMILY.as_bytes()));
    }

    #[test]
    fn an_unknown_file_or_package_is_an_error_not_a_download() {
        let error = world::typeset("#import \"@preview/cetz:0.3.0\"", b"{}".to_vec());
        assert!(matches!(error, Err(PrintError::Typeset(_))));
        let error = world::typeset("#read(\"/etc/passwd\")", b"{}".to_vec());
        assert!(matches!(error, Err(PrintError::Typeset(_))));
    }
}
