"""What the formats share: the run context, where a finding points, levels, and rule metadata."""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

from espolicy import effects, messages
from espolicy.report import Finding, Report

if TYPE_CHECKING:
    from espolicy.lang import ast
    from espolicy.lang.typecheck import CheckedPolicy
    from espolicy.engine.policy import Policy
    from espolicy.engine.waivers import Waivers

# SARIF / annotation level of each effect: deny and schema errors are errors; review and warn
# need a person's attention (warning); info is a note. Info findings are not reported as SARIF
# results or GitHub annotations (every allowed registration has one), only in text/JSON/JUnit.
LEVELS = {"error": "error", "deny": "error", "review": "warning", "warn": "warning", "info": "note"}


@dataclass(frozen=True)
class RunContext:
    """What a format may need beyond the reports: the policy (rule metadata), the fail level,
    the tool's version and the waivers file in use. Every field has a default, so a format also
    works without one."""

    policy: Policy | None = None
    fail_on: str = "deny"
    version: str = ""
    waivers: Waivers | None = None


def encodes(stream: Any, text: str) -> bool:
    """True when `stream` can write `text` in its encoding (a stream without one takes any text)."""
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return True
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def fails(finding: Finding, fail_on: str) -> bool:
    """True when this finding alone is at or above the `--fail-on` level (a waived one never is)."""
    return effects.fails(finding.effect, fail_on) and not finding.waived


def display_file(report: Report) -> str | None:
    """The file a report's document came from: `report.file`, else its source without `:LINE`."""
    if report.file:
        return report.file
    if not report.source:
        return None
    head, sep, tail = report.source.rpartition(":")
    return head if sep and tail.isdigit() and head else report.source


def finding_identity(rule: str, file: str, document: str, path: str) -> str:
    """A hex digest that names one finding across runs: its rule, file, document and field. Line
    numbers are left out, so that editing the file above a document does not make it new."""
    return hashlib.sha256("\0".join((rule, file, document, path)).encode("utf-8", "surrogateescape")).hexdigest()


def where(report: Report, finding: Finding) -> str | None:
    """`file:line:col` (or `file:line`) of a finding, None when its line is not known."""
    if finding.line is None:
        return None
    file = display_file(report) or "-"
    if finding.column is None:
        return f"{file}:{finding.line}"
    return f"{file}:{finding.line}:{finding.column}"


def repository_path(path: str) -> str | None:
    """`path` relative to the working folder with `/` separators, as CI systems name files in a
    checkout; None when it lies outside the working folder."""
    if os.path.isabs(path):
        path = os.path.relpath(path)
        if path.startswith(os.pardir):
            return None
    return os.path.normpath(path).replace(os.sep, "/")


def uri(path: str | None) -> str:
    """A SARIF artifact URI: the path relative to the working folder when it is inside it,
    with `/` separators and percent-escapes; `stdin` for standard input."""
    from urllib.parse import quote

    if not path or path == "-":
        return "stdin"
    relative = repository_path(path)   # a name that is not UTF-8: its own bytes, percent-escaped
    if relative is None:
        return "file://" + quote(path.replace(os.sep, "/"), safe="/:", errors="surrogateescape")
    return quote(relative, safe="/", errors="surrogateescape")


# ---------------------------------------------------------------- rule metadata

@dataclass(frozen=True)
class RuleInfo:
    """What a format says about a rule: from the policy, or for a built-in error (schema check,
    unreadable document)."""

    id: str
    effect: str
    faq: tuple[str, ...]
    kinds: tuple[str, ...]
    title: str
    message: dict[str, str]
    advice: dict[str, str]
    tags: tuple[str, ...] = ()  # the rule's own `tags`
    owner: str | None = None
    references: dict[str, str] = field(default_factory=dict)  # cited reference -> its declared English title
    titles: dict[str, str] = field(default_factory=dict)  # the rule's own `title en/ja`, when it has one
    help_uri: str | None = None   # the `url` of the first cited reference that declares one


def title(rule_id: str) -> str:
    """`mixed-generations` → `Mixed generations`."""
    words = rule_id.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def builtin_rule(rule_id: str) -> RuleInfo:
    """Metadata of an error finding's rule (schema checks and unreadable documents)."""
    text = messages.rule_text(rule_id)
    return RuleInfo(rule_id, "error", (), (), title(rule_id), {"en": text.description + "."}, {"en": text.advice})


