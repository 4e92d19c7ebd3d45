"""Report formats: one small module per format, registered in `FORMATS` by its `--format` name.

A format is a class built as `Formatter(stream, lang, context)` (`context`, a `RunContext` with the
policy, `--fail-on` and the tool version, may be left out) that writes to `stream` as results
arrive: `start(policy_info)` once, `result(report)` per document, `end(summary)` once.
"""
from __future__ import annotations

from typing import Protocol, TextIO

from ..report import Report, Summary
from .common import RunContext
from .github import GithubFormatter
from .json import JsonFormatter
from .jsonl import JsonlFormatter
from .junit import JunitFormatter
from .sarif import SarifFormatter
from .text import TextFormatter


class Formatter(Protocol):
    """What every format implements; it streams and never holds all results."""

    def __init__(self, stream: TextIO, lang: str, context: RunContext | None = None) -> None: ...

    def start(self, policy_info: dict[str, str]) -> None: ...

    def result(self, report: Report) -> None: ...

    def end(self, summary: Summary) -> None: ...


FORMATS: dict[str, type[Formatter]] = {
    "text": TextFormatter,
    "json": JsonFormatter,
    "jsonl": JsonlFormatter,
    "sarif": SarifFormatter,
    "junit": JunitFormatter,
    "github": GithubFormatter,
}

__all__ = ["FORMATS", "Formatter", "RunContext"]
