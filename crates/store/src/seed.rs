//! The council's own data, encoded from the source document in `data/council/*.toml`
//! and embedded in the binary, so that `renkei serve` on an empty database starts
//! with every organisation, partner and initiative of the report. Every value goes
//! through the domain's rules on the way in: a typo in the data fails loudly.

use std::collections::HashMap;

use chrono::Utc;
use domain::{EntryStatus, FiscalYear, KpiValue, LocalGovCode, Pillar};
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
use serde::Deserialize;

use crate::audit::{self, Change};
use crate::entity::{
    city, fiscal_entry, initiative, initiative_partner, initiative_pillar, kpi, organisation,
    partner,
};
use crate::{Store, StoreError};

/// The document's letterhead: its title, preamble and section titles.
pub const DOCUMENT_TOML: &str = include_str!("../../../data/council/document.toml");
const CITIES_TOML: &str = include_str!("../../../data/council/cities.toml");
const ORGANISATIONS_TOML: &str = include_str!("../../../data/council/organisations.toml");
const PARTNERS_TOML: &str = include_str!("../../../data/council/partners.toml");
const PILLARS_TOML: &str = include_str!("../../../data/council/pillars.toml");
const EVENTS_TOML: &str = include_str!("../../../data/council/events.toml");
const INITIATIVES_TOML: &[(&str, &str)] = &[
    (
        "council",
        include_str!("../../../data/council/initiatives/council.toml"),
    ),
    (
        "kawaguchi",
        include_str!("../../../data/council/initiatives/kawaguchi.toml"),
    ),
    (
        "kawaguchi-cci",
        include_str!("../../../data/council/initiatives/kawaguchi-cci.toml"),
    ),
    (
        "sumida",
        include_str!("../../../data/council/initiatives/sumida.toml"),
    ),
    (
        "tokyo-cci-sumida",
        include_str!("../../../data/council/initiatives/tokyo-cci-sumida.toml"),
    ),
    (
        "ota",
        include_str!("../../../data/council/initiatives/ota.toml"),
    ),
    (
        "okaya",
        include_str!("../../../data/council/initiatives/okaya.toml"),
    ),
    (
        "kaga",
        include_str!("../../../data/council/initiatives/kaga.toml"),
    ),
    (
        "kaga-cci",
        include_str!("../../../data/council/initiatives/kaga-cci.toml"),
    ),
    (
        "higashiosaka",
        include_str!("../../../data/council/initiatives/higashiosaka.toml"),
    ),
    (
        "amagasaki",
        include_str!("../../../data/council/initiatives/amagasaki.toml"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub title: String,
    pub preamble: String,
    pub source: String,
    pub section: Vec<Section>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub number: u32,
    pub title: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cities {
    city: Vec<CityRecord>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CityRecord {
    key: String,
    name: String,
    kana: String,
    prefecture: String,
    local_gov_code: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Organisations {
    organisation: Vec<OrganisationRecord>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganisationRecord {
    key: String,
    name: String,
    kind: String,
    city: Option<String>,
    order: i32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Partners {
    partner: Vec<PartnerRecord>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartnerRecord {
    key: String,
    name: String,
    kind: String,
    city: Option<String>,
    #[serde(default)]
    note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pillars {
    pillar: Vec<PillarRecord>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PillarRecord {
    number: i64,
    name: String,
    short: String,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InitiativeFile {
    organisation: String,
    initiative: Vec<InitiativeRecord>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InitiativeRecord {
    key: String,
    title: String,
    pillars: Vec<i64>,
    #[serde(default)]
    pillars_inferred: bool,
    order: i32,
    #[serde(default = "other")]
    program_kind: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    partners: Vec<String>,
    #[serde(default)]
    entry: Vec<EntryRecord>,
}

fn other() -> String {
    "other".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryRecord {
    fy: i32,
    status: String,
    summary: String,
    #[serde(default)]
    kpi: Vec<KpiRecord>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KpiRecord {
    label: String,
    value: f64,
    unit: String,
    #[serde(default)]
    note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventFile {
    event: Vec<EventRecord>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventRecord {
    key: String,
    organisation: String,
    city: String,
    #[serde(rename = "type")]
    event_type: String,
    title: String,
    pillars: Vec<u8>,
    start_date: String,
    #[serde(default)]
    end_date: String,
    #[serde(default)]
    start_time: String,
    #[serde(default)]
    end_time: String,
    #[serde(default)]
    all_day: bool,
    /// The document dates none of its events: approximate unless a record says otherwise.
    #[serde(default = "approximate")]
    date_is_approximate: bool,
    #[serde(default)]
    venue: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    initiative: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    members_only: bool,
    #[serde(default)]
    capacity: Option<u32>,
}

fn approximate() -> bool {
    true
}

/// The seed events, validated by the domain's rules (but not the "not in the past"
/// rule: they are the record of 平成28/29年度).
fn seed_events() -> Result<Vec<(String, String, domain::events::EventDraft)>, StoreError> {
    let file: EventFile = parse("events.toml", EVENTS_TOML)?;
    file.event
        .into_iter()
        .map(|record| {
            let input = domain::events::EventInput {
                title: record.title,
                event_type: record.event_type,
                city: record.city,
                pillars: record.pillars.iter().map(|p| p.to_string()).collect(),
                start_date: record.start_date,
                start_time: record.start_time,
                end_date: record.end_date,
                end_time: record.end_time,
                all_day: record.all_day,
                date_is_approximate: record.date_is_approximate,
                venue: record.venue,
                address: record.address,
                initiative: record.initiative,
                description: record.description,
                note: record.note,
                members_only: record.members_only,
                capacity: record.capacity.map(|c| c.to_string()).unwrap_or_default(),
                // The seed loads the record of 平成28/29年度 as the system.
                past_record: true,
            };
            let draft = domain::events::EventDraft::parse(&input).map_err(|errors| {
                broken(
                    "events.toml",
                    format!(
                        "{}: {}",
                        record.key,
                        errors
                            .iter()
                            .map(|e| e.to_string())
                            .collect::<Vec<_>>()
                            .join(" / ")
                    ),
                )
            })?;
            Ok((record.key, record.organisation, draft))
        })
        .collect()
}

/// Loads the council's events when the calendar is empty. Separate from
/// [`load_if_empty`] so that a database seeded before the calendar existed gets them
/// too; idempotent. Returns how many were loaded.
pub async fn load_events_if_empty(store: &Store) -> Result<usize, StoreError> {
    if !crate::events::is_empty(store).await? {
        return Ok(0);
    }
    crate::events::insert_seed(store, &seed_events()?).await
}

fn parse<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> Result<T, StoreError> {
    toml::from_str(text)
        .map_err(|error| StoreError::Config(format!("data/council/{name}: {error}")))
}

fn broken(name: &str, what: String) -> StoreError {
    StoreError::Config(format!("data/council/{name}: {what}"))
}

/// The document's letterhead, parsed once per process (the home page and the
/// annual report show it on every view).
pub fn document() -> Result<&'static Document, StoreError> {
    static DOCUMENT: std::sync::LazyLock<Result<Document, String>> =
        std::sync::LazyLock::new(|| {
            parse("document.toml", DOCUMENT_TOML).map_err(|error| match error {
                StoreError::Config(message) => message,
                other => other.to_string(),
            })
        });
    DOCUMENT
        .as_ref()
        .map_err(|error| StoreError::Config(error.clone()))
}

/// Loads the council's data when the database has no organisation yet.
pub async fn load_if_empty(store: &Store) -> Result<bool, StoreError> {
    if organisation::Entity::find().count(&store.db).await? > 0 {
        return Ok(false);
    }
    load(store).await?;
    Ok(true)
}

async fn load(store: &Store) -> Result<(), StoreError> {
    let cities: Cities = parse("cities.toml", CITIES_TOML)?;
    let organisations: Organisations = parse("organisations.toml", ORGANISATIONS_TOML)?;
    let partners: Partners = parse("partners.toml", PARTNERS_TOML)?;
    let pillars: Pillars = parse("pillars.toml", PILLARS_TOML)?;
    for record in &pillars.pillar {
        let pillar =
            Pillar::from_number(record.number).map_err(|e| broken("pillars.toml", e.reason))?;
        if pillar.name() != record.name || pillar.short_name() != record.short {
            return Err(broken(
                "pillars.toml",
                format!("柱{}の名称がドメインの定義と異なります", record.number),
            ));
        }
    }
    let now = Utc::now();
    let txn = store.begin().await?;

    let mut city_ids = HashMap::new();
    for record in cities.city {
        let code = LocalGovCode::parse(&record.local_gov_code)
            .map_err(|e| broken("cities.toml", format!("{}: {}", record.name, e.reason)))?;
        let row = city::ActiveModel {
            key: Set(record.key.clone()),
            name: Set(record.name),
            kana: Set(record.kana),
            prefecture: Set(record.prefecture),
            local_gov_code: Set(code.to_string()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        city_ids.insert(record.key, row.id);
    }
    let city_of = |file: &str, key: &Option<String>| -> Result<Option<i64>, StoreError> {
        match key {
            None => Ok(None),
            Some(key) => city_ids
                .get(key)
                .copied()
                .map(Some)
                .ok_or_else(|| broken(file, format!("未知の市区「{key}」"))),
        }
    };

    let mut organisation_ids = HashMap::new();
    for record in organisations.organisation {
        let row = organisation::ActiveModel {
            key: Set(record.key.clone()),
            name: Set(record.name),
            kind: Set(record.kind),
            city_id: Set(city_of("organisations.toml", &record.city)?),
            sort_order: Set(record.order),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        organisation_ids.insert(record.key, row.id);
    }

    let mut partner_ids = HashMap::new();
    for record in partners.partner {
        let row = partner::ActiveModel {
            key: Set(record.key.clone()),
            name: Set(record.name),
            kind: Set(record.kind),
            city_id: Set(city_of("partners.toml", &record.city)?),
            note: Set(record.note),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        partner_ids.insert(record.key, row.id);
    }

    for (name, text) in INITIATIVES_TOML {
        let file_name = format!("initiatives/{name}.toml");
        let file: InitiativeFile = parse(&file_name, text)?;
        let organisation_id = *organisation_ids
            .get(&file.organisation)
            .ok_or_else(|| broken(&file_name, format!("未知の団体「{}」", file.organisation)))?;
        for record in file.initiative {
            let row = initiative::ActiveModel {
                key: Set(record.key.clone()),
                organisation_id: Set(organisation_id),
                title: Set(record.title),
                description: Set(record.description),
                program_kind: Set(record.program_kind),
                pillars_inferred: Set(record.pillars_inferred),
                sort_order: Set(record.order),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            for number in record.pillars {
                let pillar =
                    Pillar::from_number(number).map_err(|e| broken(&file_name, e.reason))?;
                initiative_pillar::ActiveModel {
                    initiative_id: Set(row.id),
                    pillar: Set(i16::from(pillar.number())),
                }
                .insert(&txn)
                .await?;
            }
            for key in record.partners {
                let partner_id = *partner_ids.get(&key).ok_or_else(|| {
                    broken(
                        &file_name,
                        format!("{}: 未知のパートナー「{key}」", record.key),
                    )
                })?;
                initiative_partner::ActiveModel {
                    initiative_id: Set(row.id),
                    partner_id: Set(partner_id),
                }
                .insert(&txn)
                .await?;
            }
            for entry in record.entry {
                let fy = FiscalYear::new(entry.fy).map_err(|e| broken(&file_name, e.reason))?;
                let status =
                    EntryStatus::parse(&entry.status).map_err(|e| broken(&file_name, e.reason))?;
                let entry_row = fiscal_entry::ActiveModel {
                    initiative_id: Set(row.id),
                    fy: Set(fy.year()),
                    status: Set(status.code().to_owned()),
                    summary: Set(entry.summary),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                for (position, record) in entry.kpi.into_iter().enumerate() {
                    let value =
                        KpiValue::new(record.value).map_err(|e| broken(&file_name, e.reason))?;
                    kpi::ActiveModel {
                        entry_id: Set(entry_row.id),
                        label: Set(record.label),
                        value: Set(value.get()),
                        unit: Set(record.unit),
                        note: Set(record.note),
                        sort_order: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                        ..Default::default()
                    }
                    .insert(&txn)
                    .await?;
                }
            }
        }
    }
    audit::record(
        &txn,
        None,
        Change {
            action: "seed",
            entity: "council",
            entity_key: "council".into(),
            organisation_id: None,
            summary: "協議会の資料（尼崎宣言関連の実施事業）から初期データを読み込みました".into(),
            before: None,
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_data_file_parses() {
        let _: Cities = parse("cities.toml", CITIES_TOML).unwrap();
        let _: Organisations = parse("organisations.toml", ORGANISATIONS_TOML).unwrap();
        let _: Partners = parse("partners.toml", PARTNERS_TOML).unwrap();
        let _: Pillars = parse("pillars.toml", PILLARS_TOML).unwrap();
        for (name, text) in INITIATIVES_TOML {
            let file: InitiativeFile = parse(name, text).unwrap();
            assert_eq!(&file.organisation, name);
        }
        assert_eq!(document().unwrap().section.len(), 2);
        assert!(seed_events().unwrap().len() >= 15);
    }
}
