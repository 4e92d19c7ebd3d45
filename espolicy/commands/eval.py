"""`espolicy eval EXPR [DOC]`: the value and type of an expression of the rule language, for a
document (its fields, facts, lets and outcome) or for none (constants only), like `opa eval`:
the quickest way to try a condition before it goes into a rule."""
from __future__ import annotations

import json
import sys
from typing import Any

from espolicy.commands.exits import EXIT_FAIL, EXIT_OK, EXIT_USAGE, err
from espolicy.commands.arguments import add_policy_option


def register(sub: Any) -> None:
    e = sub.add_parser("eval", help="evaluate an expression of the rule language, for a document or none",
                       description="Print the value and type of EXPR, an expression of the rule language. With "
                                   "DOC, it reads that document's fields, the policy's facts, lets and constants, "
                                   "and `outcome`; without, constants only. Exit 0, or 2 when EXPR or DOC cannot "
                                   "be read (1 when a document is invalid).")
    e.add_argument("expr", metavar="EXPR", help='an expression, e.g. \'days_between(pack.purchase_date, '
                                                'registration_date)\' (quote it for the shell)')
    e.add_argument("doc", metavar="DOC", nargs="?", help="a .yaml/.json/.jsonl document, or - for standard input")
    add_policy_option(e)
    e.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    e.set_defaults(func=run)


def run(args: Any) -> int:
    from espolicy.commands.loading import load_for_command
    from espolicy.errors import PolicyError
    from espolicy.lang.parser import parse_expression

    policy = load_for_command(args.policy, "espolicy eval")
    if policy is None:
        return EXIT_USAGE
    try:
        expr = parse_expression(args.expr)
    except PolicyError as e:
        err(str(e))
        return EXIT_USAGE
    if args.doc is None:
        return _show(policy, expr, args, None, None)
    from espolicy.documents.loader import iter_documents, iter_paths
    try:
        paths = list(iter_paths([args.doc]))
    except FileNotFoundError as e:
        err(f"espolicy eval: error: no such file or folder `{e.filename or e}`")
        return EXIT_USAGE
    status = EXIT_OK
    for path in paths:
        for loaded in iter_documents(path, stdin=sys.stdin):
            status = max(status, _show(policy, expr, args, loaded, loaded.source))
    return status


def _show(policy: Any, expr: Any, args: Any, loaded: Any, source: str | None) -> int:
    from espolicy.documents.schema import normalize
    from espolicy.documents.positions import placed
    from espolicy.errors import PolicyError
    from espolicy.lang.trace import evaluate, plain, show
    from espolicy.lang.typecheck import type_of

    doc = None
    if loaded is not None:
        report = policy.validate(loaded.doc, source=source) if loaded.problem is None else None
        if report is None or report.outcome == "invalid":
            problems = [loaded.problem] if loaded.problem is not None else (
                placed(report.findings, loaded.positions, loaded.doc) if report else [])
            err(f"espolicy eval: error: {source} is invalid, so nothing is evaluated for it")
            for f in problems:
                err(f"  {f.path or '/'}: {f.text('message', 'en')}")
            return EXIT_FAIL
        doc = policy.schemas.decode(normalize(loaded.doc))
    try:
        t = type_of(policy.checked, expr, doc["kind"] if doc else None, args.expr)
    except PolicyError as e:
        err(str(e))
        if doc is None:
            err("  (without a document, an expression reads constants only: give DOC to read fields and facts)")
        return EXIT_USAGE
    value = evaluate(policy.checked, expr, doc)
    if args.format == "json":
        print(json.dumps({"source": source, "value": plain(value), "type": t.describe()}, ensure_ascii=False))
    else:
        prefix = f"{source}: " if source else ""
        print(f"{prefix}{show(value)}  : {t.describe()}")
    return EXIT_OK
