//! The mail outbox: messages written in the same transaction as the change that
//! causes them ([`crate::write::Writing::send`]), and what a sender needs to deliver
//! them exactly once per success — claims with a lease, retries with backoff for 24
//! hours, permanent failures with the server's reason — and what the secretariat
//! and each organisation's staff see of them at `/admin/outbox`.
//!
//! Claims are safe with several `renkei serve` processes on one database: on
//! PostgreSQL a claim selects due rows `FOR UPDATE SKIP LOCKED` and marks them
//! `sending` with a secret and a lease in one transaction, so two senders never hold
//! the same row; SQLite has one writer at a time. A sender killed mid-send leaves its
//! rows `sending`; when the lease lapses they are due again.

use chrono::{DateTime, Duration, Utc};
use domain::Actor;
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

use crate::entity::mail_message;
use crate::write::{Action, Audited, Entity};
use crate::{Backend, Store, StoreError};

/// Stands in a body for the platform's public address (`--public-url`), which the
/// sender knows and the use case does not; links in mail are absolute.
pub const PUBLIC_URL: &str = "{{PUBLIC_URL}}";

/// Stands for the platform's sender address (`--mail-from`), e.g. as the ORGANIZER
/// of an invitation.
pub const MAIL_FROM: &str = "{{MAIL_FROM}}";

/// Stands in a bulk message's body for its one-click unsubscribe page, whose token
/// the outbox makes when it queues the message; the sender fills it in, as it puts
/// the same address in the `List-Unsubscribe` header.
pub const UNSUBSCRIBE_URL: &str = "{{UNSUBSCRIBE_URL}}";

/// How long a message is retried after it was queued before it is given up.
pub const RETRY_FOR: Duration = Duration::hours(24);

/// Whether a message is part of a transaction the person started (a registration)
/// or sent to many (an invitation, a digest: these will carry List-Unsubscribe).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Transactional,
    Bulk,
}

impl MailKind {
    pub fn code(self) -> &'static str {
        match self {
            MailKind::Transactional => "transactional",
            MailKind::Bulk => "bulk",
        }
    }
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailStatus {
    Queued,
    Sending,
    Sent,
    Failed,
    /// Not sent: the recipient unsubscribed from its list before it went out.
    Cancelled,
}

impl MailStatus {
    pub const ALL: [MailStatus; 5] = [
        MailStatus::Queued,
        MailStatus::Sending,
        MailStatus::Sent,
        MailStatus::Failed,
        MailStatus::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MailStatus::Queued => "queued",
            MailStatus::Sending => "sending",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
            MailStatus::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MailStatus::Queued => "送信待ち",
            MailStatus::Sending => "送信中",
            MailStatus::Sent => "送信済み",
            MailStatus::Failed => "送信失敗",
            MailStatus::Cancelled => "配信停止で取消",
        }
    }

    pub fn parse(code: &str) -> Option<MailStatus> {
        MailStatus::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A message a use case sends, before it is in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub organisation_id: Option<i64>,
    /// The display name of the sender: the organisation whose programme it is.
    pub sender_name: String,
    pub recipient_email: String,
    pub recipient_name: String,
    pub subject: String,
    /// The text, without the footer: [`Outgoing::new`] adds it from `reason`.
    pub body_text: String,
    pub body_html: Option<String>,
    /// An iCalendar text (with its METHOD) to attach.
    pub ics: Option<String>,
    pub kind: MailKind,
    /// A bulk message's list (`survey.<organisation key>`, `digest`): the outbox
    /// gives it an unsubscribe token and never queues it to an address that
    /// unsubscribed from that list.
    pub list: Option<String>,
}

/// Header fields are one line: a CR or LF in a name or subject would let the text
/// that follows become a header of its own (header injection). Line breaks and other
/// control characters become spaces.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

