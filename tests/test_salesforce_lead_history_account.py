"""The rows of a Salesforce LeadHistory in the data-quality account, as a reader meets them:
the page's tile and `smk validate` say what the contacts' rows read are, the set-aside listing
finds a history row by its lead, and a history row says truly what became of it.

The exports are those of `test_salesforce_lead_history` (a few rows of an invented org).
"""

from __future__ import annotations

import csv
import html
import json
import shutil

import pytest
from test_notebook_runs_small import _report
from test_salesforce_lead_history import (
    HISTORY_HEAD,
    LEAD_HEAD,
    REP,
    _org_without_custom_dates,
    change,
    export,
    lead,
    lead_id,
    stage_dates,
    utc,
)

from smk import quality
from smk.cli import main
from smk.io.salesforce import load_salesforce
from smk.model import (
    BY_DESIGN_REASONS,
    LEAD_OTHER_FIELD,
    LEAD_STATUS_OF_SET_ASIDE,
    LEAD_STATUS_READ,
    OLDER_COPY,
)

pytestmark = pytest.mark.filterwarnings("ignore:as_of .* after the export's last record")

#: what `account_notes` calls the history's rows
HISTORY_ROWS = "Salesforce LeadHistory rows (each lead's field history, read into its stage dates)"


def reasons_by_row(crm, file: str) -> dict[int, str]:
    """Row number -> set-aside reason of the contacts' rows read from `file`."""
    aside = crm.quality.set_aside("contacts")
    rows = aside[aside["_file"].astype(str) == file]
    return dict(zip(rows["_row"].astype(int), rows["_reason"], strict=True))


# --------------------------------------------------------------------------- the tile
def test_the_tile_names_the_kinds_set_aside_by_design_that_the_export_has(tmp_path):
    """7 of the 8 contacts' rows set aside are by design: 6 LeadHistory rows and a converted
    lead merged into its contact; the tile names them, not a fixed list."""
    crm = load_salesforce(_org_without_custom_dates(tmp_path))
    assert quality.by_design_kinds(crm) == {"lead history": 6, "merged": 1}
    assert quality.by_design_text(crm) == "7 by design (lead history 6, merged 1)"
    read = sum(acc.read for acc in crm.quality.tables.values())
    assert quality.set_aside_detail(crm) == (
        f"of {read:,} read; 1 for a fault of the export, 7 by design (lead history 6, merged 1)"
    )
    assert quality.set_aside_counts(crm) == {"total": 8, "by_design": 7, "faults": 1}


def test_every_reason_by_design_has_a_kind_the_page_names():
    assert set(quality.BY_DESIGN_KINDS) == set(BY_DESIGN_REASONS)


def test_an_export_without_rows_set_aside_by_design_says_none(tmp_path):
    folder = export(tmp_path / "sf", Lead=[LEAD_HEAD, lead(1, "2026-10-01 08:00")])
    crm = load_salesforce(folder)
    assert quality.by_design_kinds(crm) == {}
    assert quality.by_design_text(crm) == "0 by design"
    assert quality.account_notes(crm) == []


# --------------------------------------------------------------------------- the account
def test_the_account_says_how_many_contacts_rows_read_are_lead_history(tmp_path, capsys):
    """10 contacts' rows read, 2 loaded: 7 of them are LeadHistory rows (6 by design, one of a
    lead the export does not hold), said under the account of `smk validate`; its JSON keeps
    its shape (the reasons tell the history's rows apart)."""
    folder = _org_without_custom_dates(tmp_path)
    crm = load_salesforce(folder)
    note = f"contacts: 7 of the 10 rows read are {HISTORY_ROWS}, all set aside"
    assert quality.other_rows(crm) == {"contacts": 7}
    assert quality.account_notes(crm) == [note]
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    account = out.split("Data-quality account\n")[1].split("\n\n")[0]
    assert account.splitlines()[-1] == f"  {note}"  # under the table
    assert main(["validate", str(folder), "--json"]) == 0
    tables = json.loads(capsys.readouterr().out)["tables"]
    assert set(tables["contacts"]) == {"read", "loaded", "set_aside", "reasons"}


