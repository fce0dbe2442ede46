//! Invitations: staff invite members of the companies they look after and their
//! colleagues; other cities' companies, other organisations and taken addresses
//! are refused; the mailed token is stored hashed, works once, for 7 days, and not
//! after it is revoked.

use domain::{Actor, Role};
use store::invitations::{self, InvitationInput, InvitationStatus};
use store::tokens::{self, Unusable};
use store::{StoreError, accounts, outbox};

use super::recovery::{column, mailed_token, shift};
use super::{each_backend, member_of, staff_of};

const LINK: &str = "/invitations/accept/";

fn member(email: &str, company: &str) -> InvitationInput {
    InvitationInput {
        email: email.into(),
        display_name: "川口 花子".into(),
        role: "company".into(),
        company: company.into(),
        ..Default::default()
    }
}

fn colleague(email: &str, organisation: &str) -> InvitationInput {
    InvitationInput {
        email: email.into(),
        role: "staff".into(),
        organisation: organisation.into(),
        ..Default::default()
    }
}

fn secretariat() -> Actor {
    Actor {
        user_id: 0,
        email: "admin".into(),
        role: Role::Secretariat,
        organisation_id: None,
        company_id: None,
    }
}

#[tokio::test]
async fn kawaguchi_staff_invite_a_member_of_a_kawaguchi_company_who_signs_up_once() {
    each_backend(|store, backend| async move {
        let staff = staff_of(&store, "kawaguchi", "staff@city.kawaguchi.example.jp").await;
        let sent = invitations::invite(
            &store,
            &staff,
            &member("Hanako@Sakae.example.jp", "kawaguchi-01"),
        )
        .await
        .unwrap();
        assert_eq!(sent.email, "hanako@sakae.example.jp");
        assert_eq!(sent.status, InvitationStatus::Pending);
        assert_eq!(sent.company_key.as_deref(), Some("kawaguchi-01"));
        assert_eq!(sent.invited_by, "staff@city.kawaguchi.example.jp");
        assert_eq!((sent.expires_at - sent.created_at).num_days(), 7);

        let mail = outbox::all(&store).await.unwrap();
        assert_eq!(mail.len(), 1, "{backend:?}");
        assert_eq!(mail[0].recipient_email, "hanako@sakae.example.jp");
        assert_eq!(mail[0].recipient_name, "川口 花子");
        assert_eq!(mail[0].organisation_id, Some(sent.organisation_id));
        assert_eq!(mail[0].sender_name, "川口市");
        assert!(
            mail[0].body_text.contains("株式会社栄町精機"),
            "{}",
            mail[0].body_text
        );
        let token = mailed_token(&store, LINK).await;
        assert_eq!(
            column(&store, "invitations", "token_sha256").await,
            [tokens::hash(&token)],
            "{backend:?}: only the digest is stored"
        );

        let shown = invitations::by_token(&store, &token)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(shown.id, sent.id);
        let no_name = invitations::accept(&store, &token, "", "member-password-2026").await;
        assert!(
            matches!(no_name, Err(StoreError::Invalid(_))),
            "{no_name:?}"
        );
        let user = invitations::accept(&store, &token, "栄町 花子", "member-password-2026")
            .await
            .unwrap()
            .expect("accepted");
        assert_eq!(user.role, Role::Company);
        assert_eq!(user.display_name, "栄町 花子");
        assert!(!user.must_change_password);
        let company = store::companies::get(&store, Some(&user.actor()), "kawaguchi-01")
            .await
            .unwrap();
        assert_eq!(user.company_id, Some(company.id), "{backend:?}");
        assert!(
            accounts::login(
                &store,
                "hanako@sakae.example.jp",
                "member-password-2026",
                "1"
            )
            .await
            .is_ok()
        );
        assert_eq!(
            invitations::accept(&store, &token, "誰か", "another-password-2026")
                .await
                .unwrap()
                .err(),
            Some(Unusable::Used),
            "{backend:?}: one use only"
        );
        let listed = invitations::list(&store, &staff).await.unwrap();
        assert_eq!(listed[0].status, InvitationStatus::Accepted);
        let (log, _) = store::audit::list(&store, &secretariat(), &Default::default())
            .await
            .unwrap();
        let actions: Vec<&str> = log
            .iter()
            .filter(|e| e.entity == "invitation")
            .map(|e| e.action.as_str())
            .collect();
        assert_eq!(actions, ["accept", "invite"], "{backend:?}");
        assert!(log.iter().all(|e| !e.summary.contains(&token)));
    })
    .await;
}

