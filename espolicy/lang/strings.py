"""The text functions of the rule language, and `matches` patterns on RE2 (linear time in the text,
no backtracking), so every rule still ends in time linear in the document."""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any, Callable

import re2

from espolicy.limits import MAX_PATTERN_LENGTH, MAX_PATTERN_MEMORY

# Separators: blanks, `_`, dashes of every kind (Unicode's dash punctuation, category Pd, and the
# minus sign; never `ー`, the long vowel mark of katakana) and the katakana middle dot `・`.
# Invisible format characters (zero-width space and joiners, soft hyphen, BOM) are dropped.
# Character classes repeated: one linear pass each.
_DASHES = ("\\-\u058a\u05be\u1400\u1806\u2010-\u2015\u2e17\u2e1a\u2e3a\u2e3b\u2e40\u2e5d\u301c\u3030"
           "\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead")
_SEPARATORS = re.compile(f"[\\s_{_DASHES}\u2212\u30fb]+")
_INVISIBLE = re.compile(r"[\u00ad\u180e\u200b-\u200d\u2060\ufeff]+")


class PatternError(ValueError):
    """A `matches` pattern that RE2 cannot compile, or one over the limits: what is wrong, in a
    policy owner's words, and what to write instead (as written inside a quoted text of a rule file,
    where a backslash is doubled)."""

    def __init__(self, reason: str, hint: str):
        super().__init__(reason)
        self.reason, self.hint = reason, hint


_GENERIC = "patterns use RE2 syntax (no backreferences, no lookaround); escape a literal `.` as `\\\\.`"
_LINEAR = "so that matching stays linear in the text"


def as_written(text: str) -> str:
    """A text as it is written inside a quoted text of a rule file (`\\` doubled, `"` escaped)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _explain(error: str) -> tuple[str, str]:
    """RE2's error (`missing ): R(1`) as (what is wrong, what to write), pieces of the pattern
    shown as written in the rule file."""
    kind, _, read = error.partition(": ")
    arg = as_written(read)
    if kind == "missing )":
        return "a `(` is not closed", "close the group with `)`, or write `\\\\(` for a `(` itself"
    if kind == "unexpected )":
        return "a `)` closes no group", "remove it, or write `\\\\)` for a `)` itself"
    if kind == "missing ]":
        return "a `[` is not closed", "close the set with `]`, or write `\\\\[` for a `[` itself"
    if kind == "invalid escape sequence" and re.fullmatch(r"\\[0-9]", read):
        return (f"`{arg}` is a backreference, which RE2 does not have ({_LINEAR})",
                "match the text itself, or compare two fields with `==` in the condition")
    if kind == "invalid escape sequence":
        return (f"`{arg}` is not an escape RE2 knows",
                "RE2 knows `\\\\d`, `\\\\w`, `\\\\s`, `\\\\b` and an escaped sign such as `\\\\.`; "
                "write `\\\\\\\\` for a backslash itself")
    if kind == "trailing \\":
        return "the pattern ends with a lone backslash", "write `\\\\\\\\` for a backslash itself"
    if kind == "invalid perl operator" and arg.startswith(("(?=", "(?!", "(?<")):
        return (f"`{arg}` (lookahead or lookbehind) is not supported by RE2 ({_LINEAR})",
                'write two conditions instead: `matches(t, "A") and not matches(t, "B")`')
    if kind == "invalid perl operator":
        return (f"`{arg}` is not a group RE2 knows",
                "write `(…)` for a group, `(?:…)` for one that captures nothing, `(?i)` to ignore case")
    if kind in ("missing argument to repetition operator", "no argument for repetition operator"):
        return f"`{arg}` repeats nothing", f"put what it repeats before it, or write `\\\\{arg[:1]}` for a `{arg[:1]}` itself"
    if kind == "bad repetition operator":
        return f"`{arg}` repeats a repetition", "repeat once: `a*`, `a+`, `a?` or `a{2,5}`; group first to repeat more: `(a{2}){3}`"
    if kind == "invalid repetition size":
        return (f"`{arg}` is not a repetition RE2 can build",
                "write `{MIN,MAX}` with MIN at most MAX, and at most 1000 repetitions in all (nested ones multiply)")
    if kind == "invalid character class range":
        return f"`{arg}` is not a character range", "write the lower character first (`[a-z]`); a named class is written `[[:alpha:]]`"
    if kind.startswith("pattern too large"):
        return (f"its automaton would need more than {MAX_PATTERN_MEMORY >> 20} MiB",
                "make it smaller: fewer or shorter repetitions")
    return error, _GENERIC


def normalize(text: str) -> str:
    """Unicode NFKC, case folded, invisible characters dropped, each run of spaces, `_`, dashes and
    `・` made one space, trimmed: `"ＵＰＳ_Battery – Replacement "` → `"ups battery replacement"`."""
    folded = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text).casefold())
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
        raise PatternError(f"it has {len(pattern)} characters, more than {MAX_PATTERN_LENGTH}",
                           "shorten it, or write two conditions joined by `or`")
    try:
        search: Callable[[str], Any] = re2.compile(pattern, _options()).search
        return search
    except re2.error as e:
        reason = e.args[0].decode("utf-8", "replace") if e.args and isinstance(e.args[0], bytes) else str(e)
        raise PatternError(*_explain(reason)) from None


def matches(text: str, pattern: str) -> bool:
    """True when the pattern occurs somewhere in the text (anchor it with `^…$` for the whole text)."""
    return compile_pattern(pattern)(text) is not None
