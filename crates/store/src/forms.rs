//! Forms in the store: forms owned by one organisation, their versions (frozen once
//! answered: a change then makes a new version), one response per company and form
//! (autosaved drafts keep everything typed; a submission is parsed against its
//! version and, for a call, judged by its eligibility rules), and what others see.
//!
//! Privacy is enforced here: individual answers go only to the staff of the owning
//! organisation and the members of the responding company
//! ([`Actor::may_see_answers`]); everyone else, the secretariat included, reads
//! aggregates. Aggregates read every submitted response against the latest version,
//! matching questions by id: ids are stable across versions by design.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::directory::SizeBand;
use domain::forms::aggregate::{CrossRow, QuestionSummary};
use domain::forms::{
    Answers, Applicant, Eligibility, FileMeta, FormDefinition, FormPurpose, FormVersion, Period,
    QuestionKind, RawAnswers,
};
use domain::time::japan_day;
use domain::{Actor, Invalid};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use crate::audit::{self, Change};
use crate::entity::{company, form, form_file, form_response, form_version};
use crate::organisations::{self, Organisation};
use crate::{Store, StoreError};

/// What staff submit to create a form.
#[derive(Debug, Clone)]
pub struct FormDraft {
    /// Stable, URL-safe (`sumida-health-check`).
    pub key: String,
    pub purpose: FormPurpose,
    pub title: String,
    pub description: String,
    pub definition: FormDefinition,
    pub eligibility: Eligibility,
    pub award_year: Option<i32>,
    /// When answers are accepted (a call's 受付期間, a survey's deadline).
    pub period: Period,
}

/// A form with its latest version.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub id: i64,
    pub key: String,
    pub owner: Organisation,
    pub purpose: FormPurpose,
    pub title: String,
    pub description: String,
    pub eligibility: Eligibility,
    pub award_year: Option<i32>,
    pub period: Period,
    pub latest: FormVersion,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseStatus {
    Draft,
    Submitted,
}

impl ResponseStatus {
    pub fn code(self) -> &'static str {
        match self {
            ResponseStatus::Draft => "draft",
            ResponseStatus::Submitted => "submitted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ResponseStatus::Draft => "下書き",
            ResponseStatus::Submitted => "提出済み",
        }
    }

    fn parse(code: &str) -> ResponseStatus {
        if code == "submitted" {
            ResponseStatus::Submitted
        } else {
            ResponseStatus::Draft
        }
    }
}

/// One company's response, as those allowed to see it read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub id: i64,
    pub form_key: String,
    pub version: u32,
    pub company_key: String,
    pub company_name: String,
    pub status: ResponseStatus,
    /// Everything typed, as typed.
    pub raw: RawAnswers,
    /// The accepted answers, once submitted.
    pub answers: Option<Answers>,
    /// When the company began answering (applied, for a diagnostic).
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    /// The answer of an invented demonstration company (marked 「デモ」, never counted
    /// into the council's KPIs).
    pub demo: bool,
}

/// What a cross-tabulation groups respondents by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    City,
    /// JSIC major group.
    Industry,
    Size,
}

impl GroupBy {
    pub const ALL: [GroupBy; 3] = [GroupBy::City, GroupBy::Industry, GroupBy::Size];

    pub fn code(self) -> &'static str {
        match self {
            GroupBy::City => "city",
            GroupBy::Industry => "industry",
            GroupBy::Size => "size",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            GroupBy::City => "市区",
            GroupBy::Industry => "業種",
            GroupBy::Size => "規模",
        }
    }

    pub fn parse(code: &str) -> Option<GroupBy> {
        Self::ALL.into_iter().find(|g| g.code() == code)
    }
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 60
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Config(format!("フォームをJSONにできません: {e}")))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Config(format!("保存された{what}が読めません: {e}")))
}

