"""Judging documents on a Dask cluster: files of any fsspec URL, or a DataFrame column of documents,
partition by partition, each worker compiling the policy once.

    from espolicy.dask import validate_files, write_jsonl
    results = validate_files(["s3://bucket/registrations/"], policy)   # a dask Bag of result lines
    summary = write_jsonl(results, "s3://bucket/audit/2026/")           # part-*.jsonl + _summary.json

A result is the line `espolicy validate --format jsonl` prints for the document, byte for byte.
Each input file is one partition (a task): a task that is lost with its worker runs again on
another worker and writes the same part file again, so nothing is lost or written twice.
Needs `pip install "espolicy[dask]"`.
"""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from espolicy.documents.loader import iter_documents, iter_paths, load_bytes
from espolicy.effects import OUTCOMES, outcome_fails
from espolicy.engine.batch import judge
from espolicy.engine.policy import Policy
from espolicy.output.jsonl import render_line
from espolicy.report import Report

if TYPE_CHECKING:
    import dask.bag
    import dask.dataframe
    import pandas

DOCUMENT_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")
_FORMAT_OF = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".jsonl": "jsonl"}

# ---------------------------------------------------------------- the policy, once per worker

_COMPILED: dict[str, Policy] = {}
_COMPILING = threading.Lock()
compilations = 0  # how many times this process compiled a shipped policy (the tests read it)


class ShippedPolicy:
    """A policy as it travels to workers: its sources and digest. Unpickled on a worker, it
    compiles once per process; later tasks with the same digest reuse that compilation."""

    def __init__(self, policy: Policy) -> None:
        self.digest = policy.digest
        self._rebuild = policy.__reduce__()
        _COMPILED.setdefault(self.digest, policy)

    def get(self) -> Policy:
        """The compiled policy of this process (compiled now when it is the first use here)."""
        policy = _COMPILED.get(self.digest)
        if policy is None:
            with _COMPILING:
                policy = _COMPILED.get(self.digest)
                if policy is None:
                    global compilations
                    build, args = self._rebuild
                    policy = _COMPILED[self.digest] = build(*args)
                    compilations += 1
        return policy


# ---------------------------------------------------------------- files


def document_files(urlpaths: Sequence[str], hidden: Callable[[str, bool], None] | None = None) -> list[str]:
    """The document files of local paths and folders (as `espolicy validate` finds them: `hidden`
    hears of each hidden entry left out) and of fsspec URLs (a folder URL: the `.yaml`, `.yml`,
    `.json`, `.jsonl` files below it, sorted)."""
    files: list[str] = []
    for url in urlpaths:
        if "://" not in url:
            files += iter_paths([url], hidden=hidden)
            continue
        import fsspec

        fs, _, [root] = fsspec.get_fs_token_paths(url)
        found = fs.find(root) if fs.isdir(root) else [root]
        files += sorted(fs.unstrip_protocol(p) for p in found if os.path.splitext(p)[1].lower() in DOCUMENT_SUFFIXES)
    return files


def _file_reports(policy: Policy, file: str, max_findings: int | None) -> Iterator[Report]:
    """The report of every document of one file, as `espolicy validate` judges them."""
    if "://" in file:
        import fsspec

        with fsspec.open(file, "rb") as stream:
            data = stream.read()
        fmt = _FORMAT_OF.get(os.path.splitext(file)[1].lower(), "yaml")
        loaded_docs: Iterable[Any] = load_bytes(data, file, fmt)   # decoded as a local file is
    else:
        loaded_docs = iter_documents(file)
    for loaded in loaded_docs:
        yield judge(policy, file, loaded, max_findings)


def _judge_files(files: Iterable[str], shipped: ShippedPolicy, max_findings: int | None) -> list[Report]:
    policy = shipped.get()
    return [report for file in files for report in _file_reports(policy, file, max_findings)]


def validate_reports(urlpaths: Sequence[str], policy: Policy, max_findings: int | None = None,
                     hidden: Callable[[str, bool], None] | None = None) -> dask.bag.Bag:
    """A Bag of the reports of every document, in file order, one partition per input file
    (`hidden` hears of each hidden entry a local folder walk left out)."""
    import dask.bag as db

    files = document_files(urlpaths, hidden)
    if not files:
        raise FileNotFoundError(f"no .yaml, .yml, .json or .jsonl files under {', '.join(urlpaths)}")
    return db.from_sequence(files, npartitions=len(files)).map_partitions(
        _judge_files, ShippedPolicy(policy), max_findings)


def validate_files(urlpaths: Sequence[str], policy: Policy, max_findings: int | None = None) -> dask.bag.Bag:
    """A Bag of result lines (JSON Lines, newline included), one partition per input file."""
    return validate_reports(urlpaths, policy, max_findings).map(render_line)


# ---------------------------------------------------------------- a DataFrame of documents

