"""The monthly KPI scorecard both teams are judged by, and the marketing mix as four equal P's.

`kpi_scorecard` puts the agreed KPIs in one table: target, actual, status (met / at risk /
missed), and the change against the previous month and the same month last year where the
export covers them from their start. Each month's figures are computed as they stood at the
end of that month (as-of = month end), so they match what that month's report showed. MQLs
follow the funnel's MQL date (`smk.funnel.mql_entry_dates`, skipped stages included), so the
MQL tile equals the funnel's MQL row of the month. Pipeline from MQLs counts the deals whose contact had been an
MQL on record (its own MQL date, not one inferred from a later stage) before the deal was
created (`smk.sla.deal_table`): deals of sales-sourced contacts, which skipped the stage, are
pipeline created but not pipeline from MQLs, and an export that records no MQL date at all
has no pipeline from MQLs to give (`unknown_kpis`). The labels say what is counted: leaked MQLs are
those without sales activity within the leakage window (worked later or not), counted over the
MQLs whose window has passed by the month's end, MQLs worked within the SLA over those whose
SLA time has passed by then, and `kpi_details` gives each tile the counts
behind its figure. MQL to SQL is the acceptance of the month its acceptance window spans back
to (`smk.sla.acceptance_cohort`: with 30 days, the previous month's, its MQLs past their
window but in February), each accepted or rejected, so it is judged like any figure; the report
month's own share accepted so far, which its open MQLs may still raise, is context in its
note, without a verdict. The win rate is compared with another month's only when each of the
two months closed at least `MIN_CLOSED_DEALS` deals (`too_few_closed`): the change between
rates of a handful of deals is noise.

`marketing_mix` reads won revenue, win rate and deal size by Product (product line), Price (price
band), Place (region and sales pipeline) and Promotion (original source and first-touch
campaign) over a trailing window of closed deals, so neither team's view is an appendix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from smk import sla as sla_mod
from smk.checks import check_integer, checked_tables, is_number
from smk.countries import country_key, no_country
from smk.funnel import UNKNOWN, NoDataError, records_mql_dates, safe_ratio, stage_entry_dates
from smk.model import CRM, no_rows_text, order_touches
from smk.outputs import NO_DATA, counted, format_kpi, tidy_difference
from smk.periods import (
    Month,
    as_month,
    data_span,
    day_text,
    empty_months,
    gap_text,
    local_day,
    month_coverage,
    month_of,
    starts_inside,
)
from smk.presentation import MISSING, top_rows
from smk.sla import SLA

#: The KPIs: id -> (label, format, which way is better, SLA field holding the target).
KPIS: dict[str, tuple[str, str, str, str | None]] = {
    "mqls": ("MQLs (funnel stage) vs target", "int", "higher", "mql_target"),
    # "pipeline_from_mqls", not "mql_pipeline": that id counted every deal until the figure
    # meant what it says, and the report compares a tile with last month's of the same id
    "pipeline_from_mqls": ("Pipeline from MQLs", "money", "higher", "pipeline_target"),
    "pipeline_created": ("Pipeline created", "money", "higher", None),
    "speed_to_lead_hours": (
        "Median speed to lead",
        "hours",
        "lower",
        "max_hours_to_first_activity",
    ),
    "share_within_sla": ("MQLs worked within the SLA", "pct", "higher", "share_to_work"),
    "leakage_rate": (
        "MQLs leaked (no sales activity within {days} days)",
        "pct",
        "lower",
        "max_leakage_share",
    ),
    "mql_to_sql_rate": ("MQL to SQL (accepted by sales)", "pct", "higher", "acceptance_target"),
    "won_revenue": ("Won revenue", "money", "higher", "revenue_target"),
    "win_rate": ("Win rate (deals closed)", "pct", "higher", None),
}

#: Country -> region for the Place view, a country read in any case and spacing, and by its
#: other names and ISO codes (`smk.countries.country_key`: "DE", "Deutschland", "GERMANY");
#: the countries not listed are one region, "Other" (`regions_of`), whose countries the mix
#: names beside it (`marketing_mix`'s column `includes`: "Japan, Brazil, Poland and 9 more").
REGIONS: dict[str, str] = {
    "Germany": "DACH",
    "Austria": "DACH",
    "Switzerland": "DACH",
    "France": "Western Europe",
    "Netherlands": "Western Europe",
    "Belgium": "Western Europe",
    "Luxembourg": "Western Europe",
    "Ireland": "UK & Ireland",
    "United Kingdom": "UK & Ireland",
    "Spain": "Southern Europe",
    "Italy": "Southern Europe",
    "Portugal": "Southern Europe",
    "United States": "North America",
    "Canada": "North America",
}
#: Upper bounds of the price bands (reporting currency); the last band is open-ended.
PRICE_BANDS: tuple[float, ...] = (5_000, 15_000, 40_000, 100_000)
#: The fewest deals closed in each of two months for the scorecard to compare their win rates
#: (`too_few_closed`). With n deals closed, a win rate p is known to about
#: +-1.645 * sqrt(p(1 - p) / n) (90%): below 20 that is more than +-18 points for a 50% rate,
#: one deal more or less moves it by 5 points or more, and the change between two such months
#: is uncertain by more than +-26 points (10 of 12 won after 4 of 10, +43 points, tells
#: little). A floor, not a test: from 20 deals a month each change is shown as it is.
MIN_CLOSED_DEALS = 20


def status(actual: float, target: float | None, better: str = "higher", margin: float = 0.1):
    """'met', 'at risk' (within `margin` of the target, relatively), 'missed' or None."""
    if target is None or actual is None or pd.isna(actual) or pd.isna(target):
        return None
    if better == "higher":
        if actual >= target:
            return "met"
        return "at risk" if actual >= target * (1 - margin) else "missed"
    if actual <= target:
        return "met"
    return "at risk" if actual <= target * (1 + margin) else "missed"


def _covered(crm: CRM, month: Month) -> bool:
    """Whether the export's contact records reach back to the month and its data (records,
    or stage dates just after them: `smk.sla.data_end`) reach into it."""
    created = crm.contacts["created_at"].dropna()
    if created.empty:
        return False
    return month.end > created.min() and month.start < sla_mod.data_end(crm)


def _contacts_begin_after(crm: CRM, month: Month, sla: SLA | None = None) -> str | None:
    """Why `month` is not covered (`_covered`) when the export's other records (touchpoints,
    deals) reach into it, as a report may be asked for, but its contacts, which the funnel
    counts, begin after it ("the export's contacts begin on 2025-11-01, after 2025-10 (its
    other records reach into 2025-10 from 2025-10-21)"); None otherwise."""
    created = crm.contacts["created_at"].dropna()
    if created.empty or month.end > created.min():
        return None
    first = data_span(crm)[0]
    if month.end <= first:
        return None
    return (  # the days of `sla`'s team, as the month's own page gives them (`day_text`)
        f"the export's contacts begin on {day_text(created.min(), sla)}, after {month} (its "
        f"other records reach into {month} from {day_text(first, sla)})"
    )


