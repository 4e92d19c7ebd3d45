"""Waivers: known exceptions to the rules, each with a reason, an owner and an expiry (the file is
read and checked by `espolicy.engine.waiverfile`).

A waivers file (YAML) lists entries under `waivers:`; each names a `rule` (an id or a glob of
ids), the documents it covers (`documents`: ids or globs on the document id, or `sources`: globs
on the file path), and a `reason`, an `owner` and the date it `expires` (all required), with an
optional `ticket`. A finding an active waiver matches stays in the report, marked waived, and
no longer counts towards the outcome; an `error` finding (an invalid document) is never waived.
On and after `expires` (a Japan date) a waiver no longer applies.

Matching is indexed: rule globs are expanded against the policy's rule ids when the file is
loaded, exact document ids and file paths are dictionary keys, and the globs of one rule are
joined into one regular expression, so a finding costs a few look-ups however long the file is.
"""
from __future__ import annotations

import datetime as _dt
import fnmatch
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from espolicy.documents.positions import evolve
from espolicy.errors import PolicyError
from espolicy.jpcalendar import japan_date
from espolicy.report import Finding, Report, Waived, outcome_of

__all__ = ["WAIVERS_FILE", "Waiver", "Waivers", "WaiverError", "japan_today", "apply_waivers", "is_glob"]

WAIVERS_FILE = ".espolicy-waivers.yaml"   # found in the current folder when `--waivers` is not given
_GLOB = re.compile(r"[*?\[]")


class WaiverError(PolicyError):
    """A waivers file that cannot be used: every mistake, the first as `file:line:column`."""


def japan_today() -> _dt.date:
    """Today's date in Japan, the date expiries are read against."""
    return japan_date(_dt.datetime.now(_dt.timezone.utc))


@dataclass(frozen=True)
class Waiver:
    """One entry of a waivers file (`index`: its place in the file, from 0)."""

    index: int
    line: int
    column: int
    rule: str
    documents: tuple[str, ...]
    sources: tuple[str, ...]
    reason: str
    owner: str
    expires: _dt.date
    ticket: str | None = None

    def covers(self) -> str:
        """What it covers, for messages: `mixed-generations` for `REG-1`, `REG-2`."""
        targets = self.documents or self.sources
        return f"`{self.rule}` for " + ", ".join(f"`{t}`" for t in targets)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"line": self.line, "rule": self.rule}
        d["documents" if self.documents else "sources"] = list(self.documents or self.sources)
        d.update({"reason": self.reason, "owner": self.owner, "expires": self.expires.isoformat()})
        if self.ticket is not None:
            d["ticket"] = self.ticket
        return d


def is_glob(pattern: str) -> bool:
    """True when `pattern` has glob characters (`*`, `?`, `[`)."""
    return _GLOB.search(pattern) is not None


def normal_path(path: str) -> str:
    """A file path as waivers match it: `/` separators, no `./`, no `:LINE` of a document's source."""
    head, sep, tail = path.rpartition(":")
    if sep and tail.isdigit() and head:
        path = head
    path = os.path.normpath(path).replace(os.sep, "/") if path not in ("", "-") else path
    return path


def _path_regex(pattern: str) -> str:
    """The regular expression of a `sources` glob over a whole path: a glob without `/` matches
    the file name, one with `/` the whole path (a leading `**/` may match nothing), as `--include`."""
    pattern = normal_path(pattern).strip("/") if pattern.strip() else pattern
    if "/" not in pattern:
        return "(?:.*/)?" + fnmatch.translate(pattern)
    if pattern.startswith("**/"):
        return "(?:.*/)?" + fnmatch.translate(pattern[3:]) if pattern[3:] else ".*"
    return fnmatch.translate(pattern)


class _Table:
    """The waivers of one rule, found by document id or file path: exact ids and file names in
    dictionaries, globs joined into one expression whose named group tells which waiver matched."""

    def __init__(self, waivers: Iterable[Waiver]) -> None:
        self.ids: dict[str, int] = {}
        self.names: dict[str, int] = {}      # file name (a `sources` value without `/`)
        self.paths: dict[str, int] = {}
        id_globs: list[tuple[int, str]] = []
        path_globs: list[tuple[int, str]] = []
        for w in waivers:
            for d in w.documents:
                if is_glob(d):
                    id_globs.append((w.index, fnmatch.translate(d)))
                else:
                    self.ids.setdefault(d, w.index)
            for s in w.sources:
                if is_glob(s):
                    path_globs.append((w.index, _path_regex(s)))
                elif "/" in normal_path(s).strip("/"):
                    self.paths.setdefault(normal_path(s).strip("/"), w.index)
                else:
                    self.names.setdefault(normal_path(s), w.index)
        self.id_globs = _joined(id_globs)
        self.path_globs = _joined(path_globs)

    def first(self, doc_id: str | None, path: str | None) -> int | None:
        """The index of the first waiver (in file order) that covers this document, or None."""
        found: list[int] = []
        if doc_id is not None:
            hit = self.ids.get(doc_id)
            if hit is not None:
                found.append(hit)
            if self.id_globs is not None:
                m = self.id_globs.match(doc_id)
                if m is not None and m.lastgroup is not None:
                    found.append(int(m.lastgroup[1:]))
        if path:
            path = path.lstrip("/")
            for hit in (self.paths.get(path), self.names.get(path.rpartition("/")[2])):
                if hit is not None:
                    found.append(hit)
            if self.path_globs is not None:
                m = self.path_globs.match(path)
                if m is not None and m.lastgroup is not None:
                    found.append(int(m.lastgroup[1:]))
        return min(found) if found else None


