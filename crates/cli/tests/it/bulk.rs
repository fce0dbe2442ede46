//! The done-when for survey mail, over real processes and real SMTP: 川口市's
//! staff upload a list of 1,000 establishments and send them a survey by mail;
//! exactly 1,000 messages arrive at the SMTP server (aiosmtpd), each with its own
//! Message-ID, no recipient twice, with List-Unsubscribe and one-click
//! List-Unsubscribe-Post, and their answer links open over HTTP. One establishment
//! answers, another (the same one) uses the one-click unsubscribe without a session;
//! the reminder round reaches exactly the 999 who have not answered. On PostgreSQL
//! two `renkei serve` processes share the database and the outbox; on SQLite one.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use domain::forms::{
    Eligibility, FormDefinition, FormPurpose, Period, Question, QuestionKind, Section,
};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use store::Store;
use store::accounts::{self, NewUser};
use store::testing::{TestDatabase, backends};

use crate::crash::{Server, client, meta_csrf};
use crate::mail::{Scratch, Sink, mail_flags, sink_python};

const KEY: &str = "kawaguchi-mail-1000";
const TITLE: &str = "事業承継・人材確保に関するアンケート";
const STAFF: &str = "chosa@city.kawaguchi.example.jp";
const STAFF_PASSWORD: &str = "kawaguchi-chosa-2026";

fn establishments() -> String {
    let mut csv =
        String::from("会社名,フリガナ,市区町村,住所,業種,従業員数,担当者,メールアドレス\n");
    for i in 0..1000 {
        csv.push_str(&format!(
            "株式会社川口メール{i:04},カワグチメール,川口市,埼玉県川口市本町{}-1,24,{},総務 担当{i},soumu{i}@mail{i:04}.example.jp\n",
            i % 9 + 1,
            i % 280 + 1,
        ));
    }
    csv
}

async fn survey(store: &Store, staff: &domain::Actor) {
    let definition = FormDefinition {
        sections: vec![Section {
            title: "事業承継".into(),
            help: String::new(),
            questions: vec![Question {
                id: "note".into(),
                label: "ご意見".into(),
                help: String::new(),
                required: false,
                kind: QuestionKind::Text { max_chars: 200 },
                show_if: None,
                area: None,
            }],
        }],
        scoring: None,
    };
    store::forms::create(
        store,
        staff,
        "kawaguchi",
        &store::forms::FormDraft {
            key: KEY.into(),
            purpose: FormPurpose::Survey,
            title: TITLE.into(),
            description: String::new(),
            definition,
            eligibility: Eligibility::default(),
            award_year: None,
            period: Period::default(),
        },
    )
    .await
    .unwrap();
}

/// 川口市's staff, signed in with their own password.
async fn staff_client(server: &Server, store: &Store) -> (reqwest::Client, domain::Actor) {
    let (user, one_time) = accounts::create_user(
        store,
        None,
        &NewUser {
            email: STAFF.into(),
            display_name: "調査担当".into(),
            role: "staff".into(),
            organisation: "kawaguchi".into(),
            company: String::new(),
        },
    )
    .await
    .unwrap();
    let staff = client();
    let page = staff.get(server.url("/login")).send().await.unwrap();
    let csrf = meta_csrf(&page.text().await.unwrap());
    let signed_in = staff
        .post(server.url("/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", STAFF),
            ("password", &one_time),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let changed = post_form(
        server,
        &staff,
        "/account/password",
        "/account/password",
        &[
            ("current_password", &one_time),
            ("new_password", STAFF_PASSWORD),
        ],
    )
    .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    (staff, user.actor())
}

/// Posts a form with the CSRF token of the page at `page`.
async fn post_form(
    server: &Server,
    client: &reqwest::Client,
    page: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = client.get(server.url(page)).send().await.unwrap();
    let csrf = meta_csrf(&html.text().await.unwrap());
    let mut body = vec![("csrf_token", csrf.as_str())];
    body.extend_from_slice(fields);
    client
        .post(server.url(path))
        .form(&body)
        .send()
        .await
        .unwrap()
}

/// One message as it arrived: the sink's summary and the raw headers of its .eml.
struct Arrived {
    summary: Value,
    headers: Vec<(String, String)>,
}

impl Arrived {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn recipient(&self) -> &str {
        self.summary["rcpt_tos"][0].as_str().unwrap()
    }

    fn text(&self) -> &str {
        self.summary["text"].as_str().unwrap()
    }
}

fn json_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Unfolded header lines of a raw message.
fn headers_of(eml: &str) -> Vec<(String, String)> {
    let head = eml.split("\r\n\r\n").next().unwrap_or("");
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push_str(line.trim_start());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
    }
    headers
}

