"""Reading documents from files and standard input: YAML (safe, several per file), JSON, JSON Lines.

Every document comes out as a `Loaded`: its source (`path`, `path:LINE` for one of several, `-`
for standard input), its parsed value, or the problem that kept it from being read. The loader
never raises for what a file holds; shape (a mapping, its fields) is `schema.check`'s business.
"""
from __future__ import annotations

import codecs
import errno
import json
import os
import re
import sys
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence, TextIO

import yaml

from .report import Finding, error_finding

__all__ = ["Loaded", "iter_paths", "iter_documents", "load_text", "EXTENSIONS", "MAX_VALUES"]

EXTENSIONS = (".yaml", ".yml", ".json", ".jsonl")
MAX_VALUES = 100_000   # values in one YAML document, aliases expanded (a "billion laughs" guard)

_FORMAT_OF_EXTENSION = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".jsonl": "jsonl"}
_NULL_TAG = "tag:yaml.org,2002:null"


@dataclass(frozen=True)
class Loaded:
    """One document read from a source, or the problem that kept it from being read."""

    source: str
    doc: object
    problem: Finding | None = None


@dataclass(frozen=True)
class _Entry:
    """A document (or its problem) and the 1-based line where it starts."""

    line: int
    doc: object = None
    problem: Finding | None = None


# ---------------------------------------------------------------- paths

def iter_paths(paths: Sequence[str]) -> Iterator[str]:
    """Files to read: folders expanded recursively (.yaml .yml .json .jsonl, hidden entries skipped,
    sorted); named files whatever their extension; `-` as is. FileNotFoundError, before anything
    is yielded, when a path does not exist."""
    for path in paths:
        if path != "-" and not os.path.exists(path):
            raise FileNotFoundError(errno.ENOENT, "no such file or directory", path)
    for path in paths:
        if path != "-" and os.path.isdir(path):
            yield from _folder_files(path)
        else:
            yield path


def _folder_files(root: str) -> list[str]:
    """The document files under `root`, sorted by their path inside it (a folder that cannot be
    listed is returned too, so that reading it reports the problem)."""
    found: list[tuple[str, ...]] = []
    unlistable: list[str] = []
    for folder, dirs, files in os.walk(root, onerror=lambda e: unlistable.append(e.filename)):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        inside = os.path.relpath(folder, root)
        parts = () if inside == os.curdir else tuple(inside.split(os.sep))
        found.extend((*parts, name) for name in files
                     if not name.startswith(".") and os.path.splitext(name)[1].lower() in EXTENSIONS)
    found.sort()
    return [os.path.join(root, *parts) for parts in found] + sorted(unlistable)


# ---------------------------------------------------------------- documents of a path

def iter_documents(path: str, stdin: TextIO | None = None) -> Iterator[Loaded]:
    """One Loaded per document of a file (format by extension, else sniffed) or of stdin (`-`)."""
    if path == "-":
        yield from _stdin_documents(stdin if stdin is not None else sys.stdin)
        return
    fmt = _FORMAT_OF_EXTENSION.get(os.path.splitext(path)[1].lower())
    if fmt == "jsonl":
        yield from _jsonl_file(path)
        return
    text, problem = _read_text(path)
    if text is None:
        yield Loaded(path, None, problem)
        return
    yield from load_text(text, path, fmt or _sniff(text))


def _stdin_documents(stdin: TextIO) -> Iterator[Loaded]:
    """The documents of standard input; its format sniffed."""
    try:
        text = stdin.read()
    except (OSError, UnicodeDecodeError, ValueError) as e:
        yield Loaded("-", None, error_finding("unreadable-file", f"cannot read standard input: {e}",
                                              f"標準入力を読み込めません（{e}）。"))
        return
    yield from load_text(text, "-", _sniff(text))


