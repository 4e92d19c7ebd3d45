"""Type checker: field paths against the schemas, operand types, presence tests, did-you-mean."""
from __future__ import annotations

import pytest

from espolicy.errors import PolicyError


def rule(cond: str, kinds: str = "registration", effect: str = "deny", extra: str = "", msg: str = "m") -> str:
    return (f"rule r-1 {{\n  for {kinds}\n  {effect} when {cond}\n  faq Q1\n{extra}"
            f'  message en "{msg}"\n  message ja "{msg}"\n}}\n')


def error_of(make_policy, *texts: str) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        make_policy(*texts)
    return info.value


def test_valid_rule_compiles(make_policy):
    p = make_policy(rule('pack.term_years > 5 and pack.coverage == "weekday"'))
    assert [r.id for r in p.rules] == ["r-1"]


def test_unknown_field_did_you_mean(make_policy):
    e = error_of(make_policy, rule("pack.trem_years > 5"))
    assert (e.line, e.column) == (3, 13)
    assert "has no field `trem_years`" in str(e) and e.hint == "did you mean `term_years`?"


def test_unknown_root_name(make_policy):
    e = error_of(make_policy, rule("registraton_date > 2026-01-01"))
    assert e.hint == "did you mean `registration_date`?"


def test_field_of_another_kind_is_named(make_policy):
    e = error_of(make_policy, rule("requested_at is present"))
    assert "service_request" in str(e)


def test_date_versus_int_is_an_error(make_policy):
    e = error_of(make_policy, rule("registration_date > 5"))
    assert "date and number" in str(e) and e.column == 13


def test_arithmetic_on_dates_is_an_error(make_policy):
    e = error_of(make_policy, rule("registration_date + 1 == registration_date"))
    assert "works on numbers" in str(e) and "add_days" in e.hint


def test_enum_literal_typo(make_policy):
    e = error_of(make_policy, rule('pack.coverage == "wekday"'))
    assert '"wekday" is never a value here' in str(e) and e.hint == "did you mean `weekday`?"


def test_enum_literal_typo_in_set(make_policy):
    e = error_of(make_policy, rule('pack.generation in {"ESP", "ESP-G2"}'))
    assert "ESP-G2" in str(e) and e.hint == "did you mean `ESP_G2`?"


def test_optional_field_needs_presence_test(make_policy):
    e = error_of(make_policy, rule("registration.term_years > 3", kinds="service_request"))
    assert "may be absent" in str(e) and "registration is present" in e.hint


SERVICE = {"kind": "service_request", "id": "S-1", "requested_at": "2026-05-07T10:15:00+09:00",
           "server": {"serial": "4300123", "warranty_start": "2025-04-01", "warranty_years": 1},
           "service": {"type": "repair"}}
REGISTERED = {**SERVICE, "registration": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 4,
                                          "registered_on": "2025-04-20"}}


@pytest.mark.parametrize("cond, without, with_term_4", [
    ("registration is present and registration.term_years > 3", False, True),
    ("registration is absent or registration.term_years > 3", True, True),
    ("if registration is present then registration.term_years > 3 else false", False, True),
    ("registration is present and registration.term_years > 4", False, False),
])
def test_presence_test_narrows_in_and_or_and_if(make_policy, cond, without, with_term_4):
    """The narrowed condition type-checks, and judges a document with and without the field."""
    p = make_policy(rule(cond, kinds="service_request"))
    fired = [any(f.rule == "r-1" for f in p.validate(d).findings) for d in (SERVICE, REGISTERED)]
    assert fired == [without, with_term_4]


def test_equality_with_optional_is_allowed(make_policy):
    """Comparing an optional field with `==` needs no presence test: absent is simply not equal."""
    p = make_policy(rule('service.part == "ups_battery"', kinds="service_request"))
    part = {**SERVICE, "service": {"type": "repair", "part": "ups_battery"}}
    assert [any(f.rule == "r-1" for f in p.validate(d).findings) for d in (SERVICE, part)] == [False, True]


def test_presence_test_on_required_field(make_policy):
    e = error_of(make_policy, rule("pack is present"))
    assert "always present" in str(e)


def test_unknown_function_and_arity(make_policy):
    e = error_of(make_policy, rule("last_dya(registration_date, 3) > registration_date"))
    assert e.hint == "did you mean `last_day`?"
    e = error_of(make_policy, rule("last_day(registration_date) > registration_date"))
    assert "takes 2 argument(s)" in str(e)


def test_builtin_argument_types(make_policy):
    e = error_of(make_policy, rule("last_day(pack.term_years, 3) > registration_date"))
    assert "argument 1 of `last_day` must be date" in str(e)


