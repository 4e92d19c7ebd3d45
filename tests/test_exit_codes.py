"""Exit codes that a pipeline can rely on: a closed stdout (`| head`) keeps the verdict's code, an
internal error exits 2 with one line naming the input, Ctrl-C is 130."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from limited import HANG_GUARD_SECONDS, popen_limited, run_python_limited

ALLOW = {"kind": "registration", "id": "R-OK", "registration_date": "2026-04-10",
         "server": {"model": "m", "serial": "1", "warranty_start": "2026-03-16", "warranty_years": 1},
         "pack": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3, "purchase_date": "2026-03-16"}}
DENY = {**ALLOW, "id": "R-DENY", "pack": {**ALLOW["pack"], "term_years": 6}}


def many(tmp_path: Path, last: dict[str, object], count: int = 3000) -> Path:
    """A JSON Lines file of `count` allowed records, then `last`: far more output than a pipe holds."""
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps(ALLOW) + "\n" for _ in range(count)) + json.dumps(last) + "\n")
    return path


def closed_after_one_line(args: list[str]) -> tuple[int, bytes]:
    """Exit code and stderr of espolicy when its reader takes one line and goes away (`| head -1`)."""
    proc = popen_limited(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read()
    return proc.wait(HANG_GUARD_SECONDS), stderr


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "github"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_closed_pipe_keeps_the_verdict(tmp_path: Path, fmt: str, jobs: str) -> None:
    assert closed_after_one_line(["validate", "-j", jobs, "--format", fmt, str(many(tmp_path, ALLOW))]) == (0, b"")
    assert closed_after_one_line(["validate", "-j", jobs, "--format", fmt, str(many(tmp_path, DENY))]) == (1, b"")


def test_an_internal_error_exits_2_with_one_line_naming_the_file(tmp_path: Path) -> None:
    doc = tmp_path / "a.json"
    doc.write_text(json.dumps(ALLOW))
    done = run_python_limited(
        "import sys\n"
        "import espolicy.engine.batch as batch\n"
        "def broken(*args, **kwargs):\n"
        "    raise RuntimeError('a bug')\n"
        "batch.judge = broken\n"
        "from espolicy.commands.main import main\n"
        f"sys.exit(main(['validate', {str(doc)!r}]))\n")
    assert done.returncode == 2
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert "internal error" in lines[0] and "RuntimeError: a bug" in lines[0] and f"`{doc}`" in lines[0]


def test_ctrl_c_exits_130(tmp_path: Path) -> None:
    path = many(tmp_path, ALLOW, 200_000)
    proc = popen_limited(["validate", "--format", "jsonl", str(path)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.readline()           # it is running
    proc.send_signal(signal.SIGINT)
    proc.stdout.close()
    assert proc.wait(HANG_GUARD_SECONDS) == 130


def _running(pid: int) -> bool:
    """True while process `pid` exists and has not ended (a zombie waiting to be reaped has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_workers_end_when_their_parent_is_killed(tmp_path: Path) -> None:
    """`-j 2` killed outright (out of memory, a CI time limit): its workers see their parent go and
    end, none is left behind waiting for chunks."""
    proc = popen_limited(["validate", "-j", "2", "--format", "jsonl", str(many(tmp_path, ALLOW, 50_000))],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    proc.stdout.readline()           # the workers are running
    workers = [int(pid) for pid in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
    proc.kill()
    proc.wait(HANG_GUARD_SECONDS)
    proc.stdout.close()
    assert len(workers) == 2
    guard = time.monotonic() + HANG_GUARD_SECONDS   # a guard against hanging, not a speed check
    while any(_running(pid) for pid in workers) and time.monotonic() < guard:
        time.sleep(0.05)
    assert not any(_running(pid) for pid in workers)
