"""Waivers: the file's schema and its mistakes at line:col, matching (ids, globs, sources),
outcomes and summaries without the waived findings, expiry between two runs (`--today`),
unused waivers and `--strict-waivers`, `check --waivers`, `explain`, the API, `-j`, and every
output format read back with its parser (SARIF validated against the SARIF 2.1.0 schema)."""
from __future__ import annotations

import datetime as dt
import fnmatch
import json
import pickle
import re
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings, strategies as st

import espolicy
from espolicy.commands import main as cli
from espolicy.engine.waiverfile import parse_waivers
from espolicy.engine.waivers import WaiverError, Waivers, apply_waivers, normal_path
from espolicy.report import Finding, Report

from documents import registration

HERE = Path(__file__).resolve().parent
DAY = dt.date(2026, 11, 30)

DENY = registration(id="REG-W-DENY", history=[{"generation": "ESP", "term_years": 3, "registered_on": "2025-04-15"}])
REVIEW = registration(id="REG-W-REVIEW", pack={"generation": "ESP"})
OK = registration(id="REG-W-OK")
INVALID = registration(id="REG-W-TYPO", requets={})


def waivers_text(*entries: dict[str, Any]) -> str:
    """A waivers file laid out as people write it: `- rule:` at column 5 of line 2, then one
    field a line, so that an entry of N fields takes N lines."""
    lines = ["waivers:"]
    for e in entries:
        for i, (key, value) in enumerate(e.items()):
            lines.append(("  - " if i == 0 else "    ") + f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def entry(rule: str = "mixed-generations", documents: Any = ("REG-W-DENY",), expires: str = "2026-12-01",
          **more: Any) -> dict[str, Any]:
    e: dict[str, Any] = {"rule": rule}
    if documents is not None:
        e["documents"] = list(documents)
    e.update({"reason": "approved by the sales manager", "owner": "sato@example.co.jp", "expires": expires})
    e.update(more)
    return e


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with docs/deny.yaml (mixed generations), docs/review.yaml, docs/ok.yaml and
    docs/typo.yaml (invalid), as the current folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    for name, doc in (("deny", DENY), ("review", REVIEW), ("ok", OK), ("typo", INVALID)):
        (tmp_path / "docs" / f"{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return code, out, err


def errors_of(text: str, rule_ids: list[str] | None = None) -> list[str]:
    ids = rule_ids if rule_ids is not None else [r.id for r in espolicy.default_policy().rules]
    with pytest.raises(WaiverError) as e:
        parse_waivers(text, "w.yaml", ids, DAY)
    return [d.render() for d in e.value.diagnostics]


# ---------------------------------------------------------------- the file and its mistakes

@pytest.mark.parametrize("text, place, words", [
    ("waivers:\n  - rule: mixed-generations\n    documents: [A]\n    owner: x\n    expires: 2027-01-01\n",
     "w.yaml:2:5", "has no `reason`"),
    ("waivers:\n  - rule: mixed-generations\n    documents: [A]\n    reason: r\n    expires: 2027-01-01\n",
     "w.yaml:2:5", "has no `owner`"),
    ("waivers:\n  - rule: mixed-generations\n    documents: [A]\n    reason: r\n    owner: o\n",
     "w.yaml:2:5", "has no `expires`"),
    ("waivers:\n  - documents: [A]\n    reason: r\n    owner: o\n    expires: 2027-01-01\n",
     "w.yaml:2:5", "has no `rule`"),
    ("waivers:\n  - rule: mixed-generations\n    reason: r\n    owner: o\n    expires: 2027-01-01\n",
     "w.yaml:2:5", "names no `documents` or `sources`"),
    ("waivers:\n  - rule: mixed-generations\n    documents: [A]\n    sources: [a.yaml]\n    reason: r\n"
     "    owner: o\n    expires: 2027-01-01\n", "w.yaml:2:5", "either `documents` or `sources`"),
    ("waivers:\n  - rule: mixed-generations\n    documents: [A]\n    reason: r\n    owner: o\n"
     "    expires: 2027-02-30\n", "w.yaml:6:14", "`expires` must be a date"),
    ("waivers:\n  - rule: mixed-generations\n    documents: [A]\n    reason: r\n    owner: o\n"
     "    expires: next year\n", "w.yaml:6:14", "`expires` must be a date"),
    ("waivers:\n  - rule: mixed-generations\n    documents: [A]\n    reason: r\n    owner: o\n"
     "    expires: 2027-01-01\n    tiket: SUP-1\n", "w.yaml:7:5", "did you mean `ticket`?"),
    ("waivers:\n  - rule: mixed-generations\n    documents: [A]\n    reason:\n    owner: o\n"
     "    expires: 2027-01-01\n", "w.yaml:4:12", "`reason` is empty"),
    ("waivers:\n  - rule: mixed-generations\n    documents: []\n    reason: r\n    owner: o\n"
     "    expires: 2027-01-01\n", "w.yaml:3:16", "`documents` is an empty list"),
    ("waivers:\n  - rule: mixed-generations\n    documents: [{a: 1}]\n    reason: r\n    owner: o\n"
     "    expires: 2027-01-01\n", "w.yaml:3:17", "`documents` must hold ids or globs"),
    ("waiver:\n  - rule: x\n", "w.yaml:1:1", "did you mean `waivers`?"),
    ("waivers: {rule: x}\n", "w.yaml:1:10", "`waivers` must be a list"),
    ("- rule: x\n", "w.yaml:1:1", "must be a mapping"),
    ("waivers:\n  - rule: [x\n", "w.yaml:3:1", "not valid YAML"),
    ("", "w.yaml:1:1", "the waivers file is empty"),
    ("waivers:\n  - rule: mixed-generations\n    rule: mixed-generations\n", "w.yaml:3:5", "appears twice"),
])
def test_each_mistake_is_reported_at_its_line_and_column(text: str, place: str, words: str) -> None:
    found = errors_of(text)
    assert any(d.startswith(place + ": error[") and words in d for d in found), found


def test_every_mistake_of_a_file_is_reported_in_file_order() -> None:
    text = ("waivers:\n  - rule: mixed-generation\n    documents: [A]\n    reason: r\n    owner: o\n"
            "    expires: 2027-13-01\n    tiket: 1\n")
    found = errors_of(text)
    assert [d.split(": error")[0] for d in found] == ["w.yaml:2:11", "w.yaml:6:14", "w.yaml:7:5"]


def test_an_unknown_rule_id_is_an_error_with_did_you_mean() -> None:
    text = waivers_text(entry(rule="mixed-generation"))
    [message] = errors_of(text)
    assert "error[waiver-unknown-rule]: the policy has no rule `mixed-generation`" in message
    assert "did you mean `mixed-generations`?" in message
    assert "^" in message                               # a caret excerpt under the id


def test_a_rule_glob_must_match_a_rule_and_schema_errors_are_never_waivable() -> None:
    assert "matches no rule of the policy" in errors_of(waivers_text(entry(rule="no-such-*")))[0]
    message = errors_of(waivers_text(entry(rule="schema-required")))[0]
    assert "never waived" in message


def test_the_help_line_says_what_to_write_for_a_missing_field() -> None:
    message = errors_of("waivers:\n  - rule: mixed-generations\n    documents: [A]\n    reason: r\n    owner: o\n")[0]
    assert "expires: YYYY-MM-DD" in message


def test_an_empty_list_is_no_waivers_and_the_digest_is_of_the_bytes(tmp_path: Path, policy) -> None:
    path = tmp_path / "w.yaml"
    path.write_bytes(b"waivers:\n")
    w = policy.load_waivers(path, DAY)
    assert w.entries == () and w.digest.startswith("sha256:") and len(w.digest) == 71
    path.write_bytes(b"waivers:  \n")
    assert policy.load_waivers(path, DAY).digest != w.digest


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path, policy) -> None:
    path = tmp_path / "w.yaml"
    path.write_bytes(b"waivers:\n  - rule: \xff\n")
    with pytest.raises(WaiverError) as e:
        policy.load_waivers(path, DAY)
    assert "not UTF-8" in str(e.value) and str(path) in str(e.value)


# ---------------------------------------------------------------- what a waiver does

def test_a_waived_finding_stays_marked_and_the_outcome_ignores_it(policy) -> None:
    w = parse_waivers(waivers_text(entry(ticket="SUP-1")), "w.yaml", [r.id for r in policy.rules], DAY)
    plain = policy.validate(DENY)
    report = policy.validate(DENY, waivers=w)
    assert plain.outcome == "deny" and report.outcome == "allow"
    assert [f.rule for f in report.findings] == [f.rule for f in plain.findings]
    [waived] = [f for f in report.findings if f.rule == "mixed-generations"]
    assert waived.waived
    assert waived.to_dict()["waived"] == {"reason": "approved by the sales manager", "owner": "sato@example.co.jp",
                                          "expires": "2026-12-01", "file": "w.yaml", "line": 2, "ticket": "SUP-1"}
    assert not report.fails("deny") and plain.fails("deny")


def test_the_outcome_falls_to_the_next_unwaived_effect(policy) -> None:
    doc = registration(id="REG-W-BOTH", pack={"generation": "ESP"},
                       history=[{"generation": "ESP_G2", "term_years": 3, "registered_on": "2025-04-15"}])
    plain = policy.validate(doc)
    effects = {f.rule: f.effect for f in plain.findings}
    denies = [r for r, e in effects.items() if e == "deny"]
    assert plain.outcome == "deny" and "review" in effects.values(), effects
    w = parse_waivers(waivers_text(*[entry(rule=r, documents=["REG-W-BOTH"]) for r in denies]), "w.yaml",
                      [r.id for r in policy.rules], DAY)
    assert policy.validate(doc, waivers=w).outcome == "review"


def test_invalid_documents_are_never_waived_and_the_report_says_so(policy) -> None:
    w = parse_waivers(waivers_text(entry(rule="*", documents=["REG-W-*"])), "w.yaml", [r.id for r in policy.rules], DAY)
    report = policy.validate(INVALID, waivers=w)
    assert report.outcome == "invalid" and report.fails("deny")
    [f] = report.findings
    assert f.effect == "error" and not f.waived
    assert "waived" not in f.to_dict()
    assert "never waived" in f.to_dict()["not_waivable"]["note"]
    assert report.refused == (0,) and report.waived == ()


def test_expiry_is_on_the_day_itself(policy) -> None:
    text = waivers_text(entry(expires="2026-12-01"))
    ids = [r.id for r in policy.rules]
    assert policy.validate(DENY, waivers=parse_waivers(text, "w", ids, dt.date(2026, 11, 30))).outcome == "allow"
    on_the_day = parse_waivers(text, "w", ids, dt.date(2026, 12, 1))
    assert on_the_day.expired and not on_the_day.active
    assert policy.validate(DENY, waivers=on_the_day).outcome == "deny"


def test_the_first_waiver_in_file_order_is_the_one_reported(policy) -> None:
    ids = [r.id for r in policy.rules]
    w = parse_waivers(waivers_text(entry(rule="mixed-*", documents=["REG-W-*"], reason="first"),
                                   entry(reason="second")), "w", ids, DAY)
    [f] = [f for f in policy.validate(DENY, waivers=w).findings if f.rule == "mixed-generations"]
    assert f.waiver is not None and f.waiver.reason == "first" and f.waiver.line == 2


@pytest.mark.parametrize("target, matches", [
    ({"documents": ["REG-W-DENY"]}, True),
    ({"documents": ["REG-W-*"]}, True),
    ({"documents": ["REG-?-DENY"]}, True),
    ({"documents": ["REG-W-[DX]ENY"]}, True),
    ({"documents": ["REG-W-DEN"]}, False),
    ({"documents": ["reg-w-deny"]}, False),                 # ids are matched case for case
    ({"sources": ["deny.yaml"]}, True),                     # a name without `/`: the file name
    ({"sources": ["*.yaml"]}, True),
    ({"sources": ["docs/deny.yaml"]}, True),                # with `/`: the whole path
    ({"sources": ["./docs/deny.yaml"]}, True),
    ({"sources": ["docs/*"]}, True),
    ({"sources": ["**/deny.yaml"]}, True),
    ({"sources": ["other/deny.yaml"]}, False),
    ({"sources": ["deny.yml"]}, False),
])
def test_documents_and_sources_globs(policy, target: dict[str, Any], matches: bool) -> None:
    e = entry(documents=None)
    e.update(target)
    w = parse_waivers(waivers_text(e), "w", [r.id for r in policy.rules], DAY)
    report = policy.validate(DENY, "docs/deny.yaml:1", waivers=w)
    assert (report.outcome == "allow") is matches


# The index must agree with the plain reading of the file: the first entry in force, in file
# order, whose rule glob matches the rule and one of whose documents (or sources) matches.
_ID = st.sampled_from(["REG-1", "REG-2", "REG-10", "SRV-1", "A/B", "x"])
_PATTERN = st.sampled_from(["REG-1", "REG-*", "*-1", "REG-?", "*", "SRV-[12]", "A/B", "x", "y*", "REG-1*",
                            "R*G-*", "REG-10*", "A/*"])
_PATH_PATTERN = st.sampled_from(["a.yaml", "*.yaml", "docs/a.yaml", "docs/*", "**/b.jsonl", "b.jsonl", "*/*/*",
                                 "a*", "docs/s*/*.jsonl", "do*/a.yaml", "**/*.yaml", "b?jsonl"])
_PATH = st.sampled_from(["a.yaml", "docs/a.yaml", "docs/sub/b.jsonl", "b.jsonl", "docs/a.yaml:7", "-"])
_RULES = ["mixed-generations", "term-beyond-five-years", "g2-term-not-in-catalogue", "ups-battery-is-consumable"]
_RULE_PATTERN = st.sampled_from(_RULES + ["*", "mixed-*", "*-five-*", "ups-battery-*", "g?-term-*"])


@st.composite
def _entries(draw: Any) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(1, 8))):
        e = {"rule": draw(_RULE_PATTERN)}
        if draw(st.booleans()):
            e["documents"] = draw(st.lists(_PATTERN, min_size=1, max_size=3))
        else:
            e["sources"] = draw(st.lists(_PATH_PATTERN, min_size=1, max_size=3))
        e.update(reason="r", owner="o", expires=draw(st.sampled_from(["2026-11-01", "2026-12-31"])))
        out.append(e)
    return out


