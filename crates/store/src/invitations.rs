//! Invitations: staff invite a member of a company they look after, or a colleague
//! of their own organisation, by e-mail; the secretariat may invite anyone. The
//! invitee opens the mailed link, chooses a name and a password, and has an account
//! with the role, organisation and company the invitation fixed.
//!
//! Who may invite whom follows who may edit what: a company member edits the
//! company's profile, so only those who may edit the company (its organisation's
//! staff, the secretariat) may make one. An invitation is valid
//! [`INVITATION_DAYS`] days, works once, and can be revoked while pending; only the
//! SHA-256 of its token is stored ([`crate::tokens`]).

use chrono::{DateTime, Duration, Utc};
use domain::{Actor, Invalid, Role};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::accounts::{self, User};
use crate::entity::{company, invitation, user};
use crate::organisations::{self, Organisation};
use crate::outbox::{Outgoing, PUBLIC_URL};
use crate::tokens::{self, Unusable};
use crate::write::{Action, Audited, Entity};
use crate::{Store, StoreError};

/// How long an invitation works.
pub const INVITATION_DAYS: i64 = 7;
/// The most invitations a list shows (the newest).
pub const LIST_LIMIT: u64 = 1000;

/// What staff type to invite someone.
#[derive(Debug, Clone, Default)]
pub struct InvitationInput {
    pub email: String,
    /// The invitee's name, if known (they may change it when accepting).
    pub display_name: String,
    /// `company`, `staff` or `secretariat`.
    pub role: String,
    /// For staff and secretariat: the organisation's key or name (staff may leave it
    /// empty for their own).
    pub organisation: String,
    /// For company members: the company's key or 法人番号.
    pub company: String,
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Revoked,
    Expired,
}

impl InvitationStatus {
    pub fn label(self) -> &'static str {
        match self {
            InvitationStatus::Pending => "未使用（有効）",
            InvitationStatus::Accepted => "登録済み",
            InvitationStatus::Revoked => "取消済み",
            InvitationStatus::Expired => "期限切れ",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            InvitationStatus::Pending => "pending",
            InvitationStatus::Accepted => "accepted",
            InvitationStatus::Revoked => "revoked",
            InvitationStatus::Expired => "expired",
        }
    }
}

/// An invitation as staff and the invitee see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub company_key: Option<String>,
    pub company_name: Option<String>,
    /// The e-mail of the staff member who invited (empty if the account is gone).
    pub invited_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub status: InvitationStatus,
}

fn status_of(row: &invitation::Model, now: DateTime<Utc>) -> InvitationStatus {
    if row.accepted_at.is_some() {
        InvitationStatus::Accepted
    } else if row.revoked_at.is_some() {
        InvitationStatus::Revoked
    } else if row.expires_at <= now {
        InvitationStatus::Expired
    } else {
        InvitationStatus::Pending
    }
}

/// Rows as invitations, with the names of their organisations, companies and
/// inviters (three queries for any number of rows).
async fn to_invitations(
    db: &impl ConnectionTrait,
    store: &Store,
    rows: Vec<invitation::Model>,
) -> Result<Vec<Invitation>, StoreError> {
    let directory = organisations::directory(store).await?;
    let company_ids: Vec<i64> = rows.iter().filter_map(|r| r.company_id).collect();
    let companies = if company_ids.is_empty() {
        Vec::new()
    } else {
        company::Entity::find()
            .filter(company::Column::Id.is_in(company_ids))
            .all(db)
            .await?
    };
    let inviter_ids: Vec<i64> = rows.iter().filter_map(|r| r.invited_by).collect();
    let inviters = if inviter_ids.is_empty() {
        Vec::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(inviter_ids))
            .all(db)
            .await?
    };
    let now = Utc::now();
    Ok(rows
        .into_iter()
        .map(|row| {
            let company = row
                .company_id
                .and_then(|id| companies.iter().find(|c| c.id == id));
            Invitation {
                id: row.id,
                status: status_of(&row, now),
                email: row.email,
                display_name: row.display_name,
                role: Role::parse(&row.role).unwrap_or(Role::Company),
                organisation_id: row.organisation_id,
                organisation_name: directory
                    .organisation(row.organisation_id)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                company_key: company.map(|c| c.key.clone()),
                company_name: company.map(|c| c.name.clone()),
                invited_by: row
                    .invited_by
                    .and_then(|id| inviters.iter().find(|u| u.id == id))
                    .map(|u| u.email.clone())
                    .unwrap_or_default(),
                created_at: row.created_at,
                expires_at: row.expires_at,
                accepted_at: row.accepted_at,
                revoked_at: row.revoked_at,
            }
        })
        .collect())
}

