"""`espolicy test`: the policy's own tests in policy/tests/*.yaml, readable diffs
when one fails, coverage per rule (fired and not fired), text/JSON/JUnit output."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import espolicy
from espolicy.commands import main as cli
from espolicy.sources import bundled_dir
from espolicy.engine.policytest import (CaseFileError, apply_change, coverage, faq_scenarios, find_test_files, load_cases,
                                 percent, run_case)

POLICY = bundled_dir("policy")


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def bundled_results():
    policy = espolicy.default_policy()
    cases = [c for f in find_test_files(POLICY) for c in load_cases(f)]
    return policy, [run_case(policy, c) for c in cases]


# ---------------------------------------------------------------- the bundled policy carries its tests

def test_bundled_policy_tests_pass(bundled_results):
    _, results = bundled_results
    assert len(results) >= 60
    failed = [(r.case.name, r.problems) for r in results if not r.passed]
    assert failed == []


def test_bundled_policy_coverage_is_complete(bundled_results):
    policy, results = bundled_results
    cov = coverage(policy, results)
    assert {c.rule for c in cov} == {r.id for r in policy.rules}
    assert [c.rule for c in cov if not c.fired] == []
    assert [c.rule for c in cov if not c.not_fired] == []
    assert percent(cov) == 100.0


def test_every_faq_question_has_a_scenario_named_after_it(bundled_results):
    policy, results = bundled_results
    scenarios = faq_scenarios(results, [r.id for r in policy.checked.references])
    assert [q for q, names in scenarios.items() if not names] == []
    assert list(scenarios) == [f"Q{i}" for i in range(1, 18)]


def test_cli_coverage_report(capsys):
    code, out, err = run(capsys, "test", "--coverage")
    assert code == 0, out + err
    assert "passed" in out and "failed" not in out
    assert "coverage: 100.0 %" in out
    assert "references with a scenario named after them: 17/17" in out
    assert "✗ never" not in out


# ---------------------------------------------------------------- failures read as a diff

FAILING = """\
documents:
  reg:
    kind: registration
    id: REG-1
    registration_date: 2025-04-20
    server: {model: m, serial: "1", warranty_start: 2025-04-01, warranty_years: 1}
    pack: {generation: ESP_G2, coverage: weekday, term_years: 3, purchase_date: 2025-04-10}
tests:
  - name: passes
    base: reg
    expect: {outcome: allow}
  - name: Q6 wrong on purpose
    base: reg
    changes: {/pack/term_years: 6}
    expect:
      outcome: allow
      fired: [registered-after-warranty, {rule: term-beyond-five-years, path: /pack/generation}]
      not_fired: [g2-term-not-in-catalogue]
      facts: {service_last_day: 2028-03-31, holiday: null, remaining_days: 5}
      faq: [Q1]
"""


def test_a_failing_test_shows_expected_and_actual(tmp_path, capsys):
    f = tmp_path / "t.yaml"
    f.write_text(FAILING, encoding="utf-8")
    code, out, _ = run(capsys, "test", str(f))
    assert code == 1
    assert "✓ passes" in out
    assert "✗ Q6 wrong on purpose" in out and "t.yaml:12)" in out
    lines = [line.strip() for line in out.splitlines()]
    assert "outcome  - allow" in lines and "+ deny" in lines
    assert ("fired    - registered-after-warranty  (expected to fire; it did not: its condition was false; "
            "`espolicy explain DOC --rule registered-after-warranty` shows why)") in lines
    assert "term-beyond-five-years path  - /pack/generation" in lines and "+ /pack/term_years" in lines
    assert "fired    + g2-term-not-in-catalogue  (expected not to fire; it did)" in lines
    assert "fact service_last_day  - 2028-03-31" in lines and "+ 2031-03-31" in lines
    assert "fact remaining_days  - 5" in lines
    assert "faq      - Q1" in lines
    assert any(line.startswith("the document fired: term-beyond-five-years (deny)") for line in lines)
    assert "2 tests: 1 passed, 1 failed" in out


def test_json_and_junit(tmp_path, capsys):
    f = tmp_path / "t.yaml"
    f.write_text(FAILING, encoding="utf-8")
    code, out, _ = run(capsys, "test", "--format", "json", "--coverage", "--min-coverage", "0", str(f))
    assert code == 1
    data = json.loads(out)
    assert data["summary"] == {"tests": 2, "passed": 1, "failed": 1}
    assert data["tests"][1]["problems"] and data["tests"][1]["outcome"] == "deny"
    assert 0 < data["coverage"]["percent"] < 100
    code, out, _ = run(capsys, "test", "--format", "junit", str(f))
    assert code == 1
    root = ET.fromstring(out)
    assert root.tag == "testsuites" and root.get("tests") == "2" and root.get("failures") == "1"
    failure = root.find(".//testcase[@name='Q6 wrong on purpose']/failure")
    assert failure is not None and "outcome" in failure.get("message")


def test_coverage_under_the_threshold_fails(tmp_path, capsys):
    f = tmp_path / "t.yaml"
    f.write_text(FAILING.split("  - name: Q6")[0], encoding="utf-8")
    code, out, _ = run(capsys, "test", "--coverage", str(f))
    assert code == 1 and "✗ never" in out
    code, out, _ = run(capsys, "test", "--coverage", "--min-coverage", "10", str(f))
    assert code == 0
    code, _, _ = run(capsys, "test", str(f))
    assert code == 0


def test_a_policy_with_its_own_tests_folder(tmp_path, capsys):
    d = tmp_path / "policy"
    (d / "tests").mkdir(parents=True)
    (d / "references.esp").write_text('reference Q6 {\n  title en "Six years?"\n  title ja "6年?"\n}\n',
                                     encoding="utf-8")
    (d / "p.esp").write_text(
        'rule long {\n  for registration\n  deny when pack.term_years > 5\n  faq Q6\n  at pack.term_years\n'
        '  message en "long"\n  message ja "長い"\n}\n', encoding="utf-8")
    (d / "tests" / "p.yaml").write_text(FAILING.split("tests:")[0] + """tests:
  - name: Q6 six years
    base: reg
    changes: {/pack/term_years: 6}
    expect: {outcome: deny, fired: [long], exactly: true}
  - name: Q6 five years
    base: reg
    changes: {/pack/term_years: 5}
    expect: {outcome: allow, not_fired: [long]}
