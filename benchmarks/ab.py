"""Two source trees of espolicy on the bundled policy, timed in one run: `python benchmarks/ab.py OTHER`
(OTHER: another checkout, e.g. the main branch's). Both judge the same seeded corpus in child
processes, interleaved A, B, A, B …, each child reporting its best µs per document; the result is
the median of each tree and their ratio (this tree / OTHER: below 1 is faster)."""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
import espolicy
from corpus import generate
docs = generate(int(sys.argv[3]), 6)
policy = espolicy.default_policy()
for d in docs[:200]:
    policy.validate(d)
best = float("inf")
for _ in range(3):
    t = time.perf_counter()
    for d in docs:
        policy.validate(d)
    best = min(best, (time.perf_counter() - t) / len(docs) * 1e6)
print(json.dumps({"us": best, "file": espolicy.__file__}))
"""


def one(tree: Path, n: int) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD, str(tree), str(HERE), str(n)], capture_output=True,
                         text=True, check=True, cwd=tree)
    got = json.loads(out.stdout)
    assert Path(got["file"]).resolve().is_relative_to(tree.resolve()), got["file"]
    return float(got["us"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("other", type=Path, help="another espolicy source tree")
    ap.add_argument("-n", type=int, default=4000, help="documents (default 4,000)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    args = ap.parse_args()
    this, other = HERE.parent, args.other.resolve()
    a: list[float] = []
    b: list[float] = []
    for i in range(args.rounds):
        pair = [(this, a), (other, b)] if i % 2 == 0 else [(other, b), (this, a)]
        for tree, times in pair:
            times.append(one(tree, args.n))
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"| tree | µs per document (median of {args.rounds}) |\n|---|---|\n| this | {ma:.1f} |\n| other | {mb:.1f} |")
    print(f"\nratio this/other: {ma / mb:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
