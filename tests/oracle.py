"""An independent oracle: the FAQ rules written a second time, as plain Python.

Written from docs/rules.md (the rule catalogue) and docs/contract.md (§1 documents, §2 dates,
§3 outcomes and facts, §6 clarifications) only. It shares no code with espolicy: it imports
nothing from it, has its own shape check, its own date arithmetic and its own reading of every
rule (term texts and part names included); the national holiday calendar comes straight from
the `holidays` package. `tests/test_oracle.py` requires the compiled policy and this oracle to
agree, on generated documents, on the outcome, the FAQ questions cited, the (effect, FAQ
questions) of the findings, and the facts of contract §3.

Where docs/rules.md leaves room, the oracle follows the readings the project documents
(docs/faq-readings.md), each noted here:
- Q3 findings ("covered", "accepted; handled from …") and `covered_now` concern an active pack:
  they need `route` to be `pack` (no service before registration completes or after the service
  last day, Q5/Q14).
- A service request is covered by the pack (`route` `pack`) on the days of the service period
  (§2: from `warranty_start`, both ends included) on and after the registration day, and never
  after the last day of 5 years from the warranty start (contract §6, A6).
- Term texts (contract §6): read after NFKC and case folding; years ("6", "6 years", "6年",
  "6年間", "6ヶ年", decimals), months ("18 months", "18ヶ月", "か月", "カ月", "ヵ月", "ケ月",
  "箇月", with or without 間), years then months ("5年6ヶ月", "1 year and 6 months"), an end date
  ("2029-03-31", "2029/3/31", "2029年3月31日"), or parts joined by an arrow ("->", "=>", "→",
  "⇒", "➔", "➡") where every part must read and the last one is the new term (a bare number takes
  the unit written before it). A number with more than 18 digits after the point, a sign, or
  anything else makes the text unreadable: no Q6.
- UPS batteries (contract §6, A16): the part, in NFKC, case-folded, without invisible characters
  (zero-width ones, soft hyphen, BOM), with runs of blanks, `_`, dashes (Unicode's dash
  punctuation, the minus sign) and `・` as one space and none at the ends, is "ups", an optional
  space, an optional "用" or "の" and space, "battery", "batteries", "バッテリ" or "バッテリー",
  then optionally one word for the same part (pack, unit, module, replacement, パック, ユニット,
  モジュール, 交換) and a note in brackets.
- No window after the end (A5): the "accepted; handled from …" finding (Q3) needs a window on a
  day the pack still serves; otherwise the pack's warn cites Q5. Both concern an active pack.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

import holidays

JST = dt.timezone(dt.timedelta(hours=9))
OPENS, CLOSES = dt.time(8, 30), dt.time(17, 30)
MAX_YEARS = 5
G2_TERMS = (3, 4, 5)

KINDS = ("registration", "change_request", "service_request")
GENERATIONS = ("ESP", "ESP_G2")
COVERAGES = ("weekday", "24x365")
CHANGE_TYPES = ("site", "contact", "coverage", "term", "server", "express_notification_hours", "generation",
                "reissue")
SERVICE_TYPES = ("repair", "periodic_maintenance", "part_replacement")
CONTRACT_FACTS = {
    "registration": {"service_last_day", "warranty_last_day", "elapsed_days", "remaining_days"},
    "change_request": {"service_last_day", "registration_center_next_open"},
    "service_request": {"service_last_day", "warranty_last_day", "route", "covered_now", "next_service_window",
                        "holiday"},
}


@dataclass(frozen=True)
class Verdict:
    """What the oracle says of one document."""

    outcome: str
    findings: frozenset[tuple[str, tuple[str, ...]]] = frozenset()   # (effect, sorted FAQ questions)
    facts: dict[str, Any] = field(default_factory=dict)              # JSON values, contract §3 keys only
    why: str = ""                                                     # for an invalid one: the first problem

    @property
    def faqs(self) -> frozenset[str]:
        return frozenset(q for _, qs in self.findings for q in qs)


# ---------------------------------------------------------------- contract §2: dates

def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def last_day(start: dt.date, years: int) -> dt.date:
    """The last day of a period of `years` years from `start`: the day before the same date `years`
    later; when that date does not exist (29 February), the last day of that February."""
    year = start.year + years
    if (start.month, start.day) == (2, 29) and not is_leap(year):
        return dt.date(year, 2, 28)
    return dt.date(year, start.month, start.day) - dt.timedelta(days=1)


@lru_cache(maxsize=None)
def _holidays(year: int) -> dict[dt.date, str]:
    try:
        return dict(holidays.country_holidays("JP", years=year, language="ja"))
    except (NotImplementedError, KeyError, ValueError):
        return {}


def holiday(day: dt.date) -> str | None:
    """The Japanese name of the national holiday on `day` (any the law names: 国民の祝日, 国民の休日,
    振替休日), or None."""
    return _holidays(day.year).get(day)


def registration_center_next_open(day: dt.date) -> dt.date:
    """The first date on or after `day` that is Monday to Friday and not a national holiday."""
    while day.isoweekday() > 5 or holiday(day) is not None:
        day += dt.timedelta(days=1)
    return day


def in_service_hours(moment: dt.datetime) -> bool:
    """Monday to Friday, 08:30 inclusive to 17:30 exclusive, Japan time (holidays included)."""
    local = moment.astimezone(JST)
    return local.isoweekday() <= 5 and OPENS <= local.time().replace(tzinfo=None) < CLOSES


def next_service_window(moment: dt.datetime) -> dt.datetime:
    """The first Monday-to-Friday 08:30 Japan time after `moment`."""
    local = moment.astimezone(JST)
    day = local.date()
    while True:
        start = dt.datetime(day.year, day.month, day.day, 8, 30, tzinfo=JST)
        if day.isoweekday() <= 5 and start > local:
            return start
        day += dt.timedelta(days=1)


# ---------------------------------------------------------------- contract §1: the shape

class Invalid(Exception):
    pass


_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
                       r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))")
_SERIAL = re.compile(r"[A-Za-z0-9-]{1,32}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")


def _fail(where: str, why: str) -> None:
    raise Invalid(f"{where}: {why}")


def _mapping(value: Any, where: str, required: set[str], optional: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(where, "not a mapping")
    for key in value:
        if key not in required and key not in optional:
            _fail(where, f"unknown key {key!r}")
    for key in required:
        if key not in value:
            _fail(where, f"missing {key!r}")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        _fail(where, "not text")
    return value


def _int(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(where, "not a whole number")
    if not low <= value <= high:
        _fail(where, f"not in {low}..{high}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        _fail(where, "not true/false")
    return value


def _one_of(value: Any, where: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        _fail(where, f"not one of {allowed}")
    return value


def _date(value: Any, where: str) -> dt.date:
    m = _DATE.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        _fail(where, "not a YYYY-MM-DD date")
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        _fail(where, "not a day of the calendar")
    raise AssertionError


def _datetime(value: Any, where: str) -> dt.datetime:
    m = _DATETIME.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        _fail(where, "not a date-time with seconds and a UTC offset")
    year, month, day, hour, minute, second = (int(m[i]) for i in range(1, 7))
    fraction = int((m[7] or ".0")[1:7].ljust(6, "0"))
    if m[8]:
        offset = dt.timedelta(0)
    else:
        oh, om = int(m[10]), int(m[11])
        if oh > 23 or om > 59:
            _fail(where, "offset out of range")
        offset = dt.timedelta(hours=oh, minutes=om) * (-1 if m[9] == "-" else 1)
    try:
        return dt.datetime(year, month, day, hour, minute, second, fraction, tzinfo=dt.timezone(offset))
    except ValueError:
        _fail(where, "not a moment of the calendar")
    raise AssertionError


def _serial(value: Any, where: str) -> str:
    if not isinstance(value, str) or _SERIAL.fullmatch(value) is None:
        _fail(where, "not a serial (1-32 letters, digits or -)")
    return value


def _id(value: Any) -> str:
    text = _text(value, "/id")
    if not 1 <= len(text) <= 64:
        _fail("/id", "not 1-64 characters")
    return text


def check(doc: Any) -> None:
    """Invalid when `doc` is not a document of contract §1 (closed shapes, types, formats)."""
    if not isinstance(doc, dict):
        _fail("/", "not a mapping")
    if doc.get("kind") not in KINDS:
        _fail("/kind", "missing or unknown kind")
    {"registration": _check_registration, "change_request": _check_change,
     "service_request": _check_service}[doc["kind"]](doc)


def _check_registration(doc: dict[str, Any]) -> None:
    _mapping(doc, "/", {"kind", "id", "registration_date", "server", "pack"}, {"history", "requests", "customer"})
    _id(doc["id"])
    _date(doc["registration_date"], "/registration_date")
    server = _mapping(doc["server"], "/server", {"model", "serial", "warranty_start", "warranty_years"}, set())
    _text(server["model"], "/server/model")
    _serial(server["serial"], "/server/serial")
    _date(server["warranty_start"], "/server/warranty_start")
    _int(server["warranty_years"], "/server/warranty_years", 1, 5)
    pack = _mapping(doc["pack"], "/pack", {"generation", "coverage", "term_years", "purchase_date"}, set())
    _one_of(pack["generation"], "/pack/generation", GENERATIONS)
    _one_of(pack["coverage"], "/pack/coverage", COVERAGES)
    _int(pack["term_years"], "/pack/term_years", 1, 10)
    _date(pack["purchase_date"], "/pack/purchase_date")
    if "history" in doc:
        if not isinstance(doc["history"], list):
            _fail("/history", "not a list")
        for i, entry in enumerate(doc["history"]):
            _mapping(entry, f"/history/{i}", {"generation", "term_years", "registered_on"}, set())
            _one_of(entry["generation"], f"/history/{i}/generation", GENERATIONS)
            _int(entry["term_years"], f"/history/{i}/term_years", 1, 10)
            _date(entry["registered_on"], f"/history/{i}/registered_on")
    if "requests" in doc:
        flags = {"periodic_maintenance", "express_notification_24x365", "discount_without_express_notification",
                 "ups_battery_replacement"}
        for key, value in _mapping(doc["requests"], "/requests", set(), flags).items():
            _bool(value, f"/requests/{key}")
    if "customer" in doc:
        customer = _mapping(doc["customer"], "/customer", set(), {"name", "site", "contact"})
        for key in ("name", "site"):
            if key in customer:
                _text(customer[key], f"/customer/{key}")
        if "contact" in customer:
            contact = _mapping(customer["contact"], "/customer/contact", set(), {"name", "phone", "email"})
            for key in ("name", "phone"):
                if key in contact:
                    _text(contact[key], f"/customer/contact/{key}")
            if "email" in contact and _EMAIL.fullmatch(_text(contact["email"], "/customer/contact/email")) is None:
                _fail("/customer/contact/email", "not an email address")


def _check_change(doc: dict[str, Any]) -> None:
    _mapping(doc, "/", {"kind", "id", "request_date", "change"}, {"registration"})
    _id(doc["id"])
    _date(doc["request_date"], "/request_date")
    change = _mapping(doc["change"], "/change", {"type"}, {"to", "reason"})
    _one_of(change["type"], "/change/type", CHANGE_TYPES)
    if change["type"] != "reissue" and "to" not in change:
        _fail("/change", "`to` is required unless the change is a reissue")
    if "to" in change and (isinstance(change["to"], bool) or not isinstance(change["to"], (str, int))):
        _fail("/change/to", "neither text nor a whole number")
    if "reason" in change:
        _text(change["reason"], "/change/reason")
    if "registration" not in doc:
        if change["type"] != "reissue":
            _fail("/registration", "required unless the change is a reissue")
        return
    registration = _mapping(doc["registration"], "/registration", {"generation", "coverage", "term_years",
                                                                   "server_serial", "warranty_start",
                                                                   "registered_on"}, set())
    _one_of(registration["generation"], "/registration/generation", GENERATIONS)
    _one_of(registration["coverage"], "/registration/coverage", COVERAGES)
    _int(registration["term_years"], "/registration/term_years", 1, 10)
    _serial(registration["server_serial"], "/registration/server_serial")
    _date(registration["warranty_start"], "/registration/warranty_start")
    _date(registration["registered_on"], "/registration/registered_on")


def _check_service(doc: dict[str, Any]) -> None:
    _mapping(doc, "/", {"kind", "id", "requested_at", "server", "service"}, {"registration"})
    _id(doc["id"])
    _datetime(doc["requested_at"], "/requested_at")
    server = _mapping(doc["server"], "/server", {"serial", "warranty_start", "warranty_years"}, set())
    _serial(server["serial"], "/server/serial")
    _date(server["warranty_start"], "/server/warranty_start")
    _int(server["warranty_years"], "/server/warranty_years", 1, 5)
    if "registration" in doc:
        registration = _mapping(doc["registration"], "/registration",
                                {"generation", "coverage", "term_years", "registered_on"}, set())
        _one_of(registration["generation"], "/registration/generation", GENERATIONS)
        _one_of(registration["coverage"], "/registration/coverage", COVERAGES)
        _int(registration["term_years"], "/registration/term_years", 1, 10)
        _date(registration["registered_on"], "/registration/registered_on")
    service = _mapping(doc["service"], "/service", {"type"}, {"part"})
    _one_of(service["type"], "/service/type", SERVICE_TYPES)
    if "part" in service:
        _text(service["part"], "/service/part")


# ---------------------------------------------------------------- docs/rules.md

class _Judgement:
    def __init__(self) -> None:
        self.findings: set[tuple[str, tuple[str, ...]]] = set()
        self.facts: dict[str, Any] = {}

    def add(self, effect: str, *faqs: str) -> None:
        self.findings.add((effect, tuple(sorted(faqs))))

    def outcome(self) -> str:
        effects = {effect for effect, _ in self.findings}
        return "deny" if "deny" in effects else "review" if "review" in effects else "allow"

    def verdict(self) -> Verdict:
        return Verdict(self.outcome(), frozenset(self.findings), dict(self.facts))


def judge(doc: Any) -> Verdict:
    """The oracle's verdict on one document (a JSON value)."""
    try:
        check(doc)
    except Invalid as e:
        return Verdict("invalid", why=str(e))
    return {"registration": _registration, "change_request": _change,
            "service_request": _service}[doc["kind"]](doc).verdict()


