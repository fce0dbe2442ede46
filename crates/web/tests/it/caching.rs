//! Kept pages and conditional GET (`web::cache`): an anonymous visitor's page is kept
//! until the `changes` sequence moves and a reload with its ETag is a 304; a change
//! shows at once; a signed-in viewer's page is never kept, and nobody's page or tag
//! reaches another viewer.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, ETAG, IF_NONE_MATCH};

use crate::harness::{TestApp, on_each_backend};

fn seminar(title: &str) -> Vec<(&str, &str)> {
    vec![
        ("organisation", "amagasaki"),
        ("title", title),
        ("event_type", "seminar"),
        ("city", "amagasaki"),
        ("pillars", "2"),
        ("start_date", "2030-11-20"),
        ("start_time", "13:30"),
        ("end_time", "16:00"),
        ("venue", "尼崎市中小企業センター"),
        ("address", "兵庫県尼崎市昭和通2-6-68"),
        ("capacity", "40"),
        ("description", "キャッシュの確認。"),
    ]
}

/// The page's ETag and body.
async fn tagged(app: &TestApp, client: &reqwest::Client, path: &str) -> (String, String) {
    let response = app.get(client, path).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    let etag = response
        .headers()
        .get(ETAG)
        .unwrap_or_else(|| panic!("GET {path} has an ETag"))
        .to_str()
        .unwrap()
        .to_owned();
    (etag, response.text().await.unwrap())
}

async fn revalidated(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    etag: &str,
) -> reqwest::Response {
    client
        .get(app.url(path))
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_anonymous_page_is_kept_until_a_change_and_a_reload_is_304() {
    on_each_backend(|app| async move {
        let public = app.client();
        let (etag, before) = tagged(&app, &public, "/events").await;
        assert!(etag.starts_with("W/\""), "a weak validator: {etag}");
        assert!(!before.contains("キャッシュ確認セミナー"));
        let (again, _) = tagged(&app, &public, "/events").await;
        assert_eq!(again, etag, "the kept page, the same tag");

        // The browser's reload with the tag: 304 without a body.
        let reload = revalidated(&app, &public, "/events", &etag).await;
        assert_eq!(reload.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(reload.headers()[ETAG].to_str().unwrap(), etag);
        assert!(reload.bytes().await.unwrap().is_empty());

        // A change: the kept /events shows the new event at once.
        let admin = app.admin().await;
        let amagasaki = app
            .staff(&admin, "tanaka@city.amagasaki.example.jp", "amagasaki")
            .await;
        let created = app
            .post_form(&amagasaki, "/events", &seminar("キャッシュ確認セミナー"))
            .await;
        assert_eq!(created.status(), StatusCode::SEE_OTHER);
        let (changed_etag, after) = tagged(&app, &public, "/events").await;
        assert!(
            after.contains("キャッシュ確認セミナー"),
            "{:?}: the new event is listed at once",
            app.backend
        );
        assert_ne!(changed_etag, etag);
        let reload = revalidated(&app, &public, "/events", &etag).await;
        assert_eq!(
            reload.status(),
            StatusCode::OK,
            "an old tag gets the new page"
        );
        assert!(
            reload
                .text()
                .await
                .unwrap()
                .contains("キャッシュ確認セミナー")
        );

        // A client that takes gzip (and not Brotli) gets the kept page compressed once,
        // twice alike.
        for _ in 0..2 {
            let zipped = public
                .get(app.url("/events"))
                .header(ACCEPT_ENCODING, "gzip, deflate")
                .send()
                .await
                .unwrap();
            assert_eq!(zipped.status(), StatusCode::OK);
            assert_eq!(zipped.headers()[CONTENT_ENCODING], "gzip");
            let bytes = zipped.bytes().await.unwrap();
            assert_eq!(&bytes[..2], &[0x1f, 0x8b], "a gzip stream");
        }

        // What must be true now is never kept.
        let health = app.get(&public, "/healthz").await;
        assert!(health.headers().get(ETAG).is_none());
    })
    .await;
}

#[tokio::test]
async fn a_kept_page_never_reaches_another_viewer() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let ota = app.staff(&admin, "suzuki@city.ota.example.jp", "ota").await;
        let sumida = app
            .staff(&admin, "sato@city.sumida.example.jp", "sumida")
            .await;
        let public = app.client();

        // A private company: the anonymous list is kept without it…
        let anonymous_list = app.text(&public, "/companies?city=ota").await;
        assert!(anonymous_list.contains("有限会社羽田精工"));
        assert!(!anonymous_list.contains("東糀谷工業株式会社"));
        // …its city's staff still see it in the same address…
        let staff_list = app.text(&ota, "/companies?city=ota").await;
        assert!(staff_list.contains("東糀谷工業株式会社"));
        // …and their page is not kept for the public.
        let profile = app.text(&ota, "/companies/ota-10").await;
        assert!(profile.contains("非公開情報"));
        let hidden = app.get(&public, "/companies/ota-10").await;
        assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
        let again = app.text(&public, "/companies?city=ota").await;
        assert!(!again.contains("東糀谷工業株式会社"));
        assert!(!again.contains("非公開情報"));

        // A signed-in page: the kept anonymous home page is not served to staff, and
        // the staff's page (their name, their sign-out form) not to the public.
        let (anonymous_tag, anonymous_home) = tagged(&app, &public, "/").await;
        assert!(!anonymous_home.contains("suzuki@city.ota.example.jp"));
        let (ota_tag, ota_home) = tagged(&app, &ota, "/").await;
        assert!(ota_home.contains("suzuki@city.ota.example.jp"));
        assert_ne!(ota_tag, anonymous_tag);
        let public_home = app.text(&public, "/").await;
        assert!(!public_home.contains("suzuki@city.ota.example.jp"));
        assert!(!public_home.contains("sato@city.sumida.example.jp"));

        // A signed-in viewer's reload is a 304 by their own tag only: another viewer
        // (or the public) sending it gets their own page.
        let (ota_events, _) = tagged(&app, &ota, "/events").await;
        let reload = revalidated(&app, &ota, "/events", &ota_events).await;
        assert_eq!(reload.status(), StatusCode::NOT_MODIFIED);
        let other = revalidated(&app, &sumida, "/events", &ota_events).await;
        assert_eq!(other.status(), StatusCode::OK);
        let other_page = other.text().await.unwrap();
        assert!(other_page.contains("sato@city.sumida.example.jp"));
        assert!(!other_page.contains("suzuki@city.ota.example.jp"));
        let stranger = revalidated(&app, &public, "/events", &ota_events).await;
        assert_eq!(stranger.status(), StatusCode::OK);
        assert!(
            !stranger
                .text()
                .await
                .unwrap()
                .contains("suzuki@city.ota.example.jp")
        );
        // The anonymous tag does not pass for a signed-in viewer either.
        let (public_events, _) = tagged(&app, &public, "/events").await;
        let signed_in = revalidated(&app, &ota, "/events", &public_events).await;
        assert_eq!(signed_in.status(), StatusCode::OK);
    })
    .await;
}