def test_the_account_note_survives_the_parquet_model(tmp_path):
    crm = load_salesforce(_org_without_custom_dates(tmp_path))
    crm.to_parquet(tmp_path / "model")
    again = type(crm).from_parquet(tmp_path / "model")
    assert quality.account_notes(again) == quality.account_notes(crm)


# --------------------------------------------------------------------------- the listing
def test_the_listing_finds_a_history_row_by_its_lead_and_shows_faults_first(tmp_path):
    """The history's fault (a Status change of lead 8, not in the export) is listed before the
    rows set aside by design, with its lead's id; every history row shows its lead's id (the
    converted leads the contact they were merged into, before it)."""
    crm = load_salesforce(_org_without_custom_dates(tmp_path))
    rows = quality.set_aside_rows(crm, "contacts")
    assert list(rows.columns) == [
        "file",
        "row",
        "reason",
        "contact_id",
        "merged_into",
        "salesforce_lead_id",
    ]
    first = rows.iloc[0]
    assert (first["file"], int(first["row"]), first["reason"]) == (
        "LeadHistory.csv",
        8,
        "unknown LeadId",
    )
    assert first["salesforce_lead_id"] == lead_id(8)
    assert rows["reason"].iloc[1:].isin(BY_DESIGN_REASONS).all()
    history = rows[rows["file"] == "LeadHistory.csv"]
    assert history["salesforce_lead_id"].notna().all() and history["contact_id"].isna().all()
    assert lead_id(8) in quality.set_aside_listing(crm, limit=1)
    every = quality.all_set_aside_rows(crm)
    assert every.loc[every["file"] == "LeadHistory.csv", "salesforce_lead_id"].notna().all()


# --------------------------------------------------------------------------- the nits
def test_a_status_change_of_a_lead_the_checks_set_aside_is_said_so(tmp_path):
    """Lead 2's CreatedDate cannot be read: the checks set it aside (a fault, counted once), so
    its Status change dated no one loaded; lead 3 shares lead 1's e-mail and is merged into it:
    its Status change was read into a person loaded."""
    folder = export(
        tmp_path / "sf",
        Lead=[
            LEAD_HEAD,
            lead(1, "2026-10-01 08:00"),
            lead(2, "2026-10-01 08:00").replace("2026-10-01T08:00:00.000+0000", "not a date"),
            lead(3, "2026-10-02 08:00").replace("l3@acme.test", "l1@acme.test"),
        ],
        LeadHistory=[
            HISTORY_HEAD,
            change(1, 1, "2026-10-05 10:00", "MQL"),
            change(2, 2, "2026-10-05 10:00", "MQL"),
            change(3, 3, "2026-10-04 10:00", "MQL"),
            change(4, 2, "2026-10-06 10:00", REP, field="Owner", old=""),
        ],
    )
    crm = load_salesforce(folder)
    assert reasons_by_row(crm, "LeadHistory.csv") == {
        2: LEAD_STATUS_READ,
        3: LEAD_STATUS_OF_SET_ASIDE,
        4: LEAD_STATUS_READ,
        5: LEAD_OTHER_FIELD,
    }
    assert reasons_by_row(crm, "Lead.csv") == {
        3: "unparseable created_at",
        4: "merged into contact with same email",
    }
    assert stage_dates(crm).loc[lead_id(1), "became_mql_at"] == utc("2026-10-04 10:00")
    assert LEAD_STATUS_OF_SET_ASIDE in BY_DESIGN_REASONS
    assert quality.set_aside_counts(crm)["faults"] == 1  # the lead's own row
    crm.quality.check()


