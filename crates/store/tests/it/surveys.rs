//! Surveys in the store: sending is idempotent, an answer link answers only its own
//! form for its own company, tracking counts each status, reminder rounds.

use domain::forms::{
    Choice, Eligibility, FormDefinition, FormPurpose, Period, Question, QuestionKind, RawAnswers,
    Section,
};
use store::forms::{self, FormDraft, ResponseStatus};
use store::surveys::{self, InvitationStatus, Recipients};
use store::{Store, StoreError};

use super::{each_backend, staff_of};

fn definition() -> FormDefinition {
    let choice = |value: &str, label: &str| Choice {
        value: value.into(),
        label: label.into(),
        points: 0,
    };
    FormDefinition {
        sections: vec![Section {
            title: "事業承継".into(),
            help: String::new(),
            questions: vec![
                Question {
                    id: "successor".into(),
                    label: "後継者は決まっていますか".into(),
                    help: String::new(),
                    required: true,
                    kind: QuestionKind::SingleChoice {
                        options: vec![choice("yes", "決まっている"), choice("no", "いない")],
                    },
                    show_if: None,
                    area: None,
                },
                Question {
                    id: "note".into(),
                    label: "ご意見".into(),
                    help: String::new(),
                    required: false,
                    kind: QuestionKind::Text { max_chars: 200 },
                    show_if: None,
                    area: None,
                },
            ],
        }],
        scoring: None,
    }
}

async fn survey(store: &Store, actor: &domain::Actor, key: &str, purpose: FormPurpose) {
    let draft = FormDraft {
        key: key.into(),
        purpose,
        title: format!("調査 {key}"),
        description: String::new(),
        definition: definition(),
        eligibility: Eligibility::default(),
        award_year: None,
        period: Period::default(),
    };
    forms::create(store, actor, "kawaguchi", &draft)
        .await
        .unwrap();
}

fn keys(names: &[&str]) -> Vec<String> {
    names.iter().map(|k| (*k).to_owned()).collect()
}

