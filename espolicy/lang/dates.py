"""Dates and times in texts, as each language writes them (facts and JSON stay ISO 8601):

| value | en | ja |
|---|---|---|
| date | `Mon 11 May 2026` | `2026年5月11日（月）` |
| moment (shown in Japan time) | `Mon 11 May 2026, 08:30` | `2026年5月11日（月）8:30` |
| time of day | `08:30` | `8:30` |

and `format(value, "PATTERN")` for another form.
"""
from __future__ import annotations

import datetime as _dt
import re

from espolicy.jpcalendar import to_japan

_EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_DAYS_LONG = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_JA_DAYS = ("月", "火", "水", "木", "金", "土", "日")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EN_MONTHS_LONG = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                   "October", "November", "December")


def date_text(d: _dt.date, lang: str) -> str:
    """`Mon 11 May 2026` / `2026年5月11日（月）`."""
    return date_text_ja(d) if lang == "ja" else date_text_en(d)


def date_text_en(d: _dt.date) -> str:
    """`Mon 11 May 2026`."""
    return f"{_EN_DAYS[d.weekday()]} {d.day} {_EN_MONTHS[d.month - 1]} {d.year}"


def date_text_ja(d: _dt.date) -> str:
    """`2026年5月11日（月）`."""
    return f"{d.year}年{d.month}月{d.day}日（{_JA_DAYS[d.weekday()]}）"


def moment_text(m: _dt.datetime, lang: str) -> str:
    """`Mon 11 May 2026, 08:30` / `2026年5月11日（月）8:30`, in Japan time (ISO 8601 for a moment that
    has no date in Japan time, at the very ends of the calendar: rendering never raises)."""
    try:
        j = to_japan(m)
    except ValueError:
        return m.isoformat(timespec="seconds")
    if lang == "ja":
        return f"{date_text(j.date(), lang)}{j.hour}:{j.minute:02d}"
    return f"{date_text(j.date(), lang)}, {j.hour:02d}:{j.minute:02d}"


def time_text(t: _dt.time, lang: str) -> str:
    """`08:30` / `8:30`."""
    return f"{t.hour}:{t.minute:02d}" if lang == "ja" else f"{t.hour:02d}:{t.minute:02d}"


# Longest first, so that `MMMM` is not read as `MM` twice.
_TOKENS = re.compile(r"YYYY|MMMM|MMM|MM|M|DD|D|HH|H|mm|dddd|ddd|aaa")
PATTERN_HELP = ("YYYY year, MMMM/MMM/MM/M month (May, May, 05, 5), DD/D day, HH/H hour, mm minute, "
                "dddd/ddd weekday (Monday, Mon), aaa Japanese weekday (月); other characters as written")


def format_value(value: _dt.date | _dt.datetime | _dt.time, pattern: str) -> str:
    """The value written by `pattern` (PATTERN_HELP); a moment in Japan time."""
    if isinstance(value, _dt.datetime):
        value = to_japan(value)
    d = value if isinstance(value, _dt.date) else None
    t = value if isinstance(value, _dt.time) else (value.time() if isinstance(value, _dt.datetime) else None)

    def one(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok[0] in "YMDda":
            if d is None:
                return tok  # a time of day has no date part: the token stays as written
            return {"YYYY": f"{d.year:04d}", "MMMM": _EN_MONTHS_LONG[d.month - 1], "MMM": _EN_MONTHS[d.month - 1],
                    "MM": f"{d.month:02d}", "M": str(d.month), "DD": f"{d.day:02d}", "D": str(d.day),
                    "dddd": _EN_DAYS_LONG[d.weekday()], "ddd": _EN_DAYS[d.weekday()],
                    "aaa": _JA_DAYS[d.weekday()]}[tok]
        if t is None:
            return tok
        return {"HH": f"{t.hour:02d}", "H": str(t.hour), "mm": f"{t.minute:02d}"}[tok]

    return _TOKENS.sub(one, pattern)
