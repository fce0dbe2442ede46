//! Surveys: a form of purpose 調査 sent to many companies (chosen from the directory
//! or imported from a list), each invited by an unguessable answer link that acts
//! for its one company on its one form, without signing in; response tracking
//! (sent, opened, draft, submitted) and reminder rounds for the owning
//! organisation's staff. Sending and reminding mail each establishment its link
//! ([`crate::survey_mail`]) in the same transaction; staff may instead only record
//! the round and download the links for their own mail merge.
//!
//! Designed for about 1,000 establishments per survey: invitations are inserted in
//! batches, and tracking reads the invitations, the response statuses and the
//! companies in a few queries, never one per row.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use domain::directory::SizeBand;
use domain::forms::{FormPurpose, RawAnswers};
use domain::{Actor, Invalid, Role};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use crate::audit::{self, Change};
use crate::entity::{company, form_response, survey_invitation};
use crate::forms::{self, Form, Response, ResponseStatus};
use crate::survey_mail::{self, Mailed, Notify, Round};
use crate::write::{Action, Audited, Entity, Writing};
use crate::{Store, StoreError};

/// Invitations per INSERT statement (well under every backend's parameter limit).
const BATCH: usize = 200;

/// Rows per page of the tracking list.
pub const PAGE_SIZE: usize = 50;

/// Where an invited company stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationStatus {
    /// 未開封: the link has not been opened.
    Unopened,
    /// 開封済み: opened, nothing saved yet.
    Opened,
    /// 下書き: something typed and saved, not submitted.
    Draft,
    /// 提出済み.
    Submitted,
}

impl InvitationStatus {
    pub const ALL: [InvitationStatus; 4] = [
        InvitationStatus::Unopened,
        InvitationStatus::Opened,
        InvitationStatus::Draft,
        InvitationStatus::Submitted,
    ];

    pub fn code(self) -> &'static str {
        match self {
            InvitationStatus::Unopened => "unopened",
            InvitationStatus::Opened => "opened",
            InvitationStatus::Draft => "draft",
            InvitationStatus::Submitted => "submitted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            InvitationStatus::Unopened => "未開封",
            InvitationStatus::Opened => "開封済み",
            InvitationStatus::Draft => "下書き",
            InvitationStatus::Submitted => "提出済み",
        }
    }

    pub fn parse(code: &str) -> Option<InvitationStatus> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    fn of(opened: bool, response: Option<ResponseStatus>) -> InvitationStatus {
        match response {
            Some(ResponseStatus::Submitted) => InvitationStatus::Submitted,
            Some(ResponseStatus::Draft) => InvitationStatus::Draft,
            None if opened => InvitationStatus::Opened,
            None => InvitationStatus::Unopened,
        }
    }
}

/// One invited company, as the owning organisation's staff track it.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    pub company_key: String,
    pub company_name: String,
    pub city: String,
    pub contact_name: String,
    pub contact_email: String,
    /// The answer link's token (the path is `/s/{token}`).
    pub token: String,
    pub status: InvitationStatus,
    pub sent_at: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
    pub reminders: u32,
    pub reminded_at: Option<DateTime<Utc>>,
    /// An invented demonstration company (marked 「デモ」).
    pub demo: bool,
}

/// Response tracking: counts that reveal no answers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub sent: u64,
    /// Opened at least once (drafts and submissions included).
    pub opened: u64,
    pub unopened: u64,
    /// Opened, nothing saved.
    pub opened_only: u64,
    pub draft: u64,
    pub submitted: u64,
    /// Reminder rounds so far, and the last one.
    pub reminder_rounds: u32,
    pub last_reminded: Option<DateTime<Utc>>,
}

impl Counts {
    /// Submitted per sent, in percent (0 when nothing was sent).
    pub fn response_rate(&self) -> f64 {
        if self.sent == 0 {
            0.0
        } else {
            // Counts are far below 2^52: exact as f64.
            #[allow(clippy::cast_precision_loss)]
            let rate = self.submitted as f64 * 100.0 / self.sent as f64;
            rate
        }
    }

    pub fn unanswered(&self) -> u64 {
        self.sent - self.submitted
    }

    pub fn of(&self, status: InvitationStatus) -> u64 {
        match status {
            InvitationStatus::Unopened => self.unopened,
            InvitationStatus::Opened => self.opened_only,
            InvitationStatus::Draft => self.draft,
            InvitationStatus::Submitted => self.submitted,
        }
    }
}

