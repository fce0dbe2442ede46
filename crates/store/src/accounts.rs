//! Accounts: users with a role and an organisation, argon2id password hashes,
//! one-time passwords that must be changed at first login, and a login rate limit
//! kept in the database so that it holds across every server process.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use chrono::{Duration, Utc};
use domain::{Actor, Invalid, Role};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use crate::audit::{self, Change};
use crate::entity::{login_attempt, login_device, organisation, two_step_secret, user};
use crate::organisations;
use crate::{Store, StoreError};

/// Failed logins for one account from unknown devices within the window before
/// unknown devices are locked out of it. The owner's known devices are not: their
/// failures count against each device alone (OWASP's "device cookies").
pub const FAILURES_PER_EMAIL: u64 = 5;
/// Failed logins from one known device within the window before that device is
/// treated as unknown.
pub const FAILURES_PER_DEVICE: u64 = 5;
/// Failed logins from unknown devices at one address within the window before
/// unknown devices at that address are refused. A city hall or a chamber signs in
/// from behind one NAT: at five failures per account this is twenty people's
/// locked accounts, not one person's typos; known devices are never refused by it.
pub const FAILURES_PER_CLIENT: u64 = 100;
pub const LOCK_WINDOW_MINUTES: i64 = 15;
/// Failures from unknown devices at one address that cost nothing; each one after
/// them doubles the wait before the next password is checked.
pub const FREE_FAILURES_PER_CLIENT: u64 = 3;
/// The longest wait before a password is checked, however many failures.
pub const MAX_LOGIN_DELAY_MS: u64 = 3_000;
/// How long a device stays known without a successful login from it.
pub const DEVICE_DAYS: i64 = 180;
pub const PASSWORD_MIN_CHARS: usize = 12;
pub const FIRST_ADMIN_EMAIL: &str = "admin@renkei.local";

/// A user as pages and the CLI show it.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    pub organisation_name: String,
    /// For company members: the company of the directory they speak for.
    pub company_id: Option<i64>,
    pub must_change_password: bool,
    /// Sessions signed in with an older generation are over (see [`change_password`]).
    pub session_generation: i64,
    /// Enrolled in two-step sign-in: a code is asked for after the password.
    pub two_step_enrolled: bool,
    /// The user's organisation requires two-step sign-in of its staff.
    pub organisation_requires_two_step: bool,
}

impl User {
    /// Whether this user must enrol in two-step sign-in before doing anything else:
    /// the secretariat when `secretariat_must` (the deployment's rule, on in `serve`),
    /// the staff of an organisation that switched it on. Members and individuals
    /// may enrol but are never made to.
    pub fn must_enrol_two_step(&self, secretariat_must: bool) -> bool {
        let required = (self.role == Role::Secretariat && secretariat_must)
            || (self.role.keeps_records() && self.organisation_requires_two_step);
        required && !self.two_step_enrolled
    }
}

impl User {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            email: self.email.clone(),
            role: self.role,
            organisation_id: self.organisation_id,
            company_id: self.company_id,
        }
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: String,
    /// Organisation key or Japanese name (`ota` or `大田区`). For company members it
    /// may be empty: their organisation is the one that looks after their company.
    pub organisation: String,
    /// For company members: the company's key or 法人番号.
    pub company: String,
}

pub(crate) fn hash(password: &str) -> Result<String, StoreError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|error| StoreError::Config(format!("password hashing failed: {error}")))
}

pub(crate) fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A one-time password people can read aloud: no 0/O or 1/l/I.
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|i| {
            let c = char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]);
            if i > 0 && i % 4 == 0 {
                format!("-{c}")
            } else {
                c.to_string()
            }
        })
        .collect()
}

pub(crate) fn parse_email(input: &str) -> Result<String, Invalid> {
    let email = domain::text::narrow_ascii(input).trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(Invalid::new(
            "email",
            format!("メールアドレスの形式が正しくありません（「{input}」）。"),
        ))
    }
}

pub(crate) fn check_new_password(password: &str) -> Result<(), Invalid> {
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(Invalid::new(
            "new_password",
            format!("パスワードは{PASSWORD_MIN_CHARS}文字以上にしてください。"),
        ));
    }
    if password.chars().count() > 256 {
        return Err(Invalid::new(
            "new_password",
            "パスワードは256文字以内にしてください。",
        ));
    }
    Ok(())
}

