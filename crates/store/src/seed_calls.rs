//! Loads the calls of `data/council/calls.toml` with their applications, as
//! demonstration data: forms created and calls set up through the store's own
//! functions, each application submitted and moved through the workflow like a real
//! one (the same rows, steps and registry entries). Every step is dated within the
//! call's own period and fiscal year (submitted while the call was open, decided on
//! the call's `decided_on`), never at the moment of loading. The applications are
//! invented: their counts are never written into the council's KPIs, which keep the
//! document's figures.
//!
//! The calls are closed (FY2016/2017), so submissions are written here rather than
//! through [`forms::submit`](crate::forms::submit), which would refuse them; the
//! answers are still parsed against the form, so broken demo data fails loudly.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use domain::applications::{ApplicationStatus, CallInput};
use domain::directory::{CompanyDraft, CompanyInput};
use domain::forms::{Eligibility, FormDefinition, FormPurpose, Period, RawAnswers};
use domain::{Actor, Role};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde::Deserialize;

use crate::applications;
use crate::entity::{
    application, application_transition, call, company, form, form_response, form_version,
    registry_entry,
};
use crate::forms::{self, FormDraft, ResponseStatus, to_json};
use crate::{Store, StoreError, organisations};

const CALLS_TOML: &str = include_str!("../../../data/council/calls.toml");

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    company: Vec<SeedCompany>,
    call: Vec<SeedCall>,
}

#[derive(Deserialize)]
struct SeedCompany {
    key: String,
    name: String,
    kana: String,
    city: String,
    address: String,
    industry: String,
    employees: u32,
    founded_year: i32,
    description: String,
    products: String,
    capabilities: Vec<String>,
}

#[derive(Deserialize)]
struct SeedCall {
    key: String,
    owner: String,
    title: String,
    description: String,
    award_year: i32,
    opens_on: NaiveDate,
    closes_on: NaiveDate,
    /// When the call's applications were decided (within its fiscal year); the
    /// closing day when absent.
    #[serde(default)]
    decided_on: Option<NaiveDate>,
    /// A demonstration call open for the fiscal year of the load (its period is
    /// replaced by April 1 to March 31 of that year), for a visitor to try applying.
    #[serde(default)]
    open_now: bool,
    kind: String,
    #[serde(default)]
    registry_kind: String,
    #[serde(default)]
    category_question: String,
    #[serde(default)]
    title_question: String,
    #[serde(default)]
    summary_question: String,
    #[serde(default)]
    amount_limit: Option<i64>,
    #[serde(default)]
    eligibility: Eligibility,
    definition: FormDefinition,
    #[serde(default)]
    application: Vec<SeedApplication>,
}

#[derive(Deserialize)]
struct SeedApplication {
    company: String,
    status: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    amount: Option<i64>,
    answers: BTreeMap<String, String>,
}

fn broken(what: impl std::fmt::Display) -> StoreError {
    StoreError::Config(format!("data/council/calls.toml: {what}"))
}

/// The loader's actor: the system (recorded as `system` in the audit log).
fn system() -> Actor {
    Actor {
        user_id: 0,
        email: "system".into(),
        role: Role::Secretariat,
        organisation_id: None,
        company_id: None,
    }
}

