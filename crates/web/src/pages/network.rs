//! 仲間まわし pages: the network's machines (each factory adds and edits its own, with
//! processes and working calendar, and reports a breakdown), the job board, a hub's
//! new-job form, a job with its plan, an SVG Gantt chart and progress buttons for the
//! factories' own operations, a factory's Gantt chart, re-planning, and CSV / `.fjs`
//! import and export.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::network::{JobInput, format_minutes, from_minutes, parse_time};
use store::network::{self, Board, EventKind, Job, Machine, MachineInput, Operation, Replan};

use super::query_pairs;
use crate::auth::Viewer;
use crate::export::{CsvRequest, ExportFormat, Table};
use crate::form::FormData;
use crate::view::{self, Layout};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/network", get(board_page))
        .route("/network/jobs.csv", get(jobs_csv))
        .route("/network/jobs.fjs", get(jobs_fjs))
        .route("/network/import", get(import_form).post(import))
        .route("/network/import/file", post(import_file))
        .route("/network/plan", post(plan))
        .route("/network/machines/new", get(new_machine))
        .route("/network/machines", post(create_machine))
        .route(
            "/network/machines/{id}",
            get(edit_machine).post(update_machine),
        )
        .route("/network/machines/{id}/down", post(machine_down))
        .route("/network/jobs/new", get(new_job))
        .route("/network/jobs", post(create_job))
        .route("/network/jobs/{key}", get(job_page))
        .route("/network/jobs/{key}/events", post(report))
        .route(
            "/network/jobs/{key}/cancel",
            get(confirm_cancel).post(cancel),
        )
        .route("/network/factories/{company}", get(factory_page))
}

/// `2026-11-23 08:00` → the value of an `<input type="datetime-local">`.
fn local_input(minutes: i64) -> String {
    from_minutes(minutes).format("%Y-%m-%dT%H:%M").to_string()
}

/// `11/23(月) 08:00`: short enough for tables and chart labels.
fn short(minutes: i64) -> String {
    const DAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
    let at = from_minutes(minutes);
    format!(
        "{}({}) {}",
        at.format("%m/%d"),
        DAYS[domain::network::weekday_of(minutes) as usize],
        at.format("%H:%M")
    )
}

fn opt(minutes: Option<i64>) -> String {
    minutes.map(format_minutes).unwrap_or_default()
}

fn notice(code: &str) -> Option<String> {
    let text = match code {
        "planned" => "計画を作り直しました。",
        "reported" => "進捗を記録しました。",
        "replanned" => "記録し、計画を作り直しました。",
        "down" => "設備の停止を記録し、計画を作り直しました。",
        "imported" => "案件を取り込みました。",
        "cancelled" => "案件を取り消しました。計画から外し、ほかの案件の計画を作り直しました。",
        other => return view::notice(Some(other)),
    };
    Some(text.to_owned())
}

// ---- the board -------------------------------------------------------------------

pub struct MachineRow {
    id: i64,
    factory: String,
    factory_key: String,
    name: String,
    processes: String,
    days: String,
    hours: String,
    holidays: String,
    load: String,
    down: String,
    can_edit: bool,
}

