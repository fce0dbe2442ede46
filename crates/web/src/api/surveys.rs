//! `/api/v1` for the results of a form (a survey, a diagnostic, a call): every
//! question summarised over the submitted responses and, on request, one choice
//! question cross-tabulated by city, industry or size. Aggregates only: individual
//! answers stay on the owning organisation's pages and exports.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use store::StoreError;
use store::forms::GroupBy;
use store::surveys;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, Problem};
use crate::AppState;
use crate::auth::Viewer;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(form_results))
}

/// 選択肢（または尺度の点）ごとの回答数
#[derive(Debug, Serialize, ToSchema)]
pub struct TallyDto {
    /// 保存される値（yes、1〜5 など）
    pub value: String,
    pub label: String,
    pub count: u32,
}

/// 質問ごとの集計
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionResultDto {
    /// 質問ID
    pub id: String,
    pub label: String,
    /// 質問の種類（single_choice、number、scale など）
    pub kind: String,
    /// この質問に回答した件数
    pub answered: u32,
    pub tallies: Vec<TallyDto>,
    /// 数値・尺度の平均（他は null）
    pub mean: Option<f64>,
}

/// クロス集計の1行（1つの集団）
#[derive(Debug, Serialize, ToSchema)]
pub struct CrossRowDto {
    /// 市区名、業種（「24 金属製品製造業」）、規模。不明は「不明」
    pub group: String,
    pub respondents: u32,
    pub result: QuestionResultDto,
}

/// フォームの集計結果
#[derive(Debug, Serialize, ToSchema)]
pub struct FormResultsDto {
    pub key: String,
    pub title: String,
    /// 所有団体のキー
    pub organisation: String,
    /// survey | diagnostic | application
    pub purpose: String,
    /// 提出された回答の件数
    pub submitted: u64,
    pub questions: Vec<QuestionResultDto>,
    /// question と by を指定したときのクロス集計
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_tab: Option<Vec<CrossRowDto>>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultsParams {
    /// クロス集計する質問のID
    #[serde(default)]
    pub question: Option<String>,
    /// city | industry | size
    #[serde(default)]
    pub by: Option<String>,
}

fn question_dto(summary: &domain::forms::aggregate::QuestionSummary) -> QuestionResultDto {
    QuestionResultDto {
        id: summary.id.clone(),
        label: summary.label.clone(),
        kind: summary.kind.to_owned(),
        answered: summary.answered,
        tallies: summary
            .tallies
            .iter()
            .map(|t| TallyDto {
                value: t.value.clone(),
                label: t.label.clone(),
                count: t.count,
            })
            .collect(),
        mean: summary.mean,
    }
}

/// フォームの集計結果（質問ごとの回答数・割合の元になる件数・平均、クロス集計）
#[utoipa::path(
    get, path = "/api/v1/forms/{key}/results", tag = "forms",
    params(("key" = String, Path, description = "フォームのキー"), ResultsParams),
    responses((status = 200, body = FormResultsDto),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn form_results(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Query(params): Query<ResultsParams>,
) -> Result<Json<FormResultsDto>, ApiError> {
    let actor = viewer.actor()?;
    let (form, summary, submitted) = surveys::results(&state.store, &actor, &key).await?;
    let cross_tab = match (params.question.as_deref(), params.by.as_deref()) {
        (Some(question), Some(by)) => {
            let Some(by) = GroupBy::parse(by) else {
                return Err(StoreError::Invalid(vec![domain::Invalid::new(
                    "by",
                    "by は city・industry・size のいずれかです。",
                )])
                .into());
            };
            let rows = surveys::cross_tab(&state.store, &actor, &key, question, by).await?;
            Some(
                rows.iter()
                    .map(|r| CrossRowDto {
                        group: r.group.clone(),
                        respondents: r.respondents,
                        result: question_dto(&r.summary),
                    })
                    .collect(),
            )
        }
        _ => None,
    };
    Ok(Json(FormResultsDto {
        key: form.key.clone(),
        title: form.title.clone(),
        organisation: form.owner.key.clone(),
        purpose: form.purpose.code().to_owned(),
        submitted,
        questions: summary.iter().map(question_dto).collect(),
        cross_tab,
    }))
}