def policy_rules(policy: Policy | None) -> Iterator[RuleInfo]:
    """Every rule of the policy, in policy order, with its message and advice as templates
    (interpolations shown as `{expression}`, as written in the rule file)."""
    if policy is None:
        return
    sources = _SourceLines(policy)
    for rule in policy.rules:
        refs = [ref for q in rule.faq if (ref := policy.checked.reference(q)) is not None]
        cited = {ref.id: ref.title["en"] for ref in refs}
        yield RuleInfo(rule.id, rule.effect, tuple(rule.faq), tuple(rule.kinds),
                       rule.title.get("en") or title(rule.id),
                       {lang: sources.template(text) for lang, text in rule.message.items()},
                       {lang: sources.template(text) for lang, text in (rule.advice or {}).items()},
                       tuple(rule.tags), rule.owner, cited, dict(rule.title),
                       next((ref.url for ref in refs if ref.url), None))


class _SourceLines:
    """The lines of the policy's rule files, to show an interpolation as it is written."""

    def __init__(self, policy: Policy) -> None:
        self.lines: dict[str, list[str]] = {}
        for module in getattr(policy.checked, "modules", ()):
            self.lines[module.file] = module.source.splitlines()

    def expression(self, expr: Any) -> str:
        span = getattr(expr, "span", None)
        lines = self.lines.get(getattr(span, "file", None) or "")
        if span is None or not lines or span.line > len(lines) or span.end_line > len(lines):
            return "…"
        if span.line == span.end_line:
            return lines[span.line - 1][span.column - 1:span.end_column - 1]
        parts = [lines[span.line - 1][span.column - 1:]]
        parts += lines[span.line:span.end_line - 1]
        parts.append(lines[span.end_line - 1][:span.end_column - 1])
        return re.sub(r"\s+", " ", " ".join(parts))

    def template(self, text: ast.Text) -> str:
        return "".join(p if isinstance(p, str) else "{" + self.expression(p) + "}" for p in text.parts)


def rule_entry(rule: ast.Rule) -> dict[str, Any]:
    """A rule as `check --format json` lists it: id, kinds, effect, FAQ references, title
    (`{"en", "ja"}`, or None), tags, owner (or None), and the file and line it is declared on."""
    return {"id": rule.id, "kinds": list(rule.kinds), "effect": rule.effect, "faq": list(rule.faq),
            "title": dict(rule.title) or None, "tags": list(rule.tags), "owner": rule.owner,
            "file": rule.span.file, "line": rule.span.line}


def reference_titles(checked: CheckedPolicy | None) -> dict[str, dict[str, str]]:
    """The references the policy's rules cite, in reference order (Q2 before Q10): each one's declared
    titles `{"en": …, "ja": …}` and its `url` when it has one; what a finding's `faq` entries name."""
    if checked is None:
        return {}
    from espolicy.lang.typecheck import reference_order
    cited = {q for rule in checked.rules for q in rule.faq}
    out: dict[str, dict[str, str]] = {}
    for q in sorted(cited, key=reference_order):
        ref = checked.reference(q)
        if ref is not None:
            out[q] = {**ref.title, **({"url": ref.url} if ref.url else {})}
    return out


def waivers_start(waivers: Waivers) -> dict[str, Any]:
    """What a report says of its waivers file before the results: file and digest (beside the
    policy's), the date expiries were read against, the number of entries and the expired ones."""
    return {**waivers.info(), "today": waivers.today.isoformat(), "entries": len(waivers.entries),
            "expired": [w.to_dict() for w in waivers.expired]}


def unused_waivers(waivers: Waivers, summary: Any) -> list[dict[str, Any]]:
    """The entries in force that matched no finding in the run."""
    return [w.to_dict() for w in waivers.unused(summary.used)]


def waivers_report(waivers: Waivers, summary: Any) -> dict[str, Any]:
    """Everything a report says of its waivers file, at the end of a run."""
    return {**waivers_start(waivers), "unused": unused_waivers(waivers, summary)}
