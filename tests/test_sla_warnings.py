"""The "activities end early" warning of `smk.sla.mql_leads`: once per export, not once per
end date and process, and not counted as said when a filter ignored it."""

from __future__ import annotations

import dataclasses
import gc
import warnings

import pandas as pd
import pytest

import smk
from smk import config, sla

EARLY = r"activities end on 2026-04-\d\d, \d+ working days before its other records"


@pytest.fixture(scope="module")
def sample():
    return smk.load(config.SAMPLE_HUBSPOT)


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(sla, "_WARNED", type(sla._WARNED)())  # emptied


def _early(crm):
    """An export whose activities stop in April while its contacts run to October."""
    acts = crm.activities
    return dataclasses.replace(
        crm, activities=acts[acts["occurred_at"] < pd.Timestamp("2026-05-01", tz="UTC")]
    )


def test_another_export_with_the_same_activities_end_is_warned_about_too(sample, fresh):
    first, second = _early(sample), _early(sample)  # two exports, the same dates
    with pytest.warns(UserWarning, match=EARLY) as said:
        sla.mql_leads(first)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same export: said once for a whole page
        sla.mql_leads(first)
        sla.mql_leads(first, as_of=pd.Timestamp("2026-10-01", tz="UTC"))
    with pytest.warns(UserWarning, match=EARLY):
        sla.mql_leads(second)
    assert said[0].filename == __file__  # points at the caller, as before
    assert str(said[0].message).endswith(f"({sample.source})")  # names the export


def test_a_warning_ignored_by_a_filter_is_said_by_the_next_call(sample, fresh):
    early = _early(sample)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sla.mql_leads(early)
    with pytest.warns(UserWarning, match=EARLY):
        sla.mql_leads(early)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and then it was said
        sla.mql_leads(early)


def test_an_error_filter_raises_it_each_time_until_it_is_said(sample, fresh):
    early = _early(sample)
    for _ in range(2):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(UserWarning, match=EARLY):
                sla.mql_leads(early)
    with pytest.warns(UserWarning, match=EARLY):
        sla.mql_leads(early)


def test_an_export_no_longer_held_leaves_no_entry(sample, fresh):
    early = _early(sample)
    key = id(early.activities)
    with pytest.warns(UserWarning, match=EARLY):
        sla.mql_leads(early)
    assert key in sla._WARNED
    del early
    gc.collect()
    assert key not in sla._WARNED


def test_a_past_month_of_an_export_with_later_activities_is_not_warned_about(sample, fresh):
    # the October report said "the export's sales activities end on 2026-10-05" of an export
    # whose activities run to November: only those before the month's end were looked at
    acts = sample.activities
    when = acts["occurred_at"]
    gap = (when >= pd.Timestamp("2026-05-01", tz="UTC")) & (
        when < pd.Timestamp("2026-09-01", tz="UTC")
    )
    holed = dataclasses.replace(sample, activities=acts[~gap])  # activities again from September
    august = pd.Timestamp("2026-08-01", tz="UTC")  # as of July's end
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sla.mql_leads(holed, as_of=august)
    with pytest.warns(UserWarning, match=EARLY):  # an export whose activities do end in April
        sla.mql_leads(_early(sample), as_of=august)


@pytest.mark.parametrize("kind", ["meeting", "task"])
def test_a_meeting_booked_or_a_task_due_after_the_month_does_not_hide_the_warning(
    sample, fresh, kind
):
    # a live export's one meeting booked for next month (or a task due then) silenced the
    # warning for an export whose activity sync stopped in April
    early = _early(sample)
    ahead = early.activities.iloc[[0]].assign(
        activity_id="ahead-1", type=kind, occurred_at=pd.Timestamp("2026-11-20", tz="UTC")
    )
    booked = dataclasses.replace(early, activities=pd.concat([early.activities, ahead]))
    with pytest.warns(UserWarning, match=EARLY):
        sla.mql_leads(booked, as_of=pd.Timestamp("2026-11-01", tz="UTC"))
    done = ahead.assign(type="call")  # a call made after the month: the sync did not stop
    called = dataclasses.replace(early, activities=pd.concat([early.activities, done]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sla.mql_leads(called, as_of=pd.Timestamp("2026-11-01", tz="UTC"))


def test_the_early_stop_warning_gives_the_utc_moment_of_a_team_s_other_day(sample, fresh):
    """The last activity at 22:30 UTC is the next day in Tokyo: the warning named that day
    alone, another date than the UTC days other texts give (RV3)."""
    acts = sample.activities
    early = acts[acts["occurred_at"] < pd.Timestamp("2026-04-20 22:31", tz="UTC")]
    last = early["occurred_at"].max()
    moved = early["occurred_at"].mask(
        early["occurred_at"] == last, pd.Timestamp("2026-04-20 22:30", tz="UTC")
    )
    crm = dataclasses.replace(sample, activities=early.assign(occurred_at=moved))
    with pytest.warns(UserWarning) as said:
        sla.mql_leads(crm, sla.SLA(timezone="Asia/Tokyo"))
    texts = [str(w.message) for w in said if "activities end on" in str(w.message)]
    assert texts and texts[0].startswith(
        "the export's sales activities end on 2026-04-21 in the team's time zone, "
        "2026-04-20 22:30 UTC, "
    )
