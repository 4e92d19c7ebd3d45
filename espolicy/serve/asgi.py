"""Plain ASGI for the endpoints on the hot path (`POST /v1/validate` and its floor `POST /v1/echo`).

Starlette's routing, `Request` and `Response` cost tens of microseconds a request, as much as a
decision; these endpoints read the headers, the query and the body straight from the ASGI scope
and messages and send bytes. `Shortcut`, a middleware, hands their requests to them before
Starlette routes anything; the routes list them too, so another method gets Starlette's 405 and
the application stays one Starlette application.
"""
from __future__ import annotations

from typing import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from espolicy.serve import body as bodies

JSON = b"application/json"


class Call:
    """One HTTP request to a plain-ASGI endpoint, and the way to answer it."""

    __slots__ = ("scope", "receive", "send")

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope = scope
        self.receive = receive
        self.send = send

    def header(self, name: bytes) -> str | None:
        """The value of header `name` (lowercase; the server lowercases the names it receives)."""
        for key, value in self.scope["headers"]:
            if key == name:
                return str(value.decode("latin-1"))
        return None

    def params(self) -> dict[str, str]:
        """The query parameters, the last value of each, as Starlette's `query_params` reads them."""
        query: bytes = self.scope.get("query_string", b"")
        return dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True)) if query else {}

    async def body(self, limit: int) -> bytes:
        """The whole body, or a Problem: 413 past `limit` bytes, 400 when the client leaves mid-body."""
        return await bodies.read_bounded(self._chunks(), limit)

    async def _chunks(self) -> AsyncIterator[bytes]:
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise bodies.incomplete()
            yield message.get("body", b"")
            if not message.get("more_body", False):
                return

    async def respond(self, status: int, content: bytes, headers: Iterable[tuple[bytes, bytes]],
                      media_type: bytes = JSON) -> None:
        """Send the whole response: `content` with its length, type and `headers`."""
        raw = [(b"content-length", str(len(content)).encode("latin-1")), (b"content-type", media_type), *headers]
        await self.send({"type": "http.response.start", "status": status, "headers": raw})
        await self.send({"type": "http.response.body", "body": content})


class Endpoint:
    """An ASGI application made of a handler of `Call`s."""

    __slots__ = ("handler",)

    def __init__(self, handler: Callable[[Call], Awaitable[None]]) -> None:
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.handler(Call(scope, receive, send))


class Shortcut:
    """ASGI middleware: a POST to one of `posts` (path → Endpoint) goes straight to its endpoint,
    everything else to `app`."""

    def __init__(self, app: ASGIApp, posts: Mapping[str, Endpoint]) -> None:
        self.app = app
        self.posts = dict(posts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            endpoint = self.posts.get(scope["path"])
            if endpoint is not None:
                await endpoint(scope, receive, send)
                return
        await self.app(scope, receive, send)


def raw_headers(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    """Headers as ASGI's (lowercase name, value) byte pairs."""
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


__all__ = ["Call", "Endpoint", "Shortcut", "raw_headers", "JSON"]
