//! Facilities and share offices kept by their organisations: the staff of the
//! organisation that keeps a facility or an office (and the secretariat) edit its
//! details and an office's member companies; everyone else is refused by the store.
//! The API twins are in `api::offices`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::directory::{FACILITY_KINDS, FacilityDraft, FacilityInput, OfficeDraft, OfficeInput};
use store::StoreError;
use store::offices::{self, Office};
use store::people::{self, Facility};

use crate::auth::Viewer;
use crate::form::FormData;
use crate::view::Layout;
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/facilities/{key}/edit",
            get(facility_form).post(update_facility),
        )
        .route("/offices/{key}/edit", get(office_form).post(update_office))
        .route("/offices/{key}/members", post(add_member))
        .route(
            "/offices/{key}/members/{company}/remove",
            post(remove_member),
        )
}

fn field_label(field: &str) -> &'static str {
    match field {
        "name" => "名称",
        "kind" => "種類",
        "address" => "所在地",
        "description" => "紹介",
        "capacity" => "定員",
        "company" => "入居企業",
        _ => "入力",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "facilities/edit.html")]
struct FacilityPage {
    layout: Layout,
    facility: Facility,
    kinds: Vec<(&'static str, &'static str)>,
    input: FacilityInput,
    errors: Vec<String>,
}

fn facility_page(
    viewer: &Viewer,
    facility: Facility,
    input: FacilityInput,
    errors: Vec<String>,
) -> FacilityPage {
    FacilityPage {
        layout: Layout::for_viewer(format!("{}の編集", facility.name), viewer),
        facility,
        kinds: FACILITY_KINDS.to_vec(),
        input,
        errors,
    }
}

async fn facility_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<FacilityPage, WebError> {
    let actor = viewer.actor()?;
    let facility = people::editable_facility(&state.store, &actor, &key).await?;
    let input = FacilityInput {
        name: facility.name.clone(),
        kind: facility.kind.clone(),
        address: facility.address.clone(),
        description: facility.description.clone(),
        capacity: facility.capacity.map(|c| c.to_string()).unwrap_or_default(),
        public: facility.public,
    };
    Ok(facility_page(&viewer, facility, input, Vec::new()))
}

async fn update_facility(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = FacilityInput {
        name: form.get("name").to_owned(),
        kind: form.get("kind").to_owned(),
        address: form.get("address").to_owned(),
        description: form.get("description").to_owned(),
        capacity: form.get("capacity").to_owned(),
        public: !form.get("public").is_empty(),
    };
    let result = match FacilityDraft::parse(&input) {
        Ok(draft) => people::update_facility(&state.store, &actor, &key, &draft).await,
        Err(errors) => Err(StoreError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/facilities?done=saved").into_response()),
        Err(error) => {
            let facility = people::editable_facility(&state.store, &actor, &key).await?;
            super::refill(error, field_label, |errors| {
                Ok(facility_page(&viewer, facility, input, errors))
            })
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "offices/edit.html")]
struct OfficePage {
    layout: Layout,
    office: Office,
    input: OfficeInput,
    /// The member company typed into the add form.
    company: String,
    errors: Vec<String>,
}

fn office_page(
    viewer: &Viewer,
    office: Office,
    input: OfficeInput,
    company: String,
    errors: Vec<String>,
    notice: Option<String>,
) -> OfficePage {
    OfficePage {
        layout: Layout::for_viewer(format!("{}の編集", office.name), viewer).with_notice(notice),
        office,
        input,
        company,
        errors,
    }
}

fn input_of(office: &Office) -> OfficeInput {
    OfficeInput {
        name: office.name.clone(),
        address: office.address.clone(),
        description: office.description.clone(),
    }
}

async fn office_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<OfficePage, WebError> {
    let actor = viewer.actor()?;
    let office = offices::editable(&state.store, &actor, &key).await?;
    let notice = match super::query_pairs(raw.as_deref()).get("done") {
        "added" => Some("入居企業を追加しました。".to_owned()),
        "removed" => Some("入居企業から外しました。".to_owned()),
        "saved" => Some("保存しました。".to_owned()),
        _ => None,
    };
    let input = input_of(&office);
    Ok(office_page(
        &viewer,
        office,
        input,
        String::new(),
        Vec::new(),
        notice,
    ))
}

async fn update_office(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = OfficeInput {
        name: form.get("name").to_owned(),
        address: form.get("address").to_owned(),
        description: form.get("description").to_owned(),
    };
    let result = match OfficeDraft::parse(&input) {
        Ok(draft) => offices::update(&state.store, &actor, &key, &draft).await,
        Err(errors) => Err(StoreError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/offices/{key}/edit?done=saved")).into_response()),
        Err(error) => {
            let office = offices::editable(&state.store, &actor, &key).await?;
            super::refill(error, field_label, |errors| {
                Ok(office_page(
                    &viewer,
                    office,
                    input,
                    String::new(),
                    errors,
                    None,
                ))
            })
        }
    }
}

async fn add_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let company = form.get("company").to_owned();
    match offices::add_member(&state.store, &actor, &key, &company).await {
        Ok(_) => Ok(Redirect::to(&format!("/offices/{key}/edit?done=added")).into_response()),
        Err(error) => {
            let office = offices::editable(&state.store, &actor, &key).await?;
            let input = input_of(&office);
            super::refill(error, field_label, |errors| {
                Ok(office_page(&viewer, office, input, company, errors, None))
            })
        }
    }
}

async fn remove_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, company)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    offices::remove_member(&state.store, &actor, &key, &company).await?;
    Ok(Redirect::to(&format!("/offices/{key}/edit?done=removed")).into_response())
}
