"""`espolicy lsp`: its arguments and how it runs."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    c = sub.add_parser("lsp", help="run the language server for editors (LSP over stdio)",
                       description="Serve the Language Server Protocol on stdin/stdout for rule files (*.esp): "
                                   "diagnostics as `check` gives them, hover, completion, go to definition, "
                                   "references, symbols, formatting and quick fixes. Needs the `lsp` extra.")
    c.add_argument("--schemas", metavar="DIR", help="schema folder (default: the bundled schemas)")
    c.add_argument("--stdio", action="store_true", help="use stdin/stdout (the default and only transport; "
                                                        "accepted because editors pass it)")
    c.set_defaults(func=run)


def run(args: Any) -> int:
    try:
        from espolicy.lsp.server import serve
    except ImportError as e:
        print(f"espolicy lsp: error: the language server needs `pygls` ({e.name} is missing)\n"
              "  help: install the extra: pip install 'espolicy[lsp]'", file=sys.stderr)
        return 2
    serve(Path(args.schemas) if args.schemas else None)
    return 0
