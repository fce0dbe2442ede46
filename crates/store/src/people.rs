//! People the engine matches (designers, university and hospital researchers,
//! successor candidates, students, experts) and facilities (拠点, share offices).
//!
//! People are personal data: the staff of the organisation that registered them and
//! the secretariat see them in full; others see only people who agreed to a public
//! profile (designers, researchers), and never their contact details.

use std::collections::HashMap;

use chrono::Utc;
use domain::directory::{PersonKind, parse_email, parse_kana};
use domain::text::{optional_text, required_line};
use domain::{Actor, Invalid};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::audit::{self, Change};
use crate::entity::{facility, person, person_capability};
use crate::organisations::{self, City, Organisation};
use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: i64,
    pub key: String,
    pub kind: PersonKind,
    pub name: String,
    pub kana: String,
    pub affiliation: String,
    pub city: Option<City>,
    pub owner: Organisation,
    pub profile: String,
    pub capabilities: Vec<String>,
    pub public: bool,
    /// (e-mail, phone) — `None` unless the viewer keeps this person's record.
    pub contact: Option<(String, String)>,
}

/// What staff type for a person.
#[derive(Debug, Clone, Default)]
pub struct PersonInput {
    pub kind: String,
    pub name: String,
    pub kana: String,
    pub affiliation: String,
    pub city: String,
    pub profile: String,
    pub capabilities: Vec<String>,
    pub email: String,
    pub phone: String,
    pub public: bool,
}

fn visible(viewer: Option<&Actor>) -> Condition {
    match viewer {
        Some(actor) if actor.is_secretariat() => Condition::all(),
        Some(actor) if actor.role == domain::Role::Staff => Condition::any()
            .add(person::Column::Public.eq(true))
            .add(person::Column::OwnerOrganisationId.eq(actor.organisation_id.unwrap_or(-1))),
        _ => Condition::all().add(person::Column::Public.eq(true)),
    }
}

/// People the viewer may see, optionally of some kinds.
pub async fn list(
    store: &Store,
    viewer: Option<&Actor>,
    kinds: &[PersonKind],
) -> Result<Vec<Person>, StoreError> {
    let directory = organisations::directory(store).await?;
    let mut query = person::Entity::find().filter(visible(viewer));
    if !kinds.is_empty() {
        query = query.filter(person::Column::Kind.is_in(kinds.iter().map(|k| k.code())));
    }
    let rows = query
        .order_by_asc(person::Column::Kana)
        .all(&store.db)
        .await?;
    let mut capabilities: HashMap<i64, Vec<String>> = HashMap::new();
    for row in person_capability::Entity::find()
        .filter(person_capability::Column::PersonId.is_in(rows.iter().map(|r| r.id)))
        .all(&store.db)
        .await?
    {
        capabilities
            .entry(row.person_id)
            .or_default()
            .push(row.code);
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
            let keeps = viewer.is_some_and(|a| a.may_see_person_of(owner.id));
            Person {
                id: row.id,
                key: row.key,
                kind: PersonKind::parse(&row.kind).unwrap_or(PersonKind::Expert),
                name: row.name,
                kana: row.kana,
                affiliation: row.affiliation,
                city: row
                    .city_id
                    .and_then(|id| directory.cities.iter().find(|c| c.id == id).cloned()),
                owner,
                profile: row.profile,
                capabilities: capabilities.remove(&row.id).unwrap_or_default(),
                public: row.public,
                contact: keeps.then_some((row.email, row.phone)),
            }
        })
        .collect())
}

