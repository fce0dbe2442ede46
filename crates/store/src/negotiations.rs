//! Negotiations (商談): a match proposed → accepted or declined → meeting → quote →
//! prototype → order, each step dated and noted; and the figures the council reports
//! (matches, negotiations, prototypes, orders) per city and council-wide. A step
//! recorded by one side is told to the other ([`crate::notices::negotiations`]).

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, Utc};
use domain::directory::Stage;
use domain::text::optional_text;
use domain::{Actor, FiscalYear, Invalid};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::audit::{self, Change};
use crate::entity::{company, negotiation, negotiation_step, person, posting};
use crate::organisations::{self, Organisation};
use crate::{Store, StoreError};

/// A negotiation as the pipeline, the API and exports read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Negotiation {
    pub id: i64,
    pub key: String,
    pub title: String,
    /// The need it answers (key, title).
    pub posting: Option<(String, String)>,
    pub buyer_name: String,
    pub buyer_company: Option<(String, i64)>,
    pub buyer_city: Option<String>,
    pub supplier_name: String,
    pub supplier_company: Option<(String, i64)>,
    pub supplier_city: Option<String>,
    pub owner: Organisation,
    pub stage: Stage,
    /// Order amount in yen, when one is recorded.
    pub amount: Option<f64>,
    pub started_on: NaiveDate,
    pub updated_on: NaiveDate,
    pub steps: Vec<Step>,
    /// Invented demonstration data: either side is an invented company or person
    /// (marked 「デモ」, never counted into the council's KPIs).
    pub demo: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub stage: Stage,
    pub on_date: NaiveDate,
    pub note: String,
    pub user_email: String,
}

impl Negotiation {
    /// Whether the two sides are in different cities: what the council exists for.
    pub fn is_cross_city(&self) -> bool {
        matches!((&self.buyer_city, &self.supplier_city), (Some(a), Some(b)) if a != b)
    }

    /// The stages this negotiation has reached, in order.
    pub fn reached(&self, stage: Stage) -> bool {
        self.steps.iter().any(|s| s.stage == stage)
    }

    /// Whether `actor` may record a step: the organisation's staff, the secretariat,
    /// and the members of either company.
    pub fn editable_by(&self, actor: Option<&Actor>) -> bool {
        actor.is_some_and(|a| {
            a.may_edit_catalogue_of(self.owner.id)
                || a.company_id.is_some_and(|id| {
                    self.buyer_company.as_ref().is_some_and(|c| c.1 == id)
                        || self.supplier_company.as_ref().is_some_and(|c| c.1 == id)
                })
        })
    }

    fn snapshot(&self) -> serde_json::Value {
        json!({
            "key": self.key,
            "title": self.title,
            "stage": self.stage.code(),
            "amount": self.amount,
            "buyer": self.buyer_name,
            "supplier": self.supplier_name,
            "updated_on": self.updated_on.to_string(),
        })
    }
}

/// Who answers a need.
#[derive(Debug, Clone)]
pub enum Supplier {
    Company(String),
    Person(String),
    /// An offer posting (by key).
    Offer(String),
}

fn visible(actor: &Actor, n: &Negotiation) -> bool {
    actor.is_secretariat() || n.editable_by(Some(actor))
}

/// Negotiations the actor may see (their organisation's, their company's; all for
/// the secretariat). Anonymous visitors see none: only the dashboard's totals.
pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<Negotiation>, StoreError> {
    let all = load(&store.db, None).await?;
    Ok(all.into_iter().filter(|n| visible(actor, n)).collect())
}

pub async fn get(store: &Store, actor: &Actor, key: &str) -> Result<Negotiation, StoreError> {
    load(&store.db, Some(key))
        .await?
        .into_iter()
        .find(|n| visible(actor, n))
        .ok_or_else(|| StoreError::not_found("商談"))
}

