//! A small 仲間まわし network in 大田区: three factories with day shifts, a truck between
//! them, five jobs with due dates. Plans the week, then re-plans on Monday at 12:00 when
//! the NC lathe in 糀谷 breaks until 16:00 and whatever is running reports an hour of delay.
//!
//! `cargo run -p solve --example fjsp_replan`

use solve::fjsp::{
    self, Alternative, Budget, Calendar, Delay, Factory, Job, Machine, Operation, Outage, Plan,
    Problem, Time,
};
use std::time::Duration;

const DAY: Time = 24 * 60;

/// Minutes since Monday 00:00 as "Mon 08:30".
fn clock(t: Time) -> String {
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let day = days.get((t / DAY) as usize).copied().unwrap_or("+1w");
    format!("{day} {:02}:{:02}", (t % DAY) / 60, t % 60)
}

fn print_plan(problem: &Problem, plan: &Plan) {
    for a in &plan.assignments {
        let job = &problem.jobs[a.job];
        let machine = &problem.machines[a.machine];
        println!(
            "  {:<10} step {} on {:<12} ({}) {} → {}",
            job.name,
            a.operation + 1,
            machine.name,
            problem.factories[machine.factory].name,
            clock(a.start),
            clock(a.end)
        );
    }
    println!(
        "  makespan {}, total tardiness {} min",
        clock(plan.makespan.0),
        plan.total_tardiness()
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Weekday shift 08:00–17:00 for five days; the plating line also runs a night shift.
    let day_shift = Calendar::repeating(DAY, &[(8 * 60, 17 * 60)], 5);
    let two_shifts = Calendar::repeating(DAY, &[(6 * 60, 22 * 60)], 5);
    let machine = |name: &str, factory, calendar: &Calendar| Machine {
        name: name.to_owned(),
        factory,
        calendar: calendar.clone(),
    };
    let step = |alternatives: &[(usize, Time)]| Operation {
        alternatives: alternatives
            .iter()
            .map(|&(machine, duration)| Alternative { machine, duration })
            .collect(),
    };
    let job = |name: &str, due: Time, operations: Vec<Operation>| Job {
        name: name.to_owned(),
        release: 8 * 60,
        due: Some(due),
        operations,
    };
    let problem = Problem {
        factories: vec![
            Factory {
                name: "糀谷".into(),
            },
            Factory {
                name: "下丸子".into(),
            },
            Factory {
                name: "平和島".into(),
            },
        ],
        machines: vec![
            machine("NC旋盤", 0, &day_shift),
            machine("マシニング", 0, &day_shift),
            machine("複合旋盤", 1, &day_shift),
            machine("研削盤", 1, &day_shift),
            machine("めっき", 2, &two_shifts),
        ],
        // Truck minutes between the three factories.
        transport: vec![vec![0, 40, 30], vec![40, 0, 50], vec![30, 50, 0]],
        jobs: vec![
            job(
                "シャフト",
                DAY + 17 * 60,
                vec![
                    step(&[(0, 240), (2, 200)]),
                    step(&[(3, 180)]),
                    step(&[(4, 300)]),
                ],
            ),
            job(
                "フランジ",
                2 * DAY + 12 * 60,
                vec![step(&[(1, 300), (2, 360)]), step(&[(4, 240)])],
            ),
            job(
                "ギア",
                2 * DAY + 17 * 60,
                vec![
                    step(&[(0, 180), (2, 150)]),
                    step(&[(1, 420)]),
                    step(&[(3, 240)]),
                ],
            ),
            job(
                "ブラケット",
                DAY + 12 * 60,
                vec![step(&[(1, 200)]), step(&[(4, 120)])],
            ),
            job(
                "ピン",
                3 * DAY,
                vec![
                    step(&[(0, 90), (2, 100)]),
                    step(&[(3, 60)]),
                    step(&[(4, 90)]),
                ],
            ),
        ],
        frozen: Vec::new(),
        outages: Vec::new(),
        not_before: 0,
    };
    let budget = Budget::time(Duration::from_millis(300), 1);

    let plan = fjsp::route(&problem, &budget)?;
    fjsp::check(&problem, &plan)?;
    println!("Week plan:");
    print_plan(&problem, &plan);

    // Monday 12:00: the NC lathe breaks until 16:00; every running operation is an hour late.
    let now = 12 * 60;
    let delays: Vec<Delay> = plan
        .started_by(now)
        .iter()
        .filter(|f| f.end > now)
        .map(|f| Delay {
            job: f.job,
            operation: f.operation,
            end: f.end + 60,
        })
        .collect();
    let outage = Outage {
        machine: 0,
        from: now,
        until: Some(DAY + 14 * 60),
    };
    let next = problem.replanning(&plan, now, &delays, &[outage]);
    let replanned = fjsp::route(&next, &budget)?;
    fjsp::check(&next, &replanned)?;
    println!(
        "\nRe-planned at {} ({} started operations kept in place):",
        clock(now),
        next.frozen.len()
    );
    print_plan(&next, &replanned);
    Ok(())
}
