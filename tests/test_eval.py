"""`espolicy eval EXPR [DOC]`: the value and type of an expression, for a document or constants only."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from espolicy.commands import main as cli

REPO = Path(__file__).resolve().parent.parent
DOC = str(REPO / "examples" / "registration-mixed-generations.yaml")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["eval", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("expr, shown", [
    ("add_days(server.warranty_start, 30)", "2023-05-31  : date"),
    ("days_between(pack.purchase_date, registration_date)", "14  : number"),
    ('pack.term_years > 3 and pack.generation == "ESP_G2"', "true  : true/false"),
    ("service_last_day", "2028-04-30  : date"),                    # a fact
    ("outcome", '"deny"  : text (one of allow, deny, review)'),
    ('any h in history: h.generation == "ESP"', "true  : true/false"),
    ("pack.term_years * 12", "60  : number"),
])
def test_an_expression_for_a_document(capsys: pytest.CaptureFixture[str], expr: str, shown: str) -> None:
    code, out, err = run(capsys, expr, DOC)
    assert code == 0, err
    assert out == f"{DOC}: {shown}\n"


def test_constants_only_without_a_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "MAX_YEARS * 2")[1] == "10  : number\n"
    code, out, _ = run(capsys, "G2_TERMS", "--format", "json")
    assert code == 0 and json.loads(out) == {"source": None, "value": [3, 4, 5], "type": "set of number"}
    code, out, err = run(capsys, "pack.term_years")
    assert code == 2 and out == ""
    assert "give DOC to read fields and facts" in err


def test_errors_teach(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "pack.term_yeras", DOC)
    assert code == 2 and "<expr>:1:1: error[unknown-field]: `pack` has no field `term_yeras`" in err
    assert "help: did you mean `term_years`?" in err
    code, _, err = run(capsys, "(1 + 2")
    assert code == 2 and "`(` on line 1 has no closing `)`" in err and "help: add `)` at the end of line 1" in err
    code, _, err = run(capsys, "1 +", str(REPO / "no-such.yaml"))
    assert code == 2


def test_an_invalid_document_is_said_to_be_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: registration\nid: X\n", encoding="utf-8")
    code, out, err = run(capsys, "1 + 1", str(bad))
    assert code == 1 and out == "" and "is invalid, so nothing is evaluated for it" in err
