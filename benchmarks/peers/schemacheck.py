"""Schema validation alone, by the JSON Schema libraries a user already knows, over `schemas/*.json`.

Each checker answers `is_valid(doc) -> bool` for a raw JSON document, dispatching on `kind` (a
document of no known kind is invalid). Formats are checked where the library can: `jsonschema`
with its FORMAT_CHECKER (date, date-time via rfc3339-validator, email), `jsonschema-rs` with
`validate_formats=True`, `fastjsonschema` with its built-in (regex) formats.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def load_schemas() -> dict[str, dict[str, Any]]:
    out = {}
    for p in sorted(SCHEMAS.glob("*.json")):
        schema = json.loads(p.read_text(encoding="utf-8"))
        out[schema["properties"]["kind"]["const"]] = schema
    return out


class _ByKind:
    name = ""
    note = ""

    def __init__(self, make: Callable[[dict[str, Any]], Callable[[Any], bool]]) -> None:
        self.check = {kind: make(schema) for kind, schema in load_schemas().items()}

    def is_valid(self, doc: Any) -> bool:
        check = self.check.get(doc.get("kind")) if isinstance(doc, dict) else None
        return check is not None and check(doc)


def jsonschema_checker() -> _ByKind:
    from jsonschema import Draft202012Validator

    def make(schema: dict[str, Any]) -> Callable[[Any], bool]:
        return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).is_valid

    c = _ByKind(make)
    c.name = "jsonschema (Draft202012Validator + formats)"
    return c


def fastjsonschema_checker() -> _ByKind:
    import fastjsonschema

    def make(schema: dict[str, Any]) -> Callable[[Any], bool]:
        validate = fastjsonschema.compile(schema)

        def is_valid(doc: Any) -> bool:
            try:
                validate(doc)
                return True
            except fastjsonschema.JsonSchemaException:
                return False
        return is_valid

    c = _ByKind(make)
    c.name = "fastjsonschema (compiled)"
    return c


def jsonschema_rs_checker() -> _ByKind:
    import jsonschema_rs

    def make(schema: dict[str, Any]) -> Callable[[Any], bool]:
        return jsonschema_rs.validator_for(schema, validate_formats=True).is_valid

    c = _ByKind(make)
    c.name = "jsonschema-rs (formats on)"
    return c


CHECKERS = {"jsonschema": jsonschema_checker, "fastjsonschema": fastjsonschema_checker,
            "jsonschema_rs": jsonschema_rs_checker}
