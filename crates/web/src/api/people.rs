//! `/api/v1/people`: the people the engine matches (designers, researchers,
//! successor candidates, students, experts). Public profiles for everyone without
//! contact details; the registering organisation's staff (and the secretariat) see
//! their people in full and register, correct and delete them. The same store calls
//! as `pages::people`, which decides who sees what.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::directory::{Capability, PersonKind};
use serde::{Deserialize, Serialize};
use store::StoreError;
use store::people::{self, Person, PersonInput};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiJson, Problem};
use crate::AppState;
use crate::auth::Viewer;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_people, create_person))
        .routes(routes!(get_person, update_person, delete_person))
}

/// 連絡先（登録した団体の職員と事務局のみ）
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactDto {
    pub email: String,
    pub phone: String,
}

/// 人材のプロフィール
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonDto {
    pub key: String,
    /// designer | researcher | successor | student | expert
    pub kind: String,
    /// 種類の日本語名
    pub kind_label: String,
    pub name: String,
    pub kana: String,
    pub affiliation: String,
    /// 都市のキーと名称（なければ null）
    pub city: Option<String>,
    pub city_name: Option<String>,
    /// 登録した団体のキー
    pub organisation: String,
    pub profile: String,
    /// 分野のコードと日本語名
    pub capabilities: Vec<String>,
    pub capability_labels: Vec<String>,
    /// 公開プロフィールであること
    pub public: bool,
    /// 連絡先（登録した団体の職員と事務局のみ。その他は null）
    pub contact: Option<ContactDto>,
    /// 人材のページ
    pub url: String,
    /// デモデータ（架空の人物）であること
    pub demo: bool,
}

fn person_dto(p: &Person) -> PersonDto {
    PersonDto {
        key: p.key.clone(),
        kind: p.kind.code().to_owned(),
        kind_label: p.kind.label().to_owned(),
        name: p.name.clone(),
        kana: p.kana.clone(),
        affiliation: p.affiliation.clone(),
        city: p.city.as_ref().map(|c| c.key.clone()),
        city_name: p.city.as_ref().map(|c| c.name.clone()),
        organisation: p.owner.key.clone(),
        profile: p.profile.clone(),
        capability_labels: p
            .capabilities
            .iter()
            .map(|c| Capability::label_of(c))
            .collect(),
        capabilities: p.capabilities.clone(),
        public: p.public,
        contact: p.contact.as_ref().map(|(email, phone)| ContactDto {
            email: email.clone(),
            phone: phone.clone(),
        }),
        url: format!("/people/{}", p.key),
        demo: p.demo,
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleParams {
    /// designer | researcher | successor | student | expert（省略時はすべて）
    #[serde(default)]
    pub kind: Option<String>,
}

/// 人材の一覧（フリガナ順。公開プロフィールは誰でも、非公開は登録した団体の職員と事務局のみ）
#[utoipa::path(
    get, path = "/api/v1/people", tag = "people",
    params(PeopleParams),
    responses((status = 200, description = "閲覧者が見られる人材（フリガナ順）", body = Vec<PersonDto>),
              (status = 422, description = "kind の値が誤っています", body = Problem, content_type = "application/problem+json"))
)]
async fn list_people(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<PeopleParams>,
) -> Result<Json<Vec<PersonDto>>, ApiError> {
    let kinds: Vec<PersonKind> = match params.kind.as_deref().map(str::trim) {
        None | Some("") => Vec::new(),
        Some(code) => vec![PersonKind::parse(code).ok_or_else(|| {
            StoreError::Invalid(vec![domain::Invalid::new(
                "kind",
                "kind は designer・researcher・successor・student・expert のいずれかです。",
            )])
        })?],
    };
    let actor = viewer.acting();
    let listed = people::list(&state.store, actor.as_ref(), &kinds).await?;
    Ok(Json(listed.iter().map(person_dto).collect()))
}

/// 人材1件（見られない人には 404）
#[utoipa::path(
    get, path = "/api/v1/people/{key}", tag = "people",
    params(("key" = String, Path, description = "人材のキー")),
    responses((status = 200, description = "人材のプロフィール", body = PersonDto),
              (status = 404, description = "その人材はないか、公開されていません", body = Problem, content_type = "application/problem+json"))
)]
async fn get_person(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Json<PersonDto>, ApiError> {
    let actor = viewer.acting();
    let person = people::get(&state.store, actor.as_ref(), &key).await?;
    Ok(Json(person_dto(&person)))
}

/// 人材の登録・修正の内容
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PersonBody {
    /// designer | researcher | successor | student | expert
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    /// フリガナ
    #[serde(default)]
    pub kana: String,
    #[serde(default)]
    pub affiliation: String,
    /// 都市のキー（kawaguchi など）
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub profile: String,
    /// 分野のコード（GET /api/v1/taxonomy）
    #[serde(default)]
    pub capabilities: Vec<String>,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    /// 公開プロフィールにする（本人の同意を得たときのみ）
    #[serde(default)]
    pub public: bool,
}

impl From<PersonBody> for PersonInput {
    fn from(body: PersonBody) -> Self {
        PersonInput {
            kind: body.kind,
            name: body.name,
            kana: body.kana,
            affiliation: body.affiliation,
            city: body.city,
            profile: body.profile,
            capabilities: body.capabilities,
            email: body.email,
            phone: body.phone,
            public: body.public,
        }
    }
}

/// 人材を登録する（団体の職員。閲覧者の団体の人材になります）
#[utoipa::path(
    post, path = "/api/v1/people", tag = "people", request_body = PersonBody,
    responses((status = 201, description = "登録した人材", body = PersonDto),
              (status = 403, description = "団体の職員ではありません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "入力内容の誤り（項目ごと）", body = Problem, content_type = "application/problem+json"))
)]
async fn create_person(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<PersonBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let person = people::create(&state.store, &actor, &body.into()).await?;
    Ok((StatusCode::CREATED, Json(person_dto(&person))).into_response())
}

/// 人材の記録を修正する（登録した団体の職員と事務局）
#[utoipa::path(
    put, path = "/api/v1/people/{key}", tag = "people", request_body = PersonBody,
    params(("key" = String, Path, description = "人材のキー")),
    responses((status = 200, description = "修正した人材", body = PersonDto),
              (status = 404, description = "その人材はないか、修正できません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "入力内容の誤り（項目ごと）", body = Problem, content_type = "application/problem+json"))
)]
async fn update_person(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<PersonBody>,
) -> Result<Json<PersonDto>, ApiError> {
    let actor = viewer.actor()?;
    let person = people::update(&state.store, &actor, &key, &body.into()).await?;
    Ok(Json(person_dto(&person)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// 削除の理由（本人の申出など。監査ログに残ります）
    #[serde(default)]
    pub reason: Option<String>,
}

/// 人材の記録を削除する（本人の申出により。登録した団体の職員と事務局）
#[utoipa::path(
    delete, path = "/api/v1/people/{key}", tag = "people",
    params(("key" = String, Path, description = "人材のキー"), DeleteParams),
    responses((status = 204, description = "削除しました"),
              (status = 404, description = "その人材はないか、削除できません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "削除の理由がありません", body = Problem, content_type = "application/problem+json"))
)]
async fn delete_person(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Query(params): Query<DeleteParams>,
) -> Result<StatusCode, ApiError> {
    let actor = viewer.actor()?;
    let reason = params.reason.unwrap_or_default();
    people::delete(&state.store, &actor, &key, &reason).await?;
    Ok(StatusCode::NO_CONTENT)
}
