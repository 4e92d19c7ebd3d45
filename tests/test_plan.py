"""One evaluation order for both evaluators: values first, outcome-reading rules last."""
from __future__ import annotations

from espolicy.lang.plan import ComputeValue, DecideOutcome, JudgeRule, plan_kind


def _rule(rid: str, effect: str, cond: str) -> str:
    return (f"rule {rid} {{\n  for registration\n  {effect} when {cond}\n  faq Q1\n  at pack.term_years\n"
            f'  message en "m"\n  message ja "m"\n}}\n')


def test_outcome_readers_come_last_after_the_outcome_is_decided(make_policy):
    policy = make_policy(
        "fact years for registration = pack.term_years\n",
        _rule("a-late", "info", 'outcome == "deny"'),
        _rule("b-deny", "deny", "years > 5"),
        _rule("c-warn", "warn", "years > 4"))
    plan = plan_kind(policy.checked, "registration")
    assert [r.id for r in plan.rules] == ["b-deny", "c-warn", "a-late"]
    kinds = [type(s) for s in plan.steps]
    assert kinds == [ComputeValue, JudgeRule, JudgeRule, DecideOutcome, JudgeRule]
    assert [s.index for s in plan.steps if isinstance(s, JudgeRule)] == [0, 1, 2]
    assert plan.decides_outcome
    assert [r.rule.id for r in policy.programs["registration"].rules] == [r.id for r in plan.rules]


def test_without_outcome_readers_there_is_no_outcome_step(make_policy):
    policy = make_policy(_rule("b-deny", "deny", "pack.term_years > 5"))
    plan = plan_kind(policy.checked, "registration")
    assert not plan.decides_outcome and [r.id for r in plan.rules] == ["b-deny"]
    assert plan_kind(policy.checked, "service_request").rules == ()
