"""Syntax errors that teach: the common mistakes of a policy owner, recognised and explained.

Lark's `match_examples` matches an error against example errors by LALR parser state, which needs
one example per state a mistake can occur in; this module is its equivalent, keyed on what the
parser met (the token or character), what it expected (terminal names), and the text around it:

| mistake | e.g. | says |
|---|---|---|
| a block without its `}` | `rule a { … ` then `rule b {` | where the `}` goes and which rule it closes |
| `=` for `==` | `deny when x = 5` | to compare, write `==` |
| `==` in a definition | `const X == 5` | a definition takes one `=` |
| `&&`, `||`, `!`, `<>` | `a && b` | write `and`, `or`, `not`, `!=` |
| a misspelled keyword | `deny whne`, `mesage en`, `cosnt` | did you mean `when`? |
| a keyword in capitals | `AND`, `Rule` | keywords are lower case |
| a missing keyword | `deny pack.x > 1` | write `deny when …` |
| a text without quotes | `message en Hello"` | texts are written in double quotes |
| an unterminated text | `message en "Hello` | the closing quote is missing |
| a bad FAQ reference | `faq 6`, `faq q6`, `faq` then `at` | FAQ references look like Q6 |
| an incomplete expression | `deny when x >` then `faq Q1` | the condition stops after `>` |
"""
from __future__ import annotations

import re

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from espolicy.lang import ast
from espolicy.errors import Diagnostic, diagnostic
from espolicy.fuzzy import did_you_mean

# Keywords each terminal stands for, as a policy owner types them.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "POLICY": ("policy",), "CONST": ("const",), "TABLE": ("table",), "RULE": ("rule",),
    "VALUE_KW": ("fact", "let"), "FOR": ("for",), "EACH": ("each",), "EFFECT": ("deny", "review", "warn", "info"),
    "FAQ": ("faq",), "AT": ("at",), "TEXT_KIND": ("message", "advice"), "LANG": ("en", "ja"),
    "_WHEN": ("when",), "_AND": ("and",), "_OR": ("or",), "_NOT": ("not",), "IN": ("in",), "IS": ("is",),
    "TEST": ("present", "absent", "number", "text"), "QUANT": ("any", "all"), "IF": ("if",),
    "THEN": ("then",), "ELSE": ("else",), "BOOL": ("true", "false"), "NONE": ("none",),
}
ALL_KEYWORDS = frozenset(k for ks in KEYWORDS.values() for k in ks)
_DECL_STARTS = {"POLICY", "CONST", "TABLE", "RULE", "VALUE_KW"}
_CLAUSE_STARTS = {"FOR", "EACH", "EFFECT", "FAQ", "AT", "TEXT_KIND"}
_EXPR_STARTS = {"NAME", "INT", "STRING", "DATE", "TIME", "BOOL", "LPAR", "LSQB", "LBRACE", "MINUS", "_NOT",
                "QUANT", "IF"}
_OPERATORS = {"COMP_OP", "ADD_OP", "MUL_OP", "_AND", "_OR", "DOT", "IN", "IS"}
_CLAUSES = "the next clause of the rule (`faq`, `at`, `message`, `advice`, …) or its closing `}`"
_DECLS = "a declaration (`policy`, `const`, `table`, `fact`, `let` or `rule`)"
_RULE_SHAPE = ("a rule holds: for KIND / deny|review|warn|info when CONDITION / faq Q… / at FIELD / "
               "message en \"…\" / message ja \"…\" / advice en \"…\" / advice ja \"…\"")


