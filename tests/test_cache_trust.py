"""The compiled-policy cache runs and changes nothing that espolicy did not itself write for this
user and this policy: planted, swapped, restored or exposed entries are misses (a warning with
`--verbose`), never code that runs, never an error and never a different judgement."""
from __future__ import annotations

import json
import marshal
import os
import pickle
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from espolicy import cache
from espolicy.engine.policy import Policy
from espolicy.lang.typecheck import CheckedPolicy
from espolicy.sources import bundled_dir, read_sources
from limited import run_limited

DENY_YAML = """\
kind: registration
id: R-DENY
registration_date: 2026-04-10
server: {model: m, serial: "1", warranty_start: 2025-04-01, warranty_years: 1}
pack: {generation: ESP_G2, coverage: weekday, term_years: 6, purchase_date: 2026-04-01}
"""
DENY = yaml.safe_load(DENY_YAML)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache folder and key for the test, filled by loading the bundled policy once."""
    monkeypatch.setenv("ESPOLICY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ESPOLICY_CACHE_KEY", str(tmp_path / "keys" / "cache.key"))
    Policy(read_sources(bundled_dir("policy")))
    return tmp_path / "cache"


def entries(folder: Path, suffix: str) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith(suffix))


def judged(tmp_path: Path) -> tuple[int, str, str]:
    """Exit code, outcome and stderr of `espolicy validate --verbose` on the deny document."""
    doc = tmp_path / "deny.yaml"
    doc.write_text(DENY_YAML)
    done = run_limited(["validate", "--verbose", "--format", "json", str(doc)],
                       env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    out = json.loads(done.stdout)
    return done.returncode, out["results"][0]["outcome"], done.stderr.decode()


class Planted:
    """A payload that leaves a marker file when it runs (it must never run)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (exec, (f"open({str(self.marker)!r}, 'w').write('ran')",))


def test_the_cache_is_used_and_judges_alike(folder: Path, tmp_path: Path) -> None:
    assert entries(folder, ".pickle") and entries(folder, ".code")
    key = Path(os.environ["ESPOLICY_CACHE_KEY"])
    assert key.stat().st_mode & 0o777 == 0o600
    assert not key.is_relative_to(folder)        # the key never travels with the folder
    for entry in folder.iterdir():
        assert entry.stat().st_mode & 0o077 == 0
    assert cache.load(entries(folder, ".pickle")[0].name.removesuffix(".pickle"), CheckedPolicy) is not None
    assert judged(tmp_path) == (1, "deny", "")


