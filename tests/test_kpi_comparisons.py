"""Comparisons with earlier months mean like with like.

* The report's index subtracted last month's published figure from this month's by KPI id
  alone: with `business_hours` set this month, "Median speed to lead (working hours) 0.0 h ...
  -4.5 h vs previous month" took September's calendar hours, and "MQLs worked within the SLA
  80.3% ... +3.6 pts" September's calendar 76.7% (like for like: -8.1 pts). The same for a
  changed `leakage_days` and for lead scoring's `target`. A KPI now records what its figure
  depends on (`basis`) and the index compares figures measured alike only.
* The scorecard compared with months the export covers only in part (its data start inside
  them): "same month last year" 17 MQLs against 85, from 15 days of data.
"""

from __future__ import annotations

import html
import json
import re
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import smk
from smk import config, periods, scorecard
from smk.report import _change, _kpi_text, _kpis, write_month_index
from smk.sla import SLA

FX = {"EUR": 1.0, "USD": 0.92}
OCTOBER = periods.as_month("2026-10")
CONTEXT = {"month": "2026-10", "source": "x", "generated": "now", "version": "0"}


@pytest.fixture(scope="module")
def hubspot() -> smk.CRM:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the sample's planted faults, set aside and counted
        return smk.load(config.SAMPLE_HUBSPOT)


def _tiles(page: str) -> dict[str, str]:
    """The index's tiles: KPI id -> the tile's detail line."""
    found = re.findall(r'data-kpi="([^"]*)".*?<div class="detail">(.*?)</div>', page)
    return {kpi: html.unescape(detail) for kpi, detail in found}


def _index(tmp_path, published: list[dict], now: list[dict]) -> dict[str, str]:
    """October's index with `now` as its funnel page's KPIs and `published` as September's."""
    (tmp_path / "2026-09").mkdir()
    september = {"funnel_sla": {"currency": "EUR", "kpis": published}}
    (tmp_path / "2026-09" / "metrics.json").write_text(json.dumps(september))
    folder = tmp_path / "2026-10"
    folder.mkdir()
    (folder / "metrics-funnel_sla.json").write_text(json.dumps({"currency": "EUR", "kpis": now}))
    return _tiles(write_month_index(folder, OCTOBER, [], CONTEXT, tmp_path).read_text())


def _pts(delta: float) -> str:
    return f"{'+' if delta >= 0 else '−'}{abs(delta) * 100:.1f} pts vs previous month"


def test_the_index_compares_working_hours_only_with_working_hours(hubspot, tmp_path):
    calendar, working = SLA(), SLA(business_hours=True, timezone="Europe/Berlin")
    september = scorecard.kpi_scorecard(hubspot, "2026-09", calendar, FX, "EUR")
    october = scorecard.kpi_scorecard(hubspot, OCTOBER, working, FX, "EUR").set_index("id")
    now = scorecard.scorecard_kpis(october.reset_index())
    tiles = _index(tmp_path, scorecard.scorecard_kpis(september), now)
    published = september.set_index("id")["actual"]
    share = october.loc["share_within_sla"]
    alike = share["actual"] - share["previous_month"]  # September in working hours too
    unlike = share["actual"] - published["share_within_sla"]  # September's calendar hours
    assert _pts(alike) != _pts(unlike)
    assert tiles["share_within_sla"].endswith(
        f"{_pts(alike)} measured this way (reported then: "
        f"{published['share_within_sla']:.1%}, measured differently: business_hours false)"
    )
    assert _pts(unlike) not in tiles["share_within_sla"]
    speed = tiles["speed_to_lead_hours"]
    assert "measured this way" in speed and "“Median speed to lead”" in speed
    # a KPI no SLA setting changes is still compared with what was published
    mqls = october.loc["mqls", "actual"] - published["mqls"]
    assert tiles["mqls"].endswith(f"{'+' if mqls >= 0 else '−'}{abs(mqls):.0f} vs previous month")
    # measured alike: the published figure, as before
    same = scorecard.scorecard_kpis(scorecard.kpi_scorecard(hubspot, "2026-09", working, FX, "EUR"))
    assert {k["id"]: k["basis"] for k in same if "basis" in k} == {
        k["id"]: k["basis"] for k in now if "basis" in k
    }