def describe(expected: set[str], words: dict[str, str]) -> str:
    """What the parser expected, in a policy owner's words (grouped when it is a long list)."""
    parts = []
    rest = set(expected)
    if expected & {"COMP_OP", "_AND", "_OR"} and (expected & (_CLAUSE_STARTS | _DECL_STARTS | {"RBRACE", "$END"})):
        parts.append("an operator such as `==`, `<`, `and`, `or`, `+` to continue the expression")
        rest -= _OPERATORS | {"MUL_OP", "NAME", "RPAR", "RSQB", "COMMA", "COLON", "_WHEN", "THEN", "ELSE", "_NOT"}
    if "TEXT_KIND" in expected:
        parts.append(_CLAUSES)
        rest -= _CLAUSE_STARTS | {"RBRACE", "COMMA", "EQUAL", "DOT"}
    elif expected & _DECL_STARTS and len(expected & _DECL_STARTS) >= 3:
        parts.append(_DECLS)
        rest -= _DECL_STARTS | {"$END"}
    if expected & _EXPR_STARTS and len(expected & _EXPR_STARTS) >= 5:
        parts.append("a value: a field, number, \"text\", date, `(`…")
        rest -= _EXPR_STARTS | {"QUANT", "_NOT", "IF", "MINUS"}
    if not parts:
        return _words(expected, words)
    if rest:
        parts.append(_words(rest, words))
    return "; or ".join(parts) if len(parts) > 1 else parts[0]


def _words(expected: set[str], words: dict[str, str]) -> str:
    names = sorted({words.get(e, e.lower().strip("_")) for e in expected})
    return ", ".join(names[:10]) + ("…" if len(names) > 10 else "")


def teach(e: UnexpectedInput, source: str, file: str, words: dict[str, str]) -> Diagnostic | None:
    """A diagnostic for a recognised mistake, or None to let the parser describe the error plainly."""
    if isinstance(e, UnexpectedCharacters):
        return _characters(e, source, file, words)
    if isinstance(e, UnexpectedEOF) or (isinstance(e, UnexpectedToken) and e.token.type == "$END"):
        expected = set(getattr(e, "expected", ()) or ())
        if "RBRACE" in expected:
            lines = source.splitlines() or [""]
            return _unclosed(source, file, len(lines) + 1, 1, None)
        if expected and expected <= _EXPR_STARTS | {"QUANT", "_NOT", "IF", "MINUS"}:
            lines = source.splitlines() or [""]
            span = ast.Span(file, len(lines), len(lines[-1]) + 1, len(lines), len(lines[-1]) + 2)
            return diagnostic("syntax", "the file ends in the middle of an expression", span, source,
                              "finish the expression: something is missing after the last operator")
        return None
    if isinstance(e, UnexpectedToken):
        return _token(e, source, file, words)
    return None


def _span(file: str, line: int, column: int, width: int = 1) -> ast.Span:
    return ast.Span(file, line, column, line, column + max(1, width))


def _characters(e: UnexpectedCharacters, source: str, file: str, words: dict[str, str]) -> Diagnostic | None:
    pos = e.pos_in_stream
    ch = source[pos] if pos < len(source) else ""
    nxt = source[pos + 1] if pos + 1 < len(source) else ""
    line, col = e.line or 1, e.column or 1
    if ch in "&|":
        double = nxt == ch
        word = "and" if ch == "&" else "or"
        op = ch * 2 if double else ch
        return diagnostic("syntax", f"`{op}` is not an operator of the rule language", _span(file, line, col, len(op)),
                          source, f"write `{word}`: e.g. `a > 1 {word} b < 2`")
    if ch == "!" and nxt != "=":
        return diagnostic("syntax", "`!` is not an operator of the rule language", _span(file, line, col), source,
                          "write `not` to negate a condition, and `!=` for \"not equal\"")
    if ch == '"':
        return diagnostic("syntax", "this text has no closing quote", _span(file, line, col), source,
                          "end the text with `\"` on the same line (a text cannot span lines; write \\n for a "
                          "line break)")
    if ch == "'":
        return diagnostic("syntax", "texts are written in double quotes, not single quotes",
                          _span(file, line, col), source, "texts are written in double quotes: write \"…\" instead of '…'")
    if ch == ";":
        return diagnostic("syntax", "`;` is not needed", _span(file, line, col), source,
                          "clauses and declarations end at the end of their line: remove the `;`")
    if ch == "=" and "COMP_OP" in set(e.allowed or ()):
        return diagnostic("syntax", "a single `=` does not compare", _span(file, line, col), source,
                          "to compare, write `==` (a single `=` only names a constant or table entry)")
    return None


