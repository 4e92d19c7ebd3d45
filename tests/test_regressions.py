"""Regressions: each example here once made espolicy wrong, slow or crash. The first ones
were found by the independent oracle (tests/test_oracle.py), the others by the hostile-input tests
and the fuzzers. Each test names what was wrong and where it was fixed.
"""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest

import espolicy
from espolicy.errors import PolicyError
from espolicy.engine.policy import Policy
from espolicy.sources import bundled_dir
from espolicy.documents.loader import load_text
from espolicy.documents.schema import SchemaSet

import oracle

SCHEMAS = SchemaSet.load(bundled_dir("schemas"))


def agree(doc: dict) -> espolicy.Report:
    """The report, after checking that it matches the oracle's verdict."""
    report = espolicy.validate(doc)
    verdict = oracle.judge(doc)
    assert report.outcome == verdict.outcome, (report.to_dict(), verdict)
    if report.outcome != "invalid":
        assert {(f.effect, tuple(sorted(f.faq))) for f in report.findings} == set(verdict.findings)
        facts = json.loads(json.dumps(report.facts, ensure_ascii=False))
        assert {k: v for k, v in facts.items() if k in oracle.CONTRACT_FACTS[doc["kind"]]} == verdict.facts
    return report


def quick(action, seconds: float = 5.0):
    started = time.perf_counter()
    result = action()
    assert time.perf_counter() - started < seconds
    return result


# ---------------------------------------------------------------- found by the oracle

def test_a_request_before_the_warranty_start_is_not_covered_by_the_pack() -> None:
    """The pack was registered (2009-12-22) before the server's warranty start (2010-01-01), and the
    request came in between. The service period starts at the warranty start (contract §2), so the
    pack does not cover it: `route` was `pack`, `covered_now` true and a Q3 warning was given.
    Fixed in policy/service_request.esp (`pack_active` requires `request_day >= server.warranty_start`)."""
    doc = {"kind": "service_request", "id": "SRV-1", "requested_at": "2009-12-22T08:28:59+09:00",
           "server": {"serial": "4300123", "warranty_start": "2010-01-01", "warranty_years": 1},
           "registration": {"generation": "ESP", "coverage": "weekday", "term_years": 3,
                            "registered_on": "2009-12-22"},
           "service": {"type": "repair"}}
    report = agree(doc)
    assert report.facts["route"] == "spot" and report.facts["covered_now"] is False
    assert not [f for f in report.findings if "Q3" in f.faq]
    doc["requested_at"] = "2009-12-22T08:30:00+09:00"
    assert agree(doc).facts["route"] == "spot"
    doc["requested_at"] = "2010-01-01T08:30:00+09:00"   # the first day of the period: covered (a holiday)
    report = agree(doc)
    assert report.facts["route"] == "pack" and report.facts["covered_now"] is True


@pytest.mark.parametrize("to", ["999999999999", "12345678901 years", "1" + "0" * 30, "０" * 25 + "７"])
def test_a_term_change_to_a_number_of_many_digits_is_past_five_years(to: str) -> None:
    """`number_in` read at most 9 digits: "999999999999" asked for no term at all, so Q6 (past five
    years from the warranty start) was not cited. Fixed in espolicy/builtins.py (`_number_in`)."""
    doc = {"kind": "change_request", "id": "CHG-1", "request_date": "2014-01-01",
           "change": {"type": "term", "to": to},
           "registration": {"generation": "ESP", "coverage": "weekday", "term_years": 3, "server_serial": "4300123",
                            "warranty_start": "2000-02-29", "registered_on": "2000-02-29"}}
    report = agree(doc)
    faqs = {q for f in report.findings for q in f.faq}
    assert "Q8" in faqs and "Q6" in faqs
    assert oracle.term_past_five_years(to, dt.date(2000, 2, 29))


def test_a_serial_with_a_trailing_newline_is_invalid() -> None:
    """The schema pattern `^[A-Za-z0-9-]{1,32}$` ran with Python's `$`, which also matches before a
    final newline: "4300123\\n" passed as a serial. JSON Schema patterns are ECMA-262, where `$` is
    the end of the text. Fixed in espolicy/schema.py (`pattern_regex`, used by both checkers)."""
    doc = {"kind": "registration", "id": "REG-1", "registration_date": "2009-11-02",
           "server": {"model": "Express5800/R120h-1M", "serial": "4300123\n", "warranty_start": "2010-01-01",
                      "warranty_years": 1},
           "pack": {"generation": "ESP", "coverage": "weekday", "term_years": 3, "purchase_date": "2009-09-23"},
           "requests": {}}
    report = agree(doc)
    assert [f.rule for f in report.findings] == ["schema-pattern"]
    assert report.findings[0].path == "/server/serial"


# ---------------------------------------------------------------- found by the hostile documents

def test_ten_thousand_nested_yaml_flow_lists_are_refused_at_once() -> None:
    """PyYAML's scanner is quadratic in the nesting of flow collections: 10,000 `[` took 19 s before
    the parser gave up. Fixed in espolicy/loader.py: the composer stops past `Limits.max_depth` (64)."""
    [loaded] = quick(lambda: list(load_text("[" * 10_000 + "]" * 10_000, "f", "yaml")), 2)
    assert "nested more than 64 levels" in loaded.problem.message["en"]


