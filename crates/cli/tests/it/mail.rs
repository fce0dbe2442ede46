//! Mail end to end: `renkei serve` delivers the outbox to a real SMTP server (Python
//! aiosmtpd, `scripts/smtp-sink.py`, which writes each message it receives as JSON
//! parsed with Python's email package and icalendar). A promoted registrant gets the
//! invitation; a server that is down and then up gets the message once, with the same
//! Message-ID; a 550 is a failure with the server's reason; a process killed right
//! after a registration commits delivers it once after restart; without --smtp-url
//! mail is written as .eml files; a fair's published schedule reaches each company
//! with its meetings as an invitation (.ics, METHOD:REQUEST).
//!
//! The SMTP server runs from `target/smtp-venv` (scripts/test makes it with CI=true;
//! locally: `python3 -m venv target/smtp-venv && target/smtp-venv/bin/pip install
//! aiosmtpd icalendar`). Without it these tests say so and pass, except in CI, where
//! they fail.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use domain::events::{EventDraft, EventInput, RegistrationDraft};
use reqwest::StatusCode;
use serde_json::Value;
use store::outbox::{self, MailStatus};
use store::testing::{TestDatabase, backends};
use store::{Store, events, registrations};

use crate::crash::{ADMIN, PASSWORD, Server, post, sign_in};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python that has aiosmtpd and icalendar, or `None` (a failure in CI).
pub(crate) fn sink_python() -> Option<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    let candidates = [
        target.join("smtp-venv/bin/python"),
        PathBuf::from("python3"),
    ];
    for python in candidates {
        let works = Command::new(&python)
            .args(["-c", "import aiosmtpd, icalendar"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if works {
            return Some(python);
        }
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI: target/smtp-venv with aiosmtpd and icalendar is missing (scripts/test makes it)"
    );
    eprintln!(
        "mail tests skipped: python3 -m venv target/smtp-venv && target/smtp-venv/bin/pip install aiosmtpd icalendar"
    );
    None
}

/// A running SMTP server that writes what it receives to `dir`.
pub(crate) struct Sink {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Sink {
    pub(crate) fn start(python: &Path, port: u16, dir: &Path, refuse: Option<&str>) -> Sink {
        let mut command = Command::new(python);
        command
            .arg(workspace().join("scripts/smtp-sink.py"))
            .args(["--port", &port.to_string(), "--dir"])
            .arg(dir);
        if let Some(answer) = refuse {
            command.args(["--refuse", answer]);
        }
        let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("smtp-sink did not start: {line:?}"));
        Sink {
            child,
            port,
            dir: dir.to_owned(),
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    pub(crate) fn received(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "json"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }

    /// Waits until `n` messages have arrived (panics after `timeout`).
    pub(crate) fn wait_for(&self, n: usize, timeout: Duration, server: &Server) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} messages arrived within {timeout:?}\n{}",
                received.len(),
                server.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A temporary directory for one test (the sink's files, the server's log).
pub(crate) struct Scratch(PathBuf);

impl Scratch {
    pub(crate) fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "renkei-mail-{name}-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2030, 4, 1).unwrap()
}

fn secretariat() -> domain::Actor {
    domain::Actor {
        user_id: 0,
        email: "test".into(),
        role: domain::Role::Secretariat,
        organisation_id: None,
        company_id: None,
    }
}

/// A one-seat seminar of 尼崎市 in the future (for the registration form, whose
/// date is today's in Tokyo).
async fn one_seat_event(store: &Store, title: &str) -> events::Event {
    let draft = EventDraft::parse(&EventInput {
        title: title.into(),
        event_type: "seminar".into(),
        city: "amagasaki".into(),
        pillars: vec!["2".into()],
        start_date: "2099-10-15".into(),
        start_time: "13:00".into(),
        end_time: "16:00".into(),
        venue: "尼崎市中小企業センター".into(),
        address: "兵庫県尼崎市".into(),
        capacity: "1".into(),
        ..Default::default()
    })
    .unwrap();
    events::create(store, &secretariat(), "amagasaki", &draft, today())
        .await
        .unwrap()
}

fn person(name: &str, email: &str) -> RegistrationDraft {
    RegistrationDraft {
        name: name.into(),
        organisation: "株式会社テスト".into(),
        email: email.into(),
        attendees: 1,
    }
}

pub(crate) fn mail_flags(smtp_url: &str) -> Vec<&str> {
    vec![
        "--smtp-url",
        smtp_url,
        "--mail-from",
        "jimukyoku@renkei.example.jp",
        "--mail-per-minute",
        "6000",
        "--mail-retry-seconds",
        "1",
        "--mail-lease-seconds",
        "5",
    ]
}

/// A platform that mails to its own SMTP sink, its administrator signed in (the
/// one-time password changed): where most mail tests start. Bind every field, so
/// that the server, the database and the sink live to the end of the test.
pub(crate) struct Mailed {
    pub store: Store,
    pub admin: reqwest::Client,
    pub server: Server,
    pub database: TestDatabase,
    pub sink: Sink,
    pub scratch: Scratch,
}

impl Mailed {
    pub(crate) async fn start(python: &Path, backend: store::Backend, name: &str) -> Mailed {
        let scratch = Scratch::new(name);
        let sink = Sink::start(python, 0, &scratch.path("smtp"), None);
        let database = TestDatabase::create(backend).await.unwrap();
        let smtp_url = sink.url();
        let started = Server::start_with(
            &database.url,
            &scratch.path("server.log"),
            &mail_flags(&smtp_url),
        );
        let server = started.server;
        let one_time = started.one_time_password.unwrap();
        let admin = sign_in(&server, &one_time).await;
        let changed = post(
            &server,
            &admin,
            "/account/password",
            &[("current_password", &one_time), ("new_password", PASSWORD)],
        )
        .await;
        assert_eq!(changed, StatusCode::SEE_OTHER);
        let store = Store::connect(&database.url).await.unwrap();
        Mailed {
            store,
            admin,
            server,
            database,
            sink,
            scratch,
        }
    }
}

/// Waits until the outbox row of `subject` has `status`.
pub(crate) async fn wait_status(store: &Store, subject: &str, status: MailStatus, server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = outbox::all(store).await.unwrap();
        if rows
            .iter()
            .any(|m| m.subject.starts_with(subject) && m.status == status)
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{subject}: never {status:?}: {rows:#?}\n{}",
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_promoted_registrant_gets_an_invitation_and_the_outbox_shows_it_sent() {
    let Some(python) = sink_python() else { return };
    for backend in backends() {
        let Mailed {
            store,
            admin,
            server,
            database: _database,
            sink,
            scratch: _scratch,
        } = Mailed::start(&python, backend, "promotion").await;
        let event = one_seat_event(&store, "満席の工場見学会").await;
        let first = registrations::register(
            &store,
            None,
            &event.key,
            &person("甲野 一郎", "a@example.jp"),
            today(),
        )
        .await
        .unwrap();
        registrations::register(
            &store,
            None,
            &event.key,
            &person("乙川 花子", "b@example.jp"),
            today(),
        )
        .await
        .unwrap();
        registrations::cancel_by_token(&store, &first.token)
            .await
            .unwrap();

        let received = sink.wait_for(4, Duration::from_secs(60), &server);
        let promotion = received
            .iter()
            .find(|m| m["subject"].as_str().unwrap().starts_with("【繰り上げ】"))
            .unwrap_or_else(|| panic!("{backend:?}: no promotion mail in {received:#?}"));
        assert_eq!(
            promotion["subject"],
            "【繰り上げ】満席の工場見学会の参加が確定しました"
        );
        assert_eq!(promotion["from_name"], event.organisation.name);
        assert_eq!(promotion["from_address"], "jimukyoku@renkei.example.jp");
        assert_eq!(promotion["rcpt_tos"][0], "b@example.jp");
        let text = promotion["text"].as_str().unwrap();
        assert!(text.contains("乙川 花子 様"), "{text}");
        assert!(
            text.contains(&format!("{}/registrations/", server.url(""))),
            "{text}"
        );
        let calendar = &promotion["calendar"];
        assert_eq!(calendar["method"], "REQUEST");
        assert_eq!(calendar["content_type_method"], "REQUEST");
        assert_eq!(calendar["timezones"][0], "Asia/Tokyo");
        let vevent = &calendar["events"][0];
        assert_eq!(vevent["summary"], "満席の工場見学会");
        assert_eq!(vevent["start"], "2099-10-15T13:00:00+09:00");
        assert_eq!(vevent["tzid"], "Asia/Tokyo");
        assert!(
            vevent["attendee"]
                .as_str()
                .unwrap()
                .contains("b@example.jp")
        );
        assert!(
            vevent["organizer"]
                .as_str()
                .unwrap()
                .contains("jimukyoku@renkei.example.jp")
        );
        // The withdrawal's mail cancels the first person's invitation, by its UID.
        let withdrawal = received
            .iter()
            .find(|m| m["subject"].as_str().unwrap().starts_with("【取消】"))
            .unwrap();
        assert_eq!(withdrawal["calendar"]["method"], "CANCEL");
        assert_eq!(withdrawal["calendar"]["events"][0]["status"], "CANCELLED");
        let accepted = received
            .iter()
            .find(|m| m["subject"].as_str().unwrap().starts_with("【受付】"))
            .unwrap();
        assert_eq!(
            accepted["calendar"]["events"][0]["uid"],
            withdrawal["calendar"]["events"][0]["uid"]
        );

        wait_status(&store, "【繰り上げ】", MailStatus::Sent, &server).await;
        let page = admin.get(server.url("/admin/outbox")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        let row = html
            .split("<tr")
            .find(|row| row.contains("【繰り上げ】満席の工場見学会"))
            .unwrap_or_else(|| panic!("{html}"));
        assert!(row.contains("送信済み"), "{row}");
        assert!(
            row.contains("乙川 花子 &lt;b@example.jp&gt;")
                || row.contains("乙川 花子 &#60;b@example.jp&#62;"),
            "{row}"
        );
        let _ = ADMIN;
    }
}

#[tokio::test]
async fn a_server_down_then_up_gets_the_message_once_with_the_same_message_id() {
    let Some(python) = sink_python() else { return };
    for backend in backends() {
        let scratch = Scratch::new("down");
        // A port nobody listens on yet.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let database = TestDatabase::create(backend).await.unwrap();
        let smtp_url = format!("smtp://127.0.0.1:{port}?tls=none");
        let server = Server::start_with(
            &database.url,
            &scratch.path("server.log"),
            &mail_flags(&smtp_url),
        )
        .server;
        let store = Store::connect(&database.url).await.unwrap();
        let event = one_seat_event(&store, "再送の確認").await;
        registrations::register(
            &store,
            None,
            &event.key,
            &person("丙", "c@example.jp"),
            today(),
        )
        .await
        .unwrap();
        // Two failed tries at least, each leaving the connection error.
        let deadline = Instant::now() + Duration::from_secs(60);
        let queued = loop {
            let rows = outbox::all(&store).await.unwrap();
            if rows[0].tries >= 2 && rows[0].status == MailStatus::Queued {
                break rows[0].clone();
            }
            assert!(
                Instant::now() < deadline,
                "{backend:?}: {rows:#?}\n{}",
                server.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(!queued.last_error.is_empty());
        assert!(queued.sent_at.is_none());

        let sink = Sink::start(&python, port, &scratch.path("smtp"), None);
        let received = sink.wait_for(1, Duration::from_secs(60), &server);
        assert_eq!(received[0]["message_id"], queued.message_id.as_str());
        wait_status(&store, "【受付】", MailStatus::Sent, &server).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(sink.received().len(), 1, "{backend:?}: delivered once");
    }
}

#[tokio::test]
async fn a_permanent_refusal_fails_the_message_with_the_servers_reason() {
    let Some(python) = sink_python() else { return };
    for backend in backends() {
        let scratch = Scratch::new("refused");
        let sink = Sink::start(
            &python,
            0,
            &scratch.path("smtp"),
            Some("550 5.1.1 <d@example.jp>: Recipient address rejected"),
        );
        let database = TestDatabase::create(backend).await.unwrap();
        let smtp_url = sink.url();
        let server = Server::start_with(
            &database.url,
            &scratch.path("server.log"),
            &mail_flags(&smtp_url),
        )
        .server;
        let store = Store::connect(&database.url).await.unwrap();
        let event = one_seat_event(&store, "拒否の確認").await;
        registrations::register(
            &store,
            None,
            &event.key,
            &person("丁", "d@example.jp"),
            today(),
        )
        .await
        .unwrap();
        wait_status(&store, "【受付】", MailStatus::Failed, &server).await;
        let row = &outbox::all(&store).await.unwrap()[0];
        assert_eq!(row.tries, 1, "{backend:?}: a 5xx is not retried");
        assert!(row.last_error.contains("550"), "{}", row.last_error);
        assert!(
            row.last_error.contains("Recipient address rejected"),
            "{}",
            row.last_error
        );
        assert!(sink.received().is_empty());
    }
}

#[tokio::test]
async fn a_process_killed_right_after_a_registration_commits_delivers_it_once_after_restart() {
    let Some(python) = sink_python() else { return };
    for backend in backends() {
        let scratch = Scratch::new("killed");
        let sink = Sink::start(&python, 0, &scratch.path("smtp"), None);
        let database = TestDatabase::create(backend).await.unwrap();
        let smtp_url = sink.url();
        let log = scratch.path("server.log");
        let mut server = Server::start_with(&database.url, &log, &mail_flags(&smtp_url)).server;
        let store = Store::connect(&database.url).await.unwrap();
        let event = one_seat_event(&store, "強制終了の確認").await;
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let status = post(
            &server,
            &client,
            &format!("/events/{}/register", event.key),
            &[
                ("name", "戊"),
                ("organisation", ""),
                ("email", "e@example.jp"),
                ("attendees", "1"),
            ],
        )
        .await;
        // Committed (the answer is the confirmation page), then killed at once.
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", server.log_tail());
        server.kill();
        let before_restart = sink.received().len();
        assert_eq!(outbox::all(&store).await.unwrap().len(), 1);

        let restarted = Server::start_with(&database.url, &log, &mail_flags(&smtp_url)).server;
        let received = sink.wait_for(1, Duration::from_secs(60), &restarted);
        wait_status(&store, "【受付】", MailStatus::Sent, &restarted).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(
            sink.received().len(),
            1,
            "{backend:?}: exactly once (before the restart: {before_restart})"
        );
        assert_eq!(received[0]["rcpt_tos"][0], "e@example.jp");
    }
}

#[tokio::test]
async fn without_an_smtp_url_every_mail_is_written_as_an_eml_file() {
    for backend in backends() {
        let scratch = Scratch::new("eml");
        let database = TestDatabase::create(backend).await.unwrap();
        let mail_dir = scratch.path("mail");
        let server = Server::start_with(
            &database.url,
            &scratch.path("server.log"),
            &["--mail-dir", mail_dir.to_str().unwrap()],
        )
        .server;
        let store = Store::connect(&database.url).await.unwrap();
        let event = one_seat_event(&store, "ファイル出力の確認").await;
        registrations::register(
            &store,
            None,
            &event.key,
            &person("己", "f@example.jp"),
            today(),
        )
        .await
        .unwrap();
        wait_status(&store, "【受付】", MailStatus::Sent, &server).await;
        let files: Vec<PathBuf> = std::fs::read_dir(&mail_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        assert_eq!(files.len(), 1, "{backend:?}");
        let eml = std::fs::read_to_string(&files[0]).unwrap();
        let row = &outbox::all(&store).await.unwrap()[0];
        assert!(
            eml.contains(&format!("Message-ID: {}", row.message_id)),
            "{eml}"
        );
        assert!(eml.contains("Subject: =?utf-8?b?"), "{eml}");
        assert!(
            eml.contains("To: =?utf-8?b?") || eml.contains("To: f@example.jp"),
            "{eml}"
        );
        assert!(eml.contains("text/calendar"), "{eml}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_senders_on_one_database_deliver_200_messages_none_twice() {
    let Some(python) = sink_python() else { return };
    for backend in backends() {
        let scratch = Scratch::new("two-senders");
        let sink = Sink::start(&python, 0, &scratch.path("smtp"), None);
        let database = TestDatabase::create(backend).await.unwrap();
        let store = database.store().await.unwrap();
        store
            .write(None, async |w| {
                for i in 0..200 {
                    w.send(store::outbox::Outgoing::new(
                        None,
                        "中小企業都市連絡協議会",
                        &format!("受信者{i}"),
                        &format!("p{i}@example.jp"),
                        &format!("お知らせ {i}"),
                        "本文",
                        "試験のため",
                    ));
                }
                Ok(())
            })
            .await
            .unwrap();
        // Two senders, each with its own pool, as two `renkei serve` processes have.
        let mut senders = Vec::new();
        for _ in 0..2 {
            let options = web::mail::MailOptions {
                smtp_url: Some(sink.url()),
                mail_from: "jimukyoku@renkei.example.jp".into(),
                per_minute: 60_000,
                poll: Duration::from_millis(50),
                ..Default::default()
            };
            let sender = web::mail::Sender::new(options).unwrap();
            let own = Store::connect(&database.url).await.unwrap();
            senders.push(tokio::spawn(sender.run(own)));
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        while outbox::count(&store, MailStatus::Sent).await.unwrap() < 200 {
            assert!(
                Instant::now() < deadline,
                "{backend:?}: {} of 200 sent",
                outbox::count(&store, MailStatus::Sent).await.unwrap()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        for sender in senders {
            sender.abort();
        }
        let received = sink.received();
        let ids: std::collections::BTreeSet<&str> = received
            .iter()
            .map(|m| m["message_id"].as_str().unwrap())
            .collect();
        assert_eq!(received.len(), 200, "{backend:?}: none sent twice");
        assert_eq!(ids.len(), 200);
        let rows = outbox::all(&store).await.unwrap();
        assert!(
            rows.iter().all(|m| m.tries == 1),
            "{backend:?}: one try each"
        );
    }
}

#[tokio::test]
async fn a_published_fair_schedule_reaches_each_company_with_its_meetings_as_an_invitation() {
    use domain::fairs::{FairDraft, FairInput, FairRole, RequestPriority};
    use store::accounts::{NewUser, create_user};
    use store::fairs;

    let Some(python) = sink_python() else { return };
    for backend in backends() {
        let scratch = Scratch::new("fair-schedule");
        let sink = Sink::start(&python, 0, &scratch.path("smtp"), None);
        let database = TestDatabase::create(backend).await.unwrap();
        let smtp_url = sink.url();
        let started = Server::start_with(
            &database.url,
            &scratch.path("server.log"),
            &mail_flags(&smtp_url),
        );
        let server = started.server;
        let store = Store::connect(&database.url).await.unwrap();
        for (email, company) in [
            ("buyer@kawaguchi-01.example.jp", "kawaguchi-01"),
            ("sales@sumida-01.example.jp", "sumida-01"),
        ] {
            create_user(
                &store,
                None,
                &NewUser {
                    email: email.into(),
                    display_name: String::new(),
                    role: "company".into(),
                    organisation: String::new(),
                    company: company.into(),
                },
            )
            .await
            .unwrap();
        }
        let staff = secretariat();
        let draft = FairDraft::parse(&FairInput {
            name: "川口マッチング商談会".into(),
            date: "2099-03-01".into(),
            start_time: "13:00".into(),
            slot_count: "1".into(),
            slot_minutes: "15".into(),
            table_count: "1".into(),
            request_deadline: "2099-02-20".into(),
            request_cap: "3".into(),
            event: String::new(),
        })
        .unwrap();
        let fair = fairs::create(&store, &staff, "kawaguchi-cci", &draft)
            .await
            .unwrap();
        for (company, role) in [
            ("kawaguchi-01", FairRole::Buyer),
            ("sumida-01", FairRole::Supplier),
        ] {
            fairs::save_participant(&store, &staff, &fair.key, company, role, &[0])
                .await
                .unwrap();
        }
        let asked = fairs::request_meeting(
            &store,
            &staff,
            &fair.key,
            "sumida-01",
            "kawaguchi-01",
            RequestPriority::Must,
            today(),
        )
        .await
        .unwrap();
        fairs::answer(&store, &staff, &fair.key, asked.requests[0].id, true)
            .await
            .unwrap();
        fairs::schedule(&store, &staff, &fair.key, false, Duration::from_secs(2))
            .await
            .unwrap();

        // Request, answer, and the schedule to each of the two companies.
        let received = sink.wait_for(4, Duration::from_secs(60), &server);
        let schedule = received
            .iter()
            .find(|m| {
                m["subject"].as_str().unwrap().starts_with("【面談予定】")
                    && m["rcpt_tos"][0] == "buyer@kawaguchi-01.example.jp"
            })
            .unwrap_or_else(|| panic!("{backend:?}: no schedule mail in {received:#?}"));
        assert_eq!(
            schedule["subject"],
            "【面談予定】川口マッチング商談会の面談予定をお知らせします"
        );
        assert_eq!(schedule["from_name"], "川口商工会議所");
        let text = schedule["text"].as_str().unwrap();
        assert!(text.contains("第1枠 13:00–13:15"), "{text}");
        assert!(
            text.contains(&format!(
                "{}/fairs/{}/companies/kawaguchi-01",
                server.url(""),
                fair.key
            )),
            "an absolute link to the company's schedule: {text}"
        );
        assert!(text.contains("商談会「川口マッチング商談会」に参加しているため"));
        let calendar = &schedule["calendar"];
        assert_eq!(calendar["method"], "REQUEST", "{backend:?}");
        assert_eq!(calendar["content_type_method"], "REQUEST");
        assert_eq!(calendar["timezones"][0], "Asia/Tokyo");
        let meeting = &calendar["events"][0];
        assert_eq!(meeting["start"], "2099-03-01T13:00:00+09:00");
        assert!(
            meeting["summary"].as_str().unwrap().starts_with("商談: "),
            "{meeting}"
        );
        assert!(
            meeting["organizer"]
                .as_str()
                .unwrap()
                .contains("jimukyoku@renkei.example.jp")
        );
        // The other company gets its own, and the request and answer went to the
        // asked and the asking company respectively.
        let subjects: Vec<(String, String)> = received
            .iter()
            .map(|m| {
                (
                    m["rcpt_tos"][0].as_str().unwrap().to_owned(),
                    m["subject"].as_str().unwrap().chars().take(7).collect(),
                )
            })
            .collect();
        for expected in [
            ("buyer@kawaguchi-01.example.jp", "【面談の申込】"),
            ("sales@sumida-01.example.jp", "【面談の承諾】"),
            ("sales@sumida-01.example.jp", "【面談予定】川"),
        ] {
            assert!(
                subjects
                    .iter()
                    .any(|(to, s)| to == expected.0 && s.starts_with(expected.1)),
                "{backend:?}: {expected:?} in {subjects:?}"
            );
        }
        wait_status(&store, "【面談予定】", MailStatus::Sent, &server).await;
    }
}
