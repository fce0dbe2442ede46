//! Needs and offers (ニーズ・シーズ): the list, the form that posts one, and a need's
//! page with its ranked candidates and the reasons for each rank; from there staff or
//! the posting company propose a match, which starts a negotiation (商談).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::directory::{PostingDraft, PostingInput, PostingKind, Side, SizeBand};
use domain::{Invalid, Role};
use store::StoreError;
use store::matching::{self, Match};
use store::negotiations::{self, Supplier};
use store::organisations::{self, Directory};
use store::postings::{self, Poster, Posting, PostingFilter};

use super::companies::{CapabilityChoices, capability_choices};
use super::query_pairs;
use crate::auth::Viewer;
use crate::form::FormData;
use crate::view::{self, Layout};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/needs", get(list).post(create))
        .route("/needs/new", get(new_form))
        .route("/needs/{key}", get(detail))
        .route("/needs/{key}/propose", post(propose))
        .route("/needs/{key}/close", post(close))
}

pub struct Row {
    key: String,
    side: &'static str,
    kind: &'static str,
    title: String,
    poster: String,
    city: String,
    capabilities: Vec<String>,
    open: bool,
    public: bool,
}

fn row(p: &Posting) -> Row {
    Row {
        key: p.key.clone(),
        side: p.side.label(),
        kind: p.kind.label(),
        title: p.title.clone(),
        poster: p.poster_name.clone(),
        city: p.city.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
        capabilities: p
            .capabilities
            .iter()
            .map(|c| domain::directory::Capability::label_of(c))
            .collect(),
        open: p.open,
        public: p.public,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "needs/list.html")]
struct ListPage {
    layout: Layout,
    side: String,
    kind: String,
    city: String,
    sides: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    cities: Vec<(String, String)>,
    rows: Vec<Row>,
    can_post: bool,
    errors: Vec<String>,
}

fn cities(directory: &Directory) -> Vec<(String, String)> {
    directory
        .cities
        .iter()
        .map(|c| (c.key.clone(), c.name.clone()))
        .collect()
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<ListPage, WebError> {
    let query = query_pairs(raw.as_deref());
    let directory = organisations::directory(&state.store).await?;
    let mut errors = Vec::new();
    let side = match query.get("side") {
        "" => None,
        code => Side::parse(code).or_else(|| {
            errors.push("ニーズ・シーズの別が正しくありません。".to_owned());
            None
        }),
    };
    let kind = match query.get("kind") {
        "" => None,
        code => PostingKind::parse(code).or_else(|| {
            errors.push("種類が正しくありません。".to_owned());
            None
        }),
    };
    let city = match query.get("city") {
        "" => None,
        key if directory.city_by_key(key).is_some() => Some(key.to_owned()),
        _ => {
            errors.push("市区が正しくありません。".to_owned());
            None
        }
    };
    let actor = viewer.acting();
    let mut listed = postings::list(
        &state.store,
        actor.as_ref(),
        &PostingFilter {
            side,
            kind,
            city: city.clone(),
            include_closed: query.get("closed") == "1",
            ids: None,
        },
    )
    .await?;
    let company = query.get("company");
    if !company.is_empty() {
        listed.retain(|p| p.company.as_ref().is_some_and(|c| c.0 == company));
    }
    Ok(ListPage {
        layout: Layout::for_viewer("ニーズ・シーズ", &viewer)
            .with_notice(view::notice(Some(query.get("done")))),
        side: side.map(|s| s.code().to_owned()).unwrap_or_default(),
        kind: kind.map(|k| k.code().to_owned()).unwrap_or_default(),
        city: city.unwrap_or_default(),
        sides: vec![
            (Side::Need.code(), Side::Need.label()),
            (Side::Offer.code(), Side::Offer.label()),
        ],
        kinds: PostingKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        cities: cities(&directory),
        rows: listed.iter().map(row).collect(),
        can_post: viewer.acting_user().is_some(),
        errors,
    })
}

fn input_from(form: &FormData) -> PostingInput {
    PostingInput {
        side: form.get("side").to_owned(),
        kind: form.get("kind").to_owned(),
        title: form.get("title").to_owned(),
        body: form.get("body").to_owned(),
        poster_name: form.get("poster_name").to_owned(),
        city: form.get("city").to_owned(),
        capabilities: form.all("capabilities"),
        size_preference: form.get("size_preference").to_owned(),
        prefer_other_cities: form.get("prefer_other_cities") == "1",
        deadline: form.get("deadline").to_owned(),
        public: form.get("public") == "1",
    }
}

fn field_label(field: &str) -> &'static str {
    match field {
        "side" => "ニーズ・シーズの別",
        "kind" => "種類",
        "title" => "件名",
        "body" => "内容",
        "poster_name" => "掲載者名",
        "city" => "市区",
        "capabilities" => "必要な加工・材料・認証",
        "size_preference" => "希望する規模",
        "deadline" => "締切",
        "company" => "掲載企業",
        "organisation" => "掲載団体",
        _ => "入力",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "needs/form.html")]