def _not_comparable(crm: CRM, month: Month, sla: SLA | None = None) -> str | None:
    """Why the scorecard cannot compare with `month` (the previous month, the same month last
    year), or None when it can: the export must cover it from its first working day (of the
    `sla`'s week, `smk.periods.working_days`), or its figures would count part of a month
    ("the export starts on 2025-10-16, inside 2025-10"), and date some record in it, or its
    zeros would be a gap in the export (`smk.periods.empty_months`)."""
    if not _covered(crm, month):
        return (
            _contacts_begin_after(crm, month, sla) or f"the export does not reach back to {month}"
        )
    if month in empty_months(crm):
        return gap_text(month)
    start, created = data_span(crm)[0], crm.contacts["created_at"].min()
    first = max(start, created)  # contacts: the MQLs
    if starts_inside(month, first, sla):
        # said of what starts there: the other records may start earlier, as the month's own
        # page says (`smk.periods.month_coverage`)
        later = local_day(created, sla) > local_day(start, sla)
        begins = "the export's contacts begin" if later else "the export starts"
        if local_day(first, sla) <= month.end.tz_localize(None) - pd.Timedelta(days=1):
            return f"{begins} on {day_text(first, sla)}, inside {month}"
        return (  # a UTC month's last hours only: the team's next day
            f"{begins} on {first:%Y-%m-%d %H:%M} UTC, inside {month} by UTC months, "
            f"after it in the team's days"
        )
    return None


@checked_tables
def kpi_values(
    crm: CRM,
    month: Month | str,
    sla: SLA | None = None,
    fx_rates: Mapping[str, float] | None = None,
    reporting_currency: str | None = None,
    segments=None,
) -> dict[str, float]:
    """The KPIs of one month as they stood at its end (NaN where the month has no data).

    MQLs are the contacts whose MQL date (`smk.funnel.mql_entry_dates`: the funnel's entry
    date of the stage) falls in the month, as in `smk.sla.mql_leads` and the funnel's MQL row;
    pipeline from MQLs counts the deals created in the month whose contact had its own MQL date
    (not one inferred from a later stage) by the deal's creation (`smk.sla.deal_table`). The
    leakage rate is the share of MQLs without sales activity within `leakage_days` among those
    whose window has passed by the month's end; the share within the SLA is of the MQLs whose
    SLA time has passed by then (`smk.sla.sla_share_text`). MQL to SQL is the share of the
    MQLs of `smk.sla.acceptance_cohort` (as many months back as the acceptance window spans at
    31 days a month) accepted by sales by the month's end. `kpi_values_with_notes` says why a
    NaN is there.
    """
    return kpi_values_with_notes(crm, month, sla, fx_rates, reporting_currency, segments)[0]


@checked_tables
def kpi_values_with_notes(
    crm: CRM,
    month: Month | str,
    sla: SLA | None = None,
    fx_rates: Mapping[str, float] | None = None,
    reporting_currency: str | None = None,
    segments=None,
) -> tuple[dict[str, float], dict[str, str]]:
    """`kpi_values` and, for the KPIs that cannot be computed, why: {kpi: reason}.

    A KPI counted from a table the export lacks is unknown (`unknown_kpis`); the win rate is
    unknown in a month in which no deal closed ("no deal closed yet" before the first one),
    the MQL rates in a month without MQLs ("no MQLs in 2026-10"; MQL to SQL: in its cohort's
    month, or that month not covered whole by the export), speed to lead when no MQL
    was worked, the leakage rate while every MQL is inside its window, and a money figure
    whose deals all lack an amount ("the 2 deals won in 2026-10 have no amount",
    `smk.sla.amount_gap`: not 0); every KPI is unknown in a month the export does not cover
    or dates no record in (`smk.periods.empty_months`, a gap in the export): zeros would
    claim a count.
    """
    values, notes, *_ = _month_kpis(crm, month, sla, fx_rates, reporting_currency, segments)
    return values, notes


#: The money KPIs and their `smk.sla.pipeline_by_month` columns.
_MONEY_KPIS = {
    "pipeline_from_mqls": "mql_pipeline",
    "pipeline_created": "pipeline_created",
    "won_revenue": "won_revenue",
}
#: The deal count behind each money column of `smk.sla.pipeline_by_month`.
_COUNTS = {money: counted for money, counted, *_ in sla_mod.MONEY_COLUMNS}


def _month_kpis(
    crm: CRM,
    month: Month | str,
    sla: SLA | None = None,
    fx_rates: Mapping[str, float] | None = None,
    reporting_currency: str | None = None,
    segments=None,
) -> tuple[dict[str, float], dict[str, str], dict[str, str], dict[str, str], float]:
    """`kpi_values_with_notes`, the caveats of KPIs that have a value but leave deals out:
    {kpi: "1 of the 2 deals won in 2026-10 has no amount: the figure adds up the other 1"},
    the notes that say what a KPI's value counts, without judging anything (MQL to SQL: its
    cohort's counts and the month's share accepted so far, `_acceptance_note`), and the deals
    closed in the month, which the win rate is over (NaN when unknown)."""
    sla = sla or SLA()
    crm.require("contacts", analysis="the KPI scorecard")  # 0 MQLs would read as "missed"
    m = month_of(crm, month, sla)
    covered = _covered(crm, m)
    why = (
        None if covered else _contacts_begin_after(crm, m, sla) or f"the export does not cover {m}"
    )
    why = why or (gap_text(m) if m in empty_months(crm) else None)  # a gap: no zeros
    if why:
        return dict.fromkeys(KPIS, np.nan), dict.fromkeys(KPIS, why), {}, {}, np.nan
    as_of = m.end
    entries = stage_entry_dates(crm.contacts, as_of)
    leads = sla_mod.mql_leads(crm, sla, as_of=as_of, segments=segments, entries=entries)
    row = sla_mod.sla_by_month(leads, sla, months=[m.label]).iloc[0]
    deals = sla_mod.deal_table(crm, fx_rates, reporting_currency, as_of=as_of, entries=entries)
    money = sla_mod.pipeline_by_month(deals, months=[m.label]).iloc[0]
    values = {
        "mqls": float(row["mqls"]),
        "pipeline_from_mqls": float(money["mql_pipeline"]),
        "pipeline_created": float(money["pipeline_created"]),
        "speed_to_lead_hours": float(row["median_hours"]),
        "share_within_sla": float(row["share_within_sla"]),
        "leakage_rate": float(row["leakage_rate"]),
        "mql_to_sql_rate": np.nan,  # of its cohort, below
        "won_revenue": float(money["won_revenue"]),
        "win_rate": float(money["win_rate"]),
    }
    notes = unknown_kpis(crm)
    for kpi in notes:  # a table the export lacks is no evidence of zero
        values[kpi] = np.nan
    caveats = {}
    for kpi, column in _MONEY_KPIS.items():
        gap = sla_mod.amount_gap(money, column, m)
        if gap and np.isnan(values[kpi]):
            notes.setdefault(kpi, gap)
        elif gap:
            counted = _COUNTS[column]
            known = int(money[counted]) - int(money[f"{counted}_without_amount"])
            caveats[kpi] = f"{gap}: the figure adds up the other {known}"
    cohort = sla_mod.acceptance_cohort(m, sla)
    judged = sla_mod.sla_by_month(leads, sla, months=[cohort.label]).iloc[0]
    uncovered = _not_comparable(crm, cohort, sla)  # a part of a month's MQLs is no cohort
    if uncovered:  # it names the cohort's month; the label or the tile's period, its MQLs
        notes["mql_to_sql_rate"] = uncovered
    elif judged["mqls"] == 0:
        notes["mql_to_sql_rate"] = f"no MQLs in {cohort}"
    else:
        values["mql_to_sql_rate"] = float(judged["acceptance_rate"])
    valued = None if np.isnan(values["mql_to_sql_rate"]) else judged
    about = {"mql_to_sql_rate": _acceptance_note(valued, row, sla, m)}
    for kpi, why in _why_unknown(row, sla, m, deals).items():
        if np.isnan(values[kpi]):
            notes.setdefault(kpi, why)
    closed = np.nan if pd.isna(money["deals_closed"]) else float(money["deals_closed"])
    return values, notes, caveats, about, closed