def _token(e: UnexpectedToken, source: str, file: str, words: dict[str, str]) -> Diagnostic | None:
    tok: Token = e.token
    expected = set(e.expected)
    value = str(tok)
    line, col = tok.line or 1, tok.column or 1
    span = ast.Span(file, line, col, tok.end_line or line, tok.end_column or col + len(value))
    what = describe(expected, words)

    def at(message: str, hint: str) -> Diagnostic:
        return diagnostic("syntax", message, span, source, hint)

    # a block left open: the next declaration (or the end) comes while a rule or table still expects `}`
    if "RBRACE" in expected and (tok.type in _DECL_STARTS or value in ("rule", "const", "table", "policy")):
        return _unclosed(source, file, line, col, f"`{value}` on line {line}")
    # `=` where a comparison is possible
    if value == "=" and "COMP_OP" in expected:
        return at("a single `=` does not compare",
                  "to compare, write `==` (a single `=` only names a constant or table entry)")
    if value == "=" and _char_before(source, tok) == "=":
        return at("a definition takes a single `=`", "write e.g. `const MAX_YEARS = 5` (`==` compares)")
    if value == ">" and _char_before(source, tok) == "<":
        return diagnostic("syntax", "`<>` is not an operator", _span(file, line, col - 1, 2), source,
                          "`not equal` is written `!=`")
    if "FAQ_REF" in expected and (tok.type in _CLAUSE_STARTS | _DECL_STARTS | {"RBRACE"}):
        end_line, end_col = _end_of_code_before(source, line, col)
        return diagnostic("syntax", "`faq` names no FAQ question", _span(file, end_line, end_col), source,
                          "write the question(s) the rule implements, e.g. `faq Q6` or `faq Q10, Q11`; "
                          "a data-consistency rule says `faq none`")
    if expected == {"LBRACE"}:
        return at(f"unexpected `{value}`; expected `{{`",
                  "the clauses of a rule (and the entries of a table) stand between `{` and `}`: `rule my-rule {`")
    if "RULE_ID" in expected and tok.type in ("NAME", "INT"):
        suggestion = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "my-rule"
        if not suggestion[0].isalpha():
            suggestion = "rule-" + suggestion
        return at(f"`{value}` is not a rule id",
                  f"rule ids are lower-case words joined by `-` (they name the rule in every report): "
                  f"e.g. `{suggestion}`")
    # an incomplete expression: a clause keyword, `}` or a declaration where a value must come
    if expected and expected <= _EXPR_STARTS | {"QUANT", "_NOT", "IF", "MINUS"} and \
            (tok.type in _CLAUSE_STARTS | _DECL_STARTS | {"RBRACE"}):
        return at(f"an expression is missing before `{value}`",
                  "the condition or value before this stops after an operator (`>`, `and`, `==`, …): finish it")
    previous, start = _word_before(source, tok)
    if previous in ("for", "each", "faq", "at", "message", "advice") and (expected & _OPERATORS or
                                                                          "TEXT_KIND" in expected):
        kw_line = source.count("\n", 0, start) + 1
        kw_col = start - (source.rfind("\n", 0, start) + 1) + 1
        end_line, end_col = _end_of_code_before(source, kw_line, kw_col)
        return diagnostic("syntax", f"the expression before `{previous}` is incomplete",
                          _span(file, end_line, end_col), source,
                          f"it stops after an operator (`>`, `and`, `==`, …), so `{previous}` was read as a "
                          "name: finish the expression")
    wordlike = bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", value))
    if wordlike:
        candidates = [k for t in expected for k in KEYWORDS.get(t, ())]
        if value.lower() in ALL_KEYWORDS and value != value.lower():
            return at(f"unexpected `{value}`; expected {what}",
                      f"keywords are written in lower case: `{value.lower()}`")
        if "FAQ_REF" in expected:
            m = re.fullmatch(r"[qQ]?([0-9]+)", value)
            hint = (f"write `Q{m.group(1)}`" if m else
                    "FAQ references look like Q1, Q10; a data-consistency rule says `faq none`")
            return at(f"`{value}` is not an FAQ reference", hint)
        if {"STRING", "TEXT"} & expected and "NAME" not in expected and not did_you_mean(value, candidates):
            return at(f"unexpected `{value}`; expected a text in double quotes",
                      "texts are written in double quotes: `message en \"…\"`")
        if "LANG" in expected:
            return at(f"unexpected `{value}`; expected the language of the text (en or ja)",
                      "a message or advice names its language: `message en \"…\"` or `message ja \"…\"`")
        guess = did_you_mean(value, candidates) if candidates else None
        if guess:
            return at(f"unexpected `{value}`; expected {what}", guess)
        if "TEXT_KIND" in expected or "EFFECT" in expected:
            return at(f"unexpected `{value}`; expected {what}", _RULE_SHAPE)
        if expected & _DECL_STARTS and not expected & _CLAUSE_STARTS:
            guess = did_you_mean(value, ["policy", "const", "table", "fact", "let", "rule"])
            return at(f"unexpected `{value}`; expected {what}",
                      guess or "a file holds `policy \"…\"`, `const`, `table`, `fact`, `let` and `rule` declarations")
        if len(expected) == 1:
            (only,) = expected
            kw = KEYWORDS.get(only)
            if kw:
                return at(f"unexpected `{value}`; expected `{kw[0]}`", f"write `{kw[0]}` here, e.g. `deny when CONDITION`"
                          if only == "_WHEN" else f"write `{kw[0]}` here")
    if tok.type in ("STRING", "TEXT") and "LANG" in expected:
        return at("the language of this text is missing", "write `message en \"…\"` or `message ja \"…\"`")
    if tok.type == "INT" and "FAQ_REF" in expected:
        return at(f"`{value}` is not an FAQ reference", f"write `Q{value}`")
    return None


