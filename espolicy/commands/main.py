"""The `espolicy` command line: the registry of subcommands and the entry point.

Exit codes: 0 nothing at or above `--fail-on`; 1 something is (`invalid` always fails);
2 usage error, missing input path, unreadable/broken policy, or an internal error (one line on
stderr, no traceback); 130 interrupted (Ctrl-C). Reports go to stdout, diagnostics to stderr; bad
input never produces a traceback, and a closed stdout (`| head`) does not change the exit code.
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Sequence

from espolicy import __version__
from espolicy.commands import streams
from espolicy.commands.exits import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, err

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
    for command in sub.choices.values():
        command.add_argument("-v", "--verbose", action="store_true",
                             help="also show warnings (such as a compiled-policy cache entry that was ignored)")
    return parser


def _show_warnings() -> logging.Handler:
    """Write espolicy's warnings to stderr, one line each (`--verbose`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("espolicy: warning: %(message)s"))
    logger = logging.getLogger("espolicy")
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    return handler


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
    handler = _show_warnings() if args.verbose else None
    saved = streams.install()
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as e:  # a bug: one line, never a traceback, and never the verdict's exit codes
        err(f"espolicy {args.command}: internal error: {one_line(e)}")
        return EXIT_INTERNAL
    finally:
        try:
            sys.stdout.flush()
        except Exception:
            pass
        sys.stdout, sys.stderr = saved
        if handler is not None:
            logging.getLogger("espolicy").removeHandler(handler)


def one_line(error: BaseException) -> str:
    """`Type: message` of an exception on one line (its notes appended), for an internal error."""
    text = f"{type(error).__name__}: {error}"
    for note in getattr(error, "__notes__", ()):
        text += f" ({note})"
    return " ".join(text.split())
