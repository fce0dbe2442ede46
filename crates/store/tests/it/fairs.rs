//! Matching fairs (商談会): who may set one up, the refusals of bad requests, and the
//! schedule the store keeps — nobody twice in a slot, no slot over its tables,
//! locked meetings staying put on a re-run.

use std::collections::HashSet;
use std::time::Duration;

use chrono::NaiveDate;
use domain::fairs::{
    FairDraft, FairInput, FairRole, MeetingOutcome, RequestPriority, parse_availability,
};
use store::fairs::{self, Fair};
use store::{Store, StoreError};

use super::{each_backend, member_of, staff_of};

fn draft(slots: &str, tables: &str) -> FairDraft {
    FairDraft::parse(&FairInput {
        name: "川口マッチング商談会".into(),
        date: "2027-02-10".into(),
        start_time: "13:00".into(),
        slot_count: slots.into(),
        slot_minutes: "15".into(),
        table_count: tables.into(),
        request_deadline: "2027-02-01".into(),
        request_cap: "3".into(),
        event: String::new(),
    })
    .expect("valid fair")
}

pub(super) fn before_deadline() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, 20).unwrap()
}

/// A fair of the 川口商工会議所 with buyers kawaguchi-01..03 and suppliers from three
/// cities, everyone present in every slot unless `available` says otherwise.
pub(super) async fn fair_with_participants(
    store: &Store,
    slots: &str,
    tables: &str,
) -> (Fair, domain::Actor) {
    let staff = staff_of(store, "kawaguchi-cci", "fair@kawaguchi-cci.example.jp").await;
    let fair = fairs::create(store, &staff, "kawaguchi-cci", &draft(slots, tables))
        .await
        .unwrap();
    let all = parse_availability("", fair.slot_count).unwrap();
    for key in ["kawaguchi-01", "kawaguchi-02", "kawaguchi-03"] {
        fairs::save_participant(store, &staff, &fair.key, key, FairRole::Buyer, &all)
            .await
            .unwrap();
    }
    for key in ["sumida-01", "sumida-02", "ota-01", "ota-02", "okaya-01"] {
        fairs::save_participant(store, &staff, &fair.key, key, FairRole::Supplier, &all)
            .await
            .unwrap();
    }
    let fair = fairs::get(store, &fair.key).await.unwrap();
    (fair, staff)
}

fn assert_valid(fair: &Fair) {
    let mut busy = HashSet::new();
    let mut tables = HashSet::new();
    for m in fair.meetings() {
        let slot = m.slot.unwrap();
        let table = m.table.unwrap();
        assert!(slot < fair.slot_count && table < fair.table_count, "{m:?}");
        assert!(
            busy.insert((m.from, slot)),
            "{m:?}: requester twice in a slot"
        );
        assert!(
            busy.insert((m.to, slot)),
            "{m:?}: asked side twice in a slot"
        );
        assert!(tables.insert((slot, table)), "{m:?}: table used twice");
        for side in [m.from, m.to] {
            assert!(fair.participant(side).unwrap().available.contains(&slot));
        }
    }
    for slot in 0..fair.slot_count {
        let used = fair
            .meetings()
            .iter()
            .filter(|m| m.slot == Some(slot))
            .count();
        assert!(used <= usize::from(fair.table_count));
    }
}

