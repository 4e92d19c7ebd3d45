"""`espolicy doc`: its arguments and how it runs."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from espolicy.output.catalogue import html_page, markdown
from espolicy.commands.arguments import add_policy_option

def register(sub: Any) -> None:
    d = sub.add_parser("doc", help="the rule catalogue for the support desk (Markdown or HTML)",
                       description="Print the rule catalogue generated from the policy: per rule its id, "
                                   "effect, kinds, FAQ questions, condition, messages and advice in English "
                                   "and Japanese; then facts and constants.")
    d.add_argument("--format", choices=("md", "html"), default="md", help="output format (default md)")
    add_policy_option(d)
    d.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    d.set_defaults(func=run)


def run(args: Any) -> int:
    from espolicy.commands.loading import load_for_command

    policy = load_for_command(args.policy, "espolicy doc")
    if policy is None:
        return 2
    text = (markdown if args.format == "md" else html_page)(policy.checked, policy.info())
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as e:
            print(f"espolicy doc: error: cannot write {args.output}: {e}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    return 0
