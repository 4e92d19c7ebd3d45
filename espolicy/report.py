"""What a validation produces: findings, one report per document, and a batch summary.

Everything here is a frozen value with `to_dict()` giving the JSON shape of docs/contract.md §3.
"""
from __future__ import annotations

import datetime as _dt
import threading
from dataclasses import dataclass, field
from collections.abc import Callable, Iterable, Iterator, KeysView, Mapping
from typing import Any, Protocol

from espolicy import effects
from espolicy.effects import OUTCOMES



class IsoDate(str):
    """A date fact: the ISO string `YYYY-MM-DD` (a string in every comparison, so that equal facts
    hash alike); `value` is the `datetime.date` it names."""

    __slots__ = ()

    @property
    def value(self) -> _dt.date:
        return _dt.date.fromisoformat(self)


class IsoDateTime(str):
    """A datetime fact: `YYYY-MM-DDTHH:MM:SS+09:00` (a string in every comparison); `value` is the
    aware `datetime` it names."""

    __slots__ = ()

    @property
    def value(self) -> _dt.datetime:
        return _dt.datetime.fromisoformat(self)


def fact_value(value: Any) -> Any:
    """A computed value as it appears among a report's facts (JSON-ready)."""
    fast = _FACT.get(value.__class__)
    return fast(value) if fast is not None else _fact_other(value)


def _same(value: Any) -> Any:
    return value


def _fact_other(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return IsoDateTime(value.isoformat(timespec="seconds"))
    if isinstance(value, _dt.date):
        return IsoDate(value.isoformat())
    if isinstance(value, _dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, (set, frozenset)):
        return sorted(fact_value(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [fact_value(v) for v in value]
    if isinstance(value, dict):
        return {k: fact_value(v) for k, v in value.items()}
    return value


_FACT: dict[type, Any] = {
    str: _same, int: _same, bool: _same,
    _dt.date: lambda v: IsoDate(v.isoformat()),
    _dt.datetime: lambda v: IsoDateTime(v.isoformat(timespec="seconds")),
}


class Rendering:
    """A finding's message and advice, rendered by `render(*args)` when first read (most callers
    read only the outcome); `message` and `advice` are its two halves."""

    __slots__ = ("_render", "_args", "_done")

    def __init__(self, render: Callable[..., tuple[dict[str, str], dict[str, str] | None]], *args: Any) -> None:
        self._render, self._args = render, args
        self._done: tuple[dict[str, str], dict[str, str] | None] | None = None

    def result(self) -> tuple[dict[str, str], dict[str, str] | None]:
        done = self._done
        if done is None:
            with _FIRST_READ:   # two threads reading at once get the same texts, rendered once
                done = self._done
                if done is None:
                    done = self._done = self._render(*self._args)
                    self._args = ()
        return done

    @property
    def message(self) -> LazyTexts:
        return LazyTexts(self, 0)

    @property
    def advice(self) -> LazyTexts:
        return LazyTexts(self, 1)


_FIRST_READ = threading.Lock()


class LazyTexts(Mapping[str, str]):
    """Language → text, rendered on first read; a plain dict once copied, pickled or compared."""

    __slots__ = ("_rendering", "_part")

    def __init__(self, rendering: Rendering, part: int) -> None:
        self._rendering, self._part = rendering, part

    def _texts(self) -> dict[str, str]:
        return self._rendering.result()[self._part] or {}

    def __getitem__(self, lang: str) -> str:
        return self._texts()[lang]

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts())

    def keys(self) -> KeysView[str]:
        return self._texts().keys()   # what dict(texts) reads: the dict's own view, not Mapping's

    def __len__(self) -> int:
        return len(self._texts())

    def __repr__(self) -> str:
        return repr(self._texts())

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (self._texts(),))


def plain_texts(texts: Mapping[str, str]) -> dict[str, str]:
    """`texts` as a dict of its own (what `dict(texts)` gives, without the Mapping protocol's
    look-up per language for a LazyTexts)."""
    return dict(texts._texts() if texts.__class__ is LazyTexts else texts)


@dataclass(frozen=True)
class Waived:
    """The waiver that matched a finding: its reason, owner, expiry and place in the waivers file.
    `applied` is False for an `error` finding (an invalid document is never waived)."""

    reason: str
    owner: str
    expires: str
    file: str
    line: int
    ticket: str | None = None
    applied: bool = True

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"reason": self.reason, "owner": self.owner, "expires": self.expires,
                             "file": self.file, "line": self.line}
        if self.ticket is not None:
            d["ticket"] = self.ticket
        if not self.applied:
            d["note"] = NOT_WAIVABLE
        return d

    def note(self, lang: str = "en") -> str:
        """One line for people: `waived: REASON (owner …, expires …, ticket …, FILE:LINE)`, or,
        for an invalid document, that the waiver does not apply."""
        where = f"{self.file}:{self.line}"
        if lang == "ja":
            if not self.applied:
                return f"免除されません: 無効な文書（error）は免除できません。文書を修正してください（{where} の免除に該当）"
            ticket = f"、チケット {self.ticket}" if self.ticket else ""
            return f"免除: {self.reason}（承認者 {self.owner}、{self.expires} に失効{ticket}、{where}）"
        if not self.applied:
            return f"not waived: {NOT_WAIVABLE} (waiver at {where})"
        ticket = f", ticket {self.ticket}" if self.ticket else ""
        return f"waived: {self.reason} (owner {self.owner}, expires {self.expires}{ticket}, {where})"


