//! Needs and offers (ニーズ・シーズ): what a company, a buyer, a designer, a
//! university or hospital, or a successor seeker looks for, and what others offer.
//! Matching ranks candidates for a need; a chosen candidate becomes a negotiation.
//!
//! Public postings are listed for everyone; private ones only for the staff of the
//! organisation that keeps them, the secretariat and the posting company's members.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::directory::{PostingDraft, PostingKind, Side, SizeBand};
use domain::{Actor, Invalid};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use crate::audit::{self, Change};
use crate::entity::{company, posting, posting_capability};
use crate::organisations::{self, City, Directory, Organisation};
use crate::{Store, StoreError};

/// A need or an offer as pages and the API read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Posting {
    pub id: i64,
    pub key: String,
    pub side: Side,
    pub kind: PostingKind,
    pub title: String,
    pub body: String,
    /// Who posts it: the company's name, or a name typed by staff (大阪大学医学部).
    pub poster_name: String,
    /// The posting company (key, name, id) when it is in the directory.
    pub company: Option<(String, String, i64)>,
    pub owner: Organisation,
    pub city: Option<City>,
    pub capabilities: Vec<String>,
    pub size_preference: Option<SizeBand>,
    pub prefer_other_cities: bool,
    pub deadline: Option<NaiveDate>,
    pub open: bool,
    pub public: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Posting {
    pub fn editable_by(&self, viewer: Option<&Actor>) -> bool {
        viewer
            .is_some_and(|a| a.may_edit_posting(self.company.as_ref().map(|c| c.2), self.owner.id))
    }

    fn snapshot(&self) -> serde_json::Value {
        json!({
            "key": self.key,
            "side": self.side.code(),
            "kind": self.kind.code(),
            "title": self.title,
            "body": self.body,
            "poster_name": self.poster_name,
            "company": self.company.as_ref().map(|c| c.0.clone()),
            "city": self.city.as_ref().map(|c| c.key.clone()),
            "capabilities": self.capabilities,
            "size_preference": self.size_preference.map(|s| s.code()),
            "prefer_other_cities": self.prefer_other_cities,
            "deadline": self.deadline.map(|d| d.to_string()),
            "open": self.open,
            "public": self.public,
        })
    }
}

/// What a list of postings asks for.
#[derive(Debug, Clone, Default)]
pub struct PostingFilter {
    pub side: Option<Side>,
    pub kind: Option<PostingKind>,
    pub city: Option<String>,
    pub include_closed: bool,
    pub ids: Option<Vec<i64>>,
}

pub(crate) fn visible_condition(viewer: Option<&Actor>) -> Condition {
    match viewer {
        Some(actor) if actor.is_secretariat() => Condition::all(),
        Some(actor) => {
            let mut any = Condition::any().add(posting::Column::Public.eq(true));
            if actor.role != domain::Role::Company
                && let Some(org) = actor.organisation_id
            {
                any = any.add(posting::Column::OwnerOrganisationId.eq(org));
            }
            if let Some(id) = actor.company_id {
                any = any.add(posting::Column::CompanyId.eq(id));
            }
            Condition::all().add(any)
        }
        None => Condition::all().add(posting::Column::Public.eq(true)),
    }
}

pub async fn list(
    store: &Store,
    viewer: Option<&Actor>,
    filter: &PostingFilter,
) -> Result<Vec<Posting>, StoreError> {
    let directory = organisations::directory(store).await?;
    let mut condition = visible_condition(viewer);
    if let Some(side) = filter.side {
        condition = condition.add(posting::Column::Side.eq(side.code()));
    }
    if let Some(kind) = filter.kind {
        condition = condition.add(posting::Column::Kind.eq(kind.code()));
    }
    if let Some(key) = &filter.city {
        let city = directory
            .city_by_key(key)
            .ok_or_else(|| Invalid::new("city", "市区を一覧から選んでください。"))?;
        condition = condition.add(posting::Column::CityId.eq(city.id));
    }
    if !filter.include_closed {
        condition = condition.add(posting::Column::Status.eq("open"));
    }
    if let Some(ids) = &filter.ids {
        condition = condition.add(posting::Column::Id.is_in(ids.iter().copied()));
    }
    let rows = posting::Entity::find()
        .filter(condition)
        .order_by_desc(posting::Column::CreatedAt)
        .order_by_desc(posting::Column::Id)
        .all(&store.db)
        .await?;
    assemble(&store.db, &directory, rows).await
}