def test_a_large_yaml_string_is_scanned_by_libyaml() -> None:
    """A 50 MB string took the pure-Python YAML scanner 161 s; libyaml's parser (when installed)
    scans it in a fraction of a second. Fixed in espolicy/loader.py (`_CSafeLoader`), and files over
    `Limits.max_bytes` (16 MiB) are refused unread."""
    import yaml
    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("libyaml is not installed")
    text = 'kind: registration\nid: "' + "x" * (8 * 1024 * 1024) + '"\n'
    [loaded] = quick(lambda: list(load_text(text, "f", "yaml")), 5)
    assert loaded.problem is None and len(loaded.doc["id"]) == 8 * 1024 * 1024


def test_a_sexagesimal_yaml_integer_is_refused_before_it_is_built() -> None:
    """YAML 1.1 reads `1:1:1:…` as a base-60 integer; PyYAML builds it in quadratic time (a 16 MiB
    one would take hours). Fixed in espolicy/loader.py (`construct_bounded_int`)."""
    [loaded] = quick(lambda: list(load_text("id: 1" + ":1" * 200_000 + "\n", "f", "yaml")), 2)
    assert "a number has 400001 characters" in loaded.problem.message["en"]


def test_json_1e999_is_a_parse_error_not_infinity() -> None:
    """`1e999` parsed to `inf`, which then read as "a decimal number (inf)" in a schema error.
    Fixed in espolicy/loader.py (`parse_float`)."""
    [loaded] = load_text('{"id": 1e999}', "f", "json")
    assert loaded.problem.rule == "parse-error" and "`1e999` is too large" in loaded.problem.message["en"]


def test_json_integer_of_thousands_of_digits_has_a_clear_message() -> None:
    """The message was Python's own ("… use sys.set_int_max_str_digits() to increase the limit").
    Fixed in espolicy/loader.py (`_json_unreadable_number`)."""
    [loaded] = load_text('{"id": ' + "1" * 5000 + "}", "f", "json")
    assert loaded.problem.message["en"] == "line 1, column 8: a number has 5000 digits, more than the 4300 " \
                                           "a number may have"


def test_a_lone_surrogate_escape_is_a_parse_error_not_a_crash_of_the_run(tmp_path, capfd) -> None:
    """`{"id": "\\ud800"}` is JSON syntax, but the lone surrogate reached the report, and writing it to a
    UTF-8 stdout raised UnicodeEncodeError in every output format: the whole run ended with a
    traceback. Fixed in espolicy/loader.py (`_lone_surrogate`: a `parse-error` naming where it is)."""
    [loaded] = load_text('{"kind": "registration", "id": "\\ud800"}', "f", "json")
    assert loaded.problem.rule == "parse-error"
    assert "/id holds \\ud800" in loaded.problem.message["en"]


# ---------------------------------------------------------------- found by the hostile policies

RULE = 'rule r {{\n  for registration\n  deny when {}\n  faq none\n  message en "x"\n  message ja "y"\n}}\n'


@pytest.mark.parametrize("condition, escaped", [
    ("if true then " * 600 + "true" + " else false" * 600, "lark VisitError (RecursionError)"),
    ("not " * 250 + "true", "SyntaxError: too many nested parentheses (compile)"),
    ("count(" + "[" * 250 + "1" + "]" * 250 + ") > 0", "RecursionError (checker)"),
])
def test_deep_expressions_are_policy_errors(condition: str, escaped: str) -> None:
    """These raised `escaped` instead of a PolicyError. Fixed in espolicy/parser.py: expressions nest
    at most `MAX_EXPRESSION_DEPTH` (64) levels, checked before anything recurses."""
    with pytest.raises(PolicyError) as info:
        quick(lambda: Policy([("p.esp", RULE.format(condition))], schemas=SCHEMAS))
    assert info.value.diagnostics[0].code == "too-deep"


@pytest.mark.parametrize("const", ["const D = add_days(2026-01-01, 999999999999999999)",
                                   "const D = last_day(2026-01-01, -1)"])
def test_constants_that_cannot_be_computed_are_policy_errors(const: str) -> None:
    """OverflowError / ValueError escaped from `load_policy`. Fixed in espolicy/compile.py: each
    constant is computed on its own, a failure being a `bad-constant` PolicyError at its line."""
    with pytest.raises(PolicyError) as info:
        Policy([("p.esp", const + "\n" + RULE.format("true"))], schemas=SCHEMAS)
    assert (info.value.diagnostics[0].code, info.value.line) == ("bad-constant", 1)


def test_constants_squared_in_a_chain_do_not_hang() -> None:
    """`const A1 = A0 * A0`, `const A2 = A1 * A1`, … doubles the digits at each step: 40 steps never
    finished. Fixed in espolicy/compile.py (`_mul`: products beyond MAX_PRODUCT_BITS raise)."""
    chain = "const A0 = 999999999999999999\n" + "".join(f"const A{i} = A{i - 1} * A{i - 1}\n" for i in range(1, 40))
    with pytest.raises(PolicyError) as info:
        quick(lambda: Policy([("p.esp", chain + RULE.format("true"))], schemas=SCHEMAS))
    assert info.value.diagnostics[0].code == "bad-constant"
