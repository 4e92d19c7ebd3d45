"""Judging a batch of documents for `espolicy validate`: streamed, optionally over processes.

The parent process walks the paths and loads the documents one at a time (a JSON Lines file is
read in blocks of whole lines). With `jobs == 1` each document is judged as it is read. With more jobs the
documents go in chunks to a pool of worker processes (each holding the policy, which is
picklable) and the reports come back chunk by chunk in input order, with only a few chunks in
flight, so memory stays flat however many documents there are and the output (and the exit code)
is byte for byte what one process gives. A batch of at most one chunk never starts processes.

Who does what with `-j N`: the parent reads a JSON Lines file in blocks of whole lines
(`RawBlock`, cut at the per-file cap, if any) and YAML/JSON files whole; a worker splits and
parses a block with the loader's own code (`expand_block`), skips other kinds (`--kind`), judges,
places the findings
(a JSON document's positions travel with its text) and limits them (`--max-findings`). A YAML
document's positions (its node tree) stay in the parent, which places its findings when the
report comes back. When no format shows reports (`--quiet`, `--summary-only`), workers keep
only a `Verdict` (outcome, fails) and no positions are computed. A block whose documents are all
verdicts (or texts a streaming format rendered in the worker) comes back as one `Tally`: counts,
whether any fails, the waivers used, the texts joined; the parent counts it and writes it at once.
"""
from __future__ import annotations

import datetime as _dt
import itertools
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from espolicy.effects import OUTCOMES, severity
from espolicy.limits import DEFAULT_LIMITS, Limits
from espolicy.documents.loader import Loaded, RawBlock, expand_block, iter_documents
from espolicy.documents.positions import JsonPositions, attach, evolve, placed
from espolicy.report import Finding, Report, Summary, invalid_report
from espolicy.engine.waivers import Waivers, apply_waivers
from espolicy.engine.workers import WorkerDied, Workers
from espolicy.safetext import display_path

if TYPE_CHECKING:
    from espolicy.engine.policy import Policy
    from espolicy.engine.progress import Progress

__all__ = ["BatchOptions", "WorkerDied", "documents", "judge", "report_of", "reports", "run", "cpu_count"]

CHUNK = 256                 # documents sent to a worker at a time
_IN_FLIGHT_PER_JOB = 3      # chunks queued per worker (bounds memory, keeps workers busy)


@dataclass(frozen=True)
class BatchOptions:
    """How to run a batch: processes, fail level, kinds to keep, findings per document, limits,
    and whether the reports are wanted at all (`reports=False`: only outcomes are counted)."""

    jobs: int = 1
    fail_on: str = "deny"
    kinds: frozenset[str] = frozenset()
    max_findings: int | None = None
    limits: Limits = DEFAULT_LIMITS
    reports: bool = True
    chunk: int = CHUNK
    render: Callable[[Report], str] | None = None  # the format's picklable renderer, for `-j` workers
    separator: str = ""   # what the format writes between two results' texts (a worker joins a block's with it)
    waivers: Waivers | None = None
    today: _dt.date | None = None  # the evaluation date (None: the current date in Japan, per document)


