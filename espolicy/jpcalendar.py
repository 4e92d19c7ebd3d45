"""Pure date and time functions behind the policy's built-ins (docs/contract.md §2, §3).

All service-hour judgements are made in Japan time (UTC+09:00, no DST).  The national
holiday calendar comes from the ``holidays`` package, imported lazily on first use so
that ``import espolicy`` stays fast.
"""

from __future__ import annotations

import threading
import time as _time
from datetime import date, datetime, time, timedelta, timezone

__all__ = [
    "JST",
    "period_last_day",
    "days_between",
    "to_japan",
    "japan_date",
    "japan_time",
    "japan_today",
    "weekday_name",
    "holiday_name",
    "is_business_day",
    "next_business_day",
    "next_window_start",
]

JST: timezone = timezone(timedelta(hours=9), "JST")
"""Japan Standard Time: UTC+09:00, no daylight saving time."""

_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ONE_DAY = timedelta(days=1)


def _as_date(d: date) -> date:
    """A plain ``date`` (a ``datetime`` is a ``date`` subclass; drop its time part)."""
    if isinstance(d, datetime):
        return d.date()
    if not isinstance(d, date):
        raise TypeError(f"expected a date, got {type(d).__name__}")
    return d


# --------------------------------------------------------------------------- periods


def period_last_day(start: date, years: int) -> date:
    """Last day of a period of ``years`` years from ``start`` (contract §2, Civil Code art. 143).

    It is the day before the same date ``years`` later; when that date does not exist
    (29 February -> non-leap year) it is the last day of that February.  ``years == 0``
    gives ``start - 1 day``.  Raises ``ValueError`` for negative ``years`` or when the last
    day is not representable (after 9999-12-31 or before 0001-01-01).
    """
    if start.__class__ is date and years.__class__ is int and years > 0:  # the common case, fast
        try:
            return start.replace(year=start.year + years) - _ONE_DAY
        except (ValueError, OverflowError):
            pass  # 29 February, or beyond year 9999: the careful path below
    start = _as_date(start)
    if isinstance(years, bool) or not isinstance(years, int):
        raise TypeError(f"years must be an int, got {type(years).__name__}")
    if years < 0:
        raise ValueError(f"years must be >= 0, got {years}")
    if years == 0:
        if start == date.min:
            raise ValueError(f"the period starting {start.isoformat()} ends before year 1")
        return start - _ONE_DAY

    target_year = start.year + years
    if target_year > date.max.year:
        # The only representable case: the anniversary is 10000-01-01, last day 9999-12-31.
        if target_year == date.max.year + 1 and (start.month, start.day) == (1, 1):
            return date.max
        raise ValueError(
            f"the period of {years} year(s) from {start.isoformat()} ends after year "
            f"{date.max.year}"
        )
    try:
        anniversary = start.replace(year=target_year)
    except ValueError:
        # 29 February with a non-leap target year: the period ends on the last day of
        # that February (art. 143 para. 2 proviso), i.e. 28 February.
        return date(target_year, 2, 28)
    return anniversary - _ONE_DAY


def days_between(a: date, b: date) -> int:
    """Number of days from ``a`` to ``b`` (``b - a``; negative when ``b`` is before ``a``)."""
    if a.__class__ is date and b.__class__ is date:
        return (b - a).days
    return (_as_date(b) - _as_date(a)).days


# --------------------------------------------------------------------------- Japan time


