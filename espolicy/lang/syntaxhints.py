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
| a `(` or `[` left open | `days_between(a, b` then `rule` | where the `)` goes, and where it was opened |
| a keyword run into a name | `whenpack.x`, `forregistration` | write `when pack` |

`parse` recovers at declarations: after an error it blanks the declaration (`declaration_bounds`)
and reads on, so one run reports the first error of every broken declaration.
"""
from __future__ import annotations

import re
from typing import Any

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
    "REFERENCE": ("reference",), "DATA": ("data",), "TITLE": ("title",), "TAGS": ("tags",), "OWNER": ("owner",),
    "URL": ("url",),
}
ALL_KEYWORDS = frozenset(k for ks in KEYWORDS.values() for k in ks)
_DECL_STARTS = {"POLICY", "CONST", "TABLE", "RULE", "VALUE_KW", "REFERENCE", "DATA"}
_CLAUSE_STARTS = {"FOR", "EACH", "EFFECT", "FAQ", "AT", "TEXT_KIND", "TITLE", "TAGS", "OWNER"}
_EXPR_STARTS = {"NAME", "INT", "STRING", "DATE", "TIME", "BOOL", "LPAR", "LSQB", "LBRACE", "MINUS", "_NOT",
                "QUANT", "IF"}
_OPERATORS = {"COMP_OP", "ADD_OP", "MUL_OP", "_AND", "_OR", "DOT", "IN", "IS"}
_CLAUSES = "the rule's next clause (`faq`, `at`, `message`, `advice`, …) or its closing `}`"
_DECLS = "a declaration (`policy`, `const`, `table`, `data`, `reference`, `fact`, `let` or `rule`)"
_GO_ON = "an operator (`==`, `<`, `and`, `or`, `+`, …) to go on with the expression"
_VALUES = {"INT", "NAME", "STRING", "DATE", "TIME", "BOOL", "TEXT"}
_RULE_SHAPE = ("a rule holds: for KIND / deny|review|warn|info when CONDITION / faq Q… / at FIELD / "
               "message en \"…\" / message ja \"…\" / advice en \"…\" / advice ja \"…\"; "
               "and, if you like, title en|ja \"…\" / tags \"…\" / owner \"…\"")
_FILE_SHAPE = "a file holds `policy \"…\"`, `const`, `table`, `data`, `reference`, `fact`, `let` and `rule` declarations"


def context_at(source: str, offset: int) -> str:
    """The declaration an offset of the text stands in, by its keyword (`rule`, `table`,
    `reference`, `const`, …), or `top` between declarations. The parser's expected terminals mix
    the contexts an expression can close (LALR merges them): this is what tells them apart."""
    start, _ = declaration_bounds(source, offset)
    m = _DECL_LINE.match(source, start)
    if m is None or start >= offset:
        return "top"
    if m.group(1) in ("rule", "table", "reference") and not open_brackets(source, start, offset):
        return "top"   # the block is closed: what follows it is the next declaration
    return m.group(1)


def describe(expected: set[str], words: dict[str, str], context: str | None = None) -> str:
    """What the parser expected, in a policy owner's words (grouped when it is a long list);
    `context` (`context_at`) leaves out what cannot come there (a rule's clauses after a constant)."""
    parts = []
    rest = set(expected)
    in_rule = context in (None, "rule")
    after_expression = expected & {"COMP_OP", "_AND", "_OR"} and (
        expected & (_CLAUSE_STARTS | _DECL_STARTS | {"RBRACE", "$END"}))
    if after_expression:
        parts.append(_GO_ON)
        rest -= _OPERATORS | {"MUL_OP", "NAME", "RPAR", "RSQB", "COMMA", "COLON", "_WHEN", "THEN", "ELSE", "_NOT",
                              "LSQB", "TEXT", "STRING"}
    if not in_rule:
        rest -= _CLAUSE_STARTS | {"TEXT"} | ({"RBRACE"} if context != "table" else set())
    if "TEXT_KIND" in expected and in_rule:
        parts.append(_CLAUSES)
        rest -= _CLAUSE_STARTS | {"RBRACE", "COMMA", "EQUAL", "DOT"}
    elif expected & _DECL_STARTS and (len(expected & _DECL_STARTS) >= 3 or not in_rule):
        parts.append(_DECLS)
        rest -= _DECL_STARTS | {"$END"}
    if "TEXT" in rest and "TEXT_KIND" in expected:
        rest.discard("TEXT")
        parts.append("more of the text, in double quotes")
    if expected & _EXPR_STARTS and len(expected & _EXPR_STARTS) >= 5:
        parts.append("a value: a field, number, \"text\", date, `(`…")
        rest -= _EXPR_STARTS | {"QUANT", "_NOT", "IF", "MINUS"}
    if not parts:
        return _words(expected, words)
    if rest:
        parts.append(_words(rest, words))
    return ", or ".join(parts) if len(parts) > 1 else parts[0]


def _words(expected: set[str], words: dict[str, str]) -> str:
    """`a name, `(` or `}``: the words of the terminals, the last after `or`."""
    names = sorted({words.get(e, e.lower().strip("_")) for e in expected})
    if len(names) > 10:
        return ", ".join(names[:10]) + ", …"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def teach(e: UnexpectedInput, source: str, file: str, words: dict[str, str]) -> Diagnostic | None:
    """A diagnostic for a recognised mistake, or None to let the parser describe the error plainly."""
    if isinstance(e, (UnexpectedToken, UnexpectedEOF)):
        unclosed = _unclosed_bracket(e, source, file)
        if unclosed is not None:
            return unclosed
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
    pos = e.pos_in_stream or 0
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
                          "end the text with `\"` on the same line; a long text goes on in a second quoted piece "
                          "on the next line (`message en \"first part \"` then `\"second part\"`)")
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
    what = describe(expected, words, context_at(source, tok.start_pos or 0))

    def at(message: str, hint: str) -> Diagnostic:
        return diagnostic("syntax", message, span, source, hint)

    # a block left open: the next declaration (or the end) comes while a rule or table still expects `}`
    if "RBRACE" in expected and (tok.type in _DECL_STARTS or value in ("rule", "const", "table", "policy")):
        return _unclosed(source, file, line, col, f"`{value}` on line {line}")
    inner = _open_interpolation(source, tok)
    if inner is not None:
        return diagnostic("syntax", "a quoted text inside this `{…}` is not closed, or the `{…}` itself is not",
                          _span(file, line, inner), source,
                          "close each quoted text inside `{…}`, then the `{…}`: `{upper(\"esp\")}`; write `{{` for a "
                          "brace itself and `\\\"` for a quote")
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
        kebab = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", value)
        suggestion = re.sub(r"[^a-z0-9]+", "-", kebab.lower()).strip("-") or "my-rule"
        if not suggestion[0].isalpha():
            suggestion = "rule-" + suggestion
        return at(f"`{value}` is not a rule id",
                  f"rule ids are lower-case words joined by `-` (they name the rule in every report): "
                  f"e.g. `{suggestion}`")
    # a quoted text was due (`owner`, `tags`, `url`, `policy`, `title en`) and something else came
    if expected and expected <= {"STRING", "TEXT"}:
        keyword, _ = _word_before(source, tok)
        plain = re.fullmatch(r"[A-Za-z0-9_.@/:-]+", value) and value not in ALL_KEYWORDS | _DECL_WORDS | _CLAUSE_WORDS
        example = 'url "https://…"' if keyword == "url" else f'{keyword} "{value if plain else "…"}"' \
            if keyword in ("owner", "tags", "policy") else f'{_words_before(source, tok, 2)} "…"'
        return at(f"unexpected `{value}`; expected a text in double quotes",
                  f"write the text in double quotes: `{example.strip()}`")
    # an incomplete expression: a clause keyword, `}` or a declaration where a value must come
    if expected and "NAME" in expected and expected <= _EXPR_STARTS | {"QUANT", "_NOT", "IF", "MINUS"} and \
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
    glued = _glued_before(source, tok)
    if glued is not None:
        word, start = glued
        w_line, w_col = position(source, start)
        keywords = sorted(ALL_KEYWORDS | _DECL_WORDS | _CLAUSE_WORDS)
        head = next(k for k in sorted(keywords, key=len, reverse=True) if word.startswith(k))
        guess = did_you_mean(word, keywords)
        return diagnostic("syntax", f"`{word}` is not a keyword: it was read as `{head}` followed by "
                          f"`{word[len(head):]}`", _span(file, w_line, w_col, len(word)), source,
                          guess or f"write `{head} {word[len(head):]}`, or the keyword meant")
    two = _two_keywords(value)
    if two is not None:
        return at(f"`{value}` is not a keyword", f"write `{two}`: keywords are words of their own")
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
        if "URL" in expected:
            return at(f"unexpected `{value}`; expected {what}",
                      "a reference holds `title en \"…\"`, `title ja \"…\"` and, if you like, `url \"https://…\"`")
        if expected & _DECL_STARTS and not expected & _CLAUSE_STARTS:
            guess = did_you_mean(value, ["policy", "const", "table", "data", "reference", "fact", "let", "rule"])
            return at(f"unexpected `{value}`; expected {what}", guess or _FILE_SHAPE)
        if len(expected) == 1:
            (only,) = expected
            kw = KEYWORDS.get(only)
            if kw:
                return at(f"unexpected `{value}`; expected `{kw[0]}`", f"write `{kw[0]}` here, e.g. `deny when CONDITION`"
                          if only == "_WHEN" else f"write `{kw[0]}` here")
    if tok.type in ("STRING", "TEXT") and "LANG" in expected:
        keyword = _word_before(source, tok)[0] or "message"
        return at("the language of this text is missing", f"write `{keyword} en \"…\"` or `{keyword} ja \"…\"`")
    if tok.type in _VALUES and expected & {"COMP_OP", "_AND", "_OR"}:
        return _after_expression(source, tok, at)
    if tok.type == "INT" and "FAQ_REF" in expected:
        return at(f"`{value}` is not an FAQ reference", f"write `Q{value}`")
    return None