/// A person's name: one line (a line break in a name would be a line break in the
/// mail's `To:` header), at most 100 characters.
fn person_name(field: &str, input: &str, required: bool) -> Result<String, Invalid> {
    if input.contains(['\r', '\n']) {
        return Err(Invalid::new(field, "氏名に改行は使えません。"));
    }
    if required {
        domain::text::required_line(field, input, 100)
    } else {
        domain::text::optional_text(field, input, 100)
    }
}

/// The organisation whose staff keep invitations: the actor's, for staff.
fn staff_scope(actor: &Actor) -> Result<Option<i64>, StoreError> {
    match actor.role {
        Role::Secretariat => Ok(None),
        Role::Staff => actor
            .organisation_id
            .map(Some)
            .ok_or_else(|| StoreError::forbidden("所属団体のないアカウントは招待を扱えません。")),
        Role::Company | Role::Individual => Err(StoreError::forbidden(
            "招待を送れるのは市区・商工会議所の職員と協議会事務局のみです。",
        )),
    }
}

/// What an invitation will make, checked against who sends it.
struct Checked {
    email: String,
    display_name: String,
    role: Role,
    organisation: Organisation,
    company: Option<company::Model>,
}

async fn check(
    store: &Store,
    actor: &Actor,
    input: &InvitationInput,
) -> Result<Checked, StoreError> {
    let own = staff_scope(actor)?;
    let mut errors = Vec::new();
    let email = accounts::parse_email(&input.email)
        .map_err(|e| errors.push(e))
        .ok();
    let display_name = person_name("display_name", &input.display_name, false)
        .map_err(|e| errors.push(e))
        .ok();
    // Individuals sign up on their own (with their keeping city's approval).
    let role = Role::parse(&input.role).filter(|r| *r != Role::Individual);
    if role.is_none() {
        errors.push(Invalid::new(
            "role",
            "招待する権限を「企業会員」「職員」「協議会事務局」から選んでください。",
        ));
    }
    let directory = organisations::directory(store).await?;
    let mut company = None;
    let mut organisation = None;
    match (role, input.company.trim()) {
        (Some(Role::Company), "") => errors.push(Invalid::new(
            "company",
            "企業会員を招待するには、企業（企業IDまたは法人番号）を指定してください。",
        )),
        (Some(Role::Company), key) => {
            let key = domain::text::narrow_ascii(key);
            match company::Entity::find()
                .filter(
                    Condition::any()
                        .add(company::Column::Key.eq(key.as_str()))
                        .add(company::Column::CorporateNumber.eq(key.as_str())),
                )
                .one(&store.db)
                .await?
            {
                Some(found) => {
                    organisation = directory.organisation(found.owner_organisation_id).cloned();
                    company = Some(found);
                }
                None => errors.push(Invalid::new(
                    "company",
                    format!("企業「{key}」は企業ディレクトリに登録されていません。"),
                )),
            }
        }
        (Some(_), key) if !key.is_empty() => errors.push(Invalid::new(
            "company",
            "企業を指定できるのは企業会員を招待するときのみです。",
        )),
        (_, _) => {
            let wanted = input.organisation.trim();
            organisation = match (wanted, own) {
                ("", Some(own)) => directory.organisation(own).cloned(),
                ("", None) => {
                    errors.push(Invalid::new(
                        "organisation",
                        "招待する人の所属団体を選んでください。",
                    ));
                    None
                }
                (wanted, _) => {
                    let found = directory.find_organisation(wanted).cloned();
                    if found.is_none() {
                        errors.push(Invalid::new(
                            "organisation",
                            format!("団体「{wanted}」は登録されていません。"),
                        ));
                    }
                    found
                }
            };
        }
    }
    let (Some(email), Some(display_name), Some(role), Some(organisation), true) =
        (email, display_name, role, organisation, errors.is_empty())
    else {
        return Err(StoreError::Invalid(errors));
    };
    // Who may invite whom: the secretariat anyone; staff their own colleagues and
    // the members of the companies they look after.
    match (role, own) {
        (_, None) => {}
        (Role::Secretariat, Some(_)) => {
            return Err(StoreError::forbidden(
                "協議会事務局のアカウントに招待できるのは協議会事務局のみです。",
            ));
        }
        (Role::Staff, Some(own)) if organisation.id != own => {
            return Err(StoreError::forbidden(format!(
                "{}の職員を招待できるのは、{}の職員または協議会事務局です。招待できるのはご自身の団体の職員のみです。",
                organisation.name, organisation.name
            )));
        }
        (Role::Company, Some(_)) => {
            if let Some(found) = &company
                && !actor.may_edit_company(found.id, found.owner_organisation_id)
            {
                return Err(StoreError::forbidden(format!(
                    "「{}」は{}が担当する企業のため、そのメンバーを招待できるのは{}の職員または協議会事務局です。",
                    found.name, organisation.name, organisation.name
                )));
            }
        }
        _ => {}
    }
    if role == Role::Secretariat && organisation.kind != "council" {
        return Err(Invalid::new(
            "organisation",
            "協議会事務局として招待できるのは、協議会に所属する人のみです。",
        )
        .into());
    }
    Ok(Checked {
        email,
        display_name,
        role,
        organisation,
        company,
    })
}

