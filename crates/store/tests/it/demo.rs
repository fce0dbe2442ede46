//! The demonstration data tells the truth: dated from its records, nothing repeated,
//! invented records kept out of the council's figures (issue 17, item 1).

use std::collections::HashSet;

use chrono::NaiveDate;
use domain::{Actor, FiscalYear, Role};
use store::activity::{self, ActivityFilter};
use store::companies::{self, CompanyFilter};
use store::{catalogue, events, forms, negotiations, network, offices, people, seed_network};

use crate::each_backend;

fn secretariat() -> Actor {
    Actor {
        user_id: 0,
        email: "test".into(),
        role: Role::Secretariat,
        organisation_id: None,
        company_id: None,
    }
}

/// 平成28年度 to 平成29年度: the records' range.
fn in_the_records(day: NaiveDate) -> bool {
    (NaiveDate::from_ymd_opt(2016, 4, 1).unwrap()..=NaiveDate::from_ymd_opt(2018, 3, 31).unwrap())
        .contains(&day)
}

#[tokio::test]
async fn the_activity_is_dated_from_the_records_distinct_and_names_each_company_once() {
    each_backend(|store, backend| async move {
        let items = activity::recent(&store, &ActivityFilter::default(), 500)
            .await
            .unwrap();
        assert!(items.len() >= 30, "{backend:?}: {}", items.len());
        for item in &items {
            let day = domain::time::japan_day(item.at);
            assert!(
                in_the_records(day),
                "{backend:?}: {} 「{}」 is dated {day}, outside 平成28・29年度",
                item.id,
                item.title
            );
        }
        let lines: HashSet<(String, String)> = items
            .iter()
            .map(|i| (i.title.clone(), i.summary.clone()))
            .collect();
        assert_eq!(
            lines.len(),
            items.len(),
            "{backend:?}: repeated activity lines"
        );
        // Loading the data changes no initiative: the KPIs are the document's.
        assert!(
            items.iter().all(|i| i.kind != "initiative"),
            "{backend:?}: the load wrote into an initiative"
        );
        let award = items
            .iter()
            .find(|i| i.path == "/registry/amagasaki-100nen-2016-amagasaki-14")
            .expect("the 難波鉄工所 award");
        assert_eq!(award.title, "株式会社難波鉄工所", "{backend:?}");
        assert_eq!(domain::time::japan_day(award.at).to_string(), "2016-09-30");
        for item in &items {
            for company in ["株式会社", "有限会社"] {
                if let Some(first) = item.title.find(company) {
                    let name: String = item.title[first..]
                        .chars()
                        .take_while(|c| !matches!(c, '（' | '）'))
                        .collect();
                    assert_eq!(
                        item.title.matches(name.as_str()).count(),
                        1,
                        "{backend:?}: 「{}」 names its company twice",
                        item.title
                    );
                }
            }
        }
        // Past events went ahead: none of them reads 開催予定.
        let event = items
            .iter()
            .find(|i| i.path == "/events/ota-2016-open-factory")
            .unwrap();
        assert!(event.summary.starts_with("開催済み"), "{}", event.summary);
        let seeded = events::get(&store, "kawaguchi-cci-2016-matching-fair", false)
            .await
            .unwrap();
        assert_eq!(
            domain::time::japan_day(seeded.updated_at).to_string(),
            "2017-02-08"
        );
    })
    .await;
}