fn machine_row(m: &Machine, board: Option<&Board>, actor: Option<&domain::Actor>) -> MachineRow {
    let down = board
        .map(|b| {
            b.outages
                .iter()
                .filter(|o| o.machine_id == m.id && o.until.is_none_or(|u| u > b.now))
                .map(|o| {
                    format!(
                        "停止中（{}〜{}）",
                        short(o.from),
                        o.until.map(short).unwrap_or_else(|| "復旧未定".into())
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    MachineRow {
        id: m.id,
        factory: m.company_name.clone(),
        factory_key: m.company_key.clone(),
        name: m.name.clone(),
        processes: m.process_labels(),
        days: m.week.days_text(),
        hours: m.week.hours_text(),
        holidays: domain::network::holidays_text(&m.holidays),
        load: board
            .map(|b| network::duration_text(b.load_of(m.id)))
            .unwrap_or_default(),
        down,
        can_edit: actor.is_some_and(|a| m.is_run_by(a)),
    }
}

pub struct JobRow {
    key: String,
    name: String,
    hub: String,
    release: String,
    due: String,
    completion: String,
    tardiness: String,
    status: &'static str,
    delayed: bool,
}

fn job_status(job: &Job) -> &'static str {
    if job.is_cancelled() {
        "取消"
    } else if job.is_finished() {
        "完了"
    } else if job.operations.iter().any(|o| o.started_at.is_some()) {
        "進行中"
    } else if job.operations.iter().all(|o| o.machine_id.is_some()) {
        "計画済み"
    } else {
        "未計画"
    }
}

fn job_row(job: &Job) -> JobRow {
    // A cancelled job has no completion to expect, nor a delay to warn of.
    let live = !job.is_cancelled();
    let tardiness = if live { job.tardiness() } else { 0 };
    JobRow {
        key: job.key.clone(),
        name: job.name.clone(),
        hub: job.hub_name.clone(),
        release: format_minutes(job.release),
        due: opt(job.due),
        completion: if live {
            opt(job.completion())
        } else {
            String::new()
        },
        tardiness: if tardiness > 0 {
            network::duration_text(tardiness)
        } else {
            String::new()
        },
        status: job_status(job),
        delayed: live && job.operations.iter().any(Operation::is_delayed),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "network/board.html")]
struct BoardPage {
    layout: Layout,
    signed_in: bool,
    machines: Vec<MachineRow>,
    jobs: Vec<JobRow>,
    can_plan: bool,
    now: String,
    last_route: String,
    factories: Vec<(String, String)>,
}

async fn board_page(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<BoardPage, WebError> {
    let query = query_pairs(raw.as_deref());
    let layout = Layout::for_viewer("仲間まわし（工場ネットワーク）", &viewer)
        .with_notice(notice(query.get("done")));
    let Some(user) = viewer.acting_user() else {
        let machines = network::machines(&state.store).await?;
        return Ok(BoardPage {
            layout,
            signed_in: false,
            factories: factories(&machines),
            machines: machines
                .iter()
                .map(|m| machine_row(m, None, None))
                .collect(),
            jobs: Vec::new(),
            can_plan: false,
            now: String::new(),
            last_route: String::new(),
        });
    };
    let actor = user.actor();
    let board = network::board(&state.store, &actor).await?;
    Ok(BoardPage {
        layout,
        signed_in: true,
        factories: factories(&board.machines),
        machines: board
            .machines
            .iter()
            .map(|m| machine_row(m, Some(&board), Some(&actor)))
            .collect(),
        jobs: board.jobs.iter().map(job_row).collect(),
        can_plan: board.can_plan,
        now: format_minutes(board.now),
        last_route: board
            .last_route
            .as_ref()
            .map(|r| {
                format!(
                    "{}時点で計画（全体の完了 {}、納期遅れ計 {}）",
                    format_minutes(r.now),
                    format_minutes(r.makespan),
                    network::duration_text(r.tardiness)
                )
            })
            .unwrap_or_default(),
    })
}

fn factories(machines: &[Machine]) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = machines
        .iter()
        .map(|m| (m.company_key.clone(), m.company_name.clone()))
        .collect();
    list.dedup();
    list
}

// ---- machines ----------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "network/machine_form.html")]
struct MachineFormPage {
    layout: Layout,
    action: String,
    company: String,
    company_fixed: bool,
    input: MachineInput,
    errors: Vec<String>,
    /// For an existing machine: its id, its breakdowns and the breakdown form.
    machine_id: i64,
    outages: Vec<String>,
    down: (String, String, String),
    down_errors: Vec<String>,
}

fn machine_label(field: &str) -> &'static str {
    match field {
        "name" => "設備名",
        "processes" => "加工・工程",
        "days" => "稼働日",
        "hours" => "稼働時間",
        "holidays" => "休業日",
        "from" => "停止日時",
        "until" => "復旧見込み",
        _ => "入力",
    }
}

fn machine_input(form: &FormData) -> MachineInput {
    MachineInput {
        name: form.get("name").to_owned(),
        processes: form.get("processes").to_owned(),
        days: form.get("days").to_owned(),
        hours: form.get("hours").to_owned(),
        holidays: form.get("holidays").to_owned(),
    }
}

async fn new_machine(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<MachineFormPage, WebError> {
    let actor = viewer.actor()?;
    let company = network::company_key_of(&state.store, &actor)
        .await?
        .unwrap_or_default();
    Ok(MachineFormPage {
        layout: Layout::for_viewer("設備を登録する", &viewer),
        action: "/network/machines".into(),
        company_fixed: !company.is_empty(),
        company,
        input: MachineInput {
            days: "月火水木金".into(),
            hours: "08:30-17:30".into(),
            ..Default::default()
        },
        errors: Vec::new(),
        machine_id: 0,
        outages: Vec::new(),
        down: Default::default(),
        down_errors: Vec::new(),
    })
}

async fn create_machine(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = machine_input(&form);
    let company = form.get("company").trim().to_owned();
    match network::add_machine(&state.store, &actor, &company, &input).await {
        Ok(_) => Ok(Redirect::to("/network?done=created").into_response()),
        Err(error) => super::refill(error, machine_label, |errors| {
            Ok(MachineFormPage {
                layout: Layout::for_viewer("設備を登録する", &viewer),
                action: "/network/machines".into(),
                company_fixed: actor.company_id.is_some(),
                company,
                input,
                errors,
                machine_id: 0,
                outages: Vec::new(),
                down: Default::default(),
                down_errors: Vec::new(),
            })
        }),
    }
}

async fn machine_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    input: Option<MachineInput>,
    errors: Vec<String>,
    down: (String, String, String),
    down_errors: Vec<String>,
) -> Result<MachineFormPage, WebError> {
    let actor = viewer.actor()?;
    let board = network::board(&state.store, &actor).await?;
    let machine = board
        .machines
        .iter()
        .find(|m| m.id == id)
        .ok_or_else(|| WebError::NotFound("設備".into()))?;
    let input = input.unwrap_or_else(|| MachineInput {
        name: machine.name.clone(),
        processes: machine.process_labels(),
        days: machine.week.days_text(),
        hours: machine.week.hours_text(),
        holidays: domain::network::holidays_text(&machine.holidays),
    });
    Ok(MachineFormPage {
        layout: Layout::for_viewer(format!("設備: {}", machine.label()), viewer),
        action: format!("/network/machines/{id}"),
        company: machine.company_key.clone(),
        company_fixed: true,
        input,
        errors,
        machine_id: id,
        outages: board
            .outages
            .iter()
            .filter(|o| o.machine_id == id)
            .map(|o| {
                format!(
                    "{} 〜 {}{}",
                    format_minutes(o.from),
                    o.until
                        .map(format_minutes)
                        .unwrap_or_else(|| "復旧未定".into()),
                    if o.note.is_empty() {
                        String::new()
                    } else {
                        format!("（{}）", o.note)
                    }
                )
            })
            .collect(),
        down,
        down_errors,
    })
}

async fn edit_machine(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Result<MachineFormPage, WebError> {
    let query = query_pairs(raw.as_deref());
    let mut page = machine_page(
        &state,
        &viewer,
        id,
        None,
        Vec::new(),
        Default::default(),
        Vec::new(),
    )
    .await?;
    page.layout.notice = notice(query.get("done"));
    Ok(page)
}

async fn update_machine(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = machine_input(&form);
    match network::update_machine(&state.store, &actor, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/network/machines/{id}?done=saved")).into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, machine_label)?;
            let page = machine_page(
                &state,
                &viewer,
                id,
                Some(input),
                errors,
                Default::default(),
                Vec::new(),
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

async fn machine_down(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let typed = (
        form.get("from").to_owned(),
        form.get("until").to_owned(),
        form.get("note").to_owned(),
    );
    let result = async {
        let from = parse_time("from", &typed.0)?;
        let until = match typed.1.trim() {
            "" => None,
            text => Some(parse_time("until", text)?),
        };
        network::machine_down(&state.store, &actor, id, from, until, &typed.2).await
    }
    .await;
    match result {
        Ok(reported) => Ok(after_report(&reported, "/network?", "down")),
        Err(error) => {
            let (status, errors) = super::form_errors(error, machine_label)?;
            let page = machine_page(&state, &viewer, id, None, Vec::new(), typed, errors).await?;
            Ok((status, page).into_response())
        }
    }
}

/// Where to go after a report: back with a notice, or with the reason no plan fits.
fn after_report(reported: &network::Reported, back: &str, done: &str) -> Response {
    match &reported.replan {
        Some(Replan::Impossible(_)) => {
            Redirect::to(&format!("{back}done=reported&replan=impossible")).into_response()
        }
        Some(Replan::Done(_)) => Redirect::to(&format!("{back}done={done}")).into_response(),
        None => Redirect::to(&format!("{back}done=reported")).into_response(),
    }
}

// ---- jobs --------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "network/job_form.html")]
struct JobFormPage {
    layout: Layout,
    hub: String,
    hub_fixed: bool,
    input: JobInput,
    errors: Vec<String>,
    machines: Vec<MachineRow>,
}

fn job_label(field: &str) -> String {
    match field {
        "name" => "案件名".into(),
        "release" => "投入日時".into(),
        "due" => "納期".into(),
        "hub" => "取りまとめ企業".into(),
        "file" => "ファイル".into(),
        f if f.starts_with("operations") => "工程".into(),
        _ => "入力".into(),
    }
}

async fn job_form(
    state: &AppState,
    viewer: &Viewer,
    hub: Option<String>,
    input: JobInput,
    errors: Vec<String>,
) -> Result<JobFormPage, WebError> {
    let actor = viewer.actor()?;
    let own = network::company_key_of(&state.store, &actor).await?;
    let machines = network::machines(&state.store).await?;
    Ok(JobFormPage {
        layout: Layout::for_viewer("仲間まわし案件を登録する", viewer),
        hub_fixed: own.is_some(),
        hub: hub.or(own).unwrap_or_default(),
        input,
        errors,
        machines: machines
            .iter()
            .map(|m| machine_row(m, None, None))
            .collect(),
    })
}

async fn new_job(State(state): State<AppState>, viewer: Viewer) -> Result<JobFormPage, WebError> {
    job_form(&state, &viewer, None, JobInput::default(), Vec::new()).await
}

async fn create_job(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let hub = form.get("hub").trim().to_owned();
    let input = JobInput {
        name: form.get("name").to_owned(),
        release: form.get("release").to_owned(),
        due: form.get("due").to_owned(),
        operations: form.get("operations").to_owned(),
    };
    match network::create_job(&state.store, &actor, &hub, &input).await {
        Ok(job) => {
            Ok(Redirect::to(&format!("/network/jobs/{}?done=created", job.key)).into_response())
        }
        Err(error) => {
            let (status, errors) = super::form_errors(error, job_label)?;
            let page = job_form(&state, &viewer, Some(hub), input, errors).await?;
            Ok((status, page).into_response())
        }
    }
}

pub struct OpRow {
    id: i64,
    position: i32,
    process: String,
    alternatives: String,
    machine: String,
    machine_id: i64,
    factory_key: String,
    planned: String,
    actual: String,
    status: &'static str,
    delay: String,
    can_report: bool,
    kinds: Vec<(&'static str, &'static str)>,
    default_at: String,
}

fn op_row(op: &Operation, machines: &[Machine], actor: &domain::Actor) -> OpRow {
    let machine = op
        .machine_id
        .and_then(|id| machines.iter().find(|m| m.id == id));
    let name_of = |id: i64| {
        machines
            .iter()
            .find(|m| m.id == id)
            .map_or_else(|| format!("設備{id}"), Machine::label)
    };
    let kinds: Vec<(&'static str, &'static str)> = match op.status() {
        "waiting" => vec![("start", "開始")],
        "started" => vec![("finish", "完了"), ("delay", "遅延（完了見込みを変更）")],
        _ => Vec::new(),
    };
    let default_at = match op.status() {
        "waiting" => op.planned_start,
        _ => op.end(),
    }
    .map(local_input)
    .unwrap_or_default();
    let late = op
        .end()
        .zip(op.planned_end)
        .map(|(end, planned)| end - planned)
        .filter(|d| *d > 0);
    OpRow {
        id: op.id,
        position: op.position,
        process: domain::directory::Capability::label_of(&op.process),
        alternatives: op
            .alternatives
            .iter()
            .map(|(m, t)| format!("{}（{}分）", name_of(*m), t))
            .collect::<Vec<_>>()
            .join("、"),
        machine: machine
            .map(Machine::label)
            .unwrap_or_else(|| "未計画".into()),
        machine_id: machine.map_or(0, |m| m.id),
        factory_key: machine.map(|m| m.company_key.clone()).unwrap_or_default(),
        planned: match (op.planned_start, op.planned_end) {
            (Some(s), Some(e)) => format!("{} 〜 {}", short(s), short(e)),
            _ => String::new(),
        },
        actual: match (op.started_at, op.finished_at, op.expected_end) {
            (Some(s), Some(f), _) => format!("{} 〜 {}", short(s), short(f)),
            (Some(s), None, Some(e)) => format!("{} 〜（見込み {}）", short(s), short(e)),
            (Some(s), None, None) => format!("{} 〜", short(s)),
            _ => String::new(),
        },
        status: match op.status() {
            "finished" => "完了",
            "started" => "作業中",
            _ => "待ち",
        },
        delay: late
            .map(|d| format!("遅延 {}", network::duration_text(d)))
            .unwrap_or_default(),
        can_report: machine.is_some_and(|m| m.is_run_by(actor)) && !kinds.is_empty(),
        kinds,
        default_at,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "network/job.html")]
struct JobPage {
    layout: Layout,
    job: JobRow,
    ops: Vec<OpRow>,
    gantt: Gantt,
    factories: Vec<(String, String)>,
    history: Vec<(String, &'static str, String, String)>,
    can_plan: bool,
    can_cancel: bool,
    replan_impossible: bool,
    errors: Vec<String>,
    /// (operation id, kind, at) as typed in the progress form that failed.
    typed: (i64, String, String),
}

async fn job_view(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    notice_text: Option<String>,
    errors: Vec<String>,
    typed: (i64, String, String),
) -> Result<JobPage, WebError> {
    let actor = viewer.actor()?;
    let board = network::board(&state.store, &actor).await?;
    let job = board
        .jobs
        .iter()
        .find(|j| j.key == key)
        .ok_or_else(|| WebError::NotFound("案件".into()))?;
    let history = network::history(&state.store, &actor, key).await?;
    let mut factories: Vec<(String, String)> = Vec::new();
    for op in &job.operations {
        if let Some(m) = op
            .machine_id
            .and_then(|id| board.machines.iter().find(|m| m.id == id))
            && !factories.iter().any(|f| f.0 == m.company_key)
        {
            factories.push((m.company_key.clone(), m.company_name.clone()));
        }
    }
    let rows: Vec<GanttRow> = job
        .operations
        .iter()
        .map(|op| GanttRow {
            label: format!(
                "{}. {}",
                op.position,
                domain::directory::Capability::label_of(&op.process)
            ),
            sublabel: op
                .machine_id
                .and_then(|id| board.machines.iter().find(|m| m.id == id))
                .map(Machine::label)
                .unwrap_or_default(),
            // A cancelled job keeps on its chart only the work actually done.
            ops: if job.is_cancelled() && op.started_at.is_none() {
                Vec::new()
            } else {
                vec![(job.name.clone(), op.clone())]
            },
        })
        .collect();
    let mut ops: Vec<OpRow> = job
        .operations
        .iter()
        .map(|op| op_row(op, &board.machines, &actor))
        .collect();
    if job.is_cancelled() {
        for (row, op) in ops.iter_mut().zip(&job.operations) {
            row.can_report = false;
            if op.finished_at.is_none() {
                row.status = "取消";
            }
        }
    }
    Ok(JobPage {
        layout: Layout::for_viewer(format!("案件: {}", job.name), viewer).with_notice(notice_text),
        gantt: gantt("job", &format!("「{}」の工程表", job.name), rows, board.now),
        ops,
        can_cancel: job.may_be_cancelled_by(&actor),
        job: job_row(job),
        factories,
        history: history
            .iter()
            .map(|h| {
                (
                    format_minutes(h.at),
                    h.label(),
                    h.detail.clone(),
                    h.user_email.clone(),
                )
            })
            .collect(),
        can_plan: board.can_plan,
        replan_impossible: false,
        errors,
        typed,
    })
}

async fn job_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<JobPage, WebError> {
    let query = query_pairs(raw.as_deref());
    let mut page = job_view(
        &state,
        &viewer,
        &key,
        notice(query.get("done")),
        Vec::new(),
        (0, String::new(), String::new()),
    )
    .await?;
    page.replan_impossible = query.get("replan") == "impossible";
    Ok(page)
}

async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let operation: i64 = form.get("operation").trim().parse().unwrap_or(0);
    let typed = (
        operation,
        form.get("kind").to_owned(),
        form.get("at").to_owned(),
    );
    let result = async {
        let kind = EventKind::parse(&typed.1)
            .ok_or_else(|| domain::Invalid::new("kind", "報告の種類を選んでください。"))?;
        let at = parse_time("at", &typed.2)?;
        network::report(&state.store, &actor, operation, kind, at).await
    }
    .await;
    match result {
        Ok(reported) => Ok(after_report(
            &reported,
            &format!("/network/jobs/{key}?"),
            "replanned",
        )),
        Err(error) => {
            let label = |field: &str| match field {
                "kind" => "報告の種類",
                "at" => "日時",
                _ => "入力",
            };
            let (status, errors) = super::form_errors(error, label)?;
            let page = job_view(&state, &viewer, &key, None, errors, typed).await?;
            Ok((status, page).into_response())
        }
    }
}

/// The hub (its city's staff, the secretariat) cancels a job; the rest is re-planned.
#[derive(Template, WebTemplate)]
#[template(path = "network/cancel.html")]
struct CancelPage {
    layout: Layout,
    key: String,
    name: String,
    hub: String,
}

/// `/network/jobs/{key}/cancel`: what cancelling does, asked once more before it is
/// done (it cannot be undone), for those who may cancel.
async fn confirm_cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let job = network::job(&state.store, &actor, &key).await?;
    if job.is_cancelled() {
        return Ok(Redirect::to(&format!("/network/jobs/{}", urlencoding(&key))).into_response());
    }
    if !job.may_be_cancelled_by(&actor) {
        return Err(store::StoreError::forbidden(
            "案件を取り消せるのは、取りまとめ企業の担当者と市区の職員です。",
        )
        .into());
    }
    Ok(CancelPage {
        layout: Layout::for_viewer("案件の取消", &viewer),
        key: job.key,
        name: job.name,
        hub: job.hub_name,
    }
    .into_response())
}

async fn cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    match network::cancel_job(&state.store, &actor, &key).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/network/jobs/{}?done=cancelled",
            urlencoding(&key)
        ))
        .into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, |_| "案件")?;
            let page = job_view(
                &state,
                &viewer,
                &key,
                None,
                errors,
                (0, String::new(), String::new()),
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

async fn plan(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let back = match form.get("job") {
        "" => "/network".to_owned(),
        key => format!("/network/jobs/{}", urlencoding(key)),
    };
    match network::route(&state.store, &actor, 0, network::default_budget()).await {
        Ok(_) => Ok(Redirect::to(&format!("{back}?done=planned")).into_response()),
        Err(store::StoreError::Conflict(reason)) => Err(WebError::BadRequest(reason)),
        Err(other) => Err(other.into()),
    }
}

/// Job keys are `job-` and hex digits; anything else is dropped from a redirect.
fn urlencoding(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

// ---- a factory's chart ---------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "network/factory.html")]
struct FactoryPage {
    layout: Layout,
    name: String,
    gantt: Gantt,
    machines: Vec<MachineRow>,
}

async fn factory_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(company): Path<String>,
) -> Result<FactoryPage, WebError> {
    let actor = viewer.actor()?;
    let board = network::board(&state.store, &actor).await?;
    let machines: Vec<&Machine> = board
        .machines
        .iter()
        .filter(|m| m.company_key == company)
        .collect();
    let name = machines
        .first()
        .map(|m| m.company_name.clone())
        .ok_or_else(|| WebError::NotFound("工場".into()))?;
    let rows = machines
        .iter()
        .map(|m| GanttRow {
            label: m.name.clone(),
            sublabel: m.process_labels(),
            ops: board
                .jobs
                .iter()
                .filter(|j| !j.is_cancelled())
                .flat_map(|j| {
                    j.operations
                        .iter()
                        .filter(|o| o.machine_id == Some(m.id))
                        .map(|o| (j.name.clone(), o.clone()))
                })
                .collect(),
        })
        .collect();
    Ok(FactoryPage {
        layout: Layout::for_viewer(format!("工場の工程表: {name}"), &viewer),
        gantt: gantt(
            "factory",
            &format!("{name}の設備ごとの工程表"),
            rows,
            board.now,
        ),
        machines: machines
            .iter()
            .map(|m| machine_row(m, Some(&board), Some(&actor)))
            .collect(),
        name,
    })
}

// ---- the Gantt chart -----------------------------------------------------------------

/// One row of a chart: a label and the operations drawn on it (with their job's name).
struct GanttRow {
    label: String,
    sublabel: String,
    ops: Vec<(String, Operation)>,
}

/// A chart ready to draw: every coordinate is computed here, the template only
/// writes the elements.
pub struct Gantt {
    id: String,
    title: String,
    description: String,
    width: i64,
    height: i64,
    rows: Vec<(String, String, i64)>,
    ticks: Vec<(String, String)>,
    bars: Vec<GanttBar>,
    now: Option<String>,
    axis_y: i64,
}

pub struct GanttBar {
    x: String,
    y: i64,
    width: String,
    class: &'static str,
    /// The late part after the planned end, hatched.
    late: Option<(String, String)>,
    text: String,
    text_x: String,
    tooltip: String,
}

const CHART_WIDTH: i64 = 960;
const LABEL_WIDTH: i64 = 230;
const ROW_HEIGHT: i64 = 44;
const TOP: i64 = 28;

fn gantt(id: &str, title: &str, rows: Vec<GanttRow>, now: i64) -> Gantt {
    let spans: Vec<(i64, i64)> = rows
        .iter()
        .flat_map(|r| &r.ops)
        .filter_map(|(_, o)| Some((o.start()?, o.end()?.max(o.planned_end.unwrap_or(0)))))
        .collect();
    let day = domain::network::MINUTES_PER_DAY;
    let from = spans
        .iter()
        .map(|s| s.0)
        .min()
        .unwrap_or(now)
        .div_euclid(day)
        * day;
    let to = spans
        .iter()
        .map(|s| s.1)
        .max()
        .unwrap_or(now + day)
        .max(from + day);
    let to = (to + day - 1).div_euclid(day) * day;
    let plot = (CHART_WIDTH - LABEL_WIDTH - 10) as f64;
    let scale = plot / (to - from) as f64;
    let x = |t: i64| LABEL_WIDTH as f64 + (t - from) as f64 * scale;
    let days = (to - from) / day;
    let step = if days > 21 { 7 } else { 1 };
    let ticks = (0..=days)
        .step_by(step as usize)
        .map(|d| {
            let t = from + d * day;
            (
                format!("{:.1}", x(t)),
                from_minutes(t).format("%m/%d").to_string(),
            )
        })
        .collect();
    let mut bars = Vec::new();
    let mut described = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let y = TOP + i as i64 * ROW_HEIGHT;
        for (job, op) in &row.ops {
            let (Some(start), Some(end)) = (op.start(), op.end()) else {
                continue;
            };
            let planned_end = op.planned_end.unwrap_or(end).min(end).max(start);
            let delayed = op.is_delayed();
            let status = match op.status() {
                "finished" => "完了",
                "started" => "作業中",
                _ => "予定",
            };
            let text = if delayed {
                format!(
                    "{status}・遅延 {}",
                    network::duration_text(end - op.planned_end.unwrap_or(end))
                )
            } else {
                status.to_owned()
            };
            let tooltip = format!(
                "{job} {}番目 {}: {} 〜 {}（{text}）",
                op.position,
                domain::directory::Capability::label_of(&op.process),
                format_minutes(start),
                format_minutes(end)
            );
            described.push(tooltip.clone());
            bars.push(GanttBar {
                x: format!("{:.1}", x(start)),
                y: y + 18,
                width: format!("{:.1}", (x(planned_end) - x(start)).max(2.0)),
                class: match op.status() {
                    "finished" => "bar-done",
                    "started" => "bar-running",
                    _ => "bar-planned",
                },
                late: delayed.then(|| {
                    (
                        format!("{:.1}", x(planned_end)),
                        format!("{:.1}", (x(end) - x(planned_end)).max(2.0)),
                    )
                }),
                text: if delayed { format!("⚠ {text}") } else { text },
                text_x: format!("{:.1}", x(start)),
                tooltip,
            });
        }
    }
    let height = TOP + rows.len() as i64 * ROW_HEIGHT + 24;
    let now_line = (now > from && now < to).then(|| format!("{:.1}", x(now)));
    Gantt {
        id: id.to_owned(),
        title: title.to_owned(),
        description: if described.is_empty() {
            "まだ計画された工程はありません。".into()
        } else {
            described.join("。")
        },
        width: CHART_WIDTH,
        height,
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| (r.label, r.sublabel, TOP + i as i64 * ROW_HEIGHT))
            .collect(),
        ticks,
        bars,
        now: now_line,
        axis_y: height - 8,
    }
}

// ---- import and export -----------------------------------------------------------------

async fn jobs_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let board = network::board(&state.store, &actor).await?;
    let mut table = Table::new(&network::CSV_HEADER)
        .codes(&["案件"])
        .numbers(&["順番"])
        .datetimes(&["投入", "納期", "計画の開始", "計画の完了", "開始", "完了"]);
    table.rows = network::csv_rows(&board.jobs, &board.machines);
    table.download(ExportFormat::Csv(csv), "network-jobs", "仲間まわし案件")
}

async fn jobs_fjs(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let text = network::export_fjs(&state.store, &actor).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"network-jobs.fjs\"",
            ),
        ],
        text,
    )
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "network/import.html")]
struct ImportPage {
    layout: Layout,
    hub: String,
    hub_fixed: bool,
    format: String,
    name: String,
    release: String,
    text: String,
    errors: Vec<String>,
}

