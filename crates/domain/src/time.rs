//! Time in Japan. Asia/Tokyo is UTC+9 all year (Japan has no daylight saving time),
//! so a moment becomes Japanese wall-clock time by adding nine hours: every "now in
//! Japan", "today in Japan" and local time shown to people is made here.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Offset, Utc};

/// Asia/Tokyo's offset, for times written with it (`+09:00`).
pub fn japan_offset() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).unwrap_or_else(|| Utc.fix())
}

/// A moment as the wall-clock time in Japan.
pub fn in_japan(at: DateTime<Utc>) -> NaiveDateTime {
    (at + Duration::hours(9)).naive_utc()
}

/// The wall-clock time in Japan now.
pub fn japan_now() -> NaiveDateTime {
    in_japan(Utc::now())
}

/// The date in Japan at a moment.
pub fn japan_day(at: DateTime<Utc>) -> NaiveDate {
    in_japan(at).date()
}

/// Today's date in Japan.
pub fn japan_today() -> NaiveDate {
    japan_day(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japan_is_nine_hours_ahead_of_utc_all_year() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap_or_default();
        assert_eq!(
            japan_day(at("2026-12-31T15:00:00Z")),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default()
        );
        assert_eq!(
            in_japan(at("2026-07-01T03:04:00Z")).to_string(),
            "2026-07-01 12:04:00"
        );
        assert_eq!(
            at("2026-07-01T03:04:00Z")
                .with_timezone(&japan_offset())
                .to_rfc3339(),
            "2026-07-01T12:04:00+09:00"
        );
    }
}
