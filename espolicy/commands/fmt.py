"""`espolicy fmt`: format rule files, given as files and folders (recursively), like `gofmt`."""
from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import Any

from espolicy.errors import PolicyError
from espolicy.lang.fmt import format_source
from espolicy.commands.arguments import add_policy_option


def register(sub: Any) -> None:
    f = sub.add_parser("fmt", help="format rule files canonically (comments kept)",
                       description="Rewrite rule files in the canonical layout. PATHs are rule files or folders "
                                   "(searched recursively for *.esp); without one, the policy folder. With "
                                   "--check, change nothing and list the files that would change (exit 1); "
                                   "with --diff, print the changes.")
    f.add_argument("files", nargs="*", metavar="PATH",
                   help="rule files or folders (default: the policy folder: --policy, else ./policy)")
    f.add_argument("--check", action="store_true",
                   help="change nothing; list the files that would change and exit 1 when there are any")
    f.add_argument("--diff", action="store_true", help="change nothing; print a unified diff of the changes")
    add_policy_option(f)
    f.set_defaults(func=run)


def rule_files(paths: list[Path]) -> list[Path]:
    """The rule files named by `paths`: a file as given, a folder's `*.esp` files at any depth;
    FileNotFoundError for a path that does not exist."""
    from espolicy.sources import POLICY_SUFFIX
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.rglob(f"*{POLICY_SUFFIX}") if f.is_file())
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(str(p))
    return list(dict.fromkeys(out))


def run(args: Any) -> int:
    from espolicy.commands.loading import choose_policy, describe, folder_digest
    from espolicy.sources import declared_name, is_installed, read_rule_file

    writes = not (args.check or args.diff)
    if args.files:
        try:
            paths = rule_files([Path(p) for p in args.files])
        except FileNotFoundError as e:
            print(f"espolicy fmt: error: no such file or folder `{e}`", file=sys.stderr)
            return 2
    else:
        choice = choose_policy(args.policy)
        if writes and choice.installed:
            print(f"espolicy fmt: error: {choice.where()} is part of the installed package and is not "
                  "rewritten\n  help: run `espolicy fmt` in a folder with `policy/`, or name the files or "
                  "folders to format (`espolicy fmt my-policy`)", file=sys.stderr)
            return 2
        paths = rule_files([choice.folder]) if choice.folder.is_dir() else []
        if paths:
            sources = [(str(p), p.read_text(encoding="utf-8", errors="replace")) for p in paths]
            print(describe(choice, declared_name(sources), folder_digest(sources)), file=sys.stderr)
    if not paths:
        print("espolicy fmt: error: no *.esp rule files to format\n  help: name rule files or folders, "
              "or give the policy folder with `--policy DIR`", file=sys.stderr)
        return 2
    changed, failed = [], False
    for path in paths:
        try:
            old = read_rule_file(path)
            new = format_source(old, str(path))
        except PolicyError as e:
            print(str(e), file=sys.stderr)
            failed = True
            continue
        if new == old:
            continue
        changed.append(path)
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                                       f"{path} (now)", f"{path} (formatted)"))
        elif args.check:
            print(path)
        elif is_installed(path):
            print(f"espolicy fmt: error: `{path}` is part of the installed package and is not rewritten",
                  file=sys.stderr)
            failed = True
        else:
            path.write_text(new, encoding="utf-8")
            print(f"reformatted {path}", file=sys.stderr)
    if failed:
        return 2
    n = len(paths)
    if not changed:
        print(f"{n} file{'' if n == 1 else 's'} already formatted", file=sys.stderr)
    elif not writes:
        print(f"{len(changed)} of {n} file{'' if n == 1 else 's'} would be reformatted", file=sys.stderr)
    return 1 if changed and not writes else 0