def _sniff(text: str) -> str:
    """`json` when the text is one JSON value, `jsonl` when every non-blank line is one, else `yaml`."""
    body = text.lstrip("\ufeff \t\r\n")
    if not body.startswith(("{", "[")):
        return "yaml"
    if _is_json(body):
        return "json"
    lines = [line for line in body.split("\n") if line.strip()]
    if len(lines) > 1 and all(_is_json(line) for line in lines):
        return "jsonl"
    return "yaml"


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _read_text(path: str) -> tuple[str | None, Finding | None]:
    """The UTF-8 text of a file (a BOM dropped), or the `unreadable-file` problem."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as e:
        return None, _unreadable(path, e)
    try:
        return _decode_utf8(data, 0), None
    except UnicodeDecodeError as e:
        return None, _not_utf8(data, e)


def _decode_utf8(data: bytes, offset: int) -> str:
    """`data` as UTF-8, dropping a leading BOM; a UnicodeDecodeError's `start` is then the offset
    of the bad byte in the whole file (`offset` is where `data` starts in it)."""
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        raise UnicodeDecodeError("utf-8", e.object, offset + bom + e.start, offset + bom + e.end, e.reason) from None


def _unreadable(path: str, error: OSError) -> Finding:
    reason = error.strerror or str(error)
    return error_finding("unreadable-file", f"cannot read {path}: {reason}",
                         f"{path} を読み込めません（{reason}）。")


def _not_utf8(data: bytes, error: UnicodeDecodeError) -> Finding:
    """`unreadable-file` at the bad byte of a whole file."""
    at = error.start
    line = data.count(b"\n", 0, at) + 1
    column = at - (data.rfind(b"\n", 0, at) + 1) + 1
    byte = data[at:at + 1].hex()
    return _positioned("unreadable-file", line, column,
                       f"the file is not UTF-8 text: invalid byte 0x{byte} at byte offset {error.start}",
                       f"ファイルが UTF-8 のテキストではありません（バイトオフセット {error.start} に不正なバイト 0x{byte} があります）")


def _positioned(rule: str, line: int | None, column: int | None, en: str, ja: str) -> Finding:
    """An error finding whose message starts with its position, when known."""
    if line is None:
        return error_finding(rule, en, ja + "。")
    return error_finding(rule, f"line {line}, column {column}: {en}", f"{line} 行 {column} 列目: {ja}。",
                         line=line, column=column)


def _empty(source: str) -> Loaded:
    return Loaded(source, None, error_finding(
        "empty-document", "the file holds no document (it is empty or only comments)",
        "ファイルに文書がありません（空か、コメントのみです）。"))


# ---------------------------------------------------------------- the core

def load_text(text: str, source: str, fmt: str) -> Iterator[Loaded]:
    """The documents of `text` in format `yaml`, `json` or `jsonl`, sources derived from `source`."""
    text = text.removeprefix("\ufeff")
    if fmt == "yaml":
        yield from _numbered(_yaml_entries(text), source)
    elif fmt == "json":
        yield Loaded(source, *_json_value(text, 1)) if text.strip() else _empty(source)
    elif fmt == "jsonl":
        yield from _jsonl_loaded(_jsonl_text_entries(text), source)
    else:
        raise ValueError(f"unknown document format {fmt!r} (yaml, json or jsonl)")


def _numbered(entries: Iterator[_Entry], source: str) -> Iterator[Loaded]:
    """Entries as Loaded: `source` alone for a single one, `source:LINE` each when there are several."""
    first = next(entries, None)
    if first is None:
        yield _empty(source)
        return
    second = next(entries, None)
    if second is None:
        yield Loaded(source, first.doc, first.problem)
        return
    for entry in (first, second, *entries):
        yield Loaded(f"{source}:{entry.line}", entry.doc, entry.problem)


def _jsonl_loaded(entries: Iterable[_Entry], source: str) -> Iterator[Loaded]:
    """JSON Lines entries as Loaded, always `source:LINE`; the empty-document problem when none."""
    seen = False
    for entry in entries:
        seen = True
        yield Loaded(f"{source}:{entry.line}", entry.doc, entry.problem)
    if not seen:
        yield _empty(source)


# ---------------------------------------------------------------- JSON and JSON Lines

class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _Constant(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _unique_pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """object_pairs_hook: a dict, or _DuplicateKey at the first key seen twice."""
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _no_constant(name: str) -> object:
    """parse_constant: NaN and Infinity are not JSON."""
    raise _Constant(name)


def _json_value(text: str, first_line: int) -> tuple[object, Finding | None]:
    """The JSON value of `text` (whose first line is `first_line` of its file), or its problem."""
    try:
        return json.loads(text, object_pairs_hook=_unique_pairs, parse_constant=_no_constant), None
    except json.JSONDecodeError as e:
        return None, _positioned("parse-error", first_line + e.lineno - 1, e.colno,
                                 f"JSON syntax error: {e.msg}", f"JSON の構文エラーです: {e.msg}")
    except _DuplicateKey as e:
        return None, _json_duplicate(text, e.key, first_line)
    except _Constant as e:
        line, column = _json_constant_position(text, first_line)
        return None, _positioned("parse-error", line, column,
                                 f"`{e.name}` is not a JSON value (NaN and Infinity are not allowed)",
                                 f"`{e.name}` は JSON の値ではありません（NaN と Infinity は使えません）")
    except RecursionError:
        return None, _positioned("parse-error", None, None, "the JSON is nested too deeply to read",
                                 "JSON の入れ子が深すぎるため読み込めません")
    except ValueError as e:   # e.g. an integer of more than 4300 digits
        return None, _positioned("parse-error", None, None, f"the JSON cannot be read: {e}",
                                 f"JSON を読み込めません（{e}）")


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:]|(-?Infinity|NaN)', re.DOTALL)


def _json_duplicate(text: str, key: str, first_line: int) -> Finding:
    """`duplicate-key` for `key`, at its second occurrence in the same object when it can be found."""
    where = _json_duplicate_offsets(text)
    shown = json.dumps(key, ensure_ascii=False)[1:-1]
    if where is None:
        return _positioned("duplicate-key", None, None, f"duplicate key `{shown}`", f"キー `{shown}` が重複しています")
    offset, first = where
    line, column = _line_column(text, offset, first_line)
    first_at = _line_column(text, first, first_line)[0]
    return _positioned("duplicate-key", line, column, f"duplicate key `{shown}` (first at line {first_at})",
                       f"キー `{shown}` が重複しています（最初は {first_at} 行目）")


def _json_duplicate_offsets(text: str) -> tuple[int, int] | None:
    """Offsets of the first key that repeats within one object, and of its first occurrence."""
    objects: list[dict[str, int] | None] = []   # None for an array
    last_string: tuple[str, int] | None = None
    for m in _JSON_TOKEN.finditer(text):
        token = m.group()
        if token == ":" and last_string is not None and objects and objects[-1] is not None:
            key, offset = last_string
            if key in objects[-1]:
                return offset, objects[-1][key]
            objects[-1][key] = offset
        elif token in "{[" and len(token) == 1:
            objects.append({} if token == "{" else None)
        elif token in "}]" and len(token) == 1 and objects:
            objects.pop()
        last_string = (_json_string(token), m.start()) if token.startswith('"') else None
    return None


def _json_string(token: str) -> str:
    """The value of a JSON string token (the token itself when its escapes are broken)."""
    try:
        return str(json.loads(token))
    except ValueError:
        return token


def _json_constant_position(text: str, first_line: int) -> tuple[int | None, int | None]:
    """Line and column of the first NaN / Infinity outside a string."""
    for m in _JSON_TOKEN.finditer(text):
        if m.group(1):
            return _line_column(text, m.start(1), first_line)
    return None, None


def _line_column(text: str, offset: int, first_line: int = 1) -> tuple[int, int]:
    """1-based line (counted from `first_line`) and column of a character offset."""
    line = text.count("\n", 0, offset)
    return first_line + line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _jsonl_entry(line_text: str, line: int) -> _Entry | None:
    """The document of one JSON Lines line, None for a blank line."""
    line_text = line_text.rstrip("\r\n")
    if not line_text.strip():
        return None
    doc, problem = _json_value(line_text, line)
    return _Entry(line, doc, problem)


def _jsonl_text_entries(text: str) -> Iterator[_Entry]:
    for number, line_text in enumerate(text.split("\n"), 1):
        entry = _jsonl_entry(line_text, number)
        if entry is not None:
            yield entry


def _jsonl_file(path: str) -> Iterator[Loaded]:
    """The documents of a .jsonl file, read line by line (never whole)."""
    try:
        handle = open(path, "rb")
    except OSError as e:
        yield Loaded(path, None, _unreadable(path, e))
        return
    with handle:
        yield from _jsonl_loaded(_jsonl_file_entries(handle, path), path)


def _jsonl_file_entries(handle: Iterable[bytes], path: str) -> Iterator[_Entry]:
    """Entries of the lines of an open .jsonl file; a line that is not UTF-8 is an `unreadable-file` entry."""
    offset = 0
    number = 0
    try:
        for number, raw in enumerate(handle, 1):
            try:
                entry = _jsonl_entry(_decode_utf8(raw, offset), number)
            except UnicodeDecodeError as e:
                entry = _Entry(number, None, _line_not_utf8(raw, e, offset, number))
            offset += len(raw)
            if entry is not None:
                yield entry
    except OSError as e:
        yield _Entry(number + 1, None, _unreadable(path, e))


def _line_not_utf8(raw: bytes, error: UnicodeDecodeError, offset: int, line: int) -> Finding:
    """`unreadable-file` for a line of a .jsonl file that is not UTF-8 (`offset`: where the line starts)."""
    column = error.start - offset + 1
    byte = raw[column - 1:column].hex()
    return _positioned("unreadable-file", line, column,
                       f"the line is not UTF-8 text: invalid byte 0x{byte} at byte offset {error.start}",
                       f"この行は UTF-8 のテキストではありません（バイトオフセット {error.start} に不正なバイト 0x{byte} があります）")


# ---------------------------------------------------------------- YAML

class _SafeLoader(yaml.SafeLoader):
    """yaml.SafeLoader that records duplicate keys, keeps impossible dates as text and rejects every
    tag it does not know (python/... included) with a clear problem."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate: tuple[str, yaml.Mark, yaml.Mark] | None = None

    def compose_mapping_node(self, anchor: str | None) -> yaml.MappingNode:
        """The mapping node, its first repeated key (compared as written, merge keys aside) recorded."""
        node = super().compose_mapping_node(anchor)
        seen: dict[tuple[str, str], yaml.Mark] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode) or self.duplicate is not None:
                continue
            if (key.tag, key.value) in seen:
                self.duplicate = (key.value, key.start_mark, seen[(key.tag, key.value)])
            seen[(key.tag, key.value)] = key.start_mark
        return node

    def construct_lenient_timestamp(self, node: yaml.ScalarNode) -> object:
        """A YAML timestamp; one that does not exist (2026-02-30) stays text for the schema to reject."""
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)

    def construct_unknown(self, node: yaml.Node) -> object:
        """Every tag without a safe constructor (`!!python/object/apply:...` among them) is refused."""
        raise _UnknownTag(node.tag, node.start_mark)