def _naive(entries: list[dict[str, Any]], today: dt.date, rule: str, doc_id: str | None, path: str | None) -> int | None:
    for index, e in enumerate(entries):
        if dt.date.fromisoformat(e["expires"]) <= today or not fnmatch.fnmatchcase(rule, e["rule"]):
            continue
        if "documents" in e and doc_id is not None and any(fnmatch.fnmatchcase(doc_id, p) for p in e["documents"]):
            return index
        if "sources" in e and path not in (None, "-"):
            full = re.sub(r":\d+$", "", path)
            for p in e["sources"]:
                name_only = "/" not in p
                if (name_only and fnmatch.fnmatchcase(full.rpartition("/")[2], p)) or (
                        not name_only and (fnmatch.fnmatchcase(full, p) or (
                            p.startswith("**/") and fnmatch.fnmatchcase(full, p[3:])))):
                    return index
    return None


@settings(max_examples=500, deadline=None)
@given(_entries(), st.sampled_from(_RULES), st.one_of(st.none(), _ID), _PATH)
def test_the_index_agrees_with_reading_the_file_in_order(entries, rule, doc_id, path) -> None:
    w = parse_waivers(waivers_text(*entries), "w", _RULES, DAY)
    found = w.match(rule, doc_id, None if path == "-" else normal_path(path))
    expected = _naive(entries, DAY, rule, doc_id, path)
    assert (found.index if found is not None else None) == expected