#[tokio::test]
async fn sending_twice_invites_each_company_once_with_its_own_unguessable_link() {
    each_backend(|store, backend| async move {
        let staff = staff_of(&store, "kawaguchi", "s@city.kawaguchi.example.jp").await;
        survey(&store, &staff, "succession", FormPurpose::Survey).await;

        let first = surveys::send(
            &store,
            &staff,
            "succession",
            &keys(&["kawaguchi-01", "kawaguchi-02", "kawaguchi-01"]),
        )
        .await
        .unwrap();
        assert_eq!((first.invited, first.already), (2, 0), "{backend:?}");
        let again = surveys::send_to_directory(
            &store,
            &staff,
            "succession",
            &Recipients {
                city: Some("kawaguchi".into()),
                ..Recipients::default()
            },
        )
        .await
        .unwrap();
        let kawaguchi = surveys::select(
            &store,
            &Recipients {
                city: Some("kawaguchi".into()),
                ..Recipients::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(again.already, 2, "{backend:?}");
        assert_eq!(again.invited as usize, kawaguchi.len() - 2);

        let list = surveys::unanswered(&store, &staff, "succession")
            .await
            .unwrap();
        assert_eq!(list.len(), kawaguchi.len());
        let mut tokens: Vec<&str> = list.iter().map(|i| i.token.as_str()).collect();
        assert!(
            tokens
                .iter()
                .all(|t| t.len() == 40 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        );
        tokens.sort_unstable();
        tokens.dedup();
        assert_eq!(tokens.len(), list.len(), "every link is different");

        // Filters of the directory.
        let metal = surveys::select(
            &store,
            &Recipients {
                city: Some("kawaguchi".into()),
                industry: Some("24".into()),
                ..Recipients::default()
            },
        )
        .await
        .unwrap();
        assert!(!metal.is_empty() && metal.len() < kawaguchi.len());

        // Only the owner's staff send, only surveys are sent, unknown companies refused.
        let sumida = staff_of(&store, "sumida", "s@city.sumida.example.jp").await;
        assert!(matches!(
            surveys::send(&store, &sumida, "succession", &keys(&["sumida-01"])).await,
            Err(StoreError::Forbidden { .. })
        ));
        assert!(matches!(
            surveys::send(&store, &staff, "succession", &keys(&["no-such-company"])).await,
            Err(StoreError::Invalid(_))
        ));
        survey(&store, &staff, "a-call", FormPurpose::Application).await;
        assert!(matches!(
            surveys::send(&store, &staff, "a-call", &keys(&["kawaguchi-01"])).await,
            Err(StoreError::Invalid(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn an_answer_link_answers_only_its_form_for_its_company() {
    each_backend(|store, backend| async move {
        let staff = staff_of(&store, "kawaguchi", "s@city.kawaguchi.example.jp").await;
        survey(&store, &staff, "succession", FormPurpose::Survey).await;
        survey(&store, &staff, "hiring", FormPurpose::Survey).await;
        surveys::send(
            &store,
            &staff,
            "succession",
            &keys(&["kawaguchi-01", "kawaguchi-02"]),
        )
        .await
        .unwrap();
        surveys::send(&store, &staff, "hiring", &keys(&["kawaguchi-01"]))
            .await
            .unwrap();
        let links = surveys::unanswered(&store, &staff, "succession")
            .await
            .unwrap();
        let link = links
            .iter()
            .find(|i| i.company_key == "kawaguchi-01")
            .unwrap();

        let opened = surveys::open(&store, &link.token).await.unwrap();
        assert_eq!(opened.form.key, "succession");
        assert_eq!(opened.company_key, "kawaguchi-01");
        assert!(opened.response.is_none());

        // Autosave through the link, then a refused submission keeps the text.
        let typed = RawAnswers::default().with("note", "人手不足が深刻");
        surveys::save_draft(&store, &link.token, &typed)
            .await
            .unwrap();
        let Err(StoreError::Invalid(errors)) = surveys::submit(&store, &link.token, &typed).await
        else {
            panic!("{backend:?}: a missing required answer is refused");
        };
        assert_eq!(errors[0].field, "successor");
        let reopened = surveys::open(&store, &link.token).await.unwrap();
        assert_eq!(reopened.response.unwrap().raw, typed);

        let good = typed.clone().with("successor", "no");
        let done = surveys::submit(&store, &link.token, &good).await.unwrap();
        assert_eq!(done.status, ResponseStatus::Submitted);
        assert_eq!(done.company_key, "kawaguchi-01");
        assert!(matches!(
            surveys::submit(&store, &link.token, &good).await,
            Err(StoreError::Conflict(_))
        ));

        // Its answer went to its form only, for its company only.
        let hiring = forms::responses(&store, &staff, "hiring").await.unwrap();
        assert!(hiring.is_empty(), "{backend:?}");
        let succession = forms::responses(&store, &staff, "succession")
            .await
            .unwrap();
        assert_eq!(succession.len(), 1);
        assert_eq!(succession[0].company_key, "kawaguchi-01");

        // The audit says it came through the link, with no user.
        let secretariat = {
            let (user, _) = store::accounts::create_user(
                &store,
                None,
                &super::new_user("j@council.example.jp", "secretariat", "council"),
            )
            .await
            .unwrap();
            user.actor()
        };
        let filter = store::audit::AuditFilter {
            entity: Some("form_response".into()),
            ..Default::default()
        };
        let (entries, _) = store::audit::list(&store, &secretariat, &filter)
            .await
            .unwrap();
        assert!(
            entries
                .iter()
                .any(|e| e.summary.contains("回答リンクから") && e.user_email == "system"),
            "{backend:?}"
        );

        // Unknown or malformed tokens are simply not found.
        for bad in ["", "zz", &"0".repeat(40), "../../etc/passwd"] {
            assert!(matches!(
                surveys::open(&store, bad).await,
                Err(StoreError::NotFound { .. })
            ));
            assert!(matches!(
                surveys::submit(&store, bad, &good).await,
                Err(StoreError::NotFound { .. })
            ));
        }
    })
    .await;
}

#[tokio::test]
async fn tracking_counts_each_status_and_reminders_go_to_the_unanswered() {
    each_backend(|store, backend| async move {
        let staff = staff_of(&store, "kawaguchi", "s@city.kawaguchi.example.jp").await;
        survey(&store, &staff, "succession", FormPurpose::Survey).await;
        let all = keys(&[
            "kawaguchi-01",
            "kawaguchi-02",
            "kawaguchi-03",
            "kawaguchi-04",
        ]);
        surveys::send(&store, &staff, "succession", &all)
            .await
            .unwrap();
        let links = surveys::unanswered(&store, &staff, "succession")
            .await
            .unwrap();
        let token = |company: &str| {
            links
                .iter()
                .find(|i| i.company_key == company)
                .unwrap()
                .token
                .clone()
        };
        // 01 submits, 02 saves a draft, 03 only opens, 04 never opens.
        let good = RawAnswers::default().with("successor", "yes");
        surveys::open(&store, &token("kawaguchi-01")).await.unwrap();
        surveys::submit(&store, &token("kawaguchi-01"), &good)
            .await
            .unwrap();
        surveys::open(&store, &token("kawaguchi-02")).await.unwrap();
        surveys::save_draft(
            &store,
            &token("kawaguchi-02"),
            &RawAnswers::default().with("note", "途中"),
        )
        .await
        .unwrap();
        surveys::open(&store, &token("kawaguchi-03")).await.unwrap();

        let counts = surveys::counts(&store, &staff, "succession").await.unwrap();
        assert_eq!(
            (
                counts.sent,
                counts.opened,
                counts.draft,
                counts.submitted,
                counts.unopened
            ),
            (4, 3, 1, 1, 1),
            "{backend:?}"
        );
        assert!((counts.response_rate() - 25.0).abs() < 1e-9);

        let unopened = surveys::tracking(
            &store,
            &staff,
            "succession",
            Some(InvitationStatus::Unopened),
            1,
        )
        .await
        .unwrap();
        let names: Vec<&str> = unopened
            .rows
            .iter()
            .map(|r| r.company_key.as_str())
            .collect();
        assert_eq!(names, ["kawaguchi-04"]);
        let opened = surveys::tracking(
            &store,
            &staff,
            "succession",
            Some(InvitationStatus::Opened),
            1,
        )
        .await
        .unwrap();
        assert_eq!(opened.rows[0].company_key, "kawaguchi-03");

        // A reminder round for the three unanswered; twice makes two rounds.
        assert_eq!(
            surveys::remind(&store, &staff, "succession").await.unwrap(),
            3
        );
        assert_eq!(
            surveys::remind(&store, &staff, "succession").await.unwrap(),
            3
        );
        let counts = surveys::counts(&store, &staff, "succession").await.unwrap();
        assert_eq!(counts.reminder_rounds, 2);
        assert!(counts.last_reminded.is_some());
        let rows = surveys::tracking(&store, &staff, "succession", None, 1)
            .await
            .unwrap()
            .rows;
        let reminders: Vec<(&str, u32)> = rows
            .iter()
            .map(|r| (r.company_key.as_str(), r.reminders))
            .collect();
        assert_eq!(
            reminders,
            [
                ("kawaguchi-01", 0),
                ("kawaguchi-02", 2),
                ("kawaguchi-03", 2),
                ("kawaguchi-04", 2)
            ],
            "{backend:?}"
        );

        // Another city's staff see no tracking and record no reminders.
        let sumida = staff_of(&store, "sumida", "s@city.sumida.example.jp").await;
        assert!(matches!(
            surveys::tracking(&store, &sumida, "succession", None, 1).await,
            Err(StoreError::Forbidden { .. })
        ));
        assert!(matches!(
            surveys::remind(&store, &sumida, "succession").await,
            Err(StoreError::Forbidden { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn the_demo_surveys_are_loaded_once_with_kawaguchis_answers() {
    each_backend(|store, backend| async move {
        // `prepare` ran when the test database was made; running it again adds nothing.
        assert_eq!(surveys::load_demo_if_empty(&store).await.unwrap(), 0);
        let staff = staff_of(&store, "kawaguchi", "s@city.kawaguchi.example.jp").await;
        let key = "kawaguchi-succession-hiring-2016";
        let counts = surveys::counts(&store, &staff, key).await.unwrap();
        assert_eq!(
            (counts.sent, counts.submitted, counts.draft, counts.unopened),
            (10, 8, 1, 0),
            "{backend:?}"
        );
        let (form, summary, submitted) = surveys::results(&store, &staff, key).await.unwrap();
        assert_eq!(form.title, "事業承継・人材確保に関するアンケート");
        assert_eq!(submitted, 8);
        let successor = summary.iter().find(|s| s.id == "successor").unwrap();
        let counts: Vec<u32> = successor.tallies.iter().map(|t| t.count).collect();
        assert_eq!(counts, [3, 1, 2, 1, 1], "{backend:?}");
        let by_industry =
            surveys::cross_tab(&store, &staff, key, "successor", forms::GroupBy::Industry)
                .await
                .unwrap();
        let groups: Vec<(&str, u32)> = by_industry
            .iter()
            .map(|r| (r.group.as_str(), r.respondents))
            .collect();
        assert_eq!(
            groups,
            [
                ("18 プラスチック製品製造業", 2),
                ("24 金属製品製造業", 4),
                ("26 生産用機械器具製造業", 2)
            ],
            "{backend:?}"
        );
        for other in ["kaga-cci-succession-2017", "amagasaki-lasting-secrets-2017"] {
            let (_, _, submitted) = surveys::results(&store, &staff, other).await.unwrap();
            assert!(submitted >= 3, "{other}");
        }
    })
    .await;
}
