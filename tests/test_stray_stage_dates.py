"""A stray stage date (a `became_mql_at` of 1970, a mistyped year) is a stray by the rule of the
other dates (`smk.periods.stray_masks`): it stretches no monthly table back decades, and the
load says so.

Hunter's finding (session 26): one contact's `became_mql_at` set to 1970-01-01 gave the funnel
page's SLA and pipeline tables 685 month rows (1970-01 to 2027-01) and both trend charts a
57-year axis; `smk validate` said nothing and `periods.stray_dates` returned {}.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import smk
from smk import config, periods, sla
from smk.io.canonical import write_canonical

MONTH = periods.Month("2026-10")
RATES = {"EUR": 1.0, "USD": 0.92}


@pytest.fixture(scope="module")
def sample():
    return smk.load(config.SAMPLE_DIR / "hubspot")


def _with_stage_dates(crm, column: str, dates: list[str]):
    """`crm` with the first MQLs' `column` set to `dates` (one contact each)."""
    contacts = crm.contacts.copy()
    rows = contacts.index[contacts["became_mql_at"].notna()][: len(dates)]
    contacts.loc[rows, column] = pd.to_datetime(dates, utc=True)
    return dataclasses.replace(crm, contacts=contacts), contacts.loc[rows, "contact_id"]


def _monthly(crm):
    """The funnel page's monthly SLA and pipeline tables of `MONTH` (notebook 01's calls)."""
    leads = sla.mql_leads(crm, as_of=MONTH.end)
    months = sla.report_months(crm, MONTH, leads)
    deals = sla.deal_table(crm, RATES, "EUR", as_of=MONTH.end)
    return sla.sla_by_month(leads, months=months), sla.pipeline_by_month(deals, months=months)


@pytest.mark.filterwarnings("ignore")
def test_a_1970_mql_date_adds_no_months_to_the_monthly_tables(sample):
    stray, _ = _with_stage_dates(sample, "became_mql_at", ["1970-01-01"])
    by_month, pipeline = _monthly(stray)
    assert by_month["month"].tolist() == _monthly(sample)[0]["month"].tolist()
    assert pipeline["month"].tolist() == by_month["month"].tolist()
    assert by_month["month"].iloc[0] >= f"{periods.data_span(sample)[0]:%Y-%m}"
    assert len(by_month) == 12  # was 682: 1970-01 to 2026-10


def test_stray_stage_dates_are_counted_per_column(sample):
    early, _ = _with_stage_dates(sample, "became_mql_at", ["1970-01-01", "2016-05-03"])
    late, _ = _with_stage_dates(early, "became_customer_at", ["2036-10-01"])
    assert periods.stray_dates(late) == {
        "contacts.became_mql_at": 2,
        "contacts.became_customer_at": 1,
    }
    assert periods.dates_start(late) == periods.data_span(sample)[0]


def test_many_early_stage_dates_are_history_not_strays(sample):
    # a CRM migrated with its contacts' history: more than one in a thousand dates is no typo
    dates = [f"2019-{m:02d}-15" for m in range(1, 13)] * 3
    history, _ = _with_stage_dates(sample, "became_lead_at", dates)
    assert periods.stray_dates(history) == {}
    assert periods.dates_start(history) == pd.Timestamp("2019-01-15", tz="UTC")


def test_the_load_names_the_column_the_count_and_the_earliest(sample, tmp_path):
    stray, ids = _with_stage_dates(sample, "became_mql_at", ["2016-05-03", "1970-01-01"])
    write_canonical(stray, tmp_path / "export")
    loaded = smk.load(tmp_path / "export", format="canonical")
    said = [w for w in loaded.quality.warnings if w.startswith("contacts.became_mql_at:")]
    assert len(said) == 1
    mqls = int(loaded.contacts["became_mql_at"].notna().sum())
    assert said[0].startswith(f"contacts.became_mql_at: 2 of {mqls:,} dates lie more than a month")
    assert "1970-01-01 (contacts.csv row" in said[0]
    assert said[0].index("1970-01-01") < said[0].index("2016-05-03")  # the earliest first
    assert not [w for w in sample.quality.warnings if "stray" in w]  # the sample has none
    kept = loaded.contacts.set_index("contact_id").loc[ids.tolist(), "became_mql_at"]
    assert f"{kept.min():%Y-%m-%d}" == "1970-01-01"  # kept as the export says


@pytest.mark.filterwarnings("ignore")
def test_a_small_export_s_1970_placeholder_is_a_stray_too(sample):
    """An export of fewer than 1,000 records has no strays by count (too few to tell), but a
    date of 1970-01-01 is a blank Unix time, never data: it stretched a small company's
    monthly tables to 681 rows (RV3), its created_at the data's span."""
    contacts = sample.contacts[sample.contacts["became_mql_at"].notna()].head(40).copy()
    small = smk.CRM(contacts=contacts, source="small")
    assert sum(len(s) for s in periods.dated_records(small).values()) < 1000
    first = periods.data_span(small)[0]
    stray, _ = _with_stage_dates(small, "became_mql_at", ["1970-01-01"])
    assert periods.stray_dates(stray) == {"contacts.became_mql_at": 1}
    leads = sla.mql_leads(stray, as_of=MONTH.end)
    assert sla.report_months(stray, MONTH, leads)[0] >= f"{first:%Y-%m}"
    created = contacts.copy()
    created.iloc[0, created.columns.get_loc("created_at")] = pd.Timestamp("1970-01-01", tz="UTC")
    placeholder = smk.CRM(contacts=created, source="small")
    assert periods.data_span(placeholder)[0] >= pd.Timestamp("2000-01-01", tz="UTC")
    assert periods.stray_dates(placeholder) == {"contacts": 1}