def test_a_changed_leakage_window_is_no_change_of_the_leakage_rate(hubspot, tmp_path):
    week, fortnight = SLA(), SLA(leakage_days=14)
    september = scorecard.kpi_scorecard(hubspot, "2026-09", week, FX, "EUR")
    september = scorecard.scorecard_kpis(september)
    october = scorecard.kpi_scorecard(hubspot, OCTOBER, fortnight, FX, "EUR").set_index("id")
    now = [k for k in scorecard.scorecard_kpis(october.reset_index()) if k["id"] == "leakage_rate"]
    before = next(k for k in september if k["id"] == "leakage_rate")
    assert now[0]["basis"]["leakage_days"] == 14 and before["basis"]["leakage_days"] == 7
    tile = _index(tmp_path, september, now)["leakage_rate"]
    row = october.loc["leakage_rate"]
    assert _pts(row["actual"] - row["previous_month"]) in tile
    assert _pts(row["actual"] - before["value"]) not in tile
    assert "“MQLs leaked (no sales activity within 7 days)”, leakage_days 7.0" in tile


def test_without_a_figure_measured_alike_no_difference_is_computed():
    """Lead scoring's AUC for another `target` (no previous value of its own): its previous
    value is named, not subtracted."""
    kpi = {"id": "auc", "label": "AUC", "value": 0.71, "format": "float"}
    spec = {"score_after_days": 7, "target": "sql", "within_days": 60}
    before = {**kpi, "value": 0.59, "basis": spec}
    now = {**kpi, "basis": {**spec, "target": "customer"}}
    shown = _kpi_text(0.59, kpi)
    assert _change(now, {"auc": before}) == (
        f"was {shown} the previous month, measured differently: target sql"
    )
    assert _change({**now, "value": None}, {"auc": before}).startswith("n/a this month; was ")
    assert _change({**kpi, "basis": spec}, {"auc": before}) == "+0.120 vs previous month"
    # a month published before tiles recorded their basis (an upgrade) is taken at its label
    # and format: it said "measured differently: its basis not recorded" for every month
    assert _change({**kpi, "basis": spec}, {"auc": {**kpi, "value": 0.59}}) == (
        "+0.120 vs previous month"
    )
    # ... but when the notebook gives its own previous value, measured as this month is, that
    # one is sure (review of 7b718ef: calendar hours against working hours after an upgrade)
    assert _change({**kpi, "basis": spec, "previous": 0.7}, {"auc": {**kpi, "value": 0.59}}) == (
        f"+0.010 vs previous month measured this way (reported then: {shown}, measured "
        "differently: its basis not recorded)"
    )
    relabelled = {**kpi, "value": 0.59, "label": "AUC (sql)"}
    assert _change({**kpi, "basis": spec}, {"auc": relabelled}) == (
        f"was {shown} the previous month, measured differently: “AUC (sql)”, its basis not recorded"
    )
    # only the currency differs: the value says so
    tile = {"id": "m", "value": 7, "format": "money"}
    eur = {k["id"]: k for k in _kpis({"f": {"currency": "EUR", "kpis": [{**tile, "value": 5}]}})}
    usd = _kpis({"f": {"currency": "USD", "kpis": [tile]}})[0]
    assert _change(usd, eur) == "was 5 EUR the previous month"
    assert _change({**usd, "previous": 4}, eur) == (
        "+3 USD vs previous month measured this way (reported then: 5 EUR)"
    )


