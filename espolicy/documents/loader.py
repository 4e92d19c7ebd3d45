"""Reading documents from files and standard input: YAML (safe, several per file), JSON, JSON Lines.

Every document comes out as a `Loaded`: its source (`path`, `path:LINE` for one of several, `-`
for standard input), its parsed value, or the problem that kept it from being read. The loader
never raises for what a file holds; shape (a mapping, its fields) is `schema.check`'s business.
"""
from __future__ import annotations

import codecs
import errno
import json
import math
import os
import re
import sys
import fnmatch
import io
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterable, Iterator, Sequence, TextIO

import yaml

from espolicy import pointers
from espolicy.files import open_regular
from espolicy.limits import DEFAULT_LIMITS, Limits, describe_bytes
from espolicy.documents.positions import JsonPositions, Positions, YamlPositions, evolve
from espolicy import messages
from espolicy.report import Finding

__all__ = ["Loaded", "iter_paths", "iter_documents", "load_text", "load_bytes", "EXTENSIONS", "Limits",
           "DEFAULT_LIMITS", "RawBlock", "expand_block", "expansion_problem", "STDIN_FORMATS", "timestamp_as_written"]

EXTENSIONS = (".yaml", ".yml", ".json", ".jsonl")

_FORMAT_OF_EXTENSION = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".jsonl": "jsonl"}
_NULL_TAG = "tag:yaml.org,2002:null"


@dataclass(frozen=True)
class Loaded:
    """One document read from a source, or the problem that kept it from being read."""

    source: str
    doc: object
    problem: Finding | None = None
    # where each JSON Pointer of `doc` stands in the file, computed on first use (espolicy.positions)
    positions: Positions | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class _Entry:
    """A document (or its problem) and the 1-based line where it starts."""

    line: int
    doc: object = None
    problem: Finding | None = None
    positions: Positions | None = None
    final: bool = False   # a problem after which nothing more of the stream can be read
    empty: bool = False   # a YAML document with nothing in it (`---` followed by comments at most)


# ---------------------------------------------------------------- paths

def iter_paths(paths: Sequence[str], include: Sequence[str] = (), exclude: Sequence[str] = (),
               warn: Callable[[str], None] | None = None,
               hidden: Callable[[str, bool], None] | None = None) -> Iterator[str]:
    """Files to read: folders expanded recursively (.yaml .yml .json .jsonl, hidden entries left out,
    sorted, links to folders followed); named files whatever their extension; `-` as is.
    FileNotFoundError, before anything is yielded, when a path does not exist. `include`/`exclude`
    globs select files inside folders only (see `_glob_match`); a folder that an exclude glob
    matches is not walked. A link to a folder already walked (a loop) is not walked again: `warn`
    hears of it (its files are read once, under the first path). `hidden` hears of each hidden
    entry left out (its path, and True for a folder): a file only when it would have been read."""
    for path in paths:
        if path != "-" and not os.path.exists(path):
            raise FileNotFoundError(errno.ENOENT, "no such file or directory", path)
    for path in paths:
        if path != "-" and os.path.isdir(path):
            yield from _folder_files(path, include, exclude, warn, hidden)
        else:
            yield path


def _glob_match(parts: tuple[str, ...], patterns: Sequence[str]) -> bool:
    """True when a glob matches the path `parts` (inside the folder walked): a glob without `/`
    matches the last name, one with `/` the whole relative path (`*` crosses `/`; a leading `**/`
    may match nothing)."""
    relative = "/".join(parts)
    for pattern in patterns:
        pattern = pattern.replace(os.sep, "/").strip("/")
        if "/" not in pattern:
            if fnmatch.fnmatchcase(parts[-1], pattern):
                return True
        elif fnmatch.fnmatchcase(relative, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatchcase(relative, pattern[3:])):
            return True
    return False


def _folder_files(root: str, include: Sequence[str] = (), exclude: Sequence[str] = (),
                  warn: Callable[[str], None] | None = None,
                  hidden: Callable[[str, bool], None] | None = None) -> list[str]:
    """The document files under `root`, sorted by their path inside it (a folder that cannot be
    listed is returned too, so that reading it reports the problem). Links to folders are followed,
    each folder walked once: a link to one already walked (a loop, or a second way to it) is
    reported to `warn` and not walked again. Hidden entries (`.git`, `.draft.yaml`) are left out,
    each told to `hidden`, in order, once the walk is done."""
    found: list[tuple[str, ...]] = []
    unlistable: list[str] = []
    left_out: list[tuple[tuple[str, ...], bool]] = []
    walked: dict[tuple[int, int], str] = {}
    for folder, dirs, files in os.walk(root, onerror=lambda e: unlistable.append(e.filename), followlinks=True):
        first = walked.setdefault(_identity(folder), folder)
        if first != folder:   # a folder reached first through a link
            dirs[:] = []
            if warn is not None:
                warn(f"`{folder}` is the folder `{first}`, already read: its files are judged once, under `{first}`")
            continue
        inside = os.path.relpath(folder, root)
        parts = () if inside == os.curdir else tuple(inside.split(os.sep))
        wanted = [d for d in sorted(dirs) if not (exclude and _glob_match((*parts, d), exclude))]
        left_out.extend(((*parts, d), True) for d in wanted if d.startswith("."))
        wanted = [d for d in wanted if not d.startswith(".")]
        real = [d for d in wanted if not os.path.islink(os.path.join(folder, d))]
        for d in real:   # known before any link is followed: a link to a sibling is not walked twice
            walked.setdefault(_identity(os.path.join(folder, d)), os.path.join(folder, d))
        dirs[:] = real + [d for d in wanted if d not in real and _first_visit(os.path.join(folder, d), walked, warn)]
        selected = [(*parts, name) for name in files
                    if os.path.splitext(name)[1].lower() in EXTENSIONS
                    and (not include or _glob_match((*parts, name), include))
                    and not (exclude and _glob_match((*parts, name), exclude))]
        found.extend(p for p in selected if not p[-1].startswith("."))
        left_out.extend((p, False) for p in selected if p[-1].startswith("."))
    found.sort()
    if hidden is not None:
        for entry, is_folder in sorted(left_out):
            hidden(os.path.join(root, *entry), is_folder)
    return [os.path.join(root, *parts) for parts in found] + sorted(unlistable)


