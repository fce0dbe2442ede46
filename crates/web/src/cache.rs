//! Answers kept while the `changes` sequence stands still, and conditional GET.
//!
//! One mechanism, [`ChangeCache`], keeps two kinds of answer: feed bodies (per URL,
//! for every viewer: a feed holds public events only, `pages::feeds`) and whole
//! pages for **anonymous** visitors ([`conditional`]). Every change to anything a
//! page shows is written with its audit entry and a `changes` row in one transaction
//! (`store::audit::record`), so an answer kept at sequence *n* is right for as long as
//! the newest row is still *n*. Each request reads the newest sequence (one indexed
//! query, as `/healthz` makes one), so every process behind a load balancer sees
//! another's change at once. A page is read at the sequence taken *before* it was
//! rendered, so it is never labelled newer than it is.
//!
//! Who is anonymous: a request without a session cookie and without an API token.
//! Such a request has no viewer to tell apart — it sees what anybody sees — and a
//! page that gives a visitor something of their own (a form with a CSRF token starts
//! a session) sets a cookie, which is never kept. A signed-in viewer's page is never
//! taken from the cache nor put into it: their requests are rendered every time and
//! get an ETag made from their session and the page, so that a reload that changed
//! nothing is a `304 Not Modified` without the body, and no other viewer's tag can
//! ever match it.
//!
//! Pages also depend on the clock (「今後のイベント」, the current month, a closing
//! date), which `changes` does not see: a kept page is rebuilt after [`PAGE_TTL`] at
//! the latest.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::{AppState, WebError};

/// Answers kept by key, each valid at one `changes` sequence (and, for pages, for a
/// while). Bounded in entries and bytes: when full, stale entries go first, then
/// the oldest.
#[derive(Debug)]
pub struct ChangeCache<V> {
    entries: Mutex<Entries<V>>,
    max_entries: usize,
    max_bytes: usize,
    ttl: Option<Duration>,
}

#[derive(Debug)]
struct Entries<V> {
    map: HashMap<String, Kept<V>>,
    bytes: usize,
}

#[derive(Debug)]
struct Kept<V> {
    seq: i64,
    at: Instant,
    bytes: usize,
    value: V,
}

impl<V: Clone> ChangeCache<V> {
    /// A cache of at most `max_entries` answers and `max_bytes` in all, each kept at
    /// most `ttl` (`None`: until the sequence moves).
    pub fn new(max_entries: usize, max_bytes: usize, ttl: Option<Duration>) -> Self {
        ChangeCache {
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                bytes: 0,
            }),
            max_entries,
            max_bytes,
            ttl,
        }
    }

    /// The answer kept for `key` at sequence `seq`, if it is still fresh.
    pub fn get(&self, key: &str, seq: i64) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let kept = entries.map.get(key)?;
        (kept.seq == seq && self.ttl.is_none_or(|ttl| kept.at.elapsed() < ttl))
            .then(|| kept.value.clone())
    }

    /// Keeps `value` (of about `bytes`) for `key`, read at sequence `seq`. An answer
    /// bigger than a quarter of the budget is not kept; an older sequence never
    /// replaces a newer one.
    pub fn put(&self, key: String, seq: i64, value: V, bytes: usize) {
        if bytes > self.max_bytes / 4 {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if let Some(old) = entries.map.get(&key) {
            if old.seq > seq {
                return;
            }
            let old_bytes = old.bytes;
            entries.map.remove(&key);
            entries.bytes -= old_bytes;
        }
        if entries.map.len() >= self.max_entries || entries.bytes + bytes > self.max_bytes {
            let before = entries.map.len();
            entries.map.retain(|_, kept| kept.seq == seq);
            if entries.map.len() != before {
                entries.bytes = entries.map.values().map(|kept| kept.bytes).sum();
            }
        }
        while entries.map.len() >= self.max_entries || entries.bytes + bytes > self.max_bytes {
            let Some(oldest) = entries
                .map
                .iter()
                .min_by_key(|(_, kept)| kept.at)
                .map(|(key, _)| key.clone())
            else {
                break;
            };
            if let Some(kept) = entries.map.remove(&oldest) {
                entries.bytes -= kept.bytes;
            }
        }
        entries.bytes += bytes;
        entries.map.insert(
            key,
            Kept {
                seq,
                at: Instant::now(),
                bytes,
                value,
            },
        );
    }
}

