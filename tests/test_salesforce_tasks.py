"""A done Salesforce Task counts when it was completed (`CompletedDateTime`), when the export has it.

`CompletedDateTime` was never read: a follow-up task created by automation a minute after an MQL
and done ten days later counted as the first sales touch a minute after the MQL, within the SLA
instead of leaked. The fixtures are copies of tests/fixtures/salesforce/ (the org of
tests/test_salesforce.py) with the column added.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd

import smk
from smk import config, sla
from smk.io.parse import salesforce_id18
from smk.io.salesforce import load_salesforce

FIXTURES = Path(__file__).parent / "fixtures" / "salesforce"
NY = "America/New_York"
TASKS = {k: salesforce_id18(f"00T5g00000Tk{k}") for k in ("Aa1", "Bb2", "Cc3", "Ee5", "Ff6")}


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def _with_completion(tmp_path: Path, shape: str, name: str, column: str, done: dict) -> Path:
    """The fixture `shape` whose task file `name` has a `column` of completion times (by the
    task's 15-character id; blank for the others)."""
    export = shutil.copytree(FIXTURES / shape, tmp_path / shape)
    path = export / name
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], [r for r in rows[1:] if len(r) > 1]
    key = header.index("Id" if "Id" in header else "Activity ID")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL)
        writer.writerow([*header, column])
        writer.writerows([*r, done.get(r[key][:15], "")] for r in body)
    return export


def _occurred(crm) -> dict[str, pd.Timestamp]:
    acts = crm.activities
    return dict(zip(acts["activity_id"], acts["occurred_at"], strict=True))


def test_a_done_task_counts_at_its_completion_time(tmp_path):
    done = {
        "00T5g00000TkAa1": "2024-03-04T09:00:00.000+0000",  # created 27 Feb 15:30
        "00T5g00000TkFf6": "",  # "Not Started": still set aside
    }
    export = _with_completion(tmp_path, "dataloader", "Task.csv", "CompletedDateTime", done)
    crm = load_salesforce(export)
    at = _occurred(crm)
    assert at[TASKS["Aa1"]] == utc("2024-03-04 09:00")
    # no completion time: its CreatedDate, as without the column; none either: ActivityDate
    assert at[TASKS["Bb2"]] == utc("2024-02-12 11:00")
    assert at[TASKS["Ee5"]] == utc("2024-02-05")
    aside = crm.quality.set_aside("activities")
    assert aside.loc[aside["activity_id"] == TASKS["Ff6"], "_reason"].tolist() == ["task not done"]
    crm.quality.check()


def test_without_the_column_a_task_counts_when_it_was_logged():
    at = _occurred(load_salesforce(FIXTURES / "dataloader"))
    assert at[TASKS["Aa1"]] == utc("2024-02-27 15:30")  # CreatedDate
    assert at[TASKS["Ee5"]] == utc("2024-02-05")  # no CreatedDate: ActivityDate


def test_an_unreadable_completion_time_sets_the_task_aside_with_its_text(tmp_path):
    """Not its creation instead: that is the moment the column corrects."""
    done = {"00T5g00000TkAa1": "next week"}
    export = _with_completion(tmp_path, "dataloader", "Task.csv", "CompletedDateTime", done)
    crm = load_salesforce(export)
    assert TASKS["Aa1"] not in _occurred(crm)
    aside = crm.quality.set_aside("activities")
    mine = aside[aside["activity_id"] == TASKS["Aa1"]]
    assert mine["_reason"].tolist() == ["unparseable occurred_at"]
    assert mine["occurred_at"].tolist() == ["next week"]


def test_a_task_report_completion_time_is_read_in_the_users_zone(tmp_path):
    """A task report's `Completed Date/Time` label, in New York time as its other dates."""
    done = {"00T5g00000TkAa1": "3/4/2024 4:00 AM"}
    export = _with_completion(tmp_path, "report", "Task.csv", "Completed Date/Time", done)
    at = _occurred(load_salesforce(export, timezone=NY))
    assert at[TASKS["Aa1"]] == utc("2024-03-04 09:00")
    assert at[TASKS["Cc3"]] == utc("2024-01-23 14:10")  # no completion: Created Date


def test_an_auto_created_follow_up_done_later_leaves_the_mql_leaked(tmp_path):
    """The sample, a lead that became an MQL on 10 Oct 2026 09:55 and a follow-up task created
    a minute later, done on 20 Oct: speed to lead is ten days, the MQL leaked."""
    export = shutil.copytree(config.SAMPLE_SALESFORCE, tmp_path / "sf", ignore=lambda *_: ["truth"])
    lead = "00Q5g00NzsQCP83EEH"
    tasks = pd.read_csv(export / "Task.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    follow_up = {
        **{c: "" for c in tasks.columns},
        **{"Id": "00T5g00AUTOFOLLOW1", "WhoId": lead, "Subject": "Follow up new MQL (auto)"},
        **{"ActivityDate": "2026-10-11", "Status": "Completed", "IsClosed": "1", "IsDeleted": "0"},
        **{"OwnerId": "0055g00J6lqelOUAEY", "TaskSubtype": "Call", "Type": "Call"},
        "CreatedDate": "2026-10-10T09:56:00.000+0000",
    }
    tasks = pd.concat([tasks, pd.DataFrame([follow_up])], ignore_index=True)
    tasks["CompletedDateTime"] = tasks["CreatedDate"].where(tasks["Status"] == "Completed", "")
    tasks.loc[tasks["Id"] == follow_up["Id"], "CompletedDateTime"] = "2026-10-20T10:00:00.000+0000"
    tasks.to_csv(export / "Task.csv", index=False)
    crm = smk.load(export)
    leads = sla.mql_leads(crm, as_of=pd.Timestamp("2026-11-01", tz="UTC"))
    mine = leads[leads["contact_id"] == lead].iloc[0]
    assert mine["mql_at"] == utc("2026-10-10 09:55")
    assert mine["first_activity_at"] == utc("2026-10-20 10:00")
    assert bool(mine["leaked"]) and not bool(mine["within_sla"])


