"""The `espolicy` command line: the registry of subcommands and the entry point.

Exit codes: 0 nothing at or above `--fail-on`; 1 something is (`invalid` always fails);
2 usage error, missing input path, or unreadable/broken policy. Reports go to stdout,
diagnostics to stderr; bad input never produces a traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from espolicy import __version__
from espolicy.commands.exits import EXIT_FAIL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, err

# Every subcommand is a module of this package with `register(subparsers)`; only the one named on
# the command line is imported, so that `validate` starts without the tools.
COMMANDS = ("validate", "check", "test", "fmt", "explain", "doc", "lsp", "serve", "eval")


def _tools_needed(argv: Sequence[str] | None) -> list[str]:
    """The tool modules to register: only the one named on the command line (so that `validate`
    starts without importing them), all of them for `--help` or anything unclear."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args if not a.startswith("-")), None)
    if command in COMMANDS:
        return [command]
    return list(COMMANDS)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser (with the tools `argv` needs; all of them when `argv` is None)."""
    parser = argparse.ArgumentParser(
        prog="espolicy",
        description="Validate NEC ExpressSupportPack G2 documents against the support rules (policy as code).")
    parser.add_argument("--version", action="version", version=f"espolicy {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")


    import importlib
    for module in (_tools_needed(argv) if argv is not None else COMMANDS):
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
        err("espolicy: error: a command is required (validate, check, test, fmt, explain, doc, lsp, serve, eval)")
        return EXIT_USAGE
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `espolicy validate … | head`: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_FAIL
