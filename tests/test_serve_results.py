"""A service result against the command line's report of the same document: the same findings at
the same lines and columns, in the same key order, for every case of the bundled policy's tests,
written as JSON (one line, and indented) and as YAML."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import espolicy
from espolicy.engine.batch import judge, report_of
from espolicy.engine.policytest import Case, find_test_files, load_cases
from espolicy.limits import DEFAULT_LIMITS
from espolicy.serve import body as bodies
from espolicy.serve.results import question_titles, result
from espolicy.sources import bundled_dir

CASES: list[Case] = [case for f in find_test_files(bundled_dir("policy")) for case in load_cases(Path(f))]


def _texts(doc: object) -> dict[str, tuple[str, str]]:
    plain = json.loads(json.dumps(doc, default=str))
    return {"json": (json.dumps(plain, ensure_ascii=False), "json"),
            "indented": (json.dumps(plain, ensure_ascii=False, indent=2), "json"),
            "yaml": (yaml.safe_dump(plain, allow_unicode=True, sort_keys=False), "yaml")}


def _expected(policy: espolicy.Policy, loaded: object, lang: str | None, case: Case) -> dict[str, object]:
    """What the service answered before it wrote findings straight from the judgement: the command
    line's placed report, then the language and the cited references."""
    report = judge(policy, bodies.SOURCE, loaded, today=case.today)  # type: ignore[arg-type]
    out = report.to_dict()
    if lang is not None:
        for f in out["findings"]:
            for part in ("message", "advice"):
                if f[part] is not None:
                    f[part] = {lang: f[part].get(lang) or f[part].get("en", "")}
    titles = question_titles(policy.checked, lang)
    out["questions"] = {q: titles[q] for f in report.findings for q in f.faq if q in titles}
    return out


@pytest.mark.parametrize("case", CASES[::4], ids=[f"{Path(c.file).name}:{c.line}" for c in CASES[::4]])
def test_the_service_result_is_the_placed_report(case: Case) -> None:
    policy = espolicy.default_policy()
    for name, (text, fmt) in _texts(case.document).items():
        loaded = bodies.one_document(text, fmt, DEFAULT_LIMITS)
        for lang in (None, "en", "ja"):
            report = report_of(policy, loaded, None, case.today)
            got = result(report, lang, question_titles(policy.checked, lang), loaded)
            want = _expected(policy, loaded, lang, case)
            assert json.dumps(got, ensure_ascii=False, default=str) == json.dumps(want, ensure_ascii=False, default=str), \
                (name, lang)
            assert all("line" in f for f in got["findings"] if f["path"]), (name, lang)