def _after_expression(source: str, tok: Token, at: Any) -> Diagnostic:
    """A value where an expression was complete (`const X = 5 6`): what may follow it there."""
    value, offset = str(tok), tok.start_pos or 0
    start, _ = declaration_bounds(source, offset)
    inner = [b for b, _ in open_brackets(source, start, offset) if b in "(["]
    if inner:
        closing = _PAIRS[inner[-1]]
        return at(f"unexpected `{value}` after a complete expression; expected {_GO_ON}, `,` or `{closing}`",
                  f"join the two with an operator (`and`, `or`, `+`, `==`, …), or close the `{inner[-1]}` first")
    nxt = "the rule's next clause (`faq`, `at`, `message`, …) or its closing `}`" \
        if context_at(source, offset) == "rule" else "the next declaration, on a line of its own"
    return at(f"unexpected `{value}` after a complete expression; expected {_GO_ON}, or {nxt}",
              "join the two with an operator (`and`, `or`, `+`, `==`, …), or begin a new line with the next "
              "clause or declaration")


def _open_interpolation(source: str, tok: Token) -> int | None:
    """The column of the `{` of a text on the token's line that holds a quoted text and is still
    open where the token stands (`message en "{upper("x)}"`: the inner text's quote closed the
    outer one), else None."""
    line_start = source.rfind("\n", 0, tok.start_pos or 0) + 1
    line = source[line_start:tok.start_pos or 0]
    i, in_text, brace, quoted = 0, False, -1, False
    while i < len(line):
        ch = line[i]
        if not in_text:
            if ch == "#":
                break
            in_text, brace, quoted = ch == '"', -1, False
        elif ch == "\\":
            i += 1
        elif brace < 0 and ch == "{" and line[i + 1:i + 2] != "{":
            brace = i
        elif brace < 0 and ch == "{":
            i += 1
        elif ch == '"' and brace < 0:
            in_text = False
        elif ch == '"':
            quoted = True
            end = line.find('"', i + 1)
            while end > 0 and line[end - 1] == "\\":
                end = line.find('"', end + 1)
            if end < 0:
                return brace + 1
            i = end
        elif ch == "}":
            brace = -1
        i += 1
    return brace + 1 if (brace >= 0 and quoted and tok.type != "$END") else None


