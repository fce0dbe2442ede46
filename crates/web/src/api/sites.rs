//! `/api/v1/districts`, `/api/v1/sites` and `/api/v1/site-enquiries`: each city's
//! register of districts and industrial sites (public), the changes its staff make,
//! a company's enquiry about a site and the staff's answers, and the enquiries'
//! figures written into an initiative's KPIs. The same store calls as
//! `pages::sites`; who may do what is decided in `store::sites`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::places::{DistrictDraft, DistrictInput, EnquiryStage, SiteDraft, SiteInput};
use serde::{Deserialize, Serialize};
use store::StoreError;
use store::sites::{self, District, Enquiry, Site};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiJson, Problem};
use crate::AppState;
use crate::auth::Viewer;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_districts, create_district))
        .routes(routes!(update_district))
        .routes(routes!(list_sites, create_site))
        .routes(routes!(get_site, update_site))
        .routes(routes!(enquire))
        .routes(routes!(list_enquiries))
        .routes(routes!(feed_enquiry_kpis))
        .routes(routes!(get_enquiry))
        .routes(routes!(advance_enquiry))
}

/// 都市の絞り込み
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct CityQuery {
    /// 都市のキー（例: higashiosaka）。省略するとすべての都市
    #[serde(default)]
    pub city: String,
}

/// 指定地区
#[derive(Debug, Serialize, ToSchema)]
pub struct DistrictDto {
    pub key: String,
    pub name: String,
    /// special_use（特別用途地区）| district_plan（地区計画）| other
    pub kind: String,
    pub kind_label: String,
    /// 規制の概要
    pub rules: String,
    /// 指定日（YYYY-MM-DD。記録がなければ null）と指定年度（西暦の開始年）
    pub designated_on: Option<String>,
    pub designated_fy: Option<i32>,
    /// 指定の表記（例: 平成28年度（日付は記録なし））
    pub designation: String,
    /// 資料のリンク
    pub documents_url: String,
    pub city: String,
    pub city_name: String,
    /// 担当団体のキー
    pub organisation: String,
    /// デモデータ（架空）であること
    pub demo: bool,
}

fn district_dto(d: &District) -> DistrictDto {
    DistrictDto {
        key: d.key.clone(),
        name: d.name.clone(),
        kind: d.kind.code().to_owned(),
        kind_label: d.kind.label().to_owned(),
        rules: d.rules.clone(),
        designated_on: d.designated_on.map(|d| d.to_string()),
        designated_fy: d.designated_fy,
        designation: d.designation(),
        documents_url: d.documents_url.clone(),
        city: d.city_key.clone(),
        city_name: d.city_name.clone(),
        organisation: d.owner.key.clone(),
        demo: d.demo,
    }
}

/// 工場用地
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteDto {
    pub key: String,
    pub name: String,
    pub address: String,
    /// 面積（㎡）
    pub area_m2: f64,
    /// 用途地域
    pub zoning: String,
    /// sale（売却）| rent（賃貸）| either（売却・賃貸）
    pub tenure: String,
    pub tenure_label: String,
    pub price_note: String,
    /// 適用される優遇策
    pub incentives: String,
    /// 地区のキー
    pub district: Option<String>,
    /// 緯度・経度（世界測地系）と地理院地図のリンク
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub map_url: Option<String>,
    /// 募集を終了していること
    pub closed: bool,
    pub city: String,
    pub city_name: String,
    /// 担当団体のキーと名称
    pub organisation: String,
    pub organisation_name: String,
    /// デモデータ（架空の用地）であること
    pub demo: bool,
}

