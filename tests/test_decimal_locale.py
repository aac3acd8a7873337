"""A lone comma group (`1,500`) in a `;`-delimited CSV, through `smk.load`: read with the
decimal comma Excel writes in such a file, with a warning, unless the column shows its mark."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import smk

DATA = Path(__file__).parent / "data"
DEALS = "hubspot-crm-exports-all-deals-2026-10-02.csv"


def _amounts(crm) -> dict[str, float]:
    return dict(zip(crm.deals["deal_id"], crm.deals["amount"], strict=True))


def _warnings(crm, what: str) -> list[str]:
    return [w for w in crm.quality.warnings if what in w]


def _other_warnings(warnings: list[str]) -> list[str]:
    """`warnings` but the one every load of these fixtures gives: their deals name no contact."""
    return [w for w in warnings if "name no contact" not in w]


def test_a_semicolon_file_of_comma_groups_reads_a_decimal_comma_and_says_so() -> None:
    crm = smk.load(DATA / "decimal_locale_comma_group")
    assert _amounts(crm) == {"6877200001": 1.5, "6877200002": 25.0, "6877200003": 800.0}
    assert crm.quality.tables["deals"].n_set_aside == 0
    (said,) = _warnings(crm, "may be")
    assert said.startswith(f"deals.amount: in {DEALS}, '1,500' may be 1.5 or 1500")
    assert "read with ',' as the decimal mark ('1,500' = 1.5)" in said
    assert "to read 1500, pass decimal='.'" in said and "`--decimal .`" in said


def test_the_decimal_option_reads_the_comma_groups_as_thousands_without_a_warning() -> None:
    crm = smk.load(DATA / "decimal_locale_comma_group", decimal=".")
    assert _amounts(crm) == {"6877200001": 1500.0, "6877200002": 25000.0, "6877200003": 800.0}
    assert not _warnings(crm, "deals.amount")
    done = subprocess.run(
        [sys.executable, "-m", "smk", "validate", str(DATA / "decimal_locale_comma_group")]
        + ["--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    (said,) = _other_warnings(json.loads(done.stdout)["warnings"])
    assert "'1,500' may be 1.5 or 1500" in said


def test_the_same_amounts_in_a_comma_file_are_thousands_as_before(tmp_path: Path) -> None:
    text = (DATA / "decimal_locale_comma_group" / DEALS).read_text(encoding="utf-8")
    (tmp_path / DEALS).write_text(text.replace('";"', '","'), encoding="utf-8")
    crm = smk.load(tmp_path)
    assert _amounts(crm) == {"6877200001": 1500.0, "6877200002": 25000.0, "6877200003": 800.0}
    assert _other_warnings(crm.quality.warnings) == []


def test_a_semicolon_column_that_shows_its_decimal_comma_follows_it_silently() -> None:
    crm = smk.load(DATA / "decimal_locale_comma_shown")  # `12,5` and `1.234,50` beside `1,500`
    assert _amounts(crm) == {"6877200001": 1.5, "6877200002": 12.5, "6877200003": 1234.5}
    assert _other_warnings(crm.quality.warnings) == []


def test_a_canonical_semicolon_file_warns_too(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_text(
        "deal_id;stage;created_at;amount\n"
        "1;Open;2026-01-01T10:00:00Z;2,500\n"
        "2;Open;2026-01-01T10:00:00Z;40\n",
        encoding="utf-8",
    )
    crm = smk.load(tmp_path)
    assert _amounts(crm) == {"1": 2.5, "2": 40.0}
    (said,) = _warnings(crm, "may be")
    assert said.startswith("deals.amount: in deals.csv, '2,500' may be 2.5 or 2500")


def test_typed_numbers_of_a_parquet_export_are_not_read_again_with_the_decimal_option(tmp_path):
    """A Parquet amount of 99.99 loaded with decimal="," became 9999.0: the float was written
    out as text and read with the comma as the decimal mark."""
    import pandas as pd

    pd.DataFrame({"contact_id": ["1"], "created_at": ["2026-01-02"]}).to_parquet(
        tmp_path / "contacts.parquet"
    )
    deals = {"deal_id": ["d1", "d2"], "created_at": ["2026-01-05"] * 2, "amount": [99.99, 1234.5]}
    pd.DataFrame(deals).to_parquet(tmp_path / "deals.parquet")
    for decimal in (",", ".", None):
        crm = smk.load(tmp_path, format="canonical", decimal=decimal)
        assert _amounts(crm) == {"d1": 99.99, "d2": 1234.5}, decimal
