"""What every peer shares: rule effects, the outcome, the holiday table and the dates of contract §2.

Each peer judges a *valid* document (the schema stage is espolicy's, for every peer) and returns
`(outcome, fired)`: outcome `allow` | `deny` | `review`, fired a frozenset of rule ids.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

JST = dt.timezone(dt.timedelta(hours=9))
ONE_DAY = dt.timedelta(days=1)
HOLIDAY_YEARS = range(2000, 2051)

# rule id -> effect, exactly as in policy/*.esp
EFFECTS: dict[str, str] = {
    # registration
    "mixed-generations": "deny", "term-beyond-five-years": "deny", "g2-term-not-in-catalogue": "deny",
    "registered-after-service-period": "deny", "registered-after-warranty": "warn",
    "periodic-maintenance-not-included": "deny", "express-notification-24x365-on-weekday-plan": "deny",
    "no-discount-without-express-notification": "deny", "ups-battery-not-covered": "deny",
    "esp-for-earlier-product": "review", "service-ends-without-notice": "info",
    "purchase-after-registration": "deny", "warranty-start-after-registration": "deny",
    # change_request
    "registered-details-change": "info", "coverage-change-not-possible": "deny",
    "term-change-not-possible": "deny", "term-change-beyond-five-years": "deny",
    "server-change-not-possible": "deny", "generation-change-not-possible": "deny",
    "express-notification-hours-on-weekday-plan": "deny", "express-notification-hours-already-included": "info",
    "reissue-not-possible": "deny",
    # service_request
    "no-registration-yet": "deny", "service-period-ended": "deny", "periodic-maintenance-visit": "deny",
    "ups-battery-is-consumable": "deny", "holiday-is-service-day": "info", "outside-weekday-hours": "warn",
}
DENY = frozenset(r for r, e in EFFECTS.items() if e == "deny")
REVIEW = frozenset(r for r, e in EFFECTS.items() if e == "review")


def outcome_of(fired: frozenset[str] | set[str] | list[str]) -> str:
    if not DENY.isdisjoint(fired):
        return "deny"
    if not REVIEW.isdisjoint(fired):
        return "review"
    return "allow"


@lru_cache(maxsize=1)
def holiday_table() -> dict[str, str]:
    """{"YYYY-MM-DD": Japanese name} of the national holidays 2000–2050 (the `holidays` package, in Japanese,
    as espolicy's calendar uses it)."""
    import holidays
    return {d.isoformat(): str(name) for d, name in holidays.Japan(years=HOLIDAY_YEARS, language="ja").items()}


def last_day(start: dt.date, years: int) -> dt.date:
    """Contract §2: the day before the anniversary; 28 February when the anniversary is 29 February."""
    try:
        return start.replace(year=start.year + years) - ONE_DAY
    except ValueError:
        return dt.date(start.year + years, 2, 28)


def last_day_iso(start: str, years: int) -> str:
    return last_day(dt.date.fromisoformat(start), years).isoformat()


_LEADING_NUMBER = re.compile(r"\s*(\d{1,9})(?!\d)")


def requested_years(to: object) -> int | None:
    """The term a change asks for: `to` when it is a number, else the whole number its text starts with
    (the policy's `number_in`: "6", "6 years"), else None."""
    if to.__class__ is int:
        return to  # type: ignore[return-value]
    if isinstance(to, str):
        m = _LEADING_NUMBER.match(to)
        return int(m.group(1)) if m else None
    return None
