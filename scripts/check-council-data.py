#!/usr/bin/env python3
"""Validate data/council/** against its schema and against the source document.

    python3 scripts/check-council-data.py [--source PATH]

Python 3.11+, stdlib only. Exit status 0 when every check passes, 1 otherwise.

What is checked
  * schema: required keys and types of document.toml, pillars.toml, cities.toml,
    organisations.toml, partners.toml and initiatives/<organisation>.toml (one per
    organisation, all eleven present); fy in {2016, 2017}; status matches fy
    (2016 → done, 2017 → planned | undecided; undecided ⇒ summary "未定"); pillars ⊆ {1,2,3};
    pillars_inferred only (and always) on the council's section-1 projects; program_kind
    from the domain's list; keys are slugs and unique; orders unique; every reference
    (organisation.city, partner.city, initiative.partners) resolves; every partner used.
  * 全国地方公共団体コード: check digit (weights 6,5,4,3,2; check = (11 − Σ mod 11) mod 10)
    and prefecture part.
  * coverage against the source document:
      - every number in the document is either a KPI value of the organisation whose block
        it stands in (as a multiset: each occurrence ↔ one KPI), or is listed in
        NOT_KPI below with the reason;
      - every KPI value that is not a counted milestone (note starting
        "文書に数値の記載なし") occurs in that organisation's block — nothing invented;
      - the 【n】 headings in each block are exactly the pillars of that organisation's
        initiatives, in the document's order; the 28年度/29年度 lines of a block are exactly
        the fiscal years of its entries;
      - every partner name, organisation name and city name occurs verbatim in the text;
      - titles, descriptions and summaries keep the document's wording: the characters
        outside ≥ 3-character runs found in the text (punctuation aside) are few — at most
        2 in a row in a summary (「を実施」-style completions), 4 in a title, 6 in a
        description, and at most a tenth of the text — and every number in them occurs in
        the document.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "council"

# ---------------------------------------------------------------------------
# Numbers in the document that are NOT KPIs, each with the literal context (in the
# normalised text: spaces next to digits removed) and the reason. An occurrence of a
# number is explained when it lies inside an occurrence of one of these literals.
# ---------------------------------------------------------------------------
NOT_KPI: list[tuple[str, str]] = [
    ("第10回", "回次: 第10回中小企業都市サミット（タイトルと協議会の情報発信）。サミットの番号であり実績値ではない"),
    ("【1】", "柱（方向性）の番号: pillars.toml / initiative.pillars で表現"),
    ("【2】", "柱（方向性）の番号: pillars.toml / initiative.pillars で表現"),
    ("【3】", "柱（方向性）の番号: pillars.toml / initiative.pillars で表現"),
    ("3つの方向性", "柱の数（3）: pillars.toml の件数として検査"),
    ("7都市", "協議会を構成する都市の数（7）: cities.toml の件数として検査"),
    ("1協議会全体", "文書の節番号: document.toml の section"),
    ("2各都市", "文書の節番号: document.toml の section"),
    ("平成28年度", "年度（平成28年度 = FY2016）: entry.fy で表現"),
    ("平成29年度", "年度（平成29年度 = FY2017）: entry.fy で表現"),
    ("28年度", "年度（28年度 = FY2016）: entry.fy で表現"),
    ("29年度", "年度（29年度 = FY2017）: entry.fy で表現"),
    ("第2回連絡会議", "回次: 協議会の第2回連絡会議（勉強会を行った会議の番号）であり実績値ではない"),
    ("フェア2016", "イベント名の一部: 「川口市産品フェア2016」"),
    ("社長60歳", "事業名の一部: 『社長60歳「企業健康診断」』"),
    ("100年企業表彰", "表彰名の一部: 「尼崎市100年企業表彰」（創業100年の企業が対象）"),
]

MILESTONE_NOTE = "文書に数値の記載なし"

ORGANISATION_KEYS = [
    "council", "kawaguchi", "kawaguchi-cci", "sumida", "tokyo-cci-sumida", "ota",
    "okaya", "kaga", "kaga-cci", "higashiosaka", "amagasaki",
]
CITY_KEYS = ["kawaguchi", "sumida", "ota", "okaya", "kaga", "higashiosaka", "amagasaki"]
EXPECTED_CODES = {
    "kawaguchi": "112038", "sumida": "131075", "ota": "131113", "okaya": "202045",
    "kaga": "172065", "higashiosaka": "272272", "amagasaki": "282022",
}
# JIS X 0401 prefecture codes of the prefectures that occur here.
PREFECTURE_CODES = {"埼玉県": "11", "東京都": "13", "長野県": "20", "石川県": "17", "大阪府": "27", "兵庫県": "28"}

ORG_KINDS = {"council", "city", "chamber"}
PARTNER_KINDS = {
    "bank", "university", "hospital", "facility", "share_office", "support_org",
    "network", "company", "government", "person",
}
PROGRAM_KINDS = {
    "meeting", "study_session", "survey", "event", "job_fair", "seminar", "cohort",
    "subsidy", "consulting", "certification", "matching_fair", "matching", "facility",
    "diagnostic", "network", "routing", "open_factory", "class", "agreement", "research",
    "district", "incentive", "award", "share_office", "publishing", "schedule",
    "succession_matching", "other",
}
STATUS_BY_FY = {2016: {"done"}, 2017: {"planned", "undecided"}}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


class Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    # -- typed field access -------------------------------------------------
    def field(self, table: dict, name: str, types, where: str, required: bool = True):
        if name not in table:
            if required:
                self.error(where, f"missing `{name}`")
            return None
        value = table[name]
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            self.error(where, f"`{name}` must be {types}, got bool")
            return None
        if not isinstance(value, types):
            self.error(where, f"`{name}` must be {types}, got {type(value).__name__}")
            return None
        if isinstance(value, str) and not value.strip():
            self.error(where, f"`{name}` is empty")
        return value

    def no_extra(self, table: dict, allowed: set[str], where: str) -> None:
        for name in table:
            if name not in allowed:
                self.error(where, f"unknown key `{name}`")


def load(path: Path, checker: Checker) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        checker.error(str(path.relative_to(ROOT)), "file missing")
    except tomllib.TOMLDecodeError as exc:
        checker.error(str(path.relative_to(ROOT)), f"TOML error: {exc}")
    return {}


def check_digit(base: str) -> int:
    total = sum(int(d) * w for d, w in zip(base, (6, 5, 4, 3, 2)))
    return (11 - total % 11) % 10


def normalise(text: str) -> str:
    """NFKC and drop the layout spaces the PDF extraction left around digits."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"(?<=[^\x00-\x7f]) (?=\d)", "", text)
    text = re.sub(r"(?<=\d) (?=[^\x00-\x7f])", "", text)
    return text


