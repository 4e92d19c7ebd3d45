"""Fuzzing with Hypothesis: the parser, the whole policy pipeline, the loader and `validate`.

- the parser, on arbitrary text and on token soup, raises nothing but `PolicyError`;
- a bundled rule file with one random edit (a slice deleted, duplicated or moved, a token
  inserted or replaced) loads to a `PolicyError` or a working policy that judges documents;
- the loader, on arbitrary text in each format and on arbitrary bytes in files, raises nothing
  and every document it yields is either a value or a problem;
- `validate`, on valid documents with one field replaced by a random JSON value, returns a report
  (never raises) that prints as JSON, with an error finding whenever it is invalid.

The coverage-guided counterparts (atheris) are in fuzz/, run by hand (fuzz/README.md).
"""
from __future__ import annotations

import json
import os
import string
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import espolicy
from espolicy.errors import PolicyError
from espolicy.engine.policy import Policy
from espolicy.sources import bundled_dir, read_sources
from espolicy.documents.loader import Loaded, iter_documents, load_text
from espolicy.lang.parser import parse
from espolicy.effects import OUTCOMES
from espolicy.documents.schema import SchemaSet

import strategies

# ESPOLICY_FUZZ_SCALE=50 runs fifty times as many examples (a longer campaign by hand; CI runs 1).
SCALE = max(1, int(os.environ.get("ESPOLICY_FUZZ_SCALE", "1")))


def examples(n: int) -> settings:
    return settings(max_examples=n * SCALE, deadline=None, suppress_health_check=list(HealthCheck))


FAST = examples(300)