def _registration(doc: dict[str, Any]) -> _Judgement:
    j = _Judgement()
    server, pack = doc["server"], doc["pack"]
    start = _date(server["warranty_start"], "")
    registered = _date(doc["registration_date"], "")
    service_last = last_day(start, pack["term_years"])
    warranty_last = last_day(start, server["warranty_years"])
    j.facts.update(service_last_day=service_last.isoformat(), warranty_last_day=warranty_last.isoformat(),
                   elapsed_days=(registered - start).days,
                   remaining_days=max(0, (service_last - registered).days + 1))
    history = doc.get("history", [])
    requests = doc.get("requests", {})
    if any(entry["generation"] != pack["generation"] for entry in history):
        j.add("deny", "Q10", "Q11")
    if pack["term_years"] > MAX_YEARS:   # A10 for the first generation, A6 for G2
        j.add("deny", *(("Q6", "Q10") if pack["generation"] == "ESP" else ("Q6",)))
    if pack["generation"] == "ESP_G2" and pack["term_years"] not in G2_TERMS:
        j.add("deny", "Q8", "Q11")
    if registered > service_last:
        j.add("deny", "Q1")
    elif registered > warranty_last:
        j.add("warn", "Q1")
    if requests.get("periodic_maintenance", False):
        j.add("deny", "Q2")
    if pack["coverage"] == "weekday" and requests.get("express_notification_24x365", False):
        j.add("deny", "Q12")
    if requests.get("discount_without_express_notification", False):
        j.add("deny", "Q15")
    if requests.get("ups_battery_replacement", False):
        j.add("deny", "Q16")
    if pack["generation"] == "ESP" and not any(entry["generation"] == "ESP" for entry in history):
        j.add("review", "Q17")
    if _date(pack["purchase_date"], "") > registered or start > registered:
        j.add("deny")   # data consistency: no FAQ question
    if j.outcome() == "allow":
        j.add("info", "Q5")
    return j


