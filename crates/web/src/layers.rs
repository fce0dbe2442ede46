//! Layers around every response: security headers, request counting for
//! `/metrics`, and the budgets every request is held to — the size of its address
//! and query, its time, the requests in flight — with a Japanese answer (problem+json
//! under `/api/`) for a request over one of them and for a handler that panicked.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// The Content-Security-Policy of every page: our own scripts, styles and images
/// only; no framing by other sites (widgets for city homepages get their own policy).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

/// The policy of the two event widgets that city homepages embed: the same, except
/// that any site may frame them.
pub const EMBED_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors *";

pub async fn security_headers(request: Request, next: Next) -> Response {
    let is_embed = matches!(request.uri().path(), "/embed/events" | "/embed/events.html");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if is_embed {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(EMBED_CONTENT_SECURITY_POLICY),
        );
    } else {
        // Every answer, the API reference included (`api::reference`): no page goes
        // without a policy.
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !is_embed {
        headers.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Counts requests by status class and route and measures their time, and writes
/// one line to the log per request (target `renkei::access`: method, the route's
/// pattern — never the address itself, which may carry a single-use token —, status,
/// latency, client address, request id). `RENKEI_LOG=
/// info,renkei::access=warn` silences the lines; `--log-format json` makes them JSON.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|matched| matched.as_str().to_owned());
    let client = request
        .extensions()
        .get::<crate::client::ClientAddress>()
        .copied()
        .unwrap_or(crate::client::ClientAddress(None));
    let request_id = request_id(&request);
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state
        .metrics
        .record_request(&method, route.as_deref(), status, elapsed);
    tracing::info!(
        target: "renkei::access",
        %method,
        route = route.as_deref().unwrap_or(crate::metrics::UNMATCHED),
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        %client,
        request_id,
        "request"
    );
    response
}

/// axum answers paths, queries and bodies it cannot parse with English plain text
/// (`Cannot parse \`1e5\` to a \`i64\``, `Failed to deserialize query string: …`);
/// people get a Japanese page instead, API clients problem+json with a Japanese
/// detail saying which part of the request to correct. The English text is logged
/// at debug level, never shown. A body cut off by the size limit is a 413.
pub async fn japanese_rejections(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    let plain_text = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/plain"));
    if !status.is_client_error() || !plain_text {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    tracing::debug!(%status, rejection = %body, "request refused by an extractor");
    if over_body_limit(status, &body) {
        return refusal(
            is_api,
            StatusCode::PAYLOAD_TOO_LARGE,
            TOO_LARGE_MESSAGE,
            TOO_LARGE_MESSAGE,
        );
    }
    let detail = rejection_detail(&body);
    refusal(is_api, status, detail, detail)
}

/// What to correct, in Japanese, for the English text of one of axum's rejections
/// (the categories are the stable prefixes of axum's own messages).
fn rejection_detail(english: &str) -> &'static str {
    if english.starts_with("Invalid URL") || english.starts_with("Wrong number of path") {
        "アドレスの形式が正しくありません。番号やキーを読み取れません。番号は整数で、アドレスはリンクのとおりに指定してください。"
    } else if english.starts_with("Failed to deserialize query string") {
        "アドレスの ? 以降（検索条件など）の形式が正しくありません。番号は整数で、項目は定められた形で指定してください。"
    } else if english.starts_with("Failed to deserialize form") {
        "送信された内容の形式が正しくありません。前のページからやり直してください。"
    } else if english.contains("Content-Type") {
        "送信内容の形式（Content-Type）が正しくありません。"
    } else {
        "アドレスまたは送信内容の形式が正しくありません。リンクを確かめるか、前のページからやり直してください。"
    }
}

/// Whether a refusal means the body was over [`MAX_BODY_BYTES`]: the limit's 413, or
/// the 400 an extractor gives when the limited body stops mid-way (axum does not
/// always recognise the limit's error as a length limit behind tower-http's wrapper).
pub(crate) fn over_body_limit(status: StatusCode, text: &str) -> bool {
    status == StatusCode::PAYLOAD_TOO_LARGE || text.contains("length limit exceeded")
}

/// A refused request with `status`: problem+json carrying `detail` for API clients, a
/// Japanese page saying `message` for people.
pub(crate) fn refusal(is_api: bool, status: StatusCode, detail: &str, message: &str) -> Response {
    if is_api {
        return crate::api::problem(
            status,
            status.canonical_reason().unwrap_or("Bad Request"),
            detail,
        );
    }
    crate::error::error_page(status, message.to_owned())
}

/// The most a request body may hold.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// A body over [`MAX_BODY_BYTES`], refused by the limit before any handler saw it: a
/// Japanese page that says what to do (or problem+json under `/api/`) instead of the
/// limit's bare English text. Sits outside the limit, inside the security headers.
pub async fn too_large(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    refusal(
        is_api,
        StatusCode::PAYLOAD_TOO_LARGE,
        TOO_LARGE_MESSAGE,
        TOO_LARGE_MESSAGE,
    )
}

/// What a body over [`MAX_BODY_BYTES`] is told.
pub(crate) const TOO_LARGE_MESSAGE: &str = "送信された内容が大きすぎます（2MBまで）。ファイルを分けて送るか、大きな法人番号データはサーバーで renkei import nta を使ってください。";

/// Unknown addresses: a Japanese 404 page, or problem+json under `/api/`.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::api::problem(
            axum::http::StatusCode::NOT_FOUND,
            "Not Found",
            &format!(
                "{} というAPIはありません。/openapi.json を参照してください。",
                uri.path()
            ),
        );
    }
    crate::WebError::NotFound("ページ".into()).into_response()
}

