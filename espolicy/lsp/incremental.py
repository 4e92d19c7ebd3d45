"""Parsing a file again after an edit, declaration by declaration: the file is cut before every line that
starts a declaration (`rule`, `fact`, … at the start of a line); a piece whose text did not change keeps
its syntax tree (moved to its new lines), only the edited one is parsed. When a piece does not parse,
the whole file is parsed as `check` parses it, so the diagnostics are always the same as `check`'s.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any

from espolicy.errors import PolicyError, Span
from espolicy.lang import ast
from espolicy.lang.parser import parse

_START = re.compile(r"^(?:policy|const|table|fact|let|rule|reference|data)\b", re.MULTILINE)


def pieces(text: str) -> list[tuple[int, str]]:
    """(first line, text) of each piece of `text`: the lines before the first declaration, then one
    piece per declaration with the comments and blank lines after it. Joined, they are `text`."""
    starts = [m.start() for m in _START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    out = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        out.append((text.count("\n", 0, start), text[start:end]))
    return out


def moved(node: Any, lines: int) -> Any:
    """A syntax tree `lines` lines further down (spans moved; everything else shared)."""
    if lines == 0:
        return node
    if isinstance(node, Span):
        return Span(node.file, node.line + lines, node.column, node.end_line + lines, node.end_column)
    if isinstance(node, tuple):
        return tuple(moved(item, lines) for item in node)
    if isinstance(node, dict):
        return {key: moved(value, lines) for key, value in node.items()}
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {f.name: moved(getattr(node, f.name), lines) for f in dataclasses.fields(node)}
        return dataclasses.replace(node, **changes)
    return node


class Reparser:
    """Parses the successive texts of one file, reusing the trees of unchanged declarations."""

    def __init__(self, file: str):
        self.file = file
        self._trees: dict[str, tuple[int, tuple[ast.Decl, ...]]] = {}  # piece text -> (its first line, decls)

    def parse(self, text: str) -> ast.Module:
        """The module of `text`, equal to `parse(text, file)` (spans included); raises as `parse` does."""
        decls: list[ast.Decl] = []
        kept: dict[str, tuple[int, tuple[ast.Decl, ...]]] = {}
        for line, piece in pieces(text):
            known = self._trees.get(piece) or kept.get(piece)
            if known is None:
                try:
                    parsed = parse("\n" * line + piece, self.file)
                except PolicyError:
                    self._trees = {}
                    return parse(text, self.file)  # the whole file, for `check`'s own diagnostics
                known = (line, parsed.decls)
            first, trees = known
            kept[piece] = known
            decls += moved(trees, line - first)
        self._trees = kept
        return ast.Module(self.file, text, tuple(decls))