def test_a_previous_month_measured_otherwise_than_published_is_the_notebooks_own():
    """The first month after an upgrade that loads deals of deleted contacts: the index said
    "+2,092,884 EUR vs previous month" against the 609,046 EUR published by the older smk, while
    the page's own previous month, measured this way, was 1,010,367 EUR (H4 of session 25)."""
    tile = {"id": "won_revenue", "label": "Won revenue", "format": "money", "currency": "EUR"}
    published = {"won_revenue": {**tile, "value": 609_046.0}}
    now = {**tile, "value": 2_701_930.0, "previous": 1_010_366.8}
    assert _change(now, published) == (
        "+1,691,563 EUR vs previous month measured this way (reported then: 609,046 EUR)"
    )
    # the same figure (float noise aside) is compared as before, unmarked
    same = {**now, "previous": 609_046.0 + 1e-10}
    assert _change(same, published) == "+2,092,884 EUR vs previous month"
    # a figure now unknown (pipeline from MQLs without MQL dates) is no "was 0 EUR"
    mqls = {**tile, "id": "pipeline_from_mqls", "label": "Pipeline from MQLs"}
    unknown = _change({**mqls, "value": None, "previous": None}, {mqls["id"]: {**mqls, "value": 0}})
    assert unknown == "n/a this month; no previous value measured this way (reported then: 0 EUR)"


# ------------------------------------------------------------------ the scorecard's columns
def _from(crm: smk.CRM, start: str) -> smk.CRM:
    """`crm` as an export that begins at `start`: older records removed."""
    cut = pd.Timestamp(start, tz="UTC")
    contacts = crm.contacts[crm.contacts["created_at"] >= cut]
    ids = set(contacts["contact_id"])
    return replace(
        crm,
        contacts=contacts,
        deals=crm.deals[(crm.deals["created_at"] >= cut) & crm.deals["contact_id"].isin(ids)],
        activities=crm.activities[crm.activities["occurred_at"] >= cut],
        touchpoints=crm.touchpoints[crm.touchpoints["occurred_at"] >= cut],
        spend=crm.spend.iloc[0:0],
    )


def test_the_scorecard_compares_no_month_the_data_start_inside(hubspot):
    late = _from(hubspot, "2026-09-16")
    card = scorecard.kpi_scorecard(late, OCTOBER, SLA(), FX, "EUR")
    assert card["previous_month"].isna().all() and card["change_vs_previous_month"].isna().all()
    assert periods.data_span(late)[0].strftime("%Y-%m-%d") == "2026-09-16"
    assert scorecard.comparison_gaps(card) == (
        "previous month: not compared, the export starts on 2026-09-16, inside 2026-09; "
        "same month last year: not compared, the export does not reach back to 2025-10"
    )
    shown = scorecard.scorecard_display(card, "EUR")
    assert (shown["previous month"] == "–").all()  # the dash of every table
    kpis = scorecard.scorecard_kpis(card)
    assert all("previous" not in k for k in kpis)
    why = "the export starts on 2026-09-16, inside 2026-09"
    assert {k["previous_not_compared"] for k in kpis} == {why}
    # data from the month's first day compare (September from the 1st)
    whole = scorecard.kpi_scorecard(_from(hubspot, "2026-09-01"), OCTOBER, SLA(), FX, "EUR")
    assert whole["previous_month"].notna().any()
    assert scorecard.comparison_gaps(whole) == (
        "same month last year: not compared, the export does not reach back to 2025-10"
    )
    assert np.isnan(whole.set_index("id").loc["mqls", "same_month_last_year"])
    assert all("previous_not_compared" not in k for k in scorecard.scorecard_kpis(whole))


def test_a_previous_month_the_contacts_begin_inside_is_said_of_the_contacts(hubspot):
    """Touches from September's first days, contacts from the 16th: September is not compared,
    and the reason names the contacts' first day as theirs, not as the export's start, which
    September's own page gives as the 3rd (`smk.periods.month_coverage`)."""
    late = _from(hubspot, "2026-09-16")
    touches = hubspot.touchpoints
    early = touches[touches["occurred_at"] >= pd.Timestamp("2026-09-03", tz="UTC")]
    late = replace(late, touchpoints=early[early["contact_id"].isin(late.contacts["contact_id"])])
    assert periods.data_span(late)[0] < pd.Timestamp("2026-09-16", tz="UTC")
    card = scorecard.kpi_scorecard(late, OCTOBER, SLA(), FX, "EUR")
    why = "the export's contacts begin on 2026-09-16, inside 2026-09"
    assert {k["previous_not_compared"] for k in scorecard.scorecard_kpis(card)} == {why}


