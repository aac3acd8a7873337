"""Salesforce records marked deleted (`IsDeleted`): what happens to the rows that point at them.

Each test copies the Data Loader fixture (tests/fixtures/salesforce/dataloader/) to a temporary
folder and marks some of its rows deleted, or changes a lookup, so the case is a few rows of a
known org (ids as in tests/test_salesforce.py).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from smk import quality
from smk.io.parse import salesforce_id18
from smk.io.salesforce import load_salesforce
from smk.model import CONVERTED_INTO_DELETED, DELETED_IN_SALESFORCE, PARENT_DELETED

FIXTURE = Path(__file__).parent / "fixtures" / "salesforce" / "dataloader"
L1, L2 = salesforce_id18("00Q5g00000LdAa1"), salesforce_id18("00Q5g00000LdBb2")  # converted
C1, C2 = salesforce_id18("0035g00000CtAa1"), salesforce_id18("0035g00000CtBb2")  # their contacts
TASK_OF_L1 = salesforce_id18("00T5g00000TkCc3")  # WhoId: L1
MEMBER_OF_L2 = salesforce_id18("00v5g00000MbBb2")  # LeadId: L2, no ContactId
EVENT = salesforce_id18("00U5g00000EvAa1")  # WhoId: C2 (the tests point it at L2)
ACCOUNTS = [salesforce_id18(a) for a in ("0015g00000Gbx1A", "0015g00000SoFi2")]


def _export(tmp_path: Path, changes: dict[str, dict[str, dict[str, str]]]) -> Path:
    """A copy of the fixture with `changes`: file -> row Id -> column -> new value (a column
    the file lacks, such as `IsDeleted` in Contact.csv, is added, empty in the other rows)."""
    export = shutil.copytree(FIXTURE, tmp_path / "sf")
    for name, by_id in changes.items():
        with open(export / name, encoding="utf-8-sig", newline="") as fh:
            table = list(csv.DictReader(fh))
        assert set(by_id) <= {r["Id"] for r in table}, name
        columns = list(table[0]) + [c for d in by_id.values() for c in d if c not in table[0]]
        for row in table:
            row.update(by_id.get(row["Id"], {}))
        with open(export / name, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(dict.fromkeys(columns)), restval="")
            writer.writeheader()
            writer.writerows(table)
    return export


def _deleted(*ids: str) -> dict[str, dict[str, str]]:
    return {i: {"IsDeleted": "1"} for i in ids}


def _reason(crm, table: str, key: str, value: str) -> list[str]:
    aside = crm.quality.set_aside(table)
    return aside.loc[aside[key] == value, "_reason"].tolist()


@pytest.fixture(scope="module")
def base():
    return load_salesforce(FIXTURE)


def test_history_of_a_deleted_converted_lead_goes_to_its_live_contact(tmp_path, base):
    """A converted Lead marked deleted whose Contact is live: its task, event and campaign
    member were set aside as `contact_id deleted in the CRM`, though the person lives."""
    crm = load_salesforce(
        _export(
            tmp_path,
            {"Lead.csv": _deleted(L1, L2), "Event.csv": {EVENT: {"WhoId": L2}}},
        )
    )
    crm.quality.check()  # read == loaded + set aside, table by table
    acts = crm.activities.set_index("activity_id")["contact_id"]
    assert (acts[TASK_OF_L1], acts[EVENT]) == (C1, C2)
    members = crm.touchpoints.set_index("touchpoint_id")["contact_id"]
    assert members[MEMBER_OF_L2] == C2
    for lead in (L1, L2):  # the lead rows themselves stay set aside, with their own reason
        assert _reason(crm, "contacts", "contact_id", lead) == [DELETED_IN_SALESFORCE]
    assert set(crm.contacts["contact_id"]) == set(base.contacts["contact_id"])
    for table in ("activities", "touchpoints", "deals"):
        assert len(getattr(crm, table)) == len(getattr(base, table)), table
        assert crm.quality.tables[table].reasons() == base.quality.tables[table].reasons()
    assert quality.set_aside_counts(crm)["faults"] == quality.set_aside_counts(base)["faults"]


def test_a_converted_lead_of_a_deleted_contact_is_still_set_aside(tmp_path):
    """Unchanged: a live converted Lead whose Contact is marked deleted does not stand in for
    the contact, and the rows on the lead are set aside as the contact's."""
    crm = load_salesforce(
        _export(
            tmp_path,
            {"Contact.csv": _deleted(C2), "Event.csv": {EVENT: {"WhoId": L2}}},
        )
    )
    crm.quality.check()
    assert _reason(crm, "contacts", "contact_id", L2) == [CONVERTED_INTO_DELETED]
    assert _reason(crm, "activities", "activity_id", EVENT) == [PARENT_DELETED["contact_id"]]
    assert _reason(crm, "touchpoints", "touchpoint_id", MEMBER_OF_L2) == [
        PARENT_DELETED["contact_id"]
    ]
    assert not crm.contacts["contact_id"].isin([C2, L2]).any()


@pytest.mark.parametrize("contact", ["deleted", "absent"])
def test_a_deleted_converted_lead_without_a_live_contact_keeps_its_rows_aside(tmp_path, contact):
    """A deleted converted Lead whose Contact is deleted too, or not in the export: nobody
    lives, so its rows stay set aside by design (not re-pointed at an unknown contact)."""
    changes = {"Lead.csv": _deleted(L2), "Event.csv": {EVENT: {"WhoId": L2}}}
    if contact == "deleted":
        changes["Contact.csv"] = _deleted(C2)
    export = _export(tmp_path, changes)
    if contact == "absent":
        contacts = pd.read_csv(export / "Contact.csv", dtype=str, encoding="utf-8-sig")
        contacts[contacts["Id"] != C2].to_csv(export / "Contact.csv", index=False)
    crm = load_salesforce(export)
    crm.quality.check()
    assert _reason(crm, "contacts", "contact_id", L2) == [DELETED_IN_SALESFORCE]
    for table, key, row in (("activities", "activity_id", EVENT),
                            ("touchpoints", "touchpoint_id", MEMBER_OF_L2)):  # fmt: skip
        assert _reason(crm, table, key, row) == [PARENT_DELETED["contact_id"]], table
    assert not crm.contacts["contact_id"].isin([C2, L2]).any()


