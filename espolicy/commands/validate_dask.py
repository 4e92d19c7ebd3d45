"""`espolicy validate --dask ADDRESS`: the same judgement, run on a Dask cluster (`local` starts one
on this machine). With `--output URL` the workers write the results as partitions (JSON Lines or
Parquet) and `_summary.json`; without it the results come back in order to the chosen format."""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from espolicy.commands.exits import EXIT_FAIL, EXIT_OK, EXIT_USAGE, err
from espolicy.engine.policy import Policy


def register_options(v: Any) -> None:
    """The options of `validate` that only `--dask` uses."""
    v.add_argument("--dask", metavar="ADDRESS",
                   help="judge on a Dask cluster: a scheduler address (tcp://host:8786) or `local` for a cluster "
                        "of -j worker processes on this machine; PATHs may be fsspec URLs (needs espolicy[dask])")
    v.add_argument("--output", metavar="URL",
                   help="with --dask: write the results under URL (a folder or fsspec URL) as part files "
                        "and _summary.json instead of printing them")
    v.add_argument("--output-format", choices=("jsonl", "parquet"), default="jsonl",
                   help="with --output: JSON Lines part files (default) or Parquet")


def run_on_dask(args: argparse.Namespace, policy: Policy, out: Any, summary: Any) -> int:
    """Judge `args.paths` on the cluster; the exit code as `validate` gives it."""
    try:
        from distributed import Client, LocalCluster

        from espolicy import dask as on_dask
    except ImportError as e:
        err(f"espolicy validate: error: --dask needs the Dask extra (pip install \"espolicy[dask]\"): {e}")
        return EXIT_USAGE
    cluster = None
    if args.dask == "local":
        # silence_logs: the cluster is this command's own; a worker's heartbeat racing the shutdown
        # logs a traceback that is no error of the run (a task's failure still reaches the client)
        cluster = LocalCluster(n_workers=args.jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.CRITICAL)
    try:
        with Client(cluster if cluster is not None else args.dask) as client:
            try:
                hidden: list[tuple[str, bool]] = []
                reports = on_dask.validate_reports(args.paths, policy, args.max_findings,
                                                   hidden=lambda path, folder: hidden.append((path, folder)))
            except FileNotFoundError as e:
                err(f"espolicy validate: error: {e}")
                return EXIT_USAGE
            from espolicy.commands.validate import tell_hidden
            tell_hidden(hidden, args.verbose)
            if args.output:
                return _write(on_dask, reports, args, out, summary, policy)
            return _stream(client, reports, args, out, summary)
    finally:
        if cluster is not None:
            cluster.close()


def _write(on_dask: Any, reports: Any, args: argparse.Namespace, out: Any, summary: Any, policy: Policy) -> int:
    from espolicy.output.common import reference_titles
    from espolicy.output.jsonl import render_line

    write = on_dask.write_parquet if args.output_format == "parquet" else on_dask.write_jsonl
    counts = write(reports.map(render_line), args.output, args.fail_on, reference_titles(policy.checked))
    summary.documents = counts["documents"]
    summary.counts.update({k: counts[k] for k in summary.counts})
    out.end(summary)
    print(f"espolicy validate: wrote {args.output_format} results and _summary.json under {args.output}",
          file=sys.stderr)
    return EXIT_FAIL if counts["failing"] else EXIT_OK


def _stream(client: Any, reports: Any, args: argparse.Namespace, out: Any, summary: Any) -> int:
    """Every partition computed at once, results handed to the format in file order."""
    failed = False
    shown = not (args.quiet or args.summary_only)
    for future in client.compute(reports.to_delayed()):
        for report in future.result():
            summary.add(report)
            failed |= report.fails(args.fail_on)
            if shown:
                out.result(report)
    out.end(summary)
    return EXIT_FAIL if failed else EXIT_OK