/// Loads the demonstration calls when there is no call yet and the directory has the
/// companies they need. Returns how many calls were loaded.
pub async fn load_if_empty(store: &Store) -> Result<usize, StoreError> {
    if call::Entity::find().count(&store.db).await? > 0 {
        return Ok(0);
    }
    let file: File = toml::from_str(CALLS_TOML).map_err(broken)?;
    let directory = organisations::directory(store).await?;
    if company::Entity::find()
        .filter(company::Column::Key.eq("kawaguchi-01"))
        .count(&store.db)
        .await?
        == 0
    {
        // A database whose directory came from elsewhere: no demonstration calls.
        return Ok(0);
    }
    let city_keys: Vec<&str> = directory.cities.iter().map(|c| c.key.as_str()).collect();
    let txn = store.begin().await?;
    for c in &file.company {
        if company::Entity::find()
            .filter(company::Column::Key.eq(c.key.as_str()))
            .count(&txn)
            .await?
            > 0
        {
            continue;
        }
        let input = CompanyInput {
            name: c.name.clone(),
            kana: c.kana.clone(),
            city: c.city.clone(),
            address: c.address.clone(),
            industry: c.industry.clone(),
            employees: c.employees.to_string(),
            founded_year: c.founded_year.to_string(),
            description: c.description.clone(),
            products: c.products.clone(),
            capabilities: c.capabilities.clone(),
            public: true,
            ..CompanyInput::default()
        };
        let draft = CompanyDraft::parse(&input, &city_keys, 2026)
            .map_err(|e| broken(format!("company {}: {e:?}", c.key)))?;
        let owner = crate::companies::owner_of(&directory, draft.city.as_deref())?;
        crate::companies::insert(&txn, &directory, owner, &c.key, &draft, "seed").await?;
    }
    txn.commit().await?;

    let actor = system();
    for seed in &file.call {
        if seed.open_now {
            let today = domain::time::japan_today();
            let fy = if today.month() >= 4 {
                today.year()
            } else {
                today.year() - 1
            };
            let open = SeedCall {
                award_year: fy,
                opens_on: NaiveDate::from_ymd_opt(fy, 4, 1).ok_or_else(|| broken("fy"))?,
                closes_on: NaiveDate::from_ymd_opt(fy + 1, 3, 31).ok_or_else(|| broken("fy"))?,
                decided_on: None,
                open_now: false,
                key: seed.key.clone(),
                owner: seed.owner.clone(),
                title: seed.title.clone(),
                description: seed.description.clone(),
                kind: seed.kind.clone(),
                registry_kind: seed.registry_kind.clone(),
                category_question: seed.category_question.clone(),
                title_question: seed.title_question.clone(),
                summary_question: seed.summary_question.clone(),
                amount_limit: seed.amount_limit,
                eligibility: seed.eligibility.clone(),
                definition: seed.definition.clone(),
                application: Vec::new(),
            };
            load_call(store, &actor, &open).await?;
        } else {
            load_call(store, &actor, seed).await?;
        }
    }
    Ok(file.call.len())
}

async fn load_call(store: &Store, actor: &Actor, seed: &SeedCall) -> Result<(), StoreError> {
    let draft = FormDraft {
        key: seed.key.clone(),
        purpose: FormPurpose::Application,
        title: seed.title.clone(),
        description: seed.description.clone(),
        definition: seed.definition.clone(),
        eligibility: seed.eligibility.clone(),
        award_year: Some(seed.award_year),
        period: Period {
            opens_on: Some(seed.opens_on),
            closes_on: Some(seed.closes_on),
        },
    };
    forms::create(store, actor, &seed.owner, &draft)
        .await
        .map_err(|e| broken(format!("{}: {e} {e:?}", seed.key)))?;
    let input = CallInput {
        kind: seed.kind.clone(),
        registry_kind: seed.registry_kind.clone(),
        category_question: seed.category_question.clone(),
        title_question: seed.title_question.clone(),
        summary_question: seed.summary_question.clone(),
        amount_limit: seed.amount_limit.map(|v| v.to_string()).unwrap_or_default(),
        reviewers: String::new(),
    };
    let call = applications::save_call(store, actor, &seed.key, &input)
        .await
        .map_err(|e| broken(format!("{}: {e:?}", seed.key)))?;
    let decided = crate::demo::japan_morning(seed.decided_on.unwrap_or(seed.closes_on));
    for (n, a) in seed.application.iter().enumerate() {
        // Submitted while the call was open, a few days apart.
        let day = seed
            .opens_on
            .checked_add_days(Days::new(3 * n as u64 + 7))
            .unwrap_or(seed.closes_on)
            .min(seed.closes_on);
        let status = ApplicationStatus::parse(&a.status);
        let decided_day = status
            .filter(|s| s.is_decided())
            .map(|_| seed.decided_on.unwrap_or(seed.closes_on));
        let dates = Dates {
            submitted: crate::demo::japan_morning(day),
            in_review: crate::demo::japan_morning(in_review_day(
                &seed.key,
                &a.company,
                day,
                decided_day,
            )),
            decided,
        };
        load_application(store, actor, &call, a, &dates)
            .await
            .map_err(|e| broken(format!("{} / {}: {e:?}", seed.key, a.company)))?;
    }
    // The form itself dates from the call's opening, not from the load.
    let opened = crate::demo::japan_morning(seed.opens_on);
    form::Entity::update_many()
        .col_expr(
            form::Column::CreatedAt,
            sea_orm::sea_query::Expr::value(opened),
        )
        .filter(form::Column::Key.eq(seed.key.as_str()))
        .exec(&store.db)
        .await?;
    Ok(())
}

/// When a demonstration application was submitted, went into review and was decided.
struct Dates {
    submitted: DateTime<Utc>,
    in_review: DateTime<Utc>,
    decided: DateTime<Utc>,
}

