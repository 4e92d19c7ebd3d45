"""Compiler: generated Python is inert with respect to policy text; semantics of the operators."""
from __future__ import annotations

import ast as pyast
import re

from espolicy.lang.compile import program_sources

HOSTILE = "\"); __import__('os').system('x') #"
REG = {
    "kind": "registration", "id": "REG-1", "registration_date": "2026-04-10",
    "server": {"model": "R120h", "serial": "4300123", "warranty_start": "2025-04-01", "warranty_years": 1},
    "pack": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3, "purchase_date": "2026-04-01"},
}


def rule(cond: str, msg: str = "m", rid: str = "r-1", effect: str = "deny") -> str:
    return (f"rule {rid} {{\n  for registration\n  {effect} when {cond}\n  faq Q1\n"
            f"  message en \"{msg}\"\n  message ja \"{msg}\"\n}}\n")


def string_constants(source: str) -> set[str]:
    return {n.value for n in pyast.walk(pyast.parse(source)) if isinstance(n, pyast.Constant) and isinstance(n.value, str)}


def test_hostile_strings_stay_literals(make_policy, monkeypatch):
    escaped = HOSTILE.replace("\\", "\\\\").replace('"', '\\"')
    p = make_policy(f'const EVIL = "{escaped}"\n' + rule(f'server.model != "{escaped}" or EVIL == "x"',
                                                          msg=escaped))
    calls = []
    monkeypatch.setattr("os.system", lambda *a: calls.append(a))
    r = p.validate(REG)
    assert calls == []
    assert r.findings[0].message["en"] == HOSTILE
    src = program_sources(p.programs)
    assert HOSTILE in string_constants(src)
    # the only call-like use of __import__ is inside string constants
    code_only = re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "''", src)
    assert "__import__" not in code_only and "system" not in code_only


def test_dunder_like_names_are_prefixed(make_policy):
    p = make_policy("const __class__ = 3\n" + rule("pack.term_years == __class__"))
    assert p.validate(REG).outcome == "deny"
    assert "c___class__" in program_sources(p.programs)


def test_every_policy_string_is_a_literal_in_bundled_policy(policy):
    src = program_sources(policy.programs)
    consts = string_constants(src)
    for r in policy.rules:
        for text in list(r.message.values()) + list(r.advice.values()):
            for part in text.parts:
                if isinstance(part, str):
                    assert part in consts


def test_operators(make_policy):
    cases = {
        "1 + 2 * 3 == 7": True,
        "-(2) - 3 == -5": True,
        "pack.term_years in {3, 4, 5}": True,
        "pack.term_years not in [3]": False,
        '(if pack.term_years > 3 then "a" else "b") == "b"': True,
        "days_between(server.warranty_start, registration_date) == 374": True,
        "last_day(server.warranty_start, 3) == 2028-03-31": True,
        "add_days(registration_date, -10) == 2026-03-31": True,
        "count(history) == 0": True,
        "all h in history: h.term_years > 100": True,
        "any h in history: h.term_years > 0": False,
        "max(1, 2) == 2 and min(1, 2) == 1": True,
        'weekday(registration_date) == "Friday"': True,
        'holiday_name(2026-05-04) == "みどりの日"': True,
        "is_holiday(2026-09-22) and not is_holiday(2026-09-24)": True,
        "next_business_day(2026-05-02) == 2026-05-07": True,
    }
    rules = "".join(rule(c, rid=f"case-{i}") for i, c in enumerate(cases))
    p = make_policy(rules)
    fired = {f.rule for f in p.validate(REG).findings}
    for i, (cond, want) in enumerate(cases.items()):
        assert (f"case-{i}" in fired) == want, cond


def test_interpolation_renders_values(make_policy):
    p = make_policy(rule("true", msg="{registration_date} {pack.term_years} {08:30} {true} {[1, 2]}"))
    assert p.validate(REG).findings[0].message["en"] == "Fri 10 Apr 2026 3 08:30 true 1, 2"


def test_each_rule_fires_per_element_with_pointer(make_policy):
    src = ("rule per-entry {\n  for registration\n  each h in history\n  deny when h.term_years > 3\n"
           "  faq Q6\n  at h.term_years\n  message en \"{h.term_years}\"\n  message ja \"x\"\n}\n")
    p = make_policy(src)
    doc = dict(REG, history=[{"generation": "ESP_G2", "term_years": t, "registered_on": "2020-01-01"} for t in (5, 2, 4)])
    r = p.validate(doc)
    assert [(f.path, f.message["en"]) for f in r.findings] == [("/history/0/term_years", "5"),
                                                              ("/history/2/term_years", "4")]


def test_facts_exported_lets_not(make_policy):
    p = make_policy("fact a for registration = 1\nlet b for registration = 2\n"
                    "fact c for registration = registration_date when false\n")
    assert p.validate(REG).facts == {"a": 1}


def test_outcome_rules_see_phase_one(make_policy):
    p = make_policy(rule("pack.term_years == 3", rid="d-1", effect="review") +
                    rule('outcome == "review"', rid="i-1", effect="info"))
    assert [f.rule for f in p.validate(REG).findings] == ["d-1", "i-1"]
