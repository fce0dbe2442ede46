//! 仲間まわし (the factory network): the rules for machines (設備) and their working
//! weeks, the process codes they do, and the network's clock. Times of the network are
//! whole minutes since [`origin`] (Monday 2024-01-01 00:00 Asia/Tokyo), the unit the
//! router (`solve::fjsp`) plans in.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc};

use crate::Invalid;
use crate::directory::{Capability, CapabilityGroup, parse_capabilities};
use crate::time::japan_offset as tokyo;

pub const MINUTES_PER_DAY: i64 = 24 * 60;
const WEEKDAY_NAMES: [char; 7] = ['月', '火', '水', '木', '金', '土', '日'];

/// Monday 2024-01-01 00:00 in Tokyo: minute 0 of the network's clock.
pub fn origin() -> DateTime<FixedOffset> {
    let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    tokyo()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .unwrap_or_else(|| Utc::now().with_timezone(&tokyo()))
}

/// Minutes since the origin of a moment (rounded down).
pub fn to_minutes<Tz: TimeZone>(at: &DateTime<Tz>) -> i64 {
    let seconds = at.timestamp() - origin().timestamp();
    seconds.div_euclid(60)
}

/// The Tokyo wall-clock time of a minute of the network's clock.
pub fn from_minutes(minutes: i64) -> DateTime<FixedOffset> {
    origin() + Duration::minutes(minutes)
}

/// `2026-11-24 09:30` in Tokyo.
pub fn format_minutes(minutes: i64) -> String {
    from_minutes(minutes).format("%Y-%m-%d %H:%M").to_string()
}

/// Reads `2026-11-24 09:30`, `2026-11-24T09:30` or `2026-11-24` (00:00) as Tokyo time,
/// or an RFC 3339 timestamp with its own offset.
pub fn parse_time(field: &str, text: &str) -> Result<i64, Invalid> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(to_minutes(&at));
    }
    let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        });
    match naive.and_then(|n| tokyo().from_local_datetime(&n).single()) {
        Some(at) => Ok(to_minutes(&at)),
        None => Err(Invalid::new(
            field,
            "日時は 2026-11-24 09:30 の形で入力してください。",
        )),
    }
}

/// A machine's working week: the days it works and one shift per working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkWeek {
    /// Monday first.
    pub days: [bool; 7],
    /// Minutes after midnight.
    pub start: i64,
    pub end: i64,
}

impl WorkWeek {
    /// Reads the days (`月火水木金`, or digits `12345` with 1 = Monday) and the hours
    /// (`08:00-17:00`).
    pub fn parse(days: &str, hours: &str) -> Result<WorkWeek, Vec<Invalid>> {
        let mut errors = Vec::new();
        let mut set = [false; 7];
        for c in days.chars().filter(|c| !c.is_whitespace() && *c != '・') {
            let index = WEEKDAY_NAMES.iter().position(|&n| n == c).or_else(|| {
                c.to_digit(10)
                    .and_then(|d| (1..=7).contains(&d).then(|| d as usize - 1))
            });
            match index {
                Some(i) => set[i] = true,
                None => {
                    errors.push(Invalid::new(
                        "days",
                        "稼働日は 月火水木金 のように曜日で入力してください。",
                    ));
                    break;
                }
            }
        }
        if errors.is_empty() && !set.contains(&true) {
            errors.push(Invalid::new("days", "稼働日を一つ以上入力してください。"));
        }
        let shift = hours
            .split_once(['-', '〜', '~', '－'])
            .and_then(|(a, b)| Some((clock(a)?, clock(b)?)));
        let (start, end) = match shift {
            Some((a, b)) if a < b => (a, b),
            Some(_) => {
                errors.push(Invalid::new(
                    "hours",
                    "終業は始業より後にしてください（稼働時間がありません）。",
                ));
                (0, 0)
            }
            None => {
                errors.push(Invalid::new(
                    "hours",
                    "稼働時間は 08:00-17:00 の形で入力してください。",
                ));
                (0, 0)
            }
        };
        if errors.is_empty() {
            Ok(WorkWeek {
                days: set,
                start,
                end,
            })
        } else {
            Err(errors)
        }
    }

    /// The days as 月火水木金.
    pub fn days_text(&self) -> String {
        WEEKDAY_NAMES
            .iter()
            .zip(self.days)
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect()
    }

