//! `/api/v1/outbox`: the mail the platform sends, for staff — the same store call as
//! `/admin/outbox` (the secretariat sees all of it, staff their organisation's).

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use store::StoreError;
use store::outbox::{self, MailStatus, OutboxFilter};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, Problem};
use crate::AppState;
use crate::auth::Viewer;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_outbox))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MailMessageDto {
    pub id: i64,
    /// メールの Message-ID（再送しても変わりません）
    pub message_id: String,
    /// 差出人として表示する団体名
    pub sender_name: String,
    pub recipient_email: String,
    pub recipient_name: String,
    pub subject: String,
    /// queued | sending | sent | failed
    pub status: String,
    /// 状態の日本語名
    pub status_label: String,
    /// 送信を試みた回数
    pub tries: i32,
    /// 最後の失敗の理由（送信先サーバーの応答）
    pub last_error: String,
    /// 予定表（.ics）の添付があること
    pub has_ics: bool,
    pub created_at: String,
    pub sent_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxPageDto {
    /// 条件に合うメールの件数
    pub total: u64,
    /// 新しい順に最大100件
    pub messages: Vec<MailMessageDto>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxParams {
    /// queued | sending | sent | failed
    #[serde(default)]
    pub status: Option<String>,
    /// 0から始まるページ番号（100件ずつ）
    #[serde(default)]
    pub page: Option<u64>,
}

/// 送信メールの一覧（協議会事務局はすべて、各団体の職員は自団体の事業のメール）
#[utoipa::path(
    get, path = "/api/v1/outbox", tag = "mail",
    params(OutboxParams),
    responses((status = 200, body = OutboxPageDto),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn list_outbox(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<OutboxParams>,
) -> Result<Json<OutboxPageDto>, ApiError> {
    let actor = viewer.actor()?;
    let status = match params.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(code) => Some(MailStatus::parse(code).ok_or_else(|| {
            StoreError::Invalid(vec![domain::Invalid::new(
                "status",
                "status は queued・sending・sent・failed のいずれかです。",
            )])
        })?),
    };
    let filter = OutboxFilter {
        status,
        page: params.page.unwrap_or(0).min(1_000_000),
    };
    let (messages, total) = outbox::list(&state.store, &actor, &filter).await?;
    Ok(Json(OutboxPageDto {
        total,
        messages: messages
            .into_iter()
            .map(|m| MailMessageDto {
                id: m.id,
                message_id: m.message_id,
                sender_name: m.sender_name,
                recipient_email: m.recipient_email,
                recipient_name: m.recipient_name,
                subject: m.subject,
                status: m.status.code().to_owned(),
                status_label: m.status.label().to_owned(),
                tries: m.tries,
                last_error: m.last_error,
                has_ics: m.has_ics,
                created_at: m.created_at.to_rfc3339(),
                sent_at: m.sent_at.map(|at| at.to_rfc3339()),
            })
            .collect(),
    }))
}
