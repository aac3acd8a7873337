"""What the published pages say, read as an analyst reads them: in the HTML the report renders
(`smk.report.render_html`, which leaves out nbval's check cells), every figure a page or a tile
quotes must be shown and must say what it counts.

The page tests read the notebooks as stored (re-executed on the bundled sample by
`python -m smk.notebooks`, checked by nbval) and recompute their figures from the sample.

Found by reviews of the report (the last sections below):

1. When every activity row was set aside (unreadable dates), the funnel page, its SLA lines
   and its tiles said "the export has no sales activities" while `smk validate` said "Read,
   but every row set aside" (deals had been mended: `smk.model.no_rows_text`); they now say
   the rows were set aside and point to the data-quality page.
2. A count of one before a plural: "1 of these 20 pass the MQL threshold", "1 of its 1 keys
   names no owner", "1 contacts name an account_id", "1 tasks have", "of 1 MQLs", ...
3. `as_table` showed a share that is not zero as "0.0%" (and one just below 1 as "100.0%"),
   an infinite ratio as "inf" / "infx", and a time column whose every value is missing
   without its "(UTC)".
4. The scorecard showed a missing figure as "-" (every other table: "–"), and its CSV wrote
   the changes with the noise of their operands (-0.017050691244239635).
"""

from __future__ import annotations

import ast
import dataclasses
import html
import json
import re
import shutil
import warnings
from pathlib import Path
from pkgutil import iter_modules

import numpy as np
import pandas as pd
import pytest
from test_notebook_runs_small import _report

import smk
from smk import attribution, config, outputs, periods, plots, scorecard, scoring, sla
from smk import segmentation as sg
from smk.errors import NoDataError
from smk.presentation import MISSING, as_table
from smk.report import render_html
from smk.scoring import evaluation
from smk.scoring.explain import _population_words, feature_label, scored_population
from smk.scoring.features import time_split
from smk.sla import deal_amounts

MONTH = "2026-10"
FX = {"EUR": 1.0, "USD": 0.92}


@pytest.fixture(scope="module")
def hubspot() -> smk.CRM:
    return smk.load(config.SAMPLE_HUBSPOT)


def _defaults(notebook: str) -> dict:
    """The notebook's parameters as stored (the values its stored outputs were run with)."""
    import papermill as pm

    found = pm.inspect_notebook(str(config.NOTEBOOKS_DIR / notebook))
    return {name: ast.literal_eval(spec["default"]) for name, spec in found.items()}


def _published_text(notebook: str, tmp_path: Path) -> str:
    """The text a reader sees on the notebook's published page (tags stripped, whitespace
    squeezed)."""
    page = render_html(
        config.NOTEBOOKS_DIR / notebook, tmp_path / "page.html", {"month": MONTH}, None
    )
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", page.read_text(), flags=re.S)
    return _squash(html.unescape(re.sub(r"<[^>]+>", " ", text)))


