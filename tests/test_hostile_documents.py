"""Hostile documents: each is one `invalid` result with a clear message, in bounded time and
memory, and the documents around it are judged as usual.

Every test runs the hostile input the way the command line does (loader, then `Policy.validate`)
under `bounded`, which fails when it uses more than 5 s of this process's CPU time or a tracemalloc
peak over 200 MB: far above what the inputs need (milliseconds, a few MB; the 50 MB strings are the
exception, and the limits stop them before they are read). CPU time, not the wall clock: other
work on a loaded CI machine does not count against it, while a regression to quadratic or
unbounded behaviour does.
"""
from __future__ import annotations

import io
import json
import math
import os
import random
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable, TypeVar

import pytest
import yaml

import espolicy
from espolicy.commands.main import main
from espolicy.limits import DEFAULT_LIMITS, Limits
from espolicy.documents.loader import Loaded, iter_documents, load_text
from espolicy.report import Report, invalid_report

T = TypeVar("T")
SECONDS = 5.0
PEAK_MB = 200.0
MiB = 1024 * 1024

GOOD_YAML = """\
kind: registration
id: REG-GOOD-1
registration_date: 2026-04-10
server: {model: Express5800/R120h-1M, serial: "4300123", warranty_start: 2026-03-16, warranty_years: 1}
pack: {generation: ESP_G2, coverage: weekday, term_years: 3, purchase_date: 2026-03-16}
"""
GOOD = yaml.safe_load(GOOD_YAML)
GOOD_JSON = json.dumps(GOOD, default=str)
CHANGE = {"kind": "change_request", "id": "CHG-1", "request_date": "2026-06-01",
          "registration": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3,
                           "server_serial": "4300123", "warranty_start": "2025-04-01",
                           "registered_on": "2025-04-20"},
          "change": {"type": "term", "to": 4}}


def bounded(action: Callable[[], T], seconds: float = SECONDS, peak_mb: float = PEAK_MB) -> T:
    """The result of `action`, failing when it uses more than `seconds` of CPU time or its
    tracemalloc peak exceeds `peak_mb`."""
    tracemalloc.start()
    started = time.process_time()
    try:
        result = action()
        elapsed = time.process_time() - started
        peak = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.2f} s of CPU time (bound {seconds} s)"
    assert peak < peak_mb, f"peak {peak:.0f} MB (bound {peak_mb} MB)"
    return result


def judge(loaded: Loaded) -> Report:
    if loaded.problem is not None:
        return invalid_report([loaded.problem], None, loaded.source)
    return espolicy.validate(loaded.doc, source=loaded.source)


def judge_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> list[Report]:
    return bounded(lambda: [judge(l) for l in iter_documents(str(path), limits=limits)])


def judge_text(text: str, fmt: str, limits: Limits = DEFAULT_LIMITS) -> list[Report]:
    return bounded(lambda: [judge(l) for l in load_text(text, "t", fmt, limits)])


def only(reports: list[Report]) -> Report:
    assert len(reports) == 1, [r.to_dict() for r in reports]
    return reports[0]


def invalid(report: Report, rule: str, *words: str) -> None:
    """`report` is invalid because of `rule`, its message holding every one of `words`, and it is
    JSON as the contract shows it (nothing in it raises when printed)."""
    assert report.outcome == "invalid", report.to_dict()
    assert report.findings[0].rule == rule, report.to_dict()
    message = report.findings[0].message["en"]
    for word in words:
        assert word in message, message
    assert report.findings[0].message["ja"]
    json.dumps(report.to_dict(), ensure_ascii=False, allow_nan=False)


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


# ---------------------------------------------------------------- YAML aliases and tags

def billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_before_expansion(tmp_path: Path) -> None:
    report = only(judge_file(write(tmp_path / "bomb.yaml", billion_laughs())))
    invalid(report, "parse-error", "more than 100000 values", "aliases are expanded")