def test_waivers_pickle_and_match_the_same(policy) -> None:
    w = parse_waivers(waivers_text(entry(documents=["REG-W-*"])), "w", [r.id for r in policy.rules], DAY)
    again = pickle.loads(pickle.dumps(w))
    assert again == w and again.match("mixed-generations", "REG-W-DENY", None) is not None


def test_a_report_without_matches_is_returned_as_is(policy) -> None:
    w = parse_waivers(waivers_text(entry(documents=["OTHER"])), "w", [r.id for r in policy.rules], DAY)
    plain = policy.validate(DENY)
    assert apply_waivers(plain, w) is plain


# ---------------------------------------------------------------- the API

def test_the_api_takes_a_waivers_object_or_a_path(tmp_path: Path, policy, monkeypatch) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(waivers_text(entry(expires="2999-01-01")), encoding="utf-8")
    assert policy.validate(DENY, waivers=str(path)).outcome == "allow"
    assert espolicy.validate(DENY, waivers=path).outcome == "allow"
    loaded = policy.load_waivers(path)
    assert isinstance(loaded, Waivers) and policy.validate(DENY, waivers=loaded).outcome == "allow"
    path.write_text(waivers_text(entry(rule="mixed-generation")), encoding="utf-8")
    with pytest.raises(espolicy.PolicyError):      # a bad waivers file raises like a bad policy
        policy.validate(DENY, waivers=path)


