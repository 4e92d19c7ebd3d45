"""The value types of the policy language; schemas are translated into them (see `schema.shape`).

Types are frozen dataclasses compared structurally. `Optional` marks a value that may be absent
(an optional field without a default, or a fact defined with `when`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


class Type:
    """Base of all types."""

    def describe(self) -> str:
        """A name a policy owner understands, used in error messages."""
        raise NotImplementedError


@dataclass(frozen=True)
class TInt(Type):
    def describe(self) -> str:
        return "number"


@dataclass(frozen=True)
class TBool(Type):
    def describe(self) -> str:
        return "true/false"


@dataclass(frozen=True)
class TStr(Type):
    """A string; `enum` lists the only values it may take, when the schema says so."""

    enum: frozenset[str] | None = None

    def describe(self) -> str:
        if self.enum:
            return "text (one of " + ", ".join(sorted(self.enum)) + ")"
        return "text"


@dataclass(frozen=True)
class TDate(Type):
    def describe(self) -> str:
        return "date"


@dataclass(frozen=True)
class TDateTime(Type):
    def describe(self) -> str:
        return "date and time"


@dataclass(frozen=True)
class TTime(Type):
    """A time of day (hours and minutes), as in `08:30`."""

    def describe(self) -> str:
        return "time of day"


@dataclass(frozen=True)
class TList(Type):
    item: Type

    def describe(self) -> str:
        return f"list of {self.item.describe()}"


@dataclass(frozen=True)
class TSet(Type):
    item: Type

    def describe(self) -> str:
        return f"set of {self.item.describe()}"


@dataclass(frozen=True)
class Field:
    """A field of a record: its type, whether the document must have it, and its default."""

    type: Type
    required: bool = True
    default: Any = None

    @property
    def always_present(self) -> bool:
        return self.required or self.default is not None


@dataclass(frozen=True)
class TRecord(Type):
    fields: Mapping[str, Field] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.fields)))

    def describe(self) -> str:
        return "record with " + ", ".join(sorted(self.fields))


@dataclass(frozen=True)
class TUnion(Type):
    options: tuple[Type, ...]

    def describe(self) -> str:
        return " or ".join(o.describe() for o in self.options)


@dataclass(frozen=True)
class TOptional(Type):
    inner: Type

    def describe(self) -> str:
        return f"{self.inner.describe()} (may be absent)"


@dataclass(frozen=True)
class TAny(Type):
    """The type of an empty list literal; compatible with every type."""

    def describe(self) -> str:
        return "anything"


INT, BOOL, STR, DATE, DATETIME, TIME, ANY = TInt(), TBool(), TStr(), TDate(), TDateTime(), TTime(), TAny()


def strip_optional(t: Type) -> Type:
    return t.inner if isinstance(t, TOptional) else t


def base(t: Type) -> Type:
    """The type without enum detail, for compatibility checks (`"ESP"` fits generation)."""
    t = strip_optional(t)
    if isinstance(t, TStr):
        return STR
    return t


def compatible(a: Type, b: Type) -> bool:
    """True when values of `a` and `b` can be compared for equality or order."""
    a, b = base(a), base(b)
    if isinstance(a, TAny) or isinstance(b, TAny):
        return True
    if isinstance(a, TUnion):
        return any(compatible(o, b) for o in a.options)
    if isinstance(b, TUnion):
        return any(compatible(a, o) for o in b.options)
    if isinstance(a, (TList, TSet)) and isinstance(b, (TList, TSet)):
        return compatible(a.item, b.item)
    return type(a) is type(b)


class NotTypable(ValueError):
    """A value the rule language has no type for (a float, a null, a list mixing kinds)."""


def type_of_value(value: Any, where: str = "") -> Type:
    """The type of a plain value read from a data file: texts, whole numbers, true/false, dates,
    lists of one type and records (every field present). Raises NotTypable naming the place."""
    import datetime as _dt
    here = where or "the value"
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, str):
        return STR
    if isinstance(value, _dt.datetime):
        return DATETIME
    if isinstance(value, _dt.date):
        return DATE
    if isinstance(value, dict):
        return TRecord({str(k): Field(type_of_value(v, f"{where}.{k}" if where else str(k))) for k, v in value.items()})
    if isinstance(value, list):
        item: Type = ANY
        for i, v in enumerate(value):
            t = type_of_value(v, f"{where}[{i}]")
            if isinstance(item, TAny):
                item = t
            elif not (compatible(item, t) and _same_fields(item, t)):
                raise NotTypable(f"{here} mixes {item.describe()} and {t.describe()} (at {where}[{i}])")
        return TList(item)
    if value is None:
        raise NotTypable(f"{here} is null: leave the entry out instead")
    raise NotTypable(f"{here} is {type(value).__name__} ({value!r}): only texts, whole numbers, true/false, "
                     "dates, lists and mappings can be read")


def _same_fields(a: Type, b: Type) -> bool:
    if isinstance(a, TRecord) and isinstance(b, TRecord):
        return set(a.fields) == set(b.fields) and all(
            compatible(a.fields[k].type, b.fields[k].type) for k in a.fields)
    return True
