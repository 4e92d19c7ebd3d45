"""Worker processes that apply one function to the payloads they are sent, for `-j N`.

Each worker is started once with its setup (the policy and the batch options) and then takes
payloads from one shared queue as it becomes free, so a worker slowed down by other work on the
machine simply takes fewer. The parent hands payloads to a sender thread (a payload never waits
for a busy worker in the parent's own thread) and reads the results itself, in the order it sent
the payloads.

Not `multiprocessing.Pool`: its worker-handler thread also waits on the results pipe, so it wakes
again and again while a large result is being read, and holds the interpreter lock that the
result-reading thread needs; measured on 100,000 JSON Lines records with `--format jsonl`, that
thread alone took 0.35-0.45 s of the parent's processor time, and the workers waited to write
their results. A worker that dies is also an error here, not a result waited for forever.
"""
from __future__ import annotations

import multiprocessing
import pickle
import queue
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import wait
from typing import Any, NoReturn

__all__ = ["Workers", "WorkerDied"]


class WorkerDied(RuntimeError):
    """A worker process ended without sending back the result of a payload it took."""


def _serve(tasks: Any, take: Any, results: Any, give: Any, setup: Callable[..., Callable[[Any], Any]],
           args: tuple[Any, ...], parents: tuple[Any, ...] = ()) -> None:
    """A worker: `setup(*args)` gives the function; apply it to each payload until None comes, or
    until the parent is gone (`take` and `give` lock the shared ends: one message is read or
    written whole by one worker; `parents`: the parent's own ends, closed here so that its end
    is seen)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle
    for end in parents:
        end.close()
    work = setup(*args)
    while True:
        try:
            with take:
                task = pickle.loads(tasks.recv_bytes())
        except EOFError:   # the parent is gone
            return
        if task is None:
            return
        number, payload = task
        try:
            done: tuple[int, bool, Any] = (number, True, work(payload))
        except BaseException as e:   # handed back and raised in the parent, as it would be in one process
            done = (number, False, e)
        try:
            data = pickle.dumps(done, pickle.HIGHEST_PROTOCOL)
        except Exception as e:   # a result or an error that cannot be pickled
            data = pickle.dumps((number, False, RuntimeError(f"{type(e).__name__}: {e}")))
        try:
            with give:
                results.send_bytes(data)
        except OSError:   # the parent is gone
            return


class Workers:
    """`count` worker processes, each set up once with `setup(*args)` (which returns the function
    applied to every payload). `send` returns a number; `ready` and `result` take it. Results
    must be taken in the order the payloads were sent."""

    def __init__(self, ctx: Any, count: int, setup: Callable[..., Callable[[Any], Any]], args: tuple[Any, ...]) -> None:
        tasks, self._to_workers = ctx.Pipe(duplex=False)
        self._from_workers, results = ctx.Pipe(duplex=False)
        self._done: dict[int, tuple[bool, Any]] = {}
        self._sent = 0
        self._processes: list[Any] = []
        take, give = self._locks = ctx.Lock(), ctx.Lock()   # kept: a spawned worker opens them after start()
        for _ in range(count):
            process = ctx.Process(target=_serve, daemon=True,
                                  args=(tasks, take, results, give, setup, args, (self._to_workers, self._from_workers)))
            process.start()
            self._processes.append(process)
        tasks.close()     # the workers hold these ends: when they are all gone, writing fails and reading ends
        results.close()
        self._outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._sender = threading.Thread(target=self._send_all, args=(count,), daemon=True)
        self._sender.start()

    def _send_all(self, stops: int) -> None:
        """The sender thread: writes each payload to the workers' pipe (waiting while it is full),
        until it has written one None per worker."""
        while stops:
            task = self._outbox.get()
            try:
                self._to_workers.send_bytes(pickle.dumps(task, pickle.HIGHEST_PROTOCOL))
            except (OSError, ValueError):   # the workers are gone (the run is being stopped)
                return
            stops -= task is None

    def send(self, payload: Any) -> int:
        """Queue `payload` for the next free worker; its number."""
        number = self._sent
        self._sent += 1
        self._outbox.put((number, payload))
        return number

    def ready(self, number: int) -> bool:
        """True when the result of payload `number` has come back (never blocks)."""
        while number not in self._done and self._from_workers.poll():
            self._read()
        return number in self._done

    def result(self, number: int) -> Any:
        """The result of payload `number` (waiting for it); the worker's exception is raised here."""
        while number not in self._done:
            self._read()
        ok, value = self._done.pop(number)
        if not ok:
            raise value
        return value

    def _read(self) -> None:
        """Read one result, waiting for it; a worker that died meanwhile is an error."""
        while not self._from_workers.poll():
            wait([self._from_workers, *(p.sentinel for p in self._processes)])
            if not self._from_workers.poll():   # woken by a worker's end
                self._died()
        try:
            data = self._from_workers.recv_bytes()
        except EOFError:   # every worker has ended
            self._died()
        number, ok, value = pickle.loads(data)
        self._done[number] = (ok, value)

    def _died(self) -> NoReturn:
        for process in self._processes:
            process.join(1)
        code = next((p.exitcode for p in self._processes if p.exitcode is not None), None)
        raise WorkerDied(f"a worker process ended (exit code {code}) before sending back its results")

    def close(self) -> None:
        """Stop the workers once they have finished what they were sent."""
        for _ in self._processes:
            self._outbox.put(None)
        self._stop()

    def terminate(self) -> None:
        """Stop the workers now (an error or Ctrl-C in the parent); nothing more is read."""
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        for process in self._processes:
            process.join()
        for _ in self._processes:   # wakes the sender thread, whose writes now fail: no worker reads
            self._outbox.put(None)
        self._stop()

    def _stop(self) -> None:
        """Wait for the workers and the sender thread (which stops writing once no worker is
        left to read), then close the parent's ends of the pipes."""
        for process in self._processes:
            process.join()
        self._sender.join()
        self._to_workers.close()
        self._from_workers.close()
