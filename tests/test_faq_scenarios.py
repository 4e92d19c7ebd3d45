"""One scenario per row of docs/rules.md (registration, change_request, service_request), each with
its negative: the rule does not fire just across its condition.

Every scenario goes through the public API (`espolicy.validate`) and checks the outcome, the
exact set of (rule, effect) that fired, each finding's `faq` and `path`, bilingual message and
advice, and the contract §3 facts with exact values.
"""
from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest

# --------------------------------------------------------------------------- document builders
from documents import DROP, change_request, registration, service_request

import espolicy
from espolicy.lang.dates import date_text

# --------------------------------------------------------------------------- assertions


def run(doc: dict[str, Any]) -> espolicy.Report:
    report = espolicy.validate(doc)
    assert report.outcome != "invalid", [f.to_dict() for f in report.findings]
    check_well_formed(report)
    return report


def check_well_formed(report: espolicy.Report) -> None:
    """Every finding has a bilingual message and advice, a JSON Pointer path and FAQ refs; the
    report is JSON."""
    for f in report.findings:
        assert f.effect in {"deny", "review", "warn", "info"}
        assert isinstance(f.faq, list) and all(isinstance(q, str) and q.startswith("Q") for q in f.faq)
        assert isinstance(f.path, str) and f.path.startswith("/"), f.path
        for part in (f.message, f.advice):
            assert part is not None, f"{f.rule}: advice missing"
            for lang in ("en", "ja"):
                assert isinstance(part.get(lang), str) and part[lang].strip(), (f.rule, lang)
                assert "{" not in part[lang] and "}" not in part[lang], (f.rule, part[lang])
    json.dumps(report.to_dict(), allow_nan=False)


def fired(report: espolicy.Report) -> set[tuple[str, str]]:
    return {(f.rule, f.effect) for f in report.findings}


def finding(report: espolicy.Report, rule: str) -> espolicy.Finding:
    found = [f for f in report.findings if f.rule == rule]
    assert len(found) == 1, (rule, [f.rule for f in report.findings])
    return found[0]


def expect(report: espolicy.Report, outcome: str, rules: dict[str, tuple[str, list[str], str]]) -> None:
    """outcome, and exactly `rules` fired: {rule: (effect, faq, path)}."""
    assert report.outcome == outcome, [f.to_dict() for f in report.findings]
    assert fired(report) == {(r, e) for r, (e, _, _) in rules.items()}
    for rule, (effect, faq, path) in rules.items():
        f = finding(report, rule)
        assert f.effect == effect
        assert f.faq == faq, (rule, f.faq)
        assert f.path == path, (rule, f.path)


def has_fact(report: espolicy.Report, name: str, value: Any) -> None:
    assert name in report.facts, (name, report.facts)
    assert report.facts[name] == value, (name, report.facts[name], value)


Q5_INFO = {"service-ends-without-notice": ("info", ["Q5"], "/server/warranty_start")}


# =========================================================================== registration


def test_registration_base_is_allowed_with_exact_facts():
    report = run(registration())
    expect(report, "allow", Q5_INFO)
    assert report.facts == {
        "service_last_day": "2028-03-31",
        "warranty_last_day": "2026-03-31",
        "elapsed_days": 19,
        "remaining_days": 1077,
    }
    assert report.id == "REG-2025-0001" and report.kind == "registration"


# ---- Q10, Q11: mixed generations

def test_q10_q11_mixed_generations_denied():
    doc = registration(history=[{"generation": "ESP", "term_years": 3, "registered_on": "2025-04-02"}])
    report = run(doc)
    expect(report, "deny", {"mixed-generations": ("deny", ["Q10", "Q11"], "/history/0/generation")})
    f = finding(report, "mixed-generations")
    assert "ESP" in f.message["en"] and "ESP_G2" in f.message["en"]
    assert "5" in f.advice["en"]
    has_fact(report, "service_last_day", "2028-03-31")


def test_q10_q11_mixed_generations_path_points_at_the_offending_entry():
    doc = registration(history=[
        {"generation": "ESP_G2", "term_years": 3, "registered_on": "2025-04-02"},
        {"generation": "ESP", "term_years": 3, "registered_on": "2025-04-03"},
    ])
    report = run(doc)
    expect(report, "deny", {"mixed-generations": ("deny", ["Q10", "Q11"], "/history/1/generation")})