def _two_keywords(word: str) -> str | None:
    """`notin` → `not in`: a word made of two keywords written together, else None."""
    for i in range(2, len(word) - 1):
        if word[:i] in ALL_KEYWORDS and word[i:] in ALL_KEYWORDS:
            return f"{word[:i]} {word[i:]}"
    return None


def _glued_before(source: str, tok: Token) -> tuple[str, int] | None:
    """The word just before the token, when it begins with a keyword but is longer (`constant`,
    `forregistration`): the lexer read it as the keyword and a name, which led to this error."""
    m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", source[:tok.start_pos or 0])
    if not m:
        return None
    word = m.group(1)
    keywords = ALL_KEYWORDS | _DECL_WORDS | _CLAUSE_WORDS
    if word in keywords or not any(word.startswith(k) for k in keywords):
        return None
    before = source[:m.start(1)].rstrip()
    # only where a keyword stands: at the start of a line (a declaration or a clause)
    if before and not before.endswith(("{", "}")) and "\n" not in source[m.start(1) - 1: m.start(1)] and \
            not re.search(r"\n[ \t]*$", source[:m.start(1)]):
        return None
    return word, m.start(1)


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


def _words_before(source: str, tok: Token, n: int) -> str:
    """The `n` words just before the token on its line (`title en`)."""
    line = source[source.rfind("\n", 0, tok.start_pos or 0) + 1:tok.start_pos or 0]
    return " ".join(line.split()[-n:])


