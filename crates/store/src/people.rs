//! People the engine matches (designers, university and hospital researchers,
//! successor candidates, students, experts) and facilities (拠点, share offices).
//!
//! People are personal data: the staff of the organisation that registered them and
//! the secretariat see them in full; others see only people who agreed to a public
//! profile (designers, researchers), and never their contact details.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::directory::{PersonKind, parse_email, parse_kana};
use domain::text::{optional_text, required_line};
use domain::{Actor, Invalid};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::entity::{facility, negotiation, person, person_capability, posting};
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
    /// Invented demonstration data (marked 「デモ」, [`crate::demo::is_demo_person`]).
    pub demo: bool,
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

pub(crate) fn visible(viewer: Option<&Actor>) -> Condition {
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
    let mut query = person::Entity::find().filter(visible(viewer));
    if !kinds.is_empty() {
        query = query.filter(person::Column::Kind.is_in(kinds.iter().map(|k| k.code())));
    }
    let rows = query
        .order_by_asc(person::Column::Kana)
        .all(&store.db)
        .await?;
    people_of(store, viewer, rows).await
}

/// One person the viewer may see (not found for everyone else).
pub async fn get(store: &Store, viewer: Option<&Actor>, key: &str) -> Result<Person, StoreError> {
    let row = person::Entity::find()
        .filter(visible(viewer))
        .filter(person::Column::Key.eq(key))
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("人材"))?;
    people_of(store, viewer, vec![row])
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found("人材"))
}

/// Rows as the viewer sees them: capabilities, city and owner resolved, contact
/// details only for those who keep the record.
async fn people_of(
    store: &Store,
    viewer: Option<&Actor>,
    rows: Vec<person::Model>,
) -> Result<Vec<Person>, StoreError> {
    let directory = organisations::directory(store).await?;
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
                demo: crate::demo::is_demo_person(&row.source),
            }
        })
        .collect())
}

/// A person's fields as typed, checked: every error at once, in Japanese.
pub(crate) struct CheckedPerson {
    pub(crate) kind: PersonKind,
    pub(crate) name: String,
    pub(crate) kana: String,
    pub(crate) affiliation: String,
    pub(crate) city_id: Option<i64>,
    pub(crate) profile: String,
    pub(crate) email: String,
    pub(crate) phone: String,
    pub(crate) capabilities: Vec<&'static str>,
}

pub(crate) fn check(
    directory: &organisations::Directory,
    input: &PersonInput,
) -> Result<CheckedPerson, StoreError> {
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
    let (capabilities, unknown) =
        domain::directory::parse_capabilities(&input.capabilities.join("、"));
    if let Some(item) = unknown.first() {
        errors.push(Invalid::new(
            "capabilities",
            format!("「{item}」は分類にありません。"),
        ));
    }
    match kind.filter(|_| errors.is_empty()) {
        Some(kind) => Ok(CheckedPerson {
            kind,
            name,
            kana,
            affiliation,
            city_id: city.map(|c| c.id),
            profile,
            email,
            phone,
            capabilities,
        }),
        None => Err(StoreError::Invalid(errors)),
    }
}

pub(crate) async fn replace_capabilities(
    txn: &impl ConnectionTrait,
    person_id: i64,
    codes: &[&str],
) -> Result<(), StoreError> {
    person_capability::Entity::delete_many()
        .filter(person_capability::Column::PersonId.eq(person_id))
        .exec(txn)
        .await?;
    if !codes.is_empty() {
        person_capability::Entity::insert_many(codes.iter().map(|code| {
            person_capability::ActiveModel {
                person_id: Set(person_id),
                code: Set((*code).to_owned()),
            }
        }))
        .exec(txn)
        .await?;
    }
    Ok(())
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
    let checked = check(&directory, input)?;
    let key = format!("p{:08x}", rand::random::<u32>());
    let now = Utc::now();
    let txn = store.begin().await?;
    let row = person::ActiveModel {
        key: Set(key.clone()),
        kind: Set(checked.kind.code().to_owned()),
        name: Set(checked.name),
        kana: Set(checked.kana),
        affiliation: Set(checked.affiliation),
        city_id: Set(checked.city_id),
        owner_organisation_id: Set(owner.id),
        profile: Set(checked.profile),
        email: Set(checked.email),
        phone: Set(checked.phone),
        public: Set(input.public),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    replace_capabilities(&txn, row.id, &checked.capabilities).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "create",
            entity: "person",
            entity_key: key.clone(),
            organisation_id: Some(owner.id),
            // Personal data stays out of the log, which outlives a deletion on
            // request: the key and kind say what happened.
            summary: format!("{}（{key}）を登録", checked.kind.label()),
            before: None,
            after: Some(json!({"key": key, "kind": checked.kind.code(), "public": input.public})),
        },
    )
    .await?;
    txn.commit().await?;
    get(store, Some(actor), &key).await
}

