"""Checked AST → one Python function per document kind, generated once and compiled with `compile()`.

Safety: text from a policy never becomes code. Every literal enters the generated source through
`repr()` of a plain value (str, int, bool) or as numbers in a date constructor; every identifier
matches `_IDENT` and gets a prefix (`v_`, `l_`, `c_`), so a policy name can never reach a Python
builtin or dunder. Field names are dictionary keys, again through `repr()`.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from espolicy import pointers
from espolicy.lang import ast
from espolicy.lang.builtins import BUILTINS
from espolicy.cache import compile_cached
from espolicy.effects import DECISION_BY_BITS, EFFECT_BITS
from espolicy.errors import PolicyError, diagnostic
from espolicy.limits import MAX_PRODUCT_BITS
from espolicy.lang.dates import date_text, date_text_en, date_text_ja, moment_text, time_text
from espolicy.lang.runtime import AGGREGATE_IMPL, lookup
from espolicy.lang.plan import ComputeValue, DecideOutcome, plan_kind
from espolicy.lang.typecheck import OUTCOME_NAME, TODAY_NAME, CheckedPolicy, path_key
from espolicy.lang.types import (TBool, TDate, TDateTime, TInt, TList, TRecord, TSet, TStr, TTime, Type,
                                 strip_optional)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class CompileError(Exception):
    """A policy construct the compiler refuses (should have been caught by the checker)."""


def _ident(prefix: str, name: str) -> str:
    if not _IDENT.match(name):
        raise CompileError(f"not an identifier: {name!r}")
    return prefix + name


def _lit(value: Any) -> str:
    """Source text of a literal value; only plain, inert values are accepted."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, str):
        return repr(str(value))
    if isinstance(value, _dt.date):
        return f"_date({value.year:d}, {value.month:d}, {value.day:d})"
    if isinstance(value, _dt.time):
        return f"_time({value.hour:d}, {value.minute:d})"
    raise CompileError(f"unsupported literal {type(value).__name__}")


def render_value(value: Any, lang: str = "") -> str:
    """How an interpolated value reads in a message in `lang` (`en`, `ja`: dates and times as that
    language writes them); with no language, dates and times in ISO 8601 (as `explain` shows values)."""
    return _RENDERERS[lang](value)


def renderer(lang: str) -> Callable[[Any], str]:
    """`render_value` for one language, as a generated message calls it (one call per value)."""
    table = _RENDER[lang]

    def render(value: Any) -> str:
        fast = table.get(value.__class__)
        return fast(value) if fast is not None else _render_other(value, lang)
    return render


def _render_int(value: int) -> str:
    if value.bit_length() > 64:  # str() of a huge int is slow or refused
        return f"(a number of about {int(value.bit_length() * 0.30103) + 1} digits)"
    return str(value)


def _render_other(value: Any, lang: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.datetime):
        return moment_text(value, lang) if lang else value.isoformat(timespec="seconds")
    if isinstance(value, _dt.date):
        return date_text(value, lang) if lang else value.isoformat()
    if isinstance(value, _dt.time):
        return time_text(value, lang) if lang else value.strftime("%H:%M")
    if isinstance(value, int):
        return _render_int(value)
    if isinstance(value, (set, frozenset)):
        return ", ".join(sorted(render_value(v, lang) for v in value))
    if isinstance(value, (list, tuple)):
        return ", ".join(render_value(v, lang) for v in value)
    return str(value)


_PLAIN: dict[type, Callable[[Any], str]] = {str: str.__str__, int: _render_int, bool: lambda v: "true" if v else "false"}
_RENDER: dict[str, dict[type, Callable[[Any], str]]] = {
    "": {**_PLAIN, _dt.date: _dt.date.isoformat},
    "en": {**_PLAIN, _dt.date: date_text_en},
    "ja": {**_PLAIN, _dt.date: date_text_ja},
}
_RENDERERS = {lang: renderer(lang) for lang in _RENDER}


