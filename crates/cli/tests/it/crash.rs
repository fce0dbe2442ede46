//! Crash safety: `renkei serve` on a fresh database takes event registrations from
//! several signed-in clients at once and is killed with SIGKILL at random moments; after
//! each restart on the same database every write the server acknowledged (a 303 to the
//! new event) must be there, whole, and the database must pass its integrity check.
//! Writes that were in flight when the process died may be there or not, but never in
//! part (an event without its pillars, its audit entry or its `changes` row).
//!
//! SQLite always; PostgreSQL as well when `RENKEI_TEST_POSTGRES` is set. The random
//! moments come from a seeded RNG: the seed is printed, and `RENKEI_CRASH_SEED=<seed>`
//! replays a run.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use store::testing::TestDatabase;
use store::{Backend, Store};

/// Kill-and-restart rounds per backend.
const ROUNDS: usize = 10;
/// Concurrent writers (separate sessions of the first administrator).
const CLIENTS: usize = 6;
pub(crate) const ADMIN: &str = "admin@renkei.local";
pub(crate) const PASSWORD: &str = "crash-test-password-2026";
/// How long a server may take to start (the first start migrates and seeds).
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// A running `renkei serve`, killed with SIGKILL when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    base: String,
    log: std::path::PathBuf,
}

/// What a start printed besides the address: the one-time password on a first start.
pub(crate) struct Started {
    pub(crate) server: Server,
    pub(crate) one_time_password: Option<String>,
}

impl Server {
    pub(crate) fn start(url: &str, log: &std::path::Path) -> Started {
        Server::start_with(url, log, &[])
    }

