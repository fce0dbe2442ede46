//! The cluster: three `renkei serve` processes on one PostgreSQL database behind
//! HAProxy (`scripts/cluster`), driven through the proxy by several clients writing at
//! a steady pace: signed-in staff creating events and registering for one, company
//! members asking for meetings at the demonstration fair, and a 仲間まわし machine
//! reporting progress with its API token. One process is killed with SIGKILL: every
//! write that got its 2xx is in the database exactly once, clients see at most their
//! in-flight requests fail,
//! HAProxy marks the process DOWN within its check interval, and sessions and CSRF
//! tokens keep working on the other processes. Then a rolling restart onto a binary
//! with one more migration (the rehearsal, `RENKEI_REHEARSAL_MIGRATION=1`): no failed
//! request at the proxy, and the migration applied once, by the first process
//! restarted, under the migration lock.
//!
//! Needs PostgreSQL (`RENKEI_TEST_POSTGRES`) and `haproxy`; without them it says so
//! and passes, except with CI=true, where it fails.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use store::testing::TestDatabase;
use store::{Backend, Store};

use crate::crash::{ADMIN, PASSWORD, client, meta_csrf};

const PROCESSES: usize = 3;
const CLIENTS: usize = 4;
/// Signed-in clients registering for one event.
const REGISTRANTS: usize = 2;
/// Company members of the demonstration fair asking for meetings.
const FAIR_COMPANIES: [&str; 2] = ["okaya-01", "okaya-02"];
/// Operations of the machine's job: more than both phases report.
const OPERATIONS: usize = 300;
/// The job's release, the Monday after next at 08:00 Japan time: the machine reports
/// operation k from here on. Near today, as the planner's calendar runs two years from
/// the earliest open job of the demonstration network.
fn release() -> chrono::NaiveDateTime {
    use chrono::Datelike;
    let today = domain::time::japan_today();
    let monday =
        today + chrono::Duration::days(14 - i64::from(today.weekday().num_days_from_monday()));
    monday.and_hms_opt(8, 0, 0).unwrap()
}
/// HAProxy's `inter 500ms fall 2`: a dead process is DOWN after two failed checks.
const CHECK_INTERVAL: Duration = Duration::from_millis(500);
const FALL: u32 = 2;

/// `scripts/cluster` with this test's directory, ports, database and binary.
struct Cluster {
    dir: PathBuf,
    port: u16,
    database_url: String,
}

impl Cluster {
    fn script(&self, args: &[&str], extra_env: &[(&str, &str)]) -> std::process::Output {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/cluster");
        let mut command = Command::new("bash");
        command
            .arg(script)
            .args(args)
            .env("RENKEI_BIN", env!("CARGO_BIN_EXE_renkei"))
            .env("DATABASE_URL", &self.database_url)
            .env("CLUSTER_DIR", &self.dir)
            .env("CLUSTER_PORT", self.port.to_string())
            .env("RENKEI_INSECURE_COOKIES", "true")
            // The test signs in as the secretariat with a password only; two-step
            // sign-in has its own tests (web two_step.rs, browser_accounts.rs).
            .env("RENKEI_SECRETARIAT_TWO_STEP_OPTIONAL", "true")
            .env("RENKEI_LOG", "info,sqlx=warn,sea_orm=warn,tower_http=warn");
        for (key, value) in extra_env {
            command.env(key, value);
        }
        command.output().unwrap()
    }

    fn run(&self, args: &[&str], extra_env: &[(&str, &str)]) -> String {
        let output = self.script(args, extra_env);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            output.status.success(),
            "scripts/cluster {args:?} failed:\n{stderr}\n{}",
            self.logs()
        );
        format!("{}{stderr}", String::from_utf8_lossy(&output.stdout))
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Process `i`'s log without the terminal colours of its fields.
    fn log_of(&self, i: usize) -> String {
        let log =
            std::fs::read_to_string(self.dir.join(format!("renkei-{i}.log"))).unwrap_or_default();
        let mut plain = String::with_capacity(log.len());
        let mut rest = log.as_str();
        while let Some(at) = rest.find('\u{1b}') {
            plain.push_str(&rest[..at]);
            rest = &rest[at..];
            rest = rest.find('m').map_or("", |end| &rest[end + 1..]);
        }
        plain.push_str(rest);
        plain
    }

