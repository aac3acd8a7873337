"""The model that scores a month's leads is never trained on them, and notebook 03 refuses a
wrong sales capacity at setup, before it reads the data or trains a model."""

from __future__ import annotations

import ast
import warnings
from dataclasses import replace

import nbformat
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from threadpoolctl import threadpool_limits

from smk import config, outputs
from smk import scoring as sc
from smk.errors import NoDataError
from smk.periods import Month
from smk.synth import synthesize

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


# ------------------------------------------------------------------ what the checks advise
# The drift check does not ask to retrain the model fitted in the same run (the outcome window
# is no age; a population that moved since the training leads cannot be learnt before their
# outcomes are known); "too little history" names the parameters the caller has; the scores in
# scored_leads.csv show what the grades and MQL flags follow from; one day is "1 day".

MONTH = Month("2026-10")
WITHIN = 200  # longer than the drift check's max_age_days (180)


@pytest.fixture(scope="module")
def october_run():
    """Notebook 03's path for October with a 200-day window: the deployed model, refitted on
    every lead with a known outcome scored before the month, and the month's leads."""
    data = synthesize(n_contacts=2000, months=18, seed=5)
    leads = sc.lead_features(data.crm, as_of=MONTH.end, within_days=WITHIN)
    trained_on = sc.labelled(leads, before=MONTH)
    month_leads = sc.leads_scored_in(leads, MONTH)
    with threadpool_limits(1):
        final = sc.refit(sc.LeadScorer(model="logistic", random_state=0), trained_on)
        scores = final.score_leads(sc.feature_matrix(month_leads))
        model = sc.build_model(final, trained_on, scores, leads.attrs["spec"])
    return model, month_leads


def _drift(model, leads, as_of) -> tuple[dict, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        drift = sc.drift_report(model, leads, as_of=as_of)
    return drift, [str(w.message) for w in caught]


def test_the_model_fitted_in_this_run_is_not_due_for_retraining(october_run):
    """It said "retrain: yes: the newest training lead is 200 days old (> 180)" of the model
    fitted a moment earlier: a lead's outcome is known only `within_days` after it was scored."""
    model, month_leads = october_run
    drift, said = _drift(model, month_leads, MONTH.end)
    assert not drift["retrain"] and drift["reasons"] == []
    assert not [m for m in said if "should be retrained" in m or "days old" in m]
    assert model.trained_as_of == MONTH.end.isoformat()
    newest = pd.Timestamp(model.training_period[1])
    assert (MONTH.end - newest).days >= WITHIN  # the old check's age: over 180
    assert drift["model_age_days"] == (MONTH.end - newest - pd.Timedelta(days=WITHIN)).days
    assert 0 <= drift["model_age_days"] <= 31


def test_the_same_model_half_a_year_later_is_due(october_run):
    model, month_leads = october_run
    later = MONTH.end + pd.Timedelta(days=200)
    drift, said = _drift(model, month_leads, later)
    age = drift["model_age_days"]
    assert drift["retrain"] and 180 < age <= 231
    assert drift["reasons"][-1] == f"the newest outcome it learnt from is {age} days old (> 180)"
    assert said and said[0].startswith(f"model {model.version} should be retrained")


def test_a_population_moved_since_training_is_a_note_for_a_fresh_model_and_due_later(october_run):
    """On a long export the month's leads differ from the whole history the model was just
    fitted on: "retrain" could not be acted on, as a retrain gives the same model back."""
    model, month_leads = october_run
    moved = month_leads.assign(touches_email=month_leads["touches_email"] + 10)
    fresh, said = _drift(model, moved, MONTH.end)
    assert not fresh["retrain"] and fresh["reasons"] == []
    assert "touches_email" in set(fresh["table"].query("status == 'retrain'")["feature"])
    assert len(said) == 1 and "touches_email has drifted" in said[0]
    assert "fitted on every outcome known by the end of 2026-10-31" in said[0]
    assert "not due for retraining" in said[0]
    next_month, said = _drift(model, moved, Month("2026-11").end)
    assert next_month["retrain"] and "touches_email has drifted" in next_month["reasons"][0]
    assert "should be retrained" in said[0]


def _too_little_history() -> pd.DataFrame:
    leads = sc.lead_features(synthesize(n_contacts=400, months=6, seed=2).crm, as_of=MONTH.end)
    return leads.assign(label=leads["label"].where(leads["label"].isna(), 0))  # keeps attrs


def test_too_little_history_names_the_parameters_the_caller_has():
    """Notebook 03 takes no gap_days (its gap is within_days): the advice named gap_days."""
    leads = _too_little_history()
    with pytest.raises(NoDataError) as notebook:
        sc.time_split(leads, test_share=0.25)
    said = str(notebook.value)
    assert said.startswith("too little history to train a lead score")
    assert "gap_days" not in said and "within_days" in said and "test_share" in said
    with pytest.raises(NoDataError, match=r"a smaller gap_days") as api:
        sc.time_split(leads, gap_days=30)
    assert "within_days" not in str(api.value)


def test_one_day_is_said_in_the_singular():
    spec = sc.TargetSpec("sql", within_days=1, score_after_days=1)
    assert spec.describe() == (
        "became a sales-qualified lead within 1 day, scored 1 day after the lead was created"
    )
    assert "within 60 days, scored 0 days" in sc.TargetSpec("sql", 60, 0).describe()


def test_scored_leads_csv_shows_the_scores_its_grades_and_mql_flags_follow(october_run, tmp_path):
    """Scores rounded to 4 decimals showed two leads at 0.2665, one an MQL and one not, and
    0.0044 with grade C and grade D: a CRM rule on the imported score gave other flags."""
    model, month_leads = october_run
    scores = np.sort(model.scorer.score_leads(sc.feature_matrix(month_leads)))
    # a threshold at a score that 4 decimals round down: that lead is an MQL, its rounded
    # score is below the threshold
    at = next(s for s in scores[len(scores) // 2 :] if np.round(s, 4) < s)
    model = replace(model, mql_threshold=float(at))
    scored = sc.score_leads(model, month_leads)
    path = outputs.export_csv(scored, tmp_path, "scored_leads.csv")
    shown = pd.read_csv(path, encoding="utf-8-sig")
    assert shown["mql"].sum() == (scores >= at).sum()
    assert (shown["mql"] == (shown["score"] >= model.mql_threshold)).all()
    assert (shown["grade"] == sc.assign_grades(shown["score"], model.grade_thresholds)).all()
    per_score = shown.groupby("score")[["grade", "mql"]].nunique()
    assert (per_score == 1).all().all()
