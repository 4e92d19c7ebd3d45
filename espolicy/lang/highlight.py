"""A Pygments lexer for rule files, registered as the `espolicy` lexer (entry point `pygments.lexers`),
so that Markdown (```espolicy fences), documentation and `doc` output highlight rule snippets.

Needs Pygments (the `highlight` extra); nothing else imports this module.
"""
from __future__ import annotations

from typing import ClassVar

from pygments.lexer import RegexLexer, bygroups, include, words
from pygments.token import Comment, Keyword, Literal, Name, Number, Operator, Punctuation, String, Text, Whitespace

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_RULE_ID = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"


class EspolicyLexer(RegexLexer):
    """espolicy rule files: declarations, rule clauses, expressions, and texts with `{…}` interpolations."""

    name = "espolicy"
    aliases: ClassVar[list[str]] = ["espolicy", "esp"]
    filenames: ClassVar[list[str]] = ["*.esp"]
    mimetypes: ClassVar[list[str]] = ["text/x-espolicy"]

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"#.*$", Comment.Single),
            (r"(rule)(\s+)(" + _RULE_ID + ")", bygroups(Keyword.Declaration, Whitespace, Name.Function)),
            (r"(const|data)(\s+)(" + _NAME + ")", bygroups(Keyword.Declaration, Whitespace, Name.Constant)),
            (r"(table)(\s+)(" + _NAME + ")", bygroups(Keyword.Declaration, Whitespace, Name.Class)),
            (r"(fact|let)(\s+)(" + _NAME + ")", bygroups(Keyword.Declaration, Whitespace, Name.Variable)),
            (r"(reference)(\s+)(Q[0-9]+)", bygroups(Keyword.Declaration, Whitespace, Name.Label)),
            (words(("policy", "const", "table", "fact", "let", "rule", "reference", "data"), suffix=r"\b"),
             Keyword.Declaration),
            (r"(message|advice|title)(\s+)(en|ja)\b", bygroups(Keyword, Whitespace, Name.Builtin)),
            (words(("deny", "review", "warn", "info"), suffix=r"\b"), Keyword.Reserved),
            (words(("for", "each", "when", "faq", "at", "url", "tags", "owner"), suffix=r"\b"), Keyword),
            (words(("if", "then", "else", "any", "all"), suffix=r"\b"), Keyword),
            (words(("and", "or", "not", "in", "is"), suffix=r"\b"), Operator.Word),
            (words(("present", "absent", "number", "text"), suffix=r"\b"), Name.Builtin),
            (words(("true", "false", "none", "today"), suffix=r"\b"), Keyword.Constant),
            include("literals"),
            (r'"""', String.Double, "long-text"),
            (r'"', String.Double, "text"),
            (r"==|!=|<=|>=|<|>|[-+*=]", Operator),
            (r"(" + _NAME + r")(\s*)(?=\()", bygroups(Name.Function, Whitespace)),
            (r"[A-Z][A-Z0-9_]*\b", Name.Constant),
            (_NAME, Name),
            (r"[{}()\[\],:.]", Punctuation),
            (r".", Text),
        ],
        "literals": [
            (r"[0-9]{4}-[0-9]{2}-[0-9]{2}\b", Literal.Date),
            (r"[0-9]{2}:[0-9]{2}\b", Literal.Date),
            (r"[0-9]+\b", Number.Integer),
            (r"Q[0-9]+\b", Name.Label),
        ],
        "text": [
            (r'"', String.Double, "#pop"),
            (r"\n", Text, "#pop"),  # an unclosed text ends with its line
            include("text-body"),
        ],
        "long-text": [
            (r'"""', String.Double, "#pop"),
            (r"\n", String.Double),
            include("text-body"),
        ],
        "text-body": [
            (r'\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4})', String.Escape),
            (r"\{\{|\}\}", String.Escape),
            (r"\{", String.Interpol, "interpolation"),
            (r'[^"\\{}\n]+', String.Double),
            (r".", String.Double),
        ],
        "interpolation": [
            (r"\}", String.Interpol, "#pop"),
            (r"\s+", Whitespace),
            include("literals"),
            (words(("and", "or", "not", "in", "is"), suffix=r"\b"), Operator.Word),
            (words(("if", "then", "else"), suffix=r"\b"), Keyword),
            (r'"[^"\n]*"', String.Double),
            (r"==|!=|<=|>=|<|>|[-+*]", Operator),
            (r"(" + _NAME + r")(\s*)(?=\()", bygroups(Name.Function, Whitespace)),
            (r"[A-Z][A-Z0-9_]*\b", Name.Constant),
            (_NAME, Name),
            (r"[()\[\],.]", Punctuation),
            (r"\n", Text, "#pop:2"),
            (r".", Text),
        ],
    }


def html_snippet(text: str) -> str:
    """`text` (rule code) as highlighted HTML spans, without a wrapping element (classes as Pygments names them)."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    return str(highlight(text, EspolicyLexer(), HtmlFormatter(nowrap=True))).rstrip("\n")


# Colours for the classes `html_snippet` uses, for pages that embed snippets.
CSS = (".esp .c1{color:#6a737d;font-style:italic}.esp .k,.esp .kd,.esp .kr{color:#a626a4;font-weight:bold}"
       ".esp .kc,.esp .nb{color:#0184bc}.esp .ow,.esp .o{color:#a626a4}.esp .nf{color:#4078f2}"
       ".esp .no,.esp .nc{color:#986801}.esp .s2,.esp .se{color:#50a14f}.esp .si{color:#e45649}"
       ".esp .mi,.esp .ld,.esp .nl{color:#c18401}")
