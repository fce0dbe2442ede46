//! Events spread over many sites (おおたオープンファクトリー): the factories of the
//! directory that open their doors, each with its programme, address and tour slots
//! (見学枠). Visitors register for a slot through [`crate::registrations`] (the same
//! capacity and waiting-list rules); each site's host — the company's members — and
//! the organiser's staff see the site's visitor list and check visitors in; the
//! counts per site and in total are public and feed the linked initiative's KPIs.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use domain::Actor;
use domain::events::{EventTime, RegistrationStatus};
use domain::open_factory::{SiteDraft, TourDraft};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::entity::{company, event_site, event_tour};
use crate::error::{UniqueConstraint, on_constraint};
use crate::events::{self, Event};
use crate::registrations::{self, Occupancy, Registration};
use crate::write::{Action, Audited, Entity};
use crate::{Store, StoreError};

/// A tour slot as the registrations see it: its capacity and how a visitor is told
/// where and when to come.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub id: i64,
    pub site_id: i64,
    pub capacity: u32,
    /// 「11月24日(金) 10:00〜11:00」.
    pub label: String,
    pub company: String,
    pub programme: String,
    pub address: String,
}

/// One tour slot with its seats taken and people waiting.
#[derive(Debug, Clone, PartialEq)]
pub struct Tour {
    pub id: i64,
    pub starts: NaiveDateTime,
    pub ends: NaiveDateTime,
    pub label: String,
    pub capacity: u32,
    pub occupancy: Occupancy,
}

impl Tour {
    pub fn is_full(&self) -> bool {
        self.occupancy.confirmed >= self.capacity || self.occupancy.waiting > 0
    }
}

/// A site of an event: the factory, what it shows, and its slots.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub id: i64,
    pub company_id: i64,
    pub company_key: String,
    pub company_name: String,
    pub programme: String,
    pub description: String,
    pub address: String,
    pub tours: Vec<Tour>,
    /// The company is invented demonstration data (「デモ」): never counted in KPIs.
    pub invented: bool,
}

impl Site {
    /// Visitors with a confirmed place, over all slots.
    pub fn visitors(&self) -> u32 {
        self.tours.iter().map(|t| t.occupancy.confirmed).sum()
    }

    pub fn waiting(&self) -> u32 {
        self.tours.iter().map(|t| t.occupancy.waiting).sum()
    }

    pub fn capacity(&self) -> u32 {
        self.tours.iter().map(|t| t.capacity).sum()
    }

    /// Whether `actor` hosts this site: a member of its company.
    pub fn is_hosted_by(&self, actor: &Actor) -> bool {
        actor.role == domain::Role::Company && actor.company_id == Some(self.company_id)
    }
}

/// An event's sites, in the order they were added.
#[derive(Debug, Clone)]
pub struct Sites {
    pub event: Event,
    pub sites: Vec<Site>,
}

impl Sites {
    pub fn visitors(&self) -> u32 {
        self.sites.iter().map(Site::visitors).sum()
    }

    pub fn waiting(&self) -> u32 {
        self.sites.iter().map(Site::waiting).sum()
    }

    pub fn site(&self, id: i64) -> Option<&Site> {
        self.sites.iter().find(|s| s.id == id)
    }

    /// Whether `actor` may see `site`'s visitor list and check its visitors in: its
    /// host, the organiser's staff and the secretariat.
    pub fn may_check_in(&self, actor: &Actor, site: &Site) -> bool {
        site.is_hosted_by(actor) || actor.may_edit_events_of(self.event.organisation.id)
    }
}

/// One site per company and event (migration 0026).
const ONE_PER_COMPANY: &[UniqueConstraint] = &[UniqueConstraint {
    name: "event_sites_one_per_company",
    table: "event_sites",
    columns: &["event_id", "company_id"],
    field: "company",
    message: "この企業は既にこのイベントの会場になっています。",
}];

fn time_of(text: &str) -> Option<NaiveDateTime> {
    EventTime::from_stored(text)
}