fn check_draft(draft: &FormDraft) -> Result<(), StoreError> {
    let mut errors = Vec::new();
    if !valid_key(&draft.key) {
        errors.push(Invalid::new(
            "key",
            "キーは半角英小文字・数字・ハイフンの60文字以内にしてください。",
        ));
    }
    if draft.title.trim().is_empty() {
        errors.push(Invalid::new("title", "フォームの名称を入力してください。"));
    }
    if let Err(more) = draft.definition.check() {
        errors.extend(more);
    }
    if let Err(more) = draft.eligibility.validate() {
        errors.extend(more);
    }
    if let Err(wrong) = draft.period.validate() {
        errors.push(wrong);
    }
    if !draft.eligibility.rules.is_empty() && draft.award_year.is_none() {
        errors.push(Invalid::new(
            "award_year",
            "応募資格を判定する年度（表彰年）を入力してください。",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(errors))
    }
}

/// Creates a form owned by `owner` (an organisation key) with its first version.
pub async fn create(
    store: &Store,
    actor: &Actor,
    owner: &str,
    draft: &FormDraft,
) -> Result<Form, StoreError> {
    check_draft(draft)?;
    let txn = store.begin().await?;
    let directory = organisations::directory_in(&txn).await?;
    let owner = directory
        .organisation_by_key(owner)
        .ok_or_else(|| StoreError::not_found("団体"))?
        .clone();
    if !actor.may_edit_catalogue_of(owner.id) {
        return Err(StoreError::forbidden(format!(
            "{}のフォームは作成できません。所属団体のフォームのみ作成できます。",
            owner.name
        )));
    }
    let now = Utc::now();
    let row = form::ActiveModel {
        key: Set(draft.key.clone()),
        owner_organisation_id: Set(owner.id),
        purpose: Set(draft.purpose.code().into()),
        title: Set(draft.title.trim().into()),
        description: Set(draft.description.trim().into()),
        eligibility: Set(eligibility_json(&draft.eligibility)?),
        award_year: Set(draft.award_year),
        opens_on: Set(draft.period.opens_on.map(|d| d.to_string())),
        closes_on: Set(draft.period.closes_on.map(|d| d.to_string())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    form_version::ActiveModel {
        form_id: Set(row.id),
        number: Set(1),
        definition: Set(to_json(&draft.definition)?),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "create",
            entity: "form",
            entity_key: draft.key.clone(),
            organisation_id: Some(owner.id),
            summary: format!("{}「{}」を作成", draft.purpose.label(), draft.title.trim()),
            before: None,
            after: Some(json!({"key": draft.key, "title": draft.title.trim(),
                "purpose": draft.purpose.code(), "version": 1,
                "questions": draft.definition.questions().count()})),
        },
    )
    .await?;
    let form = load(&txn, &draft.key).await?;
    txn.commit().await?;
    Ok(form)
}

fn eligibility_json(eligibility: &Eligibility) -> Result<String, StoreError> {
    if eligibility.rules.is_empty() {
        Ok(String::new())
    } else {
        to_json(eligibility)
    }
}

/// Saves changed questions. While nobody has answered the latest version it is
/// changed in place; once answered it is frozen and the change becomes a new version.
/// Returns the form with the version now current.
pub async fn edit_definition(
    store: &Store,
    actor: &Actor,
    key: &str,
    definition: &FormDefinition,
) -> Result<Form, StoreError> {
    definition.check()?;
    let txn = store.begin().await?;
    let before = load(&txn, key).await?;
    if !actor.may_edit_catalogue_of(before.owner.id) {
        return Err(StoreError::forbidden(format!(
            "「{}」は{}のフォームのため編集できません。",
            before.title, before.owner.name
        )));
    }
    let latest = latest_version_row(&txn, before.id).await?;
    let now = Utc::now();
    let number = match before.latest.revise() {
        domain::forms::Revision::InPlace => {
            let mut active: form_version::ActiveModel = latest.into();
            active.definition = Set(to_json(definition)?);
            active.update(&txn).await?;
            before.latest.number
        }
        domain::forms::Revision::NewVersion(number) => {
            form_version::ActiveModel {
                form_id: Set(before.id),
                number: Set(i32::try_from(number).unwrap_or(i32::MAX)),
                definition: Set(to_json(definition)?),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            number
        }
    };
    form::ActiveModel {
        id: Set(before.id),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "update",
            entity: "form",
            entity_key: key.into(),
            organisation_id: Some(before.owner.id),
            summary: if number == before.latest.number {
                format!("「{}」の質問を変更", before.title)
            } else {
                format!("「{}」の質問を変更（第{number}版を作成）", before.title)
            },
            before: Some(json!({"version": before.latest.number,
                "questions": before.latest.definition.questions().count()})),
            after: Some(json!({"version": number,
                "questions": definition.questions().count()})),
        },
    )
    .await?;
    let form = load(&txn, key).await?;
    txn.commit().await?;
    Ok(form)
}

/// A form and its latest version. The questions are not private: whoever is asked
/// to answer reads them.
pub async fn get(store: &Store, key: &str) -> Result<Form, StoreError> {
    load(&store.db, key).await
}

/// A given version of a form (to read answers against the questions asked).
pub async fn version(store: &Store, key: &str, number: u32) -> Result<FormVersion, StoreError> {
    let form = load(&store.db, key).await?;
    let row = form_version::Entity::find()
        .filter(form_version::Column::FormId.eq(form.id))
        .filter(form_version::Column::Number.eq(i32::try_from(number).unwrap_or(i32::MAX)))
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("第{number}版")))?;
    to_version(&store.db, row).await
}

