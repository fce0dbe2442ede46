//! `renkei bench mail`: a survey round of 川口市 to N imported establishments,
//! enqueued in the outbox (one transaction with the invitations) and delivered by the
//! platform's own sender (lettre, real SMTP) to a local SMTP sink in this process.
//! Prints the enqueue time, mails per second and peak memory; with `--window` it
//! measures how many messages arrive in that many seconds from the first, which
//! shows the `--per-minute` limit held.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use domain::forms::{
    Eligibility, FormDefinition, FormPurpose, Period, Question, QuestionKind, Section,
};
use std::io::{BufRead, BufReader, Write};
use std::sync::Mutex;
use store::Store;
use store::outbox::{self, MailStatus};
use store::survey_mail::Notify;

use super::directory::peak_rss_mb;

/// Arguments of `renkei bench mail`.
#[derive(Debug, clap::Args)]
pub struct MailArgs {
    /// Establishments imported and invited in the round.
    #[arg(long, default_value_t = 1000)]
    pub invitations: usize,
    /// The sender's limit, mails a minute (`serve --mail-per-minute`).
    #[arg(long, default_value_t = 600_000)]
    pub per_minute: u32,
    /// Measure only this many seconds from the first delivery and count what
    /// arrived (shows the rate limit held); default: until every mail is delivered.
    #[arg(long)]
    pub window: Option<u64>,
    /// The database (must be new or empty): default a fresh SQLite file under /tmp.
    #[arg(long)]
    pub db: Option<String>,
    /// Deliver to this SMTP server instead of the sink inside this process
    /// (e.g. smtp://127.0.0.1:2525?tls=none for scripts/smtp-sink.py).
    #[arg(long)]
    pub smtp_url: Option<String>,
}

/// Arrival times at the sink.
#[derive(Default)]
struct Arrivals {
    count: AtomicU64,
    times: Mutex<Vec<Instant>>,
}

impl Arrivals {
    fn times(&self) -> Vec<Instant> {
        self.times.lock().map(|t| t.clone()).unwrap_or_default()
    }
}

/// A minimal SMTP server on threads that accepts every message and records when it
/// arrived.
fn sink(arrivals: Arc<Arrivals>) -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        for socket in listener.incoming() {
            let Ok(socket) = socket else { continue };
            let arrivals = arrivals.clone();
            std::thread::spawn(move || {
                let _ = session(socket, &arrivals);
            });
        }
    });
    Ok(port)
}

fn session(socket: std::net::TcpStream, arrivals: &Arrivals) -> std::io::Result<()> {
    let mut write = socket.try_clone()?;
    let mut lines = BufReader::new(socket);
    write.write_all(b"220 bench-sink ESMTP\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" | "HELO" => write.write_all(b"250-bench-sink\r\n250 8BITMIME\r\n")?,
            "DATA" => {
                write.write_all(b"354 go ahead\r\n")?;
                loop {
                    line.clear();
                    if lines.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                }
                if let Ok(mut times) = arrivals.times.lock() {
                    times.push(Instant::now());
                }
                arrivals.count.fetch_add(1, Ordering::Relaxed);
                write.write_all(b"250 accepted\r\n")?;
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => write.write_all(b"250 OK\r\n")?,
        }
    }
}

fn establishments(n: usize) -> String {
    let mut csv =
        String::from("会社名,フリガナ,市区町村,住所,業種,従業員数,設立年,担当者,メールアドレス\n");
    for i in 0..n {
        csv.push_str(&format!(
            "株式会社川口ベンチ{i:05},カワグチベンチ,川口市,埼玉県川口市本町{}-1,24,{},{},総務 担当{i},soumu{i}@bench{i:05}.example.jp\n",
            i % 9 + 1,
            i % 280 + 1,
            1950 + i % 70
        ));
    }
    csv
}

fn definition() -> FormDefinition {
    FormDefinition {
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
    }
}

pub async fn run(args: &MailArgs) -> anyhow::Result<()> {
    if args.invitations == 0 {
        bail!("--invitations must be at least 1");
    }
    let scratch = std::env::temp_dir().join(format!("renkei-bench-mail-{}", std::process::id()));
    let url = match &args.db {
        Some(url) => url.clone(),
        None => {
            std::fs::create_dir_all(&scratch)?;
            format!("sqlite://{}", scratch.join("bench.db").display())
        }
    };
    let result = round(args, &url).await;
    if args.db.is_none() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    result
}

