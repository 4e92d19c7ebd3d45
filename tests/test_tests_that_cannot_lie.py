"""`espolicy test` cannot pass by mistake: unknown rule ids are errors at their line, `exactly`
compares deny/review/warn (info when listed), `-k` selects, condition coverage finds the decisions
no test made true or false, and `--watch` runs again on save (a real file watcher)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import espolicy
from espolicy.commands import main as cli
from espolicy.engine.conditions import condition_coverage, percent
from espolicy.engine.policytest import load_cases, select
from espolicy.sources import bundled_dir

REPO = Path(__file__).resolve().parent.parent
POLICY = bundled_dir("policy")
DOC = """
documents:
  ok:
    kind: registration
    id: REG-T-1
    registration_date: 2026-04-10
    server: {model: Express5800/R120h-1M, serial: "4300123", warranty_start: 2026-03-16, warranty_years: 1}
    pack: {generation: ESP_G2, coverage: weekday, term_years: 3, purchase_date: 2026-03-16}
tests:
"""


def write_tests(tmp_path: Path, body: str) -> Path:
    f = tmp_path / "t.yaml"
    f.write_text(DOC + body, encoding="utf-8")
    return f


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["test", "--policy", str(POLICY), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_an_unknown_rule_id_is_an_error_at_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write_tests(tmp_path, """\
  - name: misspelt everywhere
    base: ok
    changes: {/pack/term_years: 6}
    expect:
      fired:
        - term-beyond-five-yeras
        - {rule: g2-term-not-in-catalog, path: /pack/term_years}
      not_fired: [mixed-generation]
""")
    code, out, err = run(capsys, str(f))
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert f"{f.name}" in err
    assert any(l.endswith("t.yaml:15: error[test-file]: test `misspelt everywhere`: the policy has no rule "
                          "`term-beyond-five-yeras`") for l in lines), err
    assert "help: did you mean `term-beyond-five-years`?" in err
    assert "t.yaml:16: error[test-file]" in err and "`g2-term-not-in-catalog`" in err
    assert "t.yaml:17: error[test-file]" in err and "`mixed-generation`" in err
    assert lines[-1] == "3 errors in the test files"


def test_exactly_leaves_info_out_unless_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # an allowed registration fires the info rule `registration-accepted`
    f = write_tests(tmp_path, """\
  - name: nothing denied, reviewed or warned
    base: ok
    expect: {outcome: allow, fired: [], exactly: true}
  - name: info counted when asked
    base: ok
    expect: {outcome: allow, fired: [], exactly: [deny, review, warn, info]}
""")
    info_rules = [r.id for r in espolicy.load_policy(POLICY).rules if r.effect == "info" and "registration" in r.kinds]
    code, out, _ = run(capsys, str(f))
    assert code == 1
    assert "✓ nothing denied, reviewed or warned" in out
    assert "✗ info counted when asked" in out
    assert any(f"fired    + {r}  (not in `fired`, and `exactly` is set)" in out for r in info_rules)


def test_exactly_must_be_true_or_effects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write_tests(tmp_path, "  - name: x\n    base: ok\n    expect: {exactly: [deny, infos]}\n")
    code, _, err = run(capsys, str(f))
    assert code == 2 and "`exactly` is true" in err and "help: write `exactly: true`" in err


def test_k_selects_tests_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "-k", "q6")
    assert code == 0
    names = [l.strip()[2:] for l in out.splitlines() if l.strip().startswith("✓")]
    assert names and all("q6" in n.lower() for n in names)
    cases = [c for f in sorted((POLICY / "tests").glob("*.yaml")) for c in load_cases(f)]
    assert len(names) == len(select(cases, ["Q6"])) < len(cases)
    assert [c.name for c in select(cases, ["Q1[0-1] *"])] == [c.name for c in cases
                                                             if c.name.startswith(("Q10 ", "Q11 "))]
    code, _, err = run(capsys, "-k", "no such test at all")
    assert code == 2 and "no test matches `no such test at all`" in err


COVERAGE_POLICY = '''policy "coverage"
rule two-parts {
  for registration
  deny when pack.term_years > 4 and pack.generation == "ESP_G2"
  faq Q6
  at pack.term_years
  message en "too long"
  message ja "長すぎます"
}
rule over-history {
  for registration
  warn when any h in history: h.term_years > 4
  faq none
  at pack.term_years
  message en "long history"
  message ja "長い履歴"
}
'''


def test_condition_coverage_names_each_decision_never_seen(tmp_path: Path) -> None:
    (tmp_path / "p.esp").write_text(COVERAGE_POLICY, encoding="utf-8")
    policy = espolicy.load_policy(tmp_path)
    f = write_tests(tmp_path, """\
  - {name: a, base: ok, changes: {/pack/term_years: 5}, expect: {outcome: deny}}
  - {name: b, base: ok, expect: {outcome: allow}}
