"""The shape of documents: the JSON Schemas of `schemas/`, checked, translated into types, decoded.

One schema per kind (its `properties.kind.const`). `SchemaSet.check` reports every violation as
an `error` finding with a JSON Pointer and a message in English and Japanese; `shape` gives the
schema as a type tree for the policy's type checker; `decode` turns a valid document into typed
values. The compiled fast path (`fastschema`) judges and decodes the documents it can vouch for;
jsonschema decides the others.

Decisions beyond JSON Schema itself:
- integer fields take Python `int` values only (never `bool`, never a float such as `3.0`);
- formats are checked by `formats` (`date`, `date-time` with a required UTC offset, `email`),
  never by optional jsonschema extras; patterns are ECMA-262 (`formats.pattern_regex`);
- where a field has the wrong type, only the type error is reported for it (its enum, pattern or
  range errors would repeat the same problem).
"""
from __future__ import annotations

import functools
import pathlib
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any

from espolicy import messages
from espolicy.documents.decode import decode
from espolicy.documents.explanations import Violation, findings, value_words
from espolicy.documents.fastschema import FastPath, Unsupported, compile_schema
from espolicy.documents.formats import FORMATS, FormatProblem, pattern_regex
from espolicy.documents.normalize import is_plain_json, normalize
from espolicy.documents.refs import inline_refs
from espolicy.documents.saferepr import plain, show
from espolicy.documents.schemafiles import SchemaFileError, read_schemas
from espolicy.documents.shapes import shape_of_kind
from espolicy.fuzzy import nearest, nearest_key
from espolicy.lang.types import TRecord
from espolicy.pointers import pointer
from espolicy.report import Finding

if TYPE_CHECKING:  # jsonschema is imported on first use: most documents never need it (see fastschema)
    from jsonschema import ValidationError

__all__ = ["SchemaSet", "SchemaFileError"]