# ---------------------------------------------------------------- the command line

def test_expiry_between_two_runs(work: Path, capsys) -> None:
    Path("w.yaml").write_text(waivers_text(entry(expires="2026-12-01")), encoding="utf-8")
    code, out, err = run(capsys, "validate", "--waivers", "w.yaml", "--today", "2026-11-30", "docs/deny.yaml")
    assert code == 0 and "WAIVED" in out and "approved by the sales manager" in out and not err
    code, out, err = run(capsys, "validate", "--waivers", "w.yaml", "--today", "2026-12-01", "docs/deny.yaml")
    assert code == 1 and "WAIVED" not in out and "DENY" in out
    assert "warning: the waiver at w.yaml:2 (`mixed-generations` for `REG-W-DENY`" in err
    assert "expired on 2026-12-01" in err


def test_an_expired_warn_waiver_fails_at_fail_on_warn(work: Path, capsys) -> None:
    doc = registration(id="REG-W-WARN", registration_date="2026-05-11",
                       server={"warranty_start": "2025-02-03"}, pack={"purchase_date": "2026-05-01"})
    Path("docs/warn.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    Path("w.yaml").write_text(waivers_text(entry(rule="registered-after-warranty", documents=["REG-W-WARN"])),
                              encoding="utf-8")
    args = ["validate", "--waivers", "w.yaml", "--fail-on", "warn", "docs/warn.yaml"]
    assert run(capsys, *args, "--today", "2026-11-30")[0] == 0
    assert run(capsys, *args, "--today", "2026-12-02")[0] == 1


