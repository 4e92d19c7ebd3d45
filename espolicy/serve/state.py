"""The policy a server decides with, and its replacement on reload (atomic: one reference swap).

A request takes `holder.current` once and uses that `Served` throughout, so a reload in the
middle of a request never mixes two policies; the digest in the response is the one that decided.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from espolicy import PolicyError, load_policy
from espolicy.engine.explain import Explainer
from espolicy.engine.policy import Policy
from espolicy.serve.results import question_titles

log = logging.getLogger("espolicy.serve")


@dataclass(frozen=True)
class Served:
    """A loaded policy with what explaining a decision needs, built once per load."""

    policy: Policy
    loaded_at: str
    explainer: Explainer = field(init=False, repr=False)
    # per language asked for (None: both), each declared reference's title: what a result's
    # `questions` shows, built here once rather than per decision
    titles: dict[str | None, dict[str, dict[str, str]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "explainer", Explainer(self.policy))
        object.__setattr__(self, "titles", {lang: question_titles(self.policy.checked, lang)
                                            for lang in (None, "en", "ja")})

    @property
    def digest(self) -> str:
        return self.policy.digest

    def explain(self, doc: Any) -> dict[str, Any]:
        """The explain tree (`espolicy explain --format json`) of a schema-valid document."""
        return self.explainer.to_json(self.explainer.trace(doc))


@dataclass(frozen=True)
class LoadError:
    """Why the last reload failed: the first diagnostic's place and the whole message."""

    file: str | None
    line: int | None
    column: int | None
    message: str
    at: str

    def to_dict(self) -> dict[str, Any]:
        where = ":".join(str(p) for p in (self.file, self.line, self.column) if p is not None)
        return {"where": where or None, "file": self.file, "line": self.line, "column": self.column,
                "message": self.message, "at": self.at}


def now() -> str:
    """The current UTC time, ISO 8601 with milliseconds."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def load_error(error: Exception) -> LoadError:
    """A failed load as a LoadError (a PolicyError carries file, line and column)."""
    if isinstance(error, PolicyError):
        return LoadError(error.file, error.line, error.column, str(error), now())
    return LoadError(None, None, None, f"cannot load the policy: {error}", now())


class PolicyHolder:
    """The policy being served, the last reload error (None after a good load), and the hooks
    told of each reload (`on_reload(served, error)`)."""

    def __init__(self, policy_dir: Path | None, served: Served) -> None:
        self.policy_dir = policy_dir
        self.current = served
        self.error: LoadError | None = None
        self.hooks: list[Callable[[Served, LoadError | None], None]] = []
        self._lock = threading.Lock()  # one reload at a time

    def reload(self) -> bool:
        """Load the policy folder again; swap it in when it loads, else keep serving the old one
        and remember why. True when the new policy serves."""
        with self._lock:
            try:
                served = Served(load_policy(self.policy_dir), now())
            except Exception as e:   # whatever stops the new policy, the old one goes on serving
                self.error = load_error(e)
                log.error("espolicy serve: the changed policy does not load; still serving %s\n%s",
                          self.current.digest, self.error.message)
                self._tell(self.current, self.error)
                return False
            self.current, self.error = served, None
            log.info("espolicy serve: now serving policy %s (%s)", served.policy.name, served.digest)
            self._tell(served, None)
            return True

    def _tell(self, served: Served, error: LoadError | None) -> None:
        for hook in self.hooks:
            hook(served, error)
