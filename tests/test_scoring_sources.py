"""Lead-scoring features whose source table the export lacks are left out, and said to be.

A Salesforce export of Lead.csv and Opportunity.csv only (no Account, no CampaignMember) gave
the model 27 features that were the same for every lead (industry, employees, annual revenue,
colleagues, every touch count and recency), listed them on the page with importance 0, and the
page said the score used "their marketing touches" and "company industry and size" without
saying the export had neither. The bundled samples have both tables: their features and
figures stay as they were.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_notebook_runs_small import _report

import smk
from smk import config, scoring
from smk.model import CRM, TABLES

ACCOUNT_FEATURES = ["industry", "employees", "annual_revenue", "account_contacts"]
TOUCH_FEATURES = ["touches", "touches_email_click", "channels", "days_since_last_touch"]


@pytest.fixture(scope="module")
def leads_and_deals(tmp_path_factory) -> Path:
    """A Salesforce export of the sample's Lead.csv and Opportunity.csv only."""
    folder = tmp_path_factory.mktemp("sf-leads-opps")
    for name in ("Lead.csv", "Opportunity.csv"):
        shutil.copy(config.SAMPLE_SALESFORCE / name, folder / name)
    return folder


def _without(crm: CRM, *empty: str) -> CRM:
    """`crm` with the tables `empty` emptied (their columns kept)."""
    tables = {n: getattr(crm, n).iloc[:0] if n in empty else getattr(crm, n) for n in TABLES}
    return CRM(**tables, source=crm.source, format=crm.format)


def test_an_export_without_accounts_or_touchpoints_leaves_their_features_out(leads_and_deals):
    crm = smk.load(leads_and_deals)
    assert crm.accounts.empty and crm.touchpoints.empty
    leads = scoring.lead_features(crm, as_of="2026-11-01")
    absent = leads.attrs["features_left_out"]
    assert list(absent) == ["accounts", "touchpoints"]
    assert absent["accounts"] == ACCOUNT_FEATURES  # no lead is linked to an account either
    assert set(TOUCH_FEATURES) <= set(absent["touchpoints"]) and len(absent["touchpoints"]) == 23
    features = list(scoring.feature_matrix(leads).columns)
    assert features == ["job_title", "country", "original_source", "source_detail"]
    note = scoring.left_out_note(leads)
    assert note.startswith(
        "**This export has no accounts (companies) and no touchpoints (marketing touches).** "
        "The score cannot use company industry and size, nor marketing touches: the 27 features"
    )
    assert "The score uses only: job_title, country, original_source, source_detail." in note
    # the rule-based score still runs: every lead gets the same industry, size and engagement
    rules = scoring.rule_based_score(crm, leads)
    assert rules["engagement_points"].eq(0).all() and rules["score"].notna().all()


def test_only_the_missing_table_s_features_are_left_out():
    crm = smk.load(config.SAMPLE_HUBSPOT)
    full = scoring.lead_features(crm)
    assert full.attrs["features_left_out"] == {} and scoring.left_out_note(full) == ""
    assert set(ACCOUNT_FEATURES + TOUCH_FEATURES) <= set(full.columns)
    touchless = scoring.lead_features(_without(crm, "touchpoints"))
    assert list(touchless.attrs["features_left_out"]) == ["touchpoints"]
    assert set(ACCOUNT_FEATURES) <= set(touchless.columns)
    assert not set(TOUCH_FEATURES) & set(touchless.columns)
    assert scoring.left_out_note(touchless).startswith(
        "**This export has no touchpoints (marketing touches).** The score cannot use marketing "
        "touches: the 23 features"
    )
    # no companies file, but contacts still linked to company ids: their colleagues count
    companyless = scoring.lead_features(_without(crm, "accounts"))
    assert companyless.attrs["features_left_out"] == {"accounts": ACCOUNT_FEATURES[:3]}
    assert "account_contacts" in companyless.columns
    pd.testing.assert_series_equal(companyless["account_contacts"], full["account_contacts"])


def test_a_model_with_features_the_export_lacks_says_which_table_is_missing():
    crm = smk.load(config.SAMPLE_HUBSPOT)
    leads = scoring.lead_features(crm)
    split = scoring.time_split(leads)
    held = scoring.fit_held_out(scoring.LeadScorer(random_state=0), split)
    model = scoring.build_model(held.scorer, split.train, held.scores, leads.attrs["spec"])
    touchless = scoring.lead_features(_without(crm, "touchpoints"))
    with pytest.raises(ValueError, match="the export has no touchpoints: retrain the model on it"):
        scoring.score_leads(model, touchless)


def test_the_lead_scoring_page_says_what_the_export_lacks(leads_and_deals, tmp_path):
    code, month = _report(tmp_path, leads_and_deals, "2026-10", "lead_scoring")
    assert code == 0
    text = html.unescape(re.sub(r"<[^>]+>", " ", (month / "03_lead_scoring.html").read_text()))
    page = " ".join(text.split())
    assert "This export has no accounts (companies) and no touchpoints" in page
    assert "The score uses only: job_title, country, original_source, source_detail." in page
    model = json.loads((month / "lead_scorer.json").read_text())
    assert model["features"] == ["job_title", "country", "original_source", "source_detail"]
    drift = pd.read_csv(month / "lead_score_drift.csv", encoding="utf-8-sig")
    assert not drift["feature"].isin(ACCOUNT_FEATURES + TOUCH_FEATURES).any()
