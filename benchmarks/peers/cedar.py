"""The policy in Cedar, evaluated with `cedarpy`: one authorization request per document.

Model: principal `User::"customer"`, action `Action::"<kind>"`, resource `Document::"<id>"`; the
document's attributes travel in the request context. Every deny rule is a `forbid` policy, and one
`permit` lets everything else through, so the decision is Deny exactly when a deny rule fires. The
review, warn and info rules are extra `permit` policies: on an Allow decision Cedar lists every
satisfied permit (`reasons`), which gives the review outcome and the warn/info ids. On a Deny
decision Cedar lists only the forbids, so the warn/info ids of a denied document are not known
(the agreement check compares deny ids there).

What does not fit Cedar, and is precomputed in Python per document (inside the timed call):
- dates: Cedar compares no strings; dates go in as day numbers (longs); the service and warranty
  last days (contract §2) and the request's Japan date, minute of day, weekday and holiday flag
  are computed in Python;
- `each entry in history` / `any entry in history`: Cedar cannot quantify over a list of records;
  the history is projected to the set of its generations (`containsAll` / `contains` then decide);
- `change.to is number` / `number_in(change.to)`: Cedar has no type test for primitives and no way to
  take a number out of a text ("6 years"); `to_number` is computed in Python;
- Q5 (`info when outcome == "allow"`): a policy cannot read the decision; the host adds it.
"""
from __future__ import annotations

import datetime as dt

from benchmarks.peers.common import JST, holiday_table, last_day, outcome_of, requested_years

NAME = "Cedar (cedarpy)"

_REQ = "context has requests && context.requests has {0} && context.requests.{0}"
_REG = 'action == Action::"registration"'
_CHG = 'action == Action::"change_request"'
_SRV = 'action == Action::"service_request"'
_PACK_ACTIVE = ("context has registered_on && context.day >= context.registered_on && "
                "context has sld && context.day <= context.sld")
_WEEKDAY_PLAN = 'context has coverage && context.coverage == "weekday"'
_IN_HOURS = "context.service_day && context.minute >= 510 && context.minute < 1050"

# (effect, rule id, action, condition); effect "deny" -> forbid, anything else -> permit
RULES: list[tuple[str, str, str, str]] = [
    ("deny", "mixed-generations", _REG, "![context.generation].containsAll(context.history_generations)"),
    ("deny", "term-beyond-five-years", _REG, "context.term_years > 5"),
    ("deny", "g2-term-not-in-catalogue", _REG,
     'context.generation == "ESP_G2" && ![3, 4, 5].contains(context.term_years)'),
    ("deny", "registered-after-service-period", _REG, "context.registration_date > context.sld"),
    ("warn", "registered-after-warranty", _REG,
     "context.registration_date > context.wld && context.registration_date <= context.sld"),
    ("deny", "periodic-maintenance-not-included", _REG, _REQ.format("periodic_maintenance")),
    ("deny", "express-notification-24x365-on-weekday-plan", _REG,
     'context.coverage == "weekday" && ' + _REQ.format("express_notification_24x365")),
    ("deny", "no-discount-without-express-notification", _REG, _REQ.format("discount_without_express_notification")),
    ("deny", "ups-battery-not-covered", _REG, _REQ.format("ups_battery_replacement")),
    ("review", "esp-for-earlier-product", _REG,
     'context.generation == "ESP" && !context.history_generations.contains("ESP")'),
    ("deny", "purchase-after-registration", _REG, "context.purchase_date > context.registration_date"),
    ("deny", "warranty-start-after-registration", _REG, "context.warranty_start > context.registration_date"),

    ("info", "registered-details-change", _CHG, '["site", "contact"].contains(context.type)'),
    ("deny", "coverage-change-not-possible", _CHG, 'context.type == "coverage"'),
    ("deny", "term-change-not-possible", _CHG, 'context.type == "term"'),
    ("deny", "term-change-beyond-five-years", _CHG,
     'context.type == "term" && context has to_number && context.to_number > 5'),
    ("deny", "server-change-not-possible", _CHG, 'context.type == "server"'),
    ("deny", "generation-change-not-possible", _CHG, 'context.type == "generation"'),
    ("deny", "express-notification-hours-on-weekday-plan", _CHG,
     'context.type == "express_notification_hours" && context has coverage && context.coverage == "weekday"'),
    ("info", "express-notification-hours-already-included", _CHG,
     'context.type == "express_notification_hours" && context has coverage && context.coverage == "24x365"'),
    ("deny", "reissue-not-possible", _CHG, 'context.type == "reissue"'),

    ("deny", "no-registration-yet", _SRV, "!(context has registered_on) || context.day < context.registered_on"),
    ("deny", "service-period-ended", _SRV, "context has sld && context.day > context.sld"),
    ("deny", "periodic-maintenance-visit", _SRV, 'context.service_type == "periodic_maintenance"'),
    ("deny", "ups-battery-is-consumable", _SRV, 'context has part && context.part == "ups_battery"'),
    ("info", "holiday-is-service-day", _SRV, f"{_PACK_ACTIVE} && {_WEEKDAY_PLAN} && {_IN_HOURS} && context.holiday"),
    ("warn", "outside-weekday-hours", _SRV, f"{_PACK_ACTIVE} && {_WEEKDAY_PLAN} && !({_IN_HOURS})"),
]


