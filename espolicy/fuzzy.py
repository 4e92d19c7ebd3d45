""""Did you mean …?": the nearest known name to a misspelled one."""
from __future__ import annotations

import difflib
import functools
from typing import Iterable


def nearest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to `name`, or None when nothing is close."""
    pool = tuple(sorted(set(candidates)))
    return _remembered(name, pool) if len(name) <= _REMEMBERED_LENGTH else _nearest(name, pool)


_REMEMBERED_LENGTH = 64   # longer names are not kept: a hostile document must not fill memory


@functools.lru_cache(maxsize=4096)   # the same misspelling recurs across a batch, and difflib is slow
def _remembered(name: str, pool: tuple[str, ...]) -> str | None:
    return _nearest(name, pool)


def _nearest(name: str, pool: tuple[str, ...]) -> str | None:
    lowered = {c.lower(): c for c in pool}
    if name.lower() in lowered:
        return lowered[name.lower()]
    match = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    return match[0] if match else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A hint sentence, or None when nothing is close."""
    best = nearest(name, candidates)
    return f"did you mean `{best}`?" if best else None