def cpu_count() -> int:
    """The processors this process may run on (`--jobs auto`)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# ---------------------------------------------------------------- documents

def documents(files: Iterable[str], stdin: TextIO | None = None, progress: Progress | None = None,
              limits: Limits = DEFAULT_LIMITS, blocks: bool = False,
              stdin_format: str | None = None) -> Iterator[tuple[str, Loaded]]:
    """(file, document) of every document of `files`, in order (`blocks`: a JSON Lines file as
    blocks of lines, for worker processes to split and parse; `stdin_format`: the format of `-`,
    else sniffed)."""
    for path in files:
        if progress is not None:
            progress.file(path)
        shown = display_path(path)   # a name that is not UTF-8 is shown (and reported) with \xNN escapes
        for loaded in iter_documents(path, stdin=stdin, limits=limits, blocks=blocks, stdin_format=stdin_format):
            if shown != path:
                loaded = _renamed(loaded, path, shown)
            if progress is not None:
                progress.read(loaded.source)
            yield shown, loaded


def _renamed(loaded: Loaded, path: str, shown: str) -> Loaded:
    """`loaded` with the file name `path` written as `shown` in its source and its problem."""
    problem = loaded.problem
    if problem is not None:
        problem = evolve(problem, message={k: v.replace(path, shown) for k, v in problem.message.items()})
    return evolve(loaded, source=shown + loaded.source[len(path):], problem=problem)


def _other_kind(doc: object, kinds: frozenset[str], known: Iterable[str]) -> bool:
    """True for a document whose `kind` is a known kind that was not asked for. A document that
    cannot be read, has no `kind` or an unknown one is never skipped: it is invalid whatever
    was asked for."""
    if not kinds or not isinstance(doc, Mapping):
        return False
    kind = doc.get("kind")
    return isinstance(kind, str) and kind not in kinds and kind in known


# ---------------------------------------------------------------- one document

def limit(findings: list[Finding], count: int | None) -> list[Finding]:
    """At most `count` findings, the most severe first (error, deny, review, warn, info, then
    the waived ones; in their order within an effect); all of them, in their order, when there
    are not more."""
    if count is None or len(findings) <= count:
        return findings
    return sorted(findings, key=lambda f: (f.waived, severity(f.effect)))[:count]


def report_of(policy: Policy, loaded: Loaded, waivers: Waivers | None, today: _dt.date | None = None) -> Report:
    """The report of a loaded document on the date `today` (an unreadable one is `invalid`), waivers applied."""
    if loaded.problem is None:
        return policy.validate(loaded.doc, loaded.source, waivers, today)
    report = invalid_report([loaded.problem], None, loaded.source)
    return report if waivers is None else apply_waivers(report, waivers)


def judge(policy: Policy, file: str, loaded: Loaded, max_findings: int | None = None,
          waivers: Waivers | None = None, today: _dt.date | None = None) -> Report:
    """The report of one loaded document: judged on `today`, waivers applied, findings placed in the file,
    limited."""
    report = report_of(policy, loaded, waivers, today)
    findings = placed(limit(report.findings, max_findings), loaded.positions, loaded.doc)
    if findings is report.findings:
        return evolve(report, file=file)
    return evolve(report, file=file, findings=findings)


class Verdict(NamedTuple):
    """What the batch keeps of a report that it does not hand on whole: its outcome, whether it
    fails, its waived and refused findings and, when a worker process rendered it for a streaming
    format, its text (a plain tuple across processes, the cheapest thing to pickle)."""

    outcome: str
    failing: bool
    waived: tuple[int, ...] = ()
    refused: tuple[int, ...] = ()
    text: str | None = None

    def fails(self, fail_on: str) -> bool:
        return self.failing


class Tally(NamedTuple):
    """What the batch keeps of the documents of one item (a block of JSON Lines) that a worker
    judged when none of their reports is handed on whole: how many of each outcome (in the order
    of `OUTCOMES`), whether any fails, the waivers their findings used, and their texts joined
    (None when no format shows them). One message and one write for a block, not one per document."""

    counts: tuple[int, ...]
    failing: bool
    waived: tuple[int, ...]
    refused: tuple[int, ...]
    text: str | None

    @property
    def documents(self) -> int:
        return sum(self.counts)


def _one(policy: Policy, file: str, loaded: Loaded, options: BatchOptions) -> Report | Verdict | None:
    """Select (`--kind`), judge: the report, a Verdict when reports are not wanted, None when the
    document is of another kind."""
    if options.kinds and loaded.problem is None and _other_kind(loaded.doc, options.kinds, policy.schemas.kinds):
        return None
    if not options.reports:
        report = report_of(policy, loaded, options.waivers, options.today)
        return Verdict(report.outcome, report.fails(options.fail_on), report.waived, report.refused)
    return judge(policy, file, loaded, options.max_findings, options.waivers, options.today)


# ---------------------------------------------------------------- the batch

def reports(policy: Policy, items: Iterable[tuple[str, Loaded]], options: BatchOptions) -> Iterator[Report | Verdict]:
    """The report (or Verdict) of every (file, document) that is not skipped, in input order,
    over `options.jobs` processes."""
    yield from _judged(policy, items, options, tallies=False)   # type: ignore[misc]  # no Tally without tallies


def _judged(policy: Policy, items: Iterable[tuple[str, Loaded]], options: BatchOptions,
            tallies: bool) -> Iterator[Report | Verdict | Tally]:
    """`reports`, and with `tallies` a worker's whole block of verdicts as one Tally."""
    if options.jobs <= 1:
        for file, loaded in items:
            done = _one(policy, file, loaded, options)
            if done is not None:
                yield done
        return
    yield from _parallel(policy, items, options, tallies)