/// Waits until `n` messages have arrived, then a moment more (to see none extra).
fn arrived(dir: &std::path::Path, n: usize, servers: &[Server]) -> Vec<Arrived> {
    let deadline = Instant::now() + Duration::from_secs(600);
    while json_files(dir).len() < n {
        assert!(
            Instant::now() < deadline,
            "{} of {n} messages arrived\n{}",
            json_files(dir).len(),
            servers[0].log_tail()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(2));
    json_files(dir)
        .into_iter()
        .map(|path| {
            let summary: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let eml = std::fs::read_to_string(path.with_extension("eml")).unwrap();
            Arrived {
                summary,
                headers: headers_of(&eml),
            }
        })
        .collect()
}

fn answer_link(text: &str) -> String {
    let at = text.find("http://").unwrap();
    let link: String = text[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert!(link.contains("/s/"), "{link}");
    link
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kawaguchi_mails_a_survey_to_1000_establishments_and_reminds_only_the_999_who_have_not_answered()
 {
    let Some(python) = sink_python() else { return };
    if std::env::var_os("RENKEI_TEST_POSTGRES").is_none() {
        eprintln!(
            "two `renkei serve` processes on PostgreSQL skipped: set RENKEI_TEST_POSTGRES (SQLite with one process runs)"
        );
    }
    for backend in backends() {
        let scratch = Scratch::new("bulk");
        let sink = Sink::start(&python, 0, &scratch.path("smtp"), None);
        let smtp_dir = scratch.path("smtp");
        let database = TestDatabase::create(backend).await.unwrap();
        let smtp_url = sink.url();
        let mut flags = mail_flags(&smtp_url);
        flags.extend(["--weekly-digest", "off"]);
        let processes = if backend == store::Backend::Postgres {
            2
        } else {
            1
        };
        let servers: Vec<Server> = (0..processes)
            .map(|i| {
                Server::start_with(
                    &database.url,
                    &scratch.path(&format!("server{i}.log")),
                    &flags,
                )
                .server
            })
            .collect();
        let store = Store::connect(&database.url).await.unwrap();
        let (staff, actor) = staff_client(&servers[0], &store).await;
        survey(&store, &actor).await;

        // The upload, from the tracking page, with "mail each establishment" ticked.
        let page = staff
            .get(servers[0].url(&format!("/forms/{KEY}/survey")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("各社に回答リンクをメールで送る"), "{page}");
        let csrf = meta_csrf(&page);
        let form = Form::new().text("mail", "1").part(
            "file",
            Part::bytes(establishments().into_bytes()).file_name("jigyosho.csv"),
        );
        let started = Instant::now();
        let uploaded = staff
            .post(servers[0].url(&format!("/forms/{KEY}/survey/upload?csrf_token={csrf}")))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status(), StatusCode::OK, "{backend:?}");
        let report = uploaded.text().await.unwrap();
        assert!(
            report.contains("<dt>新たに配布</dt><dd>1000社</dd>"),
            "{report}"
        );
        assert!(
            report.contains("案内メールを1000通、送信待ちにしました"),
            "{report}"
        );
        assert!(report.contains("href=\"/admin/outbox\""));

        let invitations = arrived(&smtp_dir, 1000, &servers);
        eprintln!(
            "{backend:?}: 1000 invitations delivered by {processes} process(es) in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        assert_eq!(invitations.len(), 1000, "{backend:?}: exactly 1,000");
        let ids: BTreeSet<&str> = invitations
            .iter()
            .map(|m| m.summary["message_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 1000, "{backend:?}: distinct Message-IDs");
        let recipients: BTreeSet<&str> = invitations.iter().map(Arrived::recipient).collect();
        assert_eq!(recipients.len(), 1000, "{backend:?}: no recipient twice");
        for mail in &invitations {
            assert_eq!(mail.summary["subject"], format!("【調査のお願い】{TITLE}"));
            assert_eq!(mail.summary["from_name"], "川口市");
            assert_eq!(
                mail.header("List-Unsubscribe-Post"),
                Some("List-Unsubscribe=One-Click")
            );
            let unsubscribe = mail.header("List-Unsubscribe").unwrap();
            assert!(
                unsubscribe.starts_with("<http://127.0.0.1:")
                    && unsubscribe.contains("/unsubscribe/"),
                "{unsubscribe}"
            );
            assert!(mail.text().contains("配信を停止できます"));
        }

        // A few answer links open over HTTP, for their own company, without signing in.
        let anonymous = client();
        for mail in invitations.iter().step_by(333) {
            let link = answer_link(mail.text());
            let page = anonymous.get(&link).send().await.unwrap();
            assert_eq!(page.status(), StatusCode::OK, "{link}");
            let html = page.text().await.unwrap();
            assert!(html.contains(TITLE), "{html}");
        }

        // One answers through its link ...
        let answering = &invitations[0];
        let link = answer_link(answering.text());
        let html = anonymous
            .get(&link)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = meta_csrf(&html);
        let submitted = anonymous
            .post(&link)
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("note", "後継者は決まっています"),
                ("intent", "submit"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(submitted.status(), StatusCode::SEE_OTHER, "{backend:?}");
        // ... and the same establishment's mail provider uses the one-click
        // unsubscribe: no session, no CSRF token (RFC 8058).
        let one_click = answering
            .header("List-Unsubscribe")
            .unwrap()
            .trim_matches(['<', '>']);
        let stranger = reqwest::Client::new();
        let confirm = stranger.get(one_click).send().await.unwrap();
        assert_eq!(confirm.status(), StatusCode::OK);
        assert!(confirm.text().await.unwrap().contains("配信を停止する"));
        let stopped = stranger
            .post(one_click)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(stopped.status(), StatusCode::OK, "{backend:?}");
        assert!(stopped.text().await.unwrap().contains("配信を停止しました"));

        // The reminder round reaches exactly the 999 who have not answered.
        let reminded = post_form(
            &servers[processes - 1],
            &staff,
            &format!("/forms/{KEY}/survey"),
            &format!("/forms/{KEY}/survey/remind"),
            &[("mail", "1")],
        )
        .await;
        assert_eq!(reminded.status(), StatusCode::SEE_OTHER, "{backend:?}");
        let everything = arrived(&smtp_dir, 1999, &servers);
        assert_eq!(everything.len(), 1999, "{backend:?}: nothing sent twice");
        let reminders: Vec<&Arrived> = everything
            .iter()
            .filter(|m| {
                m.summary["subject"]
                    .as_str()
                    .unwrap()
                    .starts_with("【再送・ご回答のお願い（1回目）】")
            })
            .collect();
        assert_eq!(reminders.len(), 999, "{backend:?}");
        let reminded: BTreeSet<&str> = reminders.iter().map(|m| m.recipient()).collect();
        assert_eq!(reminded.len(), 999);
        assert!(!reminded.contains(answering.recipient()));
        let ids: BTreeSet<&str> = everything
            .iter()
            .map(|m| m.summary["message_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 1999);
        // The reminders' links are the same personal links.
        let again = reminders
            .iter()
            .find(|m| m.recipient() == invitations[1].recipient())
            .unwrap();
        assert_eq!(
            answer_link(again.text()).rsplit('/').next(),
            answer_link(invitations[1].text()).rsplit('/').next()
        );
        drop(servers);
    }
}
