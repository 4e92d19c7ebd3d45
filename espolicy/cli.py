"""The `espolicy` command line (contract.md §5).

Exit codes: 0 nothing at or above `--fail-on`; 1 something is (`invalid` always fails);
2 usage error, missing input path, or unreadable/broken policy. Reports go to stdout,
diagnostics to stderr; bad input never produces a traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Sequence

from . import __version__
from .output import FORMATS

if TYPE_CHECKING:
    from .evaluate import Policy

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
PLANNED = {
    "fmt": "canonical formatting of rule files (planned)",
    "test": "run the policy's own test cases (planned)",
    "explain": "show which rules ran, which conditions held, and the facts (planned)",
}


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _load(policy_dir: str | None) -> Policy | None:
    """The policy to use, or None after writing why it cannot be loaded to stderr."""
    from .errors import PolicyError
    from .evaluate import load_policy

    try:
        return load_policy(policy_dir)
    except PolicyError as e:
        _err(str(e))
    except (OSError, UnicodeError) as e:
        _err(f"espolicy: error: cannot load the policy: {e}")
    return None


def cmd_validate(args: argparse.Namespace) -> int:
    """Judge every document under PATH…, streaming each report to the chosen format."""
    from .loader import iter_documents, iter_paths
    from .report import Summary, invalid_report

    try:
        files = list(iter_paths(args.paths))  # a missing path fails here, before any output
    except FileNotFoundError as e:
        _err(f"espolicy validate: error: no such file or folder: {e.filename or e}")
        return EXIT_USAGE
    policy = _load(args.policy)
    if policy is None:
        return EXIT_USAGE

    out = FORMATS[args.format](sys.stdout, args.lang)
    summary = Summary()
    failed = False
    status = EXIT_OK
    out.start(policy.info())
    try:
        for path in files:
            for loaded in iter_documents(path, stdin=sys.stdin):
                if loaded.problem is not None:
                    report = invalid_report([loaded.problem], None, loaded.source)
                else:
                    report = policy.validate(loaded.doc, source=loaded.source)
                out.result(report)
                summary.add(report)
                failed = failed or report.fails(args.fail_on)
    except BrokenPipeError:
        raise
    except OSError as e:  # the loader reports unreadable files as invalid; this is a last resort
        _err(f"espolicy validate: error: {e}")
        status = EXIT_USAGE
    out.end(summary)
    if status:
        return status
    return EXIT_FAIL if failed else EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Parse and type-check the policy; print a one-line summary of it."""
    policy = _load(args.policy)
    if policy is None:
        return EXIT_USAGE
    for warning in policy.checked.warnings:
        _err(warning.render())
    info = policy.info()
    files = len(policy.checked.modules)
    rules = len(policy.rules)
    print(f"ok: {rules} rule{'' if rules == 1 else 's'} in {files} file{'' if files == 1 else 's'} "
          f"(policy {info['name']}, {info['digest']})")
    return EXIT_OK


def cmd_planned(args: argparse.Namespace) -> int:
    _err(f"espolicy {args.command}: not implemented yet")
    return EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="espolicy",
        description="Validate NEC ExpressSupportPack G2 documents against the support rules (policy as code).")
    parser.add_argument("--version", action="version", version=f"espolicy {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    v = sub.add_parser("validate", help="judge documents: files, folders (recursively) or - for stdin",
                       description="Judge each document; exit 0 when nothing is at or above --fail-on, "
                                   "1 when something is (invalid always fails), 2 on a usage or policy error.")
    v.add_argument("paths", nargs="+", metavar="PATH", help="a .yaml/.yml/.json/.jsonl file, a folder, or -")
    v.add_argument("--format", choices=sorted(FORMATS), default="text", help="report format (default text)")
    v.add_argument("--lang", choices=("en", "ja"), default="en", help="language of messages (default en)")
    v.add_argument("--policy", metavar="DIR", help="policy folder (default: the bundled policy)")
    v.add_argument("--fail-on", choices=("deny", "review", "warn"), default="deny",
                   help="lowest level that fails the run (default deny)")
    v.set_defaults(func=cmd_validate)

    c = sub.add_parser("check", help="parse and type-check the policy against the schemas")
    c.add_argument("--policy", metavar="DIR", help="policy folder (default: the bundled policy)")
    c.set_defaults(func=cmd_check)

    planned = {name: sub.add_parser(name, help=text, description=text) for name, text in PLANNED.items()}
    planned["fmt"].add_argument("--check", action="store_true", help="only report files that would change")
    planned["fmt"].add_argument("--policy", metavar="DIR", help="policy folder (default: the bundled policy)")
    planned["test"].add_argument("--policy", metavar="DIR", help="policy folder (default: the bundled policy)")
    planned["explain"].add_argument("doc", metavar="DOC", help="the document to explain")
    planned["explain"].add_argument("--policy", metavar="DIR", help="policy folder (default: the bundled policy)")
    for p in planned.values():
        p.set_defaults(func=cmd_planned)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (the console script exits with it)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, usage errors: argparse already wrote the message
        return e.code if isinstance(e.code, int) else (EXIT_OK if e.code is None else EXIT_USAGE)
    if args.command is None:
        parser.print_usage(sys.stderr)
        _err("espolicy: error: a command is required (validate, check, fmt, test, explain)")
        return EXIT_USAGE
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `espolicy validate … | head`: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_FAIL
