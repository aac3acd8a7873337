"""Arguments of the library's functions that were taken wrongly without a word, or failed
inside pandas (a user calling smk from their own scripts)."""

import pandas as pd
import pytest

import smk
from smk import funnel, scorecard, sla
from smk.config import SAMPLE_DIR


@pytest.fixture(scope="module")
def crm():
    return smk.load(SAMPLE_DIR / "hubspot")


@pytest.mark.parametrize("months", [0, -2, 1.5])
def test_cohort_months_must_be_a_positive_whole_number(crm, months):
    """months=0 kept every cohort, -2 dropped the first two."""
    with pytest.raises(ValueError, match=r"months must be an integer >= 1 \(cohorts kept\)"):
        funnel.cohort_conversion(crm.contacts, "2026-11-01", months=months)


def test_cohort_transitions_are_pairs_of_stages_and_one_pair_may_stand_alone(crm):
    """transitions=("lead", "mql") failed with "too many values to unpack"."""
    alone = funnel.cohort_conversion(crm.contacts, "2026-11-01", transitions=("lead", "mql"))
    listed = funnel.cohort_conversion(crm.contacts, "2026-11-01", transitions=[("lead", "mql")])
    pd.testing.assert_frame_equal(alone, listed)
    assert set(alone["from_stage"]) == {"lead"} and len(alone)
    with pytest.raises(ValueError, match="transitions must be .* got \\('lead', 'won'\\)"):
        funnel.cohort_conversion(crm.contacts, "2026-11-01", transitions=[("lead", "won")])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"months": -3}, r"months must be an integer from 1 to 1200 \(the marketing-mix window\)"),
        ({"price_bands": []}, "price_bands must be one or more numbers"),
        ({"price_bands": [10_000, 5_000]}, "price_bands must rise"),
        ({"price_bands": ["5k"]}, "price_bands must be one or more numbers"),
    ],
)
def test_marketing_mix_refuses_a_window_or_bands_it_cannot_use(crm, kwargs, message):
    """months=-3 said "no deal closed in the -3 months"; [] was an IndexError; falling bands
    failed inside pandas' binning."""
    with pytest.raises(ValueError, match=message):
        scorecard.marketing_mix(crm, "2026-10", fx_rates={"EUR": 1.0, "USD": 0.92}, **kwargs)


def test_sla_by_month_takes_one_month_as_other_month_arguments_do(crm):
    """months=pd.Timestamp(...) was "not iterable"; one month as text or Month worked."""
    leads = sla.mql_leads(crm, sla.SLA(), as_of="2026-11-01")
    one = sla.sla_by_month(leads, months="2026-10")
    assert one["month"].tolist() == ["2026-10"]
    with pytest.raises(ValueError, match="month must look like YYYY-MM .*pass f'\\{date:%Y-%m\\}'"):
        sla.sla_by_month(leads, months=pd.Timestamp("2026-10-01"))
