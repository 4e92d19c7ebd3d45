"""JSON Lines have one reader, in blocks of whole lines: exactly the documents of reading each line
on its own, whatever the block size, the byte limit and the line cap."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from espolicy import messages
from espolicy.documents import loader
from espolicy.commands.main import main
from espolicy.limits import Limits

PIECES = [b'{"a": 1}', b"", b"   ", b"\xef\xbb\xbf{\"b\": 2}", b"\xef\xbb\xbf", b'{"c": \xff}', b"\x1c", b"\x1f ",
          b"\xc2\xa0", b"\xe3\x80\x80", b"{bad", b"\r", b'{"x": "' + b"y" * 50 + b'"}', b"[1,2]", b"\t", b"\x0b",
          b'{"a": 1, "a": 2}', b"NaN"]


def key(item: loader.Loaded) -> tuple:
    return item.source, item.doc, item.problem.to_dict() if item.problem else None


def by_lines(source: str, data: bytes, limits: Limits, cap: int | None) -> list[loader.Loaded]:
    """The reference: every line on its own (cut after each `\\n`), at most `cap` documents."""
    out: list[loader.Loaded] = []
    offset = 0
    parts = data.split(b"\n")
    raws = [p + b"\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    for number, raw in enumerate(raws, 1):
        for doc in loader.expand_block(source, loader.RawBlock(raw, number, offset), limits):
            if cap is not None and len(out) == cap:
                return out + [loader.Loaded(f"{source}:{number}", None, messages.positioned(
                    "too-many-documents", number, 1, n=cap, unit=messages.WORDS["lines"]))]
            out.append(doc)
        offset += len(raw)
    return out or [loader.Loaded(source, None, messages.finding("empty-document"))]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.sampled_from(PIECES), max_size=12), final_newline=st.booleans(),
       max_bytes=st.sampled_from([4, 16, 40, 1000]), block=st.sampled_from([1, 3, 7, 64, 1 << 16]),
       cap=st.sampled_from([None, 1, 2, 5]))
def test_blocks_give_the_documents_of_lines(tmp_path_factory, monkeypatch, lines, final_newline, max_bytes, block, cap):
    path = tmp_path_factory.mktemp("jsonl") / "f.jsonl"
    data = b"\n".join(lines) + (b"\n" if final_newline else b"")
    path.write_bytes(data)
    limits = Limits(max_bytes=max_bytes, max_lines=cap)
    monkeypatch.setattr(loader, "_BLOCK", block)
    expected = [key(x) for x in by_lines(str(path), data, limits, cap)]
    assert [key(x) for x in loader.iter_documents(str(path), limits=limits)] == expected
    as_blocks = []   # what -j workers get, expanded where they expand it
    for item in loader.iter_documents(str(path), limits=limits, blocks=True):
        as_blocks.extend(loader.expand_block(str(path), item.doc, limits) if isinstance(item.doc, loader.RawBlock)
                         else [item])
    assert [key(x) for x in as_blocks] == expected


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(st.sampled_from([p for p in PIECES if b"\xff" not in p]), max_size=12),
       max_bytes=st.sampled_from([4, 40, 1000]), cap=st.sampled_from([1, 3, 100]))
def test_text_and_standard_input_are_read_by_the_same_reader(lines, max_bytes, cap):
    data = b"\n".join(lines)
    limits = Limits(max_bytes=max_bytes, max_documents=cap)
    got = loader.load_text(data.decode("utf-8"), "-", "jsonl", limits)
    assert [key(x) for x in got] == [key(x) for x in by_lines("-", data, limits, cap)]


def test_j2_output_is_byte_identical_on_a_long_jsonl_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    good = {"kind": "change_request", "id": "C", "request_date": "2026-05-02", "change": {"type": "reissue"}}
    lines = []
    for i in range(3000):
        lines.append(json.dumps(dict(good, id=f"C-{i}")) if i % 7 else ("" if i % 2 else "{broken"))
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(lines) + "\n")
    outputs = []
    for jobs in ("1", "2"):
        for fmt in ("text", "json"):
            code = main(["validate", "--format", fmt, "-j", jobs, str(path)])
            outputs.append((jobs, fmt, code, capsys.readouterr().out))
    assert outputs[0][2:] == outputs[2][2:] and outputs[1][2:] == outputs[3][2:]
    assert f"{path}:3000  C-2999" in outputs[0][3]    # 1-based lines, the last one included


def test_j2_honours_the_line_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    good = {"kind": "change_request", "id": "C", "request_date": "2026-05-02", "change": {"type": "reissue"}}
    path = tmp_path / "capped.jsonl"
    path.write_text("".join(json.dumps(dict(good, id=f"C-{i}")) + "\n" + ("\n" if i % 5 == 0 else "")
                            for i in range(2000)))
    outputs = []
    for jobs in ("1", "2"):
        code = main(["validate", "--format", "json", "--max-documents", "1500", "-j", jobs, str(path)])
        outputs.append((code, capsys.readouterr().out))
    assert outputs[0] == outputs[1]
    results = json.loads(outputs[0][1])["results"]
    assert len(results) == 1501 and results[-1]["findings"][0]["rule"] == "too-many-documents"
