"""A Salesforce Event counts when it is held; Tasks and Events related to no one are internal.

An Event counted at its CreatedDate, as a Task: a meeting booked before an MQL and held after it
read as "not worked, leaked", one held on the 11th and logged on the 20th as 236 hours, an
all-day event at the minute it was created, and a report without "Created Date" gave the same
meeting its start instead. HubSpot counts a meeting at its start (`Activity date`). A Task or
Event with neither WhoId nor WhatId (a "Vacation" all-day event, a "Team weekly" meeting, a
personal to-do) was set aside as the fault `missing contact_id`: it is an internal calendar
item, set aside by design; so is one without a WhoId on a Case, a Contract, a Campaign or a
custom object (support or contract work), once the same fault. The exports are copies of
tests/fixtures/salesforce/dataloader (the org of tests/test_salesforce.py) with other Event
and Task rows.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pandas as pd

from smk import quality, sla
from smk.io.parse import salesforce_id18
from smk.io.salesforce import load_salesforce
from smk.model import BY_DESIGN_REASONS, INTERNAL_ACTIVITY, OTHER_RECORD_ACTIVITY

FIXTURES = Path(__file__).parent / "fixtures" / "salesforce"
CLEO = salesforce_id18("00Q5g00000Xa1bC")  # an MQL at 2024-03-01 12:00 UTC
HANA = salesforce_id18("00Q5g00000LdHh8")  # an MQL at 2024-03-18 09:00 UTC
OWNER = "0055g00000UsRa1AAF"
EVENT_COLUMNS = [
    "Id",
    "WhoId",
    "WhatId",
    "Subject",
    "ActivityDateTime",
    "ActivityDate",
    "StartDateTime",
    "EndDateTime",
    "DurationInMinutes",
    "IsAllDayEvent",
    "OwnerId",
    "IsDeleted",
    "CreatedDate",
    "Type",
]


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def _event(key: str, who: str, start: str, created: str, all_day: bool = False) -> dict:
    """A Data Loader Event row: a one-hour meeting starting at `start` (ISO, UTC), or an
    all-day event on its date, as Salesforce writes one (no ActivityDateTime, its
    StartDateTime 00:00 GMT of the day)."""
    day = start[:10]
    return {
        "Id": salesforce_id18(f"00U5g00000E{key}"),
        "WhoId": who,
        "WhatId": "",
        "Subject": "Vacation" if all_day else "Meeting",
        "ActivityDateTime": "" if all_day else f"{start}:00.000+0000",
        "ActivityDate": day,
        "StartDateTime": f"{day}T00:00:00.000+0000" if all_day else f"{start}:00.000+0000",
        "EndDateTime": f"{day}T23:59:00.000+0000" if all_day else "",
        "DurationInMinutes": "1440" if all_day else "60",
        "IsAllDayEvent": "1" if all_day else "0",
        "OwnerId": OWNER,
        "IsDeleted": "0",
        "CreatedDate": f"{created}:00.000+0000",
        "Type": "Other" if all_day else "Meeting",
    }


def _export(tmp_path: Path, events: list[dict], drop: tuple[str, ...] = ()) -> Path:
    """The Data Loader fixture with these Events (without the columns `drop`)."""
    export = shutil.copytree(FIXTURES / "dataloader", tmp_path / "dataloader")
    frame = pd.DataFrame(events, columns=EVENT_COLUMNS).drop(columns=list(drop))
    frame.to_csv(export / "Event.csv", index=False)
    return export


def _held(crm) -> dict[str, pd.Timestamp]:
    events = crm.activities[crm.activities["salesforce_object"] == "Event"]
    return dict(zip(events["activity_id"], events["occurred_at"], strict=True))


def _lead(crm, contact: str, as_of: str, timezone: str = "UTC") -> pd.Series:
    """The SLA row of `contact`; the fixture's activities end before its other records, which
    the SLA warns of (not what these tests are about)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "the export's sales activities end on")
        at = pd.Timestamp(as_of, tz="UTC")
        leads = sla.mql_leads(crm, sla.SLA(timezone=timezone), as_of=at)
    return leads[leads["contact_id"] == contact].iloc[0]


