//! Forward-only migrations embedded in the binary. Each runs once, in a transaction,
//! and is recorded in `schema_migrations`; an applied migration is never edited.
//!
//! Several processes may start together on one database (a cluster behind a load
//! balancer, a rolling restart): the check-and-apply runs under a lock — on PostgreSQL
//! an advisory lock held by one transaction, on SQLite the write lock of each
//! migration's transaction with the check repeated inside it — so each migration is
//! applied by exactly one of them. A binary that does not know a migration the
//! database already has refuses to run rather than work on a schema it does not know.

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, Statement,
    TransactionTrait,
};

use crate::{Store, StoreError};

/// A migration: (version, name, SQL with backend placeholders).
pub type Migration = (i64, &'static str, &'static str);

/// The key of the PostgreSQL advisory lock that serialises migrating and seeding
/// (any constant the platform uses for nothing else: "renkei" in ASCII).
const LOCK_KEY: i64 = 0x72_65_6e_6b_65_69;

/// A rehearsal of "a new binary with a new migration" for the cluster's rolling-restart
/// test and for operators who want to try a roll before a real one: a harmless table
/// that nothing reads, applied only when the binary is asked to
/// (`RENKEI_REHEARSAL_MIGRATION=1`, see the CLI). It is not part of the schema.
pub const REHEARSAL: Migration = (
    9000,
    "rehearsal_marker",
    "CREATE TABLE rehearsal_marker (id {id}, note TEXT NOT NULL)",
);

/// Every migration, in order.
const MIGRATIONS: &[Migration] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/0001_foundation.sql"),
    ),
    (2, "events", include_str!("../migrations/0002_events.sql")),
    (
        3,
        "registrations",
        include_str!("../migrations/0003_registrations.sql"),
    ),
    (
        4,
        "directory",
        include_str!("../migrations/0004_directory.sql"),
    ),
    (5, "fairs", include_str!("../migrations/0005_fairs.sql")),
    (6, "network", include_str!("../migrations/0006_network.sql")),
    (7, "forms", include_str!("../migrations/0007_forms.sql")),
    (
        8,
        "network_cancel",
        include_str!("../migrations/0008_network_cancel.sql"),
    ),
    (
        9,
        "form_periods",
        include_str!("../migrations/0009_form_periods.sql"),
    ),
    (
        10,
        "surveys",
        include_str!("../migrations/0010_surveys.sql"),
    ),
    (
        11,
        "applications",
        include_str!("../migrations/0011_applications.sql"),
    ),
    (
        12,
        "diagnostics_offices",
        include_str!("../migrations/0012_diagnostics_offices.sql"),
    ),
    (13, "signin", include_str!("../migrations/0013_signin.sql")),
    (14, "outbox", include_str!("../migrations/0014_outbox.sql")),
    (
        15,
        "account_tokens",
        include_str!("../migrations/0015_account_tokens.sql"),
    ),
    (16, "signup", include_str!("../migrations/0016_signup.sql")),
    (
        17,
        "bulk_mail",
        include_str!("../migrations/0017_bulk_mail.sql"),
    ),
    (
        18,
        "notices",
        include_str!("../migrations/0018_notices.sql"),
    ),
    (
        19,
        "two_step",
        include_str!("../migrations/0019_two_step.sql"),
    ),
    (
        20,
        "api_tokens",
        include_str!("../migrations/0020_api_tokens.sql"),
    ),
    (
        21,
        "demo_people",
        include_str!("../migrations/0021_demo_people.sql"),
    ),
    (
        22,
        "audit_client",
        include_str!("../migrations/0022_audit_client.sql"),
    ),
    (
        23,
        "event_results",
        include_str!("../migrations/0023_event_results.sql"),
    ),
    (24, "places", include_str!("../migrations/0024_places.sql")),
    (
        25,
        "documents",
        include_str!("../migrations/0025_documents.sql"),
    ),
    (
        26,
        "open_factory",
        include_str!("../migrations/0026_open_factory.sql"),
    ),
    (27, "groups", include_str!("../migrations/0027_groups.sql")),
];

/// Fills the type placeholders for the backend.
fn render(sql: &str, backend: DatabaseBackend) -> String {
    let (id, ts, real, blob) = match backend {
        DatabaseBackend::Postgres => (
            "BIGSERIAL PRIMARY KEY",
            "TIMESTAMPTZ",
            "DOUBLE PRECISION",
            "BYTEA",
        ),
        _ => ("INTEGER PRIMARY KEY AUTOINCREMENT", "TEXT", "REAL", "BLOB"),
    };
    sql.replace("{id}", id)
        .replace("{ts}", ts)
        .replace("{real}", real)
        .replace("{blob}", blob)
}

