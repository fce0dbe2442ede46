//! iCalendar (RFC 5545) for events, in one place: the feeds (`/calendar.ics`), a
//! fair's personal schedule, and the invitations attached to registration mail
//! (RFC 5546 METHOD:REQUEST / CANCEL) all build their text here, with the one
//! Asia/Tokyo VTIMEZONE their local times refer to.

use icalendar::{Calendar, CalendarDateTime, Component, DatePerhapsTime, EventLike};

use crate::events::Event;
use domain::events::EventStatus;

/// The time zone of every renkei event and fair.
pub const TZID: &str = "Asia/Tokyo";

/// Japan has kept UTC+9 without daylight saving since 1951, so one STANDARD block
/// describes it completely.
const VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\nTZNAME:JST\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

/// A local time in Asia/Tokyo, as DTSTART/DTEND take it.
pub fn tokyo(date_time: chrono::NaiveDateTime) -> CalendarDateTime {
    CalendarDateTime::WithTimezone {
        date_time,
        tzid: TZID.into(),
    }
}

/// The calendar's text with the VTIMEZONE inserted before its first component (the
/// icalendar crate writes none).
pub fn with_vtimezone(mut calendar: Calendar) -> String {
    let text = calendar.done().to_string();
    match text.find("BEGIN:VEVENT") {
        Some(at) => format!("{}{VTIMEZONE}{}", &text[..at], &text[at..]),
        None => text.replacen("END:VCALENDAR", &format!("{VTIMEZONE}END:VCALENDAR"), 1),
    }
}

/// One event as a VEVENT: stable UID, SEQUENCE, STATUS, local times with TZID.
pub fn vevent(event: &Event, origin: &str) -> icalendar::Event {
    let mut vevent = icalendar::Event::new();
    vevent
        .uid(&format!("event-{}@renkei", event.key))
        .sequence(u32::try_from(event.sequence).unwrap_or(0))
        .timestamp(event.updated_at)
        .summary(&event.title)
        .url(&format!("{origin}/events/{}", event.key))
        .status(match event.status {
            EventStatus::Scheduled => icalendar::EventStatus::Confirmed,
            EventStatus::Cancelled => icalendar::EventStatus::Cancelled,
        })
        .add_property("CATEGORIES", event.event_type.label());
    // A calendar app shows an event past its end (or with its results) as 終了.
    if event.state() == domain::events::EventState::Ended {
        vevent.add_multi_property("CATEGORIES", domain::events::EventState::Ended.label());
    }
    if event.time.all_day {
        // DTEND of an all-day event is exclusive: the day after the last day.
        vevent
            .starts(DatePerhapsTime::Date(event.time.first_day()))
            .ends(DatePerhapsTime::Date(
                event.time.last_day() + chrono::Duration::days(1),
            ));
    } else {
        vevent
            .starts(tokyo(event.time.start))
            .ends(tokyo(event.time.end));
    }
    let location = [event.venue.as_str(), event.address.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if !location.is_empty() {
        vevent.location(&location);
    }
    let mut description = format!(
        "{}｜主催：{}｜開催都市：{}",
        event.event_type.label(),
        event.organisation.name,
        event.city.name
    );
    if event.date_is_approximate {
        description.push_str("｜日付は推定です");
    }
    if let Some(result) = &event.result {
        description.push_str("｜実績：");
        description.push_str(&result.label());
    }
    if !event.description.is_empty() {
        description.push_str("\n\n");
        description.push_str(&event.description);
    }
    vevent.description(&description);
    vevent.done()
}

/// A calendar of the events, with the Asia/Tokyo VTIMEZONE its times refer to.
pub fn calendar_text(name: &str, found: &[Event], origin: &str) -> String {
    let mut calendar = Calendar::new();
    calendar.name(name).timezone(TZID);
    for event in found {
        calendar.push(vevent(event, origin));
    }
    with_vtimezone(calendar)
}

/// What an invitation asks of the calendar that receives it (RFC 5546).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Put it in (or update it): a confirmed seat.
    Request,
    /// Take it out: a withdrawn registration.
    Cancel,
}

/// A parameter value (CN) without the characters that would end it.
fn parameter_text(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';' | ':' | ','))
        .collect()
}

/// Who the invitation is for and from.
pub struct Invitation<'a> {
    /// A stable UID per registration, so that the CANCEL matches its REQUEST.
    pub uid: String,
    pub attendee_name: &'a str,
    pub attendee_email: &'a str,
    /// The organiser's address (the platform's sender address).
    pub organiser_email: &'a str,
}

/// One event as an invitation (METHOD:REQUEST) or its withdrawal (METHOD:CANCEL): the
/// event's VEVENT under the registration's UID, with ORGANIZER and ATTENDEE.
pub fn invitation(event: &Event, origin: &str, method: Method, who: &Invitation<'_>) -> String {
    let mut vevent = vevent(event, origin);
    let sequence = u32::try_from(event.sequence).unwrap_or(0);
    vevent.uid(&who.uid);
    let mut organiser =
        icalendar::Property::new("ORGANIZER", format!("mailto:{}", who.organiser_email));
    organiser.add_parameter("CN", &parameter_text(&event.organisation.name));
    let mut attendee =
        icalendar::Property::new("ATTENDEE", format!("mailto:{}", who.attendee_email));
    attendee.add_parameter("CN", &parameter_text(who.attendee_name));
    attendee.add_parameter("ROLE", "REQ-PARTICIPANT");
    vevent.append_property(organiser);
    vevent.append_property(attendee);
    match method {
        Method::Request => {
            vevent.sequence(sequence);
        }
        Method::Cancel => {
            // A cancellation must carry a higher SEQUENCE than the request it ends.
            vevent
                .sequence(sequence + 1)
                .status(icalendar::EventStatus::Cancelled);
        }
    }
    let mut calendar = Calendar::new();
    calendar
        .timezone(TZID)
        .append_property(icalendar::Property::new(
            "METHOD",
            match method {
                Method::Request => "REQUEST",
                Method::Cancel => "CANCEL",
            },
        ));
    calendar.push(vevent.done());
    with_vtimezone(calendar)
}
