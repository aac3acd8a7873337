"""The SLA's local calendar: a date-only MQL date (00:00 UTC, where the loaders place a date
without a time of day) is the whole day of the team's `timezone`, and the days records fall on
are the team's days, the days its holidays name.

Before, a Tokyo team's call on the MQL's own morning (23:30 UTC of the day before) came before
the MQL, so the lead read as leaked; a New York team's call the evening before counted as after
it. `latest` and the partial-month note took a Tokyo team's Thursday-morning data for
Wednesday's, and the "activities stop early" warning counted a Tokyo holiday as a working day.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from smk import periods, scoring, sla
from smk.model import CRM, make_table
from smk.report import working_week
from smk.sla import SLA

TOKYO, NEW_YORK = "Asia/Tokyo", "America/New_York"


def _contacts(mqls: dict[str, str], created: str | None = "2026-10-01 00:00") -> pd.DataFrame:
    """MQLs created on `created` (None: at their MQL date)."""
    rows = [
        {
            "contact_id": who,
            "created_at": created or mql,
            "became_lead_at": created or mql,
            "became_mql_at": mql,
            "owner_id": "o1",
            "original_source": "paid_search",
            "lifecycle_stage": "mql",
        }
        for who, mql in mqls.items()
    ]
    return make_table("contacts", rows)


def _activities(calls: list[tuple[str, str]]) -> pd.DataFrame:
    rows = [
        {"activity_id": str(i), "contact_id": who, "occurred_at": when, "type": "call"}
        for i, (who, when) in enumerate(calls, start=1)
    ]
    return make_table("activities", rows)


def _crm(mql: str, call: str) -> CRM:
    return CRM(
        contacts=_contacts({"c1": mql}),
        activities=_activities([("c1", call), ("c1", "2026-10-30 12:00")]),
    )


# ------------------------------------------------------------------ a date-only MQL date
def test_a_tokyo_call_on_the_mql_dates_morning_answers_it():
    crm = _crm("2026-10-06", "2026-10-05 23:30")  # Tuesday 6 October, 08:30 in Tokyo
    lead = sla.mql_leads(crm, SLA(timezone=TOKYO), as_of="2026-11-01").iloc[0]
    assert lead["speed_to_lead_hours"] == pytest.approx(8.5)
    assert lead["within_sla"] and not lead["leaked"]
    assert lead["month"] == "2026-10" and lead["mql_at"] == pd.Timestamp("2026-10-06", tz="UTC")


def test_a_new_york_call_the_evening_before_the_mql_date_does_not_answer_it():
    crm = _crm("2026-10-06", "2026-10-06 02:00")  # Monday 5 October, 22:00 in New York
    lead = sla.mql_leads(crm, SLA(timezone=NEW_YORK), as_of="2026-11-01").iloc[0]
    assert lead["first_activity_at"] == pd.Timestamp("2026-10-30 12:00", tz="UTC")
    assert not lead["within_sla"] and lead["leaked"]


def test_the_windows_run_from_the_start_of_the_local_day():
    # MQL on 6 October, Tokyo day from 5 October 15:00 UTC: 24 hours pass at 6 October 15:00
    crm = _crm("2026-10-06", "2026-10-20 12:00")
    agreement = SLA(timezone=TOKYO, leakage_days=1, acceptance_days=1)
    before = sla.mql_leads(crm, agreement, as_of="2026-10-06 14:59").iloc[0]
    after = sla.mql_leads(crm, agreement, as_of="2026-10-06 15:01").iloc[0]
    assert (before["sla_due"], before["leak_due"], before["rejected"]) == (False, False, False)
    assert (after["sla_due"], after["leak_due"], after["rejected"]) == (True, True, True)


def test_a_time_of_day_and_a_utc_team_are_unchanged():
    crm = _crm("2026-10-06 00:00:01", "2026-10-05 23:30")  # a time of day: not a date
    assert not sla.mql_leads(crm, SLA(timezone=TOKYO), as_of="2026-11-01").iloc[0]["within_sla"]
    utc_team = sla.mql_leads(_crm("2026-10-06", "2026-10-06 08:30"), as_of="2026-11-01")
    assert utc_team.iloc[0]["speed_to_lead_hours"] == pytest.approx(8.5)


def test_day_start_in_moves_only_dates():
    times = pd.Series(
        pd.to_datetime(["2026-10-06", "2026-10-06 09:00", None], utc=True, format="ISO8601"),
        index=[5, 6, 7],
    )
    moved = periods.day_start_in(times, TOKYO)
    assert moved.index.tolist() == [5, 6, 7] and moved.iloc[1:].equals(times.iloc[1:])
    assert moved.iloc[0] == pd.Timestamp("2026-10-05 15:00", tz="UTC")
    assert periods.is_date_only(np.array([0, 1, np.iinfo(np.int64).max])).tolist() == [
        True,
        False,
        False,
    ]


# ------------------------------------------------------------------ the team's days
WEEK = SLA(timezone=TOKYO, holidays=("2026-10-30",))  # Friday 30 October: a Tokyo holiday


def test_latest_and_coverage_take_the_day_in_the_teams_zone():
    # the data end on Thursday 29 October 08:30 in Tokyo, the month's last working day there
    rows = {"c0": "2026-09-01 01:00", "c1": "2026-09-15 01:00", "c2": "2026-10-28 23:30"}
    crm = CRM(
        contacts=make_table(
            "contacts",
            [
                {"contact_id": k, "created_at": v, "owner_id": "o1", "lifecycle_stage": "lead"}
                for k, v in rows.items()
            ],
        )
    )
    assert periods.latest_month(crm, WEEK) == periods.Month("2026-10")
    assert periods.month_coverage(crm, periods.Month("2026-10"), WEEK) is None
    assert periods.latest_month(crm, SLA(holidays=("2026-10-30",))) == periods.Month("2026-09")


def test_a_tokyo_holiday_is_no_working_day_of_an_early_stop():
    # calls end Tuesday 27 October 08:30 in Tokyo; the other records Friday 30 October (the
    # holiday): two working days between, Wednesday and Thursday, too few for the warning
    crm = CRM(
        contacts=_contacts({"c1": "2026-10-01 02:00", "c2": "2026-10-29 23:30"}, created=None),
        activities=_activities([("c1", "2026-10-26 23:30")]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sla.mql_leads(crm, WEEK)
    with pytest.warns(UserWarning, match="activities end on 2026-10-26, 3 working days"):
        sla.mql_leads(crm, SLA(holidays=WEEK.holidays))  # UTC days: three


# ------------------------------------------------------------------ lead scoring's as-of
def test_lead_scorings_as_of_warning_takes_the_teams_week():
    # the data end on Thursday 29 October; the month ends after Friday and Saturday, the
    # weekend of a Sunday-to-Thursday team: no working day lies in between for it
    created = {"c0": "2026-09-01 08:00", "c1": "2026-10-01 08:00", "c2": "2026-10-29 15:00"}
    crm = CRM(contacts=_contacts(created, created=None))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scoring.lead_features(crm, as_of="2026-11-01", week=SLA(weekmask="Sun Mon Tue Wed Thu"))
    with pytest.warns(UserWarning, match="lies 2 days after the export's last record"):
        scoring.lead_features(crm, as_of="2026-11-01")  # Monday to Friday: Friday is skipped


def test_the_reports_working_week_carries_the_teams_zone():
    week = working_week({"notebooks": {"funnel_sla": {"timezone": TOKYO}}})
    assert week == SLA(timezone=TOKYO)


def test_the_reports_working_week_is_the_funnel_pages_whichever_pages_run():
    """The report judges `latest` and a partial month by the days the funnel page judges
    them by: its notebook's default zone (Europe/Berlin) when the params file gives none,
    not UTC's days, which disagreed with the page on a record late on a month's last day;
    and so when only other pages are refreshed (RV: `--notebooks segmentation` published
    into 2026-08, the whole report into 2026-09)."""
    from smk import config
    from smk.report import check_export, discover_notebooks

    chosen = discover_notebooks(None, config.NOTEBOOKS_DIR)
    others = [nb for nb in chosen if "funnel" not in nb.name]
    assert working_week({}, chosen) == working_week({}, others) == working_week({})
    assert working_week({}) == SLA(timezone="Europe/Berlin")
    assert working_week({"timezone": TOKYO}, others) == SLA(timezone=TOKYO)
    # the last record on Wednesday 30 September 00:30 in Berlin, Tuesday 22:30 UTC
    created = [f"2026-{m:02d}-10 10:00" for m in range(5, 10)] + ["2026-09-29 22:30"]
    crm = CRM(contacts=_contacts({f"c{i}": t for i, t in enumerate(created)}, created=None))
    months = {str(check_export(crm, nbs, {}, "latest")) for nbs in (chosen, others, others[:1])}
    assert months == {"2026-09"}


def test_an_east_teams_month_end_is_no_day_after_the_data():
    """A UTC month's end is 01:00 or 09:00 of the next day east of UTC: no working day of the
    team lies between an export taken on the month's last evening and it (RV: the funnel
    page warned three times to choose the very month it showed)."""
    for last in ("2026-09-30 14:00", "2026-09-30 15:30"):  # 23:00 and 00:30 in Tokyo
        crm = CRM(contacts=_contacts({"c1": "2026-09-01 02:00", "c2": last}, created=None))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sla.mql_leads(crm, SLA(timezone=TOKYO), as_of=periods.Month("2026-09").end)
            sla.mql_leads(crm, SLA(timezone="Europe/Berlin"), as_of=periods.Month("2026-09").end)


def test_a_partial_months_text_gives_the_days_it_judged_by():
    """New York's Thursday 29 October 22:00 is 30 October 02:00 UTC: the month is partial
    for that team, its last working day (Friday 30) missed, and the text says the 29th (RV:
    "its data end on 2026-10-30", the day it judged covered)."""
    created = [f"2026-{m:02d}-10 10:00" for m in range(5, 11)] + ["2026-10-30 02:00"]
    crm = CRM(contacts=_contacts({f"c{i}": t for i, t in enumerate(created)}, created=None))
    text = periods.month_coverage(crm, periods.Month("2026-10"), SLA(timezone=NEW_YORK))
    assert text == (  # HA: with the UTC moment, as other pages date records by UTC days
        "the export covers only 2026-10-01 to 2026-10-29 of 2026-10 (its data end on 2026-10-29 "
        "in the team's time zone, 2026-10-30 02:00 UTC)"
    )
    assert periods.month_coverage(crm, periods.Month("2026-10"), SLA()) is None


def test_a_month_refused_as_outside_the_data_gives_the_utc_moment_of_a_team_s_other_day():
    """Months are UTC months: data to 31 October 23:58 UTC (1 November in Berlin) leave
    November out, and the refusal must not say only that the data run to 2026-11-01 (HA)."""
    created = [f"2026-{m:02d}-10 10:00" for m in range(5, 10)] + ["2026-10-31 23:58"]
    crm = CRM(contacts=_contacts({f"c{i}": t for i, t in enumerate(created)}, created=None))
    with pytest.raises(ValueError) as refused:
        periods.resolve_month(crm, "2026-11", SLA(timezone="Europe/Berlin"))  # the pages' default
    assert (
        "outside the data (2026-05-10 to 2026-11-01 in the team's time zone, 2026-10-31 23:58 "
        "UTC); choose a month from 2026-05 to 2026-10 ("
    ) in str(refused.value)


def test_a_month_the_export_reaches_in_utc_only_says_so():
    """Los Angeles' 30 September 17:58 is 1 October 00:58 UTC: the export reaches October in
    UTC, in none of the team's days (H1: "covers only 2026-10-01 to 2026-10-01 of 2026-10 (its
    data end on 2026-10-01)", a day the team's data never had)."""
    created = [f"2026-{m:02d}-10 10:00" for m in range(5, 10)] + ["2026-10-01 00:58"]
    crm = CRM(contacts=_contacts({f"c{i}": t for i, t in enumerate(created)}, created=None))
    text = periods.month_coverage(
        crm, periods.Month("2026-10"), SLA(timezone="America/Los_Angeles")
    )
    assert text == (
        "the export covers none of 2026-10's days in the team's time zone (its data end on "
        "2026-09-30 there, 2026-10-01 00:58 UTC)"
    )


