"""Report formats: one small module per format, registered in `FORMATS` by its `--format` name.

A format is a class built as `Formatter(stream, lang, context)` (`context`, a `RunContext` with the
policy, `--fail-on` and the tool version, may be left out) that writes to `stream` as results
arrive: `start(policy_info)` once, `result(report)` per document, `end(summary)` once.
"""
from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Protocol, TextIO

from espolicy.report import Report, Summary
from espolicy.output.common import RunContext


class Formatter(Protocol):
    """What every format implements; it streams and never holds all results."""

    def __init__(self, stream: TextIO, lang: str, context: RunContext | None = None) -> None: ...

    def start(self, policy_info: dict[str, str]) -> None: ...

    def result(self, report: Report) -> None: ...

    def end(self, summary: Summary) -> None: ...


_MODULES = {  # --format name -> (module, class); a format's module is imported when it is used
    "text": ("text", "TextFormatter"),
    "json": ("json", "JsonFormatter"),
    "jsonl": ("jsonl", "JsonlFormatter"),
    "sarif": ("sarif", "SarifFormatter"),
    "junit": ("junit", "JunitFormatter"),
    "github": ("github", "GithubFormatter"),
    "gitlab": ("gitlab", "GitlabFormatter"),
}


class _Formats(Mapping[str, type]):
    """`FORMATS[name]` is the formatter class of `--format name`."""

    def __getitem__(self, name: str) -> type[Formatter]:
        module, cls = _MODULES[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), cls)

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


FORMATS: Mapping[str, type[Formatter]] = _Formats()

__all__ = ["FORMATS", "Formatter", "RunContext"]
