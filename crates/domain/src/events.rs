//! Events of the shared calendar: what kinds there are, when they take place (local
//! time in Asia/Tokyo, all-day and multi-day), and the validation of what staff type
//! into the event form. Calendar arithmetic (month grids, overlaps) lives here too,
//! so that pages, feeds and the CLI agree on it.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};

use crate::{Invalid, Pillar, text};

/// The kinds of event the council's programmes hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    Exhibition,
    ProductFair,
    Seminar,
    StudySession,
    LiaisonMeeting,
    JobFair,
    BusinessMeeting,
    OpenFactory,
    Class,
    AwardCeremony,
    /// 先進企業視察: staff visit a company to learn from it.
    Visit,
    /// 情報交換会: the cities' staff or companies compare notes.
    ExchangeMeeting,
}

impl EventType {
    pub const ALL: [EventType; 12] = [
        EventType::Exhibition,
        EventType::ProductFair,
        EventType::Seminar,
        EventType::StudySession,
        EventType::LiaisonMeeting,
        EventType::JobFair,
        EventType::BusinessMeeting,
        EventType::OpenFactory,
        EventType::Class,
        EventType::AwardCeremony,
        EventType::Visit,
        EventType::ExchangeMeeting,
    ];

    /// The code stored in the database and used in URLs (`?type=seminar`).
    pub fn code(self) -> &'static str {
        match self {
            EventType::Exhibition => "exhibition",
            EventType::ProductFair => "product_fair",
            EventType::Seminar => "seminar",
            EventType::StudySession => "study_session",
            EventType::LiaisonMeeting => "liaison_meeting",
            EventType::JobFair => "job_fair",
            EventType::BusinessMeeting => "business_meeting",
            EventType::OpenFactory => "open_factory",
            EventType::Class => "class",
            EventType::AwardCeremony => "award_ceremony",
            EventType::Visit => "visit",
            EventType::ExchangeMeeting => "exchange_meeting",
        }
    }

    /// The Japanese name, as the document and the pages say it.
    pub fn label(self) -> &'static str {
        match self {
            EventType::Exhibition => "展示会",
            EventType::ProductFair => "産品フェア",
            EventType::Seminar => "セミナー",
            EventType::StudySession => "勉強会",
            EventType::LiaisonMeeting => "連絡会議",
            EventType::JobFair => "就職面接会",
            EventType::BusinessMeeting => "商談会",
            EventType::OpenFactory => "オープンファクトリー",
            EventType::Class => "体験教室",
            EventType::AwardCeremony => "表彰式",
            EventType::Visit => "視察",
            EventType::ExchangeMeeting => "情報交換会",
        }
    }

    /// Accepts the code or the Japanese name.
    pub fn parse(input: &str) -> Result<EventType, Invalid> {
        let wanted = input.trim();
        EventType::ALL
            .into_iter()
            .find(|t| t.code() == wanted || t.label() == wanted)
            .ok_or_else(|| {
                Invalid::new(
                    "event_type",
                    format!("イベントの種類を一覧から選んでください（「{wanted}」は種類ではありません）。"),
                )
            })
    }
}

/// Whether an event still takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    Scheduled,
    Cancelled,
}

impl EventStatus {
    pub fn code(self) -> &'static str {
        match self {
            EventStatus::Scheduled => "scheduled",
            EventStatus::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EventStatus::Scheduled => "開催予定",
            EventStatus::Cancelled => "中止",
        }
    }

    pub fn parse(code: &str) -> Option<EventStatus> {
        match code {
            "scheduled" => Some(EventStatus::Scheduled),
            "cancelled" => Some(EventStatus::Cancelled),
            _ => None,
        }
    }
}

/// Where an event stands as every page, feed, export and the API show it: derived
/// from the stored status (a cancellation), the dates and whether results were
/// recorded — never stored itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventState {
    /// Still to come, or taking place now: open for registration.
    Scheduled,
    /// Past its end, or its results are recorded: 終了, no registration.
    Ended,
    /// Called off (中止).
    Cancelled,
}

