"""Shared fixtures: the bundled policy compiled once per test session, and a policy builder."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import pytest

# The compiled-policy cache must write under a temporary folder only (never the user's ~/.cache),
# removed when the session ends.
_CACHE = tempfile.mkdtemp(prefix="espolicy-test-cache-")
os.environ["ESPOLICY_CACHE_DIR"] = _CACHE
os.environ["ESPOLICY_CACHE_KEY"] = os.path.join(_CACHE, "..", os.path.basename(_CACHE) + ".key")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)
    if os.path.exists(os.environ["ESPOLICY_CACHE_KEY"]):
        os.unlink(os.environ["ESPOLICY_CACHE_KEY"])

import espolicy
from espolicy.engine.policy import Policy
from espolicy.sources import bundled_dir
from espolicy.documents.schema import SchemaSet

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def policy() -> Policy:
    return espolicy.default_policy()


@pytest.fixture(scope="session")
def schemas() -> SchemaSet:
    return SchemaSet.load(bundled_dir("schemas"))


@pytest.fixture(scope="session")
def make_policy(schemas: SchemaSet) -> Callable[..., Policy]:
    """Compile rule text (one or more files) against the bundled schemas."""

    references = (bundled_dir("policy") / "references.esp").read_text(encoding="utf-8")

    def build(*texts: str) -> Policy:
        """The texts as files t0.esp, t1.esp …, with the bundled policy's references (Q1–Q17) beside them."""
        return Policy([(f"t{i}.esp", t) for i, t in enumerate(texts)] + [("zz-references.esp", references)],
                      schemas=schemas)

    return build
