"""The compiled-policy cache: a hit judges exactly like a fresh compile; any change or damage misses."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from espolicy import cache
from espolicy.engine.policy import Policy
from espolicy.sources import bundled_dir, read_sources
from espolicy.documents.schema import SchemaSet

DOC = {"kind": "registration", "id": "R", "registration_date": "2026-04-10",
       "server": {"model": "m", "serial": "1", "warranty_start": "2025-04-01", "warranty_years": 1},
       "pack": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 6, "purchase_date": "2026-04-01"}}


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ESPOLICY_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def sources() -> list[tuple[str, str]]:
    return read_sources(bundled_dir("policy"))


def test_second_load_is_a_hit_with_identical_results(cache_dir: Path):
    first = Policy(sources())
    entries = list(cache_dir.glob("*.pickle"))
    assert len(entries) == 1
    second = Policy(sources())
    assert second.checked == first.checked
    assert json.dumps(second.validate(DOC).to_dict()) == json.dumps(first.validate(DOC).to_dict())


def test_a_changed_rule_file_misses(cache_dir: Path):
    Policy(sources())
    changed = [(f, t.replace("const MAX_YEARS = 5", "const MAX_YEARS = 6")) for f, t in sources()]
    p = Policy(changed)
    assert len(list(cache_dir.glob("*.pickle"))) == 2
    assert "term-beyond-five-years" not in {f.rule for f in p.validate(DOC).findings}


def test_a_damaged_entry_is_a_miss(cache_dir: Path):
    Policy(sources())
    [entry] = cache_dir.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    assert Policy(sources()).validate(DOC).outcome == "deny"


def test_cache_off_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ESPOLICY_CACHE_DIR", "off")
    assert cache.cache_dir() is None
    assert Policy(sources()).validate(DOC).outcome == "deny"


def test_an_unwritable_cache_folder_is_harmless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("ESPOLICY_CACHE_DIR", str(blocker / "cache"))  # a folder below a file cannot exist
    assert Policy(sources()).validate(DOC).outcome == "deny"


def test_key_depends_on_schemas(tmp_path: Path):
    schemas = SchemaSet.load(bundled_dir("schemas")).schemas
    other = json.loads(json.dumps(schemas))
    other["registration"]["description"] = "changed"
    assert cache.key(sources(), schemas) != cache.key(sources(), other)


def test_a_broken_schema_is_still_caught_on_a_miss(tmp_path: Path, cache_dir: Path):
    folder = tmp_path / "schemas"
    folder.mkdir()
    for p in bundled_dir("schemas").glob("*.json"):
        (folder / p.name).write_text(p.read_text())
    broken = json.loads((folder / "registration.json").read_text())
    broken["properties"]["id"] = {"type": "no-such-type"}
    (folder / "registration.json").write_text(json.dumps(broken))
    from espolicy.documents.schema import SchemaFileError
    with pytest.raises(SchemaFileError):
        Policy(sources(), schema_dir=folder)
