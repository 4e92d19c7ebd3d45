"""Condition coverage of the policy's tests: every decision in a rule seen both true and false.

The decisions of a rule are its whole condition, every operand of `and`/`or`, every quantifier
(`any`/`all`), every `if` condition, and its `each` (an entry that fired, one that did not). The
tests' documents are judged again by the tracing evaluator (`lang/trace.py`, kept in agreement
with the compiled policy by a differential test), and every evaluated decision records its value;
parts skipped by short-circuiting record nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from espolicy.errors import Span
from espolicy.lang import ast, unparse
from espolicy.lang.trace import Evaluator, trace_document


@dataclass
class Decision:
    """One place in a rule that can be true or false, and the values the tests gave it."""

    span: Span
    text: str
    what: str  # "condition", "operand of `and`", "`any`", "`if` condition", "each"
    seen: set[bool] = field(default_factory=set)

    @property
    def missing(self) -> list[bool]:
        return [v for v in (True, False) if v not in self.seen]


@dataclass
class RuleConditions:
    rule: str
    file: str
    decisions: list[Decision]

    @property
    def covered(self) -> int:
        return sum(len(d.seen) for d in self.decisions)

    @property
    def total(self) -> int:
        return 2 * len(self.decisions)


def decisions(rule: ast.Rule) -> tuple[dict[int, Decision], Decision, Decision | None]:
    """The decisions of `rule` by the identity of their expression node, its whole condition, and
    its `each` (None without one)."""
    found: dict[int, Decision] = {}
    root = Decision(rule.condition.span, unparse.expr(rule.condition), "condition")
    found[id(rule.condition)] = root
    _walk(rule.condition, found)
    each = None
    if rule.each is not None:
        var, seq = rule.each
        each = Decision(seq.span, f"each {var} in {unparse.expr(seq)}", "each")
        _walk(seq, found)
    return found, root, each


def _walk(e: ast.Expr, found: dict[int, Decision]) -> None:
    for child, what in _decision_children(e):
        if id(child) not in found:
            found[id(child)] = Decision(child.span, unparse.expr(child), what)
    for child in _subexpressions(e):
        _walk(child, found)


def _decision_children(e: ast.Expr) -> Iterator[tuple[ast.Expr, str]]:
    if isinstance(e, ast.BoolOp):
        for o in e.operands:
            yield o, f"operand of `{e.op}`"
    elif isinstance(e, ast.If):
        yield e.cond, "`if` condition"
    if isinstance(e, ast.Quant):
        yield e, f"`{e.kind}`"


def _subexpressions(e: ast.Expr) -> Iterator[ast.Expr]:
    for name in getattr(e, "__dataclass_fields__", {}):
        value = getattr(e, name)
        items = value if isinstance(value, tuple) else (value,)
        for v in items:
            if hasattr(v, "span") and hasattr(v, "__dataclass_fields__") and not isinstance(v, ast.Text):
                yield v


def condition_coverage(policy: Any, documents: Iterable[Any], todays: Iterable[Any] | None = None) -> list[RuleConditions]:
    """Per rule of `policy`, its decisions and the values the (schema-valid) `documents` gave them, each
    judged on its date in `todays` (default: the current date in Japan)."""
    from espolicy.documents.schema import normalize
    evaluator = Evaluator(policy.checked)
    table = []
    by_rule: dict[str, tuple[dict[int, Decision], Decision, Decision | None]] = {}
    for rule in policy.rules:
        found, root, each = decisions(rule)
        by_rule[rule.id] = (found, root, each)
        ordered = sorted(found.values(), key=lambda d: (d.span.line, d.span.column, d.what != "condition"))
        table.append(RuleConditions(rule.id, rule.span.file, ([each] if each else []) + ordered))
    days = iter(todays) if todays is not None else None
    for doc in documents:
        today = next(days, None) if days is not None else None
        errors, typed = policy.schemas.check_and_decode(doc)
        if typed is None:
            continue
        trace = trace_document(policy.checked, policy.schemas.decode(normalize(doc)), evaluator, today)
        for rt in trace.rules:
            if not rt.applies:
                continue
            found, root, each = by_rule[rt.rule.id]
            for inst in rt.instances:
                if each is not None:
                    each.seen.add(inst.fired)
                for node in inst.condition.walk():
                    d = found.get(id(node.expr))
                    if d is not None and node.evaluated:
                        d.seen.add(bool(node.value))
            if rt.each is not None:
                for node in rt.each.walk():
                    d = found.get(id(node.expr))
                    if d is not None and node.evaluated:
                        d.seen.add(bool(node.value))
    return table


def percent(table: list[RuleConditions]) -> float:
    total = sum(r.total for r in table)
    return 100.0 * sum(r.covered for r in table) / total if total else 100.0
