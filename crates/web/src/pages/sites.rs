//! Districts and industrial sites: each city's public register (districts with their
//! rules and designation, sites with area, zoning, sale or rent, incentives and a link
//! to the 地理院地図), the forms its staff keep it with, a company's enquiry about a
//! site, and the enquiries' pipeline (受付 → 回答 → 見学 → 成約/見送り) with its
//! exports and the KPI feed.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::FiscalYear;
use domain::places::{
    DistrictDraft, DistrictInput, DistrictKind, EnquiryStage, SiteDraft, SiteInput, Tenure,
};
use store::sites::{self, District, Enquiry, Site};

use super::query_pairs;
use crate::auth::Viewer;
use crate::export::{CsvRequest, ExportFormat, Table};
use crate::form::FormData;
use crate::view::{self, Layout};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sites", get(index).post(create_site))
        .route("/sites.csv", get(sites_csv))
        .route("/sites.xlsx", get(sites_xlsx))
        .route("/sites/new", get(new_site))
        .route("/sites/{key}", get(detail))
        .route("/sites/{key}/edit", get(edit_site).post(update_site))
        .route("/sites/{key}/enquiries", post(enquire))
        .route("/districts", post(create_district))
        .route("/districts/new", get(new_district))
        .route(
            "/districts/{key}/edit",
            get(edit_district).post(update_district),
        )
        .route("/enquiries", get(enquiries))
        .route("/enquiries.csv", get(enquiries_csv))
        .route("/enquiries.xlsx", get(enquiries_xlsx))
        .route("/enquiries/feed", post(feed))
        .route("/enquiries/{key}", get(enquiry))
        .route("/enquiries/{key}/steps", post(advance))
}

fn label(field: &str) -> &'static str {
    match field {
        "organisation" => "団体",
        "name" => "名称",
        "kind" => "種類",
        "rules" => "規制の概要",
        "designated_on" => "指定日",
        "designated_fy" => "指定年度",
        "documents_url" => "資料のリンク",
        "address" => "所在地",
        "area_m2" => "面積",
        "zoning" => "用途地域",
        "tenure" => "売却・賃貸",
        "price_note" => "価格・賃料",
        "incentives" => "優遇策",
        "district" => "地区",
        "lat" | "lon" => "位置（緯度・経度）",
        "message" => "問合せ内容",
        "stage" => "経過",
        "on_date" => "日付",
        "note" => "内容",
        "fy" => "年度",
        _ => "入力",
    }
}

/// Company members and individuals keep no register: refused before what they sent.
fn refuse_unless_staff(actor: &domain::Actor, what: &str) -> Result<(), WebError> {
    if actor.role.keeps_records() {
        Ok(())
    } else {
        Err(store::StoreError::forbidden(format!(
            "{what}を登録できるのは市区・商工会議所の職員と協議会事務局です。"
        ))
        .into())
    }
}

fn viewer_actor(viewer: &Viewer) -> Option<domain::Actor> {
    viewer.user.as_ref().map(|u| u.actor())
}

// ---------------------------------------------------------------- the register

/// A district of the register, and whether the viewer may edit it.
struct DistrictRow {
    d: District,
    editable: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "sites/index.html")]
struct IndexPage {
    layout: Layout,
    city: String,
    cities: Vec<(String, String)>,
    districts: Vec<DistrictRow>,
    sites: Vec<Site>,
    may_add: bool,
    query: String,
}