def to_japan(dt: datetime) -> datetime:
    """``dt`` converted to Japan time (tzinfo=JST); a naive ``dt`` raises ``ValueError``."""
    global _last_converted
    last = _last_converted
    if last[0] is dt:   # the moment converted just before (a rule's date, then its time of day)
        return last[1]
    if not isinstance(dt, datetime):
        raise TypeError(f"expected a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"datetime {dt.isoformat()} has no UTC offset (ambiguous)")
    try:
        converted = dt.astimezone(JST)
    except OverflowError as exc:
        raise ValueError(f"datetime {dt.isoformat()} is out of range in Japan time") from exc
    _last_converted = (dt, converted)   # (held, so `is` never matches another object at the same address)
    return converted


_last_converted: tuple[object, datetime] = (None, datetime.min.replace(tzinfo=JST))


def japan_date(dt: datetime) -> date:
    """The calendar date of ``dt`` in Japan time."""
    return to_japan(dt).date()


_today_cache: tuple[float, date] = (0.0, date.min)


def japan_today() -> date:
    """The current date in Japan time (the clock is read once a second at most)."""
    global _today_cache
    now = _time.time()
    until, day = _today_cache
    if now < until:
        return day
    day = datetime.fromtimestamp(now, JST).date()
    _today_cache = (now + 1.0, day)
    return day


def japan_time(dt: datetime) -> time:
    """The time of day of ``dt`` in Japan time (hour, minute, second; no tzinfo)."""
    return to_japan(dt).time().replace(microsecond=0)


def weekday_name(d: date) -> str:
    """English weekday name of ``d``: "Monday" … "Sunday" (locale independent)."""
    return _WEEKDAY_NAMES[(d if d.__class__ is date else _as_date(d)).weekday()]


# --------------------------------------------------------------------------- holidays

_holiday_cache: dict[int, dict[date, str]] = {}
_holiday_lock = threading.Lock()


def _holidays_of_year(year: int) -> dict[date, str]:
    """``{date: Japanese name}`` of the national holidays of ``year``; built once per year."""
    cached = _holiday_cache.get(year)
    if cached is not None:
        return cached
    with _holiday_lock:
        cached = _holiday_cache.get(year)
        if cached is not None:
            return cached
        import holidays  # lazy: keeps `import espolicy` fast

        japan_cls = holidays.Japan
        first = getattr(japan_cls, "start_year", None)
        last = getattr(japan_cls, "end_year", None)
        table: dict[date, str]
        if (first is not None and year < first) or (last is not None and year > last):
            table = {}
        else:
            try:
                calendar = japan_cls(years=year, language="ja")
            except (NotImplementedError, ValueError, KeyError):
                # a year the package does not cover
                table = {}
            else:
                table = {_as_date(d): str(name) for d, name in calendar.items()}
        _holiday_cache[year] = table
        return table


def holiday_name(d: date) -> str | None:
    """Japanese name of the national holiday on ``d`` (国民の祝日, 国民の休日, 振替休日), else ``None``.

    Years the ``holidays`` package does not cover give ``None``.
    """
    if d.__class__ is not date:
        d = _as_date(d)
    table = _holiday_cache.get(d.year)
    return (table if table is not None else _holidays_of_year(d.year)).get(d)


def is_business_day(d: date) -> bool:
    """True when ``d`` is Monday–Friday and not a national holiday."""
    if d.__class__ is not date:
        d = _as_date(d)
    return d.weekday() < 5 and holiday_name(d) is None


def next_business_day(d: date) -> date:
    """The first date on or after ``d`` that is a business day (the registration center's next opening day)."""
    if d.__class__ is not date:
        d = _as_date(d)
    while not is_business_day(d):
        if d == date.max:
            raise ValueError("no business day on or before 9999-12-31")
        d += _ONE_DAY
    return d


# --------------------------------------------------------------------------- service hours


def _check_window(start: time, end: time) -> None:
    for name, t in (("start", start), ("end", end)):
        if not isinstance(t, time):
            raise TypeError(f"{name} must be a datetime.time, got {type(t).__name__}")
        if t.tzinfo is not None:
            raise ValueError(f"{name} must be a naive time of day (Japan time), got {t}")
    if not start < end:
        raise ValueError(f"the window start {start} must be before its end {end}")


def next_window_start(dt: datetime, start: time, end: time) -> datetime:
    """The first Monday–Friday ``start`` (Japan time, tzinfo=JST) strictly after ``dt``.

    Outside the window this is the next window's start (national holidays are service days).
    When ``dt`` is inside a window (including exactly at its start) the result is the start of
    the NEXT window, i.e. the following weekday's ``start``.  ``start < end`` is required.
    """
    _check_window(start, end)
    local = to_japan(dt)
    day = local.date()
    try:
        while True:
            if day.weekday() < 5:
                candidate = datetime.combine(day, start, tzinfo=JST)
                if candidate > local:
                    return candidate
            day += _ONE_DAY
    except OverflowError as exc:
        raise ValueError(f"no service window after {dt.isoformat()} before year 10000") from exc
