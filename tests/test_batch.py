"""Big batches and selection: -j gives byte-identical output and the same exit codes, --quiet,
--summary-only, --max-findings, --include/--exclude, --kind, the progress bar, and the pipeline
files (pre-commit hook, GitHub Actions workflow)."""
from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, strategies as st

import espolicy
from espolicy.documents import loader
from espolicy.engine import batch
from espolicy.commands import main as cli
from espolicy.engine.batch import BatchOptions, Verdict, documents, limit, reports
from espolicy.engine.progress import Progress, wanted
from espolicy.report import Finding, Summary

REPO = Path(__file__).resolve().parent.parent

REG_OK: dict[str, Any] = {
    "kind": "registration", "id": "REG-J-0", "registration_date": "2026-04-10",
    "server": {"model": "Express5800/R120h-1M", "serial": "4300123", "warranty_start": "2026-03-16",
               "warranty_years": 1},
    "pack": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3, "purchase_date": "2026-03-16"},
}
DENY = dict(copy.deepcopy(REG_OK), history=[{"generation": "ESP", "term_years": 3, "registered_on": "2026-03-20"}])
REVIEW = copy.deepcopy(REG_OK)
REVIEW["pack"]["generation"] = "ESP"
WARN = copy.deepcopy(REG_OK)
WARN.update(registration_date="2026-05-11")
WARN["server"]["warranty_start"] = "2025-02-03"
WARN["pack"]["purchase_date"] = "2026-05-01"
INVALID = dict(copy.deepcopy(REG_OK), requets={"periodic_maintenance": False})
SERVICE = {"kind": "service_request", "id": "SRV-J-0", "requested_at": "2026-06-10T09:00:00+09:00",
           "server": {"serial": "4300123", "warranty_start": "2025-04-01", "warranty_years": 1},
           "registration": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3,
                            "registered_on": "2025-04-20"},
           "service": {"type": "part_replacement", "part": "ups_battery"}}
CHANGE = {"kind": "change_request", "id": "CHG-J-0", "request_date": "2026-06-01",
          "registration": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3,
                           "server_serial": "4300123", "warranty_start": "2025-04-01", "registered_on": "2025-04-20"},
          "change": {"type": "term", "to": 5}}
CYCLE = [REG_OK, DENY, REVIEW, WARN, INVALID, SERVICE, CHANGE]


def numbered(doc: dict[str, Any], n: int) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc["id"] = f"{doc['id'].rsplit('-', 1)[0]}-{n}"
    return doc


