//! Two-step sign-in (二段階認証): a time-based one-time code (TOTP, RFC 6238, by
//! `totp-rs`) asked for after the password, ten single-use recovery codes for a lost
//! device, a lock after wrong codes, the secretariat's reset of a lost device, and
//! the organisation's setting that makes it required for its staff.
//!
//! The secret is chosen by the web page and kept in the person's session until they
//! confirm it with a code from their app: only a confirmed secret reaches the
//! database, so an abandoned enrolment leaves nothing behind. Every enrolment, reset,
//! wrong code, lock, used recovery code and change of the setting is in the audit log.

use chrono::{DateTime, Duration, Utc};
use domain::{Actor, Invalid, Role};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::Expr,
};
use serde_json::json;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::entity::{
    organisation, two_step_failure, two_step_recovery_code, two_step_secret, user,
};
use crate::write::{Action, Audited, Entity};
use crate::{Store, StoreError};

/// Wrong codes within [`LOCK_MINUTES`] that lock two-step sign-in of the account.
pub const FAILURES_BEFORE_LOCK: u64 = 5;
/// How long the lock lasts, from the last counted wrong code.
pub const LOCK_MINUTES: i64 = 15;
/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// The name apps show beside the account.
pub const ISSUER: &str = "renkei";
/// Seconds per code (RFC 6238's default, the one every app assumes).
const STEP_SECONDS: u64 = 30;
/// Codes of one step before and after now are accepted: a phone's clock a little off.
const SKEW_STEPS: u64 = 1;
/// Random bytes of a secret: 160 bits, RFC 4226's recommendation.
const SECRET_BYTES: usize = 20;

/// A new random secret, base32 as apps take it when typed in by hand.
pub fn new_secret() -> String {
    let bytes: [u8; SECRET_BYTES] = rand::rng().random();
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

/// The `otpauth://` URL the QR code carries: the app learns the secret, the issuer
/// and the account's e-mail address from it.
pub fn enrolment_url(secret: &str, email: &str) -> Result<String, StoreError> {
    Ok(totp(secret, email)?.get_url())
}

fn totp(secret: &str, email: &str) -> Result<TOTP, StoreError> {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|error| StoreError::Config(format!("two-step secret unreadable: {error:?}")))?;
    // An address with ':' cannot name an otpauth account; the secret is what counts.
    let account = email.replace(':', "_");
    TOTP::new(
        Algorithm::SHA1,
        6,
        SKEW_STEPS as u8,
        STEP_SECONDS,
        bytes,
        Some(ISSUER.to_owned()),
        account,
    )
    .map_err(|error| StoreError::Config(format!("two-step secret refused: {error:?}")))
}

/// The step of `code` among the steps around `now`, if it is the code of one.
fn matching_step(totp: &TOTP, code: &str, now: DateTime<Utc>) -> Option<i64> {
    let now = u64::try_from(now.timestamp()).ok()?;
    let step = now / STEP_SECONDS;
    (step.saturating_sub(SKEW_STEPS)..=step + SKEW_STEPS)
        .find(|candidate| {
            let expected = totp.generate(candidate * STEP_SECONDS);
            constant_time_eq(expected.as_bytes(), code.as_bytes())
        })
        .and_then(|found| i64::try_from(found).ok())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What was typed, as a code: full-width digits and spaces are forgiven.
fn normalise(input: &str) -> String {
    domain::text::narrow_ascii(input)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_lowercase()
}

fn is_six_digits(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// A recovery code people can copy by hand: 16 characters in four groups, lower
/// case without 0/o or 1/l (80 bits).
fn new_recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..16)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

fn recovery_hash(code: &str) -> String {
    crate::tokens::hash(&normalise(code))
}

pub(crate) async fn enrolled_users(
    store: &Store,
) -> Result<std::collections::HashSet<i64>, StoreError> {
    Ok(two_step_secret::Entity::find()
        .all(&store.db)
        .await?
        .into_iter()
        .map(|row| row.user_id)
        .collect())
}

/// The state of one's own enrolment, for the account page.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub enrolled_at: DateTime<Utc>,
    pub recovery_codes_left: u64,
}

