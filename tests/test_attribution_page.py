"""What notebook 04 (the attribution page) exports: the intervals are the headline model's.

The page leads with `headline_model` (Shapley, else Markov, else the first model compared) and
exports `attribution_intervals.csv`; these check the package function it takes them from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smk import attribution as at
from smk import outputs


@pytest.fixture(scope="module")
def paths() -> at.Journeys:
    table = pd.DataFrame(
        {
            "path": ["a", "b", "a > b", "c > a", "b > c"],
            "total_conversions": [9, 1, 5, 4, 2],
            "total_null": [10, 30, 10, 12, 20],
        }
    )
    return at.from_paths(table, value_col=None)


def test_a_rule_based_headline_exports_its_own_intervals_not_shapleys(paths):
    models = ["linear", "last_touch"]  # no data-driven model asked for: linear leads
    headline = at.headline_model(at.compare(paths, models)["model"].unique())
    boots = at.data_driven_intervals(paths, n_boot=20, random_state=0)
    got = at.headline_intervals(paths, headline, boots, n_boot=20, random_state=0)
    assert headline == "linear" and list(got.columns[:2]) == ["model", "channel"]
    assert (got["model"] == "linear").all()
    linear = at.attribute(paths, "linear")
    np.testing.assert_allclose(got["share"], linear["share"])  # the KPI's shares
    assert not np.allclose(got["share"], boots["shapley"]["share"])
    assert (got["share_low"] <= got["share"] + 1e-12).all()
    assert (got["share"] <= got["share_high"] + 1e-12).all()
    again = at.headline_intervals(paths, "linear", n_boot=20, random_state=0)
    pd.testing.assert_frame_equal(got, again)  # the same seed, the same intervals


def test_a_data_driven_headline_reuses_the_intervals_already_computed(paths):
    boots = at.data_driven_intervals(paths, n_boot=20, random_state=0, markov_order=2)
    for model in ("shapley", "markov"):
        got = at.headline_intervals(paths, model, boots, n_boot=20, random_state=0)
        assert (got["model"] == model).all()
        pd.testing.assert_frame_equal(got.drop(columns="model"), boots[model])
    assert "model" not in boots["shapley"].columns  # the page still draws them as they were
    # bootstrapped afresh, a model gets its settings from `params`, as in `compare`
    markov = at.headline_intervals(
        paths, "markov", n_boot=20, random_state=0, params={"markov": {"order": 2}}
    )
    pd.testing.assert_frame_equal(markov, at.headline_intervals(paths, "markov", boots))


def _run_page(tmp_path, **settings):
    """Notebook 04 run with papermill on the Salesforce sample with `settings`: the executed
    notebook and its output folder."""
    import papermill as pm

    from smk import config
    from smk.report import ensure_kernel, kernel_manager_class

    notebook = config.SAMPLE_DIR.parents[1] / "notebooks" / "04_attribution.ipynb"
    out = tmp_path / "out"
    params = {"data_path": str(config.SAMPLE_SALESFORCE), "output_dir": str(out), **settings}
    executed = pm.execute_notebook(
        str(notebook), str(tmp_path / "run.ipynb"), parameters=params, cwd=str(tmp_path),
        kernel_name=ensure_kernel(), kernel_manager_class=kernel_manager_class(),
        progress_bar=False,
    )  # fmt: skip
    return executed, out


def test_the_page_exports_its_headline_intervals_and_says_why_mql_has_no_truth(tmp_path):
    # the tester's run: Salesforce sample, MQLs of three months, rule-based models only
    import json

    executed, out = _run_page(
        tmp_path, conversion="mql", window_months=3, models=["linear", "last_touch"], n_boot=20
    )
    text = "".join(
        o.get("text", "") for c in executed.cells for o in c.get("outputs", []) if "text" in o
    )
    assert "period: 2026-08-01 to 2026-10-31 (conversion: mql)" in text
    assert "the share of customers (won deals) each channel caused" in text
    assert "Closest to the truth" not in text
    intervals = pd.read_csv(out / "attribution_intervals.csv")
    credit = pd.read_csv(out / "attribution.csv")
    linear = credit[credit["model"] == "linear"].set_index("channel")["share"]
    assert (intervals["model"] == "linear").all()
    np.testing.assert_allclose(
        intervals.set_index("channel")["share"], linear.loc[intervals["channel"]]
    )
    metrics = json.loads((out / "metrics-attribution.json").read_text())
    assert metrics["distance_to_truth"] is None
    assert metrics["period_last_day"] == "2026-10-31"
    assert metrics["period_end"].startswith("2026-11-01")  # kept: exclusive, as before
    assert metrics["kpis"][0]["label"] == "Top channel (Linear)"
    paths = pd.read_csv(out / "attribution_paths.csv")  # every converting path, none cut off
    assert paths["conversions"].sum() == pytest.approx(metrics["coverage"]["attributed"])
    shown = "".join(
        o.get("data", {}).get("text/markdown", "")
        for c in executed.cells
        for o in c.get("outputs", [])
    )  # the page's line above the paths table says so
    assert f"`attribution_paths.csv` holds all {len(paths)}." in shown
    # an MQL carries no value: blank (unknown) in the exports, not 0, and no column of it on
    # the page (its paths table showed "Value (EUR)" all 0, "ranked ... then by value")
    assert paths["value"].isna().all() and credit["value"].isna().all()
    (table,) = (
        html
        for c in executed.cells
        for o in c.get("outputs", [])
        if ">Path</th>" in (html := o.get("data", {}).get("text/html", ""))
    )  # the paths table
    assert "Conversion rate</th>" in table and "Value" not in table
    assert "then by value" not in shown and "Values in" not in shown
    # the page's introduction says what it credits, as its parameters asked: it said "every
    # won deal of the last twelve months ... under every model a marketing team knows"
    page = shown + "".join(c.source for c in executed.cells if c.cell_type == "markdown")
    assert (
        "This page credits every contact that became a marketing-qualified lead (MQL) in the "
        "last 3 months (2026-08-01 to 2026-10-31) to the channels that touched it, under the "
        "models chosen (Linear and Last touch)." in shown
    )
    assert "last twelve months" not in page and "every model a marketing team" not in page


def test_the_page_introduction_says_what_the_defaults_credit():
    period = "2025-11-01 to 2026-10-31"
    assert at.page_intro("deal_won", 12.0, period, reversed(at.MODELS)) == (
        f"This page credits every deal won in the last 12 months ({period}) to the channels "
        "that touched it, under every model a marketing team knows, and checks which view is "
        "closest to what the channels actually caused."
    )
    one = at.page_intro("opportunity", 1, "2026-10-01 to 2026-10-31", ["shapley"])
    assert "every deal created (an opportunity) in the last month (2026-10-01 to " in one
    assert "under the model chosen (Shapley)." in one  # no truth for opportunities


def test_the_page_and_its_metrics_say_the_window_starts_before_the_data(tmp_path):
    # the Salesforce sample's May report: a 12-month window from 2025-06-01, data from
    # 2025-11-01; and the top channel's share, of the attributed conversions only
    import json

    from smk import outputs

    # a 90-day window leaves some of its conversions unattributed (180 days, the default: none)
    settings = {"models": ["linear", "shapley"], "n_boot": 10, "lookback_days": 90}
    executed, out = _run_page(tmp_path, month="2026-05", **settings)
    text = "".join(
        o.get("text", "") + o.get("data", {}).get("text/markdown", "")
        for c in executed.cells
        for o in c.get("outputs", [])
    )
    metrics = json.loads((out / "metrics-attribution.json").read_text())
    assert metrics["period_start"].startswith("2025-06-01")  # the window as asked, kept
    assert metrics["data_start"].startswith("2025-11-01")
    assert "won conversions from 2025-06-01 to 2026-05-31 (the data start on 2025-11-01): " in (
        text
    )
    tile = {k["id"]: k for k in metrics["kpis"]}["top_channel_share"]
    c = metrics["coverage"]
    assert c["unattributed"] > 0  # so a share "of conversions" would be of the wrong total
    assert tile["label"] == "Top channel's share of attributed conversions"
    assert f"of the {c['attributed']} attributed; {c['unattributed']} of the " in tile["detail"]
    assert f"{c['conversions']} won conversions unattributed" in tile["detail"]
    assert outputs.kpi_line(tile) in text  # the page prints the tile the index shows


def test_the_page_names_its_currency_captions_its_ratio_tables_and_dates_its_tiles(tmp_path):
    """The coverage line said "72 (value 1,905,781)" in no currency; two tables with the same
    headers followed "Money: cost per acquisition and return on ad spend" uncaptioned (one
    money, one a ratio); the tiles of the 12-month window named no period beside the index's
    tiles of the month."""
    import json

    executed, out = _run_page(tmp_path, month="2026-10", models=["linear"], n_boot=10)
    shown = [  # each output of the page in order: markdown, printed text or a table (HTML)
        o.get("data", {}).get("text/markdown")
        or o.get("text")
        or o.get("data", {}).get("text/html", "")
        for c in executed.cells
        for o in c.get("outputs", [])
    ]
    text = "\n".join(shown)
    assert "won conversions from 2025-11-01 to 2026-10-31: " in text
    assert " EUR)\nattributed to channels: " in text  # the sample's fx_rates: EUR is 1.0
    captions = [i for i, o in enumerate(shown) if o.startswith(("**Cost per", "**Return on"))]
    cpa, roas = (shown[i] for i in captions)
    assert cpa.startswith("**Cost per acquisition** (EUR per conversion)")
    assert roas.startswith("**Return on ad spend** (a ratio, value credited per EUR spent")
    assert all("<table" in shown[i + 1] for i in captions)  # each right above its table
    metrics = json.loads((out / "metrics-attribution.json").read_text())
    assert metrics["currency"] == "EUR"
    tiles = {k["id"]: k for k in metrics["kpis"]}
    for kpi in ("top_channel", "top_channel_share", "conversions_attributed"):
        assert tiles[kpi]["period"] == "12 months to Oct 2026", kpi
        assert tiles[kpi]["previous_period"] == "12 months to Sep 2026", kpi
    line = outputs.kpi_line(tiles["conversions_attributed"])
    assert "(12 months to Oct 2026; of " in line and line in text  # printed as the index shows


@pytest.mark.parametrize("models", [[], ["Linear"], "markov"])
def test_the_page_introduction_checks_the_models_first(models):
    """Notebook 04 shows the introduction before it runs a model: `models=[]` failed there
    with an IndexError, not the models check's message."""
    with pytest.raises(ValueError, match="model"):
        at.page_intro("deal_won", 12, "2025-11-01 to 2026-10-31", models)
