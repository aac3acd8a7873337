"""A won deal closed on a calendar date (00:00 UTC: Salesforce's `CloseDate`, a date-only
close column) takes the touches of its whole close day.

The loaders place a date without a time of day at 00:00 UTC, so a journey that ended at
`closed_at` dropped every touch on the close day itself (a demo, an event, a click that day),
and a deal whose only touches fell on that day was 'no touch in the lookback window'. A close
with a time of day still ends its journey at that time.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from test_attribution_models import mini_crm, utc, won_deal

import smk
from smk import attribution as at
from smk import config

#: contact 2 is touched and never converts (a non-converting journey next to the deal's)
OTHER = [("2", "2026-01-03", "paid_social")]


def _journeys(touches, closed_at: str, **kw):
    deals = [won_deal("D1", "1", 100.0, closed_at)]
    return at.journeys(mini_crm([*touches, *OTHER], deals=deals), **kw)


def _won(j):
    return j.table[j.table["conversions"] == 1].iloc[0]


def test_a_date_only_close_takes_the_touches_of_the_whole_close_day():
    touches = [
        ("1", "2026-01-20T09:00", "email"),
        ("1", "2026-01-26T15:00", "offline"),  # a demo on the close day: after 00:00
        ("1", "2026-01-26T23:59:59.999", "direct"),  # the day's last millisecond: in
        ("1", "2026-01-27T00:00", "referral"),  # the next day: out
    ]
    j = _journeys(touches, "2026-01-26", lookback_days=90)
    assert _won(j)["path"] == "email > offline > direct"
    assert at.attribute(j, "last_touch").set_index("channel")["conversions"]["direct"] == 1.0
    assert _won(j)["conversion_at"] == utc("2026-01-26")  # the date as recorded
    # the close milestone (closed won) is the close day's last touch
    assert j.milestones["close"][0] == 2
    closed_won = at.attribute(j, "full_path", weights={"close": 1.0})
    assert closed_won.set_index("channel")["conversions"].to_dict() == {
        "direct": 1.0,
        "email": 0.0,
        "offline": 0.0,
        "paid_social": 0.0,
        "referral": 0.0,  # touched the next day only: a channel of no converting journey
    }
    # on the close day means 0 days before the close (no negative days, no time of day)
    converting = j.days_before[: j.offsets[1]]
    np.testing.assert_allclose(converting, [5 + 15 / 24, 0.0, 0.0])
    assert at.time_to_conversion(j)["days"].tolist() == [pytest.approx(5 + 15 / 24)]


def test_a_deal_whose_only_touch_is_on_its_close_day_is_attributed():
    j = _journeys([("1", "2026-01-26T10:00", "event_fair")], "2026-01-26", lookback_days=90)
    assert (j.total_conversions, j.unattributed["conversions"]) == (1.0, 0.0)
    credit = at.attribute(j, "first_touch").set_index("channel")
    assert credit.loc["event_fair", ["conversions", "value"]].tolist() == [1.0, 100.0]
    assert at.time_to_conversion(j)["days"].tolist() == [0.0]  # not -10 hours
    assert j.coverage()["no_touch"] == 0


def test_a_close_with_a_time_of_day_still_ends_its_journey_at_that_time():
    touches = [
        ("1", "2026-01-26T13:00", "email"),
        ("1", "2026-01-26T14:00", "direct"),  # at the close: in
        ("1", "2026-01-26T15:00", "offline"),  # an hour after the close: out
    ]
    j = _journeys(touches, "2026-01-26T14:00", lookback_days=90)
    assert _won(j)["path"] == "email > direct"
    assert j.milestones["close"][0] == 1
    np.testing.assert_allclose(j.days_before[: j.offsets[1]], [1 / 24, 0.0])
    only_after = _journeys([("1", "2026-01-26T15:00", "offline")], "2026-01-26T14:00")
    assert (only_after.total_conversions, only_after.unattributed["conversions"]) == (0.0, 1.0)


def test_the_lookback_window_still_starts_lookback_days_before_the_close_date():
    touches = [
        ("1", "2025-12-26T23:59", "paid_search"),  # a minute too early: out
        ("1", "2025-12-27T00:00", "email"),  # 30 days before the close date: in
        ("1", "2026-01-26T08:00", "direct"),
    ]
    j = _journeys(touches, "2026-01-26", lookback_days=30)
    assert _won(j)["path"] == "email > direct"


def test_the_close_day_stops_at_the_period_s_end():
    touches = [("1", "2026-01-26T09:00", "email"), ("1", "2026-01-26T15:00", "offline")]
    j = _journeys(touches, "2026-01-26", lookback_days=90, end=utc("2026-01-26T12:00"))
    assert _won(j)["path"] == "email"  # no touch at or after the period's end


def test_milestones_on_the_close_day_count_for_a_date_only_close():
    """The deal was created on its close day, after 00:00: deal creation is a milestone
    of the journey (it was one past the conversion, and none, before)."""
    touches = [
        ("1", "2026-01-20", "email"),
        ("1", "2026-01-26T09:00", "offline"),
        ("1", "2026-01-26T11:00", "direct"),
    ]
    deal = {**won_deal("D1", "1", 100.0, "2026-01-26"), "created_at": utc("2026-01-26T10:00")}
    j = at.journeys(mini_crm([*touches, *OTHER], deals=[deal]), lookback_days=None)
    assert j.milestones["opportunity"][0] == 1  # offline, the last touch before 10:00


def test_the_salesforce_sample_journeys_hold_the_touches_to_the_close_days_end():
    """data/sample/salesforce: every won deal closes on a date (`CloseDate`). Each journey
    holds its contact's touches from 90 days before the close date to the close day's end,
    counted here from the tables. None of the 72 has a touch later on its close day: a person
    is one CampaignMember per campaign, dated by the first response, so a late touch in a
    campaign already responded to is not in the export (the tests above cover that day)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # EUR and USD deals
        crm = smk.load(config.SAMPLE_SALESFORCE)
        j = at.journeys(crm, "won", lookback_days=90)
    won = crm.deals[crm.deals["is_won"].fillna(False).astype(bool)]
    assert len(won) == 72 and (won["closed_at"] == won["closed_at"].dt.floor("D")).all()
    pairs = won.merge(crm.touchpoints, on="contact_id")
    close, at_ = pairs["closed_at"], pairs["occurred_at"]
    day = pd.Timedelta(days=1)
    in_window = (at_ >= close - 90 * day) & (at_ < close + day)
    later_that_day = (at_ > close) & (at_ < close + day)
    assert pairs.loc[later_that_day, "deal_id"].nunique() == 0
    want = pairs[in_window].groupby("deal_id").size()
    got = j.table[j.table["conversions"] == 1].set_index("journey_id")["n_touches"]
    assert got.sort_index().to_dict() == want.sort_index().to_dict()
    assert int(got.sum()) == 267
