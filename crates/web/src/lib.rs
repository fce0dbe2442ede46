//! renkei's web face: server-rendered Japanese pages (askama), the JSON API under
//! `/api/v1` with its OpenAPI document, CSV/XLSX exports, the annual report, and
//! the cross-cutting layers (sessions, CSRF, security headers, metrics).
//!
//! A handler parses what came in, makes one call into the store, and renders: no
//! SQL and no business rule lives here.

pub mod api;
pub mod auth;
pub mod cache;
pub mod client;
pub mod error;
pub mod export;
pub mod form;
pub mod layers;
pub mod mail;
pub mod metrics;
pub mod pages;
pub mod pdf;
pub mod report;
pub mod view;

use std::sync::Arc;

use axum::Router;
use store::Store;
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use error::WebError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub metrics: Arc<metrics::Metrics>,
    /// Feed bodies, rebuilt only after a change (see `cache`).
    pub feeds: Arc<cache::ChangeCache<axum::body::Bytes>>,
    /// Anonymous visitors' pages, rebuilt only after a change (see `cache`).
    pub pages: Arc<cache::ChangeCache<cache::Page>>,
    /// The directory's search index, following `changes`.
    pub search: store::index::SearchIndex,
    /// Whether cookies set by handlers (the device cookie) are marked `Secure`,
    /// as the session cookie is.
    pub secure_cookies: bool,
    /// The platform's public address (`renkei serve --public-url`), without a
    /// trailing slash; `None` builds absolute links from the request's Host.
    pub public_url: Option<String>,
    /// The secretariat must enrol in two-step sign-in before doing anything else
    /// (`WebOptions::two_step_for_secretariat`).
    pub two_step_for_secretariat: bool,
}

impl AppState {
    /// `https://host` for absolute links in pages, feeds and exports: the
    /// public URL when one is configured, otherwise as the client reached us.
    pub(crate) fn origin(&self, headers: &axum::http::HeaderMap) -> String {
        match &self.public_url {
            Some(url) => url.clone(),
            None => pages::feeds::host_origin(headers),
        }
    }
}

/// How the web layer is set up.
#[derive(Debug, Clone)]
pub struct WebOptions {
    /// Mark the session cookie `Secure` when no public URL says the scheme (see
    /// [`WebOptions::cookies_secure`]). Browsers accept Secure cookies from
    /// http://127.0.0.1 and http://localhost, so this stays on except for test
    /// clients that refuse them over plain HTTP.
    pub secure_cookies: bool,
    /// Keep the search index in this directory instead of in memory.
    pub index_dir: Option<std::path::PathBuf>,
    /// Requests served at once; more get 503 with Retry-After (see `layers::admit`).
    pub max_in_flight: usize,
    /// How long a request may run before it is answered 503 (see `layers::deadline`).
    pub time_budget: layers::TimeBudget,
    /// The platform's public address (`https://renkei.example.jp`) for absolute
    /// links in feeds, embeds and exports; `None` uses the request's Host header.
    pub public_url: Option<String>,
    /// The proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed
    /// (`renkei serve --trusted-proxy`); none by default.
    pub trusted_proxies: client::TrustedProxies,
    /// Secretariat accounts must enrol in two-step sign-in (TOTP) before anything
    /// else. On by default, as in `renkei serve`; tests that are not about two-step
    /// sign-in turn it off explicitly. Staff of an organisation are made to enrol by
    /// the organisation's own setting, whatever this says.
    pub two_step_for_secretariat: bool,
}

/// `Strict-Transport-Security` of every answer when the public URL is https: a year,
/// the platform's own host only (a city's other hosts may still be plain HTTP).
pub const HSTS: &str = "max-age=31536000";

/// Whether `url` is an `https://` address.
pub fn is_https(url: &str) -> bool {
    url.trim()
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

impl WebOptions {
    /// Whether the public URL is `https://…`.
    pub fn public_url_is_https(&self) -> bool {
        self.public_url.as_deref().is_some_and(is_https)
    }

    /// Whether cookies are marked `Secure`: always behind an https public URL (the
    /// platform is reached over TLS, whatever the proxy speaks to us); never behind an
    /// http one (a browser would drop a Secure cookie there and nobody could sign
    /// in); without a public URL as [`WebOptions::secure_cookies`] says.
    pub fn cookies_secure(&self) -> bool {
        match self.public_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => self.public_url_is_https(),
            _ => self.secure_cookies,
        }
    }
}