impl EventState {
    /// The state of an event with `status` and `time`, at `now` (local time in
    /// Asia/Tokyo), `with_results` when its 実績 are recorded. An all-day event ends
    /// with its last day; a timed one at its end time.
    pub fn of(
        status: EventStatus,
        time: &EventTime,
        with_results: bool,
        now: NaiveDateTime,
    ) -> EventState {
        let ended = if time.all_day {
            time.last_day() < now.date()
        } else {
            time.end <= now
        };
        match status {
            EventStatus::Cancelled => EventState::Cancelled,
            EventStatus::Scheduled if ended || with_results => EventState::Ended,
            EventStatus::Scheduled => EventState::Scheduled,
        }
    }

    /// The code of the API's `status` field.
    pub fn code(self) -> &'static str {
        match self {
            EventState::Scheduled => "scheduled",
            EventState::Ended => "ended",
            EventState::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EventState::Scheduled => "開催予定",
            EventState::Ended => "終了",
            EventState::Cancelled => "中止",
        }
    }
}

/// When an event takes place, in local time (Asia/Tokyo). An all-day event runs from
/// the start of its first day to the end of its last (`end` is then midnight of the
/// last day, inclusive by date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTime {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub all_day: bool,
}

impl EventTime {
    pub fn first_day(&self) -> NaiveDate {
        self.start.date()
    }

    pub fn last_day(&self) -> NaiveDate {
        self.end.date()
    }

    /// Whether the event touches `day`.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.first_day() <= day && day <= self.last_day()
    }

    /// Whether two events share some time: by date for all-day events (a day is the
    /// unit a fair or an open factory takes), by the clock otherwise.
    pub fn overlaps(&self, other: &EventTime) -> bool {
        if self.all_day || other.all_day {
            self.first_day() <= other.last_day() && other.first_day() <= self.last_day()
        } else {
            self.start < other.end && other.start < self.end
        }
    }

    /// "2016年10月15日（土）10:00〜16:00", "2016年10月15日（土）〜16日（日）".
    pub fn label(&self) -> String {
        let first = date_label(self.first_day());
        if self.all_day {
            if self.first_day() == self.last_day() {
                format!("{first}（終日）")
            } else {
                format!("{first}〜{}", date_label(self.last_day()))
            }
        } else if self.first_day() == self.last_day() {
            format!(
                "{first} {}〜{}",
                self.start.format("%H:%M"),
                self.end.format("%H:%M")
            )
        } else {
            format!(
                "{first} {}〜{} {}",
                self.start.format("%H:%M"),
                date_label(self.last_day()),
                self.end.format("%H:%M")
            )
        }
    }

    /// The stored form of a local time: `2016-10-15T10:00`, which sorts as text.
    pub fn stored(time: NaiveDateTime) -> String {
        time.format("%Y-%m-%dT%H:%M").to_string()
    }

    pub fn from_stored(text: &str) -> Option<NaiveDateTime> {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").ok()
    }
}

const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

/// "2016年10月15日（土）".
pub fn date_label(date: NaiveDate) -> String {
    format!(
        "{}年{}月{}日（{}）",
        date.year(),
        date.month(),
        date.day(),
        WEEKDAYS[date.weekday().num_days_from_monday() as usize]
    )
}

/// The weekday names from Monday, for calendar headers.
pub fn weekday_names() -> [&'static str; 7] {
    WEEKDAYS
}

