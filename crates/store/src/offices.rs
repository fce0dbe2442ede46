//! Share-office mutual use (尼崎創業支援オフィスアビーズ and the other cities' offices):
//! offices per city with their member companies; a member of one city's office books
//! a visit to another city's office (a request the host office's organisation approves
//! or declines); approved visits counted per pair of cities. Offices and the counts are
//! public; a visit's details are for the visiting company and the staff of both
//! offices' organisations.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use domain::{Actor, Invalid, Role};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::audit::{self, Change};
use crate::entity::{company, share_office, share_office_member, share_office_visit, user};
use crate::organisations::{self, Directory};
use crate::write::{Action, Audited, Entity};
use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub city_key: String,
    pub city_name: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub address: String,
    pub description: String,
    /// Member companies: (key, name).
    pub members: Vec<(String, String)>,
    /// The keys of the members that are invented demonstration companies.
    pub demo_member_keys: Vec<String>,
    /// An invented office of the demonstration data (marked 「デモ」).
    pub demo: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitStatus {
    Requested,
    Approved,
    Declined,
}

impl VisitStatus {
    pub fn code(self) -> &'static str {
        match self {
            VisitStatus::Requested => "requested",
            VisitStatus::Approved => "approved",
            VisitStatus::Declined => "declined",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            VisitStatus::Requested => "承認待ち",
            VisitStatus::Approved => "承認済み",
            VisitStatus::Declined => "お断り",
        }
    }

    fn parse(code: &str) -> VisitStatus {
        match code {
            "approved" => VisitStatus::Approved,
            "declined" => VisitStatus::Declined,
            _ => VisitStatus::Requested,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub id: i64,
    pub office: String,
    pub office_key: String,
    pub home_office: String,
    pub company_key: String,
    pub company_name: String,
    pub visit_on: String,
    pub days: i32,
    pub purpose: String,
    pub status: VisitStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: String,
    /// Whether the viewer may approve or decline it.
    pub may_decide: bool,
    /// The visit of an invented demonstration company (marked 「デモ」).
    pub demo: bool,
}

/// What a member types to book a visit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisitRequest {
    pub office: String,
    pub company: String,
    pub visit_on: Option<NaiveDate>,
    pub days: String,
    pub purpose: String,
}

/// Approved visits from one city's office to another's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityPair {
    pub from: String,
    pub to: String,
    /// How many of the visits are invented demonstration companies' (marked 「デモ」).
    pub demo: u64,
    pub visits: u64,
    pub days: i64,
}

async fn load_offices(
    db: &impl ConnectionTrait,
    directory: &Directory,
) -> Result<Vec<Office>, StoreError> {
    let rows = share_office::Entity::find()
        .order_by_asc(share_office::Column::Id)
        .all(db)
        .await?;
    let members = share_office_member::Entity::find().all(db).await?;
    let companies: HashMap<i64, company::Model> = company::Entity::find()
        .filter(company::Column::Id.is_in(members.iter().map(|m| m.company_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let city = directory.cities.iter().find(|c| c.id == row.city_id);
            let of_office = || {
                members
                    .iter()
                    .filter(|m| m.office_id == row.id)
                    .filter_map(|m| companies.get(&m.company_id))
            };
            Office {
                demo_member_keys: of_office()
                    .filter(|c| crate::demo::is_demo_company(&c.source))
                    .map(|c| c.key.clone())
                    .collect(),
                demo: crate::demo::is_demo_company(&row.source),
                members: members
                    .iter()
                    .filter(|m| m.office_id == row.id)
                    .filter_map(|m| companies.get(&m.company_id))
                    .map(|c| (c.key.clone(), c.name.clone()))
                    .collect(),
                id: row.id,
                key: row.key,
                name: row.name,
                city_key: city.map(|c| c.key.clone()).unwrap_or_default(),
                city_name: city.map(|c| c.name.clone()).unwrap_or_default(),
                owner_id: row.owner_organisation_id,
                owner_name: directory
                    .organisation(row.owner_organisation_id)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                address: row.address,
                description: row.description,
            }
        })
        .collect())
}

/// Every office with its members (public).
pub async fn list(store: &Store) -> Result<Vec<Office>, StoreError> {
    let directory = organisations::directory(store).await?;
    load_offices(&store.db, &directory).await
}

