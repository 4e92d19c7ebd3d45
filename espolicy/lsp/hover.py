"""Hover: what the name under the cursor is (a field's type and description, a function's signature,
a constant's or fact's definition and value, a reference's titles)."""
from __future__ import annotations

import re
from typing import Any

from espolicy.lang import ast
from espolicy.lang.builtins import BUILTINS
from espolicy.lsp.context import chain_before, place_at, word_at
from espolicy.lsp.resolve import Resolved, resolve
from espolicy.lsp.state import Knowledge

_REFERENCE = re.compile(r"Q[0-9]+")


def hover(k: Knowledge, file: str, line: int, col: int) -> tuple[str, int, int] | None:
    """Markdown about the name at (line, col) of `file`, and the columns it spans; None when nothing."""
    text = k.texts.get(file, "")
    lines = text.split("\n")
    if line >= len(lines):
        return None
    current = lines[line]
    span = word_at(current, col)
    if span is None:
        return None
    start, end = span
    place = place_at(text, line, start)
    if place.zone != "code":
        return None
    word = current[start:end]
    if _REFERENCE.fullmatch(word):
        return _reference(k, word), start, end
    chain = chain_before(current, start)
    if not chain and current[end:].lstrip().startswith("(") and word in BUILTINS:
        b = BUILTINS[word]
        return f"```espolicy\n{b.signature()}\n```\n\n{b.doc}", start, end
    got = resolve(k, place, [*chain, word])
    if got is None:
        return None
    return _describe(k, got), start, end


def _describe(k: Knowledge, r: Resolved) -> str:
    if r.what in ("field", "local"):
        t = r.type.describe() if r.type is not None else "unknown"
        out = [f"```espolicy\n{r.name}: {t}\n```"]
        if r.kind:
            out.append(f"a field of {r.kind} documents" if r.what == "field" else
                       f"a variable over a list of {r.kind} documents")
        if not r.required and r.what == "field":
            out.append("optional: test it with `is present` before reading it")
        description = r.schema.get("description") if r.schema else None
        if isinstance(description, str):
            out.append(description)
        return "\n\n".join(out)
    if r.what == "function":
        b = BUILTINS[r.name]
        return f"```espolicy\n{b.signature()}\n```\n\n{b.doc}"
    if r.what == "kind":
        root = k.schemas.schemas.field_schema(r.name, []) or {}
        about = " ".join(str(root[key]) for key in ("title", "description") if isinstance(root.get(key), str))
        fields = ", ".join(sorted(k.shapes[r.name].fields))
        return f"document kind `{r.name}`" + (f": {about}" if about else "") + f"\n\nfields: {fields}"
    out = [f"```espolicy\n{_source_of(k, d)}\n```" for d in r.decls]
    if r.type is not None:
        out.append(f"type: {r.type.describe()}" + (f" (for {r.kind} documents)" if r.kind else ""))
    value = _value(k, r)
    if value is not None:
        out.append(f"value: `{value}`")
    return "\n\n".join(out)


def _source_of(k: Knowledge, d: ast.Decl) -> str:
    """The declaration as written (its lines in the file)."""
    lines = k.texts.get(d.span.file, "").split("\n")
    return "\n".join(lines[d.span.line - 1:d.span.end_line]).strip() or d.span.file


def _value(k: Knowledge, r: Resolved) -> str | None:
    """The value of a constant, table entry or a fact/let that folds to one; None when it depends on
    the document or the policy does not check yet."""
    if k.checked is None:
        return None
    from espolicy.lang.trace import Evaluator, Unknown, show
    ev = Evaluator(k.checked)
    try:
        if r.what in ("const", "table"):
            return show(ev.const(r.name))
        if r.what == "entry":
            table, entry = r.name.split(".", 1)
            value: Any = ev.const(table)
            return show(value.get(entry)) if isinstance(value, dict) else None
        if r.what == "value" and len(r.decls) == 1 and r.decls[0].when is None:  # type: ignore[union-attr]
            return show(ev.fold(r.decls[0].expr))  # type: ignore[union-attr]
    except (Unknown, KeyError):
        return None
    return None


def _reference(k: Knowledge, ref: str) -> str:
    """A reference's titles (when the policy declares it) and the rules that cite it."""
    out = [f"**{ref}**"]
    for d in k.decls():
        if type(d).__name__ == "Reference" and getattr(d, "id", getattr(d, "name", None)) == ref:
            titles = getattr(d, "title", None) or {}
            for lang in ("en", "ja"):
                if lang in titles:
                    out.append(f"{lang}: {_plain(titles[lang])}")
            url = getattr(d, "url", None)
            if url:
                out.append(str(url))
    citing = [d.id for d in k.decls() if isinstance(d, ast.Rule) and ref in d.faq]
    out.append("cited by " + ", ".join(f"`{c}`" for c in citing) if citing else "cited by no rule")
    return "\n\n".join(out)


def _plain(value: Any) -> str:
    if isinstance(value, ast.Text):
        return "".join(p if isinstance(p, str) else "{…}" for p in value.parts)
    return str(value)
