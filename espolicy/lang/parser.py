"""Rule-file text → AST (`ast.Module`). Syntax errors become `PolicyError`s with file:line:column."""
from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import re
import threading
from importlib import resources
from typing import Any, Iterable

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from espolicy.lang import ast
from espolicy.errors import Diagnostic, PolicyError, diagnostic, in_order
from espolicy.limits import MAX_EXPRESSION_DEPTH

AGGREGATES = ("count", "sum", "min", "max")

_lock = threading.Lock()
_parser: Lark | None = None

_SURROGATE = re.compile("[\ud800-\udfff]")   # half of a UTF-16 pair: no character
_WEB_ADDRESS = re.compile(r"https?://[^\s\"<>|\\`]+")

# Terminal names as a policy owner would say them.
_WORDS = {
    "NAME": "a name", "STRING": "a quoted text", "INT": "a number", "DATE": "a date (YYYY-MM-DD)",
    "TIME": "a time (HH:MM)", "RULE_ID": "a rule id (kebab-case, e.g. my-rule)", "FAQ_REF": "a reference (Q1, Q18 …)",
    "EFFECT": "an effect (deny, review, warn, info)", "TEXT_KIND": "`message` or `advice`", "LANG": "a language (en, ja)",
    "VALUE_KW": "`fact` or `let`", "QUANT": "`any` or `all`", "TEST": "present, absent, number or text",
    "COMP_OP": "a comparison (==, !=, <, <=, >, >=)", "ADD_OP": "+ or -", "MUL_OP": "*", "BOOL": "true or false",
    "_WHEN": "`when`", "_OR": "`or`", "_AND": "`and`", "_NOT": "`not`", "NONE": "`none`",
    "LBRACE": "`{`", "RBRACE": "`}`", "LPAR": "`(`", "RPAR": "`)`", "LSQB": "`[`", "RSQB": "`]`",
    "COMMA": "`,`", "DOT": "`.`", "COLON": "`:`", "EQUAL": "`=`", "MINUS": "`-`", "$END": "the end of the file",
    "POLICY": "`policy`", "CONST": "`const`", "TABLE": "`table`", "RULE": "`rule`", "FOR": "`for`",
    "EACH": "`each`", "IN": "`in`", "AT": "`at`", "FAQ": "`faq`", "IF": "`if`", "THEN": "`then`",
    "ELSE": "`else`", "IS": "`is`", "TEXT": "a quoted text", "REFERENCE": "`reference`", "TITLE": "`title`",
    "URL": "`url`", "DATA": "`data`", "TAGS": "`tags`", "OWNER": "`owner`",
}


def _lark() -> Lark:
    global _parser
    with _lock:
        if _parser is None:
            grammar = resources.files("espolicy.lang").joinpath("grammar.lark").read_text(encoding="utf-8")
            _parser = Lark(grammar, parser="lalr", start=["start", "expr"], propagate_positions=True,
                           maybe_placeholders=True)
        return _parser


def _words(expected: set[str]) -> str:
    from espolicy.lang.syntaxhints import describe
    return describe(expected, _WORDS)