async fn latest_version_row(
    db: &impl ConnectionTrait,
    form_id: i64,
) -> Result<form_version::Model, StoreError> {
    form_version::Entity::find()
        .filter(form_version::Column::FormId.eq(form_id))
        .order_by_desc(form_version::Column::Number)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Config("フォームに版がありません。".into()))
}

async fn to_version(
    db: &impl ConnectionTrait,
    row: form_version::Model,
) -> Result<FormVersion, StoreError> {
    let answered = form_response::Entity::find()
        .filter(form_response::Column::VersionId.eq(row.id))
        .count(db)
        .await?
        > 0;
    Ok(FormVersion {
        number: u32::try_from(row.number).unwrap_or(0),
        definition: from_json(&row.definition, "フォーム定義")?,
        answered,
    })
}

pub(crate) async fn load(db: &impl ConnectionTrait, key: &str) -> Result<Form, StoreError> {
    let row = form::Entity::find()
        .filter(form::Column::Key.eq(key))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("フォーム"))?;
    let directory = organisations::directory_in(db).await?;
    let owner = directory
        .organisation(row.owner_organisation_id)
        .ok_or_else(|| StoreError::Config("フォームの所有団体がありません。".into()))?
        .clone();
    let latest = to_version(db, latest_version_row(db, row.id).await?).await?;
    Ok(Form {
        id: row.id,
        key: row.key,
        owner,
        purpose: FormPurpose::parse(&row.purpose).unwrap_or(FormPurpose::Survey),
        title: row.title,
        description: row.description,
        eligibility: if row.eligibility.is_empty() {
            Eligibility::default()
        } else {
            from_json(&row.eligibility, "応募資格")?
        },
        award_year: row.award_year,
        period: Period {
            opens_on: row.opens_on.as_deref().and_then(|d| d.parse().ok()),
            closes_on: row.closes_on.as_deref().and_then(|d| d.parse().ok()),
        },
        latest,
        updated_at: row.updated_at,
    })
}

/// Forms of every organisation, newest first (their questions are not private).
pub async fn list(store: &Store) -> Result<Vec<Form>, StoreError> {
    let keys: Vec<String> = form::Entity::find()
        .order_by_desc(form::Column::UpdatedAt)
        .all(&store.db)
        .await?
        .into_iter()
        .map(|r| r.key)
        .collect();
    let mut forms = Vec::with_capacity(keys.len());
    for key in keys {
        forms.push(load(&store.db, &key).await?);
    }
    Ok(forms)
}

pub(crate) async fn company_row(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<company::Model, StoreError> {
    company::Entity::find()
        .filter(company::Column::Key.eq(key))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("企業"))
}

/// Who may answer for a company: its members, and the staff who look after it
/// (entering a paper questionnaire for it).
fn may_answer_for(actor: &Actor, company: &company::Model) -> bool {
    actor.may_edit_company(company.id, company.owner_organisation_id)
}

pub(crate) async fn response_row(
    db: &impl ConnectionTrait,
    form_id: i64,
    company_id: i64,
) -> Result<Option<form_response::Model>, StoreError> {
    Ok(form_response::Entity::find()
        .filter(form_response::Column::FormId.eq(form_id))
        .filter(form_response::Column::CompanyId.eq(company_id))
        .one(db)
        .await?)
}

