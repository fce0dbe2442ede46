//! The public home page: the council, the three pillars, the organisations.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use domain::Pillar;
use store::catalogue::{self, Filter};

use crate::auth::Viewer;
use crate::view::Layout;
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(page))
}

/// How many events and activity items the home page shows.
const HOME_ITEMS: usize = 5;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    preamble: String,
    /// 「今後のイベント」, or 「最近のイベント」 when nothing is scheduled ahead.
    events_heading: &'static str,
    events: Vec<super::events::Row>,
    /// (date in Tokyo, one-line summary, link)
    /// (day, line, path, invented demonstration data).
    activity: Vec<(String, String, String, bool)>,
    cities: Vec<(String, String)>,
    pillars: Vec<(u8, String, usize)>,
    organisations: Vec<(String, String, usize)>,
}

async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<HomePage, WebError> {
    let initiatives = catalogue::list(&state.store, &Filter::default()).await?;
    let directory = store::organisations::directory(&state.store).await?;
    let document = store::seed::document()?;
    let all_events =
        store::events::list(&state.store, &store::events::EventFilter::default()).await?;
    let today = domain::time::japan_today();
    let upcoming: Vec<_> = all_events
        .iter()
        .filter(|e| e.time.last_day() >= today)
        .take(HOME_ITEMS)
        .map(super::events::row)
        .collect();
    let (events_heading, events) = if upcoming.is_empty() {
        let recent = all_events.iter().rev().take(HOME_ITEMS);
        ("最近のイベント", recent.map(super::events::row).collect())
    } else {
        ("今後のイベント", upcoming)
    };
    let activity = store::activity::recent(&state.store, &Default::default(), HOME_ITEMS)
        .await?
        .into_iter()
        .map(|item| {
            // Tokyo has no daylight saving: UTC+9 all year.
            let day = domain::time::in_japan(item.at).format("%Y-%m-%d");
            // The record's title (with the company of a registry entry) and what
            // happened, unless the summary names the record already.
            let line = if item.summary.contains(&item.title) {
                item.summary
            } else {
                format!("{}｜{}", item.title, item.summary)
            };
            (day.to_string(), line, item.path, item.demo)
        })
        .collect();
    Ok(HomePage {
        layout: Layout::for_viewer("トップ", &viewer),
        events_heading,
        events,
        activity,
        cities: directory
            .cities
            .iter()
            .map(|c| (c.key.clone(), c.name.clone()))
            .collect(),
        preamble: document
            .preamble
            .split("\n\n")
            .next()
            .unwrap_or("")
            .to_owned(),
        pillars: Pillar::ALL
            .iter()
            .map(|p| {
                let count = initiatives.iter().filter(|i| i.pillars.contains(p)).count();
                (p.number(), p.heading(), count)
            })
            .collect(),
        organisations: directory
            .organisations
            .iter()
            .map(|o| {
                let count = initiatives
                    .iter()
                    .filter(|i| i.organisation.id == o.id)
                    .count();
                (o.key.clone(), o.name.clone(), count)
            })
            .collect(),
    })
}
