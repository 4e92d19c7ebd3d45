"""The policy in CEL, evaluated with `common-expression-language` (module `cel`, Rust).

One expression per kind, compiled once: it returns the list of rule ids that fire. Per document:
one `cel.Context` with the raw JSON document `d` and a few precomputed facts `f`, then one
`execute`. CEL (this implementation) has no year arithmetic on dates, no time zones and no holiday
calendar, so Python computes per document, inside the timed call: the service and warranty last
days (contract §2), the request's Japan date, minute of day, weekday and whether it is a national
holiday, and the number a term change asks for (`number_in`: CEL here cannot take a number out
of a text such as "6 years"). ISO dates compare as strings. The host derives the outcome from the fired ids and adds
the Q5 info rule (`outcome == "allow"`), which CEL cannot read from its own result.
"""
from __future__ import annotations

import datetime as dt

from benchmarks.peers.common import JST, holiday_table, last_day_iso, outcome_of, requested_years

NAME = "CEL (common-expression-language)"


def _when(cond: str, rule: str) -> str:
    return f"(({cond}) ? [{rule!r}] : [])".replace("'", '"')


_REQ = "has(d.requests) && has(d.requests.{0}) && d.requests.{0}"

REGISTRATION = " + ".join([
    _when("has(d.history) && d.history.exists(h, h.generation != d.pack.generation)", "mixed-generations"),
    _when("d.pack.term_years > 5", "term-beyond-five-years"),
    _when('d.pack.generation == "ESP_G2" && !(d.pack.term_years in [3, 4, 5])', "g2-term-not-in-catalogue"),
    _when("d.registration_date > f.sld", "registered-after-service-period"),
    _when("d.registration_date > f.wld && d.registration_date <= f.sld", "registered-after-warranty"),
    _when(_REQ.format("periodic_maintenance"), "periodic-maintenance-not-included"),
    _when('d.pack.coverage == "weekday" && ' + _REQ.format("express_notification_24x365"),
          "express-notification-24x365-on-weekday-plan"),
    _when(_REQ.format("discount_without_express_notification"), "no-discount-without-express-notification"),
    _when(_REQ.format("ups_battery_replacement"), "ups-battery-not-covered"),
    _when('d.pack.generation == "ESP" && !(has(d.history) && d.history.exists(h, h.generation == "ESP"))',
          "esp-for-earlier-product"),
    _when("d.pack.purchase_date > d.registration_date", "purchase-after-registration"),
    _when("d.server.warranty_start > d.registration_date", "warranty-start-after-registration"),
])

CHANGE_REQUEST = " + ".join([
    _when('d.change.type in ["site", "contact"]', "registered-details-change"),
    _when('d.change.type == "coverage"', "coverage-change-not-possible"),
    _when('d.change.type == "term"', "term-change-not-possible"),
    _when('d.change.type == "term" && has(f.years) && f.years > 5', "term-change-beyond-five-years"),
    _when('d.change.type == "server"', "server-change-not-possible"),
    _when('d.change.type == "generation"', "generation-change-not-possible"),
    _when('d.change.type == "express_notification_hours" && has(d.registration) && d.registration.coverage == "weekday"',
          "express-notification-hours-on-weekday-plan"),
    _when('d.change.type == "express_notification_hours" && has(d.registration) && d.registration.coverage == "24x365"',
          "express-notification-hours-already-included"),
    _when('d.change.type == "reissue"', "reissue-not-possible"),
])

_PACK_ACTIVE = "has(d.registration) && f.day >= d.registration.registered_on && f.day <= f.sld"
_WEEKDAY_PLAN = 'has(d.registration) && d.registration.coverage == "weekday"'
_IN_HOURS = "f.service_day && f.minute >= 510 && f.minute < 1050"
SERVICE_REQUEST = " + ".join([
    _when("!has(d.registration) || f.day < d.registration.registered_on", "no-registration-yet"),
    _when("has(d.registration) && f.day > f.sld", "service-period-ended"),
    _when('d.service.type == "periodic_maintenance"', "periodic-maintenance-visit"),
    _when('has(d.service.part) && d.service.part == "ups_battery"', "ups-battery-is-consumable"),
    _when(f"{_PACK_ACTIVE} && {_WEEKDAY_PLAN} && {_IN_HOURS} && f.holiday", "holiday-is-service-day"),
    _when(f"{_PACK_ACTIVE} && {_WEEKDAY_PLAN} && !({_IN_HOURS})", "outside-weekday-hours"),
])


def _registration_facts(d: dict, holidays: dict) -> dict:
    server = d["server"]
    return {"sld": last_day_iso(server["warranty_start"], d["pack"]["term_years"]),
            "wld": last_day_iso(server["warranty_start"], server["warranty_years"])}


def _change_facts(d: dict, holidays: dict) -> dict:
    years = requested_years(d["change"].get("to"))
    return {} if years is None else {"years": years}


def _service_facts(d: dict, holidays: dict) -> dict:
    local = dt.datetime.fromisoformat(d["requested_at"]).astimezone(JST)
    day = local.date().isoformat()
    reg = d.get("registration")
    return {"day": day, "minute": local.hour * 60 + local.minute, "service_day": local.weekday() < 5,
            "holiday": day in holidays,
            "sld": last_day_iso(d["server"]["warranty_start"], reg["term_years"]) if reg is not None else ""}


class Peer:
    name = NAME
    note = "raw JSON in; last days, Japan date/time, holiday, number_in precomputed in Python (timed)"

    def __init__(self) -> None:
        import cel

        self._Context = cel.Context
        self.holidays = holiday_table()
        self.programs = {
            "registration": (cel.compile(REGISTRATION), _registration_facts),
            "change_request": (cel.compile(CHANGE_REQUEST), _change_facts),
            "service_request": (cel.compile(SERVICE_REQUEST), _service_facts),
        }

    def judge(self, raw: dict, decoded: dict) -> tuple[str, frozenset[str]]:
        kind = raw["kind"]
        program, facts = self.programs[kind]
        fired = program.execute(self._Context(variables={"d": raw, "f": facts(raw, self.holidays)}))
        outcome = outcome_of(fired)
        if kind == "registration" and outcome == "allow":
            fired.append("service-ends-without-notice")
        return outcome, frozenset(fired)