def run(policy: Policy, items: Iterable[tuple[str, Loaded]], options: BatchOptions, out: Any = None,
        progress: Progress | None = None, summary: Summary | None = None) -> tuple[Summary, bool]:
    """Judge every document, hand each report to `out.result` (when reports are wanted) and
    count it in `summary` (a new one when None); the summary and whether anything is at or
    above the fail level."""
    summary = Summary() if summary is None else summary
    failed = False
    for report in _judged(policy, items, options, tallies=True):
        if isinstance(report, Tally):
            if report.text:
                out.emit(report.text)
            summary.add_tally(report)
            failed = failed or report.failing
            if progress is not None:
                progress.done(report.documents)
            continue
        if report.__class__ is Verdict and report.text is not None:
            out.emit(report.text)
        elif out is not None and options.reports:
            out.result(report)
        summary.add(report)   # a Verdict has the outcome Summary counts
        failed = failed or report.fails(options.fail_on)
        if progress is not None:
            progress.done()
    return summary, failed


# ---------------------------------------------------------------- processes

_worker_policy: Policy | None = None
_worker_options: BatchOptions | None = None   # sent once, with the policy (waivers, renderer), not with every chunk


def _init_worker(policy: Policy, options: BatchOptions) -> Callable[[Any], list[list[Any]]]:
    """A worker's setup: keep the policy and the options; the function that judges a chunk."""
    global _worker_policy, _worker_options
    _worker_policy, _worker_options = policy, options
    return _judge_chunk


_Items = list[tuple[str, str, Any, Any, Any, bool]]   # (file, source, doc or RawBlock, problem, positions, render)
_Payload = tuple[bool, _Items]   # (tallies wanted, items)


def _expand(file: str, loaded: Loaded, limits: Limits) -> Iterable[Loaded]:
    """The documents an item stands for: a block of JSON Lines gives many, anything else itself."""
    if isinstance(loaded.doc, RawBlock):
        return expand_block(file, loaded.doc, limits)
    return (loaded,)


def _weight(loaded: Loaded) -> int:
    """About how many documents an item holds (a chunk is about `options.chunk` documents)."""
    return loaded.doc.data.count(b"\n") + 1 if isinstance(loaded.doc, RawBlock) else 1


def _judge_chunk(payload: _Payload) -> list[list[Any]]:
    """Judge a chunk in a worker process (`_judge_payload` with the worker's policy and options)."""
    assert _worker_policy is not None and _worker_options is not None
    return _judge_payload(_worker_policy, payload, _worker_options)


def _judge_payload(policy: Policy, payload: _Payload, options: BatchOptions) -> list[Any]:
    """The results of each item of a chunk (a block of JSON Lines has many); with a renderer,
    documents placed here come back as their text (the parent only writes it); with tallies
    wanted, an item whose results are all verdicts comes back as one Tally."""
    tallies, items = payload
    out: list[Any] = []
    for file, source, doc, problem, positions, render in items:
        results: list[Any] = []
        for loaded in _expand(file, Loaded(source, doc, problem, positions), options.limits):
            done = _one(policy, file, loaded, options)
            if render and isinstance(done, Report) and options.render is not None:
                results.append((done.outcome, done.fails(options.fail_on), done.waived, done.refused,  # a Verdict
                                options.render(done)))
            elif done.__class__ is Verdict:   # as a plain tuple: a NamedTuple costs 2 µs more to pickle, 1 µs to load
                results.append(tuple(done))
            else:
                results.append(done)
        out.append(_tallied(results, options.separator) if tallies else results)
    return out