def _acceptance_note(judged: pd.Series | None, row: pd.Series, sla: SLA, m: Month) -> str:
    """The note of the MQL to SQL KPI: its cohort's counts (`judged`, a `sla_by_month` row;
    None when the export does not cover the cohort), then the report month's (`row`) share
    accepted so far as context, no verdict on it: "42 of 110 MQLs (38.2%); 2026-10's MQLs so
    far, not judged: 25 of 62 MQLs (40.3%), 36 still inside the 30-day window"."""
    parts = [] if judged is None else [sla_mod.acceptance_text(judged, sla)]
    if row["mqls"]:
        parts.append(f"{m}'s MQLs so far, not judged: {sla_mod.acceptance_text(row, sla)}")
    else:
        parts.append(f"no MQLs in {m} so far")
    return "; ".join(parts)


def _why_unknown(row: pd.Series, sla: SLA, m: Month, deals: pd.DataFrame) -> dict[str, str]:
    """Why a month's rates may have no value when their tables are there: no deal closed, no
    MQLs, none worked, every one still inside its SLA time or the leakage window."""
    closed = f"no deal closed in {m}" if deals["is_closed"].any() else "no deal closed yet"
    if row["mqls"] == 0:
        rates = ("speed_to_lead_hours", "share_within_sla", "leakage_rate")
        return {"win_rate": closed} | dict.fromkeys(rates, f"no MQLs in {m}")
    sla_time = f"{sla.max_hours_to_first_activity:g} {sla_mod.hours_unit(sla)}"
    return {
        "win_rate": closed,
        "speed_to_lead_hours": f"no MQL of {m} worked by its end",
        "share_within_sla": f"no MQL of {m} is past the SLA time of {sla_time} yet",
        "leakage_rate": f"no MQL of {m} is past the {sla.leakage_days:g}-day window yet",
    }


#: The table each KPI is counted from, beyond the contacts.
KPI_TABLES = {
    "pipeline_from_mqls": "deals",
    "pipeline_created": "deals",
    "won_revenue": "deals",
    "win_rate": "deals",
    "speed_to_lead_hours": "activities",
    "share_within_sla": "activities",
    "leakage_rate": "activities",
}


@checked_tables
def unknown_kpis(crm: CRM) -> dict[str, str]:
    """KPIs the export cannot give, with why: {kpi: "the export has no deals"}, or, when its
    rows were all set aside, that they were (`CRM.no_rows_text`).

    Without sales activities nobody can tell a worked MQL from a leaked one, without deals
    there is no pipeline, and without any date a contact became an MQL
    (`smk.funnel.records_mql_dates`: Pipedrive, Zoho) no deal can be told to come from an MQL
    (`smk.sla.NO_MQL_DATES`): those KPIs are unknown, not 0 and not "missed".
    """
    unknown = {
        kpi: crm.no_rows_text(table)
        for kpi, table in KPI_TABLES.items()
        if getattr(crm, table).empty
    }
    if not records_mql_dates(crm.contacts):
        unknown.setdefault("pipeline_from_mqls", sla_mod.NO_MQL_DATES)
    return unknown


@checked_tables
def kpi_scorecard(
    crm: CRM,
    month: Month | str,
    sla: SLA | None = None,
    fx_rates: Mapping[str, float] | None = None,
    reporting_currency: str | None = None,
    segments=None,
) -> pd.DataFrame:
    """The agreed KPIs for `month`: target, actual, status and changes.

    Returns
    -------
    DataFrame: id, label, format, better, actual, target, status, note, previous_month,
    change_vs_previous_month, same_month_last_year, change_vs_last_year. Changes are
    differences (percentage points for shares), to the figures' own precision
    (`outputs.tidy_difference`); empty where the export does not cover the
    earlier month, or only part of it (the data start inside it: a part would read as a
    drop), or dates no record in it (`smk.periods.empty_months`: a gap in the export would
    read as a collapse), and `comparison_gaps` says why; the win rate's are empty when either
    month closed fewer than `MIN_CLOSED_DEALS` deals, and `attrs[NOT_COMPARED]` says why
    (`too_few_closed`; `scorecard_display` puts it in the note). A KPI counted from a table
    the export lacks (`unknown_kpis`) has no value, the status "no data" and the reason in `note`; so does one
    the month cannot give
    (`kpi_values_with_notes`: the win rate of a month in which no deal closed, the MQL
    rates of a month without MQLs). A month the export covers is scored even without MQLs or
    deals (0 MQLs against the target). A money KPI that leaves deals without an amount out
    says so in `note`, and its status is "met" or none (its true value may be higher). MQL
    to SQL is the acceptance of the month the acceptance window spans back to
    (`smk.sla.acceptance_cohort`), which its label names ("MQL to SQL of 2026-09's MQLs, all
    past their 30 days"), judged against the target; its `note` gives the counts and the
    month's own share accepted so far, not judged. Its previous month and same month last
    year are the cohorts of those months by the same rule; `attrs["periods"]` gives the
    tile's label, period and previous period (`scorecard_kpis`).
    When the export covers only part of `month` itself (`smk.periods.month_coverage`: the
    data start inside it, or end before its last working day of the `sla`'s week), a KPI
    with a target has the status "partial month" (`PARTIAL_MONTH`) instead of met / at risk
    / missed, the changes are empty, and `attrs["month_partial"]` says which days are
    covered; a month it dates no record in (a gap) has every KPI without a value, the status
    "no data", and `attrs["month_partial"]` says so.

    Raises
    ------
    NoDataError : when the export does not cover the month (nothing to score).
    """
    sla = sla or SLA()
    m = month_of(crm, month, sla)
    actual, notes, caveats, about, closed = _month_kpis(
        crm, m, sla, fx_rates, reporting_currency, segments
    )
    if not _covered(crm, m):
        why = _contacts_begin_after(crm, m, sla) or "the export does not cover it"
        raise NoDataError(
            f"nothing to score in {m}: {why}; choose a month it covers (e.g. month='latest')"
        )
    earlier, gaps, noisy = {}, {}, {}  # noisy: {column: why the win rates are not compared}
    for column, other in (("previous_month", m.previous), ("same_month_last_year", m.year_ago)):
        gaps[column] = _not_comparable(crm, other, sla)
        earlier[column] = dict.fromkeys(actual, np.nan)
        if not gaps[column]:
            earlier[column], *_, closed_then = _month_kpis(
                crm, other, sla, fx_rates, reporting_currency, segments
            )
            if not np.isnan(actual["win_rate"]) and not np.isnan(earlier[column]["win_rate"]):
                noisy[column] = too_few_closed(closed, closed_then, m, other)
    noisy = {"win_rate": {column: why for column, why in noisy.items() if why}}
    part = month_coverage(crm, m, sla)  # a part of the month is judged and compared with nothing
    rows = []
    for kpi, (_, fmt, better, target_field) in KPIS.items():
        target = getattr(sla, target_field) if target_field else None
        value = actual[kpi]
        prev, ago = earlier["previous_month"][kpi], earlier["same_month_last_year"][kpi]
        judged = _status(kpi, value, target, better, sla, notes, caveats)
        note = "; ".join(filter(None, [notes.get(kpi, caveats.get(kpi)), about.get(kpi)]))
        compared = np.nan if part else value
        uncompared = noisy.get(kpi, {})  # too few deals closed to tell a change from noise
        rows.append(
            {
                "id": kpi,
                "label": kpi_label(kpi, sla, m, judged=not pd.isna(value)),
                "format": fmt,
                "better": better,
                "actual": value,
                "target": target,
                "status": PARTIAL_MONTH if part and judged in VERDICTS else judged,
                "note": note or None,
                "previous_month": prev,
                "change_vs_previous_month": tidy_difference(
                    np.nan if "previous_month" in uncompared else compared, prev
                ),
                "same_month_last_year": ago,
                "change_vs_last_year": tidy_difference(
                    np.nan if "same_month_last_year" in uncompared else compared, ago
                ),
            }
        )
    card = pd.DataFrame(rows)
    card.attrs["basis"] = {
        kpi: kpi_basis(kpi, sla, crm.pipelines_basis()) for kpi in KPIS
    }  # for `scorecard_kpis`
    judged = not np.isnan(actual["mql_to_sql_rate"])
    card.attrs["periods"] = {"mql_to_sql_rate": _acceptance_tile(m, sla, judged)}
    card.attrs["not_compared"] = {c: why for c, why in gaps.items() if why}  # `comparison_gaps`
    card.attrs[NOT_COMPARED] = {kpi: why for kpi, why in noisy.items() if why}
    if gaps["previous_month"] and (  # the data start inside it, or only the contacts after it
        _covered(crm, m.previous) or _contacts_begin_after(crm, m.previous, sla)
    ):
        card.attrs["previous_partial"] = gaps["previous_month"]  # for `scorecard_kpis`
    if part:
        card.attrs[MONTH_PARTIAL] = part  # for `scorecard_kpis` and the page
    return card


