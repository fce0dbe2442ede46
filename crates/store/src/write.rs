//! The one write path: [`Store::write`] begins the transaction, runs a use case with
//! it, records what the use case describes in the audit log (with its `changes` row),
//! inserts the messages it queued into the outbox, maps a named unique constraint to
//! the field it guards ([`crate::error::on_constraint`] at the insert), and commits — all or nothing. A use case never calls
//! `begin`, `audit::record` or `commit` itself; it says what it did with a typed
//! [`Audited`] and what it sends with [`Writing::send`].
//!
//! The registrations engine was the first written this way (then events, sign-up,
//! invitations, two-step sign-in and API tokens); the others still call `begin()` and
//! `audit::record` by hand and move over one engine at a time.

use domain::Actor;
use sea_orm::DatabaseTransaction;

use crate::audit::{self, Change};
use crate::notices;
use crate::outbox::{self, Outgoing};
use crate::{Store, StoreError};

/// What was done, as the audit log stores it (the codes are the strings the log has
/// always held, so old and new entries read alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Cancel,
    Seed,
    Register,
    Promote,
    Withdraw,
    Attendance,
    Resend,
    /// A sign-up asked for (company membership or an individual account).
    SignUp,
    /// An e-mail address proven through its mailed link.
    Confirm,
    /// A request or a publication approved by its keeper.
    Approve,
    /// A request or a publication refused, with the reason.
    Refuse,
    /// A password-reset link was mailed.
    RequestReset,
    /// A password was set through a reset link.
    ResetPassword,
    Invite,
    /// A pending invitation was withdrawn.
    Revoke,
    /// An invitation became an account.
    Accept,
    Send,
    Remind,
    Subscribe,
    Unsubscribe,
    /// Two-step sign-in set up with a confirmed code.
    TwoStepEnrol,
    /// A wrong two-step code.
    TwoStepFailure,
    /// Two-step sign-in locked after wrong codes.
    TwoStepLock,
    /// A recovery code used to sign in.
    TwoStepRecovery,
    /// Two-step sign-in reset by the secretariat (a lost device).
    TwoStepReset,
    /// An organisation's requirement of two-step sign-in switched.
    TwoStepSetting,
    TokenCreate,
    TokenRevoke,
    /// A change requested with an API token.
    TokenUse,
    /// What an event achieved (実績) was recorded.
    Record,
    /// A company joined a share office.
    AddMember,
    /// A company left a share office.
    RemoveMember,
}

impl Action {
    pub fn code(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Cancel => "cancel",
            Action::Seed => "seed",
            Action::Register => "register",
            Action::Promote => "promote",
            Action::Withdraw => "withdraw",
            Action::Attendance => "attendance",
            Action::Resend => "resend",
            Action::SignUp => "signup",
            Action::Confirm => "confirm",
            Action::Approve => "approve",
            Action::Refuse => "refuse",
            Action::RequestReset => "reset_request",
            Action::ResetPassword => "password_reset",
            Action::Invite => "invite",
            Action::Revoke => "revoke",
            Action::Accept => "accept",
            Action::Send => "send",
            Action::Remind => "remind",
            Action::Subscribe => "subscribe",
            Action::Unsubscribe => "unsubscribe",
            Action::TwoStepEnrol => "two-step-enrol",
            Action::TwoStepFailure => "two-step-failure",
            Action::TwoStepLock => "two-step-lock",
            Action::TwoStepRecovery => "two-step-recovery",
            Action::TwoStepReset => "two-step-reset",
            Action::TwoStepSetting => "two-step-setting",
            Action::TokenCreate => "token-create",
            Action::TokenRevoke => "token-revoke",
            Action::TokenUse => "token-use",
            Action::Record => "record",
            Action::AddMember => "add_member",
            Action::RemoveMember => "remove_member",
        }
    }
}

/// What kind of record it was done to, as the audit log stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Event,
    Registration,
    /// The council's seed data as a whole.
    Council,
    MailMessage,
    SignupRequest,
    User,
    Person,
    Invitation,
    Survey,
    /// A mailing list (`survey.<organisation>`, `digest`): unsubscribes.
    MailList,
    DigestSubscription,
    /// A week's digest round.
    Digest,
    /// A person's choice of お知らせ by mail.
    NoticePreferences,
    DiagnosisFollowup,
    Organisation,
    ApiToken,
    /// An event's 実績.
    EventResult,
    /// A 拠点 of the facilities register.
    Facility,
    ShareOffice,
    /// A district of a city's register (特別用途地区, 地区計画).
    District,
    /// An industrial site a city offers.
    IndustrialSite,
    /// A company's enquiry about a site, and its steps.
    SiteEnquiry,
    /// A document of the library, and its versions.
    Document,
    /// A factory opened as a site of an event (オープンファクトリー), with its slots.
    EventSite,
    /// A group of companies and partners across cities, its members, meetings and shares.
    Group,
}

