"""How `espolicy test` reports: text for people, JSON for tools, JUnit XML for CI (the one JUnit
writer of `output/junit.py`). Rule coverage (fired and not fired) and condition coverage (every
decision true and false) come with `--coverage`."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TextIO

from espolicy.engine.conditions import RuleConditions
from espolicy.engine.conditions import percent as condition_percent
from espolicy.engine.policytest import Result, RuleCoverage, faq_scenarios, percent


@dataclass(frozen=True)
class Coverage:
    """What `--coverage` measured, and the percentage the run needs (`--min-coverage`)."""

    rules: list[RuleCoverage]
    conditions: list[RuleConditions]
    required: float
    references: tuple[str, ...] = ()  # the policy's declared references, for the scenario count

    @property
    def rule_percent(self) -> float:
        return percent(self.rules)

    @property
    def condition_percent(self) -> float:
        return condition_percent(self.conditions)

    @property
    def passed(self) -> bool:
        return self.rule_percent >= self.required and self.condition_percent >= self.required


def _mark(d: Any) -> str:
    if not d.missing:
        return ""
    return "never " + " or ".join("true" if v else "false" for v in d.missing)


def text(results: list[Result], cov: Coverage | None, out: TextIO) -> None:
    current = None
    for res in results:
        if res.case.file != current:
            current = res.case.file
            out.write(f"{current}\n")
        mark = "✓" if res.passed else "✗"
        out.write(f"  {mark} {res.case.name}" + ("" if res.passed else f"  ({res.case.file}:{res.case.line})") + "\n")
        for p in res.problems:
            out.write(f"      {p}\n")
    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    out.write(f"\n{len(results)} test{'' if len(results) == 1 else 's'}: {passed} passed"
              + (f", {failed} failed" if failed else "") + "\n")
    if cov is None:
        return
    rules = cov.rules
    width = max((len(c.rule) for c in rules), default=4)
    out.write(f"\ncoverage: {cov.rule_percent:.1f} % of {2 * len(rules)} (each rule fired, and not fired, at "
              f"least once); required {cov.required:g} %\n")
    out.write(f"  {'rule'.ljust(width)}  fired    not fired  conditions\n")
    by_rule = {c.rule: c for c in cov.conditions}
    for c in rules:
        f = f"✓ {len(c.fired)}" if c.fired else "✗ never"
        n = f"✓ {len(c.not_fired)}" if c.not_fired else "✗ never"
        rc = by_rule.get(c.rule)
        cond = f"{'✓' if rc.covered == rc.total else '✗'} {rc.covered}/{rc.total}" if rc else ""
        out.write(f"  {c.rule.ljust(width)}  {f.ljust(7)}  {n.ljust(9)}  {cond}\n")
    total = sum(r.total for r in cov.conditions)
    out.write(f"\ncondition coverage: {cov.condition_percent:.1f} % of {total} (the condition, every operand of "
              f"and/or, each, quantifier and if condition, true and false); required {cov.required:g} %\n")
    for rc in cov.conditions:
        gaps = [d for d in rc.decisions if d.missing]
        if not gaps:
            continue
        out.write(f"  {rc.rule}  ({rc.covered}/{rc.total})\n")
        for d in gaps:
            out.write(f"    {d.span.file}:{d.span.line}:{d.span.column}  {d.what}  `{d.text}`  {_mark(d)}\n")
    scen = faq_scenarios(results, cov.references)
    named = [q for q, tests in scen.items() if tests]
    missing = [q for q, tests in scen.items() if not tests]
    out.write(f"references with a scenario named after them: {len(named)}/{len(scen)}"
              + (f" (none for {', '.join(missing)})" if missing else "") + "\n")


def to_json(results: list[Result], cov: Coverage | None, out: TextIO) -> None:
    data: dict[str, Any] = {
        "tests": [{"name": r.case.name, "file": r.case.file, "line": r.case.line, "passed": r.passed,
                   "outcome": r.report.outcome if r.report else None,
                   "today": r.report.today if r.report else None,   # the date the rules read as `today`
                   "fired": [f.rule for f in r.report.findings] if r.report else [],
                   "problems": r.problems} for r in results],
        "summary": {"tests": len(results), "passed": sum(r.passed for r in results),
                    "failed": sum(not r.passed for r in results)},
    }
    if cov is not None:
        data["coverage"] = {
            "percent": round(cov.rule_percent, 2), "required": cov.required,
            "rules": [{"rule": c.rule, "fired": c.fired, "not_fired": c.not_fired} for c in cov.rules],
            "conditions": {
                "percent": round(cov.condition_percent, 2),
                "rules": [{"rule": rc.rule, "covered": rc.covered, "total": rc.total,
                           "decisions": [{"what": d.what, "text": d.text, "file": d.span.file, "line": d.span.line,
                                          "column": d.span.column, "seen": sorted(d.seen)}
                                         for d in rc.decisions]} for rc in cov.conditions]},
            "faq_scenarios": faq_scenarios(results, cov.references)}
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def junit(results: list[Result], cov: Coverage | None, out: TextIO) -> None:
    from espolicy.output.junit import JUnitWriter
    writer = JUnitWriter(out, "espolicy test")
    for r in results:
        problem = None if r.passed else ("failure", "test", r.problems[0], "\n".join(r.problems))
        writer.case(r.case.file, r.case.name, Path(r.case.file).stem, r.case.file, r.case.line, problem)
    if cov is not None:
        for label, pct, gaps in (
                ("rule coverage", cov.rule_percent, [c.rule for c in cov.rules if not (c.fired and c.not_fired)]),
                ("condition coverage", cov.condition_percent,
                 [f"{d.span.file}:{d.span.line}:{d.span.column} {rc.rule} `{d.text}` {_mark(d)}"
                  for rc in cov.conditions for d in rc.decisions if d.missing])):
            bad = pct < cov.required
            problem = ("failure", "coverage", f"{label} under the threshold", "\n".join(gaps)) if bad else None
            writer.case("coverage", f"{label} {pct:.1f} % (required {cov.required:g} %)", "coverage",
                        problem=problem)
    writer.close()


FORMATS: dict[str, Callable[[list[Result], Coverage | None, TextIO], None]] = {
    "text": text, "json": to_json, "junit": junit}
