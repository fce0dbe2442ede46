//! 仲間まわし in the store: the demo machines, who may add machines and enter jobs, a
//! three-factory job routed, progress reported in order (and out of order refused), a
//! delay and a re-plan that keeps started operations where they are, and bad input.

use domain::network::{JobInput, parse_time};
use store::network::{self, EventKind, MachineInput};
use store::{Store, StoreError};

use super::{each_backend, member_of, staff_of};

/// The id of the demo machine of `company` called `name`.
async fn machine(store: &Store, company: &str, name: &str) -> i64 {
    network::machines(store)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.company_key == company && m.name == name)
        .unwrap_or_else(|| panic!("machine {company} {name}"))
        .id
}

/// A member of the factory whose machine the operation is planned on.
async fn factory_of(store: &Store, op: &network::Operation) -> (String, i64) {
    let machine = network::machine(store, op.machine_id.unwrap())
        .await
        .unwrap();
    (machine.company_key, machine.id)
}

fn at(text: &str) -> i64 {
    parse_time("at", text).unwrap()
}

async fn three_factory_job(store: &Store, hub: &domain::Actor) -> network::Job {
    let lathe = machine(store, "ota-01", "NC旋盤 1号機").await;
    let mc = machine(store, "ota-06", "マシニングセンタ").await;
    let bender = machine(store, "ota-04", "ベンダー").await;
    let plating = machine(store, "ota-03", "めっきライン").await;
    let inspect = machine(store, "ota-05", "組立・検査台").await;
    let input = JobInput {
        name: "医療機器ブラケット 200個".into(),
        release: "2026-11-23 08:00".into(),
        due: "2026-11-25 17:00".into(),
        operations: format!(
            "切削 {lathe}:240 {mc}:300\n板金 {bender}:120\nめっき {plating}:180\n検査 {inspect}:60\n"
        ),
    };
    network::create_job(store, hub, "ota-05", &input)
        .await
        .expect("job created")
}

#[tokio::test]
async fn the_demo_network_has_machines_of_six_ota_factories() {
    each_backend(|store, backend| async move {
        let machines = network::machines(&store).await.unwrap();
        let mut companies: Vec<&str> = machines.iter().map(|m| m.company_key.as_str()).collect();
        companies.dedup();
        assert_eq!(
            companies,
            ["ota-01", "ota-02", "ota-03", "ota-04", "ota-05", "ota-06"],
            "{backend:?}"
        );
        assert!(machines.iter().any(|m| m.processes == ["plating"]));
    })
    .await;
}

#[tokio::test]
async fn only_a_company_and_its_city_may_add_its_machines() {
    each_backend(|store, backend| async move {
        let input = MachineInput {
            name: "ワイヤー放電加工機".into(),
            processes: "切削".into(),
            days: "月火水木金".into(),
            hours: "08:00-17:00".into(),
            holidays: String::new(),
        };
        let member = member_of(&store, "ota-02", "m@ota-02.example.jp").await;
        let other = member_of(&store, "ota-03", "m@ota-03.example.jp").await;
        let sumida = staff_of(&store, "sumida", "staff@city.sumida.example.jp").await;
        let ota = staff_of(&store, "ota", "staff@city.ota.example.jp").await;
        let added = network::add_machine(&store, &member, "ota-02", &input)
            .await
            .unwrap();
        assert_eq!(added.processes, ["cutting"], "{backend:?}");
        assert_eq!(added.week.hours_text(), "08:00-17:00");
        for refused in [&other, &sumida] {
            let error = network::add_machine(&store, refused, "ota-02", &input)
                .await
                .unwrap_err();
            assert!(matches!(error, StoreError::Forbidden { .. }), "{error:?}");
        }
        let by_city = MachineInput {
            name: "研磨機".into(),
            processes: "研磨".into(),
            ..input.clone()
        };
        network::add_machine(&store, &ota, "ota-02", &by_city)
            .await
            .unwrap();
        let mut edited = input.clone();
        edited.holidays = "2026-12-31、2026-12-30".into();
        let edited = network::update_machine(&store, &member, added.id, &edited)
            .await
            .unwrap();
        assert_eq!(edited.holidays.len(), 2, "{backend:?}");
        assert!(matches!(
            network::update_machine(&store, &sumida, added.id, &input).await,
            Err(StoreError::Forbidden { .. })
        ));
        let no_time = MachineInput {
            hours: "17:00-08:00".into(),
            processes: "ステンレス".into(),
            ..input
        };
        let StoreError::Invalid(errors) = network::add_machine(&store, &member, "ota-02", &no_time)
            .await
            .unwrap_err()
        else {
            panic!("invalid expected")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["processes", "hours"], "{backend:?}");
    })
    .await;
}