def test_q10_q11_every_mixed_entry_is_a_finding():
    doc = registration(history=[
        {"generation": "ESP", "term_years": 3, "registered_on": "2025-04-02"},
        {"generation": "ESP", "term_years": 3, "registered_on": "2025-04-03"},
    ])
    report = run(doc)
    assert report.outcome == "deny"
    paths = sorted(f.path for f in report.findings if f.rule == "mixed-generations")
    assert paths == ["/history/0/generation", "/history/1/generation"]


def test_q11_esp_pack_after_g2_history_denied_and_reviewed():
    doc = registration(pack={"generation": "ESP"},
                       history=[{"generation": "ESP_G2", "term_years": 3, "registered_on": "2025-04-02"}])
    report = run(doc)
    expect(report, "deny", {
        "mixed-generations": ("deny", ["Q10", "Q11"], "/history/0/generation"),
        "esp-for-earlier-product": ("review", ["Q17"], "/pack/generation"),
    })


def test_q10_q11_same_generation_history_not_denied():
    doc = registration(history=[{"generation": "ESP_G2", "term_years": 3, "registered_on": "2025-04-02"}])
    expect(run(doc), "allow", Q5_INFO)


# ---- Q6: more than 5 years

def test_q6_term_over_five_years_denied():
    report = run(registration(pack={"term_years": 6}))
    expect(report, "deny", {
        "term-beyond-five-years": ("deny", ["Q6"], "/pack/term_years"),
        "g2-term-not-in-catalogue": ("deny", ["Q8", "Q11"], "/pack/term_years"),
    })
    has_fact(report, "service_last_day", "2031-03-31")


def test_q6_term_over_five_years_denied_for_first_generation_too():
    doc = registration(pack={"generation": "ESP", "term_years": 10},
                       history=[{"generation": "ESP", "term_years": 3, "registered_on": "2025-04-02"}])
    report = run(doc)
    expect(report, "deny", {"first-generation-term-beyond-five-years": ("deny", ["Q6", "Q10"], "/pack/term_years")})
    message = finding(report, "first-generation-term-beyond-five-years").message
    assert "ExpressSupportPack (the first generation, ESP)" in message["en"] and "G2" not in message["en"]
    assert "ExpressSupportPack（第1世代、ESP）" in message["ja"] and "G2" not in message["ja"]


def test_q6_term_of_exactly_five_years_allowed():
    report = run(registration(pack={"term_years": 5}))
    expect(report, "allow", Q5_INFO)
    has_fact(report, "service_last_day", "2030-03-31")


# ---- Q8, Q11: the G2 catalogue has 3, 4, 5 years

@pytest.mark.parametrize("term", [1, 2])
def test_q8_q11_g2_term_not_in_catalogue_denied(term):
    report = run(registration(pack={"term_years": term}))
    expect(report, "deny", {"g2-term-not-in-catalogue": ("deny", ["Q8", "Q11"], "/pack/term_years")})


@pytest.mark.parametrize("term", [3, 4, 5])
def test_q8_q11_g2_catalogue_terms_allowed(term):
    expect(run(registration(pack={"term_years": term})), "allow", Q5_INFO)


def test_q8_q11_catalogue_does_not_apply_to_first_generation():
    doc = registration(pack={"generation": "ESP", "term_years": 2},
                       history=[{"generation": "ESP", "term_years": 3, "registered_on": "2025-04-02"}])
    expect(run(doc), "allow", Q5_INFO)


# ---- Q1: registration after the service period (deny) / after the warranty (warn)

def test_q1_registration_after_service_last_day_denied():
    report = run(registration(registration_date="2028-04-01"))
    expect(report, "deny", {"registered-after-service-period": ("deny", ["Q1"], "/registration_date")})
    assert report.facts == {
        "service_last_day": "2028-03-31",
        "warranty_last_day": "2026-03-31",
        "elapsed_days": 1096,
        "remaining_days": 0,
    }
    assert "Fri 31 Mar 2028" in finding(report, "registered-after-service-period").message["en"]


def test_q1_registration_on_service_last_day_only_warned():
    report = run(registration(registration_date="2028-03-31"))
    expect(report, "allow", {"registered-after-warranty": ("warn", ["Q1"], "/registration_date"), **Q5_INFO})
    has_fact(report, "remaining_days", 1)


