"""The type checker: every name, field path, operator, call and interpolation is checked against the
document schemas before anything runs. It returns a `CheckedPolicy` or raises `PolicyError`.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from espolicy.effects import DECISIONS
from espolicy.lang import ast, unparse
from espolicy.lang.builtins import BUILTINS
from espolicy.errors import Diagnostic, PolicyError, diagnostic, in_order
from espolicy.fuzzy import did_you_mean
from espolicy.lang.strings import PatternError, as_written, compile_pattern
from espolicy.lang.unparse import expr as unparse_expr, string as unparse_string
from espolicy.lang.types import (ANY, Field, BOOL, DATE, INT, STR, TIME, TAny, TBool, TDate, TDateTime, TInt, TList,
                    TOptional, TRecord, TSet, TStr, TTime, TUnion, Type, base, compatible, strip_optional,
                    type_of_value)

OUTCOME_NAME = "outcome"
TODAY_NAME = "today"  # the evaluation date, supplied by the caller
OUTCOME_TYPE = TStr(frozenset(DECISIONS))
_ORDERED = (TInt, TDate, TDateTime, TTime)


@dataclass(frozen=True)
class CheckedValue:
    """A fact or let for one kind, with its type (optional when it has `when`)."""

    decl: ast.Value
    type: Type


@dataclass(frozen=True)
class CheckedPolicy:
    """A policy that passed the checker: everything the compiler needs, in evaluation order."""

    name: str | None
    modules: tuple[ast.Module, ...]
    consts: tuple[ast.Const | ast.Table, ...]
    values: Mapping[str, tuple[CheckedValue, ...]]  # kind -> values in dependency order
    rules: tuple[ast.Rule, ...]
    shapes: Mapping[str, TRecord]
    warnings: tuple[Diagnostic, ...] = ()
    references: tuple[ast.Reference, ...] = ()  # in declaration order
    data: Mapping[str, Any] = field(default_factory=dict)  # data set name -> its value
    data_decls: tuple[ast.Data, ...] = ()

    def reference(self, rid: str) -> ast.Reference | None:
        """The declared reference `rid` (`Q1`), or None."""
        return next((r for r in self.references if r.id == rid), None)


@dataclass
class _Scope:
    kind: str
    locals: dict[str, Type] = field(default_factory=dict)
    allow_outcome: bool = False
    narrow: dict[str, Type] = field(default_factory=dict)

    def with_local(self, name: str, t: Type) -> "_Scope":
        return _Scope(self.kind, {**self.locals, name: t}, self.allow_outcome, dict(self.narrow))

    def with_facts(self, facts: Mapping[str, Type]) -> "_Scope":
        return _Scope(self.kind, self.locals, self.allow_outcome, {**self.narrow, **facts})


@dataclass(frozen=True)
class _Typed:
    type: Type
    when_true: Mapping[str, Type] = field(default_factory=dict)
    when_false: Mapping[str, Type] = field(default_factory=dict)


def _faq_references() -> tuple[ast.Decl, ...]:
    """The FAQ's 17 questions as the bundled policy declares them (policy/references.esp)."""
    from espolicy.lang.parser import parse
    from espolicy.sources import bundled_dir
    path = bundled_dir("policy") / "references.esp"
    return parse(path.read_text(encoding="utf-8"), str(path)).decls


def reference_order(rid: str) -> tuple[str, int, str]:
    """Sort key of reference ids: Q2 before Q10."""
    head = rid.rstrip("0123456789")
    tail = rid[len(head):]
    return (head, int(tail) if tail else -1, rid)


def narrow_key(e: ast.Expr) -> str | None:
    """The key under which a presence test narrows `e`: a field path, or the text of a lookup, call or
    aggregate (`GRACE[pack.coverage]`, `history[i - 1].x`, `max(h in history: h.term_years)`).
    Expressions have no side effects and names never shadow, so the same text means the same value
    throughout a condition."""
    key = path_key(e)
    if key is not None or isinstance(e, ast.Literal):
        return key
    return unparse_expr(e)


def path_key(e: ast.Expr) -> str | None:
    """`a.b.c` for a chain of names and attributes (the unit of narrowing), else None."""
    if isinstance(e, ast.Name):
        return e.name
    if isinstance(e, ast.Attr):
        inner = path_key(e.obj)
        return f"{inner}.{e.name}" if inner else None
    return None


