"""The FAQ questions the service shows with findings are the titles the policy declares
(policy/references.esp), and those are the FAQ's own words, in both languages."""
from __future__ import annotations

import re

from espolicy.engine.policy import load_policy
from espolicy.serve.results import question_titles, result
from espolicy.sources import bundled_dir
from serving import REPO


def _declared() -> dict[str, dict[str, str]]:
    return {r.id: dict(r.title) for r in load_policy(bundled_dir("policy")).checked.references}


def test_english_questions_are_those_of_the_faq_page():
    text = (REPO / "docs" / "faq.md").read_text(encoding="utf-8")
    english = dict(re.findall(r"^\*\*(Q\d+)\. (.+?)\*\*$", text, re.M))
    assert {q: t["en"] for q, t in _declared().items()} == english


def test_japanese_questions_are_those_of_the_original_faq():
    lines = (REPO / "docs" / "ExpressSupportPackG2-FAQ.ja.txt").read_text(encoding="utf-8").splitlines()
    japanese = {}
    for i, line in enumerate(lines[:-1]):
        answer = re.fullmatch(r"A(\d+)", lines[i + 1].strip())
        if answer and line.startswith(f"Q{answer.group(1)}"):
            japanese[f"Q{answer.group(1)}"] = line[len(answer.group(1)) + 1:].strip()
    assert {q: t["ja"] for q, t in _declared().items()} == japanese
    assert len(japanese) == 17


def test_a_reference_the_policy_declares_is_shown_with_its_titles():
    """A policy's own reference (Q18 of the owner-rules example) is named like the FAQ's."""
    import datetime as _dt

    import yaml
    folder = REPO / "example-policies" / "owner-rules"
    policy = load_policy(folder)
    doc = yaml.safe_load((folder / "tests" / "rules.yaml").read_text(encoding="utf-8"))["documents"]["rack"]
    doc["pack"]["coverage"], doc["server"]["model"] = "24x365", "Express5800/T120h"
    report = policy.validate(doc, today=_dt.date(2026, 5, 11))
    assert result(report, None, question_titles(policy.checked, None))["questions"] == {
        "Q18": {"en": "24x365 packs are sold for rack models only", "ja": "24時間365日製品はラックモデル専用です"}}
    assert result(report, "ja", question_titles(policy.checked, "ja"))["questions"] == {"Q18": {"ja": "24時間365日製品はラックモデル専用です"}}
