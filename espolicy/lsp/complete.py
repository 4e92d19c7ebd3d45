"""Completion: what may be written at a position, from the text around it and what the checker knows.

After `a.b.` the fields of that record (from the schema of the rule's kind); after `for` the kinds;
after `faq` the declared references (their English titles as details); after `==`, `!=` or `in {`
the values a text field's schema allows; elsewhere the names in scope (fields, facts, lets, constants,
data sets, variables), functions and keywords.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from espolicy.lang import ast
from espolicy.lang.builtins import BUILTINS
from espolicy.lang.typecheck import reference_order
from espolicy.lang.types import TRecord, TStr, strip_optional
from espolicy.lsp.context import DECL_KEYWORDS, Place, chain_before, place_at
from espolicy.lsp.resolve import consts, data_summary, resolve, values
from espolicy.lsp.state import Knowledge

RULE_CLAUSES = ("for", "each", "deny", "review", "warn", "info", "when", "faq", "at", "message", "advice")
EXPRESSION_WORDS = ("and", "or", "not", "in", "is", "present", "absent", "number", "text", "if", "then", "else",
                    "any", "all", "true", "false")


@dataclass(frozen=True)
class Item:
    """A completion: its label, what it is (field, value, const, table, function, kind, keyword,
    reference, enum, local), a one-line detail, documentation, and the text to insert with the
    columns it replaces on the cursor's line."""

    label: str
    what: str
    detail: str = ""
    doc: str = ""
    insert: str | None = None
    replace: tuple[int, int] | None = None


_PARTIAL = re.compile(r"[A-Za-z_0-9]*$")
_AFTER_FOR = re.compile(r"(?:^|\s)for\s+(?:\w+\s*,\s*)*\w*$")
_AFTER_FAQ = re.compile(r"^\s*faq\s+(?:Q\d+\s*,\s*)*\w*$")
_LANG = re.compile(r"^\s*(?:message|advice)\s+\w*$")
_ENUM = re.compile(r"([A-Za-z_][\w.]*)\s*(?:==|!=|\bnot\s+in\s*\{|\bin\s*\{)(?:[^=!<>]*?,)?\s*(\"[^\"]*)?$")


def complete(k: Knowledge, file: str, line: int, col: int) -> list[Item]:
    """Completions at (line, col) of `file`."""
    text = k.texts.get(file, "")
    place = place_at(text, line, col)
    if place.zone == "comment":
        return []
    before = place.before
    partial = _PARTIAL.search(before).group(0)  # type: ignore[union-attr]
    start = len(before) - len(partial)
    enum = _enum_values(k, place)
    if enum is not None:
        return enum
    if place.zone == "string":
        return []
    if before[:start].rstrip().endswith(".") and before[:start].endswith("."):
        return _fields(k, place, chain_before(before, start))
    if _AFTER_FOR.search(before):
        return [Item(kind, "kind", "document kind") for kind in sorted(k.shapes)]
    if _AFTER_FAQ.match(before):
        return _references(k) + \
            ([Item("none", "keyword", "a data-consistency rule")] if "Q" not in before.split("faq", 1)[1] else [])
    if _LANG.match(before):
        return [Item("en", "keyword", "English"), Item("ja", "keyword", "Japanese")]
    if place.decl is None or (not place.in_block and not before[:start].strip()):
        return [Item(w, "keyword", "declaration") for w in DECL_KEYWORDS]
    if place.decl == "rule" and place.in_block and not before[:start].strip():
        return [Item(w, "keyword", "rule clause") for w in RULE_CLAUSES]
    return _names(k, place)


def _fields(k: Knowledge, place: Place, chain: list[str]) -> list[Item]:
    got = resolve(k, place, chain)
    t = strip_optional(got.type) if got is not None and got.type is not None else None
    if not isinstance(t, TRecord):
        return []
    props = got.schema.get("properties") if got is not None and got.schema is not None else None
    out = []
    for name, f in sorted(t.fields.items()):
        sub = props.get(name) if isinstance(props, dict) else None
        doc = sub.get("description", "") if isinstance(sub, dict) else ""
        detail = f.type.describe() + ("" if f.always_present else " (may be absent)")
        out.append(Item(name, "entry" if got is not None and got.what == "table" else "field", detail, str(doc)))
    if not out:
        return []
    return out


def _enum_values(k: Knowledge, place: Place) -> list[Item] | None:
    """The allowed values of a text field compared with `==`/`!=` or tested with `in {…}`."""
    if place.zone == "comment":
        return None
    m = _ENUM.search(place.before)
    if m is None:
        return None
    opened = m.group(2)
    if place.zone == "string" and opened is None:
        return None
    got = resolve(k, place, m.group(1).split("."))
    t = strip_optional(got.type) if got is not None and got.type is not None else None
    if not isinstance(t, TStr) or not t.enum:
        return None
    col = len(place.before)
    first = col - len(opened) if opened is not None else col
    last = col + 1 if opened is not None and place.after.startswith('"') else col
    return [Item(f'"{v}"', "enum", f"a value of {m.group(1)}", insert=f'"{v}"', replace=(first, last))
            for v in sorted(t.enum)]


def _references(k: Knowledge) -> list[Item]:
    """The declared references, in order (Q2 before Q10), with their titles."""
    refs = k.references()
    out = []
    for rid in sorted(refs, key=reference_order):
        r = refs[rid]
        doc = "\n\n".join([f"{lang}: {r.title[lang]}" for lang in ("en", "ja") if lang in r.title]
                           + ([f"<{r.url}>"] if r.url else []))
        out.append(Item(rid, "reference", r.title.get("en", "reference"), doc))
    return out


def _names(k: Knowledge, place: Place) -> list[Item]:
    out: list[Item] = []
    for name, over in sorted(place.locals.items()):
        out.append(Item(name, "local", f"variable over {over}" if over != "#index" else "entry index"))
    for kind in place.kinds:
        shape = k.shapes.get(kind)
        if shape is None:
            continue
        for name, f in sorted(shape.fields.items()):
            if not any(i.label == name for i in out):
                sub = k.schemas.schemas.field_schema(kind, [name])
                out.append(Item(name, "field", f.type.describe() + ("" if f.always_present else " (may be absent)"),
                                str(sub.get("description", "")) if sub else ""))
    if place.kinds:
        for name, decls in sorted(values(k, place.kinds).items()):
            what = "fact" if decls[0].exported else "let"
            t = k.checker.value_types.get((place.kinds[0], name)) if k.checker is not None else None
            out.append(Item(name, "value", f"{what}: {t.describe()}" if t is not None else what))
    for name, data in sorted(k.data_sets().items()):
        out.append(Item(name, "data", f"data from {data.path}", data_summary(k, name) or ""))
    for name, d in sorted(consts(k).items()):
        t = k.checker.consts.get(name) if k.checker is not None else None
        what = "table" if isinstance(d, ast.Table) else "const"
        out.append(Item(name, what, f"{what}: {t.describe()}" if t is not None else what))
    for name, b in sorted(BUILTINS.items()):
        out.append(Item(name, "function", b.signature(), b.doc))
    out += [Item(w, "keyword") for w in EXPRESSION_WORDS]
    if place.decl == "rule" and place.in_block:
        out += [Item(w, "keyword", "rule clause") for w in RULE_CLAUSES if w not in EXPRESSION_WORDS]
    if place.kinds:
        out.append(Item("outcome", "value", "the outcome so far (warn and info rules)"))
        out.append(Item("today", "value", "date: the evaluation date"))
    return out