async fn load(
    db: &impl ConnectionTrait,
    key: Option<&str>,
) -> Result<Vec<Negotiation>, StoreError> {
    let directory = organisations::directory_in(db).await?;
    let mut query = negotiation::Entity::find();
    if let Some(key) = key {
        query = query.filter(negotiation::Column::Key.eq(key));
    }
    let rows = query
        .order_by_desc(negotiation::Column::UpdatedOn)
        .order_by_desc(negotiation::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut steps: HashMap<i64, Vec<Step>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for row in negotiation_step::Entity::find()
            .filter(negotiation_step::Column::NegotiationId.is_in(chunk.iter().copied()))
            .order_by_asc(negotiation_step::Column::Id)
            .all(db)
            .await?
        {
            steps.entry(row.negotiation_id).or_default().push(Step {
                stage: Stage::parse(&row.stage).unwrap_or(Stage::Proposed),
                on_date: parse_date(&row.on_date),
                note: row.note,
                user_email: row.user_email,
            });
        }
    }
    let company_ids: Vec<i64> = rows
        .iter()
        .flat_map(|r| [r.buyer_company_id, r.supplier_company_id])
        .flatten()
        .collect();
    let mut companies: HashMap<i64, (String, Option<i64>)> = HashMap::new();
    let mut invented: std::collections::HashSet<i64> = std::collections::HashSet::new();
    for chunk in company_ids.chunks(500) {
        for row in company::Entity::find()
            .filter(company::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            if crate::demo::is_demo_company(&row.source) {
                invented.insert(row.id);
            }
            companies.insert(row.id, (row.key, row.city_id));
        }
    }
    let person_ids: Vec<i64> = rows.iter().filter_map(|r| r.supplier_person_id).collect();
    let mut invented_people: std::collections::HashSet<i64> = std::collections::HashSet::new();
    for chunk in person_ids.chunks(500) {
        for row in person::Entity::find()
            .filter(person::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            if crate::demo::is_demo_person(&row.source) {
                invented_people.insert(row.id);
            }
        }
    }
    let posting_ids: Vec<i64> = rows.iter().filter_map(|r| r.posting_id).collect();
    let mut postings: HashMap<i64, (String, String)> = HashMap::new();
    for chunk in posting_ids.chunks(500) {
        for row in posting::Entity::find()
            .filter(posting::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            postings.insert(row.id, (row.key, row.title));
        }
    }
    let city_key = |id: Option<i64>| {
        id.and_then(|id| directory.cities.iter().find(|c| c.id == id))
            .map(|c| c.key.clone())
    };
    let council = directory
        .organisation_by_key("council")
        .ok_or_else(|| StoreError::Config("協議会の団体データがありません。".into()))?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let party = |id: Option<i64>| {
                id.and_then(|id| {
                    companies
                        .get(&id)
                        .map(|(key, city)| ((key.clone(), id), *city))
                })
            };
            let buyer = party(row.buyer_company_id);
            let supplier = party(row.supplier_company_id);
            let demo = [row.buyer_company_id, row.supplier_company_id]
                .iter()
                .flatten()
                .any(|id| invented.contains(id))
                || row
                    .supplier_person_id
                    .is_some_and(|id| invented_people.contains(&id));
            let owner = directory
                .organisation(row.owner_organisation_id)
                .unwrap_or(council)
                .clone();
            Negotiation {
                id: row.id,
                key: row.key,
                title: row.title,
                posting: row.posting_id.and_then(|id| postings.get(&id).cloned()),
                buyer_name: row.buyer_name,
                buyer_city: buyer
                    .as_ref()
                    .and_then(|b| city_key(b.1))
                    .or_else(|| owner.city.as_ref().map(|c| c.key.clone())),
                buyer_company: buyer.map(|b| b.0),
                supplier_name: row.supplier_name,
                supplier_city: supplier.as_ref().and_then(|s| city_key(s.1)),
                supplier_company: supplier.map(|s| s.0),
                owner,
                stage: Stage::parse(&row.stage).unwrap_or(Stage::Proposed),
                amount: row.amount,
                started_on: parse_date(&row.started_on),
                updated_on: parse_date(&row.updated_on),
                steps: steps.remove(&row.id).unwrap_or_default(),
                demo,
            }
        })
        .collect())
}

fn parse_date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
}

