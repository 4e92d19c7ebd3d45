"""Where each field of a loaded document stands in its file: JSON Pointer → (line, column), 1-based.

The loader gives every document it read from text a `Positions` (`Loaded.positions`); nothing is
computed until a finding needs a position, so a document without findings costs one small object:

- YAML: the composed node tree is kept; `locate` follows the pointer down it (node start marks);
- JSON and JSON Lines: the text is kept; `locate` scans only the objects on the pointer's way,
  skipping sibling values with the C decoder (a few microseconds a finding).

Iterating a `Positions` (it is a read-only Mapping) builds the whole map.

`written` gives a number as the file writes it (`0012`, which YAML 1.1 reads as 10): placing a
finding that says to quote a number also makes it quote the number as written (`as_written`).

A member of a mapping is placed at its key (`pack:` → the `p`; `"pack"` → the opening quote), an
element of a list at the start of its value, the document itself at its first character. Columns
count characters (Unicode code points), not bytes. `locate` falls back to the nearest ancestor
that exists, so a missing field is placed at the object that should hold it.

The Python API on a dict has no positions at all: `attach` leaves such reports as they are.
"""
from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from espolicy.pointers import escape, unescape

if TYPE_CHECKING:
    import yaml

    from espolicy.report import Finding, Report

__all__ = ["Position", "Positions", "JsonPositions", "YamlPositions", "MapPositions", "attach", "as_written"]

Position = tuple[int, int]

_MERGE_TAG = "tag:yaml.org,2002:merge"


class Positions(Mapping[str, Position]):
    """A lazily built, read-only map of JSON Pointer → (line, column)."""

    __slots__ = ("_map",)

    def __init__(self) -> None:
        self._map: dict[str, Position] | None = None

    def _build(self) -> dict[str, Position]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _table(self) -> dict[str, Position]:
        if self._map is None:
            try:
                self._map = self._build()
            except (RecursionError, ValueError, TypeError, AttributeError):
                self._map = {}   # positions are a help, never a reason to fail a document
        return self._map

    def __getitem__(self, pointer: str) -> Position:
        return self._table()[pointer]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())

    def __repr__(self) -> str:
        state = "unbuilt" if self._map is None else f"{len(self._map)} pointers"
        return f"<{type(self).__name__} {state}>"

    def locate(self, pointer: str, doc: object = None) -> Position | None:
        """The position of `pointer`, else of its nearest ancestor that exists, else None (`doc`,
        the parsed document, may speed the look-up up)."""
        table = self._table()
        while True:
            found = table.get(pointer)
            if found is not None or not pointer:
                return found
            pointer = pointer[:pointer.rfind("/")] if "/" in pointer else ""

    def written(self, pointer: str) -> str | None:
        """The number at `pointer` exactly as the file writes it (`0012`, `1.10`, `.inf`), or None
        when there is none there or it is not known (positions computed elsewhere keep no text)."""
        return None


class MapPositions(Positions):
    """Positions already computed (what a YAML document's positions become when pickled)."""

    __slots__ = ()

    def __init__(self, table: Mapping[str, Position]) -> None:
        super().__init__()
        self._map = dict(table)

    def _build(self) -> dict[str, Position]:
        return {}

    def __reduce__(self) -> tuple[Any, ...]:
        return (MapPositions, (self._map,))


# ---------------------------------------------------------------- JSON

_SPACE = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()
_scanstring = getattr(json.decoder, "scanstring")   # C: (string, end offset) of a JSON string


