//! Issue 15's "done when" for accounts people make themselves, end to end over HTTP
//! with `renkei serve` delivering to a real SMTP server (see `mail.rs`): a company
//! registers itself by 法人番号, 大田区's staff approve it, and its member signs in
//! and sees their company; every mail arrives with a working link and the outbox
//! shows it delivered.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::Value;
use store::outbox::MailStatus;
use store::testing::backends;
use store::{Store, accounts};

use crate::crash::{Server, client, meta_csrf, post};
use crate::mail::{Mailed, Sink, sink_python, wait_status};

const MEMBER_PASSWORD: &str = "ota-member-password-2026";

/// Signs in a staff account made on the command line's path (one-time password,
/// changed at the first login).
async fn staff(server: &Server, store: &Store, email: &str, organisation: &str) -> Client {
    let (_, one_time) = accounts::create_user(
        store,
        None,
        &accounts::NewUser {
            email: email.into(),
            display_name: String::new(),
            role: "staff".into(),
            organisation: organisation.into(),
            company: String::new(),
        },
    )
    .await
    .unwrap();
    let client = client();
    let login = post(
        server,
        &client,
        "/login",
        &[("email", email), ("password", &one_time)],
    )
    .await;
    assert_eq!(login, StatusCode::SEE_OTHER);
    let changed = post(
        server,
        &client,
        "/account/password",
        &[
            ("current_password", &one_time),
            ("new_password", "staff-password-2026"),
        ],
    )
    .await;
    assert_eq!(changed, StatusCode::SEE_OTHER);
    client
}