def _identity(path: str) -> tuple[int, int]:
    """The (device, inode) of a folder, links followed; (-1, -1) when it cannot be known."""
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)
    return (st.st_dev, st.st_ino)


def _first_visit(path: str, walked: dict[tuple[int, int], str], warn: Callable[[str], None] | None) -> bool:
    """True unless the link `path` leads to a folder already walked or about to be (then `warn` says so)."""
    identity = _identity(path)
    first = walked.get(identity)
    if first is None or identity == (-1, -1):
        walked[identity] = path
        return True
    if warn is not None:
        warn(f"`{path}` links to the folder `{first}`, already read: its files are judged once, under `{first}`")
    return False


# ---------------------------------------------------------------- documents of a path

STDIN_FORMATS = ("yaml", "json", "jsonl")


def iter_documents(path: str, stdin: TextIO | BinaryIO | None = None, limits: Limits = DEFAULT_LIMITS,
                   blocks: bool = False, stdin_format: str | None = None) -> Iterator[Loaded]:
    """One Loaded per document of a file (format by extension, else sniffed) or of stdin (`-`),
    within `limits` (what is beyond them is a Loaded with its problem). With `blocks`, a .jsonl
    file comes as `RawBlock`s of whole lines (for worker processes; `expand_block` turns each into
    its documents) and its problems. `stdin_format` (yaml, json, jsonl) is the format of standard
    input; None: sniffed."""
    if path == "-":
        yield from _stdin_documents(stdin if stdin is not None else sys.stdin, limits, stdin_format)
        return
    fmt = _FORMAT_OF_EXTENSION.get(os.path.splitext(path)[1].lower())
    if fmt == "jsonl":
        yield from _jsonl_file(path, limits, blocks)
        return
    data, problem = _read_bytes(path, limits)
    if data is None:
        yield Loaded(path, None, problem)
        return
    yield from load_bytes(data, path, fmt, limits)


def _jsonl_file(path: str, limits: Limits, blocks: bool) -> Iterator[Loaded]:
    """The documents of a .jsonl file, streamed (memory stays flat however long the file, so its
    length is capped only on request: `limits.max_lines`)."""
    try:
        handle = open_regular(path)
    except OSError as e:
        yield Loaded(path, None, _unreadable(path, e))
        return
    with handle:
        yield from _jsonl_documents(handle, path, limits, limits.max_lines, blocks)


def _stdin_documents(stdin: TextIO | BinaryIO, limits: Limits = DEFAULT_LIMITS,
                     fmt: str | None = None) -> Iterator[Loaded]:
    """The documents of standard input (at most `limits.max_bytes`) in format `fmt`, else sniffed:
    read as bytes and decoded as a file is, so the same bytes give the same results and messages."""
    try:
        data = _read_stream(stdin, limits.max_bytes + 1)
    except (OSError, ValueError) as e:
        yield Loaded("-", None, messages.finding("stdin-unreadable", error=e))
        return
    if len(data) > limits.max_bytes:
        yield Loaded("-", None, _too_large("standard input", limits))
        return
    yield from load_bytes(data, "-", fmt, limits)


def _read_stream(stream: TextIO | BinaryIO, size: int) -> bytes:
    """At most `size` bytes of `stream`: from its byte buffer when it has one; a stream of text
    alone (a test's StringIO) is encoded back, bytes it escaped restored."""
    binary = getattr(stream, "buffer", stream)
    data = binary.read(size)
    if isinstance(data, bytes):
        return data
    try:
        return data.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return data.encode("utf-8", "surrogatepass")   # half of a pair: then not UTF-8, and said so


def load_bytes(data: bytes, source: str, fmt: str | None = None, limits: Limits = DEFAULT_LIMITS) -> Iterator[Loaded]:
    """The documents of the bytes of a file or of standard input in format `fmt`, else sniffed.
    Text that is not UTF-8 is one `unreadable-file` problem at its first bad byte, except in JSON
    Lines, where it is the problem of its line alone (as in a .jsonl file)."""
    text, bad = None, None
    if fmt != "jsonl":   # decoded once: for sniffing and for reading (JSON Lines decodes by line)
        try:
            text = _decode_utf8(data, 0)
        except UnicodeDecodeError as e:
            bad = e
    fmt = fmt or _sniff(text if text is not None else data.decode("utf-8", "replace"))
    if fmt == "jsonl":
        yield from _jsonl_documents(io.BytesIO(data), source, limits, limits.max_documents, blocks=False)
    elif text is None:
        assert bad is not None
        yield Loaded(source, None, _not_utf8(data, bad))
    else:
        yield from load_text(text, source, fmt, limits)


def _sniff(text: str) -> str:
    """`json` when the text is one JSON value; `yaml` when a line is a YAML document marker (`---`
    or `...`: a stream whose documents may be written as JSON); `jsonl` when it starts like JSON,
    has several non-blank lines and one of them is a JSON value on its own (so a broken line is one
    invalid record, and the records after it are still judged); else `yaml`."""
    body = text.lstrip("\ufeff \t\r\n")
    if not body.startswith(("{", "[")):
        return "yaml"
    if _is_json(body):
        return "json"
    if _YAML_MARKER.search(body):
        return "yaml"
    lines = [line for line in body.split("\n") if line.strip()]
    if len(lines) < 2:
        return "yaml"
    return "jsonl" if any(_is_json(line) for line in lines) else "yaml"


_YAML_MARKER = re.compile(r"^(?:---|\.\.\.)(?:[ \t]|\r?$)", re.MULTILINE)   # never a line of JSON Lines


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _read_bytes(path: str, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes | None, Finding | None]:
    """The bytes of a file, or the `unreadable-file` or `too-large` problem (a file over
    `limits.max_bytes` is not read: its size is known first, or after max_bytes + 1)."""
    try:
        with open_regular(path) as handle:
            if os.fstat(handle.fileno()).st_size > limits.max_bytes:
                return None, _too_large("the file", limits)
            data = handle.read(limits.max_bytes + 1)
    except OSError as e:
        return None, _unreadable(path, e)
    if len(data) > limits.max_bytes:
        return None, _too_large("the file", limits)
    return data, None