impl Outgoing {
    /// A transactional message, with the footer that says why the person receives it.
    /// Names and the subject are made one line (see [`one_line`]).
    pub fn new(
        organisation_id: Option<i64>,
        sender_name: &str,
        recipient_name: &str,
        recipient_email: &str,
        subject: &str,
        body: &str,
        reason: &str,
    ) -> Outgoing {
        Outgoing {
            organisation_id,
            sender_name: one_line(sender_name),
            recipient_email: one_line(recipient_email),
            recipient_name: one_line(recipient_name),
            subject: one_line(subject),
            body_text: format!(
                "{body}\n\n-- \n{reason}\n送信元：{}（中小企業都市連絡協議会 連携プラットフォーム）\n",
                one_line(sender_name)
            ),
            body_html: None,
            ics: None,
            kind: MailKind::Transactional,
            list: None,
        }
    }

    /// A message to many (an invitation, a reminder, a digest) on `list`: its footer
    /// says why the person receives it and how to stop it at once (the link the
    /// `List-Unsubscribe` header carries too).
    #[allow(clippy::too_many_arguments)]
    pub fn bulk(
        organisation_id: Option<i64>,
        sender_name: &str,
        recipient_name: &str,
        recipient_email: &str,
        subject: &str,
        body: &str,
        reason: &str,
        list: &str,
    ) -> Outgoing {
        let reason = format!(
            "{reason}\n今後このようなメールが不要な場合は、次のページから配信を停止できます（ログイン不要）。\n{UNSUBSCRIBE_URL}"
        );
        Outgoing {
            kind: MailKind::Bulk,
            list: Some(list.to_owned()),
            ..Outgoing::new(
                organisation_id,
                sender_name,
                recipient_name,
                recipient_email,
                subject,
                body,
                &reason,
            )
        }
    }

    pub fn with_ics(mut self, ics: String) -> Outgoing {
        self.ics = Some(ics);
        self
    }
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// Messages per INSERT statement (20 columns each: far below every backend's limit).
const ENQUEUE_BATCH: usize = 100;

/// Inserts messages into the outbox, due at once, in batches; a bulk message to an
/// address that unsubscribed from its list is dropped. Called by [`Store::write`]
/// inside the use case's transaction. Returns how many were queued.
pub(crate) async fn enqueue_all(
    db: &impl ConnectionTrait,
    messages: Vec<Outgoing>,
) -> Result<u64, StoreError> {
    let suppressed = crate::unsubscribe::suppressed_among(
        db,
        messages
            .iter()
            .filter_map(|m| Some((m.list.as_deref()?, m.recipient_email.as_str()))),
    )
    .await?;
    let now = Utc::now();
    let rows: Vec<mail_message::ActiveModel> = messages
        .into_iter()
        .filter(|m| match &m.list {
            Some(list) => !suppressed.contains(&(
                list.clone(),
                crate::unsubscribe::normalise(&m.recipient_email),
            )),
            None => true,
        })
        .map(|m| row(m, now))
        .collect();
    let queued = rows.len() as u64;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<_> = rows.by_ref().take(ENQUEUE_BATCH).collect();
        mail_message::Entity::insert_many(batch).exec(db).await?;
    }
    Ok(queued)
}

fn row(message: Outgoing, now: DateTime<Utc>) -> mail_message::ActiveModel {
    mail_message::ActiveModel {
        message_id: Set(format!(
            "<{}.{}@renkei>",
            now.timestamp(),
            crate::random_hex::<16>()
        )),
        organisation_id: Set(message.organisation_id),
        sender_name: Set(message.sender_name),
        recipient_email: Set(message.recipient_email),
        recipient_name: Set(message.recipient_name),
        subject: Set(message.subject),
        body_text: Set(message.body_text),
        body_html: Set(message.body_html),
        ics: Set(message.ics),
        kind: Set(message.kind.code().to_owned()),
        status: Set(MailStatus::Queued.code().to_owned()),
        tries: Set(0),
        next_attempt_at: Set(millis(now)),
        claim: Set(None),
        lease_until: Set(None),
        last_error: Set(String::new()),
        created_at: Set(now),
        sent_at: Set(None),
        unsubscribe_token: Set(message.list.is_some().then(crate::random_hex::<20>)),
        list_name: Set(message.list),
        ..Default::default()
    }
}

