"""`espolicy doc`: the rule catalogue for the support desk, generated from the policy (Markdown or HTML).

Per rule: id, effect, kinds, FAQ question(s), condition, the field it points at, and its messages
and advice in English and Japanese, with template placeholders shown as `{…}`; an index by FAQ
question; then the facts (and lets) with how they are computed, and the constants and tables.
Comments written just above a declaration in a rule file appear as its note.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from espolicy.lang import ast
from espolicy.lang import unparse
from espolicy.lang.typecheck import CheckedPolicy
from espolicy.lang.types import type_of_value

_EFFECT_WORDS = {"deny": "deny — the request is refused", "review": "review — a person must confirm",
                 "warn": "warn — allowed, with a warning", "info": "info — allowed, with information"}


@dataclass
class _Section:
    file: str
    intro: str
    rules: list[tuple[ast.Rule, str]] = field(default_factory=list)  # rule, note


def _comment_block(lines: list[str], before: int) -> str:
    """The comment lines directly above line `before` (1-based), joined."""
    out: list[str] = []
    i = before - 2
    while i >= 0 and lines[i].lstrip().startswith("#"):
        text = lines[i].lstrip()[1:].strip()
        out.insert(0, text.strip("-= ").strip())  # a ruler such as `# ---- facts ----` keeps its words
        i -= 1
    return " ".join(t for t in out if t)


def _intro(module: ast.Module) -> str:
    lines = module.source.splitlines()
    out = []
    for line in lines:
        s = line.strip()
        if not s.startswith("#"):
            break
        out.append(s[1:].strip())
    return " ".join(t for t in out if t)


def _sections(checked: CheckedPolicy) -> list[_Section]:
    sections = []
    for m in checked.modules:
        lines = m.source.splitlines()
        sec = _Section(Path(m.file).name, _intro(m))
        for d in m.decls:
            if isinstance(d, ast.Rule):
                sec.rules.append((d, _comment_block(lines, d.span.line)))
        if sec.rules:
            sections.append(sec)
    return sections


def _faq_index(checked: CheckedPolicy) -> dict[str, list[ast.Rule]]:
    index: dict[str, list[ast.Rule]] = {r.id: [] for r in checked.references}
    index["none"] = []
    for r in checked.rules:
        for q in r.faq or ("none",):
            index.setdefault(q, []).append(r)
    return index


def _values(checked: CheckedPolicy) -> list[ast.Value]:
    seen: dict[str, ast.Value] = {}
    for m in checked.modules:
        for d in m.decls:
            if isinstance(d, ast.Value):
                seen.setdefault(f"{d.name}@{','.join(d.kinds)}", d)
    return list(seen.values())


def _consts(checked: CheckedPolicy) -> list[tuple[str, str, str]]:
    """(name, value text, note) of every constant and table entry."""
    out = []
    for m in checked.modules:
        lines = m.source.splitlines()
        for d in m.decls:
            if isinstance(d, ast.Const):
                out.append((d.name, unparse.expr(d.expr), _comment_block(lines, d.span.line)))
            elif isinstance(d, ast.Table):
                note = _comment_block(lines, d.span.line)
                for k, e in d.entries:
                    out.append((f"{d.name}.{k}", unparse.expr(e), note))
                    note = ""
    return out


# ---------------------------------------------------------------- Markdown

def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_code(text: str) -> str:
    tick = "``" if "`" in text else "`"
    pad = " " if tick == "``" else ""
    return f"{tick}{pad}{text}{pad}{tick}"


def _md_text(t: ast.Text) -> str:
    """A message with its placeholders as code: `{pack.term_years}`."""
    out = []
    for p in t.parts:
        if isinstance(p, str):
            out.append(p.replace("*", "\\*").replace("_", "\\_").replace("<", "&lt;"))
        else:
            out.append(_md_code("{" + unparse.expr(p) + "}"))
    return "".join(out)


def _anchor(rule_id: str) -> str:
    return rule_id


def _reference_label(checked: CheckedPolicy, q: str) -> str:
    """`Q6 — Is there a way to get support for 6 years or more?` (the declared English title)."""
    if q == "none":
        return "none (data consistency)"
    ref = checked.reference(q)
    return f"{q} — {ref.title['en']}" if ref is not None else q


def _metadata(rule: ast.Rule) -> list[tuple[str, str]]:
    """The rule's title, tags and owner, as (row name, plain text)."""
    rows = []
    if rule.title:
        rows.append(("title", f"{rule.title['en']} / {rule.title['ja']}"))
    if rule.tags:
        rows.append(("tags", ", ".join(rule.tags)))
    if rule.owner:
        rows.append(("owner", rule.owner))
    return rows


def _data_sets(checked: CheckedPolicy) -> list[tuple[str, str, str]]:
    """(name, file, what it holds) of every data set."""
    out = []
    for d in checked.data_decls:
        value = checked.data.get(d.name)
        size = f", {len(value)} entries" if isinstance(value, (list, dict)) else ""
        out.append((d.name, d.path, f"{type_of_value(value, d.name).describe()}{size}"))
    return out