""")
    docs = [c.document for c in load_cases(f)]
    table = {r.rule: r for r in condition_coverage(policy, docs)}
    two = table["two-parts"]
    seen = {(d.what, d.text): d.seen for d in two.decisions}
    assert seen[("condition", 'pack.term_years > 4 and pack.generation == "ESP_G2"')] == {True, False}
    assert seen[("operand of `and`", "pack.term_years > 4")] == {True, False}
    # short-circuited when the first operand is false: seen only true
    assert seen[("operand of `and`", 'pack.generation == "ESP_G2"')] == {True}
    hist = {(d.what, d.text): d.seen for d in table["over-history"].decisions}
    assert hist[("condition", "any h in history: h.term_years > 4")] == {False}
    assert (two.covered, two.total) == (5, 6)
    assert percent(list(table.values())) < 100
    # a document with a long history makes `any` true; the body of `any` is then seen both ways
    docs.append({**docs[1], "history": [{"generation": "ESP_G2", "term_years": 3, "registered_on": "2025-01-01"},
                                        {"generation": "ESP_G2", "term_years": 5, "registered_on": "2025-02-01"}]})
    hist = {(d.what, d.text): d.seen for d in condition_coverage(policy, docs)[1].decisions}
    assert hist[("condition", "any h in history: h.term_years > 4")] == {True, False}


def test_min_coverage_applies_to_condition_coverage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p.esp").write_text(COVERAGE_POLICY, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    shutil.move(write_tests(tmp_path, """\
  - {name: a, base: ok, changes: {/pack/term_years: 5, /history: [{generation: ESP_G2, term_years: 5, registered_on: 2025-01-01}]}, expect: {outcome: deny}}
  - {name: b, base: ok, expect: {outcome: allow}}
"""), tmp_path / "tests" / "t.yaml")
    code = cli.main(["test", "--policy", str(tmp_path), "--coverage"])
    out, _ = capsys.readouterr()
    assert code == 1  # every rule fired and did not fire, but one operand was never false
    assert "coverage: 100.0 % of 4" in out
    assert "condition coverage: 87.5 % of 8" in out
    assert f"{tmp_path / 'p.esp'}:4:37  operand of `and`  `pack.generation == \"ESP_G2\"`  never false" in out
    assert cli.main(["test", "--policy", str(tmp_path), "--coverage", "--min-coverage", "87.5"]) == 0
    capsys.readouterr()
    assert cli.main(["test", "--policy", str(tmp_path), "--coverage", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr()[0])
    assert data["coverage"]["conditions"]["percent"] == 87.5


def test_bundled_policy_condition_coverage_is_complete(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--coverage")
    assert code == 0, out
    assert "condition coverage: 100.0 % of " in out


def test_junit_of_tests_comes_from_the_one_writer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write_tests(tmp_path, """\
  - {name: passes, base: ok, expect: {outcome: allow}}
  - {name: fails, base: ok, expect: {outcome: deny}}
