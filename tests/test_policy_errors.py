"""A broken rule file stops `load_policy` and `espolicy validate --policy` (exit 2) at file:line:column."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from espolicy import PolicyError, load_policy
from espolicy.commands.main import main
from espolicy.sources import bundled_dir

GOOD = bundled_dir("policy")

CASES = {
    # name: (replace this, by that, where in `that` the error points, words in the message)
    "syntax": ("pack.term_years > MAX_YEARS", "pack.term_years >", len("pack.term_years >"), "error[syntax]"),
    "unknown-field": ("pack.term_years > MAX_YEARS", "pack.term_yaers > MAX_YEARS", 0, "has no field `term_yaers`"),
    "type": ("pack.term_years > MAX_YEARS", "pack.term_years > registration_date", 0, "orders two numbers"),
}


def expected_place(old: str, offset: int) -> str:
    """`registration.esp:LINE:COL` of `offset` characters into where `old` stands in the bundled file,
    so that reformatting the bundled policy does not break these tests."""
    lines = (GOOD / "registration.esp").read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if old in text)
    return f"registration.esp:{line}:{lines[line - 1].index(old) + offset + 1}"


def broken_policy(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "policy"
    folder.mkdir()
    for p in GOOD.glob("*.esp"):
        text = p.read_text(encoding="utf-8")
        if p.name == "registration.esp":
            assert old in text
            text = text.replace(old, new, 1)
        (folder / p.name).write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize("case", sorted(CASES))
def test_load_policy_names_the_place(tmp_path: Path, case: str):
    old, new, offset, words = CASES[case]
    where = expected_place(old, offset)
    folder = broken_policy(tmp_path, old, new)
    with pytest.raises(PolicyError) as info:
        load_policy(folder)
    e = info.value
    assert f"{Path(e.file).name}:{e.line}:{e.column}" == where
    assert words in str(e) and "^" in str(e)


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_with_a_broken_policy_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str):
    old, new, offset, words = CASES[case]
    where = expected_place(old, offset)
    folder = broken_policy(tmp_path, old, new)
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps({"kind": "registration"}))
    assert main(["validate", "--policy", str(folder), str(doc)]) == 2
    err = capsys.readouterr().err
    assert where in err and words in err and "^" in err and "Traceback" not in err
