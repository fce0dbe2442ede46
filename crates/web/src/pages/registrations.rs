//! Registration for events: the public form, the registrant's confirmation page (a
//! secret link, with the event as .ics and a way to withdraw), and the organiser's
//! printable check-in list with attendance, exported to CSV/XLSX.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::events::{RegistrationDraft, RegistrationInput, RegistrationStatus};
use store::StoreError;
use store::events::{self, Event};
use store::registrations::{self, Registration};

use super::events::{Row, row};
use super::query_pairs;
use crate::auth::Viewer;
use crate::export::{CsvRequest, ExportFormat, Table};
use crate::form::FormData;
use crate::view::{self, Layout};
use crate::{AppState, WebError};
use domain::time::japan_today;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{key}/register", get(form).post(register))
        .route(
            "/events/{key}/tours/{id}/register",
            get(tour_form).post(tour_register),
        )
        .route("/events/{key}/registrations", get(checkin))
        .route("/events/{key}/registrations.csv", get(export_csv))
        .route("/events/{key}/registrations.xlsx", get(export_xlsx))
        .route(
            "/events/{key}/registrations/{id}/attendance",
            post(attendance),
        )
        .route(
            "/events/{key}/registrations/{id}/cancel",
            post(cancel_by_organiser),
        )
        .route("/registrations/{token}", get(confirmation))
        .route("/registrations/{token}/cancel", post(withdraw))
}

#[derive(Template, WebTemplate)]
#[template(path = "events/register.html")]
struct RegisterPage {
    layout: Layout,
    event: Row,
    capacity: Option<u32>,
    confirmed: u32,
    waiting: u32,
    input: RegistrationInput,
    errors: Vec<String>,
    /// Why no form is offered: the event is over (終了) or called off.
    closed: Option<&'static str>,
    /// Where the form posts: the event itself or one site's tour slot.
    action: String,
    /// The tour slot (site, programme, time, address) when registering for one.
    slot: Option<String>,
}

fn field_label(field: &str) -> &'static str {
    match field {
        "name" => "お名前",
        "organisation" => "会社・団体名",
        "email" => "メールアドレス",
        "attendees" => "参加人数",
        _ => "入力",
    }
}

async fn register_page(
    state: &AppState,
    viewer: &Viewer,
    event: Event,
    tour: Option<i64>,
    input: RegistrationInput,
    errors: Vec<String>,
) -> Result<RegisterPage, WebError> {
    let (capacity, occupancy, slot, action, title) = match tour {
        None => (
            event.capacity,
            registrations::occupancy(&state.store, &event).await?,
            None,
            format!("/events/{}/register", event.key),
            format!("{}への申込", event.title),
        ),
        Some(id) => {
            let sites = store::open_factory::of_event(&state.store, event.clone()).await?;
            let (site, tour) = sites
                .sites
                .iter()
                .find_map(|s| s.tours.iter().find(|t| t.id == id).map(|t| (s, t)))
                .ok_or_else(|| StoreError::not_found("見学枠"))?;
            (
                Some(tour.capacity),
                tour.occupancy,
                Some(format!(
                    "{}（{}）{}・{}",
                    site.company_name, site.programme, tour.label, site.address
                )),
                format!("/events/{}/tours/{id}/register", event.key),
                format!("{}の見学申込", site.company_name),
            )
        }
    };
    Ok(RegisterPage {
        layout: Layout::for_viewer(title, viewer),
        event: row(&event),
        capacity,
        confirmed: occupancy.confirmed,
        waiting: occupancy.waiting,
        action,
        slot,
        closed: match event.state() {
            domain::events::EventState::Scheduled => None,
            domain::events::EventState::Ended => {
                Some("このイベントは終了しました。参加の申込は受け付けていません。")
            }
            domain::events::EventState::Cancelled => {
                Some("このイベントは中止になりました。参加の申込は受け付けていません。")
            }
        },
        input,
        errors,
    })
}

async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<RegisterPage, WebError> {
    form_for(state, viewer, key, None).await
}

/// The form for one tour slot of a site (オープンファクトリー).
async fn tour_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, i64)>,
) -> Result<RegisterPage, WebError> {
    form_for(state, viewer, key, Some(id)).await
}

