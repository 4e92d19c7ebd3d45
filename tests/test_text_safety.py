"""Text output never sends a document's control characters to the terminal raw."""
from __future__ import annotations

import json

from espolicy.commands.main import main
from espolicy.output.text import printable


def test_printable_escapes_controls_and_bidi_overrides():
    assert printable("a\x1b[2Jb\u202ec\x07") == "a\\x1b[2Jb\\u202ec\\x07"
    assert printable("改行\nそのまま") == "改行\\x0aそのまま"   # one line: a document never starts a line


def test_escape_sequences_in_a_document_are_shown_escaped(tmp_path, capsys):
    doc = {"kind": "change_request", "id": "C-\x1b]0;pwned\x07", "request_date": "2026-05-07",
           "change": {"type": "reissue", "to": "\x1b[2J"}}
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(doc))
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "C-\\x1b]0;pwned\\x07" in out
