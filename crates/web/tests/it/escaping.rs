//! Output escaping, proven on the whole site: before the platform starts, markup —
//! `<script>` and an attribute break-out `"><img onerror>` — is appended to every
//! text column that people fill in (names, titles, descriptions, notes, comments,
//! addresses, file names, form questions and written answers), each with its own
//! marker. Then the site is crawled, link by link, as an anonymous visitor, the
//! council's secretariat, staff of three organisations and a company member. No
//! page may carry the markup as markup, no page may fail, and every column's marker
//! must show up (escaped) somewhere, so that the test cannot pass by showing nothing.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use reqwest::{Client, StatusCode};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::harness::{TestApp, company_member};

/// Every free-text column, by table. Keys, codes, statuses, dates, e-mail
/// addresses, hashes and tokens are left alone: the platform looks records up by
/// them, and none is free text.
const TEXT_COLUMNS: &[(&str, &[&str])] = &[
    ("cities", &["name"]),
    ("organisations", &["name"]),
    ("partners", &["name", "note"]),
    ("initiatives", &["title", "description"]),
    ("fiscal_entries", &["summary"]),
    ("kpis", &["label", "unit", "note"]),
    ("users", &["display_name"]),
    ("audit_log", &["summary"]),
    (
        "events",
        &["title", "venue", "address", "description", "note"],
    ),
    ("event_registrations", &["name", "organisation_name"]),
    ("event_results", &["note"]),
    ("event_sites", &["programme", "description", "address"]),
    (
        "companies",
        &[
            "name",
            "kana",
            "address",
            "url",
            "description",
            "products",
            "contact_name",
            "contact_phone",
            "staff_note",
        ],
    ),
    (
        "people",
        &["name", "kana", "affiliation", "profile", "phone"],
    ),
    ("facilities", &["name", "address", "description"]),
    ("postings", &["title", "body", "poster_name"]),
    ("company_groups", &["name", "description"]),
    ("negotiations", &["buyer_name", "supplier_name", "title"]),
    ("negotiation_steps", &["note"]),
    ("fairs", &["name"]),
    ("fair_requests", &["unplaced_reason"]),
    ("network_machines", &["name"]),
    ("network_jobs", &["name"]),
    ("network_outages", &["note"]),
    ("network_events", &["detail"]),
    ("forms", &["title", "description"]),
    ("form_files", &["name"]),
    ("application_transitions", &["comment"]),
    ("application_reviews", &["comment"]),
    ("notices", &["title", "body"]),
    ("registry_entries", &["category", "title", "summary"]),
    ("diagnosis_followups", &["partner", "note", "next_action"]),
    ("share_offices", &["name", "address", "description"]),
    ("share_office_visits", &["purpose", "decision_note"]),
    ("districts", &["name", "rules"]),
    (
        "industrial_sites",
        &["name", "address", "zoning", "price_note", "incentives"],
    ),
    ("site_enquiries", &["message"]),
    ("site_enquiry_steps", &["note"]),
    ("documents", &["title", "description"]),
    ("document_versions", &["file_name", "note"]),
    (
        "mail_messages",
        &["sender_name", "recipient_name", "subject", "last_error"],
    ),
    ("api_tokens", &["name"]),
];

/// Columns whose marker no crawled page shows, and why that is right.
const NOT_ON_ANY_PAGE: &[(&str, &str)] = &[
    (
        "partners.note",
        "the council's own notes on partners; no page shows them",
    ),
    (
        "share_offices.address",
        "the office pages show the city, not the street",
    ),
    (
        "fair_requests.unplaced_reason",
        "every request of the demonstration fair is placed (the column is empty)",
    ),
    (
        "form_files.name",
        "only in the download's Content-Disposition (percent-encoded, checked below); pages show the name kept in form_responses.raw",
    ),
    (
        "form_responses.answers",
        "the accepted answers feed the results' figures and the exports; pages read back form_responses.raw",
    ),
];

/// Keys of a form definition whose strings people read (section titles, questions,
/// their help, choice labels, the diagnosis' areas and advice).
const DEFINITION_TEXT: &[&str] = &["title", "help", "label", "advice", "description"];

/// What the markup looks like when it is *not* escaped.
const UNESCAPED: &[&str] = &["<script>alert", "<img src=x"];

fn hostile(marker: &str) -> String {
    format!("<script>alert('{marker}')</script>\"><img src=x onerror=alert('{marker}')>")
}

