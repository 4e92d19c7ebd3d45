"""Benchmark: espolicy.dask on a LocalCluster of 1 and then 2 worker processes (one thread each).

    python benchmarks/bench_dask.py                          # 1,000,000 documents in 50 files
    python benchmarks/bench_dask.py --documents 100000       # a quicker run

Writes the seeded corpus of `bench_batch.py` (all three kinds, every outcome, a few broken
records) as JSON Lines files, then judges it with `write_jsonl` (part files and the summary, as
`validate --dask local --output DIR` does) on 1 worker, then on 2, and prints wall time, documents
per second, the speed-up, and the peak resident memory of each worker process (ru_maxrss).
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT)]   # this source tree's espolicy
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))  # and the workers'
from bench_batch import generate  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(workers: int, inputs: Path, out: Path) -> tuple[float, dict[str, int], list[float]]:
    from distributed import Client, LocalCluster

    import espolicy
    from espolicy import dask as on_dask

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.run(lambda: espolicy.default_policy())   # start-up is not what is measured
        started = time.perf_counter()
        summary = on_dask.write_jsonl(on_dask.validate_files([str(inputs)], espolicy.default_policy()), str(out))
        elapsed = time.perf_counter() - started
        rss = sorted(client.run(peak_rss_mb).values())
    return elapsed, summary, rss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="espolicy-dask-bench-") as tmp:
        inputs = Path(tmp) / "in"
        inputs.mkdir()
        per_file = args.documents // args.files
        for n in range(args.files):
            generate(inputs / f"part{n:03d}.jsonl", per_file, seed=20260401 + n)
        total = per_file * args.files
        print(f"{total:,} documents in {args.files} JSON Lines files")
        print("| workers | wall s | documents/s | speed-up | peak RSS per worker (MB) |")
        print("|---:|---:|---:|---:|---|")
        base = None
        for workers in (1, 2):
            elapsed, summary, rss = run(workers, inputs, Path(tmp) / f"out{workers}")
            assert summary["documents"] == total, summary
            base = base or elapsed
            print(f"| {workers} | {elapsed:.1f} | {total / elapsed:,.0f} | {base / elapsed:.2f}x | "
                  f"{', '.join(f'{r:.0f}' for r in rss)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
