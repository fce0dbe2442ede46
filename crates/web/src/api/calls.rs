//! `/api/v1/calls` and `/api/v1/applications`: the calls (募集: certifications,
//! awards, subsidies) as their public pages show them, the staff's queue of a call's
//! applications, the viewer's applications, one application with its reviews and
//! history, and the review and workflow steps of the application page. The same
//! store calls as `pages::applications`; who may see and do what is decided there.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use store::StoreError;
use store::applications::{self, Application, ApplicationSummary, Call, RegistryFilter};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiJson, Problem};
use crate::AppState;
use crate::auth::Viewer;
use crate::pages::applications::{eligibility_words, kind_label, state_label};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_calls))
        .routes(routes!(get_call))
        .routes(routes!(get_call_settings, put_call_settings))
        .routes(routes!(call_applications))
        .routes(routes!(my_applications))
        .routes(routes!(get_application))
        .routes(routes!(review_application))
        .routes(routes!(step_application))
}

/// 募集（認定・表彰・補助金）
#[derive(Debug, Serialize, ToSchema)]
pub struct CallDto {
    pub key: String,
    pub title: String,
    pub description: String,
    /// 所管団体のキーと名称
    pub organisation: String,
    pub organisation_name: String,
    /// certification | award | subsidy（設定前は null）
    pub kind: Option<String>,
    /// 種類の日本語名（「認定」「表彰」「補助金」、設定前は「申請」）
    pub kind_label: String,
    /// 受付開始日・締切日（YYYY-MM-DD、なければ null）
    pub opens_on: Option<String>,
    pub closes_on: Option<String>,
    /// 受付期間の表示（「2017-04-01〜2017-06-30」）
    pub period: String,
    /// 受付開始前・受付中・受付終了（日本時間の今日で判定）
    pub state: String,
    /// 応募できる企業の条件（文章）
    pub eligibility: Vec<String>,
    /// 補助金の1件あたりの上限額（円）
    pub amount_limit: Option<i64>,
    /// 承認されて公開名簿に載った件数
    pub approved: usize,
    /// 募集のページ
    pub url: String,
    /// 申請フォーム（ログインして回答）
    pub apply_url: String,
}

fn call_dto(call: &Call, approved: usize) -> CallDto {
    CallDto {
        key: call.form.key.clone(),
        title: call.form.title.clone(),
        description: call.form.description.clone(),
        organisation: call.form.owner.key.clone(),
        organisation_name: call.form.owner.name.clone(),
        kind: call.kind().map(|k| k.code().to_owned()),
        kind_label: kind_label(call).to_owned(),
        opens_on: call.form.period.opens_on.map(|d| d.to_string()),
        closes_on: call.form.period.closes_on.map(|d| d.to_string()),
        period: call.form.period.label(),
        state: state_label(call).to_owned(),
        eligibility: eligibility_words(call),
        amount_limit: call.settings.as_ref().and_then(|s| s.amount_limit),
        approved,
        url: format!("/calls/{}", call.form.key),
        apply_url: format!("/forms/{}/answer", call.form.key),
    }
}

/// Approved registry entries per call key.
async fn approved_by_call(
    state: &AppState,
) -> Result<std::collections::HashMap<String, usize>, ApiError> {
    let mut counts = std::collections::HashMap::new();
    for entry in applications::registry(&state.store, &RegistryFilter::default()).await? {
        *counts.entry(entry.call_key).or_insert(0) += 1;
    }
    Ok(counts)
}

/// 募集の一覧（新しい順、誰でも閲覧可）
#[utoipa::path(
    get, path = "/api/v1/calls", tag = "calls",
    responses((status = 200, description = "募集の一覧（更新の新しい順）", body = Vec<CallDto>))
)]
async fn list_calls(State(state): State<AppState>) -> Result<Json<Vec<CallDto>>, ApiError> {
    let calls = applications::calls(&state.store).await?;
    let approved = approved_by_call(&state).await?;
    Ok(Json(
        calls
            .iter()
            .map(|c| call_dto(c, approved.get(&c.form.key).copied().unwrap_or(0)))
            .collect(),
    ))
}

