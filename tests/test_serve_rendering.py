"""The JSON a service response is made of: orjson's and the standard library's text read back as
the same value, whichever of the two writes it (orjson refuses integers beyond 64 bits; the
standard library then writes the response)."""
from __future__ import annotations

import datetime as dt
import json

from hypothesis import given
from hypothesis import strategies as st

from espolicy.serve.rendering import json_bytes, standard_json_bytes

def _json(leaves: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=5)
                        | st.dictionaries(st.text(max_size=12), inner, max_size=5), max_leaves=30)


_EXACT = st.none() | st.booleans() | st.integers() | st.text()


@given(_json(_EXACT | st.floats(allow_nan=False, allow_infinity=False)))
def test_both_writers_give_json_of_the_same_value(value):
    assert json.loads(json_bytes(value)) == json.loads(standard_json_bytes(value)) == value


@given(_json(_EXACT))
def test_both_writers_give_the_same_compact_utf8_text(value):
    """(Floats aside: `1e+16` and `1e16` are the same number written two ways.)"""
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert json_bytes(value) == standard_json_bytes(value) == expected


def test_what_json_has_no_type_for_is_written_as_str_writes_it():
    value = {1: dt.date(2026, 4, 10), "at": dt.datetime(2026, 4, 10, 9, 30, tzinfo=dt.timezone.utc),
             "t": dt.time(9, 30)}
    expected = {"1": "2026-04-10", "at": "2026-04-10 09:30:00+00:00", "t": "09:30:00"}
    assert json.loads(json_bytes(value)) == json.loads(standard_json_bytes(value)) == expected


def test_an_integer_beyond_64_bits_is_written_whole():
    value = {"n": 2 ** 80, "m": -(2 ** 70), "list": [2 ** 64, 1]}
    assert json.loads(json_bytes(value)) == value
    assert json_bytes(value) == standard_json_bytes(value) == b'{"n":1208925819614629174706176,' \
        b'"m":-1180591620717411303424,"list":[18446744073709551616,1]}'
