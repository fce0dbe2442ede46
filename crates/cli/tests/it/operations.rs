//! Running the platform as an operator does: `--log-format json` for a log shipper,
//! `--trusted-proxy` and `--public-url` checked at start, backups on a schedule with
//! a number of copies kept.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Workdir, stderr, stdout};

#[tokio::test]
async fn json_logs_are_one_object_a_line_with_each_request_s_route_status_and_client() {
    let dir = Workdir::new("json-logs");
    let log = dir.0.join("serve.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--insecure-cookies",
            "--weekly-digest",
            "off",
            "--log-format",
            "json",
            "--trusted-proxy",
            "10.0.0.0/8,127.0.0.1",
        ])
        .current_dir(&dir.0)
        .env(
            "RENKEI_DATABASE_URL",
            format!("sqlite://{}", dir.0.join("renkei.db").display()),
        )
        .env("RENKEI_LOG", "info,sqlx=warn,sea_orm=warn")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(90);
    let base = loop {
        assert!(Instant::now() < deadline, "renkei serve did not start");
        let line = lines.next().expect("a line").unwrap();
        if let Some(base) = line.strip_prefix("renkei を起動しました: ") {
            break base.trim().to_owned();
        }
    };
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{base}/events/no-such-event"))
        // Our proxy appended the client's address after a forged one.
        .header("x-forwarded-for", "192.0.2.1, 203.0.113.5")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::NOT_FOUND);
    let response = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    // The access line is written as the answer leaves; give the writer a moment.
    let mut text = String::new();
    for _ in 0..50 {
        text = std::fs::read_to_string(&log).unwrap();
        if text.contains("/healthz") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let objects: Vec<serde_json::Value> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    assert!(!objects.is_empty(), "no log lines");
    for object in &objects {
        for key in ["timestamp", "level", "target"] {
            assert!(object.get(key).is_some(), "{key} missing in {object}");
        }
    }
    let access = objects
        .iter()
        .find(|o| o["target"] == "renkei::access" && o["route"] == "/events/{key}")
        .unwrap_or_else(|| panic!("no access line for /events/{{key}} in\n{text}"));
    assert_eq!(access["level"], "INFO");
    assert_eq!(access["method"], "GET");
    assert_eq!(access["status"], 404);
    assert_eq!(access["client"], "203.0.113.5", "{access}");
    assert!(access["latency_ms"].as_f64().is_some(), "{access}");
    assert!(
        access["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    // The address asked for is never logged, only its route's pattern.
    assert!(!text.contains("no-such-event"), "{text}");
    let health = objects
        .iter()
        .find(|o| o["target"] == "renkei::access" && o["route"] == "/healthz")
        .expect("an access line for /healthz");
    assert_eq!(health["client"], "127.0.0.1", "the proxy itself, no header");
}

#[test]
fn contradictory_or_unreadable_proxy_settings_are_refused_at_start() {
    let dir = Workdir::new("proxy-flags");
    let refused = dir.renkei(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--trusted-proxy",
        "10.0.0.0/8,proxy.local",
    ]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("信頼するプロキシ「proxy.local」を読み取れません"),
        "{}",
        stderr(&refused)
    );
    let refused = dir.renkei(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--insecure-cookies",
        "--public-url",
        "https://renkei.example.jp",
    ]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("--insecure-cookies と https の --public-url"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn scheduled_backups_keep_only_the_newest_copies() {
    let dir = Workdir::new("backup-keep");
    let migrate = dir.renkei(&["migrate"]);
    assert!(migrate.status.success(), "{}", stderr(&migrate));
    let backups = dir.0.join("backups");
    let backups_arg = backups.display().to_string();
    for _ in 0..3 {
        let taken = dir.renkei(&["backup", "--dir", &backups_arg, "--keep", "2"]);
        assert!(taken.status.success(), "{}", stderr(&taken));
        assert!(stdout(&taken).contains("バックアップを作成しました"));
    }
    let mut names: Vec<String> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.starts_with("renkei-") && n.ends_with(".db"))
    );
    // Each copy restores.
    let restored = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(["restore", "--yes"])
        .arg(backups.join(&names[1]))
        .env(
            "RENKEI_DATABASE_URL",
            format!("sqlite://{}", dir.0.join("restored.db").display()),
        )
        .env("RENKEI_LOG", "warn")
        .output()
        .unwrap();
    assert!(restored.status.success(), "{}", stderr(&restored));
    let refused = dir.renkei(&["backup", "--dir", &backups_arg, "--keep", "0"]);
    assert!(!refused.status.success(), "keeping none is refused");
}

#[tokio::test]
async fn a_change_made_on_the_command_line_records_no_client_address() {
    let dir = Workdir::new("audit-cli");
    let added = dir.renkei(&[
        "user",
        "add",
        "--org",
        "大田区",
        "--role",
        "staff",
        "cli@city.ota.example.jp",
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    let store = store::Store::connect(&format!("sqlite://{}", dir.0.join("renkei.db").display()))
        .await
        .unwrap();
    use sea_orm::{ConnectionTrait, Statement};
    let db = store.connection();
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT client_address FROM audit_log WHERE entity = 'user' AND entity_key = 'cli@city.ota.example.jp'",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "the account's creation is audited");
    let address: Option<String> = rows[0].try_get("", "client_address").unwrap();
    assert_eq!(address, None, "no web request, no client address");
}

/// Every line a command wrote, read as JSON (panics naming a line that is not).
fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

#[test]
fn in_json_log_format_the_final_error_and_the_import_messages_are_json_lines() {
    let dir = Workdir::new("json-output");
    // The error a command ends with: one JSON object, level ERROR, the Japanese message.
    let refused = dir.renkei(&[
        "--log-format",
        "json",
        "user",
        "add",
        "--org",
        "横浜市",
        "x@example.jp",
    ]);
    assert!(!refused.status.success());
    let lines = json_lines(&stderr(&refused));
    let error = lines.last().expect("the error line");
    assert_eq!(error["level"], "ERROR", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("横浜市"),
        "{error}"
    );
    assert!(error["timestamp"].is_string() && error["target"].is_string());
    // Text stays as people read it.
    let plain = dir.renkei(&["user", "add", "--org", "横浜市", "x@example.jp"]);
    assert!(stderr(&plain).starts_with("Error: "), "{}", stderr(&plain));

    // The import's result and its refused rows.
    let file = dir.0.join("nta.csv");
    let generated = dir.renkei(&[
        "--log-format",
        "json",
        "import",
        "generate-nta",
        "--rows",
        "200",
        "--malformed",
        "0.05",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(generated.status.success(), "{}", stderr(&generated));
    let said = json_lines(&stdout(&generated));
    assert!(
        said[0]["message"]
            .as_str()
            .unwrap()
            .contains("200行を書き出しました")
    );
    let imported = dir.renkei(&[
        "--log-format",
        "json",
        "import",
        "nta",
        file.to_str().unwrap(),
    ]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let result = json_lines(&stdout(&imported));
    assert!(
        result
            .iter()
            .any(|line| line["message"].as_str().unwrap().contains("新規")),
        "{result:?}"
    );
    let refusals = json_lines(&stderr(&imported));
    assert!(
        refusals.iter().any(|line| line["message"]
            .as_str()
            .is_some_and(|m| m.contains("取り込めなかった行"))),
        "{refusals:?}"
    );
}

#[tokio::test]
async fn sigterm_lets_the_request_in_flight_finish_and_exits_zero() {
    use std::io::{Read, Write};
    let dir = Workdir::new("sigterm");
    let started = crate::crash::Server::start(
        &format!("sqlite://{}", dir.0.join("renkei.db").display()),
        &dir.0.join("serve.log"),
    );
    let mut server = started.server;
    let address = server
        .url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    // A request in flight: its headers and half its body sent.
    let body = "email=nobody%40example.jp&password=wrong-password";
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "POST /login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        &body[..10]
    )
    .unwrap();
    stream.flush().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "still serving the request in flight"
    );
    stream.write_all(&body.as_bytes()[10..]).unwrap();
    let mut answer = String::new();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.read_to_string(&mut answer).unwrap();
    let status_line = answer.lines().next().unwrap_or_default().to_owned();
    assert!(
        status_line.starts_with("HTTP/1.1 ") && !status_line.contains(" 5"),
        "the request in flight was answered: {status_line}"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.success(),
        "exit status {status:?}\n{}",
        server.log_tail()
    );
    assert!(
        std::net::TcpStream::connect(&address).is_err(),
        "nothing listens after the stop"
    );
}
