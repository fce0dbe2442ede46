//! The annual report rendered: HTML (the page, and a standalone file for
//! `renkei report annual --format html`), Markdown, and the SVG chart of the KPI
//! overview. The content comes from `store::report`, so an edit shows in the next
//! report.

use askama::Template;
use domain::{FiscalYear, Pillar};
use store::Store;
use store::report::{AnnualReport, OverviewRow, ReportItem};

use crate::WebError;
use crate::view::{pillar_tag, status_class};

/// The stylesheet, embedded so that a standalone report file carries it.
pub const STYLESHEET: &str = include_str!("../static/app.css");

pub struct ItemView {
    pub key: String,
    pub title: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub summary: String,
    pub kpis: Vec<String>,
    pub other_pillars: Vec<String>,
    pub pillars_note: Option<String>,
}

pub struct YearView {
    pub label: String,
    pub items: Vec<ItemView>,
}

pub struct PillarView {
    pub heading: String,
    pub years: Vec<YearView>,
}

pub struct OrganisationView {
    pub name: String,
    pub anchor: String,
    pub pillars: Vec<PillarView>,
}

pub struct OverviewView {
    pub name: String,
    pub cells: Vec<String>,
    pub kpi_count: u32,
}

#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportDocument {
    pub title: String,
    pub preamble: Vec<String>,
    pub years_label: String,
    pub council: Vec<YearView>,
    pub organisations: Vec<OrganisationView>,
    pub overview: Vec<OverviewView>,
    pub city_overview: Vec<OverviewView>,
    pub pillar_headings: Vec<String>,
    pub chart_svg: String,
    pub standalone: bool,
    pub stylesheet: &'static str,
    pub generated: String,
    pub query: String,
    /// The library's public documents of the initiatives: (key, title, kind,
    /// initiative's title, invented).
    pub documents: Vec<(String, String, &'static str, String, bool)>,
}

fn item_view(item: &ReportItem, under: Option<Pillar>) -> ItemView {
    ItemView {
        key: item.initiative_key.clone(),
        title: item.title.clone(),
        status_label: item.status.label(),
        status_class: status_class(item.status),
        summary: item.summary.clone(),
        kpis: item
            .kpis
            .iter()
            .map(|k| {
                let note = if k.note.is_empty() {
                    String::new()
                } else {
                    format!("（{}）", k.note)
                };
                format!("{}：{}{}{}", k.label, k.value.display(), k.unit, note)
            })
            .collect(),
        other_pillars: item
            .pillars
            .iter()
            .filter(|p| Some(**p) != under)
            .map(pillar_tag)
            .collect(),
        pillars_note: item
            .pillars_inferred
            .then(|| "柱は資料に明記がなく、内容から付与しています。".to_owned()),
    }
}

fn years_label(years: &[FiscalYear]) -> String {
    years
        .iter()
        .map(|fy| fy.label())
        .collect::<Vec<_>>()
        .join("・")
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Pillar colours: distinguishable, and dark enough for white text (WCAG AA).
const PILLAR_COLOURS: [&str; 3] = ["#1d5fa8", "#2a7a3b", "#9a4a06"];

/// A horizontal stacked bar per organisation: its entries in the selected years
/// by pillar. Drawn by hand: a few rectangles need no charting library.
pub fn overview_chart(rows: &[OverviewRow]) -> String {
    let rows: Vec<&OverviewRow> = rows
        .iter()
        .filter(|r| r.per_pillar.iter().any(|(d, p)| d + p > 0))
        .collect();
    let max = rows
        .iter()
        .map(|r| r.per_pillar.iter().map(|(d, p)| d + p).sum::<u32>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (label_width, bar_width, row_height, top) = (190.0, 420.0, 26.0, 34.0);
    let height = top + row_height * rows.len() as f64 + 10.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 660 {height}\" width=\"100%\" role=\"img\" aria-labelledby=\"chart-title\" class=\"chart\">\
<title id=\"chart-title\">団体別・柱別の事業数（選択年度の記録件数）</title>"
    );
    for (i, pillar) in Pillar::ALL.iter().enumerate() {
        let x = label_width + i as f64 * 150.0;
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"6\" width=\"14\" height=\"14\" fill=\"{}\"/><text x=\"{}\" y=\"18\" font-size=\"12\" fill=\"#222\">{}</text>",
            PILLAR_COLOURS[i],
            x + 18.0,
            xml_escape(&pillar_tag(pillar))
        ));
    }
    for (r, row) in rows.iter().enumerate() {
        let y = top + r as f64 * row_height;
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" text-anchor=\"end\" fill=\"#222\">{}</text>",
            label_width - 8.0,
            y + 15.0,
            xml_escape(&row.organisation.name)
        ));
        let mut x = label_width;
        for (i, (done, planned)) in row.per_pillar.iter().enumerate() {
            let count = done + planned;
            if count == 0 {
                continue;
            }
            let width = bar_width * f64::from(count) / f64::from(max);
            svg.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{width:.1}\" height=\"20\" fill=\"{}\"><title>{} {}：{}件（実施{}・予定等{}）</title></rect>",
                PILLAR_COLOURS[i],
                xml_escape(&row.organisation.name),
                xml_escape(&pillar_tag(&Pillar::ALL[i])),
                count,
                done,
                planned
            ));
            if width >= 16.0 {
                svg.push_str(&format!(
                    "<text x=\"{:.1}\" y=\"{}\" font-size=\"12\" fill=\"#fff\" text-anchor=\"middle\">{count}</text>",
                    x + width / 2.0,
                    y + 14.5
                ));
            }
            x += width;
        }
    }
    svg.push_str("</svg>");
    svg
}