/// A calendar month, as `?month=2016-10` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn containing(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Parses `2016-10` (also with full-width digits or `2016/10`).
    pub fn parse(input: &str) -> Result<Month, Invalid> {
        let narrowed = text::narrow_ascii(input);
        let refuse = || {
            Invalid::new(
                "month",
                format!(
                    "月は「2016-10」の形式で指定してください（「{}」）。",
                    input.trim()
                ),
            )
        };
        let (year, month) = narrowed.trim().split_once(['-', '/']).ok_or_else(refuse)?;
        let year: i32 = year.trim().parse().map_err(|_| refuse())?;
        let month: u32 = month.trim().parse().map_err(|_| refuse())?;
        if !(1900..=2200).contains(&year) || !(1..=12).contains(&month) {
            return Err(refuse());
        }
        Ok(Month { year, month })
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day() - Duration::days(1)
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// `2016-10`.
    pub fn code(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// `2016年10月`.
    pub fn label(self) -> String {
        format!("{}年{}月", self.year, self.month)
    }

    /// The weeks of the month grid, Monday first; days outside the month are `None`.
    pub fn weeks(self) -> Vec<[Option<NaiveDate>; 7]> {
        let first = self.first_day();
        let last = self.last_day();
        let mut day = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
        let mut weeks = Vec::new();
        while day <= last {
            let mut week = [None; 7];
            for slot in &mut week {
                if day >= first && day <= last {
                    *slot = Some(day);
                }
                day += Duration::days(1);
            }
            weeks.push(week);
        }
        weeks
    }
}

/// The event form as typed: every field text, so that a refused form comes back as
/// it was.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventInput {
    pub title: String,
    pub event_type: String,
    pub city: String,
    pub pillars: Vec<String>,
    pub start_date: String,
    pub start_time: String,
    pub end_date: String,
    pub end_time: String,
    pub all_day: bool,
    pub date_is_approximate: bool,
    pub venue: String,
    pub address: String,
    pub initiative: String,
    pub description: String,
    pub note: String,
    pub members_only: bool,
    pub capacity: String,
    /// 「実施済みの活動を記録する」: a past date is meant (a record of what happened).
    pub past_record: bool,
}

/// A validated event (without its owner, which the store checks).
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    pub title: String,
    pub event_type: EventType,
    /// The city key; the store checks it names a council city.
    pub city: String,
    pub pillars: Vec<Pillar>,
    pub time: EventTime,
    pub date_is_approximate: bool,
    pub venue: String,
    pub address: String,
    /// An initiative key, or empty.
    pub initiative: String,
    pub description: String,
    pub note: String,
    pub members_only: bool,
    pub capacity: Option<u32>,
    /// A record of an activity that already took place: a past date is meant, which
    /// only the organiser's staff may give (see `store::events::create`).
    pub past_record: bool,
}

pub const TITLE_MAX: usize = 200;
pub const VENUE_MAX: usize = 200;
pub const ADDRESS_MAX: usize = 300;
pub const DESCRIPTION_MAX: usize = 4000;
pub const NOTE_MAX: usize = 1000;
pub const CAPACITY_MAX: u32 = 100_000;
/// No event of the council lasts longer (an open factory runs a few days).
pub const MAX_DAYS: i64 = 31;

/// Parses `2016-10-15`, `2016/10/15` or full-width digits.
pub fn parse_date(field: &str, input: &str) -> Result<NaiveDate, Invalid> {
    let narrowed = text::narrow_ascii(input).trim().replace('/', "-");
    if narrowed.is_empty() {
        return Err(Invalid::new(
            field,
            "日付を入力してください（例: 2016-10-15）。",
        ));
    }
    NaiveDate::parse_from_str(&narrowed, "%Y-%m-%d").map_err(|_| {
        Invalid::new(
            field,
            format!(
                "日付は「2016-10-15」の形式で、実在する日を入力してください（「{}」）。",
                input.trim()
            ),
        )
    })
}

fn parse_time(field: &str, input: &str) -> Result<NaiveTime, Invalid> {
    let narrowed = text::narrow_ascii(input).trim().replace('：', ":");
    if narrowed.is_empty() {
        return Err(Invalid::new(
            field,
            "時刻を入力してください（終日の場合は「終日」を選んでください）。",
        ));
    }
    NaiveTime::parse_from_str(&narrowed, "%H:%M").map_err(|_| {
        Invalid::new(
            field,
            format!(
                "時刻は「10:00」の形式で入力してください（「{}」）。",
                input.trim()
            ),
        )
    })
}

