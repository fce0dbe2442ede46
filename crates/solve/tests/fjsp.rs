//! Integration tests of the 仲間まわし router: parser errors (data-driven), real benchmark
//! instances, random instances with calendars, transport, releases and re-planning, all
//! verified by the independent checker `fjsp::check`.
#![allow(clippy::unwrap_used)]

use expect_test::{Expect, expect};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use solve::fjsp::{
    self, Alternative, Budget, Calendar, Delay, FOREVER, Factory, Job, Machine, Operation, Outage,
    Problem, RouteError, Window,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn parse_error(text: &str, expected: Expect) {
    let actual = match fjsp::parse(text) {
        Ok(problem) => format!(
            "ok: {} jobs, {} machines",
            problem.jobs.len(),
            problem.machines.len()
        ),
        Err(error) => error.to_string(),
    };
    expected.assert_eq(&actual);
}

#[test]
fn malformed_fjs_files_are_rejected_with_line_job_and_operation() {
    parse_error("", expect!["the file is empty"]);
    parse_error("   \n\n", expect!["the file is empty"]);
    parse_error(
        "2\n",
        expect![[r#"line 1: the header needs `#jobs #machines [flexibility]`, found "2""#]],
    );
    parse_error(
        "two 3\n",
        expect![[r#"line 1: the header needs `#jobs #machines [flexibility]`, found "two 3""#]],
    );
    parse_error(
        "1 0\n1 1 1 1\n",
        expect![[r#"line 1: the header needs `#jobs #machines [flexibility]`, found "1 0""#]],
    );
    parse_error(
        "1 2 x\n1 1 1 1\n",
        expect![[r#"line 1: the header needs `#jobs #machines [flexibility]`, found "1 2 x""#]],
    );
    parse_error(
        "1 2\n1 1 1 five\n",
        expect![[r#"line 2: "five" is not a whole number (job 1)"#]],
    );
    parse_error(
        "1 2\n1 1 1 -5\n",
        expect![[r#"line 2: "-5" is not a whole number (job 1)"#]],
    );
    parse_error("1 2\n0\n", expect!["line 2: job 1 has no operations"]);
    parse_error(
        "1 2\n2 1 1 3 0\n",
        expect!["line 2: job 1, operation 2 has no machine that can do it"],
    );
    parse_error(
        "1 2\n1 1 3 4\n",
        expect!["line 2: job 1, operation 1 names machine 3, but there are 2 machines (1..=2)"],
    );
    parse_error(
        "1 2\n1 1 0 4\n",
        expect!["line 2: job 1, operation 1 names machine 0, but there are 2 machines (1..=2)"],
    );
    parse_error(
        "1 2\n1 2 1 4 1 5\n",
        expect!["line 2: job 1, operation 1 lists machine 1 twice"],
    );
    parse_error(
        "1 2\n2 1 1 3 2 1\n",
        expect!["line 2: job 1 ends early: a duration is missing"],
    );
    parse_error(
        "1 2\n2 1 1 3\n",
        expect!["line 2: job 1 ends early: the number of alternatives of an operation is missing"],
    );
    parse_error(
        "1 2\n1 1 1 3 7 7\n",
        expect!["line 2: job 1 has 2 number(s) after its last operation"],
    );
    parse_error(
        "3 2\n1 1 1 3\n1 1 2 3\n",
        expect!["the header announces 3 jobs but the file has 2"],
    );
    parse_error(
        "1 2\n1 1 1 3\n1 1 2 3\n",
        expect!["line 3: unexpected text after the last job"],
    );
    parse_error(
        "1\t2\t1\n\n1\t1\t2\t3\n\n",
        expect!["ok: 1 jobs, 2 machines"],
    );
}

#[test]
fn invalid_problems_are_rejected_before_routing() {
    let budget = Budget::iterations(10, 1);
    let mut problem = fjsp::parse("1 2\n1 1 1 3\n").unwrap();
    problem.jobs.push(Job {
        name: "empty".into(),
        release: 0,
        due: None,
        operations: vec![],
    });
    expect!["invalid problem: job 1 has no operations"]
        .assert_eq(&fjsp::route(&problem, &budget).unwrap_err().to_string());

    let mut problem = fjsp::parse("1 2\n1 1 1 3\n").unwrap();
    problem.jobs[0].operations.push(Operation {
        alternatives: vec![],
    });
    expect!["invalid problem: job 0, operation 1: no machine can do it (no alternatives)"]
        .assert_eq(&fjsp::route(&problem, &budget).unwrap_err().to_string());

    let mut problem = fjsp::parse("1 2\n1 1 1 3\n").unwrap();
    problem.jobs[0].operations[0]
        .alternatives
        .push(Alternative {
            machine: 7,
            duration: 1,
        });
    expect!["invalid problem: job 0, operation 0: machine 7 does not exist (2 machines)"]
        .assert_eq(&fjsp::route(&problem, &budget).unwrap_err().to_string());

    let mut problem = fjsp::parse("1 2\n1 1 1 3\n").unwrap();
    problem.machines[1].calendar = Calendar { windows: vec![] };
    expect!["invalid problem: machine 1: the calendar has no working time"]
        .assert_eq(&fjsp::route(&problem, &budget).unwrap_err().to_string());

    let mut problem = fjsp::parse("1 2\n1 1 1 3\n").unwrap();
    problem.machines[1].calendar = Calendar {
        windows: vec![Window { start: 5, end: 9 }, Window { start: 8, end: 20 }],
    };
    expect!["invalid problem: machine 1: calendar window 1 is empty, unsorted or overlaps the previous one"]
        .assert_eq(&fjsp::route(&problem, &budget).unwrap_err().to_string());

    let mut problem = fjsp::parse("1 2\n1 1 1 3\n").unwrap();
    problem.machines[0].factory = 3;
    expect!["invalid problem: machine 0: factory 3 does not exist (1 factories)"]
        .assert_eq(&fjsp::route(&problem, &budget).unwrap_err().to_string());

    let mut problem = fjsp::parse("1 2\n1 1 1 3\n").unwrap();
    problem.transport = vec![vec![0, 1]];
    expect!["invalid problem: the transport matrix must be 1×1 with non-negative entries"]
        .assert_eq(&fjsp::route(&problem, &budget).unwrap_err().to_string());

    let mut problem = fjsp::parse("1 2\n2 1 1 3 1 2 4\n").unwrap();
    problem.frozen.push(fjsp::FrozenOperation {
        job: 0,
        operation: 1,
        machine: 1,
        start: 0,
        end: 4,
    });
    expect![
        "invalid problem: job 0, operation 1 is frozen but an earlier operation of the job is not"
    ]
    .assert_eq(&fjsp::route(&problem, &budget).unwrap_err().to_string());
}

#[test]
fn a_job_whose_only_machine_breaks_for_good_cannot_be_planned_and_the_error_names_it() {
    let mut problem = fjsp::parse("2 2\n1 2 1 3 2 3\n2 1 1 3 1 2 4\n").unwrap();
    problem.outages.push(Outage {
        machine: 1,
        from: 0,
        until: None,
    });
    let error = fjsp::route(&problem, &Budget::iterations(100, 1)).unwrap_err();
    assert_eq!(
        error,
        RouteError::Unplaceable {
            job: 1,
            operation: 1
        }
    );
    expect!["job 1, operation 1: no eligible machine has enough working time left after the operation's predecessors (calendars and outages end too soon)"]
        .assert_eq(&error.to_string());
}

/// The shared benchmark folder, when this machine has it.
fn bench_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/fjsp");
    let dir = if dir.is_dir() {
        dir
    } else {
        PathBuf::from("/work/shared/bench/fjsp")
    };
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: the FJSP benchmark folder shared/bench/fjsp is not on this machine");
        None
    }
}

/// Best-known lower bounds from bounds.csv, keyed by (set, instance).
fn lower_bound(dir: &Path, set: &str, instance: &str) -> Option<i64> {
    let text = std::fs::read_to_string(dir.join("bounds.csv")).ok()?;
    text.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(',').collect();
        (fields.len() > 3 && fields[0] == set && fields[1] == instance)
            .then(|| fields[2].parse().ok())
            .flatten()
    })
}

#[test]
fn every_benchmark_file_parses_and_writes_back_to_the_same_problem() {
    let Some(dir) = bench_dir() else { return };
    let mut count = 0;
    for set in std::fs::read_dir(&dir).unwrap() {
        let set = set.unwrap().path();
        if !set.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&set).unwrap() {
            let file = file.unwrap().path();
            let text = std::fs::read_to_string(&file).unwrap();
            let problem = fjsp::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            problem.validate().unwrap();
            assert_eq!(
                fjsp::parse(&fjsp::write(&problem)).unwrap(),
                problem,
                "{}",
                file.display()
            );
            count += 1;
        }
    }
    assert!(count > 200, "only {count} instance files found");
}

#[test]
fn real_instances_get_valid_plans_no_better_than_their_proven_lower_bounds() {
    let Some(dir) = bench_dir() else { return };
    let instances = [
        ("brandimarte", "Mk01"),
        ("brandimarte", "Mk04"),
        ("brandimarte", "Mk06"),
        ("brandimarte", "Mk10"),
        ("hurink_edata", "la01"),
        ("hurink_rdata", "mt10"),
        ("hurink_vdata", "la21"),
        ("kacem", "Kacem3"),
        ("fattahi", "MFJS10"),
        ("dauzere", "01a"),
        ("hurink_edata", "orb7"),
    ];
    for (set, name) in instances {
        let text = std::fs::read_to_string(dir.join(set).join(format!("{name}.fjs"))).unwrap();
        let problem = fjsp::parse(&text).unwrap();
        let budget = Budget {
            time: Duration::from_millis(300),
            max_iterations: Some(3000),
            seed: 7,
        };
        let plan = fjsp::route(&problem, &budget).unwrap();
        let makespan = fjsp::check(&problem, &plan).unwrap_or_else(|v| panic!("{set}/{name}: {v}"));
        assert_eq!(makespan, plan.makespan);
        assert!(
            plan.makespan.0 <= plan.stats.initial_makespan,
            "{set}/{name}: search made it worse"
        );
        if let Some(lb) = lower_bound(&dir, set, name) {
            assert!(
                plan.makespan.0 >= lb,
                "{set}/{name}: makespan {} below the proven bound {lb}",
                plan.makespan
            );
        }
    }
}

/// A random instance with several factories, shift calendars, transport, releases and
/// due dates. Every calendar ends with an open window so that a plan always exists.
fn random_problem(rng: &mut SmallRng) -> Problem {
    let factories = rng.random_range(1..=3);
    let machines = rng.random_range(1..=5);
    let jobs = rng.random_range(1..=6);
    let transport = (0..factories)
        .map(|a| {
            (0..factories)
                .map(|b| if a == b { 0 } else { rng.random_range(0..=7) })
                .collect()
        })
        .collect();
    let machines: Vec<Machine> = (0..machines)
        .map(|m| {
            let calendar = if rng.random_bool(0.4) {
                Calendar::always()
            } else {
                let period = rng.random_range(8..=30);
                let begin = rng.random_range(0..period / 2);
                let end = rng.random_range(begin + 1..=period);
                let mut calendar =
                    Calendar::repeating(period, &[(begin, end)], rng.random_range(1..=6));
                let last = calendar.windows.last().map_or(0, |w| w.end);
                calendar.windows.push(Window {
                    start: last + rng.random_range(1..=10),
                    end: FOREVER,
                });
                calendar
            };
            Machine {
                name: format!("M{m}"),
                factory: rng.random_range(0..factories),
                calendar,
            }
        })
        .collect();
    let jobs = (0..jobs)
        .map(|j| {
            let operations = (0..rng.random_range(1..=4))
                .map(|_| {
                    let mut eligible: Vec<usize> = (0..machines.len())
                        .filter(|_| rng.random_bool(0.5))
                        .collect();
                    if eligible.is_empty() {
                        eligible.push(rng.random_range(0..machines.len()));
                    }
                    Operation {
                        alternatives: eligible
                            .into_iter()
                            .map(|machine| Alternative {
                                machine,
                                duration: rng.random_range(0..=9),
                            })
                            .collect(),
                    }
                })
                .collect();
            Job {
                name: format!("J{j}"),
                release: rng.random_range(0..=15),
                due: rng.random_bool(0.7).then(|| rng.random_range(5..=60)),
                operations,
            }
        })
        .collect();
    Problem {
        factories: (0..factories)
            .map(|f| Factory {
                name: format!("F{f}"),
            })
            .collect(),
        machines,
        jobs,
        transport,
        frozen: Vec::new(),
        outages: Vec::new(),
        not_before: 0,
    }
}

#[test]
fn random_instances_with_calendars_transport_and_releases_get_valid_plans() {
    let mut rng = SmallRng::seed_from_u64(2024);
    for case in 0..300 {
        let problem = random_problem(&mut rng);
        let plan = fjsp::route(&problem, &Budget::iterations(200, case)).unwrap();
        fjsp::check(&problem, &plan)
            .unwrap_or_else(|v| panic!("case {case}: {v}\n{problem:#?}\n{plan:#?}"));
        for (outcome, job) in plan.jobs.iter().zip(&problem.jobs) {
            assert_eq!(
                outcome.tardiness,
                job.due.map_or(0, |d| (outcome.completion - d).max(0))
            );
        }
    }
}

#[test]
fn re_planning_after_delays_and_breakdowns_keeps_started_operations_exactly_in_place() {
    let mut rng = SmallRng::seed_from_u64(99);
    let (mut replanned_count, mut frozen_count) = (0, 0);
    for case in 0..300 {
        let problem = random_problem(&mut rng);
        let plan = fjsp::route(&problem, &Budget::iterations(100, case)).unwrap();
        let now = rng.random_range(0..=plan.makespan.0.max(1));
        let started = plan.started_by(now);
        let mut delays = Vec::new();
        for f in started.iter().filter(|f| f.end >= now) {
            if rng.random_bool(0.5) {
                delays.push(Delay {
                    job: f.job,
                    operation: f.operation,
                    end: f.end + rng.random_range(1..=10),
                });
            }
        }
        let broken = rng.random_range(0..problem.machines.len());
        let outage = Outage {
            machine: broken,
            from: now,
            until: rng.random_bool(0.5).then(|| now + 20),
        };
        let next = problem.replanning(&plan, now, &delays, &[outage]);
        match fjsp::route(&next, &Budget::iterations(100, case)) {
            Ok(replanned) => {
                replanned_count += 1;
                frozen_count += next.frozen.len();
                fjsp::check(&next, &replanned).unwrap_or_else(|v| panic!("case {case}: {v}"));
                for f in &next.frozen {
                    let a = replanned.assignment(f.job, f.operation).unwrap();
                    assert_eq!(
                        (a.machine, a.start, a.end),
                        (f.machine, f.start, f.end),
                        "case {case}"
                    );
                }
                for a in &replanned.assignments {
                    if next.frozen_at(a.job, a.operation).is_none() {
                        assert!(
                            a.start >= now,
                            "case {case}: an unstarted operation was put in the past"
                        );
                    }
                }
            }
            // A delay can push a started operation past the start of its job's next one,
            // or a machine broken for good can leave an operation nowhere to go: both are
            // reported, never planned around silently.
            Err(RouteError::Invalid(fjsp::ProblemError::FrozenPrecedence { .. }))
            | Err(RouteError::Invalid(fjsp::ProblemError::FrozenOverlap { .. }))
            | Err(RouteError::Unplaceable { .. }) => {}
            Err(other) => panic!("case {case}: unexpected {other}"),
        }
    }
    // Most cases must actually exercise re-planning with frozen operations.
    assert!(
        replanned_count > 200 && frozen_count > 300,
        "{replanned_count} re-planned, {frozen_count} frozen"
    );
}

#[test]
fn the_same_seed_and_iteration_budget_give_the_same_plan() {
    let mut rng = SmallRng::seed_from_u64(5);
    for case in 0..20 {
        let problem = random_problem(&mut rng);
        let first = fjsp::route(&problem, &Budget::iterations(500, case)).unwrap();
        let second = fjsp::route(&problem, &Budget::iterations(500, case)).unwrap();
        assert_eq!(first, second);
    }
}