def test_a_marshalled_string_in_place_of_code_never_runs(folder: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    for entry in entries(folder, ".code"):
        entry.write_bytes(marshal.dumps(f"open({str(marker)!r}, 'w').write('ran')"))
    code, outcome, stderr = judged(tmp_path)
    assert not marker.exists()
    assert (code, outcome) == (1, "deny")
    assert "espolicy did not write it" in stderr and "Traceback" not in stderr


def test_a_planted_pickle_never_runs(folder: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    for entry in entries(folder, ".pickle"):
        entry.write_bytes(pickle.dumps(Planted(marker)))
    assert judged(tmp_path)[:2] == (1, "deny")
    assert not marker.exists()


def test_an_authenticated_pickle_of_anything_else_builds_nothing(folder: Path, tmp_path: Path) -> None:
    """Even an entry with a valid code (a bug, or a key that leaked) builds only espolicy's classes."""
    marker = tmp_path / "ran"
    [entry] = entries(folder, ".pickle")
    cache._write_entry(entry.name, pickle.dumps(Planted(marker)))
    assert cache.load(entry.name.removesuffix(".pickle"), CheckedPolicy) is None
    assert not marker.exists()
    cache._write_entry(entry.name, pickle.dumps({"not": "a policy"}))
    assert cache.load(entry.name.removesuffix(".pickle"), CheckedPolicy) is None
    assert judged(tmp_path)[:2] == (1, "deny")


def test_a_swapped_code_object_cannot_turn_deny_into_allow(folder: Path, tmp_path: Path) -> None:
    """The code of one entry (or of a policy with a rule removed) under another entry's name misses:
    the authentication code covers the name."""
    codes = entries(folder, ".code")
    assert len(codes) >= 2
    allow_all = compile("def run(doc):\n    return {}, []\n", "<espolicy registration>", "exec")
    data = codes[0].read_bytes()
    head = len(b"espolicy-cache-1\n") + 32
    for entry in codes:      # another entry's valid bytes, and a forged body under a copied header
        entry.write_bytes(data if entry != codes[0] else data[:head] + marshal.dumps(allow_all))
    assert judged(tmp_path)[:2] == (1, "deny")


def test_a_wrong_type_with_a_valid_code_is_a_miss_not_a_traceback(folder: Path, tmp_path: Path) -> None:
    for entry in entries(folder, ".code"):
        cache._write_entry(entry.name, marshal.dumps(42))
    code, outcome, stderr = judged(tmp_path)
    assert (code, outcome) == (1, "deny")
    assert "it holds a int" in stderr and "Traceback" not in stderr


def test_a_folder_restored_from_elsewhere_misses(folder: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries written under another key (another machine, another branch's CI run) all miss."""
    monkeypatch.setenv("ESPOLICY_CACHE_KEY", str(tmp_path / "other" / "cache.key"))
    [entry] = entries(folder, ".pickle")
    assert cache.load(entry.name.removesuffix(".pickle"), CheckedPolicy) is None
    code, outcome, stderr = judged(tmp_path)
    assert (code, outcome) == (1, "deny") and "did not write it" in stderr


@pytest.mark.parametrize("target", ["folder", "entry", "key"])
def test_exposed_files_are_not_trusted(folder: Path, tmp_path: Path, target: str) -> None:
    [entry] = entries(folder, ".pickle")
    paths = {"folder": [folder], "entry": list(folder.iterdir()), "key": [Path(os.environ["ESPOLICY_CACHE_KEY"])]}
    for path in paths[target]:
        path.chmod(path.stat().st_mode | (0o004 if target == "key" else 0o022))
    assert cache.load(entry.name.removesuffix(".pickle"), CheckedPolicy) is None
    code, outcome, stderr = judged(tmp_path)
    assert (code, outcome) == (1, "deny")
    assert "others (mode" in stderr and "Traceback" not in stderr


def test_an_entry_that_is_a_link_is_not_followed(folder: Path, tmp_path: Path) -> None:
    [entry] = entries(folder, ".pickle")
    real = tmp_path / "elsewhere.pickle"
    real.write_bytes(entry.read_bytes())
    entry.unlink()
    entry.symlink_to(real)
    assert cache.load(entry.name.removesuffix(".pickle"), CheckedPolicy) is None
    assert judged(tmp_path)[:2] == (1, "deny")


@pytest.mark.skipif(os.getuid() != 0, reason="changing a file's owner needs root")
def test_entries_of_another_user_are_not_trusted(folder: Path, tmp_path: Path) -> None:
    [entry] = entries(folder, ".pickle")
    for each in folder.iterdir():
        os.chown(each, 12345, 12345)
    assert cache.load(entry.name.removesuffix(".pickle"), CheckedPolicy) is None
    assert "another user" in judged(tmp_path)[2]


def test_without_verbose_a_miss_is_silent(folder: Path, tmp_path: Path) -> None:
    for entry in entries(folder, ".code"):
        entry.write_bytes(b"junk")
    doc = tmp_path / "deny.yaml"
    doc.write_text(DENY_YAML)
    done = run_limited(["validate", str(doc)])
    assert (done.returncode, done.stderr) == (1, b"")


def test_default_folder_is_the_users_cache_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import platformdirs
    monkeypatch.delenv("ESPOLICY_CACHE_DIR")
    assert cache.cache_dir() == Path(platformdirs.user_cache_dir("espolicy", appauthor=False))
    monkeypatch.setenv("ESPOLICY_CACHE_DIR", "off")
    assert cache.cache_dir() is None