NOT_WAIVABLE = "an invalid document (effect `error`) is never waived: correct the document"


@dataclass(frozen=True)
class Finding:
    """One rule that fired (or one schema error) on one document."""

    rule: str
    effect: str
    faq: list[str]
    message: Mapping[str, str]   # a LazyTexts when rendered on first read
    advice: Mapping[str, str] | None
    path: str
    line: int | None = None
    column: int | None = None
    waiver: Waived | None = None   # the waiver that matched it, if any (see `waived`)

    @property
    def waived(self) -> bool:
        """True when a waiver applies: the finding is reported but changes no outcome."""
        return self.waiver is not None and self.waiver.applied

    def text(self, part: str, lang: str) -> str:
        """The message or advice in `lang`, falling back to English."""
        value = getattr(self, part) or {}
        return value.get(lang) or value.get("en", "")

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "rule": self.rule,
            "effect": self.effect,
            "faq": list(self.faq),
            "message": plain_texts(self.message),
            "advice": plain_texts(self.advice) if self.advice is not None else None,
            "path": self.path,
        }
        if self.line is not None:
            d["line"] = self.line
            d["column"] = self.column
        if self.waiver is not None:   # `waived`, or `not_waivable` for an invalid document's error
            d["waived" if self.waiver.applied else "not_waivable"] = self.waiver.to_dict()
        return d


def outcome_of(findings: Iterable[Finding]) -> str:
    """invalid > deny > review > allow; warn and info never change the outcome."""
    return effects.outcome_of(f.effect for f in findings)


