"""Report months and notebook outputs (metrics JSON, spreadsheet-safe CSV)."""

import csv
import io
import json
import re

import numpy as np
import pandas as pd
import pytest

from smk.model import CRM, empty_table
from smk.outputs import (
    FORMULA_PREFIXES,
    PLAIN_NUMBER,
    export_csv,
    neutralise_formulas,
    read_metrics,
    write_metrics,
)
from smk.periods import data_span, latest_full_month, parse_month, resolve_month, stray_dates


def _crm_spanning(first: str, last: str) -> CRM:
    contacts = empty_table("contacts")
    contacts = pd.concat(
        [
            contacts,
            pd.DataFrame(
                {
                    "contact_id": ["a", "b"],
                    "created_at": pd.to_datetime([first, last], utc=True, format="ISO8601"),
                }
            ),
        ]
    )
    return CRM(contacts=contacts, source="test")


def test_month_bounds_are_utc_and_end_exclusive():
    m = parse_month("2026-02")
    assert m.start == pd.Timestamp("2026-02-01", tz="UTC")
    assert m.end == pd.Timestamp("2026-03-01", tz="UTC")
    assert str(m.previous) == "2026-01" and str(m.year_ago) == "2025-02"
    times = pd.Series(
        pd.to_datetime(["2026-01-31 23:59", "2026-02-01 00:00", "2026-03-01 00:00"], utc=True)
    )
    assert m.contains(times).tolist() == [False, True, False]


@pytest.mark.parametrize("bad", ["2026-13", "26-01", "2026/01", "", "latest-ish", "2026-1"])
def test_parse_month_rejects_other_forms(bad):
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(bad)


def test_latest_full_month_skips_a_partial_last_month():
    assert str(latest_full_month(_crm_spanning("2025-11-02", "2026-11-03 10:00"))) == "2026-10"
    assert str(latest_full_month(_crm_spanning("2025-11-02", "2026-10-31 18:00"))) == "2026-10"


def test_a_quiet_weekend_at_the_end_of_a_month_still_completes_it():
    # October 2026 ends on a Saturday: a B2B export whose last record is Friday the 30th
    # covers it; the cron job republished September before
    assert str(latest_full_month(_crm_spanning("2026-05-04", "2026-10-30 17:00"))) == "2026-10"
    # Thursday the 29th: Friday is missing
    assert str(latest_full_month(_crm_spanning("2026-05-04", "2026-10-29 17:00"))) == "2026-09"


def test_latest_of_an_export_without_a_full_month_is_a_clear_error():
    # `--month latest` on 1-20 November gave October, refused only inside a notebook (exit 3)
    crm = _crm_spanning("2026-11-01", "2026-11-20 12:00")
    with pytest.raises(ValueError, match="covers no full month yet .* e.g. 2026-11"):
        resolve_month(crm, "latest")
    assert str(resolve_month(crm, "2026-11")) == "2026-11"
    # 9 September to 15 October: September is not full either (it named September)
    with pytest.raises(ValueError, match="covers no full month yet"):
        resolve_month(_crm_spanning("2026-09-09", "2026-10-15 12:00"), "latest")
    # from Saturday 1 August: the weekend before the first record is no gap
    assert (
        str(resolve_month(_crm_spanning("2026-08-03 09:00", "2026-09-15"), "latest")) == "2026-08"
    )


def test_meetings_booked_ahead_do_not_move_the_end_of_the_data():
    # 60 meetings booked for November and December made `latest` 2026-11, a month the
    # export does not cover
    created = pd.date_range("2026-05-01", "2026-10-31 23:00", periods=2000, tz="UTC")
    booked = [f"{d:%Y-%m-%d %H:%M}" for d in pd.date_range("2026-11-02", "2026-12-14", periods=60)]
    crm = _crm_with(created, ["2026-10-15 10:00", *booked])
    crm.activities["type"] = ["call"] + ["meeting"] * 60
    assert data_span(crm)[1] == created[-1]
    assert str(resolve_month(crm, "latest")) == "2026-10"
    assert stray_dates(crm) == {}  # booked, not mistyped
    crm.activities["type"] = ["call"] + ["call"] * 60  # calls are logged after the fact
    assert data_span(crm)[1] == pd.Timestamp("2026-12-14", tz="UTC")
    only_meetings = _crm_with(pd.DatetimeIndex([], tz="UTC"), ["2026-10-15 10:00"])
    only_meetings.activities["type"] = ["meeting"]
    assert data_span(only_meetings)[1] == pd.Timestamp("2026-10-15 10:00", tz="UTC")


