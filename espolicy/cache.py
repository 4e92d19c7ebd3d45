"""The compiled-policy cache: a checked policy and the generated code objects, kept under a key of
everything they depend on, used only when espolicy itself wrote them for this user.

A hit skips building the Lark parser, parsing and type checking (about 70 ms of a cold start).
The key covers the rule files, the schemas and espolicy's own code, so any change misses.
Folder: `$ESPOLICY_CACHE_DIR`, else the user's cache folder (platformdirs: `~/.cache/espolicy`
on Linux); `ESPOLICY_CACHE_DIR=off` turns it off.

The folder is not trusted (CI caches are restored from other branches). An entry is used only when
- the folder and the entry belong to the user and are not writable by group or others, the entry
  is a regular file (not a link);
- its HMAC-SHA256, under a per-user secret key, matches its name and content: the key (32 random
  bytes, mode 0600) is kept apart from the folder (`$ESPOLICY_CACHE_KEY`, else the user's data
  folder), so a copied or restored folder carries no key and all its entries miss;
- what it holds is what is expected: a checked policy made only of espolicy's own classes (read
  by an unpickler that builds nothing else) or a code object.
Anything else is a miss (a warning on the `espolicy` logger, which `--verbose` shows), never an
error and never a different judgement.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import importlib.util
import io
import json
import logging
import marshal
import os
import pickle
import secrets
import stat
import tempfile
import types
from pathlib import Path
from typing import Any, Iterable, Mapping, TypeVar

_PACKAGE = Path(__file__).resolve().parent
_MAGIC = b"espolicy-cache-1\n"
_KEY_BYTES = 32
_MAX_ENTRY = 64 * 1024 * 1024   # a checked policy is about 100 KB
_OFF = ("", "off", "0", "no")
_log = logging.getLogger("espolicy.cache")

T = TypeVar("T")


def cache_dir() -> Path | None:
    """Where compiled policies are kept, or None when caching is off."""
    env = os.environ.get("ESPOLICY_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in _OFF else Path(env)
    import platformdirs
    return Path(platformdirs.user_cache_dir("espolicy", appauthor=False))


def key_file() -> Path:
    """The file of the per-user secret key: `$ESPOLICY_CACHE_KEY`, else in the user's data folder."""
    env = os.environ.get("ESPOLICY_CACHE_KEY")
    if env:
        return Path(env)
    import platformdirs
    return Path(platformdirs.user_data_dir("espolicy", appauthor=False)) / "cache.key"


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


# ---------------------------------------------------------------- trust

class _Untrusted(Exception):
    """Why a cache file is not used (the message of the warning)."""


def _uid() -> int | None:
    getuid = getattr(os, "getuid", None)
    return getuid() if getuid is not None else None


def _check_owner(st: os.stat_result, what: str, private: int) -> None:
    """_Untrusted unless `st` belongs to this user and has none of the `private` mode bits."""
    uid = _uid()
    if uid is not None and st.st_uid != uid:
        raise _Untrusted(f"{what} belongs to another user (uid {st.st_uid})")
    if uid is not None and stat.S_IMODE(st.st_mode) & private:
        raise _Untrusted(f"{what} is writable or readable by others (mode {stat.S_IMODE(st.st_mode):o})"
                         if private == 0o077 else
                         f"{what} is writable by group or others (mode {stat.S_IMODE(st.st_mode):o})")


