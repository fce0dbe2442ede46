//! Accounts people make themselves (issue 15 §5).
//!
//! A company's member registers by the company's 法人番号: the company must be in the
//! directory (the seven cities' companies), its name and address are shown from
//! there; the person gives their name, e-mail and password, confirms the e-mail
//! through a mailed link, and the staff of the organisation keeping the company
//! approve (an account of that company is made) or refuse with a reason; either
//! outcome is mailed. An individual (student, job seeker, designer, successor
//! candidate, expert) signs up, choosing the city whose office keeps their profile;
//! confirming the e-mail makes the account. Their profile in the people register is
//! theirs to write and public only once the keeping office approves it.
//!
//! Confirmation links carry a random token; the database keeps only its SHA-256,
//! cleared when used, so a link works once and for [`CONFIRM_HOURS`]. The answer to
//! a request never says whether an address has an account or an open request: the
//! mail to that address does (no account enumeration), at most once an hour.
//!
//! Every step writes through [`Store::write`]: the change, its audit entry (without
//! personal data) and the mail it causes are committed together.

use chrono::{DateTime, Duration, Utc};
use domain::directory::PersonKind;
use domain::text::{optional_text, required_line};
use domain::{Actor, CorporateNumber, Invalid, Role};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use crate::accounts::{check_new_password, hash, parse_email};
use crate::entity::{company, mail_message, person, signup_request, user};
use crate::error::{UniqueConstraint, on_constraint};
use crate::organisations::{self, Directory, Organisation};
use crate::outbox::{Outgoing, PUBLIC_URL};
use crate::people::{self, PersonInput};
use crate::write::{Action, Audited, Entity, Writing};
use crate::{Store, StoreError};

/// How long a confirmation link works.
pub const CONFIRM_HOURS: i64 = 24;

/// How often at most an address is told that it already has an account or an open
/// request, however often someone types it.
const NOTICE_EVERY_MINUTES: i64 = 60;

/// Whom a request makes an account for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupKind {
    /// A member of a company of the directory (approved by its keeper's staff).
    Company,
    /// A person on their own (the account is made when the e-mail is confirmed).
    Individual,
}

