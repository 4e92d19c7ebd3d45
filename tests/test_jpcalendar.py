"""Tests for espolicy.jpcalendar (docs/contract.md §2 and the date facts of §3)."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from espolicy.jpcalendar import (
    JST,
    days_between,
    holiday_name,
    is_business_day,
    japan_date,
    japan_time,
    next_business_day,
    next_window_start,
    period_last_day,
    to_japan,
    weekday_name,
)

START = time(8, 30)
END = time(17, 30)

# --------------------------------------------------------------------------- strategies

dates_1900_2200 = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
aware_datetimes = st.builds(
    lambda naive, tz: naive.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2150, 12, 31)),
    offsets,
)


def _anniversary_or_march_1(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


# --------------------------------------------------------------------------- period_last_day


@pytest.mark.parametrize(
    ("start", "years", "last"),
    [
        # contract §2 examples
        (date(2025, 4, 1), 3, date(2028, 3, 31)),
        (date(2024, 2, 29), 1, date(2025, 2, 28)),
        # Feb 29 cases
        (date(2024, 2, 29), 4, date(2028, 2, 28)),  # anniversary exists: day before it
        (date(2024, 2, 29), 2, date(2026, 2, 28)),
        (date(2024, 2, 29), 5, date(2029, 2, 28)),
        (date(2096, 2, 29), 4, date(2100, 2, 28)),  # 2100 is not a leap year
        (date(1996, 2, 29), 4, date(2000, 2, 28)),  # 2000 is a leap year: 2000-02-29 - 1
        (date(2023, 3, 1), 1, date(2024, 2, 29)),  # ends on a leap day
        (date(2024, 2, 28), 1, date(2025, 2, 27)),
        # month and year ends
        (date(2025, 1, 1), 1, date(2025, 12, 31)),
        (date(2025, 1, 31), 3, date(2028, 1, 30)),
        (date(2025, 12, 31), 1, date(2026, 12, 30)),
        (date(2025, 5, 1), 5, date(2030, 4, 30)),
        (date(2025, 3, 1), 1, date(2026, 2, 28)),
        (date(2027, 3, 1), 1, date(2028, 2, 29)),
        # years == 0: the day before start
        (date(2025, 4, 1), 0, date(2025, 3, 31)),
        (date(2025, 1, 1), 0, date(2024, 12, 31)),
        # the very end of the date range is still representable
        (date(9999, 1, 1), 1, date(9999, 12, 31)),
        (date(9998, 12, 31), 1, date(9999, 12, 30)),
    ],
)
def test_period_last_day_examples(start: date, years: int, last: date) -> None:
    assert period_last_day(start, years) == last


@pytest.mark.parametrize(
    ("start", "years"),
    [
        (date(9999, 6, 1), 1),
        (date(9999, 12, 31), 1),
        (date(9990, 4, 1), 10),
        (date(9996, 2, 29), 4),
        (date(1, 1, 1), 0),
    ],
)
def test_period_last_day_out_of_range_raises_value_error(start: date, years: int) -> None:
    with pytest.raises(ValueError, match="year"):
        period_last_day(start, years)


def test_period_last_day_rejects_negative_years() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        period_last_day(date(2025, 4, 1), -1)


def test_period_last_day_returns_plain_date_for_datetime_input() -> None:
    result = period_last_day(datetime(2025, 4, 1, 12, 0), 3)
    assert type(result) is date
    assert result == date(2028, 3, 31)


@given(start=dates_1900_2200, years=st.integers(min_value=1, max_value=10))
def test_last_day_plus_one_is_anniversary_or_march_1(start: date, years: int) -> None:
    last = period_last_day(start, years)
    assert last + timedelta(days=1) == _anniversary_or_march_1(start, years)


@given(start=dates_1900_2200, years=st.integers(min_value=0, max_value=10))
def test_last_day_not_before_day_before_start(start: date, years: int) -> None:
    assert period_last_day(start, years) >= start - timedelta(days=1)


@given(start=dates_1900_2200, years=st.integers(min_value=0, max_value=9))
def test_last_day_strictly_increasing_in_years(start: date, years: int) -> None:
    assert period_last_day(start, years) < period_last_day(start, years + 1)


@given(start=dates_1900_2200, years=st.integers(min_value=1, max_value=10))
def test_last_day_is_within_one_day_of_calendar_years(start: date, years: int) -> None:
    # A period of n years lasts 365*n + (leap days) days: between 365n and 366n days.
    length = days_between(start, period_last_day(start, years)) + 1
    assert 365 * years <= length <= 366 * years


# --------------------------------------------------------------------------- days_between


def test_days_between_examples() -> None:
    assert days_between(date(2025, 4, 1), date(2026, 4, 10)) == 374
    assert days_between(date(2026, 4, 10), date(2025, 4, 1)) == -374
    assert days_between(date(2024, 2, 28), date(2024, 3, 1)) == 2
    assert days_between(date(2025, 2, 28), date(2025, 3, 1)) == 1
    assert days_between(date(2026, 1, 1), date(2026, 1, 1)) == 0


@given(a=dates_1900_2200, b=dates_1900_2200)
def test_days_between_antisymmetric(a: date, b: date) -> None:
    assert days_between(a, b) == -days_between(b, a)
    assert a + timedelta(days=days_between(a, b)) == b


@given(a=dates_1900_2200, b=dates_1900_2200, c=dates_1900_2200)
def test_days_between_additive(a: date, b: date, c: date) -> None:
    assert days_between(a, b) + days_between(b, c) == days_between(a, c)


# --------------------------------------------------------------------------- Japan time


def test_to_japan_converts_and_rejects_naive() -> None:
    dt = datetime(2026, 5, 8, 23, 30, tzinfo=timezone.utc)
    jp = to_japan(dt)
    assert jp == dt
    assert jp.utcoffset() == timedelta(hours=9)
    assert (jp.year, jp.month, jp.day, jp.hour, jp.minute) == (2026, 5, 9, 8, 30)
    with pytest.raises(ValueError, match="offset"):
        to_japan(datetime(2026, 5, 4, 10, 15))


def test_to_japan_out_of_range_raises_value_error() -> None:
    with pytest.raises(ValueError):
        to_japan(datetime(9999, 12, 31, 20, 0, tzinfo=timezone.utc))


def test_japan_date_and_time() -> None:
    dt = datetime(2026, 5, 10, 23, 30, 15, 123456, tzinfo=timezone.utc)
    assert japan_date(dt) == date(2026, 5, 11)
    t = japan_time(dt)
    assert t == time(8, 30, 15)
    assert t.tzinfo is None
    with pytest.raises(ValueError):
        japan_date(datetime(2026, 5, 10))
    with pytest.raises(ValueError):
        japan_time(datetime(2026, 5, 10))


def test_weekday_name() -> None:
    assert weekday_name(date(2026, 5, 4)) == "Monday"
    assert weekday_name(date(2026, 5, 8)) == "Friday"
    assert weekday_name(date(2026, 5, 9)) == "Saturday"
    assert weekday_name(date(2026, 5, 10)) == "Sunday"
    assert [weekday_name(date(2026, 5, 4) + timedelta(days=i)) for i in range(7)] == [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]


# --------------------------------------------------------------------------- holidays


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 4, 29), "昭和の日"),
        (date(2026, 5, 3), "憲法記念日"),
        (date(2026, 5, 4), "みどりの日"),
        (date(2026, 5, 5), "こどもの日"),
        (date(2026, 5, 6), "振替休日"),
        (date(2026, 9, 21), "敬老の日"),
        (date(2026, 9, 22), "国民の休日"),
        (date(2026, 9, 23), "秋分の日"),
        (date(2026, 1, 1), "元日"),
    ],
)
def test_holiday_name(day: date, name: str) -> None:
    assert holiday_name(day) == name


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 5, 7),  # a plain Thursday
        date(2026, 5, 2),  # a plain Saturday: weekends are not holidays
        date(2026, 4, 30),
        date(2026, 9, 24),
    ],
)
def test_plain_day_has_no_holiday_name(day: date) -> None:
    assert holiday_name(day) is None


@pytest.mark.parametrize("year", [1, 1900, 2500, 9999])
def test_uncovered_years_have_no_holidays(year: int) -> None:
    assert holiday_name(date(year, 1, 1)) is None


def test_holiday_name_is_thread_safe() -> None:
    results: list[str | None] = []
    lock = threading.Lock()

    def worker() -> None:
        name = holiday_name(date(2031, 5, 5))
        with lock:
            results.append(name)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["こどもの日"] * 16


def test_is_business_day() -> None:
    assert is_business_day(date(2026, 5, 7))  # Thursday
    assert not is_business_day(date(2026, 5, 6))  # 振替休日 on a Wednesday
    assert not is_business_day(date(2026, 5, 4))  # holiday Monday
    assert not is_business_day(date(2026, 5, 9))  # Saturday
    assert not is_business_day(date(2026, 5, 10))  # Sunday


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 5, 2), date(2026, 5, 7)),  # Saturday: skips Golden Week
        (date(2026, 4, 29), date(2026, 4, 30)),
        (date(2026, 9, 19), date(2026, 9, 24)),  # Silver Week
        (date(2026, 5, 7), date(2026, 5, 7)),  # a business day -> itself
        (date(2026, 5, 8), date(2026, 5, 8)),
        (date(2026, 5, 9), date(2026, 5, 11)),  # weekend -> Monday
    ],
)
def test_next_business_day(day: date, expected: date) -> None:
    assert next_business_day(day) == expected


@given(day=st.dates(min_value=date(1950, 1, 1), max_value=date(2098, 12, 1)))
def test_next_business_day_property(day: date) -> None:
    result = next_business_day(day)
    assert result >= day
    assert is_business_day(result)
    d = day
    while d < result:
        assert not is_business_day(d)
        d += timedelta(days=1)


# --------------------------------------------------------------------------- next_window_start


@pytest.mark.parametrize(
    ("given_at", "expected"),
    [
        ("2026-05-08T18:00:00+09:00", "2026-05-11T08:30:00+09:00"),  # Friday evening
        ("2026-05-09T10:00:00+09:00", "2026-05-11T08:30:00+09:00"),  # Saturday
        ("2026-05-10T23:59:59+09:00", "2026-05-11T08:30:00+09:00"),  # Sunday night
        ("2026-05-11T07:00:00+09:00", "2026-05-11T08:30:00+09:00"),  # Monday early
        ("2026-05-11T17:30:00+09:00", "2026-05-12T08:30:00+09:00"),  # Monday at closing
        ("2026-05-04T07:00:00+09:00", "2026-05-04T08:30:00+09:00"),  # holiday Monday
        ("2026-05-08T23:30:00+00:00", "2026-05-11T08:30:00+09:00"),  # Saturday in JST
        ("2026-05-11T08:29:59+09:00", "2026-05-11T08:30:00+09:00"),
        # inside a window (also exactly at its start): the next weekday's start
        ("2026-05-11T08:30:00+09:00", "2026-05-12T08:30:00+09:00"),
        ("2026-05-11T12:00:00+09:00", "2026-05-12T08:30:00+09:00"),
        ("2026-05-08T12:00:00+09:00", "2026-05-11T08:30:00+09:00"),  # inside, Friday
    ],
)
def test_next_window_start_examples(given_at: str, expected: str) -> None:
    result = next_window_start(datetime.fromisoformat(given_at), START, END)
    assert result.isoformat() == expected
    assert result.tzinfo is JST


def test_next_window_start_rejects_naive() -> None:
    with pytest.raises(ValueError):
        next_window_start(datetime(2026, 5, 9, 10, 0), START, END)


def test_next_window_start_out_of_range_raises_value_error() -> None:
    with pytest.raises(ValueError):
        next_window_start(datetime(9999, 12, 31, 10, 0, tzinfo=JST), START, END)


@given(dt=aware_datetimes)
@settings(max_examples=300)
def test_next_window_start_property(dt: datetime) -> None:
    result = next_window_start(dt, START, END)
    assert result.tzinfo is JST
    assert result.weekday() < 5
    assert result.time() == START
    assert result.second == 0 and result.microsecond == 0
    assert result > dt  # documented: strictly after dt (inside a window -> the next one)
    # no window start lies strictly between dt and the result
    jp = to_japan(dt)
    day = jp.date()
    while day < result.date():
        start_of_day = datetime.combine(day, START, tzinfo=JST)
        if day.weekday() < 5:
            assert not (dt < start_of_day < result)
        day += timedelta(days=1)
    # outside a window, the result is the next time the service is in hours
    if not in_hours(dt):
        assert in_hours(result)
        assert not in_hours(result - timedelta(seconds=1))


def in_hours(dt: datetime) -> bool:
    """Monday–Friday, START <= time of day < END, in Japan time (holidays are service days)."""
    local = to_japan(dt)
    return local.weekday() < 5 and START <= local.time() < END
