"""Benchmark: the latency of `espolicy lsp` over stdio, as an editor sees it.

    python benchmarks/bench_lsp.py               # 200 rounds of each measure
    python benchmarks/bench_lsp.py --rounds 50   # a quicker run

It starts `python -m espolicy lsp` as a subprocess, speaks JSON-RPC to it over its stdin/stdout (a
client of a few lines, so nothing but the server is measured), opens a copy of the bundled policy
and times, per round:
- diagnostics after an edit: an incremental change to registration.esp (a field name misspelt, then
  put right, in turn) until the diagnostics of the edited file arrive, and until those of every
  file of the folder have;
- completion of the fields after `pack.` in that file;
- hover on a field path, and on a `faq` citation (the reference's declared titles).
It prints the median, 90th percentile and maximum in milliseconds, the target (< 50 ms), and, for
scale, what `espolicy check` spends in-process on the same folder from scratch (every file parsed;
the server parses only the changed one), and the server's CPU time per round (from /proc, fairer on a
busy machine than the wall clock). Exit status 1 when a median misses the target.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TARGET_MS = 50.0


class Client:
    """JSON-RPC over the server's pipes: requests wait for their answer; notifications are kept."""

    def __init__(self, command: list[str], env: dict[str, str]):
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.next_id = 0
        self.notes: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        length = 0
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the server closed its output")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("ascii").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        message: dict[str, Any] = json.loads(self.proc.stdout.read(length))
        if "id" in message and "method" in message:  # a request from the server: answer it empty
            self.send({"id": message["id"], "result": None})
        return message

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            m = self.receive()
            if m.get("id") == self.next_id and "method" not in m:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result")
            self.notes.append(m)

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def wait_diagnostics(self, uris: set[str]) -> dict[str, float]:
        """Wait until diagnostics for every uri in `uris` arrived; the arrival time of each."""
        arrived: dict[str, float] = {}
        for m in self.notes:
            if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] in uris:
                arrived[m["params"]["uri"]] = time.perf_counter()
        self.notes.clear()
        while set(arrived) != uris:
            m = self.receive()
            if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] in uris:
                arrived.setdefault(m["params"]["uri"], time.perf_counter())
        return arrived

    def cpu(self) -> float:
        """CPU seconds the server has used so far (user + system, from /proc; 0.0 elsewhere)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.request("shutdown", None)
        self.notify("exit", None)
        self.proc.wait(timeout=30)


def _summary(name: str, samples: list[float]) -> tuple[str, float]:
    ms = sorted(s * 1000 for s in samples)
    p90 = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
    median = statistics.median(ms)
    return f"{name:<44} {median:8.1f} {p90:8.1f} {ms[-1]:8.1f}", median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="espolicy-bench-lsp-"))
    try:
        shutil.copytree(REPO / "policy", work / "policy", ignore=shutil.ignore_patterns("tests"))
        folder = work / "policy"
        files = sorted(folder.glob("*.esp"))
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        started = time.perf_counter()
        client = Client([sys.executable, "-m", "espolicy", "lsp"], env)
        client.request("initialize", {"processId": os.getpid(), "rootUri": work.as_uri(), "capabilities": {}})
        client.notify("initialized", {})
        path = folder / "registration.esp"
        uri = path.as_uri()
        text = path.read_text(encoding="utf-8")
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "espolicy", "version": 1,
                                                                "text": text}})
        every = {p.as_uri() for p in files}
        client.wait_diagnostics(every)
        start_ms = (time.perf_counter() - started) * 1000

        lines = text.split("\n")
        row = next(i for i, ln in enumerate(lines) if "pack.term_years" in ln)
        col = lines[row].index("pack.term_years") + len("pack.term_")
        cite_row = next(i for i, ln in enumerate(lines) if ln.strip().startswith("faq Q"))
        cite = {"textDocument": {"uri": uri}, "position": {"line": cite_row, "character": lines[cite_row].index("Q") + 1}}
        own, folder_wide, completion, hover, reference = [], [], [], [], []
        cpu_edits = cpu_requests = 0.0
        for n in range(args.rounds):
            cpu = client.cpu()
            new, old = ("yeras", "years") if n % 2 == 0 else ("years", "yeras")
            sent = time.perf_counter()
            client.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": n + 2},
                "contentChanges": [{"range": {"start": {"line": row, "character": col},
                                              "end": {"line": row, "character": col + len(old)}}, "text": new}]})
            arrived = client.wait_diagnostics(every)
            own.append(arrived[uri] - sent)
            folder_wide.append(max(arrived.values()) - sent)
            cpu_edits += client.cpu() - cpu
            cpu = client.cpu()
            where = {"textDocument": {"uri": uri}, "position": {"line": row, "character": col - len("term_")}}
            sent = time.perf_counter()
            items = client.request("textDocument/completion", where)
            completion.append(time.perf_counter() - sent)
            assert {"term_years", "coverage"} <= {i["label"] for i in items["items"]}, items
            sent = time.perf_counter()
            found = client.request("textDocument/hover", {**where, "position": {"line": row, "character": col - 8}})
            hover.append(time.perf_counter() - sent)
            cpu_requests += client.cpu() - cpu
            assert found is not None and "pack" in found["contents"]["value"], found
            sent = time.perf_counter()
            found = client.request("textDocument/hover", cite)
            reference.append(time.perf_counter() - sent)
            assert found is not None and "ja: " in found["contents"]["value"], found
        client.close()

        sys.path.insert(0, str(REPO))
        from espolicy.engine.lint import analyse
        analyse(folder)
        cold = []
        for _ in range(max(5, args.rounds // 10)):
            t = time.perf_counter()
            analyse(folder)
            cold.append(time.perf_counter() - t)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"espolicy lsp over stdio, bundled policy ({len(files)} files), {args.rounds} rounds; "
          f"start to first diagnostics {start_ms:.0f} ms")
    print(f"{'measure (ms)':<44} {'median':>8} {'p90':>8} {'max':>8}")
    misses = []
    for name, samples, target in (("diagnostics of the edited file", own, True),
                                  ("diagnostics of every file of the folder", folder_wide, False),
                                  ("completion after `pack.`", completion, True),
                                  ("hover on a field", hover, False),
                                  ("hover on a `faq` citation", reference, False),
                                  ("for scale: `check` in-process, from scratch", cold, False)):
        line, median = _summary(name, samples)
        print(line)
        if target and median >= TARGET_MS:
            misses.append(name)
    print(f"server CPU per round (mean, a fairer figure on a busy machine): edit and its diagnostics "
          f"{cpu_edits / args.rounds * 1000:.1f} ms, completion and hover {cpu_requests / args.rounds * 1000:.1f} ms")
    print(f"target: median under {TARGET_MS:.0f} ms for diagnostics after an edit and for completion: "
          + ("met" if not misses else "missed by " + ", ".join(misses)))
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
