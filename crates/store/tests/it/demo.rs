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
