//! Accounts people make themselves: a company's member by 法人番号, approved by the
//! staff keeping the company; an individual by e-mail confirmation, whose profile is
//! public only once the keeping city approves it.

use chrono::{Duration, Utc};
use domain::{Actor, Role};
use store::accounts;
use store::outbox::{self, MailMessage};
use store::signup::{
    self, CompanySignup, Confirmed, IndividualSignup, ProfileInput, SignupFilter, SignupStatus,
};
use store::{Store, StoreError, people};

use crate::{each_backend, new_user};

/// 株式会社 ota-01 of the demonstration directory (kept by 大田区).
async fn ota_company(store: &Store) -> (String, String) {
    let company = store::companies::get(store, None, "ota-01").await.unwrap();
    (company.corporate_number.unwrap(), company.name)
}

async fn staff_of(store: &Store, organisation: &str, email: &str) -> Actor {
    let (user, _) = accounts::create_user(store, None, &new_user(email, "staff", organisation))
        .await
        .unwrap();
    user.actor()
}

fn company_signup(number: &str, email: &str) -> CompanySignup {
    CompanySignup {
        corporate_number: number.into(),
        name: "大森 太郎".into(),
        email: email.into(),
        password: "ota-member-password".into(),
        password_confirm: "ota-member-password".into(),
    }
}

fn token_of(mail: &MailMessage) -> String {
    signup::token_in(&mail.body_text)
        .unwrap_or_else(|| panic!("no link in {}", mail.body_text))
        .to_owned()
}

async fn mail_to(store: &Store, email: &str) -> Vec<MailMessage> {
    outbox::all(store)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.recipient_email == email)
        .collect()
}

fn fields(error: StoreError) -> Vec<(String, String)> {
    match error {
        StoreError::Invalid(errors) => errors.into_iter().map(|e| (e.field, e.reason)).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_check_digit_or_an_unknown_number_is_refused_in_japanese() {
    each_backend(|store, backend| async move {
        let (number, _) = ota_company(&store).await;
        // The check digit is the first: change it.
        let first = number.chars().next().unwrap().to_digit(10).unwrap();
        let wrong = format!("{}{}", (first + 1) % 10, &number[1..]);
        let refused = signup::request_company(&store, &company_signup(&wrong, "a@example.jp"))
            .await
            .unwrap_err();
        let errors = fields(refused);
        assert_eq!(errors[0].0, "corporate_number", "{backend:?}");
        assert!(errors[0].1.contains("チェックディジット"), "{errors:?}");
        // A valid number of a company outside the directory.
        let base: [u32; 12] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2];
        let check = domain::CorporateNumber::check_digit(&base);
        let unknown = format!("{check}123456789012");
        let errors = fields(
            signup::company_by_number(&store, &unknown)
                .await
                .unwrap_err(),
        );
        assert!(errors[0].1.contains("登録されていません"), "{errors:?}");
        assert!(errors[0].1.contains(&unknown), "{errors:?}");
        // Full-width digits are read as digits.
        let wide: String = number
            .chars()
            .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap())
            .collect();
        let found = signup::company_by_number(&store, &wide).await.unwrap();
        assert_eq!(found.keeper.key, "ota");
        assert!(
            outbox::all(&store).await.unwrap().is_empty(),
            "nothing sent"
        );
    })
    .await;
}

