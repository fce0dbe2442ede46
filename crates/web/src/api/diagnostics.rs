//! `/api/v1/forms/{key}/diagnoses` and `/api/v1/forms/{key}/survey`: a diagnostic's
//! list of diagnosed companies with their scores and follow-ups, one company's
//! result and follow-up records, and a survey's distribution and answer tracking.
//! The same store calls as `pages::forms::diagnostics` and `pages::surveys`: the
//! owning organisation's staff see the lists, a company's members its own result.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use domain::forms::scoring::{Diagnosis, Score};
use serde::{Deserialize, Serialize};
use store::StoreError;
use store::diagnostics::{self, DiagnosisRow, FollowUp, FollowUpDraft};
use store::surveys::{self, InvitationStatus};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiJson, Problem};
use crate::AppState;
use crate::auth::Viewer;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_diagnoses))
        .routes(routes!(company_result))
        .routes(routes!(company_followups, add_followup))
        .routes(routes!(survey_tracking))
}

/// 分野（または全体）の得点と判定
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreDto {
    pub key: String,
    pub label: String,
    pub points: i32,
    pub max: i32,
    /// 満点に対する割合（%、切り捨て）
    pub percent: u8,
    /// 判定区分のキーと名称
    pub band: String,
    pub band_label: String,
    /// 判定に応じた助言
    pub advice: String,
}

fn score_dto(s: &Score) -> ScoreDto {
    ScoreDto {
        key: s.key.clone(),
        label: s.label.clone(),
        points: s.points,
        max: s.max,
        percent: s.percent,
        band: s.band_key.clone(),
        band_label: s.band_label.clone(),
        advice: s.advice.clone(),
    }
}

/// 診断の結果（全体と分野ごと）
#[derive(Debug, Serialize, ToSchema)]
pub struct DiagnosisDto {
    pub total: ScoreDto,
    pub areas: Vec<ScoreDto>,
}

fn diagnosis_dto(d: &Diagnosis) -> DiagnosisDto {
    DiagnosisDto {
        total: score_dto(&d.total),
        areas: d.areas.iter().map(score_dto).collect(),
    }
}

/// 診断を受けた企業1社
#[derive(Debug, Serialize, ToSchema)]
pub struct DiagnosedCompanyDto {
    pub company_key: String,
    pub company_name: String,
    /// draft（下書き）| submitted（提出済み）
    pub status: String,
    pub submitted_at: Option<String>,
    /// 提出済みの回答の診断結果（下書きでは null）
    pub diagnosis: Option<DiagnosisDto>,
    /// フォローアップの件数と最後の日付（YYYY-MM-DD）
    pub followups: usize,
    pub last_followup: Option<String>,
}

fn row_dto(r: &DiagnosisRow) -> DiagnosedCompanyDto {
    DiagnosedCompanyDto {
        company_key: r.company_key.clone(),
        company_name: r.company_name.clone(),
        status: r.status.code().to_owned(),
        submitted_at: r.submitted_at.map(|t| t.to_rfc3339()),
        diagnosis: r.diagnosis.as_ref().map(diagnosis_dto),
        followups: r.followups,
        last_followup: r.last_followup.clone(),
    }
}

/// 診断を受けた企業の一覧と結果（診断を所管する団体の職員のみ）
#[utoipa::path(
    get, path = "/api/v1/forms/{key}/diagnoses", tag = "forms",
    params(("key" = String, Path, description = "診断（フォーム）のキー")),
    responses((status = 200, description = "診断を受けた企業と結果", body = Vec<DiagnosedCompanyDto>),
              (status = 401, description = "ログインが必要です", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "所管団体の職員ではありません", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "その診断はありません", body = Problem, content_type = "application/problem+json"))
)]
async fn list_diagnoses(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Json<Vec<DiagnosedCompanyDto>>, ApiError> {
    let actor = viewer.actor()?;
    let (_, rows) = diagnostics::diagnoses(&state.store, &actor, &key).await?;
    Ok(Json(rows.iter().map(row_dto).collect()))
}

/// 1社の診断結果
#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyResultDto {
    pub form_key: String,
    pub form_title: String,
    pub company_key: String,
    pub company_name: String,
    /// draft（下書き）| submitted（提出済み）
    pub status: String,
    pub submitted_at: Option<String>,
    /// 診断結果（採点のない診断や下書きでは null）
    pub diagnosis: Option<DiagnosisDto>,
    /// 印刷用の診断結果のページ
    pub url: String,
}

