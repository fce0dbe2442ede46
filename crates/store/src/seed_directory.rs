//! Loads the directory's demonstration data (`data/council/directory.toml`): fictional
//! companies of the seven cities, people, facilities, needs and offers, and the
//! negotiations that sum to the figures the document reports.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use domain::directory::{CompanyDraft, CompanyInput, PostingDraft, PostingInput, Stage};
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
use serde::Deserialize;

use crate::entity::{
    company, facility, negotiation, negotiation_step, person, person_capability, posting,
    posting_capability,
};
use crate::organisations::{self, Directory};
use crate::{Store, StoreError};

const DIRECTORY_TOML: &str = include_str!("../../../data/council/directory.toml");

#[derive(Deserialize)]
struct File {
    company: Vec<SeedCompany>,
    person: Vec<SeedPerson>,
    facility: Vec<SeedFacility>,
    posting: Vec<SeedPosting>,
    negotiation: Vec<SeedNegotiation>,
}

#[derive(Deserialize)]
struct SeedCompany {
    key: String,
    corporate_number: String,
    name: String,
    kana: String,
    city: String,
    address: String,
    industry: String,
    employees: u32,
    founded_year: i32,
    representative_age: String,
    url: String,
    description: String,
    products: String,
    capabilities: Vec<String>,
    public: bool,
}

#[derive(Deserialize)]
struct SeedPerson {
    key: String,
    kind: String,
    city: String,
    name: String,
    kana: String,
    affiliation: String,
    profile: String,
    capabilities: Vec<String>,
    public: bool,
}

#[derive(Deserialize)]
struct SeedFacility {
    key: String,
    city: String,
    kind: String,
    name: String,
    address: String,
    description: String,
    capacity: Option<i32>,
}

#[derive(Deserialize)]
struct SeedPosting {
    key: String,
    side: String,
    kind: String,
    /// `company:KEY` or `organisation:KEY`.
    poster: String,
    poster_name: String,
    city: String,
    title: String,
    body: String,
    capabilities: Vec<String>,
    size_preference: String,
    public: bool,
}

#[derive(Deserialize)]
struct SeedNegotiation {
    key: String,
    owner: String,
    title: String,
    /// A company key.
    buyer: String,
    /// A company key or a person key.
    supplier: String,
    /// (stage, date) pairs in order.
    steps: Vec<(String, String)>,
}

fn broken(what: String) -> StoreError {
    StoreError::Config(format!("data/council/directory.toml: {what}"))
}

/// The seed companies, validated by the domain like typed ones.
pub fn companies(city_keys: &[&str]) -> Result<Vec<(String, CompanyDraft)>, StoreError> {
    let file: File = toml::from_str(DIRECTORY_TOML).map_err(|e| broken(e.to_string()))?;
    file.company
        .into_iter()
        .map(|c| {
            let input = CompanyInput {
                corporate_number: c.corporate_number,
                name: c.name,
                kana: c.kana,
                city: c.city,
                address: c.address,
                industry: c.industry,
                employees: c.employees.to_string(),
                founded_year: c.founded_year.to_string(),
                representative_age: c.representative_age,
                url: c.url,
                description: c.description,
                products: c.products,
                capabilities: c.capabilities,
                public: c.public,
                ..CompanyInput::default()
            };
            CompanyDraft::parse(&input, city_keys, 2026)
                .map(|draft| (c.key.clone(), draft))
                .map_err(|errors| broken(format!("company {}: {errors:?}", c.key)))
        })
        .collect()
}

