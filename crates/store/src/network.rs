//! 仲間まわし, the factory network: machines (設備) of directory companies with their
//! working week, jobs a hub company enters as ordered operations, the router's plan
//! (`solve::fjsp`, run off the async threads and outside any transaction), and the
//! factories' progress reports, with re-planning that keeps started operations where
//! they are. Every change is audited; the audit log is the jobs' history.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use domain::network::{
    self, CityDistance, JobDraft, JobInput, MINUTES_PER_DAY, Site, TransportModel, WorkWeek,
    day_number, format_minutes, holidays_text, parse_holidays, parse_processes,
};
use domain::{Actor, Invalid, Role};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Deserialize;
use serde_json::json;
use solve::fjsp;

use crate::audit::{self, Change};
use crate::entity::{
    company, network_alternative, network_event, network_job, network_machine, network_operation,
    network_outage, network_route,
};
use crate::{Store, StoreError};

const NETWORK_TOML: &str = include_str!("../../../data/council/network.toml");

/// How many days of working calendar the router sees from the earliest relevant day.
const CALENDAR_DAYS: i64 = 730;

/// A machine or work centre of a factory.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    pub id: i64,
    pub company_id: i64,
    pub company_key: String,
    pub company_name: String,
    /// The organisation (city office) that looks after the company.
    pub owner_organisation_id: i64,
    pub name: String,
    pub processes: Vec<String>,
    pub week: WorkWeek,
    /// Days off besides the weekly rest days.
    pub holidays: Vec<NaiveDate>,
}

impl Machine {
    /// `大田精工 NC旋盤 1号機`.
    pub fn label(&self) -> String {
        format!("{} {}", self.company_name, self.name)
    }

    /// Whether the actor speaks for the machine's factory: may edit it, report
    /// progress of the operations on it and its breakdowns.
    pub fn is_run_by(&self, actor: &Actor) -> bool {
        actor.may_edit_company(self.company_id, self.owner_organisation_id)
    }

    /// The processes in Japanese: `切削、検査`.
    pub fn process_labels(&self) -> String {
        self.processes
            .iter()
            .map(|p| domain::directory::Capability::label_of(p))
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// What a machine form sends.
#[derive(Debug, Clone, Default)]
pub struct MachineInput {
    pub name: String,
    pub processes: String,
    pub days: String,
    pub hours: String,
    /// Days off, `2026-12-29 2026-12-30`.
    pub holidays: String,
}

/// One operation of a job, with its plan and progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub id: i64,
    pub position: i32,
    pub process: String,
    /// (machine id, minutes).
    pub alternatives: Vec<(i64, i64)>,
    pub machine_id: Option<i64>,
    pub planned_start: Option<i64>,
    pub planned_end: Option<i64>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub expected_end: Option<i64>,
}

impl Operation {
    /// The end as best known: reported, else the delay's, else the plan's.
    pub fn end(&self) -> Option<i64> {
        self.finished_at.or(self.expected_end).or(self.planned_end)
    }

    /// The start as best known: reported, else planned.
    pub fn start(&self) -> Option<i64> {
        self.started_at.or(self.planned_start)
    }

    /// Whether it runs later than planned (started late, reported late, or finished late).
    pub fn is_delayed(&self) -> bool {
        match (self.planned_end, self.end()) {
            (Some(planned), Some(end)) => end > planned,
            _ => false,
        }
    }

    pub fn status(&self) -> &'static str {
        match (self.started_at, self.finished_at) {
            (_, Some(_)) => "finished",
            (Some(_), None) => "started",
            _ => "waiting",
        }
    }
}

/// A job of the network.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub hub_company_id: i64,
    pub hub_key: String,
    pub hub_name: String,
    /// The hub's city office, which may act for it.
    pub hub_owner_organisation_id: i64,
    pub release: i64,
    pub due: Option<i64>,
    pub operations: Vec<Operation>,
    /// When it was cancelled (取消), on the network's clock.
    pub cancelled_at: Option<i64>,
}

impl Job {
    /// When the last operation ends, as best known.
    pub fn completion(&self) -> Option<i64> {
        self.operations.iter().map(|o| o.end()).max().flatten()
    }

    /// Minutes late against the due date (0 when on time or without one).
    pub fn tardiness(&self) -> i64 {
        match (self.due, self.completion()) {
            (Some(due), Some(end)) => (end - due).max(0),
            _ => 0,
        }
    }

    pub fn is_finished(&self) -> bool {
        self.operations.iter().all(|o| o.finished_at.is_some())
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }

    /// Whether it is still to be planned and worked on: neither finished nor cancelled.
    pub fn is_open(&self) -> bool {
        !self.is_finished() && !self.is_cancelled()
    }

    /// Whether the actor may cancel it: the hub company, its city's staff, the
    /// secretariat, while it is open.
    pub fn may_be_cancelled_by(&self, actor: &Actor) -> bool {
        self.is_open()
            && actor.may_edit_company(self.hub_company_id, self.hub_owner_organisation_id)
    }
}

/// The last routing run.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteSummary {
    pub routed_at: chrono::DateTime<Utc>,
    pub now: i64,
    pub makespan: i64,
    pub tardiness: i64,
    pub user_email: String,
}

/// Everything the network page shows: machines, the jobs the viewer may see, the last
/// plan's figures, the machines that are down.
#[derive(Debug, Clone)]
pub struct Board {
    pub machines: Vec<Machine>,
    pub jobs: Vec<Job>,
    pub last_route: Option<RouteSummary>,
    pub outages: Vec<Outage>,
    loads: HashMap<i64, i64>,
    /// The network's clock: the latest reported start or finish (see [`clock`]).
    pub now: i64,
    /// Whether the viewer may (re-)plan the network (see [`route`]).
    pub can_plan: bool,
}

impl Board {
    /// A machine's current load: planned minutes of operations not yet finished, over
    /// every job of the network (not only those the viewer sees).
    pub fn load_of(&self, machine: i64) -> i64 {
        self.loads.get(&machine).copied().unwrap_or(0)
    }
}

/// A machine that went down.
#[derive(Debug, Clone, PartialEq)]
pub struct Outage {
    pub id: i64,
    pub machine_id: i64,
    pub from: i64,
    pub until: Option<i64>,
    pub note: String,
}

/// One line of a job's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub kind: String,
    pub at: i64,
    pub detail: String,
    pub user_email: String,
    pub recorded_at: chrono::DateTime<Utc>,
}

impl HistoryEntry {
    pub fn label(&self) -> &'static str {
        match self.kind.as_str() {
            "created" => "登録",
            "planned" => "計画",
            "start" => "開始",
            "finish" => "完了",
            "delay" => "遅延",
            "machine_down" => "設備停止",
            "cancelled" => "取消",
            _ => "記録",
        }
    }
}

/// What a factory reports about an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Start,
    Finish,
    /// A running operation will end later: `at` is the new expected end.
    Delay,
}

impl EventKind {
    pub fn parse(text: &str) -> Option<EventKind> {
        match text {
            "start" => Some(EventKind::Start),
            "finish" => Some(EventKind::Finish),
            "delay" => Some(EventKind::Delay),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            EventKind::Start => "start",
            EventKind::Finish => "finish",
            EventKind::Delay => "delay",
        }
    }

