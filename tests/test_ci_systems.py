"""espolicy in CI systems: GitLab Code Quality output, the Markdown job summary, tool configuration
files left out, the real pre-commit tool running the hook, and the GitHub Action's own steps."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

import espolicy as espolicy_package
from espolicy.commands.main import main
from espolicy.documents.toolconfigs import is_tool_config

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
GITLAB_SCHEMA = json.loads((Path(__file__).parent / "data" / "gitlab-codequality.schema.json").read_text())


def validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


# ---------------------------------------------------------------- GitLab Code Quality


def test_gitlab_report_follows_the_code_quality_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = validate(capsys, "--format", "gitlab", str(EXAMPLES))
    issues = json.loads(out)
    Draft202012Validator(GITLAB_SCHEMA).validate(issues)
    assert code == 1
    by_rule = {i["check_name"]: i for i in issues}
    assert by_rule["mixed-generations"]["severity"] == "critical"
    assert by_rule["schema-additional-properties"]["severity"] == "blocker"
    assert by_rule["outside-weekday-hours"]["severity"] == "minor"
    assert "service-ends-without-notice" not in by_rule  # info findings are for people only
    location = by_rule["mixed-generations"]["location"]
    assert location["lines"] == {"begin": 17}
    assert location["path"].endswith("examples/registration-mixed-generations.yaml")
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_fingerprints_are_stable_when_lines_move(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "reg.yaml"
    text = (EXAMPLES / "registration-mixed-generations.yaml").read_text(encoding="utf-8")
    doc.write_text(text, encoding="utf-8")
    first = json.loads(validate(capsys, "--format", "gitlab", str(doc))[1])
    again = json.loads(validate(capsys, "--format", "gitlab", str(doc))[1])
    doc.write_text("# a comment\n# and another\n" + text, encoding="utf-8")
    moved = json.loads(validate(capsys, "--format", "gitlab", str(doc))[1])
    assert first == again
    assert [i["fingerprint"] for i in moved] == [i["fingerprint"] for i in first]
    assert [i["location"]["lines"]["begin"] for i in moved] == [i["location"]["lines"]["begin"] + 2 for i in first]


def test_gitlab_report_is_the_same_with_jobs(capsys: pytest.CaptureFixture[str]) -> None:
    serial = validate(capsys, "--format", "gitlab", str(EXAMPLES))
    parallel = validate(capsys, "--format", "gitlab", "-j", "2", str(EXAMPLES))
    assert serial[:2] == parallel[:2]


def test_gitlab_report_of_clean_documents_is_an_empty_array(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = validate(capsys, "--format", "gitlab", str(EXAMPLES / "registration-ok.yaml"))
    assert code == 0 and json.loads(out) == []


# ---------------------------------------------------------------- job summary


def test_summary_md_is_appended_with_verdict_and_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    code, _, _ = validate(capsys, "--quiet", "--summary-md", str(summary), str(EXAMPLES))
    validate(capsys, "--quiet", "--summary-md", str(summary), str(EXAMPLES / "registration-ok.yaml"),
             "--today", "2026-05-11")
    text = summary.read_text(encoding="utf-8")
    assert code == 1 and text.startswith("earlier step\n")
    sections = text.split("### espolicy: ")[1:]
    assert sections[0].startswith("16 documents, failed (at `--fail-on deny`)")
    assert "| deny | 6 |" in sections[0] and "| invalid | 1 |" in sections[0]
    assert sections[1].startswith("1 document, passed") and "| allow | 1 |" in sections[1]
    assert "), documents judged on 2026-05-11\n" in sections[1]   # the date the rules read as `today`


def test_summary_md_that_cannot_be_written_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = validate(capsys, "--quiet", "--summary-md", str(tmp_path / "no" / "such" / "file.md"),
                            str(EXAMPLES / "registration-ok.yaml"))
    assert code == 2 and "cannot write the summary" in err


# ---------------------------------------------------------------- tool configuration files


@pytest.mark.parametrize("path", [
    ".pre-commit-config.yaml", "sub/.pre-commit-hooks.yaml", ".github/workflows/ci.yml", ".gitlab-ci.yml",
    "mkdocs.yml", ".readthedocs.yaml", "docker-compose.override.yml", ".yamllint", "a/.vscode/settings.json",
    "package.json", ".espolicy-waivers.yaml", "MKDOCS.YML"])
def test_tool_configs_are_recognised(path: str) -> None:
    assert is_tool_config(path)


@pytest.mark.parametrize("path", ["registration.yaml", "docs/mkdocs-notes.yaml", "github/reg.yaml",
                                  "registrations/2026.jsonl", "values-of-2026.yaml"])
def test_documents_are_not_tool_configs(path: str) -> None:
    assert not is_tool_config(path)


def test_skip_tool_configs_says_what_it_left_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text("on: push\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
    (tmp_path / "notes.yaml").write_text("just: notes\n")
    shutil.copy(EXAMPLES / "registration-ok.yaml", tmp_path / "reg.yaml")
    files = [str(tmp_path / n) for n in (".github/workflows/ci.yml", "mkdocs.yml", "notes.yaml", "reg.yaml")]
    code, out, err = validate(capsys, "--skip-tool-configs", *files)
    assert "left out 2 tool configuration files" in err and "mkdocs.yml" in err and "ci.yml" in err
    assert "notes.yaml" in out and "INVALID" in out     # not a document, not a known config: reported
    assert out.rstrip().endswith("2 documents: 1 allow, 1 invalid") and code == 1


# ---------------------------------------------------------------- the real pre-commit


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def documents_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ordinary repository: documents in `documents/` beside tool configuration files."""
    root = tmp_path_factory.mktemp("repo")
    assert _git(root, "init", "-q").returncode == 0
    (root / "documents").mkdir()
    shutil.copy(EXAMPLES / "registration-ok.yaml", root / "documents" / "ok.yaml")
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs: {}\n")
    (root / "mkdocs.yml").write_text("site_name: documents\n")
    return root


