"""Effects and outcomes: the one definition of their names, their order and their precedence.

A rule's effect is `deny`, `review`, `warn` or `info`; a schema or reading problem is an `error`
finding. A document's outcome is `invalid` > `deny` > `review` > `allow`: `warn` and `info` never
change it. `--fail-on` names the lowest level that fails a run; `invalid` always fails.
"""
from __future__ import annotations

from typing import Iterable

RULE_EFFECTS = ("deny", "review", "warn", "info")
FINDING_EFFECTS = ("error", *RULE_EFFECTS)  # most severe first
OUTCOMES = ("allow", "deny", "review", "invalid")
DECISIONS = ("allow", "deny", "review")  # the outcomes a rule may read (`outcome`): never invalid
FAIL_LEVELS = ("deny", "review", "warn")  # --fail-on, strictest first
# Effects that may read `outcome`: the rules with them run after the deciding ones.
OUTCOME_READERS = ("warn", "info")
# The effects a pipeline is shown (SARIF results, annotations): info is only for people.
REPORTED_EFFECTS = ("error", "deny", "review", "warn")

_SEVERITY = {effect: rank for rank, effect in enumerate(FINDING_EFFECTS)}
# The effects at or above each --fail-on level (error: an invalid document always fails).
_FAILING = {level: {"error", *FAIL_LEVELS[: i + 1]} for i, level in enumerate(FAIL_LEVELS)}


def severity(effect: str) -> int:
    """Sort key of an effect, most severe (error) first; an unknown effect sorts last."""
    return _SEVERITY.get(effect, len(_SEVERITY))


def outcome_of(effects: Iterable[str]) -> str:
    """The outcome that findings with these effects give: invalid > deny > review > allow."""
    return _strongest(effects, _OUTCOME_RANK)


def decision_of(effects: Iterable[str]) -> str:
    """The outcome of rule effects alone (no schema errors): deny > review > allow."""
    return _strongest(effects, _DECISION_RANK)


# A rule's effect as bits (review 1, deny 2): OR them over the rules that fired, and the decision is
# DECISION_BY_BITS[bits & 3] (deny wins over review). Bits from 4 up are free for the engine's own use.
EFFECT_BITS = {"review": 1, "deny": 2}
DECISION_BY_BITS = ("allow", "review", "deny", "deny")


# Precedence as ranks into _BY_RANK (a loop over ranks: this runs once per document judged).
_BY_RANK = ("allow", "review", "deny", "invalid")
_OUTCOME_RANK = {"review": 1, "deny": 2, "error": 3}
_DECISION_RANK = {"review": 1, "deny": 2}


def _strongest(effects: Iterable[str], ranks: dict[str, int]) -> str:
    strongest = 0
    for effect in effects:
        rank = ranks.get(effect, 0)
        if rank > strongest:
            strongest = rank
    return _BY_RANK[strongest]


def fails(effect: str, fail_on: str) -> bool:
    """True when a finding with this effect alone is at or above the `--fail-on` level."""
    return effect in _FAILING[fail_on]


def outcome_fails(outcome: str, effects: Iterable[str], fail_on: str) -> bool:
    """True when a document with this outcome and these finding effects fails at `fail_on`."""
    if outcome == "invalid" or fails(outcome, fail_on):
        return True
    return any(fails(e, fail_on) for e in effects)
