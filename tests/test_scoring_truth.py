"""Acceptance of the lead score against the generator's truth (issue 5).

The synthetic generator knows each lead's true conversion probability p. The AUC of p on the
test split is the best any score can reach *if p were observable*. It is not: p includes a
latent engagement (sd 0.6 on the logit) that the data show only through a few touches, and
most touches come after the scoring date. Measured with `bench/scoring.py --truth-seeds`:

* default sample (3,000 contacts, about 1,150 training and 550 test leads, 50-60 test
  conversions): AUC of p about 0.68-0.71, LeadScorer about 0.51-0.60, rule-based 0.48-0.66;
* 30,000 contacts: AUC of p about 0.70, LeadScorer about 0.58-0.62;
* 200,000 contacts with *every* touch ever (leaky, an upper bound): 0.731 vs 0.761.

So the issue's "within 0.03 of the AUC of the true probability" cannot hold for any
leakage-free model on this generator (measured with `bench/scoring.py --truth-seeds 8`); that
acceptance test is not in the suite until the generator makes it attainable. What does hold, and is asserted: the scores are calibrated, their Brier
score is close to that of the true probability, and with enough data the model recovers the
generator's own job-title effects.
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


def test_model_is_calibrated_and_beats_chance_with_more_data(larger):
    y, p = larger["y"], larger["p"]
    assert sc.expected_calibration_error(y, p) <= 0.02
    assert brier_score_loss(y, p) < brier_score_loss(y, np.full(len(y), larger["train_rate"]))
    assert roc_auc_score(y, p) >= 0.56  # ~550 test conversions: standard error ~0.013


def test_model_recovers_the_generators_job_title_effects(larger):
    roles = {title: effect for title, _, effect in larger["data"].params.roles}
    by_title = (
        pd.Series(larger["p"], index=larger["X_test"].index)
        .groupby(larger["X_test"]["job_title"])
        .mean()
    )
    rho = spearmanr(by_title.to_numpy(), [roles[t] for t in by_title.index]).statistic
    assert rho >= 0.6