def test_condition_must_be_boolean(make_policy):
    e = error_of(make_policy, rule("pack.term_years"))
    assert "must be true/false" in str(e)


def test_interpolated_name_is_checked(make_policy):
    e = error_of(make_policy, rule("pack.term_years > 5", msg="{pack.term_yeers}"))
    assert e.line == 5 and e.hint == "did you mean `term_years`?"


def test_at_path_is_checked(make_policy):
    e = error_of(make_policy, rule("pack.term_years > 5", extra="  at pack.terms\n"))
    assert "no such field" in str(e) and e.hint == "did you mean `term_years`?"


def test_each_binds_list_items(make_policy):
    p = make_policy(rule('h.generation == "ESP"', extra="  each h in history\n  at h.generation\n"))
    assert p.rules[0].each[0] == "h"
    e = error_of(make_policy, rule("h.generation == 1", extra="  each h in history\n"))
    assert "compares" in str(e)


def test_outcome_only_in_warn_and_info(make_policy):
    make_policy(rule('outcome == "allow"', effect="info"))
    e = error_of(make_policy, rule('outcome == "allow"', effect="deny"))
    assert "only by warn and info" in str(e)


def test_fact_cycle(make_policy):
    e = error_of(make_policy, "fact a for registration = b + 1\nfact b for registration = a + 1\n")
    assert "depends on itself" in str(e)


def test_fact_shadowing_a_field(make_policy):
    e = error_of(make_policy, "fact pack for registration = 1\n")
    assert "already a field" in str(e)


def test_unknown_kind(make_policy):
    e = error_of(make_policy, rule("true", kinds="registratoin"))
    assert e.hint == "did you mean `registration`?"


def test_an_undeclared_reference_is_an_error_at_the_citation(make_policy):
    e = error_of(make_policy, rule("true").replace("faq Q1", "faq Q1, Q18"))
    assert e.diagnostics[0].code == "unknown-faq" and (e.line, e.column) == (4, 11)
    assert "`Q18` is not a declared reference" in str(e) and "reference Q18 {" in e.hint


def test_a_declared_reference_may_be_cited(make_policy):
    declared = 'reference Q18 {\n  title en "Eighteen"\n  title ja "十八"\n  url "https://example.com/faq#q18"\n}\n'
    p = make_policy(rule("true").replace("faq Q1", "faq Q18"), declared)
    assert p.checked.reference("Q18").title == {"en": "Eighteen", "ja": "十八"}
    assert p.checked.reference("Q18").url == "https://example.com/faq#q18"


def test_a_reference_declared_twice(make_policy):
    declared = 'reference Q1 {\n  title en "x"\n  title ja "x"\n}\n'
    e = error_of(make_policy, rule("true"), declared)
    assert e.diagnostics[0].code == "duplicate-reference"


def test_duplicate_rule_ids(make_policy):
    e = error_of(make_policy, rule("true"), rule("false"))
    assert "used twice" in str(e)


def test_optional_fact_needs_test(make_policy):
    src = "fact f for registration = registration_date when pack.term_years > 3\n"
    e = error_of(make_policy, src + rule("f > registration_date"))
    assert "may be absent" in str(e)
    make_policy(src + rule("f is present and f > registration_date"))


def test_type_test_narrows_union(make_policy):
    make_policy(rule('change.to is number and change.to > 5', kinds="change_request"))
    e = error_of(make_policy, rule('change.to > 5', kinds="change_request"))
    assert "may be absent" in str(e) or "orders" in str(e)


def test_all_errors_are_reported_at_once(make_policy):
    e = error_of(make_policy, rule("pack.a > 1") + rule("pack.b > 1").replace("r-1", "r-2"))
    assert len(e.diagnostics) == 2


def test_type_test_narrows_the_other_branch_too(make_policy):
    make_policy(rule("change.to is present and (if change.to is number then change.to > 5 "
                     "else number_in(change.to) == 6)", kinds="change_request"))
    e = error_of(make_policy, rule("change.to is present and number_in(change.to) == 6", kinds="change_request"))
    assert "argument 1 of `number_in` must be text" in str(e)


def test_each_list_is_checked_once(make_policy):
    e = error_of(make_policy, rule("h.generation == pack.generation", extra="  each h in histroy\n"))
    unknown = [d for d in e.diagnostics if d.code == "unknown-name"]
    assert len(unknown) == 1 and len(e.diagnostics) == 1
    assert unknown[0].hint == "did you mean `history`?"
