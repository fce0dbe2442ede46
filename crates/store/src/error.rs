//! The store's error: named by meaning, never by status code. The web crate maps
//! each to a page or a problem+json response.

use domain::Invalid;
use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A record that does not exist (or that the actor may not know exists): `what`
    /// names it (「イベント「…」」), or is a whole sentence of its own (see
    /// [`not_found_text`]).
    #[error("{}", not_found_text(what))]
    NotFound { what: String },
    /// The actor may not do this.
    #[error("{reason}")]
    Forbidden { reason: String },
    /// What was typed breaks a rule; every broken rule is listed.
    #[error("入力内容に誤りがあります。")]
    Invalid(Vec<Invalid>),
    /// The change collides with an existing record.
    #[error("{0}")]
    Conflict(String),
    /// Too many failed logins; try again after `retry_after_seconds`.
    #[error(
        "ログインの失敗が続いたため、しばらくログインできません。{}分ほど待ってから再度お試しください。",
        retry_after_minutes(.retry_after_seconds)
    )]
    RateLimited { retry_after_seconds: i64 },
    /// A wrong e-mail or password (deliberately not saying which).
    #[error("メールアドレスまたはパスワードが正しくありません。")]
    BadCredentials,
    /// The seed data or configuration is broken: a bug of the deployment, not of a user.
    #[error("{0}")]
    Config(String),
    #[error("database error: {0}")]
    Database(DbErr),
}

/// 「{what}が見つかりません。」 for the name of a record; a `what` that is already a
/// sentence (it ends with 。, e.g. 「この回答リンクは見つかりません。…お問い合わせください。」)
/// is said as it is, never followed by 「が見つかりません。」.
pub fn not_found_text(what: &str) -> String {
    let what = what.trim();
    if what.ends_with('。') {
        what.to_owned()
    } else {
        format!("{what}が見つかりません。")
    }
}

/// Whole minutes, rounded up, so that "after N minutes" is never too early.
fn retry_after_minutes(seconds: &i64) -> i64 {
    ((*seconds).max(1) + 59) / 60
}

impl From<DbErr> for StoreError {
    /// Turns constraint violations into meaning in one place, so that call sites
    /// never inspect database errors themselves.
    fn from(error: DbErr) -> Self {
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) => {
                tracing::debug!(%detail, "unique constraint");
                StoreError::Conflict("同じ内容のデータが既に登録されています。".into())
            }
            Some(SqlErr::ForeignKeyConstraintViolation(detail)) => {
                tracing::debug!(%detail, "foreign key constraint");
                StoreError::Conflict("関連するデータがあるため、この操作はできません。".into())
            }
            _ => StoreError::Database(error),
        }
    }
}

/// A unique constraint of the schema and the form field it guards: a violation is
/// that field's error, in Japanese, instead of a generic conflict, so that a use
/// case inserts and lets the database decide rather than checking by hand first.
#[derive(Debug, Clone, Copy)]
pub struct UniqueConstraint {
    /// The index's name, which PostgreSQL reports.
    pub name: &'static str,
    /// The table and columns, which SQLite reports instead
    /// ("UNIQUE constraint failed: table.a, table.b").
    pub table: &'static str,
    pub columns: &'static [&'static str],
    /// The field of the form, and what to tell the person who typed it.
    pub field: &'static str,
    pub message: &'static str,
}

impl UniqueConstraint {
    fn reported_in(&self, detail: &str) -> bool {
        if detail.contains(&format!("\"{}\"", self.name)) {
            return true;
        }
        let columns = self
            .columns
            .iter()
            .map(|column| format!("{}.{column}", self.table))
            .collect::<Vec<_>>()
            .join(", ");
        detail.ends_with(&format!("UNIQUE constraint failed: {columns}"))
    }
}

/// Maps a database error: a violation of one of `constraints` becomes its field's
/// error; anything else is converted as usual.
pub fn on_constraint(error: DbErr, constraints: &[UniqueConstraint]) -> StoreError {
    if let Some(SqlErr::UniqueConstraintViolation(detail)) = error.sql_err()
        && let Some(constraint) = constraints.iter().find(|c| c.reported_in(&detail))
    {
        return StoreError::Invalid(vec![Invalid::new(constraint.field, constraint.message)]);
    }
    StoreError::from(error)
}

impl From<Vec<Invalid>> for StoreError {
    fn from(errors: Vec<Invalid>) -> Self {
        StoreError::Invalid(errors)
    }
}

impl From<Invalid> for StoreError {
    fn from(error: Invalid) -> Self {
        StoreError::Invalid(vec![error])
    }
}

impl StoreError {
    pub fn not_found(what: impl Into<String>) -> Self {
        StoreError::NotFound { what: what.into() }
    }

    pub fn forbidden(reason: impl Into<String>) -> Self {
        StoreError::Forbidden {
            reason: reason.into(),
        }
    }
}
