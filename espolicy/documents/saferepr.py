"""Showing values from documents in messages, safely: short, never raising, never a memory address.

`show` is what messages use; `plain` makes a copy of a Python value out of exact JSON types that
is safe to show and compare (for the checker's fallback on hostile values).
"""
from __future__ import annotations

import reprlib

__all__ = ["show", "plain", "Opaque", "LongInt"]


class Opaque:
    """Stands for a value the fallback check must neither show nor compare: not JSON, or too deep."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


class LongInt(int):
    """A huge int that shows itself briefly (the repr of ints over 4300 digits raises)."""

    def __repr__(self) -> str:
        return f"<a number of {self.bit_length()} bits>"

    __str__ = __repr__


class _ShortRepr(reprlib.Repr):
    """reprlib with short limits; an object of a type from outside the standard library, or without
    a repr of its own, shows as `<TypeName>` (its repr may raise, or hold a memory address)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxstring = self.maxother = self.maxlong = 60
        self.maxlevel = 3

    def repr_instance(self, x: object, level: int) -> str:
        own = type(x).__repr__ is not object.__repr__
        if own and (type(x).__module__ in ("builtins", "datetime") or isinstance(x, (Opaque, LongInt))):
            return super().repr_instance(x, level)
        return f"<{type(x).__name__}>"


_REPR = _ShortRepr()


def show(value: object) -> str:
    """A short display of a value for messages (strings as they are); never raises."""
    try:
        text = value if isinstance(value, str) else _REPR.repr(value)
    except Exception:  # a huge int, a hostile __repr__
        text = repr(value) if isinstance(value, Opaque) else f"<{type(value).__name__}>"
    return text if len(text) <= 60 else text[:59] + "…"


_MAX_DEPTH = 32   # far below the recursion limit, far beyond any schema's depth
_MAX_BITS = 10_000


def plain(value: object, depth: int = 0, memo: dict[int, object] | None = None) -> object:
    """A copy of `value` made of exact JSON types only, that is safe to show and compare.

    Subclasses become their base types; huge ints show briefly; anything else (and anything nested
    deeper than the schemas can reach) becomes an `Opaque`, which fails every `type` keyword.
    """
    memo = {} if memo is None else memo
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        number = int.__int__(value)
        return LongInt(number) if number.bit_length() > _MAX_BITS else number
    if isinstance(value, float):
        return float.__float__(value)
    if not isinstance(value, (dict, list)) or depth >= _MAX_DEPTH:
        return Opaque(type(value).__name__)
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, dict):
        out: dict[str, object] = {}
        memo[id(value)] = out
        for k, v in dict.items(value):
            out[k if type(k) is str else show(k)] = plain(v, depth + 1, memo)
        return out
    items: list[object] = []
    memo[id(value)] = items
    items.extend(plain(v, depth + 1, memo) for v in list.__iter__(value))
    return items
