"""A number column whose values show both decimal marks (`1234.50`, `99.99` and `1.234,50`).

Each value that can only be read with one mark is read with it, whatever the rest of the column
shows or the `decimal` option says: it is never scaled by 100 or 1000. The values that read either
way (`1.500`) follow the column's mark, a warning names the values and how they were read, and a
value that reads with neither (`12,34,5`) is set aside as unparseable.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import smk
from smk.io import parse
from smk.io.parse import Source, decimal_for, parse_integers, parse_numbers

ROOT = Path(__file__).resolve().parents[1]
HUBSPOT = ROOT / "data" / "sample" / "hubspot"
DEALS = "hubspot-crm-exports-all-deals-2026-11-01.csv"
COMMA = Source(("deals.csv",), ",")


def S(*values: object) -> pd.Series:
    return pd.Series(list(values), dtype="string")


def _canonical(folder: Path, amounts: list[str], employees: list[str] | None = None) -> Path:
    """A canonical export with one contact and a deal per amount (and accounts, with
    `employees`)."""
    folder.mkdir()
    (folder / "contacts.csv").write_text("contact_id,created_at\nc1,2026-01-05\n")
    rows = "".join(f'd{i},2026-02-01,"{a}"\n' for i, a in enumerate(amounts, 1))
    (folder / "deals.csv").write_text("deal_id,created_at,amount\n" + rows)
    if employees is not None:
        rows = "".join(f'a{i},2026-01-01,"{e}"\n' for i, e in enumerate(employees, 1))
        (folder / "accounts.csv").write_text("account_id,created_at,employees\n" + rows)
    return folder


def _amounts(crm: smk.CRM) -> dict[str, float]:
    return dict(zip(crm.deals["deal_id"], crm.deals["amount"], strict=True))


def _said(crm: smk.CRM, column: str) -> list[str]:
    return [w for w in crm.quality.warnings if w.startswith(f"{column}: ")]


def test_one_amount_in_the_other_style_changes_no_other_amount(tmp_path: Path) -> None:
    """`1.234,50` beside `1234.50` and `99.99` made the column's mark a comma: 123450 and 9999."""
    export = _canonical(tmp_path / "x", ["1234.50", "99.99", "1.234,50"])
    crm = smk.load(export)
    assert _amounts(crm) == {"d1": 1234.5, "d2": 99.99, "d3": 1234.5}
    assert crm.quality.tables["deals"].n_set_aside == 0
    (said,) = _said(crm, "deals.amount")
    assert said == (
        "deals.amount: in deals.csv, numbers are written with both decimal marks: 1 number can "
        "only be read with ',' as the decimal mark and is read with it ('1.234,50' = 1234.5); "
        "the column's other numbers are read with '.', as most of its values show"
    )
    done = subprocess.run(
        [sys.executable, "-m", "smk", "validate", str(export), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert said in json.loads(done.stdout)["warnings"]


def test_a_european_amount_in_the_hubspot_sample_is_read_as_written(tmp_path: Path) -> None:
    """Beside `1,980.00`, one deal's `1.234,50` was read as 1.2345, silently."""
    export = tmp_path / "hubspot"
    shutil.copytree(HUBSPOT, export)
    deals = export / DEALS
    text = deals.read_text(encoding="utf-8")
    assert text.count('"4000000003",') == 1 and text.count('"13570"') == 1
    deals.write_text(text.replace('"13570"', '"1.234,50"'), encoding="utf-8")
    crm = smk.load(export)
    amounts = _amounts(crm)
    assert amounts["4000000003"] == 1234.5
    assert amounts["4000000132"] == 1980.0 and amounts["4000000175"] == 28250.0
    (said,) = _said(crm, "deals.amount")
    assert "('1.234,50' = 1234.5)" in said and "other numbers are read with '.'" in said
    before = smk.load(HUBSPOT)
    assert crm.quality.tables["deals"].to_dict() == before.quality.tables["deals"].to_dict()


def test_the_decimal_option_never_reads_a_value_that_shows_the_other_mark_with_it() -> None:
    """data-model.md's own example: with decimal=',', `2500000.75` beside `1.234,50` was read
    as 250,000,075 under a warning that said 'read as its values show'."""
    values = S("1.234,50", "2500000.75", "1.500")
    mark, notes = decimal_for(values, ",", COMMA)
    assert mark == "," and len(notes) == 1
    assert "1 number can only be read with '.' as the decimal mark and is read with it" in notes[0]
    assert "('2500000.75' = 2500000.75), not with the ',' given" in notes[0]
    assert parse_numbers(values, mark)[0].tolist() == [1234.5, 2500000.75, 1500.0]
    # and the reverse: decimal='.' never reads `1.234,50` as 1.2345
    mark, notes = decimal_for(S("1.234,50", "99.99"), ".", COMMA)
    assert mark == "." and "('1.234,50' = 1234.5), not with the '.' given" in notes[0]
    assert parse_numbers(S("1.234,50", "99.99"), mark)[0].tolist() == [1234.5, 99.99]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (("1,05E+11", "1.05E+11", "12,5"), [1.05e11, 1.05e11, 12.5]),  # both were 1.05e13
        (("1.234,50", "1,234.50"), [1234.5, 1234.5]),  # 1.2345 and 1234.5
        (("1234.50", "99.99", "1.234,50"), [1234.5, 99.99, 1234.5]),
        (("12,5", "0,125", "99.99"), [12.5, 0.125, 99.99]),  # 9999
        (("1.234.567", "12.5", "12.5"), [1_234_567.0, 12.5, 12.5]),  # 125
        (("1,23,456.50", "1.234,50"), [123_456.5, 1234.5]),  # India's lakh groups
    ],
)
def test_each_value_that_shows_its_mark_is_read_with_it(values, expected) -> None:
    for decimal in (None, ".", ","):
        assert parse_numbers(S(*values), decimal)[0].tolist() == pytest.approx(expected), decimal
    mark, notes = decimal_for(S(*values), source=COMMA)
    assert len(notes) == 1 and "both decimal marks" in notes[0]
    assert parse_numbers(S(*values), mark)[0].tolist() == pytest.approx(expected)


