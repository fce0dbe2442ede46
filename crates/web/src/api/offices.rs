//! `/api/v1/offices` and `/api/v1/facilities`: the share offices of each city with
//! their member companies and the approved visits per pair of cities (public), the
//! visits a signed-in member or staff may see, booking a visit and the host's
//! answer; and the cities' public facilities (拠点, share offices, labs). The same
//! store calls as `pages::offices` and `pages::people` (`/facilities`); who may
//! book and decide is decided in `store::offices`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use store::StoreError;
use store::offices::{self, CityPair, Office, Visit, VisitRequest};
use store::people::{self, Facility};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiJson, Problem};
use crate::AppState;
use crate::auth::Viewer;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_offices))
        .routes(routes!(office_pairs))
        .routes(routes!(list_visits, book_visit))
        .routes(routes!(decide_visit))
        .routes(routes!(list_facilities))
        .routes(routes!(update_facility))
        .routes(routes!(update_office))
        .routes(routes!(add_office_member))
        .routes(routes!(remove_office_member))
}

/// 加盟企業
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDto {
    pub key: String,
    pub name: String,
    /// デモデータ（架空の企業）であること
    pub demo: bool,
}

/// シェアオフィス
#[derive(Debug, Serialize, ToSchema)]
pub struct OfficeDto {
    pub key: String,
    pub name: String,
    /// 都市のキーと名称
    pub city: String,
    pub city_name: String,
    /// 所管団体の名称
    pub owner: String,
    pub address: String,
    pub description: String,
    /// 加盟企業（このオフィスから他都市のオフィスを利用できる企業）
    pub members: Vec<MemberDto>,
    /// デモデータ（架空のオフィス）であること
    pub demo: bool,
}

fn office_dto(o: &Office) -> OfficeDto {
    OfficeDto {
        key: o.key.clone(),
        name: o.name.clone(),
        city: o.city_key.clone(),
        city_name: o.city_name.clone(),
        owner: o.owner_name.clone(),
        address: o.address.clone(),
        description: o.description.clone(),
        members: o
            .members
            .iter()
            .map(|(key, name)| MemberDto {
                demo: o.demo_member_keys.contains(key),
                key: key.clone(),
                name: name.clone(),
            })
            .collect(),
        demo: o.demo,
    }
}

/// 各都市のシェアオフィスと加盟企業（誰でも閲覧可）
#[utoipa::path(
    get, path = "/api/v1/offices", tag = "offices",
    responses((status = 200, description = "シェアオフィスの一覧", body = Vec<OfficeDto>))
)]
async fn list_offices(State(state): State<AppState>) -> Result<Json<Vec<OfficeDto>>, ApiError> {
    let list = offices::list(&state.store).await?;
    Ok(Json(list.iter().map(office_dto).collect()))
}

/// 都市間の相互利用の実績（承認済みの利用）
#[derive(Debug, Serialize, ToSchema)]
pub struct CityPairDto {
    /// 利用した企業の都市
    pub from: String,
    /// 訪問先のオフィスの都市
    pub to: String,
    /// 承認済みの利用の件数と延べ日数
    pub visits: u64,
    pub days: i64,
    /// うちデモデータ（架空の企業の利用）の件数。協議会の実績（KPI）には数えません
    pub demo_visits: u64,
}

fn pair_dto(p: &CityPair) -> CityPairDto {
    CityPairDto {
        from: p.from.clone(),
        to: p.to.clone(),
        visits: p.visits,
        days: p.days,
        demo_visits: p.demo,
    }
}

/// 都市の組ごとの相互利用の実績（誰でも閲覧可）
#[utoipa::path(
    get, path = "/api/v1/offices/pairs", tag = "offices",
    responses((status = 200, description = "利用元と訪問先の都市の組ごとの件数と日数", body = Vec<CityPairDto>))
)]
async fn office_pairs(State(state): State<AppState>) -> Result<Json<Vec<CityPairDto>>, ApiError> {
    let pairs = offices::city_pairs(&state.store).await?;
    Ok(Json(pairs.iter().map(pair_dto).collect()))
}

/// 利用の申込
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitDto {
    pub id: i64,
    /// 訪問先のオフィス（キーと名称）
    pub office: String,
    pub office_name: String,
    /// 申込企業の所属オフィス
    pub home_office: String,
    pub company_key: String,
    pub company_name: String,
    /// 利用開始日（YYYY-MM-DD）と日数
    pub visit_on: String,
    pub days: i32,
    pub purpose: String,
    /// requested | approved | declined
    pub status: String,
    /// 状態の日本語名（承認待ち・承認済み・お断り）
    pub status_label: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    /// 承認・お断りの理由
    pub decision_note: String,
    /// 閲覧者がこの申込に回答できること
    pub may_decide: bool,
    /// デモデータ（架空の企業の申込）であること
    pub demo: bool,
}

