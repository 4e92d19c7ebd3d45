"""`--format junit`: JUnit XML, which CI systems (GitLab, Jenkins, Azure, test-report actions) show
as test results: a `testsuite` per file, a `testcase` per document.

- an `invalid` document is an `<error>` (it could not be judged);
- a document that fails the run at `--fail-on` (deny by default; review and warn when asked) is a
  `<failure>` whose text lists each failing finding as `file:line:col: effect [FAQ] rule /path`,
  its message and advice;
- other documents pass; their review/warn findings below the fail level go to `<system-out>`,
  and so do waived findings (`WAIVED`, with the waiver's reason, owner, expiry and line).

A testsuite's counts come before its testcases in XML, so the testcases of the current file and
the finished suites are spooled (in memory up to a few MB, then to a temporary file) and the
document is written at the end: memory stays flat however large the batch.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from typing import IO, TextIO
from xml.sax.saxutils import escape, quoteattr

from espolicy.report import Finding, Report, Summary
from espolicy.effects import REPORTED_EFFECTS
from espolicy.output.common import RunContext, display_file, fails, where

_SPOOL = 4 * 1024 * 1024
# characters XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _ILLEGAL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _attr(text: object) -> str:
    return quoteattr(_clean(str(text)))


def _text(text: str) -> str:
    return escape(_clean(text))


def _spool() -> IO[str]:
    return tempfile.SpooledTemporaryFile(max_size=_SPOOL, mode="w+", encoding="utf-8", newline="")


class JUnitWriter:
    """The one JUnit XML writer: testcases in suites (a suite's cases arrive together), spooled so
    that each suite's counts can precede its cases; `close` writes `<testsuites>`."""

    def __init__(self, stream: TextIO, name: str = "espolicy") -> None:
        self.stream = stream
        self.name = name
        self.body = _spool()          # finished <testsuite> elements
        self.cases = _spool()         # <testcase> elements of the current suite
        self.suite: str | None = None
        self.counts = [0, 0, 0]       # tests, failures, errors of the current suite
        self.totals = [0, 0, 0]

    def _close_suite(self) -> None:
        if self.suite is None:
            return
        tests, failures, errors = self.counts
        self.body.write(f"  <testsuite name={_attr(self.suite)} tests=\"{tests}\" failures=\"{failures}\" "
                        f"errors=\"{errors}\" skipped=\"0\">\n")
        self.cases.seek(0)
        shutil.copyfileobj(self.cases, self.body)
        self.cases.seek(0)
        self.cases.truncate()
        self.body.write("  </testsuite>\n")
        self.suite = None

    def case(self, suite: str, name: str, classname: str, file: str | None = None, line: int | None = None,
             problem: tuple[str, str, str, str] | None = None, system_out: str | None = None) -> None:
        """One testcase; `problem` is (`failure` or `error`, type, message, details)."""
        if suite != self.suite:
            self._close_suite()
            self.suite, self.counts = suite, [0, 0, 0]
        attrs = (f"name={_attr(name)} classname={_attr(classname)}" + (f" file={_attr(file)}" if file else "")
                 + (f" line=\"{line}\"" if line is not None else ""))
        self.counts[0] += 1
        self.totals[0] += 1
        if problem is None and not system_out:
            self.cases.write(f"    <testcase {attrs}/>\n")
            return
        out = [f"    <testcase {attrs}>\n"]
        if problem is not None:
            tag, kind, message, details = problem
            index = 2 if tag == "error" else 1
            self.counts[index] += 1
            self.totals[index] += 1
            out.append(f"      <{tag} type={_attr(kind)} message={_attr(message)}>{_text(details)}</{tag}>\n")
        if system_out:
            out.append(f"      <system-out>{_text(system_out)}</system-out>\n")
        out.append("    </testcase>\n")
        self.cases.write("".join(out))

    def close(self) -> None:
        self._close_suite()
        tests, failures, errors = self.totals
        self.stream.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                          f"<testsuites name={_attr(self.name)} tests=\"{tests}\" "
                          f"failures=\"{failures}\" errors=\"{errors}\">\n")
        self.body.seek(0)
        shutil.copyfileobj(self.body, self.stream)
        self.stream.write("</testsuites>\n")
        self.stream.flush()
        self.body.close()
        self.cases.close()


class JunitFormatter:
    """`validate --format junit`: a testsuite per file, a testcase per document."""

    def __init__(self, stream: TextIO, lang: str = "en", context: RunContext | None = None) -> None:
        self.stream = stream
        self.lang = lang
        self.fail_on = context.fail_on if context is not None else "deny"
        self.writer = JUnitWriter(stream)

    def start(self, policy_info: dict[str, str]) -> None:
        self.writer.name = "espolicy: " + policy_info.get("name", "espolicy")

    def _finding(self, report: Report, f: Finding) -> str:
        head = [where(report, f) or display_file(report) or "-", *(["WAIVED"] if f.waived else []), f.effect]
        if f.faq:
            head.append("[" + ",".join(f.faq) + "]")
        head.append(f.rule)
        if f.path:
            head.append(f.path)
        lines = [" ".join(head[:1]) + ": " + " ".join(head[1:]), "  " + f.text("message", self.lang)]
        if f.advice:
            lines.append("  → " + f.text("advice", self.lang))
        note = f.waiver.note(self.lang) if f.waiver is not None else None
        if note:
            lines.append("  " + note)
        return "\n".join(lines)

    def result(self, report: Report) -> None:
        file = display_file(report) or "-"
        reported = [f for f in report.findings if f.effect in REPORTED_EFFECTS]
        failing = [f for f in reported if fails(f, self.fail_on)] if report.fails(self.fail_on) else []
        first = next((f.line for f in (failing or reported) if f.line is not None), None)
        if first is None and report.source and report.source != file:
            tail = report.source.rpartition(":")[2]      # `file:LINE`: where the document starts
            first = int(tail) if tail.isdigit() else None
        if report.fails(self.fail_on) and not failing:   # never expected: fail all the same
            failing = [Finding(report.outcome, "error" if report.outcome == "invalid" else report.outcome,
                               [], {"en": f"the document is {report.outcome}"}, None, "")]
        problem = None
        if failing:
            tag = "error" if report.outcome == "invalid" else "failure"
            kind = report.outcome if report.outcome != "allow" else failing[0].effect
            message = f"{failing[0].rule}: {failing[0].text('message', self.lang)}"
            problem = (tag, kind, message, "\n".join(self._finding(report, f) for f in failing))
        rest = [f for f in reported if f not in failing]
        self.writer.case(file, report.id or report.source or "-", report.kind or "document", file, first, problem,
                         "\n".join(self._finding(report, f) for f in rest) if rest else None)

    def end(self, summary: Summary) -> None:
        self.writer.close()
