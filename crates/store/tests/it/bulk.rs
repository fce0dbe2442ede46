//! Mail to many in the store: a survey send queues one bulk message per establishment
//! with its own answer link, in the same transaction as the invitations; a reminder
//! round mails only those who have not answered and not unsubscribed; an unsubscribe
//! cancels what is queued, stops later mail of the list and is in the audit log; the
//! weekly digest's double opt-in and its once-per-week claim.

use chrono::NaiveDate;
use domain::events::{EventDraft, EventInput};
use domain::forms::{
    Eligibility, FormDefinition, FormPurpose, Period, Question, QuestionKind, RawAnswers, Section,
};
use domain::{Actor, Role};
use store::audit::{self, AuditFilter};
use store::forms::{self, FormDraft};
use store::outbox::{self, MailKind, MailMessage, MailStatus};
use store::survey_mail::Notify;
use store::{Store, StoreError, digest, events, surveys, unsubscribe};

use super::{each_backend, staff_of};

fn secretariat() -> Actor {
    Actor {
        user_id: 0,
        email: "test".into(),
        role: Role::Secretariat,
        organisation_id: None,
        company_id: None,
    }
}

async fn survey(store: &Store, staff: &Actor, key: &str) {
    let definition = FormDefinition {
        sections: vec![Section {
            title: "事業承継".into(),
            help: String::new(),
            questions: vec![Question {
                id: "note".into(),
                label: "ご意見".into(),
                help: String::new(),
                required: false,
                kind: QuestionKind::Text { max_chars: 200 },
                show_if: None,
                area: None,
            }],
        }],
        scoring: None,
    };
    let draft = FormDraft {
        key: key.into(),
        purpose: FormPurpose::Survey,
        title: "事業承継に関するアンケート".into(),
        description: "市の支援策の検討に役立てます。".into(),
        definition,
        eligibility: Eligibility::default(),
        award_year: None,
        period: Period::default(),
    };
    forms::create(store, staff, "kawaguchi", &draft)
        .await
        .unwrap();
}

/// Imports `n` establishments of 川口市 (the first `without_address` of them with
/// no e-mail) and returns their keys.
async fn establishments(
    store: &Store,
    staff: &Actor,
    n: usize,
    without_address: usize,
) -> Vec<String> {
    let mut csv = String::from("会社名,フリガナ,市区町村,住所,担当者,メールアドレス\n");
    for i in 0..n {
        let email = if i < without_address {
            String::new()
        } else {
            format!("soumu{i}@bulk{i:03}.example.jp")
        };
        csv.push_str(&format!(
            "株式会社一括{i:03},イッカツ,川口市,埼玉県川口市本町1-{i},総務 担当{i},{email}\n"
        ));
    }
    let directory = store::organisations::directory(store).await.unwrap();
    let (rows, refused) = store::import::prepare_list(
        import::list::from_bytes(csv.as_bytes(), import::list::ListFormat::Auto).unwrap(),
        &directory,
        2026,
    );
    assert_eq!(rows.len(), n, "{:?}", refused.rows);
    store::import::upsert_list_keys(store, staff, &rows)
        .await
        .unwrap()
        .1
}

fn bulk(messages: &[MailMessage]) -> Vec<&MailMessage> {
    messages
        .iter()
        .filter(|m| m.kind == MailKind::Bulk.code())
        .collect()
}

async fn audit_actions(store: &Store, action: &str) -> Vec<audit::AuditEntry> {
    let (entries, _) = audit::list(store, &secretariat(), &AuditFilter::default())
        .await
        .unwrap();
    entries.into_iter().filter(|e| e.action == action).collect()
}

