"""The example policies under example-policies/ check clean, are formatted, pass their own tests at
100 % coverage, and are explained and documented like the bundled policy."""
from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import pytest
import yaml

from espolicy.commands import main as cli
from espolicy.engine.policy import load_policy

EXAMPLES = Path(__file__).resolve().parent.parent / "example-policies"
OWNER = EXAMPLES / "owner-rules"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("folder", sorted(p for p in EXAMPLES.iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_an_example_policy_is_clean_formatted_and_fully_tested(folder: Path, capsys) -> None:
    code, out, err = run(capsys, "check", "--policy", str(folder))
    assert code == 0, err + out
    code, out, err = run(capsys, "fmt", "--check", "--policy", str(folder))
    assert code == 0, err + out
    code, out, err = run(capsys, "test", "--policy", str(folder), "--coverage", "--min-coverage", "100")
    assert code == 0, out + err
    assert "coverage: 100.0 %" in out and " failed" not in out


def test_the_owner_rules_read_their_data_file_and_name_it_in_the_digest(tmp_path: Path) -> None:
    policy = load_policy(OWNER)
    copy = tmp_path / "owner-rules"
    (copy / "data").mkdir(parents=True)
    for f in ("rules.esp", "references.esp"):
        (copy / f).write_text((OWNER / f).read_text(encoding="utf-8"), encoding="utf-8")
    (copy / "data" / "recalls.yaml").write_text('"4300123": battery\n', encoding="utf-8")
    changed = load_policy(copy)
    assert changed.digest != policy.digest  # the data file is part of the policy
    doc = yaml.safe_load((OWNER / "tests" / "rules.yaml").read_text(encoding="utf-8"))["documents"]["rack"]
    assert policy.validate(doc, today=_dt.date(2026, 5, 11)).outcome == "allow"
    report = changed.validate(doc, today=_dt.date(2026, 5, 11))
    assert [f.rule for f in report.findings] == ["recalled-server"] and "battery" in report.findings[0].message["en"]
    assert report.today == "2026-05-11"


def test_explain_and_doc_show_the_new_constructs(tmp_path: Path, capsys) -> None:
    doc = yaml.safe_load((OWNER / "tests" / "rules.yaml").read_text(encoding="utf-8"))["documents"]["rack"]
    doc["pack"]["coverage"], doc["server"]["model"] = "24x365", "Express5800/T120h"
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc, default=str), encoding="utf-8")
    code, out, _ = run(capsys, "explain", str(path), "--policy", str(OWNER), "--today", "2026-05-11")
    assert code == 0
    assert "judged on 2026-05-11 (`today`)" in out
    assert "24x365 packs for rack models only" in out and "tags: catalogue, coverage; owner: support-products" in out
    assert 'matches(server.model, "^Express5800/R[0-9]+")' in out
    assert "data recalls from data/recalls.yaml (record with 4300777, 4300888, 2 entries)" in out
    # an aggregate's variable takes every entry: the list is its input, not one entry's field
    first_generation = out[out.index("fact first_generation_packs"):].split("\n")[2]
    assert first_generation.strip().startswith("from history = [") and "h.generation" not in first_generation
    code, out, _ = run(capsys, "explain", str(path), "--policy", str(OWNER), "--today", "2026-05-11",
                       "--rule", "dated-in-the-future")
    assert code == 0 and "data recalls" not in out   # a rule that reads no data set names none
    code, out, _ = run(capsys, "explain", str(path), "--policy", str(OWNER), "--today", "2026-05-11",
                       "--format", "json")
    assert json.loads(out)["documents"][0]["data"] == [
        {"name": "recalls", "file": "data/recalls.yaml", "holds": "record with 4300777, 4300888, 2 entries"}]
    code, out, _ = run(capsys, "doc", "--policy", str(OWNER))
    assert code == 0
    assert ("| [Q18 — 24x365 packs are sold for rack models only](<https://example.com/guidelines#q18>) | "
            "[rack-models-only-24x365]") in out   # a reference with a url links to it
    assert "| Q19 — Repeated first-generation packs and long histories are reviewed | [first-generation-twice]" in out
    assert "| title | 24x365 packs for rack models only / 24時間365日製品はラックモデルのみ |" in out
    assert "| recalls | `data/recalls.yaml` | record with 4300777, 4300888, 2 entries |" in out
    assert "| owner | support-products |" in out


def test_every_command_names_the_digest_of_the_rules_and_the_data(capsys) -> None:
    """check, fmt and test name the policy by the digest the loaded policy reports, the data file in it."""
    digest = load_policy(OWNER).digest
    code, out, _ = run(capsys, "check", "--policy", str(OWNER), "--format", "json")
    assert code == 0 and json.loads(out)["policy"]["digest"] == digest
    code, out, err = run(capsys, "check", "--policy", str(OWNER))
    assert code == 0 and out.rstrip().endswith(f"{digest})")
    code, out, err = run(capsys, "fmt", "--check", "--policy", str(OWNER))
    assert code == 0 and digest in err


