//! Store tests on a fresh database each, on SQLite and (with RENKEI_TEST_POSTGRES)
//! on PostgreSQL: migrations, the council's data, authorisation and the audit log.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use domain::catalogue::{EntryDraft, EntryInput, InitiativeDraft, InitiativeInput, KpiInput};
use domain::{Actor, EntryStatus, FiscalYear, Pillar, Role};
use store::accounts::{self, NewUser};
use store::catalogue::{self, Filter};
use store::testing::{TestDatabase, backends};
use store::{Backend, Store, StoreError};

mod applications;
mod bulk;
mod cluster;
mod demo;
mod directory;
mod events;
mod fairs;
mod forms;
mod invitations;
mod network;
mod notices;
mod outbox;
mod recovery;
mod signup;
mod sql;
mod surveys;

async fn each_backend<F, Fut>(test: F)
where
    F: Fn(Store, Backend) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in backends() {
        let database = TestDatabase::create(backend).await.expect("test database");
        let store = database.store().await.expect("migrated store");
        test(store, backend).await;
    }
}

/// A member of a company of the directory, as an actor.
async fn member_of(store: &Store, company: &str, email: &str) -> Actor {
    let new = NewUser {
        company: company.into(),
        ..new_user(email, "company", "")
    };
    let (user, _) = accounts::create_user(store, None, &new)
        .await
        .expect("company member created");
    user.actor()
}

fn new_user(email: &str, role: &str, organisation: &str) -> NewUser {
    NewUser {
        email: email.into(),
        display_name: String::new(),
        role: role.into(),
        organisation: organisation.into(),
        company: String::new(),
    }
}

async fn initiatives_of(store: &Store, organisation: &str) -> Vec<catalogue::Initiative> {
    let filter = Filter {
        organisation: Some(organisation.into()),
        ..Default::default()
    };
    catalogue::list(store, &filter).await.unwrap()
}

async fn staff_of(store: &Store, organisation: &str, email: &str) -> Actor {
    let (user, _) = accounts::create_user(store, None, &new_user(email, "staff", organisation))
        .await
        .expect("user created");
    user.actor()
}

fn kpi(label: &str, value: &str, unit: &str) -> KpiInput {
    KpiInput {
        label: label.into(),
        value: value.into(),
        unit: unit.into(),
        note: String::new(),
    }
}

#[tokio::test]
async fn migrations_run_once_and_seed_only_an_empty_database() {
    each_backend(|store, backend| async move {
        assert!(
            store::migrate::run(&store).await.unwrap().is_empty(),
            "{backend:?}: second run applies nothing"
        );
        assert!(
            !store.prepare().await.unwrap(),
            "{backend:?}: seed not loaded twice"
        );
    })
    .await;
}

