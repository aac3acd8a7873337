"""Odd but valid exports (H3 of session 24): figures and texts that stay true for them.

Customers imported with historical stage dates, stage dates out of order, leads that all reach
the target before their scoring date, a month without MQLs, one marketing channel."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import smk
from smk import attribution as at
from smk import config
from smk import scoring as sc
from smk import segmentation as sg
from smk.errors import NoDataError

FX = {"EUR": 1.0, "USD": 0.92}  # the notebooks' default rates


@pytest.fixture(scope="module")
def hubspot() -> smk.CRM:
    return smk.load(config.SAMPLE_HUBSPOT)


# ------------------------------------------------------ customers dated before their creation
def _imported_customers(crm: smk.CRM, n: int) -> smk.CRM:
    """`crm` with its first `n` customers made customers 3 days before their record was
    created: existing customers imported with their history."""
    c = crm.contacts.copy()
    customers = c.index[c["became_customer_at"].notna()][:n]
    c.loc[customers, "became_customer_at"] = c.loc[customers, "created_at"] - pd.Timedelta(days=3)
    return dataclasses.replace(crm, contacts=c)


def test_median_days_to_customer_leaves_out_customers_dated_before_their_creation(hubspot):
    ids = hubspot.accounts["account_id"].sort_values(ignore_index=True)
    assignments = pd.DataFrame({"account_id": ids, "segment": ids.index % 2 + 1})
    every = int(hubspot.contacts["became_customer_at"].notna().sum())
    crm = _imported_customers(hubspot, every - 10)  # all but 10 customers imported
    profiles = sg.persona_profiles(crm, assignments, fx_rates=FX, reporting_currency="EUR")
    assert (profiles["median_days_to_customer"].dropna() >= 0).all()
    assert profiles["median_days_to_customer"].notna().any()  # the 10 left are a median
    left_out = int(profiles["customers_before_created"].sum())
    linked = crm.contacts["account_id"].isin(ids)
    before = crm.contacts["became_customer_at"] < crm.contacts["created_at"]
    assert left_out == int((before & linked).sum()) > 0
    profiles.insert(1, "persona", sg.name_personas(profiles))
    assert sg.persona_lines(profiles)[-1] == (
        f"median days to customer leaves out {left_out:,} customers dated before their "
        "contact was created (stage dates imported from before the record)"
    )
    untouched = sg.persona_profiles(hubspot, assignments, fx_rates=FX, reporting_currency="EUR")
    assert (untouched["customers_before_created"] == 0).all()
    assert len(sg.persona_lines(untouched.assign(persona="p"))) == 2  # no line when none


# ------------------------------------------------ leads that all reach the target before scoring
def _sql_within_hours(crm: smk.CRM) -> smk.CRM:
    """`crm` with every contact a lead and an SQL an hour after its record was created."""
    c = crm.contacts.copy()
    for stage in ("lead", "sql"):
        c[f"became_{stage}_at"] = c["created_at"] + pd.Timedelta(hours=1)
    return dataclasses.replace(crm, contacts=c)


def test_too_few_outcomes_blames_the_leads_left_out_when_they_are_what_is_missing(hubspot):
    leads = sc.lead_features(_sql_within_hours(hubspot), target="sql", score_after_days=7)
    assert len(sc.labelled(leads)) == 0 and leads.attrs["left_out"] >= 10  # the case
    with pytest.raises(NoDataError) as caught:
        sc.time_split(leads)
    assert str(caught.value) == (
        "only 0 leads have a known outcome, too few to train and test a lead score: "
        f"{leads.attrs['left_out']:,} more leads had already reached the target (sql) by their "
        "scoring date (7 days after creation) and are left out, as there is nothing left to "
        "predict: score leads sooner after creation (a smaller `score_after_days`)"
    )
    few = leads.copy()
    few.attrs = leads.attrs | {"left_out": 3}  # not enough either: a later month, as before
    with pytest.raises(NoDataError, match=r"choose a later report month \(`month`\) or a short"):
        sc.time_split(few)


def test_no_conversion_to_learn_from_names_the_leads_that_converted_before_scoring():
    leads = pd.DataFrame(
        {
            "label": pd.array([0] * 20, dtype="Int64"),
            "scored_at": pd.date_range("2026-01-01", periods=20, freq="7D", tz="UTC"),
        },
        index=pd.Index([f"c{i}" for i in range(20)], name="contact_id"),
    )
    leads.attrs = {"spec": {"target": "sql", "within_days": 7, "score_after_days": 7}}
    with pytest.raises(NoDataError) as caught:
        sc.time_split(leads)
    assert "score_after_days" not in str(caught.value)  # none left out: not the cause
    leads.attrs["left_out"] = 40
    with pytest.raises(NoDataError) as caught:
        sc.time_split(leads)
    assert (
        "a smaller score_after_days (40 leads had already reached the target (sql) by their "
        "scoring date (7 days after creation) and are left out), another test_share"
    ) in str(caught.value)


# ------------------------------------------------------------------------------- one channel
def test_one_channel_is_no_attribution_finding_however_many_conversions():
    """Case `one_channel`: the page showed Shapley's "Incremental conversions 40.0" beside a
    logit effect of 0, and the tiles "paid_search top in 100% of 200 resamples"."""
    paths = pd.DataFrame(
        {"path": ["paid_search", "paid_search > paid_search"], "total_conversions": [30, 10]}
        | {"total_null": [50, 20]}
    )
    one = at.from_paths(paths)
    check = at.reliability(one)
    assert (check["reliable"], check["reason"], check["conversions"]) == (False, "one_channel", 40)
    note = at.reliability_note(check)
    assert note.startswith("> **One channel only (paid_search) touched these journeys.**")
    assert "the split between channels is trivial" in note
    assert "its incremental effect is not identifiable" in note
    comparison = at.compare(one, ["linear", "shapley"])
    top = comparison[comparison["model"] == "shapley"].iloc[0]
    tiles = at.report_kpis(top, "shapley", one, None, "2026-10", 12, check)
    for tile in tiles[:2]:  # the top channel and its share: no finding
        assert tile["status"] == "no data"
        assert tile["detail"].startswith("one channel only (paid_search): not to be relied on")
    assert "too few" not in tiles[2]["detail"]  # 40 conversions are not too few
    two = at.from_paths(paths.assign(path=["paid_search", "email > paid_search"]))
    assert at.reliability(two)["reliable"]  # two channels, 40 conversions: a finding
