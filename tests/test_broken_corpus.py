"""The broken-policy corpus: rule files and test files with one mistake each (syntax, clauses, names,
types, texts, declarations, encodings, test files), and what espolicy says about each, kept as a
snapshot beside it (`NAME.expected`). A changed message shows up here as a diff to review; to
accept new messages, run with ESPOLICY_UPDATE_SNAPSHOTS=1 and read the diff before committing.

A rule file is checked alone as the policy folder `broken/` (`espolicy check --policy broken`); a
test file runs against the bundled policy (`espolicy test broken/NAME.yaml`). Digests are masked."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from espolicy.commands import main as cli
from espolicy.engine.policy import load_policy
from espolicy.errors import PolicyError
from espolicy.sources import bundled_dir

CORPUS = Path(__file__).resolve().parent / "conformance" / "broken"
CASES = sorted(p for p in CORPUS.iterdir() if p.suffix in (".esp", ".yaml"))
UPDATE = os.environ.get("ESPOLICY_UPDATE_SNAPSHOTS") == "1"


def masked(text: str) -> str:
    return re.sub(r"sha256:[0-9a-f]{64}", "sha256:…", text)


def command_for(case: Path) -> list[str]:
    if case.suffix == ".esp":
        return ["check", "--policy", "broken"]
    return ["test", f"broken/{case.name}"]


def run_case(case: Path, work: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    (work / "broken").mkdir()
    shutil.copy(case, work / "broken" / case.name)
    if case.suffix == ".esp":   # the FAQ's questions are declared references, as in any policy folder
        shutil.copy(bundled_dir("policy") / "references.esp", work / "broken" / "references.esp")
    shutil.copytree(bundled_dir("policy"), work / "policy")
    code = cli.main(command_for(case))
    out, err = capsys.readouterr()
    return code, masked(out), masked(err)


def test_the_corpus_is_large_and_covers_every_area() -> None:
    assert len(CASES) >= 80
    areas = {p.name.split("-")[0] for p in CASES}
    assert {"syntax", "clause", "names", "types", "texts", "decl", "encoding", "tests"} <= areas


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_broken_file_gives_its_snapshot(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_case(case, tmp_path, capsys)
    got = f"$ espolicy {' '.join(command_for(case))}\nexit {code}\n--- stdout\n{out}--- stderr\n{err}"
    expected_file = case.with_suffix(".expected")
    if UPDATE:
        expected_file.write_text(got, encoding="utf-8")
    assert expected_file.exists(), f"no snapshot for {case.name}: run with ESPOLICY_UPDATE_SNAPSHOTS=1"
    assert got == expected_file.read_text(encoding="utf-8")
    assert code == 2, "every file of the corpus is broken"
    assert "Traceback" not in err
    # every error says what to write instead
    blocks = [b for b in err.split("\n\n") if "error[" in b]
    assert blocks and all("help: " in b for b in blocks), err


@pytest.mark.parametrize("case", [c for c in CASES if c.suffix == ".esp"], ids=lambda p: p.name)
def test_policy_error_holds_what_check_prints(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ESPOLICY_CACHE_DIR", "off")
    _, _, err = run_case(case, tmp_path, capsys)
    with pytest.raises(PolicyError) as raised:
        load_policy("broken")
    printed = err.rsplit("\n\n", 1)[0]  # the blocks, without the count line
    assert "\n\n".join(d.render() for d in raised.value.diagnostics) == printed
