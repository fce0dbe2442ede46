//! The cluster: three `renkei serve` processes on one PostgreSQL database behind
//! HAProxy (`scripts/cluster`), driven through the proxy by several signed-in clients
//! writing at a steady pace. One process is killed with SIGKILL: every write that got
//! its 303 is in the database, clients see at most their in-flight requests fail,
//! HAProxy marks the process DOWN within its check interval, and sessions and CSRF
//! tokens keep working on the other processes. Then a rolling restart onto a binary
//! with one more migration (the rehearsal, `RENKEI_REHEARSAL_MIGRATION=1`): no failed
//! request at the proxy, and the migration applied once, by the first process
//! restarted, under the migration lock.
//!
//! Needs PostgreSQL (`RENKEI_TEST_POSTGRES`) and `haproxy`; without them it says so
//! and passes, except with CI=true, where it fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use store::testing::TestDatabase;
use store::{Backend, Store};

use crate::crash::{ADMIN, PASSWORD, client, meta_csrf};

const PROCESSES: usize = 3;
const CLIENTS: usize = 4;
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
    let client = client();
    let status = post_form(
        &client,
        cluster,
        "/login",
        &[("email", ADMIN), ("password", password)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "login through the proxy");
    client
}

/// What one writer saw: acknowledged titles with the time of the answer, and failures
/// (status or transport error) with their time.
#[derive(Default)]
struct Seen {
    acknowledged: Vec<(String, Instant)>,
    failed: Vec<(String, Instant, String)>,
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

async fn write_for(
    cluster: &Cluster,
    clients: &[Client],
    phase: &'static str,
    during: impl std::future::Future<Output = ()>,
) -> Seen {
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = clients
        .iter()
        .enumerate()
        .map(|(id, client)| {
            tokio::spawn(writer(
                cluster.url(""),
                client.clone(),
                phase,
                id,
                stop.clone(),
            ))
        })
        .collect();
    during.await;
    stop.store(true, Ordering::SeqCst);
    let mut all = Seen::default();
    for writer in writers {
        let seen = writer.await.unwrap();
        all.acknowledged.extend(seen.acknowledged);
        all.failed.extend(seen.failed);
    }
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

    // Failover: r2 killed with SIGKILL under load.
    let victim = 2;
    let victim_pid = cluster.pid_of(victim);
    let mut killed_at = Instant::now();
    let mut down_after = Duration::ZERO;
    let failover = write_for(&cluster, &clients, "failover", async {
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
    let lost_failover = assert_acknowledged_present(&failover, &present, "failover");

    // Rolling restart onto the "new binary" (the rehearsal migration), r2 included.
    let before_roll = scalar(&database.url, "SELECT COUNT(*) FROM schema_migrations").await;
    let roll_started = Instant::now();
    let mut roll_output = String::new();
    let roll = write_for(&cluster, &clients, "roll", async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let script_env = [("RENKEI_REHEARSAL_MIGRATION", "1")];
        roll_output = tokio::task::block_in_place(|| cluster.run(&["roll"], &script_env));
        tokio::time::sleep(Duration::from_secs(1)).await;
    })
    .await;
    let roll_took = roll_started.elapsed();
    assert!(
        roll.failed.is_empty(),
        "{} requests failed during the rolling restart: {:?}\n{roll_output}\n{}",
        roll.failed.len(),
        roll.failed,
        cluster.logs()
    );
    let present = titles_in_database(&database.url).await;
    let lost_roll = assert_acknowledged_present(&roll, &present, "roll");
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
}
