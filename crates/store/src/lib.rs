//! Persistence for renkei: the schema (embedded, forward-only migrations), the
//! council's seed data, and every query and change the platform makes, on SQLite or
//! PostgreSQL through one sea-orm connection.
//!
//! Authorisation is enforced here, not in handlers: every function that changes a
//! record takes the [`Actor`](domain::Actor) and refuses what the domain's rules
//! refuse, and writes the audit log in the same transaction as the change.

pub mod accounts;
pub mod activity;
pub mod api_tokens;
pub mod applications;
pub mod audit;
pub mod backup;
pub mod catalogue;
pub mod companies;
pub mod demo;
pub mod diagnostics;
pub mod digest;
pub mod documents;
mod entity;
pub mod error;
pub mod events;
pub mod fairs;
pub mod forms;
pub mod groups;
pub mod ical;
pub mod import;
pub mod index;
pub mod invitations;
pub mod matching;
pub mod migrate;
pub mod negotiations;
pub mod network;
pub mod notices;
pub mod offices;
pub mod open_factory;
pub mod organisations;
pub mod outbox;
pub mod people;
pub mod postings;
pub mod privacy;
pub mod queues;
pub mod recovery;
pub mod registrations;
pub mod report;
pub mod seed;
pub mod seed_calls;
pub mod seed_directory;
pub mod seed_network;
pub mod seed_places;
pub mod signup;
pub mod sites;
pub mod survey_mail;
pub mod surveys;
pub mod testing;
pub mod tokens;
pub mod two_step;
pub mod unsubscribe;

/// `BYTES` random bytes as lower-case hex: the one way tokens and claims are made
/// (answer links, registrations, device cookies, outbox claims).
pub(crate) fn random_hex<const BYTES: usize>() -> String {
    use rand::Rng;
    let bytes: [u8; BYTES] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
pub mod write;

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, TransactionTrait,
};

pub use error::StoreError;

/// The platform's database: a cheap-to-clone handle on a connection pool.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
}

/// Which engine is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Store {
    /// Connects to `sqlite://PATH` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let url = normalise_url(url)?;
        let mut options = ConnectOptions::new(url.clone());
        options
            .max_connections(if url.starts_with("sqlite") { 8 } else { 16 })
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false)
            // Per-connection settings belong on every connection of the pool: commits in
            // WAL mode without an fsync each (the WAL is synced at checkpoints), and a
            // 64 MB page cache so that imports of millions of companies keep their
            // indexes in memory.
            .map_sqlx_sqlite_opts(|opts| {
                opts.synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .pragma("cache_size", "-65536")
            });
        let db = Database::connect(options).await?;
        if db.get_database_backend() == DatabaseBackend::Sqlite {
            // WAL lets readers proceed during a write; foreign keys are per connection
            // in SQLite and sqlx turns them on for every connection it opens.
            db.execute_unprepared("PRAGMA journal_mode = WAL;").await?;
            db.execute_unprepared("PRAGMA synchronous = NORMAL;")
                .await?;
        }
        Ok(Store { db })
    }

    pub fn backend(&self) -> Backend {
        match self.db.get_database_backend() {
            DatabaseBackend::Postgres => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }

    /// Begins a transaction that writes. On SQLite it takes the write lock at once, as
    /// `BEGIN IMMEDIATE` would (sea-orm only says `BEGIN`): a deferred transaction that
    /// reads first fails at its first write with "database is locked", without waiting,
    /// when another connection wrote in between; one that holds the lock from the start
    /// waits its turn (busy_timeout) instead. Found by the crash-safety test, where six
    /// concurrent clients got 500s. PostgreSQL needs nothing.
    pub(crate) async fn begin(&self) -> Result<DatabaseTransaction, StoreError> {
        let txn = self.db.begin().await?;
        if self.backend() == Backend::Sqlite {
            // A write that changes nothing: the write lock, taken before any read.
            txn.execute_unprepared("UPDATE changes SET seq = seq WHERE 0")
                .await?;
        }
        Ok(txn)
    }

    /// The sea-orm connection, for the web layer's session store.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Whether the database answers: what `/healthz` reports.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await?;
        Ok(())
    }

    /// Migrates, then fills an empty database with the council's data. Returns
    /// whether seed data was loaded.
    pub async fn prepare(&self) -> Result<bool, StoreError> {
        self.prepare_with(&[]).await
    }

    /// [`Store::prepare`] with extra migrations after the embedded ones (the
    /// rehearsal, [`migrate::REHEARSAL`]). Migrating and the "load if empty" seeds run
    /// under the migration lock, so that processes starting together on an empty
    /// PostgreSQL database neither migrate twice nor both load the council's data.
    pub async fn prepare_with(&self, extra: &[migrate::Migration]) -> Result<bool, StoreError> {
        let lock = migrate::Lock::take(self).await?;
        let prepared = self.migrate_and_seed(extra).await;
        lock.release().await;
        prepared
    }

    /// Runs `work` under the migration lock: start-up work of `serve` that must not run
    /// twice when processes start together (the first administrator, demo jobs).
    pub async fn while_starting<T, Fut>(&self, work: impl FnOnce() -> Fut) -> Result<T, StoreError>
    where
        Fut: std::future::Future<Output = Result<T, StoreError>>,
    {
        let lock = migrate::Lock::take(self).await?;
        let done = work().await;
        lock.release().await;
        done
    }

    async fn migrate_and_seed(&self, extra: &[migrate::Migration]) -> Result<bool, StoreError> {
        migrate::apply(self, extra).await?;
        let seeded = seed::load_if_empty(self).await?;
        seed::load_events_if_empty(self).await?;
        seed_directory::load_if_empty(self).await?;
        network::load_demo_if_empty(self).await?;
        fairs::load_seed_if_empty(self).await?;
        diagnostics::load_demo_if_empty(self).await?;
        offices::load_demo_if_empty(self).await?;
        surveys::load_demo_if_empty(self).await?;
        seed_calls::load_if_empty(self).await?;
        seed_places::load_if_empty(self).await?;
        documents::load_demo_if_empty(self).await?;
        groups::seed_if_empty(self).await?;
        Ok(seeded)
    }
}

/// Accepts `sqlite://PATH`, `sqlite:PATH` and `postgres://…`; SQLite files are created
/// when missing.
fn normalise_url(url: &str) -> Result<String, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(url.to_owned());
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.trim_start_matches("//");
        if path.is_empty() {
            return Err(StoreError::Config(
                "SQLite のファイル名がありません（例: sqlite://renkei.db）".into(),
            ));
        }
        if path == ":memory:" || path.contains("mode=") {
            return Ok(format!("sqlite:{path}"));
        }
        return Ok(format!("sqlite://{path}?mode=rwc"));
    }
    Err(StoreError::Config(format!(
        "データベースURLは sqlite://PATH または postgres://… の形式です（「{url}」）"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_are_normalised_or_refused() {
        assert_eq!(
            normalise_url("sqlite://renkei.db").unwrap(),
            "sqlite://renkei.db?mode=rwc"
        );
        assert_eq!(
            normalise_url("sqlite:/tmp/x.db").unwrap(),
            "sqlite:///tmp/x.db?mode=rwc"
        );
        assert_eq!(
            normalise_url("postgres://u@h/db").unwrap(),
            "postgres://u@h/db"
        );
        assert!(normalise_url("mysql://x").is_err());
        assert!(normalise_url("sqlite://").is_err());
    }
}
