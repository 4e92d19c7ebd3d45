"""The `espolicy serve` process: load the policy, build the application, run uvicorn.

With `--workers N` (N > 1) uvicorn starts N processes, each building the application from the
settings passed in the environment; each has its own metrics and decision-log file.
SIGTERM (or Ctrl-C): uvicorn stops accepting, finishes the requests in flight, then the
application's shutdown writes and closes the decision log.
"""
from __future__ import annotations

import dataclasses
import gc
import json
import logging
import os
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from espolicy.serve.config import Masking, ServeConfig
from espolicy.serve.state import Served, now

_ENV = "ESPOLICY_SERVE_CONFIG"


def application(config: ServeConfig, served: Served | None = None) -> Starlette:
    """The application for `config` (loading its policy unless given)."""
    from espolicy import load_policy
    from espolicy.serve.app import build
    return build(config, served or Served(load_policy(config.policy_dir), now()))


def _to_env(config: ServeConfig) -> str:
    d = dataclasses.asdict(config)
    d["policy_dir"] = str(config.policy_dir) if config.policy_dir is not None else None
    d["masking"]["salt"] = config.masking.salt.hex()
    return json.dumps(d)


def _from_env(text: str) -> ServeConfig:
    d: dict[str, Any] = json.loads(text)
    m = d.pop("masking")
    masking = Masking(tuple(m["drop"]), tuple(m["hash"]), bytes.fromhex(m["salt"]))
    policy_dir = Path(d.pop("policy_dir")) if d.get("policy_dir") else None
    d.pop("policy_dir", None)
    log = d.pop("decision_log")
    if log not in (None, "-"):   # each worker process writes a file of its own
        stem, dot, suffix = log.rpartition(".")
        log = f"{stem}.{os.getpid()}.{suffix}" if dot and "/" not in suffix else f"{log}.{os.getpid()}"
    return ServeConfig(policy_dir=policy_dir, masking=masking, decision_log=log, **d)


def settled(app: Starlette) -> Starlette:
    """`app`, with what is loaded by now (the policy, the libraries) taken out of the garbage
    collector's rounds: otherwise every few thousand requests a full collection walks the whole
    heap and holds every request up for tens of milliseconds. After a reload the old policy is
    collected and the new one set aside the same way. Young collections run less often too."""
    _settle()
    app.state.service.holder.hooks.append(_resettle)
    return app


# A decision allocates a few hundred containers that live as long as the request: at Python's
# default of 700 allocations a young collection ran every other request and walked the objects of
# the requests in flight. Every 50,000 it runs every ~150 requests; a request makes no cycles that
# would wait for it (benchmarked: RSS flat over 200,000 decisions, validate 5-10 % cheaper).
_YOUNG_COLLECTION_EVERY = 50_000


def _settle() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(_YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])


def _resettle(served: Served, error: object) -> None:
    if error is None:
        gc.unfreeze()
        _settle()


def worker_application() -> Starlette:
    """The application of one worker process (uvicorn's factory with `--workers N`)."""
    return settled(application(_from_env(os.environ[_ENV])))


def run(config: ServeConfig, served: Served, host: str, port: int, workers: int, access_log: bool) -> None:
    """Serve until SIGTERM or Ctrl-C."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "info", "access_log": access_log,
                               "lifespan": "on", "server_header": False, "timeout_graceful_shutdown": 30}
    if workers > 1:
        os.environ[_ENV] = _to_env(config)
        uvicorn.run("espolicy.serve.server:worker_application", factory=True, workers=workers, **options)
        return
    uvicorn.Server(uvicorn.Config(settled(application(config, served)), **options)).run()