@dataclass(frozen=True)
class Report:
    """The judgement of one document."""

    outcome: str
    findings: list[Finding]
    facts: dict[str, Any]
    id: str | None = None
    kind: str | None = None
    source: str | None = None
    # the file the document was read from (`-` for stdin), set by the command line for the
    # formats that point into files (text, SARIF, JUnit, GitHub); not part of the JSON report
    file: str | None = field(default=None, compare=False)
    # the evaluation date (`today` in the rules), ISO 8601, so that a decision can be reproduced
    today: str | None = None
    # the index in the waivers file of the waiver of each waived finding, and of each waiver that
    # matched an `error` finding (not applied): what the summary counts, kept when findings are cut
    waived: tuple[int, ...] = field(default=(), compare=False)
    refused: tuple[int, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON writes it (a pending report's findings written without being built)."""
        state = self.__dict__
        if "findings" not in state and "_build" in state:
            return state["_build"].as_dict(self.outcome, state["_args"], state.get("facts"))
        findings = [f.to_dict() for f in self.findings]
        d = {
            "source": self.source,
            "id": self.id,
            "kind": self.kind,
            "outcome": self.outcome,
            "findings": findings,
            "facts": {k: self.facts[k] for k in self.facts},
        }
        if self.today is not None:
            d["today"] = self.today
        return d

    def fired(self) -> list[tuple[str, str]]:
        """(rule, effect) of each finding, in order, without building a pending report's findings."""
        state = self.__dict__
        if "findings" not in state and "_build" in state:
            return state["_build"].fired(state["_args"])
        return [(f.rule, f.effect) for f in self.findings]

    def __getstate__(self) -> dict[str, Any]:
        """The fields, with findings and facts built if they were still pending (pickles and copies
        never carry the compiled policy's state)."""
        state = self.__dict__
        if "_build" in state:
            state = {**state, **{name: getattr(self, name) for name in PENDING_FIELDS}}
            del state["_build"], state["_args"]
        return state

    def fails(self, fail_on: str) -> bool:
        """True when this report is at or above the `--fail-on` level."""
        state = self.__dict__
        if "findings" not in state and "_build" in state:   # (a pending report has no waived finding)
            return effects.outcome_fails(self.outcome, state["_build"].effects(state["_args"]), fail_on)
        return effects.outcome_fails(self.outcome, (f.effect for f in self.findings if not f.waived), fail_on)


class _OnFirstRead:
    """A Report field built on first read by the report's `Pending` builder, then an ordinary
    attribute: concurrent first reads agree on one value (`dict.setdefault` is atomic)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, report: Report | None, owner: type | None = None) -> Any:
        if report is None:
            return self
        state = report.__dict__
        build = state.get("_build")
        if build is None:
            raise AttributeError(self.name)
        return state.setdefault(self.name, getattr(build, self.name)(state["_args"]))


# A Report built by `pending_report` has only its outcome in its `__dict__` until the other fields
# are read; one built by `Report(...)` has them all there, which hides these (they define no
# `__set__`; the dataclass's `__init__` keeps its own defaults).
PENDING_FIELDS = ("findings", "facts", "id", "kind", "source", "today")
for _name in PENDING_FIELDS:
    setattr(Report, _name, _OnFirstRead(_name))


class Pending(Protocol):
    """Builds each field of a pending report (`PENDING_FIELDS`) from the arguments the report was
    made with, and the effects of its findings without building them."""

    def findings(self, args: Any) -> list[Finding]: ...

    def facts(self, args: Any) -> dict[str, Any]: ...

    def id(self, args: Any) -> str | None: ...

    def kind(self, args: Any) -> str | None: ...

    def source(self, args: Any) -> str | None: ...

    def today(self, args: Any) -> str | None: ...

    def effects(self, args: Any) -> list[str]: ...

    def fired(self, args: Any) -> list[tuple[str, str]]: ...

    def as_dict(self, outcome: str, args: Any, facts: dict[str, Any] | None) -> dict[str, Any]: ...


def pending_report(outcome: str, build: Pending, args: Any) -> Report:
    """A Report whose fields other than the outcome are built on first read, by `build` from `args`
    (a caller reading only the outcome never pays for them); equal to, and pickled as, the Report
    built with them at once."""
    report = _new(Report)
    state = report.__dict__   # (filled key by key: cheaper than a dict literal set as `__dict__`)
    state["outcome"] = outcome
    state["_build"] = build
    state["_args"] = args
    return report


_new = object.__new__


@dataclass
class Summary:
    """Counts of a batch, filled as results stream by. With `waivers` (a waivers file is in use)
    it also counts waived findings and notes which waivers matched something."""

    documents: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {o: 0 for o in OUTCOMES})
    waivers: bool = False
    waived: int = 0
    used: set[int] = field(default_factory=set)

    def add(self, report: Any) -> None:
        """Count a Report (or what the batch keeps of one: it has `outcome`, `waived`, `refused`)."""
        self.documents += 1
        self.counts[report.outcome] += 1
        if report.waived or report.refused:
            self._count_waivers(report.waived, report.refused)

    def add_tally(self, tally: Any) -> None:
        """Count many documents at once (`counts` per outcome in the order of `OUTCOMES`, and the
        waived and refused findings of them all)."""
        for outcome, count in zip(OUTCOMES, tally.counts):
            self.counts[outcome] += count
            self.documents += count
        self._count_waivers(tally.waived, tally.refused)

    def _count_waivers(self, waived: tuple[int, ...], refused: tuple[int, ...]) -> None:
        """Findings waived (each by the waiver at its index) and refused: counted, their waivers used."""
        self.waived += len(waived)
        self.used.update(waived)
        self.used.update(refused)

    def to_dict(self) -> dict[str, int]:
        d = {"documents": self.documents, "allow": self.counts["allow"], "deny": self.counts["deny"],
             "review": self.counts["review"], "invalid": self.counts["invalid"]}
        if self.waivers:
            d["waived"] = self.waived
        return d


def invalid_report(findings: list[Finding], doc: Any = None, source: str | None = None,
                   today: str | None = None) -> Report:
    """An `invalid` report: the document could not be read or failed its schema (`today`: the
    evaluation date it records, when it was judged)."""
    ident = kind = None
    if isinstance(doc, Mapping):
        ident = doc.get("id") if isinstance(doc.get("id"), str) else None
        kind = doc.get("kind") if isinstance(doc.get("kind"), str) else None
    return Report("invalid", findings, {}, ident, kind, source, today=today)


def error_finding(rule: str, en: str, ja: str, path: str = "", line: int | None = None,
                  column: int | None = None, advice: Mapping[str, str] | None = None) -> Finding:
    """A finding with effect `error` (unreadable document or schema violation); its advice, unless
    given, says to correct the document, so that every finding has `advice` in both languages."""
    return Finding(rule, "error", [], {"en": en, "ja": ja}, dict(advice) if advice else dict(_FIX_THE_DOCUMENT),
                   path, line, column)


_FIX_THE_DOCUMENT = {"en": "Correct the document as the message says and send it again; no rule was applied to it.",
                     "ja": "メッセージに従って文書を修正し、再度お送りください。この文書にはルールを適用していません。"}