def _end_of_code_before(source: str, line: int, col: int) -> tuple[int, int]:
    """Line and column just after the last code (not blank, not comment) before line:col."""
    lines = source.splitlines()
    head = lines[line - 1][:col - 1] if line - 1 < len(lines) else ""
    if _code_of(head).strip():
        return line, len(_code_of(head).rstrip()) + 1
    last = line - 1
    while last >= 1 and not _code_of(lines[last - 1]).strip():
        last -= 1
    if last < 1:
        return line, col
    return last, len(_code_of(lines[last - 1]).rstrip()) + 1


def _word_before(source: str, tok: Token) -> tuple[str, int]:
    """The word just before the token, and where it starts."""
    m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", source[:tok.start_pos or 0])
    return (m.group(1), m.start(1)) if m else ("", 0)


def _char_before(source: str, tok: Token) -> str:
    pos = tok.start_pos
    return source[pos - 1] if pos and pos - 1 < len(source) else ""


_OPEN = re.compile(r"^[ \t]*(rule|table)[ \t]+([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\{", re.M)


def _unclosed(source: str, file: str, line: int, col: int, where: str | None) -> Diagnostic:
    """A rule or table not closed before `where` (None: the end of the file): point at the end of its
    last line, where `}` goes."""
    lines = source.splitlines()
    before = "\n".join(lines[:line - 1] + [lines[line - 1][:col - 1]] if line - 1 < len(lines) else lines)
    opened = list(_OPEN.finditer(before))
    what = f"{opened[-1].group(1)} `{opened[-1].group(2)}`" if opened else "a `{`"
    opened_line = before.count("\n", 0, opened[-1].start()) + 1 if opened else None
    last, end = _end_of_code_before(source, line, 1)
    span = ast.Span(file, last, end, last, end + 1)
    since = f" (opened on line {opened_line})" if opened_line else ""
    message = f"{what}{since} has no closing `}}` before {where}" if where else \
        f"the file ends too early: {what}{since} has no closing `}}`"
    return diagnostic("syntax", message, span, source,
                      f"add `}}` after line {last} to close {what}")


def _code_of(line: str) -> str:
    """The line without its comment (a `#` outside a text)."""
    in_text = escaped = False
    for i, ch in enumerate(line):
        if in_text:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_text = False
        elif ch == '"':
            in_text = True
        elif ch == "#":
            return line[:i]
    return line
