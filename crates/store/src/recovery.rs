//! Password reset by mail: a person who forgot the password asks for a link at
//! 「パスワードを忘れた方」, gets it by mail (if the address has an account), and sets
//! a new password through it.
//!
//! - The answer to a request is the same whether or not the address has an account,
//!   and the work done is nearly the same (a request row and a token either way), so
//!   neither the page nor its timing tells which addresses exist.
//! - The link's token is random and only its SHA-256 is stored ([`crate::tokens`]);
//!   it is valid [`RESET_MINUTES`] minutes and works once. Setting the password uses
//!   every other pending link of the account too.
//! - At most [`RESETS_PER_EMAIL_PER_HOUR`] mails go to one address an hour (further
//!   requests get the same answer and send nothing), and one client may ask
//!   [`RESETS_PER_CLIENT_PER_HOUR`] times an hour before it is told to wait.
//! - A reset moves the account's session generation on, which ends every session
//!   signed in before, in every process; the web layer signs the person in anew.
//! - The audit log records each mailed link and each reset, never the token.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::accounts::{self, User};
use crate::entity::{password_reset, password_reset_request, user};
use crate::outbox::{Outgoing, PUBLIC_URL};
use crate::tokens::{self, Unusable};
use crate::write::{Action, Audited, Entity};
use crate::{Store, StoreError};

/// How long a reset link works.
pub const RESET_MINUTES: i64 = 30;
/// Reset mails to one address within an hour; further requests send nothing.
pub const RESETS_PER_EMAIL_PER_HOUR: u64 = 3;
/// Requests from one client within an hour before it must wait. A city hall signs
/// in from behind one address, so this is generous; it stops a script, not a clerk.
pub const RESETS_PER_CLIENT_PER_HOUR: u64 = 30;

/// The sender of the platform's own account mail.
pub(crate) const COUNCIL_SENDER: &str = "中小企業都市連絡協議会";

/// What a request of a reset link came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetRequest {
    /// The neutral answer: "if the address has an account, a mail is on its way".
    Accepted,
    /// This client asked too often; it may ask again after this many seconds.
    TooMany { retry_after_seconds: i64 },
}

/// The account a valid reset link is for, as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetTarget {
    pub email: String,
    pub expires_at: DateTime<Utc>,
}

/// Asks for a reset link for `email` from `client` (its address). A malformed
/// address is the person's mistake and is said so; any well-formed address gets
/// [`ResetRequest::Accepted`], and a mail is queued only if it has an account and is
/// under its hourly limit.
pub async fn request_reset(
    store: &Store,
    email: &str,
    client: &str,
) -> Result<ResetRequest, StoreError> {
    let email = accounts::parse_email(email)?;
    let now = Utc::now();
    let since = now - Duration::hours(1);
    store
        .write(None, async |w| {
            let from_client = password_reset_request::Entity::find()
                .filter(password_reset_request::Column::Client.eq(client))
                .filter(password_reset_request::Column::At.gt(since));
            if let Some(oldest) = from_client
                .order_by_desc(password_reset_request::Column::At)
                .offset(RESETS_PER_CLIENT_PER_HOUR - 1)
                .limit(1)
                .one(w.txn())
                .await?
            {
                return Ok(ResetRequest::TooMany {
                    retry_after_seconds: (oldest.at + Duration::hours(1) - now)
                        .num_seconds()
                        .max(1),
                });
            }
            let for_email = password_reset_request::Entity::find()
                .filter(password_reset_request::Column::Email.eq(&email))
                .filter(password_reset_request::Column::At.gt(since))
                .count(w.txn())
                .await?;
            password_reset_request::ActiveModel {
                email: Set(email.clone()),
                client: Set(client.to_owned()),
                at: Set(now),
                ..Default::default()
            }
            .insert(w.txn())
            .await?;
            // Made for every request, so that an unknown address costs the same.
            let token = tokens::new_token();
            let account = user::Entity::find()
                .filter(user::Column::Email.eq(&email))
                .one(w.txn())
                .await?;
            let Some(account) = account else {
                return Ok(ResetRequest::Accepted);
            };
            if for_email >= RESETS_PER_EMAIL_PER_HOUR {
                tracing::info!("password reset not mailed: hourly limit of the address");
                return Ok(ResetRequest::Accepted);
            }
            let expires_at = now + Duration::minutes(RESET_MINUTES);
            password_reset::ActiveModel {
                user_id: Set(account.id),
                token_sha256: Set(token.hash.clone()),
                created_at: Set(now),
                expires_at: Set(expires_at),
                used_at: Set(None),
                ..Default::default()
            }
            .insert(w.txn())
            .await?;
            w.audit(Audited::new(
                Action::RequestReset,
                Entity::User,
                account.email.clone(),
                account.organisation_id,
                format!(
                    "{} にパスワード再設定のリンクを送信（有効{RESET_MINUTES}分）",
                    account.email
                ),
            ));
            w.send(reset_mail(&account, &token.raw));
            Ok(ResetRequest::Accepted)
        })
        .await
}