impl SignupKind {
    pub fn code(self) -> &'static str {
        match self {
            SignupKind::Company => "company",
            SignupKind::Individual => "individual",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SignupKind::Company => "企業会員",
            SignupKind::Individual => "個人",
        }
    }

    fn parse(code: &str) -> SignupKind {
        if code == "company" {
            SignupKind::Company
        } else {
            SignupKind::Individual
        }
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupStatus {
    Unconfirmed,
    Pending,
    Approved,
    Refused,
    Expired,
}

impl SignupStatus {
    pub const ALL: [SignupStatus; 5] = [
        SignupStatus::Unconfirmed,
        SignupStatus::Pending,
        SignupStatus::Approved,
        SignupStatus::Refused,
        SignupStatus::Expired,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SignupStatus::Unconfirmed => "unconfirmed",
            SignupStatus::Pending => "pending",
            SignupStatus::Approved => "approved",
            SignupStatus::Refused => "refused",
            SignupStatus::Expired => "expired",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SignupStatus::Unconfirmed => "メール確認待ち",
            SignupStatus::Pending => "審査待ち",
            SignupStatus::Approved => "承認済み",
            SignupStatus::Refused => "不承認",
            SignupStatus::Expired => "期限切れ",
        }
    }

    pub fn parse(code: &str) -> Option<SignupStatus> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A company of the directory as the registration page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownCompany {
    pub id: i64,
    pub key: String,
    pub corporate_number: String,
    pub name: String,
    pub address: String,
    pub city: String,
    /// The organisation whose staff decide (the company's keeper).
    pub keeper: Organisation,
}

/// What a company's member types.
#[derive(Debug, Clone, Default)]
pub struct CompanySignup {
    pub corporate_number: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub password_confirm: String,
}

/// What an individual types.
#[derive(Debug, Clone, Default)]
pub struct IndividualSignup {
    pub kind: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub password_confirm: String,
    /// The city whose office keeps the profile (a city key, `ota`).
    pub city: String,
}

/// A request as staff (and tests) see it.
#[derive(Debug, Clone, PartialEq)]
pub struct SignupRequest {
    pub id: i64,
    pub kind: SignupKind,
    pub status: SignupStatus,
    pub email: String,
    pub name: String,
    pub company: Option<KnownCompany>,
    pub organisation: Organisation,
    pub person_kind: Option<PersonKind>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// What confirming an address did.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirmed {
    /// The company's request now waits for the keeper's staff.
    Company { company: String, keeper: String },
    /// The individual's account exists; they may sign in.
    Individual { keeper: String },
}

/// One open request per address (migration 0016), for two requests at once.
const ONE_OPEN_PER_EMAIL: &[UniqueConstraint] = &[UniqueConstraint {
    name: "signup_requests_one_open_per_email",
    table: "signup_requests",
    columns: &["email"],
    field: "email",
    message: "このメールアドレスでは既に利用登録の申請を受け付けています。お送りしたメールをご確認ください。",
}];

fn known_company(directory: &Directory, row: &company::Model) -> Option<KnownCompany> {
    Some(KnownCompany {
        id: row.id,
        key: row.key.clone(),
        corporate_number: row.corporate_number.clone()?,
        name: row.name.clone(),
        address: row.address.clone(),
        city: row
            .city_id
            .and_then(|id| directory.cities.iter().find(|c| c.id == id))
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        keeper: directory.organisation(row.owner_organisation_id)?.clone(),
    })
}

/// The directory's company with this 法人番号 (check digit verified first). Name and
/// address are what the National Tax Agency publishes for every number anyway.
pub async fn company_by_number(store: &Store, input: &str) -> Result<KnownCompany, StoreError> {
    let number = CorporateNumber::parse(input)?;
    let unknown = || {
        Invalid::new(
            "corporate_number",
            format!(
                "法人番号「{}」の企業は、企業ディレクトリ（7市区の企業）に登録されていません。番号を確かめるか、所在地の市区の担当窓口にご相談ください。",
                input.trim()
            ),
        )
    };
    let row = company::Entity::find()
        .filter(company::Column::CorporateNumber.eq(number.as_str()))
        .one(&store.db)
        .await?
        .ok_or_else(unknown)?;
    if row.closed_on.is_some() {
        return Err(Invalid::new(
            "corporate_number",
            "この法人は登記記録が閉鎖されているため、利用登録できません。",
        )
        .into());
    }
    let directory = organisations::directory(store).await?;
    Ok(known_company(&directory, &row).ok_or_else(unknown)?)
}

/// Name, e-mail and password (typed twice) of either kind of request: every error.
fn check_person(
    errors: &mut Vec<Invalid>,
    name: &str,
    email: &str,
    password: &str,
    confirm: &str,
) -> (String, String) {
    let name = required_line("name", name, 100).unwrap_or_else(|e| {
        errors.push(e);
        String::new()
    });
    let email = parse_email(email).unwrap_or_else(|e| {
        errors.push(e);
        String::new()
    });
    if let Err(mut e) = check_new_password(password) {
        e.field = "password".into();
        errors.push(e);
    } else if password != confirm {
        errors.push(Invalid::new(
            "password_confirm",
            "確認のために入力したパスワードが一致しません。",
        ));
    }
    (name, email)
}

/// Asks for a company membership. The answer is the same whether or not the address
/// has an account or an open request (see the module's doc).
pub async fn request_company(store: &Store, input: &CompanySignup) -> Result<(), StoreError> {
    let mut errors = Vec::new();
    let company = match company_by_number(store, &input.corporate_number).await {
        Ok(company) => Some(company),
        Err(StoreError::Invalid(mut found)) => {
            errors.append(&mut found);
            None
        }
        Err(other) => return Err(other),
    };
    let (name, email) = check_person(
        &mut errors,
        &input.name,
        &input.email,
        &input.password,
        &input.password_confirm,
    );
    let Some(company) = company.filter(|_| errors.is_empty()) else {
        return Err(StoreError::Invalid(errors));
    };
    let password_hash = hash(&input.password)?;
    let new = NewRequest {
        kind: SignupKind::Company,
        name,
        email,
        password_hash,
        company: Some(company.clone()),
        keeper: company.keeper.clone(),
        person_kind: None,
    };
    open_request(store, new).await
}

/// Signs an individual up; the account is made when the e-mail is confirmed.
pub async fn request_individual(store: &Store, input: &IndividualSignup) -> Result<(), StoreError> {
    let directory = organisations::directory(store).await?;
    let mut errors = Vec::new();
    let kind = PersonKind::parse(&input.kind);
    if kind.is_none() {
        errors.push(Invalid::new(
            "kind",
            "あなたに当てはまるものを一覧から選んでください。",
        ));
    }
    let keeper = directory
        .city_by_key(input.city.trim())
        .and_then(|city| {
            directory
                .organisations
                .iter()
                .find(|o| o.kind == "city" && o.city.as_ref().is_some_and(|c| c.id == city.id))
        })
        .cloned();
    if keeper.is_none() {
        errors.push(Invalid::new(
            "city",
            "登録する市区を一覧から選んでください。",
        ));
    }
    let (name, email) = check_person(
        &mut errors,
        &input.name,
        &input.email,
        &input.password,
        &input.password_confirm,
    );
    let (Some(kind), Some(keeper)) = (kind, keeper) else {
        return Err(StoreError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let new = NewRequest {
        kind: SignupKind::Individual,
        name,
        email,
        password_hash: hash(&input.password)?,
        company: None,
        keeper,
        person_kind: Some(kind),
    };
    open_request(store, new).await
}

struct NewRequest {
    kind: SignupKind,
    name: String,
    email: String,
    password_hash: String,
    company: Option<KnownCompany>,
    keeper: Organisation,
    person_kind: Option<PersonKind>,
}

/// Why an address is not sent a confirmation link.
enum Taken {
    Account,
    OpenRequest,
}

async fn open_request(store: &Store, new: NewRequest) -> Result<(), StoreError> {
    store
        .write(None, async |w| {
            let now = Utc::now();
            expire_stale(w.txn(), &new.email, now).await?;
            let taken = if user::Entity::find()
                .filter(user::Column::Email.eq(&new.email))
                .one(w.txn())
                .await?
                .is_some()
            {
                Some(Taken::Account)
            } else if signup_request::Entity::find()
                .filter(signup_request::Column::Email.eq(&new.email))
                .filter(open())
                .one(w.txn())
                .await?
                .is_some()
            {
                Some(Taken::OpenRequest)
            } else {
                None
            };
            if let Some(taken) = taken {
                let notice = taken_notice(&new, &taken);
                if !noticed_recently(w.txn(), &new.email, &notice.subject, now).await? {
                    w.send(notice);
                }
                return Ok(());
            }
            let token = crate::tokens::new_token();
            let row = signup_request::ActiveModel {
                kind: Set(new.kind.code().to_owned()),
                status: Set(SignupStatus::Unconfirmed.code().to_owned()),
                email: Set(new.email.clone()),
                name: Set(new.name.clone()),
                password_hash: Set(new.password_hash.clone()),
                company_id: Set(new.company.as_ref().map(|c| c.id)),
                organisation_id: Set(new.keeper.id),
                person_kind: Set(new
                    .person_kind
                    .map(|k| k.code().to_owned())
                    .unwrap_or_default()),
                token_sha256: Set(Some(token.hash.clone())),
                token_expires_at: Set(Some(now + Duration::hours(CONFIRM_HOURS))),
                reason: Set(String::new()),
                user_id: Set(None),
                created_at: Set(now),
                confirmed_at: Set(None),
                decided_at: Set(None),
                ..Default::default()
            }
            .insert(w.txn())
            .await
            .map_err(|error| on_constraint(error, ONE_OPEN_PER_EMAIL))?;
            let about = match &new.company {
                Some(company) => format!("{}の企業会員", company.name),
                None => format!(
                    "個人（{}）",
                    new.person_kind.map(|k| k.label()).unwrap_or_default()
                ),
            };
            w.audit(
                Audited::new(
                    Action::SignUp,
                    Entity::SignupRequest,
                    row.id.to_string(),
                    Some(new.keeper.id),
                    format!("{about}としての利用登録の申請（メール確認待ち）"),
                )
                .after(json!({"kind": new.kind.code(), "status": "unconfirmed"})),
            );
            w.send(confirmation_mail(&new, &token.raw));
            Ok(())
        })
        .await
}

fn open() -> Condition {
    Condition::any()
        .add(signup_request::Column::Status.eq(SignupStatus::Unconfirmed.code()))
        .add(signup_request::Column::Status.eq(SignupStatus::Pending.code()))
}

/// Unconfirmed requests of `email` whose link has lapsed no longer hold the address.
async fn expire_stale(
    db: &impl ConnectionTrait,
    email: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    signup_request::Entity::update_many()
        .col_expr(
            signup_request::Column::Status,
            sea_orm::sea_query::Expr::value(SignupStatus::Expired.code()),
        )
        .col_expr(
            signup_request::Column::TokenSha256,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .col_expr(
            signup_request::Column::PasswordHash,
            sea_orm::sea_query::Expr::value(""),
        )
        .filter(signup_request::Column::Email.eq(email))
        .filter(signup_request::Column::Status.eq(SignupStatus::Unconfirmed.code()))
        .filter(signup_request::Column::TokenExpiresAt.lt(now))
        .exec(db)
        .await?;
    Ok(())
}

async fn noticed_recently(
    db: &impl ConnectionTrait,
    email: &str,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(mail_message::Entity::find()
        .filter(mail_message::Column::RecipientEmail.eq(email))
        .filter(mail_message::Column::Subject.eq(subject))
        .filter(mail_message::Column::CreatedAt.gt(now - Duration::minutes(NOTICE_EVERY_MINUTES)))
        .one(db)
        .await?
        .is_some())
}

const PLATFORM: &str = "中小企業都市連絡協議会";

fn why(email: &str) -> String {
    format!(
        "このメールは、連携プラットフォームの利用登録画面でこのメールアドレス（{email}）が入力されたためお送りしています。お心当たりがない場合は、このメールを破棄してください。"
    )
}

fn confirmation_mail(new: &NewRequest, token: &str) -> Outgoing {
    let link = format!("{PUBLIC_URL}/signup/confirm/{token}");
    let (subject, what, next) = match &new.company {
        Some(company) => (
            "【利用登録】メールアドレスの確認のお願い（企業会員）".to_owned(),
            format!(
                "{}（法人番号 {}）の企業会員としての利用登録",
                company.name, company.corporate_number
            ),
            format!(
                "確認後、{}の担当者が申請を審査し、結果をメールでお知らせします。",
                new.keeper.name
            ),
        ),
        None => (
            "【利用登録】メールアドレスの確認のお願い（個人）".to_owned(),
            "個人としての利用登録".to_owned(),
            "確認するとアカウントが作成され、すぐにログインできます。".to_owned(),
        ),
    };
    let body = format!(
        "{} 様\n\n{what}のお申し込みを受け付けました。\n下のリンクを開き、「メールアドレスを確認する」を押してください（有効期限：{CONFIRM_HOURS}時間、1回のみ有効）。\n\n{link}\n\n{next}",
        new.name
    );
    Outgoing::new(
        Some(new.keeper.id),
        &new.keeper.name,
        &new.name,
        &new.email,
        &subject,
        &body,
        &why(&new.email),
    )
}

fn taken_notice(new: &NewRequest, taken: &Taken) -> Outgoing {
    let (subject, text) = match taken {
        Taken::Account => (
            "【利用登録】このメールアドレスのアカウントは既にあります",
            format!(
                "このメールアドレスで利用登録のお申し込みがありましたが、このアドレスのアカウントは既にあります。新しい登録は行っていません。\nログイン：{PUBLIC_URL}/login\nパスワードがわからない場合は、ログイン画面からパスワードの再設定を行うか、担当の市区にご相談ください。"
            ),
        ),
        Taken::OpenRequest => (
            "【利用登録】このメールアドレスの申請は既に受け付けています",
            "このメールアドレスで利用登録のお申し込みがありましたが、同じアドレスの申請を既に受け付けています（メールアドレスの確認待ち、または審査中）。新しい申請は行っていません。\n先にお送りした確認メールのリンクを開くか、審査の結果をお待ちください。確認メールの有効期限（24時間）が切れた場合は、もう一度お申し込みいただけます。".to_owned(),
        ),
    };
    Outgoing::new(
        Some(new.keeper.id),
        PLATFORM,
        &new.name,
        &new.email,
        subject,
        &format!("{} 様\n\n{text}", new.name),
        &why(&new.email),
    )
}

/// Whether `token` is a request's live confirmation link (for the page that offers
/// the button; confirming is a POST, so that a mail scanner's GET confirms nothing).
pub async fn token_is_live(store: &Store, token: &str) -> Result<bool, StoreError> {
    Ok(signup_request::Entity::find()
        .filter(signup_request::Column::TokenSha256.eq(crate::tokens::hash(token)))
        .filter(signup_request::Column::TokenExpiresAt.gt(Utc::now()))
        .one(&store.db)
        .await?
        .is_some())
}

/// Confirms an address by its link: once, within [`CONFIRM_HOURS`].
pub async fn confirm(store: &Store, token: &str) -> Result<Confirmed, StoreError> {
    confirm_at(store, token, Utc::now()).await
}

/// [`confirm`] as if it were `now` (tests of the expiry).
pub async fn confirm_at(
    store: &Store,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Confirmed, StoreError> {
    let directory = organisations::directory(store).await?;
    let used = || {
        StoreError::Conflict(
            "この確認リンクは使用済みか、正しくありません。メールのリンクをもう一度ご確認ください。".into(),
        )
    };
    store
        .write(None, async |w| {
            let row = signup_request::Entity::find()
                .filter(signup_request::Column::TokenSha256.eq(crate::tokens::hash(token)))
                .one(w.txn())
                .await?
                .ok_or_else(used)?;
            if row.token_expires_at.is_none_or(|at| at <= now) {
                return Err(StoreError::Conflict(format!(
                    "この確認リンクは有効期限（{CONFIRM_HOURS}時間）が切れています。お手数ですが、もう一度利用登録をお申し込みください。"
                )));
            }
            let keeper = directory
                .organisation(row.organisation_id)
                .cloned()
                .ok_or_else(|| StoreError::Config("申請の団体がありません。".into()))?;
            let kind = SignupKind::parse(&row.kind);
            let mut active: signup_request::ActiveModel = row.clone().into();
            active.token_sha256 = Set(None);
            active.token_expires_at = Set(None);
            active.confirmed_at = Set(Some(now));
            w.audit(Audited::new(
                Action::Confirm,
                Entity::SignupRequest,
                row.id.to_string(),
                Some(keeper.id),
                format!("{}の利用登録：メールアドレスを確認", kind.label()),
            ));
            match kind {
                SignupKind::Company => {
                    let company = company::Entity::find_by_id(row.company_id.unwrap_or(-1))
                        .one(w.txn())
                        .await?
                        .ok_or_else(|| StoreError::not_found("企業"))?;
                    active.status = Set(SignupStatus::Pending.code().to_owned());
                    active.update(w.txn()).await?;
                    crate::notices::signups::company_request_waiting(
                        w.txn(),
                        &keeper,
                        row.id,
                        &row.name,
                        &company.name,
                    )
                    .await?;
                    w.send(Outgoing::new(
                        Some(keeper.id),
                        &keeper.name,
                        &row.name,
                        &row.email,
                        "【利用登録】メールアドレスを確認しました（審査中）",
                        &format!(
                            "{} 様\n\nメールアドレスを確認しました。{}の企業会員としての利用登録を、{}の担当者が審査します。結果はこのメールアドレスにお知らせします。",
                            row.name, company.name, keeper.name
                        ),
                        &why(&row.email),
                    ));
                    Ok(Confirmed::Company {
                        company: company.name,
                        keeper: keeper.name,
                    })
                }
                SignupKind::Individual => {
                    let account = make_account(w, &row, Role::Individual, None, None).await?;
                    active.status = Set(SignupStatus::Approved.code().to_owned());
                    active.password_hash = Set(String::new());
                    active.user_id = Set(Some(account.id));
                    active.decided_at = Set(Some(now));
                    active.update(w.txn()).await?;
                    w.send(Outgoing::new(
                        Some(keeper.id),
                        &keeper.name,
                        &row.name,
                        &row.email,
                        "【利用登録】登録が完了しました（個人）",
                        &format!(
                            "{} 様\n\nメールアドレスを確認し、個人のアカウントを作成しました。登録したメールアドレスとパスワードでログインできます。\nログイン：{PUBLIC_URL}/login\n\nログイン後、「わたしのプロフィール」から人材登録のプロフィールを書けます。公開を希望すると、{}の担当者が確認してから公開されます。",
                            row.name, keeper.name
                        ),
                        &why(&row.email),
                    ));
                    Ok(Confirmed::Individual {
                        keeper: keeper.name,
                    })
                }
            }
        })
        .await
}

/// Makes the account a request asked for, with the password chosen at registration.
async fn make_account(
    w: &mut Writing<'_>,
    row: &signup_request::Model,
    role: Role,
    organisation_id: Option<i64>,
    company_id: Option<i64>,
) -> Result<user::Model, StoreError> {
    if user::Entity::find()
        .filter(user::Column::Email.eq(&row.email))
        .one(w.txn())
        .await?
        .is_some()
    {
        return Err(StoreError::Conflict(
            "このメールアドレスのアカウントは既にあります。".into(),
        ));
    }
    let account = user::ActiveModel {
        email: Set(row.email.clone()),
        display_name: Set(row.name.clone()),
        password_hash: Set(row.password_hash.clone()),
        role: Set(role.code().to_owned()),
        organisation_id: Set(organisation_id),
        company_id: Set(company_id),
        must_change_password: Set(false),
        created_at: Set(Utc::now()),
        session_generation: Set(0),
        ..Default::default()
    }
    .insert(w.txn())
    .await?;
    w.audit(
        Audited::new(
            Action::Create,
            Entity::User,
            row.email.clone(),
            Some(row.organisation_id),
            format!(
                "アカウント {}（{}）を利用登録により作成",
                row.email,
                role.label()
            ),
        )
        .after(json!({"email": row.email, "role": role.code(), "signup_request": row.id})),
    );
    Ok(account)
}

/// Which requests a list shows.
#[derive(Debug, Clone, Default)]
pub struct SignupFilter {
    /// One status; `None`: waiting and decided ones (not unconfirmed or expired).
    pub status: Option<SignupStatus>,
}

fn deciders_only(actor: &Actor) -> Result<(), StoreError> {
    match actor.role {
        Role::Secretariat | Role::Staff => Ok(()),
        Role::Company | Role::Individual => Err(StoreError::forbidden(
            "利用登録の申請は、市区・商工会議所の職員と協議会事務局のみ閲覧できます。",
        )),
    }
}

fn to_request(
    directory: &Directory,
    row: signup_request::Model,
    companies: &[company::Model],
) -> Option<SignupRequest> {
    Some(SignupRequest {
        id: row.id,
        kind: SignupKind::parse(&row.kind),
        status: SignupStatus::parse(&row.status)?,
        company: row
            .company_id
            .and_then(|id| companies.iter().find(|c| c.id == id))
            .and_then(|c| known_company(directory, c)),
        organisation: directory.organisation(row.organisation_id)?.clone(),
        person_kind: PersonKind::parse(&row.person_kind),
        email: row.email,
        name: row.name,
        reason: row.reason,
        created_at: row.created_at,
        confirmed_at: row.confirmed_at,
        decided_at: row.decided_at,
    })
}

/// The requests the actor decides (its organisation's; every one for the
/// secretariat), waiting ones first.
pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &SignupFilter,
) -> Result<Vec<SignupRequest>, StoreError> {
    deciders_only(actor)?;
    let mut query = signup_request::Entity::find();
    if !actor.is_secretariat() {
        query = query
            .filter(signup_request::Column::OrganisationId.eq(actor.organisation_id.unwrap_or(-1)));
    }
    query = match filter.status {
        Some(status) => query.filter(signup_request::Column::Status.eq(status.code())),
        None => query.filter(signup_request::Column::Status.is_in([
            SignupStatus::Pending.code(),
            SignupStatus::Approved.code(),
            SignupStatus::Refused.code(),
        ])),
    };
    let rows = query
        .order_by_desc(signup_request::Column::Id)
        .all(&store.db)
        .await?;
    let companies = company::Entity::find()
        .filter(company::Column::Id.is_in(rows.iter().filter_map(|r| r.company_id)))
        .all(&store.db)
        .await?;
    let directory = organisations::directory(store).await?;
    let mut requests: Vec<SignupRequest> = rows
        .into_iter()
        .filter_map(|row| to_request(&directory, row, &companies))
        .collect();
    requests.sort_by_key(|r| r.status != SignupStatus::Pending);
    Ok(requests)
}

/// One request the actor decides; not found for everyone else (staff of another
/// organisation do not learn that it exists).
pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<SignupRequest, StoreError> {
    deciders_only(actor)?;
    let (row, _) = decided_by(&store.db, actor, id).await?;
    let companies = company::Entity::find()
        .filter(company::Column::Id.is_in(row.company_id))
        .all(&store.db)
        .await?;
    let directory = organisations::directory(store).await?;
    to_request(&directory, row, &companies).ok_or_else(|| StoreError::not_found("利用登録の申請"))
}

async fn decided_by(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
) -> Result<(signup_request::Model, ()), StoreError> {
    let row = signup_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|row| actor.may_decide_signups_of(row.organisation_id))
        .filter(|row| row.status != SignupStatus::Unconfirmed.code())
        .ok_or_else(|| StoreError::not_found("利用登録の申請"))?;
    Ok((row, ()))
}

/// Approves a company's waiting request: the person becomes a member of the company
/// and may sign in with the password they chose. Mailed.
pub async fn approve(store: &Store, actor: &Actor, id: i64) -> Result<(), StoreError> {
    deciders_only(actor)?;
    let directory = organisations::directory(store).await?;
    store
        .write(Some(actor), async |w| {
            let (row, ()) = decided_by(w.txn(), actor, id).await?;
            waiting(&row)?;
            let company = company::Entity::find_by_id(row.company_id.unwrap_or(-1))
                .one(w.txn())
                .await?
                .ok_or_else(|| StoreError::not_found("企業"))?;
            let keeper = directory
                .organisation(row.organisation_id)
                .cloned()
                .ok_or_else(|| StoreError::Config("申請の団体がありません。".into()))?;
            let account = make_account(
                w,
                &row,
                Role::Company,
                Some(company.owner_organisation_id),
                Some(company.id),
            )
            .await?;
            let mut active: signup_request::ActiveModel = row.clone().into();
            active.status = Set(SignupStatus::Approved.code().to_owned());
            active.password_hash = Set(String::new());
            active.user_id = Set(Some(account.id));
            active.decided_at = Set(Some(Utc::now()));
            active.update(w.txn()).await?;
            w.audit(Audited::new(
                Action::Approve,
                Entity::SignupRequest,
                row.id.to_string(),
                Some(row.organisation_id),
                format!("{}の企業会員としての利用登録を承認", company.name),
            ));
            w.send(Outgoing::new(
                Some(keeper.id),
                &keeper.name,
                &row.name,
                &row.email,
                "【利用登録】企業会員の登録を承認しました",
                &format!(
                    "{} 様\n\n{}の企業会員としての利用登録を、{}が承認しました。お申し込みの際に決めたパスワードでログインできます。\nログイン：{PUBLIC_URL}/login\n\nログイン後は、自社の企業情報の更新、ニーズ・シーズの掲載、申請や調査への回答ができます。",
                    row.name, company.name, keeper.name
                ),
                &why(&row.email),
            ));
            Ok(())
        })
        .await
}

fn waiting(row: &signup_request::Model) -> Result<(), StoreError> {
    if row.status == SignupStatus::Pending.code() {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "この申請は既に「{}」です。",
            SignupStatus::parse(&row.status).map_or("処理済み", |s| s.label())
        )))
    }
}

