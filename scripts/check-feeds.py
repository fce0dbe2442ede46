#!/usr/bin/env python3
"""Checks renkei's feeds with independent parsers: /calendar.ics (and a city-filtered
one) with the `icalendar` package (RFC 5545), /feeds/activity.atom with `feedparser`.

    python3 scripts/check-feeds.py http://127.0.0.1:8080

Needs `pip install icalendar feedparser`. Exits non-zero with a list of problems.
"""

import sys
import urllib.request

import feedparser
import icalendar


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


def check_calendar(base, path, problems, expect_city=None):
    status, content_type, body = fetch(base + path)
    where = f"{path}:"
    if status != 200 or not content_type.startswith("text/calendar"):
        problems.append(f"{where} status {status}, Content-Type {content_type!r}")
        return 0
    calendar = icalendar.Calendar.from_ical(body)
    if str(calendar.get("VERSION")) != "2.0" or not calendar.get("PRODID"):
        problems.append(f"{where} VERSION 2.0 and PRODID required")
    zones = [str(z.get("TZID")) for z in calendar.walk("VTIMEZONE")]
    if "Asia/Tokyo" not in zones:
        problems.append(f"{where} no VTIMEZONE for Asia/Tokyo (found {zones})")
    events = calendar.walk("VEVENT")
    uids = set()
    for event in events:
        uid = str(event.get("UID", ""))
        name = f"{where} {uid or '(no UID)'}"
        if not uid.startswith("event-") or not uid.endswith("@renkei"):
            problems.append(f"{name}: UID is not event-KEY@renkei")
        if uid in uids:
            problems.append(f"{name}: duplicate UID")
        uids.add(uid)
        for prop in ("DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "SEQUENCE", "URL", "STATUS"):
            if event.get(prop) is None:
                problems.append(f"{name}: {prop} missing")
        start = event.decoded("DTSTART", None)
        end = event.decoded("DTEND", None)
        if start is not None and end is not None and not end > start:
            problems.append(f"{name}: DTEND is not after DTSTART")
        if hasattr(start, "tzinfo") and start.tzinfo is not None:
            offset = start.utcoffset()
            if offset is None or offset.total_seconds() != 9 * 3600:
                problems.append(f"{name}: DTSTART is not in Asia/Tokyo (+09:00)")
        if str(event.get("STATUS", "")) not in ("CONFIRMED", "CANCELLED"):
            problems.append(f"{name}: STATUS is {event.get('STATUS')}")
        if expect_city and expect_city not in str(event.get("DESCRIPTION", "")):
            problems.append(f"{name}: not an event of {expect_city}")
    return len(events)


def check_atom(base, path, problems):
    status, content_type, body = fetch(base + path)
    where = f"{path}:"
    if status != 200 or "atom+xml" not in content_type:
        problems.append(f"{where} status {status}, Content-Type {content_type!r}")
        return 0
    feed = feedparser.parse(body)
    if feed.bozo:
        problems.append(f"{where} not well-formed: {feed.bozo_exception}")
    if feed.version != "atom10":
        problems.append(f"{where} version is {feed.version!r}, not Atom 1.0")
    for prop in ("title", "id", "updated"):
        if not feed.feed.get(prop):
            problems.append(f"{where} feed {prop} missing")
    for entry in feed.entries:
        for prop in ("id", "title", "link", "updated"):
            if not entry.get(prop):
                problems.append(f"{where} entry {entry.get('id')} has no {prop}")
    return len(feed.entries)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    base = sys.argv[1].rstrip("/")
    problems = []
    everything = check_calendar(base, "/calendar.ics", problems)
    amagasaki = check_calendar(base, "/calendar.ics?city=282022", problems, expect_city="尼崎市")
    entries = check_atom(base, "/feeds/activity.atom", problems)
    ota = check_atom(base, "/feeds/activity.atom?city=ota", problems)
    if everything == 0 or entries == 0:
        problems.append("the feeds are empty: the council's seed events should be in them")
    if not 0 < amagasaki < everything or not 0 < ota < entries:
        problems.append(f"city filters do not narrow the feeds ({amagasaki}/{everything}, {ota}/{entries})")
    for problem in problems:
        print("feed check:", problem, file=sys.stderr)
    if problems:
        return 1
    print(f"feeds ok: calendar.ics {everything} events (尼崎市 {amagasaki}), activity.atom {entries} entries (大田区 {ota})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
