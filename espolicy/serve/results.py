"""The §3 result a response carries: a report's dictionary, in one language when asked, with the
titles of the references its findings cite."""
from __future__ import annotations

from typing import Any, Mapping

from espolicy.documents.loader import Loaded
from espolicy.documents.positions import place_dicts
from espolicy.lang.typecheck import CheckedPolicy
from espolicy.report import Report


def result(report: Report, lang: str | None, titles: Mapping[str, dict[str, str]],
           loaded: Loaded | None = None) -> dict[str, Any]:
    """The §3 result of a report; with `lang`, messages and advice only in that language; with the
    references its findings cite, by the titles the policy declares (`titles`:
    `question_titles(checked, lang)`); findings placed in `loaded`."""
    out = report.to_dict()
    if loaded is not None:
        place_dicts(out["findings"], loaded.positions, loaded.doc)
    if lang is not None:
        for f in out["findings"]:
            for part in ("message", "advice"):
                if f[part] is not None:
                    f[part] = {lang: f[part].get(lang) or f[part].get("en", "")}
    out["questions"] = {q: titles[q] for f in out["findings"] for q in f["faq"] if q in titles}
    return out


def question_titles(checked: CheckedPolicy, lang: str | None) -> dict[str, dict[str, str]]:
    """Each reference the policy declares → its title, in `lang` only when one is given."""
    return {r.id: _text(r.title, lang) for r in checked.references}


def _text(text: Mapping[str, str], lang: str | None) -> dict[str, str]:
    return dict(text) if lang is None else {lang: text.get(lang) or text["en"]}