/// Registers a person in the actor's organisation.
pub async fn create(
    store: &Store,
    actor: &Actor,
    input: &PersonInput,
) -> Result<Person, StoreError> {
    let directory = organisations::directory(store).await?;
    let owner = actor
        .organisation_id
        .and_then(|id| directory.organisation(id))
        .filter(|o| actor.may_edit_catalogue_of(o.id))
        .ok_or_else(|| StoreError::forbidden("人材の登録は団体の職員のみができます。"))?
        .clone();
    let mut errors = Vec::new();
    let mut keep = |r: Result<String, Invalid>| {
        r.unwrap_or_else(|e| {
            errors.push(e);
            String::new()
        })
    };
    let name = keep(required_line("name", &input.name, 100));
    let kana = keep(parse_kana("kana", &input.kana));
    let affiliation = keep(optional_text("affiliation", &input.affiliation, 200));
    let profile = keep(optional_text("profile", &input.profile, 4000));
    let email = keep(parse_email("email", &input.email));
    let phone = keep(optional_text("phone", &input.phone, 30));
    let kind = PersonKind::parse(&input.kind);
    if kind.is_none() {
        errors.push(Invalid::new("kind", "種類を一覧から選んでください。"));
    }
    let city = match input.city.trim() {
        "" => None,
        key => {
            let city = directory.city_by_key(key);
            if city.is_none() {
                errors.push(Invalid::new("city", "市区を一覧から選んでください。"));
            }
            city
        }
    };
    let (codes, unknown) = domain::directory::parse_capabilities(&input.capabilities.join("、"));
    if let Some(item) = unknown.first() {
        errors.push(Invalid::new(
            "capabilities",
            format!("「{item}」は分類にありません。"),
        ));
    }
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        return Err(StoreError::Invalid(errors));
    };
    let key = format!("p{:08x}", rand::random::<u32>());
    let now = Utc::now();
    let txn = store.begin().await?;
    let row = person::ActiveModel {
        key: Set(key.clone()),
        kind: Set(kind.code().to_owned()),
        name: Set(name.clone()),
        kana: Set(kana),
        affiliation: Set(affiliation),
        city_id: Set(city.map(|c| c.id)),
        owner_organisation_id: Set(owner.id),
        profile: Set(profile),
        email: Set(email),
        phone: Set(phone),
        public: Set(input.public),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if !codes.is_empty() {
        person_capability::Entity::insert_many(codes.iter().map(|code| {
            person_capability::ActiveModel {
                person_id: Set(row.id),
                code: Set((*code).to_owned()),
            }
        }))
        .exec(&txn)
        .await?;
    }
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "create",
            entity: "person",
            entity_key: key.clone(),
            organisation_id: Some(owner.id),
            summary: format!("{}「{}」を登録", kind.label(), name),
            before: None,
            // Personal data stays out of the log: the key and kind say what happened.
            after: Some(json!({"key": key, "kind": kind.code(), "public": input.public})),
        },
    )
    .await?;
    txn.commit().await?;
    list(store, Some(actor), &[kind])
        .await?
        .into_iter()
        .find(|p| p.id == row.id)
        .ok_or_else(|| StoreError::not_found("人材"))
}

/// A facility: a 拠点, a share office, a shared lab.
#[derive(Debug, Clone, PartialEq)]
pub struct Facility {
    pub key: String,
    pub kind: String,
    pub name: String,
    pub city: City,
    pub owner: Organisation,
    pub address: String,
    pub description: String,
    pub capacity: Option<i32>,
}

impl Facility {
    pub fn kind_label(&self) -> &'static str {
        facility_kind_label(&self.kind)
    }
}

pub fn facility_kind_label(kind: &str) -> &'static str {
    match kind {
        "share_office" => "シェアオフィス",
        "lab" => "試作・開発拠点",
        "incubator" => "創業支援施設",
        _ => "拠点",
    }
}

/// Public facilities of every city (or one), by city.
pub async fn facilities(store: &Store, city: Option<&str>) -> Result<Vec<Facility>, StoreError> {
    let directory = organisations::directory(store).await?;
    let mut query = facility::Entity::find().filter(facility::Column::Public.eq(true));
    if let Some(key) = city {
        let city = directory
            .city_by_key(key)
            .ok_or_else(|| Invalid::new("city", "市区を一覧から選んでください。"))?;
        query = query.filter(facility::Column::CityId.eq(city.id));
    }
    let rows = query
        .order_by_asc(facility::Column::CityId)
        .order_by_asc(facility::Column::Id)
        .all(&store.db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(Facility {
                city: directory
                    .cities
                    .iter()
                    .find(|c| c.id == row.city_id)?
                    .clone(),
                owner: directory.organisation(row.owner_organisation_id)?.clone(),
                key: row.key,
                kind: row.kind,
                name: row.name,
                address: row.address,
                description: row.description,
                capacity: row.capacity,
            })
        })
        .collect())
}