    /// Starts `renkei serve` with more arguments (the mail tests' SMTP settings).
    pub(crate) fn start_with(url: &str, log: &std::path::Path, extra: &[&str]) -> Started {
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_renkei"))
            .args(["serve", "--addr", "127.0.0.1:0", "--insecure-cookies"])
            // These tests sign in as the secretariat with its password alone.
            .arg("--secretariat-two-step-optional")
            .args(extra)
            .env("RENKEI_DATABASE_URL", url)
            .env("RENKEI_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let lines = read_lines(child.stdout.take().unwrap());
        let mut server = Server {
            child,
            base: String::new(),
            log: log.to_owned(),
        };
        let mut one_time_password = None;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match lines.recv_timeout(left) {
                Ok(line) => line,
                Err(_) => panic!(
                    "the server did not start within {START_TIMEOUT:?} (exit: {:?})\n{}",
                    server.child.try_wait(),
                    server.log_tail()
                ),
            };
            if let Some(password) = line.trim().strip_prefix("初回パスワード: ") {
                one_time_password = Some(password.to_owned());
            }
            if let Some(base) = line.strip_prefix("renkei を起動しました: ") {
                server.base = base.trim().to_owned();
                return Started {
                    server,
                    one_time_password,
                };
            }
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix): no shutdown, no flush, no cleanup.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The server's stdout, line by line, read on a thread until the process dies.
fn read_lines(stdout: std::process::ChildStdout) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

pub(crate) fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

pub(crate) fn meta_csrf(page: &str) -> String {
    let start = "<meta name=\"csrf-token\" content=\"";
    let from = page.find(start).expect("csrf meta tag") + start.len();
    let to = page[from..].find('"').unwrap() + from;
    page[from..to].to_owned()
}

async fn csrf(server: &Server, client: &Client, path: &str) -> String {
    let response = client.get(server.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    meta_csrf(&response.text().await.unwrap())
}

pub(crate) async fn post(
    server: &Server,
    client: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> StatusCode {
    let token = csrf(server, client, "/login").await;
    let mut body = vec![("csrf_token", token.as_str())];
    body.extend_from_slice(fields);
    let response = client
        .post(server.url(path))
        .form(&body)
        .send()
        .await
        .unwrap();
    response.status()
}

pub(crate) async fn sign_in(server: &Server, password: &str) -> Client {
    let client = client();
    let status = post(
        server,
        &client,
        "/login",
        &[("email", ADMIN), ("password", password)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "login");
    client
}

/// The event a writer registers as its `n`th write: every field follows from the
/// title, so a row read back can be checked field by field.
struct Planned {
    title: String,
    description: String,
    date: NaiveDate,
    capacity: u32,
}

impl Planned {
    fn new(round: usize, client: usize, n: usize) -> Planned {
        Planned::from_title(&format!("crash-{round}-{client}-{n}")).unwrap()
    }

    fn from_title(title: &str) -> Option<Planned> {
        let numbers: Vec<usize> = title
            .strip_prefix("crash-")?
            .split('-')
            .map(|part| part.parse().ok())
            .collect::<Option<_>>()?;
        let [round, client, n] = numbers[..] else {
            return None;
        };
        // Spread over ten years so that the random part of the keys never meets
        // another event of the same day.
        let day = (round * 733 + client * 397 + n * 13) % 3650;
        Some(Planned {
            title: title.to_owned(),
            description: format!("停止試験の書き込み {title}。全項目がそろっていること。"),
            date: NaiveDate::from_ymd_opt(2031, 1, 1).unwrap() + chrono::Days::new(day as u64),
            capacity: 10 + (n % 90) as u32,
        })
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("organisation", "amagasaki".into()),
            ("title", self.title.clone()),
            ("event_type", "seminar".into()),
            ("city", "amagasaki".into()),
            ("pillars", "2".into()),
            ("pillars", "3".into()),
            ("start_date", self.date.format("%Y-%m-%d").to_string()),
            ("start_time", "13:30".into()),
            ("end_time", "16:00".into()),
            ("venue", "尼崎市中小企業センター".into()),
            ("address", "兵庫県尼崎市昭和通2-6-68".into()),
            ("capacity", self.capacity.to_string()),
            ("description", self.description.clone()),
        ]
    }
}

/// What one writer saw in one round.
#[derive(Default)]
struct Outcome {
    /// Acknowledged: title → the event's key from the redirect.
    acknowledged: Vec<(String, String)>,
    /// Sent, no answer (the server died): may or may not be there.
    in_doubt: Vec<String>,
    /// Answered with anything but 303: a defect under load.
    refused: Vec<(String, StatusCode, String)>,
}

/// Registers events one after another until the server stops answering.
async fn write_until_killed(
    base: String,
    client: Client,
    token: String,
    round: usize,
    id: usize,
) -> Outcome {
    let mut outcome = Outcome::default();
    let started = Instant::now();
    for n in 0.. {
        // A bound in case the kill never comes.
        if started.elapsed() > Duration::from_secs(30) {
            break;
        }
        let planned = Planned::new(round, id, n);
        let mut body: Vec<(&str, String)> = vec![("csrf_token", token.clone())];
        body.extend(planned.fields());
        match client
            .post(format!("{base}/events"))
            .form(&body)
            .send()
            .await
        {
            Ok(response) if response.status() == StatusCode::SEE_OTHER => {
                let location = response.headers()["location"].to_str().unwrap().to_owned();
                let key = location
                    .strip_prefix("/events/")
                    .and_then(|rest| rest.split('?').next())
                    .unwrap_or_else(|| panic!("redirect to the new event, not {location}"))
                    .to_owned();
                outcome.acknowledged.push((planned.title, key));
            }
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                outcome.refused.push((planned.title, status, text));
            }
            Err(_) => {
                outcome.in_doubt.push(planned.title);
                break;
            }
        }
    }
    outcome
}

/// One event row with what belongs to it, read straight from the tables.
struct Row {
    key: String,
    title: String,
    pillars: i64,
    audit: i64,
    changes: i64,
}

async fn crash_rows(store: &Store) -> Vec<Row> {
    let db = store.connection();
    let sql = "SELECT e.key, e.title, \
         (SELECT COUNT(*) FROM event_pillars p WHERE p.event_id = e.id) AS pillars, \
         (SELECT COUNT(*) FROM audit_log a WHERE a.entity = 'event' AND a.entity_key = e.key) AS audit, \
         (SELECT COUNT(*) FROM changes c WHERE c.entity = 'event' AND c.entity_key = e.key) AS changes \
         FROM events e WHERE e.title LIKE 'crash-%'";
    db.query_all(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .into_iter()
        .map(|row| Row {
            key: row.try_get("", "key").unwrap(),
            title: row.try_get("", "title").unwrap(),
            pillars: row.try_get("", "pillars").unwrap(),
            audit: row.try_get("", "audit").unwrap(),
            changes: row.try_get("", "changes").unwrap(),
        })
        .collect()
}

/// Audit entries and `changes` rows of events that do not exist: the other half of a
/// half-written registration.
async fn orphans(store: &Store) -> i64 {
    let db = store.connection();
    let sql = "SELECT \
         (SELECT COUNT(*) FROM audit_log a WHERE a.entity = 'event' AND a.action = 'create' \
            AND NOT EXISTS (SELECT 1 FROM events e WHERE e.key = a.entity_key)) + \
         (SELECT COUNT(*) FROM changes c WHERE c.entity = 'event' AND c.op = 'create' \
            AND NOT EXISTS (SELECT 1 FROM events e WHERE e.key = c.entity_key)) AS n";
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

/// SQLite: `PRAGMA integrity_check` and `PRAGMA foreign_key_check`. PostgreSQL: every
/// B-tree index of the schema checked by `amcheck` when the extension can be created.
async fn integrity(store: &Store) -> String {
    let db = store.connection();
    let backend = db.get_database_backend();
    match store.backend() {
        Backend::Sqlite => {
            let rows = db
                .query_all(Statement::from_string(backend, "PRAGMA integrity_check"))
                .await
                .unwrap();
            let result: Vec<String> = rows
                .iter()
                .map(|row| row.try_get_by_index::<String>(0).unwrap())
                .collect();
            assert_eq!(result, ["ok"], "PRAGMA integrity_check");
            let broken = db
                .query_all(Statement::from_string(backend, "PRAGMA foreign_key_check"))
                .await
                .unwrap();
            assert!(
                broken.is_empty(),
                "{} rows fail PRAGMA foreign_key_check",
                broken.len()
            );
            "integrity_check ok, foreign_key_check ok".into()
        }
        Backend::Postgres => {
            if db
                .execute_unprepared("CREATE EXTENSION IF NOT EXISTS amcheck")
                .await
                .is_err()
            {
                return "amcheck not available; every row checked".into();
            }
            let sql = "SELECT COUNT(bt_index_check(c.oid, true)) AS n FROM pg_index i \
                 JOIN pg_class c ON c.oid = i.indexrelid \
                 JOIN pg_am am ON am.oid = c.relam \
                 JOIN pg_namespace ns ON ns.oid = c.relnamespace \
                 WHERE am.amname = 'btree' AND ns.nspname = 'public' AND i.indisvalid";
            let row = db
                .query_one(Statement::from_string(backend, sql))
                .await
                .unwrap_or_else(|e| panic!("amcheck found a damaged index: {e}"))
                .unwrap();
            let n: i64 = row.try_get("", "n").unwrap();
            format!("amcheck ok on {n} B-tree indexes")
        }
    }
}

/// Every acknowledged write is there with every field; every crash event there at all
/// is whole. Returns how many acknowledged writes were checked.
async fn verify(
    url: &str,
    acknowledged: &BTreeMap<String, String>,
    in_doubt: &[String],
) -> (usize, String) {
    let store = Store::connect(url).await.unwrap();
    let rows = crash_rows(&store).await;
    let by_title: BTreeMap<&str, &Row> = rows.iter().map(|r| (r.title.as_str(), r)).collect();
    let mut lost = Vec::new();
    for (title, key) in acknowledged {
        match by_title.get(title.as_str()) {
            Some(row) => assert_eq!(&row.key, key, "{title} kept its key"),
            None => lost.push(title.clone()),
        }
    }
    assert!(
        lost.is_empty(),
        "{} acknowledged writes lost after SIGKILL: {lost:?}",
        lost.len()
    );
    for row in &rows {
        assert!(
            row.pillars == 2 && row.audit == 1 && row.changes == 1,
            "{} is half-written: {} pillars, {} audit entries, {} changes rows",
            row.title,
            row.pillars,
            row.audit,
            row.changes
        );
        assert!(
            acknowledged.contains_key(&row.title) || in_doubt.contains(&row.title),
            "{} exists but was never sent",
            row.title
        );
        let planned = Planned::from_title(&row.title).unwrap();
        let event = store::events::get(&store, &row.key, true).await.unwrap();
        assert_eq!(event.description, planned.description, "{}", row.title);
        assert_eq!(event.capacity, Some(planned.capacity), "{}", row.title);
        assert_eq!(event.time.first_day(), planned.date, "{}", row.title);
        assert_eq!(event.venue, "尼崎市中小企業センター");
        assert_eq!(
            event.pillars.iter().map(|p| p.number()).collect::<Vec<_>>(),
            [2, 3]
        );
    }
    assert_eq!(
        orphans(&store).await,
        0,
        "audit or changes rows without their event"
    );
    let integrity = integrity(&store).await;
    store.connection().clone().close().await.unwrap();
    (acknowledged.len(), integrity)
}

async fn crash_rounds(backend: Backend, seed: u64) {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let database = TestDatabase::create(backend).await.unwrap();
    let log = std::env::temp_dir().join(format!(
        "renkei-crash-{}-{backend:?}.log",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&log);

    let first = Server::start(&database.url, &log);
    let one_time = first
        .one_time_password
        .expect("first start prints the one-time password");
    let mut server = first.server;
    let admin = sign_in(&server, &one_time).await;
    let status = post(
        &server,
        &admin,
        "/account/password",
        &[("current_password", &one_time), ("new_password", PASSWORD)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "password change");
    let mut clients = vec![admin];
    for _ in 1..CLIENTS {
        clients.push(sign_in(&server, PASSWORD).await);
    }

    let mut acknowledged: BTreeMap<String, String> = BTreeMap::new();
    let mut in_doubt: Vec<String> = Vec::new();
    for round in 0..ROUNDS {
        // Sessions live in the database: the same cookies work after a restart.
        let mut writers = Vec::new();
        for (id, client) in clients.iter().enumerate() {
            let token = csrf(&server, client, "/events/new").await;
            writers.push(tokio::spawn(write_until_killed(
                server.base.clone(),
                client.clone(),
                token,
                round,
                id,
            )));
        }
        let delay = rng.random_range(50..=500);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        server.kill();
        let mut round_acknowledged = 0;
        let mut refused = Vec::new();
        for writer in writers {
            let outcome = writer.await.unwrap();
            round_acknowledged += outcome.acknowledged.len();
            acknowledged.extend(outcome.acknowledged);
            in_doubt.extend(outcome.in_doubt);
            refused.extend(outcome.refused);
        }
        if let Some((title, status, page)) = refused.first() {
            panic!(
                "seed {seed}, round {round}: {} writes refused under load; {title}: {status}\n{}",
                refused.len(),
                page.chars().take(2000).collect::<String>()
            );
        }

        let restarted = Server::start(&database.url, &log);
        assert!(
            restarted.one_time_password.is_none(),
            "no second first admin"
        );
        server = restarted.server;
        let (checked, integrity) = verify(&database.url, &acknowledged, &in_doubt).await;
        // And over HTTP, as a user would look: this round's events on the restarted server.
        for (title, key) in acknowledged
            .iter()
            .filter(|(t, _)| t.starts_with(&format!("crash-{round}-")))
        {
            let page = clients[0]
                .get(server.url(&format!("/events/{key}")))
                .send()
                .await
                .unwrap();
            assert_eq!(page.status(), StatusCode::OK, "GET /events/{key}");
            assert!(page.text().await.unwrap().contains(title.as_str()));
        }
        eprintln!(
            "crash safety ({backend:?}, seed {seed}) round {}: killed after {delay} ms, {round_acknowledged} acknowledged, {checked} verified in total, {integrity}",
            round + 1
        );
    }
    server.kill();
    // After the last kill, with no server running: one more look at the files.
    let (checked, integrity) = verify(&database.url, &acknowledged, &in_doubt).await;
    let present_in_doubt = {
        let store = Store::connect(&database.url).await.unwrap();
        let rows = crash_rows(&store).await;
        rows.iter()
            .filter(|r| !acknowledged.contains_key(&r.title))
            .count()
    };
    eprintln!(
        "crash safety ({backend:?}, seed {seed}): {ROUNDS} SIGKILL rounds, {CLIENTS} clients, \
         {} writes acknowledged, {checked} verified present and whole, {} in flight at a kill \
         ({present_in_doubt} of them committed), {integrity}, {:.1} s",
        acknowledged.len(),
        in_doubt.len(),
        started.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_file(&log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_sigkill_and_the_database_stays_intact() {
    let seed = std::env::var("RENKEI_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    eprintln!("crash safety: seed {seed} (RENKEI_CRASH_SEED={seed} replays the kill moments)");
    for backend in store::testing::backends() {
        crash_rounds(backend, seed).await;
    }
}
