"""Diagnostics about a policy, and `PolicyError`, the one exception a broken policy raises."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


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

    def span_end_before(self, other: "Span") -> bool:
        """This span ends on `other`'s line before `other` starts (both marks fit in one row)."""
        return self.end_line == other.line and self.end_column <= other.column


@dataclass(frozen=True)
class Label:
    """A secondary place a diagnostic points at (e.g. where the `(` it is about was opened)."""

    span: Span
    message: str
    source_line: str | None = None


def display_width(text: str) -> int:
    """Columns `text` takes on a terminal: East Asian wide characters count two, combining marks none."""
    from wcwidth import wcwidth
    return sum(max(0, wcwidth(ch)) if ch != "\t" else 1 for ch in text)


def _underline(source_line: str, column: int, width_chars: int, mark: str) -> str:
    """Spaces up to `column` (tabs kept, wide characters counted twice) and `mark` under the span."""
    line = source_line.rstrip("\n")
    head = line[: column - 1]
    pad = "".join("\t" if ch == "\t" else " " * display_width(ch) for ch in head)
    under = line[column - 1: column - 1 + width_chars]
    return pad + mark * max(1, display_width(under))


def _width(span: Span) -> int:
    """Characters the span covers on its first line (at least one)."""
    return span.end_column - span.column if span.end_line == span.line and span.end_column > span.column else 1


def _excerpt(span: Span, text: str, mark: str, label: str = "") -> str:
    width = _width(span)
    line = text.rstrip("\n")
    under = _underline(line, span.column, width, mark)
    return f"{span.line:>5} | {line}\n{' ' * 5} | {under}" + (f" {label}" if label else "")


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a rule file: where (a primary span, and secondary labels), what, and what to
    write instead (`hint`, shown as the `help:` line)."""

    severity: str  # "error" | "warning"
    code: str
    message: str
    span: Span | None
    hint: str | None = None
    source_line: str | None = None
    labels: tuple[Label, ...] = ()

    def excerpt(self) -> str:
        """The source line with a caret under the span (placed by display width), then each label's
        line with `-` under it and its text (on the primary line: both marks in one row, the label's
        text below its mark). Empty when the source is unknown."""
        parts = []
        primary = self.span is not None and self.source_line is not None
        if primary:
            parts.append(_excerpt(self.span, self.source_line, "^"))  # type: ignore[arg-type]
        for label in self.labels:
            if label.source_line is None:
                continue
            if primary and self.span is not None and label.span.line == self.span.line \
                    and label.span.span_end_before(self.span):
                head, _, row = parts[0].partition("\n")
                marks = _underline(label.source_line, label.span.column, _width(label.span), "-")
                merged = marks + row[len(marks) + 8:] if len(row) - 8 > len(marks) else marks
                lead = " " * 5 + " | "
                pad = marks[:len(marks) - len(marks.lstrip(" \t"))]
                parts[0] = f"{head}\n{lead}{merged}\n{lead}{pad}{label.message}"
            else:
                parts.append(_excerpt(label.span, label.source_line, "-", label.message))
        return "\n".join(parts)

    def render(self) -> str:
        where = f"{self.span}: " if self.span else ""
        out = f"{where}{self.severity}[{self.code}]: {self.message}"
        ex = self.excerpt()
        if ex:
            out += "\n" + ex
        if self.hint:
            out += f"\n  help: {self.hint}"
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity, "code": self.code, "message": self.message, "hint": self.hint,
            "file": self.span.file if self.span else None,
            "line": self.span.line if self.span else None,
            "column": self.span.column if self.span else None,
            "end_line": self.span.end_line if self.span else None,
            "end_column": self.span.end_column if self.span else None,
            "labels": [{"message": lb.message, "file": lb.span.file, "line": lb.span.line,
                        "column": lb.span.column, "end_line": lb.span.end_line,
                        "end_column": lb.span.end_column} for lb in self.labels],
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
               hint: str | None = None, severity: str = "error",
               labels: tuple[tuple[Span, str], ...] = ()) -> Diagnostic:
    """A diagnostic with its source lines looked up for the excerpts (`labels`: secondary spans in
    the same file, each with its text)."""
    text = source_line(source, span.line) if (span and source is not None) else None
    marks = tuple(Label(s, m, source_line(source, s.line) if source is not None else None) for s, m in labels)
    return Diagnostic(severity, code, message, span, hint, text, marks)


def in_order(diagnostics: "Iterable[Diagnostic]") -> list[Diagnostic]:
    """Errors before warnings, then by file, line and column: the one order every tool reports in."""
    return sorted(diagnostics, key=lambda d: (d.severity != "error", d.span.file if d.span else "",
                                              d.span.line if d.span else 0, d.span.column if d.span else 0))