/// The organisation facts a [`User`] carries: its name and whether it requires
/// two-step sign-in.
fn user_of(row: user::Model, organisation: Option<(&str, bool)>, two_step_enrolled: bool) -> User {
    User {
        id: row.id,
        email: row.email,
        display_name: row.display_name,
        role: Role::parse(&row.role).unwrap_or(Role::Company),
        organisation_id: row.organisation_id,
        organisation_name: organisation
            .map(|(name, _)| name.to_owned())
            .unwrap_or_default(),
        company_id: row.company_id,
        must_change_password: row.must_change_password,
        session_generation: row.session_generation,
        two_step_enrolled,
        organisation_requires_two_step: organisation.is_some_and(|(_, required)| required),
    }
}

/// One user with its organisation's name and two-step setting and whether it
/// enrolled in two-step sign-in, read in one query (subselects), as this runs for
/// every signed-in request.
pub(crate) async fn to_user(store: &Store, row: user::Model) -> Result<User, StoreError> {
    use sea_orm::sea_query::{Alias, Expr, Query, SimpleExpr};
    let mut query = Query::select();
    query.expr_as(
        Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(two_step_secret::Entity)
                .and_where(Expr::col(two_step_secret::Column::UserId).eq(row.id))
                .to_owned(),
        ),
        Alias::new("enrolled"),
    );
    let organisation_column = |column: organisation::Column, id: i64| {
        SimpleExpr::SubQuery(
            None,
            Box::new(
                Query::select()
                    .column(column)
                    .from(organisation::Entity)
                    .and_where(Expr::col(organisation::Column::Id).eq(id))
                    .to_owned()
                    .into_sub_query_statement(),
            ),
        )
    };
    if let Some(id) = row.organisation_id {
        query
            .expr_as(
                organisation_column(organisation::Column::Name, id),
                Alias::new("organisation_name"),
            )
            .expr_as(
                organisation_column(organisation::Column::TwoStepRequired, id),
                Alias::new("two_step_required"),
            );
    }
    let backend = store.db.get_database_backend();
    let found = store
        .db
        .query_one(backend.build(&query))
        .await?
        .ok_or_else(|| StoreError::Config("the account query answered no row".into()))?;
    let enrolled: bool = found.try_get("", "enrolled")?;
    let (name, required) = match row.organisation_id {
        Some(_) => (
            found.try_get::<Option<String>>("", "organisation_name")?,
            found
                .try_get::<Option<bool>>("", "two_step_required")?
                .unwrap_or(false),
        ),
        None => (None, false),
    };
    Ok(user_of(
        row,
        name.as_deref().map(|name| (name, required)),
        enrolled,
    ))
}

