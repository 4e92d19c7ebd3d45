"""`espolicy lsp`: the Language Server Protocol over stdio (pygls).

Each rule file belongs to the policy folder it sits in; a change to one file analyses its folder again
(that file parsed again, the others taken from the parse cache) and publishes the diagnostics of
`espolicy check` for every file of the folder. Positions cross the protocol in the client's units
(UTF-16 by default) and are code points inside.
"""
from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from espolicy import __version__
from espolicy.errors import Diagnostic, PolicyError, Span
from espolicy.lsp import actions, complete as completion, hover as hovering, navigate
from espolicy.lsp.state import Folder, Knowledge, Schemas
from espolicy.sources import POLICY_SUFFIX

_KINDS = {
    "field": lsp.CompletionItemKind.Field, "entry": lsp.CompletionItemKind.Field,
    "value": lsp.CompletionItemKind.Variable, "local": lsp.CompletionItemKind.Variable,
    "const": lsp.CompletionItemKind.Constant, "table": lsp.CompletionItemKind.Struct,
    "function": lsp.CompletionItemKind.Function, "kind": lsp.CompletionItemKind.Class,
    "keyword": lsp.CompletionItemKind.Keyword, "reference": lsp.CompletionItemKind.Reference,
    "enum": lsp.CompletionItemKind.EnumMember, "data": lsp.CompletionItemKind.Constant,
}
_SYMBOLS = {
    "policy": lsp.SymbolKind.Namespace, "const": lsp.SymbolKind.Constant, "table": lsp.SymbolKind.Struct,
    "entry": lsp.SymbolKind.Field, "fact": lsp.SymbolKind.Property, "let": lsp.SymbolKind.Variable,
    "rule": lsp.SymbolKind.Function, "reference": lsp.SymbolKind.Key, "data": lsp.SymbolKind.File,
}


