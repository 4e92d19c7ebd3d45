"""Quick fixes undo misspellings: drop one letter of a name in a bundled rule file; when `check` then
suggests the name back ("did you mean `X`?"), applying the quick fix gives the original text."""
from __future__ import annotations

import re

import pytest
from hypothesis import event, given, settings, strategies as st

from espolicy.documents.schema import SchemaSet
from espolicy.lsp.actions import fixes
from espolicy.lsp.state import Folder, Schemas
from espolicy.sources import bundled_dir

FOLDER = bundled_dir("policy").resolve()
FILES = sorted(str(p) for p in FOLDER.glob("*.esp"))
_NAME = re.compile(r"(?<![\w\"#-])[A-Za-z_][A-Za-z0-9_]{3,}(?![\w-])")


@pytest.fixture(scope="module")
def folder() -> Folder:
    return Folder(FOLDER, Schemas.of(SchemaSet.load(bundled_dir("schemas"))))


def _code_names(text: str) -> list[tuple[int, str]]:
    """(offset, name) of the names outside texts and comments."""
    out = []
    for row_start, line in _lines(text):
        code = line.split("#", 1)[0]
        code = re.sub(r'"(?:[^"\\]|\\.)*"', lambda m: " " * len(m.group(0)), code)
        out += [(row_start + m.start(), m.group(0)) for m in _NAME.finditer(code)]
    return out


def _lines(text: str) -> list[tuple[int, str]]:
    out, at = [], 0
    for line in text.split("\n"):
        out.append((at, line))
        at += len(line) + 1
    return out


@settings(max_examples=60, deadline=None)
@given(file=st.sampled_from(FILES), data=st.data())
def test_a_fix_restores_a_misspelt_name(folder: Folder, file: str, data: st.DataObject) -> None:
    text = open(file, encoding="utf-8").read()
    offset, name = data.draw(st.sampled_from(_code_names(text)), label="name")
    cut = data.draw(st.integers(1, len(name) - 1), label="letter dropped")
    broken = text[:offset + cut] + text[offset + cut + 1:]
    known = folder.analyse({file: broken})
    found = known.diagnostics.get(file, ())
    suggested = [d for d in found if d.hint and f"did you mean `{name}`?" in d.hint]
    event(f"suggested back: {bool(suggested)}")
    for fix in fixes(suggested, broken):
        lines = broken.split("\n")
        row = lines[fix.span.line - 1]
        lines[fix.span.line - 1] = row[:fix.span.column - 1] + fix.text + row[fix.span.end_column - 1:]
        assert "\n".join(lines) == text, fix.title
    assert len(fixes(suggested, broken)) == len(suggested)
    folder.analyse({file: text})
