"""The syntax tree of rule files: frozen dataclasses, each node carrying its source span."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Generic, Iterator, TypeVar, Union

from espolicy.errors import Span

R = TypeVar("R")
C = TypeVar("C")


# ---- expressions ----

@dataclass(frozen=True)
class Literal:
    """int, str, bool, date or time literal."""

    value: int | str | bool | _dt.date | _dt.time
    span: Span = field(compare=False)

    def children(self) -> tuple[Expr, ...]:
        return ()

    def accept(self, v: Visitor[R, C], ctx: C) -> R:
        return v.visit_literal(self, ctx)


@dataclass(frozen=True)
class Name:
    """A bare name: a document field, a fact or let, a constant, a table or a bound variable."""

    name: str
    span: Span = field(compare=False)

    def children(self) -> tuple[Expr, ...]:
        return ()

    def accept(self, v: Visitor[R, C], ctx: C) -> R:
        return v.visit_name(self, ctx)


@dataclass(frozen=True)
class Attr:
    """`obj.name`: a field of a record (document object or table)."""

    obj: Expr
    name: str
    span: Span = field(compare=False)

    def children(self) -> tuple[Expr, ...]:
        return (self.obj,)

    def accept(self, v: Visitor[R, C], ctx: C) -> R:
        return v.visit_attr(self, ctx)


@dataclass(frozen=True)
class Call:
    """A call of a built-in function."""

    func: str
    args: tuple[Expr, ...]
    span: Span = field(compare=False)

    def children(self) -> tuple[Expr, ...]:
        return self.args

    def accept(self, v: Visitor[R, C], ctx: C) -> R:
        return v.visit_call(self, ctx)


@dataclass(frozen=True)
class Neg:
    operand: Expr
    span: Span = field(compare=False)

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def accept(self, v: Visitor[R, C], ctx: C) -> R:
        return v.visit_neg(self, ctx)


@dataclass(frozen=True)
class Arith:
    """`+`, `-`, `*` on numbers."""

    op: str
    left: Expr
    right: Expr
    span: Span = field(compare=False)

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def accept(self, v: Visitor[R, C], ctx: C) -> R:
        return v.visit_arith(self, ctx)


@dataclass(frozen=True)
class Compare:
    """`==`, `!=`, `<`, `<=`, `>`, `>=`; also `in` and `not in` (op spelled so)."""

    op: str
    left: Expr
    right: Expr
    span: Span = field(compare=False)

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def accept(self, v: Visitor[R, C], ctx: C) -> R:
        return v.visit_compare(self, ctx)


@dataclass(frozen=True)
class BoolOp:
    """`and` / `or` over two or more operands, evaluated left to right, short-circuit."""

    op: str
    operands: tuple[Expr, ...]
    span: Span = field(compare=False)

    def children(self) -> tuple[Expr, ...]:
        return self.operands

    def accept(self, v: Visitor[R, C], ctx: C) -> R:
        return v.visit_boolop(self, ctx)


@dataclass(frozen=True)
class Not:
    operand: Expr
    span: Span = field(compare=False)

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def accept(self, v: Visitor[R, C], ctx: C) -> R:
        return v.visit_not(self, ctx)


@dataclass(frozen=True)
class Test:
    """`x is present|absent|number|text`."""

    operand: Expr
    test: str
    span: Span = field(compare=False)

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def accept(self, v: Visitor[R, C], ctx: C) -> R:
        return v.visit_test(self, ctx)


@dataclass(frozen=True)
class If:
    cond: Expr
    then: Expr
    else_: Expr
    span: Span = field(compare=False)

    def children(self) -> tuple[Expr, ...]:
        return (self.cond, self.then, self.else_)

    def accept(self, v: Visitor[R, C], ctx: C) -> R:
        return v.visit_if(self, ctx)


@dataclass(frozen=True)
class Quant:
    """`any x in xs: cond` / `all x in xs: cond`."""

    kind: str
    var: str
    seq: Expr
    body: Expr
    span: Span = field(compare=False)

    def children(self) -> tuple[Expr, ...]:
        return (self.seq, self.body)

    def accept(self, v: Visitor[R, C], ctx: C) -> R:
        return v.visit_quant(self, ctx)


@dataclass(frozen=True)
class Aggregate:
    """`count(x in xs: cond)`, `sum(x in xs: n)`, `min(x in xs: v)`, `max(x in xs: v)`."""

    func: str
    var: str
    seq: Expr
    body: Expr
    span: Span = field(compare=False)

    def children(self) -> tuple[Expr, ...]:
        return (self.seq, self.body)

    def accept(self, v: Visitor[R, C], ctx: C) -> R:
        return v.visit_aggregate(self, ctx)


@dataclass(frozen=True)
class Index:
    """`table[key]` or `list[i]`: absent when the key or position is not there."""

    obj: Expr
    key: Expr
    span: Span = field(compare=False)

    def children(self) -> tuple[Expr, ...]:
        return (self.obj, self.key)

    def accept(self, v: Visitor[R, C], ctx: C) -> R:
        return v.visit_index(self, ctx)


@dataclass(frozen=True)
class SetLit:
    items: tuple[Expr, ...]
    span: Span = field(compare=False)

    def children(self) -> tuple[Expr, ...]:
        return self.items

    def accept(self, v: Visitor[R, C], ctx: C) -> R:
        return v.visit_setlit(self, ctx)


@dataclass(frozen=True)
class ListLit:
    items: tuple[Expr, ...]
    span: Span = field(compare=False)

    def children(self) -> tuple[Expr, ...]:
        return self.items

    def accept(self, v: Visitor[R, C], ctx: C) -> R:
        return v.visit_listlit(self, ctx)


Expr = Union[Literal, Name, Attr, Call, Neg, Arith, Compare, BoolOp, Not, Test, If, Quant, Aggregate, Index, SetLit,
             ListLit]


# ---- traversal: one place knows which sub-expressions a node has and which names it binds ----

def children(e: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of `e`, in evaluation order."""
    return e.children()