/// Writes what was typed as the company's draft (created on the latest version the
/// first time; a draft stays on the version it was begun on).
async fn write_draft(
    db: &impl ConnectionTrait,
    form: &Form,
    company: &company::Model,
    raw: &RawAnswers,
) -> Result<form_response::Model, StoreError> {
    let now = Utc::now();
    match response_row(db, form.id, company.id).await? {
        Some(row) if row.status == ResponseStatus::Submitted.code() => {
            Err(StoreError::Conflict(format!(
                "「{}」は既に提出済みです。提出後の変更はできません。",
                form.title
            )))
        }
        Some(row) => {
            let mut active: form_response::ActiveModel = row.into();
            active.raw = Set(to_json(raw)?);
            active.updated_at = Set(now);
            Ok(active.update(db).await?)
        }
        None => {
            let version = latest_version_row(db, form.id).await?;
            Ok(form_response::ActiveModel {
                form_id: Set(form.id),
                version_id: Set(version.id),
                company_id: Set(company.id),
                status: Set(ResponseStatus::Draft.code().into()),
                raw: Set(to_json(raw)?),
                answers: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                submitted_at: Set(None),
                ..Default::default()
            }
            .insert(db)
            .await?)
        }
    }
}

/// Autosave: keeps everything typed, valid or not. Refused once submitted.
pub async fn save_draft(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    company_key: &str,
    raw: &RawAnswers,
) -> Result<Response, StoreError> {
    save_draft_for(store, form_key, company_key, raw, signed_in(actor)).await
}

/// Autosave for a respondent already authorised by `authorise` (a signed-in member
/// or staff, or a survey's answer link for its one company).
pub(crate) async fn save_draft_for(
    store: &Store,
    form_key: &str,
    company_key: &str,
    raw: &RawAnswers,
    authorise: impl FnOnce(&company::Model) -> Result<(), StoreError>,
) -> Result<Response, StoreError> {
    let txn = store.begin().await?;
    let form = load(&txn, form_key).await?;
    let company = company_row(&txn, company_key).await?;
    authorise(&company)?;
    let row = write_draft(&txn, &form, &company, raw).await?;
    txn.commit().await?;
    let version = version_number(&store.db, row.version_id).await?;
    to_response(&form, &company, row, version)
}

/// The authorisation of a signed-in respondent: a member of the company, or staff
/// of the organisation that looks after it.
fn signed_in(actor: &Actor) -> impl FnOnce(&company::Model) -> Result<(), StoreError> + '_ {
    move |company| {
        if may_answer_for(actor, company) {
            Ok(())
        } else {
            Err(refuse_answering(actor, company))
        }
    }
}

/// The refusal to answer for a company: named only to those who may see it; a
/// private company of another organisation answers as a key that does not exist.
fn refuse_answering(actor: &Actor, company: &company::Model) -> StoreError {
    if !crate::companies::visible_to(Some(actor), company) {
        return StoreError::not_found("企業");
    }
    StoreError::forbidden(format!(
        "「{}」として回答することはできません。自社、または所属団体が担当する企業のみ回答できます。",
        company.name
    ))
}

fn applicant(company: &company::Model, city_key: Option<String>) -> Applicant {
    Applicant {
        founded_year: company.founded_year,
        city: city_key,
        size: company
            .employees
            .and_then(|e| u32::try_from(e).ok())
            .map(SizeBand::of_employees),
    }
}

/// Submits the company's answers: parsed against the response's version (and, for a
/// call, judged by its eligibility rules). A refused submission is kept as the draft,
/// so nothing typed is lost, and the errors say what to fix; a second submission is
/// refused.
pub async fn submit(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    company_key: &str,
    raw: &RawAnswers,
) -> Result<Response, StoreError> {
    submit_for(
        store,
        Some(actor),
        form_key,
        company_key,
        raw,
        signed_in(actor),
    )
    .await
}

