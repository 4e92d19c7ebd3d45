"""`espolicy fmt`: one canonical layout that keeps comments.

Properties (Hypothesis): formatting is idempotent; a formatted policy parses to the same AST (spans
aside) and judges generated documents identically; any re-layout of the bundled policy (spacing,
line breaks, clause order, redundant parentheses) formats back to the bundled text; every comment
survives. Expressions print with the fewest parentheses and parse back to the same tree.
"""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import documents
from espolicy.lang import ast
from espolicy.commands import main as cli
from espolicy.lang import unparse
from espolicy.errors import PolicyError
from espolicy.engine.policy import Policy
from espolicy.sources import bundled_dir
from espolicy.lang.fmt import format_source
from espolicy.lang.parser import parse

POLICY = bundled_dir("policy")
FILES = sorted(POLICY.glob("*.esp"))
SOURCES = {p.name: p.read_text(encoding="utf-8") for p in FILES}

MESSY = """# header


policy   "P"
const MAX_YEARS=5 # five
const  G2 = {3,4,  5}
# about facts

fact x for registration=last_day( server.warranty_start , (pack.term_years) )
let   y for registration = ((1 + 2) * 3) - (4 - 5) when (pack.term_years > 3)
table T { a = 1 # one
  # before b
  b = "x\\u0041\\"{y}"
}
rule r-1 {   # header comment
  faq Q1
  message ja "日本 {{x}} {x}"
  # on effect
  deny when (pack.term_years  > 1 and x == x) and (y > 1 or y < 0) or not (y == 1) and any h in history: (h.term_years == 3 and true)
  at pack.term_years   # at
  for registration
  message en "A\\tb {MAX_YEARS}"  # en
  # last
} # end
# footer
"""

MESSY_FORMATTED = """# header

policy "P"
const MAX_YEARS = 5  # five
const G2 = {3, 4, 5}
# about facts

fact x for registration = last_day(server.warranty_start, pack.term_years)
let y for registration = (1 + 2) * 3 - (4 - 5) when pack.term_years > 3

table T {
  a = 1  # one
  # before b
  b = "xA\\"{y}"
}

rule r-1 {  # header comment
  for registration
  # on effect
  deny when (pack.term_years > 1 and x == x) and (y > 1 or y < 0) or not y == 1 and any h in history: (h.term_years == 3 and true)
  faq Q1
  at pack.term_years  # at
  message en "A\\tb {MAX_YEARS}"  # en
  message ja "日本 {{x}} {x}"
  # last
}  # end
# footer
"""


def test_bundled_policy_is_formatted():
    for name, text in SOURCES.items():
        assert format_source(text, name) == text, name


def test_messy_file_gets_the_canonical_layout():
    assert format_source(MESSY) == MESSY_FORMATTED
    assert parse(MESSY_FORMATTED).decls == parse(MESSY).decls
    assert format_source(MESSY_FORMATTED) == MESSY_FORMATTED


def test_every_comment_is_kept():
    out = format_source(MESSY)
    for c in ("# header", "# five", "# about facts", "# one", "# before b", "# header comment", "# on effect",
              "# at", "# en", "# last", "# end", "# footer"):
        assert out.count(c) == MESSY.count(c), c


def test_if_before_when_keeps_its_parentheses_for_the_reader():
    src = 'let n for change_request = if change.to is number then change.to else 0 when change.to is present\n'
    out = format_source(src)
    assert out == ('let n for change_request = (if change.to is number then change.to else 0) '
                   'when change.to is present\n')
    assert parse(out).decls == parse(src).decls


def test_comment_inside_a_multiline_condition_moves_above_its_clause():
    src = 'rule r {\n  for registration\n  deny when pack.term_years > 5  # why\n    # really\n    and true\n' \
          '  faq Q1\n  message en "a"\n  message ja "b"\n}\n'
    out = format_source(src)
    assert "  deny when pack.term_years > 5 and true  # why\n" in out
    assert "  # really\n  deny when" in out


