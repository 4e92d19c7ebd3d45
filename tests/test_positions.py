"""Source positions: every finding of a document read from a file carries the line and column of
the offending field (YAML node marks, JSON token offsets, JSON Lines record lines), for schema
errors and rule findings alike; the Python API on a dict has none."""
from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

import espolicy
from espolicy.commands import main as cli
from espolicy.limits import Limits
from espolicy.documents.loader import RawBlock, expand_block, iter_documents, load_text
from espolicy.documents.positions import JsonPositions, MapPositions, YamlPositions, attach

REG_YAML = """\
# a registration with a history
kind: registration
id: REG-P-0001
registration_date: 2026-04-10
server:
  model: Express5800/R120h-1M
  serial: "4300123"
  warranty_start: 2023-05-01
  warranty_years: 3
pack:
  generation: ESP_G2
  coverage: weekday
  term_years: 3
  purchase_date: 2026-04-01
history:
  - generation: ESP_G2
    term_years: 3
    registered_on: 2023-05-22
  - generation: ESP
    term_years: 1
    registered_on: 2025-05-22
"""
# line numbers in REG_YAML (1-based)
LINE_OF = {"/kind": 2, "/server": 5, "/server/serial": 7, "/pack/generation": 11, "/history": 15,
           "/history/0": 16, "/history/1": 19, "/history/1/generation": 19, "/history/1/registered_on": 21}

REG = {
    "kind": "registration", "id": "REG-P-0002", "registration_date": "2026-04-10",
    "server": {"model": "Express5800/R120h-1M", "serial": "4300123", "warranty_start": "2026-03-16",
               "warranty_years": 1},
    "pack": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3, "purchase_date": "2026-03-16"},
}