/// The row of a person the actor keeps (its organisation's staff, the secretariat);
/// not found for everyone else, as the record's existence is itself personal.
async fn kept(
    db: &impl ConnectionTrait,
    actor: &Actor,
    key: &str,
) -> Result<person::Model, StoreError> {
    person::Entity::find()
        .filter(person::Column::Key.eq(key))
        .one(db)
        .await?
        .filter(|row| actor.may_see_person_of(row.owner_organisation_id))
        .ok_or_else(|| StoreError::not_found("人材"))
}

/// Corrects a person's record (its organisation's staff, the secretariat). The
/// audit entry names the fields that changed, not their values.
pub async fn update(
    store: &Store,
    actor: &Actor,
    key: &str,
    input: &PersonInput,
) -> Result<Person, StoreError> {
    let directory = organisations::directory(store).await?;
    let txn = store.begin().await?;
    // Who may correct is decided before what was typed is checked.
    let row = kept(&txn, actor, key).await?;
    let checked = check(&directory, input)?;
    let old_capabilities: Vec<String> = person_capability::Entity::find()
        .filter(person_capability::Column::PersonId.eq(row.id))
        .order_by_asc(person_capability::Column::Code)
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| c.code)
        .collect();
    let mut new_capabilities: Vec<String> = checked
        .capabilities
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
    new_capabilities.sort();
    let changed: Vec<&str> = [
        ("kind", row.kind != checked.kind.code()),
        ("name", row.name != checked.name),
        ("kana", row.kana != checked.kana),
        ("affiliation", row.affiliation != checked.affiliation),
        ("city", row.city_id != checked.city_id),
        ("profile", row.profile != checked.profile),
        ("email", row.email != checked.email),
        ("phone", row.phone != checked.phone),
        ("public", row.public != input.public),
        ("capabilities", old_capabilities != new_capabilities),
    ]
    .into_iter()
    .filter_map(|(field, differs)| differs.then_some(field))
    .collect();
    let mut active: person::ActiveModel = row.clone().into();
    active.kind = Set(checked.kind.code().to_owned());
    active.name = Set(checked.name);
    active.kana = Set(checked.kana);
    active.affiliation = Set(checked.affiliation);
    active.city_id = Set(checked.city_id);
    active.profile = Set(checked.profile);
    active.email = Set(checked.email);
    active.phone = Set(checked.phone);
    active.public = Set(input.public);
    active.updated_at = Set(Utc::now());
    active.update(&txn).await?;
    replace_capabilities(&txn, row.id, &checked.capabilities).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "update",
            entity: "person",
            entity_key: row.key.clone(),
            organisation_id: Some(row.owner_organisation_id),
            summary: format!("{}（{}）の登録内容を訂正", checked.kind.label(), row.key),
            before: Some(json!({"public": row.public})),
            after: Some(json!({"public": input.public, "changed": changed})),
        },
    )
    .await?;
    txn.commit().await?;
    get(store, Some(actor), key).await
}