async fn index(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<IndexPage, WebError> {
    let query = query_pairs(raw.as_deref());
    let city = query.get("city").to_owned();
    let register = sites::register(&state.store, Some(&city)).await?;
    let directory = store::organisations::directory(&state.store).await?;
    let actor = viewer_actor(&viewer);
    let notice = match query.get("done") {
        "created" => Some("登録しました。".to_owned()),
        other => view::notice(Some(other)),
    };
    Ok(IndexPage {
        layout: Layout::for_viewer("地区・工場用地", &viewer).with_notice(notice),
        may_add: actor.as_ref().is_some_and(|a| a.role.keeps_records()),
        districts: register
            .districts
            .into_iter()
            .map(|d| DistrictRow {
                editable: actor
                    .as_ref()
                    .is_some_and(|a| a.may_edit_catalogue_of(d.owner.id)),
                d,
            })
            .collect(),
        sites: register.sites,
        query: if city.is_empty() {
            String::new()
        } else {
            format!(
                "?city={}",
                form_urlencoded::byte_serialize(city.as_bytes()).collect::<String>()
            )
        },
        cities: directory
            .cities
            .iter()
            .map(|c| (c.key.clone(), c.name.clone()))
            .collect(),
        city,
    })
}

fn sites_table(all: &[Site]) -> Table {
    let mut table = Table::new(&[
        "用地ID",
        "名称",
        "都市",
        "担当団体",
        "所在地",
        "面積（㎡）",
        "用途地域",
        "売却・賃貸",
        "価格・賃料",
        "優遇策",
        "地区",
        "緯度",
        "経度",
        "地理院地図",
        "募集",
        "デモ",
    ])
    .codes(&["用地ID"])
    .numbers(&["面積（㎡）", "緯度", "経度"]);
    for s in all {
        table.rows.push(vec![
            s.key.clone(),
            s.name.clone(),
            s.city_name.clone(),
            s.owner.name.clone(),
            s.address.clone(),
            s.area_m2.to_string(),
            s.zoning.clone(),
            s.tenure.label().to_owned(),
            s.price_note.clone(),
            s.incentives.clone(),
            s.district.as_ref().map(|d| d.1.clone()).unwrap_or_default(),
            s.position.map(|p| p.lat.to_string()).unwrap_or_default(),
            s.position.map(|p| p.lon.to_string()).unwrap_or_default(),
            s.position.map(|p| p.gsi_map_url()).unwrap_or_default(),
            if s.closed { "終了" } else { "募集中" }.to_owned(),
            crate::export::demo_cell(s.demo),
        ]);
    }
    table
}

async fn sites_export(
    state: &AppState,
    raw: Option<String>,
    format: ExportFormat,
) -> Result<Response, WebError> {
    let query = query_pairs(raw.as_deref());
    let register = sites::register(&state.store, Some(query.get("city"))).await?;
    sites_table(&register.sites).download(format, "industrial-sites", "工場用地")
}

async fn sites_csv(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    sites_export(&state, raw, ExportFormat::Csv(csv)).await
}

async fn sites_xlsx(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    sites_export(&state, raw, ExportFormat::Xlsx).await
}

#[derive(Template, WebTemplate)]
#[template(path = "sites/detail.html")]
struct DetailPage {
    layout: Layout,
    site: Site,
    may_edit: bool,
    may_enquire: bool,
    typed: String,
    errors: Vec<String>,
}

async fn detail_page(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    typed: String,
    errors: Vec<String>,
    notice: Option<String>,
) -> Result<DetailPage, WebError> {
    let site = sites::site(&state.store, key).await?;
    let actor = viewer_actor(viewer);
    Ok(DetailPage {
        layout: Layout::for_viewer(site.name.clone(), viewer).with_notice(notice),
        may_edit: site.kept_by(actor.as_ref()),
        may_enquire: actor
            .as_ref()
            .is_some_and(|a| a.role == domain::Role::Company && a.company_id.is_some()),
        site,
        typed,
        errors,
    })
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<DetailPage, WebError> {
    let notice = match query_pairs(raw.as_deref()).get("done") {
        "sent" => Some("問合せを送りました。担当の職員から回答があります。".to_owned()),
        other => view::notice(Some(other)),
    };
    detail_page(&state, &viewer, &key, String::new(), Vec::new(), notice).await
}

async fn enquire(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    match sites::enquire(&state.store, &actor, &key, form.get("message")).await {
        Ok(enquiry) => Ok(Redirect::to(&format!("/enquiries/{enquiry}?done=sent")).into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, label)?;
            let page = detail_page(
                &state,
                &viewer,
                &key,
                form.get("message").to_owned(),
                errors,
                None,
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

// ---------------------------------------------------------------- site form

#[derive(Template, WebTemplate)]
#[template(path = "sites/form.html")]
struct SiteForm {
    layout: Layout,
    action: String,
    cancel: String,
    organisations: Vec<(String, String)>,
    typed: FormData,
    tenures: Vec<(&'static str, &'static str)>,
    districts: Vec<(String, String)>,
    errors: Vec<String>,
}

async fn site_form(
    state: &AppState,
    viewer: &Viewer,
    action: String,
    cancel: String,
    typed: FormData,
    errors: Vec<String>,
) -> Result<SiteForm, WebError> {
    let actor = viewer.actor()?;
    let directory = store::organisations::directory(&state.store).await?;
    let register = sites::register(&state.store, None).await?;
    Ok(SiteForm {
        layout: Layout::for_viewer(
            if action == "/sites" {
                "工場用地を登録".to_owned()
            } else {
                "工場用地を編集".to_owned()
            },
            viewer,
        ),
        organisations: super::initiatives::own_organisations(&directory, &actor)
            .into_iter()
            .filter(|(key, _)| {
                directory
                    .organisation_by_key(key)
                    .is_some_and(|o| o.city.is_some())
            })
            .collect(),
        districts: register
            .districts
            .iter()
            .filter(|d| actor.may_edit_catalogue_of(d.owner.id))
            .map(|d| (d.key.clone(), format!("{}（{}）", d.name, d.city_name)))
            .collect(),
        tenures: Tenure::ALL.iter().map(|t| (t.code(), t.label())).collect(),
        action,
        cancel,
        typed,
        errors,
    })
}

fn site_input(form: &FormData) -> SiteInput {
    SiteInput {
        name: form.get("name").to_owned(),
        address: form.get("address").to_owned(),
        area_m2: form.get("area_m2").to_owned(),
        zoning: form.get("zoning").to_owned(),
        tenure: form.get("tenure").to_owned(),
        price_note: form.get("price_note").to_owned(),
        incentives: form.get("incentives").to_owned(),
        district: form.get("district").to_owned(),
        lat: form.get("lat").to_owned(),
        lon: form.get("lon").to_owned(),
        closed: form.get("closed") == "1",
    }
}

async fn new_site(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    if !actor.role.keeps_records() {
        return Err(store::StoreError::forbidden(
            "工場用地を登録できるのは市区・商工会議所の職員と協議会事務局です。",
        )
        .into());
    }
    let form = site_form(
        &state,
        &viewer,
        "/sites".into(),
        "/sites".into(),
        FormData::default(),
        Vec::new(),
    )
    .await?;
    Ok(form.into_response())
}

async fn create_site(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    refuse_unless_staff(&actor, "工場用地")?;
    let result = match SiteDraft::parse(&site_input(&form)) {
        Ok(draft) => {
            sites::create_site(&state.store, &actor, form.get("organisation"), &draft).await
        }
        Err(errors) => Err(errors.into()),
    };
    match result {
        Ok(key) => Ok(Redirect::to(&format!("/sites/{key}?done=created")).into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, label)?;
            let page = site_form(
                &state,
                &viewer,
                "/sites".into(),
                "/sites".into(),
                form,
                errors,
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

fn typed_from_site(site: &Site) -> FormData {
    FormData(vec![
        ("organisation".into(), site.owner.key.clone()),
        ("name".into(), site.name.clone()),
        ("address".into(), site.address.clone()),
        ("area_m2".into(), site.area_m2.to_string()),
        ("zoning".into(), site.zoning.clone()),
        ("tenure".into(), site.tenure.code().into()),
        ("price_note".into(), site.price_note.clone()),
        ("incentives".into(), site.incentives.clone()),
        (
            "district".into(),
            site.district
                .as_ref()
                .map(|d| d.0.clone())
                .unwrap_or_default(),
        ),
        (
            "lat".into(),
            site.position.map(|p| p.lat.to_string()).unwrap_or_default(),
        ),
        (
            "lon".into(),
            site.position.map(|p| p.lon.to_string()).unwrap_or_default(),
        ),
        ("closed".into(), if site.closed { "1" } else { "" }.into()),
    ])
}

async fn edit_site(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let site = sites::site(&state.store, &key).await?;
    if !site.kept_by(Some(&actor)) {
        return Err(store::StoreError::forbidden(format!(
            "「{}」は{}の用地のため編集できません。",
            site.name, site.owner.name
        ))
        .into());
    }
    let path = format!("/sites/{key}");
    let form = site_form(
        &state,
        &viewer,
        format!("{path}/edit"),
        path,
        typed_from_site(&site),
        Vec::new(),
    )
    .await?;
    Ok(form.into_response())
}

async fn update_site(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    // Who may change it is decided before what was typed.
    let before = sites::site(&state.store, &key).await?;
    if !before.kept_by(Some(&actor)) {
        return Err(store::StoreError::forbidden(format!(
            "「{}」は{}の用地のため編集できません。",
            before.name, before.owner.name
        ))
        .into());
    }
    let result = match SiteDraft::parse(&site_input(&form)) {
        Ok(draft) => sites::update_site(&state.store, &actor, &key, &draft).await,
        Err(errors) => Err(errors.into()),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/sites/{key}?done=saved")).into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, label)?;
            let path = format!("/sites/{key}");
            let page =
                site_form(&state, &viewer, format!("{path}/edit"), path, form, errors).await?;
            Ok((status, page).into_response())
        }
    }
}

// ---------------------------------------------------------------- district form

#[derive(Template, WebTemplate)]
#[template(path = "sites/district_form.html")]
struct DistrictForm {
    layout: Layout,
    action: String,
    organisations: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    typed: FormData,
    errors: Vec<String>,
}

async fn district_form(
    state: &AppState,
    viewer: &Viewer,
    action: String,
    typed: FormData,
    errors: Vec<String>,
) -> Result<DistrictForm, WebError> {
    let actor = viewer.actor()?;
    let directory = store::organisations::directory(&state.store).await?;
    Ok(DistrictForm {
        layout: Layout::for_viewer(
            if action == "/districts" {
                "地区を登録"
            } else {
                "地区を編集"
            },
            viewer,
        ),
        organisations: super::initiatives::own_organisations(&directory, &actor)
            .into_iter()
            .filter(|(key, _)| {
                directory
                    .organisation_by_key(key)
                    .is_some_and(|o| o.city.is_some())
            })
            .collect(),
        kinds: DistrictKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        action,
        typed,
        errors,
    })
}

fn district_input(form: &FormData) -> DistrictInput {
    DistrictInput {
        name: form.get("name").to_owned(),
        kind: form.get("kind").to_owned(),
        rules: form.get("rules").to_owned(),
        designated_on: form.get("designated_on").to_owned(),
        designated_fy: form.get("designated_fy").to_owned(),
        documents_url: form.get("documents_url").to_owned(),
    }
}

async fn new_district(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    if !actor.role.keeps_records() {
        return Err(store::StoreError::forbidden(
            "地区を登録できるのは市区・商工会議所の職員と協議会事務局です。",
        )
        .into());
    }
    Ok(district_form(
        &state,
        &viewer,
        "/districts".into(),
        FormData::default(),
        Vec::new(),
    )
    .await?
    .into_response())
}

async fn create_district(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    refuse_unless_staff(&actor, "地区")?;
    let result = match DistrictDraft::parse(&district_input(&form)) {
        Ok(draft) => {
            sites::create_district(&state.store, &actor, form.get("organisation"), &draft).await
        }
        Err(errors) => Err(errors.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/sites?done=created").into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, label)?;
            let page = district_form(&state, &viewer, "/districts".into(), form, errors).await?;
            Ok((status, page).into_response())
        }
    }
}

fn typed_from_district(d: &District) -> FormData {
    FormData(vec![
        ("organisation".into(), d.owner.key.clone()),
        ("name".into(), d.name.clone()),
        ("kind".into(), d.kind.code().into()),
        ("rules".into(), d.rules.clone()),
        (
            "designated_on".into(),
            d.designated_on.map(|d| d.to_string()).unwrap_or_default(),
        ),
        (
            "designated_fy".into(),
            d.designated_fy.map(|y| y.to_string()).unwrap_or_default(),
        ),
        ("documents_url".into(), d.documents_url.clone()),
    ])
}

async fn edit_district(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let d = sites::district(&state.store, &key).await?;
    if !actor.may_edit_catalogue_of(d.owner.id) {
        return Err(store::StoreError::forbidden(format!(
            "「{}」は{}の地区のため編集できません。",
            d.name, d.owner.name
        ))
        .into());
    }
    Ok(district_form(
        &state,
        &viewer,
        format!("/districts/{key}/edit"),
        typed_from_district(&d),
        Vec::new(),
    )
    .await?
    .into_response())
}

async fn update_district(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let before = sites::district(&state.store, &key).await?;
    if !actor.may_edit_catalogue_of(before.owner.id) {
        return Err(store::StoreError::forbidden(format!(
            "「{}」は{}の地区のため編集できません。",
            before.name, before.owner.name
        ))
        .into());
    }
    let result = match DistrictDraft::parse(&district_input(&form)) {
        Ok(draft) => sites::update_district(&state.store, &actor, &key, &draft).await,
        Err(errors) => Err(errors.into()),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/sites?done=saved").into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, label)?;
            let page = district_form(
                &state,
                &viewer,
                format!("/districts/{key}/edit"),
                form,
                errors,
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

// ---------------------------------------------------------------- enquiries

#[derive(Template, WebTemplate)]
#[template(path = "sites/enquiries.html")]
struct EnquiriesPage {
    layout: Layout,
    enquiries: Vec<Enquiry>,
    initiatives: Vec<(String, String)>,
    years: Vec<(String, String)>,
    errors: Vec<String>,
    chosen: String,
}

async fn enquiries_page(
    state: &AppState,
    viewer: &Viewer,
    errors: Vec<String>,
    chosen: &str,
) -> Result<EnquiriesPage, WebError> {
    let actor = viewer.actor()?;
    let list = sites::enquiries(&state.store, &actor).await?;
    let initiatives = if actor.role.keeps_records() {
        let mut all: Vec<_> = store::catalogue::list(&state.store, &Default::default())
            .await?
            .into_iter()
            .filter(|i| actor.may_edit_catalogue_of(i.organisation.id))
            .collect();
        all.sort_by_key(|i| !matches!(i.program_kind.as_str(), "incentive" | "district"));
        all.into_iter()
            .map(|i| (i.key, format!("{}：{}", i.organisation.name, i.title)))
            .collect()
    } else {
        Vec::new()
    };
    Ok(EnquiriesPage {
        layout: Layout::for_viewer("用地の問合せ", viewer),
        enquiries: list,
        initiatives,
        years: view::fiscal_year_choices(&[])
            .into_iter()
            .map(|y| (y.year().to_string(), y.label()))
            .collect(),
        errors,
        chosen: chosen.to_owned(),
    })
}

async fn enquiries(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<EnquiriesPage, WebError> {
    enquiries_page(&state, &viewer, Vec::new(), "").await
}

fn enquiries_table(all: &[Enquiry]) -> Table {
    let mut table = Table::new(&[
        "問合せID",
        "用地",
        "担当団体",
        "企業",
        "企業の都市",
        "経過",
        "受付日",
        "更新日",
        "問合せ内容",
        "デモ",
    ])
    .codes(&["問合せID"])
    .dates(&["受付日", "更新日"]);
    for e in all {
        table.rows.push(vec![
            e.key.clone(),
            e.site_name.clone(),
            e.site_owner.name.clone(),
            e.company_name.clone(),
            e.company_city.clone(),
            e.stage.label().to_owned(),
            e.started_on.to_string(),
            e.updated_on.to_string(),
            e.message.clone(),
            crate::export::demo_cell(e.demo),
        ]);
    }
    table
}

async fn enquiries_export(
    state: &AppState,
    viewer: &Viewer,
    format: ExportFormat,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    if !actor.role.keeps_records() {
        return Err(store::StoreError::forbidden(
            "問合せの一覧の書き出しは職員・協議会事務局のみが行えます。",
        )
        .into());
    }
    let list = sites::enquiries(&state.store, &actor).await?;
    enquiries_table(&list).download(format, "site-enquiries", "用地の問合せ")
}

async fn enquiries_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    enquiries_export(&state, &viewer, ExportFormat::Csv(csv)).await
}

async fn enquiries_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    enquiries_export(&state, &viewer, ExportFormat::Xlsx).await
}

#[derive(Template, WebTemplate)]
#[template(path = "sites/enquiry.html")]
struct EnquiryPage {
    layout: Layout,
    e: Enquiry,
    may_answer: bool,
    next: Vec<(&'static str, &'static str)>,
    typed: FormData,
    errors: Vec<String>,
}

async fn enquiry_page(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    typed: FormData,
    errors: Vec<String>,
    notice: Option<String>,
) -> Result<EnquiryPage, WebError> {
    let actor = viewer.actor()?;
    let e = sites::enquiry(&state.store, &actor, key).await?;
    Ok(EnquiryPage {
        layout: Layout::for_viewer(format!("問合せ：{}", e.site_name), viewer).with_notice(notice),
        may_answer: e.answerable_by(Some(&actor)),
        next: e
            .stage
            .next()
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        e,
        typed,
        errors,
    })
}

async fn enquiry(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<EnquiryPage, WebError> {
    let notice = match query_pairs(raw.as_deref()).get("done") {
        "sent" => Some("問合せを送りました。担当の職員から回答があります。".to_owned()),
        "recorded" => Some("経過を記録し、問合せた企業にお知らせしました。".to_owned()),
        _ => None,
    };
    enquiry_page(
        &state,
        &viewer,
        &key,
        FormData::default(),
        Vec::new(),
        notice,
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
    let result = match (
        EnquiryStage::parse(form.get("stage")),
        domain::events::parse_date("on_date", form.get("on_date")),
    ) {
        (Some(stage), Ok(on_date)) => {
            sites::advance(&state.store, &actor, &key, stage, on_date, form.get("note"))
                .await
                .map(|_| ())
        }
        (stage, date) => {
            // Who may answer is decided before what was typed.
            sites::answerable(&state.store, &actor, &key).await?;
            let mut errors = Vec::new();
            if stage.is_none() {
                errors.push(domain::Invalid::new("stage", "経過を選んでください。"));
            }
            if let Err(wrong) = date {
                errors.push(wrong);
            }
            Err(store::StoreError::Invalid(errors))
        }
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/enquiries/{key}?done=recorded")).into_response()),
        // Staff who do not keep the site: the refusal itself (403), not the page they
        // may not see.
        Err(error @ store::StoreError::Forbidden { .. }) => Err(error.into()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, label)?;
            let page = enquiry_page(&state, &viewer, &key, form, errors, None).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn feed(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let result = match FiscalYear::parse(form.get("fy")) {
        Ok(fy) => sites::feed_kpis(&state.store, &actor, form.get("initiative"), fy)
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
            let page = enquiries_page(&state, &viewer, errors, form.get("initiative")).await?;
            Ok((status, page).into_response())
        }
    }
}