def test_q1_registration_after_warranty_warned_with_elapsed_and_remaining_days():
    report = run(registration(registration_date="2026-04-01"))
    expect(report, "allow", {"registered-after-warranty": ("warn", ["Q1"], "/registration_date"), **Q5_INFO})
    assert report.facts == {
        "service_last_day": "2028-03-31",
        "warranty_last_day": "2026-03-31",
        "elapsed_days": 365,
        "remaining_days": 731,
    }
    f = finding(report, "registered-after-warranty")
    for lang in ("en", "ja"):
        assert "365" in f.message[lang] and "731" in f.message[lang]
        assert date_text(date(2028, 3, 31), lang) in f.message[lang]  # a date as the language writes it


def test_q1_registration_on_warranty_last_day_not_warned():
    report = run(registration(registration_date="2026-03-31"))
    expect(report, "allow", Q5_INFO)
    has_fact(report, "remaining_days", 732)
    has_fact(report, "elapsed_days", 364)


# ---- Q2: periodic maintenance

def test_q2_periodic_maintenance_request_denied():
    report = run(registration(requests={"periodic_maintenance": True}))
    expect(report, "deny", {
        "periodic-maintenance-not-included": ("deny", ["Q2"], "/requests/periodic_maintenance")})
    assert "contract" in finding(report, "periodic-maintenance-not-included").advice["en"]


def test_q2_no_periodic_maintenance_request_allowed():
    expect(run(registration(requests={"periodic_maintenance": False})), "allow", Q5_INFO)
    expect(run(registration(requests=DROP)), "allow", Q5_INFO)


# ---- Q12: 24x365 Express notification on the weekday plan

def test_q12_express_notification_24x365_on_weekday_plan_denied():
    report = run(registration(requests={"express_notification_24x365": True}))
    expect(report, "deny", {"express-notification-24x365-on-weekday-plan": (
        "deny", ["Q12"], "/requests/express_notification_24x365")})


def test_q12_express_notification_24x365_on_24x365_plan_allowed():
    doc = registration(pack={"coverage": "24x365"}, requests={"express_notification_24x365": True})
    expect(run(doc), "allow", Q5_INFO)


# ---- Q15: no discount without Express notification

def test_q15_discount_without_express_notification_denied():
    report = run(registration(requests={"discount_without_express_notification": True}))
    expect(report, "deny", {"no-discount-without-express-notification": (
        "deny", ["Q15"], "/requests/discount_without_express_notification")})


def test_q15_no_discount_request_allowed():
    expect(run(registration(requests={"discount_without_express_notification": False})), "allow", Q5_INFO)


# ---- Q16: UPS battery

def test_q16_ups_battery_replacement_request_denied():
    report = run(registration(requests={"ups_battery_replacement": True}))
    expect(report, "deny", {"ups-battery-not-covered": ("deny", ["Q16"], "/requests/ups_battery_replacement")})


def test_q16_no_ups_battery_request_allowed():
    expect(run(registration(requests={"ups_battery_replacement": False})), "allow", Q5_INFO)


# ---- Q17: first-generation pack for an earlier product

def test_q17_esp_pack_without_esp_history_needs_review():
    report = run(registration(pack={"generation": "ESP"}))
    expect(report, "review", {"esp-for-earlier-product": ("review", ["Q17"], "/pack/generation")})
    assert "0120-5800-72" in finding(report, "esp-for-earlier-product").advice["en"]


def test_q17_esp_pack_with_empty_history_needs_review():
    report = run(registration(pack={"generation": "ESP"}, history=[]))
    expect(report, "review", {"esp-for-earlier-product": ("review", ["Q17"], "/pack/generation")})


def test_q17_esp_pack_with_esp_history_allowed():
    doc = registration(pack={"generation": "ESP"},
                       history=[{"generation": "ESP", "term_years": 3, "registered_on": "2025-04-02"}])
    expect(run(doc), "allow", Q5_INFO)


def test_q17_g2_pack_without_history_not_reviewed():
    expect(run(registration(history=[])), "allow", Q5_INFO)


# ---- Q5: the reminder on an otherwise allowed registration

def test_q5_service_end_info_on_allowed_registration():
    report = run(registration())
    f = finding(report, "service-ends-without-notice")
    assert f.effect == "info" and f.faq == ["Q5"]
    for lang in ("en", "ja"):
        assert date_text(date(2028, 3, 31), lang) in f.message[lang]


def test_q5_service_end_info_kept_with_a_warning():
    report = run(registration(registration_date="2027-01-05"))
    assert report.outcome == "allow"
    assert ("service-ends-without-notice", "info") in fired(report)