class Checker(ast.Visitor[_Typed, _Scope]):
    """Checks a set of modules against the document shapes of their kinds."""

    def __init__(self, modules: Iterable[ast.Module], shapes: Mapping[str, TRecord],
                 data: Mapping[str, tuple[Type, Any]] | None = None):
        self.data = dict(data or {})  # data set name -> (type, value), read by the engine
        self.modules = tuple(modules)
        self.shapes = dict(shapes)
        self.sources = {m.file: m.source for m in self.modules}
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.references: dict[str, ast.Reference] = {}
        self.data_decls: dict[str, ast.Data] = {}
        self.consts: dict[str, Type] = {}
        self.const_decls: dict[str, ast.Const | ast.Table] = {}
        self.value_decls: dict[tuple[str, str], ast.Value] = {}
        self.value_types: dict[tuple[str, str], Type] = {}
        self._in_progress: list[tuple[str, str]] = []
        self._quantified: dict[str, ast.Quant] = {}  # variables of quantifiers already read, for hints

    # ---- reporting ----
    def error(self, code: str, message: str, span: ast.Span | None, hint: str | None = None) -> Type:
        src = self.sources.get(span.file) if span else None
        self.errors.append(diagnostic(code, message, span, src, hint))
        return ANY

    # ---- entry ----
    def check(self) -> CheckedPolicy:
        decls = [d for m in self.modules for d in m.decls]
        name = self._policy_name(decls)
        self._declare_references(decls)
        self._declare_consts(decls)
        self._declare_values(decls)
        order: dict[str, list[CheckedValue]] = {k: [] for k in self.shapes}
        for (kind, vname) in sorted(self.value_decls, key=lambda kv: self._decl_order(self.value_decls[kv])):
            self._value_type(kind, vname, order)
        rules = [d for d in decls if isinstance(d, ast.Rule)]
        seen: dict[str, ast.Rule] = {}
        for rule in rules:
            if rule.id in seen:
                self.error("duplicate-rule", f"rule id `{rule.id}` is used twice (first at {seen[rule.id].span})",
                           rule.span, "rule ids must be unique: they are the stable names in every report")
            seen.setdefault(rule.id, rule)
            self._rule(rule)
        if self.errors:
            raise PolicyError(in_order(self.errors))
        return CheckedPolicy(name, self.modules, tuple(self.const_decls.values()),
                             {k: tuple(v) for k, v in order.items()}, tuple(rules), self.shapes,
                             tuple(self.warnings), tuple(self.references.values()),
                             {d.name: self.data[d.name][1] for d in self.data_decls.values() if d.name in self.data},
                             tuple(self.data_decls.values()))

    def _decl_order(self, d: ast.Decl) -> tuple[str, int, int]:
        return (d.span.file, d.span.line, d.span.column)

    def _policy_name(self, decls: list[ast.Decl]) -> str | None:
        names = [d for d in decls if isinstance(d, ast.PolicyName)]
        for extra in names[1:]:
            self.error("duplicate-policy-name", f"the policy is named twice (first at {names[0].span})", extra.span,
                       "a policy has one name: remove this `policy` line")
        return names[0].name if names else None

    def _declare_references(self, decls: list[ast.Decl]) -> None:
        if not any(isinstance(d, ast.Reference) for d in decls):  # a policy that declares none cites the FAQ's
            decls = decls + [d for d in _faq_references() if isinstance(d, ast.Reference)]
        for d in decls:
            if isinstance(d, ast.Reference):
                if d.id in self.references:
                    self.error("duplicate-reference", f"reference `{d.id}` is declared twice (first at "
                               f"{self.references[d.id].span})", d.span)
                    continue
                self.references[d.id] = d

    def _declare_data(self, decls: list[ast.Decl]) -> None:
        for d in decls:
            if not isinstance(d, ast.Data):
                continue
            if d.name in self.const_decls or d.name in self.data_decls:
                self.error("duplicate-name", f"`{d.name}` is declared twice", d.span)
            elif d.name in BUILTINS or d.name in (OUTCOME_NAME, TODAY_NAME):
                self.error("reserved-name", f"`{d.name}` is the name of a built-in", d.span)
            elif d.name not in self.data:
                self.error("data-file", f"data file `{d.path}` was not read", d.span,
                           "data files are read by `load_policy` and `espolicy check` from the policy folder")
            else:
                self.data_decls[d.name] = d
                self.consts[d.name] = self.data[d.name][0]

    def _declare_consts(self, decls: list[ast.Decl]) -> None:
        self._declare_data(decls)
        for d in decls:
            if not isinstance(d, (ast.Const, ast.Table)):
                continue
            if d.name in self.const_decls or d.name in self.data_decls:
                first = (self.const_decls.get(d.name) or self.data_decls[d.name]).span
                self.error("duplicate-name", f"`{d.name}` is declared twice (first at {first})", d.span,
                           "remove one of them, or give this one another name")
                continue
            if d.name in BUILTINS or d.name in (OUTCOME_NAME, TODAY_NAME):
                self.error("reserved-name", f"`{d.name}` is the name of a built-in", d.span,
                           f"choose another name, e.g. `{d.name.upper()}_VALUE`")
                continue
            scope = _Scope(kind="")
            if isinstance(d, ast.Const):
                t = self.expr(d.expr, scope).type
            else:
                t = TRecord({k: _field(self.expr(e, scope).type) for k, e in d.entries})
            self.consts[d.name] = t
            self.const_decls[d.name] = d

    def _declare_values(self, decls: list[ast.Decl]) -> None:
        for d in decls:
            if not isinstance(d, ast.Value):
                continue
            for kind in d.kinds:
                if not self._known_kind(kind, d.span):
                    continue
                key = (kind, d.name)
                if key in self.value_decls:
                    first = self.value_decls[key]
                    self.error("duplicate-name", f"`{d.name}` is defined twice for {kind} (first at {first.span})",
                               d.span, f"remove one of them, or leave {kind} out of this one's `for`")
                    continue
                if d.name in self.shapes[kind].fields:
                    self.error("shadowed-field", f"`{d.name}` is already a field of {kind} documents", d.span,
                               "choose another name for the fact")
                    continue
                if d.name in self.consts or d.name in BUILTINS or d.name in (OUTCOME_NAME, TODAY_NAME):
                    self.error("duplicate-name", f"`{d.name}` is already a constant, table or built-in", d.span,
                               "give the fact or let another name")
                    continue
                self.value_decls[key] = d

    def _known_kind(self, kind: str, span: ast.Span) -> bool:
        if kind in self.shapes:
            return True
        self.error("unknown-kind", f"there is no document kind `{kind}`", span,
                   did_you_mean(kind, self.shapes) or "kinds: " + ", ".join(sorted(self.shapes)))
        return False

    def _value_type(self, kind: str, name: str, order: dict[str, list[CheckedValue]]) -> Type:
        key = (kind, name)
        if key in self.value_types:
            return self.value_types[key]
        decl = self.value_decls[key]
        if key in self._in_progress:
            chain = " -> ".join(n for _, n in self._in_progress[self._in_progress.index(key):]) + f" -> {name}"
            self.value_types[key] = ANY
            return self.error("cycle", f"`{name}` depends on itself ({chain})", decl.span,
                              "compute one of them from the document alone, without the others")
        self._in_progress.append(key)
        scope = _Scope(kind)
        facts: Mapping[str, Type] = {}
        if decl.when is not None:
            cond = self.expr(decl.when, scope)
            self._want_bool(cond.type, decl.when, "the `when` of a fact")
            facts = cond.when_true
        t = self.expr(decl.expr, scope.with_facts(facts)).type
        if decl.when is not None and not isinstance(t, TOptional):
            t = TOptional(t)
        self._in_progress.pop()
        self.value_types[key] = t
        order[kind].append(CheckedValue(decl, t))
        return t

    # ---- rules ----
    def _rule(self, rule: ast.Rule) -> None:
        self._quantified = {}
        for i, ref in enumerate(rule.faq):
            if ref not in self.references:
                declared = sorted(self.references, key=reference_order)
                self.error("unknown-faq", f"`{ref}` is not a declared reference", rule.faq_spans[i]
                           if i < len(rule.faq_spans) else rule.span,
                           f"declare it: `reference {ref} {{ title en \"…\" title ja \"…\" }}`"
                           + (f" (declared: {', '.join(declared)})" if declared else ""))
        kinds = [k for k in rule.kinds if self._known_kind(k, rule.span)]
        for kind in kinds:
            scope = _Scope(kind, allow_outcome=rule.effect in ("warn", "info"))
            if rule.each is not None:
                var, seq = rule.each
                seq_type = self.expr(seq, scope).type
                seq_t = ANY if self._optional(seq_type, seq) else strip_optional(seq_type)
                item = seq_t.item if isinstance(seq_t, (TList, TSet)) else ANY
                if not isinstance(seq_t, (TList, TSet, TAny)):
                    self.error("type", f"`each` needs a list, not {seq_t.describe()}", seq.span,
                               "name a list of the document after `in`, e.g. `each entry in history`")
                scope = self._bind(scope, var, item, rule.span)
                if rule.each_index is not None:
                    scope = self._bind(scope, rule.each_index, INT, rule.span)
            cond = self.expr(rule.condition, scope)
            self._want_bool(cond.type, rule.condition, "a rule's condition")
            text_scope = scope.with_facts(cond.when_true)
            for texts in (rule.message, rule.advice):
                for text in texts.values():
                    for part in text.parts:
                        if not isinstance(part, str):
                            self.expr(part, text_scope)
            if rule.at is not None:
                self._field_path(rule, kind)

    def _field_path(self, rule: ast.Rule, kind: str) -> None:
        """`at` must name a document field (possibly through the `each` variable)."""
        names = rule.at.names  # type: ignore[union-attr]
        t: Type = self.shapes[kind]
        rest = names
        if rule.each is not None and names[0] == rule.each[0]:
            seq_key = path_key(rule.each[1])
            if seq_key is None or seq_key.split(".")[0] not in self.shapes[kind].fields:
                self.error("bad-path", "`at` can follow the `each` variable only when `each` runs over a "
                           "document field", rule.at.span)  # type: ignore[union-attr]
                return
            seq_t = self._walk(self.shapes[kind], seq_key.split("."))
            t = seq_t.item if isinstance(seq_t, TList) else ANY
            rest = names[1:]
        walked = self._walk(t, list(rest))
        if walked is None:
            where = ".".join(names)
            fields = _fields_along(t, list(rest))
            self.error("unknown-field", f"`at {where}`: {kind} documents have no such field",
                       rule.at.span, did_you_mean(rest[-1] if rest else where, fields)  # type: ignore[union-attr]
                       or "`at` names a field of the document: " + ", ".join(sorted(fields)[:12]))

    def _walk(self, t: Type, names: list[str]) -> Type | None:
        for n in names:
            t = strip_optional(t)
            if not isinstance(t, TRecord) or n not in t.fields:
                return None
            t = t.fields[n].type
        return t

    def _bind(self, scope: _Scope, var: str, t: Type, span: ast.Span) -> _Scope:
        if var in scope.locals or var in self.shapes.get(scope.kind, TRecord()).fields or var in self.consts:
            self.error("shadowed-name", f"`{var}` already names something here", span,
                       f"choose another variable name, e.g. `{var}_entry`")
        return scope.with_local(var, t)

    # ---- expressions ----
    def _want_bool(self, t: Type, e: ast.Expr, what: str) -> None:
        if isinstance(t, TAny):
            return
        if isinstance(t, TOptional):
            self.error("type", f"{what} may be absent here", e.span, self._presence_hint(e))
        elif not isinstance(t, TBool):
            self.error("type", f"{what} must be true/false, not {t.describe()}", e.span,
                       "compare the value, e.g. `pack.term_years > 3`, or test it: `… is present`")

    def _presence_hint(self, e: ast.Expr) -> str:
        key = narrow_key(e) or "the value"
        return f"test it first: `{key} is present and …`"

    def _optional(self, t: Type, e: ast.Expr) -> bool:
        if isinstance(t, TOptional):
            self.error("optional", f"`{narrow_key(e) or 'this value'}` may be absent here", e.span,
                       self._presence_hint(e))
            return True
        return False

    def expr(self, e: ast.Expr, scope: _Scope) -> _Typed:
        return e.accept(self, scope)

    def _narrowed(self, e: ast.Expr, t: Type, scope: _Scope) -> Type:
        key = narrow_key(e)
        return scope.narrow.get(key, t) if key else t

    def visit_literal(self, e: ast.Literal, scope: _Scope) -> _Typed:
        v = e.value
        if isinstance(v, bool):
            return _Typed(BOOL)
        if isinstance(v, int):
            return _Typed(INT)
        if isinstance(v, str):
            return _Typed(STR)
        if isinstance(v, _dt.time):
            return _Typed(TIME)
        return _Typed(DATE)

    def visit_name(self, e: ast.Name, scope: _Scope) -> _Typed:
        t = self._lookup(e, scope)
        return _Typed(self._narrowed(e, t, scope))

    def _lookup(self, e: ast.Name, scope: _Scope) -> Type:
        n = e.name
        if n in scope.locals:
            return scope.locals[n]
        if scope.kind and (scope.kind, n) in self.value_decls:
            return self._value_type(scope.kind, n, {k: [] for k in self.shapes}) \
                if (scope.kind, n) not in self.value_types else self.value_types[(scope.kind, n)]
        if n in self.consts:
            return self.consts[n]
        if scope.kind and n in self.shapes[scope.kind].fields:
            return _field_type(self.shapes[scope.kind].fields[n])
        if n == OUTCOME_NAME and scope.kind:
            if not scope.allow_outcome:
                return self.error("outcome-in-rule", "`outcome` can be read only by warn and info rules", e.span,
                                  "a deny or review rule cannot depend on the outcome it decides")
            return OUTCOME_TYPE
        if n == TODAY_NAME and scope.kind:
            return DATE
        return self._unknown_name(e, scope)

    def _unknown_name(self, e: ast.Name, scope: _Scope) -> Type:
        quant = self._quantified.get(e.name)
        if quant is not None and quant.span.file == e.span.file and \
                (quant.span.end_line, quant.span.end_column) <= (e.span.line, e.span.column):
            head = f"{quant.kind} {quant.var} in {unparse.expr(quant.seq)}:"
            src = self.sources.get(e.span.file)
            self.errors.append(diagnostic(
                "unknown-name", f"`{e.name}` is known only inside `{head} …`, which ends before this", e.span, src,
                f"put the whole condition of `{quant.kind}` in parentheses: `{head} (… and …)`",
                labels=((quant.span, f"`{e.name}` is bound only in here"),)))
            return ANY
        pool = set(scope.locals) | set(self.consts)
        if scope.kind:
            pool |= set(self.shapes[scope.kind].fields) | {n for k, n in self.value_decls if k == scope.kind}
            elsewhere = [k for k, s in sorted(self.shapes.items()) if e.name in s.fields]
            elsewhere += [k for k, n in sorted(self.value_decls) if n == e.name]
            if elsewhere and e.name not in pool:
                return self.error("unknown-name", f"`{e.name}` is not defined for {scope.kind} documents "
                                  f"(it is for {', '.join(sorted(set(elsewhere)))})", e.span,
                                  "limit the rule to those kinds, or define it for this kind too")
            what = f"{scope.kind} documents have no field, fact or constant `{e.name}`"
        else:
            what = f"unknown constant `{e.name}` (constants can use only other constants)"
        fallback = (f"write a field of {scope.kind} documents, a fact, a let or a constant (`espolicy doc` "
                    "lists them)" if scope.kind else "a constant reads only other constants; to read the document, "
                    "declare `let NAME for KIND = …`")
        return self.error("unknown-name", what, e.span, did_you_mean(e.name, pool) or fallback)

    def visit_attr(self, e: ast.Attr, scope: _Scope) -> _Typed:
        obj_t = self.expr(e.obj, scope).type
        if isinstance(obj_t, TAny):
            return _Typed(ANY)
        if isinstance(obj_t, TOptional):
            key = narrow_key(e.obj) or "it"
            return _Typed(self.error("optional", f"`{key}` may be absent, so `{key}.{e.name}` cannot be read "
                                     "without a test", e.obj.span, f"write `{key} is present and …` first"))
        if not isinstance(obj_t, TRecord):
            return _Typed(self.error("type", f"`.{e.name}`: {obj_t.describe()} has no fields", e.span,
                                     "only records (`pack`, `server`, an entry of a list) have fields"))
        if e.name not in obj_t.fields:
            where = path_key(e.obj) or "this record"
            return _Typed(self.error("unknown-field", f"`{where}` has no field `{e.name}`", e.span,
                                     did_you_mean(e.name, obj_t.fields) or
                                     "its fields: " + ", ".join(sorted(obj_t.fields))))
        return _Typed(self._narrowed(e, _field_type(obj_t.fields[e.name]), scope))

    def visit_call(self, e: ast.Call, scope: _Scope) -> _Typed:
        b = BUILTINS.get(e.func)
        args = [self.expr(a, scope).type for a in e.args]
        if b is None:
            return _Typed(self.error("unknown-function", f"there is no built-in function `{e.func}`", e.span,
                                     did_you_mean(e.func, BUILTINS) or
                                     "built-ins: " + ", ".join(sorted(BUILTINS))))
        if len(args) != len(b.params):
            return _Typed(self.error("arity", f"`{e.func}` takes {len(b.params)} argument(s), not {len(args)}",
                                     e.span, f"usage: {b.signature()}"))
        for i, (a, p, node) in enumerate(zip(args, b.params, e.args), 1):
            if isinstance(a, TOptional) and not isinstance(p, TOptional):
                self._optional(a, node)
            elif not compatible(a, p) or (isinstance(base(a), TUnion) and not isinstance(base(p), TUnion)):
                self.error("type", f"argument {i} of `{e.func}` must be {p.describe()}, not {a.describe()}",
                           node.span, f"usage: {b.signature()}")
        if e.func == "matches":
            self._pattern(e.args[1])
        return _Typed(self._narrowed(e, b.result, scope))

    def _pattern(self, node: ast.Expr) -> None:
        """The pattern of `matches` is a quoted text RE2 can compile, checked here, before any document."""
        if not (isinstance(node, ast.Literal) and isinstance(node.value, str)):
            self.error("pattern-not-constant", "the pattern of `matches` must be a quoted text written in the call",
                       node.span, 'write the pattern itself, e.g. `matches(server.model, "^Express5800/R")`')
            return
        try:
            compile_pattern(node.value)
        except PatternError as err:
            self.error("bad-pattern", f"the pattern `{as_written(node.value)}` cannot be used: {err.reason}", node.span, err.hint)

    def visit_neg(self, e: ast.Neg, scope: _Scope) -> _Typed:
        t = self.expr(e.operand, scope).type
        if isinstance(strip_optional(t), (TInt, TAny)) and not isinstance(t, TOptional):
            return _Typed(INT)
        self._want(t, TInt, e.operand, "`-` works on numbers", "negate a number, e.g. `-pack.term_years`")
        return _Typed(ANY)  # one error: what contains it is not judged again

    def _want(self, t: Type, cls: type, e: ast.Expr, what: str, hint: str | None = None) -> None:
        if isinstance(t, TAny) or self._optional(t, e):
            return
        if not isinstance(strip_optional(t), cls):
            self.error("type", f"{what}, not {t.describe()}", e.span,
                       hint or "`espolicy eval EXPR DOC` shows the value and type of a part of the condition")

    def visit_arith(self, e: ast.Arith, scope: _Scope) -> _Typed:
        types = [(self.expr(side, scope).type, side) for side in (e.left, e.right)]
        for t, side in types:
            if isinstance(t, TAny) or self._optional(t, side):
                return _Typed(ANY)
        wrong = [(t, side) for t, side in types if not isinstance(strip_optional(t), TInt)]
        if not wrong:
            return _Typed(INT)
        t, side = wrong[0]
        if any(isinstance(strip_optional(t), TStr) for t, _ in types):
            hint = "to join texts, write one text with `{…}` in it, e.g. `\"{server.model}-x\"`"
        else:
            hint = "for dates use add_days(date, n) or days_between(a, b)"
        self.error("type", f"`{e.op}` works on numbers, not {t.describe()}", side.span, hint)
        return _Typed(ANY)  # one error for the expression: what contains it is not judged again

    def visit_compare(self, e: ast.Compare, scope: _Scope) -> _Typed:
        lt, rt = self.expr(e.left, scope).type, self.expr(e.right, scope).type
        if e.op in ("in", "not in"):
            if not self._optional(rt, e.right) and not isinstance(rt, (TSet, TList, TAny)):
                self.error("type", f"`{e.op}` needs a set or list on its right, not {rt.describe()}", e.right.span,
                           "write the values as a set, e.g. `pack.term_years in {3, 4, 5}`, or compare with `==`")
            elif isinstance(rt, (TSet, TList)):
                if not compatible(lt, rt.item):
                    self.error("type", f"`{e.op}`: {lt.describe()} cannot be in a {rt.describe()}", e.span,
                               "the values of the set or list must be of the type of the value on the left")
                self._enum_members(lt, e.right)
            return _Typed(BOOL)
        if e.op in ("==", "!="):
            if not compatible(lt, rt):
                self.error("type", f"`{e.op}` compares {lt.describe()} with {rt.describe()}", e.span,
                           _quoted_literal(e, lt, rt) or "both sides must be of the same type")
            self._enum_literal(lt, e.right)
            self._enum_literal(rt, e.left)
            return _Typed(BOOL)
        for t, side in ((lt, e.left), (rt, e.right)):
            if self._optional(t, side):
                return _Typed(BOOL)
        if not (isinstance(lt, TAny) or isinstance(rt, TAny)):
            if not (isinstance(lt, _ORDERED) and type(lt) is type(rt)):
                self.error("type", f"`{e.op}` orders two numbers, dates, moments or times of day, "
                           f"not {lt.describe()} and {rt.describe()}", e.span,
                           _quoted_literal(e, lt, rt) or
                           ("to compare a date with a number of days, use days_between or add_days"
                            if {type(lt), type(rt)} & {TDate, TDateTime} else
                            "compare a number with a number, a date with a date, a time with a time"))
        return _Typed(BOOL)

    def _enum_literal(self, t: Type, other: ast.Expr) -> None:
        """`pack.coverage == "wekday"` is an error: the schema allows only some values."""
        t = strip_optional(t)
        if isinstance(t, TStr) and t.enum and isinstance(other, ast.Literal) and isinstance(other.value, str):
            if other.value not in t.enum:
                self.error("not-in-enum", f"\"{other.value}\" is never a value here: it can be "
                           + ", ".join(f'"{v}"' for v in sorted(t.enum)), other.span,
                           did_you_mean(other.value, t.enum))

    def _enum_members(self, t: Type, container: ast.Expr) -> None:
        if isinstance(container, (ast.SetLit, ast.ListLit)):
            for item in container.items:
                self._enum_literal(t, item)

    def visit_boolop(self, e: ast.BoolOp, scope: _Scope) -> _Typed:
        gathered: dict[str, Type] = {}
        for operand in e.operands:
            r = self.expr(operand, scope.with_facts(gathered))
            self._want_bool(r.type, operand, f"each side of `{e.op}`")
            gathered.update(r.when_true if e.op == "and" else r.when_false)
        if e.op == "and":
            return _Typed(BOOL, when_true=gathered)
        return _Typed(BOOL, when_false=gathered)

    def visit_not(self, e: ast.Not, scope: _Scope) -> _Typed:
        r = self.expr(e.operand, scope)
        self._want_bool(r.type, e.operand, "`not`")
        return _Typed(BOOL, when_true=r.when_false, when_false=r.when_true)

    def visit_test(self, e: ast.Test, scope: _Scope) -> _Typed:
        t = self.expr(e.operand, scope).type
        key = narrow_key(e.operand)
        if isinstance(t, TAny):
            return _Typed(BOOL)
        if e.test in ("present", "absent"):
            if not isinstance(t, TOptional):
                self.error("always-present", f"`{key or 'this value'}` is always present here, so "
                           f"`is {e.test}` is always {'true' if e.test == 'present' else 'false'}", e.span,
                           "remove the test: the schema says this value is always there")
                return _Typed(BOOL)
            facts = {key: t.inner} if key else {}
            return _Typed(BOOL, facts, {}) if e.test == "present" else _Typed(BOOL, {}, facts)
        want = INT if e.test == "number" else STR
        inner = strip_optional(t)
        options = inner.options if isinstance(inner, TUnion) else (inner,)
        if not any(compatible(o, want) for o in options):
            self.error("type", f"`{key or 'this value'}` is {t.describe()}, never {e.test}", e.span,
                       "test a field that can be a number or a text (`change.to`), or remove the test")
        rest = [o for o in options if not compatible(o, want)]
        otherwise: dict[str, Type] = {}
        if key and len(rest) == 1:  # `x is number` false: x is the other option (or absent)
            otherwise = {key: TOptional(rest[0]) if isinstance(t, TOptional) else rest[0]}
        return _Typed(BOOL, {key: want} if key else {}, otherwise)

    def visit_if(self, e: ast.If, scope: _Scope) -> _Typed:
        c = self.expr(e.cond, scope)
        self._want_bool(c.type, e.cond, "the condition of `if`")
        a = self.expr(e.then, scope.with_facts(c.when_true)).type
        b = self.expr(e.else_, scope.with_facts(c.when_false)).type
        if not compatible(a, b):
            self.error("type", f"`if` gives {a.describe()} in one branch and {b.describe()} in the other", e.span,
                       "make both branches give the same type, e.g. `if … then 5 else 3`")
            return _Typed(ANY)
        optional = isinstance(a, TOptional) or isinstance(b, TOptional)
        t = base(a) if not isinstance(base(a), TAny) else base(b)
        sa, sb = strip_optional(a), strip_optional(b)
        if isinstance(sa, TStr) and isinstance(sb, TStr):
            t = TStr(sa.enum | sb.enum) if sa.enum and sb.enum else STR
        if isinstance(t, TBool) and not optional:
            return _Typed(t)
        return _Typed(TOptional(t) if optional else t)

    def visit_quant(self, e: ast.Quant, scope: _Scope) -> _Typed:
        self._quantified[e.var] = e
        item = self._item_type(e.seq, scope, e.kind)
        inner = self._bind(scope, e.var, item, e.span)
        body = self.expr(e.body, inner)
        self._want_bool(body.type, e.body, f"the condition of `{e.kind}`")
        return _Typed(BOOL)

    def _item_type(self, seq: ast.Expr, scope: _Scope, what: str) -> Type:
        """The entry type of the list or set an aggregate or quantifier runs over."""
        t = self.expr(seq, scope).type
        if self._optional(t, seq):
            return ANY
        if isinstance(t, (TList, TSet)):
            return t.item
        if not isinstance(t, TAny):
            self.error("type", f"`{what}` runs over a list or set, not {t.describe()}", seq.span,
                       f"name a list of the document, e.g. `{what} h in history: …`")
        return ANY

    def visit_aggregate(self, e: ast.Aggregate, scope: _Scope) -> _Typed:
        item = self._item_type(e.seq, scope, e.func)
        body = self.expr(e.body, self._bind(scope, e.var, item, e.span)).type
        if e.func == "count":
            self._want_bool(body, e.body, "the condition of `count`")
            return _Typed(INT)
        if e.func == "sum":
            self._want(body, TInt, e.body, "`sum` adds numbers")
            return _Typed(INT)
        if isinstance(body, TAny) or self._optional(body, e.body):
            return _Typed(TOptional(ANY))
        if not isinstance(body, _ORDERED):
            self.error("type", f"`{e.func}` takes the {e.func}imum of numbers, dates, moments or times of day, "
                       f"not {body.describe()}", e.body.span)
            return _Typed(TOptional(ANY))
        return _Typed(self._narrowed(e, TOptional(base(body)), scope))  # absent for an empty list

    def visit_index(self, e: ast.Index, scope: _Scope) -> _Typed:
        obj_t = self.expr(e.obj, scope).type
        key_t = self.expr(e.key, scope).type
        if isinstance(obj_t, TAny) or isinstance(key_t, TAny):
            return _Typed(self._narrowed(e, TOptional(ANY), scope))
        if self._optional(obj_t, e.obj) or self._optional(key_t, e.key):
            return _Typed(TOptional(ANY))
        if isinstance(obj_t, TList):
            self._want(key_t, TInt, e.key, "a list is indexed by a number (0 is the first entry)")
            return _Typed(self._narrowed(e, TOptional(obj_t.item), scope))
        if not isinstance(obj_t, TRecord):
            return _Typed(self.error("type", f"`[…]` looks up a table or a list, not {obj_t.describe()}", e.obj.span))
        if not isinstance(key_t, TStr):
            return _Typed(self.error("type", f"a table is looked up by a text, not {key_t.describe()}", e.key.span))
        entry = self._entry_type(obj_t, e)
        if isinstance(e.key, ast.Literal) and isinstance(e.key.value, str):
            if e.key.value not in obj_t.fields:
                where = path_key(e.obj) or "this table"
                return _Typed(self.error("unknown-field", f"`{where}` has no entry {unparse_string(e.key.value)}",
                                         e.key.span, did_you_mean(e.key.value, obj_t.fields)))
            return _Typed(_field_type(obj_t.fields[e.key.value]))
        if key_t.enum:
            missing = sorted(key_t.enum - set(obj_t.fields))
            if not missing:  # every value the schema allows has an entry: the lookup never misses
                return _Typed(entry)
            values = ", ".join(f"`{unparse_string(m)}`" for m in missing)
            plural = len(missing) > 1
            entries = "; ".join(f"{unparse_string(m)} = …" for m in missing)
            self.warnings.append(diagnostic(
                "uncovered-enum", f"`{path_key(e.obj) or 'this table'}` has no entry for {values}, "
                f"{'values' if plural else 'a value'} `{path_key(e.key) or 'the key'}` can take: the lookup is "
                f"absent for {'them' if plural else 'it'}", e.span, self.sources.get(e.span.file),
                f"add {'entries' if plural else 'an entry'} to the table (`{entries}`), or test the lookup first: "
                f"`{unparse_expr(e)} is present and …`", severity="warning"))
        return _Typed(self._narrowed(e, TOptional(entry), scope))

    def _entry_type(self, table: TRecord, e: ast.Index) -> Type:
        """The type every entry of a looked-up table shares."""
        t: Type = ANY
        for f in table.fields.values():
            if isinstance(t, TAny):
                t = base(f.type)
            elif not compatible(t, f.type):
                self.error("type", f"`{path_key(e.obj) or 'this table'}` mixes {t.describe()} and "
                           f"{f.type.describe()} entries, so a lookup has no one type", e.span)
                return ANY
        return t

    def visit_setlit(self, e: ast.SetLit, scope: _Scope) -> _Typed:
        return _Typed(TSet(self._items(e.items, scope)))

    def visit_listlit(self, e: ast.ListLit, scope: _Scope) -> _Typed:
        return _Typed(TList(self._items(e.items, scope)))

    def _items(self, items: tuple[ast.Expr, ...], scope: _Scope) -> Type:
        t: Type = ANY
        for item in items:
            it = self.expr(item, scope).type
            if self._optional(it, item):
                continue
            if not compatible(t, it):
                self.error("type", f"a collection mixes {t.describe()} and {it.describe()}", item.span,
                           "write every value of a set or list with one type, e.g. `{3, 4, 5}`")
            elif isinstance(t, TAny):
                t = base(it)
        return t


