"""The syntax tree of rule files: frozen dataclasses, each node carrying its source span."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Union

from espolicy.errors import Span


# ---- expressions ----

@dataclass(frozen=True)
class Literal:
    """int, str, bool, date or time literal."""

    value: int | str | bool | _dt.date | _dt.time
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Name:
    """A bare name: a document field, a fact or let, a constant, a table or a bound variable."""

    name: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Attr:
    """`obj.name`: a field of a record (document object or table)."""

    obj: Expr
    name: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Call:
    """A call of a built-in function."""

    func: str
    args: tuple[Expr, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Neg:
    operand: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Arith:
    """`+`, `-`, `*` on numbers."""

    op: str
    left: Expr
    right: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Compare:
    """`==`, `!=`, `<`, `<=`, `>`, `>=`; also `in` and `not in` (op spelled so)."""

    op: str
    left: Expr
    right: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class BoolOp:
    """`and` / `or` over two or more operands, evaluated left to right, short-circuit."""

    op: str
    operands: tuple[Expr, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Not:
    operand: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Test:
    """`x is present|absent|number|text`."""

    operand: Expr
    test: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class If:
    cond: Expr
    then: Expr
    else_: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Quant:
    """`any x in xs: cond` / `all x in xs: cond`."""

    kind: str
    var: str
    seq: Expr
    body: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class SetLit:
    items: tuple[Expr, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ListLit:
    items: tuple[Expr, ...]
    span: Span = field(compare=False)


Expr = Union[Literal, Name, Attr, Call, Neg, Arith, Compare, BoolOp, Not, Test, If, Quant, SetLit, ListLit]


# ---- declarations ----

@dataclass(frozen=True)
class Text:
    """A message or advice string: literal pieces and `{expr}` interpolations."""

    parts: tuple[str | Expr, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class PolicyName:
    name: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Const:
    name: str
    expr: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Table:
    name: str
    entries: tuple[tuple[str, Expr], ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Value:
    """`fact` (exported in the report) or `let` (shared, not exported), per kind; `when` makes it optional."""

    exported: bool
    name: str
    kinds: tuple[str, ...]
    expr: Expr
    when: Expr | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class FieldPath:
    """`at a.b.c`: the field a finding points at; its root may be an `each` variable."""

    names: tuple[str, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Rule:
    id: str
    kinds: tuple[str, ...]
    effect: str
    condition: Expr
    faq: tuple[str, ...]
    each: tuple[str, Expr] | None
    at: FieldPath | None
    message: dict[str, Text]
    advice: dict[str, Text]
    span: Span = field(compare=False)


Decl = Union[PolicyName, Const, Table, Value, Rule]


@dataclass(frozen=True)
class Module:
    """One rule file."""

    file: str
    source: str
    decls: tuple[Decl, ...]
