"""A loaded policy and the judging of one document: schema check → decode → compiled rules → report."""
from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from collections.abc import Iterator, Mapping
from typing import Any, Iterable

from espolicy import cache, messages
from espolicy.lang import ast
from espolicy.engine.datafiles import is_rule_file, load as load_data, module_data, with_data_files
from espolicy.jpcalendar import japan_today
from espolicy.lang.compile import EAGER, KindProgram, compile_policy
from espolicy.sources import bundled_dir, read_sources, source_digest
from espolicy.effects import DECISION_BY_BITS
from espolicy.pointers import pointer
from espolicy.report import Finding, Rendering, Report, fact_value, invalid_report, pending_report
from espolicy.documents.normalize import normalize
from espolicy.documents.schema import SchemaSet
from espolicy.lang.typecheck import CheckedPolicy
from espolicy.engine.waivers import Waivers, apply_waivers

class Policy:
    """A compiled policy. Immutable after loading, so `validate` is safe from many threads at once;
    picklable (it pickles its sources and compiles again)."""

    def __init__(self, sources: Iterable[tuple[str, str]], schemas: SchemaSet | None = None,
                 schema_dir: Path | None = None, default_name: str = "policy"):
        self._sources = with_data_files(sources)
        self._schema_dir = schema_dir
        self.schemas = schemas or SchemaSet.load(schema_dir or bundled_dir("schemas"), verify=False)
        self.checked: CheckedPolicy = self._checked()
        self.programs: dict[str, KindProgram] = compile_policy(self.checked)
        self.name = self.checked.name or default_name
        self.digest = "sha256:" + source_digest(self._sources)

    def _checked(self) -> CheckedPolicy:
        """Parse and type-check the sources, or take the result from the compiled-policy cache."""
        entry = cache.key(self._sources, self.schemas.schemas)
        cached = cache.load(entry, CheckedPolicy)
        if cached is not None:
            return cached
        from espolicy.lang.parser import parse_sources  # Lark is needed only when the cache misses
        from espolicy.lang.typecheck import check
        if not self.schemas.verify:
            self.schemas.verify_schemas()
        modules = parse_sources([(f, t) for f, t in self._sources if is_rule_file(f)])
        data = load_data(module_data(modules), self._sources, {m.file: m.source for m in modules})
        checked = check(modules, {k: self.schemas.shape(k) for k in self.schemas.kinds}, data)
        cache.store(entry, checked)
        return checked

    # ---- pickling ----
    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self._sources, self._schema_dir, self.name))

    @property
    def rules(self) -> tuple[ast.Rule, ...]:
        return self.checked.rules

    def info(self) -> dict[str, str]:
        return {"name": self.name, "digest": self.digest}

    def load_waivers(self, path: str | os.PathLike[str], today: _dt.date | None = None) -> Waivers:
        """A waivers file checked against this policy's rule ids, read against `today` (default:
        today in Japan); WaiverError (a PolicyError) names every mistake at its line and column."""
        from espolicy.engine.waiverfile import load_waivers   # YAML is read only when there is a file
        return load_waivers(path, (r.id for r in self.rules), today)

    def validate(self, doc: Any, source: str | None = None,
                 waivers: Waivers | str | os.PathLike[str] | None = None, today: _dt.date | None = None) -> Report:
        """Judge one document on the date `today` (default: the current date in Japan); never raises for a
        bad document: that is an `invalid` report. The report records the date it used. `waivers`
        (loaded with `load_waivers`, or a file's path) marks the findings it covers."""
        day = today if today is not None else japan_today()
        if waivers is not None:
            if not isinstance(waivers, Waivers):
                waivers = self.load_waivers(waivers, day)
            return apply_waivers(self.validate(doc, source, today=day), waivers)
        last = _last_iso
        iso = last[1] if last[0] == day else _iso(day)
        try:   # (the judging is inline: this runs once per document, and a call costs as much as the report)
            errors, typed = self.schemas.check_and_decode(doc)
            if typed is None:   # (the id and kind a report shows are strings, a YAML date id included)
                head = {k: normalize(doc.get(k)) for k in ("id", "kind")} if isinstance(doc, Mapping) else None
                return invalid_report(errors, head, source, iso)
            program = self.programs[typed["kind"]]
            try:
                values, fired, bits = program.run(typed, day)
            except (ValueError, OverflowError) as e:
                return invalid_report([messages.finding("date-out-of-range", _extreme_date(typed, str(e)), error=e)],
                                      doc, source, iso)
            report = pending_report(DECISION_BY_BITS[bits & 3], REPORT_PARTS,
                                    (program, typed, values, fired, day, source, iso))
            # What could fail is built now, so that an error makes the document invalid and never
            # surfaces on a later read: a rule's texts that call a function, a set fact to sort.
            if bits & EAGER:
                _ = report.findings
            if not program.facts_deferrable:
                _ = report.facts
            return report
        except RecursionError:
            return invalid_report([messages.finding("too-deep")], None, source, iso)
        except Exception as e:  # a bug or an impossible value must still give a report, never a crash
            return invalid_report([messages.finding("evaluation-error", error=f"{type(e).__name__}: {e}")], doc,
                                  source, iso)