/// A message a sender holds: deliver it, then report with the claim.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub claim: String,
    pub message_id: String,
    pub sender_name: String,
    pub recipient_email: String,
    pub recipient_name: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub ics: Option<String>,
    pub kind: String,
    /// This delivery's number, 1 for the first.
    pub tries: i32,
    pub created_at: DateTime<Utc>,
    /// A bulk message's list and its one-click unsubscribe token.
    pub list_name: Option<String>,
    pub unsubscribe_token: Option<String>,
}

/// Claims up to `limit` due messages (queued and due, or `sending` with a lapsed
/// lease) for `lease`; each claim counts as a try.
pub async fn claim(
    store: &Store,
    limit: u64,
    lease: std::time::Duration,
) -> Result<Vec<Claimed>, StoreError> {
    let now = Utc::now();
    let lease_until = millis(now) + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
    let due = sea_orm::Condition::any()
        .add(
            sea_orm::Condition::all()
                .add(mail_message::Column::Status.eq(MailStatus::Queued.code()))
                .add(mail_message::Column::NextAttemptAt.lte(millis(now))),
        )
        .add(
            sea_orm::Condition::all()
                .add(mail_message::Column::Status.eq(MailStatus::Sending.code()))
                .add(mail_message::Column::LeaseUntil.lte(millis(now))),
        );
    // SQLite: `begin` takes the write lock first, so no other claim reads in between.
    let txn = match store.backend() {
        Backend::Sqlite => store.begin().await?,
        Backend::Postgres => store.db.begin().await?,
    };
    let mut query = mail_message::Entity::find()
        .filter(due)
        .order_by_asc(mail_message::Column::NextAttemptAt)
        .order_by_asc(mail_message::Column::Id)
        .limit(limit);
    if store.backend() == Backend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let rows = query.all(&txn).await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let secret = crate::random_hex::<16>();
        let tries = row.tries + 1;
        mail_message::ActiveModel {
            id: Set(row.id),
            status: Set(MailStatus::Sending.code().to_owned()),
            claim: Set(Some(secret.clone())),
            lease_until: Set(Some(lease_until)),
            tries: Set(tries),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        claimed.push(Claimed {
            id: row.id,
            claim: secret,
            message_id: row.message_id,
            sender_name: row.sender_name,
            recipient_email: row.recipient_email,
            recipient_name: row.recipient_name,
            subject: row.subject,
            body_text: row.body_text,
            body_html: row.body_html,
            ics: row.ics,
            kind: row.kind,
            tries,
            created_at: row.created_at,
            list_name: row.list_name,
            unsubscribe_token: row.unsubscribe_token,
        });
    }
    txn.commit().await?;
    Ok(claimed)
}

/// Gives back claimed messages not tried (the claim was about to lapse): due again
/// at once for any sender, the try not counted. A message whose claim has meanwhile
/// lapsed and been taken by another sender is left to it.
pub async fn release(store: &Store, claimed: &[Claimed]) -> Result<(), StoreError> {
    for message in claimed {
        mail_message::Entity::update_many()
            .col_expr(
                mail_message::Column::Status,
                Expr::value(MailStatus::Queued.code()),
            )
            .col_expr(mail_message::Column::Claim, Expr::value(None::<String>))
            .col_expr(mail_message::Column::LeaseUntil, Expr::value(None::<i64>))
            .col_expr(
                mail_message::Column::Tries,
                Expr::value(message.tries.saturating_sub(1).max(0)),
            )
            .filter(mail_message::Column::Id.eq(message.id))
            .filter(mail_message::Column::Claim.eq(message.claim.as_str()))
            .exec(&store.db)
            .await?;
    }
    Ok(())
}

/// What happened to one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// A 4xx answer or no connection: tried again later, until 24 hours have passed.
    Temporary(String),
    /// A 5xx answer (or a message that cannot be sent at all): failed, with the reason.
    Permanent(String),
}

