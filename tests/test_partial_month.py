"""A report month the export covers only in part, deals read but all set aside, tile wording.

* A month the export covered only in part was judged and compared as a whole one: an export
  taken on Monday 2026-11-02, reported for 2026-11, read "MQLs 0 · target 60 · missed · −19
  vs previous month", and one whose data begin on 2026-08-10 "MQLs 6 · target 60 · missed",
  with no word on the index or the pages that the month was covered only in part. Such a month
  (`periods.month_coverage`) now has the status "partial month" instead of a verdict, no change
  against the previous month, and a caveat on the index, the pages' headers and the terminal.
* When every deal row was set aside, the tiles and pages said "the export has no deals" while
  `smk validate` said "Read, but every row set aside": they now say the rows were set aside
  and point to the data-quality page (`smk.model.no_rows_text`).
* Nits: "1 deals won"; "+0 vs previous month" on the export-wide "Export rows set aside"
  tile; "no previous month" for a previous month published without a value.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
import shutil
import warnings

import nbformat
import pandas as pd
import pytest

import smk
from smk import config, periods, scorecard, segmentation, sla
from smk.errors import NoDataError
from smk.report import _change, render_html, run_report, write_month_index
from smk.synth import synthesize, write_export

NOVEMBER = periods.as_month("2026-11")
CONTEXT = {"month": "2026-11", "source": "x", "generated": "now", "version": "0"}
VERDICTS = {"met", "at risk", "missed"}
FX = {"EUR": 1.0, "USD": 0.92}


@pytest.fixture(scope="module")
def ends_early() -> smk.CRM:
    """An export taken on Monday 2026-11-02: two days of November."""
    return synthesize(n_contacts=300, months=6, seed=3, end="2026-11-02").crm


@pytest.fixture(scope="module")
def starts_late() -> smk.CRM:
    """An export whose data begin on 2026-08-10 (and end on 2026-11-15)."""
    return synthesize(n_contacts=200, months=3, seed=2, end="2026-11-15").crm


# ---------------------------------------------------------------- 1. the month covered in part
def test_month_coverage_names_the_days_covered(ends_early, starts_late):
    assert periods.month_coverage(ends_early, NOVEMBER) == (
        "the export covers only 2026-11-01 to 2026-11-02 of 2026-11 (its data end on 2026-11-02)"
    )
    assert periods.month_coverage(starts_late, periods.as_month("2026-08")) == (
        "the export covers only 2026-08-10 to 2026-08-31 of 2026-08 (its data start on 2026-08-10)"
    )
    for month in ("2026-10", "2026-06"):  # whole months: no caveat
        assert periods.month_coverage(ends_early, periods.as_month(month)) is None
    # `latest` never names a partial month: the same rule
    assert periods.month_coverage(ends_early, periods.latest_month(ends_early)) is None


@pytest.mark.parametrize(
    ("last", "partial"),
    [
        ("2026-10-30 17:00", False),  # Friday: October 2026 ends on a Saturday
        ("2026-10-29 17:00", True),  # Thursday: Friday the 30th lies beyond the data
        ("2026-11-02 10:00", False),
    ],
)
def test_the_end_tolerance_is_the_months_last_working_day(last, partial):
    assert periods.ends_inside(periods.as_month("2026-10"), pd.Timestamp(last, tz="UTC")) is partial


@pytest.mark.parametrize(("crm", "month"), [("ends_early", "2026-11"), ("starts_late", "2026-08")])
def test_a_partial_month_is_not_judged_nor_compared(crm, month, request):
    crm = request.getfixturevalue(crm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SLA windows after the data: another caveat
        card = scorecard.kpi_scorecard(crm, month, fx_rates=FX, reporting_currency="EUR")
    assert not set(card["status"].dropna()) & VERDICTS, card[["id", "status"]]
    targeted = card[card["target"].notna() & card["actual"].notna()]
    assert (targeted["status"] == "partial month").any()
    assert card["change_vs_previous_month"].isna().all()
    why = periods.month_coverage(crm, periods.as_month(month))
    assert card.attrs["month_partial"] == why
    assert f"partial month: {why}" in scorecard.comparison_gaps(card)
    tiles = scorecard.scorecard_kpis(card)
    assert all(tile["month_partial"] == why for tile in tiles)
    assert not {tile.get("status") for tile in tiles} & VERDICTS


def test_a_whole_month_keeps_its_verdicts(ends_early):
    card = scorecard.kpi_scorecard(ends_early, "2026-10", fx_rates=FX, reporting_currency="EUR")
    assert set(card["status"].dropna()) & VERDICTS
    assert "month_partial" not in card.attrs
    assert card["change_vs_previous_month"].notna().any()


def _tiles(page: str) -> dict[str, tuple[str, str]]:
    """The index's tiles: KPI id -> (status class, detail line)."""
    found = re.findall(
        r'<div class="tile status-([^"]*)" data-kpi="([^"]*)">.*?<div class="detail">(.*?)</div>',
        page,
    )
    return {kpi: (status, html.unescape(detail)) for status, kpi, detail in found}


