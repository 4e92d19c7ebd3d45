"""espolicy: the support rules of NEC ExpressSupportPack G2 as policy-as-code.

    from espolicy import validate, load_policy
    report = validate(doc)              # bundled policy and schemas
    policy = load_policy("policy/")     # compile once, reuse (thread-safe, picklable)
    policy.validate(doc)
    waivers = policy.load_waivers(".espolicy-waivers.yaml")   # known exceptions, until they expire
    policy.validate(doc, waivers=waivers)
"""
from __future__ import annotations

import threading
from typing import Any

from espolicy.errors import PolicyError
from espolicy.engine.policy import Policy, load_policy
from espolicy.engine.waivers import WaiverError, Waivers
from espolicy.report import Finding, Report

__all__ = ["validate", "load_policy", "Policy", "Report", "Finding", "PolicyError", "Waivers", "WaiverError"]
__version__ = "0.1.0"

_default: Policy | None = None
_lock = threading.Lock()


def default_policy() -> Policy:
    """The bundled policy, compiled once per process."""
    global _default
    with _lock:
        if _default is None:
            _default = load_policy()
        return _default


def validate(doc: Any, source: str | None = None, waivers: Any = None) -> Report:
    """Judge one document with the bundled policy; a bad document gives an `invalid` report.
    `waivers`: a `Waivers` (`default_policy().load_waivers(path)`) or a waivers file's path."""
    return default_policy().validate(doc, source, waivers)
