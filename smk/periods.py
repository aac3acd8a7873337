"""Report months: parse `YYYY-MM` (`as_month`, the one parser of month arguments: a Month, a
monthly Period or `YYYY-MM` text; a date is refused), resolve `latest` (the last month the data
covers from its first to its last working day), and give a month's UTC bounds.

Every analysis takes an explicit month (never "today"), so a re-run of an old report gives the
same numbers.
"""

from __future__ import annotations

import numbers
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from smk.checks import caller_stacklevel, checked_tables
from smk.errors import NoDataError

if TYPE_CHECKING:
    from smk.model import CRM  # smk.model imports this module

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_MONTH_LIKE = re.compile(r"\d{4}-\d{1,2}")  # a month label, not a date


@dataclass(frozen=True)
class Month:
    """A calendar month in UTC: `start` inclusive, `end` exclusive."""

    label: str  # "2026-10"

    def __post_init__(self) -> None:
        # `Month("2026-10-15")` would start on the 15th at 01:00 (pandas reads `-01` as an
        # offset): refuse any label that is not a month
        if not isinstance(self.label, str) or not _MONTH.fullmatch(self.label):
            raise ValueError(f"month must look like YYYY-MM (e.g. 2026-10), got {self.label!r}")

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(f"{self.label}-01", tz="UTC")

    @property
    def end(self) -> pd.Timestamp:
        return self.start + pd.offsets.MonthBegin(1)

    @property
    def previous(self) -> Month:
        return Month((self.start - pd.offsets.MonthBegin(1)).strftime("%Y-%m"))

    @property
    def year_ago(self) -> Month:
        return Month((self.start - pd.DateOffset(years=1)).strftime("%Y-%m"))

    def contains(self, times: pd.Series) -> pd.Series:
        """Mask of timestamps that fall in this month."""
        return (times >= self.start) & (times < self.end)

    def __str__(self) -> str:
        return self.label


def parse_month(text: str) -> Month:
    """`2026-10` -> Month; anything else raises ValueError with the expected form."""
    if not isinstance(text, str):
        raise ValueError(f"month must look like YYYY-MM (e.g. 2026-10), got {text!r}")
    return as_month(text)


def is_latest(value) -> bool:
    """Whether a month argument is `latest` (any case, spaces around), which `resolve_month`
    resolves to the last month the export covers."""
    return isinstance(value, str) and value.strip().lower() == "latest"


def as_month(value: Month | pd.Period | str) -> Month:
    """A month argument as a `Month`: a Month, a monthly `pd.Period` or `YYYY-MM` text.

    Anything else (a date, a timestamp, `2026-9`, `Oct 2026`) raises ValueError: a day would
    silently move the month's bounds. `latest` needs the export: `resolve_month`.
    """
    if isinstance(value, Month):
        return value
    if isinstance(value, pd.Period) and value.freqstr in ("M", "ME"):
        return Month(value.strftime("%Y-%m"))
    if is_latest(value):
        raise ValueError(
            "month 'latest' depends on the export: resolve it first with "
            "smk.periods.resolve_month(crm, 'latest')"
        )
    hint = " (for the month of a date, pass f'{date:%Y-%m}')" if not isinstance(value, str) else ""
    if not isinstance(value, str) or not _MONTH.fullmatch(value.strip()):
        raise ValueError(f"month must look like YYYY-MM (e.g. 2026-10), got {value!r}{hint}")
    return Month(value.strip())


def period_words(month: Month | pd.Period | str, months: int | None = None) -> str:
    """The period of a figure that ends with the report `month`, in words a reader knows:
    "12 months to Oct 2026" (`months` calendar months up to the month's end), "Oct 2026"
    (one month) or "all time to Oct 2026" (`months` None: every record up to its end)."""
    end = f"{as_month(month).start:%b %Y}"
    if months is None:
        return f"all time to {end}"
    return end if int(months) == 1 else f"{int(months)} months to {end}"


#: A record more than a month away from every other, with at most one record in this many
#: beyond it, is a stray date (a mistyped year, a 1970 placeholder), not the data's edge.
#: An export of a thousand records or more may hold max(records // 1000, `_MIN_STRAYS`) of
#: them (two mistyped calls in 1,200 records are still typos); a smaller one none.
STRAY_GAP = pd.Timedelta(days=31)
_YEAR = pd.Timedelta(days=366)
_STRAY_SHARE = 1000
_MIN_STRAYS = 3


