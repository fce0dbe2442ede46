//! Password reset by mail: the same answer for every address, a mail only for an
//! account, a hashed token that works once and for 30 minutes, limits per address
//! and per client, and every other session ended by the reset.

use sea_orm::{ConnectionTrait, Statement};
use store::recovery::{self, RESETS_PER_CLIENT_PER_HOUR, ResetRequest};
use store::tokens::{self, Unusable};
use store::{Store, StoreError, accounts, outbox};

use super::{each_backend, new_user};

/// The token in the newest mail's link to `path` (`/password/reset/`).
pub(crate) async fn mailed_token(store: &Store, path: &str) -> String {
    let mail = outbox::all(store).await.unwrap();
    let body = &mail.last().expect("a mail").body_text;
    let link = format!("{}{path}", outbox::PUBLIC_URL);
    let at = body
        .find(&link)
        .unwrap_or_else(|| panic!("{link} in {body}"))
        + link.len();
    body[at..at + 64].to_owned()
}

/// Every value of one text column, read with plain SQL.
pub(crate) async fn column(store: &Store, table: &str, column: &str) -> Vec<String> {
    let db = store.connection();
    db.query_all(Statement::from_string(
        db.get_database_backend(),
        format!("SELECT {column} AS v FROM {table}"),
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get::<String>("", "v").unwrap())
    .collect()
}

/// Moves every `column` of `table` by `minutes` (negative: into the past), as if
/// that much time had passed.
pub(crate) async fn shift(store: &Store, table: &str, column: &str, minutes: i64) {
    let db = store.connection();
    let backend = db.get_database_backend();
    let at = chrono::Utc::now() + chrono::Duration::minutes(minutes);
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => format!("UPDATE {table} SET {column} = $1"),
        _ => format!("UPDATE {table} SET {column} = ?"),
    };
    db.execute(Statement::from_sql_and_values(backend, sql, [at.into()]))
        .await
        .unwrap();
}

async fn account(store: &Store, email: &str) -> String {
    let (_, one_time) = accounts::create_user(store, None, &new_user(email, "staff", "ota"))
        .await
        .unwrap();
    one_time
}

#[tokio::test]
async fn any_address_gets_the_same_answer_and_only_an_account_gets_a_mail_with_a_hashed_token() {
    each_backend(|store, backend| async move {
        account(&store, "clerk@city.ota.example.jp").await;
        let known = recovery::request_reset(&store, " Clerk@City.Ota.example.jp ", "10.0.0.1")
            .await
            .unwrap();
        let unknown = recovery::request_reset(&store, "nobody@example.jp", "10.0.0.1")
            .await
            .unwrap();
        assert_eq!(known, ResetRequest::Accepted, "{backend:?}");
        assert_eq!(unknown, ResetRequest::Accepted, "{backend:?}");

        let mail = outbox::all(&store).await.unwrap();
        assert_eq!(mail.len(), 1, "{backend:?}: one mail, to the account only");
        assert_eq!(mail[0].recipient_email, "clerk@city.ota.example.jp");
        assert_eq!(mail[0].kind, "transactional");
        assert_eq!(mail[0].subject, "【renkei】パスワード再設定のご案内");
        assert!(mail[0].body_text.contains("有効期限は30分"));
        let token = mailed_token(&store, "/password/reset/").await;
        assert!(tokens::looks_like_token(&token), "{token}");

        let stored = column(&store, "password_resets", "token_sha256").await;
        assert_eq!(
            stored,
            [tokens::hash(&token)],
            "{backend:?}: only the digest"
        );
        assert_ne!(stored[0], token);
        let admin = domain::Actor {
            user_id: 0,
            email: "admin".into(),
            role: domain::Role::Secretariat,
            organisation_id: None,
            company_id: None,
        };
        let (log, _) = store::audit::list(&store, &admin, &Default::default())
            .await
            .unwrap();
        let entry = log.iter().find(|e| e.action == "reset_request").unwrap();
        assert_eq!(entry.entity_key, "clerk@city.ota.example.jp");
        assert!(!entry.summary.contains(&token));
        assert!(log.iter().all(|e| !e.summary.contains(&token)
            && !e.after_json.as_deref().unwrap_or("").contains(&token)));

        let target = recovery::reset_target(&store, &token)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(target.email, "clerk@city.ota.example.jp");
    })
    .await;
}

