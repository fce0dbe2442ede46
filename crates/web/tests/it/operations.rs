//! Serving behind a proxy and being watched: the client address and scheme believed
//! only from trusted proxies (`--trusted-proxy`), `Secure` cookies and HSTS when the
//! public URL is https, and `/metrics` with per-route latency and queue depths in a
//! text Prometheus can read.

use std::collections::HashMap;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Client, StatusCode};

use crate::harness::TestApp;

fn options(trusted: &[&str], public_url: Option<&str>) -> web::WebOptions {
    web::WebOptions {
        secure_cookies: false,
        public_url: public_url.map(str::to_owned),
        trusted_proxies: web::client::TrustedProxies::parse(trusted).unwrap(),
        // As in the harness: these tests read the audit log as the secretariat
        // without enrolling in two-step sign-in (proved in two_step.rs).
        two_step_for_secretariat: false,
        ..web::WebOptions::default()
    }
}

/// A browser-like client whose every request carries `X-Forwarded-For: forwarded`.
fn forwarded_client(forwarded: &str) -> Client {
    let mut headers = HeaderMap::new();
    headers.insert("x-forwarded-for", HeaderValue::from_str(forwarded).unwrap());
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

async fn ask_reset(app: &TestApp, client: &Client, email: &str) -> StatusCode {
    app.post_form(client, "/password/forgot", &[("email", email)])
        .await
        .status()
}

#[tokio::test]
async fn a_forged_forwarded_for_from_an_untrusted_peer_is_ignored_by_the_limit() {
    for backend in store::testing::backends() {
        // The proxy trusted is elsewhere: the test client (127.0.0.1) is a stranger.
        let app = TestApp::spawn_with(backend, options(&["10.0.0.0/8"], None)).await;
        for i in 0..store::recovery::RESETS_PER_CLIENT_PER_HOUR {
            // A new address every time, as a script dodging the limit would send.
            let client = forwarded_client(&format!("203.0.113.{}", i + 1));
            let status = ask_reset(&app, &client, &format!("p{i}@example.jp")).await;
            assert_eq!(status, StatusCode::OK, "request {i}");
        }
        let client = forwarded_client("198.51.100.77");
        let status = ask_reset(&app, &client, "late@example.jp").await;
        assert_eq!(
            status,
            StatusCode::TOO_MANY_REQUESTS,
            "all counted against the peer ({backend:?})"
        );
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_the_one_limited() {
    for backend in store::testing::backends() {
        let app = TestApp::spawn_with(backend, options(&["127.0.0.1/32", "::1"], None)).await;
        for i in 0..store::recovery::RESETS_PER_CLIENT_PER_HOUR {
            // The client wrote a different first entry each time; our proxy appended
            // the address it really saw.
            let client = forwarded_client(&format!("192.0.2.{}, 203.0.113.9", i + 1));
            let status = ask_reset(&app, &client, &format!("p{i}@example.jp")).await;
            assert_eq!(status, StatusCode::OK, "request {i}");
        }
        let same = forwarded_client("203.0.113.9");
        assert_eq!(
            ask_reset(&app, &same, "late@example.jp").await,
            StatusCode::TOO_MANY_REQUESTS,
            "{backend:?}"
        );
        // Another office behind the same proxy is not held back by the first.
        let other = forwarded_client("203.0.113.10");
        assert_eq!(
            ask_reset(&app, &other, "other@example.jp").await,
            StatusCode::OK
        );
    }
}

/// The activity feed, fetched with `x-forwarded-proto: https`.
async fn feed_fetched_as_https(app: &TestApp) -> String {
    app.client()
        .get(app.url("/feeds/activity.atom"))
        .header("host", "renkei.city.example.lg.jp")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn forwarded_proto_is_believed_only_from_a_trusted_proxy() {
    for backend in store::testing::backends() {
        let own = "renkei.city.example.lg.jp/feeds/activity.atom";
        let stranger = TestApp::spawn_with(backend, options(&[], None)).await;
        let atom = feed_fetched_as_https(&stranger).await;
        assert!(atom.contains(&format!("http://{own}")), "{atom}");
        assert!(!atom.contains(&format!("https://{own}")), "{atom}");
        let proxied = TestApp::spawn_with(backend, options(&["127.0.0.0/8"], None)).await;
        let atom = feed_fetched_as_https(&proxied).await;
        assert!(atom.contains(&format!("https://{own}")), "{atom}");
    }
}

/// The session cookie set on the sign-in page and the HSTS header of that answer.
async fn cookie_and_hsts(app: &TestApp) -> (String, Option<String>) {
    let response = app.get(&app.client(), "/login").await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with(web::SESSION_COOKIE))
        .expect("a session cookie");
    let hsts = response
        .headers()
        .get("strict-transport-security")
        .map(|v| v.to_str().unwrap().to_owned());
    (cookie, hsts)
}

fn is_secure(cookie: &str) -> bool {
    cookie
        .split(';')
        .any(|part| part.trim().eq_ignore_ascii_case("secure"))
}

#[tokio::test]
async fn an_https_public_url_marks_cookies_secure_and_sends_hsts_an_http_one_neither() {
    for backend in store::testing::backends() {
        // Even asked for insecure cookies (the test clients' default), https wins.
        let https =
            TestApp::spawn_with(backend, options(&[], Some("https://renkei.example.jp/"))).await;
        let (cookie, hsts) = cookie_and_hsts(&https).await;
        assert!(is_secure(&cookie), "{cookie}");
        assert_eq!(hsts.as_deref(), Some(web::HSTS));
        assert!(web::HSTS.starts_with("max-age="));
        // Every answer carries it, a 404 and the API too.
        for path in ["/no-such-page", "/api/v1/initiatives", "/healthz"] {
            let response = https.get(&https.client(), path).await;
            assert_eq!(
                response.headers()["strict-transport-security"],
                web::HSTS,
                "{path}"
            );
        }

        // An http public URL: a browser would drop a Secure cookie, so none.
        let http = TestApp::spawn_with(
            backend,
            web::WebOptions {
                secure_cookies: true,
                public_url: Some("http://renkei.city.example.lg.jp".into()),
                ..web::WebOptions::default()
            },
        )
        .await;
        let (cookie, hsts) = cookie_and_hsts(&http).await;
        assert!(!is_secure(&cookie), "{cookie}");
        assert_eq!(hsts, None);

        // No public URL: Secure as configured, and no HSTS.
        let plain = TestApp::spawn_with(backend, web::WebOptions::default()).await;
        let (cookie, hsts) = cookie_and_hsts(&plain).await;
        assert!(is_secure(&cookie), "{cookie}");
        assert_eq!(hsts, None);
    }
}

#[tokio::test]
async fn metrics_count_each_route_by_its_pattern_and_show_the_queues() {
    for backend in store::testing::backends() {
        let app = TestApp::spawn(backend).await;
        let visitor = app.client();
        for path in [
            "/events/1",
            "/events/2",
            "/events/999999",
            "/nowhere/at/all",
        ] {
            app.get(&visitor, path).await;
        }
        // A message waiting in the outbox (no sender runs in these tests).
        assert_eq!(
            ask_reset(&app, &visitor, store::accounts::FIRST_ADMIN_EMAIL).await,
            StatusCode::OK
        );
        let admin = app.admin().await;
        let response = app.get(&admin, "/metrics").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        let text = response.text().await.unwrap();
        let samples = parse_exposition(&text);
        let sample = |name: &str, labels: &str| -> f64 {
            *samples
                .get(&(name.to_owned(), labels.to_owned()))
                .unwrap_or_else(|| panic!("{name}{{{labels}}} missing in\n{text}"))
        };
        let events = "method=\"GET\",route=\"/events/{key}\"";
        assert_eq!(
            sample("renkei_http_route_duration_seconds_count", events),
            3.0
        );
        assert!(sample("renkei_http_route_duration_seconds_sum", events) > 0.0);
        assert_eq!(
            sample(
                "renkei_http_route_duration_seconds_count",
                "method=\"GET\",route=\"unmatched\""
            ),
            1.0
        );
        // Never the address itself: bounded series.
        assert!(!text.contains("/events/1\""), "{text}");
        assert!(!text.contains("/nowhere"), "{text}");
        assert_eq!(sample("renkei_mail_messages", "status=\"queued\""), 1.0);
        assert_eq!(sample("renkei_mail_messages", "status=\"failed\""), 0.0);
        assert!(sample("renkei_mail_oldest_queued_age_seconds", "") >= 0.0);
        assert_eq!(sample("renkei_followups_due", ""), 0.0);
        assert_eq!(sample("renkei_database_up", ""), 1.0);
    }
}

/// A strict reader of the Prometheus text format (0.0.4): every line is a HELP, a
/// TYPE or a sample of a declared family; names and labels are well formed, no
/// sample twice; a histogram's buckets grow and its +Inf bucket equals its count.
/// Returns every sample by name and label text.
fn parse_exposition(text: &str) -> HashMap<(String, String), f64> {
    let valid_name = |name: &str| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    let mut types: HashMap<String, String> = HashMap::new();
    let mut samples = HashMap::new();
    assert!(text.ends_with('\n'), "the text ends with a line feed");
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let kind = parts.next().unwrap();
            let name = parts.next().expect("a name after HELP/TYPE");
            assert!(valid_name(name), "bad name in {line}");
            if kind == "TYPE" {
                let declared = parts.next().expect("a type");
                assert!(
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(&declared),
                    "{line}"
                );
                assert!(
                    types.insert(name.to_owned(), declared.to_owned()).is_none(),
                    "TYPE twice for {name}"
                );
            } else {
                assert_eq!(kind, "HELP", "{line}");
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a value");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value in {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => (name, rest.strip_suffix('}').expect("closing brace")),
            None => (series, ""),
        };
        assert!(valid_name(name), "bad name in {line}");
        // Labels: name="value" pairs; in values only \\, \" and \n are escapes.
        let mut rest = labels;
        while !rest.is_empty() {
            let (label, after) = rest.split_once("=\"").expect("label=\"");
            assert!(valid_name(label), "bad label in {line}");
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next().expect("an unterminated label value") {
                    (_, '\\') => {
                        let (_, escaped) = chars.next().expect("an escape");
                        assert!(matches!(escaped, '\\' | '"' | 'n'), "{line}");
                    }
                    (i, '"') => break i,
                    _ => {}
                }
            };
            rest = &after[end + 1..];
            rest = rest.strip_prefix(',').unwrap_or(rest);
        }
        let family = if types.contains_key(name) {
            name
        } else {
            ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .unwrap_or(name)
        };
        assert!(types.contains_key(family), "no TYPE for {name}");
        assert!(
            samples
                .insert((name.to_owned(), labels.to_owned()), value)
                .is_none(),
            "{line} twice"
        );
    }
    for (family, kind) in &types {
        if kind != "histogram" {
            continue;
        }
        let mut series: HashMap<String, Vec<(f64, f64)>> = HashMap::new();
        for ((name, labels), value) in &samples {
            if name != &format!("{family}_bucket") {
                continue;
            }
            let (others, le) = labels.rsplit_once("le=\"").expect("an le label");
            let le = le.trim_end_matches('"');
            let bound = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().expect("an le bound")
            };
            series
                .entry(others.trim_end_matches(',').to_owned())
                .or_default()
                .push((bound, *value));
        }
        for (labels, mut buckets) in series {
            buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
            assert!(
                buckets.windows(2).all(|w| w[0].1 <= w[1].1),
                "{family}{{{labels}}} buckets shrink"
            );
            let inf = buckets.last().expect("buckets");
            assert!(inf.0.is_infinite(), "{family}{{{labels}}} has no +Inf");
            let count = samples[&(format!("{family}_count"), labels.clone())];
            assert_eq!(inf.1, count, "{family}{{{labels}}}");
        }
    }
    samples
}