def test_billion_laughs_as_a_mapping_merge_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 {k0: v, k1: v, k2: v, k3: v, k4: v, k5: v, k6: v, k7: v, k8: v, k9: v}"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    lines += ["m: {<<: [*a0], x: *a7}"]
    report = only(judge_file(write(tmp_path / "merge-bomb.yaml", "\n".join(lines) + "\n")))
    invalid(report, "parse-error", "more than 100000 values")


def test_alias_chain_deeper_than_the_depth_limit_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 200)]
    report = only(judge_file(write(tmp_path / "deep-alias.yaml", "\n".join(lines) + "\n")))
    invalid(report, "parse-error", "nested more than 64 levels deep once its aliases are expanded")


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    report = only(judge_file(write(tmp_path / "cycle.yaml", "a: &a [1, *a]\n")))
    invalid(report, "parse-error", "refers to the value that contains it")


@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.system",
    "!!python/object/new:os.system",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/object:__main__.Evil",
    "!!python/tuple",
    "!<tag:yaml.org,2002:python/object/apply:subprocess.call>",
    "!custom",
])
def test_object_constructing_tags_are_refused_and_run_nothing(tmp_path: Path, tag: str) -> None:
    marker = tmp_path / "pwned"
    text = f"kind: registration\nid: {tag} [\"touch {marker}\"]\n"
    report = only(judge_file(write(tmp_path / "evil.yaml", text)))
    invalid(report, "parse-error", "is not allowed", "plain data only")
    assert not marker.exists()


def test_top_level_python_tag_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"!!python/object/apply:os.system [\"touch {marker}\"]\n"
    report = only(judge_file(write(tmp_path / "evil.yaml", text)))
    invalid(report, "parse-error", "python/object/apply:os.system", "is not allowed")
    assert not marker.exists()


# ---------------------------------------------------------------- nesting

@pytest.mark.parametrize("name, text", [
    ("flow.yaml", "[" * 10_000 + "]" * 10_000),
    ("flow-map.yaml", "{a: " * 10_000 + "1" + "}" * 10_000),
    ("unclosed.yaml", "[" * 10_000),
    ("block.yaml", "".join(" " * i + "- \n" for i in range(0, 2 * 2_000, 2)) + " " * 4_000 + "x\n"),
    ("arrays.json", "[" * 10_000 + "]" * 10_000),
    ("objects.json", '{"a": ' * 10_000 + "1" + "}" * 10_000),
    ("line.jsonl", "[" * 10_000 + "]" * 10_000 + "\n"),
], ids=lambda v: v if v.endswith(("yaml", "json", "jsonl")) else "")
def test_ten_thousand_levels_deep_is_refused(tmp_path: Path, name: str, text: str) -> None:
    report = only(judge_file(write(tmp_path / name, text)))
    invalid(report, "parse-error", "nested more than 64 levels deep (the limit)")


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_depth_limit_is_exact(fmt: str) -> None:
    """64 levels are read (and judged: an invalid shape), 65 are refused."""
    at_limit = judge_text("[" * 64 + "]" * 64, fmt)
    assert only(at_limit).findings[0].rule == "not-a-mapping"
    over = judge_text("[" * 65 + "]" * 65, fmt)
    invalid(only(over), "parse-error", "nested more than 64 levels")


def test_depth_limit_is_a_setting() -> None:
    limits = Limits(max_depth=2)
    assert only(judge_text('{"a": {"b": 1}}', "json", limits)).findings[0].rule != "parse-error"
    invalid(only(judge_text('{"a": {"b": {"c": 1}}}', "json", limits)), "parse-error", "more than 2 levels")
    invalid(only(judge_text("a: {b: {c: 1}}\n", "yaml", limits)), "parse-error", "more than 2 levels")


def test_too_many_values_are_refused() -> None:
    text = "[" + ", ".join(["1"] * (DEFAULT_LIMITS.max_values + 10)) + "]"
    invalid(only(judge_text(text, "json")), "parse-error", "more than 100000 values")
    few = Limits(max_values=1000)
    invalid(only(judge_text("[" + ", ".join(["1"] * 1001) + "]", "yaml", few)), "parse-error", "more than 1000 values")
    assert only(judge_text("[" + ", ".join(["1"] * 999) + "]", "yaml", few)).findings[0].rule == "not-a-mapping"
    invalid(only(judge_text("[" + ", ".join(["1"] * 1001) + "]", "json", few)), "parse-error", "more than 1000 values")