/// One's own enrolment, if any.
pub async fn enrolment(store: &Store, actor: &Actor) -> Result<Option<Enrolment>, StoreError> {
    let Some(row) = two_step_secret::Entity::find()
        .filter(two_step_secret::Column::UserId.eq(actor.user_id))
        .one(&store.db)
        .await?
    else {
        return Ok(None);
    };
    let left = two_step_recovery_code::Entity::find()
        .filter(two_step_recovery_code::Column::UserId.eq(actor.user_id))
        .filter(two_step_recovery_code::Column::UsedAt.is_null())
        .count(&store.db)
        .await?;
    Ok(Some(Enrolment {
        enrolled_at: row.enrolled_at,
        recovery_codes_left: left,
    }))
}

fn wrong_code() -> StoreError {
    Invalid::new(
        "code",
        "確認コードが正しくありません。認証アプリに表示されている6桁の数字を入力してください。",
    )
    .into()
}

/// Enrols the actor with `secret` (kept by the page until now), proven by a current
/// `code` of it; returns the ten recovery codes, to be shown once.
pub async fn enrol(
    store: &Store,
    actor: &Actor,
    secret: &str,
    code: &str,
) -> Result<Vec<String>, StoreError> {
    let code = normalise(code);
    if !is_six_digits(&code) {
        return Err(Invalid::new(
            "code",
            "認証アプリに表示されている6桁の数字を入力してください。",
        )
        .into());
    }
    let now = Utc::now();
    let Some(step) = matching_step(&totp(secret, &actor.email)?, &code, now) else {
        return Err(wrong_code());
    };
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    store
        .write(Some(actor), async |w| {
            let row = user::Entity::find_by_id(actor.user_id)
                .one(w.txn())
                .await?
                .ok_or_else(|| StoreError::not_found("アカウント"))?;
            if two_step_secret::Entity::find()
                .filter(two_step_secret::Column::UserId.eq(actor.user_id))
                .one(w.txn())
                .await?
                .is_some()
            {
                return Err(StoreError::Conflict(
                    "二段階認証は既に設定されています。端末を替えるときは協議会事務局にリセットを依頼してください。"
                        .into(),
                ));
            }
            two_step_secret::ActiveModel {
                user_id: Set(actor.user_id),
                secret: Set(secret.to_owned()),
                enrolled_at: Set(now),
                last_step: Set(step),
                ..Default::default()
            }
            .insert(w.txn())
            .await?;
            for code in &codes {
                two_step_recovery_code::ActiveModel {
                    user_id: Set(actor.user_id),
                    code_sha256: Set(recovery_hash(code)),
                    used_at: Set(None),
                    ..Default::default()
                }
                .insert(w.txn())
                .await?;
            }
            w.audit(Audited::new(
                Action::TwoStepEnrol,
                Entity::User,
                row.email.clone(),
                row.organisation_id,
                format!(
                    "{} が二段階認証を設定（回復コード{RECOVERY_CODES}件を発行）",
                    row.email
                ),
            ));
            Ok(())
        })
        .await?;
    Ok(codes)
}

/// What got the person in at the second step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passed {
    /// The code of the app.
    Code,
    /// A recovery code, now used up; `left` remain.
    RecoveryCode { left: u64 },
}

