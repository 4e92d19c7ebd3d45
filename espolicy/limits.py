"""The bounds on what espolicy reads: every document, file and rule file is read in bounded time
and memory, whatever it holds (README, "Guarantees").

`Limits` holds the settings for documents; the loader (`espolicy.loader.iter_documents`,
`load_text`) takes one and uses `DEFAULT_LIMITS` when given none. Anything beyond a limit is an
`invalid` result that names the limit, never an exception, a hang or a silent truncation.

The limits on rule files (`MAX_EXPRESSION_DEPTH`, `MAX_PRODUCT_BITS`) are constants: a policy is
written by its owner, and what it may do is part of the language, not a per-run setting.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits", "DEFAULT_LIMITS", "MAX_EXPRESSION_DEPTH", "MAX_PRODUCT_BITS", "MAX_PATTERN_LENGTH",
           "MAX_PATTERN_MEMORY", "describe_bytes"]

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one run reads at most. Every field is a positive int.

    - `max_bytes`: the bytes of one YAML or JSON file, of standard input, and of the content of one
      line of a JSON Lines file, its `\n` or `\r\n` not counted (a .jsonl file is streamed line by
      line, so its length is not bounded: memory stays flat and every line gets its result).
      Default 16 MiB.
    - `max_depth`: how deeply mappings and lists may nest in a document (the document itself is
      level 1). Default 64; the deepest valid document nests 3 levels.
    - `max_documents`: documents in one YAML stream (empty ones counted), or lines of JSON Lines
      read from standard input or text. Default 100,000.
    - `max_lines`: lines of one JSON Lines file; default None, no cap (the file is streamed).
    - `max_values`: values (mappings, lists, scalars, keys) in one document, YAML aliases expanded
      (a "billion laughs" document is refused before it is expanded). Default 100,000.
    """

    max_bytes: int = 16 * MiB
    max_depth: int = 64
    max_documents: int = 100_000
    max_values: int = 100_000
    max_lines: int | None = None

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_depth", "max_documents", "max_values", "max_lines"):
            value = getattr(self, name)
            if name == "max_lines" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Limits.{name} must be a positive whole number, not {value!r}")


DEFAULT_LIMITS = Limits()

# Rule files: how deeply an expression may nest (`not not …`, `if … then (if …)`, `[[…]]`). Flat
# chains (`a and b and …`, parentheses around one expression) do not nest. The generated Python
# stays far below the interpreter's own nesting limits (200 parentheses).
MAX_EXPRESSION_DEPTH = 64

# Rule files: a product (`a * b`) whose operands together exceed this many bits raises, so that
# constants multiplied by themselves in a chain cannot grow without bound when the policy loads.
MAX_PRODUCT_BITS = 65_536

# Rule files: a `matches` pattern has at most this many characters, and its compiled automaton may
# use at most this much memory (RE2 refuses a larger one: `a{1000}{1000}` is a policy error).
MAX_PATTERN_LENGTH = 1_000
MAX_PATTERN_MEMORY = 8 * MiB


def describe_bytes(n: int) -> str:
    """`16 MiB` for whole mebibytes, else `N bytes`."""
    if n >= MiB and n % MiB == 0:
        return f"{n // MiB} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} bytes"
