"""The command line (docs/contract.md §3, §5): exit codes, streams, formats, inputs, and the examples."""
from __future__ import annotations

import copy
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import espolicy
from espolicy.commands import main as cli
from espolicy.output.text import TextFormatter
from espolicy.report import Finding, Report, Summary

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

REG_OK: dict[str, Any] = {
    "kind": "registration",
    "id": "REG-T-0001",
    "registration_date": "2026-04-10",
    "server": {"model": "Express5800/R120h-1M", "serial": "4300123",
               "warranty_start": "2026-03-16", "warranty_years": 1},
    "pack": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3, "purchase_date": "2026-03-16"},
}


def variant(**changes: Any) -> dict[str, Any]:
    """REG_OK with dotted keys replaced, e.g. variant(**{"pack.generation": "ESP"})."""
    doc = copy.deepcopy(REG_OK)
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        target = doc
        for p in parents:
            target = target.setdefault(p, {})
        target[last] = value
    return doc


DENY = variant(id="REG-T-DENY", history=[{"generation": "ESP", "term_years": 3, "registered_on": "2026-03-20"}])
REVIEW = variant(id="REG-T-REVIEW", **{"pack.generation": "ESP"})
WARN = variant(id="REG-T-WARN", registration_date="2026-05-11", **{
    "server.warranty_start": "2025-02-03", "pack.purchase_date": "2026-05-01"})
INVALID = variant(id="REG-T-TYPO", requets={"periodic_maintenance": False})


def write(tmp_path: Path, name: str, doc: Any) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, encoding="utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run(capsys, "validate", "--format", "json", *argv)
    assert "Traceback" not in err
    return code, json.loads(out)


# ---- exit codes and fail levels ----

@pytest.mark.parametrize("doc, fail_on, code", [
    (REG_OK, "deny", 0), (REG_OK, "review", 0), (REG_OK, "warn", 0),
    (DENY, "deny", 1), (DENY, "review", 1), (DENY, "warn", 1),
    (REVIEW, "deny", 0), (REVIEW, "review", 1), (REVIEW, "warn", 1),
    (WARN, "deny", 0), (WARN, "review", 0), (WARN, "warn", 1),
    (INVALID, "deny", 1), (INVALID, "review", 1), (INVALID, "warn", 1),
])
def test_exit_code_by_fail_level(tmp_path, capsys, doc, fail_on, code):
    path = write(tmp_path, "doc.json", doc)
    got, out, err = run(capsys, "validate", "--fail-on", fail_on, path)
    assert got == code, out + err
    assert "Traceback" not in err


def test_default_fail_level_is_deny(tmp_path, capsys):
    assert run(capsys, "validate", write(tmp_path, "r.json", REVIEW))[0] == 0
    assert run(capsys, "validate", write(tmp_path, "d.json", DENY))[0] == 1


def test_outcomes_of_the_test_documents(tmp_path, capsys):
    paths = [write(tmp_path, f"{i}.json", d) for i, d in enumerate([REG_OK, DENY, REVIEW, WARN, INVALID])]
    _, report = run_json(capsys, *paths)
    assert [r["outcome"] for r in report["results"]] == ["allow", "deny", "review", "allow", "invalid"]
    assert any(f["effect"] == "warn" for f in report["results"][3]["findings"])


def test_one_failing_document_fails_the_run(tmp_path, capsys):
    code, _, _ = run(capsys, "validate", write(tmp_path, "a.json", REG_OK), write(tmp_path, "b.json", DENY))
    assert code == 1


