"""The docs pages' console examples are what espolicy prints: every fenced block whose first line is
`$ espolicy …` is run and its output compared, so the pages cannot drift from the program.

How a page's block is read:
- ```` ``` ```` or ```` ```console ````: run from the repository root, as it is.
- ```` ```{.console .walkthrough} ````: a step of the page's walkthrough. The page's walkthrough
  blocks run in page order in a copy of the repository; a ```` ```{… .walkthrough write="F"} ````
  or ```` append="F" ```` block writes (appends) its text to F in the copy first. `$ ` lines that
  are not `espolicy` (`sed -i …`) run in the copy's shell too.
- ```` ```{.console .illustration} ````: needs what a test cannot start (a Dask cluster, object
  storage); not run, but its command line must be one espolicy's parser accepts.

What is compared: the command's standard output and error as a terminal shows them, with these
normalisations, on both sides: a digest `sha256:<hex>` (or shortened `sha256:c4206093…`) reads
`sha256:…`; a line that is `…` alone stands for any lines (none included); and the notice of
which policy is used (`policy … from ./policy, sha256:…`, on standard error) counts only in the
blocks that show it.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# index.md is README.md with site links; test_readme_examples runs its examples.
PAGES = sorted(p for p in (REPO / "docs").glob("*.md") if p.name != "index.md")
_FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```[ ]*$", re.S | re.M)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_DIGEST = re.compile(r"sha256:[0-9a-f]+…?")
_NOTICE = re.compile(r"^policy .+ from .+, sha256:…$")


@dataclass(frozen=True)
class Block:
    """One fenced block of a page: its classes (``console``, ``walkthrough`` …), attributes and text."""
    page: str
    line: int
    classes: tuple[str, ...]
    attrs: dict[str, str]
    text: str


@dataclass(frozen=True)
class Session:
    """One `$ command` of a block and the output shown under it."""
    command: str
    shown: str


def _blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        info = match.group(1).strip()
        if info.startswith("{"):
            classes = tuple(re.findall(r"\.([\w-]+)", info))
            attrs = dict(_ATTR.findall(info))
        else:
            classes, attrs = ((info,) if info else ()), {}
        found.append(Block(page.name, text.count("\n", 0, match.start()) + 1, classes, attrs, match.group(2)))
    return found


def _sessions(block: Block) -> list[Session]:
    sessions: list[Session] = []
    command, shown = "", list[str]()
    for line in block.text.splitlines(keepends=True):
        if line.startswith("$ "):
            if command:
                sessions.append(Session(command, "".join(shown)))
            command, shown = line[2:].rstrip("\n"), []
        else:
            shown.append(line)
    sessions.append(Session(command, "".join(shown)))
    return sessions


def _is_example(block: Block) -> bool:
    return block.text.startswith("$ espolicy ") and set(block.classes) <= {"console"}


ALL = [b for page in PAGES for b in _blocks(page)]
EXAMPLES = [b for b in ALL if _is_example(b)]
ILLUSTRATIONS = [b for b in ALL if "illustration" in b.classes]
WALKTHROUGH_PAGES = sorted({b.page for b in ALL if "walkthrough" in b.classes})


def _run(command: str, cwd: Path) -> str:
    """Run one shell command line with `espolicy` being this Python's package in `cwd`."""
    shell = f'espolicy() {{ "$ESPOLICY_TEST_PYTHON" -m espolicy "$@"; }}\n{command}\n'
    env = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "ESPOLICY_CACHE_DIR": "off", "PYTHONUNBUFFERED": "1",
           "LC_ALL": "C.UTF-8", "ESPOLICY_TEST_PYTHON": sys.executable}
    done = subprocess.run(["bash", "-c", shell], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, cwd=cwd, env=env)
    return done.stdout


def _pattern(shown: str) -> re.Pattern[str]:
    parts = ["(?:[^\n]*\n)*?" if line == "…" else re.escape(line) + "\n"
             for line in _DIGEST.sub("sha256:…", shown).splitlines()]
    return re.compile("".join(parts))


def _matches(shown: str, actual: str) -> bool:
    actual = _DIGEST.sub("sha256:…", actual)
    if not any(_NOTICE.match(line) for line in _DIGEST.sub("sha256:…", shown).splitlines()):
        actual = "".join(line for line in actual.splitlines(keepends=True) if not _NOTICE.match(line.rstrip("\n")))
    return _pattern(shown).fullmatch(actual) is not None