fn reason_of(reason: &str) -> Result<String, StoreError> {
    if reason.trim().is_empty() {
        return Err(Invalid::new(
            "reason",
            "理由を入力してください（申請者にメールで伝わります）。",
        )
        .into());
    }
    Ok(optional_text("reason", reason, 1000)?)
}

/// Refuses a company's waiting request with a reason, which is mailed.
pub async fn refuse(store: &Store, actor: &Actor, id: i64, reason: &str) -> Result<(), StoreError> {
    deciders_only(actor)?;
    let directory = organisations::directory(store).await?;
    store
        .write(Some(actor), async |w| {
            let (row, ()) = decided_by(w.txn(), actor, id).await?;
            waiting(&row)?;
            let reason = reason_of(reason)?;
            let keeper = directory
                .organisation(row.organisation_id)
                .cloned()
                .ok_or_else(|| StoreError::Config("申請の団体がありません。".into()))?;
            let company_name = company::Entity::find_by_id(row.company_id.unwrap_or(-1))
                .one(w.txn())
                .await?
                .map(|c| c.name)
                .unwrap_or_default();
            let mut active: signup_request::ActiveModel = row.clone().into();
            active.status = Set(SignupStatus::Refused.code().to_owned());
            active.password_hash = Set(String::new());
            active.reason = Set(reason.clone());
            active.decided_at = Set(Some(Utc::now()));
            active.update(w.txn()).await?;
            w.audit(
                Audited::new(
                    Action::Refuse,
                    Entity::SignupRequest,
                    row.id.to_string(),
                    Some(row.organisation_id),
                    format!("{company_name}の企業会員としての利用登録を不承認"),
                )
                .after(json!({"reason": reason})),
            );
            w.send(Outgoing::new(
                Some(keeper.id),
                &keeper.name,
                &row.name,
                &row.email,
                "【利用登録】企業会員の登録を承認できませんでした",
                &format!(
                    "{} 様\n\n{company_name}の企業会員としての利用登録は、{}が審査した結果、承認できませんでした。\n\n理由：{reason}\n\nご不明な点は{}にお問い合わせください。",
                    row.name, keeper.name, keeper.name
                ),
                &why(&row.email),
            ));
            Ok(())
        })
        .await
}