/// Creates a user with a one-time password, returned once and never stored in clear.
/// `actor` is `None` for the command line run on the server itself.
pub async fn create_user(
    store: &Store,
    actor: Option<&Actor>,
    new: &NewUser,
) -> Result<(User, String), StoreError> {
    if actor.is_some_and(|a| !a.is_secretariat()) {
        return Err(StoreError::forbidden(
            "アカウントを作成できるのは協議会事務局のみです。",
        ));
    }
    let mut errors = Vec::new();
    let email = parse_email(&new.email).map_err(|e| errors.push(e)).ok();
    let display_name = domain::text::optional_text("display_name", &new.display_name, 100)
        .map_err(|e| errors.push(e))
        .ok();
    let role = Role::parse(&new.role).filter(|r| *r != Role::Individual);
    if role.is_none() {
        errors.push(Invalid::new(
            "role",
            "権限は secretariat（事務局）・staff（職員）・company（企業会員）のいずれかです。",
        ));
    }
    let directory = organisations::directory(store).await?;
    let mut company_id = None;
    let mut organisation = directory.find_organisation(&new.organisation);
    match (role, new.company.trim()) {
        (Some(Role::Company), "") => errors.push(Invalid::new(
            "company",
            "企業会員には企業（企業IDまたは法人番号）を指定してください。",
        )),
        (Some(Role::Company), key) => {
            match crate::entity::company::Entity::find()
                .filter(
                    sea_orm::Condition::any()
                        .add(crate::entity::company::Column::Key.eq(key))
                        .add(crate::entity::company::Column::CorporateNumber.eq(key)),
                )
                .one(&store.db)
                .await?
            {
                Some(company) => {
                    company_id = Some(company.id);
                    organisation = directory.organisation(company.owner_organisation_id);
                }
                None => errors.push(Invalid::new(
                    "company",
                    format!("企業「{key}」は企業ディレクトリに登録されていません。"),
                )),
            }
        }
        (_, "") => {}
        (_, _) => errors.push(Invalid::new(
            "company",
            "企業を指定できるのは企業会員（company）のアカウントのみです。",
        )),
    }
    if organisation.is_none() && company_id.is_none() {
        errors.push(Invalid::new(
            "organisation",
            format!("団体「{}」は登録されていません。", new.organisation.trim()),
        ));
    }
    let (Some(email), Some(display_name), Some(role), Some(organisation)) =
        (email, display_name, role, organisation)
    else {
        return Err(StoreError::Invalid(errors));
    };
    if !errors.is_empty() {
        // E.g. a company member without a company: every problem, nothing created.
        return Err(StoreError::Invalid(errors));
    }
    if role == Role::Secretariat && organisation.kind != "council" {
        return Err(Invalid::new(
            "role",
            "事務局の権限は協議会に所属するアカウントにのみ付与できます。",
        )
        .into());
    }
    let password = one_time_password();
    let txn = store.begin().await?;
    if user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(StoreError::Conflict(format!(
            "{email} は既に登録されています。"
        )));
    }
    let row = user::ActiveModel {
        email: Set(email.clone()),
        display_name: Set(display_name),
        password_hash: Set(hash(&password)?),
        role: Set(role.code().to_owned()),
        organisation_id: Set(Some(organisation.id)),
        company_id: Set(company_id),
        must_change_password: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        Change {
            action: "create",
            entity: "user",
            entity_key: email.clone(),
            organisation_id: Some(organisation.id),
            summary: format!(
                "アカウント {email}（{}・{}）を作成",
                organisation.name,
                role.label()
            ),
            before: None,
            after: Some(
                json!({"email": email, "role": role.code(), "organisation": organisation.key}),
            ),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((to_user(store, row).await?, password))
}

/// On a database without users, creates the first secretariat account and returns
/// its e-mail and one-time password (to be printed once by `renkei serve`).
pub async fn ensure_first_admin(store: &Store) -> Result<Option<(String, String)>, StoreError> {
    if user::Entity::find().count(&store.db).await? > 0 {
        return Ok(None);
    }
    let (user, password) = create_user(
        store,
        None,
        &NewUser {
            email: FIRST_ADMIN_EMAIL.into(),
            display_name: "協議会事務局（初期管理者）".into(),
            role: Role::Secretariat.code().into(),
            organisation: "council".into(),
            company: String::new(),
        },
    )
    .await?;
    Ok(Some((user.email, password)))
}

/// Checks e-mail and password from an unknown device (the command line, tests of the
/// store); see [`login_with_device`].
pub async fn login(
    store: &Store,
    email: &str,
    password: &str,
    client: &str,
) -> Result<User, StoreError> {
    login_with_device(store, email, password, client, None)
        .await
        .map(|login| login.user)
}

/// A successful login: the user, and the device token the browser keeps from now
/// on (the one it sent, or a new one).
#[derive(Debug, Clone)]
pub struct Login {
    pub user: User,
    pub device_token: String,
}

/// Checks e-mail and password, refusing after too many recent failures. Every
/// attempt is recorded; the answer never tells whether the e-mail exists.
///
/// `device` is the token of the browser's device cookie. A device on which this
/// account signed in before is *known*: its correct password gets in even while
/// unknown devices are locked out of the account or refused at its address, and
/// its failures count only against itself. Attempts from unknown devices wait
/// longer the more failures their address had recently (a `tokio` sleep: other
/// requests go on), are refused after [`FAILURES_PER_EMAIL`] failures for the
/// account or [`FAILURES_PER_CLIENT`] at the address, and are refused with the
/// number of seconds until the oldest counted failure leaves the window.
pub async fn login_with_device(
    store: &Store,
    email: &str,
    password: &str,
    client: &str,
    device: Option<&str>,
) -> Result<Login, StoreError> {
    let email = domain::text::narrow_ascii(email).trim().to_lowercase();
    let now = Utc::now();
    let since = now - Duration::minutes(LOCK_WINDOW_MINUTES);
    let device = device.filter(|token| crate::tokens::looks_like_token(token));
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&store.db)
        .await?;
    let known_device = match (&found, device) {
        (Some(row), Some(token)) => known_device(store, row.id, token, now).await?,
        _ => None,
    };
    // A known device that failed too often itself is treated as unknown.
    let known_device = match known_device {
        Some(id) => {
            let failures = login_attempt::Entity::find()
                .filter(login_attempt::Column::DeviceId.eq(id))
                .filter(login_attempt::Column::Succeeded.eq(false))
                .filter(login_attempt::Column::At.gt(since));
            (locked_until(failures, FAILURES_PER_DEVICE, store).await?)
                .is_none()
                .then_some(id)
        }
        None => None,
    };
    if known_device.is_none() {
        let unknown_failures = || {
            login_attempt::Entity::find()
                .filter(login_attempt::Column::DeviceId.is_null())
                .filter(login_attempt::Column::Succeeded.eq(false))
                .filter(login_attempt::Column::At.gt(since))
        };
        let for_email = unknown_failures().filter(login_attempt::Column::Email.eq(&email));
        let from_client = unknown_failures().filter(login_attempt::Column::Client.eq(client));
        let until = [
            locked_until(for_email, FAILURES_PER_EMAIL, store).await?,
            locked_until(from_client.clone(), FAILURES_PER_CLIENT, store).await?,
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(until) = until {
            return Err(StoreError::RateLimited {
                retry_after_seconds: (until - now).num_seconds().max(1),
            });
        }
        let recent = from_client.count(&store.db).await?;
        tokio::time::sleep(delay_after(recent)).await;
    }
    // Hash even for an unknown e-mail, so the answer takes as long either way.
    let ok = match &found {
        Some(row) => verify(password, &row.password_hash),
        None => {
            let _ = verify(
                password,
                "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Hx2eYc1gJ0v4m0l7m1e3QbxvK8uH8oJm7Gk0qYb2Ew",
            );
            false
        }
    };
    login_attempt::ActiveModel {
        email: Set(email.clone()),
        client: Set(client.to_owned()),
        succeeded: Set(ok),
        at: Set(Utc::now()),
        device_id: Set(known_device),
        ..Default::default()
    }
    .insert(&store.db)
    .await?;
    match found {
        Some(row) if ok => {
            let device_token = device.map_or_else(|| crate::tokens::new_token().raw, str::to_owned);
            remember_device(store, row.id, &device_token, known_device).await?;
            Ok(Login {
                user: to_user(store, row).await?,
                device_token,
            })
        }
        _ => Err(StoreError::BadCredentials),
    }
}

/// The wait before checking a password from an unknown device, after `failures`
/// recent failures from unknown devices at the same address: nothing for the first
/// few, then doubling from a quarter of a second up to [`MAX_LOGIN_DELAY_MS`].
pub fn delay_after(failures: u64) -> std::time::Duration {
    let beyond = failures.saturating_sub(FREE_FAILURES_PER_CLIENT);
    if beyond == 0 {
        return std::time::Duration::ZERO;
    }
    let millis = 250u64.saturating_mul(1 << (beyond - 1).min(16));
    std::time::Duration::from_millis(millis.min(MAX_LOGIN_DELAY_MS))
}

/// When the lock of `failures` ends, if `limit` of them fall within the window: the
/// `limit`-th most recent failure leaves the window then.
async fn locked_until(
    failures: sea_orm::Select<login_attempt::Entity>,
    limit: u64,
    store: &Store,
) -> Result<Option<chrono::DateTime<Utc>>, StoreError> {
    Ok(failures
        .order_by_desc(login_attempt::Column::At)
        .offset(limit.saturating_sub(1))
        .limit(1)
        .one(&store.db)
        .await?
        .map(|attempt| attempt.at + Duration::minutes(LOCK_WINDOW_MINUTES)))
}

/// The id of `user_id`'s device with this token, if it signed in from it within
/// [`DEVICE_DAYS`].
async fn known_device(
    store: &Store,
    user_id: i64,
    token: &str,
    now: chrono::DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    Ok(login_device::Entity::find()
        .filter(login_device::Column::UserId.eq(user_id))
        .filter(login_device::Column::TokenSha256.eq(crate::tokens::hash(token)))
        .filter(login_device::Column::LastUsedAt.gt(now - Duration::days(DEVICE_DAYS)))
        .one(&store.db)
        .await?
        .map(|device| device.id))
}

/// Records a successful login on a device: a known one is seen again, another one
/// becomes known (an expired row for the same token is brought back).
async fn remember_device(
    store: &Store,
    user_id: i64,
    token: &str,
    known: Option<i64>,
) -> Result<(), StoreError> {
    let now = Utc::now();
    let digest = crate::tokens::hash(token);
    let id = match known {
        Some(id) => Some(id),
        None => login_device::Entity::find()
            .filter(login_device::Column::UserId.eq(user_id))
            .filter(login_device::Column::TokenSha256.eq(&digest))
            .one(&store.db)
            .await?
            .map(|device| device.id),
    };
    match id {
        Some(id) => {
            login_device::ActiveModel {
                id: Set(id),
                last_used_at: Set(now),
                ..Default::default()
            }
            .update(&store.db)
            .await?;
        }
        None => {
            let inserted = login_device::ActiveModel {
                user_id: Set(user_id),
                token_sha256: Set(digest),
                created_at: Set(now),
                last_used_at: Set(now),
                ..Default::default()
            }
            .insert(&store.db)
            .await;
            match inserted.map_err(StoreError::from) {
                // Two logins of one browser at once: the other one recorded it.
                Ok(_) | Err(StoreError::Conflict(_)) => {}
                Err(other) => return Err(other),
            }
        }
    }
    Ok(())
}

/// The user behind a session.
/// A user by e-mail address (the command line's `--as`).
pub async fn find_by_email(store: &Store, email: &str) -> Result<Option<User>, StoreError> {
    match user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(&store.db)
        .await?
    {
        Some(row) => Ok(Some(to_user(store, row).await?)),
        None => Ok(None),
    }
}

pub async fn user_by_id(store: &Store, id: i64) -> Result<Option<User>, StoreError> {
    match user::Entity::find_by_id(id).one(&store.db).await? {
        Some(row) => Ok(Some(to_user(store, row).await?)),
        None => Ok(None),
    }
}

/// Changes one's own password, proving the current one. The account's session
/// generation moves on, which ends every session signed in before (someone who
/// knew the old password is out); the caller keeps its own session by recording
/// the returned generation in it.
pub async fn change_password(
    store: &Store,
    actor: &Actor,
    current: &str,
    new: &str,
) -> Result<i64, StoreError> {
    let row = user::Entity::find_by_id(actor.user_id)
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("アカウント"))?;
    if !verify(current, &row.password_hash) {
        return Err(
            Invalid::new("current_password", "現在のパスワードが正しくありません。").into(),
        );
    }
    check_new_password(new)?;
    if new == current {
        return Err(Invalid::new("new_password", "現在と異なるパスワードにしてください。").into());
    }
    let txn = store.begin().await?;
    let generation = row.session_generation + 1;
    user::ActiveModel {
        id: Set(row.id),
        password_hash: Set(hash(new)?),
        must_change_password: Set(false),
        session_generation: Set(generation),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "password",
            entity: "user",
            entity_key: row.email.clone(),
            organisation_id: row.organisation_id,
            summary: format!("{} がパスワードを変更", row.email),
            before: None,
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(generation)
}

/// Every account; the secretariat manages them.
pub async fn list_users(store: &Store, actor: &Actor) -> Result<Vec<User>, StoreError> {
    if !actor.is_secretariat() {
        return Err(StoreError::forbidden(
            "アカウント一覧は協議会事務局のみ閲覧できます。",
        ));
    }
    let rows = user::Entity::find()
        .order_by_asc(user::Column::Id)
        .all(&store.db)
        .await?;
    let organisations: std::collections::HashMap<i64, organisation::Model> =
        organisation::Entity::find()
            .all(&store.db)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
    let enrolled = crate::two_step::enrolled_users(store).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let organisation = row.organisation_id.and_then(|id| organisations.get(&id));
            let two_step = enrolled.contains(&row.id);
            user_of(
                row,
                organisation.map(|o| (o.name.as_str(), o.two_step_required)),
                two_step,
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_passwords_are_long_and_unambiguous() {
        let password = one_time_password();
        assert_eq!(password.chars().filter(|c| *c != '-').count(), 16);
        assert!(!password.contains(['0', 'O', '1', 'l', 'I']));
        assert_ne!(password, one_time_password());
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("wrong", &stored));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn the_login_delay_is_free_for_a_few_typos_then_doubles_up_to_a_cap() {
        let ms = |failures| delay_after(failures).as_millis();
        assert_eq!(
            (0..=9).map(ms).collect::<Vec<_>>(),
            [0, 0, 0, 0, 250, 500, 1000, 2000, 3000, 3000]
        );
        assert_eq!(ms(u64::MAX), 3000);
    }

    #[test]
    fn a_refused_login_says_how_many_minutes_rounded_up() {
        let message = |seconds| {
            StoreError::RateLimited {
                retry_after_seconds: seconds,
            }
            .to_string()
        };
        assert!(message(1).contains("1分ほど"));
        assert!(message(60).contains("1分ほど"));
        assert!(message(61).contains("2分ほど"));
        assert!(message(900).contains("15分ほど"));
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            parse_email(" Staff@Ota.Example.JP ").unwrap(),
            "staff@ota.example.jp"
        );
        assert!(parse_email("no-at-sign").is_err());
        assert!(parse_email("a@b").is_err());
    }
}