def _account_warnings(crm) -> list[str]:
    return [w for w in crm.quality.warnings if w.startswith("contacts:") and "account_id" in w]


@pytest.mark.parametrize("which", ["some", "all"])
def test_contacts_and_deals_of_deleted_accounts_are_told_whether_some_or_all(tmp_path, base, which):
    """When every Account of the export was deleted, contacts naming them got no warning and
    deals naming them were kept, while deleting only some warned and set the deals aside.
    Now the deals, live themselves, are kept either way, with no account, and counted."""
    accounts = pd.read_csv(FIXTURE / "Account.csv", dtype=str, encoding="utf-8-sig")["Id"]
    gone = ACCOUNTS if which == "some" else accounts.tolist()
    crm = load_salesforce(_export(tmp_path, {"Account.csv": _deleted(*gone)}))
    crm.quality.check()
    assert len(crm.accounts) == len(accounts) - len(gone)
    named = int(crm.contacts["account_id"].isin(gone).sum())  # kept
    assert named > 0
    assert _account_warnings(crm) == [
        f"contacts: {named} contacts name an account_id whose account is deleted in the CRM "
        "(kept; account fields are missing for them)"
    ]
    deals = base.deals.loc[base.deals["account_id"].isin(gone), "deal_id"]
    assert len(deals) > 0
    assert crm.quality.set_aside("deals").empty
    assert crm.deals["deal_id"].tolist() == base.deals["deal_id"].tolist()
    assert crm.deals.loc[crm.deals["deal_id"].isin(deals), "account_id"].isna().all()
    n = len(deals)
    assert (
        f"deals: {n} deal{'s name' if n > 1 else ' names'} an account_id whose account is "
        "deleted in the CRM (kept, with no account: the deal itself is not deleted)"
    ) in crm.quality.warnings
    assert quality.set_aside_counts(crm)["faults"] == quality.set_aside_counts(base)["faults"]


def test_an_unknown_account_is_still_unknown_when_every_account_is_deleted(tmp_path):
    """With every Account deleted, a contact naming an account the export never held is
    warned about as not in the accounts table, apart from those of deleted accounts."""
    accounts = pd.read_csv(FIXTURE / "Account.csv", dtype=str, encoding="utf-8-sig")["Id"]
    stranger = salesforce_id18("0015g00000ZzZz9")
    crm = load_salesforce(
        _export(
            tmp_path,
            {
                "Account.csv": _deleted(*accounts),
                "Contact.csv": {C1: {"AccountId": stranger}},
            },
        )
    )
    crm.quality.check()
    warned = _account_warnings(crm)
    assert len(warned) == 2 and warned[1] == (
        "contacts: 1 contact names an account_id that is not in the accounts table "
        "(kept; account fields are missing for it)"
    )
    assert (crm.contacts["account_id"] == stranger).sum() == 1


def test_rows_of_people_are_set_aside_when_every_person_is_deleted(tmp_path, base):
    """With every Lead and Contact deleted, the tasks, campaign members and deals of those
    people were kept, pointing at no loaded contact, while deleting some set them aside. The
    tasks and campaign members are set aside; the deals, live themselves, load with no
    contact (they were set aside as `contact_id deleted in the CRM`)."""
    ids = {
        name: pd.read_csv(FIXTURE / name, dtype=str, encoding="utf-8-sig")["Id"]
        for name in ("Lead.csv", "Contact.csv")
    }
    crm = load_salesforce(_export(tmp_path, {n: _deleted(*i) for n, i in ids.items()}))
    crm.quality.check()
    assert crm.contacts.empty
    for table, key in (("activities", "activity_id"), ("touchpoints", "touchpoint_id")):
        rows = getattr(base, table)
        assert rows["contact_id"].notna().all() and len(rows) > 0, table
        assert getattr(crm, table).empty, table
        for row in rows[key]:
            assert _reason(crm, table, key, row) == [PARENT_DELETED["contact_id"]], (table, row)
    assert base.deals["contact_id"].notna().all()
    assert crm.deals["deal_id"].tolist() == base.deals["deal_id"].tolist()
    assert crm.deals["contact_id"].isna().all()
    assert quality.set_aside_counts(crm)["faults"] == quality.set_aside_counts(base)["faults"]


@pytest.mark.parametrize("lead", ["live", "deleted"])
def test_the_opportunity_a_lead_was_converted_into_is_its_contacts(tmp_path, lead):
    """A converted Lead's ConvertedOpportunityId links the opportunity to its contact (when
    the opportunity names no contact) whether or not the lead row is marked deleted."""
    deal = salesforce_id18("0065g00000OpBb2")  # L2's ConvertedOpportunityId
    changes = {"Opportunity.csv": {deal: {"ContactId": ""}}}
    if lead == "deleted":
        changes["Lead.csv"] = _deleted(L2)
    crm = load_salesforce(_export(tmp_path, changes))
    crm.quality.check()
    assert crm.deals.set_index("deal_id").loc[deal, "contact_id"] == C2
    person = crm.contacts.set_index("contact_id").loc[C2]
    assert pd.notna(person["became_opportunity_at"])
