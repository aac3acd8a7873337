"""Attribution's money figures: credit adds up whatever the currency's size, and the return on
ad spend of conversions without a value (MQLs) is unknown, not 0."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import smk
from smk import attribution as at
from smk import config, periods


@pytest.fixture(scope="module")
def hubspot() -> smk.CRM:
    return smk.load(config.SAMPLE_HUBSPOT)


def _journeys(crm: smk.CRM, conversion: str, fx: dict) -> at.Journeys:
    end = periods.resolve_month(crm, "2026-10").end
    return at.journeys(crm, conversion, 90, start=at.window_start(end, 12), end=end, fx=fx)


# ------------------------------------------------------------------ credit adds up
def test_credit_of_a_huge_currency_adds_up_up_to_float_error(hubspot):
    # IDR-sized amounts (1 EUR = 1e7): a year's value of ~1.8e13 misses its total by ~0.008 in
    # float arithmetic alone, which the notebook's absolute tolerance of 1e-3 called an error
    journeys = _journeys(hubspot, "won", {"EUR": 1e7, "USD": 9.2e6})
    comparison = at.compare(journeys, at.MODELS)
    credited = comparison.groupby("model")["value"].sum()
    assert journeys.total_value > 1e13
    assert (credited - journeys.total_value).abs().max() > 1e-3  # the tester's case
    at.check_credit(comparison, journeys)  # no AssertionError: it is float error


def test_credit_that_does_not_add_up_is_an_error_naming_the_model(hubspot):
    journeys = _journeys(hubspot, "won", {"EUR": 1e7, "USD": 9.2e6})
    comparison = at.compare(journeys, ["linear", "last_touch"])
    lost = comparison.copy()
    lost.loc[lost["model"] == "linear", "value"] *= 1 - 1e-6  # a millionth of it lost
    with pytest.raises(AssertionError, match=r"credit must sum to the value .*: linear"):
        at.check_credit(lost, journeys)
    extra = comparison.copy()
    extra.loc[extra.index[-1], "conversions"] += 0.01
    with pytest.raises(AssertionError, match=r"credit must sum to the conversions .*last_touch"):
        at.check_credit(extra, journeys)


# ------------------------------------------------------------------ conversions without value
def test_only_deal_conversions_carry_a_value(hubspot):
    fx = {"EUR": 1.0, "USD": 0.92}
    assert _journeys(hubspot, "won", fx).valued and _journeys(hubspot, "opportunity", fx).valued
    for conversion in ("mql", "customer"):
        journeys = _journeys(hubspot, conversion, fx)
        assert not journeys.valued and journeys.total_value == 0.0


def test_credit_and_paths_of_conversions_without_a_value_leave_the_value_blank(hubspot):
    # HB: MQL pages wrote a value of 0.0 in attribution.csv and attribution_paths.csv, ranked
    # the paths "then by value" and said "Values in EUR"; attribution_roi.csv left it blank
    fx = {"EUR": 1.0, "USD": 0.92}
    mql = _journeys(hubspot, "mql", fx)
    credit = at.compare(mql, ["linear", "shapley"])
    assert credit["value"].isna().all() and credit["conversions"].sum() > 0
    at.check_credit(credit, mql)
    paths = at.top_paths(mql, n=None)
    assert paths["value"].isna().all()
    ranked = paths.sort_values(
        ["conversions", "journeys", "path"], ascending=[False, False, True], ignore_index=True
    )
    pd.testing.assert_frame_equal(paths, ranked)
    note = at.paths_note(paths, 10, currency=mql.currency)
    assert mql.currency == "EUR" and "EUR" not in note and "value" not in note
    won = _journeys(hubspot, "won", fx)  # a deal's value is known: as it was
    credit = at.compare(won, ["linear", "shapley"])
    assert credit.groupby("model")["value"].sum().to_numpy() == pytest.approx(won.total_value)
    paths = at.top_paths(won, n=None)
    assert paths["value"].notna().all() and paths["value"].sum() == pytest.approx(won.total_value)
    note = at.paths_note(paths, 10, currency=won.currency)
    assert "(converting or not), then by value." in note and note.endswith("Values in EUR.")


def _roi(valued: bool) -> pd.DataFrame:
    credit = pd.DataFrame(
        {"model": ["m", "m", "m"], "channel": ["a", "b", "c"], "conversions": [2.0, 0.0, 1.0],
         "value": [0.0, 0.0, 0.0]}
    )  # fmt: skip
    spend = pd.DataFrame({"channel": ["a", "b"], "spend": [100.0, 40.0]})
    return at.return_on_spend(credit, spend, valued=valued).set_index("channel")


def test_the_return_on_spend_of_mqls_is_unknown_not_zero():
    # `conversion=mql`: every ROAS was 0.0 on the page and in attribution_roi.csv
    roi = _roi(valued=False)
    assert roi["roas"].isna().all() and roi["value"].isna().all()
    assert roi.loc["a", "cpa"] == 50.0  # the cost per MQL is known
    assert at.paid_ratios(roi.reset_index(), "roas").empty
    assert at.why_no_ratio(roi.reset_index(), "roas", "2026", "mql") == (
        "mql conversions carry no value: return on ad spend needs conversions with a value "
        "(conversion won or opportunity, valued by the deal amount)"
    )
    cpa = at.paid_ratios(roi.reset_index(), "cpa")
    assert list(cpa.index) == ["a", "b"] and cpa.loc["a", "m"] == 50.0
    valued = _roi(valued=True)  # a valued conversion that returned nothing: a ROAS of 0
    assert (valued.loc[["a", "b"], "roas"] == 0.0).all()
    assert not at.paid_ratios(valued.reset_index(), "roas").empty


def test_why_no_ratio_says_what_is_missing():
    roi = _roi(valued=True).reset_index()
    free = roi.assign(spend=np.nan)
    assert at.why_no_ratio(free, "cpa", "2025-11-01 to 2026-10-31") == (
        "no ad spend from 2025-11-01 to 2026-10-31: cost per acquisition needs spend"
    )
    uncredited = roi.assign(conversions=0.0, cpa=np.nan)
    assert at.paid_ratios(uncredited, "cpa").empty
    assert at.why_no_ratio(uncredited, "cpa", "2026") == (
        "no conversion of 2026 is credited to a channel with spend: no cost per acquisition"
    )


def test_the_channel_other_with_spend_is_said_to_pool_sources():
    """Sources mapped to no channel are one channel 'other': its spend (one ad network's) and
    its credit (every unmapped source's) are of different sources, and the page's ROAS of 84x
    read as a channel's (HE). Said under the ratio tables; nothing when 'other' has no spend."""
    credit = pd.DataFrame(
        {"model": ["m", "m"], "channel": ["other", "email"], "conversions": [3.0, 1.0],
         "value": [900.0, 100.0]}
    )  # fmt: skip
    spent = at.return_on_spend(credit, pd.DataFrame({"channel": ["other"], "spend": [30.0]}))
    note = at.pooled_channel_note(spent)
    assert note is not None and note.startswith("'other' pools every source the export names")
    assert "no one channel's" in note
    free = at.return_on_spend(credit, pd.DataFrame({"channel": ["email"], "spend": [30.0]}))
    assert at.pooled_channel_note(free) is None
    # RV4: channel_groups may rename 'other' or put a channel of the user's into it
    renamed = credit.assign(channel=["unmapped", "email"])
    spent = at.return_on_spend(renamed, pd.DataFrame({"channel": ["unmapped"], "spend": [30.0]}))
    assert at.pooled_channel_note(spent) is None  # no 'other' without the groups
    note = at.pooled_channel_note(spent, {"other": "unmapped", "email": "email"})
    assert note is not None and note.startswith("'unmapped' holds 'other', every source")
    spent = at.return_on_spend(credit, pd.DataFrame({"channel": ["other"], "spend": [30.0]}))
    note = at.pooled_channel_note(spent, {"offline": "other", "other": "other"})
    assert "(the data-quality page's warnings name them), and offline (channel_groups):" in note
