"""The report's index compares a deal figure only with one of the same pipelines.

* serA of session 24 published 2026-07..10 with every pipeline counted; 2026-09 run again with
  `pipelines: [new business]` showed "Won revenue −194,803 EUR (vs 221,996)" on the index: the
  new-business figure minus September's of every pipeline, while the page's own previous month
  (new business only) was 120,292. A deal tile now records the pipelines it counts (`basis`;
  none recorded: every pipeline, as months published before counted), on the funnel page,
  the segmentation page's tiles of won deals and the attribution page's of deal conversions.
* "n/a this month; no previous month" was said of the SLA tiles of an export without
  activities whose previous month the export covers (its MQL tile said "+5 vs previous
  month"): "no previous value".
"""

from __future__ import annotations

import json
import warnings
from dataclasses import replace

import pandas as pd
import pytest
from test_kpi_comparisons import CONTEXT, FX, OCTOBER, _tiles
from test_pipelines_recorded import _publish_notebook

import smk
from smk import attribution, config, periods, report, scorecard, scoring
from smk import segmentation as sg
from smk.report import _change, _kpi_text, write_month_index
from smk.sla import SLA

NEW = ["new business"]
DEAL_TILES = ("pipeline_from_mqls", "pipeline_created", "won_revenue", "win_rate")


@pytest.fixture(scope="module")
def hubspot() -> smk.CRM:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the sample's planted faults, set aside and counted
        return smk.load(config.SAMPLE_HUBSPOT)


def _funnel_index(tmp_path, september: list[dict], october: list[dict]) -> dict[str, str]:
    """October's index after a September whose funnel page ran with every pipeline."""
    for month, kpis in (("2026-09", september), ("2026-10", october)):
        (tmp_path / month).mkdir()
        metrics = json.dumps({"funnel_sla": {"currency": "EUR", "kpis": kpis}})
        (tmp_path / month / "metrics.json").write_text(metrics)
    _publish_notebook(tmp_path / "2026-09", "01_funnel_sla.ipynb", {}, "pipelines: list = []")
    folder = tmp_path / "2026-10"
    (folder / "metrics-funnel_sla.json").write_text(
        json.dumps({"currency": "EUR", "kpis": october})
    )
    return _tiles(write_month_index(folder, OCTOBER, [], CONTEXT, tmp_path).read_text())


def test_a_deal_tile_of_some_pipelines_is_not_compared_with_all_pipelines(hubspot, tmp_path):
    september = scorecard.scorecard_kpis(
        scorecard.kpi_scorecard(hubspot, "2026-09", SLA(), FX, "EUR")
    )
    assert not any("basis" in k for k in september if k["id"] in DEAL_TILES)  # all: the default
    card = scorecard.kpi_scorecard(hubspot.of_pipelines(NEW), OCTOBER, SLA(), FX, "EUR")
    october = scorecard.scorecard_kpis(card)
    basis = {k["id"]: k.get("basis") for k in october}
    assert all(basis[kpi] == {"pipelines": NEW} for kpi in DEAL_TILES)
    assert basis["mqls"] is None and "pipelines" not in basis["speed_to_lead_hours"]
    tiles = _funnel_index(tmp_path, september, october)
    won = {k["id"]: k for k in october}["won_revenue"] | {"currency": "EUR"}
    published = {k["id"]: k for k in september}["won_revenue"]["value"]
    assert won["previous"] != published  # new business only, as this month
    alike = _kpi_text(abs(won["value"] - won["previous"]), won)
    assert tiles["won_revenue"].endswith(
        f"vs previous month measured this way (reported then: {_kpi_text(published, won)}, "
        "measured differently: pipelines all)"
    )
    assert alike in tiles["won_revenue"]
    assert _kpi_text(abs(won["value"] - published), won) not in tiles["won_revenue"]
    # the SLA tiles count no deal: compared with September's as before
    assert "measured" not in tiles["share_within_sla"]


