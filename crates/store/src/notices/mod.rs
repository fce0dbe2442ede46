//! お知らせ: what every workflow tells the people concerned, in the app and by mail.
//!
//! A use case calls [`notify`] (or [`crate::write::Writing::notify`]) once per
//! recipient, in the transaction of the change: the in-app notice is written at
//! once (for a person with an account), and the mail enters the outbox in the same
//! transaction — unless the notice is non-essential and the person has turned mail
//! off for its programme. Essential notices (a decision on one's application, the
//! confirmation of what one did, account mail) always come by mail.
//!
//! The submodules compose each engine's notices (Japanese title, text, link and the
//! reason the person receives it), so the engines only say who and what happened.

pub mod applications;
pub mod diagnostics;
pub mod events;
pub mod fairs;
pub mod negotiations;
pub mod network;
pub mod signups;

use chrono::{DateTime, Utc};
use domain::{Actor, Role};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::entity::{notice, notice_preference, user};
use crate::outbox::{self, Outgoing, PUBLIC_URL};
use crate::write::{Action, Audited, Entity};
use crate::{Store, StoreError};

/// The programmes a person chooses mail for, and the account's own mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Programme {
    Events,
    Fairs,
    Applications,
    Negotiations,
    Diagnostics,
    Network,
    Surveys,
    /// For staff: company sign-up requests waiting for their decision.
    Signups,
    /// Sign-in, passwords, invitations: always essential, not a choice.
    Account,
}

impl Programme {
    /// The programmes whose non-essential mail a person may turn off, in page order.
    pub const CHOOSABLE: [Programme; 8] = [
        Programme::Events,
        Programme::Fairs,
        Programme::Applications,
        Programme::Negotiations,
        Programme::Diagnostics,
        Programme::Network,
        Programme::Surveys,
        Programme::Signups,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Programme::Events => "events",
            Programme::Fairs => "fairs",
            Programme::Applications => "applications",
            Programme::Negotiations => "negotiations",
            Programme::Diagnostics => "diagnostics",
            Programme::Network => "network",
            Programme::Surveys => "surveys",
            Programme::Signups => "signups",
            Programme::Account => "account",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Programme::Events => "イベント",
            Programme::Fairs => "商談会",
            Programme::Applications => "申請・認定",
            Programme::Negotiations => "商談・マッチング",
            Programme::Diagnostics => "企業健康診断",
            Programme::Network => "仲間まわし",
            Programme::Surveys => "アンケート",
            Programme::Signups => "利用登録の審査",
            Programme::Account => "アカウント",
        }
    }

    /// What the programme's non-essential notices are, for the settings page.
    pub fn describes(self) -> &'static str {
        match self {
            Programme::Events => "お申し込みのイベントの変更・中止以外のお知らせ",
            Programme::Fairs => "面談の申込・回答・期限切れ、面談予定の公開と変更",
            Programme::Applications => "審査の開始、審査担当としての新しい申請",
            Programme::Negotiations => "相手方が記録した商談の経過",
            Programme::Diagnostics => "診断後のフォローアップの予定日",
            Programme::Network => "遅延・設備停止による案件の再計画",
            Programme::Surveys => "アンケートに関するお知らせ",
            Programme::Signups => "（担当者）審査を待つ企業会員の利用登録",
            Programme::Account => "アカウントに関するお知らせ",
        }
    }

    pub fn parse(code: &str) -> Option<Programme> {
        Programme::CHOOSABLE
            .into_iter()
            .chain([Programme::Account])
            .find(|p| p.code() == code)
    }
}

/// Whom a notice is for: a person with an account (in-app and mail), or only an
/// address (mail only, e.g. a registrant without an account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub user_id: Option<i64>,
    pub name: String,
    pub email: String,
}

impl Recipient {
    fn of_user(row: user::Model) -> Recipient {
        Recipient {
            user_id: Some(row.id),
            name: row.display_name,
            email: row.email,
        }
    }
}

