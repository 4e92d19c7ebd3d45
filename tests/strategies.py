"""Hypothesis strategies of documents, shared by every property test (one module, not one per test).

Two families:
- `registrations()`, `service_requests()`, `change_requests()` (and `mutated(...)`): the
  differential campaign's documents, biased to where rules change their mind — the warranty and
  service last days, 08:30 and 17:30 Japan time in several UTC offsets, holidays, Golden Week,
  29 February, term texts, UPS parts written many ways — and, mutated, broken in their shape;
- `documents()`: schema-valid documents of every kind near the policy's boundaries, for the
  explain differential test and the fmt properties (`valid_registrations()` and its siblings).
"""
from __future__ import annotations

import datetime as dt
import json
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Sequence, TypeVar

from hypothesis import strategies as st

import oracle
from oracle import JST, last_day

T = TypeVar("T")

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
             "UPSバッテリケーブル", "ups用", "UP S battery", "ups batt", "バッテリ", "ups-bat-tery", "UPSバッテリーー",
             "UPS battery (APC)", "ups battery pack", "UPSバッテリパック", "ups\u2010battery", "UPS・バッテリ",
             "UPS\u200bbattery", "UPS battery charger", "ups (battery)", "UPS battery (APC) cable"]


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
    elif kind != "reissue" and draw(st.integers(0, 19)) == 7:   # Hypothesis favours the ends of a range
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


# ---------------------------------------------------------------- schema-valid documents

VALID_GENERATIONS = st.sampled_from(["ESP", "ESP_G2"])
VALID_COVERAGES = st.sampled_from(["weekday", "24x365"])
VALID_STARTS = st.dates(min_value=date(2019, 1, 1), max_value=date(2028, 12, 31))
# holidays and weekends of spring 2026 are dense: Golden Week
VALID_REQUEST_DAYS = st.one_of(
    st.dates(min_value=date(2019, 1, 1), max_value=date(2034, 12, 31)),
    st.dates(min_value=date(2026, 4, 25), max_value=date(2026, 5, 12)),
)
VALID_TIMES = st.one_of(st.sampled_from([time(8, 29), time(8, 30), time(12, 0), time(17, 29), time(17, 30), time(23, 59)]),
                  st.times().map(lambda t: t.replace(second=0, microsecond=0)))
VALID_OFFSETS = st.sampled_from([9 * 60, 0, -5 * 60, 5 * 60 + 30]).map(lambda m: timezone(timedelta(minutes=m)))


def _iso(d: date) -> str:
    return d.isoformat()


@st.composite
def valid_registrations(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(VALID_STARTS)
    reg_day = start + timedelta(days=draw(st.integers(-20, 7 * 366)))
    doc: dict[str, Any] = {
        "kind": "registration", "id": "REG-GEN",
        "registration_date": _iso(reg_day),
        "server": {"model": "Express5800/R120h-1M", "serial": "4300123", "warranty_start": _iso(start),
                   "warranty_years": draw(st.integers(1, 5))},
        "pack": {"generation": draw(VALID_GENERATIONS), "coverage": draw(VALID_COVERAGES), "term_years": draw(st.integers(1, 10)),
                 "purchase_date": _iso(reg_day + timedelta(days=draw(st.integers(-60, 3))))},
    }
    if draw(st.booleans()):
        doc["history"] = [{"generation": draw(VALID_GENERATIONS), "term_years": draw(st.integers(1, 10)),
                           "registered_on": _iso(start + timedelta(days=draw(st.integers(0, 2000))))}
                          for _ in range(draw(st.integers(0, 3)))]
    if draw(st.booleans()):
        flags = ["periodic_maintenance", "express_notification_24x365", "discount_without_express_notification",
                 "ups_battery_replacement"]
        doc["requests"] = {f: draw(st.booleans()) for f in flags if draw(st.booleans())}
    return doc


@st.composite
def valid_change_requests(draw: st.DrawFn) -> dict[str, Any]:
    ctype = draw(st.sampled_from(["site", "contact", "coverage", "term", "server", "express_notification_hours",
                                  "generation", "reissue"]))
    start = draw(VALID_STARTS)
    doc: dict[str, Any] = {"kind": "change_request", "id": "CHG-GEN", "request_date": _iso(draw(VALID_REQUEST_DAYS)),
                           "change": {"type": ctype}}
    if ctype != "reissue" or draw(st.booleans()):
        doc["registration"] = {"generation": draw(VALID_GENERATIONS), "coverage": draw(VALID_COVERAGES),
                               "term_years": draw(st.integers(1, 10)), "server_serial": "4300123",
                               "warranty_start": _iso(start),
                               "registered_on": _iso(start + timedelta(days=draw(st.integers(0, 400))))}
    if ctype != "reissue" or draw(st.booleans()):
        doc["change"]["to"] = draw(st.one_of(st.integers(1, 9), st.sampled_from(
            ["6", "6 years", "5年", "６年", "six years", "24x365", "2-3-4 Shiba", ""])))
    if draw(st.booleans()):
        doc["change"]["reason"] = "generated"
    return doc


@st.composite
def valid_service_requests(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.one_of(VALID_STARTS, st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 4, 30))))
    day = draw(st.one_of(VALID_REQUEST_DAYS, st.integers(-30, 11 * 366).map(lambda n: start + timedelta(days=n))))
    moment = datetime.combine(day, draw(VALID_TIMES), tzinfo=timezone(timedelta(hours=9))).astimezone(draw(VALID_OFFSETS))
    doc: dict[str, Any] = {
        "kind": "service_request", "id": "SRV-GEN", "requested_at": moment.isoformat(timespec="seconds"),
        "server": {"serial": "4300123", "warranty_start": _iso(start), "warranty_years": draw(st.integers(1, 5))},
        "service": {"type": draw(st.sampled_from(["repair", "periodic_maintenance", "part_replacement"]))},
    }
    if draw(st.booleans()):
        doc["service"]["part"] = draw(st.sampled_from(["ups_battery", "disk", "ups_battery_cable"]))
    if draw(st.integers(0, 3)):
        doc["registration"] = {"generation": draw(VALID_GENERATIONS), "coverage": draw(VALID_COVERAGES),
                               "term_years": draw(st.integers(1, 10)),
                               "registered_on": _iso(start + timedelta(days=draw(st.integers(-10, 900))))}
    return doc


documents = st.one_of(valid_registrations(), valid_change_requests(), valid_service_requests())
