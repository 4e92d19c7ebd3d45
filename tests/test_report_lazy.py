"""A report's findings and facts are built on first read (`report.pending_report`): whatever is read
first, and however the report travels (pickled, copied, evolved, read from two threads at once), it
is the report built with them at once."""
from __future__ import annotations

import copy
import datetime as dt
import json
import pickle
import sys
import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from espolicy.documents.positions import evolve
from espolicy.engine.policy import Policy
from espolicy.report import Report
from strategies import valid_change_requests, valid_registrations, valid_service_requests
from documents import generated_documents, registration

TODAY = dt.date(2026, 5, 7)
DOCS = st.one_of(valid_registrations(), valid_change_requests(), valid_service_requests())
SETTINGS = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def eager(report: Report) -> Report:
    """The same judgement as a Report built with its findings and facts at once."""
    return Report(report.outcome, list(report.findings), dict(report.facts), report.id, report.kind,
                  report.source, today=report.today)


def texts(report: Report) -> list[Any]:
    return [(f.rule, dict(f.message), f.advice and dict(f.advice), f.path) for f in report.findings]


def is_pending(report: Report) -> bool:
    """True while the report holds its judgement and has not built its id (findings are built at
    once when a fired rule's texts could fail)."""
    return "id" not in vars(report) and "today" not in vars(report)


@SETTINGS
@given(DOCS, st.sampled_from(["pickle", "copy", "deepcopy", "evolve", "compare", "facts", "to_dict", "repr"]))
def test_a_report_read_in_any_order_is_the_report_built_at_once(policy: Policy, doc: dict[str, Any],
                                                                 first: str) -> None:
    reference = eager(policy.validate(doc, source="d.json", today=TODAY))
    report = policy.validate(doc, source="d.json", today=TODAY)
    assert report.outcome == reference.outcome and is_pending(report)
    if first == "pickle":   # nothing read before: the pickle carries the built findings, not the policy
        report = pickle.loads(pickle.dumps(report))
        assert not is_pending(report) and "_build" not in vars(report)
    elif first == "copy":
        report = copy.copy(report)
    elif first == "deepcopy":
        report = copy.deepcopy(report)
    elif first == "evolve":
        report = evolve(report, file="d.json")
        assert is_pending(report)
    elif first == "compare":
        assert report == reference and reference == report
    elif first == "facts":
        assert report.facts == reference.facts
    elif first == "to_dict":
        assert json.dumps(report.to_dict(), ensure_ascii=False) == json.dumps(reference.to_dict(), ensure_ascii=False)
    else:
        assert repr(report) == repr(reference)
    assert report == reference
    assert texts(report) == texts(reference)
    assert report.to_dict() == reference.to_dict()
    assert report.fails("deny") == reference.fails("deny") and report.fails("warn") == reference.fails("warn")
    again = pickle.loads(pickle.dumps(report))
    assert again == reference and texts(again) == texts(reference)


def test_a_report_never_read_pickles_with_its_findings(policy: Policy) -> None:
    """A pickled report that was never read gives its findings, texts and facts after loading, and
    the pickle holds no compiled code (it loads where the policy was never compiled)."""
    docs = generated_documents(90)
    reports = [policy.validate(d, today=TODAY) for d in docs]
    assert all(is_pending(r) for r in reports if r.outcome != "invalid")
    data = pickle.dumps(reports)
    assert b"espolicy.engine" not in data and b"KindProgram" not in data
    loaded = pickle.loads(data)
    for doc, back in zip(docs, loaded):
        reference = eager(policy.validate(doc, today=TODAY))
        assert back == reference and texts(back) == texts(reference) and back.facts == reference.facts


def test_two_threads_reading_first_get_the_same_findings_and_texts(policy: Policy) -> None:
    """The first read of a report from two threads at once gives both the same objects."""
    docs = generated_documents(60)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for doc in docs:
            report = policy.validate(doc, today=TODAY)
            barrier = threading.Barrier(4)
            seen: list[tuple[Any, Any, Any]] = []

            def read() -> None:
                barrier.wait()
                findings = report.findings
                first = findings[0].message if findings else None
                seen.append((findings, report.facts, dict(first) if first is not None else None))

            threads = [threading.Thread(target=read) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert len(seen) == 4
            assert all(s[0] is report.findings and s[1] is report.facts for s in seen)
            assert all(s[2] == seen[0][2] for s in seen)
    finally:
        sys.setswitchinterval(interval)


def test_a_text_that_can_fail_still_makes_the_document_invalid(make_policy: Any) -> None:
    """A message that calls a function is rendered while judging: its error is the document's
    `invalid` report at once, never an exception on a later read."""
    policy = make_policy(
        'rule far-away {\n  for registration\n  deny when pack.term_years > 0\n  faq Q1\n'
        '  message en "until {add_days(registration_date, pack.term_years * 1000000000)}"\n'
        '  message ja "{add_days(registration_date, 1)}"\n}\n')
    doc = registration()
    report = policy.validate(doc, today=TODAY)
    assert report.outcome == "invalid"
    assert [f.rule for f in report.findings] == ["evaluation-error"]


@pytest.mark.parametrize("items, built_at_once", [('pack.coverage, pack.generation, "z"', False),
                                                   ("requests.periodic_maintenance, true", True)])
def test_a_fact_that_is_a_set_is_sorted_when_read(make_policy: Any, items: str, built_at_once: bool) -> None:
    """Set facts are sorted for the report: when read, or, for items the engine does not vouch for
    (here true/false), while judging."""
    policy = make_policy(f'fact terms for registration = {{{items}}}\n'
                         'rule r-1 {\n  for registration\n  deny when pack.term_years > 0\n  faq Q1\n'
                         '  message en "{terms}"\n  message ja "{terms}"\n}\n')
    doc = registration()
    report = policy.validate(doc, today=TODAY)
    assert ("facts" in vars(report)) is built_at_once
    reference = eager(policy.validate(doc, today=TODAY))
    assert report == reference and report.facts["terms"] == sorted(report.facts["terms"])
    assert len(report.facts["terms"]) == (3 if not built_at_once else 2)


def test_fails_reads_the_fired_rules_without_building_findings(policy: Policy) -> None:
    """`--quiet` and `--summary-only` ask only whether a report fails: a pending report answers from
    its fired rules' effects, as the built report does from its findings."""
    levels = ("deny", "review", "warn")
    warn_only = 0
    for doc in generated_documents(150):
        reference = eager(policy.validate(doc, today=TODAY))
        report = policy.validate(doc, today=TODAY)
        pending = "findings" not in vars(report)
        assert [report.fails(level) for level in levels] == [reference.fails(level) for level in levels]
        assert ("findings" not in vars(report)) is pending
        warn_only += pending and report.fails("warn") and not report.fails("review")
    assert warn_only > 0   # the effects, not only the outcome, were read