fn visit_dto(v: &Visit) -> VisitDto {
    VisitDto {
        id: v.id,
        office: v.office_key.clone(),
        office_name: v.office.clone(),
        home_office: v.home_office.clone(),
        company_key: v.company_key.clone(),
        company_name: v.company_name.clone(),
        visit_on: v.visit_on.clone(),
        days: v.days,
        purpose: v.purpose.clone(),
        status: v.status.code().to_owned(),
        status_label: v.status.label().to_owned(),
        decided_by: v.decided_by.clone(),
        decided_at: v.decided_at.map(|t| t.to_rfc3339()),
        decision_note: v.decision_note.clone(),
        may_decide: v.may_decide,
        demo: v.demo,
    }
}

/// 閲覧者が見られる利用の申込（企業は自社の申込、職員は所管するオフィスへの・からの申込。新しい順）
#[utoipa::path(
    get, path = "/api/v1/offices/visits", tag = "offices",
    responses((status = 200, description = "利用の申込の一覧（新しい順）", body = Vec<VisitDto>),
              (status = 401, description = "ログインが必要です", body = Problem, content_type = "application/problem+json"))
)]
async fn list_visits(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Vec<VisitDto>>, ApiError> {
    let actor = viewer.actor()?;
    let list = offices::visits(&state.store, &actor).await?;
    Ok(Json(list.iter().map(visit_dto).collect()))
}

/// 利用の申込の内容
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct VisitBody {
    /// 訪問先のオフィスのキー
    #[serde(default)]
    pub office: String,
    /// 申し込む企業のキー（加盟企業。企業の担当者は自社）
    #[serde(default)]
    pub company: String,
    /// 利用開始日（YYYY-MM-DD）
    #[serde(default)]
    pub visit_on: String,
    /// 利用日数（1〜）
    #[serde(default)]
    pub days: String,
    #[serde(default)]
    pub purpose: String,
}

/// 他都市のシェアオフィスの利用を申し込む（加盟企業の担当者、またはその都市の職員）
#[utoipa::path(
    post, path = "/api/v1/offices/visits", tag = "offices", request_body = VisitBody,
    responses((status = 201, description = "申し込みました（訪問先の承認待ち）", body = VisitDto),
              (status = 403, description = "この企業の利用は申し込めません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "オフィス・利用日・日数・目的の誤り", body = Problem, content_type = "application/problem+json"))
)]
async fn book_visit(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<VisitBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let request = VisitRequest {
        office: body.office,
        company: body.company,
        visit_on: domain::forms::answers::parse_date(&body.visit_on),
        days: body.days,
        purpose: body.purpose,
    };
    let visit = offices::book(&state.store, &actor, &request).await?;
    Ok((StatusCode::CREATED, Json(visit_dto(&visit))).into_response())
}

/// 申込への回答
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DecisionBody {
    /// approve（承認）| decline（お断り）
    #[serde(default)]
    pub decision: String,
    /// 理由（お断りのときは必須）
    #[serde(default)]
    pub note: String,
}

/// 利用の申込に回答する（訪問先のオフィスを所管する団体の職員）
#[utoipa::path(
    post, path = "/api/v1/offices/visits/{id}/decision", tag = "offices", request_body = DecisionBody,
    params(("id" = String, Path, description = "申込の番号")),
    responses((status = 200, description = "回答の後の申込", body = VisitDto),
              (status = 403, description = "訪問先を所管する団体の職員ではありません", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "その申込はありません", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "回答済みの申込です", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "decision・理由の誤り", body = Problem, content_type = "application/problem+json"))
)]
async fn decide_visit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<VisitDto>, ApiError> {
    let actor = viewer.actor()?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError(StoreError::not_found("予約").into()))?;
    offices::decide(&state.store, &actor, id, &body.decision, &body.note).await?;
    let visit = offices::visits(&state.store, &actor)
        .await?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or_else(|| StoreError::not_found("予約"))?;
    Ok(Json(visit_dto(&visit)))
}

/// 拠点・シェアオフィス・試作開発拠点
#[derive(Debug, Serialize, ToSchema)]
pub struct FacilityDto {
    pub key: String,
    /// share_office | lab | incubator | base
    pub kind: String,
    /// 種類の日本語名
    pub kind_label: String,
    pub name: String,
    /// 都市のキーと名称
    pub city: String,
    pub city_name: String,
    /// 所管団体のキーと名称
    pub organisation: String,
    pub organisation_name: String,
    pub address: String,
    pub description: String,
    /// 定員（わかる場合）
    pub capacity: Option<i32>,
}