def number_value(token: str) -> float:
    return float(token.replace(",", ""))


PUNCTUATION = set("。、・「」『』（）()～：: ")


def foreign_runs(value: str, source: str, run: int = 3) -> list[str]:
    """The runs of `value` that are not inside any ≥ `run`-character substring of source
    (punctuation dropped): the words a summary adds to the document's wording."""
    covered = [False] * len(value)
    i = 0
    while i < len(value):
        best = 0
        for j in range(len(value), i + run - 1, -1):
            if value[i:j] in source:
                best = j - i
                break
        if best >= run:
            for k in range(i, i + best):
                covered[k] = True
            i += best
        else:
            i += 1
    runs, current = [], ""
    for char, ok in zip(value, covered):
        if ok or char in PUNCTUATION:
            if current:
                runs.append(current)
            current = ""
        else:
            current += char
    if current:
        runs.append(current)
    return runs


def check_wording(c: "Checker", where: str, value: str, text: str, longest: int) -> None:
    value = normalise(value)
    runs = foreign_runs(value, text)
    too_long = [r for r in runs if len(r) > longest]
    if too_long:
        c.error(where, f"words not from the document: {too_long}")
    added = sum(len(r) for r in runs)
    if added > max(3, len(value) // 10):
        c.error(where, f"{added} characters not from the document: {runs}")
    document_numbers = {number_value(m.group()) for m in NUMBER.finditer(text)}
    for m in NUMBER.finditer(value):
        if number_value(m.group()) not in document_numbers:
            c.error(where, f"number {m.group()} does not occur in the document")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, help="path of the source document text")
    args = parser.parse_args()
    c = Checker()

    # ---------------------------------------------------------------- document
    doc = load(DATA / "document.toml", c)
    w = "document.toml"
    c.no_extra(doc, {"title", "preamble", "source", "section"}, w)
    for name in ("title", "preamble", "source"):
        c.field(doc, name, str, w)
    sections = c.field(doc, "section", list, w) or []
    section_numbers = []
    for i, section in enumerate(sections):
        sw = f"{w} section[{i}]"
        c.no_extra(section, {"number", "title"}, sw)
        number = c.field(section, "number", int, sw)
        c.field(section, "title", str, sw)
        section_numbers.append(number)
    if section_numbers != [1, 2]:
        c.error(w, f"sections must be numbered [1, 2], got {section_numbers}")

    source_path = args.source
    if source_path is None:
        rel = doc.get("source", "seeds/000_cc25575be286d8aa.txt")
        for candidate in (ROOT / rel, ROOT.parent / "shared" / rel, Path("/work/shared") / rel):
            if candidate.is_file():
                source_path = candidate
                break
    if source_path is None or not source_path.is_file():
        c.error(w, f"source document not found ({doc.get('source')}); pass --source")
        raw = ""
    else:
        raw = source_path.read_text(encoding="utf-8")
    text = normalise(raw)

    if raw:
        for name in ("title", "preamble"):
            value = doc.get(name, "")
            if normalise(value).replace(" ", "") not in text.replace(" ", ""):
                c.error(w, f"`{name}` is not verbatim from the source")
        for section in sections:
            title = f"{section.get('number')}{section.get('title', '')}"
            if title.replace(" ", "") not in text.replace(" ", ""):
                c.error(w, f"section title `{title}` not found in the source")

    # ---------------------------------------------------------------- pillars
    pillars_doc = load(DATA / "pillars.toml", c)
    pillar_numbers = []
    for i, pillar in enumerate(pillars_doc.get("pillar", [])):
        pw = f"pillars.toml pillar[{i}]"
        c.no_extra(pillar, {"number", "name", "short", "description"}, pw)
        number = c.field(pillar, "number", int, pw)
        name = c.field(pillar, "name", str, pw)
        c.field(pillar, "short", str, pw)
        c.field(pillar, "description", str, pw, required=False)
        pillar_numbers.append(number)
        if raw and name and f"【{number}】{name}" not in text:
            c.error(pw, f"heading 【{number}】{name} not in the source")
    if pillar_numbers != [1, 2, 3]:
        c.error("pillars.toml", f"pillars must be 1, 2, 3 in order, got {pillar_numbers}")

    # ---------------------------------------------------------------- cities
    cities_doc = load(DATA / "cities.toml", c)
    cities: dict[str, dict] = {}
    for i, city in enumerate(cities_doc.get("city", [])):
        cw = f"cities.toml city[{i}]"
        c.no_extra(city, {"key", "name", "kana", "prefecture", "local_gov_code"}, cw)
        key = c.field(city, "key", str, cw)
        name = c.field(city, "name", str, cw)
        c.field(city, "kana", str, cw, required=False)
        prefecture = c.field(city, "prefecture", str, cw, required=False)
        code = c.field(city, "local_gov_code", str, cw)
        if key in cities:
            c.error(cw, f"duplicate city key {key}")
        cities[key] = city
        if raw and name and name not in raw:
            c.error(cw, f"city name {name} not in the source")
        if code is not None:
            if not re.fullmatch(r"\d{6}", code):
                c.error(cw, f"local_gov_code {code!r} is not six digits")
            else:
                if check_digit(code[:5]) != int(code[5]):
                    c.error(cw, f"local_gov_code {code}: check digit should be {check_digit(code[:5])}")
                if prefecture in PREFECTURE_CODES and code[:2] != PREFECTURE_CODES[prefecture]:
                    c.error(cw, f"local_gov_code {code} does not belong to {prefecture}")
            if key in EXPECTED_CODES and code != EXPECTED_CODES[key]:
                c.error(cw, f"local_gov_code of {key} must be {EXPECTED_CODES[key]}")
    if list(cities) != CITY_KEYS:
        c.error("cities.toml", f"city keys must be {CITY_KEYS}, got {list(cities)}")
    for base, expected in EXPECTED_CODES.items():  # the rule itself, on the known codes
        if check_digit(expected[:5]) != int(expected[5]):
            c.error("check-digit rule", f"rule fails on {expected}")

    # ---------------------------------------------------------------- organisations
    orgs_doc = load(DATA / "organisations.toml", c)
    orgs: dict[str, dict] = {}
    org_orders = set()
    for i, org in enumerate(orgs_doc.get("organisation", [])):
        ow = f"organisations.toml organisation[{i}]"
        c.no_extra(org, {"key", "name", "kind", "city", "order"}, ow)
        key = c.field(org, "key", str, ow)
        name = c.field(org, "name", str, ow)
        kind = c.field(org, "kind", str, ow)
        city = c.field(org, "city", str, ow, required=False)
        order = c.field(org, "order", int, ow)
        if key in orgs:
            c.error(ow, f"duplicate organisation key {key}")
        orgs[key] = org
        if order in org_orders:
            c.error(ow, f"duplicate order {order}")
        org_orders.add(order)
        if kind not in ORG_KINDS:
            c.error(ow, f"kind {kind!r} not in {sorted(ORG_KINDS)}")
        if kind == "council" and city is not None:
            c.error(ow, "the council has no city")
        if kind in ("city", "chamber") and city not in cities:
            c.error(ow, f"city {city!r} does not resolve")
        if kind == "city" and city in cities and cities[city].get("name") != name:
            c.error(ow, f"name {name} differs from the city's name")
        if raw and name and name not in raw:
            c.error(ow, f"organisation name {name} not in the source")
    ordered = [k for k, _ in sorted(orgs.items(), key=lambda kv: kv[1].get("order", 99))]
    if ordered != ORGANISATION_KEYS:
        c.error("organisations.toml", f"organisations (by order) must be {ORGANISATION_KEYS}, got {ordered}")

    # ---------------------------------------------------------------- partners
    partners_doc = load(DATA / "partners.toml", c)
    partners: dict[str, dict] = {}
    for i, partner in enumerate(partners_doc.get("partner", [])):
        pw = f"partners.toml partner[{i}]"
        c.no_extra(partner, {"key", "name", "kind", "city", "note"}, pw)
        key = c.field(partner, "key", str, pw)
        name = c.field(partner, "name", str, pw)
        kind = c.field(partner, "kind", str, pw)
        city = c.field(partner, "city", str, pw, required=False)
        c.field(partner, "note", str, pw)
        if key is not None and not SLUG.match(key):
            c.error(pw, f"key {key!r} is not a lowercase slug")
        if key in partners:
            c.error(pw, f"duplicate partner key {key}")
        partners[key] = partner
        if kind not in PARTNER_KINDS:
            c.error(pw, f"kind {kind!r} not in {sorted(PARTNER_KINDS)}")
        if city is not None and city not in cities:
            c.error(pw, f"city {city!r} does not resolve")
        if raw and name and name not in raw:
            c.error(pw, f"partner name {name!r} does not occur verbatim in the source")

    # ---------------------------------------------------------------- initiatives
    initiative_keys: set[str] = set()
    used_partners: set[str] = set()
    per_org: dict[str, list[dict]] = {}
    files = {p.stem for p in (DATA / "initiatives").glob("*.toml")}
    for extra in sorted(files - set(ORGANISATION_KEYS)):
        c.error(f"initiatives/{extra}.toml", "not an organisation")
    for org_key in ORGANISATION_KEYS:
        fw = f"initiatives/{org_key}.toml"
        table = load(DATA / "initiatives" / f"{org_key}.toml", c)
        if not table:
            continue
        c.no_extra(table, {"organisation", "initiative"}, fw)
        if table.get("organisation") != org_key:
            c.error(fw, f"organisation must be {org_key!r}, got {table.get('organisation')!r}")
        initiatives = c.field(table, "initiative", list, fw) or []
        if not initiatives:
            c.error(fw, "no initiatives")
        per_org[org_key] = initiatives
        orders = set()
        for n, ini in enumerate(initiatives):
            iw = f"{fw} initiative[{n}]"
            c.no_extra(ini, {"key", "title", "pillars", "pillars_inferred", "order", "program_kind",
                             "description", "partners", "entry"}, iw)
            key = c.field(ini, "key", str, iw)
            if key is not None:
                iw = f"{fw} {key}"
                if not SLUG.match(key):
                    c.error(iw, "key is not a lowercase slug")
                if key in initiative_keys or key in partners:
                    c.error(iw, "duplicate key")
                initiative_keys.add(key)
            title = c.field(ini, "title", str, iw)
            description = c.field(ini, "description", str, iw, required=False)
            if raw and title:
                check_wording(c, f"{iw} title", title, text, longest=4)
            if raw and description:
                check_wording(c, f"{iw} description", description, text, longest=6)
            pillars = c.field(ini, "pillars", list, iw) or []
            if not pillars or any(isinstance(p, bool) or p not in (1, 2, 3) for p in pillars) \
                    or pillars != sorted(set(pillars)):
                c.error(iw, f"pillars must be a non-empty sorted subset of [1, 2, 3], got {pillars}")
            inferred = c.field(ini, "pillars_inferred", bool, iw, required=False)
            if org_key == "council" and inferred is not True:
                c.error(iw, "section-1 projects have no pillar heading: pillars_inferred must be true")
            if org_key != "council" and inferred:
                c.error(iw, "pillars come from the document's heading: pillars_inferred must not be set")
            order = c.field(ini, "order", int, iw)
            if order in orders:
                c.error(iw, f"duplicate order {order}")
            orders.add(order)
            kind = c.field(ini, "program_kind", str, iw, required=False)
            if kind is not None and kind not in PROGRAM_KINDS:
                c.error(iw, f"program_kind {kind!r} unknown")
            refs = c.field(ini, "partners", list, iw) or []
            for ref in refs:
                if ref not in partners:
                    c.error(iw, f"partner {ref!r} does not resolve")
                used_partners.add(ref)
            entries = c.field(ini, "entry", list, iw) or []
            if not entries:
                c.error(iw, "no entries")
            fys = []
            for e, entry in enumerate(entries):
                ew = f"{iw} entry[{e}]"
                c.no_extra(entry, {"fy", "status", "summary", "kpi"}, ew)
                fy = c.field(entry, "fy", int, ew)
                status = c.field(entry, "status", str, ew)
                summary = c.field(entry, "summary", str, ew) or ""
                fys.append(fy)
                if fy not in STATUS_BY_FY:
                    c.error(ew, f"fy {fy} not in {{2016, 2017}}")
                elif status not in STATUS_BY_FY[fy]:
                    c.error(ew, f"status {status!r} not allowed for fy {fy}")
                if status == "undecided" and summary != "未定":
                    c.error(ew, "an undecided entry's summary is 未定")
                if raw and summary and summary != "未定":
                    check_wording(c, f"{ew} summary", summary, text, longest=2)
                kpis = c.field(entry, "kpi", list, ew, required=False) or []
                for k, kpi in enumerate(kpis):
                    kw = f"{ew} kpi[{k}]"
                    c.no_extra(kpi, {"label", "value", "unit", "note"}, kw)
                    c.field(kpi, "label", str, kw)
                    c.field(kpi, "value", (int, float), kw)
                    c.field(kpi, "unit", str, kw)
                    c.field(kpi, "note", str, kw, required=False)
            if fys != sorted(set(fys)):
                c.error(iw, f"entries must be one per fiscal year, in order: {fys}")
    for key in partners:
        if key not in used_partners:
            c.error("partners.toml", f"partner {key} is used by no initiative")

    # ---------------------------------------------------------------- demo data
    demo_data(c)
    invented_marked(c, text, per_org)
    places_data(c, text, per_org)

    # ---------------------------------------------------------------- coverage
    if raw:
        coverage(c, text, orgs, per_org, len(pillar_numbers), len(cities))

    # ---------------------------------------------------------------- report
    if c.errors:
        print(f"FAILED: {len(c.errors)} problem(s)")
        for message in c.errors:
            print(f"  - {message}")
        return 1
    print_summary(orgs, per_org, partners, cities)
    return 0