fn site_dto(s: &Site) -> SiteDto {
    SiteDto {
        key: s.key.clone(),
        name: s.name.clone(),
        address: s.address.clone(),
        area_m2: s.area_m2,
        zoning: s.zoning.clone(),
        tenure: s.tenure.code().to_owned(),
        tenure_label: s.tenure.label().to_owned(),
        price_note: s.price_note.clone(),
        incentives: s.incentives.clone(),
        district: s.district.as_ref().map(|d| d.0.clone()),
        lat: s.position.map(|p| p.lat),
        lon: s.position.map(|p| p.lon),
        map_url: s.position.map(|p| p.gsi_map_url()),
        closed: s.closed,
        city: s.city_key.clone(),
        city_name: s.city_name.clone(),
        organisation: s.owner.key.clone(),
        organisation_name: s.owner.name.clone(),
        demo: s.demo,
    }
}

/// 各都市の指定地区（誰でも閲覧可）
#[utoipa::path(
    get, path = "/api/v1/districts", tag = "sites", params(CityQuery),
    responses((status = 200, description = "指定地区の一覧", body = Vec<DistrictDto>))
)]
async fn list_districts(
    State(state): State<AppState>,
    Query(query): Query<CityQuery>,
) -> Result<Json<Vec<DistrictDto>>, ApiError> {
    let register = sites::register(&state.store, Some(&query.city)).await?;
    Ok(Json(register.districts.iter().map(district_dto).collect()))
}

/// 地区の内容
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DistrictBody {
    /// 担当団体のキー（登録のみ。省略すると自団体）
    #[serde(default)]
    pub organisation: String,
    #[serde(default)]
    pub name: String,
    /// special_use | district_plan | other
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub rules: String,
    /// 指定日（YYYY-MM-DD、省略可）
    #[serde(default)]
    pub designated_on: String,
    /// 指定年度（2016 や 平成28年度、省略可）
    #[serde(default)]
    pub designated_fy: String,
    #[serde(default)]
    pub documents_url: String,
}

fn district_draft(body: &DistrictBody) -> Result<DistrictDraft, StoreError> {
    DistrictDraft::parse(&DistrictInput {
        name: body.name.clone(),
        kind: body.kind.clone(),
        rules: body.rules.clone(),
        designated_on: body.designated_on.clone(),
        designated_fy: body.designated_fy.clone(),
        documents_url: body.documents_url.clone(),
    })
    .map_err(StoreError::Invalid)
}

/// 地区を登録する（その都市の団体の職員・協議会事務局）
#[utoipa::path(
    post, path = "/api/v1/districts", tag = "sites", request_body = DistrictBody,
    responses((status = 201, description = "登録した地区", body = DistrictDto),
              (status = 403, description = "その団体の地区は登録できません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "名称・種類・日付などの誤り", body = Problem, content_type = "application/problem+json"))
)]
async fn create_district(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<DistrictBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    if !actor.role.keeps_records() {
        return Err(StoreError::forbidden(
            "地区を登録できるのは市区・商工会議所の職員と協議会事務局です。",
        )
        .into());
    }
    let draft = district_draft(&body)?;
    let key = sites::create_district(&state.store, &actor, &body.organisation, &draft).await?;
    let created = sites::district(&state.store, &key).await?;
    Ok((StatusCode::CREATED, Json(district_dto(&created))).into_response())
}

/// 地区を変更する（担当団体の職員・協議会事務局）
#[utoipa::path(
    put, path = "/api/v1/districts/{key}", tag = "sites", request_body = DistrictBody,
    params(("key" = String, Path, description = "地区のキー")),
    responses((status = 200, description = "変更後の地区", body = DistrictDto),
              (status = 403, description = "担当団体の職員ではありません", body = Problem, content_type = "application/problem+json"))
)]
async fn update_district(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<DistrictBody>,
) -> Result<Json<DistrictDto>, ApiError> {
    let actor = viewer.actor()?;
    // Who may change it is checked before what was sent.
    let before = sites::district(&state.store, &key).await?;
    if !actor.may_edit_catalogue_of(before.owner.id) {
        return Err(StoreError::forbidden(format!(
            "「{}」は{}の地区のため編集できません。",
            before.name, before.owner.name
        ))
        .into());
    }
    let draft = district_draft(&body)?;
    sites::update_district(&state.store, &actor, &key, &draft).await?;
    Ok(Json(district_dto(
        &sites::district(&state.store, &key).await?,
    )))
}

