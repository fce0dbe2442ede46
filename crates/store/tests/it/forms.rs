//! Forms in the store: versions frozen once answered, autosaved drafts, submissions
//! validated (and refused a second time), eligibility of a call, privacy of
//! individual answers, aggregates and cross-tabs.

use domain::forms::eligibility::CityRef;
use domain::forms::{
    Choice, Eligibility, EligibilityRule, FormDefinition, FormPurpose, Period, Question,
    QuestionKind, RawAnswers, Section,
};
use store::StoreError;
use store::forms::{self, FormDraft, GroupBy, ResponseStatus};

use super::{each_backend, member_of, new_user, staff_of};

fn survey() -> FormDefinition {
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
                    id: "hires".into(),
                    label: "来年度の採用予定人数".into(),
                    help: String::new(),
                    required: false,
                    kind: QuestionKind::Number {
                        min: Some(0.0),
                        max: Some(100.0),
                        unit: "人".into(),
                        integer: true,
                    },
                    show_if: None,
                    area: None,
                },
            ],
        }],
        scoring: None,
    }
}

pub(super) fn draft(key: &str) -> FormDraft {
    FormDraft {
        key: key.into(),
        purpose: FormPurpose::Survey,
        title: "事業承継・採用調査".into(),
        description: String::new(),
        definition: survey(),
        eligibility: Eligibility::default(),
        award_year: None,
        period: Period::default(),
    }
}

