"""A row whose parent record is in the export but whose parent's row was set aside (an
unreadable cell, a required value missing) is kept, with a warning naming why the parent's row
was set aside: it is neither `unknown <col>` (that is a record the export does not hold) nor
lost with its parent (a won deal's revenue because its account's employee count is `50-11`,
a band written backwards).
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smk import cli
from smk.io.validate import assemble
from smk.model import DELETED_IN_CRM

ASIDE = "is in the export but was set aside"


def _raw(rows: list[dict], file: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows).astype("string")
    frame["_file"] = file
    frame["_row"] = np.arange(2, len(frame) + 2, dtype=np.int32)
    return frame


def _reasons(crm, table: str, key: str) -> dict[str, str]:
    aside = crm.quality.set_aside(table)
    return dict(zip(aside[key], aside["_reason"], strict=True))


def _warnings(crm, start: str) -> list[str]:
    """The warnings on `start` rows that name a record not loaded."""
    return [
        w
        for w in crm.quality.warnings
        if w.startswith(start)
        and (" name a" in w or " names a" in w)
        and "currency of its amount" not in w  # "... params file names another"
    ]


PIPEDRIVE_MAPPING = """\
name: pd3
data: ./pd3
tables:
  contacts:
    files: ["people*"]
    columns:
      contact_id: ["Person - ID"]
      email: ["Person - Email - Work"]
      account_id: ["Person - Organization ID"]
      created_at: ["Person - Person created"]
  accounts:
    files: ["organizations*"]
    columns:
      account_id: ["Organization - ID"]
      name: ["Organization - Name"]
      employees: ["Organization - Number of employees"]
      created_at: ["Organization - Organization created"]
  deals:
    files: ["deals*"]
    columns:
      deal_id: ["Deal - ID"]
      account_id: ["Deal - Organization ID"]
      contact_id: ["Deal - Contact person ID"]
      created_at: ["Deal - Deal created"]
      closed_at: ["Deal - Won time"]
      amount: ["Deal - Value"]
      currency: ["Deal - Currency"]
    derive:
      is_won: {from: "Deal - Status", pattern: "^won$"}
      is_closed: {from: "Deal - Status", pattern: "^(won|lost)$"}
"""


def _pipedrive_export(tmp_path: Path) -> Path:
    """The tester's reproduction: organisation 10 writes its employees as a range, backwards
    (`11-50`, a band, is read: tests/test_employee_bands.py)."""
    data = tmp_path / "pd3"
    data.mkdir()
    (data / "organizations.csv").write_text(
        "Organization - ID,Organization - Name,Organization - Number of employees,"
        "Organization - Organization created\n"
        "10,Alpha GmbH,50-11,2025-12-01 10:00:00\n"
        "11,Beta Ltd,120,2025-12-02 10:00:00\n"
    )
    (data / "people.csv").write_text(
        "Person - ID,Person - Email - Work,Person - Organization ID,Person - Person created\n"
        "1,a1@x.example,10,2026-01-05 09:00:00\n"
        "2,b2@x.example,11,2026-01-06 09:00:00\n"
    )
    (data / "deals.csv").write_text(
        "Deal - ID,Deal - Value,Deal - Currency,Deal - Organization ID,Deal - Contact person ID,"
        "Deal - Status,Deal - Deal created,Deal - Won time\n"
        "100,50000,EUR,10,1,Won,2026-01-10 10:00:00,2026-01-20 10:00:00\n"
        "101,1000,EUR,11,2,Won,2026-01-11 10:00:00,2026-01-21 10:00:00\n"
    )
    mapping = tmp_path / "m3.yaml"
    mapping.write_text(PIPEDRIVE_MAPPING)
    return mapping


def test_a_won_deal_of_an_account_set_aside_for_its_employees_is_kept(tmp_path, capsys):
    """Deal 100 (50,000 EUR, won) was `unknown account_id` though organisation 10 is in the
    export: only the organisation's row was faulty (`50-11`)."""
    assert cli.main(["validate", "--json", str(_pipedrive_export(tmp_path))]) == 0
    out = json.loads(capsys.readouterr().out)
    tables = out["tables"]
    assert tables["accounts"]["reasons"] == {"unparseable employees": 1}
    assert tables["deals"] == {"read": 2, "loaded": 2, "set_aside": 0, "reasons": {}}
    warnings = out["warnings"]
    assert (
        "deals: 1 deal names an account_id whose account is in the export but was set aside "
        "(unparseable employees): kept; account fields are missing for it"
    ) in warnings
    assert (
        "contacts: 1 contact names an account_id whose account is in the export but was set "
        "aside (unparseable employees): kept; account fields are missing for it"
    ) in warnings
    assert not [w for w in warnings if "not in the accounts table" in w]


