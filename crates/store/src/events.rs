//! The shared event calendar: every city's exhibitions, fairs, seminars, study
//! sessions, job fairs, open factories, classes and award ceremonies on one list.
//!
//! Reads filter by city, type, pillar, organisation, date range and Japanese keyword;
//! members-only events are left out unless the caller asks for them (the web layer
//! asks only for signed-in viewers; public feeds never do). Writes check the actor
//! against the organising organisation, bump the event's `sequence` (what iCalendar
//! clients compare) and record the audit log in the same transaction; a change of date
//! or place and a cancellation tell every registrant ([`crate::notices::events`]).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::events::{EventDraft, EventState, EventStatus, EventTime, EventType, ResultDraft};
use domain::{Actor, Invalid, Pillar};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::entity::{event, event_pillar, event_result, initiative};
use crate::organisations::{self, City, Directory, Organisation};
use crate::write::{Action, Audited, Entity};
use crate::{Store, StoreError};

/// An event as every page, feed and export reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: i64,
    pub key: String,
    pub title: String,
    pub event_type: EventType,
    pub organisation: Organisation,
    pub city: City,
    pub pillars: Vec<Pillar>,
    pub time: EventTime,
    /// The document gives no date: the date shown is a plausible one, not a fact.
    pub date_is_approximate: bool,
    pub venue: String,
    pub address: String,
    /// The linked initiative's key and title.
    pub initiative: Option<(String, String)>,
    pub description: String,
    pub note: String,
    pub members_only: bool,
    pub capacity: Option<u32>,
    pub status: EventStatus,
    /// Bumped on every change; iCalendar's SEQUENCE.
    pub sequence: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// What it achieved (実績), once its organiser recorded it.
    pub result: Option<EventResult>,
}

/// An event's 実績: how many took part, from how many companies, and a note.
#[derive(Debug, Clone, PartialEq)]
pub struct EventResult {
    pub participants: u32,
    pub companies: Option<u32>,
    pub note: String,
    pub recorded_at: DateTime<Utc>,
}

impl EventResult {
    /// 「参加者 12名・参加企業 5社」.
    pub fn label(&self) -> String {
        match self.companies {
            Some(c) => format!("参加者 {}名・参加企業 {c}社", self.participants),
            None => format!("参加者 {}名", self.participants),
        }
    }
}

impl Event {
    pub fn is_cancelled(&self) -> bool {
        self.status == EventStatus::Cancelled
    }

    /// Where the event stands now (開催予定・終了・中止), derived by
    /// [`EventState::of`] from its status, dates and results.
    pub fn state(&self) -> EventState {
        self.state_at(domain::time::japan_now())
    }

    /// [`Event::state`] at a given local time in Japan.
    pub fn state_at(&self, now: chrono::NaiveDateTime) -> EventState {
        EventState::of(self.status, &self.time, self.result.is_some(), now)
    }

    /// Open for registration: neither cancelled nor over.
    pub fn is_open(&self) -> bool {
        self.state() == EventState::Scheduled
    }

    /// What the audit log keeps of an event, before and after a change.
    fn snapshot(&self) -> serde_json::Value {
        json!({
            "key": self.key,
            "title": self.title,
            "event_type": self.event_type.code(),
            "organisation": self.organisation.key,
            "city": self.city.key,
            "pillars": self.pillars.iter().map(|p| p.number()).collect::<Vec<_>>(),
            "starts_at": EventTime::stored(self.time.start),
            "ends_at": EventTime::stored(self.time.end),
            "all_day": self.time.all_day,
            "date_is_approximate": self.date_is_approximate,
            "venue": self.venue,
            "address": self.address,
            "initiative": self.initiative.as_ref().map(|i| i.0.clone()),
            "description": self.description,
            "note": self.note,
            "members_only": self.members_only,
            "capacity": self.capacity,
            "status": self.status.code(),
            "sequence": self.sequence,
        })
    }