/// The newest `changes` sequence: what every kept answer is checked against.
pub(crate) async fn sequence(state: &AppState) -> Result<i64, WebError> {
    Ok(store::audit::latest_change(&state.store).await?)
}

/// The kept answer for `key`, or a newly built one, kept (the feeds').
pub(crate) async fn kept<F, Fut>(
    state: &AppState,
    cache: &ChangeCache<Bytes>,
    key: String,
    build: F,
) -> Result<Bytes, WebError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<String, WebError>>,
{
    let seq = sequence(state).await?;
    if let Some(body) = cache.get(&key, seq) {
        return Ok(body);
    }
    let body = Bytes::from(build().await?);
    cache.put(key, seq, body.clone(), body.len());
    Ok(body)
}

/// Distinct feed URLs kept at once, and their bytes (`/calendar.ics` with 10,000
/// events is 4.3 MB).
pub const FEED_ENTRIES: usize = 512;
pub const FEED_BYTES: usize = 64 * 1024 * 1024;

/// Distinct anonymous page URLs kept at once, and their bytes.
pub const PAGE_ENTRIES: usize = 1024;
pub const PAGE_BYTES: usize = 64 * 1024 * 1024;

/// The longest a page is kept although nothing changed: pages that depend on the
/// date or the hour (the next events, this month's grid, a form's closing time) are
/// at most this late.
pub const PAGE_TTL: Duration = Duration::from_secs(10);

/// The largest body given an ETag (and kept): pages and small exports; a bigger
/// download streams as before.
const MAX_TAGGED_BYTES: u64 = 4 * 1024 * 1024;

/// Paths never kept nor tagged: health and metrics say what is true now; the rest
/// carry a single-use token or are a person's own (robots.txt keeps crawlers off the
/// same), and their GET may do something (confirm an address, spend a link).
const NEVER_KEPT: &[&str] = &[
    "/healthz",
    "/metrics",
    "/login",
    "/logout",
    "/account",
    "/admin",
    "/me/",
    "/notices",
    "/notifications",
    "/password/",
    "/signup/confirm/",
    "/invitations",
    "/registrations/",
    "/digest/confirm/",
    "/unsubscribe/",
    "/s/",
    "/api/v1/session",
];

fn never_kept(path: &str) -> bool {
    NEVER_KEPT.iter().any(|prefix| path.starts_with(prefix))
}

/// A page as kept: what the handler answered, its ETag, and its gzip form made once.
#[derive(Debug, Clone)]
pub struct Page {
    headers: HeaderMap,
    body: Bytes,
    gzip: Option<Bytes>,
    etag: HeaderValue,
}

impl Page {
    fn bytes(&self) -> usize {
        self.body.len() + self.gzip.as_ref().map_or(0, Bytes::len) + 1024
    }

