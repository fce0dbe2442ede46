//! Registrations for events: capacity, a waiting list that moves up by itself when a
//! seat frees, the registrant's own confirmation (by a secret token), and the
//! organiser's check-in list with attendance.
//!
//! Personal data (name, organisation, e-mail) is returned only to the organising
//! organisation's staff and the secretariat; the public sees counts. The audit log
//! records each change without the personal data.

use chrono::{DateTime, Utc};
use domain::Actor;
use domain::events::{RegistrationDraft, RegistrationStatus};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::audit::{self, Change};
use crate::entity::{event, registration};
use crate::events::{self, Event};
use crate::{Store, StoreError};

/// One registration, with the personal data: only for those allowed to see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub id: i64,
    pub token: String,
    pub name: String,
    pub organisation: String,
    pub email: String,
    pub attendees: u32,
    pub status: RegistrationStatus,
    pub attended: bool,
    pub created_at: DateTime<Utc>,
}

/// Seats taken and people waiting: what the public sees of an event's registrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Occupancy {
    pub confirmed: u32,
    pub waiting: u32,
}

fn to_registration(row: registration::Model) -> Option<Registration> {
    Some(Registration {
        status: RegistrationStatus::parse(&row.status)?,
        attendees: u32::try_from(row.attendees).ok()?,
        id: row.id,
        token: row.token,
        name: row.name,
        organisation: row.organisation_name,
        email: row.email,
        attended: row.attended,
        created_at: row.created_at,
    })
}

async fn rows_of(
    db: &impl ConnectionTrait,
    event_id: i64,
) -> Result<Vec<Registration>, StoreError> {
    Ok(registration::Entity::find()
        .filter(registration::Column::EventId.eq(event_id))
        .order_by_asc(registration::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(to_registration)
        .collect())
}

fn occupancy_of(registrations: &[Registration]) -> Occupancy {
    let mut occupancy = Occupancy::default();
    for r in registrations {
        match r.status {
            RegistrationStatus::Confirmed => occupancy.confirmed += r.attendees,
            RegistrationStatus::Waiting => occupancy.waiting += r.attendees,
            RegistrationStatus::Cancelled => {}
        }
    }
    occupancy
}

/// Seats taken and people waiting for a (visible) event.
pub async fn occupancy(store: &Store, event: &Event) -> Result<Occupancy, StoreError> {
    Ok(occupancy_of(&rows_of(&store.db, event.id).await?))
}

/// Serialises registrations of one event: on PostgreSQL the row lock on the event
/// makes concurrent registrations wait, so two cannot take the last seat; SQLite
/// serialises writers anyway.
async fn lock_event(txn: &DatabaseTransaction, event: &Event) -> Result<(), StoreError> {
    event::Entity::update_many()
        .col_expr(
            event::Column::Sequence,
            sea_orm::sea_query::Expr::col(event::Column::Sequence).into(),
        )
        .filter(event::Column::Id.eq(event.id))
        .exec(txn)
        .await?;
    Ok(())
}

fn audit_change(
    action: &'static str,
    event: &Event,
    registration_id: i64,
    summary: String,
) -> Change<'static> {
    Change {
        action,
        entity: "registration",
        entity_key: format!("{}/{registration_id}", event.key),
        organisation_id: Some(event.organisation.id),
        summary,
        before: None,
        after: None,
    }
}

/// Registers for an event: a seat if one is free, the waiting list otherwise. A
/// cancelled or finished event refuses; the same address twice is a conflict.
pub async fn register(
    store: &Store,
    actor: Option<&Actor>,
    event_key: &str,
    draft: &RegistrationDraft,
    today: chrono::NaiveDate,
) -> Result<Registration, StoreError> {
    let event = events::get(store, event_key, actor.is_some()).await?;
    if event.is_cancelled() {
        return Err(StoreError::Conflict(format!(
            "「{}」は中止になったため、申し込めません。",
            event.title
        )));
    }
    if event.time.last_day() < today {
        return Err(StoreError::Conflict(format!(
            "「{}」は終了したため、申し込めません。",
            event.title
        )));
    }
    let txn = store.begin().await?;
    lock_event(&txn, &event).await?;
    let existing = rows_of(&txn, event.id).await?;
    if existing
        .iter()
        .any(|r| r.email == draft.email && r.status != RegistrationStatus::Cancelled)
    {
        return Err(StoreError::Conflict(
            "このメールアドレスでは既に申し込まれています。申込内容は確認メールまたは申込完了画面のリンクからご確認ください。".into(),
        ));
    }
    let taken = occupancy_of(&existing);
    let status = match event.capacity {
        Some(capacity) if taken.waiting > 0 || taken.confirmed + draft.attendees > capacity => {
            RegistrationStatus::Waiting
        }
        _ => RegistrationStatus::Confirmed,
    };
    let now = Utc::now();
    let token = format!(
        "{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    );
    let row = registration::ActiveModel {
        event_id: Set(event.id),
        token: Set(token),
        name: Set(draft.name.clone()),
        organisation_name: Set(draft.organisation.clone()),
        email: Set(draft.email.clone()),
        attendees: Set(i32::try_from(draft.attendees).unwrap_or(i32::MAX)),
        status: Set(status.code().to_owned()),
        attended: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        audit_change(
            "register",
            &event,
            row.id,
            format!(
                "「{}」への申込（{}名・{}）",
                event.title,
                draft.attendees,
                status.label()
            ),
        ),
    )
    .await?;
    txn.commit().await?;
    to_registration(row).ok_or_else(|| StoreError::Config("registration row unreadable".into()))
}

/// A registration by its secret token, with its event and its place on the waiting
/// list (1 = next to move up).
pub async fn by_token(
    store: &Store,
    token: &str,
) -> Result<(Registration, Event, Option<usize>), StoreError> {
    let row = registration::Entity::find()
        .filter(registration::Column::Token.eq(token))
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("申込"))?;
    let event_id = row.event_id;
    let registration = to_registration(row).ok_or_else(|| StoreError::not_found("申込"))?;
    let event_row = event::Entity::find_by_id(event_id)
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("イベント"))?;
    let event = events::get(store, &event_row.key, true).await?;
    let position = if registration.status == RegistrationStatus::Waiting {
        rows_of(&store.db, event_id)
            .await?
            .iter()
            .filter(|r| r.status == RegistrationStatus::Waiting)
            .position(|r| r.id == registration.id)
            .map(|p| p + 1)
    } else {
        None
    };
    Ok((registration, event, position))
}