YEAR_WORDS = {"year", "years", "yr", "yrs", "年", "年間"} | {c + "年" + m for c in "かカヵヶケ箇" for m in ("", "間")}
MONTH_WORDS = {"month", "months"} | {c + "月" + m for c in "かカヵヶケ箇" for m in ("", "間")}
ARROWS = ("->", "=>", "→", "⇒", "➔", "➡")


def _number(text: str, i: int) -> tuple[Fraction, int] | None:
    """A number (decimal digits of any script, an optional point and more digits) at `text[i:]`:
    its exact value and the index after it; None when there is none or too many digits after the point."""
    j = i
    while j < len(text) and unicodedata.category(text[j]) == "Nd":
        j += 1
    if j == i:
        return None
    whole = int("".join(str(unicodedata.decimal(c)) for c in text[i:j]))
    if j < len(text) and text[j] == "." and j + 1 < len(text) and unicodedata.category(text[j + 1]) == "Nd":
        k = j + 1
        while k < len(text) and unicodedata.category(text[k]) == "Nd":
            k += 1
        decimals = "".join(str(unicodedata.decimal(c)) for c in text[j + 1:k]).rstrip("0")
        if len(decimals) > 18:
            return None
        return whole + (Fraction(int(decimals), 10 ** len(decimals)) if decimals else 0), k
    return Fraction(whole), j