def _tallied(results: list[Any], separator: str) -> Tally | list[Any]:
    """`results` as one Tally when each is a verdict (a plain tuple) or a skipped document (None);
    else as they are. Texts are joined with `separator`, empty ones left out (none is written)."""
    counts = dict.fromkeys(OUTCOMES, 0)
    failing = False
    waived: list[int] = []
    refused: list[int] = []
    texts: list[str] = []
    for result in results:
        if result is None:
            continue
        if result.__class__ is not tuple:
            return results
        counts[result[0]] += 1
        failing = failing or result[1]
        waived.extend(result[2])
        refused.extend(result[3])
        if len(result) > 4 and result[4]:
            texts.append(result[4])
    return Tally(tuple(counts.values()), failing, tuple(waived), tuple(refused), separator.join(texts) if texts else None)


def _chunks(items: Iterator[tuple[str, Loaded]], size: int) -> Iterator[list[tuple[str, Loaded]]]:
    """Consecutive items of about `size` documents in all."""
    chunk: list[tuple[str, Loaded]] = []
    weight = 0
    for item in items:
        chunk.append(item)
        weight += _weight(item[1])
        if weight >= size:
            yield chunk
            chunk, weight = [], 0
    if chunk:
        yield chunk


def _payload(chunk: list[tuple[str, Loaded]], reports: bool) -> tuple[_Items, list[tuple[int, Any]]]:
    """What crosses to a worker for a chunk, and the YAML positions kept here: (index in chunk,
    positions) of each document whose findings the parent places when its report comes back."""
    payload: _Items = []
    deferred: list[tuple[int, Any]] = []
    for index, (file, loaded) in enumerate(chunk):
        positions = loaded.positions
        if positions is not None and not isinstance(positions, JsonPositions):
            if reports:
                deferred.append((index, positions))
            positions = None
        render = loaded.positions is None or isinstance(loaded.positions, JsonPositions)
        payload.append((file, loaded.source, loaded.doc, loaded.problem, positions, render))
    return payload, deferred


def _context() -> Any:
    """fork where there is one (no recompiling the policy per worker), the default elsewhere."""
    try:
        return multiprocessing.get_context("fork")
    except ValueError:
        return multiprocessing.get_context()


def _parallel(policy: Policy, items: Iterable[tuple[str, Loaded]], options: BatchOptions,
              tallies: bool) -> Iterator[Report | Verdict | Tally]:
    chunks = _chunks(iter(items), options.chunk)
    head = list(itertools.islice(chunks, 2))
    if len(head) < 2:   # one chunk at most: starting processes would cost more than it saves
        for chunk in head:
            for file, item in chunk:
                for loaded in _expand(file, item, options.limits):
                    done = _one(policy, file, loaded, options)
                    if done is not None:
                        yield done
        return
    for stream in (sys.stdout, sys.stderr):   # a forked worker must not inherit unwritten output
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    workers = Workers(_context(), options.jobs, _init_worker, (policy, options))
    try:
        pending: deque[tuple[int, list[tuple[int, Any]]]] = deque()   # (chunk number, YAML positions kept here)
        most = 4 * options.jobs * _IN_FLIGHT_PER_JOB   # chunks held at most (bounds memory)
        for chunk in itertools.chain(head, chunks):
            payload, deferred = _payload(chunk, options.reports)
            # the parent never judges a chunk itself, even when the workers are behind: a third busy
            # process on the cores was measured slower, on a quiet machine and on a loaded one alike
            pending.append((workers.send((tallies, payload)), deferred))
            while pending and (workers.ready(pending[0][0]) or len(pending) >= most):
                number, deferred = pending.popleft()
                yield from _finish(workers.result(number), deferred)
        while pending:
            number, deferred = pending.popleft()
            yield from _finish(workers.result(number), deferred)
        workers.close()
    finally:
        workers.terminate()


def _finish(done: list[Any], deferred: list[tuple[int, Any]]) -> Iterator[Report | Verdict | Tally]:
    """The reports (and tallies) of a judged chunk, in order, YAML findings placed here with their
    node trees."""
    for index, positions in deferred:   # YAML documents (one result each, never tallied: a Report)
        if done[index] and done[index][0] is not None:
            done[index][0] = attach(done[index][0], positions)
    for results in done:
        if results.__class__ is Tally:
            yield results
        else:
            yield from (Verdict(*report) if report.__class__ is tuple else report
                        for report in results if report is not None)
