"""The waiver options every subcommand that judges documents shares: `--waivers FILE`,
`--no-waivers`, `--today DATE`, and how a command loads the file and warns about it."""
from __future__ import annotations

import argparse
import datetime as _dt
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from espolicy.commands.exits import err

if TYPE_CHECKING:
    from espolicy.engine.policy import Policy
    from espolicy.engine.waivers import Waiver, Waivers


def day(value: str) -> _dt.date:
    """`--today`: a date written YYYY-MM-DD."""
    try:
        if len(value.strip()) != 10:
            raise ValueError(value)
        return _dt.date.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date written YYYY-MM-DD, not {value!r}") from None


def add_today(parser: Any) -> None:
    """`--today DATE`: the date to read the run against instead of today's date in Japan: what the rules
    read as `today`, and what waiver expiries are read against."""
    parser.add_argument("--today", type=day, metavar="YYYY-MM-DD",
                        help="the evaluation date: what the rules read as `today` and what waiver expiries are "
                             "read against (default: the current date in Japan, read once for the whole run); "
                             "every report records it")


def add_arguments(parser: Any, today: bool = True) -> None:
    """`--waivers FILE` and `--no-waivers` (and `--today` unless the command has it already)."""
    parser.add_argument("--waivers", metavar="FILE",
                        help="waivers file: known exceptions, each with a reason, an owner and an expiry "
                             "(default: .espolicy-waivers.yaml in the current folder, when present)")
    parser.add_argument("--no-waivers", action="store_true",
                        help="do not read .espolicy-waivers.yaml from the current folder")
    if today:
        add_today(parser)


def waivers_path(args: argparse.Namespace) -> str | None:
    """The waivers file a run reads: `--waivers`, else `.espolicy-waivers.yaml` when present."""
    from espolicy.engine.waivers import WAIVERS_FILE
    if args.waivers:
        return str(args.waivers)
    if not getattr(args, "no_waivers", False) and os.path.isfile(WAIVERS_FILE):
        return WAIVERS_FILE
    return None


def load(args: argparse.Namespace, policy: Policy, command: str) -> Waivers | None | bool:
    """The run's waivers (None when there is no file), or False after writing why the file cannot
    be used to stderr (the command then exits 2). Expired waivers are warned about here."""
    from espolicy.engine.waivers import WaiverError
    path = waivers_path(args)
    if path is None:
        return None
    try:
        waivers = policy.load_waivers(path, getattr(args, "today", None))
    except WaiverError as e:
        err(str(e))
        return False
    except OSError as e:
        err(f"{command}: error: cannot read the waivers file `{path}`: {e.strerror or e}\n"
            f"  help: give an existing file with --waivers FILE, or leave --waivers out")
        return False
    warn_expired(waivers, command)
    return waivers


def place(waivers: Waivers, w: Waiver) -> str:
    return f"{waivers.file}:{w.line}"


def warn_expired(waivers: Waivers, command: str) -> None:
    """One warning per waiver that no longer applies."""
    for w in waivers.expired:
        err(f"{command}: warning: the waiver at {place(waivers, w)} ({w.covers()}, owner {w.owner}) expired on "
            f"{w.expires.isoformat()}: it no longer applies")


def warn_unused(waivers: Waivers, unused: Iterable[Waiver], command: str) -> None:
    """One warning per waiver in force that matched no finding in the run."""
    for w in unused:
        err(f"{command}: warning: the waiver at {place(waivers, w)} ({w.covers()}) matched no finding: it is unused")
