//! Districts and industrial sites (東大阪市の工業保全型特別用途地区・地区計画, 工場誘致の
//! 優遇策): each city's public register, kept by that city's staff (the secretariat for
//! all); and the enquiries companies send about a site, tracked like a negotiation
//! (受付 → 回答 → 見学 → 成約/見送り) with dated steps, whose figures feed the
//! initiative's KPIs the way the negotiations' do ([`feed_kpis`]).
//!
//! An enquiry is told to the staff of the organisation keeping the site; each step
//! they record is told to the enquiring company's members (お知らせ and mail).

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use domain::places::{DistrictDraft, DistrictKind, EnquiryStage, Position, SiteDraft, Tenure};
use domain::text::{optional_text, required_line};
use domain::{Actor, FiscalYear, Invalid, Role};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::entity::{company, district, industrial_site, site_enquiry, site_enquiry_step};
use crate::notices::{self, Notice, Programme};
use crate::organisations::{self, Directory, Organisation};
use crate::write::{Action, Audited, Entity};
use crate::{Store, StoreError};

/// A district of a city's register.
#[derive(Debug, Clone, PartialEq)]
pub struct District {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub kind: DistrictKind,
    pub rules: String,
    pub designated_on: Option<NaiveDate>,
    pub designated_fy: Option<i32>,
    pub documents_url: String,
    pub city_key: String,
    pub city_name: String,
    pub owner: Organisation,
    /// Invented demonstration data (「デモ」).
    pub demo: bool,
}

impl District {
    /// 「2016-07-01（平成28年度）」, or the fiscal year alone when only that is known.
    pub fn designation(&self) -> String {
        let fy = self
            .designated_fy
            .and_then(|y| FiscalYear::new(y).ok())
            .map(|fy| fy.label());
        match (self.designated_on, fy) {
            (Some(day), Some(fy)) => format!("{day}（{fy}）"),
            (Some(day), None) => day.to_string(),
            (None, Some(fy)) => format!("{fy}（日付は記録なし）"),
            (None, None) => "未記録".to_owned(),
        }
    }
}

/// An industrial site offered by a city.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub address: String,
    pub area_m2: f64,
    pub zoning: String,
    pub tenure: Tenure,
    pub price_note: String,
    pub incentives: String,
    /// The district it lies in: (key, name).
    pub district: Option<(String, String)>,
    pub position: Option<Position>,
    pub closed: bool,
    pub city_key: String,
    pub city_name: String,
    pub owner: Organisation,
    /// Invented demonstration data (「デモ」).
    pub demo: bool,
}

impl Site {
    /// The area as a clerk writes it: 「1,250.5㎡」.
    pub fn area_label(&self) -> String {
        let whole = self.area_m2.trunc() as i64;
        let fraction = ((self.area_m2 - self.area_m2.trunc()) * 100.0).round() as i64;
        let digits = whole.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if fraction == 0 {
            format!("{grouped}㎡")
        } else {
            format!(
                "{grouped}.{}㎡",
                format!("{fraction:02}").trim_end_matches('0')
            )
        }
    }

    /// Whether `actor` keeps the site (its organisation's staff, the secretariat).
    pub fn kept_by(&self, actor: Option<&Actor>) -> bool {
        actor.is_some_and(|a| a.may_edit_catalogue_of(self.owner.id))
    }
}

/// The public register: districts and sites, of one city or of all.
#[derive(Debug, Clone, Default)]
pub struct Register {
    pub districts: Vec<District>,
    pub sites: Vec<Site>,
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn owner_of(directory: &Directory, id: i64) -> Result<Organisation, StoreError> {
    directory
        .organisation(id)
        .cloned()
        .ok_or_else(|| StoreError::Config(format!("organisation {id} is missing")))
}

fn city_of(directory: &Directory, id: i64) -> (String, String) {
    directory
        .cities
        .iter()
        .find(|c| c.id == id)
        .map(|c| (c.key.clone(), c.name.clone()))
        .unwrap_or_default()
}

async fn load_districts(
    db: &impl ConnectionTrait,
    directory: &Directory,
) -> Result<Vec<District>, StoreError> {
    let rows = district::Entity::find()
        .order_by_asc(district::Column::CityId)
        .order_by_asc(district::Column::Id)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|row| {
            let (city_key, city_name) = city_of(directory, row.city_id);
            Ok(District {
                id: row.id,
                key: row.key,
                name: row.name,
                kind: DistrictKind::parse(&row.kind).unwrap_or(DistrictKind::Other),
                rules: row.rules,
                designated_on: row.designated_on.as_deref().and_then(parse_date),
                designated_fy: row.designated_fy,
                documents_url: row.documents_url,
                city_key,
                city_name,
                owner: owner_of(directory, row.owner_organisation_id)?,
                demo: crate::demo::is_demo_company(&row.source),
            })
        })
        .collect()
}

