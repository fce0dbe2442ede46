//! The audit log: who changed what, when, with the record before and after. Written
//! in the same transaction as the change it describes, so that neither exists alone;
//! each entry also appends to `changes`, the sequence that feeds and indexes follow.

use chrono::{DateTime, Utc};
use domain::Actor;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::entity::{audit_entry, change};
use crate::{Store, StoreError};

tokio::task_local! {
    /// The client address of the web request being served, set once per request by
    /// the web layer that decides it (`web::client::identify_client`) and read where
    /// an audit row is inserted, so that no store function needs it as a parameter.
    static CLIENT_ADDRESS: Option<String>;
}

/// Runs `work` (a web request) with `address` as the client address of every audit
/// entry it writes. Work outside such a scope — the command line, the platform's
/// background tasks — records no address.
pub async fn with_client_address<F: std::future::Future>(
    address: Option<String>,
    work: F,
) -> F::Output {
    CLIENT_ADDRESS.scope(address, work).await
}

/// The client address of the request being served, if any.
pub fn client_address() -> Option<String> {
    CLIENT_ADDRESS.try_with(Clone::clone).ok().flatten()
}

/// One change to record.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// `create`, `update`, `delete`, `login`, …
    pub action: &'a str,
    /// `initiative`, `fiscal_entry`, `user`, …
    pub entity: &'a str,
    pub entity_key: String,
    pub organisation_id: Option<i64>,
    /// One line in Japanese for the log's list view.
    pub summary: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Writes one audit entry and one `changes` row. `actor` is `None` for the system
/// (seed data, the command line without a user).
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Option<&Actor>,
    change: Change<'_>,
) -> Result<(), StoreError> {
    let now = Utc::now();
    audit_entry::ActiveModel {
        at: Set(now),
        // The system actor (user 0: seed data) is no user of the table.
        user_id: Set(actor.map(|a| a.user_id).filter(|id| *id > 0)),
        user_email: Set(actor
            .map(|a| a.email.clone())
            .unwrap_or_else(|| "system".into())),
        action: Set(change.action.to_owned()),
        entity: Set(change.entity.to_owned()),
        entity_key: Set(change.entity_key.clone()),
        organisation_id: Set(change.organisation_id),
        summary: Set(change.summary),
        before_json: Set(change.before.map(|v| v.to_string())),
        after_json: Set(change.after.map(|v| v.to_string())),
        client_address: Set(client_address()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    change::ActiveModel {
        at: Set(now),
        entity: Set(change.entity.to_owned()),
        entity_key: Set(change.entity_key),
        op: Set(change.action.to_owned()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Writes one audit entry for a read of private data (individual answers, a
/// respondent's export): who read what, when. Reads change nothing, so no `changes`
/// row is written.
pub async fn record_read(
    db: &impl ConnectionTrait,
    actor: &Actor,
    entity: &str,
    entity_key: String,
    organisation_id: Option<i64>,
    summary: String,
) -> Result<(), StoreError> {
    audit_entry::ActiveModel {
        at: Set(Utc::now()),
        user_id: Set(Some(actor.user_id)),
        user_email: Set(actor.email.clone()),
        action: Set("read".to_owned()),
        entity: Set(entity.to_owned()),
        entity_key: Set(entity_key),
        organisation_id: Set(organisation_id),
        summary: Set(summary),
        before_json: Set(None),
        after_json: Set(None),
        client_address: Set(client_address()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// An audit entry as the secretariat reads it.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub user_email: String,
    pub action: String,
    pub entity: String,
    pub entity_key: String,
    pub summary: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    /// Where a change made through a web request came from; `None` otherwise.
    pub client_address: Option<String>,
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub user_email: Option<String>,
    pub page: u64,
}

pub const AUDIT_PAGE_SIZE: u64 = 100;

/// The last page that may be asked for: ten million entries back. A page number
/// from an address is clamped to it, so that the offset (`page × size`) always fits
/// the databases' signed 64-bit OFFSET.
pub const AUDIT_LAST_PAGE: u64 = 100_000;

/// The newest entries first; only the secretariat reads the log.
pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &AuditFilter,
) -> Result<(Vec<AuditEntry>, u64), StoreError> {
    if !actor.is_secretariat() {
        return Err(StoreError::forbidden(
            "監査ログは協議会事務局のみ閲覧できます。",
        ));
    }
    let mut query = audit_entry::Entity::find();
    if let Some(entity) = filter.entity.as_deref().filter(|e| !e.is_empty()) {
        query = query.filter(audit_entry::Column::Entity.eq(entity));
    }
    if let Some(email) = filter.user_email.as_deref().filter(|e| !e.is_empty()) {
        query = query.filter(audit_entry::Column::UserEmail.eq(email));
    }
    let total = query.clone().count(&store.db).await?;
    let rows = query
        .order_by_desc(audit_entry::Column::Id)
        .offset(filter.page.min(AUDIT_LAST_PAGE) * AUDIT_PAGE_SIZE)
        .limit(AUDIT_PAGE_SIZE)
        .all(&store.db)
        .await?;
    Ok((
        rows.into_iter()
            .map(|row| AuditEntry {
                id: row.id,
                at: row.at,
                user_email: row.user_email,
                action: row.action,
                entity: row.entity,
                entity_key: row.entity_key,
                summary: row.summary,
                before_json: row.before_json,
                after_json: row.after_json,
                client_address: row.client_address,
            })
            .collect(),
        total,
    ))
}

/// The newest sequence number of `changes` (0 when empty): followers compare it.
pub async fn latest_change(store: &Store) -> Result<i64, StoreError> {
    let newest = change::Entity::find()
        .order_by_desc(change::Column::Seq)
        .one(&store.db)
        .await?;
    Ok(newest.map(|c| c.seq).unwrap_or(0))
}
