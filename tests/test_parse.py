"""Unit tests of smk/io/parse.py: the text values of real exports -> typed columns."""

from __future__ import annotations

import pandas as pd
import pytest

from smk.io.parse import (
    DateOptions,
    currency_symbols,
    detect_decimal,
    parse_bools,
    parse_datetimes,
    parse_ids,
    parse_integers,
    parse_months,
    parse_numbers,
    salesforce_id18,
)
from smk.io.salesforce import salesforce_ids


def S(*values: object) -> pd.Series:
    return pd.Series(list(values), dtype="string")


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# ------------------------------------------------------------------------------------ numbers
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.50", 1234.5),
        ("1.234,50", 1234.5),
        ("€ 1.234,50", 1234.5),
        ("1.234,50 €", 1234.5),
        ("(120)", -120.0),
        ("$ 99", 99.0),
        ("USD 1,000,000", 1_000_000.0),
        ("-42.5", -42.5),
        ("12,5", 12.5),
        ("1.234.567", 1_234_567.0),
        ("375000", 375000.0),
    ],
)
def test_parse_numbers_reads_each_locale_and_currency_style(text: str, expected: float) -> None:
    values, bad = parse_numbers(S(text))
    assert values.iloc[0] == pytest.approx(expected)
    assert not bad.iloc[0]


def test_bare_thousands_comma_is_decided_for_the_whole_column() -> None:
    # alone, `1,234` has three digits after the comma: thousands, not a decimal
    alone, _ = parse_numbers(S("1,234", "250"))
    assert alone.tolist() == [1234.0, 250.0]
    # next to `1.234,50`, the column shows comma decimals, so `1,234` is 1.234
    eu, _ = parse_numbers(S("1,234", "1.234,50"))
    assert eu.tolist() == pytest.approx([1.234, 1234.5])
    # next to `2,500.75` the comma is a thousands separator again
    us, _ = parse_numbers(S("1,234", "2,500.75"))
    assert us.tolist() == pytest.approx([1234.0, 2500.75])


def test_detect_decimal_and_explicit_override() -> None:
    assert detect_decimal(S("1.234,50 €", "99,00 €")) == ","
    assert detect_decimal(S("1,234.50", "99.00")) == "."
    assert detect_decimal(S("1.234.567", "12")) == ","
    values, _ = parse_numbers(S("1,234"), decimal=",")
    assert values.iloc[0] == pytest.approx(1.234)


def test_parse_numbers_flags_garbage_but_not_blanks() -> None:
    values, bad = parse_numbers(S("TBD", "", None, "  ", "n/a", "12"))
    assert bad.tolist() == [True, False, False, False, False, False]
    assert values.isna().tolist() == [True, True, True, True, True, False]
    assert str(values.dtype) == "float64"


def test_currency_symbols_name_the_iso_code() -> None:
    codes = currency_symbols(S("1.234,50 €", "$ 99", "CHF 100", "£5", "100", None))
    assert codes.tolist()[:4] == ["EUR", "USD", "CHF", "GBP"]
    assert codes.isna().tolist()[4:] == [True, True]


def test_parse_integers_accept_separators_and_reject_fractions() -> None:
    values, bad = parse_integers(S("1,200", "45", "12.0", "12.5", ""))
    assert values.tolist()[:3] == [1200, 45, 12]
    assert bad.tolist() == [False, False, False, True, False]
    assert str(values.dtype) == "Int64"


# ------------------------------------------------------------------------------------ ids
def test_parse_ids_undo_float_formatting_and_flag_scientific_notation() -> None:
    values, bad = parse_ids(S("123.0", " 105284053743 ", "1.05284E+11", "1,05284E+11", "", "abc-1"))
    assert values.tolist()[:2] == ["123", "105284053743"]
    assert values.iloc[5] == "abc-1"
    assert values.iloc[2:5].isna().all()
    assert bad.tolist() == [False, False, True, True, False, False]
    assert str(values.dtype) == "string"


def test_parse_ids_keep_leading_zeros_and_decimals_that_are_not_float_artefacts() -> None:
    values, bad = parse_ids(S("007", "12.5", "0012.00"))
    assert values.tolist() == ["007", "12.5", "0012"]
    assert not bad.any()