/// A submission by a respondent already authorised by `authorise`; `actor` is
/// `None` for a survey's answer link (the audit entry then says so).
pub(crate) async fn submit_for(
    store: &Store,
    actor: Option<&Actor>,
    form_key: &str,
    company_key: &str,
    raw: &RawAnswers,
    authorise: impl FnOnce(&company::Model) -> Result<(), StoreError>,
) -> Result<Response, StoreError> {
    let txn = store.begin().await?;
    let form = load(&txn, form_key).await?;
    let company = company_row(&txn, company_key).await?;
    authorise(&company)?;
    let row = write_draft(&txn, &form, &company, raw).await?;
    let version = form_version::Entity::find_by_id(row.version_id)
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::Config("回答の版がありません。".into()))?;
    let definition: FormDefinition = from_json(&version.definition, "フォーム定義")?;
    let mut errors = Vec::new();
    if let Err(outside) = form.period.accepts_on(japan_day(Utc::now())) {
        errors.push(outside);
    }
    if let Some(year) = form
        .award_year
        .filter(|_| !form.eligibility.rules.is_empty())
    {
        let directory = organisations::directory_in(&txn).await?;
        let city = company
            .city_id
            .and_then(|id| directory.cities.iter().find(|c| c.id == id))
            .map(|c| c.key.clone());
        if let Err(more) = form.eligibility.check(&applicant(&company, city), year) {
            errors.extend(more);
        }
    }
    let answers = match definition.parse_answers(raw) {
        Ok(answers) => Some(answers),
        Err(more) => {
            errors.extend(more);
            None
        }
    };
    let Some(answers) = answers.filter(|_| errors.is_empty()) else {
        // The draft is kept: commit it, then refuse.
        txn.commit().await?;
        return Err(StoreError::Invalid(errors));
    };
    let now = Utc::now();
    let mut active: form_response::ActiveModel = row.into();
    active.status = Set(ResponseStatus::Submitted.code().into());
    active.answers = Set(Some(to_json(&answers)?));
    active.updated_at = Set(now);
    active.submitted_at = Set(Some(now));
    let row = active.update(&txn).await?;
    // A submission to a call is an application (or a resubmission after a return).
    crate::applications::on_submit(&txn, actor, &form, &company, row.id).await?;
    audit::record(
        &txn,
        actor,
        Change {
            action: "submit",
            entity: "form_response",
            entity_key: row.id.to_string(),
            organisation_id: Some(form.owner.id),
            // No answers in the log: it is read more widely than the answers may be.
            summary: if actor.is_some() {
                format!("{}が「{}」に回答を提出", company.name, form.title)
            } else {
                format!(
                    "{}が「{}」に回答を提出（回答リンクから）",
                    company.name, form.title
                )
            },
            before: None,
            after: Some(json!({"form": form.key, "company": company.key,
                "version": version.number})),
        },
    )
    .await?;
    txn.commit().await?;
    to_response(&form, &company, row, version.number.try_into().unwrap_or(0))
}

/// The number of a stored version (0 if it has gone).
async fn version_number(db: &impl ConnectionTrait, version_id: i64) -> Result<u32, StoreError> {
    Ok(form_version::Entity::find_by_id(version_id)
        .one(db)
        .await?
        .map_or(0, |v| u32::try_from(v.number).unwrap_or(0)))
}

/// Every version's number of a form by id: one query for any number of responses.
async fn version_numbers(
    db: &impl ConnectionTrait,
    form_id: i64,
) -> Result<HashMap<i64, u32>, StoreError> {
    Ok(form_version::Entity::find()
        .filter(form_version::Column::FormId.eq(form_id))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, u32::try_from(v.number).unwrap_or(0)))
        .collect())
}

pub(crate) fn to_response(
    form: &Form,
    company: &company::Model,
    row: form_response::Model,
    version: u32,
) -> Result<Response, StoreError> {
    Ok(Response {
        id: row.id,
        form_key: form.key.clone(),
        version,
        company_key: company.key.clone(),
        company_name: company.name.clone(),
        status: ResponseStatus::parse(&row.status),
        raw: from_json(&row.raw, "回答")?,
        answers: row
            .answers
            .as_deref()
            .map(|text| from_json(text, "回答"))
            .transpose()?,
        created_at: row.created_at,
        updated_at: row.updated_at,
        submitted_at: row.submitted_at,
        demo: crate::demo::is_demo_company(&company.source),
    })
}

