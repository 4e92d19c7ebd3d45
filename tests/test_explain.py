"""`espolicy explain` and its tracing evaluator: per rule whether it applied,
each sub-condition with its value and its operands' values, whether it fired; facts and lets with
how they were computed. A differential test keeps the tracer in agreement with the compiled code."""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings

import espolicy
from strategies import documents
from espolicy.commands import main as cli
from espolicy.documents.normalize import normalize
from espolicy.lang.trace import trace_document

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def traced(doc):
    policy = espolicy.default_policy()
    return trace_document(policy.checked, policy.schemas.decode(normalize(doc)))


# ---------------------------------------------------------------- the tracer agrees with the compiled code

@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_tracer_agrees_with_compiled_policy(doc):
    policy = espolicy.default_policy()
    report = policy.validate(doc)
    assert report.outcome != "invalid"
    t = traced(doc)
    assert t.outcome == report.outcome
    assert [rule for rule, _ in t.fired] == [f.rule for f in report.findings]
    # the messages the tracer renders are the compiled ones
    rendered = [(rt.rule.id, inst.message, inst.advice) for rt in t.rules for inst in rt.instances if inst.fired]
    by_rule = {}
    for rule, message, advice in rendered:
        by_rule.setdefault(rule, []).append((message, advice))
    for f in report.findings:
        assert (f.message, f.advice) in by_rule[f.rule]
    # exported facts equal
    values = {v.decl.name: v.value for v in t.values if v.decl.exported and v.value is not None}
    assert set(values) == set(report.facts)


def test_short_circuit_parts_are_not_evaluated():
    doc = {"kind": "service_request", "id": "S", "requested_at": "2026-05-07T10:15:00+09:00",
           "server": {"serial": "1", "warranty_start": "2025-04-01", "warranty_years": 1},
           "service": {"type": "repair"}}
    t = traced(doc)
    rt = next(r for r in t.rules if r.rule.id == "no-registration-yet")
    cond = rt.instances[0].condition
    absent, before = cond.children
    assert absent.evaluated and absent.value is True
    assert not before.evaluated  # `request_day < registration.registered_on` would fail without a registration


def test_rules_for_other_kinds_do_not_apply():
    doc = json.loads((EXAMPLES / "service-batch.jsonl").read_text(encoding="utf-8").splitlines()[0])
    t = traced(doc)
    assert {r.rule.id for r in t.rules if r.applies} == {r.id for r in espolicy.default_policy().rules
                                                         if "service_request" in r.kinds}
    assert all(not r.instances for r in t.rules if not r.applies)


# ---------------------------------------------------------------- the command

def test_text_explains_rules_conditions_values_and_facts(capsys):
    code, out, err = run(capsys, "explain", str(EXAMPLES / "registration-mixed-generations.yaml"))
    assert code == 0, err
    assert "registration  → DENY" in out.splitlines()[0]
    # a fact, its expression and the values it was computed from
    assert "fact service_last_day = 2028-04-30" in out
    assert "← last_day(server.warranty_start, pack.term_years)" in out
    assert "from server.warranty_start = 2023-05-01, pack.term_years = 5" in out
    # a fired rule with its `each` entry, the condition with operand values, the message
    assert "✓ mixed-generations  deny [Q10, Q11]  FIRED" in out
    assert '✓ entry.generation != pack.generation   — "ESP" != "ESP_G2"' in out
    assert "→ /history/0/generation: This server was registered with ESP on Mon 22 May 2023" in out
    # sub-conditions of `and`: one evaluated, one skipped
    assert "✗ pack.term_years not in G2_TERMS   — 5 not in {3, 4, 5}" in out
    assert "· registration_date <= service_last_day   (not evaluated" in out
    # the outcome of the deny rules, read by an info rule
    assert '✗ outcome == "allow"   — "deny" == "allow"' in out
    assert "outcome: deny (fired: mixed-generations)" in out