def test_q5_service_end_info_absent_when_denied():
    report = run(registration(requests={"ups_battery_replacement": True}))
    assert "service-ends-without-notice" not in {f.rule for f in report.findings}


def test_q5_service_end_info_absent_when_reviewed():
    report = run(registration(pack={"generation": "ESP"}))
    assert report.outcome == "review"
    assert "service-ends-without-notice" not in {f.rule for f in report.findings}


# ---- data consistency

def test_data_purchase_after_registration_denied():
    report = run(registration(pack={"purchase_date": "2025-04-21"}))
    expect(report, "deny", {"purchase-after-registration": ("deny", [], "/pack/purchase_date")})


def test_data_purchase_on_registration_day_allowed():
    expect(run(registration(pack={"purchase_date": "2025-04-20"})), "allow", Q5_INFO)


def test_data_warranty_start_after_registration_denied():
    report = run(registration(server={"warranty_start": "2025-04-21"}, pack={"purchase_date": "2025-04-20"}))
    expect(report, "deny", {"warranty-start-after-registration": ("deny", [], "/server/warranty_start")})


def test_data_warranty_start_on_registration_day_allowed():
    report = run(registration(server={"warranty_start": "2025-04-20"}, pack={"purchase_date": "2025-04-20"}))
    expect(report, "allow", Q5_INFO)
    has_fact(report, "elapsed_days", 0)
    has_fact(report, "service_last_day", "2028-04-19")
    has_fact(report, "remaining_days", (date(2028, 4, 19) - date(2025, 4, 20)).days + 1)


# =========================================================================== change_request


def test_q4_site_change_info_and_next_open_day():
    report = run(change_request(request_date="2026-06-06"))  # a Saturday
    expect(report, "allow", {"registered-details-change": ("info", ["Q4"], "/change/type")})
    assert report.facts == {"service_last_day": "2028-03-31", "registration_center_next_open": "2026-06-08"}
    f = finding(report, "registered-details-change")
    for lang in ("en", "ja"):
        assert "03-3454-6818" in f.message[lang]
        assert "03-5476-4413" in f.message[lang]
        assert date_text(date(2026, 6, 8), lang) in f.message[lang]


def test_q4_contact_change_info_open_the_same_weekday():
    report = run(change_request(change={"type": "contact", "to": "Hanako Suzuki"}))
    expect(report, "allow", {"registered-details-change": ("info", ["Q4"], "/change/type")})
    has_fact(report, "registration_center_next_open", "2026-06-01")


def test_q4_no_registration_center_fact_for_other_changes():
    report = run(change_request(change={"type": "coverage", "to": "24x365"}))
    assert "registered-details-change" not in {f.rule for f in report.findings}
    assert "registration_center_next_open" not in report.facts


def test_q7_coverage_change_denied():
    report = run(change_request(change={"type": "coverage", "to": "24x365"}))
    expect(report, "deny", {"coverage-change-not-possible": ("deny", ["Q7"], "/change/type")})
    assert "24x365" in finding(report, "coverage-change-not-possible").advice["en"]
    assert report.facts == {"service_last_day": "2028-03-31"}


def test_q8_term_change_denied():
    report = run(change_request(change={"type": "term", "to": 5}))
    expect(report, "deny", {"term-change-not-possible": ("deny", ["Q8"], "/change/type")})


def test_q6_term_change_past_five_years_denied():
    report = run(change_request(change={"type": "term", "to": 6}))
    expect(report, "deny", {
        "term-change-not-possible": ("deny", ["Q8"], "/change/type"),
        "term-change-beyond-five-years": ("deny", ["Q6"], "/change/to"),
    })


def test_q6_term_change_to_five_years_not_q6():
    report = run(change_request(change={"type": "term", "to": 5}))
    assert "term-change-beyond-five-years" not in {f.rule for f in report.findings}


