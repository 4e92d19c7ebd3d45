"""`espolicy fmt`: one canonical layout for rule files, keeping every comment.

The layout:
- one declaration per line (a rule or table spans its block); a blank line before and after every
  rule and table; one-line declarations (`policy`, `const`, `fact`, `let`) stay grouped where the
  source groups them, and a blank line in the source between two of them (or between comments)
  is kept as exactly one;
- rule clauses in the order `for`, `each`, effect `when`, `faq`, `at`, `message en`, `message ja`,
  `advice en`, `advice ja`, indented by two spaces, one per line; table entries likewise;
- expressions spaced canonically (`a == b`, `f(x, y)`, `{3, 4, 5}`) with only the parentheses
  their precedence needs (and around an `if … then … else …` that a `when` follows, for the
  reader); texts re-escaped one way (`espolicy/unparse.py`);
- comments are collected by a Lark lexer callback and re-attached: a comment on its own line goes
  with the declaration or clause that follows it (or that it stands inside), a comment after code
  stays at the end of that line.

A formatted file parses to the same AST (spans aside); `format_source` checks that before it
returns, so `fmt` can never change what a policy means.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from lark import Lark, Token, Tree

from espolicy.lang import ast
from espolicy.lang import unparse
from espolicy.errors import PolicyError, diagnostic
from espolicy.lang.parser import parse

CLAUSE_ORDER = ("title:en", "title:ja", "tags", "owner", "for", "each", "effect", "faq", "at", "message:en",
                "message:ja", "advice:en", "advice:ja")
INDENT = "  "

_lock = threading.Lock()
_comments: list[Token] = []
_lark: Lark | None = None


def _layout_parser() -> Lark:
    """The rule grammar again, keeping every token and handing comments to a callback."""
    global _lark
    if _lark is None:
        grammar = resources.files("espolicy.lang").joinpath("grammar.lark").read_text(encoding="utf-8")
        _lark = Lark(grammar, parser="lalr", start="start", propagate_positions=True, maybe_placeholders=True,
                     keep_all_tokens=True, lexer_callbacks={"COMMENT": _comments.append})
    return _lark


def _layout(source: str) -> tuple[Tree, list[Token]]:
    with _lock:
        parser = _layout_parser()
        _comments.clear()
        tree = parser.parse(source)
        found = list(_comments)
        _comments.clear()
    return tree, found


@dataclass
class _Slot:
    """One output line of code: where it came from, its text, and its comments."""

    start: tuple[int, int]
    end: tuple[int, int]
    text: str
    indent: int = 0
    leading: list[tuple[int, str]] = field(default_factory=list)  # (source line, comment)
    trailing: list[str] = field(default_factory=list)


@dataclass
class _Block:
    """A top-level declaration: its slots (one, or header + body + `}`)."""

    slots: list[_Slot]
    multiline: bool
    first_line: int = 0  # the first source line of the block, leading comments included
    last_line: int = 0


def _pos(meta_or_tok: Any, end: bool = False) -> tuple[int, int]:
    """(line, column) where a token or a tree's meta starts (or ends); the parser sets both."""
    line, column = ((meta_or_tok.end_line, meta_or_tok.end_column) if end
                    else (meta_or_tok.line, meta_or_tok.column))
    return int(line or 0), int(column or 0)


def _tokens(tree: Tree) -> list[Token]:
    return [c for c in tree.children if isinstance(c, Token)]


def _clause_key(tree: Tree) -> str:
    if tree.data == "text_clause":
        kind, lang = [str(t) for t in _tokens(tree) if t.type in ("TEXT_KIND", "LANG")]
        return f"{kind}:{lang}"
    if tree.data == "title_clause":
        return "title:" + next(str(t) for t in _tokens(tree) if t.type == "LANG")
    return {"kinds_clause": "for", "each_clause": "each", "effect_clause": "effect", "faq_clause": "faq",
            "at_clause": "at", "tags_clause": "tags", "owner_clause": "owner"}[str(tree.data)]