    fn label(self) -> &'static str {
        match self {
            EventKind::Start => "開始",
            EventKind::Finish => "完了",
            EventKind::Delay => "遅延",
        }
    }
}

fn is_staff(actor: &Actor) -> bool {
    matches!(actor.role, Role::Staff | Role::Secretariat)
}

async fn company_by_key(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<company::Model, StoreError> {
    company::Entity::find()
        .filter(company::Column::Key.eq(key))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("企業"))
}

fn machine_of(row: network_machine::Model, companies: &HashMap<i64, company::Model>) -> Machine {
    let days: Vec<bool> = row.days.chars().map(|c| c == '1').collect();
    let mut week_days = [false; 7];
    for (slot, on) in week_days.iter_mut().zip(days) {
        *slot = on;
    }
    let company = companies.get(&row.company_id);
    Machine {
        id: row.id,
        company_id: row.company_id,
        company_key: company.map(|c| c.key.clone()).unwrap_or_default(),
        company_name: company.map(|c| c.name.clone()).unwrap_or_default(),
        owner_organisation_id: company.map_or(0, |c| c.owner_organisation_id),
        name: row.name,
        processes: row
            .processes
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        week: WorkWeek {
            days: week_days,
            start: i64::from(row.day_start),
            end: i64::from(row.day_end),
        },
        holidays: parse_holidays("holidays", &row.holidays).unwrap_or_default(),
    }
}

async fn companies_by_id(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, company::Model>, StoreError> {
    let ids: Vec<i64> = ids.into_iter().collect();
    let mut map = HashMap::new();
    for chunk in ids.chunks(500) {
        for row in company::Entity::find()
            .filter(company::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            map.insert(row.id, row);
        }
    }
    Ok(map)
}

/// Every machine of the network, by company then name. Machines are public: a factory
/// publishes what it can do.
pub async fn machines(store: &Store) -> Result<Vec<Machine>, StoreError> {
    machines_in(&store.db).await
}

async fn machines_in(db: &impl ConnectionTrait) -> Result<Vec<Machine>, StoreError> {
    let rows = network_machine::Entity::find()
        .order_by_asc(network_machine::Column::Id)
        .all(db)
        .await?;
    let companies = companies_by_id(db, rows.iter().map(|r| r.company_id)).await?;
    let mut machines: Vec<Machine> = rows
        .into_iter()
        .map(|r| machine_of(r, &companies))
        .collect();
    machines.sort_by(|a, b| (&a.company_key, a.id).cmp(&(&b.company_key, b.id)));
    Ok(machines)
}

/// A machine form, checked.
struct MachineDraft {
    name: String,
    processes: Vec<&'static str>,
    week: WorkWeek,
    holidays: Vec<NaiveDate>,
}

fn parse_machine(input: &MachineInput) -> Result<MachineDraft, StoreError> {
    let mut errors = Vec::new();
    let name = input.name.trim().to_owned();
    if name.is_empty() {
        errors.push(Invalid::new("name", "設備名を入力してください。"));
    } else if name.chars().count() > domain::directory::NAME_MAX {
        errors.push(Invalid::new("name", "設備名が長すぎます。"));
    }
    let processes = parse_processes("processes", &input.processes)
        .map_err(|e| errors.push(e))
        .ok();
    let week = WorkWeek::parse(&input.days, &input.hours)
        .map_err(|mut e| errors.append(&mut e))
        .ok();
    let holidays = parse_holidays("holidays", &input.holidays)
        .map_err(|e| errors.push(e))
        .ok();
    match (processes, week, holidays) {
        (Some(processes), Some(week), Some(holidays)) if errors.is_empty() => Ok(MachineDraft {
            name,
            processes,
            week,
            holidays,
        }),
        _ => Err(StoreError::Invalid(errors)),
    }
}

fn machine_json(company: &str, draft: &MachineDraft) -> serde_json::Value {
    json!({"company": company, "name": draft.name, "processes": draft.processes,
        "days": draft.week.days_text(), "hours": draft.week.hours_text(),
        "holidays": holidays_text(&draft.holidays)})
}

fn days_code(week: &WorkWeek) -> String {
    week.days
        .iter()
        .map(|&d| if d { '1' } else { '0' })
        .collect()
}

/// Adds a machine to a company: its members, its city's staff and the secretariat may.
pub async fn add_machine(
    store: &Store,
    actor: &Actor,
    company_key: &str,
    input: &MachineInput,
) -> Result<Machine, StoreError> {
    let txn = store.begin().await?;
    let company = company_by_key(&txn, company_key).await?;
    if !actor.may_edit_company(company.id, company.owner_organisation_id) {
        return Err(StoreError::forbidden(
            "この企業の設備を登録できるのは、企業の担当者と市区の職員です。",
        ));
    }
    let draft = parse_machine(input)?;
    let now = Utc::now();
    let row = network_machine::ActiveModel {
        company_id: Set(company.id),
        name: Set(draft.name.clone()),
        processes: Set(draft.processes.join(" ")),
        days: Set(days_code(&draft.week)),
        day_start: Set(draft.week.start as i32),
        day_end: Set(draft.week.end as i32),
        holidays: Set(holidays_text(&draft.holidays)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "create",
            entity: "network_machine",
            entity_key: row.id.to_string(),
            organisation_id: Some(company.owner_organisation_id),
            summary: format!("{}に設備「{}」を登録", company.name, draft.name),
            before: None,
            after: Some(machine_json(&company.key, &draft)),
        },
    )
    .await?;
    txn.commit().await?;
    let companies = HashMap::from([(company.id, company)]);
    Ok(machine_of(row, &companies))
}

/// One machine.
pub async fn machine(store: &Store, id: i64) -> Result<Machine, StoreError> {
    machines(store)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| StoreError::not_found("設備"))
}