def coverage(c: Checker, text: str, orgs: dict, per_org: dict, n_pillars: int, n_cities: int) -> None:
    # Spans of the NOT_KPI literals.
    explained: list[tuple[int, int, str]] = []
    for literal, reason in NOT_KPI:
        if literal not in text:
            c.error("NOT_KPI", f"literal {literal!r} does not occur in the source")
        for m in re.finditer(re.escape(literal), text):
            explained.append((m.start(), m.end(), literal))
    if n_pillars != 3:
        c.error("coverage", "the document names 3つの方向性; pillars.toml must hold 3")
    if n_cities != 7:
        c.error("coverage", "the document names 7都市; cities.toml must hold 7")

    # Organisation blocks: a line that is exactly an organisation's name opens its block.
    names = {org["name"]: key for key, org in orgs.items() if "name" in org}
    starts: list[tuple[int, str]] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        if line.strip() in names:
            starts.append((pos, names[line.strip()]))
        pos += len(line)
    if [k for _, k in starts] != ORGANISATION_KEYS:
        c.error("coverage", f"organisation headings in the source read {[k for _, k in starts]}")
        return
    blocks = {}
    for i, (start, key) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        blocks[key] = (start, end)

    def block_of(position: int) -> str | None:
        for key, (start, end) in blocks.items():
            if start <= position < end:
                return key
        return None

    found: dict[str, Counter] = {key: Counter() for key in blocks}
    for m in NUMBER.finditer(text):
        if any(s <= m.start() and m.end() <= e for s, e, _ in explained):
            continue
        key = block_of(m.start())
        context = text[max(0, m.start() - 12): m.end() + 12].replace("\n", " ")
        if key is None:
            c.error("coverage", f"number {m.group()} outside any organisation block and not in NOT_KPI: …{context}…")
            continue
        found[key][number_value(m.group())] += 1

    for key, (start, end) in blocks.items():
        block = text[start:end]
        initiatives = per_org.get(key, [])
        kpi_values: Counter = Counter()
        for ini in initiatives:
            for entry in ini.get("entry", []):
                for kpi in entry.get("kpi", []):
                    value = kpi.get("value")
                    if not isinstance(value, (int, float)) or isinstance(value, bool):
                        continue
                    if str(kpi.get("note", "")).startswith(MILESTONE_NOTE):
                        continue
                    kpi_values[float(value)] += 1
        for value, count in (found[key] - kpi_values).items():
            c.error(f"coverage {key}", f"number {value:g} occurs {count}× more in the document than as a KPI")
        for value, count in (kpi_values - found[key]).items():
            c.error(f"coverage {key}", f"KPI value {value:g} ({count}×) is not in the document's block "
                                       f"(mark a counted milestone with note '{MILESTONE_NOTE}…')")

        # Pillar headings in document order ↔ initiatives' pillars in `order` order.
        headings = [int(n) for n in re.findall(r"【([123])】", block)]
        if key == "council":
            if headings:
                c.error("coverage council", "section 1 unexpectedly has pillar headings")
        else:
            sequence: list[int] = []
            for ini in sorted(initiatives, key=lambda i: i.get("order", 0)):
                for p in ini.get("pillars", []):
                    if not sequence or sequence[-1] != p:
                        sequence.append(p)
            if sequence != headings:
                c.error(f"coverage {key}", f"pillar headings {headings} ≠ initiatives' pillars in order {sequence}")

        # Fiscal years in the block ↔ entries' fiscal years.
        years = {1988 + int(y) for y in re.findall(r"(?<!\d)(28|29)年度", block)}
        if key == "council":
            years = {2016}  # section 1: 協議会全体の平成28年度実施事業
        entry_years = {e.get("fy") for ini in initiatives for e in ini.get("entry", [])}
        if years != entry_years:
            c.error(f"coverage {key}", f"fiscal years in the document {sorted(years)} ≠ entries' {sorted(entry_years)}")