// ---- An individual's own profile -------------------------------------------

/// Where an individual's profile stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    /// Not offered for publication: only the keeper's staff see it.
    Private,
    Pending,
    Approved,
    Refused,
}

impl Review {
    fn parse(code: &str) -> Review {
        match code {
            "pending" => Review::Pending,
            "approved" => Review::Approved,
            "refused" => Review::Refused,
            _ => Review::Private,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Review::Private => "",
            Review::Pending => "pending",
            Review::Approved => "approved",
            Review::Refused => "refused",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Review::Private => "非公開（公開を希望していません）",
            Review::Pending => "公開の確認待ち",
            Review::Approved => "公開中",
            Review::Refused => "公開できませんでした",
        }
    }
}

/// An individual's profile as they see it.
#[derive(Debug, Clone)]
pub struct OwnProfile {
    /// The key in the people register, once written.
    pub key: Option<String>,
    pub keeper: Organisation,
    pub input: PersonInput,
    pub review: Review,
    pub review_note: String,
}

/// What an individual writes about themselves.
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub kind: String,
    pub name: String,
    pub kana: String,
    pub affiliation: String,
    pub profile: String,
    pub capabilities: Vec<String>,
    pub phone: String,
    /// 公開を希望する: published once the keeper approves.
    pub wants_public: bool,
}

