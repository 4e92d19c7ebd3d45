"""Benchmark: `espolicy validate` on large JSON Lines files — throughput and peak memory.

    python benchmarks/bench_batch.py                       # 10k, 100k and 1M records
    python benchmarks/bench_batch.py --sizes 10000,100000  # a quicker run
    python benchmarks/bench_batch.py --keep DIR            # keep the generated files in DIR

For each size it writes a seeded JSON Lines file (registrations, change requests and service
requests; allowed, denied, review, warn, invalid and unparsable records mixed), then runs
`python -m espolicy validate FILE` as a subprocess (a .jsonl file is streamed, with no cap on its
number of lines), once with `--format jsonl` (every
result written, to /dev/null) and once with `--quiet` (summary only), and prints wall time,
documents per second, CPU seconds (the process and its workers: on a busy machine the fairer
figure) and the peak resident memory of the espolicy process (from wait4's rusage; with `-j N`
that is the largest single process: the parent and each worker are counted apart). Last, it
compares `-j 2` with `-j 1` on the middle size, and with two `-j 1` processes run at once on
the two halves of the file: the most that two processes get from this machine's two cores, so
that a speed-up short of 2x can be told apart from a machine that gives less. Exit status 1 when the largest run's peak RSS is
at or above --rss-limit (default 150 MB).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- documents

def _date(rng: random.Random, start: dt.date, days: int) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(days))


def registration(rng: random.Random, n: int) -> dict:
    warranty = _date(rng, dt.date(2024, 1, 1), 700)
    received = warranty + dt.timedelta(days=rng.randrange(10, 500))
    doc: dict = {
        "kind": "registration", "id": f"REG-B-{n:07d}", "registration_date": received.isoformat(),
        "server": {"model": "Express5800/R120h-1M", "serial": str(4000000 + n % 999999),
                   "warranty_start": warranty.isoformat(), "warranty_years": rng.choice([1, 1, 3])},
        "pack": {"generation": "ESP_G2", "coverage": rng.choice(["weekday", "24x365"]),
                 "term_years": rng.choice([3, 4, 5]), "purchase_date": warranty.isoformat()},
    }
    roll = rng.random()
    if roll < 0.10:     # deny: generations mixed (FAQ Q10, Q11)
        doc["history"] = [{"generation": "ESP", "term_years": 3, "registered_on": warranty.isoformat()}]
    elif roll < 0.15:   # review: ESP for a server without ESP on record (FAQ Q17)
        doc["pack"]["generation"] = "ESP"
    elif roll < 0.20:   # deny: periodic maintenance asked for (FAQ Q2)
        doc["requests"] = {"periodic_maintenance": True}
    elif roll < 0.23:   # invalid: a typo in a field name
        doc["requets"] = {"periodic_maintenance": False}
    elif roll < 0.25:   # invalid: a number where a serial (text) is expected
        doc["server"]["serial"] = 4300123
    return doc


def change_request(rng: random.Random, n: int) -> dict:
    start = _date(rng, dt.date(2024, 1, 1), 500)
    change = rng.choice([{"type": "site", "to": "2-3-4 Shiba, Minato-ku, Tokyo"},
                         {"type": "contact", "to": "Hanako Suzuki"},
                         {"type": "term", "to": 5},
                         {"type": "coverage", "to": "24x365"}])
    return {"kind": "change_request", "id": f"CHG-B-{n:07d}",
            "request_date": (start + dt.timedelta(days=rng.randrange(30, 400))).isoformat(),
            "registration": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3,
                             "server_serial": str(4000000 + n % 999999), "warranty_start": start.isoformat(),
                             "registered_on": (start + dt.timedelta(days=19)).isoformat()},
            "change": change}


def service_request(rng: random.Random, n: int) -> dict:
    warranty = _date(rng, dt.date(2023, 6, 1), 700)
    moment = dt.datetime.combine(warranty + dt.timedelta(days=rng.randrange(30, 900)),
                                 dt.time(rng.randrange(24), rng.choice([0, 15, 30, 45])),
                                 dt.timezone(dt.timedelta(hours=9)))
    doc: dict = {"kind": "service_request", "id": f"SRV-B-{n:07d}", "requested_at": moment.isoformat(),
                 "server": {"serial": str(4000000 + n % 999999), "warranty_start": warranty.isoformat(),
                            "warranty_years": 1},
                 "service": {"type": rng.choice(["repair", "repair", "part_replacement"])}}
    if rng.random() < 0.85:
        doc["registration"] = {"generation": "ESP_G2", "coverage": rng.choice(["weekday", "24x365"]),
                               "term_years": 3, "registered_on": (warranty + dt.timedelta(days=19)).isoformat()}
    if doc["service"]["type"] == "part_replacement":
        doc["service"]["part"] = rng.choice(["ups_battery", "fan", "disk"])
    return doc


def generate(path: Path, count: int, seed: int = 20260401) -> None:
    """`count` JSON Lines records, the same for the same seed; about 1 in 500 lines is broken JSON."""
    rng = random.Random(seed)
    makers = (registration, change_request, service_request)
    with open(path, "w", encoding="utf-8") as out:
        for n in range(count):
            if rng.random() < 0.002:
                out.write('{"kind": "registration", "id": "REG-BROKEN", \n')
                continue
            out.write(json.dumps(rng.choice(makers)(rng, n), ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- runs

def run(path: Path, *options: str) -> dict:
    """Run `espolicy validate PATH OPTIONS…` with stdout to /dev/null (the summary kept with
    --quiet); wall time, CPU time of the process and its workers, peak RSS, summary."""
    return run_together([path], *options)[0]


def run_together(paths: list[Path], *options: str) -> list[dict]:
    """`run` on each of `paths` at once, one process each; each result's `seconds` is the time
    until the last of them ended."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), NO_PROGRESS="1")
    quiet = "--quiet" in options
    started = time.perf_counter()
    running = []
    for path in paths:
        summary_file = tempfile.TemporaryFile("w+")
        argv = [sys.executable, "-m", "espolicy", "validate", str(path), *options]
        running.append((subprocess.Popen(argv, stdout=summary_file if quiet else subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, env=env, cwd=REPO), summary_file))
    results = []
    for process, summary_file in running:
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        error = process.stderr.read().decode() if process.stderr else ""
        summary_file.seek(0)
        results.append({"cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
                        "exit": process.returncode, "summary": summary_file.read().strip(), "stderr": error.strip()})
    elapsed = time.perf_counter() - started
    return [dict(r, seconds=elapsed) for r in results]