EAGER = 4
"""The bit `run` sets when a rule fired whose texts are rendered at once (not deferrable)."""


@dataclass(frozen=True)
class RuleProgram:
    """What the report needs of a rule once it fired."""

    rule: ast.Rule
    render: Callable[[dict, tuple, Any, int | None, Any], tuple[dict[str, str], dict[str, str] | None]]
    pointer: Callable[[int | None], str]
    deferrable: bool = False   # `render` cannot raise, so the texts may be rendered when first read


@dataclass(frozen=True)
class KindProgram:
    """The compiled policy of one kind: `run(doc, today) -> (values, fired, bits)` and its rules.
    `values` is a tuple: each fact and let in the order of the plan (then the outcome, when a rule
    reads it); `fired`: (rule index, `each` index, item) of each rule that fired, in order; `bits`:
    the OR of their effects' `EFFECT_BITS` (the decision is `DECISION_BY_BITS[bits & 3]`) and
    `EAGER` when one of them renders its texts at once."""

    kind: str
    run: Callable[[dict, Any], tuple[tuple[Any, ...], list[tuple[int, Any, Any]], int]]
    rules: tuple[RuleProgram, ...]
    exported: tuple[tuple[str, int], ...]   # each fact: its name and its place in `values`
    source: str
    facts_deferrable: bool = True   # converting the facts for the report cannot fail