class _UnknownTag(yaml.constructor.ConstructorError):
    def __init__(self, tag: str, mark: yaml.Mark) -> None:
        super().__init__(None, None, f"the tag `{tag}` is not allowed", mark)
        self.tag = tag


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _SafeLoader.construct_lenient_timestamp)
_SafeLoader.add_constructor(None, _SafeLoader.construct_unknown)


def _yaml_entries(text: str) -> Iterator[_Entry]:
    """The documents of a YAML stream; a syntax error ends it (nothing after it can be read)."""
    try:
        loader = _SafeLoader(text)
    except yaml.YAMLError as e:
        yield _Entry(1, None, _yaml_problem(e, text, final=True))
        return
    try:
        while True:
            start = None
            try:
                if not loader.check_node():
                    return
                start = loader.peek_event().start_mark.line + 1
                node = loader.get_node()
            except (yaml.YAMLError, RecursionError) as e:
                problem = _yaml_problem(e, text, final=True)
                yield _Entry(start or problem.line or 1, None, problem)
                return
            entry = _yaml_document(loader, node, start, text)
            if entry is not None:
                yield entry
    finally:
        loader.dispose()


def _yaml_document(loader: _SafeLoader, node: yaml.Node, start: int, text: str) -> _Entry | None:
    """The document of a composed node, its problem, or None for an empty document."""
    if loader.duplicate is not None:
        key, mark, first = loader.duplicate
        loader.duplicate = None
        return _Entry(start, None, _positioned(
            "duplicate-key", mark.line + 1, mark.column + 1,
            f"duplicate key `{key}` (first at line {first.line + 1})",
            f"キー `{key}` が重複しています（最初は {first.line + 1} 行目）"))
    if isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG and node.value == "" and node.style is None:
        return None
    too_big = _too_big(node)
    if too_big is not None:
        return _Entry(start, None, too_big)
    try:
        return _Entry(start, loader.construct_document(node))
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as e:
        loader.constructed_objects, loader.recursive_objects, loader.state_generators = {}, {}, []
        return _Entry(start, None, _yaml_problem(e, text, final=False))


