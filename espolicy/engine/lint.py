"""`espolicy check`: every error of every rule file (parse and type check), then the lints, as warnings.

Errors (exit 2) come from the parser and the type checker: syntax, unknown field/name/kind/function
(with "did you mean"), a name read by a rule for a kind that lacks it, types, an interpolated name
that does not exist, a duplicate rule id, advice without both languages, an unknown FAQ question.

Lints (warnings, exit 1) look at a policy that type-checks:

| code | what |
|---|---|
| `unused-constant` | a `const` or `table` that nothing reads |
| `unused-let` | a `let` that no rule, fact or let of its kinds reads (a `fact` is never unused: it is exported in every report) |
| `faq-not-cited` | a declared reference (`reference Q1 { … }`) that no rule cites |
| `constant-condition` | a condition, or an `and`/`or`/`not`/`if`/quantifier part of one, that is always true or always false once constants are folded (`MAX_YEARS > 3`) |
| `no-at` | a rule without `at` (and without `each` over a document list): its findings point at the whole document |
| `uncovered-enum` | a table looked up by a field whose schema allows values the table has no entry for (the lookup is absent for them) |

Exit 0 when there is nothing to say.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from espolicy.lang import ast
from espolicy.engine.datafiles import load as load_data, module_data, with_data_files
from espolicy.lang.ast import free_names, rule_names
from espolicy.lang import unparse
from espolicy.lang.names import name_span
from espolicy.errors import Diagnostic, PolicyError, diagnostic, in_order
from espolicy.lang.trace import Evaluator, Unknown, show
from espolicy.lang.typecheck import CheckedPolicy, Checker, path_key, reference_order

WARNING = "warning"


@dataclass
class Analysis:
    """What `check` found: diagnostics (errors first by position), and the checked policy when it checks."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    checked: CheckedPolicy | None = None
    sources: list[tuple[str, str]] = field(default_factory=list)
    directory: Path | None = None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity != "error"]


def analyse(directory: str | Path | None = None, schema_dir: str | Path | None = None) -> Analysis:
    """Parse every file (every syntax error of each, as `PolicyError` holds them), type-check, then lint."""
    from espolicy.sources import bundled_dir, read_sources
    from espolicy.lang.parser import parse_sources
    from espolicy.documents.schema import SchemaFileError, SchemaSet

    result = Analysis()
    try:
        result.directory = Path(directory) if directory is not None else bundled_dir("policy")
        result.sources = read_sources(result.directory)
    except PolicyError as e:
        result.diagnostics = list(e.diagnostics)
        return result
    try:
        schemas = SchemaSet.load(Path(schema_dir) if schema_dir is not None else bundled_dir("schemas"))
    except (SchemaFileError, OSError) as e:
        result.diagnostics = [diagnostic("schema", f"the schemas cannot be loaded: {e}", None, None)]
        return result
    try:
        modules = parse_sources(result.sources)
    except PolicyError as e:
        result.diagnostics = list(e.diagnostics)
        return result
    try:
        data = load_data(module_data(modules), with_data_files(result.sources), {m.file: m.source for m in modules})
    except PolicyError as e:
        result.diagnostics = _sorted(e.diagnostics)
        return result
    result.checked, result.diagnostics = judge(Checker(modules, {k: schemas.shape(k) for k in schemas.kinds}, data))
    return result


def judge(checker: Checker) -> tuple[CheckedPolicy | None, list[Diagnostic]]:
    """Type-check with `checker`, then lint what checks: the checked policy (None on errors) and every
    diagnostic, sorted. The checker keeps what it learnt (types of constants, facts, lets) either way."""
    try:
        checked = checker.check()
    except PolicyError as e:
        return None, _sorted(e.diagnostics)
    return checked, _sorted(lint(checked))