class _Emitter(ast.Visitor[str, frozenset[str]]):
    """Expression → Python source, with a choice of how values (facts, lets) are spelled."""

    def __init__(self, values: Mapping[str, int], consts: set[str], shape: TRecord, in_message: bool,
                 hoist: bool = True):
        # values: each fact and let (and `outcome`, in messages) -> its place in the tuple `run` returns
        self.values, self.consts, self.in_message, self.hoist = values, consts, in_message, hoist
        self.shape, self.fields = shape, set(shape.fields)
        self.local_types: dict[str, Type] = {}
        self.hoisted: dict[str, str] = {}  # top-level fields, read once per document: variable -> read
        self.literal_sets: dict[str, frozenset[Any]] = {}  # set literals, built once per policy

    def static_type(self, e: ast.Expr, local: frozenset[str]) -> Type | None:
        """The schema type of a field path (through `each`/quantifier variables), else None."""
        if isinstance(e, ast.Name):
            if e.name in local:
                return self.local_types.get(e.name)
            if e.name in self.values or e.name in self.consts or e.name not in self.fields:
                return None
            return self.shape.fields[e.name].type
        if isinstance(e, ast.Attr):
            t = self.static_type(e.obj, local)
            t = strip_optional(t) if t is not None else None
            if isinstance(t, TRecord) and e.name in t.fields:
                return t.fields[e.name].type
        return None

    def _always_present(self, record: Type | None, name: str) -> bool:
        record = strip_optional(record) if record is not None else None
        return isinstance(record, TRecord) and name in record.fields and record.fields[name].always_present

    def bind(self, var: str, seq: ast.Expr, local: frozenset[str]) -> None:
        """Record the item type of a list a variable runs over (names never shadow: the checker says so)."""
        t = self.static_type(seq, local)
        t = strip_optional(t) if t is not None else None
        if isinstance(t, (TList, TSet)):
            self.local_types[var] = t.item
        else:
            self.local_types.pop(var, None)

    def expr(self, e: ast.Expr, local: frozenset[str] = frozenset()) -> str:
        return e.accept(self, local)

    def visit_literal(self, e: ast.Literal, local: frozenset[str]) -> str:
        return _lit(e.value)

    def visit_name(self, e: ast.Name, local: frozenset[str]) -> str:
        n = e.name
        if n in local:
            return _ident("l_", n)
        if n in self.values:
            return f"V[{self.values[n]:d}]" if self.in_message else _ident("v_", n)
        if n in self.consts:
            return _ident("c_", n)
        if n in self.fields:
            read = f"d[{n!r}]" if self._always_present(self.shape, n) else f"d.get({n!r})"
            if self.in_message:
                return read
            self.hoisted.setdefault(_ident("f_", n), read)
            return _ident("f_", n)
        if n == OUTCOME_NAME:
            return f"V[{n!r}]" if self.in_message else "o_outcome"
        if n == TODAY_NAME:
            return "t_today"
        raise CompileError(f"unresolved name {n!r}")

    def never_raises(self, e: ast.Expr, local: frozenset[str]) -> bool:
        """True when the code of `e` cannot raise: a literal, a name, or a field of a record that
        is always there (absent fields read as None, which renders as `—`)."""
        if isinstance(e, (ast.Literal, ast.Name)):
            return True
        return isinstance(e, ast.Attr) and self._a_record(e.obj, local)

    def _a_record(self, e: ast.Expr, local: frozenset[str]) -> bool:
        """True when `e` is never None: a bound variable, a constant, a field always present."""
        if isinstance(e, ast.Name):
            if e.name in local or (e.name in self.consts and e.name not in self.values):
                return True
            return e.name in self.fields and e.name not in self.values and self._always_present(self.shape, e.name)
        return (isinstance(e, ast.Attr) and self._a_record(e.obj, local)
                and self._always_present(self.static_type(e.obj, local), e.name))

    def visit_attr(self, e: ast.Attr, local: frozenset[str]) -> str:
        if self._always_present(self.static_type(e.obj, local), e.name):
            return f"{self.expr(e.obj, local)}[{e.name!r}]"
        return f"{self.expr(e.obj, local)}.get({e.name!r})"

    def visit_call(self, e: ast.Call, local: frozenset[str]) -> str:
        if e.func not in BUILTINS:
            raise CompileError(f"unknown function {e.func!r}")
        args = ", ".join(self.expr(a, local) for a in e.args)
        return f"{_ident('B_', e.func)}({args})"

    def visit_neg(self, e: ast.Neg, local: frozenset[str]) -> str:
        return f"(-{self.expr(e.operand, local)})"

    def visit_arith(self, e: ast.Arith, local: frozenset[str]) -> str:
        if e.op not in ("+", "-", "*"):
            raise CompileError(f"operator {e.op!r}")
        if e.op == "*":  # bounded: constants squared in a chain would otherwise grow without end
            return f"_mul({self.expr(e.left, local)}, {self.expr(e.right, local)})"
        return f"({self.expr(e.left, local)} {e.op} {self.expr(e.right, local)})"

    def visit_compare(self, e: ast.Compare, local: frozenset[str]) -> str:
        if e.op not in ("==", "!=", "<", "<=", ">", ">=", "in", "not in"):
            raise CompileError(f"operator {e.op!r}")
        return f"({self.expr(e.left, local)} {e.op} {self.expr(e.right, local)})"

    def visit_boolop(self, e: ast.BoolOp, local: frozenset[str]) -> str:
        if e.op not in ("and", "or"):
            raise CompileError(f"operator {e.op!r}")
        return "(" + f" {e.op} ".join(self.expr(o, local) for o in e.operands) + ")"

    def visit_not(self, e: ast.Not, local: frozenset[str]) -> str:
        return f"(not {self.expr(e.operand, local)})"

    def visit_test(self, e: ast.Test, local: frozenset[str]) -> str:
        x = self.expr(e.operand, local)
        return {"present": f"({x} is not None)", "absent": f"({x} is None)",
                "number": f"_is_int({x})", "text": f"isinstance({x}, str)"}[e.test]

    def visit_if(self, e: ast.If, local: frozenset[str]) -> str:
        return f"({self.expr(e.then, local)} if {self.expr(e.cond, local)} else {self.expr(e.else_, local)})"

    def visit_quant(self, e: ast.Quant, local: frozenset[str]) -> str:
        var = _ident("l_", e.var)
        inner = local | {e.var}
        self.bind(e.var, e.seq, local)
        fn = "any" if e.kind == "any" else "all"
        return f"{fn}({self.expr(e.body, inner)} for {var} in {self.expr(e.seq, local)})"

    def visit_aggregate(self, e: ast.Aggregate, local: frozenset[str]) -> str:
        var = _ident("l_", e.var)
        self.bind(e.var, e.seq, local)
        body = self.expr(e.body, local | {e.var})
        return f"{_ident('A_', e.func)}({body} for {var} in {self.expr(e.seq, local)})"

    def visit_index(self, e: ast.Index, local: frozenset[str]) -> str:
        return f"_lookup({self.expr(e.obj, local)}, {self.expr(e.key, local)})"

    def visit_setlit(self, e: ast.SetLit, local: frozenset[str]) -> str:
        if not e.items:
            return "frozenset()"
        if self.hoist and all(isinstance(i, ast.Literal) for i in e.items):
            value = frozenset(i.value for i in e.items)  # type: ignore[union-attr]
            name = next((k for k, v in self.literal_sets.items() if v == value), f"S_{len(self.literal_sets)}")
            self.literal_sets[name] = value
            return name
        return "frozenset((" + "".join(self.expr(i, local) + ", " for i in e.items) + "))"

    def visit_listlit(self, e: ast.ListLit, local: frozenset[str]) -> str:
        return "[" + ", ".join(self.expr(i, local) for i in e.items) + "]"


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _const_order(consts: tuple[ast.Const | ast.Table, ...]) -> list[ast.Const | ast.Table]:
    by_name = {c.name: c for c in consts}
    done: list[ast.Const | ast.Table] = []
    seen: set[str] = set()

    def visit(c: ast.Const | ast.Table) -> None:
        if c.name in seen:
            return
        seen.add(c.name)
        body = (c.expr,) if isinstance(c, ast.Const) else tuple(e for _, e in c.entries)
        for dep in sorted(set().union(*(ast.free_names(x) for x in body))):
            if dep in by_name:
                visit(by_name[dep])
        done.append(c)

    for c in consts:
        visit(c)
    return done


