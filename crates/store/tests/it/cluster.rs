//! Several processes on one database: two stores (two connection pools, as two
//! `renkei serve` would have) starting or running their passes at the same moment.
//! Each migration is applied once, the council's data loaded once, a database from a
//! newer binary refused, and the passes that must run once run once.

use std::collections::HashSet;

use sea_orm::{ConnectionTrait, Statement};
use store::testing::{TestDatabase, backends};
use store::{Backend, Store, StoreError};

/// Two stores on one new, empty database.
async fn two_processes(backend: Backend) -> (TestDatabase, Store, Store) {
    let database = TestDatabase::create(backend).await.unwrap();
    let a = Store::connect(&database.url).await.unwrap();
    let b = Store::connect(&database.url).await.unwrap();
    (database, a, b)
}

async fn count(store: &Store, sql: &str) -> i64 {
    let row = store
        .connection()
        .query_one(Statement::from_string(
            store.connection().get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn two_processes_migrating_a_new_database_together_apply_each_migration_once() {
    for backend in backends() {
        let (_database, a, b) = two_processes(backend).await;
        let (first, second) = tokio::join!(store::migrate::run(&a), store::migrate::run(&b));
        let (first, second) = (first.unwrap(), second.unwrap());
        let both: HashSet<i64> = first.iter().chain(&second).copied().collect();
        assert_eq!(
            first.len() + second.len(),
            both.len(),
            "{backend:?}: no migration applied by both ({first:?} / {second:?})"
        );
        assert_eq!(
            both.iter().max().copied(),
            Some(store::migrate::newest_known()),
            "{backend:?}"
        );
        assert_eq!(
            count(&a, "SELECT COUNT(*) FROM schema_migrations").await,
            i64::try_from(both.len()).unwrap(),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn two_processes_starting_together_on_postgresql_load_the_council_data_once() {
    // SQLite is one machine's file: the cluster runs on PostgreSQL (on SQLite the
    // migrations are serialised by the write lock, the seeds are not: `renkei migrate`
    // before starting several processes).
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let (_database, a, b) = two_processes(Backend::Postgres).await;
    let (first, second) = tokio::join!(a.prepare(), b.prepare());
    let seeded = [first.unwrap(), second.unwrap()];
    assert_eq!(
        seeded.iter().filter(|s| **s).count(),
        1,
        "exactly one process loads the council's data: {seeded:?}"
    );
    assert_eq!(count(&a, "SELECT COUNT(*) FROM organisations").await, 11);
    let (admin_a, admin_b) = tokio::join!(
        a.while_starting(|| store::accounts::ensure_first_admin(&a)),
        b.while_starting(|| store::accounts::ensure_first_admin(&b)),
    );
    let created = [admin_a.unwrap(), admin_b.unwrap()];
    assert_eq!(
        created.iter().filter(|c| c.is_some()).count(),
        1,
        "one first administrator, and no process fails to start"
    );
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_binary_is_refused_with_a_clear_message() {
    for backend in backends() {
        let database = TestDatabase::create(backend).await.unwrap();
        let store = database.store().await.unwrap();
        // The rehearsal's binary applies its extra migration once, under the lock.
        let applied = store::migrate::run_with(&store, &[store::migrate::REHEARSAL])
            .await
            .unwrap();
        assert_eq!(applied, [store::migrate::REHEARSAL.0], "{backend:?}");
        assert!(
            store
                .prepare_with(&[store::migrate::REHEARSAL])
                .await
                .is_ok(),
            "{backend:?}: the same binary starts again"
        );
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM schema_migrations WHERE version = 9000"
            )
            .await,
            1
        );
        // A binary without it (the old version, restarted by mistake) refuses.
        let refused = store.prepare().await;
        let Err(StoreError::Config(message)) = refused else {
            panic!("{backend:?}: {refused:?}")
        };
        assert!(
            message.contains("知らないマイグレーション（9000）")
                && message.contains("newer renkei")
                && message.contains(&format!("newest known: {}", store::migrate::newest_known())),
            "{message}"
        );
        let again = store::migrate::run(&store).await;
        assert!(matches!(again, Err(StoreError::Config(_))), "{again:?}");
    }
}

#[tokio::test]
async fn the_retention_purge_run_by_two_processes_at_once_deletes_and_audits_once() {
    use domain::forms::RawAnswers;
    for backend in backends() {
        let database = TestDatabase::create(backend).await.unwrap();
        let a = database.store().await.unwrap();
        let b = Store::connect(&database.url).await.unwrap();
        let kawaguchi = super::staff_of(&a, "kawaguchi", "staff@city.kawaguchi.example.jp").await;
        store::forms::create(
            &a,
            &kawaguchi,
            "kawaguchi",
            &super::forms::draft("kept-a-year"),
        )
        .await
        .unwrap();
        store::privacy::set_retention(&a, &kawaguchi, "kept-a-year", Some(365))
            .await
            .unwrap();
        for company in ["kawaguchi-01", "kawaguchi-02", "kawaguchi-03"] {
            let answer = RawAnswers::default()
                .with("successor", "no")
                .with("hires", "3");
            store::forms::submit(&a, &kawaguchi, "kept-a-year", company, &answer)
                .await
                .unwrap();
        }
        let later = chrono::Utc::now() + chrono::Duration::days(366);
        let (first, second) = tokio::join!(
            store::privacy::purge_expired(&a, later),
            store::privacy::purge_expired(&b, later)
        );
        let purged = [first.unwrap(), second.unwrap()];
        assert_eq!(purged.iter().sum::<u64>(), 3, "{backend:?}: {purged:?}");
        assert_eq!(
            count(
                &a,
                "SELECT COUNT(*) FROM audit_log WHERE entity = 'form' AND action = 'delete' AND entity_key = 'kept-a-year'"
            )
            .await,
            1,
            "{backend:?}: one purge in the audit log, not one per process"
        );
    }
}

#[tokio::test]
async fn the_fair_deadline_pass_run_twice_at_once_expires_tells_and_audits_once() {
    use domain::fairs::RequestPriority;
    use store::fairs;
    for backend in backends() {
        let database = TestDatabase::create(backend).await.unwrap();
        let a = database.store().await.unwrap();
        let b = Store::connect(&database.url).await.unwrap();
        let (fair, staff) = super::fairs::fair_with_participants(&a, "6", "3").await;
        for (from, to) in [
            ("sumida-01", "kawaguchi-01"),
            ("sumida-02", "kawaguchi-01"),
            ("ota-01", "kawaguchi-02"),
        ] {
            fairs::request_meeting(
                &a,
                &staff,
                &fair.key,
                from,
                to,
                RequestPriority::Should,
                super::fairs::before_deadline(),
            )
            .await
            .unwrap();
        }
        for company in ["sumida-01", "sumida-02", "ota-01"] {
            super::member_of(&a, company, &format!("member@{company}.example.jp")).await;
        }
        let notices_before = count(&a, "SELECT COUNT(*) FROM notices").await;
        let after = chrono::NaiveDate::from_ymd_opt(2027, 2, 2).unwrap();
        let (first, second) = tokio::join!(
            fairs::expire_unanswered(&a, &staff, &fair.key, after),
            fairs::expire_unanswered(&b, &staff, &fair.key, after)
        );
        let expired = [first.unwrap(), second.unwrap()];
        assert_eq!(expired.iter().sum::<usize>(), 3, "{backend:?}: {expired:?}");
        assert!(
            expired.contains(&0),
            "{backend:?}: one pass found nothing left"
        );
        assert_eq!(
            count(
                &a,
                "SELECT COUNT(*) FROM audit_log WHERE entity = 'fair' AND summary LIKE '%期限切れに%'"
            )
            .await,
            1,
            "{backend:?}"
        );
        assert_eq!(
            count(&a, "SELECT COUNT(*) FROM notices").await - notices_before,
            3,
            "{backend:?}: each asker told once"
        );
    }
}
