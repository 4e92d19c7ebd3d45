"""What the server knows about a policy folder: its rule files (an editor's text wins over the disk),
each parsed once per text, and the checker's results. Only a changed file is parsed again, and in it
only the changed declarations (`incremental`); the schema types are built once per server.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, TypeVar

from espolicy.documents.schema import SchemaSet
from espolicy.engine.datafiles import load as load_data, module_data, with_data_files
from espolicy.engine.lint import judge
from espolicy.errors import Diagnostic, PolicyError
from espolicy.lang import ast
from espolicy.lang.typecheck import CheckedPolicy, Checker
from espolicy.lang.types import TRecord
from espolicy.lsp.incremental import Reparser
from espolicy.sources import POLICY_SUFFIX, read_sources

D = TypeVar("D", ast.Reference, ast.Data, ast.Rule)


@dataclass(frozen=True)
class Schemas:
    """The document schemas and their types, shared by every folder."""

    schemas: SchemaSet
    shapes: Mapping[str, TRecord]

    @classmethod
    def of(cls, schemas: SchemaSet) -> "Schemas":
        return cls(schemas, {k: schemas.shape(k) for k in schemas.kinds})


@dataclass(frozen=True)
class Knowledge:
    """One analysis of a folder: the diagnostics of `check` per file, and what the checker learnt.

    `modules` holds, per file, the module of its current text or, while the text does not parse,
    of its last text that did (so names and types stay known while a line is half typed)."""

    files: tuple[str, ...]
    texts: Mapping[str, str]
    modules: Mapping[str, ast.Module]
    diagnostics: Mapping[str, tuple[Diagnostic, ...]]
    checker: Checker | None
    checked: CheckedPolicy | None
    schemas: Schemas
    parsed: frozenset[str] = field(default_factory=frozenset)  # files whose current text parses

    @property
    def shapes(self) -> Mapping[str, TRecord]:
        return self.schemas.shapes

    def decls(self) -> list[ast.Decl]:
        return [d for f in self.files if f in self.modules for d in self.modules[f].decls]

    def references(self) -> dict[str, ast.Reference]:
        """The references a rule may cite, by id, as the checker has them: the folder's `reference`
        declarations (the first of each id), or the FAQ's when the folder declares none."""
        if self.checker is not None and self.checker.references:
            return dict(self.checker.references)
        return self._first(ast.Reference, lambda d: d.id)

    def data_sets(self) -> dict[str, ast.Data]:
        """The folder's `data` declarations by name (the first of each)."""
        return self._first(ast.Data, lambda d: d.name)

    def rules(self) -> dict[str, ast.Rule]:
        """The folder's rules by id (the first of each)."""
        return self._first(ast.Rule, lambda d: d.id)

    def _first(self, cls: type[D], key: Callable[[D], str]) -> dict[str, D]:
        """The folder's declarations of class `cls` by `key`, the first of each."""
        out: dict[str, D] = {}
        for d in self.decls():
            if isinstance(d, cls):
                out.setdefault(key(d), d)
        return out


class Folder:
    """A policy folder (or a lone unsaved file): analysed again on every change of one of its files."""

    def __init__(self, path: Path | None, schemas: Schemas):
        self.path = path
        self.schemas = schemas
        self._parsed: dict[str, tuple[str, ast.Module | PolicyError]] = {}
        self._last_good: dict[str, ast.Module] = {}
        self._reparsers: dict[str, Reparser] = {}

    def _texts(self, editing: Mapping[str, str]) -> tuple[dict[str, str], list[Diagnostic]]:
        """The text of every rule file: the editor's where it has the file open, else the disk's."""
        texts: dict[str, str] = {}
        problems: list[Diagnostic] = []
        if self.path is not None and any(p.suffix == POLICY_SUFFIX for p in _entries(self.path)):
            try:
                texts.update(read_sources(self.path))
            except PolicyError as e:
                problems += e.diagnostics
        texts.update(editing)
        return dict(sorted(texts.items())), problems

    def _parse(self, file: str, text: str) -> ast.Module | PolicyError:
        cached = self._parsed.get(file)
        if cached is not None and cached[0] == text:
            return cached[1]
        reparser = self._reparsers.setdefault(file, Reparser(file))
        try:
            result: ast.Module | PolicyError = reparser.parse(text)
        except PolicyError as e:
            result = e
        except RecursionError:  # the parser's own guard covers the known cases; never let one escape
            from espolicy.errors import diagnostic
            result = PolicyError([diagnostic("too-deep", "the rule file is nested too deeply to read", None, None)])
        self._parsed[file] = (text, result)
        if isinstance(result, ast.Module):
            self._last_good[file] = result
        return result

    def analyse(self, editing: Mapping[str, str]) -> Knowledge:
        """Diagnostics as `espolicy check` gives them for the folder, with the editor's texts."""
        texts, problems = self._texts(editing)
        for gone in set(self._parsed) - set(texts):
            self._parsed.pop(gone, None)
            self._last_good.pop(gone, None)
            self._reparsers.pop(gone, None)
        diagnostics: list[Diagnostic] = list(problems)
        parsed: set[str] = set()
        for file, text in texts.items():
            result = self._parse(file, text)
            if isinstance(result, PolicyError):
                diagnostics += result.diagnostics
            else:
                parsed.add(file)
        modules = {f: self._last_good[f] for f in texts if f in self._last_good}
        try:  # data files as `check` reads them; one that cannot be read is a diagnostic at its declaration
            data = load_data(module_data(modules.values()), with_data_files(texts.items()), dict(texts))
        except PolicyError as e:
            data, diagnostics = {}, diagnostics + e.diagnostics
        checker = Checker([modules[f] for f in texts if f in modules], self.schemas.shapes, data)
        checked = None
        if diagnostics:  # as `check`: a file that does not parse stops the analysis before the checker
            try:
                checker.check()  # for the names and types the editor shows, not for diagnostics
            except PolicyError:
                pass
        else:
            checked, found = judge(checker)
            diagnostics = found
        by_file: dict[str, list[Diagnostic]] = {f: [] for f in texts}
        for d in diagnostics:
            file = d.span.file if d.span is not None and d.span.file in by_file else ""
            by_file.setdefault(file, []).append(d)
        return Knowledge(tuple(texts), texts, modules, {f: tuple(ds) for f, ds in by_file.items()}, checker,
                         checked, self.schemas, frozenset(parsed))


def _entries(path: Path) -> list[Path]:
    try:
        return [p for p in path.iterdir() if p.is_file()]
    except OSError:
        return []
