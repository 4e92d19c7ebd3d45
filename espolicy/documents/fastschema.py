"""The schemas compiled to Python: one pass that checks a document and decodes it (dates parsed,
defaults filled in), about twenty times faster than a general JSON Schema validator.

It answers only for documents it can vouch for: a valid document comes back decoded; for anything
else (an error, an unusual Python type, a keyword it does not know) it returns None, and the full
checker (jsonschema, which also explains the errors) decides. So it can make validation faster,
never different; `tests/test_fastschema.py` checks that verdict and decoding are identical.
"""
from __future__ import annotations

import copy
import datetime as _dt
from typing import Any, Callable, Mapping

from espolicy.cache import compile_cached
from espolicy.documents.explanations import Violation
from espolicy.documents.normalize import is_plain_json
from espolicy.documents.formats import FORMATS, FormatProblem, is_email, parse_date, parse_datetime, pattern_regex

# Keywords the generator understands; annotations are ignored. Any other keyword disables the fast path.
_ANNOTATIONS = {"description", "title", "$comment", "$schema", "$id", "$defs", "default", "examples"}
_KEYWORDS = {"type", "properties", "required", "additionalProperties", "enum", "const", "pattern", "format",
             "minimum", "maximum", "minLength", "maxLength", "items", "if", "then", "not"} | _ANNOTATIONS
_JSON_TYPES = (type(None), bool, int, str, list, dict)


class Unsupported(Exception):
    """The schema uses something the generator does not translate: use the full checker only."""


