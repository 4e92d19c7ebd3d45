"""Laws of the error reports: carets stand under the character they mean, whatever its width; the
parser reports one error per broken declaration and none for the others; a glued keyword is
always an error."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wcwidth import wcswidth

from espolicy.errors import PolicyError, Span, diagnostic
from espolicy.lang.parser import parse

TEXT = st.text(alphabet=st.sampled_from("ab 1{}期間年ｱｲ한글éñ"), max_size=30)


@given(TEXT, st.text(alphabet="xyz", min_size=1, max_size=5), TEXT)
def test_the_caret_stands_under_the_span_by_display_width(before: str, marked: str, after: str) -> None:
    line = before + marked + after
    col = len(before) + 1
    d = diagnostic("x", "m", Span("f", 1, col, 1, col + len(marked)), line, "h")
    source_row, caret_row = d.excerpt().splitlines()
    prefix = len("    1 | ")
    assert source_row[prefix:] == line
    carets = caret_row[prefix:]
    assert carets.lstrip(" ") == "^" * len(marked)
    assert len(carets) - len(marked) == wcswidth(before)


GOOD = [
    "const A{i} = {i}\n",
    'rule r-{i} {{\n  for registration\n  deny when pack.term_years > {i}\n  faq Q6\n  at pack.term_years\n'
    '  message en "x"\n  message ja "x"\n}}\n',
    "let l{i} for registration = pack.term_years + {i}\n",
]
BAD = [
    "const B{i} == {i}\n",
    'rule b-{i} {{\n  for registration\n  deny when pack.term_years = {i}\n  faq Q6\n  message en "x"\n'
    '  message ja "x"\n}}\n',
    "let m{i} for registration = days_between(pack.purchase_date, registration_date\n",
    'rule c-{i} {{\n  for registration\n  deny when pack.term_years && {i}\n  faq Q6\n  message en "x"\n'
    '  message ja "x"\n}}\n',
    "const D{i} = [1, 2\n",
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 4)), min_size=1, max_size=8))
def test_one_error_per_broken_declaration(plan: list[tuple[bool, int]]) -> None:
    parts, broken_lines = [], []
    line = 1
    for i, (bad, which) in enumerate(plan):
        text = (BAD[which % len(BAD)] if bad else GOOD[which % len(GOOD)]).format(i=i)
        if bad:
            broken_lines.append((line, line + text.count("\n")))
        parts.append(text + "\n")
        line += text.count("\n") + 1
    source = "".join(parts)
    if not broken_lines:
        parse(source, "p.esp")
        return
    with pytest.raises(PolicyError) as e:
        parse(source, "p.esp")
    lines = [d.span.line for d in e.value.diagnostics if d.span]
    assert len(lines) == len(broken_lines), e.value
    for (first, last), got in zip(broken_lines, lines):
        assert first <= got <= last


# (where a name may stand, `notx` is a name like any other: only keywords where no name can stand)
@given(st.sampled_from(["for", "each", "when", "and", "or", "in"]),
       st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8))
def test_a_keyword_run_into_a_name_is_an_error(keyword: str, name: str) -> None:
    rule = {
        "for": f"  for{name}\n  deny when pack.term_years > 3\n",
        "each": f"  for registration\n  each{name} in history\n  deny when pack.term_years > 3\n",
        "when": f"  for registration\n  deny when{name} > 3\n",
        "and": f"  for registration\n  deny when pack.term_years > 3 and{name}\n",
        "or": f"  for registration\n  deny when pack.term_years > 3 or{name}\n",
        "in": f"  for registration\n  deny when pack.term_years in{name}\n",
    }[keyword]
    source = f'rule r {{\n{rule}  faq Q6\n  message en "x"\n  message ja "x"\n}}\n'
    try:
        parse(source, "p.esp")
    except PolicyError as e:
        assert any(f"{keyword}{name}" in d.message or f"`{keyword}" in d.message or d.code == "syntax"
                   for d in e.diagnostics), e
        assert all(d.hint for d in e.diagnostics), e
    else:
        raise AssertionError(f"`{keyword}{name}` was accepted:\n{source}")
