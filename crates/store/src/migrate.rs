//! Forward-only migrations embedded in the binary. Each runs once, in a transaction,
//! and is recorded in `schema_migrations`; an applied migration is never edited.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionTrait};

use crate::{Store, StoreError};

/// Every migration, in order: (version, name, SQL with backend placeholders).
const MIGRATIONS: &[(i64, &str, &str)] = &[
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

/// Applies every pending migration; returns the versions applied now.
pub async fn run(store: &Store) -> Result<Vec<i64>, StoreError> {
    let db = &store.db;
    let backend = db.get_database_backend();
    db.execute_unprepared(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .await?;
    let applied: Vec<i64> = db
        .query_all(Statement::from_string(
            backend,
            "SELECT version FROM schema_migrations",
        ))
        .await?
        .iter()
        .filter_map(|row| row.try_get::<i64>("", "version").ok())
        .collect();
    let mut now_applied = Vec::new();
    for (version, name, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        let txn = db.begin().await?;
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