/// Proposes a match for a need: the start of a negotiation. Those who may edit the
/// need (its organisation's staff, the posting company) propose.
pub async fn propose(
    store: &Store,
    actor: &Actor,
    need_key: &str,
    supplier: &Supplier,
    on_date: NaiveDate,
    note: &str,
) -> Result<Negotiation, StoreError> {
    let note = optional_text("note", note, 2000)?;
    let need = crate::postings::get(store, Some(actor), need_key).await?;
    if !need.editable_by(Some(actor)) {
        return Err(StoreError::forbidden(
            "このニーズの商談は、掲載した企業か担当団体の職員のみが提案できます。",
        ));
    }
    let txn = store.begin().await?;
    // The supplier's name is copied into the negotiation, so a supplier the actor may
    // not see answers as one that does not exist.
    let (supplier_company_id, supplier_person_id, supplier_name) = match supplier {
        Supplier::Company(key) => {
            let row = company::Entity::find()
                .filter(company::Column::Key.eq(key.as_str()))
                .filter(crate::companies::visible_condition(Some(actor)))
                .one(&txn)
                .await?
                .ok_or_else(|| Invalid::new("supplier", "企業が見つかりません。"))?;
            (Some(row.id), None, row.name)
        }
        Supplier::Person(key) => {
            let row = person::Entity::find()
                .filter(person::Column::Key.eq(key.as_str()))
                .filter(crate::people::visible(Some(actor)))
                .one(&txn)
                .await?
                .ok_or_else(|| Invalid::new("supplier", "人材が見つかりません。"))?;
            (None, Some(row.id), row.name)
        }
        Supplier::Offer(key) => {
            let row = posting::Entity::find()
                .filter(posting::Column::Key.eq(key.as_str()))
                .filter(crate::postings::visible_condition(Some(actor)))
                .one(&txn)
                .await?
                .ok_or_else(|| Invalid::new("supplier", "シーズが見つかりません。"))?;
            let name = if row.poster_name.is_empty() {
                row.title.clone()
            } else {
                row.poster_name.clone()
            };
            (row.company_id, row.person_id, name)
        }
    };
    if supplier_company_id.is_some() && supplier_company_id == need.company.as_ref().map(|c| c.2) {
        return Err(
            Invalid::new("supplier", "自社のニーズに自社を提案することはできません。").into(),
        );
    }
    let key = format!("n{:08x}", rand::random::<u32>());
    let now = Utc::now();
    let row = negotiation::ActiveModel {
        key: Set(key.clone()),
        posting_id: Set(Some(need.id)),
        buyer_company_id: Set(need.company.as_ref().map(|c| c.2)),
        buyer_name: Set(need.poster_name.clone()),
        supplier_company_id: Set(supplier_company_id),
        supplier_person_id: Set(supplier_person_id),
        supplier_name: Set(supplier_name.clone()),
        owner_organisation_id: Set(need.owner.id),
        title: Set(need.title.clone()),
        stage: Set(Stage::Proposed.code().to_owned()),
        amount: Set(None),
        started_on: Set(on_date.to_string()),
        updated_on: Set(on_date.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    insert_step(&txn, row.id, Stage::Proposed, on_date, &note, actor).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "create",
            entity: "negotiation",
            entity_key: key.clone(),
            organisation_id: Some(need.owner.id),
            summary: format!("「{}」に{}をマッチング提案", need.title, supplier_name),
            before: None,
            after: Some(json!({"key": key, "need": need.key, "supplier": supplier_name})),
        },
    )
    .await?;
    txn.commit().await?;
    get(store, actor, &key).await
}

/// A negotiation that starts somewhere other than a need: a meeting at a matching
/// fair. Its steps so far (dated, noted) are written with it; the last one is the
/// stage it is at.
pub(crate) struct Opening {
    pub key: String,
    pub title: String,
    pub buyer: (i64, String),
    pub supplier: (i64, String),
    pub owner_organisation_id: i64,
    pub started_on: NaiveDate,
    pub steps: Vec<(Stage, NaiveDate, String)>,
    pub amount: Option<f64>,
}

