//! The shared calendar: seed events, filters, clashes, and who may create, change or
//! cancel an event, with the audit log and iCalendar's sequence.

use chrono::NaiveDate;
use domain::events::{EventDraft, EventInput, EventStatus, EventType};
use domain::{Actor, Pillar, Role};
use store::StoreError;
use store::events::{self, EventFilter};

use super::{each_backend, staff_of};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2030, 4, 1).unwrap()
}

fn seminar(title: &str, city: &str, date: &str) -> EventDraft {
    EventDraft::parse(&EventInput {
        title: title.into(),
        event_type: "seminar".into(),
        city: city.into(),
        pillars: vec!["2".into()],
        start_date: date.into(),
        start_time: "13:00".into(),
        end_time: "16:00".into(),
        venue: "尼崎市中小企業センター".into(),
        address: "兵庫県尼崎市".into(),
        capacity: "30".into(),
        ..Default::default()
    })
    .unwrap()
}

fn all_events() -> EventFilter {
    EventFilter {
        include_members_only: true,
        include_cancelled: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn the_seed_has_the_documents_events_all_marked_approximate() {
    each_backend(|store, backend| async move {
        let events = events::list(&store, &all_events()).await.unwrap();
        assert!(events.len() >= 15, "{backend:?}: {}", events.len());
        assert!(
            events
                .iter()
                .all(|e| e.date_is_approximate && !e.note.is_empty())
        );
        let fair = events
            .iter()
            .find(|e| e.title == "川口市産品フェア2016")
            .expect("product fair");
        assert_eq!(fair.event_type, EventType::ProductFair);
        assert!(fair.time.all_day);
        assert_eq!(fair.city.name, "川口市");
        assert_eq!(
            fair.initiative.as_ref().map(|i| i.0.as_str()),
            Some("kawaguchi-product-fair-job-interviews")
        );
        assert!(events.iter().any(|e| e.event_type == EventType::JobFair));
        for fy2016 in [
            "第2回連絡会議 事業承継に関する勉強会",
            "尼崎市100年企業表彰 表彰式",
        ] {
            let event = events.iter().find(|e| e.title == fy2016).unwrap();
            assert_eq!(
                domain::FiscalYear::containing(event.time.first_day()).year(),
                2016
            );
        }
        // Preparing again loads nothing twice.
        store.prepare().await.unwrap();
        assert_eq!(
            events::list(&store, &all_events()).await.unwrap().len(),
            events.len()
        );
    })
    .await;
}

#[tokio::test]
async fn filters_select_by_city_type_pillar_dates_and_japanese_keyword() {
    each_backend(|store, backend| async move {
        let by = |filter: EventFilter| {
            let store = store.clone();
            async move { events::list(&store, &filter).await.unwrap() }
        };
        let ota = by(EventFilter {
            city: Some("ota".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(ota.len(), 2, "{backend:?}");
        assert!(ota.iter().all(|e| e.event_type == EventType::OpenFactory));
        let classes = by(EventFilter {
            event_type: Some(EventType::Class),
            ..Default::default()
        })
        .await;
        assert_eq!(classes[0].title, "小学生対象のモノづくり体験教室");
        let pillar1 = by(EventFilter {
            pillar: Some(Pillar::NewValue),
            ..Default::default()
        })
        .await;
        assert!(
            pillar1
                .iter()
                .all(|e| e.pillars.contains(&Pillar::NewValue))
        );
        assert!(!pillar1.is_empty());
        let november = by(EventFilter {
            from: NaiveDate::from_ymd_opt(2016, 11, 26),
            to: NaiveDate::from_ymd_opt(2016, 11, 30),
            ..Default::default()
        })
        .await;
        // The open factory runs 25–26 November: it touches the range.
        assert_eq!(
            november
                .iter()
                .map(|e| e.title.as_str())
                .collect::<Vec<_>>(),
            ["おおたオープンファクトリー2016"]
        );
        let keyword = by(EventFilter {
            q: "ｾﾐﾅｰ 事業承継".into(),
            ..Default::default()
        })
        .await;
        assert!(keyword.len() >= 3);
        // Members-only events stay out of public lists.
        let public = by(EventFilter::default()).await;
        assert!(public.iter().all(|e| !e.members_only));
        assert!(
            events::get(&store, "council-2016-liaison-meeting-2-succession", false)
                .await
                .is_err()
        );
        let unknown_city = by(EventFilter {
            city: Some("osaka".into()),
            ..Default::default()
        })
        .await;
        assert!(unknown_city.is_empty());
    })
    .await;
}

#[tokio::test]
async fn clashes_pair_overlapping_events_of_different_cities_only() {
    each_backend(|store, backend| async move {
        let clashes = events::clashes(&store, &EventFilter::default())
            .await
            .unwrap();
        let pairs: Vec<(&str, &str)> = clashes
            .iter()
            .map(|c| (c.first.title.as_str(), c.second.title.as_str()))
            .collect();
        assert!(
            pairs.contains(&(
                "おおたオープンファクトリー2016",
                "「今こそ考えたい事業承継」セミナー"
            )),
            "{backend:?}: {pairs:?}"
        );
        // The fair and its job fair are in the same city: not a clash.
        assert!(clashes.iter().all(|c| c.first.city.id != c.second.city.id));
    })
    .await;
}

#[tokio::test]
async fn staff_of_amagasaki_create_change_and_cancel_their_event_with_audit_and_sequence() {
    each_backend(|store, backend| async move {
        let actor = staff_of(&store, "amagasaki", "staff@city.amagasaki.example.jp").await;
        let created = events::create(
            &store,
            &actor,
            "amagasaki",
            &seminar("事業承継セミナー2030", "amagasaki", "2030-10-15"),
            today(),
        )
        .await
        .unwrap();
        assert_eq!(created.sequence, 0, "{backend:?}");
        assert_eq!(created.capacity, Some(30));
        let amagasaki = events::list(
            &store,
            &EventFilter {
                city: Some("amagasaki".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(amagasaki.iter().any(|e| e.key == created.key));

        let changed = events::update(
            &store,
            &actor,
            &created.key,
            &seminar(
                "事業承継セミナー2030（会場変更）",
                "amagasaki",
                "2030-10-16",
            ),
        )
        .await
        .unwrap();
        assert_eq!(changed.sequence, 1);
        let cancelled = events::cancel(&store, &actor, &created.key, "講師の都合")
            .await
            .unwrap();
        assert_eq!(cancelled.status, EventStatus::Cancelled);
        assert_eq!(cancelled.sequence, 2);
        assert!(cancelled.note.contains("講師の都合"));
        assert!(matches!(
            events::cancel(&store, &actor, &created.key, "").await,
            Err(StoreError::Conflict(_))
        ));
        // Cancelled events leave default lists but stay findable.
        let listed = events::list(&store, &EventFilter::default()).await.unwrap();
        assert!(listed.iter().all(|e| e.key != created.key));

        let secretariat = Actor {
            role: Role::Secretariat,
            ..actor.clone()
        };
        let (log, _) = store::audit::list(
            &store,
            &secretariat,
            &store::audit::AuditFilter {
                entity: Some("event".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["cancel", "update", "create"]);
        assert!(log.iter().all(|e| e.entity_key == created.key));
    })
    .await;
}

#[tokio::test]
async fn staff_of_sumida_cannot_create_or_cancel_an_ota_event() {
    each_backend(|store, backend| async move {
        let sumida = staff_of(&store, "sumida", "staff@city.sumida.example.jp").await;
        let refused = events::create(
            &store,
            &sumida,
            "ota",
            &seminar("偽のイベント", "ota", "2030-10-15"),
            today(),
        )
        .await;
        assert!(
            matches!(refused, Err(StoreError::Forbidden { .. })),
            "{backend:?}"
        );
        let refused = events::cancel(&store, &sumida, "ota-2017-open-factory", "").await;
        assert!(matches!(refused, Err(StoreError::Forbidden { .. })));
        let still = events::get(&store, "ota-2017-open-factory", false)
            .await
            .unwrap();
        assert_eq!(still.status, EventStatus::Scheduled);
    })
    .await;
}

#[tokio::test]
async fn a_past_date_an_unknown_city_or_initiative_is_refused_in_japanese() {
    each_backend(|store, backend| async move {
        let actor = staff_of(&store, "amagasaki", "staff@city.amagasaki.example.jp").await;
        let past = events::create(
            &store,
            &actor,
            "amagasaki",
            &seminar("昔のセミナー", "amagasaki", "2016-10-15"),
            today(),
        )
        .await;
        let Err(StoreError::Invalid(errors)) = past else {
            panic!("{backend:?}: past event accepted");
        };
        assert!(errors[0].reason.contains("過去"));
        let mut draft = seminar("セミナー", "osaka", "2030-10-15");
        draft.initiative = "no-such-initiative".into();
        let Err(StoreError::Invalid(errors)) =
            events::create(&store, &actor, "amagasaki", &draft, today()).await
        else {
            panic!("unknown city accepted");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["city", "initiative"]);
    })
    .await;
}

fn person(name: &str, email: &str, attendees: u32) -> domain::events::RegistrationDraft {
    domain::events::RegistrationDraft {
        name: name.into(),
        organisation: "株式会社テスト".into(),
        email: email.into(),
        attendees,
    }
}

#[tokio::test]
async fn registrations_fill_the_capacity_then_wait_and_move_up_on_a_cancellation() {
    use domain::events::RegistrationStatus::{Cancelled, Confirmed, Waiting};
    use store::registrations;
    each_backend(|store, backend| async move {
        let actor = staff_of(&store, "amagasaki", "staff@city.amagasaki.example.jp").await;
        let mut draft = seminar("定員3名の勉強会", "amagasaki", "2030-10-15");
        draft.capacity = Some(3);
        let event = events::create(&store, &actor, "amagasaki", &draft, today())
            .await
            .unwrap();
        let register = |name: &'static str, email: &'static str, n: u32| {
            let store = store.clone();
            let key = event.key.clone();
            async move {
                registrations::register(&store, None, &key, &person(name, email, n), today()).await
            }
        };
        let a = register("甲", "a@example.jp", 2).await.unwrap();
        let b = register("乙", "b@example.jp", 1).await.unwrap();
        let c = register("丙", "c@example.jp", 1).await.unwrap();
        assert_eq!(
            (a.status, b.status, c.status),
            (Confirmed, Confirmed, Waiting),
            "{backend:?}"
        );
        let duplicate = register("乙", "b@example.jp", 1).await;
        assert!(matches!(duplicate, Err(StoreError::Conflict(_))));
        let (_, _, position) = registrations::by_token(&store, &c.token).await.unwrap();
        assert_eq!(position, Some(1));

        let promoted = registrations::cancel_by_token(&store, &b.token)
            .await
            .unwrap();
        assert_eq!(promoted.len(), 1);
        assert_eq!(promoted[0].email, "c@example.jp");
        let (c_now, _, _) = registrations::by_token(&store, &c.token).await.unwrap();
        assert_eq!(c_now.status, Confirmed);
        assert!(matches!(
            registrations::cancel_by_token(&store, &b.token).await,
            Err(StoreError::Conflict(_))
        ));
        // The same address may register again after withdrawing.
        let again = register("乙", "b@example.jp", 1).await.unwrap();
        assert_eq!(again.status, Waiting);

        // The check-in list is the organiser's; 墨田区 staff are refused.
        let (_, list) = registrations::list(&store, &actor, &event.key)
            .await
            .unwrap();
        let statuses: Vec<_> = list.iter().map(|r| r.status).collect();
        assert_eq!(statuses, [Confirmed, Cancelled, Confirmed, Waiting]);
        let sumida = staff_of(&store, "sumida", "staff@city.sumida.example.jp").await;
        assert!(matches!(
            registrations::list(&store, &sumida, &event.key).await,
            Err(StoreError::Forbidden { .. })
        ));
        registrations::mark_attendance(&store, &actor, &event.key, a.id, true)
            .await
            .unwrap();
        let (_, list) = registrations::list(&store, &actor, &event.key)
            .await
            .unwrap();
        assert!(list[0].attended);
        assert!(matches!(
            registrations::mark_attendance(&store, &actor, &event.key, again.id, true).await,
            Err(StoreError::Conflict(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn a_record_of_the_past_is_the_organisers_own_ends_the_event_and_feeds_the_initiatives_kpis()
{
    use domain::events::{EventState, ResultDraft};
    each_backend(|store, backend| async move {
        let higashiosaka =
            staff_of(&store, "higashiosaka", "staff@city.higashiosaka.example.jp").await;
        let sumida = staff_of(&store, "tokyo-cci-sumida", "staff@sumida.example.jp").await;
        let mut visit = EventDraft::parse(&EventInput {
            title: "先進企業視察（近江鍛工（株））".into(),
            event_type: "視察".into(),
            city: "higashiosaka".into(),
            pillars: vec!["2".into()],
            start_date: "2016-11-17".into(),
            start_time: "10:00".into(),
            end_time: "16:00".into(),
            initiative: "higashiosaka-advanced-company-visit".into(),
            past_record: true,
            ..Default::default()
        })
        .unwrap();
        let Err(StoreError::Invalid(errors)) =
            events::create(&store, &sumida, "higashiosaka", &visit, today()).await
        else {
            panic!("{backend:?}: another organisation recorded 東大阪市's visit");
        };
        assert!(errors[0].reason.contains("東大阪市"));
        let created = events::create(&store, &higashiosaka, "higashiosaka", &visit, today())
            .await
            .unwrap();
        assert_eq!(created.state(), EventState::Ended);
        assert_eq!(created.event_type, EventType::Visit);

        let twelve = ResultDraft {
            participants: 12,
            companies: Some(1),
            note: "鍛造ラインを視察".into(),
        };
        let refused = events::record_result(&store, &sumida, &created.key, &twelve).await;
        assert!(matches!(refused, Err(StoreError::Forbidden { .. })));
        let recorded = events::record_result(&store, &higashiosaka, &created.key, &twelve)
            .await
            .unwrap();
        assert_eq!(
            recorded.event.result.as_ref().map(|r| r.participants),
            Some(12)
        );
        assert_eq!(
            recorded.fed.as_ref().map(|f| f.1.year()),
            Some(2016),
            "fed the initiative's 平成28年度"
        );
        let initiative = store::catalogue::get(&store, "higashiosaka-advanced-company-visit")
            .await
            .unwrap();
        let entry = initiative
            .entry(domain::FiscalYear::new(2016).unwrap())
            .unwrap();
        let participants = entry
            .kpis
            .iter()
            .find(|k| k.label == "参加者数（イベント実績）")
            .expect("the participants KPI");
        assert_eq!(
            (participants.value.get(), participants.unit.as_str()),
            (12.0, "人")
        );
        assert!(!entry.summary.is_empty(), "the document's summary kept");

        // A future event takes no results; a registration for a recorded one is refused.
        visit.past_record = false;
        let future = events::create(
            &store,
            &higashiosaka,
            "higashiosaka",
            &seminar("未来の勉強会", "higashiosaka", "2099-10-15"),
            today(),
        )
        .await
        .unwrap();
        assert!(matches!(
            events::record_result(&store, &higashiosaka, &future.key, &twelve).await,
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(future.state(), EventState::Scheduled);
    })
    .await;
}
