//! The directory's commands as an operator runs them: a synthetic NTA file generated
//! and imported twice with its report of refused rows, a staff list imported and
//! re-imported, company-member accounts, the index rebuild and the matching bench.

use super::{Workdir, stderr, stdout};

/// Seed companies (74 in the directory, 9 more for the calls, 25 applicants of the
/// 企業健康診断) and postings (7) that the index holds before any import.
const SEED_DOCUMENTS: u64 = 74 + 9 + 25 + 7;

/// The number written before `unit` after `label` in `text` (`新規 12社` → 12).
fn count_after(text: &str, label: &str, unit: &str) -> u64 {
    let start = text
        .find(label)
        .unwrap_or_else(|| panic!("{label} in:\n{text}"))
        + label.len();
    let rest = text[start..].trim_start();
    let end = rest
        .find(unit)
        .unwrap_or_else(|| panic!("{unit} after {label} in:\n{text}"));
    rest[..end]
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("a number after {label} in:\n{text}"))
}

fn indexed_documents(dir: &Workdir) -> u64 {
    let rebuilt = dir.renkei(&["index", "rebuild"]);
    assert!(rebuilt.status.success(), "{}", stderr(&rebuilt));
    count_after(&stdout(&rebuilt), "検索索引を作り直しました:", "件")
}

