//! Diagnostics (企業健康診断): the company's result page (score per area as bars,
//! band and advice) with a printable report, and for the organisation that runs the
//! diagnostic the list of companies that applied or were diagnosed (CSV/XLSX), each
//! company's follow-up records with the partner banks and advisers, and the button
//! that writes the counted figures into the initiative's KPIs.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::FiscalYear;
use domain::forms::Diagnosis;
use store::diagnostics::{self, DiagnosisRow, FOLLOW_UP_KINDS, FollowUp, FollowUpDraft};
use store::forms::{Form, ResponseStatus};

use crate::auth::Viewer;
use crate::export::{CsvRequest, ExportFormat, Table};
use crate::form::FormData;
use crate::pages::query_pairs;
use crate::view::{Layout, tokyo_time};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/forms/{key}/result", get(result))
        .route("/forms/{key}/diagnoses", get(list))
        .route("/forms/{key}/diagnoses.csv", get(list_csv))
        .route("/forms/{key}/diagnoses.xlsx", get(list_xlsx))
        .route("/forms/{key}/followups", get(followups).post(add_followup))
        .route("/forms/{key}/kpis", post(feed_kpis))
}

/// One bar of the result chart.
struct Bar {
    label: String,
    percent: u8,
    band_key: String,
    band_label: String,
    advice: String,
    points: i32,
    max: i32,
    y: u32,
    width: u32,
}

