"""The `espolicy` command line (contract.md §5).

Exit codes: 0 nothing at or above `--fail-on`; 1 something is (`invalid` always fails);
2 usage error, missing input path, or unreadable/broken policy. Reports go to stdout,
diagnostics to stderr; bad input never produces a traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Callable, Sequence

from . import __version__
from .output import FORMATS

if TYPE_CHECKING:
    from .evaluate import Policy

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def load_for_command(policy_dir: str | os.PathLike[str] | None, command: str = "espolicy") -> Policy | None:
    """The policy a command uses, or None after writing why it cannot be loaded to stderr (the
    command then exits 2). Shared by every subcommand."""
    from .errors import PolicyError
    from .evaluate import load_policy

    try:
        return load_policy(policy_dir)
    except PolicyError as e:
        _err(str(e))
    except (OSError, UnicodeError, ValueError) as e:  # ValueError: a schema file that cannot be used
        _err(f"{command}: error: cannot load the policy: {e}")
    return None



def cmd_validate(args: argparse.Namespace) -> int:
    """Judge every document under PATH…, streaming each report to the chosen format
    (espolicy.batch: selection, processes, limits; espolicy.output: the formats)."""
    import dataclasses

    from .batch import BatchOptions, documents, run
    from .limits import DEFAULT_LIMITS
    from .loader import iter_paths
    from .output import RunContext
    from .progress import Progress, is_terminal, wanted
    from .report import Summary

    try:  # a missing path fails here, before any output
        files = list(iter_paths(args.paths, args.include or (), args.exclude or ()))
    except FileNotFoundError as e:
        _err(f"espolicy validate: error: no such file or folder: {e.filename or e}")
        return EXIT_USAGE
    if not files:  # a folder with no documents is not an error, but a pipeline should hear of it
        _err("espolicy validate: warning: no .yaml, .yml, .json or .jsonl files under "
             + ", ".join(args.paths))
    policy = load_for_command(args.policy, "espolicy validate")
    if policy is None:
        return EXIT_USAGE
    kinds = frozenset(args.kind or ())
    if kinds - set(policy.schemas.kinds):
        _err(f"espolicy validate: error: unknown --kind {', '.join(sorted(kinds - set(policy.schemas.kinds)))} "
             f"(the policy knows: {', '.join(sorted(policy.schemas.kinds))})")
        return EXIT_USAGE

    results_shown = not (args.quiet or args.summary_only)
    limits = DEFAULT_LIMITS
    if args.max_documents is not None:
        limits = dataclasses.replace(limits, max_documents=args.max_documents, max_lines=args.max_documents)
    out = FORMATS[args.format](sys.stdout, args.lang, RunContext(policy, args.fail_on, __version__))
    options = BatchOptions(jobs=args.jobs, fail_on=args.fail_on, kinds=kinds, max_findings=args.max_findings,
                           reports=results_shown, limits=limits, render=getattr(out, "renderer", None))
    progress = None  # on a terminal's stderr, unless results scroll on the same terminal
    if not args.quiet and wanted(sys.stderr) and not (results_shown and is_terminal(sys.stdout)):
        progress = Progress(sys.stderr, files)
    summary = Summary()
    failed = False
    status = EXIT_OK
    out.start(policy.info())
    try:
        items = documents(files, sys.stdin, progress, options.limits, raw_lines=options.jobs > 1)
        _, failed = run(policy, items, options, out if results_shown else None, progress, summary)
    except BrokenPipeError:
        raise
    except OSError as e:  # the loader reports unreadable files as invalid; this is a last resort
        _err(f"espolicy validate: error: {e}")
        status = EXIT_USAGE
    finally:
        if progress is not None:
            progress.close()
    out.end(summary)
    if status:
        return status
    return EXIT_FAIL if failed else EXIT_OK


def _at_least(minimum: int, what: str = "a number") -> Callable[[str], int]:
    """An argparse type: a whole number ≥ `minimum`."""
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, not {value!r}") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"expected {what} ≥ {minimum}, not {number}")
        return number
    return parse


_count = _at_least(0)        # --max-findings
_positive = _at_least(1)     # --max-documents


def _jobs(value: str) -> int:
    """`--jobs`: a number of processes ≥ 1, or `auto` (one per processor)."""
    if value.strip().lower() == "auto":
        from .batch import cpu_count
        return cpu_count()
    try:
        return _at_least(1, "a number of processes")(value)
    except argparse.ArgumentTypeError as e:
        raise argparse.ArgumentTypeError(f"{e} (or `auto`, one per processor)") from None


# The policy owner's tools, one module each (command -> module with `register(subparsers)`).
TOOLS = {"check": "lint", "test": "policytest", "fmt": "fmt", "explain": "explain", "doc": "catalogue"}


def _tools_needed(argv: Sequence[str] | None) -> list[str]:
    """The tool modules to register: only the one named on the command line (so that `validate`
    starts without importing them), all of them for `--help` or anything unclear."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args if not a.startswith("-")), None)
    if command == "validate":
        return []
    if command in TOOLS:
        return [TOOLS[command]]
    return list(TOOLS.values())


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser (with the tools `argv` needs; all of them when `argv` is None)."""
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
    v.add_argument("-j", "--jobs", type=_jobs, default=1, metavar="N",
                   help="judge in N processes, or `auto` for one per processor (default 1); "
                        "results, output and exit code are the same as with one")
    v.add_argument("-q", "--quiet", action="store_true",
                   help="print only the summary: no per-document results, no progress bar")
    v.add_argument("--summary-only", action="store_true",
                   help="leave the per-document results out of the report (in every format); keep the summary")
    v.add_argument("--max-findings", type=_count, metavar="N",
                   help="report at most N findings per document, the most severe first (outcome unchanged)")
    v.add_argument("--include", action="append", metavar="GLOB",
                   help="in folders, read only files matching GLOB (repeatable; a GLOB without / matches "
                        "the file name, one with / the path inside the folder)")
    v.add_argument("--exclude", action="append", metavar="GLOB",
                   help="in folders, skip files and subfolders matching GLOB (repeatable)")
    v.add_argument("--kind", action="append", metavar="KIND",
                   help="judge only documents of KIND (repeatable); documents of other kinds are skipped "
                        "and not counted; unreadable documents and unknown kinds are still reported")
    v.add_argument("--max-documents", type=_positive, metavar="N",
                   help="documents read from one file at most: a YAML stream (default 100,000) or a JSON Lines "
                        "file (streamed: no cap by default)")
    v.set_defaults(func=cmd_validate)

    import importlib
    for module in (_tools_needed(argv) if argv is not None else TOOLS.values()):
        importlib.import_module(f"{__package__}.{module}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (the console script exits with it)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, usage errors: argparse already wrote the message
        return e.code if isinstance(e.code, int) else (EXIT_OK if e.code is None else EXIT_USAGE)
    if args.command is None:
        parser.print_usage(sys.stderr)
        _err("espolicy: error: a command is required (validate, check, test, fmt, explain, doc)")
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
