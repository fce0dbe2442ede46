//! How much work is waiting, for `/metrics` at scrape time: the mail outbox by status
//! and the age of its oldest queued message, and the diagnostic follow-ups whose date
//! has come but whose company has not been told yet. Each is one counting query, so a
//! scrape every few seconds costs the database little.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entity::{diagnosis_followup, mail_message};
use crate::outbox::MailStatus;
use crate::{Store, StoreError};

/// The depths of the platform's queues at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueDepths {
    /// Messages in the outbox by status, every status listed (zero when none).
    pub mail: Vec<(MailStatus, u64)>,
    /// Queued messages whose next attempt is due now (not waiting for a retry).
    pub mail_due: u64,
    /// Seconds since the oldest still-queued message was queued; 0 when none is.
    pub oldest_queued_seconds: f64,
    /// Follow-ups due on or before today whose company has not been told yet.
    pub followups_due: u64,
}

/// Reads the queues' depths as of `now` (`today` is the Japan date of `now`).
pub async fn depths(
    store: &Store,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<QueueDepths, StoreError> {
    let counted: Vec<(String, i64)> = mail_message::Entity::find()
        .select_only()
        .column(mail_message::Column::Status)
        .column_as(Expr::col(mail_message::Column::Id).count(), "n")
        .group_by(mail_message::Column::Status)
        .into_tuple()
        .all(&store.db)
        .await?;
    let mail = MailStatus::ALL
        .into_iter()
        .map(|status| {
            let n = counted
                .iter()
                .find(|(code, _)| code == status.code())
                .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0));
            (status, n)
        })
        .collect();
    let queued = || {
        mail_message::Entity::find()
            .filter(mail_message::Column::Status.eq(MailStatus::Queued.code()))
    };
    let mail_due = queued()
        .filter(mail_message::Column::NextAttemptAt.lte(now.timestamp_millis()))
        .count(&store.db)
        .await?;
    let oldest: Option<DateTime<Utc>> = queued()
        .select_only()
        .column(mail_message::Column::CreatedAt)
        .order_by_asc(mail_message::Column::Id)
        .into_tuple()
        .one(&store.db)
        .await?;
    let oldest_queued_seconds = oldest.map_or(0.0, |at| {
        ((now - at).num_milliseconds().max(0) as f64) / 1000.0
    });
    let followups_due = diagnosis_followup::Entity::find()
        .filter(diagnosis_followup::Column::DueNoticedAt.is_null())
        .filter(diagnosis_followup::Column::NextOn.is_not_null())
        .filter(diagnosis_followup::Column::NextOn.lte(today.to_string()))
        .count(&store.db)
        .await?;
    Ok(QueueDepths {
        mail,
        mail_due,
        oldest_queued_seconds,
        followups_due,
    })
}
