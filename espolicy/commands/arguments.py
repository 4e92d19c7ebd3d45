"""Command-line options that several subcommands share, worded once."""
from __future__ import annotations

from typing import Any


def add_policy_option(parser: Any) -> None:
    """`--policy DIR`, chosen as `espolicy.commands.loading` says (`--policy`, else ./policy, else bundled)."""
    parser.add_argument("--policy", metavar="DIR",
                        help="policy folder (default: ./policy when it holds rule files, else the bundled policy)")
