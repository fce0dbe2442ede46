//! お知らせ: a notice is written with its mail in the change's transaction; a
//! non-essential one respects the person's choice, an essential one always mails;
//! each workflow reaches the right people (and not the others).

use chrono::NaiveDate;
use domain::directory::Stage;
use domain::events::{EventDraft, EventInput, RegistrationDraft};
use store::diagnostics::{self, FollowUpDraft};
use store::negotiations::{self, Supplier};
use store::notices::{self, Notice, Programme, Recipient};
use store::outbox::{self, MailMessage};
use store::{Store, StoreError, events, network, registrations};

use super::{each_backend, member_of, staff_of};

fn notice(essential: bool) -> Notice {
    let n = Notice::new(
        Programme::Fairs,
        (None, "中小企業都市連絡協議会"),
        "【面談の申込】テスト",
        "面談の申込がありました。回答してください。",
        "/fairs/x",
        "このメールは、テストのためお送りしています。",
    );
    if essential { n.essential() } else { n }
}

async fn tell(store: &Store, to: &Recipient, what: &Notice) -> notices::Delivered {
    store
        .write(None, async |w| w.notify(to, what).await)
        .await
        .unwrap()
}

async fn mail_to(store: &Store, email: &str) -> Vec<MailMessage> {
    outbox::all(store)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.recipient_email == email)
        .collect()
}

fn recipient(actor: &domain::Actor) -> Recipient {
    Recipient {
        user_id: Some(actor.user_id),
        name: "テスト 太郎".into(),
        email: actor.email.clone(),
    }
}

#[tokio::test]
async fn a_non_essential_notice_with_mail_turned_off_is_shown_but_not_mailed_and_an_essential_one_is_mailed()
 {
    each_backend(|store, backend| async move {
        let member = member_of(&store, "ota-01", "pref@ota-01.example.jp").await;
        let to = recipient(&member);
        // Mail is on by default.
        let sent = tell(&store, &to, &notice(false)).await;
        assert!(sent.in_app && sent.mail, "{backend:?}");
        notices::set_preferences(&store, &member, &[(Programme::Fairs, false)])
            .await
            .unwrap();
        let quiet = tell(&store, &to, &notice(false)).await;
        assert!(quiet.in_app && !quiet.mail, "{backend:?}: {quiet:?}");
        let essential = tell(&store, &to, &notice(true)).await;
        assert!(essential.in_app && essential.mail, "{backend:?}");
        let mail = mail_to(&store, "pref@ota-01.example.jp").await;
        assert_eq!(mail.len(), 2, "{backend:?}");
        let last = &mail[1];
        assert_eq!(last.subject, "【面談の申込】テスト");
        assert!(last.body_text.starts_with("テスト 太郎 様"));
        assert!(
            last.body_text
                .contains(&format!("{}/fairs/x", outbox::PUBLIC_URL))
        );
        assert!(last.body_text.contains("通知の設定にかかわらず"));
        assert!(
            mail[0]
                .body_text
                .contains(&format!("{}/account/notifications", outbox::PUBLIC_URL)),
            "a non-essential mail says where to stop it"
        );
        assert_eq!(notices::list(&store, &member).await.unwrap().len(), 3);
        // Another programme's mail is still on.
        let mut other = notice(false);
        other.programme = Programme::Network;
        assert!(tell(&store, &to, &other).await.mail);
        // Someone without an account: mail only.
        let outside = Recipient {
            user_id: None,
            name: String::new(),
            email: "outside@example.jp".into(),
        };
        let sent = tell(&store, &outside, &notice(false)).await;
        assert!(!sent.in_app && sent.mail);
        assert!(
            mail_to(&store, "outside@example.jp").await[0]
                .body_text
                .starts_with("ご担当者 様")
        );
    })
    .await;
}