/// 各都市の工場用地（誰でも閲覧可）
#[utoipa::path(
    get, path = "/api/v1/sites", tag = "sites", params(CityQuery),
    responses((status = 200, description = "工場用地の一覧", body = Vec<SiteDto>))
)]
async fn list_sites(
    State(state): State<AppState>,
    Query(query): Query<CityQuery>,
) -> Result<Json<Vec<SiteDto>>, ApiError> {
    let register = sites::register(&state.store, Some(&query.city)).await?;
    Ok(Json(register.sites.iter().map(site_dto).collect()))
}

/// 工場用地の内容
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SiteBody {
    /// 担当団体のキー（登録のみ。省略すると自団体）
    #[serde(default)]
    pub organisation: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
    /// 面積（㎡、例: "1250.5"）
    #[serde(default)]
    pub area_m2: String,
    #[serde(default)]
    pub zoning: String,
    /// sale | rent | either
    #[serde(default)]
    pub tenure: String,
    #[serde(default)]
    pub price_note: String,
    #[serde(default)]
    pub incentives: String,
    /// 地区のキー（同じ都市の地区）
    #[serde(default)]
    pub district: String,
    /// 緯度・経度（日本国内。例: "34.6717", "135.5878"）
    #[serde(default)]
    pub lat: String,
    #[serde(default)]
    pub lon: String,
    /// 募集を終了した
    #[serde(default)]
    pub closed: bool,
}

fn site_draft(body: &SiteBody) -> Result<SiteDraft, StoreError> {
    SiteDraft::parse(&SiteInput {
        name: body.name.clone(),
        address: body.address.clone(),
        area_m2: body.area_m2.clone(),
        zoning: body.zoning.clone(),
        tenure: body.tenure.clone(),
        price_note: body.price_note.clone(),
        incentives: body.incentives.clone(),
        district: body.district.clone(),
        lat: body.lat.clone(),
        lon: body.lon.clone(),
        closed: body.closed,
    })
    .map_err(StoreError::Invalid)
}

/// 工場用地を登録する（その都市の団体の職員・協議会事務局。日本国外の位置は受け付けません）
#[utoipa::path(
    post, path = "/api/v1/sites", tag = "sites", request_body = SiteBody,
    responses((status = 201, description = "登録した用地", body = SiteDto),
              (status = 403, description = "その団体の用地は登録できません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "面積・売却賃貸・位置などの誤り", body = Problem, content_type = "application/problem+json"))
)]
async fn create_site(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<SiteBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    if !actor.role.keeps_records() {
        return Err(StoreError::forbidden(
            "工場用地を登録できるのは市区・商工会議所の職員と協議会事務局です。",
        )
        .into());
    }
    let draft = site_draft(&body)?;
    let key = sites::create_site(&state.store, &actor, &body.organisation, &draft).await?;
    let created = sites::site(&state.store, &key).await?;
    Ok((StatusCode::CREATED, Json(site_dto(&created))).into_response())
}

/// 工場用地の内容（誰でも閲覧可）
#[utoipa::path(
    get, path = "/api/v1/sites/{key}", tag = "sites",
    params(("key" = String, Path, description = "用地のキー")),
    responses((status = 200, description = "用地", body = SiteDto))
)]
async fn get_site(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<SiteDto>, ApiError> {
    Ok(Json(site_dto(&sites::site(&state.store, &key).await?)))
}

/// 工場用地を変更する（担当団体の職員・協議会事務局）
#[utoipa::path(
    put, path = "/api/v1/sites/{key}", tag = "sites", request_body = SiteBody,
    params(("key" = String, Path, description = "用地のキー")),
    responses((status = 200, description = "変更後の用地", body = SiteDto),
              (status = 403, description = "担当団体の職員ではありません", body = Problem, content_type = "application/problem+json"))
)]
async fn update_site(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<SiteBody>,
) -> Result<Json<SiteDto>, ApiError> {
    let actor = viewer.actor()?;
    let before = sites::site(&state.store, &key).await?;
    if !before.kept_by(Some(&actor)) {
        return Err(StoreError::forbidden(format!(
            "「{}」は{}の用地のため編集できません。",
            before.name, before.owner.name
        ))
        .into());
    }
    let draft = site_draft(&body)?;
    sites::update_site(&state.store, &actor, &key, &draft).await?;
    Ok(Json(site_dto(&sites::site(&state.store, &key).await?)))
}

