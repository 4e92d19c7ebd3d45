"""A schema with its local `$ref`s replaced by what they name: checking runs much faster without
reference lookups, and the fast path and the type tree read one self-contained tree."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from espolicy.documents.schemafiles import SchemaFileError
from espolicy.pointers import unescape

__all__ = ["inline_refs"]


def inline_refs(schema: Mapping[str, Any]) -> Any:
    """A copy of `schema` with every local `$ref` (`#/...`) replaced by what it names and `$defs`
    dropped (the files keep their `$defs`); SchemaFileError for a remote or recursive reference.
    The referring schema's own keywords (a `description`) win over the referenced ones."""
    return _inlined(schema, schema, ())


def _inlined(node: Any, root: Mapping[str, Any], refs: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inlined(item, root, refs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/") or ref in refs:
            raise SchemaFileError(f"unsupported $ref `{ref}`: only local, non-recursive references are allowed")
        target = _inlined(_pointed(root, ref), root, (*refs, ref))
        return {**target, **{k: _inlined(v, root, refs) for k, v in node.items() if k != "$ref"}}
    return {k: _inlined(v, root, refs) for k, v in node.items() if k != "$defs"}


def _pointed(root: Mapping[str, Any], ref: str) -> Any:
    """The part of `root` a local reference `#/a/b` names."""
    target: Any = root
    try:
        for token in ref[2:].split("/"):
            target = target[unescape(token)]
    except (KeyError, TypeError):
        raise SchemaFileError(f"$ref `{ref}` names nothing in its schema") from None
    return target
