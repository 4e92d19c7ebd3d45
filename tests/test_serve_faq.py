"""The FAQ questions the service shows with findings are the FAQ's own words, in both languages."""
from __future__ import annotations

import json
import re
from importlib import resources

from serving import REPO


def _shipped() -> dict[str, dict[str, str]]:
    return json.loads(resources.files("espolicy.serve").joinpath("faq.json").read_text(encoding="utf-8"))


def test_english_questions_are_those_of_the_faq_page():
    text = (REPO / "docs" / "faq.md").read_text(encoding="utf-8")
    english = dict(re.findall(r"^\*\*(Q\d+)\. (.+?)\*\*$", text, re.M))
    assert {q: t["en"] for q, t in _shipped().items()} == english


def test_japanese_questions_are_those_of_the_original_faq():
    lines = (REPO / "docs" / "ExpressSupportPackG2-FAQ.ja.txt").read_text(encoding="utf-8").splitlines()
    japanese = {}
    for i, line in enumerate(lines[:-1]):
        answer = re.fullmatch(r"A(\d+)", lines[i + 1].strip())
        if answer and line.startswith(f"Q{answer.group(1)}"):
            japanese[f"Q{answer.group(1)}"] = line[len(answer.group(1)) + 1:].strip()
    assert {q: t["ja"] for q, t in _shipped().items()} == japanese
    assert len(japanese) == 17
