"""The one evaluation order of a document kind, followed by both the compiled evaluator (`compile.py`)
and the tracing evaluator (`trace.py`), so the two cannot drift apart.

The order: every fact and let of the kind in dependency order (absent when its `when` is false);
then the rules of the kind in policy order, except that warn and info rules reading `outcome` come
last, after the outcome of all the others is decided once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from espolicy.effects import OUTCOME_READERS
from espolicy.lang import ast
from espolicy.lang.typecheck import OUTCOME_NAME, CheckedPolicy, CheckedValue

@dataclass(frozen=True)
class ComputeValue:
    """Compute a fact or let (`value.decl.when` first, when it has one)."""

    value: CheckedValue


@dataclass(frozen=True)
class DecideOutcome:
    """Decide the outcome from the rules judged so far (before the first rule that reads it)."""


@dataclass(frozen=True)
class JudgeRule:
    """Judge a rule (once, or once per entry of its `each` list); `index` is its place in `KindPlan.rules`."""

    index: int
    rule: ast.Rule


Step = Union[ComputeValue, DecideOutcome, JudgeRule]


@dataclass(frozen=True)
class KindPlan:
    """The steps that judge one document kind, and its rules in the order they are judged."""

    kind: str
    steps: tuple[Step, ...]
    rules: tuple[ast.Rule, ...]
    values: tuple[CheckedValue, ...]

    @property
    def decides_outcome(self) -> bool:
        return any(isinstance(s, DecideOutcome) for s in self.steps)


def reads_outcome(rule: ast.Rule) -> bool:
    """A rule whose condition reads `outcome` (only warn and info rules may)."""
    return OUTCOME_NAME in ast.free_names(rule.condition)


def plan_kind(checked: CheckedPolicy, kind: str) -> KindPlan:
    """The evaluation order of documents of `kind`."""
    values = tuple(checked.values.get(kind, ()))
    applying = [r for r in checked.rules if kind in r.kinds]
    late = [r for r in applying if r.effect in OUTCOME_READERS and reads_outcome(r)]
    ordered = [r for r in applying if not any(r is x for x in late)] + late
    steps: list[Step] = [ComputeValue(v) for v in values]
    for i, rule in enumerate(ordered):
        if late and rule is late[0]:
            steps.append(DecideOutcome())
        steps.append(JudgeRule(i, rule))
    return KindPlan(kind, tuple(steps), tuple(ordered), values)
