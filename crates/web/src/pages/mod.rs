//! Server-rendered pages, one module per resource; each exposes `router()`.

mod account;
mod admin;
pub(crate) mod events;
pub(crate) mod feeds;
mod home;
pub(crate) mod initiatives;
mod publishing;
mod registrations;

pub use initiatives::export_table as initiatives_table;
pub(crate) use initiatives::parse_filter as initiatives_filter;
mod reports;
mod system;

use axum::Router;

use crate::AppState;
use crate::form::FormData;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(home::router())
        .merge(system::router())
        .merge(account::router())
        .merge(initiatives::router())
        .merge(events::router())
        .merge(feeds::router())
        .merge(registrations::router())
        .merge(publishing::router())
        .merge(reports::router())
        .merge(admin::router())
}

/// Parses a query string into ordered pairs (repeated `fy=` and friends kept).
pub(crate) fn query_pairs(query: Option<&str>) -> FormData {
    FormData(
        form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .into_owned()
            .collect(),
    )
}