@pytest.fixture
def big(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """More than two chunks of documents (so -j really starts processes), YAML files after the
    JSON Lines file (so YAML documents are judged by workers too), a broken line, a missing field."""
    monkeypatch.chdir(tmp_path)
    lines = []
    for n in range(700):
        if n % 97 == 50:
            lines.append('{"kind": "registration", "id": ')
        else:
            lines.append(json.dumps(numbered(CYCLE[n % len(CYCLE)], n)))
    Path("batch.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    Path("yaml").mkdir()
    missing = copy.deepcopy(DENY)
    del missing["server"]["serial"]
    for n, doc in enumerate([DENY, REVIEW, missing]):
        Path(f"yaml/{n}.yaml").write_text(yaml.safe_dump(numbered(doc, 1000 + n), sort_keys=False))
    Path("yaml/multi.yaml").write_text("---\n".join(yaml.safe_dump(numbered(d, 2000 + i), sort_keys=False)
                                                    for i, d in enumerate([WARN, DENY])))
    return ["batch.jsonl", "yaml"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["validate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- -j

@pytest.mark.parametrize("fmt", ["json", "jsonl", "sarif", "junit", "github", "gitlab", "text"])
def test_jobs_give_byte_identical_output(big, capsys, fmt) -> None:
    code1, out1, err1 = run(capsys, "--format", fmt, "-j", "1", *big)
    code2, out2, err2 = run(capsys, "--format", fmt, "-j", "2", *big)
    assert out1 and out1.encode() == out2.encode()
    assert code1 == code2 == 1
    assert "Traceback" not in err1 + err2
    if fmt == "json":
        report = json.loads(out1)
        assert report["summary"]["documents"] == 705
        yaml_deny = next(r for r in report["results"] if r["source"] == "yaml/0.yaml")
        assert yaml_deny["findings"][0]["line"] >= 1          # YAML positions placed with -j too


@pytest.mark.parametrize("fail_on", ["deny", "review", "warn"])
@pytest.mark.parametrize("doc, expected", [(REG_OK, (0, 0, 0)), (DENY, (1, 1, 1)), (REVIEW, (0, 1, 1)),
                                           (WARN, (0, 0, 1)), (INVALID, (1, 1, 1))])
def test_exit_codes_with_jobs(tmp_path, capsys, fail_on, doc, expected) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text("\n".join(json.dumps(REG_OK) for _ in range(600)) + "\n" + json.dumps(doc) + "\n")
    want = expected[("deny", "review", "warn").index(fail_on)]
    for jobs in ("1", "2", "auto"):
        assert run(capsys, "--quiet", "--fail-on", fail_on, "-j", jobs, str(path))[0] == want


def test_small_batches_do_not_start_processes(tmp_path, capsys, monkeypatch) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps(DENY))
    monkeypatch.setattr(batch, "_context", lambda: pytest.fail("a pool was started for one document"))
    assert run(capsys, "-j", "4", str(path))[0] == 1


def test_parallel_reports_in_input_order_with_tiny_chunks(big) -> None:
    policy = espolicy.default_policy()
    serial = list(reports(policy, documents(big), BatchOptions(jobs=1)))
    parallel = list(reports(policy, documents(big, blocks=True), BatchOptions(jobs=2, chunk=7)))
    assert [r.to_dict() for r in parallel] == [r.to_dict() for r in serial]
    assert [r.file for r in parallel] == [r.file for r in serial]
    verdicts = list(reports(policy, documents(big, blocks=True), BatchOptions(jobs=2, chunk=50, reports=False)))
    assert all(isinstance(v, Verdict) for v in verdicts)
    assert [v.outcome for v in verdicts] == [r.outcome for r in serial]


_VERDICTS = st.lists(st.one_of(
    st.none(),   # a document of another kind (--kind): skipped
    st.tuples(st.sampled_from(["allow", "deny", "review", "invalid"]), st.booleans(),
              st.lists(st.integers(0, 5), max_size=3).map(tuple), st.lists(st.integers(0, 5), max_size=2).map(tuple)),
    st.tuples(st.sampled_from(["allow", "deny", "review", "invalid"]), st.booleans(),
              st.lists(st.integers(0, 5), max_size=3).map(tuple), st.lists(st.integers(0, 5), max_size=2).map(tuple),
              st.sampled_from(["", "a\n", "{\"b\": 1}"]))), max_size=40)


@given(_VERDICTS, st.sampled_from(["", ",\n    ", ",\n"]))
def test_a_tally_counts_what_its_verdicts_count(verdicts, separator) -> None:
    """A worker's Tally of a block counts, fails and writes exactly what its verdicts one by one do."""
    one_by_one, at_once = Summary(waivers=True), Summary(waivers=True)
    for verdict in verdicts:
        if verdict is not None:
            one_by_one.add(Verdict(*verdict))
    tally = batch._tallied(list(verdicts), separator)
    at_once.add_tally(tally)
    assert at_once == one_by_one
    assert tally.failing == any(v[1] for v in verdicts if v is not None)
    texts = [v[4] for v in verdicts if v is not None and len(v) > 4 and v[4]]
    assert tally.text == (separator.join(texts) if texts else None)
    assert tally.documents == sum(v is not None for v in verdicts)


def test_results_that_are_reports_are_not_tallied() -> None:
    report = espolicy.default_policy().validate(REG_OK)
    assert batch._tallied([("allow", False, (), ()), report], "") == [("allow", False, (), ()), report]


_JUDGE_CHUNK = batch._judge_chunk
_JUDGE_PAYLOAD = batch._judge_payload


def _slow_worker(payload: Any) -> Any:
    """A worker's judging, slowed down (module level: a worker started by spawn finds it by name)."""
    import time
    time.sleep(0.2)
    return _JUDGE_CHUNK(payload)


def test_slow_workers_keep_every_report_in_order(big, monkeypatch) -> None:
    """Workers slowed down (as on a busy machine), many chunks in flight: the reports are still
    every report, in input order, and only the workers judged (the parent reads and writes)."""
    policy = espolicy.default_policy()
    serial = list(reports(policy, documents(big), BatchOptions(jobs=1)))
    in_parent = []

    def counted(policy, payload, options):   # judging in this (the parent) process
        in_parent.append(len(payload))
        return _JUDGE_PAYLOAD(policy, payload, options)

    monkeypatch.setattr(batch, "_judge_chunk", _slow_worker)
    monkeypatch.setattr(loader, "_BLOCK", 512)   # many small blocks: many chunks in flight
    monkeypatch.setattr(batch, "_judge_payload", counted)
    parallel = list(reports(policy, documents(big, blocks=True), BatchOptions(jobs=2, chunk=7)))
    assert in_parent == []
    assert [r.to_dict() for r in parallel] == [r.to_dict() for r in serial]


def test_spawned_workers_give_the_same_reports(big, monkeypatch) -> None:
    """Where processes cannot be forked they are spawned: the policy and the options are pickled
    to each worker once, and the reports are still every report, in order."""
    import multiprocessing
    monkeypatch.setattr(batch, "_context", lambda: multiprocessing.get_context("spawn"))
    policy = espolicy.default_policy()
    serial = list(reports(policy, documents(big), BatchOptions(jobs=1)))
    parallel = list(reports(policy, documents(big, blocks=True), BatchOptions(jobs=2, chunk=50)))
    assert [r.to_dict() for r in parallel] == [r.to_dict() for r in serial]


def _failing_worker(payload: Any) -> Any:
    raise ValueError("a bug in a worker")


def _dying_worker(payload: Any) -> Any:
    import os
    os._exit(3)


def test_a_workers_error_is_raised_in_the_parent(big, monkeypatch) -> None:
    monkeypatch.setattr(batch, "_judge_chunk", _failing_worker)
    with pytest.raises(ValueError, match="a bug in a worker"):
        list(reports(espolicy.default_policy(), documents(big, blocks=True), BatchOptions(jobs=2, chunk=7)))


def test_a_worker_that_dies_is_an_error_not_a_wait(big, monkeypatch) -> None:
    """A worker killed in the middle (out of memory, a signal) stops the run with an error naming
    it; nothing is waited for forever and no report is made up."""
    monkeypatch.setattr(batch, "_judge_chunk", _dying_worker)
    with pytest.raises(batch.WorkerDied, match="exit code 3"):
        list(reports(espolicy.default_policy(), documents(big, blocks=True), BatchOptions(jobs=2, chunk=7)))


@pytest.mark.parametrize("value", ["0", "-1", "many", ""])
def test_bad_jobs_is_a_usage_error(capsys, value) -> None:
    code, out, err = run(capsys, "-j", value, "examples")
    assert code == 2 and out == "" and "Traceback" not in err


# ---------------------------------------------------------------- quiet, summary-only, max-findings

def test_quiet_prints_only_the_summary(big, capsys) -> None:
    code, out, err = run(capsys, "--quiet", *big)
    assert code == 1
    assert re.fullmatch(r"705 documents: \d+ allow, \d+ deny, \d+ review, \d+ invalid\n", out), out
    assert err == ""
    code, out, _ = run(capsys, "-q", "--format", "jsonl", *big)
    [line] = out.splitlines()
    assert json.loads(line)["summary"]["documents"] == 705


def test_summary_only_keeps_the_report_shape(big, capsys) -> None:
    _, full, _ = run(capsys, "--format", "json", *big)
    code, out, _ = run(capsys, "--format", "json", "--summary-only", *big)
    report = json.loads(out)
    assert code == 1
    assert report["results"] == [] and report["summary"] == json.loads(full)["summary"]
    assert list(report) == ["policy", "references", "results", "summary"]
    _, text, _ = run(capsys, "--summary-only", *big)
    assert len(text.splitlines()) == 1


def test_max_findings(tmp_path, capsys) -> None:
    doc = copy.deepcopy(DENY)
    doc["requests"] = {"periodic_maintenance": True, "express_notification_24x365": True}
    path = tmp_path / "many.json"
    path.write_text(json.dumps(doc))
    full = json.loads(run(capsys, "--format", "json", str(path))[1])["results"][0]
    assert len(full["findings"]) >= 3
    one = json.loads(run(capsys, "--format", "json", "--max-findings", "1", str(path))[1])["results"][0]
    assert len(one["findings"]) == 1 and one["findings"][0]["effect"] == "deny"
    assert one["outcome"] == full["outcome"] and one["facts"] == full["facts"]
    none = json.loads(run(capsys, "--format", "json", "--max-findings", "0", str(path))[1])["results"][0]
    assert none["findings"] == [] and none["outcome"] == "deny"
    assert run(capsys, "--max-findings", "-2", str(path))[0] == 2


def test_limit_keeps_the_most_severe_first() -> None:
    f = [Finding(str(i), e, [], {"en": ""}, None, "") for i, e in enumerate(["info", "warn", "deny", "error", "deny"])]
    assert [x.rule for x in limit(f, 3)] == ["3", "2", "4"]
    assert limit(f, 5) is f and limit(f, None) is f


# ---------------------------------------------------------------- selection

@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name, doc in {"regs/a.yaml": REG_OK, "regs/b.json": DENY, "regs/drafts/c.yaml": INVALID,
                      "regs/drafts/deep/d.yaml": INVALID, "regs/service/s.jsonl": SERVICE,
                      "regs/change.yml": CHANGE}.items():
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text(json.dumps(doc))
    return tmp_path


def sources(capsys, *argv: str) -> list[str]:
    code, out, err = run(capsys, "--format", "json", *argv)
    assert code in (0, 1), err
    return [r["source"] for r in json.loads(out)["results"]]


def test_include_and_exclude(tree, capsys) -> None:
    everything = sources(capsys, "regs")
    assert len(everything) == 6
    assert sources(capsys, "--exclude", "drafts", "regs") == ["regs/a.yaml", "regs/b.json", "regs/change.yml",
                                                              "regs/service/s.jsonl:1"]
    assert sources(capsys, "--include", "*.yaml", "regs") == ["regs/a.yaml", "regs/drafts/c.yaml",
                                                              "regs/drafts/deep/d.yaml"]
    assert sources(capsys, "--include", "*.yaml", "--include", "*.yml", "--exclude", "drafts/*", "regs") == [
        "regs/a.yaml", "regs/change.yml"]
    assert sources(capsys, "--include", "**/deep/*.yaml", "regs") == ["regs/drafts/deep/d.yaml"]
    assert sources(capsys, "--include", "service/*", "regs") == ["regs/service/s.jsonl:1"]
    # a file named on the command line is always read
    assert sources(capsys, "--exclude", "*.json", "regs/b.json") == ["regs/b.json"]


def test_kind(tree, capsys) -> None:
    code, out, _ = run(capsys, "--format", "json", "--kind", "registration", "regs")
    report = json.loads(out)
    assert {r["kind"] for r in report["results"]} == {"registration"}
    assert report["summary"]["documents"] == 4       # other kinds are not counted
    both = sources(capsys, "--kind", "service_request", "--kind", "change_request", "regs")
    assert both == ["regs/change.yml", "regs/service/s.jsonl:1"]
    Path("regs/odd.json").write_text(json.dumps({"kind": "registation", "id": "X"}))
    Path("regs/broken.json").write_text("{")
    kept = sources(capsys, "--kind", "service_request", "regs")
    assert kept == ["regs/broken.json", "regs/odd.json", "regs/service/s.jsonl:1"]   # never silently skipped
    assert sources(capsys, "--kind", "service_request", "-j", "2", "regs") == kept


def test_unknown_kind_is_a_usage_error(tree, capsys) -> None:
    code, out, err = run(capsys, "--kind", "registrations", "regs")
    assert code == 2 and out == "" and "registration" in err


# ---------------------------------------------------------------- progress

class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal(monkeypatch) -> None:
    assert not wanted(io.StringIO())
    assert wanted(Terminal())
    monkeypatch.setenv("NO_PROGRESS", "1")
    assert not wanted(Terminal())


def test_progress_bar_draws_and_erases(tmp_path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text("\n".join(json.dumps(REG_OK) for _ in range(10_000)) + "\n")
    stream = Terminal()
    progress = Progress(stream, [str(path), str(path)])
    progress.file(str(path))
    progress.read(f"{path}:5000")
    for _ in range(5000):
        progress.done()
    assert stream.getvalue() == ""              # not before a second has passed
    progress.draw()
    drawn = stream.getvalue()
    assert re.search(r"\[#{4,8}-+\]\s+2[0-9]%  5,000 documents  .*file 1/2", drawn), drawn
    progress.close()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_progress_counts_a_block_of_documents_at_once(tmp_path) -> None:
    """A worker's block of verdicts is counted in one step, and still draws the bar."""
    path = tmp_path / "b.jsonl"
    path.write_text("\n".join(json.dumps(REG_OK) for _ in range(1_000)) + "\n")
    stream = Terminal()
    progress = Progress(stream, [str(path)])
    progress.file(str(path))
    progress.started -= 60   # as if the batch had been running for a minute
    progress.done(300)
    assert "300 documents" in stream.getvalue()
    progress.done(10)        # not past another multiple of 32: not drawn again
    assert "310 documents" not in stream.getvalue()


def test_no_progress_when_stderr_is_not_a_terminal(big, capsys) -> None:
    _, _, err = run(capsys, "--format", "json", *big)
    assert err == ""


# ---------------------------------------------------------------- pipelines

def test_pre_commit_hook() -> None:
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "espolicy-validate"
    assert hook["entry"] == "espolicy validate --skip-tool-configs"
    assert hook["language"] == "python"
    files = re.compile(hook["files"])
    for name in ("regs/a.yaml", "b.yml", "c.json", "d.jsonl", "X.YAML"):
        assert files.search(name), name
    for name in ("a.txt", "yaml", "a.yaml.bak", "policy/x.esp"):
        assert not files.search(name), name


def test_github_actions_workflow_is_documented() -> None:
    text = (REPO / "docs" / "github-actions.md").read_text()
    with_action, with_cli = (yaml.safe_load(w) for w in re.findall(r"```yaml\n(.*?)```", text, re.S)[:2])
    steps = [s for job in with_action["jobs"].values() for s in job["steps"]]
    action = [s for s in steps if str(s.get("uses", "")).startswith("OWNER/espolicy@")]
    assert action and set(action[0]["with"]) <= set(yaml.safe_load((REPO / "action.yml").read_text())["inputs"])
    upload = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif")]
    assert upload[0]["with"]["sarif_file"] == "${{ steps.%s.outputs.sarif-file }}" % action[0]["id"]
    steps = [s for job in with_cli["jobs"].values() for s in job["steps"]]
    assert any("espolicy validate" in s.get("run", "") and "--format sarif" in s.get("run", "") for s in steps)
    upload = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif")]
    assert upload and upload[0]["with"]["sarif_file"]
    for spec in (with_action, with_cli):
        assert spec["jobs"][next(iter(spec["jobs"]))]["permissions"]["security-events"] == "write"


def test_max_documents(tmp_path, capsys) -> None:
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(json.dumps(REG_OK) for _ in range(30)) + "\n")
    for jobs in ("1", "2"):
        report = json.loads(run(capsys, "--format", "json", "--max-documents", "10", "-j", jobs, str(path))[1])
        assert report["summary"]["documents"] == 11                 # 10, then the one that says so
        assert report["results"][-1]["findings"][0]["rule"] == "too-many-documents"
    assert run(capsys, "--max-documents", "0", str(path))[0] == 2
