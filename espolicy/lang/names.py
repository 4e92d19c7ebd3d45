"""Where a declaration's own name stands in its source (the span of `MAX_YEARS` in `const MAX_YEARS = 5`)."""
from __future__ import annotations

from espolicy.errors import Span


def name_span(decl_span: Span, name: str, source: str | None) -> Span:
    """The span of `name` on the first line of a declaration spanning `decl_span` (the declaration's
    span when the name is not on that line)."""
    lines = (source or "").splitlines()
    line = lines[decl_span.line - 1] if 0 < decl_span.line <= len(lines) else ""
    col = line.find(name, decl_span.column - 1)
    if col < 0:
        return decl_span
    return Span(decl_span.file, decl_span.line, col + 1, decl_span.line, col + 1 + len(name))
