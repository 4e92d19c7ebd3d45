"""A real LSP client (pytest-lsp's) talking to `espolicy lsp` started as a subprocess over stdio.

The client runs on an event loop in a background thread, so that plain (and Hypothesis) tests can
call it synchronously. `call` sends a request and waits for its answer; notifications the server
sends before that answer (diagnostics) have been received by then, as the protocol orders them.
"""
from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path
from typing import Any, Coroutine, TypeVar

from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

import espolicy

T = TypeVar("T")
_PACKAGE_ROOT = str(Path(espolicy.__file__).resolve().parent.parent)  # the espolicy the tests import


class Session:
    """One `espolicy lsp` process and a client initialised against `root`."""

    def __init__(self, root: Path, args: tuple[str, ...] = ()):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        env = {**os.environ, "PYTHONPATH": _PACKAGE_ROOT}
        config = ClientServerConfig(server_command=[sys.executable, "-m", "espolicy", "lsp", *args], server_env=env)
        self.client: LanguageClient = self.run(config.start())  # type: ignore[assignment]
        self.versions: dict[str, int] = {}
        self.initialized = self.run(self.client.initialize_session(lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"), root_uri=root.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name=root.name)])))

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def notify(self, fn: Any, params: Any) -> None:
        async def send() -> None:
            fn(params)
        self.run(send())

    # ---- documents ----
    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.as_uri()
        self.versions[uri] = 1
        self.notify(self.client.text_document_did_open, lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
            uri=uri, language_id="espolicy", version=1, text=path.read_text(encoding="utf-8") if text is None else text)))
        return uri

    def change(self, uri: str, text: str) -> None:
        self.versions[uri] += 1
        self.notify(self.client.text_document_did_change, lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            [lsp.TextDocumentContentChangeWholeDocument(text=text)]))

    def edit(self, uri: str, line: int, start: int, end: int, text: str) -> None:
        """An incremental change: replace columns [start, end) of `line` with `text`."""
        self.versions[uri] += 1
        self.notify(self.client.text_document_did_change, lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            [lsp.TextDocumentContentChangePartial(range=lsp.Range(lsp.Position(line, start), lsp.Position(line, end)),
                                                  text=text)]))

    def close(self, uri: str) -> None:
        self.notify(self.client.text_document_did_close,
                    lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri=uri)))

    def diagnostics(self, uri: str) -> list[lsp.Diagnostic]:
        """The diagnostics last published for `uri`, after the server handled everything sent so far."""
        self.symbols(uri)  # a request answered only after the earlier notifications were handled
        return list(self.client.diagnostics.get(uri, []))

    # ---- requests ----
    def hover(self, uri: str, line: int, col: int) -> lsp.Hover | None:
        return self.run(self.client.text_document_hover_async(lsp.HoverParams(
            lsp.TextDocumentIdentifier(uri=uri), lsp.Position(line, col))))

    def complete(self, uri: str, line: int, col: int) -> list[lsp.CompletionItem]:
        got = self.run(self.client.text_document_completion_async(lsp.CompletionParams(
            lsp.TextDocumentIdentifier(uri=uri), lsp.Position(line, col))))
        if got is None:
            return []
        return list(got.items if isinstance(got, lsp.CompletionList) else got)

    def definition(self, uri: str, line: int, col: int) -> list[lsp.Location]:
        got = self.run(self.client.text_document_definition_async(lsp.DefinitionParams(
            lsp.TextDocumentIdentifier(uri=uri), lsp.Position(line, col))))
        return list(got) if isinstance(got, list) else ([got] if got else [])  # type: ignore[list-item]

    def references(self, uri: str, line: int, col: int, declaration: bool = True) -> list[lsp.Location]:
        got = self.run(self.client.text_document_references_async(lsp.ReferenceParams(
            context=lsp.ReferenceContext(include_declaration=declaration),
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line, col))))
        return list(got or [])

    def symbols(self, uri: str) -> list[Any]:
        got = self.run(self.client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
            lsp.TextDocumentIdentifier(uri=uri))))
        return list(got or [])

    def workspace_symbols(self, query: str) -> list[Any]:
        got = self.run(self.client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query=query)))
        return list(got or [])

    def format(self, uri: str) -> list[lsp.TextEdit] | None:
        got = self.run(self.client.text_document_formatting_async(lsp.DocumentFormattingParams(
            lsp.TextDocumentIdentifier(uri=uri), lsp.FormattingOptions(tab_size=2, insert_spaces=True))))
        return None if got is None else list(got)

    def code_actions(self, uri: str, rng: lsp.Range, diagnostics: list[lsp.Diagnostic]) -> list[Any]:
        got = self.run(self.client.text_document_code_action_async(lsp.CodeActionParams(
            lsp.TextDocumentIdentifier(uri=uri), rng, lsp.CodeActionContext(diagnostics=diagnostics))))
        return list(got or [])

    def stop(self) -> None:
        try:
            self.run(self.client.shutdown_session())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=30)


def find(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """(line, column) of the `nth` occurrence of `needle` in `text` (0-based)."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at)
    return line, at - (text.rfind("\n", 0, at) + 1)


def swap(text: str, old: str, new: str) -> str:
    """`text` with the first `old` replaced by `new` (`old` must be there: a test edits what it means to)."""
    assert old in text, old
    return text.replace(old, new, 1)


def apply(text: str, edits: list[lsp.TextEdit]) -> str:
    """`text` with LSP text edits applied (positions in code points: the tests' texts are BMP-only)."""
    lines = text.split("\n")

    def offset(p: lsp.Position) -> int:
        return sum(len(ln) + 1 for ln in lines[:p.line]) + p.character

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(e.range.start)] + e.new_text + text[offset(e.range.end):]
    return text