def _too_big(node: yaml.Node) -> Finding | None:
    """A problem when the document refers to itself or expands beyond MAX_VALUES through aliases."""
    try:
        _expanded_size(node, {}, set())
    except _Unbounded as e:
        return _positioned("parse-error", e.mark.line + 1, e.mark.column + 1, e.en, e.ja)
    except RecursionError:
        return _positioned("parse-error", node.start_mark.line + 1, node.start_mark.column + 1,
                           "the document is nested too deeply to read", "文書の入れ子が深すぎるため読み込めません")
    return None


class _Unbounded(Exception):
    def __init__(self, mark: yaml.Mark, en: str, ja: str) -> None:
        super().__init__(en)
        self.mark, self.en, self.ja = mark, en, ja


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_nodes: set[int]) -> int:
    """How many values `node` stands for once aliases are expanded; _Unbounded past MAX_VALUES or on a cycle."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in open_nodes:
        raise _Unbounded(node.start_mark, "a YAML alias refers to the value that contains it (a recursive "
                         "document cannot be checked)", "YAML のエイリアスが自分を含む値を参照しています（再帰的な文書は検査できません）")
    open_nodes.add(id(node))
    children: list[yaml.Node] = []
    if isinstance(node, yaml.SequenceNode):
        children = node.value
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    size = 1 + sum(_expanded_size(child, sizes, open_nodes) for child in children)
    open_nodes.discard(id(node))
    if size > MAX_VALUES:
        raise _Unbounded(node.start_mark, f"the document holds more than {MAX_VALUES} values once its "
                         "aliases are expanded", f"エイリアスを展開すると文書の値が {MAX_VALUES} 個を超えます")
    sizes[id(node)] = size
    return size


def _yaml_problem(error: BaseException, text: str, final: bool) -> Finding:
    """`parse-error` for a YAML error, at its position when known; `final` says the stream ends here."""
    line, column = _yaml_position(error, text)
    if isinstance(error, RecursionError):
        en, ja = "the YAML is nested too deeply to read", "YAML の入れ子が深すぎるため読み込めません"
    elif isinstance(error, _UnknownTag):
        en = (f"the tag `{error.tag}` is not allowed: a document holds plain data only "
              "(mappings, lists, text, numbers, true/false, dates)")
        ja = (f"タグ `{error.tag}` は使えません。文書には通常のデータ（マッピング、リスト、文字列、数値、"
              "真偽値、日付）のみを記述してください")
    elif isinstance(error, yaml.constructor.ConstructorError):
        en, ja = f"the YAML value cannot be built: {error.problem}", f"YAML の値を組み立てられません: {error.problem}"
    elif isinstance(error, yaml.reader.ReaderError):
        character = error.character if isinstance(error.character, int) else ord(error.character[:1] or b"\0")
        en = f"unacceptable character #x{character:04x}: {error.reason}"
        ja = f"使用できない文字 #x{character:04x} があります（{error.reason}）"
    elif isinstance(error, yaml.MarkedYAMLError):
        detail = "; ".join(str(p) for p in (error.context, error.problem) if p)
        en, ja = f"YAML syntax error: {detail}", f"YAML の構文エラーです: {detail}"
    else:
        en, ja = f"the YAML cannot be read: {error}", f"YAML を読み込めません: {error}"
    if final:
        en += "; the rest of the file after this point cannot be read"
        ja += "。この位置より後の内容は読み込めません"
    return _positioned("parse-error", line, column, en, ja)


def _yaml_position(error: BaseException, text: str) -> tuple[int | None, int | None]:
    """1-based line and column of a YAML error, when it has one."""
    mark = getattr(error, "problem_mark", None)
    if mark is not None:
        return mark.line + 1, mark.column + 1
    position = getattr(error, "position", None)
    if isinstance(position, int):
        return _line_column(text, position)
    return None, None
