"""Hypothesis properties of `espolicy.validate` (docs/contract.md §1, §3, §4).

- it never raises, whatever JSON (or near-JSON) value it gets, and its report is strict JSON;
- the outcome follows from the findings' effects (invalid > deny > review > allow);
- every document built from the schemas is judged (never `invalid`);
- customer contact details never change a decision;
- the weekday plan covers exactly Mon-Fri 08:30 <= Japan time < 17:30, holidays included;
- reports are deterministic, and `datetime.date` / aware `datetime` inputs (what YAML yields)
  give the same report as ISO strings;
- date facts equal both their ISO string and the `datetime.date`.
"""
from __future__ import annotations

import copy
import json
import math
import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import holidays
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import espolicy
from espolicy.documents.loader import load_text

KINDS = ("registration", "change_request", "service_request")
OUTCOMES = {"allow", "deny", "review", "invalid"}
JST = timezone(timedelta(hours=9))

# database=None: the suite writes nothing outside pytest's tmp_path
FAST = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
MEDIUM = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# =========================================================================== arbitrary JSON values

# built lazily: Hypothesis shows the elements of `sampled_from`, and ints over 4300 digits cannot be shown
HUGE_INTS = st.builds(lambda e, sign: sign * 10**e, st.sampled_from([19, 400, 4400, 5000]), st.sampled_from([1, -1]))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    HUGE_INTS,
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["2026-04-10", "2026-02-30", "2026-05-04T10:15:00+09:00", "2026-05-04T10:15:00",
                     "ESP", "ESP_G2", "weekday", "24x365", "reissue", "ups_battery", ""]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=12), children, max_size=4),
    ),
    max_leaves=20,
)

FIELD_NAMES = [
    "id", "registration_date", "server", "pack", "history", "requests", "customer", "request_date",
    "registration", "change", "requested_at", "service", "model", "serial", "warranty_start",
    "warranty_years", "generation", "coverage", "term_years", "purchase_date", "registered_on",
    "server_serial", "type", "to", "reason", "part", "periodic_maintenance",
]
field_names = st.sampled_from(FIELD_NAMES) | st.text(max_size=10)


