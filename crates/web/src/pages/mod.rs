//! Server-rendered pages, one module per resource; each exposes `router()`.

mod account;
mod admin;
mod api_tokens;
pub(crate) mod applications;
pub(crate) mod basics;
pub(crate) mod companies;
mod company_import;
mod digest;
pub(crate) mod documents;
pub(crate) mod events;
pub(crate) mod fairs;
pub(crate) mod feeds;
pub(crate) mod forms;
mod groups;
mod home;
pub(crate) mod initiatives;
mod invitations;
mod keeping;
mod needs;
mod negotiations;
mod network;
mod notices;
mod offices;
mod open_factory;
mod outbox;
mod people;
mod printed;
mod publishing;
mod recovery;
mod registrations;
mod signup;
mod sites;

pub use initiatives::export_table as initiatives_table;
pub(crate) use initiatives::parse_filter as initiatives_filter;
mod reports;
pub(crate) mod surveys;
pub(crate) mod system;
mod two_step;
mod unsubscribe;

use axum::Router;

use crate::AppState;
use crate::form::FormData;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(home::router())
        .merge(system::router())
        .merge(basics::router())
        .merge(account::router())
        .merge(two_step::router())
        .merge(api_tokens::router())
        .merge(recovery::router())
        .merge(invitations::router())
        .merge(initiatives::router())
        .merge(company_import::router())
        .merge(companies::router())
        .merge(needs::router())
        .merge(groups::router())
        .merge(negotiations::router())
        .merge(network::router())
        .merge(fairs::router())
        .merge(forms::router())
        .merge(offices::router())
        .merge(keeping::router())
        .merge(sites::router())
        .merge(documents::router())
        .merge(people::router())
        .merge(events::router())
        .merge(feeds::router())
        .merge(registrations::router())
        .merge(open_factory::router())
        .merge(publishing::router())
        .merge(reports::router())
        .merge(printed::router())
        .merge(admin::router())
        .merge(outbox::router())
        .merge(notices::router())
        .merge(surveys::router())
        .merge(unsubscribe::router())
        .merge(digest::router())
        .merge(applications::router())
        .merge(signup::router())
}

/// Parses a query string into ordered pairs: repeated names (`fy=`, facets) are
/// kept, a pair repeating an earlier one exactly is folded into it. Pages echo
/// their query into every link, so `city=ota` sent a thousand times must count
/// once (`layers::query_budget` caps what reaches this).
pub(crate) fn query_pairs(query: Option<&str>) -> FormData {
    let mut seen = std::collections::HashSet::new();
    FormData(
        form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .filter(|pair| seen.insert(pair.clone()))
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect(),
    )
}

/// Field errors as lines of a form's error summary, each named by the page's own
/// label for the field: "施策名：入力してください。".
pub(crate) fn messages<L: std::fmt::Display>(
    errors: &[domain::Invalid],
    label: impl Fn(&str) -> L,
) -> Vec<String> {
    errors
        .iter()
        .map(|e| format!("{}：{}", label(&e.field), e.reason))
        .collect()
}

/// Re-renders a form with the errors and what was typed (422, 409 or 403), or
/// passes any other error on.
pub(crate) fn refill<T: axum::response::IntoResponse, L: std::fmt::Display>(
    error: store::StoreError,
    label: impl Fn(&str) -> L,
    render: impl FnOnce(Vec<String>) -> Result<T, crate::WebError>,
) -> Result<axum::response::Response, crate::WebError> {
    use axum::response::IntoResponse;
    let (status, errors) = form_errors(error, label)?;
    Ok((status, render(errors)?).into_response())
}

/// The status and the lines of a form's error summary for a refused change, or the
/// error itself when it is not the user's to fix.
pub(crate) fn form_errors<L: std::fmt::Display>(
    error: store::StoreError,
    label: impl Fn(&str) -> L,
) -> Result<(axum::http::StatusCode, Vec<String>), crate::WebError> {
    use axum::http::StatusCode;
    use store::StoreError;
    Ok(match error {
        StoreError::Invalid(errors) => (StatusCode::UNPROCESSABLE_ENTITY, messages(&errors, label)),
        StoreError::Conflict(message) => (StatusCode::CONFLICT, vec![message]),
        StoreError::Forbidden { reason } => (StatusCode::FORBIDDEN, vec![reason]),
        other => return Err(other.into()),
    })
}