def test_a_date_without_a_time_is_that_day_west_of_utc_too():
    """A customer date written as 2026-10-30 (00:00 UTC) is Friday 30 October for a New York
    team, not Thursday evening (RV3: `latest` stepped back to 2026-09, October read partial)."""
    created = [f"2026-{m:02d}-10 15:00" for m in range(5, 11)] + ["2026-10-29 15:00"]
    contacts = _contacts({f"c{i}": t for i, t in enumerate(created)}, created=None)
    contacts.loc[len(contacts) - 1, "became_customer_at"] = pd.Timestamp("2026-10-30", tz="UTC")
    crm = CRM(contacts=contacts)
    week = SLA(timezone=NEW_YORK)
    assert periods.local_day(pd.Timestamp("2026-10-30", tz="UTC"), week) == pd.Timestamp(
        "2026-10-30"
    )
    assert periods.latest_month(crm, week) == periods.Month("2026-10")
    assert periods.month_coverage(crm, periods.Month("2026-10"), week) is None


def test_west_of_utc_a_months_last_working_day_missed_is_warned_of():
    """New York's 30 September ends at 00:00 UTC on 1 October, after its working day: data
    that end on the 29th miss it (RV3: only wholly passed days counted, none was)."""
    crm = CRM(
        contacts=_contacts({"c1": "2026-09-01 14:00", "c2": "2026-09-30 01:00"}, created=None)
    )
    with pytest.warns(UserWarning, match="lies 1 day after the export's last record"):
        sla.mql_leads(crm, SLA(timezone=NEW_YORK), as_of=periods.Month("2026-09").end)