/// Appends the markup to every string under one of `keys` (any depth); with no
/// keys, to every string.
fn poison_json(value: &mut serde_json::Value, keys: &[&str], marker: &str, under: Option<&str>) {
    match value {
        serde_json::Value::String(text) if under.is_some_and(|k| keys.contains(&k)) => {
            text.push_str(&hostile(marker));
        }
        serde_json::Value::Array(items) => {
            for item in items {
                poison_json(item, keys, marker, under);
            }
        }
        serde_json::Value::Object(fields) => {
            for (key, item) in fields.iter_mut() {
                poison_json(item, keys, marker, Some(key));
            }
        }
        _ => {}
    }
}

/// Rewrites one JSON column of every row of a table.
async fn poison_json_column(
    store: &store::Store,
    table: &str,
    column: &str,
    keys: &[&str],
    marker: &str,
) {
    let db = store.connection();
    let backend = db.get_database_backend();
    let select = format!("SELECT id, {column} FROM {table}");
    let rows = db
        .query_all(Statement::from_string(backend, select))
        .await
        .unwrap();
    let update = match backend {
        DatabaseBackend::Postgres => format!("UPDATE {table} SET {column} = $1 WHERE id = $2"),
        _ => format!("UPDATE {table} SET {column} = ? WHERE id = ?"),
    };
    for row in rows {
        let id: i64 = row.try_get("", "id").unwrap();
        let Some(text) = row.try_get::<Option<String>>("", column).unwrap() else {
            continue; // a draft has no accepted answers yet
        };
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        poison_json(&mut value, keys, marker, None);
        db.execute(Statement::from_sql_and_values(
            backend,
            update.clone(),
            [value.to_string().into(), id.into()],
        ))
        .await
        .unwrap();
    }
}

/// Appends each column's markup (but not to the tables of `later`); returns every
/// marker.
async fn poison(store: store::Store, later: &[&str]) -> Vec<String> {
    let db = store.connection();
    let backend = db.get_database_backend();
    let mut markers = Vec::new();
    for (table, columns) in TEXT_COLUMNS {
        for column in *columns {
            let marker = format!("{table}.{column}");
            markers.push(marker.clone());
            if later.contains(table) {
                continue;
            }
            let placeholder = match backend {
                DatabaseBackend::Postgres => "$1",
                _ => "?",
            };
            let sql = format!("UPDATE {table} SET {column} = {column} || {placeholder}");
            db.execute(Statement::from_sql_and_values(
                backend,
                sql,
                [hostile(&marker).into()],
            ))
            .await
            .unwrap_or_else(|e| panic!("{marker}: {e}"));
        }
    }
    poison_json_column(
        &store,
        "form_versions",
        "definition",
        DEFINITION_TEXT,
        "form_versions.definition",
    )
    .await;
    markers.push("form_versions.definition".into());
    // Written answers ({"text": …}) and the cells of table answers.
    poison_json_column(
        &store,
        "form_responses",
        "answers",
        &["text", "table"],
        "form_responses.answers",
    )
    .await;
    markers.push("form_responses.answers".into());
    // What was typed, which the pages read back (radio buttons and numbers are text
    // here too: a page must show even a value that no longer matches a choice).
    poison_json_column(
        &store,
        "form_responses",
        "raw",
        &["text", "table", "name"],
        "form_responses.raw",
    )
    .await;
    markers.push("form_responses.raw".into());
    markers
}

/// The address's shape, to visit only a few records of each kind of page: segments
/// naming a record (with a digit, a hyphen or non-ASCII) and query values dropped.
fn shape(path: &str) -> String {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let segments: Vec<&str> = path
        .split('/')
        .map(|s| {
            if s.chars()
                .any(|c| c.is_ascii_digit() || c == '-' || c == '%' || !c.is_ascii())
            {
                "*"
            } else {
                s
            }
        })
        .collect();
    let mut keys: Vec<&str> = query
        .split('&')
        .filter_map(|kv| kv.split('=').next())
        .filter(|k| !k.is_empty())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    format!("{}?{}", segments.join("/"), keys.join("&"))
}

/// Links of a page that stay on the site and show a page (not a download, not the
/// API, not signing out).
fn links(page: &str) -> Vec<String> {
    let mut found = Vec::new();
    for piece in page.split("href=\"").skip(1) {
        let Some(raw) = piece.split('"').next() else {
            continue;
        };
        let link = raw.replace("&#38;", "&").replace("&amp;", "&");
        let link = link.split('#').next().unwrap_or("").to_owned();
        let download = [".csv", ".xlsx", ".ics", ".pdf", ".fjs", ".json"]
            .iter()
            .any(|ext| link.split('?').next().unwrap_or("").ends_with(ext))
            || link.contains("format=");
        if link.starts_with('/')
            && !link.starts_with("//")
            && !link.starts_with("/static/")
            && !link.starts_with("/api/")
            && !link.starts_with("/logout")
            && !link.contains("/download")
            && !download
        {
            found.push(link);
        }
    }
    found
}