def test_strings_are_escaped_canonically():
    src = 'const A = "tab\\there \\u00e9 \\/ quote\\" back\\\\"\n'
    assert format_source(src) == 'const A = "tab\\there é / quote\\" back\\\\"\n'


def test_a_file_that_does_not_parse_is_reported():
    with pytest.raises(PolicyError) as e:
        format_source("const = 1\n", "bad.esp")
    assert e.value.line == 1


def test_empty_and_comment_only_files():
    assert format_source("") == ""
    assert format_source("# just a note\n\n\n# another\n") == "# just a note\n\n# another\n"


# ---------------------------------------------------------------- the command

def _copy_policy(tmp_path: Path, messy: bool = True) -> Path:
    d = tmp_path / "policy"
    d.mkdir()
    for name, text in SOURCES.items():
        (d / name).write_text(text, encoding="utf-8")
    if messy:
        (d / "policy.esp").write_text(SOURCES["policy.esp"].replace("const MAX_YEARS = 5", "const  MAX_YEARS=5"),
                                      encoding="utf-8")
    return d


def test_check_diff_and_write(tmp_path, capsys):
    d = _copy_policy(tmp_path)
    before = (d / "policy.esp").read_text(encoding="utf-8")
    assert cli.main(["fmt", "--check", "--policy", str(d)]) == 1
    out, err = capsys.readouterr()
    assert out == f"{d / 'policy.esp'}\n" and f"1 of {len(list(POLICY.glob('*.esp')))} files would be reformatted" in err
    assert (d / "policy.esp").read_text(encoding="utf-8") == before
    assert cli.main(["fmt", "--diff", "--policy", str(d)]) == 1
    out, _ = capsys.readouterr()
    assert "-const  MAX_YEARS=5\n+const MAX_YEARS = 5\n" in out and out.startswith("---")
    assert cli.main(["fmt", "--policy", str(d)]) == 0
    capsys.readouterr()
    assert (d / "policy.esp").read_text(encoding="utf-8") == SOURCES["policy.esp"]
    assert cli.main(["fmt", "--check", str(d / "policy.esp")]) == 0


def test_fmt_of_a_broken_file_is_exit_2(tmp_path, capsys):
    f = tmp_path / "bad.esp"
    f.write_text("rule x {\n", encoding="utf-8")
    assert cli.main(["fmt", str(f)]) == 2
    _, err = capsys.readouterr()
    assert "bad.esp:1:" in err
    assert f.read_text(encoding="utf-8") == "rule x {\n"


def test_bundled_policy_passes_fmt_check(capsys):
    assert cli.main(["fmt", "--check"]) == 0


# ---------------------------------------------------------------- properties: re-layouts of the policy

def _split_strings(line: str) -> list[tuple[bool, str]]:
    """(inside a string?, text) pieces of a line."""
    out, buf, inside, i = [], "", False, 0
    while i < len(line):
        ch = line[i]
        if inside and ch == "\\":
            buf += line[i:i + 2]
            i += 2
            continue
        if ch == '"':
            if inside:
                out.append((True, buf + ch))
                buf = ""
            else:
                out.append((False, buf))
                buf = ch
            inside = not inside
        else:
            buf += ch
        i += 1
    out.append((inside, buf))
    return out


