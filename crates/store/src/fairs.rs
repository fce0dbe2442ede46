//! Matching fairs (商談会): a fair owned by an organisation, its participants from the
//! directory, meeting requests and their answers, and the schedule computed by
//! `solve::fair` and stored on the requests (slot, table, locked, or why unplaced).
//!
//! Staff of the owning organisation (and the secretariat) set up the fair, add
//! participants and run the scheduler; a participant's members request and answer
//! meetings for their own company, staff may do so on any participant's behalf.
//! The scheduler runs in `spawn_blocking` on a snapshot, never inside a transaction.
//! Requests, answers, expiries and schedules are told to the companies concerned in
//! the transaction of the change ([`crate::notices::fairs`]).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use domain::directory::Stage;
use domain::fairs::{
    FairDraft, FairRole, MeetingOutcome, RequestPriority, RequestStatus, format_availability,
    slot_times,
};
use domain::{Actor, Invalid};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use solve::fair as engine;

use crate::audit::{self, Change};
use crate::entity::{company, event, fair, fair_participant, fair_request};
use crate::negotiations::{self, Opening};
use crate::organisations::{self, Organisation};
use crate::{Store, StoreError};

/// A fair with its participants and requests, as pages and exports read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fair {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub owner: Organisation,
    /// The calendar event it belongs to (key, title).
    pub event: Option<(String, String)>,
    pub date: NaiveDate,
    pub start_time: NaiveTime,
    pub slot_count: u16,
    pub slot_minutes: u16,
    pub table_count: u16,
    pub request_deadline: NaiveDate,
    pub request_cap: u16,
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Total weight of the stored schedule and the scheduler's upper bound.
    pub schedule_weight: Option<i64>,
    pub schedule_bound: Option<i64>,
    pub participants: Vec<Participant>,
    pub requests: Vec<MeetingRequest>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Participant {
    pub id: i64,
    pub company_id: i64,
    pub company_key: String,
    pub company_name: String,
    pub city_name: String,
    pub role: FairRole,
    /// Slots from 0, sorted.
    pub available: Vec<u16>,
    /// The company is invented demonstration data (「デモ」).
    pub demo: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MeetingRequest {
    pub id: i64,
    /// Participant ids.
    pub from: i64,
    pub to: i64,
    pub priority: RequestPriority,
    pub status: RequestStatus,
    pub requested_by: String,
    pub slot: Option<u16>,
    pub table: Option<u16>,
    pub locked: bool,
    /// Why the last run could not place an accepted request, in Japanese.
    pub unplaced_reason: Option<String>,
    /// The negotiation (商談) the meeting's outcome started: its key and stage.
    pub negotiation: Option<(String, Stage)>,
}

/// A participant with requests still to answer: what a reminder lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub company_key: String,
    pub company_name: String,
    /// Requests this participant has been asked and not answered.
    pub unanswered: usize,
}

impl Fair {
    /// Staff of the owning organisation and the secretariat set the fair up.
    pub fn editable_by(&self, actor: Option<&Actor>) -> bool {
        actor.is_some_and(|a| a.may_edit_events_of(self.owner.id))
    }

    /// Whether `actor` may request and answer for this participant: its members, or
    /// the fair's staff on its behalf.
    pub fn may_act_for(&self, actor: Option<&Actor>, participant: &Participant) -> bool {
        self.editable_by(actor)
            || actor.is_some_and(|a| a.company_id == Some(participant.company_id))
    }

    /// The participants `actor` may request and answer for: all for the fair's staff,
    /// their own company for members.
    pub fn represented_by(&self, actor: Option<&Actor>) -> Vec<&Participant> {
        self.participants
            .iter()
            .filter(|p| self.may_act_for(actor, p))
            .collect()
    }

    /// The requests `actor` may see: all for the fair's staff, those involving a
    /// company they represent otherwise.
    pub fn requests_visible_to(&self, actor: Option<&Actor>) -> Vec<&MeetingRequest> {
        let mine: Vec<i64> = self.represented_by(actor).iter().map(|p| p.id).collect();
        self.requests
            .iter()
            .filter(|r| mine.contains(&r.from) || mine.contains(&r.to))
            .collect()
    }

    pub fn participant(&self, id: i64) -> Option<&Participant> {
        self.participants.iter().find(|p| p.id == id)
    }

    pub fn participant_by_company(&self, company_key: &str) -> Option<&Participant> {
        self.participants
            .iter()
            .find(|p| p.company_key == company_key)
    }

    pub fn participant_name(&self, id: i64) -> &str {
        self.participant(id)
            .map(|p| p.company_name.as_str())
            .unwrap_or("")
    }

    /// `第3枠 13:30–13:45`.
    pub fn slot_label(&self, slot: u16) -> String {
        let (start, end) = self.slot_times(slot);
        format!(
            "第{}枠 {}–{}",
            slot + 1,
            start.format("%H:%M"),
            end.format("%H:%M")
        )
    }

    pub fn slot_times(&self, slot: u16) -> (chrono::NaiveDateTime, chrono::NaiveDateTime) {
        slot_times(self.date, self.start_time, self.slot_minutes, slot)
    }

    /// The scheduled meetings of one participant, by slot.
    pub fn meetings_of(&self, participant_id: i64) -> Vec<&MeetingRequest> {
        let mut found: Vec<&MeetingRequest> = self
            .requests
            .iter()
            .filter(|r| r.slot.is_some() && (r.from == participant_id || r.to == participant_id))
            .collect();
        found.sort_by_key(|r| r.slot);
        found
    }

    /// Every scheduled meeting, by slot and table.
    pub fn meetings(&self) -> Vec<&MeetingRequest> {
        let mut found: Vec<&MeetingRequest> =
            self.requests.iter().filter(|r| r.slot.is_some()).collect();
        found.sort_by_key(|r| (r.slot, r.table));
        found
    }

    /// How many requests a participant has made that still count against the cap.
    pub fn requests_made_by(&self, participant_id: i64) -> usize {
        self.requests
            .iter()
            .filter(|r| {
                r.from == participant_id
                    && matches!(r.status, RequestStatus::Pending | RequestStatus::Accepted)
            })
            .count()
    }

