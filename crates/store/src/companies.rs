//! The company directory: companies of the seven cities (and buyers elsewhere) with
//! their capabilities from the shared taxonomy.
//!
//! Reads take the viewer: anonymous visitors and other organisations see public,
//! open companies without their private fields (contact, exact head count, the
//! representative's age, staff notes); the company's own members, the staff of the
//! organisation that looks after it and the secretariat see everything. Writes check
//! the actor against the company and record the audit log in the same transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::directory::{AgeBand, CompanyDraft, SizeBand};
use domain::{Actor, CorporateNumber, Invalid};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use crate::audit::{self, Change};
use crate::entity::{company, company_capability};
use crate::organisations::{self, City, Directory, Organisation};
use crate::{Store, StoreError};

/// A company as pages, the API, exports and the index read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    pub id: i64,
    pub key: String,
    pub corporate_number: Option<String>,
    pub name: String,
    pub kana: String,
    pub city: Option<City>,
    /// The organisation that looks after the company (its city's office).
    pub owner: Organisation,
    pub prefecture: String,
    pub address: String,
    /// JSIC major group (`24`).
    pub industry: Option<String>,
    pub founded_year: Option<i32>,
    pub url: String,
    pub description: String,
    pub products: String,
    /// Taxonomy codes, in the taxonomy's order.
    pub capabilities: Vec<String>,
    pub public: bool,
    /// The size band is public even when the exact head count is not.
    pub size: Option<SizeBand>,
    /// Private fields: `None` when the viewer may not see them.
    pub private: Option<PrivateFields>,
    /// 登記記録の閉鎖等 (from the NTA file): closed companies stay, marked.
    pub closed_on: Option<String>,
    pub close_cause: String,
    /// `manual`, `seed`, `list` (a staff list), `nta` (the corporate-number file).
    pub source: String,
    pub updated_at: DateTime<Utc>,
}

/// What only the company, its organisation's staff and the secretariat see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateFields {
    pub employees: Option<u32>,
    pub representative_age: Option<AgeBand>,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub staff_note: String,
}

impl Company {
    pub fn is_closed(&self) -> bool {
        self.closed_on.is_some()
    }

    pub fn city_name(&self) -> &str {
        self.city.as_ref().map_or("協議会外", |c| c.name.as_str())
    }

    /// Whether `viewer` may change this company.
    pub fn editable_by(&self, viewer: Option<&Actor>) -> bool {
        viewer.is_some_and(|a| a.may_edit_company(self.id, self.owner.id))
    }

    fn snapshot(&self) -> serde_json::Value {
        let private = self.private.as_ref();
        json!({
            "key": self.key,
            "corporate_number": self.corporate_number,
            "name": self.name,
            "kana": self.kana,
            "city": self.city.as_ref().map(|c| c.key.clone()),
            "address": self.address,
            "industry": self.industry,
            "employees": private.and_then(|p| p.employees),
            "founded_year": self.founded_year,
            "representative_age": private.and_then(|p| p.representative_age).map(|a| a.code()),
            "url": self.url,
            "description": self.description,
            "products": self.products,
            "capabilities": self.capabilities,
            "public": self.public,
            "contact_name": private.map(|p| p.contact_name.clone()),
            "contact_email": private.map(|p| p.contact_email.clone()),
            "contact_phone": private.map(|p| p.contact_phone.clone()),
            "staff_note": private.map(|p| p.staff_note.clone()),
            "closed_on": self.closed_on,
        })
    }
}

/// What a directory list asks for. Text search goes through the search index; this
/// filters by structure.
#[derive(Debug, Clone, Default)]
pub struct CompanyFilter {
    pub city: Option<String>,
    /// Every listed capability must be present.
    pub capabilities: Vec<String>,
    pub size: Option<SizeBand>,
    pub industry: Option<String>,
    /// Only these ids (the search index's hits), in this order.
    pub ids: Option<Vec<i64>>,
    pub include_closed: bool,
    pub offset: u64,
    /// 0 = no limit.
    pub limit: u64,
}

/// One page of a list and the number of matching companies.
#[derive(Debug, Clone)]
pub struct CompanyPage {
    pub companies: Vec<Company>,
    pub total: u64,
}

