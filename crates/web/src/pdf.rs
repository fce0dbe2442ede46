//! Published PDFs: the records each HTML page shows, turned into the `print`
//! crate's documents and typeset off the async runtime. The annual report (web
//! and CLI), registry certificates, the diagnostic's A4 report and a company's
//! fair schedule. Staff-only notes of the report are not part of the data.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use domain::applications::RegistryKind;
use domain::time::{japan_day, japan_now};
use domain::{FiscalYear, Pillar};
use store::Store;
use store::applications::RegistryEntry;
use store::report::OverviewRow;

use crate::WebError;
use crate::report::{YearView, document};

/// 作成日時 as printed: Japan time.
pub fn generated_now() -> String {
    japan_now().format("%Y年%-m月%-d日 %H:%M").to_string()
}

/// Typesets on a blocking thread: typst's work is CPU-bound.
pub async fn typeset<F>(job: F) -> Result<Vec<u8>, WebError>
where
    F: FnOnce() -> Result<Vec<u8>, print::PrintError> + Send + 'static,
{
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| WebError::Internal(format!("typesetting task: {e}")))?
        .map_err(|e| WebError::Internal(format!("PDF: {e}")))
}

/// A PDF answer, shown in the browser, saved under `filename` (ASCII).
pub fn response(bytes: Vec<u8>, filename: &str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

// ---------------------------------------------------------------- the annual report

fn year_items(year: &YearView) -> print::YearItems {
    print::YearItems {
        label: year.label.clone(),
        items: year
            .items
            .iter()
            .map(|i| print::ReportItem {
                title: i.title.clone(),
                status: i.status_label.to_owned(),
                summary: i.summary.clone(),
                kpis: i.kpis.clone(),
                pillars: i.other_pillars.clone(),
                // `pillars_note` is for staff: the published version leaves it out.
            })
            .collect(),
    }
}

fn overview_row(name: &str, per_pillar: &[(u32, u32); 3], kpis: u32) -> print::OverviewRow {
    print::OverviewRow {
        name: name.to_owned(),
        counts: per_pillar.map(|(done, planned)| done + planned),
        cells: per_pillar
            .iter()
            .map(|(done, planned)| format!("{}（実施{done}・予定等{planned}）", done + planned))
            .collect(),
        kpis,
    }
}

/// The annual report of the given years as the council publishes it.
pub async fn annual_report(store: &Store, years: &[FiscalYear]) -> Result<Vec<u8>, WebError> {
    let report = store::report::annual(store, years).await?;
    let doc = document(&report, true);
    let data = print::AnnualReport {
        title: doc.title.clone(),
        years: doc.years_label.clone(),
        generated: generated_now(),
        preamble: doc.preamble.clone(),
        council: doc.council.iter().map(year_items).collect(),
        organisations: doc
            .organisations
            .iter()
            .map(|o| print::OrganisationSection {
                name: o.name.clone(),
                pillars: o
                    .pillars
                    .iter()
                    .map(|p| print::PillarSection {
                        heading: p.heading.clone(),
                        years: p.years.iter().map(year_items).collect(),
                    })
                    .collect(),
            })
            .collect(),
        pillar_headings: Pillar::ALL.iter().map(crate::view::pillar_tag).collect(),
        overview: report
            .overview
            .iter()
            .map(|r: &OverviewRow| overview_row(&r.organisation.name, &r.per_pillar, r.kpi_count))
            .collect(),
        city_overview: report
            .city_overview
            .iter()
            .map(|r| overview_row(&r.city_name, &r.per_pillar, r.kpi_count))
            .collect(),
    };
    typeset(move || print::annual_report(&data)).await
}

/// `annual-report-fy2016-2017.pdf`.
pub fn annual_filename(years: &[FiscalYear]) -> String {
    let years: Vec<String> = years.iter().map(|fy| fy.year().to_string()).collect();
    format!("annual-report-fy{}.pdf", years.join("-"))
}

// ---------------------------------------------------------------- registry certificates

/// The certificate of a registry entry: 認定証 for an i-mono product or i-waza
/// technique, 表彰状 for a 100年企業.
pub fn certificate(e: &RegistryEntry) -> print::Certificate {
    let date = japan_day(e.approved_at)
        .format("%Y年%-m月%-d日")
        .to_string();
    let mut facts = vec![if e.category == e.kind.label() {
        format!("区分：{}", e.category)
    } else {
        format!("区分：{}（{}）", e.category, e.kind.label())
    }];
    if e.demo {
        facts.insert(
            0,
            "デモ：架空の企業（実在の認定・表彰ではありません）".into(),
        );
    }
    if let Some(city) = &e.city_name {
        facts.push(format!("都市：{city}"));
    }
    if let Some(founded) = e.founded_year {
        facts.push(format!("創業：{founded}年"));
    }
    facts.push(format!(
        "認定・表彰：{}（{}・{}年）",
        e.call_title, e.organisation_name, e.year
    ));
    let (heading, subject, body) = match e.kind {
        RegistryKind::Product | RegistryKind::Technique => {
            let what = if e.kind == RegistryKind::Product {
                "製品"
            } else {
                "技術"
            };
            (
                "認定証",
                e.title.clone(),
                format!(
                    "貴社の上記の{what}は、{}において優れた{what}と認められましたので、「{}」として認定します。",
                    e.call_title, e.category
                ),
            )
        }
        RegistryKind::Award => {
            let years = match (e.founded_year, e.years_in_business) {
                (Some(founded), Some(years)) => {
                    format!("{founded}年の創業以来{years}年の永きにわたり")
                }
                _ => "永年にわたり".to_owned(),
            };
            let subject = if e.title == e.company_name {
                String::new()
            } else {
                e.title.clone()
            };
            (
                "表彰状",
                subject,
                format!(
                    "貴社は{years}事業を営み、地域の産業と雇用を支えてこられました。その功績をたたえ、{}としてここに表彰します。",
                    e.call_title
                ),
            )
        }
    };
    print::Certificate {
        heading: heading.to_owned(),
        number: e.slug.clone(),
        company: e.company_name.clone(),
        subject,
        body,
        facts,
        date,
        issuer: e.organisation_name.clone(),
    }
}
