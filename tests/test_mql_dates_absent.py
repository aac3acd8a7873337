"""Pipeline from MQLs of an export that records no MQL dates (Pipedrive, Zoho through a mapping
file): which deals came from MQLs cannot be told, so the figure is unknown ("no data"), not a
measured 0 judged "missed" (docs/funnel-sla.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import smk
from smk import outputs, scorecard, sla
from smk.io.mapping import builtin_mapping
from smk.model import CRM, make_table
from smk.sla import SLA

FIXTURES = Path(__file__).parent / "fixtures"
FX = {"EUR": 1.0, "USD": 0.9, "GBP": 1.2, "CHF": 1.0, "PLN": 0.25}
AGREEMENT = SLA(pipeline_target=500_000)

# the small exports here end before the months they are scored for, which `mql_leads` warns of
pytestmark = pytest.mark.filterwarnings("ignore:as_of .* after the export's last record")


@pytest.fixture(scope="module")
def pipedrive() -> CRM:
    """The Pipedrive fixture: person labels for stages, no stage dates; deals in Jan-Feb 2026."""
    return smk.load(FIXTURES / "pipedrive", mapping=builtin_mapping("pipedrive").path)


def test_a_pipedrive_scorecard_has_no_pipeline_from_mqls_not_a_missed_zero(pipedrive):
    card = scorecard.kpi_scorecard(pipedrive, "2026-02", AGREEMENT, FX, "EUR").set_index("id")
    row = card.loc["pipeline_from_mqls"]
    assert np.isnan(row["actual"])
    assert row["status"] == "no data"  # not "missed" against the 500,000 target
    assert row["note"] == sla.NO_MQL_DATES
    assert "which deals came from MQLs cannot be told" in row["note"]
    assert np.isnan(row["previous_month"]) and np.isnan(row["change_vs_previous_month"])
    assert card.loc["pipeline_created", "actual"] > 0  # the deals themselves are counted


def test_the_funnel_page_and_metrics_say_unknown(pipedrive, tmp_path):
    deals = sla.deal_table(pipedrive, FX, "EUR", as_of="2026-03-01")
    assert deals.attrs[sla.MQL_DATES_IN_EXPORT] is False
    assert deals["mql_sourced"].isna().all()  # no deal's sourcing is known
    pipeline = sla.pipeline_by_month(deals)
    assert pipeline["mql_pipeline"].isna().all()
    assert pipeline["mql_deals"].isna().all() and pipeline["mql_deals_without_amount"].isna().all()
    assert (pipeline["deals_created"] > 0).any()
    month = pipeline.set_index("month").loc["2026-02"]
    text = sla.pipeline_text(month, "2026-02", "EUR")
    line = "from MQLs (the contact was an MQL before the deal): unknown (the export records no "
    assert line in text and "0 of" not in text
    details = scorecard.kpi_details(None, month, AGREEMENT)
    assert "pipeline_from_mqls" not in details and details["pipeline_created"] == "4 deals"
    card = scorecard.kpi_scorecard(pipedrive, "2026-02", AGREEMENT, FX, "EUR")
    kpis = {"kpis": scorecard.scorecard_kpis(card, details)}
    written = json.loads(outputs.write_metrics(tmp_path, "funnel_sla", kpis).read_text())
    tile = next(k for k in written["kpis"] if k["id"] == "pipeline_from_mqls")
    assert tile["value"] is None and tile["status"] == "no data"
    assert tile["detail"] == sla.NO_MQL_DATES
    assert tile.get("previous") is None  # no change against an n/a


def _canonical(mql_dates: bool) -> CRM:
    """Two contacts at lifecycle stage mql, each with a deal created after it: one with its MQL
    date on record when `mql_dates`, the other imported without stage history."""
    base = {"owner_id": "rep", "original_source": "email", "account_id": "a1"}
    contacts = [
        {**base, "contact_id": "c1", "created_at": "2026-10-01", "lifecycle_stage": "mql",
         "became_mql_at": "2026-10-02" if mql_dates else None},
        {**base, "contact_id": "c2", "created_at": "2026-10-03", "lifecycle_stage": "mql"},
    ]  # fmt: skip
    deal = {"account_id": "a1", "is_closed": False, "is_won": False, "currency": "EUR"}
    deals = [
        {**deal, "deal_id": "d1", "contact_id": "c1", "created_at": "2026-10-10", "amount": 1e3},
        {**deal, "deal_id": "d2", "contact_id": "c2", "created_at": "2026-10-12", "amount": 2e3},
    ]
    acts = [{"activity_id": "1", "contact_id": "c1", "occurred_at": "2026-10-30", "type": "call"}]
    return CRM(
        contacts=make_table("contacts", contacts),
        deals=make_table("deals", deals),
        activities=make_table("activities", acts),
    )


def test_an_export_with_some_mql_dates_counts_as_before():
    crm = _canonical(mql_dates=True)
    values, notes = scorecard.kpi_values_with_notes(crm, "2026-10", AGREEMENT, FX, "EUR")
    assert values["pipeline_from_mqls"] == pytest.approx(3_000)  # c2 from its lifecycle stage
    assert "pipeline_from_mqls" not in notes
    deals = sla.deal_table(crm, FX, "EUR", as_of="2026-11-01")
    assert deals["mql_sourced"].tolist() == [True, True]


def test_an_empty_mql_date_column_is_no_mql_date_on_record():
    crm = _canonical(mql_dates=False)
    assert "became_mql_at" in crm.contacts and crm.contacts["became_mql_at"].isna().all()
    values, notes = scorecard.kpi_values_with_notes(crm, "2026-10", AGREEMENT, FX, "EUR")
    assert np.isnan(values["pipeline_from_mqls"])
    assert notes["pipeline_from_mqls"] == sla.NO_MQL_DATES
    assert values["pipeline_created"] == pytest.approx(3_000)
    table = sla.pipeline_by_month(sla.deal_table(crm, FX, "EUR", as_of="2026-11-01"))
    assert pd.isna(table.set_index("month").loc["2026-10", "mql_deals"])
