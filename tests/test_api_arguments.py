"""Arguments of the library's functions that were taken wrongly without a word, or failed
inside pandas (a user calling smk from their own scripts)."""

import numpy as np
import pandas as pd
import pytest

import smk
from smk import funnel, notebooks, scorecard, segmentation, sla
from smk.cli import main
from smk.config import SAMPLE_DIR
from smk.errors import CRMExportError
from smk.io.parse import DateOptions


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


@pytest.mark.parametrize("value", ["false", "no", 0, 1])
def test_sla_business_hours_is_true_or_false_not_text(value):
    """business_hours="false" counted working hours: text is true to Python."""
    with pytest.raises(
        ValueError, match=f"SLA business_hours must be True or False, got {value!r}"
    ):
        sla.SLA(business_hours=value)
    assert sla.SLA(business_hours=np.bool_(True)).business_hours is True


@pytest.mark.parametrize("value", ["false", "True", 0])
def test_dayfirst_is_true_false_or_none_not_text(value):
    """dayfirst="false" read US dates day-first, as a mapping file's `dayfirst: "false"` is not."""
    message = f"dayfirst must be True, False or None, got {value!r}"
    with pytest.raises(ValueError, match=message):
        smk.load(SAMPLE_DIR / "hubspot", dayfirst=value)
    with pytest.raises(CRMExportError, match=message):  # the loaders called directly
        DateOptions(dayfirst=value)


def test_segment_accounts_refit_is_true_or_false_not_text(tmp_path):
    """refit="false" (papermill -p refit false) fitted new segments."""
    with pytest.raises(ValueError, match="refit must be True or False, got 'false'"):
        segmentation.segment_accounts(pd.DataFrame(), "2026-10", tmp_path, refit="false")


@pytest.mark.parametrize("given", ["HubSpot", "HUBSPOT"])
def test_built_in_format_names_are_read_in_any_case(crm, given):
    """format="HubSpot" was an unknown format, while mapping names were read in any case."""
    loaded = smk.load(SAMPLE_DIR / "hubspot", format=given)
    assert loaded.format == "hubspot"
    pd.testing.assert_frame_equal(loaded.contacts, crm.contacts)
    opened = notebooks.open_crm(str(SAMPLE_DIR / "hubspot"), given)  # a notebook's data_format
    assert opened.format == "hubspot"
    assert main(["validate", str(SAMPLE_DIR / "hubspot"), "--format", given]) == 0


def test_an_unknown_format_still_lists_the_valid_names():
    with pytest.raises(
        CRMExportError, match="unknown format 'HubSpt'; choose one of auto, hubspot"
    ):
        smk.load(SAMPLE_DIR / "hubspot", format="HubSpt")