/// Splits a migration into statements; comments are dropped first so that a `;`
/// inside one cannot split a statement.
fn statements(sql: &str) -> Vec<String> {
    let without_comments: String = sql
        .lines()
        .map(|line| line.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The newest migration this binary knows (without a rehearsal).
pub fn newest_known() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Applies every pending migration under the migration lock; returns the versions
/// applied now.
pub async fn run(store: &Store) -> Result<Vec<i64>, StoreError> {
    run_with(store, &[]).await
}

/// [`run`] with `extra` migrations after the embedded ones (the [`REHEARSAL`]).
pub async fn run_with(store: &Store, extra: &[Migration]) -> Result<Vec<i64>, StoreError> {
    let lock = Lock::take(store).await?;
    let applied = apply(store, extra).await;
    lock.release().await;
    applied
}

/// The migration lock: on PostgreSQL an advisory lock taken by a transaction of its
/// own and held until that transaction ends (so a process killed while holding it
/// frees it with its connection); on SQLite nothing, since every migration takes the
/// write lock itself.
pub(crate) struct Lock(Option<DatabaseTransaction>);

impl Lock {
    pub(crate) async fn take(store: &Store) -> Result<Lock, StoreError> {
        if store.db.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(Lock(None));
        }
        let txn = store.db.begin().await?;
        let started = std::time::Instant::now();
        txn.execute(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [LOCK_KEY.into()],
        ))
        .await?;
        tracing::info!(
            waited_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            pid = std::process::id(),
            "migration lock taken"
        );
        Ok(Lock(Some(txn)))
    }

    pub(crate) async fn release(self) {
        if let Some(txn) = self.0 {
            // Ending the transaction frees the lock; a failure here closes the
            // connection, which frees it too.
            if let Err(error) = txn.rollback().await {
                tracing::warn!(%error, "migration lock: releasing failed");
            }
        }
    }
}

/// The versions recorded in `schema_migrations`.
async fn applied_versions<C: ConnectionTrait>(db: &C) -> Result<Vec<i64>, StoreError> {
    Ok(db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM schema_migrations",
        ))
        .await?
        .iter()
        .filter_map(|row| row.try_get::<i64>("", "version").ok())
        .collect())
}

/// Refuses a database that has migrations this binary does not know: it was migrated
/// by a newer version, and running on its schema could write what the newer version
/// does not expect.
fn refuse_unknown(applied: &[i64], known: &[i64]) -> Result<(), StoreError> {
    let mut unknown: Vec<i64> = applied
        .iter()
        .copied()
        .filter(|v| !known.contains(v))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort_unstable();
    let list = unknown
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let newest = known.iter().max().copied().unwrap_or(0);
    Err(StoreError::Config(format!(
        "このデータベースには、このプログラムが知らないマイグレーション（{list}）が適用済みです。\
         より新しい版の renkei で更新されたデータベースです。新しい版で起動してください\
         （このプログラムが知る最新のマイグレーション: {newest}）。 \
         The database has migration(s) {list} that this binary does not know (newest known: \
         {newest}); it was migrated by a newer renkei. Refusing to run: start the newer binary."
    )))
}

/// The check-and-apply, under the caller's [`Lock`].
pub(crate) async fn apply(store: &Store, extra: &[Migration]) -> Result<Vec<i64>, StoreError> {
    let db: &DatabaseConnection = &store.db;
    let backend = db.get_database_backend();
    db.execute_unprepared(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .await?;
    let all: Vec<&Migration> = MIGRATIONS.iter().chain(extra).collect();
    let known: Vec<i64> = all.iter().map(|m| m.0).collect();
    refuse_unknown(&applied_versions(db).await?, &known)?;
    let mut now_applied = Vec::new();
    for (version, name, sql) in all {
        let txn = db.begin().await?;
        if backend == DatabaseBackend::Sqlite {
            // The write lock before the check (see `Store::begin`): a second process
            // waits here, then finds the migration applied.
            txn.execute_unprepared("UPDATE schema_migrations SET version = version WHERE 0")
                .await?;
        }
        if applied_versions(&txn).await?.contains(version) {
            txn.rollback().await?;
            continue;
        }
        for statement in statements(&render(sql, backend)) {
            txn.execute_unprepared(&statement).await?;
        }
        txn.execute(Statement::from_sql_and_values(
            backend,
            match backend {
                DatabaseBackend::Postgres => {
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)"
                }
                _ => "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            },
            [
                (*version).into(),
                (*name).into(),
                chrono::Utc::now().to_rfc3339().into(),
            ],
        ))
        .await?;
        txn.commit().await?;
        tracing::info!(version, name, "migration applied");
        now_applied.push(*version);
    }
    Ok(now_applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_each_backends_types() {
        let sqlite = render("id {id}, at {ts}, v {real}", DatabaseBackend::Sqlite);
        assert_eq!(
            sqlite,
            "id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT, v REAL"
        );
        let postgres = render("id {id}, at {ts}, v {real}", DatabaseBackend::Postgres);
        assert_eq!(
            postgres,
            "id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ, v DOUBLE PRECISION"
        );
    }

    #[test]
    fn statements_split_on_semicolons_outside_comments() {
        let parts = statements(
            "-- a; comment\nCREATE TABLE a (x INT);\n\nCREATE INDEX i ON a (x); -- done;\n",
        );
        assert_eq!(parts, ["CREATE TABLE a (x INT)", "CREATE INDEX i ON a (x)"]);
    }
}