fn days_of(text: &str) -> Option<i32> {
    domain::text::narrow_ascii(text.trim()).parse::<i32>().ok()
}

/// Books a visit: the company must be a member of an office in another city than the
/// one visited, and the actor one of its members (or staff looking after it).
pub async fn book(
    store: &Store,
    actor: &Actor,
    request: &VisitRequest,
) -> Result<Visit, StoreError> {
    let directory = organisations::directory(store).await?;
    let offices = load_offices(&store.db, &directory).await?;
    let mut errors = Vec::new();
    let host = offices.iter().find(|o| o.key == request.office);
    if host.is_none() {
        errors.push(Invalid::new("office", "訪問先のオフィスを選んでください。"));
    }
    let company = company::Entity::find()
        .filter(company::Column::Key.eq(&request.company))
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("企業"))?;
    if !crate::companies::visible_to(Some(actor), &company) {
        return Err(StoreError::not_found("企業"));
    }
    if !actor.may_edit_company(company.id, company.owner_organisation_id) {
        return Err(StoreError::forbidden(format!(
            "{}として予約することはできません。",
            company.name
        )));
    }
    let home = offices
        .iter()
        .find(|o| o.members.iter().any(|(key, _)| *key == company.key));
    match (home, host) {
        (None, _) => errors.push(Invalid::new(
            "company",
            format!(
                "{}はどのシェアオフィスの入居者でもないため、相互利用の予約はできません。",
                company.name
            ),
        )),
        (Some(home), Some(host)) if home.city_key == host.city_key => errors.push(Invalid::new(
            "office",
            "相互利用は他の都市のオフィスが対象です。自都市のオフィスは直接お申し込みください。",
        )),
        _ => {}
    }
    let today = domain::time::japan_today();
    match request.visit_on {
        None => errors.push(Invalid::new("visit_on", "利用日を入力してください。")),
        Some(day) if day < today => errors.push(Invalid::new(
            "visit_on",
            "利用日は今日以降の日付にしてください。",
        )),
        _ => {}
    }
    let days = days_of(&request.days);
    if !days.is_some_and(|d| (1..=30).contains(&d)) {
        errors.push(Invalid::new(
            "days",
            "利用日数は1〜30日で入力してください。",
        ));
    }
    if request.purpose.trim().is_empty() {
        errors.push(Invalid::new("purpose", "利用の目的を入力してください。"));
    }
    let (Some(home), Some(host), Some(visit_on), Some(days), true) =
        (home, host, request.visit_on, days, errors.is_empty())
    else {
        return Err(StoreError::Invalid(errors));
    };
    let txn = store.begin().await?;
    let row = share_office_visit::ActiveModel {
        office_id: Set(host.id),
        home_office_id: Set(home.id),
        company_id: Set(company.id),
        visit_on: Set(visit_on.to_string()),
        days: Set(days),
        purpose: Set(request.purpose.trim().to_owned()),
        status: Set(VisitStatus::Requested.code().into()),
        requested_by: Set(Some(actor.user_id)),
        decided_by: Set(None),
        decided_at: Set(None),
        decision_note: Set(String::new()),
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
            entity: "share_office_visit",
            entity_key: row.id.to_string(),
            organisation_id: Some(host.owner_id),
            summary: format!("{}が{}の利用を申込（{visit_on}）", company.name, host.name),
            before: None,
            after: Some(
                json!({"office": host.key, "home": home.key, "company": company.key,
                "visit_on": visit_on.to_string(), "days": days}),
            ),
        },
    )
    .await?;
    txn.commit().await?;
    let visits = visits(store, actor).await?;
    visits
        .into_iter()
        .find(|v| v.id == row.id)
        .ok_or_else(|| StoreError::not_found("予約"))
}

