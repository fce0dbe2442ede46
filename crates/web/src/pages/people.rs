//! People the engine matches (designers, researchers, successor candidates, students,
//! experts) and the facilities of the seven cities (拠点, share offices).
//!
//! Public profiles are listed for everyone without contact details; the staff of
//! the registering organisation see their people in full and register new ones.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
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
        .route("/people/{key}", get(show))
        .route("/people/{key}/edit", get(edit).post(save))
        .route("/people/{key}/export", get(export))
        .route("/people/{key}/delete", get(confirm).post(delete))
        .route("/facilities", get(facilities))
}

pub struct Row {
    key: String,
    kind: &'static str,
    name: String,
    affiliation: String,
    city: String,
    profile: String,
    capabilities: Vec<String>,
    public: bool,
    contact: Option<(String, String)>,
    /// Invented demonstration data (marked 「デモ」).
    demo: bool,
}

fn row(p: &Person) -> Row {
    Row {
        key: p.key.clone(),
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
        demo: p.demo,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "people/list.html")]
struct ListPage {
    layout: Layout,
    kind: String,
    rows: Vec<Row>,
    can_create: bool,
    input: PersonInput,
    choices: Choices,
    errors: Vec<String>,
}

/// The choices of a person's form (and the list's filter): kinds, cities, and the
/// capability groups with `selected` ticked.
pub struct Choices {
    kinds: Vec<(&'static str, &'static str)>,
    cities: Vec<(String, String)>,
    groups: Vec<CapabilityChoices>,
}

