"""The `espolicy` Pygments lexer: it reads every bundled rule file without an error token, gives each
construct its token type, gives back its input whatever it is, and is found through its entry point."""
from __future__ import annotations

import importlib
import importlib.metadata
import tomllib
from pathlib import Path

from hypothesis import given, settings, strategies as st
from pygments.token import Error, Keyword, Literal, Name, Number, Operator, String, Token

from espolicy.lang.highlight import EspolicyLexer, html_snippet
from espolicy.sources import bundled_dir

REPO = Path(__file__).resolve().parent.parent


def _tokens(text: str) -> list[tuple[object, str]]:
    return [(t, v) for t, v in EspolicyLexer().get_tokens(text) if v.strip()]


def test_bundled_rule_files_have_no_error_token() -> None:
    for path in sorted(bundled_dir("policy").glob("*.esp")):
        text = path.read_text(encoding="utf-8")
        tokens = list(EspolicyLexer(stripnl=False).get_tokens(text))
        assert [v for t, v in tokens if t in Error] == [], path.name
        assert "".join(v for _, v in tokens) == text


def test_each_construct_has_its_token() -> None:
    text = ('rule g2-term { for registration\n  deny when pack.term_years > MAX_YEARS and last_day(d, 3) >= 2026-04-01\n'
            '  faq Q6\n  message en "at most {MAX_YEARS} years \\"x\\" {{y}}"\n}\n')
    got = _tokens(text)
    assert (Keyword.Declaration, "rule") in got and (Name.Function, "g2-term") in got
    assert (Keyword.Reserved, "deny") in got and (Keyword, "when") in got
    assert (Name.Constant, "MAX_YEARS") in got and (Operator.Word, "and") in got
    assert (Name.Function, "last_day") in got and (Number.Integer, "3") in got
    assert (Literal.Date, "2026-04-01") in got and (Name.Label, "Q6") in got
    assert (String.Interpol, "{") in got and (String.Escape, '\\"') in got and (String.Escape, "{{") in got
    interpolated = [t for t, v in got if v == "MAX_YEARS"]
    assert interpolated == [Name.Constant, Name.Constant]  # in the condition and inside the text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('rule faq deny when "{}\\#.=<>-+*(),:Q1 2026-01-01 08:30 x_Y\n年')), max_size=120))
def test_any_text_comes_back_whole(text: str) -> None:
    tokens = list(EspolicyLexer(stripnl=False).get_tokens(text))
    out = "".join(v for _, v in tokens)
    assert out == text if text.endswith("\n") else out == text + "\n"  # Pygments ends the last line
    assert all(t in Token for t, _ in tokens)


def test_the_entry_point_names_the_lexer() -> None:
    """Declared in pyproject.toml; where espolicy is installed, Pygments finds it by name."""
    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    target = declared["project"]["entry-points"]["pygments.lexers"]["espolicy"]
    module, _, attribute = target.partition(":")
    assert getattr(importlib.import_module(module), attribute) is EspolicyLexer
    installed = [e for e in importlib.metadata.entry_points(group="pygments.lexers") if e.name == "espolicy"]
    if installed:  # an installed espolicy (CI installs the package): Pygments finds the lexer by name
        from pygments.lexers import find_lexer_class_by_name, get_lexer_for_filename
        assert installed[0].value == target
        assert find_lexer_class_by_name("espolicy").name == "espolicy"
        assert get_lexer_for_filename("registration.esp").name == "espolicy"


def test_doc_html_highlights_rule_code() -> None:
    from espolicy.engine.policy import load_policy
    from espolicy.output.catalogue import html_page
    policy = load_policy()
    page = html_page(policy.checked, policy.info())
    assert '<code class="esp">' in page and ".esp .kd" in page  # highlighted, with its colours
    assert html_snippet("MAX_YEARS") in page
    assert '<span class="ow">and</span>' in page  # the operator of some rule's condition