def _pre_commit(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=1800)


def test_pre_commit_hook_in_an_ordinary_repository(documents_repo: Path, tmp_path: Path) -> None:
    """`pre-commit try-repo` with this checkout: the documents are judged, the tool configuration
    files are left alone, a clean set passes and a denied document fails the hook."""
    assert (REPO / ".git").exists(), "the hook is tried from a git checkout of espolicy"
    home = tmp_path / "pre-commit-home"
    _git(documents_repo, "add", "-A")
    clean = _pre_commit(documents_repo, home, "try-repo", str(REPO), "espolicy-validate", "--all-files",
                        "--verbose")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "1 document: 1 allow" in clean.stdout and "left out 2 tool configuration files" in clean.stdout

    shutil.copy(EXAMPLES / "registration-mixed-generations.yaml", documents_repo / "documents" / "mixed.yaml")
    _git(documents_repo, "add", "-A")
    denied = _pre_commit(documents_repo, home, "try-repo", str(REPO), "espolicy-validate", "--all-files",
                         "--verbose")
    assert denied.returncode == 1, denied.stdout + denied.stderr
    assert "mixed-generations" in denied.stdout and "missing-kind" not in denied.stdout
    (documents_repo / "documents" / "mixed.yaml").unlink()
    _git(documents_repo, "add", "-A")


def test_pre_commit_refuses_a_commit_of_a_denied_document(documents_repo: Path, tmp_path: Path) -> None:
    """The hook installed as the README shows (scoped with `files:`) refuses the commit."""
    rev = _git(REPO, "rev-parse", "HEAD").stdout.strip()
    (documents_repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{
        "repo": str(REPO), "rev": rev, "hooks": [{"id": "espolicy-validate", "files": "^documents/"}]}]}))
    home = tmp_path / "pre-commit-home"
    assert _pre_commit(documents_repo, home, "install").returncode == 0
    _git(documents_repo, "add", "-A")
    ok = _git(documents_repo, "commit", "-qm", "clean documents")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    shutil.copy(EXAMPLES / "registration-mixed-generations.yaml", documents_repo / "documents" / "mixed.yaml")
    _git(documents_repo, "add", "-A")
    refused = _git(documents_repo, "commit", "-qm", "a denied document")
    assert refused.returncode != 0 and "mixed-generations" in refused.stdout + refused.stderr


