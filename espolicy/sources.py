"""Where rule files come from: the bundled policy and schema folders, reading a policy folder, its digest."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Iterable

from espolicy.errors import Diagnostic, PolicyError, Span, diagnostic

POLICY_SUFFIX = ".esp"
_PACKAGE = Path(__file__).resolve().parent  # the installed package, or the source tree's espolicy/


def bundled_dir(name: str) -> Path:
    """The bundled `policy` or `schemas` folder: inside the installed package, or the source tree's."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the bundled {name}/ folder is missing from the installation")


def is_installed(path: Path) -> bool:
    """Whether `path` lies inside the installed package (the bundled copy): read it, never write it."""
    try:
        path.resolve().relative_to(_PACKAGE)
    except ValueError:
        return False
    return True


def read_sources(directory: Path) -> list[tuple[str, str]]:
    """(display path, text) of every rule file in `directory`, sorted by name."""
    if directory.is_file():
        folder = directory.parent if str(directory.parent) not in ("", ".") else Path("policy")
        raise PolicyError([diagnostic(
            "no-policy", f"`{directory}` is a rule file; a policy is the folder that holds its rule files",
            None, None, f"give the folder: `--policy {folder}`")])
    if not directory.is_dir():
        raise PolicyError([diagnostic("no-policy", f"policy folder `{directory}` does not exist", None, None,
                                      "give a folder that holds `*.esp` rule files: `--policy DIR`")])
    files = sorted(p for p in directory.iterdir() if p.suffix == POLICY_SUFFIX and p.is_file())
    if not files:
        raise PolicyError([diagnostic("no-policy", f"no `*{POLICY_SUFFIX}` rule files in `{directory}`", None, None,
                                      "a policy folder holds rule files such as `policy.esp` next to `tests/`")])
    return [(str(p), read_rule_file(p)) for p in files]


def read_rule_file(path: Path) -> str:
    """The text of one rule file (UTF-8, a BOM allowed); PolicyError saying where and how to fix it."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise PolicyError([diagnostic("unreadable", f"cannot read `{path}`: {e.strerror or e}", None, None,
                                      "check that the file exists and that you may read it")]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PolicyError([not_utf8(str(path), data, e.start)]) from None


def not_utf8(file: str, data: bytes, offset: int) -> Diagnostic:
    """The diagnostic for a file that is not UTF-8: the line and column of the first bad byte, and
    which encoding the file reads as (Shift-JIS, EUC-JP) when one fits."""
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    end = data.find(b"\n", offset)
    raw_line = data[start:end if end >= 0 else len(data)]
    column = len(data[start:offset].decode("utf-8", errors="replace")) + 1
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        guess: str | None = "UTF-16"
    else:
        guess = next((name for codec, name in (("cp932", "Shift-JIS"), ("euc_jp", "EUC-JP"))
                      if _decodes(data, codec)), None)
    as_read = f" (it reads as {guess})" if guess else ""
    span = Span(file, line, column, line, column + 1)
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "\ufffd", raw_line.decode("utf-8", errors="replace").rstrip("\r"))
    return Diagnostic("error", "encoding",
                      f"`{Path(file).name}` is not UTF-8{as_read}: byte 0x{data[offset]:02x} on line {line} "
                      "cannot be read", span,
                      "save the file as UTF-8 (in most editors: Save with Encoding → UTF-8): espolicy reads "
                      "UTF-8 only", None if guess == "UTF-16" else text)


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


_NAME = re.compile(r'^policy[ \t]+("(?:[^"\\\n]|\\.)*")', re.M)


def declared_name(sources: Iterable[tuple[str, str]]) -> str | None:
    """The name a `policy "…"` declaration gives, read without parsing (for a policy that does not
    parse, or before it is parsed), or None."""
    import json
    for _, text in sources:
        m = _NAME.search(text)
        if m:
            try:
                return str(json.loads(m.group(1)))
            except ValueError:
                return None
    return None


def source_digest(sources: Iterable[tuple[str, str]]) -> str:
    """The hex sha256 of a policy's rule files (file names without folders, and texts)."""
    h = hashlib.sha256()
    for file, text in sources:
        h.update(Path(file).name.encode("utf-8") + b"\0" + text.encode("utf-8") + b"\0")
    return h.hexdigest()
