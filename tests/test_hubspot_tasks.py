"""HubSpot tasks nobody has done are no sales work, and a done task counts when it was done.

A HubSpot task's `Activity date` (`hs_timestamp`) is its due date, maybe in the future: a task
created when a contact becomes an MQL would otherwise answer that MQL at once. Its `Task Status`
(`hs_task_status`) tells whether anyone did it (`smk.io.mapping.TASK_STATUS_DONE`), its
`Completed at` (`hs_task_completion_date`) when. Exports are written here as HubSpot writes them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import smk
from smk import periods, quality, sla
from smk.errors import CRMExportError
from smk.io.mapping import read_mapping
from smk.model import BY_DESIGN_REASONS, INBOUND_EMAIL, TASK_NOT_DONE

# the exports here are a few rows: a report month's end lies weeks after their last record
pytestmark = pytest.mark.filterwarnings("ignore:as_of .* after the export's last record")

OCT = periods.Month("2026-10")
CONTACTS = "hubspot-crm-exports-all-contacts-2026-11-01.csv"
TASKS = "hubspot-crm-exports-all-tasks-2026-11-01.csv"
CONTACT_HEAD = (
    "Record ID,Email,Lifecycle Stage,Create Date,Became a Marketing Qualified Lead Date,"
    "Contact owner"
)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def write(folder: Path, name: str, *lines: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def mqls(folder: Path, *ids: int) -> Path:
    """Contacts that became MQLs on 6 October 2026 at 09:00."""
    rows = [
        f"{i},p{i}@example.com,Marketing Qualified Lead,2026-10-01 08:00,2026-10-06 09:00,Rep"
        for i in ids
    ]
    return write(folder, CONTACTS, CONTACT_HEAD, *rows)


# --------------------------------------------------------------------------- the defect
def test_a_task_nobody_has_done_is_no_first_touch(tmp_path: Path) -> None:
    """A "Not started" follow-up due five minutes after the MQL is set aside by design, so
    that MQL is not worked and, its week passed, leaked; a completed task counts when it was
    completed, not at its due date three days later."""
    folder = mqls(tmp_path, 101, 102)
    write(
        folder,
        TASKS,
        "Record ID,Activity date,Task Status,Completed at,Activity assigned to,"
        "Associated Contact IDs",
        "901,2026-10-06 09:05,Not started,,Rep,101",
        "902,2026-10-09 09:00,Completed,2026-10-06 11:00,Rep,102",
    )
    crm = smk.load(folder, format="hubspot")
    crm.quality.check()
    aside = crm.quality.set_aside("activities")
    assert aside["activity_id"].tolist() == ["901"]
    assert aside["_reason"].tolist() == [TASK_NOT_DONE]
    assert TASK_NOT_DONE in BY_DESIGN_REASONS
    assert quality.set_aside_counts(crm) == {"total": 1, "by_design": 1, "faults": 0}
    assert crm.activities["occurred_at"].tolist() == [utc("2026-10-06 11:00")]
    leads = sla.mql_leads(crm, as_of=OCT.end).set_index("contact_id")
    assert not leads.loc["101", "worked"] and leads.loc["101", "leaked"]
    assert leads.loc["102", "first_activity_at"] == utc("2026-10-06 11:00")
    assert leads.loc["102", "within_sla"]


@pytest.mark.parametrize(
    ("status", "done"),
    [
        ("Not started", False),
        ("In progress", False),
        ("Waiting on someone else", False),
        ("Deferred", False),
        ("Completed", True),
        ("NOT_STARTED", False),  # the internal values, as an API or sync export writes them
        ("IN_PROGRESS", False),
        ("WAITING", False),
        ("DEFERRED", False),
        ("COMPLETED", True),
        ("", True),  # no status (a call in a combined activities file): as before
    ],
)
def test_whether_a_task_is_done_comes_from_its_status(
    tmp_path: Path, status: str, done: bool
) -> None:
    folder = mqls(tmp_path, 101)
    write(
        folder,
        TASKS,
        "Record ID,Activity date,Task Status,Associated Contact IDs",
        f"901,2026-10-06 11:00,{status},101",
    )
    crm = smk.load(folder, format="hubspot")
    assert crm.activities["activity_id"].tolist() == (["901"] if done else [])
    assert crm.quality.tables["activities"].reasons() == ({} if done else {TASK_NOT_DONE: 1})
    assert not [w for w in crm.quality.warnings if "neither done nor open" in w]


def test_internal_property_names_tell_status_and_completion(tmp_path: Path) -> None:
    """An export with HubSpot's internal names (API, warehouse sync): `hs_task_status`,
    `hs_task_completion_date`, times in epoch milliseconds."""
    ms = {t: str(int(utc(t).timestamp() * 1000)) for t in ("2026-10-09 09:00", "2026-10-06 11:00")}
    folder = mqls(tmp_path, 101, 102)
    write(
        folder,
        TASKS,
        "activity_id,contact_id,hs_timestamp,hs_task_status,hs_task_completion_date",
        f"901,101,{ms['2026-10-09 09:00']},NOT_STARTED,",
        f"902,102,{ms['2026-10-09 09:00']},COMPLETED,{ms['2026-10-06 11:00']}",
    )
    crm = smk.load(folder, format="hubspot")
    assert crm.quality.tables["activities"].reasons() == {TASK_NOT_DONE: 1}
    assert crm.activities.set_index("activity_id")["occurred_at"].to_dict() == {
        "902": utc("2026-10-06 11:00")
    }


# --------------------------------------------------------------------------- the time of the work
def test_a_done_task_counts_at_its_completion_else_at_its_activity_date(tmp_path: Path) -> None:
    """`Completed at` where the export has it, else the activity date; the completion time
    is read in the portal's time zone like every other naive time."""
    folder = mqls(tmp_path, 101, 102)
    write(
        folder,
        TASKS,
        "Record ID,Activity date,Task Status,Completed at,Associated Contact IDs",
        "901,2026-10-09 09:00,Completed,2026-10-06 11:00,101",
        "902,2026-10-07 10:00,Completed,,102",
    )
    crm = smk.load(folder, format="hubspot", timezone="Europe/Berlin")
    when = crm.activities.set_index("activity_id")["occurred_at"].to_dict()
    assert when == {"901": utc("2026-10-06 09:00"), "902": utc("2026-10-07 08:00")}
    # the raw completion time is kept, as an extra column
    assert crm.activities["completed_at"].notna().tolist() == [True, False]


