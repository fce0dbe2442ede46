//! Groups across cities (issue 19, item 6), over HTTP on both databases: the 加賀市×
//! 岡谷市 network (加賀ものづくり企業域外ネットワーク) shares a need with its members,
//! who find it as a notice, in their mail and on the group's page; an outsider sees
//! the group but not its feed and may not share into it; the keeper adds a member.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::directory_api::get_json;
use crate::harness::{company_member, on_each_backend};
use crate::network::post_json;

const GROUP: &str = "/groups/kaga-external-network";

#[tokio::test]
async fn the_kaga_okaya_network_shares_a_need_with_its_members_and_keeps_it_from_others() {
    on_each_backend(|app| async move {
        let admin = app.admin().await;
        let kaga = app.staff(&admin, "net@city.kaga.example.jp", "kaga").await;
        let okaya = app.staff(&admin, "net@city.okaya.example.jp", "okaya").await;
        let poster = company_member(&app, &admin, "net@kaga-05.example.jp", "kaga-05").await;
        let member = company_member(&app, &admin, "net@okaya-01.example.jp", "okaya-01").await;
        let outsider = company_member(&app, &admin, "net@ota-01.example.jp", "ota-01").await;

        // The list names the network, its keeper and its two cities.
        let list = app.text(&app.client(), "/groups").await;
        assert!(list.contains("加賀ものづくり企業域外ネットワーク"), "{list}");
        assert!(list.contains("加賀市×岡谷市"));

        // An outsider sees the group, not its feed, and may not share into it.
        let page = app.text(&outsider, GROUP).await;
        assert!(page.contains("メンバーの企業・団体と事務局だけが閲覧できます"));
        let refused = post_json(
            &app,
            &outsider,
            "/api/v1/groups/kaga-external-network/shares",
            json!({"posting": "need-3"}),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);

        // 加賀市's company shares its need (後継者を募集) with a note.
        let form = app.text(&poster, GROUP).await;
        assert!(form.contains("機械加工工場の後継者を募集"), "its own need is offered");
        let shared = app
            .post_form(
                &poster,
                &format!("{GROUP}/shares"),
                &[("posting", "need-4"), ("note", "岡谷市の皆さまのご紹介をお待ちしています")],
            )
            .await;
        assert_eq!(shared.status(), StatusCode::SEE_OTHER);

        // 岡谷市's member company finds it as a notice, by mail, and on the page.
        let notices = app.text(&member, "/notices").await;
        assert!(
            notices.contains("【加賀ものづくり企業域外ネットワーク】ニーズ「機械加工工場の後継者を募集」が共有されました"),
            "{notices}"
        );
        let (status, outbox) = get_json(&app, &admin, "/api/v1/outbox").await;
        assert_eq!(status, StatusCode::OK);
        let mails: Vec<&Value> = outbox["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["subject"].as_str().unwrap_or("").contains("加賀ものづくり企業域外ネットワーク"))
            .collect();
        let to = |email: &str| mails.iter().any(|m| m["recipient_email"] == email);
        assert!(to("net@okaya-01.example.jp") && to("net@city.okaya.example.jp"), "{mails:?}");
        assert!(!to("net@kaga-05.example.jp"), "not to the one who shared it");
        assert!(!to("net@ota-01.example.jp"), "not to an outsider");
        let seen = app.text(&member, GROUP).await;
        assert!(seen.contains("機械加工工場の後継者を募集") && seen.contains("ご紹介をお待ちしています"));
        let (_, api) = get_json(&app, &okaya, "/api/v1/groups/kaga-external-network").await;
        assert_eq!(api["shares"][0]["posting"], "need-4");
        let (_, public) = get_json(&app, &app.client(), "/api/v1/groups/kaga-external-network").await;
        assert!(public["shares"].is_null(), "{public}");

        // Shared twice: refused, with the choice kept.
        let twice = app
            .post_form(&kaga, &format!("{GROUP}/shares"), &[("posting", "need-4")])
            .await;
        assert!(
            [StatusCode::UNPROCESSABLE_ENTITY, StatusCode::FORBIDDEN].contains(&twice.status()),
            "{}",
            twice.status()
        );

        // The keeper adds 大田区's company, which then reads the feed; 岡谷市 may not.
        let not_keeper = post_json(
            &app,
            &okaya,
            "/api/v1/groups/kaga-external-network/members",
            json!({"member": "ota-01"}),
        )
        .await;
        assert_eq!(not_keeper.status(), StatusCode::FORBIDDEN);
        let unknown = app
            .post_form(&kaga, &format!("{GROUP}/members"), &[("member", "no-such-company")])
            .await;
        assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unknown.text().await.unwrap().contains("no-such-company"));
        let added = post_json(
            &app,
            &kaga,
            "/api/v1/groups/kaga-external-network/members",
            json!({"member": "ota-01"}),
        )
        .await;
        assert_eq!(added.status(), StatusCode::CREATED);
        assert!(app.text(&outsider, GROUP).await.contains("機械加工工場の後継者を募集"));
    })
    .await;
}
