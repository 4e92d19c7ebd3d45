"""The shape of documents: the JSON Schemas of `schemas/`, checked, translated into types, decoded.

One schema per kind (its `properties.kind.const`). `check` reports every violation as an `error`
finding with a JSON Pointer and a message in English and Japanese; `shape` gives the schema as a
type tree for the policy's type checker; `decode` turns a valid document into typed values.

Decisions beyond JSON Schema itself:
- integer fields take Python `int` values only (never `bool`, never a float such as `3.0`);
- formats are checked by this module's own functions (`date`, `date-time` with a required UTC
  offset, `email`), never by optional jsonschema extras;
- where a field has the wrong type, only the type error is reported for it (its enum, pattern or
  range errors would repeat the same problem).
"""
from __future__ import annotations

import copy
import datetime as _dt
import json
import math
import pathlib
import re
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from typing import Any, Callable

import functools
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # jsonschema is imported on first use: most documents never need it (see fastschema)
    from jsonschema import FormatChecker, ValidationError

from espolicy import pointers
from espolicy.fuzzy import nearest
from espolicy.report import Finding, error_finding
from espolicy.lang.types import BOOL, DATE, DATETIME, INT, STR, TAny, Field, TDate, TDateTime, TList, TRecord, TStr, TUnion, Type

__all__ = ["SchemaSet", "SchemaFileError", "FormatProblem", "normalize", "parse_date", "parse_datetime"]


class SchemaFileError(ValueError):
    """A schema file that cannot be used: unreadable, not JSON Schema 2020-12, or without a `kind` const."""


# ---------------------------------------------------------------- normalize

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
        if isinstance(copied, list):
            copied.extend(_normalized_shell(item, memo, pending) for item in original)  # type: ignore[attr-defined]
        else:
            for key, item in original.items():  # type: ignore[attr-defined]
                copied[key] = _normalized_shell(item, memo, pending)  # type: ignore[index]
    return root


def _normalized_shell(value: object, memo: dict[int, object], pending: list[tuple[object, object]]) -> object:
    """`value` converted if it is a date; an empty copy, queued for filling, if it is a container."""
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if not isinstance(value, (list, tuple, Mapping)):
        return value
    if id(value) in memo:
        return memo[id(value)]
    copied: object = {} if isinstance(value, Mapping) else []
    memo[id(value)] = copied
    pending.append((value, copied))
    return copied


# ---------------------------------------------------------------- formats

class FormatProblem(ValueError):
    """Why a string does not have its format, in English and Japanese."""

    def __init__(self, en: str, ja: str) -> None:
        super().__init__(en)
        self.en = en
        self.ja = ja


_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?)?"
    r"(?P<offset>[Zz]|(?P<sign>[+-])(?P<oh>[0-9]{2}):(?P<om>[0-9]{2}))?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_EXAMPLE_DATETIME = "2026-05-04T10:15:00+09:00"


def parse_date(text: str) -> _dt.date:
    """The calendar date `YYYY-MM-DD` names; FormatProblem when it is not written so or does not exist."""
    m = _DATE.fullmatch(text)
    if m is None:
        raise FormatProblem(f"`{_show(text)}` is not written YYYY-MM-DD",
                            f"`{_show(text)}` は YYYY-MM-DD の形式ではありません")
    try:
        return _dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise FormatProblem(f"{text} does not exist in the calendar",
                            f"{text} は暦に存在しない日付です") from None


