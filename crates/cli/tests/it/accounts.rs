//! Accounts by mail end to end, through `renkei serve` and a real SMTP server
//! (`scripts/smtp-sink.py`): the secretariat invites a 川口市 clerk, who signs up
//! through the mailed link and invites a member of a 川口市 company, who signs up
//! too and is that company's member; another city's company is refused. The member
//! forgets the password, gets the reset mail, sets a new password through its link
//! and is signed in, while the old session ends and the link works no second time;
//! an unknown address gets the same answer and no mail.

use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use store::Store;
use store::outbox::{self, MailStatus};
use store::testing::backends;

use crate::crash::{Server, client, meta_csrf};
use crate::mail::{Mailed, sink_python};

/// What a form post answered: status, where it leads, the page.
struct Answer {
    status: StatusCode,
    location: String,
    page: String,
}

/// Posts a form to `path` with the CSRF token of the page at `from`.
async fn send(
    server: &Server,
    client: &Client,
    from: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> Answer {
    let page = client.get(server.url(from)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "GET {from}");
    let token = meta_csrf(&page.text().await.unwrap());
    let mut body = vec![("csrf_token", token.as_str())];
    body.extend_from_slice(fields);
    let response = client
        .post(server.url(path))
        .form(&body)
        .send()
        .await
        .unwrap();
    Answer {
        status: response.status(),
        location: response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned(),
        page: response.text().await.unwrap(),
    }
}

/// The link to `path…` in the one message to `to` among those received.
fn link_in(received: &[serde_json::Value], to: &str, path: &str) -> String {
    let message = received
        .iter()
        .find(|m| m["rcpt_tos"][0] == to)
        .unwrap_or_else(|| panic!("no mail to {to} in {received:#?}"));
    let text = message["text"].as_str().unwrap();
    let at = text
        .find(path)
        .unwrap_or_else(|| panic!("{path} in {text}"));
    let start = text[..at].rfind("http").unwrap();
    text[start..].split_whitespace().next().unwrap().to_owned()
}

async fn get(client: &Client, url: &str) -> (StatusCode, String) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// Waits until no message is queued or sending (each has been delivered or failed).
async fn wait_all_sent(store: &Store, server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = outbox::all(store).await.unwrap();
        if rows.iter().all(|m| m.status == MailStatus::Sent) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{rows:#?}\n{}",
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn invitations_and_a_password_reset_arrive_by_smtp_and_their_links_sign_people_in() {
    let Some(python) = sink_python() else { return };
    for backend in backends() {
        let Mailed {
            store,
            admin,
            server,
            database: _database,
            sink,
            scratch: _scratch,
        } = Mailed::start(&python, backend, "accounts").await;

        // The secretariat invites a clerk of 川口市.
        let invited = send(
            &server,
            &admin,
            "/invitations",
            "/invitations",
            &[
                ("email", "clerk@city.kawaguchi.example.jp"),
                ("display_name", "川口 一郎"),
                ("role", "staff"),
                ("organisation", "kawaguchi"),
            ],
        )
        .await;
        assert_eq!(
            invited.status,
            StatusCode::SEE_OTHER,
            "{backend:?}: {}",
            invited.page
        );
        let received = sink.wait_for(1, Duration::from_secs(60), &server);
        let invitation = &received[0];
        assert_eq!(
            invitation["subject"],
            "【renkei】中小企業都市連絡協議会からの招待：アカウントの登録"
        );
        assert_eq!(
            invitation["to"],
            "川口 一郎 <clerk@city.kawaguchi.example.jp>"
        );
        let link = link_in(
            &received,
            "clerk@city.kawaguchi.example.jp",
            "/invitations/accept/",
        );
        assert!(
            link.starts_with(&server.url("/invitations/accept/")),
            "{link}"
        );
        let clerk = client();
        let (status, page) = get(&clerk, &link).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("川口市") && page.contains("市区・商工会議所職員"),
            "{page}"
        );
        let path = link.strip_prefix(&server.url("")).unwrap();
        let accepted = send(
            &server,
            &clerk,
            path,
            path,
            &[
                ("display_name", "川口 一郎"),
                ("password", "kawaguchi-clerk-2026"),
            ],
        )
        .await;
        assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.page);
        assert_eq!(accepted.location, "/initiatives?done=welcome");
        let (_, home) = get(&clerk, &server.url("/initiatives?done=welcome")).await;
        assert!(
            home.contains("川口 一郎（川口市・市区・商工会議所職員）"),
            "{home}"
        );
        let (status, page) = get(&clerk, &link).await;
        assert_eq!(status, StatusCode::GONE, "{backend:?}: one use only");
        assert!(page.contains("この招待は既に使われ"), "{page}");

        // The clerk invites a member of a 川口市 company; not one of 大田区's.
        let elsewhere = send(
            &server,
            &clerk,
            "/invitations",
            "/invitations",
            &[
                ("email", "x@ota.example.jp"),
                ("role", "company"),
                ("company", "ota-01"),
            ],
        )
        .await;
        assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
        assert!(
            elsewhere.page.contains("大田区の職員または協議会事務局"),
            "{}",
            elsewhere.page
        );
        assert!(
            elsewhere.page.contains("x@ota.example.jp"),
            "what was typed is kept"
        );
        let invited = send(
            &server,
            &clerk,
            "/invitations?company=kawaguchi-01",
            "/invitations",
            &[
                ("email", "member@sakae.example.jp"),
                ("display_name", "栄町 花子"),
                ("role", "company"),
                ("company", "kawaguchi-01"),
            ],
        )
        .await;
        assert_eq!(invited.status, StatusCode::SEE_OTHER, "{}", invited.page);
        let received = sink.wait_for(2, Duration::from_secs(60), &server);
        let link = link_in(&received, "member@sakae.example.jp", "/invitations/accept/");
        let member = client();
        let path = link.strip_prefix(&server.url("")).unwrap().to_owned();
        let accepted = send(
            &server,
            &member,
            &path,
            &path,
            &[
                ("display_name", "栄町 花子"),
                ("password", "sakae-member-2026"),
            ],
        )
        .await;
        assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.page);
        let (status, _) = get(&member, &server.url("/companies/kawaguchi-01/edit")).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{backend:?}: the member edits the company"
        );
        let (status, _) = get(&member, &server.url("/invitations")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "members do not invite");

        // The member forgets the password.
        let visitor = client();
        let (status, login) = get(&visitor, &server.url("/login")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(login.contains("href=\"/password/forgot\""));
        let known = send(
            &server,
            &visitor,
            "/password/forgot",
            "/password/forgot",
            &[("email", "member@sakae.example.jp")],
        )
        .await;
        let unknown = send(
            &server,
            &visitor,
            "/password/forgot",
            "/password/forgot",
            &[("email", "nobody@sakae.example.jp")],
        )
        .await;
        assert_eq!(known.status, StatusCode::OK);
        assert_eq!(unknown.status, StatusCode::OK);
        let main = |page: &str| {
            page[page.find("<main").unwrap()..page.find("</main>").unwrap()].to_owned()
        };
        assert_eq!(
            main(&known.page).replace("member@", "nobody@"),
            main(&unknown.page),
            "{backend:?}: the same answer either way"
        );
        let received = sink.wait_for(3, Duration::from_secs(60), &server);
        let reset = received
            .iter()
            .find(|m| m["subject"] == "【renkei】パスワード再設定のご案内")
            .unwrap();
        assert_eq!(reset["rcpt_tos"][0], "member@sakae.example.jp");
        assert_eq!(reset["from_name"], "中小企業都市連絡協議会");
        let link = link_in(
            &received[2..],
            "member@sakae.example.jp",
            "/password/reset/",
        );
        let (status, page) = get(&visitor, &link).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("member@sakae.example.jp"));
        let path = link.strip_prefix(&server.url("")).unwrap().to_owned();
        let short = send(
            &server,
            &visitor,
            &path,
            &path,
            &[("new_password", "short")],
        )
        .await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(short.page.contains("12文字以上"), "{}", short.page);
        let done = send(
            &server,
            &visitor,
            &path,
            &path,
            &[("new_password", "sakae-new-password-2026")],
        )
        .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.page);
        assert_eq!(done.location, "/initiatives?done=reset");
        let (_, home) = get(&visitor, &server.url("/initiatives?done=reset")).await;
        assert!(
            home.contains("新しいパスワードを設定し、ログインしました"),
            "{home}"
        );
        assert!(
            home.contains("栄町 花子（川口市・企業会員）"),
            "{backend:?}: signed in"
        );
        // The session signed in before the reset is over.
        let old = member
            .get(server.url("/companies/kawaguchi-01/edit"))
            .send()
            .await
            .unwrap();
        assert_eq!(old.status(), StatusCode::SEE_OTHER);
        assert_eq!(old.headers()["location"], "/login");
        let (status, page) = get(&client(), &link).await;
        assert_eq!(status, StatusCode::GONE, "{backend:?}: used once");
        assert!(
            page.contains("既に使われています") && page.contains("/password/forgot"),
            "{page}"
        );
        let again = send(
            &server,
            &client(),
            "/login",
            &path,
            &[("new_password", "yet-another-password-2026")],
        )
        .await;
        assert_eq!(again.status, StatusCode::GONE);
        let fresh = client();
        let signed = send(
            &server,
            &fresh,
            "/login",
            "/login",
            &[
                ("email", "member@sakae.example.jp"),
                ("password", "sakae-new-password-2026"),
            ],
        )
        .await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER);

        wait_all_sent(&store, &server).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            sink.received().len(),
            3,
            "{backend:?}: nothing for the unknown address, nothing twice"
        );
        let (_, outbox_page) = get(&admin, &server.url("/admin/outbox")).await;
        assert_eq!(
            outbox_page.matches("送信済み</td>").count(),
            3,
            "{outbox_page}"
        );
        let (_, audit) = get(&admin, &server.url("/admin/audit?entity=user")).await;
        assert!(audit.contains("パスワード再設定"), "{audit}");
    }
}
