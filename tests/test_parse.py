"""Unit tests of smk/io/parse.py: the text values of real exports -> typed columns."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import datetime
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import smk
from smk.errors import CRMExportError
from smk.io import parse
from smk.io.parse import (
    DateOptions,
    Source,
    currency_symbols,
    decimal_for,
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

BAD = Path(__file__).parent / "data" / "bad"


def S(*values: object) -> pd.Series:
    return pd.Series(list(values), dtype="string")


def utc(text: str | datetime) -> pd.Timestamp:
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


# the same column from a `;`-delimited file (what Excel writes in European locales) and from
# a `,`-delimited one
SEMICOLON = Source(("deals.csv",), ";")
COMMA = Source(("deals.csv",), ",")


def test_three_digit_groups_are_read_as_the_file_writes_numbers_with_a_warning() -> None:
    amounts = S("1.500", "25.000", "800", "", "(2.000 €)", "n.a.")  # text is no evidence
    decimal, warnings = decimal_for(amounts, source=SEMICOLON)
    values, bad = parse_numbers(amounts, decimal)
    assert decimal == ","
    assert values.tolist()[:3] == [1500.0, 25000.0, 800.0] and values.iloc[4] == -2000.0
    assert bad.tolist() == [False] * 5 + [True] and len(warnings) == 1
    for part in ("deals.csv", "'1.500' may be 1.5 or 1500", "read with ','", "= 1500"):
        assert part in warnings[0]
    assert "pass decimal='.' (smk.load; `--decimal .` for smk validate and report)" in warnings[0]
    assert 'set `decimal: "."` in a mapping file' in warnings[0]
    decimal, warnings = decimal_for(amounts, source=COMMA)
    values, _ = parse_numbers(amounts, decimal)
    assert decimal == "." and values.tolist()[:3] == [1.5, 25.0, 800.0]
    assert "read with '.'" in warnings[0] and 'set `decimal: ","`' in warnings[0]


def test_whole_numbers_follow_the_same_rule() -> None:
    counts = S("1.200", "45")
    decimal, warnings = decimal_for(counts, source=SEMICOLON)
    values, bad = parse_integers(counts, decimal)
    assert values.tolist() == [1200, 45] and not bad.any()
    assert "'1.200' may be 1.2 or 1200" in warnings[0]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (("1.500", "12.5"), [1.5, 12.5]),  # 12.5: the dot is the decimal mark
        (("1.500", "2,5"), [1500.0, 2.5]),  # 2,5: the comma is
        (("1.500", "1.234.567"), [1500.0, 1_234_567.0]),  # dots that group thousands
        (("1,500", "1,234,567"), [1500.0, 1_234_567.0]),  # commas that do
        (("1.500", "2,500"), [1.5, 2500.0]),  # ... so the dot is the decimal point
        (("0.500", "1.500"), [0.5, 1.5]),  # no thousands group starts with 0
        (("1.500", "1,234.50"), [1.5, 1234.5]),
        (("375000", "12"), [375000.0, 12.0]),  # no mark at all
    ],
)
def test_a_column_that_shows_its_decimal_mark_reads_as_before(values, expected) -> None:
    for source in (SEMICOLON, COMMA):
        assert decimal_for(S(*values), source=source) == (None, [])
    assert parse_numbers(S(*values))[0].tolist() == pytest.approx(expected)


def test_a_lone_comma_group_is_thousands_except_in_a_semicolon_file() -> None:
    # `1,500` alone: fifteen hundred as US exports mean it, silently, in a `,`-delimited file
    amounts = S("1,500", "800", "(2,000 €)", "", "n.a.")
    for source in (COMMA, Source(("deals.csv",)), None):
        assert decimal_for(amounts, source=source) == (None, [])
    assert parse_numbers(amounts)[0].tolist()[:3] == [1500.0, 800.0, -2000.0]
    # a `;`-delimited file is what Excel writes with a decimal comma: 1.5, and said so
    decimal, warnings = decimal_for(amounts, source=SEMICOLON)
    assert decimal == "," and parse_numbers(amounts, decimal)[0].tolist()[:3] == [1.5, 800, -2]
    assert len(warnings) == 1
    for part in ("deals.csv", "'1,500' may be 1.5 or 1500", "read with ','", "('1,500' = 1.5)"):
        assert part in warnings[0]
    assert "to read 1500, pass decimal='.' (smk.load; `--decimal .`" in warnings[0]
    assert 'set `decimal: "."` in a mapping file' in warnings[0]
    # the option decides without a warning; a count has one reading (1.5 is no count)
    assert decimal_for(amounts, ".", SEMICOLON) == (".", [])
    assert decimal_for(amounts, ",", SEMICOLON) == (",", [])
    counts = S("1,500", "40")
    assert decimal_for(counts, None, SEMICOLON, whole=True) == (None, [])
    assert parse_integers(counts, None)[0].tolist() == [1500, 40]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (("1,500", "12,5"), [1.5, 12.5]),  # 12,5: the comma is the decimal mark
        (("1,500", "1.234,50"), [1.5, 1234.5]),
        (("1,500", "0,5"), [1.5, 0.5]),
        (("1,500", "1,234,567"), [1500.0, 1_234_567.0]),  # commas that group thousands
        (("1,500", "2,000.50"), [1500.0, 2000.5]),  # a decimal point after the group
        (("1,500", "12.5"), [1500.0, 12.5]),
    ],
)
def test_a_semicolon_file_whose_comma_groups_are_told_by_the_column_follows_it(
    values, expected
) -> None:
    assert decimal_for(S(*values), source=SEMICOLON) == (None, [])
    assert parse_numbers(S(*values))[0].tolist() == pytest.approx(expected)


#: each sample value, with the one decimal mark it can be read with ("either": 1.5 or 1500)
SHOWN = {
    "1,500": "either", "25,000": "either", "-1,500": "either", "(2,000 €)": "either",
    "999,999": "either", "0,500": ",", "1234,567": ",", "12,5": ",", "12.5": ".",
    "1.500": "either", "1,234,567": ".", "1.234,50": ",", "n.a.": None, "1e5": None,
    "375000": None, "": None, " 7,000 ": "either",
}  # fmt: skip
COMMA_GROUPS = st.sampled_from(list(SHOWN))


@given(st.lists(COMMA_GROUPS, max_size=8), st.booleans())
def test_a_column_of_lone_comma_groups_is_ambiguous_exactly_when_the_rule_says(
    odd: list[str], large: bool
) -> None:
    values = ["300", "12"] * (3_000 if large else 1) + odd
    numbers = [re.sub(r"[\s€()]", "", v) for v in values if re.search("[.,]", v)]
    numbers = [n for n in numbers if re.fullmatch(r"-?[\d.,]*\d[\d.,]*", n)]
    groups = [n for n in numbers if re.fullmatch(r"-?[1-9]\d{0,2},\d{3}", n)]
    expected = bool(groups) and len(groups) == len(numbers)
    assert (parse.ambiguous_number(S(*values), parse._COMMA_GROUP) is not None) == expected
    # a column whose values show both marks is read with the one more show, a tie with the
    # comma of a `;`-delimited file
    dots, commas = (sum(SHOWN[v] == mark for v in odd) for mark in ".,")
    mixed_comma = dots > 0 and commas >= dots
    assert (decimal_for(S(*values), source=SEMICOLON)[0] == ",") == (
        expected or parse.ambiguous_number(S(*values)) is not None or mixed_comma
    )


def test_the_decimal_option_decides_without_a_warning() -> None:
    assert decimal_for(S("1.500"), ".", SEMICOLON) == (".", [])
    assert decimal_for(S("1.500"), ",", COMMA) == (",", [])
    with pytest.raises(CRMExportError, match="decimal must be"):
        DateOptions(decimal=";")


def test_a_count_written_1_500_is_fifteen_hundred_in_any_file(tmp_path: Path) -> None:
    assert decimal_for(S("1.500", "40"), None, COMMA, whole=True) == (",", [])  # 1.5 is no count
    companies = tmp_path / "hubspot-crm-exports-all-companies-2026-11-01.csv"
    companies.write_text(
        '"Record ID","Company name","Number of Employees","Create Date"\n'
        '"1","Ombris","1.500","2024-11-01 09:41"\n"2","Acme","40","2024-11-01 09:41"\n'
    )
    crm = smk.load(tmp_path)
    assert crm.accounts["employees"].tolist() == [1500, 40]
    # the fixture has no industry, country nor revenue: only the warning that says so
    (empty,) = crm.quality.warnings
    assert empty.startswith("accounts: industry, country, annual_revenue are empty in every row")
    assert crm.quality.tables["accounts"].n_set_aside == 0


def test_a_comma_that_cannot_group_thousands_is_a_decimal_comma() -> None:
    assert parse_numbers(S("0,500", "1,500"))[0].tolist() == [0.5, 1.5]
    assert parse_numbers(S("1234,567"))[0].tolist() == [1234.567]


def test_a_mapping_file_sets_the_decimal_mark(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(BAD / "semicolon-dot-thousands", export)
    hubspot = (resources.files("smk.mappings") / "hubspot.yaml").read_text(encoding="utf-8")
    mapping = tmp_path / "hubspot-dot.yaml"
    mapping.write_text('decimal: "."\n' + hubspot, encoding="utf-8")
    crm = smk.load(export, mapping=mapping)
    assert sorted(crm.deals["amount"]) == [1.5, 25.0, 800.0]
    assert not [w for w in crm.quality.warnings if "deals.amount" in w]
    mapping.write_text("decimal: 1.5\n" + hubspot, encoding="utf-8")
    with pytest.raises(CRMExportError, match="decimal"):
        smk.load(export, mapping=mapping)


def test_the_decimal_argument_of_load_and_the_cli_sets_the_mark(tmp_path: Path) -> None:
    export = BAD / "semicolon-dot-thousands"
    crm = smk.load(export, decimal=".")
    assert sorted(crm.deals["amount"]) == [1.5, 25.0, 800.0]
    assert not [w for w in crm.quality.warnings if "may be" in w]
    assert sorted(smk.load(export).deals["amount"]) == [800.0, 1500.0, 25000.0]
    # it wins over a mapping file's, and reaches a zip and the Salesforce loader too
    hubspot = (resources.files("smk.mappings") / "hubspot.yaml").read_text(encoding="utf-8")
    mapping = tmp_path / "hubspot-comma.yaml"
    mapping.write_text('decimal: ","\n' + hubspot, encoding="utf-8")
    assert sorted(smk.load(export, mapping=mapping, decimal=".").deals["amount"]) == [1.5, 25, 800]
    zipped = shutil.make_archive(str(tmp_path / "export"), "zip", export)
    assert sorted(smk.load(zipped, decimal=".").deals["amount"]) == [1.5, 25.0, 800.0]
    salesforce = tmp_path / "sf"
    shutil.copytree(Path(__file__).parent / "fixtures" / "salesforce" / "dataloader", salesforce)
    opportunities = salesforce / "Opportunity.csv"
    opportunities.write_text(
        opportunities.read_text(encoding="utf-8-sig").replace(",48000,", ",48.000,"),
        encoding="utf-8",
    )
    for mark, amount in ((".", 48.0), (",", 48000.0)):
        deals = smk.load(salesforce, decimal=mark).deals
        assert deals.loc[deals["deal_id"] == "0065g00000OpAa1AAF", "amount"].item() == amount
    with pytest.raises(ValueError, match="decimal must be '.' or ','"):
        smk.load(export, decimal=";")
    for flags, n_warnings in (([], 1), (["--decimal", "."], 0), (["--decimal", ","], 0)):
        done = subprocess.run(
            [sys.executable, "-m", "smk", "validate", str(export), *flags, "--json"],
            capture_output=True,
            text=True,
            check=True,
        )
        said = json.loads(done.stdout)["warnings"]  # the fixture's deals name no contact too
        assert len([w for w in said if "name no contact" not in w]) == n_warnings, flags


GROUPS = st.sampled_from(
    ["1.500", "25,000", "-1.500", "(2.000 €)", "999.999", "0.500", "1234.567", "12,5", "12.5"]
    + ["1.234.567", "1,234.50", "n.a.", "1e5", "375000", "", " 7.000 "]
)


def _ambiguous(values: list[str]) -> bool:
    """The rule, said plainly: the numbers with a mark are all lone three-digit dot groups."""
    numbers = [re.sub(r"[\s€()]", "", v) for v in values if re.search("[.,]", v)]
    numbers = [n for n in numbers if re.fullmatch(r"-?[\d.,]*\d[\d.,]*", n)]
    groups = [n for n in numbers if re.fullmatch(r"-?[1-9]\d{0,2}\.\d{3}", n)]
    return bool(groups) and len(groups) == len(numbers)


@given(st.lists(GROUPS, max_size=8), st.booleans())
def test_a_column_is_ambiguous_exactly_when_the_rule_says(odd: list[str], large: bool) -> None:
    """Large columns first look at a sample: only a shortcut, never a different answer."""
    values = ["300", "12"] * (3_000 if large else 1) + odd
    assert (parse.ambiguous_number(S(*values)) is not None) == _ambiguous(values)


def test_parse_numbers_flags_garbage_but_not_blanks() -> None:
    values, bad = parse_numbers(S("TBD", "", None, "  ", "n/a", "12"))
    assert bad.tolist() == [True, False, False, False, False, False]
    assert values.isna().tolist() == [True, True, True, True, True, False]
    assert str(values.dtype) == "float64"


def test_currency_symbols_name_the_iso_code() -> None:
    codes = currency_symbols(S("1.234,50 €", "$ 99", "CHF 100", "£5", "100", None))
    assert codes.tolist()[:4] == ["EUR", "USD", "CHF", "GBP"]
    assert codes.isna().tolist()[4:] == [True, True]


def test_a_sign_conflicts_only_with_a_currency_it_cannot_be_written_for() -> None:
    """`$ 2,500.00` beside EUR conflicts; a bare `$` beside CAD, a sign beside its own code,
    an ambiguous sign (`kr`) and a row without a currency do not; `US$` beside CAD does."""
    amounts = S("$ 2,500.00", "$ 99", "€ 10", "10 €", "12 kr", "US$ 5", "100", "£ 3")
    given = S("EUR", "CAD", "EUR", None, "EUR", "CAD", "EUR", "GBP")
    conflicts = parse.sign_conflicts(amounts, currency_symbols(amounts), given)
    assert conflicts.tolist() == [True, False, False, False, False, True, False, False]


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


def test_flags_from_a_float_column_read_as_true_and_false() -> None:
    values, bad = parse_bools(S("1.0", "0.0", "1.00", "0,0", " 1.0 ", "2.0", "1.5", "10.0", ""))
    assert values.tolist()[:5] == [True, False, True, False, True]
    assert bad.tolist() == [False] * 5 + [True, True, True, False]


@pytest.mark.parametrize("categorical", [False, True])
@pytest.mark.parametrize("large", [False, True])
def test_an_empty_flag_stays_unknown_in_large_and_categorical_columns(
    large: bool, categorical: bool
) -> None:
    """A flag is data, not a mask: read per distinct value (`on_uniques`, 5,000+ values) or
    per category, an empty cell (or a null marker) stays <NA>; the bad mask stays plain."""
    small = S("true", "", "no", None, "null", "maybe")
    column = pd.concat([small] * (parse._LARGE // 6 + 1), ignore_index=True) if large else small
    values, bad = parse_bools(column.astype("category") if categorical else column)
    assert str(values.dtype) == "boolean" and bad.dtype == bool
    last = values.iloc[-6:]
    assert last.isna().tolist() == [False, True, False, True, True, True]
    assert last.dropna().tolist() == [True, False]
    assert bad.iloc[-6:].tolist() == [False] * 5 + [True]
    assert int(values.isna().sum()) == 4 * len(column) // 6


def test_blank_rows_are_rows_blank_in_every_column() -> None:
    """`blank_rows`: white space and null markers are blank; one filled cell is enough."""
    frame = pd.DataFrame(
        {
            "a": S("", " ", "x", None, "null"),
            "b": S("", "-", "", "", "y"),
            "c": [None, 1, None, None, None],
        }
    )
    assert parse.blank_rows(frame, ["a", "b"]).tolist() == [True, True, False, True, False]
    assert parse.blank_rows(frame, ["a", "b", "c"]).tolist() == [True, False, False, True, False]
    assert parse.blank_rows(frame, []).tolist() == [True] * 5


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


def test_excel_serial_dates_are_days_since_1899_12_30_in_the_load_zone() -> None:
    values, bad, warnings = parse_datetimes(S("46077.871528", "46113.375", "46077", "25569"))
    assert values.tolist() == [
        utc("2026-02-24 20:55"),  # .871528 of a day: 20:55:00.02, to the second
        utc("2026-04-01 09:00"),
        utc("2026-02-24"),
        utc("1970-01-01"),
    ]
    assert not bad.any() and warnings == []
    berlin, _, _ = parse_datetimes(S("46077.871528", "46204.5"), DateOptions("Europe/Berlin"))
    assert berlin.tolist() == [utc("2026-02-24 19:55"), utc("2026-07-01 10:00")]  # CET, CEST


def test_serials_and_epochs_are_told_apart_by_their_digits() -> None:
    values, bad, _ = parse_datetimes(
        S("46077.5", "1771934400", "1771934400000", "19999", "80000", "4607", "46077.5.1")
    )
    assert values.tolist()[:3] == [utc("2026-02-24 12:00")] * 3
    assert bad.tolist() == [False] * 3 + [True] * 4


@given(st.datetimes(min_value=datetime(1955, 1, 1), max_value=datetime(2100, 12, 31)))
def test_excel_serials_read_back_to_the_second(stamp: datetime) -> None:
    stamp = stamp.replace(microsecond=0)
    serial = (pd.Timestamp(stamp) - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)
    values, bad, _ = parse_datetimes(S(f"{serial:.6f}", repr(serial)))
    assert values.tolist() == [utc(stamp)] * 2 and not bad.any()


def test_pipedrive_xlsx_dates_written_as_serial_numbers_load(tmp_path: Path) -> None:
    deals = pd.DataFrame(
        {
            "Deal - ID": [201, 202],
            "Deal - Title": ["Examplia fleet tracking", "Foobar analytics pilot"],
            "Deal - Status": ["Won", "Open"],
            # numbers, as a cell without a date format holds them
            "Deal - Deal created": [45971.375, 46055.4661],
            "Deal - Won time": [46037.6875, None],
        }
    )
    deals.to_excel(tmp_path / "deals.xlsx", index=False)
    with resources.as_file(resources.files("smk.mappings") / "pipedrive.yaml") as mapping:
        crm = smk.load(tmp_path, mapping=mapping)
    assert crm.quality.tables["deals"].loaded == 2
    by_id = crm.deals.set_index("deal_id")
    assert by_id.loc["201", "created_at"] == utc("2025-11-10 09:00")
    assert by_id.loc["201", "closed_at"] == utc("2026-01-15 16:30")
    assert by_id.loc["202", "created_at"] == utc("2026-02-02 11:11:11")


@pytest.mark.parametrize(
    "column",
    [
        ("24.02.26 20:55", "01.04.26 09:00"),  # German, 2-digit year
        ("24/02/26 20:55", "01/04/26 09:00"),  # UK, 2-digit year
        ("2/24/2026 8:55:00 PM", "4/1/2026 9:00:00 AM"),  # US, seconds and AM/PM
        ("24/02/2026 8:55 PM", "01/04/2026 9:00 AM"),  # UK/AU with AM/PM
        ("Feb 24, 2026 8:55 PM", "Apr 1, 2026 9:00 AM"),
        ("February 24, 2026 8:55 PM", "April 1, 2026 9:00 AM"),
        ("24 Feb 2026 20:55", "01 Apr 2026 09:00"),
        ("24-Feb-2026 20:55", "01-Apr-2026 09:00"),
        ("24-02-2026 20:55", "01-04-2026 09:00"),
        ("02-24-2026 20:55", "04-01-2026 09:00"),
        ("2026-02-24 20:55 GMT", "2026-04-01 09:00 UTC"),
        ("2026-02-24T12:55:00.000 GMT-08:00", "2026-04-01T10:00:00.000 GMT+01:00"),
        ("02/24/2026 12:55 PM GMT-08:00", "04/01/2026 9:00 AM GMT"),
        ("2026-02-24 12:55:00 PST", "2026-04-01 05:00:00 EDT"),  # Salesforce Data Loader
        ("02/24/2026 9:55 PM CET", "04/01/2026 11:00 AM CEST"),
        # ICU layouts with a comma before the time (Salesforce Lightning, en_US / en_GB / de)
        ("2/24/2026, 8:55 PM", "4/1/2026, 9:00 AM"),
        ("24/02/2026, 20:55", "01/04/2026, 09:00"),
        ("24.02.2026, 20:55:00", "01.04.2026, 09:00:00"),
        ("Feb 24, 2026, 8:55 PM", "Apr 1, 2026, 9:00 AM"),
    ],
)
def test_locale_layouts_read_the_instants_they_write(column: tuple[str, str]) -> None:
    values, bad, warnings = parse_datetimes(S(*column))
    assert values.tolist() == [utc("2026-02-24 20:55"), utc("2026-04-01 09:00")]
    assert not bad.any() and warnings == []


def test_a_written_zone_wins_over_the_timezone_option_and_zones_mix() -> None:
    column = S("2026-02-24 20:55 GMT", "02/24/2026 12:55 PM GMT-08:00", "2026-02-24 21:55 +01:00")
    for timezone in ("UTC", "Asia/Tokyo"):
        values, bad, _ = parse_datetimes(column, DateOptions(timezone))
        assert values.tolist() == [utc("2026-02-24 20:55")] * 3 and not bad.any()


def test_iso_zones_next_to_naive_values_in_a_local_zone() -> None:
    # an hour-only or basic-format ISO time with an offset, next to naive values, raised
    # "Mixed timezones detected" in a load with a time zone
    values, bad, _ = parse_datetimes(
        S("2026-03-01T10+02:00", "20260301T100000+0200", "2026-03-01T10:00"),
        DateOptions("Europe/Berlin"),
    )
    assert values.tolist() == [utc("2026-03-01 08:00")] * 2 + [utc("2026-03-01 09:00")]
    assert not bad.any()


NEIGHBOURS = st.sampled_from(
    ["2026-03-01T10+02:00", "20260301T100000+0200", "2026-03-01T10:00", "2026-03-01 10:00 GMT"]
    + ["24.02.26 20:55", "Feb 24, 2026 8:55 PM", "46077.5", "1771934400", "13/04/2026 10:00"]
    + ["2026-02-24T12:55:00.000 GMT-08:00", "yesterday", "", "31.02.26 20:55", "9999-12-31"]
    + ["2026-02-24 12:55:00 PST", "2026-02-24 12:55 IST"]
)


@given(st.lists(NEIGHBOURS, min_size=1, max_size=10), st.sampled_from(["UTC", "Europe/Berlin"]))
def test_a_value_reads_the_same_whatever_its_neighbours(values: list[str], timezone: str) -> None:
    """None of these values leaves its day/month order to the column: each reads as alone."""
    options = DateOptions(timezone)
    together, bad, _ = parse_datetimes(S(*values), options)
    for i, value in enumerate(values):
        alone, alone_bad, _ = parse_datetimes(S(value), options)
        assert together.iloc[i] is alone.iloc[0] or together.iloc[i] == alone.iloc[0], value
        assert bad.iloc[i] == alone_bad.iloc[0], value


def test_a_zone_abbreviation_with_several_meanings_is_set_aside_not_guessed() -> None:
    # IST is India (+05:30), Ireland (+01:00) or Israel (+02:00): no reading is safe
    values, bad, _ = parse_datetimes(
        S("2026-02-24 20:55 IST", "2026-02-24 20:55 PST", "2026-02-24 20:55 AST")
    )  # AST: Atlantic (-4) or Arabia (+3)
    assert bad.tolist() == [True, False, True]
    assert values.iloc[1] == utc("2026-02-25 04:55")


def test_ambiguous_am_pm_and_two_digit_years_obey_dayfirst() -> None:
    column = S("03/04/2026 8:55 PM", "05/06/2026 9:00 AM", "07/08/26 10:00")
    us, bad, warnings = parse_datetimes(column)
    assert us.tolist() == [
        utc("2026-03-04 20:55"),
        utc("2026-05-06 09:00"),
        utc("2026-07-08 10:00"),
    ]
    assert not bad.any() and len(warnings) == 1 and "month-first" in warnings[0]
    eu, bad, warnings = parse_datetimes(column, DateOptions(dayfirst=True))
    assert eu.tolist() == [
        utc("2026-04-03 20:55"),
        utc("2026-06-05 09:00"),
        utc("2026-08-07 10:00"),
    ]
    assert not bad.any() and warnings == []


def test_month_names_are_read_whatever_the_column_order() -> None:
    values, bad, _ = parse_datetimes(S("13/04/2026", "Apr 3, 2026", "3 April 2026"))
    assert values.tolist() == [utc("2026-04-13"), utc("2026-04-03"), utc("2026-04-03")]
    assert not bad.any()


def test_new_layouts_with_impossible_values_are_bad_and_set_aside_as_written() -> None:
    _, bad, _ = parse_datetimes(
        S("24.02.26 20:55", "31.02.26 20:55", "24.02.26 25:00", "Feb 30, 2026")
    )
    assert bad.tolist() == [False, True, True, True]
    aside = smk.load(BAD / "locale-date-layouts").quality.set_aside("contacts")
    assert aside[["created_at", "_reason"]].values.tolist() == [
        ["31.02.26 20:55", "unparseable created_at"]
    ]


#: strftime layout, dayfirst (for columns whose values may not tell), and how many hours the
#: zone written after the time is ahead of UTC
ROUND_TRIPS = [
    ("%d.%m.%y %H:%M", None, 0),
    ("%d/%m/%y %H:%M", True, 0),
    ("%m/%d/%Y %I:%M:%S %p", False, 0),
    ("%d/%m/%Y %I:%M %p", True, 0),
    ("%b %d, %Y %I:%M %p", None, 0),
    ("%d %B %Y %H:%M", None, 0),
    ("%d-%b-%y %H:%M", None, 0),
    ("%d-%m-%Y %H:%M:%S", True, 0),
    ("%Y-%m-%d %H:%M GMT", None, 0),
    ("%Y-%m-%dT%H:%M:%S.000 GMT-08:00", None, -8),
    ("%m/%d/%Y %I:%M %p GMT+05:30", False, 5.5),
    ("%Y-%m-%d %H:%M:%S PST", None, -8),
    ("%d.%m.%Y %H:%M CET", None, 1),
    ("%m/%d/%Y %H:%M NST", False, -3.5),
]


@given(
    st.lists(
        st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2060, 12, 31)),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(ROUND_TRIPS),
)
def test_each_layout_reads_back_the_instants_it_wrote(stamps, layout) -> None:
    fmt, dayfirst, ahead = layout
    stamps = [t.replace(second=t.second if "%S" in fmt else 0, microsecond=0) for t in stamps]
    values, bad, _ = parse_datetimes(
        S(*(t.strftime(fmt) for t in stamps)), DateOptions(dayfirst=dayfirst)
    )
    assert values.tolist() == [utc(t) - pd.Timedelta(hours=ahead) for t in stamps]
    assert not bad.any()


@given(st.lists(st.one_of(st.none(), st.text(max_size=6)), max_size=20), st.integers(0, 3))
def test_shapes_are_digits_as_9_and_ascii_letters_as_a(values: list, start: int) -> None:
    """Read from the Arrow buffers; a slice of a column starts at an offset into them."""
    column = pd.Series(values, dtype="string").iloc[start:]
    want = [
        pd.NA if v is None else re.sub("[A-Za-z]", "a", re.sub("[0-9]", "9", v))
        for v in values[start:]
    ]
    assert parse._shapes(column).tolist() == want


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
    values, bad, _ = parse_months(
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
    months, bad_months, _ = parse_months(S("9999-12", "0001-01", "2026-01"))
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


# ---------------------------------------------------- day order shown by the other date columns
#: a HubSpot export by a UK user (the tester's `hs_uk`): `Create Date` proves day-first,
#: `Close Date` does not tell
UK_DEALS = (
    "Record ID,Deal Name,Deal Stage,Close Date,Amount,Create Date,Pipeline\n"
    "1,A,Closed Won,02/03/2026 10:00,100,13/01/2026 10:00,Sales Pipeline\n"
    "2,B,Closed Won,05/02/2026 10:00,200,20/01/2026 10:00,Sales Pipeline\n"
)
UK_CONTACTS = (
    "Record ID,Email,Create Date,Lifecycle Stage\n"
    "11,a@x.co.uk,13/01/2026 10:00,Lead\n"
    "12,b@x.co.uk,25/01/2026 10:00,Customer\n"
)
#: deals whose dates all leave the day order open
OPEN_DEALS = (
    "Record ID,Deal Name,Deal Stage,Close Date,Amount,Create Date,Associated Contact IDs\n"
    "1,A,Closed Won,02/03/2026 10:00,100,01/02/2026 10:00,11\n"
    "2,B,Closed Won,05/02/2026 10:00,200,02/01/2026 10:00,12\n"
)


def _export(folder: Path, **files: str) -> Path:
    """A HubSpot export folder: `contacts=` text is written to a file named like HubSpot's."""
    folder.mkdir(exist_ok=True)
    for view, text in files.items():
        (folder / f"hubspot-crm-exports-all-{view}-2026-03-01.csv").write_text(text)
    return folder


