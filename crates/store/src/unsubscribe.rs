//! Unsubscribing from mail sent to many (RFC 8058 one-click): every bulk message of
//! the outbox names its list and carries its own token; the link in its
//! `List-Unsubscribe` header (and in its footer) stops that list for that address
//! at once — a suppression row, the list's queued messages to the address
//! cancelled, an audit entry — all in one transaction. The outbox refuses to queue a
//! bulk message to a suppressed address ([`crate::outbox`]), so nothing of the list
//! reaches it later; subscribing again (the digest's double opt-in) lifts it.
//!
//! Lists: `survey.<organisation key>` (one organisation's survey invitations and
//! reminders) and [`DIGEST`] (the weekly digest of events).

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::sea_query::{Expr, Func, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::entity::{digest_subscription, mail_message, mail_suppression};
use crate::outbox::MailStatus;
use crate::write::{Action, Audited, Entity};
use crate::{Store, StoreError};

/// The weekly digest's list.
pub const DIGEST: &str = "digest";

/// The list of one organisation's survey mail.
pub fn survey_list(organisation_key: &str) -> String {
    format!("survey.{organisation_key}")
}

/// An address as suppressions compare it: trimmed, lower-case.
pub fn normalise(email: &str) -> String {
    email.trim().to_lowercase()
}

/// What a person reads the list as, on the unsubscribe page and in the audit log.
pub fn list_title(list: &str, sender_name: &str) -> String {
    if list == DIGEST {
        "連携プラットフォームの週刊イベント情報".to_owned()
    } else if list.starts_with("survey.") {
        format!("{sender_name}からの調査のご案内・督促")
    } else {
        format!("{sender_name}からのお知らせ")
    }
}

/// The (list, address) pairs among `wanted` that are suppressed (addresses
/// normalised), in a few queries whatever the number.
pub async fn suppressed_among<'a>(
    db: &impl ConnectionTrait,
    wanted: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<HashSet<(String, String)>, StoreError> {
    let mut by_list: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for (list, email) in wanted {
        by_list.entry(list).or_default().push(normalise(email));
    }
    let mut found = HashSet::new();
    for (list, mut emails) in by_list {
        emails.sort();
        emails.dedup();
        for chunk in emails.chunks(500) {
            let rows: Vec<String> = mail_suppression::Entity::find()
                .select_only()
                .column(mail_suppression::Column::Email)
                .filter(mail_suppression::Column::ListName.eq(list))
                .filter(mail_suppression::Column::Email.is_in(chunk.iter().cloned()))
                .into_tuple()
                .all(db)
                .await?;
            found.extend(rows.into_iter().map(|e| (list.to_owned(), e)));
        }
    }
    Ok(found)
}

/// Whether `email` unsubscribed from `list`.
pub async fn is_suppressed(
    db: &impl ConnectionTrait,
    list: &str,
    email: &str,
) -> Result<bool, StoreError> {
    Ok(!suppressed_among(db, std::iter::once((list, email)))
        .await?
        .is_empty())
}

/// Records that `email` wants nothing more of `list` and cancels what is queued
/// for it; returns how many queued messages were cancelled.
pub(crate) async fn suppress(
    db: &impl ConnectionTrait,
    list: &str,
    email: &str,
) -> Result<u64, StoreError> {
    let email = normalise(email);
    mail_suppression::Entity::insert(mail_suppression::ActiveModel {
        email: Set(email.clone()),
        list_name: Set(list.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            mail_suppression::Column::Email,
            mail_suppression::Column::ListName,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let cancelled = mail_message::Entity::update_many()
        .col_expr(
            mail_message::Column::Status,
            Expr::value(MailStatus::Cancelled.code()),
        )
        .col_expr(
            mail_message::Column::LastError,
            Expr::value("宛先が配信を停止したため送信しませんでした。"),
        )
        .filter(mail_message::Column::ListName.eq(list))
        .filter(mail_message::Column::Status.eq(MailStatus::Queued.code()))
        .filter(Expr::expr(Func::lower(Expr::col(mail_message::Column::RecipientEmail))).eq(email))
        .exec(db)
        .await?;
    Ok(cancelled.rows_affected)
}

/// Lifts a suppression (the person subscribed again and confirmed).
pub(crate) async fn lift(
    db: &impl ConnectionTrait,
    list: &str,
    email: &str,
) -> Result<(), StoreError> {
    mail_suppression::Entity::delete_many()
        .filter(mail_suppression::Column::ListName.eq(list))
        .filter(mail_suppression::Column::Email.eq(normalise(email)))
        .exec(db)
        .await?;
    Ok(())
}

/// What an unsubscribe link stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub email: String,
    pub list: String,
    /// The list as a person reads it.
    pub title: String,
    pub sender_name: String,
    /// Already stopped (the link was used before).
    pub stopped: bool,
}

async fn by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<(mail_message::Model, String), StoreError> {
    let unknown = || StoreError::not_found("配信停止のリンク");
    if token.len() != 40 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(unknown());
    }
    let row = mail_message::Entity::find()
        .filter(mail_message::Column::UnsubscribeToken.eq(token))
        .one(db)
        .await?
        .ok_or_else(unknown)?;
    let list = row.list_name.clone().ok_or_else(unknown)?;
    Ok((row, list))
}

/// What the link of a message stops, for the confirmation page (changes nothing).
pub async fn lookup(store: &Store, token: &str) -> Result<Subscription, StoreError> {
    let (row, list) = by_token(&store.db, token).await?;
    Ok(Subscription {
        stopped: is_suppressed(&store.db, &list, &row.recipient_email).await?,
        title: list_title(&list, &row.sender_name),
        email: row.recipient_email,
        sender_name: row.sender_name,
        list,
    })
}

/// One-click unsubscribe: from now on no message of the link's list is queued to its
/// address, those queued are cancelled, a digest subscription ends; audited. Using
/// the link again changes nothing and answers the same.
pub async fn unsubscribe(store: &Store, token: &str) -> Result<Subscription, StoreError> {
    store
        .write(None, async |w| {
            let (row, list) = by_token(w.txn(), token).await?;
            let title = list_title(&list, &row.sender_name);
            let already = is_suppressed(w.txn(), &list, &row.recipient_email).await?;
            if !already {
                let cancelled = suppress(w.txn(), &list, &row.recipient_email).await?;
                if list == DIGEST {
                    digest_subscription::Entity::update_many()
                        .col_expr(
                            digest_subscription::Column::Status,
                            Expr::value(crate::digest::UNSUBSCRIBED),
                        )
                        .col_expr(
                            digest_subscription::Column::UpdatedAt,
                            Expr::value(Utc::now()),
                        )
                        .filter(
                            digest_subscription::Column::Email.eq(normalise(&row.recipient_email)),
                        )
                        .exec(w.txn())
                        .await?;
                }
                w.audit(
                    Audited::new(
                        Action::Unsubscribe,
                        Entity::MailList,
                        list.clone(),
                        row.organisation_id,
                        format!(
                            "{}が「{title}」の配信を停止（送信待ち{cancelled}通を取消）",
                            row.recipient_email
                        ),
                    )
                    .after(serde_json::json!({
                        "email": normalise(&row.recipient_email),
                        "list": list,
                        "cancelled": cancelled,
                    })),
                );
            }
            Ok(Subscription {
                email: row.recipient_email,
                sender_name: row.sender_name,
                list,
                title,
                stopped: true,
            })
        })
        .await
}