class PolicyServer(LanguageServer):
    """The server's state: the schemas (loaded once) and one `Folder` per policy folder."""

    def __init__(self, schema_dir: Path | None = None) -> None:
        super().__init__("espolicy", __version__)
        self.schema_dir = schema_dir
        self._schemas: Schemas | None = None
        self.folders: dict[Path | None, Folder] = {}
        self.knowledge: dict[Path | None, Knowledge] = {}
        self.published: dict[Path | None, set[str]] = {}

    def schemas(self) -> Schemas:
        if self._schemas is None:
            from espolicy.documents.schema import SchemaSet
            from espolicy.sources import bundled_dir
            self._schemas = Schemas.of(SchemaSet.load(self.schema_dir or bundled_dir("schemas")))
        return self._schemas

    # ---- files and folders ----
    def file_of(self, uri: str) -> str:
        """The file name spans carry for a document: its path, or the URI of an unsaved one."""
        parsed = urlparse(uri)
        return unquote(parsed.path) if parsed.scheme == "file" else uri

    def uri_of(self, file: str) -> str:
        for doc in self.workspace.text_documents.values():
            if self.file_of(doc.uri) == file:
                return doc.uri
        return Path(file).as_uri() if file.startswith("/") else file

    def folder_key(self, file: str) -> Path | None:
        return Path(file).parent if file.startswith("/") else None

    def editing(self, key: Path | None) -> dict[str, str]:
        """The texts of the open rule files of a folder."""
        out = {}
        for doc in list(self.workspace.text_documents.values()):
            file = self.file_of(doc.uri)
            if self.folder_key(file) == key and (key is None or file.endswith(POLICY_SUFFIX)):
                out[file] = doc.source
        return out

    def analyse(self, uri: str) -> Knowledge:
        """Analyse the folder of `uri` with the editor's texts, publish its diagnostics, keep the result."""
        file = self.file_of(uri)
        key = self.folder_key(file)
        folder = self.folders.get(key)
        if folder is None:
            folder = self.folders[key] = Folder(key, self.schemas())
        editing = self.editing(key)
        if key is None:
            editing = {f: t for f, t in editing.items() if f == file}
        k = folder.analyse(editing)
        self.knowledge[key] = k
        self.publish(key, k, file)
        return k

    def workspace_folders(self) -> list[Path]:
        """The policy folders under the workspace's folders (each folder holding `*.esp` files)."""
        found: set[Path] = set()
        for folder in list(self.workspace.folders.values()):
            root = Path(self.file_of(folder.uri))
            for path in _rule_files(root):
                found.add(path.parent)
        return sorted(found)

    def every_knowledge(self) -> list[Knowledge]:
        """What is known of every policy folder of the workspace (those not analysed yet analysed now,
        without publishing their diagnostics) and of the folders of open files."""
        for key in self.workspace_folders():
            if key not in self.knowledge:
                folder = self.folders.setdefault(key, Folder(key, self.schemas()))
                self.knowledge[key] = folder.analyse(self.editing(key))
        return list(self.knowledge.values())

    def knowledge_of(self, uri: str) -> tuple[Knowledge, str]:
        file = self.file_of(uri)
        key = self.folder_key(file)
        k = self.knowledge.get(key)
        doc = self.workspace.get_text_document(uri)
        if k is None or k.texts.get(file) != doc.source:
            k = self.analyse(uri)
        return k, file

    def publish(self, key: Path | None, k: Knowledge, current: str) -> None:
        """The diagnostics of every file of the folder (problems of no file shown on `current`)."""
        loose = list(k.diagnostics.get("", ()))
        sent = set()
        for file in dict.fromkeys([*k.files, current]):
            found = list(k.diagnostics.get(file, ())) + (loose if file == current else [])
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
                uri=self.uri_of(file), diagnostics=[self.to_lsp(d, file) for d in found]))
            sent.add(file)
        for stale in self.published.get(key, set()) - sent:  # a file gone from the folder: clear it
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=self.uri_of(stale), diagnostics=[]))
        self.published[key] = sent

    # ---- positions ----
    def lines_of(self, file: str) -> list[str]:
        """The lines of `file` as the server knows them; a file outside every analysed folder (a data
        file, the FAQ's references) as on disk."""
        k = self.knowledge.get(self.folder_key(file))
        if k is not None and file in k.texts:
            return k.texts[file].split("\n")
        try:
            return Path(file).read_text(encoding="utf-8").split("\n") if file.startswith("/") else [""]
        except (OSError, UnicodeDecodeError):
            return [""]

    def range_of(self, span: Span | None, file: str) -> lsp.Range:
        """A 1-based, end-exclusive span as an LSP range in the client's units."""
        lines = self.lines_of(file)
        if span is None:
            return lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
        codec = self.workspace.position_codec
        start = codec.position_to_client_units(lines, lsp.Position(max(0, span.line - 1), max(0, span.column - 1)))
        end = codec.position_to_client_units(lines, lsp.Position(max(0, span.end_line - 1), max(0, span.end_column - 1)))
        return lsp.Range(start, end)

    def server_position(self, doc: TextDocument, pos: lsp.Position) -> tuple[int, int]:
        p = self.workspace.position_codec.position_from_client_units(doc.lines, lsp.Position(pos.line, pos.character))
        return p.line, p.character

    def to_lsp(self, d: Diagnostic, file: str) -> lsp.Diagnostic:
        """A diagnostic as the protocol has it: the `help:` line in the message, secondary places
        (labels) as related information."""
        message = d.message + (f"\nhelp: {d.hint}" if d.hint else "")
        related = [lsp.DiagnosticRelatedInformation(self.location(label.span), label.message)
                   for label in d.labels]
        return lsp.Diagnostic(
            range=self.range_of(d.span if d.span is not None and d.span.file == file else None, file),
            message=message, severity=lsp.DiagnosticSeverity.Error if d.severity == "error"
            else lsp.DiagnosticSeverity.Warning, code=d.code, source="espolicy", related_information=related or None)

    def location(self, span: Span) -> lsp.Location:
        return lsp.Location(uri=self.uri_of(span.file), range=self.range_of(span, span.file))