def _load(folder: Path, **options):
    """`smk.load`, failing (not hanging) if the threads that type the tables wait for each
    other for ever."""
    import threading

    done: list = []
    thread = threading.Thread(target=lambda: done.append(smk.load(folder, **options)), daemon=True)
    thread.start()
    thread.join(120)
    assert done, "smk.load did not finish (or raised: see the thread's traceback)"
    return done[0]


def _day_order_notes(crm) -> list[str]:
    return [w for w in crm.quality.warnings if "day/month order" in w]


def test_an_open_date_column_is_read_in_the_order_its_file_shows(tmp_path: Path) -> None:
    crm = _load(_export(tmp_path, deals=UK_DEALS))
    deals = crm.deals.set_index("deal_id")
    assert deals["closed_at"].tolist() == [utc("2026-03-02 10:00"), utc("2026-02-05 10:00")]
    assert deals["created_at"].tolist() == [utc("2026-01-13 10:00"), utc("2026-01-20 10:00")]
    assert _day_order_notes(crm) == [
        "deals.closed_at: day/month order could not be told from the values; read day-first, "
        "as created_at in the same file shows (pass dayfirst=False to read month-first)"
    ]


INTERACTIONS = "Interaction ID,Contact ID,Interaction date,Interaction source\n"
#: contacts whose create dates do not tell the day order, touchpoints that show day-first
OPEN_CONTACTS = "Record ID,Email,Create Date\n11,a@x.co.uk,02/01/2026 10:00\n"
UK_INTERACTIONS = INTERACTIONS + "1,11,13/01/2026 10:00,Direct Traffic\n"
ISO_INTERACTIONS = INTERACTIONS + "1,11,2026-01-13 10:00,Direct Traffic\n"


