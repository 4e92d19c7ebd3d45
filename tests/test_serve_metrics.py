"""The service's per-decision metrics as Prometheus reads them: counts by kind and outcome, by
rule, and the latency histogram (each bucket counts the decisions at or under its bound)."""
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

import espolicy
from espolicy.serve.metrics import Metrics

from serving import REPO


@pytest.fixture(scope="module")
def reports():
    import yaml
    policy = espolicy.default_policy()
    docs = [yaml.safe_load((REPO / "examples" / name).read_text(encoding="utf-8"))
            for name in ("registration-ok.yaml", "registration-mixed-generations.yaml")]
    return policy.schemas.kinds, [policy.validate(d) for d in docs] + [policy.validate({"kind": "other"})]


def _samples(metrics: Metrics) -> list[tuple[str, dict[str, str], float]]:
    text = metrics.text().decode("utf-8")
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples]


@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["validate", "batch"]),
                          st.floats(0, 5, allow_nan=False)), max_size=40))
def test_decisions_findings_and_latency_add_up(reports, decisions):
    kinds, judged = reports
    metrics = Metrics(kinds)
    for index, endpoint, seconds in decisions:
        metrics.decided(judged[index], endpoint, seconds)
    samples = _samples(metrics)

    def value(name: str, **labels: str) -> float:
        return sum(v for n, ls, v in samples if n == name and all(ls.get(k) == x for k, x in labels.items()))
    for report in judged:
        kind = report.kind if report.kind in kinds else "unknown"
        expected = sum(1 for i, _, _ in decisions if judged[i] is report)
        assert value("espolicy_decisions_total", kind=kind, outcome=report.outcome) == expected
        for f in report.findings:
            assert value("espolicy_findings_total", kind=kind, rule=f.rule, effect=f.effect) == \
                sum(1 for i, _, _ in decisions if f in judged[i].findings)
    for endpoint in ("validate", "batch"):
        times = [s for _, e, s in decisions if e == endpoint]
        assert value("espolicy_decision_seconds_count", endpoint=endpoint) == len(times)
        assert math.isclose(value("espolicy_decision_seconds_sum", endpoint=endpoint), sum(times), abs_tol=1e-9)
        for name, labels, count in samples:
            if name == "espolicy_decision_seconds_bucket" and labels["endpoint"] == endpoint:
                assert count == sum(1 for s in times if s <= float(labels["le"]))
