"""The settings of one `espolicy serve` process (built from the command line)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from espolicy.limits import DEFAULT_LIMITS

# Personal data in documents, masked in the decision log unless configured otherwise.
PERSONAL_DATA = ("/customer/name", "/customer/contact/name", "/customer/contact/phone",
                 "/customer/contact/email")


@dataclass(frozen=True)
class Masking:
    """What the decision log does with parts of a logged document: JSON Pointers whose value is
    removed (`drop`) or replaced by a salted sha256 (`hash`); `salt` keeps hashes unguessable."""

    drop: tuple[str, ...] = ()
    hash: tuple[str, ...] = PERSONAL_DATA
    salt: bytes = b""


@dataclass(frozen=True)
class ServeConfig:
    """Everything the application needs; one value shared by every worker process."""

    policy_dir: Path | None = None
    watch: bool = False
    playground: bool = False
    max_body: int = DEFAULT_LIMITS.max_bytes
    decision_log: str | None = None          # a file path, `-` for standard output, None for no log
    log_max_bytes: int = 64 * 1024 * 1024    # rotate the decision log at this size
    log_backups: int = 5                     # rotated files kept: PATH.1 … PATH.N
    log_queue: int = 10_000                  # records waiting to be written; more are dropped
    log_input: bool = True                   # log the (masked) document with each decision
    masking: Masking = field(default_factory=Masking)
    floor: bool = False                      # the /v1/echo endpoint the benchmark measures against
