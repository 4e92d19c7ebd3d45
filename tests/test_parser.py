"""Parser: rule-file text → AST with spans; syntax errors as PolicyError with file:line:column."""
from __future__ import annotations

import datetime as dt

import pytest

from espolicy.lang import ast
from espolicy.errors import PolicyError
from espolicy.lang.parser import parse

RULE = '''# a comment
const LIMIT = 5
rule too-long {{
  for registration
  {effect} when pack.term_years > LIMIT
  faq Q6
  at pack.term_years
  message en "A {{pack.term_years}}-year pack"   # trailing comment
  message ja "{{pack.term_years}}年"
}}
'''


def error_of(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        parse(text, "p.esp")
    return info.value


def test_rule_parses_with_spans_and_interpolation():
    m = parse(RULE.format(effect="deny"), "p.esp")
    const, rule = m.decls
    assert const == ast.Const("LIMIT", ast.Literal(5, const.span), const.span)
    assert isinstance(rule, ast.Rule)
    assert (rule.id, rule.kinds, rule.effect, rule.faq) == ("too-long", ("registration",), "deny", ("Q6",))
    assert rule.span.line == 3 and rule.span.column == 1
    assert rule.condition.span.line == 5 and rule.condition.span.column == 13
    en = rule.message["en"]
    assert en.parts[0] == "A " and isinstance(en.parts[1], ast.Attr) and en.parts[2] == "-year pack"
    # the interpolated expression's span points inside the string on line 8
    assert en.parts[1].span.line == 8 and en.parts[1].span.column == 18
    assert rule.at.names == ("pack", "term_years")


@pytest.mark.parametrize("effect", ["deny", "review", "warn", "info"])
def test_every_effect(effect):
    assert parse(RULE.format(effect=effect)).decls[1].effect == effect


def test_literals():
    src = 'const A = 2024-02-29\nconst B = 08:30\nconst C = "x\\"y"\nconst D = -3\nconst E = {1, 2}\nconst F = [true, false]'
    values = [d.expr for d in parse(src).decls]
    assert values[0].value == dt.date(2024, 2, 29)
    assert values[1].value == dt.time(8, 30)
    assert values[2].value == 'x"y'
    assert values[3].value == -3
    assert isinstance(values[4], ast.SetLit) and len(values[4].items) == 2
    assert [i.value for i in values[5].items] == [True, False]


def test_precedence_and_quantifier_body():
    e = parse("const X = a or b and not c == 1").decls[0].expr
    assert isinstance(e, ast.BoolOp) and e.op == "or"
    assert isinstance(e.operands[1], ast.BoolOp) and e.operands[1].op == "and"
    q = parse("const X = not any h in hs: h.g == 1 and y").decls[0].expr
    # the quantifier's body is one comparison; `and y` belongs to the outer expression
    assert isinstance(q, ast.BoolOp) and isinstance(q.operands[0], ast.Not)
    assert isinstance(q.operands[0].operand, ast.Quant)


def test_value_decl_with_when():
    v = parse("fact f for registration, service_request = 1 when x is present").decls[0]
    assert v == ast.Value(True, "f", ("registration", "service_request"), v.expr, v.when, v.span)
    assert isinstance(v.when, ast.Test) and v.when.test == "present"
    assert parse("let g for registration = 2").decls[0].exported is False


def test_braces_escape_in_text():
    rule = parse(RULE.format(effect="deny").replace("A {pack.term_years}-year", "{{literal}}")).decls[1]
    assert rule.message["en"].parts == ("{literal} pack",)


def test_single_equals_gets_a_hint():
    e = error_of(RULE.format(effect="deny").replace("> LIMIT", "= LIMIT"))
    assert (e.file, e.line, e.column) == ("p.esp", 5, 29)
    assert "==" in e.hint
    assert "^" in str(e) and "p.esp:5:29" in str(e)


def test_misspelled_keyword_did_you_mean():
    e = error_of(RULE.format(effect="deny").replace("message ja", "mesage ja"))
    assert e.line == 9 and "did you mean `message`?" in e.hint


def test_single_quotes_hint():
    e = error_of("const X = 'a'")
    assert (e.line, e.column) == (1, 11) and "double quotes" in e.hint


def test_missing_faq_clause_is_named():
    e = error_of(RULE.format(effect="deny").replace("  faq Q6\n", ""))
    assert e.line == 3 and "FAQ reference" in str(e)


def test_missing_japanese_message():
    e = error_of(RULE.format(effect="deny").replace('  message ja "{pack.term_years}年"\n', ""))
    assert "Japanese message" in str(e)


def test_duplicate_clause():
    e = error_of(RULE.format(effect="deny").replace("faq Q6", "faq Q6\n  faq Q7"))
    assert e.line == 7 and "two `faq` clauses" in str(e)


def test_invalid_date_literal():
    e = error_of("const X = 2026-02-30")
    assert (e.line, e.column) == (1, 11) and "not a date" in str(e)


def test_unclosed_brace_in_text():
    e = error_of(RULE.format(effect="deny").replace('"A {pack.term_years}-year pack"', '"A {pack.term_years"'))
    assert e.line == 8 and "no closing `}`" in str(e)


def test_end_of_file_too_early():
    e = error_of("rule x {\n  for registration\n")
    assert e.line == 2 and "ends too early" in str(e)


def test_keywords_are_not_prefixes_of_names():
    # `letter`, `anyway`, `information` are names, not the keywords let/any/info
    e = parse("const X = letter + anyway + information").decls[0].expr
    assert isinstance(e, ast.Arith)
