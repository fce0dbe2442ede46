//! Negotiations (商談): the pipeline a user may see, one negotiation's steps with the
//! form that records the next, and the public dashboard of matching figures per city
//! (matches, negotiations, prototypes, orders) with its chart and exports.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::FiscalYear;
use domain::directory::Stage;
use domain::events::parse_date;
use store::negotiations::{self, Figures, Negotiation};
use store::organisations;

use super::query_pairs;
use crate::auth::Viewer;
use crate::export::{CsvRequest, ExportFormat, Table};
use crate::form::FormData;
use crate::view::{self, Layout};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/negotiations", get(list))
        .route("/negotiations.csv", get(list_csv))
        .route("/negotiations.xlsx", get(list_xlsx))
        .route("/negotiations/dashboard", get(dashboard))
        .route("/negotiations/dashboard.csv", get(dashboard_csv))
        .route("/negotiations/dashboard.xlsx", get(dashboard_xlsx))
        .route("/negotiations/feed", post(feed))
        .route("/negotiations/{key}", get(detail))
        .route("/negotiations/{key}/steps", post(advance))
}

pub struct Row {
    key: String,
    title: String,
    buyer: String,
    supplier: String,
    stage: &'static str,
    cross_city: bool,
    started_on: String,
    updated_on: String,
    owner: String,
    /// Invented demonstration data (marked 「デモ」).
    demo: bool,
}

fn row(n: &Negotiation) -> Row {
    Row {
        key: n.key.clone(),
        title: n.title.clone(),
        buyer: n.buyer_name.clone(),
        supplier: n.supplier_name.clone(),
        stage: n.stage.label(),
        cross_city: n.is_cross_city(),
        started_on: n.started_on.to_string(),
        updated_on: n.updated_on.to_string(),
        owner: n.owner.name.clone(),
        demo: n.demo,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "negotiations/list.html")]
struct ListPage {
    layout: Layout,
    stage: String,
    stages: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
}

async fn visible(
    state: &AppState,
    viewer: &Viewer,
    stage: Option<Stage>,
) -> Result<Vec<Negotiation>, WebError> {
    let actor = viewer.actor()?;
    let mut all = negotiations::list(&state.store, &actor).await?;
    if let Some(stage) = stage {
        all.retain(|n| n.stage == stage);
    }
    Ok(all)
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<ListPage, WebError> {
    let query = query_pairs(raw.as_deref());
    let stage = Stage::parse(query.get("stage"));
    let all = visible(&state, &viewer, stage).await?;
    Ok(ListPage {
        layout: Layout::for_viewer("商談の一覧", &viewer),
        stage: stage.map(|s| s.code().to_owned()).unwrap_or_default(),
        stages: Stage::ALL.iter().map(|s| (s.code(), s.label())).collect(),
        rows: all.iter().map(row).collect(),
    })
}

fn list_table(all: &[Negotiation]) -> Table {
    let mut table = Table::new(&[
        "商談ID",
        "件名",
        "ニーズ側",
        "提供側",
        "段階",
        "都市間",
        "開始日",
        "更新日",
        "担当団体",
        "金額（円）",
        "デモ",
    ])
    .codes(&["商談ID"])
    .dates(&["開始日", "更新日"])
    .numbers(&["金額（円）"]);
    for n in all {
        let r = row(n);
        table.rows.push(vec![
            r.key,
            r.title,
            r.buyer,
            r.supplier,
            r.stage.to_owned(),
            if r.cross_city { "はい" } else { "" }.to_owned(),
            r.started_on,
            r.updated_on,
            r.owner,
            n.amount.map(|a| format!("{a:.0}")).unwrap_or_default(),
            crate::export::demo_cell(r.demo),
        ]);
    }
    table
}

async fn list_export(
    state: &AppState,
    viewer: &Viewer,
    raw: Option<String>,
    format: ExportFormat,
) -> Result<Response, WebError> {
    let query = query_pairs(raw.as_deref());
    let all = visible(state, viewer, Stage::parse(query.get("stage"))).await?;
    list_table(&all).download(format, "negotiations", "商談")
}

async fn list_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    list_export(&state, &viewer, raw, ExportFormat::Csv(csv)).await
}

async fn list_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    list_export(&state, &viewer, raw, ExportFormat::Xlsx).await
}