async fn load_sites(
    db: &impl ConnectionTrait,
    directory: &Directory,
    key: Option<&str>,
) -> Result<Vec<Site>, StoreError> {
    let districts: HashMap<i64, (String, String)> = district::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, (d.key, d.name)))
        .collect();
    let mut query = industrial_site::Entity::find();
    if let Some(key) = key {
        query = query.filter(industrial_site::Column::Key.eq(key));
    }
    let rows = query
        .order_by_asc(industrial_site::Column::CityId)
        .order_by_asc(industrial_site::Column::Id)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|row| {
            let (city_key, city_name) = city_of(directory, row.city_id);
            Ok(Site {
                id: row.id,
                key: row.key,
                name: row.name,
                address: row.address,
                area_m2: row.area_m2,
                zoning: row.zoning,
                tenure: Tenure::parse(&row.tenure).unwrap_or(Tenure::Either),
                price_note: row.price_note,
                incentives: row.incentives,
                district: row.district_id.and_then(|id| districts.get(&id).cloned()),
                position: row.lat.zip(row.lon).map(|(lat, lon)| Position { lat, lon }),
                closed: row.closed,
                city_key,
                city_name,
                owner: owner_of(directory, row.owner_organisation_id)?,
                demo: crate::demo::is_demo_company(&row.source),
            })
        })
        .collect()
}

/// The register of one city (`city` key) or of all (public).
pub async fn register(store: &Store, city: Option<&str>) -> Result<Register, StoreError> {
    let directory = organisations::directory(store).await?;
    let mut districts = load_districts(&store.db, &directory).await?;
    let mut sites = load_sites(&store.db, &directory, None).await?;
    if let Some(city) = city.filter(|c| !c.is_empty()) {
        districts.retain(|d| d.city_key == city);
        sites.retain(|s| s.city_key == city);
    }
    Ok(Register { districts, sites })
}

/// One site (public).
pub async fn site(store: &Store, key: &str) -> Result<Site, StoreError> {
    let directory = organisations::directory(store).await?;
    load_sites(&store.db, &directory, Some(key))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::not_found("用地"))
}

/// One district (public).
pub async fn district(store: &Store, key: &str) -> Result<District, StoreError> {
    let directory = organisations::directory(store).await?;
    load_districts(&store.db, &directory)
        .await?
        .into_iter()
        .find(|d| d.key == key)
        .ok_or_else(|| StoreError::not_found("地区"))
}

/// The organisation a new record is kept by: the one chosen (the secretariat chooses
/// any; staff only their own), which must be of a city.
fn keeper(
    directory: &Directory,
    actor: &Actor,
    organisation: &str,
) -> Result<Organisation, StoreError> {
    let chosen = directory.keeper(actor, organisation, "地区・用地")?;
    if chosen.city.is_none() {
        return Err(Invalid::new(
            "organisation",
            "地区・用地は市区または商工会議所の団体で登録してください。",
        )
        .into());
    }
    Ok(chosen.clone())
}

fn district_snapshot(d: &DistrictDraft) -> serde_json::Value {
    json!({"name": d.name, "kind": d.kind.code(), "rules": d.rules,
        "designated_on": d.designated_on.map(|d| d.to_string()), "designated_fy": d.designated_fy,
        "documents_url": d.documents_url})
}

