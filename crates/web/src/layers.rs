//! Layers around every response: security headers, and request counting for
//! `/metrics`.

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
    let is_api_docs = request.uri().path().starts_with("/api/docs");
    let is_embed = matches!(request.uri().path(), "/embed/events" | "/embed/events.html");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if is_embed {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(EMBED_CONTENT_SECURITY_POLICY),
        );
    } else if !is_api_docs {
        // The Scalar API reference page loads its own inline script.
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

/// Counts requests by status class and measures their time.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    state
        .metrics
        .record(response.status().as_u16(), started.elapsed());
    response
}

/// axum answers paths, queries and bodies it cannot parse with English plain text;
/// people get a Japanese page instead, API clients problem+json with the detail.
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
    refusal(
        is_api,
        status,
        &format!("リクエストの形式が正しくありません: {body}"),
        "アドレスまたは送信内容の形式が正しくありません。リンクを確かめるか、前のページからやり直してください。",
    )
}

/// A refused request with `status`: problem+json carrying `detail` for API clients, a
/// Japanese page saying `message` for people.
fn refusal(is_api: bool, status: StatusCode, detail: &str, message: &str) -> Response {
    if is_api {
        return crate::api::problem(
            status,
            status.canonical_reason().unwrap_or("Bad Request"),
            detail,
        );
    }
    let mut page = crate::WebError::BadRequest(message.into()).into_response();
    *page.status_mut() = status;
    page
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
    let message = "送信された内容が大きすぎます（2MBまで）。ファイルを分けて送るか、大きな法人番号データはサーバーで renkei import nta を使ってください。";
    refusal(is_api, StatusCode::PAYLOAD_TOO_LARGE, message, message)
}

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