#[tokio::test]
async fn a_reset_link_works_once_signs_out_every_session_and_uses_up_older_links() {
    each_backend(|store, backend| async move {
        let old = account(&store, "once@example.jp").await;
        let before = accounts::find_by_email(&store, "once@example.jp")
            .await
            .unwrap()
            .unwrap();
        recovery::request_reset(&store, "once@example.jp", "a")
            .await
            .unwrap();
        let first = mailed_token(&store, "/password/reset/").await;
        recovery::request_reset(&store, "once@example.jp", "a")
            .await
            .unwrap();
        let second = mailed_token(&store, "/password/reset/").await;
        assert_ne!(first, second);

        let short = recovery::reset_password(&store, &second, "short").await;
        assert!(
            matches!(&short, Err(StoreError::Invalid(e)) if e[0].reason.contains("12文字以上")),
            "{short:?}"
        );
        let user = recovery::reset_password(&store, &second, "a-new-password-2026")
            .await
            .unwrap()
            .expect("a working link, not used up by the short password");
        assert_eq!(
            user.session_generation,
            before.session_generation + 1,
            "{backend:?}: every session signed in before is over"
        );
        assert!(!user.must_change_password);
        assert!(
            accounts::login(&store, "once@example.jp", "a-new-password-2026", "b")
                .await
                .is_ok()
        );
        assert!(matches!(
            accounts::login(&store, "once@example.jp", &old, "c").await,
            Err(StoreError::BadCredentials)
        ));
        let again = recovery::reset_password(&store, &second, "another-password-2026")
            .await
            .unwrap();
        assert_eq!(again.err(), Some(Unusable::Used), "{backend:?}");
        let older = recovery::reset_password(&store, &first, "another-password-2026")
            .await
            .unwrap();
        assert_eq!(
            older.err(),
            Some(Unusable::Used),
            "{backend:?}: the older link too"
        );
        assert_eq!(
            recovery::reset_target(&store, &first).await.unwrap(),
            Err(Unusable::Used)
        );
    })
    .await;
}

#[tokio::test]
async fn a_late_or_unknown_link_is_refused_and_changes_nothing() {
    each_backend(|store, backend| async move {
        let one_time = account(&store, "late@example.jp").await;
        recovery::request_reset(&store, "late@example.jp", "a")
            .await
            .unwrap();
        let token = mailed_token(&store, "/password/reset/").await;
        shift(&store, "password_resets", "expires_at", -1).await;
        assert_eq!(
            recovery::reset_target(&store, &token).await.unwrap(),
            Err(Unusable::Expired),
            "{backend:?}"
        );
        assert_eq!(
            recovery::reset_password(&store, &token, "a-new-password-2026")
                .await
                .unwrap()
                .err(),
            Some(Unusable::Expired)
        );
        assert!(
            accounts::login(&store, "late@example.jp", &one_time, "b")
                .await
                .is_ok(),
            "{backend:?}: the password is unchanged"
        );
        for unknown in ["nothing-here", &"0".repeat(64), &tokens::hash(&token)] {
            assert_eq!(
                recovery::reset_password(&store, unknown, "a-new-password-2026")
                    .await
                    .unwrap()
                    .err(),
                Some(Unusable::Unknown),
                "{unknown}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn reset_mails_are_limited_per_address_and_a_busy_client_is_told_to_wait() {
    each_backend(|store, backend| async move {
        account(&store, "limit@example.jp").await;
        for client in ["1", "2", "3", "4", "5"] {
            assert_eq!(
                recovery::request_reset(&store, "limit@example.jp", client)
                    .await
                    .unwrap(),
                ResetRequest::Accepted
            );
        }
        assert_eq!(
            outbox::all(&store).await.unwrap().len(),
            3,
            "{backend:?}: three mails an hour to one address"
        );
        for i in 0..RESETS_PER_CLIENT_PER_HOUR {
            let answer = recovery::request_reset(&store, &format!("p{i}@example.jp"), "9.9.9.9")
                .await
                .unwrap();
            assert_eq!(answer, ResetRequest::Accepted);
        }
        let ResetRequest::TooMany {
            retry_after_seconds,
        } = recovery::request_reset(&store, "limit@example.jp", "9.9.9.9")
            .await
            .unwrap()
        else {
            panic!("{backend:?}: the client is not limited");
        };
        assert!(
            (3500..=3600).contains(&retry_after_seconds),
            "{retry_after_seconds}"
        );
        assert_eq!(outbox::all(&store).await.unwrap().len(), 3);
        // An hour later the address may get mail again.
        shift(&store, "password_reset_requests", "at", -61).await;
        recovery::request_reset(&store, "limit@example.jp", "9.9.9.9")
            .await
            .unwrap();
        assert_eq!(outbox::all(&store).await.unwrap().len(), 4);
    })
    .await;
}

#[tokio::test]
async fn a_malformed_address_is_said_so_and_nothing_is_recorded() {
    each_backend(|store, _| async move {
        for bad in ["no-at-sign", "a@b", "a@example.jp\r\nBcc: x@example.jp", ""] {
            let refused = recovery::request_reset(&store, bad, "1").await;
            assert!(
                matches!(&refused, Err(StoreError::Invalid(e)) if e[0].reason.contains("メールアドレスの形式")),
                "{bad:?}: {refused:?}"
            );
        }
        assert!(column(&store, "password_reset_requests", "email").await.is_empty());
        assert!(outbox::all(&store).await.unwrap().is_empty());
    })
    .await;
}