def one(text: str, fmt: str, source: str = "doc"):
    [loaded] = list(load_text(text, source, fmt))
    assert loaded.problem is None, loaded.problem
    return loaded


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    cli.main(["validate", "--format", "json", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return json.loads(out)


# ---------------------------------------------------------------- YAML

def test_yaml_positions_of_fields_and_list_elements() -> None:
    loaded = one(REG_YAML, "yaml")
    assert isinstance(loaded.positions, YamlPositions)
    for pointer, line in LINE_OF.items():
        got = loaded.positions.locate(pointer)
        assert got is not None and got[0] == line, (pointer, got)
    assert loaded.positions.locate("/kind") == (2, 1)
    assert loaded.positions.locate("/server/serial") == (7, 3)
    assert loaded.positions.locate("/history/1/generation") == (19, 5)   # the key, after "- "
    assert loaded.positions.locate("/history/1") == (19, 5)              # the element's first character


def test_yaml_missing_field_is_placed_at_the_nearest_ancestor() -> None:
    loaded = one(REG_YAML, "yaml")
    assert loaded.positions.locate("/server/nope") == (5, 1)          # at `server:`
    assert loaded.positions.locate("/requests/periodic_maintenance") == loaded.positions.locate("")
    assert loaded.positions.locate("") == (2, 1)                        # the first key of the document
    assert loaded.positions.locate("/history/7/generation") == (15, 1)  # no 8th entry: at `history:`


def test_yaml_whole_map_equals_the_lookups() -> None:
    loaded = one(REG_YAML, "yaml")
    fresh = one(REG_YAML, "yaml").positions
    table = dict(loaded.positions)     # iterating builds the whole map
    assert "/history/1/registered_on" in table and len(table) == len(list(loaded.positions))
    for pointer, where in table.items():
        assert fresh.locate(pointer) == where


def test_yaml_multi_document_lines_are_lines_of_the_file() -> None:
    text = REG_YAML + "---\n" + REG_YAML.replace("REG-P-0001", "REG-P-0003")
    first, second = list(load_text(text, "multi.yaml", "yaml"))
    offset = REG_YAML.count("\n") + 1
    assert first.positions.locate("/history/1/generation") == (19, 5)
    assert second.positions.locate("/history/1/generation") == (19 + offset, 5)
    assert second.source == f"multi.yaml:{offset}"    # the line of its `---`


def test_yaml_merge_keys_and_flow_style() -> None:
    text = ("base: &b\n  coverage: weekday\n  term_years: 3\n"
            "pack:\n  <<: *b\n  term_years: 4\n"
            "flow: {a: 1, \"b/c\": [x, {d: 2}]}\n")
    positions = one(text, "yaml").positions
    assert positions.locate("/pack/term_years") == (6, 3)    # the mapping's own key wins
    assert positions.locate("/pack/coverage") == (2, 3)      # merged: where it is written
    assert positions.locate("/flow/b~1c/1/d") == (7, 26)
    assert dict(positions)["/pack/term_years"] == (6, 3)


def test_yaml_positions_pickle_as_a_map() -> None:
    positions = one(REG_YAML, "yaml").positions
    again = pickle.loads(pickle.dumps(positions))
    assert isinstance(again, MapPositions)
    assert again.locate("/history/1/generation") == (19, 5)
    assert again.locate("/history/1/nope") == (19, 5)


# ---------------------------------------------------------------- JSON and JSON Lines

def test_json_file_positions() -> None:
    text = json.dumps({**REG, "history": [{"generation": "ESP", "term_years": 3, "registered_on": "2025-05-22"},
                                          {"generation": "ESP", "term_years": 1, "registered_on": "2025-06-01"}]},
                      indent=2)
    lines = text.split("\n")
    loaded = one(text, "json")
    assert isinstance(loaded.positions, JsonPositions)

    def expected(fragment: str, after: int = 0) -> tuple[int, int]:
        for number, line in enumerate(lines, 1):
            if number > after and fragment in line:
                return number, line.index(fragment) + 1
        raise AssertionError(fragment)

    assert loaded.positions.locate("/server/serial") == expected('"serial"')
    history_line = expected('"history"')[0]
    second = expected('"generation"', after=expected('"registered_on"', after=history_line)[0])
    assert loaded.positions.locate("/history/1/generation") == second
    assert loaded.positions.locate("/history/1") == (second[0] - 1, 5)   # the `{` of the element
    assert loaded.positions.locate("/server/nope") == expected('"server"')
    assert loaded.positions.locate("") == (1, 1)


def test_json_lookups_with_and_without_the_document_agree() -> None:
    text = ('{"a": {"x": 1, "k": "x\\"y"}, "b~/": [{"x": 2}, {"x": 3, "y": {"x": 4}}], '
            '"c": "\\"x\\": 1", "\\u0078": {"x": 5}}')
    doc = json.loads(text)
    pointers = ["", "/a", "/a/x", "/a/k", "/b~0~1", "/b~0~1/1/y/x", "/b~0~1/0/x", "/c", "/x", "/x/x",
                "/a/missing", "/b~0~1/9", "/nope/deeper"]
    for pointer in pointers:
        slow = JsonPositions(text).locate(pointer)
        quick = JsonPositions(text).locate(pointer, doc)
        assert slow == quick, pointer
    assert JsonPositions(text).locate("/b~0~1/1/y/x", doc) == (1, text.index('"x": 4') + 1)
    table = dict(JsonPositions(text))
    assert table["/b~0~1/1/y/x"] == (1, text.index('"x": 4') + 1)


def test_json_positions_are_lazy_and_pickle_as_text() -> None:
    positions = JsonPositions('{"a": {"b": [1, 2]}}', 7)
    assert positions._map is None and not positions._containers
    again = pickle.loads(pickle.dumps(positions))
    assert again.locate("/a/b/1") == (7, 17)
    assert positions._map is None   # the original still computed nothing


def test_jsonl_positions_are_the_record_line_and_a_column_in_it(tmp_path: Path) -> None:
    records = [dict(REG, id=f"REG-P-{i}") for i in range(3)]
    records[2]["history"] = [{"generation": "ESP", "term_years": 3, "registered_on": "2025-05-22"}]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records[:2]) + "\n\n" + json.dumps(records[2]) + "\n")
    loaded = list(iter_documents(str(path)))
    assert [entry.source for entry in loaded] == [f"{path}:1", f"{path}:2", f"{path}:4"]
    line = json.dumps(records[2])
    assert loaded[2].positions.locate("/history/0/generation", loaded[2].doc) == (4, line.index('"generation": "ESP"') + 1)
    assert loaded[0].positions.locate("/pack/term_years") == (1, json.dumps(records[0]).index('"term_years"') + 1)
    # what -j workers get: blocks of lines (under a line cap too) give the same documents
    raw = [doc for block in iter_documents(str(path), blocks=True) for doc in expand_block(str(path), block.doc)]
    assert raw == loaded
    capped = Limits(max_lines=10)
    blocks = list(iter_documents(str(path), limits=capped, blocks=True))
    assert all(isinstance(b.doc, RawBlock) for b in blocks)
    assert [doc for block in blocks for doc in expand_block(str(path), block.doc, capped)] == loaded
    assert raw[2].positions.locate("/history/0/generation") == loaded[2].positions.locate("/history/0/generation")


