//! The weekly digest (the council's 情報発信 by mail): anyone subscribes to the
//! upcoming public events of chosen cities and pillars, confirmed by a mailed link
//! (double opt-in: the token is single-use, valid a day, stored as its SHA-256), and
//! gets one bulk message a week listing the next two weeks' events of that choice.
//!
//! A subscription request answers the same whether or not the address is known (no
//! enumeration), changes nothing until the owner of the address confirms, and mails
//! at most one confirmation per address every ten minutes (someone typing a
//! stranger's address repeatedly cannot flood it). A week's round is claimed by a
//! unique row per ISO week (`digest_rounds`), so that two `renkei serve` processes, or
//! one and `renkei digest send`, never both queue one week's digest.

use std::collections::HashSet;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use domain::{Invalid, Pillar};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entity::{digest_round, digest_subscription};
use crate::events::{self, Event, EventFilter};
use crate::outbox::{Outgoing, PUBLIC_URL};
use crate::unsubscribe::{self, DIGEST};
use crate::write::{Action, Audited, Entity};
use crate::{Store, StoreError};

pub const PENDING: &str = "pending";
pub const CONFIRMED: &str = "confirmed";
pub const UNSUBSCRIBED: &str = "unsubscribed";

/// The council's name as the digest's sender.
pub const SENDER: &str = "中小企業都市連絡協議会";

/// How long a confirmation link works.
pub const CONFIRM_FOR: Duration = Duration::hours(24);
/// At most one confirmation mail per address in this time.
const RESEND_AFTER: Duration = Duration::minutes(10);
/// Days of events a digest lists, from the day it is made.
pub const DAYS_AHEAD: i64 = 14;

/// What a subscriber chose: empty lists mean every city, every pillar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choice {
    /// City keys (`kawaguchi`).
    pub cities: Vec<String>,
    pub pillars: Vec<Pillar>,
}

impl Choice {
    fn cities_text(&self) -> String {
        self.cities.join(",")
    }