#[tokio::test]
async fn preferences_default_to_mail_change_only_what_is_sent_and_never_the_account() {
    each_backend(|store, backend| async move {
        let member = member_of(&store, "ota-02", "p2@ota-02.example.jp").await;
        let all = notices::preferences(&store, &member).await.unwrap();
        assert_eq!(all.len(), Programme::CHOOSABLE.len());
        assert!(all.iter().all(|(_, by_mail)| *by_mail), "{backend:?}");
        notices::set_preferences(&store, &member, &[(Programme::Network, false)])
            .await
            .unwrap();
        let after = notices::set_preferences(&store, &member, &[(Programme::Surveys, false)])
            .await
            .unwrap();
        let off: Vec<Programme> = after.iter().filter(|(_, m)| !m).map(|(p, _)| *p).collect();
        assert_eq!(off, [Programme::Network, Programme::Surveys], "{backend:?}");
        let refused =
            notices::set_preferences(&store, &member, &[(Programme::Account, false)]).await;
        assert!(
            matches!(refused, Err(StoreError::Invalid(_))),
            "{refused:?}"
        );
        // Someone else's choices are their own.
        let other = member_of(&store, "ota-02", "p3@ota-02.example.jp").await;
        let theirs = notices::preferences(&store, &other).await.unwrap();
        assert!(theirs.iter().all(|(_, by_mail)| *by_mail));
    })
    .await;
}

#[tokio::test]
async fn the_list_shows_unread_first_and_only_ones_own_notices_are_marked_read() {
    each_backend(|store, backend| async move {
        let member = member_of(&store, "ota-03", "l@ota-03.example.jp").await;
        let other = member_of(&store, "ota-04", "l@ota-04.example.jp").await;
        for title in ["一", "二", "三"] {
            let mut n = notice(false);
            n.title = title.into();
            tell(&store, &recipient(&member), &n).await;
        }
        tell(&store, &recipient(&other), &notice(false)).await;
        let list = notices::list(&store, &member).await.unwrap();
        let oldest = list.iter().find(|n| n.title == "一").unwrap().id;
        notices::mark_read(&store, &member, oldest).await.unwrap();
        let titles: Vec<(String, bool)> = notices::list(&store, &member)
            .await
            .unwrap()
            .into_iter()
            .map(|n| (n.title.clone(), n.is_read()))
            .collect();
        assert_eq!(
            titles,
            [
                ("三".to_owned(), false),
                ("二".to_owned(), false),
                ("一".to_owned(), true)
            ],
            "{backend:?}"
        );
        let theirs = notices::list(&store, &other).await.unwrap()[0].id;
        let refused = notices::mark_read(&store, &member, theirs).await;
        assert!(
            matches!(refused, Err(StoreError::NotFound { .. })),
            "{refused:?}"
        );
        assert_eq!(notices::unread(&store, &other).await.unwrap(), 1);
        assert_eq!(notices::mark_all_read(&store, &member).await.unwrap(), 2);
        assert_eq!(notices::unread(&store, &member).await.unwrap(), 0);
        assert_eq!(notices::unread(&store, &other).await.unwrap(), 1);
    })
    .await;
}

fn seminar(venue: &str, description: &str) -> EventDraft {
    EventDraft::parse(&EventInput {
        title: "ものづくり勉強会".into(),
        event_type: "seminar".into(),
        city: "amagasaki".into(),
        pillars: vec!["2".into()],
        start_date: "2030-10-15".into(),
        start_time: "13:00".into(),
        end_time: "16:00".into(),
        venue: venue.into(),
        address: "兵庫県尼崎市".into(),
        capacity: "1".into(),
        description: description.into(),
        ..Default::default()
    })
    .unwrap()
}

fn registrant(name: &str, email: &str) -> RegistrationDraft {
    RegistrationDraft {
        name: name.into(),
        organisation: "株式会社テスト".into(),
        email: email.into(),
        attendees: 1,
    }
}

