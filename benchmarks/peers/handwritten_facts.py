"""The policy by hand, facts included: what `programs[kind].run` computes (fired rules and every fact
of contract §3), written as plain Python. The fair limit for espolicy's generated code, which
always computes the report's facts; `handwritten.py` (outcome only) is the absolute floor.
"""
from __future__ import annotations

import datetime as dt

from benchmarks.peers import handwritten as hw
from benchmarks.peers.common import JST, holiday_table, last_day, outcome_of

NAME = "hand-written Python, rules + facts"
_OPENS, _CLOSES = dt.time(8, 30), dt.time(17, 30)
_WINDOW = dt.timedelta(hours=8, minutes=30)
_HOLIDAYS: dict[dt.date, str] = {}


def _next_business_day(d: dt.date) -> dt.date:
    while d.weekday() >= 5 or d in _HOLIDAYS:
        d += dt.timedelta(days=1)
    return d


def _next_window(local: dt.datetime) -> dt.datetime:
    day = local.date()
    if local.time() >= _OPENS or day.weekday() >= 5:
        day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, _OPENS, JST)


def registration_facts(d: dict) -> dict:
    ws, reg = d["server"]["warranty_start"], d["registration_date"]
    sld = last_day(ws, d["pack"]["term_years"])
    return {"service_last_day": sld, "warranty_last_day": last_day(ws, d["server"]["warranty_years"]),
            "elapsed_days": (reg - ws).days, "remaining_days": max(0, (sld - reg).days + 1)}


def change_facts(d: dict) -> dict:
    facts: dict = {}
    reg = d.get("registration")
    if reg is not None:
        facts["service_last_day"] = last_day(reg["warranty_start"], reg["term_years"])
    if d["change"]["type"] in ("site", "contact"):
        facts["registration_center_next_open"] = _next_business_day(d["request_date"])
    return facts


def service_facts(d: dict) -> dict:
    local = d["requested_at"].astimezone(JST)
    day, t = local.date(), local.time()
    ws = d["server"]["warranty_start"]
    facts: dict = {"warranty_last_day": last_day(ws, d["server"]["warranty_years"])}
    reg = d.get("registration")
    active = False
    if reg is not None:
        sld = facts["service_last_day"] = last_day(ws, reg["term_years"])
        active = reg["registered_on"] <= day and ws <= day <= sld
    in_hours = local.weekday() < 5 and _OPENS <= t < _CLOSES
    facts["route"] = "pack" if active else "warranty" if ws <= day <= facts["warranty_last_day"] else "spot"
    facts["covered_now"] = active and (reg["coverage"] == "24x365" or in_hours)
    if reg is not None and reg["coverage"] == "weekday" and not in_hours:
        facts["next_service_window"] = _next_window(local)
    name = _HOLIDAYS.get(day)
    if name is not None:
        facts["holiday"] = name
    return facts


_FACTS = {"registration": registration_facts, "change_request": change_facts, "service_request": service_facts}


class Peer:
    name = NAME
    note = "decoded doc in; fired rules and every contract fact, as `run` computes them"

    def __init__(self) -> None:
        table = {dt.date.fromisoformat(k): v for k, v in holiday_table().items()}
        _HOLIDAYS.update(table)
        hw._HOLIDAYS.update(table)

    def judge(self, raw: dict, decoded: dict) -> tuple[str, frozenset[str]]:
        fired = hw._BY_KIND[decoded["kind"]](decoded)
        _FACTS[decoded["kind"]](decoded)
        return outcome_of(fired), frozenset(fired)

    def facts(self, decoded: dict) -> dict:
        return _FACTS[decoded["kind"]](decoded)
