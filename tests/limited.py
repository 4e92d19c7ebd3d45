"""Running espolicy in a child process under resource limits: a regression to unbounded time or
memory is killed by the kernel (CPU seconds, address space) and the test fails, whatever the
machine's speed. The bounds are generous: the inputs need a small fraction of them."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

REPO = Path(__file__).resolve().parent.parent
CPU_SECONDS = 60
MEMORY_MB = 1024
# a process blocked on I/O uses no CPU: this only ends a hung child so that the test reports it
HANG_GUARD_SECONDS = 300


def _limits(cpu: int, memory_mb: int) -> Any:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024, memory_mb * 1024 * 1024))
    return apply


def run_limited(args: Sequence[str | bytes | os.PathLike[str]], *, input: bytes | None = None,
                stdin: Any = None, env: dict[str, str] | None = None, cwd: str | os.PathLike[str] | None = None,
                cpu: int = CPU_SECONDS, memory_mb: int = MEMORY_MB) -> subprocess.CompletedProcess[bytes]:
    """`python -m espolicy ARGS` in a child limited to `cpu` CPU seconds and `memory_mb` of address
    space; fails the test when the child is killed by a limit or hangs."""
    safe = ["-P"] if sys.flags.safe_path else []   # as the tests run: the installed package in CI
    command = [sys.executable, *safe, "-m", "espolicy", *args]
    done = subprocess.run(command, input=input, stdin=stdin, capture_output=True, env=env,
                          cwd=cwd if cwd is not None else (None if safe else REPO),
                          preexec_fn=_limits(cpu, memory_mb), timeout=HANG_GUARD_SECONDS)
    assert done.returncode >= 0, f"killed by signal {-done.returncode} (a resource limit): {args}"
    return done


def run_python_limited(code: str, *, env: dict[str, str] | None = None, cpu: int = CPU_SECONDS,
                       memory_mb: int = MEMORY_MB) -> subprocess.CompletedProcess[bytes]:
    """`python -c CODE` under the same limits (for the Python API)."""
    safe = ["-P"] if sys.flags.safe_path else []
    done = subprocess.run([sys.executable, *safe, "-c", code], capture_output=True, env=env,
                          cwd=None if safe else REPO, preexec_fn=_limits(cpu, memory_mb),
                          timeout=HANG_GUARD_SECONDS)
    assert done.returncode >= 0, f"killed by signal {-done.returncode} (a resource limit)"
    return done


def popen_limited(args: Sequence[str | os.PathLike[str]], *, cpu: int = CPU_SECONDS, memory_mb: int = MEMORY_MB,
                  **kwargs: Any) -> subprocess.Popen[bytes]:
    """`python -m espolicy ARGS` started under the same limits (the caller talks to its pipes)."""
    safe = ["-P"] if sys.flags.safe_path else []
    return subprocess.Popen([sys.executable, *safe, "-m", "espolicy", *args],
                            cwd=None if safe else REPO, preexec_fn=_limits(cpu, memory_mb), **kwargs)