#[tokio::test]
async fn a_moved_or_cancelled_event_tells_every_registrant_and_not_those_who_withdrew() {
    each_backend(|store, backend| async move {
        let today = NaiveDate::from_ymd_opt(2030, 4, 1).unwrap();
        let staff = staff_of(&store, "amagasaki", "ev@city.amagasaki.example.jp").await;
        // The first registrant has an account under the same address.
        let member = member_of(&store, "amagasaki-02", "a@amagasaki-02.example.jp").await;
        let event = events::create(
            &store,
            &staff,
            "amagasaki",
            &seminar("中小企業センター", ""),
            today,
        )
        .await
        .unwrap();
        for (name, email) in [
            ("甲野 一郎", "A@amagasaki-02.example.jp"),
            ("乙川 花子", "b@example.jp"),
            ("丙田 三郎", "c@example.jp"),
        ] {
            registrations::register(&store, None, &event.key, &registrant(name, email), today)
                .await
                .unwrap();
        }
        let (_, list) = registrations::list(&store, &staff, &event.key)
            .await
            .unwrap();
        registrations::cancel_by_token(&store, &list[2].token)
            .await
            .unwrap();
        let before = outbox::all(&store).await.unwrap().len();

        // A change of the description alone tells nobody.
        events::update(
            &store,
            &staff,
            &event.key,
            &seminar("中小企業センター", "資料を追加"),
        )
        .await
        .unwrap();
        assert_eq!(outbox::all(&store).await.unwrap().len(), before);

        events::update(&store, &staff, &event.key, &seminar("尼崎商工会館", ""))
            .await
            .unwrap();
        let moved: Vec<(String, String, bool)> = outbox::all(&store).await.unwrap()[before..]
            .iter()
            .map(|m| (m.recipient_email.clone(), m.subject.clone(), m.has_ics))
            .collect();
        assert_eq!(
            moved,
            [
                (
                    "A@amagasaki-02.example.jp".to_owned(),
                    "【日時・会場の変更】ものづくり勉強会".to_owned(),
                    true
                ),
                (
                    "b@example.jp".to_owned(),
                    "【日時・会場の変更】ものづくり勉強会".to_owned(),
                    false
                ),
            ],
            "{backend:?}: the confirmed seat gets the calendar update, the waiting one not"
        );
        let in_app = notices::list(&store, &member).await.unwrap();
        assert_eq!(in_app.len(), 1, "{backend:?}");
        assert!(in_app[0].body.contains("尼崎商工会館") && in_app[0].essential);

        events::cancel(&store, &staff, &event.key, "講師の都合")
            .await
            .unwrap();
        let all = outbox::all(&store).await.unwrap();
        let cancelled: Vec<&MailMessage> = all
            .iter()
            .filter(|m| m.subject.starts_with("【中止】"))
            .collect();
        assert_eq!(cancelled.len(), 2, "{backend:?}");
        assert!(cancelled[0].has_ics && cancelled[0].body_text.contains("講師の都合"));
        assert_eq!(cancelled[0].organisation_id, Some(event.organisation.id));
        assert!(!all.iter().any(|m| m.recipient_email == "c@example.jp"
            && (m.subject.starts_with("【中止】") || m.subject.starts_with("【日時"))));
    })
    .await;
}

