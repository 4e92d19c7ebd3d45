"""A progress bar on standard error for long batches.

    [##########--------------]  42%  412,337 documents  9,120/s  file 3/10

Shown only when standard error is a terminal, and only once a batch has run for a second (a
small batch never shows it); redrawn at most ten times a second; erased at the end. The fraction
is of the bytes to read: whole files done, plus the part of the current file read so far (for a
JSON Lines or multi-document file, estimated from the line of the last document and the mean
line length of the file's first 64 KiB).

Why not tqdm: what this bar knows is ours either way (the byte fraction estimated from the line of
the last document read, drawn only after a second, erased at the end), and the drawing is twenty
lines; tqdm would add a dependency whose import (about 80 ms, more than all of espolicy's) a
short run would pay, or a lazy import in the middle of a batch.
"""
from __future__ import annotations

import os
import time
from typing import Sequence, TextIO

from espolicy.files import open_regular

_DELAY = 1.0        # seconds before the bar appears
_INTERVAL = 0.1     # seconds between redraws
_SAMPLE = 64 * 1024
_WIDTH = 24


def wanted(stream: TextIO) -> bool:
    """True when `stream` is a terminal (and progress is not switched off by NO_PROGRESS)."""
    return not os.environ.get("NO_PROGRESS") and is_terminal(stream)


def is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):
        return False


def _size(path: str) -> int:
    try:
        return os.path.getsize(path) if path != "-" else 0
    except OSError:
        return 0


def _lines_estimate(path: str, size: int) -> float:
    """About how many lines the file holds (exact when it is small)."""
    try:
        with open_regular(path) as handle:   # never a FIFO: opening one would block
            sample = handle.read(_SAMPLE)
    except OSError:
        return 0.0
    newlines = sample.count(b"\n")
    if len(sample) >= size:
        return float(newlines + (0 if sample.endswith(b"\n") else 1))
    return size / (len(sample) / max(1, newlines))


class Progress:
    """Counts documents read and done; draws the bar when due."""

    def __init__(self, stream: TextIO, files: Sequence[str]) -> None:
        self.stream = stream
        self.files = len(files)
        self.total = sum(_size(f) for f in files) or 1
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False
        self.index = 0
        self.done_bytes = 0
        self.current = 0
        self.current_lines = 0.0
        self.line = 0
        self.count = 0

    def file(self, path: str) -> None:
        """The batch moves on to `path`."""
        self.done_bytes += self.current
        self.index += 1
        self.current = _size(path)
        self.current_lines = _lines_estimate(path, self.current) if self.current > _SAMPLE else 0.0
        self.line = 0

    def read(self, source: str) -> None:
        """A document of the current file was read (`source`: `path` or `path:LINE`)."""
        if self.current_lines:
            head, _, tail = source.rpartition(":")
            if head and tail.isdigit():
                self.line = int(tail)

    def done(self, documents: int = 1) -> None:
        """A document (or `documents` of them) was judged."""
        before = self.count
        self.count += documents
        if before >> 5 != self.count >> 5:   # every 32 documents
            now = time.monotonic()
            if now - self.started >= _DELAY and now - self.last >= _INTERVAL:
                self.last = now
                self.draw(now)

    def fraction(self) -> float:
        part = min(1.0, self.line / self.current_lines) if self.current_lines else 0.0
        return min(1.0, (self.done_bytes + part * self.current) / self.total)

    def draw(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        fraction = self.fraction()
        filled = int(fraction * _WIDTH)
        rate = self.count / max(1e-9, now - self.started)
        text = (f"\r[{'#' * filled}{'-' * (_WIDTH - filled)}] {fraction * 100:3.0f}%  "
                f"{self.count:,} documents  {rate:,.0f}/s  file {self.index}/{self.files}\x1b[K")
        try:
            self.stream.write(text)
            self.stream.flush()
            self.shown = True
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        """Erase the bar, if it was drawn."""
        if self.shown:
            try:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self.shown = False
