//! `renkei bench search` and `renkei bench matching`: the directory's full-text index
//! on synthetic Japanese company texts, and the match-ranking engine on synthetic
//! candidates. Both generate their inputs from a seed, so runs are comparable.

use std::time::Instant;

/// Arguments of `renkei bench search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// Companies to index.
    #[arg(long, default_value_t = 100_000)]
    pub docs: usize,
    /// Queries to time (typed searches with facets).
    #[arg(long, default_value_t = 1000)]
    pub queries: usize,
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

pub fn search(args: &SearchArgs) -> anyhow::Result<()> {
    let report = search::bench::run(args.docs, args.queries)
        .map_err(|e| anyhow::anyhow!("search benchmark failed: {e}"))?;
    println!("{report}");
    Ok(())
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
