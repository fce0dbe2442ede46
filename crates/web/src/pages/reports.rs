//! `/reports/annual?fy=2016&fy=2017`: the council's annual report as a page
//! (print-ready), as a standalone HTML file, as Markdown and as the published PDF.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use domain::FiscalYear;

use super::query_pairs;
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports/annual", get(annual))
        .route("/reports/annual.md", get(annual_markdown))
        .route("/reports/annual.pdf", get(annual_pdf))
}

/// The years asked for; the document's two years when none are given.
pub fn requested_years(raw: Option<&str>) -> Result<Vec<FiscalYear>, WebError> {
    let query = query_pairs(raw);
    let mut years = Vec::new();
    for text in query.all("fy") {
        let fy = FiscalYear::parse(&text).map_err(|e| WebError::BadRequest(e.reason))?;
        years.push(fy);
    }
    if years.len() > 20 {
        return Err(WebError::BadRequest(
            "年度は20年度分まで指定できます。".into(),
        ));
    }
    if years.is_empty() {
        years = [2016, 2017]
            .into_iter()
            .filter_map(|y| FiscalYear::new(y).ok())
            .collect();
    }
    Ok(years)
}

async fn annual(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let years = requested_years(raw.as_deref())?;
    let standalone = query_pairs(raw.as_deref()).get("standalone") == "1";
    let html = crate::report::annual_html(&state.store, &years, standalone).await?;
    let mut response = Html(html).into_response();
    if standalone {
        // The standalone file carries its stylesheet inline.
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
            ),
        );
    }
    Ok(response)
}

/// The published version: A4 PDF, without staff-only notes.
async fn annual_pdf(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let years = requested_years(raw.as_deref())?;
    let bytes = crate::pdf::annual_report(&state.store, &years).await?;
    Ok(crate::pdf::response(
        bytes,
        &crate::pdf::annual_filename(&years),
    ))
}

async fn annual_markdown(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let years = requested_years(raw.as_deref())?;
    let markdown = crate::report::annual_markdown(&state.store, &years).await?;
    let mut response = markdown.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/markdown; charset=utf-8"),
    );
    Ok(response)
}
