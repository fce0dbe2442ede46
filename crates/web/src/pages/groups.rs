//! Groups of companies and partners across cities: the list, a group's page (members,
//! meetings, and for those taking part the shared needs and seeds with a form to
//! share one), and the keeper's forms (new group, members, meetings).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::groups::{GroupDraft, GroupInput};
use store::StoreError;
use store::groups::{self, Group, Member, Share};
use store::organisations;

use super::query_pairs;
use crate::auth::Viewer;
use crate::form::FormData;
use crate::view::{self, Layout};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/groups", get(list).post(create))
        .route("/groups/new", get(new_form))
        .route("/groups/{key}", get(detail))
        .route("/groups/{key}/shares", post(share))
        .route("/groups/{key}/members", post(add_member))
        .route("/groups/{key}/members/{id}/remove", post(remove_member))
        .route("/groups/{key}/meetings", post(add_meeting))
}

struct GroupRow {
    key: String,
    name: String,
    keeper: String,
    cities: String,
    members: usize,
    meetings: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "groups/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<GroupRow>,
    can_create: bool,
}

fn may_create(viewer: &Viewer) -> bool {
    viewer.acting().is_some_and(|a| a.role.keeps_records())
}

async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<ListPage, WebError> {
    let actor = viewer.acting();
    let directory = organisations::directory(&state.store).await?;
    let rows = groups::list(&state.store, actor.as_ref())
        .await?
        .into_iter()
        .map(|(g, members)| GroupRow {
            cities: g.cities(&directory),
            key: g.key,
            name: g.name,
            keeper: g.keeper.name,
            members: members.len(),
            meetings: g.meetings.len(),
        })
        .collect();
    Ok(ListPage {
        layout: Layout::for_viewer("グループ（都市をまたぐネットワーク・研究会）", &viewer),
        rows,
        can_create: may_create(&viewer),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "groups/form.html")]
struct GroupForm {
    layout: Layout,
    organisations: Vec<(String, String)>,
    input: GroupInput,
    errors: Vec<String>,
}

fn group_field(field: &str) -> &'static str {
    match field {
        "organisation" => "事務局の団体",
        "name" => "グループ名",
        "description" => "説明",
        "member" => "メンバー",
        "event" => "会合（イベント）",
        "posting" => "ニーズ・シーズ",
        "note" => "ひとこと",
        _ => "入力",
    }
}

async fn group_form(
    state: &AppState,
    viewer: &Viewer,
    input: GroupInput,
    errors: Vec<String>,
) -> Result<GroupForm, WebError> {
    let actor = viewer.actor()?;
    let directory = organisations::directory(&state.store).await?;
    Ok(GroupForm {
        layout: Layout::for_viewer("グループを作成", viewer),
        organisations: directory
            .organisations
            .iter()
            .filter(|o| actor.may_edit_catalogue_of(o.id))
            .map(|o| (o.key.clone(), o.name.clone()))
            .collect(),
        input,
        errors,
    })
}

/// Only staff and the secretariat start groups: others are refused before any form.
fn ensure_may_create(viewer: &Viewer) -> Result<(), WebError> {
    viewer.actor()?;
    if !may_create(viewer) {
        return Err(StoreError::forbidden(
            "グループは市区・商工会議所の職員と協議会事務局が作成します。",
        )
        .into());
    }
    Ok(())
}

async fn new_form(State(state): State<AppState>, viewer: Viewer) -> Result<GroupForm, WebError> {
    ensure_may_create(&viewer)?;
    group_form(&state, &viewer, GroupInput::default(), Vec::new()).await
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    ensure_may_create(&viewer)?;
    let actor = viewer.actor()?;
    let input = GroupInput {
        organisation: form.get("organisation").to_owned(),
        name: form.get("name").to_owned(),
        description: form.get("description").to_owned(),
    };
    let result = match GroupDraft::parse(&input) {
        Ok(draft) => groups::create(&state.store, &actor, &draft).await,
        Err(errors) => Err(StoreError::Invalid(errors)),
    };
    match result {
        Ok(group) => {
            Ok(Redirect::to(&format!("/groups/{}?done=created", group.key)).into_response())
        }
        Err(error) => {
            let (status, errors) = super::form_errors(error, group_field)?;
            Ok((status, group_form(&state, &viewer, input, errors).await?).into_response())
        }
    }
}