def _clause_text(rule: ast.Rule, key: str) -> str:
    if key == "for":
        return "for " + ", ".join(rule.kinds)
    if key == "each":
        return "each " + unparse.each(rule)
    if key == "effect":
        return f"{rule.effect} when {unparse.expr(rule.condition)}"
    if key == "faq":
        return "faq " + (", ".join(rule.faq) if rule.faq else "none")
    if key == "at":
        return "at " + ".".join(rule.at.names)  # type: ignore[union-attr]
    if key == "tags":
        return "tags " + ", ".join(unparse.string(t) for t in rule.tags)
    if key == "owner":
        return f"owner {unparse.string(rule.owner or '')}"
    part, lang = key.split(":")
    if part == "title":
        return f"title {lang} {unparse.string(rule.title[lang])}"
    texts = rule.message if part == "message" else rule.advice
    text = texts[lang]
    if text.pieces:  # a text written in several quoted pieces keeps one piece a line
        return f"{part} {lang} " + f"\n{INDENT * 2}".join(unparse.text(p) for p in text.pieces)
    return f"{part} {lang} {unparse.text(text)}"


def decl_text(d: ast.Decl) -> str:
    """The canonical text of a one-line declaration."""
    if isinstance(d, ast.PolicyName):
        return f"policy {unparse.string(d.name)}"
    if isinstance(d, ast.Const):
        return f"const {d.name} = {unparse.expr(d.expr)}"
    if isinstance(d, ast.Data):
        return f"data {d.name} = {unparse.string(d.path)}"
    if isinstance(d, ast.Value):
        kw = "fact" if d.exported else "let"
        # an `if` before `when` is parenthesized, so that the `when` reads as the fact's, not the else branch's
        need = unparse.OR if d.when is not None else unparse.IF
        out = f"{kw} {d.name} for {', '.join(d.kinds)} = {unparse.expr(d.expr, need)}"
        return out + (f" when {unparse.expr(d.when)}" if d.when is not None else "")
    raise TypeError(type(d).__name__)


def _blocks(module: ast.Module, tree: Tree) -> list[_Block]:
    blocks = []
    trees = [c for c in tree.children if isinstance(c, Tree)]
    for d, t in zip(module.decls, trees):
        if isinstance(d, ast.Rule):
            toks = _tokens(t)
            lbrace = next(x for x in toks if x.type == "LBRACE")
            rbrace = [x for x in toks if x.type == "RBRACE"][-1]
            clauses = {_clause_key(c): c for c in t.children if isinstance(c, Tree)}
            body = [_Slot(_pos(clauses[k].meta), _pos(clauses[k].meta, True), _clause_text(d, k), 1)
                    for k in CLAUSE_ORDER if k in clauses]
            slots = [_Slot(_pos(t.meta), _pos(lbrace, True), f"rule {d.id} {{"), *body,
                     _Slot(_pos(rbrace), _pos(rbrace, True), "}")]
            blocks.append(_Block(slots, True))
        elif isinstance(d, ast.Reference):
            toks = _tokens(t)
            lbrace = next(x for x in toks if x.type == "LBRACE")
            rbrace = [x for x in toks if x.type == "RBRACE"][-1]
            fields = [c for c in t.children if isinstance(c, Tree)]
            texts = [f"title {lang} {unparse.string(d.title[lang])}" for lang in ("en", "ja")]
            texts += [f"url {unparse.string(d.url)}"] if d.url is not None else []
            starts = sorted((_pos(f.meta), _pos(f.meta, True)) for f in fields)
            body = [_Slot(a, b, text, 1) for (a, b), text in zip(starts, texts)]
            slots = [_Slot(_pos(t.meta), _pos(lbrace, True), f"reference {d.id} {{"), *body,
                     _Slot(_pos(rbrace), _pos(rbrace, True), "}")]
            blocks.append(_Block(slots, True))
        elif isinstance(d, ast.Table):
            toks = _tokens(t)
            lbrace = next(x for x in toks if x.type == "LBRACE")
            rbrace = [x for x in toks if x.type == "RBRACE"][-1]
            entries = [c for c in t.children if isinstance(c, Tree)]
            body = [_Slot(_pos(e.meta), _pos(e.meta, True), f"{unparse.table_key(k)} = {unparse.expr(v)}", 1)
                    for (k, v), e in zip(d.entries, entries)]
            slots = [_Slot(_pos(t.meta), _pos(lbrace, True), f"table {d.name} {{"), *body,
                     _Slot(_pos(rbrace), _pos(rbrace, True), "}")]
            blocks.append(_Block(slots, True))
        else:
            blocks.append(_Block([_Slot(_pos(t.meta), _pos(t.meta, True), decl_text(d))], False))
    return blocks