/// One page of the tracking list.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracking {
    pub counts: Counts,
    /// Rows of the status asked for (all when `None`).
    pub matching: u64,
    pub page: usize,
    pub pages: usize,
    pub rows: Vec<Invitation>,
}

/// Which directory companies to send to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipients {
    /// City key (`kawaguchi`).
    pub city: Option<String>,
    /// JSIC major group code (`24`).
    pub industry: Option<String>,
    pub size: Option<SizeBand>,
}

/// What sending did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sent {
    /// New invitations.
    pub invited: u64,
    /// Companies already invited (not invited twice).
    pub already: u64,
    /// The invitations mailed (nothing when sent with [`Notify::LinksOnly`]).
    pub mail: Mailed,
}

/// What a reminder round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reminded {
    /// Companies that have not submitted, reminded now.
    pub reminded: u64,
    /// This round's number.
    pub round: u32,
    pub mail: Mailed,
}

/// What an answer link opens: the form and its one company, with what it saved.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub form: Form,
    pub company_key: String,
    pub company_name: String,
    pub response: Option<Response>,
}

/// A new answer link token: 160 random bits as 40 lower-case hex characters.
fn new_token() -> String {
    crate::random_hex::<20>()
}

/// Only the staff of the organisation that owns the survey send it and track it.
fn check_owner_staff(actor: &Actor, form: &Form) -> Result<(), StoreError> {
    if actor.role == Role::Staff && actor.organisation_id == Some(form.owner.id) {
        Ok(())
    } else {
        Err(StoreError::forbidden(format!(
            "「{}」の配布と回答状況は{}の職員のみが扱えます。",
            form.title, form.owner.name
        )))
    }
}

fn check_survey(form: &Form) -> Result<(), StoreError> {
    if form.purpose == FormPurpose::Survey {
        Ok(())
    } else {
        Err(StoreError::Invalid(vec![Invalid::new(
            "form",
            format!(
                "「{}」は{}のフォームです。配布できるのは調査のフォームです。",
                form.title,
                form.purpose.label()
            ),
        )]))
    }
}

/// Sends the survey to the companies with the given keys (unknown keys refused,
/// companies already invited kept as they are), mailing each its answer link.
pub async fn send(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    company_keys: &[String],
) -> Result<Sent, StoreError> {
    send_with(store, actor, form_key, company_keys, Notify::Mail).await
}

/// [`send`], mailing the invitations or not.
pub async fn send_with(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    company_keys: &[String],
    notify: Notify,
) -> Result<Sent, StoreError> {
    store
        .write(Some(actor), async |w| {
            send_keys(w, actor, form_key, company_keys, notify).await
        })
        .await
}

