//! Operational endpoints: health and metrics.
//!
//! `/metrics` tells how busy the platform is and how far its data has changed, which
//! is nobody's business outside the council: on the application's address only the
//! secretariat reads it; Prometheus scrapes it without sign-in on the private
//! address of `renkei serve --metrics-addr` (see `crate::apps`).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::metrics::Gauge;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}

/// 200 when the database answers, 503 when it does not.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(error) => {
            tracing::warn!(%error, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

/// `/metrics` on the application's address: the secretariat's only (others are
/// sent to sign in, or refused).
async fn metrics(State(state): State<AppState>, viewer: crate::auth::Viewer) -> Response {
    match viewer.actor() {
        Ok(actor) if actor.is_secretariat() => metrics_text(State(state)).await,
        Ok(_) => crate::WebError::Store(store::StoreError::forbidden(
            "稼働状況の指標は協議会事務局のみ閲覧できます。",
        ))
        .into_response(),
        Err(error) => error.into_response(),
    }
}

/// The Prometheus text of the metrics, for whoever reached it.
pub(crate) async fn metrics_text(State(state): State<AppState>) -> Response {
    let database_up = if state.store.ping().await.is_ok() {
        1.0
    } else {
        0.0
    };
    let latest_change = store::audit::latest_change(&state.store).await.unwrap_or(0) as f64;
    let mut gauges = vec![
        Gauge::single(
            "renkei_database_up",
            "1 when the database answers.",
            database_up,
        ),
        Gauge::single(
            "renkei_changes_latest_seq",
            "Newest sequence number of the changes table.",
            latest_change,
        ),
    ];
    // The queues are read at scrape time; a database that does not answer leaves
    // them out (renkei_database_up says why) rather than failing the scrape.
    let now = chrono::Utc::now();
    match store::queues::depths(&state.store, now, domain::time::japan_today()).await {
        Ok(depths) => gauges.extend(queue_gauges(&depths)),
        Err(error) => tracing::warn!(%error, "metrics: queue depths unreadable"),
    }
    let body = state.metrics.render_gauges(&gauges);
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// The outbox and follow-up queues as gauges.
fn queue_gauges(depths: &store::queues::QueueDepths) -> Vec<Gauge> {
    vec![
        Gauge {
            name: "renkei_mail_messages",
            help: "Messages in the mail outbox, by status (queued and sending wait; failed gave up).",
            samples: depths
                .mail
                .iter()
                .map(|(status, n)| (format!("status=\"{}\"", status.code()), *n as f64))
                .collect(),
        },
        Gauge::single(
            "renkei_mail_due",
            "Queued messages whose next attempt is due now.",
            depths.mail_due as f64,
        ),
        Gauge::single(
            "renkei_mail_oldest_queued_age_seconds",
            "Seconds since the oldest queued message was queued (0 when none).",
            depths.oldest_queued_seconds,
        ),
        Gauge::single(
            "renkei_followups_due",
            "Diagnostic follow-ups due whose company has not been told yet.",
            depths.followups_due as f64,
        ),
    ]
}