@pytest.mark.parametrize("to, past_five", [
    ("6", True), ("6 years", True), ("\uff16\u5e74", True), (" 7", True), ("6年間", True), ("5.5 years", True),
    ("5.5", True), ("3年→6年", True), ("3 -> 6 years", True), ("61ヶ月", True), ("2030-04-01", True),
    ("5", False), ("5年間", False), ("4.5 years", False), ("18 months", False), ("18ヶ月", False),
    ("18か月", False), ("18カ月", False), ("18箇月", False), ("60 months", False), ("2029-03-31", False),
    ("2030-03-31", False), ("6年→5年", False), ("six", False), ("", False),
])
def test_q6_term_change_written_as_text(to, past_five):
    """contract §6: a term text is read with its unit (warranty start 2025-04-01: year 5 ends on
    2030-03-31); the resulting period past that day cites Q6, and the message quotes the text."""
    report = run(change_request(change={"type": "term", "to": to}))
    assert ("term-change-beyond-five-years" in {f.rule for f in report.findings}) is past_five
    assert finding(report, "term-change-not-possible").faq == ["Q8"]
    if past_five:
        q6 = finding(report, "term-change-beyond-five-years")
        assert f'"{to}"' in q6.message["en"] and f"「{to}」" in q6.message["ja"]
        assert "Sun 31 Mar 2030" in q6.message["en"]


@pytest.mark.parametrize("to", ["18 months", "6ヶ月", "2029-03-31", "six years", "お任せ"])
def test_a_term_text_is_never_read_as_a_number_of_years(to):
    """"18 months" is not 18 years: no Q6, and no message invents a number of years; an unreadable
    text is quoted as given in the Q8 message."""
    report = run(change_request(change={"type": "term", "to": to}))
    assert report.outcome == "deny" and {q for f in report.findings for q in f.faq} == {"Q8"}
    q8 = finding(report, "term-change-not-possible")
    assert f'"{to}"' in q8.message["en"] and f"「{to}」" in q8.message["ja"]
    texts = q8.message["en"] + q8.message["ja"]
    for example in ("a 3-year to a 5-year", "3年間パックから5年間パック"):   # the message's fixed example
        texts = texts.replace(example, "")
    assert re.search(r"\d+ years|\d+年", texts) is None


def test_q9_server_change_denied():
    report = run(change_request(change={"type": "server", "to": "4300999"}))
    expect(report, "deny", {"server-change-not-possible": ("deny", ["Q9"], "/change/type")})


def test_q10_q11_generation_change_denied():
    report = run(change_request(change={"type": "generation", "to": "ESP"}))
    expect(report, "deny", {"generation-change-not-possible": ("deny", ["Q10", "Q11"], "/change/type")})


def test_q12_express_notification_hours_on_weekday_registration_denied():
    report = run(change_request(change={"type": "express_notification_hours", "to": "24x365"}))
    expect(report, "deny", {"express-notification-hours-on-weekday-plan": ("deny", ["Q12"], "/change/type")})


def test_q12_express_notification_hours_on_24x365_registration_info():
    report = run(change_request(registration={"coverage": "24x365"},
                                change={"type": "express_notification_hours", "to": "24x365"}))
    expect(report, "allow", {"express-notification-hours-already-included": ("info", ["Q12"], "/change/type")})


def test_q13_reissue_denied_without_registration():
    report = run(change_request(registration=DROP, change={"type": "reissue", "to": DROP}))
    expect(report, "deny", {"reissue-not-possible": ("deny", ["Q13"], "/change/type")})
    assert report.facts == {}


def test_q13_reissue_denied_with_registration():
    report = run(change_request(change={"type": "reissue", "reason": "lost in the move"}))
    expect(report, "deny", {"reissue-not-possible": ("deny", ["Q13"], "/change/type")})
    assert report.facts == {"service_last_day": "2028-03-31"}


CHANGE_EXPECTED = {
    "site": ("allow", {"registered-details-change": ("info", ["Q4"], "/change/type")}),
    "contact": ("allow", {"registered-details-change": ("info", ["Q4"], "/change/type")}),
    "coverage": ("deny", {"coverage-change-not-possible": ("deny", ["Q7"], "/change/type")}),
    "term": ("deny", {"term-change-not-possible": ("deny", ["Q8"], "/change/type")}),
    "server": ("deny", {"server-change-not-possible": ("deny", ["Q9"], "/change/type")}),
    "express_notification_hours": (
        "deny", {"express-notification-hours-on-weekday-plan": ("deny", ["Q12"], "/change/type")}),
    "generation": ("deny", {"generation-change-not-possible": ("deny", ["Q10", "Q11"], "/change/type")}),
    "reissue": ("deny", {"reissue-not-possible": ("deny", ["Q13"], "/change/type")}),
}


@pytest.mark.parametrize("change_type", sorted(CHANGE_EXPECTED))
def test_each_change_type_fires_exactly_its_own_rule(change_type):
    """The negative of every change_request row: each type fires its rule and no other's."""
    to = 4 if change_type == "term" else "x"
    outcome, rules = CHANGE_EXPECTED[change_type]
    expect(run(change_request(change={"type": change_type, "to": to})), outcome, rules)


