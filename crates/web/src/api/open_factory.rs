//! `/api/v1/events/{key}/sites` and tour slots (オープンファクトリー): the same store
//! calls as the pages in `pages::open_factory` and `pages::registrations`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::events::{RegistrationDraft, RegistrationInput};
use domain::open_factory::{SiteDraft, SiteInput};
use serde::{Deserialize, Serialize};
use store::StoreError;
use store::open_factory::{self, Site, Sites};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::events::{RegistrationBody, RegistrationDto, RegistrationReceipt};
use super::{ApiError, ApiJson, Problem};
use crate::AppState;
use crate::auth::Viewer;
use domain::time::japan_today;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_event_sites, add_event_site))
        .routes(routes!(feed_open_factory_kpis))
        .routes(routes!(register_for_tour))
        .routes(routes!(list_site_visitors))
        .routes(routes!(mark_site_visit))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TourSlotDto {
    pub id: i64,
    /// 開始（日本時間 YYYY-MM-DDTHH:MM）
    pub starts_at: String,
    pub ends_at: String,
    /// 「11月24日(金) 10:00〜11:00」
    pub label: String,
    pub capacity: u32,
    /// 参加確定の人数
    pub confirmed: u32,
    /// キャンセル待ちの人数
    pub waiting: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventSiteDto {
    pub id: i64,
    /// 企業名簿のキー
    pub company: String,
    pub company_name: String,
    /// 工場見学・体験など
    pub programme: String,
    pub description: String,
    pub address: String,
    /// この会場の来場申込（参加確定）の人数
    pub visitors: u32,
    pub waiting: u32,
    pub tours: Vec<TourSlotDto>,
}

impl From<&Site> for EventSiteDto {
    fn from(site: &Site) -> Self {
        EventSiteDto {
            id: site.id,
            company: site.company_key.clone(),
            company_name: site.company_name.clone(),
            programme: site.programme.clone(),
            description: site.description.clone(),
            address: site.address.clone(),
            visitors: site.visitors(),
            waiting: site.waiting(),
            tours: site
                .tours
                .iter()
                .map(|t| TourSlotDto {
                    id: t.id,
                    starts_at: t.starts.format("%Y-%m-%dT%H:%M").to_string(),
                    ends_at: t.ends.format("%Y-%m-%dT%H:%M").to_string(),
                    label: t.label.clone(),
                    capacity: t.capacity,
                    confirmed: t.occupancy.confirmed,
                    waiting: t.occupancy.waiting,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventSitesDto {
    pub event: String,
    /// 会場数
    pub sites_count: usize,
    /// 全会場の来場申込（参加確定）の合計
    pub visitors: u32,
    pub waiting: u32,
    pub sites: Vec<EventSiteDto>,
}

impl From<&Sites> for EventSitesDto {
    fn from(all: &Sites) -> Self {
        EventSitesDto {
            event: all.event.key.clone(),
            sites_count: all.sites.len(),
            visitors: all.visitors(),
            waiting: all.waiting(),
            sites: all.sites.iter().map(EventSiteDto::from).collect(),
        }
    }
}

/// 複数会場のイベント（オープンファクトリー）の会場・見学枠と、会場別・合計の来場申込数（個人情報なし）
#[utoipa::path(
    get, path = "/api/v1/events/{key}/sites", tag = "events",
    params(("key" = String, Path, description = "イベントキー")),
    responses((status = 200, body = EventSitesDto), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn list_event_sites(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Json<EventSitesDto>, ApiError> {
    let all = open_factory::sites(&state.store, viewer.acting().as_ref(), &key).await?;
    Ok(Json(EventSitesDto::from(&all)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TourSlotBody {
    /// 開始（日本時間 YYYY-MM-DDTHH:MM、イベントの開催日）
    pub starts_at: String,
    /// 終了（同じ日の時刻）
    pub ends_at: String,
    /// 定員（1〜500）
    pub capacity: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EventSiteBody {
    /// 会場となる企業（企業名簿のキー。公開している企業のみ）
    #[serde(default)]
    pub company: String,
    /// 工場見学・体験など
    #[serde(default)]
    pub programme: String,
    #[serde(default)]
    pub description: String,
    /// 空なら企業名簿の住所
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub tours: Vec<TourSlotBody>,
}

/// A slot as the form's line (`2017-11-24 10:00-11:00 15`), so the API and the page
/// are checked by the same rule; a slot that ends on another day is refused there.
fn tour_line(tour: &TourSlotBody) -> String {
    let (day, from) = tour
        .starts_at
        .split_once('T')
        .unwrap_or((&tour.starts_at, ""));
    let to = match tour.ends_at.split_once('T') {
        Some((end_day, to)) if end_day == day => to,
        _ => "",
    };
    format!("{day} {from}-{to} {}", tour.capacity)
}

/// 会場（工場）と見学枠の追加（主催団体の職員・協議会事務局）
#[utoipa::path(
    post, path = "/api/v1/events/{key}/sites", tag = "events", request_body = EventSiteBody,
    params(("key" = String, Path, description = "イベントキー")),
    responses((status = 201, body = EventSiteDto), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn add_event_site(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<EventSiteBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let event = open_factory::organised(&state.store, &actor, &key).await?;
    let input = SiteInput {
        company: body.company,
        programme: body.programme,
        description: body.description,
        address: body.address,
        tours: body
            .tours
            .iter()
            .map(tour_line)
            .collect::<Vec<_>>()
            .join("\n"),
    };
    let draft = SiteDraft::parse(&input, event.time.first_day(), event.time.last_day())
        .map_err(StoreError::Invalid)?;
    let site = open_factory::add_site(&state.store, &actor, &key, &draft).await?;
    Ok((StatusCode::CREATED, Json(EventSiteDto::from(&site))).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenFactoryFedDto {
    /// 反映した施策
    pub initiative: String,
    /// 年度（西暦の開始年）
    pub fiscal_year: i32,
}

/// 会場数・来場申込数・受付済みの来場者数を関連施策のその年度のKPIに反映（施策を管理する職員）
#[utoipa::path(
    post, path = "/api/v1/events/{key}/sites/kpis", tag = "events",
    params(("key" = String, Path, description = "イベントキー")),
    responses((status = 200, body = OpenFactoryFedDto), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"))
)]
async fn feed_open_factory_kpis(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Json<OpenFactoryFedDto>, ApiError> {
    let actor = viewer.actor()?;
    let (initiative, fy) = open_factory::feed_kpis(&state.store, &actor, &key).await?;
    Ok(Json(OpenFactoryFedDto {
        initiative,
        fiscal_year: fy.year(),
    }))
}

/// 見学枠への来場申込（枠の定員を超えるとキャンセル待ち。複数の会場に申し込めます）
#[utoipa::path(
    post, path = "/api/v1/events/{key}/tours/{id}/registrations", tag = "events", request_body = RegistrationBody,
    params(("key" = String, Path, description = "イベントキー"), ("id" = i64, Path, description = "見学枠のID")),
    responses((status = 201, body = RegistrationReceipt),
              (status = 403, description = "no CSRF token (X-CSRF-Token from GET /api/v1/session)", body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn register_for_tour(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, i64)>,
    ApiJson(body): ApiJson<RegistrationBody>,
) -> Result<Response, ApiError> {
    let draft = RegistrationDraft::parse(&RegistrationInput {
        name: body.name,
        organisation: body.organisation,
        email: body.email,
        attendees: body.attendees.map(|n| n.to_string()).unwrap_or_default(),
    })
    .map_err(StoreError::Invalid)?;
    let actor = viewer.acting();
    let created = store::registrations::register_for_tour(
        &state.store,
        actor.as_ref(),
        &key,
        id,
        &draft,
        japan_today(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(RegistrationReceipt {
            status: created.status.code().to_owned(),
            confirmation_url: format!("/registrations/{}", created.token),
        }),
    )
        .into_response())
}

/// 会場の来場者名簿（会場の企業会員・主催団体の職員・協議会事務局。個人情報を含みます）
#[utoipa::path(
    get, path = "/api/v1/events/{key}/sites/{id}/visitors", tag = "events",
    params(("key" = String, Path, description = "イベントキー"), ("id" = i64, Path, description = "会場のID")),
    responses((status = 200, body = Vec<RegistrationDto>), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn list_site_visitors(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, i64)>,
) -> Result<Json<Vec<RegistrationDto>>, ApiError> {
    let actor = viewer.actor()?;
    let (_, _, list) = open_factory::visitors(&state.store, &actor, &key, id).await?;
    Ok(Json(list.into_iter().map(RegistrationDto::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SiteVisitBody {
    /// 受付済みにする（false で取消）
    pub attended: bool,
}

/// 来場者の受付（会場の企業会員・主催団体の職員・協議会事務局。参加確定の申込のみ）
#[utoipa::path(
    put, path = "/api/v1/events/{key}/sites/{id}/visitors/{number}/attendance", tag = "events", request_body = SiteVisitBody,
    params(("key" = String, Path, description = "イベントキー"), ("id" = i64, Path, description = "会場のID"),
           ("number" = i64, Path, description = "申込のID")),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"))
)]
async fn mark_site_visit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id, registration)): Path<(String, i64, i64)>,
    ApiJson(body): ApiJson<SiteVisitBody>,
) -> Result<StatusCode, ApiError> {
    let actor = viewer.actor()?;
    open_factory::mark_visit(&state.store, &actor, &key, id, registration, body.attended).await?;
    Ok(StatusCode::NO_CONTENT)
}