async fn choices(state: &AppState, selected: &[String]) -> Result<Choices, WebError> {
    let directory = organisations::directory(&state.store).await?;
    Ok(Choices {
        kinds: PersonKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        cities: directory
            .cities
            .iter()
            .map(|c| (c.key.clone(), c.name.clone()))
            .collect(),
        groups: capability_choices(selected),
    })
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    kind: Option<PersonKind>,
    input: PersonInput,
    errors: Vec<String>,
    notice: Option<String>,
) -> Result<ListPage, WebError> {
    let actor = viewer.acting();
    let kinds: Vec<PersonKind> = kind.into_iter().collect();
    let listed = people::list(&state.store, actor.as_ref(), &kinds).await?;
    Ok(ListPage {
        layout: Layout::for_viewer("人材（デザイナー・研究者・後継者候補・学生）", viewer)
            .with_notice(notice),
        kind: kind.map(|k| k.code().to_owned()).unwrap_or_default(),
        rows: listed.iter().map(row).collect(),
        can_create: viewer.actor().is_ok_and(|a| a.role.keeps_records()),
        choices: choices(state, &input.capabilities).await?,
        input,
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

/// What staff typed in a person's form.
fn person_input(form: &FormData) -> PersonInput {
    PersonInput {
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
    }
}

/// A refusal of a person's form as the page's messages (or the error to show).
fn refusal(error: StoreError) -> Result<(axum::http::StatusCode, Vec<String>), WebError> {
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
        "reason" => "削除の理由",
        _ => "入力",
    };
    super::form_errors(error, label)
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = person_input(&form);
    match people::create(&state.store, &actor, &input).await {
        Ok(_) => Ok(Redirect::to("/people?done=created").into_response()),
        Err(error) => {
            let (status, errors) = refusal(error)?;
            Ok((
                status,
                page(&state, &viewer, None, input, errors, None).await?,
            )
                .into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "people/show.html")]
struct ShowPage {
    layout: Layout,
    capabilities: Vec<String>,
    keeps: bool,
    person: Person,
}

/// `/people/{key}`: a public profile for everyone; the whole record, with what the
/// person may ask of it, for the staff who keep it.
async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<ShowPage, WebError> {
    let actor = viewer.acting();
    let person = people::get(&state.store, actor.as_ref(), &key).await?;
    let query = query_pairs(raw.as_deref());
    Ok(ShowPage {
        layout: Layout::for_viewer(&person.name, &viewer)
            .with_notice(view::notice(Some(query.get("done")))),
        capabilities: row(&person).capabilities,
        keeps: person.contact.is_some(),
        person,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "people/edit.html")]
struct EditPage {
    layout: Layout,
    key: String,
    name: String,
    input: PersonInput,
    choices: Choices,
    errors: Vec<String>,
}

async fn edit_page(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    input: Option<PersonInput>,
    errors: Vec<String>,
) -> Result<EditPage, WebError> {
    let actor = viewer.actor()?;
    let person = people::get(&state.store, Some(&actor), key).await?;
    let Some((email, phone)) = person.contact.clone() else {
        return Err(StoreError::forbidden(
            "登録内容の訂正は、登録した団体の職員と事務局が行います。",
        )
        .into());
    };
    let input = input.unwrap_or_else(|| PersonInput {
        kind: person.kind.code().to_owned(),
        name: person.name.clone(),
        kana: person.kana.clone(),
        affiliation: person.affiliation.clone(),
        city: person
            .city
            .as_ref()
            .map(|c| c.key.clone())
            .unwrap_or_default(),
        profile: person.profile.clone(),
        capabilities: person.capabilities.clone(),
        email,
        phone,
        public: person.public,
    });
    Ok(EditPage {
        layout: Layout::for_viewer("人材の登録内容の訂正", viewer),
        key: person.key,
        name: person.name,
        choices: choices(state, &input.capabilities).await?,
        input,
        errors,
    })
}

async fn edit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<EditPage, WebError> {
    edit_page(&state, &viewer, &key, None, Vec::new()).await
}

async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let input = person_input(&form);
    match people::update(&state.store, &actor, &key, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/people/{key}?done=saved")).into_response()),
        Err(error) => {
            let (status, errors) = refusal(error)?;
            let page = edit_page(&state, &viewer, &key, Some(input), errors).await?;
            Ok((status, page).into_response())
        }
    }
}

/// `/people/{key}/export`: the record, postings and negotiations, as JSON (logged).
async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let data = people::export(&state.store, &actor, &key).await?;
    crate::export::json_download(&data, &format!("person-{}", data.key))
}

#[derive(Template, WebTemplate)]
#[template(path = "people/delete.html")]
struct DeletePage {
    layout: Layout,
    person: Person,
    postings: usize,
    negotiations: usize,
    reason: String,
    errors: Vec<String>,
}

async fn delete_page(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    reason: String,
    errors: Vec<String>,
) -> Result<DeletePage, WebError> {
    let actor = viewer.actor()?;
    // Only those who keep the record reach the confirmation.
    let (postings, negotiations) = people::links(&state.store, &actor, key).await?;
    Ok(DeletePage {
        layout: Layout::for_viewer("人材の登録の削除（依頼への対応）", viewer),
        person: people::get(&state.store, Some(&actor), key).await?,
        postings,
        negotiations,
        reason,
        errors,
    })
}

async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<DeletePage, WebError> {
    delete_page(&state, &viewer, &key, String::new(), Vec::new()).await
}

async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let reason = form.get("reason");
    match people::delete(&state.store, &actor, &key, reason).await {
        Ok(_) => Ok(Redirect::to("/people?done=deleted").into_response()),
        Err(error) => {
            let (status, errors) = refusal(error)?;
            let page = delete_page(&state, &viewer, &key, reason.to_owned(), errors).await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "people/facilities.html")]
struct FacilitiesPage {
    layout: Layout,
    facilities: Vec<Facility>,
    /// The keys of the facilities the viewer keeps (an 編集 link each).
    keeps: Vec<String>,
}

async fn facilities(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<FacilitiesPage, WebError> {
    let query = query_pairs(raw.as_deref());
    let city = Some(query.get("city")).filter(|c| !c.is_empty());
    let facilities = people::facilities(&state.store, city).await?;
    let actor = viewer.user.as_ref().map(|u| u.actor());
    Ok(FacilitiesPage {
        layout: Layout::for_viewer("拠点・シェアオフィス", &viewer)
            .with_notice(crate::view::notice(Some(query.get("done")))),
        keeps: facilities
            .iter()
            .filter(|f| {
                actor
                    .as_ref()
                    .is_some_and(|a| a.may_edit_catalogue_of(f.owner.id))
            })
            .map(|f| f.key.clone())
            .collect(),
        facilities,
    })
}
