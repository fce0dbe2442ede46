//! Imports into the directory: the National Tax Agency's corporate-number file and
//! staff lists. Idempotent: a company is keyed by its 法人番号, a re-run changes only
//! what the file changed, and rows older than what is stored are skipped.
//!
//! The NTA file holds every corporation of Japan; the directory takes those of the
//! seven cities (by 地方公共団体コード) unless asked for all. Imported companies are
//! not public until staff have looked at them: the file says a company exists, not
//! that it wants to be in the council's directory.

use std::collections::HashMap;

use chrono::Utc;
use domain::directory::{CompanyDraft, CompanyInput};
use domain::{Actor, CorporateNumber};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::audit::{self, Change};
use crate::entity::company;
use crate::organisations::{self, Directory};
use crate::{Store, StoreError};

/// One corporation as the NTA file gives it, already parsed and checked.
#[derive(Debug, Clone)]
pub struct NtaCompany {
    pub corporate_number: CorporateNumber,
    pub name: String,
    pub kana: String,
    pub prefecture_name: String,
    /// 2-digit prefecture code + 3-digit city code (`13111`).
    pub city_code: String,
    pub address: String,
    pub closed_on: Option<String>,
    pub close_cause: String,
    pub updated_on: String,
}

/// What an import did, for the progress line and the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportStats {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Outside the seven cities (and not asked for all).
    pub skipped_other_city: u64,
    pub closed: u64,
}

impl ImportStats {
    pub fn add(&mut self, other: &ImportStats) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.skipped_other_city += other.skipped_other_city;
        self.closed += other.closed;
    }
}

/// The city key for a 5-digit NTA code (prefecture + city), by the cities' 地方公共団体コード.
fn city_for<'a>(directory: &'a Directory, code5: &str) -> Option<&'a organisations::City> {
    directory
        .cities
        .iter()
        .find(|c| c.local_gov_code.len() == 6 && c.local_gov_code.starts_with(code5))
}

/// New companies per INSERT statement (16 columns each).
const INSERT_CHUNK: usize = 500;

/// Copies what an NTA row says about a company onto its row.
fn amend(active: &mut company::ActiveModel, record: &NtaCompany, now: chrono::DateTime<Utc>) {
    active.name = Set(record.name.clone());
    if !record.kana.is_empty() {
        active.kana = Set(record.kana.clone());
    }
    active.address = Set(record.address.clone());
    active.prefecture = Set(record.prefecture_name.clone());
    active.closed_on = Set(record.closed_on.clone());
    active.close_cause = Set(record.close_cause.clone());
    active.nta_updated_on = Set(Some(record.updated_on.clone()));
    active.updated_at = Set(now);
}

/// Whether an NTA row changes a company known by these fields (a stored row, or an
/// earlier row of the same batch): an empty reading never replaces a known one.
fn changes(
    (name, address, closed_on, kana): (&str, &str, Option<&str>, &str),
    record: &NtaCompany,
) -> bool {
    name != record.name
        || address != record.address
        || closed_on != record.closed_on.as_deref()
        || (!record.kana.is_empty() && kana != record.kana)
}

