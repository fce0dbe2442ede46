//! The write path and the mail outbox: a registration's mail is committed with it or
//! not at all, a unique violation names its field, claims are exclusive and lapse,
//! failures back off or fail, and staff see only their organisation's mail.

use chrono::NaiveDate;
use domain::events::{EventDraft, EventInput, RegistrationDraft};
use sea_orm::{ConnectionTrait, Statement};
use store::StoreError;
use store::error::UniqueConstraint;
use store::events;
use store::outbox::{self, Delivery, MailStatus, OutboxFilter, Outgoing};
use store::registrations;
use store::write::{Action, Audited, Entity};

use super::{each_backend, member_of, staff_of};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2030, 4, 1).unwrap()
}

fn one_seat(title: &str) -> EventDraft {
    EventDraft::parse(&EventInput {
        title: title.into(),
        event_type: "seminar".into(),
        city: "amagasaki".into(),
        pillars: vec!["2".into()],
        start_date: "2030-10-15".into(),
        start_time: "13:00".into(),
        end_time: "16:00".into(),
        venue: "尼崎市中小企業センター".into(),
        address: "兵庫県尼崎市".into(),
        capacity: "1".into(),
        ..Default::default()
    })
    .unwrap()
}

fn person(name: &str, email: &str) -> RegistrationDraft {
    RegistrationDraft {
        name: name.into(),
        organisation: "株式会社テスト".into(),
        email: email.into(),
        attendees: 1,
    }
}

