"""Where rule files come from: the bundled policy and schema folders, reading a policy folder, its digest."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

from espolicy.errors import PolicyError, diagnostic
from espolicy.files import read_regular

POLICY_SUFFIX = ".esp"
MAX_RULE_FILE_BYTES = 16 * 1024 * 1024   # a rule file is read only up to this size (the bundled ones: a few KB)
_PACKAGE = Path(__file__).resolve().parent  # the installed package, or the source tree's espolicy/


def bundled_dir(name: str) -> Path:
    """The bundled `policy` or `schemas` folder: inside the installed package, or the source tree's."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the bundled {name}/ folder is missing from the installation")


def read_sources(directory: Path) -> list[tuple[str, str]]:
    """(display path, text) of every rule file in `directory`, sorted by name."""
    if not directory.is_dir():
        raise PolicyError([diagnostic("no-policy", f"policy folder `{directory}` does not exist", None, None)])
    # anything but a folder: a FIFO or device named *.esp is refused by name, never skipped or read
    files = sorted(p for p in directory.iterdir() if p.suffix == POLICY_SUFFIX and not p.is_dir())
    if not files:
        raise PolicyError([diagnostic("no-policy", f"no `*{POLICY_SUFFIX}` rule files in `{directory}`", None, None)])
    out = []
    for p in files:
        try:
            out.append((str(p), read_regular(p, MAX_RULE_FILE_BYTES).decode("utf-8-sig")))
        except (OSError, UnicodeDecodeError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            raise PolicyError([diagnostic("unreadable", f"cannot read `{p}`: {reason}", None, None)]) from None
    return out


def source_digest(sources: Iterable[tuple[str, str]]) -> str:
    """The hex sha256 of a policy's rule files (file names without folders, and texts)."""
    h = hashlib.sha256()
    for file, text in sources:
        h.update(Path(file).name.encode("utf-8") + b"\0" + text.encode("utf-8") + b"\0")
    return h.hexdigest()