def demo_data(c: Checker) -> None:
    """The demonstration data tells the truth (issue 17): each company once, every
    商談 of the 川口 fair on or after the fair, one name per office, the 加賀 survey in
    平成29年度 as the document says, no demo call writing the council's KPIs."""
    directory = load(DATA / "directory.toml", c)
    calls = load(DATA / "calls.toml", c)
    diagnostics = load(DATA / "diagnostics.toml", c)
    events = load(DATA / "events.toml", c)
    offices = load(DATA / "offices.toml", c)
    surveys = load(DATA / "surveys.toml", c)
    names = [x["name"] for x in directory.get("company", [])]
    names += [x["name"] for x in calls.get("company", [])]
    names += [pair[0] for pair in diagnostics.get("extra_names", [])]
    for name, count in Counter(names).items():
        if count > 1:
            c.error("demo companies", f"{name} appears {count} times")
    fair = next((e for e in events.get("event", []) if e.get("key") == "kawaguchi-cci-2016-matching-fair"), None)
    if fair is None:
        c.error("events.toml", "the 川口 matching fair of 平成28年度 is missing")
    else:
        at_fair = [n for n in directory.get("negotiation", []) if n.get("owner") == "kawaguchi-cci"]
        if len(at_fair) != 58:
            c.error("directory.toml", f"{len(at_fair)} 商談 of the fair, the document says 延べ58商談")
        for n in at_fair:
            early = [d for _, d in n.get("steps", []) if d < fair["start_date"]]
            if early:
                c.error("directory.toml", f"negotiation {n.get('key')}: {early[0]} is before its fair on {fair['start_date']}")
    facility_names = {(f.get("city"), f.get("kind")): f.get("name") for f in directory.get("facility", [])}
    for office in offices.get("office", []):
        name = facility_names.get((office.get("city"), "share_office"))
        if name is not None and name != office.get("name"):
            c.error("offices.toml", f"{office.get('key')} is 「{office.get('name')}」 but 「{name}」 in directory.toml")
    for survey in surveys.get("survey", []):
        if survey.get("organisation") == "kaga-cci" and survey.get("fiscal_year") != 2017:
            c.error("surveys.toml", "加賀商工会議所の事業承継の実態調査 is 平成29年度 (2017) in the document")
    for call in calls.get("call", []):
        if call.get("kpi"):
            c.error("calls.toml", f"{call.get('key')}: invented applications must not write the council's KPIs")


