//! Requests sent to hurt (issue 21): repeated query parameters, page numbers at
//! the end of `i64`, bodies that are not JSON or too large, handlers that panic or
//! run too long. Each gets a small Japanese answer with a 4xx/5xx status, never a
//! dropped connection, and `/healthz` keeps answering meanwhile.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use reqwest::StatusCode;
use reqwest::cookie::CookieStore;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::TestApp;

/// `/companies?city=ota&city=ota…` with `count` repeats: 7,000 made a 640 MB page.
fn repeated(path: &str, count: usize) -> String {
    format!("{path}?{}", vec!["city=ota"; count].join("&"))
}

fn is_problem(response: &reqwest::Response) -> bool {
    response.headers()["content-type"] == "application/problem+json"
}

/// A client whose cookies the test can read, to send raw requests in its session.
fn client_with_jar() -> (reqwest::Client, Arc<reqwest::cookie::Jar>) {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (client, jar)
}

#[tokio::test]
async fn seven_thousand_repeats_of_a_query_parameter_get_a_small_japanese_refusal() {
    for backend in store::testing::backends() {
        let app = TestApp::spawn(backend).await;
        let client = app.client();

        // 63 KB of `city=ota`: over the address budget, refused before any page runs.
        let response = app.get(&client, &repeated("/companies", 7_000)).await;
        assert_eq!(response.status(), StatusCode::URI_TOO_LONG, "{backend:?}");
        let page = response.text().await.unwrap();
        assert!(page.len() < 20_000, "a small page: {} bytes", page.len());
        assert!(page.contains("アドレスが長すぎます（8KBまで）"), "{page}");

        // Within the address budget but one name 26 times: the repeat budget names it.
        let response = app.get(&client, &repeated("/companies", 26)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let page = response.text().await.unwrap();
        assert!(
            page.contains("検索条件「city」が多すぎます（同じ項目は25個まで）"),
            "{page}"
        );

        // 101 different names: the count budget.
        let many: Vec<String> = (0..101).map(|i| format!("x{i}=1")).collect();
        let response = app
            .get(&client, &format!("/companies?{}", many.join("&")))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.text().await.unwrap().contains("100個まで"));

        // The API says the same as problem+json.
        let response = app
            .get(&client, &repeated("/api/v1/companies", 7_000))
            .await;
        assert_eq!(response.status(), StatusCode::URI_TOO_LONG);
        assert!(is_problem(&response));
        let response = app.get(&client, &repeated("/api/v1/companies", 26)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(is_problem(&response));
        let problem: Value = response.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains("25個まで"));
    }
}

#[tokio::test]
async fn a_repeated_facet_counts_once_and_no_link_repeats_it() {
    for backend in store::testing::backends() {
        let app = TestApp::spawn(backend).await;
        let client = app.client();
        let once = app.text(&client, "/companies?city=ota").await;
        let repeated = app.text(&client, &repeated("/companies", 25)).await;
        let total = |page: &str| {
            page.split("件")
                .next()
                .and_then(|head| {
                    head.rsplit(|c: char| !c.is_ascii_digit())
                        .find(|s| !s.is_empty())
                })
                .map(str::to_owned)
        };
        assert_eq!(
            total(&once),
            total(&repeated),
            "{backend:?}: the same search"
        );
        assert!(
            !repeated.contains("city=ota&amp;city=ota"),
            "no link repeats a filter"
        );
        assert!(
            repeated.len() < once.len() * 2,
            "the page does not grow with the repeats: {} vs {}",
            repeated.len(),
            once.len()
        );
    }
}

#[tokio::test]
async fn healthz_answers_while_four_hostile_queries_are_in_flight() {
    for backend in store::testing::backends() {
        let app = TestApp::spawn(backend).await;
        let hostile: Vec<_> = (0..4)
            .map(|i| {
                let client = app.client();
                let url = app.url(&repeated(
                    if i % 2 == 0 {
                        "/companies"
                    } else {
                        "/api/v1/companies"
                    },
                    7_000,
                ));
                tokio::spawn(async move {
                    for _ in 0..5 {
                        let response = client.get(&url).send().await.unwrap();
                        assert!(response.status().is_client_error());
                        response.bytes().await.unwrap();
                    }
                })
            })
            .collect();
        // Generous: timing belongs in BENCHMARKS.md; this asserts an answer at all.
        let health = app
            .client()
            .get(app.url("/healthz"))
            .timeout(Duration::from_secs(3))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), StatusCode::OK, "{backend:?}");
        for task in hostile {
            task.await.unwrap();
        }
    }
}