def test_the_index_compares_no_month_the_data_start_inside_either(hubspot, tmp_path):
    """September published from the same late export (its first, partial month): October's
    index says why it computes no change, as the page does."""
    late = _from(hubspot, "2026-09-16")
    september = scorecard.scorecard_kpis(scorecard.kpi_scorecard(late, "2026-09", SLA(), FX))
    october = scorecard.scorecard_kpis(scorecard.kpi_scorecard(late, OCTOBER, SLA(), FX, "EUR"))
    tiles = _index(tmp_path, september, october)
    why = "previous month not compared: the export starts on 2026-09-16, inside 2026-09"
    assert tiles and all(t.endswith(why) for t in tiles.values())
    assert not any("vs previous month" in t for t in tiles.values())


@pytest.mark.parametrize(
    ("first", "inside"),
    [
        ("2026-08-01 10:00", False),
        ("2026-08-03 08:00", False),  # August 2026 begins on a Saturday: Monday is its start
        ("2026-08-04 08:00", True),
        ("2026-08-17 00:00", True),
        ("2026-09-01 00:00", True),  # after it
        ("2026-07-31 23:00", False),
    ],
)
def test_data_start_inside_a_month_after_its_first_working_day(first, inside):
    month = periods.as_month("2026-08")
    assert periods.starts_inside(month, pd.Timestamp(first, tz="UTC")) is inside


def test_a_change_that_shows_as_zero_has_no_minus_sign():
    """0.124% after 0.130% was shown as "−0.0 pts"; a money change under a cent as "−0"."""
    from smk.report import _change

    rate = {"id": "changed", "label": "Accounts that changed segment", "format": "pct"}
    now = {**rate, "value": 0.00124}
    assert _change(now, {"changed": {**rate, "value": 0.0013}}) == "+0.0 pts vs previous month"
    assert _change(now, {"changed": {**rate, "value": 0.0023}}) == "−0.1 pts vs previous month"
    count = {"id": "n", "label": "Deals", "value": 3.0, "format": "int"}
    assert _change(count, {"n": {**count, "value": 3.2}}) == "+0 vs previous month"


def test_a_change_of_a_tile_without_a_known_format_that_shows_as_zero_has_no_minus_sign():
    from smk.report import _change

    tile = {"id": "x", "label": "Own figure", "value": 1.496}
    assert _change(tile, {"x": {**tile, "value": 1.5}}).startswith("+0")


def test_a_tile_over_another_period_names_it_and_its_change_compares_those_periods(tmp_path):
    """ "Conversions attributed (won) 69 · of 72 won conversions · +9 vs previous month" covered
    the 12 months to October, beside the month's own won revenue, and its change compared with
    the 12 months to September: the tile names both periods. A September tile published
    before tiles named their period is taken as the same window a month earlier."""
    tile = {"label": "Conversions attributed (won)", "format": "int", "detail": "of 72 won"}
    window = {"period": "12 months to Oct 2026", "previous_period": "12 months to Sep 2026"}
    now = [
        {**tile, **window, "id": "attributed", "value": 69},
        {**tile, **window, "id": "untold", "value": 69},
        {"id": "top", "label": "Top channel", "format": "text", "value": "email", **window},
    ]
    published = [
        {**tile, "id": "attributed", "value": 60, "period": "12 months to Sep 2026"},
        {**tile, "id": "untold", "value": 70},  # published without its period
        {"id": "top", "label": "Top channel", "format": "text", "value": "email"},
    ]
    tiles = _index(tmp_path, published, now)
    assert tiles["attributed"] == (
        "12 months to Oct 2026 · of 72 won · +9 vs 12 months to Sep 2026"
    )
    assert tiles["untold"].endswith("−1 vs 12 months to Sep 2026")
    assert tiles["top"] == "12 months to Oct 2026 · same for 12 months to Sep 2026"


