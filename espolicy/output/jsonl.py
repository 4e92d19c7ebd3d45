"""`--format jsonl`: one result per line as it is judged (the `results[]` entry of docs/contract.md §3,
findings with `line`/`column` when known), then one last line `{"summary": {…}, "references": {…}}`
(`references`: the declared titles of the references the policy's rules cite, `{"Q6": {"en": …,
"ja": …}}`; with a waivers file, also `"waivers": {…}`: its file, digest, and the expired and
unused entries).

Nothing is held: a pipeline can read results while a million-document batch is still running
(`jq -c 'select(.outcome == "deny")'`).
"""
from __future__ import annotations

import json
from typing import TextIO

from espolicy.safetext import inert_json
from espolicy.report import Report, Summary
from espolicy.output.common import RunContext, reference_titles, waivers_report


def render_line(report: Report) -> str:
    """One result as one line of JSON (picklable: `-j` workers render with it)."""
    return inert_json(json.dumps(report.to_dict(), ensure_ascii=False, default=str)) + "\n"


class JsonlFormatter:
    """Writes `{result}\\n` per document and `{"summary": …}\\n` at the end."""

    def __init__(self, stream: TextIO, lang: str = "en", context: RunContext | None = None) -> None:
        self.stream = stream
        self.lang = lang   # results carry both languages
        self.renderer = render_line
        self.waivers = context.waivers if context is not None else None
        self.policy = context.policy if context is not None else None

    def start(self, policy_info: dict[str, str]) -> None:
        pass

    def result(self, report: Report) -> None:
        self.stream.write(render_line(report))

    def emit(self, text: str) -> None:
        self.stream.write(text)

    def end(self, summary: Summary) -> None:
        last: dict[str, object] = {"summary": summary.to_dict()}
        if self.policy is not None:
            last["references"] = reference_titles(self.policy.checked)
        if self.waivers is not None:
            last["waivers"] = waivers_report(self.waivers, summary)
        self.stream.write(json.dumps(last, ensure_ascii=False) + "\n")
        self.stream.flush()