async fn site_rows(
    db: &impl ConnectionTrait,
    event_id: i64,
) -> Result<Vec<(event_site::Model, company::Model, Vec<event_tour::Model>)>, StoreError> {
    let sites = event_site::Entity::find()
        .filter(event_site::Column::EventId.eq(event_id))
        .order_by_asc(event_site::Column::Id)
        .all(db)
        .await?;
    if sites.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = sites.iter().map(|s| s.id).collect();
    let company_ids: Vec<i64> = sites.iter().map(|s| s.company_id).collect();
    let companies: HashMap<i64, company::Model> = company::Entity::find()
        .filter(company::Column::Id.is_in(company_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut tours: HashMap<i64, Vec<event_tour::Model>> = HashMap::new();
    for tour in event_tour::Entity::find()
        .filter(event_tour::Column::SiteId.is_in(ids))
        .order_by_asc(event_tour::Column::StartsAt)
        .all(db)
        .await?
    {
        tours.entry(tour.site_id).or_default().push(tour);
    }
    Ok(sites
        .into_iter()
        .filter_map(|site| {
            let company = companies.get(&site.company_id)?.clone();
            let tours = tours.remove(&site.id).unwrap_or_default();
            Some((site, company, tours))
        })
        .collect())
}

/// Every tour slot of an event, by id: what a registration for a slot is checked
/// against, read inside the registration's transaction.
pub(crate) async fn slots_in(
    db: &impl ConnectionTrait,
    event_id: i64,
) -> Result<HashMap<i64, Slot>, StoreError> {
    let mut slots = HashMap::new();
    for (site, company, tours) in site_rows(db, event_id).await? {
        for tour in tours {
            let (Some(starts), Some(ends)) = (time_of(&tour.starts_at), time_of(&tour.ends_at))
            else {
                continue;
            };
            slots.insert(
                tour.id,
                Slot {
                    id: tour.id,
                    site_id: site.id,
                    capacity: u32::try_from(tour.capacity).unwrap_or(0),
                    label: TourDraft::label(starts, ends),
                    company: company.name.clone(),
                    programme: site.programme.clone(),
                    address: site_address(&site, &company),
                },
            );
        }
    }
    Ok(slots)
}

/// One tour slot of an event, as a registrant's confirmation shows it.
pub async fn slot(store: &Store, event: &Event, tour_id: i64) -> Result<Option<Slot>, StoreError> {
    Ok(slots_in(&store.db, event.id).await?.remove(&tour_id))
}

/// The site's own address, else its company's.
fn site_address(site: &event_site::Model, company: &company::Model) -> String {
    if site.address.is_empty() {
        company.address.clone()
    } else {
        site.address.clone()
    }
}

fn assemble(
    rows: Vec<(event_site::Model, company::Model, Vec<event_tour::Model>)>,
    registrations: &[Registration],
) -> Vec<Site> {
    rows.into_iter()
        .map(|(site, company, tours)| Site {
            id: site.id,
            company_id: company.id,
            company_key: company.key.clone(),
            company_name: company.name.clone(),
            programme: site.programme.clone(),
            description: site.description.clone(),
            address: site_address(&site, &company),
            invented: crate::demo::is_demo_company(&company.source),
            tours: tours
                .into_iter()
                .filter_map(|tour| {
                    let starts = time_of(&tour.starts_at)?;
                    let ends = time_of(&tour.ends_at)?;
                    Some(Tour {
                        id: tour.id,
                        starts,
                        ends,
                        label: TourDraft::label(starts, ends),
                        capacity: u32::try_from(tour.capacity).unwrap_or(0),
                        occupancy: registrations::occupancy_of(
                            registrations.iter().filter(|r| r.tour_id == Some(tour.id)),
                        ),
                    })
                })
                .collect(),
        })
        .collect()
}

/// An event's sites with their slots and counts (no personal data): for everyone
/// who may see the event.
pub async fn sites(
    store: &Store,
    viewer: Option<&Actor>,
    event_key: &str,
) -> Result<Sites, StoreError> {
    of_event(
        store,
        events::get(store, event_key, viewer.is_some()).await?,
    )
    .await
}

/// [`sites`] of an event the caller has already read (and may see).
pub async fn of_event(store: &Store, event: Event) -> Result<Sites, StoreError> {
    let rows = site_rows(&store.db, event.id).await?;
    let registrations = if rows.is_empty() {
        Vec::new()
    } else {
        registrations::rows_of(&store.db, event.id).await?
    };
    Ok(Sites {
        sites: assemble(rows, &registrations),
        event,
    })
}

/// The event, if `actor` organises it (its organisation's staff, the secretariat):
/// asked before a site's form is read, so others are refused first.
pub async fn organised(store: &Store, actor: &Actor, event_key: &str) -> Result<Event, StoreError> {
    let event = events::get(store, event_key, true).await?;
    if !actor.may_edit_events_of(event.organisation.id) {
        return Err(StoreError::forbidden(format!(
            "会場の追加と来場申込数の反映は、主催団体（{}）の職員と協議会事務局のみ行えます。",
            event.organisation.name
        )));
    }
    Ok(event)
}

/// Adds a factory of the directory as a site of the event, with its tour slots; the
/// organiser's staff and the secretariat only. The company must be public in the
/// directory (a visitor is sent to its door), and the slots lie on the event's days.
pub async fn add_site(
    store: &Store,
    actor: &Actor,
    event_key: &str,
    draft: &SiteDraft,
) -> Result<Site, StoreError> {
    store
        .write(Some(actor), async |w| {
            let (_, event) = events::editable(w.txn(), actor, event_key).await?;
            if event.is_cancelled() {
                return Err(StoreError::Conflict(format!(
                    "「{}」は中止になったため、会場は追加できません。",
                    event.title
                )));
            }
            let company = company::Entity::find()
                .filter(company::Column::Key.eq(&draft.company))
                .one(w.txn())
                .await?
                .filter(|c| c.closed_on.is_none())
                .ok_or_else(|| {
                    domain::Invalid::new(
                        "company",
                        format!(
                            "企業名簿に「{}」という企業はありません（企業名簿のキー、例: ota-01）。",
                            draft.company
                        ),
                    )
                })?;
            if !company.public {
                return Err(domain::Invalid::new(
                    "company",
                    format!(
                        "{}は企業名簿で非公開のため、会場にできません。企業に公開をご確認ください。",
                        company.name
                    ),
                )
                .into());
            }
            let site = insert_site(w.txn(), event.id, company.id, draft).await?;
            w.audit(
                Audited::new(
                    Action::Create,
                    Entity::EventSite,
                    format!("{}/{}", event.key, site.id),
                    Some(event.organisation.id),
                    format!(
                        "「{}」の会場に{}（{}・見学枠{}）を追加",
                        event.title,
                        company.name,
                        draft.programme,
                        draft.tours.len()
                    ),
                )
                .after(json!({
                    "company": company.key,
                    "programme": draft.programme,
                    "tours": domain::open_factory::tour_lines(&draft.tours),
                })),
            );
            let rows = site_rows(w.txn(), event.id).await?;
            assemble(rows, &[])
                .into_iter()
                .find(|s| s.id == site.id)
                .ok_or_else(|| StoreError::Config("event site unreadable".into()))
        })
        .await
}

/// Inserts a site with its slots (a company once per event: the field's error).
pub(crate) async fn insert_site(
    db: &impl ConnectionTrait,
    event_id: i64,
    company_id: i64,
    draft: &SiteDraft,
) -> Result<event_site::Model, StoreError> {
    let site = event_site::ActiveModel {
        event_id: Set(event_id),
        company_id: Set(company_id),
        programme: Set(draft.programme.clone()),
        description: Set(draft.description.clone()),
        address: Set(draft.address.clone()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|error| on_constraint(error, ONE_PER_COMPANY))?;
    for tour in &draft.tours {
        event_tour::ActiveModel {
            site_id: Set(site.id),
            starts_at: Set(EventTime::stored(tour.starts)),
            ends_at: Set(EventTime::stored(tour.ends)),
            capacity: Set(i32::try_from(tour.capacity).unwrap_or(i32::MAX)),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(site)
}

/// A site's visitor list, with personal data: for its host (the company's members),
/// the organiser's staff and the secretariat.
pub async fn visitors(
    store: &Store,
    actor: &Actor,
    event_key: &str,
    site_id: i64,
) -> Result<(Sites, Site, Vec<Registration>), StoreError> {
    let all = sites(store, Some(actor), event_key).await?;
    let site = all
        .site(site_id)
        .cloned()
        .ok_or_else(|| StoreError::not_found("会場"))?;
    if !all.may_check_in(actor, &site) {
        return Err(StoreError::forbidden(format!(
            "{}の来場者名簿は、会場の企業と主催団体（{}）の職員・協議会事務局のみ閲覧できます。",
            site.company_name, all.event.organisation.name
        )));
    }
    let tours: Vec<i64> = site.tours.iter().map(|t| t.id).collect();
    let list = registrations::rows_of(&store.db, all.event.id)
        .await?
        .into_iter()
        .filter(|r| r.tour_id.is_some_and(|t| tours.contains(&t)))
        .collect();
    Ok((all, site, list))
}

/// Checks a visitor in (or out) at a site: its host or the organiser's staff.
pub async fn mark_visit(
    store: &Store,
    actor: &Actor,
    event_key: &str,
    site_id: i64,
    registration_id: i64,
    attended: bool,
) -> Result<(), StoreError> {
    let (all, site, list) = visitors(store, actor, event_key, site_id).await?;
    if !list.iter().any(|r| r.id == registration_id) {
        return Err(StoreError::not_found(format!(
            "{}の来場申込",
            site.company_name
        )));
    }
    let row = registrations::row_of_event(store, &all.event, registration_id).await?;
    registrations::set_attended(store, actor, &all.event, row, attended).await
}

/// The labels under which an event's site counts are written into the linked
/// initiative's KPIs (named apart from the document's own figures).
pub const KPI_LABELS: [(&str, &str); 3] = [
    ("公開工場数（オープンファクトリー）", "か所"),
    ("来場申込数（オープンファクトリー）", "人"),
    ("来場者数（受付済み・オープンファクトリー）", "人"),
];

/// Writes the event's counts — sites, confirmed visitors over all slots, visitors
/// checked in — into the linked initiative's KPIs of the event's 年度; the
/// initiative's keepers only. Sites of invented companies (「デモ」) are left out and
/// said so; an event with none else is refused. Returns the initiative's title and
/// the year.
pub async fn feed_kpis(
    store: &Store,
    actor: &Actor,
    event_key: &str,
) -> Result<(String, domain::FiscalYear), StoreError> {
    let all = of_event(store, organised(store, actor, event_key).await?).await?;
    let Some((initiative_key, title)) = all.event.initiative.clone() else {
        return Err(StoreError::Conflict(format!(
            "「{}」は施策に関連付けられていないため、KPIに反映できません。",
            all.event.title
        )));
    };
    if all.sites.is_empty() {
        return Err(StoreError::Conflict(
            "会場（工場）がまだ登録されていません。".into(),
        ));
    }
    let fy = domain::FiscalYear::containing(all.event.time.first_day());
    let real: Vec<&Site> = all.sites.iter().filter(|s| !s.invented).collect();
    let invented = all.sites.len() - real.len();
    crate::demo::refuse_only_invented(fy, "会場", real.len(), invented)?;
    let tours: Vec<i64> = real
        .iter()
        .flat_map(|s| s.tours.iter().map(|t| t.id))
        .collect();
    let checked_in: u32 = registrations::rows_of(&store.db, all.event.id)
        .await?
        .iter()
        .filter(|r| {
            r.attended
                && r.status == RegistrationStatus::Confirmed
                && r.tour_id.is_some_and(|t| tours.contains(&t))
        })
        .map(|r| r.attendees)
        .sum();
    let visitors: u32 = real.iter().map(|s| s.visitors()).sum();
    let figures: Vec<crate::catalogue::KpiFigure> = KPI_LABELS
        .iter()
        .zip([real.len() as u32, visitors, checked_in])
        .map(|((label, unit), value)| crate::catalogue::KpiFigure {
            label: (*label).to_owned(),
            value: f64::from(value),
            unit: (*unit).to_owned(),
        })
        .collect();
    crate::catalogue::feed_kpis(
        store,
        actor,
        &initiative_key,
        fy,
        &figures,
        &crate::demo::counted_from(
            &format!("「{}」の会場別の来場申込", all.event.title),
            invented,
        ),
    )
    .await?;
    Ok((title, fy))
}
