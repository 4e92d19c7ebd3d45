"""The second round of hostile input: nothing skipped, nothing planted, nothing hangs.

Each test runs espolicy in a child process under CPU-time and address-space limits (`limited`),
so that a regression to unbounded time or memory is killed by the kernel, whatever the machine's
speed. The limits are generous: the inputs need a small fraction of them.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from espolicy.documents.loader import iter_documents, load_text
from espolicy.limits import Limits
from espolicy.output.text import TextRenderer, printable
from espolicy.report import Finding, Report
from limited import run_limited, run_python_limited

REPO = Path(__file__).resolve().parent.parent
ALLOW = {"kind": "registration", "id": "R-OK", "registration_date": "2026-04-10",
         "server": {"model": "m", "serial": "1", "warranty_start": "2026-03-16", "warranty_years": 1},
         "pack": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3, "purchase_date": "2026-03-16"}}
DENY = {**ALLOW, "id": "R-DENY", "pack": {**ALLOW["pack"], "term_years": 6}}
UTF8 = {**os.environ, "PYTHONIOENCODING": "utf-8"}


def validate(*args: str | Path, **kwargs: Any) -> tuple[int, Any, str]:
    """Exit code, parsed `--format json` report and stderr of `espolicy validate ARGS`."""
    done = run_limited(["validate", "--format", "json", *map(str, args)], env=kwargs.pop("env", UTF8), **kwargs)
    return done.returncode, json.loads(done.stdout), done.stderr.decode("utf-8", "replace")


def outcomes(report: Any) -> dict[str, str]:
    return {r["source"]: r["outcome"] for r in report["results"]}


# ---------------------------------------------------------------- CI workflow commands

_DOTNET_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
                "\u2028\u2029\u202f\u205f\u3000"


def runner_commands(output: str) -> list[str]:
    """The lines of `output` that the GitHub Actions runner takes for workflow commands: it splits
    lines at CR, LF and CRLF; `::name …::` counts after leading whitespace (.NET's TrimStart), the
    legacy `##[name …]` anywhere in a line."""
    found = []
    for line in re.split("\r\n|\r|\n", output):
        trimmed = line.lstrip(_DOTNET_SPACE)
        if trimmed.startswith("::") and trimmed.find("::", 2) > 2:
            found.append(line)
        elif "##[" in line and "]" in line[line.index("##[") + 3:]:
            found.append(line)
    return found


def test_the_runner_emulation_finds_commands() -> None:
    assert runner_commands("ok\n  ::stop-commands::tok\n") == ["  ::stop-commands::tok"]
    assert runner_commands("x ##[add-mask]secret") == ["x ##[add-mask]secret"]
    assert runner_commands("a\r\u3000::warning::w") == ["\u3000::warning::w"]
    assert runner_commands("a :: b\n#[x]") == []


HOSTILE = ["##[add-mask]x", "X\n::stop-commands::tok", "\u2028::warning::w", " \r::error::e", "\u200e::debug::d",
           "\u3000::set-output name=a::b", "\x85::group::g", "a##[endgroup]"]


def test_text_output_carries_no_workflow_command(tmp_path: Path) -> None:
    """Ids, unknown keys, values and file names that are workflow commands reach stdout escaped."""
    (tmp_path / "::error::named.yaml").write_text(yaml.safe_dump(ALLOW))
    (tmp_path / "a\n::stop-commands::t.json").write_text(json.dumps(DENY))
    for i, bad in enumerate(HOSTILE):
        doc = {**DENY, "id": bad, bad: 1, "pack": {**DENY["pack"], "generation": bad}}
        (tmp_path / f"d{i}.json").write_text(json.dumps(doc))
    done = run_limited(["validate", str(tmp_path)], env=UTF8)
    out = done.stdout.decode()
    assert done.returncode == 1
    assert runner_commands(out) == []
    assert runner_commands(done.stderr.decode()) == []
    assert "##\\x5b" in out and "\\u2028" in out and "\\x85" in out and "\\u200e" in out
    for i in range(len(HOSTILE)):
        explained = run_limited(["explain", str(tmp_path / f"d{i}.json")], env=UTF8)
        assert explained.returncode == 1 and runner_commands(explained.stdout.decode()) == []


_PIECES = st.sampled_from(["::", "##[", "]", ":", "#", "\n", "\r", "\r\n", " ", "\t", "\u2028", "\u2029", "\x85",
                           "\u3000", "\u00a0", "\u200e", "\u200f", "\u202e", "\x1b", "x", "error", "add-mask"])
HOSTILE_TEXT = st.lists(_PIECES, max_size=12).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HOSTILE_TEXT, HOSTILE_TEXT, HOSTILE_TEXT, HOSTILE_TEXT, st.booleans())
def test_no_text_output_line_is_a_workflow_command(source: str, ident: str, key: str, value: str, ja: bool) -> None:
    finding = Finding("schema-additional-properties", "error", [], {"en": f"unknown key `{key}`", "ja": value},
                      {"en": value, "ja": key}, "/" + key, line=3, column=1)
    report = Report("invalid", [finding], {"fact": value}, ident, "registration", source)
    text = TextRenderer("ja" if ja else "en")(report)
    assert runner_commands(text) == []
    assert text.count("\n") == len(re.split("\r\n|\r|\n", text)) - 1   # no line break but ours


def test_printable_leaves_no_line_break_or_invisible_mark() -> None:
    assert printable("a\nb\rc\u2028d\u2029e\x85f\u200eg\u200fh\ufeffi") == \
        "a\\x0ab\\x0dc\\u2028d\\u2029e\\x85f\\u200eg\\u200fh\\ufeffi"


# ---------------------------------------------------------------- folders, links, special files

def test_a_link_to_a_folder_is_followed(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    (root / "ok.yaml").write_text(yaml.safe_dump(ALLOW))
    (elsewhere / "deny.yaml").write_text(yaml.safe_dump(DENY))
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    code, report, stderr = validate(root)
    assert code == 1
    assert outcomes(report) == {f"{root}/linked/deny.yaml": "deny", f"{root}/ok.yaml": "allow"}


def test_a_link_loop_ends_and_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "deny.yaml").write_text(yaml.safe_dump(DENY))
    (root / "sub" / "back").symlink_to(root, target_is_directory=True)
    (root / "again").symlink_to(root / "sub", target_is_directory=True)
    code, report, stderr = validate(root)
    assert code == 1
    assert outcomes(report) == {f"{root}/sub/deny.yaml": "deny"}   # judged once
    assert f"`{root}/sub/back` links to the folder `{root}`, already read" in stderr
    assert f"`{root}/again` links to the folder" in stderr


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_link_to_a_device_is_refused(tmp_path: Path, device: str) -> None:
    if not os.path.exists(device):
        pytest.fail(f"{device} is missing on this machine")
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(DENY))
    for name in ("x.jsonl", "y.yaml", "z.json"):
        (tmp_path / name).symlink_to(device)
    for jobs in ("1", "2"):
        code, report, _ = validate("-j", jobs, tmp_path, memory_mb=600)
        assert code == 1
        results = {Path(r["source"]).name: r for r in report["results"]}
        assert results["a.yaml"]["outcome"] == "deny"
        for name in ("x.jsonl", "y.yaml", "z.json"):
            assert results[name]["outcome"] == "invalid"
            assert "a character device, not a regular file" in results[name]["findings"][0]["message"]["en"]


def test_a_fifo_is_refused_not_waited_for(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(ALLOW))
    os.mkfifo(tmp_path / "b.yaml")
    os.mkfifo(tmp_path / "named.jsonl")
    code, report, _ = validate(tmp_path, tmp_path / "named.jsonl")
    assert code == 1
    results = {Path(r["source"]).name: r for r in report["results"]}
    assert results["a.yaml"]["outcome"] == "allow"
    for name in ("b.yaml", "named.jsonl"):
        assert results[name]["outcome"] == "invalid"
        assert "a FIFO (named pipe), not a regular file" in results[name]["findings"][0]["message"]["en"]


def test_a_fifo_among_rule_files_is_refused(tmp_path: Path) -> None:
    policy = tmp_path / "policy"
    shutil.copytree(REPO / "policy", policy)
    os.mkfifo(policy / "zz.esp")
    done = run_limited(["check", "--policy", str(policy)])
    assert done.returncode == 2
    assert b"a FIFO (named pipe), not a regular file" in done.stderr


# ---------------------------------------------------------------- standard input

def test_json_lines_on_stdin_with_a_broken_line_lose_no_record() -> None:
    lines = [json.dumps({**ALLOW, "id": f"R-{i}"}) for i in range(6)]
    lines[1] = '{"kind": "registration", "id": broken'
    text = ("\n".join(lines) + "\n").encode()
    for args in ([], ["--stdin-format", "jsonl"]):
        code, report, _ = validate(*args, "-", input=text)
        assert code == 1
        assert [r["outcome"] for r in report["results"]] == ["allow", "invalid", "allow", "allow", "allow", "allow"]
        assert [r["source"] for r in report["results"]] == [f"-:{i}" for i in range(1, 7)]


@pytest.mark.parametrize("data", [b"kind: registration\nid: caf\xe9\n", b"\xff\xfek\x00i\x00n\x00d\x00",
                                  b'{"kind": "registration", "id": "caf\xe9"}'])
@pytest.mark.parametrize("locale", ["C.UTF-8", "C"])
def test_bytes_that_are_not_utf8_say_the_same_on_stdin_as_in_a_file(tmp_path: Path, data: bytes,
                                                                     locale: str) -> None:
    path = tmp_path / "d.yaml"
    path.write_bytes(data)
    env = {**UTF8, "LC_ALL": locale}
    _, from_file, _ = validate(path, env=env)
    _, from_stdin, _ = validate("-", input=data, env=env)
    [file_finding], [stdin_finding] = (r["results"][0]["findings"] for r in (from_file, from_stdin))
    assert stdin_finding["rule"] == file_finding["rule"] == "unreadable-file"
    assert stdin_finding["message"] == file_finding["message"]
    assert "is not UTF-8 text: invalid byte 0x" in stdin_finding["message"]["en"]


def test_a_yaml_stream_whose_first_line_is_json_gives_the_same_on_stdin_as_from_a_yaml_file(tmp_path: Path) -> None:
    one = json.dumps(ALLOW)
    data = f"{one}\n---\n{one}\n".encode()
    path = tmp_path / "two.yaml"
    path.write_bytes(data)
    file_code, from_file, _ = validate(path)
    stdin_code, from_stdin, _ = validate("-", input=data)
    assert (stdin_code, file_code) == (0, 0)
    assert [r["outcome"] for r in from_stdin["results"]] == [r["outcome"] for r in from_file["results"]] == ["allow"] * 2


def test_stdin_format_is_obeyed() -> None:
    text = json.dumps(ALLOW).encode()
    assert validate("--stdin-format", "yaml", "-", input=text)[1]["results"][0]["outcome"] == "allow"
    first_broken = ("{oops\n" + json.dumps(ALLOW) + "\n").encode()
    code, report, _ = validate("--stdin-format", "jsonl", "-", input=first_broken)
    assert [r["outcome"] for r in report["results"]] == ["invalid", "allow"]


# ---------------------------------------------------------------- YAML

def test_a_nul_never_drops_the_documents_before_it(tmp_path: Path) -> None:
    docs = [yaml.safe_dump({**ALLOW, "id": f"R-{i}"}) for i in range(100)]
    docs[90] = docs[90].replace("R-90", "R-\x00")
    path = tmp_path / "many.yaml"
    path.write_text("".join("---\n" + d for d in docs))
    code, report, _ = validate(path)
    results = report["results"]
    assert code == 1
    assert [r["id"] for r in results[:90]] == [f"R-{i}" for i in range(90)]
    assert all(r["outcome"] == "allow" for r in results[:90])
    assert len(results) == 91 and results[90]["outcome"] == "invalid"
    assert "#x0000" in results[90]["findings"][0]["message"]["en"]


def test_a_nul_after_a_complete_document_marker() -> None:
    loaded = list(load_text("a: 1\n---\nb: 2\n...\n# \x00\n", "t", "yaml"))
    assert [l.doc for l in loaded[:2]] == [{"a": 1}, {"b": 2}]
    assert len(loaded) == 3 and loaded[2].problem is not None and "#x0000" in loaded[2].problem.message["en"]
    only = list(load_text("a: \x00\n", "t", "yaml"))
    assert len(only) == 1 and only[0].problem is not None


@pytest.mark.parametrize("text, term", [
    ("<<: [{term_years: 6}, {term_years: 3}]", 6),
    ("<<: [{term_years: 3}, {term_years: 6}]", 3),
    ("<<: [*six, *three]", 6),
    ("<<: [*three, *six]", 3),
    ("<<: *six\n  term_years: 3", 3),
])
def test_merge_keys_follow_the_yaml_merge_rule(text: str, term: int) -> None:
    source = ("anchors:\n  - &six {term_years: 6}\n  - &three {term_years: 3}\n" if "*" in text else "") + \
        f"pack:\n  {text}\n"
    [loaded] = load_text(source, "t", "yaml")
    assert loaded.doc["pack"] == {"term_years": term}


def test_a_merge_cannot_turn_deny_into_allow(tmp_path: Path) -> None:
    body = yaml.safe_dump({k: v for k, v in DENY.items() if k != "pack"})
    pack = "pack:\n  <<: [{term_years: 6}, {term_years: 3}]\n  generation: ESP_G2\n  coverage: weekday\n" \
           "  purchase_date: 2026-03-16\n"
    (tmp_path / "m.yaml").write_text(body + pack)
    code, report, _ = validate(tmp_path / "m.yaml")
    assert (code, report["results"][0]["outcome"]) == (1, "deny")


def test_a_huge_sexagesimal_float_is_a_result_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(f"kind: registration\nid: {':'.join(['59'] * 180)}.5\n")
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(DENY))
    for jobs in ("1", "2"):
        code, report, stderr = validate("-j", jobs, tmp_path)
        assert (code, stderr) == (1, "")
        assert [r["outcome"] for r in report["results"]] == ["invalid", "deny"]
        assert "too large to be read as a number" in report["results"][0]["findings"][0]["message"]["en"]
    [loaded] = load_text("x: " + ":".join(["59"] * 180) + ".5", "t", "yaml")
    assert loaded.problem is not None
    done = run_limited(["explain", str(tmp_path / "a.yaml")])
    assert done.returncode in (1, 2) and b"Traceback" not in done.stderr


# ---------------------------------------------------------------- time

def many_keys(count: int) -> dict[str, Any]:
    return {**ALLOW, **{f"unknown_key_{i:05d}": i for i in range(count)}}


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_thousands_of_findings_are_placed_in_linear_time(tmp_path: Path, fmt: str) -> None:
    """49,000 unknown keys: each finding placed at its key. Quadratic placement took minutes."""
    doc = many_keys(49_000)
    path = tmp_path / f"keys.{fmt}"
    text = yaml.safe_dump(doc, sort_keys=False) if fmt == "yaml" else json.dumps(doc, indent=1)
    path.write_text(text)
    first = next(i for i, line in enumerate(text.splitlines(), 1) if "unknown_key_00000" in line)
    code, report, _ = validate(path, cpu=60)
    findings = report["results"][0]["findings"]
    assert code == 1 and len(findings) == 49_000
    assert [f["line"] for f in findings[:3]] == [first, first + 1, first + 2]
    assert findings[-1]["line"] == first + 48_999
    code, report, _ = validate("--max-findings", "1", path, cpu=60)
    assert len(report["results"][0]["findings"]) == 1 and report["results"][0]["findings"][0]["line"]


def test_an_alias_bomb_in_a_policy_test_file_is_refused(tmp_path: Path) -> None:
    policy = tmp_path / "policy"
    shutil.copytree(REPO / "policy", policy)
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    (policy / "tests" / "zz-bomb.yaml").write_text("documents:\n  " + "\n  ".join(lines) + "\ntests: []\n")
    done = run_limited(["test", "--policy", str(policy)], memory_mb=600, cpu=30)
    assert done.returncode == 2
    assert b"zz-bomb.yaml" in done.stderr and b"aliases are expanded" in done.stderr
    assert b"Traceback" not in done.stderr


# ---------------------------------------------------------------- encodings and names

@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif", "junit", "github"])
@pytest.mark.parametrize("locale", ["strict-utf-8", "C.UTF-8"])
def test_a_file_name_that_is_not_utf8(tmp_path: Path, fmt: str, locale: str) -> None:
    folder = os.fsencode(tmp_path)
    with open(os.path.join(folder, b"r\xff.yaml"), "w") as handle:
        handle.write(yaml.safe_dump(DENY))
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"} if locale == "strict-utf-8" else \
        {**{k: v for k, v in os.environ.items() if k != "PYTHONIOENCODING"}, "LC_ALL": "C.UTF-8"}
    done = run_limited(["validate", "--format", fmt, str(tmp_path)], env=env)
    assert (done.returncode, done.stderr) == (1, b"")
    out = done.stdout.decode("utf-8")      # valid UTF-8, whatever the name
    assert "r\\xff.yaml" in out or "r%FF.yaml" in out or "r\\\\xff.yaml" in out
    if fmt in ("json", "sarif"):
        json.loads(out)


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "github", "sarif"])
def test_an_ascii_stdout_gets_an_ascii_rendering(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "d.yaml").write_text(yaml.safe_dump(DENY))
    for lang in ("en", "ja"):
        done = run_limited(["validate", "--format", fmt, "--lang", lang, str(tmp_path)],
                           env={**os.environ, "PYTHONIOENCODING": "ascii"})
        assert (done.returncode, done.stderr) == (1, b""), done.stderr.decode()[-500:]
        done.stdout.decode("ascii")
        if fmt == "text" and lang == "en":
            assert b"      -> " in done.stdout
        if fmt in ("json", "sarif"):
            json.loads(done.stdout)


def test_a_lone_surrogate_in_a_rule_text_is_refused_at_check(tmp_path: Path) -> None:
    policy = tmp_path / "policy"
    shutil.copytree(REPO / "policy", policy)
    rules = policy / "registration.esp"
    text = rules.read_text()
    at = text.index('message en "') + len('message en "')
    rules.write_text(text[:at] + "\\ud800" + text[at:])
    line = text.count("\n", 0, at) + 1
    done = run_limited(["check", "--policy", str(policy)])
    assert done.returncode == 2
    assert f"registration.esp:{line}:".encode() in done.stderr and b"\\ud800" in done.stderr
    assert b"Traceback" not in done.stderr


# ---------------------------------------------------------------- line limits

@pytest.mark.parametrize("ending", ["\n", "\r\n"])
@pytest.mark.parametrize("blocks", [False, True])
def test_the_line_limit_is_on_the_content_whatever_the_ending(tmp_path: Path, ending: str, blocks: bool) -> None:
    from espolicy.documents.loader import RawBlock, expand_block
    record = json.dumps({"id": "x" * 200})
    limits = Limits(max_bytes=len(record))
    path = tmp_path / "a.jsonl"
    path.write_text(record + ending + record + "x" + ending + record + ending, newline="")
    loaded = []
    for item in iter_documents(str(path), limits=limits, blocks=blocks):
        if isinstance(item.doc, RawBlock):
            loaded.extend(expand_block(str(path), item.doc, limits))
        else:
            loaded.append(item)
    assert [l.problem.rule if l.problem else "ok" for l in loaded] == ["ok", "too-large", "ok"]


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_a_line_of_exactly_the_limit_is_read_whatever_the_ending(tmp_path: Path, ending: str) -> None:
    """A line longer than a read block, exactly at the limit: read with `\\n` and with `\\r\\n` alike."""
    record = json.dumps({"id": "x" * 70_000})
    limits = Limits(max_bytes=len(record))
    path = tmp_path / "a.jsonl"
    path.write_text(record + ending + record + ending, newline="")
    loaded = list(iter_documents(str(path), limits=limits))
    assert [l.problem for l in loaded] == [None, None]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "sarif", "junit", "gitlab"])
def test_machine_formats_on_stdout_carry_no_workflow_command(tmp_path: Path, fmt: str) -> None:
    """A report written to a CI log (`--format json | tee report.json`) is data, never a command,
    and reads back as the same data."""
    for i, bad in enumerate(HOSTILE):
        doc = {**DENY, "id": bad, bad: 1, "pack": {**DENY["pack"], "generation": bad}}
        (tmp_path / f"d{i}.json").write_text(json.dumps(doc))
    done = run_limited(["validate", "--format", fmt, str(tmp_path)], env=UTF8)
    assert done.returncode == 1, done.stderr.decode()[-500:]
    out = done.stdout.decode()
    assert runner_commands(out) == []
    if fmt in ("json", "sarif", "gitlab"):
        assert "##[add-mask]x" in json.dumps(json.loads(out), ensure_ascii=False)
    if fmt == "jsonl":
        assert any(json.loads(line).get("id") == "##[add-mask]x" for line in out.splitlines())