    fn logs(&self) -> String {
        let mut all = String::new();
        for i in 1..=PROCESSES {
            let log = self.log_of(i);
            let lines: Vec<&str> = log.lines().collect();
            all += &format!(
                "--- renkei-{i}.log\n{}\n",
                lines[lines.len().saturating_sub(15)..].join("\n")
            );
        }
        let haproxy = std::fs::read_to_string(self.dir.join("haproxy.log")).unwrap_or_default();
        let lines: Vec<&str> = haproxy.lines().collect();
        all + &format!(
            "--- haproxy.log\n{}",
            lines[lines.len().saturating_sub(15)..].join("\n")
        )
    }

    fn pid_of(&self, i: usize) -> i32 {
        std::fs::read_to_string(self.dir.join(format!("renkei-{i}.pid")))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// HAProxy's status of server `r{i}` (UP, DOWN, DRAIN, MAINT, "UP 1/2"…), read
    /// from its admin socket.
    fn proxy_status(&self, i: usize) -> String {
        let output = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "printf 'show stat\\n' | socat stdio unix-connect:{}/haproxy.sock",
                self.dir.display()
            ))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        text.lines()
            .map(|line| line.split(',').collect::<Vec<_>>())
            .find(|fields| {
                fields.len() > 17 && fields[0] == "renkei" && fields[1] == format!("r{i}")
            })
            .map(|fields| fields[17].to_owned())
            .unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.script(&["down"], &[]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether the test can run here: PostgreSQL and haproxy (and socat for the admin
/// socket). With CI=true a missing one is a failure.
fn prerequisites() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let mut missing = Vec::new();
    if !std::env::var(store::testing::POSTGRES_ENV).is_ok_and(|v| !v.is_empty()) {
        missing.push(store::testing::POSTGRES_ENV);
    }
    for tool in ["haproxy", "socat"] {
        let found = Command::new("bash")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            missing.push(tool);
        }
    }
    if missing.is_empty() {
        return true;
    }
    assert!(!ci, "the cluster test needs {missing:?} (CI=true)");
    eprintln!(
        "cluster test skipped: needs {missing:?} (PostgreSQL with {}, apt-get install haproxy socat)",
        store::testing::POSTGRES_ENV
    );
    false
}

/// A proxy port with the next PROCESSES ports free too.
fn free_ports() -> u16 {
    loop {
        let port = 20_000 + rand::random::<u16>() % 40_000;
        let free = (0..=PROCESSES as u16)
            .all(|i| std::net::TcpListener::bind(("127.0.0.1", port + i)).is_ok());
        if free {
            return port;
        }
    }
}

async fn csrf(client: &Client, url: &str) -> String {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {url}");
    meta_csrf(&response.text().await.unwrap())
}

async fn post_form(
    client: &Client,
    cluster: &Cluster,
    path: &str,
    fields: &[(&str, &str)],
) -> StatusCode {
    let token = csrf(client, &cluster.url("/login")).await;
    let mut body = vec![("csrf_token", token.as_str())];
    body.extend_from_slice(fields);
    client
        .post(cluster.url(path))
        .form(&body)
        .send()
        .await
        .unwrap()
        .status()
}

async fn sign_in(cluster: &Cluster, password: &str) -> Client {
    sign_in_as(cluster, ADMIN, password).await
}

async fn sign_in_as(cluster: &Cluster, email: &str, password: &str) -> Client {
    let client = client();
    let status = post_form(
        &client,
        cluster,
        "/login",
        &[("email", email), ("password", password)],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "login of {email} through the proxy"
    );
    client
}

/// What one writer saw: acknowledged titles with the time of the answer, and failures
/// (status or transport error) with their time.
#[derive(Default)]
struct Seen {
    acknowledged: Vec<(String, Instant)>,
    failed: Vec<(String, Instant, String)>,
}

impl Seen {
    fn extend(&mut self, other: Seen) {
        self.acknowledged.extend(other.acknowledged);
        self.failed.extend(other.failed);
    }

    /// Records the answer to the write `key`: acknowledged when `ok` says so.
    async fn answer(
        &mut self,
        key: String,
        sent: Result<reqwest::Response, reqwest::Error>,
        ok: StatusCode,
    ) -> bool {
        match sent {
            Ok(response) if response.status() == ok => {
                self.acknowledged.push((key, Instant::now()));
                true
            }
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                self.failed.push((
                    key,
                    Instant::now(),
                    format!("{status}: {}", text.chars().take(300).collect::<String>()),
                ));
                false
            }
            Err(error) => {
                self.failed.push((key, Instant::now(), error.to_string()));
                false
            }
        }
    }
}