def test_quantifier_shows_each_entry(capsys, tmp_path):
    doc = tmp_path / "d.json"
    doc.write_text(json.dumps({
        "kind": "registration", "id": "R", "registration_date": "2026-04-10",
        "server": {"model": "m", "serial": "1", "warranty_start": "2026-03-16", "warranty_years": 1},
        "pack": {"generation": "ESP", "coverage": "weekday", "term_years": 3, "purchase_date": "2026-03-16"},
        "history": [{"generation": "ESP_G2", "term_years": 3, "registered_on": "2026-03-20"},
                    {"generation": "ESP", "term_years": 3, "registered_on": "2026-03-21"}]}), encoding="utf-8")
    code, out, _ = run(capsys, "explain", str(doc), "--rule", "esp-for-earlier-product")
    assert code == 0
    assert "✗ not any entry in history: entry.generation == \"ESP\"" in out
    assert "✓ any entry in history: entry.generation == \"ESP\"   — 2 entries in history" in out
    assert '✗ [entry = {generation: "ESP_G2", term_years: 3, registered_on: 2026-03-20} (#0)]' in out
    assert '✓ [entry = {generation: "ESP", term_years: 3, registered_on: 2026-03-21} (#1)]' in out
    # --rule shows only that rule, and only the facts it reads (none here)
    assert "✓ mixed-generations" not in out and "fact " not in out


def test_rule_filter_keeps_the_facts_and_lets_the_rule_reads(capsys):
    code, out, _ = run(capsys, "explain", str(EXAMPLES / "service-saturday.yaml"), "--rule", "outside-weekday-hours")
    assert code == 0
    for name in ("route", "weekday_plan", "in_weekday_hours", "request_day", "request_time", "pack_active",
                 "next_service_window"):
        assert f" {name} = " in out, name
    assert "holiday = " not in out and "covered_now" not in out
    assert "✓ outside-weekday-hours  warn [Q3]  FIRED" in out
    assert "advice: The request is accepted and handled from Mon 11 May 2026, 08:30" in out


def test_let_with_false_when_is_absent(capsys):
    code, out, _ = run(capsys, "explain", str(EXAMPLES / "change-site.yaml"))
    assert code == 0
    assert "let  term_asked = absent" in out
    assert 'when change.type == "term" and change.to is text   — false: absent' in out


def test_unknown_rule_is_exit_2_with_did_you_mean(capsys):
    code, out, err = run(capsys, "explain", str(EXAMPLES / "registration-ok.yaml"), "--rule", "mixed-generation")
    assert code == 2 and out == ""
    assert "no rule `mixed-generation`" in err and "did you mean `mixed-generations`?" in err


def test_invalid_document_is_exit_1(capsys):
    code, out, _ = run(capsys, "explain", str(EXAMPLES / "registration-typo.yaml"))
    assert code == 1 and "INVALID" in out


def test_missing_document_is_exit_2(capsys):
    code, _, err = run(capsys, "explain", "no-such-file.yaml")
    assert code == 2 and "no such file" in err


def test_json_has_steps_values_and_facts(capsys):
    code, out, _ = run(capsys, "explain", "--format", "json", str(EXAMPLES / "registrations-multi.yaml"))
    assert code == 0
    data = json.loads(out)
    assert data["policy"]["digest"].startswith("sha256:")
    docs = data["documents"]
    assert [d["outcome"] for d in docs] == [espolicy.validate(d0).outcome for d0 in _multi()]
    first = docs[0]
    assert first["kind"] == "registration"
    fact = next(v for v in first["values"] if v["name"] == "service_last_day")
    assert fact["expr"] == "last_day(server.warranty_start, pack.term_years)" and fact["exported"] is True
    assert set(fact["inputs"]) == {"server.warranty_start", "pack.term_years"}
    rule = next(r for r in first["rules"] if r["rule"] == "g2-term-not-in-catalogue")
    steps = rule["instances"][0]["steps"]
    assert steps["expr"] == 'pack.generation == "ESP_G2" and pack.term_years not in G2_TERMS'
    assert [c["expr"] for c in steps["children"]] == ['pack.generation == "ESP_G2"', "pack.term_years not in G2_TERMS"]
    other = next(r for r in first["rules"] if r["rule"] == "no-registration-yet")
    assert other["applies"] is False and other["instances"] == []


def _multi():
    import yaml
    return list(yaml.safe_load_all((EXAMPLES / "registrations-multi.yaml").read_text(encoding="utf-8")))


def test_japanese_messages(capsys):
    code, out, _ = run(capsys, "explain", "--lang", "ja", str(EXAMPLES / "registration-mixed-generations.yaml"))
    assert code == 0 and "混在して使用することはできません" in out