/// Writes an [`Opening`] inside the caller's transaction (the caller audits it).
pub(crate) async fn open(
    db: &impl ConnectionTrait,
    actor: &Actor,
    opening: &Opening,
) -> Result<(), StoreError> {
    let Some(&(stage, updated_on, _)) = opening.steps.last() else {
        return Err(StoreError::Config(
            "a negotiation needs a first step".into(),
        ));
    };
    let now = Utc::now();
    let row = negotiation::ActiveModel {
        key: Set(opening.key.clone()),
        posting_id: Set(None),
        buyer_company_id: Set(Some(opening.buyer.0)),
        buyer_name: Set(opening.buyer.1.clone()),
        supplier_company_id: Set(Some(opening.supplier.0)),
        supplier_person_id: Set(None),
        supplier_name: Set(opening.supplier.1.clone()),
        owner_organisation_id: Set(opening.owner_organisation_id),
        title: Set(opening.title.clone()),
        stage: Set(stage.code().to_owned()),
        amount: Set(opening.amount),
        started_on: Set(opening.started_on.to_string()),
        updated_on: Set(updated_on.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    for (stage, on_date, note) in &opening.steps {
        insert_step(db, row.id, *stage, *on_date, note, actor).await?;
    }
    Ok(())
}

/// The stage of each negotiation among `keys` that exists (key → stage, amount).
pub(crate) async fn stages_of(
    db: &impl ConnectionTrait,
    keys: &[String],
) -> Result<HashMap<String, (Stage, Option<f64>)>, StoreError> {
    let mut found = HashMap::new();
    for chunk in keys.chunks(500) {
        for row in negotiation::Entity::find()
            .filter(negotiation::Column::Key.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            found.insert(
                row.key,
                (
                    Stage::parse(&row.stage).unwrap_or(Stage::Proposed),
                    row.amount,
                ),
            );
        }
    }
    Ok(found)
}

async fn insert_step(
    db: &impl ConnectionTrait,
    negotiation_id: i64,
    stage: Stage,
    on_date: NaiveDate,
    note: &str,
    actor: &Actor,
) -> Result<(), StoreError> {
    negotiation_step::ActiveModel {
        negotiation_id: Set(negotiation_id),
        stage: Set(stage.code().to_owned()),
        on_date: Set(on_date.to_string()),
        note: Set(note.to_owned()),
        user_email: Set(actor.email.clone()),
        at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Records the next step of a negotiation (accepted, meeting, quote, prototype,
/// order, or declined) with its date, a note and, for an order, the amount.
pub async fn advance(
    store: &Store,
    actor: &Actor,
    key: &str,
    stage: Stage,
    on_date: NaiveDate,
    note: &str,
    amount: Option<f64>,
) -> Result<Negotiation, StoreError> {
    let note = optional_text("note", note, 2000)?;
    let before = get(store, actor, key).await?;
    if !before.editable_by(Some(actor)) {
        return Err(StoreError::forbidden("この商談の経過は記録できません。"));
    }
    before.stage.may_move_to(stage)?;
    if on_date < before.updated_on {
        return Err(Invalid::new(
            "on_date",
            format!(
                "日付は前回の記録（{}）以降にしてください。",
                before.updated_on
            ),
        )
        .into());
    }
    if amount.is_some_and(|a| !(0.0..1e13).contains(&a) || a.is_nan()) {
        return Err(Invalid::new("amount", "金額は0以上の数値で入力してください。").into());
    }
    let txn = store.begin().await?;
    negotiation::ActiveModel {
        id: Set(before.id),
        stage: Set(stage.code().to_owned()),
        amount: Set(amount.or(before.amount)),
        updated_on: Set(on_date.to_string()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    insert_step(&txn, before.id, stage, on_date, &note, actor).await?;
    crate::notices::negotiations::step_taken(&txn, actor, &before, stage, &note).await?;
    let after = Negotiation {
        stage,
        amount: amount.or(before.amount),
        updated_on: on_date,
        ..before.clone()
    };
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "update",
            entity: "negotiation",
            entity_key: key.to_owned(),
            organisation_id: Some(before.owner.id),
            summary: format!("商談「{}」を「{}」に更新", before.title, stage.label()),
            before: Some(before.snapshot()),
            after: Some(after.snapshot()),
        },
    )
    .await?;
    txn.commit().await?;
    get(store, actor, key).await
}

/// The figures the council reports, for one city (by the organisation that keeps
/// the negotiation) or for all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// マッチング件数: every proposed match.
    pub matches: u64,
    /// 商談件数: matches the other side accepted.
    pub negotiations: u64,
    pub meetings: u64,
    pub quotes: u64,
    /// 試作件数.
    pub prototypes: u64,
    /// 受注・契約件数.
    pub orders: u64,
    pub declined: u64,
    /// Matches between companies of two different cities.
    pub cross_city: u64,
}

impl Figures {
    fn add(&mut self, n: &Negotiation) {
        self.matches += 1;
        let reached = |stages: &[Stage]| stages.iter().any(|s| n.reached(*s) || n.stage == *s);
        let after_accept = [
            Stage::Accepted,
            Stage::Meeting,
            Stage::Quote,
            Stage::Prototype,
            Stage::Order,
        ];
        if reached(&after_accept) {
            self.negotiations += 1;
        }
        if reached(&after_accept[1..]) {
            self.meetings += 1;
        }
        if reached(&[Stage::Quote]) {
            self.quotes += 1;
        }
        if reached(&[Stage::Prototype]) {
            self.prototypes += 1;
        }
        if reached(&[Stage::Order]) {
            self.orders += 1;
        }
        if n.stage == Stage::Declined {
            self.declined += 1;
        }
        if n.is_cross_city() {
            self.cross_city += 1;
        }
    }
}

/// Figures per city key (by the keeping organisation's city; `council` for the
/// council's own), and the total, for the fiscal year `fy` or all years. Counts are
/// public (no names): the dashboard shows them to everyone.
pub async fn figures(
    store: &Store,
    fy: Option<FiscalYear>,
) -> Result<(BTreeMap<String, Figures>, Figures), StoreError> {
    let all = load(&store.db, None).await?;
    let mut per_city: BTreeMap<String, Figures> = BTreeMap::new();
    let mut total = Figures::default();
    for n in all
        .iter()
        .filter(|n| fy.is_none_or(|fy| FiscalYear::containing(n.started_on) == fy))
    {
        let city = n
            .owner
            .city
            .as_ref()
            .map_or_else(|| "council".to_owned(), |c| c.key.clone());
        per_city.entry(city).or_default().add(n);
        total.add(n);
    }
    Ok((per_city, total))
}

/// How many invented demonstration negotiations (「デモ」) the figures of fiscal year
/// `fy` (or all years) include: the dashboard says so beside them.
pub async fn invented(store: &Store, fy: Option<FiscalYear>) -> Result<u64, StoreError> {
    Ok(load(&store.db, None)
        .await?
        .iter()
        .filter(|n| n.demo && fy.is_none_or(|fy| FiscalYear::containing(n.started_on) == fy))
        .count() as u64)
}

/// The labels under which the figures are written into an initiative's KPIs.
pub const KPI_LABELS: [&str; 4] = ["マッチング件数", "商談件数", "試作件数", "受注・契約件数"];

/// Writes an organisation's figures of fiscal year `fy` into the KPIs of one of its
/// initiatives (the year's entry, created as a result if missing): a KPI with the
/// same label is updated, others are kept. Goes through the catalogue, so the
/// change is authorised and audited like a typed one. Returns the figures written.
pub async fn feed_kpis(
    store: &Store,
    actor: &Actor,
    initiative_key: &str,
    fy: FiscalYear,
) -> Result<Figures, StoreError> {
    let initiative = crate::catalogue::get(store, initiative_key).await?;
    if !actor.may_edit_catalogue_of(initiative.organisation.id) {
        return Err(StoreError::forbidden(format!(
            "{}の施策には反映できません。",
            initiative.organisation.name
        )));
    }
    let mut figures = Figures::default();
    // Invented demonstration negotiations are never counted into the council's KPIs.
    let (invented, real): (Vec<_>, Vec<_>) = load(&store.db, None)
        .await?
        .into_iter()
        .filter(|n| {
            n.owner.id == initiative.organisation.id && FiscalYear::containing(n.started_on) == fy
        })
        .partition(|n| n.demo);
    crate::demo::refuse_only_invented(fy, "商談記録", real.len(), invented.len())?;
    for n in &real {
        figures.add(n);
    }
    let values = [
        figures.matches,
        figures.negotiations,
        figures.prototypes,
        figures.orders,
    ];
    let figures_written: Vec<crate::catalogue::KpiFigure> = KPI_LABELS
        .iter()
        .zip(values)
        .map(|(label, value)| crate::catalogue::KpiFigure {
            label: (*label).to_owned(),
            value: value as f64,
            unit: "件".into(),
        })
        .collect();
    crate::catalogue::feed_kpis(
        store,
        actor,
        initiative_key,
        fy,
        &figures_written,
        &crate::demo::counted_from("商談記録", invented.len()),
    )
    .await?;
    Ok(figures)
}
