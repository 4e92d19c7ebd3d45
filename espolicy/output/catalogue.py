"""`espolicy doc`: the rule catalogue for the support desk, generated from the policy (Markdown or HTML).

The catalogue is built once as a neutral structure (`build`: headings, paragraphs, tables, rule
entries, with code, links and messages marked as such), then rendered as Markdown or as HTML; the
two formats cannot drift apart.

Per rule: id, effect, kinds, FAQ question(s), condition, the field it points at, and its messages
and advice in English and Japanese, with template placeholders shown as `{…}`; an index by FAQ
question; then the facts (and lets) with how they are computed, and the constants and tables.
Comments written just above a declaration in a rule file appear as its note.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from espolicy.lang import ast
from espolicy.lang import unparse
from espolicy.lang.typecheck import CheckedPolicy
from espolicy.engine.datafiles import data_sets

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


# ---------------------------------------------------------------- the structure, built once

@dataclass(frozen=True)
class Code:
    """Code shown as code; rule-language code (`rule`) is highlighted in HTML."""
    text: str
    rule: bool = False


@dataclass(frozen=True)
class Link:
    """A link to the rule entry `anchor`, or, when `external`, to the web address `anchor` (a
    reference's `url`, which the parser accepts only as a whole http(s) address)."""
    anchor: str
    text: str
    external: bool = False


Piece = str | Code | Link | ast.Text   # ast.Text: a message, its placeholders shown as `{…}`
Cell = tuple[Piece, ...]


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    cell: Cell


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class RuleEntry:
    id: str
    effect: str
    note: str
    fields: tuple[tuple[str, Cell], ...]                 # (row name, value)
    texts: tuple[tuple[str, str, ast.Text], ...]         # (Message or Advice, language, text)


Block = Heading | Paragraph | Table | RuleEntry


@dataclass(frozen=True)
class _Pieces:
    """How one format writes each kind of piece of a cell."""
    plain: Callable[[str], str]
    code: Callable[[Code], str]
    link: Callable[[Link], str]
    message: Callable[[ast.Text], str]

    def cell(self, cell: Cell) -> str:
        return "".join(self.plain(p) if isinstance(p, str) else self.code(p) if isinstance(p, Code)
                       else self.link(p) if isinstance(p, Link) else self.message(p) for p in cell)


@dataclass(frozen=True)
class Catalogue:
    title: str
    blocks: tuple[Block, ...]


def build(checked: CheckedPolicy, info: dict[str, str]) -> Catalogue:
    """The catalogue of `checked`, ready to be rendered in any format."""
    title = f"{checked.name or info.get('name', 'policy')} — rule catalogue"
    blocks: list[Block] = [Heading(1, title), Paragraph((
        "Generated by ", Code("espolicy doc"), f" from the policy ({info.get('digest', '')}): "
        f"{len(checked.rules)} rules in {len(checked.modules)} files. Outcomes: a ", Code("deny"),
        " rule refuses the request, a ", Code("review"), " rule sends it to a person; ", Code("warn"), " and ",
        Code("info"), " only add a remark. Texts in ", Code("{…}"), " are filled in from the document."))]
    blocks += [Heading(2, "Rules by FAQ question"), Table(("FAQ", "rules"), tuple(
        (_reference_cell(checked, q), _rule_links(rules)) for q, rules in _faq_index(checked).items()))]
    for sec in _sections(checked):
        blocks.append(Heading(2, sec.file))
        if sec.intro:
            blocks.append(Paragraph((sec.intro,)))
        blocks += [_rule_entry(rule, note, sec.file) for rule, note in sec.rules]
    values = _values(checked)
    blocks += [Heading(2, "Facts"),
               Paragraph(("Facts are computed for every document of their kinds and reported with the outcome.",)),
               _values_table("fact", [v for v in values if v.exported])]
    lets = [v for v in values if not v.exported]
    if lets:
        blocks += [Paragraph(("Internal values (", Code("let"), "), used by rules but not reported:")),
                   _values_table("let", lets)]
    blocks += [Heading(2, "Constants"), Table(("name", "value", "note"), tuple(
        ((name,), (Code(value),), (note,)) for name, value, note in _consts(checked)))]
    if checked.data_decls:
        blocks += [Heading(2, "Data files"),
                   Paragraph(("Read from the policy folder when the policy loads; part of its digest.",)),
                   Table(("name", "file", "holds"), tuple(
                       ((d.name,), (Code(d.file),), (d.holds,)) for d in data_sets(checked)))]
    return Catalogue(title, tuple(blocks))


def _reference_cell(checked: CheckedPolicy, q: str) -> Cell:
    """The reference's label, linked to its `url` when it declares one."""
    ref = checked.reference(q) if q != "none" else None
    label = _reference_label(checked, q)
    return (Link(ref.url, label, external=True),) if ref is not None and ref.url else (label,)


def _rule_links(rules: list[ast.Rule]) -> Cell:
    cell: list[Piece] = []
    for r in rules:
        cell += [", "] if cell else []
        cell += [Link(r.id, r.id), f" ({r.effect})"]
    return tuple(cell) or ("—",)


def _rule_entry(rule: ast.Rule, note: str, file: str) -> RuleEntry:
    fields: list[tuple[str, Cell]] = [(k, (v,)) for k, v in _metadata(rule)]
    fields += [("effect", (_EFFECT_WORDS.get(rule.effect, rule.effect),)), ("for", (", ".join(rule.kinds),)),
               ("FAQ", (", ".join(rule.faq) if rule.faq else "none (data consistency)",))]
    if rule.each is not None:
        fields.append(("for each", (Code(unparse.each(rule), rule=True),)))
    fields.append(("when", (Code(unparse.expr(rule.condition), rule=True),)))
    if rule.at is not None:
        fields.append(("points at", (Code(".".join(rule.at.names)),)))
    fields.append(("source", (f"{file}:{rule.span.line}",)))
    texts = tuple((part, lang, t[lang]) for part, t in (("Message", rule.message), ("Advice", rule.advice))
                  for lang in ("en", "ja") if lang in t)
    return RuleEntry(rule.id, rule.effect, note, tuple(fields), texts)


def _values_table(word: str, values: list[ast.Value]) -> Table:
    return Table((word, "for", "computed as", "only when"), tuple(
        ((v.name,), (", ".join(v.kinds),), (Code(unparse.expr(v.expr), rule=True),),
         (Code(unparse.expr(v.when), rule=True),) if v.when is not None else ("—",)) for v in values))


# ---------------------------------------------------------------- Markdown

def markdown(checked: CheckedPolicy, info: dict[str, str]) -> str:
    """The catalogue as Markdown."""
    return "\n".join(line for block in build(checked, info).blocks for line in _md_block(block) + [""])


def _md_block(block: Block) -> list[str]:
    if isinstance(block, Heading):
        return ["#" * block.level + " " + block.text]
    if isinstance(block, Paragraph):
        return [_MD.cell(block.cell)]
    if isinstance(block, Table):
        return [_md_row(block.header), "|" + "---|" * len(block.header)] + [
            _md_row(tuple(_md_cell(_MD.cell(cell)) for cell in row)) for row in block.rows]
    lines = [f"### {block.id}", ""]
    if block.note:
        lines += [f"_{_md_cell(block.note)}_", ""]
    lines += ["| | |", "|---|---|"] + [_md_row((k, _md_cell(_MD.cell(v)))) for k, v in block.fields] + [""]
    return lines + [f"- **{part} ({lang}):** {_md_text(text)}" for part, lang, text in block.texts]


def _md_row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cells) + " |"


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


