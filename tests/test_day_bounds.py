"""Settings counted in days (lead scoring's windows, attribution's lookback) are bounded at
`smk.checks.MAX_DAYS` (100 years) where they are first taken.

Before, ``within_days=10**6`` or ``lookback_days=1e30`` failed deep in the date arithmetic with
"OverflowError: Python int too large to convert to C long" (in a report: notebook 03 failed in
a cell, exit 3, after the params pre-flight had passed it), and ``within_days=100_000``
silently wrapped around int64 nanoseconds: every lead got a known outcome of 0.
"""

from __future__ import annotations

import re
import warnings

import pytest

import smk
from smk import attribution as at
from smk import config
from smk import scoring as sc
from smk.checks import MAX_DAYS, check_integer, check_number
from smk.errors import NoDataError

AS_OF = "2026-11-01"
HUGE = (100_000, 10**6, 10**12, 1e30, 10**400, MAX_DAYS + 1)


@pytest.fixture(scope="module")
def crm():
    return smk.load(config.SAMPLE_HUBSPOT)


@pytest.fixture(scope="module")
def leads(crm):
    return sc.lead_features(crm, as_of=AS_OF)


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("name", ["within_days", "score_after_days"])
def test_lead_table_windows_beyond_100_years_are_a_value_error_naming_them(crm, name, value):
    pattern = rf"^{name} must be an integer from [01] to 36500 \(whole days; 36500 is 100 years\)"
    with pytest.raises(ValueError, match=pattern + f", got {re.escape(repr(value))}$"):
        sc.lead_features(crm, as_of=AS_OF, **{name: value})
    with pytest.raises(ValueError, match=pattern):  # what the report's params pre-flight calls
        sc.TargetSpec(**{name: value})


def test_lead_table_windows_at_100_years_are_taken(crm):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wide = sc.lead_features(crm, as_of=AS_OF, within_days=MAX_DAYS)
        late = sc.lead_features(crm, as_of=AS_OF, score_after_days=float(MAX_DAYS))
    # no window closes within 100 years of 2026 (a wrapped-around one closed before as_of)
    assert len(wide) > 0 and wide["label"].isna().all()
    assert len(late) == 0  # nobody is scored before 2126
    assert wide.attrs["spec"]["within_days"] == MAX_DAYS
    spec = sc.TargetSpec(within_days=float(MAX_DAYS), score_after_days=MAX_DAYS)
    assert (spec.within_days, spec.score_after_days) == (MAX_DAYS, MAX_DAYS)
    assert type(spec.within_days) is int  # 36500.0 is stored (and shown) as 36500


@pytest.mark.parametrize("value", [*HUGE, -1])
def test_time_split_gap_beyond_100_years_or_negative_is_a_value_error(leads, value):
    # a huge gap was an OutOfBoundsTimedelta; a negative one let training leads overlap the test
    pattern = r"^gap_days must be an integer from 0 to 36500 \(whole days; 36500 is 100 years\)"
    with pytest.raises(ValueError, match=pattern + f", got {re.escape(repr(value))}$"):
        sc.time_split(leads, gap_days=value)


def test_time_split_gap_at_100_years_is_taken(leads):
    # the setting is fine: only no lead is 100 years older than the test leads
    with pytest.raises(NoDataError, match="too little history"):
        sc.time_split(leads, gap_days=MAX_DAYS)
    assert sc.time_split(leads, gap_days=30.0).gap_days == 30


@pytest.mark.parametrize("value", HUGE)
def test_lookback_beyond_100_years_is_a_value_error_naming_it(crm, value):
    pattern = (
        r"^lookback_days must be a number > 0 and at most 36500 "
        r"\(days, 36500 is 100 years; or None for no limit\), got "
    )
    with pytest.raises(ValueError, match=pattern + f"{re.escape(repr(value))}$"):
        at.journeys(crm, conversion="won", lookback_days=value)
    with pytest.raises(ValueError, match=pattern):  # the check journeys runs, for a pre-flight
        at.check_lookback_days(value)


@pytest.mark.filterwarnings("ignore:deal amounts are in EUR, USD:UserWarning")
def test_lookback_at_100_years_is_taken_and_keeps_every_touch_of_the_sample(crm):
    every = at.journeys(crm, conversion="won", lookback_days=None)
    for bound in (MAX_DAYS, float(MAX_DAYS)):
        assert at.check_lookback_days(bound) == bound
        j = at.journeys(crm, conversion="won", lookback_days=bound)
        assert len(j) == len(every) and len(j.codes) == len(every.codes)
    assert at.check_lookback_days(None) is None and at.check_lookback_days(0.5) == 0.5


def test_whole_float_errors_show_the_value_as_given():
    # window_start said "got 1000000000000000019884624838656" for 1e30
    with pytest.raises(ValueError, match=r"window_months .* \(calendar months\), got 1e\+30$"):
        at.window_start("2026-11-01", 1e30)
    assert check_integer("n", 12.0, 1, 1200, whole_floats=True) == 12
    with pytest.raises(ValueError, match=r"^n must be an integer from 1 to 1200, got 12\.0$"):
        check_integer("n", 12.0, 1, 1200)  # without whole_floats a float is no integer
    with pytest.raises(TypeError, match="got True"):
        check_integer("n", True, 1, 1200, whole_floats=True)


def test_check_number_bounds_only_low_exclusive_and_any_int():
    assert check_number("x", 10, 0.0, 10, exclusive="low") == 10.0
    with pytest.raises(ValueError, match=r"^x must be a number > 0 and at most 10, got 0$"):
        check_number("x", 0, 0.0, 10, exclusive="low")
    with pytest.raises(ValueError, match=r"^x must be a number strictly between 0 and 10, got 10$"):
        check_number("x", 10, 0.0, 10, exclusive=True)
    # an int beyond any float was an OverflowError from float()
    with pytest.raises(ValueError, match=r"^x must be a finite number >= 0, got 1000"):
        check_number("x", 10**400, 0.0)
    with pytest.raises(ValueError, match=r"^x must be a finite number >= 0, got -1000"):
        check_number("x", -(10**400), 0.0)
