"""Deals whose export names no currency, and the contacts `smk validate` counts by stage.

- A Salesforce org without multiple currencies (no CurrencyIsoCode on Opportunity: most orgs)
  was reported in EUR without a word: its dollars read as euros. Every load now warns once
  when deals have amounts but no currency, as it does of HubSpot's `Amount in company
  currency`, and the funnel page's money figures and tiles say the currency was assumed.
- `smk validate`'s "Contacts by lifecycle stage" left out the contacts without a stage: its
  lines did not add up to the contacts loaded.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import smk
from smk import scorecard, sla
from smk.cli import main

DATALOADER = Path(__file__).parent / "fixtures" / "salesforce" / "dataloader"
UNNAMED = "no deal names the currency of its amount"


def unnamed_warnings(crm: smk.CRM) -> list[str]:
    return [w for w in crm.quality.warnings if UNNAMED in w]


def canonical(folder: Path, deals: str) -> Path:
    """A canonical export of two contacts and the deals `deals` (CSV text)."""
    folder.mkdir()
    (folder / "contacts.csv").write_text(
        "contact_id,created_at,lifecycle_stage\n1,2026-01-04,lead\n2,2026-01-05,customer\n"
    )
    (folder / "deals.csv").write_text(deals)
    return folder


# ------------------------------------------------------------------------ the load's warning
def test_a_salesforce_org_without_currencies_is_warned_of_once(tmp_path: Path) -> None:
    export = shutil.copytree(DATALOADER, tmp_path / "org")
    opps = pd.read_csv(export / "Opportunity.csv", dtype=str, keep_default_na=False)
    opps.drop(columns="CurrencyIsoCode").to_csv(export / "Opportunity.csv", index=False)
    crm = smk.load(export)
    assert crm.deals["amount"].notna().any() and crm.deals["currency"].isna().all()
    [said] = unnamed_warnings(crm)
    assert said.startswith(f"deals: {UNNAMED} (Opportunity gives no CurrencyIsoCode")
    assert "the report takes the amounts to be in the reporting currency, EUR" in said
    assert "set it to the org's corporate currency" in said


def test_an_org_whose_opportunities_name_their_currency_warns_nothing() -> None:
    assert not unnamed_warnings(smk.load(DATALOADER))


@pytest.mark.parametrize(
    "deals",
    [
        "deal_id,created_at,amount\n7,2026-01-10,100\n8,2026-01-11,\n",
        "deal_id,created_at,amount,currency\n7,2026-01-10,100,\n8,2026-01-11,250,\n",
    ],
    ids=["no currency column", "currency column empty"],
)
def test_canonical_deals_without_currency_are_warned_of(tmp_path: Path, deals: str) -> None:
    [said] = unnamed_warnings(smk.load(canonical(tmp_path / "canon", deals)))
    assert "(the export has no currency column, or leaves it empty)" in said
    assert "set it to the amounts' currency if that is not EUR" in said


@pytest.mark.parametrize(
    "deals",
    [
        "deal_id,created_at,amount,currency\n7,2026-01-10,100,USD\n8,2026-01-11,250,\n",
        "deal_id,created_at,amount\n7,2026-01-10,\n",  # no amount: nothing to take in EUR
    ],
    ids=["one deal names it", "no amount"],
)
def test_deals_that_name_a_currency_or_have_no_amount_warn_nothing(
    tmp_path: Path, deals: str
) -> None:
    assert not unnamed_warnings(smk.load(canonical(tmp_path / "canon", deals)))


def test_hubspot_s_company_currency_is_said_once(tmp_path: Path) -> None:
    """The warning of `Amount in company currency` already says the amounts are taken to be
    in the reporting currency: no second warning of it."""
    path = tmp_path / "hubspot-crm-exports-all-deals-2026-03-02.csv"
    path.write_text(
        "Record ID,Deal Stage,Create Date,Amount in company currency\n"
        "1,Closed Won,2026-02-01 09:00,15876.90\n"
    )
    crm = smk.load(tmp_path)
    assert [w for w in crm.quality.warnings if "company currency" in w]
    assert not unnamed_warnings(crm)
    path.write_text(  # HubSpot's Amount alone (a portal with one currency): the new warning
        "Record ID,Deal Stage,Create Date,Amount\n1,Closed Won,2026-02-01 09:00,15876.90\n"
    )
    assert len(unnamed_warnings(smk.load(tmp_path))) == 1


# ---------------------------------------------------------------------- the funnel page's
def test_the_money_figures_say_the_currency_was_assumed(tmp_path: Path) -> None:
    deals = (
        "deal_id,created_at,closed_at,is_closed,is_won,amount\n"
        "7,2026-01-10,2026-01-20,true,true,100\n"
    )
    crm = smk.load(canonical(tmp_path / "canon", deals))
    note = sla.assumed_currency_note(crm, "EUR")
    assert note == (
        "no deal names its currency: the amounts are taken to be in EUR, the reporting "
        "currency (the data-quality page)"
    )
    table = sla.deal_table(crm, reporting_currency="EUR")
    row = sla.pipeline_by_month(table).set_index("month").loc["2026-01"]
    assert note in sla.pipeline_text(row, "2026-01", "EUR", assumed=note).splitlines()
    details = scorecard.kpi_details(None, row, assumed=note)
    assert details["pipeline_created"].endswith(f"; {note}")
    assert details["won_revenue"].endswith(f"; {note}")
    assert note not in details.get("win_rate", "")


def test_no_note_when_the_export_names_the_currency(tmp_path: Path) -> None:
    deals = "deal_id,created_at,amount,currency\n7,2026-01-10,100,EUR\n"
    crm = smk.load(canonical(tmp_path / "canon", deals))
    assert sla.assumed_currency_note(crm, "EUR") is None


@pytest.mark.parametrize(
    ("notebook", "settings", "role"),
    [
        ("02_segmentation.ipynb", {"n_segments": 2}, "the reporting currency"),
        ("04_attribution.ipynb", {"models": ["linear"], "n_boot": 10}, "the reporting currency"),
    ],
)
def test_the_segmentation_and_attribution_pages_say_the_currency_was_assumed(
    tmp_path: Path, notebook: str, settings: dict, role: str
) -> None:
    """Their won revenue, deal sizes, values credited and return on ad spend are money too:
    an org without currencies had them in EUR without a word (left alone in session 25). The
    attribution page values deals and spend in the reporting currency too (session 27)."""
    import papermill as pm

    from smk import config
    from smk.report import ensure_kernel, kernel_manager_class

    export = shutil.copytree(config.SAMPLE_SALESFORCE, tmp_path / "org")
    opps = pd.read_csv(export / "Opportunity.csv", dtype=str, keep_default_na=False)
    opps.drop(columns="CurrencyIsoCode").to_csv(export / "Opportunity.csv", index=False)
    params = {"data_path": str(export), "output_dir": str(tmp_path / "out"), **settings}
    executed = pm.execute_notebook(
        str(config.NOTEBOOKS_DIR / notebook), str(tmp_path / "run.ipynb"), parameters=params,
        cwd=str(tmp_path), kernel_name=ensure_kernel(), kernel_manager_class=kernel_manager_class(),
        progress_bar=False,
    )  # fmt: skip
    printed = [
        line
        for c in executed.cells
        for o in c.get("outputs", [])
        for line in o.get("text", "").splitlines()
    ]
    assert printed.count(sla.assumed_currency_note(smk.load(export), "EUR", role)) == 1


# --------------------------------------------------------------- smk validate's stage table
def test_validate_counts_the_contacts_without_a_stage(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "canon"
    folder.mkdir()
    (folder / "contacts.csv").write_text(
        "contact_id,created_at,lifecycle_stage\n"
        "1,2026-01-04,lead\n2,2026-01-05,\n3,2026-01-06,\n4,2026-01-07,customer\n"
    )
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    table = out.split("Contacts by lifecycle stage\n")[1].splitlines()
    counts = {line.rsplit(maxsplit=1)[0].strip(): int(line.split()[-1]) for line in table}
    assert counts["(no stage)"] == 2
    assert (counts["lead"], counts["customer"]) == (1, 1)
    assert sum(counts.values()) == 4  # the contacts loaded


def test_deals_some_of_which_name_no_currency_are_counted(tmp_path):
    """Two deals in USD and one with an amount but no currency: the third was taken to be in
    the reporting currency without a word (F8 of session 25 left it alone)."""
    (tmp_path / "deals.csv").write_text(
        "deal_id,created_at,amount,currency\n"
        "d1,2026-01-05,100,USD\nd2,2026-01-05,200,USD\nd3,2026-01-05,300,\nd4,2026-01-05,,\n"
    )
    crm = smk.load(tmp_path, format="canonical")
    said = [w for w in crm.quality.warnings if "name no currency" in w]
    assert said == [
        "deals: 1 of 3 deals with an amount name no currency: the report takes their amounts to "
        "be in the reporting currency (EUR unless reporting_currency in the params file names "
        "another), whatever the other deals' currencies; give each deal its currency"
    ]