/// What happened, told once; [`notify`] sends it to each recipient.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub programme: Programme,
    /// Sent by mail whatever the person's preferences.
    pub essential: bool,
    /// Whose programme it is: its staff see the mail at `/admin/outbox`.
    pub organisation_id: Option<i64>,
    /// The sending organisation's name (the mail's display name and footer).
    pub sender_name: String,
    /// One line: the mail's subject and the notice's heading.
    pub title: String,
    /// What happened and what to do, in a few sentences.
    pub body: String,
    /// A path on the platform (`/fairs/x`); mail makes it absolute.
    pub link: String,
    /// Why the person receives it (the mail's footer).
    pub reason: String,
    /// An iCalendar text to attach to the mail.
    pub ics: Option<String>,
}

impl Notice {
    pub fn new(
        programme: Programme,
        organisation: (Option<i64>, &str),
        title: impl Into<String>,
        body: impl Into<String>,
        link: impl Into<String>,
        reason: impl Into<String>,
    ) -> Notice {
        Notice {
            programme,
            essential: false,
            organisation_id: organisation.0,
            sender_name: organisation.1.to_owned(),
            title: outbox::one_line(&title.into()),
            body: body.into(),
            link: link.into(),
            reason: reason.into(),
            ics: None,
        }
    }

    pub fn essential(mut self) -> Notice {
        self.essential = true;
        self
    }

    pub fn with_ics(mut self, ics: String) -> Notice {
        self.ics = Some(ics);
        self
    }

    /// The mail for one recipient: greeting, text, absolute link, and the footer that
    /// says why they receive it and (for a non-essential notice) where to stop it.
    pub fn mail_for(&self, to: &Recipient) -> Outgoing {
        let name = if to.name.trim().is_empty() {
            "ご担当者"
        } else {
            to.name.as_str()
        };
        let mut text = format!("{name} 様\n\n{}\n", self.body.trim_end());
        if !self.link.is_empty() {
            text.push_str(&format!(
                "\n詳しくは次のページをご覧ください。\n{PUBLIC_URL}{}\n",
                self.link
            ));
        }
        let reason = if self.essential {
            format!(
                "{}\n手続きに関わる大切なお知らせのため、通知の設定にかかわらずお送りしています。",
                self.reason
            )
        } else if to.user_id.is_some() {
            format!(
                "{}\n{}のお知らせをメールで受け取らない設定は次のページでできます（お知らせ画面には表示されます）。\n{PUBLIC_URL}/account/notifications",
                self.reason,
                self.programme.label()
            )
        } else {
            self.reason.clone()
        };
        let message = Outgoing::new(
            self.organisation_id,
            &self.sender_name,
            &to.name,
            &to.email,
            &self.title,
            text.trim_end(),
            &reason,
        );
        match &self.ics {
            Some(ics) => message.with_ics(ics.clone()),
            None => message,
        }
    }
}

/// What [`notify`] did for one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Delivered {
    pub in_app: bool,
    pub mail: bool,
}