def test_a_tile_without_its_own_previous_is_not_compared_across_pipelines():
    """Segmentation and attribution tiles give no `previous`: the published one is compared
    only when it counted the same pipelines (none recorded: every one)."""
    month = periods.as_month("2026-09")
    some = {"id": "x", "label": "Won revenue from the top segment", "format": "pct"}
    now = some | {"value": 0.5, "basis": {"pipelines": NEW}}
    # published before tiles recorded a basis, its page with every pipeline
    then = {"x": some | {"value": 0.9, report.PAGE_PIPELINES: []}}
    assert _change(now, then, month) == (
        "was 90.0% the previous month, measured differently: pipelines all"
    )
    back = {"x": now | {"value": 0.9}}  # this month every pipeline again
    assert _change(some | {"value": 0.5}, back, month) == (
        'was 90.0% the previous month, measured differently: pipelines ["new business"]'
    )
    assert _change(now, back, month) == "−40.0 pts vs previous month"  # the same pipelines


@pytest.mark.filterwarnings("ignore:deal amounts are in EUR, USD and no fx rates were given")
def test_the_segmentation_and_attribution_tiles_record_the_pipelines(hubspot):
    new = hubspot.of_pipelines(NEW)
    assert new.pipelines_basis() == {"pipelines": NEW} and hubspot.pipelines_basis() == {}
    features = sg.account_features(new, "2026-11-01")
    model = sg.AccountSegmenter(n_segments=3, random_state=0).fit(features)
    run = sg.SegmentationRun(model, model.assign(features), True, "2026-10", "")
    profiles = sg.persona_profiles(new, run.assignments, "2026-11-01")
    profiles.insert(1, "persona", sg.name_personas(profiles))
    tiles = sg.segmentation_kpis(new, run, profiles, sg.rfm_table(new, "2026-11-01"))
    basis = {t["id"]: t.get("basis") for t in tiles}
    assert basis == {
        "segments": None,
        "top_segment_revenue_share": {"pipelines": NEW},  # won deals
        "rfm_customers_at_risk": {"pipelines": NEW},
        "accounts_changed_segment": None,
    }
    window = {"start": "2025-11-01", "end": "2026-11-01"}
    won = attribution.journeys(new, "won", **window)
    assert won.pipelines == {"pipelines": NEW}
    assert attribution.journeys(new, "sql", **window).pipelines == {}  # contacts: no deals
    top = attribution.attribute(won, "linear").iloc[0]
    kpis = attribution.report_kpis(top, "linear", won, 90, OCTOBER, 12)
    assert [k["basis"] for k in kpis] == [{"pipelines": NEW}] * 3


def test_lead_scoring_of_won_deals_records_the_pipelines(hubspot):
    """Its tiles' `basis` is the lead table's `spec` (03_lead_scoring)."""
    new = hubspot.of_pipelines(NEW)
    won = scoring.lead_features(new, "2026-11-01", target="won_deal").attrs["spec"]
    assert won == {"target": "won_deal", "within_days": 60, "score_after_days": 7} | {
        "pipelines": NEW
    }
    assert "pipelines" not in scoring.lead_features(new, "2026-11-01").attrs["spec"]  # SQL
    assert (
        "pipelines"
        not in scoring.lead_features(hubspot, "2026-11-01", target="won_deal").attrs["spec"]
    )


def test_an_na_tile_whose_previous_month_is_covered_says_no_previous_value(hubspot, tmp_path):
    quiet = replace(hubspot, activities=hubspot.activities.iloc[:0])
    kpis = scorecard.scorecard_kpis(scorecard.kpi_scorecard(quiet, OCTOBER, SLA(), FX, "EUR"))
    sla_tile = {k["id"]: k for k in kpis}["speed_to_lead_hours"]
    assert pd.isna(sla_tile["value"]) and sla_tile["previous"] is None
    assert _change(sla_tile, {}, OCTOBER.previous) == "n/a this month; no previous value"
    # the first month of the data: no previous month
    card = scorecard.kpi_scorecard(quiet, "2025-11", SLA(), FX, "EUR")
    first = {k["id"]: k for k in scorecard.scorecard_kpis(card)}
    assert "previous" not in first["speed_to_lead_hours"]
    # the previous month's page published, this tile without a value or not at all
    tile = {"id": "leakage_rate", "value": None, "format": "pct"}
    assert _change(tile, {"mqls": {"value": 3}}, OCTOBER.previous) == (
        "n/a this month; no previous value"
    )
    assert _change(tile, {}, OCTOBER.previous) == "n/a this month; no previous month"