def test_a_completion_time_and_an_activity_date_of_different_shapes_are_both_read(
    tmp_path: Path,
) -> None:
    """An activity date the reader types as timestamps and a completion time it keeps as text
    (`06.10.2026 11:00`, day first) are combined row by row, each read right."""
    folder = mqls(tmp_path, 101, 102)
    write(
        folder,
        TASKS,
        "Record ID,Activity date,Task Status,Completed at,Associated Contact IDs",
        "901,2026-10-09 09:00,Completed,06.10.2026 11:00,101",
        "902,2026-10-13 10:00,Completed,,102",
    )
    crm = smk.load(folder, format="hubspot")
    when = crm.activities.set_index("activity_id")["occurred_at"].to_dict()
    assert when == {"901": utc("2026-10-06 11:00"), "902": utc("2026-10-13 10:00")}
    crm.quality.check()


def test_without_status_or_completion_columns_every_task_counts_at_its_date(
    tmp_path: Path,
) -> None:
    """An export without those columns (as `smk synth` and the sample write) is read as
    before: every task is sales work, at its activity date."""
    folder = mqls(tmp_path, 101)
    write(
        folder,
        TASKS,
        "Record ID,Activity date,Associated Contact IDs",
        "901,2026-10-06 09:05,101",
    )
    crm = smk.load(folder, format="hubspot")
    assert crm.activities["occurred_at"].tolist() == [utc("2026-10-06 09:05")]
    assert crm.quality.tables["activities"].reasons() == {}


