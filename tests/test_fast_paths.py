"""The loader's fast paths give exactly what the plain pandas operations give.

Large exports take shortcuts: ids that are plain numbers are compared as int64, columns read
dictionary-encoded are parsed on their categories, file names and reasons are categoricals.
Each shortcut is checked here against the straightforward computation, edge cases included.
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import smk
from smk.io import parse
from smk.io.mapping import _same_categories, translate
from smk.io.validate import (
    _duplicated_ints,
    _duplicated_nearly_sorted,
    _duplicated_words,
    _email_key,
    _int_ids,
    _int_is_in,
    _keep_rows,
    _rows_of,
    _shared,
    _strays,
    _take_rows,
    _vocabulary,
    assemble,
    duplicated,
    is_in,
)

ID_TEXT = st.one_of(
    st.none(),
    st.integers(0, 40).map(str),  # plain numbers, often repeated
    st.sampled_from(["007", "+7", "-1", " 7", "7.0", "a7", "", "0", "00", "-0", "0x1F", "1e3"]),
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


@given(st.lists(ID_TEXT, max_size=40), st.sampled_from(["", " 12", "1,05E+11", "12.0", "n/a"]))
def test_numeric_ids_shortcut_matches_the_general_path(values, odd):
    """Ids that Arrow casts to integers skip the text clean-up; with or without an odd value
    in the column, the result is the general path's, for text and for a categorical."""
    for column in (values, values + [odd]):
        ids, bad = parse.parse_ids(_text(column))
        with mock.patch.object(parse, "cast_or_none", lambda *_: None):  # no shortcut
            general, general_bad = parse.parse_ids(_text(column))
        categorical, categorical_bad = parse.parse_ids(pd.Series(pd.Categorical(column)))
        pd.testing.assert_series_equal(ids, general)
        pd.testing.assert_series_equal(categorical, general)
        assert bad.tolist() == general_bad.tolist() == categorical_bad.tolist()


@given(st.integers(0, 5_999), st.sampled_from(["x", "", "1.5", "-3", "0x1F"]), st.integers(1, 3))
def test_cast_or_none_screens_by_a_sample_but_decides_on_every_value(at, odd, pieces):
    """The sample only saves time: a value it misses still makes the cast fail."""
    values = [str(i) for i in range(6_000)]
    values[at] = odd
    text = parse.arrow_text(_chunked_text(values, pieces))
    try:
        want = text.cast(pa.int64())
    except pa.ArrowInvalid:
        want = None
    got = parse.cast_or_none(text, pa.int64())
    assert (got is None) == (want is None)
    assert got is None or got.equals(want)


def test_int_ids_are_remembered_while_their_text_lives_and_forgotten_after_a_load():
    text = parse.arrow_text(_text([str(i) for i in range(10)] + [None]))
    first = parse.int_ids(text)
    assert first.to_pylist() == [*range(10), None]
    assert parse.int_ids(text) is first  # the same cast, not a new one
    assert parse.int_ids(parse.arrow_text(_text(["x", "1"]))) is None  # not numbers
    key = id(text)
    del text
    assert key not in parse._INT_IDS  # gone with its text
    kept = parse.arrow_text(_text(["1", "2"]))
    parse.int_ids(kept)
    smk.load(Path(__file__).parent.parent / "data" / "sample" / "hubspot")
    assert parse._INT_IDS == {}  # a load ends with nothing remembered
    assert parse.int_ids(kept).to_pylist() == [1, 2]


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


# ---------------------------------------------------------------- large date columns
DATE_TEXT = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "2026-03-29 02:30",  # does not exist in Berlin (clocks go forward)
            "2026-10-25 02:30",  # exists twice in Berlin
            "2026-01-05",
            "2026-01-05T09:30:00.250",
            "2026-01-05T09:30:00Z",
            "2026-01-05 09:30:00+02:00",
            "2026-02-30 10:00",
            "0000-00-00 00:00",
            "#VALUE!",
            "",
            " 2026-01-05 09:30",
            "null",
            "N/A",
            "01/02/2026",
            "23.02.2026",
            "1767225600000",
            "9999-12-31",
        ]
    ),
)


def _chunked_text(values: list, pieces: int) -> pd.Series:
    """Text in `pieces` Arrow chunks of about equal length, as a CSV read gives it."""
    step = -(-len(values) // pieces)
    chunks = [
        pa.array(values[i : i + step], pa.large_string()) for i in range(0, len(values), step)
    ]
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(chunks, pa.large_string())))


