"""Reading a requested term written as text (contract §6, "Term texts"): whole or decimal years
(`6`, `6 years`, `６年`, `6年間`, `5.5 years`), months (`18 months`, `18ヶ月`, `か月`, `カ月`,
`箇月`), years and months (`5年6ヶ月`), an end date (`2029-03-31`), or a change written
`3年→6年` / `3 -> 6 years`, where the new term is the last one.

`read_term` gives `{"months": n}` (the term in months, a started month counted whole) or
`{"end": date}` (the requested last day), or None when the text cannot be read: it never guesses
a number. Reading is linear in the text's length: anchored patterns, possessive repetition.
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from typing import Union

__all__ = ["MONTHS_CAP", "MAX_FRACTION_DIGITS", "read_term"]

MONTHS_CAP = 10 ** 18
"""A term of this many months or more reads as this many (larger than any term, and cheap)."""
MAX_FRACTION_DIGITS = 18
"""A number with more significant digits after the point is not read (no person writes one)."""

Term = dict[str, Union[int, _dt.date]]

_YEAR = r"(?:years?|yrs?|年間?|[かカヵヶケ箇]年間?)"
_MONTH = r"(?:months?|[かカヵヶケ箇]月間?)"
# possessive quantifiers (`++`, `*+`): a run of digits or blanks is never given back, so a failed
# match costs one pass over the text
_NUMBER = r"(\d++)(?:\.(\d++))?+"
_AMOUNT = re.compile(rf"{_NUMBER}\s*+(?:({_YEAR})|({_MONTH}))?")
_YEARS_AND_MONTHS = re.compile(rf"{_NUMBER}\s*+{_YEAR}\s*+(?:and\s*+|と\s*+)?{_NUMBER}\s*+{_MONTH}")
_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})|([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})"
                   r"|([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日")
_ARROW = re.compile(r"->|=>|→|⇒|➔|➡")


def read_term(text: str) -> Term | None:
    """The term a text asks for, `{"months": n}` or `{"end": date}`, or None when unreadable."""
    plain = unicodedata.normalize("NFKC", text).casefold().strip()
    unit = "years"
    term: Term | None = None
    for part in _ARROW.split(plain):   # every part must read; a bare number keeps the unit written before it
        read = _read_part(part.strip(), unit)
        if read is None:
            return None
        term, unit = read
    return term


def _read_part(part: str, unit: str) -> tuple[Term, str] | None:
    m = _AMOUNT.fullmatch(part)
    if m is not None:
        unit = "years" if m.group(3) else "months" if m.group(4) else unit
        term = _in_months(m.group(1), m.group(2), 12 if unit == "years" else 1, 0)
        return None if term is None else (term, unit)
    m = _YEARS_AND_MONTHS.fullmatch(part)
    if m is not None:
        months = _in_months(m.group(3), m.group(4), 1, 0)
        if months is None:
            return None
        term = _in_months(m.group(1), m.group(2), 12, months["months"])  # type: ignore[arg-type]  # months: always an int
        return None if term is None else (term, "months")
    m = _DATE.fullmatch(part)
    if m is None:
        return None
    year, month, day = (int(g) for g in m.groups() if g is not None)
    try:
        return {"end": _dt.date(year, month, day)}, unit
    except ValueError:
        return None


def _in_months(whole: str, fraction: str | None, per_unit: int, plus: int) -> Term | None:
    """`whole.fraction` units of `per_unit` months, plus `plus` months, a started month counted
    whole and capped at MONTHS_CAP; None when the number has too many digits after the point."""
    digits = _ascii(fraction or "").rstrip("0")
    if len(digits) > MAX_FRACTION_DIGITS:
        return None
    whole = _ascii(whole).lstrip("0")
    if len(whole) > 18:
        return {"months": MONTHS_CAP}
    scale = 10 ** len(digits)
    exact = int(whole or "0") * scale + int(digits or "0")   # the number times `scale`
    return {"months": min(MONTHS_CAP, -(-exact * per_unit // scale) + plus)}


def _ascii(digits: str) -> str:
    """Decimal digits of any script as ASCII digits ("٦" → "6")."""
    return digits if digits.isascii() else "".join(str(unicodedata.decimal(ch)) for ch in digits)
