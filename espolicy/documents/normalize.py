"""Documents as the schemas see them: dates as ISO strings, tuples as lists, mappings as dicts."""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

__all__ = ["normalize", "is_plain_json"]

_SCALARS = frozenset({str, int, float, bool, type(None)})
_PLAIN_CLASSES = _SCALARS | {dict, list}
_MAX_DEPTH = 32      # as `saferepr.plain`: deeper values are the full checker's
_MAX_BITS = 10_000   # a larger int shows differently once the full checker copies it


def normalize(value: object) -> object:
    """A copy of `value` with dates as ISO strings and tuples as lists; anything else unchanged.

    `datetime` -> `isoformat()` (a naive one stays naive, so it fails `date-time`), `date` ->
    `YYYY-MM-DD`, tuple -> list, any mapping -> dict. Works without recursion, so deep nesting,
    shared parts and cycles (YAML aliases, Python objects) are copied as they are.
    """
    memo: dict[int, object] = {}
    pending: list[tuple[object, object]] = []
    root = _normalized_shell(value, memo, pending)
    while pending:
        original, copied = pending.pop()
        if copied.__class__ is list:
            copied.extend([_normalized_shell(item, memo, pending) for item in original])  # type: ignore[attr-defined]
        else:
            for key, item in original.items():  # type: ignore[attr-defined]
                copied[key] = _normalized_shell(item, memo, pending)  # type: ignore[index]
    return root


def _normalized_shell(value: object, memo: dict[int, object], pending: list[tuple[object, object]]) -> object:
    """`value` converted if it is a date; an empty copy, queued for filling, if it is a container."""
    cls = value.__class__
    if cls in _SCALARS:   # the common case, without the slower isinstance checks below
        return value
    if isinstance(value, _dt.date):   # datetime included: its own isoformat
        return value.isoformat()
    if cls is not dict and cls is not list and not isinstance(value, (list, tuple, Mapping)):
        return value
    if id(value) in memo:
        return memo[id(value)]
    copied: object = {} if cls is dict or isinstance(value, Mapping) else []
    memo[id(value)] = copied
    pending.append((value, copied))
    return copied


def is_plain_json(value: Any, depth: int = 0) -> bool:
    """True when `value` holds exact JSON types only (str keys, ints of sane size), nested at most
    `_MAX_DEPTH` deep: `normalize` would change nothing, and every checker sees the same values."""
    cls = value.__class__
    if cls is dict:
        return depth < _MAX_DEPTH and all(k.__class__ is str and is_plain_json(v, depth + 1) for k, v in value.items())
    if cls is list:
        return depth < _MAX_DEPTH and all(is_plain_json(v, depth + 1) for v in value)
    if cls is int:
        return value.bit_length() <= _MAX_BITS
    return cls in _PLAIN_CLASSES