#[tokio::test]
async fn only_the_owning_organisations_staff_create_and_set_up_a_fair() {
    each_backend(|store, backend| async move {
        let ota = staff_of(&store, "ota", "staff@ota.example.jp").await;
        let refused = fairs::create(&store, &ota, "kawaguchi-cci", &draft("20", "10")).await;
        assert!(
            matches!(refused, Err(StoreError::Forbidden { .. })),
            "{backend:?}: {refused:?}"
        );
        let (fair, _) = fair_with_participants(&store, "20", "10").await;
        assert_eq!(fair.participants.len(), 8);
        let refused =
            fairs::save_participant(&store, &ota, &fair.key, "ota-03", FairRole::Supplier, &[0])
                .await;
        assert!(matches!(refused, Err(StoreError::Forbidden { .. })));
        let member = member_of(&store, "sumida-01", "member@sumida-01.example.jp").await;
        let refused = fairs::update(&store, &member, &fair.key, &draft("20", "12")).await;
        assert!(matches!(refused, Err(StoreError::Forbidden { .. })));
        let refused =
            fairs::schedule(&store, &member, &fair.key, true, Duration::from_millis(200)).await;
        assert!(matches!(refused, Err(StoreError::Forbidden { .. })));
        let unknown = fairs::save_participant(
            &store,
            &staff_of(&store, "kawaguchi-cci", "second@kawaguchi-cci.example.jp").await,
            &fair.key,
            "no-such-company",
            FairRole::Supplier,
            &[0],
        )
        .await;
        assert!(
            matches!(unknown, Err(StoreError::Invalid(_))),
            "{unknown:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn bad_requests_are_refused_with_japanese_reasons() {
    each_backend(|store, backend| async move {
        let (fair, staff) = fair_with_participants(&store, "4", "2").await;
        let member = member_of(&store, "sumida-01", "member@sumida-01.example.jp").await;
        let reason = |result: Result<Fair, StoreError>| match result {
            Err(StoreError::Invalid(errors)) => errors[0].reason.clone(),
            Err(StoreError::Conflict(message)) => message,
            Err(StoreError::Forbidden { reason }) => reason,
            other => panic!("{backend:?}: accepted {other:?}"),
        };
        let day = before_deadline();
        let ask = |from: &'static str, to: &'static str, actor: domain::Actor, on: NaiveDate| {
            let store = store.clone();
            let key = fair.key.clone();
            async move {
                fairs::request_meeting(&store, &actor, &key, from, to, RequestPriority::Must, on)
                    .await
            }
        };
        assert_eq!(
            reason(ask("sumida-01", "sumida-01", member.clone(), day).await),
            "自社に面談を申し込むことはできません。"
        );
        assert_eq!(
            reason(ask("sumida-01", "ota-03", member.clone(), day).await),
            "相手の企業はこの商談会に参加していません。"
        );
        assert!(
            reason(ask("sumida-02", "kawaguchi-01", member.clone(), day).await)
                .contains("この企業の名前で")
        );
        let late = NaiveDate::from_ymd_opt(2027, 2, 2).unwrap();
        assert!(
            reason(ask("sumida-01", "kawaguchi-01", member.clone(), late).await)
                .contains("申込締切")
        );
        for to in ["kawaguchi-01", "kawaguchi-02", "kawaguchi-03"] {
            ask("sumida-01", to, member.clone(), day).await.unwrap();
        }
        assert!(reason(ask("sumida-01", "ota-01", member.clone(), day).await).contains("3件まで"));
        assert!(
            reason(ask("kawaguchi-01", "sumida-01", staff.clone(), day).await)
                .contains("既に申し込まれています")
        );
        // Staff may add a late request on a company's behalf.
        ask("ota-01", "kawaguchi-01", staff.clone(), late)
            .await
            .unwrap();
        let fair = fairs::get(&store, &fair.key).await.unwrap();
        assert_eq!(fair.requests.len(), 4);
        // Only the asked side (or staff) answers.
        let first = fair.requests[0].id;
        let refused = fairs::answer(&store, &member, &fair.key, first, true).await;
        assert!(
            matches!(refused, Err(StoreError::Forbidden { .. })),
            "{refused:?}"
        );
        let buyer = member_of(&store, "kawaguchi-01", "member@kawaguchi-01.example.jp").await;
        let answered = fairs::answer(&store, &buyer, &fair.key, first, true)
            .await
            .unwrap();
        assert_eq!(answered.requests[0].status.code(), "accepted");
    })
    .await;
}

#[tokio::test]
async fn the_schedule_is_valid_explains_what_is_left_out_and_keeps_locked_meetings() {
    each_backend(|store, backend| async move {
        // Two slots and one table: at most two meetings; buyer kawaguchi-01 is wanted
        // by everyone, and okaya-01 is only there in slot 2.
        let (fair, staff) = fair_with_participants(&store, "2", "1").await;
        fairs::save_participant(
            &store,
            &staff,
            &fair.key,
            "okaya-01",
            FairRole::Supplier,
            &[1],
        )
        .await
        .unwrap();
        fairs::save_participant(
            &store,
            &staff,
            &fair.key,
            "kawaguchi-03",
            FairRole::Buyer,
            &[0],
        )
        .await
        .unwrap();
        let day = before_deadline();
        for (from, to, priority) in [
            ("sumida-01", "kawaguchi-01", RequestPriority::Must),
            ("sumida-02", "kawaguchi-01", RequestPriority::Should),
            ("ota-01", "kawaguchi-02", RequestPriority::Could),
            ("okaya-01", "kawaguchi-03", RequestPriority::Must),
        ] {
            fairs::request_meeting(&store, &staff, &fair.key, from, to, priority, day)
                .await
                .unwrap();
        }
        let fair = fairs::get(&store, &fair.key).await.unwrap();
        for r in &fair.requests {
            fairs::answer(&store, &staff, &fair.key, r.id, true)
                .await
                .unwrap();
        }
        let outcome = fairs::schedule(&store, &staff, &fair.key, true, Duration::from_millis(500))
            .await
            .unwrap();
        assert_eq!(
            (outcome.placed, outcome.unplaced),
            (2, 2),
            "{backend:?}: {outcome:?}"
        );
        assert_eq!(outcome.weight, 8, "must + should beat could");
        let fair = fairs::get(&store, &fair.key).await.unwrap();
        assert_valid(&fair);
        let okaya = fair.participant_by_company("okaya-01").unwrap().id;
        let never = fair.requests.iter().find(|r| r.from == okaya).unwrap();
        assert_eq!(
            never.unplaced_reason.as_deref(),
            Some("両社が参加できる共通の枠がありません。")
        );
        // Lock the should-meeting, make the could-meeting a must by re-requesting is
        // not possible; instead decline the must-meeting and re-run: the locked one
        // stays exactly where it was.
        let sumida02 = fair.participant_by_company("sumida-02").unwrap().id;
        let should = fair
            .requests
            .iter()
            .find(|r| r.from == sumida02)
            .unwrap()
            .clone();
        fairs::set_locked(&store, &staff, &fair.key, should.id, true)
            .await
            .unwrap();
        let sumida01 = fair.participant_by_company("sumida-01").unwrap().id;
        let must = fair
            .requests
            .iter()
            .find(|r| r.from == sumida01)
            .unwrap()
            .clone();
        fairs::answer(&store, &staff, &fair.key, must.id, false)
            .await
            .unwrap();
        fairs::schedule(&store, &staff, &fair.key, true, Duration::from_millis(500))
            .await
            .unwrap();
        let after = fairs::get(&store, &fair.key).await.unwrap();
        assert_valid(&after);
        let kept = after.requests.iter().find(|r| r.id == should.id).unwrap();
        assert_eq!(
            (kept.slot, kept.table, kept.locked),
            (should.slot, should.table, true)
        );
        assert_eq!(
            after.meetings().len(),
            2,
            "the could-meeting takes the freed slot"
        );
        let refused = fairs::set_locked(&store, &staff, &fair.key, must.id, true).await;
        assert!(
            matches!(refused, Err(StoreError::Conflict(_))),
            "{refused:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_crowded_fair_of_twenty_slots_and_ten_tables_gets_a_valid_schedule() {
    each_backend(|store, backend| async move {
        let staff = staff_of(&store, "kawaguchi-cci", "big@kawaguchi-cci.example.jp").await;
        let fair = fairs::create(
            &store,
            &staff,
            "kawaguchi-cci",
            &FairDraft {
                request_cap: 30,
                ..draft("20", "10")
            },
        )
        .await
        .unwrap();
        let buyers: Vec<String> = (1..=10).map(|n| format!("kawaguchi-{n:02}")).collect();
        let suppliers: Vec<String> = (1..=10)
            .flat_map(|n| [format!("sumida-{n:02}"), format!("ota-{n:02}")])
            .collect();
        for (i, key) in buyers.iter().chain(&suppliers).enumerate() {
            // Everyone misses a different block of slots.
            let from = (i % 5) as u16 * 4;
            let available: Vec<u16> = (0..20).filter(|s| !(from..from + 3).contains(s)).collect();
            let role = if i < buyers.len() {
                FairRole::Buyer
            } else {
                FairRole::Supplier
            };
            fairs::save_participant(&store, &staff, &fair.key, key, role, &available)
                .await
                .unwrap();
        }
        let day = before_deadline();
        for (i, supplier) in suppliers.iter().enumerate() {
            for j in 0..6 {
                let buyer = &buyers[(i + j * 3) % buyers.len()];
                let priority = RequestPriority::ALL[(i + j) % 3];
                let _ = fairs::request_meeting(
                    &store, &staff, &fair.key, supplier, buyer, priority, day,
                )
                .await;
            }
        }
        let fair = fairs::get(&store, &fair.key).await.unwrap();
        for r in &fair.requests {
            fairs::answer(&store, &staff, &fair.key, r.id, r.id % 7 != 0)
                .await
                .unwrap();
        }
        let outcome = fairs::schedule(&store, &staff, &fair.key, false, Duration::from_secs(1))
            .await
            .unwrap();
        let fair = fairs::get(&store, &fair.key).await.unwrap();
        assert_valid(&fair);
        assert!(outcome.placed > 50, "{backend:?}: {outcome:?}");
        assert!(outcome.weight <= outcome.upper_bound);
        let accepted = fair
            .requests
            .iter()
            .filter(|r| r.status.code() == "accepted")
            .count();
        assert_eq!(outcome.placed + outcome.unplaced, accepted);
    })
    .await;
}

#[tokio::test]
async fn unanswered_requests_are_listed_for_a_reminder_and_expire_after_the_deadline() {
    each_backend(|store, backend| async move {
        let (fair, staff) = fair_with_participants(&store, "6", "3").await;
        let day = before_deadline();
        for (from, to) in [
            ("sumida-01", "kawaguchi-01"),
            ("sumida-02", "kawaguchi-01"),
            ("ota-01", "kawaguchi-02"),
        ] {
            fairs::request_meeting(
                &store,
                &staff,
                &fair.key,
                from,
                to,
                RequestPriority::Should,
                day,
            )
            .await
            .unwrap();
        }
        let fair = fairs::get(&store, &fair.key).await.unwrap();
        let reminders = fair.reminders();
        assert_eq!(
            reminders
                .iter()
                .map(|r| (r.company_key.as_str(), r.unanswered))
                .collect::<Vec<_>>(),
            [("kawaguchi-01", 2), ("kawaguchi-02", 1)],
            "{backend:?}"
        );
        let too_early = fairs::expire_unanswered(&store, &staff, &fair.key, day).await;
        assert!(
            matches!(too_early, Err(StoreError::Conflict(_))),
            "{too_early:?}"
        );
        let buyer = member_of(&store, "kawaguchi-01", "member@kawaguchi-01.example.jp").await;
        let refused = fairs::expire_unanswered(&store, &buyer, &fair.key, day).await;
        assert!(matches!(refused, Err(StoreError::Forbidden { .. })));
        // One answered in time; the other two expire at the deadline pass.
        let first = fair.requests[0].id;
        fairs::answer(&store, &buyer, &fair.key, first, true)
            .await
            .unwrap();
        let after = NaiveDate::from_ymd_opt(2027, 2, 2).unwrap();
        let expired = fairs::expire_unanswered(&store, &staff, &fair.key, after)
            .await
            .unwrap();
        assert_eq!(expired, 2);
        let fair = fairs::get(&store, &fair.key).await.unwrap();
        assert!(fair.reminders().is_empty());
        let statuses: Vec<&str> = fair.requests.iter().map(|r| r.status.code()).collect();
        assert_eq!(statuses, ["accepted", "expired", "expired"]);
        // The company can no longer answer an expired request; staff may revive it.
        let late = fair.requests[1].id;
        let refused = fairs::answer(&store, &buyer, &fair.key, late, true).await;
        match refused {
            Err(StoreError::Conflict(message)) => assert!(message.contains("期限切れ")),
            other => panic!("{backend:?}: {other:?}"),
        }
        let revived = fairs::answer(&store, &staff, &fair.key, late, true)
            .await
            .unwrap();
        assert_eq!(revived.requests[1].status.code(), "accepted");
        // Expired requests no longer count against the asking company's cap.
        let sumida02 = revived.participant_by_company("sumida-02").unwrap().id;
        let ota01 = revived.participant_by_company("ota-01").unwrap().id;
        assert_eq!(revived.requests_made_by(sumida02), 1);
        assert_eq!(revived.requests_made_by(ota01), 0);
    })
    .await;
}

#[tokio::test]
async fn a_meetings_outcome_opens_a_negotiation_that_the_council_counts_and_moves_it_on() {
    each_backend(|store, backend| async move {
        let (fair, staff) = fair_with_participants(&store, "4", "2").await;
        let day = before_deadline();
        for (from, to) in [("sumida-01", "kawaguchi-01"), ("ota-01", "kawaguchi-02")] {
            fairs::request_meeting(
                &store,
                &staff,
                &fair.key,
                from,
                to,
                RequestPriority::Must,
                day,
            )
            .await
            .unwrap();
        }
        let fair = fairs::get(&store, &fair.key).await.unwrap();
        let (met, pending) = (fair.requests[0].id, fair.requests[1].id);
        fairs::answer(&store, &staff, &fair.key, met, true)
            .await
            .unwrap();
        fairs::schedule(&store, &staff, &fair.key, true, Duration::from_millis(300))
            .await
            .unwrap();
        let fy = domain::FiscalYear::containing(fair.date);
        let (before, _) = store::negotiations::figures(&store, Some(fy))
            .await
            .unwrap();
        let before = before.get("kawaguchi").cloned().unwrap_or_default();

        let after_fair = NaiveDate::from_ymd_opt(2027, 2, 15).unwrap();
        let supplier = member_of(&store, "sumida-01", "member@sumida-01.example.jp").await;
        let outsider = member_of(&store, "ota-02", "member@ota-02.example.jp").await;
        let refused = fairs::record_outcome(
            &store,
            &outsider,
            &fair.key,
            met,
            MeetingOutcome::Quote,
            "",
            None,
            after_fair,
        )
        .await;
        assert!(
            matches!(refused, Err(StoreError::Forbidden { .. })),
            "{refused:?}"
        );
        let early = fairs::record_outcome(
            &store,
            &supplier,
            &fair.key,
            met,
            MeetingOutcome::Quote,
            "",
            None,
            day,
        )
        .await;
        assert!(matches!(early, Err(StoreError::Invalid(_))), "{early:?}");
        let unanswered = fairs::record_outcome(
            &store,
            &staff,
            &fair.key,
            pending,
            MeetingOutcome::Quote,
            "",
            None,
            after_fair,
        )
        .await;
        assert!(
            matches!(unanswered, Err(StoreError::Conflict(_))),
            "{unanswered:?}"
        );
        let amount_on_a_quote = fairs::record_outcome(
            &store,
            &supplier,
            &fair.key,
            met,
            MeetingOutcome::Quote,
            "",
            Some(1.0),
            after_fair,
        )
        .await;
        assert!(matches!(amount_on_a_quote, Err(StoreError::Invalid(_))));

        let n = fairs::record_outcome(
            &store,
            &supplier,
            &fair.key,
            met,
            MeetingOutcome::Quote,
            "図面をいただき見積を提出",
            None,
            after_fair,
        )
        .await
        .unwrap();
        assert_eq!(n.stage.code(), "quote", "{backend:?}");
        assert_eq!(n.buyer_company.as_ref().unwrap().0, "kawaguchi-01");
        assert_eq!(n.supplier_company.as_ref().unwrap().0, "sumida-01");
        assert_eq!(n.owner.key, "kawaguchi-cci");
        let stages: Vec<&str> = n.steps.iter().map(|s| s.stage.code()).collect();
        assert_eq!(stages, ["proposed", "accepted", "meeting", "quote"]);
        assert!(n.is_cross_city());

        let (after, _) = store::negotiations::figures(&store, Some(fy))
            .await
            .unwrap();
        let after = after.get("kawaguchi").cloned().unwrap_or_default();
        assert_eq!(after.negotiations, before.negotiations + 1);
        assert_eq!(after.meetings, before.meetings + 1);
        assert_eq!(after.quotes, before.quotes + 1);
        assert_eq!(after.cross_city, before.cross_city + 1);

        let again = fairs::record_outcome(
            &store,
            &supplier,
            &fair.key,
            met,
            MeetingOutcome::Quote,
            "",
            None,
            after_fair,
        )
        .await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        let order = fairs::record_outcome(
            &store,
            &staff,
            &fair.key,
            met,
            MeetingOutcome::Order,
            "量産部品を受注",
            Some(1_200_000.0),
            NaiveDate::from_ymd_opt(2027, 3, 20).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(
            (order.stage.code(), order.amount),
            ("order", Some(1_200_000.0))
        );
        let fair = fairs::get(&store, &fair.key).await.unwrap();
        let recorded = fair.requests.iter().find(|r| r.id == met).unwrap();
        assert_eq!(
            recorded.negotiation.as_ref().map(|n| n.1.code()),
            Some("order")
        );
        // Once an outcome is recorded the answer stands.
        let refused = fairs::answer(&store, &staff, &fair.key, met, false).await;
        assert!(
            matches!(refused, Err(StoreError::Conflict(_))),
            "{refused:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_demonstration_fair_of_the_kawaguchi_chamber_is_loaded_with_a_valid_schedule() {
    each_backend(|store, backend| async move {
        let all = fairs::list(&store).await.unwrap();
        assert_eq!(all.len(), 1, "{backend:?}");
        let fair = &all[0];
        assert_eq!(fair.owner.key, "kawaguchi-cci");
        assert_eq!((fair.slot_count, fair.table_count), (12, 6));
        assert_eq!(fair.participants.len(), 27);
        assert!(fair.scheduled_at.is_some());
        assert!(fair.meetings().len() >= 40, "{}", fair.meetings().len());
        assert_valid(fair);
        assert!(
            !fair.reminders().is_empty(),
            "some requests await an answer"
        );
        // Loading again changes nothing.
        assert_eq!(fairs::load_seed_if_empty(&store).await.unwrap(), 0);
    })
    .await;
}

/// The subjects of the mail to `email`, in order.
async fn subjects_to(store: &Store, email: &str) -> Vec<(String, bool)> {
    store::outbox::all(store)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.recipient_email == email)
        .map(|m| (m.subject, m.has_ics))
        .collect()
}

#[tokio::test]
async fn requests_answers_expiries_and_schedules_reach_the_companies_concerned_only() {
    each_backend(|store, backend| async move {
        let (fair, staff) = fair_with_participants(&store, "6", "3").await;
        let buyer = member_of(&store, "kawaguchi-01", "b@kawaguchi-01.example.jp").await;
        let seller = member_of(&store, "sumida-01", "s@sumida-01.example.jp").await;
        member_of(&store, "ota-01", "o@ota-01.example.jp").await;
        let bystander = member_of(&store, "okaya-01", "x@okaya-01.example.jp").await;
        let day = before_deadline();
        let asked = fairs::request_meeting(
            &store,
            &seller,
            &fair.key,
            "sumida-01",
            "kawaguchi-01",
            RequestPriority::Must,
            day,
        )
        .await
        .unwrap();
        fairs::request_meeting(
            &store,
            &staff,
            &fair.key,
            "ota-01",
            "kawaguchi-02",
            RequestPriority::Could,
            day,
        )
        .await
        .unwrap();
        let to_buyer = subjects_to(&store, "b@kawaguchi-01.example.jp").await;
        assert_eq!(to_buyer.len(), 1, "{backend:?}: {to_buyer:?}");
        assert!(to_buyer[0].0.starts_with("【面談の申込】株式会社"));
        assert!(
            subjects_to(&store, "s@sumida-01.example.jp")
                .await
                .is_empty()
        );

        fairs::answer(&store, &buyer, &fair.key, asked.requests[0].id, true)
            .await
            .unwrap();
        let to_seller = subjects_to(&store, "s@sumida-01.example.jp").await;
        assert_eq!(to_seller.len(), 1, "{backend:?}");
        assert!(to_seller[0].0.starts_with("【面談の承諾】"));

        let after = NaiveDate::from_ymd_opt(2027, 2, 2).unwrap();
        fairs::expire_unanswered(&store, &staff, &fair.key, after)
            .await
            .unwrap();
        let to_ota = subjects_to(&store, "o@ota-01.example.jp").await;
        assert_eq!(to_ota.len(), 1, "{backend:?}");
        assert!(to_ota[0].0.starts_with("【期限切れ】"));

        fairs::schedule(&store, &staff, &fair.key, false, Duration::from_secs(2))
            .await
            .unwrap();
        for email in ["b@kawaguchi-01.example.jp", "s@sumida-01.example.jp"] {
            let last = subjects_to(&store, email).await.pop().unwrap();
            assert!(last.0.starts_with("【面談予定】"), "{backend:?}: {last:?}");
            assert!(last.1, "the schedule carries its .ics");
        }
        let notices = store::notices::list(&store, &seller).await.unwrap();
        assert!(notices[0].body.contains("面談予定（1件）"), "{notices:?}");
        assert!(
            store::notices::list(&store, &bystander)
                .await
                .unwrap()
                .is_empty(),
            "{backend:?}: no meeting, no notice"
        );
        // A re-run that changes nothing tells nobody again.
        let before = store::outbox::all(&store).await.unwrap().len();
        fairs::schedule(&store, &staff, &fair.key, true, Duration::from_secs(2))
            .await
            .unwrap();
        assert_eq!(store::outbox::all(&store).await.unwrap().len(), before);
        // Staff revive the expired request; the next run gives ota-01 its first
        // meeting (told as its schedule, with the .ics).
        let fair = fairs::get(&store, &fair.key).await.unwrap();
        let revived = fair.requests[1].id;
        fairs::answer(&store, &staff, &fair.key, revived, true)
            .await
            .unwrap();
        fairs::schedule(&store, &staff, &fair.key, true, Duration::from_secs(2))
            .await
            .unwrap();
        let last = subjects_to(&store, "o@ota-01.example.jp")
            .await
            .pop()
            .unwrap();
        assert!(
            last.0.starts_with("【面談予定】") && last.1,
            "{backend:?}: {last:?}"
        );
        // kawaguchi-02 can no longer come at that time: the meeting moves, and the
        // asking company hears of the change.
        let fair = fairs::get(&store, &fair.key).await.unwrap();
        let slot = fair.requests[1].slot.unwrap();
        let other_slots: Vec<u16> = (0..fair.slot_count).filter(|s| *s != slot).collect();
        fairs::save_participant(
            &store,
            &staff,
            &fair.key,
            "kawaguchi-02",
            FairRole::Buyer,
            &other_slots,
        )
        .await
        .unwrap();
        fairs::schedule(&store, &staff, &fair.key, true, Duration::from_secs(2))
            .await
            .unwrap();
        let last = subjects_to(&store, "o@ota-01.example.jp")
            .await
            .pop()
            .unwrap();
        assert!(
            last.0.starts_with("【面談予定の変更】"),
            "{backend:?}: {last:?}"
        );
        assert!(last.1, "the new schedule carries its .ics");
        // Declining a meeting tells the asking company at once.
        fairs::answer(&store, &staff, &fair.key, fair.requests[0].id, false)
            .await
            .unwrap();
        let last = subjects_to(&store, "s@sumida-01.example.jp")
            .await
            .pop()
            .unwrap();
        assert!(
            last.0.starts_with("【面談の辞退】"),
            "{backend:?}: {last:?}"
        );
    })
    .await;
}