async fn form_for(
    state: AppState,
    mut viewer: Viewer,
    key: String,
    tour: Option<i64>,
) -> Result<RegisterPage, WebError> {
    viewer.ensure_csrf().await?;
    let event = events::get(&state.store, &key, viewer.acting_user().is_some()).await?;
    let input = RegistrationInput {
        attendees: "1".into(),
        email: viewer
            .user
            .as_ref()
            .map(|u| u.email.clone())
            .unwrap_or_default(),
        ..Default::default()
    };
    register_page(&state, &viewer, event, tour, input, Vec::new()).await
}

async fn register(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    register_for(state, viewer, key, None, form).await
}

async fn tour_register(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, WebError> {
    register_for(state, viewer, key, Some(id), form).await
}

async fn register_for(
    state: AppState,
    viewer: Viewer,
    key: String,
    tour: Option<i64>,
    form: FormData,
) -> Result<Response, WebError> {
    let input = RegistrationInput {
        name: form.get("name").to_owned(),
        organisation: form.get("organisation").to_owned(),
        email: form.get("email").to_owned(),
        attendees: form.get("attendees").to_owned(),
    };
    let actor = viewer.acting();
    let result = match RegistrationDraft::parse(&input) {
        Ok(draft) => match tour {
            None => {
                registrations::register(&state.store, actor.as_ref(), &key, &draft, japan_today())
                    .await
            }
            Some(id) => {
                registrations::register_for_tour(
                    &state.store,
                    actor.as_ref(),
                    &key,
                    id,
                    &draft,
                    japan_today(),
                )
                .await
            }
        },
        Err(errors) => Err(StoreError::Invalid(errors)),
    };
    match result {
        Ok(created) => Ok(Redirect::to(&format!(
            "/registrations/{}?done=registered",
            created.token
        ))
        .into_response()),
        Err(error) => {
            let (status, errors) = match error {
                StoreError::Invalid(errors) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    super::messages(&errors, field_label),
                ),
                StoreError::Conflict(message) => (StatusCode::CONFLICT, vec![message]),
                other => return Err(other.into()),
            };
            let event = events::get(&state.store, &key, viewer.acting_user().is_some()).await?;
            let page = register_page(&state, &viewer, event, tour, input, errors).await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "events/registration.html")]
struct ConfirmationPage {
    layout: Layout,
    event: Row,
    token: String,
    name: String,
    organisation: String,
    email: String,
    attendees: u32,
    status: &'static str,
    status_code: &'static str,
    position: Option<usize>,
    /// The site's tour slot, for a registration for one.
    slot: Option<String>,
}

async fn confirmation(
    State(state): State<AppState>,
    mut viewer: Viewer,
    headers: HeaderMap,
    Path(token): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    // `/registrations/{token}.ics`: the event for the registrant's calendar, even
    // when it is members-only (the token proves the registration).
    if let Some(token) = token.strip_suffix(".ics") {
        let (_, event, _) = registrations::by_token(&state.store, token).await?;
        return Ok(super::feeds::one_event_ics(&state, &event, &headers));
    }
    viewer.ensure_csrf().await?;
    let (registration, event, position) = registrations::by_token(&state.store, &token).await?;
    let slot = match registration.tour_id {
        Some(id) => store::open_factory::slot(&state.store, &event, id)
            .await?
            .map(|s| format!("{}（{}）{}・{}", s.company, s.programme, s.label, s.address)),
        None => None,
    };
    let notice = match query_pairs(raw.as_deref()).get("done") {
        "registered" => Some(match registration.status {
            RegistrationStatus::Waiting => {
                "定員に達しているため、キャンセル待ちとして受け付けました。".to_owned()
            }
            _ => "申込を受け付けました。".to_owned(),
        }),
        "withdrawn" => Some("申込を取り消しました。".to_owned()),
        other => view::notice(Some(other)),
    };
    Ok(ConfirmationPage {
        layout: Layout::for_viewer("申込内容の確認", &viewer).with_notice(notice),
        event: row(&event),
        token,
        name: registration.name,
        organisation: registration.organisation,
        email: registration.email,
        attendees: registration.attendees,
        status: registration.status.label(),
        status_code: registration.status.code(),
        position,
        slot,
    }
    .into_response())
}

async fn withdraw(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    registrations::cancel_by_token(&state.store, &token).await?;
    Ok(Redirect::to(&format!("/registrations/{token}?done=withdrawn")).into_response())
}

struct CheckinRow {
    id: i64,
    name: String,
    organisation: String,
    email: String,
    attendees: u32,
    status: &'static str,
    confirmed: bool,
    attended: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "events/checkin.html")]
