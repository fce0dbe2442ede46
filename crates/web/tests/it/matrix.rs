//! The authorisation matrix, generated from the router: every route that changes
//! something — the page routes of every `.route(…)` call in `crates/web/src`, and the
//! API operations of `/openapi.json` (which utoipa builds from the API's router) — is
//! listed in `routes.txt` with the exact answer an anonymous visitor gets. A route
//! that is not listed (or listed but gone) fails the test until someone decides who
//! may use it; then every listed route is sent as an anonymous visitor with a valid
//! CSRF token (refused: never a write), and every page route is sent by a signed-in
//! secretariat without the token (refused by the CSRF guard).

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};

use crate::harness::{TestApp, meta_csrf};

const LISTED: &str = include_str!("routes.txt");

/// `(METHOD, path)` of every mutating `.route(…)` call in the web crate's source.
fn page_routes() -> BTreeSet<(String, String)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut files = vec![std::path::PathBuf::from(root)];
    let mut routes = BTreeSet::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            // The call's text up to its closing parenthesis.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(rest.len(), |(i, _)| i);
            let call = &rest[..end];
            let Some(path) = call.split('"').nth(1) else {
                continue;
            };
            for method in ["post", "put", "delete", "patch"] {
                let called = call.match_indices(&format!("{method}(")).any(|(i, _)| {
                    call[..i]
                        .chars()
                        .last()
                        .is_none_or(|c| !c.is_alphanumeric() && c != '_')
                });
                if called {
                    routes.insert((method.to_uppercase(), path.to_owned()));
                }
            }
        }
    }
    routes
}

/// `(METHOD, path)` of every mutating operation of the OpenAPI document.
async fn api_routes(app: &TestApp) -> BTreeSet<(String, String)> {
    let doc: serde_json::Value = app
        .client()
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut routes = BTreeSet::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            if ["post", "put", "delete", "patch"].contains(&method.as_str()) {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

/// `routes.txt`: `METHOD path ANONYMOUS-STATUS` per line (`#` comments).
fn listed() -> Vec<(String, String, u16)> {
    LISTED
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let parts: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(parts.len(), 3, "routes.txt: «{line}»");
            (
                parts[0].to_owned(),
                parts[1].to_owned(),
                parts[2].parse().expect("a status code"),
            )
        })
        .collect()
}

/// A concrete address for a route: parameters filled with a record of the demo data
/// where one is needed to get past the lookup, else a placeholder.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{fy}" => "2016".to_owned(),
            "{id}" => "1".to_owned(),
            s if s.starts_with('{') => "nothing-here".to_owned(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Sends a route with the session's CSRF token and an empty body (JSON for the API, a
/// form for pages); returns the status and where a redirect leads.
async fn send(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    path: &str,
    token: &str,
) -> (StatusCode, String) {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let request = if path.starts_with("/api/") {
        client
            .request(method, url)
            .header("X-CSRF-Token", token)
            .json(&serde_json::json!({}))
    } else {
        client.request(method, url).form(&[("csrf_token", token)])
    };
    let response = request.send().await.unwrap();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (response.status(), location)
}

#[tokio::test]
async fn every_route_is_listed_with_what_an_anonymous_visitor_gets() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let mut found = page_routes();
    found.extend(api_routes(&app).await);
    let listed: BTreeSet<(String, String)> = listed().into_iter().map(|(m, p, _)| (m, p)).collect();
    let missing: Vec<String> = found
        .difference(&listed)
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    let gone: Vec<String> = listed
        .difference(&found)
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty() && gone.is_empty(),
        "crates/web/tests/it/routes.txt must list every route that changes something.\n\
         New routes (add them with the status an anonymous visitor must get):\n  {}\n\
         Listed but no longer in the router:\n  {}",
        missing.join("\n  "),
        gone.join("\n  ")
    );
}

