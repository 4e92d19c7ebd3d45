"""JSON Pointers (RFC 6901): the one place that escapes and splits them."""
from __future__ import annotations

from typing import Iterable


def escape(key: object) -> str:
    """One reference token: `~` becomes `~0`, `/` becomes `~1`."""
    return str(key).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """The key a reference token names (`~1` before `~0`, as the RFC orders it)."""
    return token.replace("~1", "/").replace("~0", "~") if "~" in token else token


def pointer(path: Iterable[object]) -> str:
    """The pointer of a path of keys and indexes; the empty path gives `""` (the whole document)."""
    return "".join("/" + escape(p) for p in path)


def tokens(pointer_text: str) -> list[str]:
    """The keys a pointer names, unescaped; `""` gives none. The pointer must start with `/`."""
    return [unescape(t) for t in pointer_text.split("/")[1:]] if pointer_text else []
