//! `renkei bench fair`: runs the matching-fair scheduler on an instance file of
//! `shared/bench/matchmaking`, checks every constraint again, optionally writes the
//! schedule in `check.py`'s format, and prints one summary line for BENCHMARKS.md.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use solve::fair::{Fair, ScheduleOptions, schedule, verify};

/// Arguments of `renkei bench fair`.
#[derive(Debug, clap::Args)]
pub struct FairArgs {
    /// Instance JSON (the format of shared/bench/matchmaking/gen.py).
    #[arg(value_name = "INSTANCE.json")]
    pub instance: PathBuf,
    /// Write the schedule here in check.py's format (default: summary only).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Time budget of the search, in seconds.
    #[arg(long, default_value_t = 1.0)]
    pub seconds: f64,
    /// Seed of the search's random choices.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stop after this many moves instead (deterministic for a given seed).
    #[arg(long)]
    pub iterations: Option<u64>,
}

/// Runs the benchmark described by `args`.
pub fn run(args: &FairArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.instance)
        .with_context(|| format!("reading {}", args.instance.display()))?;
    let fair = Fair::from_json(&text).with_context(|| format!("in {}", args.instance.display()))?;
    if !(args.seconds.is_finite() && args.seconds > 0.0) {
        bail!("--seconds must be a positive number");
    }
    let options = ScheduleOptions {
        seed: args.seed,
        time_budget: Some(Duration::from_secs_f64(args.seconds)),
        iteration_limit: args.iterations,
        ..ScheduleOptions::default()
    };
    let started = Instant::now();
    let plan = schedule(&fair, &options)?;
    let seconds = started.elapsed().as_secs_f64();
    let weight = match verify(&fair, &plan) {
        Ok(weight) => weight,
        Err(violations) => {
            for v in violations.iter().take(20) {
                eprintln!("violation: {v}");
            }
            bail!("the schedule breaks {} constraints", violations.len());
        }
    };
    if let Some(path) = &args.out {
        std::fs::write(path, plan.to_json(&fair) + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "{}: weight={} placed={} unplaced={} bound={} optimal={} gap={:.3}% iterations={} seconds={:.3}",
        args.instance.display(),
        weight,
        plan.meetings.len(),
        plan.unplaced.len(),
        plan.upper_bound,
        plan.is_optimal(),
        100.0 * (plan.upper_bound - weight) as f64 / plan.upper_bound.max(1) as f64,
        plan.iterations,
        seconds
    );
    Ok(())
}
