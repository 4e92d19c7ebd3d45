"""Reading request bodies: the media type, the size bound, and the document(s) they hold.

Whatever a client sends ends as a document, an `invalid` result, or a `Problem` (an HTTP error
with a JSON body naming the place); never as an exception that escapes to a 500.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, AsyncIterator, Iterator

from espolicy import messages
from espolicy.documents.loader import Loaded, RawBlock, expand_block, load_text
from espolicy.limits import Limits, describe_bytes
from espolicy.report import Finding

JSON_TYPES = frozenset({"application/json"})
YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
LINES_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/json-lines",
                         "application/x-jsonlines"})
SOURCE = "body"


@dataclass(frozen=True)
class Problem(Exception):
    """A request the service cannot judge: HTTP status, a code, the message and what to do
    (`help`), and where in the body when known."""

    status: int
    code: str
    message: str
    help: str
    line: int | None = None
    column: int | None = None
    message_ja: str | None = None

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        message = self.message_ja if lang == "ja" and self.message_ja else self.message
        out: dict[str, Any] = {"status": self.status, "code": self.code, "message": message, "help": self.help}
        if self.line is not None:
            out["line"], out["column"] = self.line, self.column
        return out


def media_type(header: str | None, accepted: frozenset[str], example: str) -> str:
    """The media type of a Content-Type header when it is one of `accepted` (and its charset, if
    any, is UTF-8); else a 415 Problem."""
    value = (header or "").split(";")
    kind = value[0].strip().lower()
    if kind.startswith("application/") and kind.endswith("+json") and "application/json" in accepted:
        kind = "application/json"
    charset = next((p.split("=", 1)[1].strip().strip('"').lower() for p in value[1:]
                    if p.strip().lower().startswith("charset=")), "utf-8")
    if kind not in accepted:
        shown = f"`{kind}`" if kind else "no Content-Type"
        raise Problem(415, "unsupported-media-type", f"cannot read a body sent as {shown}",
                      f"send the body with `Content-Type: {example}` (accepted: {', '.join(sorted(accepted))})")
    if charset.replace("-", "").replace("_", "") != "utf8":
        raise Problem(415, "unsupported-charset", f"cannot read a body in charset `{charset}`",
                      "send the body as UTF-8 text (`charset=utf-8` or no charset)")
    return kind


def too_large(limit: int) -> Problem:
    return Problem(413, "too-large", f"the request body is larger than {describe_bytes(limit)}",
                   f"send at most {describe_bytes(limit)} per document, or several documents as JSON Lines "
                   "to /v1/validate/batch (only each line is bounded there)")


def incomplete() -> Problem:
    """A client left before sending the whole body: a 400 it will not read, never a 500."""
    return Problem(400, "incomplete-body", "the connection closed before the whole body arrived", "send the whole body")


def declared_length(header: str | None, limit: int) -> None:
    """A 413 Problem before reading when Content-Length already says the body is too big."""
    if header is not None and header.strip().isdigit() and int(header) > limit:
        raise too_large(limit)


async def read_bounded(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """The whole body, or a 413 Problem as soon as it passes `limit` bytes (never held beyond it)."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


def _line_column(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset of UTF-8 `data`."""
    start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode("utf-8", "replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def decode(data: bytes) -> str:
    """The body as text, or a 400 Problem naming the line and column of the first byte that is
    not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line, column = _line_column(data, e.start)
        raise Problem(400, "not-utf8", f"line {line}, column {column}: the body is not UTF-8 text "
                      f"(byte 0x{data[e.start]:02x})", "send the document encoded as UTF-8",
                      line, column, f"{line} 行 {column} 列目: 本文が UTF-8 ではありません。") from None


def one_document(text: str, fmt: str, limits: Limits) -> Loaded:
    """The one document of a JSON or YAML body, or a 400 Problem: unreadable (with line and
    column), empty, or several documents."""
    if not text.strip():
        raise Problem(400, "empty-body", "the request body holds no document",
                      "send one registration, change_request or service_request as JSON or YAML")
    docs: list[Loaded] = []
    for loaded in load_text(text, SOURCE, fmt, limits):
        if loaded.problem is not None:
            raise _unreadable(loaded.problem)
        docs.append(loaded)
        if len(docs) > 1:
            raise Problem(400, "several-documents", f"the body holds more than one document "
                          f"(the second starts at line {loaded.source.rpartition(':')[2]})",
                          "send one document per request, or send JSON Lines to /v1/validate/batch",
                          int(loaded.source.rpartition(":")[2]), 1)
    return Loaded(SOURCE, docs[0].doc, None, docs[0].positions)


def _unreadable(problem: Finding) -> Problem:
    """A loader's finding as a 400 Problem (its message already starts with `line L, column C:`)."""
    return Problem(400, problem.rule, problem.message.get("en", ""),
                   "correct the JSON or YAML at the line and column given, then send it again",
                   problem.line, problem.column, problem.message.get("ja"))


class Lines:
    """Splits a streamed JSON Lines body into documents exactly as the loader reads a .jsonl file
    (`expand_block`), holding at most one line (of at most `limits.max_bytes`) beyond the chunk
    at hand; a longer line is skipped as it streams and becomes a `too-large` result. Each
    document comes with its line's bytes (for the decision log's `input_sha256`)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.line = 1            # the number of the line the carried bytes belong to
        self.offset = 0          # where that line starts in the body
        self._carry = b""
        self._skipping = False   # inside a line already known to be too long

    def feed(self, chunk: bytes) -> Iterator[tuple[bytes, Loaded]]:
        """The documents of every line that `chunk` completes."""
        if self._skipping:
            end = chunk.find(b"\n")
            if end < 0:
                self.offset += len(chunk)
                return
            yield b"", self._too_large()
            self.line, self.offset, self._skipping = self.line + 1, self.offset + end + 1, False
            chunk = chunk[end + 1:]
        data = self._carry + chunk
        cut = data.rfind(b"\n") + 1
        block, self._carry = data[:cut], data[cut:]
        if block:
            yield from self._expand(block)
        if len(self._carry) > self.limits.max_bytes:
            self.offset += len(self._carry)
            self._carry, self._skipping = b"", True

    def close(self) -> Iterator[tuple[bytes, Loaded]]:
        """The document of a last line without a newline."""
        if self._skipping:
            yield b"", self._too_large()
        elif self._carry:
            yield from self._expand(self._carry)
        self._carry, self._skipping = b"", False

    def _expand(self, block: bytes) -> Iterator[tuple[bytes, Loaded]]:
        raws = block.split(b"\n")
        for loaded in expand_block(SOURCE, RawBlock(block, self.line, self.offset), self.limits):
            number = int(loaded.source.rpartition(":")[2])
            yield raws[number - self.line].rstrip(b"\r"), loaded
        self.line += block.count(b"\n")
        self.offset += len(block)

    def _too_large(self) -> Loaded:
        return Loaded(f"{SOURCE}:{self.line}", None, messages.positioned(
            "too-large", self.line, 1, what=messages.WORDS["the line"], size=describe_bytes(self.limits.max_bytes)))


def fmt_of(kind: str) -> str:
    """`json` or `yaml`, the loader's name of a media type's format."""
    return "json" if kind in JSON_TYPES else "yaml"


__all__ = ["Problem", "media_type", "declared_length", "read_bounded", "decode", "one_document", "Lines",
           "JSON_TYPES", "YAML_TYPES", "LINES_TYPES", "too_large", "incomplete", "fmt_of"]