#[derive(Default)]
struct Findings {
    pages: usize,
    shown: BTreeSet<String>,
    unescaped: Vec<String>,
    failed: Vec<String>,
}

/// Visits every page reachable from `start` by links (a few of each shape).
async fn crawl(
    app: &TestApp,
    client: &Client,
    role: &str,
    start: &[&str],
    markers: &[String],
    findings: &mut Findings,
) {
    const PER_SHAPE: usize = 4;
    const MAX_PAGES: usize = 1_500;
    let mut queue: VecDeque<String> = start.iter().map(|s| (*s).to_owned()).collect();
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    let mut shapes: BTreeMap<String, usize> = BTreeMap::new();
    let mut visited = 0;
    while let Some(path) = queue.pop_front() {
        let count = shapes.entry(shape(&path)).or_default();
        if *count >= PER_SHAPE || visited >= MAX_PAGES {
            continue;
        }
        *count += 1;
        visited += 1;
        let response = client.get(app.url(&path)).send().await.unwrap();
        let status = response.status();
        if status.is_server_error() {
            findings.failed.push(format!("{role} GET {path}: {status}"));
            continue;
        }
        if status.is_redirection() {
            if let Some(next) = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .filter(|l| l.starts_with('/'))
                && seen.insert(next.to_owned())
            {
                queue.push_back(next.to_owned());
            }
            continue;
        }
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if !(content_type.starts_with("text/html") || content_type.contains("xml")) {
            continue;
        }
        let body = response.text().await.unwrap();
        if status == StatusCode::OK {
            findings.pages += 1;
        }
        for markup in UNESCAPED {
            if body.contains(markup) {
                findings
                    .unescaped
                    .push(format!("{role} GET {path}: «{markup}» unescaped"));
            }
        }
        for marker in markers {
            if !findings.shown.contains(marker) && body.contains(marker.as_str()) {
                findings.shown.insert(marker.clone());
            }
        }
        for link in links(&body) {
            if seen.insert(link.clone()) {
                queue.push_back(link);
            }
        }
    }
}

