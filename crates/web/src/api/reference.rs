//! `/api/docs`: the API's reference as one of our own Japanese pages, drawn from
//! the same OpenAPI document as `/openapi.json`, under the site's Content-Security-Policy
//! like every other page. It replaced Scalar's page, which loaded an unpinned script
//! from a CDN and could not run under our policy; the interactive explorer can come
//! back when its script is served from the binary.

use askama::Template;
use askama_web::WebTemplate;
use std::sync::Arc;

use crate::auth::Viewer;
use crate::view::Layout;

/// One operation: what to call and what it takes and answers.
pub struct Operation {
    method: String,
    path: String,
    summary: String,
    description: String,
    parameters: Vec<Parameter>,
    body: Option<String>,
    responses: Vec<(String, String)>,
    /// What the caller must send: nothing, the session cookie, or the cookie and the
    /// CSRF header (from the operation's `security`).
    auth: &'static str,
}

/// One parameter of an operation.
pub struct Parameter {
    name: String,
    location: &'static str,
    required: bool,
    description: String,
}

/// The operations of one tag, in the document's order of tags.
pub struct Section {
    name: String,
    description: String,
    operations: Vec<Operation>,
}

/// What the page shows, read once from the document when the router is built.
pub struct Reference {
    description: String,
    sections: Vec<Section>,
}

#[derive(Template, WebTemplate)]
#[template(path = "api/reference.html")]
pub struct ReferencePage {
    layout: Layout,
    reference: Arc<Reference>,
}

impl Reference {
    pub fn of(document: &serde_json::Value) -> Reference {
        Reference {
            description: document["info"]["description"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            sections: sections(document),
        }
    }
}

/// The sections of the reference, read once from the OpenAPI document.
fn sections(document: &serde_json::Value) -> Vec<Section> {
    let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_owned();
    let mut sections: Vec<Section> = document["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|tag| Section {
            name: text(&tag["name"]),
            description: text(&tag["description"]),
            operations: Vec::new(),
        })
        .collect();
    let paths = document["paths"].as_object().into_iter().flatten();
    for (path, item) in paths {
        let methods = item.as_object().into_iter().flatten();
        for (method, operation) in methods {
            let tag = operation["tags"][0].as_str().unwrap_or_default();
            let parameters = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| Parameter {
                    name: text(&p["name"]),
                    location: match p["in"].as_str() {
                        Some("path") => "パス",
                        Some("query") => "クエリ",
                        Some("header") => "ヘッダー",
                        _ => "その他",
                    },
                    required: p["required"].as_bool().unwrap_or(false),
                    description: text(&p["description"]),
                })
                .collect();
            let body = operation["requestBody"]["content"]["application/json"]["schema"]
                .get("$ref")
                .and_then(|r| r.as_str())
                .map(|r| r.rsplit('/').next().unwrap_or(r).to_owned());
            let responses = operation["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(code, response)| (code.clone(), text(&response["description"])))
                .collect();
            let schemes: Vec<&str> = operation["security"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|requirement| requirement.as_object())
                .flat_map(|requirement| requirement.keys().map(String::as_str))
                .collect();
            let public = operation["security"].as_array().is_none_or(|all| {
                all.iter()
                    .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
            });
            let auth = if schemes.contains(&"csrfToken") {
                "ログインしたセッションCookieと X-CSRF-Token ヘッダーが必要"
            } else if !public {
                "ログインしたセッションCookieが必要"
            } else {
                "ログイン不要（ログインしていれば、権限に応じた内容）"
            };
            let entry = Operation {
                auth,
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(&operation["summary"]),
                description: text(&operation["description"]),
                parameters,
                body,
                responses,
            };
            match sections.iter_mut().find(|s| s.name == tag) {
                Some(section) => section.operations.push(entry),
                None => sections.push(Section {
                    name: tag.to_owned(),
                    description: String::new(),
                    operations: vec![entry],
                }),
            }
        }
    }
    sections.retain(|s| !s.operations.is_empty());
    sections
}

/// The reference page, the same for everyone but for the header.
pub fn page(viewer: &Viewer, reference: &Arc<Reference>) -> ReferencePage {
    ReferencePage {
        layout: Layout::for_viewer("API リファレンス", viewer),
        reference: reference.clone(),
    }
}
