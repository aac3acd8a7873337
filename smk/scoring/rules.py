"""The rule-based lead score: fit points for who the lead is, engagement points for what it did.

This is the transparent baseline many teams start with, and the yardstick the predictive score
has to beat. The points live in ``config.yaml`` (section ``rules``): job-title patterns,
industries and company-size bands for fit; points per touch type for engagement, where a touch
loses half its points every ``half_life_days`` before the scoring date, up to ``max_points``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from smk.model import CRM
from smk.scoring.settings import load_config


def _title_points(titles: pd.Series, rules: list[dict]) -> np.ndarray:
    other = next((r["points"] for r in rules if str(r["match"]) == "Other"), 0)
    text = titles.astype("string").fillna("")
    out = np.full(len(text), np.nan)
    for rule in rules:
        if str(rule["match"]) == "Other":
            continue
        hit = text.str.contains(re.compile(rule["match"], re.IGNORECASE)).to_numpy(dtype=bool)
        out = np.where(np.isnan(out) & hit, rule["points"], out)
    return np.where(np.isnan(out), other, out)


def _band_points(values: pd.Series, bands: list[dict], missing: float) -> np.ndarray:
    v = values.astype("float64").to_numpy()
    out = np.full(len(v), float(missing))
    done = np.isnan(v)
    for band in bands:
        upper = np.inf if band["max"] is None else float(band["max"])
        hit = ~done & (v <= upper)
        out[hit] = band["points"]
        done |= hit
    return out


def fit_points(leads: pd.DataFrame, rules: dict | None = None) -> pd.Series:
    """Fit points of each lead from `job_title`, `industry` and `employees` columns."""
    cfg = (rules or load_config()["rules"])["fit"]
    industry = cfg["industry"]
    ind = leads["industry"].astype("object").map(industry).fillna(industry.get("Other", 0))
    points = (
        _title_points(leads["job_title"], cfg["job_title"])
        + ind.astype("float64").to_numpy()
        + _band_points(leads["employees"], cfg["employees"], cfg.get("employees_missing", 0))
    )
    return pd.Series(points, index=leads.index, name="fit_points")


def engagement_points(crm: CRM, scored_at: pd.Series, rules: dict | None = None) -> pd.Series:
    """Decayed engagement points of each lead from its touches before its scoring date.

    Parameters
    ----------
    crm : the CRM (its touchpoints).
    scored_at : each lead's scoring date (UTC), indexed by contact_id.
    rules : the ``rules`` section of the configuration (default: ``config.yaml``).
    """
    cfg = (rules or load_config()["rules"])["engagement"]
    tp = crm.touchpoints
    pos = pd.Index(scored_at.index).get_indexer(tp["contact_id"])
    at = scored_at.to_numpy(dtype="datetime64[ns]").view("int64")
    t = tp["occurred_at"].to_numpy(dtype="datetime64[ns]").view("int64")
    ok = (pos >= 0) & ~tp["occurred_at"].isna().to_numpy()
    ok[ok] = t[ok] < at[pos[ok]]
    age_days = (at[pos[ok]] - t[ok]) / pd.Timedelta(days=1).value
    per_type = cfg["touch_type"]
    pts = (
        tp["touch_type"].astype("object")[ok].map(per_type).fillna(per_type.get("Other", 0))
    ).to_numpy(dtype="float64")
    decayed = pts * 0.5 ** (age_days / float(cfg["half_life_days"]))
    total = np.bincount(pos[ok], weights=decayed, minlength=len(scored_at))
    return pd.Series(
        np.minimum(total, float(cfg["max_points"])), index=scored_at.index, name="engagement_points"
    )


def rule_based_score(crm: CRM, leads: pd.DataFrame, rules: dict | None = None) -> pd.DataFrame:
    """The rule-based score of each lead of a lead table (`lead_features`).

    Returns
    -------
    DataFrame indexed like `leads`: fit_points, engagement_points and score (their sum).
    """
    rules = rules or load_config()["rules"]
    fit = fit_points(leads, rules)
    engagement = engagement_points(crm, leads["scored_at"], rules)
    out = pd.concat([fit, engagement], axis=1)
    out["score"] = out["fit_points"] + out["engagement_points"]
    return out