/// The keeping organisation an individual chose when signing up.
async fn keeper_of(
    db: &impl ConnectionTrait,
    directory: &Directory,
    actor: &Actor,
) -> Result<Organisation, StoreError> {
    if actor.role != Role::Individual {
        return Err(StoreError::forbidden(
            "プロフィールは、個人として利用登録した方が書けます。",
        ));
    }
    let request = signup_request::Entity::find()
        .filter(signup_request::Column::UserId.eq(actor.user_id))
        .order_by_desc(signup_request::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("利用登録"))?;
    directory
        .organisation(request.organisation_id)
        .cloned()
        .ok_or_else(|| StoreError::not_found("登録先の市区"))
}

/// The individual's own profile (empty until first saved).
pub async fn own_profile(store: &Store, actor: &Actor) -> Result<OwnProfile, StoreError> {
    let directory = organisations::directory(store).await?;
    let keeper = keeper_of(&store.db, &directory, actor).await?;
    let row = person::Entity::find()
        .filter(person::Column::UserId.eq(actor.user_id))
        .one(&store.db)
        .await?;
    let kind_of_signup = signup_request::Entity::find()
        .filter(signup_request::Column::UserId.eq(actor.user_id))
        .one(&store.db)
        .await?
        .map(|r| (r.person_kind, r.name))
        .unwrap_or_default();
    Ok(match row {
        Some(row) => {
            let capabilities = crate::entity::person_capability::Entity::find()
                .filter(crate::entity::person_capability::Column::PersonId.eq(row.id))
                .all(&store.db)
                .await?
                .into_iter()
                .map(|c| c.code)
                .collect();
            OwnProfile {
                key: Some(row.key),
                keeper,
                review: Review::parse(&row.review),
                review_note: row.review_note,
                input: PersonInput {
                    kind: row.kind,
                    name: row.name,
                    kana: row.kana,
                    affiliation: row.affiliation,
                    city: String::new(),
                    profile: row.profile,
                    capabilities,
                    email: row.email,
                    phone: row.phone,
                    public: row.public,
                },
            }
        }
        None => OwnProfile {
            key: None,
            keeper,
            review: Review::Private,
            review_note: String::new(),
            input: PersonInput {
                kind: kind_of_signup.0,
                name: kind_of_signup.1,
                email: actor.email.clone(),
                ..Default::default()
            },
        },
    })
}