    /// Whether requests can no longer be made or answered by the companies themselves.
    pub fn deadline_passed(&self, today: NaiveDate) -> bool {
        today > self.request_deadline
    }

    /// The participants asked for meetings they have not answered yet, most first:
    /// whom staff remind before the deadline (unanswered requests expire after it).
    pub fn reminders(&self) -> Vec<Reminder> {
        let mut found: Vec<Reminder> = self
            .participants
            .iter()
            .filter_map(|p| {
                let unanswered = self
                    .requests
                    .iter()
                    .filter(|r| r.to == p.id && r.status == RequestStatus::Pending)
                    .count();
                (unanswered > 0).then(|| Reminder {
                    company_key: p.company_key.clone(),
                    company_name: p.company_name.clone(),
                    unanswered,
                })
            })
            .collect();
        found.sort_by(|a, b| {
            b.unanswered
                .cmp(&a.unanswered)
                .then(a.company_key.cmp(&b.company_key))
        });
        found
    }

    /// The key of the negotiation a meeting's outcome starts.
    pub fn negotiation_key(&self, request_id: i64) -> String {
        format!("{}-{request_id}", self.key)
    }

    pub fn availability_label(&self, participant: &Participant) -> String {
        format_availability(&participant.available, self.slot_count)
    }

    fn snapshot(&self) -> serde_json::Value {
        json!({
            "key": self.key,
            "name": self.name,
            "date": self.date.to_string(),
            "start_time": self.start_time.format("%H:%M").to_string(),
            "slot_count": self.slot_count,
            "slot_minutes": self.slot_minutes,
            "table_count": self.table_count,
            "request_deadline": self.request_deadline.to_string(),
            "request_cap": self.request_cap,
            "event": self.event.as_ref().map(|e| e.0.clone()),
        })
    }
}

fn not_found(key: &str) -> StoreError {
    StoreError::not_found(format!("商談会「{key}」"))
}

/// Every fair, newest date first. Fairs are seen by signed-in users only; the pages
/// ask for a signed-in viewer before calling this.
pub async fn list(store: &Store) -> Result<Vec<Fair>, StoreError> {
    load(&store.db, None).await
}

pub async fn get(store: &Store, key: &str) -> Result<Fair, StoreError> {
    get_in(&store.db, key).await
}

async fn get_in(db: &impl ConnectionTrait, key: &str) -> Result<Fair, StoreError> {
    load(db, Some(key))
        .await?
        .pop()
        .ok_or_else(|| not_found(key))
}

fn parse_slots(text: &str) -> Vec<u16> {
    text.split(',')
        .filter_map(|s| s.trim().parse::<u16>().ok())
        .collect()
}

