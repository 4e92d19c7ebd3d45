"""Code actions: every "did you mean `X`?" of a diagnostic becomes a quick fix that writes `X`."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from espolicy.errors import Diagnostic, Span

_SUGGESTION = re.compile(r"did you mean `([^`]+)`")
_QUOTED = re.compile(r"`([^`]+)`|\"([^\"]+)\"")


@dataclass(frozen=True)
class Fix:
    """Replace `span` (one line) with `text`."""

    title: str
    span: Span
    text: str
    diagnostic: Diagnostic


def fixes(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...], source: str) -> list[Fix]:
    """The quick fixes of `diagnostics` (of one file whose text is `source`)."""
    lines = source.split("\n")
    out = []
    for d in diagnostics:
        fix = _fix(d, lines)
        if fix is not None:
            out.append(fix)
    return out


def _fix(d: Diagnostic, lines: list[str]) -> Fix | None:
    m = _SUGGESTION.search(f"{d.message}\n{d.hint or ''}")
    if m is None or d.span is None:
        return None
    suggestion = m.group(1)
    quoted = [a or b for a, b in _QUOTED.findall(d.message)]  # `at a.b.c`: each name is a candidate
    candidates = [w for q in quoted for w in re.findall(r"[\w-]+", q) if w != suggestion]
    if not candidates:
        return None
    wrong = max(candidates, key=lambda q: difflib.SequenceMatcher(None, q, suggestion).ratio())
    s = d.span
    pattern = re.compile(r"(?<![\w-])" + re.escape(wrong) + r"(?![\w-])")
    found = []
    for row in range(s.line, min(s.end_line, len(lines)) + 1):
        text = lines[row - 1]
        lo = s.column - 1 if row == s.line else 0
        hi = s.end_column - 1 if row == s.end_line else len(text)
        found += [(row, m2.start()) for m2 in pattern.finditer(text) if lo <= m2.start() and m2.end() <= hi]
    if not found:
        return None
    row, col = found[-1] if d.code == "unknown-field" else found[0]
    span = Span(s.file, row, col + 1, row, col + 1 + len(wrong))
    return Fix(f"change `{wrong}` to `{suggestion}`", span, suggestion, d)
