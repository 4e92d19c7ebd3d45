"""The compiled-policy cache: a checked policy, pickled under a key of everything it depends on.

A hit skips building the Lark parser, parsing and type checking (about 70 ms of a cold start).
The key covers the rule files, the schemas and espolicy's own code, so any change misses.
Location: `$ESPOLICY_CACHE_DIR`, else `$XDG_CACHE_HOME/espolicy`, else `~/.cache/espolicy`;
`ESPOLICY_CACHE_DIR=off` turns it off. Like `__pycache__`, the folder is trusted: it belongs
to the user who runs espolicy. Any problem reading or writing it is a miss, never an error.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import marshal
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Mapping

_PACKAGE = Path(__file__).resolve().parent


def cache_dir() -> Path | None:
    """Where compiled policies are kept, or None when caching is off."""
    env = os.environ.get("ESPOLICY_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "no") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "espolicy"


@functools.lru_cache(maxsize=1)
def _code_digest() -> str:
    """A digest of espolicy's own code and grammar: a new version never reads an old entry."""
    h = hashlib.sha256()
    for path in sorted([*_PACKAGE.rglob("*.py"), *_PACKAGE.rglob("*.lark")]):
        name = path.relative_to(_PACKAGE).as_posix().encode()
        try:
            h.update(name + b"\0" + path.read_bytes() + b"\0")
        except OSError:
            h.update(name + b"\0?\0")
    return h.hexdigest()


def key(sources: Iterable[tuple[str, str]], schemas: Mapping[str, Any]) -> str:
    """The cache key of a policy: its files (name and text), its schemas and espolicy's code."""
    h = hashlib.sha256(_code_digest().encode())
    for file, text in sources:
        h.update(b"F" + file.encode("utf-8", "surrogatepass") + b"\0" + text.encode("utf-8", "surrogatepass") + b"\0")
    h.update(b"S" + json.dumps(schemas, sort_keys=True, ensure_ascii=True).encode())
    return h.hexdigest()


def load(entry: str) -> Any | None:
    """The cached object for `entry`, or None (no cache, no entry, or an unreadable one)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with open(folder / f"{entry}.pickle", "rb") as handle:
            return pickle.load(handle)
    except Exception:  # missing, truncated or from an incompatible Python: a miss
        return None


def store(entry: str, value: Any) -> None:
    """Keep `value` under `entry`, atomically; silently does nothing when that is not possible."""
    _write(f"{entry}.pickle", lambda handle: pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL))


def _write(name: str, dump: Callable[[BinaryIO], None]) -> None:
    """Write a cache file through a temporary file and a rename; any failure leaves no trace."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                dump(handle)
            os.replace(tmp, folder / name)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except Exception:  # a read-only home, a full disk: work without the cache
        return


def compile_cached(source: str, filename: str) -> Any:
    """`compile(source, filename, "exec")`, its code object kept in the cache (marshal) under a digest
    of the source and the interpreter's bytecode version: a policy's generated code is compiled once,
    not at every start."""
    folder = cache_dir()
    if folder is None:
        return compile(source, filename, "exec")
    h = hashlib.sha256(importlib.util.MAGIC_NUMBER + filename.encode() + b"\0" +
                       source.encode("utf-8", "surrogatepass"))
    name = f"{h.hexdigest()}.code"
    try:
        with open(folder / name, "rb") as handle:
            return marshal.load(handle)
    except Exception:  # missing or damaged: compile
        pass
    code = compile(source, filename, "exec")
    _write(name, lambda handle: marshal.dump(code, handle))
    return code
