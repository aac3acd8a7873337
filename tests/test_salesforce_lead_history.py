"""Salesforce stage dates from LeadHistory (field history of Lead.Status), for an org that has no
`MQL_Date__c` / `SQL_Date__c` fields.

Each test writes a few rows of an invented org (Data Loader style: API names, ISO datetimes,
`1`/`0` flags; one report-style download) and loads them, so every case is small enough to read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_salesforce import mapped, small_crm
from test_salesforce_history import ACME, OCT, REP, TASK_HEAD, export, iso, utc

from smk import quality, sla
from smk.cli import main
from smk.io.parse import salesforce_id18
from smk.io.salesforce import load_salesforce, object_of_labels, object_of_name, write_salesforce
from smk.model import (
    BY_DESIGN_REASONS,
    DELETED_IN_SALESFORCE,
    LEAD_OTHER_FIELD,
    LEAD_STATUS_READ,
    MERGED_CONVERTED_LEAD,
    PARENT_DELETED,
)

# the exports here are a few rows: a report month's end lies weeks after their last record
pytestmark = pytest.mark.filterwarnings("ignore:as_of .* after the export's last record")

LEAD_HEAD = (
    "Id,LastName,Company,Email,Status,OwnerId,IsConverted,ConvertedDate,ConvertedContactId,"
    "ConvertedAccountId,CreatedDate"
)
CONTACT_HEAD = "Id,AccountId,LastName,Email,OwnerId,CreatedDate"
HISTORY_HEAD = "Id,LeadId,CreatedById,CreatedDate,Field,OldValue,NewValue,DataType,IsDeleted"


def lead_id(n: int) -> str:
    return salesforce_id18(f"00Q{n:012d}")


def contact_id(n: int) -> str:
    return salesforce_id18(f"003{n:012d}")


def lead(n: int, created: str, *, status: str = "Open - Not Contacted", into: int = 0) -> str:
    """A Lead row; converted on the 9th of October into contact `into` when given."""
    conv = f"1,2026-10-09,{contact_id(into)},{ACME}" if into else "0,,,"
    return f"{lead_id(n)},Doe{n},Acme,l{n}@acme.test,{status},{REP},{conv},{iso(created)}"


def change(
    k: int,
    n: int,
    when: str,
    new: str,
    *,
    field: str = "Status",
    old: str = "Open - Not Contacted",
    deleted: str = "0",
) -> str:
    """LeadHistory row `k`: lead `n`'s `field` changed from `old` to `new` at `when`."""
    stamp = iso(when) if when[:2] == "20" else when  # an unreadable date as it is
    kind = "DynamicEnum" if field == "Status" else "Text"
    return (
        f"{salesforce_id18(f'017{k:012d}')},{lead_id(n)},{REP},{stamp},{field},{old},{new},"
        f"{kind},{deleted}"
    )


def stage_dates(crm) -> pd.DataFrame:
    return crm.contacts.set_index("contact_id")[
        ["became_mql_at", "became_sql_at", "lifecycle_stage"]
    ]


def history_reasons(crm) -> dict[str, int]:
    """The set-aside reasons of the rows read from LeadHistory.csv."""
    aside = crm.quality.set_aside("contacts")
    rows = aside[aside["_file"].astype(str) == "LeadHistory.csv"]
    return rows["_reason"].value_counts().sort_index().to_dict()


# --------------------------------------------------------------------------- stage dates
def test_the_status_history_dates_mql_and_sql(tmp_path):
    """No MQL_Date__c: the first moment a lead entered an MQL status is its MQL date (entering
    it again later moves nothing), the first SQL status its SQL date; a lead that went
    straight to SQL gets no MQL date (the funnel infers it; the loader invents none)."""
    folder = export(
        tmp_path / "sf",
        Lead=[
            LEAD_HEAD,
            lead(1, "2026-10-01 08:00", status="Working - Contacted"),
            lead(2, "2026-10-01 08:00", status="Qualified"),
            lead(3, "2026-10-01 08:00"),
        ],
        LeadHistory=[
            HISTORY_HEAD,
            change(1, 1, "2026-10-05 14:00", "Marketing Qualified"),
            change(2, 1, "2026-10-06 09:00", "Working - Contacted", old="Marketing Qualified"),
            change(3, 1, "2026-10-12 10:00", "MQL", old="Working - Contacted"),
            change(4, 2, "2026-10-03 11:00", "Qualified"),
            change(5, 3, "2026-10-02 11:00", "Working - Contacted"),
        ],
    )
    crm = load_salesforce(folder)
    got = stage_dates(crm)
    assert got.loc[lead_id(1), "became_mql_at"] == utc("2026-10-05 14:00")
    assert pd.isna(got.loc[lead_id(1), "became_sql_at"])
    assert got.loc[lead_id(1), "lifecycle_stage"] == "mql"
    assert pd.isna(got.loc[lead_id(2), "became_mql_at"])
    assert got.loc[lead_id(2), "became_sql_at"] == utc("2026-10-03 11:00")
    assert got.loc[lead_id(3)].isna()[["became_mql_at", "became_sql_at"]].all()
    assert got.loc[lead_id(3), "lifecycle_stage"] == "lead"
    assert history_reasons(crm) == {LEAD_STATUS_READ: 5}