class JsonPositions(Positions):
    """Positions in JSON text whose first line is line `first_line` of its file (a JSON Lines
    record: its line number; a .json file: 1). Pickles as its text, so a worker process can
    compute it.

    `locate(pointer, doc)`, given the parsed document, first tries the quick way: when the
    document has the member and its key (plain text) occurs exactly once in the text as a key,
    that is where it stands. Otherwise it walks only the containers on the way to the pointer
    (each scanned once and cached; sibling values are skipped by the C decoder). The whole map
    is built only when the mapping itself is iterated."""

    __slots__ = ("text", "first_line", "_containers", "_line_starts")

    def __init__(self, text: str, first_line: int = 1) -> None:
        super().__init__()
        self.text = text
        self.first_line = first_line
        self._containers: dict[str, dict[str, tuple[int, int]] | None] = {}
        self._line_starts: list[int] | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (JsonPositions, (self.text, self.first_line))

    # ---- offsets → line, column
    def _position(self, offset: int) -> Position:
        text = self.text
        if self._line_starts is None:
            if "\n" not in text:
                return self.first_line, offset + 1
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return self.first_line + index, offset - self._line_starts[index] + 1

    # ---- targeted look-up
    def _root(self) -> int | None:
        space = _SPACE.match(self.text)   # always matches: the pattern may be empty
        start = space.end() if space else 0
        return start if start < len(self.text) else None

    def _children(self, pointer: str, start: int) -> dict[str, tuple[int, int]] | None:
        """token → (offset of the key or element, offset of its value) of the container at `start`."""
        if pointer not in self._containers:
            try:
                self._containers[pointer] = _members(self.text, start)
            except (ValueError, IndexError, StopIteration, RecursionError):
                self._containers[pointer] = None
        return self._containers[pointer]

    def _quick(self, pointer: str, doc: object) -> int | None:
        """The offset of the key of `pointer` (or of its nearest ancestor in `doc`) when it can be
        found without scanning; None when it cannot (a list on the way, a key that is not plain
        or occurs more than once)."""
        node = doc
        key = None
        for token in pointer.split("/")[1:] if pointer else ():
            if not isinstance(node, dict):
                if isinstance(node, list) and token.isdigit() and int(token) < len(node):
                    return None       # list elements have no key to look for
                break
            name = unescape(token)
            if name not in node:
                break
            node, key = node[name], name
        if key is None:
            return self._root()
        if '"' in key or "\\" in key or not key.isprintable():
            return None
        text = self.text
        needle = '"' + key + '"'
        if text.count(needle) != 1:
            return None
        at = text.find(needle)
        after = at + len(needle)
        if at > 0 and text[at - 1] == "\\":
            return None
        while after < len(text) and text[after] in _WS:
            after += 1
        return at if after < len(text) and text[after] == ":" else None

    def locate(self, pointer: str, doc: object = None) -> Position | None:
        if self._map is not None:
            return super().locate(pointer)
        if isinstance(doc, dict):
            quick = self._quick(pointer, doc)
            if quick is not None:
                return self._position(quick)
        start = self._root()
        if start is None:
            return None
        best = start
        here = ""
        for token in pointer.split("/")[1:] if pointer else ():
            children = self._children(here, start)
            if not children or token not in children:
                break
            best, start = children[token]
            here = here + "/" + token
        return self._position(best)

    def written(self, pointer: str) -> str | None:
        start = self._root()
        here = ""
        for token in pointer.split("/")[1:] if pointer else ():
            children = self._children(here, start) if start is not None else None
            if not children or token not in children:
                return None
            start = children[token][1]
            here = here + "/" + token
        if start is None or self.text[start] not in _NUMBER_START:
            return None
        try:
            return self.text[start:_scan_once(self.text, start)[1]]
        except (ValueError, IndexError, StopIteration, RecursionError):
            return None

    # ---- the whole map
    def _build(self) -> dict[str, Position]:
        out: dict[str, Position] = {}
        start = self._root()
        if start is None:
            return out
        out[""] = self._position(start)
        todo = [("", start)]
        while todo:
            pointer, at = todo.pop()
            for token, (key_at, value_at) in (self._children(pointer, at) or {}).items():
                child = pointer + "/" + token
                out[child] = self._position(key_at)
                todo.append((child, value_at))
        return out


_scan_once = getattr(_DECODER, "scan_once")     # C: (value, end offset) of the JSON value at an offset
_WS = " \t\r\n"
_NUMBER_START = frozenset("-0123456789")