def test_resolve_month_refuses_months_outside_the_data():
    crm = _crm_spanning("2025-11-02", "2026-10-31")
    assert str(resolve_month(crm, "latest")) == "2026-10"
    assert str(resolve_month(crm, "2026-01")) == "2026-01"
    with pytest.raises(ValueError, match="outside the data"):
        resolve_month(crm, "2027-01")


def test_metrics_json_handles_numpy_nan_and_timestamps(tmp_path):
    path = write_metrics(
        tmp_path,
        "funnel",
        {"mqls": np.int64(3), "rate": float("nan"), "at": pd.Timestamp("2026-01-01", tz="UTC")},
    )
    assert path.name == "metrics-funnel.json"
    data = json.loads(path.read_text())
    assert data == {"at": "2026-01-01T00:00:00+00:00", "mqls": 3, "rate": None}
    assert read_metrics(tmp_path) == {"funnel": data}


def test_csv_export_neutralises_formulas_but_not_numbers(tmp_path):
    frame = pd.DataFrame(
        {
            "company": ['=HYPERLINK("http://x")', "+1 call", "@SUM(A1)", "-2+3", "Acme"],
            "amount": [-5.0, 1, 2, 3, 4],
        }
    )
    safe = neutralise_formulas(frame)
    assert safe["company"].tolist() == [
        '\'=HYPERLINK("http://x")',
        "'+1 call",
        "'@SUM(A1)",
        "'-2+3",
        "Acme",
    ]
    assert safe["amount"].tolist() == [-5.0, 1, 2, 3, 4]
    text = export_csv(frame, tmp_path, "x.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "\n'+1 call" in text
    assert not any(line.startswith(("=", "+", "@", "-")) for line in text.splitlines())


def test_csv_export_is_safe_in_a_spreadsheet_that_splits_on_semicolons(tmp_path):
    """Excel in German, French, Dutch, Italian or Spanish settings splits a CSV on `;`, quoted
    or not (a quote in mid-line is no text qualifier): `spring;=cmd|' /C calc'!A0;` was written
    as it is and gave a cell `=cmd|' /C calc'!A0` there. A piece after a `;`, tab or line break
    that starts like a formula gets its `'` as a cell start does; numbers and other text stay."""
    frame = pd.DataFrame(
        {
            "campaign": ["spring;=cmd|' /C calc'!A0;", "CEO;-2+3;", "a\t@SUM(1)", "x,y;+1"]
            + ['q;"=1+1', "l1\n=1+1", "=1;-2", "referrals (+8.7 pts); CEO (-1 pts)"],
            "deals": [12, -3, 0, 5, 1, 2, 3, 4],
            "amount": [230225.2, -5.5, 0.0, 1.25, 2.0, 3.0, 4.0, 5.0],
        }
    )
    safe = neutralise_formulas(frame)
    assert safe["campaign"].tolist() == [
        "spring;'=cmd|' /C calc'!A0;",
        "CEO;'-2+3;",
        "a\t'@SUM(1)",
        "x,y;'+1",
        "q;'\"=1+1",
        "l1\n'=1+1",
        "'=1;'-2",
        "referrals (+8.7 pts); CEO (-1 pts)",  # no formula after "; ": as it was
    ]
    path = export_csv(frame, tmp_path, "mix.csv")
    text = path.read_text(encoding="utf-8-sig")
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=";"):
        for cell in row:
            assert not cell.startswith(FORMULA_PREFIXES) or re.fullmatch(PLAIN_NUMBER, cell), cell
    back = pd.read_csv(path, keep_default_na=False)
    pd.testing.assert_frame_equal(back, safe, check_dtype=False)  # read back as written
    assert "\nspring;'=cmd|' /C calc'!A0;,12,230225.2\n" in text  # no quotes added


def test_a_signed_number_written_as_text_stays_as_written():
    """A set-aside row keeps the text it was exported with: `-11510` is a number to a
    spreadsheet, not a formula; text that only starts like one is still neutralised."""
    frame = pd.DataFrame(
        {
            "amount": ["-11510", "-1.234,50", "+42", "-50750.0", "-1-1", "-5 EUR", "+49 30 1234"]
            + ["+4915112345678", "-0012", "-0.5"]
        },
        dtype="string",
    )
    assert neutralise_formulas(frame)["amount"].tolist() == [
        "-11510",
        "-1.234,50",
        "'+42",
        "-50750.0",
        "'-1-1",
        "'-5 EUR",
        "'+49 30 1234",
        "'+4915112345678",  # a phone number: without `'` a spreadsheet shows 4.91512E+12
        "'-0012",  # leading zeros a spreadsheet would drop
        "-0.5",
    ]


