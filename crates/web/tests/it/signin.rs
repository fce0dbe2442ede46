//! Sign-in hardening (issue 21, finding 6): a refused login says when to try again,
//! an attacker's failures do not lock the owner out of a device they signed in from
//! before, failures at one address do not refuse everyone behind it, and a password
//! change ends the account's other sessions.

use futures::StreamExt;
use reqwest::{Client, Response, StatusCode};
use store::accounts::FAILURES_PER_CLIENT;

use crate::harness::{TestApp, on_each_backend};

const STAFF_PASSWORD: &str = "staff-password-2026";

async fn login(app: &TestApp, client: &Client, email: &str, password: &str) -> Response {
    app.post_form(
        client,
        "/login",
        &[("email", email), ("password", password)],
    )
    .await
}

/// `Retry-After` in seconds, checked to be within the lock window.
fn retry_after(response: &Response) -> u64 {
    let seconds: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds");
    assert!(
        (1..=15 * 60).contains(&seconds),
        "Retry-After {seconds} within the 15-minute window"
    );
    seconds
}

/// Wrong passwords for `count` addresses that have no account, from `client`'s
/// address, a few at a time (as a password sprayer would).
async fn spray(app: &TestApp, client: &Client, first: usize, count: usize) {
    // One session and its token first: sessions created by requests in flight at
    // once would replace each other's cookie.
    let token = app.csrf(client).await;
    let token = token.as_str();
    let statuses: Vec<StatusCode> = futures::stream::iter(first..first + count)
        .map(|i| async move {
            let email = format!("nobody{i}@example.jp");
            client
                .post(app.url("/login"))
                .form(&[
                    ("csrf_token", token),
                    ("email", email.as_str()),
                    ("password", "guess"),
                ])
                .send()
                .await
                .unwrap()
                .status()
        })
        .buffer_unordered(20)
        .collect()
        .await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_locked_login_answers_429_with_retry_after_and_says_when_to_try_again() {
    on_each_backend(|app| async move {
        let attacker = app.client();
        for _ in 0..5 {
            let response = login(&app, &attacker, "admin@renkei.local", "guess").await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
        let locked = login(&app, &attacker, "admin@renkei.local", "guess").await;
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
        let seconds = retry_after(&locked);
        let page = locked.text().await.unwrap();
        let minutes = seconds.div_ceil(60);
        assert!(
            page.contains(&format!("{minutes}分ほど待ってから再度お試しください")),
            "the page says when: {page}"
        );
        // An address without an account is locked the same way: nothing tells
        // whether the e-mail exists.
        for _ in 0..5 {
            let response = login(&app, &attacker, "nobody@renkei.local", "guess").await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
        let unknown = login(&app, &attacker, "nobody@renkei.local", "guess").await;
        assert_eq!(unknown.status(), StatusCode::TOO_MANY_REQUESTS);
        retry_after(&unknown);
    })
    .await;
}

#[tokio::test]
async fn an_attackers_wrong_passwords_do_not_lock_the_owner_out_of_a_known_device() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let email = "owner@city.ota.example.jp";
        // Signing in (and changing the one-time password) makes this browser known.
        let owner = app.staff(&admin, email, "ota").await;
        let out = app.post_form(&owner, "/logout", &[]).await;
        assert_eq!(out.status(), StatusCode::SEE_OTHER);

        let attacker = app.client();
        for _ in 0..5 {
            let response = login(&app, &attacker, email, "guess-guess-guess").await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
        // The attacker's browser is locked out, even with the right password.
        let locked = login(&app, &attacker, email, STAFF_PASSWORD).await;
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
        retry_after(&locked);
        // The owner's browser is not.
        let back = login(&app, &owner, email, STAFF_PASSWORD).await;
        assert_eq!(
            back.status(),
            StatusCode::SEE_OTHER,
            "owner on a known device"
        );
        assert_eq!(back.headers()["location"], "/initiatives?done=signed-in");
        assert_eq!(
            app.get(&owner, "/account/password").await.status(),
            StatusCode::OK
        );
    })
    .await;
}

#[tokio::test]
async fn failures_at_one_address_refuse_neither_its_known_devices_nor_everyone_behind_it() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let known_email = "known@city.ota.example.jp";
        let known = app.staff(&admin, known_email, "ota").await;
        app.post_form(&known, "/logout", &[]).await;
        let newcomer_password = app
            .create_staff(&admin, "newcomer@city.ota.example.jp", "ota")
            .await;
        let latecomer_password = app
            .create_staff(&admin, "latecomer@city.ota.example.jp", "ota")
            .await;
        let sprayer = app.client();

        // Thirty failures (the old limit) from this address: a colleague behind the
        // same NAT, on a browser never used here, still signs in.
        spray(&app, &sprayer, 0, 30).await;
        let newcomer = app.client();
        let response = login(
            &app,
            &newcomer,
            "newcomer@city.ota.example.jp",
            &newcomer_password,
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "after 30 failures"
        );

        // At the per-address limit, unknown devices at the address are refused ...
        spray(&app, &sprayer, 30, FAILURES_PER_CLIENT as usize - 30).await;
        let latecomer = app.client();
        let refused = login(
            &app,
            &latecomer,
            "latecomer@city.ota.example.jp",
            &latecomer_password,
        )
        .await;
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        retry_after(&refused);
        // ... but a known device with the right password is not, and waits for nothing.
        let started = std::time::Instant::now();
        let back = login(&app, &known, known_email, STAFF_PASSWORD).await;
        assert_eq!(back.status(), StatusCode::SEE_OTHER, "known device");
        assert!(
            started.elapsed() < std::time::Duration::from_millis(2_500),
            "no delay for a known device: {:?}",
            started.elapsed()
        );
    })
    .await;
}

#[tokio::test]
async fn changing_the_password_ends_the_accounts_other_sessions() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let email = "moved@city.ota.example.jp";
        let here = app.staff(&admin, email, "ota").await;
        let elsewhere = app.sign_in(email, STAFF_PASSWORD).await;
        assert_eq!(
            app.get(&elsewhere, "/account/password").await.status(),
            StatusCode::OK
        );
        let api = |client: &Client| {
            client
                .get(app.url("/api/v1/forms/ota-survey/results"))
                .send()
        };
        let before = api(&elsewhere).await.unwrap().status();
        assert_ne!(before, StatusCode::UNAUTHORIZED, "signed in before");

        let changed = app
            .post_form(
                &here,
                "/account/password",
                &[
                    ("current_password", STAFF_PASSWORD),
                    ("new_password", "a-new-staff-password-2026"),
                ],
            )
            .await;
        assert_eq!(changed.status(), StatusCode::SEE_OTHER);

        // The other session is over: pages send it to the login, the API says 401.
        let page = app.get(&elsewhere, "/account/password").await;
        assert_eq!(page.status(), StatusCode::SEE_OTHER);
        assert_eq!(page.headers()["location"], "/login");
        let after = api(&elsewhere).await.unwrap().status();
        assert_eq!(after, StatusCode::UNAUTHORIZED);
        // The session that changed the password goes on.
        assert_eq!(
            app.get(&here, "/account/password").await.status(),
            StatusCode::OK
        );
        // The new password signs in; the old one does not.
        let old = login(&app, &app.client(), email, STAFF_PASSWORD).await;
        assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
        app.sign_in(email, "a-new-staff-password-2026").await;
    })
    .await;
}
