"""`-j` reads JSON Lines in blocks that workers split: exactly the documents of reading line by line."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from espolicy.documents import loader
from espolicy.commands.main import main
from espolicy.limits import Limits

PIECES = [b'{"a": 1}', b"", b"   ", b"\xef\xbb\xbf{\"b\": 2}", b"\xef\xbb\xbf", b'{"c": \xff}', b"\x1c", b"\x1f ",
          b"\xc2\xa0", b"\xe3\x80\x80", b"{bad", b"\r", b'{"x": "' + b"y" * 50 + b'"}', b"[1,2]", b"\t", b"\x0b",
          b'{"a": 1, "a": 2}', b"NaN"]


def key(item: loader.Loaded) -> tuple:
    return item.source, item.doc, item.problem.to_dict() if item.problem else None


def by_blocks(path: str, limits: Limits) -> list[loader.Loaded]:
    out: list[loader.Loaded] = []
    for item in loader.jsonl_blocks(path, limits):
        out.extend(loader.expand_block(path, item.doc, limits) if isinstance(item.doc, loader.RawBlock) else [item])
    return out


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.sampled_from(PIECES), max_size=12), final_newline=st.booleans(),
       max_bytes=st.sampled_from([4, 16, 40, 1000]), block=st.sampled_from([1, 3, 7, 64, 1 << 16]))
def test_blocks_give_the_documents_of_lines(tmp_path_factory, monkeypatch, lines, final_newline, max_bytes, block):
    path = tmp_path_factory.mktemp("jsonl") / "f.jsonl"
    path.write_bytes(b"\n".join(lines) + (b"\n" if final_newline else b""))
    limits = Limits(max_bytes=max_bytes)
    monkeypatch.setattr(loader, "_BLOCK", block)
    assert [key(x) for x in by_blocks(str(path), limits)] == [key(x) for x in loader.iter_documents(str(path), limits=limits)]


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
