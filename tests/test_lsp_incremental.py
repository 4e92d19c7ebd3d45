"""Parsing declaration by declaration (the language server's incremental parse) gives what parsing the
whole file gives, spans included, and the same errors, through any sequence of edits."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from espolicy.errors import PolicyError
from espolicy.lang.parser import parse
from espolicy.lsp.incremental import Reparser, pieces
from espolicy.sources import bundled_dir

TEXTS = {p.name: p.read_text(encoding="utf-8") for p in sorted(bundled_dir("policy").glob("*.esp"))}
SNIPPETS = ["", "\n", "x", "#", "}", "{", '"', "rule r {", "\nconst C = 1\n", "\nrule ", "pack.", " and ", "Q6",
            "\nfact f for registration = 1\n", "\n\n"]


def _whole(text: str, file: str) -> str:
    try:
        return repr(parse(text, file))
    except PolicyError as e:
        return "error: " + repr(e.diagnostics)


def _pieces(reparser: Reparser, text: str) -> str:
    try:
        return repr(reparser.parse(text))
    except PolicyError as e:
        return "error: " + repr(e.diagnostics)


def test_pieces_join_to_the_text() -> None:
    for text in TEXTS.values():
        parts = pieces(text)
        assert "".join(p for _, p in parts) == text
        assert [line for line, _ in parts] == [text.count("\n", 0, text.index(p)) if p else 0 for _, p in parts]
        assert len(parts) > 5


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(TEXTS)),
       edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 40), st.sampled_from(SNIPPETS)), min_size=1, max_size=6))
def test_a_sequence_of_edits_parses_as_the_whole_file(name: str, edits: list[tuple[float, int, str]]) -> None:
    text = TEXTS[name]
    reparser = Reparser(name)
    assert _pieces(reparser, text) == _whole(text, name)
    for where, removed, inserted in edits:
        at = int(where * len(text))
        text = text[:at] + inserted + text[at + removed:]
        assert _pieces(reparser, text) == _whole(text, name)


def test_only_the_edited_declaration_is_parsed_again() -> None:
    """Declarations whose text did not change keep their trees: the very same objects when they did
    not move, trees equal to a fresh parse when lines were added above them."""
    text = TEXTS["registration.esp"]
    reparser = Reparser("registration.esp")
    before = reparser.parse(text).decls
    edited = text.replace("pack.term_years > MAX_YEARS", "pack.term_years >= MAX_YEARS", 1)
    after = reparser.parse(edited).decls
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a is not b]
    assert len(changed) == 1 and before[changed[0]] != after[changed[0]]
    grown = "# a new first line\n" + edited
    moved = reparser.parse(grown).decls
    assert all(a is not b for a, b in zip(after, moved))
    assert repr(moved) == repr(parse(grown, "registration.esp").decls)
