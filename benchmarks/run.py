"""The benchmark: espolicy against its peers, one command, one table.

    pip install ".[bench]"
    python benchmarks/run.py            # full: 20,000 documents, 7 repeats, process timings (a few minutes)
    python benchmarks/run.py --quick    # 4,000 documents, 3 repeats

It generates the seeded corpus (`benchmarks/corpus.py`), checks that every peer agrees with
espolicy on every valid document's outcome (invalid = espolicy's schema stage says so, for every
peer), then times all contenders in the same run, interleaved (round-robin, the starting contender
rotating each repeat), and prints the median µs per document of each; then whole-process wall
times (median of several runs), compile and import time, peak RSS, and the targets.
Everything is printed as Markdown, ready for the README.

The espolicy measured is the source tree this file sits in (it goes first on sys.path, and is
PYTHONPATH for the subprocesses).
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.metadata as md
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
if str(HERE) not in sys.path:
    sys.path.insert(1, str(HERE))

import corpus
from peers.common import DENY

try:   # rego-cpp must be loaded before google-re2 (which espolicy imports): the other way round,
    import regopy  # noqa: F401  # its queries abort the process with "free(): invalid pointer"
except ImportError:
    pass
import espolicy

PY = sys.executable
# Environment of every measured subprocess (set up in main): bytecode is cached (in a temporary
# PYTHONPYCACHEPREFIX, so nothing is written into the tree) as after a `pip install`, even when the
# caller runs with PYTHONDONTWRITEBYTECODE; espolicy's compiled-policy cache is a temporary folder.
BASE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ESP_ENV = dict(BASE_ENV, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


# ------------------------------------------------------------------ helpers

def out(line: str = "") -> None:
    print(line, flush=True)


def version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "not installed"


def machine() -> list[str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "?"
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        load = "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + " at the end of the run"
    except OSError:
        load = ""
    package = Path(espolicy.__file__).resolve().parent
    where = "this source tree" if package.parent == ROOT else f"`{package}`"
    return [(f"- machine: {platform.system()} {platform.machine()}, {cpu}, nproc {usable}, "
             f"Python {platform.python_version()} ({platform.python_implementation()}); {load}"),
            f"- date: {dt.datetime.now().astimezone().isoformat(timespec='minutes')}",
            (f"- espolicy {espolicy.__version__} from {where}; "
             + ", ".join(f"{d} {version(d)}" for d in ("regopy", "common-expression-language", "cedarpy",
                                                        "jsonschema", "fastjsonschema", "jsonschema-rs",
                                                        "check-jsonschema")))]


def fmt_us(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def fmt_ms(x: float) -> str:
    return f"{x * 1000:.0f} ms" if x >= 0.1 else f"{x * 1000:.1f} ms"


class _PreDecoded:
    """Stands in for `policy.schemas`: `check_and_decode` of an already decoded document returns it as
    it is, so `Policy.validate` runs everything but the schema stage (the rules, findings, report)."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.calls = 0

    def check_and_decode(self, doc: Any) -> tuple[list, Any]:
        self.calls += 1
        return [], doc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class Contender:
    def __init__(self, label: str, run: Callable[[int], None], n: int, group: str, note: str = "",
                 agreement: str = "") -> None:
        self.label, self.run, self.n, self.group, self.note, self.agreement = label, run, n, group, note, agreement
        self.samples: list[float] = []

    @property
    def us(self) -> float:
        return statistics.median(self.samples) / self.n * 1e6


BLOCKS = 10  # each pass over a data set is timed in this many blocks, interleaved with the other contenders


