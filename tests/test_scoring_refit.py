"""The model that scores a month's leads is never trained on them, and notebook 03 refuses a
wrong sales capacity at setup, before it reads the data or trains a model."""

from __future__ import annotations

import ast

import nbformat
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

from smk import config
from smk import scoring as sc

NOTEBOOK = config.ROOT / "notebooks" / "03_lead_scoring.ipynb"


class _Recorder(BaseEstimator):
    """A stand-in scorer that remembers the rows it was fitted on."""

    def __init__(self, model: str = "recorder") -> None:
        self.model = model

    def fit(self, X: pd.DataFrame, y) -> _Recorder:
        self.fitted_on_ = set(X.index)
        return self

    def score_leads(self, X: pd.DataFrame) -> np.ndarray:
        return np.zeros(len(X))


def _lead_table() -> pd.DataFrame:
    """Six leads: two scored in April (known), two in May with a known outcome (a window
    shorter than the month), one in May still open, one in March (known)."""
    scored = ["2026-04-03", "2026-04-20", "2026-05-01", "2026-05-02", "2026-05-28", "2026-03-09"]
    return pd.DataFrame(
        {
            "scored_at": pd.to_datetime(scored, utc=True),
            "label": pd.array([1, 0, 1, 0, pd.NA, 0], dtype="Int64"),
            "touches": [3, 0, 5, 1, 2, 0],
        },
        index=pd.Index([f"c{i}" for i in range(6)], name="contact_id"),
    )


def test_leads_scored_in_the_report_month_are_not_learnt_from_even_when_known():
    leads = _lead_table()
    assert set(sc.labelled(leads).index) == {"c0", "c1", "c2", "c3", "c5"}  # as before
    assert set(sc.labelled(leads, before="2026-05").index) == {"c0", "c1", "c5"}
    final = sc.refit(_Recorder(), leads, before="2026-05")
    assert final.fitted_on_ == {"c0", "c1", "c5"}
    assert not final.fitted_on_ & set(sc.leads_scored_in(leads, "2026-05").index)


def test_the_samples_short_window_month_scores_only_leads_the_model_did_not_see():
    """The tester's case: month 2026-05, leads scored on the day they arrive, a 30-day window:
    some leads scored in May already have an outcome; none of them trains the model."""
    import smk

    crm = smk.load(config.SAMPLE_HUBSPOT)
    month = smk.periods.as_month("2026-05")
    leads = sc.lead_features(crm, as_of=month.end, score_after_days=0, within_days=30)
    scored = sc.leads_scored_in(leads, month)
    assert scored["label"].notna().any()  # the case of the defect
    final = sc.refit(_Recorder(), leads, before=month)
    assert not final.fitted_on_ & set(scored.index)
    assert final.fitted_on_ == set(sc.labelled(leads).index) - set(scored.index)


# ---------------------------------------------------------------------- notebook 03's setup
def _setup_source(parameters: dict) -> str:
    """Notebook 03's parameters cell, `parameters` injected after it (as papermill does), and
    its first code cell after them (the setup)."""
    cells = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]
    at = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
    injected = "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
    return "\n".join([cells[at].source, injected, cells[at + 1].source])


@pytest.mark.parametrize("capacity", [0, -5, 40.5, "40"])
def test_notebook_03_refuses_a_wrong_capacity_before_reading_the_data(tmp_path, capacity):
    # no export at data_path: a setup that read the data first would fail on that instead
    source = _setup_source(
        {
            "capacity_per_month": capacity,
            "data_path": str(tmp_path / "no-export-here"),
            "output_dir": str(tmp_path / "out"),
        }
    )
    with pytest.raises(ValueError, match="capacity_per_month"):
        exec(compile(ast.parse(source), str(NOTEBOOK), "exec"), {})
    assert not (tmp_path / "out").exists()
