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

from smk.checks import checked_tables
from smk.io.parse import plain_words
from smk.model import CRM
from smk.scoring.features import lead_ids
from smk.scoring.settings import load_config

#: The lead-table columns the fit points read (`fit_points`).
FIT_POINT_FEATURES: tuple[str, ...] = ("job_title", "industry", "employees")


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


def _industry_points(industries: pd.Series, points: dict) -> np.ndarray:
    """The points of each industry, matched in any case with `_`, `-`, `&` and spaces alike
    (`plain_words`): "computer software" and HubSpot's internal `COMPUTER_SOFTWARE` (API and
    Fivetran exports) get the points of "Computer Software"; "Other" for the rest."""
    by_words = {plain_words(str(name)): p for name, p in points.items()}
    text = industries.astype("string")
    found = text.map({v: by_words.get(plain_words(v)) for v in text.dropna().unique()})
    return found.astype("float64").fillna(by_words.get("other", 0)).to_numpy()


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


@checked_tables
def fit_points(leads: pd.DataFrame, rules: dict | None = None) -> pd.Series:
    """Fit points of each lead from `job_title`, `industry` and `employees` columns; a column
    the lead table left out (an export without accounts, or without job titles:
    `lead_features`) counts as missing for every lead (the points for "Other" and
    `employees_missing`)."""
    cfg = (rules or load_config()["rules"])["fit"]
    points = (
        _title_points(_column(leads, "job_title"), cfg["job_title"])
        + _industry_points(_column(leads, "industry"), cfg["industry"])
        + _band_points(
            _column(leads, "employees"), cfg["employees"], cfg.get("employees_missing", 0)
        )
    )
    return pd.Series(points, index=leads.index, name="fit_points")


def _column(leads: pd.DataFrame, name: str) -> pd.Series:
    """The `name` column of `leads` as objects, or missing values when it has none."""
    if name in leads.columns:
        return leads[name].astype("object")
    return pd.Series(np.nan, index=leads.index, dtype="object")


@checked_tables
def engagement_points(crm: CRM, scored_at: pd.Series, rules: dict | None = None) -> pd.Series:
    """Decayed engagement points of each lead from its touches before its scoring date.

    Parameters
    ----------
    crm : the CRM (its touchpoints).
    scored_at : each lead's scoring date (UTC), indexed by contact_id (`lead_ids`: an index
        of row numbers is refused; a contact may appear more than once, with other dates).
    rules : the ``rules`` section of the configuration (default: ``config.yaml``).
    """
    cfg = (rules or load_config()["rules"])["engagement"]
    tp = crm.touchpoints
    touch, lead = _touches_of(tp["contact_id"], lead_ids(scored_at))
    at = scored_at.to_numpy(dtype="datetime64[ns]").view("int64")[lead]
    t = tp["occurred_at"].to_numpy(dtype="datetime64[ns]").view("int64")[touch]
    ok = ~tp["occurred_at"].isna().to_numpy()[touch] & (t < at)
    age_days = (at[ok] - t[ok]) / pd.Timedelta(days=1).value
    per_type = cfg["touch_type"]
    types = tp["touch_type"].astype("object").to_numpy()[touch[ok]]
    pts = pd.Series(types).map(per_type).fillna(per_type.get("Other", 0)).to_numpy("float64")
    decayed = pts * 0.5 ** (age_days / float(cfg["half_life_days"]))
    total = np.bincount(lead[ok], weights=decayed, minlength=len(scored_at))
    return pd.Series(
        np.minimum(total, float(cfg["max_points"])), index=scored_at.index, name="engagement_points"
    )


def _touches_of(touch_contacts: pd.Series, ids: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Every (touch, lead) pair of the same contact, as two position arrays (a contact in
    several rows of the leads pairs with each)."""
    codes, unique = pd.factorize(ids)
    if not pd.api.types.is_string_dtype(touch_contacts.dtype):  # ids as text, as `lead_ids`
        if pd.api.types.is_float_dtype(touch_contacts.dtype):  # 7.0 is contact 7
            whole = touch_contacts.dropna() % 1 == 0
            touch_contacts = touch_contacts.astype("Int64") if whole.all() else touch_contacts
        touch_contacts = touch_contacts.astype("object").where(touch_contacts.notna())
        touch_contacts = touch_contacts.map(str, na_action="ignore")
    found = pd.Index(unique).get_indexer(touch_contacts)
    touched = np.flatnonzero(found >= 0)
    found = found[touched]
    per_contact = np.bincount(codes, minlength=len(unique))
    first = np.cumsum(per_contact) - per_contact  # where each contact's rows start in `rows`
    rows = np.argsort(codes, kind="stable")
    n = per_contact[found]  # 1 unless the contact is in several rows
    within = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return np.repeat(touched, n), rows[np.repeat(first[found], n) + within]


@checked_tables
def rule_based_score(crm: CRM, leads: pd.DataFrame, rules: dict | None = None) -> pd.DataFrame:
    """The rule-based score of each lead of a lead table (`lead_features`; its contact ids
    from a `contact_id` column or its index, see `lead_ids`).

    Returns
    -------
    DataFrame indexed like `leads`: fit_points, engagement_points and score (their sum).
    """
    rules = rules or load_config()["rules"]
    fit = fit_points(leads, rules)
    scored_at = pd.Series(leads["scored_at"].to_numpy(), index=lead_ids(leads))
    engagement = engagement_points(crm, scored_at, rules).set_axis(leads.index)
    out = pd.concat([fit, engagement], axis=1)
    out["score"] = out["fit_points"] + out["engagement_points"]
    return out