/// Upserts one batch of NTA rows in one transaction (the importer streams batches).
pub async fn upsert_nta(
    store: &Store,
    batch: &[NtaCompany],
    all_cities: bool,
) -> Result<ImportStats, StoreError> {
    let directory = organisations::directory(store).await?;
    let mut stats = ImportStats::default();
    let txn = store.begin().await?;
    let numbers: Vec<&str> = batch.iter().map(|r| r.corporate_number.as_str()).collect();
    // Rows written in this batch join the map: a file may carry a company and, further
    // down, a later row for the same number (a 差分 update).
    let mut existing: HashMap<String, company::Model> = company::Entity::find()
        .filter(company::Column::CorporateNumber.is_in(numbers))
        .all(&txn)
        .await?
        .into_iter()
        .filter_map(|row| row.corporate_number.clone().map(|n| (n, row)))
        .collect();
    let now = Utc::now();
    // New companies of the batch, by 法人番号, inserted together at the end: a later row
    // for the same number (a 差分 update further down the file) amends its pending row.
    let mut fresh: Vec<company::ActiveModel> = Vec::new();
    let mut fresh_at: HashMap<String, usize> = HashMap::new();
    // The row each pending company was last written from.
    let mut fresh_from: Vec<&NtaCompany> = Vec::new();
    for record in batch {
        let city = city_for(&directory, &record.city_code);
        if city.is_none() && !all_cities {
            stats.skipped_other_city += 1;
            continue;
        }
        if record.closed_on.is_some() {
            stats.closed += 1;
        }
        let number = record.corporate_number.as_str();
        if let Some(&at) = fresh_at.get(number) {
            let last = fresh_from[at];
            let known = (
                last.name.as_str(),
                last.address.as_str(),
                last.closed_on.as_deref(),
                last.kana.as_str(),
            );
            if record.updated_on > last.updated_on && changes(known, record) {
                amend(&mut fresh[at], record, now);
                fresh_from[at] = record;
                stats.updated += 1;
            } else {
                stats.unchanged += 1;
            }
            continue;
        }
        match existing.get(number) {
            Some(row) => {
                let newer = row
                    .nta_updated_on
                    .as_deref()
                    .is_none_or(|stored| record.updated_on.as_str() > stored);
                let known = (
                    row.name.as_str(),
                    row.address.as_str(),
                    row.closed_on.as_deref(),
                    row.kana.as_str(),
                );
                if !newer || !changes(known, record) {
                    stats.unchanged += 1;
                    continue;
                }
                let mut active: company::ActiveModel = row.clone().into();
                amend(&mut active, record, now);
                let updated = active.update(&txn).await?;
                existing.insert(number.to_owned(), updated);
                stats.updated += 1;
            }
            None => {
                let owner = crate::companies::owner_of(&directory, city.map(|c| c.key.as_str()))?;
                fresh_at.insert(number.to_owned(), fresh.len());
                fresh_from.push(record);
                fresh.push(company::ActiveModel {
                    key: Set(format!("c{number}")),
                    corporate_number: Set(Some(number.to_owned())),
                    name: Set(record.name.clone()),
                    kana: Set(record.kana.clone()),
                    city_id: Set(city.map(|c| c.id)),
                    owner_organisation_id: Set(owner.id),
                    prefecture: Set(record.prefecture_name.clone()),
                    address: Set(record.address.clone()),
                    public: Set(false),
                    closed_on: Set(record.closed_on.clone()),
                    close_cause: Set(record.close_cause.clone()),
                    source: Set("nta".into()),
                    nta_updated_on: Set(Some(record.updated_on.clone())),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                });
                stats.inserted += 1;
            }
        }
    }
    // Multi-row INSERTs, a few hundred rows each (well under SQLite's and PostgreSQL's
    // limits on bound parameters).
    let mut rows = fresh.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<company::ActiveModel> = rows.by_ref().take(INSERT_CHUNK).collect();
        company::Entity::insert_many(chunk).exec(&txn).await?;
    }
    // One `changes` row per batch tells every process's index to catch up.
    if stats.inserted + stats.updated > 0 {
        audit::record(
            &txn,
            None,
            Change {
                action: "import",
                entity: "company",
                entity_key: "nta".into(),
                organisation_id: None,
                summary: format!(
                    "法人番号データを取込（新規{}件・更新{}件）",
                    stats.inserted, stats.updated
                ),
                before: None,
                after: Some(json!({"inserted": stats.inserted, "updated": stats.updated})),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(stats)
}

/// One row of a staff list, validated, with its line for the report.
#[derive(Debug, Clone)]
pub struct ListCompany {
    pub line: u64,
    pub draft: CompanyDraft,
}

/// Upserts a staff list: rows with a 法人番号 already in the directory update it
/// (fields the list leaves empty are kept); the others are created. Every row is
/// checked against the actor first; the whole list is one transaction.
pub async fn upsert_list(
    store: &Store,
    actor: &Actor,
    rows: &[ListCompany],
) -> Result<ImportStats, StoreError> {
    Ok(upsert_list_keys(store, actor, rows).await?.0)
}

/// [`upsert_list`], also giving the key of every company of the list (created or
/// updated), in the list's order: the establishments a survey is then sent to.
pub async fn upsert_list_keys(
    store: &Store,
    actor: &Actor,
    rows: &[ListCompany],
) -> Result<(ImportStats, Vec<String>), StoreError> {
    let mut keys = Vec::with_capacity(rows.len());
    let directory = organisations::directory(store).await?;
    let mut stats = ImportStats::default();
    let txn = store.begin().await?;
    for row in rows {
        let owner = crate::companies::owner_of(&directory, row.draft.city.as_deref())?.clone();
        if !actor.may_edit_catalogue_of(owner.id) {
            return Err(StoreError::forbidden(format!(
                "{}行目: {}の企業は取り込めません。所属団体の市区の企業のみ取り込めます。",
                row.line, owner.name
            )));
        }
        let existing = match &row.draft.corporate_number {
            Some(number) => {
                company::Entity::find()
                    .filter(company::Column::CorporateNumber.eq(number.as_str()))
                    .one(&txn)
                    .await?
            }
            None => {
                company::Entity::find()
                    .filter(company::Column::Name.eq(row.draft.name.as_str()))
                    .filter(company::Column::OwnerOrganisationId.eq(owner.id))
                    .one(&txn)
                    .await?
            }
        };
        match existing {
            Some(current) => {
                if !actor.may_edit_company(current.id, current.owner_organisation_id) {
                    return Err(StoreError::forbidden(format!(
                        "{}行目: 「{}」は他の団体が担当する企業です。",
                        row.line, current.name
                    )));
                }
                let mut merged = merge(&current, &row.draft);
                if merged.capabilities.is_empty() {
                    merged.capabilities =
                        crate::companies::capabilities_of(&txn, current.id).await?;
                }
                crate::companies::update_in(&txn, &directory, &current, &merged).await?;
                stats.updated += 1;
                keys.push(current.key.clone());
            }
            None => {
                let key = crate::companies::new_key(&row.draft);
                crate::companies::insert(&txn, &directory, &owner, &key, &row.draft, "list")
                    .await?;
                stats.inserted += 1;
                keys.push(key);
            }
        }
    }
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "import",
            entity: "company",
            entity_key: "list".into(),
            organisation_id: actor.organisation_id,
            summary: format!(
                "企業リストを取込（新規{}件・更新{}件）",
                stats.inserted, stats.updated
            ),
            before: None,
            after: Some(json!({"inserted": stats.inserted, "updated": stats.updated})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((stats, keys))
}

/// A list row over a stored company: what the list gives wins, what it leaves
/// empty is kept.
fn merge(current: &company::Model, draft: &CompanyDraft) -> CompanyDraft {
    fn keep(new: &str, old: &str) -> String {
        if new.is_empty() {
            old.to_owned()
        } else {
            new.to_owned()
        }
    }
    CompanyDraft {
        kana: keep(&draft.kana, &current.kana),
        address: keep(&draft.address, &current.address),
        industry: draft.industry.clone().or_else(|| current.industry.clone()),
        employees: draft
            .employees
            .or_else(|| current.employees.and_then(|n| u32::try_from(n).ok())),
        founded_year: draft.founded_year.or(current.founded_year),
        representative_age: draft.representative_age.or_else(|| {
            current
                .representative_age
                .as_deref()
                .and_then(domain::directory::AgeBand::parse)
        }),
        url: keep(&draft.url, &current.url),
        description: keep(&draft.description, &current.description),
        products: keep(&draft.products, &current.products),
        contact_name: keep(&draft.contact_name, &current.contact_name),
        contact_email: keep(&draft.contact_email, &current.contact_email),
        contact_phone: keep(&draft.contact_phone, &current.contact_phone),
        staff_note: keep(&draft.staff_note, &current.staff_note),
        ..draft.clone()
    }
}

/// An NTA row as the directory takes it; `None` for numbers the NTA withdrew (99).
pub fn from_nta(record: &import::nta::NtaRecord) -> Option<NtaCompany> {
    if record.is_deleted() {
        return None;
    }
    Some(NtaCompany {
        corporate_number: record.corporate_number.clone(),
        name: record.name.clone(),
        kana: record.furigana.clone().unwrap_or_default(),
        prefecture_name: record.prefecture_name.clone(),
        city_code: format!("{}{}", record.prefecture_code, record.city_code),
        address: record.address(),
        closed_on: record
            .is_closed()
            .then(|| record.close_date.map(|d| d.to_string()).unwrap_or_default()),
        close_cause: record
            .close_cause
            .map(|c| c.label().to_owned())
            .unwrap_or_default(),
        updated_on: record.update_date.to_string(),
    })
}

/// A staff list's row as a company form would have it: the city by name, key or
/// address; capabilities by their names in the taxonomy. Names the taxonomy does not
/// know are returned apart, as warnings for the report, not reasons to refuse the row.
pub fn from_list(
    row: &import::list::CompanyRow,
    directory: &Directory,
) -> (CompanyInput, Vec<String>) {
    let city_text = row.city.clone().unwrap_or_default();
    let address = row.address.clone().unwrap_or_default();
    let city = directory
        .cities
        .iter()
        .find(|c| {
            let wanted = city_text.trim();
            (!wanted.is_empty()
                && (c.key == wanted || c.name == wanted || wanted.ends_with(&c.name)))
                || (wanted.is_empty() && address.contains(&c.name))
        })
        .map(|c| c.key.clone())
        .unwrap_or_else(|| city_text.trim().to_owned());
    let (known, unknown): (Vec<String>, Vec<String>) = row
        .processes
        .iter()
        .chain(&row.materials)
        .chain(&row.equipment)
        .chain(&row.certifications)
        .cloned()
        .partition(|item| domain::directory::Capability::lookup(item).is_some());
    let input = CompanyInput {
        corporate_number: row
            .corporate_number
            .as_ref()
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default(),
        name: row.name.clone(),
        kana: row.furigana.clone().unwrap_or_default(),
        city,
        address,
        industry: row
            .jsic_code
            .clone()
            .or_else(|| row.industry.clone())
            .unwrap_or_default(),
        employees: row
            .employees
            .as_ref()
            .map(|p| p.raw.clone())
            .unwrap_or_default(),
        founded_year: row
            .founded
            .as_ref()
            .map(|p| p.value.map_or_else(|| p.raw.clone(), |y| y.to_string()))
            .unwrap_or_default(),
        representative_age: row
            .representative_age
            .as_ref()
            .map(|p| p.raw.clone())
            .unwrap_or_default(),
        url: row.url.clone().unwrap_or_default(),
        description: String::new(),
        products: row.products.join("、"),
        capabilities: known,
        public: row.public.as_ref().and_then(|p| p.value).unwrap_or(true),
        contact_name: row.contact_name.clone().unwrap_or_default(),
        contact_email: row.contact_email.clone().unwrap_or_default(),
        ..CompanyInput::default()
    };
    (input, unknown)
}

/// A row an import refused (or imported with a warning), for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    pub line: u64,
    /// Stable code: the reader's (`check_digit`, `column_count`, …), `invalid` for a
    /// row the domain refused, `warning` for a row imported without some value.
    pub code: String,
    pub reason: String,
}

/// Refused rows kept for the report; the rest are counted. A file of garbage can
/// refuse every one of millions of rows (a ZIP of 20 MiB of garbage once made the NTA
/// import hold 2.8 GB of refusals), and nobody reads past the first thousand: they
/// show what is wrong with the file.
pub const REFUSED_ROWS_KEPT: usize = 1000;

/// The refused rows of an import: every one counted, the first `kept` of them kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedRows {
    /// The first rows refused, in file order.
    pub rows: Vec<RejectedRow>,
    /// All rows refused, kept or not.
    pub total: u64,
    /// The error that stopped the reading (a broken or over-budget file), if one did:
    /// kept even when it comes after the rows kept.
    pub fatal: Option<RejectedRow>,
    kept: usize,
}

impl Default for RefusedRows {
    fn default() -> Self {
        RefusedRows::keeping(REFUSED_ROWS_KEPT)
    }
}

impl RefusedRows {
    /// Keeps the first `kept` rows (at most [`REFUSED_ROWS_KEPT`] make sense for a page).
    pub fn keeping(kept: usize) -> Self {
        RefusedRows {
            rows: Vec::new(),
            total: 0,
            fatal: None,
            kept,
        }
    }

    pub fn push(&mut self, row: RejectedRow) {
        self.total += 1;
        if row.code == "unreadable" {
            self.fatal = Some(row.clone());
        }
        if self.rows.len() < self.kept {
            self.rows.push(row);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Rows refused but not kept.
    pub fn omitted(&self) -> u64 {
        self.total - self.rows.len() as u64
    }

    /// A Japanese note for a report when not every refused row is listed.
    pub fn omitted_note(&self) -> Option<String> {
        (self.omitted() > 0).then(|| {
            format!(
                "取り込めなかった行は全部で{}件です。ここには先頭の{}件だけを載せています。",
                self.total,
                self.rows.len()
            )
        })
    }
}

/// Rows per transaction of an NTA import.
pub const NTA_BATCH: usize = 1000;

/// Reads rows of an NTA file until `max` companies are gathered: the companies to
/// upsert, how many rows were read, and whether the file is finished (its end, or an
/// error nothing can follow). Refused rows go to `rejected`, which keeps the first and
/// counts the rest.
pub fn read_nta_chunk<R: std::io::Read + std::io::Seek>(
    reader: &mut import::nta::Reader<R>,
    max: usize,
    rejected: &mut RefusedRows,
) -> (Vec<NtaCompany>, u64, bool) {
    let mut companies = Vec::new();
    let mut read = 0u64;
    while companies.len() < max {
        let Some(row) = reader.next() else {
            return (companies, read, true);
        };
        read += 1;
        match row {
            Ok(record) => companies.extend(from_nta(&record)),
            Err(error) => {
                let fatal = error.is_fatal();
                rejected.push(RejectedRow {
                    line: error.line,
                    code: error.code().to_owned(),
                    reason: error.to_string(),
                });
                if fatal {
                    return (companies, read, true);
                }
            }
        }
    }
    (companies, read, false)
}

/// Streams an NTA file into the directory in batches of [`NTA_BATCH`], calling
/// `progress(rows_read)` after each; refused rows go to `rejected`. A fatal read
/// error stops after what was read. Memory stays at one batch, one CSV record and
/// the refused rows `rejected` keeps, whatever the file's size.
pub async fn run_nta<R: std::io::Read + std::io::Seek>(
    store: &Store,
    mut reader: import::nta::Reader<R>,
    all_cities: bool,
    rejected: &mut RefusedRows,
    progress: impl Fn(u64),
) -> Result<ImportStats, StoreError> {
    let mut stats = ImportStats::default();
    let mut read = 0;
    loop {
        let (batch, rows, done) = read_nta_chunk(&mut reader, NTA_BATCH, rejected);
        read += rows;
        if !batch.is_empty() {
            stats.add(&upsert_nta(store, &batch, all_cities).await?);
        }
        progress(read);
        if done {
            return Ok(stats);
        }
    }
}

/// Reads a staff list into drafts the domain accepts, and the rows it refused (or
/// imported without an unknown capability) with reasons: the first
/// [`REFUSED_ROWS_KEPT`] kept, all counted.
pub fn prepare_list(
    reader: import::list::Reader<'_>,
    directory: &Directory,
    this_year: i32,
) -> (Vec<ListCompany>, RefusedRows) {
    let keys: Vec<&str> = directory.cities.iter().map(|c| c.key.as_str()).collect();
    let mut rows = Vec::new();
    let mut rejected = RefusedRows::default();
    for row in reader {
        match row {
            Ok(row) => {
                let (input, unknown) = from_list(&row, directory);
                for item in unknown {
                    rejected.push(RejectedRow {
                        line: row.line,
                        code: "warning".into(),
                        reason: format!(
                            "「{item}」は分類にないため、この項目だけ取り込みませんでした。"
                        ),
                    });
                }
                match CompanyDraft::parse(&input, &keys, this_year) {
                    Ok(draft) => rows.push(ListCompany {
                        line: row.line,
                        draft,
                    }),
                    Err(errors) => rejected.push(RejectedRow {
                        line: row.line,
                        code: "invalid".into(),
                        reason: errors
                            .iter()
                            .map(|e| e.reason.clone())
                            .collect::<Vec<_>>()
                            .join(" "),
                    }),
                }
            }
            Err(error) => rejected.push(RejectedRow {
                line: error.line,
                code: error.code().to_owned(),
                reason: error.to_string(),
            }),
        }
    }
    (rows, rejected)
}