async fn import_form(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<ImportPage, WebError> {
    let actor = viewer.actor()?;
    let own = network::company_key_of(&state.store, &actor).await?;
    Ok(ImportPage {
        layout: Layout::for_viewer("案件を取り込む（CSV・.fjs）", &viewer),
        hub_fixed: own.is_some(),
        hub: own.unwrap_or_default(),
        format: "csv".into(),
        name: String::new(),
        release: String::new(),
        text: String::new(),
        errors: Vec::new(),
    })
}

/// What the import form sends, pasted or uploaded.
#[derive(Debug, Default)]
struct ImportFields {
    hub: String,
    format: String,
    name: String,
    release: String,
    text: String,
}

/// The import page again with its fields and why nothing was imported.
fn import_refused(
    viewer: &Viewer,
    fields: ImportFields,
    status: axum::http::StatusCode,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    Ok((
        status,
        ImportPage {
            layout: Layout::for_viewer("案件を取り込む（CSV・.fjs）", viewer),
            hub_fixed: actor.company_id.is_some(),
            hub: fields.hub,
            format: fields.format,
            name: fields.name,
            release: fields.release,
            text: fields.text,
            errors,
        },
    )
        .into_response())
}

/// Imports CSV or `.fjs` text in one transaction: all of it, or nothing and the reasons.
async fn run_import(
    state: &AppState,
    viewer: &Viewer,
    fields: ImportFields,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let hub = fields.hub.trim();
    let result = if fields.format == "fjs" {
        match parse_time("release", &fields.release) {
            Ok(release) => {
                network::import_fjs(
                    &state.store,
                    &actor,
                    hub,
                    &fields.name,
                    release,
                    &fields.text,
                )
                .await
            }
            Err(error) => Err(error.into()),
        }
    } else {
        network::import_csv(&state.store, &actor, hub, &fields.text).await
    };
    match result {
        Ok(_) => Ok(Redirect::to("/network?done=imported").into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, job_label)?;
            import_refused(viewer, fields, status, errors)
        }
    }
}

