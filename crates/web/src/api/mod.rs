//! The JSON API under `/api/v1`, documented at `/openapi.json` and readable at
//! `/api/docs` (`reference`). Everything a page shows is here too. Errors are
//! problem+json (RFC 9457) with the fields that were wrong.

mod calls;
mod catalogue;
mod diagnostics;
mod directory;
mod document;
mod documents;
mod events;
mod fairs;
mod groups;
mod invitations;
mod network;
mod notices;
mod offices;
mod open_factory;
mod outbox;
mod people;
mod reference;
mod registry;
mod sites;
mod surveys;

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use store::StoreError;
use store::organisations::Directory;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use crate::{AppState, WebError};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "renkei API",
        description = "中小企業都市連絡協議会 連携プラットフォームのAPI。変更系の呼び出しには、ログイン済みのセッションCookieと、GET /api/v1/session で得た csrf_token を X-CSRF-Token ヘッダーで送ってください。",
        version = "1"
    ),
    tags((name = "catalogue", description = "施策カタログ（施策・年度の記録・KPI）"), (name = "reference", description = "都市・団体・柱"), (name = "session", description = "セッション"), (name = "events", description = "イベントカレンダーと参加申込"), (name = "directory", description = "企業ディレクトリと共通分類（加工・材料・設備・認証）"), (name = "matching", description = "ニーズ・シーズ、マッチング候補、商談と実績"), (name = "network", description = "仲間まわし: 工場の設備、案件、計画、進捗の報告（設備・タブレットからのイベント）"), (name = "fairs", description = "商談会：面談の申込・回答、割り当て、各社の予定、開催後の結果"), (name = "forms", description = "フォーム（調査・診断・申請）の集計結果"), (name = "registry", description = "認定・表彰の公開名簿（i-mono・i-waza・100年企業）"), (name = "mail", description = "送信メール（アウトボックス）の状態（職員のみ）"), (name = "accounts", description = "アカウントへのメール招待（職員・協議会事務局）"), (name = "notices", description = "お知らせと通知設定（ログインした本人のみ）"), (name = "calls", description = "募集（認定・表彰・補助金）と申請、審査の手続き"), (name = "offices", description = "シェアオフィスの相互利用と各都市の拠点"), (name = "people", description = "人材（デザイナー・研究者・後継者候補・学生・専門家）"), (name = "sites", description = "地区（特別用途地区・地区計画）と工場用地、用地の問合せ"), (name = "documents", description = "資料ライブラリ（啓発冊子・協定書・セミナー資料・宣言）と版"))
)]
struct ApiDoc;

/// The OpenAPI document and the router it describes.
pub fn openapi_router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(catalogue::router())
        .merge(events::router())
        .merge(open_factory::router())
        .merge(directory::router())
        .merge(groups::router())
        .merge(network::router())
        .merge(fairs::router())
        .merge(surveys::router())
        .merge(registry::router())
        .merge(outbox::router())
        .merge(invitations::router())
        .merge(notices::router())
        .merge(calls::router())
        .merge(offices::router())
        .merge(people::router())
        .merge(diagnostics::router())
        .merge(sites::router())
        .merge(documents::router())
        .split_for_parts()
}

/// Declares on every operation the refusals every operation can give, as problem+json:
/// 400 (a body or parameter that cannot be read), 404, 422 and 503 (over the
/// admission limit) everywhere; on operations that change something also 401 (not
/// signed in), 403 (no CSRF token, or not allowed) and 409. Handlers declare their
/// own success responses and any refusal they describe more precisely.
fn declare_refusals(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::response::ResponseBuilder;
    use utoipa::openapi::{ContentBuilder, Ref, RefOr};

    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    let everywhere = [
        ("400", "読み取れないリクエスト"),
        ("404", "見つかりません"),
        ("422", "入力内容の誤り"),
        ("503", "混雑中（Retry-After 秒後に再試行）"),
    ];
    let on_changes = [
        ("401", "ログインが必要です"),
        ("403", "CSRFトークンがない、または権限がありません"),
        ("409", "現在の状態と矛盾します"),
    ];
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            (&mut item.get, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.delete, true),
            (&mut item.patch, true),
        ];
        for (operation, changes) in operations {
            let Some(operation) = operation.as_mut() else {
                continue;
            };
            let codes = everywhere
                .iter()
                .chain(on_changes.iter().filter(|_| changes));
            for (code, description) in codes {
                operation
                    .responses
                    .responses
                    .entry((*code).to_owned())
                    .or_insert_with(|| problem(description));
            }
        }
    }
}

