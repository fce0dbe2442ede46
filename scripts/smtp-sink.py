"""A real SMTP server for the mail tests (aiosmtpd): receives every message and
writes it to a directory twice — the raw message as NNNN.eml and what a test checks
as NNNN.json, parsed with Python's email package (decoded headers, the text part)
and the .ics attachment with icalendar.

    smtp-sink.py --port PORT --dir DIR [--refuse "550 5.1.1 reason"]

Prints "listening PORT" when ready (PORT 0 picks a free port). With --refuse every
recipient is refused with that answer.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import sys

from aiosmtpd.controller import Controller


def summary(envelope):
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    text = None
    ics = None
    calendar = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "text/plain" and text is None:
            text = part.get_content()
        elif kind == "text/calendar":
            raw = part.get_payload(decode=True)
            ics = raw.decode("utf-8")
            calendar = parse_ics(raw, part.get_param("method"))
    sender = message["From"]
    return {
        "mail_from": envelope.mail_from,
        "rcpt_tos": envelope.rcpt_tos,
        "message_id": str(message["Message-ID"]),
        "subject": str(message["Subject"]),
        "from_name": sender.addresses[0].display_name if sender else "",
        "from_address": sender.addresses[0].addr_spec if sender else "",
        "to": str(message["To"]),
        "text": text,
        "ics": ics,
        "calendar": calendar,
        "headers": list(message.keys()),
    }


def parse_ics(raw, method_param):
    from icalendar import Calendar

    calendar = Calendar.from_ical(raw)
    events = []
    for component in calendar.walk("VEVENT"):
        start = component.get("DTSTART")
        events.append(
            {
                "uid": str(component.get("UID")),
                "summary": str(component.get("SUMMARY")),
                "status": str(component.get("STATUS")),
                "sequence": int(component.get("SEQUENCE", 0)),
                "start": start.dt.isoformat() if start else None,
                "tzid": str(start.params.get("TZID", "")) if start else "",
                "organizer": str(component.get("ORGANIZER")),
                "attendee": str(component.get("ATTENDEE")),
            }
        )
    return {
        "method": str(calendar.get("METHOD")),
        "content_type_method": method_param,
        "timezones": [str(tz.get("TZID")) for tz in calendar.walk("VTIMEZONE")],
        "events": events,
    }


class Handler:
    def __init__(self, directory, refuse):
        self.directory = directory
        self.refuse = refuse
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, f"{os.getpid()}-{self.count:04d}")
        with open(base + ".eml.partial", "wb") as out:
            out.write(envelope.content)
        os.rename(base + ".eml.partial", base + ".eml")
        with open(base + ".json.partial", "w", encoding="utf-8") as out:
            json.dump(summary(envelope), out, ensure_ascii=False)
        os.rename(base + ".json.partial", base + ".json")
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--refuse", default=None)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    handler = Handler(args.dir, args.refuse)
    port = args.port
    if port == 0:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    print(f"listening {port}", flush=True)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def finish(*_):
        loop.call_soon_threadsafe(stop.set)

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    try:
        loop.run_until_complete(stop.wait())
    finally:
        controller.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