def _skip_blanks(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _unit(text: str, i: int) -> tuple[str | None, int]:
    """The longest unit word at `text[i:]`: ("years" | "months", end) or (None, i)."""
    for length in range(6, 0, -1):   # the longest word, "months", has 6 characters
        word = text[i:i + length]
        if len(word) == length and word in YEAR_WORDS:
            return "years", i + length
        if len(word) == length and word in MONTH_WORDS:
            return "months", i + length
    return None, i


def _end_date(part: str) -> dt.date | None | bool:
    """The end date a part writes, False when it is not written as a date, None when it is not a day."""
    for pattern in (r"(\d{4})-(\d{1,2})-(\d{1,2})", r"(\d{4})/(\d{1,2})/(\d{1,2})", r"(\d{4})年(\d{1,2})月(\d{1,2})日"):
        m = re.fullmatch(pattern, part, re.ASCII)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    return False


def _term_part(part: str, unit: str) -> tuple[Fraction | dt.date, str] | None:
    """One part of a term text: (months or end date, the unit it was written in) or None."""
    end = _end_date(part)
    if end is None:
        return None
    if end is not False:
        return end, unit
    first = _number(part, 0)
    if first is None:
        return None
    value, i = first
    i = _skip_blanks(part, i)
    written, i = _unit(part, i)
    if written is None:
        return (value * 12 if unit == "years" else value, unit) if i == len(part) else None
    if i == len(part):
        return (value * 12 if written == "years" else value), written
    if written != "years":
        return None
    i = _skip_blanks(part, i)   # years, then months: "5年6ヶ月", "1 year and 6 months"
    for joiner in ("and", "と"):
        if part.startswith(joiner, i):
            i = _skip_blanks(part, i + len(joiner))
            break
    second = _number(part, i)
    if second is None:
        return None
    months, i = second
    then, i = _unit(part, _skip_blanks(part, i))
    if then != "months" or i != len(part):
        return None
    return value * 12 + months, "months"


def requested_term(to: Any) -> Fraction | dt.date | None:
    """What a term change asks for: months (exact) or an end date; None when it cannot be read."""
    if isinstance(to, int) and not isinstance(to, bool):
        return Fraction(to * 12)
    if not isinstance(to, str):
        return None
    text = unicodedata.normalize("NFKC", to).casefold().strip()
    unit, term = "years", None
    for part in re.split("|".join(map(re.escape, ARROWS)), text):
        read = _term_part(part.strip(), unit)
        if read is None:
            return None
        term, unit = read
    return term


def term_past_five_years(to: Any, warranty_start: dt.date) -> bool:
    """Q6 for a term change: the service period asked for ends after the last day of year 5."""
    term = requested_term(to)
    if isinstance(term, dt.date):
        return term > last_day(warranty_start, MAX_YEARS)
    return term is not None and term > MAX_YEARS * 12


def _change(doc: dict[str, Any]) -> _Judgement:
    j = _Judgement()
    change, registration = doc["change"], doc.get("registration")
    kind = change["type"]
    if registration is not None:
        j.facts["service_last_day"] = last_day(_date(registration["warranty_start"], ""),
                                               registration["term_years"]).isoformat()
    if kind in ("site", "contact"):
        j.add("info", "Q4")
        j.facts["registration_center_next_open"] = registration_center_next_open(
            _date(doc["request_date"], "")).isoformat()
    deny = {"coverage": ("Q7",), "term": ("Q8",), "server": ("Q9",), "generation": ("Q10", "Q11"),
            "reissue": ("Q13",)}
    if kind in deny:
        j.add("deny", *deny[kind])
    if kind == "express_notification_hours" and registration is not None:
        j.add("deny" if registration["coverage"] == "weekday" else "info", "Q12")
    if kind == "term" and registration is not None and term_past_five_years(
            change["to"], _date(registration["warranty_start"], "")):
        j.add("deny", "Q6")
    if registration is not None and registration["term_years"] > MAX_YEARS:   # the record itself (A6)
        j.add("deny", "Q6")
    return j


UPS_BATTERY = re.compile(r"ups ?(?:[用の])? ?(?:battery|batteries|バッテリ|バッテリー)"
                         r"(?: ?(?:pack|packs|パック|unit|units|ユニット|module|modules|モジュール|replacement|交換))?"
                         r"(?: ?\([^()]*\))?")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"))


def names_a_ups_battery(part: str) -> bool:
    """A16: the part is a UPS battery however it is written (module docstring)."""
    text = unicodedata.normalize("NFKC", part).casefold().translate(_INVISIBLE)
    text = "".join(" " if c in "_・\u2212" or c.isspace() or unicodedata.category(c) == "Pd" else c for c in text)
    text = re.sub(" +", " ", text).strip(" ")
    return UPS_BATTERY.fullmatch(text) is not None


def _service(doc: dict[str, Any]) -> _Judgement:
    j = _Judgement()
    moment = _datetime(doc["requested_at"], "")
    day = moment.astimezone(JST).date()
    server, registration, service = doc["server"], doc.get("registration"), doc["service"]
    start = _date(server["warranty_start"], "")
    warranty_last = last_day(start, server["warranty_years"])
    five_years_last = last_day(start, MAX_YEARS)   # nothing is served after it (A6)
    j.facts["warranty_last_day"] = warranty_last.isoformat()
    in_warranty = start <= day <= warranty_last
    registered_on = service_last = served_until = None
    if registration is not None:
        registered_on = _date(registration["registered_on"], "")
        service_last = last_day(start, registration["term_years"])
        served_until = min(service_last, five_years_last)
        j.facts["service_last_day"] = service_last.isoformat()
    registered = registered_on is not None and day >= registered_on
    pack_active = registered and served_until is not None and start <= day <= served_until
    route = "pack" if pack_active else "warranty" if in_warranty else "spot"
    j.facts["route"] = route
    in_hours = in_service_hours(moment)
    weekday_plan = registration is not None and registration["coverage"] == "weekday"
    j.facts["covered_now"] = pack_active and (registration["coverage"] == "24x365" or in_hours)
    window = next_service_window(moment) if weekday_plan and not in_hours else None
    if window is not None and served_until is not None and window.date() <= served_until:
        j.facts["next_service_window"] = window.isoformat()
    name = holiday(day)
    if name is not None:
        j.facts["holiday"] = name
    if registration is None or day < registered_on:
        j.add("deny", "Q14")
    if service_last is not None and day > service_last:
        j.add("deny", "Q5")
    if day > five_years_last:
        j.add("deny", "Q6")
    if service["type"] == "periodic_maintenance":
        j.add("deny", "Q2")
    if "part" in service and names_a_ups_battery(service["part"]):
        j.add("deny", "Q16")
    if registered_on is not None and registered_on < start:
        j.add("deny")   # data consistency: registered before the server was bought
    if weekday_plan and route == "pack":   # Q3 and the end of the pack concern an active pack
        if in_hours and name is not None:
            j.add("info", "Q3")
        elif not in_hours and "next_service_window" in j.facts:
            j.add("warn", "Q3")
        elif not in_hours:
            j.add("warn", "Q5")   # the pack ends before the next service window (A5)
    return j