def test_reports_name_the_declared_references_and_the_rule_metadata(tmp_path: Path, capsys) -> None:
    """The JSON and JSON Lines reports name each reference a finding cites by its declared titles; the
    SARIF rule descriptors carry the titles (both languages), tags and owner; `check --format json`
    lists every rule with its metadata."""
    doc = yaml.safe_load((OWNER / "tests" / "rules.yaml").read_text(encoding="utf-8"))["documents"]["rack"]
    doc["pack"]["coverage"], doc["server"]["model"] = "24x365", "Express5800/T120h"
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc, default=str), encoding="utf-8")
    args = ("validate", str(path), "--policy", str(OWNER), "--today", "2026-05-11")
    code, out, _ = run(capsys, *args, "--format", "json")
    report = json.loads(out)
    assert code == 1
    (finding,) = report["results"][0]["findings"]
    assert finding["faq"] == ["Q18"]
    assert report["references"]["Q18"] == {"en": "24x365 packs are sold for rack models only",
                                           "ja": "24時間365日製品はラックモデル専用です",
                                           "url": "https://example.com/guidelines#q18"}
    assert list(report["references"]) == ["Q18", "Q19", "Q20"]  # those the rules cite, none of the FAQ's 17
    code, out, _ = run(capsys, *args, "--format", "jsonl")
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[-1]["references"] == report["references"] and lines[0] == report["results"][0]
    code, out, _ = run(capsys, *args, "--format", "sarif")
    rules = {r["id"]: r for r in json.loads(out)["runs"][0]["tool"]["driver"]["rules"]}
    rack = rules["rack-models-only-24x365"]
    assert rack["shortDescription"]["text"].startswith("24x365 packs for rack models only")
    assert "Q18: 24x365 packs are sold for rack models only" in rack["help"]["text"]
    assert "24時間365日製品はラックモデルのみ" in rack["help"]["markdown"]
    assert rack["properties"]["title"] == {"en": "24x365 packs for rack models only",
                                           "ja": "24時間365日製品はラックモデルのみ"}
    assert {"catalogue", "coverage"} <= set(rack["properties"]["tags"])
    assert rack["properties"]["owner"] == "support-products"
    assert rack["helpUri"] == "https://example.com/guidelines#q18"          # the url Q18 declares
    assert "helpUri" not in rules["first-generation-twice"]                  # Q19 declares none
    code, out, _ = run(capsys, "check", "--policy", str(OWNER), "--format", "json")
    listed = {r["id"]: r for r in json.loads(out)["rules"]}
    assert code == 0 and len(listed) == 8
    assert listed["rack-models-only-24x365"]["title"]["ja"] == "24時間365日製品はラックモデルのみ"
    assert listed["recalled-server"]["owner"] == "quality" and listed["recalled-server"]["title"] is None
    assert listed["too-many-years-on-record"]["tags"] == ["history"]
    assert listed["rack-models-only-24x365"]["file"].endswith("rules.esp")


def test_policy_test_results_record_the_date_each_test_was_judged_on(tmp_path: Path, capsys) -> None:
    """`today:` of a test is the date in its JSON result; a test without one is judged on today in Japan."""
    from espolicy.jpcalendar import japan_today
    code, out, _ = run(capsys, "test", "--policy", str(OWNER), "--format", "json")
    tests = json.loads(out)["tests"]
    written = yaml.safe_load((OWNER / "tests" / "rules.yaml").read_text(encoding="utf-8"))["tests"]
    assert code == 0 and {t["name"]: t["today"] for t in tests} == {t["name"]: t["today"].isoformat() for t in written}
    folder = tmp_path / "owner-rules"
    (folder / "tests").mkdir(parents=True)
    (folder / "data").mkdir()
    for f in ("rules.esp", "references.esp", "data/recalls.yaml"):
        (folder / f).write_text((OWNER / f).read_text(encoding="utf-8"), encoding="utf-8")
    text = (OWNER / "tests" / "rules.yaml").read_text(encoding="utf-8")
    first = text.index("  - name: a weekday pack")
    case = text[first:text.index("  - name:", first + 1)].replace("    today: 2026-05-11\n", "")
    (folder / "tests" / "rules.yaml").write_text(text[:first] + case, encoding="utf-8")
    before = japan_today().isoformat()
    code, out, _ = run(capsys, "test", "--policy", str(folder), "--format", "json")
    (only,) = json.loads(out)["tests"]
    assert only["today"] in (before, japan_today().isoformat())
