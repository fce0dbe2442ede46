//! The weekly digest over HTTP: anyone subscribes at /digest with cities and pillars
//! (bad input is a Japanese 422 that keeps what was typed), the confirmation mail
//! carries the link, its page has a button (mail scanners open links), the button
//! confirms once; the digest's one-click unsubscribe page is Japanese and its POST
//! stops the mail without a session or a CSRF token. A real browser visits the
//! same pages with axe-core.

use chrono::NaiveDate;
use fantoccini::Locator;
use reqwest::StatusCode;
use store::outbox::{self, MailMessage};

use crate::browser::{assert_accessible, browser_or_skip, fill, page_showing, submit, visit};
use crate::harness::{TestApp, on_each_backend};

const READER: &str = "reader@example.jp";

async fn mail_to(app: &TestApp, email: &str) -> Vec<MailMessage> {
    outbox::all(&app.store().await)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.recipient_email == email)
        .collect()
}

fn confirm_path(mail: &MailMessage) -> String {
    let at = mail
        .body_text
        .find("/digest/confirm/")
        .unwrap_or_else(|| panic!("no confirmation link in {}", mail.body_text));
    let token: String = mail.body_text[at + "/digest/confirm/".len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(
        token.len(),
        64,
        "a 256-bit link token in {}",
        mail.body_text
    );
    format!("/digest/confirm/{token}")
}

/// A seminar of 尼崎市 on 2030-10-15 (pillar 2), added by its staff.
async fn amagasaki_seminar(app: &TestApp) {
    let admin = app.admin().await;
    let amagasaki = app
        .staff(&admin, "tanaka@city.amagasaki.example.jp", "amagasaki")
        .await;
    let response = app
        .post_form(
            &amagasaki,
            "/events",
            &[
                ("organisation", "amagasaki"),
                ("title", "尼崎ものづくり承継セミナー"),
                ("event_type", "seminar"),
                ("city", "amagasaki"),
                ("pillars", "2"),
                ("start_date", "2030-10-15"),
                ("start_time", "13:30"),
                ("end_time", "16:00"),
                ("venue", "尼崎市中小企業センター"),
                ("address", "兵庫県尼崎市昭和通2-6-68"),
                ("capacity", "40"),
                ("description", "事業承継の体験談と個別相談。"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

/// The digest's mail to `email` for the week of 2030-10-14 (queued by the round).
async fn digest_mail(app: &TestApp, email: &str) -> MailMessage {
    let store = app.store().await;
    let round = store::digest::send_week(&store, NaiveDate::from_ymd_opt(2030, 10, 14).unwrap())
        .await
        .unwrap();
    assert_eq!(round.mails, 1, "{round:?}");
    mail_to(app, email)
        .await
        .into_iter()
        .find(|m| m.unsubscribe_token.is_some())
        .expect("the digest mail")
}

#[tokio::test]
async fn a_reader_subscribes_confirms_once_and_unsubscribes_in_one_click() {
    on_each_backend(|app| async move {
        amagasaki_seminar(&app).await;
        let public = app.client();
        let page = app.text(&public, "/digest").await;
        assert!(page.contains("週刊イベント情報のメール配信"));

        // Bad input: a Japanese 422 with everything typed kept.
        let response = app
            .post_form(
                &public,
                "/digest",
                &[
                    ("email", "reader-at-example"),
                    ("city", "amagasaki"),
                    ("city", "osaka"),
                    ("pillar", "2"),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{:?}",
            app.backend
        );
        let page = response.text().await.unwrap();
        assert!(page.contains("入力内容を確認してください"));
        assert!(page.contains("市区は一覧から選んでください"));
        assert!(page.contains("value=\"reader-at-example\""));
        assert!(page.contains("value=\"amagasaki\" checked"));
        assert!(page.contains("value=\"2\" checked"));
        assert!(mail_to(&app, "reader-at-example").await.is_empty());

        let response = app
            .post_form(
                &public,
                "/digest",
                &[("email", READER), ("city", "amagasaki"), ("pillar", "2")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()["location"], "/digest?done=requested");
        let page = app.text(&public, "/digest?done=requested").await;
        assert!(page.contains("確認メールをお送りしました"));

        // The confirmation mail carries the link; nothing is subscribed yet.
        let sent = mail_to(&app, READER).await;
        assert_eq!(sent.len(), 1);
        assert!(sent[0].subject.contains("週刊イベント情報の配信登録"));
        assert!(sent[0].body_text.contains("尼崎市"));
        let path = confirm_path(&sent[0]);
        assert!(
            sent[0]
                .body_text
                .contains(&format!("{}{path}", outbox::PUBLIC_URL)),
            "an absolute link"
        );
        let store = app.store().await;
        assert!(store::digest::subscribers(&store).await.unwrap().is_empty());

        // Opening the link changes nothing: a page with a button.
        let reader = app.client();
        let page = app.text(&reader, &path).await;
        assert!(page.contains("登録を確定する"));
        assert!(page.contains(READER) && page.contains("尼崎市"));
        assert!(store::digest::subscribers(&store).await.unwrap().is_empty());
        let response = app.post_form(&reader, &path, &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("週刊イベント情報の配信を登録しました")
        );
        assert_eq!(store::digest::subscribers(&store).await.unwrap().len(), 1);
        // A second press: the link is used.
        let response = app.post_form(&reader, &path, &[]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(response.text().await.unwrap().contains("使用済み"));

        // The digest carries a one-click link.
        let digest = digest_mail(&app, READER).await;
        assert!(digest.body_text.contains("尼崎ものづくり承継セミナー"));
        let unsubscribe = format!("/unsubscribe/{}", digest.unsubscribe_token.unwrap());
        let page = app.text(&app.client(), &unsubscribe).await;
        assert!(page.contains("配信を停止します") && page.contains("配信を停止する"));
        assert!(page.contains("週刊イベント情報"));
        // A mail provider's one-click POST: no session, no CSRF token.
        let response = reqwest::Client::new()
            .post(app.url(&unsubscribe))
            .form(&[("List-Unsubscribe", "One-Click")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("配信を停止しました")
        );
        assert!(store::digest::subscribers(&store).await.unwrap().is_empty());
        let page = app.text(&app.client(), &unsubscribe).await;
        assert!(page.contains("すでに停止しています"));
        // An unknown token is a Japanese 404.
        let unknown = app
            .get(&app.client(), &format!("/unsubscribe/{}", "0".repeat(40)))
            .await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn the_digest_pages_are_accessible_in_a_browser() {
    let Some((axe, _driver, browser)) = browser_or_skip().await else {
        return;
    };
    let app = TestApp::spawn_with(
        store::Backend::Sqlite,
        web::WebOptions {
            two_step_for_secretariat: false,
            ..web::WebOptions::default()
        },
    )
    .await;
    amagasaki_seminar(&app).await;
    visit(&browser, &axe, &app, "/digest").await;
    fill(&browser, "#email", READER).await;
    browser
        .find(Locator::Css("input[name=city][value=amagasaki]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&browser, "form[action='/digest'] button[type=submit]").await;
    page_showing(&browser, "確認メールをお送りしました").await;
    assert_accessible(&browser, &axe, "/digest?done=requested").await;

    let path = confirm_path(&mail_to(&app, READER).await[0]);
    visit(&browser, &axe, &app, &path).await;
    submit(&browser, "form.inline button[type=submit]").await;
    page_showing(&browser, "週刊イベント情報の配信を登録しました").await;
    assert_accessible(&browser, &axe, "digest confirmed").await;

    let digest = digest_mail(&app, READER).await;
    let unsubscribe = format!("/unsubscribe/{}", digest.unsubscribe_token.unwrap());
    visit(&browser, &axe, &app, &unsubscribe).await;
    submit(&browser, "form.inline button[type=submit]").await;
    page_showing(&browser, "配信を停止しました").await;
    assert_accessible(&browser, &axe, "unsubscribed").await;
}
