//! What every site answers besides its pages, over HTTP: the icon, robots.txt, a
//! meta description on every page (its own on the main public pages), gzip and
//! Brotli for text but never for XLSX, the stylesheet and script under a hashed name
//! cached for a year (the old names still served, briefly cached), and not-found
//! messages that read as one sentence.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE};

use crate::harness::{TestApp, between};

fn description(page: &str) -> String {
    between(page, "<meta name=\"description\" content=\"", "\"").expect("a meta description")
}

#[tokio::test]
async fn favicon_and_robots_are_served() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let client = app.client();
    let icon = app.get(&client, "/favicon.ico").await;
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.headers()[CONTENT_TYPE], "image/x-icon");
    let bytes = icon.bytes().await.unwrap();
    assert_eq!(&bytes[..4], &[0, 0, 1, 0], "an ICO file");
    let home = app.text(&client, "/").await;
    assert!(home.contains("<link rel=\"icon\" href=\"/favicon.ico\""));

    let robots = app.get(&client, "/robots.txt").await;
    assert_eq!(robots.status(), StatusCode::OK);
    assert!(
        robots.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let robots = robots.text().await.unwrap();
    for closed in [
        "Disallow: /admin",
        "Disallow: /account",
        "Disallow: /s/",
        "Disallow: /invitations",
        "Disallow: /unsubscribe/",
        "Disallow: /*.csv",
        "Disallow: /*.xlsx",
    ] {
        assert!(robots.lines().any(|l| l == closed), "{closed}");
    }
    assert!(robots.lines().any(|l| l == "Allow: /"));
    for open in [
        "/events",
        "/companies",
        "/initiatives",
        "/calls",
        "/registry",
    ] {
        assert!(
            !robots.lines().any(|l| l
                .strip_prefix("Disallow: ")
                .is_some_and(|p| open.starts_with(p))),
            "{open} stays open to crawlers"
        );
    }
}

#[tokio::test]
async fn every_page_has_a_description_and_the_main_ones_their_own() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let client = app.client();
    let default = description(&app.text(&client, "/login").await);
    assert!(default.contains("中小企業都市連絡協議会"), "{default}");
    let mut seen = vec![default.clone()];
    for path in [
        "/",
        "/initiatives",
        "/events",
        "/companies",
        "/needs",
        "/network",
        "/offices",
        "/calls",
        "/registry",
        "/people",
        "/facilities",
        "/api/docs",
    ] {
        let own = description(&app.text(&client, path).await);
        assert!(own.chars().count() >= 30, "{path}: {own}");
        assert!(
            !seen.contains(&own),
            "{path} has its own description: {own}"
        );
        seen.push(own);
    }
    // An error page has one too.
    let missing = app.get(&client, "/no-such-page").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(description(&missing.text().await.unwrap()), default);
}

#[tokio::test]
async fn text_is_compressed_and_spreadsheets_are_not() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let client = app.client();
    let plain = app.text(&client, "/events").await;
    for (accept, encoding) in [("gzip", "gzip"), ("br", "br"), ("br, gzip", "br")] {
        let response = client
            .get(app.url("/events"))
            .header(ACCEPT_ENCODING, accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_ENCODING], encoding, "{accept}");
        let size = response.bytes().await.unwrap().len();
        assert!(
            size * 3 < plain.len(),
            "{encoding}: {size} of {}",
            plain.len()
        );
    }
    // The feed and the API compress too, and still arrive whole.
    for path in ["/feeds/activity.atom", "/api/v1/events", "/calendar.ics"] {
        let response = client
            .get(app.url(path))
            .header(ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()[CONTENT_ENCODING], "gzip", "{path}");
        assert!(!response.bytes().await.unwrap().is_empty());
    }
    // XLSX is a zip already: sent as it is, still a zip.
    let xlsx = client
        .get(app.url("/events.xlsx"))
        .header(ACCEPT_ENCODING, "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.headers().get(CONTENT_ENCODING).is_none());
    assert_eq!(&xlsx.bytes().await.unwrap()[..2], b"PK");
    // Without Accept-Encoding nothing is compressed.
    let response = app.get(&client, "/events").await;
    assert!(response.headers().get(CONTENT_ENCODING).is_none());
}

#[tokio::test]
async fn assets_carry_a_content_hash_and_are_cached_for_a_year() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let client = app.client();
    let home = app.text(&client, "/").await;
    let css = between(&home, "<link rel=\"stylesheet\" href=\"", "\"").unwrap();
    assert!(css.starts_with("/static/app.") && css.ends_with(".css") && css != "/static/app.css");
    let response = app.get(&client, &css).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert!(
        response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let hashed = response.text().await.unwrap();
    // The old name keeps working for pages that link it, with a short cache.
    let old = app.get(&client, "/static/app.css").await;
    assert_eq!(old.status(), StatusCode::OK);
    assert_eq!(old.headers()[CACHE_CONTROL], "public, max-age=3600");
    assert_eq!(old.text().await.unwrap(), hashed);
    // The report links the same hashed stylesheet (one place names it).
    let report = app.text(&client, "/reports/annual?fy=2016").await;
    assert!(report.contains(&css));
    let stale = app.get(&client, "/static/app.000000000000.css").await;
    assert_eq!(stale.status(), StatusCode::NOT_FOUND);
    let other = app.get(&client, "/static/secret.txt").await;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn not_found_messages_read_as_one_sentence() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let client = app.client();
    let link = app.get(&client, "/s/no-such-token").await;
    assert_eq!(link.status(), StatusCode::NOT_FOUND);
    let page = link.text().await.unwrap();
    assert!(page.contains("調査を行っている団体にお問い合わせください。"));
    assert!(!page.contains("。が見つかりません"), "garbled: {page}");
    let year = app
        .get(
            &client,
            "/initiatives/kawaguchi-cci-imono-iwaza-brand/years/1800/edit",
        )
        .await;
    assert_eq!(year.status(), StatusCode::NOT_FOUND);
    let page = year.text().await.unwrap();
    assert!(
        page.contains("年度「1800」の記録は見つかりません。"),
        "{page}"
    );
    assert!(!page.contains("。が見つかりません") && !page.contains("）が見つかりません"));
    // A record's name still gets the usual sentence.
    let event = app.get(&client, "/events/no-such-event").await;
    assert_eq!(event.status(), StatusCode::NOT_FOUND);
    assert!(event.text().await.unwrap().contains("が見つかりません。"));
}