/// What was typed into one of the group page's forms, shown again with its errors.
#[derive(Debug, Clone, Default)]
struct Typed {
    posting: String,
    note: String,
    member: String,
    event: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "groups/detail.html")]
struct DetailPage {
    layout: Layout,
    group: Group,
    cities: String,
    members: Vec<Member>,
    /// Private member companies the viewer does not see, counted.
    hidden: usize,
    shares: Option<Vec<Share>>,
    keeps: bool,
    /// The needs and seeds the viewer may share: (key, label).
    shareable: Vec<(String, String)>,
    typed: Typed,
    errors: Vec<String>,
}

async fn detail_page(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    typed: Typed,
    errors: Vec<String>,
    notice: Option<String>,
) -> Result<DetailPage, WebError> {
    let actor = viewer.acting();
    let view = groups::get(&state.store, actor.as_ref(), key).await?;
    let directory = organisations::directory(&state.store).await?;
    let shareable = match (&actor, &view.shares) {
        (Some(actor), Some(shares)) => groups::shareable(&state.store, actor)
            .await?
            .into_iter()
            .filter(|p| !shares.iter().any(|s| s.posting.id == p.id))
            .map(|p| {
                (
                    p.key.clone(),
                    format!("{}：{}（{}）", p.side.label(), p.title, p.poster_name),
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(DetailPage {
        layout: Layout::for_viewer(view.group.name.clone(), viewer).with_notice(notice),
        cities: view.group.cities(&directory),
        hidden: view.group.members.len() - view.members.len(),
        members: view.members,
        shares: view.shares,
        keeps: view.keeps,
        group: view.group,
        shareable,
        typed,
        errors,
    })
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<DetailPage, WebError> {
    let notice = match query_pairs(raw.as_deref()).get("done") {
        "shared" => Some("共有しました。メンバーにお知らせとメールで伝えます。".to_owned()),
        "member" => Some("メンバーを追加しました。".to_owned()),
        "removed" => Some("メンバーを外しました。".to_owned()),
        "meeting" => Some("会合を追加しました。".to_owned()),
        other => view::notice(Some(other)),
    };
    detail_page(&state, &viewer, &key, Typed::default(), Vec::new(), notice).await
}

/// After a group page's form: back to the page with a notice, or the page again with
/// the errors and what was typed.
async fn answer(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    result: Result<(), StoreError>,
    done: &str,
    typed: Typed,
) -> Result<Response, WebError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/groups/{key}?done={done}")).into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, group_field)?;
            let page = detail_page(state, viewer, key, typed, errors, None).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn share(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let typed = Typed {
        posting: form.get("posting").to_owned(),
        note: form.get("note").to_owned(),
        ..Default::default()
    };
    let result = groups::share(&state.store, &actor, &key, &typed.posting, &typed.note)
        .await
        .map(|_| ());
    answer(&state, &viewer, &key, result, "shared", typed).await
}

async fn add_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let typed = Typed {
        member: form.get("member").to_owned(),
        ..Default::default()
    };
    let result = groups::add_member(&state.store, &actor, &key, &typed.member)
        .await
        .map(|_| ());
    answer(&state, &viewer, &key, result, "member", typed).await
}

async fn remove_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let result = groups::remove_member(&state.store, &actor, &key, id).await;
    answer(&state, &viewer, &key, result, "removed", Typed::default()).await
}

async fn add_meeting(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let typed = Typed {
        event: form.get("event").to_owned(),
        ..Default::default()
    };
    let result = groups::add_meeting(&state.store, &actor, &key, &typed.event).await;
    answer(&state, &viewer, &key, result, "meeting", typed).await
}
