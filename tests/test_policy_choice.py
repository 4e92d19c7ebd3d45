"""Which policy every command uses: `--policy DIR`, else `./policy` when it holds rule files, else the
bundled one; each says which on stderr or in its header, and `fmt` never rewrites the installed copy."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import espolicy
from espolicy.commands import main as cli
from espolicy.commands.loading import choose_policy
from espolicy.sources import bundled_dir, is_installed

REPO = Path(__file__).resolve().parent.parent
NEW_RULE = '''
rule always-review-r230 {
  for registration
  review when server.model == "R230"
  faq none
  at server.model
  message en "An R230 is looked at by hand."
  message ja "R230 は個別に確認します。"
}
'''


@pytest.fixture()
def clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder like a clone of the repository whose `policy/` has one rule more."""
    shutil.copytree(bundled_dir("policy"), tmp_path / "policy")
    with open(tmp_path / "policy" / "registration.esp", "a", encoding="utf-8") as f:
        f.write(NEW_RULE)
    shutil.copy(REPO / "examples" / "registration-ok.yaml", tmp_path / "doc.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def rules_of_bundled() -> int:
    return len(espolicy.load_policy().rules)


def test_every_command_reads_the_local_policy(clone: Path, capsys: pytest.CaptureFixture[str]) -> None:
    n = rules_of_bundled() + 1
    assert cli.main(["check"]) == 0
    out, _ = capsys.readouterr()
    files = len(list(bundled_dir("policy").glob("*.esp")))
    assert out.startswith(f"ok: {n} rules in {files} files (policy ExpressSupportPack G2 FAQ from ./policy, sha256:")
    assert cli.main(["explain", "doc.yaml", "--rule", "always-review-r230"]) == 0
    out, err = capsys.readouterr()
    assert "always-review-r230" in out and "from ./policy, sha256:" in err
    assert cli.main(["doc"]) == 0
    out, err = capsys.readouterr()
    assert "always-review-r230" in out and "from ./policy" in err
    cli.main(["validate", "doc.yaml"])
    out, err = capsys.readouterr()
    assert err == "" and "doc.yaml" in out  # not a terminal: a pipeline's stderr stays empty
    cli.main(["test"])
    out, err = capsys.readouterr()
    assert "from ./policy" in err and "tests:" in out


def test_policy_option_wins_and_bundled_is_the_last_resort(clone: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert choose_policy("elsewhere").origin == "--policy"
    assert choose_policy(None).origin == "./policy"
    (clone / "policy" / "registration.esp").unlink()
    for p in (clone / "policy").glob("*.esp"):
        p.unlink()
    choice = choose_policy(None)
    assert choice.origin == "bundled" and choice.folder == bundled_dir("policy")
    assert cli.main(["check"]) == 0
    out, _ = capsys.readouterr()
    assert f"ok: {rules_of_bundled()} rules" in out and "from the bundled policy (" in out


def test_a_rule_file_given_as_the_policy_is_explained(clone: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", "--policy", "policy/registration.esp"]) == 2
    _, err = capsys.readouterr()
    assert "`policy/registration.esp` is a rule file; a policy is the folder that holds its rule files" in err
    assert "help: give the folder: `--policy policy`" in err


def test_fmt_takes_files_and_folders_recursively(clone: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nested = clone / "more" / "deeper"
    nested.mkdir(parents=True)
    (nested / "a.esp").write_text('const  X=1\n', encoding="utf-8")
    (clone / "more" / "b.esp").write_text('const Y = 2\n', encoding="utf-8")
    assert cli.main(["fmt", "--check", "more", "policy"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [str(Path("more/deeper/a.esp"))]
    files = len(list(bundled_dir("policy").glob("*.esp"))) + 2
    assert f"1 of {files} files would be reformatted" in err
    assert cli.main(["fmt", "more"]) == 0
    assert (nested / "a.esp").read_text(encoding="utf-8") == "const X = 1\n"
    assert cli.main(["fmt", "--check", "policy"]) == 0  # a folder, not "[Errno 21] Is a directory"
    assert cli.main(["fmt", "--check", "missing"]) == 2
    _, err = capsys.readouterr()
    assert "no such file or folder `missing`" in err


def test_the_installed_copy_is_recognised() -> None:
    package = Path(espolicy.__file__).resolve().parent
    assert is_installed(package / "policy" / "policy.esp")
    assert not is_installed(REPO / "examples")


def test_validate_names_its_policy_on_a_terminal(clone: Path) -> None:
    """stderr a real terminal (a pseudo-terminal): validate says which policy it judges with."""
    import os
    import pty
    import subprocess
    import sys

    main, secondary = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_PROGRESS": "1", "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "espolicy", "validate", "doc.yaml"], stdout=subprocess.PIPE,
                          stderr=secondary, timeout=120, env=env)
    os.close(secondary)
    err = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    os.close(main)
    assert done.returncode == 0 and b"doc.yaml" in done.stdout
    assert b"policy ExpressSupportPack G2 FAQ from ./policy, sha256:" in err


def test_check_and_test_take_the_policy_folder_as_an_argument(clone: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """`espolicy check DIR` and `espolicy test DIR` read that folder, like `--policy DIR`; two different
    folders are a usage error that says how to give one."""
    other = tmp_path / "elsewhere"
    shutil.copytree(clone / "policy", other)
    (clone / "policy" / "registration.esp").unlink()   # ./policy no longer compiles the same: DIR must win
    n = rules_of_bundled() + 1
    assert cli.main(["check", str(other)]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith(f"ok: {n} rules in ") and "from " + str(other) in out
    assert cli.main(["test", str(other)]) == 0
    out, err = capsys.readouterr()
    assert " passed" in out and " failed" not in out and str(other) in err
    assert cli.main(["check", str(other), "--policy", str(clone / "policy")]) == 2
    _, err = capsys.readouterr()
    assert "two policy folders given" in err and "help: give the folder once" in err
    assert cli.main(["check", str(other), "--policy", str(other)]) == 0