def _month(tmp_path, metrics: dict[str, dict], previous: dict[str, dict] | None = None):
    """November's folder with `metrics` (notebook -> its metrics) and October's published."""
    if previous is not None:
        (tmp_path / "2026-10").mkdir()
        (tmp_path / "2026-10" / "metrics.json").write_text(json.dumps(previous))
    folder = tmp_path / "2026-11"
    folder.mkdir()
    for name, m in metrics.items():
        (folder / f"metrics-{name}.json").write_text(json.dumps(m))
    return folder


MQLS = {"id": "mqls", "label": "MQLs", "value": 2, "format": "int", "target": 60}
COVERED = "the export covers only 2026-11-01 to 2026-11-02 of 2026-11 (its data end on 2026-11-02)"


def test_the_index_marks_every_tile_of_a_partial_month(tmp_path):
    """The run's coverage (the context, without the manifest's provenance) marks the tiles."""
    now = {"funnel_sla": {"kpis": [MQLS | {"status": "missed"}]}}
    before = {"funnel_sla": {"kpis": [MQLS | {"value": 19, "status": "missed"}]}}
    folder = _month(tmp_path, now, before)
    page = write_month_index(folder, NOVEMBER, [], CONTEXT | {"month_partial": COVERED}, tmp_path)
    status, detail = _tiles(page.read_text())["mqls"]
    assert status == "partial-month"
    assert "missed" not in detail and "vs previous month" not in detail
    assert "not compared with the previous month" in detail
    text = html.unescape(page.read_text())
    assert f"Partial month: {COVERED}" in re.sub(r"<[^>]+>", "", text)
    # the same month without the caveat: judged and compared, as before
    shutil.rmtree(folder)
    folder = _month(tmp_path, now)
    tiles = _tiles(write_month_index(folder, NOVEMBER, [], CONTEXT, tmp_path).read_text())
    assert tiles["mqls"] == ("missed", "target 60 · missed · −17 vs previous month")


def test_the_index_marks_only_the_pages_whose_data_cover_part_of_the_month(tmp_path):
    """Pages kept from an earlier run (the manifest's provenance) keep their own coverage."""
    scoring = {"id": "capacity", "label": "Leads", "value": 5, "format": "int", "target": 40}
    now = {
        "funnel_sla": {"kpis": [MQLS | {"status": "missed"}]},
        "lead_scoring": {"kpis": [scoring | {"status": "met"}]},
    }
    folder = _month(tmp_path, now)
    provenance = {"funnel_sla": {"month_partial": COVERED}, "lead_scoring": {}}
    page = write_month_index(folder, NOVEMBER, [], CONTEXT, tmp_path, provenance)
    tiles = _tiles(page.read_text())
    assert tiles["mqls"][0] == "partial-month"
    assert tiles["capacity"][0] == "met"
    assert "Partial month:" in page.read_text()


def test_the_pages_header_says_which_days_are_covered(tmp_path):
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Funnel")])
    nbformat.write(book, tmp_path / "page.ipynb")
    context = CONTEXT | {"month_partial": COVERED}
    page = render_html(tmp_path / "page.ipynb", tmp_path / "page.html", context, None)
    text = re.sub(r"\s+", " ", html.unescape(page.read_text()))
    assert f"Partial month:</strong> {COVERED}" in text
    whole = render_html(tmp_path / "page.ipynb", tmp_path / "whole.html", CONTEXT, None)
    assert "Partial month" not in whole.read_text()


@pytest.fixture(scope="module")
def published_partial(tmp_path_factory):
    """`smk report` (the data-quality page) for 2026-10, then for 2026-11, of an export taken
    on 2026-11-02, with the terminal's warnings."""
    base = tmp_path_factory.mktemp("partial")
    synthetic = synthesize(n_contacts=300, months=6, seed=3, end="2026-11-02")
    touches = synthetic.crm.touchpoints  # the export's last record: late on 2 November, UTC
    touches.loc[touches["occurred_at"].idxmax(), "occurred_at"] = pd.Timestamp("2026-11-02 23:20Z")
    write_export(synthetic, base / "data", mess=False)
    shutil.rmtree(base / "data" / "truth")
    said = {}
    for month in ("2026-10", "2026-11"):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run_report(base / "data", month, base / "out", notebooks=["data_quality"])
        said[month] = err.getvalue()
    return base / "out", said


#: The report judges by the funnel page's days (Europe/Berlin by default, whichever pages
#: run): the export's last record, 2026-11-02 23:20 UTC, falls on 3 November there
COVERED_BERLIN = (  # with the UTC moment of a team's day that is another date (HA)
    "the export covers only 2026-11-01 to 2026-11-03 of 2026-11 (its data end on 2026-11-03 "
    "in the team's time zone, 2026-11-02 23:20 UTC)"
)