/// One company's response, for those who may see it; `NotFound` for everyone else,
/// so that others cannot even learn whether the company answered.
pub async fn response(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    company_key: &str,
) -> Result<Response, StoreError> {
    let form = load(&store.db, form_key).await?;
    // A key without a company answers as one without an answer, so that the answer
    // does not tell which keys exist.
    let company = match company_row(&store.db, company_key).await {
        Err(StoreError::NotFound { .. }) => return Err(StoreError::not_found("回答")),
        found => found?,
    };
    if !actor.may_see_answers(form.owner.id, company.id) {
        return Err(StoreError::not_found("回答"));
    }
    let row = response_row(&store.db, form.id, company.id)
        .await?
        .ok_or_else(|| StoreError::not_found("回答"))?;
    if actor.company_id != Some(company.id) {
        audit::record_read(
            &store.db,
            actor,
            "form_response",
            row.id.to_string(),
            Some(form.owner.id),
            format!("「{}」の{}の回答を閲覧", form.title, company.name),
        )
        .await?;
    }
    let version = version_number(&store.db, row.version_id).await?;
    to_response(&form, &company, row, version)
}

/// Every response (drafts too: response tracking), for the owning organisation's
/// staff only.
pub async fn responses(
    store: &Store,
    actor: &Actor,
    form_key: &str,
) -> Result<Vec<Response>, StoreError> {
    let form = load(&store.db, form_key).await?;
    if !(actor.role == domain::Role::Staff && actor.organisation_id == Some(form.owner.id)) {
        return Err(StoreError::forbidden(format!(
            "個々の回答は{}の職員のみ閲覧できます。集計結果をご覧ください。",
            form.owner.name
        )));
    }
    let rows = form_response::Entity::find()
        .filter(form_response::Column::FormId.eq(form.id))
        .order_by_asc(form_response::Column::Id)
        .all(&store.db)
        .await?;
    audit::record_read(
        &store.db,
        actor,
        "form",
        form.key.clone(),
        Some(form.owner.id),
        format!("「{}」の個々の回答（{}件）を閲覧", form.title, rows.len()),
    )
    .await?;
    let companies = companies_by_id(&store.db, rows.iter().map(|r| r.company_id)).await?;
    let versions = version_numbers(&store.db, form.id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(company) = companies.get(&row.company_id) {
            let version = versions.get(&row.version_id).copied().unwrap_or(0);
            out.push(to_response(&form, company, row, version)?);
        }
    }
    Ok(out)
}