/// 問合せの経過の1件
#[derive(Debug, Serialize, ToSchema)]
pub struct EnquiryStepDto {
    /// received | answered | visit | contracted | declined
    pub stage: String,
    pub stage_label: String,
    pub on_date: String,
    pub note: String,
}

/// 用地の問合せ
#[derive(Debug, Serialize, ToSchema)]
pub struct EnquiryDto {
    pub key: String,
    pub site: String,
    pub site_name: String,
    /// 用地の担当団体のキー
    pub organisation: String,
    pub company: String,
    pub company_name: String,
    pub message: String,
    /// received（受付）| answered（回答）| visit（見学）| contracted（成約）| declined（見送り）
    pub stage: String,
    pub stage_label: String,
    pub started_on: String,
    pub updated_on: String,
    pub steps: Vec<EnquiryStepDto>,
    /// デモデータ（架空の用地・企業）であること。KPIには数えません
    pub demo: bool,
}

fn enquiry_dto(e: &Enquiry) -> EnquiryDto {
    EnquiryDto {
        key: e.key.clone(),
        site: e.site_key.clone(),
        site_name: e.site_name.clone(),
        organisation: e.site_owner.key.clone(),
        company: e.company_key.clone(),
        company_name: e.company_name.clone(),
        message: e.message.clone(),
        stage: e.stage.code().to_owned(),
        stage_label: e.stage.label().to_owned(),
        started_on: e.started_on.to_string(),
        updated_on: e.updated_on.to_string(),
        steps: e
            .steps
            .iter()
            .map(|s| EnquiryStepDto {
                stage: s.stage.code().to_owned(),
                stage_label: s.stage.label().to_owned(),
                on_date: s.on_date.to_string(),
                note: s.note.clone(),
            })
            .collect(),
        demo: e.demo,
    }
}

/// 問合せの内容
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct EnquiryBody {
    /// 問合せ内容（希望の時期、見学の希望など）
    #[serde(default)]
    pub message: String,
}

/// 用地について問い合わせる（企業会員。担当団体の職員にお知らせが届きます）
#[utoipa::path(
    post, path = "/api/v1/sites/{key}/enquiries", tag = "sites", request_body = EnquiryBody,
    params(("key" = String, Path, description = "用地のキー")),
    responses((status = 201, description = "受け付けた問合せ", body = EnquiryDto),
              (status = 403, description = "企業会員のアカウントではありません", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "募集を終了した用地です", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "問合せ内容がありません", body = Problem, content_type = "application/problem+json"))
)]
async fn enquire(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<EnquiryBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let created = sites::enquire(&state.store, &actor, &key, &body.message).await?;
    let enquiry = sites::enquiry(&state.store, &actor, &created).await?;
    Ok((StatusCode::CREATED, Json(enquiry_dto(&enquiry))).into_response())
}