fn stored_slots(slots: &[u16]) -> String {
    slots
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

async fn load(db: &impl ConnectionTrait, key: Option<&str>) -> Result<Vec<Fair>, StoreError> {
    let directory = organisations::directory_in(db).await?;
    let mut query = fair::Entity::find();
    if let Some(key) = key {
        query = query.filter(fair::Column::Key.eq(key));
    }
    let rows = query
        .order_by_desc(fair::Column::OnDate)
        .order_by_desc(fair::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut participants: HashMap<i64, Vec<Participant>> = HashMap::new();
    let mut requests: HashMap<i64, Vec<MeetingRequest>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let members = fair_participant::Entity::find()
            .filter(fair_participant::Column::FairId.is_in(chunk.iter().copied()))
            .order_by_asc(fair_participant::Column::Id)
            .all(db)
            .await?;
        let company_ids: Vec<i64> = members.iter().map(|m| m.company_id).collect();
        let mut companies: HashMap<i64, company::Model> = HashMap::new();
        for ids in company_ids.chunks(500) {
            for row in company::Entity::find()
                .filter(company::Column::Id.is_in(ids.iter().copied()))
                .all(db)
                .await?
            {
                companies.insert(row.id, row);
            }
        }
        for m in members {
            let Some(c) = companies.get(&m.company_id) else {
                continue;
            };
            participants
                .entry(m.fair_id)
                .or_default()
                .push(Participant {
                    id: m.id,
                    company_id: c.id,
                    company_key: c.key.clone(),
                    company_name: c.name.clone(),
                    city_name: c
                        .city_id
                        .and_then(|id| directory.cities.iter().find(|city| city.id == id))
                        .map(|city| city.name.clone())
                        .unwrap_or_default(),
                    role: FairRole::parse(&m.role).unwrap_or(FairRole::Supplier),
                    available: parse_slots(&m.available),
                    demo: crate::demo::is_demo_company(&c.source),
                });
        }
        for r in fair_request::Entity::find()
            .filter(fair_request::Column::FairId.is_in(chunk.iter().copied()))
            .order_by_asc(fair_request::Column::Id)
            .all(db)
            .await?
        {
            requests.entry(r.fair_id).or_default().push(MeetingRequest {
                id: r.id,
                from: r.from_participant_id,
                to: r.to_participant_id,
                priority: RequestPriority::parse(&r.priority).unwrap_or(RequestPriority::Could),
                status: RequestStatus::parse(&r.status).unwrap_or(RequestStatus::Pending),
                requested_by: r.requested_by,
                slot: r.slot.and_then(|s| u16::try_from(s).ok()),
                table: r.table_no.and_then(|t| u16::try_from(t).ok()),
                locked: r.locked,
                unplaced_reason: r
                    .unplaced_reason
                    .as_deref()
                    .map(|code| unplaced_label(code).to_owned()),
                negotiation: None,
            });
        }
    }
    let event_ids: Vec<i64> = rows.iter().filter_map(|r| r.event_id).collect();
    let mut events: HashMap<i64, (String, String)> = HashMap::new();
    if !event_ids.is_empty() {
        for row in event::Entity::find()
            .filter(event::Column::Id.is_in(event_ids))
            .all(db)
            .await?
        {
            events.insert(row.id, (row.key, row.title));
        }
    }
    let fair_keys: HashMap<i64, &str> = rows.iter().map(|r| (r.id, r.key.as_str())).collect();
    let negotiation_keys: Vec<String> = requests
        .iter()
        .flat_map(|(fair_id, list)| {
            let fair_key = fair_keys.get(fair_id).copied().unwrap_or_default();
            list.iter().map(move |r| format!("{fair_key}-{}", r.id))
        })
        .collect();
    let stages = negotiations::stages_of(db, &negotiation_keys).await?;
    for (fair_id, list) in &mut requests {
        let fair_key = fair_keys.get(fair_id).copied().unwrap_or_default();
        for r in list {
            let key = format!("{fair_key}-{}", r.id);
            r.negotiation = stages.get(&key).map(|(stage, _)| (key, *stage));
        }
    }
    let council = directory
        .organisation_by_key("council")
        .ok_or_else(|| StoreError::Config("協議会の団体データがありません。".into()))?;
    Ok(rows
        .into_iter()
        .map(|row| Fair {
            owner: directory
                .organisation(row.organisation_id)
                .unwrap_or(council)
                .clone(),
            event: row.event_id.and_then(|id| events.get(&id).cloned()),
            date: NaiveDate::parse_from_str(&row.on_date, "%Y-%m-%d").unwrap_or_default(),
            start_time: NaiveTime::parse_from_str(&row.start_time, "%H:%M")
                .unwrap_or(NaiveTime::MIN),
            slot_count: u16::try_from(row.slot_count).unwrap_or(1),
            slot_minutes: u16::try_from(row.slot_minutes).unwrap_or(15),
            table_count: u16::try_from(row.table_count).unwrap_or(1),
            request_deadline: NaiveDate::parse_from_str(&row.request_deadline, "%Y-%m-%d")
                .unwrap_or_default(),
            request_cap: u16::try_from(row.request_cap).unwrap_or(1),
            scheduled_at: row.scheduled_at,
            schedule_weight: row.schedule_weight,
            schedule_bound: row.schedule_bound,
            participants: participants.remove(&row.id).unwrap_or_default(),
            requests: requests.remove(&row.id).unwrap_or_default(),
            id: row.id,
            key: row.key,
            name: row.name,
        })
        .collect())
}

async fn event_id(db: &impl ConnectionTrait, key: Option<&str>) -> Result<Option<i64>, StoreError> {
    let Some(key) = key else { return Ok(None) };
    let row = event::Entity::find()
        .filter(event::Column::Key.eq(key))
        .one(db)
        .await?
        .ok_or_else(|| Invalid::new("event", format!("イベント「{key}」が見つかりません。")))?;
    Ok(Some(row.id))
}

/// A new fair's row, not yet scheduled.
fn new_fair(
    key: &str,
    owner_id: i64,
    event_id: Option<i64>,
    draft: &FairDraft,
    now: chrono::DateTime<Utc>,
) -> fair::ActiveModel {
    fair::ActiveModel {
        key: Set(key.to_owned()),
        organisation_id: Set(owner_id),
        event_id: Set(event_id),
        name: Set(draft.name.clone()),
        on_date: Set(draft.date.to_string()),
        start_time: Set(draft.start_time.format("%H:%M").to_string()),
        slot_count: Set(i32::from(draft.slot_count)),
        slot_minutes: Set(i32::from(draft.slot_minutes)),
        table_count: Set(i32::from(draft.table_count)),
        request_deadline: Set(draft.request_deadline.to_string()),
        request_cap: Set(i32::from(draft.request_cap)),
        scheduled_at: Set(None),
        schedule_weight: Set(None),
        schedule_bound: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Creates a fair owned by `organisation` (key or name); its staff and the
/// secretariat may.
pub async fn create(
    store: &Store,
    actor: &Actor,
    organisation: &str,
    draft: &FairDraft,
) -> Result<Fair, StoreError> {
    let directory = organisations::directory(store).await?;
    let owner = directory
        .find_organisation(organisation)
        .ok_or_else(|| Invalid::new("organisation", "主催団体が見つかりません。"))?;
    if !actor.may_edit_events_of(owner.id) {
        return Err(StoreError::forbidden(
            "商談会は主催団体の職員のみが作成できます。",
        ));
    }
    let txn = store.begin().await?;
    let event_id = event_id(&txn, draft.event_key.as_deref()).await?;
    let key = format!("f{:08x}", rand::random::<u32>());
    let now = Utc::now();
    new_fair(&key, owner.id, event_id, draft, now)
        .insert(&txn)
        .await?;
    let created = get_in(&txn, &key).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "create",
            entity: "fair",
            entity_key: key.clone(),
            organisation_id: Some(owner.id),
            summary: format!("商談会「{}」を作成", draft.name),
            before: None,
            after: Some(created.snapshot()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Changes a fair's settings. Fewer slots than availability or the schedule already
/// uses are refused rather than silently cutting meetings.
pub async fn update(
    store: &Store,
    actor: &Actor,
    key: &str,
    draft: &FairDraft,
) -> Result<Fair, StoreError> {
    let before = get(store, key).await?;
    if !before.editable_by(Some(actor)) {
        return Err(StoreError::forbidden(
            "この商談会は主催団体の職員のみが変更できます。",
        ));
    }
    let highest_used = before
        .participants
        .iter()
        .flat_map(|p| p.available.iter().copied())
        .chain(before.requests.iter().filter_map(|r| r.slot))
        .max();
    if highest_used.is_some_and(|s| s >= draft.slot_count) && draft.slot_count < before.slot_count {
        return Err(Invalid::new(
            "slot_count",
            "参加できる枠や配置済みの面談がある枠を減らすことはできません。先に参加企業の枠を変更してください。",
        )
        .into());
    }
    let txn = store.begin().await?;
    let event_id = event_id(&txn, draft.event_key.as_deref()).await?;
    fair::ActiveModel {
        id: Set(before.id),
        event_id: Set(event_id),
        name: Set(draft.name.clone()),
        on_date: Set(draft.date.to_string()),
        start_time: Set(draft.start_time.format("%H:%M").to_string()),
        slot_count: Set(i32::from(draft.slot_count)),
        slot_minutes: Set(i32::from(draft.slot_minutes)),
        table_count: Set(i32::from(draft.table_count)),
        request_deadline: Set(draft.request_deadline.to_string()),
        request_cap: Set(i32::from(draft.request_cap)),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let after = get_in(&txn, key).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "update",
            entity: "fair",
            entity_key: key.to_owned(),
            organisation_id: Some(before.owner.id),
            summary: format!("商談会「{}」の設定を変更", after.name),
            before: Some(before.snapshot()),
            after: Some(after.snapshot()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Adds a directory company to the fair, or changes its role and availability when
/// it takes part already. Staff of the fair only.
pub async fn save_participant(
    store: &Store,
    actor: &Actor,
    fair_key: &str,
    company_key: &str,
    role: FairRole,
    available: &[u16],
) -> Result<Fair, StoreError> {
    let found = get(store, fair_key).await?;
    if !found.editable_by(Some(actor)) {
        return Err(StoreError::forbidden(
            "参加企業は主催団体の職員のみが登録できます。",
        ));
    }
    if available.iter().any(|&s| s >= found.slot_count) {
        return Err(Invalid::new("available", "参加できる枠が商談会の枠の外にあります。").into());
    }
    let txn = store.begin().await?;
    let company = company::Entity::find()
        .filter(company::Column::Key.eq(company_key.trim()))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            Invalid::new(
                "company",
                format!(
                    "企業「{}」は企業ディレクトリにありません。",
                    company_key.trim()
                ),
            )
        })?;
    let existing = fair_participant::Entity::find()
        .filter(fair_participant::Column::FairId.eq(found.id))
        .filter(fair_participant::Column::CompanyId.eq(company.id))
        .one(&txn)
        .await?;
    let action = match existing {
        Some(row) => {
            fair_participant::ActiveModel {
                id: Set(row.id),
                role: Set(role.code().to_owned()),
                available: Set(stored_slots(available)),
                ..Default::default()
            }
            .update(&txn)
            .await?;
            "update"
        }
        None => {
            fair_participant::ActiveModel {
                fair_id: Set(found.id),
                company_id: Set(company.id),
                role: Set(role.code().to_owned()),
                available: Set(stored_slots(available)),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            "create"
        }
    };
    audit::record(
        &txn,
        Some(actor),
        Change {
            action,
            entity: "fair_participant",
            entity_key: format!("{fair_key}/{}", company.key),
            organisation_id: Some(found.owner.id),
            summary: format!(
                "商談会「{}」の参加企業 {}（{}・枠 {}）",
                found.name,
                company.name,
                role.label(),
                format_availability(available, found.slot_count)
            ),
            before: None,
            after: Some(
                json!({"company": company.key, "role": role.code(), "available": available}),
            ),
        },
    )
    .await?;
    txn.commit().await?;
    get(store, fair_key).await
}

/// `from` asks `to` (company keys) for a meeting. Refused: a company that does not
/// take part, a request to oneself, a pair asked already, more requests than the
/// cap, and — for company members — a request after the deadline (staff may still
/// add late requests on a company's behalf, which is what re-runs are for).
pub async fn request_meeting(
    store: &Store,
    actor: &Actor,
    fair_key: &str,
    from: &str,
    to: &str,
    priority: RequestPriority,
    today: NaiveDate,
) -> Result<Fair, StoreError> {
    let found = get(store, fair_key).await?;
    let asker = found
        .participant_by_company(from.trim())
        .ok_or_else(|| Invalid::new("from", "申し込む企業はこの商談会に参加していません。"))?;
    if !found.may_act_for(Some(actor), asker) {
        return Err(StoreError::forbidden(
            "この企業の名前で面談を申し込むことはできません。",
        ));
    }
    let Some(asked) = found.participant_by_company(to.trim()) else {
        return Err(Invalid::new("to", "相手の企業はこの商談会に参加していません。").into());
    };
    if asked.id == asker.id {
        return Err(Invalid::new("to", "自社に面談を申し込むことはできません。").into());
    }
    if today > found.request_deadline && !found.editable_by(Some(actor)) {
        return Err(Invalid::new(
            "to",
            format!(
                "申込締切（{}）を過ぎているため申し込めません。主催団体にご相談ください。",
                found.request_deadline
            ),
        )
        .into());
    }
    if found.requests.iter().any(|r| {
        (r.from == asker.id && r.to == asked.id) || (r.from == asked.id && r.to == asker.id)
    }) {
        return Err(StoreError::Conflict(format!(
            "{}と{}の面談は既に申し込まれています。",
            asker.company_name, asked.company_name
        )));
    }
    if found.requests_made_by(asker.id) >= usize::from(found.request_cap) {
        return Err(Invalid::new(
            "to",
            format!(
                "申込は1社{}件までです（辞退されたものは数えません）。",
                found.request_cap
            ),
        )
        .into());
    }
    let txn = store.begin().await?;
    let now = Utc::now();
    let row = fair_request::ActiveModel {
        fair_id: Set(found.id),
        from_participant_id: Set(asker.id),
        to_participant_id: Set(asked.id),
        priority: Set(priority.code().to_owned()),
        status: Set(RequestStatus::Pending.code().to_owned()),
        requested_by: Set(actor.email.clone()),
        slot: Set(None),
        table_no: Set(None),
        locked: Set(false),
        unplaced_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    crate::notices::fairs::request_received(&txn, &found, asker, asked, priority).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "create",
            entity: "fair_request",
            entity_key: format!("{fair_key}/{}", row.id),
            organisation_id: Some(found.owner.id),
            summary: format!(
                "商談会「{}」で{}が{}に面談を申込（{}）",
                found.name,
                asker.company_name,
                asked.company_name,
                priority.label()
            ),
            before: None,
            after: Some(json!({"from": asker.company_key, "to": asked.company_key, "priority": priority.code()})),
        },
    )
    .await?;
    txn.commit().await?;
    get(store, fair_key).await
}

fn request_of(found: &Fair, request_id: i64) -> Result<&MeetingRequest, StoreError> {
    found
        .requests
        .iter()
        .find(|r| r.id == request_id)
        .ok_or_else(|| StoreError::not_found("面談の申込"))
}

/// The asked side (its members, or the fair's staff) accepts or declines. Declining
/// an accepted meeting takes it off the schedule, lock included.
pub async fn answer(
    store: &Store,
    actor: &Actor,
    fair_key: &str,
    request_id: i64,
    accept: bool,
) -> Result<Fair, StoreError> {
    let found = get(store, fair_key).await?;
    let request = request_of(&found, request_id)?;
    let asked = found
        .participant(request.to)
        .ok_or_else(|| StoreError::not_found("面談の相手"))?;
    if !found.may_act_for(Some(actor), asked) {
        return Err(StoreError::forbidden(
            "この申込には、申し込まれた企業か主催団体の職員のみが回答できます。",
        ));
    }
    // An expired request is closed for the companies; staff may still revive it on
    // a company's behalf, as they may add late requests.
    if request.status == RequestStatus::Expired && !found.editable_by(Some(actor)) {
        return Err(StoreError::Conflict(
            "この申込は回答のないまま申込締切を過ぎたため、期限切れになりました。面談を希望する場合は主催団体にご相談ください。".into(),
        ));
    }
    if request.negotiation.is_some() {
        return Err(StoreError::Conflict(
            "面談の結果が記録済みのため、回答は変更できません。".into(),
        ));
    }
    let status = if accept {
        RequestStatus::Accepted
    } else {
        RequestStatus::Declined
    };
    let txn = store.begin().await?;
    let mut row = fair_request::ActiveModel {
        id: Set(request.id),
        status: Set(status.code().to_owned()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    if !accept {
        row.slot = Set(None);
        row.table_no = Set(None);
        row.locked = Set(false);
        row.unplaced_reason = Set(None);
    }
    row.update(&txn).await?;
    crate::notices::fairs::answered(&txn, &found, request, status).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "update",
            entity: "fair_request",
            entity_key: format!("{fair_key}/{request_id}"),
            organisation_id: Some(found.owner.id),
            summary: format!(
                "商談会「{}」で{}が{}からの申込を{}",
                found.name,
                asked.company_name,
                found.participant_name(request.from),
                status.label()
            ),
            before: Some(json!({"status": request.status.code()})),
            after: Some(json!({"status": status.code()})),
        },
    )
    .await?;
    txn.commit().await?;
    get(store, fair_key).await
}

/// Locks a scheduled meeting where it is (or unlocks it): a locked meeting stays in
/// its slot and at its table on every re-run. Staff of the fair only.
pub async fn set_locked(
    store: &Store,
    actor: &Actor,
    fair_key: &str,
    request_id: i64,
    locked: bool,
) -> Result<Fair, StoreError> {
    let found = get(store, fair_key).await?;
    if !found.editable_by(Some(actor)) {
        return Err(StoreError::forbidden(
            "面談の固定は主催団体の職員のみができます。",
        ));
    }
    let request = request_of(&found, request_id)?;
    if locked && request.slot.is_none() {
        return Err(StoreError::Conflict(
            "枠に配置されていない面談は固定できません。".into(),
        ));
    }
    let txn = store.begin().await?;
    fair_request::ActiveModel {
        id: Set(request.id),
        locked: Set(locked),
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
            entity: "fair_request",
            entity_key: format!("{fair_key}/{request_id}"),
            organisation_id: Some(found.owner.id),
            summary: format!(
                "商談会「{}」の{}と{}の面談を{}",
                found.name,
                found.participant_name(request.from),
                found.participant_name(request.to),
                if locked { "固定" } else { "固定解除" }
            ),
            before: Some(json!({"locked": request.locked})),
            after: Some(json!({"locked": locked})),
        },
    )
    .await?;
    txn.commit().await?;
    get(store, fair_key).await
}

/// What a scheduling run did, for the page's notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleOutcome {
    pub placed: usize,
    pub unplaced: usize,
    pub weight: u64,
    pub upper_bound: u64,
    pub moved: usize,
}

fn unplaced_code(reason: engine::UnplacedReason) -> &'static str {
    match reason {
        engine::UnplacedReason::NoCommonSlot => "no_common_slot",
        engine::UnplacedReason::BlockedByLocked => "blocked_by_locked",
        engine::UnplacedReason::SlotsFull => "slots_full",
        engine::UnplacedReason::LostToOtherMeetings => "lost_to_other_meetings",
    }
}

fn unplaced_label(code: &str) -> &'static str {
    match code {
        "no_common_slot" => "両社が参加できる共通の枠がありません。",
        "blocked_by_locked" => "共通の枠はすべて固定・維持した面談で埋まっています。",
        "slots_full" => "両社が空いている枠はすべてテーブルが満席です。",
        "lost_to_other_meetings" => "共通の枠では、どちらかに同じ以上の重みの面談が入っています。",
        _ => "配置できませんでした。",
    }
}

/// The weight of an accepted request: the asking side's priority (5/3/1 points,
/// see `solve::fair::Priority`); the accepting side stated none.
fn weight(priority: RequestPriority) -> u32 {
    let p = match priority {
        RequestPriority::Must => engine::Priority::Must,
        RequestPriority::Should => engine::Priority::Should,
        RequestPriority::Could => engine::Priority::Could,
    };
    engine::Priority::pair_weight(Some(p), None)
}

fn locked_error(found: &Fair, error: &engine::ScheduleError) -> StoreError {
    let name = |id: &str| {
        id.parse::<i64>()
            .map(|id| found.participant_name(id).to_owned())
            .unwrap_or_default()
    };
    use engine::ScheduleError as E;
    let text = match error {
        E::LockedUnavailable { a, b, slot, who } => format!(
            "固定した{}と{}の面談（第{}枠）に、{}が参加できなくなりました。固定を解除してから再計算してください。",
            name(a),
            name(b),
            slot + 1,
            name(who)
        ),
        E::LockedDoubleBooked { who, slot } => format!(
            "{}に第{}枠の固定した面談が二つあります。",
            name(who),
            slot + 1
        ),
        E::LockedOverCapacity { slot } | E::LockedTableTaken { slot, .. } => {
            format!("第{}枠の固定した面談がテーブル数を超えています。", slot + 1)
        }
        E::LockedSlotOutOfRange { a, b, .. } | E::LockedTableOutOfRange { a, b, .. } => format!(
            "固定した{}と{}の面談が商談会の枠・テーブルの外にあります。",
            name(a),
            name(b)
        ),
        E::LockedNotRequested { a, b } | E::LockedTwice { a, b } => format!(
            "固定した{}と{}の面談が承諾済みの申込ではありません。",
            name(a),
            name(b)
        ),
    };
    StoreError::Conflict(text)
}

/// Schedules the accepted requests: locked meetings stay, earlier placements are
/// kept where possible when `keep_previous`, the rest is placed by `solve::fair`
/// within `budget`. Stores each request's slot and table or why it was left out.
pub async fn schedule(
    store: &Store,
    actor: &Actor,
    fair_key: &str,
    keep_previous: bool,
    budget: Duration,
) -> Result<ScheduleOutcome, StoreError> {
    let found = get(store, fair_key).await?;
    if !found.editable_by(Some(actor)) {
        return Err(StoreError::forbidden(
            "面談の割り当ては主催団体の職員のみが実行できます。",
        ));
    }
    let limits = engine::ScheduleOptions {
        keep_previous,
        time_budget: Some(budget),
        ..engine::ScheduleOptions::default()
    };
    store_schedule(store, Some(actor), &found, limits).await
}

/// Runs the scheduler on `found` with `limits` (budget, moves, keep_previous; the
/// locks and previous placements are taken from the fair) and stores the result.
async fn store_schedule(
    store: &Store,
    actor: Option<&Actor>,
    found: &Fair,
    limits: engine::ScheduleOptions,
) -> Result<ScheduleOutcome, StoreError> {
    let fair_key = found.key.as_str();
    let accepted: Vec<&MeetingRequest> = found
        .requests
        .iter()
        .filter(|r| r.status == RequestStatus::Accepted)
        .collect();
    let participants = found
        .participants
        .iter()
        .map(|p| engine::Participant {
            id: p.id.to_string(),
            available: p
                .available
                .iter()
                .map(|&s| engine::Slot(usize::from(s)))
                .collect(),
        })
        .collect();
    let requests = accepted
        .iter()
        .map(|r| engine::MeetingRequest {
            a: r.from.to_string(),
            b: r.to.to_string(),
            weight: weight(r.priority),
        })
        .collect();
    let placement = |r: &MeetingRequest| {
        r.slot.map(|slot| engine::Placement {
            a: r.from.to_string(),
            b: r.to.to_string(),
            slot: engine::Slot(usize::from(slot)),
            table: r.table.map(|t| engine::Table(usize::from(t))),
        })
    };
    let options = engine::ScheduleOptions {
        locked: accepted
            .iter()
            .filter(|r| r.locked)
            .filter_map(|r| placement(r))
            .collect(),
        previous: accepted
            .iter()
            .filter(|r| !r.locked)
            .filter_map(|r| placement(r))
            .collect(),
        ..limits
    };
    let instance = engine::Fair::new(
        usize::from(found.slot_count),
        usize::from(found.table_count),
        participants,
        requests,
    )
    .map_err(|e| StoreError::Conflict(format!("商談会の条件を読めませんでした: {e}")))?;
    let (instance, result) = tokio::task::spawn_blocking(move || {
        let result = engine::schedule(&instance, &options);
        (instance, result)
    })
    .await
    .map_err(|e| StoreError::Config(format!("scheduler task failed: {e}")))?;
    let plan = result.map_err(|e| locked_error(found, &e))?;
    let mut place: HashMap<i64, (u16, u16, bool)> = HashMap::new();
    for m in &plan.meetings {
        let r = accepted[m.request];
        place.insert(
            r.id,
            (
                u16::try_from(m.slot.0).unwrap_or(u16::MAX),
                u16::try_from(m.table.0).unwrap_or(u16::MAX),
                m.locked,
            ),
        );
    }
    let reasons: HashMap<i64, &'static str> = plan
        .unplaced
        .iter()
        .map(|u| (accepted[u.request].id, unplaced_code(u.reason)))
        .collect();
    debug_assert!(engine::verify(&instance, &plan).is_ok());
    let txn = store.begin().await?;
    for r in &accepted {
        let (slot, table, locked) = match place.get(&r.id) {
            Some(&(s, t, l)) => (Some(i32::from(s)), Some(i32::from(t)), l),
            None => (None, None, false),
        };
        fair_request::ActiveModel {
            id: Set(r.id),
            slot: Set(slot),
            table_no: Set(table),
            locked: Set(locked),
            unplaced_reason: Set(reasons.get(&r.id).map(|c| (*c).to_owned())),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    fair::ActiveModel {
        id: Set(found.id),
        scheduled_at: Set(Some(Utc::now())),
        schedule_weight: Set(Some(plan.weight as i64)),
        schedule_bound: Set(Some(plan.upper_bound as i64)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    // Each company hears of its schedule (the first run) or of a change to it.
    let after = get_in(&txn, fair_key).await?;
    crate::notices::fairs::schedule_stored(&txn, found, &after).await?;
    let outcome = ScheduleOutcome {
        placed: plan.meetings.len(),
        unplaced: plan.unplaced.len(),
        weight: plan.weight,
        upper_bound: plan.upper_bound,
        moved: plan.moved.len(),
    };
    audit::record(
        &txn,
        actor,
        Change {
            action: "update",
            entity: "fair",
            entity_key: fair_key.to_owned(),
            organisation_id: Some(found.owner.id),
            summary: format!(
                "商談会「{}」の面談を割り当て（{}件配置・{}件未配置）",
                found.name, outcome.placed, outcome.unplaced
            ),
            before: None,
            after: Some(json!({
                "placed": outcome.placed,
                "unplaced": outcome.unplaced,
                "weight": outcome.weight,
                "upper_bound": outcome.upper_bound,
                "moved": outcome.moved,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(outcome)
}

/// The deadline pass: once the request deadline is over, every request still
/// unanswered expires (the reminders before it listed them). Staff of the fair run
/// it; returns how many expired. Before the deadline it changes nothing.
pub async fn expire_unanswered(
    store: &Store,
    actor: &Actor,
    fair_key: &str,
    today: NaiveDate,
) -> Result<usize, StoreError> {
    let found = get(store, fair_key).await?;
    if !found.editable_by(Some(actor)) {
        return Err(StoreError::forbidden(
            "期限切れの処理は主催団体の職員のみができます。",
        ));
    }
    if !found.deadline_passed(today) {
        return Err(StoreError::Conflict(format!(
            "申込締切（{}）を過ぎていないため、未回答の申込はまだ期限切れにできません。",
            found.request_deadline
        )));
    }
    let txn = store.begin().await?;
    // The requests still pending, read and locked in the transaction that expires them:
    // a second pass at the same time (a double submission reaching two processes)
    // waits, then finds none, so participants are told and the pass audited once.
    let pending: Vec<i64> = fair_request::Entity::find()
        .select_only()
        .column(fair_request::Column::Id)
        .filter(
            fair_request::Column::Id.is_in(
                found
                    .requests
                    .iter()
                    .filter(|r| r.status == RequestStatus::Pending)
                    .map(|r| r.id),
            ),
        )
        .filter(fair_request::Column::Status.eq(RequestStatus::Pending.code()))
        .order_by_asc(fair_request::Column::Id)
        .lock_exclusive()
        .into_tuple::<i64>()
        .all(&txn)
        .await?;
    if pending.is_empty() {
        return Ok(0);
    }
    fair_request::Entity::update_many()
        .col_expr(
            fair_request::Column::Status,
            sea_orm::sea_query::Expr::value(RequestStatus::Expired.code()),
        )
        .col_expr(
            fair_request::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(fair_request::Column::Id.is_in(pending.iter().copied()))
        .filter(fair_request::Column::Status.eq(RequestStatus::Pending.code()))
        .exec(&txn)
        .await?;
    crate::notices::fairs::expired(&txn, &found, &pending).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "update",
            entity: "fair",
            entity_key: fair_key.to_owned(),
            organisation_id: Some(found.owner.id),
            summary: format!(
                "商談会「{}」の未回答の申込{}件を期限切れに",
                found.name,
                pending.len()
            ),
            before: None,
            after: Some(json!({"expired": pending})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(pending.len())
}

/// Records what came of a meeting after the fair: the first outcome opens the
/// negotiation (商談) it started — proposed and accepted at the request, met at the
/// fair, then the outcome — owned by the fair's organisation so that the council's
/// figures and KPIs count it; a later outcome moves that negotiation on. The fair's
/// staff and the members of either company may record it, from the fair's day on.
#[allow(clippy::too_many_arguments)]
pub async fn record_outcome(
    store: &Store,
    actor: &Actor,
    fair_key: &str,
    request_id: i64,
    outcome: MeetingOutcome,
    note: &str,
    amount: Option<f64>,
    on_date: NaiveDate,
) -> Result<negotiations::Negotiation, StoreError> {
    let note = domain::text::optional_text("note", note, 2000)?;
    let found = get(store, fair_key).await?;
    let request = request_of(&found, request_id)?;
    let (Some(from), Some(to)) = (
        found.participant(request.from),
        found.participant(request.to),
    ) else {
        return Err(StoreError::not_found("面談の当事者"));
    };
    if !(found.may_act_for(Some(actor), from) || found.may_act_for(Some(actor), to)) {
        return Err(StoreError::forbidden(
            "面談の結果は、当事者の企業か主催団体の職員のみが記録できます。",
        ));
    }
    if request.status != RequestStatus::Accepted {
        return Err(StoreError::Conflict(
            "承諾された面談にのみ結果を記録できます。".into(),
        ));
    }
    if on_date < found.date {
        return Err(Invalid::new(
            "on_date",
            format!(
                "結果は開催日（{}）以降の日付で記録してください。",
                found.date
            ),
        )
        .into());
    }
    if amount.is_some() && outcome != MeetingOutcome::Order {
        return Err(
            Invalid::new("amount", "金額は「受注・契約」のときに入力してください。").into(),
        );
    }
    let stage = match outcome {
        MeetingOutcome::FollowUp => Stage::Meeting,
        MeetingOutcome::Quote => Stage::Quote,
        MeetingOutcome::Prototype => Stage::Prototype,
        MeetingOutcome::Order => Stage::Order,
        MeetingOutcome::NoDeal | MeetingOutcome::NotHeld => Stage::Declined,
    };
    let key = found.negotiation_key(request.id);
    let note = if note.is_empty() && outcome == MeetingOutcome::NotHeld {
        "面談不成立".to_owned()
    } else {
        note
    };
    if let Some((_, current)) = &request.negotiation {
        if *current == stage {
            return Err(StoreError::Conflict(format!(
                "この面談の結果は既に「{}」として記録されています。",
                outcome.label()
            )));
        }
        return negotiations::advance(store, actor, &key, stage, on_date, &note, amount).await;
    }
    // Buyer is the side that takes part as 発注側 (the asked side when both or
    // neither do); the other is the supplier.
    let (buyer, supplier) = if from.role == FairRole::Buyer && to.role != FairRole::Buyer {
        (from, to)
    } else {
        (to, from)
    };
    let place = match (request.slot, request.table) {
        (Some(slot), Some(table)) => format!("{}・テーブル{}", found.slot_label(slot), table + 1),
        _ => "割り当て外".to_owned(),
    };
    let mut steps = vec![
        (
            Stage::Proposed,
            found.date,
            format!(
                "商談会「{}」で{}が面談を申込（{}）",
                found.name,
                from.company_name,
                request.priority.label()
            ),
        ),
        (
            Stage::Accepted,
            found.date,
            format!("{}が承諾", to.company_name),
        ),
    ];
    if outcome.was_held() {
        let mut met = format!("商談会「{}」{}", found.name, place);
        if stage == Stage::Meeting && !note.is_empty() {
            met = format!("{met}｜{note}");
        }
        steps.push((Stage::Meeting, found.date, met));
    }
    if stage != Stage::Meeting {
        steps.push((stage, on_date, note));
    }
    let opening = Opening {
        key: key.clone(),
        title: format!(
            "{}：{} × {}",
            found.name, buyer.company_name, supplier.company_name
        ),
        buyer: (buyer.company_id, buyer.company_name.clone()),
        supplier: (supplier.company_id, supplier.company_name.clone()),
        owner_organisation_id: found.owner.id,
        started_on: found.date,
        steps,
        amount,
    };
    let txn = store.begin().await?;
    negotiations::open(&txn, actor, &opening).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "create",
            entity: "negotiation",
            entity_key: key.clone(),
            organisation_id: Some(found.owner.id),
            summary: format!(
                "商談会「{}」の{}と{}の面談結果「{}」を記録",
                found.name,
                from.company_name,
                to.company_name,
                outcome.label()
            ),
            before: None,
            after: Some(json!({"fair": found.key, "request": request.id, "outcome": outcome.code(), "stage": stage.code(), "amount": amount})),
        },
    )
    .await?;
    txn.commit().await?;
    negotiations::get(store, actor, &key).await
}

const FAIRS_TOML: &str = include_str!("../../../data/council/fairs.toml");

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFile {
    fair: Vec<SeedFair>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFair {
    organisation: String,
    name: String,
    date: String,
    start_time: String,
    slot_count: u16,
    slot_minutes: u16,
    table_count: u16,
    request_deadline: String,
    request_cap: u16,
    participant: Vec<SeedParticipant>,
    request: Vec<SeedRequest>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedParticipant {
    company: String,
    role: String,
    available: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedRequest {
    from: String,
    to: String,
    priority: String,
    status: String,
}

fn broken_seed(what: impl std::fmt::Display) -> StoreError {
    StoreError::Config(format!("data/council/fairs.toml: {what}"))
}

/// Loads the demonstration fair (`data/council/fairs.toml`) when there is no fair
/// yet and the directory has its companies, and schedules its accepted requests
/// (by a move limit, not the clock, so every load gives the same schedule).
/// Returns how many fairs were loaded.
pub async fn load_seed_if_empty(store: &Store) -> Result<usize, StoreError> {
    use sea_orm::PaginatorTrait;
    if fair::Entity::find().count(&store.db).await? > 0 {
        return Ok(0);
    }
    let file: SeedFile = toml::from_str(FAIRS_TOML).map_err(broken_seed)?;
    let directory = organisations::directory(store).await?;
    let mut loaded = 0;
    for seed in &file.fair {
        let keys: Vec<&str> = seed
            .participant
            .iter()
            .map(|p| p.company.as_str())
            .collect();
        let companies: HashMap<String, i64> = company::Entity::find()
            .filter(company::Column::Key.is_in(keys.iter().copied()))
            .all(&store.db)
            .await?
            .into_iter()
            .map(|c| (c.key, c.id))
            .collect();
        if companies.len() < keys.len() {
            // A database whose directory came from elsewhere: no demonstration fair.
            continue;
        }
        let draft = FairDraft::parse(&domain::fairs::FairInput {
            name: seed.name.clone(),
            date: seed.date.clone(),
            start_time: seed.start_time.clone(),
            slot_count: seed.slot_count.to_string(),
            slot_minutes: seed.slot_minutes.to_string(),
            table_count: seed.table_count.to_string(),
            request_deadline: seed.request_deadline.clone(),
            request_cap: seed.request_cap.to_string(),
            event: String::new(),
        })
        .map_err(|e| broken_seed(format!("{}: {e:?}", seed.name)))?;
        let owner = directory
            .organisation_by_key(&seed.organisation)
            .ok_or_else(|| broken_seed(format!("団体「{}」がありません", seed.organisation)))?;
        let txn = store.begin().await?;
        let key = format!("f{:08x}", rand::random::<u32>());
        let now = Utc::now();
        let row = new_fair(&key, owner.id, None, &draft, now)
            .insert(&txn)
            .await?;
        let mut participant_ids: HashMap<&str, i64> = HashMap::new();
        for p in &seed.participant {
            let role = FairRole::parse(&p.role).map_err(|e| broken_seed(e.reason))?;
            let available = domain::fairs::parse_availability(&p.available, draft.slot_count)
                .map_err(|e| broken_seed(format!("{}: {}", p.company, e.reason)))?;
            let inserted = fair_participant::ActiveModel {
                fair_id: Set(row.id),
                company_id: Set(companies[&p.company]),
                role: Set(role.code().to_owned()),
                available: Set(stored_slots(&available)),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            participant_ids.insert(p.company.as_str(), inserted.id);
        }
        for r in &seed.request {
            let (Some(&from), Some(&to)) = (
                participant_ids.get(r.from.as_str()),
                participant_ids.get(r.to.as_str()),
            ) else {
                return Err(broken_seed(format!(
                    "{} → {}: 参加していない企業",
                    r.from, r.to
                )));
            };
            let priority =
                RequestPriority::parse(&r.priority).map_err(|e| broken_seed(e.reason))?;
            let status = RequestStatus::parse(&r.status)
                .ok_or_else(|| broken_seed(format!("状態「{}」はありません", r.status)))?;
            fair_request::ActiveModel {
                fair_id: Set(row.id),
                from_participant_id: Set(from),
                to_participant_id: Set(to),
                priority: Set(priority.code().to_owned()),
                status: Set(status.code().to_owned()),
                requested_by: Set("seed".to_owned()),
                slot: Set(None),
                table_no: Set(None),
                locked: Set(false),
                unplaced_reason: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        audit::record(
            &txn,
            None,
            Change {
                action: "create",
                entity: "fair",
                entity_key: key.clone(),
                organisation_id: Some(owner.id),
                summary: format!("商談会「{}」を読み込み（デモデータ）", draft.name),
                before: None,
                after: None,
            },
        )
        .await?;
        txn.commit().await?;
        let found = get(store, &key).await?;
        let limits = engine::ScheduleOptions {
            time_budget: None,
            iteration_limit: Some(20_000),
            ..engine::ScheduleOptions::default()
        };
        store_schedule(store, None, &found, limits).await?;
        loaded += 1;
    }
    Ok(loaded)
}
