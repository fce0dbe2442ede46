//! `renkei`: the platform's one binary. `serve` runs the web platform; the other
//! subcommands run the same store and report code from the command line.

mod bench;
mod import;
mod say;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use domain::FiscalYear;
use store::Store;

/// 中小企業都市連絡協議会の連携プラットフォーム renkei
#[derive(Debug, Parser)]
#[command(name = "renkei", version, about, long_about = None)]
struct Cli {
    /// Database: sqlite://PATH or postgres://USER@HOST/DB
    #[arg(
        long,
        global = true,
        env = "RENKEI_DATABASE_URL",
        default_value = "sqlite://renkei.db"
    )]
    database_url: String,
    /// Log lines as text for people or as one JSON object a line for log shippers
    /// (timestamp, level, target, fields; each request's method, route, status,
    /// latency and client address).
    #[arg(
        long,
        global = true,
        env = "RENKEI_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the platform (migrates, loads the council's data into an empty database,
    /// and prints a one-time password for the first administrator).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "RENKEI_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Send the session cookie without the Secure flag (only for plain-HTTP test
        /// clients; browsers accept Secure cookies from localhost).
        #[arg(long, env = "RENKEI_INSECURE_COOKIES")]
        insecure_cookies: bool,
        /// Keep the directory's search index in this directory (default: in memory,
        /// rebuilt from the database at start).
        #[arg(long, env = "RENKEI_INDEX_DIR")]
        index_dir: Option<PathBuf>,
        /// Requests served at once; more are answered 503 with Retry-After at once.
        #[arg(long, env = "RENKEI_MAX_IN_FLIGHT", default_value_t = web::layers::DEFAULT_MAX_IN_FLIGHT)]
        max_in_flight: usize,
        /// Serve `/metrics` without sign-in on this separate address, for Prometheus
        /// (e.g. 127.0.0.1:9100; keep it private). On --addr only the secretariat
        /// reads `/metrics`.
        #[arg(long, env = "RENKEI_METRICS_ADDR")]
        metrics_addr: Option<SocketAddr>,
        /// Seconds a GET may run before it is answered 503 with Retry-After.
        #[arg(long, env = "RENKEI_READ_TIMEOUT", default_value_t = 30)]
        read_timeout: u64,
        /// Seconds a change (POST and the like: imports, schedules) may run before it
        /// is answered 503 and rolled back.
        #[arg(long, env = "RENKEI_WRITE_TIMEOUT", default_value_t = 120)]
        write_timeout: u64,
        /// Deliver mail through this server: smtp://USER:PASS@HOST:587 (STARTTLS),
        /// smtps://USER:PASS@HOST:465 (implicit TLS), smtp://HOST:25?tls=none (plain,
        /// a relay on the local network). Without it, mail is written to --mail-dir.
        #[arg(long, env = "RENKEI_SMTP_URL")]
        smtp_url: Option<String>,
        /// The sender address of every mail (its display name is the organisation's).
        #[arg(
            long,
            env = "RENKEI_MAIL_FROM",
            default_value = "noreply@renkei.localhost"
        )]
        mail_from: String,
        /// The platform's public address (https://renkei.example.jp), for absolute
        /// links in mail, feeds, embeds and exports; without it pages use the Host header.
        #[arg(long, env = "RENKEI_PUBLIC_URL")]
        public_url: Option<String>,
        /// Let secretariat accounts work without two-step sign-in (TOTP). By default
        /// they must enrol before anything else; only for test servers and demos.
        #[arg(long, env = "RENKEI_SECRETARIAT_TWO_STEP_OPTIONAL")]
        secretariat_two_step_optional: bool,
        /// Where mail is written as .eml files when there is no --smtp-url.
        #[arg(long, env = "RENKEI_MAIL_DIR", default_value = "mail")]
        mail_dir: PathBuf,
        /// At most this many mails a minute from this process (relays limit senders).
        #[arg(long, env = "RENKEI_MAIL_PER_MINUTE", default_value_t = 60)]
        mail_per_minute: u32,
        /// The pause before the first retry of a temporary failure, in seconds; each
        /// further retry doubles it (at most an hour), for 24 hours.
        #[arg(long, env = "RENKEI_MAIL_RETRY_SECONDS", default_value_t = 60)]
        mail_retry_seconds: u64,
        /// How long a sender holds a claimed message, in seconds: a process killed
        /// mid-send leaves it to the others (or to itself after a restart) after this.
        #[arg(long, env = "RENKEI_MAIL_LEASE_SECONDS", default_value_t = 300)]
        mail_lease_seconds: u64,
        /// The weekday from which this week's digest of events is queued (from 08:00
        /// in Japan; once a week whatever the number of processes), or `off`.
        #[arg(long, env = "RENKEI_WEEKLY_DIGEST", default_value = "mon")]
        weekly_digest: String,
        /// A proxy (CIDR or address, repeatable or comma-separated: 10.0.0.0/8,::1)
        /// whose X-Forwarded-For and X-Forwarded-Proto are believed; from any other
        /// peer they are ignored. Without it the TCP peer is the client.
        #[arg(long, env = "RENKEI_TRUSTED_PROXY", value_delimiter = ',')]
        trusted_proxy: Vec<String>,
    },
    /// Apply pending database migrations and load the council's data if empty.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Produce reports.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Export lists as CSV or XLSX.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Import companies into the directory (NTA corporate-number file, staff lists).
    Import {
        #[command(subcommand)]
        command: import::ImportCommand,
    },
    /// The directory's search index.
    Index {
        #[command(subcommand)]
        command: IndexCommand,
    },
    /// Take a consistent copy of the whole database while the platform keeps running
    /// (SQLite: VACUUM INTO; PostgreSQL: pg_dump). PATH must not exist.
    Backup {
        /// The file to write (must not exist).
        #[arg(required_unless_present = "dir")]
        path: Option<PathBuf>,
        /// Write `renkei-<UTC time>.db` / `.pgdump` in this directory instead (for a
        /// cron job or systemd timer; see deploy/renkei-backup.timer).
        #[arg(long, conflicts_with = "path")]
        dir: Option<PathBuf>,
        /// With --dir: afterwards keep only the N newest backups there, deleting older
        /// ones (other files in the directory are left alone).
        #[arg(long, requires = "dir", value_parser = clap::value_parser!(u64).range(1..))]
        keep: Option<u64>,
    },
    /// Bring a backup back as the database (stop `renkei serve` first for SQLite).
    Restore {
        path: PathBuf,
        /// Confirm that the current database is replaced.
        #[arg(long)]
        yes: bool,
    },
    /// Personal data: delete survey answers past their form's retention period
    /// (run daily from cron; every deletion is in the audit log).
    Privacy {
        #[command(subcommand)]
        command: PrivacyCommand,
    },
    /// The weekly digest of events (週刊イベント情報) by mail.
    Digest {
        #[command(subcommand)]
        command: DigestCommand,
    },
    /// お知らせ: run the passes that tell people what is due (`serve` runs them hourly).
    Notices {
        #[command(subcommand)]
        command: NoticesCommand,
    },
    /// Run a benchmark (solvers against published instances).
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum PrivacyCommand {
    /// Delete answers older than their form's retention period.
    Purge,
}

