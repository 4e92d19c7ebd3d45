"""Messages that teach: each common mistake of a policy owner gives a syntax error
at the right line and column, in words (not token names), with a hint that says how to fix it."""
from __future__ import annotations

import pytest

from espolicy.errors import PolicyError
from espolicy.lang.parser import parse

RULE = '''rule too-long {{
  for registration
  {effect}
  faq Q6
  at pack.term_years
  message en "A {{pack.term_years}}-year pack"
  message ja "{{pack.term_years}}年"
}}
'''
GOOD = RULE.format(effect="deny when pack.term_years > 5")


def error_of(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        parse(text, "p.esp")
    return info.value


# (name, source, line, column, words in the message, words in the hint)
CASES = [
    ("single = for ==", RULE.format(effect="deny when pack.term_years = 5"), 3, 29,
     "does not compare", "write `==`"),
    ("== in a constant", "const MAX_YEARS == 5\n", 1, 18, "single `=`", "const MAX_YEARS = 5"),
    ("misspelled when", RULE.format(effect="deny whne pack.term_years > 5"), 3, 8,
     "expected `when`", "did you mean `when`?"),
    ("missing when", RULE.format(effect="deny pack.term_years > 5"), 3, 8,
     "expected `when`", "deny when CONDITION"),
    ("misspelled effect", RULE.format(effect="denny when pack.term_years > 5"), 3, 3,
     "the rule's next clause", "did you mean `deny`?"),
    ("misspelled message", GOOD.replace("message en", "mesage en"), 6, 3,
     "the rule's next clause", "did you mean `message`?"),
    ("misspelled for", GOOD.replace("for registration", "fro registration"), 2, 3,
     "unexpected `fro`", "did you mean `for`?"),
    ("misspelled const", "cosnt MAX_YEARS = 5\n", 1, 1, "a declaration", "did you mean `const`?"),
    ("keyword in capitals", RULE.format(effect="deny when pack.term_years > 5 AND requests.periodic_maintenance"),
     3, 33, "unexpected `AND`", "lower case: `and`"),
    ("&& for and", RULE.format(effect="deny when pack.term_years > 5 && requests.periodic_maintenance"), 3, 33,
     "`&&` is not an operator", "write `and`"),
    ("|| for or", RULE.format(effect="deny when pack.term_years > 5 || requests.periodic_maintenance"), 3, 33,
     "`||` is not an operator", "write `or`"),
    ("! for not", RULE.format(effect="deny when !requests.periodic_maintenance"), 3, 13,
     "`!` is not an operator", "write `not`"),
    ("<> for !=", RULE.format(effect="deny when pack.term_years <> 5"), 3, 29, "`<>`", "`!=`"),
    ("missing closing quote", GOOD.replace('"A {pack.term_years}-year pack"', '"A {pack.term_years}-year pack'),
     6, 14, "no closing quote", 'end the text with `"`'),
    ("missing opening quote", GOOD.replace('"A {pack.term_years}-year pack"', 'A {pack.term_years}-year pack"'),
     6, 14, "a text in double quotes", "double quotes"),
    ("single quotes", RULE.format(effect="deny when pack.coverage == 'weekday'"), 3, 30,
     "double quotes", "double quotes"),
    ("faq without a question", GOOD.replace("faq Q6", "faq"), 4, 6, "names no FAQ question", "faq Q6"),
    ("faq with a bare number", GOOD.replace("faq Q6", "faq 6"), 4, 7, "not an FAQ reference", "write `Q6`"),
    ("faq with a lower-case q", GOOD.replace("faq Q6", "faq q6"), 4, 7, "not an FAQ reference", "write `Q6`"),
    ("missing faq clause", GOOD.replace("  faq Q6\n", ""), 1, 6, "missing an FAQ reference", "faq none"),
    ("missing language", GOOD.replace('message ja "', 'message "'), 7, 11, "language", 'message ja "…"'),
    ("wrong language", GOOD.replace("message ja", "message jp"), 7, 11, "language", 'message ja "…"'),
    ("missing } before the next rule", GOOD.rstrip().rstrip("}") + "\n" + GOOD.replace("too-long", "other"), 7, 34,
     "rule `too-long` (opened on line 1) has no closing `}` before `rule` on line 9", "add `}` after line 7"),
    ("missing } at the end", GOOD.rstrip().rstrip("}"), 7, 34, "ends too early", "add `}` after line 7"),
    ("missing } of a table", "table T {\n  a = 1\n\nconst X = 2\n", 2, 8, "table `T`", "add `}` after line 2"),
    ("missing {", "rule r\n  for registration\n}\n", 2, 3, "expected `{`", "between `{` and `}`"),
    ("bad rule id", GOOD.replace("rule too-long", "rule Too_Long"), 1, 6, "not a rule id", "too-long"),
    ("incomplete condition", RULE.format(effect="deny when pack.term_years >"), 3, 30,
     "expression before `faq` is incomplete", "finish the expression"),
    ("dangling and", RULE.format(effect="deny when pack.term_years > 5 and"), 3, 36,
     "expression before `faq` is incomplete", "finish the expression"),
    ("semicolon", "const X = 5;\n", 1, 12, "`;` is not needed", "remove the `;`"),
]


@pytest.mark.parametrize("name, source, line, column, message, hint", CASES, ids=[c[0] for c in CASES])
def test_common_mistakes_are_explained(name, source, line, column, message, hint):
    e = error_of(source)
    assert (e.line, e.column) == (line, column), str(e)
    assert message in str(e).splitlines()[0], str(e)
    assert e.hint and hint in e.hint, str(e)
    assert e.file == "p.esp"
    # the caret excerpt shows the line
    assert f"{line:>5} | " in str(e)


def test_expected_tokens_are_named_in_words_not_token_names():
    for source in (RULE.format(effect="deny when pack.term_years ? 5"), "rule r { for registration deny x }",
                   GOOD.replace("at pack.term_years", "at 5")):
        text = str(error_of(source))
        for token_name in ("COMP_OP", "TEXT_KIND", "RULE_ID", "LBRACE", "_WHEN", "$END", "VALUE_KW"):
            assert token_name not in text, text


def test_an_error_after_a_complete_expression_groups_what_could_follow():
    e = error_of(RULE.format(effect="deny when pack.term_years > 5 5"))
    first = str(e).splitlines()[0]
    assert "an operator (`==`, `<`" in first and "the rule's next clause" in first, first
    assert first.count("; ") == 1, first   # the groups are joined with "or", not a tail of leftovers


def test_comments_are_not_read_as_code_when_finding_where_the_brace_goes():
    src = GOOD.rstrip().rstrip("}") + "   # the end\n\n# next one\n" + GOOD.replace("too-long", "other")
    e = error_of(src)
    assert (e.line, e.column) == (7, 34), str(e)