/// The rows of a report CSV after its BOM and header.
fn report_rows(dir: &Workdir, name: &str) -> Vec<Vec<String>> {
    let bytes = std::fs::read(dir.0.join(name)).unwrap();
    assert_eq!(&bytes[..3], [0xEF, 0xBB, 0xBF], "a BOM for Excel");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["行", "理由コード", "理由"]
    );
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn a_generated_shift_jis_zip_imports_once_and_reports_every_malformed_row() {
    let dir = Workdir::new("nta");
    let generated = dir.renkei(&[
        "import",
        "generate-nta",
        "--rows",
        "3000",
        "--seed",
        "11",
        "--encoding",
        "sjis",
        "--zip",
        "--malformed",
        "0.01",
        "-o",
        "nta.zip",
    ]);
    assert!(generated.status.success(), "{}", stderr(&generated));
    let summary = stdout(&generated);
    let malformed = count_after(&summary, "不正な行", "行");
    assert!(malformed > 0, "{summary}");
    assert_eq!(&std::fs::read(dir.0.join("nta.zip")).unwrap()[..2], b"PK");

    let first = dir.renkei(&["import", "nta", "nta.zip", "--report", "rejected.csv"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let out = stdout(&first);
    let inserted = count_after(&out, "新規", "社");
    assert!(inserted > 0, "{out}");
    assert!(count_after(&out, "7市区以外", "社") > 0, "{out}");
    assert!(
        stderr(&first).contains("取り込めなかった行"),
        "{}",
        stderr(&first)
    );

    let rejected = report_rows(&dir, "rejected.csv");
    assert_eq!(rejected.len() as u64, malformed, "{rejected:?}");
    let mut lines = Vec::new();
    for row in &rejected {
        let line: u64 = row[0].parse().expect("a line number");
        assert!(line >= 1, "{row:?}");
        lines.push(line);
        assert!(
            ["check_digit", "column_count", "date"].contains(&row[1].as_str()),
            "{row:?}"
        );
        assert!(!row[2].is_ascii(), "a Japanese reason: {row:?}");
    }
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted, lines, "one row each, in file order");

    let second = dir.renkei(&["import", "nta", "nta.zip", "--report", "rejected2.csv"]);
    assert!(second.status.success(), "{}", stderr(&second));
    let out = stdout(&second);
    assert!(
        out.contains("新規 0社・更新 0社"),
        "a re-run changes nothing: {out}"
    );
    assert_eq!(report_rows(&dir, "rejected2.csv"), rejected);

    assert_eq!(
        indexed_documents(&dir),
        SEED_DOCUMENTS + inserted,
        "every imported company is indexed"
    );
}

#[test]
fn a_staff_list_creates_companies_and_a_second_import_updates_them() {
    let dir = Workdir::new("list");
    let added = dir.renkei(&[
        "user",
        "add",
        "--org",
        "大田区",
        "--role",
        "staff",
        "staff@city.ota.example.jp",
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    std::fs::write(
        dir.0.join("list.csv"),
        "法人番号,会社名,フリガナ,市区町村,工程,認証\n\
         ,株式会社蒲田新工房,カマタシンコウボウ,大田区,切削、溶接,ISO9001\n\
         7136520951302,蒲田工業株式会社,,大田区,,\n\
         ,株式会社矢口第二工場,ヤグチダイニコウジョウ,大田区,旋盤,\n\
         1234567890123,番号違い株式会社,,大田区,,\n",
    )
    .unwrap();
    let import = |report: &str| {
        dir.renkei(&[
            "import",
            "companies",
            "list.csv",
            "--as",
            "staff@city.ota.example.jp",
            "--report",
            report,
        ])
    };
    let first = import("first.csv");
    assert!(first.status.success(), "{}", stderr(&first));
    let out = stdout(&first);
    assert!(out.contains("新規 2社・更新 1社"), "{out}");
    let refused = report_rows(&dir, "first.csv");
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(
        refused[0][0], "5",
        "the bad 法人番号 is on line 5: {refused:?}"
    );
    assert!(refused[0][2].contains("法人番号"), "{refused:?}");

    assert_eq!(
        indexed_documents(&dir),
        SEED_DOCUMENTS + 2,
        "the new companies are indexed"
    );

    let second = import("second.csv");
    assert!(second.status.success(), "{}", stderr(&second));
    let out = stdout(&second);
    assert!(
        out.contains("新規 0社・更新 3社"),
        "the same list updates, never duplicates: {out}"
    );
    assert_eq!(indexed_documents(&dir), SEED_DOCUMENTS + 2);

    std::fs::write(
        dir.0.join("sumida.csv"),
        "会社名,市区町村,工程\n株式会社押上新工房,墨田区,縫製\n",
    )
    .unwrap();
    let other_city = dir.renkei(&[
        "import",
        "companies",
        "sumida.csv",
        "--as",
        "staff@city.ota.example.jp",
    ]);
    assert!(!other_city.status.success());
    let err = stderr(&other_city);
    assert!(err.contains("墨田区の企業は取り込めません"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        indexed_documents(&dir),
        SEED_DOCUMENTS + 2,
        "nothing written"
    );

    let nobody = dir.renkei(&[
        "import",
        "companies",
        "list.csv",
        "--as",
        "nobody@example.jp",
    ]);
    assert!(!nobody.status.success());
    assert!(
        stderr(&nobody).contains("アカウント nobody@example.jp がありません"),
        "{}",
        stderr(&nobody)
    );
}

#[test]
fn a_company_member_account_needs_a_company_of_the_directory() {
    let dir = Workdir::new("member");
    let added = dir.renkei(&[
        "user",
        "add",
        "--role",
        "company",
        "--company",
        "ota-03",
        "info@haneda.example.jp",
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    let out = stdout(&added);
    assert!(
        out.contains("info@haneda.example.jp") && out.contains("大田区"),
        "the member belongs with the city that looks after the company: {out}"
    );
    assert!(out.contains("初回パスワード"), "{out}");

    let by_number = dir.renkei(&[
        "user",
        "add",
        "--role",
        "company",
        "--company",
        "2456047232843",
        "info@ikegami.example.jp",
    ]);
    assert!(by_number.status.success(), "{}", stderr(&by_number));

    let unknown = dir.renkei(&[
        "user",
        "add",
        "--role",
        "company",
        "--company",
        "nosuch",
        "x@example.jp",
    ]);
    assert!(!unknown.status.success());
    let err = stderr(&unknown);
    assert!(
        err.contains("企業「nosuch」は企業ディレクトリに登録されていません"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn the_matching_bench_prints_one_line_of_timings() {
    let dir = Workdir::new("bench-matching");
    let bench = dir.renkei(&["bench", "matching", "--candidates", "1000"]);
    assert!(bench.status.success(), "{}", stderr(&bench));
    let out = stdout(&bench);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("candidates 1000:"), "{out}");
    assert!(out.contains("ms") && out.contains("best score"), "{out}");
}

/// The search benchmark at a small size, on disk with FTS5 beside it: both engines
/// find exactly the companies that contain a two-character term, the typo only ours,
/// and a second run reuses what the first built.
#[test]
fn the_search_bench_compares_with_fts5_and_counts_exact_recall() {
    let dir = Workdir::new("bench-search");
    let data = dir.0.join("bench");
    let data = data.to_str().unwrap();
    let args = [
        "bench",
        "search",
        "--docs",
        "2000",
        "--queries",
        "40",
        "--dir",
        data,
        "--fts5",
        "--needs",
        "5",
    ];
    let first = dir.renkei(&args);
    assert!(first.status.success(), "{}", stderr(&first));
    let out = stdout(&first);
    assert!(out.contains("tantivy: built in"), "{out}");
    assert!(out.contains("fts5: built in"), "{out}");
    assert!(out.contains("matching: 5 needs, top 20"), "{out}");
    let row = |query: &str| -> Vec<u64> {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("| {query} |")))
            .unwrap_or_else(|| panic!("a row for {query}: {out}"));
        line.split('|')
            .skip(2)
            .filter_map(|cell| cell.trim().parse().ok())
            .collect()
    };
    let cutting = row("切削");
    assert!(cutting[0] > 0, "{cutting:?}");
    assert_eq!(
        cutting,
        vec![cutting[0]; 3],
        "exact, tantivy and FTS5 agree on 切削"
    );
    let typo = row("アルミニュウム");
    assert_eq!(typo[0], 0, "no company spells it so");
    assert!(typo[1] > 0, "the index forgives one typo: {typo:?}");
    assert_eq!(typo[2], 0, "FTS5 does not: {typo:?}");

    let again = dir.renkei(&args);
    assert!(again.status.success(), "{}", stderr(&again));
    let out = stdout(&again);
    assert!(out.contains("tantivy: reused the index"), "{out}");
    assert!(
        out.contains("fts5: reused the table of 2000 companies"),
        "{out}"
    );

    let without_dir = dir.renkei(&["bench", "search", "--docs", "10", "--fts5"]);
    assert!(!without_dir.status.success());
    assert!(stderr(&without_dir).contains("--fts5 needs --dir"));
}

#[test]
fn the_nta_bench_reads_what_it_generated_and_reports_memory() {
    let dir = Workdir::new("bench-nta");
    let bench = dir.renkei(&[
        "bench",
        "nta",
        "--rows",
        "3000",
        "--sjis",
        "--zip",
        "--dir",
        dir.0.to_str().unwrap(),
    ]);
    assert!(bench.status.success(), "{}", stderr(&bench));
    let out = stdout(&bench);
    assert!(out.contains("3000 rows"), "{out}");
    assert!(out.contains("read") && out.contains("peak RSS"), "{out}");
    assert!(
        std::fs::read_dir(&dir.0).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("nta-bench")),
        "the generated file is removed"
    );
}
