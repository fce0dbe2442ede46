//! Matching fairs (商談会): the fair's settings as staff type them (date, slots,
//! tables, the request deadline and cap), the participants' roles and availability,
//! and the priorities and answers of meeting requests, with Japanese messages.
//!
//! Slots are numbered from 0 internally and shown from 1 (第1枠), the way the
//! organisers' printed timetables count them.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use crate::Invalid;
use crate::events::parse_date;
use crate::text::{narrow_ascii, required_line};

/// The most slots a fair may have: a long day of ten-minute meetings.
pub const MAX_SLOTS: u16 = 60;
/// The most tables a fair may set up.
pub const MAX_TABLES: u16 = 500;

/// A participant's side at the fair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FairRole {
    /// 発注側: large and mid-size companies looking for suppliers.
    Buyer,
    /// 受注側: the small manufacturers presenting what they make.
    Supplier,
}

impl FairRole {
    pub const ALL: [FairRole; 2] = [FairRole::Buyer, FairRole::Supplier];

    pub fn code(self) -> &'static str {
        match self {
            FairRole::Buyer => "buyer",
            FairRole::Supplier => "supplier",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FairRole::Buyer => "発注側",
            FairRole::Supplier => "受注側",
        }
    }

    pub fn parse(input: &str) -> Result<FairRole, Invalid> {
        FairRole::ALL
            .into_iter()
            .find(|r| r.code() == input.trim() || r.label() == input.trim())
            .ok_or_else(|| Invalid::new("role", "発注側か受注側を選んでください。"))
    }
}

/// How much the requesting side wants a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestPriority {
    Must,
    Should,
    Could,
}

impl RequestPriority {
    pub const ALL: [RequestPriority; 3] = [
        RequestPriority::Must,
        RequestPriority::Should,
        RequestPriority::Could,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RequestPriority::Must => "must",
            RequestPriority::Should => "should",
            RequestPriority::Could => "could",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RequestPriority::Must => "ぜひ会いたい",
            RequestPriority::Should => "会いたい",
            RequestPriority::Could => "時間があれば",
        }
    }

    pub fn parse(input: &str) -> Result<RequestPriority, Invalid> {
        RequestPriority::ALL
            .into_iter()
            .find(|p| p.code() == input.trim())
            .ok_or_else(|| Invalid::new("priority", "希望度を選んでください。"))
    }
}

/// Where a request stands with the side that was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    Pending,
    Accepted,
    Declined,
    /// Left unanswered until the request deadline passed.
    Expired,
}

impl RequestStatus {
    pub fn code(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Accepted => "accepted",
            RequestStatus::Declined => "declined",
            RequestStatus::Expired => "expired",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RequestStatus::Pending => "回答待ち",
            RequestStatus::Accepted => "承諾",
            RequestStatus::Declined => "辞退",
            RequestStatus::Expired => "期限切れ",
        }
    }

    pub fn parse(code: &str) -> Option<RequestStatus> {
        [
            RequestStatus::Pending,
            RequestStatus::Accepted,
            RequestStatus::Declined,
            RequestStatus::Expired,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// What came of a meeting, recorded after the fair: it starts (or moves on) the
/// negotiation (商談) the council counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingOutcome {
    /// 面談した・継続して検討: the meeting took place, no further step yet.
    FollowUp,
    /// 見積依頼: the buyer asked for a quote.
    Quote,
    /// 試作: a prototype was agreed.
    Prototype,
    /// 受注・契約: an order or contract.
    Order,
    /// 見送り: no business this time.
    NoDeal,
    /// 不成立: the meeting did not take place (a side did not come).
    NotHeld,
}

impl MeetingOutcome {
    pub const ALL: [MeetingOutcome; 6] = [
        MeetingOutcome::FollowUp,
        MeetingOutcome::Quote,
        MeetingOutcome::Prototype,
        MeetingOutcome::Order,
        MeetingOutcome::NoDeal,
        MeetingOutcome::NotHeld,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MeetingOutcome::FollowUp => "follow_up",
            MeetingOutcome::Quote => "quote",
            MeetingOutcome::Prototype => "prototype",
            MeetingOutcome::Order => "order",
            MeetingOutcome::NoDeal => "no_deal",
            MeetingOutcome::NotHeld => "not_held",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MeetingOutcome::FollowUp => "面談済み・継続検討",
            MeetingOutcome::Quote => "見積依頼",
            MeetingOutcome::Prototype => "試作",
            MeetingOutcome::Order => "受注・契約",
            MeetingOutcome::NoDeal => "見送り",
            MeetingOutcome::NotHeld => "面談不成立",
        }
    }

    pub fn parse(input: &str) -> Result<MeetingOutcome, Invalid> {
        MeetingOutcome::ALL
            .into_iter()
            .find(|o| o.code() == input.trim() || o.label() == input.trim())
            .ok_or_else(|| Invalid::new("outcome", "面談の結果を選んでください。"))
    }

    /// Whether the two companies actually met.
    pub fn was_held(self) -> bool {
        self != MeetingOutcome::NotHeld
    }
}

