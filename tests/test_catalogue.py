"""`espolicy doc`: the rule catalogue for the support desk, Markdown and HTML."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import espolicy
from espolicy.commands import main as cli
from espolicy.lang import unparse
from espolicy.output.catalogue import Code, Heading, Paragraph, RuleEntry, Table, build, html_page, markdown


def policy():
    return espolicy.default_policy()


def test_markdown_lists_every_rule_with_its_texts_in_both_languages():
    p = policy()
    md = markdown(p.checked, p.info())
    for r in p.rules:
        assert f"### {r.id}\n" in md
        section = md.split(f"### {r.id}\n", 1)[1].split("\n### ", 1)[0]
        assert f"| effect | {r.effect}" in section
        assert f"| for | {', '.join(r.kinds)} |" in section
        assert (", ".join(r.faq) if r.faq else "none (data consistency)") in section
        for part, texts in (("Message", r.message), ("Advice", r.advice)):
            for lang in ("en", "ja"):
                assert f"- **{part} ({lang}):** " in section, (r.id, part, lang)


def test_placeholders_are_shown_as_braces():
    p = policy()
    md = markdown(p.checked, p.info())
    section = md.split("### g2-term-not-in-catalogue\n", 1)[1].split("\n### ", 1)[0]
    assert "ExpressSupportPack G2 has no `{pack.term_years}`-year pack" in section
    assert "`{G2_TERMS}`" in section
    assert '`pack.generation == "ESP_G2" and pack.term_years not in G2_TERMS`' in section


def test_faq_index_facts_and_constants():
    p = policy()
    md = markdown(p.checked, p.info())
    for i in range(1, 18):
        assert re.search(rf"^\| Q{i} — [^|]+ \| \[", md, re.M), f"Q{i}"  # the declared title
    assert "| Q6 — Is there a way to get support for 6 years or more? | [" in md
    assert "| none (data consistency) | [purchase-after-registration]" in md
    assert "| service_last_day | registration | `last_day(server.warranty_start, pack.term_years)` | — |" in md
    assert "| MAX_YEARS | `5` |" in md
    assert '| REGISTRATION_CENTER.tel | `"03-3454-6818"` |' in md
    assert p.info()["digest"] in md


def test_markdown_table_cells_escape_pipes():
    p = policy()
    md = markdown(p.checked, p.info())
    for line in md.splitlines():
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line)[1:-1]
            assert len(cells) in (2, 3, 4), line


class _Balance(HTMLParser):
    VOID = {"meta", "br", "hr", "img", "link", "input"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)
        self.ids += [v for k, v in attrs if k == "id"]

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


def test_html_is_balanced_escaped_and_linked():
    p = policy()
    page = html_page(p.checked, p.info())
    checker = _Balance()
    checker.feed(page)
    assert checker.stack == []
    assert sorted(checker.ids) == sorted(r.id for r in p.rules)
    text = re.sub(r"<[^>]*>", "", page)  # rule code may be highlighted (spans per token)
    assert "pack.term_years &gt; MAX_YEARS" in text and "pack.term_years > MAX_YEARS" not in page
    assert '<dd lang="ja">' in page and "ExpressSupportPack G2 に<code>{pack.term_years}</code>年間" in page
    for r in p.rules:
        assert f'href="#{r.id}"' in page


def test_cli_doc(capsys, tmp_path):
    assert cli.main(["doc"]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith("# ExpressSupportPack G2 FAQ — rule catalogue")
    target = tmp_path / "catalogue.html"
    assert cli.main(["doc", "--format", "html", "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_condition_text_is_the_formatter_text():
    p = policy()
    md = markdown(p.checked, p.info())
    for r in p.rules:
        assert unparse.expr(r.condition).replace("|", "\\|") in md


def _words(block) -> list[str]:
    """The plain texts and code of one block of the catalogue structure."""
    cells = {Heading: lambda b: [(b.text,)], Paragraph: lambda b: [b.cell],
             Table: lambda b: [(h,) for h in b.header] + [c for row in b.rows for c in row],
             RuleEntry: lambda b: [(b.id,)] + [(k,) + v for k, v in b.fields]}[type(block)](block)
    return [p.text if isinstance(p, Code) else p for cell in cells for p in cell if isinstance(p, (str, Code))]


def test_markdown_and_html_are_one_catalogue_rendered_twice():
    repo = Path(__file__).resolve().parent.parent
    for p in (policy(), espolicy.load_policy(repo / "example-policies" / "owner-rules")):
        cat = build(p.checked, p.info())
        md = markdown(p.checked, p.info()).replace("\\|", "|")
        page = html.unescape(re.sub(r"<[^>]*>", "", html_page(p.checked, p.info())))
        kinds = {type(b) for b in cat.blocks}
        assert kinds == {Heading, Paragraph, Table, RuleEntry}
        assert sum(isinstance(b, RuleEntry) for b in cat.blocks) == len(p.rules)
        for block in cat.blocks:
            for words in _words(block):
                assert words in md, (type(block).__name__, words)
                assert words in page, (type(block).__name__, words)