def _squash(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------ attribution (page 04)
def _journeys(crm: smk.CRM) -> tuple[attribution.Journeys, dict, str]:
    """The journeys notebook 04 builds with its stored parameters, those and its period."""
    p = _defaults("04_attribution.ipynb")
    end = periods.resolve_month(crm, p["month"]).end
    start = attribution.window_start(end, p["window_months"])
    built = attribution.journeys(
        crm, p["conversion"], p["lookback_days"], start=start, end=end, fx=p["fx_rates"]
    )
    return built, p, attribution.period_label(start, end)


def test_coverage_counts_every_won_deal_of_the_window_attributed_or_not(hubspot):
    j, p, period = _journeys(hubspot)
    assert p["conversion"] == "won"
    end = periods.resolve_month(hubspot, p["month"]).end
    start = attribution.window_start(end, p["window_months"])
    d = hubspot.deals
    won = d[d["is_won"].fillna(False).astype(bool) & (d["closed_at"] >= start)]
    won = won[won["closed_at"] < end]  # counted from the deals table, not from the journeys
    c = j.coverage()
    assert c["conversions"] == len(won) and c["attributed"] == j.total_conversions
    assert 0 < c["unattributed"] == len(won) - j.total_conversions  # the sample has some
    assert c["value"] == pytest.approx(deal_amounts(won, p["fx_rates"]).sum())
    assert c["attributed_value"] + c["unattributed_value"] == pytest.approx(c["value"])
    lines = j.coverage_lines(period, p["lookback_days"])
    # values in the currency of the rates (EUR: 1.0), as the page names it
    assert lines[0] == f"won conversions from {period}: {len(won)} (value {c['value']:,.0f} EUR)"
    assert lines[1] == f"attributed to channels: {c['attributed']:,.0f} " + (
        f"(value {c['attributed_value']:,.0f} EUR)"
    )
    assert lines[2].startswith(
        f"unattributed (no touch in the {p['lookback_days']} days before the conversion): "
        f"{c['unattributed']:,.0f} (value {c['unattributed_value']:,.0f} EUR); no model can "
        "credit"
    )
    assert j.coverage_detail(p["lookback_days"]) == (
        f"of {len(won)} won conversions; {c['unattributed']:,.0f} unattributed: no touch in "
        f"the {p['lookback_days']} days before"
    )
    assert j.coverage_detail(None).endswith("unattributed: no touch before")


def test_coverage_of_conversions_without_a_value_has_no_values_not_zeros(hubspot):
    # MQLs carry no value: metrics-attribution.json said "value": 0.0, "no_touch_value": 0.0...
    # while the CSVs leave the value blank (unknown, not 0)
    j, p, period = _journeys(hubspot)
    end = periods.resolve_month(hubspot, p["month"]).end
    start = attribution.window_start(end, p["window_months"])
    mql = attribution.journeys(hubspot, "mql", p["lookback_days"], start=start, end=end)
    c = mql.coverage()
    values = [key for key in c if key.endswith("value")]
    assert values and all(c[key] is None for key in values)
    assert c["conversions"] == c["attributed"] + c["unattributed"] > 0  # counts as they were
    assert '"value": null' in json.dumps(c)
    lines = mql.coverage_lines(period, p["lookback_days"])  # every reader takes the None
    assert "value" not in " ".join(lines) and lines[0].endswith(f": {c['conversions']:,}")
    assert mql.coverage_detail(p["lookback_days"]).startswith(f"of {c['conversions']:,} mql")
    assert "unattributed" in mql.unattributed_detail(p["lookback_days"])
    assert all(isinstance(v, float) for k, v in j.coverage().items() if k.endswith("value"))


def test_coverage_without_unattributed_conversions_or_values_says_so():
    table = pd.DataFrame(
        {"path": ["a", "a > b"], "total_conversions": [3, 2], "total_null": [10, 5]}
    )
    paths = attribution.from_paths(table, value_col=None)
    j = dataclasses.replace(paths, conversion="mql")  # MQLs: conversions without a value
    lines = j.coverage_lines("2026-01-01 to 2026-03-31", None)
    assert lines[:3] == [
        "mql conversions from 2026-01-01 to 2026-03-31: 5",
        "attributed to channels: 5",
        "unattributed (no touch before the conversion): 0",
    ]
    assert "value" not in " ".join(lines) and "no model can credit" not in " ".join(lines)
    assert j.coverage_detail(30) == (
        "of 5 mql conversions; none unattributed: no touch in the 30 days before"
    )


def test_the_attribution_page_shows_the_unattributed_conversions_and_the_tile_of_how_many(
    hubspot, tmp_path
):
    j, p, period = _journeys(hubspot)
    text = _published_text("04_attribution.ipynb", tmp_path)
    for line in j.coverage_lines(period, p["lookback_days"]):  # visible, not only checked
        assert _squash(line) in text
    tile = (  # its window first: the index shows it beside the month's figures
        f"Conversions attributed (won): {j.total_conversions:,.0f} "
        f"(12 months to Oct 2026; {j.coverage_detail(p['lookback_days'])})"
    )
    assert tile in text
    assert "counted, not hidden" not in text


def test_the_attribution_page_says_how_its_paths_are_ranked_and_what_credit_adds_up_to(
    hubspot, tmp_path
):
    # the "most common" paths were all ties (each converted once) broken alphabetically, the
    # CSV cut at 50 rows unsaid, and credit said to add up to all the period's conversions
    j, p, _ = _journeys(hubspot)
    paths = attribution.top_paths(j, n=None)
    assert paths["conversions"].sum() == j.total_conversions  # what the CSV holds: every path
    assert paths["conversions"].max() > 1  # repeats collapsed: some paths now repeat
    text = _published_text("04_attribution.ipynb", tmp_path)
    assert _squash(attribution.paths_note(paths, shown=10).replace("`", "")) in text
    assert f"`attribution_paths.csv` holds all {len(paths)}" in attribution.paths_note(paths, 10)
    assert "Credit always adds up to the conversions and value of the period" not in text
    assert "the credit adds up to the attributed conversions of the period and their value" in (
        text
    )
    assert j.coverage()["unattributed"] > 0  # so "the period's conversions" would be untrue


def test_the_attribution_page_says_shapley_credit_is_not_bounded_by_a_channel_s_journeys(
    tmp_path,
):
    # HB: rescaled to all conversions, Shapley credited a channel more value than its journeys
    # held (a ROAS above the possible ceiling), unsaid
    text = _published_text("04_attribution.ipynb", tmp_path)
    assert (
        "Its credit is then scaled to add up to all the attributed conversions and their "
        "value, so it is not bounded by the journeys a channel touched" in text
    )


def test_the_top_channel_share_tile_says_it_is_of_the_attributed_conversions(hubspot, tmp_path):
    # its label said "of conversions": a share of the attributed ones, not of all those won
    j, p, _ = _journeys(hubspot)
    shapley = attribution.attribute(j, "shapley").sort_values("share", ascending=False)
    top = shapley.iloc[0]
    tile = attribution.top_share_kpi(top, "shapley", j, p["lookback_days"])
    c = j.coverage()
    assert c["unattributed"] > 0 and c["attributed"] < c["conversions"]  # the sample's case
    assert tile["label"] == "Top channel's share of attributed conversions"
    assert tile["value"] == pytest.approx(top["conversions"] / c["attributed"])
    assert tile["detail"] == (
        f"Shapley credit: {top['conversions']:,.1f} of the {c['attributed']} attributed; "
        f"{c['unattributed']} of the {c['conversions']} won conversions unattributed: no touch "
        f"in the {p['lookback_days']} days before"
    )
    # the page's tile also says how sure its bootstrap is that the channel is the top one
    intervals = attribution.bootstrap(j, "shapley", n_boot=p["n_boot"], random_state=p["seed"])
    ranking = attribution.top_channel_check(intervals, top["channel"])
    tile = attribution.top_share_kpi(top, "shapley", j, p["lookback_days"], ranking=ranking)
    from smk.outputs import kpi_line, over_period

    month = periods.resolve_month(hubspot, p["month"])  # the page's tile names its window
    shown = over_period(tile, month, p["window_months"])
    text = _published_text("04_attribution.ipynb", tmp_path)  # the page says what the tile does
    assert _squash(kpi_line(shown)) in text and "share of conversions:" not in text


def test_the_unattributed_detail_with_every_conversion_attributed_says_none():
    table = pd.DataFrame(
        {"path": ["a", "a > b"], "total_conversions": [3, 2], "total_null": [1, 5]}
    )
    j = dataclasses.replace(attribution.from_paths(table, value_col=None), conversion="mql")
    assert j.unattributed_detail(30) == (
        "none of the 5 mql conversions unattributed: no touch in the 30 days before"
    )


def test_a_window_starting_before_the_data_says_where_they_start():
    # the May report said "won conversions from 2025-06-01 to 2026-05-31" of an export that
    # begins on 2025-11-01: the window is 12 months as asked, its first five hold no data
    crm = smk.load(config.SAMPLE_SALESFORCE)
    first = periods.data_span(crm)[0]
    assert f"{first:%Y-%m-%d}" == "2025-11-01"
    end = periods.Month("2026-05").end
    start = attribution.window_start(end, 12)
    j = attribution.journeys(crm, "won", 90, start=start, end=end, fx=FX)
    assert j.data_start == first
    period = attribution.period_label(start, end)
    assert j.coverage_lines(period, 90)[0].startswith(
        "won conversions from 2025-06-01 to 2026-05-31 (the data start on 2025-11-01): "
    )
    later = attribution.journeys(crm, "won", 90, start=first.normalize(), end=end, fx=FX)
    assert later.data_start is None  # a window from the data's first day misses none
    assert later.coverage_lines(period, 90)[0].startswith(f"won conversions from {period}: ")
    assert attribution.journeys(crm, "won", 90, end=end, fx=FX).data_start is None  # no start given


# ------------------------------------------------------------------ segmentation (page 02)
def test_the_at_risk_tile_names_and_counts_each_segment_it_adds(hubspot):
    p = _defaults("02_segmentation.ipynb")
    money = {"fx_rates": p["fx_rates"], "reporting_currency": p["reporting_currency"]}
    as_of = periods.resolve_month(hubspot, p["month"]).end
    features = sg.account_features(hubspot, as_of, **money)
    model = sg.AccountSegmenter(n_segments=2, random_state=0).fit(features)
    run = sg.SegmentationRun(model, model.assign(features), True, MONTH, "")
    profiles = sg.persona_profiles(hubspot, run.assignments, as_of, **money)
    profiles.insert(1, "persona", sg.name_personas(profiles))
    rfm = sg.rfm_table(hubspot, as_of, **money)
    tiles = {t["id"]: t for t in sg.segmentation_kpis(hubspot, run, profiles, rfm)}
    tile = tiles["rfm_customers_at_risk"]
    assert tile["label"] == "Customers at risk (RFM: at risk, can't lose them)"
    buyers = rfm[rfm["frequency"] > 0]
    # by hand from the R and F scores (RFM_SEGMENTS): recency 1-2, frequency 5 or 3-4
    lost = int(((buyers["r"] <= 2) & (buyers["f"] == 5)).sum())
    at_risk = int(((buyers["r"] <= 2) & buyers["f"].between(3, 4)).sum())
    assert tile["value"] == lost + at_risk
    # accounts, not the funnel's customers (contacts), which the same index shows
    assert tile["detail"] == (
        f"of {len(buyers)} customer accounts: {at_risk} at risk, {lost} can't lose them"
    )
    assert at_risk == 0 < lost  # the sample's case: a tile of 1 and no "at risk" row
    assert (
        rfm["account_id"].is_unique
        and buyers["account_id"].isin(hubspot.accounts["account_id"]).all()
    )
    contacts = hubspot.contacts["became_customer_at"].notna().sum()
    assert contacts != len(buyers)  # "of N customers" read as contacts would be another figure


def test_the_segmentation_page_says_which_segments_the_at_risk_tile_counts(tmp_path):
    text = _published_text("02_segmentation.ipynb", tmp_path)
    assert "Customers at risk (RFM: at risk, can't lose them): " in text
    assert re.search(r"\(of \d+ customer accounts: \d+ at risk, \d+ can't lose them\)", text)
    assert "counts the customers of two segments, at risk and can't lose them" in text


# ------------------------------------------------------------------ lead scoring (page 03)
def test_a_missing_value_reads_as_missing_not_as_a_value_named_unknown():
    # a lead without source detail read "first came via unknown (+4.9 pts)", as if its
    # source were one named "unknown"
    for missing in (None, np.nan, pd.NA):
        assert feature_label("source_detail", missing) == "no source detail"
    assert feature_label("source_detail", "unknown") == "source detail unknown"
    assert feature_label("original_source", "Referrals") == "first came via Referrals"
    assert feature_label("original_source", np.nan) == "no original source"
    assert feature_label("days_since_last_touch", np.nan) == "no last touch (never touched)"
    # a label given as text alone: the feature's words, said unknown
    own = {"x": "{value:.0f} business days"}
    assert feature_label("x", np.nan, own) == "business days: unknown"


def test_a_reason_counting_one_thing_reads_in_the_singular():
    assert feature_label("touches_referral", 1.0) == "1 touch from referrals"
    assert feature_label("touches_referral", 2.0) == "2 touches from referrals"
    assert feature_label("touches_other", 1.0) == "1 other touch"
    assert feature_label("touches_event", 1.0) == "1 event attended"
    assert feature_label("account_contacts", 1.0) == "1 colleague joined in the last 90 days"
    assert feature_label("days_since_last_touch", 1.0) == "last touch 1 day ago"
    assert feature_label("channels", 1.0) == "reached through 1 channel"
    assert feature_label("employees", 1.0) == "1 employee"
    assert feature_label("employees", 1100.0) == "1,100 employees"
    assert feature_label("touches", 0.0) == "0 marketing touches"
    assert feature_label("touches", 0.6) == "1 marketing touch"  # as it reads: "1"
    own = {"x": "{value:.0f} business days", "y": "{value:.0f} analysis runs"}
    assert feature_label("x", 1.0, own) == "1 business day"  # "business" is no plural
    assert feature_label("y", 1.0, own) == "1 analysis run"
    assert feature_label("job_title", "1", {"job_title": "job title {value} plans"}) == (
        "job title 1 plan"
    )


def _month_leads(crm: smk.CRM) -> tuple[pd.DataFrame, pd.Series]:
    """Notebook 03's leads of the month (stored parameters) and, per lead, whether it had
    reached the lead stage or a later one by the month's end (from the stage dates)."""
    p = _defaults("03_lead_scoring.ipynb")
    month = periods.resolve_month(crm, p["month"])
    leads = scoring.lead_features(
        crm, month.end, target=p["target"], within_days=p["within_days"],
        score_after_days=p["score_after_days"],
    )  # fmt: skip
    chosen = scoring.leads_scored_in(leads, month)
    stages = ["lead", "mql", "sql", "opportunity", "customer", "evangelist"]
    c = crm.contacts.set_index("contact_id").reindex(chosen.index)
    first = c[[f"became_{s}_at" for s in stages]].min(axis=1)
    return chosen, first.notna() & (first < month.end)


def test_the_scored_list_counts_the_contacts_that_are_no_leads_yet(hubspot):
    chosen, is_lead = _month_leads(hubspot)
    mql = np.arange(len(chosen)) % 4 == 0  # any flags: the count follows them
    scored = pd.DataFrame({"contact_id": chosen.index, "mql": mql})
    got = scored_population(hubspot, scored, MONTH)
    others = int((~is_lead).sum())
    others_mql = int((mql & ~is_lead.to_numpy()).sum())
    assert 0 < others < len(chosen)  # HubSpot's sample scores subscribers too
    assert (got["scored"], got["leads"], got["not_leads"]) == (
        len(chosen),
        len(chosen) - others,
        others,
    )
    assert got["not_leads_mql"] == others_mql
    assert got["detail"] == (
        f"{len(chosen) - others} leads; {others} not leads yet, of which {others_mql} above the "
        "MQL threshold"
    )  # not "MQLs": the funnel's MQLs are the CRM stage, not the score's threshold
    assert got["text"].startswith(
        f"{len(chosen)} contacts were scored in {MONTH}: {len(chosen) - others} had reached the "
        f"lead stage by the end of {MONTH} and {others} had not"
    )
    leads_only = scored[is_lead.to_numpy()]
    assert scored_population(hubspot, leads_only, MONTH)["detail"] == "all leads"


def test_the_lead_scoring_page_says_it_scores_every_new_contact_and_counts_non_leads(
    hubspot, tmp_path
):
    chosen, is_lead = _month_leads(hubspot)
    text = _published_text("03_lead_scoring.ipynb", tmp_path)
    assert "scores every lead a week after it arrives" not in text
    assert "scores every new contact a set number of days after its record was created" in text
    assert "scores every new contact a week after" not in text  # score_after_days may differ
    leads, others = int(is_lead.sum()), int((~is_lead).sum())
    assert (
        f"{len(chosen)} contacts were scored in {MONTH}: {leads} had reached the lead stage by "
        f"the end of {MONTH} and {others} had not"
    ) in text
    assert (
        f"Contacts scored this month: {len(chosen)} ({leads} leads; {others} not leads yet, of which "
        in (text)
    )
    assert "Leads scored this month" not in text
    assert "MQLs)" not in text  # the tile's "of which 3 MQLs": leads above the threshold
    plural = (
        r"(?<![\d,.])1 (?:[\w-]+ )?(?:touches|visits|submissions|clicks|days|channels|employees)\b"
    )
    assert not re.search(plural, text), re.search(plural, text)


def test_the_lead_scoring_page_counts_the_contacts_it_leaves_out(hubspot, tmp_path):
    # 250 contacts had their scoring date in 2026-10; 242 were scored and the page said
    # nothing of the 8 that had reached SQL by then
    p = _defaults("03_lead_scoring.ipynb")
    assert (p["target"], p["score_after_days"]) == ("sql", 7)
    c = hubspot.contacts.drop_duplicates("contact_id")
    scored_at = c["created_at"] + pd.Timedelta(days=7)
    month = periods.resolve_month(hubspot, MONTH)
    due = c[month.contains(scored_at)]
    later = ["sql", "opportunity", "customer", "evangelist"]
    sql_at = due[[f"became_{s}_at" for s in later]].min(axis=1)
    left_out = int((sql_at <= scored_at[due.index]).sum())  # from the stage dates, not the code
    chosen, _ = _month_leads(hubspot)
    assert left_out > 0 and len(chosen) + left_out == len(due)
    text = _published_text("03_lead_scoring.ipynb", tmp_path)
    assert (
        f"Left out: {left_out} contacts whose scoring date (7 days after creation) fell in "
        f"{MONTH} had already reached SQL (or a later stage) by then"
    ) in text
    # the note under the scored table said "the top 10 of 242 leads", of which 30 are no leads
    assert f"Shown: the top 10 of {len(chosen)} contacts; all in scored_leads.csv" in text


def test_the_funnel_page_gives_the_unit_of_the_speed_measured_the_other_way(tmp_path):
    # "median speed to lead in working hours: 1.5": a figure without its unit
    text = _published_text("01_funnel_sla.ipynb", tmp_path)
    assert "median speed to lead in working hours:" not in text
    found = re.search(
        r"measured in working hours: median speed to lead \d+\.\d working hours; within 24 "
        r"working hours: \d+\.\d%",
        text,
    )
    assert found, text[:200]


# ------------------------------------------------------------------ words for readers
#: A Python name of smk shown to readers: `smk.segmentation.RFM_SEGMENTS`, `sla.mql_leads`
#: (a module of smk, a dot, a name; not a file such as `smk/scoring/config.yaml`).
_MODULES = "|".join(["smk", *sorted(m.name for m in iter_modules(smk.__path__))])
_PYTHON_NAME = re.compile(rf"(?<![\w/.])(?:{_MODULES})\.[A-Za-z_]\w*")


@pytest.mark.parametrize("notebook", sorted(p.name for p in config.NOTEBOOKS_DIR.glob("0*.ipynb")))
def test_the_pages_name_no_python_module_or_function_to_readers(notebook):
    import nbformat

    from smk.report import _hidden_in_report

    book = nbformat.read(config.NOTEBOOKS_DIR / notebook, as_version=4)
    shown = [c for c in book.cells if not _hidden_in_report(c)]
    texts = [c.source for c in shown if c.cell_type == "markdown"] + [
        o.get("text", "") for c in shown for o in c.get("outputs", []) if o.output_type == "stream"
    ]
    assert [m[0] for t in texts for m in _PYTHON_NAME.finditer(t)] == []


def test_the_funnel_page_says_why_it_has_no_segment_view_in_a_reader_s_words(tmp_path):
    text = _published_text("01_funnel_sla.ipynb", tmp_path)
    assert "No segment view this month: no file assigns contacts or accounts to segments" in text
    assert "the report setting segments_csv" in text and "set segments_csv to" not in text


#: the HubSpot sample's activity files
ACTIVITY_FILES = ("calls", "emails", "meetings", "tasks")


# ----------------------------------------------------------- 1. every activity row set aside
def _activities_set_aside(folder: Path) -> Path:
    """The bundled HubSpot sample with an unreadable date on every activity row."""
    shutil.copytree(config.SAMPLE_HUBSPOT, folder, ignore=shutil.ignore_patterns("truth"))
    for kind in ACTIVITY_FILES:
        (path,) = folder.glob(f"*-{kind}-*.csv")
        rows = pd.read_csv(path, dtype=str, keep_default_na=False)
        rows["Activity date"] = "soon"
        rows.to_csv(path, index=False)
    return folder


@pytest.fixture(scope="module")
def export_without_activities(tmp_path_factory) -> Path:
    return _activities_set_aside(tmp_path_factory.mktemp("activities") / "hubspot")


@pytest.fixture(scope="module")
def activities_set_aside(export_without_activities) -> smk.CRM:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        crm = smk.load(export_without_activities)
    assert crm.activities.empty and crm.quality.tables["activities"].read > 1
    return crm


def _set_aside_why(crm: smk.CRM) -> str:
    read = crm.quality.tables["activities"].read
    return (
        f"all {read:,} rows of the export's sales activities were set aside, see the "
        "data-quality page"
    )


def test_activities_all_set_aside_are_said_to_be_set_aside(activities_set_aside):
    crm = activities_set_aside
    why = _set_aside_why(crm)
    assert crm.no_rows_text("activities") == why
    assert scorecard.unknown_kpis(crm)["share_within_sla"] == why  # the tiles' notes
    leads = sla.mql_leads(crm, as_of=periods.as_month(MONTH).end)
    summary = sla.month_summary(leads, MONTH)
    text = sla.summary_text(summary, sla.SLA(), MONTH, no_activities=why)
    assert f"worked, speed to lead, within the SLA and leaked: unknown ({why})" in text
    deals = sla.deal_table(crm, FX, "EUR")
    row = sla.pipeline_by_month(deals, months=[MONTH]).iloc[0]
    details = scorecard.kpi_details(summary, row, no_activities=why)
    assert details["mqls"] == why
    for kpi in ("speed_to_lead_hours", "share_within_sla", "leakage_rate"):
        assert details[kpi] == f"unknown: {why}"
    with pytest.raises(NoDataError, match="none, or every row of them was set aside") as error:
        sla.leads_behind(leads, "leaked", MONTH)
    assert "the export has no sales" not in str(error.value)  # it may have had some


def test_the_page_prints_a_table_without_rows_as_a_sentence(activities_set_aside):
    """Notebook 01's lines on an export without usable activities / deals: one helper."""
    why = _set_aside_why(activities_set_aside)
    assert activities_set_aside.no_rows_sentence("activities", "leakage is unknown.") == (
        f"{why[:1].upper()}{why[1:]}: leakage is unknown."
    )
    empty = smk.CRM()
    assert empty.no_rows_sentence("deals", "pipeline is unknown, not zero.") == (
        "The export has no deals: pipeline is unknown, not zero."
    )


def test_an_export_without_activities_still_has_none():
    assert smk.model.no_rows_text("activities") == "the export has no sales activities"
    assert smk.model.no_rows_text("activities", 1) == (
        "the one row of the export's sales activities was set aside, see the data-quality page"
    )
    summary = {"mqls": 3, "worked": pd.NA, "accepted": 1, "open": 2}
    no_deals = {"deals_created": pd.NA}
    details = scorecard.kpi_details(summary | {sla.ACTIVITIES_IN_EXPORT: False}, no_deals)
    assert details["mqls"] == "the export has no sales activities"


def test_the_funnel_page_says_the_activities_were_set_aside(
    export_without_activities, activities_set_aside, tmp_path
):
    code, month = _report(tmp_path, export_without_activities, MONTH, "funnel_sla")
    assert code == 0
    why = _set_aside_why(activities_set_aside)
    page = html.unescape((month / "01_funnel_sla.html").read_text(encoding="utf-8"))
    assert f"{why[:1].upper()}{why[1:]}: worked, speed to lead and leakage are unknown." in page
    assert "export has no sales activities" not in page
    kpis = json.loads((month / "metrics-funnel_sla.json").read_text(encoding="utf-8"))["kpis"]
    detail = {k["id"]: k.get("detail") for k in kpis}
    assert detail["mqls"] == why and detail["share_within_sla"] == why


def test_the_speed_to_lead_chart_does_not_claim_the_export_has_no_activities():
    ax = plots.speed_to_lead_histogram([np.nan, np.nan], 24)
    reason = plots.no_data_reason(ax)
    assert reason.startswith("none of the 2 MQLs has a first sales activity yet")
    assert "the export has no" not in reason
    one = plots.no_data_reason(plots.speed_to_lead_histogram([np.nan], 24))
    assert one.startswith("the one MQL has no first sales activity yet")


# ----------------------------------------------------------------- 2. a count of one
def test_one_contact_above_the_threshold_passes_it():
    counts = {"scored": 30, "leads": 10, "not_leads": 20, "not_leads_mql": 1}
    words = _population_words(counts, periods.as_month(MONTH))
    assert "; 1 of these 20 passes the MQL threshold." in words["text"]
    counts |= {"not_leads_mql": 3}
    assert "; 3 of these 20 pass the MQL threshold." in _population_words(counts, MONTH)["text"]
    one = {"scored": 11, "leads": 10, "not_leads": 1, "not_leads_mql": 0}
    words = _population_words(one, MONTH)
    assert "; that one does not pass the MQL threshold." in words["text"]
    assert words["detail"] == "10 leads; 1 not a lead yet, of which 0 above the MQL threshold"


def test_a_teams_setting_with_one_key_is_said_to_have_only_one():
    from smk.report import _unknown_owners_text

    text = _unknown_owners_text("teams", ["owner-99"], 1)
    assert text.startswith("teams: its only key names no owner in the export ('owner-99')")
    assert "1 of its 4 keys names" in _unknown_owners_text("teams", ["owner-99"], 4)


def test_the_tiles_count_one_mql_and_one_deal_as_one(hubspot):
    summary = {"mqls": 1, "accepted": 0, "open": 1, "within_sla": 1, "share_within_sla": 1.0}
    summary |= {"worked": 1, "leaked": 0, "leak_pending": 0, "not_worked": 0, "leak_due": 1}
    summary |= {"within_sla_due": 1, "sla_due": 1, "sla_pending": 0}
    summary |= {sla.ACTIVITIES_IN_EXPORT: True}
    details = scorecard.kpi_details(summary, {"deals_created": pd.NA})
    summary |= {"acceptance_rate": 0.0}
    assert sla.acceptance_text(summary, sla.SLA()) == (
        "0 of 1 MQL (0.0%), 1 still inside the 30-day window"
    )
    assert details["share_within_sla"] == "1 of the 1 MQL past the SLA time of 24 hours"
    deals = sla.deal_table(hubspot, FX, "EUR")
    row = sla.pipeline_by_month(deals, months=[MONTH]).iloc[0].copy()
    row[["deals_created", "mql_deals"]] = 1
    assert "1 of 1 deal\n" in sla.pipeline_text(row, MONTH, "EUR")


def test_one_account_is_one_account(hubspot):
    rfm = pd.DataFrame({"frequency": [2, 0, 0]})
    assert sg.customers_line(hubspot, rfm, MONTH) == (
        "1 of 3 accounts has won deals by the end of 2026-10"
    )
    drift = {"accounts_compared": 40, "share_moved": 0.1, "new_accounts": 1}
    note = sg.drift_note(drift | {"refit_agreement": None})
    assert "; 1 account is new." in note
    when = pd.Timestamp("2024-01-01", tz="UTC")
    one = pd.DataFrame(
        {"account_id": ["a1"], "rfm_segment": ["loyal"], "frequency": [2], "monetary": [100.0]}
    ).assign(first_purchase_at=when, last_purchase_at=when)
    value = sg.customer_value(one, periods.as_month(MONTH))
    source = value.attrs["retention_source"]
    assert source.startswith("assumed (1 customer has a year of history; ")


def test_one_conversion_is_one_conversion():
    y, score = np.array([1, 0, 0, 0, 0, 0]), np.linspace(1, 0, 6)
    verdict = evaluation.better_than_chance(y, score, n_boot=20)
    assert verdict["text"].startswith("On 6 test leads with 1 conversion its ROC AUC")
    both = evaluation.compare_scores(y, score, score[::-1], n_boot=20)
    assert both["text"].startswith("On 6 test leads with 1 conversion, ROC AUC")
    leads = pd.DataFrame(
        {"label": [1.0], "scored_at": pd.Timestamp("2026-01-01", tz="UTC")},
        index=pd.Index(["c1"], name="contact_id"),
    )
    with pytest.raises(NoDataError, match="^only 1 lead has a known outcome, too few"):
        time_split(leads, gap_days=0)


def test_one_row_of_a_loader_warning_is_one_row(tmp_path):
    from smk.io.mapping import _task_work
    from smk.io.salesforce import _not_done
    from smk.io.sql import _merge_table

    frame = pd.DataFrame({"task_status": ["Completed", "Pending review"]})
    _, notes = _task_work(frame, "activities", Path("tasks.csv"))
    assert notes[0].startswith("activities: 1 task of tasks.csv has a task status that says")
    assert "('Pending review'): it counts as sales work" in notes[0]
    said: list[str] = []
    _not_done(pd.DataFrame({"Status": ["Pending review"], "_reason": [None]}), said)
    assert said[0].startswith("activities: 1 task has a Status that says neither done nor open")
    assert "tells: it counts as sales work" in said[0]
    merges = pd.DataFrame({"canonical_vid": ["9"], "vid_to_merge": ["8"]})
    said = []
    _merge_table(pd.DataFrame({"contact_id": ["1"]}), "contacts", merges, said)
    assert said[0].startswith("contacts: 1 row of contact_merge_audit names a surviving record")


def test_a_single_contact_set_aside_is_the_one_row(tmp_path):
    from smk.report import report_blocker

    folder = tmp_path / "hubspot"
    folder.mkdir()
    name = "hubspot-crm-exports-all-contacts-2026-02-01.csv"
    (folder / name).write_text(
        "Record ID,First Name,Email,Lifecycle Stage,Create Date\n1,Ada,a@example.test,Lead,x\n"
    )
    (folder / "hubspot-crm-exports-all-deals-2026-02-01.csv").write_text(
        "Record ID,Deal Name,Deal Stage,Create Date,Amount\n7,Big,Closed Won,2026-01-05 10:00,10\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        crm = smk.load(folder)
    assert f"no contact was loaded: the one row read from {name} was set aside, for " in (
        report_blocker(crm)
    )
    assert report_blocker(crm).endswith("(`smk validate --set-aside DIR` lists it). The report "
                                        "needs contacts; without them its pages would only say "
                                        "'not enough data'")  # fmt: skip


# ------------------------------------------------------------------------ 3. as_table
def test_a_share_that_is_not_zero_nor_one_never_reads_so():
    shares = [0.0, 0.0004, 0.0005, 0.5, 0.9996, 1.0, -0.0001, np.nan]
    shown = as_table(pd.DataFrame({"share": shares}))["Share"].tolist()
    assert shown == ["0.0%", "<0.1%", "0.1%", "50.0%", ">99.9%", "100.0%", ">-0.1%", MISSING]


def test_an_infinite_value_shows_the_dash():
    frame = pd.DataFrame({"roas": [np.inf, 1.5, -np.inf], "conversion_rate": [np.inf, 0.25, 0.5]})
    frame["avg"] = [1.25, np.inf, 2.5]
    table = as_table(frame)
    assert table["ROAS"].tolist() == [MISSING, "1.50x", MISSING]
    assert table["Conversion rate"].tolist() == [MISSING, "25.0%", "50.0%"]
    assert table["Average"].tolist() == ["1.250", MISSING, "2.500"]  # finite ones decide
    assert "inf" not in " ".join(table.to_numpy().ravel())


def test_a_time_column_without_a_value_still_says_utc():
    frame = pd.DataFrame(
        {
            "contact_id": ["1", "2"],
            "first_activity_at": [None, None],
            "mql_at": pd.to_datetime([None, None], utc=True),
            "owner": [None, None],
        }
    )
    table = as_table(frame)
    assert list(table.columns) == ["Contact ID", "First activity at (UTC)", "MQL at (UTC)", "Owner"]
    assert table["First activity at (UTC)"].tolist() == [MISSING, MISSING]
    at = pd.to_datetime(["2026-10-01 09:30", None], utc=True)
    assert list(as_table(pd.DataFrame({"mql_at": at})).columns) == ["MQL at (UTC)"]
    dates = pd.to_datetime(["2026-10-01", None], utc=True)  # dates alone: no time of day
    assert list(as_table(pd.DataFrame({"mql_at": dates})).columns) == ["MQL at"]


# ------------------------------------------------------------------------ 4. the scorecard
def test_the_scorecard_shows_the_dash_of_every_table(hubspot):
    card = scorecard.kpi_scorecard(hubspot, MONTH, sla.SLA(), FX, "EUR")
    shown = scorecard.scorecard_display(card, "EUR").set_index("KPI")
    assert shown["same month last year"].eq(MISSING).all()  # the export starts in 2025-11
    assert shown.loc["Pipeline created", "target"] == MISSING
    assert shown.loc["Pipeline created", "status"] == MISSING
    assert not shown.isin(["-"]).any(axis=None)


def test_the_scorecard_csv_writes_its_changes_without_noise(hubspot, tmp_path):
    card = scorecard.kpi_scorecard(hubspot, MONTH, sla.SLA(), FX, "EUR").set_index("id")
    path = outputs.export_csv(card.reset_index(), tmp_path, "scorecard.csv")
    written = pd.read_csv(path, dtype=str, encoding="utf-8-sig").set_index("id")
    changes = written["change_vs_previous_month"].dropna()
    assert changes["share_within_sla"] == "-0.004237288135593"  # was -0.004237288135593209
    assert changes["speed_to_lead_hours"] == "-0.075"  # was -0.0749999999999993
    for kpi, text in changes.items():
        digits = text.lstrip("-").replace(".", "").lstrip("0")
        assert len(digits) <= outputs.FLOAT_DIGITS, (kpi, text)
        exact = card.loc[kpi, "actual"] - card.loc[kpi, "previous_month"]
        assert float(text) == pytest.approx(exact, rel=1e-12, abs=1e-15)


def test_a_difference_keeps_the_digits_its_operands_hold():
    assert 0.8 - 0.5 == 0.30000000000000004
    assert outputs.tidy_difference(0.8, 0.5) == 0.3
    assert outputs.tidy_difference(45 / 62, 52 / 70) == -0.01705069124424
    assert outputs.tidy_difference(4.683333333333334, 4.758333333333334) == -0.075
    assert outputs.tidy_difference(1 / 3, 0.0) == 1 / 3  # a real 16th digit stays
    assert outputs.tidy_difference(70.0, 62.0) == 8.0
    assert outputs.tidy_difference(0.0, 0.0) == 0.0
    assert np.isnan(outputs.tidy_difference(np.nan, 1.0))
    assert outputs.tidy_difference(1e15 + 0.5, 0.25) == 1e15 + 0.25  # a digit it has


def test_the_funnel_page_says_the_share_within_the_sla_is_of_the_mqls_past_their_sla_time():
    """The share within the SLA is over the MQLs whose SLA time has passed (SLA due): the
    month-by-month section said "of all" and the histogram's text that every MQL not worked
    counts against it, so a reader's hand count (45 of 62, 72.6%) missed the tile's 74.6% (HG)."""
    import nbformat

    book = nbformat.read(config.ROOT / "notebooks" / "01_funnel_sla.ipynb", as_version=4)
    text = " ".join(c.source for c in book.cells if c.cell_type == "markdown")
    assert "*Share within SLA* of all" not in text
    assert "*Share within SLA* of the MQLs past their SLA time" in text
    assert "do not appear in the histogram but count against the share" not in text
