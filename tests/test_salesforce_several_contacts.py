"""A Salesforce opportunity of several contacts was judged by one of them.

Pipeline from MQLs counts a deal when any of its contacts was an MQL on record before it
(`smk.sla.deal_contacts`: `contact_id` and `contact_ids_all`). The Salesforce load kept one
contact per opportunity (ContactId, else its primary contact role, else its first, else the
converted Lead's) and no `contact_ids_all`: an opportunity whose MQL was a second,
non-primary role was not from MQLs, and the order of the role rows changed the figure. It
keeps them all in `contact_ids_all` (its `contact_id` first), as HubSpot's load does.

Each test copies the Data Loader fixture (tests/fixtures/salesforce/dataloader/).
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pandas as pd
from test_sf_deleted import _export

import smk
from smk import sla
from smk.io.parse import salesforce_id18
from smk.io.salesforce import load_salesforce

FIXTURE = Path(__file__).parent / "fixtures" / "salesforce" / "dataloader"
#: Ada, an MQL on 29 Jan 2024; Dieter, never one; O3, created 1 Feb 2024, names no ContactId
ADA, DIETER = salesforce_id18("0035g00000CtAa1"), salesforce_id18("0035g00000CtDd4")
BERTRAND = salesforce_id18("0035g00000CtBb2")
O2, O3 = salesforce_id18("0065g00000OpBb2"), salesforce_id18("0065g00000OpCc3")
FX = {"EUR": 1.0, "GBP": 1.0, "USD": 1.0}


def _with_roles(tmp_path: Path, name: str, roles: list[tuple[str, str]]) -> Path:
    """The fixture with O3's contact roles `roles` (contact, IsPrimary), in that order."""
    export = shutil.copytree(FIXTURE, tmp_path / name)
    path = export / "OpportunityContactRole.csv"
    table = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    ours = pd.DataFrame(
        {
            "Id": [salesforce_id18(f"00K5g00000Rl{i:03d}") for i in range(len(roles))],
            "OpportunityId": O3,
            "ContactId": [c for c, _ in roles],
            "Role": "Evaluator",
            "IsPrimary": [p for _, p in roles],
        }
    )
    pd.concat([table[table["OpportunityId"] != O3], ours]).to_csv(path, index=False)
    return export


def _load(export: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        crm = load_salesforce(export)
    crm.quality.check()  # rows read = loaded + set aside
    return crm


def _deal(crm, deal_id: str) -> pd.Series:
    return crm.deals.set_index("deal_id").loc[deal_id]


def _from_mqls(crm) -> pd.DataFrame:
    months = sla.pipeline_by_month(sla.deal_table(crm, FX, "EUR", as_of="2025-01-01"))
    return months[["month", "mql_deals", "mql_pipeline"]]


def test_the_order_of_an_opportunitys_contact_roles_changes_no_pipeline_from_mqls(tmp_path):
    """O3's MQL (Ada) is its second, non-primary role: O3 is from MQLs whatever the order
    of its roles or which is primary; its `contact_id` stays the one chosen before."""
    orders = {
        "dieter_first": [(DIETER, "0"), (ADA, "0")],
        "ada_first": [(ADA, "0"), (DIETER, "0")],
        "dieter_primary": [(DIETER, "1"), (ADA, "0")],
    }
    crms = {name: _load(_with_roles(tmp_path, name, roles)) for name, roles in orders.items()}
    first = _from_mqls(crms["dieter_first"])
    for name, crm in crms.items():
        pd.testing.assert_frame_equal(_from_mqls(crm), first, obj=name)
        table = sla.deal_table(crm, FX, "EUR", as_of="2025-01-01").set_index("deal_id")
        assert bool(table.loc[O3, "mql_sourced"]), name
    assert first.set_index("month").loc["2024-02", "mql_deals"] == 2  # Ada's O1 and O3
    chosen = {name: _deal(crm, O3)["contact_id"] for name, crm in crms.items()}
    assert chosen == {"dieter_first": DIETER, "ada_first": ADA, "dieter_primary": DIETER}
    assert _deal(crms["dieter_first"], O3)["contact_ids_all"] == f"{DIETER};{ADA}"
    assert _deal(crms["ada_first"], O3)["contact_ids_all"] == f"{ADA};{DIETER}"


def test_an_opportunity_of_one_contact_lists_none(tmp_path):
    """Only an opportunity of several contacts has a `contact_ids_all`: O1 and O2 (their
    ContactId and converted Lead name one person) and O4 (one role) have none."""
    crm = _load(_with_roles(tmp_path, "two", [(DIETER, "1"), (ADA, "0")]))
    lists = crm.deals.set_index("deal_id")["contact_ids_all"]
    assert lists.notna().sum() == 1
    assert lists[O3] == f"{DIETER};{ADA}"


def test_the_converted_leads_contact_is_one_of_the_opportunitys(tmp_path):
    """O2's ContactId is Dieter (never an MQL) and the Lead converted into it Bertrand's (an
    MQL before O2): O2 stays Dieter's and is from MQLs by Bertrand."""
    export = _export(tmp_path, {"Opportunity.csv": {O2: {"ContactId": DIETER}}})
    crm = _load(export)
    deal = _deal(crm, O2)
    assert (deal["contact_id"], deal["contact_ids_all"]) == (DIETER, f"{DIETER};{BERTRAND}")
    table = sla.deal_table(crm, FX, "EUR", as_of="2025-01-01").set_index("deal_id")
    assert bool(table.loc[O2, "mql_sourced"])


def test_a_models_round_trip_keeps_the_contact_lists(tmp_path):
    """The model written and read back (`CRM.to_parquet`, `smk.load`) keeps `contact_ids_all`,
    so its pipeline from MQLs is the export's."""
    crm = _load(_with_roles(tmp_path, "two", [(DIETER, "1"), (ADA, "0")]))
    crm.to_parquet(tmp_path / "model")
    back = smk.load(tmp_path / "model")
    assert _deal(back, O3)["contact_ids_all"] == f"{DIETER};{ADA}"
    pd.testing.assert_frame_equal(_from_mqls(back), _from_mqls(crm))