struct NeedForm {
    layout: Layout,
    input: PostingInput,
    poster: String,
    errors: Vec<String>,
    kinds: Vec<(&'static str, &'static str)>,
    cities: Vec<(String, String)>,
    sizes: Vec<(&'static str, &'static str)>,
    groups: Vec<CapabilityChoices>,
    /// Staff may post in their organisation's name or for a company (by key).
    is_staff: bool,
}

fn need_form(
    viewer: &Viewer,
    directory: &Directory,
    input: PostingInput,
    poster: String,
    errors: Vec<String>,
) -> Result<NeedForm, WebError> {
    let actor = viewer.actor()?;
    Ok(NeedForm {
        layout: Layout::for_viewer("ニーズ・シーズを掲載", viewer),
        groups: capability_choices(&input.capabilities),
        input,
        poster,
        errors,
        kinds: PostingKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        cities: cities(directory),
        sizes: SizeBand::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        is_staff: actor.role.keeps_records(),
    })
}

async fn new_form(State(state): State<AppState>, viewer: Viewer) -> Result<NeedForm, WebError> {
    viewer.actor()?;
    let directory = organisations::directory(&state.store).await?;
    need_form(
        &viewer,
        &directory,
        PostingInput {
            side: "need".into(),
            kind: "business".into(),
            prefer_other_cities: true,
            public: true,
            ..PostingInput::default()
        },
        String::new(),
        Vec::new(),
    )
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let directory = organisations::directory(&state.store).await?;
    let input = input_from(&form);
    let poster_text = form.get("company").trim().to_owned();
    let result = async {
        let keys: Vec<&str> = directory.cities.iter().map(|c| c.key.as_str()).collect();
        postings::may_post(&actor)?;
        let draft = PostingDraft::parse(&input, &keys).map_err(StoreError::Invalid)?;
        let poster = if actor.role == Role::Company {
            let company_id = actor
                .company_id
                .ok_or_else(|| StoreError::forbidden("企業会員のアカウントに企業が登録されていません。事務局にお問い合わせください。"))?;
            let company = store::companies::by_ids(&state.store, &[company_id])
                .await?
                .pop()
                .ok_or_else(|| StoreError::not_found("企業"))?;
            Poster::Company(company.key)
        } else if !poster_text.is_empty() {
            Poster::Company(poster_text.clone())
        } else {
            let organisation = actor
                .organisation_id
                .and_then(|id| directory.organisation(id))
                .ok_or_else(|| Invalid::new("organisation", "所属団体がありません。"))?;
            Poster::Organisation(organisation.key.clone())
        };
        postings::create(&state.store, &actor, &poster, &draft).await
    }
    .await;
    match result {
        Ok(created) => {
            Ok(Redirect::to(&format!("/needs/{}?done=created", created.key)).into_response())
        }
        Err(error) => super::refill(error, field_label, |errors| {
            need_form(&viewer, &directory, input, poster_text, errors)
        }),
    }
}