async fn send_keys(
    w: &mut Writing<'_>,
    actor: &Actor,
    form_key: &str,
    company_keys: &[String],
    notify: Notify,
) -> Result<Sent, StoreError> {
    let txn = w.txn();
    let form = forms::load(txn, form_key).await?;
    check_owner_staff(actor, &form)?;
    check_survey(&form)?;
    let mut wanted: Vec<&str> = Vec::with_capacity(company_keys.len());
    let mut seen = HashSet::new();
    for key in company_keys {
        if seen.insert(key.as_str()) {
            wanted.push(key.as_str());
        }
    }
    let mut ids = Vec::with_capacity(wanted.len());
    for chunk in wanted.chunks(500) {
        let found: Vec<(i64, String)> = company::Entity::find()
            .select_only()
            .column(company::Column::Id)
            .column(company::Column::Key)
            .filter(company::Column::Key.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(txn)
            .await?;
        let by_key: HashMap<String, i64> = found.into_iter().map(|(id, k)| (k, id)).collect();
        for key in chunk {
            match by_key.get(*key) {
                Some(id) => ids.push(*id),
                None => {
                    return Err(StoreError::Invalid(vec![Invalid::new(
                        "companies",
                        format!("企業「{key}」は名簿にありません。"),
                    )]));
                }
            }
        }
    }
    invite(w, &form, &ids, notify).await
}

/// The directory's open companies (not closed) that `recipients` selects.
pub async fn select(store: &Store, recipients: &Recipients) -> Result<Vec<String>, StoreError> {
    Ok(select_in(&store.db, recipients)
        .await?
        .into_iter()
        .map(|(_, key)| key)
        .collect())
}

async fn select_in(
    db: &impl ConnectionTrait,
    recipients: &Recipients,
) -> Result<Vec<(i64, String)>, StoreError> {
    let mut query = company::Entity::find()
        .select_only()
        .column(company::Column::Id)
        .column(company::Column::Key)
        .column(company::Column::Employees)
        .filter(company::Column::ClosedOn.is_null())
        .order_by_asc(company::Column::Id);
    if let Some(city) = &recipients.city {
        let directory = crate::organisations::directory_in(db).await?;
        let Some(city) = directory.cities.iter().find(|c| &c.key == city) else {
            return Ok(Vec::new());
        };
        query = query.filter(company::Column::CityId.eq(city.id));
    }
    if let Some(industry) = &recipients.industry {
        query = query.filter(company::Column::Industry.eq(industry.as_str()));
    }
    let rows: Vec<(i64, String, Option<i32>)> = query.into_tuple().all(db).await?;
    Ok(rows
        .into_iter()
        .filter(|(_, _, employees)| match recipients.size {
            None => true,
            Some(band) => employees
                .and_then(|e| u32::try_from(e).ok())
                .is_some_and(|e| SizeBand::of_employees(e) == band),
        })
        .map(|(id, key, _)| (id, key))
        .collect())
}

/// Sends the survey to the directory's companies that `recipients` selects.
pub async fn send_to_directory(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    recipients: &Recipients,
) -> Result<Sent, StoreError> {
    send_to_directory_with(store, actor, form_key, recipients, Notify::Mail).await
}

/// [`send_to_directory`], mailing the invitations or not.
pub async fn send_to_directory_with(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    recipients: &Recipients,
    notify: Notify,
) -> Result<Sent, StoreError> {
    store
        .write(Some(actor), async |w| {
            let form = forms::load(w.txn(), form_key).await?;
            check_owner_staff(actor, &form)?;
            check_survey(&form)?;
            let ids: Vec<i64> = select_in(w.txn(), recipients)
                .await?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            if ids.is_empty() {
                return Err(StoreError::Invalid(vec![Invalid::new(
                    "recipients",
                    "条件に当てはまる企業がありません。条件を変えてください。",
                )]));
            }
            invite(w, &form, &ids, notify).await
        })
        .await
}

/// Inserts the invitations not there yet, in batches, mails them (unless
/// `notify` says not to) and describes the send for the audit log.
async fn invite(
    w: &mut Writing<'_>,
    form: &Form,
    company_ids: &[i64],
    notify: Notify,
) -> Result<Sent, StoreError> {
    let txn = w.txn();
    let existing: HashSet<i64> = survey_invitation::Entity::find()
        .select_only()
        .column(survey_invitation::Column::CompanyId)
        .filter(survey_invitation::Column::FormId.eq(form.id))
        .into_tuple::<i64>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let mut seen = HashSet::new();
    let mut new = Vec::new();
    let mut already = 0u64;
    for id in company_ids {
        if !seen.insert(*id) {
            continue;
        }
        if existing.contains(id) {
            already += 1;
        } else {
            new.push(*id);
        }
    }
    let now = Utc::now();
    let new: Vec<(i64, String)> = new.into_iter().map(|id| (id, new_token())).collect();
    for chunk in new.chunks(BATCH) {
        survey_invitation::Entity::insert_many(chunk.iter().map(|(id, token)| {
            survey_invitation::ActiveModel {
                form_id: Set(form.id),
                company_id: Set(*id),
                token: Set(token.clone()),
                sent_at: Set(now),
                opened_at: Set(None),
                reminders: Set(0),
                reminded_at: Set(None),
                ..Default::default()
            }
        }))
        .exec(txn)
        .await?;
    }
    let mail = match notify {
        Notify::Mail => survey_mail::queue(w, form, &new, Round::Invitation).await?,
        Notify::LinksOnly => Mailed::default(),
    };
    let sent = Sent {
        invited: new.len() as u64,
        already,
        mail,
    };
    w.audit(
        Audited::new(
            Action::Send,
            Entity::Survey,
            form.key.clone(),
            Some(form.owner.id),
            format!(
                "「{}」を{}社に配布（配布済み{}社は除く・案内メール{}通）",
                form.title, sent.invited, sent.already, mail.queued
            ),
        )
        .after(json!({"invited": sent.invited, "already": sent.already,
            "mailed": mail.queued, "no_address": mail.no_address,
            "unsubscribed": mail.unsubscribed})),
    );
    Ok(sent)
}

async fn invitation_by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<survey_invitation::Model, StoreError> {
    let unknown = || StoreError::not_found("回答リンク");
    // Tokens are lower-case hex: anything else cannot be one (and is not looked up).
    if token.len() != 40 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(unknown());
    }
    survey_invitation::Entity::find()
        .filter(survey_invitation::Column::Token.eq(token))
        .one(db)
        .await?
        .ok_or_else(unknown)
}

