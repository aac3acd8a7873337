"""A month inside the export without any record, and the team's working week.

* A month inside the export with no record in any table (a failed sync, a lost file) was scored
  as a real month: "MQLs 0 · missed · −43 vs previous month", and the next month "+30 vs
  previous month" against it; `smk validate` said nothing. Such a month (`periods.empty_months`)
  now has no figures and no verdicts, is compared with nothing, `latest` skips it, and the load
  warns of it; a quiet month with a record in some table is still a month.
* Month coverage assumed Monday to Friday: a Sunday-to-Thursday team whose export ends on
  Thursday 2026-07-30 had July called partial and `latest` one month back; so had a team with a
  holiday on the month's last working day. Coverage and `latest` now use the SLA's working week.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

import smk
from smk import periods, scorecard, sla
from smk.io.canonical import write_canonical
from smk.model import CRM, TABLES, make_table
from smk.report import check_export, run_report
from smk.synth import synthesize

JULY = periods.as_month("2026-07")
GAP = (
    "the export has no record dated in 2026-07 (no contact, stage change, touch, activity or "
    "deal), while the months before and after have some: likely a gap in the export (a failed "
    "sync, a lost file)"
)
FX = {"EUR": 1.0, "USD": 0.92}
SUN_THU = sla.SLA(weekmask="Sun Mon Tue Wed Thu")


def _dates(frame: pd.DataFrame, table: str) -> list[pd.Series]:
    """The columns that date a record of `table` (`periods._record_stamps`' columns)."""
    names = {"touchpoints": ["occurred_at"], "activities": ["occurred_at"]}
    names |= {"deals": ["created_at", "closed_at"]}
    names["contacts"] = ["created_at"] + [c for c in frame if c.startswith("became_")]
    return [frame[c] for c in names.get(table, [])]


def _without(crm: CRM, start: str, end: str, keep_touches: int = 0) -> CRM:
    """`crm` without the records dated from `start` to `end` (a contact with a stage date
    there too), but the first `keep_touches` touches there of contacts kept."""
    since, until = pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC")
    tables = {}
    for name in TABLES:
        frame = getattr(crm, name)
        inside = np.zeros(len(frame), dtype=bool)
        for dates in _dates(frame, name):
            inside |= ((dates >= since) & (dates < until)).fillna(False).to_numpy(dtype=bool)
        tables[name] = frame[~inside].reset_index(drop=True)
    touches = crm.touchpoints
    kept = touches[touches["contact_id"].isin(tables["contacts"]["contact_id"])]
    kept = kept[(kept["occurred_at"] >= since) & (kept["occurred_at"] < until)]
    tables["touchpoints"] = pd.concat([tables["touchpoints"], kept.head(keep_touches)])
    return CRM(**tables, source=crm.source, format=crm.format)


@pytest.fixture(scope="module")
def whole() -> CRM:
    return synthesize(n_contacts=400, months=9, seed=5, end="2026-10-31").crm


@pytest.fixture(scope="module")
def gap_folder(whole, tmp_path_factory):
    """A canonical export of `whole` without a record in 2026-07."""
    folder = tmp_path_factory.mktemp("gap") / "data"
    write_canonical(_without(whole, "2026-07-01", "2026-08-01"), folder)
    return folder


@pytest.fixture(scope="module")
def gap(gap_folder) -> CRM:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return smk.load(gap_folder)


@pytest.fixture(scope="module")
def quiet(whole) -> CRM:
    """`whole` with a single touch in 2026-07: a quiet month, not a gap."""
    return _without(whole, "2026-07-01", "2026-08-01", keep_touches=1)


# ----------------------------------------------------------------- 1. a month without records
def test_meetings_booked_into_a_lost_month_do_not_hide_it(gap):
    """A meeting booked in June for July is in an export that lost July: the month was still
    a gap, and was scored as a month of zeros (V1)."""
    booked = _with_records(gap, "activities", "occurred_at", ["2026-07-10T14:00:00Z"])
    assert periods.empty_months(booked) == [JULY]


def test_a_month_without_any_record_is_a_gap(gap, quiet, whole):
    assert periods.empty_months(gap) == [JULY]
    assert periods.empty_months(quiet) == []
    assert periods.empty_months(whole) == []
    assert periods.month_coverage(gap, JULY) == GAP
    assert periods.month_coverage(quiet, JULY) is None
    sparse = _without(whole, "2026-03-01", "2026-10-31")  # a few records a month: quiet ones
    sparse = CRM(contacts=sparse.contacts.head(3), source="sparse")
    assert periods.empty_months(sparse) == []


def test_a_stray_placeholder_date_opens_no_gaps(gap, whole):
    """A contact created on 1970-01-01 (a placeholder) is a stray: the months between it and
    the data are no gaps, and the real gap is still found."""
    for crm in (gap, whole):
        contacts = crm.contacts.copy()
        contacts.loc[0, "created_at"] = pd.Timestamp("1970-01-01", tz="UTC")
        placeholder = CRM(**{**crm.tables(), "contacts": contacts}, source="placeholder")
        assert periods.empty_months(placeholder) == periods.empty_months(crm)


def test_the_load_warns_of_the_gap(gap, whole, tmp_path):
    (warned,) = [w for w in gap.quality.warnings if "2026-07" in w]
    assert warned.startswith("the export has no record dated in the month 2026-07 (")
    write_canonical(whole, tmp_path / "whole")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = smk.load(tmp_path / "whole")
    assert not [w for w in loaded.quality.warnings if "no record dated" in w]


def test_a_gap_month_is_neither_judged_nor_compared(gap):
    card = scorecard.kpi_scorecard(gap, JULY, sla.SLA(revenue_target=1.0), FX, "EUR")
    assert card["actual"].isna().all()  # was 0 MQLs, 0 EUR won
    assert not set(card["status"]) & set(scorecard.VERDICTS)  # was "missed"
    assert card["change_vs_previous_month"].isna().all()  # was −43 vs previous month
    assert (card["note"].str.startswith(GAP)).all()
    assert card.attrs[scorecard.MONTH_PARTIAL] == GAP
    assert all(k[scorecard.MONTH_PARTIAL] == GAP for k in scorecard.scorecard_kpis(card))


def test_the_month_after_a_gap_is_not_compared_with_it(gap, quiet):
    card = scorecard.kpi_scorecard(gap, "2026-08", sla.SLA(), FX, "EUR")
    assert card["change_vs_previous_month"].isna().all()  # was +30 vs previous month
    assert card.attrs["not_compared"]["previous_month"] == GAP
    assert set(card["status"]) & set(scorecard.VERDICTS)  # August itself is judged
    tiles = scorecard.scorecard_kpis(card)
    assert all(k["previous_not_compared"] == GAP for k in tiles)
    after_quiet = scorecard.kpi_scorecard(quiet, "2026-08", sla.SLA(), FX, "EUR")
    assert after_quiet["change_vs_previous_month"].notna().any()  # a quiet month compares


def test_latest_skips_a_gap(gap):
    cut = _without(gap, "2026-08-06", "2100-01-01")  # data to Wednesday 2026-08-05
    assert periods.latest_full_month(cut) == JULY
    assert periods.latest_month(cut) == periods.as_month("2026-06")  # was the empty 2026-07


def test_smk_report_warns_of_a_gap_month(gap_folder, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(gap_folder, data)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_report(data, "2026-07", tmp_path / "out", notebooks=["data_quality", "funnel_sla"])
    assert f"smk: warning: 2026-07 is a partial month: {GAP}" in err.getvalue()
    manifest = json.loads((tmp_path / "out" / "2026-07" / "manifest.json").read_text())
    assert manifest["pages"]["data_quality"]["month_partial"] == GAP
    # the funnel page says why it has no figures (its notebook failed on an assertion: NaN
    # MQLs on the scorecard, 0 in the funnel), and publishes no funnel of zeros
    metrics = json.loads((tmp_path / "out" / "2026-07" / "metrics-funnel_sla.json").read_text())
    assert metrics["no_data"] == f"{GAP}: no figures for 2026-07"
    assert not (tmp_path / "out" / "2026-07" / "funnel_month.csv").exists()
    # the next month's monthly tables still hold July's zeros: the page says what they are
    with contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_report(data, "2026-08", tmp_path / "out", notebooks=["funnel_sla"])
    page = (tmp_path / "out" / "2026-08" / "01_funnel_sla.html").read_text()
    note = periods.gaps_note(smk.load(data), ["2026-06", "2026-07"])
    assert note.startswith("the export has no record dated in 2026-07, a gap in the export")
    assert html.escape(note, quote=False) in page
    # so do its CSVs, read without the page: the gap's row of zeros is marked, last
    for name, count in (("sla_by_month.csv", "mqls"), ("pipeline_by_month.csv", "deals_created")):
        table = pd.read_csv(tmp_path / "out" / "2026-08" / name, encoding="utf-8-sig")
        assert table.columns[-1] == "export_gap", name  # was no such column
        gaps = table.loc[table["export_gap"], "month"].tolist()
        assert gaps == ["2026-07"] and table["export_gap"].dtype == bool, name
        assert table.set_index("month").loc["2026-07", count] == 0  # the zeros it marks
    # no contact entered a stage in a gap month: no cohort of it, to mark or to misread
    cohorts = pd.read_csv(tmp_path / "out" / "2026-08" / "funnel_cohorts.csv")
    assert "2026-06" in set(cohorts["cohort"]) and "2026-07" not in set(cohorts["cohort"])


def test_a_gap_months_rows_are_marked_and_no_column_moves(gap, whole):
    months = ["2026-06", "2026-07", "2026-08"]
    table = pd.DataFrame({"month": months * 2, "owner_id": ["a"] * 3 + ["b"] * 3, "mqls": 1})
    marked = periods.mark_gaps(gap, table)
    assert marked.columns.tolist() == [*table.columns, periods.GAP_COLUMN]
    assert marked[table.columns].equals(table)
    assert marked.loc[marked[periods.GAP_COLUMN], "month"].tolist() == ["2026-07"] * 2
    assert not periods.mark_gaps(whole, table)[periods.GAP_COLUMN].any()
    cohorts = table.rename(columns={"month": "cohort"})
    assert periods.mark_gaps(gap, cohorts, "cohort")[periods.GAP_COLUMN].sum() == 2


def test_no_page_compares_the_month_after_a_gap_with_it(tmp_path):
    """The index compared lead scoring's "Contacts scored this month" of the month after a gap
    with the gap month's ("+114 vs previous month"): only the funnel page's own tiles carry
    the gap in their metrics; the others' is in the month's manifest (RV3)."""
    from smk import report

    folder = tmp_path / "2026-07"
    folder.mkdir()
    pages = {"lead_scoring": {"month_partial": GAP}, "segmentation": {}}
    (folder / "manifest.json").write_text(json.dumps({"pages": pages}))
    tile = {"id": "contacts_scored", "label": "Contacts scored", "format": "int", "value": 44}
    published = {"lead_scoring": {"contacts_scored": tile}, "segmentation": {"x": tile}}
    marked = report._with_page_parts(published, folder)
    assert marked["lead_scoring"]["contacts_scored"]["month_partial"] == GAP
    assert "month_partial" not in marked["segmentation"]["x"]
    august = tile | {"value": 158, "previous": 44}
    change = report._change(august, marked["lead_scoring"], periods.as_month("2026-08"))
    assert change == f"previous month not compared: {GAP}"  # was "+114 vs previous month"


def _with_records(crm: CRM, table: str, column: str, stamps: list[str]) -> CRM:
    """`crm` with rows of `table` copied from its first, dated `stamps` in `column`."""
    frame = getattr(crm, table)
    key = {"contacts": "contact_id", "activities": "activity_id"}[table]
    extra = frame.iloc[[0] * len(stamps)].copy()
    extra[key] = [f"extra-{i}" for i in range(len(stamps))]
    extra[column] = pd.to_datetime(stamps, utc=True)
    if table == "activities":
        extra["type"] = "meeting"
    return CRM(**{**crm.tables(), table: pd.concat([frame, extra], ignore_index=True)})


def test_no_gaps_before_or_after_the_months_a_report_may_name(whole):
    """Meetings booked ahead (no record yet in the months before them) and a migrated CRM's
    history (a few contacts years back) were called gaps "likely a failed sync"."""
    booked = _with_records(whole, "activities", "occurred_at", ["2027-02-15"] * 5)
    assert periods.empty_months(booked) == []
    history = [f"{year}-03-01" for year in range(2018, 2026)]
    migrated = _with_records(whole, "contacts", "created_at", history)
    assert periods.empty_months(migrated) == []
    # a denser history, every other month for three years (no strays: the span reaches back),
    # before a busier export's months: their records outweighed the quiet ones on average
    busy = synthesize(n_contacts=2000, months=9, seed=5, end="2026-10-31").crm
    every_other = [f"{m}-10" for m in pd.period_range("2022-01", "2025-06", freq="2M")] * 6
    migrated = _with_records(busy, "contacts", "created_at", every_other)
    assert periods.data_span(migrated)[0] < pd.Timestamp("2023-01-01", tz="UTC")
    assert periods.empty_months(migrated) == []


def test_a_small_companys_quiet_month_is_no_gap():
    """Two leads a month, each with its stage dates, calls and deal (about 17 records a
    month), and none in 2025-08: a quiet month, whose figures are real zeros."""
    months = [m for m in pd.period_range("2024-09", "2026-08", freq="M") if str(m) != "2025-08"]
    rows = [
        {"contact_id": f"{m}-{i}", "created_at": f"{m}-1{i}", "became_lead_at": f"{m}-1{i}"}
        for m in months
        for i in range(2)
    ]
    acts = [
        {"activity_id": f"{r['contact_id']}-{k}", "contact_id": r["contact_id"],
         "occurred_at": f"{r['created_at']}T1{k}:00"}
        for r in rows
        for k in range(6)
    ]  # fmt: skip
    tiny = CRM(contacts=make_table("contacts", rows), activities=make_table("activities", acts))
    assert periods.empty_months(tiny) == []


# ------------------------------------------------------------------ 2. the team's working week
@pytest.fixture(scope="module")
def to_thursday(whole) -> CRM:
    """`whole` cut after Thursday 2026-07-30."""
    crm = _without(whole, "2026-07-31", "2100-01-01")
    assert f"{periods.last_record(crm):%Y-%m-%d}" == "2026-07-30"
    return crm


def test_a_sunday_to_thursday_week_covers_july_to_thursday(to_thursday):
    assert periods.latest_month(to_thursday) == periods.as_month("2026-06")  # Friday missing
    assert periods.latest_month(to_thursday, SUN_THU) == JULY
    assert periods.month_coverage(to_thursday, JULY, SUN_THU) is None
    assert periods.resolve_month(to_thursday, "latest", SUN_THU) == JULY
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        card = scorecard.kpi_scorecard(to_thursday, "latest", SUN_THU, FX, "EUR")
    assert not [w for w in said if "after the export's last record" in str(w.message)]
    assert scorecard.MONTH_PARTIAL not in card.attrs
    assert scorecard.PARTIAL_MONTH not in set(card["status"])


def test_a_holiday_on_the_months_last_working_day(to_thursday):
    holiday = sla.SLA(holidays=["2026-07-31"])
    assert periods.month_coverage(to_thursday, JULY) is not None
    assert periods.month_coverage(to_thursday, JULY, holiday) is None
    assert periods.latest_month(to_thursday, holiday) == JULY


def test_the_report_reads_the_week_from_its_params(to_thursday):
    week = {"notebooks": {"funnel_sla": {"weekmask": "Sun Mon Tue Wed Thu"}}}
    assert check_export(to_thursday, [], week, "latest") == JULY
    assert check_export(to_thursday, [], {"holidays": ["2026-07-31"]}, "latest") == JULY
    utc = {"timezone": "UTC"}  # the data end on Thursday 23:xx UTC, Friday in Berlin
    assert check_export(to_thursday, [], utc, "latest") == periods.as_month("2026-06")
    assert check_export(to_thursday, [], {}, "latest") == JULY  # the funnel page's Berlin