def relayout(text: str, rnd: random.Random, comments: bool) -> tuple[str, list[str]]:
    """The same policy laid out differently; with `comments`, also new comments and blank lines."""
    lines = text.splitlines()
    # shuffle the clauses of every rule (canonical clauses are one line each)
    out: list[str] = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        if lines[i].startswith("rule ") and lines[i].endswith("{"):
            j = i + 1
            while lines[j] != "}":
                j += 1
            body = lines[i + 1:j]
            clause_lines = [b for b in body if not b.lstrip().startswith("#")]
            if len(clause_lines) == len(body):
                rnd.shuffle(body)
            out += body
            i = j
            continue
        i += 1
    # redundant parentheses around conditions and constant values
    wrapped = []
    for line in out:
        for head in ("  deny when ", "  review when ", "  warn when ", "  info when ", "const "):
            if line.startswith(head) and rnd.random() < 0.5 and "#" not in line:
                if head == "const ":
                    name, value = line[len(head):].split(" = ", 1)
                    line = f"const {name} = ({value})"
                else:
                    line = head + "(" + line[len(head):] + ")"
        wrapped.append(line)
    # spacing: every space outside a text becomes some whitespace, line breaks included
    spaced = []
    for line in wrapped:
        if line.lstrip().startswith("#"):
            spaced.append(line)
            continue
        pieces = []
        for inside, piece in _split_strings(line):
            if inside or piece.lstrip().startswith("#"):
                pieces.append(piece)
            else:
                pieces.append("".join(rnd.choice([" ", "  ", "\t", "\n    "]) if ch == " " else ch for ch in piece))
        spaced.append("".join(pieces))
    final = "\n".join(spaced).split("\n")
    added: list[str] = []
    if comments:
        with_comments = []
        for n, line in enumerate(final):
            if rnd.random() < 0.15:
                c = f"# own {n}"
                with_comments.append(c)
                added.append(c)
            if rnd.random() < 0.05:
                with_comments.append("")
            if rnd.random() < 0.15 and line.strip() and not line.lstrip().startswith("#"):
                c = f"# trailing {n}"
                line = f"{line}  {c}"
                added.append(c)
            with_comments.append(line)
        final = with_comments
    return "\n".join(final) + "\n", added


RELAYOUT = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@RELAYOUT
@given(seed=st.integers(0, 2**32 - 1), name=st.sampled_from(sorted(SOURCES)))
def test_any_relayout_formats_back_to_the_bundled_text(seed, name):
    text, _ = relayout(SOURCES[name], random.Random(seed), comments=False)
    assert parse(text, name).decls == parse(SOURCES[name], name).decls
    assert format_source(text, name) == SOURCES[name]


@RELAYOUT
@given(seed=st.integers(0, 2**32 - 1), name=st.sampled_from(sorted(SOURCES)))
def test_fmt_is_idempotent_keeps_comments_and_meaning(seed, name):
    text, added = relayout(SOURCES[name], random.Random(seed), comments=True)
    once = format_source(text, name)
    assert format_source(once, name) == once
    assert parse(once, name).decls == parse(SOURCES[name], name).decls
    for c in added:
        assert once.count(c + "\n") + once.count(c + "  ") >= 1 or once.endswith(c), c


_relaid = {}


def _policies(seed: int) -> tuple[Policy, Policy]:
    if seed not in _relaid:
        rnd = random.Random(seed)
        messy = [(n, relayout(t, rnd, comments=True)[0]) for n, t in SOURCES.items()]
        tidy = [(n, format_source(t, n)) for n, t in messy]
        _relaid[seed] = (Policy(messy), Policy(tidy))
    return _relaid[seed]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from([1, 2, 3]), doc=documents)
def test_a_formatted_policy_judges_documents_identically(seed, doc):
    messy, tidy = _policies(seed)
    assert messy.validate(doc).to_dict() == tidy.validate(doc).to_dict()


# ---------------------------------------------------------------- properties: expressions print back

S = ast.Span("<t>", 1, 1, 1, 1)
NAMES = st.sampled_from(["a", "pack", "term_years", "x1", "MAX_YEARS", "h"])
ATOMS = st.one_of(
    st.integers(-10**6, 10**6).map(lambda v: ast.Literal(v, S)),
    st.booleans().map(lambda v: ast.Literal(v, S)),
    st.text(max_size=8).map(lambda v: ast.Literal(v, S)),
    st.dates(min_value=dt.date(1000, 1, 1)).map(lambda v: ast.Literal(v, S)),
    st.times().map(lambda t: ast.Literal(dt.time(t.hour, t.minute), S)),
    NAMES.map(lambda n: ast.Name(n, S)),
)


