"""`--format sarif`: SARIF 2.1.0, which GitHub code scanning (and other SARIF viewers) turn into
alerts on the lines of the documents.

One run. `tool.driver` names espolicy and lists every rule of the policy (id, name, short and
full description, help text and markdown, default level, and properties `effect`, `faq`,
`kinds`, `tags` (with the rule's own), `title` (`{en, ja}`, when the rule has one), `owner`,
`precision`, `problem.severity`; the help names each cited reference by its declared title, and
`helpUri` is the `url` of the first cited reference that has one), then the built-in error rules (schema checks,
unreadable documents) that occurred. One result per deny, review, warn and error finding:

| effect | level |
|---|---|
| deny, error (invalid document) | `error` |
| review, warn | `warning` |
| info | not reported (it never needs action) |

Each result has `ruleId`, `ruleIndex`, `level`, `message.text` (message, then the advice), one
location (`artifactLocation.uri`: the path relative to the working folder; `region`: startLine,
startColumn, endLine, endColumn — line 1, column 1 when a document has no position, such as an
unreadable file), and `partialFingerprints.primaryLocationLineHash`: a hash of rule, file,
document id and JSON Pointer, stable when lines move, so re-uploads do not duplicate alerts;
its properties name the document (`source`, `id`, `kind`, `outcome`), the finding's `effect`,
`faq` and `path`, and the date it was judged on (`today`), so that a decision can be reproduced.

A waived finding is still a result, with one `suppressions` entry (`kind: external`,
`status: accepted`, `justification`: the waiver's reason, `location`: its line in the waivers
file, and owner, expiry and ticket as properties), which code scanning shows as dismissed. An
invalid document's error that a waiver matched is not suppressed (property `notWaivable`). With
a waivers file, `invocations` carries a warning for each expired or unused waiver, and the run's
properties carry the file's digest beside the policy's.

Results are streamed: `results` is written before `tool` inside the run (JSON objects are
unordered), so the rules that only the batch reveals can be listed at the end.
"""
from __future__ import annotations

import json
from typing import Any, TextIO

from espolicy.safetext import inert_json
from espolicy.report import Finding, Report, Summary
from espolicy.effects import REPORTED_EFFECTS
from espolicy.output.common import (finding_identity, LEVELS, RuleInfo, RunContext, builtin_rule, display_file,
                                    policy_rules, uri, waivers_report)

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SEVERITY = {"error": "error", "deny": "error", "review": "warning", "warn": "warning", "info": "recommendation"}
_LIMIT = 1024   # GitHub's limit for descriptions


def _dump(value: Any, indent: str) -> str:
    return inert_json(json.dumps(value, indent=2, ensure_ascii=False, default=str)).replace("\n", "\n" + indent)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _LIMIT else text[:_LIMIT - 1] + "…"


def descriptor(rule: RuleInfo) -> dict[str, Any]:
    """The SARIF reportingDescriptor of a rule."""
    faq = ", ".join(rule.faq)
    qualifier = rule.effect + (f"; FAQ {faq}" if faq else "")
    message = rule.message.get("en", "") or rule.title
    advice = rule.advice.get("en", "")
    cited = "; ".join(f"{q}: {rule.references[q]}" if q in rule.references else q for q in rule.faq)
    help_text = message + (f"\n\nWhat to do: {advice}" if advice else "") + (f"\n\nFAQ: {cited}" if faq else "")
    markdown = [f"**{rule.title}** ({qualifier})"]
    if rule.titles.get("ja"):
        markdown += ["", f"**{rule.titles['ja']}**"]
    markdown += ["", message]
    if advice:
        markdown += ["", f"**What to do:** {advice}"]
    if rule.message.get("ja"):
        markdown += ["", rule.message["ja"]]
    if rule.advice.get("ja"):
        markdown += ["", "→ " + rule.advice["ja"]]
    if rule.kinds:
        markdown += ["", "Applies to: " + ", ".join(f"`{k}`" for k in rule.kinds)]
    for q in rule.faq:
        if q in rule.references:
            markdown += ["", f"FAQ {q}: {rule.references[q]}"]
    if rule.owner:
        markdown += ["", f"Owner: {rule.owner}"]
    return {
        "id": rule.id,
        "name": rule.id,
        "shortDescription": {"text": _short(f"{rule.title} ({qualifier})")},
        "fullDescription": {"text": _short(message)},
        "help": {"text": help_text, "markdown": "\n".join(markdown)},
        **({"helpUri": rule.help_uri} if rule.help_uri else {}),
        "defaultConfiguration": {"level": LEVELS[rule.effect] if rule.effect in LEVELS else "warning"},
        "properties": {
            "effect": rule.effect,
            "faq": list(rule.faq),
            "kinds": list(rule.kinds),
            "tags": ["espolicy", rule.effect, *rule.kinds, *rule.tags],
            **({"title": dict(rule.titles)} if rule.titles else {}),
            **({"owner": rule.owner} if rule.owner else {}),
            "precision": "very-high",
            "problem.severity": _SEVERITY.get(rule.effect, "warning"),
        },
    }


def information_uri() -> str | None:
    """The project's home page from the installed package's metadata (`[project.urls]`), if any."""
    try:
        from importlib.metadata import PackageNotFoundError, metadata
        meta = metadata("espolicy")
    except (ImportError, PackageNotFoundError, OSError):
        return None
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("homepage", "home", "source", "repository") and url.strip():
            return url.strip()
    home = meta["Home-page"] if "Home-page" in meta else None
    return home.strip() if home and home.strip() and home.strip() != "UNKNOWN" else None