/// Loads the directory when it has no company yet. Returns how many companies were loaded.
pub async fn load_if_empty(store: &Store) -> Result<usize, StoreError> {
    if company::Entity::find().count(&store.db).await? > 0 {
        return Ok(0);
    }
    let file: File = toml::from_str(DIRECTORY_TOML).map_err(|e| broken(e.to_string()))?;
    let directory = organisations::directory(store).await?;
    let city_keys: Vec<&str> = directory.cities.iter().map(|c| c.key.as_str()).collect();
    let drafts = companies(&city_keys)?;
    let txn = store.begin().await?;
    let mut company_ids: HashMap<String, (i64, i64, Option<i64>)> = HashMap::new();
    for (key, draft) in &drafts {
        let owner = crate::companies::owner_of(&directory, draft.city.as_deref())?;
        let created = crate::companies::insert(&txn, &directory, owner, key, draft, "seed").await?;
        company_ids.insert(
            key.clone(),
            (created.id, owner.id, created.city.as_ref().map(|c| c.id)),
        );
    }
    let now = Utc::now();
    let city_id = |key: &str| directory.city_by_key(key).map(|c| c.id);
    let mut person_ids: HashMap<String, (i64, String)> = HashMap::new();
    for p in &file.person {
        let owner = org(&directory, &p.city)?;
        let row = person::ActiveModel {
            key: Set(p.key.clone()),
            kind: Set(p.kind.clone()),
            name: Set(p.name.clone()),
            kana: Set(p.kana.clone()),
            affiliation: Set(p.affiliation.clone()),
            city_id: Set(city_id(&p.city)),
            owner_organisation_id: Set(owner),
            profile: Set(p.profile.clone()),
            public: Set(p.public),
            source: Set(crate::demo::PERSON_SOURCE.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for code in &p.capabilities {
            person_capability::ActiveModel {
                person_id: Set(row.id),
                code: Set(code.clone()),
            }
            .insert(&txn)
            .await?;
        }
        person_ids.insert(p.key.clone(), (row.id, p.name.clone()));
    }
    for f in &file.facility {
        facility::ActiveModel {
            key: Set(f.key.clone()),
            kind: Set(f.kind.clone()),
            name: Set(f.name.clone()),
            city_id: Set(city_id(&f.city).ok_or_else(|| broken(format!("facility {}", f.key)))?),
            owner_organisation_id: Set(org(&directory, &f.city)?),
            address: Set(f.address.clone()),
            description: Set(f.description.clone()),
            capacity: Set(f.capacity),
            public: Set(true),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    for p in &file.posting {
        let draft = PostingDraft::parse(
            &PostingInput {
                side: p.side.clone(),
                kind: p.kind.clone(),
                title: p.title.clone(),
                body: p.body.clone(),
                poster_name: p.poster_name.clone(),
                city: p.city.clone(),
                capabilities: p.capabilities.clone(),
                size_preference: p.size_preference.clone(),
                prefer_other_cities: true,
                deadline: String::new(),
                public: p.public,
            },
            &city_keys,
        )
        .map_err(|errors| broken(format!("posting {}: {errors:?}", p.key)))?;
        let (company_id, owner, poster_city) = match p.poster.split_once(':') {
            Some(("company", key)) => {
                let (id, owner, city) = company_ids
                    .get(key)
                    .ok_or_else(|| broken(format!("posting {}: company {key}", p.key)))?;
                (Some(*id), *owner, *city)
            }
            Some(("organisation", key)) => {
                let o = directory
                    .organisation_by_key(key)
                    .ok_or_else(|| broken(format!("posting {}: organisation {key}", p.key)))?;
                (None, o.id, o.city.as_ref().map(|c| c.id))
            }
            _ => return Err(broken(format!("posting {}: poster", p.key))),
        };
        let row = posting::ActiveModel {
            key: Set(p.key.clone()),
            side: Set(draft.side.code().into()),
            kind: Set(draft.kind.code().into()),
            title: Set(draft.title),
            body: Set(draft.body),
            poster_name: Set(draft.poster_name),
            company_id: Set(company_id),
            person_id: Set(None),
            owner_organisation_id: Set(owner),
            city_id: Set(draft.city.as_deref().and_then(city_id).or(poster_city)),
            size_preference: Set(draft.size_preference.map(|s| s.code().to_owned())),
            prefer_other_cities: Set(true),
            deadline: Set(None),
            status: Set("open".into()),
            public: Set(draft.public),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for code in &draft.capabilities {
            posting_capability::ActiveModel {
                posting_id: Set(row.id),
                code: Set(code.clone()),
            }
            .insert(&txn)
            .await?;
        }
    }
    for n in &file.negotiation {
        let owner = directory
            .organisation_by_key(&n.owner)
            .ok_or_else(|| broken(format!("negotiation {}: owner", n.key)))?;
        let buyer = company_ids
            .get(&n.buyer)
            .ok_or_else(|| broken(format!("negotiation {}: buyer", n.key)))?;
        let buyer_name = drafts
            .iter()
            .find(|(k, _)| *k == n.buyer)
            .map(|(_, d)| d.name.clone())
            .unwrap_or_default();
        let (supplier_company, supplier_person, supplier_name) =
            if let Some((id, _, _)) = company_ids.get(&n.supplier) {
                let name = drafts
                    .iter()
                    .find(|(k, _)| *k == n.supplier)
                    .map(|(_, d)| d.name.clone())
                    .unwrap_or_default();
                (Some(*id), None, name)
            } else if let Some((id, name)) = person_ids.get(&n.supplier) {
                (None, Some(*id), name.clone())
            } else {
                return Err(broken(format!("negotiation {}: supplier", n.key)));
            };
        let mut steps = Vec::new();
        for (stage, date) in &n.steps {
            let stage = Stage::parse(stage)
                .ok_or_else(|| broken(format!("negotiation {}: stage {stage}", n.key)))?;
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|_| broken(format!("negotiation {}: date {date}", n.key)))?;
            steps.push((stage, date));
        }
        let (Some(first), Some(last)) = (steps.first(), steps.last()) else {
            return Err(broken(format!("negotiation {}: no steps", n.key)));
        };
        let row = negotiation::ActiveModel {
            key: Set(n.key.clone()),
            posting_id: Set(None),
            buyer_company_id: Set(Some(buyer.0)),
            buyer_name: Set(buyer_name),
            supplier_company_id: Set(supplier_company),
            supplier_person_id: Set(supplier_person),
            supplier_name: Set(supplier_name),
            owner_organisation_id: Set(owner.id),
            title: Set(n.title.clone()),
            stage: Set(last.0.code().into()),
            amount: Set(None),
            started_on: Set(first.1.to_string()),
            updated_on: Set(last.1.to_string()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for (stage, date) in steps {
            negotiation_step::ActiveModel {
                negotiation_id: Set(row.id),
                stage: Set(stage.code().into()),
                on_date: Set(date.to_string()),
                note: Set(String::new()),
                user_email: Set("seed".into()),
                at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(drafts.len())
}

fn org(directory: &Directory, city: &str) -> Result<i64, StoreError> {
    directory
        .organisation_by_key(city)
        .or_else(|| directory.organisation_by_key("council"))
        .map(|o| o.id)
        .ok_or_else(|| broken(format!("organisation {city}")))
}