/// A pending invitation of `email`, if there is one.
async fn pending_for(
    db: &impl ConnectionTrait,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Option<invitation::Model>, StoreError> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::Email.eq(email))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .one(db)
        .await?)
}

/// Invites someone: checks who may invite whom, refuses an address that has an
/// account or a pending invitation, and queues the mail with the link in the same
/// transaction as the invitation.
pub async fn invite(
    store: &Store,
    actor: &Actor,
    input: &InvitationInput,
) -> Result<Invitation, StoreError> {
    let checked = check(store, actor, input).await?;
    let inviter = accounts::user_by_id(store, actor.user_id).await?;
    let row = store
        .write(Some(actor), async |w| {
            let now = Utc::now();
            if user::Entity::find()
                .filter(user::Column::Email.eq(&checked.email))
                .one(w.txn())
                .await?
                .is_some()
            {
                return Err(Invalid::new(
                    "email",
                    format!(
                        "{} のアカウントは既にあります。招待は不要です（パスワードを忘れた場合は、ログイン画面の「パスワードを忘れた方」から再設定できます）。",
                        checked.email
                    ),
                )
                .into());
            }
            if let Some(pending) = pending_for(w.txn(), &checked.email, now).await? {
                return Err(Invalid::new(
                    "email",
                    format!(
                        "{} には有効な招待（{}まで）が既にあります。送り直すときは、一覧でその招待を取り消してから招待してください。",
                        checked.email,
                        tokyo(pending.expires_at)
                    ),
                )
                .into());
            }
            let token = tokens::new_token();
            let row = invitation::ActiveModel {
                token_sha256: Set(token.hash.clone()),
                email: Set(checked.email.clone()),
                display_name: Set(checked.display_name.clone()),
                role: Set(checked.role.code().to_owned()),
                organisation_id: Set(checked.organisation.id),
                company_id: Set(checked.company.as_ref().map(|c| c.id)),
                invited_by: Set(Some(actor.user_id).filter(|id| *id > 0)),
                created_at: Set(now),
                expires_at: Set(now + Duration::days(INVITATION_DAYS)),
                accepted_at: Set(None),
                revoked_at: Set(None),
                user_id: Set(None),
                ..Default::default()
            }
            .insert(w.txn())
            .await?;
            w.audit(Audited::new(
                Action::Invite,
                Entity::Invitation,
                row.id.to_string(),
                Some(checked.organisation.id),
                format!(
                    "{} を{}（{}{}）として招待（{}日間有効）",
                    checked.email,
                    checked.role.label(),
                    checked.organisation.name,
                    checked
                        .company
                        .as_ref()
                        .map(|c| format!("・{}", c.name))
                        .unwrap_or_default(),
                    INVITATION_DAYS
                ),
            ));
            w.send(invitation_mail(&checked, inviter.as_ref(), &row, &token.raw));
            Ok(row)
        })
        .await?;
    Ok(to_invitations(&store.db, store, vec![row]).await?.remove(0))
}

fn tokyo(at: DateTime<Utc>) -> String {
    domain::time::in_japan(at)
        .format("%Y年%-m月%-d日 %-H:%M")
        .to_string()
}