    /// The page for this request: `304` when the client holds it already, gzip when
    /// it accepts that (the compression layer leaves an encoded answer alone).
    fn answer(&self, request_headers: &HeaderMap) -> Response {
        if matches_etag(request_headers, &self.etag) {
            return not_modified(&self.headers, &self.etag);
        }
        // A client that takes Brotli gets it from the compression layer, as before.
        let gzip = self
            .gzip
            .as_ref()
            .filter(|_| accepts(request_headers, "gzip") && !accepts(request_headers, "br"));
        let mut response = Response::new(Body::from(gzip.unwrap_or(&self.body).clone()));
        *response.headers_mut() = self.headers.clone();
        let headers = response.headers_mut();
        headers.insert(header::ETAG, self.etag.clone());
        if gzip.is_some() {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        if self.gzip.is_some() {
            headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        response
    }
}

/// Conditional GET for every page, and the anonymous visitors' page cache.
///
/// An anonymous GET is answered from the kept page while the `changes` sequence has
/// not moved (a `304` if the client sent its ETag); otherwise the page is rendered,
/// and kept when it is a plain `200` that sets no cookie and does not forbid storing.
/// Any other GET (a signed-in viewer, an API token) is rendered and, when it is a
/// `200` of a known size, tagged with an ETag of the viewer's session and the bytes.
pub async fn conditional(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET || never_kept(request.uri().path()) {
        return next.run(request).await;
    }
    let headers = request.headers().clone();
    let Some(viewer) = viewer_of(&headers) else {
        return anonymous(&state, headers, request, next).await;
    };
    let (parts, body) = match read_small(next.run(request).await).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let etag = etag_of(viewer.as_bytes(), &body);
    if matches_etag(&headers, &etag) {
        return not_modified(&parts.headers, &etag);
    }
    let mut response = Response::from_parts(parts, Body::from(body));
    response.headers_mut().insert(header::ETAG, etag);
    response
}

async fn anonymous(state: &AppState, headers: HeaderMap, request: Request, next: Next) -> Response {
    let Ok(seq) = sequence(state).await else {
        return next.run(request).await;
    };
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |target| target.as_str());
    let key = format!("{}{target}", state.origin(&headers));
    if let Some(page) = state.pages.get(&key, seq) {
        return page.answer(&headers);
    }
    let response = next.run(request).await;
    if !keepable(&response) {
        return response;
    }
    let (parts, body) = match read_small(response).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let mut kept_headers = parts.headers;
    kept_headers.remove(header::CONTENT_LENGTH);
    let gzip = compressible(&kept_headers).then(|| gzip(&body)).flatten();
    let page = Page {
        etag: etag_of(b"", &body),
        headers: kept_headers,
        body,
        gzip,
    };
    state.pages.put(key, seq, page.clone(), page.bytes());
    page.answer(&headers)
}

/// Who a non-anonymous request is, for its ETag: the session cookie and the API
/// token as sent (hashed with the page, never shown). `None` for an anonymous one.
fn viewer_of(headers: &HeaderMap) -> Option<String> {
    let session = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .map(str::trim)
        .find(|cookie| {
            cookie
                .strip_prefix(crate::SESSION_COOKIE)
                .is_some_and(|rest| rest.starts_with('='))
        });
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    match (session, token) {
        (None, None) => None,
        (session, token) => Some(format!(
            "{}\n{}",
            session.unwrap_or(""),
            token.unwrap_or("")
        )),
    }
}

/// A `200` that sets no cookie and may be stored.
fn keepable(response: &Response) -> bool {
    let headers = response.headers();
    response.status() == StatusCode::OK
        && !headers.contains_key(header::SET_COOKIE)
        && !headers.contains_key(header::CONTENT_ENCODING)
        && !headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("no-store") || v.contains("private"))
}

/// The bytes of a `200` without an ETag whose whole body is known and small; any
/// other response is given back untouched (`Err`), as is a failure to read it.
async fn read_small(response: Response) -> Result<(axum::http::response::Parts, Bytes), Response> {
    let size = response.body().size_hint().exact();
    let small = response.status() == StatusCode::OK
        && !response.headers().contains_key(header::ETAG)
        && size.is_some_and(|n| n <= MAX_TAGGED_BYTES);
    if !small {
        return Err(response);
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, MAX_TAGGED_BYTES as usize).await {
        Ok(bytes) => Ok((parts, bytes)),
        Err(error) => Err(
            WebError::Internal(format!("a page's body could not be read: {error}")).into_response(),
        ),
    }
}

/// A weak validator (the compression layer may re-encode the bytes): 16 bytes of
/// the SHA-256 of the viewer and the page.
fn etag_of(viewer: &[u8], body: &[u8]) -> HeaderValue {
    let mut hasher = Sha256::new();
    hasher.update((viewer.len() as u64).to_le_bytes());
    hasher.update(viewer);
    hasher.update(body);
    let digest = hasher.finalize();
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("W/\"{hex}\"")).unwrap_or(HeaderValue::from_static("W/\"-\""))
}

/// Whether `If-None-Match` names `etag` (weak comparison, RFC 9110 §13.1.2).
fn matches_etag(request_headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = opaque(etag.to_str().unwrap_or(""));
    request_headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|given| given == "*" || opaque(given) == ours)
}

fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