def blocks_of(xs: list[Any]) -> list[list[Any]]:
    n = len(xs)
    return [xs[i * n // BLOCKS:(i + 1) * n // BLOCKS] for i in range(BLOCKS)]


def loop1(f: Callable[[Any], Any], xs: list[Any]) -> Callable[[int], None]:
    parts = blocks_of(xs)

    def run(block: int) -> None:
        for x in parts[block]:
            f(x)
    return run


def loop2(f: Callable[[Any, Any], Any], pairs: list[tuple[Any, Any]]) -> Callable[[int], None]:
    parts = blocks_of(pairs)

    def run(block: int) -> None:
        for a, b in parts[block]:
            f(a, b)
    return run


# ------------------------------------------------------------------ in-process part

def as_json(facts: dict[str, Any]) -> dict[str, Any]:
    """Facts as a report holds them: dates and datetimes as ISO strings (seconds, with the offset)."""
    def one(v: Any) -> Any:
        if isinstance(v, dt.datetime):
            return v.isoformat(timespec="seconds")
        return v.isoformat() if isinstance(v, dt.date) else v
    return {k: one(v) for k, v in facts.items()}


def agreement_of(peer: Any, items: list[tuple[dict, dict, str, frozenset[str]]]) -> tuple[str, list[str]]:
    """`agree/total` on outcomes (and on fired rule ids) over the valid documents, with examples of any difference."""
    same_outcome = same_ids = 0
    examples: list[str] = []
    ids_on_deny = getattr(peer, "ids_on_deny", None)
    for raw, decoded, outcome, ids in items:
        try:
            got, got_ids = peer.judge(raw, decoded)
        except Exception as e:  # noqa: BLE001 - a peer's failure is a disagreement to report
            got, got_ids = f"error {type(e).__name__}: {e}", frozenset()
        if got == outcome:
            same_outcome += 1
        elif len(examples) < 3:
            examples.append(f"{peer.name}: {raw.get('id')} espolicy {outcome} {sorted(ids)}, peer {got} "
                            f"{sorted(got_ids)}")
        want = frozenset(i for i in ids if i in DENY) if ids_on_deny and got == "deny" else ids
        same_ids += got_ids == want
    total = len(items)
    return f"{same_outcome}/{total}; rule ids {same_ids}/{total}", examples


def read(report: Any) -> Any:
    """What a caller that uses the report reads: its findings and facts (built on first read)."""
    return report.findings, report.facts


def in_process(docs: list[dict], repeats: int, profile: bool) -> dict[str, Any]:
    policy = espolicy.load_policy()
    schemas = policy.schemas

    decoded = [schemas.check_and_decode(d)[1] for d in docs]
    reports = [policy.validate(d) for d in docs]
    items = [(raw, dec, rep.outcome, frozenset(f.rule for f in rep.findings))
             for raw, dec, rep in zip(docs, decoded, reports) if dec is not None]
    valid_raw = [i[0] for i in items]
    invalid_raw = [raw for raw, dec in zip(docs, decoded) if dec is None]
    valid_dec = [i[1] for i in items]
    pairs = [(i[0], i[1]) for i in items]
    stats = Counter(r.outcome for r in reports)
    kinds = Counter(d.get("kind") for d in docs)

    # rules only: the same Policy.validate, with the schema stage replaced by "already decoded"
    cache_env = os.environ.get("ESPOLICY_CACHE_DIR")
    os.environ["ESPOLICY_CACHE_DIR"] = "off"
    t0 = time.perf_counter()
    rules_policy = espolicy.load_policy()  # a second load, cache off: every import done, the compile alone
    compile_warm = time.perf_counter() - t0
    if cache_env is None:
        del os.environ["ESPOLICY_CACHE_DIR"]
    else:
        os.environ["ESPOLICY_CACHE_DIR"] = cache_env
    pre = _PreDecoded(rules_policy.schemas)
    rules_policy.schemas = pre  # type: ignore[assignment]
    rules_ok = sum(rules_policy.validate(dec).outcome == o for _, dec, o, _ in items)
    if pre.calls != len(items):
        raise SystemExit("the rules-only measurement no longer replaces the schema stage: "
                         "Policy.validate does not call policy.schemas.check_and_decode")
    programs = policy.programs

    today = dt.date(2026, 6, 1)  # any fixed day: the programs take the evaluation date as an argument

    def run_only(dec: dict) -> Any:
        return programs[dec["kind"]].run(dec, today)

    n_all, n_valid = len(docs), len(items)
    contenders = [
        Contender("espolicy `Policy.validate`, end to end (all documents)",
                  loop1(lambda d: read(policy.validate(d)), docs), n_all,
                  "espolicy", f"{stats['invalid']} invalid documents included; findings and facts read"),
        Contender("espolicy `Policy.validate`, end to end (valid documents)",
                  loop1(lambda d: read(policy.validate(d)), valid_raw),
                  n_valid, "espolicy", "schema + rules + report (findings and facts read)"),
        Contender("espolicy `Policy.validate`, end to end (invalid documents)",
                  loop1(lambda d: read(policy.validate(d)), invalid_raw), len(invalid_raw), "espolicy",
                  "explained on the compiled fast path (same messages as jsonschema's)"),
        Contender("espolicy schema only: `check_and_decode` (all documents)", loop1(schemas.check_and_decode, docs),
                  n_all, "schema", "fast path; jsonschema explains the invalid ones"),
        Contender("espolicy schema only: `check_and_decode` (valid documents)",
                  loop1(schemas.check_and_decode, valid_raw), n_valid, "espolicy"),
        Contender("espolicy rules only: `validate` minus the schema stage",
                  loop1(lambda dec: read(rules_policy.validate(dec)), valid_dec),
                  n_valid, "rules", "rules + findings + facts + Report (texts en/ja rendered when read: not here)",
                  f"{rules_ok}/{n_valid}"),
        Contender("espolicy rules only, reading only `outcome`", loop1(lambda dec: rules_policy.validate(dec).outcome,
                                                                        valid_dec),
                  n_valid, "rules", "the Report's findings and facts are built on first read: never here"),
        Contender("espolicy `programs[kind].run` only (no report)", loop1(run_only, valid_dec), n_valid, "espolicy",
                  "generated code: facts + which rules fire"),
    ]

    peer_notes: list[str] = []
    examples: list[str] = []
    from peers import cedar as p_cedar
    from peers import cel as p_cel
    from peers import handwritten as p_hand
    from peers import handwritten_facts as p_hand_facts
    from peers import rego as p_rego
    for module in (p_hand, p_hand_facts, p_rego, p_cel, p_cedar):
        try:
            peer = module.Peer()
        except ImportError as e:
            peer_notes.append(f"{module.NAME}: not measured ({e}); `pip install \".[bench]\"`")
            continue
        agree, ex = agreement_of(peer, items)
        examples += ex
        if hasattr(peer, "facts"):  # the facts too, value for value, against espolicy's reports
            same = sum(as_json(peer.facts(dec)) == rep.facts for rep, dec in zip(reports, decoded) if dec is not None)
            agree += f"; facts {same}/{n_valid}"
        contenders.append(Contender(peer.name, loop2(peer.judge, pairs), n_valid, "rules", peer.note, agree))

    from peers import schemacheck
    reference = [d is not None for d in decoded]
    for key, make in schemacheck.CHECKERS.items():
        try:
            checker = make()
        except ImportError as e:
            peer_notes.append(f"{key}: not measured ({e})")
            continue
        verdicts = [checker.is_valid(d) for d in docs]
        agree = sum(a == b for a, b in zip(verdicts, reference))
        text = f"{agree}/{n_all} verdicts"
        if agree != n_all:
            kinds_of = Counter((a, b) for a, b in zip(reference, verdicts) if a != b)
            text += " (" + ", ".join(f"{v}× espolicy {'valid' if a else 'invalid'}, peer {'valid' if b else 'invalid'}"
                                     for (a, b), v in kinds_of.items()) + ")"
        contenders.append(Contender(checker.name, loop1(checker.is_valid, docs), n_all, "schema", "", text))

    # Interleaved timing. One repeat = every contender over its whole data set, in BLOCKS blocks: block 0
    # of every contender (round-robin, the first contender rotating), then block 1, ... so that a noisy
    # moment on the machine falls on all contenders alike. The objects built so far (corpus, decoded
    # documents) are frozen out of the garbage collector's scans; collection itself stays on.
    gc.collect()
    gc.freeze()
    try:
        for r in range(repeats):
            totals = [0.0] * len(contenders)
            for b in range(BLOCKS):
                k = (r * BLOCKS + b) % len(contenders)
                for i in list(range(k, len(contenders))) + list(range(k)):
                    t = time.perf_counter()
                    contenders[i].run(b)
                    totals[i] += time.perf_counter() - t
            for c, total in zip(contenders, totals):
                c.samples.append(total)
            out(f"  repeat {r + 1}/{repeats} done")
    finally:
        gc.unfreeze()

    prof = None
    if profile:
        prof = profile_espolicy(policy, rules_policy, valid_raw, valid_dec)
    return {"contenders": contenders, "stats": stats, "kinds": kinds, "n_all": n_all, "n_valid": n_valid,
            "compile_warm": compile_warm, "peer_notes": peer_notes, "examples": examples, "profile": prof}


def profile_espolicy(policy: Any, rules_policy: Any, valid_raw: list, valid_dec: list) -> str:
    import cProfile
    import io
    import pstats
    text = []
    for label, f, xs in (("end to end (valid documents, report read)", lambda d: read(policy.validate(d)), valid_raw),
                         ("rules only (report read)", lambda d: read(rules_policy.validate(d)), valid_dec),
                         ("rules only, reading only `outcome`", lambda d: rules_policy.validate(d).outcome,
                          valid_dec)):
        pr = cProfile.Profile()
        pr.enable()
        for x in xs:
            f(x)
        pr.disable()
        s = io.StringIO()
        pstats.Stats(pr, stream=s).sort_stats("tottime").print_stats(18)
        text.append(f"### cProfile: espolicy {label}, {len(xs)} documents\n\n```\n" +
                    "\n".join(s.getvalue().strip().splitlines()[:40]) + "\n```")
    return "\n\n".join(text)


# ------------------------------------------------------------------ whole processes

def wall(cmd: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0, 1)) -> float:
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
    elapsed = time.perf_counter() - t
    if p.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd[:6])}… exited {p.returncode}: {p.stderr.decode(errors='replace')[-800:]}")
    return elapsed