def _two_downloads(tmp_path, first: str, second: str):
    """Lead 1's history in two files that share rows 2 and 3 (`first` holds 1-3, `second` 2-4)."""
    rows = [
        change(1, 1, "2026-10-01 08:00", "", field="created", old=""),
        change(2, 1, "2026-10-05 10:00", "MQL"),
        change(3, 1, "2026-10-06 10:00", "Qualified", old="MQL"),
        change(4, 1, "2026-10-07 10:00", REP, field="Owner", old=""),
    ]
    folder = export(
        tmp_path / "sf",
        Lead=[LEAD_HEAD, lead(1, "2026-10-01 08:00")],
    )
    (folder / f"{first}.csv").write_text("\n".join([HISTORY_HEAD, *rows[:3]]) + "\n")
    (folder / f"{second}.csv").write_text("\n".join([HISTORY_HEAD, *rows[1:]]) + "\n")
    return load_salesforce(folder)


def test_two_history_downloads_read_a_shared_row_once(tmp_path):
    """`LeadHistory.csv` and `LeadHistory (2).csv` share two rows: each is read once (the first
    read, no file's name tells which is newer), its other copy an older copy."""
    crm = _two_downloads(tmp_path, "LeadHistory", "LeadHistory (2)")
    account = crm.quality.account("contacts")
    assert (account.read, account.loaded, account.n_set_aside) == (7, 1, 6)
    read_first = "LeadHistory (2).csv"  # files are read in name order
    assert reasons_by_row(crm, read_first) == {
        2: LEAD_STATUS_READ,
        3: LEAD_STATUS_READ,
        4: LEAD_OTHER_FIELD,
    }
    assert reasons_by_row(crm, "LeadHistory.csv") == {
        2: LEAD_OTHER_FIELD,
        3: OLDER_COPY,
        4: OLDER_COPY,
    }
    dates = stage_dates(crm).loc[lead_id(1)]
    assert dates["became_mql_at"] == utc("2026-10-05 10:00")
    assert dates["became_sql_at"] == utc("2026-10-06 10:00")


def test_the_history_file_exported_last_by_its_name_keeps_the_shared_rows(tmp_path):
    crm = _two_downloads(tmp_path, "LeadHistory-2026-11-02", "LeadHistory-2026-10-01")
    assert reasons_by_row(crm, "LeadHistory-2026-10-01.csv") == {
        2: OLDER_COPY,
        3: OLDER_COPY,
        4: LEAD_OTHER_FIELD,
    }
    assert reasons_by_row(crm, "LeadHistory-2026-11-02.csv") == {
        2: LEAD_OTHER_FIELD,
        3: LEAD_STATUS_READ,
        4: LEAD_STATUS_READ,
    }


# --------------------------------------------------------------------------- the page
def test_the_data_quality_page_names_the_lead_history(tmp_path):
    """The published page: its tile names lead history, its account says how many contacts'
    rows read are LeadHistory rows, and its CSV of rows set aside finds each history row by
    its lead, the fault first."""
    data = _org_without_custom_dates(tmp_path)
    code, month = _report(tmp_path, data, "2026-10", "data_quality")
    assert code == 0
    metrics = json.loads((month / "metrics-data_quality.json").read_text())
    detail = metrics["kpis"][0]["detail"]
    assert detail.endswith("1 for a fault of the export, 7 by design (lead history 6, merged 1)")
    page = html.unescape((month / "00_data_quality.html").read_text())
    assert f"contacts: 7 of the 10 rows read are {HISTORY_ROWS}, all set aside" in page
    assert "set aside 7 by design (lead history 6, merged 1)" in page
    listed = next(month.rglob("data_quality_set_aside.csv"))
    with listed.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    contacts = [r for r in rows if r["table"] == "contacts"]
    assert contacts[0]["reason"] == "unknown LeadId"
    assert contacts[0]["salesforce_lead_id"] == lead_id(8)
    history = [r for r in contacts if r["file"] == "LeadHistory.csv"]
    assert len(history) == 7 and all(r["salesforce_lead_id"] for r in history)
    shutil.rmtree(tmp_path / "reports")
