"""Diagnostics about a policy, and `PolicyError`, the one exception a broken policy raises."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """Where a node stands in its file: 1-based line and column, end exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a rule file: where, what, and how to fix it."""

    severity: str  # "error" | "warning"
    code: str
    message: str
    span: Span | None
    hint: str | None = None
    source_line: str | None = None

    def excerpt(self) -> str:
        """The source line with a caret under the span (empty when unknown)."""
        if self.span is None or self.source_line is None:
            return ""
        line = self.source_line.rstrip("\n")
        gutter = f"{self.span.line:>5} | "
        width = 1
        if self.span.end_line == self.span.line and self.span.end_column > self.span.column:
            width = self.span.end_column - self.span.column
        pad = "".join("\t" if ch == "\t" else " " for ch in line[: self.span.column - 1])
        return f"{gutter}{line}\n{' ' * 5} | {pad}{'^' * max(1, width)}"

    def render(self) -> str:
        where = f"{self.span}: " if self.span else ""
        out = f"{where}{self.severity}[{self.code}]: {self.message}"
        ex = self.excerpt()
        if ex:
            out += "\n" + ex
        if self.hint:
            out += f"\n  hint: {self.hint}"
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity, "code": self.code, "message": self.message, "hint": self.hint,
            "file": self.span.file if self.span else None,
            "line": self.span.line if self.span else None,
            "column": self.span.column if self.span else None,
            "end_line": self.span.end_line if self.span else None,
            "end_column": self.span.end_column if self.span else None,
        }


class PolicyError(Exception):
    """A policy that cannot be loaded: carries every error found, the first as `file:line:column`."""

    def __init__(self, diagnostics: list[Diagnostic]):
        if not diagnostics:
            raise ValueError("PolicyError needs at least one diagnostic")
        self.diagnostics = diagnostics
        first = diagnostics[0]
        self.file = first.span.file if first.span else None
        self.line = first.span.line if first.span else None
        self.column = first.span.column if first.span else None
        self.hint = first.hint
        super().__init__("\n".join(d.render() for d in diagnostics))

    def __reduce__(self):  # keep it picklable across processes
        return (PolicyError, (self.diagnostics,))


def source_line(source: str, line: int) -> str | None:
    """Line `line` (1-based) of `source`, or None."""
    lines = source.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else None


def diagnostic(code: str, message: str, span: Span | None, source: str | None,
               hint: str | None = None, severity: str = "error") -> Diagnostic:
    """A diagnostic with its source line looked up for the caret excerpt."""
    text = source_line(source, span.line) if (span and source is not None) else None
    return Diagnostic(severity, code, message, span, hint, text)