/// Signs in as the first administrator through `client` and replaces the one-time
/// password: two audited changes (the sign-in and the password) made from `client`.
async fn admin_through(app: &TestApp, client: &Client) {
    let response = app
        .post_form(
            client,
            "/login",
            &[
                ("email", "admin@renkei.local"),
                ("password", &app.admin_password),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = app
        .post_form(
            client,
            "/account/password",
            &[
                ("current_password", &app.admin_password),
                ("new_password", "council-secretariat-2026"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

/// The audit log's page and its CSV as the secretariat reads them.
async fn audit_views(app: &TestApp, client: &Client) -> (String, String) {
    let page = app.text(client, "/admin/audit").await;
    let response = app.get(client, "/admin/audit.csv").await;
    assert_eq!(response.status(), StatusCode::OK);
    (page, response.text().await.unwrap())
}

#[tokio::test]
async fn the_audit_log_names_the_client_address_a_trusted_proxy_forwarded() {
    for backend in store::testing::backends() {
        let app = TestApp::spawn_with(backend, options(&["127.0.0.1/32", "::1"], None)).await;
        // The client forged the first entry; our proxy appended the address it saw.
        let client = forwarded_client("192.0.2.66, 203.0.113.9");
        admin_through(&app, &client).await;
        let (page, csv) = audit_views(&app, &client).await;
        assert!(page.contains("<th scope=\"col\">接続元</th>"), "{page}");
        let row = page
            .split("<tr>")
            .find(|row| row.contains("がパスワードを変更"))
            .expect("the password change in the log");
        assert!(row.contains("<td>203.0.113.9</td>"), "{backend:?}: {row}");
        let header = csv.lines().next().unwrap();
        assert!(header.ends_with(",接続元"), "{header}");
        let line = csv
            .lines()
            .find(|line| line.contains("がパスワードを変更"))
            .expect("the password change in the CSV");
        assert!(line.ends_with(",203.0.113.9"), "{backend:?}: {line}");
        assert!(
            !csv.contains("192.0.2.66"),
            "the forged entry is never believed"
        );
        // The council's data loaded at start was no web request: no address.
        let store = app.store().await;
        let seeds = audit_addresses(&store, "seed").await;
        assert!(
            !seeds.is_empty() && seeds.iter().all(Option::is_none),
            "{seeds:?}"
        );
    }
}

#[tokio::test]
async fn a_forged_forwarded_for_from_an_untrusted_peer_never_reaches_the_audit_log() {
    for backend in store::testing::backends() {
        let app = TestApp::spawn_with(backend, options(&["10.0.0.0/8"], None)).await;
        let client = forwarded_client("198.51.100.77");
        admin_through(&app, &client).await;
        let (page, csv) = audit_views(&app, &client).await;
        assert!(!page.contains("198.51.100.77") && !csv.contains("198.51.100.77"));
        let row = page
            .split("<tr>")
            .find(|row| row.contains("がパスワードを変更"))
            .expect("the password change in the log");
        assert!(row.contains("<td>127.0.0.1</td>"), "the peer: {row}");
        let store = app.store().await;
        assert_eq!(
            audit_addresses(&store, "password").await,
            [Some("127.0.0.1".to_owned())],
            "{backend:?}"
        );
    }
}

/// The client address of every audit entry with `action`.
async fn audit_addresses(store: &store::Store, action: &str) -> Vec<Option<String>> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = store.connection();
    let backend = db.get_database_backend();
    let placeholder = match backend {
        sea_orm::DatabaseBackend::Postgres => "$1",
        _ => "?",
    };
    db.query_all(Statement::from_sql_and_values(
        backend,
        format!("SELECT client_address FROM audit_log WHERE action = {placeholder} ORDER BY id"),
        [action.into()],
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get::<Option<String>>("", "client_address").unwrap())
    .collect()
}
