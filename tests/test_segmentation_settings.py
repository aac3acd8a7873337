"""Notebook 02's settings and unknowns: last month's model is reused only with the settings it
was fitted with; `features` must be a list; an export without deals or touchpoints gives
unknown purchases and touches, not zeros."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

import smk
from smk import config
from smk import segmentation as sg
from smk.model import empty_table
from smk.periods import Month

pytestmark = pytest.mark.filterwarnings(
    "ignore:deal amounts are in EUR, USD and no fx rates were given"
)
SEPTEMBER, OCTOBER = Month("2026-09"), Month("2026-10")


@pytest.fixture(scope="module")
def hubspot() -> smk.CRM:
    return smk.load(config.SAMPLE_HUBSPOT)


@pytest.fixture(scope="module")
def features(hubspot) -> tuple[pd.DataFrame, pd.DataFrame]:
    """September's and October's account features of the sample."""
    return sg.account_features(hubspot, SEPTEMBER.end), sg.account_features(hubspot, OCTOBER.end)


# ------------------------------------------------------------------ last month's model
def test_last_months_model_is_not_reused_with_other_settings(tmp_path, hubspot, features):
    # the tester's run: September with the defaults, October with 3 k-means segments on two
    # feature groups; the old code assigned October to September's 4 GMM segments on all
    before, now = features
    sg.segment_accounts(before, SEPTEMBER, tmp_path / "2026-09")
    groups = sg.select_feature_groups(["size", "industry"])
    run = sg.segment_accounts(
        now, OCTOBER, tmp_path / "2026-10", n_segments=3, method="kmeans", feature_groups=groups
    )
    assert run.fitted and run.model_month == "2026-10"
    assert run.model.n_segments_ == 3 and run.model.method == "kmeans"
    assert set(run.model.feature_groups_) == {"size", "industry"}
    assert "the settings given differ from those of the model of 2026-09" in run.note
    for said in ("n_segments 3 (the model's: auto)", "method kmeans (the model's: gmm)"):
        assert said in run.changed_settings and said in run.note
    assert "features size, industry (the model's: size, industry, country," in run.note
    kpis = sg.segmentation_kpis(hubspot, run, *_tables(hubspot, run))
    tile = {k["id"]: k for k in kpis}["segments"]
    assert tile["value"] == 3
    assert tile["detail"] == "fitted this month: the settings given differ from last month's model"
    # the model saved for November is the one used, with the settings given
    saved = sg.load_segmenter(tmp_path / "2026-10" / sg.MODEL_FILE)
    assert saved["month"] == "2026-10" and saved["model"].method == "kmeans"


def test_last_months_model_is_reused_with_the_same_settings(tmp_path, features):
    before, now = features
    first = sg.segment_accounts(before, SEPTEMBER, tmp_path / "2026-09", n_segments=3)
    same = sg.segment_accounts(now, OCTOBER, tmp_path / "2026-10", n_segments=3)
    assert not same.fitted and same.model_month == "2026-09" and same.changed_settings == ""
    assert (same.assignments["segment"] == first.model.predict(now)).all()
    # the seed is a setting too: another seed's starts may give other segments
    other = sg.segment_accounts(now, OCTOBER, tmp_path / "2026-10b", n_segments=3, random_state=1)
    assert other.fitted and other.changed_settings == "random_state 1 (the model's: 0)"


def test_changed_settings_compare_feature_groups_by_columns_and_weights():
    default = sg.AccountSegmenter()
    assert sg.changed_settings(default, sg.AccountSegmenter(features=dict(sg.FEATURE_GROUPS))) == ""
    heavier = {**sg.FEATURE_GROUPS, "size": {**sg.FEATURE_GROUPS["size"], "weight": 2.0}}
    text = sg.changed_settings(default, sg.AccountSegmenter(features=heavier))
    assert text.startswith("features size, industry") and "(other columns or weights)" in text


def _tables(crm: smk.CRM, run: sg.SegmentationRun) -> tuple[pd.DataFrame, pd.DataFrame]:
    profiles = sg.persona_profiles(crm, run.assignments, OCTOBER.end)
    profiles.insert(1, "persona", sg.name_personas(profiles))
    return profiles, sg.rfm_table(crm, OCTOBER.end)


# ------------------------------------------------------------------ features must be a list
def test_features_given_as_a_text_are_refused_with_what_to_give():
    # `papermill -p features size` passes the text "size": it was read letter by letter
    with pytest.raises(ValueError, match=r"features must be a list .*\['size'\], got the text"):
        sg.select_feature_groups("size")
    assert list(sg.select_feature_groups(["size"])) == ["size"]


# ------------------------------------------------------------------ unknown, not zero
def test_without_deals_purchases_are_unknown_not_none(hubspot):
    no_deals = replace(hubspot, deals=empty_table("deals"))
    rfm = sg.rfm_table(no_deals, OCTOBER.end)
    assert len(rfm) == len(hubspot.accounts.drop_duplicates("account_id"))
    assert rfm["rfm_segment"].isna().all() and rfm["frequency"].isna().all()
    assert rfm["monetary"].isna().all()
    assert sg.rfm_summary(rfm).empty
    line = sg.customers_line(no_deals, rfm, OCTOBER)
    assert (
        line == f"the export has no deals: which of the {len(rfm)} accounts have bought is unknown"
    )
    # with deals, accounts without a won one have bought nothing yet: that is known
    with_deals = sg.rfm_table(hubspot, OCTOBER.end)
    assert (with_deals["rfm_segment"] == sg.RFM_NO_PURCHASE).any()
    customers = int((with_deals["frequency"] > 0).sum())
    assert sg.customers_line(hubspot, with_deals, OCTOBER) == (
        f"{customers} of {len(with_deals)} accounts have won deals by the end of 2026-10"
    )


def test_without_touchpoints_touches_per_contact_are_unknown_not_zero(hubspot):
    no_touches = replace(hubspot, touchpoints=empty_table("touchpoints"))
    feats = sg.account_features(no_touches, OCTOBER.end)
    assert feats["log_touches_per_contact"].isna().all()  # was 0.0 for every account
    assert not any(c.startswith("channel_") for c in feats.columns)
    assert sg.features_line(feats) == (
        f"{len(feats)} accounts, {feats.shape[1]} features; unknown, as the export has no "
        "touchpoints: touches per contact, channel mix"
    )
    full = sg.account_features(hubspot, OCTOBER.end)
    assert full["log_touches_per_contact"].notna().any()
    assert sg.features_line(full) == f"{len(full)} accounts, {full.shape[1]} features"
    assert sg.AccountSegmenter(n_segments=3).fit(feats).n_segments_ >= 2  # still segmented
