"""The text functions of the rule language, and `matches` patterns on RE2 (linear time in the text,
no backtracking), so every rule still ends in time linear in the document."""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any, Callable

import re2

from espolicy.limits import MAX_PATTERN_LENGTH, MAX_PATTERN_MEMORY

_SEPARATORS = re.compile(r"[\s_\-]+")  # a character class repeated: one linear pass


class PatternError(ValueError):
    """A `matches` pattern that RE2 cannot compile, or one over the limits."""


def normalize(text: str) -> str:
    """Unicode NFKC, case folded, each run of spaces, `_` and `-` made one space, trimmed:
    `"ＵＰＳ_Battery -- Replacement "` → `"ups battery replacement"`."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SEPARATORS.sub(" ", folded).strip(" ")


def length(value: Any) -> int:
    """Characters of a text, entries of a list or set."""
    return len(value)


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    options.never_capture = True
    options.max_mem = MAX_PATTERN_MEMORY
    return options


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Callable[[str], Any]:
    """The `search` of the compiled pattern; raises PatternError naming what is wrong with it."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"the pattern has {len(pattern)} characters, more than {MAX_PATTERN_LENGTH}")
    try:
        search: Callable[[str], Any] = re2.compile(pattern, _options()).search
        return search
    except re2.error as e:
        reason = e.args[0].decode("utf-8", "replace") if e.args and isinstance(e.args[0], bytes) else str(e)
        raise PatternError(reason) from None


def matches(text: str, pattern: str) -> bool:
    """True when the pattern occurs somewhere in the text (anchor it with `^…$` for the whole text)."""
    return compile_pattern(pattern)(text) is not None
