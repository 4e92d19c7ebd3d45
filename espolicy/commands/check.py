"""`espolicy check`: its arguments and how it runs."""
from __future__ import annotations

from typing import Any

from espolicy.engine.lint import Analysis, analyse

def register(sub: Any) -> None:
    c = sub.add_parser("check", help="parse, type-check and lint the policy against the schemas",
                       description="Parse and type-check every rule file against the schemas, then lint. "
                                   "Exit 0 when clean, 1 on warnings, 2 on errors.")
    c.add_argument("--policy", metavar="DIR", help="policy folder (default: the bundled policy)")
    c.add_argument("--format", choices=("text", "json"), default="text",
                   help="text for people, json (a list of diagnostics) for editors")
    c.set_defaults(func=run)


def run(args: Any) -> int:
    import json
    import sys

    result = analyse(args.policy)
    if args.format == "json":
        json.dump([d.to_dict() for d in result.diagnostics], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for d in result.diagnostics:
            print(d.render() + "\n", file=sys.stderr)
    if result.errors:
        if args.format == "text":
            print(_count(result), file=sys.stderr)
        return 2
    if args.format == "text":
        rules = len(result.checked.rules) if result.checked else 0
        files = len(result.sources)
        info = _info(result)
        status = "ok" if not result.warnings else _count(result)
        print(f"{status}: {rules} rule{'' if rules == 1 else 's'} in {files} file{'' if files == 1 else 's'} "
              f"(policy {info['name']}, {info['digest']})")
    return 1 if result.warnings else 0


def _count(result: Analysis) -> str:
    e, w = len(result.errors), len(result.warnings)
    return f"{e} error{'' if e == 1 else 's'}, {w} warning{'' if w == 1 else 's'}"


def _info(result: Analysis) -> dict[str, str]:
    from espolicy.sources import source_digest
    default = result.directory.resolve().name if result.directory else "policy"
    name = (result.checked.name if result.checked else None) or default
    from espolicy.engine.datafiles import with_data_files
    return {"name": name, "digest": "sha256:" + source_digest(with_data_files(result.sources))}