#: A scorecard status that judges the figure against its target.
VERDICTS = ("met", "at risk", "missed")
#: The status of a KPI with a target in a month the export covers only in part
#: (`smk.periods.month_coverage`): its figure counts part of a month, which no target judges.
PARTIAL_MONTH = "partial month"
#: The key that carries which part of the month the export covers, when only a part: the
#: scorecard's `attrs` and each KPI of `scorecard_kpis` (the report's index then shows no
#: change against the previous month).
MONTH_PARTIAL = "month_partial"
#: The scorecard's `attrs` key of the KPIs whose changes are not computed for want of data
#: behind them: {kpi: {column: why}}, the win rate's when a month closed fewer than
#: `MIN_CLOSED_DEALS` deals (`too_few_closed`).
NOT_COMPARED = "kpis_not_compared"
#: The scorecard's comparison columns in words.
_COMPARED_WITH = {
    "previous_month": "previous month",
    "same_month_last_year": "same month last year",
}


def too_few_closed(closed: float, closed_then: float, month: Month, then: Month) -> str | None:
    """Why the win rates of `month` and `then`, over `closed` and `closed_then` deals closed,
    are not compared: "12 deals closed in 2026-07 and 10 in 2026-06, too few (at least 20 a
    month) to tell a change in win rate from noise"; None when each month closed at least
    `MIN_CLOSED_DEALS`."""
    if min(closed, closed_then) >= MIN_CLOSED_DEALS:
        return None
    return (
        f"{counted(closed, 'deal')} closed in {month} and {closed_then:,.0f} in {then}, too few "
        f"(at least {MIN_CLOSED_DEALS} a month) to tell a change in win rate from noise"
    )


@checked_tables
def comparison_gaps(scorecard: pd.DataFrame) -> str | None:
    """Why a comparison column of `kpi_scorecard` shows only dashes, as a sentence ("same
    month last year: not compared, the export starts on 2025-10-16, inside 2025-10"), and,
    when the export covers only part of the scorecard's month, that its figures are neither
    judged nor compared; None when both columns compare a whole month."""
    gaps = scorecard.attrs.get("not_compared") or {}
    said = [f"{_COMPARED_WITH[c]}: not compared, {why}" for c, why in gaps.items()]
    if scorecard.attrs.get(MONTH_PARTIAL):
        said.append(
            f"partial month: {scorecard.attrs[MONTH_PARTIAL]}; its figures are not judged "
            "against the targets nor compared with earlier months"
        )
    return "; ".join(said) or None


def _status(
    kpi: str,
    value: float,
    target: float | None,
    better: str,
    sla: SLA,
    notes: Mapping[str, str],
    caveats: Mapping[str, str],
) -> str | None:
    """A scorecard row's status: "no data" for a KPI without a value (`notes`); for one that
    leaves deals without an amount out (`caveats`) only "met" (its true value is higher
    still), else none: "missed" or "at risk" would judge a figure that is only a floor."""
    if kpi in notes:
        return NO_DATA
    judged = status(value, target, better, sla.at_risk_margin)
    return judged if kpi not in caveats or judged == "met" else None


#: What the leakage rate is over, in its tiles' `basis`. A tile published without it (before
#: 2026-11-28) counted the MQLs worked inside the window too: the report's index compares this
#: month with the previous one measured as this month is, not with that tile.
LEAKAGE_RATE_OF = "MQLs past the leakage window"
#: What the share within the SLA is over, in its tiles' `basis`. A tile published without it
#: (before 2026-11-29) was over all the month's MQLs, those still inside their SLA time at the
#: month's end counted as misses: not compared with.
SLA_SHARE_OF = "MQLs past the SLA time"
#: What MQL to SQL is over, in its tiles' `basis`. A tile published without it (before
#: 2026-11-29) was the report month's own MQLs' share accepted so far: not compared with.
ACCEPTANCE_RATE_OF = "the latest month of MQLs all past the acceptance window"

#: The KPIs counted from sales activities (`KPI_TABLES`), unknown without them.
_ACTIVITY_KPIS = tuple(k for k, table in KPI_TABLES.items() if table == "activities")


def kpi_label(
    kpi: str, sla: SLA | None = None, month: Month | str | None = None, judged: bool = True
) -> str:
    """The label of a KPI of `KPIS` under `sla`: the leakage window's days, and "(working
    hours)" on speed to lead when the SLA counts working hours, not calendar ones. With the
    report `month`, MQL to SQL names the MQLs it judges ("MQL to SQL of 2026-09's MQLs, all
    past their 30 days", `smk.sla.acceptance_cohort`; without the window when it `judged`
    none, `_judged_mqls`); a tile keeps the label without them and gives them as its period
    (`_acceptance_tile`), so that months compare."""
    sla = sla or SLA()
    label, fmt = KPIS[kpi][:2]
    if fmt == "hours" and sla.business_hours:
        label = f"{label} (working hours)"  # not the calendar hours of the default SLA
    if kpi == "mql_to_sql_rate" and month is not None:
        return f"MQL to SQL of {_judged_mqls(as_month(month), sla, judged)}"
    return label.format(days=f"{sla.leakage_days:g}")


def _judged_mqls(month: Month, sla: SLA, judged: bool = True) -> str:
    """The MQLs the report of `month` judges on MQL to SQL, in words: "2026-09's MQLs, all
    past their 30 days"; "2026-09's MQLs" alone when it judged none (no MQLs that month, or
    the export does not cover it), not "all past their 30 days" of MQLs there may be none of."""
    cohort = sla_mod.acceptance_cohort(month, sla)
    return sla_mod.acceptance_period(cohort, sla, month) if judged else f"{cohort}'s MQLs"