#[tokio::test]
async fn a_withdrawal_promotes_the_next_person_and_every_step_mails_the_registrant() {
    each_backend(|store, backend| async move {
        let actor = staff_of(&store, "amagasaki", "staff@city.amagasaki.example.jp").await;
        let event = events::create(
            &store,
            &actor,
            "amagasaki",
            &one_seat("満席の勉強会"),
            today(),
        )
        .await
        .unwrap();
        let first = registrations::register(
            &store,
            None,
            &event.key,
            &person("甲野 一郎", "a@example.jp"),
            today(),
        )
        .await
        .unwrap();
        registrations::register(
            &store,
            None,
            &event.key,
            &person("乙川 花子", "b@example.jp"),
            today(),
        )
        .await
        .unwrap();
        let promoted = registrations::cancel_by_token(&store, &first.token)
            .await
            .unwrap();
        assert_eq!(promoted.len(), 1);

        let mail = outbox::all(&store).await.unwrap();
        let seen: Vec<(&str, &str, bool)> = mail
            .iter()
            .map(|m| {
                (
                    m.recipient_email.as_str(),
                    &m.subject[..m.subject.find('】').unwrap() + 3],
                    m.has_ics,
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("a@example.jp", "【受付】", true),
                ("b@example.jp", "【キャンセル待ち】", false),
                ("a@example.jp", "【取消】", true),
                ("b@example.jp", "【繰り上げ】", true),
            ],
            "{backend:?}"
        );
        let promotion = &mail[3];
        assert_eq!(promotion.status, MailStatus::Queued);
        assert_eq!(promotion.sender_name, event.organisation.name);
        assert_eq!(promotion.organisation_id, Some(event.organisation.id));
        assert!(promotion.body_text.contains("乙川 花子 様"));
        assert!(
            promotion
                .body_text
                .contains(&format!("{}/registrations/", outbox::PUBLIC_URL))
        );
        assert!(
            promotion
                .body_text
                .contains("お申し込みがあったためお送りしています")
        );
        // The audit log reads as before the write path: the promotion is the system's.
        let admin = domain::Actor {
            user_id: 0,
            email: "admin".into(),
            role: domain::Role::Secretariat,
            organisation_id: None,
            company_id: None,
        };
        let (entries, _) = store::audit::list(&store, &admin, &Default::default())
            .await
            .unwrap();
        let actions: Vec<(&str, &str, &str)> = entries
            .iter()
            .take(3)
            .map(|e| (e.action.as_str(), e.entity.as_str(), e.user_email.as_str()))
            .collect();
        assert_eq!(
            actions,
            [
                ("promote", "registration", "system"),
                ("withdraw", "registration", "system"),
                ("register", "registration", "system"),
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn a_change_rolled_back_sends_nothing_and_records_nothing() {
    each_backend(|store, backend| async move {
        let before = store::audit::latest_change(&store).await.unwrap();
        let refused: Result<(), StoreError> = store
            .write(None, async |w| {
                w.audit(Audited::new(
                    Action::Create,
                    Entity::Event,
                    "x",
                    None,
                    "never",
                ));
                w.send(Outgoing::new(
                    None,
                    "協議会",
                    "甲",
                    "a@example.jp",
                    "件名",
                    "本文",
                    "理由",
                ));
                Err(StoreError::Conflict("refused".into()))
            })
            .await;
        assert!(refused.is_err());
        assert!(outbox::all(&store).await.unwrap().is_empty(), "{backend:?}");
        assert_eq!(store::audit::latest_change(&store).await.unwrap(), before);

        // A registration refused (the same address twice) queues no second mail.
        let actor = staff_of(&store, "amagasaki", "staff@city.amagasaki.example.jp").await;
        let event = events::create(&store, &actor, "amagasaki", &one_seat("勉強会"), today())
            .await
            .unwrap();
        registrations::register(
            &store,
            None,
            &event.key,
            &person("甲", "a@example.jp"),
            today(),
        )
        .await
        .unwrap();
        let twice = registrations::register(
            &store,
            None,
            &event.key,
            &person("甲", "a@example.jp"),
            today(),
        )
        .await;
        assert!(matches!(twice, Err(StoreError::Conflict(_))));
        assert_eq!(outbox::all(&store).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_unique_violation_names_the_field_its_constraint_guards() {
    const ONE_PER_EMAIL: &[UniqueConstraint] = &[UniqueConstraint {
        name: "event_registrations_one_per_email",
        table: "event_registrations",
        columns: &["event_id", "email"],
        field: "email",
        message: "既に申し込まれています。",
    }];
    each_backend(|store, backend| async move {
        let actor = staff_of(&store, "amagasaki", "staff@city.amagasaki.example.jp").await;
        let event = events::create(&store, &actor, "amagasaki", &one_seat("勉強会"), today())
            .await
            .unwrap();
        let insert = |token: &'static str| {
            let store = store.clone();
            let event_id = event.id;
            async move {
                store
                    .write(None, async |w| {
                        let sql = match backend {
                            store::Backend::Postgres => "INSERT INTO event_registrations (event_id, token, name, email, attendees, status, created_at, updated_at) VALUES ($1, $2, '甲', 'a@example.jp', 1, 'confirmed', $3, $3)",
                            store::Backend::Sqlite => "INSERT INTO event_registrations (event_id, token, name, email, attendees, status, created_at, updated_at) VALUES (?, ?, '甲', 'a@example.jp', 1, 'confirmed', ?, ?)",
                        };
                        let now = chrono::Utc::now();
                        let mut values: Vec<sea_orm::Value> = vec![event_id.into(), token.into(), now.into()];
                        if backend == store::Backend::Sqlite {
                            values.push(now.into());
                        }
                        w.txn()
                            .execute(Statement::from_sql_and_values(w.txn().get_database_backend(), sql, values))
                            .await
                            .map_err(|e| store::error::on_constraint(e, ONE_PER_EMAIL))?;
                        Ok(())
                    })
                    .await
            }
        };
        insert("t1").await.unwrap();
        let Err(StoreError::Invalid(errors)) = insert("t2").await else {
            panic!("{backend:?}: a duplicate was accepted or not named");
        };
        assert_eq!(errors[0].field, "email");
        assert_eq!(errors[0].reason, "既に申し込まれています。");
    })
    .await;
}

async fn queue(store: &store::Store, n: usize) {
    store
        .write(None, async |w| {
            for i in 0..n {
                w.send(Outgoing::new(
                    None,
                    "協議会",
                    "宛先",
                    &format!("p{i}@example.jp"),
                    "件名",
                    "本文",
                    "理由",
                ));
            }
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn claims_are_exclusive_a_lapsed_lease_is_claimed_again_and_a_stale_report_is_ignored() {
    each_backend(|store, backend| async move {
        queue(&store, 3).await;
        let lease = std::time::Duration::from_millis(300);
        let first = outbox::claim(&store, 10, lease).await.unwrap();
        assert_eq!(first.len(), 3, "{backend:?}");
        assert!(outbox::claim(&store, 10, lease).await.unwrap().is_empty());
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let again = outbox::claim(&store, 10, lease).await.unwrap();
        assert_eq!(again.len(), 3);
        assert!(again.iter().all(|c| c.tries == 2));
        assert_eq!(again[0].message_id, first[0].message_id);
        let base = std::time::Duration::from_secs(60);
        // The first claim lapsed: its report changes nothing.
        outbox::report(&store, &first[0], Delivery::Sent, base)
            .await
            .unwrap();
        assert_eq!(outbox::count(&store, MailStatus::Sent).await.unwrap(), 0);
        outbox::report(&store, &again[0], Delivery::Sent, base)
            .await
            .unwrap();
        outbox::report(
            &store,
            &again[1],
            Delivery::Permanent("550 5.1.1 no such user".into()),
            base,
        )
        .await
        .unwrap();
        let status = outbox::report(
            &store,
            &again[2],
            Delivery::Temporary("451 try later".into()),
            base,
        )
        .await
        .unwrap();
        assert_eq!(status, MailStatus::Queued);
        let rows = outbox::all(&store).await.unwrap();
        assert_eq!(rows[0].status, MailStatus::Sent);
        assert!(rows[0].sent_at.is_some());
        assert_eq!(
            (rows[1].status, rows[1].last_error.as_str()),
            (MailStatus::Failed, "550 5.1.1 no such user")
        );
        assert_eq!(
            (rows[2].status, rows[2].last_error.as_str()),
            (MailStatus::Queued, "451 try later")
        );
        // Not due before its backoff.
        assert!(outbox::claim(&store, 10, lease).await.unwrap().is_empty());
        // A message queued more than a day ago fails instead of waiting again.
        outbox::due_now(&store).await.unwrap();
        let mut late = outbox::claim(&store, 10, lease).await.unwrap();
        late[0].created_at -= chrono::Duration::hours(25);
        let status = outbox::report(
            &store,
            &late[0],
            Delivery::Temporary("451 try later".into()),
            base,
        )
        .await
        .unwrap();
        assert_eq!(status, MailStatus::Failed);
    })
    .await;
}

#[tokio::test]
async fn staff_see_their_organisations_mail_and_the_secretariat_sees_and_resends_all() {
    each_backend(|store, backend| async move {
        let amagasaki = staff_of(&store, "amagasaki", "staff@city.amagasaki.example.jp").await;
        let sumida = staff_of(&store, "sumida", "staff@city.sumida.example.jp").await;
        let event = events::create(
            &store,
            &amagasaki,
            "amagasaki",
            &one_seat("勉強会"),
            today(),
        )
        .await
        .unwrap();
        registrations::register(
            &store,
            None,
            &event.key,
            &person("甲", "a@example.jp"),
            today(),
        )
        .await
        .unwrap();
        queue(&store, 1).await;
        let filter = OutboxFilter::default();
        let (own, total) = outbox::list(&store, &amagasaki, &filter).await.unwrap();
        assert_eq!((own.len(), total), (1, 1), "{backend:?}");
        assert!(
            outbox::list(&store, &sumida, &filter)
                .await
                .unwrap()
                .0
                .is_empty()
        );
        let member = member_of(&store, "kawaguchi-01", "member@example.jp").await;
        assert!(matches!(
            outbox::list(&store, &member, &filter).await,
            Err(StoreError::Forbidden { .. })
        ));

        let claimed = outbox::claim(&store, 10, std::time::Duration::from_secs(60))
            .await
            .unwrap();
        for c in &claimed {
            outbox::report(
                &store,
                c,
                Delivery::Permanent("550 refused".into()),
                std::time::Duration::from_secs(60),
            )
            .await
            .unwrap();
        }
        // Sumida's staff cannot resend Amagasaki's mail, nor learn it exists.
        assert!(matches!(
            outbox::resend(&store, &sumida, own[0].id).await,
            Err(StoreError::NotFound { .. })
        ));
        let resent = outbox::resend(&store, &amagasaki, own[0].id).await.unwrap();
        assert_eq!(resent.status, MailStatus::Queued);
        assert_eq!(resent.message_id, own[0].message_id);
        assert!(matches!(
            outbox::resend(&store, &amagasaki, own[0].id).await,
            Err(StoreError::Conflict(_))
        ));
    })
    .await;
}
