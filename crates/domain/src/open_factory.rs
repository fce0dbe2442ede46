//! Events spread over many sites (おおたオープンファクトリー): each site is a factory of
//! the directory with its programme and address, and offers tour slots (見学枠) with a
//! capacity. What a site as typed must be; the registrations for a slot follow the
//! rules of an event's registrations (capacity, waiting list).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::Invalid;
use crate::text;

/// At most this many people in one slot, and this many slots at one site.
pub const TOUR_CAPACITY_MAX: u32 = 500;
pub const TOURS_MAX: usize = 40;

/// The site form as typed. `tours` holds one slot per line:
/// `2017-11-24 10:00-11:00 15` (day, start–end, capacity).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteInput {
    pub company: String,
    pub programme: String,
    pub description: String,
    pub address: String,
    pub tours: String,
}

/// One validated tour slot, in Japan's wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TourDraft {
    pub starts: NaiveDateTime,
    pub ends: NaiveDateTime,
    pub capacity: u32,
}

impl TourDraft {
    /// 「11月24日(金) 10:00〜11:00」.
    pub fn label(starts: NaiveDateTime, ends: NaiveDateTime) -> String {
        use chrono::Datelike;
        const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
        format!(
            "{}月{}日({}) {}〜{}",
            starts.month(),
            starts.day(),
            WEEKDAYS[starts.weekday().num_days_from_monday() as usize],
            starts.format("%H:%M"),
            ends.format("%H:%M")
        )
    }
}

/// A validated site: the company by its directory key, and at least one slot.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteDraft {
    pub company: String,
    pub programme: String,
    pub description: String,
    pub address: String,
    pub tours: Vec<TourDraft>,
}

impl SiteDraft {
    /// Checks a site for an event held from `first` to `last` (its days): every slot
    /// lies on one of them, ends after it starts, and has a sensible capacity; no two
    /// slots of the site overlap.
    pub fn parse(
        input: &SiteInput,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<SiteDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let company = text::narrow_ascii(&input.company).trim().to_owned();
        if company.is_empty() {
            errors.push(Invalid::new(
                "company",
                "会場となる企業（企業名簿のキー、例: ota-01）を入力してください。",
            ));
        }
        let programme = text::required_line("programme", &input.programme, 100)
            .map_err(|e| errors.push(e))
            .ok();
        let description = text::optional_text("description", &input.description, 2000)
            .map_err(|e| errors.push(e))
            .ok();
        let address = text::optional_text("address", &input.address, 200)
            .map_err(|e| errors.push(e))
            .ok();
        let tours = parse_tours(&input.tours, first, last).map_err(|e| errors.push(e));
        match (programme, description, address, tours) {
            (Some(programme), Some(description), Some(address), Ok(tours)) if errors.is_empty() => {
                Ok(SiteDraft {
                    company,
                    programme,
                    description,
                    address,
                    tours,
                })
            }
            _ => Err(errors),
        }
    }
}