/// Checks the second step of a sign-in of `user_id` (who gave the right password):
/// a six-digit code of the app, not used before, or an unused recovery code.
///
/// Refused with [`StoreError::RateLimited`] while locked: [`FAILURES_BEFORE_LOCK`]
/// wrong codes within [`LOCK_MINUTES`]; the wrong code that locks is answered so too.
/// A wrong code is `Invalid` on the field `code`. Good codes clear the count.
pub async fn check(
    store: &Store,
    user_id: i64,
    input: &str,
    client: &str,
) -> Result<Passed, StoreError> {
    let now = Utc::now();
    if let Some(until) = locked_until(store, user_id, now).await? {
        return Err(StoreError::RateLimited {
            retry_after_seconds: (until - now).num_seconds().max(1),
        });
    }
    let row = user::Entity::find_by_id(user_id)
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("アカウント"))?;
    let actor = Actor {
        user_id: row.id,
        email: row.email.clone(),
        role: Role::parse(&row.role).unwrap_or(Role::Company),
        organisation_id: row.organisation_id,
        company_id: row.company_id,
    };
    let Some(secret) = two_step_secret::Entity::find()
        .filter(two_step_secret::Column::UserId.eq(user_id))
        .one(&store.db)
        .await?
    else {
        // Reset by the secretariat since the password was given: nothing to ask.
        return Ok(Passed::Code);
    };
    let code = normalise(input);
    let passed = if is_six_digits(&code) {
        match matching_step(&totp(&secret.secret, &row.email)?, &code, now) {
            // Used once only: the step moves forward by a conditional UPDATE, so a
            // code seen over a shoulder, or sent twice at once, gets in once.
            Some(step) => two_step_secret::Entity::update_many()
                .col_expr(two_step_secret::Column::LastStep, Expr::value(step))
                .filter(two_step_secret::Column::Id.eq(secret.id))
                .filter(two_step_secret::Column::LastStep.lt(step))
                .exec(&store.db)
                .await?
                .rows_affected
                .eq(&1)
                .then_some(Passed::Code),
            None => None,
        }
    } else if code.is_empty() {
        return Err(Invalid::new("code", "確認コードを入力してください。").into());
    } else {
        use_recovery_code(store, &actor, &code, now).await?
    };
    match passed {
        Some(passed) => {
            two_step_failure::Entity::delete_many()
                .filter(two_step_failure::Column::UserId.eq(user_id))
                .exec(&store.db)
                .await?;
            Ok(passed)
        }
        None => Err(record_failure(store, &actor, row.organisation_id, client, now).await?),
    }
}

