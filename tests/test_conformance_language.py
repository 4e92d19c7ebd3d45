"""The language conformance corpus (tests/conformance/language/*.yaml): each case is a policy snippet
and a document, with the value of fact `v`, the rules that fire, or the diagnostic expected at
line:col, or the warning `check` gives (`warning: CODE L:C WORDS`: the code at line:col, its message
holding WORDS; `warning: none`). Every value case runs through both evaluators, the compiled one and
the tracing one."""
from __future__ import annotations

import copy
import datetime as _dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from espolicy.documents.schema import normalize
from espolicy.engine.lint import lint
from espolicy.engine.policy import Policy
from espolicy.errors import PolicyError
from espolicy.lang.fmt import format_source
from espolicy.lang.trace import plain, trace_document
from espolicy.report import fact_value

CORPUS = Path(__file__).parent / "conformance" / "language"
BASES = yaml.safe_load((CORPUS / "documents.yaml").read_text(encoding="utf-8"))
CASE_KEYS = {"name", "policy", "kind", "document", "value", "fired", "message", "error", "today", "files", "warning"}


def _cases() -> list[Any]:
    out = []
    for path in sorted(CORPUS.glob("*.yaml")):
        if path.name == "documents.yaml":
            continue
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            out.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return out


def _merge(base: Any, change: Any) -> Any:
    if isinstance(base, dict) and isinstance(change, dict):
        out = dict(base)
        for k, v in change.items():
            if v is None:
                out.pop(k, None)
            else:
                out[k] = _merge(base.get(k), v)
        return out
    return change


def _expected(value: Any) -> Any:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return fact_value(value)
    if isinstance(value, list):
        return [_expected(v) for v in value]
    return value


def _validate(policy: Policy, doc: dict[str, Any], today: _dt.date | None) -> Any:
    if today is None:
        return policy.validate(doc)
    return policy.validate(doc, today=today)


@pytest.mark.parametrize("case", _cases())
def test_case(case: dict[str, Any], schemas: Any, tmp_path: Path) -> None:
    assert set(case) <= CASE_KEYS, f"unknown keys {set(case) - CASE_KEYS}"
    assert sum(k in case for k in ("value", "fired", "message", "error")) >= 1
    for rel, text in (case.get("files") or {}).items():  # data files beside the rule file
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, dict):   # `{bytes: N}`: a file of N bytes (sparse: nothing is written)
            with open(tmp_path / rel, "wb") as f:
                f.truncate(text["bytes"])
        else:
            (tmp_path / rel).write_text(text, encoding="utf-8")
    file = str(tmp_path / "case.esp") if case.get("files") else "case.esp"
    if "error" in case:
        code, _, where = str(case["error"]).partition(" ")
        with pytest.raises(PolicyError) as info:
            Policy([(file, case["policy"])], schemas=schemas)
        got = [(d.code, f"{d.span.line}:{d.span.column}" if d.span else "") for d in info.value.diagnostics]
        assert (code, where) in got, got
        return
    policy = Policy([(file, case["policy"])], schemas=schemas)
    if "warning" in case:   # what `check` says of a policy that loads: the checker's and the linter's warnings
        warnings = [d for d in lint(policy.checked) if d.code != "faq-not-cited"]
        if case["warning"] == "none":
            assert warnings == [], [d.render() for d in warnings]
        else:
            code, where, words = (str(case["warning"]).split(" ", 2) + [""])[:3]
            got = [(d.code, f"{d.span.line}:{d.span.column}" if d.span else "") for d in warnings]
            assert (code, where) in got, got
            assert all(w in d.message for d in warnings if d.code == code for w in words.split())
    again = format_source(case["policy"], "case.esp")  # fmt keeps the meaning (it checks) and is stable
    assert format_source(again, "case.esp") == again
    kind = case.get("kind", "registration")
    doc = _merge(copy.deepcopy(BASES[kind]), case.get("document") or {})
    today = case.get("today")
    report = _validate(policy, doc, today)
    assert report.outcome != "invalid", report.to_dict() if hasattr(report, "to_dict") else report
    trace = trace_document(policy.checked, policy.schemas.decode(normalize(doc)), **({"today": today} if today else {}))
    if "value" in case:
        want = _expected(case["value"])
        compiled = report.facts.get("v")
        traced = next(plain(v.value) for v in trace.values if v.decl.name == "v")
        assert compiled == want, f"compiled: {compiled!r}"
        assert traced == want, f"traced: {traced!r}"
    if "fired" in case:
        assert [f.rule for f in report.findings] == case["fired"]
        assert [rid for rid, _ in trace.fired] == case["fired"]
    if "message" in case:  # the first finding's texts, by language, from both evaluators
        traced = next(i for rt in trace.rules for i in rt.instances if i.fired)
        for lang, text in case["message"].items():
            assert report.findings[0].message[lang] == text
            assert traced.message is not None and traced.message[lang] == text