def test_smk_report_warns_of_a_partial_month(published_partial):
    out, said = published_partial
    COVERED = COVERED_BERLIN  # noqa: N806
    assert "2026-10 is a partial month" not in said["2026-10"]
    assert f"smk: warning: 2026-11 is a partial month: {COVERED}" in said["2026-11"]
    assert "2026-11 is a partial month" in (out / "smk-report.log").read_text()
    manifest = json.loads((out / "2026-11" / "manifest.json").read_text())
    assert manifest["pages"]["data_quality"]["month_partial"] == COVERED
    page = (out / "2026-11" / "00_data_quality.html").read_text()
    assert "Partial month:</strong> " + COVERED in re.sub(r"\s+", " ", html.unescape(page))


def test_the_export_wide_tile_shows_no_change(published_partial):
    out, _ = published_partial
    for month in ("2026-10", "2026-11"):
        metrics = json.loads((out / month / "metrics.json").read_text())
        (tile,) = metrics["data_quality"]["kpis"]
        assert tile["scope"] == "export"
    tiles = _tiles((out / "2026-11" / "index.html").read_text())
    assert "previous" not in tiles["rows_set_aside"][1]  # was "+0 vs previous month"


# ------------------------------------------------------------- 2. every deal row set aside
@pytest.fixture(scope="module")
def deals_set_aside(tmp_path_factory) -> smk.CRM:
    """The bundled HubSpot sample with a negative amount on every deal row."""
    folder = tmp_path_factory.mktemp("deals") / "hubspot"
    shutil.copytree(config.SAMPLE_HUBSPOT, folder, ignore=shutil.ignore_patterns("truth"))
    (path,) = folder.glob("*-deals-*.csv")
    deals = pd.read_csv(path, dtype=str, keep_default_na=False)
    deals["Amount"] = "-100"
    deals.to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        crm = smk.load(folder)
    assert crm.deals.empty and crm.quality.tables["deals"].read == len(deals) > 1
    return crm


def test_deals_all_set_aside_are_said_to_be_set_aside(deals_set_aside):
    crm = deals_set_aside
    read = crm.quality.tables["deals"].read
    why = f"all {read:,} rows of the export's deals were set aside, see the data-quality page"
    assert crm.no_rows_text("deals") == why
    assert scorecard.unknown_kpis(crm)["won_revenue"] == why
    card = scorecard.kpi_scorecard(crm, "2026-10", fx_rates=FX, reporting_currency="EUR")
    card = card.set_index("id")
    assert card.loc["pipeline_created", "note"] == why
    assert segmentation.customers_line(crm, pd.DataFrame({"x": [1]}), "2026-10").startswith(why)
    row = sla.pipeline_by_month(sla.deal_table(crm), months=["2026-10"]).iloc[0]
    assert sla.pipeline_text(row, "2026-10", no_deals=crm.no_rows_text("deals")).endswith(
        f"unknown ({why})"
    )
    with pytest.raises(NoDataError, match="has no usable rows in them: all .* set aside"):
        crm.require("deals", analysis="attribution of won deals")


def test_an_export_without_deals_still_has_none():
    assert smk.model.no_rows_text("deals") == "the export has no deals"
    assert smk.model.no_rows_text("deals", 1) == (
        "the one row of the export's deals was set aside, see the data-quality page"
    )


# ------------------------------------------------------------------------------- 3. wording
def test_one_deal_is_one_deal():
    row = {"deals_created": 1, "mql_deals": 1, "deals_won": 1}
    details = scorecard.kpi_details(None, row)
    assert details["pipeline_created"] == "1 deal"
    assert details["won_revenue"] == "1 deal won"
    assert details["pipeline_from_mqls"].startswith("1 of 1 deal ")
    assert scorecard.kpi_details(None, row | {"deals_created": 3, "deals_won": 0})[
        "won_revenue"
    ] == ("0 deals won")


def test_an_export_wide_tile_is_not_compared():
    tile = {"id": "rows_set_aside", "value": 16, "format": "int", "scope": "export"}
    assert _change(tile, {"rows_set_aside": tile}) == ""
    assert _change(tile, {}) == ""


def test_a_previous_month_without_a_value_is_no_missing_month():
    tile = {"id": "mqls", "value": 5, "format": "int"}
    assert _change(tile, {"mqls": tile | {"value": None}}) == "no previous value"
    assert _change(tile, {}) == "no previous month"


def test_an_n_a_tile_without_a_previous_month_says_no_previous_month():
    # "no previous value" is for a month published without a value, n/a this month or not
    tile = {"id": "accounts_changed_segment", "value": None, "format": "int"}
    assert _change(tile, {}) == "n/a this month; no previous month"
    published = {"accounts_changed_segment": tile}
    assert _change(tile, published) == "n/a this month; no previous value"
