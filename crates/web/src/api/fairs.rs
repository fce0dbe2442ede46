//! `/api/v1` for matching fairs (商談会): the fairs a signed-in user sees, one fair
//! with its participants and the requests the caller may see, setting a fair up,
//! requesting and answering meetings, running the scheduler, a participant's own
//! schedule, the deadline pass and each meeting's outcome after the fair.
//!
//! The same store calls as the pages: the store's `Fair` decides who may act for
//! which company and who sees which request.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::fairs::{
    FairDraft, FairInput, FairRole, MeetingOutcome, RequestPriority, parse_availability,
};
use serde::{Deserialize, Serialize};
use store::StoreError;
use store::fairs::{self, Fair, MeetingRequest};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiJson, Problem};
use crate::AppState;
use crate::auth::Viewer;
use domain::time::japan_today;

/// How long a scheduling run through the API may take.
const SCHEDULE_BUDGET: Duration = Duration::from_secs(2);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_fairs, create_fair))
        .routes(routes!(get_fair))
        .routes(routes!(save_participant))
        .routes(routes!(request_meeting))
        .routes(routes!(answer))
        .routes(routes!(run_schedule))
        .routes(routes!(expire))
        .routes(routes!(personal_schedule))
        .routes(routes!(record_outcome))
}

/// 商談会の概要
#[derive(Debug, Serialize, ToSchema)]
pub struct FairSummaryDto {
    pub key: String,
    pub name: String,
    /// 主催団体のキー
    pub organisation: String,
    pub organisation_name: String,
    /// 開催日（2027-02-10）
    pub date: String,
    /// 開始時刻（13:00）
    pub start_time: String,
    pub slot_count: u16,
    pub slot_minutes: u16,
    pub table_count: u16,
    /// 申込締切（この日まで）
    pub request_deadline: String,
    /// 1社あたりの申込の上限
    pub request_cap: u16,
    /// 参加企業の数（詳細では participants に一覧）
    pub participant_count: usize,
    /// 面談の申込の数（詳細では requests に一覧）
    pub request_count: usize,
    /// 割り当てを実行した日時（未実行なら null）
    pub scheduled_at: Option<String>,
    /// 呼び出した人が設定・割り当てを行えるか
    pub editable: bool,
}

/// 参加企業
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantDto {
    /// 企業キー
    pub company: String,
    pub name: String,
    pub city: String,
    /// buyer（発注側）| supplier（受注側）
    pub role: String,
    /// 参加できる枠（1から。例: [1,2,3]）
    pub available: Vec<u16>,
}

/// 面談の申込と、その割り当て
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingRequestDto {
    pub id: i64,
    /// 申し込んだ企業のキー
    pub from: String,
    /// 申し込まれた企業のキー
    pub to: String,
    /// must | should | could
    pub priority: String,
    /// pending | accepted | declined | expired
    pub status: String,
    /// 割り当てられた枠（1から）
    pub slot: Option<u16>,
    /// 割り当てられたテーブル（1から）
    pub table: Option<u16>,
    pub locked: bool,
    /// 割り当てられなかった理由
    pub unplaced_reason: Option<String>,
    /// 面談の結果から始まった商談のキー
    pub negotiation: Option<String>,
}

/// 商談会の詳細（申込は呼び出した人が見られるもの）
#[derive(Debug, Serialize, ToSchema)]
pub struct FairDto {
    #[serde(flatten)]
    pub summary: FairSummaryDto,
    pub participants: Vec<ParticipantDto>,
    pub requests: Vec<MeetingRequestDto>,
}

