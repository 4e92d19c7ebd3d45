"""The built-ins behind contract §6: `read_term` (a requested term read with its unit) and
`normalize` (a name however it is written)."""
from __future__ import annotations

import datetime as dt

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from espolicy.lang.builtins import BUILTINS
from espolicy.termtext import MONTHS_CAP, read_term

normalize = BUILTINS["normalize"].impl
FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
YEAR_UNITS = ["", " years", "years", " year", "年", "年間", "ヶ年", " YEARS", " yrs"]
MONTH_UNITS = [" months", "months", " month", "ヶ月", "か月", "カ月", "ヵ月", "ケ月", "箇月", "ヶ月間", " MONTHS"]
ARROWS = ["→", " -> ", "->", " => ", "⇒"]


@pytest.mark.parametrize("text, term", [
    ("6", {"months": 72}), ("6 years", {"months": 72}), ("６年", {"months": 72}), ("6年間", {"months": 72}),
    ("5.5 years", {"months": 66}), ("５．５年", {"months": 66}), ("18 months", {"months": 18}),
    ("18ヶ月", {"months": 18}), ("18か月", {"months": 18}), ("18カ月", {"months": 18}), ("18箇月", {"months": 18}),
    ("2029-03-31", {"end": dt.date(2029, 3, 31)}), ("2029/3/31", {"end": dt.date(2029, 3, 31)}),
    ("2029年3月31日", {"end": dt.date(2029, 3, 31)}), ("3年→6年", {"months": 72}), ("3 -> 6 years", {"months": 72}),
    ("18ヶ月→24", {"months": 24}), ("5年6ヶ月", {"months": 66}), ("1 year and 6 months", {"months": 18}),
    ("5.01 years", {"months": 61}), ("4.99 years", {"months": 60}), ("0", {"months": 0}), ("٦", {"months": 72}),
    ("0" * 25 + "7", {"months": 84}), ("1" + "0" * 30, {"months": MONTHS_CAP}),
    ("  6 Years\t", {"months": 72}),
])
def test_a_term_text_is_read_with_its_unit(text: str, term: dict) -> None:
    assert read_term(text) == term


@pytest.mark.parametrize("text", ["", "   ", "six years", "-6", "+6", "6.", ".5", "6 years!", "6年以上", "3年→", "→6年",
                                  "3年→six", "2029-02-30", "2029年3月31", "20290331 x", "6ヶ月5年", "7 y",
                                  "5.0000000000000000001 years", "about 6 years", "お任せ"])
def test_a_text_that_cannot_be_read_is_absent(text: str) -> None:
    assert read_term(text) is None


@given(st.integers(0, 10 ** 6), st.sampled_from(YEAR_UNITS), st.booleans())
def test_years_are_twelve_months(n: int, unit: str, full_width: bool) -> None:
    text = f"{n}{unit}"
    assert read_term(text.translate(FULL_WIDTH) if full_width else text) == {"months": 12 * n}


@given(st.integers(0, 10 ** 6), st.sampled_from(MONTH_UNITS))
def test_months_are_months(n: int, unit: str) -> None:
    assert read_term(f"{n}{unit}") == {"months": n}


@given(st.integers(0, 99), st.integers(1, 99), st.sampled_from(YEAR_UNITS[1:]))
def test_a_started_month_counts_whole(n: int, hundredths: int, unit: str) -> None:
    months = read_term(f"{n}.{hundredths:02d}{unit}")
    assert months is not None and months["months"] == -(-(n * 100 + hundredths) * 12 // 100)


@given(st.integers(1, 20), st.sampled_from(YEAR_UNITS[1:] + MONTH_UNITS), st.sampled_from(ARROWS),
       st.integers(0, 20), st.sampled_from(YEAR_UNITS[1:] + MONTH_UNITS))
def test_with_an_arrow_the_last_term_counts(a: int, unit_a: str, arrow: str, b: int, unit_b: str) -> None:
    assert read_term(f"{a}{unit_a}{arrow}{b}{unit_b}") == read_term(f"{b}{unit_b}")


@given(st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31)))
def test_an_end_date_is_the_last_day_wanted(day: dt.date) -> None:
    assert read_term(day.isoformat()) == {"end": day}


@pytest.mark.parametrize("text, name", [
    ("UPS_Battery", "ups battery"), ("ups battery", "ups battery"), ("UPS-battery", "ups battery"),
    ("ＵＰＳ＿ＢＡＴＴＥＲＹ", "ups battery"), ("  ups -_\t battery ", "ups battery"), ("UPSﾊﾞｯﾃﾘｰ", "upsバッテリー"),
    ("UPS用バッテリ", "ups用バッテリ"), ("", ""), ("___", ""),
    ("ups\u2010battery", "ups battery"), ("UPS\u2013Battery", "ups battery"), ("UPS・バッテリ", "ups バッテリ"),
    ("UPS\u200bbattery", "upsbattery"), ("ups\u2212battery", "ups battery"), ("バッテリー〜", "バッテリー"),
])
def test_normalize(text: str, name: str) -> None:
    assert normalize(text) == name


@given(st.lists(st.text("abcXYZ", min_size=1, max_size=5), min_size=1, max_size=4),
       st.lists(st.text(" _-\t　＿", min_size=1, max_size=3), min_size=3, max_size=3))
def test_normalize_makes_every_run_of_separators_one_space(words: list[str], seps: list[str]) -> None:
    text = seps[0] + "".join(w + seps[(i % 2) + 1] for i, w in enumerate(words))
    assert normalize(text) == " ".join(w.lower() for w in words)


def test_every_dash_is_a_separator_and_the_long_vowel_mark_is_not() -> None:
    dashes = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Pd"]
    assert all(normalize(f"a{dash}b") == "a b" for dash in dashes)
    assert normalize("バッテリー") == "バッテリー"


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)


@given(st.text())
def test_normalize_leaves_no_separator_run_and_none_at_the_ends(text: str) -> None:
    name = normalize(text)
    assert "_" not in name and "-" not in name and "  " not in name
    assert name == name.strip() and all(not ch.isspace() or ch == " " for ch in name)