def _decode_utf8(data: bytes, offset: int) -> str:
    """`data` as UTF-8, dropping a leading BOM; a UnicodeDecodeError's `start` is then the offset
    of the bad byte in the whole file (`offset` is where `data` starts in it)."""
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        raise UnicodeDecodeError("utf-8", e.object, offset + bom + e.start, offset + bom + e.end, e.reason) from None


def _unreadable(path: str, error: OSError) -> Finding:
    return messages.finding("file-unreadable", path=path, reason=error.strerror or str(error))


def _not_utf8(data: bytes, error: UnicodeDecodeError) -> Finding:
    """`unreadable-file` at the bad byte of a whole file."""
    at = error.start
    line = data.count(b"\n", 0, at) + 1
    column = at - (data.rfind(b"\n", 0, at) + 1) + 1
    byte = data[at:at + 1].hex()
    return messages.positioned("file-not-utf8", line, column, byte=byte, offset=error.start)


def _too_long(text: str, limits: Limits) -> bool:
    """True when `text` takes more than `limits.max_bytes` bytes in UTF-8 (counted only when needed)."""
    if len(text) > limits.max_bytes:
        return True
    if len(text) * 4 <= limits.max_bytes:
        return False
    return len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes


def _too_large(what: str, limits: Limits, line: int | None = None) -> Finding:
    """`too-large`: `what` (the file, standard input, the line) is over the byte limit and was not read."""
    return messages.positioned("too-large", line, None if line is None else 1, what=messages.WORDS[what],
                               size=describe_bytes(limits.max_bytes))


def _empty(source: str) -> Loaded:
    return Loaded(source, None, messages.finding("empty-document"))


# ---------------------------------------------------------------- the core

