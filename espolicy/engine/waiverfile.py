"""Reading a waivers file: YAML checked field by field, every mistake reported at its line and
column with what to write (`WaiverError`), and the lint of `espolicy check --waivers`."""
from __future__ import annotations

import datetime as _dt
import fnmatch
import hashlib
import os
import re
from collections.abc import Iterable, Mapping

import yaml

from espolicy.engine.waivers import Waiver, WaiverError, Waivers, is_glob, japan_today
from espolicy.errors import Diagnostic, Span, diagnostic
from espolicy.fuzzy import did_you_mean

__all__ = ["load_waivers", "parse_waivers", "lint_waivers", "MAX_BYTES"]

MAX_BYTES = 16 * 1024 * 1024               # a waivers file is configuration, not data
_FIELDS = ("rule", "documents", "sources", "reason", "owner", "expires", "ticket")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when present: a long file loads at once


def load_waivers(path: str | os.PathLike[str], rule_ids: Iterable[str], today: _dt.date | None = None) -> Waivers:
    """Read and check a waivers file against the policy's rule ids; WaiverError lists every
    mistake at its line and column. `today` (default: today in Japan) decides what has expired."""
    name = os.fspath(path)
    with open(name, "rb") as f:
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise WaiverError([diagnostic("waiver-file", f"the waivers file is larger than {MAX_BYTES // 2**20} MiB",
                                      Span(name, 1, 1, 1, 2), None,
                                      "keep waivers to the exceptions a person approved, one entry each")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise WaiverError([diagnostic("waiver-file", f"the waivers file is not UTF-8 text ({e.reason})",
                                      Span(name, 1, 1, 1, 2), None, "save the file as UTF-8")]) from None
    return parse_waivers(text, name, rule_ids, today, digest="sha256:" + hashlib.sha256(data).hexdigest())


def parse_waivers(text: str, file: str, rule_ids: Iterable[str], today: _dt.date | None = None,
                  digest: str | None = None) -> Waivers:
    """Check waivers given as YAML text (`file` names it in messages); see `load_waivers`."""
    ids = frozenset(rule_ids)
    reader = _Reader(text, file, ids)
    entries = reader.read()
    if reader.errors:
        raise WaiverError(sorted(reader.errors, key=lambda d: (d.span.line, d.span.column) if d.span else (0, 0)))
    return Waivers(file, digest or "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest(), tuple(entries),
                   today or japan_today(), ids)


class _Reader:
    """Checks the YAML node tree of a waivers file, collecting every mistake with its place."""

    def __init__(self, text: str, file: str, rule_ids: frozenset[str]) -> None:
        self.text = text
        self.lines = _Lines(text)
        self.file = file
        self.rule_ids = rule_ids
        self.errors: list[Diagnostic] = []

    def error(self, node: yaml.Node | yaml.Mark | None, message: str, hint: str, code: str = "waiver-schema") -> None:
        mark = node.start_mark if isinstance(node, yaml.Node) else node
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        end = getattr(node, "end_mark", None)
        end_column = end.column + 1 if end is not None and end.line + 1 == line else column + 1
        span = Span(self.file, line, column, line, max(end_column, column + 1))
        self.errors.append(self.lines.diagnostic(code, message, span, hint))

    def read(self) -> list[Waiver]:
        try:
            root = yaml.compose(self.text, Loader=_LOADER)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            problem = getattr(e, "problem", None) or str(e)
            self.error(mark, f"the waivers file is not valid YAML: {problem}",
                       "correct the YAML at this line and column", "waiver-syntax")
            return []
        example = "waivers:\n    - rule: RULE-ID\n      documents: [DOCUMENT-ID]\n      reason: …\n      owner: …\n      expires: YYYY-MM-DD"
        if root is None:
            self.error(None, "the waivers file is empty", f"write the waivers as\n  {example}")
            return []
        top = self.mapping(root, "the waivers file")
        if top is None:
            return []
        for key, (knode, _) in top.items():
            if key != "waivers":
                hint = did_you_mean(key, ["waivers"])
                self.error(knode, f"unknown key `{key}` at the top of the waivers file",
                           hint or "the file has one key, `waivers`, holding a list of entries")
        if "waivers" not in top:
            self.error(root, "the waivers file has no `waivers` list", f"write the waivers as\n  {example}")
            return []
        listing = top["waivers"][1]
        if isinstance(listing, yaml.ScalarNode) and listing.tag.endswith(":null"):
            return []   # `waivers:` with nothing under it: no waivers
        if not isinstance(listing, yaml.SequenceNode):
            self.error(listing, "`waivers` must be a list of entries", "write each entry as `- rule: …` under `waivers:`")
            return []
        entries: list[Waiver] = []
        for node in listing.value:
            entry = self.entry(len(entries), node)
            if entry is not None:
                entries.append(entry)
        return entries

    def mapping(self, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping (key: value)", "write `key: value` lines")
            return None
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for knode, vnode in node.value:
            key = knode.value if isinstance(knode, yaml.ScalarNode) else str(knode.tag)
            if key in out:
                self.error(knode, f"`{key}` appears twice in {what}", "keep one of them")
            out[key] = (knode, vnode)
        return out

    def scalar(self, fields: Mapping[str, tuple[yaml.Node, yaml.Node]], name: str, required: bool = True) -> tuple[str, yaml.Node] | None:
        if name not in fields:
            return None
        node = fields[name][1]
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"`{name}` must be a single value", f"write `{name}: …` on one line")
            return None
        if node.tag.endswith(":null") or not node.value.strip():
            self.error(node, f"`{name}` is empty", f"write what `{name}` is; it cannot be left out")
            return None
        return node.value, node

    def strings(self, fields: Mapping[str, tuple[yaml.Node, yaml.Node]], name: str) -> tuple[str, ...]:
        node = fields[name][1]
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        out = []
        for item in items:
            if not isinstance(item, yaml.ScalarNode) or item.tag.endswith(":null") or not item.value.strip():
                self.error(item, f"`{name}` must hold ids or globs, one text each", f"write `{name}: [ID, …]`")
                continue
            out.append(item.value)
        if not items:
            self.error(node, f"`{name}` is an empty list", f"name at least one in `{name}`")
        return tuple(out)

    def entry(self, index: int, node: yaml.Node) -> Waiver | None:
        fields = self.mapping(node, "a waiver")
        if fields is None:
            return None
        ok = True
        for key, (knode, _) in fields.items():
            if key not in _FIELDS:
                hint = did_you_mean(key, _FIELDS)
                self.error(knode, f"unknown field `{key}` in a waiver",
                           hint or "a waiver has rule, documents or sources, reason, owner, expires and ticket")
                ok = False
        for name in ("rule", "reason", "owner", "expires"):
            if name not in fields:
                self.error(node, f"this waiver has no `{name}`", _REQUIRED_HINT[name])
                ok = False
        if ("documents" in fields) == ("sources" in fields):
            self.error(node, "a waiver names either `documents` or `sources`" if "documents" in fields
                       else "this waiver names no `documents` or `sources`",
                       "write `documents: [ID or glob, …]` (document ids) or `sources: [glob, …]` (file paths)")
            ok = False
        rule = self.scalar(fields, "rule")
        reason = self.scalar(fields, "reason")
        owner = self.scalar(fields, "owner")
        expires = self.date(fields)
        ticket = self.scalar(fields, "ticket") if "ticket" in fields else None
        documents = self.strings(fields, "documents") if "documents" in fields else ()
        sources = self.strings(fields, "sources") if "sources" in fields else ()
        if rule is not None:
            ok = self.rule(*rule) and ok
        if not ok or rule is None or reason is None or owner is None or expires is None or (
                "ticket" in fields and ticket is None) or not (documents or sources):
            return None
        return Waiver(index, node.start_mark.line + 1, node.start_mark.column + 1, rule[0], documents, sources,
                      reason[0], owner[0], expires, ticket[0] if ticket else None)

    def rule(self, rule: str, node: yaml.Node) -> bool:
        if is_glob(rule):
            if not fnmatch.filter(self.rule_ids, rule) and not rule.strip("*"):
                return True   # `*` on a policy without rules
            if not fnmatch.filter(self.rule_ids, rule):
                self.error(node, f"the rule glob `{rule}` matches no rule of the policy",
                           "write a rule id or a glob of the ids `espolicy doc` lists", "waiver-unknown-rule")
                return False
            return True
        if rule in self.rule_ids:
            return True
        if rule.startswith("schema-"):
            self.error(node, f"`{rule}` is a schema error of an invalid document, which is never waived",
                       "correct the document instead; only rule findings (deny, review, warn, info) are waivable",
                       "waiver-unknown-rule")
            return False
        hint = did_you_mean(rule, self.rule_ids)
        self.error(node, f"the policy has no rule `{rule}`",
                   hint or "write a rule id from the policy (`espolicy doc` lists them) or a glob of ids; "
                           "errors of invalid documents are never waived",
                   "waiver-unknown-rule")
        return False

    def date(self, fields: Mapping[str, tuple[yaml.Node, yaml.Node]]) -> _dt.date | None:
        found = self.scalar(fields, "expires")
        if found is None:
            return None
        value, node = found
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
                raise ValueError(value)
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            self.error(node, f"`expires` must be a date written YYYY-MM-DD, not `{value}`",
                       "write the first day the waiver no longer applies, e.g. `expires: 2027-03-31`")
            return None


_REQUIRED_HINT = {
    "rule": "write `rule: ID` (a rule id of the policy, or a glob such as `q10-*`)",
    "reason": "write `reason: …`: why the exception was approved",
    "owner": "write `owner: …`: who approved it and answers for it",
    "expires": "write `expires: YYYY-MM-DD`: the first day the waiver no longer applies",
}


# ---------------------------------------------------------------- lint

def lint_waivers(waivers: Waivers, text: str | None = None) -> list[Diagnostic]:
    """Warnings about a waivers file that loaded: entries that expired, and entries that repeat
    an earlier one's rule and targets (the later one never applies). `text`: the file, for excerpts."""
    out: list[Diagnostic] = []
    lines = _Lines(text)
    seen: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Waiver] = {}
    for w in waivers.entries:
        span = Span(waivers.file, w.line, w.column, w.line, w.column + 1)
        if waivers.today >= w.expires:
            out.append(lines.diagnostic("waiver-expired", f"the waiver {w.covers()} expired on "
                                        f"{w.expires.isoformat()}: it no longer applies", span,
                                        "renew it with a new `expires` date and a fresh approval, or remove it",
                                        "warning"))
        key = (w.rule, tuple(sorted(w.documents)), tuple(sorted(w.sources)))
        if key in seen:
            out.append(lines.diagnostic("waiver-duplicate", f"the waiver {w.covers()} repeats the one at line "
                                        f"{seen[key].line}: only the first applies", span, "remove one of them",
                                        "warning"))
        else:
            seen[key] = w
    return out


class _Lines:
    """The lines of a file, split once, for the excerpts of many diagnostics (a long line is cut)."""

    def __init__(self, text: str | None) -> None:
        self.lines = text.splitlines() if text is not None else []

    def diagnostic(self, code: str, message: str, span: Span, hint: str, severity: str = "error") -> Diagnostic:
        line = self.lines[span.line - 1] if 0 < span.line <= len(self.lines) else None
        if line is not None and len(line) > _EXCERPT:
            line = line[:_EXCERPT] + " …"
        return Diagnostic(severity, code, message, span, hint, line)


_EXCERPT = 400   # characters of a line shown under a diagnostic