fn bars(diagnosis: &Diagnosis) -> Vec<Bar> {
    diagnosis
        .areas
        .iter()
        .enumerate()
        .map(|(i, score)| Bar {
            label: score.label.clone(),
            percent: score.percent,
            band_key: score.band_key.clone(),
            band_label: score.band_label.clone(),
            advice: score.advice.clone(),
            points: score.points,
            max: score.max,
            y: 10 + 40 * u32::try_from(i).unwrap_or(0),
            width: 4 * u32::from(score.percent),
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "forms/result.html")]
struct ResultPage {
    layout: Layout,
    form: Form,
    company_key: String,
    company_name: String,
    submitted_at: String,
    total: Option<(u8, String, String, String)>,
    bars: Vec<Bar>,
    chart_height: u32,
    may_follow_up: bool,
}

/// The same result as an A4 report without the site's frame.
#[derive(Template, WebTemplate)]
#[template(path = "forms/result_print.html")]
struct ResultPrint {
    layout: Layout,
    form: Form,
    company_name: String,
    submitted_at: String,
    total: Option<(u8, String, String, String)>,
    bars: Vec<Bar>,
    chart_height: u32,
}

async fn result(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let query = query_pairs(query.as_deref());
    let company = query.get("company");
    let (form, response, diagnosis) =
        diagnostics::result(&state.store, &actor, &key, company).await?;
    let bars = diagnosis.as_ref().map(bars).unwrap_or_default();
    let notice = (query.get("done") == "submitted")
        .then(|| "回答を提出しました。診断結果は次のとおりです。".to_owned());
    let page = ResultPage {
        layout: Layout::for_viewer(format!("{}：診断結果", form.title), &viewer)
            .with_notice(notice),
        chart_height: 20 + 40 * u32::try_from(bars.len()).unwrap_or(0),
        total: diagnosis.map(|d| {
            (
                d.total.percent,
                d.total.band_key.clone(),
                d.total.band_label.clone(),
                d.total.advice.clone(),
            )
        }),
        bars,
        company_key: response.company_key.clone(),
        company_name: response.company_name.clone(),
        submitted_at: response.submitted_at.map(tokyo_time).unwrap_or_default(),
        may_follow_up: actor.role == domain::Role::Staff
            && actor.organisation_id == Some(form.owner.id),
        form,
    };
    if query.get("print") != "1" {
        return Ok(page.into_response());
    }
    Ok(ResultPrint {
        layout: page.layout,
        form: page.form,
        company_name: page.company_name,
        submitted_at: page.submitted_at,
        total: page.total,
        bars: page.bars,
        chart_height: page.chart_height,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "forms/diagnoses.html")]
struct ListPage {
    layout: Layout,
    form: Form,
    rows: Vec<DiagnosisRow>,
    applied: usize,
    diagnosed: usize,
    /// Companies per band of the total: (band label, count, bar width).
    bands: Vec<(String, usize, u32)>,
    fiscal_year: String,
    initiatives: Vec<(String, String)>,
    /// The initiative chosen when the figures were refused (kept in the form).
    chosen: String,
    /// How many applications are invented demonstration companies'.
    demo: usize,
    /// Why the figures were not written into the KPIs (with the typed year).
    errors: Vec<String>,
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<ListPage, WebError> {
    let notice = match query_pairs(query.as_deref()).get("done") {
        "kpis" => Some("施策のKPI（申込企業数・無料診断実施企業数）に反映しました。".to_owned()),
        _ => None,
    };
    list_page(&state, &viewer, &key, notice, None, Vec::new(), "").await
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    notice: Option<String>,
    typed_year: Option<String>,
    errors: Vec<String>,
    chosen: &str,
) -> Result<ListPage, WebError> {
    let actor = viewer.actor()?;
    let (form, rows) = diagnostics::diagnoses(&state.store, &actor, key).await?;
    let diagnosed = rows
        .iter()
        .filter(|r| r.status == ResponseStatus::Submitted)
        .count();
    let mut bands: Vec<(String, usize, u32)> = form
        .latest
        .definition
        .scoring
        .iter()
        .flat_map(|s| s.bands.iter().map(|b| (b.label.clone(), 0, 0)))
        .collect();
    for row in &rows {
        if let Some(d) = &row.diagnosis
            && let Some(band) = bands.iter_mut().find(|b| b.0 == d.total.band_label)
        {
            band.1 += 1;
        }
    }
    let most = bands.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    for band in &mut bands {
        band.2 = u32::try_from(band.1 * 300 / most).unwrap_or(0);
    }
    let fiscal_year = FiscalYear::containing(
        form.period
            .opens_on
            .unwrap_or_else(domain::time::japan_today),
    )
    .year();
    let initiatives = store::catalogue::list(&state.store, &store::catalogue::Filter::default())
        .await?
        .into_iter()
        .filter(|i| i.organisation.id == form.owner.id)
        .map(|i| (i.key, i.title))
        .collect();
    Ok(ListPage {
        layout: Layout::for_viewer(format!("{}：診断結果の一覧", form.title), viewer)
            .with_notice(notice),
        applied: rows.len(),
        diagnosed,
        bands,
        fiscal_year: typed_year.unwrap_or_else(|| fiscal_year.to_string()),
        demo: rows.iter().filter(|r| r.demo).count(),
        errors,
        initiatives,
        chosen: chosen.to_owned(),
        rows,
        form,
    })
}

async fn export(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    format: ExportFormat,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let (form, rows) = diagnostics::diagnoses(&state.store, &actor, key).await?;
    let areas: Vec<String> = form
        .latest
        .definition
        .scoring
        .iter()
        .flat_map(|s| s.areas.iter().map(|a| a.label.clone()))
        .collect();
    let mut headers = vec![
        "企業".to_owned(),
        "状況".to_owned(),
        "診断日".to_owned(),
        "総合".to_owned(),
        "判定".to_owned(),
    ];
    headers.extend(areas.iter().map(|a| format!("{a}（%）")));
    headers.extend([
        "フォローアップ件数".to_owned(),
        "最終フォローアップ".to_owned(),
        "デモ".to_owned(),
    ]);
    let percent_columns: Vec<String> = areas.iter().map(|a| format!("{a}（%）")).collect();
    let percent_columns: Vec<&str> = percent_columns.iter().map(String::as_str).collect();
    let mut table = Table::from_headers(headers)
        .datetimes(&["診断日", "最終フォローアップ"])
        .numbers(&["総合", "フォローアップ件数"])
        .numbers(&percent_columns);
    for row in &rows {
        let mut cells = vec![
            row.company_name.clone(),
            if row.status == ResponseStatus::Submitted {
                "診断済み"
            } else {
                "申込"
            }
            .to_owned(),
            row.submitted_at.map(tokyo_time).unwrap_or_default(),
            row.diagnosis
                .as_ref()
                .map(|d| d.total.percent.to_string())
                .unwrap_or_default(),
            row.diagnosis
                .as_ref()
                .map(|d| d.total.band_label.clone())
                .unwrap_or_default(),
        ];
        for area in &areas {
            cells.push(
                row.diagnosis
                    .as_ref()
                    .and_then(|d| d.areas.iter().find(|s| &s.label == area))
                    .map(|s| s.percent.to_string())
                    .unwrap_or_default(),
            );
        }
        cells.push(row.followups.to_string());
        cells.push(row.last_followup.clone().unwrap_or_default());
        cells.push(crate::export::demo_cell(row.demo));
        table.rows.push(cells);
    }
    table.download(format, &format!("{key}-diagnoses"), "診断結果")
}

async fn list_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    export(&state, &viewer, &key, ExportFormat::Csv(csv)).await
}

async fn list_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    export(&state, &viewer, &key, ExportFormat::Xlsx).await
}

#[derive(Template, WebTemplate)]
#[template(path = "forms/followups.html")]
struct FollowUpsPage {
    layout: Layout,
    form: Form,
    company_key: String,
    company_name: String,
    records: Vec<FollowUp>,
    kinds: [&'static str; 6],
    typed: FormData,
    errors: Vec<String>,
}

async fn followups_page(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    company: &str,
    typed: FormData,
    errors: Vec<String>,
    notice: Option<String>,
) -> Result<FollowUpsPage, WebError> {
    let actor = viewer.actor()?;
    let records = diagnostics::followups(&state.store, &actor, key, company).await?;
    let form = store::forms::get(&state.store, key).await?;
    let name = store::companies::get(&state.store, Some(&actor), company)
        .await?
        .name;
    Ok(FollowUpsPage {
        layout: Layout::for_viewer(format!("{name}：診断後のフォローアップ"), viewer)
            .with_notice(notice),
        form,
        company_key: company.to_owned(),
        company_name: name,
        records,
        kinds: FOLLOW_UP_KINDS,
        typed,
        errors,
    })
}

async fn followups(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<FollowUpsPage, WebError> {
    let query = query_pairs(query.as_deref());
    let notice = (query.get("done") == "saved").then(|| "記録しました。".to_owned());
    followups_page(
        &state,
        &viewer,
        &key,
        query.get("company"),
        FormData::default(),
        Vec::new(),
        notice,
    )
    .await
}

fn followup_label(field: &str) -> &'static str {
    match field {
        "kind" => "対応の種類",
        "note" => "内容",
        "happened_on" => "対応した日",
        "next_on" => "次回の予定日",
        _ => "入力",
    }
}

async fn add_followup(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let query = query_pairs(query.as_deref());
    let company = query.get("company").to_owned();
    let draft = FollowUpDraft::from_text(
        form.get("happened_on"),
        form.get("kind"),
        form.get("partner"),
        form.get("note"),
        form.get("next_action"),
        form.get("next_on"),
    );
    let result = match draft {
        Ok(draft) => diagnostics::add_followup(&state.store, &actor, &key, &company, &draft).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/forms/{key}/followups?company={company}&done=saved"
        ))
        .into_response()),
        Err(error) => {
            let (status, lines) = crate::pages::form_errors(error, followup_label)?;
            let page = followups_page(&state, &viewer, &key, &company, form, lines, None).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn feed_kpis(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let fy: FiscalYear = form
        .get("fy")
        .parse::<i32>()
        .ok()
        .and_then(|y| FiscalYear::new(y).ok())
        .ok_or_else(|| WebError::BadRequest("年度を選んでください。".into()))?;
    match diagnostics::feed_kpis(&state.store, &actor, &key, form.get("initiative"), fy).await {
        Ok(_) => Ok(Redirect::to(&format!("/forms/{key}/diagnoses?done=kpis")).into_response()),
        Err(error) => {
            let (status, lines) = crate::pages::form_errors(error, |f: &str| match f {
                "fy" => "年度",
                _ => "反映",
            })?;
            let page = list_page(
                &state,
                &viewer,
                &key,
                None,
                Some(form.get("fy").to_owned()),
                lines,
                form.get("initiative"),
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}
