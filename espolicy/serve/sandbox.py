"""The playground: a policy owner's edited copy of the rules, checked and run on a document in a
child process with limits on CPU time, memory, file size and wall time (`python -m
espolicy.serve.sandbox` reads the job as JSON on stdin and writes the outcome as JSON on stdout).

The outcome: `diagnostics` (what `espolicy check` says, each with file, line and column), and,
when the rules check, the `result` the edited policy gives the document, with its policy digest.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from espolicy.serve.body import Problem

MAX_REQUEST = 1024 * 1024          # bytes of one playground request (rules and document)
MAX_FILES = 32
CPU_SECONDS = 10
MEMORY_BYTES = 1024 * 1024 * 1024  # address space of the child
WALL_SECONDS = 30
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}\.esp")


def job_of(data: bytes) -> dict[str, Any]:
    """The job in a request body, checked: `{"files": [{"name", "text"}…], "document": text}`;
    else a 400 Problem saying what is wrong."""
    def bad(message: str, help: str) -> Problem:
        return Problem(400, "bad-playground-request", message, help)
    try:
        job = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise bad(f"the body is not JSON: {e}", 'send `{"files": [{"name": "x.esp", "text": "…"}], '
                                                '"document": "…"}`') from None
    if not isinstance(job, dict) or not isinstance(job.get("files"), list) or not isinstance(job.get("document"), str):
        raise bad("the body needs `files` (a list) and `document` (a text)",
                  'send `{"files": [{"name": "x.esp", "text": "…"}], "document": "…"}`')
    files = job["files"]
    if not 0 < len(files) <= MAX_FILES:
        raise bad(f"send between 1 and {MAX_FILES} rule files, not {len(files)}", "send the policy's rule files")
    names = set()
    for f in files:
        if not (isinstance(f, dict) and isinstance(f.get("name"), str) and isinstance(f.get("text"), str)):
            raise bad("each file needs a `name` and a `text`", 'write `{"name": "rules.esp", "text": "…"}`')
        if not _NAME.fullmatch(f["name"]) or f["name"] in names:
            raise bad(f"`{f['name'][:80]}` is not a usable rule file name (or appears twice)",
                      "use distinct plain names ending in `.esp`, such as `registration.esp`")
        names.add(f["name"])
    return {"files": [{"name": f["name"], "text": f["text"]} for f in files], "document": job["document"]}


def run(job: dict[str, Any]) -> dict[str, Any]:
    """The outcome of a job, computed in a limited child process (or why it was stopped)."""
    env = {**os.environ, "ESPOLICY_CACHE_DIR": "off", "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run([sys.executable, "-m", "espolicy.serve.sandbox"], input=json.dumps(job).encode(),
                              capture_output=True, timeout=WALL_SECONDS, env=env)
    except subprocess.TimeoutExpired:
        return _stopped(f"the check took longer than {WALL_SECONDS} s and was stopped")
    if done.returncode != 0:
        return _stopped(_why(done.returncode, done.stderr.decode("utf-8", "replace")))
    try:
        out: dict[str, Any] = json.loads(done.stdout)
        return out
    except ValueError:
        return _stopped("the check gave no answer")


def _why(code: int, stderr: str) -> str:
    """Why the child ended without an answer: a limit it ran into, or the last line it wrote."""
    if code < 0 or "MemoryError" in stderr:
        return (f"the check was stopped: it went over its limit of {CPU_SECONDS} s of processor time "
                f"or {MEMORY_BYTES // 2**20} MiB of memory")
    last = stderr.strip().splitlines()[-1:]
    return "the check failed" + (f": {last[0]}" if last else "")


def _stopped(message: str) -> dict[str, Any]:
    return {"diagnostics": [{"severity": "error", "code": "stopped", "message": message, "hint": None,
                             "file": None, "line": None, "column": None, "end_line": None, "end_column": None}],
            "result": None, "policy": None}


def _limit() -> None:
    import resource
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_REQUEST * 2, MAX_REQUEST * 2))


def judge_job(job: dict[str, Any]) -> dict[str, Any]:
    """What the child computes: check the rule files, then judge the document with them."""
    from espolicy import load_policy
    from espolicy.engine.batch import judge
    from espolicy.engine.lint import analyse
    from espolicy.limits import DEFAULT_LIMITS
    from espolicy.serve.body import SOURCE, one_document

    with tempfile.TemporaryDirectory(prefix="espolicy-playground-") as folder:
        for f in job["files"]:
            Path(folder, f["name"]).write_text(f["text"], encoding="utf-8")
        analysis = analyse(folder)
        diagnostics = []
        for d in analysis.diagnostics:
            item = d.to_dict()
            if item["file"]:
                item["file"] = Path(str(item["file"])).name
            item["rendered"] = d.render().replace(folder + os.sep, "")
            diagnostics.append(item)
        out: dict[str, Any] = {"diagnostics": diagnostics, "result": None, "policy": None}
        if analysis.errors:
            return out
        policy = load_policy(folder)
        out["policy"] = policy.info()
        text = job["document"]
        try:
            loaded = one_document(text, "json" if text.lstrip().startswith("{") else "yaml", DEFAULT_LIMITS)
        except Problem as p:
            out["document_error"] = p.to_dict()
            return out
        out["result"] = judge(policy, SOURCE, loaded).to_dict()
        return out


def main() -> int:
    _limit()
    job = json.loads(sys.stdin.buffer.read())
    json.dump(judge_job(job), sys.stdout, ensure_ascii=False, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
