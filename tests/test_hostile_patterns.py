"""`matches` runs on RE2: patterns that take exponential time on a backtracking engine end in time
linear in the text. Each test runs in a child process under a CPU-time and memory limit
(resource.setrlimit), far above what linear matching needs and far below what backtracking would."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

# Classic catastrophic-backtracking patterns with inputs built to trigger them.
HOSTILE = [
    ("(a+)+$", "a" * 200_000 + "!"),
    ("(a|a)*b", "a" * 200_000),
    ("(a|aa)+$", "a" * 200_000 + "!"),
    ("^(([a-z])+.)+[A-Z]([a-z])+$", "a" * 200_000 + "!"),
    ("(x+x+)+y", "x" * 200_000),
    ("(.*a){20}", "a" * 200_000 + "b"),
]

CHILD = textwrap.dedent("""
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_CPU, (20, 20))
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    from espolicy.engine.policy import Policy
    cases = json.loads(sys.stdin.read())
    out = []
    for pattern, text in cases:
        src = "fact v for registration = matches(server.model, " + json.dumps(pattern) + ")\\n"
        policy = Policy([("hostile.esp", src)])
        doc = {"kind": "registration", "id": "R-1", "registration_date": "2026-04-10",
               "server": {"model": text, "serial": "4300123", "warranty_start": "2026-03-16",
                          "warranty_years": 1},
               "pack": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3,
                        "purchase_date": "2026-03-16"}}
        for _ in range(5):
            report = policy.validate(doc)
        out.append([report.outcome, report.facts.get("v")])
    print(json.dumps(out))
""")


def run_bounded(cases: list[tuple[str, str]]) -> list[list[object]]:
    proc = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps(cases), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, f"child ended with {proc.returncode} (killed by the CPU limit?): {proc.stderr[-2000:]}"
    return json.loads(proc.stdout)


def test_catastrophic_patterns_end_in_linear_time() -> None:
    results = run_bounded(HOSTILE)
    assert [r[0] for r in results] == ["allow"] * len(HOSTILE)
    assert [r[1] for r in results] == [False, False, False, False, False, True]


def test_a_document_of_a_megabyte_is_matched_within_the_limit() -> None:
    results = run_bounded([("(a|b|ab)*c$", "ab" * 500_000)])
    assert results == [["allow", False]]


@pytest.mark.parametrize("pattern", ["a{1000}{1000}", "((a{100}){100}){100}", "x" * 1001, "(?=a)", "(a)\\1"])
def test_patterns_beyond_the_engine_are_policy_errors(pattern: str, make_policy) -> None:
    from espolicy.errors import PolicyError
    with pytest.raises(PolicyError) as info:
        make_policy(f"fact v for registration = matches(server.model, {json.dumps(pattern)})\n")
    assert info.value.diagnostics[0].code == "bad-pattern"
    assert (info.value.line, info.value.column) == (1, 49)
