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

/// The file a scheduled backup (`renkei backup --dir`) taken at `at` is written to:
/// `renkei-20261207T031500.000Z.db` (SQLite) or `.pgdump` (PostgreSQL). The UTC time in
/// the name sorts as the backups were taken, which [`prune`] relies on.
pub fn scheduled_path(dir: &Path, at: chrono::DateTime<chrono::Utc>, backend: Backend) -> PathBuf {
    let extension = match backend {
        Backend::Sqlite => "db",
        Backend::Postgres => "pgdump",
    };
    dir.join(format!(
        "renkei-{}.{extension}",
        at.format("%Y%m%dT%H%M%S%.3fZ")
    ))
}

/// Whether `name` is a scheduled backup's file name (see [`scheduled_path`]).
fn is_scheduled(name: &str) -> bool {
    let Some(stem) = name.strip_prefix("renkei-").and_then(|rest| {
        rest.strip_suffix(".db")
            .or_else(|| rest.strip_suffix(".pgdump"))
    }) else {
        return false;
    };
    chrono::NaiveDateTime::parse_from_str(stem, "%Y%m%dT%H%M%S%.3fZ").is_ok()
}

/// Deletes the scheduled backups in `dir` beyond the `keep` newest, and returns what
/// it deleted. Only files named as [`scheduled_path`] names them are considered, so
/// anything else kept in the directory is left alone. `keep` is at least 1: the
/// backup just taken is never deleted.
pub fn prune(dir: &Path, keep: usize) -> Result<Vec<PathBuf>, StoreError> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| io("バックアップの保存先を読めません", e))?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| is_scheduled(name))
        .collect();
    names.sort();
    let surplus = names.len().saturating_sub(keep.max(1));
    let mut deleted = Vec::new();
    for name in names.into_iter().take(surplus) {
        let path = dir.join(name);
        std::fs::remove_file(&path).map_err(|e| io("古いバックアップを消せません", e))?;
        deleted.push(path);
    }
    Ok(deleted)
}

#[cfg(test)]
mod schedule_tests {
    use super::*;

    #[test]
    fn only_the_newest_scheduled_backups_are_kept_and_other_files_are_left_alone() {
        let dir = std::env::temp_dir().join(format!("renkei-prune-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let at = |h: u32| {
            chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
                .unwrap()
                .and_hms_opt(h, 0, 0)
                .unwrap()
                .and_utc()
        };
        for hour in [3, 1, 2, 4] {
            std::fs::write(scheduled_path(&dir, at(hour), Backend::Sqlite), b"x").unwrap();
        }
        std::fs::write(dir.join("renkei-manual.db"), b"x").unwrap();
        std::fs::write(dir.join("notes.txt"), b"x").unwrap();
        let deleted = prune(&dir, 2).unwrap();
        assert_eq!(
            deleted,
            vec![
                dir.join("renkei-20261207T010000.000Z.db"),
                dir.join("renkei-20261207T020000.000Z.db")
            ]
        );
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "notes.txt",
                "renkei-20261207T030000.000Z.db",
                "renkei-20261207T040000.000Z.db",
                "renkei-manual.db"
            ]
        );
        // Keeping none still keeps the newest.
        assert_eq!(prune(&dir, 0).unwrap().len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
