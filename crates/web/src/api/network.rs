//! `/api/v1/network/...`: the 仲間まわし network for programs, and the progress events
//! a machine or a tablet on the shop floor posts. The same store calls as the pages.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::network::{JobInput, format_minutes, parse_time};
use serde::{Deserialize, Serialize};
use store::network::{self, EventKind, Job, Machine, Replan, RouteOutcome};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiJson, Problem};
use crate::AppState;
use crate::auth::Viewer;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_machines))
        .routes(routes!(report_outage))
        .routes(routes!(list_jobs, create_job))
        .routes(routes!(get_job))
        .routes(routes!(cancel_job))
        .routes(routes!(plan))
        .routes(routes!(post_event))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MachineDto {
    /// 設備番号（工程の入力で使う）
    pub id: i64,
    pub company: String,
    pub company_name: String,
    pub name: String,
    /// 加工・工程の分類コード（例: cutting）
    pub processes: Vec<String>,
    /// 稼働日（例: 月火水木金）
    pub days: String,
    /// 稼働時間（例: 08:30-17:30）
    pub hours: String,
    /// 休業日（YYYY-MM-DD）
    pub holidays: Vec<String>,
}

fn machine_dto(m: &Machine) -> MachineDto {
    MachineDto {
        id: m.id,
        company: m.company_key.clone(),
        company_name: m.company_name.clone(),
        name: m.name.clone(),
        processes: m.processes.clone(),
        days: m.week.days_text(),
        hours: m.week.hours_text(),
        holidays: m
            .holidays
            .iter()
            .map(|d| d.format("%Y-%m-%d").to_string())
            .collect(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OperationDto {
    /// 工程ID（進捗の報告で使う）
    pub id: i64,
    pub position: i32,
    /// 加工・工程の分類コード
    pub process: String,
    pub alternatives: Vec<AlternativeDto>,
    /// 計画の設備番号
    pub machine: Option<i64>,
    /// 日時はすべて東京時間 `YYYY-MM-DD HH:MM`
    pub planned_start: Option<String>,
    pub planned_end: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// 遅延の報告による完了見込み
    pub expected_end: Option<String>,
    /// waiting | started | finished
    pub status: String,
    /// 計画より遅れているか
    pub delayed: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AlternativeDto {
    /// 設備番号
    pub machine: i64,
    /// その設備での作業時間（分）
    pub minutes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobDto {
    pub key: String,
    pub name: String,
    pub hub: String,
    pub hub_name: String,
    pub release: String,
    pub due: Option<String>,
    pub completion: Option<String>,
    /// 納期に対する遅れ（分）
    pub tardiness_minutes: i64,
    /// 取り消した日時（取り消していなければ null）
    pub cancelled_at: Option<String>,
    pub operations: Vec<OperationDto>,
}

fn job_dto(job: &Job) -> JobDto {
    JobDto {
        key: job.key.clone(),
        name: job.name.clone(),
        hub: job.hub_key.clone(),
        hub_name: job.hub_name.clone(),
        release: format_minutes(job.release),
        due: job.due.map(format_minutes),
        completion: job.completion().map(format_minutes),
        tardiness_minutes: job.tardiness(),
        cancelled_at: job.cancelled_at.map(format_minutes),
        operations: job
            .operations
            .iter()
            .map(|o| OperationDto {
                id: o.id,
                position: o.position,
                process: o.process.clone(),
                alternatives: o
                    .alternatives
                    .iter()
                    .map(|&(machine, minutes)| AlternativeDto { machine, minutes })
                    .collect(),
                machine: o.machine_id,
                planned_start: o.planned_start.map(format_minutes),
                planned_end: o.planned_end.map(format_minutes),
                started_at: o.started_at.map(format_minutes),
                finished_at: o.finished_at.map(format_minutes),
                expected_end: o.expected_end.map(format_minutes),
                status: o.status().to_owned(),
                delayed: o.is_delayed(),
            })
            .collect(),
    }
}

#[utoipa::path(
    get, path = "/api/v1/network/machines", tag = "network",
    responses((status = 200, body = Vec<MachineDto>))
)]
async fn list_machines(State(state): State<AppState>) -> Result<Json<Vec<MachineDto>>, ApiError> {
    let machines = network::machines(&state.store).await?;
    Ok(Json(machines.iter().map(machine_dto).collect()))
}

#[utoipa::path(
    get, path = "/api/v1/network/jobs", tag = "network",
    responses((status = 200, body = Vec<JobDto>), (status = 401, body = Problem, content_type = "application/problem+json"))
)]
async fn list_jobs(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Vec<JobDto>>, ApiError> {
    let actor = viewer.actor()?;
    let board = network::board(&state.store, &actor).await?;
    Ok(Json(board.jobs.iter().map(job_dto).collect()))
}

#[utoipa::path(
    get, path = "/api/v1/network/jobs/{key}", tag = "network",
    params(("key" = String, Path, description = "案件キー")),
    responses((status = 200, body = JobDto), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn get_job(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Json<JobDto>, ApiError> {
    let actor = viewer.actor()?;
    let job = network::job(&state.store, &actor, &key).await?;
    Ok(Json(job_dto(&job)))
}

/// Cancels a job: it leaves the plan (its machines are freed, the rest is re-planned)
/// and stays in the history; progress reports on it are refused from then on.
#[utoipa::path(
    post, path = "/api/v1/network/jobs/{key}/cancel", tag = "network",
    params(("key" = String, Path, description = "案件キー")),
    responses((status = 200, body = JobDto), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"))
)]
async fn cancel_job(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Json<JobDto>, ApiError> {
    let actor = viewer.actor()?;
    network::cancel_job(&state.store, &actor, &key).await?;
    let job = network::job(&state.store, &actor, &key).await?;
    Ok(Json(job_dto(&job)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OperationBody {
    /// 加工・工程（分類コードまたは日本語名。例: cutting, 切削）
    pub process: String,
    pub alternatives: Vec<AlternativeDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct JobBody {
    /// 取りまとめ企業の企業キー（例: ota-05）
    pub hub: String,
    pub name: String,
    /// 投入日時（`2026-11-23 08:00`、東京時間。またはRFC 3339）
    pub release: String,
    #[serde(default)]
    pub due: Option<String>,
    pub operations: Vec<OperationBody>,
}

#[utoipa::path(
    post, path = "/api/v1/network/jobs", tag = "network", request_body = JobBody,
    responses((status = 201, body = JobDto), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn create_job(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<JobBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let input = JobInput {
        name: body.name,
        release: body.release,
        due: body.due.unwrap_or_default(),
        operations: body
            .operations
            .iter()
            .map(|o| {
                let machines: Vec<String> = o
                    .alternatives
                    .iter()
                    .map(|a| format!("{}:{}", a.machine, a.minutes))
                    .collect();
                // An empty process still makes a line, so that the error names it.
                format!(
                    "{} {}\n",
                    if o.process.trim().is_empty() {
                        "?"
                    } else {
                        o.process.trim()
                    },
                    machines.join(" ")
                )
            })
            .collect(),
    };
    let job = network::create_job(&state.store, &actor, &body.hub, &input).await?;
    Ok((StatusCode::CREATED, Json(job_dto(&job))).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanDto {
    pub jobs: usize,
    pub operations: usize,
    /// 全案件の最後の工程が終わる日時
    pub makespan: String,
    /// 納期に対する遅れの合計（分）
    pub tardiness_minutes: i64,
}

fn plan_dto(outcome: &RouteOutcome) -> PlanDto {
    PlanDto {
        jobs: outcome.jobs,
        operations: outcome.operations,
        makespan: format_minutes(outcome.makespan),
        tardiness_minutes: outcome.tardiness,
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PlanBody {
    /// 計画の基準日時（省略時は最新の進捗報告の時点）。これより前には工程を置きません
    #[serde(default)]
    pub now: Option<String>,
}

#[utoipa::path(
    post, path = "/api/v1/network/plan", tag = "network", request_body = PlanBody,
    responses((status = 200, body = PlanDto), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
async fn plan(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<PlanBody>,
) -> Result<Json<PlanDto>, ApiError> {
    let actor = viewer.actor()?;
    let now = match body.now.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(text) => parse_time("now", text).map_err(store::StoreError::from)?,
    };
    let outcome = network::route(&state.store, &actor, now, network::default_budget()).await?;
    Ok(Json(plan_dto(&outcome)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EventBody {
    /// start | finish | delay
    pub kind: String,
    /// 開始・完了の日時、遅延なら完了見込み（`2026-11-23 08:00` 東京時間、またはRFC 3339）
    pub at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventResultDto {
    pub operation: Option<i64>,
    /// replanned | not_replanned | impossible
    pub replan: String,
    pub plan: Option<PlanDto>,
    /// 計画し直せなかった理由
    pub reason: Option<String>,
}

fn event_result(reported: &network::Reported) -> EventResultDto {
    let (replan, plan, reason) = match &reported.replan {
        None => ("not_replanned", None, None),
        Some(Replan::Done(outcome)) => ("replanned", Some(plan_dto(outcome)), None),
        Some(Replan::Impossible(reason)) => ("impossible", None, Some(reason.clone())),
    };
    EventResultDto {
        operation: reported.operation.as_ref().map(|o| o.id),
        replan: replan.to_owned(),
        plan,
        reason,
    }
}

#[utoipa::path(
    post, path = "/api/v1/network/operations/{id}/events", tag = "network", request_body = EventBody,
    params(("id" = i64, Path, description = "工程ID")),
    responses((status = 201, body = EventResultDto), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn post_event(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<EventBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let kind = EventKind::parse(body.kind.trim()).ok_or_else(|| {
        store::StoreError::Invalid(vec![domain::Invalid::new(
            "kind",
            "kind は start・finish・delay のいずれかです。",
        )])
    })?;
    let at = parse_time("at", &body.at).map_err(store::StoreError::from)?;
    let reported = network::report(&state.store, &actor, id, kind, at).await?;
    Ok((StatusCode::CREATED, Json(event_result(&reported))).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OutageBody {
    /// 停止した日時
    pub from: String,
    /// 復旧見込み（未定なら省略）
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(
    post, path = "/api/v1/network/machines/{id}/outages", tag = "network", request_body = OutageBody,
    params(("id" = i64, Path, description = "設備番号")),
    responses((status = 201, body = EventResultDto), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn report_outage(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<OutageBody>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    let from = parse_time("from", &body.from).map_err(store::StoreError::from)?;
    let until = match body.until.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(parse_time("until", text).map_err(store::StoreError::from)?),
    };
    let reported = network::machine_down(&state.store, &actor, id, from, until, &body.note).await?;
    Ok((StatusCode::CREATED, Json(event_result(&reported))).into_response())
}