def _members(text: str, start: int) -> dict[str, tuple[int, int]]:
    """The members (object) or elements (array) of the container at `start`, by pointer token:
    (offset of the key or element, offset of its value); {} for a scalar. Values are skipped
    with the C decoder. Raises ValueError, IndexError or StopIteration on text that is not JSON."""
    out: dict[str, tuple[int, int]] = {}
    opener = text[start]
    if opener != "{" and opener != "[":
        return out
    at = start + 1
    while text[at] in _WS:
        at += 1
    if text[at] in "}]":
        return out
    is_object = opener == "{"
    index = 0
    while True:
        if is_object:
            key, value_at = _scanstring(text, at + 1)
            while text[value_at] in _WS:
                value_at += 1
            value_at += 1                       # the colon
            while text[value_at] in _WS:
                value_at += 1
            if "~" in key or "/" in key:
                key = escape(key)
            if key not in out:
                out[key] = (at, value_at)
        else:
            value_at = at
            out[str(index)] = (at, at)
            index += 1
        end = _scan_once(text, value_at)[1]
        while text[end] in _WS:
            end += 1
        if text[end] != ",":
            return out
        at = end + 1
        while text[at] in _WS:
            at += 1


# ---------------------------------------------------------------- YAML

class YamlPositions(Positions):
    """Positions of a composed YAML document (marks are absolute in the file, so each document of
    a multi-document file gets its own lines). `locate` follows the pointer down the node tree;
    pickles as the whole computed map."""

    __slots__ = ("_node",)

    def __init__(self, node: yaml.Node) -> None:
        super().__init__()
        self._node: yaml.Node | None = node

    def __reduce__(self) -> tuple[Any, ...]:
        return (MapPositions, (self._table(),))

    def _build(self) -> dict[str, Position]:
        out: dict[str, Position] = {}
        if self._node is not None:
            _walk_yaml(self._node, "", out)
        return out

    def locate(self, pointer: str, doc: object = None) -> Position | None:
        if self._map is not None or self._node is None:
            return super().locate(pointer, doc)
        node = self._node
        best = _mark(node)
        try:
            for token in pointer.split("/")[1:] if pointer else ():
                child = _yaml_child(node, token)
                if child is None:
                    break
                best, node = child
        except RecursionError:
            pass
        return best

    def written(self, pointer: str) -> str | None:
        import yaml

        node = self._node
        try:
            for token in pointer.split("/")[1:] if pointer else ():
                child = _yaml_child(node, token)
                if child is None:
                    return None
                node = child[1]
        except RecursionError:
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag in _NUMBER_TAGS and not node.style:
            return str(node.value)
        return None


_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


def _mark(node: Any) -> Position:
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


def _yaml_members(node: Any) -> dict[str, tuple[Any, Any]]:
    """token → (key node, value node) of a mapping node as the constructed dict sees it: the last
    of equal keys wins (construction flattens `<<: *base` merges in front of the mapping's own
    keys); merges not yet flattened give only keys the mapping does not have."""
    import yaml

    members: dict[str, tuple[Any, Any]] = {}
    merges = []
    for key, value in node.value:
        if key.tag == _MERGE_TAG:
            merges.append(value)
        elif isinstance(key, yaml.ScalarNode):
            members[escape(key.value)] = (key, value)
    for merged in merges:
        for source in merged.value if isinstance(merged, yaml.SequenceNode) else [merged]:
            if isinstance(source, yaml.MappingNode):
                for token, pair in _yaml_members(source).items():
                    members.setdefault(token, pair)
    return members


