//! `/api/v1/initiatives` and the reference lists, with their OpenAPI descriptions.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::catalogue::{EntryDraft, EntryInput, InitiativeDraft, InitiativeInput, KpiInput};
use domain::{FiscalYear, Pillar};
use serde::{Deserialize, Serialize};
use store::catalogue::{self, Initiative};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiJson, Problem};
use crate::auth::Viewer;
use crate::pages::query_pairs;
use crate::{AppState, WebError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_initiatives, create_initiative))
        .routes(routes!(
            get_initiative,
            update_initiative,
            delete_initiative
        ))
        .routes(routes!(put_entry, delete_entry))
        .routes(routes!(organisations))
        .routes(routes!(cities))
        .routes(routes!(pillars))
        .routes(routes!(session))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KpiDto {
    /// 指標名（例: 延べ商談数）
    pub label: String,
    pub value: f64,
    /// 単位（例: 商談）
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntryDto {
    /// 年度（西暦の開始年。2016 = 平成28年度）
    pub fy: i32,
    /// 和暦表記（例: 平成28年度）
    pub fy_label: String,
    /// done | planned | undecided
    pub status: String,
    pub summary: String,
    pub kpis: Vec<KpiDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerDto {
    pub key: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InitiativeDto {
    pub key: String,
    pub title: String,
    pub description: String,
    pub organisation: String,
    pub organisation_name: String,
    pub city: Option<String>,
    /// 1 新たな価値の創造 / 2 技術・技能の継承及び人材の確保・育成 / 3 事業環境整備
    pub pillars: Vec<u8>,
    pub pillars_inferred: bool,
    pub program_kind: String,
    pub partners: Vec<PartnerDto>,
    pub entries: Vec<EntryDto>,
    pub updated_at: String,
}

impl From<Initiative> for InitiativeDto {
    fn from(i: Initiative) -> Self {
        InitiativeDto {
            key: i.key,
            title: i.title,
            description: i.description,
            organisation: i.organisation.key,
            organisation_name: i.organisation.name,
            city: i.organisation.city.map(|c| c.key),
            pillars: i.pillars.iter().map(|p| p.number()).collect(),
            pillars_inferred: i.pillars_inferred,
            program_kind: i.program_kind,
            partners: i
                .partners
                .into_iter()
                .map(|p| PartnerDto {
                    key: p.key,
                    name: p.name,
                    kind: p.kind,
                })
                .collect(),
            entries: i
                .entries
                .into_iter()
                .map(|e| EntryDto {
                    fy: e.fy.year(),
                    fy_label: e.fy.wareki_label(),
                    status: e.status.code().to_owned(),
                    summary: e.summary,
                    kpis: e
                        .kpis
                        .into_iter()
                        .map(|k| KpiDto {
                            label: k.label,
                            value: k.value.get(),
                            unit: k.unit,
                            note: k.note,
                        })
                        .collect(),
                })
                .collect(),
            updated_at: i.updated_at.to_rfc3339(),
        }
    }
}

/// 施策の一覧（絞り込み条件はすべて任意）
#[utoipa::path(
    get, path = "/api/v1/initiatives", tag = "catalogue",
    params(
        ("city" = Option<String>, Query, description = "都市キー（kawaguchi, sumida, ota, okaya, kaga, higashiosaka, amagasaki）"),
        ("organisation" = Option<String>, Query, description = "団体キー"),
        ("pillar" = Option<u8>, Query, description = "柱（1〜3）"),
        ("fy" = Option<String>, Query, description = "年度（2016 や 平成28年度）"),
        ("status" = Option<String>, Query, description = "done | planned | undecided"),
        ("q" = Option<String>, Query, description = "キーワード（全角・半角、ひらがな・カタカナを区別しない）"),
    ),
    responses((status = 200, body = Vec<InitiativeDto>), (status = 400, body = Problem, content_type = "application/problem+json"))
)]
async fn list_initiatives(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<InitiativeDto>>, ApiError> {
    let directory = store::organisations::directory(&state.store).await?;
    let (_, filter, errors) =
        crate::pages::initiatives_filter(&query_pairs(raw.as_deref()), &directory);
    if let Some(first) = errors.first() {
        return Err(WebError::BadRequest(first.clone()).into());
    }
    let initiatives = catalogue::list(&state.store, &filter).await?;
    Ok(Json(
        initiatives.into_iter().map(InitiativeDto::from).collect(),
    ))
}

/// 施策の詳細
#[utoipa::path(
    get, path = "/api/v1/initiatives/{key}", tag = "catalogue",
    params(("key" = String, Path, description = "施策キー")),
    responses((status = 200, body = InitiativeDto), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn get_initiative(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<InitiativeDto>, ApiError> {
    Ok(Json(catalogue::get(&state.store, &key).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InitiativeBody {
    /// 団体キー（新規登録時のみ使用）
    #[serde(default)]
    pub organisation: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub pillars: Vec<u8>,
    #[serde(default)]
    pub program_kind: String,
}

fn draft_of(body: &InitiativeBody) -> Result<InitiativeDraft, ApiError> {
    InitiativeDraft::parse(&InitiativeInput {
        title: body.title.clone(),
        description: body.description.clone(),
        pillars: body.pillars.iter().map(|p| p.to_string()).collect(),
        program_kind: body.program_kind.clone(),
    })
    .map_err(|errors| store::StoreError::Invalid(errors).into())
}

/// 施策を登録（職員は自団体のみ）
#[utoipa::path(
    post, path = "/api/v1/initiatives", tag = "catalogue", request_body = InitiativeBody,
    responses((status = 201, body = InitiativeDto), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn create_initiative(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<InitiativeBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let draft = draft_of(&body)?;
    let created = catalogue::create(&state.store, &actor, &body.organisation, &draft).await?;
    Ok((StatusCode::CREATED, Json(InitiativeDto::from(created))).into_response())
}

/// 施策を更新
#[utoipa::path(
    put, path = "/api/v1/initiatives/{key}", tag = "catalogue", request_body = InitiativeBody,
    params(("key" = String, Path, description = "施策キー")),
    responses((status = 200, body = InitiativeDto), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn update_initiative(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<InitiativeBody>,
) -> Result<Json<InitiativeDto>, ApiError> {
    let actor = viewer.actor()?;
    let draft = draft_of(&body)?;
    Ok(Json(
        catalogue::update(&state.store, &actor, &key, &draft)
            .await?
            .into(),
    ))
}

/// 施策を削除
#[utoipa::path(
    delete, path = "/api/v1/initiatives/{key}", tag = "catalogue",
    params(("key" = String, Path, description = "施策キー")),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn delete_initiative(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<StatusCode, ApiError> {
    let actor = viewer.actor()?;
    catalogue::delete(&state.store, &actor, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EntryBody {
    /// done | planned | undecided
    pub status: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub kpis: Vec<KpiDto>,
}

fn path_year(fy: &str) -> Result<FiscalYear, ApiError> {
    FiscalYear::parse(fy).map_err(|e| store::StoreError::Invalid(vec![e]).into())
}

/// 年度の記録（実績・予定とKPI）を作成または置き換え
#[utoipa::path(
    put, path = "/api/v1/initiatives/{key}/years/{fy}", tag = "catalogue", request_body = EntryBody,
    params(("key" = String, Path, description = "施策キー"), ("fy" = String, Path, description = "年度（2017 など）")),
    responses((status = 200, body = InitiativeDto), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn put_entry(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, fy)): Path<(String, String)>,
    ApiJson(body): ApiJson<EntryBody>,
) -> Result<Json<InitiativeDto>, ApiError> {
    let actor = viewer.actor()?;
    let fy = path_year(&fy)?;
    let draft = EntryDraft::parse(&EntryInput {
        fy: fy.year().to_string(),
        status: body.status.clone(),
        summary: body.summary.clone(),
        kpis: body
            .kpis
            .iter()
            .map(|k| KpiInput {
                label: k.label.clone(),
                value: k.value.to_string(),
                unit: k.unit.clone(),
                note: k.note.clone(),
            })
            .collect(),
    })
    .map_err(store::StoreError::Invalid)?;
    let existing = catalogue::get(&state.store, &key).await?;
    let editing = existing.entry(fy).map(|_| fy);
    Ok(Json(
        catalogue::save_entry(&state.store, &actor, &key, editing, &draft)
            .await?
            .into(),
    ))
}

/// 年度の記録を削除
#[utoipa::path(
    delete, path = "/api/v1/initiatives/{key}/years/{fy}", tag = "catalogue",
    params(("key" = String, Path, description = "施策キー"), ("fy" = String, Path, description = "年度")),
    responses((status = 200, body = InitiativeDto), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn delete_entry(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, fy)): Path<(String, String)>,
) -> Result<Json<InitiativeDto>, ApiError> {
    let actor = viewer.actor()?;
    let fy = path_year(&fy)?;
    Ok(Json(
        catalogue::delete_entry(&state.store, &actor, &key, fy)
            .await?
            .into(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationDto {
    pub key: String,
    pub name: String,
    /// council | city | chamber
    pub kind: String,
    pub city: Option<String>,
}

/// 団体の一覧（資料の順）
#[utoipa::path(get, path = "/api/v1/organisations", tag = "reference", responses((status = 200, body = Vec<OrganisationDto>)))]
async fn organisations(
    State(state): State<AppState>,
) -> Result<Json<Vec<OrganisationDto>>, ApiError> {
    let directory = store::organisations::directory(&state.store).await?;
    Ok(Json(
        directory
            .organisations
            .into_iter()
            .map(|o| OrganisationDto {
                key: o.key,
                name: o.name,
                kind: o.kind,
                city: o.city.map(|c| c.key),
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CityDto {
    pub key: String,
    pub name: String,
    pub kana: String,
    pub prefecture: String,
    /// 全国地方公共団体コード（6桁、検査数字付き）
    pub local_gov_code: String,
}

/// 7都市の一覧
#[utoipa::path(get, path = "/api/v1/cities", tag = "reference", responses((status = 200, body = Vec<CityDto>)))]
async fn cities(State(state): State<AppState>) -> Result<Json<Vec<CityDto>>, ApiError> {
    let directory = store::organisations::directory(&state.store).await?;
    Ok(Json(
        directory
            .cities
            .into_iter()
            .map(|c| CityDto {
                key: c.key,
                name: c.name,
                kana: c.kana,
                prefecture: c.prefecture,
                local_gov_code: c.local_gov_code,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PillarDto {
    pub number: u8,
    pub name: String,
    pub short_name: String,
}

/// 尼崎宣言の3つの柱
#[utoipa::path(get, path = "/api/v1/pillars", tag = "reference", responses((status = 200, body = Vec<PillarDto>)))]
async fn pillars() -> Json<Vec<PillarDto>> {
    Json(
        Pillar::ALL
            .iter()
            .map(|p| PillarDto {
                number: p.number(),
                name: p.name().into(),
                short_name: p.short_name().into(),
            })
            .collect(),
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    /// ログイン中の利用者のメールアドレス（未ログインなら null）
    pub email: Option<String>,
    pub role: Option<String>,
    pub organisation: Option<String>,
    /// 変更系の呼び出しに X-CSRF-Token ヘッダーで送る値
    pub csrf_token: String,
}

/// 現在のセッションとCSRFトークン
#[utoipa::path(get, path = "/api/v1/session", tag = "session", responses((status = 200, body = SessionDto)))]
async fn session(mut viewer: Viewer) -> Result<Json<SessionDto>, ApiError> {
    viewer.ensure_csrf().await?;
    Ok(Json(SessionDto {
        email: viewer.user.as_ref().map(|u| u.email.clone()),
        role: viewer.user.as_ref().map(|u| u.role.code().to_owned()),
        organisation: viewer.user.as_ref().map(|u| u.organisation_name.clone()),
        csrf_token: viewer.csrf.clone(),
    }))
}
