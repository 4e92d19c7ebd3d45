"""Schema patterns are ECMA-262 (JSON Schema's dialect), matched alike by both checkers."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from espolicy.documents.formats import pattern_regex
from espolicy.documents.schema import SchemaFileError, SchemaSet


@pytest.mark.parametrize("pattern, text, matches", [
    (r"^\d{7}$", "4300123", True),
    (r"^\d{7}$", "４３００１２３", False),          # fullwidth digits are not \d in ECMA-262
    (r"^\d{3}$", "١٢٣", False),                     # nor Arabic-Indic ones
    (r"^\d{7}$", "4300123\n", False),               # `$` is the end of the text only
    (r"^[0-9]+$", "12\n", False),
    (r"^\w+$", "abc_1", True),
    (r"^\w+$", "abcé", False),                      # \w is ASCII
    (r"^a\sb$", "a\u3000b", True),                  # \s includes Unicode spaces
    (r"^a.b$", "a\nb", False),                      # `.` stops at line terminators
    (r"^a.b$", "a\u2028b", False),
    (r"x", "yxy", True),                            # not anchored: a search
])
def test_patterns_have_their_ecma_262_meaning(pattern: str, text: str, matches: bool) -> None:
    assert pattern_regex(pattern).search(text) is matches


@given(st.text())
def test_digit_class_is_exactly_ascii_digits(text: str) -> None:
    expected = len(text) > 0 and all(c in "0123456789" for c in text)
    assert pattern_regex(r"^\d+$").search(text) is expected


def test_a_text_that_is_not_unicode_does_not_match() -> None:
    assert pattern_regex(r"^\d$").search("\ud800") is False


def schema_with(pattern: str) -> dict:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "properties": {"kind": {"const": "k"}, "code": {"type": "string", "pattern": pattern}}}


@pytest.mark.parametrize("text, valid", [("123", True), ("١٢٣", False), ("123\n", False)])
def test_both_checkers_use_the_ecma_meaning(text: str, valid: bool) -> None:
    schemas = SchemaSet({"k": schema_with(r"^\d{3}$")})
    doc = {"kind": "k", "code": text}
    assert (schemas.check(doc) == []) is valid               # jsonschema, with our pattern keyword
    assert (schemas.check_and_decode(doc)[0] == []) is valid  # the compiled fast path first


def test_a_pattern_that_is_not_ecma_262_is_refused_when_the_schemas_load() -> None:
    with pytest.raises(SchemaFileError, match="pattern"):
        SchemaSet({"k": schema_with(r"(?P<name>x)")})
