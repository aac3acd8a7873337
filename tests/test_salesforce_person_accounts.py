"""Salesforce Person Accounts, work logged on an account, and stages of an export without flags.

An opportunity on a person account (an Account that is a person, with a Contact of its own)
usually names no contact: it loaded with no contact, so the person never became a customer
(the funnel said 1 customer for 2 won deals). A Task logged on the person account (WhatId the
Account, no WhoId) was set aside as `missing contact_id`, and one logged on a business account
counted as that fault too. An export without IsClosed / IsWon (a report) loaded custom stages
(`Contract Signed`, `Won - Renewal`, `Lost - Competitor`) as open, with no warning.
Each test writes its own small Data Loader export.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from smk import quality
from smk.io.parse import salesforce_id18
from smk.io.salesforce import PERSON_NOT_IN_EXPORT, load_salesforce
from smk.model import ACCOUNT_ACTIVITY, BY_DESIGN_REASONS

BIZ, ANNA_ACC, BEN_ACC = (salesforce_id18(f"0015g00000A{k}") for k in ("Bz01", "Pa01", "Pb02"))
CARL, ANNA, BEN = (salesforce_id18(f"0035g00000C{k}") for k in ("Bz01", "Pa01", "Pb02"))
O_ANNA, O_BEN, O_BIZ = (salesforce_id18(f"0065g00000O{k}") for k in ("Pa01", "Pb02", "Bz01"))
T_ANNA, T_BIZ = (salesforce_id18(f"00T5g00000T{k}") for k in ("Pa01", "Bz01"))
CREATED = "2024-02-01T10:00:00.000+0000"


def _write(folder: Path, name: str, rows: list[dict]) -> None:
    pd.DataFrame(rows).to_csv(folder / name, index=False)


def _accounts(person_contact_id: bool = True, flag: bool = True) -> list[dict]:
    """A business account and two person accounts (Anna's, Ben's)."""
    rows = [(BIZ, "Globex Ltd", "0", ""), (ANNA_ACC, "Anna Alpha", "1", ANNA)]
    rows.append((BEN_ACC, "Ben Beta", "1", BEN))
    out = []
    for account, name, person, contact in rows:
        row = {"Id": account, "Name": name, "CreatedDate": CREATED}
        if flag:
            row["IsPersonAccount"] = person
        if person_contact_id:
            row["PersonContactId"] = contact
        out.append(row)
    return out


def _contacts(flag: bool = True) -> list[dict]:
    rows = [(CARL, BIZ, "Carl", "0"), (ANNA, ANNA_ACC, "Anna", "1"), (BEN, BEN_ACC, "Ben", "1")]
    return [
        {
            "Id": contact,
            "AccountId": account,
            **({"IsPersonAccount": person} if flag else {}),
            "LastName": name,
            "Email": f"{name.lower()}@mail.example",
            "CreatedDate": CREATED,
        }
        for contact, account, name, person in rows
    ]


def _opportunity(deal: str, account: str, contact: str = "", **values: str) -> dict:
    """A won opportunity on `account` (naming `contact`: none by default)."""
    return {
        "Id": deal,
        "AccountId": account,
        "ContactId": contact,
        "Name": "Plan",
        "StageName": "Closed Won",
        "Amount": "500",
        "CloseDate": "2024-02-20",
        "IsClosed": "1",
        "IsWon": "1",
        "CreatedDate": "2024-02-05T10:00:00.000+0000",
        **values,
    }


def _task(task: str, what: str, who: str = "") -> dict:
    return {
        "Id": task,
        "WhoId": who,
        "WhatId": what,
        "Subject": "Call",
        "Status": "Completed",
        "IsClosed": "1",
        "CreatedDate": "2024-02-06T10:00:00.000+0000",
        "TaskSubtype": "Call",
    }


def _export(
    tmp_path: Path,
    opps: list[dict] | None = None,
    tasks: list[dict] | None = None,
    **shape: bool,
) -> Path:
    """An org of a business account (Carl's) and two person accounts (Anna's, Ben's); by
    default won opportunities on both person accounts naming no contact and one on Globex
    naming Carl. `shape`: `person_contact_id` / `account_flag` / `contact_flag`, whether the
    export has Account.PersonContactId, Account.IsPersonAccount, Contact.IsPersonAccount."""
    folder = tmp_path / "sf"
    folder.mkdir()
    _write(
        folder,
        "Account.csv",
        _accounts(shape.get("person_contact_id", True), shape.get("account_flag", True)),
    )
    _write(folder, "Contact.csv", _contacts(shape.get("contact_flag", True)))
    if opps is None:
        opps = [
            _opportunity(O_ANNA, ANNA_ACC),
            _opportunity(O_BEN, BEN_ACC),
            _opportunity(O_BIZ, BIZ, CARL),
        ]
    _write(folder, "Opportunity.csv", opps)
    if tasks:
        _write(folder, "Task.csv", tasks)
    return folder


def _deal_contacts(crm) -> dict[str, object]:
    return dict(zip(crm.deals["deal_id"], crm.deals["contact_id"], strict=True))


def _stages(crm) -> dict[str, str]:
    return dict(zip(crm.contacts["contact_id"], crm.contacts["lifecycle_stage"], strict=True))


# ----------------------------------------------------------------------------- person accounts
@pytest.mark.parametrize(
    "shape",
    [
        {},
        {"person_contact_id": False},  # the only Contact of an account flagged a person's
        {"person_contact_id": False, "account_flag": False},  # a Contact flagged a person's
        {"account_flag": False, "contact_flag": False},  # PersonContactId alone
    ],
)
def test_a_person_accounts_opportunity_is_its_persons(tmp_path, shape):
    crm = load_salesforce(_export(tmp_path, **shape))
    assert _deal_contacts(crm) == {O_ANNA: ANNA, O_BEN: BEN, O_BIZ: CARL}
    assert _stages(crm) == {CARL: "customer", ANNA: "customer", BEN: "customer"}
    anna = crm.contacts.set_index("contact_id").loc[ANNA]
    assert anna["became_customer_at"] == pd.Timestamp("2024-02-20", tz="UTC")
    assert anna["became_opportunity_at"] == pd.Timestamp("2024-02-05 10:00", tz="UTC")
    crm.quality.check()


def test_the_contact_an_opportunity_names_wins_over_the_person(tmp_path):
    opps = [_opportunity(O_ANNA, ANNA_ACC, CARL), _opportunity(O_BEN, BEN_ACC)]
    crm = load_salesforce(_export(tmp_path, opps))
    assert _deal_contacts(crm) == {O_ANNA: CARL, O_BEN: BEN}
    assert _stages(crm) == {CARL: "customer", ANNA: "lead", BEN: "customer"}


def test_a_business_account_s_only_contact_is_not_taken_for_its_opportunity(tmp_path):
    crm = load_salesforce(_export(tmp_path, [_opportunity(O_BIZ, BIZ)]))
    assert pd.isna(_deal_contacts(crm)[O_BIZ])
    assert _stages(crm)[CARL] == "lead"


def test_without_any_person_account_field_nothing_is_guessed(tmp_path):
    shape = {"person_contact_id": False, "account_flag": False, "contact_flag": False}
    crm = load_salesforce(_export(tmp_path, **shape))
    assert _deal_contacts(crm) == {O_ANNA: pd.NA, O_BEN: pd.NA, O_BIZ: CARL}


def test_a_task_on_a_person_account_is_its_persons_work(tmp_path):
    crm = load_salesforce(_export(tmp_path, tasks=[_task(T_ANNA, ANNA_ACC)]))
    assert crm.activities[["activity_id", "contact_id"]].values.tolist() == [[T_ANNA, ANNA]]
    assert crm.quality.set_aside("activities").empty
    crm.quality.check()


# ----------------------------------------------------------------------------- account work
@pytest.mark.parametrize(
    "shape",
    [
        {},
        {"person_contact_id": False},
        {"account_flag": False},  # PersonContactId: a business account has none
        {"person_contact_id": False, "account_flag": False},  # Carl's Contact is not a person's
    ],
)
def test_a_task_on_a_business_account_is_set_aside_by_design(tmp_path, shape):
    tasks = [_task(T_ANNA, ANNA_ACC), _task(T_BIZ, BIZ)]
    crm = load_salesforce(_export(tmp_path, tasks=tasks, **shape))
    aside = crm.quality.set_aside("activities")
    assert aside[["activity_id", "_reason"]].values.tolist() == [[T_BIZ, ACCOUNT_ACTIVITY]]
    assert ACCOUNT_ACTIVITY in BY_DESIGN_REASONS
    assert quality.set_aside_counts(crm) == {"total": 1, "by_design": 1, "faults": 0}
    assert quality.by_design_kinds(crm) == {"account activities": 1}
    crm.quality.check()


def _without_anna(tmp_path: Path) -> Path:
    """The org with a Contact export filtered without Anna, the person of her account."""
    folder = _export(tmp_path, tasks=[_task(T_ANNA, ANNA_ACC)])
    _write(folder, "Contact.csv", [c for c in _contacts() if c["Id"] != ANNA])
    return folder


def _without_contacts(tmp_path: Path) -> Path:
    """The org exported without its Contacts."""
    folder = _export(tmp_path, tasks=[_task(T_ANNA, ANNA_ACC)])
    (folder / "Contact.csv").unlink()
    return folder


def _unfound_warnings(crm) -> list[str]:
    return [w for w in crm.quality.warnings if "not among the export's contacts" in w]


@pytest.mark.parametrize(
    ("build", "deals"),
    [(_without_anna, "1 opportunity"), (_without_contacts, "2 opportunities")],
)
def test_work_on_a_person_account_whose_person_is_not_exported_is_a_fault(tmp_path, build, deals):
    """A task on Anna's person account (the export says it is one, and names her) was set
    aside by design as work on a company when her Contact was not in the export, and her
    opportunity loaded with no contact, with no word: it is a fault of the export."""
    crm = load_salesforce(build(tmp_path))
    aside = crm.quality.set_aside("activities")
    assert aside[["activity_id", "_reason"]].values.tolist() == [[T_ANNA, PERSON_NOT_IN_EXPORT]]
    assert PERSON_NOT_IN_EXPORT not in BY_DESIGN_REASONS
    assert quality.by_design_kinds(crm) == {}
    assert quality.set_aside_counts(crm) == {"total": 1, "by_design": 0, "faults": 1}
    assert pd.isna(_deal_contacts(crm)[O_ANNA])
    assert _unfound_warnings(crm) == [
        f"deals, activities: {deals} and 1 task or event on a person account name no one, "
        "and the account's person (its PersonContactId, or its one Contact) is not among the "
        f"export's contacts: the opportunit{'y loads' if deals[0] == '1' else 'ies load'} with "
        "no contact, and the task or event is set aside ('person of a person account not in "
        "the export'). Export the Contacts of the person accounts with the rest (a Contact "
        "export filtered by a list view or a report leaves them out)"
    ]
    crm.quality.check()


def test_work_on_an_account_of_an_export_that_does_not_tell_persons_is_a_fault(tmp_path):
    """An export without IsPersonAccount or PersonContactId (a report) cannot tell a person
    account from a business account: a task on one stays `missing contact_id`."""
    shape = {"person_contact_id": False, "account_flag": False, "contact_flag": False}
    crm = load_salesforce(_export(tmp_path, tasks=[_task(T_ANNA, ANNA_ACC)], **shape))
    aside = crm.quality.set_aside("activities")
    assert aside[["activity_id", "_reason"]].values.tolist() == [[T_ANNA, "missing contact_id"]]
    assert quality.set_aside_counts(crm) == {"total": 1, "by_design": 0, "faults": 1}
    assert _unfound_warnings(crm) == []


def test_the_person_account_flag_is_not_named_as_a_column_smk_did_not_map(tmp_path):
    """Contact.IsPersonAccount is read, yet the warning on empty columns named it, with the
    Lead's columns of an export without a Lead file, among the headers smk did not map."""
    crm = load_salesforce(_export(tmp_path))
    warning = next(w for w in crm.quality.warnings if "Columns smk did not map" in w)
    assert "Columns smk did not map: 'LastName';" in warning


def test_a_task_naming_a_person_on_a_business_account_is_that_person_s(tmp_path):
    crm = load_salesforce(_export(tmp_path, tasks=[_task(T_BIZ, BIZ, CARL)]))
    assert crm.activities["contact_id"].tolist() == [CARL]


# ----------------------------------------------------------------------------- stages
CUSTOM = {
    "Contract Signed": "Ab01",
    "Won - Renewal": "Ab02",
    "Lost - Competitor": "Ab03",
    "Dead / No Decision": "Ab04",
    "Prospecting": "Ab05",
    "Closed Won": "Ab06",
    "Closed Lost": "Ab07",
}


def _unflagged(stages: dict[str, str]) -> list[dict]:
    """Carl's opportunities at `stages` (name -> id part), as a report without IsClosed / IsWon
    holds them."""
    return [
        {
            k: v
            for k, v in _opportunity(
                salesforce_id18(f"0065g00000O{part}"), BIZ, CARL, StageName=stage
            ).items()
            if k not in ("IsClosed", "IsWon")
        }
        for stage, part in stages.items()
    ]


def _flags(crm) -> dict[str, tuple[bool, bool]]:
    d = crm.deals
    return {
        s: (bool(c), bool(w))
        for s, c, w in zip(d["stage"], d["is_closed"], d["is_won"], strict=True)
    }


def _stage_warnings(crm) -> list[str]:
    return [w for w in crm.quality.warnings if "cannot tell open from closed" in w]


STAGE_WARNING = (
    "deals.stage: 2 deals read at stage values smk cannot tell open from closed: 'Contract Signed' "
    "(1), 'Dead / No Decision' (1); they are taken as open: export Opportunity.IsClosed and IsWon "
    'with the opportunities ("Closed" and "Won" in an opportunity report)'
)


def test_stages_starting_with_won_or_lost_are_closed_as_hubspots(tmp_path):
    crm = load_salesforce(_export(tmp_path, _unflagged(CUSTOM)))
    assert _flags(crm) == {
        "Contract Signed": (False, False),
        "Won - Renewal": (True, True),
        "Lost - Competitor": (True, False),
        "Dead / No Decision": (False, False),
        "Prospecting": (False, False),
        "Closed Won": (True, True),
        "Closed Lost": (True, False),
    }


def test_stages_smk_cannot_tell_are_warned_of(tmp_path):
    crm = load_salesforce(_export(tmp_path, _unflagged(CUSTOM)))
    assert _stage_warnings(crm) == [STAGE_WARNING]


def test_the_warning_counts_every_opportunity_file(tmp_path):
    stages = list(CUSTOM.items())
    export = _export(tmp_path, _unflagged(dict(stages[:3])))
    _write(export, "Opportunity_2.csv", _unflagged(dict(stages[3:])))
    crm = load_salesforce(export)
    assert len(crm.deals) == len(CUSTOM)
    assert _stage_warnings(crm) == [STAGE_WARNING]


def test_the_warning_when_the_opportunities_are_the_largest_file(tmp_path):
    # the largest file is read and cleaned on a second thread (`_read_export`'s `_Apart`)
    opps = [{**o, "Description": "x" * 2000} for o in _unflagged(CUSTOM)]
    crm = load_salesforce(_export(tmp_path, opps))
    assert _stage_warnings(crm) == [STAGE_WARNING]


def test_flags_in_the_export_are_read_as_written_with_no_warning(tmp_path):
    opps = [_opportunity(O_BIZ, BIZ, CARL, StageName="Contract Signed")]
    crm = load_salesforce(_export(tmp_path, opps))
    assert _flags(crm) == {"Contract Signed": (True, True)}
    assert _stage_warnings(crm) == []