# ---------------------------------------------------------------- size

@pytest.mark.parametrize("name", ["big.yaml", "big.json", "big.txt"])
def test_a_50_mb_string_in_a_file_is_refused_unread(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with open(path, "wb") as handle:
        handle.write(b'{"kind": "registration", "id": "')
        handle.write(b"x" * (50 * MiB))
        handle.write(b'"}')
    report = only(judge_file(path))
    invalid(report, "too-large", "larger than the limit of 16 MiB")


def test_a_50_mb_string_through_the_python_api_is_a_schema_error() -> None:
    doc = dict(GOOD, id="x" * (50 * MiB))
    report = bounded(lambda: espolicy.validate(doc))
    invalid(report, "schema-max-length", "/id must have at most 64 characters")


@pytest.mark.skipif(not getattr(yaml, "__with_libyaml__", False), reason="needs libyaml (pure-Python YAML scans ~3 s/MiB)")
def test_a_50_mb_yaml_string_under_a_raised_limit_is_read_in_bounded_time() -> None:
    text = GOOD_YAML.replace("id: REG-GOOD-1", 'id: "' + "x" * (50 * MiB) + '"')
    reports = bounded(lambda: [judge(l) for l in load_text(text, "t", "yaml", Limits(max_bytes=64 * MiB))],
                      seconds=20, peak_mb=400)
    invalid(only(reports), "schema-max-length", "/id must have at most 64 characters")


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "over.yaml", GOOD_YAML + "#" + "x" * 2048 + "\n")
    invalid(only(judge_file(path, Limits(max_bytes=1024))), "too-large", "larger than the limit of 1 KiB")
    assert only(judge_file(path)).outcome == "allow"   # the same file under the default limit


def test_a_file_just_at_the_size_limit_is_read(tmp_path: Path) -> None:
    text = GOOD_YAML + "#" * (2048 - len(GOOD_YAML.encode()) - 1) + "\n"
    path = write(tmp_path / "at.yaml", text)
    assert path.stat().st_size == 2048
    assert only(judge_file(path, Limits(max_bytes=2048))).outcome == "allow"
    invalid(only(judge_file(path, Limits(max_bytes=2047))), "too-large")


def test_standard_input_over_the_size_limit_is_refused() -> None:
    stdin = io.StringIO(GOOD_YAML + "#" * 4096 + "\n")
    reports = bounded(lambda: [judge(l) for l in iter_documents("-", stdin, Limits(max_bytes=1024))])
    invalid(only(reports), "too-large", "standard input is larger than the limit of 1 KiB")


def test_a_jsonl_line_over_the_limit_is_skipped_unread_and_the_others_run(tmp_path: Path) -> None:
    lines = [GOOD_JSON, '{"kind": "registration", "id": "' + "y" * 5000 + '"}', GOOD_JSON]
    path = write(tmp_path / "batch.jsonl", "\n".join(lines) + "\n")
    reports = judge_file(path, Limits(max_bytes=2048))
    assert [r.source for r in reports] == [f"{path}:1", f"{path}:2", f"{path}:3"]
    assert [r.outcome for r in reports] == ["allow", "invalid", "allow"]
    invalid(reports[1], "too-large", "line 2", "the line is larger than the limit of 2 KiB")