/// The operations the API declares, `(METHOD, path template)` as in `/openapi.json`
/// (`POST /api/v1/initiatives/{key}`): a method a path does not declare is answered
/// 405 by the router, before the CSRF guard asks for a token.
#[derive(Debug, Default)]
pub struct Operations(std::collections::HashSet<(String, String)>);

impl Operations {
    fn of(document: &serde_json::Value) -> Operations {
        let paths = document["paths"].as_object().cloned().unwrap_or_default();
        Operations(
            paths
                .into_iter()
                .flat_map(|(path, item)| {
                    let methods: Vec<String> = item
                        .as_object()
                        .map(|o| o.keys().map(|m| m.to_uppercase()).collect())
                        .unwrap_or_default();
                    methods.into_iter().map(move |m| (m, path.clone()))
                })
                .collect(),
        )
    }

    pub fn declares(&self, method: &str, path: &str) -> bool {
        self.0.contains(&(method.to_owned(), path.to_owned()))
    }
}

/// The schema of a query parameter narrowed to the values its handler accepts, from
/// the domain's own lists, so that whatever the document allows the API takes: the
/// cities (keys and 全国地方公共団体コード), organisations, pillars, fiscal years,
/// taxonomy codes, JSIC groups, sizes, event types, posting and registry kinds.
fn parameter_schema(path: &str, name: &str, council: &Directory) -> Option<serde_json::Value> {
    use domain::applications::RegistryKind;
    use domain::directory::{CapabilityGroup, JSIC, PostingKind, SizeBand, TAXONOMY};
    use domain::events::EventType;
    use serde_json::json;
    let one_of = |values: Vec<String>| json!({"type": "string", "enum": values});
    let codes = |group: CapabilityGroup| {
        one_of(
            TAXONOMY
                .iter()
                .filter(|c| c.group == group)
                .map(|c| c.code.to_owned())
                .collect(),
        )
    };
    Some(match (path, name) {
        (_, "city") => one_of(
            council
                .cities
                .iter()
                .flat_map(|c| [c.key.clone(), c.local_gov_code.clone()])
                .collect(),
        ),
        (_, "organisation") => one_of(
            council
                .organisations
                .iter()
                .map(|o| o.key.clone())
                .collect(),
        ),
        (_, "pillar") => json!({"type": "integer", "minimum": 1, "maximum": 3}),
        (_, "fy") => json!({
            "type": "string",
            "pattern": format!(
                "^({})$",
                (domain::FiscalYear::FIRST..=domain::FiscalYear::LAST)
                    .map(|y| y.to_string())
                    .collect::<Vec<_>>()
                    .join("|")
            ),
        }),
        ("/api/v1/initiatives", "status") => one_of(
            domain::EntryStatus::ALL
                .iter()
                .map(|s| s.code().to_owned())
                .collect(),
        ),
        ("/api/v1/events", "type") => {
            one_of(EventType::ALL.iter().map(|t| t.code().to_owned()).collect())
        }
        ("/api/v1/events", "from" | "to") => json!({"type": "string", "format": "date"}),
        ("/api/v1/companies", "limit") => {
            json!({"type": "integer", "minimum": 1, "maximum": directory::MAX_LIMIT})
        }
        (_, "limit") => json!({"type": "integer", "minimum": 1, "maximum": directory::MAX_MATCHES}),
        ("/api/v1/companies", "offset") => {
            json!({"type": "integer", "minimum": 0, "maximum": search::MAX_OFFSET})
        }
        ("/api/v1/companies", "process") => codes(CapabilityGroup::Process),
        ("/api/v1/companies", "material") => codes(CapabilityGroup::Material),
        ("/api/v1/companies", "certification") => codes(CapabilityGroup::Certification),
        ("/api/v1/companies", "size") => {
            one_of(SizeBand::ALL.iter().map(|s| s.code().to_owned()).collect())
        }
        ("/api/v1/companies", "industry") => {
            one_of(JSIC.iter().map(|(code, _)| (*code).to_owned()).collect())
        }
        ("/api/v1/needs", "side") => one_of(vec!["need".into(), "offer".into()]),
        ("/api/v1/needs", "kind") => one_of(
            PostingKind::ALL
                .iter()
                .map(|k| k.code().to_owned())
                .collect(),
        ),
        ("/api/v1/people", "kind") => one_of(
            domain::directory::PersonKind::ALL
                .iter()
                .map(|k| k.code().to_owned())
                .collect(),
        ),
        ("/api/v1/calls/{key}/applications", "status") => one_of(
            domain::applications::ApplicationStatus::ALL
                .iter()
                .map(|s| s.code().to_owned())
                .collect(),
        ),
        ("/api/v1/forms/{key}/survey", "status") => one_of(
            store::surveys::InvitationStatus::ALL
                .iter()
                .map(|s| s.code().to_owned())
                .collect(),
        ),
        ("/api/v1/forms/{key}/survey", "page") => {
            json!({"type": "integer", "minimum": 1, "maximum": 100_000})
        }
        ("/api/v1/registry", "kind") => one_of(
            RegistryKind::ALL
                .iter()
                .map(|k| k.code().to_owned())
                .collect(),
        ),
        _ => return None,
    })
}