@given(
    st.lists(DATE_TEXT, max_size=7),
    st.sampled_from(["UTC", "Europe/Berlin"]),
    st.integers(1, 4),
)
def test_large_date_columns_match_the_general_parser(odd, timezone, pieces):
    """A large ISO column is cast by Arrow, chunk by chunk, and only the values it refuses
    are parsed one by one: the result is the general parser's, whatever the odd values are
    and whichever chunks they are in."""
    options = parse.DateOptions(timezone=timezone)
    bulk = ["2026-01-05 09:30", "2026-07-01 23:59", ""] * 2_000
    values = _chunked_text(bulk[:3_000] + odd + bulk[3_000:] + odd, pieces)
    values = values.iloc[1:]  # a slice: Arrow buffers with an offset
    assert parse._iso_by_arrow(values, timezone) is not None  # the path under test is taken
    got, bad, notes = parse.parse_datetimes(values, options)
    want, want_bad, want_notes = parse._parse_datetimes(values, options)
    pd.testing.assert_series_equal(got, want)
    assert bad.tolist() == want_bad.fillna(False).astype(bool).tolist()
    assert notes == want_notes


def test_a_column_of_many_non_iso_dates_goes_to_the_general_parser():
    us = _text([f"{m:02d}/{d:02d}/2026" for m in range(1, 13) for d in range(1, 29)] * 20)
    assert parse._iso_by_arrow(us, "UTC") is None
    refused_too_often = _text(["2026-01-05"] * 5_000 + [f"bad {i}" for i in range(20)])
    assert parse._iso_by_arrow(refused_too_often, "UTC", tries=8) is None
    parsed, bad, _ = parse.parse_datetimes(refused_too_often)
    assert int(bad.sum()) == 20 and parsed.notna().sum() == 5_000


def test_refused_values_are_counted_once_over_all_chunks():
    """`tries` limits the distinct refused values of the column, not their refusals per
    chunk: one bad value in every chunk is one value."""
    values = _chunked_text((["2026-01-05"] * 1_000 + ["#VALUE!"]) * 10, pieces=10)
    stamps, refused = parse._iso_by_arrow(values, "UTC", tries=1)
    assert refused.sum() == 10 and stamps.notna().sum() == 10_000
    two = _chunked_text(["2026-01-05"] * 6_000 + ["bad 1", "bad 2"], pieces=3)
    assert parse._iso_by_arrow(two, "UTC", tries=1) is None
    assert parse._iso_by_arrow(two, "UTC", tries=2)[1].sum() == 2


# ---------------------------------------------------------------- text screens
TEXT = st.one_of(
    st.none(),
    st.sampled_from(
        ["abc", "", " ", "a b", "x\u00a0", "\u3000y", "\te", "n/a", "NULL", "-", "été", "#N/A"]
    ),
    st.text(alphabet="ab \t\u00a0é-", max_size=6),
)


@given(st.lists(TEXT, max_size=40), st.integers(0, 5))
def test_clean_text_matches_strip_and_null_markers(values, start):
    """The byte screens that skip trimming or the null-marker lookup never change a value."""
    s = _text(values).iloc[start:]
    stripped = s.str.strip()
    want = stripped.mask(stripped.isin(parse._NULL_MARKERS))
    pd.testing.assert_series_equal(parse.clean_text(s), want, check_names=False)


def _arrow_pieces(values: list, cuts: list[int], wide: bool, skip: int) -> pa.ChunkedArray:
    """`values` as Arrow text in chunks cut at `cuts`, each chunk a slice `skip` values into
    a longer array (a non-zero offset, other values' bytes before and after it)."""
    kind = pa.large_string() if wide else pa.string()
    bounds = [0, *sorted({min(c, len(values)) for c in cuts}), len(values)]
    chunks = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        padded = ["; .x"] * skip + values[a:b] + [" ;,"]
        chunks.append(pa.array(padded, kind).slice(skip, b - a))
    return pa.chunked_array(chunks, kind)


def _edge_char(ch: str) -> bool:
    return ch != ch.strip() or not ch.isascii()


SCREENED = st.one_of(TEXT, st.sampled_from(["12;13", "1.5", "7,0", "123", "a;", ";"]))