# =========================================================================== service_request


def test_service_base_is_allowed_with_exact_facts():
    report = run(service_request())
    expect(report, "allow", {})
    assert report.facts == {
        "warranty_last_day": "2026-03-31",
        "service_last_day": "2028-03-31",
        "route": "pack",
        "covered_now": True,
    }


# ---- Q14: no registration yet

def test_q14_no_registration_within_warranty_denied_route_warranty():
    report = run(service_request(registration=DROP, requested_at="2025-06-02T10:00:00+09:00"))
    expect(report, "deny", {"no-registration-yet": ("deny", ["Q14"], "/registration")})
    assert report.facts == {"warranty_last_day": "2026-03-31", "route": "warranty", "covered_now": False}
    assert "warranty" in finding(report, "no-registration-yet").advice["en"]


def test_q14_no_registration_after_warranty_denied_route_spot():
    report = run(service_request(registration=DROP))
    expect(report, "deny", {"no-registration-yet": ("deny", ["Q14"], "/registration")})
    has_fact(report, "route", "spot")
    assert "service_last_day" not in report.facts


def test_q14_request_before_registration_completed_denied():
    report = run(service_request(registration={"registered_on": "2026-05-08"}))
    assert report.outcome == "deny"
    assert fired(report) == {("no-registration-yet", "deny")}
    f = finding(report, "no-registration-yet")
    assert f.faq == ["Q14"]
    assert f.path in {"/registration", "/registration/registered_on"}
    has_fact(report, "route", "spot")


def test_q14_request_on_registration_day_not_denied():
    report = run(service_request(registration={"registered_on": "2026-05-07"}))
    expect(report, "allow", {})
    has_fact(report, "route", "pack")


# ---- Q5: after the service period

def test_q5_request_after_service_last_day_denied_route_spot():
    report = run(service_request(requested_at="2028-04-03T10:00:00+09:00"))
    expect(report, "deny", {"service-period-ended": ("deny", ["Q5"], "/requested_at")})
    has_fact(report, "route", "spot")
    has_fact(report, "service_last_day", "2028-03-31")
    assert "Fri 31 Mar 2028" in finding(report, "service-period-ended").message["en"]


def test_q5_request_after_service_last_day_within_warranty_route_warranty():
    report = run(service_request(server={"warranty_years": 5}, requested_at="2028-04-03T10:00:00+09:00"))
    expect(report, "deny", {"service-period-ended": ("deny", ["Q5"], "/requested_at")})
    has_fact(report, "route", "warranty")
    has_fact(report, "warranty_last_day", "2030-03-31")


def test_q5_request_on_service_last_day_allowed():
    report = run(service_request(requested_at="2028-03-31T10:00:00+09:00"))
    expect(report, "allow", {})
    has_fact(report, "route", "pack")


# ---- Q2: periodic maintenance

def test_q2_periodic_maintenance_service_denied():
    report = run(service_request(service={"type": "periodic_maintenance"}))
    expect(report, "deny", {"periodic-maintenance-visit": ("deny", ["Q2"], "/service/type")})


def test_q2_part_replacement_service_allowed():
    expect(run(service_request(service={"type": "part_replacement", "part": "disk"})), "allow", {})


# ---- Q16: UPS battery

def test_q16_ups_battery_part_denied():
    report = run(service_request(service={"type": "part_replacement", "part": "ups_battery"}))
    expect(report, "deny", {"ups-battery-is-consumable": ("deny", ["Q16"], "/service/part")})


@pytest.mark.parametrize("part", ["ups", "ups_battery_cable", "UPS battery controller board", "power_supply"])
def test_q16_other_parts_allowed(part):
    expect(run(service_request(service={"type": "part_replacement", "part": part})), "allow", {})


# ---- Q3: national holidays on Mon-Fri are service days

def test_q3_weekday_holiday_in_hours_info():
    report = run(service_request(requested_at="2026-05-04T10:00:00+09:00"))  # Monday, みどりの日
    expect(report, "allow", {"holiday-is-service-day": ("info", ["Q3"], "/requested_at")})
    assert report.facts == {
        "warranty_last_day": "2026-03-31",
        "service_last_day": "2028-03-31",
        "route": "pack",
        "covered_now": True,
        "holiday": "みどりの日",
    }
    f = finding(report, "holiday-is-service-day")
    for lang in ("en", "ja"):
        assert "みどりの日" in f.message[lang]