/// What every kind of writer saw in one phase.
#[derive(Default)]
struct Writes {
    events: Seen,
    registrations: Seen,
    requests: Seen,
    progress: Seen,
}

/// The participants a company member has yet to ask for a meeting, shared by its writers.
type Asks = Arc<Mutex<VecDeque<String>>>;

/// The clients and what they write to, set up once for both phases.
struct Load {
    /// Signed-in secretariat sessions creating events.
    clients: Vec<Client>,
    /// Signed-in secretariat sessions registering for `event`.
    registrants: Vec<Client>,
    event: String,
    fair: String,
    /// Each company member, its company and the participants it has yet to ask.
    companies: Vec<(Client, String, Asks)>,
    /// The machine's API token and its progress so far.
    machine_token: String,
    progress: Arc<Mutex<Progress>>,
}

/// Where the machine is in its job: the operations in order, the next to report,
/// and whether its start has been reported.
struct Progress {
    operations: Vec<i64>,
    next: usize,
    started: bool,
}

/// Registers events through the proxy one after another until `stop`, with one CSRF
/// token taken at the start (so a token made by one process is checked by the others).
async fn writer(
    cluster_url: String,
    client: Client,
    phase: &'static str,
    id: usize,
    stop: Arc<AtomicBool>,
) -> Seen {
    let token = csrf(&client, &format!("{cluster_url}/events/new")).await;
    let mut seen = Seen::default();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        let title = format!("cluster-{phase}-{id}-{n}");
        n += 1;
        // A day of its own per write (the key's random part is per day).
        let day = (id * 1500 + n + if phase == "roll" { 750 } else { 0 }) % 3650;
        let date = (chrono::NaiveDate::from_ymd_opt(2031, 1, 1).unwrap()
            + chrono::Days::new(day as u64))
        .format("%Y-%m-%d")
        .to_string();
        let body = [
            ("csrf_token", token.as_str()),
            ("organisation", "amagasaki"),
            ("title", title.as_str()),
            ("event_type", "seminar"),
            ("city", "amagasaki"),
            ("pillars", "2"),
            ("start_date", date.as_str()),
            ("start_time", "13:30"),
            ("end_time", "16:00"),
            ("venue", "尼崎市中小企業センター"),
            ("capacity", "30"),
            ("description", "クラスタ試験の書き込み"),
        ];
        match client
            .post(format!("{cluster_url}/events"))
            .form(&body)
            .send()
            .await
        {
            Ok(response) if response.status() == StatusCode::SEE_OTHER => {
                seen.acknowledged.push((title, Instant::now()));
            }
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                seen.failed.push((
                    title,
                    Instant::now(),
                    format!("{status}: {}", text.chars().take(300).collect::<String>()),
                ));
            }
            Err(error) => seen.failed.push((title, Instant::now(), error.to_string())),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    seen
}

/// Registers for `event` through the proxy, a new address each time, until `stop`.
async fn registrant(
    cluster_url: String,
    client: Client,
    event: String,
    phase: &'static str,
    id: usize,
    stop: Arc<AtomicBool>,
) -> Seen {
    let token = csrf(&client, &format!("{cluster_url}/login")).await;
    let mut seen = Seen::default();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        let email = format!("cluster-{phase}-{id}-{n}@registrant.example.jp");
        n += 1;
        let sent = client
            .post(format!("{cluster_url}/events/{event}/register"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("name", "クラスタ 試験"),
                ("organisation", "株式会社クラスタ試験"),
                ("email", email.as_str()),
                ("attendees", "1"),
            ])
            .send()
            .await;
        seen.answer(email, sent, StatusCode::SEE_OTHER).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    seen
}

/// Asks, as the member of `company`, for a meeting with the next participant it has
/// not asked yet, every few hundred milliseconds until `stop` (or until none is left).
async fn requester(
    cluster_url: String,
    client: Client,
    fair: String,
    company: String,
    targets: Arc<Mutex<VecDeque<String>>>,
    stop: Arc<AtomicBool>,
) -> Seen {
    let token = csrf(&client, &format!("{cluster_url}/login")).await;
    let mut seen = Seen::default();
    while !stop.load(Ordering::SeqCst) {
        let next = targets.lock().unwrap().pop_front();
        if let Some(to) = next {
            let sent = client
                .post(format!("{cluster_url}/fairs/{fair}/requests"))
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("from", company.as_str()),
                    ("to", to.as_str()),
                    ("priority", "should"),
                ])
                .send()
                .await;
            seen.answer(format!("{company}>{to}"), sent, StatusCode::SEE_OTHER)
                .await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    seen
}