def _exprs(children: st.SearchStrategy) -> st.SearchStrategy:
    non_literal = children.filter(lambda e: not isinstance(e, ast.Literal))
    return st.one_of(
        st.builds(lambda o, n: ast.Attr(o, n, S), children, NAMES),
        st.builds(lambda f, args: ast.Call(f, tuple(args), S), st.sampled_from(["max", "last_day", "count"]),
                  st.lists(children, max_size=3)),
        st.builds(lambda e: ast.Neg(e, S), non_literal),
        st.builds(lambda op, a, b: ast.Arith(op, a, b, S), st.sampled_from(["+", "-", "*"]), children, children),
        st.builds(lambda op, a, b: ast.Compare(op, a, b, S),
                  st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"]), children, children),
        st.builds(lambda op, xs: ast.BoolOp(op, tuple(xs), S), st.sampled_from(["and", "or"]),
                  st.lists(children, min_size=2, max_size=3)),
        st.builds(lambda e: ast.Not(e, S), children),
        st.builds(lambda e, t: ast.Test(e, t, S), children, st.sampled_from(["present", "absent", "number", "text"])),
        st.builds(lambda c, a, b: ast.If(c, a, b, S), children, children, children),
        st.builds(lambda k, v, s, b: ast.Quant(k, v, s, b, S), st.sampled_from(["any", "all"]), NAMES, children,
                  children),
        st.builds(lambda xs: ast.SetLit(tuple(xs), S), st.lists(children, max_size=3)),
        st.builds(lambda xs: ast.ListLit(tuple(xs), S), st.lists(children, max_size=3)),
    )


EXPRS = st.recursive(ATOMS, _exprs, max_leaves=12)


def _canon(e):
    """What the parser makes of a tree: `-` of a number literal is that negative number."""
    if isinstance(e, ast.Neg):
        inner = _canon(e.operand)
        if isinstance(inner, ast.Literal) and type(inner.value) is int:
            return ast.Literal(-inner.value, S)
        return ast.Neg(inner, S)
    if isinstance(e, tuple):
        return tuple(_canon(x) for x in e)
    if hasattr(e, "__dataclass_fields__") and not isinstance(e, (ast.Literal, ast.Name, ast.Span)):
        return type(e)(**{f: _canon(getattr(e, f)) for f in e.__dataclass_fields__})
    return e


@settings(max_examples=400, deadline=None)
@given(EXPRS)
def test_expressions_print_with_minimal_parentheses_and_parse_back(e):
    text = unparse.expr(e)
    (const,) = parse(f"const C = {text}\n").decls
    assert const.expr == _canon(e), text
    assert unparse.expr(const.expr) == text


INTERPOLATED = st.recursive(NAMES.map(lambda n: ast.Name(n, S)), lambda c: st.one_of(
    st.builds(lambda o, n: ast.Attr(o, n, S), c, NAMES),
    st.builds(lambda a, b: ast.Arith("+", a, b, S), c, c),
    st.builds(lambda a: ast.Call("max", (a, ast.Literal(1, S)), S), c)), max_leaves=4)
PIECES = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=10)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PIECES, INTERPOLATED), max_size=5))
def test_texts_print_back(parts):
    merged: list = []
    for p in parts:  # the parser joins neighbouring literal pieces
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(p)
    text = ast.Text(tuple(merged), S)
    src = (f'rule r {{\n  for registration\n  deny when true\n  faq none\n  at pack\n'
           f'  message en {unparse.text(text)}\n  message ja "x"\n}}\n')
    (rule,) = parse(src).decls
    assert rule.message["en"] == text
    assert format_source(src) == src