def test_an_event_s_completion_column_is_not_read(tmp_path):
    """The completion time is a Task's: an Event file with such a column counted its meetings
    at it (and set one with an unreadable value aside) although the docs say Tasks only."""
    done = {"00U5g00000EvAa1": "2024-04-30T09:00:00.000+0000", "00U5g00000EvBb2": "garbage"}
    export = _with_completion(tmp_path, "dataloader", "Event.csv", "CompletedDateTime", done)
    plain = _occurred(load_salesforce(FIXTURES / "dataloader"))
    crm = load_salesforce(export)
    assert _occurred(crm) == plain
    assert "unparseable occurred_at" not in crm.quality.tables["activities"].reasons()


# ------------------------------------------------------------- without a completion time
CLEO = salesforce_id18("00Q5g00000Xa1bC")  # an MQL at 2024-03-01 12:00 UTC
AHEAD = {  # 15-character id: (ActivityDate, CreatedDate)
    "00T5g00000TkGg7": ("2024-03-05", "2024-03-01T12:00:00.000+0000"),  # a Flow's follow-up
    "00T5g00000TkHh8": ("2024-03-02", "2024-03-02T03:00:00.000+0000"),  # due its UTC day
}


def _with_tasks_ahead(tmp_path: Path, completion: bool = False) -> Path:
    """The Data Loader fixture with two more done tasks of Cleo (`AHEAD`); with `completion`,
    a CompletedDateTime column, blank but for the fixture's first task."""
    export = shutil.copytree(FIXTURES / "dataloader", tmp_path / "dataloader")
    path = export / "Task.csv"
    tasks = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    extra = [
        {**{c: "" for c in tasks.columns}, "Id": i, "WhoId": CLEO, "Subject": "Follow up MQL"}
        | {"ActivityDate": due, "CreatedDate": created, "Status": "Completed", "IsClosed": "1"}
        for i, (due, created) in AHEAD.items()
    ]
    tasks = pd.concat([tasks, pd.DataFrame(extra)], ignore_index=True)
    if completion:
        tasks["CompletedDateTime"] = ""
        tasks.loc[0, "CompletedDateTime"] = "2024-03-04T09:00:00.000+0000"
    tasks.to_csv(path, index=False)
    return export


def _untimed_warnings(crm) -> list[str]:
    return [w for w in crm.quality.warnings if "CompletedDateTime" in w]


def test_without_a_completion_time_a_task_counts_when_it_was_logged_not_at_its_due_date(tmp_path):
    """A due date does not say when the work was done: counted at it, a task due after the
    export would date work in the future (and make `latest` a month the data do not finish),
    and a call logged in Sydney, due that local day, would move to 00:00 UTC of it."""
    crm = load_salesforce(_with_tasks_ahead(tmp_path))
    at = _occurred(crm)
    for task, (_due, created) in AHEAD.items():
        assert at[salesforce_id18(task)] == utc(created[:16].replace("T", " "))
    assert at[TASKS["Aa1"]] == utc("2024-02-27 15:30")


def test_tasks_timed_without_a_completion_time_are_counted_in_a_warning(tmp_path):
    (note,) = _untimed_warnings(load_salesforce(_with_tasks_ahead(tmp_path / "a")))
    # 7 done tasks (the fixture's `Not Started` one is not done), none with a completion time
    assert note.startswith("activities: 7 done tasks have no CompletedDateTime")
    assert 'Add Task.CompletedDateTime ("Completed Date/Time" in a task report)' in note
    crm = load_salesforce(_with_tasks_ahead(tmp_path / "b", completion=True))
    (note,) = _untimed_warnings(crm)
    assert note.startswith("activities: 6 done tasks have a blank CompletedDateTime")
    assert "Add " not in note
    # a blank completion time: counted when logged, as without the column
    assert _occurred(crm)[salesforce_id18("00T5g00000TkGg7")] == utc("2024-03-01 12:00")


def test_a_task_in_two_rows_is_counted_once_in_the_warning(tmp_path):
    export = _with_tasks_ahead(tmp_path)
    tasks = pd.read_csv(export / "Task.csv", dtype=str, keep_default_na=False)
    pd.concat([tasks, tasks.iloc[[0]]]).to_csv(export / "Task.csv", index=False)
    crm = load_salesforce(export)
    assert crm.quality.tables["activities"].reasons().get("duplicate activity_id") == 1
    (note,) = _untimed_warnings(crm)
    assert note.startswith("activities: 7 done tasks have no CompletedDateTime")


def test_the_warning_counts_only_the_tasks_loaded(tmp_path):
    """A done task of a lead the export lacks is set aside by the checks (`unknown
    contact_id`) after the tasks are timed: it counts nowhere, so not in the warning either
    (it said 8)."""
    export = _with_tasks_ahead(tmp_path)
    tasks = pd.read_csv(export / "Task.csv", dtype=str, keep_default_na=False)
    stray = tasks.iloc[[0]].assign(Id="00T5g00000TkUn9", WhoId="00Q5g00000ZzZzZ")
    pd.concat([tasks, stray]).to_csv(export / "Task.csv", index=False)
    crm = load_salesforce(export)
    assert crm.quality.tables["activities"].reasons().get("unknown contact_id") == 1
    (note,) = _untimed_warnings(crm)
    assert note.startswith("activities: 7 done tasks have no CompletedDateTime")