async fn link_parts(
    db: &impl ConnectionTrait,
    invitation: &survey_invitation::Model,
) -> Result<(Form, company::Model), StoreError> {
    let form_key: String = crate::entity::form::Entity::find_by_id(invitation.form_id)
        .select_only()
        .column(crate::entity::form::Column::Key)
        .into_tuple()
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("回答リンク"))?;
    let form = forms::load(db, &form_key).await?;
    let company = company::Entity::find_by_id(invitation.company_id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("回答リンク"))?;
    Ok((form, company))
}

/// Opens an answer link: the form, its company and what was saved. The first
/// opening is recorded (開封).
pub async fn open(store: &Store, token: &str) -> Result<Link, StoreError> {
    open_as(store, token, true).await
}

/// [`open`], recording the opening only when `respondent` (staff checking a link
/// from the tracking list do not open it for the company).
pub async fn open_as(store: &Store, token: &str, respondent: bool) -> Result<Link, StoreError> {
    let invitation = invitation_by_token(&store.db, token).await?;
    if respondent && invitation.opened_at.is_none() {
        survey_invitation::Entity::update_many()
            .col_expr(
                survey_invitation::Column::OpenedAt,
                Expr::value(Some(Utc::now())),
            )
            .filter(survey_invitation::Column::Id.eq(invitation.id))
            .filter(survey_invitation::Column::OpenedAt.is_null())
            .exec(&store.db)
            .await?;
    }
    let (form, company) = link_parts(&store.db, &invitation).await?;
    let response = match forms::response_row(&store.db, form.id, company.id).await? {
        Some(row) => {
            let version = crate::entity::form_version::Entity::find_by_id(row.version_id)
                .one(&store.db)
                .await?
                .map_or(0, |v| u32::try_from(v.number).unwrap_or(0));
            Some(forms::to_response(&form, &company, row, version)?)
        }
        None => None,
    };
    Ok(Link {
        form,
        company_key: company.key,
        company_name: company.name,
        response,
    })
}

/// Autosave through an answer link: for its one company on its one form.
pub async fn save_draft(
    store: &Store,
    token: &str,
    raw: &RawAnswers,
) -> Result<Response, StoreError> {
    let invitation = invitation_by_token(&store.db, token).await?;
    let (form, company) = link_parts(&store.db, &invitation).await?;
    forms::save_draft_for(store, &form.key, &company.key, raw, |c| {
        link_answers_for(&invitation, c)
    })
    .await
}

/// Submission through an answer link, by the same rules as [`forms::submit`]
/// (validation, period, one submission); the audit entry says 「回答リンクから」.
pub async fn submit(store: &Store, token: &str, raw: &RawAnswers) -> Result<Response, StoreError> {
    let invitation = invitation_by_token(&store.db, token).await?;
    let (form, company) = link_parts(&store.db, &invitation).await?;
    forms::submit_for(store, None, &form.key, &company.key, raw, |c| {
        link_answers_for(&invitation, c)
    })
    .await
}

/// A link acts for its own company only.
fn link_answers_for(
    invitation: &survey_invitation::Model,
    company: &company::Model,
) -> Result<(), StoreError> {
    if company.id == invitation.company_id {
        Ok(())
    } else {
        Err(StoreError::forbidden(
            "この回答リンクでは他の企業として回答できません。",
        ))
    }
}