def build(schema_dir: Path | None = None) -> PolicyServer:
    """The server with every feature registered."""
    server = PolicyServer(schema_dir)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PolicyServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.analyse(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PolicyServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.analyse(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: PolicyServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.analyse(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PolicyServer, params: lsp.DidCloseTextDocumentParams) -> None:
        """The folder goes back to the file on disk (an unsaved file leaves it, and its diagnostics go)."""
        ls.analyse(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: PolicyServer, params: lsp.HoverParams) -> lsp.Hover | None:
        k, file = ls.knowledge_of(params.text_document.uri)
        line, col = ls.server_position(ls.workspace.get_text_document(params.text_document.uri), params.position)
        found = hovering.hover(k, file, line, col)
        if found is None:
            return None
        markdown, start, end = found
        return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, markdown),
                         ls.range_of(Span(file, line + 1, start + 1, line + 1, end + 1), file))

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=[".", "\""]))
    def complete(ls: PolicyServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        k, file = ls.knowledge_of(params.text_document.uri)
        line, col = ls.server_position(ls.workspace.get_text_document(params.text_document.uri), params.position)
        items = []
        for i in completion.complete(k, file, line, col):
            edit = None
            if i.replace is not None:
                edit = lsp.TextEdit(ls.range_of(Span(file, line + 1, i.replace[0] + 1, line + 1, i.replace[1] + 1), file),
                                    i.insert or i.label)
            items.append(lsp.CompletionItem(
                label=i.label, kind=_KINDS.get(i.what, lsp.CompletionItemKind.Text), detail=i.detail or None,
                documentation=lsp.MarkupContent(lsp.MarkupKind.Markdown, i.doc) if i.doc else None,
                text_edit=edit, filter_text=i.insert if edit is not None else None))
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: PolicyServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
        k, file = ls.knowledge_of(params.text_document.uri)
        line, col = ls.server_position(ls.workspace.get_text_document(params.text_document.uri), params.position)
        o = navigate.at(k, file, line, col)
        return [ls.location(span) for span in navigate.definitions(k, o)] if o is not None else []

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def references(ls: PolicyServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        k, file = ls.knowledge_of(params.text_document.uri)
        line, col = ls.server_position(ls.workspace.get_text_document(params.text_document.uri), params.position)
        o = navigate.at(k, file, line, col)
        if o is None:
            return []
        return [ls.location(r.span) for r in navigate.references(k, o, params.context.include_declaration)]

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbols(ls: PolicyServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        k, file = ls.knowledge_of(params.text_document.uri)
        return [_document_symbol(ls, s, file) for s in navigate.symbols(k, file)]

    @server.feature(lsp.WORKSPACE_SYMBOL)
    def workspace_symbols(ls: PolicyServer, params: lsp.WorkspaceSymbolParams) -> list[lsp.SymbolInformation]:
        query = params.query.lower()
        out = []
        for k in ls.every_knowledge():
            for file in k.files:
                for s in navigate.symbols(k, file):
                    for item in (s, *s.children):
                        if _matches(query, item.name.lower()):
                            out.append(lsp.SymbolInformation(
                                name=item.name, kind=_SYMBOLS.get(item.what, lsp.SymbolKind.Object),
                                location=ls.location(item.name_span), container_name=s.name if item is not s else None))
        return out

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: PolicyServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
        from espolicy.lang.fmt import format_source
        doc = ls.workspace.get_text_document(params.text_document.uri)
        try:
            formatted = format_source(doc.source, ls.file_of(doc.uri))
        except PolicyError:
            return None  # a file that does not parse is left as it is; its diagnostics say why
        if formatted == doc.source:
            return []
        lines = doc.source.split("\n")
        end = ls.workspace.position_codec.position_to_client_units(lines, lsp.Position(len(lines) - 1, len(lines[-1])))
        return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), end), formatted)]

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    def code_actions(ls: PolicyServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        k, file = ls.knowledge_of(params.text_document.uri)
        wanted = params.range
        out = []
        for fix in actions.fixes(k.diagnostics.get(file, ()), k.texts.get(file, "")):
            r = ls.range_of(fix.diagnostic.span, file)
            if (r.end.line, r.end.character) < (wanted.start.line, wanted.start.character) or \
                    (r.start.line, r.start.character) > (wanted.end.line, wanted.end.character):
                continue
            edit = lsp.TextEdit(ls.range_of(fix.span, file), fix.text)
            out.append(lsp.CodeAction(
                title=fix.title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[ls.to_lsp(fix.diagnostic, file)],
                is_preferred=True, edit=lsp.WorkspaceEdit(changes={params.text_document.uri: [edit]})))
        return out

    return server


def _rule_files(root: Path, limit: int = 1000) -> list[Path]:
    """Rule files under `root` (hidden folders and node_modules left out), at most `limit`."""
    out: list[Path] = []
    stack = [root]
    while stack and len(out) < limit:
        here = stack.pop()
        try:
            entries = sorted(here.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.name == "node_modules":
                continue
            if entry.is_dir() and not entry.is_symlink():
                stack.append(entry)
            elif entry.suffix == POLICY_SUFFIX and entry.is_file():
                out.append(entry)
    return out[:limit]


def _document_symbol(ls: PolicyServer, s: navigate.Symbol, file: str) -> lsp.DocumentSymbol:
    whole = ls.range_of(s.span, file)
    name = ls.range_of(s.name_span, file)
    if not _inside(name, whole):
        name = whole
    return lsp.DocumentSymbol(name=s.name, kind=_SYMBOLS.get(s.what, lsp.SymbolKind.Object), range=whole,
                              selection_range=name, detail=s.detail,
                              children=[_document_symbol(ls, c, file) for c in s.children] or None)


def _inside(inner: lsp.Range, outer: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return p.line, p.character
    return key(outer.start) <= key(inner.start) and key(inner.end) <= key(outer.end)


def _matches(query: str, name: str) -> bool:
    """`query`'s characters appear in `name` in order (an empty query matches everything)."""
    it = iter(name)
    return all(ch in it for ch in query)


def serve(schema_dir: Path | None = None) -> None:
    """Run the server on stdin/stdout until the client says exit."""
    logging.basicConfig(level=logging.WARNING)
    build(schema_dir).start_io()

