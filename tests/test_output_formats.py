"""Every output format, produced from one batch holding allow, deny, review, warn and invalid
documents from YAML, multi-document YAML and JSON Lines: each parses with a standard parser and
names the file and line of each finding. SARIF is checked for every property GitHub code scanning
requires for an upload ("SARIF support for code scanning", GitHub Docs)."""
from __future__ import annotations

import copy
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

import espolicy
from espolicy.commands import main as cli
from espolicy.output import FORMATS, RunContext
from espolicy.output.github import escape_data, escape_property
from espolicy.report import Summary

REG_OK: dict[str, Any] = {
    "kind": "registration", "id": "REG-F-ALLOW", "registration_date": "2026-04-10",
    "server": {"model": "Express5800/R120h-1M", "serial": "4300123", "warranty_start": "2026-03-16",
               "warranty_years": 1},
    "pack": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3, "purchase_date": "2026-03-16"},
}


def variant(ident: str, **changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(REG_OK)
    doc["id"] = ident
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        target = doc
        for p in parents:
            target = target.setdefault(p, {})
        target[last] = value
    return doc


DENY = variant("REG-F-DENY", history=[{"generation": "ESP", "term_years": 3, "registered_on": "2026-03-20"}])
REVIEW = variant("REG-F-REVIEW", **{"pack.generation": "ESP"})
WARN = variant("REG-F-WARN", registration_date="2026-05-11", **{
    "server.warranty_start": "2025-02-03", "pack.purchase_date": "2026-05-01"})
INVALID = variant("REG-F-TYPO", requets={"periodic_maintenance": False})
SERVICE = {"kind": "service_request", "id": "SRV-F-0001", "requested_at": "2026-06-03T14:00:00+09:00",
           "server": {"serial": "4300123", "warranty_start": "2025-04-01", "warranty_years": 1},
           "registration": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3,
                            "registered_on": "2025-04-20"},
           "service": {"type": "repair"}}

REPORTED = ("deny", "review", "warn", "error")


def block_yaml(*docs: dict[str, Any]) -> str:
    return "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in docs)