def _quoted_literal(e: ast.Compare, lt: Type, rt: Type) -> str | None:
    """`date > "2026-01-01"`: the help for a date or time written in quotes (a text)."""
    for t, other in ((lt, e.right), (rt, e.left)):
        if isinstance(other, ast.Literal) and isinstance(other.value, str):
            value = other.value
            kind = {TDate: "date", TTime: "time of day"}.get(type(strip_optional(t)))
            if kind is None:
                continue
            try:
                (_dt.date.fromisoformat if kind == "date" else _dt.time.fromisoformat)(value)
            except ValueError:
                continue
            return f"remove the quotes: a {kind} is written bare, `{value}` (in quotes it is a text)"
    return None


def _field_type(f: Field) -> Type:
    """The type a field's value has when read: optional unless it is always present."""
    return f.type if f.always_present else TOptional(f.type)


def _field(t: Type) -> Field:
    return Field(t, True)


def _fields_along(t: Type, names: list[str]) -> list[str]:
    """Field names of the deepest record reached along `names` (for "did you mean")."""
    for n in names[:-1]:
        t = strip_optional(t)
        if isinstance(t, TRecord) and n in t.fields:
            t = t.fields[n].type
    t = strip_optional(t)
    if isinstance(t, TList):
        t = t.item
    return list(t.fields) if isinstance(t, TRecord) else []


def check(modules: Iterable[ast.Module], shapes: Mapping[str, TRecord],
          data: Mapping[str, tuple[Type, Any]] | None = None) -> CheckedPolicy:
    """Type-check `modules` against the document `shapes` (kind -> record type)."""
    return Checker(modules, shapes, data).check()


def type_of(checked: CheckedPolicy, e: ast.Expr, kind: str | None, source: str) -> Type:
    """The type of expression `e` (whose text is `source`) for documents of `kind` (None: constants
    only), reading the policy's fields, facts, lets, constants and `outcome`; PolicyError if it
    does not type-check."""
    data = {n: (type_of_value(v, n), v) for n, v in checked.data.items()}
    checker = Checker(checked.modules, checked.shapes, data)
    checker.check()
    checker.sources[e.span.file] = source
    t = checker.expr(e, _Scope(kind or "", allow_outcome=kind is not None)).type
    if checker.errors:
        raise PolicyError(in_order(checker.errors))
    return t
