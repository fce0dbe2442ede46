//! Fairs (商談会): a meeting request is told to the asked company's members, its
//! answer to the asking company's, an expiry at the deadline pass to the asking
//! company's; when the schedule is first stored every participant with accepted
//! meetings gets its own schedule (with an `.ics` of its meetings, METHOD:REQUEST),
//! and when a later run changes a company's meetings, that company gets the new one.

use std::collections::BTreeSet;

use domain::events::date_label;
use domain::fairs::{RequestPriority, RequestStatus};
use icalendar::{Calendar, Component, EventLike};
use sea_orm::ConnectionTrait;

use super::{Notice, Programme, company_members, notify_all};
use crate::StoreError;
use crate::fairs::{Fair, MeetingRequest, Participant};
use crate::ical;
use crate::outbox::{MAIL_FROM, PUBLIC_URL};

fn notice(fair: &Fair, title: String, body: String, to: &Participant) -> Notice {
    Notice::new(
        Programme::Fairs,
        (Some(fair.owner.id), &fair.owner.name),
        title,
        body,
        format!("/fairs/{}", fair.key),
        format!(
            "このメールは、{}が{}主催の商談会「{}」に参加しているためお送りしています。",
            to.company_name, fair.owner.name, fair.name
        ),
    )
}

async fn tell(
    db: &impl ConnectionTrait,
    to: &Participant,
    what: &Notice,
) -> Result<(), StoreError> {
    notify_all(db, &company_members(db, to.company_id).await?, what).await
}

/// `asker` asked `asked` for a meeting: the asked company answers by the deadline.
pub async fn request_received(
    db: &impl ConnectionTrait,
    fair: &Fair,
    asker: &Participant,
    asked: &Participant,
    priority: RequestPriority,
) -> Result<(), StoreError> {
    let what = notice(
        fair,
        format!(
            "【面談の申込】{}から面談の申込がありました",
            asker.company_name
        ),
        format!(
            "商談会「{}」（{}）で、{}（{}）から面談の申込がありました（希望度：{}）。\n申込締切（{}）までに、商談会のページで承諾または辞退を回答してください。回答のない申込は締切後に期限切れになります。",
            fair.name,
            date_label(fair.date),
            asker.company_name,
            asker.city_name,
            priority.label(),
            date_label(fair.request_deadline)
        ),
        asked,
    );
    tell(db, asked, &what).await
}

/// The asked company answered: the asking company hears whether it was accepted.
pub async fn answered(
    db: &impl ConnectionTrait,
    fair: &Fair,
    request: &MeetingRequest,
    status: RequestStatus,
) -> Result<(), StoreError> {
    let (Some(asker), Some(asked)) = (fair.participant(request.from), fair.participant(request.to))
    else {
        return Ok(());
    };
    let accepted = status == RequestStatus::Accepted;
    let what = notice(
        fair,
        format!(
            "【面談の{}】{}が面談の申込を{}しました",
            status.label(),
            asked.company_name,
            status.label()
        ),
        if accepted {
            format!(
                "商談会「{}」（{}）で申し込んだ{}との面談が承諾されました。面談の時間とテーブルは、主催の{}が割り当てを行った後にお知らせします。",
                fair.name,
                date_label(fair.date),
                asked.company_name,
                fair.owner.name
            )
        } else {
            format!(
                "商談会「{}」（{}）で申し込んだ{}との面談は辞退されました。申込締切までは、ほかの企業に申し込むことができます。",
                fair.name,
                date_label(fair.date),
                asked.company_name
            )
        },
        asker,
    );
    tell(db, asker, &what).await
}

/// The deadline pass expired these requests: each asking company hears of its own.
pub async fn expired(
    db: &impl ConnectionTrait,
    fair: &Fair,
    request_ids: &[i64],
) -> Result<(), StoreError> {
    for id in request_ids {
        let Some(request) = fair.requests.iter().find(|r| r.id == *id) else {
            continue;
        };
        let (Some(asker), Some(asked)) =
            (fair.participant(request.from), fair.participant(request.to))
        else {
            continue;
        };
        let what = notice(
            fair,
            format!(
                "【期限切れ】{}への面談の申込が期限切れになりました",
                asked.company_name
            ),
            format!(
                "商談会「{}」で{}に申し込んだ面談は、申込締切（{}）までに回答がなかったため期限切れになりました。面談を希望する場合は、主催の{}にご相談ください。",
                fair.name,
                asked.company_name,
                date_label(fair.request_deadline),
                fair.owner.name
            ),
            asker,
        );
        tell(db, asker, &what).await?;
    }
    Ok(())
}

/// A participant's meetings as (request, slot, table): what a change is compared on.
fn placed(fair: &Fair, participant_id: i64) -> BTreeSet<(i64, u16, Option<u16>)> {
    fair.meetings_of(participant_id)
        .iter()
        .filter_map(|r| r.slot.map(|s| (r.id, s, r.table)))
        .collect()
}

fn has_accepted(fair: &Fair, participant_id: i64) -> bool {
    fair.requests.iter().any(|r| {
        r.status == RequestStatus::Accepted && (r.from == participant_id || r.to == participant_id)
    })
}

