"""`--format gitlab`: a GitLab Code Quality report, the subset of the Code Climate JSON format that
GitLab reads (an array of issues: `description`, `check_name`, `fingerprint`, `severity`,
`location.path`, `location.lines.begin`), for `artifacts:reports:codequality`.

One issue per deny, review or warn finding and per schema error (info findings are for people and
are left out, as in SARIF). A waived finding is an `info` issue whose description starts with
`waived` and ends with the waiver's reason, owner and expiry. The fingerprint names the finding, not its line, so the same finding
has the same fingerprint in every run and GitLab shows only what a merge request changed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TextIO

from espolicy.effects import REPORTED_EFFECTS
from espolicy.output.common import RunContext, display_file, finding_identity, repository_path
from espolicy.report import Finding, Report, Summary
from espolicy.safetext import inert_json

# Code Climate severities (info, minor, major, critical, blocker): an unreadable or invalid
# document blocks everything; a deny is critical; review needs a person; warn is minor.
SEVERITIES = {"error": "blocker", "deny": "critical", "review": "major", "warn": "minor", "info": "info"}


@dataclass(frozen=True)
class GitlabRenderer:
    """The Code Quality issues of one document, one compact JSON object a line (picklable: `-j`
    workers render with it)."""

    lang: str = "en"

    def issue(self, report: Report, f: Finding) -> dict[str, Any]:
        given = display_file(report) or "-"
        file = (repository_path(given) or given) if given != "-" else "-"
        document = report.id or report.source or ""
        faq = f" [{','.join(f.faq)}]" if f.faq else ""
        subject = " ".join(x for x in (report.id, f.path) if x)
        text = f.text("message", self.lang)
        waived = "waived " if f.waived else ""
        note = f" ({f.waiver.note(self.lang)})" if f.waiver is not None else ""
        return {
            "type": "issue",
            "description": f"{waived}{f.effect} {f.rule}{faq}: {subject + ': ' if subject else ''}{text}{note}",
            "check_name": f.rule,
            "fingerprint": finding_identity(f.rule, file, document, f.path or ""),
            "severity": "info" if f.waived else SEVERITIES.get(f.effect, "major"),
            "location": {"path": file, "lines": {"begin": f.line or 1}},
        }

    def __call__(self, report: Report) -> str:
        return ",\n".join(inert_json(json.dumps(self.issue(report, f), ensure_ascii=False))
                          for f in report.findings if f.effect in REPORTED_EFFECTS)


class GitlabFormatter:
    """Writes the JSON array, issues as results arrive."""

    def __init__(self, stream: TextIO, lang: str = "en", context: RunContext | None = None) -> None:
        self.stream = stream
        self.renderer = GitlabRenderer(lang)
        self._written = False

    def start(self, policy_info: dict[str, str]) -> None:
        self.stream.write("[")

    def result(self, report: Report) -> None:
        self.emit(self.renderer(report))

    separator = ",\n"   # between two results' issues (a `-j` worker joins a block's results with it)

    def emit(self, text: str) -> None:
        """Write one result's issues, or several results' joined with `separator`."""
        if text:
            self.stream.write(("," if self._written else "") + "\n" + text)
            self._written = True

    def end(self, summary: Summary) -> None:
        self.stream.write("\n]\n" if self._written else "]\n")
        self.stream.flush()