def _yaml_child(node: Any, token: str) -> tuple[Position, Any] | None:
    """(position, node) of the member or element `token` of a composed node, or None."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        pair = _yaml_members(node).get(token)
        if pair is not None:
            return _mark(pair[0]), pair[1]
    elif isinstance(node, yaml.SequenceNode) and token.isdigit() and int(token) < len(node.value):
        item = node.value[int(token)]
        return _mark(item), item
    return None


def _walk_yaml(node: Any, pointer: str, out: dict[str, Position]) -> None:
    """Every pointer of a composed node into `out` (iterative: deep documents do not recurse)."""
    import yaml

    out.setdefault(pointer, _mark(node))
    stack: list[tuple[Any, str]] = [(node, pointer)]
    while stack:
        node, pointer = stack.pop()
        if isinstance(node, yaml.MappingNode):
            children = [(pointer + "/" + token, key, value) for token, (key, value) in _yaml_members(node).items()]
        elif isinstance(node, yaml.SequenceNode):
            children = [(f"{pointer}/{index}", item, item) for index, item in enumerate(node.value)]
        else:
            continue
        for child, at, value in children:
            if child not in out:
                out[child] = _mark(at)
                stack.append((value, child))


# ---------------------------------------------------------------- findings

def attach(report: Report, positions: Positions | Mapping[str, Position] | None, doc: object = None) -> Report:
    """`report` with each finding that has no line placed at its path (or the nearest ancestor's
    position); the same report when there is nothing to place. `doc`: the parsed document, if
    at hand (it makes the look-up quicker)."""
    findings = placed(report.findings, positions, doc)
    return report if findings is report.findings else evolve(report, findings=findings)


def placed(findings: list[Finding], positions: Positions | Mapping[str, Position] | None,
           doc: object = None) -> list[Finding]:
    """The findings with their lines and columns filled in from `positions` (and a number to quote
    as the file writes it: `as_written`); the same list when none changes. In time linear in the
    document and the findings: a few are looked up one by one, many from the whole map, built once."""
    if positions is None or not findings:
        return findings
    locate = locator(positions, doc, sum(f.line is None for f in findings))
    out = []
    changed = False
    for f in findings:
        if f.line is None:
            where = locate(f.path)
            if where is not None:
                f = evolve(f, line=where[0], column=where[1])
                changed = True
            message = as_written(f.rule, f.message, f.path, positions)
            if message is not None:
                f = evolve(f, message=message)
                changed = True
        out.append(f)
    return out if changed else findings


def as_written(rule: str, message: Mapping[str, str], path: str,
               positions: Positions | Mapping[str, Position] | None) -> dict[str, str] | None:
    """The message of a finding that says to quote a number, quoting it as the file writes it
    (the checker saw only the value: `0012` is 10 in YAML 1.1); None for any other finding, or
    when the file's text is not known."""
    if rule != "schema-type" or not isinstance(positions, Positions):
        return None
    written = positions.written(path)
    if written is None:
        return None
    from espolicy.documents.explanations import quoted_as_written
    return quoted_as_written(message, path, written)


def place_dicts(findings: list[dict[str, Any]], positions: Positions | Mapping[str, Position] | None,
                doc: object = None) -> None:
    """`placed` for findings written as dicts (`Finding.to_dict`): each one without a line gets its
    path's (or nearest ancestor's) line and column, in place, before any waiver, as `to_dict` orders
    them, and a number to quote as the file writes it."""
    if positions is None or not findings:
        return
    locate = locator(positions, doc, sum("line" not in f for f in findings))
    for f in findings:
        if "line" in f:
            continue
        message = as_written(f["rule"], f["message"], f["path"], positions)
        if message is not None:
            f["message"] = message
        if (where := locate(f["path"])) is not None:
            f["line"], f["column"] = where
            for key in ("waived", "not_waivable"):
                if key in f:
                    f[key] = f.pop(key)


def locator(positions: Positions | Mapping[str, Position], doc: object, count: int) -> Callable[[str], Position | None]:
    """How `count` paths are looked up: one by one when they are few, else in the whole map, built once."""
    if isinstance(positions, Positions) and count <= _FEW:
        def locate(pointer: str) -> Position | None:
            return positions.locate(pointer, doc)
        return locate
    return _locator(positions)


def evolve(obj: Any, **changes: Any) -> Any:
    """A copy of a frozen dataclass instance with some fields changed: what `dataclasses.replace`
    does, without re-running `__init__` (several times faster; these classes check nothing)."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    new.__dict__.update(changes)
    return new


# Findings placed one by one (each look-up may scan a mapping's keys or the text); beyond this many
# the whole map is built once instead, so that thousands of findings never cost quadratic time.
_FEW = 8


def _locator(table: Mapping[str, Position]) -> Any:
    def locate(pointer: str) -> Position | None:
        while True:
            found = table.get(pointer)
            if found is not None or not pointer:
                return found
            pointer = pointer[:pointer.rfind("/")]
    return locate
