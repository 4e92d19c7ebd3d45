"""The compiled policy against the independent oracle (`tests/oracle.py`) on generated documents.

At least 10,000 documents per run across the three kinds (3 × 3,400), most of them valid and
biased towards the boundaries where rules change their mind: the warranty and service last days
(± a few days), the registration day, 08:30 and 17:30 Japan time (± seconds, in several UTC
offsets, so that the Japan date differs from the written one), national holidays, Golden Week and
the New Year, weekends, 29 February, mixed histories; about one in six is mutated to break the
contract's shape (the oracle decides, from contract §1, whether it still holds).

Policy and oracle must agree on the outcome, the set of FAQ questions cited, the set of findings
as (effect, FAQ questions), and the facts of contract §3. A disagreement is a bug in one of them;
the ones found so far are kept in tests/test_regressions.py.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

import espolicy
from espolicy.engine.policy import Policy
from espolicy.sources import bundled_dir, read_sources

import oracle
from oracle import JST, last_day
from strategies import change_requests, mutated, registrations, service_requests

T = TypeVar("T")
# ESPOLICY_ORACLE_SCALE=10 compares ten times as many documents (a longer campaign by hand).
EXAMPLES = 3_400 * max(1, int(os.environ.get("ESPOLICY_ORACLE_SCALE", "1")))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

def engine_verdict(doc: dict[str, Any], policy: Any = None) -> oracle.Verdict:
    report = (policy or espolicy.default_policy()).validate(doc)
    facts = json.loads(json.dumps(report.facts, ensure_ascii=False))
    facts = {k: v for k, v in facts.items() if k in oracle.CONTRACT_FACTS[doc["kind"]]} if isinstance(
        doc.get("kind"), str) and doc["kind"] in oracle.CONTRACT_FACTS else facts
    findings = frozenset((f.effect, tuple(sorted(f.faq))) for f in report.findings)
    return oracle.Verdict(report.outcome, findings if report.outcome != "invalid" else frozenset(),
                          facts if report.outcome != "invalid" else {},
                          why="; ".join(f.message["en"] for f in report.findings if f.effect == "error"))


def agree(doc: dict[str, Any]) -> None:
    expected, got = oracle.judge(doc), engine_verdict(doc)
    context = json.dumps(doc, ensure_ascii=False)
    assert got.outcome == expected.outcome, f"outcome {got.outcome} != oracle {expected.outcome} " \
        f"(engine: {got.why!r}; oracle: {expected.why!r}) for {context}"
    assert got.faqs == expected.faqs, f"FAQ {sorted(got.faqs)} != oracle {sorted(expected.faqs)} for {context}"
    assert got.findings == expected.findings, f"findings {sorted(got.findings)} != oracle " \
        f"{sorted(expected.findings)} for {context}"
    assert got.facts == expected.facts, f"facts {got.facts} != oracle {expected.facts} for {context}"


def campaign(documents: st.SearchStrategy[dict[str, Any]]) -> int:
    """Compare EXAMPLES generated documents with the oracle; the number compared. Only the generate
    phase runs, so every counted document is a fresh example (a failure raises at once, with the
    document, instead of being shrunk)."""
    compared = 0

    @settings(SETTINGS, phases=[Phase.explicit, Phase.generate], database=None)
    @given(documents)
    def compare(doc: dict[str, Any]) -> None:
        nonlocal compared
        agree(doc)
        compared += 1

    compare()
    return compared


# Hypothesis may stop early when a strategy runs out of distinct examples; these do not.
@pytest.mark.parametrize("kind, documents", [
    ("registration", registrations()), ("service_request", service_requests()), ("change_request", change_requests())])
def test_documents_agree_with_the_oracle(kind: str, documents: st.SearchStrategy[dict[str, Any]]) -> None:
    assert campaign(mutated(documents)) >= EXAMPLES * 0.99, kind


def test_the_campaign_compares_ten_thousand_documents() -> None:
    assert EXAMPLES * 3 >= 10_000


# ---------------------------------------------------------------- the comparison is not vacuous

SEEDED_BUGS = [   # (rule file, text, replaced by, documents that can show it)
    ("service_request.esp", "request_time < SERVICE_CLOSES", "request_time <= SERVICE_CLOSES", "service"),
    ("policy.esp", "const SERVICE_OPENS = 08:30", "const SERVICE_OPENS = 08:31", "service"),
    ("service_request.esp", "request_day > service_last_day", "request_day >= service_last_day", "service"),
    ("service_request.esp", "fact holiday for service_request = holiday_name(request_day)",
     "fact holiday for service_request = holiday_name(add_days(request_day, 1))", "service"),
    ("registration.esp", "deny when registration_date > service_last_day",
     "deny when registration_date >= service_last_day", "registration"),
    ("registration.esp", "days_between(registration_date, service_last_day) + 1",
     "days_between(registration_date, service_last_day)", "registration"),
    ("change_request.esp", "term_asked.months > MAX_YEARS * 12", "term_asked.months >= MAX_YEARS * 12", "change"),
    ("change_request.esp", "term_asked.end > five_year_last_day", "term_asked.end >= five_year_last_day", "change"),
    ("change_request.esp", "registration.term_years > MAX_YEARS", "registration.term_years >= MAX_YEARS", "change"),
    ("service_request.esp", "request_day > five_year_last_day", "request_day >= five_year_last_day", "service"),
    ("service_request.esp", "japan_date(next_window_at) <= served_until", "japan_date(next_window_at) < served_until",
     "service"),
    ("service_request.esp", "registration.registered_on < server.warranty_start",
     "registration.registered_on <= server.warranty_start", "service"),
    ("service_request.esp", "(用|の)?", "(用)?", "service"),
    ("registration.esp", 'deny when pack.generation == "ESP" and pack.term_years > MAX_YEARS',
     'deny when pack.generation == "ESP" and pack.term_years >= MAX_YEARS', "registration"),
    ("policy.esp", "const G2_TERMS = {3, 4, 5}", "const G2_TERMS = {3, 4, 5, 6}", "registration"),
]
STRATEGIES = {"service": service_requests(), "registration": registrations(), "change": change_requests()}


@pytest.mark.parametrize("file, old, new, kind", SEEDED_BUGS, ids=[f"{b[0]}:{b[2]}" for b in SEEDED_BUGS])
def test_the_comparison_notices_a_seeded_bug(file: str, old: str, new: str, kind: str) -> None:
    """A policy with one small, plausible bug disagrees with the oracle on some generated document:
    the generators reach the boundaries the comparison is meant to guard."""
    sources = read_sources(bundled_dir("policy"))
    assert sum(old in text for name, text in sources if Path(name).name == file) == 1, (file, old)
    broken = Policy([(name, text.replace(old, new) if Path(name).name == file else text) for name, text in sources])

    def disagrees(doc: dict[str, Any]) -> bool:
        expected, got = oracle.judge(doc), engine_verdict(doc, broken)
        return (got.outcome, got.findings, got.facts) != (expected.outcome, expected.findings, expected.facts)

    find(STRATEGIES[kind], disagrees, settings=settings(max_examples=5_000, database=None, deadline=None,
                                                         suppress_health_check=list(HealthCheck)))


# ---------------------------------------------------------------- the oracle itself

def test_oracle_dates_follow_the_contract_examples() -> None:
    assert last_day(dt.date(2025, 4, 1), 3) == dt.date(2028, 3, 31)
    assert last_day(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
    assert last_day(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 28)
    assert oracle.holiday(dt.date(2026, 5, 6)) == "振替休日"
    assert oracle.registration_center_next_open(dt.date(2026, 5, 2)) == dt.date(2026, 5, 7)
    monday_early = dt.datetime(2026, 5, 11, 8, 29, 59, tzinfo=JST)
    assert not oracle.in_service_hours(monday_early)
    assert oracle.next_service_window(monday_early) == dt.datetime(2026, 5, 11, 8, 30, tzinfo=JST)
    assert oracle.in_service_hours(dt.datetime(2026, 5, 4, 8, 30, tzinfo=JST))   # a Monday holiday


def test_oracle_agrees_on_the_bundled_examples() -> None:
    import yaml
    examples = Path(__file__).resolve().parent.parent / "examples"
    for path in sorted(examples.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc is not None:
                agree(json.loads(json.dumps(doc, default=str)))
