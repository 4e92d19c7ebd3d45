"""`espolicy serve`: the policy as a decision service over HTTP (needs `pip install "espolicy[serve]"`)."""
from __future__ import annotations

import argparse
import os
from typing import Any

from espolicy.commands import numbers
from espolicy.commands.arguments import add_policy_option
from espolicy.commands.exits import EXIT_OK, EXIT_USAGE, err


def register(sub: Any) -> None:
    s = sub.add_parser("serve", help="serve decisions over HTTP: REST API, metrics, decision log, support-desk page",
                       description="Run the decision service (Starlette on uvicorn): POST /v1/validate, "
                                   "/v1/validate/batch, GET /v1/policy, /healthz, /readyz, /metrics, "
                                   "/openapi.json, and the support-desk page at /.")
    add_policy_option(s)
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=numbers.at_least(0, "a port"), default=8181,
                   help="port to listen on (default 8181; 0 picks a free one)")
    s.add_argument("--workers", type=numbers.positive, default=1, metavar="N",
                   help="worker processes (default 1); each has its own metrics and decision-log file")
    s.add_argument("--watch", action="store_true",
                   help="reload the policy when a rule file changes; a broken policy keeps the old one serving")
    s.add_argument("--playground", action="store_true",
                   help="let the page edit a copy of the rules and run it (in a limited child process)")
    s.add_argument("--max-body", type=numbers.positive, metavar="BYTES", default=None,
                   help="largest document (and, for a batch, largest line) in bytes (default 16 MiB)")
    s.add_argument("--decision-log", metavar="PATH",
                   help="write one JSON line per decision to PATH (- for standard output)")
    s.add_argument("--decision-log-max-bytes", type=numbers.positive, metavar="BYTES", default=64 * 1024 * 1024,
                   help="rotate the decision log at this size (default 64 MiB; 5 old files kept)")
    s.add_argument("--log-drop", action="append", metavar="POINTER", default=[],
                   help="JSON Pointer of a document field left out of the decision log (repeatable)")
    s.add_argument("--log-hash", action="append", metavar="POINTER", default=[],
                   help="JSON Pointer of a document field logged as a salted sha256 (repeatable); customer "
                        "and contact names, phone and e-mail are hashed unless --log-unmasked")
    s.add_argument("--log-unmasked", action="store_true",
                   help="do not mask the personal data the decision log masks by default")
    s.add_argument("--log-no-input", action="store_true", help="leave documents out of the decision log")
    s.add_argument("--access-log", action="store_true", help="log every HTTP request on stderr")
    s.set_defaults(func=run)



def run(args: argparse.Namespace) -> int:
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
        import prometheus_client  # noqa: F401
        if args.watch:
            import watchfiles  # noqa: F401
    except ImportError as e:
        err(f"espolicy serve: error: `{e.name}` is not installed\n  help: pip install \"espolicy[serve]\"")
        return EXIT_USAGE
    from pathlib import Path

    from espolicy.commands.loading import choose_policy, load_for_command
    from espolicy.serve.config import PERSONAL_DATA, Masking, ServeConfig
    from espolicy.serve.server import run as serve
    from espolicy.serve.state import Served, now

    for pointer in args.log_drop + args.log_hash:
        if pointer and not pointer.startswith("/"):
            err(f"espolicy serve: error: `{pointer}` is not a JSON Pointer\n  help: write it from the document's "
                "root, such as `/customer/site`")
            return EXIT_USAGE
    salt = os.environ.get("ESPOLICY_LOG_SALT", "").encode("utf-8") or os.urandom(16)
    masking = Masking(tuple(args.log_drop), tuple(dict.fromkeys(
        ([] if args.log_unmasked else list(PERSONAL_DATA)) + args.log_hash)), salt)
    choice = choose_policy(args.policy)   # the folder the workers and --watch read too: ./policy in a clone
    policy = load_for_command(choice, "espolicy serve")
    if policy is None:
        return EXIT_USAGE
    defaults = ServeConfig()
    config = ServeConfig(policy_dir=None if choice.origin == "bundled" else Path(choice.folder), watch=args.watch,
                         playground=args.playground, max_body=args.max_body or defaults.max_body,
                         decision_log=args.decision_log, log_max_bytes=args.decision_log_max_bytes,
                         log_input=not args.log_no_input, masking=masking)
    serve(config, Served(policy, now()), args.host, args.port, args.workers, args.access_log)
    return EXIT_OK