#[tokio::test]
async fn a_three_factory_job_is_routed_reported_delayed_and_replanned() {
    each_backend(|store, backend| async move {
        let hub = member_of(&store, "ota-05", "hub@ota-05.example.jp").await;
        let lathe_factory = member_of(&store, "ota-01", "m@ota-01.example.jp").await;
        let plating_factory = member_of(&store, "ota-03", "m@ota-03.example.jp").await;
        let job = three_factory_job(&store, &hub).await;
        assert_eq!(job.operations.len(), 4);

        // Another company may not enter jobs for the hub, nor run the router.
        let error = network::route(
            &store,
            &plating_factory,
            at("2026-11-23 08:00"),
            network::default_budget(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, StoreError::Forbidden { .. }),
            "{backend:?}: {error:?}"
        );

        let planned = network::route(
            &store,
            &hub,
            at("2026-11-23 08:00"),
            network::default_budget(),
        )
        .await
        .unwrap();
        assert_eq!((planned.jobs, planned.operations), (1, 4), "{backend:?}");
        let job = network::job(&store, &hub, &job.key).await.unwrap();
        let ops = &job.operations;
        for pair in ops.windows(2) {
            assert!(pair[0].planned_end.unwrap() <= pair[1].planned_start.unwrap());
        }
        assert_eq!(planned.makespan, ops[3].planned_end.unwrap());

        // The plating factory cannot start before cutting and bending have finished.
        let error = network::report(
            &store,
            &plating_factory,
            ops[2].id,
            EventKind::Start,
            at("2026-11-23 09:00"),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                error,
                StoreError::Conflict(_) | StoreError::Forbidden { .. }
            ),
            "{error:?}"
        );

        // Cutting starts where it is planned; only that factory may report it.
        let cut = &ops[0];
        let (cut_factory, _) = factory_of(&store, cut).await;
        let reporter = if cut_factory == "ota-01" {
            lathe_factory.clone()
        } else {
            member_of(&store, &cut_factory, "m@cut.example.jp").await
        };
        let start = cut.planned_start.unwrap();
        for refused in [&hub, &plating_factory] {
            let error = network::report(&store, refused, cut.id, EventKind::Start, start)
                .await
                .unwrap_err();
            assert!(
                matches!(error, StoreError::Forbidden { .. }),
                "{backend:?}: {error:?}"
            );
        }
        network::report(&store, &reporter, cut.id, EventKind::Start, start)
            .await
            .unwrap();
        let error = network::report(&store, &reporter, cut.id, EventKind::Start, start)
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::Conflict(_)),
            "started twice: {error:?}"
        );
        let error = network::report(&store, &reporter, cut.id, EventKind::Finish, start - 10)
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::Conflict(_)),
            "finish before start: {error:?}"
        );
        let error = network::report(&store, &reporter, 999_999, EventKind::Start, start)
            .await
            .unwrap_err();
        assert!(matches!(error, StoreError::NotFound { .. }), "{error:?}");

        // A delay of a day re-plans at once: cutting stays where it is, the rest moves
        // after the new end.
        let late_end = cut.planned_end.unwrap() + 24 * 60;
        let reported = network::report(&store, &reporter, cut.id, EventKind::Delay, late_end)
            .await
            .unwrap();
        let Some(network::Replan::Done(replanned)) = reported.replan else {
            panic!(
                "{backend:?}: re-planned expected, got {:?}",
                reported.replan
            )
        };
        assert!(replanned.makespan > planned.makespan, "{backend:?}");
        let after = network::job(&store, &hub, &job.key).await.unwrap();
        assert_eq!(after.operations[0].machine_id, cut.machine_id);
        assert_eq!(after.operations[0].started_at, Some(start));
        assert!(after.operations[0].is_delayed());
        assert!(after.operations[1].planned_start.unwrap() >= late_end);

        // Finished, then the bending factory (another login) starts its operation.
        network::report(&store, &reporter, cut.id, EventKind::Finish, late_end)
            .await
            .unwrap();
        let bend = network::job(&store, &hub, &job.key)
            .await
            .unwrap()
            .operations[1]
            .clone();
        let (bend_factory, _) = factory_of(&store, &bend).await;
        let bender = member_of(&store, &bend_factory, "m@bend.example.jp").await;
        network::report(
            &store,
            &bender,
            bend.id,
            EventKind::Start,
            bend.planned_start.unwrap(),
        )
        .await
        .unwrap();
        let history = network::history(&store, &hub, &job.key).await.unwrap();
        let kinds: Vec<&str> = history.iter().map(|h| h.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "created", "planned", "start", "delay", "planned", "finish", "start"
            ],
            "{backend:?}"
        );
        assert!(history[3].detail.contains("遅れる"), "{:?}", history[3]);

        // Staff of another city may neither re-plan nor report.
        let sumida = staff_of(&store, "sumida", "staff@city.sumida.example.jp").await;
        assert!(matches!(
            network::route(&store, &sumida, start, network::default_budget()).await,
            Err(StoreError::Forbidden { .. })
        ));
        assert!(matches!(
            network::report(&store, &sumida, bend.id, EventKind::Finish, late_end + 600).await,
            Err(StoreError::Forbidden { .. })
        ));
        let ota = staff_of(&store, "ota", "staff@city.ota.example.jp").await;
        network::route(&store, &ota, start, network::default_budget())
            .await
            .unwrap();

        // The plating factory sees the job (it may pass through its machine).
        assert!(
            network::job(&store, &plating_factory, &job.key)
                .await
                .is_ok()
        );
        let stranger = member_of(&store, "ota-02", "m@ota-02.example.jp").await;
        assert!(network::job(&store, &stranger, &job.key).await.is_err());
    })
    .await;
}

