"""`espolicy test`: its arguments and how it runs."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from espolicy.engine.policytest import FORMATS, Case, CaseFileError, coverage, find_test_files, load_cases, percent, run_case

def register(sub: Any) -> None:
    t = sub.add_parser("test", help="run the policy's own test cases (policy/tests/*.yaml)",
                       description="Run the test cases in the policy folder's tests/*.yaml. Exit 0 when all "
                                   "pass (and coverage is at least --min-coverage with --coverage), 1 when "
                                   "one fails, 2 when the policy or a test file cannot be read.")
    t.add_argument("files", nargs="*", metavar="FILE", help="test files (default: the policy folder's tests/*.yaml)")
    t.add_argument("--policy", metavar="DIR", help="policy folder (default: the bundled policy)")
    t.add_argument("--coverage", action="store_true", help="report, per rule, whether it fired and did not fire")
    t.add_argument("--min-coverage", type=float, default=100.0, metavar="PCT",
                   help="with --coverage, fail under this percentage (default 100)")
    t.add_argument("--format", choices=sorted(FORMATS), default="text", help="output format (default text)")
    t.set_defaults(func=run)


def run(args: Any) -> int:
    from espolicy.commands.loading import load_for_command
    from espolicy.sources import bundled_dir

    folder = Path(args.policy) if args.policy else bundled_dir("policy")
    policy = load_for_command(folder, "espolicy test")
    if policy is None:
        return 2
    files = [Path(f) for f in args.files] if args.files else find_test_files(folder)
    if not files:
        print(f"espolicy test: error: no test files (tests/*.yaml) in {folder}", file=sys.stderr)
        return 2
    cases: list[Case] = []
    try:
        for f in files:
            cases += load_cases(f)
    except CaseFileError as e:
        print(str(e), file=sys.stderr)
        return 2
    results = [run_case(policy, c) for c in cases]
    cov = coverage(policy, results) if args.coverage else None
    FORMATS[args.format](results, cov, args.min_coverage, sys.stdout,
                         references=tuple(r.id for r in policy.checked.references))
    if any(not r.passed for r in results):
        return 1
    if cov is not None and percent(cov) < args.min_coverage:
        return 1
    return 0