class _Gen:
    """Emits Python source; every schema value reaches it through `repr` of a plain JSON value."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {}
        self.n = 0

    def fresh(self, stem: str) -> str:
        self.n += 1
        return f"{stem}{self.n}"

    def const(self, value: Any) -> str:
        name = self.fresh("K")
        self.consts[name] = value
        return name

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    # ---- decoding mode: check `src`, leave its decoded value in `dst` ----
    def node(self, schema: Mapping[str, Any], src: str, dst: str, ind: int) -> None:
        unknown = set(schema) - _KEYWORDS
        if unknown:
            raise Unsupported(", ".join(sorted(unknown)))
        t = schema.get("type")
        if t == "object":
            self.obj(schema, src, dst, ind)
        elif t == "array":
            self.array(schema, src, dst, ind)
        elif t == "string":
            self.string(schema, src, ind)
            self.emit(ind, f"{dst} = {self.decoded(schema, src)}")
        elif t == "integer":
            self.emit(ind, f"if {src}.__class__ is not int: raise _Bad")
            self.bounds(schema, src, ind)
            self.emit(ind, f"{dst} = {src}")
        elif t == "boolean":
            self.emit(ind, f"if {src}.__class__ is not bool: raise _Bad")
            self.emit(ind, f"{dst} = {src}")
        elif isinstance(t, list) and set(t) <= {"string", "integer"} and not (set(schema) - _ANNOTATIONS - {"type"}):
            self.emit(ind, f"if {src}.__class__ is not int:")
            self.string({"type": "string"}, src, ind + 1)
            self.emit(ind, f"{dst} = {src}")
        else:
            raise Unsupported(f"type {t!r}")
        self.common(schema, src, ind)

    def common(self, schema: Mapping[str, Any], src: str, ind: int) -> None:
        if "enum" in schema:
            values = schema["enum"]
            if not all(isinstance(v, str) for v in values):
                raise Unsupported("non-string enum")
            self.emit(ind, f"if {src} not in {self.const(frozenset(values))}: raise _Bad")
        if "const" in schema:
            if not isinstance(schema["const"], str):
                raise Unsupported("non-string const")
            self.emit(ind, f"if {src} != {schema['const']!r}: raise _Bad")
        if "not" in schema:
            self.emit(ind, f"if {self.predicate(schema['not'])}({src}): raise _Bad")

    def string(self, schema: Mapping[str, Any], src: str, ind: int) -> None:
        # normalize() turns dates into ISO strings before the full checker sees them: do the same
        self.emit(ind, f"if {src}.__class__ is not str:")
        self.emit(ind + 1, f"if isinstance({src}, _date): {src} = {src}.isoformat()")
        self.emit(ind + 1, "else: raise _Bad")
        if "minLength" in schema:
            self.emit(ind, f"if len({src}) < {int(schema['minLength'])}: raise _Bad")
        if "maxLength" in schema:
            self.emit(ind, f"if len({src}) > {int(schema['maxLength'])}: raise _Bad")
        if "pattern" in schema:
            pattern = self.const(pattern_regex(schema["pattern"]))   # ECMA-262 (formats.py)
            self.emit(ind, f"if not {pattern}.search({src}): raise _Bad")
        if schema.get("format") == "email":
            self.emit(ind, f"if not _is_email({src}): raise _Bad")
        elif schema.get("format") not in (None, "date", "date-time"):
            raise Unsupported(f"format {schema['format']!r}")

    def decoded(self, schema: Mapping[str, Any], src: str) -> str:
        fmt = schema.get("format")
        return {"date": f"_parse_date({src})", "date-time": f"_parse_datetime({src})"}.get(str(fmt), src)

    def bounds(self, schema: Mapping[str, Any], src: str, ind: int) -> None:
        for key, op in (("minimum", "<"), ("maximum", ">")):
            if key in schema:
                bound = schema[key]
                if not isinstance(bound, int) or isinstance(bound, bool):
                    raise Unsupported(f"{key} {bound!r}")
                self.emit(ind, f"if {src} {op} {bound:d}: raise _Bad")

    def obj(self, schema: Mapping[str, Any], src: str, dst: str, ind: int) -> None:
        props: Mapping[str, Any] = schema.get("properties", {})
        required = list(schema.get("required", []))
        self.emit(ind, f"if {src}.__class__ is not dict: raise _Bad")
        if schema.get("additionalProperties", True) is False:
            self.emit(ind, f"if not {self.const(frozenset(props))}.issuperset({src}): raise _Bad")
        elif "additionalProperties" in schema:
            raise Unsupported("additionalProperties other than false")
        for key in required:
            self.emit(ind, f"if {key!r} not in {src}: raise _Bad")
        if "if" in schema:
            then = schema.get("then", {})
            self.emit(ind, f"if {self.predicate(schema['if'])}({src}) and not {self.predicate(then)}({src}): raise _Bad")
        elif "then" in schema:
            raise Unsupported("then without if")
        out = self.fresh("o")
        self.emit(ind, f"{out} = {{}}")
        for key, sub in props.items():
            v = self.fresh("v")
            if key in required:
                self.emit(ind, f"{v} = {src}[{key!r}]")
                self.node(sub, v, f"{out}[{key!r}]", ind)
                continue
            self.emit(ind, f"if {key!r} in {src}:")
            self.emit(ind + 1, f"{v} = {src}[{key!r}]")
            self.node(sub, v, f"{out}[{key!r}]", ind + 1)
            if "default" in sub:
                self.emit(ind, "else:")
                self.emit(ind + 1, f"{out}[{key!r}] = {self.default(sub)}")
        self.emit(ind, f"{dst} = {out}")

    def default(self, schema: Mapping[str, Any]) -> str:
        """A fresh copy of the decoded default each time (defaults here are JSON literals)."""
        value = _decoded_default(schema)
        if not _is_json_literal(value):
            raise Unsupported("default that is not a JSON literal")
        return repr(value)

    def array(self, schema: Mapping[str, Any], src: str, dst: str, ind: int) -> None:
        self.emit(ind, f"if {src}.__class__ is not list: raise _Bad")
        if "items" not in schema:
            raise Unsupported("array without items")
        item = self.function(schema["items"])
        self.emit(ind, f"{dst} = [{item}(i) for i in {src}]")

    def function(self, schema: Mapping[str, Any]) -> str:
        """A generated function checking and decoding one value of `schema`."""
        name = self.fresh("f")
        saved, self.lines = self.lines, []
        self.emit(0, f"def {name}(x):")
        self.node(schema, "x", "r", 1)
        self.emit(1, "return r")
        body, self.lines = self.lines, saved
        self.lines[:0] = body
        return name

    # ---- checking mode, for `if` / `then` / `not`: a predicate returning True when valid ----
    def predicate(self, schema: Mapping[str, Any]) -> str:
        name = self.fresh("p")
        saved, self.lines = self.lines, []
        self.emit(0, f"def {name}(x):")
        self.emit(1, "try:")
        self.check(schema, "x", 2)
        self.emit(1, "except _Bad: return False")
        self.emit(1, "return True")
        body, self.lines = self.lines, saved
        self.lines[:0] = body
        return name

    def check(self, schema: Mapping[str, Any], src: str, ind: int) -> None:
        """Applicator keywords apply only to their own instance type, as in JSON Schema."""
        allowed = {"properties", "required", "const", "enum", "not"} | _ANNOTATIONS
        if set(schema) - allowed:
            raise Unsupported("keyword in a condition: " + ", ".join(sorted(set(schema) - allowed)))
        self.emit(ind, "pass")
        if "properties" in schema or "required" in schema:
            self.emit(ind, f"if {src}.__class__ is dict:")
            for key in schema.get("required", []):
                self.emit(ind + 1, f"if {key!r} not in {src}: raise _Bad")
            for key, sub in schema.get("properties", {}).items():
                self.emit(ind + 1, f"if {key!r} in {src} and not {self.predicate(sub)}({src}[{key!r}]): raise _Bad")
            self.emit(ind, f"elif {src}.__class__ not in _PLAIN: raise _Unsure")
        for key in ("const", "enum", "not"):
            if key in schema:
                self.value_check(key, schema[key], src, ind)

    def value_check(self, key: str, value: Any, src: str, ind: int) -> None:
        norm = self.fresh("n")
        self.emit(ind, f"{norm} = {src}.isoformat() if isinstance({src}, _date) else {src}")
        if key == "not":
            self.emit(ind, f"if {self.predicate(value)}({norm}): raise _Bad")
            return
        values = [value] if key == "const" else list(value)
        if not all(isinstance(v, str) for v in values):
            raise Unsupported(f"non-string {key}")
        self.emit(ind, f"if {norm}.__class__ is not str or {norm} not in {self.const(frozenset(values))}: raise _Bad")


def _decoded_default(schema: Mapping[str, Any]) -> Any:
    """The default of `schema` with the defaults of its own properties filled in."""
    value = copy.deepcopy(schema.get("default"))
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if key not in value and "default" in sub:
                value[key] = _decoded_default(sub)
    return value


def _is_json_literal(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json_literal(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_json_literal(v) for v in value)
    return isinstance(value, _JSON_TYPES)


class _Bad(Exception):
    """Raised inside generated code: the value does not satisfy the (sub)schema."""


class _Unsure(Exception):
    """Raised inside generated code: a value the fast path does not judge; the full checker decides."""


class _Collector:
    """Emits the explaining twin of `_Gen`'s code: a function that walks a document (plain JSON
    values only) and appends every failed keyword as a tuple (keyword, expected, instance, schema,
    path[, cause]), as jsonschema would find them; `_Unsure` where only jsonschema can say."""

    def __init__(self, gen: _Gen) -> None:
        self.gen = gen   # shares names, constants and the `if` predicates

    def function(self, schema: Mapping[str, Any]) -> str:
        """A generated function `(x, P, E)` handing `E` the violations of one value at path `P`."""
        gen = self.gen
        name = gen.fresh("c")
        saved, gen.lines = gen.lines, []
        gen.emit(0, f"def {name}(x, P, E):")
        self.node(schema, "x", "P", 1)
        gen.emit(1, "return")
        body, gen.lines = gen.lines, saved
        gen.lines[:0] = body
        return name

    def node(self, schema: Mapping[str, Any], src: str, path: str, ind: int) -> None:
        gen = self.gen
        if set(schema) - _KEYWORDS:
            raise Unsupported(", ".join(sorted(set(schema) - _KEYWORDS)))
        here = gen.const(dict(schema))
        t = schema.get("type")
        if t is not None:
            classes = [_CLASS_OF.get(k) for k in (t if isinstance(t, list) else [t])]
            if None in classes:
                raise Unsupported(f"type {t!r}")
            gen.emit(ind, f"if {src}.__class__ not in {gen.const(tuple(classes))}:")
            gen.emit(ind + 1, f"E(('type', {gen.const(t)}, {src}, {here}, {path}))")
            gen.emit(ind, "else:")
            ind += 1
        gen.emit(ind, "pass")
        self.values(schema, src, path, here, ind)
        self.objects(schema, src, path, here, ind, t == "object")
        self.strings(schema, src, path, here, ind, t == "string")
        self.numbers(schema, src, path, here, ind, t == "integer")
        if "items" in schema:
            item = self.function(schema["items"])
            gen.emit(ind, f"if {src}.__class__ is list:")
            gen.emit(ind + 1, f"for i_, v_ in enumerate({src}): {item}(v_, {path} + (i_,), E)")

    def values(self, schema: Mapping[str, Any], src: str, path: str, here: str, ind: int) -> None:
        """enum and const (string values, as the fast path allows), not (jsonschema explains it)."""
        gen = self.gen
        for key in ("enum", "const"):
            if key in schema:
                allowed = schema[key] if key == "enum" else [schema[key]]
                if not all(isinstance(v, str) for v in allowed):
                    raise Unsupported(f"non-string {key}")
                gen.emit(ind, f"if {src}.__class__ is not str or {src} not in {gen.const(frozenset(allowed))}:")
                gen.emit(ind + 1, f"E(({key!r}, {gen.const(schema[key])}, {src}, {here}, {path}))")
        if "not" in schema:
            gen.emit(ind, f"if {gen.predicate(schema['not'])}({src}): raise _Unsure")

    def objects(self, schema: Mapping[str, Any], src: str, path: str, here: str, ind: int, typed: bool) -> None:
        gen = self.gen
        keys = {"properties", "required", "additionalProperties", "if", "then"} & set(schema)
        if not keys:
            return
        if not typed:
            gen.emit(ind, f"if {src}.__class__ is dict:")
            ind += 1
        props: Mapping[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        if extra is False:
            gen.emit(ind, f"if not {gen.const(frozenset(props))}.issuperset({src}):")
            gen.emit(ind + 1, f"E(('additionalProperties', False, {src}, {here}, {path}))")
        elif extra is not True:
            raise Unsupported("additionalProperties other than false")
        required = list(schema.get("required", []))
        if required:
            gen.emit(ind, f"for k_ in {gen.const(tuple(required))}:")
            gen.emit(ind + 1, f"if k_ not in {src}:")
            gen.emit(ind + 2, f"E(('required', {gen.const(required)}, {src}, {here}, {path})); break")
        if "if" in schema:
            gen.emit(ind, f"if {gen.predicate(schema['if'])}({src}):")
            gen.emit(ind + 1, "pass")
            self.node(schema.get("then", {}), src, path, ind + 1)
        elif "then" in schema:
            raise Unsupported("then without if")
        for key, sub in props.items():
            v = gen.fresh("v")
            gen.emit(ind, f"if {key!r} in {src}:")
            gen.emit(ind + 1, f"{v} = {src}[{key!r}]")
            self.node(sub, v, f"{path} + ({key!r},)", ind + 1)

    def strings(self, schema: Mapping[str, Any], src: str, path: str, here: str, ind: int, typed: bool) -> None:
        gen = self.gen
        keys = {"minLength", "maxLength", "pattern", "format"} & set(schema)
        if not keys:
            return
        if not typed:
            gen.emit(ind, f"if {src}.__class__ is str:")
            ind += 1
        for key, op in (("minLength", "<"), ("maxLength", ">")):
            if key in schema:
                gen.emit(ind, f"if len({src}) {op} {int(schema[key])}:")
                gen.emit(ind + 1, f"E(({key!r}, {gen.const(schema[key])}, {src}, {here}, {path}))")
        if "pattern" in schema:
            gen.emit(ind, f"if not {gen.const(pattern_regex(schema['pattern']))}.search({src}):")
            gen.emit(ind + 1, f"E(('pattern', {gen.const(schema['pattern'])}, {src}, {here}, {path}))")
        if "format" in schema:
            fmt = schema["format"]
            if fmt not in FORMATS:
                raise Unsupported(f"format {fmt!r}")
            gen.emit(ind, f"try: {gen.const(FORMATS[fmt])}({src})")
            gen.emit(ind, f"except _FormatProblem as c_: E(('format', {fmt!r}, {src}, {here}, {path}, c_))")

    def numbers(self, schema: Mapping[str, Any], src: str, path: str, here: str, ind: int, typed: bool) -> None:
        gen = self.gen
        keys = {"minimum", "maximum"} & set(schema)
        if not keys:
            return
        if not typed:
            raise Unsupported("bounds without type integer")
        for key, op in (("minimum", "<"), ("maximum", ">")):
            if key in schema:
                bound = schema[key]
                if not isinstance(bound, int) or isinstance(bound, bool):
                    raise Unsupported(f"{key} {bound!r}")
                gen.emit(ind, f"if {src} {op} {bound:d}:")
                gen.emit(ind + 1, f"E(({key!r}, {bound:d}, {src}, {here}, {path}))")


_CLASS_OF = {"object": dict, "array": list, "string": str, "integer": int, "boolean": bool}


class FastPath:
    """A kind's schema compiled to Python: `decode` checks and decodes a document in one pass;
    `explain` finds the violations of an invalid one, as jsonschema would."""

    def __init__(self, source: str, function: Callable[[Any], dict], collect: Callable[..., None] | None) -> None:
        self.source = source
        self._function = function
        self._collect = collect

    def decode(self, doc: Any) -> dict | None:
        """The decoded document when it is valid; None when the full checker must decide."""
        try:
            return self._function(doc)
        except Exception:  # _Bad, _Unsure, a format problem, anything unusual: the full checker decides
            return None

    def explain(self, doc: Any, plain: bool | None = None) -> list[Violation] | None:
        """Every violation of a normalized document; None when the full checker must decide (a
        value that is not plain JSON, a keyword only jsonschema explains, or no violation found).
        `plain`: whether `doc` is plain JSON (`is_plain_json`), when the caller knows."""
        if self._collect is None or not (is_plain_json(doc) if plain is None else plain):
            return None
        found: list[tuple[Any, ...]] = []
        try:
            self._collect(doc, (), found.append)
        except Exception:  # _Unsure, or anything unusual: the full checker decides
            return None
        return [Violation(*v) for v in found] or None


def _namespace(gen: _Gen) -> dict[str, Any]:
    """The globals of generated code: a few builtins, the helpers, the schema's constants."""
    return {"__builtins__": {"isinstance": isinstance, "len": len, "str": str, "int": int, "dict": dict, "bool": bool,
                             "float": float, "list": list, "type": type, "frozenset": frozenset,
                             "enumerate": enumerate},
            "_Bad": _Bad, "_Unsure": _Unsure, "_FormatProblem": FormatProblem,
            "_PLAIN": frozenset({str, int, float, bool, list, type(None)}), "_date": _dt.date,
            "_is_email": is_email, "_parse_date": parse_date, "_parse_datetime": parse_datetime, **gen.consts}


def compile_schema(schema: Mapping[str, Any]) -> FastPath:
    """The fast path of an (inlined, `$ref`-free) schema; `Unsupported` when the schema uses a
    keyword not translated here (its explaining half alone may be missing: jsonschema explains)."""
    gen = _Gen()
    entry = gen.function(schema)
    source = "\n".join(gen.lines)
    ns = _namespace(gen)
    exec(compile_cached(source, "<espolicy schema>"), ns)
    explaining = _Gen()
    try:
        collect_entry: str | None = _Collector(explaining).function(schema)
    except Unsupported:
        collect_entry = None
    collect = None
    if collect_entry is not None:
        explain_source = "\n".join(explaining.lines)
        explain_ns = _namespace(explaining)
        exec(compile_cached(explain_source, "<espolicy schema explained>"), explain_ns)
        collect = explain_ns[collect_entry]
        source += "\n\n" + explain_source
    return FastPath(source, ns[entry], collect)
