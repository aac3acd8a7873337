"""Deals the funnel cannot place are said where their figures are shown.

An Opportunity.csv without ContactId (the Data Loader's header), with no contact roles and no
converted lead, loaded its deals with no contact and said nothing: the funnel showed no
opportunity or customer and the tile "Pipeline from MQLs 0 of 8 deals (the contact was an MQL
before the deal)" read as if the contacts were no MQLs. Deals at stage values smk cannot tell
open from closed (HubSpot stages renamed, `Signed`) were warned of on the data-quality page
only, while the funnel page and the index showed "0 deals won" without a caveat.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import smk
from smk import scorecard, sla
from smk.io import mapping

ROOT = Path(__file__).parent.parent
SF_FIXTURE = ROOT / "tests" / "fixtures" / "salesforce" / "dataloader"
HUBSPOT = ROOT / "data" / "sample" / "hubspot"
OCTOBER = "2026-10"
FX = {"EUR": 1.0, "USD": 0.92}
NOVEMBER = pd.Timestamp("2026-11-01", tz="UTC")


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _no_one_on_the_opportunities(tmp_path: Path) -> Path:
    """The Data Loader fixture as the real export often is: Opportunity.csv without ContactId,
    no OpportunityContactRole.csv, no lead converted into an opportunity."""
    export = shutil.copytree(SF_FIXTURE, tmp_path / "sf")
    (export / "OpportunityContactRole.csv").unlink()
    opps = _csv(export / "Opportunity.csv").drop(columns="ContactId")
    opps.to_csv(export / "Opportunity.csv", index=False)
    leads = _csv(export / "Lead.csv").drop(columns="ConvertedOpportunityId")
    leads.to_csv(export / "Lead.csv", index=False)
    return export


def _hubspot(tmp_path: Path, **deal_changes: dict[str, str]) -> Path:
    """The HubSpot sample with its deals' columns' values replaced (`column={old: new}`)."""
    export = shutil.copytree(HUBSPOT, tmp_path / "hs")
    path = next(export.glob("*deals*"))
    deals = _csv(path)
    for col, values in deal_changes.items():
        deals[col] = deals[col].replace(values)
    deals.to_csv(path, index=False)
    return export


def _said(crm: smk.CRM, start: str) -> list[str]:
    return [w for w in crm.quality.warnings if start in w]


# ------------------------------------------------------------- deals that name no contact
def test_salesforce_opportunities_that_name_no_one_are_warned_of(tmp_path):
    crm = smk.load(_no_one_on_the_opportunities(tmp_path))
    deals = crm.deals
    assert len(deals) and deals["contact_id"].isna().all()
    won = int(deals["is_won"].eq(True).sum())
    said = _said(crm, "name no contact")
    assert said == [
        f"deals: {len(deals)} of {len(deals)} deals ({won} of them won) name no contact (no "
        "ContactId, OpportunityContactRole, converted Lead or person account names one): they "
        "count in pipeline created, won revenue and win rate, but none is pipeline from MQLs, "
        "none makes a contact an opportunity or a customer where those stages are dated by the "
        "deals (Salesforce), and attribution has no one to follow for them: export "
        "Opportunity.ContactId (a report's Contact ID) or OpportunityContactRole.csv"
    ]


def test_the_fixture_with_its_contacts_says_nothing_of_them():
    crm = smk.load(SF_FIXTURE)
    assert crm.deals["contact_id"].notna().all()
    assert not _said(crm, "name no contact")


def test_hubspot_deals_without_an_associated_contact_are_the_same_check(tmp_path):
    sample = smk.load(HUBSPOT)
    assert not _said(sample, "name no contact")
    first = sample.deals.sort_values("deal_id")["contact_id"].iloc[:3].tolist()
    crm = smk.load(_hubspot(tmp_path, **{"Associated Contact IDs": dict.fromkeys(first, "")}))
    lacking = int(crm.deals["contact_id"].isna().sum())
    assert lacking >= 3
    (said,) = _said(crm, "name no contact")
    assert said.startswith(f"deals: {lacking} of {len(crm.deals)} deals (")
    assert "name no contact (no Associated Contact IDs)" in said
    assert said.endswith("export the deals' Associated Contact IDs")


def test_the_month_says_how_many_of_its_deals_name_no_contact():
    crm = smk.load(HUBSPOT)
    deals = sla.deal_table(crm, FX, "EUR", as_of=NOVEMBER)
    october = deals["created_month"].eq(OCTOBER)
    created = int(october.sum())
    assert created >= 2
    crm.deals.loc[crm.deals["deal_id"].isin(deals.loc[october, "deal_id"]), "contact_id"] = pd.NA
    deals = sla.deal_table(crm, FX, "EUR", as_of=NOVEMBER)
    row = sla.pipeline_by_month(deals, months=[OCTOBER]).iloc[0]
    assert row["deals_without_contact"] == created and row["mql_deals"] == 0
    details = scorecard.kpi_details(None, row)
    assert details["pipeline_from_mqls"] == (
        f"0 of {created} deals (the contact was an MQL before the deal); {created} name no contact"
    )
    assert (
        f"from MQLs (the contact was an MQL before the deal): 0 EUR, 0 of {created} deals; "
        f"{created} name no contact\n" in sla.pipeline_text(row, OCTOBER, "EUR")
    )


@pytest.mark.parametrize(("n", "said"), [(0, ""), (1, "; 1 names no contact")])
def test_no_contact_text_counts_in_words(n, said):
    assert sla.no_contact_text({"deals_without_contact": n}) == said
    assert sla.no_contact_text({}) == ""  # a row of before the column


# ------------------------------------------------- stages smk cannot tell open from closed
def test_deals_taken_as_open_are_a_caveat_of_the_won_figures(tmp_path):
    stages = {"Closed Won": "Signed"}
    crm = smk.load(_hubspot(tmp_path, **{"Deal Stage": stages}))
    signed = int(_csv(next(HUBSPOT.glob("*deals*")))["Deal Stage"].eq("Closed Won").sum())
    (warning,) = _said(crm, "values smk cannot tell open from closed")
    assert warning.startswith(f"deals.stage: {signed} deals read at stage values")
    note = sla.untold_stages_note(crm)
    assert note == (
        f"{signed} deals at stage values smk cannot tell open from closed are taken as open: "
        "any of them won is not counted (the data-quality page)"
    )
    deals = sla.deal_table(crm, FX, "EUR", as_of=NOVEMBER)
    row = sla.pipeline_by_month(deals, months=[OCTOBER]).iloc[0]
    details = scorecard.kpi_details(None, row, untold=note)
    assert details["won_revenue"] == f"{row['deals_won']} deals won; {note}"
    assert details["win_rate"].endswith(f" closed won; {note}")
    assert details["pipeline_created"] == f"{row['deals_created']} deals"  # not a won figure
    assert sla.pipeline_text(row, OCTOBER, "EUR", untold=note).endswith(
        f"\nwon revenue: 0 EUR\n{note}"
    )


def test_no_caveat_when_every_stage_is_told():
    assert sla.untold_stages_note(smk.load(HUBSPOT)) is None


def test_untold_deals_reads_both_warnings_that_take_deals_as_open():
    said = [
        "deals.Stage: 3 deals read at Stage values smk cannot tell open from closed: 'x' (3); ...",
        "deals.Stage: the is_closed rule lists no open values (`false_for`), so 1 deal read at Stage "
        "values its pattern does not match is taken as open, closed or not: 'y' (1); ...",
        "contacts.Status: 5 rows at values that say nothing of is_deleted: 'z' (5); ...",
    ]
    assert mapping.untold_deals(said) == 4