#[tokio::test]
async fn an_operation_no_machine_can_do_is_refused() {
    each_backend(|store, backend| async move {
        let hub = member_of(&store, "ota-05", "hub@ota-05.example.jp").await;
        let plating = machine(&store, "ota-03", "めっきライン").await;
        let mut input = JobInput {
            name: "シャフト".into(),
            release: "2026-11-23 08:00".into(),
            due: String::new(),
            operations: "切削\n".into(),
        };
        let StoreError::Invalid(errors) = network::create_job(&store, &hub, "ota-05", &input)
            .await
            .unwrap_err()
        else {
            panic!("invalid expected")
        };
        assert!(
            errors[0].reason.contains("できる設備がありません"),
            "{backend:?}: {errors:?}"
        );
        // A machine that does not do the process is not a way to do it.
        input.operations = format!("切削 {plating}:60\n");
        let StoreError::Invalid(errors) = network::create_job(&store, &hub, "ota-05", &input)
            .await
            .unwrap_err()
        else {
            panic!("invalid expected")
        };
        assert!(errors[0].reason.contains("切削をしません"), "{errors:?}");
        // Not the hub's member: refused.
        let other = member_of(&store, "ota-03", "m@ota-03.example.jp").await;
        input.operations = "めっき 1:60\n".replace('1', &plating.to_string());
        let error = network::create_job(&store, &other, "ota-05", &input)
            .await
            .unwrap_err();
        assert!(matches!(error, StoreError::Forbidden { .. }), "{error:?}");
    })
    .await;
}