/// `304 Not Modified` with the headers a cache needs to refresh what it holds.
fn not_modified(headers: &HeaderMap, etag: &HeaderValue) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    let out = response.headers_mut();
    out.insert(header::ETAG, etag.clone());
    for name in [header::CACHE_CONTROL, header::VARY, header::SET_COOKIE] {
        for value in headers.get_all(&name) {
            out.append(name.clone(), value.clone());
        }
    }
    response
}

/// Whether the client takes `coding` (`Accept-Encoding: gzip`, not `gzip;q=0`).
fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|given| {
            let mut parts = given.split(';').map(str::trim);
            parts
                .next()
                .is_some_and(|name| name.eq_ignore_ascii_case(coding))
                && !parts.any(|param| {
                    param
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                })
        })
}

/// Text worth compressing (HTML, CSS, JSON, XML, calendars).
fn compressible(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|t| {
            t.starts_with("text/")
                || t.starts_with("application/json")
                || t.starts_with("application/problem+json")
                || t.starts_with("application/atom+xml")
                || t.starts_with("application/xml")
                || t.starts_with("image/svg+xml")
        })
}

/// The gzip form of a body worth it (tower-http's threshold is 32 bytes; a kept page
/// is compressed once, not per request).
fn gzip(body: &[u8]) -> Option<Bytes> {
    use std::io::Write;
    if body.len() < 1024 {
        return None;
    }
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::default(),
    );
    encoder.write_all(body).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_kept_until_the_sequence_moves() {
        let cache: ChangeCache<u32> = ChangeCache::new(4, 1000, None);
        cache.put("a".into(), 5, 1, 10);
        assert_eq!(cache.get("a", 5), Some(1));
        assert_eq!(cache.get("a", 6), None);
        // An answer read at an older sequence does not replace a newer one.
        cache.put("a".into(), 6, 2, 10);
        cache.put("a".into(), 5, 3, 10);
        assert_eq!(cache.get("a", 6), Some(2));
    }

    #[test]
    fn the_cache_stays_within_its_entries_and_bytes() {
        let cache: ChangeCache<u32> = ChangeCache::new(2, 100, None);
        cache.put("a".into(), 1, 1, 10);
        cache.put("b".into(), 1, 2, 10);
        cache.put("c".into(), 1, 3, 10);
        let kept = ["a", "b", "c"]
            .iter()
            .filter(|k| cache.get(k, 1).is_some())
            .count();
        assert_eq!(kept, 2);
        assert_eq!(cache.get("c", 1), Some(3), "the newest is kept");
        // Too big for the budget: not kept at all.
        cache.put("big".into(), 1, 9, 60);
        assert_eq!(cache.get("big", 1), None);
        // Stale entries go first.
        cache.put("d".into(), 2, 4, 20);
        assert_eq!(cache.get("d", 2), Some(4));
    }

    #[test]
    fn a_page_expires_after_its_time() {
        let cache: ChangeCache<u32> = ChangeCache::new(2, 100, Some(Duration::ZERO));
        cache.put("a".into(), 1, 1, 10);
        assert_eq!(cache.get("a", 1), None);
    }

    #[test]
    fn validators_and_encodings_are_read_as_rfc_9110_says() {
        let etag = etag_of(b"", b"page");
        let mut headers = HeaderMap::new();
        assert!(!matches_etag(&headers, &etag));
        let strong = etag.to_str().unwrap().trim_start_matches("W/").to_owned();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", {strong}")).unwrap(),
        );
        assert!(matches_etag(&headers, &etag));
        assert_ne!(etag_of(b"someone", b"page"), etag);
        let accepts = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(value));
            accepts(&headers, "gzip")
        };
        assert!(accepts("gzip, deflate, br"));
        assert!(!accepts("br"));
        assert!(!accepts("gzip;q=0, br"));
        let mut cookies = HeaderMap::new();
        cookies.insert(header::COOKIE, HeaderValue::from_static("other=1"));
        assert_eq!(viewer_of(&cookies), None);
        cookies.insert(
            header::COOKIE,
            HeaderValue::from_static("other=1; renkei_session=abc"),
        );
        assert!(viewer_of(&cookies).is_some());
    }
}