def bound_by(e: Expr, child: Expr) -> tuple[str, ...]:
    """The names `e` binds inside its sub-expression `child` (a quantifier's variable in its body)."""
    if isinstance(e, (Quant, Aggregate)) and child is e.body:
        return (e.var,)
    return ()


def walk(e: Expr) -> Iterator[Expr]:
    """`e` and every expression inside it, parent before children, left to right (no recursion)."""
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children()))


def free_names(e: Expr | None, bound: frozenset[str] = frozenset()) -> set[str]:
    """The bare names `e` reads that are not bound inside it (nor in `bound`)."""
    out: set[str] = set()
    if e is None:
        return out
    stack: list[tuple[Expr, frozenset[str]]] = [(e, bound)]
    while stack:
        node, names = stack.pop()
        if isinstance(node, Name):
            if node.name not in names:
                out.add(node.name)
            continue
        for child in node.children():
            inner = bound_by(node, child)
            stack.append((child, names | frozenset(inner) if inner else names))
    return out


class Visitor(Generic[R, C]):
    """Base of every pass over expressions (checker, compiler, tracer, printer): `visit` dispatches on
    the node's class through its `accept`; a pass overrides one method per node class it handles and
    carries its own context `C` (a scope, the bound names, an environment)."""

    def visit(self, e: Expr, ctx: C) -> R:
        return e.accept(self, ctx)

    def generic(self, e: Expr, ctx: C) -> R:
        raise NotImplementedError(f"{type(self).__name__} does not handle {type(e).__name__}")

    def visit_literal(self, e: Literal, ctx: C) -> R:
        return self.generic(e, ctx)

    def visit_name(self, e: Name, ctx: C) -> R:
        return self.generic(e, ctx)

    def visit_attr(self, e: Attr, ctx: C) -> R:
        return self.generic(e, ctx)

    def visit_call(self, e: Call, ctx: C) -> R:
        return self.generic(e, ctx)

    def visit_neg(self, e: Neg, ctx: C) -> R:
        return self.generic(e, ctx)

    def visit_arith(self, e: Arith, ctx: C) -> R:
        return self.generic(e, ctx)

    def visit_compare(self, e: Compare, ctx: C) -> R:
        return self.generic(e, ctx)

    def visit_boolop(self, e: BoolOp, ctx: C) -> R:
        return self.generic(e, ctx)

    def visit_not(self, e: Not, ctx: C) -> R:
        return self.generic(e, ctx)

    def visit_test(self, e: Test, ctx: C) -> R:
        return self.generic(e, ctx)

    def visit_if(self, e: If, ctx: C) -> R:
        return self.generic(e, ctx)

    def visit_quant(self, e: Quant, ctx: C) -> R:
        return self.generic(e, ctx)

    def visit_aggregate(self, e: Aggregate, ctx: C) -> R:
        return self.generic(e, ctx)

    def visit_index(self, e: Index, ctx: C) -> R:
        return self.generic(e, ctx)

    def visit_setlit(self, e: SetLit, ctx: C) -> R:
        return self.generic(e, ctx)

    def visit_listlit(self, e: ListLit, ctx: C) -> R:
        return self.generic(e, ctx)


# ---- declarations ----

@dataclass(frozen=True)
class Text:
    """A message or advice string: literal pieces and `{expr}` interpolations."""

    parts: tuple[str | Expr, ...]
    span: Span = field(compare=False)
    # the quoted pieces the source wrote it in (`message en "…"` on several lines), for `fmt`
    pieces: tuple["Text", ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Reference:
    """`reference Q1 { title en "…" title ja "…" url "…" }`: a source a rule may cite with `faq`."""

    id: str
    title: dict[str, str]
    url: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Data:
    """`data NAME = "file.yaml"`: a YAML or JSON file of the policy folder, read when the policy compiles."""

    name: str
    path: str
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
    each_index: str | None = None  # `each e, i in …`: the name of the entry's position (0, 1, …)
    faq_spans: tuple[Span, ...] = field(default=(), compare=False)  # where each `faq` citation is written
    title: dict[str, str] = field(default_factory=dict)  # `title en "…"`, `title ja "…"`
    tags: tuple[str, ...] = ()
    owner: str | None = None

    @property
    def each_names(self) -> tuple[str, ...]:
        """The names `each` binds in the rule: the entry, and its position when named."""
        if self.each is None:
            return ()
        return (self.each[0],) + ((self.each_index,) if self.each_index else ())


Decl = Union[PolicyName, Const, Table, Value, Rule, Reference, Data]


@dataclass(frozen=True)
class Module:
    """One rule file."""

    file: str
    source: str
    decls: tuple[Decl, ...]


def rule_names(rule: Rule) -> set[str]:
    """The bare names a rule reads: its `each` list, its condition and its texts (the `each` variable aside)."""
    bound: frozenset[str] = frozenset()
    names: set[str] = set()
    if rule.each is not None:
        names |= free_names(rule.each[1])
        bound = frozenset(rule.each_names)
    names |= free_names(rule.condition, bound)
    for texts in (rule.message, rule.advice):
        for t in texts.values():
            for p in t.parts:
                if not isinstance(p, str):
                    names |= free_names(p, bound)
    return names
