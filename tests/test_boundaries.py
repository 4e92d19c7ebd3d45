"""Boundary dates and times of the policy (docs/contract.md §2, §3; docs/rules.md).

Last days of periods (29 February included), service hours to the second, UTC offsets that move
the Japan date across midnight, the 2026 holiday clusters (Golden Week, Silver Week), and the
registration day / warranty / service period edges of service requests.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from documents import DROP, change_request, registration, service_request

import espolicy
from espolicy.lang.dates import date_text


def run(doc: dict[str, Any]) -> espolicy.Report:
    report = espolicy.validate(doc)
    assert report.outcome != "invalid", [f.to_dict() for f in report.findings]
    return report


def rules(report: espolicy.Report) -> set[tuple[str, str]]:
    return {(f.rule, f.effect) for f in report.findings}


def faqs(report: espolicy.Report) -> set[tuple[str, str]]:
    """(FAQ question, effect) of every finding."""
    return {(q, f.effect) for f in report.findings for q in f.faq}


WARN_Q1 = ("registered-after-warranty", "warn")
DENY_Q1 = ("registered-after-service-period", "deny")
INFO_Q5 = ("service-ends-without-notice", "info")
WARN_Q3 = ("outside-weekday-hours", "warn")
INFO_Q3 = ("holiday-is-service-day", "info")
DENY_Q14 = ("no-registration-yet", "deny")
DENY_Q5 = ("service-period-ended", "deny")


# =========================================================================== registration dates


def test_registration_on_warranty_last_day_no_q1_warn():
    report = run(registration(registration_date="2026-03-31"))
    assert report.outcome == "allow"
    assert rules(report) == {INFO_Q5}
    assert report.facts["warranty_last_day"] == "2026-03-31"
    assert report.facts["elapsed_days"] == 364
    assert report.facts["remaining_days"] == 732


def test_registration_day_after_warranty_last_day_q1_warn():
    report = run(registration(registration_date="2026-04-01"))
    assert report.outcome == "allow"
    assert rules(report) == {WARN_Q1, INFO_Q5}
    assert report.facts["elapsed_days"] == 365
    assert report.facts["remaining_days"] == 731


def test_registration_on_service_last_day_no_q1_deny_one_day_left():
    report = run(registration(registration_date="2028-03-31"))
    assert report.outcome == "allow"
    assert DENY_Q1 not in rules(report)
    assert rules(report) == {WARN_Q1, INFO_Q5}
    assert report.facts["remaining_days"] == 1
    assert report.facts["elapsed_days"] == (date(2028, 3, 31) - date(2025, 4, 1)).days == 1095


def test_registration_day_after_service_last_day_q1_deny_nothing_left():
    report = run(registration(registration_date="2028-04-01"))
    assert report.outcome == "deny"
    assert rules(report) == {DENY_Q1}
    assert report.facts["remaining_days"] == 0
    assert report.facts["elapsed_days"] == 1096


def test_registration_long_after_service_last_day_remaining_days_stays_zero():
    report = run(registration(registration_date="2031-01-15"))
    assert report.outcome == "deny"
    assert report.facts["remaining_days"] == 0


def test_registration_same_warranty_and_service_period_no_warn():
    """warranty 3 years and a 3-year pack: the day after is both past warranty and service period."""
    report = run(registration(server={"warranty_years": 3}, registration_date="2028-04-01"))
    assert rules(report) == {DENY_Q1}
    report = run(registration(server={"warranty_years": 3}, registration_date="2028-03-31"))
    assert rules(report) == {INFO_Q5}


@pytest.mark.parametrize("years, warranty_last, term, service_last", [
    (1, "2025-02-28", 3, "2027-02-28"),
    (4, "2028-02-28", 4, "2028-02-28"),
    (2, "2026-02-28", 5, "2029-02-28"),
])
def test_leap_day_warranty_start(years, warranty_last, term, service_last):
    doc = registration(server={"warranty_start": "2024-02-29", "warranty_years": years},
                       pack={"term_years": term, "purchase_date": "2024-02-29"},
                       registration_date="2024-03-01")
    report = run(doc)
    assert report.facts["warranty_last_day"] == warranty_last
    assert report.facts["service_last_day"] == service_last
    assert report.facts["elapsed_days"] == 1


def test_leap_day_warranty_start_one_year_last_day_2025_02_28():
    doc = registration(server={"warranty_start": "2024-02-29", "warranty_years": 1},
                       pack={"purchase_date": "2024-02-29"})
    doc["registration_date"] = "2025-02-28"
    report = run(doc)
    assert report.facts["warranty_last_day"] == "2025-02-28"
    assert WARN_Q1 not in rules(report)
    doc["registration_date"] = "2025-03-01"
    report = run(doc)
    assert WARN_Q1 in rules(report)


def test_leap_day_warranty_start_four_years_last_day_2028_02_28():
    """2028 is a leap year, but the anniversary 2028-02-29 exists: the last day is the day before."""
    doc = registration(server={"warranty_start": "2024-02-29", "warranty_years": 4},
                       pack={"term_years": 4, "purchase_date": "2024-02-29"}, registration_date="2028-02-28")
    report = run(doc)
    assert report.facts["warranty_last_day"] == "2028-02-28"
    assert report.facts["service_last_day"] == "2028-02-28"
    assert report.facts["remaining_days"] == 1
    assert report.outcome == "allow"
    doc["registration_date"] = "2028-02-29"
    report = run(doc)
    assert report.outcome == "deny"
    assert DENY_Q1 in rules(report)
    assert report.facts["remaining_days"] == 0


def test_service_request_leap_day_warranty_last_day():
    doc = service_request(server={"warranty_start": "2024-02-29", "warranty_years": 1}, registration=DROP,
                          requested_at="2025-02-28T12:00:00+09:00")
    report = run(doc)
    assert report.facts["warranty_last_day"] == "2025-02-28"
    assert report.facts["route"] == "warranty"
    doc["requested_at"] = "2025-03-01T12:00:00+09:00"
    assert run(doc).facts["route"] == "spot"


# =========================================================================== service hours


@pytest.mark.parametrize("clock, warned, covered", [
    ("08:29:00", True, False),
    ("08:29:59", True, False),
    ("08:30:00", False, True),
    ("17:29:00", False, True),
    ("17:29:59", False, True),
    ("17:30:00", True, False),
    ("00:00:00", True, False),
    ("23:59:59", True, False),
])
def test_weekday_plan_service_hours_edges(clock, warned, covered):
    report = run(service_request(requested_at=f"2026-05-07T{clock}+09:00"))  # Thursday
    assert report.outcome == "allow"
    assert rules(report) == ({WARN_Q3} if warned else set())
    assert report.facts["covered_now"] is covered
    assert ("next_service_window" in report.facts) is warned


@pytest.mark.parametrize("clock, expected_window", [
    ("08:29:59", "2026-05-07T08:30:00+09:00"),
    ("00:00:00", "2026-05-07T08:30:00+09:00"),
    ("17:30:00", "2026-05-08T08:30:00+09:00"),
    ("23:59:59", "2026-05-08T08:30:00+09:00"),
])
def test_next_service_window_same_or_next_weekday(clock, expected_window):
    report = run(service_request(requested_at=f"2026-05-07T{clock}+09:00"))
    assert report.facts["next_service_window"] == expected_window


def test_friday_evening_next_window_is_monday():
    report = run(service_request(requested_at="2026-05-08T17:30:00+09:00"))
    assert report.facts["next_service_window"] == "2026-05-11T08:30:00+09:00"


def test_fractional_seconds_before_opening_still_outside():
    report = run(service_request(requested_at="2026-05-07T08:29:59.999+09:00"))
    assert rules(report) == {WARN_Q3}
    assert report.facts["covered_now"] is False
    report = run(service_request(requested_at="2026-05-07T17:29:59.999+09:00"))
    assert rules(report) == set()
    assert report.facts["covered_now"] is True


def test_utc_offset_moves_japan_date_to_saturday():
    # Friday 23:30 UTC is Saturday 08:30 in Japan: outside the weekday plan.
    report = run(service_request(requested_at="2026-05-08T23:30:00+00:00"))
    assert rules(report) == {WARN_Q3}
    assert report.facts["covered_now"] is False
    assert report.facts["next_service_window"] == "2026-05-11T08:30:00+09:00"
    assert "holiday" not in report.facts


def test_utc_offset_moves_japan_date_to_monday():
    # Sunday 23:30 UTC is Monday 08:30 in Japan: inside.
    report = run(service_request(requested_at="2026-05-10T23:30:00+00:00"))
    assert rules(report) == set()
    assert report.facts["covered_now"] is True
    assert "next_service_window" not in report.facts


def test_utc_z_suffix_same_as_plus_zero():
    a = run(service_request(requested_at="2026-05-10T23:30:00Z"))
    b = run(service_request(requested_at="2026-05-10T23:30:00+00:00"))
    assert a.to_dict() == b.to_dict()


def test_negative_offset_japan_date_is_next_day():
    # 2026-05-05 19:00 at -05:00 = 2026-05-06 00:00 UTC = 2026-05-06 09:00 JST (振替休日, Wednesday).
    report = run(service_request(requested_at="2026-05-05T19:00:00-05:00"))
    assert report.facts["holiday"] == "振替休日"
    assert rules(report) == {INFO_Q3}
    assert report.facts["covered_now"] is True


def test_holiday_fact_uses_japan_date_not_local_date():
    # 2026-04-28 20:00 UTC = 2026-04-29 05:00 JST: 昭和の日, but before opening.
    report = run(service_request(requested_at="2026-04-28T20:00:00+00:00"))
    assert report.facts["holiday"] == "昭和の日"
    assert rules(report) == {WARN_Q3}
    assert report.facts["next_service_window"] == "2026-04-29T08:30:00+09:00"
    # 2026-04-29 16:00 UTC = 2026-04-30 01:00 JST: no holiday in Japan any more.
    report = run(service_request(requested_at="2026-04-29T16:00:00+00:00"))
    assert "holiday" not in report.facts


# =========================================================================== 2026 holidays


@pytest.mark.parametrize("day, name", [
    ("2026-04-29", "昭和の日"),       # Wednesday
    ("2026-05-04", "みどりの日"),     # Monday
    ("2026-05-05", "こどもの日"),     # Tuesday
    ("2026-05-06", "振替休日"),       # Wednesday
    ("2026-09-21", "敬老の日"),       # Monday
    ("2026-09-22", "国民の休日"),     # Tuesday
    ("2026-09-23", "秋分の日"),       # Wednesday
])
def test_weekday_holiday_in_hours_is_service_day(day, name):
    report = run(service_request(requested_at=f"{day}T11:00:00+09:00"))
    assert report.outcome == "allow"
    assert rules(report) == {INFO_Q3}
    assert faqs(report) == {("Q3", "info")}
    assert report.facts["holiday"] == name
    assert report.facts["covered_now"] is True
    assert "next_service_window" not in report.facts
    f = report.findings[0]
    assert name in f.message["en"] and name in f.message["ja"]


def test_golden_week_sunday_holiday_warn_next_window_on_holiday_monday():
    report = run(service_request(requested_at="2026-05-03T11:00:00+09:00"))  # Sunday, 憲法記念日
    assert report.outcome == "allow"
    assert rules(report) == {WARN_Q3}
    assert report.facts["holiday"] == "憲法記念日"
    assert report.facts["covered_now"] is False
    assert report.facts["next_service_window"] == "2026-05-04T08:30:00+09:00"


def test_golden_week_holiday_evening_next_window_next_holiday_morning():
    report = run(service_request(requested_at="2026-05-05T18:00:00+09:00"))
    assert rules(report) == {WARN_Q3}
    assert report.facts["next_service_window"] == "2026-05-06T08:30:00+09:00"


def test_holiday_on_24x365_plan_sunday_night():
    report = run(service_request(registration={"coverage": "24x365"}, requested_at="2026-05-03T23:00:00+09:00"))
    assert report.outcome == "allow"
    assert rules(report) == set()
    assert report.facts["covered_now"] is True
    assert "next_service_window" not in report.facts
    assert report.facts["holiday"] == "憲法記念日"


def test_24x365_plan_sunday_night_allowed():
    report = run(service_request(registration={"coverage": "24x365"}, requested_at="2026-05-10T23:45:00+09:00"))
    assert report.outcome == "allow"
    assert rules(report) == set()
    assert report.facts["covered_now"] is True
    assert "next_service_window" not in report.facts
    assert report.facts["route"] == "pack"


# =========================================================================== registration center


@pytest.mark.parametrize("request_date, next_open", [
    ("2026-05-02", "2026-05-07"),   # Saturday before the Golden Week holidays
    ("2026-05-06", "2026-05-07"),   # 振替休日
    ("2026-05-07", "2026-05-07"),   # an ordinary Thursday: open that day
    ("2026-09-19", "2026-09-24"),   # Saturday before Silver Week
    ("2026-09-22", "2026-09-24"),   # 国民の休日
    ("2026-12-31", "2026-12-31"),   # a Thursday: company holidays are not national holidays
    ("2027-01-01", "2027-01-04"),   # 元日 (Friday), then the weekend
])
@pytest.mark.parametrize("change_type", ["site", "contact"])
def test_registration_center_next_open(request_date, next_open, change_type):
    report = run(change_request(request_date=request_date, change={"type": change_type}))
    assert report.outcome == "allow"
    assert rules(report) == {("registered-details-change", "info")}
    assert report.facts["registration_center_next_open"] == next_open
    assert date_text(date.fromisoformat(next_open), "en") in report.findings[0].message["en"]


# =========================================================================== service request routes


def test_service_request_on_registration_day_covered():
    report = run(service_request(registration={"registered_on": "2026-05-07"}))
    assert report.outcome == "allow"
    assert rules(report) == set()
    assert report.facts["route"] == "pack"
    assert report.facts["covered_now"] is True


def test_service_request_on_registration_day_early_utc_is_still_that_japan_day():
    # 2026-05-06 23:30 UTC = 2026-05-07 08:30 JST, the registration day.
    report = run(service_request(registration={"registered_on": "2026-05-07"},
                                 requested_at="2026-05-06T23:30:00+00:00"))
    assert report.outcome == "allow"
    assert report.facts["route"] == "pack"


def test_service_request_day_before_registration_denied():
    report = run(service_request(registration={"registered_on": "2026-05-08"}))
    assert report.outcome == "deny"
    assert rules(report) == {DENY_Q14}
    assert report.findings[0].faq == ["Q14"]
    assert report.facts["route"] == "spot"


def test_service_request_before_registration_japan_date_decides():
    # 2026-05-07 20:00 -05:00 = 2026-05-08 10:00 JST, the registration day: covered.
    report = run(service_request(registration={"registered_on": "2026-05-08"},
                                 requested_at="2026-05-07T20:00:00-05:00"))
    assert report.outcome == "allow"
    assert report.facts["route"] == "pack"


@pytest.mark.parametrize("requested_at, route", [
    ("2026-03-31T12:00:00+09:00", "warranty"),   # warranty last day
    ("2026-04-01T12:00:00+09:00", "spot"),       # the day after
    ("2026-03-31T15:30:00+00:00", "spot"),       # 2026-04-01 00:30 JST
    ("2025-04-01T00:00:00+09:00", "warranty"),   # warranty first day
])
def test_unregistered_route_warranty_or_spot(requested_at, route):
    report = run(service_request(registration=DROP, requested_at=requested_at))
    assert report.outcome == "deny"
    assert rules(report) == {DENY_Q14}
    assert report.facts["route"] == route
    assert report.facts["covered_now"] is False


@pytest.mark.parametrize("requested_at, route", [
    ("2026-03-31T12:00:00+09:00", "warranty"),
    ("2026-04-01T12:00:00+09:00", "spot"),
])
def test_request_before_registration_route_at_warranty_edge(requested_at, route):
    report = run(service_request(registration={"registered_on": "2026-06-01"}, requested_at=requested_at))
    assert rules(report) == {DENY_Q14}
    assert report.facts["route"] == route


@pytest.mark.parametrize("warranty_years, route", [(1, "spot"), (3, "spot"), (4, "warranty"), (5, "warranty")])
def test_request_after_service_last_day_q5_deny_with_route(warranty_years, route):
    report = run(service_request(server={"warranty_years": warranty_years},
                                 requested_at="2028-04-03T10:00:00+09:00"))
    assert report.outcome == "deny"
    assert rules(report) == {DENY_Q5}
    assert report.findings[0].faq == ["Q5"]
    assert report.facts["route"] == route
    assert report.facts["service_last_day"] == "2028-03-31"


def test_request_on_service_last_day_still_pack():
    report = run(service_request(requested_at="2028-03-31T17:29:59+09:00"))  # Friday
    assert report.outcome == "allow"
    assert rules(report) == set()
    assert report.facts["route"] == "pack"


def test_request_on_service_last_day_in_japan_but_next_day_nowhere_else():
    # 2028-03-31 15:00 UTC = 2028-04-01 00:00 JST: after the service last day in Japan time.
    report = run(service_request(requested_at="2028-03-31T15:00:00+00:00"))
    assert report.outcome == "deny"
    assert DENY_Q5 in rules(report)
    # 14:59:59 UTC is still 2028-03-31 in Japan.
    report = run(service_request(requested_at="2028-03-31T14:59:59+00:00"))
    assert DENY_Q5 not in rules(report)
    assert report.facts["route"] == "pack"


# ------------------------------------------------------------ covered_now needs an active pack

@pytest.mark.parametrize("coverage", ["weekday", "24x365"])
@pytest.mark.parametrize("requested_at, active", [
    ("2026-05-07T10:00:00+09:00", True),    # Thursday, in hours, pack active
    ("2028-04-03T10:00:00+09:00", False),   # Monday in hours, but after the service last day (Q5)
    ("2025-04-14T10:00:00+09:00", False),   # Monday in hours, before the registration completed (Q14)
])
def test_covered_now_only_while_the_pack_is_active(coverage, requested_at, active):
    r = run(service_request(requested_at=requested_at,
                            registration={"coverage": coverage, "registered_on": "2025-04-20"}))
    assert r.facts["covered_now"] is active
    assert (r.facts["route"] == "pack") is active