@dataclass(frozen=True, eq=False)
class SchemaSet:
    """The schemas of all kinds, each compiled once into a validator and a type tree."""

    schemas: Mapping[str, Mapping[str, Any]]
    verify: bool = True  # check the schemas against the 2020-12 meta-schema (skipped for cached policies)
    kinds: tuple[str, ...] = field(init=False)
    _inlined: Mapping[str, Any] = field(init=False, repr=False)
    _validators: dict[str, Any] = field(init=False, repr=False)
    _lock: Any = field(init=False, repr=False)
    _shapes: Mapping[str, TRecord] = field(init=False, repr=False)
    _fast: Mapping[str, FastPath | None] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.verify:
            self.verify_schemas()
        inlined = {kind: inline_refs(schema) for kind, schema in self.schemas.items()}
        object.__setattr__(self, "kinds", tuple(sorted(self.schemas)))
        object.__setattr__(self, "_inlined", inlined)
        object.__setattr__(self, "_validators", {})
        object.__setattr__(self, "_lock", threading.Lock())
        object.__setattr__(self, "_shapes", {k: shape_of_kind(k, s) for k, s in inlined.items()})
        object.__setattr__(self, "_fast", {k: _fast_path(s) for k, s in inlined.items()})

    def __reduce__(self) -> tuple[Any, ...]:
        return (SchemaSet, (dict(self.schemas), False))

    def verify_schemas(self) -> None:
        """SchemaFileError unless every schema is valid JSON Schema 2020-12 with ECMA-262 patterns."""
        import jsonschema
        for kind, schema in self.schemas.items():
            try:
                _validator_class().check_schema(schema)
            except jsonschema.SchemaError as e:
                raise SchemaFileError(f"the schema of kind `{kind}` is not valid JSON Schema: {e.message}") from None
            for pattern in _patterns(schema):
                try:
                    pattern_regex(pattern)
                except ValueError as e:
                    raise SchemaFileError(f"the schema of kind `{kind}` has a bad pattern: {e}") from None

    def _validator(self, kind: str) -> Any:
        """The full jsonschema validator of `kind`, built on first use (thread-safe)."""
        validator = self._validators.get(kind)
        if validator is None:
            with self._lock:
                validator = self._validators.get(kind)
                if validator is None:
                    validator = _validator_class()(self._inlined[kind], format_checker=_formats())
                    self._validators[kind] = validator
        return validator

    @classmethod
    def load(cls, directory: pathlib.Path | Traversable, verify: bool = True) -> "SchemaSet":
        """Every `*.json` of `directory`; SchemaFileError when one is unusable or two share a kind."""
        return cls(read_schemas(directory), verify)

    def shape(self, kind: str) -> TRecord:
        """The schema of `kind` as a type tree (KeyError for an unknown kind)."""
        return self._shapes[kind]

    def field_schema(self, kind: str, path: Sequence[str | None]) -> Mapping[str, Any] | None:
        """The subschema (references inlined) of `kind` documents at `path`: property names, None for a
        list's items; None when the schema has no such field. For editors: descriptions, enums."""
        node: Any = self._inlined.get(kind)
        for step in path:
            if not isinstance(node, dict):
                return None
            node = node.get("items") if step is None else (node.get("properties") or {}).get(step)
        return node if isinstance(node, dict) else None

    def check(self, doc: object, plain_json: bool | None = None) -> list[Finding]:
        """Every shape error of a normalized document, sorted; [] when valid. Never raises.
        `plain_json`: whether `doc` is plain JSON (`is_plain_json`), when the caller knows."""
        try:
            return self._check(doc, plain_json=plain_json)
        except Exception:  # repr of a huge int or a too deep value, a hostile __eq__...: check a plain copy
            pass
        try:
            return self._check(plain(doc), fast=False)
        except Exception as e:  # last resort: the promise is a finding, never an exception
            return [messages.finding("schema-unchecked", error=type(e).__name__)]

    def check_and_decode(self, doc: object) -> tuple[list[Finding], dict[str, Any] | None]:
        """(errors, decoded document): the compiled fast path first, the full checker when it declines."""
        if doc.__class__ is dict:
            kind = doc.get("kind")
            fast = self._fast.get(kind) if kind.__class__ is str else None
            if fast is not None:
                decoded = fast.decode(doc)
                if decoded is not None:
                    return [], decoded
        unchanged = is_plain_json(doc)   # then normalize would copy it unchanged
        if not unchanged:
            doc = normalize(doc)
        errors = self.check(doc, True if unchanged else None)   # (a normalized copy may be plain)
        if errors:
            return errors, None
        return [], self.decode(doc)  # type: ignore[arg-type]

    def decode(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        """A valid normalized document as new objects with dates, datetimes and defaults filled in."""
        return decode(self._shapes[doc["kind"]], doc)  # type: ignore[return-value]

    def check_with_jsonschema(self, doc: object) -> list[Finding]:
        """What `check` gives when jsonschema alone finds the violations (the reference that the
        compiled explanations are tested against)."""
        return self._check(doc, fast=False)

    def _check(self, doc: object, fast: bool = True, plain_json: bool | None = None) -> list[Finding]:
        if not isinstance(doc, dict):
            return [messages.finding("not-a-mapping", got=value_words(doc))]
        if "kind" not in doc:
            return [self._missing_kind(doc)]
        kind = doc["kind"]
        if not isinstance(kind, str) or kind not in self._inlined:
            return [self._unknown_kind(kind)]
        compiled = self._fast[kind] if fast else None
        violations = compiled.explain(doc, plain_json) if compiled is not None else None
        if violations is not None:   # the compiled explanation: jsonschema's violations, found faster
            return findings(violations)
        validator = self._validator(kind)
        if validator.is_valid(doc):
            return []
        return findings(_violations(validator.iter_errors(doc)))

    def _missing_kind(self, doc: Mapping[Any, Any]) -> Finding:
        """No `kind`: the finding names, and stands at, a key that is likely `kind` misspelled (`Kind`,
        `knd`), when there is one that no kind knows at the top level."""
        known = ", ".join(self.kinds)
        top = {key for schema in self._inlined.values() for key in schema.get("properties", {})}
        for key in doc:
            if isinstance(key, str) and key not in top:
                guess = nearest_key(key, ["kind"])
                if guess is not None and guess.close:
                    return messages.finding("missing-kind-near", pointer([key]), name=show(key), known=known)
        return messages.finding("missing-kind", "/kind", known=known)

    def _unknown_kind(self, kind: object) -> Finding:
        known = ", ".join(self.kinds)
        near = nearest(kind, self.kinds) if isinstance(kind, str) else None
        if near:
            return messages.finding("unknown-kind-near", "/kind", kind=show(kind), near=near, known=known)
        return messages.finding("unknown-kind", "/kind", kind=show(kind), known=known)


def _fast_path(schema: Mapping[str, Any]) -> FastPath | None:
    """The schema compiled by `fastschema`, or None when it uses a keyword the compiler does not know."""
    try:
        return compile_schema(schema)
    except Unsupported:
        return None


def _patterns(node: Any) -> Iterator[str]:
    """Every `pattern` and `patternProperties` name of a schema."""
    if isinstance(node, list):
        for item in node:
            yield from _patterns(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            elif key == "patternProperties" and isinstance(value, dict):
                yield from (k for k in value if isinstance(k, str))
            if key not in ("enum", "const", "default", "examples"):
                yield from _patterns(value)


# ---------------------------------------------------------------- jsonschema, as the full checker

def _violations(errors: Iterable[ValidationError]) -> Iterator[Violation]:
    """jsonschema's errors as violations (an anyOf/oneOf stands for its best inner error)."""
    for error in errors:
        if error.validator in ("anyOf", "oneOf") and error.context:
            from jsonschema.exceptions import best_match
            error = best_match(error.context)
            yield from _violations([error])
            continue
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        yield Violation(str(error.validator), error.validator_value, error.instance, schema,
                        tuple(error.relative_path), error.cause, error.message)


def _is_integer(_checker: object, instance: object) -> bool:
    """JSON Schema `integer`, stricter: a Python int only, never a bool or a float such as 3.0."""
    return isinstance(instance, int) and not isinstance(instance, bool)


def _pattern(validator: Any, pattern: str, instance: object, schema: Any) -> Any:
    """The `pattern` keyword, ECMA-262 (`formats.pattern_regex`)."""
    if isinstance(instance, str) and not pattern_regex(pattern).search(instance):
        from jsonschema.exceptions import ValidationError
        yield ValidationError("does not match the pattern")


@functools.lru_cache(maxsize=None)
def _validator_class() -> Any:
    """jsonschema's 2020-12 validator with the stricter `integer` and ECMA-262 `pattern` (imported on
    first use)."""
    import jsonschema
    from jsonschema import Draft202012Validator
    return jsonschema.validators.extend(
        Draft202012Validator, validators={"pattern": _pattern},
        type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer))


@functools.lru_cache(maxsize=None)
def _formats() -> Any:
    """A FormatChecker that knows exactly the formats of `formats.FORMATS` (non-strings are the
    `type` keyword's business)."""
    from jsonschema import FormatChecker
    checker = FormatChecker(formats=())
    for name, function in FORMATS.items():
        checker.checks(name, raises=FormatProblem)(_on_strings(function))
    return checker


def _on_strings(function: Any) -> Any:
    def check(instance: object) -> bool:
        if isinstance(instance, str):
            function(instance)
        return True
    return check
