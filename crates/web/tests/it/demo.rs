//! A newcomer's first look at the demonstration data (issue 17, item 1): the home
//! page's activity dated from the records and distinct, invented companies marked.

use std::collections::HashSet;

use crate::harness::{between, on_each_backend};

#[tokio::test]
async fn the_home_pages_activity_is_dated_from_the_records_and_never_repeats() {
    on_each_backend(|app| async move {
        let client = app.client();
        let home = app.text(&client, "/").await;
        // The heading, not the page's meta description, which names 最新の活動 too.
        let section = between(&home, ">最新の活動</h2>", "</ul>").expect("the activity section");
        let lines: Vec<&str> = section
            .split("<li>")
            .skip(1)
            .map(|l| l.split("</li>").next().unwrap_or_default())
            .collect();
        assert_eq!(lines.len(), 5, "{section}");
        let distinct: HashSet<&str> = lines.iter().copied().collect();
        assert_eq!(distinct.len(), lines.len(), "repeated lines: {section}");
        let today = domain::time::japan_today().to_string();
        for line in &lines {
            let day = &line[..10];
            assert!(
                ("2016-04-01".."2018-04-01").contains(&day) && day != today,
                "dated from the records, not the load: {line}"
            );
            // The line says what the record is (its title) as well as what happened.
            assert!(line.contains('｜'), "{line}");
        }
        assert!(
            !home.contains("開催予定｜2016"),
            "a past event read 開催予定"
        );

        // An award names its company once, in the feed and on its page.
        let feed = app.text(&client, "/feeds/activity.atom").await;
        assert!(feed.contains("株式会社難波鉄工所"));
        assert!(!feed.contains("株式会社難波鉄工所（株式会社難波鉄工所）"));
        assert!(feed.contains("<updated>2016-09-30T09:00:00+09:00</updated>"));
        let award = app
            .text(&client, "/registry/amagasaki-100nen-2016-amagasaki-14")
            .await;
        assert!(award.contains("2016年9月30日"), "decided within 平成28年度");
        assert!(!award.contains("表彰企業（表彰企業）"));
    })
    .await;
}

#[tokio::test]
async fn invented_companies_and_the_open_demo_call_are_marked_demo() {
    on_each_backend(|app| async move {
        let client = app.client();
        let company = app.text(&client, "/companies/ota-01").await;
        assert!(
            company.contains("デモ（架空の企業）"),
            "company page marked"
        );
        let list = app.text(&client, "/companies").await;
        assert!(list.contains("<span class=\"tag demo\">デモ</span>"));
        let calls = app.text(&client, "/calls").await;
        assert!(
            calls.contains("【デモ】試作開発チャレンジ補助金"),
            "one call open to try"
        );
    })
    .await;
}