def test_the_funnel_notebook_of_a_notebook_dir_gives_the_week_for_its_other_pages(tmp_path):
    """A `--notebook-dir` copy of the funnel page with its own zone gives the week when only
    another page of that folder runs (RV3: smk's own funnel page's Berlin was taken)."""
    import shutil

    from smk import config
    from smk.report import discover_notebooks

    folder = tmp_path / "nbs"
    shutil.copytree(config.NOTEBOOKS_DIR, folder)
    funnel = folder / "01_funnel_sla.ipynb"
    zone = 'timezone: str = \\"Europe/Berlin\\"'  # as the notebook's JSON writes it
    source = funnel.read_text()
    assert zone in source
    funnel.write_text(source.replace(zone, zone.replace("Europe/Berlin", "America/Los_Angeles")))
    others = discover_notebooks(["segmentation"], folder)
    assert working_week({}, others).timezone == "America/Los_Angeles"


def test_the_month_advice_gives_the_teams_days():
    """The refusal's "covered up to" gives the day the coverage text gives (RV3: New York's
    2026-10-30 01:00 UTC was "covered up to 2026-10-30" beside "its data end on 2026-10-29")."""
    created = [f"2026-{m:02d}-10 15:00" for m in range(5, 11)] + ["2026-10-30 01:00"]
    crm = CRM(contacts=_contacts({f"c{i}": t for i, t in enumerate(created)}, created=None))
    with pytest.raises(ValueError) as refused:
        periods.resolve_month(crm, "2026-12", SLA(timezone=NEW_YORK))
    assert (  # with the UTC moment, as the partial-month text gives it (RV)
        "2026-10 covered up to 2026-10-29 in the team's time zone, 2026-10-30 01:00 UTC; "
        "'latest' is 2026-09"
    ) in str(refused.value)