@st.composite
def kinded_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A mapping with a real `kind` and random fields, nested records with known field names."""
    nested = st.recursive(scalars, lambda c: st.dictionaries(field_names, c, max_size=5) | st.lists(c, max_size=3),
                          max_leaves=15)
    doc = draw(st.dictionaries(field_names, nested, max_size=8))
    doc["kind"] = draw(st.sampled_from(KINDS))
    return doc


# =========================================================================== valid documents

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
serials = st.from_regex(r"[A-Za-z0-9-]{1,32}", fullmatch=True)
ids = st.text(min_size=1, max_size=64)
generations = st.sampled_from(["ESP", "ESP_G2"])
coverages = st.sampled_from(["weekday", "24x365"])
terms = st.integers(min_value=1, max_value=10)
warranty_years = st.integers(min_value=1, max_value=5)
emails = st.builds(lambda a, b, c: f"{a}@{b}.{c}",
                   st.from_regex(r"[a-z0-9._+-]{1,10}", fullmatch=True),
                   st.from_regex(r"[a-z0-9-]{1,10}", fullmatch=True),
                   st.sampled_from(["com", "jp", "co.jp", "example"]))
offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda m: timezone(timedelta(minutes=m)))
instants = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2040, 12, 30)).map(
    lambda d: d.replace(microsecond=0, tzinfo=timezone.utc))
aware_datetimes = st.builds(lambda i, tz: i.astimezone(tz), instants, offsets)


def optional(d: dict[str, Any], key: str, value: Any, present: bool) -> None:
    if present:
        d[key] = value


@st.composite
def customers(draw: st.DrawFn) -> dict[str, Any]:
    c: dict[str, Any] = {}
    optional(c, "name", draw(st.text(max_size=30)), draw(st.booleans()))
    optional(c, "site", draw(st.text(max_size=40)), draw(st.booleans()))
    if draw(st.booleans()):
        contact: dict[str, Any] = {}
        optional(contact, "name", draw(st.text(max_size=20)), draw(st.booleans()))
        optional(contact, "phone", draw(st.text(max_size=15)), draw(st.booleans()))
        optional(contact, "email", draw(emails), draw(st.booleans()))
        c["contact"] = contact
    return c


@st.composite
def registrations(draw: st.DrawFn) -> dict[str, Any]:
    """A schema-valid registration with Python `date` values (as the YAML loader gives them)."""
    doc: dict[str, Any] = {
        "kind": "registration",
        "id": draw(ids),
        "registration_date": draw(dates),
        "server": {"model": draw(st.text(max_size=30)), "serial": draw(serials),
                   "warranty_start": draw(dates), "warranty_years": draw(warranty_years)},
        "pack": {"generation": draw(generations), "coverage": draw(coverages), "term_years": draw(terms),
                 "purchase_date": draw(dates)},
    }
    if draw(st.booleans()):
        doc["history"] = draw(st.lists(st.fixed_dictionaries(
            {"generation": generations, "term_years": terms, "registered_on": dates}), max_size=3))
    if draw(st.booleans()):
        flags = ["periodic_maintenance", "express_notification_24x365",
                 "discount_without_express_notification", "ups_battery_replacement"]
        doc["requests"] = {f: draw(st.booleans()) for f in flags if draw(st.booleans())}
    if draw(st.booleans()):
        doc["customer"] = draw(customers())
    return doc


@st.composite
def change_requests(draw: st.DrawFn) -> dict[str, Any]:
    change_type = draw(st.sampled_from(["site", "contact", "coverage", "term", "server",
                                        "express_notification_hours", "generation", "reissue"]))
    doc: dict[str, Any] = {"kind": "change_request", "id": draw(ids), "request_date": draw(dates)}
    if change_type != "reissue" or draw(st.booleans()):
        doc["registration"] = {"generation": draw(generations), "coverage": draw(coverages),
                               "term_years": draw(terms), "server_serial": draw(serials),
                               "warranty_start": draw(dates), "registered_on": draw(dates)}
    change: dict[str, Any] = {"type": change_type}
    if change_type != "reissue" or draw(st.booleans()):
        change["to"] = draw(st.one_of(st.text(max_size=20), st.integers(min_value=-1000, max_value=1000),
                                      st.integers()))
    optional(change, "reason", draw(st.text(max_size=30)), draw(st.booleans()))
    doc["change"] = change
    return doc


@st.composite
def service_requests(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "kind": "service_request",
        "id": draw(ids),
        "requested_at": draw(aware_datetimes),
        "server": {"serial": draw(serials), "warranty_start": draw(dates), "warranty_years": draw(warranty_years)},
        "service": {"type": draw(st.sampled_from(["repair", "periodic_maintenance", "part_replacement"]))},
    }
    if draw(st.booleans()):
        doc["registration"] = {"generation": draw(generations), "coverage": draw(coverages),
                               "term_years": draw(terms), "registered_on": draw(dates)}
    if draw(st.booleans()):
        doc["service"]["part"] = draw(st.sampled_from(["ups_battery", "disk", "fan"]) | st.text(max_size=15))
    return doc


valid_native_docs = st.one_of(registrations(), change_requests(), service_requests())


def rfc3339(dt: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS±HH:MM` (seconds precision)."""
    offset = dt.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hh, mm = divmod(abs(minutes), 60)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{hh:02d}:{mm:02d}"


def as_strings(value: Any) -> Any:
    """The JSON form of a native document: dates as `YYYY-MM-DD`, datetimes as RFC 3339."""
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: as_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_strings(v) for v in value]
    return value


valid_docs = valid_native_docs.map(as_strings)


def effects(report: espolicy.Report) -> set[str]:
    return {f.effect for f in report.findings}


def expected_outcome(report: espolicy.Report) -> str:
    eff = effects(report)
    if "error" in eff:
        return "invalid"
    if "deny" in eff:
        return "deny"
    if "review" in eff:
        return "review"
    return "allow"


def strict_json(report: espolicy.Report) -> str:
    return json.dumps(report.to_dict(), allow_nan=False)


def check_invalid_report(report: espolicy.Report) -> None:
    """An `invalid` report explains itself with `error` findings only; a bad document is a document
    problem (schema or shape), never an evaluation crash."""
    if report.outcome == "invalid":
        assert report.findings
        assert report.facts == {}
        for f in report.findings:
            assert f.effect == "error"
            assert f.message.get("en") and f.message.get("ja")
            assert f.rule != "evaluation-error", f.to_dict()
    else:
        assert "error" not in effects(report)


# =========================================================================== never raises


@FAST
@given(json_values)
def test_validate_never_raises_on_any_json_value(value):
    report = espolicy.validate(value)
    assert report.outcome in OUTCOMES
    strict_json(report)
    check_invalid_report(report)
    if not isinstance(value, dict):
        assert report.outcome == "invalid"


@FAST
@given(kinded_dicts())
def test_validate_never_raises_on_mappings_of_a_real_kind(doc):
    report = espolicy.validate(doc)
    assert report.outcome in OUTCOMES
    assert report.outcome == expected_outcome(report)
    strict_json(report)
    check_invalid_report(report)


