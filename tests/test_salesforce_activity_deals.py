"""A Salesforce Task or Event without a `WhoId` belongs to the contact of its opportunity's
loaded row (`WhatId` = `006...`).

The loader credited it to the contact of the first row read of the opportunity, before the
checks: with the opportunity in two export files, to the older copy's contact, and with a
faulty first row loaded from a later sound copy, to the faulty row's contact. Each test copies
the Data Loader fixture (tests/fixtures/salesforce/dataloader/, the org of
tests/test_salesforce.py): its task `TkDd4` ("Send pricing") has no WhoId and the WhatId of
Bertrand's opportunity O2 (his converted Lead's, created 5 Mar).

The checks then read the first row's contact too: one that row names but the export lacks, or
marks deleted, set the task aside (`unknown contact_id`) though the loaded row names a sound
contact; and the loaded row's contact was not checked at all (one whose own row was set aside
went uncounted in the warning on such activities).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from smk.io.parse import salesforce_id18
from smk.io.salesforce import load_salesforce

FIXTURE = Path(__file__).parent / "fixtures" / "salesforce" / "dataloader"
BERTRAND, CLEO = salesforce_id18("0035g00000CtBb2"), salesforce_id18("00Q5g00000Xa1bC")
O2 = salesforce_id18("0065g00000OpBb2")
TASK, EVENT = salesforce_id18("00T5g00000TkDd4"), salesforce_id18("00U5g00000EvAa1")
#: a contact the export lacks, one it marks deleted, one whose row is unreadable (`_contacts`)
UNKNOWN, GONE, FAULTY = (salesforce_id18(f"0035g00000Ct{k}") for k in ("Zz9", "Gg7", "Ff6"))
SET_ASIDE_WARNING = (
    "activities: 2 activities name a contact_id whose contact is in the export but was set "
    "aside (unparseable created_at): kept; contact fields are missing for them"
)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, encoding="utf-8-sig")


def _o2_row(**values: str) -> dict:
    """Bertrand's opportunity row as the fixture has it, with `values` changed."""
    opps = _read(FIXTURE / "Opportunity.csv")
    row = opps[opps["Id"].str.startswith("0065g00000OpBb2")].iloc[0].dropna().to_dict()
    return {**row, **values}


def _export(tmp_path: Path) -> Path:
    """The fixture, its meeting on O2 (`EvAa1`) without a WhoId too."""
    export = shutil.copytree(FIXTURE, tmp_path / "sf")
    events = _read(export / "Event.csv")
    events.loc[events["Id"].str.startswith("00U5g00000EvAa1"), "WhoId"] = None
    events.to_csv(export / "Event.csv", index=False)
    return export


def _credited(crm) -> dict[str, tuple[str, str]]:
    """The contact and deal of the task and the meeting on O2."""
    acts = crm.activities.set_index("activity_id")
    return {a: (acts.at[a, "contact_id"], acts.at[a, "deal_id"]) for a in (TASK, EVENT)}


def _contacts(export: Path) -> Path:
    """Two more contacts, copies of Bertrand's row: `GONE` deleted in Salesforce (`IsDeleted`),
    `FAULTY` with a `CreatedDate` that reads as no date."""
    contacts = _read(export / "Contact.csv").assign(IsDeleted="0")
    bertrand = contacts[contacts["Id"].str.startswith("0035g00000CtBb2")].iloc[0].to_dict()
    more = [
        {**bertrand, "Id": GONE, "Email": "gone@societe-fictive.example", "IsDeleted": "1"},
        {**bertrand, "Id": FAULTY, "Email": "faulty@societe-fictive.example"},
    ]
    more[1]["CreatedDate"] = "next week"
    pd.concat([contacts, pd.DataFrame(more)]).to_csv(export / "Contact.csv", index=False)
    return export


def _two_rows(export: Path, first: str, loaded: str, *, faulty_first: bool = False) -> Path:
    """O2 in two rows, the first read naming the contact `first`, the one loaded `loaded` (""
    for none): an older export's copy and the newer export's, or (`faulty_first`) in one file a
    first row with a negative amount and a later sound one."""
    opps = _read(export / "Opportunity.csv")
    o2 = opps["Id"].str.startswith("0065g00000OpBb2")
    if faulty_first:
        opps.loc[o2, ["Amount", "ContactId"]] = ["-125000", first]
        sound = pd.DataFrame([_o2_row(ContactId=loaded)])
        pd.concat([opps, sound], ignore_index=True).to_csv(export / "Opportunity.csv", index=False)
        return export
    old = _o2_row(ContactId=first, LastModifiedDate="2024-03-01T00:00:00.000+0000")
    pd.DataFrame([old]).to_csv(export / "Opportunity_2024-03-01.csv", index=False)
    opps.loc[o2, "ContactId"] = loaded
    newer = opps.assign(LastModifiedDate="2024-04-01T00:00:00.000+0000")
    newer.to_csv(export / "Opportunity_2024-05-01.csv", index=False)
    (export / "Opportunity.csv").unlink()
    return export


