"""The decision log: one JSON Lines record per decision, written by a thread of its own.

A request only puts a record on a bounded queue (never waiting: when the queue is full the record
is dropped and counted); the writer thread masks personal data, serialises, appends, rotates the
file by size (PATH → PATH.1 → … → PATH.N) and flushes whenever the queue runs empty.
`close()` writes everything queued before it, then flushes and closes the file.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import sys
import threading
from dataclasses import dataclass
from typing import IO, Any, Callable

from espolicy.serve.config import Masking

log = logging.getLogger("espolicy.serve")

_STOP = object()


@dataclass(frozen=True)
class Decision:
    """What is known of one decision when it is made (the record is built off the request path)."""

    time: str
    request_id: str
    digest: str
    body: bytes
    kind: str | None
    id: str | None
    outcome: str
    rules: tuple[str, ...]
    latency_ms: float
    doc: Any = None
    source: str | None = None


def _tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def _hashed(value: Any, salt: bytes) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(salt + text.encode("utf-8")).hexdigest()


def mask(doc: Any, masking: Masking) -> Any:
    """`doc` with the value at each `drop` pointer removed and at each `hash` pointer replaced by a
    salted sha256 (`sha256:…`); pointers that are absent change nothing. Only the containers on
    the way to a masked value are copied; `doc` itself is never changed."""
    out = doc
    for pointer in masking.drop:
        out = _masked(out, _tokens(pointer), None, masking.salt)
    for pointer in masking.hash:
        out = _masked(out, _tokens(pointer), "hash", masking.salt)
    return out


def _masked(node: Any, tokens: list[str], action: str | None, salt: bytes) -> Any:
    """A copy of `node` with the value at `tokens` hashed (`action` "hash") or dropped (None); the
    same `node` when there is nothing there."""
    if not tokens:
        return node
    head, rest = tokens[0], tokens[1:]
    if isinstance(node, dict) and head in node:
        copy_ = dict(node)
        if rest:
            copy_[head] = _masked(node[head], rest, action, salt)
        elif action == "hash":
            copy_[head] = _hashed(node[head], salt)
        else:
            del copy_[head]
        return copy_
    if isinstance(node, list) and head.isdigit() and int(head) < len(node):
        items = list(node)
        index = int(head)
        if rest:
            items[index] = _masked(node[index], rest, action, salt)
        else:
            items[index] = _hashed(node[index], salt) if action == "hash" else None
        return items
    return node


def record(decision: Decision, masking: Masking, with_input: bool) -> dict[str, Any]:
    """The JSON Lines record of a decision."""
    out: dict[str, Any] = {
        "time": decision.time, "request_id": decision.request_id, "policy_digest": decision.digest,
        "input_sha256": hashlib.sha256(decision.body).hexdigest(), "kind": decision.kind, "id": decision.id,
        "outcome": decision.outcome, "rules": list(decision.rules), "latency_ms": round(decision.latency_ms, 3),
    }
    if decision.source is not None:
        out["source"] = decision.source
    if with_input and decision.doc is not None:
        out["input"] = mask(decision.doc, masking)
    return out


class DecisionLog:
    """An append-only JSON Lines file (or standard output for `-`) fed through a bounded queue."""

    def __init__(self, path: str, masking: Masking, with_input: bool = True, max_bytes: int = 64 * 1024 * 1024,
                 backups: int = 5, capacity: int = 10_000, on_drop: Callable[[], None] | None = None) -> None:
        self.path = path
        self.masking = masking
        self.with_input = with_input
        self.max_bytes = max_bytes
        self.backups = backups
        self.dropped = 0
        self.written = 0
        self.on_drop = on_drop
        self._queue: queue.Queue[Any] = queue.Queue(capacity)
        self._file: IO[str] = self._open()
        self._thread = threading.Thread(target=self._run, name="espolicy-decision-log", daemon=True)
        self._thread.start()

    def add(self, decision: Decision) -> None:
        """Queue a decision; drop it (and count the drop) when the queue is full. Never blocks."""
        try:
            self._queue.put_nowait(decision)
        except queue.Full:
            self.dropped += 1
            if self.on_drop is not None:
                self.on_drop()

    def close(self) -> None:
        """Write every queued record, flush, close (idempotent)."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    # ---- the writer thread ----
    def _open(self) -> IO[str]:
        if self.path == "-":
            return sys.stdout
        return open(self.path, "a", encoding="utf-8")

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                break
            try:
                self._write(item)
                if self._queue.empty():
                    self._file.flush()
            except OSError as e:   # a full or failing disk: count the record as dropped, keep going
                self._failed(e)
        self._file.flush()
        if self._file is not sys.stdout:
            self._file.close()

    def _failed(self, error: OSError) -> None:
        self.dropped += 1
        if self.on_drop is not None:
            self.on_drop()
        if self.dropped == 1 or self.dropped % 10_000 == 0:
            log.error("espolicy serve: cannot write the decision log `%s`: %s", self.path, error)

    def _write(self, decision: Decision) -> None:
        try:
            line = json.dumps(record(decision, self.masking, self.with_input), ensure_ascii=False, default=str)
        except (TypeError, ValueError, RecursionError) as e:   # never lose the decision for its input
            line = json.dumps({**record(decision, self.masking, False), "input_error": str(e)})
        self._file.write(line + "\n")
        self.written += 1
        if self.path != "-" and self._file.tell() >= self.max_bytes:
            self._rotate()

    def _rotate(self) -> None:
        self._file.close()
        for n in range(self.backups - 1, 0, -1):
            older = f"{self.path}.{n}"
            if os.path.exists(older):
                os.replace(older, f"{self.path}.{n + 1}")
        if self.backups > 0:
            os.replace(self.path, f"{self.path}.1")
        else:
            os.remove(self.path)
        self._file = self._open()