pub(crate) fn visible_condition(viewer: Option<&Actor>) -> Condition {
    match viewer {
        Some(actor) if actor.is_secretariat() => Condition::all(),
        Some(actor) => {
            let mut any = Condition::any().add(company::Column::Public.eq(true));
            if let Some(org) = actor
                .organisation_id
                .filter(|_| actor.role != domain::Role::Company)
            {
                any = any.add(company::Column::OwnerOrganisationId.eq(org));
            }
            if let Some(id) = actor.company_id {
                any = any.add(company::Column::Id.eq(id));
            }
            Condition::all().add(any)
        }
        None => Condition::all().add(company::Column::Public.eq(true)),
    }
}

/// Whether `viewer` may know that `row` exists: the rule of [`visible_condition`]
/// for a row already read. Whatever names a company by a key the viewer typed (an
/// export, a refusal) checks this first, so that a private company's name never
/// reaches someone who may not see it, and its key answers as a missing one does.
pub fn visible_to(viewer: Option<&Actor>, row: &company::Model) -> bool {
    match viewer {
        Some(actor) if actor.is_secretariat() => true,
        Some(actor) => {
            row.public
                || (actor.role != domain::Role::Company
                    && actor.organisation_id == Some(row.owner_organisation_id))
                || actor.company_id == Some(row.id)
        }
        None => row.public,
    }
}

