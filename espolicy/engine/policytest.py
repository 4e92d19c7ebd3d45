"""`espolicy test`: the policy's own test cases, in `tests/*.yaml` next to the rule files.

A test file is a mapping:

```yaml
documents:                 # optional: named base documents
  registration: {kind: registration, id: REG-1, …}
tests:
  - name: Q6 a six-year pack is denied        # FAQ scenarios are named after their question
    base: registration                        # a document of `documents:` …
    changes:                                  # … changed by JSON Pointer; null deletes
      /pack/term_years: 6
    expect:
      outcome: deny                           # allow | deny | review | invalid
      fired: [term-beyond-five-years]         # rule ids, or {rule, effect, path, faq, message,
                                              #  advice, lacks}: its questions, words per language
      not_fired: [service-ends-without-notice]
      exactly: true                           # nothing but `fired` fires (deny, review, warn;
                                              # `exactly: [deny, review, warn, info]` counts info too)
      facts: {service_last_day: 2031-03-31}   # a subset of the facts; null: the fact is absent
      all_facts: true                         # `facts` is all of them: any other fact is a difference
      faq: [Q6]                               # questions the findings cite
  - name: an inline document
    today: 2026-05-11                         # the date the rules read as `today` (default: now, Japan)
    document: {kind: service_request, …}
    expect: {outcome: allow}
```

Coverage (`--coverage`): each rule should fire in at least one test and, in a test of a kind it
applies to, not fire in at least one; the percentage counts both halves of every rule.
"""
from __future__ import annotations

import copy
import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from espolicy.documents.loader import expansion_problem, timestamp_as_written
from espolicy.files import read_regular
from espolicy.limits import DEFAULT_LIMITS

from espolicy import pointers
from espolicy.effects import FAIL_LEVELS, OUTCOMES, RULE_EFFECTS
from espolicy.report import Report

TEST_SUFFIXES = (".yaml", ".yml")
_CASE_KEYS = {"name", "document", "base", "changes", "expect", "today"}
_EXPECT_KEYS = {"outcome", "fired", "not_fired", "exactly", "facts", "all_facts", "faq"}
_FIRED_KEYS = {"rule", "effect", "path", "faq", "message", "advice", "lacks"}
_TEXT_KEYS = ("message", "advice", "lacks")
LANGUAGES = ("en", "ja")      # the languages of every message and advice
EXACT_EFFECTS = FAIL_LEVELS   # what `exactly: true` compares; info only when listed


class CaseFileError(Exception):
    """A test file that cannot be read as test cases: file, line, what is wrong and what to write."""

    def __init__(self, file: str, line: int | None, message: str, hint: str | None = None):
        self.file, self.line, self.message, self.hint = file, line, message, hint
        super().__init__(f"{file}:{line or 1}: error[test-file]: {message}" + (f"\n  help: {hint}" if hint else ""))


@dataclass
class Case:
    name: str
    file: str
    line: int
    document: Any
    expect: dict[str, Any]
    today: _dt.date | None = None  # the evaluation date (`today` in the rules); None: the current date in Japan
    rule_refs: list[tuple[str, int]] = field(default_factory=list)  # (rule id, line) named in `expect`


@dataclass
class Result:
    case: Case
    report: Report | None
    problems: list[str] = field(default_factory=list)  # readable diff lines; empty when the test passes

    @property
    def passed(self) -> bool:
        return not self.problems


# ---------------------------------------------------------------- reading test files

class _Loader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys (a test that says a thing twice says nothing)."""


def _no_duplicates(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise CaseFileError(loader.name, key_node.start_mark.line + 1, f"`{key}` is given twice "
                                f"(first on line {seen[key]})", "keep one of them: a test that says a thing twice "
                                "says nothing")
        seen[key] = key_node.start_mark.line + 1
    return yaml.SafeLoader.construct_mapping(loader, node, deep=True)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", timestamp_as_written)   # as documents are read


def display_path(path: Path) -> str:
    """`path` relative to the working folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def find_test_files(policy_dir: Path) -> list[Path]:
    folder = policy_dir / "tests"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in TEST_SUFFIXES and p.is_file())