def _accounts_deals_contacts():
    accounts = [
        {"account_id": "A1", "name": "Fine", "employees": "120"},
        {"account_id": "A2", "name": "Range", "employees": "lots"},  # set aside: a fault
        {"account_id": "A3", "name": "Gone", "employees": "7"},  # deleted in the CRM
    ]
    raw_accounts = _raw(accounts, "accounts.csv")
    raw_accounts["_reason"] = pd.Series([None, None, DELETED_IN_CRM], dtype="string")
    contacts = [
        {"contact_id": f"c{i}", "account_id": acc, "created_at": "2026-01-02 10:00"}
        for i, acc in enumerate(["A1", "A2", "A2", "A3", "A9"])
    ]
    deals = [
        {"deal_id": "d1", "account_id": "A1", "amount": "10"},
        {"deal_id": "d2", "account_id": "A2", "amount": "50000"},  # kept
        {"deal_id": "d3", "account_id": "A3", "amount": "20"},  # deleted account
        {"deal_id": "d4", "account_id": "A9", "amount": "30"},  # not in the export
        {"deal_id": "d5", "account_id": "A2", "amount": "-5"},  # its own fault first
    ]
    for deal in deals:
        deal["created_at"] = "2026-01-03 10:00"
    return {
        "accounts": raw_accounts,
        "contacts": _raw(contacts, "contacts.csv"),
        "deals": _raw(deals, "deals.csv"),
    }


def test_set_aside_deleted_and_unknown_accounts_are_told_apart():
    crm = assemble(_accounts_deals_contacts(), source="test", format="canonical")
    assert _reasons(crm, "accounts", "account_id") == {
        "A2": "unparseable employees",
        "A3": DELETED_IN_CRM,
    }
    assert _reasons(crm, "deals", "deal_id") == {
        "d4": "unknown account_id",
        "d5": "negative amount",  # not counted as kept below
    }
    # d3 is live: its account's deletion does not delete it (it was set aside as
    # `account_id deleted in the CRM`)
    assert crm.deals["deal_id"].tolist() == ["d1", "d2", "d3"]
    assert crm.deals["account_id"].tolist()[1:] == ["A2", pd.NA]
    assert _warnings(crm, "deals: ") == [
        f"deals: 1 deal names an account_id whose account {ASIDE} (unparseable employees): "
        "kept; account fields are missing for it",
        "deals: 1 deal names an account_id whose account is deleted in the CRM (kept, with no "
        "account: the deal itself is not deleted)",
    ]
    contacts = _warnings(crm, "contacts: ")
    assert contacts == [
        "contacts: 1 contact names an account_id whose account is deleted in the CRM (kept; "
        "account fields are missing for it)",
        f"contacts: 2 contacts name an account_id whose account {ASIDE} (unparseable "
        "employees): kept; account fields are missing for them",
        "contacts: 1 contact names an account_id that is not in the accounts table (kept; "
        "account fields are missing for it)",
    ]
    crm.quality.check()