/// Changes a machine's name, processes and calendar (the same people as
/// [`add_machine`]). The next plan uses the new calendar.
pub async fn update_machine(
    store: &Store,
    actor: &Actor,
    id: i64,
    input: &MachineInput,
) -> Result<Machine, StoreError> {
    let txn = store.begin().await?;
    let row = network_machine::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::not_found("設備"))?;
    let company = company::Entity::find_by_id(row.company_id)
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::not_found("企業"))?;
    if !actor.may_edit_company(company.id, company.owner_organisation_id) {
        return Err(StoreError::forbidden(
            "この設備を変更できるのは、企業の担当者と市区の職員です。",
        ));
    }
    let draft = parse_machine(input)?;
    let companies = HashMap::from([(company.id, company.clone())]);
    let before = machine_of(row.clone(), &companies);
    let updated = network_machine::ActiveModel {
        id: sea_orm::Unchanged(row.id),
        name: Set(draft.name.clone()),
        processes: Set(draft.processes.join(" ")),
        days: Set(days_code(&draft.week)),
        day_start: Set(draft.week.start as i32),
        day_end: Set(draft.week.end as i32),
        holidays: Set(holidays_text(&draft.holidays)),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "update",
            entity: "network_machine",
            entity_key: row.id.to_string(),
            organisation_id: Some(company.owner_organisation_id),
            summary: format!("{}の設備「{}」を変更", company.name, draft.name),
            before: Some(json!({"name": before.name, "processes": before.processes,
                "days": before.week.days_text(), "hours": before.week.hours_text(),
                "holidays": holidays_text(&before.holidays)})),
            after: Some(machine_json(&company.key, &draft)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(machine_of(updated, &companies))
}

async fn load_jobs(db: &impl ConnectionTrait, key: Option<&str>) -> Result<Vec<Job>, StoreError> {
    let mut query = network_job::Entity::find();
    if let Some(key) = key {
        query = query.filter(network_job::Column::Key.eq(key));
    }
    let rows = query.order_by_asc(network_job::Column::Id).all(db).await?;
    let companies = companies_by_id(db, rows.iter().map(|r| r.hub_company_id)).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut operations: BTreeMap<i64, Vec<Operation>> = BTreeMap::new();
    let mut alternatives: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let ops = network_operation::Entity::find()
            .filter(network_operation::Column::JobId.is_in(chunk.iter().copied()))
            .order_by_asc(network_operation::Column::Position)
            .all(db)
            .await?;
        let op_ids: Vec<i64> = ops.iter().map(|o| o.id).collect();
        for op_chunk in op_ids.chunks(500) {
            for alt in network_alternative::Entity::find()
                .filter(network_alternative::Column::OperationId.is_in(op_chunk.iter().copied()))
                .order_by_asc(network_alternative::Column::MachineId)
                .all(db)
                .await?
            {
                alternatives
                    .entry(alt.operation_id)
                    .or_default()
                    .push((alt.machine_id, alt.minutes));
            }
        }
        for o in ops {
            operations.entry(o.job_id).or_default().push(Operation {
                id: o.id,
                position: o.position,
                process: o.process,
                alternatives: alternatives.remove(&o.id).unwrap_or_default(),
                machine_id: o.machine_id,
                planned_start: o.planned_start,
                planned_end: o.planned_end,
                started_at: o.started_at,
                finished_at: o.finished_at,
                expected_end: o.expected_end,
            });
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let hub = companies.get(&r.hub_company_id);
            Job {
                id: r.id,
                key: r.key,
                name: r.name,
                hub_company_id: r.hub_company_id,
                hub_key: hub.map(|c| c.key.clone()).unwrap_or_default(),
                hub_name: hub.map(|c| c.name.clone()).unwrap_or_default(),
                hub_owner_organisation_id: hub.map_or(0, |c| c.owner_organisation_id),
                release: r.release_at,
                due: r.due_at,
                operations: operations.remove(&r.id).unwrap_or_default(),
                cancelled_at: r.cancelled_at,
            }
        })
        .collect())
}

/// Whether the actor may see a job: staff and the secretariat see every job; a company
/// sees the jobs it is the hub of and those that may pass through its machines.
fn may_see(actor: &Actor, job: &Job, machines: &HashMap<i64, i64>) -> bool {
    is_staff(actor)
        || actor.company_id.is_some_and(|c| {
            c == job.hub_company_id
                || job.operations.iter().any(|o| {
                    o.alternatives
                        .iter()
                        .any(|(m, _)| machines.get(m) == Some(&c))
                })
        })
}

/// The network as the actor sees it.
pub async fn board(store: &Store, actor: &Actor) -> Result<Board, StoreError> {
    let machines = machines(store).await?;
    let owner: HashMap<i64, i64> = machines.iter().map(|m| (m.id, m.company_id)).collect();
    let all = load_jobs(&store.db, None).await?;
    let now = clock_of(&all);
    let mut loads: HashMap<i64, i64> = HashMap::new();
    for op in all
        .iter()
        .filter(|j| !j.is_cancelled())
        .flat_map(|j| &j.operations)
    {
        if let (None, Some(m), Some(start), Some(end)) =
            (op.finished_at, op.machine_id, op.start(), op.end())
        {
            *loads.entry(m).or_default() += (end - start.max(now)).max(0);
        }
    }
    let hubs = companies_by_id(&store.db, all.iter().map(|j| j.hub_company_id)).await?;
    let can_plan = may_route(actor, &all, &hubs);
    let jobs = all
        .into_iter()
        .filter(|j| may_see(actor, j, &owner))
        .collect();
    let last_route = network_route::Entity::find()
        .order_by_desc(network_route::Column::Id)
        .one(&store.db)
        .await?
        .map(|r| RouteSummary {
            routed_at: r.routed_at,
            now: r.now_minute,
            makespan: r.makespan,
            tardiness: r.tardiness,
            user_email: r.user_email,
        });
    Ok(Board {
        machines,
        jobs,
        last_route,
        outages: outages(&store.db).await?,
        loads,
        now,
        can_plan,
    })
}

async fn outages(db: &impl ConnectionTrait) -> Result<Vec<Outage>, StoreError> {
    Ok(network_outage::Entity::find()
        .order_by_asc(network_outage::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|o| Outage {
            id: o.id,
            machine_id: o.machine_id,
            from: o.from_minute,
            until: o.until_minute,
            note: o.note,
        })
        .collect())
}

/// The network's clock: the latest start or finish a factory reported, or — before
/// any report — the earliest release of an open job. Re-planning never moves an
/// operation before it; tablets report real times, so it follows the wall clock.
fn clock_of(jobs: &[Job]) -> i64 {
    let reported = jobs
        .iter()
        .flat_map(|j| &j.operations)
        .flat_map(|o| [o.started_at, o.finished_at])
        .flatten()
        .max();
    reported.unwrap_or_else(|| {
        jobs.iter()
            .filter(|j| j.is_open())
            .map(|j| j.release)
            .min()
            .unwrap_or(0)
    })
}

/// The network's clock (see [`Board::now`]).
pub async fn clock(store: &Store) -> Result<i64, StoreError> {
    Ok(clock_of(&load_jobs(&store.db, None).await?))
}

/// A job's history, oldest first, if the actor may see the job.
pub async fn history(
    store: &Store,
    actor: &Actor,
    key: &str,
) -> Result<Vec<HistoryEntry>, StoreError> {
    let job = job(store, actor, key).await?;
    Ok(network_event::Entity::find()
        .filter(network_event::Column::JobId.eq(job.id))
        .order_by_asc(network_event::Column::Id)
        .all(&store.db)
        .await?
        .into_iter()
        .map(|e| HistoryEntry {
            kind: e.kind,
            at: e.at_minute,
            detail: e.detail,
            user_email: e.user_email,
            recorded_at: e.recorded_at,
        })
        .collect())
}