def _mul(a: int, b: int) -> int:
    """`a * b`, or OverflowError when the product would exceed MAX_PRODUCT_BITS (espolicy.limits)."""
    if a.bit_length() + b.bit_length() > MAX_PRODUCT_BITS:
        raise OverflowError(f"a product of numbers of {a.bit_length()} and {b.bit_length()} bits is too large "
                            f"(more than {MAX_PRODUCT_BITS} bits)")
    return a * b


def _namespace() -> dict[str, Any]:
    ns: dict[str, Any] = {"__builtins__": {"any": any, "all": all, "isinstance": isinstance, "str": str,
                                           "frozenset": frozenset, "enumerate": enumerate, "None": None},
                          "_date": _dt.date, "_time": _dt.time, "_is_int": _is_int, "_decision": DECISION_BY_BITS,
                          "_render_en": renderer("en"), "_render_ja": renderer("ja"),
                          "_mul": _mul, "_lookup": lookup}
    for name, impl in AGGREGATE_IMPL.items():
        ns[_ident("A_", name)] = impl
    for name, b in BUILTINS.items():
        ns[_ident("B_", name)] = b.impl
    return ns


def constant_sources(checked: CheckedPolicy) -> list[tuple[ast.Const | ast.Table, str]]:
    """Each constant and table with the one line of Python that computes it, in dependency order
    (executed one by one when the policy compiles; scanned by the safety tests)."""
    plain = _Emitter({}, {c.name for c in checked.consts} | set(checked.data), TRecord({}), in_message=False,
                     hoist=False)
    out: list[tuple[ast.Const | ast.Table, str]] = []
    for c in _const_order(checked.consts):
        if isinstance(c, ast.Const):
            out.append((c, f"{_ident('c_', c.name)} = {plain.expr(c.expr)}"))
        else:
            items = ", ".join(f"{k!r}: {plain.expr(e)}" for k, e in c.entries)
            out.append((c, f"{_ident('c_', c.name)} = {{{items}}}"))
    return out


