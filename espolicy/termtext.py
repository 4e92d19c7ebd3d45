"""Reading a requested term written as text (contract §6, "Term texts"): whole or decimal years
(`6`, `6 years`, `６年`, `6年間`, `5.5 years`), months (`18 months`, `18ヶ月`, `か月`, `カ月`,
`箇月`), years and months (`5年6ヶ月`), an end date (`2029-03-31`), or a change written
`3年→6年` / `3 -> 6 years`, where the new term is the last one.

`read_term` gives `{"months": n}` (the term in months, a started month counted whole) or
`{"end": date}` (the requested last day), or None when the text cannot be read: it never guesses
a number. Reading is linear in the text's length (anchored patterns without nested repetition).
"""
from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from fractions import Fraction
from typing import Union

__all__ = ["MONTHS_CAP", "MAX_FRACTION_DIGITS", "read_term"]

MONTHS_CAP = 10 ** 18
"""A term of this many months or more reads as this many (larger than any term, and cheap)."""
MAX_FRACTION_DIGITS = 18
"""A number with more significant digits after the point is not read (no person writes one)."""

Term = dict[str, Union[int, _dt.date]]

_YEAR = r"(?:years?|yrs?|年間?|[かカヵヶケ箇]年間?)"
_MONTH = r"(?:months?|[かカヵヶケ箇]月間?)"
_NUMBER = r"(\d+)(?:\.(\d+))?"
_AMOUNT = re.compile(rf"{_NUMBER}\s*(?:({_YEAR})|({_MONTH}))?")
_YEARS_AND_MONTHS = re.compile(rf"{_NUMBER}\s*{_YEAR}\s*(?:and\s*|と\s*)?{_NUMBER}\s*{_MONTH}")
_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})|([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})"
                   r"|([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日")
_ARROW = re.compile(r"->|=>|→|⇒|➔|➡")


def read_term(text: str) -> Term | None:
    """The term a text asks for, `{"months": n}` or `{"end": date}`, or None when unreadable."""
    plain = unicodedata.normalize("NFKC", text).casefold().strip()
    parts = [p.strip() for p in _ARROW.split(plain)]
    unit = "years"
    term: Term | None = None
    for part in parts:   # every part must read; a bare number keeps the unit written before it
        read = _read_part(part, unit)
        if read is None:
            return None
        term, unit = read
    return term


def _read_part(part: str, unit: str) -> tuple[Term, str] | None:
    m = _DATE.fullmatch(part)
    if m is not None:
        year, month, day = (int(g) for g in m.groups() if g is not None)
        try:
            return {"end": _dt.date(year, month, day)}, unit
        except ValueError:
            return None
    m = _YEARS_AND_MONTHS.fullmatch(part)
    if m is not None:
        years, months = _exact(m.group(1), m.group(2)), _exact(m.group(3), m.group(4))
        if years is None or months is None:
            return None
        return {"months": _months(years * 12 + months)}, "months"
    m = _AMOUNT.fullmatch(part)
    if m is None:
        return None
    amount = _exact(m.group(1), m.group(2))
    if amount is None:
        return None
    unit = "years" if m.group(3) else "months" if m.group(4) else unit
    return {"months": _months(amount * 12 if unit == "years" else amount)}, unit


def _exact(whole: str, fraction: str | None) -> Fraction | None:
    """The number `whole.fraction` exactly (Unicode decimal digits), capped; None when it has too
    many digits after the point."""
    digits = _ascii(fraction or "").rstrip("0")
    if len(digits) > MAX_FRACTION_DIGITS:
        return None
    whole = _ascii(whole).lstrip("0") or "0"
    if len(whole) > 18:
        return Fraction(MONTHS_CAP)
    value = Fraction(int(whole))
    if digits:
        value += Fraction(int(digits), 10 ** len(digits))
    return value


def _ascii(digits: str) -> str:
    """Decimal digits of any script as ASCII digits ("٦" → "6")."""
    return digits if digits.isascii() else "".join(str(unicodedata.decimal(ch)) for ch in digits)


def _months(value: Fraction) -> int:
    return min(MONTHS_CAP, math.ceil(value))
