//! The council's public activity, newest first: every public event (one item each,
//! dated by its last change, so a feed reader sees an edit or a cancellation as an
//! update of the same entry) and the changes to initiatives and their fiscal-year
//! results from the audit log, and the entries of the public registry (approved
//! certifications and awards). What the Atom feed shows.
//!
//! Only what is public leaves here: members-only events, deletions and account
//! changes never do.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::Pillar;
use domain::events::{EventState, EventType};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entity::audit_entry;
use crate::events::{self, EventFilter};
use crate::{Store, StoreError, catalogue};

/// One public change.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityItem {
    /// Stable per record (`event-{key}`) or per change (`change-{audit id}`).
    pub id: String,
    pub at: DateTime<Utc>,
    /// `event`, `initiative` or `registry`.
    pub kind: &'static str,
    /// `create`, `update`, `cancel`.
    pub action: String,
    /// The record's title.
    pub title: String,
    /// The audit log's one-line Japanese summary.
    pub summary: String,
    /// Where the record is: `/events/{key}`, `/initiatives/{key}` or `/registry/{slug}`.
    pub path: String,
    pub city: Option<String>,
    pub organisation: String,
    /// About invented demonstration data (a registry entry of an invented company),
    /// marked 「デモ」 where it is shown.
    pub demo: bool,
    /// An event's state when it is over or called off (終了, 中止): the feed's category.
    pub state: Option<&'static str>,
}

/// Which activity to show. Empty fields do not filter; `event_type` keeps events only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityFilter {
    pub city: Option<String>,
    pub pillar: Option<Pillar>,
    pub event_type: Option<EventType>,
}

/// How far back the log is read for one feed.
const SCAN: u64 = 1000;

/// The newest public changes matching the filter, at most `limit`.
pub async fn recent(
    store: &Store,
    filter: &ActivityFilter,
    limit: usize,
) -> Result<Vec<ActivityItem>, StoreError> {
    let rows = audit_entry::Entity::find()
        .filter(audit_entry::Column::Entity.is_in(["initiative", "fiscal_entry"]))
        .filter(audit_entry::Column::Action.is_in(["create", "update", "cancel"]))
        .order_by_desc(audit_entry::Column::Id)
        .limit(SCAN)
        .all(&store.db)
        .await?;
    let events: HashMap<String, events::Event> = events::list(
        store,
        &EventFilter {
            include_members_only: true,
            include_cancelled: true,
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .map(|e| (e.key.clone(), e))
    .collect();
    let initiatives: HashMap<String, catalogue::Initiative> =
        catalogue::list(store, &catalogue::Filter::default())
            .await?
            .into_iter()
            .map(|i| (i.key.clone(), i))
            .collect();
    let mut items: Vec<ActivityItem> = events
        .values()
        .filter(|event| {
            !event.members_only
                && filter.city.as_ref().is_none_or(|c| *c == event.city.key)
                && filter.pillar.is_none_or(|p| event.pillars.contains(&p))
                && filter.event_type.is_none_or(|t| t == event.event_type)
        })
        .map(|event| ActivityItem {
            id: format!("event-{}", event.key),
            at: event.updated_at,
            kind: "event",
            action: if event.is_cancelled() {
                "cancel".into()
            } else if event.sequence > 0 {
                "update".into()
            } else {
                "create".into()
            },
            title: event.title.clone(),
            summary: format!(
                "{}｜{}｜{}（{}）",
                // An event of the past that went ahead was held, not "scheduled".
                match event.state() {
                    EventState::Ended => "開催済み",
                    other => other.label(),
                },
                event.time.label(),
                event.event_type.label(),
                event.city.name
            ),
            path: format!("/events/{}", event.key),
            city: Some(event.city.name.clone()),
            organisation: event.organisation.name.clone(),
            demo: false,
            state: match event.state() {
                EventState::Scheduled => None,
                other => Some(other.label()),
            },
        })
        .collect();
    if filter.event_type.is_none() {
        for row in rows {
            // A fiscal entry's key is `{initiative}/{fy}`.
            let key = row.entity_key.split('/').next().unwrap_or_default();
            let Some(initiative) = initiatives.get(key) else {
                continue;
            };
            let city = initiative.organisation.city.as_ref();
            if filter
                .city
                .as_ref()
                .is_some_and(|c| city.is_none_or(|city| city.key != *c))
                || filter
                    .pillar
                    .is_some_and(|p| !initiative.pillars.contains(&p))
            {
                continue;
            }
            items.push(ActivityItem {
                id: format!("change-{}", row.id),
                at: row.at,
                kind: "initiative",
                action: row.action,
                title: initiative.title.clone(),
                summary: row.summary,
                path: format!("/initiatives/{}", initiative.key),
                city: city.map(|c| c.name.clone()),
                organisation: initiative.organisation.name.clone(),
                demo: false,
                state: None,
            });
        }
    }
    if filter.event_type.is_none() && filter.pillar.is_none() {
        // Approved certifications and awards of the public registry.
        let registry_filter = crate::applications::RegistryFilter {
            kind: None,
            city: filter.city.clone(),
        };
        for entry in crate::applications::registry(store, &registry_filter).await? {
            items.push(ActivityItem {
                id: format!("registry-{}", entry.slug),
                at: entry.approved_at,
                kind: "registry",
                action: "create".into(),
                // An award's title is the company itself: named once.
                title: if entry.title == entry.company_name {
                    entry.title.clone()
                } else {
                    format!("{}（{}）", entry.title, entry.company_name)
                },
                summary: format!(
                    "{}｜{}年 {}「{}」",
                    entry.category, entry.year, entry.organisation_name, entry.call_title
                ),
                path: format!("/registry/{}", entry.slug),
                city: entry.city_name.clone(),
                organisation: entry.organisation_name.clone(),
                demo: entry.demo,
                state: None,
            });
        }
    }
    items.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
    items.truncate(limit);
    Ok(items)
}