def _word_before(source: str, tok: Token) -> tuple[str, int]:
    """The word just before the token, and where it starts."""
    m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", source[:tok.start_pos or 0])
    return (m.group(1), m.start(1)) if m else ("", 0)


def _char_before(source: str, tok: Token) -> str:
    pos = tok.start_pos
    return source[pos - 1] if pos and pos - 1 < len(source) else ""


_OPEN = re.compile(r"^[ \t]*(rule|table|reference)[ \t]+([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\{", re.M)


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


# ---------------------------------------------------------------- brackets left open

_PAIRS = {"(": ")", "[": "]", "{": "}"}


def open_brackets(source: str, start: int, end: int) -> list[tuple[str, int]]:
    """The brackets opened in `source[start:end]` and not closed there, outermost first, as
    (bracket, offset); texts and comments are skipped."""
    stack: list[tuple[str, int]] = []
    i = start
    while i < end:
        ch = source[i]
        if ch == '"':
            i += 1
            while i < end and source[i] not in '"\n':
                i += 2 if source[i] == "\\" else 1
        elif ch == "#":
            while i < end and source[i] != "\n":
                i += 1
        elif ch in _PAIRS:
            stack.append((ch, i))
        elif ch in ")]}":
            if stack and _PAIRS[stack[-1][0]] == ch:
                stack.pop()
        i += 1
    return stack