def test_missing_path_is_a_usage_error(tmp_path, capsys):
    ok = write(tmp_path, "ok.json", REG_OK)
    code, out, err = run(capsys, "validate", ok, str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "nope.yaml" in err and "Traceback" not in err
    assert out == ""


@pytest.mark.parametrize("argv", [
    ["validate"], ["validate", "--format", "nope", "x"], ["validate", "--fail-on", "info", "x"],
    ["validate", "--lang", "fr", "x"], ["frobnicate"], [],
])
def test_usage_errors_exit_2(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err and "Traceback" not in err


def test_help_and_version(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("validate", "check", "fmt", "test", "explain"):
        assert command in out
    code, out, _ = run(capsys, "--version")
    assert code == 0 and espolicy.__version__ in out


@pytest.mark.parametrize("command", [["fmt", "--check"], ["test"], ["doc"], ["check"],
                                     ["explain", str(EXAMPLES / "registration-ok.yaml")]])
def test_policy_owner_commands_work_on_the_bundled_policy(capsys, command):
    """check, test, fmt, explain and doc are implemented (tests/test_lint.py, test_policytest.py, …)."""
    code, out, err = run(capsys, *command)
    assert code == 0, err
    assert "not implemented" not in err and "Traceback" not in err


# ---- the policy ----

BROKEN_RULE = """\
rule broken-rule {
  for registration
  deny when pack.term_years >
  faq Q6
}
"""


def test_broken_policy_is_exit_2_with_location(tmp_path, capsys):
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "bad.esp").write_text(BROKEN_RULE, encoding="utf-8")
    doc = write(tmp_path, "doc.json", REG_OK)
    code, out, err = run(capsys, "validate", "--policy", str(policy), doc)
    assert code == 2
    assert re.search(r"bad\.esp:\d+:\d+", err), err
    assert "Traceback" not in err and out == ""
    code, out, err = run(capsys, "check", "--policy", str(policy))
    assert code == 2 and re.search(r"bad\.esp:\d+:\d+", err)


def test_empty_policy_folder_is_exit_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "validate", "--policy", str(tmp_path / "empty"), write(tmp_path, "d.json", REG_OK))
    assert code == 2 and err


def test_check_bundled_policy(capsys):
    code, out, err = run(capsys, "check")
    assert code == 0, err
    assert re.fullmatch(r"ok: \d+ rules? in \d+ files? \(policy .+ from .+, sha256:[0-9a-f]{64}\)\n", out), out


# ---- inputs ----

def test_stdin(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(DENY)))
    code, report = run_json(capsys, "-")
    assert code == 1
    assert [r["outcome"] for r in report["results"]] == ["deny"]


def test_stdin_yaml_allow(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO((EXAMPLES / "registration-ok.yaml").read_text(encoding="utf-8")))
    code, out, _ = run(capsys, "validate", "-")
    assert code == 0 and "ALLOW" in out


def test_folder_is_walked_recursively(tmp_path, capsys):
    write(tmp_path, "top.json", REG_OK)
    write(tmp_path, "a/b/c/deep.yaml", DENY)
    write(tmp_path, "a/notes.txt", "not a document")
    code, report = run_json(capsys, str(tmp_path))
    assert code == 1
    assert sorted(r["id"] for r in report["results"]) == ["REG-T-0001", "REG-T-DENY"]
    assert any(r["source"].endswith("deep.yaml") for r in report["results"])


def _hidden_tree(tmp_path: Path) -> None:
    write(tmp_path, "c.yaml", REG_OK)
    write(tmp_path, ".a.yaml", DENY)
    write(tmp_path, ".z.json", DENY)
    write(tmp_path, ".sub/b.yaml", DENY)
    write(tmp_path, ".git/config.yaml", "not a document")
    write(tmp_path, ".pre-commit-config.yaml", "repos: []")
    write(tmp_path, ".gitignore", "*.pyc")


def test_hidden_files_left_out_of_a_folder_are_told_in_one_note(tmp_path, capsys):
    _hidden_tree(tmp_path)
    code, out, err = run(capsys, "validate", "--format", "json", str(tmp_path))
    assert code == 0 and [r["id"] for r in json.loads(out)["results"]] == ["REG-T-0001"]
    a = os.path.join(str(tmp_path), ".a.yaml")
    assert err.splitlines() == [
        f"espolicy validate: note: left out 2 hidden files, the first `{a}` (-v names each hidden file and folder)",
        f"  help: name a hidden file or folder to judge it: `espolicy validate {a}`"]


