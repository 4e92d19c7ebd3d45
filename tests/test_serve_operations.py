"""Running the service: the decision log (masking, rotation, drops, flushed on SIGTERM), hot reload
with a broken policy, graceful shutdown, a long batch in flat memory, several workers, the
playground's limits."""
from __future__ import annotations

import hashlib
import json
import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml

import espolicy
from espolicy.serve.config import Masking
from espolicy.serve.decisionlog import Decision, DecisionLog, mask
from espolicy.sources import bundled_dir
from serving import REPO, Server

EXAMPLES = REPO / "examples"
YAML = {"Content-Type": "application/yaml"}


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# ---------------------------------------------------------------- the decision log

def test_decision_log_records_every_decision_with_personal_data_masked_and_is_flushed_on_sigterm(tmp_path):
    log = tmp_path / "decisions.jsonl"
    text = (EXAMPLES / "registration-ok.yaml").read_bytes()
    with Server("--decision-log", str(log), "--log-drop", "/customer/site",
                env={"ESPOLICY_LOG_SALT": "pepper"}) as server:
        with server.client() as c:
            ids = [c.post("/v1/validate", content=text, headers={**YAML, "X-Request-Id": f"r{i}"}).json()["request_id"]
                   for i in range(25)]
            lines = b"\n".join((EXAMPLES / "service-batch.jsonl").read_bytes().splitlines()[:2] + [b"{oops"])
            c.post("/v1/validate/batch", content=lines, headers={"Content-Type": "application/x-ndjson",
                                                                 "X-Request-Id": "batch-1"})
        assert server.terminate()
    records = _records(log)
    assert [r["request_id"] for r in records[:25]] == ids
    first = records[0]
    assert set(first) >= {"time", "request_id", "policy_digest", "input_sha256", "kind", "id", "outcome", "rules",
                          "latency_ms", "input"}
    assert first["input_sha256"] == hashlib.sha256(text).hexdigest()
    assert (first["kind"], first["id"], first["outcome"]) == ("registration", "REG-2026-0001", "allow")
    assert first["policy_digest"] == espolicy.default_policy().digest
    customer = first["input"]["customer"]
    assert "site" not in customer
    expected = "sha256:" + hashlib.sha256(b"pepper" + json.dumps("Taro Yamada").encode()).hexdigest()
    assert customer["contact"]["name"] == expected
    raw = log.read_text(encoding="utf-8")
    for personal in ("Taro Yamada", "03-0000-0000", "taro@example.com", "Example Co., Ltd.", "Shiba"):
        assert personal not in raw
    batch = [r for r in records if r["request_id"] == "batch-1"]
    assert [r["source"] for r in batch] == ["body:1", "body:2", "body:3"]
    assert batch[2]["outcome"] == "invalid" and batch[2]["rules"] == ["parse-error"]


def test_mask_copies_only_what_it_changes_and_ignores_absent_pointers():
    doc = {"customer": {"name": "A", "contact": {"phone": "1"}}, "history": [{"x": 1}, {"x": 2}], "k": "v"}
    before = json.dumps(doc)
    out = mask(doc, Masking(drop=("/history/1", "/nothing/here"), hash=("/customer/contact/phone", "/k"), salt=b""))
    assert json.dumps(doc) == before   # the decision's document is never changed
    assert out["history"] == [{"x": 1}, None]
    assert out["customer"]["contact"]["phone"] == "sha256:" + hashlib.sha256(b'"1"').hexdigest()
    assert out["customer"]["name"] == "A" and out["k"].startswith("sha256:")


def _decision(i: int) -> Decision:
    return Decision("t", f"r{i}", "sha256:x", b"{}", "registration", f"id-{i}", "allow", (), 0.1, {"n": "x" * 200})


def test_the_log_rotates_by_size_and_keeps_every_record(tmp_path):
    path = tmp_path / "d.jsonl"
    log = DecisionLog(str(path), Masking(), max_bytes=4096, backups=50)
    for i in range(200):
        log.add(_decision(i))
    log.close()
    files = sorted(tmp_path.iterdir())
    assert len(files) > 5 and all(f.stat().st_size < 4096 + 1024 for f in files)
    ids = sorted(int(r["request_id"][1:]) for f in files for r in _records(f))
    assert ids == list(range(200))
    assert log.dropped == 0


def test_a_full_queue_drops_and_counts_instead_of_waiting(tmp_path):
    gate = threading.Event()
    drops: list[int] = []

    class Slow(DecisionLog):   # a writer that cannot keep up (a stuck disk)
        def _write(self, decision: Decision) -> None:
            gate.wait()
            super()._write(decision)

    log = Slow(str(tmp_path / "d.jsonl"), Masking(), capacity=10, on_drop=lambda: drops.append(1))
    for i in range(100):
        log.add(_decision(i))   # returns at once even though nothing is written
    assert log.dropped == len(drops) >= 100 - 10 - 1
    gate.set()
    log.close()
    assert log.written + log.dropped == 100