#[tokio::test]
async fn fjs_text_is_imported_exported_and_a_malformed_file_is_explained() {
    each_backend(|store, backend| async move {
        let hub = member_of(&store, "ota-05", "hub@ota-05.example.jp").await;
        // Machines 1 and 2 of the network are ota-01's lathe and machining centre.
        let keys = network::import_fjs(
            &store,
            &hub,
            "ota-05",
            "試作",
            at("2026-11-23 08:00"),
            "2 2 1.5\n2 2 1 30 2 40 1 2 20\n1 1 1 50\n",
        )
        .await
        .unwrap();
        assert_eq!(keys.len(), 2, "{backend:?}");
        let text = network::export_fjs(&store, &hub).await.unwrap();
        let problem = solve::fjsp::parse(&text).unwrap();
        assert_eq!(problem.jobs.len(), 2);
        assert_eq!(problem.jobs[0].operations[0].alternatives.len(), 2);

        let StoreError::Invalid(errors) =
            network::import_fjs(&store, &hub, "ota-05", "", 0, "2 2\n1 1 1\n")
                .await
                .unwrap_err()
        else {
            panic!("invalid expected")
        };
        assert!(
            errors[0].reason.starts_with(".fjs ファイルを読めません"),
            "{errors:?}"
        );
        let planned = network::route(
            &store,
            &hub,
            at("2026-11-23 08:00"),
            network::default_budget(),
        )
        .await
        .unwrap();
        assert_eq!(planned.jobs, 2);
    })
    .await;
}

#[tokio::test]
async fn a_machine_that_goes_down_moves_waiting_operations_to_another_machine() {
    each_backend(|store, backend| async move {
        let hub = member_of(&store, "ota-05", "hub@ota-05.example.jp").await;
        let job = three_factory_job(&store, &hub).await;
        network::route(
            &store,
            &hub,
            at("2026-11-23 08:00"),
            network::default_budget(),
        )
        .await
        .unwrap();
        let cut = network::job(&store, &hub, &job.key)
            .await
            .unwrap()
            .operations[0]
            .clone();
        let (factory, machine) = factory_of(&store, &cut).await;
        let owner = member_of(&store, &factory, "m@cut.example.jp").await;
        // The hub may not report a breakdown of another factory's machine.
        assert!(matches!(
            network::machine_down(&store, &hub, machine, at("2026-11-23 00:00"), None, "").await,
            Err(StoreError::Forbidden { .. })
        ));
        let reported = network::machine_down(
            &store,
            &owner,
            machine,
            at("2026-11-23 00:00"),
            None,
            "主軸の故障",
        )
        .await
        .unwrap();
        assert!(
            matches!(reported.replan, Some(network::Replan::Done(_))),
            "{backend:?}: {reported:?}"
        );
        let after = network::job(&store, &hub, &job.key).await.unwrap();
        assert_ne!(after.operations[0].machine_id, Some(machine), "{backend:?}");
        let board = network::board(&store, &hub).await.unwrap();
        assert_eq!(board.outages.len(), 1);
        assert!(board.load_of(after.operations[0].machine_id.unwrap()) > 0);
        let history = network::history(&store, &hub, &job.key).await.unwrap();
        assert!(
            history
                .iter()
                .any(|h| h.kind == "machine_down" && h.detail.contains("主軸の故障"))
        );

        // With both cutting machines down for good, no plan fits: the report is kept
        // and the reason names the job and the operation.
        let other = after.operations[0].machine_id.unwrap();
        let (other_factory, _) = factory_of(&store, &after.operations[0]).await;
        let other_owner = member_of(&store, &other_factory, "m@other.example.jp").await;
        let reported = network::machine_down(
            &store,
            &other_owner,
            other,
            at("2026-11-23 00:00"),
            None,
            "",
        )
        .await
        .unwrap();
        let Some(network::Replan::Impossible(reason)) = reported.replan else {
            panic!(
                "{backend:?}: impossible expected, got {:?}",
                reported.replan
            )
        };
        assert!(reason.contains("医療機器ブラケット"), "{reason}");
    })
    .await;
}