#[tokio::test]
async fn a_company_member_registers_confirms_once_is_approved_by_ota_and_signs_in() {
    each_backend(|store, backend| async move {
        let (number, company_name) = ota_company(&store).await;
        let email = "omori@ota-01.example.jp";
        signup::request_company(&store, &company_signup(&number, email))
            .await
            .unwrap();
        let sent = mail_to(&store, email).await;
        assert_eq!(sent.len(), 1, "{backend:?}");
        assert!(sent[0].subject.contains("メールアドレスの確認"));
        assert!(sent[0].body_text.contains(&company_name));
        let token = token_of(&sent[0]);

        // Nobody sees an unconfirmed request; the password does not work yet.
        let ota = staff_of(&store, "ota", "staff@city.ota.example.jp").await;
        assert!(
            signup::list(&store, &ota, &SignupFilter::default())
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            accounts::login(&store, email, "ota-member-password", "t")
                .await
                .is_err()
        );

        let confirmed = signup::confirm(&store, &token).await.unwrap();
        assert_eq!(
            confirmed,
            Confirmed::Company {
                company: company_name.clone(),
                keeper: "大田区".into()
            }
        );
        // The link works once.
        assert!(matches!(
            signup::confirm(&store, &token).await,
            Err(StoreError::Conflict(_))
        ));

        let waiting = signup::list(&store, &ota, &SignupFilter::default())
            .await
            .unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].status, SignupStatus::Pending);
        let id = waiting[0].id;

        // 墨田区's staff neither see nor decide it.
        let sumida = staff_of(&store, "sumida", "staff@city.sumida.example.jp").await;
        assert!(
            signup::list(&store, &sumida, &SignupFilter::default())
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            signup::get(&store, &sumida, id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            signup::approve(&store, &sumida, id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            signup::refuse(&store, &sumida, id, "理由").await,
            Err(StoreError::NotFound { .. })
        ));

        signup::approve(&store, &ota, id).await.unwrap();
        assert!(matches!(
            signup::approve(&store, &ota, id).await,
            Err(StoreError::Conflict(_))
        ));
        let member = accounts::login(&store, email, "ota-member-password", "t")
            .await
            .unwrap();
        assert_eq!(member.role, Role::Company);
        assert_eq!(member.display_name, "大森 太郎");
        let company = store::companies::get(&store, None, "ota-01").await.unwrap();
        assert_eq!(member.company_id, Some(company.id));
        assert!(
            member
                .actor()
                .may_edit_company(company.id, company.owner.id)
        );

        let subjects: Vec<String> = mail_to(&store, email)
            .await
            .into_iter()
            .map(|m| m.subject)
            .collect();
        assert_eq!(subjects.len(), 3, "{subjects:?}");
        assert!(subjects[1].contains("審査中"));
        assert!(subjects[2].contains("承認しました"));

        // Every step is in the audit log.
        let admin = Actor {
            role: Role::Secretariat,
            organisation_id: None,
            ..ota.clone()
        };
        let (entries, _) = store::audit::list(&store, &admin, &Default::default())
            .await
            .unwrap();
        let actions: Vec<(&str, &str)> = entries
            .iter()
            .filter(|e| e.entity == "signup_request" || e.entity_key == email)
            .map(|e| (e.action.as_str(), e.entity.as_str()))
            .collect();
        assert_eq!(
            actions,
            [
                ("approve", "signup_request"),
                ("create", "user"),
                ("confirm", "signup_request"),
                ("signup", "signup_request"),
            ],
            "{backend:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_refusal_is_mailed_with_its_reason_and_makes_no_account() {
    each_backend(|store, _| async move {
        let (number, _) = ota_company(&store).await;
        let email = "someone@example.jp";
        signup::request_company(&store, &company_signup(&number, email))
            .await
            .unwrap();
        let token = token_of(&mail_to(&store, email).await[0]);
        signup::confirm(&store, &token).await.unwrap();
        let ota = staff_of(&store, "ota", "staff@city.ota.example.jp").await;
        let id = signup::list(&store, &ota, &SignupFilter::default())
            .await
            .unwrap()[0]
            .id;
        let errors = fields(signup::refuse(&store, &ota, id, "  ").await.unwrap_err());
        assert_eq!(errors[0].0, "reason");
        signup::refuse(&store, &ota, id, "在籍を確認できませんでした。")
            .await
            .unwrap();
        let last = mail_to(&store, email).await.pop().unwrap();
        assert!(last.subject.contains("承認できませんでした"));
        assert!(last.body_text.contains("在籍を確認できませんでした。"));
        assert!(
            accounts::find_by_email(&store, email)
                .await
                .unwrap()
                .is_none()
        );
        // Refused: the address may ask again.
        signup::request_company(&store, &company_signup(&number, email))
            .await
            .unwrap();
        assert!(
            mail_to(&store, email)
                .await
                .pop()
                .unwrap()
                .subject
                .contains("メールアドレスの確認")
        );
    })
    .await;
}

#[tokio::test]
async fn a_late_link_is_refused_and_the_address_may_ask_again() {
    each_backend(|store, _| async move {
        let (number, _) = ota_company(&store).await;
        let email = "late@example.jp";
        signup::request_company(&store, &company_signup(&number, email))
            .await
            .unwrap();
        let token = token_of(&mail_to(&store, email).await[0]);
        let later = Utc::now() + Duration::hours(signup::CONFIRM_HOURS) + Duration::minutes(1);
        match signup::confirm_at(&store, &token, later).await {
            Err(StoreError::Conflict(message)) => {
                assert!(message.contains("有効期限"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            signup::confirm(&store, "0".repeat(64).as_str()).await,
            Err(StoreError::Conflict(_))
        ));
        // Still in time, it works.
        signup::confirm(&store, &token).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_second_request_or_a_known_address_is_told_by_mail_without_telling_the_typist() {
    each_backend(|store, backend| async move {
        let (number, _) = ota_company(&store).await;
        let email = "twice@example.jp";
        signup::request_company(&store, &company_signup(&number, email))
            .await
            .unwrap();
        // The same answer (Ok) for the second request; the mail explains, once an hour.
        signup::request_company(&store, &company_signup(&number, email))
            .await
            .unwrap();
        signup::request_company(&store, &company_signup(&number, email))
            .await
            .unwrap();
        let subjects: Vec<String> = mail_to(&store, email)
            .await
            .into_iter()
            .map(|m| m.subject)
            .collect();
        assert_eq!(subjects.len(), 2, "{backend:?}: {subjects:?}");
        assert!(subjects[1].contains("既に受け付けています"));

        // An address with an account (the first admin's).
        accounts::ensure_first_admin(&store).await.unwrap();
        let known = accounts::FIRST_ADMIN_EMAIL;
        signup::request_individual(
            &store,
            &IndividualSignup {
                kind: "student".into(),
                name: "なりすまし".into(),
                email: known.into(),
                password: "long-enough-password".into(),
                password_confirm: "long-enough-password".into(),
                city: "ota".into(),
            },
        )
        .await
        .unwrap();
        let told = mail_to(&store, known).await;
        assert_eq!(told.len(), 1);
        assert!(told[0].subject.contains("アカウントは既にあります"));
        assert!(signup::token_in(&told[0].body_text).is_none());
    })
    .await;
}

#[tokio::test]
async fn what_was_typed_is_checked_all_at_once() {
    each_backend(|store, _| async move {
        let errors = fields(
            signup::request_individual(
                &store,
                &IndividualSignup {
                    kind: "wizard".into(),
                    name: " ".into(),
                    email: "not-an-address".into(),
                    password: "short".into(),
                    password_confirm: "short".into(),
                    city: "tokyo".into(),
                },
            )
            .await
            .unwrap_err(),
        );
        let names: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(names, ["kind", "city", "name", "email", "password"]);
        let (number, _) = ota_company(&store).await;
        let mut mismatch = company_signup(&number, "x@example.jp");
        mismatch.password_confirm = "something-else-entirely".into();
        let errors = fields(
            signup::request_company(&store, &mismatch)
                .await
                .unwrap_err(),
        );
        assert_eq!(errors[0].0, "password_confirm");
    })
    .await;
}

#[tokio::test]
async fn an_individual_signs_up_and_their_profile_is_public_only_once_the_city_approves() {
    each_backend(|store, backend| async move {
        let email = "student@example.jp";
        signup::request_individual(
            &store,
            &IndividualSignup {
                kind: "student".into(),
                name: "蒲田 学".into(),
                email: email.into(),
                password: "student-password-1".into(),
                password_confirm: "student-password-1".into(),
                city: "ota".into(),
            },
        )
        .await
        .unwrap();
        let token = token_of(&mail_to(&store, email).await[0]);
        assert_eq!(
            signup::confirm(&store, &token).await.unwrap(),
            Confirmed::Individual {
                keeper: "大田区".into()
            }
        );
        let user = accounts::login(&store, email, "student-password-1", "t")
            .await
            .unwrap();
        assert_eq!(user.role, Role::Individual);
        assert_eq!(user.organisation_id, None);
        let me = user.actor();
        let own = signup::own_profile(&store, &me).await.unwrap();
        assert_eq!(own.keeper.key, "ota");
        assert_eq!(own.input.name, "蒲田 学");

        signup::save_profile(
            &store,
            &me,
            &ProfileInput {
                kind: "student".into(),
                name: "蒲田 学".into(),
                kana: "カマタ マナブ".into(),
                affiliation: "大田工業大学".into(),
                profile: "精密加工を学んでいます。".into(),
                capabilities: vec!["cutting".into()],
                phone: String::new(),
                wants_public: true,
            },
        )
        .await
        .unwrap();
        let key = signup::own_profile(&store, &me).await.unwrap().key.unwrap();
        let public = |store: Store| async move {
            people::list(&store, None, &[])
                .await
                .unwrap()
                .into_iter()
                .any(|p| p.name == "蒲田 学")
        };
        assert!(
            !public(store.clone()).await,
            "{backend:?}: not before approval"
        );

        let sumida = staff_of(&store, "sumida", "staff@city.sumida.example.jp").await;
        assert!(
            signup::waiting_profiles(&store, &sumida)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            signup::decide_profile(&store, &sumida, &key, true, "").await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            signup::decide_profile(&store, &me, &key, true, "").await,
            Err(StoreError::Forbidden { .. })
        ));
        let ota = staff_of(&store, "ota", "staff@city.ota.example.jp").await;
        let waiting = signup::waiting_profiles(&store, &ota).await.unwrap();
        assert_eq!(waiting.len(), 1);
        signup::decide_profile(&store, &ota, &key, true, "")
            .await
            .unwrap();
        assert!(public(store.clone()).await, "public once approved");
        let published = mail_to(&store, email).await.pop().unwrap();
        assert!(published.subject.contains("公開しました"));

        // A change hides it again until approved again.
        let mut changed = ProfileInput {
            kind: "student".into(),
            name: "蒲田 学".into(),
            profile: "書き直しました。".into(),
            wants_public: true,
            ..Default::default()
        };
        signup::save_profile(&store, &me, &changed).await.unwrap();
        assert!(!public(store.clone()).await, "hidden after a change");
        signup::decide_profile(&store, &ota, &key, false, "連絡先が書かれています。")
            .await
            .unwrap();
        let own = signup::own_profile(&store, &me).await.unwrap();
        assert_eq!(own.review, signup::Review::Refused);
        assert_eq!(own.review_note, "連絡先が書かれています。");
        // The individual edits no one's records.
        assert!(!me.may_edit_records_of(ota.organisation_id.unwrap()));
        changed.wants_public = false;
        signup::save_profile(&store, &me, &changed).await.unwrap();
        assert!(
            signup::waiting_profiles(&store, &ota)
                .await
                .unwrap()
                .is_empty()
        );
        // Staff and company members have no own profile.
        assert!(matches!(
            signup::own_profile(&store, &ota).await,
            Err(StoreError::Forbidden { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn ota_staff_are_told_of_a_confirmed_request_and_may_turn_its_mail_off() {
    each_backend(|store, backend| async move {
        let (number, company_name) = ota_company(&store).await;
        let ota = staff_of(&store, "ota", "staff@city.ota.example.jp").await;
        let quiet = staff_of(&store, "ota", "quiet@city.ota.example.jp").await;
        let sumida = staff_of(&store, "sumida", "staff@city.sumida.example.jp").await;
        store::notices::set_preferences(
            &store,
            &quiet,
            &[(store::notices::Programme::Signups, false)],
        )
        .await
        .unwrap();

        let email = "told@ota-01.example.jp";
        signup::request_company(&store, &company_signup(&number, email))
            .await
            .unwrap();
        let token = token_of(&mail_to(&store, email).await[0]);
        // An unconfirmed request tells nobody.
        assert!(
            store::notices::list(&store, &ota).await.unwrap().is_empty(),
            "{backend:?}"
        );
        signup::confirm(&store, &token).await.unwrap();
        let id = signup::list(&store, &ota, &SignupFilter::default())
            .await
            .unwrap()[0]
            .id;

        for staff in [&ota, &quiet] {
            let told = store::notices::list(&store, staff).await.unwrap();
            assert_eq!(told.len(), 1, "{backend:?} {}", staff.email);
            assert_eq!(told[0].programme, store::notices::Programme::Signups);
            assert!(told[0].title.contains(&company_name), "{}", told[0].title);
            assert!(told[0].body.contains("大森 太郎"));
            assert_eq!(told[0].link, format!("/admin/signups/{id}"));
        }
        let mailed = mail_to(&store, &ota.email).await;
        assert_eq!(mailed.len(), 1);
        assert!(mailed[0].subject.contains("審査を待っています"));
        assert!(
            mailed[0]
                .body_text
                .contains(&format!("/admin/signups/{id}"))
        );
        // Mail turned off for sign-ups: shown in お知らせ, not mailed.
        assert!(mail_to(&store, &quiet.email).await.is_empty());
        // Another city's staff are not told.
        assert!(
            store::notices::list(&store, &sumida)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(mail_to(&store, &sumida.email).await.is_empty());
    })
    .await;
}