def _assert_activities_name_contacts(crm) -> None:
    """The invariant: each loaded activity names a loaded contact, or one whose own row was set
    aside as a fault of the export (kept by design, docs/data-model.md "A record whose row was
    set aside"), and those are as many as the warning on them says; rows read = loaded + set
    aside."""
    crm.quality.check()
    named = crm.activities["contact_id"].dropna()
    aside = crm.quality.set_aside("contacts")
    faults = aside.loc[aside["_reason"].str.startswith("unparseable"), "contact_id"]
    assert named.isin(set(crm.contacts["contact_id"]) | set(faults)).all()
    kept = int(named.isin(set(faults)).sum())
    said = [w for w in crm.quality.warnings if w.startswith("activities:") and " name a" in w]
    assert said == (
        [SET_ASIDE_WARNING.replace("2 activities", f"{kept} activities")] if kept else []
    )


def test_without_copies_the_opportunity_s_contact_is_credited(tmp_path):
    crm = load_salesforce(_export(tmp_path))
    assert _credited(crm) == {TASK: (BERTRAND, O2), EVENT: (BERTRAND, O2)}


def test_a_deal_in_two_exports_credits_the_contact_of_the_newest_copy(tmp_path):
    """The older export's copy of O2 (read first) names Cleo, the newer one (loaded) Bertrand:
    the task and the meeting are Bertrand's (they were Cleo's)."""
    crm = load_salesforce(_two_rows(_export(tmp_path), CLEO, BERTRAND))
    aside = crm.quality.set_aside("deals")
    assert aside["_reason"].tolist() == ["older copy of a record in a later export"]
    assert crm.deals.loc[crm.deals["deal_id"] == O2, "contact_id"].tolist() == [BERTRAND]
    assert _credited(crm) == {TASK: (BERTRAND, O2), EVENT: (BERTRAND, O2)}
    crm.quality.check()


def test_a_deal_loaded_from_a_later_sound_row_credits_that_row_s_contact(tmp_path):
    """O2's first row has a negative amount; a later row of it names Cleo and is loaded: the
    task and the meeting are Cleo's (they were Bertrand's, the faulty row's)."""
    crm = load_salesforce(_two_rows(_export(tmp_path), BERTRAND, CLEO, faulty_first=True))
    aside = crm.quality.set_aside("deals")
    assert aside["_reason"].tolist() == ["negative amount"]
    assert crm.deals.loc[crm.deals["deal_id"] == O2, "contact_id"].tolist() == [CLEO]
    assert _credited(crm) == {TASK: (CLEO, O2), EVENT: (CLEO, O2)}
    crm.quality.check()


def test_a_set_aside_deal_s_work_stays_with_the_contact_its_row_names(tmp_path):
    """O2 set aside altogether (a negative amount): its task is still sales work on Bertrand,
    kept with O2 as its deal, as a task whose WhoId names him is (the model does not check an
    activity's deal_id; no analysis joins it)."""
    export = _export(tmp_path)
    opps = _read(export / "Opportunity.csv")
    opps.loc[opps["Id"].str.startswith("0065g00000OpBb2"), "Amount"] = "-125000"
    opps.to_csv(export / "Opportunity.csv", index=False)
    crm = load_salesforce(export)
    assert not (crm.deals["deal_id"] == O2).any()
    assert _credited(crm) == {TASK: (BERTRAND, O2), EVENT: (BERTRAND, O2)}
    assert crm.quality.set_aside("activities")["_reason"].tolist() == ["task not done"]
    crm.quality.check()


@pytest.mark.parametrize("faulty_first", [False, True], ids=["two exports", "faulty first row"])
@pytest.mark.parametrize("first", [UNKNOWN, GONE], ids=["unknown", "deleted"])
def test_the_first_row_s_contact_does_not_set_aside_the_loaded_deal_s_work(
    tmp_path, first, faulty_first
):
    """O2's first row names a contact the export lacks, or marks deleted; the row loaded names
    Bertrand: the task and the meeting are his (they were set aside as `unknown contact_id`,
    `contact_id deleted in the CRM`)."""
    export = _two_rows(_contacts(_export(tmp_path)), first, BERTRAND, faulty_first=faulty_first)
    crm = load_salesforce(export)
    assert crm.deals.loc[crm.deals["deal_id"] == O2, "contact_id"].tolist() == [BERTRAND]
    assert _credited(crm) == {TASK: (BERTRAND, O2), EVENT: (BERTRAND, O2)}
    assert crm.quality.set_aside("activities")["_reason"].tolist() == ["task not done"]
    _assert_activities_name_contacts(crm)