def test_unused_waivers_are_warned_and_strict_waivers_fails(work: Path, capsys) -> None:
    Path("w.yaml").write_text(waivers_text(entry(), entry(documents=["NOBODY"])), encoding="utf-8")
    code, out, err = run(capsys, "validate", "--waivers", "w.yaml", "--today", "2026-11-30", "docs/deny.yaml")
    assert code == 0
    assert "the waiver at w.yaml:7 (`mixed-generations` for `NOBODY`) matched no finding" in err
    assert "w.yaml:2" not in err
    code, out, err = run(capsys, "validate", "--waivers", "w.yaml", "--today", "2026-11-30", "--strict-waivers",
                         "docs/deny.yaml")
    assert code == 1 and "--strict-waivers: 0 expired, 1 unused" in err and "help:" in err


def test_strict_waivers_fails_on_an_expired_waiver(work: Path, capsys) -> None:
    Path("w.yaml").write_text(waivers_text(entry(), entry(rule="esp-for-earlier-product", documents=["REG-W-REVIEW"],
                                                          expires="2026-01-01")), encoding="utf-8")
    args = ["validate", "--waivers", "w.yaml", "--today", "2026-11-30", "docs/deny.yaml", "docs/review.yaml"]
    assert run(capsys, *args)[0] == 0
    code, _, err = run(capsys, *args, "--strict-waivers")
    assert code == 1 and "1 expired, 0 unused" in err


def test_the_waivers_file_in_the_current_folder_is_found(work: Path, capsys) -> None:
    Path(".espolicy-waivers.yaml").write_text(waivers_text(entry()), encoding="utf-8")
    code, out, _ = run(capsys, "validate", "--today", "2026-11-30", "--format", "json", "docs/deny.yaml")
    report = json.loads(out)
    assert code == 0 and report["waivers"]["file"] == ".espolicy-waivers.yaml"
    code, out, _ = run(capsys, "validate", "--no-waivers", "--today", "2026-11-30", "--format", "json", "docs/deny.yaml")
    assert code == 1 and "waivers" not in json.loads(out)


def test_a_bad_waivers_file_is_a_usage_error_naming_the_place(work: Path, capsys) -> None:
    Path("w.yaml").write_text(waivers_text(entry(rule="mixed-generation")), encoding="utf-8")
    code, out, err = run(capsys, "validate", "--waivers", "w.yaml", "docs/deny.yaml")
    assert code == 2 and out == "" and "w.yaml:2:11: error[waiver-unknown-rule]" in err
    code, out, err = run(capsys, "validate", "--waivers", "missing.yaml", "docs/deny.yaml")
    assert code == 2 and "cannot read the waivers file `missing.yaml`" in err and "help:" in err
    code, _, err = run(capsys, "validate", "--waivers", "w.yaml", "--today", "30/11/2026", "docs/deny.yaml")
    assert code == 2 and "YYYY-MM-DD" in err


