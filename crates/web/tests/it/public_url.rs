//! `renkei serve --public-url`: feeds, the embed and calendar files carry the
//! platform's public address whatever Host the request came with; without it
//! they follow the request's Host header.

use crate::harness::TestApp;

const PUBLIC: &str = "https://renkei.example.jp";

async fn fetch(app: &TestApp, path: &str, host: &str) -> String {
    let response = app
        .client()
        .get(app.url(path))
        .header("host", host)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK, "GET {path}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn feeds_and_the_embed_carry_the_public_url_whatever_the_host() {
    for backend in store::testing::backends() {
        let app = TestApp::spawn_with(
            backend,
            web::WebOptions {
                secure_cookies: false,
                // A trailing slash as an operator might type it.
                public_url: Some(format!("{PUBLIC}/")),
                two_step_for_secretariat: false,
                ..web::WebOptions::default()
            },
        )
        .await;
        let host = "internal-lb.local:8080";
        let ics = fetch(&app, "/calendar.ics", host).await;
        assert!(ics.contains(&format!("URL:{PUBLIC}/events/")), "{ics}");
        assert!(!ics.contains(host));
        let atom = fetch(&app, "/feeds/activity.atom", host).await;
        assert!(
            atom.contains(&format!("{PUBLIC}/feeds/activity.atom")),
            "{atom}"
        );
        assert!(!atom.contains(host) && !atom.contains("renkei.example.jp//"));
        let embed = fetch(&app, "/embed/events.html", host).await;
        assert!(
            embed.contains(&format!("href=\"{PUBLIC}/events")),
            "{embed}"
        );
        assert!(!embed.contains(host));
    }
}

#[tokio::test]
async fn without_a_public_url_links_follow_the_host_header() {
    for backend in store::testing::backends() {
        let app = TestApp::spawn(backend).await;
        let host = "renkei.city.example.lg.jp";
        let ics = fetch(&app, "/calendar.ics", host).await;
        assert!(ics.contains(&format!("URL:http://{host}/events/")), "{ics}");
        let atom = fetch(&app, "/feeds/activity.atom", host).await;
        assert!(atom.contains(&format!("http://{host}/feeds/activity.atom")));
        let embed = fetch(&app, "/embed/events.html", host).await;
        assert!(embed.contains(&format!("href=\"http://{host}/events")));
        assert!(!embed.contains(PUBLIC));
    }
}
