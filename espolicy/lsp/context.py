"""What surrounds a position in a rule file, read from the text alone, so that hover and completion
work on a half-typed file too. Positions are 0-based lines and characters (code points).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

# Keywords that start a declaration at the top level of a file.
DECL_KEYWORDS = ("policy", "const", "table", "fact", "let", "rule", "reference", "data")
_DECL = re.compile(r"^\s*(" + "|".join(DECL_KEYWORDS) + r")\b")
_VALUE_KINDS = re.compile(r"^\s*(?:fact|let)\s+\w+\s+for\s+(\w+(?:\s*,\s*\w+)*)")
_RULE_KINDS = re.compile(r"^\s*for\s+(\w+(?:\s*,\s*\w+)*)", re.MULTILINE)
# `each x in a.b`, `any x in a.b:`, `count(x in a.b: …)`; an index variable after a comma
_BINDING = re.compile(r"(?:\b(?:each|any|all)\s+|\b(?:count|sum|min|max)\(\s*)([A-Za-z_]\w*)(?:\s*,\s*([A-Za-z_]\w*))?"
                      r"\s+in\s+([A-Za-z_][\w.]*)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
INDEX = "#index"  # what an entry's index variable runs over


@dataclass(frozen=True)
class Place:
    """The surroundings of a position: the zone (code, string, comment), the enclosing declaration,
    the kinds it is for and the variables bound in it."""

    zone: str
    decl: str | None
    in_block: bool
    kinds: tuple[str, ...]
    locals: Mapping[str, str] = field(default_factory=dict)
    before: str = ""  # the line up to the position
    after: str = ""  # the rest of the line


def zone_at(line: str, col: int) -> str:
    """`code`, `string` or `comment` at column `col` of `line` (`{…}` inside a text is code)."""
    state = "code"
    i = 0
    while i < min(col, len(line)):
        ch = line[i]
        if state == "code":
            if ch == '"':
                state = "string"
            elif ch == "#":
                return "comment"
        elif state == "string":
            if ch == "\\":
                i += 1
            elif ch == '"':
                state = "code"
            elif ch == "{" and line.startswith("{{", i):
                i += 1
            elif ch == "{":
                state = "interp"
        elif state == "interp":
            if ch == "}":
                state = "string"
            elif ch == '"':  # a string literal inside `{…}` would need its own state; keep it simple
                state = "string"
        i += 1
    return "code" if state == "interp" else state


def _code_only(line: str) -> str:
    """`line` with texts and comments blanked (same length), for counting braces."""
    out = []
    state = "code"
    i = 0
    while i < len(line):
        ch = line[i]
        if state == "code":
            if ch == "#":
                break
            if ch == '"':
                state = "string"
            out.append(ch if state == "code" else " ")
        else:
            if ch == "\\":
                out.append("  ")
                i += 2
                continue
            if ch == '"':
                state = "code"
            out.append(" ")
        i += 1
    return "".join(out)


def place_at(text: str, line: int, col: int) -> Place:
    """The surroundings of (line, col) in `text`."""
    lines = text.split("\n")
    if line >= len(lines):
        line, col = len(lines) - 1, len(lines[-1])
    current = lines[line]
    col = min(col, len(current))
    start = next((i for i in range(line, -1, -1) if _DECL.match(lines[i])), None)
    if start is None:
        return Place(zone_at(current, col), None, False, (), {}, current[:col], current[col:])
    end = next((i for i in range(line + 1, len(lines)) if _DECL.match(lines[i])), len(lines))
    keyword = _DECL.match(lines[start]).group(1)  # type: ignore[union-attr]
    decl_text = "\n".join(lines[start:end])
    upto = "\n".join(_code_only(ln) for ln in lines[start:line]) + "\n" + _code_only(current[:col])
    in_block = upto.count("{") > upto.count("}")
    kinds: tuple[str, ...] = ()
    if keyword in ("fact", "let"):
        m = _VALUE_KINDS.match(decl_text)
        kinds = tuple(k.strip() for k in m.group(1).split(",")) if m else ()
    elif keyword == "rule":
        m2 = _RULE_KINDS.search(decl_text)
        kinds = tuple(k.strip() for k in m2.group(1).split(",")) if m2 else ()
    bound: dict[str, str] = {}
    for m3 in _BINDING.finditer("\n".join(_code_only(ln) for ln in lines[start:end])):
        bound.setdefault(m3.group(1), m3.group(3))
        if m3.group(2):
            bound.setdefault(m3.group(2), INDEX)
    return Place(zone_at(current, col), keyword, in_block, kinds, bound, current[:col], current[col:])


def word_at(line: str, col: int) -> tuple[int, int] | None:
    """The [start, end) columns of the name or reference touching column `col`, or None."""
    for m in _WORD.finditer(line):
        if m.start() <= col <= m.end():
            return m.start(), m.end()
    return None


def chain_before(line: str, start: int) -> list[str]:
    """The names joined by dots just before column `start` (`a.b.` before `c` gives [a, b])."""
    m = re.search(r"((?:[A-Za-z_]\w*\s*\.\s*)+)$", line[:start])
    if m is None:
        return []
    return [p.strip() for p in m.group(1).split(".") if p.strip()]
