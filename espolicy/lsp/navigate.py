"""Where names are declared and used: go to definition, find references, document and workspace symbols.

A symbol is a constant, table, fact or let (one namespace, as the checker keeps it), a rule, or a
reference (Q1…). Occurrences come from the syntax trees of the folder's files.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Iterator

from espolicy.errors import Span
from espolicy.lang import ast
from espolicy.lang.names import name_span
from espolicy.lsp.state import Knowledge

_FAQ_LINE = re.compile(r"^(\s*faq\s+)(.*)$")
_REF = re.compile(r"Q[0-9]+")


@dataclass(frozen=True)
class Occurrence:
    """One place a symbol is named: `space` is name, rule or reference."""

    space: str
    name: str
    span: Span
    definition: bool
    kinds: tuple[str, ...] = ()  # the kinds of the declaration it stands in (a fact or let per kind)

    def same(self, other: "Occurrence") -> bool:
        """Both name one symbol: same name, and for facts and lets a kind in common."""
        if (self.space, self.name) != (other.space, other.name):
            return False
        return not self.kinds or not other.kinds or bool(set(self.kinds) & set(other.kinds))


@dataclass(frozen=True)
class Symbol:
    """A declaration for the outline: its name, what it is, its whole span and its name's span."""

    name: str
    what: str  # policy, const, table, entry, fact, let, rule, reference, data
    detail: str
    span: Span
    name_span: Span
    children: tuple["Symbol", ...] = ()


def occurrences(k: Knowledge) -> list[Occurrence]:
    """Every occurrence of every symbol in the folder."""
    values = {d.name for d in k.decls() if isinstance(d, ast.Value)}
    declared = {d.name for d in k.decls() if isinstance(d, (ast.Const, ast.Table, ast.Value))}
    declared |= {str(getattr(d, "name")) for d in k.decls() if type(d).__name__ == "Data"}
    out: list[Occurrence] = []
    for file in k.files:
        module = k.modules.get(file)
        if module is None:
            continue
        for d in module.decls:
            out += _decl_occurrences(d, module.source, declared, values)
    return out


def _decl_occurrences(d: ast.Decl, source: str, declared: set[str], values: set[str]) -> list[Occurrence]:
    out: list[Occurrence] = []
    kinds = tuple(getattr(d, "kinds", ()))
    if isinstance(d, (ast.Const, ast.Table, ast.Value)) or type(d).__name__ == "Data":
        name = str(getattr(d, "name"))
        out.append(Occurrence("name", name, name_span(d.span, name, source), True,
                              kinds if isinstance(d, ast.Value) else ()))
    elif isinstance(d, ast.Rule):
        out.append(Occurrence("rule", d.id, name_span(d.span, d.id, source), True))
        out += _faq_occurrences(d, source)
    elif type(d).__name__ == "Reference":
        ref = str(getattr(d, "id", None) or getattr(d, "name", ""))
        out.append(Occurrence("reference", ref, name_span(d.span, ref, source), True))
    out += [Occurrence("name", n.name, n.span, False, kinds if n.name in values else ())
            for n in _names(d, frozenset()) if n.name in declared]
    return out


def _faq_occurrences(rule: ast.Rule, source: str) -> list[Occurrence]:
    """The references a rule's `faq` clause cites, with their places in the source."""
    lines = source.split("\n")
    out = []
    for i in range(rule.span.line - 1, min(rule.span.end_line, len(lines))):
        m = _FAQ_LINE.match(lines[i])
        if m is None:
            continue
        for r in _REF.finditer(m.group(2).split("#")[0]):
            col = len(m.group(1)) + r.start() + 1
            out.append(Occurrence("reference", r.group(0), Span(rule.span.file, i + 1, col, i + 1, col + len(r.group(0))),
                                  False))
    return out


def _fields(node: Any) -> Iterator[Any]:
    """The direct children of a syntax node (expressions, texts, clauses), whatever its class."""
    if not dataclasses.is_dataclass(node):
        return
    for f in dataclasses.fields(node):
        if f.name != "span":
            yield getattr(node, f.name)


def _names(node: Any, bound: frozenset[str]) -> Iterator[ast.Name]:
    """Every free `Name` below `node` (variables bound by a quantifier or aggregate excluded)."""
    if isinstance(node, ast.Name):
        if node.name not in bound:
            yield node
        return
    if isinstance(node, (tuple, list)):
        # a rule's `each` is (variable, list): the variable binds in the rest of the rule
        for item in node:
            yield from _names(item, bound)
        return
    if isinstance(node, dict):
        for item in node.values():
            yield from _names(item, bound)
        return
    if not dataclasses.is_dataclass(node):
        return
    var = getattr(node, "var", None)
    inner = bound | {var} if isinstance(var, str) else bound
    if isinstance(node, ast.Rule) and node.each is not None:
        inner = bound | {node.each[0]}
    for child in _fields(node):
        yield from _names(child, inner)


def at(k: Knowledge, file: str, line: int, col: int) -> Occurrence | None:
    """The occurrence at 0-based (line, col) of `file`."""
    for o in occurrences(k):
        s = o.span
        if s.file == file and s.line == line + 1 and s.column - 1 <= col <= s.end_column - 1:
            return o
    return None


def definitions(k: Knowledge, o: Occurrence) -> list[Occurrence]:
    return [x for x in occurrences(k) if x.definition and x.same(o)]


def references(k: Knowledge, o: Occurrence, include_declaration: bool) -> list[Occurrence]:
    return [x for x in occurrences(k) if x.same(o) and (include_declaration or not x.definition)]


def symbols(k: Knowledge, file: str) -> list[Symbol]:
    """The outline of one file: its declarations (a table with its entries)."""
    module = k.modules.get(file)
    if module is None:
        return []
    return [s for d in module.decls if (s := _symbol(d, module.source)) is not None]


def _symbol(d: ast.Decl, source: str) -> Symbol | None:
    if isinstance(d, ast.PolicyName):
        return Symbol(d.name, "policy", "policy", d.span, d.span)
    if isinstance(d, ast.Const):
        return Symbol(d.name, "const", "const", d.span, name_span(d.span, d.name, source))
    if isinstance(d, ast.Table):
        lines = source.split("\n")
        entries = []
        for key, e in d.entries:
            row = e.span.line
            col = lines[row - 1].rfind(key, 0, max(0, e.span.column - 1)) if 0 < row <= len(lines) else -1
            where = Span(d.span.file, row, col + 1, row, col + 1 + len(key)) if col >= 0 else e.span
            entries.append(Symbol(key, "entry", "entry", Span(d.span.file, row, where.column, e.span.end_line,
                                                              e.span.end_column), where))
        return Symbol(d.name, "table", "table", d.span, name_span(d.span, d.name, source), tuple(entries))
    if isinstance(d, ast.Value):
        what = "fact" if d.exported else "let"
        return Symbol(d.name, what, f"{what} for {', '.join(d.kinds)}", d.span, name_span(d.span, d.name, source))
    if isinstance(d, ast.Rule):
        faq = ", ".join(d.faq) or "faq none"
        return Symbol(d.id, "rule", f"{d.effect} · {', '.join(d.kinds)} · {faq}", d.span,
                      name_span(d.span, d.id, source))
    name = getattr(d, "id", None) or getattr(d, "name", None)
    if isinstance(name, str):
        what = type(d).__name__.lower()
        return Symbol(name, what, what, d.span, name_span(d.span, name, source))
    return None
