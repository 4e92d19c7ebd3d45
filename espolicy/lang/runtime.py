"""What the generated code and the tracing evaluator share at run time: lookups and aggregates, so
both evaluators compute them the same way."""
from __future__ import annotations

from typing import Any, Iterable


def lookup(container: Any, key: Any) -> Any:
    """`table[key]` or `list[i]`: the entry, or None when the key or position is not there (never
    an exception; a negative position is not counted from the end)."""
    if isinstance(container, dict):
        return container.get(key)
    if isinstance(key, int) and 0 <= key < len(container):
        return container[key]
    return None


def count(truths: Iterable[Any]) -> int:
    """The number of true values."""
    return sum(1 for t in truths if t)


def total(values: Iterable[int]) -> int:
    """The sum (0 for none)."""
    return sum(values)


def smallest(values: Iterable[Any]) -> Any:
    """The least value, or None for none."""
    return min(values, default=None)


def largest(values: Iterable[Any]) -> Any:
    """The greatest value, or None for none."""
    return max(values, default=None)


AGGREGATE_IMPL = {"count": count, "sum": total, "min": smallest, "max": largest}