_RSS_PROBE = """
import atexit, runpy, sys
def _report():
    try:
        with open("/proc/self/status") as f:
            kib = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        import resource
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stderr.write(f"\\nPEAK-RSS-KIB {kib}\\n")
atexit.register(_report)
sys.argv = ["espolicy"] + sys.argv[1:]
runpy.run_module("espolicy", run_name="__main__", alter_sys=True)
"""


def peak_rss(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one `espolicy ARGS…` process. The peak is the process's own
    VmHWM: `ru_maxrss` of a child would include the benchmark's own memory, inherited through vfork."""
    t = time.perf_counter()
    p = subprocess.run([PY, "-c", _RSS_PROBE, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       env=ESP_ENV, text=True, check=False)
    elapsed = time.perf_counter() - t
    line = [x for x in p.stderr.splitlines() if x.startswith("PEAK-RSS-KIB ")]
    if p.returncode not in (0, 1) or not line:
        raise RuntimeError(f"espolicy {' '.join(args)[:80]} exited {p.returncode}: {p.stderr[-800:]}")
    return elapsed, int(line[-1].split()[1]) / 1024


def processes(docs: list[dict], runs: int, quick: bool) -> dict[str, Any]:
    res: dict[str, Any] = {}
    tmp = Path(tempfile.mkdtemp(prefix="espolicy-bench-"))
    try:
        import yaml
        one = next(d for d in corpus.registrations(50, seed=11) if "requests" not in d or not any(d["requests"].values()))
        (tmp / "one.json").write_text(json.dumps(one, indent=2))
        (tmp / "one.yaml").write_text(yaml.safe_dump(one, sort_keys=False))
        folder = tmp / "regs"
        folder.mkdir()
        files = []
        for i, d in enumerate(corpus.registrations(1000, seed=12)):
            f = folder / f"reg-{i:04d}.json"
            f.write_text(json.dumps(d, indent=2))
            files.append(str(f))
        jsonl = tmp / "corpus.jsonl"
        with jsonl.open("w") as fh:
            for d in docs:
                fh.write(json.dumps(d, ensure_ascii=False) + "\n")
        schema = str(ROOT / "schemas" / "registration.json")
        cj = [PY, "-m", "check_jsonschema", "--schemafile", schema]
        esp = [PY, "-m", "espolicy", "validate"]
        have_cj = version("check-jsonschema") != "not installed"
        cmds: dict[str, tuple[list[str], dict[str, str] | None]] = {
            "python -c pass": ([PY, "-c", "pass"], BASE_ENV),
            "import espolicy": ([PY, "-c", "import espolicy"], ESP_ENV),
            "espolicy one.yaml": (esp + [str(tmp / "one.yaml")], ESP_ENV),
            "espolicy one.json": (esp + [str(tmp / "one.json")], ESP_ENV),
            "espolicy one.yaml, cache off": (esp + [str(tmp / "one.yaml")], dict(ESP_ENV, ESPOLICY_CACHE_DIR="off")),
            "espolicy 1000": (esp + [str(folder)], ESP_ENV),
        }
        if have_cj:
            cmds["check-jsonschema one.json"] = (cj + [str(tmp / "one.json")], BASE_ENV)
            cmds["check-jsonschema 1000"] = (cj + files, BASE_ENV)
        samples: dict[str, list[float]] = {k: [] for k in cmds}
        for k, (cmd, env) in cmds.items():  # warm the page cache and __pycache__ once
            wall(cmd, env)
        for _ in range(runs):
            for k, (cmd, env) in cmds.items():
                samples[k].append(wall(cmd, env))
        res["wall"] = {k: statistics.median(v) for k, v in samples.items()}

        # compile (load_policy) and import time inside fresh processes: cache off, and from the warm cache
        probe = ("import time; t0=time.perf_counter(); import espolicy; t1=time.perf_counter(); "
                 "espolicy.load_policy(); t2=time.perf_counter(); print(t1-t0, t2-t1)")
        off_env = dict(ESP_ENV, ESPOLICY_CACHE_DIR="off")
        probes: dict[str, list[tuple[float, float]]] = {"off": [], "cache": []}
        for _ in range(runs):
            for k, env in (("off", off_env), ("cache", ESP_ENV)):
                a, b = subprocess.run([PY, "-c", probe], capture_output=True, text=True, env=env,
                                      check=True).stdout.split()
                probes[k].append((float(a), float(b)))
        res["import_in_process"] = statistics.median(a for k in probes for a, _ in probes[k])
        res["compile_cold"] = statistics.median(b for _, b in probes["off"])
        res["compile_cached"] = statistics.median(b for _, b in probes["cache"])

        # peak RSS: one document, and the whole corpus as JSON Lines, JSON report to /dev/null
        res["rss_one"] = peak_rss(["validate", str(tmp / "one.json")])
        res["rss_corpus"] = peak_rss(["validate", "--format", "json", str(jsonl)])
        res["rss_corpus_text"] = peak_rss(["validate", str(jsonl)])

        # -j: only when the command line has it (the CI issue adds it)
        help_text = subprocess.run(esp + ["--help"], capture_output=True, text=True, env=ESP_ENV, check=False).stdout
        if "--jobs" in help_text or " -j" in help_text:
            big = tmp / "big.jsonl"
            n = 20_000 if quick else 100_000
            with big.open("w") as fh:
                for d in corpus.generate(n, seed=9):
                    fh.write(json.dumps(d, ensure_ascii=False) + "\n")
            j1, j2 = [], []
            for _ in range(3):  # interleaved too
                j1.append(wall(esp + ["-j", "1", str(big)], ESP_ENV))
                j2.append(wall(esp + ["-j", "2", str(big)], ESP_ENV))
            res["jobs"] = (n, statistics.median(j1), statistics.median(j2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return res


# ------------------------------------------------------------------ the report

def verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**MISS**"


def report(inp: dict[str, Any], proc: dict[str, Any] | None, args: argparse.Namespace) -> None:
    cs: list[Contender] = inp["contenders"]
    by = {c.label: c for c in cs}
    hand = next((c for c in cs if c.label == "hand-written Python"), None)
    hand_facts = next((c for c in cs if c.label.startswith("hand-written Python, rules + facts")), None)
    out()
    out(f"## espolicy benchmark ({'quick' if args.quick else 'full'}: {inp['n_all']:,} documents, seed {args.seed}, "
        f"{args.repeats} interleaved repeats, median)")
    out()
    for line in machine():
        out(line)
    kinds = ", ".join(f"{k} {v:,}" for k, v in sorted(inp["kinds"].items()))
    st = inp["stats"]
    out(f"- corpus: {kinds}; outcomes: allow {st['allow']:,}, deny {st['deny']:,}, review {st['review']:,}, "
        f"invalid {st['invalid']:,} (rule-breaking {(st['deny'] + st['review']) / inp['n_all']:.0%}, "
        f"invalid {st['invalid'] / inp['n_all']:.1%}); peers judge the {inp['n_valid']:,} valid ones")
    out()
    out("| contender | docs | µs/doc (median) | min–max | × hand-written | agrees with espolicy | how |")
    out("|---|---:|---:|---:|---:|---|---|")
    for c in cs:
        lo, hi = min(c.samples) / c.n * 1e6, max(c.samples) / c.n * 1e6
        ratio = f"{c.us / hand.us:.1f}×" if hand and c.n == hand.n else ""
        out(f"| {c.label} | {c.n:,} | {fmt_us(c.us)} | {fmt_us(lo)}–{fmt_us(hi)} | {ratio} | {c.agreement} | {c.note} |")
    for note in inp["peer_notes"]:
        out(f"| {note} | | | | | | |")
    out()
    if inp["examples"]:
        out("Differences (first examples):")
        for e in inp["examples"]:
            out(f"- {e}")
        out()

    # whole processes
    if proc:
        w = proc["wall"]
        out("| whole process (median wall time) | espolicy | check-jsonschema | ratio |")
        out("|---|---:|---:|---:|")
        cj1, cj1000 = w.get("check-jsonschema one.json"), w.get("check-jsonschema 1000")
        out(f"| one registration file | {fmt_ms(w['espolicy one.yaml'])} (`one.yaml`), {fmt_ms(w['espolicy one.json'])} "
            f"(`one.json`) | {fmt_ms(cj1) if cj1 else 'n/a'} (`one.json`) | "
            f"{w['espolicy one.yaml'] / cj1:.2f}× |" if cj1 else "| one file | | n/a | |")
        out(f"| one registration file, espolicy's compiled-policy cache off | {fmt_ms(w['espolicy one.yaml, cache off'])} "
            f"(`one.yaml`) | | {w['espolicy one.yaml, cache off'] / cj1:.2f}× |" if cj1 else "")
        if cj1000:
            out(f"| folder of 1,000 registration files (JSON) | {fmt_ms(w['espolicy 1000'])} | {fmt_ms(cj1000)} | "
                f"{w['espolicy 1000'] / cj1000:.2f}× |")
        out()
        t_rss, rss = proc["rss_corpus"]
        out("| startup and memory | value |")
        out("|---|---:|")
        out(f"| `python -c pass` | {fmt_ms(w['python -c pass'])} |")
        out(f"| `python -c \"import espolicy\"` (wall; net of `pass`) | {fmt_ms(w['import espolicy'])} "
            f"({fmt_ms(w['import espolicy'] - w['python -c pass'])}) |")
        out(f"| `import espolicy` measured inside the process | {fmt_ms(proc['import_in_process'])} |")
        out(f"| `load_policy()` in a fresh process, compiled-policy cache off (parse + check + compile) | "
            f"{fmt_ms(proc['compile_cold'])} |")
        out(f"| `load_policy()` in a fresh process, from the compiled-policy cache | {fmt_ms(proc['compile_cached'])} |")
        out(f"| `load_policy()` again in a warm process, cache off (compile alone, imports done) | "
            f"{fmt_ms(inp['compile_warm'])} |")
        out(f"| peak RSS, `espolicy validate one.json` | {proc['rss_one'][1]:.0f} MiB |")
        out(f"| peak RSS, `espolicy validate --format json corpus.jsonl` ({inp['n_all']:,} docs, "
            f"{fmt_ms(t_rss)}, {t_rss / inp['n_all'] * 1e6:.0f} µs/doc) | {rss:.0f} MiB |")
        t2, rss2 = proc["rss_corpus_text"]
        out(f"| peak RSS, `espolicy validate corpus.jsonl` (text, {fmt_ms(t2)}) | {rss2:.0f} MiB |")
        out()

    # targets
    out("| target | measured | result |")
    out("|---|---|---|")
    rules = by["espolicy rules only: `validate` minus the schema stage"]
    run_only = by["espolicy `programs[kind].run` only (no report)"]
    e2e = by["espolicy `Policy.validate`, end to end (valid documents)"]
    if hand_facts:
        r = run_only.us / hand_facts.us
        out(f"| rules only (generated `run`: rules + facts) ≤ 2× the same by hand | {fmt_us(run_only.us)} / "
            f"{fmt_us(hand_facts.us)} µs = {r:.1f}× | {verdict(r <= 2)}{'' if r <= 2 else f' by {r / 2:.1f}×'} |")
    if hand:
        r = rules.us / hand.us
        out(f"| rules + report (messages en/ja, findings, facts) ≤ 2× outcome-only by hand | {fmt_us(rules.us)} / "
            f"{fmt_us(hand.us)} µs = {r:.1f}× | {verdict(r <= 2)}"
            f"{'' if r <= 2 else f' by {r / 2:.1f}×'} |")
    outcome_only = by.get("espolicy rules only, reading only `outcome`")
    if hand and outcome_only:
        r = outcome_only.us / hand.us
        out(f"| `Policy.validate` reading only `outcome` (schema stage aside) ≤ 3× outcome-only by hand | "
            f"{fmt_us(outcome_only.us)} / {fmt_us(hand.us)} µs = {r:.1f}× | {verdict(r <= 3)}"
            f"{'' if r <= 3 else f' by {r / 3:.1f}×'} |")
    invalid = by.get("espolicy `Policy.validate`, end to end (invalid documents)")
    if invalid and invalid.n:
        r = invalid.us / e2e.us
        out(f"| an invalid document ≤ 3× a valid one (end to end) | {fmt_us(invalid.us)} / {fmt_us(e2e.us)} µs = "
            f"{r:.1f}× | {verdict(r <= 3)}{'' if r <= 3 else f' by {r / 3:.1f}×'} |")
    peers = [c for c in cs if c.group == "rules" and not c.label.startswith(("espolicy", "hand-written"))]
    if peers:
        fastest = min(peers, key=lambda c: c.us)
        r = e2e.us / fastest.us
        out(f"| end to end faster than the fastest peer's rules alone ({fastest.label.split(' (')[0]}) | "
            f"{fmt_us(e2e.us)} vs {fmt_us(fastest.us)} µs = {r:.2f}× | {verdict(r < 1)}"
            f"{'' if r < 1 else f' by {r:.2f}×'} |")
    rego = next((c for c in cs if c.label.startswith("Rego")), None)
    if rego:
        r = rego.us / e2e.us
        out(f"| end to end ≥ 10× faster than regopy | {fmt_us(rego.us)} / {fmt_us(e2e.us)} µs = {r:.1f}× | "
            f"{verdict(r >= 10)}{'' if r >= 10 else f' (needs {10 / r:.1f}× more)'} |")
    if proc and "check-jsonschema one.json" in proc["wall"]:
        w = proc["wall"]
        r1 = w["espolicy one.yaml"] / w["check-jsonschema one.json"]
        out(f"| one file ≤ check-jsonschema | {fmt_ms(w['espolicy one.yaml'])} / {fmt_ms(w['check-jsonschema one.json'])}"
            f" = {r1:.2f}× | {verdict(r1 <= 1)}{'' if r1 <= 1 else f' by {r1:.2f}×'} |")
        r2 = w["espolicy 1000"] / w["check-jsonschema 1000"]
        out(f"| 1,000 files ≤ 0.5× check-jsonschema | {fmt_ms(w['espolicy 1000'])} / {fmt_ms(w['check-jsonschema 1000'])}"
            f" = {r2:.2f}× | {verdict(r2 <= 0.5)}{'' if r2 <= 0.5 else f' by {r2 / 0.5:.2f}×'} |")
    if proc:
        if "jobs" in proc:
            n, j1, j2 = proc["jobs"]
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
            quiet = load < 1.5   # a 2-core machine with room for both workers
            goal, need = ("≥ 1.8× `-j 1` (quiet machine)", 1.8) if quiet else ("never slower than `-j 1` (busy machine)", 1.0)
            out(f"| `-j 2` {goal} ({n:,} JSONL records, load {load:.1f}) | {fmt_ms(j1)} / {fmt_ms(j2)} = "
                f"{j1 / j2:.2f}× | {verdict(j1 / j2 >= need)} |")
        else:
            out("| `-j 2` ≥ 1.6× `-j 1` | `espolicy validate` has no `-j` yet (the CI issue adds it) | n/a |")
    out()
    if inp["profile"]:
        out(inp["profile"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="espolicy vs its peers")
    ap.add_argument("--quick", action="store_true", help="4,000 documents, 3 repeats, 3 process runs")
    ap.add_argument("-n", type=int, help="documents in the corpus (default 20,000; quick 4,000)")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--repeats", type=int, help="interleaved repeats (default 7; quick 3)")
    ap.add_argument("--runs", type=int, help="runs of each whole-process measurement (default 9; quick 3)")
    ap.add_argument("--no-process", action="store_true", help="skip the whole-process measurements")
    ap.add_argument("--profile", action="store_true", help="also print a cProfile of espolicy's validate")
    args = ap.parse_args(argv)
    args.n = args.n or (4_000 if args.quick else 20_000)
    args.repeats = args.repeats or (3 if args.quick else 7)
    args.runs = args.runs or (3 if args.quick else 9)

    # the compiled-policy cache (if this espolicy has one) and the subprocesses' bytecode live in a
    # temporary folder for the run
    scratch = Path(tempfile.mkdtemp(prefix="espolicy-bench-"))
    os.environ["ESPOLICY_CACHE_DIR"] = ESP_ENV["ESPOLICY_CACHE_DIR"] = str(scratch / "policy-cache")
    BASE_ENV["PYTHONPYCACHEPREFIX"] = ESP_ENV["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    try:
        return _main(args)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _main(args: argparse.Namespace) -> int:
    t = time.perf_counter()
    docs = corpus.generate(args.n, args.seed)
    out(f"corpus: {len(docs):,} documents in {time.perf_counter() - t:.1f} s; checking agreement and timing…")
    inp = in_process(docs, args.repeats, args.profile)
    proc = None
    if not args.no_process:
        out("whole-process timings…")
        proc = processes(docs, args.runs, args.quick)
    report(inp, proc, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