def test_a_tile_over_another_window_than_last_months_is_not_compared_with_it(tmp_path):
    """`window_months` 12 now, 6 last month: "+39 vs 6 months to Sep 2026" compared two
    different windows; the change is not computed and the text says what was published."""
    tile = {"label": "Conversions attributed (won)", "format": "int"}
    window = {"period": "12 months to Oct 2026", "previous_period": "12 months to Sep 2026"}
    now = [{**tile, **window, "id": "attributed", "value": 69}]
    published = [{**tile, "id": "attributed", "value": 30, "period": "6 months to Sep 2026"}]
    shown = _index(tmp_path, published, now)["attributed"]
    assert "+39" not in shown and "vs 6 months" not in shown
    assert shown.endswith(
        "was 30 the previous month, measured differently: over 6 months to Sep 2026"
    )


def test_over_period_names_a_window_all_time_or_the_month_in_words():
    from smk import outputs

    tile = {"id": "x", "label": "X", "value": 1, "format": "int"}
    assert outputs.over_period(tile, "2026-01", 12) == tile | {
        "period": "12 months to Jan 2026",
        "previous_period": "12 months to Dec 2025",
    }
    assert outputs.over_period(tile, OCTOBER)["period"] == "all time to Oct 2026"
    assert periods.period_words("2026-10", 1) == "Oct 2026"
    assert outputs.kpi_line(outputs.over_period(tile, OCTOBER, 3)) == "X: 1 (3 months to Oct 2026)"


def test_holidays_in_another_order_or_after_the_month_measure_it_alike(hubspot, tmp_path):
    # the same holidays listed in another order (or one after September added) made the
    # index say October's tiles were "measured differently: holidays [...]" from September's
    working = SLA(business_hours=True, timezone="America/New_York", holidays=["2026-09-07"])
    assert SLA(holidays=["2026-12-25", "2026-09-07", "2026-12-25"]).holidays == (
        "2026-09-07",
        "2026-12-25",
    )
    september = scorecard.scorecard_kpis(
        scorecard.kpi_scorecard(hubspot, "2026-09", working, FX, "EUR")
    )
    published = {k["id"]: k for k in september}
    later = replace(working, holidays=["2026-10-12", "2026-09-07"])  # also Columbus Day
    october = scorecard.scorecard_kpis(scorecard.kpi_scorecard(hubspot, OCTOBER, later, FX, "EUR"))
    share = next(k for k in october if k["id"] == "share_within_sla")
    assert share["basis"]["holidays"] == ["2026-09-07", "2026-10-12"]
    tiles = _index(tmp_path, september, october)
    before = published["share_within_sla"]["value"]
    assert tiles["share_within_sla"].endswith(_pts(share["value"] - before))
    assert "measured differently" not in " ".join(tiles.values())
    # a holiday of September itself dropped does measure September otherwise
    dropped = replace(working, holidays=["2026-10-12"])
    now = scorecard.scorecard_kpis(scorecard.kpi_scorecard(hubspot, OCTOBER, dropped, FX, "EUR"))
    (tmp_path / "dropped").mkdir()
    tiles = _index(tmp_path / "dropped", september, now)
    assert 'measured differently: holidays ["2026-09-07"])' in tiles["share_within_sla"]


def test_a_previous_month_published_as_partial_is_no_base_for_the_change(tmp_path):
    """October published from an export ending on the 29th (a partial month: 23 MQLs of 1-29
    October); November's index showed "+1 vs previous month" against it, not against the full
    October November's notebook had measured (19)."""
    tile = {"label": "MQLs", "format": "int"}
    partial = {"month_partial": "the export covers only 2026-09-01 to 2026-09-28 of 2026-09"}
    published = [
        {**tile, "id": "own", "value": 23, **partial},
        {**tile, "id": "none", "value": 23, **partial},
    ]
    now = [
        {**tile, "id": "own", "value": 24, "previous": 19},
        {**tile, "id": "none", "value": 24},
    ]
    tiles = _index(tmp_path, published, now)
    why = "the previous month was published covering only part of it"
    assert tiles["own"].endswith(f"+5 vs previous month ({why})")
    assert tiles["none"].endswith(f"not compared: {why}") and "+1" not in tiles["none"]
