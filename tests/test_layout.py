"""The package keeps its layout: no module imports a private name (`_x`) of another module, the
stage folders exist as the docs describe them, and docs/index.md is the README with site links."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import espolicy

PACKAGE = Path(espolicy.__file__).resolve().parent
REPO = Path(__file__).resolve().parent.parent


def _private_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("espolicy"):
            found += [f"{path.relative_to(PACKAGE)}:{node.lineno} {node.module}.{a.name}"
                      for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
    return found


def test_no_module_imports_a_private_name_of_another() -> None:
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in _private_imports(path)]
    assert found == []


def test_stage_folders() -> None:
    for stage in ("lang", "documents", "engine", "output", "commands"):
        assert (PACKAGE / stage / "__init__.py").is_file(), stage


def test_docs_index_is_the_readme() -> None:
    readme = REPO / "README.md"
    expected = re.sub(r"\]\(docs/", "](", readme.read_text(encoding="utf-8")).replace("[`docs/`](docs/)", "`docs/`")
    assert (REPO / "docs" / "index.md").read_text(encoding="utf-8") == expected