/// Companies the viewer may see, filtered and paged, ordered by フリガナ (or by the
/// order of `filter.ids`).
pub async fn list(
    store: &Store,
    viewer: Option<&Actor>,
    filter: &CompanyFilter,
) -> Result<CompanyPage, StoreError> {
    let directory = organisations::directory(store).await?;
    let mut condition = visible_condition(viewer);
    if !filter.include_closed {
        condition = condition.add(company::Column::ClosedOn.is_null());
    }
    if let Some(key) = &filter.city {
        let city = directory
            .city_by_key(key)
            .ok_or_else(|| Invalid::new("city", "市区を一覧から選んでください。"))?;
        condition = condition.add(company::Column::CityId.eq(city.id));
    }
    if let Some(industry) = &filter.industry {
        condition = condition.add(company::Column::Industry.eq(industry.as_str()));
    }
    if let Some(size) = filter.size {
        let (low, high) = match size {
            SizeBand::Micro => (0, 20),
            SizeBand::Small => (21, 300),
            SizeBand::Large => (301, i32::MAX),
        };
        condition = condition.add(company::Column::Employees.between(low, high));
    }
    for code in &filter.capabilities {
        condition = condition.add(
            company::Column::Id.in_subquery(
                Query::select()
                    .column(company_capability::Column::CompanyId)
                    .from(company_capability::Entity)
                    .and_where(Expr::col(company_capability::Column::Code).eq(code.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(ids) = &filter.ids {
        condition = condition.add(company::Column::Id.is_in(ids.iter().copied()));
    }
    let query = company::Entity::find().filter(condition);
    let total = query.clone().count(&store.db).await?;
    let mut query = query
        .order_by_asc(company::Column::Kana)
        .order_by_asc(company::Column::Id);
    // SQLite refuses an OFFSET without a LIMIT, so "no limit" with an offset is the
    // largest limit both backends accept, and no limit at all adds neither clause.
    if filter.ids.is_none() && (filter.limit > 0 || filter.offset > 0) {
        let limit = if filter.limit > 0 {
            filter.limit
        } else {
            i64::MAX.unsigned_abs()
        };
        // Both within i64: the databases take a signed OFFSET and LIMIT, and a larger
        // u64 makes the query builder panic.
        let largest = i64::MAX.unsigned_abs();
        query = query
            .limit(limit.min(largest))
            .offset(filter.offset.min(largest));
    }
    let rows = query.all(&store.db).await?;
    let mut companies = assemble(&store.db, &directory, viewer, rows).await?;
    if let Some(ids) = &filter.ids {
        let rank: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        companies.sort_by_key(|c| rank.get(&c.id).copied().unwrap_or(usize::MAX));
    }
    Ok(CompanyPage { companies, total })
}

/// One company by key (or 法人番号), if the viewer may see it.
pub async fn get(store: &Store, viewer: Option<&Actor>, key: &str) -> Result<Company, StoreError> {
    let directory = organisations::directory(store).await?;
    let row = company::Entity::find()
        .filter(
            Condition::any()
                .add(company::Column::Key.eq(key))
                .add(company::Column::CorporateNumber.eq(key)),
        )
        .filter(visible_condition(viewer))
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("企業"))?;
    let mut companies = assemble(&store.db, &directory, viewer, vec![row]).await?;
    companies.pop().ok_or_else(|| StoreError::not_found("企業"))
}

/// Companies by id, for the system (the search index, matching): private fields kept.
pub async fn by_ids(store: &Store, ids: &[i64]) -> Result<Vec<Company>, StoreError> {
    let directory = organisations::directory(store).await?;
    let mut companies = Vec::new();
    for chunk in ids.chunks(500) {
        let rows = company::Entity::find()
            .filter(company::Column::Id.is_in(chunk.iter().copied()))
            .all(&store.db)
            .await?;
        companies.extend(assemble_all(&store.db, &directory, rows).await?);
    }
    Ok(companies)
}

/// Every company in id order, `batch` at a time: what `renkei index rebuild` reads.
pub async fn all_after(
    store: &Store,
    after_id: i64,
    batch: u64,
) -> Result<Vec<Company>, StoreError> {
    let directory = organisations::directory(store).await?;
    let rows = company::Entity::find()
        .filter(company::Column::Id.gt(after_id))
        .order_by_asc(company::Column::Id)
        .limit(batch)
        .all(&store.db)
        .await?;
    assemble_all(&store.db, &directory, rows).await
}

pub async fn count(store: &Store) -> Result<u64, StoreError> {
    Ok(company::Entity::find().count(&store.db).await?)
}

async fn assemble_all(
    db: &impl ConnectionTrait,
    directory: &Directory,
    rows: Vec<company::Model>,
) -> Result<Vec<Company>, StoreError> {
    let system = Actor {
        user_id: 0,
        email: "system".into(),
        role: domain::Role::Secretariat,
        organisation_id: None,
        company_id: None,
    };
    assemble(db, directory, Some(&system), rows).await
}

async fn assemble(
    db: &impl ConnectionTrait,
    directory: &Directory,
    viewer: Option<&Actor>,
    rows: Vec<company::Model>,
) -> Result<Vec<Company>, StoreError> {
    let mut capabilities: HashMap<i64, Vec<String>> = HashMap::new();
    for chunk in rows.chunks(500) {
        for row in company_capability::Entity::find()
            .filter(company_capability::Column::CompanyId.is_in(chunk.iter().map(|r| r.id)))
            .all(db)
            .await?
        {
            capabilities
                .entry(row.company_id)
                .or_default()
                .push(row.code);
        }
    }
    let council = directory
        .organisation_by_key("council")
        .ok_or_else(|| StoreError::Config("協議会の団体データがありません。".into()))?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let owner = directory
                .organisation(row.owner_organisation_id)
                .unwrap_or(council)
                .clone();
            let mut codes = capabilities.remove(&row.id).unwrap_or_default();
            codes.sort_by_key(|code| {
                domain::directory::TAXONOMY
                    .iter()
                    .position(|c| c.code == code)
                    .unwrap_or(usize::MAX)
            });
            let sees_private =
                viewer.is_some_and(|a| a.may_see_private_of_company(row.id, owner.id));
            let employees = row.employees.and_then(|n| u32::try_from(n).ok());
            Company {
                id: row.id,
                key: row.key,
                corporate_number: row.corporate_number,
                name: row.name,
                kana: row.kana,
                city: row
                    .city_id
                    .and_then(|id| directory.cities.iter().find(|c| c.id == id).cloned()),
                owner,
                prefecture: row.prefecture,
                address: row.address,
                industry: row.industry,
                founded_year: row.founded_year,
                url: row.url,
                description: row.description,
                products: row.products,
                capabilities: codes,
                public: row.public,
                size: employees.map(SizeBand::of_employees),
                private: sees_private.then(|| PrivateFields {
                    employees,
                    representative_age: row.representative_age.as_deref().and_then(AgeBand::parse),
                    contact_name: row.contact_name,
                    contact_email: row.contact_email,
                    contact_phone: row.contact_phone,
                    staff_note: row.staff_note,
                }),
                closed_on: row.closed_on,
                close_cause: row.close_cause,
                source: row.source,
                updated_at: row.updated_at,
            }
        })
        .collect())
}

/// The organisation that looks after a company of `city` (its city's office), or the
/// council for companies outside the seven cities.
fn owner_for<'a>(
    directory: &'a Directory,
    city: Option<&str>,
) -> Result<&'a Organisation, StoreError> {
    let key = city.unwrap_or("council");
    directory
        .organisation_by_key(key)
        .or_else(|| directory.organisation_by_key("council"))
        .ok_or_else(|| StoreError::Config(format!("団体「{key}」がありません。")))
}