def fingerprint(rule: str, artifact: str, document: str, path: str) -> str:
    """SARIF's `primaryLocationLineHash`: the finding's identity, versioned as GitHub's are."""
    return finding_identity(rule, artifact, document, path)[:16] + ":1"


class SarifFormatter:
    """Writes the SARIF log, results as they come, the tool and its rules at the end."""

    def __init__(self, stream: TextIO, lang: str = "en", context: RunContext | None = None) -> None:
        self.stream = stream
        self.lang = lang
        self.context = context or RunContext()
        self.rules: list[RuleInfo] = list(policy_rules(self.context.policy))
        self.index = {r.id: i for i, r in enumerate(self.rules)}
        self.count = 0
        self.policy_info: dict[str, str] = {}

    def start(self, policy_info: dict[str, str]) -> None:
        self.policy_info = dict(policy_info)
        self.stream.write('{\n  "$schema": ' + json.dumps(SCHEMA) + ',\n  "version": "2.1.0",\n'
                          '  "runs": [\n    {\n      "results": [')

    def _rule_index(self, rule_id: str) -> int:
        index = self.index.get(rule_id)
        if index is None:
            index = self.index[rule_id] = len(self.rules)
            self.rules.append(builtin_rule(rule_id))
        return index

    def _suppression(self, f: Finding) -> dict[str, Any]:
        w = f.waiver
        assert w is not None
        properties: dict[str, Any] = {"owner": w.owner, "expires": w.expires}
        if w.ticket is not None:
            properties["ticket"] = w.ticket
        return {"kind": "external", "status": "accepted", "justification": w.reason,
                "location": _place(w.file, w.line, f"waiver for {f.rule}"), "properties": properties}

    def _result(self, report: Report, f: Finding) -> dict[str, Any]:
        artifact = uri(display_file(report))
        line = f.line if f.line is not None and f.line >= 1 else 1
        column = f.column if f.line is not None and f.column is not None and f.column >= 1 else 1
        text = f.text("message", self.lang) or f.rule
        advice = f.text("advice", self.lang) if f.advice else ""
        if advice:
            text += "\n→ " + advice
        return {
            "ruleId": f.rule,
            "ruleIndex": self._rule_index(f.rule),
            "level": LEVELS[f.effect],
            "message": {"text": text},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact},
                    "region": {"startLine": line, "startColumn": column, "endLine": line, "endColumn": column + 1},
                },
                "logicalLocations": [{"fullyQualifiedName": (report.source or artifact) + "#" + f.path,
                                      "kind": "member"}],
            }],
            "partialFingerprints": {
                "primaryLocationLineHash": fingerprint(f.rule, artifact, report.id or report.source or "", f.path),
            },
            "properties": {
                "effect": f.effect, "faq": list(f.faq), "path": f.path, "source": report.source,
                "id": report.id, "kind": report.kind, "outcome": report.outcome,
                **({"today": report.today} if report.today is not None else {}),
            },
        }

    def result(self, report: Report) -> None:
        parts = []
        for f in report.findings:
            if f.effect in REPORTED_EFFECTS:
                result = self._result(report, f)
                if f.waiver is not None and f.waiver.applied:
                    result["suppressions"] = [self._suppression(f)]
                elif f.waiver is not None:
                    result["properties"]["notWaivable"] = f.waiver.to_dict()
                parts.append(("," if self.count else "") + "\n        " + _dump(result, "        "))
                self.count += 1
        if parts:
            self.stream.write("".join(parts))

    def end(self, summary: Summary) -> None:
        driver: dict[str, Any] = {"name": "espolicy", "version": self.context.version or "0",
                                  "semanticVersion": self.context.version or "0.0.0"}
        home = information_uri()
        if home:
            driver["informationUri"] = home
        driver["rules"] = [descriptor(r) for r in self.rules]
        tool = {"driver": driver}
        close = "\n      ]" if self.count else "]"
        properties: dict[str, Any] = {"policy": self.policy_info, "summary": summary.to_dict()}
        invocations = ""
        waivers = self.context.waivers
        if waivers is not None:
            properties["waivers"] = hygiene = waivers_report(waivers, summary)
            invocations = ',\n      "invocations": ' + _dump([_invocation(waivers.file, hygiene)], "      ")
        self.stream.write(close + ',\n      "tool": ' + _dump(tool, "      ") + invocations
                          + ',\n      "columnKind": "unicodeCodePoints"'
                          + ',\n      "properties": ' + _dump(properties, "      ")
                          + "\n    }\n  ]\n}\n")
        self.stream.flush()


def _place(file: str, line: int, name: str) -> dict[str, Any]:
    """A SARIF location: a line of a file (the waivers file)."""
    return {"physicalLocation": {"artifactLocation": {"uri": uri(file)}, "region": {"startLine": line}},
            "message": {"text": name}}


def _invocation(file: str, hygiene: dict[str, Any]) -> dict[str, Any]:
    """The run's invocation, with a warning for each waiver that expired or matched nothing."""
    notes = []
    for key, code, text in (("expired", "waiver-expired", "expired on {expires}: it no longer applies"),
                            ("unused", "waiver-unused", "matched no finding: it is unused")):
        for w in hygiene[key]:
            notes.append({"level": "warning", "descriptor": {"id": code},
                          "message": {"text": f"the waiver at {file}:{w['line']} (`{w['rule']}`) " + text.format(**w)},
                          "locations": [_place(file, w["line"], f"waiver for {w['rule']}")]})
    return {"executionSuccessful": True, "toolExecutionNotifications": notes}
