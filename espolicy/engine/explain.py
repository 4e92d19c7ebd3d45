"""`espolicy explain DOC`: how the policy judged a document, step by step.

For every rule: whether it applies to the document's kind, what each sub-condition (every operand
of `and`/`or`, every comparison, test and quantifier) evaluated to with the values of its operands,
and whether it fired (with its message). Before the rules: every fact and let, its expression, the
values it was computed from, and its value. The steps come from the tracing evaluator
(`espolicy/trace.py`), which a differential test keeps in agreement with the compiled policy.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Mapping, TextIO, cast

from espolicy.documents.normalize import normalize
from espolicy.engine.datafiles import DataSet, data_sets
from espolicy.report import Report

from espolicy.lang import ast
from espolicy.lang import unparse
from espolicy.lang.ast import free_names, rule_names
from espolicy.lang.trace import (DocumentTrace, Evaluator, Node, RuleTrace, ValueTrace, is_boolean_node, plain,
                                 show, trace_document)

if TYPE_CHECKING:
    from espolicy.engine.policy import Policy

YES, NO, SKIP = "✓", "✗", "·"


class Explainer:
    """What explaining a policy's decisions needs, built once per policy: its tracing evaluator
    and, for each kind, where each rule points in a document."""

    __slots__ = ("policy", "evaluator", "pointers", "data")

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.evaluator = Evaluator(policy.checked)
        self.data = data_sets(policy.checked)   # named where a rule or value reads them
        self.pointers: dict[str, dict[str, Any]] = {kind: {rp.rule.id: rp.pointer for rp in prog.rules}
                                                    for kind, prog in policy.programs.items()}

    def trace(self, doc: Any, today: _dt.date | None = None) -> DocumentTrace:
        """The step-by-step judgement of a schema-valid document (as loaded) on `today` (default:
        the current date in Japan)."""
        typed = self.policy.schemas.decode(cast(Mapping[str, Any], normalize(doc)))
        return trace_document(self.policy.checked, typed, self.evaluator, today)

    def to_json(self, trace: DocumentTrace, rule: str | None = None) -> dict[str, Any]:
        """`espolicy explain --format json`'s tree of a trace (only `rule` and what it reads, when given)."""
        return to_json(trace, self.pointers[trace.kind], rule, self.data)


def _mark(node: Node) -> str:
    if not node.evaluated:
        return SKIP
    return YES if node.value else NO


# ---------------------------------------------------------------- condition trees

def _operands(node: Node) -> str:
    """`3 > 5` for `pack.term_years > MAX_YEARS`: the comparison with its operands' values."""
    e = node.expr
    if isinstance(e, ast.Compare) and len(node.children) == 2:
        a, b = node.children
        if isinstance(e.left, ast.Literal) and isinstance(e.right, ast.Literal):
            return ""
        return f"{show(a.value)} {e.op} {show(b.value)}"
    if isinstance(e, ast.Test) and node.children:
        return f"{show(node.children[0].value)} is {e.test}"
    if isinstance(e, ast.Quant) and node.children:
        n = len(node.children[0].value) if node.children[0].evaluated else 0
        return f"{n} entr{'y' if n == 1 else 'ies'} in {unparse.expr(e.seq)}"
    if not is_boolean_node(e) and node.evaluated and not isinstance(e, ast.Literal):
        return show(node.value)
    return ""


def _sub_conditions(node: Node) -> list[Node]:
    e = node.expr
    if isinstance(e, (ast.BoolOp, ast.Not)):
        return node.children
    if isinstance(e, ast.Quant):
        return node.children[1:]
    if isinstance(e, ast.If):
        return [c for c in node.children if is_boolean_node(c.expr) or c is node.children[0]]
    return []


def condition_lines(node: Node, indent: str) -> list[str]:
    """The tree of a condition: one line per sub-condition, ✓ true, ✗ false, · not evaluated."""
    label = f"[{node.label}]  " if node.label else ""
    if not node.evaluated:
        return [f"{indent}{SKIP} {label}{node.text}   (not evaluated: the result was already known)"]
    detail = _operands(node)
    line = f"{indent}{_mark(node)} {label}{node.text}" + (f"   — {detail}" if detail else "")
    out = [line]
    for child in _sub_conditions(node):
        out += condition_lines(child, indent + "    ")
    return out


# ---------------------------------------------------------------- facts and lets

def inputs(node: Node) -> list[tuple[str, Any]]:
    """The named values an expression was computed from: fields, facts, lets, constants (deduplicated).
    A variable of a quantifier or aggregate (`h` in `count(h in history: …)`) is not one: it takes
    every entry in turn, and the list it runs over is shown instead."""
    seen: dict[str, Any] = {}

    def visit(n: Node, bound: frozenset[str]) -> None:
        if not n.evaluated:
            return
        if isinstance(n.expr, (ast.Name, ast.Attr)):
            if _root(n.expr) not in bound:
                seen.setdefault(n.text, n.value)
            return
        if isinstance(n.expr, (ast.Quant, ast.Aggregate)):
            bound = bound | {n.expr.var}
        for c in n.children:
            visit(c, bound)

    visit(node, frozenset())
    return list(seen.items())