def test_kpi_values_are_formatted_by_their_declared_format():
    from smk.outputs import format_kpi

    assert format_kpi(0.2531, "pct") == "25.3%"
    assert format_kpi(1234567.8, "money", "EUR") == "1,234,568 EUR"
    assert format_kpi(5.25, "hours") == "5.2 h"
    assert format_kpi(212, "int") == "212"
    assert format_kpi(0.71234, "float") == "0.712"
    assert format_kpi("email", "text") == "email"
    assert format_kpi(None, "pct") == "n/a" and format_kpi(float("nan"), "int", missing="-") == "-"


def _crm_with(created: pd.DatetimeIndex, activity_at: list[str]) -> CRM:
    contacts = pd.concat(
        [
            empty_table("contacts"),
            pd.DataFrame(
                {"contact_id": [f"c{i}" for i in range(len(created))], "created_at": created}
            ),
        ]
    )
    activities = pd.concat(
        [
            empty_table("activities"),
            pd.DataFrame(
                {
                    "activity_id": [f"a{i}" for i in range(len(activity_at))],
                    "occurred_at": pd.to_datetime(activity_at, utc=True),
                }
            ),
        ]
    )
    return CRM(contacts=contacts, activities=activities, source="test")


def test_a_stray_date_does_not_move_latest_or_the_span():
    created = pd.date_range("2025-11-01", "2026-10-31 23:00", periods=3000, tz="UTC")
    crm = _crm_with(created, ["2026-06-01 10:00", "2036-10-12 10:00", "1970-01-01 00:00"])
    assert str(resolve_month(crm, "latest")) == "2026-10"  # not 2036-09
    for outside in ("2036-09", "2031-01", "1970-01"):
        with pytest.raises(ValueError, match="outside the data"):
            resolve_month(crm, outside)
    assert data_span(crm) == (created[0], created[-1])
    assert stray_dates(crm) == {"activities": 2}
    from smk.quality import freshness  # the data-quality page counts them

    fresh = freshness(crm, parse_month("2026-10")).set_index("table")
    assert fresh["stray dates"].to_dict() == {
        "contacts": 0,
        "accounts": 0,
        "deals": 0,
        "touchpoints": 0,
        "activities": 2,
    }
    # the stray 2036 call does not make the activities look current: their newest is June
    assert fresh.loc["activities", "newest record"] == pd.Timestamp("2026-06-01 10:00", tz="UTC")
    assert fresh.loc["activities", "days from newest record to month end"] > 150
    accounts = pd.concat([empty_table("accounts"), pd.DataFrame({"account_id": ["a"]})])
    undated = CRM(accounts=accounts, source="accounts only")  # nothing dates the activity
    assert freshness(undated, parse_month("2026-10"))["stray dates"].sum() == 0  # no error


def test_a_future_account_date_is_stray_an_old_one_is_not():
    from smk.quality import freshness

    created = pd.date_range("2025-11-01", "2026-10-31 23:00", periods=3000, tz="UTC")
    crm = _crm_with(created, ["2026-06-01 10:00"])
    accounts = pd.DataFrame(
        {
            "account_id": ["old", "recent", "export day", "typo"],
            "created_at": pd.to_datetime(
                ["2019-03-01", "2026-10-20", "2026-11-02", "2036-03-01"], utc=True
            ),
        }
    )
    crm = CRM(
        contacts=crm.contacts,
        activities=crm.activities,
        accounts=pd.concat([empty_table("accounts"), accounts]),
        source="test",
    )
    assert stray_dates(crm) == {"accounts": 1}
    fresh = freshness(crm, parse_month("2026-10")).set_index("table")
    # the export-day account is no stray, but lies after the month: October's newest is 20 Oct
    assert fresh.loc["accounts", "newest record"] == pd.Timestamp("2026-10-20", tz="UTC")
    assert fresh.loc["accounts", "stray dates"] == 1


