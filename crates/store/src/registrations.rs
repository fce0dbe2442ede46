//! Registrations for events: capacity, a waiting list that moves up by itself when a
//! seat frees, the registrant's own confirmation (by a secret token), and the
//! organiser's check-in list with attendance.
//!
//! Every change goes through [`Store::write`]: the audit entry and the mail to the
//! registrant (受付, キャンセル待ち, 繰り上げ with an `.ics` invitation, 取消 with its
//! cancellation) are committed with the change or not at all.
//!
//! Personal data (name, organisation, e-mail) is returned only to the organising
//! organisation's staff and the secretariat; the public sees counts. The audit log
//! records each change without the personal data.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::Actor;
use domain::events::{RegistrationDraft, RegistrationStatus};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::entity::{event, registration};
use crate::error::{UniqueConstraint, on_constraint};
use crate::events::{self, Event};
use crate::ical::{self, Invitation, Method};
use crate::open_factory::Slot;
use crate::outbox::{MAIL_FROM, Outgoing, PUBLIC_URL};
use crate::write::{Action, Audited, Entity, Writing};
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
    /// The site's tour slot (見学枠) it is for, or none for the event itself.
    pub tour_id: Option<i64>,
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
        tour_id: row.tour_id,
        created_at: row.created_at,
    })
}