def test_verbose_names_every_hidden_entry_left_out(tmp_path, capsys):
    _hidden_tree(tmp_path)
    code, out, err = run(capsys, "validate", "-v", "--format", "json", str(tmp_path))
    named = [line.split("`")[1] for line in err.splitlines() if "left out the hidden" in line]
    assert named == [os.path.join(str(tmp_path), n) for n in
                     (".a.yaml", ".git", ".pre-commit-config.yaml", ".sub", ".z.json")]
    assert "left out the hidden folder `" + os.path.join(str(tmp_path), ".sub") + "`" in err
    assert "help: name a hidden file or folder to judge it" in err


def test_a_folder_without_hidden_documents_says_nothing_of_them(tmp_path, capsys):
    write(tmp_path, "c.yaml", REG_OK)
    write(tmp_path, ".git/config.yaml", "not a document")
    write(tmp_path, ".espolicy-waivers.yaml", "waivers: []")
    code, _, err = run(capsys, "validate", "--no-waivers", "--format", "json", str(tmp_path))
    assert code == 0 and "hidden" not in err


def test_hidden_files_and_folders_named_are_judged(tmp_path, capsys):
    _hidden_tree(tmp_path)
    code, report = run_json(capsys, os.path.join(str(tmp_path), ".a.yaml"), os.path.join(str(tmp_path), ".sub"))
    assert code == 1 and [r["outcome"] for r in report["results"]] == ["deny", "deny"]


def test_single_document_source_is_the_path(tmp_path, capsys):
    path = write(tmp_path, "one.yaml", REG_OK)
    _, report = run_json(capsys, path)
    assert report["results"][0]["source"] == path


def test_multi_document_yaml_gives_one_result_each(tmp_path, capsys):
    text = "\n---\n".join(json.dumps(d) for d in (REG_OK, DENY, REVIEW)) + "\n"
    path = write(tmp_path, "multi.yaml", text)
    code, report = run_json(capsys, path)
    assert code == 1
    results = report["results"]
    assert [r["outcome"] for r in results] == ["allow", "deny", "review"]
    lines = []
    for r in results:
        file, _, line = r["source"].rpartition(":")
        assert file == path and line.isdigit(), r["source"]
        lines.append(int(line))
    assert lines == sorted(lines) and len(set(lines)) == 3
    assert report["summary"]["documents"] == 3


def test_jsonl_broken_line_is_invalid_and_the_rest_run(tmp_path, capsys):
    text = json.dumps(REG_OK) + "\n" + '{"kind": "registration", "id": \n' + json.dumps(DENY) + "\n"
    path = write(tmp_path, "batch.jsonl", text)
    code, report = run_json(capsys, path)
    assert code == 1
    assert [r["outcome"] for r in report["results"]] == ["allow", "invalid", "deny"]
    assert [r["source"] for r in report["results"]] == [f"{path}:1", f"{path}:2", f"{path}:3"]
    assert report["results"][1]["findings"][0]["effect"] == "error"


def test_unparsable_yaml_is_invalid_not_a_crash(tmp_path, capsys):
    path = write(tmp_path, "bad.yaml", "kind: registration\nid: [unclosed\n")
    code, out, err = run(capsys, "validate", path)
    assert code == 1 and "INVALID" in out and "Traceback" not in err


# ---- JSON format ----

def test_json_report_matches_the_contract(tmp_path, capsys):
    paths = [write(tmp_path, f"{i}.json", d) for i, d in enumerate([REG_OK, DENY, REVIEW, INVALID])]
    code, out, err = run(capsys, "validate", "--format", "json", *paths)
    assert code == 1
    report = json.loads(out)
    assert list(report) == ["policy", "references", "results", "summary"]
    assert list(report["policy"]) == ["name", "digest"]
    assert report["policy"]["digest"].startswith("sha256:")
    for r in report["results"]:
        # the contract's fields, then the evaluation date the result was judged on (`today`)
        assert list(r) == ["source", "id", "kind", "outcome", "findings", "facts", "today"]
        assert len(r["today"]) == 10 and r["today"][4] == "-"
        for f in r["findings"]:
            assert list(f)[:6] == ["rule", "effect", "faq", "message", "advice", "path"]
            assert set(f["message"]) == {"en", "ja"}
    assert report["summary"] == {"documents": 4, "allow": 1, "deny": 1, "review": 1, "invalid": 1}
    assert report["results"][1]["facts"]["service_last_day"] == "2029-03-15"
    # streamed output: an indented frame, one compact line per result
    lines = out.splitlines()
    assert lines[0] == "{" and lines[-1] == "}" and '  "results": [' in lines
    results = [line.strip().rstrip(",") for line in lines if line.startswith('    {"source": ')]
    assert [json.loads(r) for r in results] == report["results"]