# ---------------------------------------------------------------- hot reload and shutdown

def _policy_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "policy"
    shutil.copytree(bundled_dir("policy"), folder, ignore=shutil.ignore_patterns("tests"))
    return folder


def _wait(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_watch_swaps_a_good_policy_and_keeps_serving_through_a_broken_one(tmp_path):
    folder = _policy_copy(tmp_path)
    reg = (EXAMPLES / "registration-ok.yaml").read_bytes()
    with Server("--policy", str(folder), "--watch") as server, server.client() as c:
        first = c.post("/v1/validate", content=reg, headers=YAML)
        assert first.json()["outcome"] == "allow"
        old = first.headers["X-Policy-Digest"]
        time.sleep(1)   # let the watcher start
        # a good change: a 3-year pack is no longer offered
        rules = folder / "policy.esp"
        rules.write_text(rules.read_text(encoding="utf-8").replace("const G2_TERMS = {3, 4, 5}",
                                                                   "const G2_TERMS = {4, 5}"), encoding="utf-8")
        assert _wait(lambda: c.get("/readyz").json()["policy"]["digest"] != old)
        second = c.post("/v1/validate", content=reg, headers=YAML)
        new = second.headers["X-Policy-Digest"]
        assert new != old and second.json()["policy"]["digest"] == new
        assert second.json()["outcome"] == "deny"
        # a broken change: the good new policy keeps serving, readyz and the log say where
        text = rules.read_text(encoding="utf-8")
        broken_line = text.splitlines().index("const MAX_YEARS = 5") + 1
        rules.write_text(text.replace("const MAX_YEARS = 5", "const MAX_YEARS = = 5"), encoding="utf-8")
        assert _wait(lambda: "reload_error" in c.get("/readyz").json())
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "stale"
        error = ready.json()["reload_error"]
        assert error["file"].endswith("policy.esp") and error["line"] == broken_line and error["column"]
        assert f"policy.esp:{broken_line}:" in error["where"]
        assert server.wait_for_log(f"policy.esp:{broken_line}:")
        third = c.post("/v1/validate", content=reg, headers=YAML)
        assert third.headers["X-Policy-Digest"] == new and third.json()["outcome"] == "deny"
        metrics = c.get("/metrics").text
        assert 'espolicy_policy_reloads_total{result="error"} 1.0' in metrics
        assert 'espolicy_policy_reloads_total{result="ok"} 1.0' in metrics
        assert "espolicy_policy_reload_failed 1.0" in metrics
        # fixed again: ready
        rules.write_text(text, encoding="utf-8")
        assert _wait(lambda: c.get("/readyz").json()["status"] == "ready")


def test_a_broken_policy_at_start_is_refused_with_its_place(tmp_path):
    import subprocess
    import sys
    folder = _policy_copy(tmp_path)
    (folder / "policy.esp").write_text("const = 5\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "espolicy", "serve", "--policy", str(folder), "--port", "0"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env=Server().env)
    assert done.returncode == 2
    assert "policy.esp:1:" in done.stderr and "Traceback" not in done.stderr


def test_sigterm_lets_requests_in_flight_finish(tmp_path):
    """A batch still streaming when SIGTERM arrives is answered in full; the log has every decision."""
    log = tmp_path / "d.jsonl"
    line = json.dumps(yaml.safe_load((EXAMPLES / "registration-ok.yaml").read_text(encoding="utf-8")), default=str)
    with Server("--decision-log", str(log)) as server:
        host, port = server.url.rsplit(":", 1)[0].split("//")[1], int(server.url.rsplit(":", 1)[1])
        sock = socket.create_connection((host, port))
        count = 400
        body = ((line + "\n") * count).encode()
        head = (f"POST /v1/validate/batch HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-ndjson\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        sock.sendall(head + body[:len(body) // 2])   # half the batch is sent...
        time.sleep(0.5)
        server.process.send_signal(15)               # ...SIGTERM arrives...
        time.sleep(0.5)
        sock.sendall(body[len(body) // 2:])          # ...and the rest still gets its answers
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        sock.close()
        assert server.ended_gracefully()
    head_text, _, payload = received.partition(b"\r\n\r\n")
    assert head_text.startswith(b"HTTP/1.1 200")
    results = [json.loads(x) for x in _dechunk(payload).splitlines() if x.strip()]
    assert len(results) == count and {r["outcome"] for r in results} == {"allow"}
    assert len(_records(log)) == count


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2:]
    return out


def _rss_kib(pid: int, field: str = "VmHWM") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads peak memory from /proc")
def test_a_long_batch_streams_in_flat_memory(tmp_path):
    """60 MB of JSON Lines through one request: the server's peak memory grows far less than the body
    (it holds one line at a time), and every line gets its result in order."""
    line = (json.dumps(yaml.safe_load((EXAMPLES / "registration-ok.yaml").read_text(encoding="utf-8")),
                       default=str) + "\n").encode()
    count = 60_000_000 // len(line)
    with Server() as server:
        with server.client() as c:   # warm up: the first decisions build caches
            c.post("/v1/validate/batch", content=line * 200, headers={"Content-Type": "application/x-ndjson"})
        peak_before = _rss_kib(server.process.pid)
        host, port = server.url.split("//")[1].split(":")
        sock = socket.create_connection((host, int(port)))
        sock.sendall((f"POST /v1/validate/batch HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-ndjson"
                      f"\r\nContent-Length: {len(line) * count}\r\nConnection: close\r\n\r\n").encode())
        seen = {"lines": 0, "tail": b""}

        def read() -> None:   # a client reading results while it still sends (full duplex, as curl does)
            while chunk := sock.recv(1 << 16):
                data = seen["tail"] + chunk
                seen["lines"] += data.count(b"\n")
                seen["tail"] = data[data.rfind(b"\n") + 1:] if b"\n" in data else data
        reader = threading.Thread(target=read)
        reader.start()
        block = line * 1000
        for _ in range(count // 1000):
            sock.sendall(block)
        sock.sendall(line * (count % 1000))
        reader.join(600)
        sock.close()
        growth_mib = (_rss_kib(server.process.pid) - peak_before) / 1024
    assert seen["lines"] >= count   # one result per line (plus the chunked framing lines)
    assert growth_mib < 30, f"peak memory grew by {growth_mib:.1f} MiB for a {len(line) * count >> 20} MiB body"


def test_several_workers_answer_with_the_same_policy(tmp_path):
    log = tmp_path / "d.jsonl"
    with Server("--workers", "2", "--decision-log", str(log)) as server:
        reg = (EXAMPLES / "registration-ok.yaml").read_bytes()
        assert _wait(lambda: _get(server.url + "/readyz") == 200)
        digests = set()
        for _ in range(20):
            with httpx.Client(base_url=server.url, timeout=60) as c:   # new connections spread over workers
                r = c.post("/v1/validate", content=reg, headers=YAML)
                assert r.status_code == 200
                digests.add(r.headers["X-Policy-Digest"])
        assert digests == {espolicy.default_policy().digest}
        assert server.terminate()
    files = list(tmp_path.glob("d.*.jsonl"))
    assert 1 <= len(files) <= 2 and sum(len(_records(f)) for f in files) == 20


def _get(url: str) -> int:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return 0


# ---------------------------------------------------------------- the playground

def test_playground_is_off_by_default_and_its_child_is_limited(tmp_path):
    with Server() as server, server.client() as c:
        assert c.get("/v1/playground/rules").status_code == 404
        assert c.post("/v1/playground/run", json={}).status_code in (404, 405)
    with Server("--playground") as server, server.client() as c:
        files = c.get("/v1/playground/rules").json()["files"]
        assert {f["name"] for f in files} == {p.name for p in bundled_dir("policy").glob("*.esp")}
        # a constant that multiplies itself into an enormous number: stopped, not the server's problem
        bomb = "".join(f"const C{i} = C{i - 1} * C{i - 1}\n" for i in range(1, 40))
        hostile = [*files, {"name": "bomb.esp", "text": "const C0 = 99999999999\n" + bomb}]
        r = c.post("/v1/playground/run", json={"files": hostile, "document": "kind: registration"})
        assert r.status_code == 200
        diagnostics = r.json()["diagnostics"]
        assert diagnostics and diagnostics[0]["severity"] == "error"
        assert c.get("/healthz").status_code == 200
        r = c.post("/v1/playground/run", json={"files": [{"name": "../x.esp", "text": ""}], "document": ""})
        assert r.status_code == 400 and "`../x.esp`" in r.json()["error"]["message"]


def test_every_worker_serves_the_local_policy_of_a_clone(tmp_path):
    """Without --policy, run in a clone, the service chooses ./policy as every command does, and so do
    its worker processes: no worker falls back to the bundled policy."""
    folder = _policy_copy(tmp_path)
    with open(folder / "registration.esp", "a", encoding="utf-8") as f:
        f.write('\n# a local edit: this policy is not the bundled one\n')
    local = espolicy.load_policy(folder).digest
    assert local != espolicy.default_policy().digest
    with Server("--workers", "2", cwd=tmp_path) as server:
        reg = (EXAMPLES / "registration-ok.yaml").read_bytes()
        assert _wait(lambda: _get(server.url + "/readyz") == 200)
        digests = set()
        for _ in range(20):
            with httpx.Client(base_url=server.url, timeout=60) as c:   # new connections spread over workers
                digests.add(c.post("/v1/validate", content=reg, headers=YAML).headers["X-Policy-Digest"])
        assert digests == {local}
        assert server.terminate()