MIGRATION_0021 = ROOT / "crates" / "store" / "migrations" / "0021_demo_people.sql"
# The words a KPI note uses when its figure was counted from records
# (store::catalogue::feed_kpis: 「商談記録から集計」, 「診断記録から集計」, 「デモ」).
COUNTED_NOTE = re.compile(r"記録から集計|デモ")


def backfilled_keys(sql: str, table: str) -> set[str] | None:
    """The keys the migration's `UPDATE {table} SET source = 'seed'` names."""
    m = re.search(rf"UPDATE {table} SET source = 'seed'(.*?);", sql, re.S)
    if m is None:
        return None
    return set(re.findall(r"'([a-z0-9-]+)'", m.group(1))) - {"seed"}


def invented_marked(c: Checker, text: str, per_org: dict) -> None:
    """Invented demonstration content is marked 「デモ」 and never in the council's
    figures (issue 17): the invented people of directory.toml are exactly those that
    migration 0021 marks in an older database, and none of them is a name of the
    document; every share office that the document does not name is `invented`, and
    the one it names is not (and migration 0021 marks exactly the invented ones); no
    KPI of the document's data was counted from (demonstration) records."""
    directory = load(DATA / "directory.toml", c)
    offices = load(DATA / "offices.toml", c)
    people = directory.get("person", [])
    person_keys = {p.get("key") for p in people}
    if text:
        for p in people:
            if p.get("name") and p.get("name") in text:
                c.error("directory.toml", f"person {p.get('key')}: 「{p.get('name')}」 is a name of the document, not an invented one")
    invented_offices = set()
    for office in offices.get("office", []):
        ow = f"offices.toml {office.get('key')}"
        invented = office.get("invented", False)
        if not isinstance(invented, bool):
            c.error(ow, "`invented` must be true or false")
        named = bool(text) and office.get("name", "") in text
        if text and named and invented:
            c.error(ow, f"「{office.get('name')}」 is named in the document: not invented")
        if text and not named and not invented:
            c.error(ow, f"「{office.get('name')}」 is not in the document: mark it `invented = true` (shown 「デモ」)")
        if invented:
            invented_offices.add(office.get("key"))
    try:
        sql = MIGRATION_0021.read_text(encoding="utf-8")
    except FileNotFoundError:
        c.error(str(MIGRATION_0021.relative_to(ROOT)), "missing")
        sql = ""
    if sql:
        marked_people = backfilled_keys(sql, "people")
        if marked_people != person_keys:
            c.error("0021_demo_people.sql", f"marks people {sorted(marked_people or [])}, directory.toml invents {sorted(person_keys)}")
        marked_offices = backfilled_keys(sql, "share_offices")
        if marked_offices != invented_offices:
            c.error("0021_demo_people.sql", f"marks offices {sorted(marked_offices or [])}, offices.toml invents {sorted(invented_offices)}")
    for org_key, initiatives in per_org.items():
        for ini in initiatives:
            for entry in ini.get("entry", []):
                for kpi in entry.get("kpi", []):
                    if COUNTED_NOTE.search(str(kpi.get("note", ""))):
                        c.error(f"initiatives/{org_key}.toml {ini.get('key')}",
                                f"KPI 「{kpi.get('label')}」 is noted as counted from records: the council's figures are the document's")