def as_of_time(as_of) -> pd.Timestamp:
    """An as-of (observation end) argument as a UTC timestamp, the same in every analysis.

    A `Month` (or a monthly `pd.Period`) means its end (exclusive: everything in the month
    counts), as the notebooks pass ``report_month.end``; a date or time without a zone is UTC.
    Anything else (a missing value, text that is no date) is a ValueError naming `as_of`.
    """
    if isinstance(as_of, Month):
        return as_of.end
    if isinstance(as_of, pd.Period):
        if as_of.freqstr.startswith("M"):
            return as_month(as_of).end
        raise ValueError(
            f"as_of must be a date or time or a periods.Month, got the period {as_of} "
            f"({as_of.freqstr}): give its end ({as_of.end_time.ceil('D'):%Y-%m-%d}) or a Month"
        )
    if isinstance(as_of, str):
        as_of = _date_text(as_of)
    if isinstance(as_of, np.datetime64) and np.datetime_data(as_of.dtype)[0] in ("Y", "M"):
        raise ValueError(_month_as_of(str(as_of)))  # numpy's '2026-10' is its first day
    if isinstance(as_of, numbers.Number):  # 2026 was 2026 ns after 1970
        raise ValueError(f"as_of must be a date or time or a periods.Month, got {as_of!r}")
    try:
        ts = pd.Timestamp(as_of)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"as_of must be a date or time (e.g. '2026-11-01' or a month's end) or a "
            f"periods.Month (meaning its end), got {as_of!r}"
        ) from exc
    if pd.isna(ts):
        raise ValueError(f"as_of must be a date or time or a periods.Month, got {as_of!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


_QUARTER = re.compile(r"\d{4}\s*-?\s*Q[1-4]|Q[1-4]\s*-?\s*\d{4}|[1-4]Q\s*\d{4}", re.I)
# dots: day first, everywhere ("1.10.2026", "1. 10. 26", "1.10.2026.")
_DAY_FIRST = re.compile(r"\d{1,2}\.\s*\d{1,2}\.\s*(?:\d{4}|\d{2})\.?(?:[ T].*)?")
_DOTTED = re.compile(r"(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4}|\d{2})\.?(.*)")
_SLASHED = re.compile(r"(\d{1,2})([/-])(\d{1,2})[/-](\d{4}|\d{2})(?:[ T].*)?")


def _date_text(text: str) -> str | pd.Timestamp:
    """An as-of date written as text, refused where pandas would read it as another day: a
    quarter or a month (its first day, where an as-of of a month means its end), a day without
    a year (the year 1), a slashed date that reads both ways (1/10/2026). Dotted dates are day
    first (1.10.2026 is 1 October, as written everywhere dots are used); other text is left
    to pandas."""
    if _QUARTER.fullmatch(text.strip()):
        raise ValueError(  # pandas reads '2026Q4' as 1 October
            f"as_of must be a date or time or a periods.Month, got the quarter {text!r}: give "
            "the day after it (e.g. '2027-01-01' for 2026Q4)"
        )
    if _without_year(text):
        raise ValueError(f"as_of must be a date or time, got {text!r}, which names no full date")
    if names_no_day(text):
        raise ValueError(_month_as_of(text))
    if _DAY_FIRST.fullmatch(text.strip()):
        day, month, year, rest = _DOTTED.match(text.strip()).groups()
        year = f"20{year}" if len(year) == 2 else year
        try:  # day.month.year, strictly: 10.31.2026 is no date, not 31 October
            return pd.Timestamp(f"{year}-{int(month):02d}-{int(day):02d}{rest.rstrip('.')}")
        except (ValueError, OverflowError) as exc:  # 31.02.2026
            raise ValueError(f"as_of {text!r} is no date (day.month.year): {exc}") from None
    slashed = _SLASHED.fullmatch(text.strip())
    first, second = (int(slashed[1]), int(slashed[3])) if slashed else (0, 0)
    if slashed and slashed[2] == "-" and len(slashed[4]) == 2:  # 26-10-31: which is the year?
        raise ValueError(f"as_of {text!r} reads several ways: write the date as YYYY-MM-DD")
    if slashed and max(first, second) <= 12 and first != second:  # January or October?
        raise ValueError(
            f"as_of {text!r} reads as a day or a month first: write the date as YYYY-MM-DD "
            "(e.g. '2026-10-01')"
        )
    return text


def _without_year(text: str) -> bool:
    """Whether date text names no year ('31 Oct'): pandas would read it as the year 1."""
    import datetime as dt

    from dateutil import parser

    try:
        years = {parser.parse(text, default=dt.datetime(y, 1, 1)).year for y in (2000, 2004)}
    except (ValueError, OverflowError):
        return False
    return len(years) > 1


def names_no_day(text: str) -> bool:
    """Whether date text names no day ('2026-10', '2026/10', 'Oct 2026'): pandas reads it as
    the month's first day, where an as-of date of a month means its end."""
    import datetime as dt

    from dateutil import parser

    if _MONTH_LIKE.fullmatch(text.strip()):
        return True
    try:
        days = {parser.parse(text, default=dt.datetime(2000, 1, d)).day for d in (3, 27)}
    except (ValueError, OverflowError):
        return False  # pandas decides
    return len(days) > 1  # the default day showed through: the text has none


def _month_as_of(text: str) -> str:
    try:
        month = as_month(pd.Timestamp(text).strftime("%Y-%m"))
        ends = f"periods.Month({month.label!r}) or the day after it ('{month.end:%Y-%m-%d}')"
    except (ValueError, TypeError):
        ends = "a periods.Month or the day after the month ('2026-11-01' for October)"
    return (
        f"as_of must be a date or time, got {text!r}, which names no day (pandas reads it as "
        f"the month's first day): for the end of the month give {ends}"
    )


#: The column that dates each table's records, the export's activity (`dated_records`)
DATED_COLUMNS = {
    "contacts": "created_at",
    "deals": "created_at",
    "touchpoints": "occurred_at",
    "activities": "occurred_at",
}


@checked_tables
def dated_records(crm: CRM) -> dict[str, pd.Series]:
    """The timestamps that date the export's activity, per table (missing ones left out)."""
    return {t: getattr(crm, t)[c].dropna() for t, c in DATED_COLUMNS.items()}


@checked_tables
def stage_dates_beyond_records(crm: CRM) -> bool:
    """Whether a contact's stage date lies before every other dated record of the export
    (`DATED_COLUMNS`), or more than a month after them all: only then may one be a stray
    (`stray_masks`, which costs a pass over every table). Minima and maxima, NaT skipped:
    cheap on ten million touches."""
    edges = [(s.min(), s.max()) for s in (getattr(crm, t)[c] for t, c in DATED_COLUMNS.items())]
    edges = [edge for edge in edges if pd.notna(edge[0])]  # a table without any date
    stages = [(s.min(), s.max()) for s in stage_dates(crm).values() if len(s)]
    if not edges or not stages:
        return False
    first, last = min(lo for lo, _ in edges), max(hi for _, hi in edges)
    return any(lo < first or hi > last + STRAY_GAP for lo, hi in stages)


@checked_tables
def stage_date_columns(contacts: pd.DataFrame) -> list[str]:
    """The contacts' stage-date columns (`became_<stage>_at`), in their order."""
    return [c for c in contacts.columns if c.startswith("became_") and c.endswith("_at")]


@checked_tables
def stage_dates(crm: CRM) -> dict[str, pd.Series]:
    """The contacts' stage dates per column, as `contacts.became_<stage>_at` (missing ones left
    out): when a contact became a lead, an MQL, ...; not in `dated_records`, so that they
    move no edge of `data_span`."""
    contacts = crm.contacts
    return {f"contacts.{c}": contacts[c].dropna() for c in stage_date_columns(contacts)}


@checked_tables
def dates_start(crm: CRM) -> pd.Timestamp:
    """Where the export's dates begin, its stage dates (`stage_dates`) included: the first of
    them and of `dated_records` taken together, by `data_span`'s rule (strays left out). A
    series by a contact's stage date (MQLs per month) begins no earlier: a `became_mql_at` of
    1970 adds no half century of empty months. Raises ValueError when nothing is dated."""
    stamps = [s for s in (*dated_records(crm).values(), *stage_dates(crm).values()) if len(s)]
    if not stamps:
        raise _nothing_dated(crm)
    return _edge(stamps, _strays_allowed(sum(map(len, stamps))), newest=False)


#: Sales activities that may be dated ahead of the export: a meeting booked for next week, a
#: task's due date. They do not stretch the data's end (`data_span`).
SCHEDULED_TYPES = ("meeting", "task")


def _nothing_dated(crm: CRM) -> ValueError:
    """The error of an export without a dated record; when the load left files unread (an
    export read in another CRM's format: a Salesforce folder read as canonical keeps its
    spend only), it names them, the likelier cause than an export without dates."""
    unread = crm.quality.unread
    why = ""
    if unread:
        shown = ", ".join(unread[:5]) + (", ..." if len(unread) > 5 else "")
        why = (
            f"; {len(unread)} of its files were not read as a {crm.format or 'CRM'} export "
            f"({shown}): is that the export's format?"
        )
    return ValueError(f"the export {crm.source} has no dated records{why}")


@checked_tables
def scheduled_ahead(crm: CRM, stamps: pd.Series) -> pd.Series:
    """Which of the activities' dated records (`stamps`: `dated_records`' activities, the
    dated rows in their order) are of a type that may be scheduled ahead. By position: an
    index with repeated labels (frames concatenated) cannot be aligned by label."""
    acts = crm.activities
    dated = acts["occurred_at"].notna().to_numpy()
    scheduled = acts["type"].isin(SCHEDULED_TYPES).fillna(False).to_numpy(dtype=bool)
    return pd.Series(scheduled[dated], index=stamps.index)


@checked_tables
def data_span(crm: CRM) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last timestamp of activity in the export (contacts, deals, touches, work).

    Stray dates do not stretch the span: records a month or more beyond all the others,
    at most one in a thousand (and at least three in an export of 1,000 records or more) out
    there (calls mistyped as 2036), are left outside, so that `latest` still names the month
    the export ends in. Smaller exports have no strays: too few records to tell.
    """
    dated = dated_records(crm)
    stamps = [s for s in dated.values() if len(s)]
    if not stamps:
        raise _nothing_dated(crm)
    strays = _strays_allowed(sum(map(len, stamps)))
    # meetings and tasks may be dated ahead (booked, due): the end is what has happened
    done = [s for t, s in dated.items() if t != "activities" and len(s)]
    acts = dated["activities"]
    done += [acts[~scheduled_ahead(crm, acts).to_numpy()]] if len(acts) else []
    done = [s for s in done if len(s)] or stamps  # only scheduled work: it is all there is
    return _edge(stamps, strays, newest=False), _edge(done, strays, newest=True)


@checked_tables
def stray_masks(crm: CRM) -> dict[str, pd.Series]:
    """Per table of `dated_records`, which of its dated records lie outside `data_span` (stray
    dates); empty when nothing in the export is dated. Accounts, which do not date the
    export's activity (a customer of 2019 is no stray), have a stray date only beyond its end
    (more than a month after it: an account made on the export's day is none). Per stage-date
    column (`stage_dates`: `contacts.became_mql_at`), the dates before `dates_start` (a 1970
    placeholder) or more than a month after the end (which `last_record` does not reach);
    in an export too small to tell strays from data (`data_span`'s rule), only placeholders
    (`PLACEHOLDER_END`)."""
    dated = dated_records(crm)
    if not any(len(s) for s in dated.values()):
        return {}
    first, last = data_span(crm)
    masks = {t: (s < first) | (s > last) for t, s in dated.items()}
    acts = dated["activities"]
    if len(acts):  # a meeting booked ahead is no stray; one a year ahead is a mistyped date
        ahead = scheduled_ahead(crm, acts).to_numpy() & (acts <= last + _YEAR).to_numpy()
        masks["activities"] = masks["activities"] & ~ahead
    masks["accounts"] = crm.accounts["created_at"].dropna() > last + STRAY_GAP
    stages, start = stage_dates(crm), dates_start(crm)
    if not _strays_allowed(sum(map(len, dated.values()))):  # too few to tell: placeholders
        return masks | {c: s < start for c, s in stages.items()}
    return masks | {c: (s < start) | (s > last + STRAY_GAP) for c, s in stages.items()}


@checked_tables
def stray_dates(crm: CRM) -> dict[str, int]:
    """Per table (and stage-date column), the number of stray dates (`stray_masks`; those
    with none left out)."""
    return {t: int(m.sum()) for t, m in stray_masks(crm).items() if m.any()}


def _strays_allowed(records: int) -> int:
    """How many of an export's `records` may be strays: one in `_STRAY_SHARE`, at least
    `_MIN_STRAYS`; none in an export of fewer than `_STRAY_SHARE` (too few to tell)."""
    strays = records // _STRAY_SHARE
    return max(strays, _MIN_STRAYS) if strays else 0


#: Dates up to this one are placeholders, never data, in an export of any size: a blank Unix
#: time (1970-01-01) or an older default (Excel's 1900-01-01); an export of fewer than
#: `_STRAY_SHARE` records has no other strays (`_strays_allowed`)
PLACEHOLDER_END = pd.Timestamp("1970-01-02", tz="UTC")


def _edge(stamps: list[pd.Series], strays: int, newest: bool) -> pd.Timestamp:
    """The newest (oldest) timestamp once at most `strays` records beyond a gap are left out;
    the oldest is never a placeholder (`PLACEHOLDER_END`) while a later date exists."""
    if not newest:
        real = [s[s >= PLACEHOLDER_END] if s.min() < PLACEHOLDER_END else s for s in stamps]
        stamps = [s for s in real if len(s)] or stamps
    pick = pd.Series.nlargest if newest else pd.Series.nsmallest
    edge = pd.concat([pick(s, strays + 1) for s in stamps]).sort_values(ascending=not newest)
    edge = edge.iloc[: strays + 1].reset_index(drop=True)
    gaps = np.flatnonzero((edge.diff().abs() > STRAY_GAP).to_numpy())  # between i - 1 and i
    return edge.iloc[gaps.max() if len(gaps) else 0]


@checked_tables
def warn_if_after_data(
    as_of: pd.Timestamp, end: pd.Timestamp | None, judged: str, crm: CRM | None = None, week=None
) -> None:
    """Warn when an explicit as-of date lies a working day or more after the end of the data
    (`end`): the windows that close in between are `judged` as if nothing happened then, true
    only if the export was taken at `as_of`. Nothing is changed: the caller may know that it
    was (a quiet CRM), or may have passed the end of a month the export ends inside.

    A weekend (of `week`, `working_days`) between the data's last record and `as_of` is no
    gap (`latest_full_month` counts a month complete when the data reaches its last working
    day). With `crm`, the warning names the month `latest` gives, or says that the export
    covers none to its end yet, rather than send the reader to a month that does not exist.
    """
    if end is None or as_of <= end:
        return
    skipped = _begun_days(local_day(end, week) + pd.Timedelta(days=1), as_of, week)
    if not working_days(skipped, week).any():
        return
    advice = "in a report: choose a month the export covers to its end, if it covers one"
    if crm is not None:
        advice = _gap_advice(crm, week)
    warnings.warn(
        f"as_of {as_of:%Y-%m-%d %H:%M} UTC lies {len(skipped)} day"
        f"{'s' if len(skipped) != 1 else ''} after the export's last record "
        f"({end:%Y-%m-%d %H:%M} UTC): {judged}, true only if the export was taken at as_of "
        f"({advice})",
        UserWarning,
        stacklevel=caller_stacklevel(),
    )


def _begun_days(first: pd.Timestamp, as_of: pd.Timestamp, week=None) -> pd.DatetimeIndex:
    """The team's days from `first` (a `local_day`) whose working day began before `as_of`:
    at `week`'s `workday_start` in its `timezone` (an `smk.sla.SLA`'s; None: midnight UTC).
    A UTC month's end is 02:00 of the next day in Berlin, before its work, and 20:00 of the
    month's last day in New York, after it: that day is missed there, not in Berlin."""
    zone = getattr(week, "timezone", "UTC")
    clock = str(getattr(week, "workday_start", "00:00")).split(":")
    begins = pd.Timedelta(hours=int(clock[0]), minutes=int(clock[1]))
    days = pd.date_range(first, local_day(as_of, week))
    starts = (days + begins).tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
    return days[starts < as_of]


def _stamps_ns(values: pd.Series) -> np.ndarray:
    """Timestamps as int64 UTC nanoseconds (NaT: the smallest int64, before every date)."""
    if values.dtype == "datetime64[ns, UTC]":  # the model's: its nanoseconds as they are
        return np.asarray(values.array.asi8)
    stamps = pd.to_datetime(values, utc=True)
    if stamps.dtype != "datetime64[ns, UTC]":
        stamps = stamps.astype("datetime64[ns, UTC]")
    return np.asarray(stamps.array.asi8)


def is_date_only(ns: np.ndarray) -> np.ndarray:
    """Which timestamps (int64 UTC nanoseconds) are calendar dates: exactly 00:00:00 UTC,
    where the loaders place a value written without a time of day (Salesforce's `CloseDate`,
    a HubSpot stage date exported as a date; `docs/data-model.md`). A time of exactly
    midnight UTC reads as a date too: the data cannot tell the two apart. NaT (either int64
    end, as `_stamps_ns` or `smk.funnel` write it) is no date."""
    ns = np.asarray(ns, dtype=np.int64)
    edge = np.iinfo(np.int64)
    return (ns % _DAY_NS == 0) & (ns != edge.min) & (ns != edge.max)


def day_start_in(times: pd.Series, timezone: str) -> pd.Series:
    """`times` with each calendar date (`is_date_only`) moved to the start of that date in
    `timezone` (a team's local day: the SLA's `timezone`); a time of day is kept. A date
    stands for the whole local day: Tokyo's morning of 6 October (5 October 23:30 UTC) is on
    the date 2026-10-06, and New York's evening of 5 October (6 October 02:00 UTC) is not.
    A midnight the clocks skip starts the day at the first time after the gap."""
    dated = is_date_only(_stamps_ns(times))
    if not dated.any():
        return times
    days = pd.DatetimeIndex(times[dated]).tz_localize(None)
    starts = days.tz_localize(
        timezone, ambiguous=np.ones(len(days), dtype=bool), nonexistent="shift_forward"
    ).tz_convert("UTC")
    out = times.copy()
    out[dated] = starts
    return out


@checked_tables
def last_record(crm: CRM) -> pd.Timestamp:
    """The time of the export's last event: the end of `data_span`, or a later stage date
    (`became_<stage>_at`: a lifecycle update on the export's day, an MQL with nothing else
    logged) within a month after it (one further out is a mistyped date, not data). `latest`,
    the SLA's default as-of (`data_end`) and the scorecard's coverage all end here. A deal's
    close date does not count: a CRM lets a deal be closed with a close date ahead (the
    quarter's end), which the export would then seem to reach. Raises ValueError when nothing
    in the export is dated."""
    _, last = data_span(crm)
    edge, limit = last.value, (last + STRAY_GAP).value
    contacts = crm.contacts
    for column in stage_date_columns(contacts):  # on the int64 view: cheap on a million
        ns = _stamps_ns(contacts[column])
        near = ns[(ns > edge) & (ns <= limit)]  # NaT (the smallest int64) is never near
        edge = max(edge, int(near.max())) if len(near) else edge
    return pd.Timestamp(edge, tz="UTC")


@checked_tables
def data_end(crm: CRM) -> pd.Timestamp | None:
    """Just after the export's last event (`last_record`, exclusive), or None when nothing in
    it is dated: the as-of date of an analysis that is given none."""
    try:
        return last_record(crm) + pd.Timedelta(1, "ns")
    except ValueError:  # nothing dated: nothing to cut
        return None


@checked_tables
def latest_full_month(crm: CRM, week=None) -> Month:
    """The last calendar month whose end the export reaches.

    A month counts as complete when the data (`last_record`) reaches its last working day of
    `week` (`working_days`; None: Monday to Friday, as a B2B export often has nothing on a
    weekend, and October 2026 ends on a Saturday); an export taken on 2026-11-03 gives
    2026-10, one whose last record is from Thursday 2026-10-29 gives 2026-09. The month may
    still begin before the data (see `latest_month`).
    """
    last = last_record(crm)
    month = Month(last.strftime("%Y-%m"))
    return month.previous if ends_inside(month, last, week) else month


@checked_tables
def latest_month(crm: CRM, week=None) -> Month | None:
    """The month `latest` names: the last one the export covers from its first working day to
    its last (`latest_full_month`, when the data do not start inside it) that is no gap in
    the export (`empty_months`), or None when the export covers no full month yet (a CRM
    younger than a month or two). `week`: the working week (`working_days`)."""
    first, _ = data_span(crm)
    month, gaps = latest_full_month(crm, week), empty_months(crm)
    while month in gaps:
        month = month.previous
    return None if starts_inside(month, first, week) else month


def working_days(days: pd.DatetimeIndex, week=None) -> np.ndarray:
    """Which of `days` are working days of `week`: anything with a numpy `weekmask` and
    `holidays` (ISO dates), such as the report's `smk.sla.SLA` (a Sunday-to-Thursday team,
    a holiday at a month's end); None: Monday to Friday, no holidays. Dates are the team's
    days: a timestamp falls on its `local_day`."""
    if week is None:
        return np.asarray(days.day_of_week < 5)
    dates = np.asarray(days.date, dtype="datetime64[D]")
    return np.is_busday(dates, weekmask=week.weekmask, holidays=list(week.holidays))


def local_day_start(times: pd.Series, timezone: str) -> pd.Series:
    """The start (in UTC) of the day of `timezone` each of `times` falls on, a date written
    without a time of day (`is_date_only`) on that date (`day_start_in`); NaT stays NaT."""
    times = day_start_in(times, timezone)
    dates = times.dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
    return day_start_in(dates.dt.tz_localize("UTC"), timezone)


def local_day(stamp: pd.Timestamp, week=None) -> pd.Timestamp:
    """The calendar day (midnight, without a zone) `stamp` falls on for `week`'s team: its
    date in the team's `timezone` (an `smk.sla.SLA`'s; else UTC), the dates its `holidays`
    name. Tokyo's working morning of 30 October is 29 October 23:30 UTC. A date written
    without a time of day (`is_date_only`) is that date in any zone, not the evening before
    west of UTC."""
    if is_date_only(np.array([stamp.value]))[0]:  # a date: that day in any zone
        return stamp.tz_localize(None)
    zone = getattr(week, "timezone", "UTC")
    return stamp.tz_convert(zone).tz_localize(None).normalize()


def starts_inside(month: Month, first: pd.Timestamp, week=None) -> bool:
    """Whether data that begin at `first` begin inside `month` or after it: a working day of
    the month (of `week`, `working_days`; None: Monday to Friday) lies before them. Data from
    the month's first working day cover it (a month that begins on a weekend is covered from
    the first working day after)."""
    start = month.start.tz_localize(None)
    before = pd.date_range(start, local_day(first, week), inclusive="left")
    return bool(month.end <= first or working_days(before, week).any())


def ends_inside(month: Month, last: pd.Timestamp, week=None) -> bool:
    """Whether data whose last record is at `last` end inside `month` or before it: a working
    day of the month (of `week`, `working_days`; None: Monday to Friday) lies wholly after
    the day of `last`. Data that reach the month's last working day cover it to its end
    (`latest_full_month`'s rule: October 2026 ends on a Saturday, and data to Friday the 30th
    cover it; July 2026 of a Sunday-to-Thursday team ends with Thursday the 30th)."""
    after_last = local_day(last, week) + pd.Timedelta(days=1)
    after = pd.date_range(after_last, month.end.tz_localize(None), inclusive="left")
    return bool(last < month.start or working_days(after, week).any())


def _record_stamps(crm: CRM) -> list[pd.Series]:
    """Every date that records something happened in the export, NaT where there is none:
    `dated_records`' columns but the meetings and tasks (`SCHEDULED_TYPES`: booked or due
    before the month came, they are in an export that lost it), the deals' close dates and
    the contacts' stage dates (`became_<stage>_at`)."""
    dated = {t: getattr(crm, t)[c] for t, c in DATED_COLUMNS.items()}
    scheduled = crm.activities["type"].isin(SCHEDULED_TYPES).fillna(False).to_numpy(dtype=bool)
    dated["activities"] = dated["activities"][~scheduled]
    stages = [crm.contacts[c] for c in stage_date_columns(crm.contacts)]
    return [*dated.values(), crm.deals["closed_at"], *stages]


#: The fewest records the nearest month before a month without any must hold for it to be a
#: gap (`empty_months`; the month after may be the export's last, a few days). Records come in
#: bunches (a lead brings its stage dates, touches, calls and deal: some ten records), so a
#: small company's quiet month, one without a new lead, is no rarity at 20 records a month,
#: nor are the quiet months of a migrated CRM's early years; after a month of 100 (some ten
#: leads and their work), a month without a single touch, call or deal is a hole in the export.
_GAP_RATE = 100


@checked_tables
def empty_months(crm: CRM) -> list[Month]:
    """The months of the export's span (`data_span` to `last_record`, the months a report may
    name) in which it dates no record at all (no contact created or moved to a stage, no
    touch, no sales activity, no deal created or closed), after a month of `_GAP_RATE`
    records or more: a gap in the export (a sync that failed, a file lost), not a quiet
    month. Months before the span (a migrated CRM's history) or after it (meetings
    booked ahead) are no gaps. Empty when nothing is dated. Counted by day, then by month
    (`_records_per_month`: about as cheap as a pass over the touches); the span, which costs
    more, only when some month between the first and last record has none."""
    counts = _records_per_month(crm)
    if counts.all():  # every month from the first record to the last has one
        return []
    first, last = data_span(crm)[0].strftime("%Y-%m"), last_record(crm).strftime("%Y-%m")
    span = counts.loc[first:last]
    held = span[span.to_numpy() > 0]  # the last month has records: one follows every gap
    before = held.reindex(span.index).ffill()  # the nearest month before with records
    busy = before.ge(_GAP_RATE).to_numpy()  # after a sparse month: a quiet one
    return [Month(label) for label in span.index[span.eq(0).to_numpy() & busy]]


@checked_tables
def gaps_note(crm: CRM, months: Iterable[Month | str]) -> str | None:
    """The line above a page's monthly tables that span a gap in the export (`empty_months`):
    the rows of such months hold zeros nobody measured; None when they span none."""
    shown = {as_month(m).label for m in months}
    gaps = [m.label for m in empty_months(crm) if m.label in shown]
    if not gaps:
        return None
    rows = "the row of that month" if len(gaps) == 1 else "the rows of those months"
    hold = "holds" if len(gaps) == 1 else "hold"
    return (
        f"the export has no record dated in {', '.join(gaps)}, a gap in the export (a failed "
        f"sync, a lost file): {rows} in the monthly tables and charts below {hold} zeros "
        "nobody measured"
    )


#: The column `mark_gaps` appends to a published monthly table: True on a gap month's rows.
GAP_COLUMN = "export_gap"


@checked_tables
def mark_gaps(crm: CRM, table: pd.DataFrame, column: str = "month") -> pd.DataFrame:
    """`table` (one or more rows a month, `YYYY-MM` in `column`) with `GAP_COLUMN` appended
    last: True on the rows of a gap in the export (`empty_months`), False on the others. A
    CSV read without its page (a BI tool) so tells a gap's zeros nobody measured from a
    month's real ones; the columns before keep their places."""
    gaps = [m.label for m in empty_months(crm)]
    return table.assign(**{GAP_COLUMN: table[column].astype("string").isin(gaps).to_numpy()})


@checked_tables
def require_records(crm: CRM, month: Month) -> None:
    """Raise `NoDataError` when the export dates no record in `month` (`empty_months`): a gap
    in the export, whose figures would be zeros nobody measured; a page stopped so says why
    (`gap_text`) instead of publishing them."""
    if month in empty_months(crm):
        raise NoDataError(f"{gap_text(month)}: no figures for {month}")


_DAY_NS = 86_400 * 10**9


def _records_per_month(crm: CRM) -> pd.Series:
    """How many records (`_record_stamps`) the export dates in each month from its first to
    its last, empty ones included, indexed by 'YYYY-MM' (empty when nothing is dated). Days
    are counted from the first a timestamp can be (`_FIRST_DAY`: NaT falls on it, and is
    dropped), so that ten million touches take one division and one `bincount`, no masking,
    no minimum."""
    per_day = np.zeros(1, dtype=np.int64)
    for values in _record_stamps(crm):
        if len(values):
            counts = np.bincount(_stamps_ns(values) // _DAY_NS - _FIRST_DAY)
            size = max(len(per_day), len(counts))
            per_day = np.pad(per_day, (0, size - len(per_day))) + np.pad(
                counts, (0, size - len(counts))
            )
    per_day[0] = 0  # NaT (and a timestamp of 1677-09-21, the first pandas can hold)
    held = np.flatnonzero(per_day)
    if not len(held):
        return pd.Series(dtype="int64")
    days = np.arange(held[0], held[-1] + 1) + _FIRST_DAY
    months = days.astype("datetime64[D]").astype("datetime64[M]")
    starts = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])  # each month's first day
    counts = np.add.reduceat(per_day[held[0] : held[-1] + 1], starts)
    return pd.Series(counts, index=months[starts].astype(str), dtype="int64")


#: The day of the first timestamp pandas holds, 1677-09-21, where NaT's nanoseconds (the
#: smallest int64) fall too, in days since 1970-01-01 (`_records_per_month`)
_FIRST_DAY = np.iinfo(np.int64).min // _DAY_NS


#: how `gap_text` begins (`is_gap_text`)
GAP_TEXT_START = "the export has no record dated in "


def gap_text(month: Month) -> str:
    """What the report says of a month the export dates no record in (`empty_months`)."""
    return (
        f"{GAP_TEXT_START}{month} (no contact, stage change, touch, activity or deal), while "
        "the months before and after have some: likely a gap in the export (a failed sync, a "
        "lost file)"
    )


def is_gap_text(text: str) -> bool:
    """Whether a month's coverage text (`month_coverage`) says it is a gap (`gap_text`), not
    a month the export covers in part."""
    return text.startswith(GAP_TEXT_START)


@checked_tables
def month_coverage(crm: CRM, month: Month, week=None) -> str | None:
    """Which part of `month` the export covers, when only a part: its data (`data_span` to
    `last_record`) start inside the month (`starts_inside`, the rule by which the scorecard
    does not compare with such a previous month) or end before its last working day
    (`ends_inside`, the rule by which `latest` skips such a month), working days of `week`
    (`working_days`; None: Monday to Friday): "the export covers only 2026-11-01 to
    2026-11-02 of 2026-11 (its data end on 2026-11-02)", or that it has no data in the month,
    or no record dated in it (`empty_months`: `gap_text`). None when it covers the whole
    month, or nothing is dated."""
    try:
        first, last = data_span(crm)[0], last_record(crm)
    except ValueError:  # nothing dated
        return None
    if month.end <= first or month.start > last:  # `resolve_month` refuses such a month
        span = f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
        return f"the export has no data in {month} (its data run from {span})"
    if month in empty_months(crm):
        return gap_text(month)
    starts, ends = starts_inside(month, first, week), ends_inside(month, last, week)
    if not (starts or ends):
        return None
    days = _month_days(month)
    first_day, last_day = local_day(first, week), local_day(last, week)
    if last_day < days[0] or first_day > days[-1]:  # in UTC only: none of the team's days
        when = (
            f"start on {first_day:%Y-%m-%d}"
            if first_day > days[-1]
            else f"end on {last_day:%Y-%m-%d}"
        )
        stamp = first if first_day > days[-1] else last
        return (
            f"the export covers none of {month}'s days in the team's time zone (its data "
            f"{when} there, {stamp:%Y-%m-%d %H:%M} UTC)"
        )
    since, until = max(first_day, days[0]), min(last_day, days[-1])
    why = [f"its data start on {_team_day(first, first_day)}"] if starts else []
    why += [f"its data end on {_team_day(last, last_day)}"] if ends else []
    return (
        f"the export covers only {since:%Y-%m-%d} to {until:%Y-%m-%d} of {month} "
        f"({' and '.join(why)})"
    )


def _team_day(stamp: pd.Timestamp, day: pd.Timestamp) -> str:
    """`day`, the team's day of `stamp` (`local_day`), with the UTC moment when that is on
    another date: the other pages date records by UTC days, as the months are."""
    if day == stamp.tz_convert("UTC").normalize().tz_localize(None):
        return f"{day:%Y-%m-%d}"
    return f"{day:%Y-%m-%d} in the team's time zone, {stamp:%Y-%m-%d %H:%M} UTC"


def _month_days(month: Month) -> pd.DatetimeIndex:
    """The calendar days of `month` (midnights without a zone), as `local_day` gives days."""
    return pd.date_range(
        month.start.tz_localize(None), month.end.tz_localize(None), inclusive="left"
    )


@checked_tables
def data_months(crm: CRM) -> list[Month]:
    """Every month the export's data reach into, from the first (`data_span`) to the last
    (`last_record`)."""
    first, _ = data_span(crm)
    labels = pd.period_range(first.strftime("%Y-%m"), last_record(crm).strftime("%Y-%m"), freq="M")
    return [Month(str(p)) for p in labels]


def _reached_months(crm: CRM, week=None) -> str:
    """The months the export reaches, each with the part it covers when not all of it, in
    the team's days (`local_day`, of `week`): "2026-09 (covered from 2026-09-16) or 2026-10
    (covered up to 2026-10-19)"; a month reached in UTC only says so."""
    first, last = data_span(crm)[0], last_record(crm)
    named = []
    for month in data_months(crm):
        starts, ends = month.contains(pd.Series([first, last])).tolist()
        days = _month_days(month)
        since, until = local_day(first, week), local_day(last, week)
        if (starts and since > days[-1]) or (ends and until < days[0]):
            named.append(f"{month} (reached in UTC only)")
            continue
        part = f" from {since:%Y-%m-%d}" if starts else ""
        part += f" {'to' if starts else 'up to'} {until:%Y-%m-%d}" if ends else ""
        named.append(f"{month} (covered{part})" if part else str(month))
    return " or ".join([", ".join(named[:-1]), named[-1]] if len(named) > 2 else named)


def day_text(stamp: pd.Timestamp, week=None) -> str:
    """The day `stamp` falls on for `week`'s team (`local_day`), as texts give it: with the
    UTC moment when that is on another date (`_team_day`), so that a text beside one in UTC
    days (a month's bounds, another page's) does not contradict it."""
    return _team_day(stamp, local_day(stamp, week))


@checked_tables
def month_advice(crm: CRM, week=None) -> str:
    """Which months to report, for a message that refuses one: exactly those `resolve_month`
    accepts, from the data's first month to its last (`data_months`), with the month `latest`
    gives and, when the last month is another, how far the export covers it; or, for an
    export that covers no month from start to end yet, the months it reaches, each with the
    part it covers (never 'latest' then). `week`: the working week (`working_days`)."""
    latest = latest_month(crm, week)
    if latest is None:
        return f"a month the export reaches in part, e.g. {_reached_months(crm, week)}"
    months = data_months(crm)
    last = months[-1]
    until = last_record(crm)
    if last == latest:
        part = ""
    elif local_day(until, week) < _month_days(last)[0]:  # none of the team's days of it
        part = f"{last} reached in UTC only; "
    else:
        part = f"{last} covered up to {day_text(until, week)}; "
    return f"a month from {months[0]} to {last} ({part}'latest' is {latest})"


def _gap_advice(crm: CRM, week=None) -> str:
    """For the as-of warning (`warn_if_after_data`): the months whose end the export reaches,
    which a report can choose to avoid the gap, or that there is none yet."""
    month = latest_full_month(crm, week)
    if month.end <= data_span(crm)[0]:
        return "in a report: the export reaches the end of no month yet"
    latest = " ('latest')" if latest_month(crm, week) == month else ""
    earlier = " or an earlier month" if data_months(crm)[0] != month else ""
    return f"in a report: choose {month}{latest}{earlier}, which the export covers to its end"


@checked_tables
def month_of(crm: CRM, value: Month | pd.Period | str, week=None) -> Month:
    """A month argument of an analysis of `crm`: `latest` resolved by the report's rule
    (`resolve_month`, working days of `week`), anything else as `as_month` reads it (not
    checked against the data: a month it does not reach gives unknown figures, not an
    error)."""
    if isinstance(value, str) and value.strip().lower() == "latest":
        return resolve_month(crm, value, week)
    return as_month(value)


@checked_tables
def resolve_month(crm: CRM, text: str, week=None) -> Month:
    """`latest` (`latest_month`) or a month (`as_month`), checked against the span of the
    data (`data_span` to `last_record`). A refusal says which months to name instead
    (`month_advice`), never `latest` when the export covers no full month yet. `week`: the
    working week whose days cover a month (`working_days`: the report's SLA; None: Monday
    to Friday)."""
    first, last = data_span(crm)[0], last_record(crm)
    span = f"{day_text(first, week)} to {day_text(last, week)}"
    if is_latest(text):
        month = latest_month(crm, week)
        if month is None:
            raise ValueError(
                f"the export covers no full month yet (its data run from {span}); name the "
                f"month to report, e.g. {_reached_months(crm, week)}"
            )
        return month
    month = as_month(text)
    if month.end <= first or month.start > last:
        raise ValueError(
            f"month {month} is outside the data ({span}); choose {month_advice(crm, week)}"
        )
    return month
