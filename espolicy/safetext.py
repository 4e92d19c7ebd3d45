"""Text that is safe to print where a document's strings end up: a terminal and a CI log.

`printable` escapes every character a document could use to rewrite what a person sees or to
break a line: controls (ESC starts terminal commands; `\\n`, `\\r` end lines), U+0085, U+2028 and
U+2029 (line and paragraph separators), bidirectional marks and overrides, zero-width and other
invisible format characters. Lone surrogates (a file name that is not UTF-8) become the bytes
they stand for (`\\xff`), so that output is always valid UTF-8.

`inert` makes a printed line unable to act as a GitHub Actions workflow command: the runner reads
`::command::` at the start of a line after any whitespace, and the legacy `##[command]` anywhere in
a line.
"""
from __future__ import annotations

import re

__all__ = ["printable", "inert", "inert_json", "inert_xml", "display_path"]

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb"
                     "\ud800-\udfff]")


def _escaped(m: re.Match[str]) -> str:
    code = ord(m.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    if 0xdc80 <= code <= 0xdcff:    # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xdc00:02x}"
    return f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` on one line, its unsafe characters written as `\\xNN` / `\\uNNNN` (see the module)."""
    return _UNSAFE.sub(_escaped, text)


_COMMAND_AT_START = re.compile(r"^(\s*):")
_LEGACY_COMMAND = "##["


def inert(line: str) -> str:
    """One printed line that no workflow-command parser takes for a command: a `::` at its start
    (after whitespace) becomes `\\x3a:`, every `##[` becomes `##\\x5b`."""
    if _LEGACY_COMMAND in line:
        line = line.replace(_LEGACY_COMMAND, "##\\x5b")
    if line.lstrip().startswith("::"):
        line = _COMMAND_AT_START.sub(lambda m: m.group(1) + "\\x3a", line, count=1)
    return line


def inert_json(text: str) -> str:
    """JSON text in which no `##[` remains: inside a string it becomes `##\\u005b`, the same data
    (outside strings JSON has no `#`; no line of JSON starts with `::`)."""
    return text.replace(_LEGACY_COMMAND, "##\\u005b") if _LEGACY_COMMAND in text else text


def inert_xml(text: str) -> str:
    """Escaped XML text in which no line is a workflow command: `##[` and a `:` that starts a line
    become character references (`&#91;`, `&#58;`), the same data."""
    if _LEGACY_COMMAND in text:
        text = text.replace(_LEGACY_COMMAND, "##&#91;")
    if "\r" in text:   # a line break for the runner, kept as data
        text = text.replace("\r", "&#13;")
    if "::" in text:
        text = "\n".join(_COMMAND_AT_START.sub(lambda m: m.group(1) + "&#58;", line, count=1)
                         if line.lstrip().startswith("::") else line for line in text.split("\n"))
    return text


def display_path(path: str) -> str:
    """A file name as it is shown: bytes that are not UTF-8 as `\\xNN` (the name stays findable)."""
    if path.isascii() or not re.search("[\ud800-\udfff]", path):
        return path
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
