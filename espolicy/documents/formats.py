"""The string formats of the schemas (`date`, `date-time`, `email`) and their `pattern`s.

A format is checked by this module's own functions, never by optional jsonschema extras; a
`pattern` is an ECMA-262 regular expression, as JSON Schema says, matched by `regress` (in Python's
`re`, `\\d` also matches other scripts' digits and `$` matches before a final newline).
"""
from __future__ import annotations

import datetime as _dt
import functools
import re

import regress

from espolicy import messages
from espolicy.documents.saferepr import show

__all__ = ["FormatProblem", "parse_date", "parse_datetime", "check_email", "is_email", "Pattern", "pattern_regex",
           "FORMATS"]


class FormatProblem(ValueError):
    """Why a string does not have its format, in English and Japanese."""

    def __init__(self, text: messages.Words) -> None:
        super().__init__(text.en)
        self.en = text.en
        self.ja = text.ja


_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?)?"
    r"(?P<offset>[Zz]|(?P<sign>[+-])(?P<oh>[0-9]{2}):(?P<om>[0-9]{2}))?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_EXAMPLE_DATETIME = "2026-05-04T10:15:00+09:00"


def parse_date(text: str) -> _dt.date:
    """The calendar date `YYYY-MM-DD` names; FormatProblem when it is not written so or does not exist."""
    m = _DATE.fullmatch(text)
    if m is None:
        raise FormatProblem(messages.words("date-form", text=show(text)))
    try:
        return _dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise FormatProblem(messages.words("date-missing", text=text)) from None


def parse_datetime(text: str) -> _dt.datetime:
    """The aware datetime an RFC 3339 `date-time` names (seconds and UTC offset required; no leap second)."""
    m = _DATETIME.fullmatch(text)
    if m is None:
        raise FormatProblem(messages.words("datetime-form", text=show(text), example=_EXAMPLE_DATETIME))
    if m["second"] is None:
        raise FormatProblem(messages.words("datetime-no-seconds", text=text, example=_EXAMPLE_DATETIME))
    if m["offset"] is None:
        raise FormatProblem(messages.words("datetime-no-offset", text=text))
    try:
        return _dt.datetime.combine(parse_date(m["date"]), _time_of(m), _offset_of(m))
    except ValueError:
        raise FormatProblem(messages.words("datetime-missing", text=text)) from None


def _time_of(m: re.Match[str]) -> _dt.time:
    """The time of day of a `_DATETIME` match; ValueError when out of range."""
    micro = int((m["fraction"] or "0")[:6].ljust(6, "0"))
    return _dt.time(int(m["hour"]), int(m["minute"]), int(m["second"]), micro)


def _offset_of(m: re.Match[str]) -> _dt.timezone:
    """The UTC offset of a `_DATETIME` match (`Z` is UTC); ValueError when out of range."""
    if m["sign"] is None:
        return _dt.timezone.utc
    hours, minutes = int(m["oh"]), int(m["om"])
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    delta = _dt.timedelta(hours=hours, minutes=minutes)
    return _dt.timezone(-delta if m["sign"] == "-" else delta)


def is_email(text: str) -> bool:
    """True for one `@`, no spaces, a dotted domain."""
    return _EMAIL.fullmatch(text) is not None


def check_email(text: str) -> str:
    """`text` when it is an email address (`is_email`); FormatProblem when not."""
    if not is_email(text):
        raise FormatProblem(messages.words("email-form", text=show(text)))
    return text


# The format checks, by format name: each raises FormatProblem for a string without its format.
FORMATS = {"date": parse_date, "date-time": parse_datetime, "email": check_email}


class Pattern:
    """A schema `pattern`: an ECMA-262 regular expression in Unicode mode, searched anywhere in a
    string (JSON Schema's `pattern` is not anchored)."""

    __slots__ = ("source", "_regex")

    def __init__(self, source: str) -> None:
        self.source = source
        self._regex = regress.Regex(source, "u")   # regress.RegressError when it is not ECMA-262

    def search(self, text: str) -> bool:
        """True when the pattern matches somewhere in `text`; False for a text that is not Unicode
        (a lone surrogate, which only Python callers can pass)."""
        try:
            return self._regex.find(text) is not None
        except UnicodeEncodeError:
            return False

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return (Pattern, (self.source,))


@functools.lru_cache(maxsize=None)
def pattern_regex(pattern: str) -> Pattern:
    """The compiled `pattern` (shared: a schema names each pattern once); ValueError when it is not
    an ECMA-262 regular expression."""
    try:
        return Pattern(pattern)
    except regress.RegressError as e:
        raise ValueError(f"`{pattern}` is not an ECMA-262 regular expression: {e}") from None
