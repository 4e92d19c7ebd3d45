"""schemas/*.json and espolicy.schema: shape checks, messages, formats, type trees, decoding."""
from __future__ import annotations

import copy
import datetime as dt
import json
import math
import pickle
import shutil
import zipfile
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from espolicy.report import Finding
from espolicy.documents.formats import FormatProblem, parse_date, parse_datetime
from espolicy.documents.normalize import normalize
from espolicy.documents.schema import SchemaFileError, SchemaSet
from espolicy.lang.types import BOOL, DATE, DATETIME, INT, STR, Field, TList, TRecord, TStr, TUnion

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


@pytest.fixture(scope="module")
def ss() -> SchemaSet:
    return SchemaSet.load(SCHEMA_DIR)


def registration() -> dict[str, Any]:
    return {
        "kind": "registration", "id": "REG-2026-0001", "registration_date": "2026-04-10",
        "server": {"model": "Express5800/R120h-1M", "serial": "4300123", "warranty_start": "2025-04-01",
                   "warranty_years": 1},
        "pack": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3, "purchase_date": "2026-04-01"},
        "history": [{"generation": "ESP", "term_years": 3, "registered_on": "2021-05-01"}],
        "requests": {"periodic_maintenance": False, "express_notification_24x365": False,
                     "discount_without_express_notification": False, "ups_battery_replacement": False},
        "customer": {"name": "Example Co., Ltd.", "site": "1-2-3 Shiba, Minato-ku, Tokyo",
                     "contact": {"name": "Taro Yamada", "phone": "03-0000-0000", "email": "taro@example.com"}},
    }


def change_request() -> dict[str, Any]:
    return {
        "kind": "change_request", "id": "CHG-2026-0001", "request_date": "2026-06-01",
        "registration": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3, "server_serial": "4300123",
                         "warranty_start": "2025-04-01", "registered_on": "2025-04-20"},
        "change": {"type": "site", "to": "2-3-4 Shiba, Minato-ku", "reason": "moved"},
    }


def service_request() -> dict[str, Any]:
    return {
        "kind": "service_request", "id": "SRV-2026-0001", "requested_at": "2026-05-04T10:15:00+09:00",
        "server": {"serial": "4300123", "warranty_start": "2025-04-01", "warranty_years": 1},
        "registration": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3,
                         "registered_on": "2025-04-20"},
        "service": {"type": "repair", "part": "ups_battery"},
    }


EXAMPLES = {"registration": registration, "change_request": change_request, "service_request": service_request}


def rules_at(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.rule, f.path) for f in findings]


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [(f.rule, f.path, f.message["en"]) for f in findings]
    return findings[0]


# ---------------------------------------------------------------- the schema files