/// Every invitation of the form with its status, in sending order (three queries).
async fn all_invitations(
    db: &impl ConnectionTrait,
    form: &Form,
) -> Result<Vec<Invitation>, StoreError> {
    let rows = survey_invitation::Entity::find()
        .filter(survey_invitation::Column::FormId.eq(form.id))
        .order_by_asc(survey_invitation::Column::Id)
        .all(db)
        .await?;
    let statuses: HashMap<i64, ResponseStatus> = form_response::Entity::find()
        .select_only()
        .column(form_response::Column::CompanyId)
        .column(form_response::Column::Status)
        .filter(form_response::Column::FormId.eq(form.id))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(company, status)| {
            let status = if status == ResponseStatus::Submitted.code() {
                ResponseStatus::Submitted
            } else {
                ResponseStatus::Draft
            };
            (company, status)
        })
        .collect();
    let companies = forms::companies_by_id(db, rows.iter().map(|r| r.company_id)).await?;
    let directory = crate::organisations::directory_in(db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let company = companies.get(&row.company_id)?;
            let city = company
                .city_id
                .and_then(|id| directory.cities.iter().find(|c| c.id == id))
                .map(|c| c.name.clone())
                .unwrap_or_default();
            Some(Invitation {
                company_key: company.key.clone(),
                company_name: company.name.clone(),
                city,
                contact_name: company.contact_name.clone(),
                contact_email: company.contact_email.clone(),
                status: InvitationStatus::of(
                    row.opened_at.is_some(),
                    statuses.get(&row.company_id).copied(),
                ),
                token: row.token,
                sent_at: row.sent_at,
                opened_at: row.opened_at,
                reminders: u32::try_from(row.reminders).unwrap_or(0),
                reminded_at: row.reminded_at,
                demo: crate::demo::is_demo_company(&company.source),
            })
        })
        .collect())
}

fn count(invitations: &[Invitation]) -> Counts {
    let mut counts = Counts {
        sent: invitations.len() as u64,
        ..Counts::default()
    };
    for invitation in invitations {
        match invitation.status {
            InvitationStatus::Unopened => counts.unopened += 1,
            InvitationStatus::Opened => counts.opened_only += 1,
            InvitationStatus::Draft => counts.draft += 1,
            InvitationStatus::Submitted => counts.submitted += 1,
        }
        counts.reminder_rounds = counts.reminder_rounds.max(invitation.reminders);
        if invitation.reminded_at > counts.last_reminded {
            counts.last_reminded = invitation.reminded_at;
        }
    }
    counts.opened = counts.sent - counts.unopened;
    counts
}

/// The counts of a survey, for its owning organisation's staff.
pub async fn counts(store: &Store, actor: &Actor, form_key: &str) -> Result<Counts, StoreError> {
    let form = forms::load(&store.db, form_key).await?;
    check_owner_staff(actor, &form)?;
    Ok(count(&all_invitations(&store.db, &form).await?))
}

