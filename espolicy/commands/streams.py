"""Standard output as the commands use it: a closed pipe ends the output, never the run, and what
cannot be encoded is written escaped, never raised."""
from __future__ import annotations

import codecs
import os
import sys
from typing import Any, TextIO

from espolicy.safetext import inert, printable

ESCAPE = "espolicy-escape"


def _escape(error: UnicodeError) -> tuple[str, int]:
    """A codec error handler: what the encoding lacks as `\\uXXXX` (a UTF-16 pair beyond the BMP,
    a lone surrogate as itself), which reads the same in text and is a valid escape inside a JSON
    string, so a JSON report stays valid JSON on an ASCII or Latin-1 stdout."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for char in error.object[error.start:error.end]:
        code = ord(char)
        if code > 0xffff:
            code -= 0x10000
            out.append(f"\\u{0xd800 + (code >> 10):04x}\\u{0xdc00 + (code & 0x3ff):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out), error.end


codecs.register_error(ESCAPE, _escape)


class PipeSafe:
    """A text stream that drops what is written after its reader has gone (`espolicy … | head`): the
    command runs to its end and exits with its verdict, not with a broken pipe."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.closed_pipe = False

    def _closed(self) -> None:
        """Send the rest, and what the interpreter flushes at exit, to the null device."""
        self.closed_pipe = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    def write(self, text: str) -> int:
        if self.closed_pipe:
            return len(text)
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._closed()
            return len(text)

    def flush(self) -> None:
        if self.closed_pipe:
            return
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._closed()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def escaping(stream: Any) -> None:
    """Make `stream` write characters its encoding lacks (or lone surrogates) as `\\uXXXX` escapes."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors=ESCAPE)
        except (ValueError, OSError, TypeError):
            pass


def install() -> tuple[Any, Any]:
    """Wrap sys.stdout for a command run; the previous (stdout, stderr), to put back."""
    saved = sys.stdout, sys.stderr
    escaping(sys.stdout)
    escaping(sys.stderr)
    sys.stdout = PipeSafe(sys.stdout)
    return saved


class SafeLines:
    """A text stream for reports that mix our layout with document strings: each line written has its
    unsafe characters escaped and cannot act as a CI workflow command (`espolicy.safetext`); the line
    breaks written stay."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write("\n".join(inert(printable(line)) for line in text.split("\n")))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