def markdown(checked: CheckedPolicy, info: dict[str, str]) -> str:
    out: list[str] = []
    title = checked.name or info.get("name", "policy")
    out.append(f"# {title} — rule catalogue\n")
    out.append(f"Generated by `espolicy doc` from the policy ({info.get('digest', '')}): "
               f"{len(checked.rules)} rules in {len(checked.modules)} files. Outcomes: a `deny` rule refuses the "
               "request, a `review` rule sends it to a person; `warn` and `info` only add a remark. Texts in "
               "`{…}` are filled in from the document.\n")
    out.append("## Rules by FAQ question\n")
    out.append("| FAQ | rules |")
    out.append("|---|---|")
    for q, rules in _faq_index(checked).items():
        label = _md_cell(_reference_label(checked, q))
        ref = checked.reference(q)
        if ref is not None and ref.url:
            label = f"[{label}](<{ref.url}>)"
        cell = ", ".join(f"[{r.id}](#{_anchor(r.id)}) ({r.effect})" for r in rules) or "—"
        out.append(f"| {label} | {cell} |")
    out.append("")
    for sec in _sections(checked):
        out.append(f"## {sec.file}\n")
        if sec.intro:
            out.append(sec.intro + "\n")
        for rule, note in sec.rules:
            out.append(f"### {rule.id}\n")
            if note:
                out.append(f"_{_md_cell(note)}_\n")
            out.append("| | |")
            out.append("|---|---|")
            out += [f"| {k} | {_md_cell(v)} |" for k, v in _metadata(rule)]
            out.append(f"| effect | {_EFFECT_WORDS.get(rule.effect, rule.effect)} |")
            out.append(f"| for | {', '.join(rule.kinds)} |")
            out.append(f"| FAQ | {', '.join(rule.faq) if rule.faq else 'none (data consistency)'} |")
            if rule.each is not None:
                out.append(f"| for each | {_md_cell(_md_code(unparse.each(rule)))} |")
            out.append(f"| when | {_md_cell(_md_code(unparse.expr(rule.condition)))} |")
            if rule.at is not None:
                out.append(f"| points at | {_md_code('.'.join(rule.at.names))} |")
            out.append(f"| source | {sec.file}:{rule.span.line} |")
            out.append("")
            for part, texts in (("Message", rule.message), ("Advice", rule.advice)):
                for lang in ("en", "ja"):
                    if lang in texts:
                        out.append(f"- **{part} ({lang}):** {_md_text(texts[lang])}")
            out.append("")
    out.append("## Facts\n")
    out.append("Facts are computed for every document of their kinds and reported with the outcome.\n")
    out.append("| fact | for | computed as | only when |")
    out.append("|---|---|---|---|")
    values = _values(checked)
    for v in (v for v in values if v.exported):
        when = _md_code(unparse.expr(v.when)) if v.when is not None else "—"
        out.append(f"| {v.name} | {', '.join(v.kinds)} | {_md_cell(_md_code(unparse.expr(v.expr)))} | {_md_cell(when)} |")
    lets = [v for v in values if not v.exported]
    if lets:
        out.append("\nInternal values (`let`), used by rules but not reported:\n")
        out.append("| let | for | computed as | only when |")
        out.append("|---|---|---|---|")
        for v in lets:
            when = _md_code(unparse.expr(v.when)) if v.when is not None else "—"
            out.append(f"| {v.name} | {', '.join(v.kinds)} | {_md_cell(_md_code(unparse.expr(v.expr)))} | "
                       f"{_md_cell(when)} |")
    out.append("\n## Constants\n")
    out.append("| name | value | note |")
    out.append("|---|---|---|")
    for name, value, note in _consts(checked):
        out.append(f"| {name} | {_md_cell(_md_code(value))} | {_md_cell(note)} |")
    if checked.data_decls:
        out.append("\n## Data files\n")
        out.append("Read from the policy folder when the policy loads; part of its digest.\n")
        out.append("| name | file | holds |")
        out.append("|---|---|---|")
        for name, path, what in _data_sets(checked):
            out.append(f"| {name} | {_md_cell(_md_code(path))} | {_md_cell(what)} |")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- HTML

def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _code(text: str) -> str:
    """Rule code as `<code>`, highlighted when Pygments is installed (the `highlight` extra)."""
    try:
        from espolicy.lang.highlight import html_snippet
    except ImportError:
        return f"<code>{_h(text)}</code>"
    return f'<code class="esp">{html_snippet(text)}</code>'


def _css() -> str:
    try:
        from espolicy.lang.highlight import CSS
    except ImportError:
        return _CSS
    return _CSS + CSS


def _html_text(t: ast.Text) -> str:
    return "".join(_h(p) if isinstance(p, str) else f"<code>{_h('{' + unparse.expr(p) + '}')}</code>" for p in t.parts)