def schema_objects(schema: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema with `properties`, and where it sits."""
    if isinstance(schema, dict):
        if "properties" in schema:
            yield where, schema
        for key, value in schema.items():
            yield from schema_objects(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            yield from schema_objects(value, f"{where}/{i}")


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_schema_file_is_2020_12_and_closed_everywhere(kind: str) -> None:
    schema = json.loads((SCHEMA_DIR / f"{kind}.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["kind"]["const"] == kind
    objects = [(w, o) for w, o in schema_objects(schema) if "/if" not in w]   # conditions are not shapes
    assert len(objects) >= 3
    for where, obj in objects:
        assert obj.get("additionalProperties") is False, where
        for name, prop in obj["properties"].items():
            assert prop.get("description"), f"{where}/{name} has no description"


def test_kinds_are_sorted_and_taken_from_kind_const(ss: SchemaSet) -> None:
    assert ss.kinds == ("change_request", "registration", "service_request")


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_contract_examples_are_valid(ss: SchemaSet, kind: str) -> None:
    assert ss.check(EXAMPLES[kind]()) == []


def test_minimal_registration_is_valid(ss: SchemaSet) -> None:
    doc = registration()
    for optional in ("history", "requests", "customer"):
        del doc[optional]
    assert ss.check(doc) == []


# ---------------------------------------------------------------- closedness of every object

def object_pointers(doc: Any, where: str = "") -> Iterator[str]:
    if isinstance(doc, dict):
        yield where
        for key, value in doc.items():
            yield from object_pointers(value, f"{where}/{key}")
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from object_pointers(value, f"{where}/{i}")


def resolve(doc: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


CLOSED_CASES = [(kind, pointer) for kind, make in sorted(EXAMPLES.items()) for pointer in object_pointers(make())]


def test_closed_cases_cover_every_nested_object() -> None:
    pointers = {p for _, p in CLOSED_CASES}
    assert {"", "/server", "/pack", "/history/0", "/requests", "/customer", "/customer/contact",
            "/registration", "/change", "/service"} <= pointers


@pytest.mark.parametrize("kind,pointer", CLOSED_CASES)
def test_unknown_key_in_any_object_is_reported_at_the_key(ss: SchemaSet, kind: str, pointer: str) -> None:
    doc = EXAMPLES[kind]()
    resolve(doc, pointer)["zzz_unknown"] = 1
    f = only(ss.check(doc))
    assert (f.rule, f.path, f.effect) == ("schema-additional-properties", f"{pointer}/zzz_unknown", "error")
    assert f"unknown field `zzz_unknown` in {pointer or '/'}" in f.message["en"]
    assert "zzz_unknown" in f.message["ja"]


def test_typo_names_nearest_known_key(ss: SchemaSet) -> None:
    doc = registration()
    doc["requets"] = doc.pop("requests")
    f = only(ss.check(doc))
    assert f.path == "/requets"
    assert f.message["en"] == "unknown field `requets` in /; did you mean `requests`?"
    assert "`requests` のことではありませんか" in f.message["ja"]


def test_unknown_key_without_close_match_names_the_least_far_and_lists_allowed_keys(ss: SchemaSet) -> None:
    doc = registration()
    doc["server"]["colour"] = "grey"
    f = only(ss.check(doc))
    assert f.path == "/server/colour"
    assert f.message["en"] == ("unknown field `colour` in /server (the known fields are: model, serial, "
                               "warranty_start, warranty_years); did you mean `model`?")
    assert "`model` のことではありませんか" in f.message["ja"]


def _renamed(doc: dict[str, Any], pointer: str, new: str) -> dict[str, Any]:
    *parents, last = pointer.split("/")[1:]
    holder = resolve(doc, "/" + "/".join(parents) if parents else "")
    holder[new] = holder.pop(last)
    return doc


# (document, the key renamed, its new name, the key the message must name): a prefix, initials,
# a key missing from the same mapping preferred, and a guess where nothing is close
NEAREST_CASES = [
    (registration, "/pack/term_years", "term", "term_years"),
    (registration, "/pack/generation", "gen", "generation"),
    (registration, "/requests/periodic_maintenance", "pm", "periodic_maintenance"),
    (registration, "/history/0/registered_on", "note", "registered_on"),
    (registration, "/customer/contact", "foo", "contact"),
    (registration, "/server/warranty_start", "warrantyStart", "warranty_start"),
    (registration, "/pack/purchase_date", "PurchaseDate", "purchase_date"),
    (change_request, "/change/reason", "from", "reason"),
]


@pytest.mark.parametrize("make,renamed,new,near", NEAREST_CASES)
def test_unknown_key_always_names_one_nearest_key(ss: SchemaSet, make: Any, renamed: str, new: str,
                                                   near: str) -> None:
    doc = _renamed(make(), renamed, new)
    at = renamed.rsplit("/", 1)[0] + "/" + new
    unknown = [f for f in ss.check(doc) if f.rule == "schema-additional-properties"]
    assert [f.path for f in unknown] == [at]
    assert unknown[0].message["en"].endswith(f"; did you mean `{near}`?")
    assert f"`{near}` のことではありませんか" in unknown[0].message["ja"]
    assert [f.to_dict() for f in ss.check(doc)] == [f.to_dict() for f in ss.check_with_jsonschema(doc)]


@pytest.mark.parametrize("where,key", [("/requests", "zzz"), ("/customer", "foo"), ("/history/0", "note")])
def test_a_key_with_every_known_key_present_is_still_given_one(ss: SchemaSet, where: str, key: str) -> None:
    doc = registration()
    resolve(doc, where)[key] = "x"
    f = only(ss.check(doc))
    assert "did you mean `" in f.message["en"] and "the known fields are:" in f.message["en"]
    assert [g.to_dict() for g in ss.check(doc)] == [g.to_dict() for g in ss.check_with_jsonschema(doc)]


def test_pointer_escapes_tilde_and_slash(ss: SchemaSet) -> None:
    doc = registration()
    doc["a/b~c"] = 1
    assert only(ss.check(doc)).path == "/a~1b~0c"


def test_unicode_digit_keys_sort_without_trouble(ss: SchemaSet) -> None:
    doc = registration()
    doc["²"] = 1
    doc["10"] = 1
    doc["9"] = 1
    assert [f.path for f in ss.check(doc)] == ["/9", "/10", "/²"]


# ---------------------------------------------------------------- kind and mapping

@pytest.mark.parametrize("doc", [[1, 2], "text", 3, None, {1, 2}, b"kind: registration"])
def test_not_a_mapping(ss: SchemaSet, doc: object) -> None:
    f = only(ss.check(doc))
    assert (f.rule, f.path) == ("not-a-mapping", "")


def test_missing_kind_names_the_kinds(ss: SchemaSet) -> None:
    doc = registration()
    del doc["kind"]
    f = only(ss.check(doc))
    assert (f.rule, f.path) == ("missing-kind", "/kind")
    assert "change_request, registration, service_request" in f.message["en"]


@pytest.mark.parametrize("written", ["Kind", "KIND", "knd", "kinds"])
def test_a_misspelled_kind_key_is_named_with_kind(ss: SchemaSet, written: str) -> None:
    doc = registration()
    doc[written] = doc.pop("kind")
    f = only(ss.check(doc))
    assert (f.rule, f.path) == ("missing-kind", f"/{written}")
    assert f"has the unknown field `{written}`; did you mean `kind`?" in f.message["en"]
    assert "change_request, registration, service_request" in f.message["en"]
    assert f"`{written}`" in f.message["ja"] and "`kind` のことではありませんか" in f.message["ja"]


def test_a_known_key_is_not_taken_for_kind(ss: SchemaSet) -> None:
    doc = registration()
    del doc["kind"]
    assert "unknown field" not in only(ss.check(doc)).message["en"]   # `id` is near `kind` but known


def test_unknown_kind_suggests_the_nearest(ss: SchemaSet) -> None:
    f = only(ss.check({"kind": "registraton"}))
    assert (f.rule, f.path) == ("unknown-kind", "/kind")
    assert "did you mean `registration`?" in f.message["en"]
    assert "change_request, registration, service_request" in f.message["en"]
    assert "`registration` のことではありませんか" in f.message["ja"]


@pytest.mark.parametrize("kind", [["registration"], 3, None, {"a": 1}, "zzz"])
def test_kind_not_a_known_string(ss: SchemaSet, kind: object) -> None:
    f = only(ss.check({"kind": kind}))
    assert f.rule == "unknown-kind"
    assert "did you mean" not in f.message["en"]


# ---------------------------------------------------------------- required, conditional required

def test_missing_required_field_points_at_the_field(ss: SchemaSet) -> None:
    doc = registration()
    del doc["server"]["serial"]
    del doc["pack"]
    assert rules_at(ss.check(doc)) == [("schema-required", "/pack"), ("schema-required", "/server/serial")]
    f = ss.check(doc)[1]
    assert f.message["en"] == "missing required field `serial` in /server"
    assert f.message["ja"] == "/server に必須項目 `serial` がありません。"


def test_every_missing_field_is_reported(ss: SchemaSet) -> None:
    paths = [p for _, p in rules_at(ss.check({"kind": "registration"}))]
    assert paths == ["/id", "/pack", "/registration_date", "/server"]


def test_history_items_require_all_three_fields(ss: SchemaSet) -> None:
    doc = registration()
    doc["history"] = [{}]
    assert rules_at(ss.check(doc)) == [("schema-required", "/history/0/generation"),
                                       ("schema-required", "/history/0/registered_on"),
                                       ("schema-required", "/history/0/term_years")]


@pytest.mark.parametrize("change_type", ["site", "contact", "coverage", "term", "server",
                                         "express_notification_hours", "generation"])
def test_change_request_needs_registration_unless_reissue(ss: SchemaSet, change_type: str) -> None:
    doc = change_request()
    del doc["registration"]
    doc["change"] = {"type": change_type, "to": 5}
    f = only(ss.check(doc))
    assert (f.rule, f.path) == ("schema-required", "/registration")   # the inner error, not a vague if/then
    assert f.message["en"] == "missing required field `registration` in /"


@pytest.mark.parametrize("change_type", ["site", "contact", "coverage", "term", "server",
                                         "express_notification_hours", "generation"])
def test_change_needs_to_unless_reissue(ss: SchemaSet, change_type: str) -> None:
    """contract §6: `change.to` is required for every change but a reissue; the error is at /change."""
    doc = change_request()
    doc["change"] = {"type": change_type, "reason": "x"}
    f = only(ss.check(doc))
    assert (f.rule, f.path) == ("schema-required", "/change")
    assert f.message["en"] == "missing required field `to` in /change"
    doc["change"]["to"] = ""
    assert ss.check(doc) == []


def test_reissue_without_registration_or_to_is_valid(ss: SchemaSet) -> None:
    doc = change_request()
    del doc["registration"]
    doc["change"] = {"type": "reissue"}
    assert ss.check(doc) == []


def test_change_to_is_text_or_whole_number(ss: SchemaSet) -> None:
    doc = change_request()
    doc["change"]["to"] = 7
    assert ss.check(doc) == []
    doc["change"]["to"] = 7.5
    f = only(ss.check(doc))
    assert (f.rule, f.path) == ("schema-type", "/change/to")
    assert f.message["en"] == "/change/to must be text or a whole number, not a decimal number (7.5)"


def test_service_request_registration_is_optional_but_complete(ss: SchemaSet) -> None:
    doc = service_request()
    del doc["registration"]
    del doc["service"]["part"]
    assert ss.check(doc) == []
    doc["registration"] = {"generation": "ESP"}
    assert [p for _, p in rules_at(ss.check(doc))] == [
        "/registration/coverage", "/registration/registered_on", "/registration/term_years"]


# ---------------------------------------------------------------- types

@pytest.mark.parametrize("value,shown", [(4300123, '"4300123"'), (43.5, '"43.5"'), (float("inf"), '"inf"')])
def test_number_for_text_says_to_quote(ss: SchemaSet, value: object, shown: str) -> None:
    doc = registration()
    doc["server"]["serial"] = value
    f = only(ss.check(doc))
    assert (f.rule, f.path) == ("schema-type", "/server/serial")
    assert f.message["en"] == f"/server/serial must be text, not a number: quote it, as {shown}"
    assert "引用符で囲んでください" in f.message["ja"]


def test_bool_for_text_is_not_told_to_quote(ss: SchemaSet) -> None:
    doc = registration()
    doc["customer"]["name"] = True
    f = only(ss.check(doc))
    assert f.path == "/customer/name"
    assert f.message["en"] == "/customer/name must be text, not true/false (True)"


@pytest.mark.parametrize("value", [3.0, 3.5, True, "3", None])
def test_integer_fields_take_python_ints_only(ss: SchemaSet, value: object) -> None:
    doc = registration()
    doc["pack"]["term_years"] = value
    f = only(ss.check(doc))   # a type error alone: no duplicate minimum/maximum error at the same path
    assert (f.rule, f.path) == ("schema-type", "/pack/term_years")
    assert "must be a whole number" in f.message["en"]


def test_range_errors_name_the_bound(ss: SchemaSet) -> None:
    doc = registration()
    doc["pack"]["term_years"] = 11
    doc["server"]["warranty_years"] = 0
    findings = ss.check(doc)
    assert rules_at(findings) == [("schema-maximum", "/pack/term_years"), ("schema-minimum", "/server/warranty_years")]
    assert findings[0].message["en"] == "/pack/term_years must be at most 10 (got 11)"
    assert findings[1].message["en"] == "/server/warranty_years must be at least 1 (got 0)"


def test_id_length(ss: SchemaSet) -> None:
    doc = registration()
    doc["id"] = ""
    assert rules_at(ss.check(doc)) == [("schema-min-length", "/id")]
    doc["id"] = "x" * 65
    assert rules_at(ss.check(doc)) == [("schema-max-length", "/id")]
    doc["id"] = "x" * 64
    assert ss.check(doc) == []


@pytest.mark.parametrize("serial", ["43 00", "", "x" * 33, "43_00", "４３"])
def test_serial_pattern(ss: SchemaSet, serial: str) -> None:
    doc = registration()
    doc["server"]["serial"] = serial
    f = only(ss.check(doc))
    assert (f.rule, f.path) == ("schema-pattern", "/server/serial")
    assert "^[A-Za-z0-9-]{1,32}$" in f.message["en"]


def test_enum_suggests_the_nearest_value(ss: SchemaSet) -> None:
    doc = registration()
    doc["pack"]["coverage"] = "Weekday"
    doc["pack"]["generation"] = "ESPG2"
    findings = ss.check(doc)
    assert rules_at(findings) == [("schema-enum", "/pack/coverage"), ("schema-enum", "/pack/generation")]
    assert findings[0].message["en"] == "/pack/coverage must be one of: weekday, 24x365 (got `Weekday`); did you mean `weekday`?"
    assert "did you mean `ESP_G2`?" in findings[1].message["en"]


def test_all_errors_reported_sorted_by_path_rule_message(ss: SchemaSet) -> None:
    doc = registration()
    doc["zeta"] = 1
    doc["alpha"] = 1
    doc["history"] = [doc["history"][0]] * 11
    doc["history"][10] = {"generation": "X", "term_years": 3, "registered_on": "2021-05-01"}
    doc["history"][2] = {"generation": "Y", "term_years": 3, "registered_on": "2021-05-01"}
    doc["server"]["serial"] = 1
    findings = ss.check(doc)
    assert [f.path for f in findings] == ["/alpha", "/history/2/generation", "/history/10/generation",
                                          "/server/serial", "/zeta"]
    assert findings == ss.check(copy.deepcopy(doc))
    assert all(f.effect == "error" and f.faq == [] and set(f.message) == {"en", "ja"} for f in findings)


# ---------------------------------------------------------------- formats

def test_impossible_date_is_rejected(ss: SchemaSet) -> None:
    doc = registration()
    doc["registration_date"] = "2026-02-30"
    f = only(ss.check(doc))
    assert (f.rule, f.path) == ("schema-format", "/registration_date")
    assert f.message["en"] == "/registration_date is not a valid date: 2026-02-30 does not exist in the calendar"
    assert "2026-02-30 は暦に存在しない日付です" in f.message["ja"]


@pytest.mark.parametrize("text", ["2026-5-4", "20260504", "2026-05-04T00:00:00+09:00", "2026-05-04\n",
                                  "2026-13-01", "0000-01-01", "２０２６-０５-０４", " 2026-05-04"])
def test_dates_must_be_yyyy_mm_dd_and_real(ss: SchemaSet, text: str) -> None:
    doc = registration()
    doc["pack"]["purchase_date"] = text
    assert rules_at(ss.check(doc)) == [("schema-format", "/pack/purchase_date")]


def test_leap_day_is_a_date(ss: SchemaSet) -> None:
    doc = registration()
    doc["pack"]["purchase_date"] = "2024-02-29"
    assert ss.check(doc) == []


def test_datetime_without_offset_is_rejected_and_says_so(ss: SchemaSet) -> None:
    doc = service_request()
    doc["requested_at"] = "2026-05-04T10:15:00"
    f = only(ss.check(doc))
    assert (f.rule, f.path) == ("schema-format", "/requested_at")
    assert "offset is required" in f.message["en"]
    assert '"2026-05-04T10:15:00+09:00"' in f.message["en"]
    assert "+09:00" in f.message["ja"]


@pytest.mark.parametrize("text", ["2026-05-04T10:15:00Z", "2026-05-04t10:15:00z", "2026-05-04T10:15:00.123456789+09:00",
                                  "2026-05-04T10:15:00-05:30", "2026-05-04T23:59:59+00:00"])
def test_rfc3339_datetimes_are_accepted(ss: SchemaSet, text: str) -> None:
    doc = service_request()
    doc["requested_at"] = text
    assert ss.check(doc) == []


@pytest.mark.parametrize("text,why", [
    ("2026-05-04T10:15+09:00", "no seconds"), ("2026-05-04 10:15:00+09:00", "not written"),
    ("2026-05-04T24:00:00+09:00", "does not exist"), ("2026-02-30T10:00:00+09:00", "does not exist"),
    ("2026-05-04T10:15:60+09:00", "does not exist"), ("2026-05-04T10:15:00+24:00", "does not exist"),
    ("2026-05-04T10:15:00+0900", "not written"), ("2026-05-04", "not written")])
def test_bad_datetimes_are_rejected(ss: SchemaSet, text: str, why: str) -> None:
    doc = service_request()
    doc["requested_at"] = text
    f = only(ss.check(doc))
    assert (f.rule, f.path) == ("schema-format", "/requested_at")
    assert why in f.message["en"]


@pytest.mark.parametrize("email,ok", [("taro@example.com", True), ("a.b+c@mail.example.co.jp", True),
                                      ("taro@example", False), ("taro example.com", False), ("@example.com", False),
                                      ("taro@@example.com", False), ("taro@ex ample.com", False)])
def test_email_format(ss: SchemaSet, email: str, ok: bool) -> None:
    doc = registration()
    doc["customer"]["contact"]["email"] = email
    assert rules_at(ss.check(doc)) == ([] if ok else [("schema-format", "/customer/contact/email")])


def test_parse_functions() -> None:
    assert parse_date("2024-02-29") == dt.date(2024, 2, 29)
    moment = parse_datetime("2026-05-04T10:15:00.5+09:00")
    assert moment == dt.datetime(2026, 5, 4, 1, 15, 0, 500000, tzinfo=dt.timezone.utc)
    assert moment.utcoffset() == dt.timedelta(hours=9)
    assert parse_datetime("2026-05-04T10:15:00Z").tzinfo is dt.timezone.utc
    with pytest.raises(FormatProblem):
        parse_date("2026-02-30")
    with pytest.raises(FormatProblem):
        parse_datetime("2026-05-04T10:15:00")


# ---------------------------------------------------------------- normalize

def test_date_objects_are_normalized_to_valid_strings(ss: SchemaSet) -> None:
    doc = registration()
    doc["registration_date"] = dt.date(2026, 4, 10)
    doc["history"][0]["registered_on"] = dt.date(2021, 5, 1)
    doc["history"] = tuple(doc["history"])
    original = copy.deepcopy(doc)
    normalized = normalize(doc)
    assert doc == original   # input untouched
    assert normalized["registration_date"] == "2026-04-10"
    assert normalized["history"] == [{"generation": "ESP", "term_years": 3, "registered_on": "2021-05-01"}]
    assert ss.check(normalized) == []


def test_aware_datetime_normalizes_to_valid_naive_to_invalid(ss: SchemaSet) -> None:
    doc = service_request()
    doc["requested_at"] = dt.datetime(2026, 5, 4, 10, 15, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert normalize(doc)["requested_at"] == "2026-05-04T10:15:00+09:00"
    assert ss.check(normalize(doc)) == []
    doc["requested_at"] = dt.datetime(2026, 5, 4, 10, 15)
    assert rules_at(ss.check(normalize(doc))) == [("schema-format", "/requested_at")]


def test_normalize_leaves_other_values_and_copes_with_cycles_and_depth() -> None:
    marker = object()
    assert normalize(marker) is marker
    assert normalize({"a": (1, (2, dt.date(2020, 1, 2))), "b": {3}}) == {"a": [1, [2, "2020-01-02"]], "b": {3}}
    cyclic: list[object] = [dt.date(2020, 1, 1)]
    cyclic.append(cyclic)
    out = normalize(cyclic)
    assert out[0] == "2020-01-01" and out[1] is out
    deep: object = dt.date(2020, 1, 1)
    for _ in range(100_000):
        deep = [deep]
    out = normalize(deep)
    for _ in range(100_000):
        out = out[0]
    assert out == "2020-01-01"


# ---------------------------------------------------------------- decode

def test_decode_types_values_and_keeps_input(ss: SchemaSet) -> None:
    doc = service_request()
    before = copy.deepcopy(doc)
    typed = ss.decode(doc)
    assert doc == before
    assert typed["requested_at"] == dt.datetime(2026, 5, 4, 10, 15, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert typed["requested_at"].utcoffset() == dt.timedelta(hours=9)
    assert typed["server"]["warranty_start"] == dt.date(2025, 4, 1)
    assert type(typed["server"]["warranty_start"]) is dt.date
    assert typed["registration"]["registered_on"] == dt.date(2025, 4, 20)
    assert typed["server"]["serial"] == "4300123" and typed["service"] == {"type": "repair", "part": "ups_battery"}
    assert typed["server"] is not doc["server"]


def test_decode_fills_defaults(ss: SchemaSet) -> None:
    doc = registration()
    del doc["history"], doc["requests"], doc["customer"]
    typed = ss.decode(doc)
    assert typed["history"] == []
    assert typed["requests"] == {"periodic_maintenance": False, "express_notification_24x365": False,
                                 "discount_without_express_notification": False, "ups_battery_replacement": False}
    assert "customer" not in typed
    doc["requests"] = {"periodic_maintenance": True}
    typed = ss.decode(doc)
    assert typed["requests"]["periodic_maintenance"] is True
    assert typed["requests"]["ups_battery_replacement"] is False
    assert doc["requests"] == {"periodic_maintenance": True}
    assert ss.decode(doc)["history"] is not ss.decode(doc)["history"]   # defaults are fresh objects


def test_decode_history_dates(ss: SchemaSet) -> None:
    typed = ss.decode(registration())
    assert typed["history"][0]["registered_on"] == dt.date(2021, 5, 1)
    assert typed["registration_date"] == dt.date(2026, 4, 10)
    assert typed["pack"]["purchase_date"] == dt.date(2026, 4, 1)


def test_decode_change_request_keeps_to(ss: SchemaSet) -> None:
    doc = change_request()
    doc["change"]["to"] = 5
    typed = ss.decode(doc)
    assert typed["change"]["to"] == 5 and typed["registration"]["warranty_start"] == dt.date(2025, 4, 1)


# ---------------------------------------------------------------- shape

def test_shape_of_registration(ss: SchemaSet) -> None:
    shape = ss.shape("registration")
    assert isinstance(shape, TRecord)
    f = shape.fields
    assert f["kind"] == Field(TStr(frozenset({"registration"})), True, None)
    assert f["id"] == Field(STR, True, None)
    assert f["registration_date"] == Field(DATE, True, None)
    server = f["server"].type
    assert isinstance(server, TRecord) and server.fields["warranty_years"] == Field(INT, True, None)
    assert f["pack"].type.fields["generation"].type == TStr(frozenset({"ESP", "ESP_G2"}))
    assert f["pack"].type.fields["coverage"].type == TStr(frozenset({"weekday", "24x365"}))
    history = f["history"]
    assert history.required is False and history.default == [] and history.always_present
    assert isinstance(history.type, TList)
    assert history.type.item.fields["registered_on"] == Field(DATE, True, None)
    requests = f["requests"]
    assert requests.required is False and requests.default == {}
    for flag in requests.type.fields.values():
        assert flag == Field(BOOL, False, False) and flag.always_present
    customer = f["customer"]
    assert customer.required is False and customer.default is None and not customer.always_present
    assert customer.type.fields["contact"].type.fields["email"] == Field(STR, False, None)


def test_shape_of_change_and_service_requests(ss: SchemaSet) -> None:
    change = ss.shape("change_request").fields
    assert change["registration"].required is False and change["registration"].default is None
    assert change["registration"].type.fields["server_serial"] == Field(STR, True, None)
    assert change["change"].type.fields["to"] == Field(TUnion((STR, INT)), False, None)
    assert "reissue" in change["change"].type.fields["type"].type.enum
    service = ss.shape("service_request").fields
    assert service["requested_at"] == Field(DATETIME, True, None)
    assert service["service"].type.fields["part"] == Field(STR, False, None)
    with pytest.raises(KeyError):
        ss.shape("nope")


# ---------------------------------------------------------------- loading schema sets

def test_load_from_a_zip_traversable_and_pickle(tmp_path: Path) -> None:
    archive = tmp_path / "schemas.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in sorted(SCHEMA_DIR.glob("*.json")):
            z.write(p, f"schemas/{p.name}")
        z.writestr("schemas/README.txt", "not a schema")
    loaded = SchemaSet.load(zipfile.Path(archive, "schemas/"))
    assert loaded.kinds == ("change_request", "registration", "service_request")
    clone = pickle.loads(pickle.dumps(loaded))
    assert clone.kinds == loaded.kinds and clone.shape("registration") == loaded.shape("registration")
    doc = registration()
    doc["requets"] = {}
    assert clone.check(doc)[0].message == loaded.check(doc)[0].message


def test_bad_schema_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SchemaFileError):
        SchemaSet.load(tmp_path)
    (tmp_path / "a.json").write_text('{"type": "object", "properties": {}}', encoding="utf-8")
    with pytest.raises(SchemaFileError, match="kind.const"):
        SchemaSet.load(tmp_path)
    shutil.copy(SCHEMA_DIR / "registration.json", tmp_path / "a.json")
    shutil.copy(SCHEMA_DIR / "registration.json", tmp_path / "b.json")
    with pytest.raises(SchemaFileError, match="already has a schema"):
        SchemaSet.load(tmp_path)
    (tmp_path / "b.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(SchemaFileError, match="b.json"):
        SchemaSet.load(tmp_path)


# ---------------------------------------------------------------- never raises

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25)


def assert_findings(result: object) -> None:
    assert isinstance(result, list)
    assert all(isinstance(f, Finding) and f.effect == "error" and isinstance(f.path, str) for f in result)
    assert "schema-unchecked" not in {f.rule for f in result}   # the last resort would mean a bug


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values)
def test_never_raises_on_json_values(ss: SchemaSet, value: object) -> None:
    assert_findings(ss.check(value))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(EXAMPLES)), pointer_index=st.integers(0, 50), key=st.text(max_size=10),
       value=json_values)
def test_never_raises_on_mutated_documents(ss: SchemaSet, kind: str, pointer_index: int, key: str,
                                           value: object) -> None:
    doc = EXAMPLES[kind]()
    pointers = list(object_pointers(doc))
    target = resolve(doc, pointers[pointer_index % len(pointers)])
    names = sorted(target)
    target[names[pointer_index % len(names)] if pointer_index % 3 else key] = value
    result = ss.check(doc)
    assert_findings(result)
    if not result:
        ss.decode(doc)


class Hostile:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no eq")

    __hash__ = object.__hash__


class WeirdStr(str):
    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no eq")

    __hash__ = str.__hash__


def deep_list(depth: int) -> list[object]:
    value: list[object] = []
    for _ in range(depth):
        value = [value]
    return value


def cyclic_list() -> list[object]:
    value: list[object] = []
    value.append(value)
    return value


@pytest.mark.parametrize("where,value,rule", [
    ("/server/serial", {1, 2}, "schema-type"),
    ("/server/serial", b"4300123", "schema-type"),
    ("/server/serial", 10 ** 5000, "schema-type"),
    ("/pack/term_years", 10 ** 5000, "schema-maximum"),
    ("/pack/term_years", -(10 ** 5000), "schema-minimum"),
    ("/pack/term_years", math.nan, "schema-type"),
    ("/pack/term_years", math.inf, "schema-type"),
    ("/server/serial", math.nan, "schema-type"),
    ("/history", deep_list(5000), "schema-type"),
    ("/history", cyclic_list(), "schema-type"),
    ("/pack/coverage", Hostile(), "schema-type"),
    ("/pack/coverage", WeirdStr("weekday"), None),
    ("/pack", dt.date(2020, 1, 1), "schema-type"),
    ("/pack", object(), "schema-type"),
    ("/pack/generation", ("ESP",), "schema-type"),
], ids=lambda v: v if isinstance(v, str) or v is None else type(v).__name__)
def test_never_raises_on_python_objects(ss: SchemaSet, where: str, value: object, rule: str | None) -> None:
    doc = registration()
    parent, _, name = where.rpartition("/")
    resolve(doc, parent)[name] = value
    findings = ss.check(doc)
    assert_findings(findings)
    if rule is not None:
        assert rule in {f.rule for f in findings}
        assert any(f.path.startswith(where) for f in findings)
        for f in findings:
            assert len(f.message["en"]) < 500


def test_hostile_keys_and_top_level_values_do_not_raise(ss: SchemaSet) -> None:
    doc = registration()
    doc[Hostile()] = 1
    doc[7] = 2
    findings = ss.check(doc)
    assert [f.rule for f in findings] == ["schema-additional-properties"] * 2
    for value in (deep_list(100_000), cyclic_list(), Hostile(), 10 ** 5000, {"kind": Hostile()}, math.nan):
        assert_findings(ss.check(value))


# ---------------------------------------------------------------- with the loader

def test_yaml_document_with_unquoted_dates_is_valid_once_normalized(ss: SchemaSet) -> None:
    from espolicy.documents.loader import load_text
    text = ("kind: service_request\nid: SRV-1\nrequested_at: 2026-05-04T10:15:00+09:00\n"
            "server: {serial: \"4300123\", warranty_start: 2025-04-01, warranty_years: 1}\n"
            "service: {type: repair}\n")
    [loaded] = load_text(text, "s.yaml", "yaml")
    assert isinstance(loaded.doc["server"]["warranty_start"], dt.date)
    assert ss.check(normalize(loaded.doc)) == []
    [unquoted] = load_text(text.replace('"4300123"', "4300123"), "s.yaml", "yaml")
    f = only(ss.check(normalize(unquoted.doc)))
    assert f.message["en"] == '/server/serial must be text, not a number: quote it, as "4300123"'


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=6, unique=True), st.text(max_size=12),
       st.data())
def test_nearest_key_is_always_a_known_key_and_a_known_key_is_its_own(known: list[str], name: str,
                                                                      data: st.DataObject) -> None:
    from espolicy.fuzzy import nearest_key
    missing = data.draw(st.lists(st.sampled_from(known), unique=True))
    guess = nearest_key(name, known, missing)
    assert guess is not None and guess.key in known
    own = data.draw(st.sampled_from(known))
    itself = nearest_key(own, known, missing)
    assert itself is not None and itself.close and _plain(itself.key) == _plain(own)   # (or one written alike)


def _plain(key: str) -> str:
    return "".join(c for c in key.casefold() if c not in "_- ")