    fn searchable_texts(&self) -> Vec<&str> {
        let mut texts = vec![
            self.title.as_str(),
            self.event_type.label(),
            self.organisation.name.as_str(),
            self.city.name.as_str(),
            self.venue.as_str(),
            self.address.as_str(),
            self.description.as_str(),
        ];
        if let Some((_, title)) = &self.initiative {
            texts.push(title);
        }
        texts
    }
}

/// What to list. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    pub city: Option<String>,
    pub organisation: Option<String>,
    pub event_type: Option<EventType>,
    pub pillar: Option<Pillar>,
    /// Events that touch this day or later.
    pub from: Option<NaiveDate>,
    /// Events that touch this day or earlier.
    pub to: Option<NaiveDate>,
    /// Japanese keyword over title, type, organisation, city, venue and description.
    pub q: String,
    /// Members-only events too (signed-in viewers only; never a public feed).
    pub include_members_only: bool,
    /// Cancelled events too (calendars show them struck through; feeds announce them).
    pub include_cancelled: bool,
}

/// Events matching the filter, earliest first.
pub async fn list(store: &Store, filter: &EventFilter) -> Result<Vec<Event>, StoreError> {
    let directory = organisations::directory(store).await?;
    let mut condition = Condition::all();
    if let Some(key) = filter.organisation.as_deref() {
        let Some(organisation) = directory.organisation_by_key(key) else {
            return Ok(Vec::new());
        };
        condition = condition.add(event::Column::OrganisationId.eq(organisation.id));
    }
    if let Some(key) = filter.city.as_deref() {
        let Some(city) = directory.city_by_key(key) else {
            return Ok(Vec::new());
        };
        condition = condition.add(event::Column::CityId.eq(city.id));
    }
    if let Some(event_type) = filter.event_type {
        condition = condition.add(event::Column::EventType.eq(event_type.code()));
    }
    if let Some(pillar) = filter.pillar {
        condition = condition.add(
            event::Column::Id.in_subquery(
                Query::select()
                    .column(event_pillar::Column::EventId)
                    .from(event_pillar::Entity)
                    .and_where(
                        Expr::col(event_pillar::Column::Pillar).eq(i16::from(pillar.number())),
                    )
                    .to_owned(),
            ),
        );
    }
    if let Some(from) = filter.from {
        // An event touches `from` when it ends on that day or later. No event lasts
        // longer than `MAX_DAYS` (the domain refuses it), so it also starts at most
        // that long before: a bound the `starts_at` index can use, instead of reading
        // every earlier event.
        let earliest = from - Duration::days(domain::events::MAX_DAYS);
        condition = condition
            .add(event::Column::EndsAt.gte(format!("{from}T00:00")))
            .add(event::Column::StartsAt.gte(format!("{earliest}T00:00")));
    }
    if let Some(to) = filter.to {
        let after = to + Duration::days(1);
        condition = condition.add(event::Column::StartsAt.lt(format!("{after}T00:00")));
    }
    if !filter.include_members_only {
        condition = condition.add(event::Column::MembersOnly.eq(false));
    }
    if !filter.include_cancelled {
        condition = condition.add(event::Column::Status.eq(EventStatus::Scheduled.code()));
    }
    let rows = event::Entity::find()
        .filter(condition)
        .order_by_asc(event::Column::StartsAt)
        .order_by_asc(event::Column::Id)
        .all(&store.db)
        .await?;
    let mut events = assemble(&store.db, &directory, rows).await?;
    let query = search::Query::parse(&filter.q);
    if !query.is_empty() {
        events.retain(|e| query.matches(e.searchable_texts()));
    }
    Ok(events)
}

/// Two events of different cities that share time: what the shared schedule is for.
#[derive(Debug, Clone, PartialEq)]
pub struct Clash {
    pub first: Event,
    pub second: Event,
}

