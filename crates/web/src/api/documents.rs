//! `/api/v1/documents`: the documents library — the list a caller may read (public
//! documents for everyone, members-only ones for signed-in members), a document with
//! its versions, uploads by staff (multipart) and the files themselves. The same store
//! calls as `pages::documents`; who may read and upload is decided in
//! `store::documents`.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::documents::{DocumentDraft, DocumentInput};
use serde::Serialize;
use store::StoreError;
use store::documents::{self, Document};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, Problem};
use crate::AppState;
use crate::auth::Viewer;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_documents, create_document))
        .routes(routes!(get_document))
        .routes(routes!(add_version))
        .routes(routes!(version_file))
}

/// 資料の版
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDto {
    /// 版の番号（1から）
    pub number: i32,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// 内容のSHA-256（16進）
    pub sha256: String,
    pub note: String,
    /// 登録日時（RFC 3339）
    pub created_at: String,
    /// ファイルのURL
    pub url: String,
}

/// 資料
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentDto {
    pub key: String,
    pub title: String,
    /// booklet | agreement | seminar | declaration | other
    pub kind: String,
    pub kind_label: String,
    pub description: String,
    /// public（公開）| members（会員限定）
    pub visibility: String,
    /// 施策のキー
    pub initiative: Option<String>,
    /// イベントのキー
    pub event: Option<String>,
    /// 担当団体のキー
    pub organisation: String,
    /// すべての版（新しい順）
    pub versions: Vec<VersionDto>,
    /// デモデータ（架空の内容）であること
    pub demo: bool,
}

fn document_dto(d: &Document) -> DocumentDto {
    DocumentDto {
        key: d.key.clone(),
        title: d.title.clone(),
        kind: d.kind.code().to_owned(),
        kind_label: d.kind.label().to_owned(),
        description: d.description.clone(),
        visibility: d.visibility.code().to_owned(),
        initiative: d.initiative.as_ref().map(|i| i.0.clone()),
        event: d.event.as_ref().map(|e| e.0.clone()),
        organisation: d.owner.key.clone(),
        versions: d
            .versions
            .iter()
            .map(|v| VersionDto {
                number: v.number,
                file_name: v.file_name.clone(),
                content_type: v.content_type.clone(),
                size_bytes: v.size_bytes,
                sha256: v.sha256.clone(),
                note: v.note.clone(),
                created_at: v.created_at.to_rfc3339(),
                url: format!("/api/v1/documents/{}/versions/{}", d.key, v.number),
            })
            .collect(),
        demo: d.demo,
    }
}

fn reader(viewer: &Viewer) -> Option<domain::Actor> {
    viewer.user.as_ref().map(|u| u.actor())
}

/// 閲覧できる資料の一覧（公開の資料はどなたでも。会員限定の資料はログインした会員のみ）
#[utoipa::path(
    get, path = "/api/v1/documents", tag = "documents",
    responses((status = 200, description = "資料の一覧（更新の新しい順）", body = Vec<DocumentDto>))
)]
async fn list_documents(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Vec<DocumentDto>>, ApiError> {
    let list = documents::list(&state.store, reader(&viewer).as_ref()).await?;
    Ok(Json(list.iter().map(document_dto).collect()))
}

/// 資料の登録・新しい版（multipart/form-data）
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DocumentUploadForm {
    /// ファイル（PDF・PNG・JPEG・GIF・DOCX・XLSX・PPTX。中身で判定し、HTMLやスクリプトは受け付けません）
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// 登録のみ: 担当団体のキー（省略すると自団体）・資料名・種類（booklet など）・説明・公開範囲（public | members）・施策のキー・イベントのキー
    pub organisation: Option<String>,
    pub title: Option<String>,
    pub kind: Option<String>,
    pub description: Option<String>,
    pub visibility: Option<String>,
    pub initiative: Option<String>,
    pub event: Option<String>,
    /// 新しい版のみ: 版のメモ
    pub note: Option<String>,
}

/// The text fields and the file of a multipart upload, or the reason it is unreadable.
async fn read(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(crate::form::FormData, String, Vec<u8>), ApiError> {
    let mut multipart = multipart.map_err(|_| {
        crate::WebError::BadRequest(
            "multipart/form-data で file（資料のファイル）を送ってください。".to_owned(),
        )
    })?;
    let mut fields = crate::form::FormData::default();
    let mut file = (String::new(), Vec::new());
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                if name == "file" {
                    file.0 = field.file_name().unwrap_or("").to_owned();
                    file.1 = field
                        .bytes()
                        .await
                        .map_err(|_| {
                            StoreError::Invalid(vec![domain::Invalid::new(
                                "file",
                                "ファイルを受け取れませんでした（2MBまで）。",
                            )])
                        })?
                        .to_vec();
                } else if let Ok(text) = field.text().await {
                    fields.0.push((name, text));
                }
            }
            Ok(None) => break,
            Err(_) => {
                return Err(StoreError::Invalid(vec![domain::Invalid::new(
                    "file",
                    "ファイルを受け取れませんでした（2MBまで）。",
                )])
                .into());
            }
        }
    }
    Ok((fields, file.0, file.1))
}