def test_q3_ordinary_weekday_no_holiday_info():
    report = run(service_request())
    assert "holiday" not in report.facts
    assert "holiday-is-service-day" not in {f.rule for f in report.findings}


def test_q3_holiday_on_24x365_plan_no_info():
    report = run(service_request(registration={"coverage": "24x365"}, requested_at="2026-05-04T10:00:00+09:00"))
    expect(report, "allow", {})
    has_fact(report, "holiday", "みどりの日")
    has_fact(report, "covered_now", True)


def test_q3_weekday_holiday_outside_hours_warn_not_info():
    report = run(service_request(requested_at="2026-05-04T17:30:00+09:00"))
    expect(report, "allow", {"outside-weekday-hours": ("warn", ["Q3"], "/requested_at")})
    has_fact(report, "next_service_window", "2026-05-05T08:30:00+09:00")
    has_fact(report, "holiday", "みどりの日")


def test_q3_outside_weekday_hours_warn_with_next_window():
    report = run(service_request(requested_at="2026-05-09T10:15:00+09:00"))  # Saturday
    expect(report, "allow", {"outside-weekday-hours": ("warn", ["Q3"], "/requested_at")})
    assert report.facts == {
        "warranty_last_day": "2026-03-31",
        "service_last_day": "2028-03-31",
        "route": "pack",
        "covered_now": False,
        "next_service_window": "2026-05-11T08:30:00+09:00",
    }
    f = finding(report, "outside-weekday-hours")
    for lang, when in (("en", "Mon 11 May 2026, 08:30"), ("ja", "2026年5月11日（月）8:30")):
        assert when in f.advice[lang]  # the moment as each language writes it; the fact stays ISO 8601


def test_q3_inside_weekday_hours_no_warn():
    report = run(service_request(requested_at="2026-05-08T17:29:00+09:00"))  # Friday
    expect(report, "allow", {})
    assert "next_service_window" not in report.facts


def test_24x365_plan_covered_at_any_time():
    report = run(service_request(registration={"coverage": "24x365"}, requested_at="2026-05-09T03:00:00+09:00"))
    expect(report, "allow", {})
    assert report.facts == {
        "warranty_last_day": "2026-03-31",
        "service_last_day": "2028-03-31",
        "route": "pack",
        "covered_now": True,
    }


# ---- Q6: nothing is served from year 6 on (contract §6)

def test_q6_service_request_in_year_six_denied_whatever_the_term():
    """A6: 「6年目以降の保守については、対応しておりません。」 A 10-year registration changes nothing."""
    doc = service_request(registration={"term_years": 10}, requested_at="2031-05-13T10:00:00+09:00")
    report = run(doc)
    expect(report, "deny", {"nothing-served-from-year-six": ("deny", ["Q6"], "/requested_at")})
    assert report.facts == {"warranty_last_day": "2026-03-31", "service_last_day": "2035-03-31",
                            "route": "spot", "covered_now": False}
    assert "Sun 31 Mar 2030" in finding(report, "nothing-served-from-year-six").message["en"]


def test_q6_service_request_in_year_six_outside_hours_has_no_next_window():
    doc = service_request(registration={"term_years": 10}, requested_at="2031-05-17T10:00:00+09:00")  # Saturday
    report = run(doc)
    assert report.outcome == "deny" and "next_service_window" not in report.facts
    assert {f.rule for f in report.findings} == {"nothing-served-from-year-six"}


def test_q6_service_request_on_the_last_day_of_year_five_is_served():
    doc = service_request(registration={"term_years": 10}, requested_at="2030-03-29T10:00:00+09:00")  # Friday
    report = run(doc)
    expect(report, "allow", {})
    assert report.facts["route"] == "pack" and report.facts["covered_now"] is True


def test_q6_year_six_is_judged_in_japan_time():
    # 2030-03-31T15:30Z is 2030-04-01 00:30 in Japan: year 6
    doc = service_request(registration={"term_years": 10, "coverage": "24x365"},
                          requested_at="2030-03-31T15:30:00Z")
    assert {f.rule for f in run(doc).findings} == {"nothing-served-from-year-six"}
    doc["requested_at"] = "2030-03-31T14:59:59Z"   # 23:59:59 on the last day of year 5
    report = run(doc)
    assert report.outcome == "allow" and report.facts["covered_now"] is True


