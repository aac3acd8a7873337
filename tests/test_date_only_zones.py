"""A calendar date (a value written without a time of day) stays in its own day and month
whatever the time zone of the load: it is placed at 00:00 UTC of that date, as in a load in
UTC. Values with a time of day are wall time in `timezone=`.

Before, with `timezone="Europe/Berlin"`, a Salesforce CloseDate `2026-11-01` was read as
Berlin midnight, 2026-10-31 23:00 UTC, and the deal's won revenue counted in October (report
months are UTC): the sample's Berlin report had March won revenue 154,477 instead of 147,057.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import smk
from smk.io import files, parse
from smk.io.canonical import write_canonical
from smk.io.parse import DateOptions, parse_datetimes

FIXTURES = Path(__file__).parent / "fixtures"
ZONES = ["Europe/Berlin", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago"]


def S(*values: str | None) -> pd.Series:
    return pd.Series(list(values), dtype="string")


def utc(value: str) -> pd.Timestamp:
    return pd.Timestamp(value, tz="UTC")


def _large(values: list[str]) -> pd.Series:
    """`values` repeated into a column large enough for the fast paths (`parse._LARGE`)."""
    reps = -(-parse._LARGE // len(values))
    return pd.Series(values * reps, dtype="string")


# ---------------------------------------------------------------- the parser
DATES = [  # (text, options beyond the zone): every one is 1 November 2026
    ("2026-11-01", {}),
    ("20261101", {}),  # ISO 8601 basic format
    ("2026/11/01", {}),
    ("11/01/2026", {"dayfirst": False}),
    ("01/11/2026", {"dayfirst": True}),
    ("01.11.2026", {}),
    ("01.11.26", {}),
    ("Nov 1, 2026", {}),
    ("1 November 2026", {}),
    ("01-Nov-2026", {}),
    ("46327", {}),  # an Excel serial day number, whole: a date
    ("46327.0", {}),
]


@pytest.mark.parametrize("timezone", ZONES)
@pytest.mark.parametrize(("text", "options"), DATES)
def test_a_calendar_date_is_midnight_utc_of_its_day_in_any_zone(text, options, timezone):
    values, bad, _ = parse_datetimes(S(text), DateOptions(timezone, **options))
    assert values.iloc[0] == utc("2026-11-01") and not bad.any()


@pytest.mark.parametrize("timezone", ZONES)
def test_values_with_a_time_of_day_keep_the_zone(timezone):
    times = S("2026-11-01 00:00", "2026-11-01T10", "11/01/2026 10:00 AM", "46327.5")
    values, bad, _ = parse_datetimes(times, DateOptions(timezone, dayfirst=False))
    local = ["2026-11-01 00:00", "2026-11-01 10:00", "2026-11-01 10:00", "2026-11-01 12:00"]
    want = [pd.Timestamp(t).tz_localize(timezone).tz_convert("UTC") for t in local]
    assert values.tolist() == want and not bad.any()


def test_zoned_values_and_epochs_are_instants_next_to_dates():
    values, bad, _ = parse_datetimes(
        S("2026-11-01", "2026-11-01T10:00:00Z", "1793491200", "2026-11-01 10:00 GMT-08:00"),
        DateOptions("Asia/Tokyo"),
    )
    assert values.tolist() == [
        utc("2026-11-01"),
        utc("2026-11-01 10:00"),
        utc("2026-11-01"),
        utc("2026-11-01 18:00"),
    ]
    assert not bad.any()


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "America/New_York"])
def test_a_column_mixing_dates_and_times_reads_each_value_by_its_form(timezone):
    column = S("2026-11-01", "2026-11-01 09:30", "", "11/02/2026", "11/02/2026 9:30 AM")
    values, bad, warnings = parse_datetimes(column, DateOptions(timezone, dayfirst=False))

    def local(t):
        return pd.Timestamp(t).tz_localize(timezone).tz_convert("UTC")

    assert values.iloc[[0, 1, 3, 4]].tolist() == [
        utc("2026-11-01"),
        local("2026-11-01 09:30"),
        utc("2026-11-02"),
        local("2026-11-02 09:30"),
    ]
    assert pd.isna(values.iloc[2]) and not bad.any() and warnings == []


def test_an_ambiguous_date_column_read_by_the_other_columns_is_still_a_date():
    hint = parse.OrderHint((("created_at", "dmy"),), "in the same file")
    values, _, warnings = parse_datetimes(S("03/04/2026"), DateOptions("Europe/Berlin"), hint)
    assert values.iloc[0] == utc("2026-04-03") and "day-first" in warnings[0]
    values, _, warnings = parse_datetimes(S("03/04/2026"), DateOptions("Europe/Berlin"))
    assert values.iloc[0] == utc("2026-03-04") and "month-first" in warnings[0]


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "America/New_York"])
def test_large_and_categorical_columns_read_dates_as_small_ones(timezone):
    """The Arrow fast path (a large ISO column) and the per-distinct-value paths tell dates
    from times as the general parser does, in a column that mixes them."""
    options = DateOptions(timezone)
    small = S("2026-11-01", "2026-11-01 09:30", "", "2026-03-29", "2026-03-29 02:30")
    want, want_bad, _ = parse._parse_datetimes(small, options)
    big = _large(list(small))
    assert parse._iso_by_arrow(big, timezone) is not None  # the fast path is taken
    for column in (big, big.astype("category")):
        got, bad, _ = parse_datetimes(column, options)
        n = len(small)
        assert got.iloc[:n].tolist() == want.tolist()
        assert got.iloc[-n:].tolist() == want.tolist()
        assert bad.iloc[:n].tolist() == want_bad.tolist()
    assert want.iloc[0] == utc("2026-11-01") and want.iloc[3] == utc("2026-03-29")


@given(
    st.lists(
        st.sampled_from(["2026-11-01", "2026-10-25", "2026-10-25 02:30", "2026-11-01 23:59"]),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from(ZONES),
)
def test_a_date_reads_the_same_whatever_its_neighbours(values, timezone):
    options = DateOptions(timezone)
    together, _, _ = parse_datetimes(_large(values), options)
    for i, value in enumerate(values):
        alone, _, _ = parse_datetimes(S(value), options)
        assert together.iloc[i] == alone.iloc[0], value
        if len(value) == 10:
            assert alone.iloc[0] == utc(value)


def test_a_reader_keeps_a_naive_column_with_dates_as_text():
    """A CSV reader's Arrow cast (`iso_target`) would make `2026-11-01` a timestamp, which no
    longer shows it has no time of day: such a column is left to `parse_datetimes`."""
    for column in (["2026-11-01", "2026-11-02"], ["2026-11-01 10:00", "2026-11-02"]):
        assert parse.iso_target(pa_text(column))[1] is None
    assert parse.iso_target(pa_text(["2026-11-01 10:00", ""]))[1] == parse._ISO_TARGETS[0]
    assert parse.iso_target(pa_text(["2026-11-01T10:00Z"]))[1] == parse._ISO_TARGETS[1]


def pa_text(values: list[str]):
    return parse.arrow_text(pd.Series(values, dtype="string"))


def test_on_day_of_tells_a_date_on_a_moments_local_day():
    dates = pd.Series([utc("2026-11-01")] * 4 + [utc("2026-11-02"), pd.NaT])
    stamps = pd.Series(
        [
            utc("2026-11-01 15:00"),  # 10:00 in New York, 1 November
            utc("2026-11-02 03:00"),  # 22:00 in New York, 1 November
            utc("2026-10-31 15:00"),  # the day before
            utc("2026-11-02 15:00"),  # the day after
            utc("2026-11-02 03:00"),  # 22:00 on 1 November: the date is the next day, yet before
            utc("2026-11-01 15:00"),
        ]
    )
    ny = parse.on_day_of(dates, stamps, "America/New_York")
    assert ny.tolist() == [True, True, False, False, True, False]
    assert parse.on_day_of(dates, stamps, "UTC").tolist() == [
        True,
        False,
        False,
        False,
        True,
        False,
    ]


# ---------------------------------------------------------------- the loaders
def _hubspot_with_close_dates(tmp_path: Path) -> Path:
    """The HubSpot UI fixture with its `Close Date` written without times."""
    out = tmp_path / "hubspot"
    out.mkdir()
    for f in (FIXTURES / "hubspot" / "ui").iterdir():
        frame = pd.read_csv(f, dtype=str, keep_default_na=False)
        if "Close Date" in frame:
            frame["Close Date"] = frame["Close Date"].str.slice(0, 10)
        frame.to_csv(out / f.name, index=False)
    return out


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "America/New_York"])
def test_hubspot_close_dates_stay_in_their_day(tmp_path, timezone):
    crm = smk.load(_hubspot_with_close_dates(tmp_path), timezone=timezone)
    deals = crm.deals.set_index("deal_id")
    assert deals.loc["6877153472", "closed_at"] == utc("2026-04-04")
    assert deals.loc["6877153475", "closed_at"] == utc("2026-06-30")
    # `Create Date` has times: wall time in the zone
    want = pd.Timestamp("2026-02-18 16:31").tz_localize(timezone).tz_convert("UTC")
    assert deals.loc["6877153472", "created_at"] == want


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "America/New_York"])
def test_canonical_csv_dates_stay_in_their_day(tmp_path, timezone):
    write_canonical(smk.load(FIXTURES / "hubspot" / "ui"), tmp_path)
    deals = pd.read_csv(tmp_path / "deals.csv", dtype=str, keep_default_na=False)
    deals["closed_at"] = deals["closed_at"].str.slice(0, 10)  # `2026-04-04`
    deals.to_csv(tmp_path / "deals.csv", index=False)
    crm = smk.load(tmp_path, format="canonical", timezone=timezone)
    closed = crm.deals.set_index("deal_id")["closed_at"]
    assert closed["6877153472"] == utc("2026-04-04")
    assert (closed.dropna() == closed.dropna().dt.normalize()).all()


ZOHO_DEALS = """\
name: zoho deals
timezone: Europe/Berlin
tables:
  deals:
    files: ["Deals_*.csv"]
    columns:
      deal_id: ["Record Id"]
      stage: ["Stage"]
      created_at: ["Created Time"]
      closed_at: ["Closing Date"]
      amount: ["Amount"]
      currency: ["Currency"]
    derive:
      is_won: {from: stage, pattern: "closed\\\\W*won"}
      is_closed: {from: stage, pattern: "^closed"}