    fn pillars_text(&self) -> String {
        self.pillars
            .iter()
            .map(|p| p.number().to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    fn from_texts(cities: &str, pillars: &str) -> Choice {
        Choice {
            cities: cities
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            pillars: pillars
                .split(',')
                .filter_map(|p| p.parse::<i64>().ok())
                .filter_map(|n| Pillar::from_number(n).ok())
                .collect(),
        }
    }

    /// Whether an event belongs in this subscriber's digest.
    pub fn wants(&self, event: &Event) -> bool {
        (self.cities.is_empty() || self.cities.contains(&event.city.key))
            && (self.pillars.is_empty() || event.pillars.iter().any(|p| self.pillars.contains(p)))
    }
}

/// Reads a subscription form: the address (required, its shape checked), the chosen
/// cities (keys of the council's cities) and pillars (numbers).
pub async fn parse_request(
    store: &Store,
    email: &str,
    cities: &[String],
    pillars: &[String],
) -> Result<(String, Choice), StoreError> {
    let mut errors = Vec::new();
    let email = match domain::directory::parse_email("email", email) {
        Ok(e) if e.is_empty() => {
            errors.push(Invalid::new("email", "メールアドレスを入力してください。"));
            String::new()
        }
        Ok(e) => e,
        Err(wrong) => {
            errors.push(wrong);
            String::new()
        }
    };
    let directory = crate::organisations::directory(store).await?;
    let mut choice = Choice::default();
    for city in cities {
        if directory.city_by_key(city).is_some() {
            if !choice.cities.contains(city) {
                choice.cities.push(city.clone());
            }
        } else {
            errors.push(Invalid::new("cities", "市区は一覧から選んでください。"));
        }
    }
    for pillar in pillars {
        match Pillar::parse(pillar) {
            Ok(p) if !choice.pillars.contains(&p) => choice.pillars.push(p),
            Ok(_) => {}
            Err(_) => errors.push(Invalid::new("pillars", "分野は一覧から選んでください。")),
        }
    }
    if errors.is_empty() {
        Ok((email, choice))
    } else {
        Err(StoreError::Invalid(errors))
    }
}

fn describe(choice: &Choice, cities: &crate::organisations::Directory) -> String {
    let city_names = if choice.cities.is_empty() {
        "すべての市区".to_owned()
    } else {
        choice
            .cities
            .iter()
            .filter_map(|k| cities.city_by_key(k).map(|c| c.name.clone()))
            .collect::<Vec<_>>()
            .join("・")
    };
    let pillar_names = if choice.pillars.is_empty() {
        "すべての分野".to_owned()
    } else {
        choice
            .pillars
            .iter()
            .map(|p| p.short_name())
            .collect::<Vec<_>>()
            .join("・")
    };
    format!("{city_names}／{pillar_names}")
}

/// Asks to subscribe `email` to `choice` (or to change a subscription to it): mails
/// a confirmation link; nothing else changes until it is used. Answers the same for
/// every address.
pub async fn subscribe(store: &Store, email: &str, choice: &Choice) -> Result<(), StoreError> {
    let directory = crate::organisations::directory(store).await?;
    let email = unsubscribe::normalise(email);
    let token = crate::tokens::new_token();
    store
        .write(None, async |w| {
            let now = Utc::now();
            let existing = digest_subscription::Entity::find()
                .filter(digest_subscription::Column::Email.eq(email.as_str()))
                .one(w.txn())
                .await?;
            if let Some(row) = &existing
                && row.confirm_sent_at.is_some_and(|at| now - at < RESEND_AFTER)
            {
                // A confirmation went out moments ago: the same answer, no second mail.
                return Ok(());
            }
            let mut change = digest_subscription::ActiveModel {
                email: Set(email.clone()),
                pending_cities: Set(choice.cities_text()),
                pending_pillars: Set(choice.pillars_text()),
                confirm_hash: Set(Some(token.hash.clone())),
                confirm_expires_at: Set(Some(now + CONFIRM_FOR)),
                confirm_sent_at: Set(Some(now)),
                updated_at: Set(now),
                ..Default::default()
            };
            let id = match existing {
                Some(row) => {
                    change.id = Set(row.id);
                    change.update(w.txn()).await?.id
                }
                None => {
                    change.status = Set(PENDING.to_owned());
                    change.created_at = Set(now);
                    change.insert(w.txn()).await?.id
                }
            };
            w.send(Outgoing::new(
                None,
                SENDER,
                "",
                &email,
                "【確認】週刊イベント情報の配信登録",
                &format!(
                    "連携プラットフォームの週刊イベント情報（中小企業都市連絡協議会の7市区の催し）の配信登録を受け付けました。\n\n配信する内容：{}\n\n次のページで「登録を確定する」を押すと、毎週のお知らせが始まります（24時間以内にお願いします）。\n{PUBLIC_URL}/digest/confirm/{}\n\nご登録の内容を変えたいときは、同じページからもう一度お申し込みください。",
                    describe(choice, &directory),
                    token.raw
                ),
                "このメールは、週刊イベント情報の配信登録でこのアドレスが入力されたためお送りしています。心当たりがない場合は破棄してください（確定しなければ登録されません）。",
            ));
            w.audit(Audited::new(
                Action::Subscribe,
                Entity::DigestSubscription,
                id.to_string(),
                None,
                "週刊イベント情報の配信申込（確認メールを送信）",
            ));
            Ok(())
        })
        .await
}

/// A confirmation link's subscription, as its page shows it before it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub email: String,
    pub choice: Choice,
    /// The choice in words (`川口市・墨田区／すべての分野`).
    pub description: String,
}

async fn by_confirm_token(
    db: &impl sea_orm::ConnectionTrait,
    token: &str,
) -> Result<digest_subscription::Model, StoreError> {
    let gone = || StoreError::not_found("確認のリンク（使用済みか、期限切れです）");
    if !crate::tokens::looks_like_token(token) {
        return Err(gone());
    }
    let row = digest_subscription::Entity::find()
        .filter(digest_subscription::Column::ConfirmHash.eq(crate::tokens::hash(token)))
        .one(db)
        .await?
        .ok_or_else(gone)?;
    if row.confirm_expires_at.is_none_or(|at| at < Utc::now()) {
        return Err(gone());
    }
    Ok(row)
}

/// What a confirmation link would confirm (changes nothing: mail scanners open links).
pub async fn pending(store: &Store, token: &str) -> Result<Pending, StoreError> {
    let row = by_confirm_token(&store.db, token).await?;
    let directory = crate::organisations::directory(store).await?;
    let choice = Choice::from_texts(&row.pending_cities, &row.pending_pillars);
    Ok(Pending {
        description: describe(&choice, &directory),
        email: row.email,
        choice,
    })
}

/// Confirms: the choice applies, the subscription is active (an earlier unsubscribe
/// of the digest is lifted), the link is used up. Audited.
pub async fn confirm(store: &Store, token: &str) -> Result<Pending, StoreError> {
    let directory = crate::organisations::directory(store).await?;
    store
        .write(None, async |w| {
            let row = by_confirm_token(w.txn(), token).await?;
            let now = Utc::now();
            digest_subscription::ActiveModel {
                id: Set(row.id),
                status: Set(CONFIRMED.to_owned()),
                cities: Set(row.pending_cities.clone()),
                pillars: Set(row.pending_pillars.clone()),
                confirm_hash: Set(None),
                confirm_expires_at: Set(None),
                confirmed_at: Set(Some(now)),
                updated_at: Set(now),
                ..Default::default()
            }
            .update(w.txn())
            .await?;
            unsubscribe::lift(w.txn(), DIGEST, &row.email).await?;
            let choice = Choice::from_texts(&row.pending_cities, &row.pending_pillars);
            let description = describe(&choice, &directory);
            w.audit(Audited::new(
                Action::Confirm,
                Entity::DigestSubscription,
                row.id.to_string(),
                None,
                format!("週刊イベント情報の配信登録を確定（{description}）"),
            ));
            Ok(Pending {
                email: row.email,
                choice,
                description,
            })
        })
        .await
}

/// A confirmed subscriber, for `renkei digest` and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub email: String,
    pub choice: Choice,
}