/// Pairs of overlapping scheduled events held in different cities, among the events
/// the filter selects; earliest first.
pub async fn clashes(store: &Store, filter: &EventFilter) -> Result<Vec<Clash>, StoreError> {
    let events = list(
        store,
        &EventFilter {
            include_cancelled: false,
            ..filter.clone()
        },
    )
    .await?;
    // Sorted by start: each event is compared with the later ones that start before it
    // ends, so the work is proportional to the overlaps, not to n².
    let mut clashes = Vec::new();
    for (i, first) in events.iter().enumerate() {
        for second in &events[i + 1..] {
            if second.time.first_day() > first.time.last_day() {
                break;
            }
            if first.city.id != second.city.id && first.time.overlaps(&second.time) {
                clashes.push(Clash {
                    first: first.clone(),
                    second: second.clone(),
                });
            }
        }
    }
    Ok(clashes)
}

/// One event by key. Members-only events are found only when `include_members_only`.
pub async fn get(
    store: &Store,
    key: &str,
    include_members_only: bool,
) -> Result<Event, StoreError> {
    let directory = organisations::directory(store).await?;
    let found = load_one(&store.db, &directory, key).await?;
    if found.members_only && !include_members_only {
        return Err(not_found(key));
    }
    Ok(found)
}

fn not_found(key: &str) -> StoreError {
    StoreError::not_found(format!("イベント「{key}」"))
}

async fn load_one(
    db: &impl ConnectionTrait,
    directory: &Directory,
    key: &str,
) -> Result<Event, StoreError> {
    let row = event::Entity::find()
        .filter(event::Column::Key.eq(key))
        .one(db)
        .await?
        .ok_or_else(|| not_found(key))?;
    assemble(db, directory, vec![row])
        .await?
        .pop()
        .ok_or_else(|| not_found(key))
}

/// Loads pillars and linked initiatives of the rows in two queries.
async fn assemble(
    db: &impl ConnectionTrait,
    directory: &Directory,
    rows: Vec<event::Model>,
) -> Result<Vec<Event>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut pillars: HashMap<i64, Vec<Pillar>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for row in event_pillar::Entity::find()
            .filter(event_pillar::Column::EventId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            if let Ok(pillar) = Pillar::from_number(i64::from(row.pillar)) {
                pillars.entry(row.event_id).or_default().push(pillar);
            }
        }
    }
    let mut results: HashMap<i64, EventResult> = HashMap::new();
    for chunk in ids.chunks(500) {
        for row in event_result::Entity::find()
            .filter(event_result::Column::EventId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            results.insert(
                row.event_id,
                EventResult {
                    participants: u32::try_from(row.participants).unwrap_or(0),
                    companies: row.companies.and_then(|c| u32::try_from(c).ok()),
                    note: row.note,
                    recorded_at: row.recorded_at,
                },
            );
        }
    }
    let initiative_ids: Vec<i64> = rows.iter().filter_map(|r| r.initiative_id).collect();
    let initiatives: HashMap<i64, (String, String)> = if initiative_ids.is_empty() {
        HashMap::new()
    } else {
        initiative::Entity::find()
            .filter(initiative::Column::Id.is_in(initiative_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|i| (i.id, (i.key, i.title)))
            .collect()
    };
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let organisation = directory.organisation(row.organisation_id)?.clone();
            let city = directory
                .cities
                .iter()
                .find(|c| c.id == row.city_id)?
                .clone();
            let (Ok(event_type), Some(status), Some(start), Some(end)) = (
                EventType::parse(&row.event_type),
                EventStatus::parse(&row.status),
                EventTime::from_stored(&row.starts_at),
                EventTime::from_stored(&row.ends_at),
            ) else {
                tracing::warn!(
                    event = row.id,
                    "event with an unreadable type, status or time skipped"
                );
                return None;
            };
            let mut pillars = pillars.remove(&row.id).unwrap_or_default();
            pillars.sort();
            Some(Event {
                result: results.remove(&row.id),
                id: row.id,
                event_type,
                organisation,
                city,
                pillars,
                time: EventTime {
                    start,
                    end,
                    all_day: row.all_day,
                },
                initiative: row
                    .initiative_id
                    .and_then(|id| initiatives.get(&id).cloned()),
                capacity: row.capacity.and_then(|c| u32::try_from(c).ok()),
                status,
                key: row.key,
                title: row.title,
                date_is_approximate: row.date_is_approximate,
                venue: row.venue,
                address: row.address,
                description: row.description,
                note: row.note,
                members_only: row.members_only,
                sequence: row.sequence,
                created_at: row.created_at,
                updated_at: row.updated_at,
            })
        })
        .collect())
}

