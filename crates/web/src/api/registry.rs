//! `/api/v1/registry`: the public registry of approved certifications (i-mono
//! products, i-waza techniques) and awards (100年企業), as the registry page shows it.
//! Public: no sign-in, nothing private (subsidies are never published).

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use store::applications::{self, RegistryEntry, RegistryFilter};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, Problem};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(registry))
}

/// 公開名簿の掲載1件
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistryEntryDto {
    /// 掲載ページ /registry/{slug} のスラッグ
    pub slug: String,
    /// product（認定製品）| technique（認定技術）| award（表彰企業）
    pub kind: String,
    /// 制度での呼び名（「i-mono（製品）」「表彰企業」）
    pub category: String,
    /// 製品名・技術名、表彰では企業名
    pub title: String,
    pub summary: String,
    /// 認定・表彰の年
    pub year: i32,
    pub company_key: String,
    pub company_name: String,
    /// 都市のキー（kawaguchi など）
    pub city: Option<String>,
    pub founded_year: Option<i32>,
    /// 認定・表彰の年の時点での創業からの年数
    pub years_in_business: Option<i32>,
    /// 募集のキーと名称
    pub call_key: String,
    pub call_title: String,
    pub organisation: String,
    pub url: String,
    /// デモデータ（架空の企業の認定・表彰）であること。協議会の実績（KPI）には数えません
    pub demo: bool,
}

impl From<RegistryEntry> for RegistryEntryDto {
    fn from(e: RegistryEntry) -> Self {
        RegistryEntryDto {
            url: format!("/registry/{}", e.slug),
            slug: e.slug,
            kind: e.kind.code().to_owned(),
            category: e.category,
            title: e.title,
            summary: e.summary,
            year: e.year,
            company_key: e.company_key,
            company_name: e.company_name,
            city: e.city_key,
            founded_year: e.founded_year,
            years_in_business: e.years_in_business,
            call_key: e.call_key,
            call_title: e.call_title,
            organisation: e.organisation_name,
            demo: e.demo,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegistryParams {
    /// product | technique | award
    #[serde(default)]
    pub kind: Option<String>,
    /// 都市のキー（kawaguchi、amagasaki など）
    #[serde(default)]
    pub city: Option<String>,
}

/// 認定・表彰の公開名簿（区分・都市で絞り込み）
#[utoipa::path(
    get, path = "/api/v1/registry", tag = "registry",
    params(RegistryParams),
    responses((status = 200, body = Vec<RegistryEntryDto>),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn registry(
    State(state): State<AppState>,
    Query(params): Query<RegistryParams>,
) -> Result<Json<Vec<RegistryEntryDto>>, ApiError> {
    let kind = match params
        .kind
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        None => None,
        Some(code) => Some(
            domain::applications::RegistryKind::parse(code).ok_or_else(|| {
                store::StoreError::Invalid(vec![domain::Invalid::new(
                    "kind",
                    "kind は product・technique・award のいずれかです。",
                )])
            })?,
        ),
    };
    let filter = RegistryFilter {
        kind,
        city: params.city.filter(|c| !c.trim().is_empty()),
    };
    let entries = applications::registry(&state.store, &filter).await?;
    Ok(Json(entries.into_iter().map(Into::into).collect()))
}