async fn record_event(
    db: &impl ConnectionTrait,
    actor: &Actor,
    job_id: i64,
    operation_id: Option<i64>,
    kind: &str,
    at: i64,
    detail: String,
) -> Result<(), StoreError> {
    network_event::ActiveModel {
        job_id: Set(job_id),
        operation_id: Set(operation_id),
        kind: Set(kind.to_owned()),
        at_minute: Set(at),
        detail: Set(detail),
        user_email: Set(actor.email.clone()),
        recorded_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// One job, if the actor may see it.
pub async fn job(store: &Store, actor: &Actor, key: &str) -> Result<Job, StoreError> {
    let owner: HashMap<i64, i64> = machines(store)
        .await?
        .iter()
        .map(|m| (m.id, m.company_id))
        .collect();
    load_jobs(&store.db, Some(key))
        .await?
        .into_iter()
        .find(|j| may_see(actor, j, &owner))
        .ok_or_else(|| StoreError::not_found("案件"))
}

/// Checks a job against the network's machines: every machine exists and does the
/// operation's process.
fn check_against(draft: &JobDraft, machines: &[Machine]) -> Result<(), StoreError> {
    let mut errors = Vec::new();
    for (n, op) in draft.operations.iter().enumerate() {
        let field = format!("operations[{}]", n + 1);
        for (machine, _) in &op.alternatives {
            match machines.iter().find(|m| m.id == *machine) {
                None => errors.push(Invalid::new(
                    &field,
                    format!("{}行目: 設備 {machine} はありません。", n + 1),
                )),
                Some(m) if !m.processes.iter().any(|p| p == op.process) => {
                    errors.push(Invalid::new(
                        &field,
                        format!(
                            "{}行目: 設備 {}（{} {}）は{}をしません。",
                            n + 1,
                            m.id,
                            m.company_name,
                            m.name,
                            domain::directory::Capability::label_of(op.process)
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(errors))
    }
}

fn may_enter_jobs_for(actor: &Actor, hub: &company::Model) -> bool {
    actor.may_edit_company(hub.id, hub.owner_organisation_id)
}

async fn insert_job(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    hub: &company::Model,
    draft: &JobDraft,
) -> Result<String, StoreError> {
    let key = format!("job-{:08x}", rand::random::<u32>());
    let row = network_job::ActiveModel {
        key: Set(key.clone()),
        hub_company_id: Set(hub.id),
        name: Set(draft.name.clone()),
        release_at: Set(draft.release),
        due_at: Set(draft.due),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    for (position, op) in draft.operations.iter().enumerate() {
        let op_row = network_operation::ActiveModel {
            job_id: Set(row.id),
            position: Set(position as i32 + 1),
            process: Set(op.process.to_owned()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        for &(machine, minutes) in &op.alternatives {
            network_alternative::ActiveModel {
                operation_id: Set(op_row.id),
                machine_id: Set(machine),
                minutes: Set(minutes),
            }
            .insert(txn)
            .await?;
        }
    }
    audit::record(
        txn,
        Some(actor),
        Change {
            action: "create",
            entity: "network_job",
            entity_key: key.clone(),
            organisation_id: Some(hub.owner_organisation_id),
            summary: format!("{}が仲間まわし案件「{}」を登録", hub.name, draft.name),
            before: None,
            after: Some(json!({"key": key, "name": draft.name, "hub": hub.key,
                "operations": draft.operations.len()})),
        },
    )
    .await?;
    record_event(
        txn,
        actor,
        row.id,
        None,
        "created",
        draft.release,
        format!(
            "{}が登録（{}工程、投入 {}{}）",
            hub.name,
            draft.operations.len(),
            format_minutes(draft.release),
            draft
                .due
                .map(|d| format!("、納期 {}", format_minutes(d)))
                .unwrap_or_default()
        ),
    )
    .await?;
    Ok(key)
}

/// A hub company enters a job (its members, its city's staff, the secretariat).
pub async fn create_job(
    store: &Store,
    actor: &Actor,
    hub_key: &str,
    input: &JobInput,
) -> Result<Job, StoreError> {
    let draft = JobDraft::parse(input)?;
    let machines = machines(store).await?;
    let txn = store.begin().await?;
    let hub = company_by_key(&txn, hub_key).await?;
    if !may_enter_jobs_for(actor, &hub) {
        return Err(StoreError::forbidden(
            "案件を登録できるのは、取りまとめ企業の担当者と市区の職員です。",
        ));
    }
    check_against(&draft, &machines)?;
    let key = insert_job(&txn, actor, &hub, &draft).await?;
    txn.commit().await?;
    job(store, actor, &key).await
}

/// Enters checked jobs for a hub in one transaction (all or none); their keys.
async fn insert_jobs(
    store: &Store,
    actor: &Actor,
    hub_key: &str,
    drafts: &[JobDraft],
) -> Result<Vec<String>, StoreError> {
    let txn = store.begin().await?;
    let hub = company_by_key(&txn, hub_key).await?;
    if !may_enter_jobs_for(actor, &hub) {
        return Err(StoreError::forbidden(
            "案件を登録できるのは、取りまとめ企業の担当者と市区の職員です。",
        ));
    }
    let mut keys = Vec::new();
    for draft in drafts {
        keys.push(insert_job(&txn, actor, &hub, draft).await?);
    }
    txn.commit().await?;
    Ok(keys)
}

/// The network's machines in the order `.fjs` files number them (1 = the first).
async fn fjs_machines(store: &Store) -> Result<Vec<Machine>, StoreError> {
    let mut machines = machines(store).await?;
    machines.sort_by_key(|m| m.id);
    Ok(machines)
}

/// Imports the jobs of a `.fjs` text for a hub: machine k of the file is the k-th
/// machine of the network (by id, as [`export_fjs`] writes them); each operation's
/// process is the first process of its first machine. Returns the new jobs' keys.
pub async fn import_fjs(
    store: &Store,
    actor: &Actor,
    hub_key: &str,
    name: &str,
    release: i64,
    text: &str,
) -> Result<Vec<String>, StoreError> {
    let problem = fjsp::parse(text).map_err(|e| {
        StoreError::Invalid(vec![Invalid::new(
            "file",
            format!(".fjs ファイルを読めません: {e}"),
        )])
    })?;
    let machines = fjs_machines(store).await?;
    if problem.machines.len() > machines.len() {
        return Err(StoreError::Invalid(vec![Invalid::new(
            "file",
            format!(
                ".fjs ファイルの設備数 {} が、ネットワークの設備数 {} を超えています。",
                problem.machines.len(),
                machines.len()
            ),
        )]));
    }
    let name = if name.trim().is_empty() {
        "取込案件"
    } else {
        name.trim()
    };
    let drafts: Vec<JobDraft> = problem
        .jobs
        .iter()
        .enumerate()
        .map(|(j, job)| JobDraft {
            name: format!("{name} {}", j + 1),
            release,
            due: None,
            operations: job
                .operations
                .iter()
                .map(|op| {
                    let alternatives: Vec<(i64, i64)> = op
                        .alternatives
                        .iter()
                        .map(|a| (machines[a.machine].id, a.duration.max(1)))
                        .collect();
                    let process = machines[op.alternatives[0].machine]
                        .processes
                        .first()
                        .and_then(|p| domain::directory::Capability::find(p))
                        .map_or("cutting", |c| c.code);
                    network::OperationDraft {
                        process,
                        alternatives,
                    }
                })
                .collect(),
        })
        .collect();
    // A machine of the file may not do the process taken from another machine: keep
    // only those that do, and refuse an operation none of whose machines does it.
    let drafts: Vec<JobDraft> = drafts
        .into_iter()
        .map(|mut d| {
            for op in &mut d.operations {
                op.alternatives.retain(|(m, _)| {
                    machines
                        .iter()
                        .any(|x| x.id == *m && x.processes.iter().any(|p| p == op.process))
                });
            }
            d
        })
        .collect();
    for draft in &drafts {
        if let Some(n) = draft
            .operations
            .iter()
            .position(|o| o.alternatives.is_empty())
        {
            return Err(StoreError::Invalid(vec![Invalid::new(
                "file",
                format!(
                    "{}: {}番目の工程ができる設備がありません。",
                    draft.name,
                    n + 1
                ),
            )]));
        }
        check_against(draft, &machines)?;
    }
    insert_jobs(store, actor, hub_key, &drafts).await
}

/// The jobs the actor sees, as `.fjs` text (machines numbered as [`import_fjs`] reads
/// them; calendars, releases and due dates are not part of the format).
pub async fn export_fjs(store: &Store, actor: &Actor) -> Result<String, StoreError> {
    let machines = fjs_machines(store).await?;
    let index: HashMap<i64, usize> = machines
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id, i))
        .collect();
    let board = board(store, actor).await?;
    let jobs = board
        .jobs
        .iter()
        .filter(|job| !job.is_cancelled())
        .map(|job| fjsp::Job {
            name: job.key.clone(),
            release: 0,
            due: None,
            operations: job
                .operations
                .iter()
                .map(|op| fjsp::Operation {
                    alternatives: op
                        .alternatives
                        .iter()
                        .filter_map(|(m, t)| {
                            Some(fjsp::Alternative {
                                machine: *index.get(m)?,
                                duration: *t,
                            })
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    Ok(fjsp::write(&fjsp::Problem::single_factory(
        machines.len().max(1),
        jobs,
    )))
}

/// The outcome of a routing run.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteOutcome {
    pub jobs: usize,
    pub operations: usize,
    /// The minute the last operation ends.
    pub makespan: i64,
    pub tardiness: i64,
}

/// Which operation of the problem is which row.
struct Built {
    problem: fjsp::Problem,
    /// (job index, operation index) → operation id.
    ids: HashMap<(usize, usize), i64>,
    machine_ids: Vec<i64>,
    /// Operations that have started: their plan stays as the baseline delays are
    /// measured against.
    started: Vec<i64>,
    jobs: usize,
    /// Job index → job id.
    job_ids: Vec<i64>,
}

fn build(
    machines: &[Machine],
    companies_by: &HashMap<i64, company::Model>,
    jobs: &[Job],
    outages: &[Outage],
    now: i64,
) -> Built {
    let transport_model = CityDistance;
    let mut companies: Vec<i64> = machines.iter().map(|m| m.company_id).collect();
    companies.sort_unstable();
    companies.dedup();
    let site = |id: i64| {
        let company = companies_by.get(&id);
        Site {
            company_id: id,
            city_id: company.and_then(|c| c.city_id),
            address: company.map_or("", |c| c.address.as_str()),
        }
    };
    let factory_of: HashMap<i64, usize> =
        companies.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    let machine_index: HashMap<i64, usize> = machines
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id, i))
        .collect();
    let open: Vec<&Job> = jobs.iter().filter(|j| j.is_open()).collect();
    let earliest = open
        .iter()
        .flat_map(|j| {
            std::iter::once(j.release).chain(j.operations.iter().filter_map(|o| o.started_at))
        })
        .chain(std::iter::once(now))
        .min()
        .unwrap_or(now);
    let first_day = earliest.div_euclid(MINUTES_PER_DAY);
    let mut problem = fjsp::Problem {
        factories: companies
            .iter()
            .map(|c| fjsp::Factory {
                name: c.to_string(),
            })
            .collect(),
        machines: machines
            .iter()
            .map(|m| fjsp::Machine {
                name: m.name.clone(),
                factory: factory_of[&m.company_id],
                calendar: fjsp::Calendar {
                    windows: m
                        .week
                        .windows_except(
                            first_day,
                            CALENDAR_DAYS,
                            &m.holidays
                                .iter()
                                .map(|d| day_number(*d))
                                .collect::<Vec<_>>(),
                        )
                        .into_iter()
                        .map(|(start, end)| fjsp::Window { start, end })
                        .collect(),
                },
            })
            .collect(),
        jobs: Vec::new(),
        transport: companies
            .iter()
            .map(|a| {
                companies
                    .iter()
                    .map(|b| transport_model.minutes(&site(*a), &site(*b)))
                    .collect()
            })
            .collect(),
        frozen: Vec::new(),
        outages: outages
            .iter()
            .filter_map(|o| {
                Some(fjsp::Outage {
                    machine: *machine_index.get(&o.machine_id)?,
                    from: o.from,
                    until: o.until,
                })
            })
            .collect(),
        not_before: now,
    };
    let mut ids = HashMap::new();
    let mut started = Vec::new();
    for job in &open {
        // Finished operations are history: the job continues from the first one that
        // is not finished, no earlier than the last finish.
        let done: Vec<&Operation> = job
            .operations
            .iter()
            .take_while(|o| o.finished_at.is_some())
            .collect();
        let release = done
            .iter()
            .filter_map(|o| o.finished_at)
            .max()
            .unwrap_or(job.release)
            .max(job.release);
        let j = problem.jobs.len();
        let mut operations = Vec::new();
        for (k, op) in job.operations.iter().skip(done.len()).enumerate() {
            let alternatives: Vec<fjsp::Alternative> = op
                .alternatives
                .iter()
                .filter_map(|(m, t)| {
                    Some(fjsp::Alternative {
                        machine: *machine_index.get(m)?,
                        duration: *t,
                    })
                })
                .collect();
            if let (Some(start), Some(machine)) = (op.started_at, op.machine_id) {
                let duration = op
                    .alternatives
                    .iter()
                    .find(|a| a.0 == machine)
                    .map_or(0, |a| a.1);
                let end = op
                    .finished_at
                    .or(op.expected_end)
                    .or(op.planned_end)
                    .unwrap_or(start + duration)
                    .max(now);
                started.push(op.id);
                if let Some(&m) = machine_index.get(&machine) {
                    problem.frozen.push(fjsp::FrozenOperation {
                        job: j,
                        operation: k,
                        machine: m,
                        start,
                        end,
                    });
                }
            }
            ids.insert((j, k), op.id);
            operations.push(fjsp::Operation { alternatives });
        }
        problem.jobs.push(fjsp::Job {
            name: format!("「{}」", job.name),
            release,
            due: job.due,
            operations,
        });
    }
    Built {
        jobs: problem.jobs.len(),
        problem,
        ids,
        machine_ids: machines.iter().map(|m| m.id).collect(),
        started,
        job_ids: open.iter().map(|j| j.id).collect(),
    }
}

/// Explains why the router found no plan, in Japanese, naming the job and operation.
fn route_error(error: &fjsp::RouteError, problem: &fjsp::Problem) -> StoreError {
    let name = |job: usize| {
        problem
            .jobs
            .get(job)
            .map_or(String::new(), |j| j.name.clone())
    };
    let reason = match error {
        fjsp::RouteError::Invalid(fjsp::ProblemError::NoEligibleMachine { job, operation }) => {
            format!(
                "案件 {} の{}番目の工程ができる設備がありません。",
                name(*job),
                operation + 1
            )
        }
        fjsp::RouteError::Unplaceable { job, operation } => format!(
            "案件 {} の{}番目の工程を、設備の稼働日のうちに割り当てられません。",
            name(*job),
            operation + 1
        ),
        fjsp::RouteError::Invalid(other) => format!("計画できません: {other}"),
    };
    StoreError::Conflict(reason)
}

/// Whether the actor may (re-)plan the network: the secretariat, and the hub companies
/// of open jobs and their cities' staff.
fn may_route(actor: &Actor, jobs: &[Job], hubs: &HashMap<i64, company::Model>) -> bool {
    actor.role == Role::Secretariat
        || jobs.iter().filter(|j| j.is_open()).any(|j| {
            hubs.get(&j.hub_company_id)
                .is_some_and(|h| actor.may_edit_company(h.id, h.owner_organisation_id))
        })
}

/// Routes every open job of the network at minute `now` (no earlier than the network's
/// [`clock`]): operations that have started keep their machine and times, the rest
/// are (re-)planned to start no earlier than `now`, around the machines that are down.
/// The secretariat, hub companies of an open job and their cities' staff may run it.
pub async fn route(
    store: &Store,
    actor: &Actor,
    now: i64,
    budget: fjsp::Budget,
) -> Result<RouteOutcome, StoreError> {
    let jobs = load_jobs(&store.db, None).await?;
    let hubs = companies_by_id(&store.db, jobs.iter().map(|j| j.hub_company_id)).await?;
    if !may_route(actor, &jobs, &hubs) {
        return Err(StoreError::forbidden(
            "計画を作れるのは、未完了の案件の取りまとめ企業とその市区の職員です。",
        ));
    }
    replan(store, actor, now, budget, "計画").await
}

/// Routes without asking who may: after a factory's delay or breakdown report, the
/// network re-plans itself.
async fn replan(
    store: &Store,
    actor: &Actor,
    now: i64,
    budget: fjsp::Budget,
    why: &str,
) -> Result<RouteOutcome, StoreError> {
    let machines = fjs_machines(store).await?;
    let jobs = load_jobs(&store.db, None).await?;
    let now = now.max(clock_of(&jobs));
    let companies = companies_by_id(&store.db, machines.iter().map(|m| m.company_id)).await?;
    let outages = outages(&store.db).await?;
    let built = build(&machines, &companies, &jobs, &outages, now);
    if built.jobs == 0 {
        return Err(StoreError::Conflict(
            "計画する未完了の案件がありません。".into(),
        ));
    }
    let problem = built.problem.clone();
    // The router is CPU-bound: off the async threads, with no transaction open.
    let plan = tokio::task::spawn_blocking(move || fjsp::route(&problem, &budget))
        .await
        .map_err(|e| StoreError::Config(format!("router task failed: {e}")))?
        .map_err(|e| route_error(&e, &built.problem))?;
    let txn = store.begin().await?;
    for a in &plan.assignments {
        let Some(&id) = built.ids.get(&(a.job, a.operation)) else {
            continue;
        };
        if built.started.contains(&id) {
            continue;
        }
        network_operation::ActiveModel {
            id: sea_orm::Unchanged(id),
            machine_id: Set(Some(built.machine_ids[a.machine])),
            planned_start: Set(Some(a.start)),
            planned_end: Set(Some(a.end)),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    let outcome = RouteOutcome {
        jobs: built.jobs,
        operations: plan.assignments.len(),
        makespan: plan.makespan.0,
        tardiness: plan.total_tardiness(),
    };
    for (j, outcome_of_job) in plan.jobs.iter().enumerate() {
        let Some(&job_id) = built.job_ids.get(j) else {
            continue;
        };
        record_event(
            &txn,
            actor,
            job_id,
            None,
            "planned",
            now,
            format!(
                "{why}: 完了予定 {}{}",
                format_minutes(outcome_of_job.completion),
                if outcome_of_job.tardiness > 0 {
                    format!("（納期に{}遅れ）", duration_text(outcome_of_job.tardiness))
                } else {
                    String::new()
                }
            ),
        )
        .await?;
    }
    network_route::ActiveModel {
        routed_at: Set(Utc::now()),
        now_minute: Set(now),
        makespan: Set(outcome.makespan),
        tardiness: Set(outcome.tardiness),
        user_email: Set(actor.email.clone()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "update",
            entity: "network_plan",
            entity_key: format_minutes(now),
            organisation_id: actor.organisation_id,
            summary: format!(
                "仲間まわしの{why}（{}件・完了 {}・遅れ計 {}分）",
                outcome.jobs,
                format_minutes(outcome.makespan),
                outcome.tardiness
            ),
            before: None,
            after: Some(
                json!({"jobs": outcome.jobs, "makespan": format_minutes(outcome.makespan),
                "tardiness_minutes": outcome.tardiness}),
            ),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(outcome)
}

/// `1日2時間30分`, `45分`.
pub fn duration_text(minutes: i64) -> String {
    let (d, h, m) = (
        minutes / MINUTES_PER_DAY,
        minutes % MINUTES_PER_DAY / 60,
        minutes % 60,
    );
    let mut text = String::new();
    if d > 0 {
        text.push_str(&format!("{d}日"));
    }
    if h > 0 {
        text.push_str(&format!("{h}時間"));
    }
    if m > 0 || text.is_empty() {
        text.push_str(&format!("{m}分"));
    }
    text
}

/// What became of the plan after a report.
#[derive(Debug, Clone, PartialEq)]
pub enum Replan {
    /// The network was re-planned.
    Done(RouteOutcome),
    /// The report is kept, but no plan fits any more; the reason says why.
    Impossible(String),
}

/// A report as recorded, with the re-plan it caused (delays and breakdowns only).
#[derive(Debug, Clone, PartialEq)]
pub struct Reported {
    pub operation: Option<Operation>,
    pub replan: Option<Replan>,
}

async fn replan_after(store: &Store, actor: &Actor, why: &str) -> Result<Replan, StoreError> {
    match replan(store, actor, 0, default_budget(), why).await {
        Ok(outcome) => Ok(Replan::Done(outcome)),
        Err(StoreError::Conflict(reason)) => Ok(Replan::Impossible(reason)),
        Err(other) => Err(other),
    }
}

/// A factory reports the start, finish or delay of an operation at minute `at` (for a
/// delay: the new expected end). Only the factory whose machine the operation is
/// planned on (its members, its city's staff, the secretariat) may report; reports
/// out of order are refused. A delay re-plans the network at once.
pub async fn report(
    store: &Store,
    actor: &Actor,
    operation_id: i64,
    kind: EventKind,
    at: i64,
) -> Result<Reported, StoreError> {
    let txn = store.begin().await?;
    let row = network_operation::Entity::find_by_id(operation_id)
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::not_found("工程"))?;
    let job_row = network_job::Entity::find_by_id(row.job_id)
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::not_found("工程"))?;
    if job_row.cancelled_at.is_some() {
        return Err(StoreError::Conflict(
            "この案件は取り消されています。取り消した案件の進捗は報告できません。".into(),
        ));
    }
    let Some(machine_id) = row.machine_id else {
        return Err(StoreError::Conflict(
            "この工程はまだ計画されていません。先に計画を作ってください。".into(),
        ));
    };
    let machine = network_machine::Entity::find_by_id(machine_id)
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::not_found("設備"))?;
    let factory = company::Entity::find_by_id(machine.company_id)
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::not_found("企業"))?;
    if !actor.may_edit_company(factory.id, factory.owner_organisation_id) {
        return Err(StoreError::forbidden(format!(
            "この工程の進捗を報告できるのは、設備のある{}の担当者です。",
            factory.name
        )));
    }
    let previous = if row.position > 1 {
        network_operation::Entity::find()
            .filter(network_operation::Column::JobId.eq(row.job_id))
            .filter(network_operation::Column::Position.eq(row.position - 1))
            .one(&txn)
            .await?
    } else {
        None
    };
    let conflict = |reason: &str| Err(StoreError::Conflict(reason.to_owned()));
    let mut active = network_operation::ActiveModel {
        id: sea_orm::Unchanged(row.id),
        ..Default::default()
    };
    match kind {
        EventKind::Start => {
            if row.started_at.is_some() {
                return conflict("この工程は既に開始しています。");
            }
            match previous.as_ref().map(|p| p.finished_at) {
                Some(None) => return conflict("前の工程がまだ完了していません。"),
                Some(Some(done)) if at < done => {
                    return conflict("開始日時が前の工程の完了より前です。");
                }
                _ => {}
            }
            if at < job_row.release_at {
                return conflict("開始日時が案件の投入日時より前です。");
            }
            let busy = network_operation::Entity::find()
                .filter(network_operation::Column::MachineId.eq(machine_id))
                .filter(network_operation::Column::StartedAt.is_not_null())
                .filter(network_operation::Column::FinishedAt.is_null())
                .one(&txn)
                .await?;
            if busy.is_some() {
                return conflict(
                    "この設備では別の工程が作業中です。先にその工程の完了を報告してください。",
                );
            }
            active.started_at = Set(Some(at));
        }
        EventKind::Finish => {
            let Some(started) = row.started_at else {
                return conflict("開始していない工程は完了にできません。");
            };
            if row.finished_at.is_some() {
                return conflict("この工程は既に完了しています。");
            }
            if at < started {
                return conflict("完了日時が開始日時より前です。");
            }
            active.finished_at = Set(Some(at));
        }
        EventKind::Delay => {
            let Some(started) = row.started_at else {
                return conflict("遅延は作業中の工程について報告してください。");
            };
            if row.finished_at.is_some() {
                return conflict("この工程は既に完了しています。");
            }
            if at <= started {
                return conflict("見込みの完了日時は開始日時より後にしてください。");
            }
            active.expected_end = Set(Some(at));
        }
    }
    let updated = active.update(&txn).await?;
    let process = domain::directory::Capability::label_of(&row.process);
    let detail = match kind {
        EventKind::Delay => format!(
            "{}番目の工程（{process}、{} {}）: 完了見込みが {} に遅れる（計画 {}）",
            row.position,
            factory.name,
            machine.name,
            format_minutes(at),
            row.planned_end.map(format_minutes).unwrap_or_default()
        ),
        _ => format!(
            "{}番目の工程（{process}、{} {}）: {} {}",
            row.position,
            factory.name,
            machine.name,
            kind.label(),
            format_minutes(at)
        ),
    };
    record_event(
        &txn,
        actor,
        job_row.id,
        Some(row.id),
        kind.code(),
        at,
        detail.clone(),
    )
    .await?;
    if kind == EventKind::Delay {
        crate::notices::network::job_disrupted(
            &txn,
            &job_row,
            crate::notices::network::Disruption::Delay,
            &detail,
        )
        .await?;
    }
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "update",
            entity: "network_job",
            entity_key: job_row.key.clone(),
            organisation_id: Some(factory.owner_organisation_id),
            summary: format!("案件「{}」{detail}", job_row.name),
            before: None,
            after: Some(
                json!({"operation": row.id, "kind": kind.code(), "at": format_minutes(at)}),
            ),
        },
    )
    .await?;
    txn.commit().await?;
    let replan = if kind == EventKind::Delay {
        Some(replan_after(store, actor, "遅延による再計画").await?)
    } else {
        None
    };
    Ok(Reported {
        operation: Some(Operation {
            id: updated.id,
            position: updated.position,
            process: updated.process,
            alternatives: Vec::new(),
            machine_id: updated.machine_id,
            planned_start: updated.planned_start,
            planned_end: updated.planned_end,
            started_at: updated.started_at,
            finished_at: updated.finished_at,
            expected_end: updated.expected_end,
        }),
        replan,
    })
}

/// The hub company (its city's staff, the secretariat) cancels a job: it stays, with
/// its history, but leaves the plan at once; its machines are free for the other jobs,
/// which are re-planned (unless none is left). Progress on it is refused from then on.
pub async fn cancel_job(
    store: &Store,
    actor: &Actor,
    key: &str,
) -> Result<Option<Replan>, StoreError> {
    let txn = store.begin().await?;
    let mut jobs = load_jobs(&txn, Some(key)).await?;
    let job = jobs.pop().ok_or_else(|| StoreError::not_found("案件"))?;
    if !actor.may_edit_company(job.hub_company_id, job.hub_owner_organisation_id) {
        return Err(StoreError::forbidden(
            "案件を取り消せるのは、取りまとめ企業の担当者とその市区の職員です。",
        ));
    }
    if job.is_cancelled() {
        return Err(StoreError::Conflict(
            "この案件は既に取り消されています。".into(),
        ));
    }
    if job.is_finished() {
        return Err(StoreError::Conflict(
            "すべての工程が完了した案件は取り消せません。".into(),
        ));
    }
    let all = load_jobs(&txn, None).await?;
    let at = clock_of(&all);
    network_job::ActiveModel {
        id: sea_orm::Unchanged(job.id),
        cancelled_at: Set(Some(at)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let detail = format!("{}が取消（計画から外しました）", job.hub_name);
    record_event(&txn, actor, job.id, None, "cancelled", at, detail.clone()).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "update",
            entity: "network_job",
            entity_key: job.key.clone(),
            organisation_id: Some(job.hub_owner_organisation_id),
            summary: format!("案件「{}」{detail}", job.name),
            before: Some(json!({"cancelled_at": null})),
            after: Some(json!({"cancelled_at": format_minutes(at)})),
        },
    )
    .await?;
    txn.commit().await?;
    let others_open = all.iter().any(|j| j.id != job.id && j.is_open());
    Ok(if others_open {
        Some(replan_after(store, actor, "取消による再計画").await?)
    } else {
        None
    })
}

/// A factory reports that a machine of its own went down at `from`, until `until` (or
/// until further notice). Operations not yet started move to other machines or later
/// times at once; one running on it stays (the factory reports its delay).
pub async fn machine_down(
    store: &Store,
    actor: &Actor,
    machine_id: i64,
    from: i64,
    until: Option<i64>,
    note: &str,
) -> Result<Reported, StoreError> {
    let txn = store.begin().await?;
    let machine = network_machine::Entity::find_by_id(machine_id)
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::not_found("設備"))?;
    let factory = company::Entity::find_by_id(machine.company_id)
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::not_found("企業"))?;
    if !actor.may_edit_company(factory.id, factory.owner_organisation_id) {
        return Err(StoreError::forbidden(format!(
            "設備の停止を報告できるのは、{}の担当者です。",
            factory.name
        )));
    }
    if until.is_some_and(|u| u <= from) {
        return Err(StoreError::Invalid(vec![Invalid::new(
            "until",
            "復旧見込みは停止日時より後にしてください。",
        )]));
    }
    let note = note.trim();
    network_outage::ActiveModel {
        machine_id: Set(machine_id),
        from_minute: Set(from),
        until_minute: Set(until),
        note: Set(note.to_owned()),
        user_email: Set(actor.email.clone()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let detail = format!(
        "{} {} が {} から停止（{}）{}",
        factory.name,
        machine.name,
        format_minutes(from),
        until.map_or("復旧未定".to_owned(), |u| format!(
            "復旧見込み {}",
            format_minutes(u)
        )),
        if note.is_empty() {
            String::new()
        } else {
            format!(": {note}")
        }
    );
    // Every job with an unfinished operation that could use the machine hears of it.
    let affected: Vec<i64> = network_alternative::Entity::find()
        .filter(network_alternative::Column::MachineId.eq(machine_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| a.operation_id)
        .collect();
    let mut jobs: Vec<i64> = Vec::new();
    for chunk in affected.chunks(500) {
        for op in network_operation::Entity::find()
            .filter(network_operation::Column::Id.is_in(chunk.iter().copied()))
            .filter(network_operation::Column::FinishedAt.is_null())
            .all(&txn)
            .await?
        {
            jobs.push(op.job_id);
        }
    }
    jobs.sort_unstable();
    jobs.dedup();
    for job_id in jobs {
        record_event(
            &txn,
            actor,
            job_id,
            None,
            "machine_down",
            from,
            detail.clone(),
        )
        .await?;
        if let Some(job) = network_job::Entity::find_by_id(job_id)
            .one(&txn)
            .await?
            .filter(|j| j.cancelled_at.is_none())
        {
            crate::notices::network::job_disrupted(
                &txn,
                &job,
                crate::notices::network::Disruption::MachineDown,
                &detail,
            )
            .await?;
        }
    }
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "update",
            entity: "network_machine",
            entity_key: machine_id.to_string(),
            organisation_id: Some(factory.owner_organisation_id),
            summary: detail,
            before: None,
            after: Some(json!({"machine": machine_id, "from": format_minutes(from),
                "until": until.map(format_minutes), "note": note})),
        },
    )
    .await?;
    txn.commit().await?;
    let replan = replan_after(store, actor, "設備停止による再計画").await?;
    Ok(Reported {
        operation: None,
        replan: Some(replan),
    })
}

/// Imports jobs from CSV text in the layout [`csv_rows`] writes (read by
/// [`import::network::job_inputs`]): one row per operation, rows of one job share the
/// 案件 column. Every row is checked before anything is saved. Returns the new jobs' keys.
pub async fn import_csv(
    store: &Store,
    actor: &Actor,
    hub_key: &str,
    text: &str,
) -> Result<Vec<String>, StoreError> {
    let inputs =
        import::network::job_inputs(text).map_err(|error| StoreError::Invalid(vec![error]))?;
    let machines = machines(store).await?;
    let mut drafts = Vec::new();
    for (key, input) in &inputs {
        let draft = JobDraft::parse(input).map_err(|errors| {
            StoreError::Invalid(
                errors
                    .into_iter()
                    .map(|e| Invalid::new("file", format!("案件 {key}: {}", e.reason)))
                    .collect(),
            )
        })?;
        check_against(&draft, &machines)?;
        drafts.push(draft);
    }
    insert_jobs(store, actor, hub_key, &drafts).await
}

/// The job set as CSV rows (one per operation), for `web::export`.
pub fn csv_rows(jobs: &[Job], machines: &[Machine]) -> Vec<Vec<String>> {
    let name = |id: i64| {
        machines
            .iter()
            .find(|m| m.id == id)
            .map_or(id.to_string(), |m| format!("{} {}", m.company_name, m.name))
    };
    let time = |t: Option<i64>| t.map(format_minutes).unwrap_or_default();
    let mut rows = Vec::new();
    // A cancelled job is not exported: importing the file again would revive it.
    for job in jobs.iter().filter(|j| !j.is_cancelled()) {
        for op in &job.operations {
            rows.push(vec![
                job.key.clone(),
                job.name.clone(),
                job.hub_name.clone(),
                format_minutes(job.release),
                time(job.due),
                op.position.to_string(),
                domain::directory::Capability::label_of(&op.process),
                op.alternatives
                    .iter()
                    .map(|(m, t)| format!("{m}:{t}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                op.machine_id.map(name).unwrap_or_default(),
                time(op.planned_start),
                time(op.planned_end),
                time(op.started_at),
                time(op.finished_at),
            ]);
        }
    }
    rows
}

/// The CSV header matching [`csv_rows`].
pub const CSV_HEADER: [&str; 13] = [
    "案件",
    "案件名",
    "取りまとめ企業",
    "投入",
    "納期",
    "順番",
    "工程",
    "設備:分",
    "計画の設備",
    "計画の開始",
    "計画の完了",
    "開始",
    "完了",
];

#[derive(Deserialize)]
struct SeedFile {
    machine: Vec<SeedMachine>,
}

#[derive(Deserialize)]
struct SeedMachine {
    company: String,
    name: String,
    processes: String,
    days: String,
    hours: String,
    #[serde(default)]
    holidays: String,
}

/// Loads the demonstration machines (`data/council/network.toml`) into an empty
/// network whose companies exist.
pub async fn load_demo_if_empty(store: &Store) -> Result<(), StoreError> {
    if network_machine::Entity::find().count(&store.db).await? > 0 {
        return Ok(());
    }
    let file: SeedFile = toml::from_str(NETWORK_TOML)
        .map_err(|e| StoreError::Config(format!("data/council/network.toml: {e}")))?;
    let txn = store.begin().await?;
    let now = Utc::now();
    for m in &file.machine {
        let Some(company) = company::Entity::find()
            .filter(company::Column::Key.eq(&m.company))
            .one(&txn)
            .await?
        else {
            continue;
        };
        let draft = parse_machine(&MachineInput {
            name: m.name.clone(),
            processes: m.processes.clone(),
            days: m.days.clone(),
            hours: m.hours.clone(),
            holidays: m.holidays.clone(),
        })
        .map_err(|e| StoreError::Config(format!("data/council/network.toml, {}: {e:?}", m.name)))?;
        network_machine::ActiveModel {
            company_id: Set(company.id),
            name: Set(draft.name),
            processes: Set(draft.processes.join(" ")),
            days: Set(days_code(&draft.week)),
            day_start: Set(draft.week.start as i32),
            day_end: Set(draft.week.end as i32),
            holidays: Set(holidays_text(&draft.holidays)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// A default routing budget for pages and the API: deterministic, a fraction of a second.
pub fn default_budget() -> fjsp::Budget {
    fjsp::Budget {
        time: Duration::from_secs(2),
        max_iterations: Some(5_000),
        seed: 1,
    }
}

/// The key of the company a company member speaks for (the default hub and factory of
/// the network's forms).
pub async fn company_key_of(store: &Store, actor: &Actor) -> Result<Option<String>, StoreError> {
    let Some(id) = actor.company_id else {
        return Ok(None);
    };
    Ok(company::Entity::find_by_id(id)
        .one(&store.db)
        .await?
        .map(|c| c.key))
}