# Expected suffixes worked out by hand: per 5-char chunk, bit i is set when char i is
# upper case; the 5-bit number indexes "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345".
#   001A0 -> A at 3 -> 8 -> I;  00000 -> 0 -> A;  6Vm9r -> V at 1 -> 2 -> C
#   00Q5e -> Q at 2 -> 4 -> E;  00000 -> A;      AbCdE -> 1 + 4 + 16 = 21 -> V
#   003AB -> 8 + 16 = 24 -> Y;  CDEFG -> 31 -> 5; HIJKL -> 31 -> 5
@pytest.mark.parametrize(
    ("id15", "id18"),
    [
        ("001A0000006Vm9r", "001A0000006Vm9rIAC"),
        ("00Q5e00000AbCdE", "00Q5e00000AbCdEEAV"),
        ("003ABCDEFGHIJKL", "003ABCDEFGHIJKLY55"),
        ("006000000000000", "006000000000000AAA"),
    ],
)
def test_salesforce_id18_matches_hand_computed_suffix(id15: str, id18: str) -> None:
    assert salesforce_id18(id15) == id18


def test_salesforce_ids_15_and_18_characters_normalise_equal() -> None:
    ids = salesforce_ids(
        S("001A0000006Vm9r", "001A0000006Vm9rIAC", "001A0000006Vm9riac", "001a0000006vm9r")
    )
    assert ids.iloc[0] == ids.iloc[1] == ids.iloc[2] == "001A0000006Vm9rIAC"
    # a case-folded 15-char id is a different record, and must stay one
    assert ids.iloc[3] == "001a0000006vm9rAAA" != ids.iloc[0]


def test_salesforce_empty_lookup_is_missing() -> None:
    ids = salesforce_ids(S("000000000000000AAA", "", "003ABCDEFGHIJKL"))
    assert ids.isna().tolist() == [True, True, False]


# ------------------------------------------------------------------------------------ bools
def test_parse_bools_reads_common_spellings() -> None:
    values, bad = parse_bools(S("true", "FALSE", "Yes", "no", "1", "0", "x", "", "maybe"))
    assert values.tolist()[:7] == [True, False, True, False, True, False, True]
    assert pd.isna(values.iloc[7]) and pd.isna(values.iloc[8])
    assert bad.tolist() == [False] * 8 + [True]
    assert str(values.dtype) == "boolean"


# ------------------------------------------------------------------------------------ datetimes
def test_hubspot_ui_datetime_is_naive_utc_by_default() -> None:
    values, bad, warnings = parse_datetimes(S("2023-04-04 11:48", "2023-03-13 11:47"))
    assert values.tolist() == [utc("2023-04-04 11:48"), utc("2023-03-13 11:47")]
    assert not bad.any() and warnings == []
    assert str(values.dtype) == "datetime64[ns, UTC]"


def test_iso_offsets_are_converted_not_dropped() -> None:
    values, bad, _ = parse_datetimes(
        S(
            "2026-03-01T10:00:00+02:00",
            "2026-03-01T08:00:00Z",
            "2026-03-01T03:00:00-0500",
            "2024-01-22T20:36:47.000+0000",
            "2023-11-11 08:18:16.519000 UTC",
        )
    )
    assert values.tolist() == [
        utc("2026-03-01 08:00"),
        utc("2026-03-01 08:00"),
        utc("2026-03-01 08:00"),
        utc("2024-01-22 20:36:47"),
        utc("2023-11-11 08:18:16.519"),
    ]
    assert not bad.any()


def test_zoned_values_ignore_the_timezone_option() -> None:
    values, _, _ = parse_datetimes(S("2026-03-01T08:00:00Z"), DateOptions(timezone="Asia/Tokyo"))
    assert values.iloc[0] == utc("2026-03-01 08:00")


def test_us_excel_resave_with_two_digit_year_and_am_pm() -> None:
    values, bad, warnings = parse_datetimes(S("02/23/26 08:55 PM", "02/24/26 09:05 AM"))
    assert values.tolist() == [utc("2026-02-23 20:55"), utc("2026-02-24 09:05")]
    assert not bad.any() and warnings == []