/// 募集1件（誰でも閲覧可）
#[utoipa::path(
    get, path = "/api/v1/calls/{key}", tag = "calls",
    params(("key" = String, Path, description = "募集（フォーム）のキー")),
    responses((status = 200, description = "募集", body = CallDto),
              (status = 404, description = "その募集はありません", body = Problem, content_type = "application/problem+json"))
)]
async fn get_call(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<CallDto>, ApiError> {
    let call = applications::call(&state.store, &key).await?;
    let approved = approved_by_call(&state).await?;
    Ok(Json(call_dto(
        &call,
        approved.get(&call.form.key).copied().unwrap_or(0),
    )))
}

/// 申請の一覧の1件
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationSummaryDto {
    /// 申請番号
    pub id: i64,
    pub call_key: String,
    pub call_title: String,
    pub company_key: String,
    pub company_name: String,
    /// submitted | in_review | returned | approved | rejected
    pub status: String,
    /// 状態の日本語名
    pub status_label: String,
    /// 補助金の交付額（円、承認後）
    pub amount: Option<i64>,
    pub submitted_at: Option<String>,
    pub updated_at: String,
    /// 審査の件数と平均評点（所管団体の職員のみ。その他は 0 と null）
    pub reviews: usize,
    pub average_score: Option<f64>,
    /// 申請のページ
    pub url: String,
}

fn summary_dto(a: &ApplicationSummary) -> ApplicationSummaryDto {
    ApplicationSummaryDto {
        id: a.id,
        call_key: a.form_key.clone(),
        call_title: a.form_title.clone(),
        company_key: a.company_key.clone(),
        company_name: a.company_name.clone(),
        status: a.status.code().to_owned(),
        status_label: a.status.label().to_owned(),
        amount: a.amount,
        submitted_at: a.submitted_at.map(|t| t.to_rfc3339()),
        updated_at: a.updated_at.to_rfc3339(),
        reviews: a.reviews,
        average_score: a.average,
        url: format!("/applications/{}", a.id),
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    /// submitted | in_review | returned | approved | rejected（省略時はすべて）
    #[serde(default)]
    pub status: Option<String>,
}

/// 募集への申請の一覧（所管団体の職員のみ、古い順）
#[utoipa::path(
    get, path = "/api/v1/calls/{key}/applications", tag = "calls",
    params(("key" = String, Path, description = "募集（フォーム）のキー"), QueueParams),
    responses((status = 200, description = "申請の一覧（申請番号の順）", body = Vec<ApplicationSummaryDto>),
              (status = 401, description = "ログインが必要です", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "所管団体の職員ではありません", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "その募集はありません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "status の値が誤っています", body = Problem, content_type = "application/problem+json"))
)]
async fn call_applications(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Query(params): Query<QueueParams>,
) -> Result<Json<Vec<ApplicationSummaryDto>>, ApiError> {
    let actor = viewer.actor()?;
    let status = match params.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(
            domain::applications::ApplicationStatus::parse(code).ok_or_else(|| {
                StoreError::Invalid(vec![domain::Invalid::new(
                    "status",
                    "status は submitted・in_review・returned・approved・rejected のいずれかです。",
                )])
            })?,
        ),
    };
    let list = applications::for_call(&state.store, &actor, &key, status).await?;
    Ok(Json(list.iter().map(summary_dto).collect()))
}

/// 自分の申請（企業の担当者は自社の申請、職員は所管する募集への申請。新しい順）
#[utoipa::path(
    get, path = "/api/v1/applications", tag = "calls",
    responses((status = 200, description = "申請の一覧（新しい順）", body = Vec<ApplicationSummaryDto>),
              (status = 401, description = "ログインが必要です", body = Problem, content_type = "application/problem+json"))
)]
async fn my_applications(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Vec<ApplicationSummaryDto>>, ApiError> {
    let actor = viewer.actor()?;
    let list = applications::mine(&state.store, &actor).await?;
    Ok(Json(list.iter().map(summary_dto).collect()))
}

/// 審査1件
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewDto {
    /// 審査した職員のメールアドレス
    pub reviewer: String,
    /// 評点（0〜100）
    pub score: u8,
    pub comment: String,
    pub updated_at: String,
}

/// 状態の変化1件
#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionDto {
    /// 変化の前の状態（最初の提出では null）
    pub from: Option<String>,
    pub to: String,
    /// 変化の後の状態の日本語名
    pub to_label: String,
    /// 操作した人のメールアドレス
    pub by: String,
    pub comment: String,
    pub at: String,
}

/// 申請1件（申請企業の担当者と所管団体の職員のみ）
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationDto {
    #[serde(flatten)]
    pub summary: ApplicationSummaryDto,
    /// 審査（所管団体の職員のみ。その他は空）
    pub review_list: Vec<ReviewDto>,
    pub history: Vec<TransitionDto>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    /// 承認されて載った公開名簿のスラッグ（/registry/{slug}）
    pub registry_slug: Option<String>,
    /// 閲覧者が審査できること、決定できること
    pub may_review: bool,
    pub may_decide: bool,
    /// 閲覧者が利害関係のため審査・決定できない理由
    pub stake: Option<String>,
}