def test_two_typos_in_a_small_export_are_both_stray():
    # 1,201 records: two mistyped 2036 calls, two months apart, exceed one in a thousand
    created = pd.date_range("2026-09-01", "2026-10-31 23:00", periods=1199, tz="UTC")
    crm = _crm_with(created, ["2036-01-10 10:00", "2036-03-10 10:00"])
    assert data_span(crm)[1] == created[-1] and stray_dates(crm) == {"activities": 2}
    assert str(resolve_month(crm, "latest")) == "2026-10"  # was 2035-12, an empty month


def test_a_late_stretch_of_real_records_is_not_stray():
    created = pd.date_range("2025-11-01", "2026-10-31 23:00", periods=3000, tz="UTC")
    december = [f"2026-12-{d:02d} 10:00" for d in range(1, 6)]  # more than one in a thousand
    crm = _crm_with(created, december)
    assert data_span(crm)[1] == pd.Timestamp("2026-12-05 10:00", tz="UTC")
    assert stray_dates(crm) == {}
    tiny = _crm_with(created[:900], ["2036-10-12 10:00"])  # too few records to tell
    assert data_span(tiny)[1] == pd.Timestamp("2036-10-12 10:00", tz="UTC")


def test_the_set_aside_listing_says_how_many_more_rows_there_are():
    import smk
    from smk import config, quality

    crm = smk.load(config.SAMPLE_HUBSPOT)
    rows = quality.all_set_aside_rows(crm)
    assert len(rows) == sum(acc.n_set_aside for acc in crm.quality.tables.values())
    assert rows["table"].iloc[0] == "contacts" and "email" not in rows.columns
    text = quality.set_aside_listing(crm, limit=2, export="all.csv")
    deals = crm.quality.tables["deals"].n_set_aside
    assert f"... and {deals - 2} more: all of them in all.csv" in text
    assert "more" not in quality.set_aside_listing(crm, limit=1000)


def test_notebooks_show_warnings_as_plain_lines(capsys, monkeypatch):
    import warnings

    from smk import config, notebooks

    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # restored after
    original = warnings.showwarning
    notebooks.open_crm(str(config.SAMPLE_HUBSPOT))  # not in a kernel: left as it is
    assert warnings.showwarning is original
    monkeypatch.setattr(notebooks, "_in_kernel", lambda: True)
    notebooks.open_crm(str(config.SAMPLE_HUBSPOT))
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("1 of 200 bootstrap resamples had no channel", UserWarning, stacklevel=1)
    err = capsys.readouterr().err
    assert err == "warning: 1 of 200 bootstrap resamples had no channel\n"


def test_freshness_of_a_past_month_looks_at_the_records_it_held():
    from smk.quality import freshness

    created = pd.date_range("2025-11-01", "2026-10-31 23:00", periods=3000, tz="UTC")
    crm = _crm_with(created, ["2026-06-01 10:00"])
    fresh = freshness(crm, parse_month("2025-12")).set_index("table")
    assert fresh.loc["contacts", "newest record"] < pd.Timestamp("2026-01-01", tz="UTC")
    assert 0 <= fresh.loc["contacts", "days from newest record to month end"] < 1


@pytest.fixture(scope="module")
def sample_crm():
    import smk
    from smk import config

    return smk.load(config.SAMPLE_HUBSPOT)


@pytest.mark.parametrize("label", ["2026-10-15", "2026-9", "Oct 2026", "2026-13", ""])
def test_a_month_is_only_ever_a_month(label):
    # `Month("2026-10-15")` started on the 15th at 01:00: pandas read the appended `-01` as
    # a UTC offset, and the funnel counted from there without a word
    from smk.periods import Month, as_month

    with pytest.raises(ValueError, match="YYYY-MM"):
        Month(label)
    with pytest.raises(ValueError, match="YYYY-MM"):
        as_month(label)


def test_month_arguments_take_months_periods_and_text_and_refuse_dates():
    from smk.periods import Month, as_month

    assert as_month(" 2026-10 ") == as_month(pd.Period("2026-10", "M")) == Month("2026-10")
    with pytest.raises(ValueError, match="f'{date:%Y-%m}'"):
        as_month(pd.Timestamp("2026-10-01"))
    with pytest.raises(ValueError, match="resolve_month"):
        as_month("latest")