@pytest.fixture(autouse=True, scope="module")
def no_policy_cache() -> Iterator[None]:
    """The policies built here are thrown away: keep them out of the compiled-policy cache (and make
    every one go through the parser and checker)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ESPOLICY_CACHE_DIR", "off")
        yield
SCHEMAS = SchemaSet.load(bundled_dir("schemas"))
SOURCES = read_sources(bundled_dir("policy"))

TOKENS = ["rule", "r-1", "{", "}", "for", "registration", "service_request", "change_request", "deny", "review",
          "warn", "info", "when", "and", "or", "not", "in", "is", "present", "absent", "number", "text", "(", ")",
          "[", "]", ",", ".", ":", "==", "!=", "<", "<=", ">", "+", "-", "*", "=", '"x"', '"{pack.term_years}"',
          '"{', "1", "18", "999999999999999999", "2026-02-29", "2024-02-29", "08:30", "24:00", "true", "false",
          "faq", "Q1", "Q17", "none", "message", "advice", "en", "ja", "at", "each", "h", "history", "pack",
          "term_years", "server", "warranty_start", "const", "C", "table", "T", "fact", "let", "f", "policy",
          "if", "then", "else", "any", "all", "last_day", "add_days", "count", "max", "outcome", "\n", "#", "'",
          "\\", "__import__", "exec"]
DOCS = [
    {"kind": "registration", "id": "R", "registration_date": "2026-04-10",
     "server": {"model": "m", "serial": "1", "warranty_start": "2026-03-16", "warranty_years": 1},
     "pack": {"generation": "ESP", "coverage": "weekday", "term_years": 3, "purchase_date": "2026-03-16"},
     "history": [{"generation": "ESP_G2", "term_years": 3, "registered_on": "2021-05-01"}],
     "requests": {"periodic_maintenance": True}},
    {"kind": "service_request", "id": "S", "requested_at": "2026-05-04T18:15:00+09:00",
     "server": {"serial": "1", "warranty_start": "2025-04-01", "warranty_years": 1},
     "registration": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3, "registered_on": "2025-04-20"},
     "service": {"type": "repair", "part": "ups_battery"}},
    {"kind": "change_request", "id": "C", "request_date": "2026-05-02", "change": {"type": "site", "to": "x"},
     "registration": {"generation": "ESP_G2", "coverage": "24x365", "term_years": 3, "server_serial": "1",
                      "warranty_start": "2025-04-01", "registered_on": "2025-04-20"}},
]


# ---------------------------------------------------------------- the parser

@FAST
@given(st.text(max_size=400))
def test_parser_on_arbitrary_text_raises_only_policy_errors(text: str) -> None:
    try:
        parse(text, "fuzz.esp")
    except PolicyError as e:
        assert e.diagnostics and str(e)


@FAST
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map(" ".join))
def test_parser_and_checker_on_token_soup_raise_only_policy_errors(text: str) -> None:
    try:
        Policy([("fuzz.esp", text)], schemas=SCHEMAS)
    except PolicyError as e:
        assert e.diagnostics and str(e)


@st.composite
def edited_policies(draw: st.DrawFn) -> list[tuple[str, str]]:
    """The bundled rule files, one of them with one random edit."""
    index = draw(st.integers(0, len(SOURCES) - 1))
    name, text = SOURCES[index]
    a = draw(st.integers(0, len(text)))
    b = draw(st.integers(a, min(len(text), a + draw(st.sampled_from([1, 2, 5, 20, 200])))))
    edit = draw(st.sampled_from(["delete", "duplicate", "move", "insert", "replace", "swap-case"]))
    if edit == "delete":
        text = text[:a] + text[b:]
    elif edit == "duplicate":
        text = text[:b] + text[a:b] + text[b:]
    elif edit == "move":
        c = draw(st.integers(0, len(text)))
        piece, rest = text[a:b], text[:a] + text[b:]
        c = min(c, len(rest))
        text = rest[:c] + piece + rest[c:]
    elif edit == "insert":
        text = text[:a] + " " + draw(st.sampled_from(TOKENS)) + " " + text[a:]
    elif edit == "replace":
        text = text[:a] + draw(st.sampled_from(TOKENS + list(string.printable))) + text[b:]
    else:
        text = text[:a] + text[a:b].swapcase() + text[b:]
    return [*SOURCES[:index], (name, text), *SOURCES[index + 1:]]


@examples(400)
@given(edited_policies())
def test_an_edited_bundled_policy_is_a_policy_error_or_a_working_policy(sources: list[tuple[str, str]]) -> None:
    try:
        policy = Policy(sources, schemas=SCHEMAS)
    except PolicyError as e:
        assert e.diagnostics and e.file is not None or e.diagnostics[0].span is None
        return
    for doc in DOCS:
        report = policy.validate(doc)
        assert report.outcome in OUTCOMES
        json.dumps(report.to_dict(), ensure_ascii=False, allow_nan=False)


# ---------------------------------------------------------------- the loader

YAMLISH = st.lists(st.sampled_from(["a", ":", " ", "\n", "- ", "&x", "*x", "!!str", "!!python/name:os.system",
                                    "[", "]", "{", "}", ",", '"', "'", "---", "...", "\t", "#", "<<", "?", "|",
                                    ">", "1e999", "0x1F", "1:2:3", "2024-02-29", ".inf", "~", "\ufeff", "%YAML 1.1"]),
                   max_size=80).map("".join)
JSONISH = st.lists(st.sampled_from(['{', '}', '[', ']', ',', ':', '"k"', '"k"', '1', '-0', '1e999', 'NaN', 'true',
                                    'null', ' ', '\n', '"\\u00e9"', '"\\ud800"', '9' * 30]), max_size=80).map("".join)


def well_formed(items: list[Loaded], source: str) -> None:
    assert items, "a source always gives at least one result"
    for item in items:
        assert isinstance(item, Loaded)
        assert item.source == source or item.source.startswith(source + ":")
        assert (item.problem is None) or (item.doc is None and item.problem.effect == "error")
        if item.problem is not None:
            assert item.problem.message["en"] and item.problem.message["ja"]


@FAST
@given(st.one_of(st.text(max_size=300), YAMLISH, JSONISH), st.sampled_from(["yaml", "json", "jsonl"]))
def test_load_text_never_raises(text: str, fmt: str) -> None:
    well_formed(list(load_text(text, "f", fmt)), "f")


@examples(200)
@given(st.one_of(st.binary(max_size=300), YAMLISH.map(lambda t: t.encode("utf-8", "surrogatepass")),
                 JSONISH.map(str.encode)),
       st.sampled_from([".yaml", ".json", ".jsonl", ".txt"]))
def test_files_of_arbitrary_bytes_never_raise(tmp_path_factory: pytest.TempPathFactory, data: bytes,
                                              suffix: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / f"f{suffix}"
    path.write_bytes(data)
    items = list(iter_documents(str(path)))
    well_formed(items, str(path))
    for item in items:   # whatever was read, judging it never raises either
        if item.problem is None:
            assert espolicy.validate(item.doc).outcome in OUTCOMES


# ---------------------------------------------------------------- validate

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    | st.sampled_from(["", "2026-02-29", "2026-02-30", "ESP", "weekday", "24x365", "repair", "ups_battery",
                       "2026-05-04T10:15:00+09:00", "9999-12-31", "0001-01-01", "9999-12-31T23:59:59-23:59"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


@st.composite
def near_valid(draw: st.DrawFn) -> dict[str, Any]:
    """A valid document of any kind with one value (or key) replaced by a random JSON value."""
    doc = draw(st.sampled_from([strategies.registrations(), strategies.service_requests(),
                                strategies.change_requests()]).flatmap(lambda s: s))
    doc = json.loads(json.dumps(doc))
    path = draw(st.sampled_from(strategies.paths(doc)))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if isinstance(parent, dict) and draw(st.integers(0, 4)) == 0:
        parent[draw(st.text(max_size=12))] = draw(JSON_VALUES)
    else:
        parent[path[-1]] = draw(JSON_VALUES)
    return doc


@examples(1500)
@given(near_valid())
def test_validate_never_raises_on_near_valid_documents(doc: dict[str, Any]) -> None:
    report = espolicy.validate(doc)
    assert report.outcome in OUTCOMES
    text = json.dumps(report.to_dict(), ensure_ascii=False, allow_nan=False)
    assert json.loads(text)["outcome"] == report.outcome
    if report.outcome == "invalid":
        assert report.findings and all(f.effect == "error" for f in report.findings)
        assert report.facts == {}
    else:
        assert all(f.effect != "error" for f in report.findings)
    for f in report.findings:
        assert f.message["en"] and f.message["ja"]
        assert f.path == "" or f.path.startswith("/")
