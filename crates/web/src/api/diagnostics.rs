//! `/api/v1/forms/{key}/diagnoses` and `/api/v1/forms/{key}/survey`: a diagnostic's
//! list of diagnosed companies with their scores and follow-ups, one company's
//! result and follow-up records, and a survey's distribution and answer tracking.
//! The same store calls as `pages::forms::diagnostics` and `pages::surveys`: the
//! owning organisation's staff see the lists, a company's members its own result.
//! The staff's actions of those pages have their twins here: sending a survey to
//! the directory, uploading a company list to send to, reminding, and writing a
//! diagnostic's figures into an initiative's KPIs.

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

use store::survey_mail::{Mailed, Notify};

use super::{ApiError, ApiJson, Problem};
use crate::AppState;
use crate::auth::Viewer;
use crate::pages::surveys::{RecipientsInput, recipients_checked, upload_list};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_diagnoses))
        .routes(routes!(company_result))
        .routes(routes!(company_followups, add_followup))
        .routes(routes!(survey_tracking))
        .routes(routes!(survey_send))
        .routes(routes!(survey_upload))
        .routes(routes!(survey_remind))
        .routes(routes!(feed_diagnosis_kpis))
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
    /// デモデータ（架空の企業の申込・回答）であること。協議会の実績（KPI）には数えません
    pub demo: bool,
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
        demo: r.demo,
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
    /// デモデータ（架空の企業）であること
    pub demo: bool,
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
                demo: i.demo,
            })
            .collect(),
    }))
}

// ---------------------------------------------------------------- KPI feeding

/// 記録から数えた実績を施策のKPIに反映する（本文）
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct KpiFeedBody {
    /// 反映先の施策のキー（自団体の施策）
    #[serde(default)]
    pub initiative: String,
    /// 年度（2016 や 平成28年度）
    #[serde(default)]
    pub fy: String,
}

/// 反映したKPIの1項目
#[derive(Debug, Serialize, ToSchema)]
pub struct FedKpiDto {
    pub label: String,
    pub value: u64,
    pub unit: String,
}

/// 施策のKPIに反映した実績（デモデータ＝架空の記録は数えません）
#[derive(Debug, Serialize, ToSchema)]
pub struct FedKpisDto {
    /// 反映先の施策のキー
    pub initiative: String,
    /// 年度（西暦の開始年）と和暦表記
    pub fy: i32,
    pub fy_label: String,
    pub kpis: Vec<FedKpiDto>,
    /// 反映先の施策のページ
    pub url: String,
}

/// The year of a KPI feed, as the pages read it: `fy` in the problem when unreadable.
pub(crate) fn feed_year(text: &str) -> Result<domain::FiscalYear, ApiError> {
    domain::FiscalYear::parse(text.trim())
        .map_err(|e| StoreError::Invalid(vec![domain::Invalid::new("fy", e.reason)]).into())
}

pub(crate) fn fed_kpis_dto(
    initiative: &str,
    fy: domain::FiscalYear,
    kpis: impl IntoIterator<Item = (&'static str, u64, &'static str)>,
) -> FedKpisDto {
    FedKpisDto {
        initiative: initiative.to_owned(),
        fy: fy.year(),
        fy_label: fy.wareki_label(),
        kpis: kpis
            .into_iter()
            .map(|(label, value, unit)| FedKpiDto {
                label: label.to_owned(),
                value,
                unit: unit.to_owned(),
            })
            .collect(),
        url: format!("/initiatives/{initiative}#fy-{}", fy.year()),
    }
}

/// 診断の申込企業数・無料診断実施企業数を施策のKPIに反映する（診断を所管する団体の職員のみ。ページの「施策のKPIに反映」と同じ処理。デモデータ＝架空の企業の申込は数えず、その年度の記録が架空の企業のものだけなら反映しません）
#[utoipa::path(
    post, path = "/api/v1/forms/{key}/kpis", tag = "forms",
    request_body = KpiFeedBody,
    params(("key" = String, Path, description = "診断（フォーム）のキー")),
    responses((status = 200, description = "反映した申込企業数と無料診断実施企業数", body = FedKpisDto),
              (status = 403, description = "所管団体の職員ではない、またはその施策を編集できません", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "その診断か施策がありません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "年度の誤り、またはその年度の記録がデモデータだけです", body = Problem, content_type = "application/problem+json"))
)]
async fn feed_diagnosis_kpis(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<KpiFeedBody>,
) -> Result<Json<FedKpisDto>, ApiError> {
    let actor = viewer.actor()?;
    let fy = feed_year(&body.fy)?;
    let (applied, diagnosed) =
        diagnostics::feed_kpis(&state.store, &actor, &key, &body.initiative, fy).await?;
    Ok(Json(fed_kpis_dto(
        &body.initiative,
        fy,
        [
            (diagnostics::KPI_LABELS[0], applied, "社"),
            (diagnostics::KPI_LABELS[1], diagnosed, "社"),
        ],
    )))
}

