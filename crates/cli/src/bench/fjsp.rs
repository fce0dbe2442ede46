//! `renkei bench fjsp`: runs the 仲間まわし router on standard `.fjs` flexible job-shop
//! instances (e.g. `shared/bench/fjsp/brandimarte/Mk01.fjs`), verifies every plan with the
//! independent checker, and prints one line per instance for BENCHMARKS.md:
//! instance, makespan, best-known upper bound and gap (with `--bounds`), seconds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use solve::fjsp::{self, Budget, Plan, Problem};

/// Arguments of `renkei bench fjsp`.
#[derive(Debug, clap::Args)]
pub struct FjspArgs {
    /// Instance files in the standard .fjs format.
    #[arg(value_name = "FILE.fjs", required = true)]
    pub files: Vec<PathBuf>,
    /// Time budget per instance, in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Seed of the search's random choices.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stop after this many tabu iterations instead (deterministic for a given seed).
    #[arg(long)]
    pub iterations: Option<u64>,
    /// Write the plan(s) here as JSON (one object per instance, in a list).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// bounds.csv (`set,instance,lb,ub,source`) to print the gap to the best-known upper
    /// bound; `set` is matched against the instance file's folder name.
    #[arg(long, value_name = "PATH")]
    pub bounds: Option<PathBuf>,
}

/// One instance's result.
struct Row {
    instance: String,
    makespan: i64,
    upper_bound: Option<i64>,
    seconds: f64,
    iterations: u64,
}

/// Runs the benchmark described by `args`.
pub fn run(args: &FjspArgs) -> anyhow::Result<()> {
    if !(args.seconds.is_finite() && args.seconds > 0.0) {
        bail!("--seconds must be a positive number");
    }
    let bounds = match &args.bounds {
        Some(path) => read_bounds(path)?,
        None => HashMap::new(),
    };
    let budget = Budget {
        time: Duration::from_secs_f64(args.seconds),
        max_iterations: args.iterations,
        seed: args.seed,
    };
    let progress = if args.files.len() > 1 {
        let bar = ProgressBar::new(args.files.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    // Lines go to stdout (not through the bar, which hides them when stderr is not a
    // terminal) so that scripts can collect them.
    println!(
        "{:<12} {:>9} {:>9} {:>7} {:>8} {:>10}",
        "instance", "makespan", "best-ub", "gap%", "seconds", "iterations"
    );
    let mut plans = Vec::new();
    let mut gaps = Vec::new();
    for path in &args.files {
        let instance = instance_name(path);
        progress.set_message(instance.clone());
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let problem = fjsp::parse(&text).with_context(|| format!("parsing {}", path.display()))?;
        let started = Instant::now();
        let plan = fjsp::route(&problem, &budget)
            .with_context(|| format!("routing {}", path.display()))?;
        let seconds = started.elapsed().as_secs_f64();
        let makespan = fjsp::check(&problem, &plan)
            .with_context(|| format!("the plan for {} fails the checker", path.display()))?;
        let set = path
            .parent()
            .and_then(Path::file_name)
            .map(|s| s.to_string_lossy().into_owned());
        let upper_bound = set
            .and_then(|set| bounds.get(&(set, instance.clone())).copied())
            .or_else(|| unique_by_instance(&bounds, &instance));
        let row = Row {
            instance,
            makespan: makespan.0,
            upper_bound,
            seconds,
            iterations: plan.stats.iterations,
        };
        if let Some(gap) = row.gap() {
            gaps.push(gap);
        }
        progress.suspend(|| println!("{}", row.line()));
        if args.out.is_some() {
            plans.push(plan_json(&row.instance, &problem, &plan));
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    if gaps.len() > 1 {
        println!(
            "mean gap over {} instances: {:.2}%",
            gaps.len(),
            gaps.iter().sum::<f64>() / gaps.len() as f64
        );
    }
    if let Some(out) = &args.out {
        let json = serde_json::to_string_pretty(&plans)?;
        std::fs::write(out, json).with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}

impl Row {
    fn gap(&self) -> Option<f64> {
        self.upper_bound
            .map(|ub| 100.0 * (self.makespan - ub) as f64 / ub as f64)
    }

    fn line(&self) -> String {
        let ub = self.upper_bound.map_or("-".to_owned(), |ub| ub.to_string());
        let gap = self.gap().map_or("-".to_owned(), |g| format!("{g:.2}"));
        format!(
            "{:<12} {:>9} {:>9} {:>7} {:>8.2} {:>10}",
            self.instance, self.makespan, ub, gap, self.seconds, self.iterations
        )
    }
}

fn instance_name(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}

/// Reads `set,instance,lb,ub,source` rows into `(set, instance) -> ub`.
fn read_bounds(path: &Path) -> anyhow::Result<HashMap<(String, String), i64>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut bounds = HashMap::new();
    for (number, line) in text.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.splitn(5, ',').collect();
        if fields.len() < 4 {
            continue;
        }
        let ub: i64 = fields[3].trim().parse().with_context(|| {
            format!(
                "{} line {}: upper bound {:?}",
                path.display(),
                number + 1,
                fields[3]
            )
        })?;
        bounds.insert(
            (fields[0].trim().to_owned(), fields[1].trim().to_owned()),
            ub,
        );
    }
    Ok(bounds)
}

/// The bound of an instance name that appears in only one set.
fn unique_by_instance(bounds: &HashMap<(String, String), i64>, instance: &str) -> Option<i64> {
    let mut matches = bounds
        .iter()
        .filter(|((_, name), _)| name == instance)
        .map(|(_, &ub)| ub);
    let first = matches.next()?;
    matches.next().is_none().then_some(first)
}

/// The plan as JSON: machines, jobs and operations 1-based as in the .fjs file.
fn plan_json(instance: &str, problem: &Problem, plan: &Plan) -> serde_json::Value {
    let assignments: Vec<serde_json::Value> = plan
        .assignments
        .iter()
        .map(|a| {
            serde_json::json!({
                "job": a.job + 1,
                "operation": a.operation + 1,
                "machine": a.machine + 1,
                "start": a.start,
                "end": a.end,
            })
        })
        .collect();
    serde_json::json!({
        "instance": instance,
        "jobs": problem.jobs.len(),
        "machines": problem.machines.len(),
        "makespan": plan.makespan.0,
        "assignments": assignments,
    })
}
