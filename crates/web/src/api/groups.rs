//! `/api/v1/groups`: groups of companies and partners across cities, their members,
//! meetings and shared needs and seeds; the same store calls as `pages::groups`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use store::groups::{self, Group, GroupView, Member};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiJson, Problem};
use crate::AppState;
use crate::auth::Viewer;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_groups))
        .routes(routes!(get_group))
        .routes(routes!(share_with_group))
        .routes(routes!(add_group_member))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupMemberDto {
    pub id: i64,
    /// 企業名簿・団体・連携先のキー
    pub key: String,
    pub name: String,
    /// company | organisation | partner
    pub kind: String,
}

impl From<&Member> for GroupMemberDto {
    fn from(m: &Member) -> Self {
        GroupMemberDto {
            id: m.id,
            key: m.key.clone(),
            name: m.name.clone(),
            kind: match m.of {
                domain::groups::MemberRef::Company(_) => "company",
                domain::groups::MemberRef::Organisation(_) => "organisation",
                domain::groups::MemberRef::Partner(_) => "partner",
            }
            .to_owned(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupMeetingDto {
    pub event: String,
    pub title: String,
    pub when: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupShareDto {
    /// ニーズ・シーズのキー
    pub posting: String,
    pub title: String,
    /// need | offer
    pub side: String,
    pub poster_name: String,
    pub note: String,
    pub shared_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupDto {
    pub key: String,
    pub name: String,
    pub description: String,
    /// 事務局の団体のキー
    pub keeper: String,
    pub keeper_name: String,
    pub members: Vec<GroupMemberDto>,
    pub meetings: Vec<GroupMeetingDto>,
    /// メンバーと事務局にのみ返します（それ以外は null）
    pub shares: Option<Vec<GroupShareDto>>,
}

fn dto(group: &Group, members: &[Member], shares: Option<&[groups::Share]>) -> GroupDto {
    GroupDto {
        key: group.key.clone(),
        name: group.name.clone(),
        description: group.description.clone(),
        keeper: group.keeper.key.clone(),
        keeper_name: group.keeper.name.clone(),
        members: members.iter().map(GroupMemberDto::from).collect(),
        meetings: group
            .meetings
            .iter()
            .map(|m| GroupMeetingDto {
                event: m.key.clone(),
                title: m.title.clone(),
                when: m.when.clone(),
            })
            .collect(),
        shares: shares.map(|list| {
            list.iter()
                .map(|s| GroupShareDto {
                    posting: s.posting.key.clone(),
                    title: s.posting.title.clone(),
                    side: s.posting.side.code().to_owned(),
                    poster_name: s.posting.poster_name.clone(),
                    note: s.note.clone(),
                    shared_at: s.shared_at.to_rfc3339(),
                })
                .collect()
        }),
    }
}

/// グループ（都市をまたぐネットワーク・研究会）の一覧
#[utoipa::path(
    get, path = "/api/v1/groups", tag = "directory",
    responses((status = 200, body = Vec<GroupDto>))
)]
async fn list_groups(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Vec<GroupDto>>, ApiError> {
    let actor = viewer.acting();
    Ok(Json(
        groups::list(&state.store, actor.as_ref())
            .await?
            .iter()
            .map(|(g, members)| dto(g, members, None))
            .collect(),
    ))
}

/// グループの詳細（共有されたニーズ・シーズはメンバーと事務局のみ）
#[utoipa::path(
    get, path = "/api/v1/groups/{key}", tag = "directory",
    params(("key" = String, Path, description = "グループのキー")),
    responses((status = 200, body = GroupDto), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn get_group(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Json<GroupDto>, ApiError> {
    let actor = viewer.acting();
    let GroupView {
        group,
        members,
        shares,
        ..
    } = groups::get(&state.store, actor.as_ref(), &key).await?;
    Ok(Json(dto(&group, &members, shares.as_deref())))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct GroupShareBody {
    /// 共有するニーズ・シーズのキー（自社・自団体の掲載）
    #[serde(default)]
    pub posting: String,
    /// ひとこと（500文字以内）
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupSharedDto {
    /// お知らせ（とメール）を送ったメンバーの人数
    pub notified: usize,
}

/// グループでニーズ・シーズを共有（メンバーの企業・団体と事務局）。メンバーにお知らせとメールが届きます
#[utoipa::path(
    post, path = "/api/v1/groups/{key}/shares", tag = "directory", request_body = GroupShareBody,
    params(("key" = String, Path, description = "グループのキー")),
    responses((status = 201, body = GroupSharedDto), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn share_with_group(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<GroupShareBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let notified = groups::share(&state.store, &actor, &key, &body.posting, &body.note).await?;
    Ok((StatusCode::CREATED, Json(GroupSharedDto { notified })).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct GroupMemberBody {
    /// 企業名簿のキー（ota-01）、団体のキー（okaya）、連携先のキー
    #[serde(default)]
    pub member: String,
}

/// グループにメンバーを追加（事務局の団体の職員・協議会事務局）
#[utoipa::path(
    post, path = "/api/v1/groups/{key}/members", tag = "directory", request_body = GroupMemberBody,
    params(("key" = String, Path, description = "グループのキー")),
    responses((status = 201, body = GroupMemberDto), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn add_group_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<GroupMemberBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let member = groups::add_member(&state.store, &actor, &key, &body.member).await?;
    Ok((StatusCode::CREATED, Json(GroupMemberDto::from(&member))).into_response())
}
