#!/usr/bin/env python3
"""Checks renkei's list downloads as Excel users meet them, with independent readers:
the Shift_JIS CSV (`?encoding=shift_jis`) decodes with Python's `cp932` codec to the
same cells as the UTF-8 one (which starts with a BOM), both end their lines with CRLF,
and in the XLSX `openpyxl` reads 法人番号 as text (not 2.16917E+12) and the dates as
dates, with an autofilter on a frozen header row.

    python3 scripts/check-exports.py http://127.0.0.1:8080

Needs `pip install openpyxl`. Exits non-zero with a list of problems.
"""

import csv
import datetime
import io
import sys
import urllib.error
import urllib.request

import openpyxl

# The lists the public can download; each with its XLSX.
LISTS = ["/companies.csv", "/events.csv", "/initiatives.csv", "/negotiations/dashboard.csv"]

# Characters Unicode spells twice where CP932 (Windows) has the other spelling; renkei
# writes the CP932 one (crates/web/src/export.rs, CP932_EQUIVALENTS), which Excel shows
# the same. Everything else must come back unchanged.
CP932_EQUIVALENTS = {
    "\u301c": "\uff5e",
    "\u2016": "\u2225",
    "\u2212": "\uff0d",
    "\u00a2": "\uffe0",
    "\u00a3": "\uffe1",
    "\u00ac": "\uffe2",
    "\u2014": "\u2015",
    "\u00a5": "\uffe5",
    "\u203e": "\uffe3",
}


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def rows_of(text):
    return list(csv.reader(io.StringIO(text, newline="")))


def check_line_endings(where, body, rows, problems):
    if not body.endswith(b"\r\n"):
        problems.append(f"{where} does not end with CRLF")
    # Every record ends with CRLF (a cell may hold a line break of its own).
    crlf = body.count(b"\r\n")
    if crlf < len(rows):
        problems.append(f"{where} has {crlf} CRLF for {len(rows)} records")


def check_csv(base, path, problems):
    status, content_type, utf8 = fetch(base + path)
    if status != 200 or "charset=utf-8" not in content_type:
        problems.append(f"{path}: status {status}, Content-Type {content_type!r}")
        return 0
    if not utf8.startswith(b"\xef\xbb\xbf"):
        problems.append(f"{path}: the UTF-8 CSV has no BOM")
    expected = rows_of(utf8.decode("utf-8-sig"))
    check_line_endings(path, utf8, expected, problems)
    sjis_path = path + ("&" if "?" in path else "?") + "encoding=shift_jis"
    status, content_type, sjis = fetch(base + sjis_path)
    if status != 200:
        problems.append(f"{sjis_path}: status {status} (the demo data should export in Shift_JIS)")
        return 0
    if "shift_jis" not in content_type.lower():
        problems.append(f"{sjis_path}: Content-Type {content_type!r}")
    try:
        decoded = sjis.decode("cp932")
    except UnicodeDecodeError as error:
        problems.append(f"{sjis_path}: not CP932: {error}")
        return 0
    if decoded.startswith("\ufeff"):
        problems.append(f"{sjis_path}: a BOM in a Shift_JIS file")
    got = rows_of(decoded)
    check_line_endings(sjis_path, sjis, got, problems)
    want = [["".join(CP932_EQUIVALENTS.get(c, c) for c in cell) for cell in row] for row in expected]
    if got != want:
        for n, (a, b) in enumerate(zip(got, want), start=1):
            if a != b:
                problems.append(f"{sjis_path}: row {n} differs from UTF-8: {a!r} != {b!r}")
                break
        else:
            problems.append(f"{sjis_path}: {len(got)} rows, UTF-8 has {len(want)}")
    return len(got) - 1


def workbook(base, path, problems):
    status, _, body = fetch(base + path)
    if status != 200:
        problems.append(f"{path}: status {status}")
        return None
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    if sheet.freeze_panes != "A2":
        problems.append(f"{path}: header row not frozen ({sheet.freeze_panes})")
    if not sheet.auto_filter.ref or not sheet.auto_filter.ref.startswith("A1:"):
        problems.append(f"{path}: no autofilter on the header row ({sheet.auto_filter.ref})")
    return sheet


def column(sheet, header):
    headers = [cell.value for cell in sheet[1]]
    if header not in headers:
        return None
    index = headers.index(header)
    return [row[index] for row in sheet.iter_rows(min_row=2, values_only=True)]


def check_xlsx(base, problems):
    companies = workbook(base, "/companies.xlsx", problems)
    numbers = column(companies, "法人番号") if companies else None
    if numbers is None:
        problems.append("/companies.xlsx: no 法人番号 column")
        numbers = []
    filled = [n for n in numbers if n not in (None, "")]
    if not filled:
        problems.append("/companies.xlsx: no 法人番号 to check (the demo companies have them)")
    for n in filled:
        if not isinstance(n, str) or len(n) != 13 or not n.isdigit():
            problems.append(f"/companies.xlsx: 法人番号 {n!r} is not 13 digits of text")
            break
    founded = [y for y in (column(companies, "設立年") or []) if y is not None] if companies else []
    if founded and not all(isinstance(y, (int, float)) for y in founded):
        problems.append("/companies.xlsx: 設立年 is not a number")
    events = workbook(base, "/events.xlsx", problems)
    starts = [s for s in (column(events, "開始") or []) if s is not None] if events else []
    if not starts:
        problems.append("/events.xlsx: no 開始 dates")
    elif not all(isinstance(s, datetime.datetime) for s in starts):
        problems.append(f"/events.xlsx: 開始 is not a date: {starts[0]!r}")
    return len(filled), len(starts)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    base = sys.argv[1].rstrip("/")
    problems = []
    counts = {path: check_csv(base, path, problems) for path in LISTS}
    numbers, starts = check_xlsx(base, problems)
    for problem in problems:
        print("export check:", problem, file=sys.stderr)
    if problems:
        return 1
    listed = ", ".join(f"{path} {n} rows" for path, n in counts.items())
    print(f"exports ok: Shift_JIS = UTF-8 for {listed}; XLSX 法人番号 text ({numbers}), 開始 dates ({starts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
