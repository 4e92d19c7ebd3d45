"""The compiled policy against the independent oracle (`tests/oracle.py`) on generated documents.

At least 10,000 documents per run across the three kinds (3 × 3,400), most of them valid and
biased towards the boundaries where rules change their mind: the warranty and service last days
(± a few days), the registration day, 08:30 and 17:30 Japan time (± seconds, in several UTC
offsets, so that the Japan date differs from the written one), national holidays, Golden Week and
the New Year, weekends, 29 February, mixed histories; about one in six is mutated to break the
contract's shape (the oracle decides, from contract §1, whether it still holds).

Policy and oracle must agree on the outcome, the set of FAQ questions cited, the set of findings
as (effect, FAQ questions), and the facts of contract §3. A disagreement is a bug in one of them;
the ones found so far are kept in tests/test_regressions.py.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

import espolicy
from espolicy.engine.policy import Policy
from espolicy.sources import bundled_dir, read_sources

import oracle
from oracle import JST, last_day

T = TypeVar("T")
# ESPOLICY_ORACLE_SCALE=10 compares ten times as many documents (a longer campaign by hand).
EXAMPLES = 3_400 * max(1, int(os.environ.get("ESPOLICY_ORACLE_SCALE", "1")))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

LEAP_DAYS = [dt.date(y, 2, 29) for y in range(2000, 2041, 4)]
FIRST_YEAR, LAST_YEAR = 2000, 2060
HOLIDAYS = sorted(d for y in range(2014, 2041) for d in oracle._holidays(y))
GOLDEN_WEEK = [dt.date(y, 4, 27) + dt.timedelta(days=i) for y in range(2014, 2041) for i in range(11)]
NEW_YEAR = [dt.date(y, 12, 27) + dt.timedelta(days=i) for y in range(2014, 2040) for i in range(10)]


# ---------------------------------------------------------------- building blocks
# Strategies are drawn from with plain integers (`pick`, `day_in`): building new strategy objects
# for every example (one_of, builds, dates with per-example bounds) costs Hypothesis several times
# more than judging the document.

def pick(draw: st.DrawFn, items: Sequence[T]) -> T:
    return items[draw(st.integers(0, len(items) - 1))]


def day_in(draw: st.DrawFn, low: dt.date, high: dt.date) -> dt.date:
    return low + dt.timedelta(days=draw(st.integers(0, max(0, (high - low).days))))


def near(draw: st.DrawFn, anchors: Sequence[dt.date], days: int = 3) -> dt.date:
    return pick(draw, anchors) + dt.timedelta(days=draw(st.integers(-days, days)))


def start_date(draw: st.DrawFn) -> dt.date:
    """A warranty start: any day, 29 February, the days around it, a month's or year's end."""
    mode = draw(st.integers(0, 3))
    if mode == 0:
        return day_in(draw, dt.date(2010, 1, 1), dt.date(2040, 12, 31))
    if mode == 1:
        return pick(draw, LEAP_DAYS)
    if mode == 2:
        return near(draw, LEAP_DAYS, 2)
    return dt.date(draw(st.integers(2010, 2040)), draw(st.integers(1, 12)), 1) - dt.timedelta(days=1)


def special_day(draw: st.DrawFn) -> dt.date:
    """A national holiday, a day of Golden Week or of the New Year, or a day near a holiday."""
    return near(draw, pick(draw, [HOLIDAYS, GOLDEN_WEEK, NEW_YEAR, HOLIDAYS]), pick(draw, [0, 0, 2]))


def iso(d: dt.date) -> str:
    return d.isoformat()


def term(draw: st.DrawFn) -> int:
    return pick(draw, [3, 4, 5, 3, 4, 5, 1, 2, 5, 6, 6, 7, 8, 9, 10])


FLAGS = ["periodic_maintenance", "express_notification_24x365", "discount_without_express_notification",
         "ups_battery_replacement"]


def flags(draw: st.DrawFn) -> dict[str, bool] | None:
    if draw(st.booleans()):
        return None
    out = {}
    for name in FLAGS:
        choice = draw(st.integers(0, 4))   # 0 absent, 1-3 false, 4 true
        if choice:
            out[name] = choice == 4
    return out


# ---------------------------------------------------------------- documents

@st.composite
def registrations(draw: st.DrawFn) -> dict[str, Any]:
    start = start_date(draw)
    warranty_years = draw(st.integers(1, 5))
    years = term(draw)
    generation = pick(draw, ["ESP", "ESP_G2"])
    warranty_last, service_last = last_day(start, warranty_years), last_day(start, years)
    one = dt.timedelta(days=1)
    if draw(st.integers(0, 2)):
        registered = near(draw, [warranty_last, service_last, start, start + one, warranty_last + one,
                                 service_last + one])
    else:
        registered = day_in(draw, start - dt.timedelta(days=60), service_last + dt.timedelta(days=400))
    if draw(st.booleans()):
        purchased = near(draw, [registered, start])
    else:
        purchased = day_in(draw, start - dt.timedelta(days=100), registered)
    doc: dict[str, Any] = {
        "kind": "registration", "id": pick(draw, ["REG-1", "REG-2026-0001", "r"]),
        "registration_date": iso(registered),
        "server": {"model": pick(draw, ["Express5800/R120h-1M", "T110k", ""]),
                   "serial": pick(draw, ["4300123", "ABC-123", "x" * 32]),
                   "warranty_start": iso(start), "warranty_years": warranty_years},
        "pack": {"generation": generation, "coverage": pick(draw, ["weekday", "24x365"]),
                 "term_years": years, "purchase_date": iso(purchased)},
    }
    history_size = pick(draw, [None, 0, 1, 1, 2, 3])
    if history_size is not None:
        doc["history"] = [
            {"generation": pick(draw, [generation, generation, "ESP", "ESP_G2"]),
             "term_years": draw(st.integers(1, 10)),
             "registered_on": iso(near(draw, [start + dt.timedelta(days=365 * k)], 40))}
            for k in range(history_size)]
    requests = flags(draw)
    if requests is not None:
        doc["requests"] = requests
    if draw(st.booleans()):
        doc["customer"] = {"name": "Example Co., Ltd.", "contact": {"email": "taro@example.com"}}
    return doc


EDGES = [dt.time(8, 30), dt.time(17, 30), dt.time(0, 0), dt.time(9, 0)]
EDGE_SHIFTS = [-61, -1, 0, 0, 1, 59, 60, -3600, 3600]


def japan_moment(draw: st.DrawFn, day: dt.date) -> dt.datetime:
    """A moment in Japan time on `day`, often within seconds of 08:30, 17:30 or midnight."""
    mode = draw(st.integers(0, 3))
    if mode in (3, 9):
        return dt.datetime.combine(day, dt.time(0), tzinfo=JST) + dt.timedelta(
            microseconds=draw(st.integers(0, 86_400 * 10 ** 6 - 1)))
    moment = dt.datetime.combine(day, pick(draw, EDGES), tzinfo=JST) + dt.timedelta(seconds=pick(draw, EDGE_SHIFTS))
    return moment.replace(microsecond=999_999) if mode == 2 else moment


OFFSETS = ["+09:00"] * 6 + ["Z", "+00:00", "-05:00", "+05:30", "+14:00", "-12:00", "+08:45", "-00:00"]


def written(moment: dt.datetime, offset: str) -> str:
    """`moment` written in RFC 3339 with `offset` (the same instant)."""
    if offset in ("Z", "-00:00"):
        zone = dt.timezone.utc
    else:
        sign = -1 if offset[0] == "-" else 1
        zone = dt.timezone(sign * dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    local = moment.astimezone(zone)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if local.microsecond:
        text += f".{local.microsecond:06d}"
    return text + offset


# UPS batteries however written (contract §6), and parts that are not one
UPS_PARTS = ["ups_battery", "UPS_Battery", "ups battery", "UPS-battery", "ＵＰＳ＿ｂａｔｔｅｒｙ", "UPSバッテリ",
             "UPSバッテリー", "UPS用バッテリ", "ｕｐｓ ﾊﾞｯﾃﾘｰ", " UPS  battery ", "ups--batteries", "UPSBattery",
             "UPS の バッテリー", "Ups_Battery\t", "ups_battery_cable", "ups", "battery", "UPS battery controller board",
             "UPSバッテリケーブル", "ups用", "UP S battery", "ups batt", "バッテリ", "ups-bat-tery", "UPSバッテリーー"]


@st.composite
def service_requests(draw: st.DrawFn) -> dict[str, Any]:
    start = start_date(draw)
    warranty_years = draw(st.integers(1, 5))
    warranty_last = last_day(start, warranty_years)
    doc: dict[str, Any] = {"kind": "service_request", "id": "SRV-1",
                           "server": {"serial": "4300123", "warranty_start": iso(start),
                                      "warranty_years": warranty_years}}
    five_years_last = last_day(start, 5)
    anchors = [warranty_last, warranty_last + dt.timedelta(days=1), start, five_years_last,
               five_years_last + dt.timedelta(days=1)]
    if draw(st.integers(0, 6)):
        years = term(draw)
        service_last = last_day(start, years)
        if draw(st.booleans()):
            registered = near(draw, [start], 5)   # sometimes before the warranty start
        else:
            registered = day_in(draw, start - dt.timedelta(days=10), service_last + dt.timedelta(days=30))
        doc["registration"] = {"generation": pick(draw, ["ESP", "ESP_G2"]),
                               "coverage": pick(draw, ["weekday", "weekday", "24x365"]),
                               "term_years": years, "registered_on": iso(registered)}
        anchors += [service_last, service_last + dt.timedelta(days=1), registered, registered - dt.timedelta(days=1)]
    mode = draw(st.integers(0, 2))
    if mode == 0:
        day = near(draw, anchors, 2)
    elif mode == 1:
        day = special_day(draw)
    else:
        day = day_in(draw, start - dt.timedelta(days=30), last_day(start, 10) + dt.timedelta(days=60))
    doc["requested_at"] = written(japan_moment(draw, day), pick(draw, OFFSETS))
    service = {"type": pick(draw, ["repair", "repair", "part_replacement", "periodic_maintenance"])}
    part = pick(draw, [None, None, "fan", "", None, pick(draw, UPS_PARTS)])
    if part is not None:
        service["part"] = part
    doc["service"] = service
    return doc


FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
TERM_TEXTS = ["six", "", "   ", "five years", "-6", "+6", "6.0", "0006", "٦", "9" * 12, "12345678901 years",
              "0" * 25 + "7", "1" + "0" * 30, "6.", ".5", "5.5", "5.0000000000000000001 years", "5.000000000000000001",
              "5,5年", "6 years!", "6年以上", "3年→", "→6年", "3年→six", "about 6 years", "2029-02-30", "2029-13-01",
              "2029/3/31", "2029年3月31日", "2029年3月31", "20290331", "5年6ヶ月", "5 years 1 month", "4年12ヶ月",
              "1 year and 6 months", "5年と0か月", "6ヶ月5年", "18ヶ月→24", "18 months -> 72", "3 => 5.5", "3⇒6",
              "5 years→60 months", "61か月間", "60カ月", "６０ヵ月", "61ケ月", "60箇月間", "5ヶ年", "6ヵ年間", "6 YRS",
              "6yr", "6 Year", "6  years", "6\tyears", "6 years 6", "1" + "0" * 25 + " months", "5." + "0" * 30 + "1",
              "١٢ months", "7 y"]
MONTH_UNITS = [" months", "ヶ月", "か月", "カ月", "箇月", "ヵ月", "ケ月", " month", "ヶ月間"]
YEAR_UNITS = ["", " years", "年", "年間", " year", " yrs", "ヶ年"]
ARROW_FORMS = ["{a}年→{b}年", "{a} -> {b} years", "{a}→{b}", "{a} => {b}", "{a}年 ⇒ {b}年間"]


def requested_to(draw: st.DrawFn, start: dt.date) -> Any:
    """`change.to` of a term change: a number of years; a text of years (whole, decimal, full
    width), of months, of years and months, an end date near the last day of year 5, a change
    written with an arrow; or a text that cannot be read."""
    n = draw(st.integers(1, 12))
    months = pick(draw, [draw(st.integers(1, 130)), 59, 60, 61, 66, 72])
    five = last_day(start, 5)
    end = pick(draw, [five, five, five + dt.timedelta(days=1), five - dt.timedelta(days=1),
                      near(draw, [last_day(start, 3), last_day(start, 6)], 2)])
    mode = draw(st.integers(0, 9))
    if mode == 0:
        return pick(draw, [n, draw(st.integers(-3, 100))])
    if mode == 1:
        text = pick(draw, [str(n), f"{n}.{draw(st.integers(0, 99))}", f"4.{draw(st.integers(0, 99))}",
                           f"5.{draw(st.integers(0, 99))}"])
        text += pick(draw, YEAR_UNITS)
        return pick(draw, [text, text.translate(FULL_WIDTH), f"  {text} ", text.upper()])
    if mode == 2:
        text = f"{months}{pick(draw, MONTH_UNITS)}"
        return pick(draw, [text, text.translate(FULL_WIDTH)])
    if mode in (3, 9):
        return pick(draw, [end.isoformat(), f"{end.year}/{end.month}/{end.day}", f"{end.year}年{end.month}月{end.day}日"])
    if mode == 4:
        return pick(draw, ARROW_FORMS).format(a=draw(st.integers(1, 5)), b=pick(draw, [n, f"{n}.5", f"{months}ヶ月"]))
    if mode == 5:
        return pick(draw, [f"{draw(st.integers(0, 6))}年{draw(st.integers(0, 13))}ヶ月",
                           f"{draw(st.integers(0, 6))} years {draw(st.integers(0, 13))} months"])
    return pick(draw, TERM_TEXTS)


@st.composite
def change_requests(draw: st.DrawFn) -> dict[str, Any]:
    kind = pick(draw, oracle.CHANGE_TYPES + ("term", "site", "express_notification_hours"))
    day = special_day(draw) if draw(st.booleans()) else day_in(draw, dt.date(2015, 1, 1), dt.date(2040, 12, 31))
    start = start_date(draw)
    doc: dict[str, Any] = {"kind": "change_request", "id": "CHG-1", "request_date": iso(day), "change": {"type": kind}}
    if kind != "reissue" or draw(st.booleans()):
        doc["registration"] = {"generation": pick(draw, ["ESP", "ESP_G2"]),
                               "coverage": pick(draw, ["weekday", "24x365"]),
                               "term_years": term(draw), "server_serial": "4300123",
                               "warranty_start": iso(start), "registered_on": iso(near(draw, [start], 20))}
    if kind == "term":
        to = requested_to(draw, start)
    else:
        to = pick(draw, ["2-3-4 Shiba, Minato-ku", "24x365", 5, "Hanako Suzuki", ""])
    if kind == "reissue" and draw(st.booleans()):
        to = None   # `to` is required for every change but a reissue (contract §6)
    elif kind != "reissue" and draw(st.integers(0, 19)) == 0:
        to = None   # invalid
    if to is not None:
        doc["change"]["to"] = to
    if draw(st.integers(0, 3)) == 0:
        doc["change"]["reason"] = "moved office"
    return doc


# ---------------------------------------------------------------- breaking the shape

BAD_VALUES: list[Any] = [None, "", "2026-02-30", "2026-2-3", "20260203", 20260203, "２０２６-01-01", 0, 11, 3.0, True,
                         "3", -1, 6, [], {}, "ESP_G3", "weekdays", "43 00", "x" * 33, "4300123\n", "x" * 65,
                         "2026-05-04T10:15:00", "2026-05-04T10:15+09:00", "2026-05-04", "2026-05-04T24:00:00+09:00",
                         "2026-05-04T10:15:00+24:00", "not-an-email", "taro@example", 10 ** 30]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a document."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += paths(item, (*prefix, index))
    return out


@st.composite
def mutated(draw: st.DrawFn, documents: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """A document, one time in six with one value replaced, one key dropped or one key added."""
    doc = draw(documents)
    if draw(st.integers(0, 5)):
        return doc
    doc = json.loads(json.dumps(doc))
    path = pick(draw, paths(doc))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    action = pick(draw, ["replace", "replace", "drop", "add"])
    if action == "replace":
        parent[path[-1]] = pick(draw, BAD_VALUES)
    elif action == "drop" and isinstance(parent, dict):
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[pick(draw, ["requets", "extra", "Kind", "id_", ""])] = "x"
    return doc


# ---------------------------------------------------------------- the comparison

def engine_verdict(doc: dict[str, Any], policy: Any = None) -> oracle.Verdict:
    report = (policy or espolicy.default_policy()).validate(doc)
    facts = json.loads(json.dumps(report.facts, ensure_ascii=False))
    facts = {k: v for k, v in facts.items() if k in oracle.CONTRACT_FACTS[doc["kind"]]} if isinstance(
        doc.get("kind"), str) and doc["kind"] in oracle.CONTRACT_FACTS else facts
    findings = frozenset((f.effect, tuple(sorted(f.faq))) for f in report.findings)
    return oracle.Verdict(report.outcome, findings if report.outcome != "invalid" else frozenset(),
                          facts if report.outcome != "invalid" else {},
                          why="; ".join(f.message["en"] for f in report.findings if f.effect == "error"))


def agree(doc: dict[str, Any]) -> None:
    expected, got = oracle.judge(doc), engine_verdict(doc)
    context = json.dumps(doc, ensure_ascii=False)
    assert got.outcome == expected.outcome, f"outcome {got.outcome} != oracle {expected.outcome} " \
        f"(engine: {got.why!r}; oracle: {expected.why!r}) for {context}"
    assert got.faqs == expected.faqs, f"FAQ {sorted(got.faqs)} != oracle {sorted(expected.faqs)} for {context}"
    assert got.findings == expected.findings, f"findings {sorted(got.findings)} != oracle " \
        f"{sorted(expected.findings)} for {context}"
    assert got.facts == expected.facts, f"facts {got.facts} != oracle {expected.facts} for {context}"


COUNTS: dict[str, int] = {}


def counted(kind: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def count(doc: dict[str, Any]) -> dict[str, Any]:
        COUNTS[kind] = COUNTS.get(kind, 0) + 1
        return doc
    return count


@SETTINGS
@given(mutated(registrations()).map(counted("registration")))
def test_registrations_agree_with_the_oracle(doc: dict[str, Any]) -> None:
    agree(doc)


@SETTINGS
@given(mutated(service_requests()).map(counted("service_request")))
def test_service_requests_agree_with_the_oracle(doc: dict[str, Any]) -> None:
    agree(doc)


@SETTINGS
@given(mutated(change_requests()).map(counted("change_request")))
def test_change_requests_agree_with_the_oracle(doc: dict[str, Any]) -> None:
    agree(doc)


def test_at_least_ten_thousand_documents_were_compared() -> None:
    """Run after the three tests above (file order): together they compared 10,000 documents or more
    (fewer only when they were deselected)."""
    if len(COUNTS) == 3:
        assert sum(COUNTS.values()) >= 10_000, COUNTS
    assert EXAMPLES * 3 >= 10_000


# ---------------------------------------------------------------- the comparison is not vacuous

SEEDED_BUGS = [   # (rule file, text, replaced by, documents that can show it)
    ("service_request.esp", "request_time < SERVICE_CLOSES", "request_time <= SERVICE_CLOSES", "service"),
    ("policy.esp", "const SERVICE_OPENS = 08:30", "const SERVICE_OPENS = 08:31", "service"),
    ("service_request.esp", "request_day > service_last_day", "request_day >= service_last_day", "service"),
    ("service_request.esp", "fact holiday for service_request = holiday_name(request_day)",
     "fact holiday for service_request = holiday_name(add_days(request_day, 1))", "service"),
    ("registration.esp", "deny when registration_date > service_last_day",
     "deny when registration_date >= service_last_day", "registration"),
    ("registration.esp", "days_between(registration_date, service_last_day) + 1",
     "days_between(registration_date, service_last_day)", "registration"),
    ("change_request.esp", "term_asked.months > MAX_YEARS * 12", "term_asked.months >= MAX_YEARS * 12", "change"),
    ("change_request.esp", "term_asked.end > five_year_last_day", "term_asked.end >= five_year_last_day", "change"),
    ("change_request.esp", "registration.term_years > MAX_YEARS", "registration.term_years >= MAX_YEARS", "change"),
    ("service_request.esp", "request_day > five_year_last_day", "request_day >= five_year_last_day", "service"),
    ("service_request.esp", "japan_date(next_window_at) <= served_until", "japan_date(next_window_at) < served_until",
     "service"),
    ("service_request.esp", "registration.registered_on < server.warranty_start",
     "registration.registered_on <= server.warranty_start", "service"),
    ("policy.esp", '"ups用バッテリ", ', "", "service"),
    ("registration.esp", 'deny when pack.generation == "ESP" and pack.term_years > MAX_YEARS',
     'deny when pack.generation == "ESP" and pack.term_years >= MAX_YEARS', "registration"),
    ("policy.esp", "const G2_TERMS = {3, 4, 5}", "const G2_TERMS = {3, 4, 5, 6}", "registration"),
]
STRATEGIES = {"service": service_requests(), "registration": registrations(), "change": change_requests()}


@pytest.mark.parametrize("file, old, new, kind", SEEDED_BUGS, ids=[f"{b[0]}:{b[2]}" for b in SEEDED_BUGS])
def test_the_comparison_notices_a_seeded_bug(file: str, old: str, new: str, kind: str) -> None:
    """A policy with one small, plausible bug disagrees with the oracle on some generated document:
    the generators reach the boundaries the comparison is meant to guard."""
    sources = read_sources(bundled_dir("policy"))
    assert sum(old in text for name, text in sources if Path(name).name == file) == 1, (file, old)
    broken = Policy([(name, text.replace(old, new) if Path(name).name == file else text) for name, text in sources])

    def disagrees(doc: dict[str, Any]) -> bool:
        expected, got = oracle.judge(doc), engine_verdict(doc, broken)
        return (got.outcome, got.findings, got.facts) != (expected.outcome, expected.findings, expected.facts)

    find(STRATEGIES[kind], disagrees, settings=settings(max_examples=5_000, database=None, deadline=None,
                                                         suppress_health_check=list(HealthCheck)))


# ---------------------------------------------------------------- the oracle itself

def test_oracle_dates_follow_the_contract_examples() -> None:
    assert last_day(dt.date(2025, 4, 1), 3) == dt.date(2028, 3, 31)
    assert last_day(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
    assert last_day(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 28)
    assert oracle.holiday(dt.date(2026, 5, 6)) == "振替休日"
    assert oracle.registration_center_next_open(dt.date(2026, 5, 2)) == dt.date(2026, 5, 7)
    monday_early = dt.datetime(2026, 5, 11, 8, 29, 59, tzinfo=JST)
    assert not oracle.in_service_hours(monday_early)
    assert oracle.next_service_window(monday_early) == dt.datetime(2026, 5, 11, 8, 30, tzinfo=JST)
    assert oracle.in_service_hours(dt.datetime(2026, 5, 4, 8, 30, tzinfo=JST))   # a Monday holiday


def test_oracle_agrees_on_the_bundled_examples() -> None:
    import yaml
    examples = Path(__file__).resolve().parent.parent / "examples"
    for path in sorted(examples.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc is not None:
                agree(json.loads(json.dumps(doc, default=str)))