def _acceptance_tile(month: Month, sla: SLA, judged: bool = True) -> dict[str, str]:
    """The MQL to SQL tile's label and the MQLs it judges as its `period` and the previous
    month's as `previous_period` (`smk.outputs.over_period`'s keys): the report index then
    compares it with the previous month's cohort, "+1.2 pts vs 2026-08's MQLs, all past their
    30 days", and only when that tile judged the cohort this rule gives. A tile that judged
    none names the cohort's MQLs alone (`_judged_mqls`); an n/a tile is no base for the next
    month's change, whatever its period."""
    return {
        "label": kpi_label("mql_to_sql_rate", sla),
        "period": _judged_mqls(month, sla, judged),
        "previous_period": _judged_mqls(month.previous, sla),
    }


def _hours_basis(sla: SLA) -> dict:
    """The settings an SLA's hours to first activity depend on: which activities count, and
    calendar hours or the working day's (its zone, hours, weekdays and holidays)."""
    basis = {"activity_types": list(sla.activity_types), "business_hours": sla.business_hours}
    if sla.business_hours:
        basis |= {k: getattr(sla, k) for k in ("timezone", "workday_start", "workday_end")}
        basis |= {"weekmask": sla.weekmask, "holidays": list(sla.holidays)}
    return basis


def kpi_basis(kpi: str, sla: SLA | None = None, pipelines: Mapping | None = None) -> dict | None:
    """The settings a KPI's figure depends on, beyond the data (the `basis` of its tile,
    `scorecard_kpis`): speed to lead and the share within the SLA on how hours are counted
    (`business_hours` and, for working hours, the working day) and the SLA time, the leakage
    rate on its window and on the MQLs it is over (`rate_of`, `LEAKAGE_RATE_OF`; the share
    within the SLA too, `SLA_SHARE_OF`), MQL to SQL
    on its window and its rule (`ACCEPTANCE_RATE_OF`); the KPIs counted from deals
    (`KPI_TABLES`) on the pipelines counted (`pipelines`: `CRM.pipelines_basis`, empty or None for all of them).
    The report's index compares two months' figures only when their basis agrees: a month
    measured in working hours is no change from one in calendar hours, nor won revenue of
    one pipeline from that of all; a `rate_of` it lacks or that differs is smk's rule
    changed. None for KPIs that no setting changes (targets judge a figure, they do not
    change it)."""
    if KPI_TABLES.get(kpi) == "deals":
        return dict(pipelines) if pipelines else None
    sla = sla or SLA()
    hours = _hours_basis(sla)
    return {
        "speed_to_lead_hours": hours,
        "share_within_sla": hours
        | {"max_hours_to_first_activity": sla.max_hours_to_first_activity}
        | {"rate_of": SLA_SHARE_OF},
        "leakage_rate": {
            "activity_types": hours["activity_types"],
            "leakage_days": sla.leakage_days,
            "rate_of": LEAKAGE_RATE_OF,
        },
        "mql_to_sql_rate": {
            "acceptance_days": sla.acceptance_days,
            "rate_of": ACCEPTANCE_RATE_OF,
        },
    }.get(kpi)


def kpi_details(
    summary: Mapping | None,
    pipeline: Mapping,
    sla: SLA | None = None,
    unit: str = "hours",
    no_activities: str | None = None,
    untold: str | None = None,
    assumed: str | None = None,
) -> dict[str, str]:
    """The short texts under the report's tiles (`scorecard_kpis`' `details`): the counts
    behind each figure, so the tiles add up.

    Parameters
    ----------
    summary : `smk.sla.month_summary` of the month (None: the month has no MQLs).
    pipeline : the month's row of `smk.sla.pipeline_by_month` (its counts <NA> when the export
        has no deals: no pipeline details then); its deals that name no contact are said under
        pipeline from MQLs (`smk.sla.no_contact_text`), which has no details when its count is
        <NA> (an export without MQL dates: the scorecard's note says why).
    sla : the agreement (its leakage window and SLA time are named).
    unit : "hours" or "working hours", as speed to lead is measured.
    no_activities : why the activity figures are unknown when the summary has none
        (`CRM.no_rows_text("activities")`: every activity row set aside); default "the export
        has no sales activities".
    untold : the caveat of deals taken as open at stages smk cannot tell open from closed
        (`smk.sla.untold_stages_note`), said under won revenue and win rate.
    assumed : the caveat of money taken to be in the reporting currency, as the export names
        no deal's currency (`smk.sla.assumed_currency_note`), said under each money KPI.
    """
    sla = sla or SLA()
    details = {}
    if not pd.isna(pipeline["deals_created"]):  # <NA>: the export has no deals
        created = int(pipeline["deals_created"])
        details = {"pipeline_created": counted(created, "deal")}  # money: in its currency
        if not pd.isna(pipeline["mql_deals"]):  # <NA>: the export records no MQL dates
            details["pipeline_from_mqls"] = (
                f"{int(pipeline['mql_deals'])} of {counted(created, 'deal')} (the contact was "
                f"an MQL before the deal){sla_mod.no_contact_text(pipeline)}"
            )
        details["won_revenue"] = f"{counted(int(pipeline['deals_won']), 'deal')} won"
        closed = pipeline.get("deals_closed", 0)  # none: the win rate's note says why
        if closed:
            won = int(pipeline["deals_won"])
            details["win_rate"] = f"{won} of {counted(int(closed), 'deal')} closed won"
        if untold:  # deals taken as open: some of them may have been won
            for kpi in ("won_revenue", "win_rate"):
                if kpi in details:
                    details[kpi] += f"; {untold}"
        for kpi in _MONEY_KPIS if assumed else ():  # a currency the export never wrote
            if kpi in details:
                details[kpi] += f"; {assumed}"
    if summary is None:
        return details
    s = summary
    if not s[sla_mod.ACTIVITIES_IN_EXPORT]:  # worked, within the SLA and leaked: <NA>
        why = no_activities or no_rows_text("activities")
        return details | dict.fromkeys(_ACTIVITY_KPIS, f"unknown: {why}") | {"mqls": why}
    parts, days = sla_mod.leakage_parts(s), f"{sla.leakage_days:g}"
    mqls = f"{parts['in_window']} worked within {days} days, {parts['leaked']} leaked"
    if parts["pending"]:
        mqls += f", {parts['pending']} not worked yet, still inside the {days}-day window"
    hours = f"{sla.max_hours_to_first_activity:g} {unit}"
    share = s["share_within_sla"]  # none past the SLA time: that tile's note says why
    speed = f"no MQL past {hours} yet" if pd.isna(share) else f"{share:.0%} within {hours}"
    return details | {
        "mqls": mqls,
        "speed_to_lead_hours": speed,
        "share_within_sla": sla_mod.sla_share_text(s, sla, with_rate=False),
        "leakage_rate": sla_mod.leakage_text(s, sla, with_rate=False),
    }


@checked_tables
def scorecard_display(scorecard: pd.DataFrame, currency: str = "") -> pd.DataFrame:
    """The scorecard with formatted text columns, for the notebook and the report, a missing
    figure or status shown as the dash of every table (`presentation.MISSING`); a `note`
    column says why a KPI has no value when one has none, and why it is not compared with an
    earlier month whose figure is shown ("previous month: not compared, 12 deals closed in
    2026-07 and 10 in 2026-06, too few ...": `too_few_closed`)."""
    out = pd.DataFrame({"KPI": scorecard["label"]})
    for col, title in (
        ("actual", "actual"),
        ("target", "target"),
        ("previous_month", "previous month"),
        ("same_month_last_year", "same month last year"),
    ):
        out[title] = [
            format_kpi(v, f, currency, missing=MISSING)
            for v, f in zip(scorecard[col], scorecard["format"], strict=True)
        ]
    out["status"] = scorecard["status"].fillna(MISSING)
    notes = _notes(scorecard)
    if notes.notna().any():
        out["note"] = notes.fillna("")
    return out


