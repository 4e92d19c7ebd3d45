"""Which policy a command uses, how it says so, and loading it (or why not, on stderr: exit 2).

Every subcommand picks its policy the same way: `--policy DIR` when given, else `./policy` when
that folder holds rule files (a clone of the repository), else the bundled policy.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from espolicy.engine.policy import Policy, load_policy
from espolicy.errors import PolicyError
from espolicy.sources import POLICY_SUFFIX, bundled_dir, is_installed, source_digest

LOCAL_POLICY = Path("policy")


@dataclass(frozen=True)
class PolicyChoice:
    """The policy folder of a run and why it was chosen: `--policy`, `./policy` or `bundled`."""

    folder: Path
    origin: str

    @property
    def installed(self) -> bool:
        """The copy inside the installed package: read it, never write into it."""
        return is_installed(self.folder)

    def where(self) -> str:
        if self.origin == "bundled":
            return f"the bundled policy ({self.folder})"
        if self.origin == "./policy":
            return "./policy"
        return str(self.folder)


def choose_policy(policy_arg: str | os.PathLike[str] | None) -> PolicyChoice:
    """`--policy DIR` when given, else `./policy` when it holds rule files, else the bundled policy."""
    if policy_arg is not None:
        return PolicyChoice(Path(policy_arg), "--policy")
    if LOCAL_POLICY.is_dir() and any(p.is_file() for p in LOCAL_POLICY.glob(f"*{POLICY_SUFFIX}")):
        return PolicyChoice(LOCAL_POLICY, "./policy")
    return PolicyChoice(bundled_dir("policy"), "bundled")


def describe(choice: PolicyChoice, name: str | None, digest: str | None) -> str:
    """`policy NAME from FOLDER, sha256:…`: the line every command shows about its policy."""
    shown = name or choice.folder.resolve().name
    return f"policy {shown} from {choice.where()}" + (f", {digest}" if digest else "")


def folder_digest(sources: list[tuple[str, str]]) -> str:
    """The digest of a policy folder's rule files and the data files they declare: the digest the
    loaded policy reports (`Policy.digest`), computed without compiling it."""
    from espolicy.engine.datafiles import with_data_files
    return "sha256:" + source_digest(with_data_files(sources))


def announce(choice: PolicyChoice, policy: Policy) -> None:
    """Say on stderr which policy the command uses."""
    print(describe(choice, policy.name, policy.digest), file=sys.stderr)


def load_for_command(policy_dir: str | os.PathLike[str] | PolicyChoice | None, command: str = "espolicy",
                     quiet: bool = False) -> Policy | None:
    """The policy a command uses (chosen by `choose_policy` unless a choice is given), or None after
    writing why it cannot be loaded to stderr (the command then exits 2). Unless `quiet`, which
    policy it is goes to stderr."""
    choice = policy_dir if isinstance(policy_dir, PolicyChoice) else choose_policy(policy_dir)
    try:
        policy = load_policy(choice.folder)
    except PolicyError as e:
        print(str(e), file=sys.stderr)
        return None
    except (OSError, UnicodeError, ValueError) as e:  # ValueError: a schema file that cannot be used
        print(f"{command}: error: cannot load the policy: {e}", file=sys.stderr)
        return None
    if not quiet:
        announce(choice, policy)
    return policy
