"""Standard output as the commands use it: a closed pipe ends the output, never the run, and what
cannot be encoded is written escaped, never raised."""
from __future__ import annotations

import os
import sys
from typing import Any, TextIO


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
    """Make `stream` write characters its encoding lacks (or lone surrogates) as backslash escapes."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors="backslashreplace")
        except (ValueError, OSError, TypeError):
            pass


def install() -> tuple[Any, Any]:
    """Wrap sys.stdout for a command run; the previous (stdout, stderr), to put back."""
    saved = sys.stdout, sys.stderr
    escaping(sys.stdout)
    escaping(sys.stderr)
    sys.stdout = PipeSafe(sys.stdout)   # type: ignore[assignment]
    return saved