def test_json_with_no_documents(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, out, _ = run(capsys, "validate", "--format", "json", str(tmp_path / "empty"))
    assert code == 0
    report = json.loads(out)
    assert report["results"] == [] and report["summary"]["documents"] == 0
    assert out == json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def test_json_is_deterministic(capsys):
    first = run(capsys, "validate", "--format", "json", str(EXAMPLES))
    second = run(capsys, "validate", "--format", "json", str(EXAMPLES))
    assert first[1] and first[1].encode() == second[1].encode()
    assert first[0] == second[0] == 1


# ---- text format ----

def test_text_report_layout(tmp_path, capsys):
    path = write(tmp_path, "d.json", DENY)
    code, out, _ = run(capsys, "validate", path)
    lines = out.splitlines()
    assert lines[0] == f"{path}  REG-T-DENY  registration  DENY"
    assert re.match(r"  deny  \[Q10,Q11\]  \S+  /history/0/generation", lines[1]), out
    assert any(line.startswith("      → ") for line in lines)
    assert any(line.startswith("  facts: ") and "service_last_day=2029-03-15" in line for line in lines)
    assert lines[-1] == "1 document: 1 deny"
    assert "\x1b[" not in out  # not a terminal: no colour


def test_text_summary_counts(tmp_path, capsys):
    paths = [write(tmp_path, f"{i}.json", d) for i, d in enumerate([REG_OK, REG_OK, DENY, REVIEW, INVALID])]
    _, out, _ = run(capsys, "validate", *paths)
    assert out.splitlines()[-1] == "5 documents: 2 allow, 1 deny, 1 review, 1 invalid"
    _, out, _ = run(capsys, "validate", "--lang", "ja", *paths)
    assert out.splitlines()[-1] == "5 件: 許可 2、拒否 1、要確認 1、無効 1"


def test_lang_ja(tmp_path, capsys):
    path = write(tmp_path, "d.json", DENY)
    _, en, _ = run(capsys, "validate", path)
    _, ja, _ = run(capsys, "validate", "--lang", "ja", path)
    assert not JAPANESE.search(en)
    message_lines = [line for line in ja.splitlines() if line.startswith("      ")]
    assert message_lines and all(JAPANESE.search(line) for line in message_lines)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _one_report() -> Report:
    finding = Finding("r", "deny", ["Q2"], {"en": "no", "ja": "不可"}, None, "/requests/periodic_maintenance")
    return Report("deny", [finding], {}, "X-1", "registration", "x.yaml")


@pytest.mark.parametrize("no_color, coloured", [(None, True), ("1", False)])
def test_colour_only_on_a_terminal_without_no_color(monkeypatch, no_color, coloured):
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    stream = _Tty()
    fmt = TextFormatter(stream, "en")
    fmt.start({"name": "p", "digest": "sha256:0"})
    fmt.result(_one_report())
    summary = Summary()
    summary.add(_one_report())
    fmt.end(summary)
    assert ("\x1b[" in stream.getvalue()) is coloured
    assert "DENY" in stream.getvalue()


# ---- the bundled examples ----

EXPECTED = {
    "REG-2026-0001": "allow",      # registration-ok.yaml
    "REG-2026-0002": "deny",       # registration-mixed-generations.yaml
    "REG-2026-0003": "allow",      # registration-after-warranty.yaml
    "REG-2026-0004": "review",     # registration-esp-earlier-product.yaml
    "REG-2026-0005": "invalid",    # registration-typo.yaml
    "CHG-2026-0001": "allow",      # change-site.yaml
    "CHG-2026-0002": "deny",       # change-term.yaml
    "SRV-2026-0001": "allow",      # service-saturday.yaml
    "SRV-2026-0101": "allow",      # service-batch.jsonl: weekday, in hours
    "SRV-2026-0102": "allow",      # Marine Day (Monday), in hours
    "SRV-2026-0103": "allow",      # 24x365 on a Sunday night
    "SRV-2026-0104": "deny",       # UPS battery
    "SRV-2026-0105": "deny",       # no registration yet
    "REG-2026-0101": "allow",      # registrations-multi.yaml
    "REG-2026-0102": "deny",
    "REG-2026-0103": "deny",
}


@pytest.fixture(scope="module")
def examples_report() -> dict[str, Any]:
    out = io.StringIO()
    real = sys.stdout
    sys.stdout = out
    try:
        code = cli.main(["validate", "--format", "json", str(EXAMPLES)])
    finally:
        sys.stdout = real
    assert code == 1
    return json.loads(out.getvalue())


def _by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in report["results"]}