// ---------------------------------------------------------------- survey distribution

/// メールで知らせた結果
#[derive(Debug, Serialize, ToSchema)]
pub struct MailedDto {
    /// 送信待ちに入れたメールの数
    pub queued: u64,
    /// 連絡先のメールアドレスがない配布先の数（回答リンクを手渡ししてください）
    pub no_address: u64,
    /// この団体の調査メールを配信停止している配布先の数
    pub unsubscribed: u64,
}

fn mailed_dto(m: Mailed) -> MailedDto {
    MailedDto {
        queued: m.queued,
        no_address: m.no_address,
        unsubscribed: m.unsubscribed,
    }
}

/// ディレクトリの企業に配布する（本文。空の条件は絞り込みません）
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SurveySendBody {
    /// 市区のキー（kawaguchi など）
    #[serde(default)]
    pub city: String,
    /// 業種（日本標準産業分類の中分類コード、24 など）
    #[serde(default)]
    pub industry: String,
    /// 規模（micro | small | large）
    #[serde(default)]
    pub size: String,
    /// true で配布先にメールでも知らせる（false は回答リンクを作るだけ）
    #[serde(default)]
    pub mail: bool,
}

/// 配布した結果
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveySentDto {
    /// 新たに配布した企業の数
    pub invited: u64,
    /// 配布済みだった企業の数（二重には配布しません）
    pub already: u64,
    pub mail: MailedDto,
}

fn notify(mail: bool) -> Notify {
    if mail {
        Notify::Mail
    } else {
        Notify::LinksOnly
    }
}

/// 調査をディレクトリの企業に配布する（調査を所管する団体の職員のみ。ページの「配布する」と同じ処理）
#[utoipa::path(
    post, path = "/api/v1/forms/{key}/survey/send", tag = "forms",
    request_body = SurveySendBody,
    params(("key" = String, Path, description = "調査（フォーム）のキー")),
    responses((status = 200, description = "配布した企業の数とメールの送信", body = SurveySentDto),
              (status = 403, description = "所管団体の職員ではありません", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "その調査はありません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "業種・規模の誤り、または調査ではないフォーム", body = Problem, content_type = "application/problem+json"))
)]
async fn survey_send(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<SurveySendBody>,
) -> Result<Json<SurveySentDto>, ApiError> {
    let actor = viewer.actor()?;
    let recipients = recipients_checked(&RecipientsInput {
        city: body.city,
        industry: body.industry,
        size: body.size,
    })
    .map_err(StoreError::Invalid)?;
    let sent =
        surveys::send_to_directory_with(&state.store, &actor, &key, &recipients, notify(body.mail))
            .await?;
    Ok(Json(SurveySentDto {
        invited: sent.invited,
        already: sent.already,
        mail: mailed_dto(sent.mail),
    }))
}

/// 督促する（本文）
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SurveyRemindBody {
    /// true で未提出の配布先にメールでも督促する（false は督促の回を記録するだけ）
    #[serde(default)]
    pub mail: bool,
}

/// 督促した結果
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyRemindedDto {
    /// 督促した（未提出の）企業の数
    pub reminded: u64,
    /// 何回目の督促か
    pub round: u32,
    pub mail: MailedDto,
}

/// 未提出の配布先に督促する（調査を所管する団体の職員のみ。ページの「督促する」と同じ処理）
#[utoipa::path(
    post, path = "/api/v1/forms/{key}/survey/remind", tag = "forms",
    request_body = SurveyRemindBody,
    params(("key" = String, Path, description = "調査（フォーム）のキー")),
    responses((status = 200, description = "督促した企業の数とメールの送信", body = SurveyRemindedDto),
              (status = 403, description = "所管団体の職員ではありません", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "その調査はありません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "督促できません（未提出の配布先がない、など）", body = Problem, content_type = "application/problem+json"))
)]
async fn survey_remind(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<SurveyRemindBody>,
) -> Result<Json<SurveyRemindedDto>, ApiError> {
    let actor = viewer.actor()?;
    let reminded = surveys::remind_with(&state.store, &actor, &key, notify(body.mail)).await?;
    Ok(Json(SurveyRemindedDto {
        reminded: reminded.reminded,
        round: reminded.round,
        mail: mailed_dto(reminded.mail),
    }))
}

