"""Lead scoring's calibration verdict: probabilities far from what happened are said on the
page (`calibration_check`, `usability_note`), not asserted away."""

from __future__ import annotations

import numpy as np
import pytest

from smk import scoring as sc


def _quality(shift: float):
    """Test leads whose true chance is `q`, scored `q + shift` (clipped to probabilities)."""
    rng = np.random.default_rng(0)
    q = rng.uniform(0.05, 0.5, 2000)
    y = (rng.random(2000) < q).astype(int)
    return y, sc.score_metrics(y, {"model": np.clip(q + shift, 0, 1), "rules": q * 100})


def test_calibration_check_says_when_probabilities_are_off():
    _, good = _quality(0.0)
    fine = sc.calibration_check(good)
    assert fine["calibrated"] and fine["caveat"] is None and fine["ece"] < 0.05
    _, off = _quality(0.3)  # every probability 30 points too high
    bad = sc.calibration_check(off)
    assert not bad["calibrated"] and bad["ece"] == pytest.approx(off.loc["model", "ece"])
    assert bad["max_ece"] == sc.MAX_ECE == 0.15
    assert bad["caveat"] == (
        "not to be relied on: the model score's probabilities are off (expected calibration "
        f"error {bad['ece']:.3f}, above 0.15)"
    )
    assert sc.calibration_check(off, max_ece=0.5)["calibrated"]
    with pytest.raises(ValueError, match="rules score has no calibration error"):
        sc.calibration_check(off, name="rules")  # points, not probabilities


def test_the_usability_note_adds_the_calibration_verdict_only_when_off():
    y, good = _quality(0.0)
    _, off = _quality(0.3)
    checks = {"model": sc.better_than_chance(y, y * 0.8 + 0.1, n_boot=100)}  # ranks perfectly
    plain = sc.usability_note(checks)
    assert sc.usability_note(checks, calibration=sc.calibration_check(good)) == plain
    bad = sc.calibration_check(off)
    assert sc.usability_note(checks, calibration=bad) == (
        f"{plain}\n>\n> **The model score's probabilities are off.** {bad['text']}"
    )