fn refuse(company_name: &str) -> StoreError {
    StoreError::forbidden(format!(
        "「{company_name}」の情報は編集できません。自社、または所属団体が担当する企業のみ編集できます。"
    ))
}

/// Registers a company. Staff register companies of their own city; the
/// secretariat any; company members cannot create other companies.
pub async fn create(
    store: &Store,
    actor: &Actor,
    draft: &CompanyDraft,
    source: &str,
) -> Result<Company, StoreError> {
    let txn = store.begin().await?;
    let directory = organisations::directory_in(&txn).await?;
    let owner = owner_for(&directory, draft.city.as_deref())?.clone();
    if !actor.may_edit_catalogue_of(owner.id) {
        return Err(StoreError::forbidden(format!(
            "{}の企業は登録できません。所属団体の市区の企業のみ登録できます。",
            owner.name
        )));
    }
    if let Some(number) = &draft.corporate_number {
        ensure_number_free(&txn, number, None).await?;
    }
    let key = new_key(draft);
    let created = insert(&txn, &directory, &owner, &key, draft, source).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "create",
            entity: "company",
            entity_key: key,
            organisation_id: Some(owner.id),
            summary: format!("企業「{}」を登録", created.name),
            before: None,
            after: Some(created.snapshot()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Changes a company's profile. Moving it to another city moves who looks after it;
/// staff may only move it into their own city.
pub async fn update(
    store: &Store,
    actor: &Actor,
    key: &str,
    draft: &CompanyDraft,
) -> Result<Company, StoreError> {
    let txn = store.begin().await?;
    let directory = organisations::directory_in(&txn).await?;
    let row = company::Entity::find()
        .filter(company::Column::Key.eq(key))
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::not_found("企業"))?;
    if !actor.may_edit_company(row.id, row.owner_organisation_id) {
        return Err(refuse(&row.name));
    }
    let before = assemble_all(&txn, &directory, vec![row.clone()])
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found("企業"))?;
    let owner = owner_for(&directory, draft.city.as_deref())?.clone();
    if owner.id != row.owner_organisation_id && !actor.may_edit_catalogue_of(owner.id) {
        return Err(StoreError::forbidden(format!(
            "所在市区を{}に変えることはできません。担当団体の事務局に依頼してください。",
            owner.name
        )));
    }
    if let Some(number) = &draft.corporate_number {
        ensure_number_free(&txn, number, Some(row.id)).await?;
    }
    let after = update_in(&txn, &directory, &row, draft).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "update",
            entity: "company",
            entity_key: key.to_owned(),
            organisation_id: Some(owner.id),
            summary: format!("企業「{}」の情報を更新", after.name),
            before: Some(before.snapshot()),
            after: Some(after.snapshot()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Writes a draft over a stored company (and its capabilities); the owner follows
/// the city. Shared by `update` and list imports.
pub(crate) async fn update_in(
    txn: &impl ConnectionTrait,
    directory: &Directory,
    row: &company::Model,
    draft: &CompanyDraft,
) -> Result<Company, StoreError> {
    let owner = owner_for(directory, draft.city.as_deref())?;
    let mut active: company::ActiveModel = row.clone().into();
    active.owner_organisation_id = Set(owner.id);
    let updated = fill(active, directory, draft, Utc::now())
        .update(txn)
        .await?;
    replace_capabilities(txn, row.id, &draft.capabilities).await?;
    assemble_all(txn, directory, vec![updated])
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found("企業"))
}

/// The capability codes stored for a company.
pub(crate) async fn capabilities_of(
    db: &impl ConnectionTrait,
    company_id: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(company_capability::Entity::find()
        .filter(company_capability::Column::CompanyId.eq(company_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.code)
        .collect())
}

/// A company's key: `c` + its 法人番号, or a random one for companies without.
pub(crate) fn new_key(draft: &CompanyDraft) -> String {
    match &draft.corporate_number {
        Some(number) => format!("c{}", number.as_str()),
        None => format!("x{:08x}", rand::random::<u32>()),
    }
}

/// Inserts a company row with its capabilities; shared by `create`, imports and the seed.
pub(crate) async fn insert(
    txn: &impl ConnectionTrait,
    directory: &Directory,
    owner: &Organisation,
    key: &str,
    draft: &CompanyDraft,
    source: &str,
) -> Result<Company, StoreError> {
    let now = Utc::now();
    let row = company::ActiveModel {
        key: Set(key.to_owned()),
        owner_organisation_id: Set(owner.id),
        source: Set(source.to_owned()),
        created_at: Set(now),
        ..Default::default()
    };
    let row = fill(row, directory, draft, now).insert(txn).await?;
    replace_capabilities(txn, row.id, &draft.capabilities).await?;
    assemble_all(txn, directory, vec![row])
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found("企業"))
}

/// The organisation that looks after companies of `city`.
pub(crate) fn owner_of<'a>(
    directory: &'a Directory,
    city: Option<&str>,
) -> Result<&'a Organisation, StoreError> {
    owner_for(directory, city)
}

