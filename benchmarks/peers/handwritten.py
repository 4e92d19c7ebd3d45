"""The policy of `policy/*.esp` written by hand in plain Python: the speed limit for "rules only".

Input: a DECODED document, as `Policy.schemas.check_and_decode` returns it (dates are
`datetime.date`, `requested_at` an aware `datetime`, `history` and `requests` filled with their
defaults). Output: `(outcome, fired rule ids)`. No messages, no facts beyond what the rules need.
"""
from __future__ import annotations

import datetime as dt

from benchmarks.peers.common import JST, holiday_table, last_day, outcome_of, requested_years

NAME = "hand-written Python"
_G2_TERMS = frozenset((3, 4, 5))
_OPENS = dt.time(8, 30)
_CLOSES = dt.time(17, 30)
_HOLIDAYS: dict[dt.date, str] = {}


class Peer:
    name = NAME
    note = "decoded doc in; jpcalendar-equivalent holiday table"

    def __init__(self) -> None:
        _HOLIDAYS.update({dt.date.fromisoformat(k): v for k, v in holiday_table().items()})

    def judge(self, raw: dict, decoded: dict) -> tuple[str, frozenset[str]]:
        fired = _BY_KIND[decoded["kind"]](decoded)
        return outcome_of(fired), frozenset(fired)


def registration(d: dict) -> list[str]:
    fired = []
    server, pack, req = d["server"], d["pack"], d["requests"]
    gen, term = pack["generation"], pack["term_years"]
    ws, reg = server["warranty_start"], d["registration_date"]
    history = d["history"]
    for h in history:
        if h["generation"] != gen:
            fired.append("mixed-generations")
            break
    if term > 5:
        fired.append("term-beyond-five-years")
    if gen == "ESP_G2" and term not in _G2_TERMS:
        fired.append("g2-term-not-in-catalogue")
    sld = last_day(ws, term)
    if reg > sld:
        fired.append("registered-after-service-period")
    elif reg > last_day(ws, server["warranty_years"]):
        fired.append("registered-after-warranty")
    if req["periodic_maintenance"]:
        fired.append("periodic-maintenance-not-included")
    if req["express_notification_24x365"] and pack["coverage"] == "weekday":
        fired.append("express-notification-24x365-on-weekday-plan")
    if req["discount_without_express_notification"]:
        fired.append("no-discount-without-express-notification")
    if req["ups_battery_replacement"]:
        fired.append("ups-battery-not-covered")
    if gen == "ESP" and not any(h["generation"] == "ESP" for h in history):
        fired.append("esp-for-earlier-product")
    if pack["purchase_date"] > reg:
        fired.append("purchase-after-registration")
    if ws > reg:
        fired.append("warranty-start-after-registration")
    if outcome_of(fired) == "allow":
        fired.append("service-ends-without-notice")
    return fired


_CHANGE_DENY = {"coverage": "coverage-change-not-possible", "term": "term-change-not-possible",
                "server": "server-change-not-possible", "generation": "generation-change-not-possible",
                "reissue": "reissue-not-possible"}


def change_request(d: dict) -> list[str]:
    change = d["change"]
    t = change["type"]
    if t == "site" or t == "contact":
        return ["registered-details-change"]
    if t == "express_notification_hours":
        reg = d.get("registration")
        if reg is None:
            return []
        return ["express-notification-hours-on-weekday-plan" if reg["coverage"] == "weekday"
                else "express-notification-hours-already-included"]
    fired = [_CHANGE_DENY[t]]
    if t == "term":
        years = requested_years(change.get("to"))
        if years is not None and years > 5:
            fired.append("term-change-beyond-five-years")
    return fired


def service_request(d: dict) -> list[str]:
    fired = []
    local = d["requested_at"].astimezone(JST)
    day = local.date()
    reg = d.get("registration")
    service = d["service"]
    if reg is None:
        fired.append("no-registration-yet")
        pack_active = False
    else:
        registered = day >= reg["registered_on"]
        if not registered:
            fired.append("no-registration-yet")
        sld = last_day(d["server"]["warranty_start"], reg["term_years"])
        if day > sld:
            fired.append("service-period-ended")
        pack_active = registered and day <= sld
    if service["type"] == "periodic_maintenance":
        fired.append("periodic-maintenance-visit")
    if service.get("part") == "ups_battery":
        fired.append("ups-battery-is-consumable")
    if pack_active and reg["coverage"] == "weekday":
        t = local.time()
        if local.weekday() < 5 and _OPENS <= t < _CLOSES:
            if day in _HOLIDAYS:
                fired.append("holiday-is-service-day")
        else:
            fired.append("outside-weekday-hours")
    return fired


_BY_KIND = {"registration": registration, "change_request": change_request, "service_request": service_request}


def judge(d: dict) -> tuple[str, frozenset[str]]:
    fired = _BY_KIND[d["kind"]](d)
    return outcome_of(fired), frozenset(fired)