async fn use_recovery_code(
    store: &Store,
    actor: &Actor,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Option<Passed>, StoreError> {
    store
        .write(Some(actor), async |w| {
            let used = two_step_recovery_code::Entity::update_many()
                .col_expr(two_step_recovery_code::Column::UsedAt, Expr::value(now))
                .filter(two_step_recovery_code::Column::UserId.eq(actor.user_id))
                .filter(two_step_recovery_code::Column::CodeSha256.eq(recovery_hash(code)))
                .filter(two_step_recovery_code::Column::UsedAt.is_null())
                .exec(w.txn())
                .await?
                .rows_affected;
            if used != 1 {
                return Ok(None);
            }
            let left = two_step_recovery_code::Entity::find()
                .filter(two_step_recovery_code::Column::UserId.eq(actor.user_id))
                .filter(two_step_recovery_code::Column::UsedAt.is_null())
                .count(w.txn())
                .await?;
            w.audit(
                Audited::new(
                    Action::TwoStepRecovery,
                    Entity::User,
                    actor.email.clone(),
                    actor.organisation_id,
                    format!("{} が回復コードでログイン（残り{left}件）", actor.email),
                )
                .after(json!({"recovery_codes_left": left})),
            );
            Ok(Some(Passed::RecoveryCode { left }))
        })
        .await
}

/// Records a wrong code and its audit entry (and the lock's, when it is the one
/// that locks); returns the error to answer with.
async fn record_failure(
    store: &Store,
    actor: &Actor,
    organisation_id: Option<i64>,
    client: &str,
    now: DateTime<Utc>,
) -> Result<StoreError, StoreError> {
    // The failure and its audit entry are committed although the answer is an
    // error: the use case returns the error to answer with as its value.
    store
        .write(Some(actor), async |w| {
            two_step_failure::ActiveModel {
                user_id: Set(actor.user_id),
                client: Set(client.to_owned()),
                at: Set(now),
                ..Default::default()
            }
            .insert(w.txn())
            .await?;
            let recent = two_step_failure::Entity::find()
                .filter(two_step_failure::Column::UserId.eq(actor.user_id))
                .filter(two_step_failure::Column::At.gt(now - Duration::minutes(LOCK_MINUTES)))
                .count(w.txn())
                .await?;
            w.audit(
                Audited::new(
                    Action::TwoStepFailure,
                    Entity::User,
                    actor.email.clone(),
                    organisation_id,
                    format!(
                        "{} の二段階認証で誤った確認コード（{recent}回目、接続元 {}）",
                        actor.email,
                        if client.is_empty() { "不明" } else { client }
                    ),
                )
                .after(json!({"failures": recent, "client": client})),
            );
            let locked = recent >= FAILURES_BEFORE_LOCK;
            if locked {
                w.audit(
                    Audited::new(
                        Action::TwoStepLock,
                        Entity::User,
                        actor.email.clone(),
                        organisation_id,
                        format!(
                            "{} の二段階認証を{LOCK_MINUTES}分間停止（誤った確認コードが{recent}回）",
                            actor.email
                        ),
                    )
                    .after(json!({"minutes": LOCK_MINUTES})),
                );
            }
            Ok(if locked {
                StoreError::RateLimited {
                    retry_after_seconds: LOCK_MINUTES * 60,
                }
            } else {
                wrong_code()
            })
        })
        .await
}

/// When the lock ends, if the account is locked: the [`FAILURES_BEFORE_LOCK`]-th
/// most recent wrong code leaves the window then.
async fn locked_until(
    store: &Store,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(two_step_failure::Entity::find()
        .filter(two_step_failure::Column::UserId.eq(user_id))
        .filter(two_step_failure::Column::At.gt(now - Duration::minutes(LOCK_MINUTES)))
        .order_by_desc(two_step_failure::Column::At)
        .offset(FAILURES_BEFORE_LOCK - 1)
        .limit(1)
        .one(&store.db)
        .await?
        .map(|failure| failure.at + Duration::minutes(LOCK_MINUTES)))
}

/// The secretariat resets the two-step sign-in of an account whose owner lost the
/// device: the secret, the recovery codes and the lock are gone, the reason is in the
/// audit log. If two-step sign-in is required of the owner, they enrol again at their
/// next sign-in.
pub async fn reset(
    store: &Store,
    actor: &Actor,
    user_id: i64,
    reason: &str,
) -> Result<(), StoreError> {
    if !actor.is_secretariat() {
        return Err(StoreError::forbidden(
            "二段階認証のリセットは協議会事務局のみ行えます。",
        ));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Invalid::new(
            "reason",
            "リセットの理由（例: 端末の紛失を本人に電話で確認）を入力してください。",
        )
        .into());
    }
    if reason.chars().count() > 500 {
        return Err(Invalid::new("reason", "理由は500文字以内にしてください。").into());
    }
    store
        .write(Some(actor), async |w| {
            let row = user::Entity::find_by_id(user_id)
                .one(w.txn())
                .await?
                .ok_or_else(|| StoreError::not_found("アカウント"))?;
            let removed = two_step_secret::Entity::delete_many()
                .filter(two_step_secret::Column::UserId.eq(user_id))
                .exec(w.txn())
                .await?
                .rows_affected;
            if removed == 0 {
                return Err(StoreError::Conflict(format!(
                    "{} は二段階認証を設定していません。",
                    row.email
                )));
            }
            two_step_recovery_code::Entity::delete_many()
                .filter(two_step_recovery_code::Column::UserId.eq(user_id))
                .exec(w.txn())
                .await?;
            two_step_failure::Entity::delete_many()
                .filter(two_step_failure::Column::UserId.eq(user_id))
                .exec(w.txn())
                .await?;
            w.audit(
                Audited::new(
                    Action::TwoStepReset,
                    Entity::User,
                    row.email.clone(),
                    row.organisation_id,
                    format!("{} の二段階認証をリセット（理由: {reason}）", row.email),
                )
                .after(json!({"reason": reason})),
            );
            Ok(())
        })
        .await
}

/// An organisation's setting, as the pages show it.
#[derive(Debug, Clone)]
pub struct OrganisationSetting {
    pub key: String,
    pub name: String,
    pub required: bool,
}