/// Narrows every query parameter [`parameter_schema`] knows, in the document.
fn constrain_parameters(document: &mut serde_json::Value, directory: &Directory) {
    // `get_mut`, not indexing: indexing a JSON object for writing adds the key.
    let Some(paths) = document.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for operation in item
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut())
        {
            let parameters = operation
                .get_mut("parameters")
                .and_then(|p| p.as_array_mut());
            for parameter in parameters.into_iter().flatten() {
                if parameter.get("in").and_then(|v| v.as_str()) != Some("query") {
                    continue;
                }
                let name = parameter
                    .get("name")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned();
                if let (Some(schema), Some(fields)) = (
                    parameter_schema(path, &name, directory),
                    parameter.as_object_mut(),
                ) {
                    fields.insert("schema".into(), schema);
                }
            }
        }
    }
}

/// The API's routes with `/openapi.json` and `/api/docs`, and the operations they declare.
pub fn router(directory: &Directory) -> (Router<AppState>, Operations) {
    let (router, mut openapi) = openapi_router();
    declare_refusals(&mut openapi);
    let mut document = serde_json::to_value(&openapi).unwrap_or_default();
    constrain_parameters(&mut document, directory);
    document::describe_responses(&mut document);
    document::declare_security(&mut document);
    document::declare_bearer(&mut document);
    let operations = Operations::of(&document);
    let reference = std::sync::Arc::new(reference::Reference::of(&document));
    let router =
        router
            .route("/openapi.json", get(move || async move { Json(document) }))
            .route(
                "/api/docs",
                get(move |viewer: crate::auth::Viewer| async move {
                    reference::page(&viewer, &reference)
                }),
            );
    (router, operations)
}

/// One field that was wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

/// A problem+json body.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// A problem+json response.
pub fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    problem_with(status, title, detail, Vec::new())
}

