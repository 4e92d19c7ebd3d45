"""The VS Code extension's TextMate grammar, tested by `vscode-tmgrammar-test` on annotated samples,
and kept in step with the language's own grammar and the extension's manifest.

`vscode-tmgrammar-test` (npm) is looked for beside the Python running the tests (where `.ci/run`
installs it), then on PATH, or at $VSCODE_TMGRAMMAR_TEST.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
VSCODE = REPO / "editors" / "vscode"
GRAMMAR = VSCODE / "syntaxes" / "espolicy.tmLanguage.json"
SAMPLES = sorted((VSCODE / "tests").glob("*.esp"))


def _tool() -> str:
    for candidate in (os.environ.get("VSCODE_TMGRAMMAR_TEST"), str(Path(sys.executable).parent / "vscode-tmgrammar-test"),
                      shutil.which("vscode-tmgrammar-test")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("vscode-tmgrammar-test is not installed: `npm install --prefix DIR vscode-tmgrammar-test` and link "
                "DIR/node_modules/.bin/vscode-tmgrammar-test beside the Python that runs the tests (.ci/run does)")


def _run(samples: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_tool(), "--compact", "-g", str(GRAMMAR), *map(str, samples)], capture_output=True,
                          text=True, check=False, cwd=VSCODE)


def test_the_annotated_samples_pass() -> None:
    assert len(SAMPLES) >= 2
    done = _run(SAMPLES)
    assert done.returncode == 0, done.stdout + done.stderr
    for sample in SAMPLES:
        assert f"{sample.name} run successfuly" in done.stdout  # (sic: the tool's spelling)


def test_a_wrong_annotation_fails(tmp_path: Path) -> None:
    """The samples' assertions are checked: one changed scope makes the run fail at its line."""
    text = (VSCODE / "tests" / "rules.esp").read_text(encoding="utf-8")
    wrong = text.replace("^^^^^^^^^ variable.other.constant.espolicy", "^^^^^^^^^ string.quoted.double.espolicy", 1)
    assert wrong != text
    (tmp_path / "wrong.esp").write_text(wrong, encoding="utf-8")
    done = _run([tmp_path / "wrong.esp"])
    assert done.returncode != 0
    assert "string.quoted.double.espolicy" in done.stdout


def test_every_keyword_of_the_language_is_highlighted() -> None:
    """Each keyword of grammar.lark appears in a pattern of the TextMate grammar."""
    lark = resources.files("espolicy.lang").joinpath("grammar.lark").read_text(encoding="utf-8")
    words = set(re.findall(r'"([a-z]+)"', lark))
    for alternatives in re.findall(r"/\(([a-z|]+)\)\\b/", lark):
        words |= set(alternatives.split("|"))
    assert {"rule", "deny", "when", "faq", "message", "present"} <= words
    patterns = GRAMMAR.read_text(encoding="utf-8")
    missing = sorted(w for w in words if not re.search(rf"[(|\\b^]{w}[)|\\]", patterns))
    assert missing == []


def test_the_manifest_names_the_grammar_and_the_server() -> None:
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    grammar = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    [language] = manifest["contributes"]["languages"]
    [entry] = manifest["contributes"]["grammars"]
    assert language["id"] == entry["language"] == "espolicy" and ".esp" in language["extensions"]
    assert entry["scopeName"] == grammar["scopeName"] == "source.espolicy"
    assert (VSCODE / entry["path"]).resolve() == GRAMMAR
    json.loads((VSCODE / language["configuration"]).read_text(encoding="utf-8"))
    client = (VSCODE / manifest["main"]).read_text(encoding="utf-8")
    assert manifest["contributes"]["configuration"]["properties"]["espolicy.server.args"]["default"] == ["lsp"]
    assert '"server.command", "espolicy"' in client and "vscode-languageclient" in manifest["dependencies"]