@checked_tables
def scorecard_export(scorecard: pd.DataFrame) -> pd.DataFrame:
    """The scorecard as the notebook exports it (`funnel_sla_scorecard.csv`): its columns as
    computed, a count's figures whole (`_as_formats`: 62, not 62.0), with the `note` of
    `scorecard_display` and, on every row, the caption the page shows above its table
    (`comparison_gaps`), so the file says why a change is not computed ("previous month: not
    compared, 12 deals closed in 2026-07 ...", "same month last year: not compared, the
    export's contacts begin on ...") as the page and the tiles do."""
    notes, gaps = _notes(scorecard), comparison_gaps(scorecard)
    if gaps:
        notes = (notes + "; " + gaps).fillna(gaps)
    figures = {col: _as_formats(scorecard[col], scorecard["format"]) for col in FIGURES}
    return scorecard.assign(note=notes, **figures)


#: The scorecard's columns of figures, each in its row's `format` (`_as_format`)
FIGURES = (
    "actual",
    "target",
    "previous_month",
    "change_vs_previous_month",
    "same_month_last_year",
    "change_vs_last_year",
)


def _as_formats(values: pd.Series, formats: pd.Series) -> pd.Series:
    """A column of scorecard figures as its tiles write them (`_as_format`), for a CSV: the
    counts whole (62, not 62.0: the column mixes counts with rates and money), the others as
    they are, empty where unknown. A spreadsheet reads each cell as a number, `read_csv` the
    column as floats."""
    written = [v if pd.isna(v) else _as_format(v, f) for v, f in zip(values, formats, strict=True)]
    return pd.Series(written, index=values.index, dtype=object)


def _notes(scorecard: pd.DataFrame) -> pd.Series:
    """Each KPI's note: why it has no value (its `note`), else why it is not compared with an
    earlier month whose figure is shown (`_not_compared_text`); None for neither."""
    notes = scorecard["note"] if "note" in scorecard else pd.Series(None, index=scorecard.index)
    return notes.where(notes.notna(), scorecard["id"].map(_not_compared_text(scorecard)))


def _not_compared_text(scorecard: pd.DataFrame) -> dict[str, str]:
    """{kpi: why it is not compared with the earlier months whose figures are shown} from the
    scorecard's `NOT_COMPARED`, in the words of `comparison_gaps`."""
    return {
        kpi: "; ".join(f"{_COMPARED_WITH[c]}: not compared, {why}" for c, why in gaps.items())
        for kpi, gaps in (scorecard.attrs.get(NOT_COMPARED) or {}).items()
    }


@checked_tables
def scorecard_kpis(scorecard: pd.DataFrame, details: Mapping[str, str] | None = None) -> list[dict]:
    """The scorecard as the `kpis` list of `metrics-<name>.json` (docs/notebooks.md); each KPI
    that depends on SLA settings carries them as its `basis` (`kpi_basis`, from the SLA the
    scorecard was computed with). When the data start inside the previous month, every KPI
    says so in `previous_not_compared`: the report's index then computes no change against
    that month's published figures either (a part of a month); so does the win rate when
    either month closed too few deals to tell its change from noise (`too_few_closed`). When
    the export covers only part of the scorecard's own month, every KPI says which part in
    `month_partial`. MQL to SQL's tile keeps its label from month to month and names the MQLs
    it judges as its `period`, the previous report's as `previous_period`. A KPI's `previous`
    is the previous month's figure, null when the export covers that month but the figure is
    n/a (no sales activities: the index says "no previous value", not "no previous month")."""
    details = details or {}
    basis = scorecard.attrs.get("basis") or {}
    periods = scorecard.attrs.get("periods") or {}
    partial = scorecard.attrs.get("previous_partial")
    noisy = scorecard.attrs.get(NOT_COMPARED) or {}
    gaps = scorecard.attrs.get("not_compared")  # None: a scorecard that does not say
    covered = gaps is not None and "previous_month" not in gaps
    kpis = []
    for row in scorecard.itertuples():
        value = row.actual if pd.isna(row.actual) else _as_format(row.actual, row.format)
        item = {"id": row.id, "label": row.label, "value": value, "format": row.format}
        item |= periods.get(row.id, {})  # MQL to SQL: its label, the MQLs it judges
        if basis.get(row.id) is not None:
            item["basis"] = basis[row.id]
        not_compared = partial or noisy.get(row.id, {}).get("previous_month")
        if not_compared:
            item["previous_not_compared"] = not_compared
        if scorecard.attrs.get(MONTH_PARTIAL):
            item[MONTH_PARTIAL] = scorecard.attrs[MONTH_PARTIAL]
        if row.target is not None and not pd.isna(row.target):
            item["target"] = _as_format(row.target, row.format)
        if isinstance(row.status, str):  # "no data" too, with a target or without
            item["status"] = row.status
        if row.previous_month is not None and not pd.isna(row.previous_month):
            item["previous"] = _as_format(row.previous_month, row.format)  # the index's change
        elif covered:  # the export covers the previous month: its figure is n/a too
            item["previous"] = None
        if row.id in details:
            item["detail"] = details[row.id]
        note = getattr(row, "note", None)
        if isinstance(note, str) and note:  # why the value is unknown
            item["detail"] = note
        kpis.append(item)
    return kpis


def _as_format(value: float, fmt: str) -> float | int:
    """A scorecard figure as its tile writes it: a whole number for an `int` KPI (62, not
    62.0), as it is otherwise (a target of 60.5 MQLs too: not cut to 60)."""
    return int(value) if fmt == "int" and float(value).is_integer() else value


# ------------------------------------------------------------------------------ marketing mix
def price_band_labels(bands: Sequence[float] = PRICE_BANDS) -> list[str]:
    """Labels of the price bands, lowest first: '< 5k', '5k-15k', ..., '100k+'."""
    bands = check_price_bands(bands)

    def short(v: float) -> str:
        return f"{v / 1000:g}k" if v >= 1000 else f"{v:g}"

    labels = [f"< {short(bands[0])}"]
    labels += [f"{short(a)}-{short(b)}" for a, b in zip(bands[:-1], bands[1:], strict=True)]
    return labels + [f"{short(bands[-1])}+"]


def check_price_bands(bands: Sequence[float]) -> list[float]:
    """`bands` as a list of upper bounds, or a ValueError naming the setting: one or more
    finite numbers, each above the one before (an empty list failed with an IndexError, a
    falling one inside pandas' binning)."""
    values = [bands] if isinstance(bands, str) else list(bands)
    if not values or not all(is_number(b) and np.isfinite(b) for b in values):
        raise ValueError(f"price_bands must be one or more numbers (upper bounds), got {bands!r}")
    if any(b >= c for b, c in zip(values[:-1], values[1:], strict=False)):
        raise ValueError(f"price_bands must rise, each bound above the one before, got {bands!r}")
    return [float(b) for b in values]


def price_band(values: pd.Series, bands: Sequence[float] = PRICE_BANDS) -> pd.Series:
    """Label of each value's price band (see `price_band_labels`)."""
    edges = [-np.inf, *bands, np.inf]
    cut = pd.cut(values, edges, labels=price_band_labels(bands), right=False)
    return cut.astype("string").fillna("(no amount)")


