//! Diagnostics (the 企業健康診断): each company's result read against the version
//! it answered, the organisation's list of diagnoses, and the follow-up records its
//! staff keep with the partner banks and advisers involved. Individual results follow
//! the forms' privacy rule (the owning organisation's staff and the company's own
//! members); follow-up records are the owning organisation's staff's only.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::forms::{Diagnosis, FormPurpose};
use domain::{Actor, FiscalYear, Invalid, Role};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

use crate::audit::{self, Change};
use crate::catalogue::KpiFigure;
use crate::entity::{company, diagnosis_followup, user};
use crate::forms::{self, Form, Response, ResponseStatus};
use crate::{Store, StoreError};

/// One company in the organisation's list of diagnoses.
#[derive(Debug, Clone, PartialEq)]
pub struct DiagnosisRow {
    pub company_key: String,
    pub company_name: String,
    pub status: ResponseStatus,
    pub submitted_at: Option<DateTime<Utc>>,
    pub diagnosis: Option<Diagnosis>,
    pub followups: usize,
    pub last_followup: Option<String>,
    /// An invented demonstration company's application (marked 「デモ」).
    pub demo: bool,
}

/// What staff record after a diagnosis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpDraft {
    pub happened_on: Option<NaiveDate>,
    /// 面談, 電話, 訪問, 専門家派遣, 融資相談 …
    pub kind: String,
    pub partner: String,
    pub note: String,
    pub next_action: String,
    pub next_on: Option<NaiveDate>,
}

impl FollowUpDraft {
    /// A follow-up as typed, on the page or through the API: dates in any form
    /// `parse_date` reads. A next date that was typed but cannot be read is refused,
    /// never dropped.
    pub fn from_text(
        happened_on: &str,
        kind: &str,
        partner: &str,
        note: &str,
        next_action: &str,
        next_on: &str,
    ) -> Result<FollowUpDraft, StoreError> {
        let date = domain::forms::answers::parse_date;
        if !next_on.trim().is_empty() && date(next_on).is_none() {
            return Err(StoreError::Invalid(vec![domain::Invalid::new(
                "next_on",
                "日付として読めません（例：2026-12-01）。",
            )]));
        }
        Ok(FollowUpDraft {
            happened_on: date(happened_on),
            kind: kind.to_owned(),
            partner: partner.to_owned(),
            note: note.to_owned(),
            next_action: next_action.to_owned(),
            next_on: date(next_on),
        })
    }
}

/// The kinds of follow-up offered on the page.
pub const FOLLOW_UP_KINDS: [&str; 6] = ["面談", "電話", "訪問", "専門家派遣", "融資相談", "その他"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub id: i64,
    pub happened_on: String,
    pub kind: String,
    pub partner: String,
    pub note: String,
    pub next_action: String,
    pub next_on: Option<String>,
    pub recorded_by: String,
}

fn owner_staff(actor: &Actor, form: &Form) -> Result<(), StoreError> {
    if actor.role == Role::Staff && actor.organisation_id == Some(form.owner.id) {
        Ok(())
    } else {
        Err(StoreError::forbidden(format!(
            "診断結果の一覧とフォローアップ記録は{}の職員のみ扱えます。",
            form.owner.name
        )))
    }
}

async fn diagnostic(store: &Store, form_key: &str) -> Result<Form, StoreError> {
    let form = forms::get(store, form_key).await?;
    if form.purpose != FormPurpose::Diagnostic {
        return Err(StoreError::not_found("診断"));
    }
    Ok(form)
}

/// The diagnosis of a submitted response, against the version it answered. Versions
/// read once are kept in `versions`, so a list of responses reads each only once.
async fn diagnose(
    store: &Store,
    response: &Response,
    versions: &mut HashMap<u32, domain::forms::FormVersion>,
) -> Result<Option<Diagnosis>, StoreError> {
    let Some(answers) = &response.answers else {
        return Ok(None);
    };
    let version = match versions.entry(response.version) {
        std::collections::hash_map::Entry::Occupied(kept) => kept.into_mut(),
        std::collections::hash_map::Entry::Vacant(slot) => {
            slot.insert(forms::version(store, &response.form_key, response.version).await?)
        }
    };
    Ok(version.definition.diagnose(answers))
}