def test_max_findings_keeps_the_waived_count(work: Path, capsys) -> None:
    doc = registration(id="REG-W-MANY", pack={"generation": "ESP", "term_years": 6},
                       history=[{"generation": "ESP_G2", "term_years": 3, "registered_on": "2025-04-15"}])
    Path("docs/many.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    Path("w.yaml").write_text(waivers_text(entry(rule="*", documents=["REG-W-MANY"])), encoding="utf-8")
    plain = json.loads(run(capsys, "validate", "--format", "json", "docs/many.yaml")[1])
    n = len(plain["results"][0]["findings"])
    assert n >= 2
    out = json.loads(run(capsys, "validate", "--waivers", "w.yaml", "--today", "2026-11-30", "--format", "json",
                         "--max-findings", "1", "docs/many.yaml")[1])
    assert len(out["results"][0]["findings"]) == 1 and out["summary"]["waived"] == n


def test_jobs_give_the_same_output_and_usage_with_waivers(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    lines = []
    for i in range(700):
        doc = dict(DENY if i % 3 == 0 else OK)
        doc["id"] = f"REG-J-{i:04d}"
        lines.append(json.dumps(doc))
    Path("big.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    Path("w.yaml").write_text(waivers_text(entry(documents=["REG-J-00*"]), entry(documents=["NONE"])), encoding="utf-8")
    base = ["validate", "--waivers", "w.yaml", "--today", "2026-11-30", "big.jsonl"]
    for fmt in ("json", "text", "jsonl", "github"):
        one = run(capsys, *base, "--format", fmt, "-j", "1")
        two = run(capsys, *base, "--format", fmt, "-j", "2")
        assert one == two, fmt
    code, out, err = run(capsys, *base, "--format", "json", "--quiet", "-j", "2")
    report = json.loads(out)
    assert report["summary"]["waived"] == 34 and report["summary"]["deny"] == 234 - 34
    assert [w["line"] for w in report["unused_waivers"]] == [7]


# ---------------------------------------------------------------- every format

@pytest.fixture
def mixed(work: Path) -> list[str]:
    """deny (waived), review (not waived), ok, typo (invalid, matched by a glob waiver), and an unused waiver."""
    Path("w.yaml").write_text(waivers_text(
        entry(ticket="SUP-1234"),
        entry(rule="*", documents=["REG-W-TYPO"]),
        entry(documents=["REG-UNUSED"])), encoding="utf-8")
    return ["--waivers", "w.yaml", "--today", "2026-11-30", "docs/deny.yaml", "docs/review.yaml", "docs/ok.yaml",
            "docs/typo.yaml"]


def test_text(mixed, capsys) -> None:
    code, out, err = run(capsys, "validate", *mixed)
    assert code == 1      # the invalid document always fails
    assert re.search(r"docs/deny.yaml  REG-W-DENY  registration  ALLOW\n  WAIVED  deny  \[Q10,Q11\]  mixed-generations", out)
    assert "waived: approved by the sales manager (owner sato@example.co.jp, expires 2026-12-01, ticket SUP-1234, w.yaml:2)" in out
    assert "not waived: an invalid document (effect `error`) is never waived" in out
    assert out.rstrip().endswith("4 documents: 2 allow, 1 review, 1 invalid; 1 finding waived")
    ja = run(capsys, "validate", "--lang", "ja", *mixed)[1]
    assert "免除: approved by the sales manager" in ja and "（免除 1 件）" in ja


def test_json(mixed, capsys, policy) -> None:
    report = json.loads(run(capsys, "validate", "--format", "json", *mixed)[1])
    assert list(report) == ["policy", "references", "waivers", "results", "summary", "unused_waivers"]
    assert report["policy"]["digest"] == policy.digest
    import hashlib
    assert report["waivers"]["digest"] == "sha256:" + hashlib.sha256(Path("w.yaml").read_bytes()).hexdigest()
    assert report["waivers"]["today"] == "2026-11-30" and report["waivers"]["entries"] == 3
    deny = report["results"][0]
    assert deny["outcome"] == "allow"
    waived = [f["waived"] for f in deny["findings"] if "waived" in f]
    assert waived == [{"reason": "approved by the sales manager", "owner": "sato@example.co.jp",
                       "expires": "2026-12-01", "file": "w.yaml", "line": 2, "ticket": "SUP-1234"}]
    typo = report["results"][3]
    assert typo["outcome"] == "invalid" and typo["findings"][0]["not_waivable"]["line"] == 8
    assert report["summary"] == {"documents": 4, "allow": 2, "deny": 0, "review": 1, "invalid": 1, "waived": 1}
    assert [w["line"] for w in report["unused_waivers"]] == [13]


def test_jsonl(mixed, capsys) -> None:
    lines = [json.loads(line) for line in run(capsys, "validate", "--format", "jsonl", *mixed)[1].splitlines()]
    assert [f["waived"]["line"] for f in lines[0]["findings"] if "waived" in f] == [2]
    last = lines[-1]
    assert last["summary"]["waived"] == 1
    assert last["waivers"]["file"] == "w.yaml" and [w["line"] for w in last["waivers"]["unused"]] == [13]


@pytest.fixture(scope="module")
def sarif_schema() -> jsonschema.Draft4Validator:
    schema = json.loads((HERE / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def test_sarif_validates_against_the_schema_with_suppressions(mixed, capsys, sarif_schema) -> None:
    log = json.loads(run(capsys, "validate", "--format", "sarif", *mixed)[1])
    assert not [e.message for e in sarif_schema.iter_errors(log)]
    run0 = log["runs"][0]
    suppressed = [r for r in run0["results"] if "suppressions" in r]
    assert [r["ruleId"] for r in suppressed] == ["mixed-generations"]
    [s] = suppressed[0]["suppressions"]
    assert s["kind"] == "external" and s["status"] == "accepted"
    assert s["justification"] == "approved by the sales manager"
    assert s["location"]["physicalLocation"]["artifactLocation"]["uri"] == "w.yaml"
    assert s["location"]["physicalLocation"]["region"]["startLine"] == 2
    assert s["properties"] == {"owner": "sato@example.co.jp", "expires": "2026-12-01", "ticket": "SUP-1234"}
    [invalid] = [r for r in run0["results"] if r["level"] == "error" and r["ruleId"].startswith("schema-")]
    assert "suppressions" not in invalid and invalid["properties"]["notWaivable"]["line"] == 8
    notes = run0["invocations"][0]["toolExecutionNotifications"]
    assert [(n["descriptor"]["id"], n["locations"][0]["physicalLocation"]["region"]["startLine"]) for n in notes] == \
        [("waiver-unused", 13)]
    assert run0["properties"]["waivers"]["digest"].startswith("sha256:")
    assert run0["properties"]["policy"]["digest"].startswith("sha256:")


def test_the_sarif_schema_is_really_applied(sarif_schema) -> None:
    broken = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [
        {"message": {"text": "m"}, "suppressions": [{"kind": "somewhere", "status": "accepted"}]}]}]}
    assert list(sarif_schema.iter_errors(broken))


def test_junit(mixed, capsys) -> None:
    out = run(capsys, "validate", "--format", "junit", *mixed)[1]
    root = ET.fromstring(out)
    cases = {c.get("name"): c for c in root.iter("testcase")}
    deny = cases["REG-W-DENY"]
    assert deny.find("failure") is None and deny.find("error") is None
    system_out = deny.findtext("system-out") or ""
    assert "WAIVED deny [Q10,Q11] mixed-generations" in system_out and "w.yaml:2" in system_out
    assert cases["REG-W-TYPO"].find("error") is not None
    assert root.get("failures") == "0" and root.get("errors") == "1"


_COMMAND = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")


def test_github_annotations(mixed, capsys) -> None:
    out = run(capsys, "validate", "--format", "github", *mixed)[1]
    commands = []
    for line in out.splitlines()[:-1]:
        m = _COMMAND.match(line)
        assert m, line
        props = dict(p.split("=", 1) for p in m.group(2).split(","))
        commands.append((m.group(1), props, m.group(3)))
    notices = [c for c in commands if c[0] == "notice"]
    assert len(notices) == 1
    level, props, body = notices[0]
    assert props["file"] == "docs/deny.yaml" and props["title"].startswith("waived deny mixed-generations")
    assert "waived: approved by the sales manager" in body
    unused = [c for c in commands if c[1].get("title") == "unused waiver"]
    assert [(c[0], c[1]["file"], c[1]["line"]) for c in unused] == [("warning", "w.yaml", "13")]
    assert not any(c[0] == "error" and c[1].get("file") == "docs/deny.yaml" for c in commands)


def test_explain_shows_the_waivers(mixed, capsys) -> None:
    code, out, _ = run(capsys, "explain", "--waivers", "w.yaml", "--today", "2026-11-30", "docs/deny.yaml")
    assert code == 0
    assert "outcome: deny" in out        # what the rules gave
    tail = out[out.index("waivers (w.yaml)"):]
    assert "WAIVED  deny  mixed-generations" in tail and "waived: approved by the sales manager" in tail
    assert "outcome with waivers: allow (the rules gave deny)" in tail
    data = json.loads(run(capsys, "explain", "--format", "json", "--waivers", "w.yaml", "--today", "2026-11-30",
                          "docs/deny.yaml")[1])
    assert data["waivers"]["file"] == "w.yaml" and data["waivers"]["digest"].startswith("sha256:")
    assert data["documents"][0]["outcome"] == "deny" and data["documents"][0]["waivers"]["outcome"] == "allow"


# ---------------------------------------------------------------- check --waivers

def test_check_waivers(work: Path, capsys) -> None:
    Path("w.yaml").write_text(waivers_text(entry(expires="2027-01-01")), encoding="utf-8")
    code, out, err = run(capsys, "check", "--waivers", "w.yaml", "--today", "2026-11-30")
    assert code == 0 and out.startswith("ok: 1 waiver in w.yaml, 1 in force on 2026-11-30 (sha256:")
    Path("w.yaml").write_text(waivers_text(entry(expires="2026-01-01"), entry(expires="2027-01-01")), encoding="utf-8")
    code, out, err = run(capsys, "check", "--waivers", "w.yaml", "--today", "2026-11-30")
    assert code == 1
    assert "w.yaml:2:5: warning[waiver-expired]" in err
    assert "w.yaml:7:5: warning[waiver-duplicate]" in err and "repeats the one at line 2" in err
    Path("w.yaml").write_text(waivers_text(entry(rule="mixed-generation")), encoding="utf-8")
    code, out, err = run(capsys, "check", "--waivers", "w.yaml", "--format", "json")
    [d] = json.loads(out)
    assert code == 2 and d["code"] == "waiver-unknown-rule" and (d["line"], d["column"]) == (2, 11)
    assert d["hint"] == "did you mean `mixed-generations`?"


def test_the_bundled_example_waivers_file_is_clean(capsys) -> None:
    path = HERE.parent / "docs" / "waivers-example.yaml"
    code, out, err = run(capsys, "check", "--waivers", str(path), "--today", "2026-11-29")
    assert code == 0, err
    code, out, err = run(capsys, "validate", "--waivers", str(path), "--today", "2026-11-29",
                         str(HERE.parent / "examples"))
    assert "2 findings waived" in out and "unused" not in err


def test_gitlab_code_quality(mixed, capsys) -> None:
    issues = json.loads(run(capsys, "validate", "--format", "gitlab", *mixed)[1])
    [waived] = [i for i in issues if i["check_name"] == "mixed-generations"]
    assert waived["severity"] == "info" and waived["description"].startswith("waived deny mixed-generations")
    assert "waived: approved by the sales manager" in waived["description"]
    [typo] = [i for i in issues if i["check_name"].startswith("schema-")]
    assert typo["severity"] == "blocker" and "not waived" in typo["description"]


def test_markdown_summary_counts_waived_findings(mixed, capsys) -> None:
    run(capsys, "validate", "--summary-md", "summary.md", *mixed)
    assert "1 finding waived" in Path("summary.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------- hostile files

_LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
resource.setrlimit(resource.RLIMIT_CPU, (60, 60))
from espolicy.commands.main import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("text, words", [
    ("waivers:\n  - rule: " + "[" * 20_000 + "]" * 20_000 + "\n", "not valid YAML"),
    ("waivers:\n" + "  - &a {rule: mixed-generations, documents: [A], reason: r, owner: o, expires: 2027-01-01}\n"
     + "  - *a\n" * 20_000, "repeats the one at line 2"),
    ("waivers:\n  - rule: x\n    reason: " + "r" * (17 << 20) + "\n", "larger than 16 MiB"),
])
def test_hostile_waivers_files_end_in_a_diagnostic_within_limits(tmp_path: Path, text: str, words: str) -> None:
    import subprocess
    import sys
    path = tmp_path / "w.yaml"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", _LIMITED, "check", "--waivers", str(path), "--format", "json"],
                          capture_output=True, text=True, cwd=HERE.parent)
    assert done.returncode in (1, 2) and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert any(words in d["message"] for d in json.loads(done.stdout))


def test_waivers_are_never_ignored_in_silence_with_dask(work: Path, capsys) -> None:
    Path(".espolicy-waivers.yaml").write_text(waivers_text(entry()), encoding="utf-8")
    code, out, err = run(capsys, "validate", "--dask", "local", "--today", "2026-11-30", "docs/deny.yaml")
    assert code == 2 and "cannot be used with --dask" in err and "--no-waivers" in err
