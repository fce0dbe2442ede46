//! Applications to calls (募集) in the store: a call's settings and reviewers, the
//! application a submission creates (in the same transaction, from
//! [`forms::submit`](crate::forms::submit)), its workflow (review, return, decision,
//! each step recorded with who, when, from, to and the comment, and audited), one
//! review per reviewer, notices by mail and in お知らせ ([`crate::notices::applications`]), and the public registry that approved
//! certifications and awards enter.
//!
//! Authorisation is here: the owning organisation's staff review and decide, the
//! applicant's members read their own application (not the reviews), and nobody
//! with a stake in the applicant reviews or decides ([`stake_of`]).

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use domain::applications::{
    Action, ApplicationStatus, CallInput, CallKind, CallSettings, RegistryKind, Step, average,
    parse_score, stake_of, transition, years_in_business,
};
use domain::forms::{Answer, Answers, FormDefinition, FormPurpose, RawAnswers};
use domain::{Actor, Invalid, Role};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::audit::{self, Change};
use crate::entity::{
    application, application_review, application_transition, call, call_reviewer, company, form,
    form_response, form_version, registry_entry, user,
};
use crate::forms::{self, Form, from_json};
use crate::organisations;
use crate::{Store, StoreError};

/// A call: its form and, once staff have set them, its settings and reviewers.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub form: Form,
    pub settings: Option<CallSettings>,
    pub reviewers: Vec<Reviewer>,
}

impl Call {
    pub fn kind(&self) -> Option<CallKind> {
        self.settings.as_ref().map(|s| s.kind)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewer {
    pub user_id: i64,
    pub email: String,
}

/// One application as lists show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationSummary {
    pub id: i64,
    pub form_key: String,
    pub form_title: String,
    pub company_key: String,
    pub company_name: String,
    pub status: ApplicationStatus,
    pub amount: Option<i64>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// How many reviews, and their mean (staff only; 0 and `None` for others).
    pub reviews: usize,
    pub average: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub user_id: i64,
    pub email: String,
    pub score: u8,
    pub comment: String,
    pub updated_at: DateTime<Utc>,
}

/// One step of the workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub from: Option<ApplicationStatus>,
    pub to: ApplicationStatus,
    pub email: String,
    pub comment: String,
    pub at: DateTime<Utc>,
}

/// An application as its page shows it to someone allowed to see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    pub summary: ApplicationSummary,
    pub call: Call,
    pub company_id: i64,
    pub founded_year: Option<i32>,
    /// The questions of the version answered.
    pub definition: FormDefinition,
    pub raw: RawAnswers,
    pub answers: Option<Answers>,
    /// Reviews: the owning organisation's staff only.
    pub reviews: Vec<Review>,
    pub history: Vec<Transition>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub registry_slug: Option<String>,
    /// Why the viewer may neither review nor decide, when they have a stake.
    pub viewer_stake: Option<String>,
    pub viewer_may_review: bool,
    pub viewer_may_decide: bool,
}

impl Application {
    /// The viewer's own review, to refill the review form.
    pub fn review_of(&self, user_id: i64) -> Option<&Review> {
        self.reviews.iter().find(|r| r.user_id == user_id)
    }
}

/// A public registry entry: an approved certification or award.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryEntry {
    pub slug: String,
    pub kind: RegistryKind,
    pub category: String,
    pub title: String,
    pub summary: String,
    pub year: i32,
    pub approved_at: DateTime<Utc>,
    pub company_key: String,
    pub company_name: String,
    pub city_key: Option<String>,
    pub city_name: Option<String>,
    pub founded_year: Option<i32>,
    /// In the award year.
    pub years_in_business: Option<i32>,
    pub call_key: String,
    pub call_title: String,
    pub organisation_name: String,
    /// The entry of an invented demonstration company (marked 「デモ」).
    pub demo: bool,
}

/// Which registry entries to list; empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegistryFilter {
    pub kind: Option<RegistryKind>,
    /// A city's key.
    pub city: Option<String>,
}

fn staff_of_owner(actor: &Actor, form: &Form) -> bool {
    actor.role == Role::Staff && actor.organisation_id == Some(form.owner.id)
}

fn no_user(id: i64) -> Option<i64> {
    (id > 0).then_some(id)
}

