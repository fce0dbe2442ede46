//! What the demonstration data shares: the moment a record of the past is dated at
//! (its own date, never the moment the data was loaded), and the mark that tells a
//! visitor a record is invented (「デモ」).

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

/// The mark shown beside invented demonstration content.
pub const MARK: &str = "デモ";

/// The `source` of the companies the demonstration data creates (every one invented).
pub const COMPANY_SOURCE: &str = "seed";

/// Whether a company with this `source` is invented demonstration data.
pub fn is_demo_company(source: &str) -> bool {
    source == COMPANY_SOURCE
}

/// The `source` of the people the demonstration data creates (every one invented;
/// migration 0021).
pub const PERSON_SOURCE: &str = "seed";

/// Whether a person with this `source` is invented demonstration data.
pub fn is_demo_person(source: &str) -> bool {
    source == PERSON_SOURCE
}

/// Refuses to write an initiative's KPIs from the records of fiscal year `fy` when
/// there is none to count (`real`): every record there invented (`invented` of them)
/// — the council's figures are never counted from demonstration data — or none at
/// all; zeros would overwrite the council's own figures.
pub fn refuse_only_invented(
    fy: domain::FiscalYear,
    records: &str,
    real: usize,
    invented: usize,
) -> Result<(), crate::StoreError> {
    if real > 0 {
        return Ok(());
    }
    let reason = if invented > 0 {
        format!(
            "{}の{records}は{MARK}データ（架空の記録）{invented}件だけです。{MARK}データは協議会のKPIに反映しません。",
            fy.label()
        )
    } else {
        format!(
            "{}の{records}がありません。反映するものがありません。",
            fy.label()
        )
    };
    Err(crate::StoreError::Invalid(vec![domain::Invalid::new(
        "fy", reason,
    )]))
}

/// Where figures written into KPIs came from: `records`, and how many invented ones
/// were left out.
pub fn counted_from(records: &str, invented: usize) -> String {
    if invented == 0 {
        records.to_owned()
    } else {
        format!("{records}（{MARK}データ{invented}件を除く）")
    }
}

/// 09:00 in Japan on a day of the records, as a stored moment: what a seeded record of
/// that day is dated at.
pub fn japan_morning(day: NaiveDate) -> DateTime<Utc> {
    (day.and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default()) - Duration::hours(9))
        .and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_of_the_records_is_dated_at_nine_in_japan() {
        let day = NaiveDate::from_ymd_opt(2017, 2, 8).unwrap();
        let at = japan_morning(day);
        assert_eq!(at.to_rfc3339(), "2017-02-08T00:00:00+00:00");
        assert_eq!(domain::time::japan_day(at), day);
    }
}