#[tokio::test]
async fn anonymous_visitors_get_exactly_their_listed_answer_on_every_route() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let mut wrong = Vec::new();
    for (method, path, expected) in listed() {
        // A fresh visitor per route (a route such as /logout ends the session).
        let client = app.client();
        let token = meta_csrf(&app.text(&client, "/login").await);
        let (status, location) =
            send(&client, &method, &app.url(&concrete(&path)), &path, &token).await;
        // Signing in and out are the two routes whose redirect goes elsewhere.
        let to_login = location == "/login" || ["/login", "/logout"].contains(&path.as_str());
        if status.as_u16() != expected || (status == StatusCode::SEE_OTHER && !to_login) {
            wrong.push(format!(
                "{method} {path}: {status} {location} (listed {expected})"
            ));
        }
        assert!(
            !status.is_success() || path == "/login",
            "an anonymous {method} {path} succeeded"
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused_on_every_page_route() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let admin = app.admin().await;
    for (method, path) in page_routes() {
        let url = app.url(&concrete(&path));
        let response = admin
            .request(Method::from_bytes(method.as_bytes()).unwrap(), &url)
            .form(&[("title", "トークンなし")])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{method} {path} without its CSRF token"
        );
    }
}

/// A record of the demo data for each kind of path parameter, none of them 加賀市's.
fn others_record(path: &str, fair: &str) -> String {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let first = if first == "api" {
        path.split('/').nth(3).unwrap_or("")
    } else {
        first
    };
    path.split('/')
        .map(|segment| match (segment, first) {
            ("{fy}", _) => "2016".to_owned(),
            ("{id}", _) => "1".to_owned(),
            ("{key}", "initiatives") => "kawaguchi-cci-imono-iwaza-brand".to_owned(),
            ("{key}", "events") => "kawaguchi-2016-product-fair".to_owned(),
            ("{key}", "fairs") => fair.to_owned(),
            ("{key}", "forms") => "sumida-health-check-2016".to_owned(),
            ("{key}", "calls") => "kawaguchi-ginou-kentei-2017".to_owned(),
            ("{key}", "companies") => "kawaguchi-01".to_owned(),
            ("{key}", "needs") => "need-1".to_owned(),
            ("{key}", "negotiations") => "seed-001".to_owned(),
            (s, _) if s.starts_with('{') => "nothing-here".to_owned(),
            (s, _) => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn audit_total(app: &TestApp, admin: &reqwest::Client) -> u64 {
    let page = app.text(admin, "/admin/audit").await;
    crate::harness::between(&page, "<p class=\"toolbar\"><span>", "件</span>")
        .and_then(|n| n.parse().ok())
        .expect("the audit log's total")
}

/// Staff of 加賀市 send every route that names a record to records of other
/// organisations (川口・墨田 and the council's): nothing is written — the audit log,
/// where every write leaves an entry, does not grow — and nothing answers success.
#[tokio::test]
async fn staff_of_another_organisation_change_nothing_of_others_records() {
    crate::harness::on_each_backend(|app| async move {
        let admin = app.admin().await;
        let kaga = app
            .staff(&admin, "matrix@city.kaga.example.jp", "kaga")
            .await;
        let fairs: serde_json::Value = kaga
            .get(app.url("/api/v1/fairs"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let fair = fairs[0]["key"]
            .as_str()
            .unwrap_or("nothing-here")
            .to_owned();
        let before = audit_total(&app, &admin).await;
        let token = meta_csrf(&app.text(&kaga, "/forms").await);
        let mut sent = 0;
        for (method, path, _) in listed() {
            if !path.contains('{') || path.starts_with("/s/") || path.starts_with("/registrations/")
            {
                continue; // creating its own records, or an answer link / registration token
            }
            let url = app.url(&others_record(&path, &fair));
            let (status, location) = send(&kaga, &method, &url, &path, &token).await;
            assert!(
                !status.is_success() && !status.is_server_error(),
                "{method} {path} as 加賀市 staff on another's record: {status}"
            );
            assert!(
                status != StatusCode::SEE_OTHER || location.contains("/login"),
                "{method} {path} as 加賀市 staff redirected to {location}, as after a change"
            );
            sent += 1;
        }
        assert!(sent > 40, "{sent} routes tried");
        assert_eq!(
            audit_total(&app, &admin).await,
            before,
            "no write by another organisation's staff"
        );
    })
    .await;
}