fn application_dto(a: &Application) -> ApplicationDto {
    ApplicationDto {
        summary: summary_dto(&a.summary),
        review_list: a
            .reviews
            .iter()
            .map(|r| ReviewDto {
                reviewer: r.email.clone(),
                score: r.score,
                comment: r.comment.clone(),
                updated_at: r.updated_at.to_rfc3339(),
            })
            .collect(),
        history: a
            .history
            .iter()
            .map(|t| TransitionDto {
                from: t.from.map(|s| s.code().to_owned()),
                to: t.to.code().to_owned(),
                to_label: t.to.label().to_owned(),
                by: t.email.clone(),
                comment: t.comment.clone(),
                at: t.at.to_rfc3339(),
            })
            .collect(),
        decided_by: a.decided_by.clone(),
        decided_at: a.decided_at.map(|t| t.to_rfc3339()),
        registry_slug: a.registry_slug.clone(),
        may_review: a.viewer_may_review,
        may_decide: a.viewer_may_decide,
        stake: a.viewer_stake.clone(),
    }
}

fn parse_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError(StoreError::not_found("申請").into()))
}

/// 申請1件（申請企業の担当者と所管団体の職員のみ。それ以外には 404）
#[utoipa::path(
    get, path = "/api/v1/applications/{id}", tag = "calls",
    params(("id" = String, Path, description = "申請番号")),
    responses((status = 200, description = "申請と審査・経過", body = ApplicationDto),
              (status = 401, description = "ログインが必要です", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "その申請はないか、閲覧できません", body = Problem, content_type = "application/problem+json"))
)]
async fn get_application(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Json<ApplicationDto>, ApiError> {
    let actor = viewer.actor()?;
    let application = applications::get(&state.store, &actor, parse_id(&id)?).await?;
    Ok(Json(application_dto(&application)))
}

/// 審査の登録・変更
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReviewBody {
    /// 評点（0〜100の整数を文字列で。例: "80"）
    #[serde(default)]
    pub score: String,
    #[serde(default)]
    pub comment: String,
}

/// 審査の登録・変更（所管団体の審査担当職員。決定までは何度でも変更可）
#[utoipa::path(
    post, path = "/api/v1/applications/{id}/reviews", tag = "calls", request_body = ReviewBody,
    params(("id" = String, Path, description = "申請番号")),
    responses((status = 201, description = "登録した審査", body = ReviewDto),
              (status = 403, description = "審査担当の職員ではありません", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "その申請はないか、閲覧できません", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "決定済みの申請です", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "評点・コメントの誤り", body = Problem, content_type = "application/problem+json"))
)]
async fn review_application(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let review = applications::review(
        &state.store,
        &actor,
        parse_id(&id)?,
        &body.score,
        &body.comment,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ReviewDto {
            reviewer: review.email,
            score: review.score,
            comment: review.comment,
            updated_at: review.updated_at.to_rfc3339(),
        }),
    )
        .into_response())
}

/// 審査の手続き
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct StepBody {
    /// start_review（審査開始）| return（差戻し）| approve（承認）| reject（不承認）
    #[serde(default)]
    pub action: String,
    /// 理由・連絡事項（差戻しでは必須）
    #[serde(default)]
    pub comment: String,
    /// 補助金の交付額（円、承認のとき。例: "50000"）
    #[serde(default)]
    pub amount: String,
}

/// 手続きの後の状態
#[derive(Debug, Serialize, ToSchema)]
pub struct StepDto {
    pub status: String,
    pub status_label: String,
}

/// 審査の手続きを進める（所管団体の職員のうち利害関係のない人）
#[utoipa::path(
    post, path = "/api/v1/applications/{id}/steps", tag = "calls", request_body = StepBody,
    params(("id" = String, Path, description = "申請番号")),
    responses((status = 200, description = "手続きの後の状態", body = StepDto),
              (status = 403, description = "この申請を決定できません", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "その申請はないか、閲覧できません", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "今の状態ではその手続きはできません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "手続き・理由・交付額の誤り", body = Problem, content_type = "application/problem+json"))
)]
async fn step_application(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StepBody>,
) -> Result<Json<StepDto>, ApiError> {
    let actor = viewer.actor()?;
    let status = applications::act(
        &state.store,
        &actor,
        parse_id(&id)?,
        &body.action,
        &body.comment,
        &body.amount,
    )
    .await?;
    Ok(Json(StepDto {
        status: status.code().to_owned(),
        status_label: status.label().to_owned(),
    }))
}

