//! The authorisation matrix, generated from the router: every route — the page
//! routes of every `.route(…)` call in `crates/web/src`, and the operations of
//! `/openapi.json` (which utoipa builds from the API's router) — is listed in
//! `routes.txt` with the exact answer each role gets when it sends the route against
//! a real record of the demonstration data: an anonymous visitor, a member of the
//! company 川口-01, staff of the organisation that owns the record, staff of another
//! organisation (加賀市), the council's secretariat, and an individual who signed up
//! on their own (kept by 川口市). A route that is not listed
//! (or listed but gone) fails the test until someone decides who may use it.
//!
//! Changes are sent with a valid CSRF token and an empty body: a role the route
//! admits gets as far as checking the body (400/422) or does what needs no body; a
//! role it does not admit is refused before that (login, 401, 403, 404). Reads are
//! plain GETs. To re-record after a deliberate change, run the test with
//! `RENKEI_MATRIX_RECORD=1` and review the difference in `routes.txt`.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::{Client, Method, StatusCode};

use crate::harness::{TestApp, company_member, individual, meta_csrf};

const LISTED: &str = include_str!("routes.txt");

const MUTATING: [&str; 4] = ["post", "put", "delete", "patch"];

/// The roles of the matrix, in the order of `routes.txt`'s columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Anonymous,
    Member,
    Owner,
    Other,
    Secretariat,
    Individual,
}

const ROLES: [Role; 6] = [
    Role::Anonymous,
    Role::Member,
    Role::Owner,
    Role::Other,
    Role::Secretariat,
    Role::Individual,
];

/// `(METHOD, path)` of every `.route(…)` call in the web crate's source whose
/// handler answers one of `methods`.
fn page_routes(methods: &[&str]) -> BTreeSet<(String, String)> {
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
            for method in methods {
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

/// `(METHOD, path)` of every operation of the OpenAPI document.
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
            routes.insert((method.to_uppercase(), path.clone()));
        }
    }
    routes
}

/// Every route of the platform.
async fn all_routes(app: &TestApp) -> BTreeSet<(String, String)> {
    let mut methods = vec!["get"];
    methods.extend(MUTATING);
    let mut routes = page_routes(&methods);
    routes.extend(api_routes(app).await);
    routes
}

/// One line of `routes.txt`: the route and what each role gets.
struct Listed {
    method: String,
    path: String,
    expected: [String; 6],
}

/// `routes.txt`: `METHOD path ANONYMOUS MEMBER OWNER OTHER SECRETARIAT INDIVIDUAL` per line
/// (`#` comments); a cell is a status, `login` (sent to the login page) or `-`
/// (not sent: signing in and out as someone already signed in).
fn listed() -> Vec<Listed> {
    LISTED
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let parts: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(parts.len(), 8, "routes.txt: «{line}»");
            Listed {
                method: parts[0].to_owned(),
                path: parts[1].to_owned(),
                expected: std::array::from_fn(|i| parts[2 + i].to_owned()),
            }
        })
        .collect()
}

/// The collection a path is about (`/api/v1/fairs/…` and `/fairs/…` alike).
fn collection(path: &str) -> &str {
    let mut segments = path.trim_start_matches('/').split('/');
    let first = segments.next().unwrap_or("");
    if first == "api" {
        segments.nth(1).unwrap_or("")
    } else {
        first
    }
}