/// The minute of operation `index`'s start or finish, as the API reads it.
fn report_time(index: usize, finish: bool) -> String {
    let release = release();
    let minutes = 20 * index as i64 + if finish { 10 } else { 0 };
    (release + chrono::Duration::minutes(minutes))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The machine reports start, finish, start, finish… of its job's operations with
/// its API token (no cookie, no CSRF) until `stop`. Each report depends on the one
/// before, so after a report whose answer was lost (in flight at the SIGKILL) the
/// same report is sent again: 201 if the first never arrived, 409 ("already
/// started/finished") if it did — then it was written once, unacknowledged.
async fn machine(
    cluster_url: String,
    token: String,
    progress: Arc<Mutex<Progress>>,
    stop: Arc<AtomicBool>,
) -> Seen {
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut seen = Seen::default();
    let mut after_failure = false;
    while !stop.load(Ordering::SeqCst) {
        let (operation, index, finish) = {
            let progress = progress.lock().unwrap();
            match progress.operations.get(progress.next) {
                Some(&id) => (id, progress.next, progress.started),
                None => break,
            }
        };
        let kind = if finish { "finish" } else { "start" };
        let key = format!("{operation}:{kind}");
        let sent = client
            .post(format!(
                "{cluster_url}/api/v1/network/operations/{operation}/events"
            ))
            .bearer_auth(&token)
            .json(&serde_json::json!({"kind": kind, "at": report_time(index, finish)}))
            .send()
            .await;
        let written_before = after_failure
            && sent
                .as_ref()
                .is_ok_and(|response| response.status() == StatusCode::CONFLICT);
        let advance = if written_before {
            true
        } else {
            seen.answer(key, sent, StatusCode::CREATED).await
        };
        after_failure = !advance;
        if advance {
            let mut progress = progress.lock().unwrap();
            if progress.started {
                progress.started = false;
                progress.next += 1;
            } else {
                progress.started = true;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    seen
}

async fn write_for(
    cluster: &Cluster,
    load: &Load,
    phase: &'static str,
    during: impl std::future::Future<Output = ()>,
) -> Writes {
    let stop = Arc::new(AtomicBool::new(false));
    let url = cluster.url("");
    let writers: Vec<_> = load
        .clients
        .iter()
        .enumerate()
        .map(|(id, client)| {
            tokio::spawn(writer(url.clone(), client.clone(), phase, id, stop.clone()))
        })
        .collect();
    let registrants: Vec<_> = load
        .registrants
        .iter()
        .enumerate()
        .map(|(id, client)| {
            tokio::spawn(registrant(
                url.clone(),
                client.clone(),
                load.event.clone(),
                phase,
                id,
                stop.clone(),
            ))
        })
        .collect();
    let requesters: Vec<_> = load
        .companies
        .iter()
        .map(|(client, company, targets)| {
            tokio::spawn(requester(
                url.clone(),
                client.clone(),
                load.fair.clone(),
                company.clone(),
                targets.clone(),
                stop.clone(),
            ))
        })
        .collect();
    let machine = tokio::spawn(machine(
        url.clone(),
        load.machine_token.clone(),
        load.progress.clone(),
        stop.clone(),
    ));
    during.await;
    stop.store(true, Ordering::SeqCst);
    let mut all = Writes::default();
    for writer in writers {
        all.events.extend(writer.await.unwrap());
    }
    for writer in registrants {
        all.registrations.extend(writer.await.unwrap());
    }
    for writer in requesters {
        all.requests.extend(writer.await.unwrap());
    }
    all.progress.extend(machine.await.unwrap());
    all
}

async fn titles_in_database(url: &str) -> BTreeMap<String, i64> {
    let store = Store::connect(url).await.unwrap();
    let db = store.connection();
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT title, COUNT(*) AS n FROM events WHERE title LIKE 'cluster-%' GROUP BY title",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            (
                row.try_get("", "title").unwrap(),
                row.try_get("", "n").unwrap(),
            )
        })
        .collect()
}

/// Rows `(k, n)` of `sql` as a map: each write's key and how often it is there.
async fn counts(url: &str, sql: &str) -> BTreeMap<String, i64> {
    let store = Store::connect(url).await.unwrap();
    let db = store.connection();
    let rows = db
        .query_all(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|row| (row.try_get("", "k").unwrap(), row.try_get("", "n").unwrap()))
        .collect()
}

/// Every registration, meeting request and progress report the load wrote, by key.
async fn other_writes_in_database(
    url: &str,
    load: &Load,
) -> [(&'static str, BTreeMap<String, i64>); 3] {
    let registrations = counts(
        url,
        "SELECT email AS k, COUNT(*) AS n FROM event_registrations WHERE email LIKE 'cluster-%' GROUP BY email",
    )
    .await;
    let requests = counts(
        url,
        &format!(
            "SELECT cf.key || '>' || ct.key AS k, COUNT(*) AS n FROM fair_requests r \
             JOIN fairs f ON f.id = r.fair_id \
             JOIN fair_participants pf ON pf.id = r.from_participant_id \
             JOIN companies cf ON cf.id = pf.company_id \
             JOIN fair_participants pt ON pt.id = r.to_participant_id \
             JOIN companies ct ON ct.id = pt.company_id \
             WHERE f.key = '{}' AND r.requested_by LIKE 'cluster-%' GROUP BY cf.key, ct.key",
            load.fair
        ),
    )
    .await;
    let operations = load.progress.lock().unwrap().operations.clone();
    let progress = counts(
        url,
        &format!(
            "SELECT CAST(operation_id AS TEXT) || ':' || kind AS k, COUNT(*) AS n FROM network_events \
             WHERE operation_id IN ({}) GROUP BY operation_id, kind",
            operations
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ),
    )
    .await;
    [
        ("registrations", registrations),
        ("requests", requests),
        ("progress", progress),
    ]
}

/// A kind of write other than the events under the SIGKILL: at most one in-flight
/// request per client failed, each inside the kill window; some were acknowledged
/// after the process was DOWN (sessions, CSRF tokens and the API token kept working).
fn assert_kill_window(
    seen: &Seen,
    clients: usize,
    killed_at: Instant,
    down_after: Duration,
    kind: &str,
) {
    assert!(
        seen.failed.len() <= clients,
        "{kind}: at most one in-flight request per client fails: {:?}",
        seen.failed
    );
    for (key, at, error) in &seen.failed {
        let since_kill = at.saturating_duration_since(killed_at);
        assert!(
            *at >= killed_at && since_kill <= down_after + CHECK_INTERVAL,
            "{kind}: {key} failed outside the kill ({since_kill:?} after it): {error}"
        );
    }
    assert!(
        seen.acknowledged
            .iter()
            .any(|(_, at)| *at > killed_at + down_after),
        "{kind}: written after the kill"
    );
}

async fn scalar(url: &str, sql: &str) -> i64 {
    let store = Store::connect(url).await.unwrap();
    let db = store.connection();
    db.query_one(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

fn assert_acknowledged_present(seen: &Seen, present: &BTreeMap<String, i64>, phase: &str) -> usize {
    let lost: Vec<&String> = seen
        .acknowledged
        .iter()
        .map(|(title, _)| title)
        .filter(|title| !present.contains_key(*title))
        .collect();
    assert!(
        lost.is_empty(),
        "{phase}: {} acknowledged writes lost: {lost:?}",
        lost.len()
    );
    let doubled: Vec<(&String, &i64)> = present.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "{phase}: written twice: {doubled:?}");
    lost.len()
}

/// Sets up what the writers beside the events write to: an event to register for
/// (created through the proxy), the demonstration fair opened to every company of
/// the directory with room for more requests, two company members of it, a machine
/// of 大田区's 株式会社糀谷技研 with a planned job of [`OPERATIONS`] operations and a
/// machine token made by 大田区's staff. Accounts, the machine and the job are made
/// with the store directly: they are the fixture, not what is under test.
async fn prepare_load(cluster: &Cluster, url: &str, clients: Vec<Client>) -> Load {
    let admin = &clients[0];
    let token = csrf(admin, &cluster.url("/events/new")).await;
    let created = admin
        .post(cluster.url("/events"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("organisation", "amagasaki"),
            ("title", "クラスタ試験の申込先セミナー"),
            ("event_type", "seminar"),
            ("city", "amagasaki"),
            ("pillars", "2"),
            ("start_date", "2030-12-24"),
            ("start_time", "13:30"),
            ("end_time", "16:00"),
            ("venue", "尼崎市中小企業センター"),
            ("capacity", ""),
            ("description", "クラスタ試験の申込先"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.status(),
        StatusCode::SEE_OTHER,
        "the event to register for"
    );
    let location = created.headers()["location"].to_str().unwrap();
    let event = location
        .trim_start_matches("/events/")
        .split(['?', '/'])
        .next()
        .unwrap()
        .to_owned();
    let mut registrants = Vec::new();
    for _ in 0..REGISTRANTS {
        registrants.push(sign_in(cluster, PASSWORD).await);
    }

    let store = Store::connect(url).await.unwrap();
    let secretariat = store::accounts::find_by_email(&store, ADMIN)
        .await
        .unwrap()
        .expect("the first administrator")
        .actor();
    let account = async |email: &str, role: &str, organisation: &str, company: &str| {
        let (user, one_time) = store::accounts::create_user(
            &store,
            None,
            &store::accounts::NewUser {
                email: email.to_owned(),
                display_name: String::new(),
                role: role.to_owned(),
                organisation: organisation.to_owned(),
                company: company.to_owned(),
            },
        )
        .await
        .unwrap();
        store::accounts::change_password(&store, &user.actor(), &one_time, PASSWORD)
            .await
            .unwrap();
        user.actor()
    };

    // The demonstration fair, open to every company of the directory, with room for
    // every request the writers make and its deadline ahead.
    let fair = store::fairs::list(&store).await.unwrap().remove(0);
    scalar(
        url,
        &format!(
            "UPDATE fairs SET request_cap = 200, request_deadline = '2099-12-31' WHERE key = '{}' RETURNING 0::BIGINT",
            fair.key
        ),
    )
    .await;
    let companies = counts(url, "SELECT key AS k, 0::BIGINT AS n FROM companies").await;
    for company in companies.keys() {
        if fair.participant_by_company(company).is_none() {
            store::fairs::save_participant(
                &store,
                &secretariat,
                &fair.key,
                company,
                domain::fairs::FairRole::Supplier,
                &[],
            )
            .await
            .unwrap();
        }
    }
    let fair = store::fairs::get(&store, &fair.key).await.unwrap();
    let mut members = Vec::new();
    for company in FAIR_COMPANIES {
        let email = format!("cluster-{company}@company.example.jp");
        account(&email, "company", "", company).await;
        let me = fair
            .participant_by_company(company)
            .expect("a participant")
            .id;
        let asked: Vec<i64> = fair
            .requests
            .iter()
            .filter_map(|r| {
                if r.from == me {
                    Some(r.to)
                } else if r.to == me {
                    Some(r.from)
                } else {
                    None
                }
            })
            .collect();
        let targets: VecDeque<String> = fair
            .participants
            .iter()
            .filter(|p| !FAIR_COMPANIES.contains(&p.company_key.as_str()) && !asked.contains(&p.id))
            .map(|p| p.company_key.clone())
            .collect();
        members.push((
            sign_in_as(cluster, &email, PASSWORD).await,
            company.to_owned(),
            Arc::new(Mutex::new(targets)),
        ));
    }

    // A machine of its own (no operation of the demonstration under way on it), a
    // job of OPERATIONS operations on it, planned, and its machine token.
    let staff = account("cluster-staff@city.ota.example.jp", "staff", "ota", "").await;
    let machine = store::network::add_machine(
        &store,
        &staff,
        "ota-02",
        &store::network::MachineInput {
            name: "クラスタ試験 NC旋盤".into(),
            processes: "cutting".into(),
            days: "月火水木金".into(),
            hours: "08:30-17:30".into(),
            holidays: String::new(),
        },
    )
    .await
    .unwrap();
    let job = store::network::create_job(
        &store,
        &staff,
        "ota-05",
        &domain::network::JobInput {
            name: "クラスタ試験の部品".into(),
            release: release().format("%Y-%m-%d %H:%M").to_string(),
            due: String::new(),
            operations: format!("切削 {}:10\n", machine.id).repeat(OPERATIONS),
        },
    )
    .await
    .unwrap();
    let release =
        domain::network::parse_time("release", &release().format("%Y-%m-%d %H:%M").to_string())
            .unwrap();
    store::network::route(
        &store,
        &secretariat,
        release,
        store::network::default_budget(),
    )
    .await
    .unwrap();
    let (_, machine_token) =
        store::api_tokens::create(&store, &staff, "クラスタ試験の旋盤", Some(machine.id))
            .await
            .unwrap();
    Load {
        clients,
        registrants,
        event,
        fair: fair.key,
        companies: members,
        machine_token,
        progress: Arc::new(Mutex::new(Progress {
            operations: job.operations.iter().map(|o| o.id).collect(),
            next: 0,
            started: false,
        })),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cluster_loses_no_acknowledged_write_to_a_sigkill_and_rolls_without_a_failed_request() {
    if !prerequisites() {
        return;
    }
    let started = Instant::now();
    let database = TestDatabase::create(Backend::Postgres).await.unwrap();
    let cluster = Cluster {
        dir: std::env::temp_dir().join(format!("renkei-cluster-{}", std::process::id())),
        port: free_ports(),
        database_url: database.url.clone(),
    };
    let _ = std::fs::remove_dir_all(&cluster.dir);

    // Three processes started together on an empty database: one migrates and seeds,
    // one creates the first administrator.
    cluster.run(&["up", &PROCESSES.to_string()], &[]);
    let up_after = started.elapsed();
    let passwords: Vec<String> = (1..=PROCESSES)
        .filter_map(|i| {
            cluster
                .log_of(i)
                .lines()
                .find_map(|l| l.trim().strip_prefix("初回パスワード: ").map(str::to_owned))
        })
        .collect();
    assert_eq!(
        passwords.len(),
        1,
        "one first administrator for three processes\n{}",
        cluster.logs()
    );
    let admin = sign_in(&cluster, &passwords[0]).await;
    let status = post_form(
        &admin,
        &cluster,
        "/account/password",
        &[
            ("current_password", &passwords[0]),
            ("new_password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "password change through the proxy"
    );
    let mut clients = vec![admin];
    for _ in 1..CLIENTS {
        clients.push(sign_in(&cluster, PASSWORD).await);
    }
    let load = prepare_load(&cluster, &database.url, clients).await;

    // Failover: r2 killed with SIGKILL under load.
    let victim = 2;
    let victim_pid = cluster.pid_of(victim);
    let mut killed_at = Instant::now();
    let mut down_after = Duration::ZERO;
    let failover = write_for(&cluster, &load, "failover", async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        killed_at = Instant::now();
        let killed = Command::new("kill")
            .args(["-KILL", &victim_pid.to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        loop {
            if cluster.proxy_status(victim).starts_with("DOWN") {
                down_after = killed_at.elapsed();
                break;
            }
            assert!(
                killed_at.elapsed() < Duration::from_secs(10),
                "r{victim} never DOWN\n{}",
                cluster.logs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    })
    .await;
    let limit = CHECK_INTERVAL * (FALL + 1);
    assert!(
        down_after <= limit,
        "DOWN after {down_after:?}, more than {limit:?}"
    );
    let other_kinds = [
        (&failover.registrations, REGISTRANTS, "registrations"),
        (&failover.requests, FAIR_COMPANIES.len(), "fair requests"),
        (&failover.progress, 1, "progress reports"),
    ];
    for (seen, clients, kind) in other_kinds {
        assert_kill_window(seen, clients, killed_at, down_after, kind);
    }
    let failover_writes = failover;
    let failover = &failover_writes.events;
    assert!(
        failover.failed.len() <= CLIENTS,
        "at most one in-flight request per client fails: {:?}",
        failover.failed
    );
    for (title, at, error) in &failover.failed {
        let since_kill = at.saturating_duration_since(killed_at);
        assert!(
            *at >= killed_at && since_kill <= down_after + CHECK_INTERVAL,
            "{title} failed outside the kill ({since_kill:?} after it): {error}"
        );
    }
    // Sessions and CSRF tokens made before the kill keep working: every client wrote
    // after it, with the same cookie and token, on the remaining processes.
    for id in 0..CLIENTS {
        let prefix = format!("cluster-failover-{id}-");
        assert!(
            failover
                .acknowledged
                .iter()
                .any(|(t, at)| t.starts_with(&prefix) && *at > killed_at + down_after),
            "client {id} wrote after the kill"
        );
    }
    let present = titles_in_database(&database.url).await;
    let lost_failover = assert_acknowledged_present(failover, &present, "failover");
    for (kind, present) in other_writes_in_database(&database.url, &load).await {
        let seen = match kind {
            "registrations" => &failover_writes.registrations,
            "requests" => &failover_writes.requests,
            _ => &failover_writes.progress,
        };
        assert_acknowledged_present(seen, &present, &format!("failover {kind}"));
    }

    // Rolling restart onto the "new binary" (the rehearsal migration), r2 included.
    let before_roll = scalar(&database.url, "SELECT COUNT(*) FROM schema_migrations").await;
    let roll_started = Instant::now();
    let mut roll_output = String::new();
    let roll_writes = write_for(&cluster, &load, "roll", async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let script_env = [("RENKEI_REHEARSAL_MIGRATION", "1")];
        roll_output = tokio::task::block_in_place(|| cluster.run(&["roll"], &script_env));
        tokio::time::sleep(Duration::from_secs(1)).await;
    })
    .await;
    let roll_took = roll_started.elapsed();
    for (seen, kind) in [
        (&roll_writes.registrations, "registrations"),
        (&roll_writes.requests, "fair requests"),
        (&roll_writes.progress, "progress reports"),
    ] {
        assert!(
            seen.failed.is_empty(),
            "{} {kind} failed during the rolling restart: {:?}\n{roll_output}\n{}",
            seen.failed.len(),
            seen.failed,
            cluster.logs()
        );
        assert!(
            !seen.acknowledged.is_empty(),
            "{kind} written during the rolling restart"
        );
    }
    let roll = &roll_writes.events;
    assert!(
        roll.failed.is_empty(),
        "{} requests failed during the rolling restart: {:?}\n{roll_output}\n{}",
        roll.failed.len(),
        roll.failed,
        cluster.logs()
    );
    let present = titles_in_database(&database.url).await;
    let lost_roll = assert_acknowledged_present(roll, &present, "roll");
    for (kind, present) in other_writes_in_database(&database.url, &load).await {
        let seen = match kind {
            "registrations" => &roll_writes.registrations,
            "requests" => &roll_writes.requests,
            _ => &roll_writes.progress,
        };
        assert_acknowledged_present(seen, &present, &format!("roll {kind}"));
    }
    assert_eq!(
        scalar(&database.url, "SELECT COUNT(*) FROM schema_migrations").await,
        before_roll + 1,
        "one new migration"
    );
    assert_eq!(
        scalar(
            &database.url,
            "SELECT COUNT(*) FROM schema_migrations WHERE version = 9000"
        )
        .await,
        1
    );
    let applied_by: Vec<usize> = (1..=PROCESSES)
        .filter(|i| {
            cluster
                .log_of(*i)
                .lines()
                .any(|l| l.contains("migration applied") && l.contains("version=9000"))
        })
        .collect();
    assert_eq!(
        applied_by,
        [1],
        "the first process restarted applies it, alone"
    );
    for i in 1..=PROCESSES {
        assert!(
            cluster.log_of(i).contains("migration lock taken"),
            "r{i} took the lock"
        );
        assert!(
            cluster.proxy_status(i).starts_with("UP"),
            "r{i} UP after the roll"
        );
    }
    // Once-only work: no ISO week's digest queued twice, one first administrator.
    assert_eq!(
        scalar(&database.url, "SELECT COUNT(*) FROM (SELECT week FROM digest_rounds GROUP BY week HAVING COUNT(*) > 1) d").await,
        0
    );
    assert_eq!(
        scalar(&database.url, "SELECT COUNT(*) FROM (SELECT entity_key FROM audit_log WHERE entity = 'digest' GROUP BY entity_key HAVING COUNT(*) > 1) d").await,
        0,
        "no digest audited twice"
    );
    eprintln!(
        "cluster ({PROCESSES} processes, {CLIENTS} clients): up in {:.1} s; failover: {} writes acknowledged, {} failed (in flight at the SIGKILL), {lost_failover} lost, r{victim} DOWN after {} ms; rolling restart in {:.1} s: {} acknowledged, {} failed, {lost_roll} lost, migration 9000 applied once by r1; {:.1} s in all",
        up_after.as_secs_f64(),
        failover.acknowledged.len(),
        failover.failed.len(),
        down_after.as_millis(),
        roll_took.as_secs_f64(),
        roll.acknowledged.len(),
        roll.failed.len(),
        started.elapsed().as_secs_f64()
    );
    for (kind, during_kill, during_roll) in [
        (
            "registrations",
            &failover_writes.registrations,
            &roll_writes.registrations,
        ),
        (
            "fair requests",
            &failover_writes.requests,
            &roll_writes.requests,
        ),
        (
            "progress reports",
            &failover_writes.progress,
            &roll_writes.progress,
        ),
    ] {
        eprintln!(
            "  {kind}: failover {} acknowledged, {} failed; roll {} acknowledged, {} failed; 0 lost, 0 written twice",
            during_kill.acknowledged.len(),
            during_kill.failed.len(),
            during_roll.acknowledged.len(),
            during_roll.failed.len()
        );
    }
}