/// The day a demonstration application went into review: 3 to 16 days after it was
/// submitted, spread by the call and the company (the same on every load, never the
/// moment of loading), before its decision and within the fiscal year of its
/// submission.
fn in_review_day(
    call: &str,
    company: &str,
    submitted: NaiveDate,
    decided: Option<NaiveDate>,
) -> NaiveDate {
    let spread = call
        .bytes()
        .chain(company.bytes())
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    let day = submitted
        .checked_add_days(Days::new(3 + u64::from(spread % 14)))
        .unwrap_or(submitted);
    let mut latest = domain::FiscalYear::containing(submitted).last_day();
    if let Some(decided) = decided.and_then(|d| d.pred_opt()) {
        latest = latest.min(decided);
    }
    day.min(latest).max(submitted)
}

async fn load_application(
    store: &Store,
    actor: &Actor,
    call: &applications::Call,
    seed: &SeedApplication,
    dates: &Dates,
) -> Result<(), StoreError> {
    let status = ApplicationStatus::parse(&seed.status)
        .ok_or_else(|| broken(format!("status {}", seed.status)))?;
    let mut raw = RawAnswers::default();
    for (id, value) in &seed.answers {
        raw = raw.with(id, value);
    }
    let answers = call.form.latest.definition.parse_answers(&raw)?;
    let txn = store.begin().await?;
    let company = forms::company_row(&txn, &seed.company).await?;
    let version = form_version::Entity::find()
        .filter(form_version::Column::FormId.eq(call.form.id))
        .one(&txn)
        .await?
        .ok_or_else(|| broken("no version"))?;
    let now = dates.submitted;
    let response = form_response::ActiveModel {
        form_id: Set(call.form.id),
        version_id: Set(version.id),
        company_id: Set(company.id),
        status: Set(ResponseStatus::Submitted.code().into()),
        raw: Set(to_json(&raw)?),
        answers: Set(Some(to_json(&answers)?)),
        created_at: Set(now),
        updated_at: Set(now),
        submitted_at: Set(Some(now)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    applications::on_submit(&txn, Some(actor), &call.form, &company, response.id).await?;
    let row = application::Entity::find()
        .filter(application::Column::ResponseId.eq(response.id))
        .one(&txn)
        .await?
        .ok_or_else(|| broken("no application"))?;
    if status != ApplicationStatus::Submitted {
        applications::move_to(
            &txn,
            actor,
            &row,
            call,
            &company,
            ApplicationStatus::InReview,
            "",
        )
        .await?;
    }
    if status.is_decided() {
        let row = application::Entity::find_by_id(row.id)
            .one(&txn)
            .await?
            .ok_or_else(|| broken("no application"))?;
        applications::move_to(&txn, actor, &row, call, &company, status, &seed.comment).await?;
        let mut active: application::ActiveModel = application::Entity::find_by_id(row.id)
            .one(&txn)
            .await?
            .ok_or_else(|| broken("no application"))?
            .into();
        active.decided_by_email = Set(format!("{}（審査会）", call.form.owner.name));
        active.decided_at = Set(Some(dates.decided));
        active.updated_at = Set(dates.decided);
        active.amount = Set(seed.amount);
        let row = active.update(&txn).await?;
        if status == ApplicationStatus::Approved {
            applications::publish(&txn, actor, &row, call, &company, dates.decided).await?;
            registry_entry::Entity::update_many()
                .col_expr(
                    registry_entry::Column::ApprovedAt,
                    sea_orm::sea_query::Expr::value(dates.decided),
                )
                .filter(registry_entry::Column::ApplicationId.eq(row.id))
                .exec(&txn)
                .await?;
        }
    }
    // The workflow's steps: submitted on its day, into review some days later, the
    // decision on its day.
    for transition in application_transition::Entity::find()
        .filter(application_transition::Column::ApplicationId.eq(row.id))
        .all(&txn)
        .await?
    {
        let at = if status.is_decided() && transition.to_status == status.code() {
            dates.decided
        } else if transition.to_status == ApplicationStatus::InReview.code() {
            dates.in_review
        } else {
            dates.submitted
        };
        let mut active: application_transition::ActiveModel = transition.into();
        active.at = Set(at);
        active.update(&txn).await?;
    }
    if !status.is_decided() {
        let mut active: application::ActiveModel = application::Entity::find_by_id(row.id)
            .one(&txn)
            .await?
            .ok_or_else(|| broken("no application"))?
            .into();
        active.created_at = Set(dates.submitted);
        active.updated_at = Set(if status == ApplicationStatus::InReview {
            dates.in_review
        } else {
            dates.submitted
        });
        active.update(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}