/// Saves an individual's profile. It is never public by this: offered for
/// publication, it waits for the keeper's approval (again after every change).
pub async fn save_profile(
    store: &Store,
    actor: &Actor,
    input: &ProfileInput,
) -> Result<Review, StoreError> {
    let directory = organisations::directory(store).await?;
    let keeper = keeper_of(&store.db, &directory, actor).await?;
    let city = keeper
        .city
        .as_ref()
        .map(|c| c.key.clone())
        .unwrap_or_default();
    let checked = people::check(
        &directory,
        &PersonInput {
            kind: input.kind.clone(),
            name: input.name.clone(),
            kana: input.kana.clone(),
            affiliation: input.affiliation.clone(),
            city,
            profile: input.profile.clone(),
            capabilities: input.capabilities.clone(),
            email: actor.email.clone(),
            phone: input.phone.clone(),
            public: false,
        },
    )?;
    let review = if input.wants_public {
        Review::Pending
    } else {
        Review::Private
    };
    store
        .write(Some(actor), async |w| {
            let now = Utc::now();
            let existing = person::Entity::find()
                .filter(person::Column::UserId.eq(actor.user_id))
                .one(w.txn())
                .await?;
            let (row, action) = match existing {
                Some(row) => {
                    let mut active: person::ActiveModel = row.into();
                    active.kind = Set(checked.kind.code().to_owned());
                    active.name = Set(checked.name.clone());
                    active.kana = Set(checked.kana.clone());
                    active.affiliation = Set(checked.affiliation.clone());
                    active.profile = Set(checked.profile.clone());
                    active.phone = Set(checked.phone.clone());
                    active.email = Set(checked.email.clone());
                    active.public = Set(false);
                    active.review = Set(review.code().to_owned());
                    active.review_note = Set(String::new());
                    active.updated_at = Set(now);
                    (active.update(w.txn()).await?, Action::Update)
                }
                None => (
                    person::ActiveModel {
                        key: Set(format!("p{:08x}", rand::random::<u32>())),
                        kind: Set(checked.kind.code().to_owned()),
                        name: Set(checked.name.clone()),
                        kana: Set(checked.kana.clone()),
                        affiliation: Set(checked.affiliation.clone()),
                        city_id: Set(checked.city_id),
                        owner_organisation_id: Set(keeper.id),
                        profile: Set(checked.profile.clone()),
                        email: Set(checked.email.clone()),
                        phone: Set(checked.phone.clone()),
                        public: Set(false),
                        created_at: Set(now),
                        updated_at: Set(now),
                        user_id: Set(Some(actor.user_id)),
                        review: Set(review.code().to_owned()),
                        review_note: Set(String::new()),
                        ..Default::default()
                    }
                    .insert(w.txn())
                    .await?,
                    Action::Create,
                ),
            };
            people::replace_capabilities(w.txn(), row.id, &checked.capabilities).await?;
            w.audit(
                Audited::new(
                    action,
                    Entity::Person,
                    row.key.clone(),
                    Some(keeper.id),
                    format!(
                        "{}（{}）が自分のプロフィールを{}（{}）",
                        checked.kind.label(),
                        row.key,
                        if action == Action::Create {
                            "登録"
                        } else {
                            "更新"
                        },
                        review.label()
                    ),
                )
                .after(json!({"key": row.key, "public": false, "review": review.code()})),
            );
            Ok(review)
        })
        .await
}