/// An event registration (a visitor's name and company), a 仲間まわし job with a
/// machine breakdown and its history, a review and a return with its reason (and the
/// applicant's notification), and a health check's follow-up.
/// Returns the reviewed application's page and the applicant's member.
async fn add_records_the_demo_lacks(app: &TestApp, admin: &Client) -> (String, Client) {
    let staff = app
        .staff(
            admin,
            "escape-events@city.kawaguchi.example.jp",
            "kawaguchi",
        )
        .await;
    let created = app
        .post_form(
            &staff,
            "/events",
            &[
                ("organisation", "kawaguchi"),
                ("title", "エスケープ確認セミナー"),
                ("event_type", "seminar"),
                ("city", "kawaguchi"),
                ("pillars", "2"),
                ("start_date", "2030-10-15"),
                ("start_time", "13:30"),
                ("end_time", "16:00"),
                ("venue", "川口市産業振興会館"),
                ("capacity", "40"),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    // An API token of 川口市 named with the markup itself (the poisoning adds its
    // marked coat later); its list is crawled as 川口市's staff.
    let issued = app
        .post_form(
            &staff,
            "/account/tokens",
            &[("name", &hostile("api-token-name")), ("machine", "")],
        )
        .await;
    assert_eq!(issued.status(), StatusCode::OK, "token issued");
    let issued = issued.text().await.unwrap();
    for markup in UNESCAPED {
        assert!(
            !issued.contains(markup),
            "the issued token's page: {issued}"
        );
    }
    let location = created.headers()["location"].to_str().unwrap();
    let path = location.split('?').next().unwrap().to_owned();
    let visitor = app.client();
    let token = crate::harness::meta_csrf(&app.text(&visitor, &format!("{path}/register")).await);
    let registered = visitor
        .post(app.url(&format!("{path}/register")))
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "川口 太郎"),
            ("organisation", "株式会社川口精工"),
            ("email", "taro@kawaguchi-seiko.example.jp"),
            ("attendees", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert!(registered.status().is_redirection() || registered.status().is_success());

    // 川口市 records what its product fair of 平成28年度 achieved (実績).
    let recorded = app
        .post_form(
            &staff,
            "/events/kawaguchi-2016-product-fair/results",
            &[
                ("participants", "120"),
                ("companies", "35"),
                ("note", "会場内で就職面接会も実施"),
            ],
        )
        .await;
    assert_eq!(recorded.status(), StatusCode::SEE_OTHER, "results recorded");

    let hub = company_member(app, admin, "escape@ota-05.example.jp", "ota-05").await;
    crate::network::enter_job(app, &hub).await;
    let cutter = company_member(app, admin, "escape@ota-01.example.jp", "ota-01").await;
    let lathe = crate::network::machine_id(app, "ota-01", "NC旋盤 1号機").await;
    let outage = crate::network::post_json(
        app,
        &cutter,
        &format!("/api/v1/network/machines/{lathe}/outages"),
        serde_json::json!({"from": "2026-11-24 10:00", "until": "2026-11-24 12:00", "note": "主軸の異音"}),
    )
    .await;
    assert_eq!(outage.status(), StatusCode::CREATED);

    // 川口市 reviews an application in review and returns it to the applicant with a
    // reason, which notifies the applicant's member.
    let applicant =
        company_member(app, admin, "escape@kawaguchi-07.example.jp", "kawaguchi-07").await;
    let queue = app
        .text(&staff, "/calls/kawaguchi-ginou-kentei-2017/applications")
        .await;
    let mut reviewed = None;
    for piece in queue.split("href=\"/applications/").skip(1) {
        let id: String = piece.chars().take_while(char::is_ascii_digit).collect();
        let path = format!("/applications/{id}");
        let review = app
            .post_form(
                &staff,
                &format!("{path}/review"),
                &[("score", "70"), ("comment", "実績の記載が具体的")],
            )
            .await;
        if review.status() != StatusCode::SEE_OTHER {
            continue;
        }
        let returned = app
            .post_form(
                &staff,
                &format!("{path}/step"),
                &[
                    ("action", "return"),
                    ("step_comment", "受検者名簿を添付してください"),
                    ("amount", ""),
                ],
            )
            .await;
        assert_eq!(returned.status(), StatusCode::SEE_OTHER, "{path} returned");
        reviewed = Some(path);
        break;
    }
    let reviewed = reviewed.expect("an application of 川口市 in review");

    // 東商墨田 records a follow-up of a health check.
    let sumida = app
        .staff(
            admin,
            "escape-followup@sumida.tokyo-cci.example.jp",
            "tokyo-cci-sumida",
        )
        .await;
    let path = "/forms/sumida-health-check-2016/followups?company=sumida-01";
    let followed = app
        .post_form(
            &sumida,
            path,
            &[
                ("happened_on", "2017-02-01"),
                ("kind", "面談"),
                ("partner", "城北信用金庫"),
                ("note", "事業承継計画の作成を支援"),
                ("next_action", "計画書の確認"),
                ("next_on", "2017-03-01"),
            ],
        )
        .await;
    assert_eq!(
        followed.status(),
        StatusCode::SEE_OTHER,
        "follow-up recorded"
    );

    // 東商墨田 asks for a document; 墨田-01 sends one, whose name the answer keeps.
    let created = app
        .post_form(
            &sumida,
            "/forms/new",
            &[
                ("organisation", "tokyo-cci-sumida"),
                ("title", "計画書の提出"),
                ("key", "escape-files"),
                ("purpose", "application"),
                ("closes_on", "2099-03-31"),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER, "form created");
    let question = app
        .post_form(
            &sumida,
            "/forms/escape-files/questions",
            &[
                ("section", "0"),
                ("label", "計画書"),
                ("kind", "file"),
                ("allowed_types", "pdf"),
                ("max_kb", "200"),
            ],
        )
        .await;
    assert_eq!(
        question.status(),
        StatusCode::SEE_OTHER,
        "file question added"
    );
    let member = company_member(app, admin, "escape@sumida-01.example.jp", "sumida-01").await;
    let page = app.text(&member, FILE_ANSWER).await;
    let token = crate::harness::meta_csrf(&page);
    let pdf: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let form = reqwest::multipart::Form::new()
        .text("intent", "submit")
        .text("contact", "墨田 花子（総務）")
        .part(
            "q1",
            reqwest::multipart::Part::bytes(pdf.to_vec()).file_name("計画書.pdf"),
        );
    let sent = member
        .post(app.url(&format!("{FILE_ANSWER}&csrf_token={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::SEE_OTHER, "document sent");
    (reviewed, applicant)
}

/// The answer with a document, as its company and the owner's staff see it.
const FILE_ANSWER: &str = "/forms/escape-files/answer?company=sumida-01";

#[tokio::test]
async fn markup_in_every_text_field_is_escaped_on_every_page_for_every_role() {
    for backend in store::testing::backends() {
        let markers = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let written = markers.clone();
        let kept: std::sync::Arc<std::sync::Mutex<Option<store::Store>>> = Default::default();
        let keep = kept.clone();
        let app = TestApp::spawn_prepared(
            backend,
            web::WebOptions {
                secure_cookies: false,
                two_step_for_secretariat: false,
                ..web::WebOptions::default()
            },
            |store| async move {
                *keep.lock().unwrap() = Some(store.clone());
                // Machines are found by name when the job is entered below.
                let markers = poison(store, &["network_machines"]).await;
                *written.lock().unwrap() = markers;
            },
        )
        .await;
        let markers = markers.lock().unwrap().clone();
        let admin = app.admin().await;
        // Records the demonstration data has none of, made as people make them,
        // then given the markup like the rest (a second coat on the others).
        let (reviewed, applicant) = add_records_the_demo_lacks(&app, &admin).await;
        let store = kept.lock().unwrap().clone().expect("the store");
        poison(store, &[]).await;
        let roles = [
            ("anonymous", app.client()),
            (
                "川口市 staff",
                app.staff(&admin, "escape@city.kawaguchi.example.jp", "kawaguchi")
                    .await,
            ),
            (
                "東商墨田 staff",
                app.staff(
                    &admin,
                    "escape@sumida.tokyo-cci.example.jp",
                    "tokyo-cci-sumida",
                )
                .await,
            ),
            (
                "尼崎市 staff",
                app.staff(&admin, "escape@city.amagasaki.example.jp", "amagasaki")
                    .await,
            ),
            (
                "company member",
                company_member(
                    &app,
                    &admin,
                    "escape@kawaguchi-01.example.jp",
                    "kawaguchi-01",
                )
                .await,
            ),
            ("applicant's member", applicant),
            ("secretariat", admin),
        ];
        let start = [
            "/",
            "/initiatives",
            "/events",
            "/companies",
            "/needs",
            "/network",
            "/fairs",
            "/forms",
            "/offices",
            "/facilities",
            // A past event with its results (実績) and the form that corrects them.
            "/events/kawaguchi-2016-product-fair",
            "/events/kawaguchi-2016-product-fair/results",
            "/sites",
            "/enquiries",
            "/documents",
            "/calls",
            "/registry",
            "/reports/annual?fy=2016&fy=2017",
            "/notices",
            "/account/notifications",
            "/account/tokens",
            "/admin/users",
            "/admin/audit",
            "/feeds/activity.atom",
            // A company's submitted answers, read back to it and to the owner's staff.
            "/forms/kawaguchi-succession-hiring-2016/answer?company=kawaguchi-01",
            "/forms/sumida-health-check-2016/followups?company=sumida-01",
            reviewed.as_str(),
            FILE_ANSWER,
        ];
        let mut findings = Findings::default();
        for (role, client) in &roles {
            crawl(&app, client, role, &start, &markers, &mut findings).await;
        }
        assert!(
            findings.unescaped.is_empty(),
            "{backend:?}: markup shown as markup:\n{}",
            findings.unescaped.join("\n")
        );
        assert!(
            findings.failed.is_empty(),
            "{backend:?}: pages that failed:\n{}",
            findings.failed.join("\n")
        );
        let hidden: Vec<&String> = markers
            .iter()
            .filter(|m| {
                !findings.shown.contains(*m) && !NOT_ON_ANY_PAGE.iter().any(|(c, _)| c == m)
            })
            .collect();
        assert!(
            hidden.is_empty(),
            "{backend:?}: no crawled page ({} pages) shows {hidden:?}",
            findings.pages
        );
        assert!(findings.pages > 200, "{} pages crawled", findings.pages);
        // The document's download names it percent-encoded, never as raw markup.
        let (_, sumida) = &roles[2];
        let page = app.text(sumida, FILE_ANSWER).await;
        let file = crate::harness::between(&page, "/forms/files/", "\"").expect("a file link");
        let download = app.get(sumida, &format!("/forms/files/{file}")).await;
        assert_eq!(download.status(), StatusCode::OK);
        let disposition = download.headers()["content-disposition"].to_str().unwrap();
        assert!(
            disposition.contains("filename*=UTF-8''") && !disposition.contains('<'),
            "{disposition}"
        );
        println!(
            "{backend:?}: {} pages crawled as {} roles, {} columns shown escaped",
            findings.pages,
            roles.len(),
            findings.shown.len()
        );
    }
}