/// 1社の診断結果（その企業の担当者と、診断を所管する団体の職員）
#[utoipa::path(
    get, path = "/api/v1/forms/{key}/diagnoses/{company}", tag = "forms",
    params(("key" = String, Path, description = "診断（フォーム）のキー"),
           ("company" = String, Path, description = "企業のキー")),
    responses((status = 200, description = "その企業の診断結果", body = CompanyResultDto),
              (status = 401, description = "ログインが必要です", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "この企業の結果は閲覧できません", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "その診断か、その企業の回答がありません", body = Problem, content_type = "application/problem+json"))
)]
async fn company_result(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, company)): Path<(String, String)>,
) -> Result<Json<CompanyResultDto>, ApiError> {
    let actor = viewer.actor()?;
    let (form, response, diagnosis) =
        diagnostics::result(&state.store, &actor, &key, &company).await?;
    Ok(Json(CompanyResultDto {
        url: format!(
            "/forms/{}/result?company={}",
            form.key, response.company_key
        ),
        form_key: form.key,
        form_title: form.title,
        company_key: response.company_key,
        company_name: response.company_name,
        status: response.status.code().to_owned(),
        submitted_at: response.submitted_at.map(|t| t.to_rfc3339()),
        diagnosis: diagnosis.as_ref().map(diagnosis_dto),
    }))
}

/// 診断後のフォローアップ1件
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpDto {
    pub id: i64,
    /// 実施日（YYYY-MM-DD）
    pub happened_on: String,
    /// 面談・電話・訪問・専門家派遣・融資相談・その他
    pub kind: String,
    /// 連携先（金融機関、専門家など）
    pub partner: String,
    pub note: String,
    /// 次の対応とその予定日
    pub next_action: String,
    pub next_on: Option<String>,
    /// 記録した職員
    pub recorded_by: String,
}

fn followup_dto(f: &FollowUp) -> FollowUpDto {
    FollowUpDto {
        id: f.id,
        happened_on: f.happened_on.clone(),
        kind: f.kind.clone(),
        partner: f.partner.clone(),
        note: f.note.clone(),
        next_action: f.next_action.clone(),
        next_on: f.next_on.clone(),
        recorded_by: f.recorded_by.clone(),
    }
}

/// 1社の診断後のフォローアップの記録（古い順。診断を所管する団体の職員のみ）
#[utoipa::path(
    get, path = "/api/v1/forms/{key}/diagnoses/{company}/followups", tag = "forms",
    params(("key" = String, Path, description = "診断（フォーム）のキー"),
           ("company" = String, Path, description = "企業のキー")),
    responses((status = 200, description = "フォローアップの記録（古い順）", body = Vec<FollowUpDto>),
              (status = 401, description = "ログインが必要です", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "所管団体の職員ではありません", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "その診断か企業がありません", body = Problem, content_type = "application/problem+json"))
)]
async fn company_followups(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, company)): Path<(String, String)>,
) -> Result<Json<Vec<FollowUpDto>>, ApiError> {
    let actor = viewer.actor()?;
    let records = diagnostics::followups(&state.store, &actor, &key, &company).await?;
    Ok(Json(records.iter().map(followup_dto).collect()))
}

/// 診断後のフォローアップの記録
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct FollowUpBody {
    /// 実施日（YYYY-MM-DD）
    #[serde(default)]
    pub happened_on: String,
    /// 面談・電話・訪問・専門家派遣・融資相談・その他
    #[serde(default)]
    pub kind: String,
    /// 連携先（金融機関、専門家など）
    #[serde(default)]
    pub partner: String,
    #[serde(default)]
    pub note: String,
    /// 次の対応とその予定日（YYYY-MM-DD、なければ空）
    #[serde(default)]
    pub next_action: String,
    #[serde(default)]
    pub next_on: String,
}

/// 診断後のフォローアップを記録する（診断を所管する団体の職員のみ）
#[utoipa::path(
    post, path = "/api/v1/forms/{key}/diagnoses/{company}/followups", tag = "forms",
    request_body = FollowUpBody,
    params(("key" = String, Path, description = "診断（フォーム）のキー"),
           ("company" = String, Path, description = "企業のキー")),
    responses((status = 201, description = "記録しました（その企業の記録の一覧、古い順）", body = Vec<FollowUpDto>),
              (status = 403, description = "所管団体の職員ではありません", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "その診断か企業がありません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "実施日・種類・内容・予定日の誤り", body = Problem, content_type = "application/problem+json"))
)]
async fn add_followup(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, company)): Path<(String, String)>,
    ApiJson(body): ApiJson<FollowUpBody>,
) -> Result<(StatusCode, Json<Vec<FollowUpDto>>), ApiError> {
    let actor = viewer.actor()?;
    let draft = FollowUpDraft::from_text(
        &body.happened_on,
        &body.kind,
        &body.partner,
        &body.note,
        &body.next_action,
        &body.next_on,
    )?;
    diagnostics::add_followup(&state.store, &actor, &key, &company, &draft).await?;
    let records = diagnostics::followups(&state.store, &actor, &key, &company).await?;
    Ok((
        StatusCode::CREATED,
        Json(records.iter().map(followup_dto).collect()),
    ))
}