def position(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


_DECL_LINE = re.compile(r"^(policy|const|table|data|reference|fact|let|rule)\b", re.M)


def declaration_bounds(source: str, offset: int) -> tuple[int, int]:
    """Where the declaration an error at `offset` belongs to starts and ends (the next declaration
    at the start of a line). An error on the first word of a declaration belongs to the one before:
    that one was left unfinished."""
    starts = [m.start() for m in _DECL_LINE.finditer(source)]
    before = [s for s in starts if s < offset]
    start = before[-1] if before else 0
    after = [s for s in starts if s >= offset and s > start]
    return start, after[0] if after else len(source)


def blank(source: str, start: int, end: int) -> str:
    """`source` with `[start, end)` turned into spaces (line breaks kept, so positions stay)."""
    return source[:start] + re.sub(r"[^\n]", " ", source[start:end]) + source[end:]


def error_offset(e: UnexpectedInput, source: str) -> int:
    """Where a Lark error stands in the text."""
    if isinstance(e, UnexpectedToken) and e.token.type != "$END" and e.token.start_pos is not None:
        return e.token.start_pos
    if isinstance(e, UnexpectedCharacters) and e.pos_in_stream is not None:
        return e.pos_in_stream
    return len(source)


def _unclosed_bracket(e: UnexpectedInput, source: str, file: str) -> Diagnostic | None:
    """A `(`, `[` or `{` of the current declaration left open, when the error comes where the next
    clause or declaration (or the end) begins: the open bracket is the mistake, not the word."""
    offset = error_offset(e, source)
    at_eof = offset >= len(source) or not source[offset:].strip()
    tok = e.token if isinstance(e, UnexpectedToken) else None
    word = str(tok) if tok is not None and tok.type != "$END" else ""
    starts_next = at_eof or word in ("}",) or word in _CLAUSE_WORDS or word in _DECL_WORDS
    if not starts_next or (word == "}" and not _inner_is(source, offset, "(")):
        return None
    start, end_of_decl = declaration_bounds(source, offset)
    if word in _DECL_WORDS and start >= offset:
        return None
    stack = open_brackets(source, start, offset)
    if not stack or stack[-1] not in open_brackets(source, start, max(end_of_decl, offset)):
        return None  # closed later: the error is something else
    bracket, at = stack[-1]
    if bracket == "{" and not (at_eof or word in _DECL_WORDS):
        return None
    closing = _PAIRS[bracket]
    line, col = position(source, offset)
    last, end = _end_of_code_before(source, line, col)
    open_line, open_col = position(source, at)
    before = f"before `{word}` on line {line}" if word else "before the end of the file"
    if bracket == "{":
        m = _DECL_LINE.match(source, start)
        header = re.match(r"(rule|table|reference)[ \t]+([A-Za-z_][A-Za-z0-9_-]*)", source[start:])
        what = f"{header.group(1)} `{header.group(2)}`" if header and m else "this `{`"
        message = f"{what} (opened on line {open_line}) has no closing `}}` {before}" if word else \
            f"the file ends too early: {what} (opened on line {open_line}) has no closing `}}`"
        hint = f"add `}}` after line {last} to close {what}"
    else:
        message = f"`{bracket}` on line {open_line} has no closing `{closing}` {before}" if word else \
            f"the file ends too early: `{bracket}` on line {open_line} has no closing `{closing}`"
        tail = _last_word(source, last, end)
        hint = f"add `{closing}` at the end of line {last}" + (f", after `{tail}`" if tail else "")
    return diagnostic("syntax", message, _span(file, last, end), source, hint,
                      labels=((_span(file, open_line, open_col), f"`{bracket}` opened here"),))


_CLAUSE_WORDS = {"for", "each", "deny", "review", "warn", "info", "faq", "at", "message", "advice", "title", "tags",
                 "owner", "url"}
_DECL_WORDS = {"policy", "const", "table", "fact", "let", "rule", "reference", "data"}


def _inner_is(source: str, offset: int, bracket: str) -> bool:
    start, _ = declaration_bounds(source, offset)
    stack = open_brackets(source, start, offset)
    return bool(stack) and stack[-1][0] == bracket


def _last_word(source: str, line: int, end_col: int) -> str:
    text = (source.splitlines() or [""])[line - 1][:end_col - 1]
    m = re.search(r"(\S+)\s*$", text)
    return m.group(1)[-30:] if m else ""


# ---------------------------------------------------------------- keywords run into names

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def glued_keywords(source: str, tokens: list[Token], file: str) -> list[Diagnostic]:
    """Keywords written against the next or previous word (`whenpack.x`, `forregistration`): the
    lexer splits them without complaint, so they are found in the text between the kept tokens
    (the keywords, operators and punctuation) and named as the error they are."""
    out = []
    spans = sorted((t.start_pos, t.end_pos) for t in tokens if t.start_pos is not None and t.end_pos is not None)
    gaps, pos = [], 0
    for s, e in spans:
        if s > pos:
            gaps.append((pos, s))
        pos = max(pos, e)
    gaps.append((pos, len(source)))
    for gs, ge in gaps:
        text = source[gs:ge]
        code = re.sub(r"#[^\n]*", lambda m: " " * len(m.group()), text)
        for m in _WORD.finditer(code):
            ws, we = gs + m.start(), gs + m.end()
            joined_before = ws > 0 and (source[ws - 1].isalnum() or source[ws - 1] == "_")
            joined_after = we < len(source) and (source[we].isalnum() or source[we] == "_")
            if m.group() in ALL_KEYWORDS | _DECL_WORDS | _CLAUSE_WORDS and not joined_before and not joined_after:
                continue
            word_start = ws
            while word_start > 0 and (source[word_start - 1].isalnum() or source[word_start - 1] in "_."):
                word_start -= 1
            word_end = we
            while word_end < len(source) and (source[word_end].isalnum() or source[word_end] in "_"):
                word_end += 1
            whole = source[word_start:word_end]
            keyword = next((k for k in sorted(ALL_KEYWORDS | _DECL_WORDS | _CLAUSE_WORDS, key=len, reverse=True)
                            if whole.startswith(k) and len(whole) > len(k)), None)
            line, col = position(source, word_start)
            split = f"{keyword} {whole[len(keyword):]}" if keyword else None
            hint = f"write `{split}`: a keyword is a word of its own" if split else \
                "separate the keywords with spaces"
            out.append(diagnostic("syntax", f"`{whole}`: a keyword runs into the word after it", _span(
                file, line, col, len(whole)), source, hint))
            break
    return out
