"""What a name or a dotted path stands for at a place: a field (with its type and schema), a fact or
let, a constant, table or data set, a variable, a built-in function, a kind or a reference."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from espolicy.lang import ast
from espolicy.lang.builtins import BUILTINS
from espolicy.lang.typecheck import OUTCOME_NAME, OUTCOME_TYPE, TODAY_NAME
from espolicy.lang.types import DATE, INT, TList, TRecord, TSet, Type, strip_optional
from espolicy.lsp.context import INDEX, Place
from espolicy.lsp.state import Knowledge

_SHOWN = 5  # keys of a data set named in its summary


@dataclass(frozen=True)
class Resolved:
    """A name's meaning: `what` is field, value, const, table, entry, data, local, function, kind, today
    or outcome."""

    what: str
    name: str
    type: Type | None = None
    schema: Mapping[str, Any] | None = None  # the field's JSON schema (for its description)
    decls: tuple[ast.Decl, ...] = ()
    kind: str | None = None
    required: bool = True


def consts(k: Knowledge) -> dict[str, ast.Const | ast.Table]:
    """Constants and tables by name (the first declaration of each)."""
    out: dict[str, ast.Const | ast.Table] = {}
    for d in k.decls():
        if isinstance(d, (ast.Const, ast.Table)):
            out.setdefault(d.name, d)
    return out


def values(k: Knowledge, kinds: tuple[str, ...] = ()) -> dict[str, list[ast.Value]]:
    """Facts and lets by name (for `kinds` only when given)."""
    out: dict[str, list[ast.Value]] = {}
    for d in k.decls():
        if isinstance(d, ast.Value) and (not kinds or set(d.kinds) & set(kinds)):
            out.setdefault(d.name, []).append(d)
    return out


def data_type(k: Knowledge, name: str) -> Type | None:
    """The type of the data set `name` as read from its file; None when the file was not read."""
    if k.checker is None or name not in k.checker.data:
        return None
    return k.checker.data[name][0]


def data_summary(k: Knowledge, name: str) -> str | None:
    """What the data set `name` holds, in a line: its shape, its size, a few keys, the type of its
    entries; None when its file was not read."""
    t = data_type(k, name)
    if t is None or k.checker is None:
        return None
    value = k.checker.data[name][1]
    if isinstance(value, dict) and isinstance(t, TRecord):
        n = len(value)
        keys = ", ".join(f"`{key}`" for key in list(value)[:_SHOWN]) + (", …" if n > _SHOWN else "")
        types = sorted({f.type.describe() for f in t.fields.values()})
        each = f", each a {_short(types[0])}" if len(types) == 1 else ""
        return f"a mapping of {n} entr{'y' if n == 1 else 'ies'}{each}: {keys}" if n else "an empty mapping"
    if isinstance(value, list) and isinstance(t, TList):
        n = len(value)
        return f"a list of {n} item{'' if n == 1 else 's'}" + (f", each a {_short(t.item.describe())}" if n else "")
    from espolicy.lang.trace import show
    return f"the value `{_short(show(value))}` ({t.describe()})"


def _short(text: str, most: int = 100) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"


def _value_type(k: Knowledge, kinds: tuple[str, ...], name: str) -> tuple[Type | None, str | None]:
    if k.checker is None:
        return None, None
    for kind in kinds:
        t = k.checker.value_types.get((kind, name))
        if t is not None:
            return t, kind
    return None, None


def resolve(k: Knowledge, place: Place, names: list[str], _depth: int = 0) -> Resolved | None:
    """The meaning of the path `names` (a.b.c) at `place`, or None when it has none."""
    if not names or _depth > 8:
        return None
    first = names[0]
    got = _root(k, place, first, _depth)
    if got is None:
        return None
    for n in names[1:]:
        got = _step(k, got, n)
        if got is None:
            return None
    return got


def _root(k: Knowledge, place: Place, name: str, depth: int) -> Resolved | None:
    if name in place.locals:
        over = place.locals[name]
        if over == INDEX:
            return Resolved("local", name, INT)
        inner = Place(place.zone, place.decl, place.in_block, place.kinds,
                      {n: v for n, v in place.locals.items() if n != name})
        seq = resolve(k, inner, over.split("."), depth + 1)
        t = strip_optional(seq.type) if seq is not None and seq.type is not None else None
        item = t.item if isinstance(t, (TList, TSet)) else None
        schema = seq.schema.get("items") if seq is not None and seq.schema is not None else None
        return Resolved("local", name, item, schema if isinstance(schema, dict) else None,
                        kind=seq.kind if seq is not None else None)
    vals = values(k, place.kinds)
    if name in vals and place.kinds:
        t, kind = _value_type(k, place.kinds, name)
        return Resolved("value", name, t, None, tuple(vals[name]), kind)
    data = k.data_sets()
    if name in data:
        return Resolved("data", name, data_type(k, name), None, (data[name],))
    cs = consts(k)
    if name in cs:
        d = cs[name]
        t = k.checker.consts.get(name) if k.checker is not None else None
        return Resolved("table" if isinstance(d, ast.Table) else "const", name, t, None, (d,))
    for kind in place.kinds:
        shape = k.shapes.get(kind)
        if shape is not None and name in shape.fields:
            f = shape.fields[name]
            return Resolved("field", name, f.type, k.schemas.schemas.field_schema(kind, [name]), kind=kind,
                            required=f.always_present)
    if place.kinds and name == TODAY_NAME:
        return Resolved("today", name, DATE)
    if place.kinds and name == OUTCOME_NAME:
        return Resolved("outcome", name, OUTCOME_TYPE)
    if name in BUILTINS:
        return Resolved("function", name, BUILTINS[name].result)
    if name in k.shapes:
        return Resolved("kind", name, k.shapes[name])
    return None


def _step(k: Knowledge, got: Resolved, name: str) -> Resolved | None:
    t = strip_optional(got.type) if got.type is not None else None
    if not isinstance(t, TRecord) or name not in t.fields:
        return None
    f = t.fields[name]
    schema = None
    if got.schema is not None:
        props = got.schema.get("properties")
        sub = props.get(name) if isinstance(props, dict) else None
        schema = sub if isinstance(sub, dict) else None
    what = "entry" if got.what == "table" else "field"
    return Resolved(what, f"{got.name}.{name}", f.type, schema, got.decls, got.kind, f.always_present)
