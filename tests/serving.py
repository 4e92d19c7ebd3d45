"""`espolicy serve` started for real, as a user starts it: a subprocess on a free loopback port."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

import espolicy

REPO = Path(__file__).resolve().parent.parent
_RUNNING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


class Server:
    """`espolicy serve --port 0 ARGS…`; `url` once it listens; its stderr kept in `log`."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        self.args = ["--host", "127.0.0.1", "--port", "0", *args]
        # the espolicy these tests imported (the installed package in CI, the checkout otherwise)
        package_root = str(Path(espolicy.__file__).resolve().parent.parent)
        self.env = {**os.environ, "PYTHONPATH": package_root, **(env or {})}
        self.cwd = cwd or Path(tempfile.gettempdir())
        self.lines: list[str] = []
        self.url = ""
        self.process: subprocess.Popen[str] | None = None
        self._port = threading.Event()

    def __enter__(self) -> "Server":
        self.process = subprocess.Popen([sys.executable, "-m", "espolicy", "serve", *self.args],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        env=self.env, cwd=self.cwd)
        threading.Thread(target=self._drain, daemon=True).start()
        if not self._port.wait(120) or self.process.poll() is not None:
            self.stop()
            raise RuntimeError("espolicy serve did not start:\n" + self.log)
        return self

    def _drain(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            m = _RUNNING.search(line)
            if m and not self.url:
                self.url = f"http://127.0.0.1:{m.group(1)}"
                self._port.set()
        self._port.set()

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)

    def wait_for_log(self, text: str, timeout: float = 60) -> bool:
        """Wait until `text` appears in the server's output (True) or the time runs out (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log:
                return True
            time.sleep(0.05)
        return False

    def terminate(self, timeout: float = 60) -> bool:
        """SIGTERM; True when the server then shut down gracefully (uvicorn finishes the requests in
        flight, runs the application's shutdown, then ends by the signal it caught)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.ended_gracefully(timeout)

    def ended_gracefully(self, timeout: float = 60) -> bool:
        assert self.process is not None
        code = self.process.wait(timeout)
        time.sleep(0.2)   # the last lines of output
        return code in (0, -signal.SIGTERM) and "Application shutdown complete" in self.log

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __exit__(self, *exc: object) -> None:
        self.stop()