def load_cases(path: Path) -> list[Case]:
    """The test cases of one file; CaseFileError when the file is not a valid test file."""
    file = display_path(path)
    try:   # a test file is bounded as documents are (espolicy.limits), aliases expanded included
        raw = read_regular(path, DEFAULT_LIMITS.max_bytes)
    except OSError as e:
        raise CaseFileError(file, None, f"cannot read the file: {e.strerror or e}",
                            "check that the file exists and that you may read it") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        from espolicy.sources import not_utf8
        d = not_utf8(file, raw, e.start)
        raise CaseFileError(file, d.span.line if d.span else None, d.message, d.hint) from None
    loader = _Loader(text)
    loader.name = file
    try:
        node = loader.get_single_node()
        too_big = expansion_problem(node) if node is not None else None
        if too_big is not None:
            raise CaseFileError(file, too_big.line, too_big.text("message", "en").split(": ", 1)[-1])
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise CaseFileError(file, mark.line + 1 if mark else None,
                            f"not valid YAML: {getattr(e, 'problem', None) or e}",
                            "look for an unclosed `{` or `[`, a tab in the indentation, or a `:` inside an "
                            "unquoted value") from None
    except (RecursionError, OverflowError, ValueError) as e:
        raise CaseFileError(file, None, f"not valid YAML: {type(e).__name__}: {e}") from None
    finally:
        loader.dispose()
    if data is None:
        return []
    if isinstance(data, list):
        data, tests_node = {"tests": data}, node
    elif isinstance(data, dict):
        unknown = set(data) - {"documents", "tests"}
        if unknown:
            raise CaseFileError(file, 1, f"unknown section `{sorted(unknown)[0]}`",
                                "a test file has `documents:` (optional) and `tests:`")
        tests_node = _value_node(node, "tests")
    else:
        raise CaseFileError(file, 1, "a test file is a mapping with `tests:` (and optionally `documents:`)",
                            "start the file with `tests:` and list the cases under it")
    documents = data.get("documents") or {}
    if not isinstance(documents, dict):
        raise CaseFileError(file, _line_of(node, "documents"), "`documents:` maps names to documents",
                            "write `documents:` then `  NAME: {kind: …, …}`")
    tests = data.get("tests") or []
    if not isinstance(tests, list):
        raise CaseFileError(file, _line_of(node, "tests"), "`tests:` is a list of test cases",
                            "write each case as `- name: …` under `tests:`")
    nodes = list(tests_node.value) if isinstance(tests_node, yaml.SequenceNode) else []
    cases: list[Case] = []
    names: dict[str, int] = {}
    for i, raw in enumerate(tests):
        line = nodes[i].start_mark.line + 1 if i < len(nodes) else 1
        case = _case(raw, documents, file, line)
        case.rule_refs = _rule_refs(nodes[i]) if i < len(nodes) else []
        if case.name in names:
            raise CaseFileError(file, line, f"test `{case.name}` is named twice (first on line {names[case.name]})",
                                "give every test its own name: the name is how a failure is found")
        names[case.name] = line
        cases.append(case)
    return cases


def _rule_refs(case_node: yaml.Node) -> list[tuple[str, int]]:
    """Every rule id a test case's `expect` names (in `fired`, `not_fired`), with its line."""
    expect = _value_node(case_node, "expect")
    out: list[tuple[str, int]] = []
    for key in ("fired", "not_fired"):
        seq = _value_node(expect, key) if expect is not None else None
        for item in seq.value if isinstance(seq, yaml.SequenceNode) else []:
            ref = _value_node(item, "rule") if isinstance(item, yaml.MappingNode) else item
            if isinstance(ref, yaml.ScalarNode):
                out.append((str(ref.value), ref.start_mark.line + 1))
    return out


