"""`--format text`: a report a person reads at a glance, one block per document and a summary line.

    SOURCE  ID  KIND  OUTCOME
      effect  [Q10,Q11]  rule-id  /path  file:line:col
          message
          → advice
      facts: k=v, …
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any, TextIO

from espolicy.effects import OUTCOMES
from espolicy.report import Finding, Report, Summary
from espolicy.output.common import RunContext, where

_COLOURS = {"allow": "32", "deny": "31", "review": "33", "invalid": "35"}  # green, red, yellow, magenta
_LABELS = {
    "en": {"allow": "allow", "deny": "deny", "review": "review", "invalid": "invalid"},
    "ja": {"allow": "許可", "deny": "拒否", "review": "要確認", "invalid": "無効"},
}


def use_colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    from espolicy.engine.progress import is_terminal
    return not os.environ.get("NO_COLOR") and is_terminal(stream)


def _value(v: Any) -> str:
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False, default=str)


# Control characters (ESC starts terminal commands) and bidirectional overrides, which a document
# could use to rewrite what a person sees in a terminal: shown escaped, never sent raw.
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with control characters and bidi overrides written as `\\xNN` / `\\uNNNN`."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                       else f"\\u{ord(m.group()):04x}", text)


def summary_line(summary: Summary, lang: str) -> str:
    """`5 documents: 2 allow, 1 deny, …` (en) or `5 件: 許可 2、拒否 1、…` (ja); zero counts left out."""
    labels = _LABELS["ja" if lang == "ja" else "en"]
    counts = [(o, summary.counts.get(o, 0)) for o in OUTCOMES if summary.counts.get(o, 0)]
    if lang == "ja":
        head = f"{summary.documents} 件"
        return head + (": " + "、".join(f"{labels[o]} {n}" for o, n in counts) if counts else "") + _waived(summary, lang)
    head = f"{summary.documents} document{'' if summary.documents == 1 else 's'}"
    return head + (": " + ", ".join(f"{n} {labels[o]}" for o, n in counts) if counts else "") + _waived(summary, lang)


def _waived(summary: Summary, lang: str) -> str:
    """`; 2 findings waived` when a waivers file is in use."""
    if not summary.waivers:
        return ""
    if lang == "ja":
        return f"（免除 {summary.waived} 件）"
    return f"; {summary.waived} finding{'' if summary.waived == 1 else 's'} waived"


@dataclass(frozen=True)
class TextRenderer:
    """One document's block of text (picklable: `-j` workers render with it)."""

    lang: str = "en"
    colour: bool = False

    def _outcome(self, outcome: str) -> str:
        word = outcome.upper()
        if self.colour and outcome in _COLOURS:
            return f"\x1b[1;{_COLOURS[outcome]}m{word}\x1b[0m"
        return word

    def _finding(self, f: Finding, report: Report | None = None) -> list[str]:
        head = ["WAIVED", f.effect] if f.waived else [f.effect]
        if f.faq:
            head.append("[" + ",".join(f.faq) + "]")
        head.append(f.rule)
        if f.path:
            head.append(f.path)
        place = where(report, f) if report is not None else None
        if place is not None:
            head.append(place)   # file:line:col, which terminals and editors open at the spot
        elif f.line is not None:
            head.append(f"（{f.line} 行目）" if self.lang == "ja" else f"(line {f.line})")
        lines = ["  " + "  ".join(head)]
        message = f.text("message", self.lang)
        if message:
            lines.append("      " + message.replace("\n", "\n      "))
        advice = f.text("advice", self.lang) if f.advice else ""
        if advice:
            lines.append("      → " + advice.replace("\n", "\n        "))
        note = f.waiver.note(self.lang) if f.waiver is not None else None
        if note:
            lines.append("      " + note.replace("\n", " "))
        return lines

    def __call__(self, report: Report) -> str:
        header = printable("  ".join([report.source or "-", report.id or "-", report.kind or "-"]))
        lines = []
        for f in report.findings:
            lines.extend(self._finding(f, report))
        if report.facts:
            lines.append("  facts: " + ", ".join(f"{k}={_value(v)}" for k, v in report.facts.items()))
        body = printable("\n".join(lines))   # document text is escaped; only the outcome may be coloured
        return f"{header}  {self._outcome(report.outcome)}\n" + (body + "\n\n" if body else "\n")


class TextFormatter:
    """Writes one block per document as it comes, then the summary line."""

    def __init__(self, stream: TextIO, lang: str = "en", context: RunContext | None = None) -> None:
        self.stream = stream
        self.lang = lang
        self.renderer = TextRenderer(lang, use_colour(stream))

    def start(self, policy_info: dict[str, str]) -> None:
        pass

    def result(self, report: Report) -> None:
        self.emit(self.renderer(report))

    def emit(self, text: str) -> None:
        """Write one document's text, rendered here or by a worker process."""
        self.stream.write(text)

    def end(self, summary: Summary) -> None:
        self.stream.write(summary_line(summary, self.lang) + "\n")
        self.stream.flush()
