"""Determinism and concurrency: the same input gives byte-identical JSON, run after run and
with `-j`; `Policy.validate` from 8 threads at once gives what it gives serially; a pickled policy
judges alike.
"""
from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

import espolicy
from documents import generated_documents as documents
from espolicy.commands.main import main
from espolicy.engine.policy import load_policy

REPO = Path(__file__).resolve().parent.parent




@pytest.fixture(scope="module")
def docs() -> list[dict[str, Any]]:
    return documents(400)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, docs: list[dict[str, Any]]) -> Path:
    """A folder of YAML examples, a JSON Lines file of 600 documents (more than one chunk of
    `-j`) and a few hostile files."""
    root = tmp_path_factory.mktemp("batch")
    for path in (REPO / "examples").iterdir():
        (root / path.name).write_bytes(path.read_bytes())
    lines = [json.dumps(d, ensure_ascii=False) for d in documents(600, seed=9)]
    (root / "many.jsonl").write_text("\n".join(lines[:300] + ["{broken", "[" * 5000] + lines[300:]) + "\n",
                                     encoding="utf-8")
    (root / "bomb.yaml").write_text("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}" if i > 1 else "*a"] * 10) + "]\n" for i in range(1, 8)))
    (root / "deep.json").write_text("[" * 10_000 + "]" * 10_000)
    (root / "empty.yaml").write_text("")
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, bytes]:
    code = main(["validate", *args])
    out = capsys.readouterr().out
    return code, out.encode("utf-8")


def test_json_output_is_byte_identical_run_after_run(capsys: pytest.CaptureFixture[str], batch: Path) -> None:
    first = run(capsys, "--format", "json", str(batch))
    second = run(capsys, "--format", "json", str(batch))
    assert first == second
    report = json.loads(first[1])
    assert report["summary"]["documents"] == len(report["results"]) > 600


def test_json_output_with_jobs_is_byte_identical(capsys: pytest.CaptureFixture[str], batch: Path) -> None:
    serial = run(capsys, "--format", "json", str(batch))
    parallel = run(capsys, "--format", "json", "-j", "2", str(batch))
    assert serial == parallel


def test_validate_from_eight_threads_matches_serial(docs: list[dict[str, Any]]) -> None:
    policy = load_policy()
    serial = [policy.validate(d).to_dict() for d in docs]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):   # several rounds: interleavings differ
            threaded = list(pool.map(lambda d: policy.validate(d).to_dict(), docs))
            assert threaded == serial
    outcomes = {r["outcome"] for r in serial}
    assert outcomes == {"allow", "deny", "review", "invalid"}, outcomes


# Run in a fresh interpreter with the compiled-policy cache off, so that nothing is warm: the
# parser, the holiday calendar and the compiled schemas are all built while eight threads, released
# together by a barrier, judge their first documents.
_FIRST_USE = """
import json, sys, threading
from espolicy import load_policy
docs = json.load(sys.stdin)
policy = load_policy()
barrier = threading.Barrier(8)
results = [None] * 8
def work(n):
    barrier.wait()
    results[n] = [json.dumps(policy.validate(d).to_dict(), ensure_ascii=False) for d in docs[n::8]]
threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
for t in threads: t.start()
for t in threads: t.join()
merged = [None] * len(docs)
for n in range(8):
    merged[n::8] = results[n]
json.dump(merged, sys.stdout)
"""


def test_first_use_from_eight_threads_at_once(docs: list[dict[str, Any]]) -> None:
    """A policy whose caches are all cold, used from 8 threads released at the same instant,
    gives what a warm policy gives serially."""
    env = {**os.environ, "ESPOLICY_CACHE_DIR": "off"}
    done = subprocess.run([sys.executable, "-c", _FIRST_USE], input=json.dumps(docs), capture_output=True,
                          text=True, env=env, check=True)
    serial_policy = load_policy()
    assert json.loads(done.stdout) == [json.dumps(serial_policy.validate(d).to_dict(), ensure_ascii=False)
                                       for d in docs]


def test_a_pickled_policy_gives_identical_reports(docs: list[dict[str, Any]]) -> None:
    policy = espolicy.default_policy()
    copy = pickle.loads(pickle.dumps(policy))
    assert copy.info() == policy.info()
    for doc in docs:
        assert copy.validate(doc).to_dict() == policy.validate(doc).to_dict()


def test_the_same_document_twice_gives_the_same_report(docs: list[dict[str, Any]]) -> None:
    policy = espolicy.default_policy()
    for doc in docs[:100]:
        first = json.dumps(policy.validate(doc).to_dict(), ensure_ascii=False)
        assert json.dumps(policy.validate(json.loads(json.dumps(doc))).to_dict(), ensure_ascii=False) == first
