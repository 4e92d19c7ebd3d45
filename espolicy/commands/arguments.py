"""Command-line options that several subcommands share, worded once."""
from __future__ import annotations

from pathlib import Path
from typing import Any


def add_policy_option(parser: Any) -> None:
    """`--policy DIR`, chosen as `espolicy.commands.loading` says (`--policy`, else ./policy, else bundled)."""
    parser.add_argument("--policy", metavar="DIR",
                        help="policy folder (default: ./policy when it holds rule files, else the bundled policy)")


def add_policy_folder_argument(parser: Any) -> None:
    """An optional positional DIR, the policy folder, as `opa check DIR` takes it (`--policy DIR` too)."""
    parser.add_argument("folder", nargs="?", metavar="DIR", help="the policy folder (the same as --policy DIR)")


def policy_folder(args: Any) -> str | None:
    """The policy folder the arguments name (positional DIR or `--policy`); ValueError when both are
    given and differ."""
    folder = getattr(args, "folder", None)
    if folder is not None and args.policy is not None and Path(folder).resolve() != Path(args.policy).resolve():
        raise ValueError(f"two policy folders given: `{folder}` and `--policy {args.policy}`")
    return folder if folder is not None else args.policy