/// A record of the demonstration data for each kind of path parameter, none of
/// them 加賀市's; `fair` is the demonstration fair's key.
fn record(path: &str, fair: &str) -> String {
    let first = collection(path);
    // Results are recorded on a past event the other routes leave alone (the edit
    // route moves its event to 2030, where no results can be recorded yet).
    let event = if path.ends_with("/results") {
        "kawaguchi-2016-product-fair-job-fair"
    } else {
        "kawaguchi-2016-product-fair"
    };
    path.split('/')
        .map(|segment| match (segment, first) {
            ("{fy}", _) => "2016".to_owned(),
            ("{id}" | "{number}", _) => "1".to_owned(),
            ("{company}", _) => "kawaguchi-01".to_owned(),
            ("{key}", "initiatives") => "kawaguchi-cci-imono-iwaza-brand".to_owned(),
            ("{key}", "events") => event.to_owned(),
            ("{key}", "fairs") => fair.to_owned(),
            ("{key}", "forms") => "sumida-health-check-2016".to_owned(),
            ("{key}", "calls") => "kawaguchi-ginou-kentei-2017".to_owned(),
            ("{key}", "companies") => "kawaguchi-01".to_owned(),
            ("{key}", "cities") => "kawaguchi".to_owned(),
            ("{key}", "needs") => "need-1".to_owned(),
            ("{key}", "negotiations") => "seed-001".to_owned(),
            ("{key}", "people") => "student-1".to_owned(),
            ("{key}", "account") => "kawaguchi".to_owned(),
            ("{key}", "facilities") => "facility-4".to_owned(),
            ("{key}", "offices") => "amagasaki-abiz".to_owned(),
            ("{key}", "sites") => "higashiosaka-site-takaida".to_owned(),
            ("{key}", "districts") => "higashiosaka-industrial-special-use".to_owned(),
            ("{key}", "enquiries" | "site-enquiries") => "demo-enquiry-1".to_owned(),
            ("{key}", "documents") => "tokyo-cci-sumida-keihatsu-sasshi".to_owned(),
            ("{key}", "groups") => "higashiosaka-medical-study-group".to_owned(),
            (s, _) if s.starts_with('{') => "nothing-here".to_owned(),
            (s, _) => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The organisation that owns the record `record` names.
fn owner(path: &str) -> &'static str {
    match collection(path) {
        "initiatives" | "fairs" | "applications" => "kawaguchi-cci",
        "forms" => "tokyo-cci-sumida",
        "offices" => "amagasaki",
        "needs" | "sites" | "districts" | "enquiries" | "site-enquiries" => "higashiosaka",
        "documents" => "tokyo-cci-sumida",
        "network" => "ota",
        _ => "kawaguchi",
    }
}

/// A valid body for the routes that create or edit the main records, so that the
/// matrix shows who may make the change, not only who gets past the body's check.
/// Records are created for, or edited in, the owner's organisation of `owner`.
fn body(method: &str, path: &str) -> Option<serde_json::Value> {
    use serde_json::json;
    let event = json!({
        "organisation": "kawaguchi", "title": "権限確認セミナー", "event_type": "seminar",
        "city": "kawaguchi", "pillars": [2], "start_date": "2030-10-15", "start_time": "13:30",
        "end_time": "16:00", "venue": "川口市産業振興会館", "capacity": "40",
    });
    let fair = json!({
        "organisation": "kawaguchi-cci", "name": "権限確認商談会", "date": "2099-03-01",
        "start_time": "13:00", "slot_count": 20, "slot_minutes": 15, "table_count": 10,
        "request_deadline": "2099-02-20", "request_cap": 10, "event": "",
    });
    let initiative = json!({
        "organisation": "kawaguchi-cci", "title": "権限確認の施策",
        "description": "権限の確認に使う施策です。", "pillars": [2], "program_kind": "other",
    });
    let need = json!({
        "side": "need", "kind": "business", "title": "アルミ部品のアルマイト処理",
        "body": "月200個のアルミ部品にアルマイトをかけられる会社を探しています。",
        "poster_name": "川口市（権限確認）", "capabilities": ["cutting"],
        "prefer_other_cities": true, "public": true,
    });
    let company =
        json!({"name": "株式会社権限確認", "kana": "ケンゲンカクニン", "city": "kawaguchi"});
    let entry = json!({"fy": "2018", "status": "planned", "summary": "計画中", "kpi_label": "", "kpi_value": "", "kpi_unit": "", "kpi_note": ""});
    Some(match (method, path) {
        ("POST", "/api/v1/events" | "/events") | ("PUT", "/api/v1/events/{key}") => event,
        ("POST", "/events/{key}/edit") => event,
        ("POST", "/api/v1/fairs" | "/fairs" | "/fairs/{key}/edit") => fair,
        ("POST", "/api/v1/initiatives" | "/initiatives" | "/initiatives/{key}/edit")
        | ("PUT", "/api/v1/initiatives/{key}") => initiative,
        ("POST", "/api/v1/needs" | "/needs") => need,
        ("POST", "/api/v1/companies" | "/companies" | "/companies/{key}/edit")
        | ("PUT", "/api/v1/companies/{key}") => company,
        ("POST", "/initiatives/{key}/years/new") => entry,
        ("PUT", "/api/v1/initiatives/{key}/years/{fy}") => {
            json!({"status": "planned", "summary": "計画中", "kpis": []})
        }
        ("POST", "/forms/new") => json!({
            "organisation": "tokyo-cci-sumida", "title": "権限確認の調査", "key": "matrix-check",
            "purpose": "survey", "closes_on": "2099-03-31",
        }),
        ("POST", "/invitations") => json!({
            "email": "matrix-invitee@example.jp", "role": "company", "company": "kawaguchi-01",
        }),
        ("POST", "/api/v1/invitations") => json!({
            "email": "matrix-api-invitee@example.jp", "role": "company", "company": "kawaguchi-01",
        }),
        // Writing figures into KPIs: a year and an initiative of the owner, so that the
        // matrix shows who may (the owner's records are invented or none: 422).
        ("POST", "/forms/{key}/kpis" | "/api/v1/forms/{key}/kpis") => json!({
            "initiative": "tokyo-cci-sumida-ceo60-health-check", "fy": "2016",
        }),
        ("POST", "/negotiations/feed" | "/api/v1/negotiations/kpis") => json!({
            "initiative": "kawaguchi-succession-survey-1000", "fy": "2016",
        }),
        // Results of the owner's past event (実績), and the details of the owner's
        // facility and office; a member that is no company of the directory.
        ("POST", "/events/{key}/results") | ("PUT", "/api/v1/events/{key}/results") => {
            json!({"participants": 10, "companies": 2, "note": "権限確認"})
        }
        ("POST", "/facilities/{key}/edit") | ("PUT", "/api/v1/facilities/{key}") => {
            json!({"name": "川口シェアオフィス", "kind": "share_office", "public": true})
        }
        ("POST", "/offices/{key}/edit") | ("PUT", "/api/v1/offices/{key}") => {
            json!({"name": "尼崎創業支援オフィスアビーズ", "address": "兵庫県尼崎市"})
        }
        ("POST", "/offices/{key}/members" | "/api/v1/offices/{key}/members") => {
            json!({"company": "nothing-here"})
        }
        ("POST", "/people" | "/api/v1/people") => json!({
            "kind": "successor", "name": "後継者候補（権限確認）", "kana": "こうけいしゃこうほ",
            "city": "kawaguchi", "capabilities": ["woodwork"], "email": "matrix@example.jp",
        }),
        _ => return None,
    })
}

/// A JSON body as the fields of an HTML form (arrays as repeated fields).
fn form_fields(body: &serde_json::Value) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for (name, value) in body.as_object().into_iter().flatten() {
        let values = match value {
            serde_json::Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        for value in values {
            let text = match value {
                serde_json::Value::String(text) => text,
                serde_json::Value::Bool(true) => "1".to_owned(),
                serde_json::Value::Bool(false) => continue,
                other => other.to_string(),
            };
            fields.push((name.clone(), text));
        }
    }
    fields
}

/// Sends a route with the session's CSRF token (changes with an empty body: JSON
/// for the API, a form for pages); returns the cell `routes.txt` holds for it.
async fn send(client: &Client, method: &str, url: &str, path: &str, token: &str) -> String {
    let verb = Method::from_bytes(method.as_bytes()).unwrap();
    let request = client.request(verb, url);
    let body = body(method, path).unwrap_or_else(|| serde_json::json!({}));
    let request = if method == "GET" {
        request
    } else if path.starts_with("/api/") {
        request.header("X-CSRF-Token", token).json(&body)
    } else {
        let mut fields = vec![("csrf_token".to_owned(), token.to_owned())];
        fields.extend(form_fields(&body));
        request.form(&fields)
    };
    let response = request.send().await.unwrap();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if response.status() == StatusCode::SEE_OTHER && location.starts_with("/login") {
        "login".to_owned()
    } else {
        response.status().as_u16().to_string()
    }
}

/// Signed-in clients of one role (one per owning organisation for `Owner`).
struct Clients {
    role: Role,
    by_owner: BTreeMap<&'static str, (Client, String)>,
    one: Option<(Client, String)>,
}

impl Clients {
    async fn new(app: &TestApp, role: Role, admin: &Client) -> Clients {
        let one = match role {
            Role::Anonymous | Role::Owner => None,
            Role::Member => Some(
                company_member(app, admin, "matrix@kawaguchi-01.example.jp", "kawaguchi-01").await,
            ),
            Role::Other => Some(
                app.staff(admin, "matrix@city.kaga.example.jp", "kaga")
                    .await,
            ),
            Role::Secretariat => Some(admin.clone()),
            Role::Individual => {
                Some(individual(app, "matrix@individual.example.jp", "kawaguchi").await)
            }
        };
        let one = match one {
            Some(client) => {
                let token = meta_csrf(&app.text(&client, "/").await);
                Some((client, token))
            }
            None => None,
        };
        Clients {
            role,
            by_owner: BTreeMap::new(),
            one,
        }
    }

    /// The client that sends `path` (a fresh anonymous visitor every time: a route
    /// such as /logout ends the session).
    async fn for_path(&mut self, app: &TestApp, admin: &Client, path: &str) -> (Client, String) {
        match self.role {
            Role::Anonymous => {
                let client = app.client();
                let token = meta_csrf(&app.text(&client, "/login").await);
                (client, token)
            }
            Role::Owner => {
                let organisation = owner(path);
                if !self.by_owner.contains_key(organisation) {
                    let email = format!("matrix@{organisation}.example.jp");
                    let client = app.staff(admin, &email, organisation).await;
                    let token = meta_csrf(&app.text(&client, "/").await);
                    self.by_owner.insert(organisation, (client, token));
                }
                self.by_owner[organisation].clone()
            }
            _ => self.one.clone().expect("a signed-in client"),
        }
    }
}

/// What every role gets on every listed route, on a fresh platform per role.
async fn observe(backend: store::Backend, routes: &[(String, String)]) -> Vec<[String; 6]> {
    let mut observed: Vec<[String; 6]> =
        vec![std::array::from_fn(|_| "-".to_owned()); routes.len()];
    for (column, role) in ROLES.into_iter().enumerate() {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let fair = demo_fair(&app, &admin).await;
        let mut clients = Clients::new(&app, role, &admin).await;
        // Routes that remove or end their record go last, so that the others find
        // the record still there.
        let mut order: Vec<usize> = (0..routes.len()).collect();
        order.sort_by_key(|&i| {
            let (method, path) = &routes[i];
            method == "DELETE" || path.ends_with("/delete") || path.ends_with("/cancel")
        });
        for row in order {
            let (method, path) = &routes[row];
            let signing = ["/login", "/logout"].contains(&path.as_str()) && method != "GET";
            if signing && role != Role::Anonymous {
                continue;
            }
            let (client, token) = clients.for_path(&app, &admin, path).await;
            let url = app.url(&record(path, &fair));
            observed[row][column] = send(&client, method, &url, path, &token).await;
        }
    }
    observed
}

async fn demo_fair(app: &TestApp, client: &Client) -> String {
    let (_, fairs) = crate::directory_api::get_json(app, client, "/api/v1/fairs").await;
    fairs[0]["key"]
        .as_str()
        .unwrap_or("nothing-here")
        .to_owned()
}

/// `routes.txt` written from what was observed (`RENKEI_MATRIX_RECORD=1`).
fn record_table(routes: &[(String, String)], observed: &[[String; 6]]) {
    let header: String = LISTED
        .lines()
        .take_while(|l| l.starts_with('#') || l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    let mut text = header;
    for ((method, path), cells) in routes.iter().zip(observed) {
        text.push_str(&format!("{method} {path} {}\n", cells.join(" ")));
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/routes.txt");
    std::fs::write(path, text).unwrap();
}

#[tokio::test]
async fn every_route_is_listed_with_what_each_role_gets() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let found = all_routes(&app).await;
    let listed: BTreeSet<(String, String)> =
        listed().into_iter().map(|l| (l.method, l.path)).collect();
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
        "crates/web/tests/it/routes.txt must list every route.\n\
         New routes (add them with what each role must get):\n  {}\n\
         Listed but no longer in the router:\n  {}",
        missing.join("\n  "),
        gone.join("\n  ")
    );
}

/// The cells of a route no role but its owner, the secretariat and (for its own
/// company) a member may succeed on.
fn succeeded(cell: &str) -> bool {
    cell.starts_with('2') || cell == "303"
}

/// The CSRF guard lets a method the API does not declare through to the router's
/// 405; so every API route must be an operation of `/openapi.json`, or a change
/// could slip past the guard.
#[tokio::test]
async fn every_api_route_is_declared_and_an_undeclared_method_gets_405_not_a_token_refusal() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let declared = api_routes(&app).await;
    let mut methods = vec!["get"];
    methods.extend(MUTATING);
    let undeclared: Vec<(String, String)> = page_routes(&methods)
        .into_iter()
        .filter(|(_, path)| path.starts_with("/api/") && path != "/api/docs")
        .filter(|route| !declared.contains(route))
        .collect();
    assert!(
        undeclared.is_empty(),
        "API routes missing from /openapi.json: {undeclared:?}"
    );

    let anonymous = app.client();
    for (method, path) in [
        ("PATCH", "/api/v1/cities"),
        ("DELETE", "/api/v1/registry"),
        ("TRACE", "/api/v1/initiatives"),
    ] {
        let response = anonymous
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                app.url(path),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert!(response.headers().contains_key("allow"), "{method} {path}");
    }
    // A declared change without its token is still refused.
    let refused = anonymous
        .post(app.url("/api/v1/initiatives"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_role_gets_exactly_its_listed_answer_on_every_route() {
    let record_mode = std::env::var_os("RENKEI_MATRIX_RECORD").is_some();
    for backend in store::testing::backends() {
        if record_mode {
            let app = TestApp::spawn(backend).await;
            let routes: Vec<(String, String)> = all_routes(&app).await.into_iter().collect();
            record_table(&routes, &observe(backend, &routes).await);
            return;
        }
        let routes: Vec<(String, String)> =
            listed().into_iter().map(|l| (l.method, l.path)).collect();
        let observed = observe(backend, &routes).await;
        let mut wrong = Vec::new();
        for (route, cells) in listed().iter().zip(&observed) {
            for (column, role) in ROLES.into_iter().enumerate() {
                if cells[column] != route.expected[column] {
                    wrong.push(format!(
                        "{} {} as {role:?}: {} (listed {})",
                        route.method, route.path, cells[column], route.expected[column]
                    ));
                }
            }
            // Whatever the table says, an anonymous visitor changes nothing and
            // another organisation's staff change nothing of others' records.
            let change = route.method != "GET";
            let anonymous_ok = route.path == "/login" || route.path.starts_with("/s/");
            assert!(
                !(change && succeeded(&cells[0]) && !anonymous_ok && route.path.contains('{')),
                "{backend:?}: an anonymous {} {} succeeded",
                route.method,
                route.path
            );
            assert!(
                !(change && route.path.contains('{') && succeeded(&cells[3])),
                "{backend:?}: 加賀市 staff {} {} on another's record succeeded",
                route.method,
                route.path
            );
            // An individual changes no organisation's record either.
            assert!(
                !(change
                    && route.path.contains('{')
                    && succeeded(&cells[5])
                    && !route.path.starts_with("/registrations/")),
                "{backend:?}: an individual {} {} on a record succeeded",
                route.method,
                route.path
            );
        }
        assert!(
            wrong.is_empty(),
            "{backend:?}: {} answers differ from routes.txt:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused_on_every_page_route() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let admin = app.admin().await;
    for (method, path) in page_routes(&MUTATING) {
        let url = app.url(&record(&path, "nothing-here"));
        let response = admin
            .request(Method::from_bytes(method.as_bytes()).unwrap(), &url)
            .form(&[("title", "トークンなし")])
            .send()
            .await
            .unwrap();
        // The one exception: RFC 8058's one-click unsubscribe, which mail providers
        // POST without a session; its unguessable token is the authority (an
        // unknown one is not found).
        let expected = if path == web::auth::ONE_CLICK_UNSUBSCRIBE {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(
            response.status(),
            expected,
            "{method} {path} without its CSRF token"
        );
    }
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
        let fair = demo_fair(&app, &kaga).await;
        let before = audit_total(&app, &admin).await;
        let token = meta_csrf(&app.text(&kaga, "/forms").await);
        let mut sent = 0;
        for Listed { method, path, .. } in listed() {
            if method == "GET"
                || !path.contains('{')
                || path.starts_with("/s/")
                || path.starts_with("/registrations/")
            {
                continue; // reads, creating its own records, an answer link or registration token
            }
            let url = app.url(&record(&path, &fair));
            let cell = send(&kaga, &method, &url, &path, &token).await;
            assert!(
                !succeeded(&cell) && !cell.starts_with('5'),
                "{method} {path} as 加賀市 staff on another's record: {cell}"
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

/// Reads of private data per role: a company's private fields (contact, staff
/// note, size) reach its own members, the staff of its city and the secretariat —
/// never an anonymous visitor or another organisation's staff, in the API or on
/// the page; a form's individual answers likewise reach only the owner's staff.
#[tokio::test]
async fn private_data_reaches_only_the_roles_that_may_read_it() {
    crate::harness::on_each_backend(|app| async move {
        let admin = app.admin().await;
        let member = company_member(
            &app,
            &admin,
            "private@kawaguchi-01.example.jp",
            "kawaguchi-01",
        )
        .await;
        let owner = app
            .staff(&admin, "private@city.kawaguchi.example.jp", "kawaguchi")
            .await;
        let other = app
            .staff(&admin, "private@city.kaga.example.jp", "kaga")
            .await;
        let roles = [
            ("anonymous", app.client(), false),
            ("member of 川口-01", member, true),
            ("川口市 staff", owner, true),
            ("加賀市 staff", other, false),
            ("secretariat", admin, true),
        ];
        for (role, client, may) in &roles {
            let (_, api) =
                crate::directory_api::get_json(&app, client, "/api/v1/companies/kawaguchi-01")
                    .await;
            assert_eq!(
                api.get("private").is_some_and(|p| !p.is_null()),
                *may,
                "{role}: the API's private fields"
            );
            let page = app.text(client, "/companies/kawaguchi-01").await;
            assert_eq!(
                page.contains("非公開情報（自社・担当団体の職員・事務局のみ表示）"),
                *may,
                "{role}: the private section of the company page"
            );
            let answers = client
                .get(app.url("/forms/kawaguchi-succession-hiring-2016/responses.csv"))
                .send()
                .await
                .unwrap()
                .status();
            let staff_of_owner = *role == "川口市 staff";
            assert_eq!(
                answers.is_success(),
                staff_of_owner,
                "{role}: the survey's individual answers ({answers})"
            );
        }
    })
    .await;
}

/// `token_routes.txt`: what the two kinds of API token get on every operation of
/// `/openapi.json`, sent with `Authorization: Bearer` and no cookie (so no CSRF
/// token): a machine token of machine 1 (issued by its organisation's staff) and an
/// organisation token of the organisation that owns the record the path names
/// (`owner`). Same bodies and records as `routes.txt`.
const TOKEN_LISTED: &str = include_str!("token_routes.txt");

fn token_listed() -> Vec<(String, String, [String; 2])> {
    TOKEN_LISTED
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let parts: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(parts.len(), 4, "token_routes.txt: «{line}»");
            (
                parts[0].to_owned(),
                parts[1].to_owned(),
                [parts[2].to_owned(), parts[3].to_owned()],
            )
        })
        .collect()
}

async fn send_with_token(method: &str, url: &str, path: &str, token: &str) -> String {
    let body = body(method, path).unwrap_or_else(|| serde_json::json!({}));
    let request = reqwest::Client::new()
        .request(Method::from_bytes(method.as_bytes()).unwrap(), url)
        .bearer_auth(token);
    let request = if method == "GET" {
        request
    } else {
        request.json(&body)
    };
    request.send().await.unwrap().status().as_u16().to_string()
}

/// What each token gets on every route, on one fresh platform.
async fn observe_tokens(backend: store::Backend, routes: &[(String, String)]) -> Vec<[String; 2]> {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let fair = demo_fair(&app, &admin).await;
    let network_owner = owner("/network");
    let staff = app
        .staff(
            &admin,
            &format!("matrix@{network_owner}.example.jp"),
            network_owner,
        )
        .await;
    let machine = crate::api_tokens::issue(&app, &staff, "matrix machine 1", "1").await;
    let mut organisation_tokens: BTreeMap<&'static str, String> = BTreeMap::new();
    organisation_tokens.insert(
        network_owner,
        crate::api_tokens::issue(&app, &staff, "matrix organisation", "organisation").await,
    );
    let mut observed = vec![std::array::from_fn(|_| "-".to_owned()); routes.len()];
    let mut order: Vec<usize> = (0..routes.len()).collect();
    order.sort_by_key(|&i| {
        let (method, path) = &routes[i];
        method == "DELETE" || path.ends_with("/delete") || path.ends_with("/cancel")
    });
    for row in order {
        let (method, path) = &routes[row];
        let url = app.url(&record(path, &fair));
        let organisation = owner(path);
        if !organisation_tokens.contains_key(organisation) {
            let staff = app
                .staff(
                    &admin,
                    &format!("matrix@{organisation}.example.jp"),
                    organisation,
                )
                .await;
            let token =
                crate::api_tokens::issue(&app, &staff, "matrix organisation", "organisation").await;
            organisation_tokens.insert(organisation, token);
        }
        observed[row][0] = send_with_token(method, &url, path, &machine).await;
        observed[row][1] =
            send_with_token(method, &url, path, &organisation_tokens[organisation]).await;
    }
    observed
}

#[tokio::test]
async fn every_token_caller_gets_exactly_its_listed_answer_on_every_api_route() {
    let record_mode = std::env::var_os("RENKEI_MATRIX_RECORD").is_some();
    for backend in store::testing::backends() {
        let app = TestApp::spawn(backend).await;
        let found: Vec<(String, String)> = api_routes(&app).await.into_iter().collect();
        if record_mode {
            let observed = observe_tokens(backend, &found).await;
            let header: String = TOKEN_LISTED
                .lines()
                .take_while(|l| l.starts_with('#') || l.trim().is_empty())
                .map(|l| format!("{l}\n"))
                .collect();
            let mut text = header;
            for ((method, path), cells) in found.iter().zip(&observed) {
                text.push_str(&format!("{method} {path} {}\n", cells.join(" ")));
            }
            let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/token_routes.txt");
            std::fs::write(file, text).unwrap();
            return;
        }
        let tokens = token_listed();
        let routes: Vec<(String, String)> = tokens
            .iter()
            .map(|(m, p, _)| (m.clone(), p.clone()))
            .collect();
        assert_eq!(
            routes.iter().cloned().collect::<BTreeSet<_>>(),
            found.iter().cloned().collect::<BTreeSet<_>>(),
            "token_routes.txt must list every operation of /openapi.json"
        );
        let observed = observe_tokens(backend, &routes).await;
        let mut wrong = Vec::new();
        for ((method, path, expected), cells) in tokens.iter().zip(&observed) {
            for (column, caller) in ["machine token", "organisation token"].iter().enumerate() {
                if cells[column] != expected[column] {
                    wrong.push(format!(
                        "{method} {path} with a {caller}: {} (listed {})",
                        cells[column], expected[column]
                    ));
                }
            }
            // Whatever the table says: a machine token gets past the scope check
            // only on its machine's two reports.
            let machine_route = method == "POST"
                && (path == "/api/v1/network/machines/{id}/outages"
                    || path == "/api/v1/network/operations/{id}/events");
            assert!(
                machine_route || cells[0] == "403",
                "{backend:?}: a machine token got {} on {method} {path}",
                cells[0]
            );
        }
        // An organisation token is its organisation's staff: the table's column is
        // routes.txt's OWNER column, line for line.
        let staff: BTreeMap<(String, String), String> = listed()
            .into_iter()
            .map(|l| ((l.method, l.path), l.expected[2].clone()))
            .collect();
        for (method, path, expected) in &tokens {
            assert_eq!(
                staff.get(&(method.clone(), path.clone())),
                Some(&expected[1]),
                "{method} {path}: an organisation token answers as its staff's session"
            );
        }
        assert!(
            wrong.is_empty(),
            "{backend:?}: {} answers differ from token_routes.txt:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }
}
