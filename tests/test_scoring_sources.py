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


# ------------------------------------------------------------------ a column the export lacks
# An export without the contacts' "Job Title" column: the model file still listed job_title, the
# drift table said "job_title,0.0,stable", and the page said the rule-based score gives points
# for job title, though no lead had one. A column the export lacks loads empty in every row,
# which is the test: the features built from it are left out, and the note names it.


def _blank(crm: CRM, table: str, *columns: str) -> CRM:
    """`crm` with the `columns` of `table` empty in every row (as a column the export lacks)."""
    frame = getattr(crm, table).copy()
    for column in columns:
        frame[column] = pd.Series(pd.NA, index=frame.index, dtype=frame[column].dtype)
    tables = {n: frame if n == table else getattr(crm, n) for n in TABLES}
    return CRM(**tables, source=crm.source, format=crm.format)


@pytest.fixture(scope="module")
def hubspot() -> CRM:
    return smk.load(config.SAMPLE_HUBSPOT)


@pytest.mark.parametrize(
    ("table", "column", "features"),
    [
        ("contacts", "job_title", ["job_title"]),
        ("contacts", "country", ["country"]),
        ("contacts", "original_source_detail", ["source_detail"]),
        ("accounts", "industry", ["industry"]),
        ("accounts", "employees", ["employees"]),
        ("contacts", "account_id", ACCOUNT_FEATURES),  # no lead linked: every account feature
    ],
)
def test_a_column_with_no_value_leaves_its_features_out(hubspot, table, column, features):
    full = scoring.lead_features(hubspot)
    leads = scoring.lead_features(_blank(hubspot, table, column))
    assert leads.attrs["features_left_out"] == {f"{table}.{column}": features}
    assert list(scoring.feature_matrix(leads).columns) == [
        f for f in scoring.feature_matrix(full).columns if f not in features
    ]
    assert scoring.left_out_note(leads).startswith("**This export has no ")


def test_an_export_without_job_titles_says_so_and_gives_no_title_points(hubspot):
    leads = scoring.lead_features(_blank(hubspot, "contacts", "job_title"))
    assert "job_title" not in leads.columns
    note = scoring.left_out_note(leads)
    assert note.startswith(
        "**This export has no job title for any contact.** The score cannot use job title: the "
        "one feature it would give (job_title) is left out of the model, and the rule-based "
        "score gives every lead the same job title points. The score uses only: country, "
    )
    assert "job_title" not in note.split("The score uses only:")[1]
    # every lead gets the title points for "Other" (0): the fit points of industry and size only
    rules = scoring.load_config()["rules"]
    titled = scoring.fit_points(scoring.lead_features(hubspot), rules)
    untitled = scoring.fit_points(leads, rules)
    titles = scoring.fit_points(scoring.lead_features(hubspot)[["job_title"]], rules)
    pd.testing.assert_series_equal(untitled, titled - titles)
    assert titles.ne(0).any()  # the sample's titles do give points


def test_a_column_and_a_table_missing_together_are_both_named(hubspot):
    crm = _without(_blank(hubspot, "contacts", "job_title", "country"), "touchpoints")
    leads = scoring.lead_features(crm)
    assert list(leads.attrs["features_left_out"]) == [
        "touchpoints",
        "contacts.job_title",
        "contacts.country",
    ]
    note = scoring.left_out_note(leads)
    assert note.startswith(
        "**This export has no touchpoints (marketing touches) and no job title for any contact "
        "and no country for any contact.** The score cannot use marketing touches, nor job "
        "title, nor country: the 25 features they would give"
    )
    assert "the same engagement points, and the same job title points." in note


def test_a_model_with_a_feature_whose_column_is_empty_says_which(hubspot):
    leads = scoring.lead_features(hubspot)
    split = scoring.time_split(leads)
    held = scoring.fit_held_out(scoring.LeadScorer(random_state=0), split)
    model = scoring.build_model(held.scorer, split.train, held.scores, leads.attrs["spec"])
    untitled = scoring.lead_features(_blank(hubspot, "contacts", "job_title"))
    with pytest.raises(ValueError, match="no job title for any contact: retrain the model on it"):
        scoring.score_leads(model, untitled)


def test_the_lead_scoring_page_says_the_export_has_no_job_title(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(config.SAMPLE_HUBSPOT, export, ignore=shutil.ignore_patterns("truth"))
    contacts = next(export.glob("*-contacts-*.csv"))
    frame = pd.read_csv(contacts, dtype=str, keep_default_na=False)
    frame.drop(columns=["Job Title"]).to_csv(contacts, index=False)
    code, month = _report(tmp_path, export, "2026-09", "lead_scoring")
    assert code == 0
    text = html.unescape(re.sub(r"<[^>]+>", " ", (month / "03_lead_scoring.html").read_text()))
    page = " ".join(text.split())
    assert "This export has no job title for any contact." in page
    assert "the rule-based score gives every lead the same job title points" in page
    model = json.loads((month / "lead_scorer.json").read_text())
    assert "job_title" not in model["features"] and "country" in model["features"]
    drift = pd.read_csv(month / "lead_score_drift.csv", encoding="utf-8-sig")
    assert "job_title" not in set(drift["feature"]) and "country" in set(drift["feature"])
