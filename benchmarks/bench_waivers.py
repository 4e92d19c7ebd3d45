"""Benchmark: batch throughput with a 1,000-entry waivers file against none, in one run.

    python benchmarks/bench_waivers.py                 # 20,000 documents, 7 interleaved repeats
    python benchmarks/bench_waivers.py -n 5000 -r 3    # a quicker run

It writes the seeded corpus (`corpus.py`) as one JSON Lines file and a waivers file of 1,000
entries drawn from the findings of a first run: exact ids (half of them for findings that occur,
so matching does real work), id globs, `sources` globs and rule globs, all in force. Then it
judges the file in this process the way `espolicy validate --format jsonl` does (the batch
engine, every result rendered, written to a null stream), with and without the waivers,
alternately, and prints the median CPU time of each (this process's: on a shared machine the
fairer figure; wall time beside it), documents per second and the median ratio of the pairs
(target: within 10 % of none). Exit status 1 when the ratio is above `--limit` (default 1.10).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from corpus import generate  # noqa: E402

import espolicy  # noqa: E402
from espolicy.engine.batch import BatchOptions, documents, run  # noqa: E402
from espolicy.output import FORMATS, RunContext  # noqa: E402
from espolicy.report import Summary  # noqa: E402


class Null(io.TextIOBase):
    """A text stream that keeps nothing (what /dev/null is, without the system calls)."""

    def write(self, text: str) -> int:
        return len(text)


def waivers_yaml(findings: list[tuple[str, str]], rule_ids: list[str], entries: int, seed: int) -> str:
    """`entries` waivers: half exact (rule, id) pairs that occur, the rest globs and misses."""
    rng = random.Random(seed)
    occurring = sorted(set(findings))
    rng.shuffle(occurring)
    lines = ["waivers:"]

    def add(rule: str, key: str, values: list[str]) -> None:
        lines.extend([f"  - rule: {json.dumps(rule)}", f"    {key}: {json.dumps(values)}",
                      "    reason: approved exception", "    owner: bench@example.co.jp",
                      "    expires: 2999-01-01"])

    half = min(entries // 2, len(occurring))
    for rule, doc_id in occurring[:half]:
        add(rule, "documents", [doc_id])
    made = half
    while made < entries:
        kind = made % 4
        rule = rng.choice(rule_ids)
        if kind == 0:     # an exact id that occurs nowhere
            add(rule, "documents", [f"NOWHERE-{made:05d}"])
        elif kind == 1:   # an id glob
            add(rule, "documents", [f"{rng.choice(['REG', 'CHG', 'SRV'])}-*-{rng.randrange(10**4):04d}*"])
        elif kind == 2:   # a sources glob
            add(rule, "sources", [f"archive-{made}/*.jsonl"])
        else:             # a rule glob over a few documents
            add(rule.split("-")[0] + "-*", "documents", [f"NOWHERE-{made:05d}", f"ALSO-{made:05d}-*"])
        made += 1
    return "\n".join(lines) + "\n"


def judge(policy: espolicy.Policy, path: str, waivers: espolicy.Waivers | None) -> tuple[float, float, Summary]:
    """CPU and wall seconds to judge and render every document of `path` as `--format jsonl` does."""
    out = FORMATS["jsonl"](Null(), "en", RunContext(policy, "deny", "bench", waivers))
    options = BatchOptions(waivers=waivers)
    summary = Summary(waivers=waivers is not None)
    cpu, started = time.process_time(), time.perf_counter()
    out.start(policy.info())
    run(policy, documents([path]), options, out, None, summary)
    out.end(summary)
    return time.process_time() - cpu, time.perf_counter() - started, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--documents", type=int, default=20_000)
    parser.add_argument("-r", "--repeats", type=int, default=7)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--limit", type=float, default=1.10)
    args = parser.parse_args(argv)

    policy = espolicy.default_policy()
    with tempfile.TemporaryDirectory(prefix="espolicy-bench-waivers-") as folder:
        corpus = os.path.join(folder, "corpus.jsonl")
        with open(corpus, "w", encoding="utf-8") as f:
            for doc in generate(args.documents, seed=6):
                f.write(json.dumps(doc, ensure_ascii=False) + "\n")
        found = []
        for report in (policy.validate(doc) for doc in generate(args.documents, seed=6)):
            found += [(f.rule, report.id) for f in report.findings if f.effect != "error" and report.id]
        text = waivers_yaml(found, [r.id for r in policy.rules], args.entries, seed=14)
        waivers_file = os.path.join(folder, "waivers.yaml")
        Path(waivers_file).write_text(text, encoding="utf-8")
        started = time.perf_counter()
        waivers = policy.load_waivers(waivers_file)
        load_ms = (time.perf_counter() - started) * 1000

        judge(policy, corpus, None)   # warm up: caches, imports, the calendar
        cpu: dict[str, list[float]] = {"none": [], "waivers": []}
        wall: dict[str, list[float]] = {"none": [], "waivers": []}
        summaries: dict[str, Summary] = {}
        for _ in range(args.repeats):
            for name, w in (("none", None), ("waivers", waivers)):
                seconds, elapsed, summaries[name] = judge(policy, corpus, w)
                cpu[name].append(seconds)
                wall[name].append(elapsed)

    none, with_waivers = statistics.median(cpu["none"]), statistics.median(cpu["waivers"])
    # each repeat's pair ran back to back: the median of their ratios is the least disturbed by a
    # machine whose load changes during the run
    ratio = statistics.median(w / n for w, n in zip(cpu["waivers"], cpu["none"]))
    wall_ratio = statistics.median(wall["waivers"]) / statistics.median(wall["none"])
    s = summaries["waivers"]
    print(f"espolicy waivers benchmark: {args.documents:,} documents (corpus seed 6), "
          f"{len(waivers.entries):,} waivers ({len(s.used):,} used, {s.waived:,} findings waived), "
          f"{args.repeats} interleaved repeats, median")
    print(f"  load and index the waivers file: {load_ms:.1f} ms")
    print(f"  no waivers     {none:7.3f} s CPU  {args.documents / none:9,.0f} docs/s")
    print(f"  1,000 waivers  {with_waivers:7.3f} s CPU  {args.documents / with_waivers:9,.0f} docs/s")
    print(f"  ratio {ratio:.3f} CPU, {wall_ratio:.3f} wall (target <= {args.limit:.2f}): "
          f"{'met' if ratio <= args.limit else 'NOT met'}")
    return 0 if ratio <= args.limit else 1


if __name__ == "__main__":
    sys.exit(main())
