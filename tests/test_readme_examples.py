"""The README's console examples are what espolicy prints: each `$ espolicy …` block is run and its
output compared, so the front page cannot drift from the program."""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_BLOCK = re.compile(r"```\n\$ (espolicy [^\n]+)\n(.*?)```", re.S)
EXAMPLES = _BLOCK.findall((REPO / "README.md").read_text(encoding="utf-8"))


def test_the_readme_has_console_examples() -> None:
    assert EXAMPLES, "no `$ espolicy …` block found in README.md"


@pytest.mark.parametrize("command, shown", EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_console_example(command: str, shown: str) -> None:
    argv = shlex.split(command)[1:]
    done = subprocess.run([sys.executable, "-m", "espolicy", *argv], capture_output=True, text=True,
                          cwd=REPO, env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "ESPOLICY_CACHE_DIR": "off"})
    assert done.stdout == shown, done.stderr
