//! Japanese national holidays (国民の祝日) and the days off that follow from them
//! (振替休日, 国民の休日), from the Cabinet Office's published list shipped as data
//! (`data/syukujitsu.csv`, see its README): the calendar marks them with their names.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, Weekday};

/// The list as published: `yyyy/m/d,name` after a header line.
const LIST: &str = include_str!("../data/syukujitsu.csv");

/// The last year the shipped list covers.
pub const LAST_YEAR: i32 = 2027;

fn table() -> &'static BTreeMap<NaiveDate, &'static str> {
    static TABLE: OnceLock<BTreeMap<NaiveDate, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        LIST.lines()
            .skip(1)
            .filter_map(|line| {
                let (day, name) = line.trim().split_once(',')?;
                let day = NaiveDate::parse_from_str(day, "%Y/%m/%d").ok()?;
                Some((day, name.trim()))
            })
            .collect()
    })
}

/// The holiday's name on `day` (「元日」, 「休日」 for a substitute day off), if any.
pub fn holiday_name(day: NaiveDate) -> Option<&'static str> {
    table().get(&day).copied()
}

/// What kind of day `day` is in Japan, for calendars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Weekday,
    Saturday,
    Sunday,
    /// A national holiday or a day off by law, with its name.
    Holiday(&'static str),
}

impl DayKind {
    pub fn of(day: NaiveDate) -> DayKind {
        if let Some(name) = holiday_name(day) {
            return DayKind::Holiday(name);
        }
        match day.weekday() {
            Weekday::Sat => DayKind::Saturday,
            Weekday::Sun => DayKind::Sunday,
            _ => DayKind::Weekday,
        }
    }

    /// A CSS class for the day (`sat`, `sun`, `holiday`; empty on weekdays).
    pub fn class(self) -> &'static str {
        match self {
            DayKind::Weekday => "",
            DayKind::Saturday => "sat",
            DayKind::Sunday => "sun",
            DayKind::Holiday(_) => "holiday",
        }
    }

    /// What the calendar writes beside the day: the holiday's name (「休日」 read as
    /// 「振替休日」 or 「国民の休日」 by law; the list's own word is kept), or 土曜 / 日曜.
    pub fn label(self) -> &'static str {
        match self {
            DayKind::Weekday => "",
            DayKind::Saturday => "土曜日",
            DayKind::Sunday => "日曜日",
            DayKind::Holiday(name) => name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn the_list_names_the_holidays_and_the_days_off() {
        assert_eq!(holiday_name(day(2027, 1, 1)), Some("元日"));
        assert_eq!(holiday_name(day(2026, 9, 22)), Some("休日")); // 国民の休日
        assert_eq!(holiday_name(day(2025, 11, 24)), Some("休日")); // 振替休日
        assert_eq!(holiday_name(day(2021, 7, 23)), Some("スポーツの日")); // moved for the Olympics
        assert_eq!(holiday_name(day(2019, 5, 1)), Some("休日（祝日扱い）"));
        assert_eq!(
            holiday_name(day(2026, 12, 23)),
            None,
            "no 天皇誕生日 in December since 2019"
        );
        assert_eq!(holiday_name(day(2026, 12, 7)), None);
    }

    #[test]
    fn every_year_to_the_last_has_its_sixteen_holidays_or_more() {
        for year in 2016..=LAST_YEAR {
            let count = table().keys().filter(|d| d.year() == year).count();
            assert!(count >= 16, "{year}: {count}");
            assert!(holiday_name(day(year, 1, 1)).is_some());
            assert!(holiday_name(day(year, 11, 23)).is_some());
        }
    }

    #[test]
    fn days_are_told_apart_by_kind() {
        assert_eq!(DayKind::of(day(2026, 12, 5)), DayKind::Saturday);
        assert_eq!(DayKind::of(day(2026, 12, 6)), DayKind::Sunday);
        assert_eq!(DayKind::of(day(2026, 12, 7)), DayKind::Weekday);
        assert_eq!(DayKind::of(day(2026, 5, 3)), DayKind::Holiday("憲法記念日"));
        assert_eq!(DayKind::of(day(2026, 5, 3)).class(), "holiday");
    }
}
