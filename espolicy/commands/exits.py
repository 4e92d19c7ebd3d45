"""Exit codes of every subcommand, and the one way they write a diagnostic line."""
from __future__ import annotations

import sys

from espolicy.safetext import inert, printable

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
EXIT_INTERNAL = 2       # a bug in espolicy: one line on stderr naming the input, never a traceback
EXIT_INTERRUPTED = 130  # SIGINT, as shells report it


def err(message: str) -> None:
    """Write one diagnostic line to stderr (file names in it escaped: never a second line, never a
    CI workflow command)."""
    print(inert(printable(message)), file=sys.stderr)
