//! Events spread over many sites (おおたオープンファクトリー): the printable guide of
//! sites with their programmes and tour slots and the counts per site; the
//! organiser's form to add a factory of the directory as a site; each site's visitor
//! list with check-in for its host; writing the counts into the initiative's KPIs.
//! Registration for a slot is in `registrations` (the event's own rules).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::open_factory::{SiteDraft, SiteInput};
use store::StoreError;
use store::events;
use store::open_factory::{self, Site, Sites};
use store::registrations::Registration;

use super::events::{Row, row};
use super::query_pairs;
use crate::auth::Viewer;
use crate::form::FormData;
use crate::view::{self, Layout};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{key}/sites", get(guide).post(add_site))
        .route("/events/{key}/sites/new", get(new_site))
        .route("/events/{key}/sites/kpis", post(feed_kpis))
        .route("/events/{key}/sites/{id}/visitors", get(visitors))
        .route(
            "/events/{key}/sites/{id}/visitors/{number}/attendance",
            post(attendance),
        )
}

/// One site as the guide lists it, with whether the viewer may open its visitor list.
struct SiteRow {
    site: Site,
    may_check_in: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "events/sites.html")]
struct GuidePage {
    layout: Layout,
    event: Row,
    venue: String,
    sites: Vec<SiteRow>,
    visitors: u32,
    waiting: u32,
    capacity: u32,
    /// Open for registration: scheduled and not over.
    open: bool,
    /// The organiser's staff: may add sites and write the counts into the KPIs.
    can_edit: bool,
    initiative: Option<(String, String)>,
    /// Why writing the counts into the KPIs was refused.
    errors: Vec<String>,
}

fn guide_page(viewer: &Viewer, all: Sites, notice: Option<String>) -> GuidePage {
    let actor = viewer.acting();
    let can_edit = actor
        .as_ref()
        .is_some_and(|a| a.may_edit_events_of(all.event.organisation.id));
    GuidePage {
        layout: Layout::for_viewer(format!("{} 会場案内", all.event.title), viewer)
            .with_notice(notice),
        event: row(&all.event),
        venue: all.event.venue.clone(),
        visitors: all.visitors(),
        waiting: all.waiting(),
        capacity: all.sites.iter().map(Site::capacity).sum(),
        open: all.event.is_open(),
        can_edit,
        initiative: all.event.initiative.clone(),
        errors: Vec::new(),
        sites: all
            .sites
            .iter()
            .map(|site| SiteRow {
                may_check_in: actor.as_ref().is_some_and(|a| all.may_check_in(a, site)),
                site: site.clone(),
            })
            .collect(),
    }
}

/// The guide: every site with its programme, address and slots (seats left), the
/// visitors per site and in total. Printed, it is the visitors' handout.
async fn guide(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<GuidePage, WebError> {
    let all = open_factory::sites(&state.store, viewer.acting().as_ref(), &key).await?;
    let notice = match query_pairs(raw.as_deref()).get("done") {
        "kpis" => {
            Some("会場数と来場申込数を関連施策のKPI（年度の実績）に反映しました。".to_owned())
        }
        other => view::notice(Some(other)),
    };
    Ok(guide_page(&viewer, all, notice))
}

#[derive(Template, WebTemplate)]
#[template(path = "events/site_form.html")]
struct SiteForm {
    layout: Layout,
    event: Row,
    first_day: String,
    input: SiteInput,
    errors: Vec<String>,
}

fn field_label(field: &str) -> &'static str {
    match field {
        "company" => "会場となる企業",
        "programme" => "内容",
        "description" => "説明",
        "address" => "住所",
        "tours" => "見学枠",
        _ => "入力",
    }
}

fn site_form(
    viewer: &Viewer,
    event: &events::Event,
    input: SiteInput,
    errors: Vec<String>,
) -> SiteForm {
    SiteForm {
        layout: Layout::for_viewer(format!("{}に会場を追加", event.title), viewer),
        event: row(event),
        first_day: event.time.first_day().to_string(),
        input,
        errors,
    }
}

