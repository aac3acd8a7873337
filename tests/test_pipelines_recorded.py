"""What the deal tiles and the segmentation model record of the setting `pipelines`.

* F3 of session 25: the record (`CRM.pipelines_basis`) depended on the deals the export holds,
  not on the setting. Under `pipelines: [new business]` in both months, an export of new
  business deals only recorded {} (all) and one with another pipeline too ["new business"]:
  the index said "measured differently: pipelines all" and the segmentation model was refitted
  ("pipelines new business (the model's: all)"), though both months counted the same deals.
* A month published before tiles and models recorded the pipelines (the setting existed
  already) was taken as of every pipeline: a month run with `pipelines: [new business]` and
  published by the older smk lost every deal tile's change ("measured differently: pipelines
  all") and its segmentation model was refitted. Such a month's pipelines are now the setting
  its published page ran with (`smk.report.published_pipelines`).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from pathlib import Path

import joblib
import nbformat
import pytest
from test_kpi_comparisons import CONTEXT, FX, OCTOBER, _tiles

import smk
from smk import config, report, scorecard
from smk import segmentation as sg
from smk.periods import Month
from smk.report import _change, write_month_index
from smk.sla import SLA

NEW = ["new business"]
DEAL_TILES = ("pipeline_from_mqls", "pipeline_created", "won_revenue", "win_rate")
#: those the sample compares month to month (too few deals close a month for the win rate)
COMPARED = DEAL_TILES[:3]
SEPTEMBER = Month("2026-09")


@pytest.fixture(scope="module")
def hubspot() -> smk.CRM:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the sample's planted faults, set aside and counted
        return smk.load(config.SAMPLE_HUBSPOT)


@pytest.fixture(scope="module")
def new_only(hubspot) -> smk.CRM:
    """The sample as an export holding the deals of new business only."""
    deals = hubspot.deals
    return replace(hubspot, deals=deals[deals["pipeline"].str.casefold().eq("new business")])


def _publish_notebook(folder: Path, name: str, given: dict, cell: str) -> None:
    """A published notebook `name` in `folder`: its parameters cell `cell` and papermill's
    parameters `given` (the values the report gave it)."""
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell(cell)
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters]
    nb.metadata["papermill"] = {"parameters": given}
    nbformat.write(nb, folder / name)


# ------------------------------------------------------------------ the setting, not the deals
def test_the_record_is_the_setting_whichever_deals_the_export_holds(hubspot, new_only, tmp_path):
    assert set(new_only.deals["pipeline"]) == set(NEW)
    assert new_only.of_pipelines(NEW).pipelines_basis() == {"pipelines": NEW}
    # the export's spelling, however the setting writes it (as `of_pipelines` reads it)
    assert hubspot.of_pipelines([" New Business "]).pipelines_basis() == {"pipelines": NEW}
    assert hubspot.of_pipelines([]).pipelines_basis() == {} == hubspot.pipelines_basis()
    # a model written and read again keeps it
    path = new_only.of_pipelines(NEW).to_parquet(tmp_path / "model")
    assert smk.CRM.from_parquet(path).pipelines_basis() == {"pipelines": NEW}


def test_a_filtered_model_written_before_the_record_counts_the_pipelines_it_kept(hubspot, tmp_path):
    """A model written by aea1166 under `pipelines: [new business]` has no record: it was read
    as one of every pipeline, compared "measured differently" and refitted (H4 of session 25)."""
    import json

    from smk.model import MODEL_MANIFEST

    for crm, expected in ((hubspot.of_pipelines(NEW), {"pipelines": NEW}), (hubspot, {})):
        folder = tmp_path / str(len(crm.deals))
        crm.to_parquet(folder)
        meta = json.loads((folder / MODEL_MANIFEST).read_text())
        del meta["pipelines"]  # as written before models recorded it
        (folder / MODEL_MANIFEST).write_text(json.dumps(meta))
        assert smk.CRM.from_parquet(folder).pipelines_basis() == expected


def test_two_months_of_the_same_setting_compare_whichever_pipelines_the_export_holds(
    hubspot, new_only
):
    september = scorecard.kpi_scorecard(new_only.of_pipelines(NEW), "2026-09", SLA(), FX, "EUR")
    october = scorecard.kpi_scorecard(hubspot.of_pipelines(NEW), OCTOBER, SLA(), FX, "EUR")
    before = {k["id"]: k | {"currency": "EUR"} for k in scorecard.scorecard_kpis(september)}
    now = {k["id"]: k | {"currency": "EUR"} for k in scorecard.scorecard_kpis(october)}
    for kpi in COMPARED:
        assert now[kpi]["basis"] == before[kpi]["basis"] == {"pipelines": NEW}
        assert "measured" not in _change(now[kpi], before, SEPTEMBER)


def test_the_model_of_the_same_setting_is_reused_whichever_pipelines_the_export_holds(
    hubspot, new_only, tmp_path
):
    before = sg.account_features(
        hubspot.of_pipelines(NEW), SEPTEMBER.end, fx_rates=FX, reporting_currency="EUR"
    )
    sg.segment_accounts(before, SEPTEMBER, tmp_path / "2026-09", n_segments=3)
    now = sg.account_features(
        new_only.of_pipelines(NEW), OCTOBER.end, fx_rates=FX, reporting_currency="EUR"
    )
    run = sg.segment_accounts(now, OCTOBER, tmp_path / "2026-10", n_segments=3)
    assert not run.fitted and run.model_month == "2026-09" and run.changed_settings == ""


# ------------------------------------------------------------------ published before the record
def test_published_pipelines_reads_the_setting_a_published_notebook_ran_with(tmp_path):
    cell = "pipelines: list = []  # deal pipelines"
    _publish_notebook(tmp_path / "a", "01_funnel_sla.ipynb", {"pipelines": NEW}, cell)
    assert report.published_pipelines(tmp_path / "a", "funnel_sla") == NEW  # as given
    # as its parameters cell has it (`carry_parameters` writes the values it ran with there)
    _publish_notebook(tmp_path / "b", "01_funnel_sla.ipynb", {}, 'pipelines = ["Renewals"]')
    assert report.published_pipelines(tmp_path / "b", "funnel_sla") == ["Renewals"]
    # a notebook from before the setting existed counted every pipeline
    _publish_notebook(tmp_path / "c", "01_funnel_sla.ipynb", {"month": "2026-09"}, "month = ''")
    assert report.published_pipelines(tmp_path / "c", "funnel_sla") == []
    # not known: no such page, a value that is no literal
    assert report.published_pipelines(tmp_path / "c", "segmentation") is None
    _publish_notebook(tmp_path / "d", "01_funnel_sla.ipynb", {}, "pipelines = list(NAMES)")
    assert report.published_pipelines(tmp_path / "d", "funnel_sla") is None


def _upgrade_index(tmp_path, hubspot, cell: str | None, given: dict) -> dict[str, str]:
    """October's index (deal tiles recording new business) after a September published before
    tiles recorded their pipelines (its deal tiles of new business, without a basis), its
    funnel notebook with the parameters cell `cell` (None: no notebook) and `given`."""
    old = scorecard.kpi_scorecard(hubspot.of_pipelines(NEW), "2026-09", SLA(), FX, "EUR")
    september = [
        {k: v for k, v in t.items() if t["id"] not in DEAL_TILES or k != "basis"}
        for t in scorecard.scorecard_kpis(old)
    ]
    card = scorecard.kpi_scorecard(hubspot.of_pipelines(NEW), OCTOBER, SLA(), FX, "EUR")
    october = scorecard.scorecard_kpis(card)
    for month, kpis in (("2026-09", september), ("2026-10", october)):
        (tmp_path / month).mkdir()
        metrics = json.dumps({"funnel_sla": {"currency": "EUR", "kpis": kpis}})
        (tmp_path / month / "metrics.json").write_text(metrics)
    if cell is not None:
        _publish_notebook(tmp_path / "2026-09", "01_funnel_sla.ipynb", given, cell)
    folder = tmp_path / "2026-10"
    (folder / "metrics-funnel_sla.json").write_text(
        json.dumps({"currency": "EUR", "kpis": october})
    )
    return _tiles(write_month_index(folder, OCTOBER, [], CONTEXT, tmp_path).read_text())


def test_a_month_published_before_tiles_recorded_pipelines_counted_its_setting(hubspot, tmp_path):
    cell = "pipelines: list = []"
    tiles = _upgrade_index(tmp_path, hubspot, cell, {"pipelines": NEW})
    for kpi in COMPARED:
        assert tiles[kpi].endswith("vs previous month") and "measured" not in tiles[kpi], kpi


def test_a_month_published_before_the_setting_existed_counted_every_pipeline(hubspot, tmp_path):
    tiles = _upgrade_index(tmp_path, hubspot, "month = ''", {"month": "2026-09"})
    assert all(tiles[kpi].endswith("measured differently: pipelines all)") for kpi in COMPARED)


def test_a_month_whose_setting_is_not_known_is_not_said_to_count_all(hubspot, tmp_path):
    """Without its published notebook, which pipelines it counted is not known: nothing false
    is said of them."""
    tiles = _upgrade_index(tmp_path, hubspot, None, {})
    assert not any("pipelines" in tiles[kpi] for kpi in COMPARED)
    assert all("vs previous month" in tiles[kpi] for kpi in COMPARED)


#: how a model saved before f4dee86 recorded its pipelines: not at all (before dff99f5), or
#: None when its setting set no deal aside (aea1166: an export of new business only)
OLD_RECORDS = ("absent", None)


def _old_model(folder: Path, hubspot: smk.CRM, record="absent") -> None:
    """September's model of new business saved as before models recorded their setting."""
    before = sg.account_features(
        hubspot.of_pipelines(NEW), SEPTEMBER.end, fx_rates=FX, reporting_currency="EUR"
    )
    sg.segment_accounts(before, SEPTEMBER, folder, n_segments=3)
    bundle = joblib.load(folder / sg.MODEL_FILE)
    del bundle["counted_pipelines"]
    if record == "absent":
        del bundle["pipelines"]
    else:
        bundle["pipelines"] = record
    joblib.dump(bundle, folder / sg.MODEL_FILE)


@pytest.mark.parametrize(
    ("given", "cell", "fitted", "changed"),
    [
        ({"pipelines": NEW}, "pipelines: list = []", False, ""),  # its page ran with them
        ({}, "month = ''", True, "pipelines new business (the model's: all)"),  # no setting yet
        (None, None, False, ""),  # no page: not known, not refitted for them (as before)
    ],
)
@pytest.mark.parametrize("record", OLD_RECORDS)
def test_a_model_saved_before_models_recorded_pipelines_counted_its_pages_setting(
    hubspot, tmp_path, given, cell, fitted, changed, record
):
    """A model saved by aea1166 recorded None under the setting when it set no deal aside:
    it was taken for one of every pipeline and refitted the first month after the upgrade
    (RV2 of session 25)."""
    _old_model(tmp_path / "2026-09", hubspot, record)
    if cell is not None:
        _publish_notebook(tmp_path / "2026-09", "02_segmentation.ipynb", given, cell)
    now = sg.account_features(
        hubspot.of_pipelines(NEW), OCTOBER.end, fx_rates=FX, reporting_currency="EUR"
    )
    run = sg.segment_accounts(now, OCTOBER, tmp_path / "2026-10", n_segments=3)
    assert run.fitted is fitted and run.changed_settings == changed