def _root(e: ast.Expr) -> str | None:
    """`h` of `h.generation`: the name a field path starts from."""
    while isinstance(e, ast.Attr):
        e = e.obj
    return e.name if isinstance(e, ast.Name) else None


def value_lines(vt: ValueTrace, indent: str = "  ") -> list[str]:
    kw = "fact" if vt.decl.exported else "let "
    head = f"{indent}{kw} {vt.decl.name} = {show(vt.value)}"
    out = [head, f"{indent}       ← {unparse.expr(vt.decl.expr)}"]
    if vt.when is not None:
        held = "true" if vt.when.value else "false: absent"
        out.append(f"{indent}         when {unparse.expr(vt.decl.when)}   — {held}")  # type: ignore[arg-type]
    if vt.expr is not None:
        used = [f"{k} = {show(v)}" for k, v in inputs(vt.expr) if k != vt.decl.name]
        if used:
            out.append(f"{indent}         from " + ", ".join(used))
    return out


# ---------------------------------------------------------------- a document

def rule_lines(rt: RuleTrace, pointers: dict[str, Any], lang: str) -> list[str]:
    r = rt.rule
    faq = ", ".join(r.faq) if r.faq else "no FAQ"
    if not rt.applies:
        return [f"  – {r.id}  ({r.effect}, {faq}): not for this kind (for {', '.join(r.kinds)})"]
    status = "FIRED" if rt.fired else "did not fire"
    out = [f"  {YES if rt.fired else NO} {r.id}  {r.effect} [{faq}]  {status}"]
    if r.title:
        out.append(f"      {r.title.get(lang) or r.title['en']}")
    if r.tags or r.owner:
        out.append("      " + "; ".join(([f"tags: {', '.join(r.tags)}"] if r.tags else [])
                                        + ([f"owner: {r.owner}"] if r.owner else [])))
    if r.each is not None:
        n = len(rt.each.value) if rt.each is not None and rt.each.evaluated else 0
        out.append(f"      each {unparse.each(r)}   — {n} entr{'y' if n == 1 else 'ies'}")
        if n == 0:
            out.append("      (nothing to judge)")
    for inst in rt.instances:
        indent = "      "
        if inst.index is not None:
            out.append(f"      [{r.each[0]} = {show(inst.item)} (#{inst.index})]")  # type: ignore[index]
            indent = "        "
        out += condition_lines(inst.condition, indent)
        if inst.fired and inst.message:
            pointer = pointers[r.id](inst.index) if r.id in pointers else ""
            out.append(f"{indent}→ {pointer or '/'}: {inst.message.get(lang) or inst.message.get('en', '')}")
            if inst.advice:
                out.append(f"{indent}  advice: {inst.advice.get(lang) or inst.advice.get('en', '')}")
    return out


def render_text(dt: DocumentTrace, header: str, pointers: dict[str, Any], lang: str,
                rule: str | None, out: TextIO, data: Sequence[DataSet] = ()) -> None:
    """The trace for people; `data`: the policy's data sets, of which those read are named."""
    out.write(f"{header}  → {dt.outcome.upper()}\n")
    if dt.today is not None:
        out.write(f"judged on {dt.today.isoformat()} (`today`)\n")
    rules = [rt for rt in dt.rules if rule is None or rt.rule.id == rule]
    needed = _needed_values(dt, rules) if rule else None
    values = [v for v in dt.values if needed is None or v.decl.name in needed]
    for d in data_read(data, rules, values):
        out.write(f"data {d.name} from {d.file} ({d.holds})\n")
    if values:
        out.write("\nfacts and lets, in the order they are computed\n")
        for vt in values:
            out.write("\n".join(value_lines(vt)) + "\n")
    applying = [rt for rt in rules if rt.applies]
    others = [rt for rt in rules if not rt.applies]
    out.write(f"\nrules for {dt.kind} documents ({len(applying)}"
              + (f"; {len(others)} other{'' if len(others) == 1 else 's'} are for other kinds" if others else "")
              + ")\n")
    for rt in applying:
        out.write("\n".join(rule_lines(rt, pointers, lang)) + "\n")
    if others and rule is not None:
        for rt in others:
            out.write("\n".join(rule_lines(rt, pointers, lang)) + "\n")
    fired = [rid for rid, _ in dt.fired]
    out.write(f"\noutcome: {dt.outcome}" + (f" (fired: {', '.join(dict.fromkeys(fired))})" if fired else
                                           " (no rule fired)") + "\n")


