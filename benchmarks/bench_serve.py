"""Benchmark: `espolicy serve` under load — decisions per second, latency, memory over time.

    pip install ".[serve]"; apt-get install wrk
    python benchmarks/bench_serve.py                  # 3 rounds of 10 s each way, then 200,000 requests
    python benchmarks/bench_serve.py --seconds 5 --rounds 2 --requests 50000   # a quicker run

It starts `espolicy serve` on a free loopback port (this source tree's espolicy) and drives it with
`wrk` over keep-alive connections, all on 127.0.0.1:
1. throughput and latency of `POST /v1/validate` with a registration (JSON), against the same
   server's floor `POST /v1/echo` (the body read and parsed exactly as /v1/validate reads it, and
   returned; no policy), in alternating rounds of the same length; the median round of each,
   with the processor time the server spent per request (user and system, read from /proc);
2. the server's resident memory before and after at least `--requests` more decisions (200,000
   by default), sent in 10-second wrk runs until the count is reached.
It prints Markdown and the targets: validate at least 0.5x the floor's throughput, at least 3,000
decisions/s, p99 under 20 ms, RSS growth under 10 MiB. wrk shares the machine's processors with
the server, so the figures are for the pair; the ratio to the floor is the fairer one on a busy
machine, and the server's processor time per request the steadiest. Exit status 1 when a target
is missed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from typing import Any
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "examples" / "registration-ok.yaml"

_POST = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "rb"); wrk.body = f:read("*a"); f:close()
"""


def out(line: str = "") -> None:
    print(line, flush=True)


def registration_json() -> bytes:
    import yaml
    doc = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return json.dumps(doc, default=lambda v: v.isoformat()).encode()


class Served:
    """`espolicy serve --port 0` from this tree, its URL once it listens."""

    def __init__(self, workers: int, cpus: set[int] | None) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen([sys.executable, "-m", "espolicy", "serve", "--port", "0",
                                         "--workers", str(workers)], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, env=env, cwd=tempfile.gettempdir(),
                                        preexec_fn=_on(cpus))
        self.url = ""
        ready = threading.Event()

        def drain() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                m = re.search(r"running on (http://127\.0\.0\.1:\d+)", line)
                if m:
                    self.url = m.group(1)
                    ready.set()
            ready.set()
        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(120) or not self.url or not self._answers(120):
            self.stop()
            raise SystemExit("espolicy serve did not start")

    def _answers(self, seconds: float) -> bool:
        """Wait until /readyz answers (the socket listens before worker processes have loaded the policy)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=5) as r:
                    if r.status == 200:
                        return True
            except OSError:
                time.sleep(0.2)
        return False

    def pids(self) -> list[int]:
        """The server process and its workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        extra = [int(p) for p in children.read_text().split()] if children.exists() else []
        return [self.process.pid, *extra]

    def rss_kib(self) -> int:
        total = 0
        for pid in self.pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total

    def cpu_seconds(self) -> float:
        """Processor time (user and system) the server and its workers have used so far."""
        total = 0
        for pid in self.pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _on(cpus: set[int] | None) -> Any:
    """A preexec_fn keeping a child on `cpus` (None: anywhere)."""
    return None if cpus is None else (lambda: os.sched_setaffinity(0, cpus))


# With --pin the server runs on the last processor and wrk on the others (a way to see whether the
# scheduler moving both around the cores is what makes rounds differ).
_CPUS: dict[str, set[int] | None] = {"server": None, "client": None}