#[tokio::test]
async fn a_survey_is_answered_privately_and_read_in_aggregate() {
    each_backend(|store, backend| async move {
        let kawaguchi = staff_of(&store, "kawaguchi", "staff@city.kawaguchi.example.jp").await;
        let sumida = staff_of(&store, "sumida", "staff@city.sumida.example.jp").await;
        forms::create(&store, &kawaguchi, "kawaguchi", &draft("kawaguchi-survey"))
            .await
            .unwrap();
        assert!(matches!(
            forms::create(&store, &sumida, "kawaguchi", &draft("other")).await,
            Err(StoreError::Forbidden { .. })
        ));

        let member = member_of(&store, "kawaguchi-01", "a@kawaguchi-01.example.jp").await;
        // Autosave keeps what was typed, even what is not yet valid.
        let raw = RawAnswers::default().with("hires", "たくさん");
        let saved = forms::save_draft(&store, &member, "kawaguchi-survey", "kawaguchi-01", &raw)
            .await
            .unwrap();
        assert_eq!(saved.status, ResponseStatus::Draft);
        assert_eq!(saved.raw, raw);

        // A refused submission reports each question and keeps the draft.
        let Err(StoreError::Invalid(errors)) =
            forms::submit(&store, &member, "kawaguchi-survey", "kawaguchi-01", &raw).await
        else {
            panic!("{backend:?}: an invalid submission is refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["successor", "hires"], "{backend:?}");
        let kept = forms::response(&store, &member, "kawaguchi-survey", "kawaguchi-01")
            .await
            .unwrap();
        assert_eq!((kept.status, &kept.raw), (ResponseStatus::Draft, &raw));

        let good = RawAnswers::default()
            .with("successor", "no")
            .with("hires", "3");
        let submitted = forms::submit(&store, &member, "kawaguchi-survey", "kawaguchi-01", &good)
            .await
            .unwrap();
        assert_eq!(submitted.status, ResponseStatus::Submitted);
        assert!(submitted.answers.is_some());
        assert!(matches!(
            forms::submit(&store, &member, "kawaguchi-survey", "kawaguchi-01", &good).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            forms::save_draft(&store, &member, "kawaguchi-survey", "kawaguchi-01", &good).await,
            Err(StoreError::Conflict(_))
        ));

        // A member may not answer for another company.
        assert!(matches!(
            forms::save_draft(&store, &member, "kawaguchi-survey", "kawaguchi-02", &good).await,
            Err(StoreError::Forbidden { .. })
        ));
        // Staff enter a paper answer for a company of their city.
        let paper = RawAnswers::default()
            .with("successor", "yes")
            .with("hires", "1");
        forms::submit(
            &store,
            &kawaguchi,
            "kawaguchi-survey",
            "kawaguchi-03",
            &paper,
        )
        .await
        .unwrap();

        // Individual answers: the owner's staff and the respondent only.
        let secretariat = {
            let (user, _) = store::accounts::create_user(
                &store,
                None,
                &new_user("jimukyoku@council.example.jp", "secretariat", "council"),
            )
            .await
            .unwrap();
            user.actor()
        };
        for outsider in [&sumida, &secretariat] {
            assert!(matches!(
                forms::response(&store, outsider, "kawaguchi-survey", "kawaguchi-01").await,
                Err(StoreError::NotFound { .. })
            ));
            assert!(matches!(
                forms::responses(&store, outsider, "kawaguchi-survey").await,
                Err(StoreError::Forbidden { .. })
            ));
        }
        assert!(
            forms::response(&store, &member, "kawaguchi-survey", "kawaguchi-03")
                .await
                .is_err()
        );
        let all = forms::responses(&store, &kawaguchi, "kawaguchi-survey")
            .await
            .unwrap();
        assert_eq!(all.len(), 2, "{backend:?}");

        // Aggregates for everyone.
        let summary = forms::aggregate(&store, "kawaguchi-survey").await.unwrap();
        assert_eq!(summary[0].answered, 2);
        let counts: Vec<u32> = summary[0].tallies.iter().map(|t| t.count).collect();
        assert_eq!(counts, [1, 1]);
        assert_eq!(summary[1].mean, Some(2.0));
        assert_eq!(
            forms::counts(&store, "kawaguchi-survey").await.unwrap(),
            (0, 2)
        );
        let by_size = forms::cross_tab(&store, "kawaguchi-survey", "successor", GroupBy::Size)
            .await
            .unwrap();
        let groups: Vec<(&str, u32)> = by_size
            .iter()
            .map(|r| (r.group.as_str(), r.respondents))
            .collect();
        assert_eq!(groups, [("中小（21〜300人）", 2)], "{backend:?}");
        let by_city = forms::cross_tab(&store, "kawaguchi-survey", "successor", GroupBy::City)
            .await
            .unwrap();
        assert_eq!(by_city[0].group, "川口市");
        assert!(
            forms::cross_tab(&store, "kawaguchi-survey", "nothing", GroupBy::Industry)
                .await
                .is_err()
        );
    })
    .await;
}

#[tokio::test]
async fn an_answered_version_is_frozen_and_a_change_makes_a_new_version() {
    each_backend(|store, backend| async move {
        let kawaguchi = staff_of(&store, "kawaguchi", "staff@city.kawaguchi.example.jp").await;
        forms::create(&store, &kawaguchi, "kawaguchi", &draft("versions"))
            .await
            .unwrap();
        let mut changed = survey();
        changed.sections[0].help = "経営者ご本人がご回答ください。".into();
        let form = forms::edit_definition(&store, &kawaguchi, "versions", &changed)
            .await
            .unwrap();
        assert_eq!(
            form.latest.number, 1,
            "{backend:?}: unanswered: changed in place"
        );

        let answer = RawAnswers::default().with("successor", "yes");
        forms::save_draft(&store, &kawaguchi, "versions", "kawaguchi-01", &answer)
            .await
            .unwrap();
        changed.sections[0].questions[1].required = true;
        let form = forms::edit_definition(&store, &kawaguchi, "versions", &changed)
            .await
            .unwrap();
        assert_eq!(
            form.latest.number, 2,
            "{backend:?}: answered: a new version"
        );
        let first = forms::version(&store, "versions", 1).await.unwrap();
        assert!(first.answered);
        assert!(!first.definition.sections[0].questions[1].required);

        // The draft begun on version 1 is judged by version 1's questions.
        let response = forms::submit(&store, &kawaguchi, "versions", "kawaguchi-01", &answer)
            .await
            .unwrap();
        assert_eq!(response.version, 1);

        let mut broken = survey();
        broken.sections[0].questions[1].id = "successor".into();
        assert!(matches!(
            forms::edit_definition(&store, &kawaguchi, "versions", &broken).await,
            Err(StoreError::Invalid(_))
        ));
        let sumida = staff_of(&store, "sumida", "staff@city.sumida.example.jp").await;
        assert!(matches!(
            forms::edit_definition(&store, &sumida, "versions", &changed).await,
            Err(StoreError::Forbidden { .. })
        ));
        let (secretariat, _) = store::accounts::create_user(
            &store,
            None,
            &new_user("jimukyoku@council.example.jp", "secretariat", "council"),
        )
        .await
        .unwrap();
        let filter = store::audit::AuditFilter {
            entity: Some("form".into()),
            user_email: None,
            page: 0,
        };
        let (log, _) = store::audit::list(&store, &secretariat.actor(), &filter)
            .await
            .unwrap();
        assert!(
            log.iter().any(|e| e.summary.contains("第2版を作成")),
            "{backend:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn an_award_call_refuses_a_company_too_young_by_its_eligibility_rule() {
    each_backend(|store, backend| async move {
        let amagasaki = staff_of(&store, "amagasaki", "staff@city.amagasaki.example.jp").await;
        let award = FormDraft {
            purpose: FormPurpose::Application,
            title: "100年企業表彰".into(),
            eligibility: Eligibility {
                rules: vec![
                    EligibilityRule::FoundedYearsBefore { years: 100 },
                    EligibilityRule::CityIn {
                        cities: vec![CityRef {
                            key: "amagasaki".into(),
                            name: "尼崎市".into(),
                        }],
                    },
                ],
            },
            // amagasaki-02 was founded in 1938, amagasaki-06 in 1952.
            award_year: Some(2038),
            ..draft("amagasaki-100")
        };
        forms::create(&store, &amagasaki, "amagasaki", &award)
            .await
            .unwrap();
        let answer = RawAnswers::default().with("successor", "yes");
        forms::submit(&store, &amagasaki, "amagasaki-100", "amagasaki-02", &answer)
            .await
            .unwrap();
        let Err(StoreError::Invalid(errors)) =
            forms::submit(&store, &amagasaki, "amagasaki-100", "amagasaki-06", &answer).await
        else {
            panic!("{backend:?}: a company founded in 1952 is refused");
        };
        assert_eq!(errors[0].field, "founded_year");
        assert!(
            errors[0].reason.contains("1938年以前"),
            "{}",
            errors[0].reason
        );

        let no_year = FormDraft {
            award_year: None,
            ..award.clone()
        };
        assert!(matches!(
            forms::create(
                &store,
                &amagasaki,
                "amagasaki",
                &FormDraft {
                    key: "x".into(),
                    ..no_year
                }
            )
            .await,
            Err(StoreError::Invalid(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn a_closed_call_refuses_a_submission_and_keeps_what_was_typed() {
    each_backend(|store, backend| async move {
        let amagasaki = staff_of(&store, "amagasaki", "staff@city.amagasaki.example.jp").await;
        let closed = FormDraft {
            purpose: FormPurpose::Application,
            period: Period {
                opens_on: chrono::NaiveDate::from_ymd_opt(2016, 4, 1),
                closes_on: chrono::NaiveDate::from_ymd_opt(2016, 6, 30),
            },
            ..draft("closed-call")
        };
        forms::create(&store, &amagasaki, "amagasaki", &closed)
            .await
            .unwrap();
        let answer = RawAnswers::default().with("successor", "yes");
        let Err(StoreError::Invalid(errors)) =
            forms::submit(&store, &amagasaki, "closed-call", "amagasaki-02", &answer).await
        else {
            panic!("{backend:?}: a call closed in 2016 refuses");
        };
        assert!(errors[0].reason.contains("2016年6月30日で締め切りました"));
        let kept = forms::response(&store, &amagasaki, "closed-call", "amagasaki-02")
            .await
            .unwrap();
        assert_eq!(kept.status, ResponseStatus::Draft);
        assert_eq!(kept.raw, answer);
    })
    .await;
}

#[tokio::test]
async fn a_respondent_is_exported_and_deleted_on_request_and_old_answers_expire() {
    each_backend(|store, backend| async move {
        let kawaguchi = staff_of(&store, "kawaguchi", "staff@city.kawaguchi.example.jp").await;
        let sumida = staff_of(&store, "sumida", "staff@city.sumida.example.jp").await;
        forms::create(&store, &kawaguchi, "kawaguchi", &draft("kawaguchi-privacy"))
            .await
            .unwrap();
        let member = member_of(&store, "kawaguchi-01", "ceo@kawaguchi-01.example.jp").await;
        let answer = RawAnswers::default()
            .with("successor", "no")
            .with("employees", "45");
        forms::submit(
            &store,
            &member,
            "kawaguchi-privacy",
            "kawaguchi-01",
            &answer,
        )
        .await
        .unwrap();

        // The company exports its own answers; another city's staff get none of them.
        let own = store::privacy::export_company(&store, &member, "kawaguchi-01")
            .await
            .unwrap();
        assert!(
            own.responses.iter().any(|r| r.form == "kawaguchi-privacy"),
            "{backend:?}"
        );
        let other = store::privacy::export_company(&store, &sumida, "kawaguchi-01")
            .await
            .unwrap();
        assert!(
            other
                .responses
                .iter()
                .all(|r| r.form != "kawaguchi-privacy")
        );

        // Deleting on request: the owner's staff only, with a reason, into the audit log.
        assert!(matches!(
            store::privacy::delete_response(
                &store,
                &sumida,
                "kawaguchi-privacy",
                "kawaguchi-01",
                "依頼"
            )
            .await,
            Err(StoreError::Forbidden { .. })
        ));
        assert!(matches!(
            store::privacy::delete_response(
                &store,
                &kawaguchi,
                "kawaguchi-privacy",
                "kawaguchi-01",
                " "
            )
            .await,
            Err(StoreError::Invalid(_))
        ));
        store::privacy::delete_response(
            &store,
            &kawaguchi,
            "kawaguchi-privacy",
            "kawaguchi-01",
            "2026-11-20 社長より電話で依頼",
        )
        .await
        .unwrap();
        assert!(matches!(
            forms::response(&store, &kawaguchi, "kawaguchi-privacy", "kawaguchi-01").await,
            Err(StoreError::NotFound { .. })
        ));
        let (secretariat, _) = store::accounts::create_user(
            &store,
            None,
            &new_user("office@council.example.jp", "secretariat", "council"),
        )
        .await
        .unwrap();
        let secretariat = secretariat.actor();
        let (log, _) =
            store::audit::list(&store, &secretariat, &store::audit::AuditFilter::default())
                .await
                .unwrap();
        assert!(log.iter().any(|e| e.action == "delete"
            && e.summary.contains("社長より電話で依頼")
            && !e.summary.contains("45")));

        // Retention: answers older than the period go; newer ones stay.
        store::privacy::set_retention(&store, &kawaguchi, "kawaguchi-privacy", Some(365))
            .await
            .unwrap();
        forms::submit(
            &store,
            &member,
            "kawaguchi-privacy",
            "kawaguchi-01",
            &answer,
        )
        .await
        .unwrap();
        let now = chrono::Utc::now();
        assert_eq!(store::privacy::purge_expired(&store, now).await.unwrap(), 0);
        let later = now + chrono::Duration::days(366);
        assert_eq!(
            store::privacy::purge_expired(&store, later).await.unwrap(),
            1
        );
        assert_eq!(
            forms::counts(&store, "kawaguchi-privacy").await.unwrap(),
            (0, 0)
        );
    })
    .await;
}

/// A backup taken while another task keeps writing holds every write acknowledged
/// before the backup began; restored into a new database, it opens and reads.
#[tokio::test]
async fn a_backup_taken_while_writes_continue_holds_every_write_acknowledged_before_it() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    for backend in store::testing::backends() {
        let database = store::testing::TestDatabase::create(backend).await.unwrap();
        let store = database.store().await.unwrap();
        let staff = staff_of(&store, "kawaguchi", "staff@city.kawaguchi.example.jp").await;
        let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (store, staff) = (store.clone(), staff.clone());
            let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    let key = format!("write-{n:04}");
                    forms::create(&store, &staff, "kawaguchi", &draft(&key))
                        .await
                        .unwrap();
                    acknowledged.lock().unwrap().push(key);
                    n += 1;
                }
            })
        };
        while acknowledged.lock().unwrap().len() < 30 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let before: Vec<String> = acknowledged.lock().unwrap().clone();
        let dir = std::env::temp_dir().join(format!(
            "renkei-backup-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("renkei.backup");
        let report = store::backup::backup(&store, &database.url, &path)
            .await
            .unwrap();
        assert!(report.bytes > 0);
        // Writes went on during the backup; then stop.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        stop.store(true, Ordering::SeqCst);
        writer.await.unwrap();
        let total = acknowledged.lock().unwrap().len();
        assert!(total > before.len(), "{backend:?}: writes continued");
        // A second backup to the same path is refused rather than overwriting.
        assert!(
            store::backup::backup(&store, &database.url, &path)
                .await
                .is_err()
        );

        let target = store::testing::TestDatabase::create(backend).await.unwrap();
        store::backup::restore(&target.url, &path).await.unwrap();
        let restored = store::Store::connect(&target.url).await.unwrap();
        let keys: Vec<String> = forms::list(&restored)
            .await
            .unwrap()
            .into_iter()
            .map(|f| f.key)
            .collect();
        for key in &before {
            assert!(
                keys.contains(key),
                "{backend:?}: {key} acknowledged before the backup"
            );
        }
        eprintln!(
            "{backend:?}: {} writes acknowledged before the backup, {total} in all; restored copy holds {} forms ({} bytes)",
            before.len(),
            keys.len(),
            report.bytes
        );
        // The wrong kind of file is refused with a reason.
        let wrong = dir.join("wrong.txt");
        std::fs::write(&wrong, "not a backup").unwrap();
        assert!(store::backup::restore(&target.url, &wrong).await.is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
