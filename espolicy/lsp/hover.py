"""Hover: what the name under the cursor is (a field's type and description, a function's signature,
a constant's or fact's definition and value, a data set's file and content, a rule's metadata, a
reference's titles as the policy declares them)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from espolicy.lang import ast
from espolicy.lang.builtins import BUILTINS
from espolicy.lsp.context import chain_before, place_at, word_at
from espolicy.lsp.navigate import data_file, declared_at
from espolicy.lsp.resolve import Resolved, data_summary, resolve
from espolicy.lsp.state import Knowledge

# While the file does not parse, the text alone says where a reference or a rule's id is written.
_REFERENCE = re.compile(r"Q[0-9]+")
_CITES = re.compile(r"^\s*(?:faq|reference)\b")
_RULE_ID = re.compile(r"^(\s*rule\s+)([a-z][a-z0-9]*(?:-[a-z0-9]+)*)")
_AGGREGATE_CALL = re.compile(r"\s*\(\s*[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)?\s+in\b")
_ENTRY = re.compile(r'^\s*([A-Za-z_]\w*|"(?:[^"\\]|\\.)*")\s*=')  # a table's `key =` or `"key" =`
_AGGREGATES = {
    "count": ("count(x in LIST: condition) -> number", "how many entries of the list satisfy the condition"),
    "sum": ("sum(x in LIST: number) -> number", "the sum of a number over the entries of the list (0 for none)"),
    "min": ("min(x in LIST: value) -> value", "the least number, date, moment or time of day over the entries of "
            "the list; **absent** for an empty list"),
    "max": ("max(x in LIST: value) -> value", "the greatest number, date, moment or time of day over the entries "
            "of the list; **absent** for an empty list"),
}
_ABOUT = {
    "today": "the evaluation date: given by the caller (`--today`, `today:` in a policy test), by default the "
             "current date in Japan, read once per run and recorded in the report",
    "outcome": "the outcome decided by the deny and review rules; only warn and info rules may read it",
}


def hover(k: Knowledge, file: str, line: int, col: int) -> tuple[str, int, int] | None:
    """Markdown about the name at (line, col) of `file`, and the columns it spans; None when nothing."""
    text = k.texts.get(file, "")
    lines = text.split("\n")
    if line >= len(lines):
        return None
    current = lines[line]
    own = declared_at(k, file, line, col)
    if own is not None and own.space != "name":
        about = {"reference": _reference, "rule": _rule, "datafile": _data}[own.space](k, own.name)
        return about, own.span.column - 1, own.span.end_column - 1
    rule_id = _RULE_ID.match(current)
    if rule_id is not None and rule_id.start(2) <= col <= rule_id.end(2) and rule_id.group(2) in k.rules():
        return _rule(k, rule_id.group(2)), rule_id.start(2), rule_id.end(2)
    entry = _table_entry(k, file, line, col)
    if entry is not None:
        return entry
    span = word_at(current, col)
    if span is None:
        return None
    start, end = span
    place = place_at(text, line, start)
    if place.zone != "code":
        return None
    word = current[start:end]
    if _REFERENCE.fullmatch(word) and _CITES.match(current):
        return _reference(k, word), start, end
    chain = chain_before(current, start)
    if not chain and word in _AGGREGATES and _AGGREGATE_CALL.match(current[end:]):
        signature, doc = _AGGREGATES[word]
        return f"```espolicy\n{signature}\n```\n\n{doc}", start, end
    if not chain and current[end:].lstrip().startswith("(") and word in BUILTINS:
        b = BUILTINS[word]
        return f"```espolicy\n{b.signature()}\n```\n\n{b.doc}", start, end
    got = resolve(k, place, [*chain, word])
    if got is None:
        return None
    return _describe(k, got), start, end


def _table_entry(k: Knowledge, file: str, line: int, col: int) -> tuple[str, int, int] | None:
    """The entry of a table whose key (`weekday =`, `"24x365" =`) is at (line, col)."""
    lines = k.texts.get(file, "").split("\n")
    m = _ENTRY.match(lines[line]) if line < len(lines) else None
    module = k.modules.get(file)
    if m is None or module is None or not m.start(1) <= col <= m.end(1):
        return None
    table = next((d for d in module.decls if isinstance(d, ast.Table) and d.span.line < line + 1 <= d.span.end_line),
                 None)
    if table is None:
        return None
    key = m.group(1).strip('"')
    got = resolve(k, place_at(k.texts[file], line, col), [table.name, key])
    return (_describe(k, got), m.start(1), m.end(1)) if got is not None else None


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
    if r.what == "data":
        return _data(k, r.name)
    if r.what in _ABOUT:
        t = r.type.describe() if r.type is not None else "unknown"
        return f"```espolicy\n{r.name}: {t}\n```\n\n{_ABOUT[r.what]}"
    if r.what == "function":
        b = BUILTINS[r.name]
        return f"```espolicy\n{b.signature()}\n```\n\n{b.doc}"
    if r.what == "kind":
        root = k.schemas.schemas.field_schema(r.name, []) or {}
        about = " ".join(str(root[key]) for key in ("title", "description") if isinstance(root.get(key), str))
        fields = ", ".join(sorted(k.shapes[r.name].fields))
        return f"document kind `{r.name}`" + (f": {about}" if about else "") + f"\n\nfields: {fields}"
    out = [f"```espolicy\n{_source_of(k, d)}\n```" for d in r.decls]
    if r.what == "entry":
        table, entry = r.name.split(".", 1)
        out.insert(0, f"entry `{entry}` of table `{table}`")
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
    """A reference's titles and url as the policy declares it, and the rules that cite it."""
    r = k.references().get(ref)
    if r is None:
        out = [f"**{ref}**: not a declared reference of this policy",
               f'declare it: `reference {ref} {{ title en "…" title ja "…" }}`']
    else:
        out = [f"**{ref}** · reference declared in `{Path(r.span.file).name}`, line {r.span.line}"]
        out += [f"{lang}: {r.title[lang]}" for lang in ("en", "ja") if lang in r.title]
        if r.url:
            out.append(f"<{r.url}>")
    citing = [d.id for d in k.decls() if isinstance(d, ast.Rule) and ref in d.faq]
    out.append("cited by " + ", ".join(f"`{c}`" for c in citing) if citing else "cited by no rule")
    return "\n\n".join(out)


def _rule(k: Knowledge, rid: str) -> str:
    """A rule's outcome and kinds, its metadata (titles, tags, owner) and the references it cites."""
    d = k.rules()[rid]
    out = [f"**rule `{d.id}`** · {d.effect} · for {', '.join(d.kinds)}"]
    out += [f"{lang}: {d.title[lang]}" for lang in ("en", "ja") if lang in d.title]
    if d.tags:
        out.append("tags: " + ", ".join(f"`{t}`" for t in d.tags))
    if d.owner:
        out.append(f"owner: {d.owner}")
    refs = k.references()
    cites = [f"{q} ({refs[q].title['en']})" if q in refs and "en" in refs[q].title else q for q in d.faq]
    out.append("faq: " + ("; ".join(cites) if cites else "none (a data-consistency rule)"))
    return "\n\n".join(out)


def _data(k: Knowledge, name: str) -> str:
    """A data set's declaration, its file and a summary of what the file holds."""
    d = k.data_sets()[name]
    out = [f"```espolicy\n{_source_of(k, d)}\n```"]
    found = data_file(k, name)
    out.append(f"file: [{d.path}]({found[1].as_uri()})" if found is not None else f"file: `{d.path}` (not found)")
    out.append(data_summary(k, name) or "not read: the diagnostic on its declaration says why")
    return "\n\n".join(out)
