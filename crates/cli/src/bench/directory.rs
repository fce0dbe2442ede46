//! `renkei bench search`, `renkei bench matching` and `renkei bench nta`: the
//! directory's full-text index on synthetic Japanese company texts (optionally at
//! Japan's scale, on disk, beside SQLite FTS5), matching a need through that index,
//! the match-ranking engine alone, and reading NTA files. Inputs are generated from
//! a seed, so runs are comparable.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use search::bench::{self as data, Rng};
use search::{FacetField, Index, SearchDoc, SearchRequest};
use solve::matching::{self as engine, Candidate, Need, NeedKind, Settings};
use sqlx::{Connection, Row, SqliteConnection};

/// Arguments of `renkei bench search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// Companies to index (3400000: Japan's SMEs).
    #[arg(long, default_value_t = 100_000)]
    pub docs: usize,
    /// Queries to time (typed searches with facets).
    #[arg(long, default_value_t = 1000)]
    pub queries: usize,
    /// Keep the index (and the FTS5 database) in this directory instead of memory.
    /// An index already there with the same number of documents is reused, so a
    /// second run only measures queries.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Also build SQLite FTS5 (trigram tokenizer) on the same companies and run the
    /// same queries; needs --dir.
    #[arg(long)]
    pub fts5: bool,
    /// Also time matching through the index: the top 20 candidates for this many
    /// synthetic needs.
    #[arg(long, default_value_t = 0)]
    pub needs: usize,
}

