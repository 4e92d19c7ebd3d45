""""Did you mean …?": the nearest known name to a misspelled one."""
from __future__ import annotations

import difflib
from typing import Iterable


def nearest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to `name`, or None when nothing is close."""
    pool = sorted(set(candidates))
    lowered = {c.lower(): c for c in pool}
    if name.lower() in lowered:
        return lowered[name.lower()]
    match = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    return match[0] if match else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A hint sentence, or None when nothing is close."""
    best = nearest(name, candidates)
    return f"did you mean `{best}`?" if best else None
