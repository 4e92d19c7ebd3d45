"""What the FAQ scenarios and boundaries say that one policy test case cannot: a law over two
reports, or over every way a message could be worded. Every other scenario is a case of
`policy/tests/scenarios_*.yaml`, run through both evaluators by test_conformance.py."""
from __future__ import annotations

import re

import pytest
from documents import change_request, service_request

import espolicy


def test_a_utc_z_suffix_gives_the_same_report_as_plus_zero() -> None:
    # two documents, one report: a case compares one report with its expectation, not two reports
    a = espolicy.validate(service_request(requested_at="2026-05-10T23:30:00Z"))
    b = espolicy.validate(service_request(requested_at="2026-05-10T23:30:00+00:00"))
    assert a.outcome == "allow" and a.to_dict() == b.to_dict()


@pytest.mark.parametrize("to", ["18 months", "6ヶ月", "2029-03-31", "six years", "お任せ"])
def test_a_term_text_is_never_read_as_a_number_of_years(to: str) -> None:
    """"18 months" is not 18 years: no message invents a number of years. A case can say which
    words a message lacks, not that no number of years of any value appears (a pattern)."""
    report = espolicy.validate(change_request(change={"type": "term", "to": to}))
    assert report.outcome == "deny" and {q for f in report.findings for q in f.faq} == {"Q8"}
    q8 = next(f for f in report.findings if f.rule == "term-change-not-possible")
    texts = q8.message["en"] + q8.message["ja"]
    for example in ("a 3-year to a 5-year", "3年間パックから5年間パック"):   # the message's fixed example
        assert example in texts
        texts = texts.replace(example, "")
    assert re.search(r"\d+ years|\d+年", texts) is None, texts
