//! One-click unsubscribe (RFC 8058) from mail sent to many: `GET /unsubscribe/{token}`
//! shows what the link stops with a button; `POST` to the same address stops it at
//! once. A mail provider's one-click POST (`List-Unsubscribe=One-Click`) has no
//! session and no CSRF token, so the CSRF guard lets exactly this route through
//! (`auth::ONE_CLICK_UNSUBSCRIBE`): the unguessable token is the authority, and the
//! request can only ever stop mail to the address the token was sent to.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use store::unsubscribe::{self, Subscription};

use crate::auth::Viewer;
use crate::view::Layout;
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    // The path is `auth::ONE_CLICK_UNSUBSCRIBE`, written out for the route matrix.
    Router::new().route("/unsubscribe/{token}", get(confirm).post(stop))
}

#[derive(Template, WebTemplate)]
#[template(path = "mail/unsubscribe.html")]
struct UnsubscribePage {
    layout: Layout,
    token: String,
    subscription: Subscription,
    /// Stopped by this request.
    done: bool,
}

async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<UnsubscribePage, WebError> {
    let subscription = unsubscribe::lookup(&state.store, &token).await?;
    Ok(UnsubscribePage {
        layout: Layout::for_viewer("配信停止", &viewer),
        token,
        subscription,
        done: false,
    })
}

/// Stops the list for the address at once, whatever the body (a provider sends
/// `List-Unsubscribe=One-Click`, the page's button the same); answers 200, as RFC
/// 8058 asks, never a redirect.
async fn stop(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<UnsubscribePage, WebError> {
    let subscription = unsubscribe::unsubscribe(&state.store, &token).await?;
    Ok(UnsubscribePage {
        layout: Layout::for_viewer("配信を停止しました", &viewer),
        token,
        subscription,
        done: true,
    })
}
