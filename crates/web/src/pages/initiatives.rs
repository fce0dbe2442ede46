//! The initiative catalogue's pages: list with filters and exports, detail, and the
//! forms that create, edit and delete initiatives and their fiscal-year entries.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::catalogue::{
    EntryDraft, EntryInput, InitiativeDraft, InitiativeInput, KpiInput, PROGRAM_KINDS,
    program_kind_label,
};
use domain::{Actor, EntryStatus, FiscalYear, Invalid, Pillar};
use store::StoreError;
use store::catalogue::{self, Filter, Initiative};
use store::organisations::{self, Directory};

use super::query_pairs;
use crate::auth::Viewer;
use crate::export::{CsvRequest, ExportFormat, Table};
use crate::form::FormData;
use crate::view::{self, Layout, pillar_tag, status_class};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/initiatives", get(list).post(create))
        .route("/initiatives.csv", get(export_csv))
        .route("/initiatives.xlsx", get(export_xlsx))
        .route("/initiatives/new", get(new_form))
        .route("/initiatives/{key}", get(detail))
        .route("/initiatives/{key}/edit", get(edit_form).post(update))
        .route("/initiatives/{key}/delete", get(delete_form).post(delete))
        .route(
            "/initiatives/{key}/years/new",
            get(new_entry_form).post(create_entry),
        )
        .route(
            "/initiatives/{key}/years/{fy}/edit",
            get(edit_entry_form).post(update_entry),
        )
        .route(
            "/initiatives/{key}/years/{fy}/delete",
            axum::routing::post(delete_entry),
        )
}

/// The filter as typed, kept for refilling the form, and what it means.
#[derive(Debug, Default)]
pub struct FilterInput {
    pub q: String,
    pub city: String,
    pub organisation: String,
    pub pillar: String,
    pub fy: String,
    pub status: String,
}

/// Reads the filter from the query string; values that mean nothing are reported
/// and ignored, so a bad link still shows a list.
pub fn parse_filter(query: &FormData, directory: &Directory) -> (FilterInput, Filter, Vec<String>) {
    let input = FilterInput {
        q: query.get("q").to_owned(),
        city: query.get("city").to_owned(),
        organisation: query.get("organisation").to_owned(),
        pillar: query.get("pillar").to_owned(),
        fy: query.get("fy").to_owned(),
        status: query.get("status").to_owned(),
    };
    let mut errors = Vec::new();
    fn keep<T>(
        text: &str,
        parse: fn(&str) -> Result<T, Invalid>,
        errors: &mut Vec<String>,
    ) -> Option<T> {
        if text.is_empty() {
            return None;
        }
        parse(text).map_err(|e| errors.push(e.reason)).ok()
    }
    // A city by its key, 全国地方公共団体コード or name, as for the calendar.
    let city = match input.city.trim() {
        "" => None,
        given => super::events::city_key(directory, given)
            .map_err(|e| errors.push(e.reason))
            .ok(),
    };
    if !input.organisation.is_empty()
        && directory.organisation_by_key(&input.organisation).is_none()
    {
        errors.push(format!(
            "団体「{}」は登録されていません。",
            input.organisation
        ));
    }
    let filter = Filter {
        city,
        organisation: Some(input.organisation.clone()).filter(|s| !s.is_empty()),
        pillar: keep(&input.pillar, Pillar::parse, &mut errors),
        fy: keep(&input.fy, FiscalYear::parse, &mut errors),
        status: keep(&input.status, EntryStatus::parse, &mut errors),
        q: input.q.chars().take(200).collect(),
    };
    (input, filter, errors)
}

