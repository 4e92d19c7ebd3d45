"""The Prometheus metrics of one server process (a registry of its own, so that several
applications in one process do not share counters)."""
from __future__ import annotations

import bisect
import threading
from typing import Any, Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Info, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

from espolicy.report import Report

CONTENT_TYPE = CONTENT_TYPE_LATEST
# decisions take tens of microseconds; the explain tree and big documents take milliseconds
_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class _Decisions:
    """The per-decision metrics (decisions, findings, decision latency), kept as plain numbers under
    one lock and shown as Prometheus counters and a histogram when scraped: counting a decision is
    a few dictionary updates instead of five metric updates of a lock each."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.decisions: dict[tuple[str, str], int] = {}
        self.findings: dict[tuple[str, str, str], int] = {}
        self.latency: dict[str, list[float]] = {}   # endpoint → count per bucket (+Inf last), then the sum

    def add(self, kind: str, report: Report, endpoint: str, seconds: float) -> None:
        with self.lock:
            key = (kind, report.outcome)
            self.decisions[key] = self.decisions.get(key, 0) + 1
            for rule_id, effect in report.fired():
                rule = (kind, rule_id, effect)
                self.findings[rule] = self.findings.get(rule, 0) + 1
            counts = self.latency.get(endpoint)
            if counts is None:
                counts = self.latency[endpoint] = [0.0] * (len(_BUCKETS) + 2)
            counts[bisect.bisect_left(_BUCKETS, seconds)] += 1
            counts[-1] += seconds

    def collect(self) -> Iterator[Metric]:
        with self.lock:
            decisions, findings = dict(self.decisions), dict(self.findings)
            latency = {endpoint: list(counts) for endpoint, counts in self.latency.items()}
        c = CounterMetricFamily("espolicy_decisions", "Decisions made, by document kind and outcome",
                                labels=("kind", "outcome"))
        for pair, n in decisions.items():
            c.add_metric(pair, n)
        yield c
        c = CounterMetricFamily("espolicy_findings", "Findings reported, by document kind, rule and effect",
                                labels=("kind", "rule", "effect"))
        for triple, n in findings.items():
            c.add_metric(triple, n)
        yield c
        h = HistogramMetricFamily("espolicy_decision_seconds", "Time to judge one document (excluding the network)",
                                  labels=("endpoint",))
        for endpoint, counts in latency.items():
            cumulative, buckets = 0.0, []
            for bound, count in zip((*map(floatToGoString, _BUCKETS), "+Inf"), counts):
                cumulative += count
                buckets.append((bound, cumulative))
            h.add_metric((endpoint,), buckets, counts[-1])
        yield h


class Metrics:
    """Decisions by kind and outcome, findings by rule, decision latency, the policy (info),
    reloads, and the decision log's drops and queue."""

    def __init__(self, kinds: Iterable[str]) -> None:
        self.registry = CollectorRegistry()
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        self.kinds = frozenset(kinds)
        r = self.registry
        self._decisions = _Decisions()
        r.register(self._decisions)
        self.policy = Info("espolicy_policy", "The policy being served", registry=r)
        self.reloads = Counter("espolicy_policy_reloads", "Policy reloads, by result (ok, error)", ("result",),
                               registry=r)
        self.reload_failed = Gauge("espolicy_policy_reload_failed",
                                   "1 while the last reload failed and an older policy is still serving", registry=r)
        self.log_dropped = Counter("espolicy_decision_log_dropped",
                                   "Decision-log records dropped because the log's queue was full", registry=r)
        self.requests = Counter("espolicy_http_requests", "HTTP requests answered, by route and status",
                                ("route", "status"), registry=r)

    def decided(self, report: Report, endpoint: str, seconds: float) -> None:
        """Count one decision (a kind the schemas do not know is counted as `unknown`)."""
        self._decisions.add(report.kind if report.kind in self.kinds else "unknown", report, endpoint, seconds)

    def answered(self, route: str, status: int | str) -> None:
        """Count one HTTP request answered on `route` with `status`."""
        self._child(self.requests, route, str(status)).inc()

    def _child(self, metric: Any, *labels: str) -> Any:
        """`metric.labels(*labels)`, kept: looking a child up costs more than counting."""
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def serving(self, name: str, digest: str) -> None:
        self.policy.info({"name": name, "digest": digest})

    def text(self) -> bytes:
        return generate_latest(self.registry)