/// Companies by id, read in chunks (for lists of responses or applications).
pub(crate) async fn companies_by_id(
    db: &impl ConnectionTrait,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, company::Model>, StoreError> {
    let ids: Vec<i64> = ids.collect();
    let mut companies = HashMap::new();
    for chunk in ids.chunks(500) {
        for row in company::Entity::find()
            .filter(company::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            companies.insert(row.id, row);
        }
    }
    Ok(companies)
}

/// Submitted answers with their company, for aggregates.
async fn submitted(
    db: &impl ConnectionTrait,
    form: &Form,
) -> Result<Vec<(company::Model, Answers)>, StoreError> {
    let rows = form_response::Entity::find()
        .filter(form_response::Column::FormId.eq(form.id))
        .filter(form_response::Column::Status.eq(ResponseStatus::Submitted.code()))
        .all(db)
        .await?;
    let mut companies = companies_by_id(db, rows.iter().map(|r| r.company_id)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let (Some(company), Some(text)) = (companies.remove(&row.company_id), row.answers) else {
            continue;
        };
        out.push((company, from_json(&text, "回答")?));
    }
    Ok(out)
}

/// How many companies have a draft and how many have submitted: response tracking
/// that reveals no answers.
pub async fn counts(store: &Store, form_key: &str) -> Result<(u64, u64), StoreError> {
    let form = load(&store.db, form_key).await?;
    let count = |status: ResponseStatus| {
        form_response::Entity::find()
            .filter(form_response::Column::FormId.eq(form.id))
            .filter(form_response::Column::Status.eq(status.code()))
            .count(&store.db)
    };
    Ok((
        count(ResponseStatus::Draft).await?,
        count(ResponseStatus::Submitted).await?,
    ))
}

/// Every question of the latest version summarised over the submitted responses:
/// what anyone signed in may see.
pub async fn aggregate(store: &Store, form_key: &str) -> Result<Vec<QuestionSummary>, StoreError> {
    let form = load(&store.db, form_key).await?;
    let answers: Vec<Answers> = submitted(&store.db, &form)
        .await?
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    Ok(form.latest.definition.summarise(&answers))
}

/// One question cross-tabulated by the respondents' city, industry (JSIC major
/// group) or size band; respondents without the fact are grouped as 不明.
pub async fn cross_tab(
    store: &Store,
    form_key: &str,
    question: &str,
    by: GroupBy,
) -> Result<Vec<CrossRow>, StoreError> {
    let form = load(&store.db, form_key).await?;
    let directory = organisations::directory(store).await?;
    let responses = submitted(&store.db, &form).await?;
    let unknown = || "不明".to_owned();
    let grouped = responses.iter().map(|(company, answers)| {
        let group = match by {
            GroupBy::City => company
                .city_id
                .and_then(|id| directory.cities.iter().find(|c| c.id == id))
                .map_or_else(unknown, |c| c.name.clone()),
            GroupBy::Industry => company.industry.as_deref().map_or_else(unknown, |code| {
                domain::directory::jsic_label(code)
                    .map_or_else(|| code.to_owned(), |name| format!("{code} {name}"))
            }),
            GroupBy::Size => company
                .employees
                .and_then(|e| u32::try_from(e).ok())
                .map_or_else(unknown, |e| SizeBand::of_employees(e).label().to_owned()),
        };
        (group, answers)
    });
    form.latest
        .definition
        .cross_tab(question, grouped)
        .ok_or_else(|| StoreError::not_found(format!("質問「{question}」")))
}

/// A file uploaded as an answer, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub id: i64,
    pub form_key: String,
    pub company_key: String,
    pub question_id: String,
    pub name: String,
    pub content_type: String,
    pub size_bytes: u64,
    pub sha256: String,
}

/// Keeps a file uploaded for a file question of the company's response and returns
/// what the answer records of it. The file is judged by its content and by the
/// question's types and size (a wrong or oversized file is refused with the reason,
/// under the question's id, before anything is kept).
pub async fn store_file(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    company_key: &str,
    question_id: &str,
    name: &str,
    bytes: &[u8],
) -> Result<FileMeta, StoreError> {
    use sha2::{Digest, Sha256};

    let form = load(&store.db, form_key).await?;
    let company = company_row(&store.db, company_key).await?;
    if !may_answer_for(actor, &company) {
        return Err(refuse_answering(actor, &company));
    }
    let refuse = |reason: String| StoreError::Invalid(vec![Invalid::new(question_id, reason)]);
    let Some(QuestionKind::File {
        allowed_types,
        max_bytes,
    }) = form
        .latest
        .definition
        .question(question_id)
        .map(|q| &q.kind)
    else {
        return Err(StoreError::not_found(format!(
            "ファイルの質問「{question_id}」"
        )));
    };
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    let meta = FileMeta {
        name: name.to_owned(),
        bytes: bytes.len() as u64,
        file_id: None,
    };
    let extension = meta.extension().unwrap_or_default();
    if !allowed_types.is_empty() && !allowed_types.contains(&extension) {
        return Err(refuse(format!(
            "ファイルの形式は {} にしてください（「{name}」）。",
            allowed_types.join("・")
        )));
    }
    if meta.bytes > *max_bytes {
        return Err(refuse(format!(
            "ファイルは{}KB以下にしてください（「{name}」は{}KBあります）。",
            max_bytes / 1024,
            meta.bytes.div_ceil(1024)
        )));
    }
    let content_type = domain::forms::upload::check_content(name, bytes).map_err(refuse)?;
    let row = form_file::ActiveModel {
        form_id: Set(form.id),
        company_id: Set(company.id),
        question_id: Set(question_id.to_owned()),
        name: Set(name.to_owned()),
        content_type: Set(content_type.to_owned()),
        size_bytes: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
        sha256: Set(format!("{:x}", Sha256::digest(bytes))),
        content: Set(bytes.to_vec()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&store.db)
    .await?;
    Ok(FileMeta {
        file_id: Some(row.id),
        ..meta
    })
}

/// A stored file with its bytes, for those who may see the company's answers.
pub async fn file(
    store: &Store,
    actor: &Actor,
    id: i64,
) -> Result<(StoredFile, Vec<u8>), StoreError> {
    let row = form_file::Entity::find_by_id(id)
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("ファイル"))?;
    let form_row = form::Entity::find_by_id(row.form_id)
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("ファイル"))?;
    if !actor.may_see_answers(form_row.owner_organisation_id, row.company_id) {
        return Err(StoreError::not_found("ファイル"));
    }
    let company = company::Entity::find_by_id(row.company_id)
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("ファイル"))?;
    Ok((
        StoredFile {
            id: row.id,
            form_key: form_row.key,
            company_key: company.key,
            question_id: row.question_id,
            name: row.name,
            content_type: row.content_type,
            size_bytes: u64::try_from(row.size_bytes).unwrap_or(0),
            sha256: row.sha256,
        },
        row.content,
    ))
}