pub struct Row {
    key: String,
    title: String,
    organisation: String,
    pillars: Vec<String>,
    years: Vec<(String, &'static str)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "initiatives/list.html")]
struct ListPage {
    layout: Layout,
    filter: FilterInput,
    filter_errors: Vec<String>,
    cities: Vec<(String, String)>,
    organisations: Vec<(String, String)>,
    pillars: Vec<(String, String)>,
    years: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    rows: Vec<Row>,
    query: String,
    can_create: bool,
}

fn choices_of_years() -> Vec<(String, String)> {
    view::fiscal_year_choices(&[])
        .into_iter()
        .map(|fy| (fy.year().to_string(), fy.label()))
        .collect()
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<ListPage, WebError> {
    let query = query_pairs(raw.as_deref());
    let directory = organisations::directory(&state.store).await?;
    let (input, filter, filter_errors) = parse_filter(&query, &directory);
    let initiatives = catalogue::list(&state.store, &filter).await?;
    let can_create = viewer.acting_user().is_some_and(|u| u.role.keeps_records());
    Ok(ListPage {
        layout: Layout::for_viewer("施策一覧", &viewer)
            .with_notice(view::notice(Some(query.get("done")))),
        cities: directory
            .cities
            .iter()
            .map(|c| (c.key.clone(), c.name.clone()))
            .collect(),
        organisations: directory
            .organisations
            .iter()
            .map(|o| (o.key.clone(), o.name.clone()))
            .collect(),
        pillars: Pillar::ALL
            .iter()
            .map(|p| (p.number().to_string(), p.heading()))
            .collect(),
        years: choices_of_years(),
        statuses: EntryStatus::ALL
            .iter()
            .map(|s| (s.code().to_owned(), s.label().to_owned()))
            .collect(),
        rows: initiatives
            .iter()
            .map(|i| Row {
                key: i.key.clone(),
                title: i.title.clone(),
                organisation: i.organisation.name.clone(),
                pillars: i.pillars.iter().map(pillar_tag).collect(),
                years: i
                    .entries
                    .iter()
                    .map(|e| {
                        (
                            format!("{} {}", e.fy.wareki_label(), e.status.label()),
                            status_class(e.status),
                        )
                    })
                    .collect(),
            })
            .collect(),
        query: raw
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.starts_with("done="))
            .collect::<Vec<_>>()
            .join("&"),
        filter: input,
        filter_errors,
        can_create,
    })
}

/// The filtered list as a table: one row per initiative and fiscal year, with its KPIs.
pub fn export_table(initiatives: &[Initiative]) -> Table {
    let mut table = Table::new(&[
        "施策ID",
        "施策名",
        "団体",
        "都市",
        "柱",
        "事業の種類",
        "年度",
        "和暦",
        "状況",
        "内容",
        "KPI",
    ])
    .codes(&["施策ID"])
    .numbers(&["年度"]);
    for i in initiatives {
        let base = |fy: String, wareki: String, status: String, summary: String, kpis: String| {
            vec![
                i.key.clone(),
                i.title.clone(),
                i.organisation.name.clone(),
                i.organisation
                    .city
                    .as_ref()
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                i.pillars
                    .iter()
                    .map(|p| p.number().to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                program_kind_label(&i.program_kind).to_owned(),
                fy,
                wareki,
                status,
                summary,
                kpis,
            ]
        };
        if i.entries.is_empty() {
            table.rows.push(base(
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ));
        }
        for e in &i.entries {
            let kpis = e
                .kpis
                .iter()
                .map(|k| format!("{} {}{}", k.label, k.value.display(), k.unit))
                .collect::<Vec<_>>()
                .join(" / ");
            table.rows.push(base(
                e.fy.year().to_string(),
                e.fy.wareki_label(),
                e.status.label().to_owned(),
                e.summary.clone(),
                kpis,
            ));
        }
    }
    table
}

async fn export(
    state: &AppState,
    raw: Option<String>,
    format: ExportFormat,
) -> Result<Response, WebError> {
    let directory = organisations::directory(&state.store).await?;
    let (_, filter, _) = parse_filter(&query_pairs(raw.as_deref()), &directory);
    let initiatives = catalogue::list(&state.store, &filter).await?;
    export_table(&initiatives).download(format, "initiatives", "施策一覧")
}

async fn export_csv(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    export(&state, raw, ExportFormat::Csv(csv)).await
}

async fn export_xlsx(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    export(&state, raw, ExportFormat::Xlsx).await
}

#[derive(Template, WebTemplate)]
#[template(path = "initiatives/detail.html")]
struct DetailPage {
    layout: Layout,
    key: String,
    title: String,
    organisation: String,
    organisation_key: String,
    pillars: Vec<String>,
    pillars_inferred: bool,
    kind: &'static str,
    partners: Vec<String>,
    description: String,
    entries: Vec<EntryView>,
    can_edit: bool,
    /// The library's documents of the initiative the viewer may read.
    documents: Vec<store::documents::Document>,
}

struct EntryView {
    fy: i32,
    label: String,
    status: &'static str,
    status_class: &'static str,
    summary: String,
    kpis: Vec<(String, String, String, String)>,
}

fn may_edit(viewer: &Viewer, initiative: &Initiative) -> bool {
    viewer
        .acting_user()
        .is_some_and(|u| u.actor().may_edit_catalogue_of(initiative.organisation.id))
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<DetailPage, WebError> {
    let initiative = catalogue::get(&state.store, &key).await?;
    let notice = view::notice(Some(query_pairs(raw.as_deref()).get("done")));
    let reader = viewer.user.as_ref().map(|u| u.actor());
    let documents = store::documents::for_initiative(&state.store, reader.as_ref(), &key).await?;
    Ok(DetailPage {
        documents,
        layout: Layout::for_viewer(initiative.title.clone(), &viewer).with_notice(notice),
        can_edit: may_edit(&viewer, &initiative),
        key: initiative.key.clone(),
        organisation: initiative.organisation.name.clone(),
        organisation_key: initiative.organisation.key.clone(),
        pillars: initiative.pillars.iter().map(|p| p.heading()).collect(),
        pillars_inferred: initiative.pillars_inferred,
        kind: program_kind_label(&initiative.program_kind),
        partners: initiative
            .partners
            .iter()
            .map(|p| format!("{}（{}）", p.name, p.kind_label()))
            .collect(),
        description: initiative.description.clone(),
        entries: initiative
            .entries
            .iter()
            .map(|e| EntryView {
                fy: e.fy.year(),
                label: e.fy.label(),
                status: e.status.label(),
                status_class: status_class(e.status),
                summary: e.summary.clone(),
                kpis: e
                    .kpis
                    .iter()
                    .map(|k| {
                        (
                            k.label.clone(),
                            k.value.display(),
                            k.unit.clone(),
                            k.note.clone(),
                        )
                    })
                    .collect(),
            })
            .collect(),
        title: initiative.title,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "initiatives/form.html")]
struct InitiativeForm {
    layout: Layout,
    action: String,
    cancel: String,
    organisations: Vec<(String, String)>,
    organisation: String,
    input: InitiativeInput,
    pillars: Vec<(u8, String, bool)>,
    kinds: Vec<(&'static str, &'static str)>,
    errors: Vec<String>,
}

/// Organisations this actor may create initiatives for.
pub(crate) fn own_organisations(directory: &Directory, actor: &Actor) -> Vec<(String, String)> {
    directory
        .organisations
        .iter()
        .filter(|o| actor.may_edit_catalogue_of(o.id))
        .map(|o| (o.key.clone(), o.name.clone()))
        .collect()
}

fn field_label(field: &str) -> String {
    let label = match field.split('.').next().unwrap_or(field) {
        "title" => "施策名",
        "description" => "概要",
        "pillars" | "pillar" => "柱",
        "program_kind" => "事業の種類",
        "organisation" => "団体",
        "fy" => "年度",
        "status" => "状況",
        "summary" => "内容",
        "kpis" => "KPI",
        other if other.starts_with("kpi[") => {
            let row = other.trim_start_matches("kpi[").trim_end_matches(']');
            let part = match field.rsplit('.').next() {
                Some("label") => "指標",
                Some("value") => "値",
                Some("unit") => "単位",
                _ => "備考",
            };
            return format!("KPI {row}行目の{part}");
        }
        _ => "入力",
    };
    label.to_owned()
}

/// Where an initiative form posts and whose initiative it is.
struct FormTarget {
    title: &'static str,
    action: String,
    cancel: String,
    organisation: String,
    /// Set when editing: the owner cannot be changed from the form.
    fixed: Option<(String, String)>,
}

impl FormTarget {
    fn create(organisation: String) -> FormTarget {
        FormTarget {
            title: "施策の登録",
            action: "/initiatives".into(),
            cancel: "/initiatives".into(),
            organisation,
            fixed: None,
        }
    }

    fn edit(initiative: &Initiative) -> FormTarget {
        let key = &initiative.key;
        FormTarget {
            title: "施策の編集",
            action: format!("/initiatives/{key}/edit"),
            cancel: format!("/initiatives/{key}"),
            organisation: initiative.organisation.key.clone(),
            fixed: Some((
                initiative.organisation.key.clone(),
                initiative.organisation.name.clone(),
            )),
        }
    }
}

fn initiative_form(
    viewer: &Viewer,
    directory: &Directory,
    target: FormTarget,
    input: InitiativeInput,
    errors: Vec<String>,
) -> Result<InitiativeForm, WebError> {
    let actor = viewer.actor()?;
    Ok(InitiativeForm {
        layout: Layout::for_viewer(target.title, viewer),
        action: target.action,
        cancel: target.cancel,
        organisations: match target.fixed {
            Some(fixed) => vec![fixed],
            None => own_organisations(directory, &actor),
        },
        organisation: target.organisation,
        pillars: Pillar::ALL
            .iter()
            .map(|p| {
                let checked = input.pillars.iter().any(|s| s == &p.number().to_string());
                (p.number(), p.heading(), checked)
            })
            .collect(),
        kinds: PROGRAM_KINDS.to_vec(),
        input,
        errors,
    })
}

fn input_from(form: &FormData) -> InitiativeInput {
    InitiativeInput {
        title: form.get("title").to_owned(),
        description: form.get("description").to_owned(),
        pillars: form.all("pillars"),
        program_kind: form.get("program_kind").to_owned(),
    }
}

async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<InitiativeForm, WebError> {
    let actor = viewer.actor()?;
    let directory = organisations::directory(&state.store).await?;
    // Only staff register for an organisation: a company member gets a refusal,
    // not a form it could never send.
    let Some(organisation) = own_organisations(&directory, &actor)
        .first()
        .map(|o| o.0.clone())
    else {
        return Err(StoreError::forbidden("施策の登録は団体の職員のみできます。").into());
    };
    initiative_form(
        &viewer,
        &directory,
        FormTarget::create(organisation),
        InitiativeInput {
            program_kind: "other".into(),
            ..Default::default()
        },
        Vec::new(),
    )
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = input_from(&form);
    let organisation = form.get("organisation").to_owned();
    let result = match InitiativeDraft::parse(&input) {
        Ok(draft) => catalogue::create(&state.store, &actor, &organisation, &draft).await,
        Err(errors) => Err(StoreError::Invalid(errors)),
    };
    match result {
        Ok(created) => {
            Ok(Redirect::to(&format!("/initiatives/{}?done=created", created.key)).into_response())
        }
        Err(error) => {
            let directory = organisations::directory(&state.store).await?;
            super::refill(error, field_label, |errors| {
                initiative_form(
                    &viewer,
                    &directory,
                    FormTarget::create(organisation),
                    input,
                    errors,
                )
            })
        }
    }
}

async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let initiative = editable_initiative(&state, &viewer, &key).await?;
    let directory = organisations::directory(&state.store).await?;
    let input = InitiativeInput {
        title: initiative.title.clone(),
        description: initiative.description.clone(),
        pillars: initiative
            .pillars
            .iter()
            .map(|p| p.number().to_string())
            .collect(),
        program_kind: initiative.program_kind.clone(),
    };
    let page = initiative_form(
        &viewer,
        &directory,
        FormTarget::edit(&initiative),
        input,
        Vec::new(),
    )?;
    Ok(page.into_response())
}

async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = input_from(&form);
    let result = match InitiativeDraft::parse(&input) {
        Ok(draft) => catalogue::update(&state.store, &actor, &key, &draft).await,
        Err(errors) => Err(StoreError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/initiatives/{key}?done=saved")).into_response()),
        Err(error) => {
            let initiative = catalogue::get(&state.store, &key).await?;
            let directory = organisations::directory(&state.store).await?;
            super::refill(error, field_label, |errors| {
                initiative_form(
                    &viewer,
                    &directory,
                    FormTarget::edit(&initiative),
                    input,
                    errors,
                )
            })
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "initiatives/delete.html")]
struct DeletePage {
    layout: Layout,
    key: String,
    title: String,
    organisation: String,
}

async fn delete_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<DeletePage, WebError> {
    let initiative = editable_initiative(&state, &viewer, &key).await?;
    Ok(DeletePage {
        layout: Layout::for_viewer("施策の削除", &viewer),
        key,
        title: initiative.title,
        organisation: initiative.organisation.name,
    })
}

async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Redirect, WebError> {
    let actor = viewer.actor()?;
    catalogue::delete(&state.store, &actor, &key).await?;
    Ok(Redirect::to("/initiatives?done=deleted"))
}

#[derive(Template, WebTemplate)]
#[template(path = "initiatives/entry_form.html")]
struct EntryForm {
    layout: Layout,
    key: String,
    initiative_title: String,
    action: String,
    input: EntryInput,
    years: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    errors: Vec<String>,
}

/// Blank KPI rows offered beneath the existing ones.
const BLANK_KPI_ROWS: usize = 3;

fn entry_form(
    viewer: &Viewer,
    initiative: &Initiative,
    title: &str,
    action: String,
    mut input: EntryInput,
    errors: Vec<String>,
) -> EntryForm {
    input
        .kpis
        .extend(std::iter::repeat_n(KpiInput::default(), BLANK_KPI_ROWS));
    EntryForm {
        layout: Layout::for_viewer(title, viewer),
        key: initiative.key.clone(),
        initiative_title: initiative.title.clone(),
        action,
        input,
        years: choices_of_years(),
        statuses: EntryStatus::ALL
            .iter()
            .map(|s| (s.code().to_owned(), s.label().to_owned()))
            .collect(),
        errors,
    }
}

fn entry_input_from(form: &FormData) -> EntryInput {
    let labels = form.all("kpi_label");
    let values = form.all("kpi_value");
    let units = form.all("kpi_unit");
    let notes = form.all("kpi_note");
    let rows = labels
        .len()
        .max(values.len())
        .max(units.len())
        .max(notes.len());
    let at = |list: &Vec<String>, i: usize| list.get(i).cloned().unwrap_or_default();
    EntryInput {
        fy: form.get("fy").to_owned(),
        status: form.get("status").to_owned(),
        summary: form.get("summary").to_owned(),
        kpis: (0..rows)
            .map(|i| KpiInput {
                label: at(&labels, i),
                value: at(&values, i),
                unit: at(&units, i),
                note: at(&notes, i),
            })
            .filter(|k| !domain::KpiDraft::is_blank(k))
            .collect(),
    }
}

async fn editable_initiative(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
) -> Result<Initiative, WebError> {
    let actor = viewer.actor()?;
    let initiative = catalogue::get(&state.store, key).await?;
    if !actor.may_edit_catalogue_of(initiative.organisation.id) {
        return Err(StoreError::forbidden(format!(
            "{}の施策は編集できません。",
            initiative.organisation.name
        ))
        .into());
    }
    Ok(initiative)
}

async fn new_entry_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<EntryForm, WebError> {
    let initiative = editable_initiative(&state, &viewer, &key).await?;
    let next_year = initiative
        .entries
        .last()
        .map(|e| e.fy.year() + 1)
        .unwrap_or(2017);
    let input = EntryInput {
        fy: next_year.to_string(),
        status: "planned".into(),
        ..Default::default()
    };
    Ok(entry_form(
        &viewer,
        &initiative,
        "年度の記録を追加",
        format!("/initiatives/{key}/years/new"),
        input,
        Vec::new(),
    ))
}

async fn save_entry_from_form(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    editing: Option<FiscalYear>,
    form: &FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = entry_input_from(form);
    let result = match EntryDraft::parse(&input) {
        Ok(draft) => catalogue::save_entry(&state.store, &actor, key, editing, &draft)
            .await
            .map(|_| draft.fy),
        Err(errors) => Err(StoreError::Invalid(errors)),
    };
    match result {
        Ok(fy) => Ok(
            Redirect::to(&format!("/initiatives/{key}?done=saved#fy-{}", fy.year()))
                .into_response(),
        ),
        Err(error) => {
            let initiative = catalogue::get(&state.store, key).await?;
            let (title, action) = match editing {
                Some(fy) => (
                    format!("{}の記録を編集", fy.label()),
                    format!("/initiatives/{key}/years/{}/edit", fy.year()),
                ),
                None => (
                    "年度の記録を追加".to_owned(),
                    format!("/initiatives/{key}/years/new"),
                ),
            };
            super::refill(error, field_label, |errors| {
                Ok(entry_form(
                    viewer,
                    &initiative,
                    &title,
                    action,
                    input,
                    errors,
                ))
            })
        }
    }
}

async fn create_entry(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    save_entry_from_form(&state, &viewer, &key, None, &form).await
}

fn fiscal_year_in_path(fy: &str) -> Result<FiscalYear, WebError> {
    FiscalYear::parse(fy).map_err(|e| {
        WebError::NotFound(format!("年度「{fy}」の記録は見つかりません。{}", e.reason))
    })
}

async fn edit_entry_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, fy)): Path<(String, String)>,
) -> Result<EntryForm, WebError> {
    let fy = fiscal_year_in_path(&fy)?;
    let initiative = editable_initiative(&state, &viewer, &key).await?;
    let entry = initiative
        .entry(fy)
        .ok_or_else(|| WebError::NotFound(format!("{}の記録", fy.label())))?;
    let input = EntryInput {
        fy: fy.year().to_string(),
        status: entry.status.code().to_owned(),
        summary: entry.summary.clone(),
        kpis: entry
            .kpis
            .iter()
            .map(|k| KpiInput {
                label: k.label.clone(),
                value: k.value.display().replace(',', ""),
                unit: k.unit.clone(),
                note: k.note.clone(),
            })
            .collect(),
    };
    Ok(entry_form(
        &viewer,
        &initiative,
        &format!("{}の記録を編集", fy.label()),
        format!("/initiatives/{key}/years/{}/edit", fy.year()),
        input,
        Vec::new(),
    ))
}

async fn update_entry(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, fy)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, WebError> {
    let fy = fiscal_year_in_path(&fy)?;
    save_entry_from_form(&state, &viewer, &key, Some(fy), &form).await
}

async fn delete_entry(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, fy)): Path<(String, String)>,
) -> Result<Redirect, WebError> {
    let fy = fiscal_year_in_path(&fy)?;
    let actor = viewer.actor()?;
    catalogue::delete_entry(&state.store, &actor, &key, fy).await?;
    Ok(Redirect::to(&format!("/initiatives/{key}?done=deleted")))
}