impl EventDraft {
    pub fn parse(input: &EventInput) -> Result<EventDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        fn keep_in<T>(errors: &mut Vec<Invalid>, result: Result<T, Invalid>) -> Option<T> {
            result.map_err(|e| errors.push(e)).ok()
        }
        macro_rules! keep {
            ($e:expr) => {
                keep_in(&mut errors, $e)
            };
        }
        let title = keep!(text::required_line("title", &input.title, TITLE_MAX));
        let event_type = keep!(EventType::parse(&input.event_type));
        let venue = keep!(text::optional_text("venue", &input.venue, VENUE_MAX));
        let address = keep!(text::optional_text("address", &input.address, ADDRESS_MAX));
        let description = keep!(text::optional_text(
            "description",
            &input.description,
            DESCRIPTION_MAX,
        ));
        let note = keep!(text::optional_text("note", &input.note, NOTE_MAX));
        let start_date = keep!(parse_date("start_date", &input.start_date));
        let end_date = if input.end_date.trim().is_empty() {
            start_date
        } else {
            keep!(parse_date("end_date", &input.end_date))
        };
        let (start_time, end_time) = if input.all_day {
            (Some(NaiveTime::MIN), Some(NaiveTime::MIN))
        } else {
            (
                keep!(parse_time("start_time", &input.start_time)),
                keep!(parse_time("end_time", &input.end_time)),
            )
        };
        let capacity = {
            let narrowed = text::narrow_ascii(&input.capacity);
            let compact = narrowed.trim().replace(',', "");
            if compact.is_empty() {
                Some(None)
            } else {
                keep!(match compact.parse::<u32>() {
                    Ok(n) if (1..=CAPACITY_MAX).contains(&n) => Ok(Some(n)),
                    _ => Err(Invalid::new(
                        "capacity",
                        format!(
                            "定員は1〜{CAPACITY_MAX}の整数で入力してください（定員なしは空欄）。"
                        ),
                    )),
                })
            }
        };
        let mut pillars = Vec::new();
        for text in &input.pillars {
            match Pillar::parse(text) {
                Ok(p) if !pillars.contains(&p) => pillars.push(p),
                Ok(_) => {}
                Err(e) => errors.push(Invalid::new("pillars", e.reason)),
            }
        }
        pillars.sort();
        if pillars.is_empty() && input.pillars.is_empty() {
            errors.push(Invalid::new("pillars", "柱を1つ以上選んでください。"));
        }
        let city = input.city.trim().to_owned();
        if city.is_empty() {
            errors.push(Invalid::new("city", "開催都市を選んでください。"));
        }
        let mut time = None;
        if let (Some(sd), Some(ed), Some(st), Some(et)) =
            (start_date, end_date, start_time, end_time)
        {
            let candidate = EventTime {
                start: sd.and_time(st),
                end: ed.and_time(et),
                all_day: input.all_day,
            };
            if ed < sd {
                errors.push(Invalid::new(
                    "end_date",
                    "終了日が開始日より前になっています。",
                ));
            } else if !input.all_day && candidate.end <= candidate.start {
                errors.push(Invalid::new(
                    "end_time",
                    "終了時刻は開始時刻より後にしてください。",
                ));
            } else if (ed - sd).num_days() >= MAX_DAYS {
                errors.push(Invalid::new(
                    "end_date",
                    format!("開催期間は{MAX_DAYS}日以内にしてください。"),
                ));
            } else {
                time = Some(candidate);
            }
        }
        match (
            title,
            event_type,
            venue,
            address,
            description,
            note,
            capacity,
            time,
        ) {
            (
                Some(title),
                Some(event_type),
                Some(venue),
                Some(address),
                Some(description),
                Some(note),
                Some(capacity),
                Some(time),
            ) if errors.is_empty() => Ok(EventDraft {
                title,
                event_type,
                city,
                pillars,
                time,
                date_is_approximate: input.date_is_approximate,
                venue,
                address,
                initiative: input.initiative.trim().to_owned(),
                description,
                note,
                members_only: input.members_only,
                capacity,
                past_record: input.past_record,
            }),
            _ => Err(errors),
        }
    }

    /// A new event must not lie in the past: staff announce what is coming. (Edits of
    /// past events, to correct a record, stay allowed.)
    pub fn check_not_past(&self, today: NaiveDate) -> Result<(), Invalid> {
        if self.time.last_day() < today {
            return Err(Invalid::new(
                "start_date",
                "過去の日付のイベントは新規登録できません。日付を確認してください（実施済みの活動を記録する場合は「実施済みの活動の記録」を選んでください）。",
            ));
        }
        Ok(())
    }

    /// Whether the event already took place on `today`: then it is a record of what
    /// happened, which only the organiser's own staff (and the secretariat) may add.
    pub fn is_past(&self, today: NaiveDate) -> bool {
        self.time.last_day() < today
    }

    /// The refusal of a past date to someone who may not record the organiser's
    /// activities.
    pub fn past_refused(organiser: &str) -> Invalid {
        Invalid::new(
            "start_date",
            format!(
                "過去の日付のイベント（実施済みの活動の記録）は、主催団体（{organiser}）の職員と協議会事務局だけが登録できます。日付を確認してください。"
            ),
        )
    }
}

