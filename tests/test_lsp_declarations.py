"""`espolicy lsp` on what a policy declares besides its rules, through the real protocol: references
(`reference Q3 { title en … title ja … }` and the `faq` clauses citing them), data sets
(`data recalls = "data/recalls.yaml"`) and rule metadata (titles, tags, owner)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from lsprotocol import types as lsp

from espolicy.sources import bundled_dir
from lspsession import Session, find, swap

Q3_EN = "With a 5-days-a-week product, what about national holidays?"
Q3_JA = "週5日製品を購入した場合、国民の祝日、国民の休日の対応はどうなりますか?"

OWNED = '''policy "Owned"

data recalls = "data/recalls.yaml"
data regions = "data/regions.json"

reference Q18 {
  title en "24x365 packs are sold for rack models only"
  title ja "24時間365日製品はラックモデル専用です"
  url "https://example.com/guidelines#q18"
}

reference Q19 {
  title en "Recalled servers are reviewed"
  title ja "リコール対象のサーバは確認対象です"
}

rule rack-models-only {
  title en "24x365 packs for rack models only"
  title ja "24時間365日製品はラックモデルのみ"
  tags "catalogue", "coverage"
  owner "support-products"
  for registration
  deny when pack.coverage == "24x365" and not matches(server.model, "^Express5800/R[0-9]+")
  faq Q18
  at server.model
  message en "A 24x365 pack is sold for rack models only."
  message ja "24時間365日製品はラックモデル専用です。"
}

rule recalled-server {
  for registration
  review when recalls[server.serial] is present and count(r in regions: r == "tokyo") > 0
  faq Q19, Q18
  at server.serial
  message en "Server {server.serial} is under a recall ({recalls[server.serial]})."
  message ja "サーバ {server.serial} はリコール対象です（{recalls[server.serial]}）。"
}
'''
TIMING = '''
table GRACE {
  weekday = 30
  "24x365" = 180
}

rule registered-late {
  for registration
  warn when registration_date <= today and count(h in history: h.term_years > GRACE[pack.coverage]) > 0
  faq Q19
  at registration_date
  message en "late"
  message ja "遅い登録"
}
'''
RECALLS = '# serial number -> the part to replace\n"4300777": power supply unit\n"4300888": cooling fan\n'
REGIONS = ["tokyo", "osaka", "nagoya"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled policy, a policy with data sets and metadata of its own, and one declaring no reference."""
    root = tmp_path_factory.mktemp("workspace")
    shutil.copytree(bundled_dir("policy"), root / "policy", ignore=shutil.ignore_patterns("tests"))
    owned = root / "owned"
    (owned / "data").mkdir(parents=True)
    (owned / "rules.esp").write_text(OWNED, encoding="utf-8")
    (owned / "timing.esp").write_text(TIMING, encoding="utf-8")
    (owned / "data" / "recalls.yaml").write_text(RECALLS, encoding="utf-8")
    (owned / "data" / "regions.json").write_text(json.dumps(REGIONS), encoding="utf-8")
    (root / "plain").mkdir()
    (root / "plain" / "rules.esp").write_text(
        'rule holidays {\n  for service_request\n  review when false\n  faq Q3\n  message en "x"\n'
        '  message ja "x"\n}\n', encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def session(workspace: Path) -> Iterator[Session]:
    s = Session(workspace)
    yield s
    s.stop()


@pytest.fixture
def opened(session: Session, workspace: Path) -> Iterator[dict[str, tuple[str, str]]]:
    """Files opened as on disk, by their path under the workspace: (uri, text); put back afterwards."""
    uris: dict[str, tuple[str, str]] = {}
    for name in ("policy/service_request.esp", "policy/references.esp", "owned/rules.esp", "owned/timing.esp",
                 "plain/rules.esp"):
        path = workspace / name
        text = path.read_text(encoding="utf-8")
        uris[name] = (session.open(path), text)
    yield uris
    for uri, text in uris.values():
        session.change(uri, text)
        session.close(uri)


def _markdown(h: lsp.Hover | None) -> str:
    assert h is not None and isinstance(h.contents, lsp.MarkupContent)
    return h.contents.value


def _at(loc: lsp.Location) -> tuple[int, int]:
    return loc.range.start.line, loc.range.start.character


def test_hover_on_a_citation_and_a_declaration_shows_the_declared_titles(
        session: Session, opened: dict[str, tuple[str, str]]) -> None:
    uri, text = opened["policy/service_request.esp"]
    line, col = find(text, "faq Q3")
    got = session.hover(uri, line, col + len("faq Q"))
    shown = _markdown(got)
    assert f"en: {Q3_EN}" in shown and f"ja: {Q3_JA}" in shown
    assert "declared in `references.esp`, line 14" in shown
    cited = re.findall(r"^rule ([a-z0-9-]+) \{(?:(?!^\}).)*?^\s*faq\b[^\n]*\bQ3\b", text, re.MULTILINE | re.DOTALL)
    assert cited and all(f"`{rid}`" in shown for rid in cited)
    assert got is not None and got.range is not None and got.range.start.character == col + len("faq ")
    assert got.range.end.character == col + len("faq Q3")

    refs_uri, refs = opened["policy/references.esp"]
    line, col = find(refs, "reference Q3")
    shown = _markdown(session.hover(refs_uri, line, col + len("reference Q")))
    assert f"ja: {Q3_JA}" in shown and all(f"`{rid}`" in shown for rid in cited)


def test_the_titles_are_the_policys_own(session: Session, opened: dict[str, tuple[str, str]]) -> None:
    """Edit the declaration: the hover on the citation in another file follows it."""
    refs_uri, refs = opened["policy/references.esp"]
    session.change(refs_uri, swap(refs, Q3_JA, "祝日の扱い（書き換え）"))
    uri, text = opened["policy/service_request.esp"]
    line, col = find(text, "faq Q3")
    shown = _markdown(session.hover(uri, line, col + len("faq ")))
    assert "ja: 祝日の扱い（書き換え）" in shown and Q3_JA not in shown


def test_a_reference_the_policy_does_not_declare_gets_no_title(
        session: Session, opened: dict[str, tuple[str, str]]) -> None:
    uri, text = opened["owned/rules.esp"]
    typed = swap(text, "  faq Q18\n", "  faq Q3\n")
    session.change(uri, typed)
    line, col = find(typed, "faq Q3")
    shown = _markdown(session.hover(uri, line, col + len("faq ")))
    assert "**Q3**: not a declared reference of this policy" in shown
    assert Q3_EN not in shown and Q3_JA not in shown and "en:" not in shown
    assert any(d.code == "unknown-faq" for d in session.diagnostics(uri))

    line, col = find(typed, "faq Q19, Q18")  # the second citation of a clause, with its url
    shown = _markdown(session.hover(uri, line, col + len("faq Q19, Q1")))
    assert "ja: 24時間365日製品はラックモデル専用です" in shown
    assert "<https://example.com/guidelines#q18>" in shown


def test_a_policy_declaring_no_reference_cites_the_faqs(session: Session, opened: dict[str, tuple[str, str]]) -> None:
    """As the checker has it: the FAQ's questions, declared in the bundled references.esp."""
    uri, text = opened["plain/rules.esp"]
    line, col = find(text, "faq Q3")
    shown = _markdown(session.hover(uri, line, col + len("faq ")))
    assert f"ja: {Q3_JA}" in shown and "cited by `holidays`" in shown
    [target] = session.definition(uri, line, col + len("faq "))
    bundled = bundled_dir("policy") / "references.esp"
    assert target.uri == bundled.as_uri()
    assert _at(target) == find(bundled.read_text(encoding="utf-8"), "Q3 {")


def test_hover_keeps_the_titles_while_the_file_does_not_parse(
        session: Session, opened: dict[str, tuple[str, str]]) -> None:
    """A line that does not parse above the citation: the last parse's places are a line off, the text
    around the cursor still says it is a citation."""
    uri, text = opened["policy/service_request.esp"]
    typed = "const HALF = (\n" + text
    session.change(uri, typed)
    assert any(d.severity == lsp.DiagnosticSeverity.Error for d in session.diagnostics(uri))
    line, col = find(typed, "faq Q3")
    assert f"ja: {Q3_JA}" in _markdown(session.hover(uri, line, col + len("faq ")))


def test_definition_and_references_of_a_reference(session: Session, workspace: Path,
                                                  opened: dict[str, tuple[str, str]]) -> None:
    uri, text = opened["policy/service_request.esp"]
    refs_uri, refs = opened["policy/references.esp"]
    line, col = find(text, "faq Q3", 1)
    [target] = session.definition(uri, line, col + len("faq "))
    assert target.uri == refs_uri and _at(target) == find(refs, "Q3 {")

    line, col = find(refs, "reference Q3")
    citing = session.references(refs_uri, line, col + len("reference "), declaration=False)
    cites = re.compile(r"^\s*faq\b[^#\n]*\bQ3\b", re.MULTILINE)
    files = sorted((workspace / "policy").glob("*.esp"))
    expected = [(p.as_uri(), i) for p in files for i, ln in enumerate(p.read_text(encoding="utf-8").split("\n"))
                if cites.match(ln)]
    assert sorted((loc.uri, loc.range.start.line) for loc in citing) == expected
    assert len(expected) >= 2
    with_it = session.references(refs_uri, line, col + len("reference "))
    assert len(with_it) == len(expected) + 1 and any(loc.uri == refs_uri for loc in with_it)


def test_hover_on_a_rule_shows_its_metadata(session: Session, opened: dict[str, tuple[str, str]]) -> None:
    uri, text = opened["owned/rules.esp"]
    line, col = find(text, "rule rack-models-only")
    got = session.hover(uri, line, col + len("rule rack-models-o"))  # on a word after a hyphen
    shown = _markdown(got)
    assert shown.startswith("**rule `rack-models-only`** · deny · for registration")
    assert "en: 24x365 packs for rack models only" in shown and "ja: 24時間365日製品はラックモデルのみ" in shown
    assert "tags: `catalogue`, `coverage`" in shown and "owner: support-products" in shown
    assert "faq: Q18 (24x365 packs are sold for rack models only)" in shown
    assert got is not None and got.range is not None
    assert (got.range.start.character, got.range.end.character) == (col + 5, col + len("rule rack-models-only"))

    line, col = find(text, "rule recalled-server")
    shown = _markdown(session.hover(uri, line, col + len("rule ")))
    assert "tags" not in shown and "owner" not in shown and "faq: Q19 (Recalled servers are reviewed); Q18" in shown


def test_hover_on_a_data_set(session: Session, workspace: Path, opened: dict[str, tuple[str, str]]) -> None:
    uri, text = opened["owned/rules.esp"]
    line, col = find(text, "recalls[server.serial] is present")
    shown = _markdown(session.hover(uri, line, col + 2))
    assert '```espolicy\ndata recalls = "data/recalls.yaml"\n```' in shown
    assert f"[data/recalls.yaml]({(workspace / 'owned' / 'data' / 'recalls.yaml').resolve().as_uri()})" in shown
    assert "a mapping of 2 entries, each a text: `4300777`, `4300888`" in shown

    line, col = find(text, "data regions")  # on the declaration itself
    shown = _markdown(session.hover(uri, line, col + len("data r")))
    assert "a list of 3 items, each a text" in shown

    line, col = find(text, "recalls[server.serial]}")  # inside a message's interpolation
    assert "a mapping of 2 entries" in _markdown(session.hover(uri, line, col + 1))


def test_a_data_set_that_cannot_be_read_says_so(session: Session, opened: dict[str, tuple[str, str]]) -> None:
    uri, text = opened["owned/rules.esp"]
    typed = swap(text, '"data/regions.json"', '"data/missing.json"')
    session.change(uri, typed)
    line, col = find(typed, "data regions")
    shown = _markdown(session.hover(uri, line, col + len("data r")))
    assert "file: `data/missing.json` (not found)" in shown and "not read" in shown
    assert any(d.code == "data-file" for d in session.diagnostics(uri))
    assert session.definition(uri, line, col + len("data r")) != []  # still its declaration


def test_definition_and_references_of_a_data_set(session: Session, workspace: Path,
                                                 opened: dict[str, tuple[str, str]]) -> None:
    uri, text = opened["owned/rules.esp"]
    recalls = (workspace / "owned" / "data" / "recalls.yaml").resolve().as_uri()
    line, col = find(text, "recalls[server.serial] is present")
    [target] = session.definition(uri, line, col + 1)
    assert target.uri == uri and _at(target) == find(text, "recalls =")

    line, col = find(text, "data recalls")  # from the declaration: the file itself
    [file] = session.definition(uri, line, col + len("data r"))
    assert file.uri == recalls and _at(file) == (0, 0)
    line, col = find(text, '"data/recalls.yaml"')
    [file] = session.definition(uri, line, col + 3)
    assert file.uri == recalls

    line, col = find(text, "data recalls")
    uses = session.references(uri, line, col + len("data r"), declaration=False)
    expected = [find(text, "recalls[", n) for n in range(text.count("recalls["))]
    assert sorted(_at(loc) for loc in uses) == expected and len(expected) == 3
    assert len(session.references(uri, line, col + len("data r"))) == len(expected) + 1


def test_completion_after_faq_offers_the_declared_references(
        session: Session, opened: dict[str, tuple[str, str]]) -> None:
    uri, text = opened["owned/rules.esp"]
    typed = text + "\nrule new-rule {\n  for registration\n  deny when true\n  faq "
    session.change(uri, typed)
    items = {i.label: i for i in session.complete(uri, typed.count("\n"), len("  faq "))}
    assert set(items) == {"Q18", "Q19", "none"}
    assert items["Q18"].detail == "24x365 packs are sold for rack models only"
    assert items["Q18"].kind == lsp.CompletionItemKind.Reference
    doc = items["Q18"].documentation
    assert isinstance(doc, lsp.MarkupContent) and "ja: 24時間365日製品はラックモデル専用です" in doc.value

    uri, text = opened["policy/service_request.esp"]
    typed = text + "\nrule new-rule {\n  for service_request\n  deny when true\n  faq "
    session.change(uri, typed)
    items = {i.label: i for i in session.complete(uri, typed.count("\n"), len("  faq "))}
    assert items["Q3"].detail == Q3_EN
    labels = [label for label in items if label != "none"]
    assert labels[:3] == ["Q1", "Q2", "Q3"] and "Q17" in labels  # Q2 before Q10

    typed = text + "\nrule new-rule {\n  for service_request\n  deny when true\n  faq Q1, "
    session.change(uri, typed)
    assert "none" not in {i.label for i in session.complete(uri, typed.count("\n"), len("  faq Q1, "))}


def test_completion_offers_data_sets(session: Session, opened: dict[str, tuple[str, str]]) -> None:
    uri, text = opened["owned/rules.esp"]
    typed = text + "\nrule new-rule {\n  for registration\n  deny when re"
    session.change(uri, typed)
    items = {i.label: i for i in session.complete(uri, typed.count("\n"), len("  deny when re"))}
    assert items["recalls"].detail == "data from data/recalls.yaml"
    assert items["regions"].kind == lsp.CompletionItemKind.Constant


def test_outline_of_references_and_data(session: Session, opened: dict[str, tuple[str, str]]) -> None:
    uri, _ = opened["policy/references.esp"]
    by_name = {s.name: s for s in session.symbols(uri)}
    assert by_name["Q3"].kind == lsp.SymbolKind.Key and by_name["Q3"].detail == Q3_EN

    uri, text = opened["owned/rules.esp"]
    by_name = {s.name: s for s in session.symbols(uri)}
    assert by_name["recalls"].kind == lsp.SymbolKind.File and by_name["recalls"].detail == "data data/recalls.yaml"
    assert by_name["rack-models-only"].detail.startswith("24x365 packs for rack models only · deny")
    line, col = find(text, "recalls =")
    assert by_name["recalls"].selection_range.start == lsp.Position(line, col)


def test_hover_on_today_an_aggregate_and_a_table_entry(session: Session, opened: dict[str, tuple[str, str]]) -> None:
    uri, text = opened["owned/timing.esp"]
    assert session.diagnostics(uri) == []
    line, col = find(text, "today")
    shown = _markdown(session.hover(uri, line, col + 1))
    assert shown.startswith("```espolicy\ntoday: date\n```") and "the evaluation date" in shown

    line, col = find(text, "count(h in")  # the aggregate, not the built-in count(list)
    shown = _markdown(session.hover(uri, line, col + 1))
    assert "count(x in LIST: condition) -> number" in shown and "count(list" not in shown

    line, col = find(text, '"24x365" = 180')  # a quoted key: the entry, with its value
    got = session.hover(uri, line, col + 2)
    shown = _markdown(got)
    assert shown.startswith("entry `24x365` of table `GRACE`") and "value: `180`" in shown
    assert got is not None and got.range is not None
    assert (got.range.start.character, got.range.end.character) == (col, col + len('"24x365"'))
    line, col = find(text, "weekday = 30")  # a key spelt like a built-in function is still the entry
    shown = _markdown(session.hover(uri, line, col + 1))
    assert shown.startswith("entry `weekday` of table `GRACE`") and "value: `30`" in shown

    typed = text + "\nrule new-rule {\n  for registration\n  deny when registration_date > to"
    session.change(uri, typed)
    items = {i.label: i for i in session.complete(uri, typed.count("\n"), len(typed.split("\n")[-1]))}
    assert items["today"].detail == "date: the evaluation date"