/// How many requests are served at once before new ones are turned away
/// (`renkei serve --max-in-flight`). Beyond it a request gets 503 with `Retry-After`
/// at once, instead of queueing for a database connection until everything times
/// out: under overload some people are asked to retry, and the rest are served.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 512;

/// Admits a request while fewer than the limit are being served; otherwise a
/// Japanese 503 page (problem+json under `/api/`) that asks to retry shortly.
pub async fn admit(
    axum::extract::State(permits): axum::extract::State<std::sync::Arc<tokio::sync::Semaphore>>,
    request: Request,
    next: Next,
) -> Response {
    let Ok(_permit) = permits.try_acquire_owned() else {
        let is_api = request.uri().path().starts_with("/api/");
        let message = "ただいま混み合っています。数秒おいてから、もう一度お試しください。";
        let mut response = refusal(is_api, StatusCode::SERVICE_UNAVAILABLE, message, message);
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("2"),
        );
        return response;
    };
    next.run(request).await
}

/// The longest request target (path and query) served, in bytes. nginx's default
/// (`large_client_header_buffers 8k`) answers the same; the longest address a page
/// links to — a directory search with every facet of every group selected and a
/// 200-character query — is under 4 KiB. Beyond about 64 KiB hyper itself answers
/// 414 with an empty body before any layer runs (see `RELIABILITY.md`).
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// The most parameters one query string may carry. The directory search, the page
/// with the most, has at most 7 cities + 21 processes + 13 materials + 7
/// certifications + 3 sizes + `q`, `closed` and `page`: 56.
pub const MAX_QUERY_PARAMETERS: usize = 100;

/// The most times one parameter name may appear. A facet group lists at most 25
/// values to click (`pages::companies`), the largest taxonomy group has 21 and the
/// annual report takes at most 20 years: nobody clicking gets past 25.
pub const MAX_QUERY_REPEATS: usize = 25;