/// Adds a district to a city's register. Returns its key.
pub async fn create_district(
    store: &Store,
    actor: &Actor,
    organisation: &str,
    draft: &DistrictDraft,
) -> Result<String, StoreError> {
    let directory = organisations::directory(store).await?;
    let owner = keeper(&directory, actor, organisation)?;
    let city_id = owner.city.as_ref().map(|c| c.id).unwrap_or_default();
    let key = format!("d{}", crate::random_hex::<4>());
    store
        .write(Some(actor), async |w| {
            let now = Utc::now();
            district::ActiveModel {
                key: Set(key.clone()),
                owner_organisation_id: Set(owner.id),
                city_id: Set(city_id),
                name: Set(draft.name.clone()),
                kind: Set(draft.kind.code().to_owned()),
                rules: Set(draft.rules.clone()),
                designated_on: Set(draft.designated_on.map(|d| d.to_string())),
                designated_fy: Set(draft.designated_fy),
                documents_url: Set(draft.documents_url.clone()),
                source: Set(String::new()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(w.txn())
            .await?;
            w.audit(
                Audited::new(
                    Action::Create,
                    Entity::District,
                    key.clone(),
                    Some(owner.id),
                    format!("地区「{}」を登録", draft.name),
                )
                .after(district_snapshot(draft)),
            );
            Ok(key.clone())
        })
        .await
}

/// Changes a district: the keeping organisation's staff and the secretariat.
pub async fn update_district(
    store: &Store,
    actor: &Actor,
    key: &str,
    draft: &DistrictDraft,
) -> Result<(), StoreError> {
    let before = district(store, key).await?;
    if !actor.may_edit_catalogue_of(before.owner.id) {
        return Err(StoreError::forbidden(format!(
            "「{}」は{}の地区のため編集できません。",
            before.name, before.owner.name
        )));
    }
    store
        .write(Some(actor), async |w| {
            district::ActiveModel {
                id: Set(before.id),
                name: Set(draft.name.clone()),
                kind: Set(draft.kind.code().to_owned()),
                rules: Set(draft.rules.clone()),
                designated_on: Set(draft.designated_on.map(|d| d.to_string())),
                designated_fy: Set(draft.designated_fy),
                documents_url: Set(draft.documents_url.clone()),
                updated_at: Set(Utc::now()),
                ..Default::default()
            }
            .update(w.txn())
            .await?;
            w.audit(
                Audited::new(
                    Action::Update,
                    Entity::District,
                    key,
                    Some(before.owner.id),
                    format!("地区「{}」を変更", draft.name),
                )
                .before(
                    json!({"name": before.name, "kind": before.kind.code(), "rules": before.rules}),
                )
                .after(district_snapshot(draft)),
            );
            Ok(())
        })
        .await
}

/// The district a site names, which must be of the same city.
async fn district_for_site(
    db: &impl ConnectionTrait,
    key: &str,
    city_id: i64,
) -> Result<Option<i64>, StoreError> {
    if key.is_empty() {
        return Ok(None);
    }
    match district::Entity::find()
        .filter(district::Column::Key.eq(key))
        .one(db)
        .await?
    {
        Some(row) if row.city_id == city_id => Ok(Some(row.id)),
        _ => Err(Invalid::new("district", "同じ市区の地区を選んでください。").into()),
    }
}

fn site_snapshot(d: &SiteDraft) -> serde_json::Value {
    json!({"name": d.name, "address": d.address, "area_m2": d.area_m2, "zoning": d.zoning,
        "tenure": d.tenure.code(), "price_note": d.price_note, "incentives": d.incentives,
        "district": d.district, "lat": d.position.map(|p| p.lat), "lon": d.position.map(|p| p.lon),
        "closed": d.closed})
}

/// Adds an industrial site to a city's register. Returns its key.
pub async fn create_site(
    store: &Store,
    actor: &Actor,
    organisation: &str,
    draft: &SiteDraft,
) -> Result<String, StoreError> {
    let directory = organisations::directory(store).await?;
    let owner = keeper(&directory, actor, organisation)?;
    let city_id = owner.city.as_ref().map(|c| c.id).unwrap_or_default();
    let key = format!("s{}", crate::random_hex::<4>());
    store
        .write(Some(actor), async |w| {
            let district_id = district_for_site(w.txn(), &draft.district, city_id).await?;
            let now = Utc::now();
            industrial_site::ActiveModel {
                key: Set(key.clone()),
                owner_organisation_id: Set(owner.id),
                city_id: Set(city_id),
                district_id: Set(district_id),
                name: Set(draft.name.clone()),
                address: Set(draft.address.clone()),
                area_m2: Set(draft.area_m2),
                zoning: Set(draft.zoning.clone()),
                tenure: Set(draft.tenure.code().to_owned()),
                price_note: Set(draft.price_note.clone()),
                incentives: Set(draft.incentives.clone()),
                lat: Set(draft.position.map(|p| p.lat)),
                lon: Set(draft.position.map(|p| p.lon)),
                closed: Set(draft.closed),
                source: Set(String::new()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(w.txn())
            .await?;
            w.audit(
                Audited::new(
                    Action::Create,
                    Entity::IndustrialSite,
                    key.clone(),
                    Some(owner.id),
                    format!("用地「{}」を登録", draft.name),
                )
                .after(site_snapshot(draft)),
            );
            Ok(key.clone())
        })
        .await
}

/// Changes a site: the keeping organisation's staff and the secretariat.
pub async fn update_site(
    store: &Store,
    actor: &Actor,
    key: &str,
    draft: &SiteDraft,
) -> Result<(), StoreError> {
    let before = site(store, key).await?;
    if !before.kept_by(Some(actor)) {
        return Err(StoreError::forbidden(format!(
            "「{}」は{}の用地のため編集できません。",
            before.name, before.owner.name
        )));
    }
    let city_id = before.owner.city.as_ref().map(|c| c.id).unwrap_or_default();
    store
        .write(Some(actor), async |w| {
            let district_id = district_for_site(w.txn(), &draft.district, city_id).await?;
            industrial_site::ActiveModel {
                id: Set(before.id),
                district_id: Set(district_id),
                name: Set(draft.name.clone()),
                address: Set(draft.address.clone()),
                area_m2: Set(draft.area_m2),
                zoning: Set(draft.zoning.clone()),
                tenure: Set(draft.tenure.code().to_owned()),
                price_note: Set(draft.price_note.clone()),
                incentives: Set(draft.incentives.clone()),
                lat: Set(draft.position.map(|p| p.lat)),
                lon: Set(draft.position.map(|p| p.lon)),
                closed: Set(draft.closed),
                updated_at: Set(Utc::now()),
                ..Default::default()
            }
            .update(w.txn())
            .await?;
            w.audit(
                Audited::new(
                    Action::Update,
                    Entity::IndustrialSite,
                    key,
                    Some(before.owner.id),
                    format!("用地「{}」を変更", draft.name),
                )
                .before(json!({"name": before.name, "area_m2": before.area_m2,
                    "tenure": before.tenure.code(), "closed": before.closed}))
                .after(site_snapshot(draft)),
            );
            Ok(())
        })
        .await
}

// ---------------------------------------------------------------- enquiries

#[derive(Debug, Clone, PartialEq)]
pub struct EnquiryStep {
    pub stage: EnquiryStage,
    pub on_date: NaiveDate,
    pub note: String,
    pub user_email: String,
}

/// A company's enquiry about a site.
#[derive(Debug, Clone, PartialEq)]
pub struct Enquiry {
    pub id: i64,
    pub key: String,
    pub site_key: String,
    pub site_name: String,
    pub site_owner: Organisation,
    pub company_id: i64,
    pub company_key: String,
    pub company_name: String,
    pub company_city: String,
    pub message: String,
    pub stage: EnquiryStage,
    pub started_on: NaiveDate,
    pub updated_on: NaiveDate,
    pub steps: Vec<EnquiryStep>,
    /// About an invented site or from an invented company (「デモ」): never counted.
    pub demo: bool,
}

impl Enquiry {
    /// Whether `actor` answers and moves it on: the staff keeping the site and the
    /// secretariat.
    pub fn answerable_by(&self, actor: Option<&Actor>) -> bool {
        actor.is_some_and(|a| a.may_edit_catalogue_of(self.site_owner.id))
    }

    /// Whether `actor` sees it: those who answer, and the enquiring company's members.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        self.answerable_by(Some(actor)) || actor.company_id == Some(self.company_id)
    }

    pub fn reached(&self, stage: EnquiryStage) -> bool {
        self.stage == stage || self.steps.iter().any(|s| s.stage == stage)
    }
}

async fn load_enquiries(
    db: &impl ConnectionTrait,
    directory: &Directory,
    key: Option<&str>,
) -> Result<Vec<Enquiry>, StoreError> {
    let mut query = site_enquiry::Entity::find();
    if let Some(key) = key {
        query = query.filter(site_enquiry::Column::Key.eq(key));
    }
    let rows = query
        .order_by_desc(site_enquiry::Column::UpdatedOn)
        .order_by_desc(site_enquiry::Column::Id)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let sites: HashMap<i64, industrial_site::Model> = industrial_site::Entity::find()
        .filter(industrial_site::Column::Id.is_in(rows.iter().map(|r| r.site_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let companies: HashMap<i64, company::Model> = company::Entity::find()
        .filter(company::Column::Id.is_in(rows.iter().map(|r| r.company_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut steps: HashMap<i64, Vec<EnquiryStep>> = HashMap::new();
    for chunk in rows.chunks(500) {
        for row in site_enquiry_step::Entity::find()
            .filter(site_enquiry_step::Column::EnquiryId.is_in(chunk.iter().map(|r| r.id)))
            .order_by_asc(site_enquiry_step::Column::Id)
            .all(db)
            .await?
        {
            steps.entry(row.enquiry_id).or_default().push(EnquiryStep {
                stage: EnquiryStage::parse(&row.stage).unwrap_or(EnquiryStage::Received),
                on_date: parse_date(&row.on_date).unwrap_or_default(),
                note: row.note,
                user_email: row.user_email,
            });
        }
    }
    let mut enquiries = Vec::new();
    for row in rows {
        let (Some(site), Some(company)) = (sites.get(&row.site_id), companies.get(&row.company_id))
        else {
            continue;
        };
        enquiries.push(Enquiry {
            id: row.id,
            key: row.key,
            site_key: site.key.clone(),
            site_name: site.name.clone(),
            site_owner: owner_of(directory, site.owner_organisation_id)?,
            company_id: company.id,
            company_key: company.key.clone(),
            company_name: company.name.clone(),
            company_city: company
                .city_id
                .map(|id| city_of(directory, id).1)
                .unwrap_or_default(),
            message: row.message,
            stage: EnquiryStage::parse(&row.stage).unwrap_or(EnquiryStage::Received),
            started_on: parse_date(&row.started_on).unwrap_or_default(),
            updated_on: parse_date(&row.updated_on).unwrap_or_default(),
            steps: steps.remove(&row.id).unwrap_or_default(),
            demo: crate::demo::is_demo_company(&site.source)
                || crate::demo::is_demo_company(&company.source),
        });
    }
    Ok(enquiries)
}

/// The enquiries `actor` sees (their organisation's sites', their company's; all for
/// the secretariat).
pub async fn enquiries(store: &Store, actor: &Actor) -> Result<Vec<Enquiry>, StoreError> {
    let directory = organisations::directory(store).await?;
    Ok(load_enquiries(&store.db, &directory, None)
        .await?
        .into_iter()
        .filter(|e| e.visible_to(actor))
        .collect())
}

/// One enquiry, for those who see it.
pub async fn enquiry(store: &Store, actor: &Actor, key: &str) -> Result<Enquiry, StoreError> {
    let directory = organisations::directory(store).await?;
    load_enquiries(&store.db, &directory, Some(key))
        .await?
        .into_iter()
        .find(|e| e.visible_to(actor))
        .ok_or_else(|| StoreError::not_found("問合せ"))
}

async fn insert_step(
    db: &impl ConnectionTrait,
    enquiry_id: i64,
    stage: EnquiryStage,
    on_date: NaiveDate,
    note: &str,
    actor: &Actor,
) -> Result<(), StoreError> {
    site_enquiry_step::ActiveModel {
        enquiry_id: Set(enquiry_id),
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

/// A company member sends an enquiry about a site (受付, dated today); the staff
/// keeping the site are told. Returns the enquiry's key.
pub async fn enquire(
    store: &Store,
    actor: &Actor,
    site_key: &str,
    message: &str,
) -> Result<String, StoreError> {
    let site = site(store, site_key).await?;
    let (Role::Company, Some(company_id)) = (actor.role, actor.company_id) else {
        return Err(StoreError::forbidden(
            "用地の問合せは企業会員のアカウントから送ってください。",
        ));
    };
    if site.closed {
        return Err(StoreError::Conflict(format!(
            "「{}」は募集を終了しています。",
            site.name
        )));
    }
    let message = required_line("message", message, 2000).map_err(StoreError::from)?;
    let company = company::Entity::find_by_id(company_id)
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("企業"))?;
    let today = domain::time::japan_today();
    let key = format!("q{}", crate::random_hex::<4>());
    store
        .write(Some(actor), async |w| {
            let now = Utc::now();
            let row = site_enquiry::ActiveModel {
                key: Set(key.clone()),
                site_id: Set(site.id),
                company_id: Set(company.id),
                requested_by: Set(Some(actor.user_id)),
                message: Set(message.clone()),
                stage: Set(EnquiryStage::Received.code().to_owned()),
                started_on: Set(today.to_string()),
                updated_on: Set(today.to_string()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(w.txn())
            .await?;
            insert_step(w.txn(), row.id, EnquiryStage::Received, today, &message, actor).await?;
            let what = Notice::new(
                Programme::Negotiations,
                (Some(site.owner.id), &site.owner.name),
                format!("【用地の問合せ】{}から「{}」について", company.name, site.name),
                format!(
                    "{}（{}）から、用地「{}」について問合せがありました。\n\n{}\n\n問合せのページで回答を記録してください。",
                    company.name,
                    actor.email,
                    site.name,
                    message
                ),
                format!("/enquiries/{key}"),
                format!(
                    "このメールは、{}が登録している用地「{}」への問合せのためお送りしています。",
                    site.owner.name, site.name
                ),
            );
            let staff = notices::organisation_staff(w.txn(), site.owner.id).await?;
            notices::notify_all(w.txn(), &staff, &what).await?;
            w.audit(
                Audited::new(
                    Action::Create,
                    Entity::SiteEnquiry,
                    key.clone(),
                    Some(site.owner.id),
                    format!("{}が用地「{}」について問合せ", company.name, site.name),
                )
                .after(json!({"site": site.key, "company": company.key, "message": message})),
            );
            Ok(key.clone())
        })
        .await
}

/// The enquiry `key` if `actor` may answer it: 404 when there is none, 403 (in
/// Japanese) for anyone but the staff keeping its site and the secretariat.
pub async fn answerable(store: &Store, actor: &Actor, key: &str) -> Result<Enquiry, StoreError> {
    let directory = organisations::directory(store).await?;
    let found = load_enquiries(&store.db, &directory, Some(key))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::not_found("問合せ"))?;
    if !found.answerable_by(Some(actor)) {
        return Err(StoreError::forbidden(format!(
            "この問合せは{}の用地へのものです。回答・経過の記録は{}の職員のみが行えます。",
            found.site_owner.name, found.site_owner.name
        )));
    }
    Ok(found)
}

/// The staff keeping the site record the next step (回答, 見学, 成約 or 見送り) with
/// its date and a note; the enquiring company's members are told. Others get 403.
pub async fn advance(
    store: &Store,
    actor: &Actor,
    key: &str,
    stage: EnquiryStage,
    on_date: NaiveDate,
    note: &str,
) -> Result<Enquiry, StoreError> {
    let before = answerable(store, actor, key).await?;
    let note = optional_text("note", note, 2000)?;
    let mut errors = Vec::new();
    if let Err(wrong) = before.stage.may_move_to(stage) {
        errors.push(wrong);
    }
    if on_date < before.updated_on {
        errors.push(Invalid::new(
            "on_date",
            format!(
                "日付は前回の記録（{}）以降にしてください。",
                before.updated_on
            ),
        ));
    }
    if stage == EnquiryStage::Answered && note.is_empty() {
        errors.push(Invalid::new("note", "回答の内容を入力してください。"));
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    store
        .write(Some(actor), async |w| {
            site_enquiry::ActiveModel {
                id: Set(before.id),
                stage: Set(stage.code().to_owned()),
                updated_on: Set(on_date.to_string()),
                updated_at: Set(Utc::now()),
                ..Default::default()
            }
            .update(w.txn())
            .await?;
            insert_step(w.txn(), before.id, stage, on_date, &note, actor).await?;
            let what = Notice::new(
                Programme::Negotiations,
                (Some(before.site_owner.id), &before.site_owner.name),
                format!(
                    "【用地の問合せ】「{}」：{}",
                    before.site_name,
                    stage.label()
                ),
                format!(
                    "{}様の用地「{}」への問合せについて、{}が「{}」を記録しました（{}）。{}",
                    before.company_name,
                    before.site_name,
                    before.site_owner.name,
                    stage.label(),
                    on_date,
                    if note.is_empty() {
                        String::new()
                    } else {
                        format!("\n\n{note}")
                    }
                ),
                format!("/enquiries/{}", before.key),
                format!(
                    "このメールは、{}が{}の用地について問合せをされたためお送りしています。",
                    before.company_name, before.site_owner.name
                ),
            );
            let members = notices::company_members(w.txn(), before.company_id).await?;
            notices::notify_all(w.txn(), &members, &what).await?;
            w.audit(
                Audited::new(
                    Action::Update,
                    Entity::SiteEnquiry,
                    key,
                    Some(before.site_owner.id),
                    format!(
                        "用地「{}」への{}の問合せを「{}」に更新",
                        before.site_name,
                        before.company_name,
                        stage.label()
                    ),
                )
                .before(json!({"stage": before.stage.code(), "updated_on": before.updated_on.to_string()}))
                .after(json!({"stage": stage.code(), "updated_on": on_date.to_string(), "note": note})),
            );
            Ok(())
        })
        .await?;
    enquiry(store, actor, key).await
}

/// What the enquiries add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// 用地の問合せ件数.
    pub enquiries: u64,
    /// 見学件数.
    pub visits: u64,
    /// 成約件数.
    pub contracts: u64,
    pub declined: u64,
}

impl Figures {
    fn add(&mut self, e: &Enquiry) {
        self.enquiries += 1;
        if e.reached(EnquiryStage::Visit) {
            self.visits += 1;
        }
        if e.reached(EnquiryStage::Contracted) {
            self.contracts += 1;
        }
        if e.stage == EnquiryStage::Declined {
            self.declined += 1;
        }
    }
}

/// The labels under which the figures are written into an initiative's KPIs.
pub const KPI_LABELS: [&str; 3] = ["用地の問合せ件数", "見学件数", "成約件数"];

/// Writes an organisation's enquiry figures of fiscal year `fy` (by the date each
/// enquiry arrived) into the KPIs of one of its initiatives, as the negotiations'
/// figures are ([`crate::negotiations::feed_kpis`]): through the catalogue, so the
/// change is authorised and audited like a typed one; invented enquiries (「デモ」)
/// are never counted. Returns the figures written.
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
    let directory = organisations::directory(store).await?;
    let (invented, real): (Vec<_>, Vec<_>) = load_enquiries(&store.db, &directory, None)
        .await?
        .into_iter()
        .filter(|e| {
            e.site_owner.id == initiative.organisation.id
                && FiscalYear::containing(e.started_on) == fy
        })
        .partition(|e| e.demo);
    crate::demo::refuse_only_invented(fy, "用地の問合せ記録", real.len(), invented.len())?;
    let mut figures = Figures::default();
    for e in &real {
        figures.add(e);
    }
    let written: Vec<crate::catalogue::KpiFigure> = KPI_LABELS
        .iter()
        .zip([figures.enquiries, figures.visits, figures.contracts])
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
        &written,
        &crate::demo::counted_from("用地の問合せ記録", invented.len()),
    )
    .await?;
    Ok(figures)
}
