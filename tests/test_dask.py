"""espolicy.dask on a real distributed.LocalCluster of two worker processes: the same results as
`espolicy validate`, written as JSON Lines or Parquet partitions, a DataFrame column judged, the
policy compiled once per worker, and a worker killed in the middle of a run losing nothing."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

import dask.dataframe as dd
import pandas as pd
from distributed import Client, LocalCluster

import espolicy
from documents import generated_documents as documents
from espolicy import dask as on_dask
from espolicy.commands.main import main

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six JSON Lines files of generated documents (one with broken lines) and the YAML examples."""
    root = tmp_path_factory.mktemp("corpus")
    docs = documents(1200, seed=11)
    for n in range(6):
        lines = [json.dumps(d, ensure_ascii=False) for d in docs[n * 200:(n + 1) * 200]]
        if n == 3:
            lines[5:5] = ["{broken", "[1, 2]"]
        (root / f"part{n}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for path in (REPO / "examples").iterdir():
        (root / path.name).write_bytes(path.read_bytes())
    return root


def cli_lines(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(["validate", "--format", "jsonl", *args])
    lines = capsys.readouterr().out.splitlines(keepends=True)
    assert json.loads(lines[-1]).keys() == {"summary", "references"}
    return code, lines


def test_results_equal_the_command_line(client: Client, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, expected = cli_lines(capsys, str(corpus))
    got = on_dask.validate_files([str(corpus)], espolicy.default_policy()).compute()
    assert sorted(got) == sorted(expected[:-1])
    assert len(got) == 1200 + 2 + 16


def test_fsspec_urls_give_the_same_results(client: Client, corpus: Path) -> None:
    policy = espolicy.default_policy()
    local = on_dask.validate_files([str(corpus / "part0.jsonl")], policy).compute()
    url = on_dask.validate_files([f"file://{corpus / 'part0.jsonl'}"], policy).compute()
    strip = [json.dumps({**json.loads(x), "source": None}) for x in local]
    assert [json.dumps({**json.loads(x), "source": None}) for x in url] == strip
    assert all(json.loads(x)["source"].startswith("file://") for x in url)


def test_fsspec_urls_say_the_same_of_bytes_that_are_not_utf8(client: Client, tmp_path: Path) -> None:
    policy = espolicy.default_policy()
    (tmp_path / "latin1.yaml").write_bytes(b"kind: registration\nid: caf\xe9\n")
    local = on_dask.validate_files([str(tmp_path / "latin1.yaml")], policy).compute()
    url = on_dask.validate_files([f"file://{tmp_path / 'latin1.yaml'}"], policy).compute()
    [message] = [[f["message"] for f in json.loads(x)["findings"]] for x in url]
    assert message == [f["message"] for f in json.loads(local[0])["findings"]]
    assert "the file is not UTF-8 text: invalid byte 0xe9 at byte offset 26" in message[0]["en"]


def test_cli_writes_partitions_and_summary(client: Client, corpus: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, expected = cli_lines(capsys, str(corpus))
    address = client.scheduler.address
    out = tmp_path / "out"
    assert main(["validate", "--dask", address, "--output", str(out), "--quiet", str(corpus)]) == code == 1
    text = capsys.readouterr()
    parts = sorted(out.glob("part-*.jsonl"))
    assert len(parts) == len(list(corpus.iterdir()))
    written = [line for p in parts for line in p.read_text(encoding="utf-8").splitlines(keepends=True)]
    assert sorted(written) == sorted(expected[:-1])
    assert json.loads((out / "_summary.json").read_text()) == json.loads(expected[-1])
    assert text.out.strip().endswith("1218 documents: " + text.out.strip().split("1218 documents: ")[1])


def test_on_dask_hidden_files_left_out_are_told_as_on_the_command_line(client: Client, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("a.yaml", ".b.yaml", ".sub/c.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("kind: registration\n", encoding="utf-8")
    told = []
    for extra in ([], ["--dask", client.scheduler.address]):
        main(["validate", "--format", "jsonl", *extra, str(tmp_path)])
        told.append([line for line in capsys.readouterr().err.splitlines() if "hidden" in line])
    assert told[0] == told[1] and len(told[1]) == 2
    assert f"left out 1 hidden file, `{tmp_path / '.b.yaml'}`" in told[1][0]


def test_cli_streams_the_chosen_format_in_order(client: Client, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, expected = cli_lines(capsys, str(corpus))
    assert main(["validate", "--dask", client.scheduler.address, "--format", "jsonl", str(corpus)]) == code
    assert capsys.readouterr().out.splitlines(keepends=True) == expected


def test_parquet_partitions(client: Client, corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, expected = cli_lines(capsys, str(corpus))
    summary = on_dask.write_parquet(on_dask.validate_files([str(corpus)], espolicy.default_policy()),
                                    str(tmp_path / "pq"))
    frame = pd.read_parquet(tmp_path / "pq")
    assert sorted(frame["result"] + "\n") == sorted(expected[:-1])
    assert {k: summary[k] for k in json.loads(expected[-1])["summary"]} == json.loads(expected[-1])["summary"]
    assert (frame["outcome"] == "deny").sum() == summary["deny"]


def test_dataframe_column_of_documents(client: Client) -> None:
    docs = documents(300, seed=4)
    frame = dd.from_pandas(pd.DataFrame({"document": [json.dumps(d) for d in docs]}), npartitions=5)
    result = on_dask.validate_dataframe(frame, espolicy.default_policy()).compute()
    policy = espolicy.default_policy()
    assert list(result["outcome"]) == [policy.validate(d).outcome for d in docs]
    assert [None if pd.isna(x) else x for x in result["id"]] == [policy.validate(d).id for d in docs]


def test_policy_is_compiled_once_per_worker(client: Client, corpus: Path) -> None:
    before = sum(client.run(lambda: on_dask.compilations).values())
    policy = espolicy.load_policy()
    for _ in range(3):
        on_dask.validate_files([str(corpus)], policy).compute()
    after = client.run(lambda: on_dask.compilations)
    assert sum(after.values()) - before <= len(after)   # at most once per worker, over 3 runs x 22 tasks


def _ids(folder: Path) -> list[Any]:
    return [json.loads(line)["id"] for p in sorted(folder.glob("part-*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines()]


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    expected = []
    for n in range(24):
        docs = documents(400, seed=100 + n)
        for i, d in enumerate(docs):
            d["id"] = f"DOC-{n:02d}-{i:04d}"
        expected += [d["id"] for d in docs]
        (inputs / f"f{n:02d}.jsonl").write_text("\n".join(json.dumps(d) for d in docs) + "\n")
    out = tmp_path / "out"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        results = on_dask.validate_files([str(inputs)], espolicy.default_policy())
        summary: dict[str, Any] = {}
        runner = threading.Thread(target=lambda: summary.update(on_dask.write_jsonl(results, str(out))))
        runner.start()
        deadline = time.monotonic() + 600
        while not list(out.glob("part-*.jsonl")) and time.monotonic() < deadline:
            time.sleep(0.05)
        finished_parts = len(list(out.glob("part-*.jsonl")))
        pids = c.run(os.getpid)
        os.kill(next(iter(pids.values())), signal.SIGKILL)
        runner.join(timeout=900)
        assert not runner.is_alive()
    assert finished_parts < 24, "the worker was killed after the run ended: nothing was tested"
    ids = _ids(out)
    assert len(ids) == len(expected) and sorted(ids) == sorted(expected)   # nothing lost, nothing twice
    assert summary["documents"] == len(expected)
