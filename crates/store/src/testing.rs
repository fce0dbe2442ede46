//! Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL
//! database on the server named by `RENKEI_TEST_POSTGRES` (CI sets it). Each test
//! gets its own, so tests run in parallel and never share state.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend};

use crate::{Backend, Store, StoreError};

/// The environment variable with an admin URL of a PostgreSQL server for tests,
/// e.g. `postgres://postgres@127.0.0.1:5432/test`.
pub const POSTGRES_ENV: &str = "RENKEI_TEST_POSTGRES";

/// The backends to run store and integration tests on: SQLite always, PostgreSQL
/// when `RENKEI_TEST_POSTGRES` is set. Says once on stderr when PostgreSQL is skipped.
pub fn backends() -> Vec<Backend> {
    if std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty()) {
        vec![Backend::Sqlite, Backend::Postgres]
    } else {
        eprintln!(
            "PostgreSQL tests skipped: set {POSTGRES_ENV}=postgres://postgres@127.0.0.1:5432/test to run them"
        );
        vec![Backend::Sqlite]
    }
}

/// A database that exists only for one test; the SQLite file lives in a temporary
/// directory removed on drop.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<TempDir>,
}

/// A temporary directory removed on drop (enough for tests; no extra crate).
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unique_name() -> String {
    format!(
        "renkei_test_{}_{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// Drops the test databases of test processes that have ended (the name carries the
/// process id): a test process cannot drop its databases when it ends, and without
/// this every run of the suite would leave about a gigabyte behind per hundred tests.
/// Best effort: a database still in use, or one another sweeper took, is left alone.
async fn drop_abandoned(admin: &DatabaseConnection) {
    let Ok(rows) = admin
        .query_all(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT datname FROM pg_database WHERE datname LIKE 'renkei\\_test\\_%'",
        ))
        .await
    else {
        return;
    };
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        let owner_alive = name
            .split('_')
            .nth(2)
            .and_then(|pid| pid.parse::<u32>().ok())
            .is_none_or(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !owner_alive {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
                .await;
        }
    }
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> Result<TestDatabase, StoreError> {
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(unique_name());
                std::fs::create_dir_all(&dir).map_err(|e| StoreError::Config(e.to_string()))?;
                Ok(TestDatabase {
                    url: format!("sqlite://{}", dir.join("renkei.db").display()),
                    _dir: Some(TempDir(dir)),
                })
            }
            Backend::Postgres => {
                let admin_url = std::env::var(POSTGRES_ENV)
                    .map_err(|_| StoreError::Config(format!("{POSTGRES_ENV} is not set")))?;
                let admin = Database::connect(&admin_url).await?;
                drop_abandoned(&admin).await;
                let name = unique_name();
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                admin.close().await?;
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .unwrap_or(&admin_url);
                Ok(TestDatabase {
                    url: format!("{base}/{name}"),
                    _dir: None,
                })
            }
        }
    }

    /// Connected, migrated and seeded.
    pub async fn store(&self) -> Result<Store, StoreError> {
        let store = Store::connect(&self.url).await?;
        store.prepare().await?;
        Ok(store)
    }
}