/// Arguments of `renkei bench matching`.
#[derive(Debug, clap::Args)]
pub struct MatchingArgs {
    /// Candidates to rank for one need.
    #[arg(long, default_value_t = 100_000)]
    pub candidates: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Arguments of `renkei bench nta`.
#[derive(Debug, clap::Args)]
pub struct NtaArgs {
    /// Rows to generate and read.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    /// Shift_JIS instead of UTF-8.
    #[arg(long)]
    pub sjis: bool,
    /// A zip archive instead of a plain csv.
    #[arg(long)]
    pub zip: bool,
    /// Where the generated file goes (removed afterwards).
    #[arg(long, default_value = "/tmp")]
    pub dir: PathBuf,
}

const SEED_DOCS: u64 = 2016;
const SEED_QUERIES: u64 = 2017;
const SEED_NEEDS: u64 = 2018;
/// Candidates taken from the index per retrieval (a page of the text search and of
/// each process facet), as the directory's matching does.
const RETRIEVE: usize = search::MAX_LIMIT;
const TOP: usize = 20;

pub async fn search(args: &SearchArgs) -> anyhow::Result<()> {
    if args.fts5 && args.dir.is_none() {
        bail!("--fts5 needs --dir (the SQLite file goes there)");
    }
    if args.docs == 0 {
        bail!("--docs must be at least 1");
    }
    let started = Instant::now();
    let texts: Vec<&str> = data::QUERIES.to_vec();
    let words: Vec<Vec<String>> = texts.iter().map(|t| data::folded_words(t)).collect();
    let mut truth = vec![0u64; texts.len()];
    let mut profiles = Profiles::default();
    let mut observe = |doc: &SearchDoc| {
        for (count, words) in truth.iter_mut().zip(&words) {
            if data::contains_every_word(doc, words) {
                *count += 1;
            }
        }
        if args.needs > 0 {
            profiles.push(doc);
        }
    };

    // The index: built (or reused) while the same pass counts the exact answers.
    let mut index = match &args.dir {
        Some(dir) => {
            Index::open_or_create(&dir.join("tantivy"))
                .map_err(|e| anyhow::anyhow!("cannot open the index in {}: {e}", dir.display()))?
                .0
        }
        None => Index::in_memory().map_err(|e| anyhow::anyhow!("in-memory index: {e}"))?,
    };
    let built = if index.len() == args.docs as u64 {
        let bar = progress(args.docs as u64, "既存の索引を再利用・正解を数えています");
        for doc in data::company_stream(args.docs, SEED_DOCS) {
            observe(&doc);
            bar.inc(1);
        }
        bar.finish_and_clear();
        None
    } else {
        let bar = progress(args.docs as u64, "索引を作成しています");
        let stream = data::company_stream(args.docs, SEED_DOCS).inspect(|doc| {
            observe(doc);
            bar.inc(1);
        });
        let build_started = Instant::now();
        index
            .rebuild(stream)
            .map_err(|e| anyhow::anyhow!("index build failed: {e}"))?;
        bar.finish_and_clear();
        Some(build_started.elapsed())
    };

    println!("companies: {}", args.docs);
    match built {
        Some(took) => println!(
            "tantivy: built in {:.1} s ({:.0} docs/s)",
            took.as_secs_f64(),
            args.docs as f64 / took.as_secs_f64()
        ),
        None => println!("tantivy: reused the index in {}", display_dir(&args.dir)),
    }
    if let Some(dir) = &args.dir {
        println!(
            "tantivy: index size {:.0} MB",
            dir_size(&dir.join("tantivy")) as f64 / 1e6
        );
    }

    let requests = data::requests(args.queries, SEED_QUERIES);
    let (latencies, mean_total) = data::time_requests(&index, &requests)
        .map_err(|e| anyhow::anyhow!("search failed: {e}"))?;
    println!(
        "tantivy: {} queries (facets, highlights, 20 hits): {}, {mean_total:.0} matches on average",
        requests.len(),
        spread(&latencies),
    );

    let mut fts5_counts = None;
    if args.fts5
        && let Some(dir) = &args.dir
    {
        let mut fts = Fts5::open(&dir.join("fts5.db")).await?;
        fts.fill(args.docs).await?;
        println!(
            "fts5: database size {:.0} MB",
            file_size(&dir.join("fts5.db")) as f64 / 1e6
        );
        let mut latencies = Vec::with_capacity(requests.len());
        let mut totals = 0u64;
        for request in &requests {
            let query_started = Instant::now();
            totals += fts.search(request).await?;
            latencies.push(query_started.elapsed().as_secs_f64() * 1000.0);
        }
        latencies.sort_by(f64::total_cmp);
        println!(
            "fts5: {} queries (count + 20 hits by bm25): {}, {:.0} matches on average",
            requests.len(),
            spread(&latencies),
            totals as f64 / requests.len().max(1) as f64
        );
        let mut counts = Vec::new();
        for text in &texts {
            counts.push(fts.search(&SearchRequest::new(*text)).await?);
        }
        fts5_counts = Some(counts);
    }

    // Recall per query text: the exact substring answer beside what each engine finds.
    println!("\n| query | exact (substring) | tantivy | fts5 |\n|---|---:|---:|---:|");
    for (i, text) in texts.iter().enumerate() {
        let found = index
            .search(&SearchRequest {
                limit: 0,
                ..SearchRequest::new(*text)
            })
            .map_err(|e| anyhow::anyhow!("search failed: {e}"))?
            .total;
        let fts = fts5_counts
            .as_ref()
            .map_or("–".to_owned(), |c| c[i].to_string());
        println!("| {text} | {} | {found} | {fts} |", truth[i]);
    }

    if args.needs > 0 {
        println!();
        matching_through_index(&index, &profiles, args.needs)?;
    }
    println!(
        "\npeak RSS {:.0} MB, total {:.0} s",
        peak_rss_mb(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// "p50 … ms, p99 … ms, max … ms" of sorted latencies in milliseconds.
fn spread(sorted: &[f64]) -> String {
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        data::percentile(sorted, 50),
        data::percentile(sorted, 99),
        sorted.last().copied().unwrap_or(0.0),
    )
}

fn display_dir(dir: &Option<PathBuf>) -> String {
    dir.as_ref()
        .map_or("memory".to_owned(), |d| d.display().to_string())
}

fn progress(len: u64, message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} ({per_sec}, 残り {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(message);
    bar
}

/// The structured part of every company (city, processes, material, certification,
/// size) as indices into the generator's tables, a few bytes each, so that millions
/// of candidates can be ranked without their texts.
#[derive(Default)]
struct Profiles {
    /// Per company: where its codes start in `codes`.
    starts: Vec<u32>,
    codes: Vec<(FacetField, u8)>,
    cities: Vec<u8>,
}

fn position(table: &[(&str, &str)], key: &str) -> Option<u8> {
    table.iter().position(|(k, _)| *k == key).map(|i| i as u8)
}

impl Profiles {
    fn push(&mut self, doc: &SearchDoc) {
        self.starts.push(self.codes.len() as u32);
        for (field, value) in &doc.facets {
            let table = match field {
                FacetField::Process => data::PROCESSES,
                FacetField::Material => data::MATERIALS,
                FacetField::Certification => data::CERTIFICATIONS,
                FacetField::Size => &[("small", ""), ("medium", ""), ("large", "")][..],
                _ => continue,
            };
            if let Some(i) = position(table, value) {
                self.codes.push((*field, i));
            }
        }
        let city = doc.city.as_deref().and_then(|c| position(data::CITIES, c));
        self.cities.push(city.unwrap_or(u8::MAX));
    }

    /// The candidate for the company with this id (1-based, as generated).
    fn candidate(&self, id: i64, text_score: f32) -> Option<Candidate> {
        let i = usize::try_from(id).ok()?.checked_sub(1)?;
        let start = *self.starts.get(i)? as usize;
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.codes.len(), |e| *e as usize);
        let mut candidate = Candidate {
            id,
            city: data::CITIES
                .get(self.cities[i] as usize)
                .map(|(k, _)| (*k).to_owned()),
            text_score,
            ..Candidate::default()
        };
        for (field, code) in &self.codes[start..end] {
            let code = *code as usize;
            match field {
                FacetField::Process => candidate.processes.push(data::PROCESSES[code].0.into()),
                FacetField::Material => candidate.materials.push(data::MATERIALS[code].0.into()),
                FacetField::Certification => candidate
                    .certifications
                    .push(data::CERTIFICATIONS[code].0.into()),
                FacetField::Size => {
                    candidate.size = Some(match code {
                        0 => engine::SizeBand::Micro,
                        1 => engine::SizeBand::Small,
                        _ => engine::SizeBand::Large,
                    })
                }
                _ => {}
            }
        }
        Some(candidate)
    }
}

/// A need as a company would post it: one or two processes on a material for a
/// product, sometimes a certification, from one of the seven cities.
fn synthetic_needs(count: usize) -> Vec<(String, Need)> {
    let mut rng = Rng::new(SEED_NEEDS);
    (0..count)
        .map(|_| {
            let mut processes = vec![data::PROCESSES[rng.below(data::PROCESSES.len())]];
            if rng.below(2) == 0 {
                let other = data::PROCESSES[rng.below(data::PROCESSES.len())];
                if other != processes[0] {
                    processes.push(other);
                }
            }
            let material = data::MATERIALS[rng.below(data::MATERIALS.len())];
            let product = data::PRODUCTS[rng.below(data::PRODUCTS.len())];
            let certification = (rng.below(10) < 3)
                .then(|| data::CERTIFICATIONS[rng.below(data::CERTIFICATIONS.len())]);
            let city = data::CITIES[rng.below(data::CITIES.len())];
            let names: Vec<&str> = processes.iter().map(|(_, name)| *name).collect();
            let text = format!(
                "{}の{product}の{}をお願いできる企業を探しています",
                material.1,
                names.join("と")
            );
            let need = Need {
                kind: NeedKind::Business,
                city: Some(city.0.to_owned()),
                processes: processes.iter().map(|(k, _)| (*k).to_owned()).collect(),
                materials: vec![material.0.to_owned()],
                certifications_required: certification
                    .map(|(k, _)| vec![k.to_owned()])
                    .unwrap_or_default(),
                text_terms: vec![material.1.to_owned(), product.to_owned()],
                ..Need::default()
            };
            (text, need)
        })
        .collect()
}

/// For each need: the index's best companies for its words (any of them) and for
/// each of its processes, one page each, then the structured ranking of their union;
/// the top 20 with reasons. Times the whole and prints p50/p99.
fn matching_through_index(index: &Index, profiles: &Profiles, needs: usize) -> anyhow::Result<()> {
    let needs = synthetic_needs(needs);
    let mut latencies = Vec::with_capacity(needs.len());
    let mut pool_sizes = 0usize;
    let mut best = 0.0f64;
    for (text, need) in &needs {
        let started = Instant::now();
        let mut scores: HashMap<i64, f32> = HashMap::new();
        let by_text = index
            .search(&SearchRequest {
                limit: RETRIEVE,
                match_any: true,
                ..SearchRequest::new(text.clone())
            })
            .map_err(|e| anyhow::anyhow!("search failed: {e}"))?;
        for hit in by_text.hits {
            scores.insert(hit.id, hit.score);
        }
        for process in &need.processes {
            let by_process = index
                .search(&SearchRequest {
                    limit: RETRIEVE,
                    filters: vec![(FacetField::Process, process.clone())],
                    ..SearchRequest::default()
                })
                .map_err(|e| anyhow::anyhow!("search failed: {e}"))?;
            for hit in by_process.hits {
                scores.entry(hit.id).or_insert(0.0);
            }
        }
        let pool: Vec<Candidate> = scores
            .iter()
            .filter_map(|(id, score)| profiles.candidate(*id, *score))
            .collect();
        let ranked = engine::rank(
            need,
            &pool,
            &Settings {
                limit: Some(TOP),
                ..Settings::default()
            },
        );
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        pool_sizes += pool.len();
        best = best.max(ranked.first().map_or(0.0, |r| r.score));
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "matching: {} needs, top {TOP} with reasons from ≈{:.0} candidates each: {} (best score {best:.1})",
        needs.len(),
        pool_sizes as f64 / needs.len().max(1) as f64,
        spread(&latencies),
    );
    Ok(())
}

/// The same companies in SQLite FTS5 with the trigram tokenizer (SQLite's own
/// answer to CJK text), texts folded as our index folds them (NFKC, katakana as
/// hiragana, lower case) so that both see the same characters.
struct Fts5 {
    db: SqliteConnection,
}

impl Fts5 {
    async fn open(path: &Path) -> anyhow::Result<Fts5> {
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let mut db = SqliteConnection::connect(&url)
            .await
            .with_context(|| format!("cannot open {}", path.display()))?;
        for pragma in [
            "PRAGMA journal_mode = OFF",
            "PRAGMA synchronous = OFF",
            "PRAGMA cache_size = -262144",
        ] {
            sqlx::query(pragma).execute(&mut db).await?;
        }
        sqlx::query(
            "CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(
                 text, city UNINDEXED, processes UNINDEXED, public UNINDEXED,
                 tokenize = 'trigram')",
        )
        .execute(&mut db)
        .await?;
        Ok(Fts5 { db })
    }

    /// Fills the table with the generated companies unless it already holds them.
    async fn fill(&mut self, docs: usize) -> anyhow::Result<()> {
        let have: i64 = sqlx::query("SELECT count(*) FROM docs")
            .fetch_one(&mut self.db)
            .await?
            .get(0);
        if have == docs as i64 {
            println!("fts5: reused the table of {have} companies");
            return Ok(());
        }
        sqlx::query("DELETE FROM docs")
            .execute(&mut self.db)
            .await?;
        let bar = progress(docs as u64, "FTS5 に投入しています");
        let started = Instant::now();
        let mut tx = self.db.begin().await?;
        for (n, doc) in data::company_stream(docs, SEED_DOCS).enumerate() {
            let text = search::fold(&format!("{} {} {}", doc.title, doc.kana, doc.body));
            let processes: Vec<&str> = doc
                .facets
                .iter()
                .filter(|(f, _)| *f == FacetField::Process)
                .map(|(_, v)| v.as_str())
                .collect();
            sqlx::query(
                "INSERT INTO docs (rowid, text, city, processes, public) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(doc.id)
            .bind(text)
            .bind(doc.city.clone())
            .bind(processes.join(" "))
            .bind(doc.public)
            .execute(&mut *tx)
            .await?;
            if n % 50_000 == 49_999 {
                tx.commit().await?;
                tx = self.db.begin().await?;
            }
            bar.inc(1);
        }
        tx.commit().await?;
        sqlx::query("INSERT INTO docs(docs) VALUES ('optimize')")
            .execute(&mut self.db)
            .await?;
        bar.finish_and_clear();
        let took = started.elapsed().as_secs_f64();
        println!(
            "fts5: built in {took:.1} s ({:.0} docs/s, incl. optimize)",
            docs as f64 / took
        );
        Ok(())
    }

    /// What a directory search costs on FTS5: the number of matches and the first 20
    /// by bm25. Words of three characters or more go to the trigram index (MATCH);
    /// shorter ones cannot (the trigram tokenizer matches nothing for them), so they
    /// become LIKE, which scans. Filters are conditions on unindexed columns.
    async fn search(&mut self, request: &SearchRequest) -> anyhow::Result<u64> {
        let words = data::folded_words(&request.text);
        let (long, short): (Vec<&String>, Vec<&String>) =
            words.iter().partition(|w| w.chars().count() >= 3);
        let mut conditions = vec!["public = 1".to_owned()];
        let mut binds: Vec<String> = Vec::new();
        if !long.is_empty() {
            conditions.push("docs MATCH ?".into());
            binds.push(
                long.iter()
                    .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
                    .collect::<Vec<_>>()
                    .join(" AND "),
            );
        }
        for word in &short {
            conditions.push("text LIKE ?".into());
            binds.push(format!("%{word}%"));
        }
        for (field, value) in &request.filters {
            match field {
                FacetField::City => {
                    conditions.push("city = ?".into());
                    binds.push(value.clone());
                }
                FacetField::Process => {
                    conditions.push("(' ' || processes || ' ') LIKE ?".into());
                    binds.push(format!("% {value} %"));
                }
                _ => bail!("the FTS5 comparison has no column for {field:?}"),
            }
        }
        let filter = conditions.join(" AND ");
        let order = if long.is_empty() { "" } else { "ORDER BY rank" };
        let count_sql = format!("SELECT count(*) FROM docs WHERE {filter}");
        let page_sql = format!("SELECT rowid FROM docs WHERE {filter} {order} LIMIT 20");
        let mut count = sqlx::query(&count_sql);
        let mut page = sqlx::query(&page_sql);
        for bind in &binds {
            count = count.bind(bind);
            page = page.bind(bind);
        }
        let total: i64 = count.fetch_one(&mut self.db).await?.get(0);
        let hits = page.fetch_all(&mut self.db).await?;
        std::hint::black_box(hits);
        Ok(total as u64)
    }
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .filter_map(|e| e.metadata().ok())
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .sum()
    })
}

/// The process's peak resident memory so far (Linux; 0 elsewhere).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

pub fn matching(args: &MatchingArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let result = solve::matching::bench(args.candidates, args.seed);
    println!(
        "candidates {}: first page (50, with reasons) {:.1} ms, all ranked and explained {:.1} ms, best score {:.1} (total {:.1} s)",
        result.candidates,
        result.page.as_secs_f64() * 1000.0,
        result.all.as_secs_f64() * 1000.0,
        result.best_score,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub fn nta(args: &NtaArgs) -> anyhow::Result<()> {
    let encoding = if args.sjis {
        import::Encoding::ShiftJis
    } else {
        import::Encoding::Utf8
    };
    let result = import::bench::bench(args.rows, encoding, args.zip, &args.dir)
        .map_err(|e| anyhow::anyhow!("NTA benchmark failed: {e}"))?;
    println!(
        "NTA {} {}: {} rows, {:.0} MB; generate {:.0} rows/s; read {:.0} rows/s ({} accepted, {} refused); peak RSS {:.0} MB",
        encoding.label(),
        if args.zip { "zip" } else { "csv" },
        result.rows,
        result.bytes as f64 / 1e6,
        result.generate_rows_per_second(),
        result.read_rows_per_second(),
        result.accepted,
        result.refused,
        peak_rss_mb(),
    );
    Ok(())
}