#[tokio::test]
async fn another_citys_company_another_organisation_and_the_secretariat_are_refused_to_staff() {
    each_backend(|store, backend| async move {
        let kaga = staff_of(&store, "kaga", "staff@city.kaga.example.jp").await;
        let refused =
            invitations::invite(&store, &kaga, &member("m@example.jp", "kawaguchi-01")).await;
        let Err(StoreError::Forbidden { reason }) = refused else {
            panic!("{backend:?}: {refused:?}")
        };
        assert!(
            reason.contains("株式会社栄町精機") && reason.contains("川口市"),
            "{reason}"
        );
        let refused = invitations::invite(&store, &kaga, &colleague("c@example.jp", "ota")).await;
        assert!(
            matches!(refused, Err(StoreError::Forbidden { .. })),
            "{refused:?}"
        );
        let refused = invitations::invite(
            &store,
            &kaga,
            &InvitationInput {
                role: "secretariat".into(),
                ..colleague("s@example.jp", "council")
            },
        )
        .await;
        assert!(
            matches!(refused, Err(StoreError::Forbidden { .. })),
            "{refused:?}"
        );
        let insider = member_of(&store, "kawaguchi-01", "member@sakae.example.jp").await;
        let refused =
            invitations::invite(&store, &insider, &member("m2@example.jp", "kawaguchi-01")).await;
        assert!(
            matches!(refused, Err(StoreError::Forbidden { .. })),
            "{refused:?}"
        );
        assert!(matches!(
            invitations::list(&store, &insider).await,
            Err(StoreError::Forbidden { .. })
        ));
        assert!(
            outbox::all(&store).await.unwrap().is_empty(),
            "{backend:?}: nothing sent"
        );

        // Their own colleague (organisation left empty: their own) is fine.
        let invited = invitations::invite(
            &store,
            &kaga,
            &colleague("colleague@city.kaga.example.jp", ""),
        )
        .await
        .unwrap();
        assert_eq!(invited.organisation_name, "加賀市");
        assert_eq!(invited.role, Role::Staff);
        // The secretariat invites into the secretariat, and anyone's member.
        let admin = secretariat();
        invitations::invite(
            &store,
            &admin,
            &InvitationInput {
                role: "secretariat".into(),
                ..colleague("jimukyoku2@example.jp", "council")
            },
        )
        .await
        .unwrap();
        invitations::invite(
            &store,
            &admin,
            &member("ota-member@example.jp", "7136520951302"),
        )
        .await
        .unwrap();
        let refused = invitations::invite(
            &store,
            &admin,
            &InvitationInput {
                role: "secretariat".into(),
                ..colleague("s2@example.jp", "ota")
            },
        )
        .await;
        assert!(
            matches!(refused, Err(StoreError::Invalid(_))),
            "{refused:?}"
        );
        assert_eq!(invitations::list(&store, &admin).await.unwrap().len(), 3);
        assert_eq!(invitations::list(&store, &kaga).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn bad_input_and_taken_addresses_are_refused_with_the_field_named() {
    each_backend(|store, backend| async move {
        let staff = staff_of(&store, "kawaguchi", "staff@city.kawaguchi.example.jp").await;
        let bad = invitations::invite(
            &store,
            &staff,
            &InvitationInput {
                email: "not an address".into(),
                display_name: "山田\r\nBcc: everyone@example.jp".into(),
                role: "boss".into(),
                ..Default::default()
            },
        )
        .await;
        let Err(StoreError::Invalid(errors)) = bad else {
            panic!("{backend:?}: {bad:?}")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "display_name", "role"]);
        assert!(errors[1].reason.contains("改行"));
        let unknown = invitations::invite(&store, &staff, &member("x@example.jp", "no-such-company")).await;
        assert!(matches!(&unknown, Err(StoreError::Invalid(e)) if e[0].field == "company"), "{unknown:?}");

        let taken = invitations::invite(
            &store,
            &staff,
            &colleague("staff@city.kawaguchi.example.jp", ""),
        )
        .await;
        assert!(
            matches!(&taken, Err(StoreError::Invalid(e)) if e[0].reason.contains("アカウントは既にあります")),
            "{taken:?}"
        );
        invitations::invite(&store, &staff, &colleague("twice@example.jp", ""))
            .await
            .unwrap();
        let twice = invitations::invite(&store, &staff, &colleague("twice@example.jp", "")).await;
        assert!(
            matches!(&twice, Err(StoreError::Invalid(e)) if e[0].reason.contains("有効な招待")),
            "{twice:?}"
        );
        assert_eq!(outbox::all(&store).await.unwrap().len(), 1, "{backend:?}: one mail");
    })
    .await;
}

#[tokio::test]
async fn a_revoked_or_expired_invitation_does_not_work_and_another_organisation_cannot_revoke() {
    each_backend(|store, backend| async move {
        let staff = staff_of(&store, "kawaguchi", "staff@city.kawaguchi.example.jp").await;
        let kaga = staff_of(&store, "kaga", "staff@city.kaga.example.jp").await;
        let sent = invitations::invite(&store, &staff, &member("r@example.jp", "kawaguchi-01"))
            .await
            .unwrap();
        let token = mailed_token(&store, LINK).await;
        assert!(matches!(
            invitations::revoke(&store, &kaga, sent.id).await,
            Err(StoreError::NotFound { .. })
        ));
        let revoked = invitations::revoke(&store, &staff, sent.id).await.unwrap();
        assert_eq!(revoked.status, InvitationStatus::Revoked, "{backend:?}");
        assert!(matches!(
            invitations::revoke(&store, &staff, sent.id).await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(
            invitations::by_token(&store, &token).await.unwrap(),
            Err(Unusable::Revoked)
        );
        assert_eq!(
            invitations::accept(&store, &token, "誰か", "member-password-2026")
                .await
                .unwrap()
                .err(),
            Some(Unusable::Revoked)
        );
        // Revoked, the address may be invited again; this one runs out.
        invitations::invite(&store, &staff, &member("r@example.jp", "kawaguchi-01"))
            .await
            .unwrap();
        let late = mailed_token(&store, LINK).await;
        shift(&store, "invitations", "expires_at", -1).await;
        assert_eq!(
            invitations::accept(&store, &late, "遅い 人", "member-password-2026")
                .await
                .unwrap()
                .err(),
            Some(Unusable::Expired),
            "{backend:?}"
        );
        assert!(
            accounts::find_by_email(&store, "r@example.jp")
                .await
                .unwrap()
                .is_none()
        );
        let statuses: Vec<InvitationStatus> = invitations::list(&store, &staff)
            .await
            .unwrap()
            .iter()
            .map(|i| i.status)
            .collect();
        assert_eq!(
            statuses,
            [InvitationStatus::Expired, InvitationStatus::Revoked]
        );
        assert_eq!(
            invitations::by_token(&store, "nothing-here").await.unwrap(),
            Err(Unusable::Unknown)
        );
    })
    .await;
}