def wrk(url: str, script: Path, seconds: int, threads: int, connections: int) -> dict[str, float]:
    """One wrk run: requests/s, p50 and p99 in ms, requests, errors."""
    done = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "-s",
                           str(script), url], capture_output=True, text=True, timeout=seconds * 4 + 600,
                          preexec_fn=_on(_CPUS["client"]))
    text = done.stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if rps is None:
        raise SystemExit(f"bench_serve: wrk gave no result:\n{text}{done.stderr}")
    count = re.search(r"(\d+) requests in", text)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: (.*)", text)
    return {"rps": float(rps.group(1)) if rps else 0.0, "p50": ms("50"), "p99": ms("99"),
            "requests": float(count.group(1)) if count else 0.0,
            "errors": float(errors.group(1)) if errors else 0.0, "socket_errors": 1.0 if socket_errors else 0.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each round (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of validate and of echo (default 3)")
    parser.add_argument("--requests", type=int, default=200_000, help="requests for the memory run (default 200,000)")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections (default 16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (default 1)")
    parser.add_argument("--pin", action="store_true",
                        help="server on the last processor, wrk on the others (needs 2 or more processors and "
                             "one server worker); off by default: on 2 processors it held the floor's rounds "
                             "below what the server gave unpinned, which flatters the ratio")
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    if args.pin and len(cpus) >= 2 and args.workers == 1:
        _CPUS.update(server={cpus[-1]}, client=set(cpus[:-1]))
    if shutil.which("wrk") is None:
        raise SystemExit("bench_serve: wrk is not installed (apt-get install wrk)")

    work = Path(tempfile.mkdtemp(prefix="espolicy-bench-serve-"))
    body = work / "registration.json"
    body.write_bytes(registration_json())
    post = work / "post.lua"
    post.write_text(_POST.format(body=body), encoding="utf-8")

    server = Served(args.workers, _CPUS["server"])
    try:
        request = urllib.request.Request(server.url + "/v1/validate", body.read_bytes(),
                                         {"Content-Type": "application/json"})
        decision = json.loads(urllib.request.urlopen(request).read())
        out(f"# espolicy serve benchmark, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC")
        out()
        out(f"- machine: {platform.machine()}, {os.cpu_count()} processors, load average "
            f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} at the start; Python {platform.python_version()}")
        out(f"- server: `espolicy serve --workers {args.workers}` (uvicorn, {server.url}); client: wrk "
            f"-t{args.threads} -c{args.connections}, keep-alive, loopback"
            + (f"; server pinned to processor {cpus[-1]}, wrk to the others" if _CPUS["server"] else ""))
        out(f"- document: `{EXAMPLE.name}` as JSON ({len(body.read_bytes())} bytes), outcome "
            f"`{decision['outcome']}`, {len(decision['findings'])} finding(s)")
        out()
        for url in ("/v1/validate", "/v1/echo"):   # warm up both paths
            wrk(server.url + url, post, 2, args.threads, args.connections)
        runs: dict[str, list[dict[str, float]]] = {"validate": [], "echo": []}
        for r in range(args.rounds):
            order = ("validate", "echo") if r % 2 == 0 else ("echo", "validate")
            for name in order:
                before = server.cpu_seconds()
                run = wrk(f"{server.url}/v1/{name}", post, args.seconds, args.threads, args.connections)
                run["cpu_us"] = (server.cpu_seconds() - before) / max(run["requests"], 1) * 1e6
                runs[name].append(run)

        def median(name: str, key: str) -> float:
            return statistics.median(x[key] for x in runs[name])
        out("| endpoint | requests/s (median of rounds) | p50 ms | p99 ms | server CPU µs/request | "
            "rounds (requests/s) |")
        out("|---|---:|---:|---:|---:|---|")
        for name in ("validate", "echo"):
            out(f"| `POST /v1/{name}` | {median(name, 'rps'):,.0f} | {median(name, 'p50'):.2f} | "
                f"{median(name, 'p99'):.2f} | {median(name, 'cpu_us'):,.0f} | "
                f"{', '.join(format(x['rps'], ',.0f') for x in runs[name])} |")
        errors = sum(x["errors"] + x["socket_errors"] for xs in runs.values() for x in xs)
        ratio = median("validate", "rps") / median("echo", "rps")
        out()
        out(f"validate / echo throughput: **{ratio:.2f}x**" + (f"; {errors:.0f} non-200 or socket errors" if errors else
                                                               "; no errors"))
        out()
        before = server.rss_kib()
        # wrk runs for a duration, so the count is reached in short runs, each counted
        done_requests, runs_left = 0.0, 1000
        while done_requests < args.requests and runs_left:
            done_requests += wrk(server.url + "/v1/validate", post, 10, args.threads, args.connections)["requests"]
            runs_left -= 1
        memory = {"requests": done_requests}
        after = server.rss_kib()
        growth = (after - before) / 1024
        out(f"memory: RSS {before / 1024:.1f} MiB before, {after / 1024:.1f} MiB after "
            f"{memory['requests']:,.0f} more decisions: growth **{growth:.1f} MiB**")
        out()
        targets = [
            ("validate ≥ 0.5x the floor's throughput", ratio >= 0.5, f"{ratio:.2f}x"),
            ("≥ 3,000 decisions/s", median("validate", "rps") >= 3000, f"{median('validate', 'rps'):,.0f}/s"),
            ("p99 < 20 ms", median("validate", "p99") < 20, f"{median('validate', 'p99'):.2f} ms"),
            (f"RSS growth < 10 MiB over {args.requests:,} requests", growth < 10 and memory["requests"] >= args.requests,
             f"{growth:.1f} MiB"),
        ]
        out("| target | measured | met |")
        out("|---|---:|---|")
        for what, met, value in targets:
            out(f"| {what} | {value} | {'yes' if met else 'NO'} |")
        return 0 if all(met for _, met, _ in targets) else 1
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
