"""`--format github`: GitHub Actions workflow commands, one annotation per finding, which GitHub
shows on the pull request's files at the line of the finding:

    ::error file=regs/a.yaml,line=17,col=5,title=deny mixed-generations [Q10,Q11]::This server …

Findings at or above `--fail-on` (and every schema error) are `::error`; deny, review and warn
findings below it are `::warning`; waived findings are `::notice` (with the waiver's reason);
info findings are not annotated. Each waiver that expired or matched nothing is a `::warning`
on its line of the waivers file. The summary line comes last,
as plain text. Data is escaped as the runner requires (`%`, CR, LF; in properties also `:`, `,`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from espolicy.report import Finding, Report, Summary
from espolicy.effects import REPORTED_EFFECTS
from espolicy.output.common import RunContext, display_file, fails, unused_waivers
from espolicy.output.text import summary_line


def escape_data(text: str) -> str:
    """The message of a workflow command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value of a workflow command."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass(frozen=True)
class GithubRenderer:
    """The annotations of one document (picklable: `-j` workers render with it)."""

    lang: str = "en"
    fail_on: str = "deny"

    def annotation(self, report: Report, f: Finding) -> str:
        level = "notice" if f.waived else "error" if fails(f, self.fail_on) else "warning"
        props = []
        file = display_file(report)
        if file and file != "-":
            props.append(f"file={escape_property(file)}")
            if f.line is not None:
                props.append(f"line={f.line}")
                if f.column is not None:
                    props.append(f"col={f.column}")
        faq = f" [{','.join(f.faq)}]" if f.faq else ""
        props.append("title=" + escape_property(f"{'waived ' if f.waived else ''}{f.effect} {f.rule}{faq}"))
        text = f.text("message", self.lang)
        advice = f.text("advice", self.lang) if f.advice else ""
        subject = " ".join(x for x in (report.id, f.path) if x)
        body = f"{subject}: {text}" if subject else text
        if advice:
            body += "\n→ " + advice
        note = f.waiver.note(self.lang) if f.waiver is not None else None
        if note:
            body += "\n" + note
        return f"::{level} {','.join(props)}::{escape_data(body)}\n"

    def __call__(self, report: Report) -> str:
        return "".join(self.annotation(report, f) for f in report.findings if f.effect in REPORTED_EFFECTS)


class GithubFormatter:
    """Writes `::error …::` / `::warning …::` lines as results arrive, then the summary line."""

    def __init__(self, stream: TextIO, lang: str = "en", context: RunContext | None = None) -> None:
        self.stream = stream
        self.lang = lang
        self.renderer = GithubRenderer(lang, context.fail_on if context is not None else "deny")
        self.waivers = context.waivers if context is not None else None

    def start(self, policy_info: dict[str, str]) -> None:
        pass

    def annotation(self, report: Report, f: Finding) -> str:
        return self.renderer.annotation(report, f)

    def result(self, report: Report) -> None:
        self.emit(self.renderer(report))

    def emit(self, text: str) -> None:
        if text:
            self.stream.write(text)

    def end(self, summary: Summary) -> None:
        if self.waivers is not None:
            file = escape_property(self.waivers.file)
            for title, entries, text in (
                    ("expired waiver", [w.to_dict() for w in self.waivers.expired], "expired on {expires}: it no longer applies"),
                    ("unused waiver", unused_waivers(self.waivers, summary), "matched no finding: it is unused")):
                for w in entries:
                    self.stream.write(f"::warning file={file},line={w['line']},title={escape_property(title)}::"
                                      + escape_data(f"the waiver for `{w['rule']}` " + text.format(**w)) + "\n")
        self.stream.write(summary_line(summary, self.lang) + "\n")
        self.stream.flush()