/// Refuses, before anything else reads it, a request whose address is longer than
/// [`MAX_URI_BYTES`] (414) or whose query has more than [`MAX_QUERY_PARAMETERS`]
/// parameters or one name more than [`MAX_QUERY_REPEATS`] times (400), with a Japanese
/// page (problem+json under `/api/`) naming the limit. Pages echo their query into
/// every link, so without this a few thousand repeats cost memory and time growing
/// with the square of the count.
pub async fn query_budget(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let target_length = request
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    if target_length > MAX_URI_BYTES {
        let message = format!(
            "アドレスが長すぎます（{}KBまで）。検索条件を減らしてやり直してください。",
            MAX_URI_BYTES / 1024
        );
        return refusal(is_api, StatusCode::URI_TOO_LONG, &message, &message);
    }
    if let Some(query) = request.uri().query()
        && let Some(message) = over_query_budget(query)
    {
        return refusal(is_api, StatusCode::BAD_REQUEST, &message, &message);
    }
    next.run(request).await
}

/// The Japanese refusal of a query over the budget, or `None` within it.
fn over_query_budget(query: &str) -> Option<String> {
    let mut repeats: std::collections::HashMap<std::borrow::Cow<'_, str>, usize> =
        std::collections::HashMap::new();
    for (count, (name, _)) in form_urlencoded::parse(query.as_bytes()).enumerate() {
        if count >= MAX_QUERY_PARAMETERS {
            return Some(format!(
                "検索条件（アドレスの ? 以降）が多すぎます（{MAX_QUERY_PARAMETERS}個まで）。条件を減らしてやり直してください。"
            ));
        }
        let seen = repeats.entry(name.clone()).or_default();
        *seen += 1;
        if *seen > MAX_QUERY_REPEATS {
            let name: String = name.chars().take(40).collect();
            return Some(format!(
                "検索条件「{name}」が多すぎます（同じ項目は{MAX_QUERY_REPEATS}個まで）。条件を減らしてやり直してください。"
            ));
        }
    }
    None
}

/// How long a request may take before it is answered 503: reads (GET, HEAD) and
/// changes apart, since the slow legitimate work — an import of a 2 MB list, a fair's
/// schedule, a network re-plan — is all posted.
#[derive(Debug, Clone, Copy)]
pub struct TimeBudget {
    pub reads: std::time::Duration,
    pub changes: std::time::Duration,
}

impl Default for TimeBudget {
    fn default() -> Self {
        TimeBudget {
            reads: std::time::Duration::from_secs(30),
            changes: std::time::Duration::from_secs(120),
        }
    }
}

/// Answers a request still running after its [`TimeBudget`] with a Japanese 503 page
/// (problem+json under `/api/`) and `Retry-After`, and drops its work: a change cut
/// off this way is rolled back with its transaction, never half-written.
pub async fn deadline(State(budget): State<TimeBudget>, request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let reading = matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    let limit = if reading {
        budget.reads
    } else {
        budget.changes
    };
    let method = request.method().clone();
    let route = route_of(&request);
    let request_id = request_id(&request);
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(%method, route, request_id, seconds = limit.as_secs(), "request over its time budget");
            let message = "処理に時間がかかりすぎたため中断しました。少し時間をおいて、もう一度お試しください。";
            let mut response = refusal(is_api, StatusCode::SERVICE_UNAVAILABLE, message, message);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            response
        }
    }
}

/// The route's pattern (`/reset/{token}`) for logs, as the access log writes it:
/// never the path itself, which may carry a single-use token.
fn route_of(request: &Request) -> String {
    request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or(crate::metrics::UNMATCHED, |matched| matched.as_str())
        .to_owned()
}

/// The request's id (`x-request-id`, set by the outermost layers), for logs.
fn request_id(request: &Request) -> String {
    request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .chars()
        .take(64)
        .collect()
}

/// What a handler panicked with, carried from the panic to [`answer_panics`].
#[derive(Debug, Clone)]
struct Panicked(String);

/// tower-http's `CatchPanic` calls this with what a handler panicked with: a bare
/// 500 that carries the message for [`answer_panics`], which knows the request.
fn panicked(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(no message)".to_owned());
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response.extensions_mut().insert(Panicked(message));
    response
}