def _padded(text: str, rows: int = 3000) -> str:
    """`text` with its last row repeated under new ids (the first field), to make its file
    the largest of the export (typed on the second thread)."""
    head, *body = text.strip().split("\n")
    last = body[-1].split(",", 1)[1]
    return "\n".join([head, *body, *(f"{900000 + i},{last}" for i in range(rows))]) + "\n"


@pytest.mark.parametrize("largest", ["deals", "contacts", "interactions"])
def test_an_open_file_is_read_in_the_order_the_other_files_show(
    tmp_path: Path, largest: str
) -> None:
    files = {"deals": OPEN_DEALS, "contacts": UK_CONTACTS, "interactions": ISO_INTERACTIONS}
    files[largest] = _padded(files[largest])
    crm = _load(_export(tmp_path, **files))
    deals = crm.deals.set_index("deal_id").loc[["1", "2"]]
    assert deals["created_at"].tolist() == [utc("2026-02-01 10:00"), utc("2026-01-02 10:00")]
    assert deals["closed_at"].tolist() == [utc("2026-03-02 10:00"), utc("2026-02-05 10:00")]
    notes = _day_order_notes(crm)
    assert [n.split(":")[0] for n in notes] == ["deals.created_at", "deals.closed_at"]
    assert all(
        "read day-first, as contacts.created_at elsewhere in the export shows" in n for n in notes
    )