#[tokio::test]
async fn a_survey_send_mails_each_establishment_its_own_answer_link_with_the_invitations() {
    each_backend(|store, backend| async move {
        let staff = staff_of(&store, "kawaguchi", "chosa@city.kawaguchi.example.jp").await;
        survey(&store, &staff, "succession").await;
        let keys = establishments(&store, &staff, 12, 2).await;

        let sent = surveys::send(&store, &staff, "succession", &keys)
            .await
            .unwrap();
        assert_eq!(sent.invited, 12, "{backend:?}");
        assert_eq!(sent.mail.queued, 10);
        assert_eq!(sent.mail.no_address, 2);
        let messages = outbox::all(&store).await.unwrap();
        let mails = bulk(&messages);
        assert_eq!(mails.len(), 10);
        let links = surveys::unanswered(&store, &staff, "succession")
            .await
            .unwrap();
        for invitation in links.iter().filter(|i| !i.contact_email.is_empty()) {
            let mail = mails
                .iter()
                .find(|m| m.recipient_email == invitation.contact_email)
                .unwrap_or_else(|| panic!("{backend:?}: no mail to {}", invitation.contact_email));
            assert!(
                mail.body_text
                    .contains(&format!("{}/s/{}", outbox::PUBLIC_URL, invitation.token)),
                "{}",
                mail.body_text
            );
            assert!(mail.body_text.contains(outbox::UNSUBSCRIBE_URL));
            assert_eq!(mail.subject, "【調査のお願い】事業承継に関するアンケート");
            assert_eq!(mail.sender_name, "川口市");
            assert_eq!(mail.list_name.as_deref(), Some("survey.kawaguchi"));
            assert_eq!(mail.unsubscribe_token.as_ref().map(String::len), Some(40));
        }
        // Sending again invites nobody twice and mails nobody twice.
        let again = surveys::send(&store, &staff, "succession", &keys)
            .await
            .unwrap();
        assert_eq!((again.invited, again.mail.queued), (0, 0));
        assert_eq!(outbox::all(&store).await.unwrap().len(), 10);
        // Links only: invitations without mail, for the clerk's own mail merge.
        survey(&store, &staff, "links-only").await;
        let links_only = surveys::send_with(&store, &staff, "links-only", &keys, Notify::LinksOnly)
            .await
            .unwrap();
        assert_eq!((links_only.invited, links_only.mail.queued), (12, 0));
        assert_eq!(outbox::all(&store).await.unwrap().len(), 10);
        let sends = audit_actions(&store, "send").await;
        assert!(
            sends.iter().any(|e| e.summary.contains("案内メール10通")),
            "{sends:#?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_refused_send_queues_no_mail() {
    each_backend(|store, backend| async move {
        let staff = staff_of(&store, "kawaguchi", "chosa@city.kawaguchi.example.jp").await;
        survey(&store, &staff, "succession").await;
        let mut keys = establishments(&store, &staff, 3, 0).await;
        keys.push("no-such-company".into());
        let refused = surveys::send(&store, &staff, "succession", &keys).await;
        assert!(
            matches!(refused, Err(StoreError::Invalid(_))),
            "{backend:?}"
        );
        assert!(outbox::all(&store).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_reminder_round_mails_only_those_who_have_not_answered_nor_unsubscribed() {
    each_backend(|store, backend| async move {
        let staff = staff_of(&store, "kawaguchi", "chosa@city.kawaguchi.example.jp").await;
        survey(&store, &staff, "succession").await;
        let keys = establishments(&store, &staff, 4, 0).await;
        surveys::send(&store, &staff, "succession", &keys)
            .await
            .unwrap();
        let links = surveys::unanswered(&store, &staff, "succession")
            .await
            .unwrap();
        // The first answers; the second unsubscribes with its invitation's link.
        surveys::submit(
            &store,
            &links[0].token,
            &RawAnswers::default().with("note", "回答します"),
        )
        .await
        .unwrap();
        let invitations = outbox::all(&store).await.unwrap();
        let second = invitations
            .iter()
            .find(|m| m.recipient_email == links[1].contact_email)
            .unwrap();
        let token = second.unsubscribe_token.clone().unwrap();
        let seen = unsubscribe::lookup(&store, &token).await.unwrap();
        assert!(!seen.stopped);
        assert_eq!(seen.title, "川口市からの調査のご案内・督促");
        let stopped = unsubscribe::unsubscribe(&store, &token).await.unwrap();
        assert!(stopped.stopped);
        // Its queued invitation is cancelled at once; the others are not.
        let after = outbox::all(&store).await.unwrap();
        let statuses: Vec<MailStatus> = after.iter().map(|m| m.status).collect();
        assert_eq!(
            statuses
                .iter()
                .filter(|s| **s == MailStatus::Cancelled)
                .count(),
            1,
            "{backend:?}: {statuses:?}"
        );
        assert_eq!(
            after.iter().find(|m| m.id == second.id).unwrap().status,
            MailStatus::Cancelled
        );
        // Using the link again changes nothing and is not logged twice.
        unsubscribe::unsubscribe(&store, &token).await.unwrap();
        let logged = audit_actions(&store, "unsubscribe").await;
        assert_eq!(logged.len(), 1, "{logged:#?}");
        assert!(logged[0].summary.contains(&links[1].contact_email));

        let reminded = surveys::remind_with(&store, &staff, "succession", Notify::Mail)
            .await
            .unwrap();
        assert_eq!(
            reminded.reminded, 3,
            "{backend:?}: all who have not answered"
        );
        assert_eq!(reminded.round, 1);
        assert_eq!(reminded.mail.queued, 2, "not the one who unsubscribed");
        assert_eq!(reminded.mail.unsubscribed, 1);
        let reminders: Vec<MailMessage> = outbox::all(&store)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.subject.starts_with("【再送・ご回答のお願い（1回目）】"))
            .collect();
        let mut to: Vec<&str> = reminders
            .iter()
            .map(|m| m.recipient_email.as_str())
            .collect();
        to.sort_unstable();
        let mut expected = vec![
            links[2].contact_email.as_str(),
            links[3].contact_email.as_str(),
        ];
        expected.sort_unstable();
        assert_eq!(to, expected);
        // A sent message of the list cannot be resent to the address that stopped it.
        let refused = outbox::resend(&store, &secretariat(), second.id).await;
        assert!(
            matches!(refused, Err(StoreError::Conflict(_))),
            "{refused:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn an_unknown_or_malformed_unsubscribe_token_is_not_found() {
    each_backend(|store, _| async move {
        for token in ["", "x", &"0".repeat(40), "'; DROP TABLE mail_messages; --"] {
            assert!(matches!(
                unsubscribe::unsubscribe(&store, token).await,
                Err(StoreError::NotFound { .. })
            ));
        }
    })
    .await;
}

async fn future_event(store: &Store, city: &str, title: &str, day: &str) {
    let draft = EventDraft::parse(&EventInput {
        title: title.into(),
        event_type: "seminar".into(),
        city: city.into(),
        pillars: vec!["2".into()],
        start_date: day.into(),
        start_time: "13:00".into(),
        end_time: "16:00".into(),
        venue: "市民会館".into(),
        address: "市内".into(),
        ..Default::default()
    })
    .unwrap();
    events::create(
        store,
        &secretariat(),
        city,
        &draft,
        NaiveDate::from_ymd_opt(2099, 1, 1).unwrap(),
    )
    .await
    .unwrap();
}

fn confirm_token(mail: &MailMessage) -> String {
    let at = mail.body_text.find("/digest/confirm/").unwrap() + "/digest/confirm/".len();
    let token: String = mail.body_text[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(
        token.len(),
        64,
        "a 256-bit link token in {}",
        mail.body_text
    );
    token
}

#[tokio::test]
async fn the_digest_is_double_opt_in_and_sent_once_a_week_with_the_chosen_cities() {
    each_backend(|store, backend| async move {
        future_event(&store, "kawaguchi", "川口の鋳物セミナー", "2099-10-14").await;
        future_event(&store, "ota", "大田の町工場見学", "2099-10-15").await;
        let (email, choice) =
            digest::parse_request(&store, "Reader@Example.jp", &["kawaguchi".into()], &[])
                .await
                .unwrap();
        digest::subscribe(&store, &email, &choice).await.unwrap();
        // Asking again at once mails no second confirmation (and answers the same).
        digest::subscribe(&store, &email, &choice).await.unwrap();
        let mails = outbox::all(&store).await.unwrap();
        assert_eq!(mails.len(), 1, "{backend:?}");
        assert_eq!(mails[0].kind, MailKind::Transactional.code());
        assert_eq!(mails[0].recipient_email, "reader@example.jp");
        let token = confirm_token(&mails[0]);
        // Nothing is subscribed before the owner confirms.
        assert!(digest::subscribers(&store).await.unwrap().is_empty());
        let today = NaiveDate::from_ymd_opt(2099, 10, 12).unwrap();
        assert!(digest::send_week(&store, today).await.unwrap().nobody);
        let pending = digest::pending(&store, &token).await.unwrap();
        assert_eq!(pending.description, "川口市／すべての分野");
        digest::confirm(&store, &token).await.unwrap();
        assert!(matches!(
            digest::confirm(&store, &token).await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(digest::subscribers(&store).await.unwrap().len(), 1);

        let round = digest::send_week(&store, today).await.unwrap();
        assert_eq!(round.week, "2099-W42");
        assert_eq!(round.mails, 1, "{backend:?}: {round:?}");
        let again = digest::send_week(&store, today).await.unwrap();
        assert!(again.already && again.mails == 0);
        let messages = outbox::all(&store).await.unwrap();
        let digest_mail = bulk(&messages)[0];
        assert!(digest_mail.body_text.contains("川口の鋳物セミナー"));
        assert!(!digest_mail.body_text.contains("大田の町工場見学"));
        assert_eq!(digest_mail.list_name.as_deref(), Some(unsubscribe::DIGEST));

        // Unsubscribing ends the subscription: next week, nobody.
        unsubscribe::unsubscribe(&store, digest_mail.unsubscribe_token.as_ref().unwrap())
            .await
            .unwrap();
        assert!(digest::subscribers(&store).await.unwrap().is_empty());
        let next = today + chrono::Duration::days(7);
        assert!(digest::send_week(&store, next).await.unwrap().nobody);
    })
    .await;
}

#[tokio::test]
async fn a_bad_subscription_is_refused_with_the_fields_named() {
    each_backend(|store, _| async move {
        let refused = digest::parse_request(
            &store,
            "not-an-address",
            &["atlantis".into()],
            &["9".into()],
        )
        .await;
        let Err(StoreError::Invalid(errors)) = refused else {
            panic!("{refused:?}")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "cities", "pillars"]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_sending_one_weeks_digest_queue_it_once() {
    for backend in store::testing::backends() {
        let database = store::testing::TestDatabase::create(backend).await.unwrap();
        let store = database.store().await.unwrap();
        future_event(&store, "kawaguchi", "川口の鋳物セミナー", "2099-10-14").await;
        for i in 0..5 {
            let (email, choice) =
                digest::parse_request(&store, &format!("r{i}@example.jp"), &[], &[])
                    .await
                    .unwrap();
            digest::subscribe(&store, &email, &choice).await.unwrap();
        }
        for mail in outbox::all(&store).await.unwrap() {
            digest::confirm(&store, &confirm_token(&mail))
                .await
                .unwrap();
        }
        let today = NaiveDate::from_ymd_opt(2099, 10, 12).unwrap();
        let mut rounds = Vec::new();
        for _ in 0..2 {
            let own = Store::connect(&database.url).await.unwrap();
            rounds.push(tokio::spawn(async move {
                digest::send_week(&own, today).await.unwrap()
            }));
        }
        let mut mails = 0;
        for round in rounds {
            mails += round.await.unwrap().mails;
        }
        assert_eq!(mails, 5, "{backend:?}");
        assert_eq!(bulk(&outbox::all(&store).await.unwrap()).len(), 5);
    }
}