def unknown_rules(cases: Iterable[Case], rule_ids: Iterable[str]) -> list[CaseFileError]:
    """An error at its line for every rule id a test names that the policy does not have: a test
    of a misspelt rule would pass for ever."""
    from espolicy.fuzzy import did_you_mean
    known = sorted(set(rule_ids))
    errors = []
    for case in cases:
        for rule, line in case.rule_refs:
            if rule not in known:
                hint = did_you_mean(rule, known)
                errors.append(CaseFileError(case.file, line, f"test `{case.name}`: the policy has no rule `{rule}`",
                                            hint or "name a rule id of the policy (`espolicy doc` lists them)"))
    return errors


def _value_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v
    return None


def _line_of(node: yaml.Node | None, key: str) -> int:
    v = _value_node(node, key)
    return v.start_mark.line + 1 if v is not None else 1


def _case(raw: Any, documents: dict[str, Any], file: str, line: int) -> Case:
    if not isinstance(raw, dict):
        raise CaseFileError(file, line, "a test case is a mapping",
                            "write `- name: …`, then `base:` or `document:`, then `expect:`")
    unknown = set(raw) - _CASE_KEYS
    if unknown:
        from espolicy.fuzzy import did_you_mean
        key = sorted(map(str, unknown))[0]
        hint = did_you_mean(key, _CASE_KEYS)
        raise CaseFileError(file, line, f"unknown key `{key}` in a test case",
                            hint or "a test case has `name`, `document` or `base`, `changes` and `expect`")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CaseFileError(file, line, "every test case needs a `name`",
                            "add `name: …` saying what the case shows (FAQ scenarios start with their question, `Q6 …`)")
    if ("document" in raw) == ("base" in raw):
        raise CaseFileError(file, line, f"test `{name}` needs either `document` or `base`, not both",
                            "`document:` holds the document inline; `base:` names one of `documents:`")
    if "base" in raw:
        base = raw["base"]
        if base not in documents:
            from espolicy.fuzzy import did_you_mean
            hint = did_you_mean(str(base), [str(d) for d in documents])
            raise CaseFileError(file, line, f"test `{name}`: there is no document `{base}` in `documents:`",
                                hint or "name a document of `documents:` at the top of the file")
        doc = copy.deepcopy(documents[base])
    else:
        if "changes" in raw and not isinstance(raw["document"], dict):
            raise CaseFileError(file, line, f"test `{name}`: `changes` needs a mapping document",
                                "give the document as a mapping (`kind: …`), or leave `changes` out")
        doc = copy.deepcopy(raw["document"])
    changes = raw.get("changes") or {}
    if not isinstance(changes, dict):
        raise CaseFileError(file, line, f"test `{name}`: `changes` maps JSON Pointers to values",
                            "write e.g. `changes: {/pack/term_years: 6}`; `null` deletes")
    for pointer, value in changes.items():
        try:
            doc = apply_change(doc, str(pointer), value)
        except ValueError as e:
            raise CaseFileError(file, line, f"test `{name}`: change `{pointer}`: {e}",
                                "a change names a place by JSON Pointer, e.g. `/pack/term_years` or `/history/0`"
                                ) from None
    expect = raw.get("expect")
    if not isinstance(expect, dict) or not expect:
        raise CaseFileError(file, line, f"test `{name}` needs `expect:`",
                            "say what must come out: `expect: {outcome: deny, fired: [RULE]}` (also not_fired, "
                            "exactly, facts, all_facts, faq)")
    _check_expect(expect, name, file, line)
    return Case(name, file, line, doc, expect, _today(raw.get("today"), name, file, line))


def _today(value: Any, name: str, file: str, line: int) -> _dt.date | None:
    if value is None or (isinstance(value, _dt.date) and not isinstance(value, _dt.datetime)):
        return value
    try:
        return _dt.date.fromisoformat(str(value)) if len(str(value)) == 10 else _dt.date.fromisoformat("")
    except ValueError:
        raise CaseFileError(file, line, f"test `{name}`: `today` is a date written YYYY-MM-DD, not `{value}`") \
            from None


