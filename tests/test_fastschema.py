"""The compiled schema fast path: same verdict and same decoded document as the full checker."""
from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from espolicy.documents.fastschema import Unsupported, compile_schema
from espolicy.documents.loader import iter_documents, iter_paths
from espolicy.documents.normalize import normalize
from espolicy.documents.schema import SchemaSet

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

dates = st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31))
serials = st.from_regex(r"\A[A-Za-z0-9-]{1,32}\Z")
generations = st.sampled_from(["ESP", "ESP_G2"])
coverages = st.sampled_from(["weekday", "24x365"])
terms = st.integers(1, 10)


def as_text(d: dt.date) -> str:
    return d.isoformat()


@st.composite
def registrations(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "kind": "registration", "id": draw(st.text(min_size=1, max_size=64)),
        "registration_date": as_text(draw(dates)),
        "server": {"model": draw(st.text(max_size=20)), "serial": draw(serials),
                   "warranty_start": as_text(draw(dates)), "warranty_years": draw(st.integers(1, 5))},
        "pack": {"generation": draw(generations), "coverage": draw(coverages), "term_years": draw(terms),
                 "purchase_date": as_text(draw(dates))},
    }
    if draw(st.booleans()):
        doc["history"] = draw(st.lists(st.fixed_dictionaries(
            {"generation": generations, "term_years": terms, "registered_on": dates.map(as_text)}), max_size=3))
    if draw(st.booleans()):
        flags = ["periodic_maintenance", "express_notification_24x365",
                 "discount_without_express_notification", "ups_battery_replacement"]
        doc["requests"] = {f: draw(st.booleans()) for f in draw(st.lists(st.sampled_from(flags), unique=True))}
    if draw(st.booleans()):
        doc["customer"] = {"name": "Example Co.", "contact": {"email": "taro@example.com", "phone": "03"}}
    return doc


@st.composite
def change_requests(draw: st.DrawFn) -> dict[str, Any]:
    ctype = draw(st.sampled_from(["site", "contact", "coverage", "term", "server",
                                  "express_notification_hours", "generation", "reissue"]))
    doc: dict[str, Any] = {"kind": "change_request", "id": "C", "request_date": as_text(draw(dates)),
                           "change": {"type": ctype}}
    if draw(st.booleans()):
        doc["change"]["to"] = draw(st.one_of(st.text(max_size=10), st.integers(-10, 10)))
    if ctype != "reissue" or draw(st.booleans()):
        doc["registration"] = {"generation": draw(generations), "coverage": draw(coverages), "term_years": draw(terms),
                               "server_serial": draw(serials), "warranty_start": as_text(draw(dates)),
                               "registered_on": as_text(draw(dates))}
    return doc


@st.composite
def service_requests(draw: st.DrawFn) -> dict[str, Any]:
    moment = draw(st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2040, 1, 1),
                               timezones=st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=9)),
                                                          dt.timezone(dt.timedelta(hours=-5, minutes=-30))])))
    doc: dict[str, Any] = {"kind": "service_request", "id": "S",
                           "requested_at": moment.replace(microsecond=0).isoformat(),
                           "server": {"serial": draw(serials), "warranty_start": as_text(draw(dates)),
                                      "warranty_years": draw(st.integers(1, 5))},
                           "service": {"type": draw(st.sampled_from(["repair", "periodic_maintenance",
                                                                     "part_replacement"]))}}
    if draw(st.booleans()):
        doc["service"]["part"] = draw(st.sampled_from(["ups_battery", "disk", ""]))
    if draw(st.booleans()):
        doc["registration"] = {"generation": draw(generations), "coverage": draw(coverages),
                               "term_years": draw(terms), "registered_on": as_text(draw(dates))}
    return doc


valid_docs = st.one_of(registrations(), change_requests(), service_requests())

# Values that probe the edges of every keyword: types, formats, patterns, bounds, enums.
odd_values = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 12), st.floats(allow_nan=True), st.just(3.0),
    st.just(10 ** 30), st.text(max_size=12), st.sampled_from([
        "", "ESP", "ESP_G2", "esp", "weekday", "24x365", "reissue", "2026-02-30", "2026-02-28", "20260228",
        "2026-05-04T10:15:00", "2026-05-04T10:15:00+09:00", "2026-05-04T10:15:00Z", "2026-05-04T10:15+09:00",
        "4300123", "4300123\n", "a b", "x" * 65, "a@b.co", "a@b", "ups_battery"]),
    st.dates().map(lambda d: d), st.just(dt.datetime(2026, 5, 4, 10, 15)),
    st.just(dt.datetime(2026, 5, 4, 10, 15, tzinfo=dt.timezone.utc)),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.just(("a", "b")),
)


def paths_of(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths_of(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths_of(v, prefix + (i,))
    return out


@st.composite
def mutated_docs(draw: st.DrawFn) -> Any:
    doc = copy.deepcopy(draw(valid_docs))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths_of(doc)))
        if not path:
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(odd_values)
        elif action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["requets", "extra", "kind", "to", "part"]))] = draw(odd_values)
    return doc


@pytest.fixture(scope="module")
def schema_set(schemas: SchemaSet) -> SchemaSet:
    return schemas


