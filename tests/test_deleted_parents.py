"""A deal that is itself live but names a contact or an account the export marks deleted is
loaded, with no contact (account), and counted: a CRM deletes no deal with its contact
(HubSpot, Pipedrive, Salesforce), so the deal is still pipeline and won revenue. It was set
aside as `contact_id deleted in the CRM` / `account_id deleted in the CRM`. The touchpoints
and activities of a deleted contact stay set aside: they are no lead's any more.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_sf_deleted import _deleted, _export, _reason
from test_sql import accounting_holds, fivetran_tables, make_db

import smk
from smk import sla
from smk.io.parse import salesforce_id18
from smk.io.salesforce import load_salesforce
from smk.model import PARENT_DELETED

KEPT_CONTACT = (
    "deals: 1 deal names a contact_id whose contact is deleted in the CRM (kept, with no "
    "contact: the deal itself is not deleted)"
)
KEPT_ACCOUNT = (
    "deals: 1 deal names an account_id whose account is deleted in the CRM (kept, with no "
    "account: the deal itself is not deleted)"
)


def _no_contact(crm) -> list[str]:
    return [w for w in crm.quality.warnings if "name no contact" in w]


@pytest.fixture
def fivetran(tmp_path):
    """The hunter's case in the test sync: won deal 7001 (12,000.50 EUR, closed 2026-02)
    associated with contact 106 alone, which the sync marks `_fivetran_deleted`; open deal
    7004 with company 5003, marked `is_deleted`."""
    tables = fivetran_tables()
    deal_contact = tables["deal_contact"]
    tables["deal_contact"] = deal_contact.assign(
        contact_id=deal_contact["contact_id"].mask(deal_contact["deal_id"] == 7001, 106)
    ).drop_duplicates()
    extra = pd.DataFrame({"deal_id": [7004], "company_id": [5003]}, dtype="Int64")
    tables["deal_company"] = pd.concat([tables["deal_company"], extra], ignore_index=True)
    return smk.load(make_db(tmp_path, "duckdb", tables))


def test_a_live_deal_of_a_deleted_contact_or_company_is_loaded_with_no_one(fivetran):
    crm = fivetran
    accounting_holds(crm)
    deals = crm.deals.set_index("deal_id")
    assert {"7001", "7004"} <= set(deals.index)
    assert pd.isna(deals.loc["7001", "contact_id"]) and pd.isna(deals.loc["7004", "account_id"])
    assert deals.loc["7001", "account_id"] == "5001"  # its live company stays
    assert crm.quality.tables["deals"].reasons() == {"unknown account_id": 1}  # 7005
    assert KEPT_CONTACT in crm.quality.warnings and KEPT_ACCOUNT in crm.quality.warnings
    # the deleted contact's own work stays set aside (engagement 8004)
    assert crm.quality.tables["activities"].reasons()[PARENT_DELETED["contact_id"]] == 1
    won = sla.pipeline_by_month(sla.deal_table(crm, {"EUR": 1.0, "GBP": 1.0}, "EUR")).set_index(
        "month"
    )
    assert won.loc["2026-02", "won_revenue"] == pytest.approx(12_000.5)


def test_deals_of_a_deleted_contact_are_counted_once_among_those_of_no_one(fivetran):
    """7001 (contact deleted) and 7004 (no association) name no contact: one count, which
    says how many of them named a deleted contact, as the funnel page's count does."""
    assert _no_contact(fivetran) == [
        "deals: 2 of 4 deals (1 of them won) name no contact (1 named a contact deleted in the "
        "CRM; the other: an empty contact_id): they count in pipeline created, won revenue and "
        "win rate, but none is pipeline from MQLs, none makes a contact an opportunity or a "
        "customer where those stages are dated by the deals (Salesforce), and attribution has "
        "no one to follow for them: give each deal its contact_id"
    ]
    months = sla.pipeline_by_month(sla.deal_table(fivetran, {"EUR": 1.0, "GBP": 1.0}, "EUR"))
    assert months["deals_without_contact"].sum() == 2