/// The organiser's event, or 403 before any form is shown or read.
async fn editable(state: &AppState, viewer: &Viewer, key: &str) -> Result<events::Event, WebError> {
    let actor = viewer.actor()?;
    Ok(open_factory::organised(&state.store, &actor, key).await?)
}

async fn new_site(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<SiteForm, WebError> {
    let event = editable(&state, &viewer, &key).await?;
    let input = SiteInput {
        programme: "工場見学".into(),
        ..Default::default()
    };
    Ok(site_form(&viewer, &event, input, Vec::new()))
}

async fn add_site(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let event = editable(&state, &viewer, &key).await?;
    let input = SiteInput {
        company: form.get("company").to_owned(),
        programme: form.get("programme").to_owned(),
        description: form.get("description").to_owned(),
        address: form.get("address").to_owned(),
        tours: form.get("tours").to_owned(),
    };
    let result = match SiteDraft::parse(&input, event.time.first_day(), event.time.last_day()) {
        Ok(draft) => open_factory::add_site(&state.store, &actor, &key, &draft).await,
        Err(errors) => Err(StoreError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/events/{key}/sites?done=created")).into_response()),
        Err(error) => super::refill(error, field_label, |errors| {
            Ok(site_form(&viewer, &event, input, errors))
        }),
    }
}

async fn feed_kpis(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    match open_factory::feed_kpis(&state.store, &actor, &key).await {
        Ok(_) => Ok(Redirect::to(&format!("/events/{key}/sites?done=kpis")).into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, |_| "KPIへの反映")?;
            let all = open_factory::sites(&state.store, Some(&actor), &key).await?;
            let page = GuidePage {
                errors,
                ..guide_page(&viewer, all, None)
            };
            Ok((status, page).into_response())
        }
    }
}

/// One visitor as the host's list shows it.
struct VisitorRow {
    id: i64,
    tour: String,
    name: String,
    organisation: String,
    email: String,
    attendees: u32,
    status: &'static str,
    confirmed: bool,
    attended: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "events/visitors.html")]
struct VisitorsPage {
    layout: Layout,
    event: Row,
    site: Site,
    rows: Vec<VisitorRow>,
    attended: u32,
}

fn visitor_rows(site: &Site, list: Vec<Registration>) -> Vec<VisitorRow> {
    let mut rows: Vec<VisitorRow> = list
        .into_iter()
        .map(|r| VisitorRow {
            tour: site
                .tours
                .iter()
                .find(|t| Some(t.id) == r.tour_id)
                .map(|t| t.label.clone())
                .unwrap_or_default(),
            id: r.id,
            name: r.name,
            organisation: r.organisation,
            email: r.email,
            attendees: r.attendees,
            status: r.status.label(),
            confirmed: r.status == domain::events::RegistrationStatus::Confirmed,
            attended: r.attended,
        })
        .collect();
    rows.sort_by(|a, b| a.tour.cmp(&b.tour).then(a.id.cmp(&b.id)));
    rows
}

/// A site's visitor list, by slot; printed, the host's reception list.
async fn visitors(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, i64)>,
    RawQuery(raw): RawQuery,
) -> Result<VisitorsPage, WebError> {
    let actor = viewer.actor()?;
    let (all, site, list) = open_factory::visitors(&state.store, &actor, &key, id).await?;
    let attended = list
        .iter()
        .filter(|r| r.attended)
        .map(|r| r.attendees)
        .sum();
    let notice = view::notice(Some(query_pairs(raw.as_deref()).get("done")));
    Ok(VisitorsPage {
        layout: Layout::for_viewer(format!("{} 来場者名簿", site.company_name), &viewer)
            .with_notice(notice),
        event: row(&all.event),
        rows: visitor_rows(&site, list),
        site,
        attended,
    })
}

async fn attendance(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id, registration)): Path<(String, i64, i64)>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let attended = form.get("attended") == "1";
    open_factory::mark_visit(&state.store, &actor, &key, id, registration, attended).await?;
    Ok(Redirect::to(&format!(
        "/events/{key}/sites/{id}/visitors#r{registration}"
    ))
    .into_response())
}
