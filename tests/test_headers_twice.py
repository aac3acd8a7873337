"""A header an export gives twice, and a workbook whose table is not on its first sheet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import smk
from smk.errors import CRMExportError

DEALS = "hubspot-crm-exports-all-deals-2026-11-01"
HEADER = ["Record ID", "Amount", "Deal Name", "Deal Stage", "Create Date", "Amount"]


def _rows(first: list[str], second: list[str]) -> list[list[str]]:
    """Deals with the two copies of 'Amount' given (columns B and F)."""
    return [
        [str(i + 1), a, f"Deal {i}", "Closed won", "2026-02-18 16:31", b]
        for i, (a, b) in enumerate(zip(first, second, strict=True))
    ]


def _csv(folder: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    path = folder / f"{DEALS}.csv"
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def _xlsx(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def _twice(crm: smk.CRM) -> list[str]:
    return [w for w in crm.quality.warnings if "has the header 'Amount' twice" in w]


def test_an_empty_first_copy_gives_way_to_the_filled_one(tmp_path):
    path = _csv(tmp_path, _rows(["", "", ""], ["100", "200", "300"]))
    crm = smk.load(path)
    assert crm.deals["amount"].tolist() == [100.0, 200.0, 300.0]
    [warning] = _twice(crm)
    assert warning.startswith(f"deals: {DEALS}.csv has the header 'Amount' twice (columns B, F)")
    assert "read from column F, as column B is empty in every row" in warning
    assert not any("amount is empty in every row" in w for w in crm.quality.warnings)


def test_copies_that_differ_are_said_and_never_merged(tmp_path):
    path = _csv(tmp_path, _rows(["100", "", "999", "400"], ["100", "200", "300", "400"]))
    crm = smk.load(path)
    amounts = crm.deals.set_index("deal_id")["amount"]
    assert amounts.loc[["1", "3", "4"]].tolist() == [100.0, 999.0, 400.0]  # column B, the first
    assert pd.isna(amounts.loc["2"])  # not filled from column F
    [warning] = _twice(crm)
    assert "read from column B, the first" in warning
    assert "other values in 2 of 4 rows (in 1 of them column B is empty)" in warning
    assert "kept unread as 'Amount.1'" in warning
    assert "delete or rename column B in the export" in warning


def test_copies_with_the_same_values_say_nothing(tmp_path):
    crm = smk.load(_csv(tmp_path, _rows(["100", "200"], ["100", ""])))
    assert crm.deals["amount"].tolist() == [100.0, 200.0]
    assert _twice(crm) == []


def test_a_header_given_twice_in_a_workbook_is_read_as_in_a_csv(tmp_path):
    path = _xlsx(tmp_path / f"{DEALS}.xlsx", {"Deals": [HEADER, *_rows(["", ""], ["5", "6"])]})
    crm = smk.load(path)
    assert crm.deals["amount"].tolist() == [5.0, 6.0]
    [warning] = _twice(crm)
    assert f"{DEALS}.xlsx has the header 'Amount' twice (columns B, F)" in warning


def test_the_sheet_with_the_table_is_read_when_the_first_has_not_it(tmp_path):
    rows = [HEADER[:-1], *(r[:-1] for r in _rows(["100", "200"], ["", ""]))]
    summary = [["Export"], ["HubSpot deals, 2026-11-01"]]
    path = _xlsx(tmp_path / f"{DEALS}.xlsx", {"Summary": summary, "Deals": rows})
    crm = smk.load(path)
    assert crm.deals["amount"].tolist() == [100.0, 200.0]
    assert (
        f"{DEALS}.xlsx: read from its sheet 'Deals', the one with the table's headers, which "
        "the first sheet, 'Summary', lacks (the workbook's sheets: 'Summary', 'Deals')"
    ) in crm.quality.warnings


def test_a_workbook_without_one_sheet_of_the_table_names_its_sheets(tmp_path):
    rows = [HEADER[:-1], *(r[:-1] for r in _rows(["100"], [""]))]
    summary = [["Export"], ["HubSpot deals, 2026-11-01"]]
    sheets = {"Summary": summary, "Deals 1": rows, "Deals 2": rows}  # which one: not guessed
    _xlsx(tmp_path / f"{DEALS}.xlsx", sheets)
    (tmp_path / "hubspot-crm-exports-all-calls-2026-11-01.csv").write_text(
        "Record ID,Activity date,Associated Contact IDs,Call direction\n"
        "6000000002,2025-11-05 07:57,3000000001,Outbound\n",
        encoding="utf-8",
    )
    with pytest.raises(CRMExportError) as caught:
        smk.load(tmp_path)
    reason = caught.value.reason
    assert caught.value.file.endswith(f"{DEALS}.xlsx")
    assert (
        "only the workbook's sheet 'Summary' was read, of its sheets 'Summary', 'Deals 1', "
        "'Deals 2'"
    ) in reason
    assert f"detected from the file name {DEALS}.xlsx" in reason  # not the calls file's