def compile_policy(checked: CheckedPolicy) -> dict[str, KindProgram]:
    """Generate and compile one function per kind; constants are computed once here."""
    ns = _namespace()
    for name, value in checked.data.items():  # data files: plain values, never code
        ns[_ident("c_", name)] = value
    const_names = {c.name for c in checked.consts} | set(checked.data)
    for c, line in constant_sources(checked):
        try:   # one at a time: a constant that cannot be computed is a PolicyError at its declaration
            exec(compile(line, "<espolicy constants>", "exec"), ns)
        except Exception as e:   # OverflowError, ValueError of a built-in (add_days, last_day, _mul ...)
            sources = {m.file: m.source for m in checked.modules}
            raise PolicyError([diagnostic("bad-constant", f"`{c.name}` cannot be computed: {e}", c.span,
                                          sources.get(c.span.file))]) from None
    return {kind: _compile_kind(kind, checked, ns, const_names) for kind in sorted(checked.shapes)}


def _compile_kind(kind: str, checked: CheckedPolicy, base_ns: dict[str, Any], consts: set[str]) -> KindProgram:
    plan = plan_kind(checked, kind)
    values, ordered = plan.values, plan.rules
    places = {v.decl.name: i for i, v in enumerate(values)}   # in the tuple `run` returns
    shape = checked.shapes[kind]
    run_e = _Emitter(places, consts, shape, in_message=False)
    msg_e = _Emitter({**places, OUTCOME_NAME: len(values)} if plan.decides_outcome else places, consts, shape,
                     in_message=True)
    deferrable = [_deferrable(r, msg_e) for r in ordered]
    # b_: the OR of the bits of the rules fired so far (effects.EFFECT_BITS, and EAGER)
    bits = [EFFECT_BITS.get(r.effect, 0) | (0 if deferrable[i] else EAGER) for i, r in enumerate(ordered)]
    lines = ["def run(d, t_today):", "    fired = []", "    b_ = 0"]
    for step in plan.steps:
        if isinstance(step, ComputeValue):
            decl = step.value.decl
            code = run_e.expr(decl.expr)
            if decl.when is not None:
                code = f"({code}) if ({run_e.expr(decl.when)}) else None"
            lines.append(f"    {_ident('v_', decl.name)} = {code}")
            continue
        if isinstance(step, DecideOutcome):
            lines.append("    o_outcome = _decision[b_ & 3]")
            continue
        i, rule = step.index, step.rule
        if rule.each is None:
            lines.append(f"    if {run_e.expr(rule.condition)}:")
            lines.append(f"        fired.append(({i}, None, None))")
            if bits[i]:
                lines.append(f"        b_ |= {bits[i]:d}")
        else:
            var, seq = rule.each
            lv = _ident("l_", var)
            local = frozenset(rule.each_names)
            run_e.bind(var, seq, frozenset())
            index = _ident("l_", rule.each_index) if rule.each_index else "i_"
            lines.append(f"    for {index}, {lv} in enumerate({run_e.expr(seq)}):")
            lines.append(f"        if {run_e.expr(rule.condition, local)}:")
            lines.append(f"            fired.append(({i}, {index}, {lv}))")
            if bits[i]:
                lines.append(f"            b_ |= {bits[i]:d}")
    returned = [_ident("v_", v.decl.name) for v in values] + (["o_outcome"] if plan.decides_outcome else [])
    lines.append(f"    return ({''.join(name + ', ' for name in returned)}), fired, b_")   # a tuple: cheaper than a dict
    lines[1:1] = [f"    {var} = {read}" for var, read in run_e.hoisted.items()]
    for i, rule in enumerate(ordered):
        lines += _render_source(i, rule, msg_e)
    source = "\n".join(lines) + "\n"
    ns = dict(base_ns)
    ns.update(run_e.literal_sets)
    ns.update(msg_e.literal_sets)
    try:
        compiled = compile_cached(source, f"<espolicy {kind}>")
    except (SyntaxError, RecursionError, MemoryError) as e:   # beyond the interpreter's limits; the parser's
        raise PolicyError([diagnostic(                          # depth limit should make this unreachable
            "too-complex", f"the rules for `{kind}` are too complex to compile ({type(e).__name__}: {e})",
            None, None)]) from None
    exec(compiled, ns)
    programs = tuple(RuleProgram(r, ns[f"render_{i}"], _pointer(r, kind, checked), deferrable[i])
                     for i, r in enumerate(ordered))
    exported = tuple((v.decl.name, i) for i, v in enumerate(values) if v.decl.exported)
    return KindProgram(kind, ns["run"], programs, exported, source,
                       all(_plain_fact(v.type) for v in values if v.decl.exported))