def data_read(data: Sequence[DataSet], rules: list[RuleTrace], values: list[ValueTrace]) -> list[DataSet]:
    """The data sets the rules and values read by name."""
    names: set[str] = set()
    for rt in rules:
        names |= rule_names(rt.rule)
    for v in values:
        names |= free_names(v.decl.expr) | free_names(v.decl.when)
    return [d for d in data if d.name in names]


def _needed_values(dt: DocumentTrace, rules: list[RuleTrace]) -> set[str]:
    """The facts and lets the given rules read, directly or through other facts and lets."""
    by_name = {v.decl.name: v.decl for v in dt.values}
    todo = set()
    for rt in rules:
        todo |= rule_names(rt.rule)
    needed: set[str] = set()
    while todo:
        n = todo.pop()
        if n in by_name and n not in needed:
            needed.add(n)
            d = by_name[n]
            todo |= free_names(d.expr) | free_names(d.when)
    return needed


def node_json(node: Node) -> dict[str, Any]:
    d: dict[str, Any] = {"expr": node.text, "evaluated": node.evaluated, "value": plain(node.value)}
    if node.label:
        d["label"] = node.label
    if node.children:
        d["children"] = [node_json(c) for c in node.children]
    return d


def to_json(dt: DocumentTrace, pointers: dict[str, Any], rule: str | None,
            data: Sequence[DataSet] = ()) -> dict[str, Any]:
    """The trace as JSON; `data`: the policy's data sets, of which those read are listed."""
    rules = [rt for rt in dt.rules if rule is None or rt.rule.id == rule]
    needed = _needed_values(dt, rules) if rule else None
    shown = [vt for vt in dt.values if needed is None or vt.decl.name in needed]
    values = []
    for vt in shown:
        values.append({
            "name": vt.decl.name, "exported": vt.decl.exported, "expr": unparse.expr(vt.decl.expr),
            "when": None if vt.when is None else {"expr": unparse.expr(vt.decl.when), "value": vt.when.value},  # type: ignore[arg-type]
            "value": plain(vt.value), "inputs": {k: plain(v) for k, v in inputs(vt.expr)} if vt.expr else {},
            "steps": node_json(vt.expr) if vt.expr else None,
        })
    out_rules = []
    for rt in rules:
        r = rt.rule
        item: dict[str, Any] = {"rule": r.id, "effect": r.effect, "faq": list(r.faq), "kinds": list(r.kinds),
                                "applies": rt.applies, "fired": rt.fired,
                                "condition": unparse.expr(r.condition)}
        if r.title or r.tags or r.owner:
            item["metadata"] = {"title": dict(r.title), "tags": list(r.tags), "owner": r.owner}
        if r.each is not None:
            item["each"] = {"var": r.each[0], "in": unparse.expr(r.each[1]),
                            "entries": len(rt.each.value) if rt.each is not None and rt.each.evaluated else 0}
        item["instances"] = [{
            "index": inst.index, "item": plain(inst.item) if inst.index is not None else None, "fired": inst.fired,
            "path": (pointers[r.id](inst.index) if r.id in pointers else "") if inst.fired else None,
            "message": inst.message, "advice": inst.advice, "steps": node_json(inst.condition),
        } for inst in rt.instances]
        out_rules.append(item)
    out: dict[str, Any] = {"kind": dt.kind, "outcome": dt.outcome, "today": dt.today.isoformat() if dt.today else None,
                           "fired": [{"rule": r, "index": i} for r, i in dt.fired], "values": values,
                           "rules": out_rules}
    read = data_read(data, rules, shown)
    if read:
        out["data"] = [{"name": d.name, "file": d.file, "holds": d.holds} for d in read]
    return out


# ---------------------------------------------------------------- the command


# ---------------------------------------------------------------- waivers

def waiver_lines(before: str, report: Report, file: str, lang: str) -> list[str]:
    """What the waivers file did to a judged document: each finding a waiver matched, with the
    waiver, and the outcome with the waivers beside the outcome the rules gave."""
    lines = [f"waivers ({file})"]
    matched = [f for f in report.findings if f.waiver is not None]
    for f in matched:
        lines.append(f"  {'WAIVED' if f.waived else 'NOT WAIVED'}  {f.effect}  {f.rule}  {f.path}")
        lines.append(f"      {f.waiver.note(lang) if f.waiver is not None else ''}")
    if not matched:
        lines.append("  no waiver matches a finding of this document")
    lines.append(f"outcome with waivers: {report.outcome}" + (f" (the rules gave {before})" if before != report.outcome else ""))
    return lines


def waivers_json(report: Report, file: str) -> dict[str, Any]:
    """The same for `--format json`: the file, the outcome with the waivers, the matched findings."""
    return {"file": file, "outcome": report.outcome,
            "findings": [f.to_dict() for f in report.findings if f.waiver is not None]}