# ---------------------------------------------------------------- findings

def test_python_api_on_a_dict_has_no_positions() -> None:
    report = espolicy.validate(dict(REG, history=[{"generation": "ESP", "term_years": 3,
                                                   "registered_on": "2026-03-20"}]))
    assert report.outcome == "deny"
    assert all(f.line is None and f.column is None for f in report.findings)
    assert all("line" not in f for f in report.to_dict()["findings"])


def test_attach_places_findings_and_keeps_lines_already_known(policy) -> None:
    loaded = one(REG_YAML, "yaml")
    report = policy.validate(loaded.doc, source="x")
    placed = attach(report, loaded.positions, loaded.doc)
    assert [f.path for f in placed.findings] == ["/history/1/generation"]
    assert (placed.findings[0].line, placed.findings[0].column) == (19, 5)
    assert attach(placed, MapPositions({"": (1, 1)})).findings == placed.findings
    assert attach(report, None) is report


def test_cli_positions_for_rule_findings_and_schema_errors(tmp_path: Path, capsys) -> None:
    yaml_path = tmp_path / "reg.yaml"
    yaml_path.write_text(REG_YAML)
    broken = REG_YAML.replace('  serial: "4300123"\n', "").replace("requests", "x") + "requets:\n  x: 1\n"
    broken_path = tmp_path / "broken.yaml"
    broken_path.write_text(broken)
    jsonl = tmp_path / "b.jsonl"
    typed = dict(REG, server=dict(REG["server"], serial=4300123))
    jsonl.write_text(json.dumps(REG) + "\n" + json.dumps(typed) + "\n")
    report = run_json(capsys, str(yaml_path), str(broken_path), str(jsonl))
    first, second, third, fourth = report["results"]

    [deny] = first["findings"]
    assert (deny["path"], deny["line"], deny["column"]) == ("/history/1/generation", 19, 5)

    by_path = {f["path"]: f for f in second["findings"]}
    assert second["outcome"] == "invalid"
    assert (by_path["/server/serial"]["line"], by_path["/server/serial"]["column"]) == (5, 1)  # missing: at server
    assert by_path["/requets"]["line"] == broken.split("\n").index("requets:") + 1

    assert all(f["line"] == 1 for f in third["findings"])
    [type_error] = [f for f in fourth["findings"] if f["path"] == "/server/serial"]
    assert type_error["line"] == 2 and type_error["column"] == json.dumps(typed).index('"serial"') + 1


def test_text_output_shows_file_line_col(tmp_path: Path, capsys) -> None:
    path = tmp_path / "reg.yaml"
    path.write_text(REG_YAML)
    code = cli.main(["validate", str(path)])
    out, _ = capsys.readouterr()
    assert code == 1
    assert f"  deny  [Q10,Q11]  mixed-generations  /history/1/generation  {path}:19:5" in out.splitlines()


def test_parse_errors_keep_their_own_position(tmp_path: Path, capsys) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text(json.dumps(REG) + "\n" + '{"kind": "registration", "id": \n')
    report = run_json(capsys, str(path))
    [problem] = report["results"][1]["findings"]
    assert problem["rule"] == "parse-error" and problem["line"] == 2 and problem["column"] >= 1


# ---------------------------------------------------------------- numbers as the file writes them