def test_a_custom_mql_date_and_the_history_give_the_earlier(tmp_path):
    """MQL_Date__c and the history both present: the earlier of the two, as each stage date is
    the earliest a person's records hold (a workflow that stamps MQL_Date__c overwrites it when
    a lead enters MQL again; the history keeps the first entry). Lead 1's custom date is later
    than its history's, lead 2's earlier, lead 3's blank."""
    customs = {1: "2026-10-07 09:00", 2: "2026-10-04 16:00", 3: ""}
    folder = export(
        tmp_path / "sf",
        Lead=[
            LEAD_HEAD + ",MQL_Date__c",
            *(lead(n, "2026-10-01 08:00") + f",{iso(c) if c else ''}" for n, c in customs.items()),
        ],
        LeadHistory=[HISTORY_HEAD, *(change(n, n, "2026-10-05 14:00", "MQL") for n in customs)],
    )
    mql = stage_dates(load_salesforce(folder))["became_mql_at"]
    assert mql[lead_id(1)] == utc("2026-10-05 14:00")
    assert mql[lead_id(2)] == utc("2026-10-04 16:00")
    assert mql[lead_id(3)] == utc("2026-10-05 14:00")


def test_a_converted_leads_history_goes_to_its_contact(tmp_path):
    """Lead 1, converted into contact 1: its MQL and SQL moments (with their time, not the
    ConvertedDate's day) are the contact's. Contact 2 has a lead (2) whose history says MQL
    on 8 Oct and an MQL_Date__c of its own on 3 Oct: the earliest of its records wins."""
    folder = export(
        tmp_path / "sf",
        Lead=[
            LEAD_HEAD,
            lead(1, "2026-10-01 08:00", status="Closed - Converted", into=1),
            lead(2, "2026-10-02 08:00", status="Closed - Converted", into=2),
        ],
        Contact=[
            CONTACT_HEAD + ",MQL_Date__c",
            f"{contact_id(1)},{ACME},Doe1,l1@acme.test,{REP},{iso('2026-10-09 10:00')},",
            f"{contact_id(2)},{ACME},Doe2,l2@acme.test,{REP},{iso('2026-09-20 10:00')},"
            f"{iso('2026-10-03 09:00')}",
        ],
        LeadHistory=[
            HISTORY_HEAD,
            change(1, 1, "2026-10-05 14:00", "MQL"),
            change(2, 1, "2026-10-09 15:30", "Closed - Converted", old="MQL"),
            change(3, 2, "2026-10-08 12:00", "MQL"),
        ],
    )
    crm = load_salesforce(folder)
    got = stage_dates(crm)
    assert got.loc[contact_id(1), "became_mql_at"] == utc("2026-10-05 14:00")
    assert got.loc[contact_id(1), "became_sql_at"] == utc("2026-10-09 15:30")
    assert got.loc[contact_id(2), "became_mql_at"] == utc("2026-10-03 09:00")
    assert set(crm.contacts["contact_id"]) == {contact_id(1), contact_id(2)}
    assert history_reasons(crm) == {LEAD_STATUS_READ: 3}
    reasons = crm.quality.account("contacts").reasons()
    assert reasons[MERGED_CONVERTED_LEAD] == 2