/// The confirmed subscribers, oldest first.
pub async fn subscribers(store: &Store) -> Result<Vec<Subscriber>, StoreError> {
    Ok(digest_subscription::Entity::find()
        .filter(digest_subscription::Column::Status.eq(CONFIRMED))
        .order_by_asc(digest_subscription::Column::Id)
        .all(&store.db)
        .await?
        .into_iter()
        .map(|row| Subscriber {
            choice: Choice::from_texts(&row.cities, &row.pillars),
            email: row.email,
        })
        .collect())
}

/// The ISO week of a day, as `digest_rounds` names it (`2026-W50`).
pub fn week_of(day: NaiveDate) -> String {
    let week = day.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// What a week's round did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    pub week: String,
    /// Messages queued now (0 when `already`).
    pub mails: u64,
    /// Confirmed subscribers with nothing of their choice in the coming days.
    pub nothing_to_say: u64,
    /// This week's digest had been queued before (by this or another process).
    pub already: bool,
    /// No confirmed subscriber: nothing queued, the week not claimed.
    pub nobody: bool,
}

const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

fn day_label(day: NaiveDate) -> String {
    format!(
        "{}月{}日（{}）",
        day.month(),
        day.day(),
        WEEKDAYS[day.weekday().num_days_from_monday() as usize]
    )
}

fn listing(events: &[&Event]) -> String {
    let mut text = String::new();
    for event in events {
        let time = if event.time.all_day {
            String::new()
        } else {
            event.time.start.format(" %H:%M〜").to_string()
        };
        text.push_str(&format!(
            "■ {}{time}【{}】{}\n  {}（{}）\n  {PUBLIC_URL}/events/{}\n\n",
            day_label(event.time.first_day()),
            event.city.name,
            outbox_line(&event.title),
            event.event_type.label(),
            outbox_line(&event.venue),
            event.key
        ));
    }
    text
}

fn outbox_line(text: &str) -> String {
    crate::outbox::one_line(text)
}

