"""The HTTP application: routes, and how each request becomes a decision (Starlette).

Every response carries `X-Policy-Digest` (the policy that answered) and `X-Request-Id`. Bad input
is a 400/413/415 with a JSON error naming the place; an invalid document is a 200 decision whose
outcome is `invalid`.
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import time
import uuid
from importlib import resources
from pathlib import Path
from typing import Any, AsyncIterator, Mapping

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from espolicy.documents.loader import Loaded
from espolicy.lang.typecheck import CheckedPolicy, reference_order
from espolicy.engine.batch import report_of
from espolicy.limits import DEFAULT_LIMITS, Limits
from espolicy.output.common import policy_rules
from espolicy.report import Report
from espolicy.serve import body as bodies
from espolicy.serve import openapi
from espolicy.serve.asgi import Call, Endpoint, Shortcut
from espolicy.serve.body import Problem
from espolicy.serve.results import result
from espolicy.serve.config import ServeConfig
from espolicy.serve.decisionlog import Decision, DecisionLog
from espolicy.serve.metrics import CONTENT_TYPE, Metrics
from espolicy.serve.rendering import json_bytes
from espolicy.serve.state import LoadError, PolicyHolder, Served, now

log = logging.getLogger("espolicy.serve")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_THREAD_ABOVE = 64 * 1024   # bodies larger than this are parsed and judged off the event loop
_DOCUMENT_TYPES = bodies.JSON_TYPES | bodies.YAML_TYPES


class Service:
    """What the routes share: the policy holder, metrics, decision log and settings."""

    def __init__(self, config: ServeConfig, holder: PolicyHolder) -> None:
        self.config = config
        self.holder = holder
        self.limits = Limits(max_bytes=config.max_body, max_depth=DEFAULT_LIMITS.max_depth,
                             max_documents=DEFAULT_LIMITS.max_documents, max_values=DEFAULT_LIMITS.max_values)
        self.metrics = Metrics(holder.current.policy.schemas.kinds)
        self.metrics.serving(holder.current.policy.name, holder.current.digest)
        holder.hooks.append(self._reloaded)
        self.log: DecisionLog | None = None
        self.sandboxes = asyncio.Semaphore(2)

    def _reloaded(self, served: Served, error: LoadError | None) -> None:
        self.metrics.reloads.labels("error" if error else "ok").inc()
        self.metrics.reload_failed.set(1 if error else 0)
        self.metrics.serving(served.policy.name, served.digest)

    def open_log(self) -> None:
        c = self.config
        if c.decision_log is not None and self.log is None:
            self.log = DecisionLog(c.decision_log, c.masking, c.log_input, c.log_max_bytes, c.log_backups,
                                   c.log_queue, self.metrics.log_dropped.inc)

    def close_log(self) -> None:
        if self.log is not None:
            self.log.close()

    # ---- one decision ----
    def decide(self, served: Served, loaded: Loaded, request_id: str, body: bytes, endpoint: str) -> Report:
        """Judge one loaded document; count it and queue its decision-log record."""
        started = time.perf_counter()
        report = report_of(served.policy, loaded, None)
        seconds = time.perf_counter() - started
        self.metrics.decided(report, endpoint, seconds)
        if self.log is not None:
            self.log.add(Decision(now(), request_id, served.digest, body, report.kind, report.id, report.outcome,
                                  tuple(rule for rule, _ in report.fired()), seconds * 1000, loaded.doc,
                                  report.source if endpoint == "batch" else None))
        return report


_IDS = itertools.count(1)
_ID_PREFIX = uuid.uuid4().hex[:12]   # request ids are unique across processes and restarts


def request_id(given: str | None) -> str:
    """The request id a client sent (`X-Request-Id`) when it is a plain token, else a new one."""
    return given if given is not None and _REQUEST_ID.fullmatch(given) else f"{_ID_PREFIX}-{next(_IDS)}"


def _request_id(request: Request) -> str:
    return request_id(request.headers.get("x-request-id"))


def _lang(params: Mapping[str, str]) -> str | None:
    lang = params.get("lang")
    if lang is None or lang in ("en", "ja"):
        return lang
    raise Problem(400, "bad-parameter", f"unknown language `{lang}`", "write `?lang=en` or `?lang=ja`")


def _flag(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name, "0")
    if value in ("0", "1", "true", "false", ""):
        return value in ("1", "true", "")
    raise Problem(400, "bad-parameter", f"`?{name}` must be 0 or 1, not `{value}`", f"write `?{name}=1`")


def _headers(served: Served, request_id: str) -> dict[str, str]:
    return {"X-Policy-Digest": served.digest, "X-Request-Id": request_id}


def _raw_headers(served: Served, request_id: str) -> list[tuple[bytes, bytes]]:
    """`_headers` as ASGI byte pairs."""
    return [(b"x-policy-digest", served.digest.encode("latin-1")), (b"x-request-id", request_id.encode("latin-1"))]


def _problem_body(p: Problem, served: Served, lang: str | None) -> dict[str, Any]:
    return {"error": p.to_dict(lang or "en"), "policy": served.policy.info()}


def _problem(p: Problem, served: Served, request_id: str, lang: str | None = None) -> JSONResponse:
    return JSONResponse(_problem_body(p, served, lang), p.status, headers=_headers(served, request_id))


async def _answer_problem(call: Call, p: Problem, served: Served, request_id: str, lang: str | None = None) -> None:
    await call.respond(p.status, json_bytes(_problem_body(p, served, lang)),
                       _raw_headers(served, request_id))


def build(config: ServeConfig, served: Served) -> Starlette:
    """The application for a loaded policy (see `espolicy.serve.server` for the process)."""
    holder = PolicyHolder(config.policy_dir, served)
    service = Service(config, holder)

    async def document_of(call: Call) -> tuple[Loaded, bytes]:
        kind = bodies.media_type(call.header(b"content-type"), _DOCUMENT_TYPES, "application/json")
        bodies.declared_length(call.header(b"content-length"), config.max_body)
        data = await call.body(config.max_body)

        def parse() -> Loaded:
            return bodies.one_document(bodies.decode(data), bodies.fmt_of(kind), service.limits)
        loaded = await anyio.to_thread.run_sync(parse) if len(data) > _THREAD_ABOVE else parse()
        return loaded, data

    async def validate(call: Call) -> None:
        served = holder.current
        rid = request_id(call.header(b"x-request-id"))
        lang = None
        try:
            params = call.params()
            lang = _lang(params)
            explain = _flag(params, "explain")
            loaded, data = await document_of(call)
        except Problem as p:
            service.metrics.answered("validate", p.status)
            return await _answer_problem(call, p, served, rid, lang)

        def decide() -> bytes:
            report = service.decide(served, loaded, rid, data, "validate")
            out = {"policy": served.policy.info(), "request_id": rid,
                   **result(report, lang, served.titles[lang], loaded)}
            if explain and report.outcome != "invalid":
                out["explain"] = served.explain(loaded.doc)
            return json_bytes(out)
        content = await anyio.to_thread.run_sync(decide) if (explain or len(data) > _THREAD_ABOVE) else decide()
        service.metrics.answered("validate", 200)
        await call.respond(200, content, _raw_headers(served, rid))

    async def batch(request: Request) -> Response:
        served = holder.current
        request_id = _request_id(request)
        lang = None
        try:
            lang = _lang(request.query_params)
            bodies.media_type(request.headers.get("content-type"), bodies.LINES_TYPES, "application/x-ndjson")
        except Problem as p:
            service.metrics.answered("batch", p.status)
            return _problem(p, served, request_id, lang)

        def lines_out(docs: list[tuple[bytes, Loaded]]) -> bytes:
            out = []
            for raw, loaded in docs:
                report = service.decide(served, loaded, request_id, raw, "batch")
                out.append(json_bytes(result(report, lang, served.titles[lang], loaded)))
            out.append(b"")
            return b"\n".join(out)

        async def stream() -> AsyncIterator[bytes]:
            lines = bodies.Lines(service.limits)
            try:
                async for chunk in request.stream():
                    docs = list(lines.feed(chunk))
                    if docs:
                        yield await anyio.to_thread.run_sync(lines_out, docs)
            except ClientDisconnect:   # the client went away: nobody to answer
                service.metrics.answered("batch", "disconnected")
                return
            docs = list(lines.close())
            if docs:
                yield await anyio.to_thread.run_sync(lines_out, docs)
            service.metrics.answered("batch", 200)
        return LinesResponse(stream(), headers=_headers(served, request_id))

    async def echo(call: Call) -> None:
        """The floor of the benchmark: the body read as /v1/validate reads it, returned as JSON."""
        served = holder.current
        rid = request_id(call.header(b"x-request-id"))
        try:
            loaded, _ = await document_of(call)
        except Problem as p:
            return await _answer_problem(call, p, served, rid)
        out = {"policy": served.policy.info(), "request_id": rid, "document": loaded.doc}
        await call.respond(200, json_bytes(out), _raw_headers(served, rid))

    async def policy(request: Request) -> Response:
        served = holder.current
        p = served.policy
        rules = [{"id": r.id, "effect": r.effect, "faq": list(r.faq), "kinds": list(r.kinds),
                  "message": r.message, "advice": r.advice or None} for r in policy_rules(p)]
        references: dict[str, Any] = {}
        for r in p.rules:
            for q in r.faq:
                ref = p.checked.reference(q)
                entry = references.setdefault(q, {"question": dict(ref.title) if ref else None, "rules": []})
                entry["rules"].append(r.id)
        references = dict(sorted(references.items(), key=lambda kv: reference_order(kv[0])))
        return JSONResponse({"name": p.name, "digest": p.digest, "kinds": list(p.schemas.kinds), "rules": rules,
                             "references": references,
                             "schemas": {k: f"/v1/schemas/{k}" for k in p.schemas.kinds},
                             "loaded_at": served.loaded_at}, headers=_headers(served, _request_id(request)))

    async def schema(request: Request) -> Response:
        served = holder.current
        kind = request.path_params["kind"]
        schemas = served.policy.schemas
        if kind not in schemas.kinds:
            p = Problem(404, "unknown-kind", f"no schema for kind `{kind}`",
                        f"ask for one of: {', '.join(schemas.kinds)}")
            return _problem(p, served, _request_id(request))
        return JSONResponse(dict(schemas.schemas[kind]), media_type="application/schema+json",
                            headers=_headers(served, _request_id(request)))

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"}, headers=_headers(holder.current, _request_id(request)))

    async def readyz(request: Request) -> Response:
        served = holder.current
        out: dict[str, Any] = {"status": "ready" if holder.error is None else "stale",
                               "policy": served.policy.info(), "loaded_at": served.loaded_at}
        if holder.error is not None:
            out["reload_error"] = holder.error.to_dict()
        return JSONResponse(out, headers=_headers(served, _request_id(request)))

    async def metrics(request: Request) -> Response:
        return Response(service.metrics.text(), media_type=CONTENT_TYPE,
                        headers=_headers(holder.current, _request_id(request)))

    async def openapi_json(request: Request) -> Response:
        served = holder.current
        return JSONResponse(openapi.document(served.policy.schemas.schemas),
                            headers=_headers(served, _request_id(request)))

    async def page(request: Request) -> Response:
        html = resources.files("espolicy.serve").joinpath("page", "index.html").read_text(encoding="utf-8")
        html = html.replace("{{playground}}", "true" if config.playground else "false")
        return Response(html, media_type="text/html; charset=utf-8",
                        headers={**_headers(holder.current, _request_id(request)), **_PAGE_HEADERS})

    async def examples(request: Request) -> Response:
        return JSONResponse(_examples(), headers=_headers(holder.current, _request_id(request)))

    async def playground_rules(request: Request) -> Response:
        served = holder.current
        files = [{"name": Path(m.file).name, "text": m.source} for m in served.policy.checked.modules]
        return JSONResponse({"files": files}, headers=_headers(served, _request_id(request)))

    async def playground_run(request: Request) -> Response:
        from espolicy.serve import sandbox
        served = holder.current
        request_id = _request_id(request)
        try:
            bodies.media_type(request.headers.get("content-type"), bodies.JSON_TYPES, "application/json")
            bodies.declared_length(request.headers.get("content-length"), sandbox.MAX_REQUEST)
            data = await _read(request, sandbox.MAX_REQUEST)
            job = sandbox.job_of(data)
        except Problem as p:
            return _problem(p, served, request_id)
        async with service.sandboxes:
            outcome = await anyio.to_thread.run_sync(sandbox.run, job)
        return JSONResponse(outcome, headers=_headers(served, request_id))

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 404:
            p = Problem(404, "not-found", f"no such endpoint `{request.url.path}`",
                        "see /openapi.json for the endpoints")
        elif status == 405:
            p = Problem(405, "method-not-allowed", f"`{request.method}` is not allowed on `{request.url.path}`",
                        "see /openapi.json for the methods of each endpoint")
        else:
            p = Problem(status, "http-error", str(getattr(exc, "detail", "")) or "the request cannot be served",
                        "see /openapi.json")
        return _problem(p, holder.current, _request_id(request))

    # the hot path: plain ASGI, reached before Starlette's routing (see espolicy.serve.asgi)
    posts = {"/v1/validate": Endpoint(validate), "/v1/echo": Endpoint(echo)}
    routes = [
        Route("/", page), Route("/v1/examples", examples),
        Route("/v1/validate", posts["/v1/validate"], methods=["POST"]),
        Route("/v1/validate/batch", batch, methods=["POST"]),
        Route("/v1/echo", posts["/v1/echo"], methods=["POST"]),
        Route("/v1/policy", policy), Route("/v1/schemas/{kind}", schema),
        Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics),
        Route("/openapi.json", openapi_json),
        Mount("/assets", StaticFiles(packages=[("espolicy.serve", "page")]), name="assets"),
    ]
    if config.playground:
        routes += [Route("/v1/playground/rules", playground_rules),
                   Route("/v1/playground/run", playground_run, methods=["POST"])]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.open_log()
        watcher = asyncio.create_task(_watch(holder)) if config.watch else None
        try:
            yield
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            service.close_log()

    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(Shortcut, posts=posts)],
                    exception_handlers={HTTPException: not_found})
    app.state.service = service
    return app


class LinesResponse(Response):
    """A JSON Lines response streamed while the request body is still being read: unlike
    Starlette's StreamingResponse it does not listen for a disconnect, which would take the
    request body's messages away from the reader."""

    media_type = "application/x-ndjson"

    def __init__(self, chunks: AsyncIterator[bytes], headers: dict[str, str]) -> None:
        self.chunks = chunks
        self.status_code = 200
        self.background = None
        self.raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        self.raw_headers.append((b"content-type", self.media_type.encode("latin-1")))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async for chunk in self.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


