"""Schema violations explained: one finding each, in English and Japanese, from the catalogue.

A `Violation` is one failed keyword at one place of a document, whoever found it (jsonschema, or
the compiled fast path): the same violations give the same findings, byte for byte.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Callable

from espolicy import messages
from espolicy.documents.formats import FormatProblem, pattern_regex
from espolicy.documents.saferepr import LongInt, Opaque, show
from espolicy.fuzzy import nearest, nearest_key
from espolicy.messages import Words
from espolicy.pointers import pointer
from espolicy.report import Finding

__all__ = ["Violation", "findings", "value_words", "quoted_as_written"]


@dataclass(frozen=True, slots=True)
class Violation:
    """A keyword of the schema that a value fails: `keyword` with its value `expected`, the failing
    `instance`, the (sub)schema holding the keyword, the path of keys and indexes to the instance,
    the FormatProblem of a `format`, and the checker's own words for a keyword explained generically."""

    keyword: str
    expected: Any
    instance: Any
    schema: Mapping[str, Any]
    path: tuple[Any, ...]
    cause: BaseException | None = None
    detail: str = ""


def findings(violations: Iterable[Violation]) -> list[Finding]:
    """The findings of all violations: one per problem, type errors alone at their path, sorted."""
    unique: dict[tuple[str, str, str], Finding] = {}
    for violation in violations:
        for f in _EXPLAIN.get(violation.keyword, _other)(violation):
            unique.setdefault((f.path, f.rule, f.message["en"]), f)
    typed = {f.path for f in unique.values() if f.rule == "schema-type"}
    kept = [f for f in unique.values() if f.rule == "schema-type" or f.path not in typed]
    return sorted(kept, key=lambda f: (_path_order(f.path), f.rule, f.message["en"]))