/// The results form (実績) as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultInput {
    pub participants: String,
    pub companies: String,
    pub note: String,
}

/// What an event achieved: how many took part, from how many companies, and a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultDraft {
    pub participants: u32,
    pub companies: Option<u32>,
    pub note: String,
}

/// No event of the council gathers more people than this.
pub const PARTICIPANTS_MAX: u32 = 100_000;

impl ResultDraft {
    pub fn parse(input: &ResultInput) -> Result<ResultDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let count = |field: &str, label: &str, typed: &str, required: bool| {
            let narrowed = text::narrow_ascii(typed);
            let compact = narrowed.trim().replace([',', '名', '人', '社'], "");
            if compact.is_empty() {
                return if required {
                    Err(Invalid::new(
                        field,
                        format!("{label}を入力してください（例: 12）。"),
                    ))
                } else {
                    Ok(None)
                };
            }
            match compact.parse::<u32>() {
                Ok(n) if n <= PARTICIPANTS_MAX => Ok(Some(n)),
                _ => Err(Invalid::new(
                    field,
                    format!(
                        "{label}は0〜{PARTICIPANTS_MAX}の整数で入力してください（「{}」）。",
                        typed.trim()
                    ),
                )),
            }
        };
        let participants = count("participants", "参加者数", &input.participants, true)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let companies = count("companies", "参加企業数", &input.companies, false)
            .map_err(|e| errors.push(e))
            .ok();
        let note = text::optional_text("note", &input.note, NOTE_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        match (participants, companies, note) {
            (Some(participants), Some(companies), Some(note)) if errors.is_empty() => {
                Ok(ResultDraft {
                    participants,
                    companies,
                    note,
                })
            }
            _ => Err(errors),
        }
    }

    /// Results are recorded once the event has begun, never for one still to come.
    pub fn check_started(time: &EventTime, now: NaiveDateTime) -> Result<(), Invalid> {
        if time.start > now {
            return Err(Invalid::new(
                "participants",
                "まだ開催されていないイベントの実績は記録できません。開催後に記録してください。",
            ));
        }
        Ok(())
    }
}

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationStatus {
    /// Has a seat.
    Confirmed,
    /// On the waiting list; moves up when a seat frees.
    Waiting,
    /// Withdrawn by the registrant or the organiser.
    Cancelled,
}

impl RegistrationStatus {
    pub fn code(self) -> &'static str {
        match self {
            RegistrationStatus::Confirmed => "confirmed",
            RegistrationStatus::Waiting => "waiting",
            RegistrationStatus::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RegistrationStatus::Confirmed => "参加確定",
            RegistrationStatus::Waiting => "キャンセル待ち",
            RegistrationStatus::Cancelled => "取消済み",
        }
    }

    pub fn parse(code: &str) -> Option<RegistrationStatus> {
        match code {
            "confirmed" => Some(RegistrationStatus::Confirmed),
            "waiting" => Some(RegistrationStatus::Waiting),
            "cancelled" => Some(RegistrationStatus::Cancelled),
            _ => None,
        }
    }
}

/// The registration form as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegistrationInput {
    pub name: String,
    pub organisation: String,
    pub email: String,
    pub attendees: String,
}

/// A validated registration: a person, for themselves and colleagues.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistrationDraft {
    pub name: String,
    pub organisation: String,
    /// Lower-cased; one active registration per address and event.
    pub email: String,
    pub attendees: u32,
}

/// At most this many people on one registration (a company sends a few).
pub const ATTENDEES_MAX: u32 = 20;

