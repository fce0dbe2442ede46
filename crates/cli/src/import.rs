//! `renkei import …`: the NTA corporate-number file and staff company lists into the
//! directory, streaming with a progress line and a report of refused rows; and a
//! generator of realistic NTA files for tests and benchmarks.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use import::Encoding;
use indicatif::{ProgressBar, ProgressStyle};
use store::Store;
use store::import::ImportStats;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EncodingArg {
    Auto,
    Utf8,
    Sjis,
}

impl EncodingArg {
    fn encoding(self) -> Option<Encoding> {
        match self {
            EncodingArg::Auto => None,
            EncodingArg::Utf8 => Some(Encoding::Utf8),
            EncodingArg::Sjis => Some(Encoding::ShiftJis),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// The National Tax Agency's corporate-number bulk file (法人番号公表サイト:
    /// 全件 or 差分, Shift_JIS or Unicode, .zip or .csv). Re-runs are idempotent.
    Nta {
        file: PathBuf,
        #[arg(long, value_enum, default_value = "auto")]
        encoding: EncodingArg,
        /// Take corporations of every city, not only the seven.
        #[arg(long)]
        all_cities: bool,
        /// Write the refused rows (line, code, reason) to this CSV file.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// A staff list of companies (CSV in UTF-8 or Shift_JIS, or XLSX) with Japanese
    /// headers (法人番号, 会社名, フリガナ, 市区町村, 工程, 認証 …).
    Companies {
        file: PathBuf,
        /// The account the import is recorded under (its organisation's companies
        /// only, unless it is the secretariat).
        #[arg(long = "as", default_value = store::accounts::FIRST_ADMIN_EMAIL)]
        user: String,
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Write a synthetic NTA file: valid check digits, companies of the seven cities
    /// and elsewhere, closed companies, updates of the same number.
    GenerateNta {
        #[arg(long, default_value_t = 10_000)]
        rows: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, value_enum, default_value = "utf8")]
        encoding: EncodingArg,
        /// Wrap the CSV in a zip archive, as the NTA publishes it.
        #[arg(long)]
        zip: bool,
        /// Fraction of rows made malformed on purpose (for the rejected-rows report).
        #[arg(long, default_value_t = 0.0)]
        malformed: f64,
        #[arg(long, short)]
        output: PathBuf,
    },
}

fn spinner(what: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {pos}行 ({per_sec}) {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(what.to_owned());
    if crate::say::is_json() {
        // JSON lines only: nothing drawn between them.
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}

/// Refused rows kept for `--report`: more than a page shows, since the report is
/// where staff go to fix a file, but bounded (about 30 MB of reasons), so that a file
/// refused row by row for millions of rows does not hold them all.
const REPORT_ROWS_KEPT: usize = 100_000;

/// Refused rows, written as the web's lists are (UTF-8 with a BOM and CRLF, so that
/// Excel opens them).
struct Rejected {
    rows: store::import::RefusedRows,
}

impl Rejected {
    fn write(&self, path: Option<&PathBuf>) -> anyhow::Result<()> {
        let Some(path) = path else { return Ok(()) };
        let mut table = web::export::Table::new(&["行", "理由コード", "理由"]).numbers(&["行"]);
        for row in &self.rows.rows {
            table.rows.push(vec![
                row.line.to_string(),
                row.code.clone(),
                row.reason.clone(),
            ]);
        }
        // The last line says when rows were left out, where whoever reads the file will
        // look for the end of the list.
        if let Some(note) = self.rows.omitted_note() {
            table.rows.push(vec![String::new(), "omitted".into(), note]);
        }
        let bytes = table.csv().map_err(|e| anyhow::anyhow!("{e}"))?;
        std::fs::write(path, bytes)
            .with_context(|| format!("{} を作成できません", path.display()))?;
        crate::say::note(
            "renkei::import",
            &format!("取り込めなかった行を {} に書き出しました。", path.display()),
        );
        Ok(())
    }

    fn summary(&self) {
        if self.rows.is_empty() {
            return;
        }
        crate::say::note(
            "renkei::import",
            &format!("取り込めなかった行: {}行（先頭の5行）", self.rows.total),
        );
        for row in self.rows.rows.iter().take(5) {
            crate::say::note(
                "renkei::import",
                &format!("  {}行目: {}", row.line, row.reason),
            );
        }
        if let Some(note) = self.rows.omitted_note() {
            crate::say::note("renkei::import", &format!("{note}（--report のファイル）"));
        }
    }
}

fn print_stats(stats: &ImportStats, seconds: f64) {
    crate::say::out(
        "renkei::import",
        &format!(
            "新規 {}社・更新 {}社・変更なし {}社・7市区以外 {}社（うち閉鎖 {}社）— {:.1}秒",
            stats.inserted,
            stats.updated,
            stats.unchanged,
            stats.skipped_other_city,
            stats.closed,
            seconds
        ),
    );
}

pub async fn run(store: &Store, command: &ImportCommand) -> anyhow::Result<()> {
    match command {
        ImportCommand::Nta {
            file,
            encoding,
            all_cities,
            report,
        } => {
            let started = Instant::now();
            let reader = import::nta::Reader::open(
                file,
                encoding.encoding(),
                &import::Budget::COMMAND_LINE_NTA,
            )
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let bar = spinner("法人番号データを取込中");
            let mut rows = store::import::RefusedRows::keeping(REPORT_ROWS_KEPT);
            let stats = store::import::run_nta(store, reader, *all_cities, &mut rows, |read| {
                bar.set_position(read)
            })
            .await?;
            let rejected = Rejected { rows };
            bar.finish_and_clear();
            print_stats(&stats, started.elapsed().as_secs_f64());
            rejected.summary();
            rejected.write(report.as_ref())?;
            // The batches before a broken part are in (the import is idempotent: fix the
            // file and run it again); the exit status says the file was not read whole.
            if let Some(fatal) = &rejected.rows.fatal {
                bail!(
                    "{}: ファイルを最後まで読めませんでした。{}（それまでの行は取り込み済みです）",
                    file.display(),
                    fatal.reason
                );
            }
        }
        ImportCommand::Companies { file, user, report } => {
            let started = Instant::now();
            let actor = store::accounts::find_by_email(store, user)
                .await?
                .with_context(|| {
                    format!("アカウント {user} がありません（--as で指定してください）")
                })?
                .actor();
            let directory = store::organisations::directory(store).await?;
            let reader = import::list::open(
                file,
                import::list::ListFormat::Auto,
                &import::Budget::COMMAND_LINE_LIST,
            )
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            if !reader.unknown_headers().is_empty() {
                crate::say::note(
                    "renkei::import",
                    &format!("使われない列: {}", reader.unknown_headers().join("、")),
                );
            }
            let (rows, rejected) = store::import::prepare_list(reader, &directory, 2100);
            if let Some(fatal) = &rejected.fatal {
                bail!(
                    "{}: ファイルを最後まで読めませんでした。{} 取り込みは行いませんでした。",
                    file.display(),
                    fatal.reason
                );
            }
            let rejected = Rejected { rows: rejected };
            let stats = store::import::upsert_list(store, &actor, &rows).await?;
            print_stats(&stats, started.elapsed().as_secs_f64());
            rejected.summary();
            rejected.write(report.as_ref())?;
        }
        ImportCommand::GenerateNta {
            rows,
            seed,
            encoding,
            zip,
            malformed,
            output,
        } => {
            if !(0.0..=1.0).contains(malformed) {
                bail!("--malformed は0から1の割合で指定してください。");
            }
            let out = BufWriter::new(
                File::create(output)
                    .with_context(|| format!("{} を作成できません", output.display()))?,
            );
            let options = import::nta::GenerateOptions {
                encoding: encoding.encoding().unwrap_or(Encoding::Utf8),
                zip: *zip,
                malformed_fraction: *malformed,
                ..import::nta::GenerateOptions::new(*rows, *seed)
            };
            let summary = import::nta::generate_with(out, &options)?;
            crate::say::out(
                "renkei::import",
                &format!(
                    "{} に{}行を書き出しました（7市区の法人 {}行・閉鎖 {}行・更新 {}行・不正な行 {}行）。",
                    output.display(),
                    summary.rows,
                    summary.in_seven_cities,
                    summary.closed,
                    summary.updates,
                    summary.malformed.len()
                ),
            );
        }
    }
    Ok(())
}
