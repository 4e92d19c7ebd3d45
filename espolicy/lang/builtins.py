"""The fixed library of functions a rule may call: their types (for the checker) and code (for the compiler)."""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable

from espolicy import jpcalendar as cal
from espolicy.lang import dates, strings
from espolicy.lang.types import (ANY, BOOL, DATE, DATETIME, INT, STR, TIME, Field, TList, TOptional, TRecord, TSet,
                                 TStr, TUnion, Type)
from espolicy.termtext import read_term

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Builtin:
    """A built-in function: parameter types, result type, implementation, one-line description."""

    name: str
    params: tuple[Type, ...]
    result: Type
    impl: Callable[..., Any]
    doc: str

    def signature(self) -> str:
        args = ", ".join(p.describe() for p in self.params)
        return f"{self.name}({args}) -> {self.result.describe()}"


def _add_days(d: _dt.date, n: int) -> _dt.date:
    return d + _dt.timedelta(days=n)


def _count(xs: list[Any]) -> int:
    return len(xs)


_LEADING_NUMBER = re.compile(r"\s*(\d+)")
_NUMBER_CAP = 10 ** 18


def _number_in(text: str) -> int | None:
    """The whole number a text starts with ("6", "6 years", "６年"), or None. A number of 10**18 or
    more reads as 10**18 (still larger than any term: "999999999999 years" is not absent)."""
    m = _LEADING_NUMBER.match(text)
    if m is None:
        return None
    digits = m.group(1)
    if len(digits) > 18 and any(unicodedata.decimal(ch) for ch in digits[:-18]):
        return _NUMBER_CAP
    return int(digits[-18:])


# what read_term gives: exactly one of the two fields
TERM = TRecord({"months": Field(INT, required=False), "end": Field(DATE, required=False)})

BUILTINS: dict[str, Builtin] = {b.name: b for b in (
    Builtin("last_day", (DATE, INT), DATE, cal.period_last_day,
            "last day of a period of N years from a start date (contract §2, Civil Code art. 143)"),
    Builtin("days_between", (DATE, DATE), INT, cal.days_between, "days from the first date to the second"),
    Builtin("add_days", (DATE, INT), DATE, _add_days, "the date N days later (earlier when N < 0)"),
    Builtin("japan_date", (DATETIME,), DATE, cal.japan_date, "the calendar date of a moment in Japan time"),
    Builtin("japan_time", (DATETIME,), TIME, cal.japan_time, "the time of day of a moment in Japan time"),
    Builtin("weekday", (DATE,), TStr(frozenset(WEEKDAYS)), cal.weekday_name, "Monday … Sunday"),
    Builtin("holiday_name", (DATE,), TOptional(STR), cal.holiday_name,
            "the Japanese name of the national holiday on a date, or absent"),
    Builtin("is_holiday", (DATE,), BOOL, lambda d: cal.holiday_name(d) is not None,
            "true on a Japanese national holiday"),
    Builtin("next_window", (DATETIME, TIME, TIME), DATETIME, cal.next_window_start,
            "start (Japan time) of the next Monday–Friday window from START to END after a moment"),
    Builtin("next_business_day", (DATE,), DATE, cal.next_business_day,
            "first Monday–Friday on or after a date that is not a national holiday"),
    Builtin("max", (INT, INT), INT, max, "the larger of two numbers"),
    Builtin("min", (INT, INT), INT, min, "the smaller of two numbers"),
    Builtin("count", (TList(ANY),), INT, _count, "the number of entries in a list"),
    Builtin("number_in", (STR,), TOptional(INT), _number_in,
            "the whole number a text starts with (\"6\", \"6 years\", \"６年\"), or absent"),
    Builtin("lower", (STR,), STR, str.lower, "the text in lower case"),
    Builtin("upper", (STR,), STR, str.upper, "the text in upper case"),
    Builtin("normalize", (STR,), STR, strings.normalize,
            "the text in Unicode NFKC, case folded, each run of spaces, `_` and `-` one space, trimmed "
            "(\"ＵＰＳ_Battery\" → \"ups battery\")"),
    Builtin("starts_with", (STR, STR), BOOL, str.startswith, "true when the first text begins with the second"),
    Builtin("ends_with", (STR, STR), BOOL, str.endswith, "true when the first text ends with the second"),
    Builtin("contains", (STR, STR), BOOL, lambda text, part: part in text,
            "true when the second text occurs in the first"),
    Builtin("length", (TUnion((STR, TList(ANY), TSet(ANY))),), INT, strings.length,
            "the characters of a text, or the entries of a list or set"),
    Builtin("format", (TUnion((DATE, DATETIME, TIME)), STR), STR, dates.format_value,
            "a date, moment (in Japan time) or time of day written by a pattern: " + dates.PATTERN_HELP),
    Builtin("matches", (STR, STR), BOOL, strings.matches,
            "true when the pattern (RE2 syntax, a quoted text in the call) occurs in the text; "
            "anchor it with ^…$ to match the whole text"),
    Builtin("read_term", (STR,), TOptional(TERM), read_term,
            "a requested term written as text: `.months` (years, months, \"3年→6年\") or `.end` (an end date), "
            "or absent when the text cannot be read"),
)}