@st.composite
def _arrow_texts(draw, values) -> tuple[list, pa.ChunkedArray]:
    """Values and their Arrow text, in chunks cut, sliced and wide or narrow as drawn."""
    drawn = draw(st.lists(values, max_size=30))
    cuts = draw(st.lists(st.integers(0, 30), max_size=3))
    return drawn, _arrow_pieces(drawn, cuts, draw(st.booleans()), draw(st.integers(0, 2)))


@given(_arrow_texts(SCREENED))
def test_byte_screens_match_arrow_string_functions(case):
    """`holds`, `blanks_null` and the trim screen read raw bytes; they agree with Arrow's
    own string functions on chunked, sliced, wide and narrow text with nulls."""
    values, arr = case
    text = pd.Series(pd.arrays.ArrowStringArray(arr.cast(pa.large_string())))
    for marks in ([";"], [".", ","], ["é"]):
        want = np.zeros(len(values), dtype=bool)
        for mark in marks:
            want |= parse._true(pa.compute.match_substring(arr, mark))
        assert parse.holds(text, *marks).tolist() == want.tolist()
    empty = parse._true(pa.compute.equal(arr, ""))
    assert parse._empty(arr).tolist() == empty.tolist()
    nulls = arr.is_null().to_numpy(zero_copy_only=False)
    assert (
        parse.blanks_null(arr).is_null().to_numpy(zero_copy_only=False).tolist()
        == (empty | nulls).tolist()
    )
    present = [v for v in values if v is not None]
    edgy = any(v and (_edge_char(v[0]) or _edge_char(v[-1])) for v in present)
    ends, shortest = parse._edges(arr)
    assert ends or not edgy  # a cautious screen: it may look closer, it never misses one
    assert shortest == min((len(v.encode()) for v in present), default=np.iinfo(np.int64).max)


FIXED = st.one_of(st.none(), st.sampled_from(["00Qa", "00Qb", "xéz", "0000", "zzzz"]))


@given(_arrow_texts(FIXED))
def test_fixed_width_words_are_equal_exactly_when_the_values_are(case):
    values, arr = case
    got = parse.fixed_width_words(arr)
    if all(v is None for v in values):
        assert got is None
        return
    words, present, width = got
    assert width == 4
    assert present.tolist() == [v is not None for v in values]
    for i, a in enumerate(values):
        for j, b in enumerate(values):
            if a is not None and b is not None:
                assert (words[i] == words[j]).all() == (a == b)
    assert parse.fixed_width_words(_arrow_pieces([*values, "abc"], [], True, 1)) is None
    assert parse.fixed_width_words(_arrow_pieces(["", "abcd"], [], False, 0)) is None


@given(st.lists(FIXED, max_size=40), st.data())
def test_duplicated_of_fixed_width_words_matches_pandas(values, data):
    among = np.array(data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values))))
    want = pd.Series(values, dtype=object)[among].duplicated().tolist()
    if all(v is None for v in values):
        return
    words, present, _ = parse.fixed_width_words(pa.chunked_array([pa.array(values, pa.string())]))
    assert _duplicated_words(words[among], present[among]).tolist() == want


def test_values_that_mix_to_one_key_are_told_apart():
    """Rows whose mixed keys collide are compared word by word: no false duplicates."""
    mix = 0x9E3779B97F4A7C15
    a, b = 12345, 678
    words = np.array([[a, b], [a + 1, (b - mix) % 2**64], [a, b]], dtype=np.uint64)
    assert _duplicated_words(words, np.ones(3, dtype=bool)).tolist() == [False, False, True]


def test_a_large_column_of_fixed_width_ids_matches_pandas():
    rng = np.random.default_rng(3)
    ids = np.array([f"00v{n:015d}" for n in rng.integers(0, 20_000, 15_000)], dtype=object)
    ids[rng.integers(0, 15_000, 50)] = None
    s = _text(list(ids))
    among = rng.random(15_000) < 0.9
    assert duplicated(s).tolist() == s.duplicated().tolist()
    assert duplicated(s, among).tolist() == s[among].duplicated().tolist()
    many = _text(list(np.resize(ids[:100], 15_000)))  # mostly repeats: the hashing path
    assert duplicated(many).tolist() == many.duplicated().tolist()


# ---------------------------------------------------------------- cutting rows
def _mixed_frame(n: int) -> pd.DataFrame:
    chunks = [pa.array([f"id-{i}" for i in range(k, k + 700)]) for k in range(0, n, 700)]
    text = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(chunks).cast(pa.large_string())))
    frame = pd.DataFrame(
        {
            "id": text[:n],
            "when": pd.date_range("2026-01-01", periods=n, freq="min", tz="UTC"),
            "kind": pd.Categorical(np.where(np.arange(n) % 3 == 0, "a", "b")),
            "n": pd.array(np.arange(n), dtype="Int64"),
        }
    )
    return frame.iloc[5:].reset_index(drop=True)