def _joined(globs: list[tuple[int, str]]) -> re.Pattern[str] | None:
    """One expression of alternatives in file order, one named group per waiver: the group that
    matches is the first waiver."""
    if not globs:
        return None
    by_waiver: dict[int, list[str]] = {}
    for index, regex in globs:
        by_waiver.setdefault(index, []).append(regex)
    alternatives = (f"(?P<w{index}>{'|'.join(by_waiver[index])})" for index in sorted(by_waiver))
    return re.compile("|".join(alternatives), re.DOTALL)


@dataclass(frozen=True)
class Waivers:
    """A loaded waivers file, read against `today`: the entries in force, indexed by rule, and
    the expired ones. Immutable and picklable (it travels to `-j` worker processes)."""

    file: str
    digest: str
    entries: tuple[Waiver, ...]
    today: _dt.date
    rule_ids: frozenset[str]
    _tables: dict[str, _Table] = field(init=False, repr=False, compare=False)
    _globbed: tuple[tuple[Waiver, _Table], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_rule: dict[str, list[Waiver]] = {}
        for w in self.active:
            names = fnmatch.filter(sorted(self.rule_ids), w.rule) if is_glob(w.rule) else [w.rule]
            for name in names:
                by_rule.setdefault(name, []).append(w)
        object.__setattr__(self, "_tables", {name: _Table(ws) for name, ws in by_rule.items()})
        object.__setattr__(self, "_globbed", tuple((w, _Table((w,))) for w in self.active if is_glob(w.rule)))

    @property
    def active(self) -> tuple[Waiver, ...]:
        """The entries that apply today (`today` is before `expires`)."""
        return tuple(w for w in self.entries if self.today < w.expires)

    @property
    def expired(self) -> tuple[Waiver, ...]:
        """The entries that no longer apply (on or after `expires`)."""
        return tuple(w for w in self.entries if self.today >= w.expires)

    def info(self) -> dict[str, str]:
        """What a report says of the file, beside the policy's name and digest."""
        return {"file": self.file, "digest": self.digest}

    def unused(self, used: Iterable[int]) -> tuple[Waiver, ...]:
        """The entries in force that matched no finding (`used`: indices of those that did)."""
        seen = set(used)
        return tuple(w for w in self.active if w.index not in seen)

    def match(self, rule: str, doc_id: str | None, path: str | None) -> Waiver | None:
        """The first waiver in force that covers finding `rule` of this document, or None."""
        table = self._tables.get(rule)
        if table is None:
            return None
        index = table.first(doc_id, path)
        return self.entries[index] if index is not None else None

    def match_error(self, rule: str, doc_id: str | None, path: str | None) -> Waiver | None:
        """The first waiver whose rule glob and documents cover an `error` finding (it does not
        apply: the report only says that it matched). Exact rule ids never name errors."""
        for w, table in self._globbed:
            if fnmatch.fnmatchcase(rule, w.rule) and table.first(doc_id, path) is not None:
                return w
        return None

    def waived(self, w: Waiver, applied: bool = True) -> Waived:
        """What a finding carries of the waiver that matched it."""
        return Waived(w.reason, w.owner, w.expires.isoformat(), self.file, w.line, w.ticket, applied)


def apply_waivers(report: Report, waivers: Waivers) -> Report:
    """`report` with the findings that a waiver in force covers marked waived and the outcome
    judged without them; an `error` finding keeps its effect and notes the waiver that matched
    it. The same report when no waiver matches."""
    if not report.findings:
        return report
    path = normal_path(report.file or report.source or "") or None
    findings: list[Finding] = []
    waived: list[int] = []
    refused: list[int] = []
    for f in report.findings:
        if f.effect == "error":
            w = waivers.match_error(f.rule, report.id, path) if waivers._globbed else None
            if w is not None:
                refused.append(w.index)
                f = _with_waiver(f, waivers.waived(w, applied=False))
        else:
            w = waivers.match(f.rule, report.id, path)
            if w is not None:
                waived.append(w.index)
                f = _with_waiver(f, waivers.waived(w))
        findings.append(f)
    if not waived and not refused:
        return report
    outcome = report.outcome if report.outcome == "invalid" else outcome_of(f for f in findings if not f.waived)
    return evolve(report, outcome=outcome, findings=findings, waived=tuple(waived), refused=tuple(refused))


def _with_waiver(f: Finding, waiver: Waived) -> Finding:
    return evolve(f, waiver=waiver)