pub async fn get(store: &Store, viewer: Option<&Actor>, key: &str) -> Result<Posting, StoreError> {
    let directory = organisations::directory(store).await?;
    let row = posting::Entity::find()
        .filter(posting::Column::Key.eq(key))
        .filter(visible_condition(viewer))
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("ニーズ・シーズ"))?;
    assemble(&store.db, &directory, vec![row])
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found("ニーズ・シーズ"))
}

/// Postings by id whatever their visibility, newest first: for a group's feed,
/// whose members see what was shared with them ([`crate::groups`]).
pub(crate) async fn by_ids(store: &Store, ids: &[i64]) -> Result<Vec<Posting>, StoreError> {
    let directory = organisations::directory(store).await?;
    let rows = posting::Entity::find()
        .filter(posting::Column::Id.is_in(ids.iter().copied()))
        .order_by_desc(posting::Column::CreatedAt)
        .order_by_desc(posting::Column::Id)
        .all(&store.db)
        .await?;
    assemble(&store.db, &directory, rows).await
}

/// Every posting after `after_id`, for the search index.
pub async fn all(store: &Store) -> Result<Vec<Posting>, StoreError> {
    let directory = organisations::directory(store).await?;
    let rows = posting::Entity::find()
        .order_by_asc(posting::Column::Id)
        .all(&store.db)
        .await?;
    assemble(&store.db, &directory, rows).await
}

async fn assemble(
    db: &impl ConnectionTrait,
    directory: &Directory,
    rows: Vec<posting::Model>,
) -> Result<Vec<Posting>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut capabilities: HashMap<i64, Vec<String>> = HashMap::new();
    let mut companies: HashMap<i64, (String, String)> = HashMap::new();
    for chunk in ids.chunks(500) {
        for row in posting_capability::Entity::find()
            .filter(posting_capability::Column::PostingId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            capabilities
                .entry(row.posting_id)
                .or_default()
                .push(row.code);
        }
    }
    let company_ids: Vec<i64> = rows.iter().filter_map(|r| r.company_id).collect();
    for chunk in company_ids.chunks(500) {
        for row in company::Entity::find()
            .filter(company::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            companies.insert(row.id, (row.key, row.name));
        }
    }
    let council = directory
        .organisation_by_key("council")
        .ok_or_else(|| StoreError::Config("協議会の団体データがありません。".into()))?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let company = row
                .company_id
                .and_then(|id| companies.get(&id).map(|(k, n)| (k.clone(), n.clone(), id)));
            Posting {
                id: row.id,
                key: row.key,
                side: Side::parse(&row.side).unwrap_or(Side::Need),
                kind: PostingKind::parse(&row.kind).unwrap_or(PostingKind::Business),
                title: row.title,
                body: row.body,
                poster_name: if row.poster_name.is_empty() {
                    company.as_ref().map(|c| c.1.clone()).unwrap_or_default()
                } else {
                    row.poster_name
                },
                company,
                owner: directory
                    .organisation(row.owner_organisation_id)
                    .unwrap_or(council)
                    .clone(),
                city: row
                    .city_id
                    .and_then(|id| directory.cities.iter().find(|c| c.id == id).cloned()),
                capabilities: capabilities.remove(&row.id).unwrap_or_default(),
                size_preference: row.size_preference.as_deref().and_then(SizeBand::parse),
                prefer_other_cities: row.prefer_other_cities,
                deadline: row
                    .deadline
                    .as_deref()
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
                open: row.status == "open",
                public: row.public,
                created_at: row.created_at,
                updated_at: row.updated_at,
            }
        })
        .collect())
}

/// Who posts: a directory company (by key), or an organisation's staff in the name
/// of someone outside the directory.
#[derive(Debug, Clone)]
pub enum Poster {
    Company(String),
    Organisation(String),
}

/// Whether the actor may post at all: not an individual (their own profile is their
/// posting; see `signup`). Handlers ask first, before they look for a poster.
pub fn may_post(actor: &Actor) -> Result<(), StoreError> {
    if actor.role == domain::Role::Individual {
        return Err(StoreError::forbidden(
            "個人のアカウントでは、ニーズ・シーズを掲載できません。掲載したい内容は、登録先の市区の担当窓口にご相談ください。",
        ));
    }
    Ok(())
}