/// 企業の一覧ファイル（multipart/form-data）
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SurveyUploadForm {
    /// 企業の一覧（CSV〔UTF-8 または Shift_JIS〕か XLSX。見出しは企業の取り込みと同じ：法人番号・会社名・フリガナ・市区町村…）
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// 1 で配布先にメールでも知らせる（省略時は回答リンクを作るだけ）
    pub mail: Option<String>,
}

/// 取り込めなかった行
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedRowDto {
    /// ファイルの行番号
    pub line: u64,
    /// 理由のコード（invalid、warning など）と日本語の理由
    pub code: String,
    pub reason: String,
}

/// 一覧を取り込んで配布した結果
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyUploadedDto {
    /// ディレクトリに新たに登録した企業と更新した企業の数
    pub inserted: u64,
    pub updated: u64,
    /// 新たに配布した企業と配布済みだった企業の数
    pub invited: u64,
    pub already: u64,
    pub mail: MailedDto,
    /// 取り込めなかった行（先頭の100行）とその総数
    pub rejected: Vec<RejectedRowDto>,
    pub rejected_total: u64,
}

/// 企業の一覧ファイルを取り込み、その全社に調査を配布する（調査を所管する団体の職員のみ。ページの「一覧から配布」と同じ処理。取り込めない一覧は何も取り込まず、配布もしません）
#[utoipa::path(
    post, path = "/api/v1/forms/{key}/survey/upload", tag = "forms",
    request_body(content = SurveyUploadForm, content_type = "multipart/form-data"),
    params(("key" = String, Path, description = "調査（フォーム）のキー")),
    responses((status = 200, description = "取り込みと配布の結果", body = SurveyUploadedDto),
              (status = 403, description = "所管団体の職員ではありません", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "その調査はありません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "ファイルがない・読めない・取り込める行がない（理由は errors の file）", body = Problem, content_type = "application/problem+json"))
)]
async fn survey_upload(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<SurveyUploadedDto>, ApiError> {
    let actor = viewer.actor()?;
    // Who may send the survey is decided before the file is read.
    surveys::counts(&state.store, &actor, &key).await?;
    let mut multipart = multipart.map_err(|_| {
        crate::WebError::BadRequest(
            "multipart/form-data で file（企業の一覧）を送ってください。".to_owned(),
        )
    })?;
    let mut bytes = Vec::new();
    let mut mail = false;
    let mut refusals = Vec::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("mail") => mail = field.text().await.is_ok_and(|v| v == "1"),
            Some("file") => match field.bytes().await {
                Ok(b) => bytes = b.to_vec(),
                Err(_) => refusals.push("ファイルを受け取れませんでした（2MBまで）。".to_owned()),
            },
            _ => {}
        }
    }
    if bytes.is_empty() && refusals.is_empty() {
        refusals
            .push("企業の一覧ファイル（CSVまたはXLSX）を file として送ってください。".to_owned());
    }
    if refusals.is_empty() {
        match upload_list(&state, &actor, &key, &bytes, notify(mail)).await? {
            Ok(uploaded) => {
                return Ok(Json(SurveyUploadedDto {
                    inserted: uploaded.inserted,
                    updated: uploaded.updated,
                    invited: uploaded.invited,
                    already: uploaded.already,
                    mail: mailed_dto(uploaded.mail),
                    rejected_total: uploaded.rejected_total,
                    rejected: uploaded
                        .rejected
                        .into_iter()
                        .take(100)
                        .map(|r| RejectedRowDto {
                            line: r.line,
                            code: r.code,
                            reason: r.reason,
                        })
                        .collect(),
                }));
            }
            Err(lines) => refusals = lines,
        }
    }
    Err(StoreError::Invalid(
        refusals
            .into_iter()
            .map(|reason| domain::Invalid::new("file", reason))
            .collect(),
    )
    .into())
}
