//! How the platform drives the matching-fair scheduler: a first run, a meeting
//! locked by staff, a late change (someone leaves early), and a re-run that keeps
//! every already notified meeting where it was whenever still possible.
//!
//! `cargo run -p solve --example fair_rerun`

use std::time::Duration;

use solve::fair::{
    Fair, MeetingRequest, Participant, Placement, Priority, ScheduleOptions, Slot, schedule, verify,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let everyone = |id: &str| Participant {
        id: id.to_string(),
        available: (0..3).map(Slot).collect(),
    };
    let wish = |a: &str, b: &str, from_a: Priority, from_b: Option<Priority>| MeetingRequest {
        a: a.to_string(),
        b: b.to_string(),
        weight: Priority::pair_weight(Some(from_a), from_b),
    };
    let people = vec![
        everyone("buyer-toyota"),
        everyone("buyer-city-hall"),
        everyone("maker-sumida"),
        everyone("maker-ota"),
        everyone("maker-kaga"),
    ];
    let requests = vec![
        wish(
            "maker-sumida",
            "buyer-toyota",
            Priority::Must,
            Some(Priority::Should),
        ),
        wish("maker-ota", "buyer-toyota", Priority::Must, None),
        wish("maker-kaga", "buyer-toyota", Priority::Should, None),
        wish(
            "maker-kaga",
            "buyer-city-hall",
            Priority::Must,
            Some(Priority::Must),
        ),
        wish("maker-ota", "maker-sumida", Priority::Could, None),
    ];
    let fair = Fair::new(3, 2, people.clone(), requests.clone())?;
    let options = ScheduleOptions {
        seed: 7,
        time_budget: Some(Duration::from_millis(200)),
        // Staff promised maker-kaga and the city hall the first slot, table 1.
        locked: vec![Placement {
            a: "maker-kaga".into(),
            b: "buyer-city-hall".into(),
            slot: Slot(0),
            table: Some(solve::fair::Table(1)),
        }],
        ..ScheduleOptions::default()
    };
    let first = schedule(&fair, &options)?;
    println!(
        "first run: weight {} (bound {})",
        verify(&fair, &first).map_err(|v| format!("{v:?}"))?,
        first.upper_bound
    );
    print(&fair, &first);

    // Late change: maker-ota must leave after the first slot.
    let mut people = people;
    people[3].available = vec![Slot(0)];
    let changed = Fair::new(3, 2, people, requests)?;
    let previous = first
        .meetings
        .iter()
        .map(|m| {
            let r = &fair.requests()[m.request];
            Placement {
                a: r.a.clone(),
                b: r.b.clone(),
                slot: m.slot,
                table: Some(m.table),
            }
        })
        .collect();
    let rerun = schedule(
        &changed,
        &ScheduleOptions {
            previous,
            keep_previous: true,
            ..options
        },
    )?;
    println!("re-run: weight {}, moved {:?}", rerun.weight, rerun.moved);
    print(&changed, &rerun);
    Ok(())
}

fn print(fair: &Fair, plan: &solve::fair::Schedule) {
    for m in &plan.meetings {
        let r = &fair.requests()[m.request];
        let lock = if m.locked { " (locked)" } else { "" };
        println!(
            "  slot {} table {}: {} – {}{lock}",
            m.slot.0, m.table.0, r.a, r.b
        );
    }
    for u in &plan.unplaced {
        let r = &fair.requests()[u.request];
        println!("  not placed: {} – {}: {}", r.a, r.b, u.reason);
    }
}