def _path_order(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key of a JSON Pointer: token by token, list indexes in numeric order."""
    return tuple((0, int(t)) if t.isascii() and t.isdigit() else (1, t) for t in text.split("/")[1:])


def _rule(keyword: str) -> str:
    """`schema-` and the keyword in kebab case (`additionalProperties` -> `schema-additional-properties`)."""
    return "schema-" + re.sub(r"(?<!^)(?=[A-Z])", "-", keyword).lower()


def _where(path: Iterable[object]) -> str:
    """A path as shown in messages: its pointer, or `/` for the document itself."""
    return pointer(path) or "/"


def _required(v: Violation) -> list[Finding]:
    """A missing member points at itself; one that a sibling's value requires (a `then` without
    `properties` inside a mapping, as `change.to` unless the change is a reissue) points at that
    mapping, where either member may be the one to correct. At the document's top level the member's
    own pointer is kept: the empty pointer would name no place."""
    where = _where(v.path)
    conditional = "properties" not in v.schema and bool(v.path)
    return [messages.finding("required", pointer(v.path) if conditional else pointer([*v.path, name]),
                             name=name, where=where)
            for name in v.expected if name not in v.instance]


def _additional(v: Violation) -> list[Finding]:
    allowed = list(v.schema.get("properties", {}))
    patterns = [pattern_regex(p) for p in v.schema.get("patternProperties", {})]
    extras = [k for k in v.instance
              if k not in allowed and not any(isinstance(k, str) and p.search(k) for p in patterns)]
    return [_unknown_field(v.path, key, allowed, v.instance) for key in extras]


def _unknown_field(path: tuple[Any, ...], key: object, allowed: list[str], present: Mapping[Any, Any]) -> Finding:
    """`unknown field `requets` in /; did you mean `requests`?`: always the nearest known field (one
    missing from the same mapping among equals), with the list of known fields when it is only a guess."""
    name, where, at = show(key), _where(path), pointer([*path, key])
    guess = nearest_key(str(key), allowed, [k for k in allowed if k not in present])
    if guess is None:
        return messages.finding("unknown-field", at, name=name, where=where)
    if guess.close:
        return messages.finding("unknown-field-near", at, name=name, where=where, near=guess.key)
    return messages.finding("unknown-field-guess", at, name=name, where=where, near=guess.key, known=", ".join(allowed))


def value_words(value: object) -> Words:
    """What a value is, in words (English, Japanese), for type errors."""
    if isinstance(value, Opaque):
        return messages.not_json(value.type_name)
    for types, said in messages.VALUE_WORDS:
        if isinstance(value, types):
            return said
    return messages.not_json(type(value).__name__)


def _type(v: Violation) -> list[Finding]:
    expected = v.expected if isinstance(v.expected, list) else [v.expected]
    where, at = _where(v.path), pointer(v.path)
    if "string" in expected and "integer" not in expected and _is_plain_number(v.instance):
        return [messages.finding("quote-number", at, where=where, value=show(v.instance))]
    wanted = [messages.EXPECTED.get(t, Words(t, t)) for t in expected]
    want = Words(" or ".join(w.en for w in wanted), "または".join(w.ja for w in wanted))
    return [messages.finding("wrong-type", at, where=where, want=want, got=value_words(v.instance),
                             value=show(v.instance))]


def _is_plain_number(value: object) -> bool:
    """An int or a float (YAML's `.inf` and `.nan` included), not a bool: a value a YAML author
    meant as text when unquoted."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not isinstance(value, LongInt)
    return isinstance(value, float)


def quoted_as_written(message: Mapping[str, str], path: str, written: str) -> dict[str, str] | None:
    """The `quote-number` message at `path` with the number as the file writes it (`0012`, not the
    `10` YAML 1.1 reads), or None when `message` is not that message. The checker sees values
    only: their text is the file's, known where findings are placed in it (`positions`)."""
    where = path or "/"
    head, _, tail = messages.MESSAGES["quote-number"].en.partition("{value}")
    head, tail = head.format(where=where), tail.format(where=where)
    en = message.get("en", "")
    if len(en) < len(head) + len(tail) or not (en.startswith(head) and en.endswith(tail)):
        return None
    return dict(messages.words("quote-number", where=where, value=show(written))._asdict())


def _format(v: Violation) -> list[Finding]:
    name = messages.FORMAT_NAMES.get(v.expected, Words(v.expected, v.expected))
    cause = v.cause
    why = Words(cause.en, cause.ja) if isinstance(cause, FormatProblem) else Words(show(v.instance), show(v.instance))
    return [messages.finding("bad-format", pointer(v.path), where=_where(v.path), name=name, why=why)]


def _enum(v: Violation) -> list[Finding]:
    allowed = [str(x) for x in v.expected]
    near = nearest(v.instance, allowed) if isinstance(v.instance, str) else None
    values = dict(where=_where(v.path), listed=", ".join(allowed), value=show(v.instance))
    if near:
        return [messages.finding("not-in-enum-near", pointer(v.path), near=near, **values)]
    return [messages.finding("not-in-enum", pointer(v.path), **values)]


def _const(v: Violation) -> list[Finding]:
    return [messages.finding("not-const", pointer(v.path), where=_where(v.path), want=show(v.expected),
                             value=show(v.instance))]


def _pattern(v: Violation) -> list[Finding]:
    what = str(v.schema.get("description", "")).rstrip(".")
    form = f"{what} (pattern {v.expected})" if what else f"pattern {v.expected}"
    return [messages.finding("no-pattern-match", pointer(v.path), where=_where(v.path), value=show(v.instance),
                             form=form, pattern=v.expected)]


_BOUNDS = {"minimum": "below-minimum", "maximum": "above-maximum", "minLength": "too-short", "maxLength": "too-long"}


def _bound(v: Violation) -> list[Finding]:
    """minimum / maximum / minLength / maxLength."""
    size = len(v.instance) if v.keyword == "maxLength" else None
    return [messages.finding(_BOUNDS[v.keyword], pointer(v.path), where=_where(v.path), limit=v.expected,
                             value=show(v.instance), size=size)]


def _other(v: Violation) -> list[Finding]:
    return [messages.finding("schema-other", pointer(v.path), rule=_rule(v.keyword), where=_where(v.path),
                             keyword=v.keyword, detail=v.detail)]


_EXPLAIN: dict[str, Callable[[Violation], list[Finding]]] = {
    "required": _required, "additionalProperties": _additional, "type": _type, "format": _format,
    "enum": _enum, "const": _const, "pattern": _pattern,
    "minimum": _bound, "maximum": _bound, "minLength": _bound, "maxLength": _bound,
}