// ---------------------------------------------------------------- a call's settings

/// 募集の設定（審査員のメールアドレスを含むため、所管団体の職員と事務局のみ）
#[derive(Debug, Serialize, ToSchema)]
pub struct CallSettingsDto {
    /// 募集のキー
    pub call: String,
    /// certification（認定）| award（表彰）| subsidy（補助金）
    pub kind: String,
    /// 承認で公開名簿に載せる区分（product | technique | award。載せない・設問で決める場合は空）
    pub registry_kind: String,
    /// 区分（product・technique・award）を答える単一選択の設問のID（空なら registry_kind）
    pub category_question: String,
    /// 掲載名（製品名・技術名）と概要を答える設問のID（空なら企業名・概要なし）
    pub title_question: String,
    pub summary_question: String,
    /// 補助金の1件あたりの上限額（円）
    pub amount_limit: Option<i64>,
    /// 審査員のメールアドレス
    pub reviewers: Vec<String>,
    /// 設定のページ
    pub url: String,
}

fn settings_dto(key: &str, input: &domain::applications::CallInput) -> CallSettingsDto {
    CallSettingsDto {
        call: key.to_owned(),
        kind: input.kind.clone(),
        registry_kind: input.registry_kind.clone(),
        category_question: input.category_question.clone(),
        title_question: input.title_question.clone(),
        summary_question: input.summary_question.clone(),
        amount_limit: input.amount_limit.trim().parse().ok(),
        reviewers: input.reviewer_emails(),
        url: format!("/calls/{key}/settings"),
    }
}

/// 募集の設定（所管団体の職員と事務局のみ。ページの「募集の設定」と同じ内容）
#[utoipa::path(
    get, path = "/api/v1/calls/{key}/settings", tag = "calls",
    params(("key" = String, Path, description = "募集（フォーム）のキー")),
    responses((status = 200, description = "募集の設定", body = CallSettingsDto),
              (status = 401, description = "ログインが必要です", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "所管団体の職員ではありません", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "その募集はありません", body = Problem, content_type = "application/problem+json"))
)]
async fn get_call_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Json<CallSettingsDto>, ApiError> {
    let actor = viewer.actor()?;
    let (_, input) = crate::pages::applications::settings_of(&state, &actor, &key).await?;
    Ok(Json(settings_dto(&key, &input)))
}

/// 募集の設定（本文。省略した項目は空として扱います）
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CallSettingsBody {
    /// certification | award | subsidy
    #[serde(default)]
    pub kind: String,
    /// product | technique | award（載せない・設問で決める場合は空）
    #[serde(default)]
    pub registry_kind: String,
    #[serde(default)]
    pub category_question: String,
    #[serde(default)]
    pub title_question: String,
    #[serde(default)]
    pub summary_question: String,
    /// 補助金の1件あたりの上限額（円）
    #[serde(default)]
    pub amount_limit: Option<i64>,
    /// 審査員のメールアドレス（アカウントのある職員）
    #[serde(default)]
    pub reviewers: Vec<String>,
}

/// 募集の設定を保存する（所管団体の職員と事務局のみ。ページの「募集の設定」と同じ処理）
#[utoipa::path(
    put, path = "/api/v1/calls/{key}/settings", tag = "calls",
    request_body = CallSettingsBody,
    params(("key" = String, Path, description = "募集（フォーム）のキー")),
    responses((status = 200, description = "保存した設定", body = CallSettingsDto),
              (status = 403, description = "所管団体の職員ではありません", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "その募集はありません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "種類・区分・設問・上限額・審査員の誤り", body = Problem, content_type = "application/problem+json"))
)]
async fn put_call_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<CallSettingsBody>,
) -> Result<Json<CallSettingsDto>, ApiError> {
    let actor = viewer.actor()?;
    let input = domain::applications::CallInput {
        kind: body.kind,
        registry_kind: body.registry_kind,
        category_question: body.category_question,
        title_question: body.title_question,
        summary_question: body.summary_question,
        amount_limit: body.amount_limit.map(|v| v.to_string()).unwrap_or_default(),
        reviewers: body.reviewers.join("\n"),
    };
    applications::save_call(&state.store, &actor, &key, &input).await?;
    let (_, saved) = crate::pages::applications::settings_of(&state, &actor, &key).await?;
    Ok(Json(settings_dto(&key, &saved)))
}