def _read_private(path: Path, what: str, private: int, limit: int) -> bytes:
    """The bytes of a regular file that is not a link, belongs to this user and has none of the
    `private` mode bits; _Untrusted (or OSError) otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        if os.path.islink(path):
            raise _Untrusted(f"{what} `{path}` is a symbolic link") from None
        raise e
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Untrusted(f"{what} `{path}` is not a regular file")
        _check_owner(st, f"{what} `{path}`", private)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise _Untrusted(f"{what} `{path}` is larger than {limit} bytes")
    return data


def _trusted_folder(folder: Path, create: bool) -> bool:
    """True when `folder` (made, mode 0700, when `create`) is a folder of this user that group and
    others cannot write; a warning and False otherwise."""
    try:
        if create:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.stat(folder)
        if not stat.S_ISDIR(st.st_mode):
            raise _Untrusted(f"the cache folder `{folder}` is not a folder")
        _check_owner(st, f"the cache folder `{folder}`", 0o022)
    except FileNotFoundError:
        return False
    except (OSError, _Untrusted) as e:
        _warn(f"the compiled-policy cache is not used: {e}")
        return False
    return True


def _secret(create: bool) -> bytes | None:
    """The per-user secret key (made when missing and `create`), or None (with a warning when it
    exists but cannot be trusted)."""
    path = key_file()
    try:
        return _read_key(path)
    except FileNotFoundError:
        if not create:
            return None
    except (OSError, _Untrusted) as e:
        _warn(f"the compiled-policy cache is not used: {e}")
        return None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-key-")   # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(_KEY_BYTES))
            try:
                os.link(tmp, path)   # never replaces a key another process made meanwhile
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
        return _read_key(path)
    except (OSError, _Untrusted) as e:
        _warn(f"the compiled-policy cache is not used: cannot make its key: {e}")
        return None


def _read_key(path: Path) -> bytes:
    data = _read_private(path, "the cache key", 0o077, _KEY_BYTES)
    if len(data) != _KEY_BYTES:
        raise _Untrusted(f"the cache key `{path}` is not {_KEY_BYTES} bytes long")
    return data


def _mac(secret: bytes, name: str, payload: bytes) -> bytes:
    return hmac.new(secret, name.encode() + b"\0" + payload, hashlib.sha256).digest()


_warned: set[str] = set()


def _warn(message: str) -> None:
    """A warning on the `espolicy.cache` logger, once per process."""
    if message not in _warned:
        _warned.add(message)
        _log.warning(message)


# ---------------------------------------------------------------- entries

def _read_entry(name: str) -> bytes | None:
    """The payload of the entry `name` when espolicy wrote it for this user; None otherwise."""
    folder = cache_dir()
    if folder is None or not _trusted_folder(folder, create=False):
        return None
    try:
        data = _read_private(folder / name, "the cache entry", 0o022, _MAX_ENTRY)
    except FileNotFoundError:
        return None
    except (OSError, _Untrusted) as e:
        _warn(f"ignored a compiled-policy cache entry: {e}")
        return None
    secret = _secret(create=False)
    if secret is None:
        _warn(f"ignored the compiled-policy cache entry `{folder / name}`: there is no cache key "
              f"`{key_file()}` (the entry was not written here)")
        return None
    head = len(_MAGIC) + hashlib.sha256().digest_size
    if not data.startswith(_MAGIC) or len(data) < head or not hmac.compare_digest(
            data[len(_MAGIC):head], _mac(secret, name, data[head:])):
        _warn(f"ignored the compiled-policy cache entry `{folder / name}`: espolicy did not write it "
              "for this user (its authentication code does not match)")
        return None
    return data[head:]


def _write_entry(name: str, payload: bytes) -> None:
    """Keep `payload` as the entry `name`, authenticated, through a temporary file and a rename;
    any failure leaves no trace."""
    folder = cache_dir()
    if folder is None or not _trusted_folder(folder, create=True):
        return
    secret = _secret(create=True)
    if secret is None:
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")   # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(_MAGIC + _mac(secret, name, payload) + payload)
            os.replace(tmp, folder / name)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except Exception:  # a read-only home, a full disk: work without the cache
        return


class _OwnClasses(pickle.Unpickler):
    """Builds only espolicy's own classes and dates: never a function, a module or another class."""

    _ALLOWED = {("datetime", n) for n in ("date", "time", "datetime", "timedelta", "timezone")}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        if module.startswith("espolicy.") and name.isidentifier():
            found = super().find_class(module, name)
            if isinstance(found, type) and found.__module__ == module:
                return found
        raise pickle.UnpicklingError(f"`{module}.{name}` is not allowed in a cache entry")


def load(entry: str, expected: type[T]) -> T | None:
    """The cached object for `entry` when it is an `expected`, else None (no cache, no entry, or
    one that cannot be trusted or read)."""
    payload = _read_entry(f"{entry}.pickle")
    if payload is None:
        return None
    try:
        value = _OwnClasses(io.BytesIO(payload)).load()
    except Exception as e:  # from an incompatible espolicy or Python: a miss
        _warn(f"ignored the compiled-policy cache entry `{entry}`: {type(e).__name__}: {e}")
        return None
    if not isinstance(value, expected):
        _warn(f"ignored the compiled-policy cache entry `{entry}`: it holds a {type(value).__name__}")
        return None
    return value


def store(entry: str, value: Any) -> None:
    """Keep `value` under `entry`; silently does nothing when that is not possible."""
    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return
    _write_entry(f"{entry}.pickle", payload)


def compile_cached(source: str, filename: str) -> types.CodeType:
    """`compile(source, filename, "exec")`, its code object kept in the cache (marshal) under a digest
    of the source and the interpreter's bytecode version: a policy's generated code is compiled once,
    not at every start."""
    if cache_dir() is None:
        return compile(source, filename, "exec")
    h = hashlib.sha256(importlib.util.MAGIC_NUMBER + filename.encode() + b"\0" +
                       source.encode("utf-8", "surrogatepass"))
    name = f"{h.hexdigest()}.code"
    payload = _read_entry(name)
    if payload is not None:
        try:
            code = marshal.loads(payload)
        except Exception as e:
            code = None
            _warn(f"ignored the compiled-policy cache entry `{name}`: {type(e).__name__}: {e}")
        if isinstance(code, types.CodeType) and code.co_filename == filename:
            return code
        if code is not None:
            _warn(f"ignored the compiled-policy cache entry `{name}`: it holds a {type(code).__name__}")
    code = compile(source, filename, "exec")
    _write_entry(name, marshal.dumps(code))
    return code
