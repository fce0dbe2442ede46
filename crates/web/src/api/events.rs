//! `/api/v1/events` and registrations, with their OpenAPI descriptions. The same
//! store calls as the pages: authorisation, validation and the audit log are there.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::events::{
    EventDraft, EventInput, RegistrationDraft, RegistrationInput, ResultDraft, ResultInput,
};
use serde::{Deserialize, Serialize};
use store::events::{self, Event};
use store::registrations::{self, Registration};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiJson, Problem};
use crate::auth::Viewer;
use crate::pages::events::parse_filter;
use crate::pages::query_pairs;
use crate::{AppState, WebError};
use domain::time::japan_today;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_events, create_event))
        .routes(routes!(get_event, update_event))
        .routes(routes!(cancel_event))
        .routes(routes!(record_results))
        .routes(routes!(list_registrations, register))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    pub key: String,
    pub title: String,
    /// exhibition | product_fair | seminar | study_session | liaison_meeting | job_fair | business_meeting | open_factory | class | award_ceremony | visit | exchange_meeting
    pub event_type: String,
    /// 種類の日本語名（例: 産品フェア）
    pub event_type_label: String,
    pub organisation: String,
    pub organisation_name: String,
    pub city: String,
    pub city_name: String,
    /// 全国地方公共団体コード
    pub local_gov_code: String,
    pub pillars: Vec<u8>,
    /// 開始（日本時間、ISO 8601 に +09:00）
    pub starts_at: String,
    /// 終了（日本時間）。終日の場合は最終日の 00:00
    pub ends_at: String,
    pub all_day: bool,
    /// 日付が推定であること（資料に日付の記載がない）
    pub date_is_approximate: bool,
    pub venue: String,
    pub address: String,
    pub initiative: Option<String>,
    pub description: String,
    pub note: String,
    pub members_only: bool,
    pub capacity: Option<u32>,
    /// scheduled（開催予定） | ended（終了：終了日時を過ぎた、または実績を記録した） | cancelled（中止）。日時と実績から導かれます
    pub status: String,
    /// 状態の日本語名（開催予定・終了・中止）
    pub status_label: String,
    /// 実績（主催団体が記録した場合）
    pub result: Option<EventResultDto>,
    /// 変更のたびに増える番号（iCalendar の SEQUENCE）
    pub sequence: i32,
    pub updated_at: String,
}

/// イベントの実績
#[derive(Debug, Serialize, ToSchema)]
pub struct EventResultDto {
    /// 参加者数（名）
    pub participants: u32,
    /// 参加企業数（社）
    pub companies: Option<u32>,
    pub note: String,
    pub recorded_at: String,
}

impl From<Event> for EventDto {
    fn from(e: Event) -> Self {
        let local = |t: chrono::NaiveDateTime| format!("{}+09:00", t.format("%Y-%m-%dT%H:%M:%S"));
        let state = e.state();
        EventDto {
            event_type: e.event_type.code().to_owned(),
            event_type_label: e.event_type.label().to_owned(),
            organisation: e.organisation.key,
            organisation_name: e.organisation.name,
            city: e.city.key,
            city_name: e.city.name,
            local_gov_code: e.city.local_gov_code,
            pillars: e.pillars.iter().map(|p| p.number()).collect(),
            starts_at: local(e.time.start),
            ends_at: local(e.time.end),
            all_day: e.time.all_day,
            date_is_approximate: e.date_is_approximate,
            initiative: e.initiative.map(|i| i.0),
            status: state.code().to_owned(),
            status_label: state.label().to_owned(),
            result: e.result.map(|r| EventResultDto {
                participants: r.participants,
                companies: r.companies,
                note: r.note,
                recorded_at: r.recorded_at.to_rfc3339(),
            }),
            key: e.key,
            title: e.title,
            venue: e.venue,
            address: e.address,
            description: e.description,
            note: e.note,
            members_only: e.members_only,
            capacity: e.capacity,
            sequence: e.sequence,
            updated_at: e.updated_at.to_rfc3339(),
        }
    }
}

