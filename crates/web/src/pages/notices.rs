//! お知らせ: the signed-in person's notices from every programme (unread first, mark
//! one or all read), and their choice of which programmes' non-essential notices
//! also come by mail (`/account/notifications`).
//!
//! What is written, to whom and when is decided by `store::notices`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use store::notices::{self, Programme};

use super::query_pairs;
use crate::auth::Viewer;
use crate::form::FormData;
use crate::view::{Layout, tokyo_time};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notices", get(list))
        .route("/notices/read", post(mark_all_read))
        .route("/notices/{id}/read", post(mark_read))
        // The applications engine's old address for the same list.
        .route(
            "/notifications",
            get(async || Redirect::permanent("/notices")),
        )
        .route(
            "/account/notifications",
            get(preferences_page).post(save_preferences),
        )
}

/// One notice as the list shows it.
pub struct Row {
    id: i64,
    programme: &'static str,
    title: String,
    body: String,
    link: String,
    when: String,
    read: bool,
    essential: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "notices/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    unread: usize,
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<ListPage, WebError> {
    let actor = viewer.actor()?;
    let found = notices::list(&state.store, &actor).await?;
    let done = match query_pairs(query.as_deref()).get("done") {
        "read" => Some("既読にしました。".to_owned()),
        "all-read" => Some("すべてのお知らせを既読にしました。".to_owned()),
        _ => None,
    };
    let unread = found.iter().filter(|n| !n.is_read()).count();
    // The header counts what was unread before this page: after marking, it follows.
    let mut layout = Layout::for_viewer("お知らせ", &viewer).with_notice(done);
    layout.unread_notices = u64::try_from(unread).unwrap_or(u64::MAX);
    Ok(ListPage {
        layout,
        unread,
        rows: found
            .into_iter()
            .map(|n| Row {
                id: n.id,
                programme: n.programme.label(),
                read: n.is_read(),
                essential: n.essential,
                when: tokyo_time(n.created_at),
                title: n.title,
                body: n.body,
                link: n.link,
            })
            .collect(),
    })
}

async fn mark_read(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let id = id
        .parse::<i64>()
        .map_err(|_| WebError::NotFound("お知らせ".into()))?;
    notices::mark_read(&state.store, &actor, id).await?;
    Ok(Redirect::to("/notices?done=read").into_response())
}

async fn mark_all_read(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    notices::mark_all_read(&state.store, &actor).await?;
    Ok(Redirect::to("/notices?done=all-read").into_response())
}

/// One programme's line on the settings page.
pub struct Choice {
    code: &'static str,
    label: &'static str,
    describes: &'static str,
    by_mail: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "notices/preferences.html")]
struct PreferencesPage {
    layout: Layout,
    choices: Vec<Choice>,
    email: String,
}

fn choices(found: &[(Programme, bool)]) -> Vec<Choice> {
    found
        .iter()
        .map(|(p, by_mail)| Choice {
            code: p.code(),
            label: p.label(),
            describes: p.describes(),
            by_mail: *by_mail,
        })
        .collect()
}

async fn preferences_page(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<PreferencesPage, WebError> {
    let actor = viewer.actor()?;
    let found = notices::preferences(&state.store, &actor).await?;
    let saved = query_pairs(query.as_deref()).get("done") == "saved";
    Ok(PreferencesPage {
        layout: Layout::for_viewer("通知設定", &viewer)
            .with_notice(saved.then(|| "通知の設定を保存しました。".to_owned())),
        choices: choices(&found),
        email: actor.email.clone(),
    })
}

/// The form lists every programme as a checkbox named `mail`: those sent are on,
/// the rest off. An unknown programme in the form is ignored.
async fn save_preferences(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let on = form.all("mail");
    let wanted: Vec<(Programme, bool)> = Programme::CHOOSABLE
        .into_iter()
        .map(|p| (p, on.iter().any(|code| code == p.code())))
        .collect();
    notices::set_preferences(&state.store, &actor, &wanted).await?;
    Ok(Redirect::to("/account/notifications?done=saved").into_response())
}