def test_european_dotted_dates_are_day_first_even_when_ambiguous() -> None:
    values, bad, warnings = parse_datetimes(S("23.02.2026", "01.02.2026 09:00"))
    assert values.tolist() == [utc("2026-02-23"), utc("2026-02-01 09:00")]
    assert not bad.any() and warnings == []
    alone, _, warnings = parse_datetimes(S("04.03.2026"))
    assert alone.iloc[0] == utc("2026-03-04") and warnings == []


def test_slashed_day_month_order_comes_from_a_day_above_12() -> None:
    dmy, _, w1 = parse_datetimes(S("13/04/2026", "03/04/2026"))
    assert dmy.tolist() == [utc("2026-04-13"), utc("2026-04-03")] and w1 == []
    mdy, _, w2 = parse_datetimes(S("04/13/2026", "04/03/2026"))
    assert mdy.tolist() == [utc("2026-04-13"), utc("2026-04-03")] and w2 == []


def test_ambiguous_slashed_dates_warn_and_obey_dayfirst() -> None:
    values, bad, warnings = parse_datetimes(S("03/04/2026 10:00"))
    assert values.iloc[0] == utc("2026-03-04 10:00") and not bad.any()
    assert len(warnings) == 1 and "month-first" in warnings[0]
    values, _, warnings = parse_datetimes(S("03/04/2026 10:00"), DateOptions(dayfirst=True))
    assert values.iloc[0] == utc("2026-04-03 10:00") and warnings == []


def test_epoch_seconds_and_milliseconds_are_told_apart() -> None:
    values, bad, _ = parse_datetimes(S("1767225600", "1767225600000", "1767225600000.0"))
    assert values.tolist() == [utc("2026-01-01")] * 3
    assert not bad.any()


def test_epoch_values_are_absolute_whatever_the_timezone() -> None:
    values, _, _ = parse_datetimes(S("1767225600000"), DateOptions(timezone="America/New_York"))
    assert values.iloc[0] == utc("2026-01-01")


def test_naive_times_in_a_zone_follow_its_dst_change() -> None:
    berlin = DateOptions(timezone="Europe/Berlin")
    values, bad, _ = parse_datetimes(
        S(
            "2026-03-28 12:00",  # CET, UTC+1
            "2026-03-30 12:00",  # CEST, UTC+2 (clocks went forward on 29 March)
            "2026-03-29 02:30",  # does not exist in Berlin: shifted to 03:00 CEST
            "2026-10-25 02:30",  # exists twice (clocks go back): the first, CEST, is taken
        ),
        berlin,
    )
    assert values.tolist() == [
        utc("2026-03-28 11:00"),
        utc("2026-03-30 10:00"),
        utc("2026-03-29 01:00"),
        utc("2026-10-25 00:30"),
    ]
    assert not bad.any()


def test_a_column_mixing_formats_parses_every_value() -> None:
    values, bad, _ = parse_datetimes(
        S("2026-01-05 09:15", "1767225600000", "2026-03-01T10:00:00+02:00", "2026-01-05", "")
    )
    assert values.tolist()[:4] == [
        utc("2026-01-05 09:15"),
        utc("2026-01-01"),
        utc("2026-03-01 08:00"),
        utc("2026-01-05"),
    ]
    assert pd.isna(values.iloc[4])
    assert not bad.any()


def test_unparseable_dates_are_flagged_and_blanks_are_not() -> None:
    values, bad, _ = parse_datetimes(S("yesterday", "", None, "2026-13-45", "2026-01-05 09:15"))
    assert bad.tolist() == [True, False, False, True, False]
    assert values.isna().tolist() == [True, True, True, True, False]


def test_already_typed_datetimes_pass_through_and_are_localised() -> None:
    naive = pd.Series(pd.to_datetime(["2026-07-01 12:00", None]))
    values, bad, _ = parse_datetimes(naive, DateOptions(timezone="Europe/Berlin"))
    assert values.iloc[0] == utc("2026-07-01 10:00")
    assert pd.isna(values.iloc[1]) and not bad.any()