fn invitation_mail(
    checked: &Checked,
    inviter: Option<&User>,
    row: &invitation::Model,
    raw_token: &str,
) -> Outgoing {
    let (inviter_organisation, inviter_name) = match inviter {
        Some(u) => (
            if u.organisation_name.is_empty() {
                crate::recovery::COUNCIL_SENDER.to_owned()
            } else {
                u.organisation_name.clone()
            },
            if u.display_name.is_empty() {
                u.email.clone()
            } else {
                u.display_name.clone()
            },
        ),
        None => (
            crate::recovery::COUNCIL_SENDER.to_owned(),
            "協議会事務局".to_owned(),
        ),
    };
    let greeting = if checked.display_name.is_empty() {
        "ご担当者".to_owned()
    } else {
        checked.display_name.clone()
    };
    let place = match &checked.company {
        Some(c) => format!("企業：{}（担当：{}）", c.name, checked.organisation.name),
        None => format!("所属：{}", checked.organisation.name),
    };
    let body = format!(
        "{greeting} 様\n\n\
         {inviter_organisation}の{inviter_name}さんから、renkei（中小企業都市連絡協議会 連携プラットフォーム）への招待が届いています。\n\n\
         {place}\n権限：{}\nメールアドレス：{}\n\n\
         次のリンクを開き、お名前とパスワード（{}文字以上）を設定すると登録が完了し、そのままログインできます。\n\
         リンクの有効期限は{}（{INVITATION_DAYS}日間）で、1回だけ使えます。\n\n\
         {PUBLIC_URL}/invitations/accept/{raw_token}\n\n\
         期限が過ぎた場合は、招待した方に招待の送り直しを依頼してください。\n\
         お心当たりがない場合は、このメールを破棄してください。",
        checked.role.label(),
        checked.email,
        accounts::PASSWORD_MIN_CHARS,
        tokyo(row.expires_at),
    );
    Outgoing::new(
        Some(checked.organisation.id),
        &inviter_organisation,
        &checked.display_name,
        &checked.email,
        &format!("【renkei】{inviter_organisation}からの招待：アカウントの登録"),
        &body,
        &format!(
            "このメールは、{inviter_organisation}の職員がこのメールアドレスをrenkeiに招待したためお送りしています。"
        ),
    )
}

/// The invitations the actor keeps, newest first: the secretariat's all, staff
/// their organisation's; company members none.
pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<Invitation>, StoreError> {
    let scope = staff_scope(actor)?;
    let mut query = invitation::Entity::find();
    if let Some(organisation) = scope {
        query = query.filter(invitation::Column::OrganisationId.eq(organisation));
    }
    let rows = query
        .order_by_desc(invitation::Column::Id)
        .limit(LIST_LIMIT)
        .all(&store.db)
        .await?;
    to_invitations(&store.db, store, rows).await
}

/// Withdraws a pending invitation: its link stops working at once. Staff revoke
/// their organisation's invitations; another organisation's are not found.
pub async fn revoke(store: &Store, actor: &Actor, id: i64) -> Result<Invitation, StoreError> {
    let scope = staff_scope(actor)?;
    let row = store
        .write(Some(actor), async |w| {
            let row = invitation::Entity::find_by_id(id)
                .one(w.txn())
                .await?
                .filter(|row| scope.is_none_or(|own| row.organisation_id == own))
                .ok_or_else(|| StoreError::not_found("招待"))?;
            let now = Utc::now();
            match status_of(&row, now) {
                InvitationStatus::Pending => {}
                InvitationStatus::Accepted => {
                    return Err(StoreError::Conflict(format!(
                        "{} は招待を受けて既に登録しています。取り消せません。",
                        row.email
                    )));
                }
                InvitationStatus::Revoked => {
                    return Err(StoreError::Conflict(
                        "この招待は既に取り消されています。".into(),
                    ));
                }
                InvitationStatus::Expired => {
                    return Err(StoreError::Conflict(
                        "この招待は期限切れのため、既に使えません。".into(),
                    ));
                }
            }
            let updated = invitation::ActiveModel {
                id: Set(row.id),
                revoked_at: Set(Some(now)),
                ..Default::default()
            }
            .update(w.txn())
            .await?;
            w.audit(Audited::new(
                Action::Revoke,
                Entity::Invitation,
                row.id.to_string(),
                Some(row.organisation_id),
                format!("{} への招待を取り消し", row.email),
            ));
            Ok(updated)
        })
        .await?;
    Ok(to_invitations(&store.db, store, vec![row]).await?.remove(0))
}

fn unusable(status: InvitationStatus) -> Option<Unusable> {
    match status {
        InvitationStatus::Pending => None,
        InvitationStatus::Accepted => Some(Unusable::Used),
        InvitationStatus::Revoked => Some(Unusable::Revoked),
        InvitationStatus::Expired => Some(Unusable::Expired),
    }
}

