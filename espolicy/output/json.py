"""`--format json`: the report of docs/contract.md §3, streamed result by result.

The frame is indented; each result is one line of compact JSON (CPython's fast encoder: indenting
every result costs more than judging it). The same input gives byte-identical output, and results
are written as they come.
"""
from __future__ import annotations

import json
from typing import Any, TextIO

from espolicy.safetext import inert_json
from espolicy.report import Report, Summary
from espolicy.output.common import RunContext, reference_titles, unused_waivers, waivers_start


def _dump(value: Any, indent: str) -> str:
    """`value` as indent-2 JSON, its continuation lines shifted right by `indent`."""
    text = inert_json(json.dumps(value, indent=2, ensure_ascii=False, default=str))
    return text.replace("\n", "\n" + indent)


def render_result(report: Report) -> str:
    """One result as one line of JSON (picklable: `-j` workers render with it)."""
    return inert_json(json.dumps(report.to_dict(), ensure_ascii=False, default=str))


class JsonFormatter:
    """Writes `{"policy": …, "references": …, "results": […], "summary": …}` (`references`: the
    declared titles of the references the policy's rules cite, when the policy is known)."""

    def __init__(self, stream: TextIO, lang: str = "en", context: RunContext | None = None) -> None:
        self.stream = stream
        self.lang = lang  # the JSON report carries both languages
        self._count = 0
        self.renderer = render_result
        self.waivers = context.waivers if context is not None else None
        self.policy = context.policy if context is not None else None

    def start(self, policy_info: dict[str, str]) -> None:
        # what each FAQ reference a finding cites is called: the titles the policy declares
        references = ""
        if self.policy is not None:
            references = ',\n  "references": ' + _dump(reference_titles(self.policy.checked), "  ")
        waivers = ""   # the waivers file beside the policy: file, digest, today, entries, expired ones
        if self.waivers is not None:
            waivers = ',\n  "waivers": ' + _dump(waivers_start(self.waivers), "  ")
        self.stream.write('{\n  "policy": ' + _dump(policy_info, "  ") + references + waivers + ',\n  "results": [')

    def result(self, report: Report) -> None:
        self.emit(render_result(report))

    separator = ",\n    "   # between two results (a `-j` worker joins a block's results with it)

    def emit(self, text: str) -> None:
        """Write one result's text, or several joined with `separator`."""
        self.stream.write(("," if self._count else "") + "\n    " + text)
        self._count += 1

    def end(self, summary: Summary) -> None:
        close = "\n  ]" if self._count else "]"
        unused = ""
        if self.waivers is not None:
            unused = ',\n  "unused_waivers": ' + _dump(unused_waivers(self.waivers, summary), "  ")
        self.stream.write(close + ',\n  "summary": ' + _dump(summary.to_dict(), "  ") + unused + "\n}\n")
        self.stream.flush()