/// A plausible address: something before and after one `@`, no spaces. Addresses in
/// the database were checked when entered; this keeps an empty or placeholder one
/// out of the outbox.
fn mailable(email: &str) -> bool {
    let email = email.trim();
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// Whether `user_id` gets `programme`'s non-essential notices by mail (on unless
/// turned off).
async fn wants_mail(
    db: &impl ConnectionTrait,
    user_id: i64,
    programme: Programme,
) -> Result<bool, StoreError> {
    Ok(notice_preference::Entity::find()
        .filter(notice_preference::Column::UserId.eq(user_id))
        .filter(notice_preference::Column::Programme.eq(programme.code()))
        .one(db)
        .await?
        .is_none_or(|p| p.by_mail))
}

/// Tells one recipient, in the caller's transaction: the in-app notice (if they have
/// an account) and the mail (if essential, or if their preference allows it, and
/// they have an address).
pub async fn notify(
    db: &impl ConnectionTrait,
    to: &Recipient,
    what: &Notice,
) -> Result<Delivered, StoreError> {
    let mut delivered = Delivered::default();
    if let Some(user_id) = to.user_id {
        notice::ActiveModel {
            user_id: Set(user_id),
            programme: Set(what.programme.code().to_owned()),
            organisation_id: Set(what.organisation_id),
            title: Set(what.title.clone()),
            body: Set(what.body.clone()),
            link: Set(what.link.clone()),
            essential: Set(what.essential),
            created_at: Set(Utc::now()),
            read_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
        delivered.in_app = true;
    }
    let allowed = what.essential
        || match to.user_id {
            Some(user_id) => wants_mail(db, user_id, what.programme).await?,
            None => true,
        };
    if allowed && mailable(&to.email) {
        outbox::enqueue_all(db, vec![what.mail_for(to)]).await?;
        delivered.mail = true;
    }
    Ok(delivered)
}

/// Tells each recipient once (the same person listed twice is told once).
pub async fn notify_all(
    db: &impl ConnectionTrait,
    recipients: &[Recipient],
    what: &Notice,
) -> Result<(), StoreError> {
    let mut told: Vec<(Option<i64>, String)> = Vec::new();
    for to in recipients {
        let key = (to.user_id, to.email.to_lowercase());
        if told.contains(&key) {
            continue;
        }
        notify(db, to, what).await?;
        told.push(key);
    }
    Ok(())
}

// ---------------------------------------------------------------- recipients

/// The members (company accounts) of a company.
pub async fn company_members(
    db: &impl ConnectionTrait,
    company_id: i64,
) -> Result<Vec<Recipient>, StoreError> {
    accounts_of(db, user::Column::CompanyId, company_id, Role::Company).await
}

/// The staff accounts of an organisation.
pub async fn organisation_staff(
    db: &impl ConnectionTrait,
    organisation_id: i64,
) -> Result<Vec<Recipient>, StoreError> {
    accounts_of(
        db,
        user::Column::OrganisationId,
        organisation_id,
        Role::Staff,
    )
    .await
}

/// The accounts of `role` whose `column` (company or organisation) is `id`.
async fn accounts_of(
    db: &impl ConnectionTrait,
    column: user::Column,
    id: i64,
    role: Role,
) -> Result<Vec<Recipient>, StoreError> {
    Ok(user::Entity::find()
        .filter(column.eq(id))
        .filter(user::Column::Role.eq(role.code()))
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Recipient::of_user)
        .collect())
}

/// Accounts by id, in the order given (unknown ids are left out).
pub async fn users(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Recipient>, StoreError> {
    let rows = user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(ids
        .iter()
        .filter_map(|id| rows.iter().find(|u| u.id == *id).cloned())
        .map(Recipient::of_user)
        .collect())
}

/// Someone known by an address (a registrant): with the account of that address, if
/// there is one, so the notice is in their お知らせ too.
pub async fn by_address(
    db: &impl ConnectionTrait,
    name: &str,
    email: &str,
) -> Result<Recipient, StoreError> {
    let account = user::Entity::find()
        // Accounts' addresses are stored lower-cased (`accounts::create_user`).
        .filter(user::Column::Email.eq(domain::text::narrow_ascii(email).trim().to_lowercase()))
        .one(db)
        .await?;
    Ok(Recipient {
        user_id: account.map(|u| u.id),
        name: name.to_owned(),
        email: email.to_owned(),
    })
}

// ---------------------------------------------------------------- reading

/// One notice as the list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeView {
    pub id: i64,
    pub programme: Programme,
    pub title: String,
    pub body: String,
    pub link: String,
    pub essential: bool,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl NoticeView {
    pub fn is_read(&self) -> bool {
        self.read_at.is_some()
    }
}

/// How many notices the list shows at most.
pub const LIST_LIMIT: u64 = 200;

/// The viewer's notices: unread first, then newest first.
pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<NoticeView>, StoreError> {
    let rows = notice::Entity::find()
        .filter(notice::Column::UserId.eq(actor.user_id))
        .order_by_desc(notice::Column::Id)
        .limit(LIST_LIMIT * 4)
        .all(&store.db)
        .await?;
    let mut found: Vec<NoticeView> = rows
        .into_iter()
        .map(|n| NoticeView {
            id: n.id,
            programme: Programme::parse(&n.programme).unwrap_or(Programme::Account),
            title: n.title,
            body: n.body,
            link: n.link,
            essential: n.essential,
            created_at: n.created_at,
            read_at: n.read_at,
        })
        .collect();
    // Stable: within unread and read, newest first as read.
    found.sort_by_key(NoticeView::is_read);
    found.truncate(usize::try_from(LIST_LIMIT).unwrap_or(usize::MAX));
    Ok(found)
}

/// How many of the viewer's notices are unread (the header's badge).
pub async fn unread(store: &Store, actor: &Actor) -> Result<u64, StoreError> {
    unread_of(store, actor.user_id).await
}

/// How many of an account's notices are unread: the layout asks on every page a
/// signed-in person sees, before it has an actor (one indexed count).
pub async fn unread_of(store: &Store, user_id: i64) -> Result<u64, StoreError> {
    Ok(notice::Entity::find()
        .filter(notice::Column::UserId.eq(user_id))
        .filter(notice::Column::ReadAt.is_null())
        .count(&store.db)
        .await?)
}

/// Marks one of the viewer's notices read; someone else's is not found. Not audited:
/// it changes only what the viewer's own list highlights.
pub async fn mark_read(store: &Store, actor: &Actor, id: i64) -> Result<(), StoreError> {
    let found = notice::Entity::find_by_id(id)
        .filter(notice::Column::UserId.eq(actor.user_id))
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("お知らせ"))?;
    if found.read_at.is_none() {
        notice::Entity::update_many()
            .col_expr(notice::Column::ReadAt, Expr::value(Utc::now()))
            .filter(notice::Column::Id.eq(id))
            .filter(notice::Column::ReadAt.is_null())
            .exec(&store.db)
            .await?;
    }
    Ok(())
}

/// Marks every notice of the viewer read; returns how many were unread.
pub async fn mark_all_read(store: &Store, actor: &Actor) -> Result<u64, StoreError> {
    Ok(notice::Entity::update_many()
        .col_expr(notice::Column::ReadAt, Expr::value(Utc::now()))
        .filter(notice::Column::UserId.eq(actor.user_id))
        .filter(notice::Column::ReadAt.is_null())
        .exec(&store.db)
        .await?
        .rows_affected)
}

// ---------------------------------------------------------------- preferences

/// Per programme, whether the viewer gets its non-essential notices by mail.
pub async fn preferences(
    store: &Store,
    actor: &Actor,
) -> Result<Vec<(Programme, bool)>, StoreError> {
    let rows = notice_preference::Entity::find()
        .filter(notice_preference::Column::UserId.eq(actor.user_id))
        .all(&store.db)
        .await?;
    Ok(Programme::CHOOSABLE
        .into_iter()
        .map(|p| {
            let by_mail = rows
                .iter()
                .find(|r| r.programme == p.code())
                .is_none_or(|r| r.by_mail);
            (p, by_mail)
        })
        .collect())
}

/// Sets the viewer's choices (programmes not listed keep theirs). Audited, without
/// anything personal beyond the choice.
pub async fn set_preferences(
    store: &Store,
    actor: &Actor,
    choices: &[(Programme, bool)],
) -> Result<Vec<(Programme, bool)>, StoreError> {
    if choices.iter().any(|(p, _)| *p == Programme::Account) {
        return Err(domain::Invalid::new(
            "programme",
            "アカウントに関するお知らせは、常にメールでお送りします。",
        )
        .into());
    }
    store
        .write(Some(actor), async |w| {
            let now = Utc::now();
            for (programme, by_mail) in choices {
                notice_preference::Entity::insert(notice_preference::ActiveModel {
                    user_id: Set(actor.user_id),
                    programme: Set(programme.code().to_owned()),
                    by_mail: Set(*by_mail),
                    updated_at: Set(now),
                })
                .on_conflict(
                    OnConflict::columns([
                        notice_preference::Column::UserId,
                        notice_preference::Column::Programme,
                    ])
                    .update_columns([
                        notice_preference::Column::ByMail,
                        notice_preference::Column::UpdatedAt,
                    ])
                    .to_owned(),
                )
                .exec_without_returning(w.txn())
                .await?;
            }
            let off: Vec<&str> = choices
                .iter()
                .filter(|(_, by_mail)| !by_mail)
                .map(|(p, _)| p.label())
                .collect();
            w.audit(Audited::new(
                Action::Update,
                Entity::NoticePreferences,
                actor.user_id.to_string(),
                None,
                if off.is_empty() {
                    "お知らせメールの設定を変更（すべて受け取る）".to_owned()
                } else {
                    format!(
                        "お知らせメールの設定を変更（受け取らない：{}）",
                        off.join("・")
                    )
                },
            ));
            Ok(())
        })
        .await?;
    preferences(store, actor).await
}