/// Moves waiting registrations up, in order, while they fit. Strictly first come,
/// first served: a large party at the head is not overtaken by a smaller one behind.
async fn promote(
    txn: &DatabaseTransaction,
    event: &Event,
) -> Result<Vec<Registration>, StoreError> {
    let all = rows_of(txn, event.id).await?;
    let mut confirmed = occupancy_of(&all).confirmed;
    let mut promoted = Vec::new();
    for waiting in all
        .into_iter()
        .filter(|r| r.status == RegistrationStatus::Waiting)
    {
        let fits = event
            .capacity
            .is_none_or(|capacity| confirmed + waiting.attendees <= capacity);
        if !fits {
            break;
        }
        confirmed += waiting.attendees;
        registration::ActiveModel {
            id: Set(waiting.id),
            status: Set(RegistrationStatus::Confirmed.code().to_owned()),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
        .update(txn)
        .await?;
        audit::record(
            txn,
            None,
            audit_change(
                "promote",
                event,
                waiting.id,
                format!(
                    "「{}」のキャンセル待ち（{}名）が繰り上がり参加確定",
                    event.title, waiting.attendees
                ),
            ),
        )
        .await?;
        promoted.push(Registration {
            status: RegistrationStatus::Confirmed,
            ..waiting
        });
    }
    Ok(promoted)
}

async fn withdraw(
    store: &Store,
    actor: Option<&Actor>,
    row: registration::Model,
    event: &Event,
) -> Result<Vec<Registration>, StoreError> {
    if row.status == RegistrationStatus::Cancelled.code() {
        return Err(StoreError::Conflict(
            "この申込は既に取り消されています。".into(),
        ));
    }
    let txn = store.begin().await?;
    lock_event(&txn, event).await?;
    registration::ActiveModel {
        id: Set(row.id),
        status: Set(RegistrationStatus::Cancelled.code().to_owned()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        audit_change(
            "withdraw",
            event,
            row.id,
            format!("「{}」への申込（{}名）を取消", event.title, row.attendees),
        ),
    )
    .await?;
    let promoted = promote(&txn, event).await?;
    txn.commit().await?;
    Ok(promoted)
}

/// The registrant withdraws (by token). Returns who moved up from the waiting list.
pub async fn cancel_by_token(store: &Store, token: &str) -> Result<Vec<Registration>, StoreError> {
    let row = registration::Entity::find()
        .filter(registration::Column::Token.eq(token))
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("申込"))?;
    let event_row = event::Entity::find_by_id(row.event_id)
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("イベント"))?;
    let event = events::get(store, &event_row.key, true).await?;
    withdraw(store, None, row, &event).await
}

/// The event, if the actor may see its registrations (its organiser or the secretariat).
async fn organised_by(store: &Store, actor: &Actor, event_key: &str) -> Result<Event, StoreError> {
    let event = events::get(store, event_key, true).await?;
    if !actor.may_edit_events_of(event.organisation.id) {
        return Err(StoreError::forbidden(format!(
            "申込者の一覧は主催団体（{}）の職員と協議会事務局のみ閲覧できます。",
            event.organisation.name
        )));
    }
    Ok(event)
}

/// The check-in list: every registration with personal data, in order of arrival.
pub async fn list(
    store: &Store,
    actor: &Actor,
    event_key: &str,
) -> Result<(Event, Vec<Registration>), StoreError> {
    let event = organised_by(store, actor, event_key).await?;
    let registrations = rows_of(&store.db, event.id).await?;
    Ok((event, registrations))
}

async fn row_of_event(
    store: &Store,
    event: &Event,
    id: i64,
) -> Result<registration::Model, StoreError> {
    registration::Entity::find_by_id(id)
        .filter(registration::Column::EventId.eq(event.id))
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("申込"))
}

/// Marks (or unmarks) attendance on the day.
pub async fn mark_attendance(
    store: &Store,
    actor: &Actor,
    event_key: &str,
    id: i64,
    attended: bool,
) -> Result<(), StoreError> {
    let event = organised_by(store, actor, event_key).await?;
    let row = row_of_event(store, &event, id).await?;
    if row.status != RegistrationStatus::Confirmed.code() {
        return Err(StoreError::Conflict(
            "参加確定の申込のみ出席を記録できます。".into(),
        ));
    }
    let txn = store.begin().await?;
    registration::ActiveModel {
        id: Set(row.id),
        attended: Set(attended),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor),
        audit_change(
            "attendance",
            &event,
            row.id,
            format!(
                "「{}」の出席を{}",
                event.title,
                if attended { "記録" } else { "取消" }
            ),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The organiser withdraws a registration (e.g. asked by phone); the list moves up.
pub async fn cancel_by_organiser(
    store: &Store,
    actor: &Actor,
    event_key: &str,
    id: i64,
) -> Result<Vec<Registration>, StoreError> {
    let event = organised_by(store, actor, event_key).await?;
    let row = row_of_event(store, &event, id).await?;
    withdraw(store, Some(actor), row, &event).await
}
