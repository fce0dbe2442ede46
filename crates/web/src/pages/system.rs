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
    let body = state.metrics.render(&[
        (
            "renkei_database_up",
            "1 when the database answers.",
            database_up,
        ),
        (
            "renkei_changes_latest_seq",
            "Newest sequence number of the changes table.",
            latest_change,
        ),
    ]);
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