/// What the fair form sends, as typed.
#[derive(Debug, Clone, Default)]
pub struct FairInput {
    pub name: String,
    pub date: String,
    pub start_time: String,
    pub slot_count: String,
    pub slot_minutes: String,
    pub table_count: String,
    pub request_deadline: String,
    pub request_cap: String,
    /// The key of the calendar event the fair belongs to (optional).
    pub event: String,
}

/// A fair's settings, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FairDraft {
    pub name: String,
    pub date: NaiveDate,
    pub start_time: NaiveTime,
    pub slot_count: u16,
    pub slot_minutes: u16,
    pub table_count: u16,
    pub request_deadline: NaiveDate,
    pub request_cap: u16,
    pub event_key: Option<String>,
}

fn number(field: &str, label: &str, input: &str, min: u16, max: u16) -> Result<u16, Invalid> {
    let text = narrow_ascii(input.trim());
    match text.parse::<u16>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(0) if min > 0 => Err(Invalid::new(
            field,
            format!("{label}は1以上にしてください。"),
        )),
        _ => Err(Invalid::new(
            field,
            format!("{label}は{min}から{max}までの整数で入力してください。"),
        )),
    }
}

impl FairDraft {
    pub fn parse(input: &FairInput) -> Result<FairDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let name = required_line("name", &input.name, 200).map_err(|e| errors.push(e));
        let date = parse_date("date", &input.date).map_err(|e| errors.push(e));
        let start_time = NaiveTime::parse_from_str(&narrow_ascii(input.start_time.trim()), "%H:%M")
            .map_err(|_| {
                errors.push(Invalid::new(
                    "start_time",
                    "開始時刻は 13:00 の形で入力してください。",
                ))
            });
        let slot_count = number("slot_count", "枠の数", &input.slot_count, 1, MAX_SLOTS)
            .map_err(|e| errors.push(e));
        let slot_minutes = number("slot_minutes", "1枠の長さ", &input.slot_minutes, 5, 240)
            .map_err(|e| errors.push(e));
        let table_count = number(
            "table_count",
            "テーブル数",
            &input.table_count,
            1,
            MAX_TABLES,
        )
        .map_err(|e| errors.push(e));
        let request_deadline =
            parse_date("request_deadline", &input.request_deadline).map_err(|e| errors.push(e));
        let request_cap = number("request_cap", "申込の上限", &input.request_cap, 1, 200)
            .map_err(|e| errors.push(e));
        let event = input.event.trim();
        let (
            Ok(name),
            Ok(date),
            Ok(start_time),
            Ok(slot_count),
            Ok(slot_minutes),
            Ok(table_count),
            Ok(request_deadline),
            Ok(request_cap),
        ) = (
            name,
            date,
            start_time,
            slot_count,
            slot_minutes,
            table_count,
            request_deadline,
            request_cap,
        )
        else {
            return Err(errors);
        };
        if request_deadline > date {
            errors.push(Invalid::new(
                "request_deadline",
                "申込締切は開催日以前にしてください。",
            ));
        }
        let minutes_from_midnight = start_time
            .signed_duration_since(NaiveTime::MIN)
            .num_minutes();
        if minutes_from_midnight + i64::from(slot_count) * i64::from(slot_minutes) > 24 * 60 {
            errors.push(Invalid::new(
                "slot_count",
                "最後の枠が開催日のうちに終わるよう、枠の数か長さを減らしてください。",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(FairDraft {
            name,
            date,
            start_time,
            slot_count,
            slot_minutes,
            table_count,
            request_deadline,
            request_cap,
            event_key: (!event.is_empty()).then(|| event.to_owned()),
        })
    }
}

/// When slot `slot` (from 0) starts and ends.
pub fn slot_times(
    date: NaiveDate,
    start_time: NaiveTime,
    slot_minutes: u16,
    slot: u16,
) -> (NaiveDateTime, NaiveDateTime) {
    let start =
        date.and_time(start_time) + Duration::minutes(i64::from(slot) * i64::from(slot_minutes));
    (start, start + Duration::minutes(i64::from(slot_minutes)))
}

/// Reads availability as typed: slot numbers from 1 and ranges (`1-5, 8`, full or
/// half width); empty means every slot. Returns slots from 0, sorted, unique.
pub fn parse_availability(input: &str, slot_count: u16) -> Result<Vec<u16>, Invalid> {
    let text = narrow_ascii(input.trim())
        .replace(['、', '，', ' '], ",")
        .replace(['〜', '~', '－', 'ー'], "-");
    if text.trim_matches(',').is_empty() {
        return Ok((0..slot_count).collect());
    }
    let bad = || {
        Invalid::new(
            "available",
            format!("参加できる枠は 1-{slot_count} の番号で入力してください（例: 1-5,8）。"),
        )
    };
    let mut slots = Vec::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let (from, to) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part.trim(), part.trim()),
        };
        let (from, to) = (
            from.parse::<u16>().map_err(|_| bad())?,
            to.parse::<u16>().map_err(|_| bad())?,
        );
        if from == 0 || to > slot_count || from > to {
            return Err(bad());
        }
        slots.extend(from - 1..to);
    }
    slots.sort_unstable();
    slots.dedup();
    Ok(slots)
}