def test_a_jsonl_file_without_newlines_is_read_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "one-line.jsonl"
    with open(path, "wb") as handle:
        for _ in range(40):
            handle.write(b"[1," * (MiB // 3))
    report = only(judge_file(path))
    invalid(report, "too-large", "line 1")


# ---------------------------------------------------------------- documents per file

def test_a_yaml_stream_over_the_document_limit_says_where_reading_stopped(tmp_path: Path) -> None:
    stream = "".join(f"---\n{GOOD_YAML}" for _ in range(12))
    reports = judge_file(write(tmp_path / "stream.yaml", stream), Limits(max_documents=10))
    assert [r.outcome for r in reports] == ["allow"] * 10 + ["invalid"]
    invalid(reports[-1], "too-many-documents", "more than 10 documents", "were not read")


def test_a_jsonl_file_over_the_line_limit_says_where_reading_stopped(tmp_path: Path) -> None:
    path = write(tmp_path / "many.jsonl", "\n".join([GOOD_JSON] * 12) + "\n")
    assert len(judge_file(path, Limits(max_documents=10))) == 12  # streamed: no cap unless asked
    reports = judge_file(path, Limits(max_lines=10))
    assert [r.outcome for r in reports] == ["allow"] * 10 + ["invalid"]
    assert reports[-1].source == f"{path}:11"
    invalid(reports[-1], "too-many-documents", "more than 10 documents (lines)")


def test_empty_yaml_documents_count_towards_the_limit(tmp_path: Path) -> None:
    """A stream of a million `---` is not a million iterations."""
    path = write(tmp_path / "empty-docs.yaml", "---\n" * 1_000_000)
    reports = judge_file(path, Limits(max_documents=1000))
    assert len(reports) == 1001 and reports[999].source == f"{path}:1000"
    for report in reports[:1000]:   # each empty document is a result of its own
        invalid(report, "empty-document", "is empty")
    invalid(reports[-1], "too-many-documents", "more than 1000 documents")


# ---------------------------------------------------------------- bytes and text

def test_binary_garbage_is_unreadable(tmp_path: Path) -> None:
    data = random.Random(5).randbytes(100_000)
    for name in ("garbage.yaml", "garbage.json", "garbage.bin"):
        invalid(only(judge_file(write(tmp_path / name, data))), "unreadable-file", "not UTF-8 text")


def test_binary_garbage_in_a_jsonl_file_spoils_only_its_lines(tmp_path: Path) -> None:
    data = GOOD_JSON.encode() + b"\n" + random.Random(6).randbytes(1000).replace(b"\n", b"") + b"\n" \
        + GOOD_JSON.encode() + b"\n"
    reports = judge_file(write(tmp_path / "mixed.jsonl", data))
    assert [r.outcome for r in reports] == ["allow", "invalid", "allow"]
    assert reports[1].findings[0].rule == "unreadable-file"


def test_control_characters_are_a_parse_error(tmp_path: Path) -> None:
    report = only(judge_file(write(tmp_path / "nul.yaml", "kind: registration\nid: a\x00b\n")))
    invalid(report, "parse-error", "line 2", "#x0000")


def test_invalid_utf8_names_the_byte(tmp_path: Path) -> None:
    path = write(tmp_path / "latin1.yaml", GOOD_YAML.encode() + "customer: {name: Müller}\n".encode("latin-1"))
    report = only(judge_file(path))
    invalid(report, "unreadable-file", "invalid byte 0xfc", "line 6")


@pytest.mark.parametrize("name, content", [("bom.yaml", GOOD_YAML), ("bom.json", GOOD_JSON),
                                           ("bom.jsonl", GOOD_JSON + "\n"), ("bom.txt", GOOD_YAML)])
def test_a_utf8_bom_is_accepted(tmp_path: Path, name: str, content: str) -> None:
    report = only(judge_file(write(tmp_path / name, b"\xef\xbb\xbf" + content.encode())))
    assert report.outcome == "allow", report.to_dict()


def test_lone_surrogates_in_text_are_a_parse_error() -> None:
    invalid(only(judge_text("kind: registration\nid: \ud800\n", "yaml")), "parse-error", "#xd800")
    invalid(only(judge_text('{"kind": "registration", "id": "\ud800"}', "json")), "parse-error", "/id holds \\ud800")


@pytest.mark.parametrize("name, content, where", [
    ("value.json", '{"kind": "registration", "id": "\\ud800"}', "/id holds \\ud800"),
    ("key.json", '{"kind": "registration", "a\\udfffb": 1}', "/a\\udfffb holds \\udfff"),
    ("nested.jsonl", '{"kind": "registration", "history": [{"x": "\\udc00"}]}\n', "/history/0/x holds \\udc00"),
    ("reversed.json", '{"id": "\\ude00\\ud83d"}', "/id holds \\ude00"),
])
def test_lone_surrogate_escapes_are_parse_errors(tmp_path: Path, name: str, content: str, where: str) -> None:
    """`"\\ud800"` is valid JSON syntax, but half of a UTF-16 pair is no character: kept, it made every
    output format fail to write the report (UTF-8 cannot encode it) and ended the whole run."""
    report = only(judge_file(write(tmp_path / name, content)))
    invalid(report, "parse-error", where, "half of a UTF-16 surrogate pair")


def test_a_surrogate_pair_escape_is_one_character(tmp_path: Path) -> None:
    doc = json.loads(GOOD_JSON)
    doc["server"]["model"] = "\U0001F600"
    path = write(tmp_path / "emoji.json", json.dumps(doc))   # ensure_ascii: written as \ud83d\ude00
    assert "\\ud83d\\ude00" in path.read_text()
    assert only(judge_file(path)).outcome == "allow"


@pytest.mark.parametrize("libyaml", [True, False])
def test_a_lone_surrogate_escape_in_yaml_is_a_parse_error(monkeypatch: pytest.MonkeyPatch, libyaml: bool) -> None:
    """libyaml refuses `"\\ud800"` in a double-quoted scalar; PyYAML's own scanner builds it."""
    if libyaml and not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("libyaml is not installed")
    monkeypatch.setattr(yaml, "__with_libyaml__", libyaml)
    report = only(judge_text('kind: registration\nid: "\\ud800"\n', "yaml"))
    invalid(report, "parse-error")
    assert "d800" in report.findings[0].message["en"] or "escape" in report.findings[0].message["en"]


# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_parse_errors(literal: str) -> None:
    text = GOOD_JSON[:-1] + ', "extra": ' + literal + "}"
    invalid(only(judge_text(text, "json")), "parse-error", f"`{literal}` is not a JSON value")


@pytest.mark.parametrize("literal", ["1e999", "-1e999", "1.5e400", "123456789e999999999"])
def test_json_numbers_beyond_float_range_are_parse_errors(literal: str) -> None:
    text = '{"kind": "change_request", "id": "C", "change": {"type": "term", "to": ' + literal + "}}"
    report = only(judge_text(text, "json"))
    invalid(report, "parse-error", f"`{literal}` is too large to be read as a number", "line 1, column 72")


def test_yaml_infinity_is_a_schema_error() -> None:
    """`.inf` is a YAML float: the schema refuses it where a number is expected."""
    report = only(judge_text(GOOD_YAML.replace("term_years: 3", "term_years: .inf"), "yaml"))
    invalid(report, "schema-type", "/pack/term_years must be a whole number", "inf")


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_integers_of_thousands_of_digits_are_parse_errors(fmt: str) -> None:
    text = '{"kind": "registration",\n "id": ' + "9" * 10_000 + "}"
    if fmt == "jsonl":
        text = text.replace("\n", "")
    report = only(judge_text(text, fmt))
    invalid(report, "parse-error", "a number has 10000 digits, more than the 4300")


def test_yaml_integers_of_thousands_of_digits_are_parse_errors() -> None:
    report = only(judge_text("kind: registration\nid: " + "9" * 10_000 + "\n", "yaml"))
    invalid(report, "parse-error", "line 2, column 5", "a number has 10000 characters")


def test_yaml_sexagesimal_integer_of_a_million_parts_is_refused_quickly() -> None:
    """YAML 1.1 reads `1:1:1` as a base-60 int; building one of a million parts takes hours."""
    text = "kind: registration\nid: 1" + ":1" * 1_000_000 + "\n"
    invalid(only(judge_text(text, "yaml")), "parse-error", "a number has 2000001 characters")


def test_integers_just_under_the_digit_limit_are_shown_briefly() -> None:
    """4000 digits parse; the schema error quotes the value shortened, never the whole number."""
    report = only(judge_text('{"kind": "registration", "id": ' + "7" * 4000 + "}", "json"))
    invalid(report, "schema-type", "/id must be text, not a number")
    assert len(report.findings[0].message["en"]) < 300


@pytest.mark.parametrize("value", [10 ** 5000, -(10 ** 100_000), 2 ** 1_000_000], ids=["5001-digits", "minus-100001-digits", "2**1000000"])
def test_huge_python_ints_never_break_messages_or_json(value: int) -> None:
    """Through the Python API an int may be as big as memory allows: the document is judged and
    its report prints, with no `str()` of the number anywhere (Python refuses > 4300 digits)."""
    change = json.loads(json.dumps(CHANGE))
    change["change"]["to"] = value
    report = bounded(lambda: espolicy.validate(change))
    assert report.outcome == "deny"
    json.dumps(report.to_dict(), ensure_ascii=False)
    as_id = bounded(lambda: espolicy.validate(dict(GOOD, id=value)))
    invalid(as_id, "schema-type", "/id must be text")


def test_floats_and_bools_where_ints_are_expected_are_schema_errors() -> None:
    for value, word in ((3.0, "decimal"), (True, "true/false"), (math.nan, "decimal"), (math.inf, "decimal")):
        doc = json.loads(GOOD_JSON)
        doc["pack"]["term_years"] = value
        report = bounded(lambda: espolicy.validate(doc))
        invalid(report, "schema-type", "/pack/term_years must be a whole number", word)


# ---------------------------------------------------------------- YAML text

def test_tabs_as_yaml_indentation_are_a_parse_error(tmp_path: Path) -> None:
    text = "kind: registration\nserver:\n\tserial: \"1\"\n"
    report = only(judge_file(write(tmp_path / "tabs.yaml", text)))
    invalid(report, "parse-error", "line 3", "tab")


@pytest.mark.parametrize("name, content", [
    ("empty.yaml", ""), ("empty.json", ""), ("empty.jsonl", ""), ("blank.yaml", "\n\n   \n"),
    ("blank.jsonl", "\n  \n\n"), ("comments.yaml", "# only\n# comments\n"), ("bom-only.yaml", "\ufeff"),
    ("comments-and-marker.yaml", "# a\n---\n# b\n"),
])
def test_empty_and_comment_only_files_are_one_invalid_result(tmp_path: Path, name: str, content: str) -> None:
    report = only(judge_file(write(tmp_path / name, content)))
    invalid(report, "empty-document", "holds no document")
    assert report.source == str(tmp_path / name)


def test_a_stream_of_empty_documents_gives_one_result_each(tmp_path: Path) -> None:
    path = write(tmp_path / "markers.yaml", "# a\n---\n# b\n---\n")
    reports = judge_file(path)
    assert [r.source for r in reports] == [f"{path}:2", f"{path}:4"]
    for report in reports:
        invalid(report, "empty-document", "is empty", "`---`")


@pytest.mark.parametrize("text, what", [
    ("42\n", "a number"), ("- a\n- b\n", "a list"), ('"just text"\n', "text"), ("null\n", "empty (null)"),
    ("!!binary aGVsbG8=\n", "Python bytes"), ("!!set {a, b}\n", "Python set"),
])
def test_documents_that_are_not_mappings(text: str, what: str) -> None:
    invalid(only(judge_text(text, "yaml")), "not-a-mapping", what)


# ---------------------------------------------------------------- the Python API

class Hostile:
    def __repr__(self) -> str:
        raise RuntimeError("repr")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq")

    __hash__ = object.__hash__


@pytest.mark.parametrize("make", [
    lambda: {"kind": "registration", "id": Hostile()},
    lambda: {"kind": Hostile()},
    lambda: {Hostile(): 1},
    lambda: Hostile(),
    lambda: {**GOOD, "server": {**GOOD["server"], "serial": Hostile()}},
])
def test_hostile_python_objects_give_an_invalid_report(make: Callable[[], Any]) -> None:
    report = bounded(lambda: espolicy.validate(make()))
    assert report.outcome == "invalid"
    json.dumps(report.to_dict(), ensure_ascii=False)


def test_deep_and_cyclic_python_values_give_an_invalid_report() -> None:
    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(20_000):
        inner["a"] = {}
        inner = inner["a"]
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    for value in (deep, {**GOOD, "history": cyclic}, {**GOOD, "customer": deep}):
        report = bounded(lambda: espolicy.validate(value))
        assert report.outcome == "invalid"
        json.dumps(report.to_dict(), ensure_ascii=False)


# ---------------------------------------------------------------- the batch stays intact

HOSTILE_FILES: dict[str, str | bytes] = {
    "b-bomb.yaml": billion_laughs(),
    "c-evil.yaml": '!!python/object/apply:os.system ["touch {marker}"]\n',
    "d-deep.json": "[" * 10_000 + "]" * 10_000,
    "e-deep.yaml": "{a: " * 10_000 + "1" + "}" * 10_000,
    "f-garbage.yaml": random.Random(7).randbytes(4096),
    "g-latin1.yaml": "kind: régistration\n".encode("latin-1"),
    "h-nan.json": '{"kind": NaN}',
    "i-inf.json": '{"kind": "registration", "id": 1e999}',
    "j-digits.json": '{"kind": "registration", "id": ' + "1" * 5000 + "}",
    "k-tabs.yaml": "kind: registration\nserver:\n\tserial: x\n",
    "l-empty.yaml": "",
    "m-comments.yaml": "# nothing\n",
    "n-cycle.yaml": "a: &a [*a]\n",
    "o-sexagesimal.yaml": "id: 1" + ":1" * 100_000 + "\n",
    "q-surrogate.json": '{"kind": "registration", "id": "\\ud800"}',
    "r-surrogate.yaml": 'kind: registration\nid: "\\ud800"\n',
}


def test_hostile_files_between_good_ones_leave_the_batch_intact(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "pwned"
    write(tmp_path / "a-good.yaml", GOOD_YAML)
    for name, content in HOSTILE_FILES.items():
        write(tmp_path / name, content.replace("{marker}", str(marker)) if isinstance(content, str) else content)
    write(tmp_path / "p-big.json", b'{"id": "' + b"x" * (17 * MiB) + b'"}')
    write(tmp_path / "z-good.json", GOOD_JSON)
    write(tmp_path / "z-good.jsonl", GOOD_JSON + "\n" + "[" * 10_000 + "\n" + json.dumps(CHANGE) + "\n")

    code = bounded(lambda: main(["validate", "--format", "json", str(tmp_path)]), seconds=30)
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    by_source = {Path(r["source"]).name: r for r in out["results"]}
    assert by_source["a-good.yaml"]["outcome"] == "allow"
    assert by_source["z-good.json"]["outcome"] == "allow"
    assert by_source["z-good.jsonl:1"]["outcome"] == "allow"
    assert by_source["z-good.jsonl:2"]["outcome"] == "invalid"
    assert by_source["z-good.jsonl:3"]["outcome"] == "deny"
    for name in [*HOSTILE_FILES, "p-big.json"]:
        result = by_source[name]
        assert result["outcome"] == "invalid", result
        assert [f["effect"] for f in result["findings"]] == ["error"] or result["findings"][0]["effect"] == "error"
        assert result["findings"][0]["message"]["en"]
    assert out["summary"] == {"documents": len(HOSTILE_FILES) + 6, "allow": 3, "deny": 1, "review": 0,
                              "invalid": len(HOSTILE_FILES) + 2}
    assert not marker.exists()


def test_limits_reject_nonsense_settings() -> None:
    for bad in (0, -1, True, 1.5, "16"):
        with pytest.raises(ValueError):
            Limits(max_bytes=bad)  # type: ignore[arg-type]


def test_every_output_format_survives_hostile_files(tmp_path: Path) -> None:
    """In a real process (stdout a UTF-8 pipe, not a test's StringIO), each format writes the report of
    a batch with hostile files between good ones and exits 1, with nothing on stderr."""
    import subprocess
    import sys

    from espolicy.output import FORMATS

    write(tmp_path / "a-good.yaml", GOOD_YAML)
    for name in ("b-bomb.yaml", "d-deep.json", "f-garbage.yaml", "j-digits.json", "q-surrogate.json",
                 "r-surrogate.yaml"):
        content = HOSTILE_FILES[name]
        write(tmp_path / name, content)
    write(tmp_path / "b-escapes.yaml", 'kind: registration\nid: "\\e[31mred\\x07"\n')
    write(tmp_path / "z-good.json", GOOD_JSON)
    for fmt in sorted(FORMATS):
        safe = ["-P"] if sys.flags.safe_path else []   # as the tests run: the installed package in CI
        done = subprocess.run([sys.executable, *safe, "-m", "espolicy", "validate", "--format", fmt, str(tmp_path)],
                              capture_output=True, timeout=60, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
        assert (done.returncode, done.stderr) == (1, b""), (fmt, done.stderr.decode(errors="replace")[-2000:])
        assert done.stdout.decode("utf-8")



HUGE_TERM_TEXTS = """
import resource
import espolicy
M = 1024 * 1024
CHANGE = {"kind": "change_request", "id": "CHG-1", "request_date": "2026-06-01",
          "registration": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3,
                           "server_serial": "4300123", "warranty_start": "2025-04-01", "registered_on": "2025-04-20"}}
resource.setrlimit(resource.RLIMIT_CPU, (120, 120))
resource.setrlimit(resource.RLIMIT_AS, (2048 * M, 2048 * M))
for to in ["9" * (4 * M) + "x", "1" * (4 * M) + " years", "5." + "0" * (4 * M) + "1年", "3年→" * M + "6年",
           "0" * (4 * M) + "7ヶ月", "٦" * M + " years", "6" + " " * (4 * M) + "years", "-> " * M, "6" + " " * (4 * M) + "x"]:
    report = espolicy.validate(dict(CHANGE, change={"type": "term", "to": to}))
    print(report.outcome, ",".join(sorted({q for f in report.findings for q in f.faq})))
"""


def test_huge_term_texts_are_read_in_linear_time() -> None:
    """Term texts are read by anchored patterns with possessive repetition, linear in their length:
    nine texts of 1-4 MiB (digits, blanks, a million arrows) are judged under a CPU-time limit."""
    import subprocess
    import sys
    safe = ["-P"] if sys.flags.safe_path else []   # as the tests run: the installed package in CI
    done = subprocess.run([sys.executable, *safe, "-c", HUGE_TERM_TEXTS], capture_output=True, text=True,
                          check=False, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines == ["deny Q8", "deny Q6,Q8", "deny Q8", "deny Q6,Q8", "deny Q8", "deny Q6,Q8", "deny Q6,Q8",
                     "deny Q8", "deny Q8"]


@pytest.mark.parametrize("doc, path", [
    ({"kind": "service_request", "id": "S", "requested_at": "0001-01-01T00:00:00+09:00",
      "server": {"serial": "1", "warranty_start": "0001-01-01", "warranty_years": 1}, "service": {"type": "repair"}},
     "/requested_at"),
    ({"kind": "registration", "id": "R", "registration_date": "9999-01-05",
      "server": {"model": "M", "serial": "1", "warranty_start": "9999-01-01", "warranty_years": 1},
      "pack": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3, "purchase_date": "9999-01-02"}},
     "/server/warranty_start"),
])
def test_a_date_whose_arithmetic_leaves_the_calendar_is_named(doc: dict[str, Any], path: str) -> None:
    """A date at the ends of the calendar that the rules cannot count from: invalid, and the finding
    points at the date the error names, not at the whole document."""
    import espolicy
    report = espolicy.validate(doc)
    assert report.outcome == "invalid"
    [finding] = report.findings
    assert finding.rule == "evaluation-error" and finding.path == path
    assert "out of range" in finding.message["en"]