/// Approves (`decision` `approve`) or declines (`decline`, with a reason) a requested
/// visit: the host office's organisation only; any other decision is refused after
/// the actor is found allowed.
pub async fn decide(
    store: &Store,
    actor: &Actor,
    visit_id: i64,
    decision: &str,
    note: &str,
) -> Result<(), StoreError> {
    let txn = store.begin().await?;
    let visit = share_office_visit::Entity::find_by_id(visit_id)
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::not_found("予約"))?;
    let host = share_office::Entity::find_by_id(visit.office_id)
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::not_found("オフィス"))?;
    if !(actor.role == Role::Staff && actor.organisation_id == Some(host.owner_organisation_id)) {
        return Err(StoreError::forbidden(format!(
            "{}の利用の承認は、そのオフィスを所管する団体の職員が行います。",
            host.name
        )));
    }
    if VisitStatus::parse(&visit.status) != VisitStatus::Requested {
        return Err(StoreError::Conflict(
            "この予約は既に承認またはお断り済みです。".into(),
        ));
    }
    let approve = match decision.trim() {
        "approve" => true,
        "decline" => false,
        _ => {
            return Err(StoreError::Invalid(vec![Invalid::new(
                "decision",
                "承認するか、お断りするかを選んでください。",
            )]));
        }
    };
    if !approve && note.trim().is_empty() {
        return Err(StoreError::Invalid(vec![Invalid::new(
            "note",
            "お断りする理由を入力してください（申込者に表示されます）。",
        )]));
    }
    let status = if approve {
        VisitStatus::Approved
    } else {
        VisitStatus::Declined
    };
    let mut active: share_office_visit::ActiveModel = visit.clone().into();
    active.status = Set(status.code().into());
    active.decided_by = Set(Some(actor.user_id));
    active.decided_at = Set(Some(Utc::now()));
    active.decision_note = Set(note.trim().to_owned());
    active.update(&txn).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "update",
            entity: "share_office_visit",
            entity_key: visit_id.to_string(),
            organisation_id: Some(host.owner_organisation_id),
            summary: format!("{}の利用申込を{}", host.name, status.label()),
            before: Some(json!({"status": visit.status})),
            after: Some(json!({"status": status.code(), "note": note.trim()})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The visits the actor may see: a company's own, and those to or from the offices of
/// a staff member's organisation; newest first.
pub async fn visits(store: &Store, actor: &Actor) -> Result<Vec<Visit>, StoreError> {
    let directory = organisations::directory(store).await?;
    let offices = load_offices(&store.db, &directory).await?;
    let own_offices: Vec<i64> = offices
        .iter()
        .filter(|o| actor.role == Role::Staff && actor.organisation_id == Some(o.owner_id))
        .map(|o| o.id)
        .collect();
    let mut condition = Condition::any();
    if let Some(company) = actor.company_id {
        condition = condition.add(share_office_visit::Column::CompanyId.eq(company));
    }
    if !own_offices.is_empty() {
        condition = condition
            .add(share_office_visit::Column::OfficeId.is_in(own_offices.clone()))
            .add(share_office_visit::Column::HomeOfficeId.is_in(own_offices.clone()));
    }
    if actor.company_id.is_none() && own_offices.is_empty() {
        return Ok(Vec::new());
    }
    let rows = share_office_visit::Entity::find()
        .filter(condition)
        .order_by_desc(share_office_visit::Column::VisitOn)
        .all(&store.db)
        .await?;
    let companies: HashMap<i64, company::Model> = company::Entity::find()
        .filter(company::Column::Id.is_in(rows.iter().map(|r| r.company_id)))
        .all(&store.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let users: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().filter_map(|r| r.decided_by)))
        .all(&store.db)
        .await?
        .into_iter()
        .map(|u| {
            (
                u.id,
                if u.display_name.is_empty() {
                    u.email
                } else {
                    u.display_name
                },
            )
        })
        .collect();
    let office = |id: i64| offices.iter().find(|o| o.id == id);
    Ok(rows
        .into_iter()
        .map(|r| {
            let status = VisitStatus::parse(&r.status);
            Visit {
                id: r.id,
                office: office(r.office_id)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                office_key: office(r.office_id)
                    .map(|o| o.key.clone())
                    .unwrap_or_default(),
                home_office: office(r.home_office_id)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                company_key: companies
                    .get(&r.company_id)
                    .map(|c| c.key.clone())
                    .unwrap_or_default(),
                company_name: companies
                    .get(&r.company_id)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                visit_on: r.visit_on,
                days: r.days,
                purpose: r.purpose,
                status,
                decided_by: r.decided_by.and_then(|id| users.get(&id).cloned()),
                decided_at: r.decided_at,
                decision_note: r.decision_note,
                may_decide: status == VisitStatus::Requested && own_offices.contains(&r.office_id),
                demo: companies
                    .get(&r.company_id)
                    .is_some_and(|c| crate::demo::is_demo_company(&c.source)),
            }
        })
        .collect())
}

