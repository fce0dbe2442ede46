//! A real headless Chromium through the mail flows of accounts, with axe-core on
//! every page: a clerk who forgot the password asks for a link at
//! 「パスワードを忘れた方」, the mail is written as an `.eml` file by the platform's
//! own sender, the link leads to the new-password form, and the clerk is signed
//! in; the link then says it is used. The clerk invites a member of a company, the
//! invitation's `.eml` link leads to the sign-up form, and the member is signed in.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use fantoccini::Locator;

use crate::browser::{assert_accessible, browser_or_skip, fill, page_showing, submit, visit};
use crate::harness::TestApp;

/// The text of an `.eml` file's single text part (base64, quoted-printable or
/// plain, as lettre chose).
fn eml_text(eml: &str) -> String {
    let eml = eml.replace("\r\n", "\n");
    let (headers, body) = eml.split_once("\n\n").unwrap_or((&eml, ""));
    let encoding = headers
        .lines()
        .find_map(|l| l.strip_prefix("Content-Transfer-Encoding: "))
        .unwrap_or("7bit")
        .trim()
        .to_ascii_lowercase();
    match encoding.as_str() {
        "base64" => {
            let joined: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(joined)
                    .expect("base64 body"),
            )
            .expect("UTF-8 text")
        }
        "quoted-printable" => {
            let unwrapped = body.replace("=\n", "");
            let mut bytes = Vec::new();
            let mut rest = unwrapped.as_bytes();
            while let Some((&b, tail)) = rest.split_first() {
                if b == b'='
                    && tail.len() >= 2
                    && let Ok(byte) =
                        u8::from_str_radix(std::str::from_utf8(&tail[..2]).unwrap_or("zz"), 16)
                {
                    bytes.push(byte);
                    rest = &tail[2..];
                    continue;
                }
                bytes.push(b);
                rest = tail;
            }
            String::from_utf8(bytes).expect("UTF-8 text")
        }
        _ => body.to_owned(),
    }
}

