"""`espolicy check`: its arguments and how it runs."""
from __future__ import annotations

from typing import Any

from espolicy.commands import waiving
from espolicy.engine.lint import Analysis, analyse
from espolicy.commands.arguments import add_policy_folder_argument, add_policy_option, policy_folder


def register(sub: Any) -> None:
    c = sub.add_parser("check", help="parse, type-check and lint the policy against the schemas",
                       description="Parse and type-check every rule file against the schemas, then lint; "
                                   "with --waivers FILE, check and lint that waivers file instead. "
                                   "Exit 0 when clean, 1 on warnings, 2 on errors.")
    add_policy_folder_argument(c)
    add_policy_option(c)
    c.add_argument("--format", choices=("text", "json"), default="text",
                   help="text for people, json (a list of diagnostics) for editors")
    c.add_argument("--waivers", metavar="FILE",
                   help="check a waivers file against the policy (schema, rule ids, expired and repeated entries)")
    waiving.add_today(c)
    c.set_defaults(func=run)


def run(args: Any) -> int:
    import json
    import sys

    if args.waivers:
        return run_waivers(args)
    from espolicy.commands.exits import EXIT_USAGE, err
    from espolicy.commands.loading import choose_policy

    try:
        choice = choose_policy(policy_folder(args))
    except ValueError as e:
        err(f"espolicy check: error: {e}")
        err("  help: give the folder once: `espolicy check DIR` or `espolicy check --policy DIR`")
        return EXIT_USAGE
    result = analyse(choice.folder)
    if args.format == "json":
        json.dump(_json_report(result, choice), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for d in result.diagnostics:
            print(d.render() + "\n", file=sys.stderr)
    if result.errors:
        if args.format == "text":
            print(f"{_count(result)} ({_about(result, choice)})", file=sys.stderr)
        return 2
    if args.format == "text":
        rules = len(result.checked.rules) if result.checked else 0
        files = len(result.sources)
        status = "ok" if not result.warnings else _count(result)
        print(f"{status}: {rules} rule{'' if rules == 1 else 's'} in {files} file{'' if files == 1 else 's'} "
              f"({_about(result, choice)})")
    return 1 if result.warnings else 0


def _json_report(result: Analysis, choice: Any) -> dict[str, Any]:
    """`check --format json`: the policy (name, digest), every diagnostic, and, when the policy checks,
    its rules with their metadata and the references they cite with their declared titles."""
    from espolicy.commands.loading import folder_digest
    from espolicy.output.common import reference_titles, rule_entry
    from espolicy.sources import declared_name
    name = result.checked.name if result.checked else declared_name(result.sources)
    rules = result.checked.rules if result.checked else ()
    return {"policy": {"name": name, "folder": str(choice.folder),
                       "digest": folder_digest(result.sources) if result.sources else None},
            "diagnostics": [d.to_dict() for d in result.diagnostics],
            "rules": [rule_entry(r) for r in rules],
            "references": reference_titles(result.checked)}


def _count(result: Analysis) -> str:
    e, w = len(result.errors), len(result.warnings)
    return f"{e} error{'' if e == 1 else 's'}, {w} warning{'' if w == 1 else 's'}"


def _about(result: Analysis, choice: Any) -> str:
    """`policy NAME from FOLDER (sha256:…)`, the digest only when the rule files could be read."""
    from espolicy.commands.loading import describe, folder_digest
    from espolicy.sources import declared_name
    name = result.checked.name if result.checked else declared_name(result.sources)
    return describe(choice, name, folder_digest(result.sources) if result.sources else None)


def run_waivers(args: Any) -> int:
    """`check --waivers FILE`: the file's mistakes (exit 2) or warnings (exit 1), else a line
    saying how many entries it has, how many are in force, and its digest."""
    import json
    import sys

    from espolicy.commands.loading import load_for_command
    from espolicy.engine.waiverfile import lint_waivers
    from espolicy.engine.waivers import WaiverError
    from espolicy.errors import Diagnostic

    policy = load_for_command(args.policy, "espolicy check")
    if policy is None:
        return 2
    diagnostics: list[Diagnostic]
    try:
        waivers = policy.load_waivers(args.waivers, args.today)
        with open(args.waivers, encoding="utf-8") as f:
            diagnostics = lint_waivers(waivers, f.read())
    except WaiverError as e:
        waivers, diagnostics = None, e.diagnostics
    except OSError as e:
        print(f"espolicy check: error: cannot read the waivers file `{args.waivers}`: {e.strerror or e}\n"
              f"  help: give the path of an existing waivers file", file=sys.stderr)
        return 2
    if args.format == "json":
        json.dump([d.to_dict() for d in diagnostics], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for d in diagnostics:
            print(d.render() + "\n", file=sys.stderr)
    if waivers is None:
        return 2
    if args.format == "text":
        n, active = len(waivers.entries), len(waivers.active)
        status = "ok" if not diagnostics else f"{len(diagnostics)} warning{'' if len(diagnostics) == 1 else 's'}"
        print(f"{status}: {n} waiver{'' if n == 1 else 's'} in {waivers.file}, {active} in force on "
              f"{waivers.today.isoformat()} ({waivers.digest})")
    return 1 if diagnostics else 0