/// The companies `actor` may answer for, by name: a member's own company; the
/// companies a staff member's organisation looks after (for entering a paper
/// questionnaire on their behalf), the first `limit` by フリガナ.
pub async fn answerable(
    store: &Store,
    actor: &Actor,
    limit: u64,
) -> Result<Vec<(String, String)>, StoreError> {
    let query = match (actor.company_id, actor.organisation_id) {
        (Some(company), _) => company::Entity::find().filter(company::Column::Id.eq(company)),
        (None, Some(organisation)) if actor.role == domain::Role::Staff => company::Entity::find()
            .filter(company::Column::OwnerOrganisationId.eq(organisation))
            .filter(company::Column::ClosedOn.is_null()),
        _ => return Ok(Vec::new()),
    };
    Ok(query
        .order_by_asc(company::Column::Kana)
        .limit(limit)
        .all(&store.db)
        .await?
        .into_iter()
        .map(|c| (c.key, c.name))
        .collect())
}

/// What staff change about a form besides its questions.
#[derive(Debug, Clone, PartialEq)]
pub struct FormSettings {
    pub title: String,
    pub description: String,
    pub period: Period,
    pub eligibility: Eligibility,
    pub award_year: Option<i32>,
}

/// Saves a form's title, description, answering period and eligibility rules.
pub async fn edit_settings(
    store: &Store,
    actor: &Actor,
    key: &str,
    settings: &FormSettings,
) -> Result<Form, StoreError> {
    let mut errors = Vec::new();
    if settings.title.trim().is_empty() {
        errors.push(Invalid::new("title", "フォームの名称を入力してください。"));
    }
    if let Err(wrong) = settings.period.validate() {
        errors.push(wrong);
    }
    if let Err(more) = settings.eligibility.validate() {
        errors.extend(more);
    }
    if !settings.eligibility.rules.is_empty() && settings.award_year.is_none() {
        errors.push(Invalid::new(
            "award_year",
            "応募資格を判定する年度（表彰年）を入力してください。",
        ));
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let txn = store.begin().await?;
    let before = load(&txn, key).await?;
    if !actor.may_edit_catalogue_of(before.owner.id) {
        return Err(StoreError::forbidden(format!(
            "「{}」は{}のフォームのため編集できません。",
            before.title, before.owner.name
        )));
    }
    form::ActiveModel {
        id: Set(before.id),
        title: Set(settings.title.trim().into()),
        description: Set(settings.description.trim().into()),
        eligibility: Set(eligibility_json(&settings.eligibility)?),
        award_year: Set(settings.award_year),
        opens_on: Set(settings.period.opens_on.map(|d| d.to_string())),
        closes_on: Set(settings.period.closes_on.map(|d| d.to_string())),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "update",
            entity: "form",
            entity_key: key.into(),
            organisation_id: Some(before.owner.id),
            summary: format!("「{}」の設定を変更", settings.title.trim()),
            before: Some(
                json!({"title": before.title, "period": before.period.label(),
                "award_year": before.award_year}),
            ),
            after: Some(json!({"title": settings.title.trim(),
                "period": settings.period.label(), "award_year": settings.award_year})),
        },
    )
    .await?;
    let form = load(&txn, key).await?;
    txn.commit().await?;
    Ok(form)
}