/// Approved visits counted per pair of cities (visitor's city → host city), public.
pub async fn city_pairs(store: &Store) -> Result<Vec<CityPair>, StoreError> {
    let directory = organisations::directory(store).await?;
    let offices = load_offices(&store.db, &directory).await?;
    let rows = share_office_visit::Entity::find()
        .filter(share_office_visit::Column::Status.eq(VisitStatus::Approved.code()))
        .all(&store.db)
        .await?;
    let city = |id: i64| {
        offices
            .iter()
            .find(|o| o.id == id)
            .map(|o| o.city_name.clone())
            .unwrap_or_default()
    };
    let invented: std::collections::HashSet<i64> = company::Entity::find()
        .filter(company::Column::Id.is_in(rows.iter().map(|r| r.company_id)))
        .all(&store.db)
        .await?
        .into_iter()
        .filter(|c| crate::demo::is_demo_company(&c.source))
        .map(|c| c.id)
        .collect();
    let mut pairs: BTreeMap<(String, String), (u64, i64, u64)> = BTreeMap::new();
    for row in rows {
        let entry = pairs
            .entry((city(row.home_office_id), city(row.office_id)))
            .or_default();
        entry.0 += 1;
        entry.1 += i64::from(row.days);
        entry.2 += u64::from(invented.contains(&row.company_id));
    }
    Ok(pairs
        .into_iter()
        .map(|((from, to), (visits, days, demo))| CityPair {
            from,
            to,
            demo,
            visits,
            days,
        })
        .collect())
}

const DEMO_TOML: &str = include_str!("../../../data/council/offices.toml");

#[derive(serde::Deserialize)]
struct DemoFile {
    office: Vec<DemoOffice>,
    visit: Vec<DemoVisit>,
}

#[derive(serde::Deserialize)]
struct DemoOffice {
    key: String,
    owner: String,
    city: String,
    name: String,
    address: String,
    description: String,
    members: Vec<String>,
    /// Invented for the demonstration (every office but the one the document names).
    #[serde(default)]
    invented: bool,
}

#[derive(serde::Deserialize)]
struct DemoVisit {
    office: String,
    home: String,
    company: String,
    visit_on: NaiveDate,
    days: i32,
    purpose: String,
    status: String,
}

fn demo_broken(what: impl std::fmt::Display) -> StoreError {
    StoreError::Config(format!("data/council/offices.toml: {what}"))
}