impl RegistrationDraft {
    pub fn parse(input: &RegistrationInput) -> Result<RegistrationDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let name = text::required_line("name", &input.name, 100)
            .map_err(|e| errors.push(e))
            .ok();
        let organisation = text::optional_text("organisation", &input.organisation, 200)
            .map_err(|e| errors.push(e))
            .ok();
        let email = text::narrow_ascii(&input.email).trim().to_lowercase();
        let email_ok = email.len() <= 254
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if !email_ok {
            errors.push(Invalid::new(
                "email",
                "メールアドレスの形式が正しくありません（例: taro@example.jp）。",
            ));
        }
        let attendees_text = text::narrow_ascii(&input.attendees);
        let attendees = match attendees_text.trim() {
            "" => Some(1),
            given => match given.parse::<u32>() {
                Ok(n) if (1..=ATTENDEES_MAX).contains(&n) => Some(n),
                _ => {
                    errors.push(Invalid::new(
                        "attendees",
                        format!("参加人数は1〜{ATTENDEES_MAX}名で入力してください。"),
                    ));
                    None
                }
            },
        };
        match (name, organisation, attendees) {
            (Some(name), Some(organisation), Some(attendees)) if errors.is_empty() => {
                Ok(RegistrationDraft {
                    name,
                    organisation,
                    email,
                    attendees,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registration_needs_a_name_an_address_and_a_sensible_party() {
        let ok = RegistrationDraft::parse(&RegistrationInput {
            name: "川口 太郎".into(),
            organisation: "川口鋳物工業".into(),
            email: "Taro@Example.JP".into(),
            attendees: "２".into(),
        })
        .unwrap();
        assert_eq!((ok.email.as_str(), ok.attendees), ("taro@example.jp", 2));
        let errors = RegistrationDraft::parse(&RegistrationInput {
            email: "taro".into(),
            attendees: "0".into(),
            ..Default::default()
        })
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "email", "attendees"]);
    }

    fn input() -> EventInput {
        EventInput {
            title: "事業承継セミナー".into(),
            event_type: "seminar".into(),
            city: "amagasaki".into(),
            pillars: vec!["2".into()],
            start_date: "2030-10-15".into(),
            start_time: "13:00".into(),
            end_date: String::new(),
            end_time: "16:30".into(),
            ..Default::default()
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_seminar_in_the_afternoon_is_valid() {
        let draft = EventDraft::parse(&input()).unwrap();
        assert_eq!(draft.event_type, EventType::Seminar);
        assert_eq!(draft.time.label(), "2030年10月15日（火） 13:00〜16:30");
    }

    #[test]
    fn an_end_before_the_start_is_refused_in_japanese() {
        let errors = EventDraft::parse(&EventInput {
            end_date: "2030-10-14".into(),
            ..input()
        })
        .unwrap_err();
        assert_eq!(errors[0].field, "end_date");
        assert!(errors[0].reason.contains("開始日より前"));
        let errors = EventDraft::parse(&EventInput {
            end_time: "12:00".into(),
            ..input()
        })
        .unwrap_err();
        assert_eq!(errors[0].field, "end_time");
    }

    #[test]
    fn impossible_dates_and_unknown_types_are_reported_together() {
        let errors = EventDraft::parse(&EventInput {
            start_date: "2030-02-30".into(),
            event_type: "party".into(),
            capacity: "-3".into(),
            ..input()
        })
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["event_type", "start_date", "capacity"]);
    }

    #[test]
    fn a_multi_day_all_day_fair_needs_no_times() {
        let draft = EventDraft::parse(&EventInput {
            all_day: true,
            start_time: String::new(),
            end_time: String::new(),
            start_date: "２０３０/１０/１５".into(),
            end_date: "2030-10-16".into(),
            event_type: "産品フェア".into(),
            capacity: "１，０００".into(),
            ..input()
        })
        .unwrap();
        assert_eq!(
            draft.time.label(),
            "2030年10月15日（火）〜2030年10月16日（水）"
        );
        assert_eq!(draft.capacity, Some(1000));
        assert!(draft.time.covers(date(2030, 10, 16)));
    }

    #[test]
    fn a_past_event_cannot_be_created() {
        let draft = EventDraft::parse(&input()).unwrap();
        assert!(draft.check_not_past(date(2030, 10, 15)).is_ok());
        assert!(draft.check_not_past(date(2030, 10, 16)).is_err());
    }

    #[test]
    fn an_event_past_its_end_or_with_results_has_ended_and_a_cancelled_one_stays_cancelled() {
        let draft = EventDraft::parse(&input()).unwrap();
        let at = |d: u32, h: u32| date(2030, 10, d).and_hms_opt(h, 0, 0).unwrap();
        let state = |status, results, now| EventState::of(status, &draft.time, results, now);
        assert_eq!(
            state(EventStatus::Scheduled, false, at(15, 12)),
            EventState::Scheduled
        );
        assert_eq!(
            state(EventStatus::Scheduled, false, at(15, 17)),
            EventState::Ended
        );
        assert_eq!(
            state(EventStatus::Scheduled, true, at(15, 14)),
            EventState::Ended
        );
        assert_eq!(
            state(EventStatus::Cancelled, false, at(16, 9)),
            EventState::Cancelled
        );
        assert_eq!(EventState::Ended.label(), "終了");
        let fair = EventTime {
            start: date(2030, 10, 14).and_time(NaiveTime::MIN),
            end: date(2030, 10, 15).and_time(NaiveTime::MIN),
            all_day: true,
        };
        let on = |d| EventState::of(EventStatus::Scheduled, &fair, false, at(d, 20));
        assert_eq!(on(15), EventState::Scheduled, "the last day is still on");
        assert_eq!(on(16), EventState::Ended);
    }

    #[test]
    fn results_need_a_participant_count_and_take_full_width_digits() {
        let ok = ResultDraft::parse(&ResultInput {
            participants: "１２名".into(),
            companies: String::new(),
            note: "近江鍛工（株）を視察".into(),
        })
        .unwrap();
        assert_eq!((ok.participants, ok.companies), (12, None));
        let errors = ResultDraft::parse(&ResultInput {
            participants: String::new(),
            companies: "-1".into(),
            note: String::new(),
        })
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["participants", "companies"]);
        assert!(errors[0].reason.contains("参加者数"));
    }

    #[test]
    fn the_visit_and_the_exchange_meeting_are_kinds_of_event() {
        assert_eq!(EventType::parse("視察").unwrap(), EventType::Visit);
        assert_eq!(
            EventType::parse("exchange_meeting").unwrap().label(),
            "情報交換会"
        );
    }

    #[test]
    fn all_day_events_overlap_by_date_timed_ones_by_clock() {
        let at = |d: u32, h: u32, h2: u32| EventTime {
            start: date(2030, 10, d).and_hms_opt(h, 0, 0).unwrap(),
            end: date(2030, 10, d).and_hms_opt(h2, 0, 0).unwrap(),
            all_day: false,
        };
        assert!(at(15, 10, 12).overlaps(&at(15, 11, 13)));
        assert!(!at(15, 10, 12).overlaps(&at(15, 12, 13)));
        let fair = EventTime {
            start: date(2030, 10, 14).and_time(NaiveTime::MIN),
            end: date(2030, 10, 15).and_time(NaiveTime::MIN),
            all_day: true,
        };
        assert!(fair.overlaps(&at(15, 18, 19)));
        assert!(!fair.overlaps(&at(16, 9, 10)));
    }

    #[test]
    fn october_2016_starts_on_a_saturday_in_a_monday_first_grid() {
        let month = Month::parse("2016-10").unwrap();
        let weeks = month.weeks();
        assert_eq!(weeks.len(), 6);
        assert_eq!(weeks[0][5], Some(date(2016, 10, 1)));
        assert_eq!(weeks[0][4], None);
        assert_eq!(weeks[5][0], Some(date(2016, 10, 31)));
        assert_eq!(month.previous().code(), "2016-09");
        assert_eq!(Month::parse("2016-12").unwrap().next().code(), "2017-01");
        assert!(Month::parse("2016-13").is_err());
        assert!(Month::parse("秋").is_err());
    }
}