/// The participant's meetings as an invitation (METHOD:REQUEST): one VEVENT per
/// meeting under the UID the personal schedule page uses, SEQUENCE from the run's
/// time so that each run's invitation replaces the one before.
pub fn schedule_ics(fair: &Fair, participant: &Participant) -> String {
    let sequence = fair
        .scheduled_at
        .map_or(0, |at| u32::try_from(at.timestamp()).unwrap_or(0));
    let mut calendar = Calendar::new();
    calendar
        .name(&format!("{}（{}）", fair.name, participant.company_name))
        .timezone(ical::TZID)
        .append_property(icalendar::Property::new("METHOD", "REQUEST"));
    for r in fair.meetings_of(participant.id) {
        let Some(slot) = r.slot else { continue };
        let other = if r.from == participant.id {
            fair.participant_name(r.to)
        } else {
            fair.participant_name(r.from)
        };
        let (start, end) = fair.slot_times(slot);
        let table = r
            .table
            .map(|t| format!("テーブル{}", t + 1))
            .unwrap_or_default();
        let mut organiser = icalendar::Property::new("ORGANIZER", format!("mailto:{MAIL_FROM}"));
        organiser.add_parameter(
            "CN",
            &fair
                .owner
                .name
                .chars()
                .filter(|c| !c.is_control() && !matches!(c, '"' | ';' | ':' | ','))
                .collect::<String>(),
        );
        calendar.push(
            icalendar::Event::new()
                .uid(&format!("fair-{}-{}@renkei", fair.key, r.id))
                .sequence(sequence)
                .timestamp(fair.scheduled_at.unwrap_or_else(chrono::Utc::now))
                .summary(&format!("商談: {other}（{}）", fair.name))
                .location(&table)
                .description(&format!("{} {}", fair.slot_label(slot), table))
                .url(&format!("{PUBLIC_URL}/fairs/{}", fair.key))
                .starts(ical::tokyo(start))
                .ends(ical::tokyo(end))
                .append_property(organiser)
                .done(),
        );
    }
    ical::with_vtimezone(calendar)
}

fn schedule_text(fair: &Fair, participant: &Participant) -> String {
    let lines: Vec<String> = fair
        .meetings_of(participant.id)
        .iter()
        .filter_map(|r| {
            let slot = r.slot?;
            let other = if r.from == participant.id {
                fair.participant_name(r.to)
            } else {
                fair.participant_name(r.from)
            };
            Some(format!(
                "・{} {}　{}",
                fair.slot_label(slot),
                r.table
                    .map(|t| format!("テーブル{}", t + 1))
                    .unwrap_or_default(),
                other
            ))
        })
        .collect();
    let unplaced = fair
        .requests
        .iter()
        .filter(|r| {
            r.status == RequestStatus::Accepted
                && r.slot.is_none()
                && (r.from == participant.id || r.to == participant.id)
        })
        .count();
    let mut text = if lines.is_empty() {
        "割り当てられた面談はありません。".to_owned()
    } else {
        format!("面談予定（{}件）：\n{}", lines.len(), lines.join("\n"))
    };
    if unplaced > 0 {
        text.push_str(&format!(
            "\n承諾済みで時間を割り当てられなかった面談が{unplaced}件あります。理由は商談会のページでご確認ください。"
        ));
    }
    text
}

/// A scheduling run stored: the first run publishes each company's schedule; a
/// later one tells those whose meetings moved, appeared or went away.
pub async fn schedule_stored(
    db: &impl ConnectionTrait,
    before: &Fair,
    after: &Fair,
) -> Result<(), StoreError> {
    let first = before.scheduled_at.is_none();
    for participant in &after.participants {
        let now = placed(after, participant.id);
        let had = placed(before, participant.id);
        // A company's first meetings are its schedule, not a change to one.
        let first = first || had.is_empty();
        let tell_it = if first {
            !now.is_empty()
                || (before.scheduled_at.is_none() && has_accepted(after, participant.id))
        } else {
            now != had
        };
        if !tell_it {
            continue;
        }
        let (title, opening) = if first {
            (
                format!("【面談予定】{}の面談予定をお知らせします", after.name),
                format!(
                    "商談会「{}」（{}）の面談の割り当てが決まりました。{}の面談予定は次のとおりです。",
                    after.name,
                    date_label(after.date),
                    participant.company_name
                ),
            )
        } else {
            (
                format!("【面談予定の変更】{}の面談予定が変わりました", after.name),
                format!(
                    "商談会「{}」（{}）の面談の割り当てが見直され、{}の面談予定が変わりました。新しい予定は次のとおりです（これまでの予定に代わります）。",
                    after.name,
                    date_label(after.date),
                    participant.company_name
                ),
            )
        };
        let mut what = notice(
            after,
            title,
            format!(
                "{opening}\n\n{}\n\n添付のカレンダー（.ics）で予定に登録できます。当日は開始時刻までに受付をお済ませください。",
                schedule_text(after, participant)
            ),
            participant,
        );
        what.link = format!("/fairs/{}/companies/{}", after.key, participant.company_key);
        if !now.is_empty() {
            what = what.with_ics(schedule_ics(after, participant));
        }
        tell(db, participant, &what).await?;
    }
    Ok(())
}
