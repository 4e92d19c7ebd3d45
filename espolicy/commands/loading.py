"""Loading the policy for a subcommand: the policy, or why not on stderr (the command then exits 2)."""
from __future__ import annotations

import os
import sys

from espolicy.engine.policy import Policy, load_policy
from espolicy.errors import PolicyError


def load_for_command(policy_dir: str | os.PathLike[str] | None, command: str = "espolicy") -> Policy | None:
    """The policy a command uses, or None after writing why it cannot be loaded to stderr (the
    command then exits 2). Shared by every subcommand."""
    try:
        return load_policy(os.fspath(policy_dir) if policy_dir is not None else None)
    except PolicyError as e:
        print(str(e), file=sys.stderr)
    except (OSError, UnicodeError, ValueError) as e:  # ValueError: a schema file that cannot be used
        print(f"{command}: error: cannot load the policy: {e}", file=sys.stderr)
    return None