def test_q6_service_request_in_year_six_without_a_registration_cites_q14_and_q6():
    doc = service_request(registration=DROP, requested_at="2031-05-13T10:00:00+09:00")
    report = run(doc)
    assert {(f.rule, tuple(f.faq)) for f in report.findings} == {
        ("no-registration-yet", ("Q14",)), ("nothing-served-from-year-six", ("Q6",))}


def test_q6_change_request_with_a_registration_past_five_years_denied():
    report = run(change_request(registration={"term_years": 6}, change={"type": "site", "to": "Osaka"}))
    expect(report, "deny", {"registered-details-change": ("info", ["Q4"], "/change/type"),
                            "registered-term-beyond-five-years": ("deny", ["Q6"], "/registration/term_years")})
    assert "Sun 31 Mar 2030" in finding(report, "registered-term-beyond-five-years").message["en"]


def test_q6_change_request_with_a_five_year_registration_allowed():
    report = run(change_request(registration={"term_years": 5}, change={"type": "site", "to": "Osaka"}))
    expect(report, "allow", {"registered-details-change": ("info", ["Q4"], "/change/type")})


# ---- Q16: a UPS battery however it is written (contract §6)

@pytest.mark.parametrize("part", ["ups_battery", "UPS_Battery", "ups battery", "UPS-battery", "ＵＰＳ＿ＢＡＴＴＥＲＹ",
                                  "UPSバッテリ", "UPSバッテリー", "UPS用バッテリ", "ＵＰＳ ﾊﾞｯﾃﾘｰ", "  ups -_ battery ",
                                  "UPS Batteries", "UPSのバッテリ"])
def test_q16_ups_battery_written_any_way_denied(part):
    report = run(service_request(service={"type": "part_replacement", "part": part}))
    expect(report, "deny", {"ups-battery-is-consumable": ("deny", ["Q16"], "/service/part")})


@pytest.mark.parametrize("part", ["UPS battery cable", "UPSバッテリケーブル", "battery", "バッテリ", "UPS", "UP S battery",
                                  "ups batt"])
def test_q16_near_misses_are_not_a_ups_battery(part):
    expect(run(service_request(service={"type": "part_replacement", "part": part})), "allow", {})


# ---- Q5: no window after the pack has ended (contract §6)

def test_q5_no_next_window_after_the_last_day():
    """A5: 「自動的にサービス終了となります。」 Friday 2028-03-31 18:00, the pack's last day."""
    report = run(service_request(requested_at="2028-03-31T18:00:00+09:00"))
    expect(report, "allow", {"pack-ends-before-next-window": ("warn", ["Q5"], "/requested_at")})
    assert "next_service_window" not in report.facts
    assert report.facts["route"] == "pack" and report.facts["covered_now"] is False
    f = finding(report, "pack-ends-before-next-window")
    assert "Fri 31 Mar 2028" in f.message["en"] and "Mon 3 Apr 2028" not in f.message["en"] + f.advice["en"]
    assert "2028年3月31日（金）" in f.message["ja"]


def test_q5_a_window_on_the_last_day_is_still_offered():
    report = run(service_request(requested_at="2028-03-31T07:00:00+09:00"))   # before 08:30 on the last day
    expect(report, "allow", {"outside-weekday-hours": ("warn", ["Q3"], "/requested_at")})
    assert report.facts["next_service_window"] == "2028-03-31T08:30:00+09:00"


def test_q5_no_next_window_past_year_five():
    # a 10-year registration, Friday 2030-03-29 18:00: the next window (Monday 2030-04-01) is in year 6
    report = run(service_request(registration={"term_years": 10}, requested_at="2030-03-29T18:00:00+09:00"))
    expect(report, "allow", {"pack-ends-before-next-window": ("warn", ["Q5"], "/requested_at")})
    assert "next_service_window" not in report.facts
    assert "Sun 31 Mar 2030" in finding(report, "pack-ends-before-next-window").message["en"]


# ---- data consistency: registered before the server was bought

def test_service_request_registered_before_warranty_start_denied():
    report = run(service_request(registration={"registered_on": "2025-03-31"}))
    expect(report, "deny", {"registered-before-warranty-start": ("deny", [], "/registration/registered_on")})


def test_service_request_registered_on_warranty_start_allowed():
    expect(run(service_request(registration={"registered_on": "2025-04-01"})), "allow", {})