/// Waits for the `n`th `.eml` file in `dir` and returns the link to `path…` in it.
async fn mailed_link(dir: &Path, n: usize, path: &str) -> String {
    for _ in 0..300 {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        if files.len() >= n {
            let text = eml_text(&std::fs::read_to_string(&files[n - 1]).unwrap());
            let at = text
                .find(path)
                .unwrap_or_else(|| panic!("{path} in the mail:\n{text}"));
            let start = text[..at].rfind("http").unwrap();
            return text[start..].split_whitespace().next().unwrap().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no mail number {n} in {}", dir.display());
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_the_mailed_link_and_an_invitee_signs_up() {
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
    let store = app.store().await;
    store::accounts::create_user(
        &store,
        None,
        &store::accounts::NewUser {
            email: "forgetful@city.kawaguchi.example.jp".into(),
            display_name: "川口 忘子".into(),
            role: "staff".into(),
            organisation: "kawaguchi".into(),
            company: String::new(),
        },
    )
    .await
    .unwrap();
    // The platform's own sender, writing .eml files as `renkei serve` does without
    // --smtp-url.
    let mail_dir = std::env::temp_dir().join(format!(
        "renkei-browser-mail-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let sender = web::mail::Sender::new(web::mail::MailOptions {
        public_url: app.base.clone(),
        mail_dir: mail_dir.clone(),
        per_minute: 6000,
        poll: Duration::from_millis(50),
        ..Default::default()
    })
    .unwrap();
    let sending = tokio::spawn(sender.run(app.store().await));

    visit(&browser, &axe, &app, "/login").await;
    browser
        .find(Locator::LinkText("パスワードを忘れた方"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_showing(&browser, "パスワードを再設定するためのリンク").await;
    assert_accessible(&browser, &axe, "/password/forgot").await;
    fill(&browser, "#email", "forgetful@city.kawaguchi.example.jp").await;
    submit(
        &browser,
        "form[action='/password/forgot'] button[type=submit]",
    )
    .await;
    page_showing(&browser, "メールをご確認ください").await;
    assert_accessible(&browser, &axe, "reset link sent").await;

    let link = mailed_link(&mail_dir, 1, "/password/reset/").await;
    assert!(link.starts_with(&app.url("/password/reset/")), "{link}");
    browser.goto(&link).await.unwrap();
    page_showing(&browser, "新しいパスワードの設定").await;
    assert_accessible(&browser, &axe, "/password/reset/{token}").await;
    // Too short (the browser's own check removed): the server says so, accessibly.
    browser
        .execute(
            "document.getElementById('new_password').removeAttribute('minlength'); return true;",
            vec![],
        )
        .await
        .unwrap();
    fill(&browser, "#new_password", "short").await;
    submit(&browser, "form.stack button[type=submit]").await;
    page_showing(&browser, "12文字以上にしてください").await;
    assert_accessible(&browser, &axe, "reset form with an error").await;
    fill(&browser, "#new_password", "remembered-at-last-2026").await;
    submit(&browser, "form.stack button[type=submit]").await;
    let page = page_showing(&browser, "新しいパスワードを設定し、ログインしました").await;
    assert!(
        page.contains("川口 忘子（川口市・市区・商工会議所職員）"),
        "signed in"
    );
    assert_accessible(&browser, &axe, "signed in after the reset").await;
    browser.goto(&link).await.unwrap();
    page_showing(&browser, "既に使われています").await;
    assert_accessible(&browser, &axe, "a used reset link").await;

    // The clerk invites a member of 川口-01 from the company's page.
    visit(&browser, &axe, &app, "/companies/kawaguchi-01").await;
    browser
        .find(Locator::LinkText("この企業のメンバーを招待"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_showing(&browser, "招待を送る").await;
    assert_accessible(&browser, &axe, "/invitations?company=kawaguchi-01").await;
    fill(&browser, "#email", "newcomer@sakae.example.jp").await;
    fill(&browser, "#display_name", "栄町 新人").await;
    submit(&browser, "form[action='/invitations'] button[type=submit]").await;
    page_showing(&browser, "招待メールを送信しました").await;
    assert_accessible(&browser, &axe, "invitation list").await;

    let link = mailed_link(&mail_dir, 2, "/invitations/accept/").await;
    browser.goto(&link).await.unwrap();
    page_showing(&browser, "招待によるアカウント登録").await;
    assert_accessible(&browser, &axe, "/invitations/accept/{token}").await;
    fill(&browser, "#password", "newcomer-password-2026").await;
    submit(&browser, "form.stack button[type=submit]").await;
    let page = page_showing(&browser, "アカウントの登録が完了し、ログインしました").await;
    assert!(
        page.contains("栄町 新人（川口市・企業会員）"),
        "signed in as the member"
    );
    assert_accessible(&browser, &axe, "signed in after the invitation").await;

    sending.abort();
    let _ = std::fs::remove_dir_all(&mail_dir);
    browser.close().await.unwrap();
}

/// The secretariat of a deployment as `renkei serve` runs it (two-step sign-in
/// required): the first sign-in replaces the one-time password, leads to the
/// enrolment page (QR code and secret), a code computed from the secret shown
/// confirms it, the recovery codes are shown once; after signing out, the password
/// leads to the code form and a computed code signs in. axe-core on every page.
#[tokio::test]
async fn the_secretariat_enrols_in_two_step_sign_in_and_signs_in_with_a_computed_code() {
    let Some((axe, _driver, browser)) = browser_or_skip().await else {
        return;
    };
    let app = TestApp::spawn_with(store::Backend::Sqlite, web::WebOptions::default()).await;
    visit(&browser, &axe, &app, "/login").await;
    fill(&browser, "#email", "admin@renkei.local").await;
    fill(&browser, "#password", &app.admin_password).await;
    submit(&browser, "form[action='/login'] button[type=submit]").await;
    page_showing(&browser, "初回ログインです").await;
    assert_accessible(&browser, &axe, "/account/password").await;
    fill(&browser, "#current_password", &app.admin_password).await;
    fill(&browser, "#new_password", "council-secretariat-2026").await;
    submit(
        &browser,
        "form[action='/account/password'] button[type=submit]",
    )
    .await;
    page_showing(&browser, "このアカウントでは二段階認証が必須です").await;
    assert_accessible(&browser, &axe, "/account/two-step (enrolment)").await;
    // Anything else leads back here until enrolled.
    browser.goto(&app.url("/admin/users")).await.unwrap();
    page_showing(&browser, "このアカウントでは二段階認証が必須です").await;

    let secret = browser
        .find(Locator::Css("#two-step-secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        browser
            .find(Locator::Css("figure.qr-code svg[role=img]"))
            .await
            .is_ok(),
        "the QR code is drawn in the page"
    );
    // A wrong code first: said clearly, accessibly.
    fill(&browser, "#code", "000000").await;
    submit(
        &browser,
        "form[action='/account/two-step'] button[type=submit]",
    )
    .await;
    page_showing(&browser, "確認コードが正しくありません").await;
    assert_accessible(&browser, &axe, "enrolment with a wrong code").await;
    fill(&browser, "#code", &crate::two_step::code(&secret, 0)).await;
    submit(
        &browser,
        "form[action='/account/two-step'] button[type=submit]",
    )
    .await;
    let page = page_showing(&browser, "二度と表示されません").await;
    assert_eq!(page.matches("<li><code>").count(), 10, "ten recovery codes");
    assert_accessible(&browser, &axe, "recovery codes").await;
    visit(&browser, &axe, &app, "/admin/two-step").await;

    crate::browser::sign_out(&browser).await;
    browser.goto(&app.url("/login")).await.unwrap();
    fill(&browser, "#email", "admin@renkei.local").await;
    fill(&browser, "#password", "council-secretariat-2026").await;
    submit(&browser, "form[action='/login'] button[type=submit]").await;
    page_showing(&browser, "確認コードの入力").await;
    assert_accessible(&browser, &axe, "/login/two-step").await;
    fill(&browser, "#code", &crate::two_step::code(&secret, 1)).await;
    submit(
        &browser,
        "form[action='/login/two-step'] button[type=submit]",
    )
    .await;
    page_showing(&browser, "ログインしました").await;
    assert_accessible(&browser, &axe, "signed in with two steps").await;
    visit(&browser, &axe, &app, "/admin/users").await;
}