# --------------------------------------------------------------------------- unknown statuses
def test_a_status_that_says_neither_counts_as_done_with_a_warning(tmp_path: Path) -> None:
    folder = mqls(tmp_path, 101, 102)
    write(
        folder,
        TASKS,
        "Record ID,Activity date,Task Status,Associated Contact IDs",
        "901,2026-10-06 11:00,Erledigt,101",
        "902,2026-10-06 11:00,Nicht begonnen,102",
    )
    crm = smk.load(folder, format="hubspot")
    assert len(crm.activities) == 2
    (warning,) = [w for w in crm.quality.warnings if "neither done nor open" in w]
    assert "2 tasks of " + TASKS in warning
    assert "'Erledigt', 'Nicht begonnen'" in warning
    assert "values: task_status:" in warning


def test_a_mapping_file_translates_its_own_task_statuses(tmp_path: Path) -> None:
    """A user's mapping names a status column (`task_status`) and translates its values."""
    folder = mqls(tmp_path / "export", 101, 102)
    write(
        folder,
        "tasks.csv",
        "Id,Contact,Due,Status",
        "901,101,2026-10-06 09:05,Offen",
        "902,102,2026-10-06 11:00,Erledigt",
    )
    mapping = tmp_path / "mine.yaml"
    mapping.write_text(
        "name: mine\n"
        "tables:\n"
        "  contacts:\n"
        '    files: ["*contact*"]\n'
        "    columns:\n"
        '      contact_id: "Record ID"\n'
        '      created_at: "Create Date"\n'
        '      became_mql_at: "Became a Marketing Qualified Lead Date"\n'
        '      lifecycle_stage: "Lifecycle Stage"\n'
        "    values:\n"
        "      lifecycle_stage: {Marketing Qualified Lead: mql}\n"
        "  activities:\n"
        '    files: ["tasks*"]\n'
        "    columns: {activity_id: Id, contact_id: Contact, occurred_at: Due, "
        "task_status: Status}\n"
        "    constants: {type: task}\n"
        "    values:\n"
        "      task_status: {Offen: Not started, Erledigt: Completed}\n",
        encoding="utf-8",
    )
    crm = smk.load(folder, mapping=mapping)
    assert crm.activities["activity_id"].tolist() == ["902"]
    assert crm.quality.tables["activities"].reasons() == {TASK_NOT_DONE: 1}


def test_only_activities_may_name_a_task_status(tmp_path: Path) -> None:
    mapping = tmp_path / "mine.yaml"
    mapping.write_text(
        'tables:\n  contacts:\n    columns: {contact_id: Id, task_status: "Task Status"}\n',
        encoding="utf-8",
    )
    with pytest.raises(CRMExportError, match="not in the data model: columns: task_status"):
        read_mapping(mapping)


# --------------------------------------------------------------------------- inbound e-mails
EMAILS = "hubspot-crm-exports-all-emails-2026-11-01.csv"
ACTIVITIES = "hubspot-crm-exports-all-activities-2026-11-01.csv"


@pytest.mark.parametrize(
    ("name", "head", "rows"),
    [
        (  # an e-mails export with HubSpot's Email direction (label or internal value)
            EMAILS,
            "Record ID,Activity date,Email direction,Associated Contact IDs",
            ["901,2026-10-06 09:30,Incoming email,101", "902,2026-10-06 11:00,EMAIL,101"],
        ),
        (
            EMAILS,
            "Record ID,Activity date,hs_email_direction,Associated Contact IDs",
            ["901,2026-10-06 09:30,FORWARDED_EMAIL,101", "902,2026-10-06 11:00,EMAIL,101"],
        ),
        (  # an engagements export: the type says it
            ACTIVITIES,
            "Engagement ID,hs_timestamp,Engagement type,Associated Contact IDs",
            ["901,2026-10-06 09:30,INCOMING_EMAIL,101", "902,2026-10-06 11:00,EMAIL,101"],
        ),
    ],
)
def test_an_email_from_the_contact_is_no_first_touch(
    tmp_path: Path, name: str, head: str, rows: list[str]
) -> None:
    """The lead's own reply half an hour after the MQL answered that MQL (an INCOMING_EMAIL
    engagement was a `task`); it is set aside by design, and the rep's e-mail counts."""
    folder = mqls(tmp_path, 101)
    write(folder, name, head, *rows)
    crm = smk.load(folder, format="hubspot")
    crm.quality.check()
    assert crm.quality.tables["activities"].reasons() == {INBOUND_EMAIL: 1}
    assert crm.activities["activity_id"].tolist() == ["902"]
    assert crm.activities["type"].tolist() == ["email"]
    assert quality.set_aside_counts(crm) == {"total": 1, "by_design": 1, "faults": 0}
    lead = sla.mql_leads(crm, as_of=OCT.end).set_index("contact_id").loc["101"]
    assert lead["first_activity_at"] == utc("2026-10-06 11:00")
    assert not [w for w in crm.quality.warnings if "outside the vocabulary" in w]