/// The pause before try `tries + 1`: `base` doubled per try, at most an hour.
pub fn backoff(tries: i32, base: std::time::Duration) -> std::time::Duration {
    let doublings = u32::try_from(tries.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    base.saturating_mul(2u32.saturating_pow(doublings))
        .min(std::time::Duration::from_secs(3600))
}

/// Records how a claimed delivery went. A report for a claim that has lapsed and been
/// taken by another sender changes nothing (that sender reports instead).
pub async fn report(
    store: &Store,
    claimed: &Claimed,
    delivery: Delivery,
    retry_base: std::time::Duration,
) -> Result<MailStatus, StoreError> {
    let now = Utc::now();
    let mut change = mail_message::ActiveModel {
        claim: Set(None),
        lease_until: Set(None),
        ..Default::default()
    };
    let status = match delivery {
        Delivery::Sent => {
            change.sent_at = Set(Some(now));
            change.last_error = Set(String::new());
            MailStatus::Sent
        }
        Delivery::Permanent(reason) => {
            change.last_error = Set(reason);
            MailStatus::Failed
        }
        Delivery::Temporary(reason) => {
            let next = now
                + Duration::from_std(backoff(claimed.tries, retry_base))
                    .unwrap_or(Duration::hours(1));
            if next - claimed.created_at > RETRY_FOR {
                change.last_error = Set(format!("24時間再送しても届きませんでした：{reason}"));
                MailStatus::Failed
            } else {
                change.last_error = Set(reason);
                change.next_attempt_at = Set(millis(next));
                MailStatus::Queued
            }
        }
    };
    change.status = Set(status.code().to_owned());
    mail_message::Entity::update_many()
        .set(change)
        .filter(mail_message::Column::Id.eq(claimed.id))
        .filter(mail_message::Column::Claim.eq(claimed.claim.as_str()))
        .exec(&store.db)
        .await?;
    Ok(status)
}

/// A message as staff read it at `/admin/outbox`.
#[derive(Debug, Clone, PartialEq)]
pub struct MailMessage {
    pub id: i64,
    pub message_id: String,
    pub organisation_id: Option<i64>,
    pub sender_name: String,
    pub recipient_email: String,
    pub recipient_name: String,
    pub subject: String,
    pub body_text: String,
    pub has_ics: bool,
    pub kind: String,
    pub status: MailStatus,
    pub tries: i32,
    pub last_error: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// A bulk message's list and its one-click unsubscribe token.
    pub list_name: Option<String>,
    pub unsubscribe_token: Option<String>,
}

fn to_message(row: mail_message::Model) -> MailMessage {
    MailMessage {
        id: row.id,
        status: MailStatus::parse(&row.status).unwrap_or(MailStatus::Queued),
        message_id: row.message_id,
        organisation_id: row.organisation_id,
        sender_name: row.sender_name,
        recipient_email: row.recipient_email,
        recipient_name: row.recipient_name,
        subject: row.subject,
        body_text: row.body_text,
        has_ics: row.ics.is_some(),
        kind: row.kind,
        tries: row.tries,
        last_error: row.last_error,
        created_at: row.created_at,
        sent_at: row.sent_at,
        list_name: row.list_name,
        unsubscribe_token: row.unsubscribe_token,
    }
}

/// Who may read the outbox: the secretariat all of it, staff their organisation's
/// messages; nobody else.
fn scope(actor: &Actor) -> Result<Option<i64>, StoreError> {
    if actor.is_secretariat() {
        return Ok(None);
    }
    match (actor.role, actor.organisation_id) {
        (domain::Role::Staff, Some(organisation)) => Ok(Some(organisation)),
        _ => Err(StoreError::forbidden(
            "送信メールの一覧は協議会事務局と各団体の職員のみ閲覧できます。",
        )),
    }
}

/// Which messages to list.
#[derive(Debug, Clone, Default)]
pub struct OutboxFilter {
    pub status: Option<MailStatus>,
    pub page: u64,
}

pub const OUTBOX_PAGE_SIZE: u64 = 100;

/// The newest messages first, those the actor may see; with the total.
pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &OutboxFilter,
) -> Result<(Vec<MailMessage>, u64), StoreError> {
    let mut query = mail_message::Entity::find();
    if let Some(organisation) = scope(actor)? {
        query = query.filter(mail_message::Column::OrganisationId.eq(organisation));
    }
    if let Some(status) = filter.status {
        query = query.filter(mail_message::Column::Status.eq(status.code()));
    }
    let total = query.clone().count(&store.db).await?;
    let rows = query
        .order_by_desc(mail_message::Column::Id)
        .offset(filter.page * OUTBOX_PAGE_SIZE)
        .limit(OUTBOX_PAGE_SIZE)
        .all(&store.db)
        .await?;
    Ok((rows.into_iter().map(to_message).collect(), total))
}