async fn round(args: &MailArgs, url: &str) -> anyhow::Result<()> {
    let store = Store::connect(url).await.with_context(|| url.to_owned())?;
    store.prepare().await?;
    let (staff, _) = store::accounts::create_user(
        &store,
        None,
        &store::accounts::NewUser {
            email: format!("bench-{}@city.kawaguchi.example.jp", std::process::id()),
            display_name: String::new(),
            role: "staff".into(),
            organisation: "kawaguchi".into(),
            company: String::new(),
        },
    )
    .await?;
    let staff = staff.actor();
    let key = format!("bench-mail-{}", std::process::id());
    store::forms::create(
        &store,
        &staff,
        "kawaguchi",
        &store::forms::FormDraft {
            key: key.clone(),
            purpose: FormPurpose::Survey,
            title: "事業承継に関するアンケート（ベンチマーク）".into(),
            description: String::new(),
            definition: definition(),
            eligibility: Eligibility::default(),
            award_year: None,
            period: Period::default(),
        },
    )
    .await?;
    let csv = establishments(args.invitations);
    let directory = store::organisations::directory(&store).await?;
    let (rows, refused) = store::import::prepare_list(
        import::list::from_bytes(csv.as_bytes(), import::list::ListFormat::Auto)
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        &directory,
        2026,
    );
    if rows.len() != args.invitations {
        bail!("the generated list was refused: {:?}", refused.rows.first());
    }
    let (_, keys) = store::import::upsert_list_keys(&store, &staff, &rows).await?;

    let started = Instant::now();
    let sent = store::surveys::send_with(&store, &staff, &key, &keys, Notify::Mail).await?;
    let enqueue = started.elapsed();
    let queued = sent.mail.queued;

    let arrivals = Arc::new(Arrivals::default());
    let smtp_url = match &args.smtp_url {
        Some(url) => url.clone(),
        None => format!("smtp://127.0.0.1:{}?tls=none", sink(arrivals.clone())?),
    };
    let sender = web::mail::Sender::new(web::mail::MailOptions {
        smtp_url: Some(smtp_url),
        mail_from: "jimukyoku@renkei.example.jp".into(),
        per_minute: args.per_minute,
        poll: Duration::from_millis(20),
        ..Default::default()
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let delivering = Instant::now();
    let task = tokio::spawn(sender.run(store.clone()));
    let window = args.window.map(Duration::from_secs);
    let mut first: Option<Instant> = None;
    let delivered = loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let sent = outbox::count(&store, MailStatus::Sent).await?;
        if first.is_none() && sent > 0 {
            first = arrivals.times().first().copied().or(Some(Instant::now()));
        }
        if sent >= queued {
            break sent;
        }
        if let (Some(window), Some(first)) = (window, first)
            && first.elapsed() >= window + Duration::from_millis(500)
        {
            break sent;
        }
        if delivering.elapsed() > Duration::from_secs(3600) {
            bail!("only {sent} of {queued} delivered in an hour");
        }
    };
    let elapsed = delivering.elapsed();
    task.abort();
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "mail ({backend}): {} invitations, {queued} mails queued in {:.3} s with the invitations ({:.0} mails/s into the outbox)",
        sent.invited,
        enqueue.as_secs_f64(),
        queued as f64 / enqueue.as_secs_f64().max(1e-9)
    );
    match window {
        None => println!(
            "delivered {delivered} mails over SMTP in {:.2} s: {:.0} mails/s (limit {}/min); peak RSS {:.0} MB",
            elapsed.as_secs_f64(),
            delivered as f64 / elapsed.as_secs_f64().max(1e-9),
            args.per_minute,
            peak_rss_mb()
        ),
        Some(window) => {
            let times = arrivals.times();
            let start = times.first().copied().unwrap_or_else(Instant::now);
            let within = times
                .iter()
                .filter(|t| t.duration_since(start) < window)
                .count();
            println!(
                "rate limit {}/min: {within} mails arrived in the {} s from the first (limit allows {:.0}); {delivered} of {queued} delivered when measuring stopped; peak RSS {:.0} MB",
                args.per_minute,
                window.as_secs(),
                f64::from(args.per_minute) * window.as_secs_f64() / 60.0,
                peak_rss_mb()
            );
        }
    }
    if args.smtp_url.is_none() && window.is_none() {
        let arrived = arrivals.count.load(Ordering::Relaxed);
        if arrived != delivered {
            bail!("the sink received {arrived} messages, the outbox says {delivered} sent");
        }
    }
    Ok(())
}