def test_funnel_sla_and_scoring_read_a_month_argument_the_same_way(sample_crm):
    from smk import funnel, scoring, sla
    from smk.periods import parse_month

    contacts = sample_crm.contacts
    by_text = funnel.funnel_counts(contacts, "2025-12")["contacts"].tolist()
    assert funnel.funnel_counts(contacts, pd.Period("2025-12", "M"))["contacts"].tolist() == by_text
    with pytest.raises(ValueError, match="YYYY-MM"):  # counted 01:00 to 01:00 before
        funnel.funnel_counts(contacts, pd.Timestamp("2025-12-01"))
    leads = sla.mql_leads(sample_crm)
    one = sla.sla_by_month(leads, months="2026-10")  # iterated the text's characters before
    assert one["month"].tolist() == ["2026-10"]
    as_month_object = sla.sla_by_month(leads, months=[parse_month("2026-10")])
    assert as_month_object["mqls"].tolist() == one["mqls"].tolist() and one["mqls"].iloc[0] > 0
    assert sla.month_summary(leads, parse_month("2026-10"))["mqls"] == one["mqls"].iloc[0]
    with pytest.raises(ValueError, match="YYYY-MM"):  # "no MQLs in 2026-10-01 00:00:00" before
        sla.month_summary(leads, pd.Timestamp("2026-10-01"))
    behind = sla.leads_behind(leads, "mqls", parse_month("2026-10"))
    assert len(behind) == one["mqls"].iloc[0]
    table = scoring.lead_features(sample_crm)
    assert len(scoring.leads_scored_in(table, "2026-10")) == len(
        scoring.leads_scored_in(table, parse_month("2026-10"))
    )


def test_the_as_of_warning_spares_a_weekend_after_the_data():
    # an export ending on Friday 30 October 2026 covers October (`latest`): reporting it
    # (as_of 1 November) warned on every page
    import warnings

    from smk.periods import warn_if_after_data

    friday = pd.Timestamp("2026-10-30 23:58", tz="UTC")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_after_data(pd.Timestamp("2026-11-01", tz="UTC"), friday, "judged")
        warn_if_after_data(pd.Timestamp("2026-11-02", tz="UTC"), friday, "judged")  # Monday
    thursday = pd.Timestamp("2026-10-29 23:58", tz="UTC")
    with pytest.warns(UserWarning, match=r"lies 2 days after .* \(2026-10-29 23:58 UTC\): judged"):
        warn_if_after_data(pd.Timestamp("2026-11-01", tz="UTC"), thursday, "judged")


def test_a_month_label_with_a_line_break_is_refused():
    from smk.periods import Month

    with pytest.raises(ValueError, match="YYYY-MM"):
        Month("2026-10\n")


def test_the_data_span_reads_activities_by_position_not_label():
    # activities concatenated without a new index (repeated labels) and one without a date:
    # `data_span` raised "cannot reindex on an axis with duplicate labels"
    created = pd.date_range("2026-05-01", "2026-10-31 23:00", periods=50, tz="UTC")
    crm = _crm_with(created, ["2026-10-15 10:00", "2026-12-01 10:00", "2026-10-20 10:00"])
    crm.activities["type"] = ["call", "meeting", "call"]
    undated = crm.activities.iloc[[0]].assign(
        activity_id="a9", occurred_at=pd.to_datetime([None], utc=True)
    )
    acts = pd.concat([crm.activities, undated])
    crm.activities = acts  # labels 0, 1, 2, 0
    assert data_span(crm)[1] == created[-1]  # the booked meeting does not count
    assert stray_dates(crm) == {}


def test_a_tile_is_printed_as_label_value_and_its_detail_if_any():
    from smk.outputs import kpi_line

    tile = {"label": "Win rate", "value": 0.4545, "format": "pct", "detail": "10 of 22"}
    assert kpi_line(tile) == "Win rate: 45.5% (10 of 22)"
    assert kpi_line({"label": "Lift", "value": 2.0, "format": "float"}) == "Lift: 2.000"


#: cells that start a formula behind invisible characters, which a published file loses
#: (`smk.report.scrub_file`), and as `neutralise_formulas` writes them
BEHIND_INVISIBLE = {
    "\u200b=2+5": "'\u200b=2+5",
    "\ufeff+1+cmd|' /C calc'!A0": "'\ufeff+1+cmd|' /C calc'!A0",
    "Acme;\u200b=cmd|' /C calc'!A0": "Acme;'\u200b=cmd|' /C calc'!A0",
    '\u202eq;"\u2060@SUM(1)': "\u202eq;'\"\u2060@SUM(1)",
    "\u200b-123": "'\u200b-123",  # a plain number only as written
    "Plain\u200bCo; x": "Plain\u200bCo; x",
}