def _check_expect(expect: dict[str, Any], name: str, file: str, line: int) -> None:
    unknown = set(expect) - _EXPECT_KEYS
    if unknown:
        from espolicy.fuzzy import did_you_mean
        key = sorted(map(str, unknown))[0]
        hint = did_you_mean(key, _EXPECT_KEYS)
        raise CaseFileError(file, line, f"test `{name}`: unknown key `{key}` in `expect`",
                            hint or "`expect` has outcome, fired, not_fired, exactly, facts, all_facts and faq")
    if "outcome" in expect and expect["outcome"] not in OUTCOMES:
        from espolicy.fuzzy import did_you_mean
        raise CaseFileError(file, line, f"test `{name}`: outcome `{expect['outcome']}` is not an outcome",
                            did_you_mean(str(expect["outcome"]), OUTCOMES) or "write one of " + ", ".join(OUTCOMES))
    for key in ("fired", "not_fired", "faq"):
        if key in expect and not isinstance(expect[key], list):
            raise CaseFileError(file, line, f"test `{name}`: `{key}` is a list",
                                f"write `{key}: [{'Q6' if key == 'faq' else 'RULE-ID'}]`, even for one")
    for item in expect.get("fired", []):
        if isinstance(item, dict):
            _check_fired(item, name, file, line)
        elif not isinstance(item, str):
            raise CaseFileError(file, line, f"test `{name}`: `fired` lists rule ids",
                                "write `fired: [RULE-ID, …]`")
    if not isinstance(expect.get("all_facts", False), bool):
        raise CaseFileError(file, line, f"test `{name}`: `all_facts` is true or false",
                            "write `all_facts: true` to say that `facts` lists every fact of the report")
    exactly = expect.get("exactly", False)
    if not (isinstance(exactly, bool) or (isinstance(exactly, list) and exactly
                                          and all(e in RULE_EFFECTS for e in exactly))):
        raise CaseFileError(file, line, f"test `{name}`: `exactly` is true (compare deny, review and warn "
                            "findings) or a list of effects to compare", "write `exactly: true`, or e.g. "
                            "`exactly: [deny, review, warn, info]` to count info findings too")
    if "facts" in expect and not isinstance(expect["facts"], dict):
        raise CaseFileError(file, line, f"test `{name}`: `facts` maps fact names to values",
                            "write e.g. `facts: {service_last_day: 2031-03-31}`")


def _check_fired(item: dict[str, Any], name: str, file: str, line: int) -> None:
    """An entry of `fired` written as a mapping: `rule`, and optionally `effect`, `path`, `faq` (the
    questions the finding cites, exactly), and text expectations: `message` (a string found in the
    message or advice in any language, or `{en: …, ja: …}`: strings found in the message in that
    language), `advice` (the same, in the advice) and `lacks` (strings in neither)."""
    if "rule" not in item or set(item) - _FIRED_KEYS:
        raise CaseFileError(file, line, f"test `{name}`: an entry of `fired` is a rule id or a mapping "
                            "with `rule`", "write `{rule: RULE-ID, path: /pack/term_years}` (also `effect`, "
                            "`faq`, `message`, `advice`, `lacks`)")
    if "faq" in item and not (isinstance(item["faq"], list) and all(isinstance(q, str) for q in item["faq"])):
        raise CaseFileError(file, line, f"test `{name}`: the `faq` of `{item['rule']}` lists questions",
                            "write e.g. `faq: [Q10, Q11]`, or `faq: []` for a rule that cites none")
    for key in _TEXT_KEYS:
        if key in item and _texts_by_language(item[key]) is None:
            raise CaseFileError(file, line, f"test `{name}`: the `{key}` of `{item['rule']}` is a text or maps "
                                f"{' and '.join(LANGUAGES)} to texts",
                                f"write e.g. `{key}: 03-3454-6818`, or `{key}: {{en: [Fri 31 Mar 2028], "
                                "ja: [2028年3月31日]}`")