def test_large_columns_parse_the_same_as_small_ones() -> None:
    # columns of 5,000+ values are parsed once per distinct value (on_uniques)
    small = S("2026-01-05 09:15", "", "yesterday", "1767225600000", "02/23/26 08:55 PM")
    big = pd.concat([small] * 1200, ignore_index=True)
    v_small, bad_small, _ = parse_datetimes(small)
    v_big, bad_big, _ = parse_datetimes(big)
    assert len(big) == 6000
    assert v_big.iloc[:5].equals(v_small) and v_big.iloc[-5:].reset_index(drop=True).equals(v_small)
    assert bad_big.sum() == 1200 and bad_big.iloc[:5].tolist() == bad_small.tolist()
    n_small, nb_small = parse_numbers(S("1.234,50 €", "", "x"))
    n_big, nb_big = parse_numbers(pd.concat([S("1.234,50 €", "", "x")] * 2000, ignore_index=True))
    assert n_big.iloc[-3:].reset_index(drop=True).equals(n_small)
    assert nb_big.sum() == 2000


# ------------------------------------------------------------------------------------ months
def test_parse_months_to_first_day_naive() -> None:
    values, bad = parse_months(
        S("2026-01", "2026-02-15", "03/2026", "Apr 2026", "May 2026", "June 2026", "Q1 2026", "")
    )
    expected = [pd.Timestamp(f"2026-{m:02d}-01") for m in range(1, 7)]
    assert values.tolist()[:6] == expected
    assert pd.isna(values.iloc[6]) and pd.isna(values.iloc[7])
    assert bad.tolist() == [False] * 6 + [True, False]
    assert str(values.dtype) == "datetime64[ns]"


def test_sentinel_and_out_of_range_dates_are_bad_cells_not_crashes() -> None:
    values, bad, _ = parse_datetimes(
        S(
            "9999-12-31", "0001-01-01 00:00", "31.12.9999", "9999-12-31T00:00:00Z", "9999999999999"
        ).pipe(lambda s: pd.concat([s, S("/1", "2026-01-05 09:15")], ignore_index=True))
    )
    assert bad.tolist() == [True] * 6 + [False]
    assert values.iloc[6] == utc("2026-01-05 09:15") and values.iloc[:6].isna().all()
    months, bad_months = parse_months(S("9999-12", "0001-01", "2026-01"))
    assert bad_months.tolist() == [True, True, False]
    assert months.iloc[2] == pd.Timestamp("2026-01-01")


def test_non_finite_and_huge_numbers_are_bad_cells() -> None:
    values, bad = parse_numbers(S("inf", "-Infinity", "12"))
    assert bad.tolist() == [True, True, False]
    assert values.isna().tolist() == [True, True, False]
    ints, bad_ints = parse_integers(S("50,000,000,000,000,000,000", "1,200"))
    assert bad_ints.tolist() == [True, False]
    assert pd.isna(ints.iloc[0]) and ints.iloc[1] == 1200


def test_already_typed_out_of_range_datetimes_are_bad() -> None:
    typed = pd.Series(pd.to_datetime(["2026-07-01 12:00", "9999-12-31 00:00"]))
    values, bad, _ = parse_datetimes(typed)
    assert values.iloc[0] == utc("2026-07-01 12:00") and pd.isna(values.iloc[1])
    assert bad.tolist() == [False, True]


def test_masks_of_large_columns_with_missing_values_are_plain_bools():
    # >= 5,000 rows take the distinct-values path; a Salesforce export of 30,000 leads with
    # empty conversion dates failed to load on an <NA> in the set-aside mask
    from smk.io import parse

    values = pd.Series(["2026-01-01 10:00", None, "garbage"] * 2000, dtype="string[pyarrow]")
    parsed, bad, _ = parse.parse_datetimes(values)
    assert bad.dtype == bool and bad.tolist()[:3] == [False, False, True]
    assert parsed.isna().tolist()[:3] == [False, True, True]
    small, small_bad, _ = parse.parse_datetimes(values.head(300))
    assert small_bad.tolist() == bad.head(300).tolist()