/// Turns a caught panic into the Japanese 500 page (problem+json under `/api/`) with
/// the request id to quote, and logs the panic with that id, the method and route:
/// the connection gets an answer and the process serves on.
pub async fn answer_panics(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let method = request.method().clone();
    let route = route_of(&request);
    let request_id = request_id(&request);
    let response = next.run(request).await;
    let Some(Panicked(panic)) = response.extensions().get::<Panicked>() else {
        return response;
    };
    tracing::error!(%method, route, request_id, panic, "a handler panicked");
    let message = format!(
        "システム内部で問題が発生しました。時間をおいて再度お試しください。問題が続く場合は、問い合わせ番号 {request_id} を添えて協議会事務局へご連絡ください。"
    );
    refusal(
        is_api,
        StatusCode::INTERNAL_SERVER_ERROR,
        &message,
        &message,
    )
}

/// The layers every request passes before the application, outermost first:
/// security headers → a request id ([`identify`]) → a panic answered as a Japanese 500 → the address and query budget
/// → admission (`max_in_flight`) → the time budget. They need no state, so tests can
/// put them around a small router.
pub fn guarded(router: axum::Router, max_in_flight: usize, budget: TimeBudget) -> axum::Router {
    router
        .layer(axum::middleware::from_fn_with_state(budget, deadline))
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(tokio::sync::Semaphore::new(max_in_flight.max(1))),
            admit,
        ))
        .layer(axum::middleware::from_fn(query_budget))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .layer(axum::middleware::from_fn(answer_panics))
        .layer(axum::middleware::from_fn(identify))
        .layer(axum::middleware::from_fn(security_headers))
}

/// Gives the request an id for the logs and for a person to quote: the client's (or
/// the load balancer's) `x-request-id` when it sent a short printable one, else 16
/// random hex digits; the response carries it back in `x-request-id`.
pub async fn identify(mut request: Request, next: Next) -> Response {
    let sent = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 64
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .map(str::to_owned);
    let id = sent.unwrap_or_else(|| format!("{:016x}", rand::random::<u64>()));
    let value = HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("-"));
    request.headers_mut().insert("x-request-id", value.clone());
    let mut response = next.run(request).await;
    response.headers_mut().insert("x-request-id", value);
    response
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::body::Body;
    use axum::routing::{get, post};
    use tower::ServiceExt;

    use super::*;

    /// The log lines written while the test runs, as text.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_panic_or_a_timeout_on_a_token_address_logs_the_route_never_the_token() {
        async fn boom() -> &'static str {
            panic!("a handler's bug")
        }
        async fn slow() -> &'static str {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            "late"
        }
        let router = Router::new()
            .route("/password/reset/{token}", get(boom))
            .route("/signup/confirm/{token}", post(slow));
        let app = guarded(
            router,
            8,
            TimeBudget {
                reads: std::time::Duration::from_millis(100),
                changes: std::time::Duration::from_millis(100),
            },
        );
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let token = "Zq7secret0token0of0a0reset0link";
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let statuses = tracing::subscriber::with_default(subscriber, || {
            runtime.block_on(async {
                let panicked = app
                    .clone()
                    .oneshot(
                        axum::http::Request::get(format!("/password/reset/{token}"))
                            .body(Body::empty())
                            .unwrap(),
                    )
                    .await
                    .unwrap();
                let late = app
                    .oneshot(
                        axum::http::Request::post(format!("/signup/confirm/{token}"))
                            .body(Body::empty())
                            .unwrap(),
                    )
                    .await
                    .unwrap();
                (panicked.status(), late.status())
            })
        });
        assert_eq!(
            statuses,
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                StatusCode::SERVICE_UNAVAILABLE
            )
        );
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("a handler panicked"), "{log}");
        assert!(log.contains("request over its time budget"), "{log}");
        assert!(
            log.contains("/password/reset/{token}"),
            "the route's pattern: {log}"
        );
        assert!(
            log.contains("/signup/confirm/{token}"),
            "the route's pattern: {log}"
        );
        assert!(!log.contains(token), "a token in the log: {log}");
    }
}