# the page loads nothing from elsewhere; the policy makes sure of it
_PAGE_HEADERS = {"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
                 "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


async def _read(request: Request, limit: int) -> bytes:
    """The request body (at most `limit` bytes), or a Problem; a client that leaves mid-body gets
    a 400 it will not read, never a 500."""
    try:
        return await bodies.read_bounded(request.stream(), limit)
    except ClientDisconnect:
        raise bodies.incomplete() from None


def _examples() -> list[dict[str, str]]:
    """The bundled example documents (the page's "pick an example")."""
    from espolicy.sources import bundled_dir
    out = []
    for path in sorted(bundled_dir("examples").iterdir()):
        if path.suffix in (".yaml", ".yml", ".json") and path.is_file():
            text = path.read_text(encoding="utf-8")
            title = next((line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("#")), path.stem)
            out.append({"name": path.name, "title": title, "text": text})
    return out


async def _watch(holder: PolicyHolder) -> None:
    """Reload the policy whenever a rule file of its folder changes (in a thread: compiling takes
    a while and must not hold up requests)."""
    import watchfiles
    from espolicy.sources import bundled_dir

    folder = holder.policy_dir if holder.policy_dir is not None else bundled_dir("policy")

    def rule_file(change: watchfiles.Change, path: str) -> bool:
        return path.endswith(".esp")

    try:
        async for _ in watchfiles.awatch(folder, watch_filter=rule_file, debounce=300, step=50):
            await anyio.to_thread.run_sync(holder.reload)
    except (OSError, RuntimeError) as e:   # the folder went away: keep serving, say that watching stopped
        log.error("espolicy serve: stopped watching `%s`: %s", folder, e)