#[tokio::test]
async fn every_company_exists_once_and_invented_ones_are_marked() {
    each_backend(|store, backend| async move {
        let page = companies::list(
            &store,
            Some(&secretariat()),
            &CompanyFilter {
                include_closed: true,
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let names: Vec<&str> = page.companies.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names.iter().filter(|n| **n == "株式会社本所工業").count(),
            1,
            "{backend:?}"
        );
        let distinct: HashSet<&str> = names.iter().copied().collect();
        assert_eq!(distinct.len(), names.len(), "{backend:?}: a company twice");
        assert!(
            page.companies
                .iter()
                .all(|c| store::demo::is_demo_company(&c.source)),
            "{backend:?}: every seeded company is invented and marked デモ"
        );
    })
    .await;
}

#[tokio::test]
async fn the_58_negotiations_follow_their_fair_and_surveys_and_offices_match_the_document() {
    each_backend(|store, backend| async move {
        let fair = events::get(&store, "kawaguchi-cci-2016-matching-fair", false)
            .await
            .unwrap();
        let fair_day = fair.time.first_day();
        let all = negotiations::list(&store, &secretariat()).await.unwrap();
        let at_the_fair: Vec<_> = all
            .iter()
            .filter(|n| n.owner.key == "kawaguchi-cci")
            .collect();
        assert_eq!(at_the_fair.len(), 58, "{backend:?}");
        for n in at_the_fair {
            assert!(
                n.started_on >= fair_day && n.steps.iter().all(|s| s.on_date >= fair_day),
                "{backend:?}: {} starts {} before its fair on {fair_day}",
                n.key,
                n.started_on
            );
            assert!(
                FiscalYear::containing(n.started_on).year() == 2016,
                "{}",
                n.key
            );
        }

        let survey = forms::list(&store)
            .await
            .unwrap()
            .into_iter()
            .find(|f| f.owner.key == "kaga-cci")
            .expect("加賀商工会議所's survey");
        assert_eq!(survey.title, "事業承継の実態調査");
        let opens = survey.period.opens_on.unwrap();
        assert_eq!(
            FiscalYear::containing(opens).year(),
            2017,
            "平成29年度 as the document says"
        );

        // One name per place: an office that is also a facility has the same name.
        let facilities = people::facilities(&store, None).await.unwrap();
        for office in offices::list(&store).await.unwrap() {
            if let Some(f) = facilities
                .iter()
                .find(|f| f.city.key == office.city_key && f.kind == "share_office")
            {
                assert_eq!(f.name, office.name, "{backend:?}");
            }
        }
        assert!(facilities.iter().all(|f| !f.name.contains("（例）")));
    })
    .await;
}

#[tokio::test]
async fn the_council_kpis_keep_the_documents_figures_and_one_demo_call_is_open() {
    each_backend(|store, backend| async move {
        let brand = catalogue::get(&store, "kawaguchi-cci-imono-iwaza-brand")
            .await
            .unwrap();
        let fy2016 = brand.entry(FiscalYear::new(2016).unwrap()).unwrap();
        for kpi in &fy2016.kpis {
            assert!(
                !kpi.note.contains("認定記録") && !kpi.note.contains("デモ"),
                "{backend:?}: {} counted from demonstration records",
                kpi.label
            );
        }
        let today = domain::time::japan_today();
        let open: Vec<_> = forms::list(&store)
            .await
            .unwrap()
            .into_iter()
            .filter(|f| {
                f.period.opens_on.is_none_or(|d| d <= today)
                    && f.period.closes_on.is_some_and(|d| d >= today)
                    && f.award_year.is_some()
            })
            .collect();
        assert_eq!(open.len(), 1, "{backend:?}");
        assert!(open[0].title.starts_with("【デモ】"), "{}", open[0].title);
    })
    .await;
}

#[tokio::test]
async fn the_demo_network_has_jobs_in_progress() {
    each_backend(|store, backend| async move {
        assert_eq!(seed_network::load_if_empty(&store).await.unwrap(), 3);
        assert_eq!(seed_network::load_if_empty(&store).await.unwrap(), 0);
        let board = network::board(&store, &secretariat()).await.unwrap();
        assert_eq!(board.jobs.len(), 3, "{backend:?}");
        assert!(board.jobs.iter().all(|j| j.name.starts_with("【デモ】")));
        let operations: Vec<_> = board.jobs.iter().flat_map(|j| &j.operations).collect();
        let running = operations
            .iter()
            .filter(|o| o.started_at.is_some() && o.finished_at.is_none())
            .count();
        let done = operations
            .iter()
            .filter(|o| o.finished_at.is_some())
            .count();
        assert_eq!((running, done), (2, 1), "{backend:?}");
        assert!(board.jobs.iter().all(|j| !j.is_finished()));
        assert!(operations.iter().all(|o| o.machine_id.is_some()));
    })
    .await;
}

#[tokio::test]
async fn demo_applications_go_into_review_on_a_day_of_the_records_after_submission() {
    each_backend(|store, backend| async move {
        let mut checked = 0;
        for (call, owner) in [
            ("okaya-monozukuri-challenge-2017", "okaya"),
            ("kawaguchi-ginou-kentei-2017", "kawaguchi"),
            ("kawaguchi-consultant-2017", "kawaguchi"),
        ] {
            let staff =
                crate::staff_of(&store, owner, &format!("review-{call}@{owner}.example.jp")).await;
            let today = domain::time::japan_today();
            let mut days = HashSet::new();
            for summary in store::applications::for_call(&store, &staff, call, None)
                .await
                .unwrap()
            {
                let application = store::applications::get(&store, &staff, summary.id)
                    .await
                    .unwrap();
                let submitted = domain::time::japan_day(summary.submitted_at.unwrap());
                for step in application
                    .history
                    .iter()
                    .filter(|t| t.to == domain::applications::ApplicationStatus::InReview)
                {
                    let day = domain::time::japan_day(step.at);
                    assert!(
                        day > submitted
                            && day != today
                            && FiscalYear::containing(day) == FiscalYear::containing(submitted),
                        "{backend:?}: {call} {} went into review on {day}, submitted {submitted}",
                        summary.company_key
                    );
                    if let Some(decided) = application.decided_at {
                        assert!(day < domain::time::japan_day(decided), "{call}");
                    }
                    days.insert(day);
                    checked += 1;
                }
            }
            assert!(
                !days.is_empty(),
                "{backend:?}: {call} has applications in review"
            );
        }
        assert!(checked >= 4, "{backend:?}: {checked}");
    })
    .await;
}

#[tokio::test]
async fn invented_people_and_negotiations_are_marked_and_kept_out_of_the_kpis() {
    each_backend(|store, backend| async move {
        let everyone = people::list(&store, Some(&secretariat()), &[])
            .await
            .unwrap();
        assert!(!everyone.is_empty());
        assert!(
            everyone.iter().all(|p| p.demo),
            "{backend:?}: every seeded person is invented"
        );
        let all = negotiations::list(&store, &secretariat()).await.unwrap();
        assert_eq!(all.len(), 79, "{backend:?}");
        assert!(all.iter().all(|n| n.demo), "{backend:?}");
        assert_eq!(
            negotiations::invented(&store, Some(FiscalYear::new(2016).unwrap()))
                .await
                .unwrap(),
            79
        );
        // Feeding the fair's initiative from invented 商談 is refused; its KPI stays
        // the document's 延べ58商談.
        let refused = negotiations::feed_kpis(
            &store,
            &secretariat(),
            "kawaguchi-cci-matching-fair",
            FiscalYear::new(2016).unwrap(),
        )
        .await;
        assert!(
            matches!(refused, Err(store::StoreError::Invalid(_))),
            "{backend:?}: {refused:?}"
        );
        let fair = catalogue::get(&store, "kawaguchi-cci-matching-fair")
            .await
            .unwrap();
        let kpis = &fair.entry(FiscalYear::new(2016).unwrap()).unwrap().kpis;
        assert!(
            kpis.iter().any(|k| k.value.get() == 58.0),
            "{backend:?}: {kpis:?}"
        );
        assert!(kpis.iter().all(|k| !k.note.contains("記録から集計")));
        // The invented offices are marked, the one the document names is not.
        for office in offices::list(&store).await.unwrap() {
            assert_eq!(
                office.demo,
                office.key != "amagasaki-abiz",
                "{backend:?}: {}",
                office.key
            );
        }
    })
    .await;
}

#[tokio::test]
async fn real_negotiations_are_written_into_kpis_and_invented_ones_left_out() {
    each_backend(|store, backend| async move {
        use domain::directory::{CompanyDraft, CompanyInput, PostingDraft, PostingInput};
        use store::negotiations::Supplier;
        use store::postings::{self, Poster};

        let ota = crate::staff_of(&store, "ota", "kpi@city.ota.example.jp").await;
        let cities = [
            "kawaguchi",
            "sumida",
            "ota",
            "okaya",
            "kaga",
            "higashiosaka",
            "amagasaki",
        ];
        let draft = CompanyDraft::parse(
            &CompanyInput {
                name: "株式会社実在確認".into(),
                kana: "ジツザイカクニン".into(),
                city: "ota".into(),
                public: true,
                ..CompanyInput::default()
            },
            &cities,
            2026,
        )
        .unwrap();
        let real = companies::create(&store, &ota, &draft, "manual")
            .await
            .unwrap();
        assert!(!store::demo::is_demo_company(&real.source));
        let need = PostingDraft::parse(
            &PostingInput {
                side: "need".into(),
                kind: "business".into(),
                title: "試作部品の切削".into(),
                body: "アルミ部品の試作を頼める会社を探しています。".into(),
                poster_name: "大田区".into(),
                capabilities: vec!["cutting".into()],
                prefer_other_cities: true,
                public: true,
                ..Default::default()
            },
            &cities,
        )
        .unwrap();
        let posted = postings::create(&store, &ota, &Poster::Organisation("ota".into()), &need)
            .await
            .unwrap();
        let on = NaiveDate::from_ymd_opt(2016, 11, 1).unwrap();
        let fy = FiscalYear::new(2016).unwrap();
        let proposed = negotiations::propose(
            &store,
            &ota,
            &posted.key,
            &Supplier::Company(real.key.clone()),
            on,
            "",
        )
        .await
        .unwrap();
        assert!(!proposed.demo, "{backend:?}: a real company's 商談");
        let invented = negotiations::propose(
            &store,
            &ota,
            &posted.key,
            &Supplier::Company("ota-06".into()),
            on,
            "",
        )
        .await
        .unwrap();
        assert!(invented.demo, "{backend:?}: an invented company's 商談");
        let figures = negotiations::feed_kpis(&store, &ota, "ota-iot-nakamamawashi", fy)
            .await
            .unwrap();
        assert_eq!(
            figures.matches, 1,
            "{backend:?}: the invented 商談 is left out"
        );
        let initiative = catalogue::get(&store, "ota-iot-nakamamawashi")
            .await
            .unwrap();
        let kpi = initiative
            .entry(fy)
            .unwrap()
            .kpis
            .iter()
            .find(|k| k.label == "マッチング件数")
            .cloned()
            .unwrap();
        assert_eq!(kpi.value.get(), 1.0);
        assert!(kpi.note.contains("デモデータ1件を除く"), "{}", kpi.note);
    })
    .await;
}