/// A need or offer posted for a person, in their export.
#[derive(Debug, Clone, Serialize)]
pub struct PersonPosting {
    pub key: String,
    pub side: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// A negotiation in which a person is the offering side, in their export.
#[derive(Debug, Clone, Serialize)]
pub struct PersonNegotiation {
    pub key: String,
    pub title: String,
    pub buyer: String,
    pub stage: String,
    pub started_on: String,
    pub updated_on: String,
}

/// A person's record with their own postings and the negotiations that name them,
/// for the person on request. (Event registrations are the registrant's own, kept
/// under their registration page, not tied to this record.)
#[derive(Debug, Clone, Serialize)]
pub struct PersonExport {
    pub key: String,
    pub kind: String,
    pub name: String,
    pub kana: String,
    pub affiliation: String,
    pub city: Option<String>,
    pub registered_by: String,
    pub profile: String,
    pub capabilities: Vec<String>,
    pub email: String,
    pub phone: String,
    pub public: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub postings: Vec<PersonPosting>,
    pub negotiations: Vec<PersonNegotiation>,
    pub exported_at: DateTime<Utc>,
    pub exported_by: String,
}

/// A person's postings and the negotiations they are the offering side of.
async fn linked(
    db: &impl ConnectionTrait,
    person_id: i64,
) -> Result<(Vec<posting::Model>, Vec<negotiation::Model>), StoreError> {
    let postings = posting::Entity::find()
        .filter(posting::Column::PersonId.eq(person_id))
        .order_by_asc(posting::Column::Id)
        .all(db)
        .await?;
    let negotiations = negotiation::Entity::find()
        .filter(negotiation::Column::SupplierPersonId.eq(person_id))
        .order_by_asc(negotiation::Column::Id)
        .all(db)
        .await?;
    Ok((postings, negotiations))
}

/// How many of a kept person's own postings and of others' negotiations a deletion
/// would touch: (postings, negotiations).
pub async fn links(store: &Store, actor: &Actor, key: &str) -> Result<(usize, usize), StoreError> {
    let row = kept(&store.db, actor, key).await?;
    let (postings, negotiations) = linked(&store.db, row.id).await?;
    Ok((postings.len(), negotiations.len()))
}

/// A person's whole record for the person, on request: for the staff who keep it.
/// The export is logged as a read (without the data).
pub async fn export(store: &Store, actor: &Actor, key: &str) -> Result<PersonExport, StoreError> {
    let row = kept(&store.db, actor, key).await?;
    // The row as the keeper sees it (city, owner, capabilities), without reading it again.
    let person = people_of(store, Some(actor), vec![row.clone()])
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found("人材"))?;
    let (postings, negotiations) = linked(&store.db, row.id).await?;
    audit::record_read(
        &store.db,
        actor,
        "person",
        row.key.clone(),
        Some(row.owner_organisation_id),
        format!(
            "{}（{}）の登録データを書き出し",
            person.kind.label(),
            row.key
        ),
    )
    .await?;
    Ok(PersonExport {
        key: row.key,
        kind: person.kind.label().to_owned(),
        name: row.name,
        kana: row.kana,
        affiliation: row.affiliation,
        city: person.city.map(|c| c.name),
        registered_by: person.owner.name,
        profile: row.profile,
        capabilities: person
            .capabilities
            .iter()
            .map(|c| domain::directory::Capability::label_of(c))
            .collect(),
        email: row.email,
        phone: row.phone,
        public: row.public,
        created_at: row.created_at,
        updated_at: row.updated_at,
        postings: postings
            .into_iter()
            .map(|p| PersonPosting {
                key: p.key,
                side: p.side,
                kind: p.kind,
                title: p.title,
                body: p.body,
                status: p.status,
                created_at: p.created_at,
            })
            .collect(),
        negotiations: negotiations
            .into_iter()
            .map(|n| PersonNegotiation {
                key: n.key,
                title: n.title,
                buyer: n.buyer_name,
                stage: n.stage,
                started_on: n.started_on,
                updated_on: n.updated_on,
            })
            .collect(),
        exported_at: Utc::now(),
        exported_by: actor.email.clone(),
    })
}

/// What stands in for a deleted person where a record of others keeps its place.
pub const DELETED_PERSON: &str = "（本人の依頼により削除された人材）";

/// What a deletion on request took with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub kind: PersonKind,
    /// The person's own needs and offers, closed and emptied.
    pub postings: u64,
    /// Negotiations of others that named the person, kept without the name.
    pub negotiations: u64,
}

/// Deletes a person's record on their request (its organisation's staff, the
/// secretariat), with the reason. Their capabilities go with it; their own needs and
/// offers are closed and emptied of what they said; negotiations of companies that
/// named them keep their place in the figures with the name replaced. The audit log
/// keeps the deletion and its reason, never the person's data.
pub async fn delete(
    store: &Store,
    actor: &Actor,
    key: &str,
    reason: &str,
) -> Result<Deleted, StoreError> {
    let txn = store.begin().await?;
    // Who may delete is decided before what was typed is checked.
    let row = kept(&txn, actor, key).await?;
    if reason.trim().is_empty() {
        return Err(StoreError::Invalid(vec![Invalid::new(
            "reason",
            "削除の理由（依頼の日付・依頼者など）を入力してください。",
        )]));
    }
    let reason = optional_text("reason", reason, 500)?;
    let kind = PersonKind::parse(&row.kind).unwrap_or(PersonKind::Expert);
    let (postings, negotiations) = linked(&txn, row.id).await?;
    let now = Utc::now();
    for posting in &postings {
        let mut active: posting::ActiveModel = posting.clone().into();
        active.person_id = Set(None);
        active.poster_name = Set(DELETED_PERSON.to_owned());
        active.body = Set(String::new());
        active.status = Set("closed".to_owned());
        active.public = Set(false);
        active.updated_at = Set(now);
        active.update(&txn).await?;
        // The index follows `changes`: the posting leaves every search.
        audit::record(
            &txn,
            Some(actor),
            Change {
                action: "update",
                entity: "posting",
                entity_key: posting.key.clone(),
                organisation_id: Some(posting.owner_organisation_id),
                summary: format!(
                    "「{}」を締め切り、掲載者の情報を削除（人材の削除に伴う）",
                    posting.title
                ),
                before: Some(json!({"status": posting.status, "public": posting.public})),
                after: Some(json!({"status": "closed", "public": false})),
            },
        )
        .await?;
    }
    for negotiation in &negotiations {
        let mut active: negotiation::ActiveModel = negotiation.clone().into();
        active.supplier_person_id = Set(None);
        active.supplier_name = Set(DELETED_PERSON.to_owned());
        active.updated_at = Set(now);
        active.update(&txn).await?;
    }
    person::Entity::delete_by_id(row.id).exec(&txn).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "delete",
            entity: "person",
            entity_key: row.key.clone(),
            organisation_id: Some(row.owner_organisation_id),
            summary: format!(
                "依頼により{}（{}）の登録を削除（理由：{reason}）",
                kind.label(),
                row.key
            ),
            before: Some(json!({"kind": kind.code(), "postings": postings.len(),
                "negotiations": negotiations.len()})),
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Deleted {
        kind,
        postings: postings.len() as u64,
        negotiations: negotiations.len() as u64,
    })
}