/// 調査の配布数と回答状況
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyCountsDto {
    /// 配布した件数、開封された件数
    pub sent: u64,
    pub opened: u64,
    /// 状態ごとの件数（未開封・開封のみ・下書き・提出済み）
    pub unopened: u64,
    pub opened_only: u64,
    pub draft: u64,
    pub submitted: u64,
    /// 回答率（%、提出済み÷配布）
    pub response_rate: f64,
    /// 督促の回数と最後の督促の日時
    pub reminder_rounds: u32,
    pub last_reminded: Option<String>,
}

/// 配布先1社の状況
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyInvitationDto {
    pub company_key: String,
    pub company_name: String,
    /// 市区名
    pub city: String,
    pub contact_name: String,
    pub contact_email: String,
    /// unopened | opened | draft | submitted
    pub status: String,
    /// 状態の日本語名
    pub status_label: String,
    pub sent_at: String,
    pub opened_at: Option<String>,
    /// 督促した回数
    pub reminders: u32,
    pub reminded_at: Option<String>,
    /// 回答リンク（ログイン不要。配布先だけに知らせてください）
    pub link: String,
}

/// 調査の回答状況の1ページ
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyTrackingDto {
    pub counts: SurveyCountsDto,
    /// 条件に合う配布先の件数
    pub matching: u64,
    /// ページ番号（1から）とページ数（1ページ50件）
    pub page: usize,
    pub pages: usize,
    pub invitations: Vec<SurveyInvitationDto>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrackingParams {
    /// unopened | opened | draft | submitted（省略時はすべて）
    #[serde(default)]
    pub status: Option<String>,
    /// ページ番号（1から、50件ずつ）
    #[serde(default)]
    pub page: Option<u32>,
}

/// 調査の配布と回答状況（調査を所管する団体の職員のみ）
#[utoipa::path(
    get, path = "/api/v1/forms/{key}/survey", tag = "forms",
    params(("key" = String, Path, description = "調査（フォーム）のキー"), TrackingParams),
    responses((status = 200, description = "配布数・回答数と配布先の1ページ", body = SurveyTrackingDto),
              (status = 401, description = "ログインが必要です", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "所管団体の職員ではありません", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "その調査はありません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "status の値が誤っています", body = Problem, content_type = "application/problem+json"))
)]
async fn survey_tracking(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: axum::http::HeaderMap,
    Path(key): Path<String>,
    Query(params): Query<TrackingParams>,
) -> Result<Json<SurveyTrackingDto>, ApiError> {
    let actor = viewer.actor()?;
    let status = match params.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(InvitationStatus::parse(code).ok_or_else(|| {
            StoreError::Invalid(vec![domain::Invalid::new(
                "status",
                "status は unopened・opened・draft・submitted のいずれかです。",
            )])
        })?),
    };
    let page = usize::try_from(params.page.unwrap_or(1)).unwrap_or(1);
    let tracking = surveys::tracking(&state.store, &actor, &key, status, page).await?;
    let base = state.origin(&headers);
    let c = &tracking.counts;
    Ok(Json(SurveyTrackingDto {
        counts: SurveyCountsDto {
            sent: c.sent,
            opened: c.opened,
            unopened: c.unopened,
            opened_only: c.opened_only,
            draft: c.draft,
            submitted: c.submitted,
            response_rate: c.response_rate(),
            reminder_rounds: c.reminder_rounds,
            last_reminded: c.last_reminded.map(|t| t.to_rfc3339()),
        },
        matching: tracking.matching,
        page: tracking.page,
        pages: tracking.pages,
        invitations: tracking
            .rows
            .iter()
            .map(|i| SurveyInvitationDto {
                company_key: i.company_key.clone(),
                company_name: i.company_name.clone(),
                city: i.city.clone(),
                contact_name: i.contact_name.clone(),
                contact_email: i.contact_email.clone(),
                status: i.status.code().to_owned(),
                status_label: i.status.label().to_owned(),
                sent_at: i.sent_at.to_rfc3339(),
                opened_at: i.opened_at.map(|t| t.to_rfc3339()),
                reminders: i.reminders,
                reminded_at: i.reminded_at.map(|t| t.to_rfc3339()),
                link: format!("{base}/s/{}", i.token),
            })
            .collect(),
    }))
}