def test_a_deleted_leads_history_and_deleted_history_rows_date_nothing(tmp_path):
    """A history row marked deleted is set aside as deleted; the history of a lead the export
    marks deleted is set aside as its record's (by design, as a deleted contact's tasks)."""
    folder = export(
        tmp_path / "sf",
        Lead=[
            LEAD_HEAD + ",IsDeleted",
            lead(1, "2026-10-01 08:00") + ",0",
            lead(2, "2026-10-01 08:00") + ",1",
        ],
        LeadHistory=[
            HISTORY_HEAD,
            change(1, 1, "2026-10-04 10:00", "MQL", deleted="1"),
            change(2, 1, "2026-10-06 10:00", "MQL"),
            change(3, 2, "2026-10-05 10:00", "MQL"),
        ],
    )
    crm = load_salesforce(folder)
    assert stage_dates(crm).loc[lead_id(1), "became_mql_at"] == utc("2026-10-06 10:00")
    assert history_reasons(crm) == {
        DELETED_IN_SALESFORCE: 1,
        LEAD_STATUS_READ: 1,
        PARENT_DELETED["contact_id"]: 1,
    }


def test_changes_of_other_fields_are_set_aside_by_design_without_their_values(tmp_path):
    """`created`, `Owner`, `Email`, `leadConverted` rows date no stage: set aside by design
    (no fault of the export), and the values they changed (an e-mail) are not kept."""
    folder = export(
        tmp_path / "sf",
        Lead=[LEAD_HEAD, lead(1, "2026-10-01 08:00")],
        LeadHistory=[
            HISTORY_HEAD,
            change(1, 1, "2026-10-01 08:00", "", field="created", old=""),
            change(2, 1, "2026-10-02 08:00", REP, field="Owner", old=""),
            change(3, 1, "2026-10-03 08:00", "new@acme.test", field="Email", old="l1@acme.test"),
            change(4, 1, "2026-10-04 08:00", "MQL", field="Rating", old="Cold"),
            change(5, 1, "2026-10-05 08:00", "", field="leadConverted", old=""),
            change(6, 1, "2026-10-06 08:00", "MQL", field="status"),  # any case: the Status
        ],
    )
    crm = load_salesforce(folder)
    assert stage_dates(crm).loc[lead_id(1), "became_mql_at"] == utc("2026-10-06 08:00")
    assert history_reasons(crm) == {LEAD_OTHER_FIELD: 5, LEAD_STATUS_READ: 1}
    assert {LEAD_OTHER_FIELD, LEAD_STATUS_READ} <= BY_DESIGN_REASONS
    aside = crm.quality.set_aside("contacts")
    assert not aside.astype("string").isin(["new@acme.test", "l1@acme.test"]).any().any()
    assert quality.set_aside_counts(crm) == {"total": 6, "by_design": 6, "faults": 0}


def test_an_unknown_lead_and_an_unreadable_date_are_set_aside_as_faults(tmp_path):
    """A Status change of a lead the export does not hold, one whose CreatedDate cannot be
    read and one without a LeadId: faults, named with their file and row; none dates a stage."""
    folder = export(
        tmp_path / "sf",
        Lead=[LEAD_HEAD, lead(1, "2026-10-01 08:00")],
        LeadHistory=[
            HISTORY_HEAD,
            change(1, 9, "2026-10-04 10:00", "MQL"),
            change(2, 1, "05/10/2026 25:99", "MQL"),
            change(3, 1, "2026-10-06 10:00", "MQL").replace(lead_id(1), ""),
            change(4, 1, "2026-10-07 10:00", "MQL"),
        ],
    )
    crm = load_salesforce(folder)
    assert stage_dates(crm).loc[lead_id(1), "became_mql_at"] == utc("2026-10-07 10:00")
    aside = crm.quality.set_aside("contacts")
    faults = aside[~aside["_reason"].isin(BY_DESIGN_REASONS)]
    assert faults["_file"].astype(str).unique().tolist() == ["LeadHistory.csv"]
    assert dict(zip(faults["_row"].astype(int), faults["_reason"], strict=True)) == {
        2: "unknown LeadId",
        3: "unparseable CreatedDate",
        4: "missing LeadId",
    }
    assert faults["salesforce_lead_id"].tolist()[:2] == [lead_id(9), lead_id(1)]
    assert quality.set_aside_counts(crm)["faults"] == 3