fn reset_mail(account: &user::Model, raw_token: &str) -> Outgoing {
    let name = if account.display_name.trim().is_empty() {
        account.email.as_str()
    } else {
        account.display_name.as_str()
    };
    let body = format!(
        "{name} 様\n\n\
         renkei（中小企業都市連絡協議会 連携プラットフォーム）で、このメールアドレスのアカウントのパスワード再設定のお申し込みを受け付けました。\n\n\
         次のリンクを開き、新しいパスワード（{min}文字以上）を設定してください。リンクの有効期限は{RESET_MINUTES}分で、1回だけ使えます。\n\n\
         {PUBLIC_URL}/password/reset/{raw_token}\n\n\
         期限が過ぎた場合は、ログイン画面の「パスワードを忘れた方」からもう一度お申し込みください。\n\
         お心当たりがない場合は、このメールを破棄してください。パスワードは変更されません。",
        min = accounts::PASSWORD_MIN_CHARS
    );
    Outgoing::new(
        None,
        COUNCIL_SENDER,
        &account.display_name,
        &account.email,
        "【renkei】パスワード再設定のご案内",
        &body,
        "このメールは、このメールアドレスのアカウントについてパスワード再設定のお申し込みがあったためお送りしています。",
    )
}

/// Whether a reset row can still be used at `now`.
fn usable(row: &password_reset::Model, now: DateTime<Utc>) -> Result<(), Unusable> {
    if row.used_at.is_some() {
        Err(Unusable::Used)
    } else if row.expires_at <= now {
        Err(Unusable::Expired)
    } else {
        Ok(())
    }
}

async fn reset_row(
    db: &impl sea_orm::ConnectionTrait,
    raw_token: &str,
) -> Result<Option<password_reset::Model>, StoreError> {
    if !tokens::looks_like_token(raw_token) {
        return Ok(None);
    }
    Ok(password_reset::Entity::find()
        .filter(password_reset::Column::TokenSha256.eq(tokens::hash(raw_token)))
        .one(db)
        .await?)
}

/// The account a reset link is for, or why the link no longer works.
pub async fn reset_target(
    store: &Store,
    raw_token: &str,
) -> Result<Result<ResetTarget, Unusable>, StoreError> {
    let Some(row) = reset_row(&store.db, raw_token).await? else {
        return Ok(Err(Unusable::Unknown));
    };
    if let Err(unusable) = usable(&row, Utc::now()) {
        return Ok(Err(unusable));
    }
    let Some(account) = user::Entity::find_by_id(row.user_id).one(&store.db).await? else {
        return Ok(Err(Unusable::Unknown));
    };
    Ok(Ok(ResetTarget {
        email: account.email,
        expires_at: row.expires_at,
    }))
}

/// Sets a new password through a reset link: the link (and every other pending
/// link of the account) is used up, every session of the account ends, and the
/// account is returned with its new session generation for the caller to sign in.
/// A link that no longer works is said so before the password is looked at; a
/// password that breaks the rules is [`StoreError::Invalid`] and uses nothing up.
pub async fn reset_password(
    store: &Store,
    raw_token: &str,
    new_password: &str,
) -> Result<Result<User, Unusable>, StoreError> {
    let Some(row) = reset_row(&store.db, raw_token).await? else {
        return Ok(Err(Unusable::Unknown));
    };
    if let Err(unusable) = usable(&row, Utc::now()) {
        return Ok(Err(unusable));
    }
    let Some(account) = accounts::user_by_id(store, row.user_id).await? else {
        return Ok(Err(Unusable::Unknown));
    };
    accounts::check_new_password(new_password)?;
    let password_hash = accounts::hash(new_password)?;
    let actor = account.actor();
    let done = store
        .write(Some(&actor), async |w| {
            let now = Utc::now();
            // Used once even when two tabs send the form at the same moment: only
            // the update that finds the row unused counts.
            let claimed = password_reset::Entity::update_many()
                .col_expr(
                    password_reset::Column::UsedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(password_reset::Column::Id.eq(row.id))
                .filter(password_reset::Column::UsedAt.is_null())
                .filter(password_reset::Column::ExpiresAt.gt(now))
                .exec(w.txn())
                .await?;
            if claimed.rows_affected != 1 {
                let again = password_reset::Entity::find_by_id(row.id)
                    .one(w.txn())
                    .await?;
                return Ok(Err(again
                    .map(|r| usable(&r, now).err().unwrap_or(Unusable::Used))
                    .unwrap_or(Unusable::Unknown)));
            }
            // Any other link mailed before is of no use any more.
            password_reset::Entity::update_many()
                .col_expr(
                    password_reset::Column::UsedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(password_reset::Column::UserId.eq(row.user_id))
                .filter(password_reset::Column::UsedAt.is_null())
                .exec(w.txn())
                .await?;
            let stored = user::Entity::find_by_id(row.user_id)
                .one(w.txn())
                .await?
                .ok_or_else(|| StoreError::not_found("アカウント"))?;
            user::ActiveModel {
                id: Set(stored.id),
                password_hash: Set(password_hash),
                must_change_password: Set(false),
                session_generation: Set(stored.session_generation + 1),
                ..Default::default()
            }
            .update(w.txn())
            .await?;
            w.audit(Audited::new(
                Action::ResetPassword,
                Entity::User,
                stored.email.clone(),
                stored.organisation_id,
                format!(
                    "{} がメールのリンクからパスワードを再設定（ほかのセッションはすべて終了）",
                    stored.email
                ),
            ));
            Ok(Ok(()))
        })
        .await?;
    if let Err(unusable) = done {
        return Ok(Err(unusable));
    }
    accounts::user_by_id(store, row.user_id)
        .await?
        .map(Ok)
        .ok_or_else(|| StoreError::not_found("アカウント"))
}