@checked_tables
def first_touch_campaign(crm: CRM, contact_ids: pd.Series, before: pd.Series) -> pd.Series:
    """Campaign of each contact's earliest touchpoint with a campaign, before `before`.

    `before` is a cut-off per row of `contact_ids` (e.g. each deal's creation): the contact's
    earliest campaign touch counts when it is at or before that row's cut-off. Touches at the
    same time are ordered as in the journeys (`order_touches`), not by the export's rows.
    """
    tp = crm.touchpoints
    dated = tp["campaign"].notna() & tp["occurred_at"].notna()
    tp = tp[tp["contact_id"].isin(set(contact_ids.dropna())) & dated]
    if tp.empty:
        return pd.Series(pd.NA, index=contact_ids.index, dtype="string")
    campaign = pd.factorize(tp["campaign"], sort=True)[0]
    when = pd.factorize(tp["occurred_at"], sort=True)[0]
    first = tp.iloc[order_touches(tp["touchpoint_id"], campaign, when)]
    first = first.drop_duplicates("contact_id").set_index("contact_id")
    in_time = contact_ids.map(first["occurred_at"]) <= before.set_axis(contact_ids.index)
    return contact_ids.map(first["campaign"]).astype("string").where(in_time)


@checked_tables
def mix_deals(
    crm: CRM,
    month: Month | str,
    months: int = 12,
    fx_rates: Mapping[str, float] | None = None,
    reporting_currency: str | None = None,
    regions: Mapping[str, str] | None = None,
    price_bands: Sequence[float] = PRICE_BANDS,
) -> pd.DataFrame:
    """Deals closed in the `months` months ending with `month`, with their four P's. The
    first-touch campaign is "(no campaign)" for a contact without a campaign touch before the
    deal, and unknown (`UNKNOWN`) for every deal when the export has no touchpoints."""
    m = month_of(crm, month)
    months = check_integer(
        "months", months, 1, 1200, " (the marketing-mix window)", whole_floats=True
    )
    price_bands = check_price_bands(price_bands)
    window_start = m.start - pd.DateOffset(months=months - 1)
    deals = sla_mod.deal_table(crm, fx_rates, reporting_currency, as_of=m.end)
    deals = deals[deals["is_closed"] & (deals["closed_at"] >= window_start)].reset_index(drop=True)
    regions = REGIONS if regions is None else regions
    raw = crm.deals.set_index("deal_id")
    raw = raw[~raw.index.duplicated()]
    accounts = crm.accounts.set_index("account_id")
    accounts = accounts[~accounts.index.duplicated()]
    contacts = crm.contacts.set_index("contact_id")
    contacts = contacts[~contacts.index.duplicated()]
    country = deals["account_id"].map(accounts["country"]).astype("string")
    country = country.mask(no_country(country))  # "Unknown": the contact's country, as a blank
    country = country.fillna(deals["contact_id"].map(contacts["country"]).astype("string"))
    deals["product"] = deals["deal_id"].map(raw["product"]).astype("string").fillna(UNKNOWN)
    deals["pipeline"] = deals["deal_id"].map(raw["pipeline"]).astype("string").fillna(UNKNOWN)
    deals["price_band"] = price_band(deals["value"], price_bands)
    deals["country"] = country.mask(no_country(country))  # as written; a placeholder: <NA>
    deals["region"] = regions_of(country, regions).fillna(UNKNOWN)
    deals["original_source"] = (
        deals["contact_id"].map(contacts["original_source"]).astype("string").fillna(UNKNOWN)
    )
    campaign = first_touch_campaign(crm, deals["contact_id"], deals["created_at"])
    # no touchpoints in the export: nobody can tell which campaign came first, not "none"
    deals["campaign"] = campaign.fillna(UNKNOWN if crm.touchpoints.empty else NO_CAMPAIGN)
    return deals


#: `mix_deals`' campaign of a deal whose contact had no campaign touch before it.
NO_CAMPAIGN = "(no campaign)"
#: The region of the countries `regions_of` finds in no region: one value, the same every
#: month, whose countries `marketing_mix` names beside it (`includes`).
OTHER_REGION = "Other"
#: How many of the countries pooled in `OTHER_REGION` the mix names (`pooled_countries`).
OTHER_COUNTRIES_NAMED = 3


def regions_of(country: pd.Series, regions: Mapping[str, str]) -> pd.Series:
    """The region of each country of `country` in `regions`, both read by `country_key` (any
    case and spacing, other names and ISO codes: "DE", "Deutschland" and "GERMANY" are
    "Germany"); <NA> for a missing country or a placeholder ("Unknown", "Other", "-":
    `no_country`). The countries `regions` does not list are one region, `OTHER_REGION`: a
    key that stays the same month to month, whose countries `pooled_countries` names."""
    country = country.mask(no_country(country))
    keys = country.map({c: country_key(c) for c in country.dropna().unique()})
    region = keys.map({country_key(str(c)): r for c, r in regions.items()}).astype("string")
    return region.mask(region.isna() & country.notna(), OTHER_REGION)


def pooled_countries(country: pd.Series) -> str:
    """The countries of `country` (those of a pooled region), one per `country_key`, as most
    often written, most rows first, ties by name: "Japan, Brazil, Poland and 9 more"
    (`OTHER_COUNTRIES_NAMED`); missing ones left out."""
    country = country.dropna()
    keys = country.map({c: country_key(c) for c in country.unique()})
    rows = pd.DataFrame({"key": keys.to_numpy(), "written": country.to_numpy()})
    spelt = rows.value_counts().rename("n").reset_index()
    spelt = spelt.sort_values(["n", "written"], ascending=[False, True], kind="stable")
    named = spelt.drop_duplicates("key").set_index("key")["written"]
    ranked = pd.DataFrame({"n": spelt.groupby("key")["n"].sum(), "name": named})
    names = ranked.sort_values(["n", "name"], ascending=[False, True])["name"].tolist()
    most = OTHER_COUNTRIES_NAMED
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


#: The four P's: (P, dimension label, column of `mix_deals`).
FOUR_PS: tuple[tuple[str, str, str], ...] = (
    ("Product", "product line", "product"),
    ("Price", "price band", "price_band"),
    ("Place", "region", "region"),
    ("Place", "pipeline", "pipeline"),
    ("Promotion", "original source", "original_source"),
    ("Promotion", "campaign", "campaign"),
)


