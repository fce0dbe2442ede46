//! Publishing to the cities: the event widget a city homepage embeds (an `<iframe>`
//! page and a no-JS HTML fragment for server-side inclusion), and a public page per
//! city and per pillar with upcoming events and initiatives.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::Pillar;
use domain::events::EventType;
use store::catalogue;
use store::events::{self, EventFilter};
use store::organisations;

use super::events::{Row, city_key, row};
use super::query_pairs;
use crate::auth::Viewer;
use crate::view::Layout;
use crate::{AppState, WebError};
use domain::time::japan_today;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/embed/events", get(embed_page))
        .route("/embed/events.html", get(embed_fragment))
        .route("/cities/{key}", get(city_page))
        .route("/pillars/{number}", get(pillar_page))
}

/// How many upcoming events a widget lists.
const WIDGET_SIZE: usize = 10;

/// The widget's events: public, scheduled, from today, with the query's filters.
async fn upcoming(
    state: &AppState,
    raw: Option<&str>,
) -> Result<(Vec<Row>, String, String), WebError> {
    let query = query_pairs(raw);
    let directory = organisations::directory(&state.store).await?;
    let mut errors = Vec::new();
    let city = match query.get("city") {
        "" => None,
        given => city_key(&directory, given)
            .map_err(|e| errors.push(e.reason))
            .ok(),
    };
    let pillar = match query.get("pillar") {
        "" => None,
        given => Pillar::parse(given).map_err(|e| errors.push(e.reason)).ok(),
    };
    let event_type = match query.get("type") {
        "" => None,
        given => EventType::parse(given)
            .map_err(|e| errors.push(e.reason))
            .ok(),
    };
    if !errors.is_empty() {
        return Err(WebError::BadRequest(errors.join(" ")));
    }
    let heading = match city.as_deref().and_then(|k| directory.city_by_key(k)) {
        Some(c) => format!("{}のイベント", c.name),
        None => "7都市のイベント".to_owned(),
    };
    let found = events::list(
        &state.store,
        &EventFilter {
            city: city.clone(),
            pillar,
            event_type,
            from: Some(japan_today()),
            ..Default::default()
        },
    )
    .await?;
    let more = match &city {
        Some(c) => format!("/events?city={c}"),
        None => "/events".to_owned(),
    };
    Ok((
        found.iter().take(WIDGET_SIZE).map(row).collect(),
        heading,
        more,
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "events/embed.html")]
struct EmbedPage {
    heading: String,
    rows: Vec<Row>,
    origin: String,
    more: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "events/embed_fragment.html")]
struct EmbedFragment {
    heading: String,
    rows: Vec<Row>,
    origin: String,
    more: String,
}

async fn embed_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<EmbedPage, WebError> {
    let (rows, heading, more) = upcoming(&state, raw.as_deref()).await?;
    Ok(EmbedPage {
        heading,
        rows,
        origin: state.origin(&headers),
        more,
    })
}

async fn embed_fragment(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let (rows, heading, more) = upcoming(&state, raw.as_deref()).await?;
    let mut response = EmbedFragment {
        heading,
        rows,
        origin: state.origin(&headers),
        more,
    }
    .into_response();
    // A city's CMS may fetch the fragment from its own origin.
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(response)
}

/// An initiative as a line on a public page.
struct InitiativeLine {
    key: String,
    title: String,
    organisation: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "events/topic.html")]
struct TopicPage {
    layout: Layout,
    lead: String,
    /// `city=ota` or `pillar=2`: the filter for links to the calendar and feeds.
    filter: String,
    upcoming: Vec<Row>,
    recent: Vec<Row>,
    initiatives: Vec<InitiativeLine>,
}

/// Events from today on, and the latest ten before today.
async fn events_around(
    state: &AppState,
    filter: EventFilter,
) -> Result<(Vec<Row>, Vec<Row>), WebError> {
    let today = japan_today();
    let all = events::list(&state.store, &filter).await?;
    let upcoming = all
        .iter()
        .filter(|e| e.time.last_day() >= today)
        .map(row)
        .collect();
    let recent = all
        .iter()
        .rev()
        .filter(|e| e.time.last_day() < today)
        .take(10)
        .map(row)
        .collect();
    Ok((upcoming, recent))
}

fn lines(initiatives: &[catalogue::Initiative]) -> Vec<InitiativeLine> {
    initiatives
        .iter()
        .map(|i| InitiativeLine {
            key: i.key.clone(),
            title: i.title.clone(),
            organisation: i.organisation.name.clone(),
        })
        .collect()
}

async fn city_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<TopicPage, WebError> {
    let directory = organisations::directory(&state.store).await?;
    let city = city_key(&directory, &key)
        .ok()
        .and_then(|k| directory.city_by_key(&k).cloned())
        .ok_or_else(|| WebError::NotFound(format!("都市「{key}」")))?;
    let (upcoming, recent) = events_around(
        &state,
        EventFilter {
            city: Some(city.key.clone()),
            ..Default::default()
        },
    )
    .await?;
    let initiatives = catalogue::list(
        &state.store,
        &catalogue::Filter {
            city: Some(city.key.clone()),
            ..Default::default()
        },
    )
    .await?;
    Ok(TopicPage {
        layout: Layout::for_viewer(city.name.clone(), &viewer),
        lead: format!(
            "{}（{}・全国地方公共団体コード {}）のイベントと施策。",
            city.name, city.prefecture, city.local_gov_code
        ),
        filter: format!("city={}", city.key),
        upcoming,
        recent,
        initiatives: lines(&initiatives),
    })
}

async fn pillar_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(number): Path<String>,
) -> Result<TopicPage, WebError> {
    let pillar =
        Pillar::parse(&number).map_err(|_| WebError::NotFound(format!("柱「{number}」")))?;
    let (upcoming, recent) = events_around(
        &state,
        EventFilter {
            pillar: Some(pillar),
            ..Default::default()
        },
    )
    .await?;
    let initiatives = catalogue::list(
        &state.store,
        &catalogue::Filter {
            pillar: Some(pillar),
            ..Default::default()
        },
    )
    .await?;
    Ok(TopicPage {
        layout: Layout::for_viewer(pillar.heading(), &viewer),
        lead: format!("尼崎宣言の柱「{}」に関するイベントと施策。", pillar.name()),
        filter: format!("pillar={}", pillar.number()),
        upcoming,
        recent,
        initiatives: lines(&initiatives),
    })
}