def _attach(blocks: list[_Block], comments: list[Token], source_lines: list[str]) -> list[tuple[int, str]]:
    """Give each comment to a slot; return the comments after the last declaration."""
    slots = sorted((s for b in blocks for s in b.slots), key=lambda s: s.start)
    footer: list[tuple[int, str]] = []
    for c in comments:
        pos = _pos(c)
        line = pos[0]
        text = str(c).rstrip()
        own_line = not source_lines[line - 1][:pos[1] - 1].strip()
        inside = [s for s in slots if s.start <= pos <= s.end]
        if inside:
            slot = inside[-1]
            if own_line:
                slot.leading.append((line, text))
            else:
                slot.trailing.append(text)
            continue
        if own_line:
            after = [s for s in slots if s.start > pos]
            if after:
                after[0].leading.append((line, text))
            else:
                footer.append((line, text))
        else:
            before = [s for s in slots if s.start <= pos]
            if before:
                before[-1].trailing.append(text)
            else:  # cannot happen: code precedes a trailing comment
                footer.append((line, text))
    for b in blocks:
        first = b.slots[0]
        b.first_line = first.leading[0][0] if first.leading else first.start[0]
        b.last_line = b.slots[-1].end[0]
    return footer


def _emit_comments(out: list[str], comments: list[tuple[int, str]], indent: str, next_line: int | None,
                   keep_gaps: bool) -> None:
    for i, (line, text) in enumerate(comments):
        out.append(indent + text)
        following = comments[i + 1][0] if i + 1 < len(comments) else next_line
        if keep_gaps and following is not None and following - line > 1:
            out.append("")


def format_module(module: ast.Module) -> str:
    """The canonical text of a parsed module (its `source` supplies the comments)."""
    tree, comments = _layout(module.source)
    lines = module.source.splitlines()
    blocks = _blocks(module, tree)
    footer = _attach(blocks, comments, lines)
    out: list[str] = []
    previous: _Block | None = None
    for b in blocks:
        if previous is not None and (previous.multiline or b.multiline or b.first_line - previous.last_line > 1):
            out.append("")
        for i, slot in enumerate(b.slots):
            indent = INDENT * slot.indent
            inside = b.multiline and i > 0  # comments in a block are indented like its body, without gaps
            _emit_comments(out, slot.leading, INDENT if inside else "", slot.start[0], not inside)
            extra = slot.trailing[1:]
            for text in extra:  # several comments on what becomes one line: all but the first go above it
                out.append(indent + text)
            out.append(indent + slot.text + (f"  {slot.trailing[0]}" if slot.trailing else ""))
        previous = b
    if footer:
        if out and (previous is None or footer[0][0] - previous.last_line > 1):
            out.append("")
        _emit_comments(out, footer, "", None, True)
    while out and out[0] == "":
        out.pop(0)
    return "\n".join(out) + "\n" if out else ""


def format_source(source: str, file: str = "<policy>") -> str:
    """The canonical text of a rule file. Raises PolicyError when it does not parse; never changes meaning."""
    if source.startswith("\ufeff"):
        source = source[1:]
    module = parse(source, file)
    try:
        text = format_module(module)
    except RecursionError:
        raise PolicyError([diagnostic("too-deep", "an expression is nested too deeply to format", None, None)]) \
            from None
    again = parse(text, file)
    if again.decls != module.decls:  # a bug in the formatter must never reach a policy file
        raise PolicyError([diagnostic("fmt-internal", "formatting would change the meaning of this file; "
                                      "it was left as it is (please report this)", None, None)])
    return text


# ---------------------------------------------------------------- the command