def test_deals_whose_contacts_are_all_deleted_ask_the_export_for_nothing(tmp_path):
    tables = fivetran_tables()
    tables["deal_contact"] = pd.DataFrame({"deal_id": [7001], "contact_id": [106]}, dtype="Int64")
    tables["deal"] = tables["deal"][tables["deal"]["deal_id"] == 7001]
    crm = smk.load(make_db(tmp_path, "duckdb", tables))
    (said,) = _no_contact(crm)
    assert said.startswith(
        "deals: 1 of 1 deals (1 of them won) name no contact (1 named a contact deleted in the "
        "CRM): they count"
    )
    assert said.endswith("attribution has no one to follow for them")


MAPPING = """\
name: pd
data: ./pd
tables:
  contacts:
    files: ["people*"]
    columns:
      contact_id: ["Person - ID"]
      email: ["Person - Email"]
      created_at: ["Person - Person created"]
    deleted: {from: "Person - Status", pattern: "^deleted$"}
  deals:
    files: ["deals*"]
    columns:
      deal_id: ["Deal - ID"]
      contact_id: ["Deal - Contact person ID"]
      created_at: ["Deal - Deal created"]
      amount: ["Deal - Value"]
"""


def test_a_mapping_s_deleted_contact_leaves_its_deal_loaded(tmp_path):
    data = tmp_path / "pd"
    data.mkdir()
    (data / "people.csv").write_text(
        "Person - ID,Person - Email,Person - Person created,Person - Status\n"
        "1,a@x.example,2026-01-05 09:00:00,active\n"
        "2,b@x.example,2026-01-06 09:00:00,deleted\n"
    )
    (data / "deals.csv").write_text(
        "Deal - ID,Deal - Contact person ID,Deal - Deal created,Deal - Value\n"
        "100,1,2026-01-10 10:00:00,500\n"
        "101,2,2026-01-11 10:00:00,700\n"
    )
    (tmp_path / "pd.yaml").write_text(MAPPING)
    crm = smk.load(data, mapping=tmp_path / "pd.yaml")
    crm.quality.check()
    assert crm.deals["deal_id"].tolist() == ["100", "101"]
    assert crm.deals["contact_id"].tolist() == ["1", pd.NA]
    assert KEPT_CONTACT in crm.quality.warnings


O2 = salesforce_id18("0065g00000OpBb2")
C1, C2 = salesforce_id18("0035g00000CtAa1"), salesforce_id18("0035g00000CtBb2")


def test_a_salesforce_opportunity_of_a_deleted_contact_goes_to_a_live_contact_role(tmp_path):
    """O2's ContactId names C2, marked deleted; a live contact role names C1: the deal is
    C1's, as Salesforce clears a lookup to a deleted record. Without the role it loads with
    no contact (it was set aside as `contact_id deleted in the CRM` either way)."""
    export = _export(tmp_path, {"Contact.csv": _deleted(C2)})
    roles = pd.read_csv(export / "OpportunityContactRole.csv", dtype=str, encoding="utf-8-sig")
    roles = roles[roles["OpportunityId"] != O2]
    roles.to_csv(export / "OpportunityContactRole.csv", index=False)
    opps = pd.read_csv(export / "Opportunity.csv", dtype=str, encoding="utf-8-sig")
    assert opps.loc[opps["Id"] == O2, "ContactId"].tolist() == [C2]
    alone = load_salesforce(export)
    alone.quality.check()
    assert _reason(alone, "deals", "deal_id", O2) == []
    assert alone.deals.loc[alone.deals["deal_id"] == O2, "contact_id"].isna().all()
    assert KEPT_CONTACT in alone.quality.warnings
    role = {"Id": salesforce_id18("00K5g00000RlZz9"), "OpportunityId": O2, "ContactId": C1}
    pd.concat([roles, pd.DataFrame([role])]).to_csv(
        export / "OpportunityContactRole.csv", index=False
    )
    crm = load_salesforce(export)
    crm.quality.check()
    assert crm.deals.loc[crm.deals["deal_id"] == O2, "contact_id"].fillna("").tolist() == [C1]
    assert KEPT_CONTACT not in crm.quality.warnings