/// Availability as people read it: `1-5,8` (slots from 1), or 全枠.
pub fn format_availability(slots: &[u16], slot_count: u16) -> String {
    if slots.len() == usize::from(slot_count) {
        return "全枠".to_owned();
    }
    let mut parts = Vec::new();
    let mut i = 0;
    while i < slots.len() {
        let start = slots[i];
        let mut end = start;
        while i + 1 < slots.len() && slots[i + 1] == end + 1 {
            i += 1;
            end = slots[i];
        }
        parts.push(if start == end {
            format!("{}", start + 1)
        } else {
            format!("{}-{}", start + 1, end + 1)
        });
        i += 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> FairInput {
        FairInput {
            name: "川口マッチング商談会".into(),
            date: "2027-02-10".into(),
            start_time: "１３:００".into(),
            slot_count: "20".into(),
            slot_minutes: "15".into(),
            table_count: "10".into(),
            request_deadline: "2027-02-01".into(),
            request_cap: "10".into(),
            event: String::new(),
        }
    }

    #[test]
    fn a_fair_of_twenty_slots_and_ten_tables_is_accepted() {
        let draft = FairDraft::parse(&input()).unwrap();
        assert_eq!((draft.slot_count, draft.table_count), (20, 10));
        let (start, end) = slot_times(draft.date, draft.start_time, 15, 19);
        assert_eq!(start.format("%H:%M").to_string(), "17:45");
        assert_eq!(end.format("%H:%M").to_string(), "18:00");
    }

    #[test]
    fn zero_slots_and_a_deadline_after_the_fair_are_refused_in_japanese() {
        let errors = FairDraft::parse(&FairInput {
            slot_count: "0".into(),
            ..input()
        })
        .unwrap_err();
        assert_eq!(errors[0].reason, "枠の数は1以上にしてください。");
        let errors = FairDraft::parse(&FairInput {
            request_deadline: "2027-03-01".into(),
            ..input()
        })
        .unwrap_err();
        assert_eq!(errors[0].field, "request_deadline");
    }

    #[test]
    fn outcomes_and_statuses_read_back_from_their_codes() {
        for outcome in MeetingOutcome::ALL {
            assert_eq!(MeetingOutcome::parse(outcome.code()).unwrap(), outcome);
        }
        assert!(MeetingOutcome::parse("たぶん").is_err());
        assert_eq!(
            RequestStatus::parse("expired"),
            Some(RequestStatus::Expired)
        );
    }

    #[test]
    fn availability_reads_ranges_from_one_and_prints_them_back() {
        assert_eq!(parse_availability("1-3、５", 10).unwrap(), [0, 1, 2, 4]);
        assert_eq!(parse_availability("", 3).unwrap(), [0, 1, 2]);
        assert!(parse_availability("0-2", 10).is_err());
        assert!(parse_availability("9-11", 10).is_err());
        assert_eq!(format_availability(&[0, 1, 2, 4], 10), "1-3,5");
        assert_eq!(format_availability(&[0, 1, 2], 3), "全枠");
    }
}