def test_a_formula_behind_invisible_characters_is_neutralised():
    """export_csv left "\u200b=2+5" as it was (it does not start with "="), and smk report's
    scrub, which removes the zero-width space, then published a bare "=2+5"."""
    frame = pd.DataFrame({"company": list(BEHIND_INVISIBLE), "n": range(len(BEHIND_INVISIBLE))})
    assert neutralise_formulas(frame)["company"].tolist() == list(BEHIND_INVISIBLE.values())


def test_one_cell_is_neutralised_as_a_frame_is():
    """`neutralised` is the rule `neutralise_formulas` applies to each text cell, and a cell
    it made safe it leaves as it is."""
    from smk.outputs import neutralised

    cells = [*BEHIND_INVISIBLE, '=HYPERLINK("x")', "spring;=cmd", "-11510", "-0012", "Acme", ""]
    frame = pd.DataFrame({"cell": cells}, dtype="string")
    safe = neutralise_formulas(frame)["cell"].tolist()
    assert [neutralised(cell) for cell in cells] == safe
    assert [neutralised(cell) for cell in safe] == safe
    assert neutralised("=2+5") == "'=2+5" and neutralised("spring;=cmd") == "spring;'=cmd"


def _named_range(crm: CRM, outside: str) -> tuple[str, str]:
    """The months the refusal of `outside` tells to choose from: (first, last)."""
    with pytest.raises(ValueError, match="outside the data") as refused:
        resolve_month(crm, outside)
    named = re.search(r"choose a month from (\d{4}-\d{2}) to (\d{4}-\d{2})", str(refused.value))
    assert named, str(refused.value)
    return named.group(1), named.group(2)


def _sample(name: str) -> CRM:
    import warnings

    import smk
    from smk import config

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return smk.load(getattr(config, name))


@pytest.mark.parametrize(
    "export, outside, named, latest",
    [
        # ends on Tuesday 27 October: 2026-10 is accepted, though not `latest`
        (lambda: _crm_spanning("2026-01-05 10:00", "2026-10-27 10:00"), "2026-11", None, "2026-09"),
        (lambda: _crm_spanning("2026-01-05 10:00", "2026-10-27 10:00"), "2025-12", None, "2026-09"),
        (lambda: _sample("SAMPLE_HUBSPOT"), "2026-11", ("2025-10", "2026-10"), "2026-10"),
        (lambda: _sample("SAMPLE_HUBSPOT"), "2025-09", ("2025-10", "2026-10"), "2026-10"),
    ],
)
def test_a_refused_month_names_exactly_the_months_that_are_accepted(export, outside, named, latest):
    """`--month 2026-11` on an export ending 2026-10-27 was refused with "choose a month from
    2026-01 to 2026-09", while 2026-10 was accepted and published."""
    crm = export()
    first, last = _named_range(crm, outside)
    assert (first, last) == (named or ("2026-01", "2026-10"))
    assert str(resolve_month(crm, "latest")) == latest
    for month in (first, last):  # both ends are accepted ...
        assert str(resolve_month(crm, month)) == month
    before, after = pd.Period(first, "M") - 1, pd.Period(last, "M") + 1
    for month in (str(before), str(after)):  # ... and the months beyond them are not
        assert _named_range(crm, month) == (first, last)
    with pytest.raises(ValueError) as refused:
        resolve_month(crm, outside)
    partial = "2026-10 covered up to 2026-10-27; " if latest != last else ""
    assert str(refused.value).endswith(f"to {last} ({partial}'latest' is {latest})")


def test_an_export_read_in_another_format_is_told_by_its_unread_files():
    """The Salesforce sample read as canonical keeps its spend.csv only: "has no dated
    records" alone blamed an export full of dates (HC); the error names the unread files."""
    from smk import config, load

    crm = load(config.SAMPLE_DIR / "salesforce", format="canonical")
    with pytest.raises(ValueError) as refused:
        resolve_month(crm, "latest")
    text = str(refused.value)
    assert "has no dated records; 8 of its files were not read as a canonical export" in text
    assert "(Account.csv, Campaign.csv, CampaignMember.csv, Contact.csv, Event.csv, ...)" in text
    with pytest.raises(ValueError, match="is that the export's format"):
        data_span(crm)