def places_data(c: Checker, text: str, per_org: dict) -> None:
    """Districts and sites (places.toml, issue 19): the districts are the document's
    designations (its organisation's `district` initiative, in a fiscal year of that
    initiative's entries, wording of the document), never invented; every site is
    invented (the document names none) and marked `invented = true` (shown 「デモ」);
    every enquiry is about an invented site and says so (「デモ」)."""
    places = load(DATA / "places.toml", c)
    district_keys = set()
    for d in places.get("district", []):
        dw = f"places.toml district {d.get('key')}"
        district_keys.add(d.get("key"))
        if "invented" in d:
            c.error(dw, "districts come from the document: no `invented`")
        if d.get("kind") not in {"special_use", "district_plan", "other"}:
            c.error(dw, f"kind {d.get('kind')!r}")
        org = d.get("owner")
        kinds = [i for i in per_org.get(org, []) if i.get("program_kind") == "district"]
        if not kinds:
            c.error(dw, f"{org} has no `district` initiative in the document's data")
        years = {e.get("fy") for i in kinds for e in i.get("entry", [])}
        if kinds and d.get("designated_fy") not in years:
            c.error(dw, f"designated_fy {d.get('designated_fy')} is not a year of {org}'s designation {sorted(years)}")
        # 「工業保全型の特別用途地区や地区計画」: each name is the document's words.
        core = d.get("name", "").replace("工業保全型の", "")
        if text and (not core or core not in text or ("工業保全型" in d.get("name", "") and "工業保全型" not in text)):
            c.error(dw, f"「{d.get('name')}」 is not the document's wording")
    site_keys = set()
    for s in places.get("site", []):
        sw = f"places.toml site {s.get('key')}"
        site_keys.add(s.get("key"))
        if s.get("invented") is not True:
            c.error(sw, "the document names no site: mark it `invented = true` (shown 「デモ」)")
        if s.get("district", "") and s.get("district") not in district_keys:
            c.error(sw, f"district {s.get('district')!r} is not in places.toml")
        lat, lon = s.get("lat"), s.get("lon")
        if not (isinstance(lat, (int, float)) and isinstance(lon, (int, float)) and 20 <= lat <= 46 and 122 <= lon <= 154.5):
            c.error(sw, f"position ({lat}, {lon}) is not in Japan")
    for e in places.get("enquiry", []):
        ew = f"places.toml enquiry {e.get('key')}"
        if e.get("site") not in site_keys:
            c.error(ew, f"site {e.get('site')!r} is not in places.toml")
        if "デモ" not in e.get("message", ""):
            c.error(ew, "an invented enquiry says so in its message (「デモ」)")


