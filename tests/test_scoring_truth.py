"""Acceptance of the lead score against the generator's truth (issue 5).

The synthetic generator knows each lead's true conversion probability p, and p depends only on
what is known when a lead is scored a week after creation (industry, job title, the channels
touched so far; see `smk.synth`). So the AUC of p on the test split is the best any score can
reach, and the model is judged against it.

How close a model can come depends on how many conversions it learns from. Measured with
``.venv/bin/python bench/scoring.py --contacts N --truth-seeds K`` (AUC of p minus the model's
test AUC; `oracle` is a logistic regression given exactly the generator's inputs):

* 30,000 contacts (about 12,000 training leads, 500 test conversions), 4 seeds: LeadScorer
  0.016-0.029, oracle 0.003-0.013. In expected AUC (below), seeds 1-3: LeadScorer
  0.019-0.025, oracle 0.004-0.008. Asserted below: within 0.03, both ways.
* 2,500 contacts, the size of the bundled sample (about 1,000 training leads, 30-50 test
  conversions), 10 seeds: LeadScorer 0.016-0.146 (mean 0.081), and even the oracle 0.055 on
  average (up to 0.104).

The shortfall at sample size is not test-set noise. The bench's `egap_*` columns compare
*expected* AUCs, computed from the test leads' true probabilities instead of their drawn labels
(`smk.scoring.expected_auc`); that gap is what the model lost by learning from ~1,000 leads.
At 2,500 contacts it is 0.065-0.104 for LeadScorer (mean 0.088), 0.085 for the logistic model
and 0.056 for the oracle, on every one of the 10 seeds above 0.03. In one-off runs on the
same seeds (scripts not kept), tuning did not close it (stronger or weaker regularisation of
either model: mean 0.074-0.094), nor did doubling every true effect in the generator (the gap stayed at 0.09 while
the best AUC rose from 0.65 to 0.73). So "within 0.03 on the default sample" is not asserted:
it would hold for a lucky draw of test labels and not as a property of the model.

What holds on the default sample, and is asserted: the scores are calibrated and their Brier
score is close to that of the true probability.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import brier_score_loss, roc_auc_score
from threadpoolctl import threadpool_limits

from smk import config
from smk import scoring as sc
from smk.synth import synthesize


def _evaluate(n_contacts: int, seed: int) -> dict:
    settings = {**config.SAMPLE_SETTINGS, "n_contacts": n_contacts, "seed": seed}
    data = synthesize(**settings)
    leads = sc.lead_features(
        data.crm, as_of=pd.Timestamp(settings["end"], tz="UTC") + pd.Timedelta(days=1)
    )
    split = sc.time_split(leads)
    with threadpool_limits(1):
        scorer = sc.LeadScorer(random_state=0).fit(
            sc.feature_matrix(split.train), split.train["label"].astype(int)
        )
        X_test = sc.feature_matrix(split.test)
        p = scorer.score_leads(X_test)
    y = split.test["label"].astype(int).to_numpy()
    truth = data.truth["contacts"].set_index("contact_id")["true_conversion_probability"]
    true_p = truth.reindex(split.test.index).to_numpy()
    # probability of the target (reaching SQL: passing the first two funnel gates) = p ** w
    w = sum(data.params.gate_weights[:2])
    return {
        "data": data,
        "X_test": X_test,
        "y": y,
        "p": p,
        "true_p": true_p,
        "true_target_p": true_p**w,
        "train_rate": float(split.train["label"].mean()),
    }


@pytest.fixture(scope="module")
def sample():
    return _evaluate(config.SAMPLE_SETTINGS["n_contacts"], config.SAMPLE_SETTINGS["seed"])


@pytest.fixture(scope="module")
def larger():
    return _evaluate(30_000, config.SAMPLE_SETTINGS["seed"])


def test_model_is_calibrated_on_the_default_sample(sample):
    y, p = sample["y"], sample["p"]
    assert sc.expected_calibration_error(y, p) <= 0.05
    # calibration in the large: observed conversions within 3 standard errors of the
    # predicted count (with ~550 test leads, one standard error is ~1.2 points of rate)
    z = (y.sum() - p.sum()) / np.sqrt((p * (1 - p)).sum())
    assert abs(z) <= 3, f"{y.sum()} conversions observed, {p.sum():.1f} predicted (z={z:.2f})"
    # Brier: close to what the true probability of the target scores on the same leads
    assert brier_score_loss(y, p) <= brier_score_loss(y, sample["true_target_p"]) + 0.015


def test_model_comes_within_003_of_the_best_possible_auc_with_more_data(larger):
    y, p = larger["y"], larger["p"]
    best = roc_auc_score(y, larger["true_target_p"])
    assert best > 0.6
    assert roc_auc_score(y, p) >= best - 0.03
    q = larger["true_target_p"]  # the same, free of which test leads happened to convert
    assert sc.expected_auc(q, p) >= sc.expected_auc(q, q) - 0.03
    assert sc.expected_calibration_error(y, p) <= 0.02
    assert brier_score_loss(y, p) < brier_score_loss(y, np.full(len(y), larger["train_rate"]))


def test_model_recovers_the_generators_job_title_effects(larger):
    roles = {title: effect for title, _, effect in larger["data"].params.roles}
    by_title = (
        pd.Series(larger["p"], index=larger["X_test"].index)
        .groupby(larger["X_test"]["job_title"])
        .mean()
    )
    rho = spearmanr(by_title.to_numpy(), [roles[t] for t in by_title.index]).statistic
    assert rho >= 0.6
