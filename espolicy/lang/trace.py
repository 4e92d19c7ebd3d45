"""A small tracing evaluator over the checked AST: the second evaluator, used by `explain` (and by the
linter to fold constants).

It follows the same plan as the generated code of `compile.py` (`plan.py`: facts and lets in
dependency order, then the rules, those reading `outcome` last), `and`/`or`/`if`/`any`/`all`
short-circuiting as in Python. Every sub-expression that is evaluated becomes a `Node` with its value; parts skipped by
short-circuiting are recorded as not evaluated. A differential test keeps the two evaluators in
agreement on outcome and fired rules.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from espolicy.jpcalendar import japan_today
from espolicy.lang import ast
from espolicy.lang import unparse
from espolicy.lang.builtins import BUILTINS
from espolicy.lang.compile import render_value
from espolicy.effects import decision_of
from espolicy.report import fact_value
from espolicy.lang.plan import ComputeValue, DecideOutcome, plan_kind
from espolicy.lang.runtime import AGGREGATE_IMPL, lookup
from espolicy.lang.typecheck import OUTCOME_NAME, TODAY_NAME, CheckedPolicy

_NOT_EVALUATED = object()


class Unknown(Exception):
    """Folding met a value that depends on the document."""


@dataclass
class Node:
    """One evaluated (or skipped) sub-expression."""

    expr: ast.Expr
    value: Any = _NOT_EVALUATED
    children: list["Node"] = field(default_factory=list)
    label: str | None = None  # e.g. `entry = history[1]` for one round of a quantifier

    @property
    def evaluated(self) -> bool:
        return self.value is not _NOT_EVALUATED

    @property
    def text(self) -> str:
        return unparse.expr(self.expr)

    def walk(self) -> Iterator["Node"]:
        yield self
        for c in self.children:
            yield from c.walk()


def is_boolean_node(e: ast.Expr) -> bool:
    """The sub-conditions `explain` shows as a tree: and/or, not, comparisons, tests, quantifiers."""
    return isinstance(e, (ast.BoolOp, ast.Not, ast.Compare, ast.Test, ast.Quant, ast.If)) or \
        (isinstance(e, ast.Literal) and isinstance(e.value, bool))


def show(value: Any) -> str:
    """A value as `explain` prints it: like a message interpolation, but texts quoted, absence named."""
    if value is _NOT_EVALUATED:
        return "(not evaluated)"
    if value is None:
        return "absent"
    if isinstance(value, str):
        return unparse.string(value)
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(show(v) for v in value)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    return render_value(value)


def plain(value: Any) -> Any:
    """A value as JSON (for `explain --format json`)."""
    if value is _NOT_EVALUATED:
        return None
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=lambda v: (str(type(v)), str(v)))
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return fact_value(value)   # dates, moments and times as the report writes its facts


@dataclass
class _Env:
    doc: Mapping[str, Any] | None
    fields: frozenset[str]
    values: dict[str, Any]
    value_names: frozenset[str]
    locals: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None
    today: _dt.date | None = None

    def bind(self, name: str, value: Any) -> "_Env":
        return _Env(self.doc, self.fields, self.values, self.value_names, {**self.locals, name: value}, self.outcome,
                    self.today)


class Evaluator(ast.Visitor[Node, "_Env"]):
    """Evaluates expressions of a checked policy, recording a `Node` per evaluated sub-expression."""

    def __init__(self, checked: CheckedPolicy):
        self.checked = checked
        self._const_decls = {c.name: c for c in checked.consts}
        self._consts: dict[str, Any] = {}

    # ---- constants ----
    def const(self, name: str) -> Any:
        if name in self.checked.data:
            return self.checked.data[name]
        if name not in self._consts:
            d = self._const_decls[name]
            env = _Env(None, frozenset(), {}, frozenset())
            if isinstance(d, ast.Const):
                self._consts[name] = self.eval(d.expr, env).value
            else:
                self._consts[name] = {k: self.eval(e, env).value for k, e in d.entries}
        return self._consts[name]

    def is_const(self, name: str) -> bool:
        return name in self._const_decls or name in self.checked.data

    # ---- expressions ----
    def eval(self, e: ast.Expr, env: _Env) -> Node:
        return e.accept(self, env)

    def visit_literal(self, e: ast.Literal, env: _Env) -> Node:
        return Node(e, e.value)

    def visit_name(self, e: ast.Name, env: _Env) -> Node:
        n = e.name
        if n in env.locals:
            return Node(e, env.locals[n])
        if n in env.value_names:
            return Node(e, env.values.get(n))
        if n in self._const_decls or n in self.checked.data:
            return Node(e, self.const(n))
        if env.doc is None:
            raise Unknown(n)
        if n in env.fields:
            return Node(e, env.doc.get(n))
        if n == OUTCOME_NAME:
            return Node(e, env.outcome)
        if n == TODAY_NAME:
            return Node(e, env.today)
        raise KeyError(f"unresolved name {n!r}")

    def visit_attr(self, e: ast.Attr, env: _Env) -> Node:
        obj = self.eval(e.obj, env)
        return Node(e, obj.value.get(e.name), [obj])

    def visit_call(self, e: ast.Call, env: _Env) -> Node:
        args = [self.eval(a, env) for a in e.args]
        return Node(e, BUILTINS[e.func].impl(*(a.value for a in args)), args)

    def visit_neg(self, e: ast.Neg, env: _Env) -> Node:
        a = self.eval(e.operand, env)
        return Node(e, -a.value, [a])

    def visit_arith(self, e: ast.Arith, env: _Env) -> Node:
        a, b = self.eval(e.left, env), self.eval(e.right, env)
        v = a.value + b.value if e.op == "+" else a.value - b.value if e.op == "-" else a.value * b.value
        return Node(e, v, [a, b])

    def visit_compare(self, e: ast.Compare, env: _Env) -> Node:
        a, b = self.eval(e.left, env), self.eval(e.right, env)
        x, y = a.value, b.value
        v = {"==": lambda: x == y, "!=": lambda: x != y, "<": lambda: x < y, "<=": lambda: x <= y,
             ">": lambda: x > y, ">=": lambda: x >= y, "in": lambda: x in y, "not in": lambda: x not in y}[e.op]()
        return Node(e, v, [a, b])

    def visit_boolop(self, e: ast.BoolOp, env: _Env) -> Node:
        children: list[Node] = []
        value: Any = None
        for i, operand in enumerate(e.operands):
            n = self.eval(operand, env)
            children.append(n)
            value = n.value
            if (e.op == "and" and not value) or (e.op == "or" and value):
                children += [Node(o) for o in e.operands[i + 1:]]
                break
        return Node(e, value, children)

    def visit_not(self, e: ast.Not, env: _Env) -> Node:
        a = self.eval(e.operand, env)
        return Node(e, not a.value, [a])

    def visit_test(self, e: ast.Test, env: _Env) -> Node:
        a = self.eval(e.operand, env)
        x = a.value
        v = {"present": x is not None, "absent": x is None,
             "number": isinstance(x, int) and not isinstance(x, bool), "text": isinstance(x, str)}[e.test]
        return Node(e, v, [a])

    def visit_if(self, e: ast.If, env: _Env) -> Node:
        c = self.eval(e.cond, env)
        if c.value:
            t = self.eval(e.then, env)
            return Node(e, t.value, [c, t, Node(e.else_)])
        f = self.eval(e.else_, env)
        return Node(e, f.value, [c, Node(e.then), f])

    def visit_quant(self, e: ast.Quant, env: _Env) -> Node:
        seq = self.eval(e.seq, env)
        children = [seq]
        value = e.kind == "all"
        for i, item in enumerate(seq.value):
            body = self.eval(e.body, env.bind(e.var, item))
            body.label = f"{e.var} = {show(item)}" + (f" (#{i})" if isinstance(seq.value, list) else "")
            children.append(body)
            if e.kind == "any" and body.value:
                value = True
                break
            if e.kind == "all" and not body.value:
                value = False
                break
        return Node(e, value, children)

    def visit_aggregate(self, e: ast.Aggregate, env: _Env) -> Node:
        seq = self.eval(e.seq, env)
        children = [seq]
        for i, item in enumerate(seq.value):
            body = self.eval(e.body, env.bind(e.var, item))
            body.label = f"{e.var} = {show(item)}" + (f" (#{i})" if isinstance(seq.value, list) else "")
            children.append(body)
        return Node(e, AGGREGATE_IMPL[e.func](c.value for c in children[1:]), children)

    def visit_index(self, e: ast.Index, env: _Env) -> Node:
        obj, key = self.eval(e.obj, env), self.eval(e.key, env)
        return Node(e, lookup(obj.value, key.value), [obj, key])

    def visit_setlit(self, e: ast.SetLit, env: _Env) -> Node:
        items = [self.eval(i, env) for i in e.items]
        return Node(e, frozenset(i.value for i in items), items)

    def visit_listlit(self, e: ast.ListLit, env: _Env) -> Node:
        items = [self.eval(i, env) for i in e.items]
        return Node(e, [i.value for i in items], items)

    # ---- folding (for the linter) ----
    def fold(self, e: ast.Expr, local: Mapping[str, Any] | None = None) -> Any:
        """The value of `e` when it depends on constants only; raises `Unknown` otherwise."""
        env = _Env(None, frozenset(), {}, frozenset(), dict(local or {}))
        if isinstance(e, ast.BoolOp):  # `x and false` is false whatever x is
            known = []
            for o in e.operands:
                try:
                    known.append(bool(self.fold(o, local)))
                except Unknown:
                    continue
            if (e.op == "and" and False in known) or (e.op == "or" and True in known):
                return e.op == "or"
            if len(known) < len(e.operands):
                raise Unknown(unparse.expr(e))
            return all(known) if e.op == "and" else any(known)
        try:
            return self.eval(e, env).value
        except Unknown:
            raise
        except Exception:  # a constant expression that cannot be computed is not "constant"
            raise Unknown(unparse.expr(e)) from None


# ---- a whole document ----

@dataclass
class ValueTrace:
    decl: ast.Value
    value: Any
    when: Node | None
    expr: Node | None  # None when `when` is false


@dataclass
class Instance:
    """One judging of a rule: once, or once per entry of its `each` list."""

    index: int | None
    item: Any
    condition: Node
    fired: bool
    message: dict[str, str] | None = None
    advice: dict[str, str] | None = None


@dataclass
class RuleTrace:
    rule: ast.Rule
    applies: bool
    each: Node | None = None
    instances: list[Instance] = field(default_factory=list)

    @property
    def fired(self) -> bool:
        return any(i.fired for i in self.instances)


@dataclass
class DocumentTrace:
    kind: str
    values: list[ValueTrace]
    rules: list[RuleTrace]  # in policy order, every rule of the policy
    fired: list[tuple[str, int | None]]  # (rule id, each index) in the order the compiled code fires them
    outcome: str
    today: _dt.date | None = None  # the evaluation date the rules read as `today`


def _outcome(effects: list[str]) -> str:
    return decision_of(effects)


def trace_document(checked: CheckedPolicy, doc: Mapping[str, Any], evaluator: Evaluator | None = None,
                   today: _dt.date | None = None) -> DocumentTrace:
    """Judge a decoded, schema-valid document step by step (`schema.decode` output) on the date `today`
    (default: the current date in Japan)."""
    ev = evaluator or Evaluator(checked)
    kind = doc["kind"]
    plan = plan_kind(checked, kind)
    env = _Env(doc, frozenset(checked.shapes[kind].fields), {}, frozenset(v.decl.name for v in plan.values),
               today=today if today is not None else japan_today())
    value_traces = []
    traces = {id(r): RuleTrace(r, kind in r.kinds) for r in checked.rules}
    fired: list[tuple[str, int | None]] = []
    effects: list[str] = []
    for step in plan.steps:
        if isinstance(step, ComputeValue):
            value_traces.append(_value(ev, step.value.decl, env))
        elif isinstance(step, DecideOutcome):
            env.outcome = _outcome(effects)
            env.values[OUTCOME_NAME] = env.outcome
        else:
            rt = traces[id(step.rule)]
            _judge(ev, rt, env)
            for inst in rt.instances:
                if inst.fired:
                    fired.append((rt.rule.id, inst.index))
                    effects.append(rt.rule.effect)
    return DocumentTrace(kind, value_traces, list(traces.values()), fired, _outcome(effects), env.today)


def _value(ev: Evaluator, d: ast.Value, env: _Env) -> ValueTrace:
    when = ev.eval(d.when, env) if d.when is not None else None
    if when is not None and not when.value:
        value, node = None, None
    else:
        node = ev.eval(d.expr, env)
        value = node.value
    env.values[d.name] = value
    return ValueTrace(d, value, when, node)


def _judge(ev: Evaluator, rt: RuleTrace, env: _Env) -> None:
    rule = rt.rule
    if rule.each is None:
        cond = ev.eval(rule.condition, env)
        rt.instances.append(_instance(ev, rule, None, None, cond, env))
        return
    var, seq_e = rule.each
    rt.each = ev.eval(seq_e, env)
    for i, item in enumerate(rt.each.value):
        local = env.bind(var, item)
        if rule.each_index is not None:
            local = local.bind(rule.each_index, i)
        cond = ev.eval(rule.condition, local)
        rt.instances.append(_instance(ev, rule, i, item, cond, local))


def _instance(ev: Evaluator, rule: ast.Rule, index: int | None, item: Any, cond: Node, env: _Env) -> Instance:
    inst = Instance(index, item, cond, bool(cond.value))
    if inst.fired:
        inst.message = {lang: _render(ev, t, env, lang) for lang, t in sorted(rule.message.items())}
        inst.advice = {lang: _render(ev, t, env, lang) for lang, t in sorted(rule.advice.items())} or None
    return inst


def _render(ev: Evaluator, text: ast.Text, env: _Env, lang: str) -> str:
    return "".join(p if isinstance(p, str) else render_value(ev.eval(p, env).value, lang) for p in text.parts)


def evaluate(checked: CheckedPolicy, e: ast.Expr, doc: Mapping[str, Any] | None = None,
             evaluator: Evaluator | None = None) -> Any:
    """The value of a type-checked expression for a decoded, schema-valid document (its facts, lets
    and outcome computed first), or from constants alone when `doc` is None (`espolicy eval`)."""
    ev = evaluator or Evaluator(checked)
    if doc is None:
        return ev.eval(e, _Env(None, frozenset(), {}, frozenset())).value
    dt = trace_document(checked, doc, ev)
    values = {vt.decl.name: vt.value for vt in dt.values}
    values[OUTCOME_NAME] = dt.outcome
    env = _Env(doc, frozenset(checked.shapes[dt.kind].fields), values, frozenset(values), outcome=dt.outcome,
               today=dt.today)
    return ev.eval(e, env).value
