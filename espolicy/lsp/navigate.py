"""Where names are declared and used: go to definition, find references, document and workspace symbols.

A symbol is a constant, table, data set, fact or let (one namespace, as the checker keeps it), a rule,
or a reference (Q1…). Occurrences come from the syntax trees of the folder's files: declarations'
names, the names expressions read, the citations of `faq` clauses (their spans as parsed) and the file
of a `data` declaration.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from espolicy.engine.datafiles import resolve as data_path
from espolicy.errors import Span
from espolicy.lang import ast
from espolicy.lang.names import name_span
from espolicy.lsp.state import Knowledge


@dataclass(frozen=True)
class Occurrence:
    """One place a symbol is named: `space` is name, rule, reference, or datafile (the path of a `data`
    declaration, named by the data set's name)."""

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
    declared = {d.name for d in k.decls() if isinstance(d, (ast.Const, ast.Table, ast.Value, ast.Data))}
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
    kinds = d.kinds if isinstance(d, ast.Value) else ()
    if isinstance(d, (ast.Const, ast.Table, ast.Value, ast.Data)):
        out.append(Occurrence("name", d.name, name_span(d.span, d.name, source), True, kinds))
    if isinstance(d, ast.Data):
        path = _path_span(d, source)
        if path is not None:
            out.append(Occurrence("datafile", d.name, path, False))
    elif isinstance(d, ast.Rule):
        out.append(Occurrence("rule", d.id, name_span(d.span, d.id, source), True))
        out += [Occurrence("reference", ref, span, False) for ref, span in zip(d.faq, d.faq_spans)]
    elif isinstance(d, ast.Reference):
        out.append(Occurrence("reference", d.id, name_span(d.span, d.id, source), True))
    out += [Occurrence("name", n.name, n.span, False, kinds if n.name in values else ())
            for n in _names(d, frozenset()) if n.name in declared]
    return out


def _path_span(d: ast.Data, source: str) -> Span | None:
    """Where the quoted path of a `data` declaration is written (its first line only)."""
    lines = source.split("\n")
    if not 0 < d.span.line <= len(lines):
        return None
    line = lines[d.span.line - 1]
    equals = line.find("=", d.span.column - 1)
    start = line.find('"', equals) if equals >= 0 else -1
    end = line.find('"', start + 1) if start >= 0 else -1
    if end < 0:
        return None
    return Span(d.span.file, d.span.line, start + 1, d.span.line, end + 2)


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
    return _touching(occurrences(k), file, line, col)


def declared_at(k: Knowledge, file: str, line: int, col: int) -> Occurrence | None:
    """A rule's id, a reference (cited or declared) or a data set's name or path at 0-based (line, col)
    of `file`: only that file's declarations are looked at, and only where the text still says so."""
    module = k.modules.get(file)
    if module is None:
        return None
    found: list[Occurrence] = []
    for d in module.decls:  # with no names declared, only the declaration's own names and citations
        if isinstance(d, (ast.Rule, ast.Reference, ast.Data)) and d.span.line - 1 <= line <= d.span.end_line - 1:
            found += _decl_occurrences(d, module.source, set(), set())
    o = _touching(found, file, line, col)
    if o is None:
        return None
    lines = k.texts.get(file, "").split("\n")
    written = lines[line][o.span.column - 1:o.span.end_column - 1] if line < len(lines) else ""
    if o.space == "datafile":
        return o if len(written) >= 2 and written[0] == written[-1] == '"' else None
    return o if written == o.name else None


def _touching(found: list[Occurrence], file: str, line: int, col: int) -> Occurrence | None:
    for o in found:
        s = o.span
        if s.file == file and s.line == line + 1 and s.column - 1 <= col <= s.end_column - 1:
            return o
    return None


def definitions(k: Knowledge, o: Occurrence) -> list[Span]:
    """Where the symbol of `o` is declared. A reference the folder does not declare but the checker
    knows (the FAQ's, for a policy that declares none) is found in the file that declares it. From a
    data set's declaration (its name or its path), the data file itself."""
    if o.space in ("name", "datafile"):
        got = data_file(k, o.name)
        if got is not None and (o.space == "datafile" or (o.definition and _same_line(o.span, got[0].span))):
            return [Span(str(got[1]), 1, 1, 1, 1)]
    found = [x.span for x in occurrences(k) if x.definition and x.same(o)]
    if not found and o.space == "reference" and o.name in k.references():
        r = k.references()[o.name]
        found = [name_span(r.span, r.id, _read(r.span.file))]
    return found


def data_file(k: Knowledge, name: str) -> tuple[ast.Data, Path] | None:
    """The declaration of the data set `name` and its file, when the file is inside the policy folder."""
    d = k.data_sets().get(name)
    path = data_path(d.span.file, d.path) if d is not None else None
    if d is None or path is None or not path.is_file():
        return None
    return d, path


def _same_line(a: Span, b: Span) -> bool:
    return a.file == b.file and a.line == b.line


def _read(file: str) -> str | None:
    try:
        return Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def references(k: Knowledge, o: Occurrence, include_declaration: bool) -> list[Occurrence]:
    """Every place naming the symbol of `o` in the folder (a data file's path counts as its data set's)."""
    space = "name" if o.space == "datafile" else o.space
    return [x for x in occurrences(k) if x.space == space and x.same(dataclasses.replace(o, space=space))
            and (include_declaration or not x.definition)]


def symbols(k: Knowledge, file: str) -> list[Symbol]:
    """The outline of one file: its declarations (a table with its entries)."""
    module = k.modules.get(file)
    if module is None:
        return []
    return [_symbol(d, module.source) for d in module.decls]


def _symbol(d: ast.Decl, source: str) -> Symbol:
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
        title = f"{d.title['en']} · " if "en" in d.title else ""
        return Symbol(d.id, "rule", f"{title}{d.effect} · {', '.join(d.kinds)} · {faq}", d.span,
                      name_span(d.span, d.id, source))
    if isinstance(d, ast.Reference):
        return Symbol(d.id, "reference", d.title.get("en", "reference"), d.span, name_span(d.span, d.id, source))
    return Symbol(d.name, "data", f"data {d.path}", d.span, name_span(d.span, d.name, source))
