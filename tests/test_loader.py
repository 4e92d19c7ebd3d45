"""espolicy.loader: documents from YAML, JSON and JSON Lines files and stdin, and their problems."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from espolicy.documents.loader import Loaded, iter_documents, iter_paths, load_text
from espolicy.limits import DEFAULT_LIMITS
from espolicy.report import Finding

REGISTRATION_YAML = """\
kind: registration
id: REG-2026-0001
registration_date: 2026-04-10
server:
  model: Express5800/R120h-1M
  serial: "4300123"
  warranty_start: 2025-04-01
  warranty_years: 1
pack:
  generation: ESP_G2
  coverage: weekday
  term_years: 3
  purchase_date: 2026-04-01
"""


def write(path: Path, content: str | bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def docs(path: str) -> list[Loaded]:
    return list(iter_documents(path))


def problem(loaded: Loaded) -> Finding:
    assert loaded.problem is not None, loaded
    assert loaded.doc is None
    assert loaded.problem.effect == "error" and set(loaded.problem.message) == {"en", "ja"}
    return loaded.problem


# ---------------------------------------------------------------- YAML

def test_single_yaml_document_source_is_the_path(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", REGISTRATION_YAML)
    [loaded] = docs(path)
    assert loaded.source == path and loaded.problem is None
    assert loaded.doc["server"]["serial"] == "4300123"
    assert loaded.doc["registration_date"] == dt.date(2026, 4, 10)   # unquoted dates stay dates
    assert isinstance(loaded.doc["registration_date"], dt.date)


def test_loaded_is_frozen() -> None:
    [loaded] = load_text("a: 1", "x", "yaml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.source = "y"  # type: ignore[misc]


def test_multi_document_yaml_sources_carry_start_lines(tmp_path: Path) -> None:
    text = "# leading comment\nkind: a\n---\nkind: b\n\n---\n# c\nkind: c\n"
    path = write(tmp_path / "m.yaml", text)
    loaded = docs(path)
    assert [(l.source, l.doc) for l in loaded] == [
        (f"{path}:2", {"kind": "a"}), (f"{path}:3", {"kind": "b"}), (f"{path}:6", {"kind": "c"})]


def test_explicit_single_document_is_just_the_path() -> None:
    assert [(l.source, l.doc) for l in load_text("---\nkind: a\n...\n", "f.yaml", "yaml")] == [("f.yaml", {"kind": "a"})]


def test_each_empty_document_of_a_stream_is_reported_at_its_line() -> None:
    loaded = list(load_text("---\n---\nkind: a\n---\n# nothing\n---\nkind: b\n---\n", "f.yaml", "yaml"))
    assert [l.source for l in loaded] == ["f.yaml:1", "f.yaml:2", "f.yaml:4", "f.yaml:6", "f.yaml:8"]
    assert [l.doc for l in loaded] == [None, {"kind": "a"}, None, {"kind": "b"}, None]
    for index, line in ((0, 1), (2, 4), (4, 8)):   # the trailing `---` (line 8) starts an empty document too
        p = problem(loaded[index])
        assert (p.rule, p.line, p.column) == ("empty-document", line, 1)
        assert "is empty" in p.message["en"] and "`---`" in p.message["en"] and p.message["ja"]
        assert p.advice is not None and "`---`" in p.advice["en"] and p.advice["ja"]
    assert loaded[1].problem is None and loaded[3].problem is None


@pytest.mark.parametrize("text", ["---\n", "--- # nothing\n\n", "# c\n---\n...\n"])
def test_a_file_of_one_empty_document_is_one_empty_document(text: str) -> None:
    [loaded] = load_text(text, "f.yaml", "yaml")
    assert loaded.source == "f.yaml" and problem(loaded).rule == "empty-document"
    assert "the file holds no document" in problem(loaded).message["en"]


def test_null_and_scalar_documents_are_returned_as_they_are() -> None:
    loaded = list(load_text("null\n---\n[1, 2]\n---\nhello\n", "f.yaml", "yaml"))
    assert [(l.source, l.doc, l.problem) for l in loaded] == [
        ("f.yaml:1", None, None), ("f.yaml:2", [1, 2], None), ("f.yaml:4", "hello", None)]


def test_yaml_syntax_error_keeps_earlier_documents_and_says_the_rest_is_lost() -> None:
    text = "kind: a\n---\nkind: b\n---\nkind: [unclosed\n---\nkind: d\n"
    loaded = list(load_text(text, "f.yaml", "yaml"))
    assert [l.source for l in loaded] == ["f.yaml:1", "f.yaml:2", "f.yaml:4"]
    assert [l.doc for l in loaded[:2]] == [{"kind": "a"}, {"kind": "b"}]
    p = problem(loaded[2])
    assert p.rule == "parse-error" and p.line == 6 and p.column == 1
    assert p.message["en"].startswith("line 6, column 1: YAML syntax error")
    assert "rest of the file" in p.message["en"]
    assert p.message["ja"].startswith("6 行 1 列目:")


def test_yaml_syntax_error_in_a_single_document() -> None:
    [loaded] = load_text("a: b: c\n", "f.yaml", "yaml")
    p = problem(loaded)
    assert loaded.source == "f.yaml"
    assert (p.rule, p.line, p.column) == ("parse-error", 1, 5)
    assert "line 1, column 5" in p.message["en"]


def test_yaml_duplicate_key_names_key_and_lines() -> None:
    [loaded] = load_text("kind: registration\nserver:\n  serial: a\n  model: m\n  serial: b\n", "f.yaml", "yaml")
    p = problem(loaded)
    assert (p.rule, p.line, p.column, p.path) == ("duplicate-key", 5, 3, "/server/serial")
    assert p.message["en"] == "line 5, column 3: duplicate key `serial` (first at line 3)"
    assert "`serial` が重複しています" in p.message["ja"]


@pytest.mark.parametrize("text, path", [
    ("history:\n  - {a: 1}\n  - {b: 1, b: 2}\n", "/history/1/b"),
    ("a: &x {k: 1}\nb: *x\nc:\n  - [1, {d: 1, d: 2}]\n", "/c/0/1/d"),
    ("a/b: {c~d: 1, c~d: 2}\n", "/a~1b/c~0d"),
])
def test_a_duplicate_key_is_pointed_at(text: str, path: str) -> None:
    """The finding of a repeated key carries the JSON Pointer of its second occurrence, in YAML
    (aliases shared) and in JSON (array indexes counted)."""
    [loaded] = load_text(text, "f.yaml", "yaml")
    assert (problem(loaded).rule, problem(loaded).path) == ("duplicate-key", path)
    as_json = json.dumps(yaml.safe_load(text.replace(", d: 2", "").replace(", b: 2", "").replace(", c~d: 2", "")))
    key = path.rsplit("/", 1)[1].replace("~1", "/").replace("~0", "~")
    broken = as_json.replace(f'"{key}": 1', f'"{key}": 1, "{key}": 2', 1)
    [loaded] = load_text(broken, "f.json", "json")
    assert (problem(loaded).rule, problem(loaded).path) == ("duplicate-key", path)


def test_yaml_duplicate_key_spoils_only_its_document() -> None:
    loaded = list(load_text("a: 1\na: 2\n---\nb: 1\n", "f.yaml", "yaml"))
    assert problem(loaded[0]).rule == "duplicate-key"
    assert (loaded[1].source, loaded[1].doc) == ("f.yaml:3", {"b": 1})


def test_yaml_merge_keys_are_not_duplicates() -> None:
    text = "base: &b {a: 1, c: 3}\nmid: &m {<<: *b, a: 2}\ntop: {<<: *m}\nagain: *m\n"
    [loaded] = load_text(text, "f.yaml", "yaml")
    assert loaded.problem is None
    # the YAML merge rule, whatever PyYAML's version does: own keys first, then the merged mapping
    assert loaded.doc == {"base": {"a": 1, "c": 3}, "mid": {"a": 2, "c": 3}, "top": {"a": 2, "c": 3},
                          "again": {"a": 2, "c": 3}}


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system", "!!python/object/new:os.system",
                                 "!!python/name:os.system", "!custom"])
def test_unsafe_and_unknown_tags_are_parse_errors_and_run_nothing(tmp_path: Path, tag: str) -> None:
    marker = tmp_path / "pwned"
    text = f'kind: registration\nx: {tag} ["touch {marker}"]\n---\nkind: b\n'
    loaded = list(load_text(text, "f.yaml", "yaml"))
    assert not marker.exists()
    p = problem(loaded[0])
    assert (p.rule, p.line) == ("parse-error", 2)
    assert "is not allowed" in p.message["en"] and "plain data" in p.message["en"]
    assert loaded[1].doc == {"kind": "b"}   # the stream goes on after a refused tag


def test_impossible_unquoted_date_is_kept_as_text() -> None:
    [loaded] = load_text("d: 2026-02-30\ne: 2026-02-28\n", "f.yaml", "yaml")
    assert loaded.doc == {"d": "2026-02-30", "e": dt.date(2026, 2, 28)}


def test_unquoted_datetimes_keep_their_offset() -> None:
    [loaded] = load_text("a: 2026-05-04T10:15:00+09:00\nb: 2026-05-04 10:15:00\n", "f.yaml", "yaml")
    assert loaded.doc["a"].utcoffset() == dt.timedelta(hours=9)
    assert loaded.doc["b"] == "2026-05-04 10:15:00"   # not written as the contract writes it: the text as written


@pytest.mark.parametrize("text", ["2026-5-7T10:15:00+09:00", "2026-05-07 10:15:00+09:00", "2026-05-07T10:15:00+09",
                                  "2026-05-07T10:15:00 +09:00", "2026-05-07t10:15:00Z", "2026-05-07T10:15:00.5+09:00"])
def test_unquoted_timestamps_not_in_the_contracts_form_stay_as_written(text: str) -> None:
    [loaded] = load_text(f"a: {text}\nb: 2026-05-04\nc: 2026-05-04T10:15:00+09:00\n", "f.yaml", "yaml")
    assert loaded.doc == {"a": text, "b": dt.date(2026, 5, 4),
                          "c": dt.datetime(2026, 5, 4, 10, 15, tzinfo=dt.timezone(dt.timedelta(hours=9)))}


def test_recursive_alias_is_a_parse_error() -> None:
    [loaded] = load_text("a: &x [1, *x]\n", "f.yaml", "yaml")
    p = problem(loaded)
    assert p.rule == "parse-error" and "recursive" in p.message["en"]


def test_alias_bomb_is_refused_without_expanding() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    [loaded] = load_text("\n".join(lines) + "\n", "f.yaml", "yaml")
    p = problem(loaded)
    assert p.rule == "parse-error" and str(DEFAULT_LIMITS.max_values) in p.message["en"]


def test_deep_yaml_and_control_characters_do_not_raise() -> None:
    [deep] = load_text("[" * 10_000, "f.yaml", "yaml")
    assert problem(deep).rule == "parse-error"
    [nul] = load_text("a: \x00\n", "f.yaml", "yaml")
    p = problem(nul)
    assert p.rule == "parse-error" and p.line == 1 and "#x0000" in p.message["en"]


@pytest.mark.parametrize("content", ["", "   \n\n", "# only a comment\n# and another\n", "\ufeff# c\n"])
def test_empty_and_comment_only_yaml_files(tmp_path: Path, content: str) -> None:
    path = write(tmp_path / "e.yaml", content)
    [loaded] = docs(path)
    assert loaded.source == path
    assert problem(loaded).rule == "empty-document"


# ---------------------------------------------------------------- JSON

def test_json_document(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", '{"kind": "registration", "server": {"serial": "4300123"}}')
    [loaded] = docs(path)
    assert (loaded.source, loaded.problem) == (path, None)
    assert loaded.doc == {"kind": "registration", "server": {"serial": "4300123"}}


def test_json_duplicate_key_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "d.json", '{\n  "kind": "x",\n  "server": {"serial": "a",\n             "serial": "b"}\n}\n')
    p = problem(docs(path)[0])
    assert (p.rule, p.line, p.column) == ("duplicate-key", 4, 14)
    assert p.message["en"] == "line 4, column 14: duplicate key `serial` (first at line 3)"


def test_json_same_key_in_different_objects_is_fine() -> None:
    [loaded] = load_text('{"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 1}, {"x": 2}]}', "f.json", "json")
    assert loaded.problem is None


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_parse_errors(constant: str) -> None:
    [loaded] = load_text('{"s": "NaN in a string",\n "a": ' + constant + "}", "f.json", "json")
    p = problem(loaded)
    assert (p.rule, p.line, p.column) == ("parse-error", 2, 7)
    assert f"`{constant}` is not a JSON value" in p.message["en"]


def test_json_syntax_error_position(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.json", '{"a": 1,\n "b": }\n')
    p = problem(docs(path)[0])
    assert (p.rule, p.line, p.column) == ("parse-error", 2, 7)
    assert p.message["en"] == "line 2, column 7: JSON syntax error: Expecting value"


@pytest.mark.parametrize("content", ["", "  \n"])
def test_empty_json_file(tmp_path: Path, content: str) -> None:
    assert problem(docs(write(tmp_path / "e.json", content))[0]).rule == "empty-document"


def test_deep_and_huge_json_do_not_raise() -> None:
    assert problem(next(load_text("[" * 100_000 + "]" * 100_000, "f.json", "json"))).rule == "parse-error"
    assert problem(next(load_text('{"a": ' + "9" * 5000 + "}", "f.json", "json"))).rule == "parse-error"


# ---------------------------------------------------------------- JSON Lines

def test_jsonl_broken_line_in_the_middle_leaves_the_others(tmp_path: Path) -> None:
    content = '{"id": 1}\n\n{"id": 2,\n{"id": 3, "id": 4}\n  \n[5]\n{"id": 6}'
    path = write(tmp_path / "batch.jsonl", content)
    loaded = docs(path)
    assert [l.source for l in loaded] == [f"{path}:{n}" for n in (1, 3, 4, 6, 7)]
    assert [l.doc for l in loaded] == [{"id": 1}, None, None, [5], {"id": 6}]
    broken = problem(loaded[1])
    assert (broken.rule, broken.line, broken.column) == ("parse-error", 3, 10)
    duplicate = problem(loaded[2])
    assert (duplicate.rule, duplicate.line, duplicate.column, duplicate.path) == ("duplicate-key", 4, 11, "/id")


def test_jsonl_single_line_still_carries_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "one.jsonl", '{"id": 1}\r\n')
    assert [(l.source, l.doc) for l in docs(path)] == [(f"{path}:1", {"id": 1})]


def test_jsonl_text_matches_the_file_reader(tmp_path: Path) -> None:
    content = '{"a": 1}\n\nnot json\n{"b": 2}\n'
    path = write(tmp_path / "x.jsonl", content)
    from_file = [(l.source, l.doc, l.problem) for l in docs(path)]
    from_text = [(l.source, l.doc, l.problem) for l in load_text(content, path, "jsonl")]
    assert from_file == from_text


def test_jsonl_is_streamed_lazily(tmp_path: Path) -> None:
    path = write(tmp_path / "big.jsonl", "".join(f'{{"n": {i}}}\n' for i in range(50_000)))
    stream = iter_documents(path)
    assert next(stream).doc == {"n": 0}
    assert next(stream).source == f"{path}:2"
    stream.close()


def test_empty_jsonl(tmp_path: Path) -> None:
    path = write(tmp_path / "e.jsonl", "\n\n")
    [loaded] = docs(path)
    assert loaded.source == path and problem(loaded).rule == "empty-document"


def test_jsonl_line_that_is_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path / "u.jsonl", b'{"a": 1}\n{"b": "\xff"}\n{"c": 3}\n')
    loaded = docs(path)
    assert [l.doc for l in loaded] == [{"a": 1}, None, {"c": 3}]
    p = problem(loaded[1])
    assert (p.rule, p.line, p.column) == ("unreadable-file", 2, 8)
    assert "byte offset 16" in p.message["en"]


# ---------------------------------------------------------------- encodings and unreadable files

@pytest.mark.parametrize("name,content", [("b.yaml", "kind: x\n"), ("b.json", '{"kind": "x"}'),
                                          ("b.jsonl", '{"kind": "x"}\n')])
def test_bom_is_accepted(tmp_path: Path, name: str, content: str) -> None:
    path = write(tmp_path / name, b"\xef\xbb\xbf" + content.encode("utf-8"))
    [loaded] = docs(path)
    assert loaded.problem is None and loaded.doc == {"kind": "x"}


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_invalid_utf8_is_unreadable_with_byte_offset(tmp_path: Path, bom: bytes) -> None:
    path = write(tmp_path / "bad.yaml", bom + b"kind: x\nname: caf\xe9\n")
    [loaded] = docs(path)
    p = problem(loaded)
    offset = len(bom) + 17
    assert (p.rule, p.line) == ("unreadable-file", 2)
    assert f"byte offset {offset}" in p.message["en"] and "0xe9" in p.message["en"]
    assert f"バイトオフセット {offset}" in p.message["ja"]


def test_a_directory_given_as_a_file_is_unreadable(tmp_path: Path) -> None:
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    [loaded] = docs(str(folder))
    assert loaded.source == str(folder) and problem(loaded).rule == "unreadable-file"


def test_a_file_without_read_permission_is_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests may run as root, where chmod 0 still reads: make `os.open` (how input files are opened)
    # refuse as it would for a user.
    path = write(tmp_path / "secret.yaml", "kind: x\n")
    real_open = os.open

    def refusing_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    p = problem(docs(path)[0])
    assert p.rule == "unreadable-file" and "Permission denied" in p.message["en"]


def test_unknown_extension_is_sniffed(tmp_path: Path) -> None:
    assert docs(write(tmp_path / "a.txt", "kind: x\n"))[0].doc == {"kind": "x"}
    assert docs(write(tmp_path / "b.txt", '{"kind": "x"}'))[0].doc == {"kind": "x"}


def test_unknown_format_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        list(load_text("a: 1", "x", "toml"))


# ---------------------------------------------------------------- stdin

def test_stdin_json_yaml_and_jsonl() -> None:
    [json_doc] = iter_documents("-", io.StringIO('\n{"kind": "x"}\n'))
    assert (json_doc.source, json_doc.doc) == ("-", {"kind": "x"})
    yaml_docs = list(iter_documents("-", io.StringIO("kind: a\n---\nkind: b\n")))
    assert [(l.source, l.doc) for l in yaml_docs] == [("-:1", {"kind": "a"}), ("-:2", {"kind": "b"})]
    lines = list(iter_documents("-", io.StringIO('{"kind": "a"}\n{"kind": "b"}\n')))
    assert [(l.source, l.doc) for l in lines] == [("-:1", {"kind": "a"}), ("-:2", {"kind": "b"})]
    [flow] = iter_documents("-", io.StringIO("{kind: a}"))
    assert flow.doc == {"kind": "a"}


def test_stdin_json_with_duplicates_or_nan_is_still_rejected() -> None:
    [dup] = iter_documents("-", io.StringIO('{"a": 1, "a": 2}'))
    assert problem(dup).rule == "duplicate-key"
    [nan] = iter_documents("-", io.StringIO('{"a": NaN}'))
    assert problem(nan).rule == "parse-error"


def test_stdin_that_cannot_be_decoded() -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"kind: \xff\n"), encoding="utf-8")
    [loaded] = iter_documents("-", stdin)
    assert loaded.source == "-" and problem(loaded).rule == "unreadable-file"


def test_stdin_json_lines_with_a_line_that_is_not_utf8_lose_only_that_line() -> None:
    data = b'{"kind": "a"}\n{"kind": "caf\xe9"}\n{"kind": "c"}\n'
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape")
    first, bad, last = iter_documents("-", stdin)
    assert (first.doc, last.doc) == ({"kind": "a"}, {"kind": "c"})
    assert bad.source == "-:2" and problem(bad).message["en"] == (
        "line 2, column 14: the line is not UTF-8 text: invalid byte 0xe9 at byte offset 27")


_JSON_RECORDS = st.lists(st.dictionaries(st.text("abk", min_size=1, max_size=3),
                                         st.integers(0, 9) | st.text("xyz", max_size=3), max_size=3),
                         min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(_JSON_RECORDS, st.sampled_from(["---", "--- ", "...\n---", "---\r"]))
def test_a_yaml_stream_of_json_documents_reads_the_same_on_stdin_as_in_a_yaml_file(
        records: list[dict[str, object]], marker: str) -> None:
    text = f"\n{marker}\n".join(json.dumps(r) for r in records) + "\n"
    from_stdin = [(l.source, l.doc, l.problem) for l in iter_documents("-", io.BytesIO(text.encode()))]
    as_file = [(l.source, l.doc, l.problem) for l in load_text(text, "-", "yaml")]
    assert from_stdin == as_file


def test_stdin_format_wins_over_a_document_marker() -> None:
    text = b'{"kind": "a"}\n---\n{"kind": "b"}\n'
    docs_ = list(iter_documents("-", io.BytesIO(text), stdin_format="jsonl"))
    assert [l.source for l in docs_] == ["-:1", "-:2", "-:3"]
    assert problem(docs_[1]).rule == "parse-error" and docs_[2].doc == {"kind": "b"}


# ---------------------------------------------------------------- paths

def test_iter_paths_recurses_sorts_and_filters(tmp_path: Path) -> None:
    for name in ["b.yaml", "a.json", "sub/z.yml", "sub/deeper/c.jsonl", "sub/A.YAML", "notes.txt",
                 "sub/readme.md", ".hidden.yaml", ".git/config.yaml", "a.jsonl"]:
        write(tmp_path / name, "kind: x\n")
    root = str(tmp_path)
    assert list(iter_paths([root])) == [os.path.join(root, *p.split("/")) for p in [
        "a.json", "a.jsonl", "b.yaml", "sub/A.YAML", "sub/deeper/c.jsonl", "sub/z.yml"]]
    assert list(iter_paths([root])) == list(iter_paths([root]))


def test_iter_paths_tells_each_hidden_entry_it_leaves_out(tmp_path: Path) -> None:
    for name in ["a.yaml", ".b.yaml", ".notes.txt", "sub/.c.json", ".git/d.yaml", "sub/.cache/e.yaml", ".x.yaml"]:
        write(tmp_path / name, "kind: x\n")
    told: list[tuple[str, bool]] = []
    root = str(tmp_path)
    files = list(iter_paths([root], exclude=[".x.yaml"], hidden=lambda path, folder: told.append((path, folder))))
    assert files == [os.path.join(root, "a.yaml")]
    assert told == [(os.path.join(root, *p.split("/")), folder) for p, folder in [
        (".b.yaml", False), (".git", True), ("sub/.c.json", False), ("sub/.cache", True)]]


def test_iter_paths_keeps_order_of_arguments_files_and_stdin(tmp_path: Path) -> None:
    notes = write(tmp_path / "notes.txt", "kind: x\n")
    folder = tmp_path / "d"
    one = write(folder / "1.yaml", "kind: x\n")
    assert list(iter_paths([notes, "-", str(folder)])) == [notes, "-", one]


def test_iter_paths_missing_path_raises_before_anything(tmp_path: Path) -> None:
    good = write(tmp_path / "a.yaml", "kind: x\n")
    stream = iter_paths([good, str(tmp_path / "missing.yaml")])
    with pytest.raises(FileNotFoundError) as info:
        next(stream)
    assert info.value.filename == str(tmp_path / "missing.yaml")


# ---------------------------------------------------------------- never raises

@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200), fmt=st.sampled_from(["yaml", "json", "jsonl"]))
def test_load_text_never_raises(text: str, fmt: str) -> None:
    loaded = list(load_text(text, "f", fmt))
    assert loaded
    for item in loaded:
        assert isinstance(item, Loaded) and item.source.startswith("f")
        assert item.problem is None or item.doc is None


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200), suffix=st.sampled_from([".yaml", ".json", ".jsonl", ".txt"]))
def test_files_of_any_bytes_never_raise(tmp_path_factory: pytest.TempPathFactory, data: bytes, suffix: str) -> None:
    path = tmp_path_factory.mktemp("bytes") / f"f{suffix}"
    path.write_bytes(data)
    assert all(isinstance(item, Loaded) for item in iter_documents(str(path)))