fn facility_dto(f: &Facility) -> FacilityDto {
    FacilityDto {
        key: f.key.clone(),
        kind: f.kind.clone(),
        kind_label: f.kind_label().to_owned(),
        name: f.name.clone(),
        city: f.city.key.clone(),
        city_name: f.city.name.clone(),
        organisation: f.owner.key.clone(),
        organisation_name: f.owner.name.clone(),
        address: f.address.clone(),
        description: f.description.clone(),
        capacity: f.capacity,
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FacilityParams {
    /// 都市のキー（kawaguchi など）または全国地方公共団体コード。省略時はすべての都市
    #[serde(default)]
    pub city: Option<String>,
}

/// 各都市の公開された拠点・シェアオフィス（誰でも閲覧可）
#[utoipa::path(
    get, path = "/api/v1/facilities", tag = "offices",
    params(FacilityParams),
    responses((status = 200, description = "拠点の一覧（都市の順）", body = Vec<FacilityDto>),
              (status = 422, description = "city の値が誤っています", body = Problem, content_type = "application/problem+json"))
)]
async fn list_facilities(
    State(state): State<AppState>,
    Query(params): Query<FacilityParams>,
) -> Result<Json<Vec<FacilityDto>>, ApiError> {
    // A city by its key or its 全国地方公共団体コード, as the other reads take it;
    // anything else goes to the store as typed, which names the mistake.
    let typed = params
        .city
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let directory = store::organisations::directory(&state.store).await?;
    let city = typed.map(|value| {
        directory
            .cities
            .iter()
            .find(|c| c.key == value || c.local_gov_code == value)
            .map_or_else(|| value.to_owned(), |c| c.key.clone())
    });
    let list = people::facilities(&state.store, city.as_deref()).await?;
    Ok(Json(list.iter().map(facility_dto).collect()))
}

// ---------------------------------------------------------------- keeping them

/// 施設の情報（所管団体の職員・協議会事務局が編集）
#[derive(Debug, Deserialize, ToSchema)]
pub struct FacilityBody {
    pub name: String,
    /// share_office | lab | incubator | base
    pub kind: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub description: String,
    /// 定員（定めがなければ省略）
    pub capacity: Option<u32>,
    /// 一覧に公開する
    #[serde(default = "yes")]
    pub public: bool,
}

fn yes() -> bool {
    true
}

/// 施設の情報の変更（所管団体の職員・協議会事務局。変更は監査ログに記録）
#[utoipa::path(
    put, path = "/api/v1/facilities/{key}", tag = "offices", request_body = FacilityBody,
    params(("key" = String, Path, description = "施設のキー")),
    responses((status = 200, body = FacilityDto),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "他の団体の施設", body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn update_facility(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<FacilityBody>,
) -> Result<Json<FacilityDto>, ApiError> {
    let actor = viewer.actor()?;
    let draft = domain::directory::FacilityDraft::parse(&domain::directory::FacilityInput {
        name: body.name,
        kind: body.kind,
        address: body.address,
        description: body.description,
        capacity: body.capacity.map(|c| c.to_string()).unwrap_or_default(),
        public: body.public,
    })
    .map_err(StoreError::Invalid)?;
    let updated = people::update_facility(&state.store, &actor, &key, &draft).await?;
    Ok(Json(facility_dto(&updated)))
}

/// シェアオフィスの情報（所管団体の職員・協議会事務局が編集）
#[derive(Debug, Deserialize, ToSchema)]
pub struct OfficeBody {
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub description: String,
}

/// シェアオフィスの情報の変更（所管団体の職員・協議会事務局。監査ログに記録）
#[utoipa::path(
    put, path = "/api/v1/offices/{key}", tag = "offices", request_body = OfficeBody,
    params(("key" = String, Path, description = "オフィスのキー")),
    responses((status = 200, body = OfficeDto),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "他の団体のオフィス", body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn update_office(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<OfficeBody>,
) -> Result<Json<OfficeDto>, ApiError> {
    let actor = viewer.actor()?;
    let draft = domain::directory::OfficeDraft::parse(&domain::directory::OfficeInput {
        name: body.name,
        address: body.address,
        description: body.description,
    })
    .map_err(StoreError::Invalid)?;
    let updated = offices::update(&state.store, &actor, &key, &draft).await?;
    Ok(Json(office_dto(&updated)))
}

/// 入居企業の追加
#[derive(Debug, Deserialize, ToSchema)]
pub struct MemberBody {
    /// 企業のキー（amagasaki-02 など）または企業名
    pub company: String,
}

/// シェアオフィスに入居企業を追加（所管団体の職員・協議会事務局。1社は1つのオフィスにのみ入居）
#[utoipa::path(
    post, path = "/api/v1/offices/{key}/members", tag = "offices", request_body = MemberBody,
    params(("key" = String, Path, description = "オフィスのキー")),
    responses((status = 201, body = OfficeDto),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "既に入居している企業", body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn add_office_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<MemberBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let updated = offices::add_member(&state.store, &actor, &key, &body.company).await?;
    Ok((StatusCode::CREATED, Json(office_dto(&updated))).into_response())
}

/// シェアオフィスの入居企業から外す（所管団体の職員・協議会事務局）
#[utoipa::path(
    delete, path = "/api/v1/offices/{key}/members/{company}", tag = "offices",
    params(("key" = String, Path, description = "オフィスのキー"),
           ("company" = String, Path, description = "企業のキー")),
    responses((status = 200, body = OfficeDto),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn remove_office_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, company)): Path<(String, String)>,
) -> Result<Json<OfficeDto>, ApiError> {
    let actor = viewer.actor()?;
    let updated = offices::remove_member(&state.store, &actor, &key, &company).await?;
    Ok(Json(office_dto(&updated)))
}
