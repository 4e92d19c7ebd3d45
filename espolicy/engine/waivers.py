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
grouped by their literal prefix (a document id is tried only against the globs it starts like,
joined into one regular expression), so a finding costs a few look-ups however long the file is.
"""
from __future__ import annotations

import datetime as _dt
import fnmatch
import functools
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
_MEMO = 4096   # file paths remembered per rule


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
    return _normal_file(path)


@functools.lru_cache(maxsize=1024)
def _normal_file(path: str) -> str:
    """`path` normalised (the documents of one file share it: computed once)."""
    return os.path.normpath(path).replace(os.sep, "/") if path not in ("", "-") else path


class _Globs:
    """Globs indexed by their literal prefix (the text before the first `*`, `?` or `[`): a text
    is tried only against the globs whose prefix it starts with, joined into one expression per
    prefix whose named group tells which waiver matched."""

    def __init__(self, globs: Iterable[tuple[int, str, str]]) -> None:
        """`globs`: (waiver index, literal prefix, regular expression of the whole glob)."""
        buckets: dict[str, list[tuple[int, str]]] = {}
        for index, prefix, regex in globs:
            buckets.setdefault(prefix, []).append((index, regex))
        self.buckets = {prefix: _joined(group) for prefix, group in buckets.items()}
        self.lengths = sorted({len(prefix) for prefix in buckets})

    def first(self, text: str) -> int | None:
        """The index of the first waiver (in file order) whose glob matches `text`, or None."""
        best = None
        for n in self.lengths:
            if n > len(text):
                break
            joined = self.buckets.get(text[:n])
            if joined is not None:
                best = _earlier(best, _group(joined.match(text)))
        return best


def _prefix(pattern: str) -> str:
    found = _GLOB.search(pattern)
    return pattern[:found.start()] if found else pattern


class _Table:
    """The waivers of one rule, found by document id or file path: exact ids, file names and
    paths in dictionaries, globs by their literal prefix (`_Globs`). A `sources` value without
    `/` matches the file name, one with `/` the whole path (a leading `**/` may match nothing),
    as `--include` does."""

    def __init__(self, waivers: Iterable[Waiver]) -> None:
        self.ids: dict[str, int] = {}
        self.names: dict[str, int] = {}
        self.paths: dict[str, int] = {}
        id_globs: list[tuple[int, str, str]] = []
        name_globs: list[tuple[int, str, str]] = []
        path_globs: list[tuple[int, str, str]] = []
        for w in waivers:
            for d in w.documents:
                if is_glob(d):
                    id_globs.append((w.index, _prefix(d), fnmatch.translate(d)))
                else:
                    self.ids.setdefault(d, w.index)
            for s in w.sources:
                s = normal_path(s).strip("/") if s.strip() else s
                if "/" not in s:
                    if is_glob(s):
                        name_globs.append((w.index, _prefix(s), fnmatch.translate(s)))
                    else:
                        self.names.setdefault(s, w.index)
                elif s.startswith("**/"):    # any folder, or none
                    path_globs.append((w.index, "", "(?:.*/)?" + fnmatch.translate(s[3:]) if s[3:] else ".*"))
                elif is_glob(s):
                    path_globs.append((w.index, _prefix(s), fnmatch.translate(s)))
                else:
                    self.paths.setdefault(s, w.index)
        self.id_globs = _Globs(id_globs) if id_globs else None
        self.name_globs = _Globs(name_globs) if name_globs else None
        self.path_globs = _Globs(path_globs) if path_globs else None
        self.by_path = bool(self.names or self.paths or name_globs or path_globs)
        self.memo: dict[str, int | None] = {}   # path -> first waiver: the documents of a file share it

    def first(self, doc_id: str | None, path: str | None) -> int | None:
        """The index of the first waiver (in file order) that covers this document, or None
        (`path`: the document's file as `normal_path` gives it)."""
        best = None
        if doc_id is not None:
            best = self.ids.get(doc_id)
            if self.id_globs is not None:
                best = _earlier(best, self.id_globs.first(doc_id))
        if path and self.by_path:
            hit = self.memo.get(path, -1)
            if hit == -1:
                if len(self.memo) >= _MEMO:
                    self.memo.clear()
                hit = self.memo[path] = self._by_path(path)
            best = _earlier(best, hit)
        return best

    def _by_path(self, path: str) -> int | None:
        path = path.lstrip("/")
        name = path.rpartition("/")[2]
        best = _earlier(self.paths.get(path), self.names.get(name))
        if self.name_globs is not None:
            best = _earlier(best, self.name_globs.first(name))
        if self.path_globs is not None:
            best = _earlier(best, self.path_globs.first(path))
        return best


def _earlier(a: int | None, b: int | None) -> int | None:
    """The smaller of two waiver indices, either of which may be None."""
    return b if a is None or (b is not None and b < a) else a


def _group(m: re.Match[str] | None) -> int | None:
    """The waiver index a joined expression's match names (its group `wINDEX`)."""
    return int(m.lastgroup[1:]) if m is not None and m.lastgroup is not None else None


def _joined(globs: list[tuple[int, str]]) -> re.Pattern[str]:
    """One expression of alternatives in file order, one named group per waiver: the group that
    matches is the first waiver."""
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
    active: tuple[Waiver, ...] = field(init=False, repr=False, compare=False)    # today < expires
    expired: tuple[Waiver, ...] = field(init=False, repr=False, compare=False)   # on or after expires
    _tables: dict[str, _Table] = field(init=False, repr=False, compare=False)
    # an `error` finding's rule id -> the rule-glob waivers that name it (filled as ids occur)
    _errors: dict[str, _Table | None] = field(init=False, repr=False, compare=False)
    _waived: dict[int, Waived] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "active", tuple(w for w in self.entries if self.today < w.expires))
        object.__setattr__(self, "expired", tuple(w for w in self.entries if self.today >= w.expires))
        by_rule: dict[str, list[Waiver]] = {}
        for w in self.active:
            names = fnmatch.filter(sorted(self.rule_ids), w.rule) if is_glob(w.rule) else [w.rule]
            for name in names:
                by_rule.setdefault(name, []).append(w)
        object.__setattr__(self, "_tables", {name: _Table(ws) for name, ws in by_rule.items()})
        object.__setattr__(self, "_errors", {})
        object.__setattr__(self, "_waived", {})

    def info(self) -> dict[str, str]:
        """What a report says of the file, beside the policy's name and digest."""
        return {"file": self.file, "digest": self.digest}

    def unused(self, used: Iterable[int]) -> tuple[Waiver, ...]:
        """The entries in force that matched no finding (`used`: indices of those that did)."""
        seen = set(used)
        return tuple(w for w in self.active if w.index not in seen)

    def table(self, rule: str, effect: str = "deny") -> _Table | None:
        """The waivers in force that can cover a finding of `rule`: for an `error` finding (an
        invalid document, never waived) those whose rule glob names it, found once per id."""
        if effect != "error":
            return self._tables.get(rule)
        if rule not in self._errors:   # exact ids never name errors: only rule globs can
            named = [w for w in self.active if is_glob(w.rule) and fnmatch.fnmatchcase(rule, w.rule)]
            self._errors[rule] = _Table(named) if named else None
        return self._errors[rule]

    def match(self, rule: str, doc_id: str | None, path: str | None, effect: str = "deny") -> Waiver | None:
        """The first waiver in force that covers a finding of `rule` (with `effect`) of this
        document, or None; `path` as `normal_path` gives it."""
        table = self.table(rule, effect)
        index = table.first(doc_id, path) if table is not None else None
        return self.entries[index] if index is not None else None

    def waived(self, index: int, applied: bool = True) -> Waived:
        """What a finding carries of the waiver at `index` that matched it (made once)."""
        key = index if applied else -1 - index
        found = self._waived.get(key)
        if found is None:
            w = self.entries[index]
            found = self._waived[key] = Waived(w.reason, w.owner, w.expires.isoformat(), self.file, w.line,
                                                w.ticket, applied)
        return found


def apply_waivers(report: Report, waivers: Waivers) -> Report:
    """`report` with the findings that a waiver in force covers marked waived and the outcome
    judged without them; an `error` finding keeps its effect and notes the waiver that matched
    it. The same report when no waiver matches."""
    findings: list[Finding] | None = None   # copied when the first finding is marked
    waived: tuple[int, ...] = ()
    refused: tuple[int, ...] = ()
    path: str | None = None
    for i, f in enumerate(report.findings):
        table = waivers.table(f.rule, f.effect)
        if table is None:
            continue
        if path is None and table.by_path:
            path = normal_path(report.file or report.source or "")
        index = table.first(report.id, path)
        if index is None:
            continue
        if findings is None:
            findings = list(report.findings)
        applied = f.effect != "error"
        findings[i] = evolve(f, waiver=waivers.waived(index, applied))
        if applied:
            waived += (index,)
        else:
            refused += (index,)
    if findings is None:
        return report
    outcome = report.outcome if report.outcome == "invalid" else outcome_of(f for f in findings if not f.waived)
    return evolve(report, outcome=outcome, findings=findings, waived=waived, refused=refused)