#[derive(Debug, Subcommand)]
enum DigestCommand {
    /// Queue this week's digest for every confirmed subscriber (once per ISO week:
    /// a second run, or `serve`'s own weekly run, queues nothing more).
    Send {
        /// The day the digest is made for (default: today in Japan).
        #[arg(long, value_name = "YYYY-MM-DD")]
        today: Option<chrono::NaiveDate>,
    },
}

/// The weekday of `--weekly-digest`, or `None` for `off`.
fn digest_day(text: &str) -> anyhow::Result<Option<chrono::Weekday>> {
    if text == "off" {
        return Ok(None);
    }
    text.parse::<chrono::Weekday>()
        .map(Some)
        .map_err(|_| anyhow::anyhow!("--weekly-digest は mon〜sun か off です（「{text}」）"))
}

/// Queues each week's digest once it is `day` 08:00 in Japan or later in that week;
/// looks every ten minutes (the week's claim row keeps processes from doubling it).
async fn weekly_digest(store: Store, day: chrono::Weekday) {
    use chrono::{Datelike, Timelike};
    loop {
        let now = domain::time::japan_now();
        let due = now.weekday().num_days_from_monday() > day.num_days_from_monday()
            || (now.weekday() == day && now.hour() >= 8);
        if due {
            match store::digest::send_week(&store, now.date()).await {
                Ok(round) if round.mails > 0 => {
                    tracing::info!(week = %round.week, mails = round.mails, "digest queued")
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "digest failed"),
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(600)).await;
    }
}

#[derive(Debug, Subcommand)]
enum NoticesCommand {
    /// Tell companies whose diagnostic follow-up is due today or earlier (once each;
    /// safe to run from several processes or from cron).
    Due,
}

#[derive(Debug, Subcommand)]
enum IndexCommand {
    /// Rebuild the search index from the database (every company, need and offer).
    /// With --index-dir the index is kept in that directory (the one `serve
    /// --index-dir` uses); without, it is built in memory to check and time it.
    Rebuild {
        #[arg(long)]
        index_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account and print its one-time password.
    Add {
        /// Organisation key or name, e.g. ota or 大田区 (company members: optional).
        #[arg(long, default_value = "")]
        org: String,
        /// For company members: the company's key or 法人番号 in the directory.
        #[arg(long, default_value = "")]
        company: String,
        /// secretariat, staff or company.
        #[arg(long, default_value = "staff")]
        role: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
        /// E-mail address (the login).
        email: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormat {
    Html,
    Md,
    /// The published version: A4 PDF with the bundled Japanese font.
    Pdf,
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// The council's annual report for one or more fiscal years.
    Annual {
        /// Fiscal year (2016 or 平成28年度); repeat for several.
        #[arg(long = "fy", required = true)]
        fiscal_years: Vec<String>,
        #[arg(long, value_enum, default_value = "html")]
        format: ReportFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportFormat {
    /// UTF-8 with a BOM (Excel 2016 and later).
    Csv,
    /// Shift_JIS (CP932) for older Excel; refused, naming the characters, when a cell
    /// holds one Shift_JIS cannot.
    #[value(name = "csv-shift-jis")]
    CsvShiftJis,
    Xlsx,
}

#[derive(Debug, Subcommand)]
enum ExportCommand {
    /// Every initiative with its fiscal-year entries and KPIs.
    Initiatives {
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        #[arg(long, short)]
        output: PathBuf,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    say::use_json(matches!(cli.log_format, LogFormat::Json));
    match start(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // What `fn main() -> anyhow::Result<()>` printed (`Error: …`), or one JSON
            // line in `--log-format json`.
            say::error(&error);
            std::process::ExitCode::FAILURE
        }
    }
}

fn start(cli: Cli) -> anyhow::Result<()> {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RENKEI_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn")
            }),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        // One object a line, the event's fields at the top level beside timestamp,
        // level and target, as log shippers (Loki, Fluent Bit, Vector) read them.
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(cli))
}

async fn open(url: &str) -> anyhow::Result<Store> {
    let store = Store::connect(url)
        .await
        .with_context(|| format!("データベースに接続できません: {url}"))?;
    // A rehearsal of a roll onto a binary with a new migration (store::migrate::REHEARSAL).
    let rehearsal = std::env::var("RENKEI_REHEARSAL_MIGRATION").is_ok_and(|v| v == "1");
    let extra: &[store::migrate::Migration] = if rehearsal {
        &[store::migrate::REHEARSAL]
    } else {
        &[]
    };
    let loaded = store
        .prepare_with(extra)
        .await
        .context("マイグレーションまたは初期データの読み込みに失敗しました")?;
    if loaded {
        // A log line, not a bare line on stderr: with --log-format json that stream
        // holds JSON objects only (stdout may be a report or an export).
        tracing::info!("協議会の初期データ（7都市・11団体・施策）を読み込みました。");
    }
    Ok(store)
}

fn parse_years(texts: &[String]) -> anyhow::Result<Vec<FiscalYear>> {
    texts
        .iter()
        .map(|t| FiscalYear::parse(t).map_err(|e| anyhow::anyhow!("--fy {t}: {}", e.reason)))
        .collect()
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            addr,
            insecure_cookies,
            secretariat_two_step_optional,
            index_dir,
            max_in_flight,
            metrics_addr,
            read_timeout,
            write_timeout,
            smtp_url,
            mail_from,
            public_url,
            mail_dir,
            mail_per_minute,
            mail_retry_seconds,
            mail_lease_seconds,
            weekly_digest: digest_weekday,
            trusted_proxy,
        } => {
            let digest_weekday = digest_day(&digest_weekday)?;
            let trusted_proxies =
                web::client::TrustedProxies::parse(&trusted_proxy).map_err(anyhow::Error::msg)?;
            if insecure_cookies && public_url.as_deref().is_some_and(web::is_https) {
                bail!(
                    "--insecure-cookies と https の --public-url は同時に指定できません（https で公開するときはクッキーに常に Secure を付けます）。"
                );
            }
            let store = open(&cli.database_url).await?;
            // The demonstration network's jobs in progress, for the first visitors (only
            // here: tests and other commands start from an idle network).
            // Under the migration lock: processes starting together do this once.
            let (_, first_admin) = store
                .while_starting(|| async {
                    let jobs = store::seed_network::load_if_empty(&store).await?;
                    Ok((jobs, store::accounts::ensure_first_admin(&store).await?))
                })
                .await
                .context("仲間まわしのデモ案件または初期管理者を用意できませんでした")?;
            if let Some((email, password)) = first_admin {
                println!("──────────────────────────────────────────────");
                println!("初期管理者（協議会事務局）を作成しました。この表示は一度だけです。");
                println!("  メールアドレス: {email}");
                println!("  初回パスワード: {password}");
                println!("初回ログイン時にパスワードの変更を求められます。");
                println!("──────────────────────────────────────────────");
            }
            // Answers past their form's retention period go once a day.
            let purging = store.clone();
            tokio::spawn(async move {
                loop {
                    match store::privacy::purge_expired(&purging, chrono::Utc::now()).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(purged = n, "retention: answers deleted"),
                        Err(error) => tracing::warn!(%error, "retention purge failed"),
                    }
                    tokio::time::sleep(std::time::Duration::from_secs(24 * 3600)).await;
                }
            });
            if let Some(day) = digest_weekday {
                tokio::spawn(weekly_digest(store.clone(), day));
            }
            // Follow-ups that fall due are told hourly; claims keep processes apart.
            let due = store.clone();
            tokio::spawn(async move {
                loop {
                    match store::notices::diagnostics::followups_due(
                        &due,
                        domain::time::japan_today(),
                    )
                    .await
                    {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(told = n, "follow-ups due: companies told"),
                        Err(error) => tracing::warn!(%error, "follow-up pass failed"),
                    }
                    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                }
            });
            let sending = store.clone();
            let (app, metrics) = web::apps(
                store,
                web::WebOptions {
                    secure_cookies: !insecure_cookies,
                    index_dir,
                    max_in_flight,
                    time_budget: web::layers::TimeBudget {
                        reads: std::time::Duration::from_secs(read_timeout.max(1)),
                        changes: std::time::Duration::from_secs(write_timeout.max(1)),
                    },
                    public_url: public_url.clone(),
                    trusted_proxies,
                    // Secure by default: the secretariat enrols in two-step
                    // sign-in before anything else (issue 22).
                    two_step_for_secretariat: !secretariat_two_step_optional,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            if let Some(metrics_addr) = metrics_addr {
                let listener = tokio::net::TcpListener::bind(metrics_addr)
                    .await
                    .with_context(|| {
                        format!("--metrics-addr {metrics_addr} で待ち受けできません")
                    })?;
                println!(
                    "指標（/metrics、ログイン不要）: http://{}/metrics",
                    listener.local_addr()?
                );
                tokio::spawn(async move {
                    if let Err(error) = web::serve(listener, metrics).await {
                        tracing::error!(%error, "the metrics listener stopped");
                    }
                });
            }
            let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
                format!(
                    "{addr} で待ち受けできません（使用中の可能性があります。--addr で変更できます）"
                )
            })?;
            let local = listener.local_addr()?;
            // The outbox's sender: every process runs one; claims keep them apart.
            let mail = web::mail::MailOptions {
                smtp_url,
                mail_from,
                public_url: public_url.unwrap_or_else(|| format!("http://{local}")),
                mail_dir,
                per_minute: mail_per_minute.max(1),
                retry_base: std::time::Duration::from_secs(mail_retry_seconds.max(1)),
                lease: std::time::Duration::from_secs(mail_lease_seconds.max(1)),
                ..Default::default()
            };
            match &mail.smtp_url {
                Some(_) => println!("メールは SMTP で送信します（{}通/分まで）", mail.per_minute),
                None => println!(
                    "メールは {} に .eml ファイルとして保存します（--smtp-url で実際に送信）",
                    mail.mail_dir.display()
                ),
            }
            let sender = web::mail::Sender::new(mail).map_err(|e| anyhow::anyhow!("{e}"))?;
            tokio::spawn(sender.run(sending));
            println!("renkei を起動しました: http://{local}");
            web::serve(listener, app).await?;
        }
        Command::Import { command } => {
            let store = open(&cli.database_url).await?;
            import::run(&store, &command).await?;
        }
        Command::Index {
            command: IndexCommand::Rebuild { index_dir },
        } => {
            let store = open(&cli.database_url).await?;
            let started = std::time::Instant::now();
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len}社 {elapsed}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let progress = |done: u64, total: u64| {
                bar.set_length(total);
                bar.set_position(done);
            };
            let count = match &index_dir {
                Some(dir) => {
                    let index = store::index::SearchIndex::open_empty(dir)?;
                    index.rebuild(&store, progress).await?
                }
                None => {
                    let index = store::index::SearchIndex::empty()?;
                    index.rebuild(&store, progress).await?
                }
            };
            bar.finish_and_clear();
            println!(
                "検索索引を作り直しました: {count}件（{:.1}秒）{}",
                started.elapsed().as_secs_f64(),
                index_dir
                    .map(|d| format!(" → {}", d.display()))
                    .unwrap_or_default()
            );
        }
        Command::Migrate => {
            open(&cli.database_url).await?;
            println!("マイグレーションは最新です。");
        }
        Command::Backup { path, dir, keep } => {
            let store = Store::connect(&cli.database_url)
                .await
                .with_context(|| format!("データベースに接続できません: {}", cli.database_url))?;
            let path = match (&dir, path) {
                (Some(dir), _) => {
                    std::fs::create_dir_all(dir).with_context(|| {
                        format!("バックアップの保存先 {} を作れません", dir.display())
                    })?;
                    store::backup::scheduled_path(dir, chrono::Utc::now(), store.backend())
                }
                (None, Some(path)) => path,
                (None, None) => bail!("バックアップの保存先（PATH か --dir）を指定してください。"),
            };
            let report = store::backup::backup(&store, &cli.database_url, &path).await?;
            println!(
                "バックアップを作成しました: {}（{} バイト）",
                report.path.display(),
                report.bytes
            );
            if let (Some(dir), Some(keep)) = (&dir, keep) {
                let keep = usize::try_from(keep).unwrap_or(usize::MAX);
                for old in store::backup::prune(dir, keep)? {
                    println!("古いバックアップを削除しました: {}", old.display());
                }
            }
        }
        Command::Restore { path, yes } => {
            if !yes {
                anyhow::bail!(
                    "復元すると現在のデータベースは {} の内容に置き換わります。よろしければ --yes を付けて実行してください。",
                    path.display()
                );
            }
            store::backup::restore(&cli.database_url, &path).await?;
            println!("{} から復元しました。", path.display());
        }
        Command::Digest {
            command: DigestCommand::Send { today },
        } => {
            let store = open(&cli.database_url).await?;
            let today = today.unwrap_or_else(domain::time::japan_today);
            let round = store::digest::send_week(&store, today).await?;
            if round.already {
                println!(
                    "{} の週刊イベント情報は送信済みです（二重には送りません）。",
                    round.week
                );
            } else if round.nobody {
                println!("確認済みの登録者がいないため、送信しませんでした。");
            } else {
                println!(
                    "{} の週刊イベント情報を{}通送信待ちにしました（該当する催しのない登録者 {}人）。",
                    round.week, round.mails, round.nothing_to_say
                );
            }
        }
        Command::Privacy {
            command: PrivacyCommand::Purge,
        } => {
            let store = open(&cli.database_url).await?;
            let purged = store::privacy::purge_expired(&store, chrono::Utc::now()).await?;
            println!("保存期間を過ぎた回答を{purged}件削除しました。");
        }
        Command::Notices {
            command: NoticesCommand::Due,
        } => {
            let store = open(&cli.database_url).await?;
            let told =
                store::notices::diagnostics::followups_due(&store, domain::time::japan_today())
                    .await?;
            println!("フォローアップの予定日を{told}社にお知らせしました。");
        }
        Command::User {
            command:
                UserCommand::Add {
                    org,
                    company,
                    role,
                    name,
                    email,
                },
        } => {
            let store = open(&cli.database_url).await?;
            let new = store::accounts::NewUser {
                email,
                display_name: name,
                role,
                organisation: org,
                company,
            };
            match store::accounts::create_user(&store, None, &new).await {
                Ok((user, password)) => {
                    println!(
                        "アカウントを作成しました: {}（{}・{}）",
                        user.email,
                        user.organisation_name,
                        user.role.label()
                    );
                    println!("初回パスワード（一度だけ表示）: {password}");
                }
                Err(store::StoreError::Invalid(errors)) => {
                    let reasons: Vec<String> = errors
                        .into_iter()
                        .map(|e| format!("  {}: {}", e.field, e.reason))
                        .collect();
                    bail!("アカウントを作成できません:\n{}", reasons.join("\n"));
                }
                Err(error) => bail!("アカウントを作成できません: {error}"),
            }
        }
        Command::Report {
            command:
                ReportCommand::Annual {
                    fiscal_years,
                    format,
                    output,
                },
        } => {
            let years = parse_years(&fiscal_years)?;
            let store = open(&cli.database_url).await?;
            let bytes = match format {
                ReportFormat::Html => web::report::annual_html(&store, &years, true)
                    .await
                    .map(String::into_bytes),
                ReportFormat::Md => web::report::annual_markdown(&store, &years)
                    .await
                    .map(String::into_bytes),
                ReportFormat::Pdf => web::pdf::annual_report(&store, &years).await,
            }
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            match output {
                Some(path) => {
                    std::fs::write(&path, bytes)
                        .with_context(|| format!("{} に書き込めません", path.display()))?;
                    eprintln!("{} に書き出しました。", path.display());
                }
                None => {
                    use std::io::Write;
                    let mut stdout = std::io::stdout().lock();
                    stdout
                        .write_all(&bytes)
                        .and_then(|()| stdout.flush())
                        .context("標準出力に書き込めません")?;
                }
            }
        }
        Command::Export {
            command: ExportCommand::Initiatives { format, output },
        } => {
            let store = open(&cli.database_url).await?;
            let initiatives = store::catalogue::list(&store, &Default::default()).await?;
            let table = web::pages::initiatives_table(&initiatives);
            let bytes = match format {
                ExportFormat::Csv => table.csv(),
                ExportFormat::CsvShiftJis => match table
                    .csv_shift_jis()
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                {
                    Ok(bytes) => Ok(bytes),
                    Err(problems) => {
                        let listed: Vec<String> = problems
                            .iter()
                            .take(20)
                            .map(|p| {
                                format!(
                                    "  {}行目「{}」の「{}」（{}）",
                                    p.row,
                                    p.column,
                                    p.character,
                                    p.code_point()
                                )
                            })
                            .collect();
                        bail!(
                            "Shift_JIS で書き出せない文字が{}個あります（--format csv なら UTF-8 でそのまま書き出せます）:\n{}",
                            problems.len(),
                            listed.join("\n")
                        );
                    }
                },
                ExportFormat::Xlsx => table.xlsx("施策一覧"),
            }
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            std::fs::write(&output, bytes)
                .with_context(|| format!("{} に書き込めません", output.display()))?;
            eprintln!(
                "{} 件の施策を {} に書き出しました。",
                initiatives.len(),
                output.display()
            );
        }
        // The solvers are synchronous and have the machine to themselves here.
        Command::Bench { command } => command.run().await?,
    }
    Ok(())
}