#[tokio::test]
async fn the_council_data_has_every_city_organisation_and_figure_of_the_document() {
    each_backend(|store, backend| async move {
        let directory = store::organisations::directory(&store).await.unwrap();
        let codes: Vec<(&str, &str)> = directory
            .cities
            .iter()
            .map(|c| (c.name.as_str(), c.local_gov_code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                ("川口市", "112038"),
                ("墨田区", "131075"),
                ("大田区", "131113"),
                ("岡谷市", "202045"),
                ("加賀市", "172065"),
                ("東大阪市", "272272"),
                ("尼崎市", "282022")
            ],
            "{backend:?}"
        );
        let names: Vec<&str> = directory
            .organisations
            .iter()
            .map(|o| o.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "中小企業都市連絡協議会",
                "川口市",
                "川口商工会議所",
                "墨田区",
                "東京商工会議所墨田支部",
                "大田区",
                "岡谷市",
                "加賀市",
                "加賀商工会議所",
                "東大阪市",
                "尼崎市"
            ]
        );
        let initiatives = catalogue::list(&store, &Filter::default()).await.unwrap();
        let figures: Vec<(String, f64, String)> = initiatives
            .iter()
            .flat_map(|i| &i.entries)
            .flat_map(|e| &e.kpis)
            .map(|k| (k.label.clone(), k.value.get(), k.unit.clone()))
            .collect();
        for (value, unit) in [
            (1000.0, "事業所"),
            (6.0, "製品"),
            (4.0, "技術"),
            (36.0, "企業"),
            (58.0, "商談"),
            (21.0, "件"),
            (5.0, "件"),
            (35.0, "社"),
            (20.0, "社"),
            (1.0, "施設"),
        ] {
            assert!(
                figures.iter().any(|(_, v, u)| *v == value && u == unit),
                "{backend:?}: KPI {value}{unit} missing from {figures:?}"
            );
        }
        let fy2016 = FiscalYear::new(2016).unwrap();
        let fy2017 = FiscalYear::new(2017).unwrap();
        let done_2016 = catalogue::list(
            &store,
            &Filter {
                fy: Some(fy2016),
                status: Some(EntryStatus::Done),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let planned_2017 = catalogue::list(
            &store,
            &Filter {
                fy: Some(fy2017),
                status: Some(EntryStatus::Planned),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(
            done_2016.len() >= 20 && planned_2017.len() >= 20,
            "{} {}",
            done_2016.len(),
            planned_2017.len()
        );
        let kaga = initiatives_of(&store, "kaga").await;
        assert!(
            kaga.iter().any(|i| i
                .entry(fy2017)
                .is_some_and(|e| e.status == EntryStatus::Undecided)),
            "加賀市 29年度 未定"
        );
    })
    .await;
}

#[tokio::test]
async fn filters_by_city_pillar_and_japanese_text_find_the_right_initiatives() {
    each_backend(|store, _| async move {
        let ota = catalogue::list(
            &store,
            &Filter {
                city: Some("ota".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(!ota.is_empty());
        assert!(ota.iter().all(|i| i.organisation.key == "ota"));
        let routing = catalogue::list(
            &store,
            &Filter {
                q: "なかままわし".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(
            routing.is_empty(),
            "hiragana of a kanji word does not match by reading"
        );
        let routing = catalogue::list(
            &store,
            &Filter {
                q: "仲間まわし".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(routing.len(), 1);
        let katakana = catalogue::list(
            &store,
            &Filter {
                q: "せみなー".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(katakana.iter().any(|i| i.title.contains("セミナー")));
        let pillar3 = catalogue::list(
            &store,
            &Filter {
                pillar: Some(Pillar::BusinessEnvironment),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(
            pillar3
                .iter()
                .all(|i| i.pillars.contains(&Pillar::BusinessEnvironment))
        );
        assert!(pillar3.iter().any(|i| i.organisation.key == "kaga"));
    })
    .await;
}

#[tokio::test]
async fn staff_of_sumida_cannot_edit_an_ota_initiative_and_nothing_changes() {
    each_backend(|store, backend| async move {
        let sumida = staff_of(&store, "墨田区", "staff@sumida.example.jp").await;
        let ota_initiative = initiatives_of(&store, "ota").await.remove(0);
        let draft = InitiativeDraft::parse(&InitiativeInput {
            title: "書き換え".into(),
            pillars: vec!["1".into()],
            ..Default::default()
        })
        .unwrap();
        let refused = catalogue::update(&store, &sumida, &ota_initiative.key, &draft).await;
        assert!(
            matches!(refused, Err(StoreError::Forbidden { .. })),
            "{backend:?}: {refused:?}"
        );
        let refused = catalogue::delete(&store, &sumida, &ota_initiative.key).await;
        assert!(matches!(refused, Err(StoreError::Forbidden { .. })));
        let refused = catalogue::create(&store, &sumida, "ota", &draft).await;
        assert!(matches!(refused, Err(StoreError::Forbidden { .. })));
        let after = catalogue::get(&store, &ota_initiative.key).await.unwrap();
        assert_eq!(after, ota_initiative, "{backend:?}: nothing half-written");
    })
    .await;
}

#[tokio::test]
async fn an_ota_staff_edit_of_a_kpi_is_saved_and_audited_with_before_and_after() {
    each_backend(|store, backend| async move {
        let ota = staff_of(&store, "大田区", "staff@ota.example.jp").await;
        let initiative = initiatives_of(&store, "ota").await.remove(0);
        let fy = FiscalYear::new(2017).unwrap();
        let draft = EntryDraft::parse(&EntryInput {
            fy: "平成29年度".into(),
            status: "planned".into(),
            summary: "実証実験の拡大".into(),
            kpis: vec![kpi("参加工場数", "12", "工場")],
        })
        .unwrap();
        let editing = initiative.entry(fy).map(|_| fy);
        let saved = catalogue::save_entry(&store, &ota, &initiative.key, editing, &draft)
            .await
            .unwrap();
        let kpis = &saved.entry(fy).unwrap().kpis;
        assert_eq!(
            (
                kpis[0].label.as_str(),
                kpis[0].value.get(),
                kpis[0].unit.as_str()
            ),
            ("参加工場数", 12.0, "工場")
        );

        let secretariat = Actor {
            user_id: 0,
            email: "admin".into(),
            role: Role::Secretariat,
            organisation_id: None,
            company_id: None,
        };
        let (log, _) = store::audit::list(&store, &secretariat, &Default::default())
            .await
            .unwrap();
        let newest = &log[0];
        assert_eq!(newest.user_email, "staff@ota.example.jp", "{backend:?}");
        assert_eq!(newest.entity, "fiscal_entry");
        assert!(newest.after_json.as_deref().unwrap().contains("参加工場数"));
        assert!(
            !newest
                .before_json
                .as_deref()
                .unwrap()
                .contains("参加工場数")
        );
        let refused = store::audit::list(&store, &ota, &Default::default()).await;
        assert!(
            matches!(refused, Err(StoreError::Forbidden { .. })),
            "staff do not read the audit log"
        );
    })
    .await;
}

#[tokio::test]
async fn moving_an_entry_onto_a_year_that_exists_is_a_conflict_not_an_overwrite() {
    each_backend(|store, _| async move {
        let ota = staff_of(&store, "ota", "staff2@ota.example.jp").await;
        let initiative = initiatives_of(&store, "ota")
            .await
            .into_iter()
            .find(|i| i.entries.len() >= 2)
            .expect("an ota initiative with two years");
        let draft = EntryDraft::parse(&EntryInput {
            fy: "2017".into(),
            status: "done".into(),
            ..Default::default()
        })
        .unwrap();
        let result = catalogue::save_entry(
            &store,
            &ota,
            &initiative.key,
            Some(FiscalYear::new(2016).unwrap()),
            &draft,
        )
        .await;
        assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
        assert_eq!(
            catalogue::get(&store, &initiative.key).await.unwrap(),
            initiative
        );
    })
    .await;
}

#[tokio::test]
async fn logins_are_refused_after_five_failures_even_with_the_right_password() {
    each_backend(|store, _| async move {
        let (_, password) = accounts::create_user(
            &store,
            None,
            &new_user("kaga@example.jp", "staff", "加賀市"),
        )
        .await
        .unwrap();
        assert!(
            accounts::login(&store, "KAGA@example.jp", &password, "10.0.0.1")
                .await
                .is_ok(),
            "e-mail is case-insensitive"
        );
        for _ in 0..5 {
            assert!(matches!(
                accounts::login(&store, "kaga@example.jp", "wrong", "10.0.0.1").await,
                Err(StoreError::BadCredentials)
            ));
        }
        let locked = accounts::login(&store, "kaga@example.jp", &password, "10.0.0.1").await;
        assert!(
            matches!(locked, Err(StoreError::RateLimited { .. })),
            "{locked:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn accounts_need_a_known_organisation_a_valid_email_and_a_unique_address() {
    each_backend(|store, _| async move {
        let bad =
            accounts::create_user(&store, None, &new_user("not-an-email", "boss", "横浜市")).await;
        let Err(StoreError::Invalid(errors)) = bad else {
            panic!("{bad:?}")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "role", "organisation"]);
        staff_of(&store, "ota", "dup@example.jp").await;
        let duplicate =
            accounts::create_user(&store, None, &new_user("Dup@Example.jp", "staff", "ota")).await;
        assert!(matches!(duplicate, Err(StoreError::Conflict(_))));
        let secretariat_elsewhere = accounts::create_user(
            &store,
            None,
            &new_user("s@example.jp", "secretariat", "ota"),
        )
        .await;
        assert!(matches!(secretariat_elsewhere, Err(StoreError::Invalid(_))));
    })
    .await;
}

#[tokio::test]
async fn the_annual_report_follows_the_document_structure_and_shows_edits() {
    each_backend(|store, _| async move {
        let years = [
            FiscalYear::new(2017).unwrap(),
            FiscalYear::new(2016).unwrap(),
        ];
        let report = store::report::annual(&store, &years).await.unwrap();
        assert_eq!(
            report.fiscal_years,
            [
                FiscalYear::new(2016).unwrap(),
                FiscalYear::new(2017).unwrap()
            ]
        );
        assert_eq!(report.council[0].fy.year(), 2016);
        assert_eq!(
            report.council[0].items.len(),
            3,
            "three council-wide projects in 平成28年度"
        );
        let order: Vec<&str> = report
            .organisations
            .iter()
            .map(|o| o.organisation.name.as_str())
            .collect();
        assert_eq!(order[0], "川口市");
        assert_eq!(order.last(), Some(&"尼崎市"));
        assert_eq!(order.len(), 10, "every city and chamber");
        let kawaguchi_city = &report.city_overview[0];
        assert_eq!(kawaguchi_city.city_name, "川口市");
        let kawaguchi_orgs: u32 = report
            .overview
            .iter()
            .filter(|r| r.organisation.key.starts_with("kawaguchi"))
            .map(|r| r.kpi_count)
            .sum();
        assert_eq!(
            kawaguchi_city.kpi_count, kawaguchi_orgs,
            "川口市 sums the city and its chamber"
        );
        assert!(
            kawaguchi_city.kpi_count >= 5,
            "1,000事業所, 6製品, 4技術, 36企業, 58商談"
        );
        let kawaguchi_cci = &report.organisations[1];
        let pillars: Vec<Pillar> = kawaguchi_cci.pillars.iter().map(|p| p.pillar).collect();
        assert_eq!(
            pillars,
            Pillar::ALL,
            "川口商工会議所 reports under all three pillars, in order"
        );
        let ota = staff_of(&store, "ota", "report@ota.example.jp").await;
        let initiative = initiatives_of(&store, "ota").await.remove(0);
        let draft = InitiativeDraft::parse(&InitiativeInput {
            title: "IoT仲間まわし（改訂）".into(),
            pillars: vec!["1".into()],
            ..Default::default()
        })
        .unwrap();
        catalogue::update(&store, &ota, &initiative.key, &draft)
            .await
            .unwrap();
        let report = store::report::annual(&store, &years).await.unwrap();
        let titles: Vec<&str> = report
            .organisations
            .iter()
            .flat_map(|o| &o.pillars)
            .flat_map(|p| &p.years)
            .flat_map(|y| &y.items)
            .map(|i| i.title.as_str())
            .collect();
        assert!(titles.contains(&"IoT仲間まわし（改訂）"));
    })
    .await;
}

#[tokio::test]
async fn a_signed_in_account_reads_with_its_organisation_and_two_step_state() {
    each_backend(|store, backend| async move {
        let (email, _) = accounts::ensure_first_admin(&store).await.unwrap().unwrap();
        let staff = staff_of(&store, "ota", "two-step@city.ota.example.jp").await;
        let read = |id| {
            let store = store.clone();
            async move { accounts::user_by_id(&store, id).await.unwrap().unwrap() }
        };
        let user = read(staff.user_id).await;
        assert_eq!(user.organisation_name, "大田区", "{backend:?}");
        assert!(!user.organisation_requires_two_step && !user.two_step_enrolled);

        // 大田区 requires two-step sign-in: its staff are sent to enrol.
        store::two_step::set_required(&store, &staff, "ota", true)
            .await
            .unwrap();
        let user = read(staff.user_id).await;
        assert!(user.organisation_requires_two_step && !user.two_step_enrolled);

        // Enrolled with a code computed from the secret, as an app does.
        let secret = store::two_step::new_secret();
        let bytes = totp_rs::Secret::Encoded(secret.clone()).to_bytes().unwrap();
        let code = totp_rs::TOTP::new_unchecked(
            totp_rs::Algorithm::SHA1,
            6,
            1,
            30,
            bytes,
            None,
            String::new(),
        )
        .generate_current()
        .unwrap();
        store::two_step::enrol(&store, &staff, &secret, &code)
            .await
            .unwrap();
        let user = read(staff.user_id).await;
        assert!(user.two_step_enrolled, "{backend:?}");
        assert_eq!(user.organisation_name, "大田区");

        // The secretariat of the council, which does not require it.
        let admin = accounts::find_by_email(&store, &email)
            .await
            .unwrap()
            .unwrap();
        let user = read(admin.id).await;
        assert!(!user.organisation_name.is_empty() && user.organisation_name != "大田区");
        assert!(!user.organisation_requires_two_step && !user.two_step_enrolled);
    })
    .await;
}