fn summary(fair: &Fair, viewer: Option<&domain::Actor>) -> FairSummaryDto {
    FairSummaryDto {
        key: fair.key.clone(),
        name: fair.name.clone(),
        organisation: fair.owner.key.clone(),
        organisation_name: fair.owner.name.clone(),
        date: fair.date.to_string(),
        start_time: fair.start_time.format("%H:%M").to_string(),
        slot_count: fair.slot_count,
        slot_minutes: fair.slot_minutes,
        table_count: fair.table_count,
        request_deadline: fair.request_deadline.to_string(),
        request_cap: fair.request_cap,
        participant_count: fair.participants.len(),
        request_count: fair.requests.len(),
        scheduled_at: fair.scheduled_at.map(|t| t.to_rfc3339()),
        editable: fair.editable_by(viewer),
    }
}

fn company_key(fair: &Fair, participant: i64) -> String {
    fair.participant(participant)
        .map(|p| p.company_key.clone())
        .unwrap_or_default()
}

fn request_dto(fair: &Fair, r: &MeetingRequest) -> MeetingRequestDto {
    MeetingRequestDto {
        id: r.id,
        from: company_key(fair, r.from),
        to: company_key(fair, r.to),
        priority: r.priority.code().to_owned(),
        status: r.status.code().to_owned(),
        slot: r.slot.map(|s| s + 1),
        table: r.table.map(|t| t + 1),
        locked: r.locked,
        unplaced_reason: r.unplaced_reason.clone(),
        negotiation: r.negotiation.as_ref().map(|n| n.0.clone()),
    }
}

fn fair_dto(fair: &Fair, actor: &domain::Actor) -> FairDto {
    FairDto {
        summary: summary(fair, Some(actor)),
        participants: fair
            .participants
            .iter()
            .map(|p| ParticipantDto {
                company: p.company_key.clone(),
                name: p.company_name.clone(),
                city: p.city_name.clone(),
                role: p.role.code().to_owned(),
                available: p.available.iter().map(|s| s + 1).collect(),
            })
            .collect(),
        requests: fair
            .requests_visible_to(Some(actor))
            .into_iter()
            .map(|r| request_dto(fair, r))
            .collect(),
    }
}

