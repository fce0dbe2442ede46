//! The demonstration 仲間まわし network's jobs: three invented jobs (marked 「デモ」)
//! of the 大田区 companies of `data/council/network.toml`, entered, routed and partly
//! reported through the store's own functions, so that a visitor finds jobs in
//! progress — an operation finished, others running, one job not started. The jobs
//! are released on the Monday of the week before the load (a network in progress
//! needs a current week), and every report is at the time the plan gave.

use chrono::{Datelike, Days};
use domain::network::{JobInput, format_minutes, parse_time};
use domain::{Actor, Role};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::entity::network_job;
use crate::network::{self, EventKind};
use crate::{Store, StoreError};

/// (hub company, name, release in days after the Monday, due in days, operations as
/// (process, [(machine name, minutes)])).
type Demo = (
    &'static str,
    &'static str,
    u64,
    u64,
    &'static [(&'static str, &'static [(&'static str, i64)])],
);

const JOBS: &[Demo] = &[
    (
        "ota-01",
        "【デモ】油圧バルブ部品 20個",
        0,
        9,
        &[
            (
                "cutting",
                &[("NC旋盤 1号機", 240), ("マシニングセンタ", 300)],
            ),
            ("heat_treatment", &[("熱処理炉", 480)]),
            ("grinding", &[("平面研削盤", 180)]),
            ("inspection", &[("三次元測定機", 60), ("組立・検査台", 90)]),
        ],
    ),
    (
        "ota-02",
        "【デモ】精密シャフト 50本",
        0,
        7,
        &[
            (
                "cutting",
                &[("5軸マシニングセンタ", 200), ("NC旋盤 1号機", 220)],
            ),
            ("plating", &[("めっきライン", 300)]),
            ("inspection", &[("組立・検査台", 60)]),
        ],
    ),
    (
        "ota-04",
        "【デモ】装置架台フレーム 2台",
        2,
        14,
        &[
            ("sheet_metal", &[("ベンダー", 180)]),
            ("welding", &[("溶接ブース", 360)]),
            ("assembly", &[("組立・検査台", 240)]),
        ],
    ),
];

fn broken(what: impl std::fmt::Display) -> StoreError {
    StoreError::Config(format!("demo network jobs: {what}"))
}

/// Loads the demonstration jobs when the network has the demonstration machines and no
/// job yet. Returns how many jobs were loaded.
pub async fn load_if_empty(store: &Store) -> Result<usize, StoreError> {
    if network_job::Entity::find().count(&store.db).await? > 0 {
        return Ok(0);
    }
    let machines = network::machines(store).await?;
    let id_of = |name: &str| machines.iter().find(|m| m.name == name).map(|m| m.id);
    if JOBS
        .iter()
        .flat_map(|job| job.4.iter())
        .flat_map(|(_, alternatives)| alternatives.iter())
        .any(|(name, _)| id_of(name).is_none())
    {
        // A network that is not the demonstration one: no demonstration jobs.
        return Ok(0);
    }
    let actor = Actor {
        user_id: 0,
        email: "system".into(),
        role: Role::Secretariat,
        organisation_id: None,
        company_id: None,
    };
    let today = domain::time::japan_today();
    let week_before = today - Days::new(7);
    let monday = week_before - Days::new(u64::from(week_before.weekday().num_days_from_monday()));
    let mut keys = Vec::new();
    for (hub, name, release, due, operations) in JOBS {
        let at = |days: u64, time: &str| format!("{} {time}", monday + Days::new(days));
        let lines: Vec<String> = operations
            .iter()
            .map(|(process, alternatives)| {
                let choices: Vec<String> = alternatives
                    .iter()
                    .filter_map(|(machine, minutes)| {
                        id_of(machine).map(|id| format!("{id}:{minutes}"))
                    })
                    .collect();
                format!("{process} {}", choices.join(" "))
            })
            .collect();
        let input = JobInput {
            name: (*name).to_owned(),
            release: at(*release, "08:30"),
            due: at(*due, "17:30"),
            operations: lines.join("\n"),
        };
        let job = network::create_job(store, &actor, hub, &input)
            .await
            .map_err(|e| broken(format!("{name}: {e:?}")))?;
        keys.push(job.key);
    }
    let start = parse_time("release", &format!("{monday} 08:30")).map_err(|e| broken(e.reason))?;
    network::route(store, &actor, start, network::default_budget())
        .await
        .map_err(|e| broken(format!("route: {e:?}")))?;
    // In progress: the first job's first operation done and its second running, the
    // second job's first operation running; the third not started.
    let progress: [(usize, &[(usize, EventKind)]); 2] = [
        (
            0,
            &[
                (0, EventKind::Start),
                (0, EventKind::Finish),
                (1, EventKind::Start),
            ],
        ),
        (1, &[(0, EventKind::Start)]),
    ];
    for (job_index, reports) in progress {
        for (position, kind) in reports {
            let job = network::job(store, &actor, &keys[job_index]).await?;
            let operation = job
                .operations
                .get(*position)
                .ok_or_else(|| broken("operation"))?;
            let at = match kind {
                EventKind::Finish => operation.end(),
                _ => operation.start(),
            }
            .ok_or_else(|| broken(format!("{}: not planned", job.name)))?;
            network::report(store, &actor, operation.id, *kind, at)
                .await
                .map_err(|e| broken(format!("{} {}: {e:?}", job.name, format_minutes(at))))?;
        }
    }
    Ok(keys.len())
}