def _plain_fact(t: Type) -> bool:
    """True when a value of type `t` becomes a report fact without fail (a set is sorted: its items
    must be of one ordered kind, never None)."""
    t = strip_optional(t)
    if isinstance(t, (TInt, TBool, TStr, TDate, TDateTime, TTime)):
        return True
    if isinstance(t, TList):
        return _plain_fact(t.item)
    if isinstance(t, TRecord):
        return all(_plain_fact(f.type) for f in t.fields.values())
    return isinstance(t, TSet) and isinstance(t.item, (TInt, TStr, TDate, TDateTime, TTime))


def _text_source(text: ast.Text, e: _Emitter, local: frozenset[str], lang: str) -> str:
    render = _ident("_render_", lang)
    pieces = [repr(p) if isinstance(p, str) else f"{render}({e.expr(p, local)})" for p in text.parts]
    return " + ".join(pieces) if pieces else "''"


def _deferrable(rule: ast.Rule, e: _Emitter) -> bool:
    """True when no interpolation of the rule's message or advice can raise."""
    local = frozenset(rule.each_names)
    if rule.each:
        e.bind(rule.each[0], rule.each[1], frozenset())
    texts = (*rule.message.values(), *rule.advice.values())
    return all(e.never_raises(p, local) for t in texts for p in t.parts if not isinstance(p, str))


def _render_source(i: int, rule: ast.Rule, e: _Emitter) -> list[str]:
    local = frozenset(rule.each_names)
    lv = _ident("l_", rule.each[0]) if rule.each else "_unused"
    li = _ident("l_", rule.each_index) if rule.each_index else "_position"
    if rule.each:
        e.bind(rule.each[0], rule.each[1], frozenset())
    msg = ", ".join(f"{lang!r}: {_text_source(t, e, local, lang)}" for lang, t in sorted(rule.message.items()))
    adv = ", ".join(f"{lang!r}: {_text_source(t, e, local, lang)}" for lang, t in sorted(rule.advice.items()))
    return [f"def render_{i}(d, V, {lv}, {li}, t_today):",
            f"    return {{{msg}}}, " + (f"{{{adv}}}" if rule.advice else "None")]


def _pointer(rule: ast.Rule, kind: str, checked: CheckedPolicy) -> Callable[[int | None], str]:
    """The JSON Pointer a finding of `rule` carries (with the `each` index filled in)."""
    if rule.at is None:
        if rule.each is not None:
            key = path_key(rule.each[1])
            if key and key.split(".")[0] in checked.shapes[kind].fields:
                prefix = "".join("/" + pointers.escape(n) for n in key.split("."))
                return lambda i: f"{prefix}/{i}"
        return lambda i: ""
    names = rule.at.names
    if rule.each is not None and names[0] == rule.each[0]:
        key = path_key(rule.each[1]) or ""
        prefix = "".join("/" + pointers.escape(n) for n in key.split("."))
        suffix = "".join("/" + pointers.escape(n) for n in names[1:])
        return lambda i: f"{prefix}/{i}{suffix}"
    fixed = "".join("/" + pointers.escape(n) for n in names)
    return lambda i: fixed


def program_sources(programs: Mapping[str, KindProgram]) -> str:
    """All generated source, for inspection and the safety tests."""
    return "\n".join(p.source for p in programs.values())