async fn row_by_token(
    db: &impl ConnectionTrait,
    raw_token: &str,
) -> Result<Option<invitation::Model>, StoreError> {
    if !tokens::looks_like_token(raw_token) {
        return Ok(None);
    }
    Ok(invitation::Entity::find()
        .filter(invitation::Column::TokenSha256.eq(tokens::hash(raw_token)))
        .one(db)
        .await?)
}

/// The invitation behind a link, for its page, or why the link no longer works.
pub async fn by_token(
    store: &Store,
    raw_token: &str,
) -> Result<Result<Invitation, Unusable>, StoreError> {
    let Some(row) = row_by_token(&store.db, raw_token).await? else {
        return Ok(Err(Unusable::Unknown));
    };
    if let Some(reason) = unusable(status_of(&row, Utc::now())) {
        return Ok(Err(reason));
    }
    Ok(Ok(to_invitations(&store.db, store, vec![row])
        .await?
        .remove(0)))
}

/// Accepts an invitation: the account is made with the invitation's role,
/// organisation and company, the name and password the invitee chose, and the
/// invitation is used up. A link that no longer works is said so first; a name or
/// password that breaks the rules is [`StoreError::Invalid`] and uses nothing up.
pub async fn accept(
    store: &Store,
    raw_token: &str,
    display_name: &str,
    password: &str,
) -> Result<Result<User, Unusable>, StoreError> {
    let Some(row) = row_by_token(&store.db, raw_token).await? else {
        return Ok(Err(Unusable::Unknown));
    };
    if let Some(reason) = unusable(status_of(&row, Utc::now())) {
        return Ok(Err(reason));
    }
    let mut errors = Vec::new();
    let name = person_name("display_name", display_name, true)
        .map_err(|e| errors.push(e))
        .ok();
    if let Err(error) = accounts::check_new_password(password) {
        errors.push(Invalid::new("password", error.reason));
    }
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        return Err(StoreError::Invalid(errors));
    };
    let password_hash = accounts::hash(password)?;
    let made = store
        .write(None, async |w| {
            let now = Utc::now();
            // Used once even when the form is sent twice at the same moment.
            let claimed = invitation::Entity::update_many()
                .col_expr(
                    invitation::Column::AcceptedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(invitation::Column::Id.eq(row.id))
                .filter(invitation::Column::AcceptedAt.is_null())
                .filter(invitation::Column::RevokedAt.is_null())
                .filter(invitation::Column::ExpiresAt.gt(now))
                .exec(w.txn())
                .await?;
            if claimed.rows_affected != 1 {
                let again = invitation::Entity::find_by_id(row.id).one(w.txn()).await?;
                return Ok(Err(again
                    .and_then(|r| unusable(status_of(&r, now)))
                    .unwrap_or(Unusable::Used)));
            }
            if user::Entity::find()
                .filter(user::Column::Email.eq(&row.email))
                .one(w.txn())
                .await?
                .is_some()
            {
                return Err(StoreError::Conflict(format!(
                    "{} のアカウントは既にあります。ログイン画面からログインしてください（パスワードを忘れた場合は「パスワードを忘れた方」から再設定できます）。",
                    row.email
                )));
            }
            let account = user::ActiveModel {
                email: Set(row.email.clone()),
                display_name: Set(name.clone()),
                password_hash: Set(password_hash),
                role: Set(row.role.clone()),
                organisation_id: Set(Some(row.organisation_id)),
                company_id: Set(row.company_id),
                must_change_password: Set(false),
                created_at: Set(now),
                session_generation: Set(0),
                ..Default::default()
            }
            .insert(w.txn())
            .await?;
            invitation::ActiveModel {
                id: Set(row.id),
                user_id: Set(Some(account.id)),
                ..Default::default()
            }
            .update(w.txn())
            .await?;
            w.audit(Audited::new(
                Action::Accept,
                Entity::Invitation,
                row.id.to_string(),
                Some(row.organisation_id),
                format!(
                    "{} が招待を受けてアカウントを登録（{}）",
                    row.email,
                    Role::parse(&row.role).map_or("", Role::label)
                ),
            ));
            Ok(Ok(account))
        })
        .await?;
    match made {
        Ok(account) => Ok(Ok(accounts::to_user(store, account).await?)),
        Err(reason) => Ok(Err(reason)),
    }
}
