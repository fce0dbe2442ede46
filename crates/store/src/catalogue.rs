//! The initiative catalogue: initiatives of each organisation with their pillars,
//! partners and fiscal-year entries (results and plans) with KPIs.
//!
//! Reads return whole initiatives, because every page and the annual report shows
//! an initiative with its years. Writes check the actor against the owning
//! organisation and record the audit log in the same transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::catalogue::{EntryDraft, InitiativeDraft};
use domain::{Actor, EntryStatus, FiscalYear, KpiValue, Pillar};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::audit::{self, Change};
use crate::entity::{
    fiscal_entry, initiative, initiative_partner, initiative_pillar, kpi, partner,
};
use crate::organisations::{self, Directory, Organisation, Partner};
use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct Kpi {
    pub label: String,
    pub value: KpiValue,
    pub unit: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub fy: FiscalYear,
    pub status: EntryStatus,
    pub summary: String,
    pub kpis: Vec<Kpi>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Initiative {
    pub id: i64,
    pub key: String,
    pub organisation: Organisation,
    pub title: String,
    pub description: String,
    pub program_kind: String,
    pub pillars: Vec<Pillar>,
    /// The document gives no pillar heading; the pillars were read from the content.
    pub pillars_inferred: bool,
    pub sort_order: i32,
    pub partners: Vec<Partner>,
    /// Oldest fiscal year first.
    pub entries: Vec<Entry>,
    pub updated_at: DateTime<Utc>,
}

impl Initiative {
    pub fn entry(&self, fy: FiscalYear) -> Option<&Entry> {
        self.entries.iter().find(|e| e.fy == fy)
    }

    /// What the audit log keeps of an initiative, before and after a change.
    fn snapshot(&self) -> serde_json::Value {
        json!({
            "key": self.key,
            "organisation": self.organisation.key,
            "title": self.title,
            "description": self.description,
            "program_kind": self.program_kind,
            "pillars": self.pillars.iter().map(|p| p.number()).collect::<Vec<_>>(),
            "entries": self.entries.iter().map(|e| json!({
                "fy": e.fy.year(),
                "status": e.status.code(),
                "summary": e.summary,
                "kpis": e.kpis.iter().map(|k| json!({
                    "label": k.label, "value": k.value.get(), "unit": k.unit, "note": k.note,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// What to list. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub city: Option<String>,
    pub organisation: Option<String>,
    pub pillar: Option<Pillar>,
    pub fy: Option<FiscalYear>,
    pub status: Option<EntryStatus>,
    /// Japanese full text over title, description, summaries, KPIs and partners.
    pub q: String,
}

/// Initiatives matching the filter, in document order (organisation, then position).
pub async fn list(store: &Store, filter: &Filter) -> Result<Vec<Initiative>, StoreError> {
    let directory = organisations::directory(store).await?;
    let mut condition = Condition::all();
    if let Some(key) = filter.organisation.as_deref() {
        let Some(organisation) = directory.organisation_by_key(key) else {
            return Ok(Vec::new());
        };
        condition = condition.add(initiative::Column::OrganisationId.eq(organisation.id));
    }
    if let Some(key) = filter.city.as_deref() {
        let ids: Vec<i64> = directory
            .organisations
            .iter()
            .filter(|o| o.city.as_ref().is_some_and(|c| c.key == key))
            .map(|o| o.id)
            .collect();
        condition = condition.add(initiative::Column::OrganisationId.is_in(ids));
    }
    if let Some(pillar) = filter.pillar {
        condition = condition.add(
            initiative::Column::Id.in_subquery(
                Query::select()
                    .column(initiative_pillar::Column::InitiativeId)
                    .from(initiative_pillar::Entity)
                    .and_where(
                        Expr::col(initiative_pillar::Column::Pillar).eq(i16::from(pillar.number())),
                    )
                    .to_owned(),
            ),
        );
    }
    if filter.fy.is_some() || filter.status.is_some() {
        let mut entries = Query::select()
            .column(fiscal_entry::Column::InitiativeId)
            .from(fiscal_entry::Entity)
            .to_owned();
        if let Some(fy) = filter.fy {
            entries.and_where(Expr::col(fiscal_entry::Column::Fy).eq(fy.year()));
        }
        if let Some(status) = filter.status {
            entries.and_where(Expr::col(fiscal_entry::Column::Status).eq(status.code()));
        }
        condition = condition.add(initiative::Column::Id.in_subquery(entries));
    }
    let rows = initiative::Entity::find()
        .filter(condition)
        .all(&store.db)
        .await?;
    let mut initiatives = assemble(&store.db, &directory, rows).await?;
    let query = search::Query::parse(&filter.q);
    if !query.is_empty() {
        initiatives.retain(|i| query.matches(searchable_texts(i).iter().map(String::as_str)));
    }
    Ok(initiatives)
}

fn searchable_texts(initiative: &Initiative) -> Vec<String> {
    let mut texts = vec![
        initiative.title.clone(),
        initiative.description.clone(),
        initiative.organisation.name.clone(),
        domain::catalogue::program_kind_label(&initiative.program_kind).to_owned(),
    ];
    texts.extend(initiative.partners.iter().map(|p| p.name.clone()));
    for entry in &initiative.entries {
        texts.push(entry.summary.clone());
        texts.extend(entry.kpis.iter().map(|k| format!("{} {}", k.label, k.unit)));
    }
    texts
}

/// One initiative by key.
pub async fn get(store: &Store, key: &str) -> Result<Initiative, StoreError> {
    let directory = organisations::directory(store).await?;
    load_one(&store.db, &directory, key).await
}

/// [`get`] inside a caller's transaction.
pub(crate) async fn get_in(db: &impl ConnectionTrait, key: &str) -> Result<Initiative, StoreError> {
    let directory = organisations::directory_in(db).await?;
    load_one(db, &directory, key).await
}

async fn load_one(
    db: &impl ConnectionTrait,
    directory: &Directory,
    key: &str,
) -> Result<Initiative, StoreError> {
    let row = initiative::Entity::find()
        .filter(initiative::Column::Key.eq(key))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("施策「{key}」")))?;
    let mut found = assemble(db, directory, vec![row]).await?;
    found
        .pop()
        .ok_or_else(|| StoreError::not_found(format!("施策「{key}」")))
}

/// Loads pillars, partners, entries and KPIs of the rows in four queries.
async fn assemble(
    db: &impl ConnectionTrait,
    directory: &Directory,
    rows: Vec<initiative::Model>,
) -> Result<Vec<Initiative>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut pillars: HashMap<i64, Vec<Pillar>> = HashMap::new();
    for row in initiative_pillar::Entity::find()
        .filter(initiative_pillar::Column::InitiativeId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        if let Ok(pillar) = Pillar::from_number(i64::from(row.pillar)) {
            pillars.entry(row.initiative_id).or_default().push(pillar);
        }
    }
    let links = initiative_partner::Entity::find()
        .filter(initiative_partner::Column::InitiativeId.is_in(ids.clone()))
        .all(db)
        .await?;
    let partner_rows: HashMap<i64, partner::Model> = partner::Entity::find()
        .filter(partner::Column::Id.is_in(links.iter().map(|l| l.partner_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut partners: HashMap<i64, Vec<Partner>> = HashMap::new();
    for link in links {
        if let Some(p) = partner_rows.get(&link.partner_id) {
            partners
                .entry(link.initiative_id)
                .or_default()
                .push(Partner {
                    id: p.id,
                    key: p.key.clone(),
                    name: p.name.clone(),
                    kind: p.kind.clone(),
                    note: p.note.clone(),
                });
        }
    }
    let entry_rows = fiscal_entry::Entity::find()
        .filter(fiscal_entry::Column::InitiativeId.is_in(ids))
        .order_by_asc(fiscal_entry::Column::Fy)
        .all(db)
        .await?;
    let mut kpis: HashMap<i64, Vec<Kpi>> = HashMap::new();
    for row in kpi::Entity::find()
        .filter(kpi::Column::EntryId.is_in(entry_rows.iter().map(|e| e.id).collect::<Vec<_>>()))
        .order_by_asc(kpi::Column::SortOrder)
        .order_by_asc(kpi::Column::Id)
        .all(db)
        .await?
    {
        let Ok(value) = KpiValue::new(row.value) else {
            continue;
        };
        kpis.entry(row.entry_id).or_default().push(Kpi {
            label: row.label,
            value,
            unit: row.unit,
            note: row.note,
        });
    }
    let mut entries: HashMap<i64, Vec<Entry>> = HashMap::new();
    for row in entry_rows {
        let (Ok(fy), Ok(status)) = (FiscalYear::new(row.fy), EntryStatus::parse(&row.status))
        else {
            tracing::warn!(
                entry = row.id,
                "fiscal entry with an invalid year or status skipped"
            );
            continue;
        };
        entries.entry(row.initiative_id).or_default().push(Entry {
            fy,
            status,
            summary: row.summary,
            kpis: kpis.remove(&row.id).unwrap_or_default(),
        });
    }
    let mut initiatives: Vec<Initiative> = rows
        .into_iter()
        .filter_map(|row| {
            let organisation = directory.organisation(row.organisation_id)?.clone();
            let mut pillars = pillars.remove(&row.id).unwrap_or_default();
            pillars.sort();
            Some(Initiative {
                id: row.id,
                organisation,
                pillars,
                partners: partners.remove(&row.id).unwrap_or_default(),
                entries: entries.remove(&row.id).unwrap_or_default(),
                key: row.key,
                title: row.title,
                description: row.description,
                program_kind: row.program_kind,
                pillars_inferred: row.pillars_inferred,
                sort_order: row.sort_order,
                updated_at: row.updated_at,
            })
        })
        .collect();
    initiatives.sort_by_key(|i| {
        (
            i.organisation.sort_order,
            i.organisation.id,
            i.sort_order,
            i.id,
        )
    });
    Ok(initiatives)
}

fn refuse_other_organisation(organisation: &Organisation) -> StoreError {
    StoreError::forbidden(format!(
        "{}の施策は編集できません。自分の所属団体の施策のみ編集できます。",
        organisation.name
    ))
}

/// Loads the initiative inside the transaction and checks that the actor may edit it.
async fn editable(
    txn: &DatabaseTransaction,
    actor: &Actor,
    key: &str,
) -> Result<(Directory, Initiative), StoreError> {
    let directory = organisations::directory_in(txn).await?;
    let initiative = load_one(txn, &directory, key).await?;
    if !actor.may_edit_catalogue_of(initiative.organisation.id) {
        return Err(refuse_other_organisation(&initiative.organisation));
    }
    Ok((directory, initiative))
}

async fn replace_pillars(
    txn: &DatabaseTransaction,
    id: i64,
    pillars: &[Pillar],
) -> Result<(), StoreError> {
    initiative_pillar::Entity::delete_many()
        .filter(initiative_pillar::Column::InitiativeId.eq(id))
        .exec(txn)
        .await?;
    for pillar in pillars {
        initiative_pillar::ActiveModel {
            initiative_id: Set(id),
            pillar: Set(i16::from(pillar.number())),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// Creates an initiative of `organisation_key`; staff may create only for their own.
pub async fn create(
    store: &Store,
    actor: &Actor,
    organisation_key: &str,
    draft: &InitiativeDraft,
) -> Result<Initiative, StoreError> {
    let txn = store.begin().await?;
    let directory = organisations::directory_in(&txn).await?;
    let organisation = directory
        .organisation_by_key(organisation_key)
        .ok_or_else(|| {
            StoreError::Invalid(vec![domain::Invalid::new(
                "organisation",
                "団体を一覧から選んでください。",
            )])
        })?
        .clone();
    if !actor.may_edit_catalogue_of(organisation.id) {
        return Err(refuse_other_organisation(&organisation));
    }
    let siblings = initiative::Entity::find()
        .filter(initiative::Column::OrganisationId.eq(organisation.id))
        .all(&txn)
        .await?;
    let next_order = siblings.iter().map(|s| s.sort_order).max().unwrap_or(0) + 1;
    let key = format!(
        "{}-{:06x}",
        organisation.key,
        rand::random::<u32>() & 0xff_ffff
    );
    let now = Utc::now();
    let row = initiative::ActiveModel {
        key: Set(key.clone()),
        organisation_id: Set(organisation.id),
        title: Set(draft.title.clone()),
        description: Set(draft.description.clone()),
        program_kind: Set(draft.program_kind.clone()),
        pillars_inferred: Set(false),
        sort_order: Set(next_order),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    replace_pillars(&txn, row.id, &draft.pillars).await?;
    let created = load_one(&txn, &directory, &key).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "create",
            entity: "initiative",
            entity_key: key,
            organisation_id: Some(organisation.id),
            summary: format!("施策「{}」（{}）を登録", created.title, organisation.name),
            before: None,
            after: Some(created.snapshot()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Changes an initiative's title, description, kind and pillars.
pub async fn update(
    store: &Store,
    actor: &Actor,
    key: &str,
    draft: &InitiativeDraft,
) -> Result<Initiative, StoreError> {
    let txn = store.begin().await?;
    let (directory, before) = editable(&txn, actor, key).await?;
    initiative::ActiveModel {
        id: Set(before.id),
        title: Set(draft.title.clone()),
        description: Set(draft.description.clone()),
        program_kind: Set(draft.program_kind.clone()),
        pillars_inferred: Set(before.pillars_inferred && before.pillars == draft.pillars),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    replace_pillars(&txn, before.id, &draft.pillars).await?;
    let after = load_one(&txn, &directory, key).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "update",
            entity: "initiative",
            entity_key: key.to_owned(),
            organisation_id: Some(after.organisation.id),
            summary: format!(
                "施策「{}」（{}）を更新",
                after.title, after.organisation.name
            ),
            before: Some(before.snapshot()),
            after: Some(after.snapshot()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes an initiative with its years and KPIs.
pub async fn delete(store: &Store, actor: &Actor, key: &str) -> Result<(), StoreError> {
    let txn = store.begin().await?;
    let (_, before) = editable(&txn, actor, key).await?;
    initiative::Entity::delete_by_id(before.id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "delete",
            entity: "initiative",
            entity_key: key.to_owned(),
            organisation_id: Some(before.organisation.id),
            summary: format!(
                "施策「{}」（{}）を削除",
                before.title, before.organisation.name
            ),
            before: Some(before.snapshot()),
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Writes a fiscal year's entry and replaces its KPIs. `editing` is the year being
/// edited (`None` to add a year); moving an entry onto a year that already has one
/// is a conflict, not a silent overwrite.
pub async fn save_entry(
    store: &Store,
    actor: &Actor,
    key: &str,
    editing: Option<FiscalYear>,
    draft: &EntryDraft,
) -> Result<Initiative, StoreError> {
    let txn = store.begin().await?;
    let after = save_entry_in(&txn, actor, key, editing, draft).await?;
    txn.commit().await?;
    Ok(after)
}

/// [`save_entry`] inside a caller's transaction (a record that feeds KPIs writes
/// both in one).
pub(crate) async fn save_entry_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    key: &str,
    editing: Option<FiscalYear>,
    draft: &EntryDraft,
) -> Result<Initiative, StoreError> {
    let (directory, before) = editable(txn, actor, key).await?;
    if let Some(original) = editing
        && before.entry(original).is_none()
    {
        return Err(StoreError::not_found(format!("{}の記録", original.label())));
    }
    if editing != Some(draft.fy) && before.entry(draft.fy).is_some() {
        return Err(StoreError::Conflict(format!(
            "{}の記録は既にあります。その年度の記録を編集してください。",
            draft.fy.label()
        )));
    }
    let existing = fiscal_entry::Entity::find()
        .filter(fiscal_entry::Column::InitiativeId.eq(before.id))
        .filter(fiscal_entry::Column::Fy.eq(editing.unwrap_or(draft.fy).year()))
        .one(txn)
        .await?;
    let now = Utc::now();
    let entry_id = match existing {
        Some(row) => {
            kpi::Entity::delete_many()
                .filter(kpi::Column::EntryId.eq(row.id))
                .exec(txn)
                .await?;
            fiscal_entry::ActiveModel {
                id: Set(row.id),
                fy: Set(draft.fy.year()),
                status: Set(draft.status.code().to_owned()),
                summary: Set(draft.summary.clone()),
                updated_at: Set(now),
                ..Default::default()
            }
            .update(txn)
            .await?
            .id
        }
        None => {
            fiscal_entry::ActiveModel {
                initiative_id: Set(before.id),
                fy: Set(draft.fy.year()),
                status: Set(draft.status.code().to_owned()),
                summary: Set(draft.summary.clone()),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?
            .id
        }
    };
    for (position, kpi) in draft.kpis.iter().enumerate() {
        kpi::ActiveModel {
            entry_id: Set(entry_id),
            label: Set(kpi.label.clone()),
            value: Set(kpi.value.get()),
            unit: Set(kpi.unit.clone()),
            note: Set(kpi.note.clone()),
            sort_order: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    initiative::ActiveModel {
        id: Set(before.id),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(txn)
    .await?;
    let after = load_one(txn, &directory, key).await?;
    audit::record(
        txn,
        Some(actor),
        Change {
            action: if editing.is_some() {
                "update"
            } else {
                "create"
            },
            entity: "fiscal_entry",
            entity_key: format!("{key}/{}", draft.fy.year()),
            organisation_id: Some(after.organisation.id),
            summary: format!("施策「{}」の{}の記録を保存", after.title, draft.fy.label()),
            before: Some(before.snapshot()),
            after: Some(after.snapshot()),
        },
    )
    .await?;
    Ok(after)
}

/// Deletes a fiscal year's entry with its KPIs.
pub async fn delete_entry(
    store: &Store,
    actor: &Actor,
    key: &str,
    fy: FiscalYear,
) -> Result<Initiative, StoreError> {
    let txn = store.begin().await?;
    let (directory, before) = editable(&txn, actor, key).await?;
    let deleted = fiscal_entry::Entity::delete_many()
        .filter(fiscal_entry::Column::InitiativeId.eq(before.id))
        .filter(fiscal_entry::Column::Fy.eq(fy.year()))
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(StoreError::not_found(format!("{}の記録", fy.label())));
    }
    let after = load_one(&txn, &directory, key).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "delete",
            entity: "fiscal_entry",
            entity_key: format!("{key}/{}", fy.year()),
            organisation_id: Some(after.organisation.id),
            summary: format!("施策「{}」の{}の記録を削除", after.title, fy.label()),
            before: Some(before.snapshot()),
            after: Some(after.snapshot()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// A figure counted from a programme's records, written into an initiative's KPIs.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiFigure {
    pub label: String,
    pub value: f64,
    pub unit: String,
}

/// Writes figures counted from records (negotiations, certifications, diagnoses) into
/// the KPIs of an initiative's fiscal-year entry (created as a result if missing): a
/// KPI with the same label is updated, others are kept, a zero figure is not added.
/// The note says where the figure came from and when. Goes through
/// [`save_entry`], so the change is authorised and audited like a typed one.
pub async fn feed_kpis(
    store: &Store,
    actor: &Actor,
    initiative_key: &str,
    fy: FiscalYear,
    figures: &[KpiFigure],
    source: &str,
) -> Result<(), StoreError> {
    let txn = store.begin().await?;
    feed_kpis_in(&txn, actor, initiative_key, fy, figures, source).await?;
    txn.commit().await?;
    Ok(())
}

/// [`feed_kpis`] inside a caller's transaction.
pub(crate) async fn feed_kpis_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    initiative_key: &str,
    fy: FiscalYear,
    figures: &[KpiFigure],
    source: &str,
) -> Result<(), StoreError> {
    use domain::catalogue::KpiDraft;

    let directory = organisations::directory_in(txn).await?;
    let initiative = load_one(txn, &directory, initiative_key).await?;
    let today = domain::time::japan_today();
    let note = format!("{source}から集計（{today}）");
    let current = initiative.entry(fy).cloned();
    let mut kpis: Vec<KpiDraft> = current
        .as_ref()
        .map(|e| {
            e.kpis
                .iter()
                .map(|k| KpiDraft {
                    label: k.label.clone(),
                    value: k.value,
                    unit: k.unit.clone(),
                    note: k.note.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    for figure in figures {
        let value = KpiValue::new(figure.value)?;
        match kpis.iter_mut().find(|k| k.label == figure.label) {
            Some(kpi) => {
                kpi.value = value;
                kpi.note = note.clone();
            }
            None if value.get() > 0.0 => kpis.push(KpiDraft {
                label: figure.label.clone(),
                value,
                unit: figure.unit.clone(),
                note: note.clone(),
            }),
            None => {}
        }
    }
    let draft = EntryDraft {
        fy,
        status: current.as_ref().map_or(EntryStatus::Done, |e| e.status),
        summary: current.map(|e| e.summary).unwrap_or_default(),
        kpis,
    };
    let editing = initiative.entry(fy).map(|e| e.fy);
    save_entry_in(txn, actor, initiative_key, editing, &draft).await?;
    Ok(())
}