def test_statuses_the_vocabulary_does_not_know_are_named_in_a_warning(tmp_path):
    folder = export(
        tmp_path / "sf",
        Lead=[LEAD_HEAD, lead(1, "2026-10-01 08:00")],
        LeadHistory=[
            HISTORY_HEAD,
            change(1, 1, "2026-10-04 10:00", "Hot Prospect"),
            change(2, 1, "2026-10-05 10:00", "Hot Prospect"),
        ],
    )
    crm = load_salesforce(folder)
    notes = [w for w in crm.quality.warnings if "LeadHistory" in w]
    assert len(notes) == 1 and "'Hot Prospect' (2)" in notes[0]
    assert pd.isna(stage_dates(crm).loc[lead_id(1), "became_mql_at"])


# --------------------------------------------------------------------------- report downloads
@pytest.mark.parametrize(
    ("field", "date"),
    [
        ("Changed Field", "Created Date"),  # the object's field labels (field reference)
        ("Field / Event", "Edit Date"),  # the history report type's columns
    ],
)
def test_a_report_download_of_lead_history_is_read_by_its_labels(tmp_path, field, date):
    """`report<epoch>.csv` with field labels, 15-character ids, US dates, the Status shown by
    its label ("Lead Status") and the report's footer: told by its columns, joined to the
    API extract's 18-character lead ids."""
    lead15 = lead_id(1)[:15]
    report = [
        f'"Lead ID","{field}","Old Value","New Value","{date}"',
        f'"{lead15}","Created.","","","10/01/2026 8:00 AM"',
        f'"{lead15}","Lead Status","Open - Not Contacted","MQL","10/05/2026 2:00 PM"',
        '""',
        '"Grand Totals (2 records)"',
        '"Confidential Information - Do Not Distribute"',
    ]
    folder = export(tmp_path / "sf", Lead=[LEAD_HEAD, lead(1, "2026-10-01 08:00")])
    (folder / "report1760000000000.csv").write_text("\n".join(report) + "\n")
    assert object_of_labels({h.lower() for h in (field, "Lead ID", "New Value")}) == "LeadHistory"
    crm = load_salesforce(folder)
    assert stage_dates(crm).loc[lead_id(1), "became_mql_at"] == utc("2026-10-05 14:00")
    aside = crm.quality.set_aside("contacts")
    rows = aside[aside["_file"].astype(str) == "report1760000000000.csv"]
    assert rows["_reason"].value_counts().to_dict() == {
        LEAD_STATUS_READ: 1,
        LEAD_OTHER_FIELD: 1,
        "report footer": 2,
        "empty row": 1,
    }
    crm.quality.check()


def test_lead_history_files_are_named_as_the_other_objects():
    for name in ("LeadHistory.csv", "lead_history.csv", "Lead History (2).csv", "leadhistory.xlsx"):
        assert object_of_name(Path(name)) == "LeadHistory", name
    assert object_of_name(Path("Lead.csv")) == "Lead"


# --------------------------------------------------------------------------- accounting, CLI, SLA
def _org_without_custom_dates(tmp_path: Path) -> Path:
    """Two leads (one converted) and their tasks; stage timing only in the LeadHistory."""
    return export(
        tmp_path / "sf",
        Lead=[
            LEAD_HEAD,
            lead(1, "2026-10-01 08:00", status="Working - Contacted"),
            lead(2, "2026-10-02 08:00", status="Closed - Converted", into=2),
        ],
        Contact=[
            CONTACT_HEAD,
            f"{contact_id(2)},{ACME},Doe2,l2@acme.test,{REP},{iso('2026-10-09 10:00')}",
        ],
        LeadHistory=[
            HISTORY_HEAD,
            change(1, 1, "2026-10-01 08:00", "", field="created", old=""),
            change(2, 1, "2026-10-05 14:00", "MQL"),
            change(3, 1, "2026-10-05 16:00", "Working - Contacted", old="MQL"),
            change(4, 2, "2026-10-06 09:00", "MQL"),
            change(5, 2, "2026-10-09 15:00", "Closed - Converted", old="MQL"),
            change(6, 2, "2026-10-09 15:00", "", field="leadConverted", old=""),
            change(7, 8, "2026-10-09 15:00", "MQL"),
        ],
        Task=[
            TASK_HEAD,
            f"{salesforce_id18('00T000000000001')},{lead_id(1)},Call,Completed,{REP},1,"
            f"{iso('2026-10-05 16:00')},Call",
            f"{salesforce_id18('00T000000000002')},{lead_id(2)},Call,Completed,{REP},1,"
            f"{iso('2026-10-07 09:00')},Call",
        ],
    )