#[tokio::test]
async fn a_step_by_one_side_of_a_negotiation_reaches_the_other_sides_members_only() {
    each_backend(|store, backend| async move {
        let ota = staff_of(&store, "ota", "neg@city.ota.example.jp").await;
        let buyer = member_of(&store, "ota-03", "buyer@ota-03.example.jp").await;
        member_of(&store, "ota-06", "seller@ota-06.example.jp").await;
        let bystander = member_of(&store, "ota-02", "by@ota-02.example.jp").await;
        let day = |d| NaiveDate::from_ymd_opt(2025, 5, d).unwrap();
        let proposed = negotiations::propose(
            &store,
            &ota,
            "need-3",
            &Supplier::Company("ota-06".into()),
            day(1),
            "",
        )
        .await
        .unwrap();
        negotiations::advance(
            &store,
            &buyer,
            &proposed.key,
            Stage::Accepted,
            day(8),
            "来週お会いしましょう",
            None,
        )
        .await
        .unwrap();
        let seller = mail_to(&store, "seller@ota-06.example.jp").await;
        assert_eq!(seller.len(), 1, "{backend:?}");
        assert!(seller[0].subject.contains("商談受諾"));
        assert!(seller[0].body_text.contains("来週お会いしましょう"));
        assert_eq!(seller[0].sender_name, "大田区");
        assert!(mail_to(&store, "buyer@ota-03.example.jp").await.is_empty());
        assert!(
            notices::list(&store, &bystander).await.unwrap().is_empty(),
            "{backend:?}"
        );
        // The keeping organisation's step reaches both sides.
        negotiations::advance(
            &store,
            &ota,
            &proposed.key,
            Stage::Meeting,
            day(15),
            "",
            None,
        )
        .await
        .unwrap();
        assert_eq!(mail_to(&store, "seller@ota-06.example.jp").await.len(), 2);
        assert_eq!(mail_to(&store, "buyer@ota-03.example.jp").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_follow_up_falling_due_is_told_to_the_company_once_however_often_the_pass_runs() {
    each_backend(|store, backend| async move {
        let staff = staff_of(&store, "tokyo-cci-sumida", "d@sumida-cci.example.jp").await;
        let member = member_of(&store, "sumida-05", "m@sumida-05.example.jp").await;
        let other = member_of(&store, "sumida-06", "m@sumida-06.example.jp").await;
        let today = NaiveDate::from_ymd_opt(2030, 6, 10).unwrap();
        let draft = FollowUpDraft {
            happened_on: Some(NaiveDate::from_ymd_opt(2030, 5, 10).unwrap()),
            kind: "面談".into(),
            partner: String::new(),
            note: "承継計画の相談（職員のみの記録）".into(),
            next_action: "専門家派遣の日程調整".into(),
            next_on: Some(today),
        };
        diagnostics::add_followup(
            &store,
            &staff,
            "sumida-health-check-2016",
            "sumida-05",
            &draft,
        )
        .await
        .unwrap();
        let yesterday = today.pred_opt().unwrap();
        assert_eq!(
            notices::diagnostics::followups_due(&store, yesterday)
                .await
                .unwrap(),
            0,
            "{backend:?}: not due yet"
        );
        // Two passes at once (two processes): one tells, the other finds it claimed.
        let (a, b) = tokio::join!(
            notices::diagnostics::followups_due(&store, today),
            notices::diagnostics::followups_due(&store, today)
        );
        assert_eq!(a.unwrap() + b.unwrap(), 1, "{backend:?}");
        assert_eq!(
            notices::diagnostics::followups_due(&store, today)
                .await
                .unwrap(),
            0
        );
        let told = notices::list(&store, &member).await.unwrap();
        assert_eq!(told.len(), 1);
        assert!(told[0].body.contains("専門家派遣の日程調整"));
        assert!(
            !told[0].body.contains("職員のみの記録"),
            "staff's notes stay theirs"
        );
        let mail = mail_to(&store, "m@sumida-05.example.jp").await;
        assert_eq!(mail.len(), 1, "{backend:?}");
        assert_eq!(mail[0].sender_name, "東京商工会議所墨田支部");
        assert!(notices::list(&store, &other).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_machine_breakdown_that_moves_a_job_is_told_to_the_hub_not_the_reporting_factory() {
    each_backend(|store, backend| async move {
        let hub = member_of(&store, "ota-05", "hub@ota-05.example.jp").await;
        let factory = member_of(&store, "ota-01", "f@ota-01.example.jp").await;
        let lathe = network::machines(&store)
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.company_key == "ota-01" && m.name == "NC旋盤 1号機")
            .unwrap()
            .id;
        let input = domain::network::JobInput {
            name: "医療機器ブラケット 200個".into(),
            release: "2026-11-23 08:00".into(),
            due: "2026-11-25 17:00".into(),
            operations: format!("切削 {lathe}:240\n"),
        };
        network::create_job(&store, &hub, "ota-05", &input)
            .await
            .unwrap();
        let from = domain::network::parse_time("from", "2026-11-23 09:00").unwrap();
        network::machine_down(&store, &factory, lathe, from, None, "主軸の故障")
            .await
            .unwrap();
        let told = notices::list(&store, &hub).await.unwrap();
        let ours: Vec<_> = told
            .iter()
            .filter(|n| n.title.contains("医療機器ブラケット 200個"))
            .collect();
        assert_eq!(ours.len(), 1, "{backend:?}: {told:?}");
        assert!(ours[0].title.starts_with("【設備停止】"));
        assert!(ours[0].body.contains("主軸の故障"));
        assert!(
            mail_to(&store, "hub@ota-05.example.jp")
                .await
                .iter()
                .any(|m| m.subject.contains("医療機器ブラケット"))
        );
        assert!(
            notices::list(&store, &factory).await.unwrap().is_empty(),
            "{backend:?}: the reporting factory is not the hub"
        );
    })
    .await;
}