def test_a_value_that_reads_either_way_follows_the_column_and_is_named() -> None:
    values = S("1234.50", "99.99", "1.234,50", "2.500", "2.500")
    mark, notes = decimal_for(values, source=COMMA)
    assert mark == "." and parse_numbers(values, mark)[0].tolist() == [
        1234.5,
        99.99,
        1234.5,
        2.5,
        2.5,
    ]
    assert (
        "; 2 numbers that may be read either way ('2.500' = 2.5) are read with '.': to read them "
        "with ',', pass decimal=',' (smk.load; `--decimal ,` for smk validate and report)"
    ) in notes[0]
    assert parse_numbers(values, ",")[0].tolist() == [1234.5, 99.99, 1234.5, 2500.0, 2500.0]
    # as many values show each mark: the file's locale decides, and the warning says so
    tie = S("1.234,50", "99.99", "2.500")
    for source, mark, number in ((COMMA, ".", 2.5), (Source(("deals.csv",), ";"), ",", 2500.0)):
        decided, notes = decimal_for(tie, source=source)
        assert decided == mark and "as many values show each mark" in notes[0]
        assert parse_numbers(tie, decided)[0].iloc[2] == number


@pytest.mark.parametrize("large", [False, True])
def test_a_value_that_reads_with_neither_mark_is_set_aside(tmp_path: Path, large: bool) -> None:
    """`12,34,5` and `1.234.5` were 12345 (the thousands mark deleted wherever it stood)."""
    odd = ["12,34,5", "1.234.5", "1,2,3"]
    amounts = ["1.234,50", "12,5"] * (3_000 if large else 1) + odd
    values, bad = parse_numbers(S(*amounts))
    assert bad.tolist()[-3:] == [True] * 3 and values.iloc[-3:].isna().all()
    assert not bad.iloc[:-3].any() and values.iloc[:2].tolist() == [1234.5, 12.5]
    if large:
        return
    crm = smk.load(_canonical(tmp_path / "x", amounts))
    deals = crm.quality.tables["deals"]
    assert deals.reasons() == {"unparseable amount": 3} and deals.read == 5 == deals.loaded + 3
    assert sorted(crm.quality.set_aside("deals")["amount"]) == sorted(odd)