@pytest.mark.parametrize("largest", ["contacts", "interactions"])
def test_open_contacts_wait_for_the_events_evidence(tmp_path: Path, largest: str) -> None:
    """The contacts, typed on either thread, wait for the touchpoints to be read; the
    touchpoints' checks wait for the contacts to be typed: neither waits for ever."""
    files = {"contacts": OPEN_CONTACTS, "interactions": UK_INTERACTIONS}
    files[largest] = _padded(files[largest])
    crm = _load(_export(tmp_path, **files))
    assert crm.contacts.set_index("contact_id").loc["11", "created_at"] == utc("2026-01-02 10:00")
    assert len(crm.touchpoints) and crm.touchpoints["contact_id"].eq("11").all()  # checked
    assert _day_order_notes(crm) == [
        "contacts.created_at: day/month order could not be told from the values; read "
        "day-first, as touchpoints.occurred_at elsewhere in the export shows (pass "
        "dayfirst=False to read month-first)"
    ]


def test_date_columns_that_disagree_are_no_evidence(tmp_path: Path) -> None:
    contacts = (
        "Record ID,Email,Create Date,Became a Lead Date,Became a Customer Date\n"
        "11,a@x.co.uk,13/01/2026 10:00,02/03/2026 10:00,01/13/2026 10:00\n"
    )
    crm = _load(_export(tmp_path / "one", contacts=contacts))
    assert crm.contacts.loc[0, "became_lead_at"] == utc("2026-02-03 10:00")  # month-first
    assert _day_order_notes(crm) == [
        "contacts.became_lead_at: day/month order could not be told from the values, and the "
        "date columns in the same file disagree (created_at day-first, became_customer_at "
        "month-first); read as month-first (pass dayfirst=True for European dates)"
    ]
    us_interactions = INTERACTIONS + "1,11,01/13/2026 10:00,Direct Traffic\n"
    crm = _load(_export(tmp_path / "all", deals=OPEN_DEALS, contacts=UK_CONTACTS,
                        interactions=us_interactions))  # fmt: skip
    deals = crm.deals.set_index("deal_id")
    assert deals["closed_at"].tolist() == [utc("2026-02-03 10:00"), utc("2026-05-02 10:00")]
    notes = _day_order_notes(crm)
    assert [n.split(":")[0] for n in notes] == ["deals.created_at", "deals.closed_at"]
    assert all(
        "the date columns elsewhere in the export disagree (contacts.created_at day-first, "
        "touchpoints.occurred_at month-first); read as month-first" in n
        for n in notes
    )


