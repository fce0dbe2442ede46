//! Feeds for calendar apps and city homepages: `/calendar.ics` (RFC 5545, with
//! `?city=`, `?pillar=`, `?type=` filters), one event as `.ics`, and
//! `/feeds/activity.atom` (Atom 1.0) with the same filters.
//!
//! Only public events are ever in a feed. A cancelled event stays in the calendar
//! feed with STATUS:CANCELLED and a higher SEQUENCE, so that subscribed calendars
//! strike it through instead of silently losing it. A filter that names nothing
//! (an unknown city) is a 400 with a Japanese message, not an empty feed that
//! looks like "no events".

use atom_syndication::{Category, Content, Entry, Feed, Link, Person, Text};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use domain::Pillar;
use domain::events::EventType;
use store::activity::{self, ActivityFilter};
use store::events::{self, Event, EventFilter};
use store::organisations;

use super::events::city_key;
use super::query_pairs;
use crate::{AppState, WebError};

/// The kept feed body for this request (origin, path and query), or a newly built
/// one: rebuilt only after the `changes` sequence moves (see `crate::cache`; building
/// `/calendar.ics` for 10,000 events takes about half a second, a kept answer costs
/// one indexed query; BENCHMARKS.md, scripts/bench-events).
async fn cached<F, Fut>(state: &AppState, key: String, build: F) -> Result<Bytes, WebError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<String, WebError>>,
{
    crate::cache::kept(state, &state.feeds, key, build).await
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/calendar.ics", get(calendar))
        .route("/feeds/activity.atom", get(activity_feed))
}

/// The feed filters (`city` by key, name or 全国地方公共団体コード; `pillar`; `type`).
struct FeedFilter {
    city: Option<String>,
    pillar: Option<Pillar>,
    event_type: Option<EventType>,
}

async fn feed_filter(state: &AppState, raw: Option<&str>) -> Result<FeedFilter, WebError> {
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
    Ok(FeedFilter {
        city,
        pillar,
        event_type,
    })
}

/// `https://host` as the client reached us, for links back into the platform
/// when no public URL is configured (see `AppState::origin`).
pub(crate) fn host_origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']'))
        })
        .unwrap_or("127.0.0.1:8080");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// A calendar of the events (see `store::ical`).
pub(crate) fn calendar_text(name: &str, found: &[Event], origin: &str) -> String {
    store::ical::calendar_text(name, found, origin)
}

fn ics_response(body: Bytes, filename: &str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

async fn calendar(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let filter = feed_filter(&state, raw.as_deref()).await?;
    let origin = state.origin(&headers);
    let key = format!("{origin}/calendar.ics?{}", raw.as_deref().unwrap_or(""));
    let body = cached(&state, key, || async {
        let found = events::list(
            &state.store,
            &EventFilter {
                city: filter.city,
                pillar: filter.pillar,
                event_type: filter.event_type,
                include_members_only: false,
                include_cancelled: true,
                ..Default::default()
            },
        )
        .await?;
        Ok(calendar_text(
            "中小企業都市連絡協議会 イベントカレンダー",
            &found,
            &origin,
        ))
    })
    .await?;
    Ok(ics_response(body, "renkei.ics"))
}

/// `/events/{key}.ics`: one public event, for "add to my calendar".
pub(crate) async fn event_ics(
    state: &AppState,
    headers: &HeaderMap,
    key: &str,
) -> Result<Response, WebError> {
    let event = events::get(&state.store, key, false).await?;
    Ok(one_event_ics(state, &event, headers))
}

/// One event as a calendar file (for a registrant, also a members-only one).
pub(crate) fn one_event_ics(state: &AppState, event: &Event, headers: &HeaderMap) -> Response {
    ics_response(
        calendar_text(
            &event.title,
            std::slice::from_ref(event),
            &state.origin(headers),
        )
        .into(),
        &format!("{}.ics", event.key),
    )
}

async fn activity_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let filter = feed_filter(&state, raw.as_deref()).await?;
    let origin = state.origin(&headers);
    let key = format!(
        "{origin}/feeds/activity.atom?{}",
        raw.as_deref().unwrap_or("")
    );
    let body = cached(&state, key, || async {
        let items = activity::recent(
            &state.store,
            &ActivityFilter {
                city: filter.city,
                pillar: filter.pillar,
                event_type: filter.event_type,
            },
            100,
        )
        .await?;
        let jst = domain::time::japan_offset();
        let self_url = match raw.as_deref() {
            Some(q) if !q.is_empty() => format!("{origin}/feeds/activity.atom?{q}"),
            _ => format!("{origin}/feeds/activity.atom"),
        };
        let link = |href: String, rel: &str| Link {
            href,
            rel: rel.into(),
            ..Default::default()
        };
        let mut feed = Feed::default();
        feed.set_title(Text::plain("中小企業都市連絡協議会の活動"));
        feed.set_id(self_url.clone());
        feed.set_lang(Some("ja".to_owned()));
        feed.set_updated(
            items
                .first()
                .map(|i| i.at)
                .unwrap_or_else(Utc::now)
                .with_timezone(&jst),
        );
        feed.set_authors(vec![Person {
            name: "中小企業都市連絡協議会".into(),
            ..Default::default()
        }]);
        feed.set_links(vec![
            link(self_url, "self"),
            link(format!("{origin}/events"), "alternate"),
        ]);
        feed.set_entries(
            items
                .iter()
                .map(|item| {
                    let mut entry = Entry::default();
                    let kind = match item.kind {
                        "event" => "イベント",
                        "registry" => "認定・表彰",
                        _ => "施策",
                    };
                    entry.set_title(Text::plain(format!("【{kind}】{}", item.title)));
                    entry.set_id(format!("tag:renkei,2016:{}", item.id));
                    entry.set_updated(item.at.with_timezone(&jst));
                    entry.set_links(vec![link(format!("{origin}{}", item.path), "alternate")]);
                    entry.set_authors(vec![Person {
                        name: item.organisation.clone(),
                        ..Default::default()
                    }]);
                    let demo = if item.demo {
                        "【デモ・架空の企業】"
                    } else {
                        ""
                    };
                    entry.set_summary(Some(Text::plain(match &item.city {
                        Some(city) => format!("{demo}{}（{city}）", item.summary),
                        None => format!("{demo}{}", item.summary),
                    })));
                    // An event over or called off says so as the entry's category.
                    if let Some(state) = item.state {
                        entry.set_categories(vec![Category {
                            term: state.to_owned(),
                            label: Some(state.to_owned()),
                            ..Default::default()
                        }]);
                    }
                    entry.set_content(Some(Content {
                        value: Some(item.summary.clone()),
                        content_type: Some("text".into()),
                        ..Default::default()
                    }));
                    entry
                })
                .collect::<Vec<_>>(),
        );
        Ok(feed.to_string())
    })
    .await?;
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml; charset=utf-8"),
    );
    Ok((StatusCode::OK, response).into_response())
}
