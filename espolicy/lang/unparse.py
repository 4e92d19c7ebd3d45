"""AST → canonical rule-language text: expressions with the fewest parentheses their precedence needs,
strings and message texts re-escaped one way. Shared by `fmt`, `explain`, `doc` and the linter.

`parse(unparse(e))` gives back an AST equal to `e` (spans aside): the printer keeps every
parenthesis the grammar needs to rebuild the same tree, and no other.
"""
from __future__ import annotations

import datetime as _dt
import json

from espolicy.lang import ast

# Binding strength, loosest first (grammar.lark, `?expr` downwards).
IF, OR, AND, NOT, CMP, SUM, PROD, UNARY, POSTFIX, ATOM = range(10)


def string(value: str) -> str:
    """A quoted string literal, escaped canonically (JSON escapes; non-ASCII kept as is)."""
    return json.dumps(value, ensure_ascii=False)


def text(t: ast.Text) -> str:
    """A message or advice text: literal braces doubled, `{expr}` interpolations printed canonically."""
    out = []
    for part in t.parts:
        if isinstance(part, str):
            out.append(json.dumps(part, ensure_ascii=False)[1:-1].replace("{", "{{").replace("}", "}}"))
        else:
            out.append("{" + expr(part) + "}")
    return '"' + "".join(out) + '"'


def template(t: ast.Text) -> str:
    """A text as a reader sees it (no quotes, no escapes), placeholders shown as `{expr}`."""
    return "".join(p if isinstance(p, str) else "{" + expr(p) + "}" for p in t.parts)


def literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, _dt.time):
        return f"{value.hour:02d}:{value.minute:02d}"
    if isinstance(value, _dt.date):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    raise TypeError(f"not a literal: {value!r}")


def level(e: ast.Expr) -> int:
    """How tightly `e` binds when printed without parentheses."""
    if isinstance(e, ast.If):
        return IF
    if isinstance(e, ast.BoolOp):
        return OR if e.op == "or" else AND
    if isinstance(e, (ast.Not, ast.Quant)):
        return NOT
    if isinstance(e, (ast.Compare, ast.Test)):
        return CMP
    if isinstance(e, ast.Arith):
        return PROD if e.op == "*" else SUM
    if isinstance(e, ast.Neg):
        return UNARY
    if isinstance(e, ast.Literal) and isinstance(e.value, int) and not isinstance(e.value, bool) and e.value < 0:
        return UNARY
    if isinstance(e, (ast.Attr, ast.Call, ast.Index, ast.Aggregate)):
        return POSTFIX
    return ATOM


def expr(e: ast.Expr, need: int = IF) -> str:
    """`e` as text; wrapped in parentheses when it binds looser than `need`."""
    s = _bare(e)
    return f"({s})" if level(e) < need else s


class _Printer(ast.Visitor[str, None]):
    """One expression node as text, its operands printed by `expr` with the binding they need."""

    def visit_literal(self, e: ast.Literal, ctx: None) -> str:
        return literal(e.value)

    def visit_name(self, e: ast.Name, ctx: None) -> str:
        return e.name

    def visit_attr(self, e: ast.Attr, ctx: None) -> str:
        return f"{expr(e.obj, POSTFIX)}.{e.name}"

    def visit_call(self, e: ast.Call, ctx: None) -> str:
        return f"{e.func}(" + ", ".join(expr(a) for a in e.args) + ")"

    def visit_neg(self, e: ast.Neg, ctx: None) -> str:
        return "-" + expr(e.operand, UNARY)

    def visit_arith(self, e: ast.Arith, ctx: None) -> str:
        right = PROD if e.op in "+-" else UNARY
        left = SUM if e.op in "+-" else PROD
        return f"{expr(e.left, left)} {e.op} {expr(e.right, right)}"

    def visit_compare(self, e: ast.Compare, ctx: None) -> str:
        return f"{expr(e.left, SUM)} {e.op} {expr(e.right, SUM)}"

    def visit_test(self, e: ast.Test, ctx: None) -> str:
        return f"{expr(e.operand, SUM)} is {e.test}"

    def visit_boolop(self, e: ast.BoolOp, ctx: None) -> str:
        need = AND if e.op == "or" else NOT
        return f" {e.op} ".join(expr(o, need) for o in e.operands)

    def visit_not(self, e: ast.Not, ctx: None) -> str:
        return "not " + expr(e.operand, NOT)

    def visit_quant(self, e: ast.Quant, ctx: None) -> str:
        return f"{e.kind} {e.var} in {expr(e.seq, SUM)}: {expr(e.body, NOT)}"

    def visit_if(self, e: ast.If, ctx: None) -> str:
        return f"if {expr(e.cond)} then {expr(e.then)} else {expr(e.else_)}"

    def visit_aggregate(self, e: ast.Aggregate, ctx: None) -> str:
        return f"{e.func}({e.var} in {expr(e.seq, SUM)}: {expr(e.body)})"

    def visit_index(self, e: ast.Index, ctx: None) -> str:
        return f"{expr(e.obj, POSTFIX)}[{expr(e.key)}]"

    def visit_setlit(self, e: ast.SetLit, ctx: None) -> str:
        return "{" + ", ".join(expr(i) for i in e.items) + "}"

    def visit_listlit(self, e: ast.ListLit, ctx: None) -> str:
        return "[" + ", ".join(expr(i) for i in e.items) + "]"


_PRINTER = _Printer()


def _bare(e: ast.Expr) -> str:
    return e.accept(_PRINTER, None)


def each(rule: ast.Rule) -> str:
    """The `each` clause of a rule without its keyword: `entry in history`, `e, i in history`."""
    assert rule.each is not None
    names = ", ".join(rule.each_names)
    return f"{names} in {expr(rule.each[1])}"


def table_key(key: str) -> str:
    """A table key as written: a bare name when it is one, else quoted (`"24x365"`)."""
    bare = key.isidentifier() and key.isascii() and key not in _WORDS
    return key if bare else string(key)


_WORDS = frozenset({"true", "false", "if", "then", "else", "and", "or", "not", "in", "is", "any", "all", "none",
                    "fact", "let", "for", "each", "when", "const", "table", "rule", "policy"})