# ---------------------------------------------------------------- the GitHub Action's steps


def _action_steps(inputs: dict[str, str], env: dict[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    """(name, script, environment) of each step of action.yml, `${{ inputs.* }}` resolved as the
    runner resolves them in `env:` (the scripts read only environment variables)."""
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    values = {k: v.get("default", "") for k, v in action["inputs"].items()} | inputs
    steps = []
    for step in action["runs"]["steps"]:
        assert step["shell"] == "bash" and "${{" not in step["run"], "scripts take inputs from env only"
        step_env = {k: re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: values[m.group(1)], str(v))
                    for k, v in step.get("env", {}).items()}
        steps.append((step["name"], step["run"], {**env, **step_env}))
    return steps


def _run_step(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=1800)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A runner's environment in which the action's install step has run for real."""
    temp = tmp_path_factory.mktemp("runner")
    env = {**os.environ, "RUNNER_TEMP": str(temp), "GITHUB_ACTION_PATH": str(REPO)}
    name, script, step_env = _action_steps({}, env)[0]
    done = _run_step(script, step_env, temp)
    assert done.returncode == 0, (name, done.stdout, done.stderr)
    return env


@pytest.mark.parametrize("extra, expected", [(None, 0), ("registration-mixed-generations.yaml", 1)])
def test_github_action_steps(runner: dict[str, str], tmp_path: Path, extra: str | None, expected: int) -> None:
    work = tmp_path / "workspace"
    (work / "documents").mkdir(parents=True)
    shutil.copy(EXAMPLES / "registration-ok.yaml", work / "documents" / "ok.yaml")
    if extra:
        shutil.copy(EXAMPLES / extra, work / "documents" / extra)
    outputs, summary = tmp_path / "outputs", tmp_path / "summary.md"
    env = {**runner, "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)}
    name, script, step_env = _action_steps({"paths": "documents"}, env)[1]
    done = _run_step(script, step_env, work)
    assert done.returncode == expected, (done.stdout, done.stderr)
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert values == {"sarif-file": "espolicy.sarif", "exit-code": str(expected)}
    sarif = json.loads((work / "espolicy.sarif").read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    assert "### espolicy: " in summary.read_text(encoding="utf-8")
    if extra:
        assert any(r["ruleId"] == "mixed-generations" for r in results)
        assert re.search(r"^::error file=documents/registration-mixed-generations\.yaml,line=17,col=5,", done.stdout,
                         re.M)
    else:
        assert results == [] and "::error" not in done.stdout


# ---------------------------------------------------------------- the documented GitLab job


def test_gitlab_ci_example_runs_as_documented(tmp_path: Path) -> None:
    """The `.gitlab-ci.yml` of docs/gitlab.md parses, publishes both reports, and its espolicy
    commands (run here on the examples) write a Code Quality report and a JUnit report."""
    page = (REPO / "docs" / "gitlab.md").read_text(encoding="utf-8")
    job = yaml.safe_load(re.search(r"```yaml\n(.*?)```", page, re.S).group(1))["espolicy"]
    assert job["artifacts"]["reports"] == {"codequality": "gl-code-quality-report.json",
                                           "junit": "espolicy-junit.xml"}
    shutil.copytree(EXAMPLES, tmp_path / "documents")
    espolicy = [sys.executable, "-m", "espolicy"]
    statuses = []
    for line in (s for s in job["script"] if s.startswith("espolicy ")):
        command = line.split("#")[0].replace("|| true", "").strip()
        argv, _, target = command.partition(" > ")
        done = subprocess.run(espolicy + argv.split()[1:], cwd=tmp_path, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(Path(espolicy_package.__file__).parent.parent)})
        if target:
            (tmp_path / target.strip()).write_text(done.stdout, encoding="utf-8")
        statuses.append(done.returncode)
    assert statuses == [1, 1, 1]   # the examples hold denied and invalid documents, on purpose
    Draft202012Validator(GITLAB_SCHEMA).validate(json.loads((tmp_path / "gl-code-quality-report.json").read_text()))
    import xml.etree.ElementTree as ET
    assert ET.parse(tmp_path / "espolicy-junit.xml").getroot().tag == "testsuites"
