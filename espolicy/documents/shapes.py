"""The type tree of a kind's schema, for the policy's type checker and for decoding documents."""
from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from espolicy.documents.schemafiles import SchemaFileError
from espolicy.lang.types import BOOL, DATE, DATETIME, INT, STR, TAny, Field, TList, TRecord, TStr, TUnion, Type

__all__ = ["shape_of_kind", "type_of"]


def shape_of_kind(kind: str, schema: Mapping[str, Any]) -> TRecord:
    """The type tree of a kind's (inlined) schema; its `kind` field is the one-value string type."""
    record = type_of(schema)
    if not isinstance(record, TRecord):
        raise SchemaFileError(f"the schema of kind `{kind}` does not describe an object")
    fields = dict(record.fields)
    fields["kind"] = Field(TStr(frozenset({kind})), True, None)
    return TRecord(fields)


def type_of(schema: Mapping[str, Any]) -> Type:
    """The type a (sub)schema describes: record, list, union, int, bool, date, datetime or string."""
    kind = schema.get("type")
    if isinstance(kind, list):
        return TUnion(tuple(type_of({**schema, "type": k}) for k in kind))
    if kind == "object":
        required = set(schema.get("required", ()))
        return TRecord({name: _field_of(sub, name in required) for name, sub in schema.get("properties", {}).items()})
    if kind == "array":
        return TList(type_of(schema.get("items", {})))
    if kind == "integer":
        return INT
    if kind == "boolean":
        return BOOL
    if kind == "string":
        return _string_type(schema)
    return TAny()


def _string_type(schema: Mapping[str, Any]) -> Type:
    """DATE, DATETIME, a string with its allowed values, or plain STR."""
    if schema.get("format") == "date":
        return DATE
    if schema.get("format") == "date-time":
        return DATETIME
    if "enum" in schema:
        return TStr(frozenset(schema["enum"]))
    if "const" in schema:
        return TStr(frozenset({schema["const"]}))
    return STR


def _field_of(schema: Mapping[str, Any], required: bool) -> Field:
    """A record field; only an unconditional `required` makes it required (not an `if`/`then` one)."""
    return Field(type_of(schema), required, copy.deepcopy(schema.get("default")))
