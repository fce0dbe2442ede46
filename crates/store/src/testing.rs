//! Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL
//! database on the server named by `RENKEI_TEST_POSTGRES` (CI sets it). Each test
//! gets its own, so tests run in parallel and never share state.

use sea_orm::{ConnectionTrait, Database};

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