def _texts_by_language(value: Any) -> dict[str | None, list[str]] | None:
    """A text expectation as {language or None (any language): texts}; None when malformed."""
    if isinstance(value, str):
        return {None: [value]}
    if not isinstance(value, dict) or not value or set(value) - set(LANGUAGES):
        return None
    out: dict[str | None, list[str]] = {}
    for lang, texts in value.items():
        texts = [texts] if isinstance(texts, str) else texts
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t for t in texts):
            return None
        out[lang] = texts
    return out


def apply_change(doc: Any, pointer: str, value: Any) -> Any:
    """`doc` with the value at JSON Pointer `pointer` replaced by `value` (None deletes it). Missing
    mappings on the way are created; `-` appends to a list."""
    if pointer == "":
        if value is None:
            raise ValueError("the whole document cannot be deleted")
        return copy.deepcopy(value)
    if not pointer.startswith("/"):
        raise ValueError("a JSON Pointer starts with `/`, e.g. `/pack/term_years`")
    tokens = pointers.tokens(pointer)
    target = doc
    for depth, tok in enumerate(tokens[:-1]):
        if isinstance(target, dict):
            if tok not in target or target[tok] is None:
                if value is None:
                    return doc  # deleting something already absent
                target[tok] = {}
            target = target[tok]
        elif isinstance(target, list):
            target = target[_index(target, tok, pointer)]
        else:
            raise ValueError(f"`/{'/'.join(tokens[:depth + 1])}` is not a mapping or a list")
    last = tokens[-1]
    if isinstance(target, dict):
        if value is None:
            target.pop(last, None)
        else:
            target[last] = copy.deepcopy(value)
    elif isinstance(target, list):
        if last == "-":
            if value is None:
                raise ValueError("`-` appends; it cannot delete")
            target.append(copy.deepcopy(value))
        elif value is None:
            del target[_index(target, last, pointer)]
        else:
            target[_index(target, last, pointer)] = copy.deepcopy(value)
    else:
        raise ValueError("its parent is not a mapping or a list")
    return doc


def _index(items: list[Any], tok: str, pointer: str) -> int:
    if not tok.isdigit() or int(tok) >= len(items):
        raise ValueError(f"`{tok}` is not an index of the list (it has {len(items)} entries)")
    return int(tok)


# ---------------------------------------------------------------- running

def run_case(policy: Any, case: Case) -> Result:
    report = policy.validate(case.document, source=f"{case.file}:{case.line}", today=case.today)
    return Result(case, report, compare(case.expect, report, {r.id: r.kinds for r in policy.rules}))


def select(cases: list[Case], patterns: Iterable[str]) -> list[Case]:
    """The cases whose name (or `file:name`) matches any of `patterns` (`-k`): a glob when it holds
    `*`, `?` or `[`, else a substring; case is ignored. No patterns: all of them."""
    import fnmatch
    pats = [p.lower() for p in patterns]
    if not pats:
        return cases

    def hit(case: Case) -> bool:
        names = (case.name.lower(), f"{case.file}:{case.name}".lower())
        return any(fnmatch.fnmatchcase(n, p) if any(c in p for c in "*?[") else p in n for p in pats for n in names)
    return [c for c in cases if hit(c)]


def _why_not(rule: str, report: Report, rule_kinds: dict[str, tuple[str, ...]]) -> str:
    kinds = rule_kinds.get(rule)
    if report.outcome == "invalid":
        return "the document is invalid, so no rule ran"
    if kinds is not None and report.kind not in kinds:
        return f"it did not: it is for {', '.join(kinds)} documents, this one is {report.kind}"
    return f"it did not: its condition was false; `espolicy explain DOC --rule {rule}` shows why"