async fn ensure_number_free(
    db: &impl ConnectionTrait,
    number: &CorporateNumber,
    except: Option<i64>,
) -> Result<(), StoreError> {
    let existing = company::Entity::find()
        .filter(company::Column::CorporateNumber.eq(number.as_str()))
        .one(db)
        .await?;
    match existing {
        Some(other) if Some(other.id) != except => Err(Invalid::new(
            "corporate_number",
            format!(
                "法人番号 {} は「{}」として登録済みです。",
                number.as_str(),
                other.name
            ),
        )
        .into()),
        _ => Ok(()),
    }
}

fn fill(
    mut row: company::ActiveModel,
    directory: &Directory,
    draft: &CompanyDraft,
    now: DateTime<Utc>,
) -> company::ActiveModel {
    let city = draft.city.as_deref().and_then(|k| directory.city_by_key(k));
    row.corporate_number = Set(draft
        .corporate_number
        .as_ref()
        .map(|n| n.as_str().to_owned()));
    row.name = Set(draft.name.clone());
    row.kana = Set(draft.kana.clone());
    row.city_id = Set(city.map(|c| c.id));
    row.prefecture = Set(city.map(|c| c.prefecture.clone()).unwrap_or_default());
    row.address = Set(draft.address.clone());
    row.industry = Set(draft.industry.clone());
    row.employees = Set(draft.employees.and_then(|n| i32::try_from(n).ok()));
    row.founded_year = Set(draft.founded_year);
    row.representative_age = Set(draft.representative_age.map(|a| a.code().to_owned()));
    row.url = Set(draft.url.clone());
    row.description = Set(draft.description.clone());
    row.products = Set(draft.products.clone());
    row.public = Set(draft.public);
    row.contact_name = Set(draft.contact_name.clone());
    row.contact_email = Set(draft.contact_email.clone());
    row.contact_phone = Set(draft.contact_phone.clone());
    row.staff_note = Set(draft.staff_note.clone());
    row.updated_at = Set(now);
    row
}

async fn replace_capabilities(
    db: &impl ConnectionTrait,
    company_id: i64,
    codes: &[String],
) -> Result<(), StoreError> {
    company_capability::Entity::delete_many()
        .filter(company_capability::Column::CompanyId.eq(company_id))
        .exec(db)
        .await?;
    if !codes.is_empty() {
        company_capability::Entity::insert_many(codes.iter().map(|code| {
            company_capability::ActiveModel {
                company_id: Set(company_id),
                code: Set(code.clone()),
            }
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

/// How many companies per city have each capability: the directory's overview.
pub async fn capability_counts(
    store: &Store,
    viewer: Option<&Actor>,
) -> Result<HashMap<String, u64>, StoreError> {
    let visible: Vec<i64> = company::Entity::find()
        .select_only()
        .column(company::Column::Id)
        .filter(visible_condition(viewer))
        .filter(company::Column::ClosedOn.is_null())
        .into_tuple()
        .all(&store.db)
        .await?;
    let mut counts = HashMap::new();
    for chunk in visible.chunks(500) {
        for row in company_capability::Entity::find()
            .filter(company_capability::Column::CompanyId.is_in(chunk.iter().copied()))
            .all(&store.db)
            .await?
        {
            *counts.entry(row.code).or_insert(0) += 1;
        }
    }
    Ok(counts)
}