def parse_datetime(text: str) -> _dt.datetime:
    """The aware datetime an RFC 3339 `date-time` names (seconds and UTC offset required; no leap second)."""
    m = _DATETIME.fullmatch(text)
    if m is None:
        raise FormatProblem(f"`{_show(text)}` is not written like {_EXAMPLE_DATETIME}",
                            f"`{_show(text)}` は {_EXAMPLE_DATETIME} のような形式ではありません")
    if m["second"] is None:
        raise FormatProblem(f"`{text}` has no seconds; write them, as in {_EXAMPLE_DATETIME}",
                            f"`{text}` に秒がありません。{_EXAMPLE_DATETIME} のように秒まで指定してください")
    if m["offset"] is None:
        raise FormatProblem(
            f"`{text}` has no UTC offset; the offset is required, e.g. \"{text}+09:00\" for Japan time",
            f"`{text}` に UTC からの時差がありません。日本時間なら \"{text}+09:00\" のように時差を付けてください")
    try:
        return _dt.datetime.combine(parse_date(m["date"]), _time_of(m), _offset_of(m))
    except ValueError:
        raise FormatProblem(f"{text} does not exist (date, time or offset out of range)",
                            f"{text} は存在しない日時です（日付・時刻・時差のいずれかが範囲外です）") from None


def _time_of(m: re.Match[str]) -> _dt.time:
    """The time of day of a `_DATETIME` match; ValueError when out of range."""
    micro = int((m["fraction"] or "0")[:6].ljust(6, "0"))
    return _dt.time(int(m["hour"]), int(m["minute"]), int(m["second"]), micro)


def _offset_of(m: re.Match[str]) -> _dt.timezone:
    """The UTC offset of a `_DATETIME` match (`Z` is UTC); ValueError when out of range."""
    if m["sign"] is None:
        return _dt.timezone.utc
    hours, minutes = int(m["oh"]), int(m["om"])
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    delta = _dt.timedelta(hours=hours, minutes=minutes)
    return _dt.timezone(-delta if m["sign"] == "-" else delta)


def _check_date(instance: object) -> bool:
    """FormatChecker function for `date`; non-strings are the `type` keyword's business."""
    if isinstance(instance, str):
        parse_date(instance)
    return True


def _check_datetime(instance: object) -> bool:
    """FormatChecker function for `date-time`."""
    if isinstance(instance, str):
        parse_datetime(instance)
    return True


def _check_email(instance: object) -> bool:
    """FormatChecker function for `email`: one `@`, no spaces, a dotted domain."""
    if isinstance(instance, str) and not _EMAIL.fullmatch(instance):
        raise FormatProblem(f"`{_show(instance)}` is not an email address (like name@example.com)",
                            f"`{_show(instance)}` はメールアドレス（name@example.com のような形式）ではありません")
    return True


def _format_checker() -> FormatChecker:
    """A FormatChecker that knows exactly `date`, `date-time` and `email`, all defined here."""
    from jsonschema import FormatChecker
    checker = FormatChecker(formats=())
    for name, function in (("date", _check_date), ("date-time", _check_datetime), ("email", _check_email)):
        checker.checks(name, raises=FormatProblem)(function)
    return checker


def _is_integer(_checker: object, instance: object) -> bool:
    """JSON Schema `integer`, stricter: a Python int only, never a bool or a float such as 3.0."""
    return isinstance(instance, int) and not isinstance(instance, bool)


@functools.lru_cache(maxsize=None)
def pattern_regex(pattern: str) -> re.Pattern[str]:
    """A schema `pattern` as a Python regex with ECMA-262's `$` (JSON Schema's dialect): the end of the
    text only. Python's `$` also matches before a final newline, which let "4300123\n" pass as a serial."""
    out, in_class, i = [], False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        out.append("\\Z" if ch == "$" and not in_class else ch)
        i += 1
    return re.compile("".join(out))


def _pattern(validator: Any, pattern: str, instance: object, schema: Any) -> Any:
    """The `pattern` keyword with `pattern_regex`."""
    if isinstance(instance, str) and pattern_regex(pattern).search(instance) is None:
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
    return _format_checker()