#[tokio::test]
async fn page_numbers_at_the_end_of_i64_are_answered_not_dropped() {
    for backend in store::testing::backends() {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        for page in ["9223372036854775807", "18446744073709551615", "-1", "1e5"] {
            let response = app.get(&admin, &format!("/admin/audit?page={page}")).await;
            assert_eq!(response.status(), StatusCode::OK, "{backend:?} page={page}");
            assert!(response.text().await.unwrap().contains("監査ログ"));
        }
        let public = app.client();
        for page in ["9223372036854775807", "18446744073709551615"] {
            let response = app.get(&public, &format!("/companies?page={page}")).await;
            assert_eq!(response.status(), StatusCode::OK, "/companies?page={page}");
            let response = app
                .get(&public, &format!("/api/v1/companies?offset={page}"))
                .await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "offset={page}");
            assert!(is_problem(&response));
        }
    }
}

#[tokio::test]
async fn unreadable_api_requests_get_japanese_problems_with_the_right_status() {
    for backend in store::testing::backends() {
        let app = TestApp::spawn(backend).await;
        app.admin().await;
        let (client, jar) = client_with_jar();
        let response = app
            .post_form(
                &client,
                "/login",
                &[
                    ("email", "admin@renkei.local"),
                    ("password", "council-secretariat-2026"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let token: Value = app
            .get(&client, "/api/v1/session")
            .await
            .json()
            .await
            .unwrap();
        let token = token["csrf_token"].as_str().unwrap().to_owned();
        let post = |path: &str, body: &'static str| {
            client
                .post(app.url(path))
                .header("x-csrf-token", &token)
                .header("content-type", "application/json")
                .body(body)
        };
        let japanese = |problem: &Value| {
            let detail = problem["detail"].as_str().unwrap().to_owned();
            assert!(!detail.contains("Failed"), "no English: {detail}");
            assert!(!detail.contains("Cannot parse"), "no English: {detail}");
            assert!(!detail.is_ascii(), "Japanese: {detail}");
            detail
        };

        // Not JSON at all.
        let response = post("/api/v1/companies", "{\"name\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{backend:?}");
        assert!(is_problem(&response));
        let detail = japanese(&response.json().await.unwrap());
        assert!(detail.contains("1行9列目"), "{detail}");

        // A number where an integer is wanted: the field is named.
        let response = post(
            "/api/v1/companies",
            "{\"name\": \"試験\", \"employees\": 1e5}",
        )
        .send()
        .await
        .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let detail = japanese(&response.json().await.unwrap());
        assert!(detail.contains("「employees」は整数"), "{detail}");

        // `1e5` as an id in the address.
        let response = post("/api/v1/network/operations/1e5/events", "{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(is_problem(&response));
        japanese(&response.json().await.unwrap());

        // A declared 3 MB body is refused by the limit before it is read.
        let huge: &'static str = Box::leak(format!("\"{}\"", "a".repeat(3 << 20)).into_boxed_str());
        let response = post("/api/v1/companies", huge).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(is_problem(&response));
        japanese(&response.json().await.unwrap());

        // Sent in chunks without a length, the limit stops it mid-way: still a 413.
        let cookie = jar
            .cookies(&app.base.parse().unwrap())
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let (status, body) =
            chunked_post(&app, "/api/v1/companies", &cookie, &token, 3 << 20).await;
        assert!(status.starts_with("HTTP/1.1 413"), "{status}");
        assert!(body.contains("2MBまで"), "{body}");
    }
}

/// Posts `size` bytes of a JSON string with `Transfer-Encoding: chunked` (no length
/// for the limit to refuse up front) on a raw connection; returns the status line and
/// the body.
async fn chunked_post(
    app: &TestApp,
    path: &str,
    cookie: &str,
    token: &str,
    size: usize,
) -> (String, String) {
    let address = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\nX-CSRF-Token: {token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let mut sent = 0;
    // The server may answer and close before everything is sent: that is the point.
    let _ = async {
        stream.write_all(b"1\r\n\"\r\n").await?;
        while sent < size {
            stream
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await?;
            stream.write_all(&chunk).await?;
            stream.write_all(b"\r\n").await?;
            sent += chunk.len();
        }
        stream.write_all(b"1\r\n\"\r\n0\r\n\r\n").await
    }
    .await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.lines().next().unwrap_or_default().to_owned();
    let body = answer
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    (status, body)
}

#[tokio::test]
async fn metrics_are_the_secretariats_and_the_api_reference_has_a_policy() {
    for backend in store::testing::backends() {
        let app = TestApp::spawn(backend).await;
        let anonymous = app.client();
        let response = app.get(&anonymous, "/metrics").await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{backend:?}: to sign in"
        );
        let admin = app.admin().await;
        let response = app.get(&admin, "/metrics").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("renkei_database_up 1")
        );

        let response = app.get(&anonymous, "/api/docs").await;
        assert_eq!(response.status(), StatusCode::OK);
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(policy, web::layers::CONTENT_SECURITY_POLICY);
        let page = response.text().await.unwrap();
        assert!(!page.contains("cdn.jsdelivr.net"), "no script from a CDN");
        assert!(
            page.contains("GET /api/v1/companies"),
            "the operations are listed"
        );
    }
}

/// A small router behind the same outer layers as the platform (`layers::guarded`),
/// served on port 0: a handler that panics, one that sleeps past the budget, one
/// that answers.
async fn guarded_server() -> String {
    async fn boom() -> &'static str {
        panic!("a handler's bug")
    }
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_secs(10)).await;
        "late"
    }
    let router = Router::new()
        .route("/boom", get(boom))
        .route("/api/v1/boom", get(boom))
        .route("/slow", get(slow))
        .route("/api/v1/slow", get(slow))
        .route("/ok", get(|| async { "ok" }));
    let budget = web::layers::TimeBudget {
        reads: Duration::from_millis(300),
        changes: Duration::from_millis(300),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(web::serve(
        listener,
        web::layers::guarded(router, 8, budget),
    ));
    base
}