/// The slots, one per line; the first wrong line is named in the message.
pub fn parse_tours(
    input: &str,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<TourDraft>, Invalid> {
    let mut tours: Vec<TourDraft> = Vec::new();
    for (number, line) in input
        .lines()
        .map(|l| text::narrow_ascii(l).trim().to_owned())
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
    {
        let wrong = |why: &str| {
            Invalid::new(
                "tours",
                format!("見学枠の{}行目「{line}」：{why}", number + 1),
            )
        };
        let tour = parse_tour(&line).ok_or_else(|| {
            wrong("「2017-11-24 10:00-11:00 15」（日付 開始-終了 定員）の形で入力してください。")
        })?;
        if tour.starts.date() < first || tour.starts.date() > last {
            return Err(wrong(&format!(
                "イベントの開催日（{first}〜{last}）の枠にしてください。"
            )));
        }
        if tour.ends <= tour.starts {
            return Err(wrong("終了は開始より後の時刻にしてください。"));
        }
        if !(1..=TOUR_CAPACITY_MAX).contains(&tour.capacity) {
            return Err(wrong(&format!(
                "定員は1〜{TOUR_CAPACITY_MAX}名にしてください。"
            )));
        }
        if tours
            .iter()
            .any(|t| t.starts < tour.ends && tour.starts < t.ends)
        {
            return Err(wrong("同じ会場の別の枠と時間が重なっています。"));
        }
        tours.push(tour);
    }
    if tours.is_empty() {
        return Err(Invalid::new(
            "tours",
            "見学枠を1行に1枠ずつ入力してください（例: 2017-11-24 10:00-11:00 15）。",
        ));
    }
    if tours.len() > TOURS_MAX {
        return Err(Invalid::new(
            "tours",
            format!("見学枠は1会場{TOURS_MAX}枠までです。"),
        ));
    }
    tours.sort_by_key(|t| t.starts);
    Ok(tours)
}

fn parse_tour(line: &str) -> Option<TourDraft> {
    let mut parts = line.split_whitespace();
    let day = NaiveDate::parse_from_str(parts.next()?, "%Y-%m-%d").ok()?;
    let (from, to) = parts.next()?.split_once(['-', '~'])?;
    let time = |t: &str| NaiveTime::parse_from_str(t, "%H:%M").ok();
    let capacity = parts
        .next()?
        .trim_end_matches('名')
        .trim_end_matches('人')
        .parse()
        .ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some(TourDraft {
        starts: day.and_time(time(from)?),
        ends: day.and_time(time(to)?),
        capacity,
    })
}

/// The lines a site's slots are typed as, for a form shown again.
pub fn tour_lines(tours: &[TourDraft]) -> String {
    tours
        .iter()
        .map(|t| {
            format!(
                "{} {}-{} {}",
                t.starts.format("%Y-%m-%d"),
                t.starts.format("%H:%M"),
                t.ends.format("%H:%M"),
                t.capacity
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days() -> (NaiveDate, NaiveDate) {
        (
            NaiveDate::from_ymd_opt(2017, 11, 24).unwrap(),
            NaiveDate::from_ymd_opt(2017, 11, 25).unwrap(),
        )
    }

    fn input(tours: &str) -> SiteInput {
        SiteInput {
            company: "ota-01".into(),
            programme: "工場見学".into(),
            description: String::new(),
            address: "東京都大田区蒲田5-18-18".into(),
            tours: tours.into(),
        }
    }

    #[test]
    fn a_site_takes_its_slots_one_per_line_in_time_order() {
        let (first, last) = days();
        let draft = SiteDraft::parse(
            &input("２０１７-11-25 13:00-14:00 10名\n\n2017-11-24 10:00~11:00 15"),
            first,
            last,
        )
        .expect("valid");
        assert_eq!(draft.tours.len(), 2);
        assert_eq!(draft.tours[0].capacity, 15);
        assert_eq!(draft.tours[1].starts.to_string(), "2017-11-25 13:00:00");
        assert_eq!(
            TourDraft::label(draft.tours[0].starts, draft.tours[0].ends),
            "11月24日(金) 10:00〜11:00"
        );
        assert_eq!(
            tour_lines(&draft.tours),
            "2017-11-24 10:00-11:00 15\n2017-11-25 13:00-14:00 10"
        );
    }

    #[test]
    fn a_slot_off_the_event_days_overlapping_or_without_seats_is_refused_by_line() {
        let (first, last) = days();
        let refused = |tours: &str| {
            SiteDraft::parse(&input(tours), first, last)
                .expect_err(tours)
                .into_iter()
                .map(|e| e.reason)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert!(refused("2017-11-26 10:00-11:00 5").contains("開催日"));
        assert!(refused("2017-11-24 11:00-10:00 5").contains("終了は開始より後"));
        assert!(refused("2017-11-24 10:00-11:00 0").contains("定員は1〜500名"));
        assert!(refused("2017-11-24 10:00-11:00 5\n2017-11-24 10:30-11:30 5").contains("2行目"));
        assert!(refused("あした 10時 5人").contains("日付 開始-終了 定員"));
        assert!(refused("").contains("1行に1枠"));
        let no_company = SiteDraft::parse(
            &SiteInput {
                company: " ".into(),
                ..input("2017-11-24 10:00-11:00 5")
            },
            first,
            last,
        )
        .expect_err("no company");
        assert_eq!(no_company[0].field, "company");
    }
}