/// The one message whose subject starts with `subject`, once it arrived.
fn arrived(sink: &Sink, server: &Server, subject: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(found) = sink
            .received()
            .into_iter()
            .find(|m| m["subject"].as_str().unwrap_or("").starts_with(subject))
        {
            return found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no mail «{subject}» in {:#?}\n{}",
            sink.received(),
            server.log_tail()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The first absolute link of the platform in a mail's text.
fn link_in(mail: &Value, server: &Server, path: &str) -> String {
    let text = mail["text"].as_str().unwrap();
    let start = server.url(path);
    let from = text
        .find(&start)
        .unwrap_or_else(|| panic!("no {start} in {text}"));
    text[from..]
        .split(char::is_whitespace)
        .next()
        .unwrap()
        .to_owned()
}

async fn page(client: &Client, url: &str) -> (StatusCode, String) {
    let response = client.get(url).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// Posts a form to an absolute URL with the CSRF token of the page at that URL.
async fn submit(client: &Client, url: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let (_, html) = page(client, url).await;
    let token = meta_csrf(&html);
    let mut body = vec![("csrf_token", token.as_str())];
    body.extend_from_slice(fields);
    let response = client.post(url).form(&body).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_company_registers_itself_by_its_number_ota_approves_and_its_member_signs_in() {
    let Some(python) = sink_python() else { return };
    for backend in backends() {
        let Mailed {
            store,
            admin,
            server,
            database: _database,
            sink,
            scratch: _scratch,
        } = Mailed::start(&python, backend, "signup").await;
        let company = store::companies::get(&store, None, "ota-01").await.unwrap();
        let number = company.corporate_number.clone().unwrap();

        // A wrong check digit: a Japanese message, the typed number kept.
        let person = client();
        let wrong = format!("{}{}", (number.as_bytes()[0] - b'0' + 1) % 10, &number[1..]);
        let (status, html) = page(
            &person,
            &server.url(&format!("/signup/company?corporate_number={wrong}")),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        assert!(html.contains("チェックディジット"), "{html}");
        assert!(html.contains(&format!("value=\"{wrong}\"")));

        // The right number shows the company from the directory; the person applies.
        let lookup = server.url(&format!("/signup/company?corporate_number={number}"));
        let (status, html) = page(&person, &lookup).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(&company.name) && html.contains(&company.address));
        let email = "omori@ota-01.example.jp";
        let (status, _) = {
            let token = meta_csrf(&html);
            let response = person
                .post(server.url("/signup/company"))
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("corporate_number", number.as_str()),
                    ("name", "大森 太郎"),
                    ("email", email),
                    ("password", MEMBER_PASSWORD),
                    ("password_confirm", MEMBER_PASSWORD),
                ])
                .send()
                .await
                .unwrap();
            (response.status(), response.headers().clone())
        };
        assert_eq!(status, StatusCode::SEE_OTHER);

        // The confirmation mail arrives; its link works, once.
        let confirmation = arrived(&sink, &server, "【利用登録】メールアドレスの確認");
        assert_eq!(confirmation["rcpt_tos"][0], email);
        assert_eq!(confirmation["from_name"], "大田区");
        let link = link_in(&confirmation, &server, "/signup/confirm/");
        let (status, html) = submit(&person, &link, &[]).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("メールアドレスを確認しました"), "{html}");
        let again = person.get(&link).send().await.unwrap().status();
        assert_eq!(again, StatusCode::NOT_FOUND, "a used link");
        arrived(&sink, &server, "【利用登録】メールアドレスを確認しました");

        // 大田区's staff see it with its count; 墨田区's do not.
        let ota = staff(&server, &store, "staff@city.ota.example.jp", "ota").await;
        let sumida = staff(&server, &store, "staff@city.sumida.example.jp", "sumida").await;
        let (status, list) = page(&ota, &server.url("/admin/signups")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(list.contains("審査待ち 1件"), "{list}");
        assert!(list.contains(&company.name));
        let id = list
            .split("href=\"/admin/signups/")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        let (_, other) = page(&sumida, &server.url("/admin/signups")).await;
        assert!(
            !other.contains(&company.name),
            "墨田区 sees no 大田区 request"
        );
        let request = server.url(&format!("/admin/signups/{id}"));
        assert_eq!(page(&sumida, &request).await.0, StatusCode::NOT_FOUND);
        let refused = post(
            &server,
            &sumida,
            &format!("/admin/signups/{id}/approve"),
            &[],
        )
        .await;
        assert_eq!(refused, StatusCode::NOT_FOUND);
        let csv = ota
            .get(server.url("/admin/signups.csv?status=pending"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(csv.contains(&number) && csv.contains(email), "{csv}");

        // Approved: mailed; the member signs in and sees their company.
        let approved = post(&server, &ota, &format!("/admin/signups/{id}/approve"), &[]).await;
        assert_eq!(approved, StatusCode::SEE_OTHER);
        let approval = arrived(&sink, &server, "【利用登録】企業会員の登録を承認しました");
        assert_eq!(approval["rcpt_tos"][0], email);
        let login = link_in(&approval, &server, "/login");
        let member = client();
        let (_, html) = page(&member, &login).await;
        let token = meta_csrf(&html);
        let signed_in = member
            .post(&login)
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", email),
                ("password", MEMBER_PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "{backend:?}");
        let (status, own) = page(&member, &server.url("/companies/ota-01")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(own.contains("大森 太郎（大田区・企業会員）"), "{own}");
        assert!(
            own.contains("非公開情報（自社・担当団体の職員・事務局のみ表示）"),
            "the member sees their company's private part"
        );
        assert_eq!(
            page(&member, &server.url("/companies/ota-01/edit")).await.0,
            StatusCode::OK
        );

        // The outbox shows the messages delivered.
        wait_status(
            &store,
            "【利用登録】企業会員の登録を承認しました",
            MailStatus::Sent,
            &server,
        )
        .await;
        let (_, outbox) = page(&admin, &server.url("/admin/outbox")).await;
        for subject in [
            "【利用登録】メールアドレスの確認のお願い（企業会員）",
            "【利用登録】企業会員の登録を承認しました",
        ] {
            let row = outbox
                .split("<tr")
                .find(|row| row.contains(subject))
                .unwrap_or_else(|| panic!("{subject} not in {outbox}"));
            assert!(row.contains("送信済み"), "{row}");
        }
    }
}