#[tokio::test]
async fn a_panicking_handler_gets_the_japanese_500_page_with_its_request_id() {
    let base = guarded_server().await;
    let client = reqwest::Client::new();
    let response = client.get(format!("{base}/boom")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(response.headers().contains_key("content-security-policy"));
    let page = response.text().await.unwrap();
    assert!(page.contains("システム内部で問題が発生しました"), "{page}");
    assert!(page.contains(&id), "the request id to quote: {id}");

    let response = client
        .get(format!("{base}/api/v1/boom"))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(is_problem(&response));
    assert_eq!(response.headers()["x-request-id"], "trace-42");
    let problem: Value = response.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("trace-42"));

    // The process serves on.
    let response = client.get(format!("{base}/ok")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_request_over_its_time_budget_gets_a_japanese_503_with_retry_after() {
    let base = guarded_server().await;
    let client = reqwest::Client::new();
    let response = client.get(format!("{base}/slow")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "5");
    let page = response.text().await.unwrap();
    assert!(
        page.contains("処理に時間がかかりすぎたため中断しました"),
        "{page}"
    );
    let response = client
        .get(format!("{base}/api/v1/slow"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(is_problem(&response));
}

#[tokio::test]
async fn the_private_metrics_address_serves_prometheus_without_sign_in() {
    for backend in store::testing::backends() {
        let database = store::testing::TestDatabase::create(backend).await.unwrap();
        let store = database.store().await.unwrap();
        let (_, metrics) = web::apps(
            store,
            web::WebOptions {
                secure_cookies: false,
                two_step_for_secretariat: false,
                ..web::WebOptions::default()
            },
        )
        .await
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(web::serve(listener, metrics));
        let response = reqwest::get(format!("{base}/metrics")).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{backend:?}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("renkei_database_up 1")
        );
    }
}