fn problem_with(
    status: StatusCode,
    title: &str,
    detail: &str,
    errors: Vec<FieldError>,
) -> Response {
    let body = Problem {
        kind: "about:blank".into(),
        title: title.into(),
        status: status.as_u16(),
        detail: detail.into(),
        errors,
    };
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// The API's error: a `WebError` rendered as problem+json.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(error: E) -> Self {
        ApiError(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let errors = match &self.0 {
            WebError::Store(StoreError::Invalid(errors)) => errors
                .iter()
                .map(|e| FieldError {
                    field: e.field.clone(),
                    reason: e.reason.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let (status, message) = self.0.status_and_message();
        let title = status.canonical_reason().unwrap_or("Error");
        let detail = if matches!(self.0, WebError::SignInRequired) {
            "ログインが必要です。POST /login でログインしたセッションCookieを送ってください。"
                .to_owned()
        } else {
            message
        };
        let mut response = problem_with(status, title, &detail, errors);
        self.0.add_retry_after(&mut response);
        response
    }
}

/// JSON in, with a body that cannot be read answered as problem+json in Japanese:
/// 400 naming the field and what it must be (the field's path, e.g. `kpis[0].value`,
/// from `serde_path_to_error`), or the line and column where the JSON breaks; 413
/// for a body over the limit. serde's and axum's English never reaches the client.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let unreadable = |reason: String| {
            problem(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                &format!("JSONとして読めません: {reason}"),
            )
        };
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|essence| essence == "application/json" || essence.ends_with("+json"));
        if !is_json {
            return Err(ApiError(WebError::BadRequest(
                "Content-Type: application/json で送ってください。".to_owned(),
            ))
            .into_response());
        }
        let bytes = match axum::body::Bytes::from_request(request, state).await {
            Ok(bytes) => bytes,
            Err(rejection)
                if crate::layers::over_body_limit(rejection.status(), &rejection.body_text()) =>
            {
                let message = crate::layers::TOO_LARGE_MESSAGE;
                return Err(problem(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Payload Too Large",
                    message,
                ));
            }
            Err(_) => {
                return Err(unreadable(
                    "本文を最後まで受け取れませんでした。".to_owned(),
                ));
            }
        };
        let mut reader = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut reader).map_err(|error| {
            let path = error.path().to_string();
            unreadable(json_reason(&path, error.inner()))
        })?;
        // Nothing but white space may follow the value.
        reader
            .end()
            .map_err(|error| unreadable(json_reason(".", &error)))?;
        Ok(ApiJson(value))
    }
}

/// Japanese for why a JSON body could not be read: where it breaks, or which field
/// (`path`, as `serde_path_to_error` gives it, `.` for the whole body) is wrong and how.
fn json_reason(path: &str, error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    if !matches!(error.classify(), Category::Data) {
        return format!(
            "{}行{}列目で書式が崩れています。",
            error.line(),
            error.column()
        );
    }
    let english = error.to_string();
    // serde's messages name a missing or unknown field in backquotes.
    let quoted = english.split('`').nth(1).unwrap_or_default();
    if english.starts_with("missing field") {
        return format!("必須の項目「{quoted}」がありません。");
    }
    if english.starts_with("unknown field") {
        return format!("項目「{quoted}」は受け付けていません。");
    }
    let expected = |types: &[&str]| {
        types
            .iter()
            .any(|t| english.contains(&format!("expected {t}")))
    };
    let what = if expected(&["i64", "u64", "i32", "u32", "i16", "u16", "u8", "usize"]) {
        "整数（1e5 や 1.5 ではなく 100000 のような数）で指定してください"
    } else if expected(&["f64", "f32"]) {
        "数で指定してください"
    } else if expected(&["a string"]) {
        "文字列で指定してください"
    } else if expected(&["a boolean"]) {
        "true か false で指定してください"
    } else if expected(&["a sequence"]) {
        "配列（[...]）で指定してください"
    } else if english.starts_with("unknown variant") {
        "定められた値のいずれかで指定してください"
    } else {
        "型または値が正しくありません"
    };
    if path == "." {
        format!("本文は{what}。")
    } else {
        format!("項目「{path}」は{what}。")
    }
}
