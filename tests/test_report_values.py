"""Facts of dates are ISO strings: equal values hash alike, so they work as keys and in sets."""
from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from espolicy.report import IsoDate, IsoDateTime, fact_value

JST = dt.timezone(dt.timedelta(hours=9))


@given(st.dates())
def test_a_date_fact_is_its_iso_string(day: dt.date) -> None:
    fact = fact_value(day)
    assert isinstance(fact, IsoDate) and fact == day.isoformat() and hash(fact) == hash(day.isoformat())
    assert fact.value == day
    assert {fact, day.isoformat()} == {day.isoformat()}


@given(st.dates(), st.dates())
def test_equal_date_facts_hash_alike(a: dt.date, b: dt.date) -> None:
    fa, fb = fact_value(a), fact_value(b)
    assert (fa == fb) is (a == b)
    if fa == fb:
        assert hash(fa) == hash(fb)


@given(st.datetimes(timezones=st.just(JST)).map(lambda d: d.replace(microsecond=0)))
def test_a_datetime_fact_is_its_iso_string(moment: dt.datetime) -> None:
    fact = fact_value(moment)
    assert isinstance(fact, IsoDateTime) and fact == moment.isoformat() and hash(fact) == hash(moment.isoformat())
    assert fact.value == moment


def test_a_fact_is_not_equal_to_a_date_object() -> None:
    """Equal to both the string and the date, it could not hash like both: it is a string."""
    assert fact_value(dt.date(2026, 5, 4)) != dt.date(2026, 5, 4)
