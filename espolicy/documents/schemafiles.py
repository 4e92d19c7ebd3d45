"""The schema files of a policy: one JSON Schema per document kind, named by `properties.kind.const`."""
from __future__ import annotations

import json
import pathlib
from collections.abc import Mapping
from importlib.resources.abc import Traversable
from typing import Any

__all__ = ["SchemaFileError", "read_schemas", "read_schema", "kind_of"]


class SchemaFileError(ValueError):
    """A schema file that cannot be used: unreadable, not JSON Schema 2020-12, or without a `kind` const."""


def read_schemas(directory: pathlib.Path | Traversable) -> dict[str, Mapping[str, Any]]:
    """The schema of each kind, from every `*.json` of `directory`; SchemaFileError when one is
    unusable, two share a kind, or there is none."""
    schemas: dict[str, Mapping[str, Any]] = {}
    for entry in sorted(directory.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json") and entry.is_file():
            schema = read_schema(entry)
            kind = kind_of(schema, entry.name)
            if kind in schemas:
                raise SchemaFileError(f"{entry.name}: kind `{kind}` already has a schema")
            schemas[kind] = schema
    if not schemas:
        raise SchemaFileError(f"no *.json schema in {directory}")
    return schemas


def read_schema(entry: pathlib.Path | Traversable) -> Mapping[str, Any]:
    """The JSON of one schema file; SchemaFileError when unreadable."""
    try:
        schema = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise SchemaFileError(f"{entry.name}: cannot read the schema: {e}") from None
    if not isinstance(schema, dict):
        raise SchemaFileError(f"{entry.name}: a schema must be a JSON object")
    return schema


def kind_of(schema: Mapping[str, Any], name: str) -> str:
    """The kind a schema checks: its `properties.kind.const`."""
    properties = schema.get("properties")
    kind_schema = properties.get("kind") if isinstance(properties, dict) else None
    kind = kind_schema.get("const") if isinstance(kind_schema, dict) else None
    if not isinstance(kind, str):
        raise SchemaFileError(f"{name}: the schema has no string `properties.kind.const`")
    return kind