@pytest.mark.parametrize("drop", [[], [0], [3, 4, 700, 2_200], list(range(0, 5_990, 5))])
def test_keep_rows_and_take_rows_match_pandas(drop):
    """Cutting a few rows out slices the Arrow text; the result is pandas' own filter."""
    frame = _mixed_frame(6_000)
    keep = np.ones(len(frame), dtype=bool)
    keep[drop] = False
    want = frame[keep]
    pd.testing.assert_frame_equal(_keep_rows(frame.copy(), keep), want)
    rows = np.flatnonzero(~keep)
    pd.testing.assert_frame_equal(_take_rows(frame, rows), frame.iloc[rows])


@given(case=_arrow_texts(st.one_of(TEXT, st.none())), data=st.data())
def test_few_rows_of_chunked_text_match_pandas_and_share_its_bytes(case, data):
    """A few rows of a text column in several chunks are its values at those rows, sliced out
    of the chunks (no copy: Arrow's take would join every chunk first)."""
    values, text = case
    series = pd.Series(parse._STRING.__from_arrow__(text), index=np.arange(len(values)) * 2)
    rows = np.array(data.draw(st.lists(st.integers(0, max(len(values) - 1, 0)), max_size=8)))
    rows = rows[: len(values) and len(rows)].astype(np.intp)
    pd.testing.assert_series_equal(parse.few_rows(series, rows), series.iloc[rows])
    taken = parse.arrow_rows(text, rows)
    assert taken.to_pylist() == [values[r] for r in rows]
    if text.num_chunks > 1:  # sliced: every piece points into the column's own data buffers
        own = {c.buffers()[2].address for c in text.chunks}
        assert all(c.buffers()[2].address in own for c in taken.chunks)


# ---------------------------------------------------------------- event checks while typing
def _raw(rows: list[dict], file: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows).astype("string")
    frame["_file"] = file
    frame["_row"] = np.arange(2, len(frame) + 2, dtype=np.int32)
    return frame


def _assembled(extra_contacts: int, extra_touches: int):
    contacts = [
        {"contact_id": "1", "email": "a@x.test", "created_at": "2026-01-01 10:00"},
        {"contact_id": "2", "email": "A@x.test ", "created_at": "2026-01-02 10:00"},  # merged
        {"contact_id": "3", "email": "c@x.test", "created_at": "yesterday"},  # set aside
        {"contact_id": "4", "email": "d@x.test", "created_at": "2026-01-03 10:00"},
        {"contact_id": "4", "email": "e@x.test", "created_at": "2026-01-04 10:00"},  # duplicate
    ] + [
        {"contact_id": str(100 + i), "email": f"f{i}@x.test", "created_at": "2026-01-05 10:00"}
        for i in range(extra_contacts)
    ]
    touches = [
        {"touchpoint_id": "t1", "contact_id": "1", "occurred_at": "2026-01-06 10:00"},
        {"touchpoint_id": "t2", "contact_id": "2", "occurred_at": "2026-01-06 11:00"},
        {"touchpoint_id": "t3", "contact_id": "3", "occurred_at": "2026-01-06 12:00"},
        {"touchpoint_id": "t4", "contact_id": "4", "occurred_at": "#VALUE!"},
        {"touchpoint_id": "t4", "contact_id": "4", "occurred_at": "2026-01-06 13:00"},
        {"touchpoint_id": "t5", "contact_id": "9", "occurred_at": "2026-01-06 14:00"},
        {"touchpoint_id": "t5", "contact_id": "1", "occurred_at": "2026-01-06 15:00"},
    ] + [
        {"touchpoint_id": f"x{i}", "contact_id": "4", "occurred_at": "2026-01-07 10:00"}
        for i in range(extra_touches)
    ]
    for t in touches:
        t["channel"] = "email"
    raw = {"contacts": _raw(contacts, "c.csv"), "touchpoints": _raw(touches, "t.csv")}
    return assemble(raw, source="test", format="canonical")