    /// `08:00-17:00`.
    pub fn hours_text(&self) -> String {
        format!(
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }

    /// The working windows `[start, end)` in network minutes of the days
    /// `first_day..first_day + days` (day 0 is the origin's Monday).
    pub fn windows(&self, first_day: i64, days: i64) -> Vec<(i64, i64)> {
        self.windows_except(first_day, days, &[])
    }

    /// [`WorkWeek::windows`] without the days off (as [`day_number`]s).
    pub fn windows_except(&self, first_day: i64, days: i64, off: &[i64]) -> Vec<(i64, i64)> {
        (first_day.max(0)..first_day.max(0) + days)
            .filter(|d| self.days[(d % 7) as usize] && !off.contains(d))
            .map(|d| {
                (
                    d * MINUTES_PER_DAY + self.start,
                    d * MINUTES_PER_DAY + self.end,
                )
            })
            .collect()
    }
}

fn clock(text: &str) -> Option<i64> {
    let (h, m) = text.trim().split_once([':', '：'])?;
    let (h, m): (i64, i64) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
    ((0..=24).contains(&h) && (0..60).contains(&m) && h * 60 + m <= MINUTES_PER_DAY)
        .then_some(h * 60 + m)
}

/// Reads the processes a machine does (`切削、検査` or codes) into taxonomy codes of the
/// process group.
pub fn parse_processes(field: &str, text: &str) -> Result<Vec<&'static str>, Invalid> {
    let (codes, unknown) = parse_capabilities(text);
    let not_process: Vec<&str> = codes
        .iter()
        .copied()
        .filter(|c| Capability::find(c).is_some_and(|c| c.group != CapabilityGroup::Process))
        .collect();
    if !unknown.is_empty() || !not_process.is_empty() {
        let names: Vec<String> = unknown
            .into_iter()
            .chain(not_process.iter().map(|c| Capability::label_of(c)))
            .collect();
        return Err(Invalid::new(
            field,
            format!("加工・工程の分類にない項目があります: {}", names.join("、")),
        ));
    }
    if codes.is_empty() {
        return Err(Invalid::new(
            field,
            "加工・工程を一つ以上入力してください。",
        ));
    }
    Ok(codes)
}

/// The weekday (0 = Monday) of a network minute, for tests and display.
pub fn weekday_of(minutes: i64) -> u32 {
    from_minutes(minutes).weekday().num_days_from_monday()
}

/// A factory as the transport model sees it: which company, which city, where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site<'a> {
    pub company_id: i64,
    pub city_id: Option<i64>,
    pub address: &'a str,
}

/// How long a job travels between two factories. One trait so that a real distance
/// model (geocoded addresses, a truck timetable) can replace [`CityDistance`].
pub trait TransportModel {
    fn minutes(&self, from: &Site<'_>, to: &Site<'_>) -> i64;
}

/// The simple model the network starts with, from the factories' addresses: the same
/// factory needs no transport, two factories of one city (or of one 丁目-less town
/// prefix of the address) an hour, factories of two cities a day's truck.
#[derive(Debug, Clone, Copy, Default)]
pub struct CityDistance;

impl TransportModel for CityDistance {
    fn minutes(&self, from: &Site<'_>, to: &Site<'_>) -> i64 {
        if from.company_id == to.company_id {
            0
        } else if (from.city_id.is_some() && from.city_id == to.city_id)
            || (!from.address.is_empty() && town(from.address) == town(to.address))
        {
            60
        } else {
            MINUTES_PER_DAY
        }
    }
}

/// The part of an address up to its city, ward or town (東京都大田区, 東大阪市): what
/// the simple model compares when a company has no city record.
fn town(address: &str) -> &str {
    let mut end = 0;
    for (i, c) in address.char_indices() {
        if matches!(c, '市' | '区' | '町' | '村') {
            end = i + c.len_utf8();
            // 東京都大田区 / 大阪府東大阪市: stop at the first municipality.
            break;
        }
    }
    &address[..end]
}

/// Reads days off: dates `2026-11-23` separated by spaces, commas or 、.
pub fn parse_holidays(field: &str, text: &str) -> Result<Vec<NaiveDate>, Invalid> {
    let mut days = Vec::new();
    for word in text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '、' | '，'))
        .filter(|w| !w.is_empty())
    {
        let day = NaiveDate::parse_from_str(word, "%Y-%m-%d").map_err(|_| {
            Invalid::new(
                field,
                format!("休業日「{word}」は 2026-12-29 の形で入力してください。"),
            )
        })?;
        days.push(day);
    }
    days.sort_unstable();
    days.dedup();
    Ok(days)
}