# ---------------------------------------------------------------- the schema set

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
    _fast: Mapping[str, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.verify:
            self.verify_schemas()
        inlined = {kind: _inlined(schema, schema, ()) for kind, schema in self.schemas.items()}
        object.__setattr__(self, "kinds", tuple(sorted(self.schemas)))
        object.__setattr__(self, "_inlined", inlined)
        object.__setattr__(self, "_validators", {})
        object.__setattr__(self, "_lock", threading.Lock())
        object.__setattr__(self, "_shapes", {k: _shape_of_kind(k, s) for k, s in inlined.items()})
        object.__setattr__(self, "_fast", {k: _fast_path(s) for k, s in inlined.items()})

    def __reduce__(self) -> tuple[Any, ...]:
        return (SchemaSet, (dict(self.schemas), False))

    def verify_schemas(self) -> None:
        """SchemaFileError unless every schema is valid JSON Schema 2020-12."""
        import jsonschema
        for kind, schema in self.schemas.items():
            try:
                _validator_class().check_schema(schema)
            except jsonschema.SchemaError as e:
                raise SchemaFileError(f"the schema of kind `{kind}` is not valid JSON Schema: {e.message}") from None

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
        schemas: dict[str, Mapping[str, Any]] = {}
        for entry in sorted(directory.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".json") and entry.is_file():
                schema = _read_schema(entry)
                kind = _kind_of(schema, entry.name)
                if kind in schemas:
                    raise SchemaFileError(f"{entry.name}: kind `{kind}` already has a schema")
                schemas[kind] = schema
        if not schemas:
            raise SchemaFileError(f"no *.json schema in {directory}")
        return cls(schemas, verify)

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

    def check(self, doc: object) -> list[Finding]:
        """Every shape error of a normalized document, sorted; [] when valid. Never raises."""
        try:
            return self._check(doc)
        except Exception:  # repr of a huge int or a too deep value, a hostile __eq__...: check a plain copy
            pass
        try:
            return self._check(_plain(doc, 0, {}))
        except Exception as e:  # last resort: the promise is a finding, never an exception
            return [error_finding("schema-unchecked", f"the document could not be checked: {type(e).__name__}",
                                  f"文書を検査できませんでした（{type(e).__name__}）。", "")]

    def check_and_decode(self, doc: object) -> tuple[list[Finding], dict[str, Any] | None]:
        """(errors, decoded document): the compiled fast path first, the full checker when it declines."""
        if doc.__class__ is dict:
            kind = doc.get("kind")  # type: ignore[attr-defined]
            fast = self._fast.get(kind) if kind.__class__ is str else None
            if fast is not None:
                decoded = fast(doc)
                if decoded is not None:
                    return [], decoded
        doc = normalize(doc)
        errors = self.check(doc)
        if errors:
            return errors, None
        return [], self.decode(doc)  # type: ignore[arg-type]

    def decode(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        """A valid normalized document as new objects with dates, datetimes and defaults filled in."""
        return _decode(self._shapes[doc["kind"]], doc)  # type: ignore[return-value]

    def _check(self, doc: object) -> list[Finding]:
        if not isinstance(doc, dict):
            en, ja = _kind_of_value(doc)
            return [error_finding("not-a-mapping", f"the document must be a mapping (key: value), not {en}",
                                  f"文書はマッピング（キー: 値）で記述してください（{ja}になっています）。", "")]
        if "kind" not in doc:
            return [self._missing_kind()]
        kind = doc["kind"]
        if not isinstance(kind, str) or kind not in self._inlined:
            return [self._unknown_kind(kind)]
        validator = self._validator(kind)
        if validator.is_valid(doc):
            return []
        return _findings(validator.iter_errors(doc))

    def _missing_kind(self) -> Finding:
        known = ", ".join(self.kinds)
        return error_finding("missing-kind", f"the document has no `kind`; it must be one of: {known}",
                             f"文書に `kind` がありません。次のいずれかを指定してください: {known}", "/kind")

    def _unknown_kind(self, kind: object) -> Finding:
        known = ", ".join(self.kinds)
        near = nearest(kind, self.kinds) if isinstance(kind, str) else None
        hint_en = f"; did you mean `{near}`? The known kinds are: " if near else "; the known kinds are: "
        hint_ja = f"`{near}` のことではありませんか？" if near else ""
        return error_finding(
            "unknown-kind", f"unknown kind `{_show(kind)}`{hint_en}{known}",
            f"不明な kind `{_show(kind)}` です。{hint_ja}使用できる kind: {known}", "/kind")


def _fast_path(schema: Mapping[str, Any]) -> Any:
    """The schema compiled by `fastschema`, or None when it uses a keyword the compiler does not know."""
    from espolicy.documents.fastschema import Unsupported, compile_schema
    try:
        return compile_schema(schema)
    except Unsupported:
        return None


def _read_schema(entry: pathlib.Path | Traversable) -> Mapping[str, Any]:
    """The JSON of one schema file; SchemaFileError when unreadable."""
    try:
        schema = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise SchemaFileError(f"{entry.name}: cannot read the schema: {e}") from None
    if not isinstance(schema, dict):
        raise SchemaFileError(f"{entry.name}: a schema must be a JSON object")
    return schema


def _kind_of(schema: Mapping[str, Any], name: str) -> str:
    """The kind a schema checks: its `properties.kind.const`."""
    properties = schema.get("properties")
    kind_schema = properties.get("kind") if isinstance(properties, dict) else None
    kind = kind_schema.get("const") if isinstance(kind_schema, dict) else None
    if not isinstance(kind, str):
        raise SchemaFileError(f"{name}: the schema has no string `properties.kind.const`")
    return kind


# ---------------------------------------------------------------- shape and decode

def _inlined(node: Any, root: Mapping[str, Any], refs: tuple[str, ...]) -> Any:
    """A copy of a schema with every local `$ref` (`#/...`) replaced by what it names and `$defs`
    dropped: validation runs much faster without reference lookups (the files keep their `$defs`).
    The referring schema's own keywords (a `description`) win over the referenced ones."""
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
            target = target[pointers.unescape(token)]
    except (KeyError, TypeError):
        raise SchemaFileError(f"$ref `{ref}` names nothing in its schema") from None
    return target


def _shape_of_kind(kind: str, schema: Mapping[str, Any]) -> TRecord:
    """The type tree of a kind's (inlined) schema; its `kind` field is the one-value string type."""
    record = _type_of(schema)
    if not isinstance(record, TRecord):
        raise SchemaFileError(f"the schema of kind `{kind}` does not describe an object")
    fields = dict(record.fields)
    fields["kind"] = Field(TStr(frozenset({kind})), True, None)
    return TRecord(fields)


def _type_of(schema: Mapping[str, Any]) -> Type:
    """The type a (sub)schema describes: record, list, union, int, bool, date, datetime or string."""
    kind = schema.get("type")
    if isinstance(kind, list):
        return TUnion(tuple(_type_of({**schema, "type": k}) for k in kind))
    if kind == "object":
        required = set(schema.get("required", ()))
        return TRecord({name: _field_of(sub, name in required) for name, sub in schema.get("properties", {}).items()})
    if kind == "array":
        return TList(_type_of(schema.get("items", {})))
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
    return Field(_type_of(schema), required, copy.deepcopy(schema.get("default")))


def _decode(t: Type, value: object) -> object:
    """`value` of type `t` with date strings parsed and record defaults filled in, as new objects."""
    if isinstance(t, TRecord) and isinstance(value, dict):
        out = {k: _decode(t.fields[k].type, v) if k in t.fields else v for k, v in value.items()}
        for name, f in t.fields.items():
            if name not in value and f.default is not None:
                out[name] = _decode(f.type, copy.deepcopy(f.default))
        return out
    if isinstance(t, TList) and isinstance(value, list):
        return [_decode(t.item, v) for v in value]
    if isinstance(t, TDate) and isinstance(value, str):
        return parse_date(value)
    if isinstance(t, TDateTime) and isinstance(value, str):
        return parse_datetime(value)
    return value


# ---------------------------------------------------------------- findings

def _findings(errors: Iterable[ValidationError]) -> list[Finding]:
    """The findings of all errors: one per problem, type errors alone at their path, sorted."""
    unique: dict[tuple[str, str, str], Finding] = {}
    for error in errors:
        for f in _explain(error):
            unique.setdefault((f.path, f.rule, f.message["en"]), f)
    typed = {f.path for f in unique.values() if f.rule == "schema-type"}
    kept = [f for f in unique.values() if f.rule == "schema-type" or f.path not in typed]
    return sorted(kept, key=lambda f: (_path_order(f.path), f.rule, f.message["en"]))


def _path_order(pointer: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key of a JSON Pointer: token by token, list indexes in numeric order."""
    return tuple((0, int(t)) if t.isascii() and t.isdigit() else (1, t) for t in pointer.split("/")[1:])


def _explain(error: ValidationError) -> list[Finding]:
    """The findings one jsonschema error stands for (an anyOf/oneOf reports its best inner error)."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        from jsonschema.exceptions import best_match
        return _explain(best_match(error.context))
    path = list(error.relative_path)
    explain = _EXPLAIN.get(str(error.validator), _explain_other)
    return explain(error, path)


def _rule(error: ValidationError) -> str:
    """`schema-` and the failed keyword in kebab case (`additionalProperties` -> `schema-additional-properties`)."""
    return "schema-" + re.sub(r"(?<!^)(?=[A-Z])", "-", str(error.validator)).lower()


def _pointer(path: Iterable[object]) -> str:
    """RFC 6901 JSON Pointer of a path of keys and indexes."""
    return pointers.pointer(path)


def _where(path: list[object]) -> str:
    """A path as shown in messages: its pointer, or `/` for the document itself."""
    return _pointer(path) or "/"


def _explain_required(error: ValidationError, path: list[object]) -> list[Finding]:
    missing = [name for name in error.validator_value if name not in error.instance]
    return [error_finding(_rule(error), f"missing required field `{name}` in {_where(path)}",
                          f"{_where(path)} に必須項目 `{name}` がありません。", _pointer([*path, name]))
            for name in missing]


def _explain_additional(error: ValidationError, path: list[object]) -> list[Finding]:
    allowed = list(error.schema.get("properties", {}))
    patterns = list(error.schema.get("patternProperties", {}))
    extras = [k for k in error.instance
              if k not in allowed and not any(isinstance(k, str) and re.search(p, k) for p in patterns)]
    return [_unknown_field(_rule(error), path, key, allowed) for key in extras]


def _unknown_field(rule: str, path: list[object], key: object, allowed: list[str]) -> Finding:
    """`unknown field `requets` in /; did you mean `requests`?` (or the list of known fields)."""
    name, where = _show(key), _where(path)
    near = nearest(str(key), allowed)
    if near:
        en = f"unknown field `{name}` in {where}; did you mean `{near}`?"
        ja = f"{where} に不明な項目 `{name}` があります。`{near}` のことではありませんか？"
    else:
        known = ", ".join(allowed) or "(none)"
        en = f"unknown field `{name}` in {where}; the known fields are: {known}"
        ja = f"{where} に不明な項目 `{name}` があります。使用できる項目: {known}"
    return error_finding(rule, en, ja, _pointer([*path, key]))


_EXPECTED = {
    "string": ("text", "文字列"), "integer": ("a whole number", "整数"), "number": ("a number", "数値"),
    "boolean": ("true or false", "true または false"), "object": ("a mapping (key: value)", "マッピング（キー: 値）"),
    "array": ("a list", "リスト"), "null": ("null", "null"),
}


def _kind_of_value(value: object) -> tuple[str, str]:
    """What a value is, in words (English, Japanese), for type errors."""
    if isinstance(value, _Opaque):
        return f"a Python {value.type_name} (not a JSON value)", f"JSON では表せない値（Python の {value.type_name}）"
    for types, en, ja in _VALUE_KINDS:
        if isinstance(value, types):
            return en, ja
    name = type(value).__name__
    return f"a Python {name} (not a JSON value)", f"JSON では表せない値（Python の {name}）"


_VALUE_KINDS: tuple[tuple[type | tuple[type, ...], str, str], ...] = (
    (bool, "true/false", "真偽値"), (int, "a number", "数値"), (float, "a decimal number", "小数"),
    (str, "text", "文字列"), (type(None), "empty (null)", "空（null）"), (dict, "a mapping", "マッピング"),
    (list, "a list", "リスト"),
)


def _explain_type(error: ValidationError, path: list[object]) -> list[Finding]:
    expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
    value, where = error.instance, _where(path)
    if "string" in expected and "integer" not in expected and _is_plain_number(value):
        return [error_finding(
            _rule(error), f"{where} must be text, not a number: quote it, as \"{_show(value)}\"",
            f"{where} は数値ではなく文字列で指定してください。\"{_show(value)}\" のように引用符で囲んでください。",
            _pointer(path))]
    want_en = " or ".join(_EXPECTED.get(t, (t, t))[0] for t in expected)
    want_ja = "または".join(_EXPECTED.get(t, (t, t))[1] for t in expected)
    got_en, got_ja = _kind_of_value(value)
    return [error_finding(_rule(error), f"{where} must be {want_en}, not {got_en} ({_show(value)})",
                          f"{where} は{want_ja}で指定してください（{got_ja} {_show(value)} が指定されています）。",
                          _pointer(path))]


def _is_plain_number(value: object) -> bool:
    """An int or a finite float, not a bool: a value a YAML author meant as text when unquoted."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not isinstance(value, _LongInt)
    return isinstance(value, float) and math.isfinite(value)


_FORMAT_NAMES = {"date": ("date", "日付"), "date-time": ("date and time", "日時"),
                 "email": ("email address", "メールアドレス")}


def _explain_format(error: ValidationError, path: list[object]) -> list[Finding]:
    name_en, name_ja = _FORMAT_NAMES.get(error.validator_value, (error.validator_value, error.validator_value))
    cause = error.cause
    why_en, why_ja = (cause.en, cause.ja) if isinstance(cause, FormatProblem) else (_show(error.instance),) * 2
    where = _where(path)
    return [error_finding(_rule(error), f"{where} is not a valid {name_en}: {why_en}",
                          f"{where} は有効な{name_ja}ではありません: {why_ja}。", _pointer(path))]


def _explain_enum(error: ValidationError, path: list[object]) -> list[Finding]:
    allowed = [str(v) for v in error.validator_value]
    value, where = error.instance, _where(path)
    near = nearest(value, allowed) if isinstance(value, str) else None
    hint_en = f"; did you mean `{near}`?" if near else ""
    hint_ja = f"`{near}` のことではありませんか？" if near else ""
    listed = ", ".join(allowed)
    return [error_finding(_rule(error), f"{where} must be one of: {listed} (got `{_show(value)}`){hint_en}",
                          f"{where} は次のいずれかで指定してください: {listed}（指定値: `{_show(value)}`）。{hint_ja}",
                          _pointer(path))]


def _explain_const(error: ValidationError, path: list[object]) -> list[Finding]:
    want, where = _show(error.validator_value), _where(path)
    return [error_finding(_rule(error), f"{where} must be `{want}` (got `{_show(error.instance)}`)",
                          f"{where} は `{want}` で指定してください（指定値: `{_show(error.instance)}`）。",
                          _pointer(path))]


def _explain_pattern(error: ValidationError, path: list[object]) -> list[Finding]:
    where, value, pattern = _where(path), _show(error.instance), error.validator_value
    what = str(error.schema.get("description", "")).rstrip(".")
    form = f"{what} (pattern {pattern})" if what else f"pattern {pattern}"
    return [error_finding(_rule(error), f"{where} `{value}` does not have the required form: {form}",
                          f"{where} の値 `{value}` は必要な形式（パターン {pattern}）に合っていません。",
                          _pointer(path))]


def _explain_bound(error: ValidationError, path: list[object]) -> list[Finding]:
    """minimum / maximum / minLength / maxLength."""
    limit, value, keyword = error.validator_value, _show(error.instance), error.validator
    if keyword == "minimum":
        en, ja = f"must be at least {limit} (got {value})", f"{limit} 以上で指定してください（指定値: {value}）"
    elif keyword == "maximum":
        en, ja = f"must be at most {limit} (got {value})", f"{limit} 以下で指定してください（指定値: {value}）"
    elif keyword == "minLength":
        en, ja = f"must have at least {limit} character(s)", f"{limit} 文字以上で指定してください"
    else:
        size = len(error.instance)
        en, ja = (f"must have at most {limit} characters (it has {size})",
                  f"{limit} 文字以内で指定してください（{size} 文字あります）")
    where = _where(path)
    return [error_finding(_rule(error), f"{where} {en}", f"{where} は {ja}。", _pointer(path))]


def _explain_other(error: ValidationError, path: list[object]) -> list[Finding]:
    where = _where(path)
    return [error_finding(_rule(error), f"{where}: {error.message}",
                          f"{where} がスキーマの条件（{error.validator}）を満たしていません: {error.message}",
                          _pointer(path))]


_EXPLAIN: dict[str, Callable[[ValidationError, list[object]], list[Finding]]] = {
    "required": _explain_required, "additionalProperties": _explain_additional, "type": _explain_type,
    "format": _explain_format, "enum": _explain_enum, "const": _explain_const, "pattern": _explain_pattern,
    "minimum": _explain_bound, "maximum": _explain_bound, "minLength": _explain_bound, "maxLength": _explain_bound,
}


# ---------------------------------------------------------------- showing values safely

class _ShortRepr(reprlib.Repr):
    """reprlib with short limits; an object of a type from outside the standard library, or without
    a repr of its own, shows as `<TypeName>` (its repr may raise, or hold a memory address)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxstring = self.maxother = self.maxlong = 60
        self.maxlevel = 3

    def repr_instance(self, x: object, level: int) -> str:
        own = type(x).__repr__ is not object.__repr__
        if own and (type(x).__module__ in ("builtins", "datetime") or isinstance(x, (_Opaque, _LongInt))):
            return super().repr_instance(x, level)
        return f"<{type(x).__name__}>"


_REPR = _ShortRepr()


def _show(value: object) -> str:
    """A short display of a value for messages (strings as they are); never raises."""
    try:
        text = value if isinstance(value, str) else _REPR.repr(value)
    except Exception:  # a huge int, a hostile __repr__
        text = repr(value) if isinstance(value, _Opaque) else f"<{type(value).__name__}>"
    return text if len(text) <= 60 else text[:59] + "…"


class _Opaque:
    """Stands for a value the fallback check must neither show nor compare: not JSON, or too deep."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


class _LongInt(int):
    """A huge int that shows itself briefly (the repr of ints over 4300 digits raises)."""

    def __repr__(self) -> str:
        return f"<a number of {self.bit_length()} bits>"

    __str__ = __repr__


_MAX_DEPTH = 32   # far below the recursion limit, far beyond any schema's depth
_MAX_BITS = 10_000


def _plain(value: object, depth: int, memo: dict[int, object]) -> object:
    """A copy of `value` made of exact JSON types only, that is safe to show and compare.

    Subclasses become their base types; huge ints show briefly; anything else (and anything nested
    deeper than the schemas can reach) becomes an `_Opaque`, which fails every `type` keyword.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        number = int.__int__(value)
        return _LongInt(number) if number.bit_length() > _MAX_BITS else number
    if isinstance(value, float):
        return float.__float__(value)
    if not isinstance(value, (dict, list)) or depth >= _MAX_DEPTH:
        return _Opaque(type(value).__name__)
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, dict):
        out: dict[str, object] = {}
        memo[id(value)] = out
        for k, v in dict.items(value):
            out[k if type(k) is str else _show(k)] = _plain(v, depth + 1, memo)
        return out
    items: list[object] = []
    memo[id(value)] = items
    items.extend(_plain(v, depth + 1, memo) for v in list.__iter__(value))
    return items