@pytest.mark.parametrize("typed_apart", ["touchpoints", "contacts"])
def test_event_checks_on_the_typing_thread_see_the_typed_contacts(typed_apart):
    """Touchpoints are checked where they are typed, against the contacts as typed (before the
    e-mail merge); the largest table is typed on its own thread, whichever it is."""
    big = 50
    crm = _assembled(
        big if typed_apart == "contacts" else 0, big if typed_apart != "contacts" else 0
    )
    aside = crm.quality.set_aside("touchpoints")
    reasons = dict(zip(aside["touchpoint_id"] + "@" + aside["_row"], aside["_reason"], strict=True))
    assert reasons == {
        "t4@5": "unparseable occurred_at",
        "t5@8": "duplicate touchpoint_id",  # the first t5 is checked (and set aside) first
        "t5@7": "unknown contact_id",
    }
    shown = dict(zip(aside["_row"], aside["occurred_at"], strict=True))
    assert shown["5"] == "#VALUE!"  # set aside while typed: the export's own text
    assert shown["8"] == "2026-01-06T15:00:00Z"  # set aside by a check: typed, in UTC
    kept = crm.touchpoints.set_index("touchpoint_id")["contact_id"]
    assert kept[["t1", "t2", "t4"]].tolist() == ["1", "1", "4"]  # t2 re-pointed to survivor 1
    assert kept["t3"] == "3"  # its contact was set aside while typing: in the export, kept
    assert crm.quality.tables["touchpoints"].read == 7 + (big if typed_apart != "contacts" else 0)
    assert list(crm.quality.tables) == ["contacts", "touchpoints"]


NUMBER_TEXT = st.one_of(
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(
        [
            "",
            "nan",
            "NaN",
            "inf",
            "-inf",
            "Infinity",
            "1e5",
            "+5",
            ".5",
            "5.",
            "-0",
            "null",
            "1e999",
        ]
        + ["1,234.50", "1.234,50", "$ 99", "(120)", "12 000", "0x1F", "abc", " 7", "1.234.567"]
    ),
)


@given(st.lists(NUMBER_TEXT, max_size=12))
def test_large_number_columns_match_the_general_parser(odd):
    """Arrow casts the plain numbers of a large column, the general parser takes the others
    (or all, when they make the comma the decimal mark): the result is the general parser's."""
    values = _text(["12.5", "300", ""] * 2_000 + odd).iloc[2:]
    got, bad = parse.parse_numbers(values)
    want, want_bad = parse._parse_numbers(values)
    pd.testing.assert_series_equal(got, want)
    assert bad.tolist() == want_bad.fillna(False).astype(bool).tolist()


def test_thousands_separators_in_a_large_column_still_read_as_the_general_parser_does():
    # `12.5` can only be read with '.': the column's mark; `1.234.567` only as thousands
    dotted = _text(["1.234", "12.5"] * 3_000 + ["1.234.567"])
    assert parse.parse_numbers(dotted)[0].iloc[[0, 1, -1]].tolist() == [1.234, 12.5, 1_234_567.0]
    commas = _text(["1234.5", "18,533,000", "1e999", ""] * 2_000)
    got, bad = parse.parse_numbers(commas)
    assert got.iloc[:2].tolist() == [1234.5, 18_533_000.0]
    assert bad.iloc[:4].tolist() == [False, False, True, False]


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.sampled_from(["a@x", "A@x ", "b@x", "", " c@x", "É@x", "é@x", "\xa0d@x", "\x1cD@x"]),
        ),
        max_size=30,
    ),
    st.integers(1, 4),
)
def test_shared_emails_match_pandas(values, pieces):
    """The merge's e-mail key and its `duplicated(keep=False)`, on text in several chunks
    (ASCII-only text takes the ASCII kernels)."""
    chunks = [pa.array(values[i::pieces], pa.large_string()) for i in range(pieces)]
    s = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(chunks, pa.large_string())))
    key = _email_key(s)
    want_key = s.str.strip().str.lower()
    pd.testing.assert_series_equal(key, want_key, check_names=False)
    assert _shared(key).tolist() == (want_key.notna() & want_key.duplicated(keep=False)).tolist()


def _nearly_sorted(n: int, inserted: list[tuple[int, int]]) -> np.ndarray:
    """Ids in order but for a few rows put in anywhere (repeats, missing = -1, strays)."""
    ids = list(range(1_000, 1_000 + 2 * n, 2))
    for at, value in inserted:
        ids.insert(min(at, len(ids)), value if value < 0 else 1_000 + value)
    return np.array(ids, dtype=np.int64)