_CSS = """body{font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;max-width:60rem;
margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}code{background:#f4f4f4;
padding:0 .2rem}.rule{border-top:1px solid #ddd;padding-top:.5rem}.deny{color:#a00}.review{color:#a60}
.warn{color:#860}.info{color:#06a}.note{font-style:italic;color:#555}dt{font-weight:bold}"""


def html_page(checked: CheckedPolicy, info: dict[str, str]) -> str:
    title = checked.name or info.get("name", "policy")
    o: list[str] = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
                    f"<title>{_h(title)} — rule catalogue</title>", f"<style>{_css()}</style>", "</head>", "<body>",
                    f"<h1>{_h(title)} — rule catalogue</h1>",
                    f"<p>Generated by <code>espolicy doc</code> from the policy ({_h(info.get('digest', ''))}): "
                    f"{len(checked.rules)} rules in {len(checked.modules)} files. Texts in <code>{{…}}</code> are "
                    "filled in from the document.</p>",
                    "<h2>Rules by FAQ question</h2>", "<table><tr><th>FAQ</th><th>rules</th></tr>"]
    for q, rules in _faq_index(checked).items():
        label = _h(_reference_label(checked, q))
        ref = checked.reference(q)
        if ref is not None and ref.url:
            label = f'<a href="{_h(ref.url)}">{label}</a>'
        cell = ", ".join(f'<a href="#{_h(r.id)}">{_h(r.id)}</a> ({_h(r.effect)})' for r in rules) or "—"
        o.append(f"<tr><td>{label}</td><td>{cell}</td></tr>")
    o.append("</table>")
    for sec in _sections(checked):
        o.append(f"<h2>{_h(sec.file)}</h2>")
        if sec.intro:
            o.append(f"<p>{_h(sec.intro)}</p>")
        for rule, note in sec.rules:
            o.append(f'<section class="rule" id="{_h(rule.id)}"><h3>{_h(rule.id)} '
                     f'<span class="{_h(rule.effect)}">({_h(rule.effect)})</span></h3>')
            if note:
                o.append(f'<p class="note">{_h(note)}</p>')
            rows = [(k, _h(v)) for k, v in _metadata(rule)]
            rows += [("effect", _h(_EFFECT_WORDS.get(rule.effect, rule.effect))), ("for", _h(", ".join(rule.kinds))),
                    ("FAQ", _h(", ".join(rule.faq) if rule.faq else "none (data consistency)"))]
            if rule.each is not None:
                rows.append(("for each", _code(unparse.each(rule))))
            rows.append(("when", _code(unparse.expr(rule.condition))))
            if rule.at is not None:
                rows.append(("points at", f"<code>{_h('.'.join(rule.at.names))}</code>"))
            rows.append(("source", _h(f"{sec.file}:{rule.span.line}")))
            o.append("<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</table>")
            o.append("<dl>")
            for part, texts in (("Message", rule.message), ("Advice", rule.advice)):
                for lang in ("en", "ja"):
                    if lang in texts:
                        o.append(f"<dt>{part} ({lang})</dt><dd lang=\"{lang}\">{_html_text(texts[lang])}</dd>")
            o.append("</dl></section>")
    o.append("<h2>Facts</h2><table><tr><th>fact</th><th>for</th><th>computed as</th><th>only when</th></tr>")
    values = _values(checked)
    for v in values:
        if v.exported:
            when = _code(unparse.expr(v.when)) if v.when is not None else "—"
            o.append(f"<tr><td>{_h(v.name)}</td><td>{_h(', '.join(v.kinds))}</td>"
                     f"<td>{_code(unparse.expr(v.expr))}</td><td>{when}</td></tr>")
    o.append("</table>")
    lets = [v for v in values if not v.exported]
    if lets:
        o.append("<p>Internal values (<code>let</code>), used by rules but not reported:</p>")
        o.append("<table><tr><th>let</th><th>for</th><th>computed as</th><th>only when</th></tr>")
        for v in lets:
            when = _code(unparse.expr(v.when)) if v.when is not None else "—"
            o.append(f"<tr><td>{_h(v.name)}</td><td>{_h(', '.join(v.kinds))}</td>"
                     f"<td>{_code(unparse.expr(v.expr))}</td><td>{when}</td></tr>")
        o.append("</table>")
    o.append("<h2>Constants</h2><table><tr><th>name</th><th>value</th><th>note</th></tr>")
    for name, value, note in _consts(checked):
        o.append(f"<tr><td>{_h(name)}</td><td><code>{_h(value)}</code></td><td>{_h(note)}</td></tr>")
    o.append("</table>")
    if checked.data_decls:
        o.append("<h2>Data files</h2><table><tr><th>name</th><th>file</th><th>holds</th></tr>")
        for name, path, what in _data_sets(checked):
            o.append(f"<tr><td>{_h(name)}</td><td><code>{_h(path)}</code></td><td>{_h(what)}</td></tr>")
        o.append("</table>")
    o += ["</body>", "</html>"]
    return "\n".join(o) + "\n"


# ---------------------------------------------------------------- the command