def policy_text() -> str:
    out = ['@id("base")\npermit (principal, action, resource);\n']
    for effect, rule, action, cond in RULES:
        verb = "forbid" if effect == "deny" else "permit"
        out.append(f'@id("{rule}")\n{verb} (principal, {action}, resource)\nwhen {{ {cond} }};\n')
    return "\n".join(out)


_ORD = dt.date.toordinal


def _day(iso: str) -> int:
    return _ORD(dt.date.fromisoformat(iso))


def _registration(d: dict, holidays: dict) -> dict:
    server, pack = d["server"], d["pack"]
    ws = dt.date.fromisoformat(server["warranty_start"])
    c = {"generation": pack["generation"], "coverage": pack["coverage"], "term_years": pack["term_years"],
         "registration_date": _day(d["registration_date"]), "purchase_date": _day(pack["purchase_date"]),
         "warranty_start": _ORD(ws), "sld": _ORD(last_day(ws, pack["term_years"])),
         "wld": _ORD(last_day(ws, server["warranty_years"])),
         "history_generations": list({h["generation"] for h in d.get("history", ())})}
    if "requests" in d:
        c["requests"] = d["requests"]
    return c


def _change(d: dict, holidays: dict) -> dict:
    change = d["change"]
    c = {"type": change["type"]}
    years = requested_years(change.get("to"))
    if years is not None:
        c["to_number"] = years
    reg = d.get("registration")
    if reg is not None:
        c["coverage"] = reg["coverage"]
    return c


def _service(d: dict, holidays: dict) -> dict:
    local = dt.datetime.fromisoformat(d["requested_at"]).astimezone(JST)
    day = local.date()
    service = d["service"]
    c = {"day": _ORD(day), "minute": local.hour * 60 + local.minute, "service_day": local.weekday() < 5,
         "holiday": day.isoformat() in holidays, "service_type": service["type"]}
    if "part" in service:
        c["part"] = service["part"]
    reg = d.get("registration")
    if reg is not None:
        c["registered_on"] = _day(reg["registered_on"])
        c["coverage"] = reg["coverage"]
        c["sld"] = _ORD(last_day(dt.date.fromisoformat(d["server"]["warranty_start"]), reg["term_years"]))
    return c


class Peer:
    name = NAME
    note = "deny=forbid; dates as day numbers, history as a set, Japan time/holiday precomputed (timed)"
    ids_on_deny = "deny"  # on a Deny decision only forbid ids are reported

    def __init__(self) -> None:
        import cedarpy

        self._cedarpy = cedarpy
        self.policies = cedarpy.PolicySet.from_str(policy_text())
        self.entities = cedarpy.Entities.from_json_str("[]")
        self.context = {"registration": _registration, "change_request": _change, "service_request": _service}
        self.actions = {k: {"type": "Action", "id": k} for k in self.context}
        self.principal = {"type": "User", "id": "customer"}
        self.holidays = holiday_table()
        self._allow = cedarpy.Decision.Allow

    def judge(self, raw: dict, decoded: dict) -> tuple[str, frozenset[str]]:
        kind = raw["kind"]
        request = {"principal": self.principal, "action": self.actions[kind],
                   "resource": {"type": "Document", "id": raw["id"]},
                   "context": self.context[kind](raw, self.holidays)}
        result = self._cedarpy.is_authorized(request, self.policies, self.entities)
        diag = result.diagnostics
        if diag.errors:
            raise RuntimeError(f"Cedar errors: {diag.errors}")
        fired = set(diag.id_annotations_by_reason.values())
        if result.decision == self._allow:
            fired.discard("base")
            outcome = outcome_of(fired)
            if kind == "registration" and outcome == "allow":
                fired.add("service-ends-without-notice")
            return outcome, frozenset(fired)
        return "deny", frozenset(fired)