/// A facility: a 拠点, a share office, a shared lab. Kept by its organisation's
/// staff (and the secretariat), who edit its details; audited.
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
    /// Listed on the public register (`/facilities`).
    pub public: bool,
}

impl Facility {
    pub fn kind_label(&self) -> &'static str {
        facility_kind_label(&self.kind)
    }

    fn snapshot(&self) -> serde_json::Value {
        json!({
            "key": self.key, "kind": self.kind, "name": self.name,
            "address": self.address, "description": self.description,
            "capacity": self.capacity, "public": self.public,
        })
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

fn facility_of(directory: &organisations::Directory, row: facility::Model) -> Option<Facility> {
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
        public: row.public,
    })
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
        .filter_map(|row| facility_of(&directory, row))
        .collect())
}

fn facility_not_found(key: &str) -> StoreError {
    StoreError::not_found(format!("施設「{key}」"))
}

async fn load_facility(
    db: &impl ConnectionTrait,
    directory: &organisations::Directory,
    key: &str,
) -> Result<Facility, StoreError> {
    let row = facility::Entity::find()
        .filter(facility::Column::Key.eq(key))
        .one(db)
        .await?
        .ok_or_else(|| facility_not_found(key))?;
    facility_of(directory, row).ok_or_else(|| facility_not_found(key))
}

/// The facility to edit, if `actor` keeps it: its organisation's staff or the
/// secretariat; anyone else is refused (a facility that is not public is not found
/// for them either).
pub async fn editable_facility(
    store: &Store,
    actor: &Actor,
    key: &str,
) -> Result<Facility, StoreError> {
    let directory = organisations::directory(store).await?;
    let found = load_facility(&store.db, &directory, key).await?;
    check_keeps_facility(actor, &found)?;
    Ok(found)
}

fn check_keeps_facility(actor: &Actor, found: &Facility) -> Result<(), StoreError> {
    if !actor.may_edit_catalogue_of(found.owner.id) {
        if !found.public {
            return Err(facility_not_found(&found.key));
        }
        return Err(StoreError::forbidden(format!(
            "「{}」は{}の施設です。施設の情報は、その団体の職員と協議会事務局だけが編集できます。",
            found.name, found.owner.name
        )));
    }
    Ok(())
}

/// Changes a facility's details (its city and organisation stay); audited.
pub async fn update_facility(
    store: &Store,
    actor: &Actor,
    key: &str,
    draft: &domain::directory::FacilityDraft,
) -> Result<Facility, StoreError> {
    store
        .write(Some(actor), async |w| {
            let directory = organisations::directory_in(w.txn()).await?;
            let before = load_facility(w.txn(), &directory, key).await?;
            check_keeps_facility(actor, &before)?;
            let row = facility::Entity::find()
                .filter(facility::Column::Key.eq(key))
                .one(w.txn())
                .await?
                .ok_or_else(|| facility_not_found(key))?;
            facility::ActiveModel {
                id: Set(row.id),
                name: Set(draft.name.clone()),
                kind: Set(draft.kind.clone()),
                address: Set(draft.address.clone()),
                description: Set(draft.description.clone()),
                capacity: Set(draft.capacity.and_then(|c| i32::try_from(c).ok())),
                public: Set(draft.public),
                ..Default::default()
            }
            .update(w.txn())
            .await?;
            let after = load_facility(w.txn(), &directory, key).await?;
            w.audit(
                crate::write::Audited::new(
                    crate::write::Action::Update,
                    crate::write::Entity::Facility,
                    key.to_owned(),
                    Some(after.owner.id),
                    format!("施設「{}」（{}）の情報を更新", after.name, after.owner.name),
                )
                .before(before.snapshot())
                .after(after.snapshot()),
            );
            Ok(after)
        })
        .await
}
