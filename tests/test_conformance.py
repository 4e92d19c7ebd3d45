"""The policy's own test cases (policy/tests/*.yaml, FAQ scenarios and boundaries included) as
one conformance corpus, run through both evaluators: each case passes on the compiled policy;
the report is about the document (its id and kind); every finding it gives has a message and
advice in English and Japanese with every placeholder filled in, a JSON Pointer and the FAQ
questions it cites; the report is strict JSON; and the tracing evaluator of `explain` reaches the
same outcome and fires the same rules in the same order."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import espolicy
from espolicy.documents.schema import normalize
from espolicy.engine.policytest import Case, find_test_files, load_cases, run_case
from espolicy.lang.trace import Evaluator, trace_document
from espolicy.sources import bundled_dir

CASES: list[Case] = [case for f in find_test_files(bundled_dir("policy")) for case in load_cases(Path(f))]


def test_the_corpus_covers_every_kind_and_outcome() -> None:
    kinds = {c.document.get("kind") for c in CASES}
    outcomes = {c.expect.get("outcome") for c in CASES}
    assert kinds == {"registration", "change_request", "service_request"}
    assert {"allow", "deny", "review"} <= outcomes
    assert len(CASES) >= 296   # the FAQ scenarios and boundaries included: none may go missing


@pytest.fixture(scope="module")
def evaluator() -> Evaluator:
    return Evaluator(espolicy.default_policy().checked)


@pytest.mark.parametrize("case", CASES, ids=[f"{Path(c.file).name}:{c.line}" for c in CASES])
def test_case_through_both_evaluators(case: Case, evaluator: Evaluator) -> None:
    policy = espolicy.default_policy()
    result = run_case(policy, case)
    assert result.passed, "\n".join(result.problems)
    report = result.report
    assert report is not None
    json.dumps(report.to_dict(), allow_nan=False, ensure_ascii=False)
    if report.outcome != "invalid":
        assert (report.id, report.kind) == (case.document.get("id"), case.document.get("kind"))
    for f in report.findings:
        assert f.path.startswith("/") or (f.effect == "error" and f.path == ""), (f.rule, f.path)
        assert all(isinstance(q, str) and re.fullmatch(r"Q\d+", q) for q in f.faq), (f.rule, f.faq)
        for part in ("message", "advice"):
            texts = getattr(f, part)
            assert texts is not None, (f.rule, part)
            for lang in ("en", "ja"):
                assert isinstance(texts.get(lang), str) and texts[lang].strip(), (f.rule, part, lang)
                if f.effect != "error":   # a placeholder left unfilled would show as `{name}`
                    assert "{" not in texts[lang] and "}" not in texts[lang], (f.rule, part, texts[lang])
    if report.outcome == "invalid":
        return
    traced = trace_document(policy.checked, policy.schemas.decode(normalize(case.document)), evaluator)
    assert traced.outcome == report.outcome
    assert [rule for rule, _ in traced.fired] == [f.rule for f in report.findings]


@pytest.mark.parametrize("case", CASES, ids=[f"{Path(c.file).name}:{c.line}" for c in CASES])
def test_a_report_written_before_its_findings_are_built_is_the_same(case: Case) -> None:
    """`to_dict` and `fired` of a report whose findings were never read (they are written straight
    from the judgement) against the same report with its findings built first."""
    policy = espolicy.default_policy()
    fresh = policy.validate(case.document, today=case.today)
    built = policy.validate(case.document, today=case.today)
    findings = built.findings
    assert fresh.fired() == [(f.rule, f.effect) for f in findings]
    assert fresh.to_dict() == built.to_dict()
    assert json.dumps(fresh.to_dict(), ensure_ascii=False) == json.dumps(built.to_dict(), ensure_ascii=False)