def test_a_meeting_booked_before_the_mql_counts_when_it_is_held(tmp_path):
    booked = _event("Bk01", CLEO, "2024-03-04T15:00", created="2024-02-28T10:00")
    crm = load_salesforce(_export(tmp_path, [booked]))
    assert _held(crm) == {booked["Id"]: utc("2024-03-04 15:00")}
    cleo = _lead(crm, CLEO, "2024-03-31")
    assert cleo["first_activity_at"] == utc("2024-03-04 15:00")  # was none: "leaked"
    assert bool(cleo["worked"])


def test_a_meeting_logged_after_it_was_held_counts_when_it_was_held(tmp_path):
    logged = _event("Lg01", HANA, "2024-03-19T10:00", created="2024-03-27T09:00")
    crm = load_salesforce(_export(tmp_path, [logged]))
    hana = _lead(crm, HANA, "2024-03-31")
    assert hana["first_activity_at"] == utc("2024-03-19 10:00")
    assert hana["hours_to_first_activity"] == 25  # was 216 h, at its creation


def test_an_all_day_event_counts_on_its_day_in_the_teams_zone(tmp_path):
    """Created the minute after the MQL, on the 6th: its date, date-only, which the SLA reads
    as the start of that day in the team's time zone."""
    day = _event("Ad01", CLEO, "2024-03-06", created="2024-03-01T12:01", all_day=True)
    crm = load_salesforce(_export(tmp_path, [day]))
    assert _held(crm) == {day["Id"]: utc("2024-03-06")}
    cleo = _lead(crm, CLEO, "2024-03-31", timezone="America/New_York")
    assert cleo["first_activity_at"] == utc("2024-03-06 05:00")  # 00:00 in New York


def test_a_meeting_gets_one_time_whatever_the_exports_columns(tmp_path):
    """A report without "Created Date" counted the meeting at its start, a Data Loader extract
    at its creation; an export with no start at all still counts it when it was logged."""
    meeting = _event("Sh01", CLEO, "2024-03-04T15:00", created="2024-02-28T10:00")
    full = load_salesforce(_export(tmp_path / "full", [meeting]))
    no_created = load_salesforce(_export(tmp_path / "report", [meeting], drop=("CreatedDate",)))
    assert _held(full) == _held(no_created) == {meeting["Id"]: utc("2024-03-04 15:00")}
    starts = ("ActivityDateTime", "ActivityDate", "StartDateTime")
    no_start = load_salesforce(_export(tmp_path / "no_start", [meeting], drop=starts))
    assert _held(no_start) == {meeting["Id"]: utc("2024-02-28 10:00")}


def test_a_meeting_held_after_the_as_of_is_not_yet_work(tmp_path):
    """Booked the day after the MQL for the 20th: on the 10th the MQL is not yet worked."""
    ahead = _event("Ah01", CLEO, "2024-03-20T15:00", created="2024-03-02T09:00")
    crm = load_salesforce(_export(tmp_path, [ahead]))
    before = _lead(crm, CLEO, "2024-03-10")
    assert pd.isna(before["first_activity_at"]) and not bool(before["worked"])
    assert _lead(crm, CLEO, "2024-03-25")["first_activity_at"] == utc("2024-03-20 15:00")


# --------------------------------------------------------------------- internal calendar items
def test_tasks_and_events_related_to_no_one_are_set_aside_by_design(tmp_path):
    vacation = _event("Va01", "", "2024-03-20", created="2024-03-02T10:00", all_day=True)
    weekly = _event("Tw01", "", "2024-03-18T09:00", created="2024-03-02T10:00")
    weekly["Subject"] = "Team weekly"
    export = _export(tmp_path, [vacation, weekly])
    tasks = pd.read_csv(export / "Task.csv", dtype=str, keep_default_na=False)
    to_do = {**{c: "" for c in tasks.columns}, "Id": salesforce_id18("00T5g00000TkQb1")}
    to_do |= {"Subject": "Prepare QBR deck", "Status": "Completed", "IsClosed": "1"}
    to_do |= {"OwnerId": OWNER, "CreatedDate": "2024-03-10T15:00:00.000+0000"}
    pd.concat([tasks, pd.DataFrame([to_do])]).to_csv(export / "Task.csv", index=False)
    crm = load_salesforce(export)
    aside = crm.quality.set_aside("activities")
    mine = aside[aside["_reason"] == INTERNAL_ACTIVITY]
    assert sorted(mine["Subject"]) == ["Prepare QBR deck", "Team weekly", "Vacation"]
    assert INTERNAL_ACTIVITY in BY_DESIGN_REASONS
    assert quality.by_design_kinds(crm)["internal activities"] == 3
    assert quality.set_aside_counts(crm)["faults"] == 0
    crm.quality.check()