/// `2026-12-29 2026-12-30`.
pub fn holidays_text(days: &[NaiveDate]) -> String {
    days.iter()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The day number of a date on the network's clock (day 0 is the origin's Monday).
pub fn day_number(day: NaiveDate) -> i64 {
    let origin = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    (day - origin).num_days()
}

/// One operation of a job as typed: its process and the machines (by id) that can do
/// it, with the minutes each needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationDraft {
    pub process: &'static str,
    pub alternatives: Vec<(i64, i64)>,
}

/// A job as a hub company enters it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobDraft {
    pub name: String,
    pub release: i64,
    pub due: Option<i64>,
    pub operations: Vec<OperationDraft>,
}

/// What a job form or API call sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobInput {
    pub name: String,
    pub release: String,
    pub due: String,
    /// One operation per line: `切削 3:90 6:120` (process, then `machine:minutes`).
    pub operations: String,
}

impl JobDraft {
    pub fn parse(input: &JobInput) -> Result<JobDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let name = input.name.trim().to_owned();
        if name.is_empty() {
            errors.push(Invalid::new("name", "案件名を入力してください。"));
        } else if name.chars().count() > crate::directory::NAME_MAX {
            errors.push(Invalid::new("name", "案件名が長すぎます。"));
        }
        let release = parse_time("release", &input.release)
            .map_err(|e| errors.push(e))
            .ok();
        let due = if input.due.trim().is_empty() {
            None
        } else {
            parse_time("due", &input.due)
                .map_err(|e| errors.push(e))
                .ok()
        };
        if let (Some(r), Some(d)) = (release, due)
            && d < r
        {
            errors.push(Invalid::new("due", "納期は投入日時より後にしてください。"));
        }
        let operations = match parse_operations(&input.operations) {
            Ok(ops) => ops,
            Err(mut e) => {
                errors.append(&mut e);
                Vec::new()
            }
        };
        match release {
            Some(release) if errors.is_empty() => Ok(JobDraft {
                name,
                release,
                due,
                operations,
            }),
            _ => Err(errors),
        }
    }
}

/// The longest operation a job may name: a year of minutes. Longer is a typo (and
/// the planner refuses durations beyond its own bound).
pub const MAX_OPERATION_MINUTES: i64 = 60 * 24 * 366;

