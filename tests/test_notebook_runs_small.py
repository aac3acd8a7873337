"""`smk report` on valid data that is small or unusual publishes its pages: a check of the
data's quality is said on the page, never an assertion that stops it (only smk's own
invariants are asserted). The provenance table lists every parameter of the notebook.

Each test runs one notebook through the command (~10-20 s).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import nbformat
import yaml
from test_report import _provenance_rows

from smk import cli, config
from smk.report import declared_parameters


def _report(tmp_path: Path, data: Path, month: str, notebook: str, params: dict | None = None):
    """`smk report` of one notebook into tmp_path/reports; its exit code and month folder."""
    args = ["report", "--data", str(data), "--month", month, "--out", str(tmp_path / "reports")]
    args += ["--notebooks", notebook, "--quiet"]
    if params:
        (tmp_path / "params.yaml").write_text(yaml.safe_dump({"notebooks": {notebook: params}}))
        args += ["--params", str(tmp_path / "params.yaml")]
    return cli.main(args), tmp_path / "reports" / month


def _provenance(executed: Path) -> dict[str, str]:
    """The provenance table of an executed notebook: item -> value."""
    return _provenance_rows(nbformat.read(executed, as_version=4))


def _every_parameter(notebook: str) -> set[str]:
    """The provenance rows of every parameter but where the outputs go (`output_dir`)."""
    declared = declared_parameters(config.NOTEBOOKS_DIR / notebook) - {"output_dir"}
    return {f"parameter {name}" for name in declared}


def test_a_badly_calibrated_model_on_small_data_publishes_its_caveats(tmp_path):
    # the tester's case: 400 contacts, June; the model's ECE is 0.166 (AUC 0.38, not usable):
    # the page's `assert ece < 0.15` failed the whole report (exit 3)
    export = tmp_path / "small-1"
    assert cli.main(["synth", "--contacts", "400", "--seed", "1", "--format", "canonical",
                     "--out", str(export)]) == 0  # fmt: skip
    code, month = _report(tmp_path, export, "2026-06", "lead_scoring")
    assert code == 0
    metrics = json.loads((month / "metrics-lead_scoring.json").read_text())
    calibration = metrics["model_calibration"]
    assert not calibration["calibrated"] and calibration["ece"] > calibration["max_ece"] == 0.15
    assert "probabilities are off (expected calibration error 0.166" in calibration["caveat"]
    page = html.unescape((month / "03_lead_scoring.html").read_text())
    assert "The model score's probabilities are off." in page
    assert "warning: the expected conversions below are not to be relied on" in page
    rows = _provenance(month / "03_lead_scoring.ipynb")
    assert _every_parameter("03_lead_scoring.ipynb") <= set(rows)
    assert rows["parameter month"] == "2026-06" and rows["parameter model_version"]


def test_credit_in_a_huge_currency_passes_the_attribution_checks(tmp_path):
    # 1 EUR = 1e7 (IDR-sized amounts): float error of ~0.008 on ~1.8e13 failed the page's
    # "credit must sum to the value" (an absolute tolerance of 1e-3)
    rates = {"EUR": 1e7, "USD": 9.2e6}
    params = {"fx_rates": rates, "n_boot": 20}
    code, month = _report(tmp_path, config.SAMPLE_HUBSPOT, "2026-10", "attribution", params)
    assert code == 0
    rows = _provenance(month / "04_attribution.ipynb")
    assert _every_parameter("04_attribution.ipynb") <= set(rows)  # fx_rates, models were not
    assert not any(".staging-" in value for value in rows.values())  # no temporary folder
    assert rows["parameter fx_rates"] == str(rates) and rows["parameter n_boot"] == "20"


def test_won_revenue_in_a_huge_currency_passes_the_funnel_checks(tmp_path):
    # IDR-sized won revenue (~2.6e10, amounts with cents): the four P's views of the marketing
    # mix add up to one total but for float rounding (3.8e-6 here), which the page's check
    # held to an absolute 1e-6, so the report failed every month (exit 3)
    import numpy as np
    import pandas as pd

    export = tmp_path / "idr"
    assert cli.main(["synth", "--contacts", "1500", "--months", "18", "--seed", "7",
                     "--format", "canonical", "--out", str(export)]) == 0  # fmt: skip
    deals = pd.read_csv(export / "deals.csv", dtype=str, keep_default_na=False)
    given = deals["amount"] != ""
    amounts = pd.to_numeric(deals.loc[given, "amount"], errors="coerce").fillna(1000)
    scale = 17000 * np.random.default_rng(5).uniform(0.9, 1.1, given.sum())
    deals.loc[given, "amount"] = (amounts * scale).round(2).astype(str)
    deals["currency"] = "IDR"
    deals.to_csv(export / "deals.csv", index=False)
    params = {"fx_rates": {"IDR": 1.0}, "reporting_currency": "IDR"}
    code, month = _report(tmp_path, export, "latest", "funnel_sla", params)
    assert code == 0
    published = next((tmp_path / "reports").glob("20??-??"))
    metrics = json.loads((published / "metrics-funnel_sla.json").read_text())
    assert metrics["currency"] == "IDR"
    mix = pd.read_csv(published / "marketing_mix.csv")
    totals = mix.groupby("dimension")["won_revenue"].sum()
    assert totals.iloc[0] > 1e10 and np.allclose(totals, totals.iloc[0], rtol=1e-12, atol=0)