/// A profile waiting for its keeper's decision.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingProfile {
    pub key: String,
    pub kind: PersonKind,
    pub name: String,
    pub affiliation: String,
    pub profile: String,
    pub keeper: Organisation,
    pub updated_at: DateTime<Utc>,
}

/// Self-posted profiles waiting for publication that the actor decides.
pub async fn waiting_profiles(
    store: &Store,
    actor: &Actor,
) -> Result<Vec<WaitingProfile>, StoreError> {
    deciders_only(actor)?;
    let mut query = person::Entity::find().filter(person::Column::Review.eq("pending"));
    if !actor.is_secretariat() {
        query = query
            .filter(person::Column::OwnerOrganisationId.eq(actor.organisation_id.unwrap_or(-1)));
    }
    let directory = organisations::directory(store).await?;
    Ok(query
        .order_by_asc(person::Column::UpdatedAt)
        .all(&store.db)
        .await?
        .into_iter()
        .filter_map(|row| {
            Some(WaitingProfile {
                kind: PersonKind::parse(&row.kind)?,
                keeper: directory.organisation(row.owner_organisation_id)?.clone(),
                key: row.key,
                name: row.name,
                affiliation: row.affiliation,
                profile: row.profile,
                updated_at: row.updated_at,
            })
        })
        .collect())
}