@pytest.fixture
def batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """allow.yaml (YAML), multi.yaml (deny + review), batch.jsonl (warn, invalid, broken, allow):
    relative paths, as a CI job gives them."""
    monkeypatch.chdir(tmp_path)
    Path("docs").mkdir()
    Path("docs/allow.yaml").write_text(block_yaml(REG_OK), encoding="utf-8")
    Path("docs/multi.yaml").write_text(block_yaml(DENY, REVIEW), encoding="utf-8")
    Path("docs/batch.jsonl").write_text("\n".join([json.dumps(WARN), json.dumps(INVALID),
                                                   '{"kind": "registration", "id": ',
                                                   json.dumps(SERVICE)]) + "\n", encoding="utf-8")
    return ["docs/allow.yaml", "docs/multi.yaml", "docs/batch.jsonl"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(["validate", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return code, out


def file_of(source: str) -> str:
    head, sep, tail = source.rpartition(":")
    return head if sep and tail.isdigit() else source


def reference(capsys: pytest.CaptureFixture[str], paths: list[str], *options: str) -> dict[str, Any]:
    code, out = run(capsys, "--format", "json", *options, *paths)
    return json.loads(out)


def reported(report: dict[str, Any]) -> list[tuple[str, int, int, str, str]]:
    """(file, line, column, rule, effect) of every deny/review/warn/error finding of a JSON report."""
    out = []
    for r in report["results"]:
        for f in r["findings"]:
            if f["effect"] in REPORTED:
                out.append((file_of(r["source"]), f.get("line"), f.get("column"), f["rule"], f["effect"]))
    return out


def test_the_batch_holds_every_outcome(batch, capsys) -> None:
    report = reference(capsys, batch)
    assert [r["outcome"] for r in report["results"]] == ["allow", "deny", "review", "allow", "invalid",
                                                         "invalid", "allow"]
    assert any(f["effect"] == "warn" for f in report["results"][3]["findings"])
    assert report["summary"] == {"documents": 7, "allow": 3, "deny": 1, "review": 1, "invalid": 2}
    for file, line, column, _, _ in reported(report):
        assert file in batch and line >= 1 and column >= 1


# ---------------------------------------------------------------- SARIF

def check_sarif_for_github(log: dict[str, Any], rule_ids: set[str]) -> None:
    """Every property GitHub code scanning marks required, present and not empty."""
    assert isinstance(log["$schema"], str) and log["$schema"].startswith("https://")
    assert log["version"] == "2.1.0"
    assert isinstance(log["runs"], list) and len(log["runs"]) == 1
    run_ = log["runs"][0]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "espolicy" and driver["version"]
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    assert rule_ids <= set(ids), rule_ids - set(ids)
    for rule in rules:
        assert rule["id"]
        assert 0 < len(rule["name"]) <= 255
        assert 0 < len(rule["shortDescription"]["text"]) <= 1024
        assert 0 < len(rule["fullDescription"]["text"]) <= 1024
        assert rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("note", "warning", "error")
        assert rule["properties"]["effect"] in ("deny", "review", "warn", "info", "error")
        assert isinstance(rule["properties"]["faq"], list)
    assert isinstance(run_["results"], list)
    for result in run_["results"]:
        assert result["ruleId"] in ids
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("note", "warning", "error")
        assert result["message"]["text"]
        assert 1 <= len(result["locations"]) <= 10
        physical = result["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert uri and not uri.startswith("/") and "\\" not in uri
        region = physical["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert region["endLine"] >= region["startLine"] and region["endColumn"] > region["startColumn"]
        assert result["partialFingerprints"]["primaryLocationLineHash"]


def test_sarif(batch, capsys) -> None:
    expected = reported(reference(capsys, batch))
    code, out = run(capsys, "--format", "sarif", *batch)
    assert code == 1
    log = json.loads(out)
    policy_rules = {r.id for r in espolicy.default_policy().rules}
    check_sarif_for_github(log, policy_rules | {e[3] for e in expected})
    results = log["runs"][0]["results"]
    got = [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"], r["ruleId"], r["properties"]["effect"])
           for r in results]
    assert got == expected          # one result per deny/review/warn/error finding, file and line named
    levels = {r["properties"]["effect"]: r["level"] for r in results}
    assert levels == {"deny": "error", "review": "warning", "warn": "warning", "error": "error"}
    fingerprints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    mixed = rules["mixed-generations"]
    assert mixed["properties"]["faq"] == ["Q10", "Q11"] and mixed["properties"]["effect"] == "deny"
    assert "{entry.generation}" in mixed["fullDescription"]["text"]
    assert "Q10" in mixed["shortDescription"]["text"] and mixed["help"]["text"]
    assert log["runs"][0]["properties"]["summary"]["documents"] == 7


def test_sarif_is_stable_and_language_follows_lang(batch, capsys) -> None:
    first = run(capsys, "--format", "sarif", *batch)[1]
    assert first == run(capsys, "--format", "sarif", *batch)[1]
    ja = json.loads(run(capsys, "--format", "sarif", "--lang", "ja", *batch)[1])
    texts = [r["message"]["text"] for r in ja["runs"][0]["results"] if r["ruleId"] == "mixed-generations"]
    assert texts and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", texts[0])


def test_sarif_without_documents_and_without_positions(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("empty").mkdir()
    log = json.loads(run(capsys, "--format", "sarif", "empty")[1])
    check_sarif_for_github(log, {r.id for r in espolicy.default_policy().rules})
    assert log["runs"][0]["results"] == []
    Path("nothing.yaml").write_text("# only a comment\n")
    log = json.loads(run(capsys, "--format", "sarif", "nothing.yaml")[1])
    [result] = log["runs"][0]["results"]
    assert result["ruleId"] == "empty-document"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 1   # unknown line → 1
    check_sarif_for_github(log, {"empty-document"})


# ---------------------------------------------------------------- JUnit

def test_junit(batch, capsys) -> None:
    report = reference(capsys, batch)
    code, out = run(capsys, "--format", "junit", *batch)
    assert code == 1
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == batch
    cases = [c for s in suites for c in s.findall("testcase")]
    assert len(cases) == int(root.get("tests")) == report["summary"]["documents"]
    for suite in suites:
        mine = suite.findall("testcase")
        assert int(suite.get("tests")) == len(mine)
        assert int(suite.get("failures")) == sum(1 for c in mine if c.find("failure") is not None)
        assert int(suite.get("errors")) == sum(1 for c in mine if c.find("error") is not None)
    assert int(root.get("failures")) == 1 and int(root.get("errors")) == 2   # deny; invalid ×2
    for case, result in zip(cases, report["results"]):
        assert case.get("file") == file_of(result["source"])
        failure, error = case.find("failure"), case.find("error")
        assert (failure is not None) == (result["outcome"] == "deny")
        assert (error is not None) == (result["outcome"] == "invalid")
        for element in (failure, error):
            if element is None:
                continue
            for f in result["findings"]:
                if f["effect"] in ("deny", "error") and f.get("line"):
                    place = f"{case.get('file')}:{f['line']}" + (f":{f['column']}" if f.get("column") else "")
                    assert place in element.text
            assert case.get("line") and int(case.get("line")) >= 1
    review = cases[2]
    assert review.find("failure") is None and "review" in review.find("system-out").text


@pytest.mark.parametrize("fail_on, failures", [("deny", 1), ("review", 2), ("warn", 3)])
def test_junit_failures_follow_fail_on(batch, capsys, fail_on, failures) -> None:
    root = ET.fromstring(run(capsys, "--format", "junit", "--fail-on", fail_on, *batch)[1])
    assert int(root.get("failures")) == failures and int(root.get("errors")) == 2


def test_junit_survives_characters_xml_cannot_hold(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    doc = dict(variant("REG-\x01-<&>\"'"), requets=1)
    Path("odd.jsonl").write_text(json.dumps(doc) + "\n", encoding="utf-8")
    root = ET.fromstring(run(capsys, "--format", "junit", "odd.jsonl")[1])
    [case] = root.iter("testcase")
    assert case.get("name") == "REG-\\u0001-<&>\"'"
    assert case.find("error") is not None


# ---------------------------------------------------------------- GitHub workflow commands

ANNOTATION = re.compile(r"^::(error|warning|notice) ((?:[a-z]+=[^,:]*)(?:,[a-z]+=[^,:]*)*)::(.*)$")


def test_github(batch, capsys) -> None:
    expected = reported(reference(capsys, batch))
    code, out = run(capsys, "--format", "github", *batch)
    assert code == 1
    lines = out.splitlines()
    assert lines[-1] == "7 documents: 3 allow, 1 deny, 1 review, 2 invalid"
    got = []
    for line in lines[:-1]:
        m = ANNOTATION.match(line)
        assert m, line
        props = dict(p.split("=", 1) for p in m.group(2).split(","))
        rule = props["title"].split(" ")[1]
        got.append((props["file"], int(props["line"]), int(props["col"]), rule, props["title"].split(" ")[0]))
        level = m.group(1)
        assert level == ("error" if props["title"].startswith(("deny", "error")) else "warning")
        assert "\n" not in m.group(3)
    assert got == expected


def test_github_escaping() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a,b:c%") == "a%2Cb%3Ac%25"
    out = io.StringIO()
    formatter = FORMATS["github"](out, "en")
    from espolicy.report import Finding, Report
    finding = Finding("r-1", "deny", ["Q1"], {"en": "50% off\nno"}, {"en": "a, b: c"}, "/x", 3, 4)
    formatter.result(Report("deny", [finding], {}, "ID", "registration", "dir/a,b:c.yaml:7", "dir/a,b:c.yaml"))
    assert out.getvalue() == ("::error file=dir/a%2Cb%3Ac.yaml,line=3,col=4,title=deny r-1 [Q1]::"
                              "ID /x: 50%25 off%0Ano%0A→ a, b: c\n")


# ---------------------------------------------------------------- JSON Lines and text

def test_jsonl(batch, capsys) -> None:
    report = reference(capsys, batch)
    code, out = run(capsys, "--format", "jsonl", *batch)
    assert code == 1
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[:-1] == report["results"]
    assert lines[-1] == {"summary": report["summary"], "references": report["references"]}
    for result in lines[:-1]:
        for f in result["findings"]:
            assert f["line"] >= 1 and f["column"] >= 1


def test_text_names_file_line_col_of_each_finding(batch, capsys) -> None:
    expected = reported(reference(capsys, batch))
    _, out = run(capsys, *batch)
    for file, line, column, rule, effect in expected:
        assert re.search(rf"^  {effect}  .*{re.escape(rule)}.*  {re.escape(f'{file}:{line}:{column}')}$", out, re.M), rule


# ---------------------------------------------------------------- every format

@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_format_works_without_a_context(name: str) -> None:
    """The formatter registry: Formatter(stream, lang) alone (as the Python API builds it)."""
    out = io.StringIO()
    formatter = FORMATS[name](out, "en")
    report = espolicy.validate(DENY, source="d.json")
    formatter.start({"name": "p", "digest": "sha256:0"})
    formatter.result(report)
    summary = Summary()
    summary.add(report)
    formatter.end(summary)
    assert out.getvalue()


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_format_parses_and_streams(name: str, batch, capsys) -> None:
    code, out = run(capsys, "--format", name, *batch)
    assert code == 1 and out
    if name in ("json", "sarif"):
        json.loads(out)
    elif name == "jsonl":
        [json.loads(line) for line in out.splitlines()]
    elif name == "junit":
        ET.fromstring(out)
    context = RunContext(espolicy.default_policy(), "deny", espolicy.__version__)
    assert FORMATS[name](io.StringIO(), "ja", context) is not None