NEARLY_SORTED = st.builds(
    _nearly_sorted,
    st.integers(0, 300),
    st.lists(st.tuples(st.integers(0, 400), st.integers(-1, 320)), max_size=8),
)


@given(NEARLY_SORTED)
def test_duplicated_ints_of_nearly_sorted_ids_match_pandas(ids):
    want = pd.Series(ids).duplicated().tolist()
    assert _duplicated_ints(ids).tolist() == want
    fast = _duplicated_nearly_sorted(ids)
    assert fast is None or fast.tolist() == want


@given(st.integers(1, 60), st.sets(st.integers(0, 59)), st.data())
def test_rows_of_positions_among_the_rest(n, gone, data):
    """Positions among the rows left after taking some out, back to the rows themselves."""
    gone = np.array(sorted(g for g in gone if g < n), dtype=np.int64)
    rest = np.ones(n, dtype=bool)
    rest[gone] = False
    if not rest.any():
        return
    positions = np.array(
        data.draw(st.lists(st.integers(0, int(rest.sum()) - 1), max_size=10)), dtype=np.int64
    )
    assert _rows_of(positions, gone).tolist() == np.flatnonzero(rest)[positions].tolist()


def _strays_by_recomputing(ids: np.ndarray) -> np.ndarray | None:
    """The plain rule `_strays` follows: take out the rows not above their predecessor,
    recompute over all that is left, four rounds at most."""
    rest = np.ones(len(ids), dtype=bool)
    for _ in range(4):
        kept = np.flatnonzero(rest)
        ordered = ids[kept]
        breaks = np.flatnonzero(ordered[1:] <= ordered[:-1]) + 1
        if len(breaks) == 0:
            return np.flatnonzero(~rest)
        if (~rest).sum() + len(breaks) > 1000:
            return None
        rest[kept[breaks]] = False
    return None


@given(NEARLY_SORTED)
def test_strays_match_recomputing_over_all_rows(ids):
    got, want = _strays(ids), _strays_by_recomputing(ids)
    assert (got is None) == (want is None)
    assert got is None or got.tolist() == want.tolist()


def test_nearly_sorted_path_is_taken_for_rows_added_at_the_end():
    ids = np.r_[np.arange(10, 100_000), [500, 99_999, 7]]
    fast = _duplicated_nearly_sorted(ids)
    assert fast is not None and np.flatnonzero(fast).tolist() == [99_990, 99_991]


@given(st.lists(st.integers(-1, 60), max_size=40), st.lists(st.integers(0, 60), max_size=40))
def test_int_is_in_matches_pandas(values, keys):
    v, k = np.array(values, dtype=np.int64), np.array(keys, dtype=np.int64)
    want = (pd.Series(v).isin(k) & (v >= 0)).tolist()
    assert _int_is_in(v, k).tolist() == want
    assert _int_is_in(v, k * 10**9).tolist() == (pd.Series(v).isin(k * 10**9) & (v >= 0)).tolist()


@given(st.lists(ID_TEXT, max_size=40), st.data())
def test_duplicated_among_some_rows_matches_pandas(values, data):
    s = _text(values)
    among = np.array(data.draw(st.lists(st.booleans(), min_size=len(s), max_size=len(s))), bool)
    assert duplicated(s, among).tolist() == s[among].duplicated().tolist()


def test_a_large_column_of_plain_numbers_only():
    values = _text(["12.5", "1e999", "7"] * 2_000)  # no blank: Arrow's buffers are read-only
    got, bad = parse.parse_numbers(values)
    assert got.iloc[:3].tolist()[::2] == [12.5, 7.0] and bad.iloc[:3].tolist() == [
        False,
        True,
        False,
    ]


def test_columns_typed_on_two_threads_give_the_same_crm(monkeypatch):
    """Large tables type their columns on two threads; forced on for the sample, every table,
    warning and set-aside row is the same as when typed one column after the other."""
    import smk
    from smk import config
    from smk.io import validate

    serial = smk.load(config.SAMPLE_HUBSPOT)
    monkeypatch.setattr(validate, "_PARALLEL_ROWS", 0)
    threaded = smk.load(config.SAMPLE_HUBSPOT)
    for name, frame in serial.tables().items():
        pd.testing.assert_frame_equal(threaded.tables()[name], frame)
        pd.testing.assert_frame_equal(
            threaded.quality.set_aside(name), serial.quality.set_aside(name)
        )
    assert threaded.quality.warnings == serial.quality.warnings
