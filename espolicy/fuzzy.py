""""Did you mean …?": the nearest known name to a misspelled one."""
from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Guess:
    """The known key a misspelled key most likely stands for; `close` when it is a likely typo
    (another case or separator, a prefix, an abbreviation, a near spelling), not merely the least far."""

    key: str
    close: bool


def nearest_key(name: str, known: Iterable[str], missing: Iterable[str] = ()) -> Guess | None:
    """The known key nearest to the unknown key `name`: a close one before a far one and, among
    equals, one `missing` from the same mapping; None only when no key is known."""
    pool, absent = tuple(dict.fromkeys(known)), frozenset(missing)
    if not pool:
        return None
    if len(name) > _REMEMBERED_LENGTH:
        return _nearest_key(name, pool, absent)
    return _remembered_key(name, pool, absent)


@functools.lru_cache(maxsize=4096)
def _remembered_key(name: str, pool: tuple[str, ...], absent: frozenset[str]) -> Guess:
    return _nearest_key(name, pool, absent)


_FAR = 5   # the tier of a key that is only the least far


def _nearest_key(name: str, pool: tuple[str, ...], absent: frozenset[str]) -> Guess:
    written = _plain(name)
    scored = []
    for i, (key, plain, initials) in enumerate(_forms(pool)):
        tier, unlike = _closeness(written, plain, initials)
        scored.append((tier, key not in absent, unlike, i, key))
    best = min(scored)
    return Guess(best[-1], best[0] < _FAR)


@functools.lru_cache(maxsize=256)   # a schema has few mappings: their keys' forms are worked out once
def _forms(pool: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """Each key with its plain form and its initials (`periodic_maintenance` -> `pm`)."""
    return tuple((key, _plain(key), "".join(w[:1] for w in re.split(r"[_\- ]+|(?<=[a-z])(?=[A-Z])", key) if w).casefold())
                 for key in pool)


def _plain(key: str) -> str:
    """A key without case or separators: `warrantyStart`, `Warranty-Start` and `warranty_start` agree."""
    return "".join(c for c in key.casefold() if c not in "_- ")


def _closeness(written: str, plain: str, initials: str) -> tuple[int, float]:
    """How surely `written` stands for a key (its plain form and initials), smallest first: the tier
    (0 the same letters, 1 a prefix such as `gen` or `term`, 2 its initials such as `pm`, 3 an
    abbreviation such as `regdate`, 4 a near spelling, 5 none of these) and, within it, less alike
    first (a far key is measured by the letters shared alone: difflib's full ratio is too slow for
    a document of many unknown keys)."""
    if written == plain:
        return 0, 0.0
    if len(written) >= 2 and (plain.startswith(written) or (len(plain) >= 2 and written.startswith(plain))):
        return 1, -min(len(written), len(plain)) / max(len(written), len(plain))
    if len(written) >= 2 and written == initials:
        return 2, 0.0
    if len(written) >= 2 and written[:1] == plain[:1] and _is_subsequence(written, plain):
        return 3, -len(written) / len(plain)
    shared = _shared(written, plain)
    if shared >= _NEAR:   # an upper bound of the ratio: only then is the ratio worth its cost
        ratio = difflib.SequenceMatcher(None, written, plain).ratio()
        if ratio >= _NEAR:
            return 4, -ratio
    return _FAR, -shared


def _shared(a: str, b: str) -> float:
    """difflib's `quick_ratio`: the letters two texts share (with repeats) against their length."""
    if not a and not b:
        return 1.0
    return 2 * sum(min(a.count(c), b.count(c)) for c in set(a)) / (len(a) + len(b))


_NEAR = 0.6   # difflib's cutoff for a close match


def _is_subsequence(short: str, long: str) -> bool:
    letters = iter(long)
    return all(c in letters for c in short)