def test_an_accounts_table_whose_every_row_was_set_aside_is_in_the_export():
    """Before, such a table counted as absent: no deal was checked against it at all (a deal
    naming an account the export does not hold was kept), while one good account row made
    the deals of the bad ones `unknown account_id`."""
    raw = {
        "accounts": _raw([{"account_id": "A2", "employees": "5000-1001"}], "accounts.csv"),
        "deals": _raw(
            [
                {"deal_id": "d2", "account_id": "A2", "created_at": "2026-01-03"},
                {"deal_id": "d9", "account_id": "A9", "created_at": "2026-01-03"},
            ],
            "deals.csv",
        ),
    }
    crm = assemble(raw, source="test", format="canonical")
    assert crm.accounts.empty
    assert crm.deals["deal_id"].tolist() == ["d2"]
    assert _reasons(crm, "deals", "deal_id") == {"d9": "unknown account_id"}
    assert len(_warnings(crm, "deals: 1 deal names an account_id whose account " + ASIDE)) == 1


def test_an_account_id_set_aside_as_written_is_matched_as_read():
    """A row set aside while typed keeps the export's own text (`10.0`, as a spreadsheet
    writes an id); the deals' `10` names that record."""
    raw = {
        "accounts": _raw(
            [{"account_id": "10.0", "employees": "11-"}, {"account_id": "11"}], "a.csv"
        ),
        "deals": _raw([{"deal_id": "d1", "account_id": "10", "created_at": "2026-01-03"}], "d.csv"),
    }
    crm = assemble(raw, source="test", format="canonical")
    assert crm.deals["deal_id"].tolist() == ["d1"]
    assert crm.quality.set_aside("deals").empty


@pytest.mark.parametrize("typed_apart", ["touchpoints", "contacts"])
def test_events_of_a_contact_set_aside_are_kept_not_unknown(typed_apart):
    """Touchpoints are checked on the thread that types them, against the contacts as typed:
    a contact set aside while typed (an unreadable created_at) is in the export all the
    same, whichever table is typed apart (the largest)."""
    big = 50
    contacts = [
        {"contact_id": "1", "created_at": "2026-01-01 10:00"},
        {"contact_id": "3", "created_at": "yesterday"},  # set aside: a fault
    ] + [
        {"contact_id": str(100 + i), "created_at": "2026-01-05 10:00"}
        for i in range(big if typed_apart == "contacts" else 0)
    ]
    touches = [
        {"touchpoint_id": "t1", "contact_id": "1"},
        {"touchpoint_id": "t3", "contact_id": "3"},  # kept
        {"touchpoint_id": "t9", "contact_id": "9"},  # not in the export
    ] + [
        {"touchpoint_id": f"x{i}", "contact_id": "1"}
        for i in range(big if typed_apart == "touchpoints" else 0)
    ]
    for touch in touches:
        touch.update(occurred_at="2026-01-06 10:00", channel="email")
    raw = {"contacts": _raw(contacts, "c.csv"), "touchpoints": _raw(touches, "t.csv")}
    crm = assemble(raw, source="test", format="canonical")
    assert _reasons(crm, "touchpoints", "touchpoint_id") == {"t9": "unknown contact_id"}
    assert {"t1", "t3"} <= set(crm.touchpoints["touchpoint_id"])
    assert _warnings(crm, "touchpoints: ") == [
        f"touchpoints: 1 touchpoint names a contact_id whose contact {ASIDE} (unparseable "
        "created_at): kept; contact fields are missing for it"
    ]
    crm.quality.check()


def test_a_deal_of_a_contact_missing_its_created_at_is_kept():
    raw = {
        "contacts": _raw(
            [{"contact_id": "1", "created_at": "2026-01-01"}, {"contact_id": "2"}], "c.csv"
        ),
        "deals": _raw(
            [{"deal_id": "d1", "contact_id": "2", "created_at": "2026-01-03", "amount": "5"}],
            "d.csv",
        ),
    }
    crm = assemble(raw, source="test", format="canonical")
    assert _reasons(crm, "contacts", "contact_id") == {"2": "missing created_at"}
    assert crm.deals["deal_id"].tolist() == ["d1"]
    assert _warnings(crm, "deals: ") == [
        f"deals: 1 deal names a contact_id whose contact {ASIDE} (missing created_at): "
        "kept; contact fields are missing for it"
    ]