RESULT_COLUMNS = {"source": "object", "id": "object", "kind": "object", "outcome": "object",
                  "rules": "object", "result": "object"}


def _judge_frame(frame: pandas.DataFrame, column: str, shipped: ShippedPolicy) -> pandas.DataFrame:
    import pandas as pd

    policy = shipped.get()
    rows = []
    for index, value in zip(frame.index, frame[column]):
        doc = json.loads(value) if isinstance(value, (str, bytes)) else value
        report = policy.validate(doc, source=f"{column}[{index}]")
        rows.append((report.source, report.id, report.kind, report.outcome,
                     ",".join(sorted({f.rule for f in report.findings})), render_line(report)[:-1]))
    return pd.DataFrame(rows, columns=list(RESULT_COLUMNS), index=frame.index).astype(RESULT_COLUMNS)


def validate_dataframe(frame: dask.dataframe.DataFrame, policy: Policy, column: str = "document") -> dask.dataframe.DataFrame:
    """Judge a column of documents (JSON text or mappings): a DataFrame with the source, id, kind,
    outcome, the ids of the rules that fired, and the result as JSON, partition by partition."""
    import pandas as pd

    meta = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in RESULT_COLUMNS.items()})
    return frame.map_partitions(_judge_frame, column, ShippedPolicy(policy), meta=meta)


# ---------------------------------------------------------------- writing and summing up


def _count(lines: Iterable[str], fail_on: str) -> dict[str, int]:
    """Outcome counts of result lines, and `failing`: how many fail at `fail_on`."""
    counts = {o: 0 for o in OUTCOMES} | {"failing": 0}
    for line in lines:
        result = json.loads(line)
        counts[result["outcome"]] += 1
        counts["failing"] += outcome_fails(result["outcome"], (f["effect"] for f in result["findings"]), fail_on)
    return counts


def summary_of(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    """The contract's summary (`documents`, then each outcome), and `failing`, of per-partition counts."""
    total = {o: 0 for o in OUTCOMES} | {"failing": 0}
    for part in counts:
        for key, n in part.items():
            total[key] += n
    return {"documents": sum(total[o] for o in OUTCOMES), **total}


def write_jsonl(results: dask.bag.Bag, urlpath: str, fail_on: str = "deny",
                references: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Write one `part-N.jsonl` per partition of result lines and `_summary.json` under `urlpath`
    (with `references`, the declared titles of the references the rules cite, when given: the last
    line of `--format jsonl`); the summary (with `failing`: the documents at or above `fail_on`)."""
    import dask
    import fsspec

    names = [f"{urlpath.rstrip('/')}/part-{i:05d}.jsonl" for i in range(results.npartitions)]
    fs, _, _ = fsspec.get_fs_token_paths(urlpath)
    fs.makedirs(urlpath, exist_ok=True)
    written = [dask.delayed(_write_part)(part, name, fail_on) for part, name in zip(results.to_delayed(), names)]
    return _write_summary(urlpath, summary_of(dask.compute(*written)), references)


def _write_part(lines: list[str], url: str, fail_on: str) -> dict[str, int]:
    """Write one part file whole (a retried task writes the same file again) and count it."""
    import fsspec

    with fsspec.open(url, "w", encoding="utf-8") as out:
        out.writelines(lines)
    return _count(lines, fail_on)


def write_parquet(results: dask.bag.Bag, urlpath: str, fail_on: str = "deny",
                  references: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Write result lines as Parquet partitions (the columns of `validate_dataframe`) and
    `_summary.json` under `urlpath` (its leading `_` makes Parquet readers pass it over; with
    `references` as `write_jsonl` writes them); the summary."""
    import dask

    frame = results.map_partitions(_rows).to_dataframe(meta={name: str for name in RESULT_COLUMNS})
    counts = results.map_partitions(lambda lines: [_count(lines, fail_on)])
    _, parts = dask.compute(frame.to_parquet(urlpath, write_index=False, compute=False), counts)
    return _write_summary(urlpath, summary_of(parts), references)


def _write_summary(urlpath: str, summary: dict[str, int], references: Mapping[str, Any] | None) -> dict[str, int]:
    import fsspec

    written: dict[str, Any] = {"summary": {k: v for k, v in summary.items() if k != "failing"}}
    if references is not None:
        written["references"] = dict(references)
    with fsspec.open(f"{urlpath.rstrip('/')}/_summary.json", "w", encoding="utf-8") as out:
        json.dump(written, out, ensure_ascii=False)
    return summary


def _rows(lines: Iterable[str]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for line in lines:
        r = json.loads(line)
        rows.append((r["source"] or "", r["id"] or "", r["kind"] or "", r["outcome"],
                     ",".join(sorted({f["rule"] for f in r["findings"]})), line.rstrip("\n")))
    return rows