/// 資料を登録する（団体の職員・協議会事務局。ファイルは第1版になります）
#[utoipa::path(
    post, path = "/api/v1/documents", tag = "documents",
    request_body(content = DocumentUploadForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "登録した資料", body = DocumentDto),
              (status = 403, description = "その団体の資料は登録できません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "資料名・種類・公開範囲の誤り、または受け付けられないファイル（errors の file）", body = Problem, content_type = "application/problem+json"))
)]
async fn create_document(
    State(state): State<AppState>,
    viewer: Viewer,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    if !actor.role.keeps_records() {
        return Err(StoreError::forbidden(
            "資料を登録できるのは市区・商工会議所の職員と協議会事務局です。",
        )
        .into());
    }
    let (fields, name, bytes) = read(multipart).await?;
    let draft = DocumentDraft::parse(&DocumentInput {
        title: fields.get("title").to_owned(),
        kind: fields.get("kind").to_owned(),
        description: fields.get("description").to_owned(),
        visibility: fields.get("visibility").to_owned(),
        initiative: fields.get("initiative").to_owned(),
        event: fields.get("event").to_owned(),
    })
    .map_err(StoreError::Invalid)?;
    let key = documents::create(
        &state.store,
        &actor,
        fields.get("organisation"),
        &draft,
        &name,
        &bytes,
    )
    .await?;
    let created = documents::get(&state.store, Some(&actor), &key).await?;
    Ok((StatusCode::CREATED, Json(document_dto(&created))).into_response())
}

/// 資料と版の一覧（会員限定の資料はログインした会員のみ）
#[utoipa::path(
    get, path = "/api/v1/documents/{key}", tag = "documents",
    params(("key" = String, Path, description = "資料のキー")),
    responses((status = 200, description = "資料", body = DocumentDto),
              (status = 403, description = "会員限定の資料です", body = Problem, content_type = "application/problem+json"))
)]
async fn get_document(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Json<DocumentDto>, ApiError> {
    let found = documents::get(&state.store, reader(&viewer).as_ref(), &key).await?;
    Ok(Json(document_dto(&found)))
}

/// 資料の新しい版を登録する（担当団体の職員・協議会事務局。前の版も残ります）
#[utoipa::path(
    post, path = "/api/v1/documents/{key}/versions", tag = "documents",
    request_body(content = DocumentUploadForm, content_type = "multipart/form-data"),
    params(("key" = String, Path, description = "資料のキー")),
    responses((status = 201, description = "新しい版を登録した資料", body = DocumentDto),
              (status = 403, description = "担当団体の職員ではありません", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "受け付けられないファイル（errors の file）", body = Problem, content_type = "application/problem+json"))
)]
async fn add_version(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor()?;
    // Who may upload is decided before the file is read.
    let found = documents::get(&state.store, Some(&actor), &key).await?;
    if !found.editable_by(Some(&actor)) {
        return Err(StoreError::forbidden(format!(
            "「{}」は{}の資料のため、新しい版は登録できません。",
            found.title, found.owner.name
        ))
        .into());
    }
    let (fields, name, bytes) = read(multipart).await?;
    documents::add_version(
        &state.store,
        &actor,
        &key,
        &name,
        &bytes,
        fields.get("note"),
    )
    .await?;
    let after = documents::get(&state.store, Some(&actor), &key).await?;
    Ok((StatusCode::CREATED, Json(document_dto(&after))).into_response())
}

/// 資料の版のファイル（PDF・画像はブラウザで表示、その他はダウンロード。nosniff）
#[utoipa::path(
    get, path = "/api/v1/documents/{key}/versions/{number}", tag = "documents",
    params(("key" = String, Path, description = "資料のキー"), ("number" = String, Path, description = "版の番号")),
    responses((status = 200, description = "ファイルの内容（受け付ける形式のいずれか）", content(
                  ("application/pdf"), ("image/png"), ("image/jpeg"), ("image/gif"),
                  ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                  ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                  ("application/vnd.openxmlformats-officedocument.presentationml.presentation"),
                  ("application/octet-stream"))),
              (status = 403, description = "会員限定の資料です", body = Problem, content_type = "application/problem+json"))
)]
async fn version_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, number)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let number: i32 = number
        .parse()
        .map_err(|_| crate::WebError::NotFound("資料の版".into()))?;
    let (version, bytes) =
        documents::file(&state.store, reader(&viewer).as_ref(), &key, Some(number)).await?;
    Ok(crate::pages::documents::file_response(&version, bytes))
}