/// Reads the operation lines of a job (see [`JobInput::operations`]).
pub fn parse_operations(text: &str) -> Result<Vec<OperationDraft>, Vec<Invalid>> {
    let mut errors = Vec::new();
    let mut operations = Vec::new();
    for (n, line) in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let field = format!("operations[{}]", n + 1);
        let mut words = line.split_whitespace();
        let process_word = words.next().unwrap_or_default();
        let process =
            Capability::lookup(process_word).filter(|c| c.group == CapabilityGroup::Process);
        let Some(process) = process else {
            errors.push(Invalid::new(
                &field,
                format!(
                    "{}行目: 「{process_word}」は加工・工程の分類にありません。",
                    n + 1
                ),
            ));
            continue;
        };
        let mut alternatives: Vec<(i64, i64)> = Vec::new();
        for word in words {
            let pair = word.split_once([':', '：', '=']).and_then(|(m, t)| {
                Some((m.trim().parse::<i64>().ok()?, t.trim().parse::<i64>().ok()?))
            });
            match pair {
                Some((machine, minutes)) if minutes > MAX_OPERATION_MINUTES && machine > 0 => {
                    errors.push(Invalid::new(
                        &field,
                        format!(
                            "{}行目: 「{word}」の分が長すぎます。1工程は1年（{MAX_OPERATION_MINUTES}分）までにしてください。",
                            n + 1
                        ),
                    ));
                }
                Some((machine, minutes)) if minutes > 0 && machine > 0 => {
                    if alternatives.iter().any(|a| a.0 == machine) {
                        errors.push(Invalid::new(&field, format!("{}行目: 設備 {machine} が二度あります。", n + 1)));
                    }
                    alternatives.push((machine, minutes));
                }
                _ => errors.push(Invalid::new(
                    &field,
                    format!("{}行目: 「{word}」は 設備番号:分 の形（例 3:90）で、分は1以上にしてください。", n + 1),
                )),
            }
        }
        if alternatives.is_empty() {
            errors.push(Invalid::new(
                &field,
                format!(
                    "{}行目: {}ができる設備がありません。設備番号:分 を一つ以上書いてください。",
                    n + 1,
                    process.label
                ),
            ));
        }
        operations.push(OperationDraft {
            process: process.code,
            alternatives,
        });
    }
    if operations.is_empty() && errors.is_empty() {
        errors.push(Invalid::new(
            "operations",
            "工程を一行に一つ入力してください。",
        ));
    }
    if errors.is_empty() {
        Ok(operations)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weekday_shift_reads_in_japanese_and_in_digits() {
        let a = WorkWeek::parse("月火水木金", "08:00-17:00").unwrap();
        let b = WorkWeek::parse("12345", "8:00〜17:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.days_text(), "月火水木金");
        assert_eq!(a.hours_text(), "08:00-17:00");
        assert_eq!(a.windows(5, 3), vec![(7 * 1440 + 480, 7 * 1440 + 1020)]);
    }

    #[test]
    fn a_shift_that_ends_before_it_starts_has_no_working_time() {
        let errors = WorkWeek::parse("月", "17:00-08:00").unwrap_err();
        assert_eq!(errors[0].field, "hours");
    }

    #[test]
    fn minutes_round_trip_through_tokyo_time() {
        let m = parse_time("at", "2026-11-24 09:30").unwrap();
        assert_eq!(format_minutes(m), "2026-11-24 09:30");
        assert_eq!(parse_time("at", "2026-11-24T00:30:00Z").unwrap(), m);
        assert_eq!(weekday_of(m), 1);
    }

    #[test]
    fn days_off_are_left_out_of_the_working_windows() {
        let week = WorkWeek::parse("月火水木金", "08:00-17:00").unwrap();
        let off = parse_holidays("h", "2024-01-02、2024-01-01").unwrap();
        assert_eq!(holidays_text(&off), "2024-01-01 2024-01-02");
        let numbers: Vec<i64> = off.iter().map(|d| day_number(*d)).collect();
        assert_eq!(
            week.windows_except(0, 3, &numbers),
            vec![(2 * 1440 + 480, 2 * 1440 + 1020)]
        );
        assert!(parse_holidays("h", "12/29").is_err());
    }

    #[test]
    fn transport_is_free_inside_a_factory_an_hour_in_a_city_a_day_between_cities() {
        let site = |company_id, city_id, address| Site {
            company_id,
            city_id,
            address,
        };
        let model = CityDistance;
        let a = site(1, Some(3), "東京都大田区南六郷1-2-3");
        assert_eq!(model.minutes(&a, &a), 0);
        assert_eq!(model.minutes(&a, &site(2, Some(3), "")), 60);
        assert_eq!(
            model.minutes(&a, &site(2, None, "東京都大田区大森西2-1")),
            60
        );
        assert_eq!(
            model.minutes(&a, &site(2, Some(4), "東京都墨田区向島1-1")),
            1440
        );
    }

    #[test]
    fn a_job_reads_its_operations_line_by_line() {
        let draft = JobDraft::parse(&JobInput {
            name: "ブラケット".into(),
            release: "2026-11-24 08:00".into(),
            due: "2026-11-27 17:00".into(),
            operations: "切削 1:90 6:120\n板金 4:60\nめっき 3:240\n".into(),
        })
        .unwrap();
        assert_eq!(draft.operations.len(), 3);
        assert_eq!(draft.operations[0].alternatives, [(1, 90), (6, 120)]);
        assert_eq!(draft.operations[2].process, "plating");
    }

    #[test]
    fn an_operation_without_a_machine_is_refused() {
        let errors = parse_operations("切削\n").unwrap_err();
        assert!(
            errors[0].reason.contains("できる設備がありません"),
            "{errors:?}"
        );
        assert!(
            parse_operations("鋳物 1:30").is_err() || parse_operations("ステンレス 1:30").is_err()
        );
    }

    #[test]
    fn an_operation_longer_than_a_year_is_refused_before_planning() {
        assert!(parse_operations(&format!("切削 1:{MAX_OPERATION_MINUTES}")).is_ok());
        let errors = parse_operations("切削 1:9223372036854775807").unwrap_err();
        assert!(errors[0].reason.contains("長すぎます"), "{errors:?}");
        let errors =
            parse_operations(&format!("切削 1:{}", MAX_OPERATION_MINUTES + 1)).unwrap_err();
        assert!(errors[0].reason.contains("1年"), "{errors:?}");
    }

    #[test]
    fn processes_must_come_from_the_process_group() {
        assert_eq!(
            parse_processes("p", "切削、検査").unwrap(),
            ["cutting", "inspection"]
        );
        assert!(parse_processes("p", "ステンレス").is_err());
        assert!(parse_processes("p", "").is_err());
    }
}
