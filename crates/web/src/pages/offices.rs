//! Share-office mutual use: the offices of each city with their members and the
//! approved visits per pair of cities (public), the booking form for a member of one
//! city's office, and the host office's queue of requests to approve or decline.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use store::offices::{self, CityPair, Office, Visit, VisitRequest};

use super::query_pairs;
use crate::auth::Viewer;
use crate::form::FormData;
use crate::view::Layout;
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/offices", get(page).post(book))
        .route("/offices/visits/{id}", post(decide))
}

#[derive(Template, WebTemplate)]
#[template(path = "offices/index.html")]
struct OfficesPage {
    layout: Layout,
    offices: Vec<Office>,
    pairs: Vec<CityPair>,
    total_visits: u64,
    /// How many of them are invented demonstration companies' visits.
    demo_visits: u64,
    visits: Vec<Visit>,
    /// The viewer's company, when it is a member of an office: (key, name, office).
    member: Option<(String, String, String)>,
    typed: FormData,
    errors: Vec<String>,
    /// The keys of the offices the viewer keeps (an 編集 link each).
    keeps: Vec<String>,
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    typed: FormData,
    errors: Vec<String>,
    notice: Option<String>,
) -> Result<OfficesPage, WebError> {
    let offices = offices::list(&state.store).await?;
    let pairs = offices::city_pairs(&state.store).await?;
    let (visits, member) = match viewer.acting() {
        Some(actor) => (
            offices::visits(&state.store, &actor).await?,
            offices::membership(&state.store, &actor).await?,
        ),
        None => (Vec::new(), None),
    };
    let keeps = offices
        .iter()
        .filter(|o| {
            viewer
                .user
                .as_ref()
                .is_some_and(|u| u.actor().may_edit_catalogue_of(o.owner_id))
        })
        .map(|o| o.key.clone())
        .collect();
    Ok(OfficesPage {
        keeps,
        layout: Layout::for_viewer("シェアオフィスの相互利用", viewer).with_notice(notice),
        total_visits: pairs.iter().map(|p| p.visits).sum(),
        demo_visits: pairs.iter().map(|p| p.demo).sum(),
        offices,
        pairs,
        visits,
        member,
        typed,
        errors,
    })
}

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<OfficesPage, WebError> {
    let notice = match query_pairs(query.as_deref()).get("done") {
        "booked" => Some("利用を申し込みました。訪問先の承認をお待ちください。".to_owned()),
        "decided" => Some("申込に回答しました。".to_owned()),
        _ => None,
    };
    render(&state, &viewer, FormData::default(), Vec::new(), notice).await
}

fn label(field: &str) -> &'static str {
    match field {
        "office" => "訪問先",
        "company" => "申込企業",
        "visit_on" => "利用日",
        "days" => "利用日数",
        "purpose" => "目的",
        "note" => "理由",
        "decision" => "回答",
        _ => "入力",
    }
}

async fn book(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let request = VisitRequest {
        office: form.get("office").to_owned(),
        company: form.get("company").to_owned(),
        visit_on: domain::forms::answers::parse_date(form.get("visit_on")),
        days: form.get("days").to_owned(),
        purpose: form.get("purpose").to_owned(),
    };
    match offices::book(&state.store, &actor, &request).await {
        Ok(_) => Ok(Redirect::to("/offices?done=booked").into_response()),
        Err(error) => {
            let (status, lines) = super::form_errors(error, label)?;
            Ok((status, render(&state, &viewer, form, lines, None).await?).into_response())
        }
    }
}

async fn decide(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let id: i64 = id.parse().map_err(|_| WebError::NotFound("予約".into()))?;
    match offices::decide(
        &state.store,
        &actor,
        id,
        form.get("decision"),
        form.get("note"),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/offices?done=decided").into_response()),
        Err(error) => {
            let (status, lines) = super::form_errors(error, label)?;
            Ok((
                status,
                render(&state, &viewer, FormData::default(), lines, None).await?,
            )
                .into_response())
        }
    }
}