def test_the_month_advice_says_a_last_month_reached_in_utc_only():
    """New York's 31 October 22:01 is 1 November 02:01 UTC: the advice offered "2026-11
    covered up to 2026-10-31 ...", a November covered up to an October day (RV3)."""
    created = [f"2026-{m:02d}-10 15:00" for m in range(5, 11)] + ["2026-11-01 02:01"]
    crm = CRM(contacts=_contacts({f"c{i}": t for i, t in enumerate(created)}, created=None))
    with pytest.raises(ValueError) as refused:
        periods.resolve_month(crm, "2026-12", SLA(timezone=NEW_YORK))
    assert "choose a month from 2026-05 to 2026-11 (2026-11 reached in UTC only; " in str(
        refused.value
    )


def test_a_previous_month_s_caveat_gives_the_utc_moment_of_the_team_s_other_day():
    """New York's 4 November 21:00 is 5 November 02:00 UTC, the day the caveat of the month
    before gives ("contacts begin on 2025-11-05, after 2025-10"): the next month's caveat said
    "2025-11-04" alone (RV)."""
    from smk.scorecard import _not_comparable

    created = ["2025-11-05 02:00"] + [f"2025-{m:02d}-10 15:00" for m in (11, 12)]
    crm = CRM(contacts=_contacts({f"c{i}": t for i, t in enumerate(created)}, created=None))
    said = _not_comparable(crm, periods.Month("2025-11"), SLA(timezone=NEW_YORK))
    assert said == (
        "the export starts on 2025-11-04 in the team's time zone, 2025-11-05 02:00 UTC, "
        "inside 2025-11"
    )