impl Default for WebOptions {
    fn default() -> Self {
        WebOptions {
            secure_cookies: true,
            index_dir: None,
            max_in_flight: layers::DEFAULT_MAX_IN_FLIGHT,
            time_budget: layers::TimeBudget::default(),
            public_url: None,
            trusted_proxies: client::TrustedProxies::none(),
            two_step_for_secretariat: true,
        }
    }
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "renkei_session";

/// Builds the whole application: every route with its layers. Tests call this
/// without a socket; `renkei serve` binds it.
pub async fn app(store: Store, options: WebOptions) -> Result<Router, WebError> {
    Ok(apps(store, options).await?.0)
}

/// The application and, beside it, the metrics alone without sign-in for a
/// separate, private address (`renkei serve --metrics-addr`): on the application's
/// address `/metrics` is the secretariat's, so that Prometheus scrapes the private
/// one. Both count the same requests.
pub async fn apps(store: Store, options: WebOptions) -> Result<(Router, Router), WebError> {
    let secure_cookies = options.cookies_secure();
    let sessions = auth::DbSessionStore::for_store(&store).await?;
    let session_layer = SessionManagerLayer::new(sessions)
        .with_name(SESSION_COOKIE)
        .with_secure(secure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(Duration::hours(8)));
    let state = AppState {
        store: store.clone(),
        metrics: Arc::new(metrics::Metrics::default()),
        feeds: Arc::new(cache::ChangeCache::new(
            cache::FEED_ENTRIES,
            cache::FEED_BYTES,
            None,
        )),
        pages: Arc::new(cache::ChangeCache::new(
            cache::PAGE_ENTRIES,
            cache::PAGE_BYTES,
            Some(cache::PAGE_TTL),
        )),
        search: match &options.index_dir {
            Some(dir) => store::index::SearchIndex::open(&store, dir).await?,
            None => store::index::SearchIndex::in_memory(&store).await?,
        },
        secure_cookies,
        public_url: options
            .public_url
            .as_deref()
            .map(|url| url.trim_end_matches('/').to_string())
            .filter(|url| !url.is_empty()),
        two_step_for_secretariat: options.two_step_for_secretariat,
    };
    let (api_router, api_operations) = api::router(&store::organisations::directory(&store).await?);
    let router = Router::new()
        .merge(pages::router())
        .merge(api_router)
        // The CSRF guard runs where a route matched (an unknown path is a 404 for
        // everyone) and, in the API, only for a declared operation: a method a path
        // does not take is answered 405 with `Allow` before a token is asked for.
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::new(api_operations),
            auth::csrf_guard,
        ))
        // Outside the CSRF guard: a request with an API token is admitted (or
        // refused) first, and then needs no CSRF token.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::bearer,
        ))
        .fallback(layers::not_found)
        .layer(axum::middleware::from_fn(layers::japanese_rejections))
        .layer(session_layer)
        .layer(axum::middleware::map_response(auth::set_device_cookie))
        // Inside the metrics, so that a kept page is counted and logged like any;
        // outside the session, so that a kept page reads no session.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cache::conditional,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            layers::observe,
        ))
        .layer(axum::middleware::from_fn_with_state(
            options.trusted_proxies.clone(),
            client::identify_client,
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            layers::MAX_BODY_BYTES,
        ))
        .layer(axum::middleware::from_fn(layers::too_large))
        .with_state(state.clone());
    let metrics = Router::new()
        .route("/metrics", axum::routing::get(pages::system::metrics_text))
        .with_state(state);
    let mut app = layers::guarded(router, options.max_in_flight, options.time_budget)
        .layer(pages::basics::compression());
    if options.public_url_is_https() {
        app = app.layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::STRICT_TRANSPORT_SECURITY,
            axum::http::HeaderValue::from_static(HSTS),
        ));
    }
    Ok((app, metrics))
}

/// Serves the application on `listener` until SIGINT (Ctrl-C) or SIGTERM (what
/// systemd, `docker stop` and `kill` send), with client addresses for the login rate
/// limit. Either stops gracefully: no new connection is accepted, requests in flight
/// are answered, then this returns.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

/// Resolves at the first SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(error) => {
                    tracing::warn!(%error, "SIGTERM cannot be handled; stop with Ctrl-C (SIGINT)");
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: stopping after the requests in flight"),
            _ = terminate.recv() => tracing::info!("SIGTERM: stopping after the requests in flight"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
