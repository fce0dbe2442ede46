//! The `renkei` binary as an operator runs it: help, migrate, user add, reports and
//! exports, each on a fresh SQLite database.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::path::PathBuf;
use std::process::{Command, Output};

mod accounts;
mod bombs;
mod bulk;
mod cluster;
mod crash;
mod directory;
mod mail;
mod operations;
mod signup;

struct Workdir(PathBuf);

impl Workdir {
    fn new(name: &str) -> Workdir {
        let dir = std::env::temp_dir().join(format!("renkei-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Workdir(dir)
    }

    fn renkei(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_renkei"))
            .args(args)
            .current_dir(&self.0)
            .env(
                "RENKEI_DATABASE_URL",
                format!("sqlite://{}", self.0.join("renkei.db").display()),
            )
            .env("RENKEI_LOG", "warn")
            .output()
            .unwrap()
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn help_describes_every_subcommand() {
    let dir = Workdir::new("help");
    let help = stdout(&dir.renkei(&["--help"]));
    for command in ["serve", "migrate", "user", "report", "export", "bench"] {
        assert!(help.contains(command), "{command} in:\n{help}");
    }
    let bench = stdout(&dir.renkei(&["bench", "--help"]));
    assert!(bench.contains("fair") && bench.contains("fjsp"));
}

#[test]
fn user_add_creates_a_staff_account_by_japanese_organisation_name() {
    let dir = Workdir::new("user");
    let migrate = dir.renkei(&["migrate"]);
    assert!(migrate.status.success(), "{}", stderr(&migrate));
    let added = dir.renkei(&[
        "user",
        "add",
        "--org",
        "大田区",
        "--role",
        "staff",
        "tanaka@city.ota.example.jp",
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    let out = stdout(&added);
    assert!(
        out.contains("tanaka@city.ota.example.jp（大田区・市区・商工会議所職員）"),
        "{out}"
    );
    assert!(out.contains("初回パスワード"));

    let again = dir.renkei(&[
        "user",
        "add",
        "--org",
        "大田区",
        "tanaka@city.ota.example.jp",
    ]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("既に登録されています"));
    let unknown = dir.renkei(&["user", "add", "--org", "横浜市", "x@example.jp"]);
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("横浜市"), "{}", stderr(&unknown));
}

#[test]
fn the_annual_report_prints_as_markdown_and_writes_standalone_html() {
    let dir = Workdir::new("report");
    let markdown = dir.renkei(&[
        "report",
        "annual",
        "--fy",
        "2016",
        "--fy",
        "平成29年度",
        "--format",
        "md",
    ]);
    assert!(markdown.status.success(), "{}", stderr(&markdown));
    let text = stdout(&markdown);
    assert!(text.starts_with("# 第10回中小企業都市サミット「尼崎宣言」"));
    assert!(text.contains("## 1 協議会全体の事業"));
    assert!(text.contains("### 川口商工会議所"));
    assert!(text.contains("58商談"));
    assert!(text.contains("平成29年度（2017年度）"));

    let html = dir.renkei(&[
        "report",
        "annual",
        "--fy",
        "2016",
        "--format",
        "html",
        "--output",
        "report.html",
    ]);
    assert!(html.status.success(), "{}", stderr(&html));
    let file = std::fs::read_to_string(dir.0.join("report.html")).unwrap();
    assert!(
        file.contains("<style>") && file.contains("@media print"),
        "stylesheet embedded"
    );
    assert!(
        !file.contains("平成29年度（2017年度）</h3>"),
        "only the requested year"
    );

    let bad = dir.renkei(&["report", "annual", "--fy", "1800"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("範囲外"));
}

/// Whether poppler's pdftotext and pdffonts are here; under CI they must be.
fn poppler() -> bool {
    let found = ["pdftotext", "pdffonts"]
        .iter()
        .all(|tool| Command::new(tool).arg("-v").output().is_ok());
    assert!(
        found || std::env::var("CI").as_deref() != Ok("true"),
        "CI must install poppler-utils to check the PDF"
    );
    found
}

#[test]
fn the_annual_report_writes_the_published_pdf() {
    let dir = Workdir::new("report-pdf");
    let written = dir.renkei(&[
        "report",
        "annual",
        "--fy",
        "2016",
        "--fy",
        "2017",
        "--format",
        "pdf",
        "--output",
        "report.pdf",
    ]);
    assert!(written.status.success(), "{}", stderr(&written));
    let path = dir.0.join("report.pdf");
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    // To standard output as well, byte for byte a PDF.
    let piped = dir.renkei(&["report", "annual", "--fy", "2016", "--format", "pdf"]);
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert!(piped.stdout.starts_with(b"%PDF-"));
    let bad = dir.renkei(&["report", "annual", "--fy", "1800", "--format", "pdf"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("範囲外"));
    if !poppler() {
        return;
    }
    let text = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    let text: String = String::from_utf8_lossy(&text.stdout)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for expected in [
        "第10回中小企業都市サミット",
        "目次",
        "1協議会全体の事業",
        "川口商工会議所",
        "58商談",
        "KPI・事業数の概要",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    assert!(!text.contains("柱は資料に明記がなく"), "no staff-only note");
    let fonts = Command::new("pdffonts").arg(&path).output().unwrap();
    let fonts = String::from_utf8_lossy(&fonts.stdout).into_owned();
    let row = fonts
        .lines()
        .find(|l| l.contains("IPAexGothic"))
        .unwrap_or_else(|| panic!("IPAexGothic in {fonts}"));
    let fields: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(fields[fields.len() - 5], "yes", "embedded: {fonts}");
}

#[test]
fn initiatives_export_to_csv_and_xlsx_files() {
    let dir = Workdir::new("export");
    let csv = dir.renkei(&[
        "export",
        "initiatives",
        "--format",
        "csv",
        "--output",
        "initiatives.csv",
    ]);
    assert!(csv.status.success(), "{}", stderr(&csv));
    let bytes = std::fs::read(dir.0.join("initiatives.csv")).unwrap();
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.contains("すみだ和ガラス館"));
    // For older Excel: Shift_JIS, the same cells, CRLF.
    let sjis = dir.renkei(&[
        "export",
        "initiatives",
        "--format",
        "csv-shift-jis",
        "--output",
        "initiatives-sjis.csv",
    ]);
    assert!(sjis.status.success(), "{}", stderr(&sjis));
    let sjis = std::fs::read(dir.0.join("initiatives-sjis.csv")).unwrap();
    let (decoded, _, malformed) = encoding_rs::SHIFT_JIS.decode(&sjis);
    assert!(!malformed);
    assert!(decoded.contains("すみだ和ガラス館"));
    assert!(decoded.starts_with("施策ID,施策名,団体") && decoded.ends_with("\r\n"));
    let xlsx = dir.renkei(&[
        "export",
        "initiatives",
        "--format",
        "xlsx",
        "--output",
        "initiatives.xlsx",
    ]);
    assert!(xlsx.status.success());
    assert_eq!(
        &std::fs::read(dir.0.join("initiatives.xlsx")).unwrap()[..2],
        b"PK"
    );
}

#[test]
fn a_bad_database_url_is_a_clear_error_not_a_panic() {
    let dir = Workdir::new("badurl");
    let output = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(["--database-url", "mysql://nowhere", "migrate"])
        .current_dir(&dir.0)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(err.contains("sqlite://PATH または postgres://"), "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn a_backup_brings_the_database_back_to_how_it_was() {
    let dir = Workdir::new("backup");
    assert!(dir.renkei(&["migrate"]).status.success());
    let backup = dir.renkei(&["backup", "before.db"]);
    assert!(backup.status.success(), "{}", stderr(&backup));
    assert!(stdout(&backup).contains("バックアップを作成しました"));
    let again = dir.renkei(&["backup", "before.db"]);
    assert!(
        !again.status.success(),
        "an existing file is not overwritten"
    );

    let add =
        |email: &str| dir.renkei(&["user", "add", "--org", "大田区", "--role", "staff", email]);
    assert!(add("after@city.ota.example.jp").status.success());
    let unconfirmed = dir.renkei(&["restore", "before.db"]);
    assert!(!unconfirmed.status.success());
    assert!(
        stderr(&unconfirmed).contains("--yes"),
        "{}",
        stderr(&unconfirmed)
    );
    let restored = dir.renkei(&["restore", "before.db", "--yes"]);
    assert!(restored.status.success(), "{}", stderr(&restored));
    // The account made after the backup is gone: it can be added again.
    let added = add("after@city.ota.example.jp");
    assert!(added.status.success(), "{}", stderr(&added));
}