#[derive(Template, WebTemplate)]
#[template(path = "negotiations/detail.html")]
struct DetailPage {
    layout: Layout,
    n: Row,
    posting: Option<(String, String)>,
    amount: String,
    steps: Vec<(&'static str, String, String, String)>,
    next_stages: Vec<(&'static str, &'static str)>,
    can_edit: bool,
    errors: Vec<String>,
    typed: (String, String, String, String),
}

async fn detail_page(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    notice: Option<String>,
    errors: Vec<String>,
    typed: (String, String, String, String),
) -> Result<DetailPage, WebError> {
    let actor = viewer.actor()?;
    let n = negotiations::get(&state.store, &actor, key).await?;
    Ok(DetailPage {
        layout: Layout::for_viewer(format!("商談: {}", n.title), viewer).with_notice(notice),
        posting: n.posting.clone(),
        amount: n.amount.map(|a| format!("{a:.0}円")).unwrap_or_default(),
        steps: n
            .steps
            .iter()
            .map(|s| {
                (
                    s.stage.label(),
                    s.on_date.to_string(),
                    s.note.clone(),
                    s.user_email.clone(),
                )
            })
            .collect(),
        next_stages: Stage::ALL
            .iter()
            .filter(|s| n.stage.may_move_to(**s).is_ok())
            .map(|s| (s.code(), s.label()))
            .collect(),
        can_edit: n.editable_by(Some(&actor)),
        errors,
        typed,
        n: row(&n),
    })
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<DetailPage, WebError> {
    let query = query_pairs(raw.as_deref());
    detail_page(
        &state,
        &viewer,
        &key,
        view::notice(Some(query.get("done"))),
        Vec::new(),
        Default::default(),
    )
    .await
}

async fn advance(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let typed = (
        form.get("stage").to_owned(),
        form.get("on_date").to_owned(),
        form.get("note").to_owned(),
        form.get("amount").to_owned(),
    );
    let result = async {
        let stage = Stage::parse(&typed.0)
            .ok_or_else(|| domain::Invalid::new("stage", "次の段階を選んでください。"))?;
        let on_date = parse_date("on_date", &typed.1)?;
        let amount_text = domain::text::narrow_ascii(typed.3.trim()).replace([',', '円'], "");
        let amount = if amount_text.is_empty() {
            None
        } else {
            Some(amount_text.parse::<f64>().map_err(|_| {
                domain::Invalid::new("amount", "金額は数字で入力してください（例: 1200000）。")
            })?)
        };
        negotiations::advance(&state.store, &actor, &key, stage, on_date, &typed.2, amount).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/negotiations/{key}?done=saved")).into_response()),
        Err(error) => {
            let label = |field: &str| match field {
                "stage" => "段階",
                "on_date" => "日付",
                "amount" => "金額",
                "note" => "メモ",
                _ => "入力",
            };
            let (status, errors) = super::form_errors(error, label)?;
            let page = detail_page(&state, &viewer, &key, None, errors, typed).await?;
            Ok((status, page).into_response())
        }
    }
}

/// One city's line of the dashboard, with the bar widths of its chart.
pub struct CityFigures {
    name: String,
    figures: Figures,
    /// (class, value, width, y) of each bar, and the label's baseline.
    bars: Vec<(&'static str, u64, f64, usize)>,
    label_y: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "negotiations/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    fy: String,
    years: Vec<(String, String)>,
    cities: Vec<CityFigures>,
    total: Figures,
    chart_height: usize,
    query: String,
    /// Initiatives the viewer may write the figures into (key, title).
    initiatives: Vec<(String, String)>,
    /// The initiative chosen when the figures were refused (kept in the form).
    chosen: String,
    errors: Vec<String>,
    /// How many of the counted negotiations are invented demonstration data.
    demo: u64,
}

async fn figures(
    state: &AppState,
    raw: Option<&str>,
) -> Result<(String, Vec<CityFigures>, Figures), WebError> {
    let query = query_pairs(raw);
    let fy_text = query.get("fy").to_owned();
    let fy = match fy_text.as_str() {
        "" => None,
        text => FiscalYear::parse(text).ok(),
    };
    let (per_city, total) = negotiations::figures(&state.store, fy).await?;
    let directory = organisations::directory(&state.store).await?;
    let max = per_city
        .values()
        .map(|f| f.matches)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let mut cities: Vec<CityFigures> = Vec::new();
    for city in &directory.cities {
        let figures = per_city.get(&city.key).cloned().unwrap_or_default();
        cities.push(CityFigures {
            name: city.name.clone(),
            bars: bars(&figures, max, cities.len()),
            label_y: cities.len() * 34 + 20,
            figures,
        });
    }
    if let Some(council) = per_city.get("council") {
        cities.push(CityFigures {
            name: "協議会".into(),
            bars: bars(council, max, cities.len()),
            label_y: cities.len() * 34 + 20,
            figures: council.clone(),
        });
    }
    Ok((
        fy.map(|f| f.year().to_string()).unwrap_or_default(),
        cities,
        total,
    ))
}

fn bars(f: &Figures, max: f64, row: usize) -> Vec<(&'static str, u64, f64, usize)> {
    [
        ("negotiations", f.negotiations),
        ("prototypes", f.prototypes),
        ("orders", f.orders),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (class, value))| {
        let width = (value as f64 / max * 400.0).max(if value > 0 { 2.0 } else { 0.0 });
        (class, value, width, row * 34 + 8 + i * 9)
    })
    .collect()
}

async fn dashboard(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<DashboardPage, WebError> {
    dashboard_page(&state, &viewer, raw.as_deref(), Vec::new(), "").await
}

/// The initiatives whose KPIs the viewer may fill from the figures: matching and
/// matching-fair programmes first.
async fn feedable(state: &AppState, viewer: &Viewer) -> Result<Vec<(String, String)>, WebError> {
    let Ok(actor) = viewer.actor() else {
        return Ok(Vec::new());
    };
    let mut initiatives: Vec<_> = store::catalogue::list(&state.store, &Default::default())
        .await?
        .into_iter()
        .filter(|i| actor.may_edit_catalogue_of(i.organisation.id))
        .collect();
    initiatives.sort_by_key(|i| !matches!(i.program_kind.as_str(), "matching" | "matching_fair"));
    Ok(initiatives
        .into_iter()
        .map(|i| (i.key, format!("{}：{}", i.organisation.name, i.title)))
        .collect())
}

async fn dashboard_page(
    state: &AppState,
    viewer: &Viewer,
    raw: Option<&str>,
    errors: Vec<String>,
    chosen: &str,
) -> Result<DashboardPage, WebError> {
    let query = query_pairs(raw);
    let (fy, cities, total) = figures(state, raw).await?;
    let demo = negotiations::invented(
        &state.store,
        match fy.as_str() {
            "" => None,
            text => FiscalYear::parse(text).ok(),
        },
    )
    .await?;
    let years = view::fiscal_year_choices(&[])
        .into_iter()
        .map(|y| (y.year().to_string(), y.label()))
        .collect();
    Ok(DashboardPage {
        layout: Layout::for_viewer("マッチング実績", viewer)
            .with_notice(view::notice(Some(query.get("done")))),
        initiatives: feedable(state, viewer).await?,
        chosen: chosen.to_owned(),
        errors,
        chart_height: cities.len() * 34 + 30,
        query: if fy.is_empty() {
            String::new()
        } else {
            format!("fy={fy}")
        },
        fy,
        years,
        cities,
        total,
        demo,
    })
}

fn dashboard_table(cities: &[CityFigures], total: &Figures) -> Table {
    let mut table = Table::new(&[
        "都市",
        "マッチング件数",
        "商談件数",
        "面談",
        "見積",
        "試作",
        "受注・契約",
        "辞退",
        "都市間",
    ])
    .numbers(&[
        "マッチング件数",
        "商談件数",
        "面談",
        "見積",
        "試作",
        "受注・契約",
        "辞退",
        "都市間",
    ]);
    let line = |name: &str, f: &Figures| {
        vec![
            name.to_owned(),
            f.matches.to_string(),
            f.negotiations.to_string(),
            f.meetings.to_string(),
            f.quotes.to_string(),
            f.prototypes.to_string(),
            f.orders.to_string(),
            f.declined.to_string(),
            f.cross_city.to_string(),
        ]
    };
    for c in cities {
        table.rows.push(line(&c.name, &c.figures));
    }
    table.rows.push(line("合計", total));
    table
}

async fn dashboard_csv(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    let (_, cities, total) = figures(&state, raw.as_deref()).await?;
    dashboard_table(&cities, &total).download(
        ExportFormat::Csv(csv),
        "matching-figures",
        "マッチング実績",
    )
}

async fn dashboard_xlsx(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let (_, cities, total) = figures(&state, raw.as_deref()).await?;
    dashboard_table(&cities, &total).download(
        ExportFormat::Xlsx,
        "matching-figures",
        "マッチング実績",
    )
}

async fn feed(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let fy_text = form.get("fy").to_owned();
    let result = match FiscalYear::parse(&fy_text) {
        Ok(fy) => negotiations::feed_kpis(&state.store, &actor, form.get("initiative"), fy)
            .await
            .map(|_| fy),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(fy) => Ok(Redirect::to(&format!(
            "/initiatives/{}?done=saved#fy-{}",
            form.get("initiative"),
            fy.year()
        ))
        .into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, |field: &str| match field {
                "fy" => "年度",
                _ => "反映",
            })?;
            let raw = format!(
                "fy={}",
                form_urlencoded::byte_serialize(fy_text.as_bytes()).collect::<String>()
            );
            let page =
                dashboard_page(&state, &viewer, Some(&raw), errors, form.get("initiative")).await?;
            Ok((status, page).into_response())
        }
    }
}