def test_a_count_written_1_500_is_1500_beside_a_fraction(tmp_path: Path) -> None:
    """`1.500` employees were set aside, with `12.5`, when the column held both."""
    counts = S("1.500", "12.5", "1,500", "40", "1.234.567")
    for decimal in (None, ".", ","):
        values, bad = parse_integers(counts, decimal)
        assert values.tolist()[:1] + values.tolist()[2:] == [1500, 1500, 40, 1_234_567]
        assert bad.tolist() == [False, True, False, False, False]
    assert decimal_for(counts, None, COMMA, whole=True)[1] == []
    large, bad = parse_integers(S(*["1.500", "12.5", "40"] * 2_000))  # Arrow's shortcut
    assert large.iloc[:3].tolist()[::2] == [1500, 40] and bad.iloc[:3].tolist() == [
        False,
        True,
        False,
    ]
    assert bad.sum() == 2_000 and large.isna().sum() == 2_000
    crm = smk.load(_canonical(tmp_path / "x", ["10"], ["1.500", "12.5", "40"]))
    assert dict(zip(crm.accounts["account_id"], crm.accounts["employees"], strict=True)) == {
        "a1": 1500,
        "a3": 40,
    }
    assert crm.quality.tables["accounts"].reasons() == {"unparseable employees": 1}


#: values that can be read one way only, with their number (`_WRITTEN`); and some that read
#: either way or with neither, to mix in
ONE_WAY = {
    "1234.50": 1234.5, "99.99": 99.99, "1.234,50": 1234.5, "12,5": 12.5, "0,125": 0.125,
    "0.500": 0.5, "1,234.50": 1234.5, "1.234.567": 1234567.0, "1,234,567": 1234567.0,
    "1234,567": 1234.567, "1,05E+11": 1.05e11, "1.05E+11": 1.05e11, "€ 1.234,50": 1234.5,
    "(2,500.75)": -2500.75, "-0,5": -0.5, "7": 7.0, "1e5": 1e5,
}  # fmt: skip
OTHERS = ["1.500", "25,000", "-2.500", "12,34,5", "1.2.3", "", "n/a", "TBD"]


@given(
    st.lists(st.sampled_from([*ONE_WAY, *OTHERS]), min_size=1, max_size=10),
    st.sampled_from([None, ".", ","]),
    st.booleans(),
)
def test_a_value_with_one_reading_is_never_scaled(values: list[str], decimal, large: bool) -> None:
    """Whatever the rest of the column and the option: a large column (Arrow's shortcut for
    plain numbers) reads each value as a small one does."""
    column = S(*(values * (-(-parse._LARGE // len(values)) if large else 1)))
    mark, _ = decimal_for(column, decimal, COMMA)
    numbers, bad = parse_numbers(column, mark)
    for i, value in enumerate(values):
        if value in ONE_WAY:
            assert numbers.iloc[i] == pytest.approx(ONE_WAY[value]) and not bad.iloc[i]
    if large:
        small = parse_numbers(S(*values), parse.detect_decimal(column) if mark is None else mark)
        assert numbers.iloc[: len(values)].tolist() == pytest.approx(small[0].tolist(), nan_ok=True)
        assert bad.iloc[: len(values)].tolist() == small[1].tolist()