def halves(path: Path) -> list[Path]:
    """`path` cut in two files of (about) half its lines each, beside it."""
    # streamed: a child's peak RSS (wait4) includes this process's peak before the child's exec
    with path.open("rb") as whole:
        middle = sum(1 for _ in whole) // 2
    parts = [path.with_name(f"{path.stem}-half{n}.jsonl") for n in (1, 2)]
    with path.open("rb") as whole, parts[0].open("wb") as first, parts[1].open("wb") as second:
        for number, line in enumerate(whole):
            (first if number < middle else second).write(line)
    return parts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="record counts (comma-separated)")
    parser.add_argument("--keep", metavar="DIR", help="write the generated files here and keep them")
    parser.add_argument("--seed", type=int, default=20260401)
    parser.add_argument("--jobs-size", type=int, help="size for the -j 2 vs -j 1 comparison (default: middle size)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the -j comparison (default 3)")
    parser.add_argument("--rss-limit", type=float, default=150.0, help="MB; exit 1 at or above it")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="espolicy-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, files in {folder}")
    print(f"{'records':>9}  {'mode':<16} {'seconds':>8} {'docs/s':>9} {'CPU s':>7} {'peak RSS':>9}  exit")
    peak = 0.0
    files = {}
    try:
        for size in sizes:
            path = folder / f"batch-{size}.jsonl"
            if not path.exists():
                generate(path, size, args.seed)
            files[size] = path
            for label, options in (("--format jsonl", ("--format", "jsonl")), ("--quiet", ("--quiet",))):
                r = run(path, *options)
                if r["exit"] not in (0, 1):
                    print(f"espolicy failed (exit {r['exit']}): {r['stderr']}", file=sys.stderr)
                    return 2
                peak = max(peak, r["rss_mb"]) if size == max(sizes) else peak
                print(f"{size:>9,}  {label:<16} {r['seconds']:>8.1f} {size / r['seconds']:>9,.0f} "
                      f"{r['cpu']:>7.1f} {r['rss_mb']:>7.1f}MB  {r['exit']}", flush=True)
            print(f"{'':>9}  summary: {r['summary']}")
        size = args.jobs_size or sizes[len(sizes) // 2]
        path = files.get(size) or folder / f"batch-{size}.jsonl"
        if not path.exists():
            generate(path, size, args.seed)
        parts = halves(path)
        for label, options in (("--format jsonl", ("--format", "jsonl")), ("--quiet", ("--quiet",))):
            print(f"\n-j 2 vs -j 1 on {size:,} records ({label}), {args.rounds} interleaved rounds, median;\n"
                  f"  'halves': two -j 1 processes at once, one per half of the file (what two cores give here)")
            times: dict[str, list[float]] = {"1": [], "2": [], "halves": []}
            for _ in range(args.rounds):
                for jobs in ("1", "2", "halves"):
                    if jobs == "halves":
                        together = run_together(parts, *options, "-j", "1")
                        r = dict(together[0], cpu=sum(t["cpu"] for t in together),
                                 rss_mb=max(t["rss_mb"] for t in together), exit=max(t["exit"] for t in together))
                    else:
                        r = run(path, *options, "-j", jobs)
                    times[jobs].append(r["seconds"])
                    print(f"  {'-j ' + jobs if jobs != 'halves' else 'halves':<7} {r['seconds']:6.1f} s  "
                          f"{size / r['seconds']:>9,.0f} docs/s  CPU {r['cpu']:6.1f} s  "
                          f"peak RSS {r['rss_mb']:.1f}MB (largest process)  exit {r['exit']}", flush=True)
            one, two, both = (statistics.median(times[k]) for k in ("1", "2", "halves"))
            rounds = [t1 / t2 for t1, t2 in zip(times["1"], times["2"])]
            ceiling = [t1 / th for t1, th in zip(times["1"], times["halves"])]
            print(f"  speed-up: {one / two:.2f}x (median {one:.1f} s / {two:.1f} s); by round "
                  f"{', '.join(f'{x:.2f}x' for x in rounds)}")
            print(f"  two cores at best (halves): {one / both:.2f}x (median {one:.1f} s / {both:.1f} s); by round "
                  f"{', '.join(f'{x:.2f}x' for x in ceiling)}")
            print(f"  -j 2 reaches {both / two:.0%} of what the halves reach (median)")
    finally:
        if not args.keep:
            for path in folder.glob("batch-*.jsonl"):   # the halves too
                path.unlink()
            folder.rmdir()
    print(f"\npeak RSS at {max(sizes):,} records: {peak:.1f}MB (limit {args.rss_limit:.0f}MB)")
    return 0 if peak < args.rss_limit else 1


if __name__ == "__main__":
    sys.exit(main())