""")
    code, out, _ = run(capsys, str(f), "--format", "junit", "--coverage", "--min-coverage", "0")
    assert code == 1
    root = ET.fromstring(out)
    assert root.tag == "testsuites" and root.get("tests") == "4" and root.get("failures") == "1"
    suites = root.findall("testsuite")
    assert [s.get("skipped") for s in suites] == ["0", "0"]   # attributes only output/junit.py writes
    [failure] = root.iter("failure")
    assert failure.get("message") == "outcome  - deny"


@pytest.mark.skipif(sys.platform == "win32", reason="signals")
def test_watch_runs_check_and_tests_again_on_save(tmp_path: Path) -> None:
    policy = tmp_path / "policy"
    shutil.copytree(POLICY, policy)
    env = {**os.environ, "PYTHONPATH": str(REPO), "ESPOLICY_CACHE_DIR": "off", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "espolicy", "test", "--watch", "--policy", str(policy), "-k", "Q6"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []
    try:
        assert proc.stdout is not None

        def until(text: str) -> None:
            for line in proc.stdout:  # type: ignore[union-attr]
                lines.append(line)
                if text in line:
                    return
            raise AssertionError("".join(lines))
        until("[watching")
        assert any("ok: " in l for l in lines) and any(" passed" in l for l in lines)
        time.sleep(0.5)
        rules = policy / "registration.esp"
        rules.write_text(rules.read_text(encoding="utf-8") + "\nconst UNUSED_NOW = 1\n", encoding="utf-8")
        until("[watching")
        joined = "".join(lines)
        assert joined.count("[watching") == 2
        assert "warning[unused-constant]: constant `UNUSED_NOW` is never used" in joined
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_words_faq_paths_and_facts_are_expectations_that_can_fail(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    six = "    base: ok\n    changes: {/pack/term_years: 6}\n"
    mixed = ("    base: ok\n    changes:\n      /history:\n"
             "        - {generation: ESP, term_years: 3, registered_on: 2025-04-02}\n"
             "        - {generation: ESP, term_years: 3, registered_on: 2025-04-03}\n")
    f = write_tests(tmp_path, f"""\
  - name: the words as written
{six}    expect:
      fired:
        - {{rule: term-beyond-five-years, path: /pack/term_years, faq: [Q6], message: {{en: A 6-year pack, ja: 6年間のパック}}, lacks: {{en: 7-year, ja: 7年}}}}
  - name: english words looked for in the japanese message
{six}    expect:
      fired: [{{rule: term-beyond-five-years, message: {{ja: A 6-year pack}}}}]
  - name: words the finding should lack
{six}    expect:
      fired: [{{rule: term-beyond-five-years, lacks: {{en: [7-year, 6-year]}}}}]
  - name: message words looked for in the advice
{six}    expect:
      fired: [{{rule: term-beyond-five-years, advice: A 6-year pack}}]
  - name: another question
{six}    expect:
      fired: [{{rule: term-beyond-five-years, faq: [Q8]}}]
  - name: every fact
    base: ok
    expect: {{facts: {{}}, all_facts: true}}
  - name: both mixed entries listed
{mixed}    expect:
      fired:
        - {{rule: mixed-generations, path: /history/0/generation}}
        - {{rule: mixed-generations, path: /history/1/generation}}
      exactly: true
  - name: one mixed entry listed
{mixed}    expect:
      fired: [{{rule: mixed-generations, path: /history/0/generation}}]
      exactly: true
""")
    code, out, _ = run(capsys, str(f))
    assert code == 1
    lines = [line.strip() for line in out.splitlines()]
    assert "✓ the words as written" in out and "✓ both mixed entries listed" in out
    assert "term-beyond-five-years message ja  - …A 6-year pack…" in lines
    assert any(l.startswith("+ 6年間のパックはありません") for l in lines), out
    assert "term-beyond-five-years lacks en  - …6-year…" in lines
    assert "term-beyond-five-years lacks en  - …7-year…" not in lines
    assert "term-beyond-five-years advice  - …A 6-year pack…" in lines
    assert "term-beyond-five-years faq  - Q8" in lines and "+ Q6" in lines
    assert "fact elapsed_days  - (absent)" in lines and "fact service_last_day  - (absent)" in lines
    assert ("fired    + mixed-generations at /history/1/generation  (not in `fired`, and `exactly` is set)"
            in lines)
    assert "8 tests: 2 passed, 6 failed" in out


@pytest.mark.parametrize("entry, words", [
    ("{rule: mixed-generations, message: {fr: mot}}", "the `message` of `mixed-generations` is a text or maps en and ja"),
    ("{rule: mixed-generations, lacks: {en: []}}", "the `lacks` of `mixed-generations`"),
    ("{rule: mixed-generations, faq: Q10}", "the `faq` of `mixed-generations` lists questions"),
])
def test_malformed_word_expectations_are_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                entry: str, words: str) -> None:
    f = write_tests(tmp_path, f"  - name: x\n    base: ok\n    expect: {{fired: [{entry}]}}\n")
    code, _, err = run(capsys, str(f))
    assert code == 2 and words in err and "help: write e.g." in err