/// Posts a need or an offer. A company member posts for their company; staff post
/// for a company of their city or in their organisation's name.
pub async fn create(
    store: &Store,
    actor: &Actor,
    poster: &Poster,
    draft: &PostingDraft,
) -> Result<Posting, StoreError> {
    may_post(actor)?;
    let txn = store.begin().await?;
    let directory = organisations::directory_in(&txn).await?;
    let (company_id, owner_id, poster_city) = match poster {
        Poster::Company(key) => {
            let row = company::Entity::find()
                .filter(company::Column::Key.eq(key.as_str()))
                .one(&txn)
                .await?
                .ok_or_else(|| Invalid::new("company", "企業が見つかりません。"))?;
            // A private company of another organisation answers as a missing one.
            if !crate::companies::visible_to(Some(actor), &row) {
                return Err(Invalid::new("company", "企業が見つかりません。").into());
            }
            if !actor.may_edit_company(row.id, row.owner_organisation_id) {
                return Err(StoreError::forbidden(format!(
                    "「{}」の名前でニーズ・シーズを登録することはできません。",
                    row.name
                )));
            }
            (Some(row.id), row.owner_organisation_id, row.city_id)
        }
        Poster::Organisation(key) => {
            let organisation = directory
                .organisation_by_key(key)
                .ok_or_else(|| Invalid::new("organisation", "団体を一覧から選んでください。"))?;
            if !actor.may_edit_catalogue_of(organisation.id) {
                return Err(StoreError::forbidden(format!(
                    "{}の名前でニーズ・シーズを登録することはできません。",
                    organisation.name
                )));
            }
            if draft.poster_name.is_empty() {
                return Err(Invalid::new(
                    "poster_name",
                    "企業以外が掲載する場合は、掲載者名（例: 大阪大学医学部）を入力してください。",
                )
                .into());
            }
            (
                None,
                organisation.id,
                organisation.city.as_ref().map(|c| c.id),
            )
        }
    };
    let key = format!(
        "{}{:07x}",
        draft.side.code(),
        rand::random::<u32>() & 0x0fff_ffff
    );
    let now = Utc::now();
    let city_id = draft
        .city
        .as_deref()
        .and_then(|k| directory.city_by_key(k))
        .map(|c| c.id)
        .or(poster_city);
    let row = posting::ActiveModel {
        key: Set(key.clone()),
        side: Set(draft.side.code().to_owned()),
        kind: Set(draft.kind.code().to_owned()),
        title: Set(draft.title.clone()),
        body: Set(draft.body.clone()),
        poster_name: Set(draft.poster_name.clone()),
        company_id: Set(company_id),
        person_id: Set(None),
        owner_organisation_id: Set(owner_id),
        city_id: Set(city_id),
        size_preference: Set(draft.size_preference.map(|s| s.code().to_owned())),
        prefer_other_cities: Set(draft.prefer_other_cities),
        deadline: Set(draft.deadline.map(|d| d.to_string())),
        status: Set("open".into()),
        public: Set(draft.public),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    replace_capabilities(&txn, row.id, &draft.capabilities).await?;
    let created = assemble(&txn, &directory, vec![row])
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found("ニーズ・シーズ"))?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "create",
            entity: "posting",
            entity_key: key,
            organisation_id: Some(owner_id),
            summary: format!("{}「{}」を登録", created.side.label(), created.title),
            before: None,
            after: Some(created.snapshot()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Opens or closes a posting (a filled need is closed; it stays for the record).
pub async fn set_open(
    store: &Store,
    actor: &Actor,
    key: &str,
    open: bool,
) -> Result<Posting, StoreError> {
    let before = get(store, Some(actor), key).await?;
    if !before.editable_by(Some(actor)) {
        return Err(StoreError::forbidden(
            "このニーズ・シーズは変更できません。",
        ));
    }
    let txn = store.begin().await?;
    posting::ActiveModel {
        id: Set(before.id),
        status: Set(if open { "open" } else { "closed" }.into()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let after = Posting {
        open,
        ..before.clone()
    };
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "update",
            entity: "posting",
            entity_key: key.to_owned(),
            organisation_id: Some(before.owner.id),
            summary: format!(
                "{}「{}」を{}",
                before.side.label(),
                before.title,
                if open { "再開" } else { "終了" }
            ),
            before: Some(before.snapshot()),
            after: Some(after.snapshot()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

async fn replace_capabilities(
    db: &impl ConnectionTrait,
    posting_id: i64,
    codes: &[String],
) -> Result<(), StoreError> {
    posting_capability::Entity::delete_many()
        .filter(posting_capability::Column::PostingId.eq(posting_id))
        .exec(db)
        .await?;
    if !codes.is_empty() {
        posting_capability::Entity::insert_many(codes.iter().map(|code| {
            posting_capability::ActiveModel {
                posting_id: Set(posting_id),
                code: Set(code.clone()),
            }
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}