"""


def test_a_mapping_files_zone_leaves_its_dates_in_their_day(tmp_path):
    mapping = tmp_path / "zoho.yaml"
    mapping.write_text(ZOHO_DEALS, encoding="utf-8")
    crm = smk.load(FIXTURES / "zoho" / "Deals_001.csv", mapping=mapping)
    deals = crm.deals.set_index("deal_id")
    first = "zcrm_404427000000500001"
    assert deals.loc[first, "closed_at"] == utc("2022-12-15")  # `Closing Date` 2022-12-15
    assert deals.loc[first, "created_at"] == utc("2022-10-14 08:00")  # 10:00 in Berlin (CEST)


SF_ACCOUNT = "Id,Name,CreatedDate\n0015g00000AAAAAAAA,Acme GmbH,2026-09-01T08:00:00.000+0000\n"
SF_CONTACT = (
    "Id,AccountId,LastName,Email,LeadSource,OwnerId,CreatedDate\n"
    "0035g00000CCCCCAAA,0015g00000AAAAAAAA,Doe,jd@acme.test,Web,0055g00000UUUUUAAA,"
    "2026-09-02T08:00:00.000+0000\n"
)
SF_OPPS = (
    "Id,AccountId,ContactId,Name,StageName,Amount,CloseDate,IsClosed,IsWon,CurrencyIsoCode,"
    "OwnerId,CreatedDate\n"
    "0065g00000OOOO1AAA,0015g00000AAAAAAAA,0035g00000CCCCCAAA,Acme - deal 1,Closed Won,10000,"
    "{close},1,1,EUR,0055g00000UUUUUAAA,{created}\n"
)


def _salesforce(tmp_path: Path, close: str, created: str) -> Path:
    (tmp_path / "Account.csv").write_text(SF_ACCOUNT, encoding="utf-8")
    (tmp_path / "Contact.csv").write_text(SF_CONTACT, encoding="utf-8")
    opps = SF_OPPS.format(close=close, created=created)
    (tmp_path / "Opportunity.csv").write_text(opps, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("timezone", [None, "Europe/Berlin", "America/New_York"])
def test_salesforce_close_date_counts_in_its_own_month(tmp_path, timezone):
    # the tester's reproduction: won 1 November, counted in October in a Berlin load
    export = _salesforce(tmp_path, "2026-11-01", "2026-10-05T08:00:00.000+0000")
    crm = smk.load(export, timezone=timezone)
    assert crm.deals["closed_at"].tolist() == [utc("2026-11-01")]
    months = smk.sla.pipeline_by_month(smk.sla.deal_table(crm)).set_index("month")
    assert months.loc["2026-11", "won_revenue"] == 10_000
    assert months.loc["2026-10", "won_revenue"] == 0


@pytest.mark.parametrize(
    ("timezone", "created"),
    [
        ("America/New_York", "2026-11-01T15:00:00.000+0000"),  # 10:00 on 1 November there
        ("America/New_York", "2026-11-02T03:00:00.000+0000"),  # 22:00 on 1 November there
        ("America/New_York", "2026-11-01T02:00:00.000+0000"),  # 22:00 on 31 October there
        ("Europe/Berlin", "2026-10-31T23:30:00.000+0000"),  # 00:30 on 1 November there
        ("Europe/Berlin", "2026-11-01T09:00:00.000+0000"),
        (None, "2026-11-01T09:00:00.000+0000"),
    ],
)
def test_salesforce_deal_closed_on_its_creation_day_is_kept(tmp_path, timezone, created):
    """A CloseDate on the opportunity's creation day (in the load's zone), or the day after
    while that is before the creation moment, cannot be ordered by a time: the deal is kept,
    closed at its creation moment or at the date's 00:00 UTC, whichever is later. (Set aside
    as closed before created in New York while Salesforce compared a date at 00:00 UTC by its
    New York day, the day before.)"""
    export = _salesforce(tmp_path, "2026-11-01", created)
    crm = smk.load(export, timezone=timezone)
    assert crm.quality.tables["deals"].loaded == 1, crm.quality.tables["deals"].set_aside
    deal = crm.deals.iloc[0]
    assert deal["created_at"] == pd.Timestamp(created).tz_convert("UTC")
    assert deal["closed_at"] == max(deal["created_at"], utc("2026-11-01"))


def test_files_reader_leaves_a_date_column_as_text(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text("closed_at,created_at\n2026-11-01,2026-11-01 10:00\n", encoding="utf-8")
    frame = files.read_any(path, timestamps={"closed_at", "created_at"})
    assert not pd.api.types.is_datetime64_any_dtype(frame["closed_at"])
    assert pd.api.types.is_datetime64_any_dtype(frame["created_at"])


def test_workbook_date_cells_of_a_whole_day_stay_in_their_day(tmp_path):
    """An Excel date cell (a date format, a whole serial number, as `46327` written in a CSV)
    is a calendar date; a cell with a time of day is wall time in the zone (also at 00:00 when
    its format shows a time: `test_an_xlsx_date_time_cell_at_midnight_keeps_its_time`)."""
    for f in (FIXTURES / "hubspot" / "ui").iterdir():
        frame = pd.read_csv(f, dtype=str, keep_default_na=False)
        if "Close Date" not in frame:
            frame.to_csv(tmp_path / f.name, index=False)
            continue
        for col in ("Close Date", "Create Date"):  # date cells, not text
            frame[col] = pd.to_datetime(frame[col].replace("", None))
        frame["Close Date"] = frame["Close Date"].dt.date  # a date cell (`yyyy-mm-dd`)
        frame.to_excel(tmp_path / f.name.replace(".csv", ".xlsx"), index=False)
    deals = smk.load(tmp_path, timezone="Europe/Berlin").deals.set_index("deal_id")
    assert deals.loc["6877153472", "closed_at"] == utc("2026-04-04")
    assert deals.loc["6877153472", "created_at"] == utc("2026-02-18 15:31")  # 16:31 in Berlin


@pytest.mark.parametrize("timezone", ["UTC", "America/Los_Angeles", "Europe/Berlin"])
def test_a_deal_closed_on_its_creation_day_is_kept_in_any_format(tmp_path, timezone):
    """A close date without a time on the deal's creation day (in Los Angeles: a deal created
    after 16:00 and closed the next local day falls on the next UTC day) was set aside as
    `closed_at before created_at` in canonical, HubSpot and mapping-file exports."""
    (tmp_path / "contacts.csv").write_text("contact_id,created_at\nc1,2026-01-05\n")
    (tmp_path / "deals.csv").write_text(
        "deal_id,created_at,closed_at,is_closed,is_won,amount\n"
        "evening,2026-02-27 17:30:00,2026-02-28,true,true,50000\n"
        "same,2026-02-27 09:00:00,2026-02-27,true,true,7\n"
        "later,2026-02-10 09:00:00,2026-02-28,true,true,1000\n"
        # the day before, at noon: the day before nowhere (in UTC, 09:00 would be the evening
        # before west of UTC: tests/test_salesforce_deal_stages.py)
        "before,2026-02-27 12:00:00,2026-02-26,true,true,9\n"
    )
    crm = smk.load(tmp_path, format="canonical", timezone=timezone)
    deals = crm.deals.set_index("deal_id")
    assert sorted(deals.index) == ["evening", "later", "same"]
    assert crm.quality.set_aside("deals")["deal_id"].tolist() == ["before"]
    assert deals.loc["later", "closed_at"] == utc("2026-02-28")  # its date, untouched
    assert deals.loc["same", "closed_at"] == deals.loc["same", "created_at"]
    assert (deals["closed_at"] >= deals["created_at"]).all()
    assert (deals["closed_at"].dt.strftime("%Y-%m") == "2026-02").all()


def test_an_xlsx_date_time_cell_at_midnight_keeps_its_time(tmp_path):
    """A cell formatted `yyyy-mm-dd hh:mm:ss` holding 00:00 was read as a calendar date (00:00
    UTC in any zone), unlike the same export as CSV and the 00:30 cell beside it."""
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["contact_id", "created_at", "became_mql_at"])
    rows = [
        ("c1", datetime.datetime(2026, 11, 1, 0, 0), "yyyy-mm-dd hh:mm:ss"),
        ("c2", datetime.datetime(2026, 11, 1, 0, 30), "yyyy-mm-dd hh:mm:ss"),
        ("c3", datetime.datetime(2026, 11, 1, 0, 0), "yyyy-mm-dd"),  # a date
    ]
    for i, (cid, moment, fmt) in enumerate(rows, start=2):
        sheet.append([cid, moment, moment])
        for col in ("B", "C"):
            sheet[f"{col}{i}"].number_format = fmt
    book.save(tmp_path / "contacts.xlsx")
    crm = smk.load(tmp_path, format="canonical", timezone="Europe/Berlin")
    created = crm.contacts.set_index("contact_id")["created_at"]
    assert created["c1"] == utc("2026-10-31 23:00")
    assert created["c2"] == utc("2026-10-31 23:30")
    assert created["c3"] == utc("2026-11-01")
