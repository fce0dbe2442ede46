//! People the engine matches (designers, researchers, successor candidates, students,
//! experts) and the facilities of the seven cities (拠点, share offices).
//!
//! Public profiles are listed for everyone without contact details; the staff of
//! the registering organisation see their people in full and register new ones.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::Role;
use domain::directory::{Capability, PersonKind};
use store::StoreError;
use store::organisations;
use store::people::{self, Facility, Person, PersonInput};

use super::companies::{CapabilityChoices, capability_choices};
use super::query_pairs;
use crate::auth::Viewer;
use crate::form::FormData;
use crate::view::{self, Layout};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/people", get(list).post(create))
        .route("/facilities", get(facilities))
}

pub struct Row {
    kind: &'static str,
    name: String,
    affiliation: String,
    city: String,
    profile: String,
    capabilities: Vec<String>,
    public: bool,
    contact: Option<(String, String)>,
}

fn row(p: &Person) -> Row {
    Row {
        kind: p.kind.label(),
        name: p.name.clone(),
        affiliation: p.affiliation.clone(),
        city: p.city.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
        profile: p.profile.clone(),
        capabilities: p
            .capabilities
            .iter()
            .map(|c| Capability::label_of(c))
            .collect(),
        public: p.public,
        contact: p.contact.clone(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "people/list.html")]
struct ListPage {
    layout: Layout,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    can_create: bool,
    input: PersonInput,
    cities: Vec<(String, String)>,
    groups: Vec<CapabilityChoices>,
    errors: Vec<String>,
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    kind: Option<PersonKind>,
    input: PersonInput,
    errors: Vec<String>,
    notice: Option<String>,
) -> Result<ListPage, WebError> {
    let actor = viewer.user.as_ref().map(|u| u.actor());
    let kinds: Vec<PersonKind> = kind.into_iter().collect();
    let listed = people::list(&state.store, actor.as_ref(), &kinds).await?;
    let directory = organisations::directory(&state.store).await?;
    Ok(ListPage {
        layout: Layout::for_viewer("人材（デザイナー・研究者・後継者候補・学生）", viewer)
            .with_notice(notice),
        kind: kind.map(|k| k.code().to_owned()).unwrap_or_default(),
        kinds: PersonKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        rows: listed.iter().map(row).collect(),
        can_create: viewer.actor().is_ok_and(|a| a.role != Role::Company),
        groups: capability_choices(&input.capabilities),
        input,
        cities: directory
            .cities
            .iter()
            .map(|c| (c.key.clone(), c.name.clone()))
            .collect(),
        errors,
    })
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<ListPage, WebError> {
    let query = query_pairs(raw.as_deref());
    let kind = PersonKind::parse(query.get("kind"));
    page(
        &state,
        &viewer,
        kind,
        PersonInput::default(),
        Vec::new(),
        view::notice(Some(query.get("done"))),
    )
    .await
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = PersonInput {
        kind: form.get("kind").to_owned(),
        name: form.get("name").to_owned(),
        kana: form.get("kana").to_owned(),
        affiliation: form.get("affiliation").to_owned(),
        city: form.get("city").to_owned(),
        profile: form.get("profile").to_owned(),
        capabilities: form.all("capabilities"),
        email: form.get("email").to_owned(),
        phone: form.get("phone").to_owned(),
        public: form.get("public") == "1",
    };
    match people::create(&state.store, &actor, &input).await {
        Ok(_) => Ok(Redirect::to("/people?done=created").into_response()),
        Err(
            error @ (StoreError::Invalid(_)
            | StoreError::Forbidden { .. }
            | StoreError::Conflict(_)),
        ) => {
            let label = |field: &str| match field {
                "kind" => "種類",
                "name" => "氏名・名称",
                "kana" => "フリガナ",
                "affiliation" => "所属",
                "city" => "市区",
                "profile" => "紹介",
                "email" => "メール",
                "phone" => "電話",
                "capabilities" => "分野",
                _ => "入力",
            };
            let (status, errors) = super::form_errors(error, label)?;
            Ok((
                status,
                page(&state, &viewer, None, input, errors, None).await?,
            )
                .into_response())
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "people/facilities.html")]
struct FacilitiesPage {
    layout: Layout,
    facilities: Vec<Facility>,
}

async fn facilities(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<FacilitiesPage, WebError> {
    let query = query_pairs(raw.as_deref());
    let city = Some(query.get("city")).filter(|c| !c.is_empty());
    Ok(FacilitiesPage {
        layout: Layout::for_viewer("拠点・シェアオフィス", &viewer),
        facilities: people::facilities(&state.store, city).await?,
    })
}