# YAML 1.1 reads each of these as a number: octal, hexadecimal, sexagesimal, binary, `_` separators,
# a sign, an exponent, a trailing dot, infinities and NaN; the advice must quote what was written
WRITTEN_NUMBERS = ["0012", "0354764413", "0x1F", "1:20", "190:20:30", "1.10", "+12", "1_000", "0b101", "1.0e+5",
                   "1.", ".inf", "-.inf", ".nan", "12"]


def quote_advice(written: str, where: str = "/server/serial") -> str:
    return f'{where} must be text, not a number: quote it, as "{written}"'


@pytest.mark.parametrize("written", WRITTEN_NUMBERS)
def test_quote_advice_quotes_a_yaml_number_as_written(tmp_path: Path, capsys, written: str) -> None:
    path = tmp_path / "reg.yaml"
    path.write_text(REG_YAML.replace('serial: "4300123"', f"serial: {written}"))
    [result] = run_json(capsys, str(path))["results"]
    [f] = result["findings"]
    assert (f["rule"], f["path"], f["line"]) == ("schema-type", "/server/serial", 7)
    assert f["message"]["en"] == quote_advice(written)
    assert f'"{written}"' in f["message"]["ja"]


def test_quote_advice_as_written_in_worker_processes_and_streams(tmp_path: Path, capsys) -> None:
    """With `-j`, YAML findings are placed in the parent and JSON ones in the workers: both quote the file."""
    stream = tmp_path / "stream.yaml"
    stream.write_text(REG_YAML.replace('serial: "4300123"', "serial: 0012") + "---\n"
                      + REG_YAML + "customer: {name: X, contact: {name: T, phone: 0354764413}}\n")
    records = tmp_path / "b.jsonl"
    records.write_text("\n".join(json.dumps(dict(REG, server=dict(REG["server"], serial=s))).replace(
        f'"serial": {s}', f'"serial": {w}') for s, w in ((11.0, "1.10e1"), (-0, "-0"))) + "\n")
    for jobs in ("1", "2"):
        results = run_json(capsys, "-j", jobs, str(stream), str(records))["results"]
        messages = [[f["message"]["en"] for f in r["findings"] if f["rule"] == "schema-type"] for r in results]
        assert messages == [[quote_advice("0012")],
                            [quote_advice("0354764413", "/customer/contact/phone")],
                            [quote_advice("1.10e1")], [quote_advice("-0")]]
        assert [r["source"] for r in results] == [f"{stream}:2", f"{stream}:22", f"{records}:1", f"{records}:2"]


def test_explain_quotes_the_number_as_written(tmp_path: Path, capsys) -> None:
    path = tmp_path / "reg.yaml"
    path.write_text(REG_YAML.replace('serial: "4300123"', "serial: 0012"))
    assert cli.main(["explain", str(path)]) == 1
    assert quote_advice("0012") in capsys.readouterr().out


def test_written_numbers_of_yaml_and_json() -> None:
    yaml_doc = one("a: &n 0012\nb: *n\nc: [1, {d: 0x1F}]\n<<: {e: 1.10}\nf: '0012'\ng: text\nh: 12\n", "yaml")
    written = yaml_doc.positions.written
    assert [written(p) for p in ("/a", "/b", "/c/1/d", "/e", "/h")] == ["0012", "0012", "0x1F", "1.10", "12"]
    assert [written(p) for p in ("/f", "/g", "/c", "", "/x", "/c/7")] == [None] * 6   # text, containers, missing
    json_doc = one('{"a": 1.10, "b": [0, {"c": -1E+5}], "d": "1.10", "e": true}', "json")
    written = json_doc.positions.written
    assert [written(p) for p in ("/a", "/b/0", "/b/1/c")] == ["1.10", "0", "-1E+5"]
    assert [written(p) for p in ("/d", "/e", "/b", "/x")] == [None] * 4
    assert MapPositions({"/a": (1, 1)}).written("/a") is None   # computed elsewhere: no text kept


def test_service_results_quote_the_number_as_written(policy) -> None:
    from espolicy.serve.results import result
    loaded = one(REG_YAML.replace('serial: "4300123"', "serial: 0x1F"), "yaml")
    out = result(policy.validate(loaded.doc), None, {}, loaded)
    assert [f["message"]["en"] for f in out["findings"]] == [quote_advice("0x1F")]