/// A company's result, for its members and the owning organisation's staff.
pub async fn result(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    company_key: &str,
) -> Result<(Form, Response, Option<Diagnosis>), StoreError> {
    let form = diagnostic(store, form_key).await?;
    let response = forms::response(store, actor, form_key, company_key).await?;
    let diagnosis = diagnose(store, &response, &mut HashMap::new()).await?;
    Ok((form, response, diagnosis))
}

/// Every company that applied or was diagnosed, with its result and follow-ups.
pub async fn diagnoses(
    store: &Store,
    actor: &Actor,
    form_key: &str,
) -> Result<(Form, Vec<DiagnosisRow>), StoreError> {
    let form = diagnostic(store, form_key).await?;
    owner_staff(actor, &form)?;
    let responses = forms::responses(store, actor, form_key).await?;
    let followups = diagnosis_followup::Entity::find()
        .filter(diagnosis_followup::Column::FormId.eq(form.id))
        .order_by_asc(diagnosis_followup::Column::HappenedOn)
        .all(&store.db)
        .await?;
    let companies: HashMap<i64, String> = company::Entity::find()
        .filter(company::Column::Id.is_in(followups.iter().map(|f| f.company_id)))
        .all(&store.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.key))
        .collect();
    let mut versions = HashMap::new();
    let mut rows = Vec::with_capacity(responses.len());
    for response in responses {
        let diagnosis = diagnose(store, &response, &mut versions).await?;
        let mine: Vec<&diagnosis_followup::Model> = followups
            .iter()
            .filter(|f| companies.get(&f.company_id) == Some(&response.company_key))
            .collect();
        rows.push(DiagnosisRow {
            company_key: response.company_key.clone(),
            company_name: response.company_name.clone(),
            status: response.status,
            submitted_at: response.submitted_at,
            diagnosis,
            followups: mine.len(),
            last_followup: mine.last().map(|f| f.happened_on.clone()),
            demo: response.demo,
        });
    }
    Ok((form, rows))
}

/// The follow-up records of one company, oldest first.
pub async fn followups(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    company_key: &str,
) -> Result<Vec<FollowUp>, StoreError> {
    let form = diagnostic(store, form_key).await?;
    owner_staff(actor, &form)?;
    let company = company_row(store, company_key).await?;
    let rows = diagnosis_followup::Entity::find()
        .filter(diagnosis_followup::Column::FormId.eq(form.id))
        .filter(diagnosis_followup::Column::CompanyId.eq(company.id))
        .order_by_asc(diagnosis_followup::Column::HappenedOn)
        .order_by_asc(diagnosis_followup::Column::Id)
        .all(&store.db)
        .await?;
    let users: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().filter_map(|r| r.recorded_by)))
        .all(&store.db)
        .await?
        .into_iter()
        .map(|u| {
            let name = if u.display_name.is_empty() {
                u.email
            } else {
                u.display_name
            };
            (u.id, name)
        })
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| FollowUp {
            id: r.id,
            happened_on: r.happened_on,
            kind: r.kind,
            partner: r.partner,
            note: r.note,
            next_action: r.next_action,
            next_on: r.next_on,
            recorded_by: r
                .recorded_by
                .and_then(|id| users.get(&id).cloned())
                .unwrap_or_else(|| "（システム）".into()),
        })
        .collect())
}

async fn company_row(store: &Store, key: &str) -> Result<company::Model, StoreError> {
    company::Entity::find()
        .filter(company::Column::Key.eq(key))
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("企業"))
}