fn overview_cells(per_pillar: &[(u32, u32); 3]) -> Vec<String> {
    per_pillar
        .iter()
        .map(|(done, planned)| format!("{}（実施{done}・予定等{planned}）", done + planned))
        .collect()
}

pub(crate) fn document(report: &AnnualReport, standalone: bool) -> ReportDocument {
    let council = report
        .council
        .iter()
        .map(|block| YearView {
            label: block.fy.label(),
            items: block.items.iter().map(|i| item_view(i, None)).collect(),
        })
        .collect();
    let organisations = report
        .organisations
        .iter()
        .map(|section| OrganisationView {
            name: section.organisation.name.clone(),
            anchor: section.organisation.key.clone(),
            pillars: section
                .pillars
                .iter()
                .map(|p| PillarView {
                    heading: p.pillar.heading(),
                    years: p
                        .years
                        .iter()
                        .map(|block| YearView {
                            label: block.fy.label(),
                            items: block
                                .items
                                .iter()
                                .map(|i| item_view(i, Some(p.pillar)))
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let overview = report
        .overview
        .iter()
        .map(|row| OverviewView {
            name: row.organisation.name.clone(),
            cells: overview_cells(&row.per_pillar),
            kpi_count: row.kpi_count,
        })
        .collect();
    let city_overview = report
        .city_overview
        .iter()
        .map(|row| OverviewView {
            name: row.city_name.clone(),
            cells: overview_cells(&row.per_pillar),
            kpi_count: row.kpi_count,
        })
        .collect();
    ReportDocument {
        title: report.title.clone(),
        preamble: report
            .preamble
            .split("\n\n")
            .map(|p| p.trim().to_owned())
            .collect(),
        years_label: years_label(&report.fiscal_years),
        council,
        organisations,
        overview,
        city_overview,
        pillar_headings: Pillar::ALL.iter().map(pillar_tag).collect(),
        chart_svg: overview_chart(&report.overview),
        standalone,
        stylesheet: STYLESHEET,
        generated: domain::time::japan_now()
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        query: report
            .fiscal_years
            .iter()
            .map(|fy| format!("fy={}", fy.year()))
            .collect::<Vec<_>>()
            .join("&"),
        documents: Vec::new(),
    }
}

/// The public documents linked to initiatives, as the report lists them.
async fn report_documents(
    store: &Store,
) -> Result<Vec<(String, String, &'static str, String, bool)>, WebError> {
    Ok(store::documents::for_report(store)
        .await?
        .into_iter()
        .map(|d| {
            let initiative = d.initiative.map(|i| i.1).unwrap_or_default();
            (d.key, d.title, d.kind.label(), initiative, d.demo)
        })
        .collect())
}

/// The report as an HTML document; `standalone` embeds the stylesheet for a file.
pub async fn annual_html(
    store: &Store,
    years: &[FiscalYear],
    standalone: bool,
) -> Result<String, WebError> {
    let report = store::report::annual(store, years).await?;
    let mut doc = document(&report, standalone);
    doc.documents = report_documents(store).await?;
    doc.render()
        .map_err(|e| WebError::Internal(format!("report template: {e}")))
}

fn markdown_item(out: &mut String, item: &ItemView) {
    out.push_str(&format!("- **{}**（{}）", item.title, item.status_label));
    if !item.summary.is_empty() {
        out.push_str(&format!("：{}", item.summary));
    }
    out.push('\n');
    for kpi in &item.kpis {
        out.push_str(&format!("  - {kpi}\n"));
    }
    if !item.other_pillars.is_empty() {
        out.push_str(&format!(
            "  - 関連する柱：{}\n",
            item.other_pillars.join("、")
        ));
    }
}

/// Where a document of the report is, as a path of the platform.
const PUBLIC_DOCUMENTS: &str = "/documents/";

/// The report as Markdown, for mail and wikis.
pub async fn annual_markdown(store: &Store, years: &[FiscalYear]) -> Result<String, WebError> {
    let report = store::report::annual(store, years).await?;
    let doc = document(&report, true);
    let mut out = format!("# {}\n\n", doc.title);
    for paragraph in &doc.preamble {
        out.push_str(&format!("{paragraph}\n\n"));
    }
    out.push_str(&format!("対象年度：{}\n\n", doc.years_label));
    out.push_str("## 1 協議会全体の事業\n\n");
    for year in &doc.council {
        out.push_str(&format!("### {}\n\n", year.label));
        for item in &year.items {
            markdown_item(&mut out, item);
        }
        out.push('\n');
    }
    out.push_str("## 2 各都市・商工会議所の事業\n\n");
    for organisation in &doc.organisations {
        out.push_str(&format!("### {}\n\n", organisation.name));
        for pillar in &organisation.pillars {
            out.push_str(&format!("#### {}\n\n", pillar.heading));
            for year in &pillar.years {
                out.push_str(&format!("{}\n\n", year.label));
                for item in &year.items {
                    markdown_item(&mut out, item);
                }
                out.push('\n');
            }
        }
    }
    let documents = report_documents(store).await?;
    if !documents.is_empty() {
        out.push_str("## 資料\n\n");
        for (key, title, kind, initiative, demo) in &documents {
            out.push_str(&format!(
                "- {title}{}（{kind}・{initiative}）：{PUBLIC_DOCUMENTS}{key}\n",
                if *demo { "【デモ】" } else { "" }
            ));
        }
        out.push('\n');
    }
    out.push_str("## KPI・事業数の概要（団体別・柱別）\n\n");
    out.push_str(&format!(
        "| 団体 | {} | KPI数 |\n",
        doc.pillar_headings.join(" | ")
    ));
    out.push_str("|---|---|---|---|---|\n");
    markdown_overview_rows(&mut out, &doc.overview);
    out.push_str("\n### 都市別（市区と商工会議所の合計）\n\n");
    out.push_str(&format!(
        "| 都市 | {} | KPI数 |\n",
        doc.pillar_headings.join(" | ")
    ));
    out.push_str("|---|---|---|---|---|\n");
    markdown_overview_rows(&mut out, &doc.city_overview);
    Ok(out)
}

fn markdown_overview_rows(out: &mut String, rows: &[OverviewView]) {
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            row.name,
            row.cells.join(" | "),
            row.kpi_count
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_escapes_names_and_skips_empty_rows() {
        let organisation = store::organisations::Organisation {
            id: 1,
            key: "x".into(),
            name: "<script>市".into(),
            kind: "city".into(),
            city: None,
            sort_order: 1,
        };
        let rows = vec![
            OverviewRow {
                organisation: organisation.clone(),
                per_pillar: [(2, 1), (0, 0), (0, 1)],
                kpi_count: 3,
            },
            OverviewRow {
                organisation: store::organisations::Organisation {
                    name: "空の団体".into(),
                    ..organisation
                },
                per_pillar: [(0, 0); 3],
                kpi_count: 0,
            },
        ];
        let svg = overview_chart(&rows);
        assert!(svg.contains("&lt;script&gt;市"));
        assert!(!svg.contains("<script>"));
        assert!(!svg.contains("空の団体"));
        assert_eq!(
            svg.matches("<rect").count(),
            3 + 2,
            "three legend keys and two bars"
        );
    }
}