/// One page (from 1) of the tracking list, of one status or all.
pub async fn tracking(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    status: Option<InvitationStatus>,
    page: usize,
) -> Result<Tracking, StoreError> {
    let form = forms::load(&store.db, form_key).await?;
    check_owner_staff(actor, &form)?;
    let all = all_invitations(&store.db, &form).await?;
    let counts = count(&all);
    let matching: Vec<Invitation> = all
        .into_iter()
        .filter(|i| status.is_none_or(|s| i.status == s))
        .collect();
    let pages = matching.len().div_ceil(PAGE_SIZE).max(1);
    let page = page.clamp(1, pages);
    Ok(Tracking {
        counts,
        matching: matching.len() as u64,
        page,
        pages,
        rows: matching
            .into_iter()
            .skip((page - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .collect(),
    })
}

/// The companies that have not submitted, with their links and contact e-mail, for
/// the staff's mail merge.
pub async fn unanswered(
    store: &Store,
    actor: &Actor,
    form_key: &str,
) -> Result<Vec<Invitation>, StoreError> {
    let form = forms::load(&store.db, form_key).await?;
    check_owner_staff(actor, &form)?;
    Ok(all_invitations(&store.db, &form)
        .await?
        .into_iter()
        .filter(|i| i.status != InvitationStatus::Submitted)
        .collect())
}

/// Records a reminder round for every invitation not yet submitted and mails each of
/// them its link again; returns how many were reminded.
pub async fn remind(store: &Store, actor: &Actor, form_key: &str) -> Result<u64, StoreError> {
    Ok(remind_with(store, actor, form_key, Notify::Mail)
        .await?
        .reminded)
}

/// A reminder round: recorded on every invitation not yet submitted, and mailed to
/// them (those who unsubscribed excepted) unless `notify` says the staff contact
/// them by their own mail merge of [`unanswered`]. Audited.
pub async fn remind_with(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    notify: Notify,
) -> Result<Reminded, StoreError> {
    store
        .write(Some(actor), async |w| {
            let txn = w.txn();
            let form = forms::load(txn, form_key).await?;
            check_owner_staff(actor, &form)?;
            // One round of a form at a time (PostgreSQL; SQLite's write lock is taken
            // already): a second round started meanwhile — another staff member, or a
            // double submission reaching another process — waits and becomes the next
            // round instead of a second 「第N回」 counted twice.
            crate::entity::form::Entity::find_by_id(form.id)
                .lock_exclusive()
                .one(txn)
                .await?;
            let submitted: HashSet<i64> = form_response::Entity::find()
                .select_only()
                .column(form_response::Column::CompanyId)
                .filter(form_response::Column::FormId.eq(form.id))
                .filter(form_response::Column::Status.eq(ResponseStatus::Submitted.code()))
                .into_tuple::<i64>()
                .all(txn)
                .await?
                .into_iter()
                .collect();
            let pending: Vec<(i64, i64, String, i32)> = survey_invitation::Entity::find()
                .select_only()
                .column(survey_invitation::Column::Id)
                .column(survey_invitation::Column::CompanyId)
                .column(survey_invitation::Column::Token)
                .column(survey_invitation::Column::Reminders)
                .filter(survey_invitation::Column::FormId.eq(form.id))
                .order_by_asc(survey_invitation::Column::Id)
                .into_tuple::<(i64, i64, String, i32)>()
                .all(txn)
                .await?
                .into_iter()
                .filter(|(_, company, _, _)| !submitted.contains(company))
                .collect();
            if pending.is_empty() {
                return Err(StoreError::Conflict(
                    "未回答の企業はありません。督促の必要はありません。".into(),
                ));
            }
            let round = pending
                .iter()
                .map(|(_, _, _, reminders)| u32::try_from(*reminders).unwrap_or(0))
                .max()
                .unwrap_or(0)
                + 1;
            let now = Utc::now();
            for chunk in pending.chunks(500) {
                survey_invitation::Entity::update_many()
                    .col_expr(
                        survey_invitation::Column::Reminders,
                        Expr::col(survey_invitation::Column::Reminders).add(1),
                    )
                    .col_expr(
                        survey_invitation::Column::RemindedAt,
                        Expr::value(Some(now)),
                    )
                    .filter(survey_invitation::Column::Id.is_in(chunk.iter().map(|p| p.0)))
                    .exec(txn)
                    .await?;
            }
            let reminded = pending.len() as u64;
            let mail = match notify {
                Notify::Mail => {
                    let invited: Vec<(i64, String)> = pending
                        .into_iter()
                        .map(|(_, company, token, _)| (company, token))
                        .collect();
                    survey_mail::queue(w, &form, &invited, Round::Reminder(round)).await?
                }
                Notify::LinksOnly => Mailed::default(),
            };
            w.audit(
                Audited::new(
                    Action::Remind,
                    Entity::Survey,
                    form.key.clone(),
                    Some(form.owner.id),
                    format!(
                        "「{}」の未回答{}社に督促（第{round}回・督促メール{}通）",
                        form.title, reminded, mail.queued
                    ),
                )
                .after(json!({"reminded": reminded, "round": round,
                    "mailed": mail.queued, "no_address": mail.no_address,
                    "unsubscribed": mail.unsubscribed})),
            );
            Ok(Reminded {
                reminded,
                round,
                mail,
            })
        })
        .await
}

/// Who reads a form's aggregates: signed-in staff of any organisation and the
/// secretariat (company members answer; they do not read others' results).
fn check_may_see_aggregates(actor: &Actor) -> Result<(), StoreError> {
    if matches!(actor.role, Role::Staff | Role::Secretariat) {
        Ok(())
    } else {
        Err(StoreError::forbidden(
            "集計結果は市区・商工会議所の職員と協議会事務局が閲覧できます。",
        ))
    }
}

/// A form's results: the form, every question summarised over the submitted
/// responses, and how many submitted.
pub async fn results(
    store: &Store,
    actor: &Actor,
    form_key: &str,
) -> Result<(Form, Vec<domain::forms::aggregate::QuestionSummary>, u64), StoreError> {
    check_may_see_aggregates(actor)?;
    let form = forms::get(store, form_key).await?;
    let summary = forms::aggregate(store, form_key).await?;
    let (_, submitted) = forms::counts(store, form_key).await?;
    Ok((form, summary, submitted))
}

/// How many of a form's submitted answers are invented demonstration companies'
/// (marked 「デモ」 beside the results), for those who read aggregates.
pub async fn invented_answers(
    store: &Store,
    actor: &Actor,
    form_key: &str,
) -> Result<u64, StoreError> {
    check_may_see_aggregates(actor)?;
    let form = forms::get(store, form_key).await?;
    let ids: Vec<i64> = form_response::Entity::find()
        .select_only()
        .column(form_response::Column::CompanyId)
        .filter(form_response::Column::FormId.eq(form.id))
        .filter(form_response::Column::Status.eq(ResponseStatus::Submitted.code()))
        .into_tuple::<i64>()
        .all(&store.db)
        .await?;
    let companies = forms::companies_by_id(&store.db, ids.iter().copied()).await?;
    Ok(ids
        .iter()
        .filter(|id| {
            companies
                .get(id)
                .is_some_and(|c| crate::demo::is_demo_company(&c.source))
        })
        .count() as u64)
}

/// One question cross-tabulated by city, industry or size, for those who read
/// aggregates.
pub async fn cross_tab(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    question: &str,
    by: forms::GroupBy,
) -> Result<Vec<domain::forms::aggregate::CrossRow>, StoreError> {
    check_may_see_aggregates(actor)?;
    forms::cross_tab(store, form_key, question, by).await
}

// ---------------------------------------------------------------- demo data

const SURVEYS_TOML: &str = include_str!("../../../data/council/surveys.toml");

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFile {
    survey: Vec<SeedSurvey>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedSurvey {
    key: String,
    organisation: String,
    title: String,
    description: String,
    fiscal_year: i32,
    opens_on: String,
    closes_on: String,
    definition: domain::forms::FormDefinition,
    invite: Vec<String>,
    #[serde(default)]
    draft: Vec<String>,
    #[serde(default)]
    opened: Vec<String>,
    #[serde(default)]
    answer: Vec<SeedAnswer>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedAnswer {
    company: String,
    values: std::collections::BTreeMap<String, SeedValue>,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum SeedValue {
    One(String),
    Many(Vec<String>),
}

fn broken_seed(what: impl std::fmt::Display) -> StoreError {
    StoreError::Config(format!("data/council/surveys.toml: {what}"))
}

/// Loads the demonstration surveys of `data/council/surveys.toml` (their forms,
/// invitations and submitted answers, dated in their fiscal year) into a database
/// that has no survey invitation yet. A survey whose companies are not all in the
/// directory, or whose key is taken, is skipped. Returns how many were loaded.
pub async fn load_demo_if_empty(store: &Store) -> Result<usize, StoreError> {
    use sea_orm::{ActiveModelTrait, PaginatorTrait};
    if survey_invitation::Entity::find().count(&store.db).await? > 0 {
        return Ok(0);
    }
    let file: SeedFile = toml::from_str(SURVEYS_TOML).map_err(broken_seed)?;
    let directory = crate::organisations::directory(store).await?;
    let mut loaded = 0;
    for seed in &file.survey {
        seed.definition
            .check()
            .map_err(|e| broken_seed(format!("{}: {e:?}", seed.key)))?;
        if crate::entity::form::Entity::find()
            .filter(crate::entity::form::Column::Key.eq(seed.key.as_str()))
            .count(&store.db)
            .await?
            > 0
        {
            continue;
        }
        let companies: HashMap<String, i64> = company::Entity::find()
            .select_only()
            .column(company::Column::Key)
            .column(company::Column::Id)
            .filter(company::Column::Key.is_in(seed.invite.iter().map(String::as_str)))
            .into_tuple::<(String, i64)>()
            .all(&store.db)
            .await?
            .into_iter()
            .collect();
        if companies.len() < seed.invite.len() {
            // A database whose directory came from elsewhere: no demonstration survey.
            continue;
        }
        let owner = directory
            .organisation_by_key(&seed.organisation)
            .ok_or_else(|| broken_seed(format!("団体「{}」がありません", seed.organisation)))?;
        let day = |text: &str| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|e| broken_seed(format!("{}: 日付「{text}」: {e}", seed.key)))
        };
        let (opens, closes) = (day(&seed.opens_on)?, day(&seed.closes_on)?);
        // Noon in Japan on a day of the answering period.
        let at = |date: chrono::NaiveDate, days: i64| {
            (date + chrono::Duration::days(days))
                .and_hms_opt(3, 0, 0)
                .unwrap_or_default()
                .and_utc()
        };
        let sent_at = at(opens, 0);
        let txn = store.begin().await?;
        let form = crate::entity::form::ActiveModel {
            key: Set(seed.key.clone()),
            owner_organisation_id: Set(owner.id),
            purpose: Set(FormPurpose::Survey.code().into()),
            title: Set(seed.title.clone()),
            description: Set(seed.description.clone()),
            eligibility: Set(String::new()),
            award_year: Set(None),
            opens_on: Set(Some(seed.opens_on.clone())),
            closes_on: Set(Some(seed.closes_on.clone())),
            created_at: Set(sent_at),
            updated_at: Set(sent_at),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let definition = serde_json::to_string(&seed.definition).map_err(broken_seed)?;
        let version = crate::entity::form_version::ActiveModel {
            form_id: Set(form.id),
            number: Set(1),
            definition: Set(definition),
            created_at: Set(sent_at),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let answered: HashSet<&str> = seed.answer.iter().map(|a| a.company.as_str()).collect();
        let started: HashSet<&str> = seed.draft.iter().map(String::as_str).collect();
        let opened: HashSet<&str> = seed.opened.iter().map(String::as_str).collect();
        let span = (closes - opens).num_days().max(1);
        for (i, key) in seed.invite.iter().enumerate() {
            let k = key.as_str();
            let touched = answered.contains(k) || started.contains(k) || opened.contains(k);
            let offset = i64::try_from(i).unwrap_or(0) % span;
            survey_invitation::ActiveModel {
                form_id: Set(form.id),
                company_id: Set(companies[k]),
                token: Set(new_token()),
                sent_at: Set(sent_at),
                opened_at: Set(touched.then(|| at(opens, offset + 1))),
                reminders: Set(if answered.contains(k) { 0 } else { 1 }),
                reminded_at: Set((!answered.contains(k)).then(|| at(opens, span / 2))),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        let raw_of = |values: &std::collections::BTreeMap<String, SeedValue>| {
            let mut raw = RawAnswers::default();
            for (id, value) in values {
                raw.set(
                    id.clone(),
                    match value {
                        SeedValue::One(text) => domain::forms::RawAnswer::Text(text.clone()),
                        SeedValue::Many(items) => domain::forms::RawAnswer::Choices(items.clone()),
                    },
                );
            }
            raw
        };
        let response = |company: &str, raw: &RawAnswers, answers: Option<String>, day: i64| {
            let when = at(opens, day);
            Ok::<_, StoreError>(form_response::ActiveModel {
                form_id: Set(form.id),
                version_id: Set(version.id),
                company_id: Set(companies.get(company).copied().ok_or_else(|| {
                    broken_seed(format!("{}: 「{company}」に配布していません", seed.key))
                })?),
                status: Set(if answers.is_some() {
                    ResponseStatus::Submitted.code().into()
                } else {
                    ResponseStatus::Draft.code().into()
                }),
                raw: Set(serde_json::to_string(raw).map_err(broken_seed)?),
                submitted_at: Set(answers.is_some().then_some(when)),
                answers: Set(answers),
                created_at: Set(when),
                updated_at: Set(when),
                ..Default::default()
            })
        };
        for (i, answer) in seed.answer.iter().enumerate() {
            let raw = raw_of(&answer.values);
            let parsed = seed
                .definition
                .parse_answers(&raw)
                .map_err(|e| broken_seed(format!("{} / {}: {e:?}", seed.key, answer.company)))?;
            let json = serde_json::to_string(&parsed).map_err(broken_seed)?;
            let day = 2 + i64::try_from(i).unwrap_or(0) % span;
            response(&answer.company, &raw, Some(json), day)?
                .insert(&txn)
                .await?;
        }
        for company in &seed.draft {
            let raw = RawAnswers::default().with("note", "（回答途中）");
            response(company, &raw, None, 3)?.insert(&txn).await?;
        }
        audit::record(
            &txn,
            None,
            Change {
                action: "send",
                entity: "survey",
                entity_key: seed.key.clone(),
                organisation_id: Some(owner.id),
                summary: format!(
                    "デモデータ：{}年度「{}」を{}社に配布",
                    seed.fiscal_year,
                    seed.title,
                    seed.invite.len()
                ),
                before: None,
                after: Some(json!({"invited": seed.invite.len(), "submitted": seed.answer.len()})),
            },
        )
        .await?;
        txn.commit().await?;
        loaded += 1;
    }
    Ok(loaded)
}