def _extreme_date(typed: Any, error: str) -> str:
    """The pointer of the date or datetime out of range that `error` names: of the dates of `typed`
    in the first or the last decade of the calendar (whose arithmetic can leave it), the one
    written in `error`, else the first; `""` when there is none."""
    extreme = list(_extreme_dates(typed, ()))
    named = [path for path, value in extreme if value.isoformat()[:10] in error]
    return pointer((named or [path for path, _ in extreme] or [()])[0])


def _extreme_dates(typed: Any, path: tuple[object, ...]) -> Iterator[tuple[tuple[object, ...], _dt.date]]:
    if isinstance(typed, _dt.date):
        if typed.year < 10 or typed.year > 9989:
            yield path, typed
        return
    items = typed.items() if isinstance(typed, Mapping) else enumerate(typed) if isinstance(typed, list) else ()
    for key, value in items:
        yield from _extreme_dates(value, (*path, key))


# A judged document, from which its report's fields are built when first read: (program, decoded
# document, values, fired rules (rule index, `each` index, item), date, source, ISO date).
Judgement = tuple[KindProgram, dict[str, Any], tuple[Any, ...], list[tuple[int, Any, Any]], _dt.date, str | None, str]


class ReportParts:
    """How a judged document's report gets each field when it is first read (`report.Pending`)."""

    def findings(self, j: Judgement) -> list[Finding]:
        """One finding per fired rule, in the order they fired; texts rendered when first read where
        they cannot fail."""
        findings = []
        for rp, r, args, path in _fired(j):
            message: Mapping[str, str]
            advice: Mapping[str, str] | None
            if rp.deferrable:
                texts = Rendering(rp.render, *args)
                message, advice = texts.message, (texts.advice if r.advice else None)
            else:
                message, advice = rp.render(*args)
            findings.append(Finding(r.id, r.effect, list(r.faq), message, advice, path))
        return findings

    def as_dict(self, outcome: str, j: Judgement, facts: dict[str, Any] | None = None) -> dict[str, Any]:
        """The whole report as `Report.to_dict` writes it, its findings never built (`finding_dicts`);
        `facts`: the report's, when they were built already."""
        return {"source": j[5], "id": j[1].get("id"), "kind": j[0].kind, "outcome": outcome,
                "findings": self.finding_dicts(j), "facts": dict(facts) if facts is not None else self.facts(j),
                "today": j[6]}

    def finding_dicts(self, j: Judgement) -> list[dict[str, Any]]:
        """The findings as `Finding.to_dict` writes them, texts rendered, without building a Finding
        (only a report whose findings are all deferrable is pending, so rendering cannot fail)."""
        out = []
        for rp, r, args, path in _fired(j):
            message, advice = rp.render(*args)   # fresh dicts
            out.append({"rule": r.id, "effect": r.effect, "faq": list(r.faq), "message": message,
                        "advice": advice, "path": path})
        return out

    def effects(self, j: Judgement) -> list[str]:
        rules = j[0].rules
        return [rules[i].rule.effect for i, _, _ in j[3]]

    def fired(self, j: Judgement) -> list[tuple[str, str]]:
        rules = j[0].rules
        return [(rules[i].rule.id, rules[i].rule.effect) for i, _, _ in j[3]]

    def facts(self, j: Judgement) -> dict[str, Any]:
        """The exported values that are set, as the report writes them (ISO dates)."""
        values = j[2]
        return {n: fact_value(values[i]) for n, i in j[0].exported if values[i] is not None}

    def id(self, j: Judgement) -> str | None:
        return j[1].get("id")

    def kind(self, j: Judgement) -> str:
        return j[0].kind

    def source(self, j: Judgement) -> str | None:
        return j[5]

    def today(self, j: Judgement) -> str:
        return j[6]


REPORT_PARTS = ReportParts()


def _fired(j: Judgement) -> Iterator[tuple[Any, Any, tuple[Any, ...], str]]:
    """Each fired rule of a judgement, in order: its program, its rule, what its `render` takes,
    and the path of its finding."""
    program, typed, values, fired, today = j[:5]
    rules = program.rules
    for index, each_index, item in fired:
        rp = rules[index]
        yield rp, rp.rule, (typed, values, item, each_index, today), rp.pointer(each_index)


_last_iso: tuple[_dt.date, str] = (_dt.date.min, _dt.date.min.isoformat())


def _iso(day: _dt.date) -> str:
    """`day` in ISO 8601, remembered for the next document (a run judges many on one date)."""
    global _last_iso
    if _last_iso[0] != day:
        _last_iso = (day, day.isoformat())
    return _last_iso[1]


def _rebuild(sources: tuple[tuple[str, str], ...], schema_dir: Path | None, name: str) -> Policy:
    return Policy(sources, schema_dir=schema_dir, default_name=name)


def load_policy(path: str | Path | None = None, schemas: str | Path | None = None) -> Policy:
    """Parse, check and compile the rule files of a folder (default: the bundled policy)."""
    directory = Path(path) if path is not None else bundled_dir("policy")
    schema_dir = Path(schemas) if schemas is not None else None
    return Policy(read_sources(directory), schema_dir=schema_dir, default_name=directory.resolve().name)