fn refuse_other_organisation(organisation: &Organisation) -> StoreError {
    StoreError::forbidden(format!(
        "{}のイベントは編集できません。自分の所属団体のイベントのみ登録・編集できます。",
        organisation.name
    ))
}

/// The city and linked initiative a draft names, checked against the database.
async fn references(
    db: &impl ConnectionTrait,
    directory: &Directory,
    draft: &EventDraft,
) -> Result<(i64, Option<i64>), StoreError> {
    let mut errors = Vec::new();
    let city = directory.city_by_key(&draft.city).map(|c| c.id);
    if city.is_none() {
        errors.push(Invalid::new(
            "city",
            format!(
                "都市「{}」は協議会の都市ではありません。一覧から選んでください。",
                draft.city
            ),
        ));
    }
    let mut initiative_id = None;
    if !draft.initiative.is_empty() {
        initiative_id = initiative::Entity::find()
            .filter(initiative::Column::Key.eq(draft.initiative.as_str()))
            .one(db)
            .await?
            .map(|i| i.id);
        if initiative_id.is_none() {
            errors.push(Invalid::new(
                "initiative",
                format!("施策「{}」は登録されていません。", draft.initiative),
            ));
        }
    }
    match city {
        Some(city) if errors.is_empty() => Ok((city, initiative_id)),
        _ => Err(StoreError::Invalid(errors)),
    }
}

