"""`espolicy check`: every error and lint of a broken policy at its file:line:col
with a hint; exit 0 clean, 1 warnings, 2 errors; JSON for editors. The bundled policy is clean."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from espolicy.commands import main as cli
from espolicy.engine.lint import analyse
from espolicy.sources import bundled_dir

ALL_FAQ = "faq Q1, Q2, Q3, Q4, Q5, Q6, Q7, Q8, Q9, Q10, Q11, Q12, Q13, Q14, Q15, Q16, Q17"

BASE = f"""policy "test policy"
const MAX_YEARS = 5

rule everything {{
  for registration
  deny when pack.term_years > MAX_YEARS
  {ALL_FAQ}
  at pack.term_years
  message en "too long: {{pack.term_years}}"
  message ja "長すぎます"
}}
"""


REFERENCES = (bundled_dir("policy") / "references.esp").read_text(encoding="utf-8")


def policy_dir(tmp_path: Path, *texts: str) -> Path:
    """A policy folder with the texts as f0.esp, f1.esp …, and the bundled references (Q1–Q17)."""
    d = tmp_path / "policy"
    d.mkdir(exist_ok=True)
    for i, text in enumerate(texts):
        (d / f"f{i}.esp").write_text(text, encoding="utf-8")
    (d / "references.esp").write_text(REFERENCES, encoding="utf-8")
    return d


def diags(tmp_path: Path, *texts: str):
    return analyse(policy_dir(tmp_path, *texts)).diagnostics


def only(ds, code):
    found = [d for d in ds if d.code == code]
    assert len(found) == 1, [d.render() for d in ds]
    return found[0]


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---- the bundled policy

def test_bundled_policy_has_no_diagnostics(capsys):
    assert analyse().diagnostics == []
    code, out, err = run(capsys, "check")
    assert code == 0 and err == "" and out.startswith("ok: ")
    code, out, _ = run(capsys, "check", "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["diagnostics"] == []


def test_a_clean_policy_is_clean(tmp_path):
    assert diags(tmp_path, BASE) == []


# ---- errors (exit 2): parser and type checker, all files at once

def test_errors_of_several_files_are_all_reported(tmp_path, capsys):
    bad1 = BASE.replace("pack.term_years > MAX_YEARS", "pack.term_years = MAX_YEARS")
    bad2 = "const X = \n"
    d = policy_dir(tmp_path, bad1, bad2)
    code, _, err = run(capsys, "check", "--policy", str(d))
    assert code == 2
    assert "f0.esp:6:29: error[syntax]" in err and "f1.esp:" in err
    assert "2 errors, 0 warnings" in err


@pytest.mark.parametrize("change, code, line, column, hint", [
    # unknown field, with "did you mean"
    (("pack.term_years > MAX_YEARS", "server.warranty_strat > registration_date"), "unknown-field", 6, 13,
     "did you mean `warranty_start`?"),
    # interpolated name that does not exist
    (("too long: {pack.term_years}", "too long: {pack.term_yaers}"), "unknown-field", 9, 26,
     "did you mean `term_years`?"),
    # a rule whose kinds have no field it reads
    (("for registration", "for registration, service_request"), "unknown-name", 6, 13,
     "limit the rule to those kinds"),
    # a value compared with an enumerated field that can never hold it
    (("pack.term_years > MAX_YEARS", 'pack.coverage == "wekday"'), "not-in-enum", 6, 30, "did you mean `weekday`?"),
    # an FAQ question that does not exist
    (("Q17", "Q17, Q18"), "unknown-faq", 7, 83, "reference Q18 {"),
])
def test_type_errors_point_at_the_mistake(tmp_path, change, code, line, column, hint):
    ds = diags(tmp_path, BASE.replace(*change))
    d = [d for d in ds if d.code == code][0]  # the first, by position
    assert d.severity == "error"
    assert (d.span.line, d.span.column) == (line, column), d.render()
    if hint:
        assert hint in d.hint, d.render()


def test_duplicate_rule_id_is_an_error(tmp_path):
    second = BASE.split("\n", 2)[2].replace("const MAX_YEARS = 5\n", "")
    d = only(diags(tmp_path, BASE, second), "duplicate-rule")
    assert d.span.file.endswith("f1.esp") and "first at" in d.message and d.hint


def test_advice_without_japanese_is_an_error(tmp_path):
    d = only(diags(tmp_path, BASE.replace('  message ja "長すぎます"\n', '  message ja "長すぎます"\n  advice en "x"\n')),
             "missing-clause")
    assert "advice without its `ja` text" in d.message and "advice ja" in d.hint


def test_missing_japanese_message_is_an_error(tmp_path):
    d = only(diags(tmp_path, BASE.replace('  message ja "長すぎます"\n', "")), "missing-clause")
    assert "Japanese message" in d.message and (d.span.line, d.span.column) == (4, 6)


# ---- lints (exit 1)

def test_unused_constant_and_table(tmp_path):
    text = BASE + 'const UNUSED = 3\ntable CONTACT {\n  tel = "0"\n}\n'
    ds = diags(tmp_path, text)
    codes = sorted((d.code, d.span.line, d.span.column) for d in ds)
    assert codes == [("unused-constant", 12, 7), ("unused-constant", 13, 7)], [d.render() for d in ds]
    assert all(d.severity == "warning" and d.hint for d in ds)


def test_constant_used_only_by_another_constant_or_in_a_message_is_used(tmp_path):
    text = BASE.replace("const MAX_YEARS = 5", "const BASE_YEARS = 5\nconst MAX_YEARS = BASE_YEARS") \
        .replace("長すぎます", "長すぎます {CENTER.tel}") + 'table CENTER {\n  tel = "0"\n}\n'
    assert diags(tmp_path, text) == []


def test_unused_let_and_facts_are_never_unused(tmp_path):
    text = BASE + ("let spare for registration = pack.term_years + 1\n"
                   "let half for registration, service_request = 1\n"
                   "fact exported for registration = pack.term_years\n")
    text = text.replace("too long: {pack.term_years}", "too long: {pack.term_years} {half}")
    ds = diags(tmp_path, text)
    spare = [d for d in ds if "`spare`" in d.message]
    half = [d for d in ds if "`half`" in d.message]
    assert len(spare) == 1 and spare[0].code == "unused-let" and (spare[0].span.line, spare[0].span.column) == (12, 5)
    assert len(half) == 1 and "service_request" in half[0].message
    assert not any("exported" in d.message for d in ds)


def test_faq_questions_no_rule_cites(tmp_path):
    d = only(diags(tmp_path, BASE.replace(ALL_FAQ, "faq Q6")), "faq-not-cited")
    assert "Q1, Q2, Q3, Q4, Q5, Q7" in d.message and "Q6" not in d.message.replace("Q16", "")
    # at the declaration of the first (the policy declares them: references.esp beside the rules)
    assert d.span.file.endswith("references.esp") and "faq Q1" in d.hint
    line = REFERENCES.splitlines()[d.span.line - 1]
    assert line.startswith("reference Q1 ") and line[d.span.column - 1:d.span.end_column - 1] == "Q1"


@pytest.mark.parametrize("condition, truth, column", [
    ("MAX_YEARS > 3", "always true", 13),
    ("MAX_YEARS + 1 == 7", "always false", 13),
    ("5 in {3, 4, 5}", "always true", 13),
    ("pack.term_years > 9 and MAX_YEARS > 9", "always false", 13),   # false whatever the field
    ("pack.term_years > 9 or MAX_YEARS < 9", "always true", 13),
])
def test_constant_condition(tmp_path, condition, truth, column):
    d = only(diags(tmp_path, BASE.replace("pack.term_years > MAX_YEARS", condition)), "constant-condition")
    assert truth in d.message and (d.span.line, d.span.column) == (6, column), d.render()
    assert "MAX_YEARS = 5" in d.message or "MAX_YEARS" not in condition
    assert "does not depend on the document" in d.hint


def test_constant_part_of_a_condition(tmp_path):
    ds = diags(tmp_path, BASE.replace("pack.term_years > MAX_YEARS", "pack.term_years > 2 and MAX_YEARS >= 3"))
    d = only(ds, "constant-condition")
    assert d.message.startswith("`MAX_YEARS >= 3` is always true") and (d.span.line, d.span.column) == (6, 37)


def test_condition_reading_a_quantifier_variable_is_not_constant(tmp_path):
    text = BASE.replace("pack.term_years > MAX_YEARS", 'any h in history: h.term_years > MAX_YEARS')
    assert [d for d in diags(tmp_path, text) if d.code == "constant-condition"] == []


def test_constant_when_of_a_fact(tmp_path):
    text = BASE + "fact f for registration = pack.term_years when MAX_YEARS == 5\n"
    d = only(diags(tmp_path, text), "constant-condition")
    assert "the `when` of `f` is always true" in d.message


def test_rule_without_at(tmp_path):
    d = only(diags(tmp_path, BASE.replace("  at pack.term_years\n", "")), "no-at")
    assert (d.span.line, d.span.column) == (4, 6) and "at FIELD" in d.hint


def test_each_over_a_document_list_needs_no_at(tmp_path):
    text = BASE.replace("  at pack.term_years\n", "").replace("for registration\n", "for registration\n  each h in history\n")
    text = text.replace("pack.term_years > MAX_YEARS", "h.term_years > MAX_YEARS")
    assert [d for d in diags(tmp_path, text) if d.code == "no-at"] == []


# ---- the command: exit codes, text and JSON

def test_warnings_exit_1_with_caret_and_hint(tmp_path, capsys):
    d = policy_dir(tmp_path, BASE + "const UNUSED = 3\n")
    code, out, err = run(capsys, "check", "--policy", str(d))
    assert code == 1
    assert "f0.esp:12:7: warning[unused-constant]: constant `UNUSED` is never used" in err
    assert "   12 | const UNUSED = 3\n      |       ^^^^^^" in err
    assert "help: " in err
    assert out.startswith("0 errors, 1 warning: 1 rule in 2 files")


def test_json_for_editors(tmp_path, capsys):
    d = policy_dir(tmp_path, BASE + "const UNUSED = 3\n")
    code, out, _ = run(capsys, "check", "--policy", str(d), "--format", "json")
    assert code == 1
    (item,) = json.loads(out)["diagnostics"]
    assert item["severity"] == "warning" and item["code"] == "unused-constant"
    assert (item["line"], item["column"]) == (12, 7) and item["file"].endswith("f0.esp")
    assert (item["end_line"], item["end_column"]) == (12, 13)  # the span of `UNUSED`, for an editor's squiggle
    assert item["hint"] and item["message"]
    d2 = policy_dir(tmp_path, "rule {\n")
    code, out, _ = run(capsys, "check", "--policy", str(d2), "--format", "json")
    report = json.loads(out)
    assert code == 2 and report["diagnostics"][0]["severity"] == "error"
    assert report["rules"] == [] and report["references"] == {}  # nothing is listed from a policy that does not check


def test_json_lists_the_rules_with_their_metadata(tmp_path, capsys):
    """Every rule with its kinds, effect, references, title, tags, owner and place; the references it
    cites with their declared titles; a rule without metadata has null title and owner."""
    meta = BASE.replace("rule everything {\n", 'rule everything {\n  title en "All of it"\n  title ja "全部"\n'
                        '  tags "limits", "catalogue"\n  owner "support-products"\n')
    plain = """rule plain {
  for change_request
  warn when true
  faq Q4
  at request_date
  message en "m"
  message ja "m"
}
"""
    d = policy_dir(tmp_path, meta, plain)
    code, out, _ = run(capsys, "check", "--policy", str(d), "--format", "json")
    report = json.loads(out)
    assert code == 1 and [x["code"] for x in report["diagnostics"]] == ["constant-condition"]
    assert report["policy"]["name"] == "test policy" and report["policy"]["digest"].startswith("sha256:")
    everything, second = report["rules"]
    assert everything == {"id": "everything", "kinds": ["registration"], "effect": "deny",
                          "faq": [f"Q{i}" for i in range(1, 18)], "title": {"en": "All of it", "ja": "全部"},
                          "tags": ["limits", "catalogue"], "owner": "support-products",
                          "file": str(d / "f0.esp"), "line": 4}
    assert second == {"id": "plain", "kinds": ["change_request"], "effect": "warn", "faq": ["Q4"], "title": None,
                      "tags": [], "owner": None, "file": str(d / "f1.esp"), "line": 1}
    assert list(report["references"]) == [f"Q{i}" for i in range(1, 18)]
    assert report["references"]["Q4"]["ja"].startswith("登録内容")


def test_json_names_the_declared_titles_of_new_references(tmp_path, capsys):
    """A reference the policy declares is listed with its titles and url; one no rule cites is not."""
    text = BASE.replace("Q17", "Q17, Q18") + """
reference Q18 {
  title en "Rack models only"
  title ja "ラックモデルのみ"
  url "https://example.com/q18"
}
"""
    d = policy_dir(tmp_path, text)
    code, out, _ = run(capsys, "check", "--policy", str(d), "--format", "json")
    assert code == 0
    refs = json.loads(out)["references"]
    assert refs["Q18"] == {"en": "Rack models only", "ja": "ラックモデルのみ", "url": "https://example.com/q18"}
    assert list(refs)[-2:] == ["Q17", "Q18"]


def test_missing_policy_folder_is_exit_2(tmp_path, capsys):
    code, _, err = run(capsys, "check", "--policy", str(tmp_path / "nope"))
    assert code == 2 and "does not exist" in err