// ---------------------------------------------------------------- calls

pub(crate) async fn call_in(db: &impl ConnectionTrait, form: Form) -> Result<Call, StoreError> {
    let Some(row) = call::Entity::find()
        .filter(call::Column::FormId.eq(form.id))
        .one(db)
        .await?
    else {
        return Ok(Call {
            form,
            settings: None,
            reviewers: Vec::new(),
        });
    };
    let optional = |text: &str| (!text.is_empty()).then(|| text.to_owned());
    let settings = CallSettings {
        kind: CallKind::parse(&row.kind).unwrap_or(CallKind::Certification),
        registry_kind: RegistryKind::parse(&row.registry_kind),
        category_question: optional(&row.category_question),
        title_question: optional(&row.title_question),
        summary_question: optional(&row.summary_question),
        amount_limit: row.amount_limit,
    };
    let ids: Vec<i64> = call_reviewer::Entity::find()
        .filter(call_reviewer::Column::CallId.eq(row.id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    let reviewers = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?
        .into_iter()
        .map(|u| Reviewer {
            user_id: u.id,
            email: u.email,
        })
        .collect();
    Ok(Call {
        form,
        settings: Some(settings),
        reviewers,
    })
}

/// A call: an application form with its settings. Public (a call is advertised).
pub async fn call(store: &Store, form_key: &str) -> Result<Call, StoreError> {
    let form = forms::load(&store.db, form_key).await?;
    if form.purpose != FormPurpose::Application {
        return Err(StoreError::not_found("募集"));
    }
    call_in(&store.db, form).await
}

/// Every call, newest first.
pub async fn calls(store: &Store) -> Result<Vec<Call>, StoreError> {
    let rows = form::Entity::find()
        .filter(form::Column::Purpose.eq(FormPurpose::Application.code()))
        .order_by_desc(form::Column::UpdatedAt)
        .all(&store.db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let form = forms::load(&store.db, &row.key).await?;
        out.push(call_in(&store.db, form).await?);
    }
    Ok(out)
}

/// Saves a call's settings and reviewers (staff of the owning organisation). The
/// reviewers must be staff of that organisation; an empty list lets all of its staff
/// review.
pub async fn save_call(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    input: &CallInput,
) -> Result<Call, StoreError> {
    let txn = store.begin().await?;
    let form = forms::load(&txn, form_key).await?;
    if form.purpose != FormPurpose::Application {
        return Err(StoreError::not_found("募集"));
    }
    if !actor.may_edit_catalogue_of(form.owner.id) {
        return Err(StoreError::forbidden(format!(
            "「{}」は{}の募集のため設定できません。",
            form.title, form.owner.name
        )));
    }
    let mut errors = Vec::new();
    let settings = CallSettings::parse(input, &form.latest.definition)
        .map_err(|e| errors.extend(e))
        .ok();
    let mut reviewer_ids = Vec::new();
    for email in input.reviewer_emails() {
        match user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .one(&txn)
            .await?
        {
            Some(u) if u.role == Role::Staff.code() && u.organisation_id == Some(form.owner.id) => {
                reviewer_ids.push(u.id);
            }
            _ => errors.push(Invalid::new(
                "reviewers",
                format!(
                    "審査員「{email}」は{}の職員アカウントではありません。",
                    form.owner.name
                ),
            )),
        }
    }
    let Some(settings) = settings.filter(|_| errors.is_empty()) else {
        return Err(StoreError::Invalid(errors));
    };
    let before = call_in(&txn, form.clone()).await?;
    let now = Utc::now();
    let existing = call::Entity::find()
        .filter(call::Column::FormId.eq(form.id))
        .one(&txn)
        .await?;
    let mut active = match existing {
        Some(row) => row.into(),
        None => call::ActiveModel {
            form_id: Set(form.id),
            ..Default::default()
        },
    };
    active.kind = Set(settings.kind.code().into());
    active.registry_kind = Set(settings
        .registry_kind
        .map(|k| k.code().to_owned())
        .unwrap_or_default());
    active.category_question = Set(settings.category_question.clone().unwrap_or_default());
    active.title_question = Set(settings.title_question.clone().unwrap_or_default());
    active.summary_question = Set(settings.summary_question.clone().unwrap_or_default());
    active.amount_limit = Set(settings.amount_limit);
    active.updated_at = Set(now);
    let row = active.save(&txn).await?;
    let call_id = match row.id {
        sea_orm::ActiveValue::Set(id) | sea_orm::ActiveValue::Unchanged(id) => id,
        sea_orm::ActiveValue::NotSet => {
            return Err(StoreError::Config("募集の設定を保存できません。".into()));
        }
    };
    call_reviewer::Entity::delete_many()
        .filter(call_reviewer::Column::CallId.eq(call_id))
        .exec(&txn)
        .await?;
    reviewer_ids.sort_unstable();
    reviewer_ids.dedup();
    for user_id in &reviewer_ids {
        call_reviewer::ActiveModel {
            call_id: Set(call_id),
            user_id: Set(*user_id),
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: if before.settings.is_some() {
                "update"
            } else {
                "create"
            },
            entity: "call",
            entity_key: form.key.clone(),
            organisation_id: Some(form.owner.id),
            summary: format!(
                "募集「{}」を{}として設定（審査員{}名）",
                form.title,
                settings.kind.label(),
                reviewer_ids.len()
            ),
            before: before
                .settings
                .as_ref()
                .map(|s| json!({"kind": s.kind.code()})),
            after: Some(json!({"kind": settings.kind.code(),
                "registry_kind": settings.registry_kind.map(|k| k.code()),
                "category_question": settings.category_question,
                "amount_limit": settings.amount_limit, "reviewers": reviewer_ids})),
        },
    )
    .await?;
    let saved = call_in(&txn, form).await?;
    txn.commit().await?;
    Ok(saved)
}

// ---------------------------------------------------------------- notifications

/// The call's reviewers, or every staff member of the owning organisation.
async fn reviewers_of(db: &impl ConnectionTrait, call: &Call) -> Result<Vec<i64>, StoreError> {
    if !call.reviewers.is_empty() {
        return Ok(call.reviewers.iter().map(|r| r.user_id).collect());
    }
    Ok(user::Entity::find()
        .filter(user::Column::OrganisationId.eq(call.form.owner.id))
        .filter(user::Column::Role.eq(Role::Staff.code()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect())
}

// ---------------------------------------------------------------- submission

async fn record_transition(
    db: &impl ConnectionTrait,
    application_id: i64,
    from: Option<ApplicationStatus>,
    to: ApplicationStatus,
    actor: Option<&Actor>,
    comment: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    application_transition::ActiveModel {
        application_id: Set(application_id),
        from_status: Set(from.map(|s| s.code().to_owned()).unwrap_or_default()),
        to_status: Set(to.code().into()),
        user_id: Set(actor.and_then(|a| no_user(a.user_id))),
        // Without an actor: answered through an invitation link.
        user_email: Set(actor.map_or_else(|| "回答リンク".to_owned(), |a| a.email.clone())),
        comment: Set(comment.to_owned()),
        at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Called by [`forms::submit`] in its transaction once a response is submitted: for
/// an application form, creates the application (提出済み) or moves a returned one
/// back to 提出済み, records the step, notifies the company's members and the
/// reviewers, and audits it.
pub(crate) async fn on_submit(
    db: &impl ConnectionTrait,
    actor: Option<&Actor>,
    form: &Form,
    company: &company::Model,
    response_id: i64,
) -> Result<(), StoreError> {
    if form.purpose != FormPurpose::Application {
        return Ok(());
    }
    let now = Utc::now();
    let existing = application::Entity::find()
        .filter(application::Column::ResponseId.eq(response_id))
        .one(db)
        .await?;
    let (id, from) = match existing {
        None => {
            let row = application::ActiveModel {
                form_id: Set(form.id),
                response_id: Set(response_id),
                company_id: Set(company.id),
                status: Set(ApplicationStatus::Submitted.code().into()),
                amount: Set(None),
                submitted_by: Set(actor.and_then(|a| no_user(a.user_id))),
                decided_by: Set(None),
                decided_by_email: Set(String::new()),
                decided_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
            (row.id, None)
        }
        Some(row) => {
            let from = ApplicationStatus::parse(&row.status);
            let from_status = from.unwrap_or(ApplicationStatus::Submitted);
            transition(from_status, Action::Resubmit).map_err(|_| {
                StoreError::Conflict(format!(
                    "「{}」への申請は既に提出済みです（{}）。",
                    form.title,
                    from_status.label()
                ))
            })?;
            let id = row.id;
            let mut active: application::ActiveModel = row.into();
            active.status = Set(ApplicationStatus::Submitted.code().into());
            active.submitted_by = Set(actor.and_then(|a| no_user(a.user_id)));
            active.updated_at = Set(now);
            active.update(db).await?;
            (id, from)
        }
    };
    record_transition(db, id, from, ApplicationStatus::Submitted, actor, "", now).await?;
    let resubmitted = from.is_some();
    let call = call_in(db, form.clone()).await?;
    let reviewers = reviewers_of(db, &call).await?;
    crate::notices::applications::submitted(db, &call, company, id, resubmitted, &reviewers)
        .await?;
    audit::record(
        db,
        actor,
        Change {
            action: if resubmitted { "resubmit" } else { "create" },
            entity: "application",
            entity_key: id.to_string(),
            organisation_id: Some(form.owner.id),
            summary: format!(
                "{}の「{}」への申請を{}",
                company.name,
                form.title,
                if resubmitted { "再提出" } else { "受付" }
            ),
            before: from.map(|s| json!({"status": s.code()})),
            after: Some(json!({"status": ApplicationStatus::Submitted.code(),
                "form": form.key, "company": company.key})),
        },
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- reading

async fn application_row(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<application::Model, StoreError> {
    application::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("申請"))
}

async fn reviews_of(
    db: &impl ConnectionTrait,
    application_id: i64,
) -> Result<Vec<Review>, StoreError> {
    Ok(application_review::Entity::find()
        .filter(application_review::Column::ApplicationId.eq(application_id))
        .order_by_asc(application_review::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| Review {
            user_id: r.user_id,
            email: r.user_email,
            score: u8::try_from(r.score).unwrap_or(0),
            comment: r.comment,
            updated_at: r.updated_at,
        })
        .collect())
}

async fn summary_of(
    db: &impl ConnectionTrait,
    row: &application::Model,
    form: &Form,
    company: &company::Model,
    with_reviews: bool,
) -> Result<ApplicationSummary, StoreError> {
    let response = form_response::Entity::find_by_id(row.response_id)
        .one(db)
        .await?;
    let reviews = if with_reviews {
        reviews_of(db, row.id).await?
    } else {
        Vec::new()
    };
    let scores: Vec<u8> = reviews.iter().map(|r| r.score).collect();
    Ok(ApplicationSummary {
        id: row.id,
        form_key: form.key.clone(),
        form_title: form.title.clone(),
        company_key: company.key.clone(),
        company_name: company.name.clone(),
        status: ApplicationStatus::parse(&row.status).unwrap_or(ApplicationStatus::Submitted),
        amount: row.amount,
        submitted_at: response.and_then(|r| r.submitted_at),
        updated_at: row.updated_at,
        reviews: reviews.len(),
        average: average(&scores),
    })
}

fn may_review(actor: &Actor, call: &Call) -> bool {
    staff_of_owner(actor, &call.form)
        && (call.reviewers.is_empty() || call.reviewers.iter().any(|r| r.user_id == actor.user_id))
}

/// One application, for the owning organisation's staff and the applicant's members;
/// `NotFound` for everyone else.
pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Application, StoreError> {
    let db = &store.db;
    let row = application_row(db, id).await?;
    let form_row = form::Entity::find_by_id(row.form_id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("募集"))?;
    let form = forms::load(db, &form_row.key).await?;
    if !actor.may_see_answers(form.owner.id, row.company_id) {
        return Err(StoreError::not_found("申請"));
    }
    let company = company::Entity::find_by_id(row.company_id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("企業"))?;
    let staff = staff_of_owner(actor, &form);
    if actor.company_id != Some(company.id) {
        // Individual answers: every staff read is logged, like the forms engine's.
        audit::record_read(
            db,
            actor,
            "application",
            row.id.to_string(),
            Some(form.owner.id),
            format!("「{}」への{}の申請を閲覧", form.title, company.name),
        )
        .await?;
    }
    let summary = summary_of(db, &row, &form, &company, staff).await?;
    let response = form_response::Entity::find_by_id(row.response_id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("回答"))?;
    let version = form_version::Entity::find_by_id(response.version_id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Config("回答の版がありません。".into()))?;
    let definition: FormDefinition = from_json(&version.definition, "フォーム定義")?;
    let history = application_transition::Entity::find()
        .filter(application_transition::Column::ApplicationId.eq(row.id))
        .order_by_asc(application_transition::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|t| Transition {
            from: ApplicationStatus::parse(&t.from_status),
            to: ApplicationStatus::parse(&t.to_status).unwrap_or(ApplicationStatus::Submitted),
            email: t.user_email,
            comment: t.comment,
            at: t.at,
        })
        .collect();
    let registry_slug = registry_entry::Entity::find()
        .filter(registry_entry::Column::ApplicationId.eq(row.id))
        .one(db)
        .await?
        .map(|e| e.slug);
    let call = call_in(db, form).await?;
    let viewer_stake = stake_of(actor, row.company_id, row.submitted_by);
    let viewer_may_review = viewer_stake.is_none() && may_review(actor, &call);
    let viewer_may_decide = viewer_stake.is_none() && staff;
    Ok(Application {
        reviews: if staff {
            reviews_of(db, row.id).await?
        } else {
            Vec::new()
        },
        summary,
        call,
        company_id: company.id,
        founded_year: company.founded_year,
        definition,
        raw: from_json(&response.raw, "回答")?,
        answers: response
            .answers
            .as_deref()
            .map(|text| from_json(text, "回答"))
            .transpose()?,
        history,
        decided_by: (!row.decided_by_email.is_empty()).then(|| row.decided_by_email.clone()),
        decided_at: row.decided_at,
        registry_slug,
        viewer_stake,
        viewer_may_review,
        viewer_may_decide,
    })
}

/// The applications to a call, for the owning organisation's staff, optionally of
/// one status, oldest first.
pub async fn for_call(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    status: Option<ApplicationStatus>,
) -> Result<Vec<ApplicationSummary>, StoreError> {
    let form = forms::load(&store.db, form_key).await?;
    if !staff_of_owner(actor, &form) {
        return Err(StoreError::forbidden(format!(
            "申請の一覧は{}の職員のみ閲覧できます。",
            form.owner.name
        )));
    }
    let mut query = application::Entity::find().filter(application::Column::FormId.eq(form.id));
    if let Some(status) = status {
        query = query.filter(application::Column::Status.eq(status.code()));
    }
    let rows = query
        .order_by_asc(application::Column::Id)
        .all(&store.db)
        .await?;
    let companies =
        crate::forms::companies_by_id(&store.db, rows.iter().map(|r| r.company_id)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(company) = companies.get(&row.company_id) {
            out.push(summary_of(&store.db, row, &form, company, true).await?);
        }
    }
    Ok(out)
}

/// The applications the viewer follows: a company member's own company's, or, for
/// staff, those to their organisation's calls; newest first.
pub async fn mine(store: &Store, actor: &Actor) -> Result<Vec<ApplicationSummary>, StoreError> {
    let db = &store.db;
    let rows = match (actor.role, actor.company_id, actor.organisation_id) {
        (Role::Company, Some(company_id), _) => {
            application::Entity::find()
                .filter(application::Column::CompanyId.eq(company_id))
                .order_by_desc(application::Column::Id)
                .all(db)
                .await?
        }
        (Role::Staff, _, Some(organisation_id)) => {
            let forms: Vec<i64> = form::Entity::find()
                .filter(form::Column::OwnerOrganisationId.eq(organisation_id))
                .all(db)
                .await?
                .into_iter()
                .map(|f| f.id)
                .collect();
            application::Entity::find()
                .filter(application::Column::FormId.is_in(forms))
                .order_by_desc(application::Column::Id)
                .all(db)
                .await?
        }
        _ => Vec::new(),
    };
    let companies = crate::forms::companies_by_id(db, rows.iter().map(|r| r.company_id)).await?;
    let mut form_keys: HashMap<i64, Form> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let form = match form_keys.get(&row.form_id) {
            Some(form) => form.clone(),
            None => {
                let key = form::Entity::find_by_id(row.form_id)
                    .one(db)
                    .await?
                    .map(|f| f.key)
                    .unwrap_or_default();
                let form = forms::load(db, &key).await?;
                form_keys.insert(row.form_id, form.clone());
                form
            }
        };
        if let Some(company) = companies.get(&row.company_id) {
            let staff = staff_of_owner(actor, &form);
            out.push(summary_of(db, row, &form, company, staff).await?);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- review and decision

/// Loads what a review or a step needs and refuses whoever has a stake or is not
/// the owning organisation's staff.
async fn load_for_change(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
) -> Result<(application::Model, Call, company::Model), StoreError> {
    let row = application_row(db, id).await?;
    let form_row = form::Entity::find_by_id(row.form_id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("募集"))?;
    let form = forms::load(db, &form_row.key).await?;
    if !actor.may_see_answers(form.owner.id, row.company_id) && !actor.is_secretariat() {
        return Err(StoreError::not_found("申請"));
    }
    if let Some(reason) = stake_of(actor, row.company_id, row.submitted_by) {
        return Err(StoreError::forbidden(reason));
    }
    let company = company::Entity::find_by_id(row.company_id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("企業"))?;
    let call = call_in(db, form).await?;
    Ok((row, call, company))
}

/// Saves the viewer's review (a 0–100 score and a comment): one per reviewer,
/// editable until the application is decided. The first review of a submitted
/// application starts its review (審査中).
pub async fn review(
    store: &Store,
    actor: &Actor,
    id: i64,
    score: &str,
    comment: &str,
) -> Result<Review, StoreError> {
    let txn = store.begin().await?;
    let (row, call, company) = load_for_change(&txn, actor, id).await?;
    if !may_review(actor, &call) {
        return Err(StoreError::forbidden(format!(
            "この申請の審査は{}の審査担当職員のみ行えます。",
            call.form.owner.name
        )));
    }
    let status = ApplicationStatus::parse(&row.status).unwrap_or(ApplicationStatus::Submitted);
    if status.is_decided() {
        return Err(StoreError::Conflict(format!(
            "この申請は{}で決定済みのため、評価は変更できません。",
            status.label()
        )));
    }
    if status == ApplicationStatus::Returned {
        return Err(StoreError::Conflict(
            "差戻し中の申請は評価できません。再提出をお待ちください。".into(),
        ));
    }
    let mut errors = Vec::new();
    let score = parse_score(score).map_err(|e| errors.push(e)).ok();
    let comment = comment.trim();
    if comment.chars().count() > 2000 {
        errors.push(Invalid::new(
            "comment",
            "コメントは2000文字以内にしてください。",
        ));
    }
    let Some(score) = score.filter(|_| errors.is_empty()) else {
        return Err(StoreError::Invalid(errors));
    };
    let now = Utc::now();
    let existing = application_review::Entity::find()
        .filter(application_review::Column::ApplicationId.eq(row.id))
        .filter(application_review::Column::UserId.eq(actor.user_id))
        .one(&txn)
        .await?;
    let before = existing.as_ref().map(|r| json!({"score": r.score}));
    match existing {
        Some(review) => {
            let mut active: application_review::ActiveModel = review.into();
            active.score = Set(i32::from(score));
            active.comment = Set(comment.to_owned());
            active.updated_at = Set(now);
            active.update(&txn).await?;
        }
        None => {
            application_review::ActiveModel {
                application_id: Set(row.id),
                user_id: Set(actor.user_id),
                user_email: Set(actor.email.clone()),
                score: Set(i32::from(score)),
                comment: Set(comment.to_owned()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    if status == ApplicationStatus::Submitted {
        move_to(
            &txn,
            actor,
            &row,
            &call,
            &company,
            ApplicationStatus::InReview,
            "審査を開始しました。",
        )
        .await?;
    }
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "review",
            entity: "application",
            entity_key: row.id.to_string(),
            organisation_id: Some(call.form.owner.id),
            summary: format!(
                "{}の「{}」への申請を評価（{}点）",
                company.name, call.form.title, score
            ),
            before,
            after: Some(json!({"score": score})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Review {
        user_id: actor.user_id,
        email: actor.email.clone(),
        score,
        comment: comment.to_owned(),
        updated_at: now,
    })
}

/// Moves an application to `to`: the row, the step recorded, the company's members
/// notified.
pub(crate) async fn move_to(
    db: &impl ConnectionTrait,
    actor: &Actor,
    row: &application::Model,
    call: &Call,
    company: &company::Model,
    to: ApplicationStatus,
    comment: &str,
) -> Result<(), StoreError> {
    let now = Utc::now();
    let from = ApplicationStatus::parse(&row.status);
    let mut active: application::ActiveModel = row.clone().into();
    active.status = Set(to.code().into());
    active.updated_at = Set(now);
    active.update(db).await?;
    record_transition(db, row.id, from, to, Some(actor), comment, now).await?;
    crate::notices::applications::moved(db, call, company, row.id, to, comment).await
}

/// Takes one step of the workflow as typed on the application page (審査開始,
/// 差戻し with a reason, 承認 with an amount for a subsidy, 不承認): the owning
/// organisation's staff without a stake. A return makes the response a draft again
/// for the company to change and resubmit; an approval of a certification or an
/// award enters the public registry. Returns the new status.
pub async fn act(
    store: &Store,
    actor: &Actor,
    id: i64,
    action: &str,
    comment: &str,
    amount: &str,
) -> Result<ApplicationStatus, StoreError> {
    let txn = store.begin().await?;
    let (row, call, company) = load_for_change(&txn, actor, id).await?;
    if !staff_of_owner(actor, &call.form) {
        return Err(StoreError::forbidden(format!(
            "申請の審査・決定は{}の職員のみ行えます。",
            call.form.owner.name
        )));
    }
    let kind = call.kind().unwrap_or(CallKind::Certification);
    let limit = call.settings.as_ref().and_then(|s| s.amount_limit);
    let step = Step::parse(action, comment, amount, kind, limit)?;
    if step.action == Action::Resubmit {
        return Err(Invalid::new("action", "再提出は申請者が行います。").into());
    }
    let from = ApplicationStatus::parse(&row.status).unwrap_or(ApplicationStatus::Submitted);
    let to = transition(from, step.action)?;
    let now = Utc::now();
    move_to(&txn, actor, &row, &call, &company, to, &step.comment).await?;
    if step.action.is_decision() {
        let mut active: application::ActiveModel = application_row(&txn, row.id).await?.into();
        active.decided_by = Set(no_user(actor.user_id));
        active.decided_by_email = Set(actor.email.clone());
        active.decided_at = Set(Some(now));
        active.amount = Set(step.amount);
        active.update(&txn).await?;
    }
    if step.action == Action::Return {
        // The response becomes a draft again: the company changes it and resubmits.
        let response = form_response::Entity::find_by_id(row.response_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found("回答"))?;
        let mut active: form_response::ActiveModel = response.into();
        active.status = Set(forms::ResponseStatus::Draft.code().into());
        active.updated_at = Set(now);
        active.update(&txn).await?;
    }
    let mut published = None;
    if step.action == Action::Approve {
        published = publish(&txn, actor, &row, &call, &company, now).await?;
    }
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: step.action.code(),
            entity: "application",
            entity_key: row.id.to_string(),
            organisation_id: Some(call.form.owner.id),
            summary: format!(
                "{}の「{}」への申請を{}{}",
                company.name,
                call.form.title,
                to.label(),
                step.amount
                    .map(|a| format!("（{}円）", domain::applications::yen(a)))
                    .unwrap_or_default()
            ),
            before: Some(json!({"status": from.code()})),
            after: Some(json!({"status": to.code(), "comment": step.comment,
                "amount": step.amount, "registry": published})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(to)
}

/// Enters an approved application into the registry when its call publishes it;
/// returns the entry's slug.
pub(crate) async fn publish(
    db: &impl ConnectionTrait,
    actor: &Actor,
    row: &application::Model,
    call: &Call,
    company: &company::Model,
    now: DateTime<Utc>,
) -> Result<Option<String>, StoreError> {
    let Some(settings) = &call.settings else {
        return Ok(None);
    };
    let response = form_response::Entity::find_by_id(row.response_id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("回答"))?;
    let answers: Answers = match response.answers.as_deref() {
        Some(text) => from_json(text, "回答")?,
        None => Answers::default(),
    };
    let Some(kind) = settings.registry_kind_for(&answers) else {
        return Ok(None);
    };
    let category = settings
        .category_question
        .as_deref()
        .and_then(|id| {
            let chosen = match answers.get(id) {
                Some(Answer::Choice(value)) => value,
                _ => return None,
            };
            call.form
                .latest
                .definition
                .question(id)?
                .kind
                .options()
                .iter()
                .find(|o| &o.value == chosen)
                .map(|o| o.label.clone())
        })
        .unwrap_or_else(|| kind.label().to_owned());
    let slug = format!("{}-{}", call.form.key, company.key);
    let title = settings.entry_title(&answers, &company.name);
    let year = call
        .form
        .award_year
        .unwrap_or_else(|| domain::time::japan_day(now).year());
    registry_entry::ActiveModel {
        slug: Set(slug.clone()),
        application_id: Set(row.id),
        form_id: Set(call.form.id),
        company_id: Set(company.id),
        kind: Set(kind.code().into()),
        category: Set(category.clone()),
        title: Set(title.clone()),
        summary: Set(settings.entry_summary(&answers)),
        year: Set(year),
        approved_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        Some(actor),
        Change {
            action: "create",
            entity: "registry_entry",
            entity_key: slug.clone(),
            organisation_id: Some(call.form.owner.id),
            summary: format!(
                "「{title}」（{}）を{}として公開名簿に掲載",
                company.name, category
            ),
            before: None,
            after: Some(json!({"slug": slug, "kind": kind.code(), "year": year})),
        },
    )
    .await?;
    Ok(Some(slug))
}

// ---------------------------------------------------------------- the registry

/// Public registry entries, newest year first.
pub async fn registry(
    store: &Store,
    filter: &RegistryFilter,
) -> Result<Vec<RegistryEntry>, StoreError> {
    let mut query = registry_entry::Entity::find();
    if let Some(kind) = filter.kind {
        query = query.filter(registry_entry::Column::Kind.eq(kind.code()));
    }
    let rows = query
        .order_by_desc(registry_entry::Column::Year)
        .order_by_asc(registry_entry::Column::Id)
        .all(&store.db)
        .await?;
    let entries = to_entries(&store.db, rows).await?;
    Ok(entries
        .into_iter()
        .filter(|e| {
            filter
                .city
                .as_ref()
                .is_none_or(|c| e.city_key.as_ref() == Some(c))
        })
        .collect())
}

/// One registry entry by its slug.
pub async fn registry_entry(store: &Store, slug: &str) -> Result<RegistryEntry, StoreError> {
    let row = registry_entry::Entity::find()
        .filter(registry_entry::Column::Slug.eq(slug))
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("掲載"))?;
    to_entries(&store.db, vec![row])
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found("掲載"))
}

async fn to_entries(
    db: &impl ConnectionTrait,
    rows: Vec<registry_entry::Model>,
) -> Result<Vec<RegistryEntry>, StoreError> {
    let directory = organisations::directory_in(db).await?;
    let companies = crate::forms::companies_by_id(db, rows.iter().map(|r| r.company_id)).await?;
    let mut forms_by_id: HashMap<i64, form::Model> = HashMap::new();
    for row in form::Entity::find()
        .filter(form::Column::Id.is_in(rows.iter().map(|r| r.form_id)))
        .all(db)
        .await?
    {
        forms_by_id.insert(row.id, row);
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let (Some(company), Some(form)) = (
            companies.get(&row.company_id),
            forms_by_id.get(&row.form_id),
        ) else {
            continue;
        };
        let city = company
            .city_id
            .and_then(|id| directory.cities.iter().find(|c| c.id == id));
        out.push(RegistryEntry {
            slug: row.slug,
            kind: RegistryKind::parse(&row.kind).unwrap_or(RegistryKind::Award),
            category: row.category,
            title: row.title,
            summary: row.summary,
            year: row.year,
            approved_at: row.approved_at,
            company_key: company.key.clone(),
            company_name: company.name.clone(),
            city_key: city.map(|c| c.key.clone()),
            city_name: city.map(|c| c.name.clone()),
            founded_year: company.founded_year,
            years_in_business: company.founded_year.map(|f| years_in_business(f, row.year)),
            call_key: form.key.clone(),
            call_title: form.title.clone(),
            organisation_name: directory
                .organisation(form.owner_organisation_id)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            demo: crate::demo::is_demo_company(&company.source),
        });
    }
    Ok(out)
}
