//! `/api/v1/invitations`: staff invite people by e-mail and list their
//! invitations — the same store calls as the `/invitations` page (staff invite
//! their colleagues and the members of the companies they look after; the
//! secretariat anyone).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use store::invitations::{self, Invitation, InvitationInput};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiJson, Problem};
use crate::AppState;
use crate::auth::Viewer;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_invitations, invite))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InvitationBody {
    /// 招待する人のメールアドレス
    pub email: String,
    /// 氏名（任意。本人が登録時に変更できます）
    #[serde(default)]
    pub display_name: String,
    /// company（企業会員）・staff（職員）・secretariat（協議会事務局。事務局のみ）
    pub role: String,
    /// 職員・事務局の所属団体キー（職員が自団体の同僚を招待するときは省略可）
    #[serde(default)]
    pub organisation: String,
    /// 企業会員の企業ID または法人番号
    #[serde(default)]
    pub company: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationDto {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    /// company | staff | secretariat
    pub role: String,
    pub organisation: String,
    pub company_key: Option<String>,
    pub company_name: Option<String>,
    /// 招待した職員のメールアドレス
    pub invited_by: String,
    /// pending | accepted | revoked | expired
    pub status: String,
    /// 状態の日本語名
    pub status_label: String,
    pub created_at: String,
    /// 有効期限（招待から7日）
    pub expires_at: String,
}

impl From<Invitation> for InvitationDto {
    fn from(i: Invitation) -> Self {
        InvitationDto {
            id: i.id,
            role: i.role.code().to_owned(),
            status: i.status.code().to_owned(),
            status_label: i.status.label().to_owned(),
            email: i.email,
            display_name: i.display_name,
            organisation: i.organisation_name,
            company_key: i.company_key,
            company_name: i.company_name,
            invited_by: i.invited_by,
            created_at: i.created_at.to_rfc3339(),
            expires_at: i.expires_at.to_rfc3339(),
        }
    }
}

/// 招待の一覧（協議会事務局はすべて、職員は自団体の招待。新しい順）
#[utoipa::path(
    get, path = "/api/v1/invitations", tag = "accounts",
    responses((status = 200, body = Vec<InvitationDto>),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"))
)]
async fn list_invitations(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Vec<InvitationDto>>, ApiError> {
    let actor = viewer.actor()?;
    let list = invitations::list(&state.store, &actor).await?;
    Ok(Json(list.into_iter().map(InvitationDto::from).collect()))
}

/// メールで招待する（職員は自団体の同僚と担当企業のメンバー、事務局は誰でも。招待メールは同じトランザクションで送信待ちに入ります）
#[utoipa::path(
    post, path = "/api/v1/invitations", tag = "accounts", request_body = InvitationBody,
    responses((status = 201, body = InvitationDto),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "他の市区の企業・他団体の職員など、招待できない相手（またはCSRFトークンなし）", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "メールアドレスの形式、既にアカウントや有効な招待がある、など", body = Problem, content_type = "application/problem+json"))
)]
async fn invite(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<InvitationBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let input = InvitationInput {
        email: body.email,
        display_name: body.display_name,
        role: body.role,
        organisation: body.organisation,
        company: body.company,
    };
    let sent = invitations::invite(&state.store, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(InvitationDto::from(sent))).into_response())
}