async fn replace_pillars(
    txn: &DatabaseTransaction,
    id: i64,
    pillars: &[Pillar],
) -> Result<(), StoreError> {
    event_pillar::Entity::delete_many()
        .filter(event_pillar::Column::EventId.eq(id))
        .exec(txn)
        .await?;
    for pillar in pillars {
        event_pillar::ActiveModel {
            event_id: Set(id),
            pillar: Set(i16::from(pillar.number())),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

fn capacity_column(capacity: Option<u32>) -> Option<i32> {
    capacity.and_then(|c| i32::try_from(c).ok())
}

/// Creates an event of `organisation_key`; staff only for their own organisation, and
/// never in the past (`today` is the caller's date in Asia/Tokyo).
pub async fn create(
    store: &Store,
    actor: &Actor,
    organisation_key: &str,
    draft: &EventDraft,
    today: NaiveDate,
) -> Result<Event, StoreError> {
    if !draft.past_record {
        draft.check_not_past(today)?;
    }
    store
        .write(Some(actor), async |w| {
            let directory = organisations::directory_in(w.txn()).await?;
            let organisation = directory
                .organisation_by_key(organisation_key)
                .ok_or_else(|| Invalid::new("organisation", "主催団体を一覧から選んでください。"))?
                .clone();
            // A record of what already happened is the organiser's own to make: anyone
            // else hears why the date is refused, with the form kept.
            if draft.is_past(today) && !actor.may_edit_events_of(organisation.id) {
                return Err(EventDraft::past_refused(&organisation.name).into());
            }
            if !actor.may_edit_events_of(organisation.id) {
                return Err(refuse_other_organisation(&organisation));
            }
            let key = format!(
                "{}-{}-{:06x}",
                organisation.key,
                draft.time.first_day().format("%Y%m%d"),
                rand::random::<u32>() & 0xff_ffff
            );
            let created = insert(w.txn(), &directory, &organisation, &key, draft, None).await?;
            w.audit(
                Audited::new(
                    Action::Create,
                    Entity::Event,
                    key.clone(),
                    Some(organisation.id),
                    format!(
                        "イベント「{}」（{}）を登録",
                        created.title, organisation.name
                    ),
                )
                .after(created.snapshot()),
            );
            Ok(created)
        })
        .await
}

/// Inserts an event row with its pillars; shared by `create` and the seed.
async fn insert(
    txn: &DatabaseTransaction,
    directory: &Directory,
    organisation: &Organisation,
    key: &str,
    draft: &EventDraft,
    created_at: Option<DateTime<Utc>>,
) -> Result<Event, StoreError> {
    let (city_id, initiative_id) = references(txn, directory, draft).await?;
    let now = created_at.unwrap_or_else(Utc::now);
    let row = event::ActiveModel {
        key: Set(key.to_owned()),
        organisation_id: Set(organisation.id),
        status: Set(EventStatus::Scheduled.code().to_owned()),
        sequence: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..draft_columns(draft, city_id, initiative_id)
    }
    .insert(txn)
    .await?;
    replace_pillars(txn, row.id, &draft.pillars).await?;
    load_one(txn, directory, key).await
}

/// The columns an event's draft sets, alike when it is created and when it is
/// changed; the rest (key, organiser, status, sequence, times) are the caller's.
fn draft_columns(
    draft: &EventDraft,
    city_id: i64,
    initiative_id: Option<i64>,
) -> event::ActiveModel {
    event::ActiveModel {
        city_id: Set(city_id),
        event_type: Set(draft.event_type.code().to_owned()),
        title: Set(draft.title.clone()),
        starts_at: Set(EventTime::stored(draft.time.start)),
        ends_at: Set(EventTime::stored(draft.time.end)),
        all_day: Set(draft.time.all_day),
        date_is_approximate: Set(draft.date_is_approximate),
        venue: Set(draft.venue.clone()),
        address: Set(draft.address.clone()),
        initiative_id: Set(initiative_id),
        description: Set(draft.description.clone()),
        note: Set(draft.note.clone()),
        members_only: Set(draft.members_only),
        capacity: Set(capacity_column(draft.capacity)),
        ..Default::default()
    }
}

/// Loads the event inside the transaction and checks that the actor may edit it.
pub(crate) async fn editable(
    txn: &DatabaseTransaction,
    actor: &Actor,
    key: &str,
) -> Result<(Directory, Event), StoreError> {
    let directory = organisations::directory_in(txn).await?;
    let found = load_one(txn, &directory, key).await?;
    if !actor.may_edit_events_of(found.organisation.id) {
        return Err(refuse_other_organisation(&found.organisation));
    }
    Ok((directory, found))
}

/// Changes an event; its organiser stays. Bumps `sequence`.
pub async fn update(
    store: &Store,
    actor: &Actor,
    key: &str,
    draft: &EventDraft,
) -> Result<Event, StoreError> {
    store
        .write(Some(actor), async |w| {
            let (directory, before) = editable(w.txn(), actor, key).await?;
            let (city_id, initiative_id) = references(w.txn(), &directory, draft).await?;
            event::ActiveModel {
                id: Set(before.id),
                sequence: Set(before.sequence + 1),
                updated_at: Set(Utc::now()),
                ..draft_columns(draft, city_id, initiative_id)
            }
            .update(w.txn())
            .await?;
            replace_pillars(w.txn(), before.id, &draft.pillars).await?;
            let after = load_one(w.txn(), &directory, key).await?;
            w.audit(
                Audited::new(
                    Action::Update,
                    Entity::Event,
                    key.to_owned(),
                    Some(after.organisation.id),
                    format!(
                        "イベント「{}」（{}）を更新",
                        after.title, after.organisation.name
                    ),
                )
                .before(before.snapshot())
                .after(after.snapshot()),
            );
            crate::notices::events::changed(w, &before, &after).await?;
            Ok(after)
        })
        .await
}

/// Cancels an event: it stays on the calendar marked 中止 (feeds announce
/// STATUS:CANCELLED), with the reason in its note. Cancelling twice is a conflict.
pub async fn cancel(
    store: &Store,
    actor: &Actor,
    key: &str,
    reason: &str,
) -> Result<Event, StoreError> {
    let reason = domain::text::optional_text("reason", reason, domain::events::NOTE_MAX)?;
    store
        .write(Some(actor), async |w| {
            let (directory, before) = editable(w.txn(), actor, key).await?;
            if before.is_cancelled() {
                return Err(StoreError::Conflict(format!(
                    "イベント「{}」は既に中止になっています。",
                    before.title
                )));
            }
            let note = match (reason.is_empty(), before.note.is_empty()) {
                (true, _) => before.note.clone(),
                (false, true) => format!("中止の理由：{reason}"),
                (false, false) => format!("{}\n中止の理由：{reason}", before.note),
            };
            event::ActiveModel {
                id: Set(before.id),
                status: Set(EventStatus::Cancelled.code().to_owned()),
                note: Set(note),
                sequence: Set(before.sequence + 1),
                updated_at: Set(Utc::now()),
                ..Default::default()
            }
            .update(w.txn())
            .await?;
            let after = load_one(w.txn(), &directory, key).await?;
            w.audit(
                Audited::new(
                    Action::Cancel,
                    Entity::Event,
                    key.to_owned(),
                    Some(after.organisation.id),
                    format!(
                        "イベント「{}」（{}）を中止",
                        after.title, after.organisation.name
                    ),
                )
                .before(before.snapshot())
                .after(after.snapshot()),
            );
            crate::notices::events::cancelled(w, &after, &reason).await?;
            Ok(after)
        })
        .await
}

/// The labels under which recorded results are written into the linked initiative's
/// KPIs (named apart from the document's own figures, which they never overwrite).
pub const KPI_LABELS: [(&str, &str); 3] = [
    ("開催回数（イベント実績）", "回"),
    ("参加者数（イベント実績）", "人"),
    ("参加企業数（イベント実績）", "社"),
];

/// What recording results did: the event as it now reads, and the initiative whose
/// KPIs of which year were fed (when the event is linked to one the actor keeps).
#[derive(Debug, Clone)]
pub struct Recorded {
    pub event: Event,
    pub fed: Option<(String, domain::FiscalYear)>,
}

/// Records (or corrects) what an event achieved, once it has begun; the organiser's
/// staff and the secretariat only. When the event is linked to an initiative the
/// actor keeps, the results of all that initiative's events of the same 年度 are
/// written into its KPIs in the same transaction ([`crate::catalogue::feed_kpis`]'s
/// rules: same label updated, others kept), so the annual report shows them.
pub async fn record_result(
    store: &Store,
    actor: &Actor,
    key: &str,
    draft: &ResultDraft,
) -> Result<Recorded, StoreError> {
    store
        .write(Some(actor), async |w| {
            let (directory, before) = editable(w.txn(), actor, key).await?;
            if before.is_cancelled() {
                return Err(StoreError::Conflict(format!(
                    "「{}」は中止になったため、実績は記録できません。",
                    before.title
                )));
            }
            ResultDraft::check_started(&before.time, domain::time::japan_now())?;
            event_result::Entity::delete_many()
                .filter(event_result::Column::EventId.eq(before.id))
                .exec(w.txn())
                .await?;
            let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
            event_result::ActiveModel {
                event_id: Set(before.id),
                participants: Set(count(draft.participants)),
                companies: Set(draft.companies.map(count)),
                note: Set(draft.note.clone()),
                recorded_at: Set(Utc::now()),
            }
            .insert(w.txn())
            .await?;
            let after = load_one(w.txn(), &directory, key).await?;
            let snapshot = |e: &Event| {
                e.result.as_ref().map(|r| {
                    json!({"participants": r.participants, "companies": r.companies, "note": r.note})
                })
            };
            let mut entry = Audited::new(
                Action::Record,
                Entity::EventResult,
                key.to_owned(),
                Some(after.organisation.id),
                format!(
                    "イベント「{}」（{}）の実績を記録（{}）",
                    after.title,
                    after.organisation.name,
                    after.result.as_ref().map(|r| r.label()).unwrap_or_default()
                ),
            );
            if let Some(before) = snapshot(&before) {
                entry = entry.before(before);
            }
            if let Some(after) = snapshot(&after) {
                entry = entry.after(after);
            }
            w.audit(entry);
            let fed = feed_initiative(w.txn(), actor, &after).await?;
            Ok(Recorded { event: after, fed })
        })
        .await
}

/// Writes the results of the linked initiative's events of the event's 年度 into the
/// initiative's KPIs, when the actor keeps that initiative.
async fn feed_initiative(
    txn: &DatabaseTransaction,
    actor: &Actor,
    event: &Event,
) -> Result<Option<(String, domain::FiscalYear)>, StoreError> {
    let Some((initiative_key, _)) = &event.initiative else {
        return Ok(None);
    };
    let initiative = crate::catalogue::get_in(txn, initiative_key).await?;
    if !actor.may_edit_catalogue_of(initiative.organisation.id) {
        return Ok(None);
    }
    let fy = domain::FiscalYear::containing(event.time.first_day());
    let directory = organisations::directory_in(txn).await?;
    let rows = event::Entity::find()
        .filter(event::Column::InitiativeId.eq(initiative.id))
        .filter(event::Column::Status.eq(EventStatus::Scheduled.code()))
        .all(txn)
        .await?;
    let linked = assemble(txn, &directory, rows).await?;
    let (mut held, mut participants, mut companies) = (0u64, 0u64, 0u64);
    for e in linked
        .iter()
        .filter(|e| domain::FiscalYear::containing(e.time.first_day()) == fy)
    {
        if let Some(r) = &e.result {
            held += 1;
            participants += u64::from(r.participants);
            companies += u64::from(r.companies.unwrap_or(0));
        }
    }
    let figures: Vec<crate::catalogue::KpiFigure> = KPI_LABELS
        .iter()
        .zip([held, participants, companies])
        .map(|((label, unit), value)| crate::catalogue::KpiFigure {
            label: (*label).to_owned(),
            value: value as f64,
            unit: (*unit).to_owned(),
        })
        .collect();
    crate::catalogue::feed_kpis_in(txn, actor, initiative_key, fy, &figures, "イベントの実績")
        .await?;
    Ok(Some((initiative.title, fy)))
}

/// Whether the calendar has no event yet (the seed step asks).
pub(crate) async fn is_empty(store: &Store) -> Result<bool, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(event::Entity::find().count(&store.db).await? == 0)
}

/// Loads seed events in one transaction, as the system (no actor), with their keys.
pub(crate) async fn insert_seed(
    store: &Store,
    events: &[(String, String, EventDraft)],
) -> Result<usize, StoreError> {
    store
        .write(None, async |w| {
            let directory = organisations::directory_in(w.txn()).await?;
            for (key, organisation_key, draft) in events {
                let organisation = directory
                    .organisation_by_key(organisation_key)
                    .ok_or_else(|| {
                        StoreError::Config(format!(
                            "data/council/events.toml: 団体「{organisation_key}」がありません"
                        ))
                    })?
                    .clone();
                insert(w.txn(), &directory, &organisation, key, draft, None)
                    .await
                    .map_err(|error| match error {
                        StoreError::Invalid(errors) => StoreError::Config(format!(
                            "data/council/events.toml: {key}: {}",
                            errors
                                .iter()
                                .map(|e| e.to_string())
                                .collect::<Vec<_>>()
                                .join(" / ")
                        )),
                        other => other,
                    })?;
                // A record of 平成28/29年度 is dated at its own day, not at the load.
                let at = crate::demo::japan_morning(draft.time.first_day());
                event::Entity::update_many()
                    .col_expr(event::Column::CreatedAt, Expr::value(at))
                    .col_expr(event::Column::UpdatedAt, Expr::value(at))
                    .filter(event::Column::Key.eq(key.as_str()))
                    .exec(w.txn())
                    .await?;
            }
            w.audit(Audited::new(
                Action::Seed,
                Entity::Council,
                "council-events",
                None,
                format!(
                    "協議会の資料から平成28・29年度のイベント{}件を読み込みました（日付は推定）",
                    events.len()
                ),
            ));
            Ok(events.len())
        })
        .await
}