def test_the_docs_have_console_examples() -> None:
    assert len(EXAMPLES) >= 5, f"only {len(EXAMPLES)} `$ espolicy …` blocks found under docs/"
    assert "policy-owners.md" in WALKTHROUGH_PAGES


def test_every_command_block_is_run_or_marked() -> None:
    """A `$ espolicy` block is an example, a walkthrough step or an illustration: none is left out."""
    commands = [b for b in ALL if b.text.startswith("$ espolicy ")]
    unmarked = [f"{b.page}:{b.line}" for b in commands
                if not (_is_example(b) or {"walkthrough", "illustration"} & set(b.classes))]
    assert not unmarked, unmarked


def _differs(block: Block, session: Session, actual: str) -> str:
    return (f"docs/{block.page}:{block.line} shows another output than the command prints; "
            f"paste what it prints now (below) into the page\n$ {session.command}\n{actual}")


@pytest.mark.parametrize("block", EXAMPLES, ids=[f"{b.page}:{b.line}" for b in EXAMPLES])
def test_docs_console_example(block: Block) -> None:
    for session in _sessions(block):
        actual = _run(session.command, REPO)
        assert _matches(session.shown, actual), _differs(block, session, actual)


@pytest.mark.parametrize("block", ILLUSTRATIONS, ids=[f"{b.page}:{b.line}" for b in ILLUSTRATIONS])
def test_docs_illustration_is_a_valid_command_line(block: Block) -> None:
    """An illustration needs what a test cannot start (a Dask scheduler, object storage), so it is not
    run; but its command line is one that espolicy accepts: every option exists and takes its value."""
    import shlex

    from espolicy.commands.main import build_parser

    assert block.text.startswith("$ espolicy "), f"{block.page}:{block.line}: an illustration shows a command"
    argv = shlex.split(block.text.splitlines()[0][len("$ espolicy "):])
    try:
        args = build_parser(argv).parse_args(argv)
    except SystemExit as e:
        raise AssertionError(f"docs/{block.page}:{block.line}: espolicy does not accept `{' '.join(argv)}`") from e
    assert args.command == argv[0]


def _copy_of_repo(target: Path) -> Path:
    """The repository's files (what git tracks and what is on disk, less .git) in `target`."""
    shutil.copytree(REPO, target, ignore=shutil.ignore_patterns(".git", "site", "__pycache__", "*.egg-info",
                                                                 ".venv*", "build", ".pytest_cache"))
    return target


@pytest.mark.parametrize("page", WALKTHROUGH_PAGES)
def test_docs_walkthrough(page: str, tmp_path: Path) -> None:
    copy = _copy_of_repo(tmp_path / "repo")
    steps = [b for b in _blocks(REPO / "docs" / page) if "walkthrough" in b.classes]
    checked = 0
    for block in steps:
        if "write" in block.attrs or "append" in block.attrs:
            target = copy / block.attrs.get("write", block.attrs.get("append", ""))
            if "write" in block.attrs:
                target.write_text(block.text, encoding="utf-8")
            else:
                with target.open("a", encoding="utf-8") as out:
                    out.write("\n" + block.text)
            continue
        assert block.text.startswith("$ "), f"{page}:{block.line}: a walkthrough step is a command or a file"
        for session in _sessions(block):
            actual = _run(session.command, copy)
            assert _matches(session.shown, actual), _differs(block, session, actual)
            checked += 1
    assert checked, f"{page}: no walkthrough command was checked"


def test_the_comparison_is_no_looser_than_documented() -> None:
    """`…` lines, digests and the policy notice are the only things a shown output may leave out."""
    assert _matches("a\n…\nz\n", "a\nb\nc\nz\n") and _matches("a\n…\nz\n", "a\nz\n")
    assert not _matches("a\n…\nz\n", "a\nb\n") and not _matches("a\nz\n", "a\nb\nz\n")
    assert not _matches("ok\n", "ok\n\n") and not _matches("a …\n", "a b\n")
    assert _matches("x (sha256:c4206093…)\n", "x (sha256:e6e49db5b12d)\n")
    notice = "policy P from ./policy, sha256:ab12\n"
    assert _matches("ok\n", notice + "ok\n") and _matches(notice + "ok\n", notice + "ok\n")
    assert not _matches("policy P from ./policy, sha256:…\nok\n", "ok\n")
