"""Data files of a policy (`data recalls = "data/recalls.yaml"`): found next to the rule files that
declare them, inside the policy folder only, read within the document limits, typed for the checker.

The files travel with the rule files as extra (path, text) sources, so the policy digest, the
compiled-policy cache key and pickling cover them without a separate path.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from espolicy.documents.loader import load_text
from espolicy.errors import PolicyError, diagnostic
from espolicy.lang import ast
from espolicy.lang.types import NotTypable, Type, type_of_value
from espolicy.limits import DEFAULT_LIMITS, describe_bytes
from espolicy.sources import POLICY_SUFFIX

if TYPE_CHECKING:
    from espolicy.lang.typecheck import CheckedPolicy

DATA_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}
# A `data` declaration starts its line (a text piece starts with `"`, a comment with `#`).
_DECLARED = re.compile(r'^[ \t]*data[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*=[ \t]*("(?:[^"\\\n]|\\.)*")', re.M)


def is_rule_file(path: str) -> bool:
    return Path(path).suffix == POLICY_SUFFIX


def with_data_files(sources: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The sources, followed by every data file their rule files declare (read from disk, where it is
    not among them already). A file that cannot be read is left out: the checker then names it."""
    import json
    out = list(sources)
    have = {Path(f).resolve() if not f.startswith("<") else f for f, _ in out}
    for file, text in list(out):
        if not is_rule_file(file):
            continue
        for m in _DECLARED.finditer(text):
            try:
                rel = json.loads(m.group(1))
            except ValueError:
                continue
            path = resolve(file, rel)
            if path is None or path in have:
                continue
            try:
                if path.stat().st_size > DEFAULT_LIMITS.max_bytes:
                    continue
                out.append((str(path), path.read_text(encoding="utf-8-sig")))
                have.add(path)
            except (OSError, UnicodeDecodeError):
                continue
    return tuple(out)


def resolve(rule_file: str, rel: str) -> Path | None:
    """The data file `rel` names, relative to the folder of the rule file that declares it; None when it
    leaves that folder (an absolute path, `..`, a link out)."""
    folder = Path(rule_file).resolve().parent
    if Path(rel).is_absolute():
        return None
    path = (folder / rel).resolve()
    return path if path.is_relative_to(folder) else None


def module_data(modules: Iterable[ast.Module]) -> list[ast.Data]:
    """Every `data` declaration of the modules."""
    return [d for m in modules for d in m.decls if isinstance(d, ast.Data)]


def load(decls: Iterable[ast.Data], sources: Iterable[tuple[str, str]],
         texts: Mapping[str, str]) -> dict[str, tuple[Type, Any]]:
    """Each declared data set's type and value; a PolicyError naming the declaration when one cannot be
    read, is outside the policy folder, too large, not YAML/JSON, or has no type."""
    files = {Path(f).resolve(): t for f, t in sources if not f.startswith("<") and not is_rule_file(f)}
    out: dict[str, tuple[Type, Any]] = {}
    errors = []
    for d in decls:
        try:
            out[d.name] = _one(d, files)
        except _Problem as p:
            errors.append(diagnostic("data-file", str(p), d.span, texts.get(d.span.file), p.hint))
    if errors:
        raise PolicyError(errors)
    return out


class _Problem(Exception):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def _one(d: ast.Data, files: Mapping[Path, str]) -> tuple[Type, Any]:
    path = resolve(d.span.file, d.path)
    if path is None:
        raise _Problem(f"data file `{d.path}` is outside the policy folder",
                       "keep data files inside the policy folder, e.g. `data/recalls.yaml`")
    fmt = DATA_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise _Problem(f"data file `{d.path}` is not YAML or JSON", "name a .yaml, .yml or .json file")
    text = files.get(path)
    if text is None:
        if path.is_file() and path.stat().st_size > DEFAULT_LIMITS.max_bytes:
            raise _Problem(f"data file `{d.path}` is larger than {describe_bytes(DEFAULT_LIMITS.max_bytes)}",
                           "a data file is limited like a document: keep only what the rules read, or split it "
                           "into several `data` files")
        raise _Problem(f"data file `{d.path}` cannot be read", "check that the file exists next to the rule file")
    loaded = list(load_text(text, d.path, fmt, DEFAULT_LIMITS))
    if len(loaded) != 1 or loaded[0].problem is not None or loaded[0].doc is None:
        problem = loaded[0].problem if loaded and loaded[0].problem else None
        why = problem.message["en"] if problem else "it holds no value, or more than one YAML document"
        raise _Problem(f"data file `{d.path}` cannot be read: {why}")
    value = loaded[0].doc
    try:
        return type_of_value(value, d.name), value
    except NotTypable as e:
        raise _Problem(f"data file `{d.path}`: {e}") from None


@dataclass(frozen=True)
class DataSet:
    """A declared data set as `doc` and `explain` show it: its name, the file as declared, and
    what it holds (`record with 4300777, 4300888, 2 entries`)."""

    name: str
    file: str
    holds: str


def data_sets(checked: CheckedPolicy) -> list[DataSet]:
    """Every data set of a checked policy, in declaration order."""
    out = []
    for d in checked.data_decls:
        value = checked.data.get(d.name)
        size = f", {len(value)} entries" if isinstance(value, (list, dict)) else ""
        out.append(DataSet(d.name, d.path, f"{type_of_value(value, d.name).describe()}{size}"))
    return out
