//! Loads the calls of `data/council/calls.toml` with their applications, as
//! demonstration data: forms created and calls set up through the store's own
//! functions, each application submitted and moved through the workflow like a real
//! one (the same rows, steps and registry entries), then the figures counted from the
//! registry written into the initiatives' KPIs (`i-mono 認定製品数` and friends).
//!
//! The calls are closed (FY2016/2017), so submissions are written here rather than
//! through [`forms::submit`](crate::forms::submit), which would refuse them; the
//! answers are still parsed against the form, so broken demo data fails loudly.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use domain::applications::{ApplicationStatus, CallInput, RegistryKind};
use domain::directory::{CompanyDraft, CompanyInput};
use domain::forms::{Eligibility, FormDefinition, FormPurpose, Period, RawAnswers};
use domain::{Actor, FiscalYear, Role};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde::Deserialize;

use crate::applications::{self, RegistryFilter};
use crate::entity::{application, call, company, form_response, form_version};
use crate::forms::{self, FormDraft, ResponseStatus, to_json};
use crate::{Store, StoreError, catalogue, organisations};

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
    kpi: Vec<SeedKpi>,
    application: Vec<SeedApplication>,
}

#[derive(Deserialize)]
struct SeedKpi {
    initiative: String,
    fy: i32,
    label: String,
    unit: String,
    registry_kind: String,
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
        load_call(store, &actor, seed).await?;
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
    for a in &seed.application {
        load_application(store, actor, &call, a)
            .await
            .map_err(|e| broken(format!("{} / {}: {e:?}", seed.key, a.company)))?;
    }
    for kpi in &seed.kpi {
        let kind = RegistryKind::parse(&kpi.registry_kind)
            .ok_or_else(|| broken(format!("registry_kind {}", kpi.registry_kind)))?;
        let count = applications::registry(
            store,
            &RegistryFilter {
                kind: Some(kind),
                city: None,
            },
        )
        .await?
        .iter()
        .filter(|e| e.call_key == seed.key)
        .count();
        let fy = FiscalYear::new(kpi.fy).map_err(|e| broken(e.reason))?;
        catalogue::feed_kpis(
            store,
            actor,
            &kpi.initiative,
            fy,
            &[catalogue::KpiFigure {
                label: kpi.label.clone(),
                value: count as f64,
                unit: kpi.unit.clone(),
            }],
            "認定記録",
        )
        .await?;
    }
    Ok(())
}

async fn load_application(
    store: &Store,
    actor: &Actor,
    call: &applications::Call,
    seed: &SeedApplication,
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
    let now = Utc::now();
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
        active.decided_at = Set(Some(now));
        active.amount = Set(seed.amount);
        let row = active.update(&txn).await?;
        if status == ApplicationStatus::Approved {
            applications::publish(&txn, actor, &row, call, &company, now).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}
