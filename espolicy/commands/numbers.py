"""Whole-number options shared by subcommands (argparse types)."""
from __future__ import annotations

import argparse
from typing import Callable


def at_least(minimum: int, what: str = "a number") -> Callable[[str], int]:
    """An argparse type: a whole number ≥ `minimum`."""
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, not {value!r}") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"expected {what} ≥ {minimum}, not {number}")
        return number
    return parse


count = at_least(0)        # --max-findings
positive = at_least(1)     # --max-documents


def jobs(value: str) -> int:
    """`--jobs`: a number of processes ≥ 1, or `auto` (one per processor)."""
    if value.strip().lower() == "auto":
        from espolicy.engine.batch import cpu_count
        return cpu_count()
    try:
        return at_least(1, "a number of processes")(value)
    except argparse.ArgumentTypeError as e:
        raise argparse.ArgumentTypeError(f"{e} (or `auto`, one per processor)") from None

