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


def _layout_tree() -> dict[str, str]:
    """docs/layout.md's folder tree: folder (`lang/`, `(base)`) → the text of its entry."""
    text = (REPO / "docs" / "layout.md").read_text(encoding="utf-8")
    tree = text.split("```\nespolicy/\n", 1)[1].split("```", 1)[0]
    entries: dict[str, str] = {}
    current = None
    for line in tree.splitlines():
        m = re.match(r"^[├└]── (\S+)", line)
        if m:
            current = m.group(1)
            entries[current] = ""
        if current is not None:
            entries[current] += line + "\n"
    return entries


def test_the_layout_page_names_every_module_in_its_folder() -> None:
    entries = _layout_tree()
    folders = sorted(p.parent.name + "/" for p in PACKAGE.glob("*/__init__.py"))
    assert sorted(e for e in entries if e.endswith("/")) == folders
    for folder in folders:
        files = [p.name for p in (PACKAGE / folder).iterdir()
                 if p.name != "__init__.py" and (p.suffix in (".py", ".lark", ".json") or p.is_dir())
                 and p.name != "__pycache__"]
        for name in files:
            shown = name + "/" if (PACKAGE / folder / name).is_dir() else name
            assert re.search(rf"(?<![\w/.]){re.escape(shown)}(?![\w])", entries[folder]), (folder, shown)
    base = [p.name for p in PACKAGE.glob("*.py") if p.name != "dask.py"]
    for name in base:
        assert re.search(rf"(?<![\w/.]){re.escape(name)}(?![\w])", entries["(base)"]), name
    assert "dask.py" in entries
