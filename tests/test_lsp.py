"""`espolicy lsp` through the real protocol: a client over stdio to the server as a subprocess, one
test per feature, on a copy of the bundled policy."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from lsprotocol import types as lsp

from espolicy.lang.fmt import format_source
from espolicy.sources import bundled_dir
from lspsession import Session, apply, find, swap


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("workspace")
    shutil.copytree(bundled_dir("policy"), root / "policy")
    (root / "other").mkdir()
    (root / "other" / "extra.esp").write_text("const ELSEWHERE = 1\n", encoding="utf-8")
    return root / "policy"


@pytest.fixture(scope="module")
def session(folder: Path) -> Iterator[Session]:
    s = Session(folder.parent)
    yield s
    s.stop()


@pytest.fixture
def registration(session: Session, folder: Path) -> Iterator[tuple[str, str]]:
    """registration.esp opened as on disk; its text put back after the test."""
    path = folder / "registration.esp"
    text = path.read_text(encoding="utf-8")
    uri = session.open(path)
    yield uri, text
    session.change(uri, text)
    session.close(uri)


def test_the_server_says_what_it_can(session: Session) -> None:
    caps = session.initialized.capabilities
    assert session.initialized.server_info is not None and session.initialized.server_info.name == "espolicy"
    for feature in ("hover_provider", "completion_provider", "definition_provider", "references_provider",
                    "document_symbol_provider", "workspace_symbol_provider", "document_formatting_provider",
                    "code_action_provider"):
        assert getattr(caps, feature), feature


def test_diagnostics_on_open_and_change_match_check(session: Session, folder: Path,
                                                      registration: tuple[str, str]) -> None:
    uri, text = registration
    assert session.diagnostics(uri) == []
    broken = swap(text, "pack.term_years > MAX_YEARS", "pack.term_yeras > MAX_YEARS")
    session.change(uri, broken)
    found = session.diagnostics(uri)
    assert [d.code for d in found] == ["unknown-field"]
    d = found[0]
    assert d.severity == lsp.DiagnosticSeverity.Error and d.source == "espolicy"
    line, col = find(broken, "pack.term_yeras")
    assert (d.range.start.line, d.range.start.character) == (line, col)
    assert (d.range.end.line, d.range.end.character) == (line, col + len("pack.term_yeras"))
    assert "did you mean `term_years`?" in d.message
    # the same as `espolicy check --format json` on the folder with that text saved
    (folder / "registration.esp").write_text(broken, encoding="utf-8")
    try:
        out = subprocess.run([sys.executable, "-m", "espolicy", "check", "--format", "json", "--policy", str(folder)],
                             capture_output=True, text=True, check=False)
    finally:
        (folder / "registration.esp").write_text(text, encoding="utf-8")
    expected = json.loads(out.stdout)["diagnostics"]
    assert [(e["code"], e["line"] - 1, e["column"] - 1) for e in expected] == \
        [(d.code, d.range.start.line, d.range.start.character) for d in found]
    session.change(uri, text)
    assert session.diagnostics(uri) == []


def test_diagnostics_cover_the_whole_folder_and_lints(session: Session, folder: Path) -> None:
    """Removing a constant from policy.esp breaks registration.esp, a file not even open; an unused
    constant is a warning with its code."""
    path = folder / "policy.esp"
    text = path.read_text(encoding="utf-8")
    uri = session.open(path)
    other = (folder / "registration.esp").as_uri()
    try:
        session.change(uri, swap(text, "const MAX_YEARS = 5\n", ""))
        session.diagnostics(uri)
        errors = session.client.diagnostics.get(other, [])
        assert errors and {d.code for d in errors} == {"unknown-name"}
        assert all("MAX_YEARS" in d.message for d in errors)
        session.change(uri, text + "\nconst SPARE = 1\n")
        warnings = session.diagnostics(uri)
        assert [(d.code, d.severity) for d in warnings] == [("unused-constant", lsp.DiagnosticSeverity.Warning)]
        assert list(session.client.diagnostics.get(other, [None])) == []
    finally:
        session.change(uri, text)
        session.close(uri)


def test_a_syntax_error_is_a_diagnostic_at_its_place(session: Session, registration: tuple[str, str]) -> None:
    uri, text = registration
    broken = swap(text, "pack.term_years > MAX_YEARS", "pack.term_years = MAX_YEARS")
    session.change(uri, broken)
    found = session.diagnostics(uri)
    assert len(found) == 1 and found[0].code == "syntax"
    line, col = find(broken, "= MAX_YEARS")
    assert found[0].range.start.line == line
    assert "==" in found[0].message


def test_a_diagnostic_points_at_its_second_place(session: Session, registration: tuple[str, str]) -> None:
    """An unclosed `(`: the error where the `)` belongs, the `(` as related information, the help line."""
    uri, text = registration
    broken = swap(text, "pack.term_years > MAX_YEARS", "(pack.term_years > MAX_YEARS")
    session.change(uri, broken)
    [d] = session.diagnostics(uri)
    assert d.code == "syntax" and "\nhelp: add `)`" in d.message
    [related] = d.related_information or []
    line, col = find(broken, "(pack.term_years")
    assert related.location.uri == uri and related.message == "`(` opened here"
    assert (related.location.range.start.line, related.location.range.start.character) == (line, col)


def test_hover_field_function_constant_fact_reference(session: Session, registration: tuple[str, str]) -> None:
    uri, text = registration
    line, col = find(text, "pack.term_years > MAX_YEARS")
    field = session.hover(uri, line, col + len("pack.") + 2)
    assert field is not None and isinstance(field.contents, lsp.MarkupContent)
    assert "pack.term_years: number" in field.contents.value
    assert "The pack term in years" in field.contents.value  # the schema's description
    assert field.range is not None and field.range.start.character == col + len("pack.")

    const = session.hover(uri, line, col + len("pack.term_years > ") + 1)
    assert const is not None and "const MAX_YEARS = 5" in const.contents.value  # type: ignore[union-attr]
    assert "value: `5`" in const.contents.value  # type: ignore[union-attr]

    line, col = find(text, "last_day(")
    function = session.hover(uri, line, col + 2)
    assert function is not None and "last_day(date, number) -> date" in function.contents.value  # type: ignore[union-attr]

    line, col = find(text, "service_last_day", 1)
    fact = session.hover(uri, line, col + 1)
    assert fact is not None
    assert "fact service_last_day for registration" in fact.contents.value  # type: ignore[union-attr]
    assert "type: date" in fact.contents.value  # type: ignore[union-attr]

    line, col = find(text, "faq Q6")
    reference = session.hover(uri, line, col + len("faq "))
    assert reference is not None and "**Q6**" in reference.contents.value  # type: ignore[union-attr]
    assert "cited by" in reference.contents.value  # type: ignore[union-attr]

    line, col = find(text, "  for registration")
    kind = session.hover(uri, line, col + len("  for ") + 1)
    assert kind is not None and "A pack bought for a server" in kind.contents.value  # type: ignore[union-attr]

    line, col = find(text, "message en")
    assert session.hover(uri, line, col + len("message en \"") + 2) is None  # plain words of a text


def test_hover_counts_utf16_units(session: Session, folder: Path) -> None:
    """A character outside the BMP takes two UTF-16 units before the hovered name."""
    path = folder / "emoji.esp"
    text = ('rule emoji {\n  for registration\n  deny when pack.term_years > 9\n  faq none\n  at pack.term_years\n'
            '  message en "😀 {pack.term_years}"\n  message ja "x"\n}\n')
    uri = session.open(path, text)
    try:
        line, col = find(text, "{pack.term_years}")
        got = session.hover(uri, line, col + 1 + len("pack.") + 1 + 1)  # +1: the emoji is two units
        assert got is not None and "pack.term_years: number" in got.contents.value  # type: ignore[union-attr]
        assert got.range is not None and got.range.start.character == col + 1 + len("pack.") + 1
    finally:
        session.close(uri)


def test_completion(session: Session, registration: tuple[str, str]) -> None:
    uri, text = registration
    typed = text + "\nrule new-rule {\n  for \n"
    session.change(uri, typed)
    last = typed.count("\n") - 1
    kinds = {i.label for i in session.complete(uri, last, len("  for "))}
    assert kinds == {"registration", "service_request", "change_request"}

    typed = text + "\nrule new-rule {\n  for registration\n  deny when pack."
    session.change(uri, typed)
    last = typed.count("\n")
    fields = {i.label: i for i in session.complete(uri, last, len("  deny when pack."))}
    assert set(fields) == {"coverage", "generation", "purchase_date", "term_years"}
    assert fields["term_years"].kind == lsp.CompletionItemKind.Field and fields["term_years"].detail == "number"

    typed = text + "\nrule new-rule {\n  for registration\n  deny when pack.coverage == "
    session.change(uri, typed)
    line = typed.split("\n")[-1]
    values = {i.label for i in session.complete(uri, last, len(line))}
    assert values == {'"weekday"', '"24x365"'}

    typed = text + "\nrule new-rule {\n  for registration\n  deny when ma"
    session.change(uri, typed)
    names = {i.label: i.kind for i in session.complete(uri, last, len("  deny when ma"))}
    assert names["MAX_YEARS"] == lsp.CompletionItemKind.Constant
    assert names["last_day"] == lsp.CompletionItemKind.Function
    assert names["service_last_day"] == lsp.CompletionItemKind.Variable
    assert names["pack"] == lsp.CompletionItemKind.Field
    assert names["and"] == lsp.CompletionItemKind.Keyword
    assert "REGISTRATION_CENTER" in names

    typed = text + "\nrule new-rule {\n  for registration\n  deny when true\n  faq "
    session.change(uri, typed)
    refs = {i.label for i in session.complete(uri, typed.count("\n"), len("  faq "))}
    assert {"Q1", "Q17", "none"} <= refs


def test_definition_and_references(session: Session, folder: Path, registration: tuple[str, str]) -> None:
    uri, text = registration
    policy_text = (folder / "policy.esp").read_text(encoding="utf-8")
    line, col = find(text, "MAX_YEARS")
    [target] = session.definition(uri, line, col + 1)
    assert target.uri == (folder / "policy.esp").as_uri()
    assert (target.range.start.line, target.range.start.character) == find(policy_text, "MAX_YEARS")

    every = session.references(uri, line, col + 1)
    expected = sum(p.read_text(encoding="utf-8").count("MAX_YEARS") for p in folder.glob("*.esp"))
    assert len(every) == expected
    assert len(session.references(uri, line, col + 1, declaration=False)) == expected - 1

    line, col = find(text, "service_last_day", 1)  # a use of the fact
    [fact] = session.definition(uri, line, col + 1)
    assert fact.uri == uri and fact.range.start.line == find(text, "fact service_last_day")[0]

    line, col = find(text, "faq Q6")  # the rules citing a reference
    citing = session.references(uri, line, col + len("faq "))
    cited = re.compile(r"^\s*faq\b[^#\n]*\bQ6\b", re.MULTILINE)
    declared = re.compile(r"^reference Q6\b", re.MULTILINE)  # and its declaration in references.esp
    assert len(citing) == sum(len(cited.findall(p.read_text(encoding="utf-8")))
                              + len(declared.findall(p.read_text(encoding="utf-8"))) for p in folder.glob("*.esp"))
    assert len(citing) >= 3


def test_document_and_workspace_symbols(session: Session, registration: tuple[str, str]) -> None:
    uri, text = registration
    outline = session.symbols(uri)
    by_name = {s.name: s for s in outline}
    assert by_name["mixed-generations"].kind == lsp.SymbolKind.Function
    assert by_name["service_last_day"].kind == lsp.SymbolKind.Property
    line, col = find(text, "rule mixed-generations")
    assert by_name["mixed-generations"].selection_range.start == lsp.Position(line, col + len("rule "))
    rules = text.count("\nrule ")
    assert sum(1 for s in outline if s.kind == lsp.SymbolKind.Function) == rules

    found = session.workspace_symbols("REGISTRATION_CENTER")
    assert any(s.name == "REGISTRATION_CENTER" and s.location.uri.endswith("policy.esp") for s in found)
    entries = [s for s in session.workspace_symbols("tel") if s.container_name == "REGISTRATION_CENTER"]
    assert [s.name for s in entries] == ["tel"]
    [elsewhere] = session.workspace_symbols("ELSEWHERE")  # in a folder of the workspace never opened
    assert elsewhere.location.uri.endswith("/other/extra.esp") and elsewhere.kind == lsp.SymbolKind.Constant


def test_formatting_is_fmt(session: Session, registration: tuple[str, str]) -> None:
    uri, text = registration
    messy = swap(swap(text, "pack.term_years > MAX_YEARS", "pack.term_years>MAX_YEARS"), "\n\n", "\n\n\n\n")
    session.change(uri, messy)
    edits = session.format(uri)
    assert edits
    assert apply(messy, edits) == format_source(messy, "registration.esp") == format_source(text)
    session.change(uri, text)
    assert session.format(uri) == []
    session.change(uri, text + "\nrule {")
    assert session.format(uri) is None  # a file that does not parse is left alone


def test_code_action_applies_did_you_mean(session: Session, registration: tuple[str, str]) -> None:
    uri, text = registration
    for wrong, right in (("pack.term_years > MAX_YEARS", "pack.term_yeras > MAX_YEARS"),
                         ("pack.term_years > MAX_YEARS", "pack.term_years > MAX_YEAR"),
                         ("last_day(", "lastday("),
                         ("  deny when pack.generation", "  deni when pack.generation"),
                         ("for registration\n  deny when pack.generation", "for registraton\n  deny when pack.generation"),
                         ('pack.coverage == "weekday"', 'pack.coverage == "wekday"')):
        broken = swap(text, wrong, right)
        session.change(uri, broken)
        [d] = session.diagnostics(uri)
        [action] = session.code_actions(uri, d.range, [d])
        assert action.kind == lsp.CodeActionKind.QuickFix and action.edit is not None
        fixed = apply(broken, action.edit.changes[uri])
        assert fixed == text, action.title
        session.change(uri, fixed)
        assert session.diagnostics(uri) == []


def test_incremental_changes(session: Session, registration: tuple[str, str]) -> None:
    """Edits sent as ranges are applied to the server's copy (the server's own diagnostics prove it)."""
    uri, text = registration
    line, col = find(text, "pack.term_years > MAX_YEARS")
    session.edit(uri, line, col + len("pack.term_"), col + len("pack.term_years"), "yeras")
    assert [d.code for d in session.diagnostics(uri)] == ["unknown-field"]
    session.edit(uri, line, col + len("pack.term_"), col + len("pack.term_yeras"), "years")
    assert session.diagnostics(uri) == []


def test_a_lone_unsaved_file(session: Session) -> None:
    """A document that is no file on disk is a policy of its own."""
    uri = "untitled:Untitled-1"
    session.versions[uri] = 1
    session.notify(session.client.text_document_did_open, lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
        uri=uri, language_id="espolicy", version=1, text="const A = 1\nconst B = A + C\n")))
    found = session.diagnostics(uri)
    assert [d.code for d in found] == ["unknown-name"]
    session.close(uri)


def test_the_command_is_listed_and_documented(capsys: pytest.CaptureFixture[str]) -> None:
    from espolicy.commands.main import main
    assert main(["--help"]) == 0
    assert "lsp" in capsys.readouterr().out
    assert main(["lsp", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--schemas" in out and "Language Server Protocol" in out