def test_the_dayfirst_option_wins_over_the_other_columns(tmp_path: Path) -> None:
    crm = _load(_export(tmp_path / "file", deals=UK_DEALS), dayfirst=False)
    deals = crm.deals.set_index("deal_id")
    assert deals["closed_at"].tolist() == [utc("2026-02-03 10:00"), utc("2026-05-02 10:00")]
    assert deals["created_at"].tolist() == [utc("2026-01-13 10:00"), utc("2026-01-20 10:00")]
    crm = _load(_export(tmp_path / "export", deals=OPEN_DEALS, contacts=UK_CONTACTS),
                dayfirst=False)  # fmt: skip
    deals = crm.deals.set_index("deal_id")
    assert deals["created_at"].tolist() == [utc("2026-01-02 10:00"), utc("2026-02-01 10:00")]
    assert _day_order_notes(crm) == []


def test_a_hint_decides_only_what_the_values_leave_open() -> None:
    day_first = parse.OrderHint((("created_at", "dmy"),), "in the same file")
    values, bad, notes = parse_datetimes(S("02/03/2026 10:00", "05/02/2026"), hint=day_first)
    assert values.tolist() == [utc("2026-03-02 10:00"), utc("2026-02-05")] and not bad.any()
    assert notes == [
        "day/month order could not be told from the values; read day-first, as created_at in "
        "the same file shows (pass dayfirst=False to read month-first)"
    ]
    own, _, notes = parse_datetimes(S("02/13/2026", "02/03/2026"), hint=day_first)
    assert own.tolist() == [utc("2026-02-13"), utc("2026-02-03")] and notes == []
    iso, _, notes = parse_datetimes(S("2026-03-02 10:00"), hint=day_first)
    assert iso.iloc[0] == utc("2026-03-02 10:00") and notes == []
    given, _, notes = parse_datetimes(S("02/03/2026"), DateOptions(dayfirst=False), day_first)
    assert given.iloc[0] == utc("2026-02-03") and notes == []