def _fired(result: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["effect"], q) for f in result["findings"] for q in f["faq"]}


def test_examples_outcomes(examples_report):
    assert {i: r["outcome"] for i, r in _by_id(examples_report).items()} == EXPECTED
    assert examples_report["summary"] == {"documents": 16, "allow": 8, "deny": 6, "review": 1, "invalid": 1}


def test_examples_findings(examples_report):
    r = _by_id(examples_report)
    assert {("deny", "Q10"), ("deny", "Q11")} <= _fired(r["REG-2026-0002"])
    assert ("warn", "Q1") in _fired(r["REG-2026-0003"])
    assert ("review", "Q17") in _fired(r["REG-2026-0004"])
    assert ("info", "Q4") in _fired(r["CHG-2026-0001"])
    assert r["CHG-2026-0001"]["facts"]["registration_center_next_open"] == "2026-05-07"
    assert ("deny", "Q8") in _fired(r["CHG-2026-0002"])
    assert ("warn", "Q3") in _fired(r["SRV-2026-0001"])
    assert r["SRV-2026-0001"]["facts"]["next_service_window"] == "2026-05-11T08:30:00+09:00"
    assert ("info", "Q3") in _fired(r["SRV-2026-0102"])
    assert ("deny", "Q16") in _fired(r["SRV-2026-0104"])
    assert ("deny", "Q14") in _fired(r["SRV-2026-0105"])
    assert r["SRV-2026-0105"]["facts"]["route"] == "warranty"
    assert ("deny", "Q2") in _fired(r["REG-2026-0102"])
    assert ("deny", "Q12") in _fired(r["REG-2026-0103"])
    typo = r["REG-2026-0005"]["findings"]
    assert any("requests" in f["message"]["en"] for f in typo), typo


def test_examples_sources(examples_report):
    sources = {r["id"]: r["source"] for r in examples_report["results"]}
    assert sources["REG-2026-0001"] == str(EXAMPLES / "registration-ok.yaml")
    assert sources["SRV-2026-0103"] == str(EXAMPLES / "service-batch.jsonl") + ":3"
    assert re.fullmatch(re.escape(str(EXAMPLES / "registrations-multi.yaml")) + r":\d+", sources["REG-2026-0102"])


def test_module_entry_point_from_another_cwd(tmp_path):
    env = dict(os.environ)
    package_root = str(Path(espolicy.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    env.pop("NO_COLOR", None)
    proc = subprocess.run([sys.executable, "-m", "espolicy", "validate", str(EXAMPLES)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("16 documents:")
    assert "Traceback" not in proc.stderr


def test_a_folder_without_documents_warns_and_passes(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not a document")
    code, out, err = run(capsys, "validate", str(tmp_path))
    assert code == 0 and "0 documents" in out
    assert "warning: no .yaml, .yml, .json or .jsonl files" in err