/// Every organisation with its setting (the secretariat's page).
pub async fn organisation_settings(
    store: &Store,
    actor: &Actor,
) -> Result<Vec<OrganisationSetting>, StoreError> {
    if !actor.is_secretariat() {
        return Err(StoreError::forbidden(
            "全団体の設定は協議会事務局のみ閲覧できます。",
        ));
    }
    Ok(organisation::Entity::find()
        .order_by_asc(organisation::Column::SortOrder)
        .order_by_asc(organisation::Column::Id)
        .all(&store.db)
        .await?
        .into_iter()
        .map(|o| OrganisationSetting {
            key: o.key,
            name: o.name,
            required: o.two_step_required,
        })
        .collect())
}

/// Switches the organisation's requirement on or off: its own staff or the
/// secretariat.
pub async fn set_required(
    store: &Store,
    actor: &Actor,
    organisation_key: &str,
    required: bool,
) -> Result<OrganisationSetting, StoreError> {
    store
        .write(Some(actor), async |w| {
            let row = organisation::Entity::find()
                .filter(organisation::Column::Key.eq(organisation_key))
                .one(w.txn())
                .await?
                .ok_or_else(|| StoreError::not_found(format!("団体「{organisation_key}」")))?;
            let own_staff = actor.role == Role::Staff && actor.organisation_id == Some(row.id);
            if !(own_staff || actor.is_secretariat()) {
                return Err(StoreError::forbidden(
                    "二段階認証の必須設定を変えられるのは、その団体の職員と協議会事務局のみです。",
                ));
            }
            if row.two_step_required != required {
                organisation::ActiveModel {
                    id: Set(row.id),
                    two_step_required: Set(required),
                    ..Default::default()
                }
                .update(w.txn())
                .await?;
                w.audit(
                    Audited::new(
                        Action::TwoStepSetting,
                        Entity::Organisation,
                        row.key.clone(),
                        Some(row.id),
                        format!(
                            "{} の職員の二段階認証を{}",
                            row.name,
                            if required {
                                "必須に変更"
                            } else {
                                "任意に変更"
                            }
                        ),
                    )
                    .before(json!({"two_step_required": row.two_step_required}))
                    .after(json!({"two_step_required": required})),
                );
            }
            Ok(OrganisationSetting {
                key: row.key,
                name: row.name,
                required,
            })
        })
        .await
}

/// The current code of `secret` (the CLI and tests of the store; the web tests
/// compute theirs with `totp-rs` on their own).
pub fn current_code(secret: &str, email: &str) -> Result<String, StoreError> {
    let now = u64::try_from(Utc::now().timestamp()).unwrap_or_default();
    Ok(totp(secret, email)?.generate(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_160_bits_of_base32_and_differ() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        assert_ne!(secret, new_secret());
        let url = enrolment_url(&secret, "staff@ota.example.jp").unwrap();
        assert!(
            url.starts_with("otpauth://totp/renkei:staff%40ota.example.jp?"),
            "{url}"
        );
        assert!(url.contains(&format!("secret={secret}")), "{url}");
    }

    #[test]
    fn a_code_matches_its_step_and_the_steps_beside_it_only() {
        let secret = new_secret();
        let totp = totp(&secret, "a@b.jp").unwrap();
        let now = Utc::now();
        let at = |offset: i64| totp.generate(u64::try_from(now.timestamp() + offset).unwrap());
        let step = now.timestamp() / 30;
        assert_eq!(matching_step(&totp, &at(0), now), Some(step));
        assert_eq!(matching_step(&totp, &at(30), now), Some(step + 1));
        assert_eq!(matching_step(&totp, &at(-30), now), Some(step - 1));
        // RFC 6238 appendix B, SHA-1, T = 59: 94287082 (eight digits; six here).
        let rfc = TOTP::new_unchecked(
            Algorithm::SHA1,
            8,
            1,
            30,
            b"12345678901234567890".to_vec(),
            None,
            String::new(),
        );
        assert_eq!(rfc.generate(59), "94287082");
    }

    #[test]
    fn recovery_codes_are_four_groups_and_typed_in_any_case_or_width() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 19);
        assert_eq!(code.matches('-').count(), 3);
        assert_ne!(code, new_recovery_code());
        let shouted = code.to_uppercase().replace('-', " ");
        assert_eq!(recovery_hash(&shouted), recovery_hash(&code));
        assert_eq!(normalise("１２３ ４５６"), "123456");
    }
}