def test_the_order_a_column_shows_is_told_cheaply() -> None:
    shown = parse.day_order_shown
    assert shown(S("13/01/2026 10:00", "02/03/2026", "")) == "dmy"
    assert shown(S("01/13/2026", "02/03/2026")) == "mdy"
    assert shown(S("24.02.26", "01.02.26")) == "dmy"
    assert shown(S(" 02/03/2026 ", None)) == parse.OPEN
    assert shown(S("13/01/2026", "01/13/2026")) == parse.OPEN  # its values disagree
    assert shown(S("2026-01-13 10:00", "Feb 3, 2026", "1767225600000")) is None
    assert shown(pd.Series(pd.to_datetime(["2026-01-13"]))) is None  # typed: nothing to show
    assert shown(S("02/03/2026", "x").astype("category")) == parse.OPEN
    large = pd.concat([S("02/03/2026")] * 6000 + [S("20/03/2026")], ignore_index=True)
    assert shown(large) == "dmy"  # its sample does not tell: its distinct values do
    iso = pd.concat([S("2026-03-02 10:00")] * 6000, ignore_index=True)
    assert shown(iso) is None


def test_a_file_that_fails_leaves_no_table_waiting_for_it(tmp_path: Path) -> None:
    """The contacts (the largest file) wait for the other files' dates; a deals file that
    cannot be read must end the load with its error, not leave them waiting."""
    import threading

    contacts = _padded(OPEN_CONTACTS)
    deals = "Record ID,Deal Name,Close Date\n1,A,13/01/2026\n"  # no Create Date
    folder = _export(tmp_path, contacts=contacts, deals=deals, interactions=UK_INTERACTIONS)
    raised: list[Exception] = []

    def load() -> None:
        try:
            smk.load(folder)
        except CRMExportError as exc:
            raised.append(exc)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(120)
    assert not thread.is_alive() and raised and "created_at" in str(raised[0])


def test_french_amounts_with_space_groups_show_their_decimal_comma() -> None:
    # `5 000,00 €` (a French report download): the comma is decimal once the group space is out
    cases = [
        (("5 000,00 €", "12 500,00 €"), [5000.0, 12500.0]),
        (("5\u00a0000,00 €",), [5000.0]),  # no-break space
        (("EUR 12\u202f345,50",), [12345.5]),  # narrow no-break space
    ]
    for values, expected in cases:
        amounts = S(*values)
        assert detect_decimal(amounts) == ","
        assert parse_numbers(amounts)[0].tolist() == expected


def test_the_decimal_option_never_misreads_a_column_that_shows_its_mark() -> None:
    # the ambiguity warning recommends decimal=','; a revenue column written 2500000.75 beside
    # it must not become 250000075
    revenue = S("2500000.75", "1200.5")
    decimal, warnings = decimal_for(revenue, ",", COMMA)
    assert decimal == "," and len(warnings) == 1
    assert "2 numbers can only be read with '.' as the decimal mark" in warnings[0]
    assert "('2500000.75' = 2500000.75, '1200.5' = 1200.5), not with the ',' given" in warnings[0]
    assert parse_numbers(revenue, decimal)[0].tolist() == [2500000.75, 1200.5]
    for values, mark, expected in (
        (("1.500", "25.000"), ",", [1500.0, 25000.0]),  # what the option is for
        (("1,500", "2,25"), ",", [1.5, 2.25]),  # a German 1,500 when the user says so
        (("1.234,50",), ",", [1234.5]),
    ):
        decided, said = decimal_for(S(*values), mark, COMMA)
        assert (decided, said) == (mark, []) and parse_numbers(S(*values), decided)[
            0
        ].tolist() == expected
    # a count written 1.500 is 1500 whatever the option (1.5 is no count)
    assert decimal_for(S("1.500", "40"), ".", COMMA, whole=True) == (",", [])


