"""JSON response bodies: compact UTF-8, as Starlette's JSONResponse writes them, by orjson when it
is installed (about ten times the standard library's speed on a decision), else, and for what
orjson refuses (an integer beyond 64 bits, nesting beyond 254 levels), by the standard library.
Values JSON has no type for (dates and times of an echoed YAML document) are written as `str()`
writes them, by both.
"""
from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - the serve extra installs it
    orjson = None  # type: ignore[assignment]

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
_OPTIONS = (orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME) if orjson is not None else 0


def json_bytes(value: Any) -> bytes:
    """`value` as a compact JSON text in UTF-8."""
    if orjson is not None:
        try:
            return orjson.dumps(value, default=str, option=_OPTIONS)
        except orjson.JSONEncodeError:
            pass
    return standard_json_bytes(value)


def standard_json_bytes(value: Any) -> bytes:
    """`json_bytes` by the standard library alone."""
    return _ENCODER.encode(value).encode("utf-8")