@st.composite
def mutated_valid_docs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid document with one value somewhere replaced by an arbitrary JSON value (or removed)."""
    doc = draw(valid_docs)
    node: Any = doc
    if draw(st.integers(0, 9)) == 0:
        doc[draw(st.sampled_from(FIELD_NAMES))] = draw(json_values)
        return doc
    while True:
        keys = list(node.keys()) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, (dict, list)) and child and draw(st.booleans()):
            node = child
            continue
        if isinstance(node, dict) and draw(st.integers(0, 4)) == 0:
            del node[key]
        else:
            node[key] = draw(json_values)
        break
    return doc


@FAST
@given(mutated_valid_docs())
def test_validate_never_raises_on_near_valid_documents(doc):
    report = espolicy.validate(doc)
    assert report.outcome in OUTCOMES
    assert report.outcome == expected_outcome(report)
    strict_json(report)
    check_invalid_report(report)


# =========================================================================== outcomes of valid documents


@FAST
@given(valid_docs)
def test_generated_valid_documents_are_never_invalid(doc):
    report = espolicy.validate(doc)
    assert report.outcome != "invalid", [f.to_dict() for f in report.findings]
    assert "error" not in effects(report)
    assert report.kind == doc["kind"] and report.id == doc["id"]


@FAST
@given(valid_docs)
def test_outcome_follows_the_strongest_effect(doc):
    report = espolicy.validate(doc)
    assert report.outcome == expected_outcome(report)
    # warn and info never change it: dropping them gives the same outcome
    rest = [f for f in report.findings if f.effect not in ("warn", "info")]
    from espolicy.report import outcome_of
    assert outcome_of(rest) == report.outcome
    for f in report.findings:
        assert f.effect in {"deny", "review", "warn", "info"}
        assert f.path.startswith("/")
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", f.rule)
        assert all(re.fullmatch(r"Q[0-9]+", q) for q in f.faq)
        for part in (f.message, f.advice):
            assert part is not None and part.get("en") and part.get("ja")
    strict_json(report)


def test_huge_integer_change_to_in_a_valid_document_is_not_invalid():
    """`change.to` is `string | integer` with no bound: 10**5000 is schema-valid, and a term change is
    denied (Q8; Q6 since it runs past 5 years). It must not come out `invalid`."""
    doc = {
        "kind": "change_request", "id": "CHG-HUGE", "request_date": "2026-06-01",
        "registration": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3,
                         "server_serial": "4300123", "warranty_start": "2025-04-01", "registered_on": "2025-04-20"},
        "change": {"type": "term", "to": 10**5000},
    }
    report = espolicy.validate(doc)
    strict_json(report)
    assert report.outcome == "deny", [f.to_dict() for f in report.findings]
    assert {f.rule for f in report.findings} == {"term-change-not-possible", "term-change-beyond-five-years"}


# =========================================================================== customer details


def _decision(report: espolicy.Report) -> tuple[Any, ...]:
    return report.outcome, [(f.rule, f.effect, f.path) for f in report.findings], dict(report.facts)


@FAST
@given(registrations().map(as_strings), st.one_of(st.none(), customers()))
def test_customer_details_never_change_the_decision(doc, customer):
    base = espolicy.validate(doc)
    other = copy.deepcopy(doc)
    if customer is None:
        other.pop("customer", None)
    else:
        other["customer"] = customer
    changed = espolicy.validate(other)
    assert _decision(changed) == _decision(base)


# =========================================================================== weekday coverage


def _holiday_ja(d: date) -> str | None:
    name = holidays.Japan(years=d.year, language="ja").get(d)
    return None if name is None else str(name)


def _next_window(local: datetime) -> datetime:
    """Next Mon-Fri 08:30 JST strictly after `local` (a JST datetime)."""
    day = local.date()
    while True:
        if day.weekday() < 5:
            candidate = datetime.combine(day, time(8, 30), tzinfo=JST)
            if candidate > local:
                return candidate
        day += timedelta(days=1)


@MEDIUM
@given(instants, offsets, st.integers(0, 5 * 365 - 10), st.integers(0, 400), st.sampled_from([5, 6, 10]),
       st.booleans())
def test_weekday_plan_coverage_is_japan_mon_fri_0830_to_1730(instant, tz, since_start, since_reg, term,
                                                                 fractional):
    local = instant.astimezone(JST)
    jdate = local.date()
    warranty_start = jdate - timedelta(days=since_start)
    registered_on = jdate - timedelta(days=min(since_reg, since_start))
    requested_at = rfc3339(instant.astimezone(tz))
    if fractional:
        requested_at = requested_at[:19] + ".5" + requested_at[19:]
    doc = {
        "kind": "service_request", "id": "SRV-P", "requested_at": requested_at,
        "server": {"serial": "P-1", "warranty_start": warranty_start.isoformat(), "warranty_years": 1},
        "registration": {"generation": "ESP_G2", "coverage": "weekday", "term_years": term,
                         "registered_on": registered_on.isoformat()},
        "service": {"type": "repair"},
    }
    report = espolicy.validate(doc)
    assert report.outcome == "allow", [f.to_dict() for f in report.findings]
    assert report.facts["route"] == "pack"

    inside = local.weekday() < 5 and time(8, 30) <= local.time() < time(17, 30)
    assert report.facts["covered_now"] is inside
    holiday = _holiday_ja(jdate)
    if holiday is None:
        assert "holiday" not in report.facts
    else:
        assert report.facts["holiday"] == holiday
    rules = {(f.rule, f.effect) for f in report.findings}
    if inside:
        assert "next_service_window" not in report.facts
        assert rules == ({("holiday-is-service-day", "info")} if holiday else set())
    else:
        assert rules == {("outside-weekday-hours", "warn")}
        window = report.facts["next_service_window"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T08:30:00\+09:00", window)
        assert window == _next_window(local).isoformat()


@MEDIUM
@given(instants, offsets)
def test_24x365_plan_is_always_covered(instant, tz):
    jdate = instant.astimezone(JST).date()
    doc = {
        "kind": "service_request", "id": "SRV-Q", "requested_at": rfc3339(instant.astimezone(tz)),
        "server": {"serial": "Q-1", "warranty_start": (jdate - timedelta(days=30)).isoformat(), "warranty_years": 1},
        "registration": {"generation": "ESP_G2", "coverage": "24x365", "term_years": 3,
                         "registered_on": (jdate - timedelta(days=1)).isoformat()},
        "service": {"type": "repair"},
    }
    report = espolicy.validate(doc)
    assert report.outcome == "allow"
    assert report.findings == []
    assert report.facts["covered_now"] is True
    assert "next_service_window" not in report.facts


# =========================================================================== determinism and input forms


@FAST
@given(valid_native_docs)
def test_reports_are_deterministic(native):
    doc = as_strings(native)
    first = json.dumps(espolicy.validate(doc).to_dict(), sort_keys=False, ensure_ascii=False)
    second = json.dumps(espolicy.validate(copy.deepcopy(doc)).to_dict(), sort_keys=False, ensure_ascii=False)
    assert first == second


@FAST
@given(valid_native_docs)
def test_python_dates_give_the_same_report_as_iso_strings(native):
    with_strings = espolicy.validate(as_strings(native))
    with_dates = espolicy.validate(copy.deepcopy(native))
    assert json.dumps(with_dates.to_dict()) == json.dumps(with_strings.to_dict())


class _IsoDumper(yaml.SafeDumper):
    """Writes datetimes unquoted as the contract writes them (PyYAML's own `2026-05-04 10:15:00+09:00`,
    with a space, is not that form, and is invalid as it is quoted)."""


_IsoDumper.add_representer(datetime, lambda d, v: d.represent_scalar("tag:yaml.org,2002:timestamp", v.isoformat()))


@MEDIUM
@given(valid_native_docs)
def test_yaml_with_unquoted_dates_gives_the_same_report(native):
    text = yaml.dump(native, Dumper=_IsoDumper, allow_unicode=True, sort_keys=False)
    # PyYAML's own emitter does not round-trip every text (NEL, U+2028 fold into spaces): not ours to test
    assume(yaml.safe_load(text) == native)
    loaded = list(load_text(text, "doc.yaml", "yaml"))
    assert len(loaded) == 1 and loaded[0].problem is None
    from_yaml = espolicy.validate(loaded[0].doc)
    from_strings = espolicy.validate(as_strings(native))
    assert from_yaml.to_dict() == from_strings.to_dict()


_SERVICE_YAML = ("kind: service_request\nid: SRV-T\nrequested_at: {at}\n"
                 "server: {{serial: \"1\", warranty_start: {start}, warranty_years: 1}}\n"
                 "registration: {{generation: ESP_G2, coverage: weekday, term_years: 3, registered_on: 2025-04-20}}\n"
                 "service: {{type: repair}}\n")
_digits = lambda low, high: st.text("0123456789", min_size=low, max_size=high)   # noqa: E731
_timestamp_like = st.builds(
    lambda y, mo, d, sep, h, mi, sec, frac, space, off: f"{y}-{mo}-{d}{sep}{h}:{mi}{sec}{frac}{space if off else ''}{off}",
    _digits(4, 4), _digits(1, 2), _digits(1, 2), st.sampled_from(["T", "t", " ", "  ", "\t"]),
    _digits(1, 2), _digits(2, 2), st.sampled_from(["", ":00", ":59", ":60"]), st.sampled_from(["", ".5", ".500000"]),
    st.sampled_from(["", " "]), st.sampled_from(["", "Z", "+09:00", "+09", "-5", "-05:00", "+0900", "+24:00"]))
_date_like = st.builds(lambda y, mo, d: f"{y}-{mo}-{d}", _digits(4, 4), _digits(1, 2), _digits(1, 2))


@MEDIUM
@given(_timestamp_like | st.sampled_from(["2026-05-07T10:15:00+09:00", "2026-5-7T10:15:00+09:00",
                                          "2026-05-07 10:15:00+09:00", "2026-05-07T10:15:00 +09:00"]),
       _date_like | st.sampled_from(["2025-04-01", "2025-02-30", "2025-4-1"]))
def test_a_yaml_timestamp_gets_the_same_report_quoted_or_not(at, start):
    """The same text gets the same verdict and the same messages, whether YAML reads it as a timestamp or not."""
    reports = []
    for text in (_SERVICE_YAML.format(at=at, start=start), _SERVICE_YAML.format(at=json.dumps(at), start=json.dumps(start))):
        [loaded] = load_text(text, "s.yaml", "yaml")
        assert loaded.problem is None
        reports.append(espolicy.default_policy().validate(loaded.doc, today=date(2026, 11, 30)).to_dict())
    assert reports[0] == reports[1]


@pytest.mark.parametrize("requested_at", [
    "2026-05-04T10:15:00", datetime(2026, 5, 4, 10, 15), "2026-05-04T10:15+09:00", date(2026, 5, 4)])
def test_requested_at_without_offset_or_seconds_is_invalid(requested_at):
    doc = {
        "kind": "service_request", "id": "SRV-N", "requested_at": requested_at,
        "server": {"serial": "N-1", "warranty_start": "2025-04-01", "warranty_years": 1},
        "service": {"type": "repair"},
    }
    report = espolicy.validate(doc)
    assert report.outcome == "invalid"
    assert [f.path for f in report.findings] == ["/requested_at"]


def test_validate_does_not_modify_its_input():
    native = {
        "kind": "service_request", "id": "SRV-M", "requested_at": datetime(2026, 5, 4, 10, 15, tzinfo=JST),
        "server": {"serial": "M-1", "warranty_start": date(2025, 4, 1), "warranty_years": 1},
        "service": {"type": "repair"},
    }
    before = copy.deepcopy(native)
    espolicy.validate(native)
    assert native == before


# =========================================================================== date facts

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00")
DATE_FACTS = {"service_last_day", "warranty_last_day", "registration_center_next_open"}


@FAST
@given(valid_docs)
def test_date_facts_are_iso_strings_that_name_their_date(doc):
    report = espolicy.validate(doc)
    for name, value in report.facts.items():
        if name in DATE_FACTS:
            assert isinstance(value, str) and ISO_DATE.fullmatch(value), (name, value)
        if isinstance(value, str) and ISO_DATE.fullmatch(value):
            as_date = date.fromisoformat(value)
            assert value == str(value) and value == as_date.isoformat() and hash(value) == hash(as_date.isoformat())
            assert getattr(value, "value", as_date) == as_date
        if name == "next_service_window":
            assert ISO_DATETIME.fullmatch(value), value
            as_dt = datetime.fromisoformat(value)
            assert value == as_dt.isoformat() and value.value == as_dt
            assert value.value == as_dt.astimezone(timezone.utc)
        if isinstance(value, float):
            assert math.isfinite(value)
    json.dumps(report.facts, allow_nan=False)


def test_date_facts_concrete_values():
    doc = {
        "kind": "registration", "id": "R", "registration_date": "2026-04-10",
        "server": {"model": "m", "serial": "1", "warranty_start": "2025-04-01", "warranty_years": 1},
        "pack": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3, "purchase_date": "2026-04-01"},
    }
    facts = espolicy.validate(doc).facts
    assert facts["service_last_day"] == "2028-03-31" and facts["service_last_day"].value == date(2028, 3, 31)
    assert facts["warranty_last_day"] == "2026-03-31" and facts["warranty_last_day"].value == date(2026, 3, 31)
    assert facts["elapsed_days"] == (date(2026, 4, 10) - date(2025, 4, 1)).days
    assert facts["remaining_days"] == (date(2028, 3, 31) - date(2026, 4, 10)).days + 1
