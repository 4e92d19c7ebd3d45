"""`espolicy validate`: judge documents and stream each report to the chosen format."""
from __future__ import annotations

import argparse
import sys
from typing import Any, Iterator

from espolicy import __version__
from espolicy.commands import numbers, waiving
from espolicy.commands.exits import EXIT_FAIL, EXIT_OK, EXIT_USAGE, err
from espolicy.commands.loading import load_for_command
from espolicy.output import FORMATS
from espolicy.commands.arguments import add_policy_option


def register(sub: Any) -> None:
    v = sub.add_parser("validate", help="judge documents: files, folders (recursively) or - for stdin",
                       description="Judge each document; exit 0 when nothing is at or above --fail-on, "
                                   "1 when something is (invalid always fails), 2 on a usage or policy error.")
    v.add_argument("paths", nargs="+", metavar="PATH",
                   help="a .yaml/.yml/.json/.jsonl file, a folder, or - (a folder's hidden files and folders are "
                        "left out with a note on stderr: -v names each; name one to judge it)")
    v.add_argument("--format", choices=sorted(FORMATS), default="text", help="report format (default text)")
    v.add_argument("--lang", choices=("en", "ja"), default="en", help="language of messages (default en)")
    add_policy_option(v)
    v.add_argument("--fail-on", choices=("deny", "review", "warn"), default="deny",
                   help="lowest level that fails the run (default deny)")
    v.add_argument("-j", "--jobs", type=numbers.jobs, default=1, metavar="N",
                   help="judge in N processes, or `auto` for one per processor (default 1); "
                        "results, output and exit code are the same as with one")
    v.add_argument("-q", "--quiet", action="store_true",
                   help="print only the summary: no per-document results, no progress bar")
    v.add_argument("--summary-only", action="store_true",
                   help="leave the per-document results out of the report (in every format); keep the summary")
    v.add_argument("--max-findings", type=numbers.count, metavar="N",
                   help="report at most N findings per document, the most severe first (outcome unchanged)")
    v.add_argument("--include", action="append", metavar="GLOB",
                   help="in folders, read only files matching GLOB (repeatable; a GLOB without / matches "
                        "the file name, one with / the path inside the folder)")
    v.add_argument("--exclude", action="append", metavar="GLOB",
                   help="in folders, skip files and subfolders matching GLOB (repeatable)")
    v.add_argument("--kind", action="append", metavar="KIND",
                   help="judge only documents of KIND (repeatable); documents of other kinds are skipped "
                        "and not counted; unreadable documents and unknown kinds are still reported")
    v.add_argument("--max-documents", type=numbers.positive, metavar="N",
                   help="documents read from one file at most: a YAML stream (default 100,000) or a JSON Lines "
                        "file (streamed: no cap by default)")
    v.add_argument("--stdin-format", choices=("yaml", "json", "jsonl"), metavar="FORMAT",
                   help="the format of standard input (-): yaml, json or jsonl (default: recognised from the "
                        "text; JSON Lines as soon as one line is a JSON value on its own, unless a line is `---` or `...`)")
    v.add_argument("--skip-tool-configs", action="store_true",
                   help="leave out well-known configuration files of other tools (.pre-commit-config.yaml, "
                        ".github/, .gitlab-ci.yml, mkdocs.yml, docker-compose.yml, …), saying so on stderr")
    v.add_argument("--summary-md", metavar="FILE",
                   help="append a Markdown job summary (verdict and counts) to FILE, e.g. $GITHUB_STEP_SUMMARY")
    waiving.add_arguments(v)
    v.add_argument("--strict-waivers", action="store_true",
                   help="fail the run (exit 1) when a waiver has expired or matched no finding")
    from espolicy.commands.validate_dask import register_options
    register_options(v)
    v.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Judge every document under PATH…, streaming each report to the chosen format
    (espolicy.batch: selection, processes, limits; espolicy.output: the formats)."""
    import dataclasses

    from espolicy.engine.batch import BatchOptions, documents, run
    from espolicy.limits import DEFAULT_LIMITS
    from espolicy.documents.loader import iter_paths
    from espolicy.output import RunContext
    from espolicy.engine.progress import Progress, is_terminal, wanted
    from espolicy.report import Summary

    if args.output and not args.dask:
        err("espolicy validate: error: --output goes with --dask (the command line prints its results)")
        return EXIT_USAGE
    unsupported = [o for o, given in (("--kind", args.kind), ("--include", args.include), ("--exclude", args.exclude),
                                      ("--max-documents", args.max_documents), ("--summary-md", args.summary_md),
                                      ("--skip-tool-configs", args.skip_tool_configs)) if given]
    if args.dask and unsupported:
        err(f"espolicy validate: error: {', '.join(unsupported)} cannot be used with --dask")
        return EXIT_USAGE
    try:  # a missing path fails here, before any output
        hidden: list[tuple[str, bool]] = []
        files = [] if args.dask else list(iter_paths(args.paths, args.include or (), args.exclude or (),
                                                     warn=lambda message: err(f"espolicy validate: warning: {message}"),
                                                     hidden=lambda path, folder: hidden.append((path, folder))))
    except FileNotFoundError as e:
        err(f"espolicy validate: error: no such file or folder: {e.filename or e}")
        return EXIT_USAGE
    tell_hidden(hidden, args.verbose)
    if args.skip_tool_configs:
        files = _without_tool_configs(files)
    if not files and not args.dask:  # a folder with no documents is not an error, but a pipeline should hear of it
        err("espolicy validate: warning: no .yaml, .yml, .json or .jsonl files under "
             + ", ".join(args.paths))
    # which policy: on a terminal's stderr (a pipeline reads it from the report: name and digest)
    from espolicy.engine.progress import is_terminal
    policy = load_for_command(args.policy, "espolicy validate",
                              quiet=args.quiet or args.format != "text" or not is_terminal(sys.stderr))
    if policy is None:
        return EXIT_USAGE
    kinds = frozenset(args.kind or ())
    if kinds - set(policy.schemas.kinds):
        err(f"espolicy validate: error: unknown --kind {', '.join(sorted(kinds - set(policy.schemas.kinds)))} "
             f"(the policy knows: {', '.join(sorted(policy.schemas.kinds))})")
        return EXIT_USAGE
    waivers = waiving.load(args, policy, "espolicy validate")
    if waivers is False:
        return EXIT_USAGE
    assert waivers is not True
    if args.dask and waivers is not None:   # never ignored in silence
        err(f"espolicy validate: error: waivers ({waivers.file}) cannot be used with --dask yet\n"
            "  help: run without --dask to apply them, or give --no-waivers to judge without them")
        return EXIT_USAGE

    results_shown = not (args.quiet or args.summary_only)
    limits = DEFAULT_LIMITS
    if args.max_documents is not None:
        limits = dataclasses.replace(limits, max_documents=args.max_documents, max_lines=args.max_documents)
    out = FORMATS[args.format](sys.stdout, args.lang, RunContext(policy, args.fail_on, __version__, waivers))
    from espolicy.jpcalendar import japan_today
    options = BatchOptions(jobs=args.jobs, fail_on=args.fail_on, kinds=kinds, max_findings=args.max_findings,
                           reports=results_shown, limits=limits, render=getattr(out, "renderer", None),
                           separator=getattr(out, "separator", ""),
                           waivers=waivers, today=args.today or japan_today())
    progress = None  # on a terminal's stderr, unless results scroll on the same terminal
    if not args.quiet and wanted(sys.stderr) and not (results_shown and is_terminal(sys.stdout)):
        progress = Progress(sys.stderr, files)
    summary = Summary(waivers=waivers is not None)
    failed = False
    status = EXIT_OK
    out.start(policy.info())
    if args.dask:
        from espolicy.commands.validate_dask import run_on_dask
        return run_on_dask(args, policy, out, summary)
    current: list[str] = []   # the file being read, named when an internal error stops the run

    def tracked() -> Iterator[str]:
        for file in files:
            current[:] = [file]
            yield file

    try:
        items = documents(tracked(), sys.stdin, progress, options.limits, blocks=options.jobs > 1,
                          stdin_format=args.stdin_format)
        _, failed = run(policy, items, options, out if results_shown else None, progress, summary)
    except OSError as e:  # the loader reports unreadable files as invalid; this is a last resort
        err(f"espolicy validate: error: {e}")
        status = EXIT_USAGE
    except Exception as e:
        if current:
            e.add_note(f"while reading `{current[0]}`")
        raise
    finally:
        if progress is not None:
            progress.close()
    out.end(summary)
    if status:
        return status
    if waivers is not None:
        unused = waivers.unused(summary.used)
        waiving.warn_unused(waivers, unused, "espolicy validate")
        if args.strict_waivers and (unused or waivers.expired):
            err(f"espolicy validate: error: --strict-waivers: {len(waivers.expired)} expired, {len(unused)} unused "
                f"in {waivers.file}\n  help: remove or renew these entries of the waivers file")
            failed = True
    if args.summary_md and not _append_summary(args.summary_md, summary, policy.info(), args.fail_on, failed,
                                               (options.today or japan_today()).isoformat()):
        return EXIT_USAGE
    return EXIT_FAIL if failed else EXIT_OK


def tell_hidden(entries: list[tuple[str, bool]], verbose: bool) -> None:
    """Never in silence: with -v, each hidden file and folder a folder walk left out; else one note
    when hidden files that may be documents were left out (not the well-known tool configurations)."""
    from espolicy.documents.toolconfigs import is_tool_config

    if verbose:
        for path, folder in entries:
            err(f"espolicy validate: note: left out the hidden {'folder' if folder else 'file'} `{path}`")
    files = [path for path, folder in entries if not folder and not is_tool_config(path)]
    if files and not verbose:
        n = len(files)
        err(f"espolicy validate: note: left out {n} hidden file{',' if n == 1 else 's, the first'} `{files[0]}`"
            " (-v names each hidden file and folder)")
    if files or (verbose and entries):
        err(f"  help: name a hidden file or folder to judge it: `espolicy validate {(files or [entries[0][0]])[0]}`")


def _without_tool_configs(files: list[str]) -> list[str]:
    """`files` less the tool configuration files, each named on stderr (never left out in silence)."""
    from espolicy.documents.toolconfigs import is_tool_config

    kept: list[str] = []
    left: list[str] = []
    for f in files:
        (left if f != "-" and is_tool_config(f) else kept).append(f)
    if left:
        err(f"espolicy validate: note: left out {len(left)} tool configuration file{'' if len(left) == 1 else 's'}"
            f" (not documents): {', '.join(left)}")
    return kept


def _append_summary(file: str, summary: Any, policy_info: dict[str, str], fail_on: str, failed: bool,
                    today: str) -> bool:
    """Append the Markdown job summary to `file`; False after saying why it could not be written."""
    from espolicy.output.summary_md import markdown_summary

    try:
        with open(file, "a", encoding="utf-8") as out:
            out.write(markdown_summary(summary, policy_info, fail_on, failed, today))
    except OSError as e:
        err(f"espolicy validate: error: cannot write the summary to {file}: {e.strerror or e}")
        return False
    return True