# ------------------------------------------------------------------------ spend months
# Spend months as spreadsheets write them: Excel's `mmm-yy` display saves a month column as
# `Mar-26` (German Excel `Mrz-26`, `Mär-26`; French `mars-26`, `janv.-26`), some sheets write
# `Mar '26`, Excel's `mmm-yyyy` gives `Mar-2026`, and numeric displays `03-2026` or `03.2026`.
# These months were set aside as unparseable; now a month name with a two-digit year after a
# hyphen or an apostrophe is that month of 20yy (`parse.MONTH_CENTURY`), in a month column
# only. After a space, a dot or a slash two digits are a day (`Mar 26`, `Jan 31`): no month.
FIXTURES = Path(__file__).parent / "fixtures"
MONTHS = {
    "Mar-26": "2026-03",  # Excel's mmm-yy
    "Mar - 26": "2026-03",  # spaces around the hyphen, as a four-digit year may have them
    "Mar- 26": "2026-03",
    "Oct-25": "2025-10",
    "MAR-26": "2026-03",
    "Mar '26": "2026-03",  # the apostrophe form
    "Mar'26": "2026-03",
    "Mar ’26": "2026-03",
    "Nov.-26": "2026-11",
    "Sept-25": "2025-09",
    "Oct-99": "2099-10",  # the century rule: always 20yy
    "Jan-00": "2000-01",
    "Mrz-26": "2026-03",  # German Excel
    "Mär-26": "2026-03",
    "Mär '26": "2026-03",
    "Okt-25": "2025-10",
    "Dez.-25": "2025-12",
    "mars-26": "2026-03",  # French
    "janv.-26": "2026-01",
    "févr-26": "2026-02",
    "ene-26": "2026-01",  # Spanish
    "mrt-26": "2026-03",  # Dutch
    "Mar-2026": "2026-03",  # Excel's mmm-yyyy
    "März-2026": "2026-03",
    "03-2026": "2026-03",  # numeric with a four-digit year
    "03.2026": "2026-03",
    "3.2026": "2026-03",
}
#: still no month: a day and a month name (Excel's `d-mmm`), a two-digit numeric month (day or
#: year?), a quarter, a word that names no month, a year of one or three digits, a month
#: name and two digits after a space, a dot or a slash (a day: `Jan 31`, `Mar 26`), or after a
#: spaced or another dash
NO_MONTH = ["26-Mar", "12/25", "03-26", "Q1 26", "Foo-26", "Mar-2", "Mar-226", "Mar 26 2026"]
NO_MONTH += ["26-Mar-26", "31-Dec", "Mar-26-2026", "01.26"]
#: a day of a month, read as a month of 20yy by the first reading of `Mar-26` (dbda394)
DAYS = ["Jan 31", "Feb 28", "Apr 30", "Dec 31", "Jan 01", "Mar 26", "March 26", "Mar.26"]
DAYS += ["Nov. 26", "Dec/26", "Dec26", "März 26", "Mai 26", "Mrz. 26", "Dez.26"]


@pytest.mark.parametrize(("text", "month"), MONTHS.items())
def test_a_month_name_with_a_two_digit_year_is_that_month_of_20yy(text: str, month: str) -> None:
    values, bad, short = parse_months(S(text, "2026-01", ""))
    assert values.tolist()[:2] == [pd.Timestamp(f"{month}-01"), pd.Timestamp("2026-01-01")]
    assert bad.tolist() == [False, False, False]
    two_digits = re.search(r"\d{4}", text) is None  # `Mar-26`, not `Mar-2026`, `03.2026`
    assert short.tolist() == [two_digits, False, False]


@pytest.mark.parametrize("text", NO_MONTH + DAYS)
def test_other_short_layouts_stay_unparseable(text: str) -> None:
    values, bad, short = parse_months(S(text, "Mar-26"))
    assert bad.tolist() == [True, False] and pd.isna(values.iloc[0])
    assert short.tolist() == [False, True]  # an unread value had no year read


def test_a_two_digit_year_is_read_in_month_columns_only() -> None:
    """In a date column `Mar 26` may be 26 March: it is not read as March 2026."""
    dates, bad, _ = parse_datetimes(S("Mar 26", "Mar-26", "Mrz-26", "2026-01-05"))
    assert bad.tolist() == [True, True, True, False] and dates.iloc[:3].isna().all()


def test_large_month_columns_read_the_same() -> None:
    """Columns of 5,000+ values are parsed once per distinct value (`on_uniques`)."""
    small = S("Mar-26", "Mär-26", "03.2026", "26-Mar", None)
    big = pd.concat([small] * 1200, ignore_index=True)
    v_small, bad_small, short_small = parse_months(small)
    v_big, bad_big, short_big = parse_months(big)
    assert v_big.iloc[-5:].reset_index(drop=True).equals(v_small)
    assert bad_big.sum() == 1200 and bad_big.iloc[:5].tolist() == bad_small.tolist()
    assert short_small.tolist() == [True, True, False, False, False]
    assert short_big.sum() == 2400 and short_big.iloc[-5:].tolist() == short_small.tolist()


# ---------------------------------------------------------------- every loader of spend
SPEND_MONTHS = [pd.Timestamp(m) for m in ("2024-01-01", "2024-02-01", "2024-01-01", "2024-03-01")]


def _loaded_spend(crm: smk.CRM) -> list[pd.Timestamp]:
    assert crm.quality.tables["spend"].reasons() == {}  # no row set aside
    return sorted(crm.spend["month"].tolist())


def test_salesforce_spend_csv(tmp_path: Path) -> None:
    folder = tmp_path / "sf"
    shutil.copytree(FIXTURES / "salesforce" / "dataloader", folder)
    spend = folder / "spend.csv"
    months = iter(["Jan-24", "Feb '24", "Jan-2024", "Mär-24"])
    lines = spend.read_text().splitlines()
    rows = [lines[0]] + [next(months) + line[line.index(",") :] for line in lines[1:]]
    spend.write_text("\n".join(rows) + "\n")
    crm = smk.load(folder)
    assert crm.format == "salesforce"
    assert _loaded_spend(crm) == sorted(SPEND_MONTHS)


def test_hubspot_ad_spend(tmp_path: Path) -> None:
    folder = tmp_path / "hs"
    shutil.copytree(FIXTURES / "hubspot" / "ui", folder)
    (folder / "ad-spend.csv").write_text(
        '"Month","Channel","Campaign","Amount","Currency"\n'
        '"Jan-24","Paid Search","brand","100","EUR"\n'
        '"Feb-24","Paid Search","brand","110","EUR"\n'
        '"Jan\'24","Paid Social","launch","50","EUR"\n'
        '"03.2024","Paid Social","launch","60","EUR"\n'
    )
    crm = smk.load(folder)
    assert crm.format == "hubspot"
    assert _loaded_spend(crm) == sorted(SPEND_MONTHS)