def compare(expect: dict[str, Any], report: Report,
            rule_kinds: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """What differs between the expectation and the report, as readable diff lines (- expected, + actual).
    `rule_kinds` (rule id -> kinds) lets a rule that did not fire say why."""
    rule_kinds = rule_kinds or {}
    problems: list[str] = []
    fired = [f for f in report.findings if f.effect != "error"]
    fired_ids = [f.rule for f in fired]
    if "outcome" in expect and expect["outcome"] != report.outcome:
        problems += [f"outcome  - {expect['outcome']}", f"         + {report.outcome}"]
    for item in expect.get("fired", []):
        spec = item if isinstance(item, dict) else {"rule": item}
        rule = spec["rule"]
        found = [f for f in fired if f.rule == rule]
        if not found:
            problems.append(f"fired    - {rule}  (expected to fire; {_why_not(rule, report, rule_kinds)})")
            continue
        for key in ("effect", "path"):
            if key in spec and all(getattr(f, key) != spec[key] for f in found):
                problems += [f"{rule} {key}  - {spec[key]}",
                             f"{' ' * len(rule)} {' ' * len(key)}  + {', '.join(sorted({str(getattr(f, key)) for f in found}))}"]
        if "faq" in spec and all(list(f.faq) != list(spec["faq"]) for f in found):
            problems += [f"{rule} faq  - {', '.join(spec['faq']) or '(none)'}",
                         f"{' ' * len(rule)}      + {' | '.join(', '.join(f.faq) or '(none)' for f in found)}"]
        # the texts are those of the findings at the entry's effect and path, when it gives them
        chosen = [f for f in found if all(getattr(f, k) == spec[k] for k in ("effect", "path") if k in spec)]
        problems += _text_problems(rule, spec, chosen or found)
    for rule in expect.get("not_fired", []):
        if rule in fired_ids:
            problems.append(f"fired    + {rule}  (expected not to fire; it did)")
    if expect.get("exactly"):
        effects = EXACT_EFFECTS if expect["exactly"] is True else tuple(expect["exactly"])
        wanted = {i["rule"] if isinstance(i, dict) else i for i in expect.get("fired", [])}
        for rule in sorted({f.rule for f in fired if f.effect in effects} - wanted):
            if rule not in expect.get("not_fired", []):
                problems.append(f"fired    + {rule}  (not in `fired`, and `exactly` is set)")
        for rule, path in _unlisted_paths(expect.get("fired", []), [f for f in fired if f.effect in effects]):
            problems.append(f"fired    + {rule} at {path}  (not in `fired`, and `exactly` is set)")
    if expect.get("all_facts"):
        for name in sorted(set(report.facts) - set(expect.get("facts") or {})):
            problems += [f"fact {name}  - (absent)", f"     {' ' * len(name)}  + {_show(report.facts[name])}"]
    for name, want in (expect.get("facts") or {}).items():
        have = report.facts.get(name)
        if want is None:
            if name in report.facts:
                problems += [f"fact {name}  - (absent)", f"     {' ' * len(name)}  + {_show(have)}"]
        elif name not in report.facts:
            problems += [f"fact {name}  - {_show(want)}", f"     {' ' * len(name)}  + (absent)"]
        elif not _same(want, have):
            problems += [f"fact {name}  - {_show(want)}", f"     {' ' * len(name)}  + {_show(have)}"]
    if "faq" in expect:
        cited = {q for f in fired for q in f.faq}
        missing = [q for q in expect["faq"] if q not in cited]
        if missing:
            problems += [f"faq      - {', '.join(map(str, expect['faq']))}",
                         f"         + {', '.join(sorted(cited, key=lambda q: int(q[1:]))) or '(none)'}"]
    if problems:
        problems.append("the document fired: " + (", ".join(f"{f.rule} ({f.effect})" for f in fired) or "nothing")
                        + f"; outcome {report.outcome}")
        errors = [f for f in report.findings if f.effect == "error"]
        for f in errors:
            problems.append(f"invalid: {f.path or '/'}: {f.message.get('en', '')}")
    return problems


def _text_problems(rule: str, spec: dict[str, Any], found: list[Any]) -> list[str]:
    """The text expectations of one `fired` entry (`message`, `advice`, `lacks`) that `found`, the
    findings of its rule, do not meet."""
    problems: list[str] = []
    for key in (k for k in _TEXT_KEYS if k in spec):
        for lang, texts in (_texts_by_language(spec[key]) or {}).items():
            for text in texts:
                hits = [f for f in found if text in _text_of(f, key, lang)]
                label = f"{rule} {key}{'' if lang is None else ' ' + lang}"
                under = " " * len(label)
                if key == "lacks" and hits:
                    have = _text_of(hits[0], key, lang)
                    at = have.index(text)
                    problems += [f"{label}  - …{text}…", f"{under}  + …{have[max(0, at - 30):at + len(text) + 30]}…"]
                elif key != "lacks" and not hits:
                    problems += [f"{label}  - …{text}…", f"{under}  + {_text_of(found[0], key, lang or 'en')}"]
    return problems


def _text_of(finding: Any, key: str, lang: str | None) -> str:
    """The text an expectation searches: the message (`message` in any language searches the advice
    too), the advice, or both (`lacks`); every language when `lang` is None."""
    parts = {"message": (finding.message,) if lang else (finding.message, finding.advice or {}),
             "advice": (finding.advice or {},), "lacks": (finding.message, finding.advice or {})}[key]
    return "\n".join(part.get(lg, "") for part in parts for lg in ((lang,) if lang else LANGUAGES))


def _unlisted_paths(listed: list[Any], fired: list[Any]) -> list[tuple[str, str]]:
    """(rule, path) of the findings whose rule `fired` lists only with paths, at a path it does not
    list: under `exactly`, a rule listed at its paths fires at those and nowhere else."""
    paths: dict[str, set[str]] = {}
    anywhere: set[str] = set()      # rules listed once without a path: any path will do
    for item in listed:
        rule = item["rule"] if isinstance(item, dict) else item
        if isinstance(item, dict) and "path" in item:
            paths.setdefault(rule, set()).add(str(item["path"]))
        else:
            anywhere.add(rule)
    return sorted({(f.rule, f.path) for f in fired
                   if f.rule in paths and f.rule not in anywhere and f.path not in paths[f.rule]})


def _same(want: Any, have: Any) -> bool:
    """A fact as computed (dates are ISO strings) against the value a test file gives (YAML reads
    an unquoted date as a date)."""
    if isinstance(want, _dt.datetime) and isinstance(have, str):
        try:
            return _dt.datetime.fromisoformat(have) == want
        except ValueError:
            return False
    if isinstance(want, _dt.date) and isinstance(have, str):
        return have == want.isoformat()
    return have == want


def _show(value: Any) -> str:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


# ---------------------------------------------------------------- coverage

@dataclass
class RuleCoverage:
    rule: str
    kinds: tuple[str, ...]
    fired: list[str] = field(default_factory=list)      # test names
    not_fired: list[str] = field(default_factory=list)  # test names (documents of its kinds)


def coverage(policy: Any, results: Iterable[Result]) -> list[RuleCoverage]:
    cov = {r.id: RuleCoverage(r.id, r.kinds) for r in policy.rules}
    for res in results:
        rep = res.report
        if rep is None or rep.outcome == "invalid":
            continue
        fired = {f.rule for f in rep.findings}
        for rc in cov.values():
            if rc.rule in fired:
                rc.fired.append(res.case.name)
            elif rep.kind in rc.kinds:
                rc.not_fired.append(res.case.name)
    return list(cov.values())


def percent(cov: list[RuleCoverage]) -> float:
    if not cov:
        return 100.0
    return 100.0 * sum(bool(c.fired) + bool(c.not_fired) for c in cov) / (2 * len(cov))


def faq_scenarios(results: Iterable[Result], references: Iterable[str]) -> dict[str, list[str]]:
    """Declared reference (`Q6`) → names of the tests named after it (`Q6 …`, `Q10/Q11 …`)."""
    import re
    out: dict[str, list[str]] = {r: [] for r in references}
    for res in results:
        for q in re.findall(r"\bQ(\d+)\b", res.case.name):
            if f"Q{q}" in out:
                out[f"Q{q}"].append(res.case.name)
    return out
