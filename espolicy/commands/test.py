"""`espolicy test`: run the policy's own tests; `--coverage` adds rule and condition coverage;
`--watch` runs check and the tests again whenever a rule or test file is saved."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from espolicy.engine.policytest import (Case, CaseFileError, coverage, find_test_files, load_cases, run_case,
                                        select, unknown_rules)
from espolicy.output.testresults import FORMATS
from espolicy.commands.arguments import add_policy_option


def register(sub: Any) -> None:
    t = sub.add_parser("test", help="run the policy's own test cases (policy/tests/*.yaml)",
                       description="Run the test cases in the policy folder's tests/*.yaml. Exit 0 when all "
                                   "pass (and coverage is at least --min-coverage with --coverage), 1 when "
                                   "one fails, 2 when the policy or a test file cannot be read.")
    t.add_argument("files", nargs="*", metavar="FILE",
                   help="test files (default: the policy folder's tests/*.yaml); a policy folder given here "
                        "is the same as --policy DIR")
    add_policy_option(t)
    t.add_argument("-k", dest="patterns", action="append", default=[], metavar="PATTERN",
                   help="run only the tests whose name contains PATTERN (a glob with * ? [; case ignored; "
                        "repeatable: any of them)")
    t.add_argument("--coverage", action="store_true",
                   help="report per rule whether it fired and did not fire, and condition coverage: the "
                        "condition, every operand of and/or, each, quantifier and if condition seen true and false")
    t.add_argument("--min-coverage", type=float, default=100.0, metavar="PCT",
                   help="with --coverage, fail under this percentage of rule or condition coverage (default 100)")
    t.add_argument("--watch", action="store_true",
                   help="run check and the tests again whenever a rule or test file is saved (Ctrl-C stops)")
    t.add_argument("--format", choices=sorted(FORMATS), default="text", help="output format (default text)")
    t.set_defaults(func=run)


def run(args: Any) -> int:
    if args.watch:
        return watch(args)
    return run_once(args)


def _folder_among(names: list[str], policy: str | None) -> tuple[str | None, list[Path]]:
    """The policy folder (`--policy`, or a FILE that is a folder of rule files) and the test files."""
    from espolicy.sources import POLICY_SUFFIX

    folders = [n for n in names if Path(n).is_dir() and any(Path(n).glob(f"*{POLICY_SUFFIX}"))]
    files = [Path(n) for n in names if n not in folders]
    if policy is None and len(folders) == 1:
        return folders[0], files
    return policy, [Path(n) for n in names]


def run_once(args: Any) -> int:
    from espolicy.commands.loading import choose_policy, load_for_command
    from espolicy.engine.conditions import condition_coverage
    from espolicy.output.testresults import Coverage

    given, files_given = _folder_among(args.files, args.policy)
    choice = choose_policy(given)
    folder = choice.folder
    policy = load_for_command(choice, "espolicy test")
    if policy is None:
        return 2
    files = files_given if files_given else find_test_files(folder)
    if not files:
        print(f"espolicy test: error: no test files (tests/*.yaml) in {folder}\n  help: write test cases in "
              f"`{folder / 'tests'}/NAME.yaml` (see docs/policy-owners.md)", file=sys.stderr)
        return 2
    cases: list[Case] = []
    try:
        for f in files:
            cases += load_cases(f)
    except CaseFileError as e:
        print(str(e), file=sys.stderr)
        return 2
    errors = unknown_rules(cases, (r.id for r in policy.rules))
    if errors:
        for problem in errors:
            print(str(problem), file=sys.stderr)
        print(f"{len(errors)} error{'' if len(errors) == 1 else 's'} in the test files", file=sys.stderr)
        return 2
    chosen = select(cases, args.patterns)
    if not chosen:
        print(f"espolicy test: error: no test matches {' or '.join(f'`{p}`' for p in args.patterns)} "
              f"(of {len(cases)} tests)\n  help: -k takes a part of a test's name, or a glob", file=sys.stderr)
        return 2
    results = [run_case(policy, c) for c in chosen]
    cov = None
    if args.coverage:
        cov = Coverage(coverage(policy, results), condition_coverage(policy, [c.document for c in chosen], [c.today for c in chosen]),
                       args.min_coverage, tuple(r.id for r in policy.checked.references))
    FORMATS[args.format](results, cov, sys.stdout)
    if any(not r.passed for r in results):
        return 1
    if cov is not None and not cov.passed:
        return 1
    return 0


def watch(args: Any) -> int:
    """Run check and the tests, then again after every save under the policy folder (and the given
    test files), until interrupted."""
    try:
        from watchfiles import watch as changes
    except ImportError:
        print("espolicy test: error: --watch needs the `watchfiles` package\n  help: install espolicy[watch]",
              file=sys.stderr)
        return 2
    from espolicy.commands import check
    from espolicy.commands.loading import choose_policy

    folder = choose_policy(args.policy).folder
    targets = [str(folder), *(str(Path(f).parent) for f in args.files)]
    status = _round(args, check)
    for batch in changes(*dict.fromkeys(targets), raise_interrupt=False):
        if not any(Path(p).suffix in (".esp", ".yaml", ".yml") for _, p in batch):
            continue
        print("\n" + "─" * 72 + "\n", flush=True)
        status = _round(args, check)
    return status


def _round(args: Any, check: Any) -> int:
    import argparse
    checked = check.run(argparse.Namespace(policy=args.policy, format="text", waivers=None))
    sys.stderr.flush()
    status = run_once(args) if checked < 2 else 2
    print(f"[watching {args.policy or 'the policy'} for changes; Ctrl-C stops]", flush=True)
    sys.stdout.flush()
    return status