def _sorted(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    return in_order(diags)


# ---------------------------------------------------------------- the lints

def lint(checked: CheckedPolicy) -> list[Diagnostic]:
    """Warnings about a policy that type-checks."""
    linter = _Linter(checked)
    found = {(d.code, d.span, d.message): d for d in checked.warnings}  # a rule for two kinds is checked twice
    return list(found.values()) + linter.run()


class _Linter:
    def __init__(self, checked: CheckedPolicy):
        self.checked = checked
        self.sources = {m.file: m.source for m in checked.modules}
        self.out: list[Diagnostic] = []
        self.evaluator = Evaluator(checked)
        self.decls = [d for m in checked.modules for d in m.decls]

    def warn(self, code: str, message: str, span: ast.Span | None, hint: str | None) -> None:
        src = self.sources.get(span.file) if span else None
        self.out.append(diagnostic(code, message, span, src, hint, severity=WARNING))

    def _name_span(self, d: ast.Decl, name: str) -> ast.Span:
        """The span of the name a declaration declares (its first line holds it)."""
        return name_span(d.span, name, self.sources.get(d.span.file))

    def run(self) -> list[Diagnostic]:
        self.unused()
        self.faq_not_cited()
        self.constant_conditions()
        self.no_at()
        return self.out

    # ---- unused constants, tables, lets ----
    def unused(self) -> None:
        consts = [d for d in self.decls if isinstance(d, (ast.Const, ast.Table))]
        lets = [d for d in self.decls if isinstance(d, ast.Value) and not d.exported]
        const_names = {c.name for c in consts}
        used_consts: set[str] = set()
        used_values: set[tuple[str, str]] = set()  # (kind, name)
        for c in consts:
            body = (c.expr,) if isinstance(c, ast.Const) else tuple(e for _, e in c.entries)
            for e in body:
                used_consts |= {n for n in free_names(e) if n != c.name}
        for d in self.decls:
            if isinstance(d, ast.Value):
                names = free_names(d.expr) | (free_names(d.when) if d.when is not None else set())
                used_consts |= names
                used_values |= {(k, n) for k in d.kinds for n in names if n != d.name}
            elif isinstance(d, ast.Rule):
                names = rule_names(d)
                used_consts |= names
                used_values |= {(k, n) for k in d.kinds for n in names}
        for c in consts:
            if c.name not in used_consts:
                what = "table" if isinstance(c, ast.Table) else "constant"
                self.warn("unused-constant", f"{what} `{c.name}` is never used", self._name_span(c, c.name),
                          "use it in a rule or a message, or remove it")
        for d in lets:
            if d.name in const_names:
                continue
            unused = [k for k in d.kinds if (k, d.name) not in used_values]
            if len(unused) == len(d.kinds):
                self.warn("unused-let", f"let `{d.name}` is never used", self._name_span(d, d.name),
                          "use it in a rule, or remove it; to show a value in reports, declare it as a `fact`")
            elif unused:
                self.warn("unused-let", f"let `{d.name}` is never used for {', '.join(unused)} documents",
                          self._name_span(d, d.name),
                          "remove those kinds from its `for`")

    # ---- FAQ questions ----
    def faq_not_cited(self) -> None:
        rules = [d for d in self.decls if isinstance(d, ast.Rule)]
        if not rules:
            return
        cited = {q for r in rules for q in r.faq}
        missing = sorted({r.id for r in self.checked.references} - cited, key=reference_order)
        if not missing:
            return
        # at the first one's declaration when the policy declares it, else (the FAQ's 17, declared for
        # a policy that declares none) at the policy's name
        here = [r for r in self.checked.references if r.id == missing[0] and r.span.file in self.sources]
        anchor = next((d for d in self.decls if isinstance(d, ast.PolicyName)), None)
        span = self._name_span(here[0], here[0].id) if here else \
            anchor.span if anchor else self._name_span(rules[0], rules[0].id)
        listed = ", ".join(missing)
        self.warn("faq-not-cited", f"no rule cites the reference{'s' if len(missing) > 1 else ''} {listed}", span,
                  f"write a rule for each (`faq {missing[0]}`), or add the reference to the `faq` of the rule "
                  "that implements it")

    # ---- constant conditions ----
    def constant_conditions(self) -> None:
        for d in self.decls:
            if isinstance(d, ast.Rule):
                self._condition(d.condition, True, f"the condition of rule `{d.id}`", d)
                if d.each is not None:
                    self._condition(d.each[1], False, "", d)
            elif isinstance(d, ast.Value):
                if d.when is not None:
                    self._condition(d.when, True, f"the `when` of `{d.name}`", d)
                self._condition(d.expr, False, "", d)

    def _condition(self, e: ast.Expr, is_condition: bool, what: str, owner: ast.Decl,
                   local: frozenset[str] = frozenset()) -> None:
        if is_condition and not (free_names(e) & local):
            try:
                value = self.evaluator.fold(e)
            except Unknown:
                pass
            else:
                self._report_constant(e, value, what, owner)
                return
        conditions = _condition_children(e)
        for child in ast.children(e):
            inner = local | frozenset(ast.bound_by(e, child))
            self._condition(child, any(child is c for c in conditions), "", owner, inner)

    def _report_constant(self, e: ast.Expr, value: Any, what: str, owner: ast.Decl) -> None:
        truth = "true" if value else "false"
        consts = sorted(n for n in free_names(e) if self.evaluator.is_const(n))
        given = "; ".join(f"{n} = {show(self.evaluator.const(n))}" for n in consts)
        where = f" ({given})" if given else ""
        if what and isinstance(owner, ast.Rule):
            effect = "fires for every document" if value else "never fires"
            message = f"{what} is always {truth}{where}: the rule {effect}"
        elif what:
            message = f"{what} is always {truth}{where}"
        else:
            message = f"`{unparse.expr(e)}` is always {truth}{where}"
        self.warn("constant-condition", message, e.span,
                  "a condition that does not depend on the document is usually a mistake: compare a document "
                  "field or fact with the constant, or remove this part")

    # ---- findings without a path ----
    def no_at(self) -> None:
        for d in self.decls:
            if isinstance(d, ast.Rule) and d.at is None:
                over_field = d.each is not None and path_key(d.each[1]) is not None
                if over_field:
                    continue
                self.warn("no-at", f"rule `{d.id}` has no `at`: its findings point at the whole document",
                          self._name_span(d, d.id), "add `at FIELD` naming the field that causes the finding, e.g. `at pack.term_years`")


# ---------------------------------------------------------------- expression walking

def _condition_children(e: ast.Expr) -> tuple[ast.Expr, ...]:
    """The sub-expressions of `e` that stand where a condition stands (folded and reported on their own)."""
    if isinstance(e, (ast.BoolOp, ast.Not)):
        return e.children()
    if isinstance(e, ast.If):
        return (e.cond,)
    if isinstance(e, ast.Quant) or (isinstance(e, ast.Aggregate) and e.func == "count"):
        return (e.body,)
    return ()


# ---------------------------------------------------------------- the command