/// Loads the demonstration offices, members and visits into a database with the
/// directory and no office yet.
pub async fn load_demo_if_empty(store: &Store) -> Result<bool, StoreError> {
    if share_office::Entity::find().count(&store.db).await? > 0
        || company::Entity::find().count(&store.db).await? == 0
    {
        return Ok(false);
    }
    let demo: DemoFile = toml::from_str(DEMO_TOML).map_err(demo_broken)?;
    let directory = organisations::directory(store).await?;
    let txn = store.begin().await?;
    let now = Utc::now();
    let mut ids: HashMap<String, i64> = HashMap::new();
    let company_id = |key: &str| {
        let key = key.to_owned();
        let txn = &txn;
        async move {
            company::Entity::find()
                .filter(company::Column::Key.eq(&key))
                .one(txn)
                .await?
                .map(|c| c.id)
                .ok_or_else(|| demo_broken(format!("company {key}")))
        }
    };
    for office in &demo.office {
        let owner = directory
            .organisation_by_key(&office.owner)
            .ok_or_else(|| demo_broken(format!("owner {}", office.owner)))?;
        let city = directory
            .city_by_key(&office.city)
            .ok_or_else(|| demo_broken(format!("city {}", office.city)))?;
        let row = share_office::ActiveModel {
            key: Set(office.key.clone()),
            owner_organisation_id: Set(owner.id),
            city_id: Set(city.id),
            name: Set(office.name.clone()),
            address: Set(office.address.clone()),
            description: Set(office.description.clone()),
            source: Set(if office.invented {
                crate::demo::COMPANY_SOURCE.to_owned()
            } else {
                String::new()
            }),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for member in &office.members {
            share_office_member::ActiveModel {
                office_id: Set(row.id),
                company_id: Set(company_id(member).await?),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        ids.insert(office.key.clone(), row.id);
    }
    for visit in &demo.visit {
        let office = |key: &str| {
            ids.get(key)
                .copied()
                .ok_or_else(|| demo_broken(format!("office {key}")))
        };
        let decided = (visit.status != "requested")
            .then(|| (visit.visit_on - chrono::Duration::days(7)).and_hms_opt(1, 0, 0))
            .flatten()
            .map(|t| t.and_utc());
        share_office_visit::ActiveModel {
            office_id: Set(office(&visit.office)?),
            home_office_id: Set(office(&visit.home)?),
            company_id: Set(company_id(&visit.company).await?),
            visit_on: Set(visit.visit_on.to_string()),
            days: Set(visit.days),
            purpose: Set(visit.purpose.clone()),
            status: Set(VisitStatus::parse(&visit.status).code().into()),
            requested_by: Set(None),
            decided_by: Set(None),
            decided_at: Set(decided),
            decision_note: Set(String::new()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// The office the actor's company belongs to: (company key, company name, office name).
pub async fn membership(
    store: &Store,
    actor: &Actor,
) -> Result<Option<(String, String, String)>, StoreError> {
    let Some(company_id) = actor.company_id else {
        return Ok(None);
    };
    let Some(member) = share_office_member::Entity::find()
        .filter(share_office_member::Column::CompanyId.eq(company_id))
        .one(&store.db)
        .await?
    else {
        return Ok(None);
    };
    let office = share_office::Entity::find_by_id(member.office_id)
        .one(&store.db)
        .await?;
    let company = company::Entity::find_by_id(company_id)
        .one(&store.db)
        .await?;
    Ok(office
        .zip(company)
        .map(|(office, company)| (company.key, company.name, office.name)))
}

// ---------------------------------------------------------------- keeping offices

fn office_not_found(key: &str) -> StoreError {
    StoreError::not_found(format!("シェアオフィス「{key}」"))
}

impl Office {
    fn snapshot(&self) -> serde_json::Value {
        json!({
            "key": self.key, "name": self.name, "address": self.address,
            "description": self.description,
            "members": self.members.iter().map(|m| m.0.clone()).collect::<Vec<_>>(),
        })
    }
}

/// One office with its members (public).
pub async fn get(store: &Store, key: &str) -> Result<Office, StoreError> {
    let directory = organisations::directory(store).await?;
    load_offices(&store.db, &directory)
        .await?
        .into_iter()
        .find(|o| o.key == key)
        .ok_or_else(|| office_not_found(key))
}

fn check_keeps(actor: &Actor, office: &Office) -> Result<(), StoreError> {
    if actor.may_edit_catalogue_of(office.owner_id) {
        Ok(())
    } else {
        Err(StoreError::forbidden(format!(
            "「{}」は{}のシェアオフィスです。オフィスの情報と入居企業は、その団体の職員と協議会事務局だけが編集できます。",
            office.name, office.owner_name
        )))
    }
}

/// The office to edit, if `actor` keeps it (its organisation's staff or the
/// secretariat); a refusal otherwise.
pub async fn editable(store: &Store, actor: &Actor, key: &str) -> Result<Office, StoreError> {
    let office = get(store, key).await?;
    check_keeps(actor, &office)?;
    Ok(office)
}

async fn office_in(txn: &sea_orm::DatabaseTransaction, key: &str) -> Result<Office, StoreError> {
    let directory = organisations::directory_in(txn).await?;
    load_offices(txn, &directory)
        .await?
        .into_iter()
        .find(|o| o.key == key)
        .ok_or_else(|| office_not_found(key))
}

/// Changes an office's name, address and description; audited.
pub async fn update(
    store: &Store,
    actor: &Actor,
    key: &str,
    draft: &domain::directory::OfficeDraft,
) -> Result<Office, StoreError> {
    store
        .write(Some(actor), async |w| {
            let before = office_in(w.txn(), key).await?;
            check_keeps(actor, &before)?;
            share_office::ActiveModel {
                id: Set(before.id),
                name: Set(draft.name.clone()),
                address: Set(draft.address.clone()),
                description: Set(draft.description.clone()),
                ..Default::default()
            }
            .update(w.txn())
            .await?;
            let after = office_in(w.txn(), key).await?;
            w.audit(
                Audited::new(
                    Action::Update,
                    Entity::ShareOffice,
                    key.to_owned(),
                    Some(after.owner_id),
                    format!(
                        "シェアオフィス「{}」（{}）の情報を更新",
                        after.name, after.owner_name
                    ),
                )
                .before(before.snapshot())
                .after(after.snapshot()),
            );
            Ok(after)
        })
        .await
}

/// Adds a company of the directory (by its key or name) to an office's members. A
/// company belongs to one office at most: its home office for mutual use.
pub async fn add_member(
    store: &Store,
    actor: &Actor,
    key: &str,
    company_key: &str,
) -> Result<Office, StoreError> {
    let wanted = company_key.trim();
    if wanted.is_empty() {
        return Err(Invalid::new(
            "company",
            "入居企業の企業ID（例: amagasaki-01）を入力してください。",
        )
        .into());
    }
    store
        .write(Some(actor), async |w| {
            let before = office_in(w.txn(), key).await?;
            check_keeps(actor, &before)?;
            let found = company::Entity::find()
                .filter(
                    Condition::any()
                        .add(company::Column::Key.eq(wanted))
                        .add(company::Column::Name.eq(wanted)),
                )
                .one(w.txn())
                .await?
                .filter(|c| crate::companies::visible_to(Some(actor), c))
                .ok_or_else(|| {
                    Invalid::new(
                        "company",
                        format!(
                            "企業「{wanted}」は企業名簿に見つかりません。企業IDを確認してください。"
                        ),
                    )
                })?;
            if let Some(home) = share_office_member::Entity::find()
                .filter(share_office_member::Column::CompanyId.eq(found.id))
                .one(w.txn())
                .await?
            {
                let directory = organisations::directory_in(w.txn()).await?;
                let name = load_offices(w.txn(), &directory)
                    .await?
                    .into_iter()
                    .find(|o| o.id == home.office_id)
                    .map(|o| o.name)
                    .unwrap_or_default();
                return Err(StoreError::Conflict(format!(
                    "{}は既に「{name}」の入居企業です。",
                    found.name
                )));
            }
            share_office_member::ActiveModel {
                office_id: Set(before.id),
                company_id: Set(found.id),
                ..Default::default()
            }
            .insert(w.txn())
            .await?;
            let after = office_in(w.txn(), key).await?;
            w.audit(
                Audited::new(
                    Action::AddMember,
                    Entity::ShareOffice,
                    key.to_owned(),
                    Some(after.owner_id),
                    format!(
                        "シェアオフィス「{}」に{}を入居企業として追加",
                        after.name, found.name
                    ),
                )
                .before(before.snapshot())
                .after(after.snapshot()),
            );
            Ok(after)
        })
        .await
}

/// Removes a company from an office's members (its past visits stay on record).
pub async fn remove_member(
    store: &Store,
    actor: &Actor,
    key: &str,
    company_key: &str,
) -> Result<Office, StoreError> {
    store
        .write(Some(actor), async |w| {
            let before = office_in(w.txn(), key).await?;
            check_keeps(actor, &before)?;
            let Some((_, name)) = before.members.iter().find(|m| m.0 == company_key).cloned()
            else {
                return Err(StoreError::not_found(format!(
                    "「{}」の入居企業「{company_key}」",
                    before.name
                )));
            };
            let company_id = company::Entity::find()
                .filter(company::Column::Key.eq(company_key))
                .one(w.txn())
                .await?
                .map(|c| c.id)
                .ok_or_else(|| StoreError::not_found("企業"))?;
            share_office_member::Entity::delete_many()
                .filter(share_office_member::Column::OfficeId.eq(before.id))
                .filter(share_office_member::Column::CompanyId.eq(company_id))
                .exec(w.txn())
                .await?;
            let after = office_in(w.txn(), key).await?;
            w.audit(
                Audited::new(
                    Action::RemoveMember,
                    Entity::ShareOffice,
                    key.to_owned(),
                    Some(after.owner_id),
                    format!("シェアオフィス「{}」の入居企業から{name}を外す", after.name),
                )
                .before(before.snapshot())
                .after(after.snapshot()),
            );
            Ok(after)
        })
        .await
}
