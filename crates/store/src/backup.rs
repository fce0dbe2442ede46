//! Backup and restore of the whole platform: one database holds everything (records,
//! uploaded files, sessions, the audit log), so a consistent copy of it is a backup.
//!
//! - SQLite: `VACUUM INTO` writes a transactionally consistent copy while the server
//!   keeps writing (WAL mode lets writers go on); restore checks the copy's integrity,
//!   then puts it in place of the database file (with the server stopped).
//! - PostgreSQL: `pg_dump --format=custom` (one snapshot, writers go on); restore runs
//!   `pg_restore --clean --if-exists --no-owner --single-transaction`.

use std::path::{Path, PathBuf};
use std::process::Command;

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::{Backend, Store, StoreError};

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    pub backend: Backend,
}

fn io(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Config(format!("{what}: {error}"))
}

/// Writes a consistent copy of the database at `url` (the one `store` is connected
/// to) to `path`, which must not exist yet.
pub async fn backup(store: &Store, url: &str, path: &Path) -> Result<BackupReport, StoreError> {
    if path.exists() {
        return Err(StoreError::Config(format!(
            "{} は既にあります。別のファイル名を指定してください（上書きはしません）。",
            path.display()
        )));
    }
    let backend = store.backend();
    match backend {
        Backend::Sqlite => {
            let target = path.to_string_lossy().into_owned();
            store
                .db
                .execute(Statement::from_sql_and_values(
                    DatabaseBackend::Sqlite,
                    "VACUUM INTO ?",
                    [target.into()],
                ))
                .await?;
        }
        Backend::Postgres => {
            let output = Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "--file"])
                .arg(path)
                .arg(url)
                .output()
                .map_err(|e| {
                    io(
                        "pg_dump を実行できません（postgresql-client が必要です）",
                        e,
                    )
                })?;
            if !output.status.success() {
                return Err(StoreError::Config(format!(
                    "pg_dump が失敗しました: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                )));
            }
        }
    }
    let bytes = std::fs::metadata(path)
        .map_err(|e| io("バックアップを確認できません", e))?
        .len();
    Ok(BackupReport {
        path: path.to_owned(),
        bytes,
        backend,
    })
}

/// The SQLite file a `sqlite://` URL names.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    Some(PathBuf::from(path))
}

/// Brings a backup back as the database at `url`. For SQLite the server must be
/// stopped; the copy's integrity is checked before it replaces anything.
pub async fn restore(url: &str, path: &Path) -> Result<(), StoreError> {
    let head = std::fs::read(path)
        .map_err(|e| io("バックアップを読めません", e))?
        .into_iter()
        .take(16)
        .collect::<Vec<u8>>();
    if let Some(database) = sqlite_path(url) {
        if !head.starts_with(b"SQLite format 3\0") {
            return Err(StoreError::Config(
                "SQLite のバックアップ（renkei backup で作ったファイル）を指定してください。"
                    .into(),
            ));
        }
        let copy = Store::connect(&format!("sqlite://{}", path.display())).await?;
        let row = copy
            .db
            .query_one(Statement::from_string(
                DatabaseBackend::Sqlite,
                "PRAGMA integrity_check",
            ))
            .await?;
        let verdict: String = row
            .and_then(|r| r.try_get_by_index::<String>(0).ok())
            .unwrap_or_default();
        copy.db.close_by_ref().await?;
        if verdict != "ok" {
            return Err(StoreError::Config(format!(
                "バックアップが壊れています（integrity_check: {verdict}）。"
            )));
        }
        let staging = database.with_extension("restoring");
        std::fs::copy(path, &staging).map_err(|e| io("復元ファイルを書けません", e))?;
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", database.display()));
            if side.exists() {
                std::fs::remove_file(&side).map_err(|e| io("WAL を消せません", e))?;
            }
        }
        std::fs::rename(&staging, &database).map_err(|e| io("復元できません", e))?;
        return Ok(());
    }
    if !head.starts_with(b"PGDMP") {
        return Err(StoreError::Config(
            "PostgreSQL のバックアップ（renkei backup で作ったファイル）を指定してください。"
                .into(),
        ));
    }
    let output = Command::new("pg_restore")
        .args([
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--dbname",
        ])
        .arg(url)
        .arg(path)
        .output()
        .map_err(|e| {
            io(
                "pg_restore を実行できません（postgresql-client が必要です）",
                e,
            )
        })?;
    if !output.status.success() {
        return Err(StoreError::Config(format!(
            "pg_restore が失敗しました: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}