/// Queues a message again at once (a failed one, or a sent one the person did not
/// get): the same Message-ID, its tries kept. Audited.
pub async fn resend(store: &Store, actor: &Actor, id: i64) -> Result<MailMessage, StoreError> {
    let organisation = scope(actor)?;
    store
        .write(Some(actor), async |w| {
            let row = mail_message::Entity::find_by_id(id)
                .one(w.txn())
                .await?
                .filter(|row| organisation.is_none() || row.organisation_id == organisation)
                .ok_or_else(|| StoreError::not_found("送信メール"))?;
            if row.status == MailStatus::Queued.code() || row.status == MailStatus::Sending.code() {
                return Err(StoreError::Conflict(
                    "このメールは送信待ちまたは送信中です。".into(),
                ));
            }
            if let Some(list) = &row.list_name
                && crate::unsubscribe::is_suppressed(w.txn(), list, &row.recipient_email).await?
            {
                return Err(StoreError::Conflict(
                    "宛先がこの配信を停止しているため、再送できません。".into(),
                ));
            }
            let updated = mail_message::ActiveModel {
                id: Set(row.id),
                status: Set(MailStatus::Queued.code().to_owned()),
                next_attempt_at: Set(millis(Utc::now())),
                last_error: Set(String::new()),
                claim: Set(None),
                lease_until: Set(None),
                ..Default::default()
            }
            .update(w.txn())
            .await?;
            w.audit(Audited::new(
                Action::Resend,
                Entity::MailMessage,
                row.id.to_string(),
                row.organisation_id,
                format!("メール「{}」を再送", row.subject),
            ));
            Ok(to_message(updated))
        })
        .await
}

/// Counts by status, for tests and the page's summary line.
pub async fn count(store: &Store, status: MailStatus) -> Result<u64, StoreError> {
    Ok(mail_message::Entity::find()
        .filter(mail_message::Column::Status.eq(status.code()))
        .count(&store.db)
        .await?)
}

/// Every message's row as the sender sees it, oldest first (for tests).
pub async fn all(store: &Store) -> Result<Vec<MailMessage>, StoreError> {
    Ok(mail_message::Entity::find()
        .order_by_asc(mail_message::Column::Id)
        .all(&store.db)
        .await?
        .into_iter()
        .map(to_message)
        .collect())
}

/// Makes every queued message due now (tests, and an operator after a relay outage).
pub async fn due_now(store: &Store) -> Result<(), StoreError> {
    mail_message::Entity::update_many()
        .col_expr(
            mail_message::Column::NextAttemptAt,
            Expr::value(millis(Utc::now())),
        )
        .filter(mail_message::Column::Status.eq(MailStatus::Queued.code()))
        .exec(&store.db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_in_names_and_subjects_cannot_start_a_header() {
        let message = Outgoing::new(
            Some(1),
            "大田区\r\nBcc: everyone@example.com",
            "山田\n太郎",
            "a@example.jp\r\n",
            "ご案内\r\nX-Injected: yes",
            "本文",
            "理由",
        );
        for field in [
            &message.sender_name,
            &message.recipient_name,
            &message.recipient_email,
            &message.subject,
        ] {
            assert!(!field.contains('\r') && !field.contains('\n'), "{field:?}");
        }
        assert_eq!(message.subject, "ご案内  X-Injected: yes");
        assert!(message.body_text.ends_with("連携プラットフォーム）\n"));
    }

    #[test]
    fn backoff_doubles_from_the_base_and_stops_at_an_hour() {
        let base = std::time::Duration::from_secs(60);
        assert_eq!(backoff(1, base).as_secs(), 60);
        assert_eq!(backoff(2, base).as_secs(), 120);
        assert_eq!(backoff(4, base).as_secs(), 480);
        assert_eq!(backoff(30, base).as_secs(), 3600);
    }
}