/// Records a follow-up with a diagnosed (or applying) company.
pub async fn add_followup(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    company_key: &str,
    draft: &FollowUpDraft,
) -> Result<(), StoreError> {
    let form = diagnostic(store, form_key).await?;
    owner_staff(actor, &form)?;
    let company = company_row(store, company_key).await?;
    let mut errors = Vec::new();
    if !FOLLOW_UP_KINDS.contains(&draft.kind.as_str()) {
        errors.push(Invalid::new("kind", "対応の種類を選んでください。"));
    }
    if draft.note.trim().is_empty() {
        errors.push(Invalid::new("note", "対応の内容を入力してください。"));
    }
    if draft.note.chars().count() > 2000 {
        errors.push(Invalid::new(
            "note",
            "対応の内容は2000文字以内にしてください。",
        ));
    }
    let Some(happened_on) = draft.happened_on else {
        errors.push(Invalid::new(
            "happened_on",
            "対応した日を入力してください。",
        ));
        return Err(StoreError::Invalid(errors));
    };
    if draft.next_on.is_some_and(|next| next < happened_on) {
        errors.push(Invalid::new(
            "next_on",
            "次回の予定日は対応した日より後にしてください。",
        ));
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let txn = store.begin().await?;
    let row = diagnosis_followup::ActiveModel {
        form_id: Set(form.id),
        company_id: Set(company.id),
        recorded_by: Set(Some(actor.user_id)),
        kind: Set(draft.kind.clone()),
        partner: Set(draft.partner.trim().to_owned()),
        note: Set(draft.note.trim().to_owned()),
        next_action: Set(draft.next_action.trim().to_owned()),
        next_on: Set(draft.next_on.map(|d| d.to_string())),
        happened_on: Set(happened_on.to_string()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "create",
            entity: "diagnosis_followup",
            entity_key: row.id.to_string(),
            organisation_id: Some(form.owner.id),
            summary: format!(
                "{}の診断後フォローアップ（{}）を記録",
                company.name, draft.kind
            ),
            before: None,
            after: Some(json!({"form": form.key, "company": company.key,
                "kind": draft.kind, "happened_on": happened_on.to_string()})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The labels under which a diagnostic's figures are written into an initiative.
pub const KPI_LABELS: [&str; 2] = ["申込企業数", "無料診断実施企業数"];

/// Writes the diagnostic's figures of fiscal year `fy` (companies that applied —
/// every response begun that year — and companies diagnosed — submitted that year)
/// into an initiative's KPIs.
pub async fn feed_kpis(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    initiative_key: &str,
    fy: FiscalYear,
) -> Result<(u64, u64), StoreError> {
    let form = diagnostic(store, form_key).await?;
    owner_staff(actor, &form)?;
    let responses = forms::responses(store, actor, form_key).await?;
    let in_year = |at: DateTime<Utc>| FiscalYear::containing(domain::time::japan_day(at)) == fy;
    // Invented demonstration companies' answers are never counted into the council's KPIs.
    let (invented, responses): (Vec<_>, Vec<_>) = responses
        .into_iter()
        .filter(|r| in_year(r.created_at))
        .partition(|r| r.demo);
    crate::demo::refuse_only_invented(fy, "診断記録", responses.len(), invented.len())?;
    let applied = responses.len() as u64;
    let diagnosed = responses
        .iter()
        .filter(|r| r.submitted_at.is_some_and(in_year))
        .count() as u64;
    let figures = [
        KpiFigure {
            label: KPI_LABELS[0].into(),
            value: applied as f64,
            unit: "社".into(),
        },
        KpiFigure {
            label: KPI_LABELS[1].into(),
            value: diagnosed as f64,
            unit: "社".into(),
        },
    ];
    let source = crate::demo::counted_from("診断記録", invented.len());
    crate::catalogue::feed_kpis(store, actor, initiative_key, fy, &figures, &source).await?;
    Ok((applied, diagnosed))
}

/// The demonstration diagnostic, `data/council/diagnostics.toml`.
const DEMO_TOML: &str = include_str!("../../../data/council/diagnostics.toml");

#[derive(serde::Deserialize)]
struct DemoFile {
    key: String,
    owner: String,
    title: String,
    description: String,
    opens_on: NaiveDate,
    closes_on: NaiveDate,
    applied: usize,
    diagnosed: usize,
    applied_from: NaiveDate,
    extra_names: Vec<[String; 2]>,
    followup: Vec<DemoFollowUp>,
    definition: domain::forms::FormDefinition,
}

#[derive(serde::Deserialize)]
struct DemoFollowUp {
    company: usize,
    happened_on: NaiveDate,
    kind: String,
    partner: String,
    note: String,
    next_action: String,
    next_on: Option<NaiveDate>,
}

fn demo_broken(what: impl std::fmt::Display) -> StoreError {
    StoreError::Config(format!("data/council/diagnostics.toml: {what}"))
}

/// 10:00 in Japan on `day`.
fn morning(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(1, 0, 0).unwrap_or_default().and_utc()
}

/// A diagnosed company's answers, varied by its place in the list so that the
/// results spread over the bands.
fn demo_answers(
    definition: &domain::forms::FormDefinition,
    index: usize,
    employees: i32,
) -> domain::forms::RawAnswers {
    use domain::forms::{QuestionKind, RawAnswers};
    let mut raw = RawAnswers::default();
    for (q, question) in definition.questions().enumerate() {
        let pick = (index * 3 + q * 5 + index / 4) % 7;
        match &question.kind {
            QuestionKind::SingleChoice { options } => {
                let option = &options[pick % options.len()];
                raw = raw.with(&question.id, &option.value);
            }
            QuestionKind::Scale { .. } => {
                raw = raw.with(&question.id, &(1 + pick % 5).to_string());
            }
            QuestionKind::Number { .. } => {
                raw = raw.with(&question.id, &employees.to_string());
            }
            QuestionKind::LongText { .. } if index.is_multiple_of(3) => {
                raw = raw.with(&question.id, "後継者に技術をどう伝えるか。");
            }
            _ => {}
        }
    }
    raw
}

/// Loads the demonstration 企業健康診断 into a database that has the directory but
/// not this form yet: the
/// form, 35 applications (the 墨田区 companies of the directory first, then fictional
/// ones), 20 submitted diagnoses and a few follow-ups. Returns whether it loaded.
pub async fn load_demo_if_empty(store: &Store) -> Result<bool, StoreError> {
    use crate::entity::{form, form_response, form_version};
    use domain::directory::{CompanyDraft, CompanyInput};
    use sea_orm::PaginatorTrait;

    let demo: DemoFile = toml::from_str(DEMO_TOML).map_err(demo_broken)?;
    if form::Entity::find()
        .filter(form::Column::Key.eq(&demo.key))
        .count(&store.db)
        .await?
        > 0
        || company::Entity::find().count(&store.db).await? == 0
    {
        return Ok(false);
    }
    demo.definition
        .check()
        .map_err(|errors| demo_broken(format!("{errors:?}")))?;
    let directory = crate::organisations::directory(store).await?;
    let owner = directory
        .organisation_by_key(&demo.owner)
        .ok_or_else(|| demo_broken(format!("owner {}", demo.owner)))?
        .clone();
    let sumida = directory
        .city_by_key("sumida")
        .ok_or_else(|| demo_broken("city sumida"))?
        .clone();
    let txn = store.begin().await?;
    let mut companies: Vec<company::Model> = company::Entity::find()
        .filter(company::Column::CityId.eq(sumida.id))
        .filter(company::Column::ClosedOn.is_null())
        .order_by_asc(company::Column::Key)
        .all(&txn)
        .await?;
    companies.truncate(demo.applied);
    let city_keys: Vec<&str> = directory.cities.iter().map(|c| c.key.as_str()).collect();
    for (n, [name, kana]) in demo.extra_names.iter().enumerate() {
        if companies.len() >= demo.applied {
            break;
        }
        let input = CompanyInput {
            name: name.clone(),
            kana: kana.clone(),
            city: "sumida".into(),
            address: format!(
                "東京都墨田区{}",
                ["押上", "向島", "両国", "京島", "八広"][n % 5]
            ),
            industry: ["24", "26", "15", "11", "18"][n % 5].into(),
            employees: (4 + (n * 7) % 45).to_string(),
            founded_year: (1948 + (n * 3) % 40).to_string(),
            representative_age: "60s".into(),
            description: "『社長60歳「企業健康診断」』に申し込んだ墨田区の製造業（架空の企業）。"
                .into(),
            ..CompanyInput::default()
        };
        let draft = CompanyDraft::parse(&input, &city_keys, 2026)
            .map_err(|errors| demo_broken(format!("{name}: {errors:?}")))?;
        let company_owner = crate::companies::owner_of(&directory, Some("sumida"))?;
        let key = format!("sumida-hc-{:02}", n + 1);
        let created =
            crate::companies::insert(&txn, &directory, company_owner, &key, &draft, "seed").await?;
        let row = company::Entity::find_by_id(created.id)
            .one(&txn)
            .await?
            .ok_or_else(|| demo_broken("company not stored"))?;
        companies.push(row);
    }
    if companies.len() < demo.applied {
        return Err(demo_broken("not enough companies for the applications"));
    }
    let opened = morning(demo.opens_on);
    let form_row = form::ActiveModel {
        key: Set(demo.key.clone()),
        owner_organisation_id: Set(owner.id),
        purpose: Set(FormPurpose::Diagnostic.code().into()),
        title: Set(demo.title.clone()),
        description: Set(demo.description.clone()),
        eligibility: Set(String::new()),
        award_year: Set(None),
        opens_on: Set(Some(demo.opens_on.to_string())),
        closes_on: Set(Some(demo.closes_on.to_string())),
        retention_days: Set(None),
        created_at: Set(opened),
        updated_at: Set(opened),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let version = form_version::ActiveModel {
        form_id: Set(form_row.id),
        number: Set(1),
        definition: Set(serde_json::to_string(&demo.definition).map_err(demo_broken)?),
        created_at: Set(opened),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (index, company) in companies.iter().enumerate() {
        let applied_at = morning(demo.applied_from + chrono::Duration::days(index as i64));
        let raw = if index < demo.diagnosed {
            demo_answers(&demo.definition, index, company.employees.unwrap_or(10))
        } else {
            domain::forms::RawAnswers::default()
                .with("employees", &company.employees.unwrap_or(10).to_string())
        };
        let (status, answers, submitted_at) = if index < demo.diagnosed {
            let answers = demo
                .definition
                .parse_answers(&raw)
                .map_err(|errors| demo_broken(format!("answers {index}: {errors:?}")))?;
            (
                ResponseStatus::Submitted,
                Some(serde_json::to_string(&answers).map_err(demo_broken)?),
                Some(applied_at + chrono::Duration::days(30)),
            )
        } else {
            (ResponseStatus::Draft, None, None)
        };
        form_response::ActiveModel {
            form_id: Set(form_row.id),
            version_id: Set(version.id),
            company_id: Set(company.id),
            status: Set(status.code().into()),
            raw: Set(serde_json::to_string(&raw).map_err(demo_broken)?),
            answers: Set(answers),
            created_at: Set(applied_at),
            updated_at: Set(submitted_at.unwrap_or(applied_at)),
            submitted_at: Set(submitted_at),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    for f in &demo.followup {
        let company = companies
            .get(f.company)
            .ok_or_else(|| demo_broken(format!("followup company {}", f.company)))?;
        diagnosis_followup::ActiveModel {
            form_id: Set(form_row.id),
            company_id: Set(company.id),
            recorded_by: Set(None),
            kind: Set(f.kind.clone()),
            partner: Set(f.partner.clone()),
            note: Set(f.note.clone()),
            next_action: Set(f.next_action.clone()),
            next_on: Set(f.next_on.map(|d| d.to_string())),
            happened_on: Set(f.happened_on.to_string()),
            created_at: Set(morning(f.happened_on)),
            // The demonstration's dates are long past: nobody is told they are due.
            due_noticed_at: Set(f.next_on.map(morning)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        None,
        Change {
            action: "create",
            entity: "form",
            entity_key: demo.key.clone(),
            organisation_id: Some(owner.id),
            summary: format!(
                "デモデータ：「{}」（申込{}社・診断{}社）",
                demo.title, demo.applied, demo.diagnosed
            ),
            before: None,
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}
