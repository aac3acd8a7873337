"""The provenance table: notebook 00 lists every parameter as 02-04 do (`notebooks.parameters`),
and every value is shown whole on the page, its text escaped."""

from __future__ import annotations

import html

import nbformat
import pytest
from test_attribution_models import B2B, mini_crm
from test_notebook_parameters import _run_setup

import smk
from smk import config, notebooks, periods
from smk.report import declared_parameters

MODELS = ["first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "markov"]


@pytest.mark.filterwarnings("ignore")
def test_the_data_quality_notebook_gives_provenance_every_parameter(tmp_path):
    notebook = "00_data_quality.ipynb"
    injected = {"output_dir": str(tmp_path / "out"), "month": "2026-09"}
    given = _run_setup(notebook, injected)["given"]
    declared = declared_parameters(config.NOTEBOOKS_DIR / notebook)
    assert set(given) == declared - {"output_dir"} and given["month"] == "2026-09"
    cells = nbformat.read(config.NOTEBOOKS_DIR / notebook, as_version=4).cells
    assert "notebooks.provenance(crm, given)" in "".join(c.source for c in cells)


def test_the_provenance_table_shows_long_values_whole_and_escaped():
    """`models` and long `fx_rates` showed cut at 50 characters ("...")."""
    rates = {code: 1.0 + i / 10 for i, code in enumerate(["EUR", "USD", "GBP", "CHF", "SEK"])}
    crm_text = "<b>Ada & Co</b> " + "x" * 60  # text from the CRM, as a parameter could hold it
    given = {"models": MODELS, "fx_rates": rates, "note": crm_text}
    table = notebooks.provenance(mini_crm(B2B), given)
    page = table._repr_html_()  # what a notebook shows and the published page holds
    assert "..." not in page and "<b>" not in page  # whole, and escaped by pandas' to_html
    for value in (str(MODELS), str(rates), crm_text):
        assert len(value) > 50 and f"<td>{html.escape(value, quote=False)}</td>" in page
        assert value in repr(table)  # the plain-text output too
    assert table.equals(table.copy()) and list(table.columns) == ["item", "value"]


def test_the_provenance_table_shows_the_month_latest_stood_for():
    """Run in a kernel or by papermill with `month="latest"`, the table said "latest" (smk
    report resolves it before the run, so its pages named the month)."""
    crm = smk.load(config.SAMPLE_HUBSPOT)
    month = periods.resolve_month(crm, "latest")
    table = notebooks.provenance(crm, {"month": "latest", "seed": 0})
    shown = dict(zip(table["item"], table["value"], strict=True))
    assert shown["parameter month"] == f"{month} (latest)" == "2026-10 (latest)"
    table = notebooks.provenance(crm, {"month": "2026-09"})  # a month named stays as named
    assert dict(zip(table["item"], table["value"], strict=True))["parameter month"] == "2026-09"


def test_the_provenance_table_names_the_versions_the_figures_depend_on():
    """Lead scoring's figures change with scikit-learn's version (a ROC AUC of 0.5658 with 1.8,
    0.5622 with 1.9): the table named smk, Python, pandas and numpy only."""
    import numpy as np
    import pandas as pd
    import sklearn

    table = notebooks.provenance(mini_crm(B2B), {})
    shown = dict(zip(table["item"], table["value"], strict=True))
    assert {k: shown[k] for k in ("smk", "pandas", "numpy", "scikit-learn")} == {
        "smk": smk.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
    }
