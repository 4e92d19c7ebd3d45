"""Hypothesis strategies of schema-valid documents of every kind, drawn near the policy's boundaries
(dates around warranty and service periods, terms around the catalogue and the 5-year limit, times
around 08:30 and 17:30 Japan time, national holidays), so that every rule fires in some of them.
Shared by the explain differential test and the fmt properties.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

GENERATIONS = st.sampled_from(["ESP", "ESP_G2"])
COVERAGES = st.sampled_from(["weekday", "24x365"])
STARTS = st.dates(min_value=date(2019, 1, 1), max_value=date(2028, 12, 31))
# holidays and weekends of spring 2026 are dense: Golden Week
REQUEST_DAYS = st.one_of(
    st.dates(min_value=date(2019, 1, 1), max_value=date(2034, 12, 31)),
    st.dates(min_value=date(2026, 4, 25), max_value=date(2026, 5, 12)),
)
TIMES = st.one_of(st.sampled_from([time(8, 29), time(8, 30), time(12, 0), time(17, 29), time(17, 30), time(23, 59)]),
                  st.times().map(lambda t: t.replace(second=0, microsecond=0)))
OFFSETS = st.sampled_from([9 * 60, 0, -5 * 60, 5 * 60 + 30]).map(lambda m: timezone(timedelta(minutes=m)))


def _iso(d: date) -> str:
    return d.isoformat()


@st.composite
def registrations(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(STARTS)
    reg_day = start + timedelta(days=draw(st.integers(-20, 7 * 366)))
    doc: dict[str, Any] = {
        "kind": "registration", "id": "REG-GEN",
        "registration_date": _iso(reg_day),
        "server": {"model": "Express5800/R120h-1M", "serial": "4300123", "warranty_start": _iso(start),
                   "warranty_years": draw(st.integers(1, 5))},
        "pack": {"generation": draw(GENERATIONS), "coverage": draw(COVERAGES), "term_years": draw(st.integers(1, 10)),
                 "purchase_date": _iso(reg_day + timedelta(days=draw(st.integers(-60, 3))))},
    }
    if draw(st.booleans()):
        doc["history"] = [{"generation": draw(GENERATIONS), "term_years": draw(st.integers(1, 10)),
                           "registered_on": _iso(start + timedelta(days=draw(st.integers(0, 2000))))}
                          for _ in range(draw(st.integers(0, 3)))]
    if draw(st.booleans()):
        flags = ["periodic_maintenance", "express_notification_24x365", "discount_without_express_notification",
                 "ups_battery_replacement"]
        doc["requests"] = {f: draw(st.booleans()) for f in flags if draw(st.booleans())}
    return doc


@st.composite
def change_requests(draw: st.DrawFn) -> dict[str, Any]:
    ctype = draw(st.sampled_from(["site", "contact", "coverage", "term", "server", "express_notification_hours",
                                  "generation", "reissue"]))
    start = draw(STARTS)
    doc: dict[str, Any] = {"kind": "change_request", "id": "CHG-GEN", "request_date": _iso(draw(REQUEST_DAYS)),
                           "change": {"type": ctype}}
    if ctype != "reissue" or draw(st.booleans()):
        doc["registration"] = {"generation": draw(GENERATIONS), "coverage": draw(COVERAGES),
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
def service_requests(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.one_of(STARTS, st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 4, 30))))
    day = draw(st.one_of(REQUEST_DAYS, st.integers(-30, 11 * 366).map(lambda n: start + timedelta(days=n))))
    moment = datetime.combine(day, draw(TIMES), tzinfo=timezone(timedelta(hours=9))).astimezone(draw(OFFSETS))
    doc: dict[str, Any] = {
        "kind": "service_request", "id": "SRV-GEN", "requested_at": moment.isoformat(timespec="seconds"),
        "server": {"serial": "4300123", "warranty_start": _iso(start), "warranty_years": draw(st.integers(1, 5))},
        "service": {"type": draw(st.sampled_from(["repair", "periodic_maintenance", "part_replacement"]))},
    }
    if draw(st.booleans()):
        doc["service"]["part"] = draw(st.sampled_from(["ups_battery", "disk", "ups_battery_cable"]))
    if draw(st.integers(0, 3)):
        doc["registration"] = {"generation": draw(GENERATIONS), "coverage": draw(COVERAGES),
                               "term_years": draw(st.integers(1, 10)),
                               "registered_on": _iso(start + timedelta(days=draw(st.integers(-10, 900))))}
    return doc


documents = st.one_of(registrations(), change_requests(), service_requests())
