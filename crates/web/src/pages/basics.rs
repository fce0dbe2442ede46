//! What every web site answers besides its pages: `/favicon.ico`, `/robots.txt`, and
//! the static assets under a name that carries a hash of their content
//! (`/static/app.<hash>.css`), cached for a year as immutable: a new build changes
//! the name, so a browser never keeps an old stylesheet. The unhashed names
//! (`/static/app.css`, `/static/forms.js`) keep working with a short
//! cache for city homepages that link them directly.
//!
//! Templates take the hashed names from [`app_css`] and [`forms_js`], the one place
//! they are made.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};

use crate::{AppState, WebError};

/// The site's icon: two linked rings (連携) on the accent blue, 16 and 32 px.
const FAVICON: &[u8] = include_bytes!("../../static/favicon.ico");

/// The forms' script (conditional questions and autosave).
pub(crate) const FORMS_SCRIPT: &str = include_str!("../../static/forms.js");

/// A year, the longest cache RFC 9111 expects to be honoured.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Public pages are open to crawlers; the secretariat's and staff's pages, the
/// personal pages, every link that carries a token, the downloads and the JSON API
/// are not.
const ROBOTS: &str = "\
User-agent: *
Disallow: /admin
Disallow: /account
Disallow: /me/
Disallow: /notices
Disallow: /notifications
Disallow: /applications
Disallow: /login
Disallow: /logout
Disallow: /password/
Disallow: /signup/confirm/
Disallow: /invitations
Disallow: /registrations/
Disallow: /digest/confirm/
Disallow: /unsubscribe/
Disallow: /s/
Disallow: /forms/
Disallow: /people/*/export
Disallow: /*.csv
Disallow: /*.xlsx
Disallow: /*.fjs
Disallow: /*.md
Disallow: /api/v1/
Allow: /
";

/// `name.<first 12 hex digits of the content's SHA-256>.ext`.
fn hashed(name: &str, ext: &str, content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{name}.{hex}.{ext}")
}

static APP_CSS: LazyLock<String> =
    LazyLock::new(|| hashed("app", "css", crate::report::STYLESHEET.as_bytes()));
static FORMS_JS: LazyLock<String> =
    LazyLock::new(|| hashed("forms", "js", FORMS_SCRIPT.as_bytes()));

/// The stylesheet's address with its content hash, for templates.
pub fn app_css() -> String {
    format!("/static/{}", *APP_CSS)
}

/// The forms' script's address with its content hash, for templates.
pub fn forms_js() -> String {
    format!("/static/{}", *FORMS_JS)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/favicon.ico", get(favicon))
        .route("/robots.txt", get(robots))
        .route("/static/app.css", get(stylesheet))
        .route("/static/forms.js", get(forms_script))
        .route("/static/{file}", get(asset))
}

fn with_headers(
    body: impl IntoResponse,
    content_type: &'static str,
    cache: &'static str,
) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

async fn favicon() -> Response {
    with_headers(FAVICON, "image/x-icon", "public, max-age=86400")
}

async fn robots() -> Response {
    with_headers(ROBOTS, "text/plain; charset=utf-8", "public, max-age=3600")
}

/// The stylesheet under its old name, for pages that link it directly.
async fn stylesheet() -> Response {
    with_headers(
        crate::report::STYLESHEET,
        "text/css; charset=utf-8",
        "public, max-age=3600",
    )
}

/// The forms' script (conditional questions and autosave) under its old name.
async fn forms_script() -> Response {
    with_headers(
        FORMS_SCRIPT,
        "text/javascript; charset=utf-8",
        "public, max-age=3600",
    )
}

/// A hashed asset, immutable for a year; any other name is a 404 (an old hash
/// included: its content is gone with the build that had it).
async fn asset(Path(file): Path<String>) -> Result<Response, WebError> {
    if file == *APP_CSS {
        return Ok(with_headers(
            crate::report::STYLESHEET,
            "text/css; charset=utf-8",
            IMMUTABLE,
        ));
    }
    if file == *FORMS_JS {
        return Ok(with_headers(
            FORMS_SCRIPT,
            "text/javascript; charset=utf-8",
            IMMUTABLE,
        ));
    }
    Err(WebError::NotFound(format!("ファイル「{file}」")))
}

/// gzip or Brotli, as the client accepts, for every answer but those already
/// compressed (XLSX and other zip containers, PDF, images, fonts) and the ones
/// tower-http leaves alone anyway (event streams, tiny bodies, an answer that has
/// its own Content-Encoding). Bodies are compressed as they stream.
pub(crate) fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new().gzip(true).br(true).compress_when(
        DefaultPredicate::new()
            .and(NotForContentType::const_new(
                "application/vnd.openxmlformats",
            ))
            .and(NotForContentType::const_new("application/zip"))
            .and(NotForContentType::const_new("application/pdf"))
            .and(NotForContentType::const_new("application/gzip"))
            .and(NotForContentType::const_new("font/")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_follow_the_content() {
        assert!(app_css().starts_with("/static/app.") && app_css().ends_with(".css"));
        assert_eq!(app_css().len(), "/static/app..css".len() + 12);
        assert_ne!(hashed("app", "css", b"a"), hashed("app", "css", b"b"));
    }
}