/// 閲覧者が見られる問合せ（職員は自団体の用地への、企業は自社の問合せ。事務局はすべて）
#[utoipa::path(
    get, path = "/api/v1/site-enquiries", tag = "sites",
    responses((status = 200, description = "問合せの一覧（更新の新しい順）", body = Vec<EnquiryDto>),
              (status = 401, description = "ログインが必要です", body = Problem, content_type = "application/problem+json"))
)]
async fn list_enquiries(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Vec<EnquiryDto>>, ApiError> {
    let actor = viewer.actor()?;
    let list = sites::enquiries(&state.store, &actor).await?;
    Ok(Json(list.iter().map(enquiry_dto).collect()))
}

/// 問合せ1件
#[utoipa::path(
    get, path = "/api/v1/site-enquiries/{key}", tag = "sites",
    params(("key" = String, Path, description = "問合せのキー")),
    responses((status = 200, description = "問合せと経過", body = EnquiryDto),
              (status = 401, description = "ログインが必要", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "その問合せの担当・当事者でない", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "問合せがない、または閲覧できない", body = Problem, content_type = "application/problem+json"))
)]
async fn get_enquiry(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Json<EnquiryDto>, ApiError> {
    let actor = viewer.actor()?;
    Ok(Json(enquiry_dto(
        &sites::enquiry(&state.store, &actor, &key).await?,
    )))
}

/// 経過の記録
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct EnquiryStepBody {
    /// answered | visit | contracted | declined
    #[serde(default)]
    pub stage: String,
    /// 日付（YYYY-MM-DD）
    #[serde(default)]
    pub on_date: String,
    /// 内容（回答では必須。企業へお知らせします）
    #[serde(default)]
    pub note: String,
}

/// 問合せに回答し、経過を記録する（用地の担当団体の職員・協議会事務局のみ。問合せた企業にお知らせが届きます）
#[utoipa::path(
    post, path = "/api/v1/site-enquiries/{key}/steps", tag = "sites", request_body = EnquiryStepBody,
    params(("key" = String, Path, description = "問合せのキー")),
    responses((status = 200, description = "記録後の問合せ", body = EnquiryDto),
              (status = 403, description = "用地の担当団体の職員ではありません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "経過・日付・内容の誤り", body = Problem, content_type = "application/problem+json"))
)]
async fn advance_enquiry(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<EnquiryStepBody>,
) -> Result<Json<EnquiryDto>, ApiError> {
    let actor = viewer.actor()?;
    let stage = EnquiryStage::parse(&body.stage);
    let on_date = domain::events::parse_date("on_date", &body.on_date);
    let (Some(stage), Ok(on_date)) = (stage, on_date.clone()) else {
        // Who may answer is decided before what was sent.
        sites::answerable(&state.store, &actor, &key).await?;
        let mut errors = Vec::new();
        if stage.is_none() {
            errors.push(domain::Invalid::new("stage", "経過を選んでください。"));
        }
        if let Err(wrong) = on_date {
            errors.push(wrong);
        }
        return Err(StoreError::Invalid(errors).into());
    };
    let after = sites::advance(&state.store, &actor, &key, stage, on_date, &body.note).await?;
    Ok(Json(enquiry_dto(&after)))
}

/// 担当団体の用地への問合せの実績（問合せ・見学・成約の件数）を施策のKPIに反映する（その団体の施策を編集できる職員・事務局のみ。デモデータは数えず、その年度の問合せがデモだけなら反映しません）
#[utoipa::path(
    post, path = "/api/v1/site-enquiries/kpis", tag = "sites",
    request_body = super::diagnostics::KpiFeedBody,
    responses((status = 200, description = "反映した件数", body = super::diagnostics::FedKpisDto),
              (status = 403, description = "その施策を編集できません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "年度の誤り、またはその年度の問合せがデモデータだけです", body = Problem, content_type = "application/problem+json"))
)]
async fn feed_enquiry_kpis(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<super::diagnostics::KpiFeedBody>,
) -> Result<Json<super::diagnostics::FedKpisDto>, ApiError> {
    let actor = viewer.actor()?;
    let fy = super::diagnostics::feed_year(&body.fy)?;
    let f = sites::feed_kpis(&state.store, &actor, &body.initiative, fy).await?;
    Ok(Json(super::diagnostics::fed_kpis_dto(
        &body.initiative,
        fy,
        sites::KPI_LABELS
            .iter()
            .zip([f.enquiries, f.visits, f.contracts])
            .map(|(label, value)| (*label, value, "件")),
    )))
}