pub(crate) async fn rows_of(
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

pub(crate) fn occupancy_of<'a>(
    registrations: impl IntoIterator<Item = &'a Registration>,
) -> Occupancy {
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

/// Seats taken and people waiting for a (visible) event itself; its sites' tour
/// slots are counted apart ([`crate::open_factory`]).
pub async fn occupancy(store: &Store, event: &Event) -> Result<Occupancy, StoreError> {
    Ok(occupancy_of(
        rows_of(&store.db, event.id)
            .await?
            .iter()
            .filter(|r| r.tour_id.is_none()),
    ))
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

fn audited(action: Action, event: &Event, registration_id: i64, summary: String) -> Audited {
    Audited::new(
        action,
        Entity::Registration,
        format!("{}/{registration_id}", event.key),
        Some(event.organisation.id),
        summary,
    )
}

/// One active registration per address and event, and per address and tour slot
/// (migrations 0003 and 0026).
const ONE_PER_EMAIL: &[UniqueConstraint] = &[
    UniqueConstraint {
        name: "event_registrations_one_per_email",
        table: "event_registrations",
        columns: &["event_id", "email"],
        field: "email",
        message: "このメールアドレスでは既に申し込まれています。申込内容は確認メールまたは申込完了画面のリンクからご確認ください。",
    },
    UniqueConstraint {
        name: "event_registrations_one_per_tour",
        table: "event_registrations",
        columns: &["tour_id", "email"],
        field: "email",
        message: "このメールアドレスでは、この見学枠に既に申し込まれています。申込内容は確認メールまたは申込完了画面のリンクからご確認ください。",
    },
];

/// What a registrant is told, by mail, at each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notice {
    /// 受付: a seat.
    Confirmed,
    /// キャンセル待ち.
    Waiting,
    /// 繰り上げ: a seat freed and is theirs.
    Promoted,
    /// 取消: the registration was withdrawn.
    Withdrawn,
}

/// The mail for one step, to the registrant; from the organising organisation. A
/// confirmed seat carries the event as an invitation (METHOD:REQUEST), a withdrawn
/// seat its cancellation (METHOD:CANCEL).
fn notice(
    event: &Event,
    registration: &Registration,
    slot: Option<&Slot>,
    notice: Notice,
) -> Outgoing {
    let when = event.time.label();
    let link = format!("{PUBLIC_URL}/registrations/{}", registration.token);
    let place = [event.venue.as_str(), event.address.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let mut details = format!(
        "イベント：{}\n日時：{when}\n会場：{}\n人数：{}名\n主催：{}",
        event.title,
        if place.is_empty() {
            "（未定）"
        } else {
            &place
        },
        registration.attendees,
        event.organisation.name
    );
    if let Some(slot) = slot {
        details.push_str(&format!(
            "\n見学枠：{}（{}）{}\n見学先の住所：{}",
            slot.company, slot.programme, slot.label, slot.address
        ));
    }
    let (subject, opening) = match notice {
        Notice::Confirmed => (
            format!("【受付】{}のお申し込みを受け付けました", event.title),
            "以下のとおりお申し込みを受け付け、参加が確定しました。".to_owned(),
        ),
        Notice::Waiting => (
            format!("【キャンセル待ち】{}のお申し込み", event.title),
            "定員に達しているため、キャンセル待ちとして受け付けました。席が空きしだい順番に繰り上げ、メールでお知らせします。".to_owned(),
        ),
        Notice::Promoted => (
            format!("【繰り上げ】{}の参加が確定しました", event.title),
            "キャンセルが出たため、キャンセル待ちから繰り上がり、参加が確定しました。添付のカレンダー（.ics）で予定に登録できます。".to_owned(),
        ),
        Notice::Withdrawn => (
            format!("【取消】{}のお申し込みを取り消しました", event.title),
            "以下のお申し込みを取り消しました。お心当たりがない場合は主催団体にお問い合わせください。".to_owned(),
        ),
    };
    let body = format!(
        "{} 様\n\n{opening}\n\n{details}\n\n申込内容の確認・取消：\n{link}",
        registration.name
    );
    let message = Outgoing::new(
        Some(event.organisation.id),
        &event.organisation.name,
        &registration.name,
        &registration.email,
        &subject,
        &body,
        &format!(
            "このメールは、{}主催「{}」にこのメールアドレスでお申し込みがあったためお送りしています。",
            event.organisation.name, event.title
        ),
    );
    let invitation = |method| {
        ical::invitation(
            event,
            PUBLIC_URL,
            method,
            &Invitation {
                uid: format!("registration-{}@renkei", registration.id),
                attendee_name: &registration.name,
                attendee_email: &registration.email,
                organiser_email: MAIL_FROM,
            },
        )
    };
    match notice {
        Notice::Confirmed | Notice::Promoted => message.with_ics(invitation(Method::Request)),
        Notice::Withdrawn if registration.status == RegistrationStatus::Confirmed => {
            message.with_ics(invitation(Method::Cancel))
        }
        Notice::Waiting | Notice::Withdrawn => message,
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
    register_in(store, actor, event_key, None, draft, today).await
}

/// Registers for one tour slot (見学枠) of a site of an event spread over many sites:
/// the slot's capacity and waiting list, by the same rules as an event's; a visitor
/// may take slots at several sites, once per slot.
pub async fn register_for_tour(
    store: &Store,
    actor: Option<&Actor>,
    event_key: &str,
    tour_id: i64,
    draft: &RegistrationDraft,
    today: chrono::NaiveDate,
) -> Result<Registration, StoreError> {
    register_in(store, actor, event_key, Some(tour_id), draft, today).await
}

async fn register_in(
    store: &Store,
    actor: Option<&Actor>,
    event_key: &str,
    tour: Option<i64>,
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
    // Over by its dates, or its results recorded: 終了 (domain::events::EventState).
    if event.time.last_day() < today || event.result.is_some() {
        return Err(StoreError::Conflict(format!(
            "「{}」は終了したため、申し込めません。",
            event.title
        )));
    }
    store
        .write(actor, async |w| {
            lock_event(w.txn(), &event).await?;
            let slots = crate::open_factory::slots_in(w.txn(), event.id).await?;
            let slot = match tour {
                Some(id) => Some(
                    slots
                        .get(&id)
                        .ok_or_else(|| StoreError::not_found("見学枠"))?,
                ),
                None => None,
            };
            let existing: Vec<Registration> = rows_of(w.txn(), event.id)
                .await?
                .into_iter()
                .filter(|r| r.tour_id == tour)
                .collect();
            if existing
                .iter()
                .any(|r| r.email == draft.email && r.status != RegistrationStatus::Cancelled)
            {
                let constraint = if tour.is_some() { 1 } else { 0 };
                return Err(StoreError::Conflict(
                    ONE_PER_EMAIL[constraint].message.into(),
                ));
            }
            let taken = occupancy_of(&existing);
            let capacity = match slot {
                Some(slot) => Some(slot.capacity),
                None => event.capacity,
            };
            let status = match capacity {
                Some(capacity)
                    if taken.waiting > 0 || taken.confirmed + draft.attendees > capacity =>
                {
                    RegistrationStatus::Waiting
                }
                _ => RegistrationStatus::Confirmed,
            };
            let now = Utc::now();
            let token = crate::random_hex::<16>();
            let row = registration::ActiveModel {
                event_id: Set(event.id),
                token: Set(token),
                name: Set(draft.name.clone()),
                organisation_name: Set(draft.organisation.clone()),
                email: Set(draft.email.clone()),
                attendees: Set(i32::try_from(draft.attendees).unwrap_or(i32::MAX)),
                status: Set(status.code().to_owned()),
                attended: Set(false),
                tour_id: Set(tour),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(w.txn())
            .await
            .map_err(|error| on_constraint(error, ONE_PER_EMAIL))?;
            w.audit(audited(
                Action::Register,
                &event,
                row.id,
                match slot {
                    Some(slot) => format!(
                        "「{}」の見学枠（{} {}）への申込（{}名・{}）",
                        event.title,
                        slot.company,
                        slot.label,
                        draft.attendees,
                        status.label()
                    ),
                    None => format!(
                        "「{}」への申込（{}名・{}）",
                        event.title,
                        draft.attendees,
                        status.label()
                    ),
                },
            ));
            let registration = to_registration(row)
                .ok_or_else(|| StoreError::Config("registration row unreadable".into()))?;
            w.send(notice(
                &event,
                &registration,
                slot,
                match status {
                    RegistrationStatus::Waiting => Notice::Waiting,
                    _ => Notice::Confirmed,
                },
            ));
            Ok(registration)
        })
        .await
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

/// Moves waiting registrations of the event itself and of each tour slot up, in
/// order, while they fit. Strictly first come, first served: a large party at the
/// head is not overtaken by a smaller one behind.
async fn promote(
    w: &mut Writing<'_>,
    event: &Event,
    slots: &HashMap<i64, Slot>,
) -> Result<Vec<Registration>, StoreError> {
    let all = rows_of(w.txn(), event.id).await?;
    let mut scopes: Vec<Option<i64>> = all.iter().map(|r| r.tour_id).collect();
    scopes.sort_unstable();
    scopes.dedup();
    let mut promoted = Vec::new();
    for scope in scopes {
        let slot = scope.and_then(|id| slots.get(&id));
        let capacity = match scope {
            Some(_) => slot.map(|s| s.capacity),
            None => event.capacity,
        };
        let rows: Vec<Registration> = all.iter().filter(|r| r.tour_id == scope).cloned().collect();
        promoted.extend(promote_in(w, event, rows, capacity, slot).await?);
    }
    Ok(promoted)
}

async fn promote_in(
    w: &mut Writing<'_>,
    event: &Event,
    rows: Vec<Registration>,
    capacity: Option<u32>,
    slot: Option<&Slot>,
) -> Result<Vec<Registration>, StoreError> {
    let mut confirmed = occupancy_of(&rows).confirmed;
    let mut promoted = Vec::new();
    for waiting in rows
        .into_iter()
        .filter(|r| r.status == RegistrationStatus::Waiting)
    {
        let fits = capacity.is_none_or(|capacity| confirmed + waiting.attendees <= capacity);
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
        .update(w.txn())
        .await?;
        w.audit(
            audited(
                Action::Promote,
                event,
                waiting.id,
                format!(
                    "「{}」のキャンセル待ち（{}名）が繰り上がり参加確定",
                    event.title, waiting.attendees
                ),
            )
            .by_system(),
        );
        let registration = Registration {
            status: RegistrationStatus::Confirmed,
            ..waiting
        };
        w.send(notice(event, &registration, slot, Notice::Promoted));
        promoted.push(registration);
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
    store
        .write(actor, async |w| {
            lock_event(w.txn(), event).await?;
            registration::ActiveModel {
                id: Set(row.id),
                status: Set(RegistrationStatus::Cancelled.code().to_owned()),
                updated_at: Set(Utc::now()),
                ..Default::default()
            }
            .update(w.txn())
            .await?;
            w.audit(audited(
                Action::Withdraw,
                event,
                row.id,
                format!("「{}」への申込（{}名）を取消", event.title, row.attendees),
            ));
            let slots = crate::open_factory::slots_in(w.txn(), event.id).await?;
            if let Some(withdrawn) = to_registration(row) {
                let slot = withdrawn.tour_id.and_then(|id| slots.get(&id));
                w.send(notice(event, &withdrawn, slot, Notice::Withdrawn));
            }
            promote(w, event, &slots).await
        })
        .await
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

pub(crate) async fn row_of_event(
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
    set_attended(store, actor, &event, row, attended).await
}

/// Records attendance on a confirmed registration the caller has already been
/// allowed to check in (the organiser, or a site's host for its slots).
pub(crate) async fn set_attended(
    store: &Store,
    actor: &Actor,
    event: &Event,
    row: registration::Model,
    attended: bool,
) -> Result<(), StoreError> {
    if row.status != RegistrationStatus::Confirmed.code() {
        return Err(StoreError::Conflict(
            "参加確定の申込のみ出席を記録できます。".into(),
        ));
    }
    store
        .write(Some(actor), async |w| {
            registration::ActiveModel {
                id: Set(row.id),
                attended: Set(attended),
                updated_at: Set(Utc::now()),
                ..Default::default()
            }
            .update(w.txn())
            .await?;
            w.audit(audited(
                Action::Attendance,
                event,
                row.id,
                format!(
                    "「{}」の出席を{}",
                    event.title,
                    if attended { "記録" } else { "取消" }
                ),
            ));
            Ok(())
        })
        .await
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
