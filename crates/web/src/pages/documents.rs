//! The documents library: the list (public documents for everyone, members-only ones
//! for signed-in members), a document's page with every version, the uploads of staff
//! (multipart, the CSRF token in the action URL) and the downloads, always with
//! `nosniff`, inline only for PDF and images.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::documents::{DocumentDraft, DocumentInput, DocumentKind};
use store::documents::{self, Document, Version};

use super::query_pairs;
use crate::auth::Viewer;
use crate::form::FormData;
use crate::view::{self, Layout};
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/documents", get(index).post(create))
        .route("/documents/{key}", get(detail))
        .route("/documents/{key}/edit", post(update))
        .route("/documents/{key}/file", get(latest_file))
        .route("/documents/{key}/versions", post(add_version))
        .route("/documents/{key}/versions/{number}", get(version_file))
}

fn label(field: &str) -> &'static str {
    match field {
        "organisation" => "団体",
        "title" => "資料名",
        "kind" => "種類",
        "description" => "説明",
        "visibility" => "公開範囲",
        "initiative" => "施策",
        "event" => "イベント",
        "file" => "ファイル",
        "note" => "版のメモ",
        _ => "入力",
    }
}

/// A stored file as a response: its own content type, `nosniff`, and a download
/// (`attachment`) unless it is a PDF or an image, which may open in the browser.
pub(crate) fn file_response(version: &Version, bytes: Vec<u8>) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&version.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    let disposition = if domain::documents::may_show_inline(&version.content_type) {
        "inline"
    } else {
        "attachment"
    };
    let encoded: String = form_urlencoded::byte_serialize(version.file_name.as_bytes()).collect();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{disposition}; filename=\"document\"; filename*=UTF-8''{encoded}"
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn viewer_actor(viewer: &Viewer) -> Option<domain::Actor> {
    viewer.user.as_ref().map(|u| u.actor())
}

#[derive(Template, WebTemplate)]
#[template(path = "documents/index.html")]
struct IndexPage {
    layout: Layout,
    documents: Vec<Document>,
    may_upload: bool,
    organisations: Vec<(String, String)>,
    initiatives: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    typed: FormData,
    errors: Vec<String>,
}

async fn index_page(
    state: &AppState,
    viewer: &Viewer,
    typed: FormData,
    errors: Vec<String>,
    notice: Option<String>,
) -> Result<IndexPage, WebError> {
    let actor = viewer_actor(viewer);
    let list = documents::list(&state.store, actor.as_ref()).await?;
    let (organisations, initiatives) = match actor.as_ref().filter(|a| a.role.keeps_records()) {
        Some(actor) => {
            let directory = store::organisations::directory(&state.store).await?;
            let initiatives = store::catalogue::list(&state.store, &Default::default())
                .await?
                .into_iter()
                .filter(|i| actor.may_edit_catalogue_of(i.organisation.id))
                .map(|i| (i.key, format!("{}：{}", i.organisation.name, i.title)))
                .collect();
            (
                super::initiatives::own_organisations(&directory, actor),
                initiatives,
            )
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(IndexPage {
        layout: Layout::for_viewer("資料ライブラリ", viewer).with_notice(notice),
        may_upload: !organisations.is_empty(),
        documents: list,
        organisations,
        initiatives,
        kinds: DocumentKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        typed,
        errors,
    })
}

async fn index(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<IndexPage, WebError> {
    let notice = view::notice(Some(query_pairs(raw.as_deref()).get("done")));
    index_page(&state, &viewer, FormData::default(), Vec::new(), notice).await
}

/// The fields and the one file of an upload form.
struct Upload {
    fields: FormData,
    file_name: String,
    bytes: Vec<u8>,
    errors: Vec<String>,
}

async fn read_upload(multipart: Result<Multipart, MultipartRejection>) -> Upload {
    let mut upload = Upload {
        fields: FormData::default(),
        file_name: String::new(),
        bytes: Vec::new(),
        errors: Vec::new(),
    };
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(_) => {
            upload
                .errors
                .push("ファイルを添えて送信してください（フォームからお送りください）。".into());
            return upload;
        }
    };
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                if name == "file" {
                    upload.file_name = field.file_name().unwrap_or("").to_owned();
                    match field.bytes().await {
                        Ok(b) => upload.bytes = b.to_vec(),
                        Err(_) => upload
                            .errors
                            .push("ファイルを受け取れませんでした（2MBまで）。".into()),
                    }
                } else if let Ok(text) = field.text().await {
                    upload.fields.0.push((name, text));
                }
            }
            Ok(None) => break,
            Err(_) => {
                upload
                    .errors
                    .push("ファイルを受け取れませんでした（2MBまで）。".into());
                break;
            }
        }
    }
    upload
}

fn input_from(form: &FormData) -> DocumentInput {
    DocumentInput {
        title: form.get("title").to_owned(),
        kind: form.get("kind").to_owned(),
        description: form.get("description").to_owned(),
        visibility: form.get("visibility").to_owned(),
        initiative: form.get("initiative").to_owned(),
        event: form.get("event").to_owned(),
    }
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    if !actor.role.keeps_records() {
        return Err(store::StoreError::forbidden(
            "資料を登録できるのは市区・商工会議所の職員と協議会事務局です。",
        )
        .into());
    }
    let upload = read_upload(multipart).await;
    let result = if upload.errors.is_empty() {
        match DocumentDraft::parse(&input_from(&upload.fields)) {
            Ok(draft) => {
                documents::create(
                    &state.store,
                    &actor,
                    upload.fields.get("organisation"),
                    &draft,
                    &upload.file_name,
                    &upload.bytes,
                )
                .await
            }
            Err(errors) => Err(errors.into()),
        }
    } else {
        Err(store::StoreError::Invalid(
            upload
                .errors
                .iter()
                .map(|e| domain::Invalid::new("file", e.clone()))
                .collect(),
        ))
    };
    match result {
        Ok(key) => Ok(Redirect::to(&format!("/documents/{key}?done=created")).into_response()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, label)?;
            let page = index_page(&state, &viewer, upload.fields, errors, None).await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "documents/detail.html")]