def reference(schemas: SchemaSet, doc: Any) -> tuple[bool, Any]:
    """The full checker's verdict and decoding."""
    normalized = normalize(doc)
    errors = schemas.check(normalized)
    return (not errors), (schemas.decode(normalized) if not errors else None)  # type: ignore[arg-type]


def fast_of(schemas: SchemaSet, doc: Any) -> Any:
    kind = doc.get("kind") if isinstance(doc, dict) else None
    fast = schemas._fast.get(kind) if isinstance(kind, str) else None
    return fast.decode(doc) if fast else None


def test_every_bundled_schema_compiles(schemas: SchemaSet):
    assert all(schemas._fast[k] is not None for k in schemas.kinds)


def test_bundled_examples_take_the_fast_path(schemas: SchemaSet):
    served = 0
    for path in iter_paths([str(EXAMPLES)]):
        for loaded in iter_documents(path):
            if loaded.problem is None:
                ok, decoded = reference(schemas, loaded.doc)
                if ok:
                    assert fast_of(schemas, loaded.doc) == decoded, loaded.source
                    served += 1
    assert served >= 10


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_docs)
def test_valid_documents_are_served_and_decoded_alike(schemas, doc):
    ok, decoded = reference(schemas, doc)
    fast = fast_of(schemas, doc)
    if ok:
        assert fast is not None and fast == decoded
    else:  # generated documents may be invalid only where the generator is loose (e.g. ids)
        assert fast is None


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_docs())
def test_fast_path_never_accepts_what_the_checker_rejects(schemas, doc):
    ok, decoded = reference(schemas, doc)
    fast = fast_of(schemas, doc)
    if fast is not None:
        assert ok and fast == decoded
    check_and_decode = schemas.check_and_decode(doc)
    assert (check_and_decode[0] == []) == ok
    if ok:
        assert check_and_decode[1] == decoded


def test_date_objects_are_accepted_like_iso_strings(schemas: SchemaSet):
    doc = {"kind": "change_request", "id": "C", "request_date": dt.date(2026, 5, 2), "change": {"type": "reissue"}}
    assert fast_of(schemas, doc)["request_date"] == dt.date(2026, 5, 2)


def test_pattern_keeps_search_semantics(schemas: SchemaSet):
    """JSON Schema `pattern` is re.search: `$` also matches before a final newline; both paths agree."""
    doc = {"kind": "service_request", "id": "S", "requested_at": "2026-05-04T10:15:00+09:00",
           "server": {"serial": "4300123\n", "warranty_start": "2025-04-01", "warranty_years": 1},
           "service": {"type": "repair"}}
    ok, decoded = reference(schemas, doc)
    assert (fast_of(schemas, doc) is not None) == ok


def test_unknown_keyword_disables_the_fast_path():
    with pytest.raises(Unsupported):
        compile_schema({"type": "object", "properties": {"a": {"type": "string", "oneOf": []}}})


def test_generated_code_holds_schema_strings_only_as_literals():
    fast = compile_schema({"type": "object", "additionalProperties": False, "required": ["k'); import os #"],
                           "properties": {"k'); import os #": {"type": "string", "const": "x\"; os.system('y')"}}})
    assert fast.decode({"k'); import os #": "x\"; os.system('y')"}) == {"k'); import os #": "x\"; os.system('y')"}
    assert fast.decode({"k'); import os #": "other"}) is None


# ---------------------------------------------------------------- explaining invalid documents

def jsonschema_findings(schemas: SchemaSet, doc: Any) -> list:
    return [f.to_dict() for f in schemas.check_with_jsonschema(normalize(doc))]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_docs())
def test_compiled_explanations_are_jsonschemas(schemas, doc):
    """The same findings, byte for byte, whether the compiled path or jsonschema finds the violations."""
    assert [f.to_dict() for f in schemas.check(normalize(doc))] == jsonschema_findings(schemas, doc)


def test_invalid_documents_are_explained_by_the_compiled_path(schemas: SchemaSet):
    doc = {"kind": "registration", "id": "R", "registration_date": "2026-02-30", "requets": {},
           "server": {"model": 5, "serial": "４３００１２３", "warranty_start": "2025-04-01", "warranty_years": 9},
           "pack": {"generation": "ESP-G2", "coverage": "weekday", "term_years": 3}}
    violations = schemas._fast["registration"].explain(doc)
    assert violations is not None
    assert {(v.keyword, v.path) for v in violations} == {
        ("format", ("registration_date",)), ("additionalProperties", ()), ("type", ("server", "model")),
        ("pattern", ("server", "serial")), ("maximum", ("server", "warranty_years")),
        ("enum", ("pack", "generation")), ("required", ("pack",))}
    assert [f.to_dict() for f in schemas.check(doc)] == jsonschema_findings(schemas, doc)


@pytest.mark.parametrize("odd", [{1, 2}, 10 ** 5000, ("a",), dt.date(2026, 5, 4)], ids=["set", "huge", "tuple", "date"])
def test_values_that_are_not_plain_json_are_left_to_jsonschema(schemas: SchemaSet, odd: Any):
    doc = {"kind": "change_request", "id": "C", "request_date": "2026-05-02", "change": {"type": "reissue", "to": odd},
           "extra": 1}
    assert schemas._fast["change_request"].explain(doc) is None