class _Failure(Exception):
    """A problem found while building the AST (bad literal, missing clause)."""

    def __init__(self, code: str, message: str, span: ast.Span, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.span, self.hint = code, message, span, hint


def _hint_for(token: Token | None, expected: set[str]) -> str | None:
    """Common mistakes, named in the words a policy owner uses."""
    if token is None:
        return None
    value = str(token)
    if value == "=" and "COMP_OP" in expected:
        return "to compare, write `==` (a single `=` only names a constant or table entry)"
    wordlike = value.replace("-", "_").isidentifier()
    if wordlike and "TEXT_KIND" in expected:
        from espolicy.fuzzy import did_you_mean
        return did_you_mean(value, ["for", "each", "deny", "review", "warn", "info", "faq", "at", "message", "advice",
                                    "title", "tags", "owner"]) \
            or "a rule holds: for KIND, deny|review|warn|info when CONDITION, faq Q…, at FIELD, message/advice en|ja \"…\""
    if wordlike and {"FAQ_REF", "NONE"} & expected:
        return "FAQ references look like Q1, Q10; a data-consistency rule says `faq none`"
    if wordlike and "LANG" in expected:
        return "a message or advice names its language: `message en \"…\"` or `message ja \"…\"`"
    if value.startswith("'"):
        return "texts are written in double quotes"
    return None


_MAX_SYNTAX_ERRORS = 50


def parse(source: str, file: str = "<policy>") -> ast.Module:
    """Parse one rule file; raises PolicyError with every syntax and literal error it can find: after
    a syntax error the parser reads on from the next declaration."""
    errors: list[Diagnostic] = []
    text = source
    while True:
        try:
            tree = _lark().parse(text, start="start")
            break
        except UnexpectedInput as e:
            from espolicy.lang.syntaxhints import blank, declaration_bounds, error_offset
            errors.append(_syntax_diagnostic(e, source, file) if text == source else
                          _syntax_diagnostic(e, text, file, source))
            offset = error_offset(e, text)
            start, end = declaration_bounds(text, offset)
            if end <= start or len(errors) >= _MAX_SYNTAX_ERRORS:
                raise PolicyError(errors) from None
            text = blank(text, start, end)
        except RecursionError:
            raise PolicyError(errors + [diagnostic("too-deep", "the rule file is nested too deeply to read",
                                                   ast.Span(file, 1, 1, 1, 2), source)]) from None
    deep = _too_deep(tree, file, 0, 0)
    if deep is not None:
        raise PolicyError(errors + [diagnostic(deep.code, deep.message, deep.span, source, deep.hint)])
    from espolicy.lang.syntaxhints import glued_keywords
    errors += glued_keywords(text, _tokens(tree), file)
    builder = _Builder(file, source)
    decls = []
    for child in tree.children:
        if not isinstance(child, Tree):
            continue
        try:
            decls.append(builder.transform(child))
        except VisitError as e:
            inner = e.orig_exc
            if isinstance(inner, _Failure):
                errors.append(diagnostic(inner.code, inner.message, inner.span, source, inner.hint))
            elif isinstance(inner, PolicyError):
                errors += inner.diagnostics
            elif isinstance(inner, RecursionError):
                errors.append(diagnostic("too-deep", "an expression is nested too deeply",
                                         ast.Span(file, 1, 1, 1, 2), source))
            else:
                raise
        except RecursionError:
            errors.append(diagnostic("too-deep", "an expression is nested too deeply",
                                     ast.Span(file, 1, 1, 1, 2), source))
    if errors:
        raise PolicyError(in_order(errors))
    return ast.Module(file, source, tuple(decls))


def parse_expression(text: str, file: str = "<expr>") -> ast.Expr:
    """Parse one expression of the language (for `espolicy eval`); PolicyError when it cannot be read."""
    try:
        tree = _lark().parse(text, start="expr")
    except UnexpectedInput as e:
        raise PolicyError([_syntax_diagnostic(e, text, file)]) from None
    except RecursionError:
        raise PolicyError([diagnostic("too-deep", "the expression is nested too deeply to read",
                                      ast.Span(file, 1, 1, 1, 2), text)]) from None
    deep = _too_deep(tree, file, 0, 0)
    if deep is not None:
        raise PolicyError([diagnostic(deep.code, deep.message, deep.span, text, deep.hint)])
    from espolicy.lang.syntaxhints import glued_keywords
    glued = glued_keywords(text, _tokens(tree), file)
    if glued:
        raise PolicyError(glued)
    try:
        expr: ast.Expr = _Builder(file, text).transform(tree)
    except VisitError as e:
        inner = e.orig_exc
        if isinstance(inner, _Failure):
            raise PolicyError([diagnostic(inner.code, inner.message, inner.span, text, inner.hint)]) from None
        raise
    return expr


def _tokens(tree: Tree) -> list[Token]:
    """The tokens the tree keeps, found without recursion."""
    out, stack = [], [tree]
    while stack:
        node = stack.pop()
        for child in node.children:
            if isinstance(child, Tree):
                stack.append(child)
            elif isinstance(child, Token):
                out.append(child)
    return out


def parse_sources(sources: Iterable[tuple[str, str]]) -> list[ast.Module]:
    """Parse every (file, text); PolicyError with the errors of all the files, in order."""
    modules, errors = [], []
    for file, text in sources:
        try:
            modules.append(parse(text, file))
        except PolicyError as e:
            errors += e.diagnostics
    if errors:
        raise PolicyError(in_order(errors))
    return modules


# Rules of the grammar that are not expressions: they do not count towards an expression's depth.
_NOT_EXPRESSIONS = frozenset({
    "start", "policy_decl", "const_decl", "table_decl", "table_entry", "value_decl", "kinds", "rule_decl",
    "kinds_clause", "each_clause", "effect_clause", "faq_clause", "at_clause", "field_path", "text_clause",
    "title_clause", "tags_clause", "owner_clause", "reference_decl", "reference_title", "reference_url", "data_decl"})


def _too_deep(tree: Tree, file: str, line: int, shift: int) -> _Failure | None:
    """`too-deep` at the first expression nested more than MAX_EXPRESSION_DEPTH levels, found without
    recursion before anything recurses over the tree (the generated Python must stay well inside the
    interpreter's own nesting limits). `line`/`shift` place an interpolation inside its text."""
    stack: list[tuple[Tree, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if node.data not in _NOT_EXPRESSIONS:
            depth += 1
            if depth > MAX_EXPRESSION_DEPTH:
                meta = node.meta
                at_line = line or getattr(meta, "line", 1) or 1
                column = (getattr(meta, "column", 1) or 1) + shift
                return _Failure("too-deep", f"an expression is nested more than {MAX_EXPRESSION_DEPTH} levels deep",
                                ast.Span(file, at_line, column, at_line, column + 1),
                                "name a part of it with `let NAME for KIND = …` and use the name")
        stack.extend((child, depth) for child in node.children if isinstance(child, Tree))
    return None


def _syntax_diagnostic(e: UnexpectedInput, source: str, file: str, original: str | None = None) -> Diagnostic:
    """The diagnostic of a Lark error in `source` (the text as read, or with broken declarations
    blanked: then `original` is the text as written, whose lines the excerpt shows)."""
    d = _read_error(e, source, file)
    if original is None or d.span is None:
        return d
    from espolicy.errors import Label, source_line
    return dataclasses.replace(d, source_line=source_line(original, d.span.line), labels=tuple(
        Label(lb.span, lb.message, source_line(original, lb.span.line)) for lb in d.labels))


def _read_error(e: UnexpectedInput, source: str, file: str) -> Diagnostic:
    from espolicy.lang.syntaxhints import teach
    taught = teach(e, source, file, _WORDS)  # common mistakes, explained (espolicy/syntaxhints.py)
    if taught is not None:
        return taught
    line, column = getattr(e, "line", 1) or 1, getattr(e, "column", 1) or 1
    if isinstance(e, UnexpectedEOF) or (isinstance(e, UnexpectedToken) and e.token.type == "$END"):
        lines = source.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        expected = set(getattr(e, "expected", ()) or ())
        message = f"the file ends too early; expected {_words(expected)}"
        span = ast.Span(file, line, column, line, column + 1)
        hint: str | None = "a `{` is probably missing its `}`" if "RBRACE" in expected else \
            f"finish the file with {_words(expected)}"
        return diagnostic("syntax", message, span, source, hint)
    if isinstance(e, UnexpectedCharacters):
        pos = e.pos_in_stream or 0
        ch = source[pos] if pos < len(source) else ""
        span = ast.Span(file, line, column, line, column + 1)
        hint = None
        if ch == "'":
            hint = "texts are written in double quotes"
        elif ch == '"':
            hint = "this text has no closing quote on its line"
        elif ch == "=":
            hint = "to compare, write `==`"
        elif ch == "!":
            hint = "`not equal` is written `!=`"
        expected = set(e.allowed or ())
        tail = f"; expected {_words(expected)}" if expected else ""
        return diagnostic("syntax", f"unexpected character `{ch}`{tail}", span, source,
                          hint or (f"remove `{ch}`, or write {_words(expected)} instead" if expected else f"remove `{ch}`"))
    assert isinstance(e, UnexpectedToken)
    tok = e.token
    expected = set(e.expected)
    span = ast.Span(file, line, column, tok.end_line or line, tok.end_column or column + len(str(tok)))
    return diagnostic("syntax", f"unexpected `{tok}`; expected {_words(expected)}", span, source,
                      _hint_for(tok, expected) or f"write {_words(expected)} here")


def _closing_brace(raw: str, start: int) -> int:
    """The index of the `}` closing an interpolation that starts at `start`, skipping quoted texts
    inside it (`{format(d, "D")}`), or -1."""
    i = start
    while i < len(raw):
        ch = raw[i]
        if ch == "}":
            return i
        if ch == '"':
            i += 1
            while i < len(raw) and raw[i] != '"':
                i += 2 if raw[i] == "\\" else 1
        i += 1
    return -1


def _span(file: str, meta: Any) -> ast.Span:
    return ast.Span(file, meta.line, meta.column, meta.end_line, meta.end_column)


def _tspan(file: str, tok: Token) -> ast.Span:
    return ast.Span(file, tok.line or 1, tok.column or 1, tok.end_line or tok.line or 1,
                    tok.end_column or (tok.column or 1) + len(tok))


@v_args(meta=True, inline=True)
class _Builder(Transformer):
    """Lark tree → AST nodes with spans."""

    def __init__(self, file: str, source: str):
        super().__init__()
        self.file, self.source = file, source

    def _s(self, meta: Any) -> ast.Span:
        return _span(self.file, meta)

    # ---- top level ----
    def start(self, meta: Any, *decls: Any) -> list[ast.Decl]:
        return list(decls)

    def policy_decl(self, meta: Any, name: Token) -> ast.PolicyName:
        return ast.PolicyName(self._string(name), self._s(meta))

    def const_decl(self, meta: Any, name: Token, expr: ast.Expr) -> ast.Const:
        return ast.Const(str(name), expr, self._s(meta))

    def table_entry(self, meta: Any, name: Token, expr: ast.Expr) -> tuple[str, ast.Expr, ast.Span]:
        key = self._string(name) if name.type == "STRING" else str(name)
        return (key, expr, self._s(meta))

    def table_decl(self, meta: Any, name: Token, *entries: tuple[str, ast.Expr, ast.Span]) -> ast.Table:
        seen: set[str] = set()
        for key, _, span in entries:
            if key in seen:
                raise _Failure("duplicate-entry", f"table `{name}` has `{key}` twice", span,
                               "a table gives each key one value: remove one of the lines")
            seen.add(key)
        return ast.Table(str(name), tuple((k, e) for k, e, _ in entries), self._s(meta))

    def kinds(self, meta: Any, *names: Token) -> tuple[str, ...]:
        return tuple(str(n) for n in names)

    def value_decl(self, meta: Any, kw: Token, name: Token, kinds: tuple[str, ...], expr: ast.Expr,
                   when: ast.Expr | None) -> ast.Value:
        return ast.Value(str(kw) == "fact", str(name), kinds, expr, when, self._s(meta))

    # ---- rules ----
    def kinds_clause(self, meta: Any, kinds: tuple[str, ...]) -> tuple[str, Any, ast.Span]:
        return ("for", kinds, self._s(meta))

    def each_clause(self, meta: Any, var: Token, index: Token | None, seq: ast.Expr) -> tuple[str, Any, ast.Span]:
        if index is not None and str(index) == str(var):
            raise _Failure("shadowed-name", f"`each {var}, {index}` names the entry and its position alike",
                           _tspan(self.file, index), "choose another name for the position, e.g. `i`")
        return ("each", (str(var), seq, str(index) if index is not None else None), self._s(meta))

    def effect_clause(self, meta: Any, effect: Token, cond: ast.Expr) -> tuple[str, Any, ast.Span]:
        return ("effect", (str(effect), cond), self._s(meta))

    def faq_clause(self, meta: Any, *refs: Token) -> tuple[str, Any, ast.Span]:
        cited = [r for r in refs if r is not None and r.type == "FAQ_REF"]
        return ("faq", (tuple(str(r) for r in cited), tuple(_tspan(self.file, r) for r in cited)), self._s(meta))

    def title_clause(self, meta: Any, lang: Token, text: Token) -> tuple[str, Any, ast.Span]:
        return (f"title:{lang}", self._string(text), self._s(meta))

    def tags_clause(self, meta: Any, *tags: Token) -> tuple[str, Any, ast.Span]:
        names = tuple(self._string(t) for t in tags)
        for i, tag in enumerate(names):
            if not tag.strip() or tag in names[:i]:
                raise _Failure("bad-tag", f"the tag {json.dumps(tag, ensure_ascii=False)} is "
                               + ("empty" if not tag.strip() else "given twice"), _tspan(self.file, tags[i]))
        return ("tags", names, self._s(meta))

    def owner_clause(self, meta: Any, text: Token) -> tuple[str, Any, ast.Span]:
        return ("owner", self._string(text), self._s(meta))

    # ---- references and data files ----
    def reference_title(self, meta: Any, lang: Token, text: Token) -> tuple[str, str, ast.Span]:
        return (f"title:{lang}", self._string(text), self._s(meta))

    def reference_url(self, meta: Any, text: Token) -> tuple[str, str, ast.Span]:
        url = self._string(text)
        if not _WEB_ADDRESS.fullmatch(url):   # `doc` links it: only a web address, whole
            raise _Failure("bad-url", f"`{url}` is not a web address", _tspan(self.file, text),
                           "write the address in full, starting with `https://` (spaces written as `%20`)")
        return ("url", url, self._s(meta))

    def reference_decl(self, meta: Any, rid: Token, *fields: tuple[str, str, ast.Span]) -> ast.Reference:
        got: dict[str, str] = {}
        for key, value, span in fields:
            if key in got:
                raise _Failure("duplicate-clause", f"reference `{rid}` has two `{key.replace(':', ' ')}` lines", span)
            got[key] = value
        for lang in ("en", "ja"):
            if f"title:{lang}" not in got:
                raise _Failure("missing-clause", f"reference `{rid}` has no `title {lang}`", _tspan(self.file, rid),
                               f"add a line `title {lang} \"…\"`: a reference is titled in English and Japanese")
        return ast.Reference(str(rid), {"en": got["title:en"], "ja": got["title:ja"]}, got.get("url"), self._s(meta))

    def data_decl(self, meta: Any, name: Token, path: Token) -> ast.Data:
        return ast.Data(str(name), self._string(path), self._s(meta))

    def field_path(self, meta: Any, *names: Token) -> ast.FieldPath:
        return ast.FieldPath(tuple(str(n) for n in names), self._s(meta))

    def at_clause(self, meta: Any, path: ast.FieldPath) -> tuple[str, Any, ast.Span]:
        return ("at", path, self._s(meta))

    def text_clause(self, meta: Any, kind: Token, lang: Token, *texts: Token) -> tuple[str, Any, ast.Span]:
        pieces = [self._text(t) for t in texts]
        if len(pieces) == 1:
            return (f"{kind}:{lang}", pieces[0], self._s(meta))
        parts: list[str | ast.Expr] = []
        for piece in pieces:  # quoted pieces on several lines are one text, joined as written
            for part in piece.parts:
                if isinstance(part, str) and parts and isinstance(parts[-1], str):
                    parts[-1] += part
                else:
                    parts.append(part)
        return (f"{kind}:{lang}", ast.Text(tuple(parts), pieces[0].span, tuple(pieces)), self._s(meta))

    def rule_decl(self, meta: Any, rid: Token, *clauses: tuple[str, Any, ast.Span]) -> ast.Rule:
        span = self._s(meta)
        got: dict[str, Any] = {}
        for key, value, cspan in clauses:
            if key in got:
                what = key.replace(":", " ")
                raise _Failure("duplicate-clause", f"rule `{rid}` has two `{what}` clauses", cspan,
                               "a rule has one condition; combine conditions with `and` / `or`" if key == "effect" else None)
            got[key] = value
        for key, words, hint in (
            ("for", "`for KIND` (which documents it applies to)", "add e.g. `for registration`"),
            ("effect", "a condition (`deny when …`, `review when …`, `warn when …` or `info when …`)", None),
            ("faq", "an FAQ reference (`faq Q6`; `faq none` for a data-consistency rule)",
             "add a line `faq Q…` naming the FAQ question(s) the rule implements, or `faq none` for a "
             "data-consistency rule"),
            ("message:en", "an English message (`message en \"…\"`)", "add a line `message en \"…\"`"),
            ("message:ja", "a Japanese message (`message ja \"…\"`)", "add a line `message ja \"…\"`"),
        ):
            if key not in got:
                raise _Failure("missing-clause", f"rule `{rid}` is missing {words}", _tspan(self.file, rid), hint)
        advice = self._bilingual(got, "advice", rid, "advice", "advice is")
        effect, cond = got["effect"]
        message = {k.split(":")[1]: v for k, v in got.items() if k.startswith("message:")}
        title = self._bilingual(got, "title", rid, "a title", "a title is")
        each = got.get("each")
        faq, faq_spans = got["faq"]
        return ast.Rule(str(rid), got["for"], effect, cond, faq, (each[0], each[1]) if each else None,
                        got.get("at"), message, advice, span, each[2] if each else None, faq_spans, title,
                        got.get("tags", ()), got.get("owner"))

    def _bilingual(self, got: dict[str, Any], clause: str, rid: Any, named: str, given: str) -> dict[str, Any]:
        """The `clause en/ja` texts of a rule: both or neither (an error names the missing language)."""
        texts = {k.split(":")[1]: v for k, v in got.items() if k.startswith(clause + ":")}
        if texts and set(texts) != {"en", "ja"}:
            missing = ({"en", "ja"} - set(texts)).pop()
            raise _Failure("missing-clause", f"rule `{rid}` has {named} without its `{missing}` text",
                           _tspan(self.file, rid), f"add a line `{clause} {missing} \"…\"`: {given} given in "
                           "both English and Japanese")
        return texts

    # ---- expressions ----
    def if_expr(self, meta: Any, c: ast.Expr, a: ast.Expr, b: ast.Expr) -> ast.If:
        return ast.If(c, a, b, self._s(meta))

    def or_expr(self, meta: Any, *ops: ast.Expr) -> ast.BoolOp:
        return ast.BoolOp("or", ops, self._s(meta))

    def and_expr(self, meta: Any, *ops: ast.Expr) -> ast.BoolOp:
        return ast.BoolOp("and", ops, self._s(meta))

    def not_expr(self, meta: Any, operand: ast.Expr) -> ast.Not:
        return ast.Not(operand, self._s(meta))

    def quantifier(self, meta: Any, q: Token, var: Token, seq: ast.Expr, body: ast.Expr) -> ast.Quant:
        return ast.Quant(str(q), str(var), seq, body, self._s(meta))

    def compare(self, meta: Any, a: ast.Expr, op: Token, b: ast.Expr) -> ast.Compare:
        return ast.Compare(str(op), a, b, self._s(meta))

    def member(self, meta: Any, a: ast.Expr, b: ast.Expr) -> ast.Compare:
        return ast.Compare("in", a, b, self._s(meta))

    def not_member(self, meta: Any, a: ast.Expr, b: ast.Expr) -> ast.Compare:
        return ast.Compare("not in", a, b, self._s(meta))

    def test(self, meta: Any, a: ast.Expr, t: Token) -> ast.Test:
        return ast.Test(a, str(t), self._s(meta))

    def arith(self, meta: Any, a: ast.Expr, op: Token, b: ast.Expr) -> ast.Arith:
        return ast.Arith(str(op), a, b, self._s(meta))

    def neg(self, meta: Any, a: ast.Expr) -> ast.Expr:
        if isinstance(a, ast.Literal) and type(a.value) is int:
            return ast.Literal(-a.value, self._s(meta))
        return ast.Neg(a, self._s(meta))

    def attr(self, meta: Any, obj: ast.Expr, name: Token) -> ast.Attr:
        return ast.Attr(obj, str(name), self._s(meta))

    def index(self, meta: Any, obj: ast.Expr, key: ast.Expr) -> ast.Index:
        return ast.Index(obj, key, self._s(meta))

    def aggregate(self, meta: Any, func: Token, binder: ast.Expr, body: ast.Expr) -> ast.Aggregate:
        if str(func) not in AGGREGATES:
            raise _Failure("bad-aggregate", f"`{func}(… in …: …)` is not an aggregate", _tspan(self.file, func),
                           "the aggregates are " + ", ".join(f"`{a}(x in LIST: …)`" for a in AGGREGATES))
        if not (isinstance(binder, ast.Compare) and binder.op == "in" and isinstance(binder.left, ast.Name)):
            raise _Failure("bad-aggregate", f"`{func}(…: …)` starts with a variable and its list", binder.span,
                           f"write e.g. `{func}(h in history: …)`")
        return ast.Aggregate(str(func), binder.left.name, binder.right, body, self._s(meta))

    def call(self, meta: Any, func: Token, *args: ast.Expr | None) -> ast.Call:
        return ast.Call(str(func), tuple(a for a in args if a is not None), self._s(meta))

    def int_lit(self, meta: Any, tok: Token) -> ast.Literal:
        if len(tok) > 18:
            raise _Failure("bad-literal", f"the number {tok[:20]}… is too large", self._s(meta),
                           "numbers have at most 18 digits")
        return ast.Literal(int(tok), self._s(meta))

    def date_lit(self, meta: Any, tok: Token) -> ast.Literal:
        try:
            return ast.Literal(_dt.date.fromisoformat(str(tok)), self._s(meta))
        except ValueError:
            raise _Failure("bad-literal", f"`{tok}` is not a date on the calendar", self._s(meta),
                           "write a day that exists, as YYYY-MM-DD, e.g. `2026-02-28`") from None

    def time_lit(self, meta: Any, tok: Token) -> ast.Literal:
        h, m = int(tok[:2]), int(tok[3:])
        if h > 23 or m > 59:
            raise _Failure("bad-literal", f"`{tok}` is not a time of day (00:00 to 23:59)", self._s(meta),
                           "write hours 00 to 23 and minutes 00 to 59, e.g. `17:30`")
        return ast.Literal(_dt.time(h, m), self._s(meta))

    def str_lit(self, meta: Any, tok: Token) -> ast.Literal:
        return ast.Literal(self._string(tok), self._s(meta))

    def bool_lit(self, meta: Any, tok: Token) -> ast.Literal:
        return ast.Literal(str(tok) == "true", self._s(meta))

    def name(self, meta: Any, tok: Token) -> ast.Name:
        return ast.Name(str(tok), self._s(meta))

    def set_lit(self, meta: Any, *items: ast.Expr | None) -> ast.SetLit:
        return ast.SetLit(tuple(i for i in items if i is not None), self._s(meta))

    def list_lit(self, meta: Any, *items: ast.Expr | None) -> ast.ListLit:
        return ast.ListLit(tuple(i for i in items if i is not None), self._s(meta))

    # ---- strings ----
    def _string(self, tok: Token) -> str:
        try:
            return self._whole(json.loads(str(tok)), tok)
        except ValueError:
            raise _Failure("bad-literal", "this text has an escape sequence that is not allowed",
                           _tspan(self.file, tok), "write \\\" \\\\ \\n \\t or \\uXXXX, or the character itself; "
                           "a backslash itself is `\\\\`") from None

    def _whole(self, text: str, tok: Token) -> str:
        """`text`, unless it holds half of a UTF-16 surrogate pair (`\\ud800`), which is no character
        and could not be written out: then a `bad-literal` failure at the text."""
        lone = _SURROGATE.search(text)
        if lone is None:
            return text
        raise _Failure("bad-literal", f"this text holds `\\u{ord(lone.group()):04x}`, half of a UTF-16 "
                       "surrogate pair, which is not a character", _tspan(self.file, tok),
                       "write the character itself, or a `\\uXXXX` escape outside d800-dfff")

    def _text(self, tok: Token) -> ast.Text:
        """Split a quoted text into literal pieces and `{expr}` interpolations."""
        raw = str(tok)[1:-1]
        parts: list[str | ast.Expr] = []
        buf: list[str] = []
        i = 0
        base_col = (tok.column or 1) + 1
        while i < len(raw):
            ch = raw[i]
            if raw.startswith("{{", i) or raw.startswith("}}", i):
                buf.append(ch)
                i += 2
            elif ch == "{":
                end = _closing_brace(raw, i + 1)
                if end < 0:
                    raise _Failure("bad-text", "a `{` in this text has no closing `}`",
                                   ast.Span(self.file, tok.line or 1, base_col + i, tok.line or 1, base_col + i + 1),
                                   "write `{{` for a literal brace")
                if buf:
                    parts.append(self._unescape("".join(buf), tok))
                    buf = []
                parts.append(self._inner(raw[i + 1:end], tok, base_col + i + 1))
                i = end + 1
            elif ch == "}":
                raise _Failure("bad-text", "a `}` in this text has no opening `{`",
                               ast.Span(self.file, tok.line or 1, base_col + i, tok.line or 1, base_col + i + 1),
                               "write `}}` for a literal brace")
            elif ch == "\\" and i + 1 < len(raw):
                buf.append(raw[i:i + 2])
                i += 2
            else:
                buf.append(ch)
                i += 1
        if buf:
            parts.append(self._unescape("".join(buf), tok))
        return ast.Text(tuple(parts), _tspan(self.file, tok))

    def _unescape(self, piece: str, tok: Token) -> str:
        try:
            return self._whole(json.loads('"' + piece + '"'), tok)
        except ValueError:
            raise _Failure("bad-literal", "this text has an escape sequence that is not allowed",
                           _tspan(self.file, tok), "write \\\" \\\\ \\n \\t or \\uXXXX, or the character itself; "
                           "a backslash itself is `\\\\`") from None

    def _inner(self, text: str, tok: Token, col: int) -> ast.Expr:
        line = tok.line or 1
        if not text.strip():
            raise _Failure("bad-text", "empty `{}` in a text", ast.Span(self.file, line, col - 1, line, col + 1),
                           "put a field, fact or constant name inside, e.g. `{pack.term_years}`")
        try:
            tree = _lark().parse(text, start="expr")
        except UnexpectedInput as e:
            c = col + max(0, (getattr(e, "column", 1) or 1) - 1)
            raise _Failure("bad-text", f"cannot read `{{{text}}}` in this text: {_inner_reason(e, text)}",
                           ast.Span(self.file, line, c, line, c + 1),
                           "a `{…}` holds one field, fact, constant or expression; to write a brace itself, "
                           "double it (`{{` or `}}`); for a longer value, name it with `let NAME for KIND = …` "
                           "and write `{NAME}`") from None
        deep = _too_deep(tree, self.file, line, col - 1)
        if deep is not None:
            raise deep
        try:
            return _Shifted(self.file, self.source, line, col - 1).transform(tree)
        except VisitError as e:
            raise e.orig_exc from None


def _inner_reason(e: UnexpectedInput, text: str) -> str:
    """Why an interpolation cannot be read, in a few words."""
    if isinstance(e, UnexpectedToken) and e.token.type != "$END":
        before = text[:e.token.start_pos or 0].strip()
        return f"`{e.token}` cannot follow `{before}`" if before else f"it cannot start with `{e.token}`"
    if isinstance(e, UnexpectedCharacters) and e.pos_in_stream is not None:
        return f"`{text[e.pos_in_stream]}` cannot stand here"
    return "the expression stops too early"


class _Shifted(_Builder):
    """Builds an interpolated expression, placing spans inside the enclosing text."""

    def __init__(self, file: str, source: str, line: int, shift: int):
        super().__init__(file, source)
        self.line, self.shift = line, shift

    def _s(self, meta: Any) -> ast.Span:
        return ast.Span(self.file, self.line, meta.column + self.shift, self.line, meta.end_column + self.shift)