""", encoding="utf-8")
    code, out, _ = run(capsys, "test", "--policy", str(d), "--coverage")
    assert code == 0, out
    assert "coverage: 100.0 %" in out


# ---------------------------------------------------------------- test files that cannot be read

@pytest.mark.parametrize("text, line, words", [
    ("tests:\n  - name: a\n    documnet: {}\n    expect: {outcome: allow}\n", 2, "did you mean `document`?"),
    ("tests:\n  - name: a\n    base: nope\n    expect: {outcome: allow}\n", 2, "no document `nope`"),
    ("tests:\n  - name: a\n    document: {kind: registration}\n", 2, "needs `expect:`"),
    ("tests:\n  - name: a\n    document: {kind: registration}\n    expect: {outcome: allowed}\n", 2,
     "did you mean `allow`?"),
    ("tests:\n  - name: a\n    document: {kind: registration}\n    expect: {outcom: allow}\n", 2,
     "did you mean `outcome`?"),
    ("tests:\n  - name: a\n    document: {}\n    changes: {pack/x: 1}\n    expect: {outcome: allow}\n", 2,
     "starts with `/`"),
    ("tests:\n  - name: a\n    document: {kind: x}\n    expect: {outcome: allow}\n  - name: a\n"
     "    document: {kind: x}\n    expect: {outcome: allow}\n", 5, "named twice"),
    ("tests:\n  - name: a\n    name: b\n", 3, "given twice"),
    ("tests: [\n", None, "not valid YAML"),
    ("other: 1\n", 1, "unknown section `other`"),
])
def test_bad_test_files_say_where_and_what(tmp_path, capsys, text, line, words):
    f = tmp_path / "bad.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(CaseFileError) as e:
        load_cases(f)
    assert words in str(e.value)  # the message, or its help line
    if line is not None:
        assert e.value.line == line
    code, _, err = run(capsys, "test", str(f))
    assert code == 2 and "bad.yaml:" in err and "Traceback" not in err


# ---------------------------------------------------------------- changes by JSON Pointer

def test_apply_change():
    doc = {"a": {"b": 1}, "xs": [{"y": 1}, {"y": 2}]}
    assert apply_change(doc, "/a/b", 2)["a"]["b"] == 2
    assert apply_change(doc, "/new/deep", 3)["new"] == {"deep": 3}
    assert apply_change(doc, "/xs/1/y", 5)["xs"][1] == {"y": 5}
    assert apply_change(doc, "/xs/-", {"y": 9})["xs"][-1] == {"y": 9}
    assert apply_change(doc, "/xs/0", None)["xs"][0] == {"y": 5}
    assert "b" not in apply_change(doc, "/a/b", None)["a"]
    assert apply_change(doc, "/missing/x", None) is doc
    assert apply_change({"a~b": {"c/d": 1}}, "/a~0b/c~1d", 2) == {"a~b": {"c/d": 2}}
    for pointer in ("/xs/9", "/xs/x", "/a/b/c", "nope"):
        with pytest.raises(ValueError):
            apply_change({"a": {"b": 1}, "xs": []}, pointer, 1)


def test_test_files_are_installed_with_the_package():
    # the bundled policy folder of the espolicy under test (installed, in CI) carries its tests
    from espolicy.sources import bundled_dir
    repo = Path(__file__).resolve().parent.parent / "policy" / "tests"
    names = sorted(p.name for p in repo.glob("*.yaml"))
    assert "scenarios_service_request.yaml" in names and "registration.yaml" in names
    assert sorted(p.name for p in (bundled_dir("policy") / "tests").glob("*.yaml")) == names


def test_case_documents_read_timestamps_as_documents_are_read(tmp_path):
    """A test case judges its document as `validate` would judge the same YAML: a timestamp not in
    the contract's form stays the text as written (invalid), one in that form is the datetime."""
    case = """\
documents:
  srv:
    kind: service_request
    id: S
    requested_at: {at}
    server: {{serial: "1", warranty_start: 2025-04-01, warranty_years: 1}}
    registration: {{generation: ESP_G2, coverage: weekday, term_years: 3, registered_on: 2025-04-20}}
    service: {{type: repair}}
tests:
  - name: the request
    base: srv
    expect: {{outcome: allow}}
"""
    for at, outcome in (("2026-05-07T10:15:00+09:00", "allow"), ("2026-05-07 10:15:00+09:00", "invalid"),
                        ("2026-5-7T10:15:00+09:00", "invalid")):
        f = tmp_path / "t.yaml"
        f.write_text(case.format(at=at), encoding="utf-8")
        [loaded] = load_cases(f)
        if outcome == "invalid":
            assert loaded.document["requested_at"] == at   # the text as written
        assert espolicy.validate(loaded.document).outcome == outcome