UNIFIED = """\
tables:
  contacts:
    files: ["contacts*"]
    columns: {contact_id: [Id], email: [Email], created_at: [Created]}
  activities:
    files: ["activities*"]
    columns:
      activity_id: [Id]
      contact_id: [Contact]
      occurred_at: [Date]
      type: [Type]
      email_direction: [Direction]
"""


def _unified(tmp_path: Path, rows: list[str], mapping: str = UNIFIED) -> smk.CRM:
    """A CRM's one activities file (calls and e-mails) through a user's mapping file."""
    folder = write(tmp_path / "x", "contacts.csv", "Id,Email,Created", "1,a@x.example,2026-10-01")
    write(folder, "activities.csv", "Id,Contact,Date,Type,Direction", *rows)
    (tmp_path / "m.yaml").write_text(mapping, encoding="utf-8")
    return smk.load(folder, mapping=tmp_path / "m.yaml")


def test_an_inbound_call_is_sales_work_an_inbound_email_is_not(tmp_path: Path) -> None:
    """The direction is an e-mail's: a call the contact made (`Inbound`) is a call answered,
    loaded as one; only the e-mail is set aside."""
    crm = _unified(
        tmp_path,
        [
            "x1,1,2026-10-02,call,Inbound",
            "x2,1,2026-10-02,email,Inbound",
            "x3,1,2026-10-02,Email,Outbound",
        ],
    )
    assert crm.activities["activity_id"].tolist() == ["x1", "x3"]
    assert crm.quality.tables["activities"].reasons() == {INBOUND_EMAIL: 1}
    assert not [w for w in crm.quality.warnings if "e-mail direction" in w]


def test_an_email_direction_smk_does_not_know_is_said_with_its_count(tmp_path: Path) -> None:
    """`Reply from contact` is no direction HubSpot writes: the e-mails count, and a warning
    names the values with their counts (a call's direction is not an e-mail's: not said)."""
    rows = ["x1,1,2026-10-02,email,Reply from contact", "x2,1,2026-10-02,email,Reply from contact"]
    rows += ["x3,1,2026-10-02,email,Sent by CRM", "x4,1,2026-10-02,call,Voicemail"]
    crm = _unified(tmp_path, rows)
    assert len(crm.activities) == 4
    assert [w for w in crm.quality.warnings if "e-mail direction" in w] == [
        "activities: 3 e-mails of activities.csv have an e-mail direction that says neither "
        "inbound nor sent ('Reply from contact' (2), 'Sent by CRM' (1)): they count as sales "
        "work; translate the directions to INCOMING_EMAIL (the contact's own) or EMAIL (sent "
        "by sales) under `values: email_direction:` in a mapping file (docs/mappings.md)"
    ]
    said = UNIFIED + '    values: {email_direction: {"Reply from contact": INCOMING_EMAIL}}\n'
    crm = _unified(tmp_path / "translated", rows, said)
    assert crm.activities["activity_id"].tolist() == ["x3", "x4"]
    assert [w for w in crm.quality.warnings if "e-mail direction" in w][0].startswith(
        "activities: 1 e-mail of activities.csv has an e-mail direction that says neither "
        "inbound nor sent ('Sent by CRM' (1)): it counts"
    )
