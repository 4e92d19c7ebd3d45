"""`espolicy fmt`: its arguments and how it runs."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import difflib

from espolicy.errors import PolicyError
from espolicy.lang.fmt import format_source

def register(sub: Any) -> None:
    f = sub.add_parser("fmt", help="format rule files canonically (comments kept)",
                       description="Rewrite rule files in the canonical layout. With --check, only report "
                                   "the files that would change (exit 1); with --diff, print the changes.")
    f.add_argument("files", nargs="*", metavar="FILE", help="rule files (default: the policy folder's *.esp)")
    f.add_argument("--check", action="store_true", help="change nothing; exit 1 when a file would change")
    f.add_argument("--diff", action="store_true", help="change nothing; print a unified diff of the changes")
    f.add_argument("--policy", metavar="DIR", help="policy folder (default: the bundled policy)")
    f.set_defaults(func=run)


def run(args: Any) -> int:
    from espolicy.sources import POLICY_SUFFIX, bundled_dir

    if args.files:
        paths = [Path(p) for p in args.files]
    else:
        folder = Path(args.policy) if args.policy else bundled_dir("policy")
        paths = sorted(p for p in folder.glob(f"*{POLICY_SUFFIX}") if p.is_file())
        if not paths:
            print(f"espolicy fmt: error: no *{POLICY_SUFFIX} rule files in {folder}", file=sys.stderr)
            return 2
    changed, failed = [], False
    for path in paths:
        try:
            old = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            print(f"espolicy fmt: error: cannot read {path}: {e}", file=sys.stderr)
            failed = True
            continue
        try:
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
        if args.check or args.diff:
            print(f"would reformat {path}", file=sys.stderr)
        else:
            path.write_text(new, encoding="utf-8")
            print(f"reformatted {path}", file=sys.stderr)
    if failed:
        return 2
    if not changed:
        print(f"{len(paths)} file{'' if len(paths) == 1 else 's'} already formatted", file=sys.stderr)
    return 1 if changed and (args.check or args.diff) else 0