def print_summary(orgs: dict, per_org: dict, partners: dict, cities: dict) -> None:
    print("council data OK")
    print(f"  cities: {len(cities)}   organisations: {len(orgs)}   partners: {len(partners)}")
    header = f"  {'organisation':<20}{'initiatives':>12}{'entries':>9}{'done':>6}{'planned':>9}{'undecided':>11}{'KPIs':>6}{'milestone':>11}"
    print(header)
    totals = Counter()
    for key in ORGANISATION_KEYS:
        inis = per_org.get(key, [])
        entries = [e for i in inis for e in i.get("entry", [])]
        kpis = [k for e in entries for k in e.get("kpi", [])]
        row = Counter(
            initiatives=len(inis),
            entries=len(entries),
            done=sum(e.get("status") == "done" for e in entries),
            planned=sum(e.get("status") == "planned" for e in entries),
            undecided=sum(e.get("status") == "undecided" for e in entries),
            kpis=len(kpis),
            milestone=sum(str(k.get("note", "")).startswith(MILESTONE_NOTE) for k in kpis),
        )
        totals += row
        print(f"  {key:<20}{row['initiatives']:>12}{row['entries']:>9}{row['done']:>6}{row['planned']:>9}"
              f"{row['undecided']:>11}{row['kpis']:>6}{row['milestone']:>11}")
    print(f"  {'total':<20}{totals['initiatives']:>12}{totals['entries']:>9}{totals['done']:>6}{totals['planned']:>9}"
          f"{totals['undecided']:>11}{totals['kpis']:>6}{totals['milestone']:>11}")
    by_pillar = Counter(p for inis in per_org.values() for i in inis for p in i.get("pillars", []))
    print("  initiatives per pillar: " + ", ".join(f"【{p}】{by_pillar[p]}" for p in (1, 2, 3)))
    print(f"  numbers explained as not KPIs: {len(NOT_KPI)} literal(s)")


if __name__ == "__main__":
    sys.exit(main())