struct DetailPage {
    layout: Layout,
    d: Document,
    may_edit: bool,
    kinds: Vec<(&'static str, &'static str)>,
    initiatives: Vec<(String, String)>,
    typed: FormData,
    errors: Vec<String>,
}

async fn detail_page(
    state: &AppState,
    viewer: &Viewer,
    key: &str,
    typed: Option<FormData>,
    errors: Vec<String>,
    notice: Option<String>,
) -> Result<DetailPage, WebError> {
    let actor = viewer_actor(viewer);
    let d = documents::get(&state.store, actor.as_ref(), key).await?;
    let may_edit = d.editable_by(actor.as_ref());
    let initiatives = if may_edit {
        store::catalogue::list(&state.store, &Default::default())
            .await?
            .into_iter()
            .filter(|i| i.organisation.id == d.owner.id)
            .map(|i| (i.key, i.title))
            .collect()
    } else {
        Vec::new()
    };
    let typed = typed.unwrap_or_else(|| {
        FormData(vec![
            ("title".into(), d.title.clone()),
            ("kind".into(), d.kind.code().into()),
            ("description".into(), d.description.clone()),
            ("visibility".into(), d.visibility.code().into()),
            (
                "initiative".into(),
                d.initiative
                    .as_ref()
                    .map(|i| i.0.clone())
                    .unwrap_or_default(),
            ),
            (
                "event".into(),
                d.event.as_ref().map(|e| e.0.clone()).unwrap_or_default(),
            ),
        ])
    });
    Ok(DetailPage {
        layout: Layout::for_viewer(d.title.clone(), viewer).with_notice(notice),
        may_edit,
        kinds: DocumentKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        initiatives,
        d,
        typed,
        errors,
    })
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let notice = match query_pairs(raw.as_deref()).get("done") {
        "version" => Some("新しい版を登録しました。前の版も残っています。".to_owned()),
        other => view::notice(Some(other)),
    };
    members_only_to_login(
        &viewer,
        detail_page(&state, &viewer, &key, None, Vec::new(), notice).await,
    )
}

/// A members-only document asked for by an anonymous visitor: the login page.
fn members_only_to_login<T: IntoResponse>(
    viewer: &Viewer,
    result: Result<T, WebError>,
) -> Result<Response, WebError> {
    match result {
        Ok(page) => Ok(page.into_response()),
        Err(WebError::Store(store::StoreError::Forbidden { .. })) if viewer.user.is_none() => {
            Err(WebError::SignInRequired)
        }
        Err(other) => Err(other),
    }
}

async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    // Who may change it is decided before what was typed.
    let before = documents::get(&state.store, Some(&actor), &key).await?;
    if !before.editable_by(Some(&actor)) {
        return Err(store::StoreError::forbidden(format!(
            "「{}」は{}の資料のため編集できません。",
            before.title, before.owner.name
        ))
        .into());
    }
    let result = match DocumentDraft::parse(&input_from(&form)) {
        Ok(draft) => documents::update(&state.store, &actor, &key, &draft).await,
        Err(errors) => Err(errors.into()),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/documents/{key}?done=saved")).into_response()),
        Err(error @ store::StoreError::Forbidden { .. }) => Err(error.into()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, label)?;
            let page = detail_page(&state, &viewer, &key, Some(form), errors, None).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn add_version(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let actor = viewer.actor()?;
    let upload = read_upload(multipart).await;
    let result = if upload.errors.is_empty() {
        documents::add_version(
            &state.store,
            &actor,
            &key,
            &upload.file_name,
            &upload.bytes,
            upload.fields.get("note"),
        )
        .await
        .map(|_| ())
    } else {
        // The document and the actor's right to it are checked before the file.
        let found = documents::get(&state.store, Some(&actor), &key).await?;
        if !found.editable_by(Some(&actor)) {
            return Err(store::StoreError::forbidden(format!(
                "「{}」は{}の資料のため、新しい版は登録できません。",
                found.title, found.owner.name
            ))
            .into());
        }
        Err(store::StoreError::Invalid(
            upload
                .errors
                .iter()
                .map(|e| domain::Invalid::new("file", e.clone()))
                .collect(),
        ))
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/documents/{key}?done=version")).into_response()),
        Err(error @ store::StoreError::Forbidden { .. }) => Err(error.into()),
        Err(error) => {
            let (status, errors) = super::form_errors(error, label)?;
            let page = detail_page(&state, &viewer, &key, None, errors, None).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn latest_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let actor = viewer_actor(&viewer);
    members_only_to_login(
        &viewer,
        documents::file(&state.store, actor.as_ref(), &key, None)
            .await
            .map(|(version, bytes)| file_response(&version, bytes))
            .map_err(WebError::from),
    )
}

async fn version_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, number)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let number: i32 = number
        .parse()
        .map_err(|_| WebError::NotFound("資料の版".into()))?;
    let actor = viewer_actor(&viewer);
    members_only_to_login(
        &viewer,
        documents::file(&state.store, actor.as_ref(), &key, Some(number))
            .await
            .map(|(version, bytes)| file_response(&version, bytes))
            .map_err(WebError::from),
    )
}
