"""A valid document as the rules read it: dates and datetimes parsed, defaults filled in."""
from __future__ import annotations

import copy

from espolicy.documents.formats import parse_date, parse_datetime
from espolicy.lang.types import TDate, TDateTime, TList, TRecord, Type

__all__ = ["decode"]


def decode(t: Type, value: object) -> object:
    """`value` of type `t` with date strings parsed and record defaults filled in, as new objects."""
    if isinstance(t, TRecord) and isinstance(value, dict):
        out = {k: decode(t.fields[k].type, v) if k in t.fields else v for k, v in value.items()}
        for name, f in t.fields.items():
            if name not in value and f.default is not None:
                out[name] = decode(f.type, copy.deepcopy(f.default))
        return out
    if isinstance(t, TList) and isinstance(value, list):
        return [decode(t.item, v) for v in value]
    if isinstance(t, TDate) and isinstance(value, str):
        return parse_date(value)
    if isinstance(t, TDateTime) and isinstance(value, str):
        return parse_datetime(value)
    return value
