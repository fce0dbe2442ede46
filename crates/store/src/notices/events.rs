//! Events: when an event's date or place changes, or the event is cancelled, every
//! registrant is told (by mail, and in お知らせ when the address has an account). A
//! confirmed seat's mail carries the calendar update (METHOD:REQUEST under the
//! registration's UID) or its cancellation (METHOD:CANCEL), so the registrant's
//! calendar follows. Both are essential: they change what the person signed up for.

use domain::events::RegistrationStatus;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{Notice, Programme, by_address};
use crate::StoreError;
use crate::entity::registration;
use crate::events::Event;
use crate::ical::{self, Invitation, Method};
use crate::outbox::{MAIL_FROM, PUBLIC_URL};
use crate::write::Writing;

fn place(event: &Event) -> String {
    let place = [event.venue.as_str(), event.address.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if place.is_empty() {
        "（未定）".to_owned()
    } else {
        place
    }
}

/// Whether a change moves the event in time or space (what a registrant must know).
pub fn moves(before: &Event, after: &Event) -> bool {
    before.time != after.time || before.venue != after.venue || before.address != after.address
}

async fn active_registrations(
    w: &Writing<'_>,
    event: &Event,
) -> Result<Vec<registration::Model>, StoreError> {
    Ok(registration::Entity::find()
        .filter(registration::Column::EventId.eq(event.id))
        .filter(registration::Column::Status.ne(RegistrationStatus::Cancelled.code()))
        .order_by_asc(registration::Column::Id)
        .all(w.txn())
        .await?)
}

fn reason(event: &Event) -> String {
    format!(
        "このメールは、{}主催「{}」にこのメールアドレスでお申し込みがあったためお送りしています。",
        event.organisation.name, event.title
    )
}

fn invitation(event: &Event, row: &registration::Model, method: Method) -> String {
    ical::invitation(
        event,
        PUBLIC_URL,
        method,
        &Invitation {
            uid: format!("registration-{}@renkei", row.id),
            attendee_name: &row.name,
            attendee_email: &row.email,
            organiser_email: MAIL_FROM,
        },
    )
}

/// The event's date or place changed: every registrant hears the new one.
pub async fn changed(w: &mut Writing<'_>, before: &Event, after: &Event) -> Result<(), StoreError> {
    if !moves(before, after) || after.is_cancelled() {
        return Ok(());
    }
    for row in active_registrations(w, after).await? {
        let confirmed = row.status == RegistrationStatus::Confirmed.code();
        let mut notice = Notice::new(
            Programme::Events,
            (Some(after.organisation.id), &after.organisation.name),
            format!("【日時・会場の変更】{}", after.title),
            format!(
                "お申し込みの「{}」の日時または会場が変更されました。新しい内容をご確認ください。\n\n変更前：{}／{}\n変更後：{}／{}\n\nご都合が合わなくなった場合は、下のページから申込を取り消してください。{}",
                after.title,
                before.time.label(),
                place(before),
                after.time.label(),
                place(after),
                if confirmed {
                    "添付のカレンダー（.ics）で予定を更新できます。"
                } else {
                    ""
                }
            ),
            format!("/registrations/{}", row.token),
            reason(after),
        )
        .essential();
        if confirmed {
            notice = notice.with_ics(invitation(after, &row, Method::Request));
        }
        let to = by_address(w.txn(), &row.name, &row.email).await?;
        w.notify(&to, &notice).await?;
    }
    Ok(())
}

/// The event was cancelled: every registrant is told, with the reason.
pub async fn cancelled(w: &mut Writing<'_>, event: &Event, why: &str) -> Result<(), StoreError> {
    for row in active_registrations(w, event).await? {
        let confirmed = row.status == RegistrationStatus::Confirmed.code();
        let mut notice = Notice::new(
            Programme::Events,
            (Some(event.organisation.id), &event.organisation.name),
            format!("【中止】{}", event.title),
            format!(
                "お申し込みの「{}」（{}）は中止になりました。{}お申し込みは無効になります。ご不明な点は主催の{}にお問い合わせください。{}",
                event.title,
                event.time.label(),
                if why.is_empty() {
                    String::new()
                } else {
                    format!("\n中止の理由：{why}\n")
                },
                event.organisation.name,
                if confirmed {
                    "\n添付のカレンダー（.ics）で予定から削除できます。"
                } else {
                    ""
                }
            ),
            format!("/events/{}", event.key),
            reason(event),
        )
        .essential();
        if confirmed {
            notice = notice.with_ics(invitation(event, &row, Method::Cancel));
        }
        let to = by_address(w.txn(), &row.name, &row.email).await?;
        w.notify(&to, &notice).await?;
    }
    Ok(())
}