/// Queues this week's digest (the ISO week of `today`, in Japan) for every confirmed
/// subscriber with events of their choice from `today` on for [`DAYS_AHEAD`] days,
/// once per week whatever the number of processes. Audited (by the system).
pub async fn send_week(store: &Store, today: NaiveDate) -> Result<Round, StoreError> {
    let week = week_of(today);
    let mut round = Round {
        week: week.clone(),
        mails: 0,
        nothing_to_say: 0,
        already: false,
        nobody: false,
    };
    let claimed = |week: &str| {
        digest_round::Entity::find().filter(digest_round::Column::Week.eq(week.to_owned()))
    };
    if claimed(&week).one(&store.db).await?.is_some() {
        round.already = true;
        return Ok(round);
    }
    let subscribers = subscribers(store).await?;
    if subscribers.is_empty() {
        round.nobody = true;
        return Ok(round);
    }
    let last = today + Duration::days(DAYS_AHEAD - 1);
    let events = events::list(
        store,
        &EventFilter {
            from: Some(today),
            to: Some(last),
            ..EventFilter::default()
        },
    )
    .await?;
    let subject_span = format!(
        "{}月{}日〜{}月{}日",
        today.month(),
        today.day(),
        last.month(),
        last.day()
    );
    let outcome = store
        .write(None, async |w| {
            if claimed(&week).one(w.txn()).await?.is_some() {
                return Ok(None);
            }
            let row = digest_round::ActiveModel {
                week: Set(week.clone()),
                mails: Set(0),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(w.txn())
            .await?;
            let mut mails = 0u64;
            let mut nothing = 0u64;
            let mut seen = HashSet::new();
            for subscriber in &subscribers {
                if !seen.insert(subscriber.email.clone()) {
                    continue;
                }
                let chosen: Vec<&Event> =
                    events.iter().filter(|e| subscriber.choice.wants(e)).collect();
                if chosen.is_empty() {
                    nothing += 1;
                    continue;
                }
                w.send(Outgoing::bulk(
                    None,
                    SENDER,
                    "",
                    &subscriber.email,
                    &format!("【週刊イベント情報】{subject_span}の催し（{}件）", chosen.len()),
                    &format!(
                        "中小企業都市連絡協議会の7市区から、これから2週間の催しをお知らせします。\n\n{}一覧とカレンダー：{PUBLIC_URL}/events\n配信内容の変更：{PUBLIC_URL}/digest",
                        listing(&chosen)
                    ),
                    "このメールは、連携プラットフォームの週刊イベント情報に登録（メールでの確認済み）されたアドレスにお送りしています。",
                    DIGEST,
                ));
                mails += 1;
            }
            digest_round::ActiveModel {
                id: Set(row.id),
                mails: Set(i64::try_from(mails).unwrap_or(i64::MAX)),
                ..Default::default()
            }
            .update(w.txn())
            .await?;
            w.audit(
                Audited::new(
                    Action::Send,
                    Entity::Digest,
                    week.clone(),
                    None,
                    format!("週刊イベント情報（{week}）を{mails}通送信待ちに"),
                )
                .by_system(),
            );
            Ok(Some((mails, nothing)))
        })
        .await;
    match outcome {
        Ok(Some((mails, nothing))) => {
            round.mails = mails;
            round.nothing_to_say = nothing;
        }
        Ok(None) => round.already = true,
        // Another process claimed the week between the check and the insert.
        Err(StoreError::Conflict(_)) if claimed(&week).one(&store.db).await?.is_some() => {
            round.already = true;
        }
        Err(other) => return Err(other),
    }
    Ok(round)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_are_named_by_iso_week_across_the_new_year() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        assert_eq!(week_of(day(2026, 12, 7)), "2026-W50");
        assert_eq!(week_of(day(2027, 1, 1)), "2026-W53");
        assert_eq!(week_of(day(2027, 1, 4)), "2027-W01");
    }

    #[test]
    fn a_choice_survives_its_stored_form() {
        let choice = Choice {
            cities: vec!["kawaguchi".into(), "ota".into()],
            pillars: vec![Pillar::ALL[0], Pillar::ALL[2]],
        };
        assert_eq!(
            Choice::from_texts(&choice.cities_text(), &choice.pillars_text()),
            choice
        );
        assert_eq!(Choice::from_texts("", ""), Choice::default());
    }
}