# ---------------------------------------------------------------- HTML

def html_page(checked: CheckedPolicy, info: dict[str, str]) -> str:
    """The catalogue as one HTML page."""
    cat = build(checked, info)
    o = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">', f"<title>{_h(cat.title)}</title>",
         f"<style>{_css()}</style>", "</head>", "<body>"]
    o += [_html_block(block) for block in cat.blocks]
    return "\n".join(o + ["</body>", "</html>"]) + "\n"


def _html_block(block: Block) -> str:
    if isinstance(block, Heading):
        tag = f"h{min(block.level, 2)}"
        return f"<{tag}>{_h(block.text)}</{tag}>"
    if isinstance(block, Paragraph):
        return f"<p>{_HTML.cell(block.cell)}</p>"
    if isinstance(block, Table):
        head = "".join(f"<th>{_h(h)}</th>" for h in block.header)
        rows = "".join("<tr>" + "".join(f"<td>{_HTML.cell(c)}</td>" for c in row) + "</tr>\n" for row in block.rows)
        return f"<table><tr>{head}</tr>\n{rows}</table>"
    o = [f'<section class="rule" id="{_h(block.id)}"><h3>{_h(block.id)} '
         f'<span class="{_h(block.effect)}">({_h(block.effect)})</span></h3>']
    if block.note:
        o.append(f'<p class="note">{_h(block.note)}</p>')
    o.append("<table>" + "".join(f"<tr><th>{_h(k)}</th><td>{_HTML.cell(v)}</td></tr>" for k, v in block.fields)
             + "</table>")
    o.append("<dl>")
    o += [f'<dt>{part} ({lang})</dt><dd lang="{lang}">{_html_text(text)}</dd>' for part, lang, text in block.texts]
    o.append("</dl></section>")
    return "\n".join(o)


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


_MD = _Pieces(plain=lambda text: text, code=lambda c: _md_code(c.text),
              link=lambda l: f"[{l.text}](<{l.anchor}>)" if l.external else f"[{l.text}](#{l.anchor})",
              message=_md_text)
_HTML = _Pieces(plain=_h, code=lambda c: _code(c.text) if c.rule else f"<code>{_h(c.text)}</code>",
                link=lambda l: f'<a href="{"" if l.external else "#"}{_h(l.anchor)}">{_h(l.text)}</a>',
                message=_html_text)
