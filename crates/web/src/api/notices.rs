//! `/api/v1/notices` and `/api/v1/me/notification-preferences`: the signed-in
//! person's お知らせ (unread first; mark one or all read) and their choice of which
//! programmes' non-essential notices also come by mail — the same store calls as
//! `/notices` and `/account/notifications`.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use store::StoreError;
use store::notices::{self, Programme};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiJson, Problem};
use crate::AppState;
use crate::auth::Viewer;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notices))
        .routes(routes!(mark_all_read))
        .routes(routes!(mark_read))
        .routes(routes!(get_preferences, put_preferences))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeDto {
    pub id: i64,
    /// events | fairs | applications | negotiations | diagnostics | network | surveys | signups | account
    pub programme: String,
    /// 分野の日本語名
    pub programme_label: String,
    pub title: String,
    /// 何があり、何をすればよいか
    pub body: String,
    /// プラットフォーム内のパス（例 `/fairs/...`）
    pub link: String,
    /// 手続きに関わる重要なお知らせ（設定にかかわらずメールでも送信）
    pub essential: bool,
    pub read: bool,
    pub created_at: String,
    pub read_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoticesDto {
    /// 未読の件数
    pub unread: u64,
    /// 未読が先、その中は新しい順に最大200件
    pub notices: Vec<NoticeDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadDto {
    /// 未読の件数
    pub unread: u64,
}

/// 自分のお知らせ（未読が先）
#[utoipa::path(
    get, path = "/api/v1/notices", tag = "notices",
    responses((status = 200, body = NoticesDto),
              (status = 401, body = Problem, content_type = "application/problem+json"))
)]
async fn list_notices(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<NoticesDto>, ApiError> {
    let actor = viewer.actor()?;
    let found = notices::list(&state.store, &actor).await?;
    Ok(Json(NoticesDto {
        unread: notices::unread(&state.store, &actor).await?,
        notices: found
            .into_iter()
            .map(|n| NoticeDto {
                id: n.id,
                programme: n.programme.code().to_owned(),
                programme_label: n.programme.label().to_owned(),
                read: n.is_read(),
                title: n.title,
                body: n.body,
                link: n.link,
                essential: n.essential,
                created_at: n.created_at.to_rfc3339(),
                read_at: n.read_at.map(|at| at.to_rfc3339()),
            })
            .collect(),
    }))
}

/// お知らせを1件既読にする（他人のお知らせは 404）
#[utoipa::path(
    post, path = "/api/v1/notices/{id}/read", tag = "notices",
    params(("id" = i64, Path, description = "お知らせのID")),
    responses((status = 200, body = UnreadDto),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn mark_read(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Json<UnreadDto>, ApiError> {
    let actor = viewer.actor()?;
    notices::mark_read(&state.store, &actor, id).await?;
    Ok(Json(UnreadDto {
        unread: notices::unread(&state.store, &actor).await?,
    }))
}

/// お知らせをすべて既読にする
#[utoipa::path(
    post, path = "/api/v1/notices/read", tag = "notices",
    responses((status = 200, body = UnreadDto),
              (status = 401, body = Problem, content_type = "application/problem+json"))
)]
async fn mark_all_read(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<UnreadDto>, ApiError> {
    let actor = viewer.actor()?;
    notices::mark_all_read(&state.store, &actor).await?;
    Ok(Json(UnreadDto { unread: 0 }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PreferenceDto {
    /// events | fairs | applications | negotiations | diagnostics | network | surveys | signups
    pub programme: String,
    /// 分野の日本語名（読み取りのみ）
    #[serde(default, skip_deserializing)]
    pub label: String,
    /// 重要でないお知らせもメールで受け取る
    pub by_mail: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PreferencesDto {
    /// 分野ごとの設定。PUT では変更する分野だけを送れます。
    pub preferences: Vec<PreferenceDto>,
}

fn preferences_dto(found: Vec<(Programme, bool)>) -> PreferencesDto {
    PreferencesDto {
        preferences: found
            .into_iter()
            .map(|(p, by_mail)| PreferenceDto {
                programme: p.code().to_owned(),
                label: p.label().to_owned(),
                by_mail,
            })
            .collect(),
    }
}

/// 自分の通知設定（分野ごとに、重要でないお知らせをメールでも受け取るか）
#[utoipa::path(
    get, path = "/api/v1/me/notification-preferences", tag = "notices",
    responses((status = 200, body = PreferencesDto),
              (status = 401, body = Problem, content_type = "application/problem+json"))
)]
async fn get_preferences(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<PreferencesDto>, ApiError> {
    let actor = viewer.actor()?;
    Ok(Json(preferences_dto(
        notices::preferences(&state.store, &actor).await?,
    )))
}

/// 通知設定の変更（送った分野だけが変わります。重要なお知らせは常にメールで送信）
#[utoipa::path(
    put, path = "/api/v1/me/notification-preferences", tag = "notices",
    request_body = PreferencesDto,
    responses((status = 200, body = PreferencesDto),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn put_preferences(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<PreferencesDto>,
) -> Result<Json<PreferencesDto>, ApiError> {
    let actor = viewer.actor()?;
    let mut choices = Vec::new();
    let mut errors = Vec::new();
    for (i, p) in body.preferences.iter().enumerate() {
        match Programme::parse(p.programme.trim()) {
            Some(programme) if programme != Programme::Account => {
                choices.push((programme, p.by_mail));
            }
            _ => errors.push(domain::Invalid::new(
                format!("preferences[{i}].programme"),
                format!(
                    "分野「{}」はありません。{} のいずれかを指定してください。",
                    p.programme,
                    Programme::CHOOSABLE.map(Programme::code).join("・")
                ),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors).into());
    }
    Ok(Json(preferences_dto(
        notices::set_preferences(&state.store, &actor, &choices).await?,
    )))
}