/// イベントの一覧（開催日順。会員限定のイベントはログイン時のみ）
#[utoipa::path(
    get, path = "/api/v1/events", tag = "events",
    params(
        ("city" = Option<String>, Query, description = "都市キーまたは全国地方公共団体コード（例: ota, 282022）"),
        ("organisation" = Option<String>, Query, description = "主催団体キー"),
        ("type" = Option<String>, Query, description = "種類（seminar など。日本語名も可）"),
        ("pillar" = Option<u8>, Query, description = "柱（1〜3）"),
        ("from" = Option<String>, Query, description = "この日以降にかかるイベント（2016-10-01）"),
        ("to" = Option<String>, Query, description = "この日以前にかかるイベント（2016-10-31）"),
        ("q" = Option<String>, Query, description = "キーワード"),
    ),
    responses((status = 200, body = Vec<EventDto>), (status = 400, body = Problem, content_type = "application/problem+json"))
)]
async fn list_events(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<EventDto>>, ApiError> {
    let directory = store::organisations::directory(&state.store).await?;
    let (_, mut filter, errors) = parse_filter(&query_pairs(raw.as_deref()), &directory);
    if !errors.is_empty() {
        return Err(WebError::BadRequest(errors.join(" ")).into());
    }
    filter.include_members_only = viewer.acting_user().is_some();
    let found = events::list(&state.store, &filter).await?;
    Ok(Json(found.into_iter().map(EventDto::from).collect()))
}

/// イベントの詳細
#[utoipa::path(
    get, path = "/api/v1/events/{key}", tag = "events",
    params(("key" = String, Path, description = "イベントキー")),
    responses((status = 200, body = EventDto), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn get_event(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Json<EventDto>, ApiError> {
    Ok(Json(
        events::get(&state.store, &key, viewer.acting_user().is_some())
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EventBody {
    /// 主催団体キー（新規登録時のみ使用）
    #[serde(default)]
    pub organisation: String,
    pub title: String,
    /// 種類（seminar など）
    pub event_type: String,
    /// 開催都市キー
    pub city: String,
    pub pillars: Vec<u8>,
    /// 開始日（2030-10-15）
    pub start_date: String,
    /// 開始時刻（13:00。終日なら省略）
    #[serde(default)]
    pub start_time: String,
    /// 終了日（省略時は開始日）
    #[serde(default)]
    pub end_date: String,
    #[serde(default)]
    pub end_time: String,
    #[serde(default)]
    pub all_day: bool,
    #[serde(default)]
    pub date_is_approximate: bool,
    #[serde(default)]
    pub venue: String,
    #[serde(default)]
    pub address: String,
    /// 関連施策キー
    #[serde(default)]
    pub initiative: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub members_only: bool,
    pub capacity: Option<u32>,
    /// 実施済みの活動の記録（過去の日付。主催団体の職員・事務局のみ）
    #[serde(default)]
    pub past_record: bool,
}

fn draft_of(body: &EventBody) -> Result<EventDraft, ApiError> {
    let input = EventInput {
        title: body.title.clone(),
        event_type: body.event_type.clone(),
        city: body.city.clone(),
        pillars: body.pillars.iter().map(|p| p.to_string()).collect(),
        start_date: body.start_date.clone(),
        start_time: body.start_time.clone(),
        end_date: body.end_date.clone(),
        end_time: body.end_time.clone(),
        all_day: body.all_day,
        date_is_approximate: body.date_is_approximate,
        venue: body.venue.clone(),
        address: body.address.clone(),
        initiative: body.initiative.clone(),
        description: body.description.clone(),
        note: body.note.clone(),
        members_only: body.members_only,
        capacity: body.capacity.map(|c| c.to_string()).unwrap_or_default(),
        past_record: body.past_record,
    };
    EventDraft::parse(&input).map_err(|errors| store::StoreError::Invalid(errors).into())
}

/// イベントの登録（主催団体の職員・協議会事務局）
#[utoipa::path(
    post, path = "/api/v1/events", tag = "events", request_body = EventBody,
    responses((status = 201, body = EventDto), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn create_event(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<EventBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let draft = draft_of(&body)?;
    let created = events::create(
        &state.store,
        &actor,
        &body.organisation,
        &draft,
        japan_today(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(EventDto::from(created))).into_response())
}

/// イベントの変更（SEQUENCE が増えます）
#[utoipa::path(
    put, path = "/api/v1/events/{key}", tag = "events", request_body = EventBody,
    params(("key" = String, Path, description = "イベントキー")),
    responses((status = 200, body = EventDto), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn update_event(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<EventBody>,
) -> Result<Json<EventDto>, ApiError> {
    let actor = viewer.actor()?;
    let draft = draft_of(&body)?;
    Ok(Json(
        events::update(&state.store, &actor, &key, &draft)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CancelBody {
    /// 中止の理由（任意）
    #[serde(default)]
    pub reason: String,
}

/// イベントの中止（STATUS:CANCELLED としてフィードに残ります）
#[utoipa::path(
    post, path = "/api/v1/events/{key}/cancel", tag = "events", request_body = CancelBody,
    params(("key" = String, Path, description = "イベントキー")),
    responses((status = 200, body = EventDto), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
async fn cancel_event(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<CancelBody>,
) -> Result<Json<EventDto>, ApiError> {
    let actor = viewer.actor()?;
    Ok(Json(
        events::cancel(&state.store, &actor, &key, &body.reason)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResultBody {
    /// 参加者数（名）
    pub participants: u32,
    /// 参加企業数（社・任意）
    pub companies: Option<u32>,
    /// 実績の備考（1000文字以内）
    #[serde(default)]
    pub note: String,
}

/// イベントの実績の記録・修正（主催団体の職員・協議会事務局。開催後のみ）。関連施策があれば、その年度のKPI（開催回数・参加者数・参加企業数）に反映します
#[utoipa::path(
    put, path = "/api/v1/events/{key}/results", tag = "events", request_body = ResultBody,
    params(("key" = String, Path, description = "イベントキー")),
    responses((status = 200, body = EventDto), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn record_results(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<ResultBody>,
) -> Result<Json<EventDto>, ApiError> {
    let actor = viewer.actor()?;
    let draft = ResultDraft::parse(&ResultInput {
        participants: body.participants.to_string(),
        companies: body.companies.map(|c| c.to_string()).unwrap_or_default(),
        note: body.note,
    })
    .map_err(store::StoreError::Invalid)?;
    Ok(Json(
        events::record_result(&state.store, &actor, &key, &draft)
            .await?
            .event
            .into(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationDto {
    pub id: i64,
    pub name: String,
    pub organisation: String,
    pub email: String,
    pub attendees: u32,
    /// confirmed | waiting | cancelled
    pub status: String,
    pub attended: bool,
    pub created_at: String,
}

impl From<Registration> for RegistrationDto {
    fn from(r: Registration) -> Self {
        RegistrationDto {
            id: r.id,
            status: r.status.code().to_owned(),
            name: r.name,
            organisation: r.organisation,
            email: r.email,
            attendees: r.attendees,
            attended: r.attended,
            created_at: r.created_at.to_rfc3339(),
        }
    }
}

/// 申込者の一覧（主催団体の職員と協議会事務局のみ。個人情報を含みます）
#[utoipa::path(
    get, path = "/api/v1/events/{key}/registrations", tag = "events",
    params(("key" = String, Path, description = "イベントキー")),
    responses((status = 200, body = Vec<RegistrationDto>), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn list_registrations(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Json<Vec<RegistrationDto>>, ApiError> {
    let actor = viewer.actor()?;
    let (_, list) = registrations::list(&state.store, &actor, &key).await?;
    Ok(Json(list.into_iter().map(RegistrationDto::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegistrationBody {
    pub name: String,
    #[serde(default)]
    pub organisation: String,
    pub email: String,
    /// 参加人数（1〜20、省略時は1）
    pub attendees: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationReceipt {
    /// confirmed | waiting
    pub status: String,
    /// 申込者本人用の確認・取消ページ
    pub confirmation_url: String,
}

/// イベントへの参加申込（定員を超えるとキャンセル待ち）
#[utoipa::path(
    post, path = "/api/v1/events/{key}/registrations", tag = "events", request_body = RegistrationBody,
    params(("key" = String, Path, description = "イベントキー")),
    responses((status = 201, body = RegistrationReceipt),
              (status = 403, description = "no CSRF token (X-CSRF-Token from GET /api/v1/session)", body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn register(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<RegistrationBody>,
) -> Result<Response, ApiError> {
    let input = RegistrationInput {
        name: body.name,
        organisation: body.organisation,
        email: body.email,
        attendees: body.attendees.map(|n| n.to_string()).unwrap_or_default(),
    };
    let draft = RegistrationDraft::parse(&input).map_err(store::StoreError::Invalid)?;
    let actor = viewer.acting();
    let created =
        registrations::register(&state.store, actor.as_ref(), &key, &draft, japan_today()).await?;
    Ok((
        StatusCode::CREATED,
        Json(RegistrationReceipt {
            status: created.status.code().to_owned(),
            confirmation_url: format!("/registrations/{}", created.token),
        }),
    )
        .into_response())
}
