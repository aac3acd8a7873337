"""The set-aside listing (the data-quality page, its CSV, `smk validate --set-aside`): faults
first, told from the rows set aside by design exactly as the page's counts tell them; a column
of another object's id only where the export has such rows, and last.

The exports: the Salesforce report download fixture (footers with blank lines), the HubSpot
file with a Salesforce footer of `test_model`, the LeadHistory org of
`test_salesforce_lead_history`, the Salesforce sample.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from test_model import _with_footer
from test_salesforce_lead_history import _org_without_custom_dates

import smk
from smk import config, quality
from smk.cli import main
from smk.io.salesforce import load_salesforce
from smk.model import EMPTY_ROW, MERGED_CONVERTED_LEAD, MERGED_SAME_EMAIL

REPORT = Path(__file__).parent / "fixtures" / "salesforce" / "report"


def _faults_first(crm: smk.CRM, table: str) -> None:
    """The listing of `table` holds its set-aside rows once each, its faults (by the counts'
    rule, `by_design_rows`) first, each part in the order read: by file (in the order the
    account's `files` name them) and row."""
    aside = crm.quality.set_aside(table)
    by_design = quality.by_design_rows(crm)[table]
    rows = quality.set_aside_rows(crm, table)
    listed = list(zip(rows["file"], rows["row"], strict=True))
    parts = [aside[~by_design], aside[by_design]]
    files = crm.quality.files[table]
    start = 0
    for part in parts:
        mine = listed[start : start + len(part)]
        assert sorted(mine) == sorted(zip(part["_file"], part["_row"], strict=True))
        read = [(files.index(file), int(row)) for file, row in mine]
        assert read == sorted(read), table
        start += len(part)
    assert start == len(listed)


def _listed(crm: smk.CRM, table: str) -> list[tuple[str, int, str]]:
    rows = quality.set_aside_rows(crm, table)
    listed = zip(rows["file"], rows["row"], rows["reason"], strict=True)
    return [(file, int(row), why) for file, row, why in listed]


def test_a_report_footer_s_blank_lines_are_listed_with_the_footer_not_as_faults():
    """The faults-first order took a footer's blank lines (`empty row`, by design in the
    tile's count) for faults: each file's footer was split, its blank lines listed first."""
    crm = smk.load(REPORT)
    assert quality.set_aside_counts(crm)["faults"] == 0
    for table in crm.quality.tables:  # nothing is a fault: the listing is the order read
        aside = crm.quality.set_aside(table)
        rows = quality.set_aside_rows(crm, table)
        assert rows["row"].tolist() == aside["_row"].tolist(), table
        _faults_first(crm, table)
    contacts = quality.set_aside_rows(crm, "contacts")
    footer = contacts[contacts["file"] == "Contact.csv"]
    assert pd.to_numeric(footer["row"]).tolist() == [6, 7, 8, 9, 10, 11]
    assert EMPTY_ROW in set(footer["reason"])


def test_a_blank_row_inside_the_data_is_listed_first_its_footer_s_blank_lines_last(tmp_path):
    """Blank rows between records are faults (listed first); the footer's blank lines are not."""
    header = next(Path(__file__).parent.glob("data/bad/salesforce-footer-in-hubspot-file/*.csv"))
    commas = "," * header.read_text(encoding="utf-8").splitlines()[0].count('","') + "\n"
    crm = smk.load(_with_footer(tmp_path, ['""\n', commas]), format="hubspot")
    rows = quality.set_aside_rows(crm, "contacts")
    assert pd.to_numeric(rows["row"]).tolist()[:2] == [3, 4]  # in the order read
    assert quality.by_design_rows(crm)["contacts"].sum() == 5
    _faults_first(crm, "contacts")
    assert (
        sum(int(m.sum()) for m in quality.by_design_rows(crm).values())
        == (quality.set_aside_counts(crm)["by_design"])
    )


def test_no_lead_id_column_without_a_lead_history():
    """A Salesforce export without LeadHistory lists its contacts as before f57d898: no
    `salesforce_lead_id` column (mostly empty) between contact_id and account_id (the
    sample's two leads merged for their e-mail give the survivor's id last: `merged_into`)."""
    crm = smk.load(config.SAMPLE_SALESFORCE)
    assert list(quality.set_aside_rows(crm, "contacts").columns) == [
        "file",
        "row",
        "reason",
        "contact_id",
        "merged_into",
    ]
    every = quality.all_set_aside_rows(crm)  # the CSV's columns: the same every month
    assert every.columns[-1] == "salesforce_lead_id" and len(every)
    assert every["salesforce_lead_id"].isna().all()


def test_the_lead_id_column_comes_last_with_a_lead_history(tmp_path):
    """With LeadHistory rows the column is filled, after every other table's columns (and the
    converted leads' `merged_into`): a CSV read by position keeps its columns."""
    folder = _org_without_custom_dates(tmp_path)
    spend = "month,channel,campaign,amount,currency\n2026-10,paid_search,brand,-5,EUR\n"
    (folder / "spend.csv").write_text(spend)  # a table listed after the contacts
    every = quality.all_set_aside_rows(load_salesforce(folder))
    assert every.columns[-1] == "salesforce_lead_id"
    assert list(every.columns[4:-1]) == [
        "contact_id",
        "account_id",
        "deal_id",
        "touchpoint_id",
        "activity_id",
        "month",
        "channel",
        "campaign",
        "merged_into",
    ]
    history = every[every["file"] == "LeadHistory.csv"]
    assert len(history) and history["salesforce_lead_id"].notna().all()


def test_validate_set_aside_lists_rows_in_the_order_of_the_page_s_csv(tmp_path, capsys):
    """`smk validate --set-aside DIR` kept the order read: a fault of the LeadHistory (an
    unknown lead, row 8) after the rows set aside by design."""
    folder = _org_without_custom_dates(tmp_path)
    out = tmp_path / "aside"
    assert main(["validate", str(folder), "--set-aside", str(out)]) == 0
    capsys.readouterr()
    written = pd.read_csv(out / "contacts.set_aside.csv", dtype=str, encoding="utf-8-sig")
    listed = quality.set_aside_rows(load_salesforce(folder), "contacts")
    assert list(zip(written["_file"], written["_row"], strict=True)) == list(
        zip(listed["file"], listed["row"].astype(str), strict=True)
    )
    assert written["_reason"].iloc[0] == "unknown LeadId"


def test_rows_set_aside_by_a_later_check_are_listed_in_the_order_read(tmp_path, capsys):
    """The sample's deals listed the empty row 177 (set aside while read) before rows 13, 77,
    116, 136 and 176 (set aside by later checks): the page, its CSV and `smk validate
    --set-aside` list them by row."""
    crm = smk.load(config.SAMPLE_HUBSPOT)
    deals = "hubspot-crm-exports-all-deals-2026-11-01.csv"
    assert [(f, r) for f, r, _ in _listed(crm, "deals")] == [
        (deals, row) for row in (13, 77, 116, 136, 176, 177)
    ]
    for table in crm.quality.tables:
        _faults_first(crm, table)
    out = tmp_path / "aside"
    assert main(["validate", str(config.SAMPLE_HUBSPOT), "--set-aside", str(out)]) == 0
    capsys.readouterr()
    written = pd.read_csv(out / "deals.set_aside.csv", dtype=str, encoding="utf-8-sig")
    assert written["_row"].tolist() == ["13", "77", "116", "136", "176", "177"]
    every = quality.all_set_aside_rows(crm)
    assert every.loc[every["table"] == "deals", "row"].tolist() == written["_row"].tolist()


def test_each_file_s_rows_come_in_the_order_of_the_files_read(tmp_path):
    """A deal set aside by a later check in the first file (a negative amount) was listed
    after an unreadable row of the second (set aside while read)."""
    header = "Record ID,Deal Name,Deal Stage,Amount,Create Date\n"
    (tmp_path / "deals_1.csv").write_text(
        header + "D1,A,Contract Sent,100,2026-01-05\nD2,B,Contract Sent,-5,2026-01-05\n"
    )
    (tmp_path / "deals_2.csv").write_text(
        header + "D3,C,Contract Sent,100,not a date\nD4,D,Contract Sent,7,2026-01-06\n"
    )
    crm = smk.load(tmp_path, format="hubspot")
    assert _listed(crm, "deals") == [
        ("deals_1.csv", 3, "negative amount"),
        ("deals_2.csv", 2, "unparseable created_at"),
    ]
    _faults_first(crm, "deals")


def test_a_merged_contact_is_listed_with_the_id_it_was_merged_into(tmp_path, capsys):
    """The page's listing and its CSV said a contact was "merged into contact with same email"
    but not into which, though `smk validate --set-aside` writes it (`_merged_into`): they
    give the survivor's id, never its e-mail address."""
    crm = smk.load(config.SAMPLE_HUBSPOT)
    out = tmp_path / "aside"
    assert main(["validate", str(config.SAMPLE_HUBSPOT), "--set-aside", str(out)]) == 0
    capsys.readouterr()
    written = pd.read_csv(out / "contacts.set_aside.csv", dtype=str, encoding="utf-8-sig")
    merged = written[written["_merged_into"].notna()]
    assert len(merged) == 2 and set(merged["_reason"]) == {MERGED_SAME_EMAIL}
    survivors = set(crm.contacts["contact_id"])
    rows = quality.set_aside_rows(crm, "contacts")
    assert rows.columns[-1] == "merged_into"
    listed = rows[rows["merged_into"].notna()]
    assert listed[["contact_id", "merged_into"]].values.tolist() == (
        merged[["contact_id", "_merged_into"]].values.tolist()
    )
    assert set(listed["merged_into"]) <= survivors
    every = quality.all_set_aside_rows(crm)
    assert list(every.columns[-2:]) == ["merged_into", "salesforce_lead_id"]
    assert every["merged_into"].dropna().tolist() == listed["merged_into"].tolist()
    assert not every.astype("string").apply(lambda c: c.str.contains("@")).any().any()


def test_no_merged_into_column_without_a_merged_record(tmp_path):
    """An export with no merged record keeps its listing's columns: the page's table has no
    `merged_into`, its CSV's is empty (the CSV's columns are the same every month)."""
    header = "Record ID,Deal Name,Deal Stage,Amount,Create Date\n"
    (tmp_path / "deals.csv").write_text(header + "D1,A,Contract Sent,-5,2026-01-05\n")
    crm = smk.load(tmp_path, format="hubspot")
    assert list(quality.set_aside_rows(crm, "deals").columns) == [
        "file",
        "row",
        "reason",
        "deal_id",
    ]
    every = quality.all_set_aside_rows(crm)
    assert tuple(every.columns) == quality.SET_ASIDE_COLUMNS and every["merged_into"].isna().all()


def test_a_converted_lead_is_listed_with_the_contact_it_was_merged_into(tmp_path, capsys):
    """The sample's converted leads (`converted lead merged into contact`) were listed with no
    `merged_into` though the Lead names its contact (ConvertedContactId): the page, its CSV
    and `smk validate --set-aside` give that id, a loaded contact's."""
    crm = smk.load(config.SAMPLE_SALESFORCE)
    leads = pd.read_csv(config.SAMPLE_SALESFORCE / "Lead.csv", dtype=str)
    into = dict(zip(leads["Id"], leads["ConvertedContactId"], strict=True))
    rows = quality.set_aside_rows(crm, "contacts")
    converted = rows[rows["reason"] == MERGED_CONVERTED_LEAD]
    assert len(converted) > 200
    assert converted["merged_into"].tolist() == converted["contact_id"].map(into).tolist()
    assert set(converted["merged_into"]) <= set(crm.contacts["contact_id"])
    out = tmp_path / "aside"
    assert main(["validate", str(config.SAMPLE_SALESFORCE), "--set-aside", str(out)]) == 0
    capsys.readouterr()
    written = pd.read_csv(out / "contacts.set_aside.csv", dtype=str, encoding="utf-8-sig")
    merged = written[written["_reason"] == MERGED_CONVERTED_LEAD]
    assert merged["_merged_into"].tolist() == converted["merged_into"].tolist()
    assert "_merged_into" not in crm.contacts.columns