/// A ranked candidate as the page shows it.
pub struct MatchRow {
    code: String,
    href: String,
    name: String,
    kind: &'static str,
    city: String,
    score: String,
    reasons: Vec<String>,
}

fn match_row(m: &Match) -> MatchRow {
    MatchRow {
        code: m.candidate.code(),
        href: m.candidate.href(),
        name: m.name.clone(),
        kind: m.kind_label,
        city: m.city.clone(),
        score: format!("{:.0}", m.ranked.score),
        reasons: m
            .ranked
            .components
            .iter()
            .map(|c| format!("{}（{:+.0}点）", c.reason, c.points))
            .collect(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "needs/detail.html")]
struct DetailPage {
    layout: Layout,
    posting: Row,
    body: String,
    size: String,
    deadline: String,
    prefer_other_cities: bool,
    can_edit: bool,
    is_need: bool,
    matches: Vec<MatchRow>,
    negotiations: Vec<(String, String, &'static str)>,
    errors: Vec<String>,
}

async fn detail_page(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    notice: Option<String>,
    errors: Vec<String>,
) -> Result<DetailPage, WebError> {
    let actor = viewer.acting();
    let posting = postings::get(&state.store, actor.as_ref(), key).await?;
    let can_edit = posting.editable_by(actor.as_ref()) && viewer.actor().is_ok();
    let matches = if can_edit && posting.side == Side::Need && posting.open {
        matching::candidates(&state.store, &state.search, actor.as_ref(), &posting, 20).await?
    } else {
        Vec::new()
    };
    let negotiations = match &actor {
        Some(actor) if can_edit => negotiations::list(&state.store, actor)
            .await?
            .into_iter()
            .filter(|n| n.posting.as_ref().is_some_and(|p| p.0 == posting.key))
            .map(|n| (n.key, n.supplier_name, n.stage.label()))
            .collect(),
        _ => Vec::new(),
    };
    Ok(DetailPage {
        layout: Layout::for_viewer(posting.title.clone(), viewer).with_notice(notice),
        body: posting.body.clone(),
        size: posting
            .size_preference
            .map(|s| s.label().to_owned())
            .unwrap_or_default(),
        deadline: posting.deadline.map(|d| d.to_string()).unwrap_or_default(),
        prefer_other_cities: posting.prefer_other_cities,
        is_need: posting.side == Side::Need,
        can_edit,
        matches: matches.iter().map(match_row).collect(),
        negotiations,
        posting: row(&posting),
        errors,
    })
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<DetailPage, WebError> {
    let query = query_pairs(raw.as_deref());
    detail_page(
        &state,
        &viewer,
        &key,
        view::notice(Some(query.get("done"))),
        Vec::new(),
    )
    .await
}

async fn propose(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let supplier = match form.get("candidate").split_once(':') {
        Some(("company", k)) => Some(Supplier::Company(k.to_owned())),
        Some(("person", k)) => Some(Supplier::Person(k.to_owned())),
        Some(("offer", k)) => Some(Supplier::Offer(k.to_owned())),
        _ => None,
    };
    let result = match supplier {
        Some(supplier) => {
            negotiations::propose(
                &state.store,
                &actor,
                &key,
                &supplier,
                domain::time::japan_today(),
                form.get("note"),
            )
            .await
        }
        None => Err(Invalid::new("supplier", "提案する相手を一覧から選んでください。").into()),
    };
    match result {
        Ok(created) => Ok(
            Redirect::to(&format!("/negotiations/{}?done=created", created.key)).into_response(),
        ),
        Err(error) => {
            let (status, errors) = super::form_errors(error, |_| "商談の提案")?;
            let page = detail_page(&state, &viewer, &key, None, errors).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn close(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let open = form.get("open") == "1";
    postings::set_open(&state.store, &actor, &key, open).await?;
    Ok(Redirect::to(&format!("/needs/{key}?done=saved")).into_response())
}