struct CheckinPage {
    layout: Layout,
    event: Row,
    capacity: Option<u32>,
    confirmed: u32,
    waiting: u32,
    attended: u32,
    rows: Vec<CheckinRow>,
}

async fn checkin(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<CheckinPage, WebError> {
    let actor = viewer.actor()?;
    let (event, list) = registrations::list(&state.store, &actor, &key).await?;
    let count = |status: RegistrationStatus| {
        list.iter()
            .filter(|r| r.status == status)
            .map(|r| r.attendees)
            .sum::<u32>()
    };
    let notice = view::notice(Some(query_pairs(raw.as_deref()).get("done")));
    Ok(CheckinPage {
        layout: Layout::for_viewer(format!("{}の受付名簿", event.title), &viewer)
            .with_notice(notice),
        event: row(&event),
        capacity: event.capacity,
        confirmed: count(RegistrationStatus::Confirmed),
        waiting: count(RegistrationStatus::Waiting),
        attended: list
            .iter()
            .filter(|r| r.attended)
            .map(|r| r.attendees)
            .sum(),
        rows: list
            .into_iter()
            .map(|r| CheckinRow {
                id: r.id,
                status: r.status.label(),
                confirmed: r.status == RegistrationStatus::Confirmed,
                name: r.name,
                organisation: r.organisation,
                email: r.email,
                attendees: r.attendees,
                attended: r.attended,
            })
            .collect(),
    })
}

/// The check-in list as a table; for an event spread over many sites, a last column
/// says which site's slot each registration is for (`slots`: tour id → label).
fn checkin_table(list: &[Registration], slots: &std::collections::HashMap<i64, String>) -> Table {
    let mut headers = vec![
        "受付番号",
        "お名前",
        "会社・団体名",
        "メールアドレス",
        "参加人数",
        "状況",
        "出席",
        "申込日時",
    ];
    if !slots.is_empty() {
        headers.push("見学枠（会場・日時）");
    }
    let mut table = Table::new(&headers)
        .codes(&["受付番号"])
        .numbers(&["参加人数"])
        .datetimes(&["申込日時"]);
    for r in list {
        let mut row = vec![
            r.id.to_string(),
            r.name.clone(),
            r.organisation.clone(),
            r.email.clone(),
            r.attendees.to_string(),
            r.status.label().to_owned(),
            if r.attended { "出席" } else { "" }.to_owned(),
            domain::time::in_japan(r.created_at)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        ];
        if !slots.is_empty() {
            row.push(
                r.tour_id
                    .and_then(|t| slots.get(&t))
                    .cloned()
                    .unwrap_or_default(),
            );
        }
        table.rows.push(row);
    }
    table
}

async fn export(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    format: ExportFormat,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let (event, list) = registrations::list(&state.store, &actor, key).await?;
    let slots = store::open_factory::of_event(&state.store, event.clone())
        .await?
        .sites
        .iter()
        .flat_map(|site| {
            site.tours
                .iter()
                .map(|t| (t.id, format!("{} {}", site.company_name, t.label)))
        })
        .collect();
    checkin_table(&list, &slots).download(
        format,
        &format!("registrations-{}", event.key),
        "受付名簿",
    )
}

async fn export_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    csv: CsvRequest,
) -> Result<Response, WebError> {
    export(&state, &viewer, &key, ExportFormat::Csv(csv)).await
}

async fn export_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    export(&state, &viewer, &key, ExportFormat::Xlsx).await
}

async fn attendance(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let attended = form.get("attended") == "1";
    registrations::mark_attendance(&state.store, &actor, &key, id, attended).await?;
    Ok(Redirect::to(&format!("/events/{key}/registrations?done=saved#r{id}")).into_response())
}

async fn cancel_by_organiser(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    registrations::cancel_by_organiser(&state.store, &actor, &key, id).await?;
    Ok(Redirect::to(&format!("/events/{key}/registrations?done=saved")).into_response())
}