/// 商談会の一覧（ログインした人）
#[utoipa::path(
    get, path = "/api/v1/fairs", tag = "fairs",
    responses((status = 200, body = Vec<FairSummaryDto>), (status = 401, body = Problem, content_type = "application/problem+json"))
)]
async fn list_fairs(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Vec<FairSummaryDto>>, ApiError> {
    let actor = viewer.actor()?;
    let all = fairs::list(&state.store).await?;
    Ok(Json(all.iter().map(|f| summary(f, Some(&actor))).collect()))
}

/// 商談会の設定
#[derive(Debug, Deserialize, ToSchema)]
pub struct FairBody {
    /// 主催団体のキー（例: kawaguchi-cci）
    pub organisation: String,
    pub name: String,
    /// 開催日（2027-02-10）
    pub date: String,
    /// 開始時刻（13:00）
    pub start_time: String,
    /// 枠の数（1〜60）
    pub slot_count: i64,
    /// 1枠の長さ（分・5〜240）
    pub slot_minutes: i64,
    /// テーブル数（1〜500）
    pub table_count: i64,
    /// 申込締切（開催日以前）
    pub request_deadline: String,
    /// 1社あたりの申込の上限（1〜200）
    pub request_cap: i64,
    /// イベントカレンダーのイベントのキー（任意）
    #[serde(default)]
    pub event: String,
}

/// 商談会の作成（主催団体の職員・事務局）
#[utoipa::path(
    post, path = "/api/v1/fairs", tag = "fairs", request_body = FairBody,
    responses((status = 201, body = FairDto), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn create_fair(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<FairBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let draft = FairDraft::parse(&FairInput {
        name: body.name,
        date: body.date,
        start_time: body.start_time,
        slot_count: body.slot_count.to_string(),
        slot_minutes: body.slot_minutes.to_string(),
        table_count: body.table_count.to_string(),
        request_deadline: body.request_deadline,
        request_cap: body.request_cap.to_string(),
        event: body.event,
    })
    .map_err(StoreError::Invalid)?;
    let fair = fairs::create(&state.store, &actor, &body.organisation, &draft).await?;
    Ok((StatusCode::CREATED, Json(fair_dto(&fair, &actor))).into_response())
}

/// 商談会の詳細（参加企業と、呼び出した人が見られる申込）
#[utoipa::path(
    get, path = "/api/v1/fairs/{key}", tag = "fairs",
    params(("key" = String, Path, description = "商談会のキー")),
    responses((status = 200, body = FairDto), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn get_fair(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Json<FairDto>, ApiError> {
    let actor = viewer.actor()?;
    let fair = fairs::get(&state.store, &key).await?;
    Ok(Json(fair_dto(&fair, &actor)))
}

/// 参加企業の登録・変更
#[derive(Debug, Deserialize, ToSchema)]
pub struct ParticipantBody {
    /// 企業キー（例: kawaguchi-01）
    pub company: String,
    /// buyer（発注側）| supplier（受注側）
    pub role: String,
    /// 参加できる枠（例: "1-10,15"。空なら全枠）
    #[serde(default)]
    pub available: String,
}

/// 参加企業の登録・変更（主催団体の職員・事務局）
#[utoipa::path(
    post, path = "/api/v1/fairs/{key}/participants", tag = "fairs", request_body = ParticipantBody,
    params(("key" = String, Path, description = "商談会のキー")),
    responses((status = 200, body = FairDto), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn save_participant(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<ParticipantBody>,
) -> Result<Json<FairDto>, ApiError> {
    let actor = viewer.actor()?;
    let fair = fairs::get(&state.store, &key).await?;
    let role = FairRole::parse(&body.role).map_err(|e| StoreError::Invalid(vec![e]))?;
    let available = parse_availability(&body.available, fair.slot_count)
        .map_err(|e| StoreError::Invalid(vec![e]))?;
    let fair = fairs::save_participant(&state.store, &actor, &key, &body.company, role, &available)
        .await?;
    Ok(Json(fair_dto(&fair, &actor)))
}

/// 面談の申込
#[derive(Debug, Deserialize, ToSchema)]
pub struct RequestBody {
    /// 申し込む企業のキー（自社。職員は代理で任意の参加企業）
    pub from: String,
    /// 相手の企業のキー
    pub to: String,
    /// must（ぜひ会いたい）| should（会いたい）| could（時間があれば）
    pub priority: String,
}

/// 面談の申込（参加企業の会員、代理で主催団体の職員）。自社宛・不参加の企業宛・締切後・上限超過は 422
#[utoipa::path(
    post, path = "/api/v1/fairs/{key}/requests", tag = "fairs", request_body = RequestBody,
    params(("key" = String, Path, description = "商談会のキー")),
    responses((status = 201, body = MeetingRequestDto), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn request_meeting(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<RequestBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let priority =
        RequestPriority::parse(&body.priority).map_err(|e| StoreError::Invalid(vec![e]))?;
    let fair = fairs::request_meeting(
        &state.store,
        &actor,
        &key,
        &body.from,
        &body.to,
        priority,
        japan_today(),
    )
    .await?;
    let created = fair
        .requests
        .iter()
        .filter(|r| {
            company_key(&fair, r.from) == body.from.trim()
                && company_key(&fair, r.to) == body.to.trim()
        })
        .max_by_key(|r| r.id)
        .ok_or_else(|| StoreError::not_found("作成した申込"))?;
    Ok((StatusCode::CREATED, Json(request_dto(&fair, created))).into_response())
}

/// 申込への回答
#[derive(Debug, Deserialize, ToSchema)]
pub struct AnswerBody {
    /// accept（承諾）| decline（辞退）
    pub answer: String,
}

/// 申込への回答（申し込まれた企業の会員、代理で主催団体の職員）
#[utoipa::path(
    post, path = "/api/v1/fairs/{key}/requests/{id}/answer", tag = "fairs", request_body = AnswerBody,
    params(("key" = String, Path, description = "商談会のキー"), ("id" = i64, Path, description = "申込の番号")),
    responses((status = 200, body = MeetingRequestDto), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
async fn answer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, i64)>,
    ApiJson(body): ApiJson<AnswerBody>,
) -> Result<Json<MeetingRequestDto>, ApiError> {
    let actor = viewer.actor()?;
    let accept = match body.answer.trim() {
        "accept" => true,
        "decline" => false,
        other => {
            return Err(StoreError::Invalid(vec![domain::Invalid::new(
                "answer",
                format!("回答「{other}」は accept（承諾）か decline（辞退）で指定してください。"),
            )])
            .into());
        }
    };
    let fair = fairs::answer(&state.store, &actor, &key, id, accept).await?;
    let r = fair
        .requests
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| StoreError::not_found("面談の申込"))?;
    Ok(Json(request_dto(&fair, r)))
}

/// 割り当ての実行
#[derive(Debug, Deserialize, ToSchema)]
pub struct ScheduleBody {
    /// 前回の割り当て（通知済みの面談）をできるだけ動かさない（省略時 true）
    #[serde(default = "yes")]
    pub keep_previous: bool,
}

fn yes() -> bool {
    true
}

/// 割り当ての結果
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleDto {
    pub placed: usize,
    pub unplaced: usize,
    /// 配置した面談の重みの合計（ぜひ5・会いたい3・時間があれば1）
    pub weight: u64,
    /// 重みの上限（これ以上は不可能）
    pub upper_bound: u64,
    /// 前回から動いた面談の数
    pub moved: usize,
}

/// 承諾された面談の枠・テーブルへの割り当て（主催団体の職員・事務局）。固定した面談は動かしません
#[utoipa::path(
    post, path = "/api/v1/fairs/{key}/schedule", tag = "fairs", request_body = ScheduleBody,
    params(("key" = String, Path, description = "商談会のキー")),
    responses((status = 200, body = ScheduleDto), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"))
)]
async fn run_schedule(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> Result<Json<ScheduleDto>, ApiError> {
    let actor = viewer.actor()?;
    let outcome = fairs::schedule(
        &state.store,
        &actor,
        &key,
        body.keep_previous,
        SCHEDULE_BUDGET,
    )
    .await?;
    Ok(Json(ScheduleDto {
        placed: outcome.placed,
        unplaced: outcome.unplaced,
        weight: outcome.weight,
        upper_bound: outcome.upper_bound,
        moved: outcome.moved,
    }))
}

/// 期限切れにした申込の数
#[derive(Debug, Serialize, ToSchema)]
pub struct ExpiredDto {
    pub expired: usize,
}

/// 締切後の処理：未回答の申込を期限切れにする（主催団体の職員・事務局。締切前は 409）
#[utoipa::path(
    post, path = "/api/v1/fairs/{key}/expire", tag = "fairs",
    params(("key" = String, Path, description = "商談会のキー")),
    responses((status = 200, body = ExpiredDto), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
async fn expire(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Json<ExpiredDto>, ApiError> {
    let actor = viewer.actor()?;
    let expired = fairs::expire_unanswered(&state.store, &actor, &key, japan_today()).await?;
    Ok(Json(ExpiredDto { expired }))
}

/// 予定の1件
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingDto {
    /// 枠（1から）
    pub slot: u16,
    /// 開始・終了（Asia/Tokyo、2027-02-10T13:00:00）
    pub starts: String,
    pub ends: String,
    /// テーブル（1から）
    pub table: Option<u16>,
    /// 相手の企業
    pub with: String,
    pub with_name: String,
}

/// 参加企業ごとの面談予定
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonalScheduleDto {
    pub fair: String,
    pub company: String,
    pub company_name: String,
    pub meetings: Vec<MeetingDto>,
    /// 同じ予定の .ics のURL
    pub ics: String,
}

/// 参加企業の面談予定（その企業の会員と主催団体の職員）
#[utoipa::path(
    get, path = "/api/v1/fairs/{key}/companies/{company}/schedule", tag = "fairs",
    params(("key" = String, Path, description = "商談会のキー"), ("company" = String, Path, description = "企業キー")),
    responses((status = 200, body = PersonalScheduleDto), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn personal_schedule(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, company)): Path<(String, String)>,
) -> Result<Json<PersonalScheduleDto>, ApiError> {
    let actor = viewer.actor()?;
    let fair = fairs::get(&state.store, &key).await?;
    let participant = fair
        .participant_by_company(&company)
        .filter(|p| fair.may_act_for(Some(&actor), p))
        .ok_or_else(|| crate::WebError::NotFound("参加企業の予定".into()))?;
    let meetings = fair
        .meetings_of(participant.id)
        .into_iter()
        .filter_map(|r| {
            let slot = r.slot?;
            let other = if r.from == participant.id {
                r.to
            } else {
                r.from
            };
            let (starts, ends) = fair.slot_times(slot);
            Some(MeetingDto {
                slot: slot + 1,
                starts: starts.format("%Y-%m-%dT%H:%M:%S").to_string(),
                ends: ends.format("%Y-%m-%dT%H:%M:%S").to_string(),
                table: r.table.map(|t| t + 1),
                with: company_key(&fair, other),
                with_name: fair.participant_name(other).to_owned(),
            })
        })
        .collect();
    Ok(Json(PersonalScheduleDto {
        ics: format!(
            "/fairs/{}/companies/{}.ics",
            fair.key, participant.company_key
        ),
        fair: fair.key.clone(),
        company: participant.company_key.clone(),
        company_name: participant.company_name.clone(),
        meetings,
    }))
}

/// 面談の結果
#[derive(Debug, Deserialize, ToSchema)]
pub struct OutcomeBody {
    /// follow_up（面談済み・継続検討）| quote（見積依頼）| prototype（試作）| order（受注・契約）| no_deal（見送り）| not_held（面談不成立）
    pub outcome: String,
    /// 記録日（開催日以降。省略時は今日）
    #[serde(default)]
    pub on_date: String,
    #[serde(default)]
    pub note: String,
    /// 受注金額（円。order のときのみ）
    pub amount: Option<f64>,
}

/// 記録した結果から始まった（または進んだ）商談
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeDto {
    /// 商談キー（GET /api/v1/negotiations/{key}）
    pub negotiation: String,
    /// 商談の段階（meeting | quote | prototype | order | declined）
    pub stage: String,
    pub stage_label: String,
}

/// 開催後の面談の結果の記録（当事者の企業会員・主催団体の職員）。商談として協議会の実績に集計されます
#[utoipa::path(
    post, path = "/api/v1/fairs/{key}/requests/{id}/outcome", tag = "fairs", request_body = OutcomeBody,
    params(("key" = String, Path, description = "商談会のキー"), ("id" = i64, Path, description = "申込の番号")),
    responses((status = 200, body = OutcomeDto), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn record_outcome(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, i64)>,
    ApiJson(body): ApiJson<OutcomeBody>,
) -> Result<Json<OutcomeDto>, ApiError> {
    let actor = viewer.actor()?;
    let outcome = MeetingOutcome::parse(&body.outcome).map_err(|e| StoreError::Invalid(vec![e]))?;
    let on_date = if body.on_date.trim().is_empty() {
        japan_today()
    } else {
        domain::events::parse_date("on_date", &body.on_date)
            .map_err(|e| StoreError::Invalid(vec![e]))?
    };
    let n = fairs::record_outcome(
        &state.store,
        &actor,
        &key,
        id,
        outcome,
        &body.note,
        body.amount,
        on_date,
    )
    .await?;
    Ok(Json(OutcomeDto {
        negotiation: n.key,
        stage: n.stage.code().to_owned(),
        stage_label: n.stage.label().to_owned(),
    }))
}