@checked_tables
def marketing_mix(
    crm: CRM,
    month: Month | str,
    months: int = 12,
    fx_rates: Mapping[str, float] | None = None,
    reporting_currency: str | None = None,
    regions: Mapping[str, str] | None = None,
    price_bands: Sequence[float] = PRICE_BANDS,
    deals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Won revenue, win rate and deal size by the four P's, over closed deals of a window.

    Parameters
    ----------
    crm : the loaded export (deals, accounts, contacts, touchpoints).
    month : last month of the window; `months` months of closed deals are read.
    fx_rates, reporting_currency : see `smk.sla.deal_values`.
    regions : country -> region (default `REGIONS`; countries matched by `country_key`, the
        unlisted ones are one region "Other", `OTHER_REGION`: `regions_of`).
    price_bands : upper bounds of the price bands (default `PRICE_BANDS`).
    deals : precomputed `mix_deals` (saves recomputing it).

    Returns
    -------
    Tidy DataFrame: p, dimension, value, includes, deals_closed, deals_won, win_rate, won_revenue,
    share_of_won_revenue, avg_won_deal, deals_won_without_amount. `includes` names what a
    pooled value holds: the countries of the region "Other" ("Japan, Brazil, Poland and 9
    more", `pooled_countries`), <NA> on every other row. Within each dimension the
    won revenue sums to the window's total. A won deal without an amount adds no money: won
    revenue sums the known amounts (unknown, NaN, when every won deal of the row lacks one),
    the average won deal is over the deals with an amount, and `deals_won_without_amount`
    counts those left out. `attrs["window"]` names the window ("the 12 months to 2026-10");
    when no deal of it was won, `no_won_deal_reason` says so; `mix_caveats` says what the
    figures leave out (amounts, campaigns of an export without touchpoints).

    Raises
    ------
    NoDataError : when no deal closed in the window.
    """
    if deals is None:
        deals = mix_deals(crm, month, months, fx_rates, reporting_currency, regions, price_bands)
    if deals.empty:
        raise NoDataError(
            f"no deal closed in the {months} months up to {month}: choose a later month or a "
            "longer window (months=...)"
        )
    deals = deals.assign(
        won_value=deals["value"].where(deals["is_won"], 0.0),
        without_amount=deals["is_won"] & deals["value"].isna(),
    )
    total = float(deals["won_value"].sum())
    parts = []
    for p, dimension, column in FOUR_PS:
        part = (
            deals.groupby(column, observed=True)
            .agg(
                deals_closed=("deal_id", "size"),
                deals_won=("is_won", "sum"),
                won_revenue=("won_value", "sum"),
                deals_won_without_amount=("without_amount", "sum"),
            )
            .reset_index()
            .rename(columns={column: "value"})
        )
        part.insert(0, "dimension", dimension)
        part.insert(0, "p", p)
        part["includes"] = _includes(part["value"], deals, column)
        part = _mix_rates(part, total)
        if column == "price_band":  # bands read best in price order
            order = {label: i for i, label in enumerate(price_band_labels(price_bands))}
            part = part.sort_values("value", key=lambda v: v.map(order).fillna(len(order)))
        else:
            part = part.sort_values("won_revenue", ascending=False)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    for column in ("deals_won", "deals_won_without_amount"):
        out[column] = out[column].astype("int64")
    out = out[
        [
            "p",
            "dimension",
            "value",
            "includes",
            "deals_closed",
            "deals_won",
            "win_rate",
            "won_revenue",
            "share_of_won_revenue",
            "avg_won_deal",
            "deals_won_without_amount",
        ]
    ]
    m = month_of(crm, month)
    window = f"the {months} months to {m}" if months > 1 else str(m)
    out.attrs["window"] = window
    out.attrs["caveats"] = _mix_caveats(deals, window, crm.touchpoints.empty)
    return out


def _includes(values: pd.Series, deals: pd.DataFrame, column: str) -> pd.Series:
    """`marketing_mix`'s `includes` of the `values` of `column`: for the region
    `OTHER_REGION`, the countries of its deals (`pooled_countries`); <NA> elsewhere."""
    includes = pd.Series(pd.NA, index=values.index, dtype="string")
    if column == "region":
        pooled = pooled_countries(deals.loc[deals["region"] == OTHER_REGION, "country"])
        includes[values == OTHER_REGION] = pooled
    return includes


#: Values of each dimension the page's mix table shows, those with the most won revenue; the
#: rest are one row per dimension ("other (3,095 campaigns)", `mix_table`). A large export
#: has thousands of first-touch campaigns; marketing_mix.csv keeps them all. The chart
#: (`smk.plots.mix_panel`) has room for 8 bars a dimension, the table for a few more.
MIX_TABLE_ROWS = 10
#: The columns of `marketing_mix` that add up (the others are rates, recomputed from them).
MIX_SUMS = ("deals_closed", "deals_won", "won_revenue", "deals_won_without_amount")


def _mix_rates(part: pd.DataFrame, total: float) -> pd.DataFrame:
    """`marketing_mix` rows with their rates from their counts and sums (`MIX_SUMS`): won
    revenue unknown when every won deal lacks an amount, win rate, share of `total` (the
    window's won revenue) and average won deal over the won deals with an amount."""
    lacking, won = part["deals_won_without_amount"], part["deals_won"]
    part["won_revenue"] = part["won_revenue"].mask((won > 0) & (lacking == won))  # unknown
    part["win_rate"] = safe_ratio(part["deals_won"], part["deals_closed"])
    part["share_of_won_revenue"] = safe_ratio(part["won_revenue"], total)
    part["avg_won_deal"] = safe_ratio(part["won_revenue"], won - lacking)
    return part


@checked_tables
def mix_table(mix: pd.DataFrame, rows: int = MIX_TABLE_ROWS) -> pd.DataFrame:
    """`marketing_mix` as the page shows it: per dimension the `rows` values with the most won
    revenue (price bands in price order), the others added up in one row "other (3,095
    campaigns)" whose win rate, share and average won deal are recomputed from its sums
    (`smk.presentation.top_rows`), so each dimension still adds up to the window's won
    revenue. `mix` itself, the CSV export, keeps every value. The column `includes` is left
    out when no row pools values (no region "Other")."""
    if mix.empty:
        return mix
    if mix["includes"].isna().all():
        mix = mix.drop(columns="includes")
    total = float(mix.loc[mix["dimension"] == mix["dimension"].iloc[0], "won_revenue"].sum())
    return top_rows(
        mix,
        "won_revenue",
        rows,
        label="value",
        other="other ({n:,} {dimension}s)",
        sums=MIX_SUMS,
        within=["p", "dimension"],
        derive=lambda folded: _mix_rates(folded, total),
    )


def _mix_caveats(deals: pd.DataFrame, window: str, no_touchpoints: bool) -> list[str]:
    """What the marketing mix of `deals` (`mix_deals`) leaves out, in sentences."""
    caveats = []
    won, lacking = int(deals["is_won"].sum()), int(deals["without_amount"].sum())
    if lacking:
        row = {"deals_won": won, "deals_won_without_amount": lacking}
        counted = (
            "won revenue is unknown"
            if lacking == won
            else f"won revenue and the average won deal count the other {won - lacking}"
        )
        caveats.append(f"in {window}, {sla_mod.amount_gap(row, 'won_revenue')}: {counted}")
    if no_touchpoints:
        caveats.append("first-touch campaign unknown: the export has no touchpoints")
    return caveats


@checked_tables
def mix_caveats(mix: pd.DataFrame) -> str | None:
    """What `marketing_mix` leaves out, one sentence a line ("in the 12 months to 2026-10, 1
    of the 10 deals won has no amount: won revenue and the average won deal count the other
    9"; "first-touch campaign unknown: the export has no touchpoints"), or None."""
    return "\n".join(mix.attrs.get("caveats") or []) or None


@checked_tables
def no_won_deal_reason(mix: pd.DataFrame) -> str | None:
    """Why `marketing_mix` has no won revenue to show, as a sentence; None when it has some.

    "no deal was won in the 12 months to 2026-09: 3 deals closed, all lost", or that the deals
    won have no amount (their revenue is unknown, not zero).
    """
    if len(mix) and (mix["won_revenue"].astype(float).fillna(0) != 0).any():
        return None
    window = mix.attrs.get("window")
    where = f" in {window}" if window else " in the window"
    if not len(mix):
        return f"no deal closed{where}"
    one_view = mix[mix["dimension"] == mix["dimension"].iloc[0]]  # each view counts every deal
    closed, won = int(one_view["deals_closed"].sum()), int(one_view["deals_won"].sum())
    if won:
        deals = "deal" if won == 1 else f"{won} deals"
        return f"the {deals} won{where} {'has' if won == 1 else 'have'} no amount"
    if not closed:
        return f"no deal closed{where}"
    lost = "1 deal closed, lost" if closed == 1 else f"{closed} deals closed, all lost"
    return f"no deal was won{where}: {lost}"
