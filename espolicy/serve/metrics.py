"""The Prometheus metrics of one server process (a registry of its own, so that several
applications in one process do not share counters)."""
from __future__ import annotations

from typing import Any, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST

from espolicy.report import Report

CONTENT_TYPE = CONTENT_TYPE_LATEST
# decisions take tens of microseconds; the explain tree and big documents take milliseconds
_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """Decisions by kind and outcome, findings by rule, decision latency, the policy (info),
    reloads, and the decision log's drops and queue."""

    def __init__(self, kinds: Iterable[str]) -> None:
        self.registry = CollectorRegistry()
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        self.kinds = frozenset(kinds)
        r = self.registry
        self.decisions = Counter("espolicy_decisions", "Decisions made, by document kind and outcome",
                                 ("kind", "outcome"), registry=r)
        self.findings = Counter("espolicy_findings", "Findings reported, by document kind, rule and effect",
                                ("kind", "rule", "effect"), registry=r)
        self.latency = Histogram("espolicy_decision_seconds", "Time to judge one document (excluding the network)",
                                 ("endpoint",), buckets=_BUCKETS, registry=r)
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
        kind = report.kind if report.kind in self.kinds else "unknown"
        self._child(self.decisions, kind, report.outcome).inc()
        for f in report.findings:
            self._child(self.findings, kind, f.rule, f.effect).inc()
        self._child(self.latency, endpoint).observe(seconds)

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
