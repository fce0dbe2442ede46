//! The districts and sites of the demonstration data (`data/council/places.toml`):
//! 東大阪市's designations of 平成28年度 as the document records them, and invented
//! sites (「デモ」) with one invented enquiry, loaded when the register is empty.

use chrono::{NaiveDate, Utc};
use domain::places::{DistrictKind, EnquiryStage, Position, Tenure};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde::Deserialize;

use crate::entity::{company, district, industrial_site, site_enquiry, site_enquiry_step};
use crate::organisations;
use crate::write::{Action, Audited, Entity};
use crate::{Store, StoreError};

const PLACES_TOML: &str = include_str!("../../../data/council/places.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    district: Vec<DistrictRecord>,
    #[serde(default)]
    site: Vec<SiteRecord>,
    #[serde(default)]
    enquiry: Vec<EnquiryRecord>,
    #[serde(default)]
    open_factory: Vec<OpenFactoryRecord>,
}

/// A site of an event spread over many sites, with its tour slots as the form's
/// lines (`2017-11-24 10:00-11:00 10`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenFactoryRecord {
    event: String,
    company: String,
    programme: String,
    description: String,
    tours: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DistrictRecord {
    key: String,
    owner: String,
    kind: String,
    name: String,
    rules: String,
    #[serde(default)]
    designated_on: Option<String>,
    designated_fy: Option<i32>,
    #[serde(default)]
    documents_url: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteRecord {
    key: String,
    #[serde(default)]
    invented: bool,
    owner: String,
    #[serde(default)]
    district: String,
    name: String,
    address: String,
    area_m2: f64,
    zoning: String,
    tenure: String,
    #[serde(default)]
    price_note: String,
    #[serde(default)]
    incentives: String,
    lat: f64,
    lon: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnquiryRecord {
    key: String,
    site: String,
    company: String,
    message: String,
    steps: Vec<(String, String, String)>,
}

fn broken(what: String) -> StoreError {
    StoreError::Config(format!("data/council/places.toml: {what}"))
}

/// Loads the register when it has no district yet. Returns how many records were loaded.
pub async fn load_if_empty(store: &Store) -> Result<usize, StoreError> {
    if district::Entity::find().count(&store.db).await? > 0 {
        return Ok(0);
    }
    let file: File = toml::from_str(PLACES_TOML).map_err(|e| broken(e.to_string()))?;
    let directory = organisations::directory(store).await?;
    let owner = |key: &str| {
        directory
            .organisation_by_key(key)
            .filter(|o| o.city.is_some())
            .ok_or_else(|| broken(format!("organisation {key}")))
    };
    let day = |text: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| broken(format!("date {text}")))
    };
    store
        .write(None, async |w| {
            let now = Utc::now();
            let mut districts = std::collections::HashMap::new();
            for d in &file.district {
                let o = owner(&d.owner)?;
                let kind = DistrictKind::parse(&d.kind)
                    .ok_or_else(|| broken(format!("district {}: kind", d.key)))?;
                let row = district::ActiveModel {
                    key: Set(d.key.clone()),
                    owner_organisation_id: Set(o.id),
                    city_id: Set(o.city.as_ref().map(|c| c.id).unwrap_or_default()),
                    name: Set(d.name.clone()),
                    kind: Set(kind.code().to_owned()),
                    rules: Set(d.rules.clone()),
                    designated_on: Set(match &d.designated_on {
                        Some(text) => Some(day(text)?.to_string()),
                        None => None,
                    }),
                    designated_fy: Set(d.designated_fy),
                    documents_url: Set(d.documents_url.clone()),
                    source: Set(String::new()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(w.txn())
                .await?;
                districts.insert(d.key.clone(), row.id);
            }
            let mut sites = std::collections::HashMap::new();
            for s in &file.site {
                let o = owner(&s.owner)?;
                let tenure = Tenure::parse(&s.tenure)
                    .ok_or_else(|| broken(format!("site {}: tenure", s.key)))?;
                let position = Position::parse(&s.lat.to_string(), &s.lon.to_string())
                    .map_err(|_| broken(format!("site {}: position", s.key)))?;
                let row = industrial_site::ActiveModel {
                    key: Set(s.key.clone()),
                    owner_organisation_id: Set(o.id),
                    city_id: Set(o.city.as_ref().map(|c| c.id).unwrap_or_default()),
                    district_id: Set(districts.get(&s.district).copied()),
                    name: Set(s.name.clone()),
                    address: Set(s.address.clone()),
                    area_m2: Set(s.area_m2),
                    zoning: Set(s.zoning.clone()),
                    tenure: Set(tenure.code().to_owned()),
                    price_note: Set(s.price_note.clone()),
                    incentives: Set(s.incentives.clone()),
                    lat: Set(position.map(|p| p.lat)),
                    lon: Set(position.map(|p| p.lon)),
                    closed: Set(false),
                    source: Set(if s.invented {
                        crate::demo::COMPANY_SOURCE.to_owned()
                    } else {
                        String::new()
                    }),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(w.txn())
                .await?;
                sites.insert(s.key.clone(), row.id);
            }
            for e in &file.enquiry {
                let site_id = *sites
                    .get(&e.site)
                    .ok_or_else(|| broken(format!("enquiry {}: site", e.key)))?;
                // The directory's demonstration companies may be absent (a database
                // whose directory was imported instead): the enquiry is left out.
                let Some(company) = company::Entity::find()
                    .filter(company::Column::Key.eq(e.company.as_str()))
                    .one(w.txn())
                    .await?
                else {
                    continue;
                };
                let mut steps = Vec::new();
                for (stage, date, note) in &e.steps {
                    let stage = EnquiryStage::parse(stage)
                        .ok_or_else(|| broken(format!("enquiry {}: stage", e.key)))?;
                    steps.push((stage, day(date)?, note.clone()));
                }
                let (Some(first), Some(last)) = (steps.first(), steps.last()) else {
                    return Err(broken(format!("enquiry {}: no steps", e.key)));
                };
                let row = site_enquiry::ActiveModel {
                    key: Set(e.key.clone()),
                    site_id: Set(site_id),
                    company_id: Set(company.id),
                    requested_by: Set(None),
                    message: Set(e.message.clone()),
                    stage: Set(last.0.code().to_owned()),
                    started_on: Set(first.1.to_string()),
                    updated_on: Set(last.1.to_string()),
                    created_at: Set(crate::demo::japan_morning(first.1)),
                    updated_at: Set(crate::demo::japan_morning(last.1)),
                    ..Default::default()
                }
                .insert(w.txn())
                .await?;
                for (stage, on, note) in &steps {
                    site_enquiry_step::ActiveModel {
                        enquiry_id: Set(row.id),
                        stage: Set(stage.code().to_owned()),
                        on_date: Set(on.to_string()),
                        note: Set(note.clone()),
                        user_email: Set("seed".into()),
                        at: Set(crate::demo::japan_morning(*on)),
                        ..Default::default()
                    }
                    .insert(w.txn())
                    .await?;
                }
            }
            let opened = seed_open_factory(w, &file.open_factory).await?;
            w.audit(Audited::new(
                Action::Seed,
                Entity::District,
                "places",
                None,
                format!(
                    "地区{}件・用地{}件（デモ）・工場公開の会場{opened}件（デモ）を登録",
                    file.district.len(),
                    file.site.len()
                ),
            ));
            Ok(file.district.len() + file.site.len())
        })
        .await
}

/// The invented sites of 大田区's open factory, with their slots checked by the
/// form's rule; a site whose event or company is absent (another directory) is left
/// out. Returns how many were loaded.
async fn seed_open_factory(
    w: &mut crate::write::Writing<'_>,
    records: &[OpenFactoryRecord],
) -> Result<usize, StoreError> {
    use crate::entity::event;
    use domain::events::EventTime;
    let mut loaded = 0;
    for r in records {
        let Some(event) = event::Entity::find()
            .filter(event::Column::Key.eq(r.event.as_str()))
            .one(w.txn())
            .await?
        else {
            continue;
        };
        let Some(company) = company::Entity::find()
            .filter(company::Column::Key.eq(r.company.as_str()))
            .one(w.txn())
            .await?
            .filter(|c| c.public)
        else {
            continue;
        };
        let (Some(first), Some(last)) = (
            EventTime::from_stored(&event.starts_at),
            EventTime::from_stored(&event.ends_at),
        ) else {
            return Err(broken(format!("open_factory {}: event time", r.company)));
        };
        let tours =
            domain::open_factory::parse_tours(&r.tours.join("\n"), first.date(), last.date())
                .map_err(|e| broken(format!("open_factory {}: {}", r.company, e.reason)))?;
        let draft = domain::open_factory::SiteDraft {
            company: r.company.clone(),
            programme: r.programme.clone(),
            description: r.description.clone(),
            address: String::new(),
            tours,
        };
        crate::open_factory::insert_site(w.txn(), event.id, company.id, &draft).await?;
        loaded += 1;
    }
    Ok(loaded)
}
