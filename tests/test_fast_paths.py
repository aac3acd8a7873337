"""The loader's fast paths give exactly what the plain pandas operations give.

Large exports take shortcuts: ids that are plain numbers are compared as int64, columns read
dictionary-encoded are parsed on their categories, file names and reasons are categoricals.
Each shortcut is checked here against the straightforward computation, edge cases included.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smk.io import parse
from smk.io.mapping import _same_categories, translate
from smk.io.validate import _duplicated_ints, _int_ids, _vocabulary, duplicated, is_in

ID_TEXT = st.one_of(
    st.none(),
    st.integers(0, 40).map(str),  # plain numbers, often repeated
    st.sampled_from(["007", "+7", "-1", " 7", "7.0", "a7", "", "0", "00"]),
)


def _text(values) -> pd.Series:
    return pd.Series(values, dtype="string")


@given(st.lists(ID_TEXT, max_size=60))
def test_duplicated_matches_pandas(values):
    s = _text(values)
    assert duplicated(s).tolist() == s.duplicated().tolist()


@given(st.lists(ID_TEXT, max_size=40), st.lists(ID_TEXT, max_size=40))
def test_is_in_matches_pandas(values, keys):
    s, k = _text(values), _text(keys)
    expected = s.isin(k.dropna()).fillna(False) & s.notna()
    assert is_in(s, k).tolist() == expected.tolist()


def test_ids_with_padding_or_signs_are_not_treated_as_numbers():
    assert _int_ids(_text(["7", "007"])) is None  # `007` and `7` are different ids
    assert _int_ids(_text(["7", "+7"])) is None
    assert _int_ids(_text(["1", "x"])) is None
    ints = _int_ids(_text(["10", None, "3"]))
    assert ints is not None and ints[0].tolist() == [10, -1, 3]


def test_duplicated_ints_on_wide_and_narrow_ranges():
    rng = np.random.default_rng(0)
    narrow = rng.permutation(np.arange(5_000_000_001, 5_000_100_001))
    narrow[[5, 70]] = narrow[[900, 80_000]]
    wide = rng.integers(0, 10**15, 5_000)
    wide[3] = wide[4_000]
    for ids in (narrow, wide, np.zeros(0, dtype=np.int64)):
        assert _duplicated_ints(ids).tolist() == pd.Series(ids).duplicated().tolist()


def test_clean_text_of_a_categorical_stays_categorical_and_merges_categories():
    raw = pd.Series(pd.Categorical([" Email", "Email", None, "n/a", "Ads\u00a0", "Ads"]))
    cleaned = parse.clean_text(raw)
    assert parse.is_categorical(cleaned)
    assert list(cleaned.cat.categories) == ["Email", "Ads"]
    as_text = parse.as_text(cleaned)
    assert as_text.dtype == "string"
    expected = parse.clean_text(raw.astype("string"))
    pd.testing.assert_series_equal(as_text, expected, check_names=False)


def test_parsers_give_the_same_rows_for_categoricals_and_text():
    values = ["Organic Search", " Paid Search", None, "Direct Traffic", "", "Something New"]
    mapping = {"Organic Search": "organic_search", "Paid Search": "paid_search"}
    text = _text(values)
    cat = pd.Series(pd.Categorical(values))
    pd.testing.assert_series_equal(
        parse.as_text(translate(cat, mapping)), translate(text, mapping), check_names=False
    )
    v_text, unknown_text = _vocabulary(parse.clean_text(text), "channel")
    v_cat, unknown_cat = _vocabulary(parse.clean_text(cat), "channel")
    pd.testing.assert_series_equal(parse.as_text(v_cat), v_text, check_names=False)
    assert unknown_cat.to_dict() == unknown_text.to_dict() != {}


def test_bool_and_date_results_of_a_categorical_are_spread_to_every_row():
    cat = pd.Series(pd.Categorical(["2026-01-02 03:04", None, "not a date", "2026-01-02 03:04"]))
    parsed, bad, _ = parse.parse_datetimes(cat)
    expected, expected_bad, _ = parse.parse_datetimes(cat.astype("string"))
    pd.testing.assert_series_equal(parsed, expected)
    flags = [bad.fillna(False).tolist(), expected_bad.fillna(False).tolist()]
    assert flags[0] == flags[1] == [False, False, True, False]


@pytest.mark.parametrize("second", [["b", "c"], None])
def test_concatenated_files_keep_categorical_columns_categorical(second):
    one = pd.DataFrame({"k": pd.Categorical(["a", "b"])})
    two = pd.DataFrame({"k": pd.Categorical(second) if second else ["c", None]})
    both = pd.concat(_same_categories([one, two]), ignore_index=True)
    assert parse.is_categorical(both["k"])
    assert both["k"].tolist()[:3] == ["a", "b", second[0] if second else "c"]


def test_is_in_with_many_keys_takes_the_int_path_and_matches_pandas():
    rng = np.random.default_rng(1)
    keys = _text(rng.permutation(np.arange(1, 20_001)).astype(str))
    values = _text(["7", "007", None, "20000", "20001", "0", "15000", "+7"])
    assert _int_ids(values[[0, 3, 4]], keys) is not None
    expected = values.isin(keys).fillna(False) & values.notna()
    assert (
        is_in(values, keys).tolist()
        == expected.tolist()
        == [True, False, False, True, False, False, True, False]
    )