impl Entity {
    pub fn code(self) -> &'static str {
        match self {
            Entity::Event => "event",
            Entity::Registration => "registration",
            Entity::Council => "council",
            Entity::MailMessage => "mail_message",
            Entity::SignupRequest => "signup_request",
            Entity::User => "user",
            Entity::Person => "person",
            Entity::Invitation => "invitation",
            Entity::Survey => "survey",
            Entity::MailList => "mail_list",
            Entity::DigestSubscription => "digest_subscription",
            Entity::Digest => "digest",
            Entity::NoticePreferences => "notice_preferences",
            Entity::DiagnosisFollowup => "diagnosis_followup",
            Entity::Organisation => "organisation",
            Entity::ApiToken => "api_token",
            Entity::EventResult => "event_result",
            Entity::Facility => "facility",
            Entity::ShareOffice => "share_office",
            Entity::District => "district",
            Entity::IndustrialSite => "industrial_site",
            Entity::SiteEnquiry => "site_enquiry",
            Entity::Document => "document",
            Entity::EventSite => "event_site",
            Entity::Group => "group",
        }
    }
}

/// Who the audit log names for an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum By {
    /// The actor the write runs for (the system when there is none).
    #[default]
    Actor,
    /// The platform itself, as a consequence of the actor's change (a waiting
    /// registration moving up when someone withdraws).
    System,
}

/// One audit entry, described by the use case.
#[derive(Debug, Clone)]
pub struct Audited {
    pub action: Action,
    pub entity: Entity,
    pub entity_key: String,
    pub organisation_id: Option<i64>,
    /// One line in Japanese for the log's list view.
    pub summary: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub by: By,
}

impl Audited {
    /// An entry without snapshots, by the actor.
    pub fn new(
        action: Action,
        entity: Entity,
        entity_key: impl Into<String>,
        organisation_id: Option<i64>,
        summary: impl Into<String>,
    ) -> Audited {
        Audited {
            action,
            entity,
            entity_key: entity_key.into(),
            organisation_id,
            summary: summary.into(),
            before: None,
            after: None,
            by: By::Actor,
        }
    }

    pub fn before(mut self, snapshot: serde_json::Value) -> Audited {
        self.before = Some(snapshot);
        self
    }

    pub fn after(mut self, snapshot: serde_json::Value) -> Audited {
        self.after = Some(snapshot);
        self
    }

    pub fn by_system(mut self) -> Audited {
        self.by = By::System;
        self
    }
}

/// A write in progress: the transaction, and what the use case has said it did and
/// sends. Only [`Store::write`] makes one.
pub struct Writing<'a> {
    txn: DatabaseTransaction,
    actor: Option<&'a Actor>,
    audited: Vec<Audited>,
    outgoing: Vec<Outgoing>,
}

impl Writing<'_> {
    /// The transaction, for the use case's reads and writes.
    pub fn txn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Whom the write runs for.
    pub fn actor(&self) -> Option<&Actor> {
        self.actor
    }

    /// Adds an audit entry; entries are written in the order given, before commit.
    pub fn audit(&mut self, entry: Audited) {
        self.audited.push(entry);
    }

    /// Queues a message: it enters the outbox in this transaction, so it is sent if
    /// and only if the change commits.
    pub fn send(&mut self, message: Outgoing) {
        self.outgoing.push(message);
    }

    /// Tells one person what happened (see [`crate::notices`]): the in-app お知らせ
    /// and, as their preferences allow, the mail, both in this transaction.
    pub async fn notify(
        &mut self,
        to: &notices::Recipient,
        what: &notices::Notice,
    ) -> Result<notices::Delivered, StoreError> {
        notices::notify(&self.txn, to, what).await
    }
}

impl Store {
    /// Runs `use_case` as one transaction (see the module's doc). On SQLite the write
    /// lock is taken at once, as [`Store::begin`] explains. Whatever the use case
    /// returns as an error rolls everything back, messages included.
    pub async fn write<T>(
        &self,
        actor: Option<&Actor>,
        use_case: impl AsyncFnOnce(&mut Writing<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut writing = Writing {
            txn: self.begin().await?,
            actor,
            audited: Vec::new(),
            outgoing: Vec::new(),
        };
        // On an error the transaction is dropped, which rolls it back.
        let value = Self::finish(&mut writing, use_case).await?;
        writing.txn.commit().await?;
        Ok(value)
    }

    async fn finish<T>(
        writing: &mut Writing<'_>,
        use_case: impl AsyncFnOnce(&mut Writing<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let value = use_case(writing).await?;
        for entry in std::mem::take(&mut writing.audited) {
            let actor = match entry.by {
                By::Actor => writing.actor,
                By::System => None,
            };
            audit::record(
                &writing.txn,
                actor,
                Change {
                    action: entry.action.code(),
                    entity: entry.entity.code(),
                    entity_key: entry.entity_key,
                    organisation_id: entry.organisation_id,
                    summary: entry.summary,
                    before: entry.before,
                    after: entry.after,
                },
            )
            .await?;
        }
        outbox::enqueue_all(&writing.txn, std::mem::take(&mut writing.outgoing)).await?;
        Ok(value)
    }
}