def test_a_report_without_who_and_what_columns_does_not_say_it_is_internal(tmp_path):
    """A task report with "Contact ID", "Lead ID" and "Opportunity ID" but no "Related To ID":
    a task naming none of them may be on an account; it stays the fault it was."""
    export = shutil.copytree(FIXTURES / "report", tmp_path / "report")
    path = export / "Task.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    row = ["00T5g00000TkQc2", "Call", "Call", "Call", "3/8/2024", "3/8/2024 9:00 AM"]
    lines.insert(1, ",".join(f'"{v}"' for v in [*row, "Rosa Testrep", "", "", ""]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    crm = load_salesforce(export, timezone="America/New_York")
    aside = crm.quality.set_aside("activities")
    reasons = aside.loc[aside["activity_id"] == salesforce_id18("00T5g00000TkQc2"), "_reason"]
    assert reasons.tolist() == ["missing contact_id"]


# ------------------------------------------------------------ work logged on another record
def _task(key: str, who: str, what: str, subject: str) -> dict:
    """A done Data Loader Task row (the fixture's columns)."""
    return {
        "Id": salesforce_id18(f"00T5g00000Tk{key}"),
        "WhoId": who,
        "WhatId": what,
        "Subject": subject,
        "ActivityDate": "2024-03-08",
        "Status": "Completed",
        "Priority": "Normal",
        "OwnerId": OWNER,
        "IsClosed": "1",
        "CreatedDate": "2024-03-08T10:00:00.000+0000",
        "TaskSubtype": "Task",
        "Type": "Other",
    }


def test_work_logged_on_a_case_contract_or_campaign_is_set_aside_by_design(tmp_path):
    """Without a WhoId, a Task or Event on a Case, a Contract, a Campaign or a custom object
    was the fault `missing contact_id`: it is support or contract work, of no lead's funnel.
    The WhoId still says whose work one is; a lead id in the WhatId (where Salesforce never
    writes a person) names no other record: without a WhoId it stays `missing contact_id`."""
    case = _event("Cs01", "", "2024-03-14T15:00", created="2024-03-10T09:00")
    case["WhatId"] = "5005g00000CsAa1"  # a Case, as a report writes it (15 characters)
    others = [
        _task("Ct1", "", "8005g00000KtAa1AAF", "Renewal paperwork"),  # a Contract
        _task("Cp1", "", "7015g00000CmAa1AAF", "Prepare webinar"),  # a Campaign
        _task("Cu1", "", "a0X5g00000PrAa1EAF", "Onboarding step"),  # a custom object
    ]
    named = _task("Cs2", CLEO, "5005g00000CsAa1AAF", "Support call")
    in_what = _task("Cs3", "", CLEO, "Follow up")
    export = _export(tmp_path, [case])
    tasks = pd.read_csv(export / "Task.csv", dtype=str, keep_default_na=False)
    rows = pd.DataFrame([*others, named, in_what])
    pd.concat([tasks, rows]).to_csv(export / "Task.csv", index=False)
    crm = load_salesforce(export)
    aside = crm.quality.set_aside("activities").set_index("activity_id")["_reason"]
    ids = [case["Id"], *(t["Id"] for t in others)]
    assert aside.reindex(ids).tolist() == [OTHER_RECORD_ACTIVITY] * 4
    assert OTHER_RECORD_ACTIVITY in BY_DESIGN_REASONS
    assert quality.by_design_kinds(crm)["activities on other records"] == 4
    assert aside[in_what["Id"]] == "missing contact_id" and named["Id"] not in aside.index
    assert crm.activities.set_index("activity_id").loc[named["Id"], "contact_id"] == CLEO
    crm.quality.check()