def load_text(text: str, source: str, fmt: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[Loaded]:
    """The documents of `text` in format `yaml`, `json` or `jsonl`, sources derived from `source`,
    within `limits` (a YAML or JSON text over `max_bytes` is one `too-large` problem; JSON Lines
    are bounded line by line, as when a file is streamed)."""
    if fmt not in ("yaml", "json", "jsonl"):
        raise ValueError(f"unknown document format {fmt!r} (yaml, json or jsonl)")
    text = text.removeprefix("\ufeff")
    if fmt != "jsonl" and _too_long(text, limits):
        yield Loaded(source, None, _too_large("the text" if source == "-" else "the file", limits))
    elif fmt == "yaml":
        yield from _numbered(_yaml_entries(text, limits), source)
    elif fmt == "json":
        yield _json_loaded(source, text, limits) if text.strip() else _empty(source)
    else:
        data = io.BytesIO(text.encode("utf-8", "surrogatepass"))   # the one JSON Lines reader reads bytes
        yield from _jsonl_documents(data, source, limits, limits.max_documents, blocks=False)


def _numbered(entries: Iterator[_Entry], source: str) -> Iterator[Loaded]:
    """Entries as Loaded: `source` alone for a single one, `source:LINE` each when there are several.
    A text without a document, or with one empty document, is one `empty-document` for `source`;
    each empty document of a stream of several is an `empty-document` of its own."""
    first = next(entries, None)
    if first is None:
        yield _empty(source)
        return
    second = next(entries, None)
    if second is None:
        yield _empty(source) if first.empty else Loaded(source, first.doc, first.problem, first.positions)
        return
    for entry in (first, second, *entries):
        problem = _empty_in_stream(entry.line) if entry.empty else entry.problem
        yield Loaded(f"{source}:{entry.line}", entry.doc, problem, entry.positions)


def _empty_in_stream(line: int) -> Finding:
    """`empty-document` for a document of a YAML stream that holds nothing (its `---` at `line`)."""
    found = messages.positioned("empty-in-stream", line, 1)
    return evolve(found, advice=dict(messages.words("empty-in-stream-advice")._asdict()))


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


def _json_loaded(source: str, text: str, limits: Limits = DEFAULT_LIMITS) -> Loaded:
    """The document of a whole JSON text, with its positions when it could be read."""
    doc, problem = _json_value(text, 1, limits)
    return Loaded(source, doc, problem, JsonPositions(text, 1) if problem is None else None)


def _json_value(text: str, first_line: int, limits: Limits = DEFAULT_LIMITS) -> tuple[object, Finding | None]:
    """The JSON value of `text` (whose first line is `first_line` of its file), or its problem
    (including nesting deeper than `limits.max_depth` and more than `limits.max_values` values)."""
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as e:
        return None, messages.positioned("json-syntax", first_line + e.lineno - 1, e.colno, detail=e.msg)
    except _DuplicateKey as e:
        return None, _json_duplicate(text, e.key, first_line)
    except _Constant as e:
        line, column = _json_constant_position(text, first_line)
        return None, messages.positioned("json-constant", line, column, name=e.name)
    except _Infinite as e:
        line, column = _json_number_position(text, e.text, first_line)
        return None, messages.positioned("json-infinite", line, column, number=_brief(e.text))
    except RecursionError:
        return None, _too_deep(None, limits, "JSON")
    except ValueError as e:   # an integer of more than 4300 digits (Python's int-str limit), or worse
        return None, _json_unreadable_number(text, e, first_line)
    # a text with no more brackets than the depth limit and fewer characters than the values limit
    # cannot exceed either (every value takes a character): skip the walk, the common case
    small = len(text) < limits.max_values and text.count("[") + text.count("{") <= limits.max_depth
    bounds = None if small else _json_bounds(value, limits)
    if bounds is None and not (text.isascii() and "\\u" not in text):   # only escapes or raw text can hold one
        bounds = _lone_surrogate(value, "JSON")
    return (value, None) if bounds is None else (None, bounds)


class _Infinite(ValueError):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _finite_float(text: str) -> float:
    """parse_float: a JSON number beyond the float range (`1e999`) is an error, never `inf`."""
    value = float(text)
    if value in (math.inf, -math.inf):
        raise _Infinite(text)
    return value


# one decoder for every document: json.loads with hooks builds a new JSONDecoder per call (~6 µs)
_DECODER = json.JSONDecoder(object_pairs_hook=_unique_pairs, parse_constant=_no_constant, parse_float=_finite_float)


def _brief(text: str, width: int = 40) -> str:
    """`text` shortened to `width` characters for a message."""
    return text if len(text) <= width else text[:width - 1] + "…"


_JSON_NUMBER = re.compile(r'"(?:[^"\\]|\\.)*"|(-?[0-9][0-9.eE+-]*)', re.DOTALL)
_LONG_DIGITS = re.compile(r'"(?:[^"\\]|\\.)*"|(-?[0-9]{4301,})', re.DOTALL)


def _json_number_position(text: str, number: str, first_line: int) -> tuple[int | None, int | None]:
    """Line and column of the first number token `number` outside a string."""
    for m in _JSON_NUMBER.finditer(text):
        if m.group(1) == number:
            return _line_column(text, m.start(1), first_line)
    return None, None


def _json_unreadable_number(text: str, error: ValueError, first_line: int) -> Finding:
    """`parse-error` for a number json cannot turn into a value: an integer of thousands of digits."""
    for m in _LONG_DIGITS.finditer(text):
        if m.group(1):
            line, column = _line_column(text, m.start(1), first_line)
            digits = len(m.group(1).lstrip("-"))
            return messages.positioned("json-long-number", line, column, digits=digits)
    return messages.positioned("json-unreadable", None, None, reason=_brief(str(error), 120))


def _json_bounds(value: object, limits: Limits) -> Finding | None:
    """A problem when a parsed JSON value nests deeper than `max_depth` or holds more than `max_values`
    values (keys counted), found without recursion; None within the limits."""
    count = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if isinstance(item, dict):
            count += len(item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        else:
            depth = 0   # a scalar does not nest
        if depth > limits.max_depth:
            return _too_deep(None, limits, "JSON")
        if count > limits.max_values:
            return _too_many_values(None, limits)
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(value: object, what: str) -> Finding | None:
    """`parse-error` when a string or key holds a lone surrogate (`"\\ud800"` in JSON): half of a
    UTF-16 pair is no character, and no output could be written with it (UTF-8 cannot encode it)."""
    stack: list[tuple[object, tuple[object, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            found = None if item.isascii() else _SURROGATE.search(item)
        elif isinstance(item, dict):
            found = None
            for key, child in item.items():
                if isinstance(key, str) and not key.isascii() and _SURROGATE.search(key):
                    found, path = _SURROGATE.search(key), (*path, key)
                    break
                stack.append((child, (*path, key)))
        elif isinstance(item, list):
            found = None
            stack.extend((child, (*path, i)) for i, child in enumerate(item))
        else:
            found = None
        if found is not None:
            pointer = pointers.pointer(path) or "/"
            pointer = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", pointer)
            code = f"\\u{ord(found.group()):04x}"
            return messages.positioned("lone-surrogate", None, None, what=what, pointer=pointer, code=code)
    return None


def _too_deep(mark: tuple[int, int] | None, limits: Limits, what: str) -> Finding:
    """`parse-error`: mappings and lists nested deeper than `limits.max_depth`."""
    line, column = mark if mark is not None else (None, None)
    return messages.positioned("too-deep-to-read", line, column, what=what, max_depth=limits.max_depth)


def _too_many_values(mark: tuple[int, int] | None, limits: Limits) -> Finding:
    """`parse-error`: more than `limits.max_values` values in one document."""
    line, column = mark if mark is not None else (None, None)
    return messages.positioned("too-many-values", line, column, max_values=limits.max_values)


def _too_many_documents(line: int, n: int, unit: str) -> Finding:
    return messages.positioned("too-many-documents", line, 1, n=n, unit=messages.WORDS[unit])


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|(-?Infinity|NaN)', re.DOTALL)


def _json_duplicate(text: str, key: str, first_line: int) -> Finding:
    """`duplicate-key` for `key`, at its second occurrence in the same object when it can be found
    (its line, column and JSON Pointer)."""
    where = _json_duplicate_offsets(text)
    shown = json.dumps(key, ensure_ascii=False)[1:-1]
    if where is None:
        return messages.positioned("duplicate-key", None, None, key=shown)
    offset, first, path = where
    line, column = _line_column(text, offset, first_line)
    first_at = _line_column(text, first, first_line)[0]
    found = messages.positioned("duplicate-key-at", line, column, key=shown, first=first_at)
    return evolve(found, path=pointers.pointer(path))


def _json_duplicate_offsets(text: str) -> tuple[int, int, tuple[object, ...]] | None:
    """Offsets of the first key that repeats within one object and of its first occurrence, and
    the path to it (keys, and indexes counted by commas)."""
    objects: list[dict[str, int] | None] = []   # None for an array
    members: list[object] = []                  # the member each open object or array is at
    last_string: tuple[str, int] | None = None
    for m in _JSON_TOKEN.finditer(text):
        token = m.group()
        if token == ":" and last_string is not None and objects and objects[-1] is not None:
            key, offset = last_string
            if key in objects[-1]:
                return offset, objects[-1][key], (*members[:-1], key)
            objects[-1][key] = offset
            members[-1] = key
        elif token == "," and objects and objects[-1] is None:
            members[-1] = int(members[-1]) + 1   # type: ignore[call-overload]
        elif token in "{[" and len(token) == 1:
            objects.append({} if token == "{" else None)
            members.append(None if token == "{" else 0)
        elif token in "}]" and len(token) == 1 and objects:
            objects.pop()
            members.pop()
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


# ---------------------------------------------------------------- JSON Lines: one reader, in blocks

_BLOCK = 1 << 16   # bytes read at a time; a block holds whole lines only


@dataclass(frozen=True)
class RawBlock:
    """Whole consecutive lines of a JSON Lines file, read but not split: what `-j` hands a worker
    process, which turns it into documents with `expand_block`."""

    data: bytes
    first_line: int
    offset: int


def jsonl_blocks(handle: BinaryIO, source: str, limits: Limits = DEFAULT_LIMITS,
                 cap: int | None = None) -> Iterator[Loaded]:
    """The lines of an open JSON Lines file as Loaded items whose `doc` is a `RawBlock`, and its
    problems as usual: a line over `limits.max_bytes` (never held whole), a read error, and past
    `cap` documents a `too-many-documents` problem where the next one starts (nothing after it is
    read). Reading costs a few C calls per 64 KiB; `expand_block` does the per-line work."""
    line, offset, content = 1, 0, False
    parts: list[bytes] = []   # the line being read, not ended yet (joined once: never copied per chunk)
    held = 0
    counted = 0   # documents so far; counted only under a cap
    try:
        while chunk := handle.read(_BLOCK):
            cut = chunk.rfind(b"\n") + 1
            if cut == 0:
                parts.append(chunk)
                held += len(chunk)
                if held - chunk.endswith(b"\r") > limits.max_bytes:   # one line over the limit (its \r\n aside): never held whole
                    skipped = _skip_line(handle)
                    if cap is not None and counted >= cap:
                        yield _too_many_loaded(source, line, cap)
                        return
                    counted += 1
                    yield Loaded(f"{source}:{line}", None, _too_large("the line", limits, line))
                    line, offset, content = line + 1, offset + held + skipped, True
                    parts, held = [], 0
                continue
            parts.append(chunk[:cut])
            block = b"".join(parts)
            rest = chunk[cut:]
            parts, held = ([rest], len(rest)) if rest else ([], 0)
            for item in _capped_block(source, block, line, offset, limits, cap, counted):
                if isinstance(item, int):
                    counted = item
                else:
                    yield item
                    if item.problem is not None and item.problem.rule == "too-many-documents":
                        return
            content = content or _has_content(block)
            line, offset = line + block.count(b"\n"), offset + len(block)
    except OSError as e:
        yield Loaded(f"{source}:{line}", None, _unreadable(source, e))
        return
    carry = b"".join(parts)
    if carry:
        for item in _capped_block(source, carry, line, offset, limits, cap, counted):
            if not isinstance(item, int):
                yield item
        content = content or _has_content(carry)
    if not content:
        yield _empty(source)


def _capped_block(source: str, data: bytes, line: int, offset: int, limits: Limits, cap: int | None,
                  counted: int) -> Iterator[Loaded | int]:
    """The block of `data` (lines from `line` on), cut before the document past `cap` with the
    `too-many-documents` problem there; then the number of documents counted so far."""
    if cap is None:
        yield Loaded(f"{source}:{line}", RawBlock(data, line, offset))
        return
    if counted + data.count(b"\n") + 1 <= cap:   # cannot pass the cap: counted exactly, cheaply
        yield Loaded(f"{source}:{line}", RawBlock(data, line, offset))
        yield counted + sum(1 for raw in _raw_lines(data) if _gives_document(raw, limits))
        return
    taken = 0
    for number, raw in enumerate(_raw_lines(data), line):
        if _gives_document(raw, limits):
            if counted == cap:
                if taken:
                    yield Loaded(f"{source}:{line}", RawBlock(data[:taken], line, offset))
                yield _too_many_loaded(source, number, cap)
                return
            counted += 1
        taken += len(raw)
    yield Loaded(f"{source}:{line}", RawBlock(data, line, offset))
    yield counted


def _too_many_loaded(source: str, line: int, cap: int) -> Loaded:
    return Loaded(f"{source}:{line}", None, _too_many_documents(line, cap, "lines"))


def _raw_lines(data: bytes) -> list[bytes]:
    """`data` cut after each `\\n` (only there), every line keeping its end."""
    parts = data.split(b"\n")
    last = parts.pop()
    return [p + b"\n" for p in parts] + ([last] if last else [])


def _over_limit(raw: bytes, limits: Limits) -> bool:
    """True when a line (its `\\n` or `\\r\\n` aside) is longer than `limits.max_bytes`."""
    return _content_length(raw) > limits.max_bytes


def _content_length(raw: bytes) -> int:
    """The bytes of a raw line without its ending (`\\n`, `\\r\\n`, or a `\\r` at the end of the
    file or of what has been read so far): the byte limit is on the content, whatever the ending."""
    end = 1 if raw.endswith(b"\n") else 0
    if raw.endswith(b"\r", 0, len(raw) - end):
        end += 1
    return len(raw) - end


def _gives_document(raw: bytes, limits: Limits) -> bool:
    """True when a line gives a result: it is over the limit, unreadable, or not blank."""
    return _over_limit(raw, limits) or _has_content(raw)


def _has_content(data: bytes) -> bool:
    """True when some line of `data` gives an entry (not blank as `_jsonl_entry` judges blank)."""
    if data.isascii():   # str.strip also strips \x1c-\x1f: those alone are blank too
        return bool(data.translate(None, b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"))
    for raw in _raw_lines(data):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return True   # an unreadable line is a result
        if text.startswith("\ufeff"):
            text = text[1:]
        if text.rstrip("\r\n").strip():
            return True
    return False


def expand_block(source: str, block: RawBlock, limits: Limits = DEFAULT_LIMITS) -> Iterator[Loaded]:
    """The documents of a `RawBlock`, one per line that is not blank, each `source:LINE`."""
    number, offset = block.first_line, block.offset
    for raw in _raw_lines(block.data):
        if _over_limit(raw, limits):
            entry: _Entry | None = _Entry(number, None, _too_large("the line", limits, number))
        else:
            entry = _line_entry(raw, number, offset, limits)
        if entry is not None:
            yield Loaded(f"{source}:{entry.line}", entry.doc, entry.problem, entry.positions)
        number, offset = number + 1, offset + len(raw)


def _jsonl_documents(handle: BinaryIO, source: str, limits: Limits, cap: int | None, blocks: bool) -> Iterator[Loaded]:
    """The documents of an open JSON Lines file: as blocks for worker processes, or expanded here."""
    for item in jsonl_blocks(handle, source, limits, cap):
        if blocks or not isinstance(item.doc, RawBlock):
            yield item
        else:
            yield from expand_block(source, item.doc, limits)


def _line_entry(raw: bytes, number: int, offset: int, limits: Limits) -> _Entry | None:
    """The entry of one raw line (`offset`: where it starts in the file), None for a blank line."""
    try:
        line_text = _decode_utf8(raw, offset).rstrip("\r\n")
    except UnicodeDecodeError as e:
        return _Entry(number, None, _line_not_utf8(raw, e, offset, number))
    if not line_text.strip():
        return None
    doc, problem = _json_value(line_text, number, limits)
    return _Entry(number, doc, problem, JsonPositions(line_text, number) if problem is None else None)


def _skip_line(handle: BinaryIO) -> int:
    """Read past the rest of the current line in bounded chunks; the number of bytes skipped."""
    skipped = 0
    while chunk := handle.readline(1 << 20):
        skipped += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return skipped


def _line_not_utf8(raw: bytes, error: UnicodeDecodeError, offset: int, line: int) -> Finding:
    """`unreadable-file` for a line of a .jsonl file that is not UTF-8 (`offset`: where the line starts)."""
    column = error.start - offset + 1
    byte = raw[column - 1:column].hex()
    return messages.positioned("line-not-utf8", line, column, byte=byte, offset=error.start)


# ---------------------------------------------------------------- YAML

class _SafeLoader(yaml.SafeLoader):
    """yaml.SafeLoader that records duplicate keys, keeps impossible dates as text, rejects every
    tag it does not know (python/... included) with a clear problem, and stops composing a document
    that nests deeper than `limits.max_depth` or holds more than `limits.max_values` nodes."""

    def __init__(self, stream: str, limits: Limits = DEFAULT_LIMITS) -> None:
        super().__init__(stream)
        self._hooks_init(limits)

    def _hooks_init(self, limits: Limits) -> None:
        self.duplicate: tuple[str, yaml.Mark, yaml.Mark] | None = None
        self.limits = limits
        self.depth = self.nodes = 0

    def compose_document(self) -> yaml.Node:
        self.depth = self.nodes = 0
        return super().compose_document()  # type: ignore[return-value]  # called only when a document follows

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        """Counted: past `limits.max_values` nodes the document is refused before it is all read."""
        self.nodes += 1
        if self.nodes > self.limits.max_values:
            raise _LimitReached(messages.words("too-many-values", max_values=self.limits.max_values),
                                self.peek_event().start_mark)
        return super().compose_node(parent, index)  # type: ignore[arg-type, return-value]  # PyYAML's stubs are narrower than its code

    def compose_sequence_node(self, anchor: str | None) -> yaml.SequenceNode:  # type: ignore[override]
        self._enter()
        try:
            return super().compose_sequence_node(anchor)  # type: ignore[arg-type]
        finally:
            self.depth -= 1

    def _enter(self) -> None:
        """One more level of nesting; refused past `limits.max_depth` (before the scanner goes deeper)."""
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise _LimitReached(_yaml_too_deep(self.limits), self.peek_event().start_mark)

    def compose_mapping_node(self, anchor: str | None) -> yaml.MappingNode:  # type: ignore[override]
        """The mapping node, its first repeated key (compared as written, merge keys aside) recorded."""
        self._enter()
        try:
            node = super().compose_mapping_node(anchor)  # type: ignore[arg-type]
        finally:
            self.depth -= 1
        seen: dict[tuple[str, str], yaml.Mark] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode) or self.duplicate is not None:
                continue
            if (key.tag, key.value) in seen:
                self.duplicate = (key.value, key.start_mark, seen[(key.tag, key.value)])
            seen[(key.tag, key.value)] = key.start_mark
        return node

    def construct_unknown(self, node: yaml.Node) -> object:
        """Every tag without a safe constructor (`!!python/object/apply:...` among them) is refused."""
        raise _UnknownTag(node.tag, node.start_mark)

    def construct_bounded_float(self, node: yaml.ScalarNode) -> object:
        """A YAML float; one beyond the float range (a long sexagesimal `1:2:…:3.5`) is refused."""
        try:
            return self.construct_yaml_float(node)
        except OverflowError:
            raise _FloatTooLarge(node.value, node.start_mark) from None

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """`<<` merges as the YAML merge rule says, whatever PyYAML's version does: the mapping's own
        keys win, then the merged mappings in the order given (`<<: [*a, *b]`: `a` before `b`)."""
        own: list[tuple[yaml.Node, yaml.Node]] = []
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged.extend(self._merged_pairs(node, value_node))
            else:
                if key_node.tag == "tag:yaml.org,2002:value":
                    key_node.tag = "tag:yaml.org,2002:str"
                own.append((key_node, value_node))
        if not merged:
            return
        seen = {(k.tag, k.value) for k, _ in own if isinstance(k, yaml.ScalarNode)}
        kept = []
        for key_node, value_node in merged:
            if isinstance(key_node, yaml.ScalarNode):
                if (key_node.tag, key_node.value) in seen:
                    continue
                seen.add((key_node.tag, key_node.value))
            kept.append((key_node, value_node))
        node.value = kept + own

    def _merged_pairs(self, node: yaml.Node, value: yaml.Node) -> list[tuple[yaml.Node, yaml.Node]]:
        """The (key, value) pairs a `<<` brings, highest priority first."""
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        pairs: list[tuple[yaml.Node, yaml.Node]] = []
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"expected a mapping or list of mappings for merging, but found {getattr(source, 'id', 'a node')}",
                    source.start_mark)
            self.flatten_mapping(source)
            pairs.extend(source.value)
        return pairs

    def construct_bounded_int(self, node: yaml.ScalarNode) -> object:
        """A YAML int of at most 4300 characters (Python's own limit for decimal digits): a longer one
        is refused before it is built (a sexagesimal `1:1:1:…` one would take hours)."""
        if len(node.value) > _MAX_INT_CHARS:
            raise _NumberTooLong(len(node.value), node.start_mark)
        return self.construct_yaml_int(node)


def timestamp_as_written(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> object:
    """The constructor of YAML timestamps: one is its date or datetime only when that is written
    back exactly as it was written (`2026-05-04`, `2026-05-04T10:15:00+09:00`); any other
    (`2026-5-7T10:15:00+09:00`, a space for `T`, `+09`, `Z`, a date that does not exist) stays the
    text as written, so the schema judges it as it judges the same text quoted."""
    try:
        value = loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)
    return value if value.isoformat() == node.value else loader.construct_scalar(node)


class _UnknownTag(yaml.constructor.ConstructorError):
    def __init__(self, tag: str, mark: yaml.Mark) -> None:
        super().__init__(None, None, f"the tag `{tag}` is not allowed", mark)
        self.tag = tag


_MAX_INT_CHARS = 4300


class _NumberTooLong(yaml.constructor.ConstructorError):
    def __init__(self, size: int, mark: yaml.Mark) -> None:
        super().__init__(None, None, f"a number of {size} characters", mark)
        self.size = size


class _FloatTooLarge(yaml.constructor.ConstructorError):
    def __init__(self, text: str, mark: yaml.Mark) -> None:
        super().__init__(None, None, f"the number `{_brief(text)}` is too large", mark)
        self.text = text


class _LimitReached(yaml.MarkedYAMLError):
    """A document beyond `Limits.max_depth` or `Limits.max_values`, found while composing it."""

    def __init__(self, text: messages.Words, mark: yaml.Mark) -> None:
        super().__init__(None, None, text.en, mark)
        self.text = text


def _yaml_too_deep(limits: Limits) -> messages.Words:
    return messages.words("too-deep-to-read", what="YAML", max_depth=limits.max_depth)


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", timestamp_as_written)
_SafeLoader.add_constructor(None, _SafeLoader.construct_unknown)
_SafeLoader.add_constructor("tag:yaml.org,2002:int", _SafeLoader.construct_bounded_int)
_SafeLoader.add_constructor("tag:yaml.org,2002:float", _SafeLoader.construct_bounded_float)

if getattr(yaml, "__with_libyaml__", False):
    from yaml.composer import Composer as _Composer

    class _CSafeLoader(yaml.cyaml.CParser, _SafeLoader):  # type: ignore[name-defined]
        """`_SafeLoader` over libyaml's parser (C, about 30 times faster on large files: a 16 MiB
        string scans in a fraction of a second); the composing and every check stay in Python."""

        check_node = _Composer.check_node
        get_node = _Composer.get_node
        get_single_node = _Composer.get_single_node

        def __init__(self, stream: str, limits: Limits = DEFAULT_LIMITS) -> None:
            yaml.cyaml.CParser.__init__(self, stream)  # type: ignore[attr-defined]
            _Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._hooks_init(limits)


def _yaml_loader(text: str, limits: Limits) -> _SafeLoader:
    """The fastest safe loader for `text`: libyaml's when installed and the text can be UTF-8
    (lone surrogates cannot: the pure-Python reader then names the bad character)."""
    if getattr(yaml, "__with_libyaml__", False):
        try:
            return _CSafeLoader(text, limits)
        except UnicodeEncodeError:
            pass
    return _SafeLoader(text, limits)


_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE   # what YAML forbids (NUL and other controls)
_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.MULTILINE)   # a document starts or ends


def _yaml_entries(text: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[_Entry]:
    """The documents of a YAML stream; a syntax error or a character YAML forbids (NUL) ends it,
    and so does a document past `limits.max_documents` (empty documents counted). Every document
    that ends before a forbidden character is read (the parser reads ahead and would fail earlier):
    the one that holds it is the problem that ends the stream."""
    bad = _NON_PRINTABLE.search(text)
    if bad is None:
        yield from _yaml_stream(text, limits)
        return
    markers = [m.start() for m in _MARKER.finditer(text, 0, bad.start())]
    ended = text.count("\n", 0, markers[-1]) + 1 if markers else 0   # documents starting before end before it
    held: _Entry | None = None
    for entry in _yaml_stream(text[:bad.start()], limits):
        if entry.line >= ended:
            held = held or entry
            if entry.final:
                break
            continue
        yield entry
        if entry.final:
            return
    error = yaml.reader.ReaderError("<text>", bad.start(), ord(bad.group()), "unicode",
                                    "special characters are not allowed")
    problem = _yaml_problem(error, text, final=True)
    yield _Entry(held.line if held is not None else problem.line or 1, None, problem, final=True)


def _yaml_stream(text: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[_Entry]:
    """The documents of a YAML stream that holds no forbidden character (see `_yaml_entries`)."""
    try:
        loader = _yaml_loader(text, limits)
    except yaml.YAMLError as e:
        yield _Entry(1, None, _yaml_problem(e, text, final=True), final=True)
        return
    documents = 0
    try:
        while True:
            start = None
            try:
                if not loader.check_node():
                    return
                start = loader.peek_event().start_mark.line + 1
                documents += 1
                if documents > limits.max_documents:
                    yield _Entry(start, None, _too_many_documents(start, limits.max_documents, "YAML documents"),
                                 final=True)
                    return
                node = loader.get_node()
            except (yaml.YAMLError, RecursionError) as e:
                problem = _yaml_problem(e, text, final=True)
                yield _Entry(start or problem.line or 1, None, problem, final=True)
                return
            yield _yaml_document(loader, node, start, text, limits)  # type: ignore[arg-type]  # check_node said one follows
    finally:
        loader.dispose()


def _key_path(root: yaml.Node, mark: yaml.Mark) -> str:
    """The JSON Pointer of the mapping key that starts at `mark` in the tree of `root`, `""` when
    it is not there; each node is visited once (aliases share nodes)."""
    todo: list[tuple[yaml.Node, tuple[object, ...]]] = [(root, ())]
    seen: set[int] = set()
    while todo:
        node, path = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.start_mark.index == mark.index:
                        return pointers.pointer((*path, key.value))
                    todo.append((value, (*path, key.value)))
        elif isinstance(node, yaml.SequenceNode):
            todo.extend((value, (*path, i)) for i, value in enumerate(node.value))
    return ""


def _yaml_document(loader: _SafeLoader, node: yaml.Node, start: int, text: str,
                   limits: Limits = DEFAULT_LIMITS) -> _Entry:
    """The document of a composed node, its problem, or an `empty` entry for an empty document."""
    if loader.duplicate is not None:
        key, mark, first = loader.duplicate
        loader.duplicate = None
        found = messages.positioned("duplicate-key-at", mark.line + 1, mark.column + 1, key=key, first=first.line + 1)
        return _Entry(start, None, evolve(found, path=_key_path(node, mark)))
    if isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG and node.value == "" and not node.style:
        return _Entry(start, empty=True)   # (libyaml's plain style is "", PyYAML's None)
    too_big = _too_big(node, limits)
    if too_big is not None:
        return _Entry(start, None, too_big)
    try:
        doc = loader.construct_document(node)
        lone = _lone_surrogate(doc, "YAML")   # a `"\\ud800"` escape (libyaml refuses it; PyYAML does not)
        return _Entry(start, None, lone) if lone else _Entry(start, doc, positions=YamlPositions(node))
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as e:
        loader.constructed_objects, loader.recursive_objects, loader.state_generators = {}, {}, []
        return _Entry(start, None, _yaml_problem(e, text, final=False))


def expansion_problem(node: yaml.Node, limits: Limits = DEFAULT_LIMITS) -> Finding | None:
    """A problem when a composed YAML node refers to itself, or once its aliases are expanded holds
    more values or nests deeper than `limits` allow (an alias bomb), found before it is built."""
    return _too_big(node, limits)


def _too_big(node: yaml.Node, limits: Limits = DEFAULT_LIMITS) -> Finding | None:
    """A problem when the document refers to itself, or once its aliases are expanded holds more than
    `limits.max_values` values or nests deeper than `limits.max_depth`."""
    try:
        _expanded_size(node, {}, set(), limits, 1)
    except _Unbounded as e:
        return messages.positioned_words("parse-error", e.mark.line + 1, e.mark.column + 1, e.text)
    except RecursionError:
        return messages.positioned("nested-too-deeply", node.start_mark.line + 1, node.start_mark.column + 1)
    return None


class _Unbounded(Exception):
    def __init__(self, mark: yaml.Mark, text: messages.Words) -> None:
        super().__init__(text.en)
        self.mark, self.text = mark, text


def _expanded_size(node: yaml.Node, sizes: dict[int, tuple[int, int]], open_nodes: set[int],
                   limits: Limits = DEFAULT_LIMITS, depth: int = 1) -> int:
    """How many values `node` (at nesting level `depth`) stands for once aliases are expanded;
    _Unbounded past `limits.max_values`, deeper than `limits.max_depth` or on a cycle."""
    if id(node) in sizes:
        size, height = sizes[id(node)]
        if depth + height - 1 > limits.max_depth:
            raise _Unbounded(node.start_mark, _deep_alias(limits))
        return size
    if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)) and depth > limits.max_depth:
        raise _Unbounded(node.start_mark, _deep_alias(limits))
    if id(node) in open_nodes:
        raise _Unbounded(node.start_mark, messages.words("alias-cycle"))
    open_nodes.add(id(node))
    children: list[yaml.Node] = []
    if isinstance(node, yaml.SequenceNode):
        children = node.value
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    size = 1 + sum(_expanded_size(child, sizes, open_nodes, limits, depth + 1) for child in children)
    open_nodes.discard(id(node))
    if size > limits.max_values:
        raise _Unbounded(node.start_mark, messages.words("alias-too-many-values", max_values=limits.max_values))
    height = 0 if not isinstance(node, (yaml.SequenceNode, yaml.MappingNode)) else 1 + max(
        (sizes[id(child)][1] for child in children), default=0)
    sizes[id(node)] = (size, height)
    return size


def _deep_alias(limits: Limits) -> messages.Words:
    return messages.words("alias-too-deep", max_depth=limits.max_depth)


def _yaml_problem(error: BaseException, text: str, final: bool) -> Finding:
    """`parse-error` for a YAML error, at its position when known; `final` says the stream ends here."""
    line, column = _yaml_position(error, text)
    if isinstance(error, RecursionError):
        said = messages.words("yaml-too-deep")
    elif isinstance(error, _LimitReached):
        said = error.text
    elif isinstance(error, _NumberTooLong):
        said = messages.words("yaml-long-number", size=error.size, max=_MAX_INT_CHARS)
    elif isinstance(error, _FloatTooLarge):
        said = messages.words("json-infinite", number=_brief(error.text))
    elif isinstance(error, _UnknownTag):
        said = messages.words("yaml-tag", tag=error.tag)
    elif isinstance(error, yaml.constructor.ConstructorError):
        said = messages.words("yaml-construct", problem=error.problem)
    elif isinstance(error, yaml.reader.ReaderError):
        character = error.character if isinstance(error.character, int) else ord(error.character[:1] or b"\0")
        said = messages.words("yaml-character", character=character, reason=error.reason)
    elif isinstance(error, yaml.MarkedYAMLError) and "nesting depth" in str(error.problem or ""):
        # PyYAML 6.0.4+ stops deep flow collections itself (at 1,000 levels, past our limit)
        said = _yaml_too_deep(DEFAULT_LIMITS)
    elif isinstance(error, yaml.MarkedYAMLError):
        detail = "; ".join(str(p) for p in (error.context, error.problem) if p)
        said = messages.words("yaml-syntax", detail=detail)
        if line is not None and column is not None and _char_at(text, line, column) == "\t" and "tab" not in said.en:
            said = _joined(said, messages.words("tab-hint"))
    else:
        said = messages.words("yaml-unreadable", error=error)
    if final:
        said = _joined(said, messages.words("rest-unread"))
    return messages.positioned_words("parse-error", line, column, said)


def _joined(first: messages.Words, then: messages.Words) -> messages.Words:
    return messages.Words(first.en + then.en, first.ja + then.ja)


def _char_at(text: str, line: int, column: int) -> str:
    """The character at a 1-based line and column of `text` ('' when there is none)."""
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return ""
    at = start + column - 1
    return text[at] if at < len(text) else ""


def _yaml_position(error: BaseException, text: str) -> tuple[int | None, int | None]:
    """1-based line and column of a YAML error, when it has one."""
    mark = getattr(error, "problem_mark", None)
    if mark is not None:
        return mark.line + 1, mark.column + 1
    position = getattr(error, "position", None)
    if isinstance(position, int):
        return _line_column(text, position)
    return None, None