async fn import(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let fields = ImportFields {
        hub: form.get("hub").to_owned(),
        format: form.get("format").to_owned(),
        name: form.get("name").to_owned(),
        release: form.get("release").to_owned(),
        text: form.get("text").to_owned(),
    };
    run_import(&state, &viewer, fields).await
}

/// The same import from a file upload (multipart, the CSRF token in the action URL): a
/// chosen file wins over pasted text; CSV may be UTF-8 or Shift_JIS as Excel saves it.
async fn import_file(
    State(state): State<AppState>,
    viewer: Viewer,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    viewer.actor()?;
    let mut fields = ImportFields::default();
    let mut file: Option<Vec<u8>> = None;
    let mut errors = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                errors.push(TOO_LARGE.to_owned());
                break;
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            let chosen = field.file_name().is_some_and(|n| !n.is_empty());
            match field.bytes().await {
                Ok(bytes) if chosen || !bytes.is_empty() => file = Some(bytes.to_vec()),
                Ok(_) => {}
                Err(_) => {
                    errors.push(TOO_LARGE.to_owned());
                    break;
                }
            }
            continue;
        }
        let value = field.text().await.unwrap_or_default();
        match name.as_str() {
            "hub" => fields.hub = value,
            "format" => fields.format = value,
            "name" => fields.name = value,
            "release" => fields.release = value,
            "text" => fields.text = value,
            _ => {}
        }
    }
    if errors.is_empty() {
        match file {
            Some(bytes) => match import::text::decode(&bytes) {
                Ok(text) => fields.text = text,
                Err(error) => errors.push(error.to_string()),
            },
            None if fields.text.trim().is_empty() => {
                errors.push("取り込むファイルを選ぶか、中身を貼り付けてください。".into());
            }
            None => {}
        }
    }
    if !errors.is_empty() {
        return import_refused(
            &viewer,
            fields,
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            errors,
        );
    }
    run_import(&state, &viewer, fields).await
}

/// Uploads stop at the server's body limit.
const TOO_LARGE: &str =
    "ファイルを受け取れませんでした（2MBまで）。大きなファイルは分けて取り込んでください。";