def test_a_previous_month_the_export_starts_in_by_utc_only_says_so():
    """Berlin's 1 June 00:30 is 31 May 22:30 UTC: May is not compared, and the reason does not
    call the export's start "2026-05-31, inside 2026-05" for a team whose data begin in June
    (RV3)."""
    from smk.scorecard import _not_comparable

    created = ["2026-05-31 22:30"] + [f"2026-{m:02d}-10 15:00" for m in range(6, 11)]
    crm = CRM(contacts=_contacts({f"c{i}": t for i, t in enumerate(created)}, created=None))
    said = _not_comparable(crm, periods.Month("2026-05"), SLA(timezone="Europe/Berlin"))
    assert said == (
        "the export starts on 2026-05-31 22:30 UTC, inside 2026-05 by UTC months, after it in "
        "the team's days"
    )
    utc = _not_comparable(crm, periods.Month("2026-05"), SLA(timezone="UTC"))
    assert utc == "the export starts on 2026-05-31, inside 2026-05"


@pytest.mark.parametrize(
    ("zone", "start"),
    [(NEW_YORK, "2026-10-06 04:00"), ("America/Los_Angeles", "2026-10-06 07:00"), (TOKYO, None)],
)
def test_a_call_dated_the_mql_date_answers_it_in_any_zone(zone, start):
    # a Salesforce task's date: 00:00 UTC, the evening before in New York; it is the MQL's
    # local day, as the date-only MQL date is, so it answers it at once
    crm = _crm("2026-10-06", "2026-10-06")
    lead = sla.mql_leads(crm, SLA(timezone=zone), as_of="2026-11-01").iloc[0]
    assert lead["worked"] and lead["within_sla"] and not lead["leaked"]
    assert lead["speed_to_lead_hours"] == 0
    if start:
        assert lead["first_activity_at"] == pd.Timestamp(start, tz="UTC")