def test_every_history_row_read_is_loaded_or_set_aside(tmp_path):
    """Rows read = loaded + set aside, the history's rows counted in the contacts' account
    (as converted Lead rows are): 2 Lead + 1 Contact + 7 LeadHistory rows read."""
    crm = load_salesforce(_org_without_custom_dates(tmp_path))
    crm.quality.check()
    account = crm.quality.account("contacts")
    assert (account.read, account.loaded, account.n_set_aside) == (10, 2, 8)
    assert history_reasons(crm) == {
        LEAD_STATUS_READ: 4,
        LEAD_OTHER_FIELD: 2,
        "unknown LeadId": 1,
    }
    assert crm.quality.files["contacts"] == ["Contact.csv", "Lead.csv", "LeadHistory.csv"]


def test_validate_exits_0_and_its_json_accounts_for_the_history(tmp_path, capsys):
    folder = _org_without_custom_dates(tmp_path)
    assert main(["validate", str(folder), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["usable"] is True
    assert payload["tables"]["contacts"] == {
        "read": 10,
        "loaded": 2,
        "set_aside": 8,
        "reasons": {
            MERGED_CONVERTED_LEAD: 1,
            LEAD_OTHER_FIELD: 2,
            LEAD_STATUS_READ: 4,
            "unknown LeadId": 1,
        },
    }
    assert "LeadHistory" not in payload["tables"]  # no table of its own


def test_the_sla_has_figures_for_an_org_without_mql_date_fields(tmp_path):
    """Speed to lead from the history's MQL moments: lead 1 called 2 hours after, contact 2
    (converted) a day after; both MQLs of October, contact 2 accepted (SQL at conversion)."""
    crm = load_salesforce(_org_without_custom_dates(tmp_path))
    table = sla.mql_leads(crm, as_of=OCT.end)
    leads = table.set_index("contact_id")
    assert sorted(leads.index) == sorted([lead_id(1), contact_id(2)])
    assert not leads["mql_date_inferred"].any()
    assert leads.loc[lead_id(1), "speed_to_lead_hours"] == pytest.approx(2.0)
    assert leads.loc[contact_id(2), "speed_to_lead_hours"] == pytest.approx(24.0)
    assert leads.loc[contact_id(2), "sql_at"] == utc("2026-10-09 15:00")
    assert leads["accepted"].tolist() == [c == contact_id(2) for c in leads.index]
    summary = sla.month_summary(table, OCT)
    assert summary["mqls"] == 2


# --------------------------------------------------------------------------- writer
def test_the_writer_can_give_stage_dates_as_lead_history_and_they_load_back(tmp_path):
    """`write_salesforce(..., lead_history=True)`: no MQL_Date__c / SQL_Date__c columns, a
    LeadHistory.csv instead; loading it gives back every lead's MQL and SQL dates. The
    contact created directly by sales (person-5: a deal, no SQL date) has no Lead, so no
    history: its MQL date is lost, as documented."""
    crm = small_crm()
    out = tmp_path / "sf"
    paths = write_salesforce(crm, out, lead_history=True)
    assert "LeadHistory.csv" in {p.name for p in paths}
    for name in ("Lead.csv", "Contact.csv"):
        header = pd.read_csv(out / name, nrows=0, encoding="utf-8-sig").columns
        assert not {"MQL_Date__c", "SQL_Date__c"} & set(header), name
    back = load_salesforce(out)
    back.quality.check()
    ids = pd.read_csv(out / "id_map.csv", dtype=str)
    to_sf = mapped(ids, "contacts")
    a = crm.contacts.assign(contact_id=crm.contacts["contact_id"].map(to_sf)).set_index(
        "contact_id"
    )
    b = back.contacts.set_index("contact_id").loc[a.index]
    direct = a.index == to_sf["person-5"]
    for col in ("became_mql_at", "became_sql_at", "lifecycle_stage"):
        assert a.loc[~direct, col].astype(b[col].dtype).equals(b.loc[~direct, col]), col
    assert pd.notna(a.loc[to_sf["person-5"], "became_mql_at"])
    assert pd.isna(b.loc[to_sf["person-5"], "became_mql_at"])
    assert history_reasons(back).keys() == {LEAD_STATUS_READ, LEAD_OTHER_FIELD}