def test_canonical_spend_csv(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("contact_id,created_at\nc1,2026-01-05\n")
    (tmp_path / "spend.csv").write_text(
        "month,channel,amount\nJan-24,paid_search,100\nfévr.-24,paid_search,110\n"
        "Jan-24,paid_social,50\n03-2024,paid_social,60\n"
    )
    assert _loaded_spend(smk.load(tmp_path, format="canonical")) == sorted(SPEND_MONTHS)


def _canonical_spend(folder: Path, months: list[str]) -> smk.CRM:
    """A canonical export: two contacts of January and February 2026, and a spend row per
    month written as `months` has it (rows 2, 3, ... of spend.csv)."""
    folder.mkdir(exist_ok=True)
    (folder / "contacts.csv").write_text("contact_id,created_at\nc1,2026-01-05\nc2,2026-02-05\n")
    rows = "".join(f"{m},paid_search,{i}\n" for i, m in enumerate(months))
    (folder / "spend.csv").write_text("month,channel,amount\n" + rows)
    return smk.load(folder, format="canonical")


def test_a_day_of_a_month_is_set_aside_not_loaded_as_a_future_month(tmp_path: Path) -> None:
    """The reviewer's sheet: `Jan 31`, `Feb 28`, `Apr 30`, `Dec 31`, `Jan 01` loaded as
    2031-01, 2028-02, 2030-04, 2031-12 and 2001-01, unsaid; they are days, set aside."""
    crm = _canonical_spend(tmp_path, ["Jan 31", "Feb 28", "Apr 30", "Dec 31", "Jan 01", "Mar-26"])
    assert crm.quality.tables["spend"].reasons() == {"unparseable month": 5}
    assert crm.spend["month"].tolist() == [pd.Timestamp("2026-03-01")]


def spend_ahead_warnings(crm: smk.CRM) -> list[str]:
    return [w for w in crm.quality.warnings if w.startswith("spend:") and "after the" in w]


def test_far_months_of_a_two_digit_year_are_warned_of_and_kept(tmp_path: Path) -> None:
    """`Dec-31` is read as December 2031 (Excel's `mmm-yy`): a month written with a two-digit
    year after the end of the year following the export's last dated record (2026-02-05:
    2028-01 and later) is warned of, with its file and row, as a day it may be; it is kept.
    `2031-05`, a four-digit year, is what was meant."""
    months = ["Jan-26", "Feb-27", "Dec-27", "Jan-28", "Dec-31", "Feb-28", "Jan-31", "2031-05"]
    crm = _canonical_spend(tmp_path, months)
    assert crm.quality.tables["spend"].reasons() == {} and len(crm.spend) == 8
    [warning] = spend_ahead_warnings(crm)
    assert warning == (
        "spend: 4 of 8 rows have a month written with a two-digit year, read as 20yy, after "
        "the end of 2027 (the export's last dated record: 2026-02-05): 2028-01 (spend.csv row "
        "5), 2028-02 (spend.csv row 7), 2031-01 (spend.csv row 8) and 1 more. They are kept; "
        "if these are days (`Dec-31` for 31 December), write the months with their year: "
        "`Dec-26`, `Dec 2026` or `2026-12` (docs/data-model.md)"
    )
    [one] = spend_ahead_warnings(_canonical_spend(tmp_path / "one", ["Jan-26", "Dec-31"]))
    assert one.startswith("spend: 1 of 2 rows has a month written with a two-digit year")
    assert "(spend.csv row 3). It is kept; if it is a day (`Dec-31` for 31 December)" in one


def test_a_plan_for_next_year_a_four_digit_year_or_spend_alone_is_not_warned_of(
    tmp_path: Path,
) -> None:
    """A budget for all of next year (`Dec-27` for an export of February 2026), months of a
    four-digit year however far (a stale CRM export beside current spend), and an export
    dated only by its spend: no warning (c658c2a warned of all but the last)."""
    months = ["2025-06", "Feb-27", "Dec-27", "Mar '26", "2031-12", "Dec 2031"]
    crm = _canonical_spend(tmp_path / "a", months)
    assert len(crm.spend) == 6 and spend_ahead_warnings(crm) == []
    alone = tmp_path / "b"
    alone.mkdir()
    (alone / "spend.csv").write_text("month,channel,amount\nDec-31,paid_search,1\n")
    crm = smk.load(alone, format="canonical")
    assert len(crm.spend) == 1 and spend_ahead_warnings(crm) == []


def test_a_month_two_digit_year_is_judged_by_its_own_row(tmp_path: Path) -> None:
    """The same far month written once with four digits and once with two: only the row
    written with two digits is named."""
    crm = _canonical_spend(tmp_path, ["2031-01", "Jan-31"])
    [warning] = spend_ahead_warnings(crm)
    assert "1 of 2 rows" in warning and "2031-01 (spend.csv row 3)." in warning


def month_name_warnings(crm: smk.CRM) -> list[str]:
    return [w for w in crm.quality.warnings if w.startswith("spend.month:")]


def test_months_written_as_a_name_and_two_digits_get_a_hint(tmp_path: Path) -> None:
    """LibreOffice's `MMM YY` writes `Sep 26`: every row was set aside as `unparseable month`
    with no word on why or how to write it."""
    crm = _canonical_spend(tmp_path, ["Sep 26", "Oct 26", "Sep 26", "Nov.26", "Sep-26", "Q1 26"])
    assert crm.quality.tables["spend"].reasons() == {"unparseable month": 5}
    [hint] = month_name_warnings(crm)
    assert hint == (
        "spend.month: 4 of the values set aside as unparseable month are a month name and "
        "two digits (`Sep 26`, `Oct 26`, `Nov.26`): after a space, a dot or a slash two "
        "digits may be a day as well as a year (`Sep 26` may be 26 September), so they are "
        "read as no month. Write the month with a hyphen or a four-digit year: `Sep-26`, "
        "`Sep 2026` or `2026-09` (docs/data-model.md)"
    )


def test_other_unparseable_months_get_no_such_hint(tmp_path: Path) -> None:
    crm = _canonical_spend(tmp_path, ["Q1 26", "26-Mar", "03/26", "Foo 26", "Mar-26"])
    assert crm.quality.tables["spend"].reasons() == {"unparseable month": 4}
    assert month_name_warnings(crm) == []


@pytest.mark.parametrize(
    ("text", "days"),
    [("Sep 26", True), ("Sep.26", True), ("Sep/26", True), ("Sep26", True), ("März 26", True)]
    + [("Mrz. 26", True), ("September 26", True), ("Sep-26", False), ("Sep 2026", False)]
    + [("26 Sep", False), ("Foo 26", False), ("Q1 26", False), ("Sep 2", False)],
)
def test_two_digit_days_tells_a_month_name_and_two_digits(text: str, days: bool) -> None:
    assert parse.two_digit_days(S(text, None, "2026-01")).tolist() == [days, False, False]


def test_a_sign_written_for_several_currencies_agrees_with_each_of_them() -> None:
    """RVC: `$ 100` beside JMD, `£ 100` beside EGP, `100元` beside TWD, `100 lei` beside MDL
    and `100 Fr.` beside XOF were warned of as USD, GBP, CNY, RON and CHF; each sign is
    written for those currencies too. A sign beside a currency it is not written for still
    conflicts (`£` beside USD, `lei` beside EUR)."""
    amounts = S("$ 100", "£ 100", "100元", "100 lei", "100 Fr.", "£ 100", "100 lei")
    given = S("JMD", "EGP", "TWD", "MDL", "XOF", "USD", "EUR")
    conflicts = parse.sign_conflicts(amounts, currency_symbols(amounts), given)
    assert conflicts.tolist() == [False, False, False, False, False, True, True]
