"""The language server never fails on a half-typed file: every request, on any prefix of every bundled
rule file (and of the example policy that declares data sets, references and rule metadata), at any
position, gets an answer (no error response, no error message, the server alive)."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from lsprotocol import types as lsp

from espolicy.sources import bundled_dir
from lspsession import Session

EXAMPLE = Path(__file__).resolve().parent.parent / "example-policies" / "owner-rules"
FILES = [f"policy/{p.name}" for p in sorted(bundled_dir("policy").glob("*.esp"))] + \
    [f"owner-rules/{p.name}" for p in sorted(EXAMPLE.glob("*.esp"))]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("prefixes")
    shutil.copytree(bundled_dir("policy"), root / "policy")
    shutil.copytree(EXAMPLE, root / "owner-rules")
    return root


@pytest.fixture(scope="module")
def session(folder: Path) -> Iterator[Session]:
    s = Session(folder)
    for name in FILES:
        s.open(folder / name)
    yield s
    s.stop()


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset)
    return line, offset - (text.rfind("\n", 0, offset) + 1)


def _ask_everything(session: Session, uri: str, text: str, offset: int) -> None:
    line, col = _position(text, offset)
    session.hover(uri, line, col)
    session.complete(uri, line, col)
    session.definition(uri, line, col)
    session.references(uri, line, col)
    session.symbols(uri)
    session.format(uri)
    whole = lsp.Range(lsp.Position(0, 0), lsp.Position(*_position(text, len(text))))
    session.code_actions(uri, whole, session.diagnostics(uri))
    session.workspace_symbols(text[max(0, offset - 3):offset].strip())


@pytest.mark.parametrize("name", FILES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_every_request_answers_on_any_prefix(session: Session, folder: Path, name: str, data: st.DataObject) -> None:
    path = folder / name
    full = path.read_text(encoding="utf-8")
    cut = data.draw(st.integers(0, len(full)), label="cut")
    prefix = full[:cut]
    uri = path.as_uri()
    session.change(uri, prefix)
    try:
        for offset in (cut, data.draw(st.integers(0, cut), label="offset")):
            _ask_everything(session, uri, prefix, offset)
        assert session.client.error is None
        assert [m for m in session.client.messages if m.type == lsp.MessageType.Error] == []
        assert [m for m in session.client.log_messages if m.type == lsp.MessageType.Error] == []
    finally:
        session.change(uri, full)


def test_every_line_of_every_file_cut_anywhere_keeps_the_folder_analysed(session: Session, folder: Path) -> None:
    """Cut each file at the end of every seventh line: every diagnostic published is a coded espolicy
    one, and the whole text puts the folder back to clean."""
    for name in FILES:
        path = folder / name
        full = path.read_text(encoding="utf-8")
        uri = path.as_uri()
        ends = [i for i, ch in enumerate(full) if ch == "\n"]
        for end in ends[::7]:
            session.change(uri, full[:end])
            for d in session.diagnostics(uri):
                assert d.source == "espolicy" and d.code
        session.change(uri, full)
        assert session.diagnostics(uri) == []