def test_a_call_dated_the_day_before_the_mql_date_does_not_answer_it():
    crm = _crm("2026-10-06", "2026-10-05")
    lead = sla.mql_leads(crm, SLA(timezone=NEW_YORK), as_of="2026-11-01").iloc[0]
    assert lead["first_activity_at"] == pd.Timestamp("2026-10-30 12:00", tz="UTC")


@pytest.mark.parametrize(
    ("zone", "mql"),
    [
        ("Europe/Berlin", "2026-10-05 23:20"),  # 01:20 on 6 October in Berlin
        (NEW_YORK, "2026-10-06 14:00"),
        ("UTC", "2026-10-06 14:00"),
        (TOKYO, "2026-10-06 05:00"),
    ],
)
def test_a_call_dated_the_day_of_a_timed_mql_answers_it_at_once(zone, mql):
    # RV: the call came some time on the MQL's local day, perhaps after it: at the earliest,
    # at once; before, a call dated 6 October fell before an MQL of 01:20 that day in Berlin
    lead = sla.mql_leads(_crm(mql, "2026-10-06"), SLA(timezone=zone), as_of="2026-11-01").iloc[0]
    assert lead["worked"] and lead["within_sla"] and not lead["leaked"]
    assert lead["speed_to_lead_hours"] == 0


def test_a_timed_call_before_a_timed_mql_on_its_day_still_does_not_answer_it():
    crm = CRM(
        contacts=_contacts({"c1": "2026-10-06 14:00"}),
        activities=_activities(
            [("c1", "2026-10-06 09:00"), ("c1", "2026-10-05"), ("c1", "2026-10-30 12:00")]
        ),
    )
    lead = sla.mql_leads(crm, SLA(timezone=NEW_YORK), as_of="2026-11-01").iloc[0]
    assert lead["first_activity_at"] == pd.Timestamp("2026-10-30 12:00", tz="UTC")
    assert lead["leaked"]


def test_the_start_of_the_local_day_of_each_time():
    times = pd.Series(
        pd.to_datetime(
            ["2026-10-05 23:20", "2026-10-06", "2026-03-29 12:00", None], utc=True, format="ISO8601"
        )
    )
    starts = periods.local_day_start(times, "Europe/Berlin")
    assert starts.iloc[:3].tolist() == [
        pd.Timestamp("2026-10-05 22:00", tz="UTC"),  # 6 October in Berlin
        pd.Timestamp("2026-10-05 22:00", tz="UTC"),  # the date 6 October
        pd.Timestamp("2026-03-28 23:00", tz="UTC"),  # the day the clocks go forward
    ]
    assert pd.isna(starts.iloc[3])


def test_a_task_dated_the_exports_last_day_counts_by_default_west_of_utc():
    # H3: the default as-of is the export's last record (a task dated 11 March: 00:00 UTC);
    # read at New York's start of that day (04:00 UTC) it fell after it, so the MQL was unworked
    crm = CRM(
        contacts=_contacts({"c1": "2026-03-10 15:00"}, created=None),
        activities=_activities([("c1", "2026-03-11")]),
    )
    lead = sla.mql_leads(crm, SLA(timezone=NEW_YORK)).iloc[0]
    assert lead["worked"] and lead["first_activity_at"] == pd.Timestamp(
        "2026-03-11 04:00", tz="UTC"
    )


def test_a_task_dated_after_the_month_is_not_its_work_east_of_utc():
    # dated 1 November: Tokyo's day starts on 31 October 15:00 UTC, inside October's cut
    crm = CRM(
        contacts=_contacts({"c1": "2026-10-31 02:00"}),
        activities=_activities([("c1", "2026-11-01"), ("c1", "2026-11-02 12:00")]),
    )
    lead = sla.mql_leads(crm, SLA(timezone=TOKYO), as_of="2026-11-01").iloc[0]
    assert not lead["worked"] and pd.isna(lead["first_activity_at"])