def test_the_loaded_deal_s_contact_is_credited_when_activities_are_the_largest_table(tmp_path):
    """Forty more calls on Ada, and no campaign members: the activities are the largest table,
    typed and checked on the loader's second thread (their check waits for the deals')."""
    export = _two_rows(_export(tmp_path), UNKNOWN, BERTRAND)
    tasks = _read(export / "Task.csv")
    calls = pd.concat([tasks[tasks["WhoId"].str.startswith("0035g00000CtAa1").fillna(False)]] * 40)
    calls["Id"] = [salesforce_id18(f"00T5g00000T{n:04d}") for n in range(40)]
    pd.concat([tasks, calls]).to_csv(export / "Task.csv", index=False)
    (export / "CampaignMember.csv").unlink()
    crm = load_salesforce(export)
    read = {name: acc.read for name, acc in crm.quality.tables.items()}
    assert max(read, key=read.get) == "activities"
    assert _credited(crm) == {TASK: (BERTRAND, O2), EVENT: (BERTRAND, O2)}
    _assert_activities_name_contacts(crm)


@pytest.mark.parametrize("faulty_first", [False, True], ids=["two exports", "faulty first row"])
def test_the_loaded_deal_s_contact_is_checked_as_a_who_id_is(tmp_path, faulty_first):
    """The row loaded names FAULTY, whose Contact row was set aside (`unparseable
    created_at`): the task and the meeting are FAULTY's, kept as an activity whose WhoId names
    FAULTY is, and the warning on such activities counts them (it did not)."""
    export = _two_rows(_contacts(_export(tmp_path)), BERTRAND, FAULTY, faulty_first=faulty_first)
    crm = load_salesforce(export)
    assert _credited(crm) == {TASK: (FAULTY, O2), EVENT: (FAULTY, O2)}
    assert SET_ASIDE_WARNING in crm.quality.warnings
    _assert_activities_name_contacts(crm)


def test_a_loaded_row_without_a_contact_id_credits_the_deal_s_contact(tmp_path):
    """The row loaded has no ContactId, the first row names a contact the export lacks: O2's
    contact is the person its Lead was converted into (Bertrand), and so is its work's (it was
    set aside as `unknown contact_id`)."""
    crm = load_salesforce(_two_rows(_export(tmp_path), UNKNOWN, ""))
    assert crm.deals.loc[crm.deals["deal_id"] == O2, "contact_id"].tolist() == [BERTRAND]
    assert _credited(crm) == {TASK: (BERTRAND, O2), EVENT: (BERTRAND, O2)}
    _assert_activities_name_contacts(crm)


def test_a_set_aside_deal_s_work_for_a_contact_the_export_lacks_is_set_aside(tmp_path):
    """O2 set aside altogether (a negative amount), its row naming a contact the export lacks:
    its task and meeting are set aside as `unknown contact_id`, naming that contact."""
    export = _export(tmp_path)
    opps = _read(export / "Opportunity.csv")
    opps.loc[opps["Id"].str.startswith("0065g00000OpBb2"), ["Amount", "ContactId"]] = [
        "-125000",
        UNKNOWN,
    ]
    opps.to_csv(export / "Opportunity.csv", index=False)
    crm = load_salesforce(export)
    aside = crm.quality.set_aside("activities").set_index("activity_id")
    assert aside.loc[[TASK, EVENT], "_reason"].tolist() == ["unknown contact_id"] * 2
    assert aside.loc[[TASK, EVENT], "contact_id"].tolist() == [UNKNOWN] * 2
    _assert_activities_name_contacts(crm)


_CASES = {  # O2's first row's contact, its loaded row's, whether that first row is faulty
    "no copies": None,
    "older copy's contact unknown": (UNKNOWN, BERTRAND, False),
    "faulty first row's contact deleted": (GONE, BERTRAND, True),
    "loaded contact's row set aside": (BERTRAND, FAULTY, False),
    "loaded row without a ContactId": (GONE, "", True),
    "both contacts unknown to the export": (UNKNOWN, UNKNOWN, False),
}


@pytest.mark.parametrize("case", list(_CASES))
def test_every_loaded_activity_names_a_contact_of_the_export(tmp_path, case):
    """The invariant (`_assert_activities_name_contacts`) on each hand-made export."""
    export = _contacts(_export(tmp_path))
    if _CASES[case] is not None:
        first, loaded, faulty_first = _CASES[case]
        export = _two_rows(export, first, loaded, faulty_first=faulty_first)
    _assert_activities_name_contacts(load_salesforce(export))