/// Publishes (or refuses to publish, with a reason) a self-posted profile waiting
/// for the actor's organisation. Mailed to the person.
pub async fn decide_profile(
    store: &Store,
    actor: &Actor,
    key: &str,
    approve: bool,
    reason: &str,
) -> Result<(), StoreError> {
    deciders_only(actor)?;
    let directory = organisations::directory(store).await?;
    store
        .write(Some(actor), async |w| {
            let row = person::Entity::find()
                .filter(person::Column::Key.eq(key))
                .filter(person::Column::UserId.is_not_null())
                .one(w.txn())
                .await?
                .filter(|row| actor.may_decide_signups_of(row.owner_organisation_id))
                .ok_or_else(|| StoreError::not_found("プロフィール"))?;
            if row.review != Review::Pending.code() {
                return Err(StoreError::Conflict(
                    "このプロフィールは公開の確認待ちではありません。".into(),
                ));
            }
            let reason = if approve {
                String::new()
            } else {
                reason_of(reason)?
            };
            let keeper = directory
                .organisation(row.owner_organisation_id)
                .cloned()
                .ok_or_else(|| StoreError::Config("プロフィールの団体がありません。".into()))?;
            let mut active: person::ActiveModel = row.clone().into();
            active.public = Set(approve);
            active.review = Set(if approve {
                Review::Approved
            } else {
                Review::Refused
            }
            .code()
            .to_owned());
            active.review_note = Set(reason.clone());
            active.updated_at = Set(Utc::now());
            active.update(w.txn()).await?;
            w.audit(
                Audited::new(
                    if approve {
                        Action::Approve
                    } else {
                        Action::Refuse
                    },
                    Entity::Person,
                    row.key.clone(),
                    Some(row.owner_organisation_id),
                    format!(
                        "人材（{}）の自己登録プロフィールの公開を{}",
                        row.key,
                        if approve { "承認" } else { "不承認" }
                    ),
                )
                .before(json!({"public": row.public}))
                .after(json!({"public": approve})),
            );
            let (subject, text) = if approve {
                (
                    "【人材登録】プロフィールを公開しました",
                    format!(
                        "{}が確認し、あなたのプロフィールを人材一覧に公開しました（連絡先は公開されません）。\n{PUBLIC_URL}/people/{}",
                        keeper.name, row.key
                    ),
                )
            } else {
                (
                    "【人材登録】プロフィールを公開できませんでした",
                    format!(
                        "{}が確認した結果、あなたのプロフィールは公開できませんでした。\n\n理由：{reason}\n\n内容を直して、もう一度公開を希望できます：{PUBLIC_URL}/me/profile",
                        keeper.name
                    ),
                )
            };
            w.send(Outgoing::new(
                Some(keeper.id),
                &keeper.name,
                &row.name,
                &row.email,
                subject,
                &format!("{} 様\n\n{text}", row.name),
                "このメールは、連携プラットフォームに個人として登録し、プロフィールの公開を希望されたためお送りしています。",
            ));
            Ok(())
        })
        .await
}

/// The confirmation token in a mailed link (for tests and the CLI): the part after
/// `/signup/confirm/`.
pub fn token_in(text: &str) -> Option<&str> {
    let start = text.find("/signup/confirm/")? + "/signup/confirm/".len();
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|t| t.len() == 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_kept_only_as_their_digest() {
        let token = crate::tokens::new_token().raw;
        assert_eq!(token.len(), 64);
        let digest = crate::tokens::hash;
        assert_eq!(digest(&token).len(), 64);
        assert_ne!(digest(&token), token);
        assert_eq!(digest(&token), digest(&format!(" {token} ")));
    }

    #[test]
    fn the_token_is_found_in_a_mailed_link() {
        let token = "a".repeat(64);
        let body = format!("開いてください\n{PUBLIC_URL}/signup/confirm/{token}\n\n次に");
        assert_eq!(token_in(&body), Some(token.as_str()));
        assert_eq!(token_in("no link"), None);
    }
}
