"""A Salesforce Task or Event without a `WhoId` belongs to the contact of its opportunity's
loaded row (`WhatId` = `006...`).

The loader credited it to the contact of the first row read of the opportunity, before the
checks: with the opportunity in two export files, to the older copy's contact, and with a
faulty first row loaded from a later sound copy, to the faulty row's contact. Each test copies
the Data Loader fixture (tests/fixtures/salesforce/dataloader/, the org of
tests/test_salesforce.py): its task `TkDd4` ("Send pricing") has no WhoId and the WhatId of
Bertrand's opportunity O2 (his converted Lead's, created 5 Mar).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from smk.io.parse import salesforce_id18
from smk.io.salesforce import load_salesforce

FIXTURE = Path(__file__).parent / "fixtures" / "salesforce" / "dataloader"
BERTRAND, CLEO = salesforce_id18("0035g00000CtBb2"), salesforce_id18("00Q5g00000Xa1bC")
O2 = salesforce_id18("0065g00000OpBb2")
TASK, EVENT = salesforce_id18("00T5g00000TkDd4"), salesforce_id18("00U5g00000EvAa1")


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


def test_without_copies_the_opportunity_s_contact_is_credited(tmp_path):
    crm = load_salesforce(_export(tmp_path))
    assert _credited(crm) == {TASK: (BERTRAND, O2), EVENT: (BERTRAND, O2)}


def test_a_deal_in_two_exports_credits_the_contact_of_the_newest_copy(tmp_path):
    """The older export's copy of O2 (read first) names Cleo, the newer one (loaded) Bertrand:
    the task and the meeting are Bertrand's (they were Cleo's)."""
    export = _export(tmp_path)
    old = _o2_row(ContactId=CLEO, LastModifiedDate="2024-03-01T00:00:00.000+0000")
    pd.DataFrame([old]).to_csv(export / "Opportunity_2024-03-01.csv", index=False)
    newer = _read(export / "Opportunity.csv").assign(
        LastModifiedDate="2024-04-01T00:00:00.000+0000"
    )
    newer.to_csv(export / "Opportunity_2024-05-01.csv", index=False)
    (export / "Opportunity.csv").unlink()
    crm = load_salesforce(export)
    aside = crm.quality.set_aside("deals")
    assert aside["_reason"].tolist() == ["older copy of a record in a later export"]
    assert crm.deals.loc[crm.deals["deal_id"] == O2, "contact_id"].tolist() == [BERTRAND]
    assert _credited(crm) == {TASK: (BERTRAND, O2), EVENT: (BERTRAND, O2)}
    crm.quality.check()


def test_a_deal_loaded_from_a_later_sound_row_credits_that_row_s_contact(tmp_path):
    """O2's first row has a negative amount; a later row of it names Cleo and is loaded: the
    task and the meeting are Cleo's (they were Bertrand's, the faulty row's)."""
    export = _export(tmp_path)
    opps = _read(export / "Opportunity.csv")
    opps.loc[opps["Id"].str.startswith("0065g00000OpBb2"), "Amount"] = "-125000"
    sound = pd.DataFrame([_o2_row(ContactId=CLEO)])
    pd.concat([opps, sound], ignore_index=True).to_csv(export / "Opportunity.csv", index=False)
    crm = load_salesforce(export)
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
