"""The marketing-sales service-level agreement: what each team promises, and whether it kept it.

Marketing promises a number of MQLs (and pipeline) per month; sales promises to work each MQL
quickly (first sales activity within `max_hours_to_first_activity`), to work nearly all of them,
and to accept (SQL) a share of them. `SLA` holds those settings (defaults below; a notebook passes
its parameters, a YAML file works through `SLA.from_yaml`).

Definitions (the generator's documented truth, `smk.synth`, uses the same ones for the MQLs
with a recorded date, bar "leaked" (below); its sales-sourced leads, which skip the stage, are
inferred MQLs here):

* An **MQL** is a contact that reached the funnel's MQL stage by `as_of`; its **MQL date** is the
  funnel's entry date of that stage (`smk.funnel.mql_entry_dates`, the one rule the funnel, the
  SLA and the scorecard's MQL count share): its recorded `became_mql_at`, unless a
  later stage was recorded earlier. So a contact that skipped the stage (a lead sales took
  straight to SQL) is an MQL from its next recorded stage, one with out-of-order dates (SQL
  20 Oct, MQL 2 Nov) from the earlier date, and one whose `lifecycle_stage` is mql or later
  without a date for it from its last recorded stage date, or its creation. Such an *inferred*
  date is flagged (`mql_date_inferred`). An MQL belongs to the UTC calendar month of its MQL
  date, so a month's MQLs here are the funnel's MQL row of that month.
* **Speed to lead**: time from the MQL date to the first sales activity (any type in
  `activity_types`) at or after it and before `as_of`. An inferred MQL (a lead sales took
  straight to SQL) that sales worked before its MQL date was answered at once (0 hours): sales
  already had it; `first_activity_at` still shows the work's own time. Calendar hours by
  default; with `business_hours=True` only the working hours of `timezone` count (weekdays in
  `weekmask`, not `holidays`, between `workday_start` and `workday_end`, daylight-saving
  changes included).
* **Worked** MQLs have such an activity; the **median** speed to lead is over worked MQLs.
* **Within SLA**: worked within the maximum time (counted as speed to lead is). An MQL's **SLA
  time has passed** (`sla_due`) once more than that time has elapsed from its MQL date to
  `as_of`, worked or not: no activity still to come could then be within it. Younger MQLs
  without activity are `sla_pending`. The **share within the SLA** is the MQLs within it over
  the MQLs whose SLA time has passed (`within_sla_due` / `sla_due` in `sla_by_month`): an MQL
  still inside its SLA time can only be known to be within it (worked already), never to have
  missed it, so counting it would bias the share (the not-yet-worked ones as misses, low, as
  until 2026-11-29; only the worked ones, high).
* **Leaked**: no sales activity within `leakage_days` of the MQL date, once those days have
  passed by `as_of`, whether or not sales worked it later (`first_activity_at` shows when);
  younger MQLs without activity are `leak_pending` (still inside the window). Every MQL is
  one of three: worked within the window, leaked, or pending. The **leakage rate** is leaked
  over the MQLs whose window has passed by `as_of` (`leak_due`): an MQL still inside it can
  only be known not to have leaked (worked already), never to have leaked, so counting the
  worked ones among them would bias the rate low. The generator's truth calls `leaked` only
  those never worked by design, and its `not_worked_by_end` (no activity by the cut-off) is
  what `worked` False counts.
* **Accepted**: reached SQL (or a later stage; see `smk.funnel` for skipped stages) by `as_of`.
  **Rejected**: not accepted, and either a rejection reason is recorded (the
  `rejection_reason_column`, when the export has one), the contact was set to lifecycle stage
  "other" (the CRM's own Other stage: not a custom stage smk does not know, which reads other
  too and keeps its name in `lifecycle_stage_raw`), or `acceptance_days` passed after the MQL
  date ("no SQL within N days"). The rest are open: still inside that window. The
  **acceptance rate** is accepted over all the month's MQLs, the share accepted *so far*:
  while MQLs are open it may still rise, so the scorecard judges the acceptance of the month
  the window spans back to (`acceptance_cohort`, `smk.scorecard`).
* **Pipeline created**: amount of deals created in the month, converted to one reporting
  currency; **from MQLs** (MQL-sourced) when the deal's contact had been a marketing-qualified
  lead on record before the deal: its own MQL date (`mql_recorded_at` of
  `smk.funnel.mql_entry_dates`: `became_mql_at`, not a date inferred from a later stage) at or
  before the deal's creation. A contact that skipped the stage (a lead sales took straight to
  SQL: sales-sourced) counts as an MQL in the funnel from its next stage, but its deals are
  not pipeline from MQLs: by the inferred date every contact with a deal would have been an MQL
  when the deal was created, and pipeline from MQLs would always equal pipeline created.
  An export that records no MQL date at all (`smk.funnel.records_mql_dates`) cannot tell
  which deals came from MQLs: pipeline from MQLs is unknown then (`NO_MQL_DATES`), not 0.
* **As of**: every figure is as known at an exclusive `as_of` (a report passes the end of its
  month). Without one, `mql_leads` judges at the end of the data (`data_end`: the last record,
  stray dates and meetings or tasks dated ahead left out, or a stage update within a month
  after it; `latest` ends there too): an MQL younger than its leakage or acceptance window
  then is still pending or open, never "leaked" or "rejected" because the window was taken as
  passed. An explicit `as_of` a working day or more after `data_end` warns that the windows
  closing in between count as passed.

Every figure is a count or a statistic over `mql_leads` rows, and `leads_behind` returns the rows
behind any figure, so each number can be traced to the leads that make it up.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import math
import re
import warnings
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from smk.checks import caller_stacklevel, check_bool, check_number, checked_tables, is_number
from smk.funnel import (
    UNKNOWN,
    NoDataError,
    _as_int,
    _as_of_ns,
    group_labels,
    mql_entry_dates,
    records_mql_dates,
    safe_ratio,
    segment_of,
    stage_entry_dates,
    team_of,
)
from smk.io.mapping import untold_deals
from smk.io.parse import listed_ids
from smk.io.validate import unnamed_currency
from smk.model import ACTIVITY_TYPES, CONTACT_LISTS, CRM, UNKNOWN_STAGE, no_rows_text
from smk.outputs import counted
from smk.periods import (
    Month,
    as_month,
    data_span,
    dated_records,
    dates_start,
    day_start_in,
    day_text,
    is_date_only,
    local_day,
    local_day_start,
    scheduled_ahead,
    warn_if_after_data,
    working_days,
)
from smk.periods import data_end as periods_data_end
from smk.pii import looks_like_personal_name, pseudonym, pseudonym_key
from smk.yaml_files import load_yaml

_NS_PER_HOUR = 3_600 * 10**9
_NEVER = np.iinfo("int64").max


@dataclass(frozen=True)
class SLA:
    """The agreed targets. Every field has a default; override any of them by keyword.

    Values are checked when the SLA is made (a ValueError names the setting). `mql_target` must
    be above 0: unlike `pipeline_target` and `revenue_target` it is not optional, and a target
    of 0 MQLs would mark every month "met", even one without a single MQL, so 0 is refused
    rather than read as "no target".
    """

    #: MQLs marketing delivers per month: above 0 (0 is refused: every month would be "met")
    mql_target: int = 60
    #: pipeline from MQLs per month (deals whose contact was an MQL on record before the
    #: deal: `deal_table`), reporting currency (None: no target)
    pipeline_target: float | None = None
    #: won revenue per month, reporting currency (None: no target)
    revenue_target: float | None = None
    #: sales' maximum time from MQL to first sales activity
    max_hours_to_first_activity: float = 24.0
    #: count only working hours of `timezone` (else calendar hours)
    business_hours: bool = False
    timezone: str = "UTC"
    workday_start: str = "09:00"
    workday_end: str = "17:00"
    weekmask: str = "Mon Tue Wed Thu Fri"
    #: local dates (YYYY-MM-DD) that are not working days (kept sorted, each once)
    holidays: tuple[str, ...] = ()
    #: share of MQLs sales must work within the maximum time
    share_to_work: float = 0.8
    #: an MQL without sales activity within this many days of its MQL date has leaked (even
    #: if worked later)
    leakage_days: float = 7.0
    #: highest acceptable share of leaked MQLs (of the MQLs not still inside the window)
    max_leakage_share: float = 0.05
    #: share of MQLs sales accepts as SQL
    acceptance_target: float = 0.4
    #: an MQL not accepted this many days after its MQL date counts as rejected
    acceptance_days: float = 30.0
    #: export column holding the reason sales rejected a lead (None: no such column)
    rejection_reason_column: str | None = None
    #: activity types that count as sales work
    activity_types: tuple[str, ...] = ACTIVITY_TYPES
    #: owner_id -> team (owners not listed: "other"; empty: everyone in "sales")
    teams: Mapping[str, str] = field(default_factory=dict)
    #: a figure within this relative distance of its target (on the wrong side) is "at risk"
    at_risk_margin: float = 0.1

    def __post_init__(self) -> None:
        for name in _NUMBERS:  # `mql_target: "60"` failed later, comparing text with counts
            value = getattr(self, name)
            optional = name in ("pipeline_target", "revenue_target")
            if not (is_number(value) or (optional and value is None)):
                kind = "a number or None" if optional else "a number"
                raise ValueError(f"SLA {name} must be {kind}, got {value!r}")
            whole = isinstance(value, int | np.integer)  # however large: no float overflow
            if value is not None and not whole and not math.isfinite(value):  # nan, inf
                raise ValueError(f"SLA {name} must be a finite number, got {value!r}")
        for name in ("mql_target", "pipeline_target", "revenue_target"):
            if (getattr(self, name) or 0) < 0:
                raise ValueError(f"SLA {name} cannot be negative, got {getattr(self, name)!r}")
        if not self.mql_target > 0:  # 0 is not "no target": it would make every month "met"
            raise ValueError(
                f"SLA mql_target must be above 0, got {self.mql_target!r}: a target of 0 MQLs a "
                "month would count every month as met, even one without a single MQL; give the "
                "MQLs marketing agreed to deliver per month (e.g. 60)"
            )
        # `business_hours="false"` counted working hours: text is true to Python
        object.__setattr__(
            self, "business_hours", check_bool("SLA business_hours", self.business_hours)
        )
        try:  # a mistyped zone failed later, deep in the business-hours code
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(
                f"SLA timezone {self.timezone!r} is no known time zone: give an IANA name such "
                "as 'Europe/Berlin' or 'UTC'"
            ) from None
        for name, most in _WINDOW_LIMITS.items():  # 1e30 days overflowed inside mql_leads
            if not 0 < getattr(self, name) <= most:
                raise ValueError(
                    f"SLA {name} must be positive and at most {most:,} (ten years), got "
                    f"{getattr(self, name)!r}"
                )
        for name in ("share_to_work", "max_leakage_share", "acceptance_target"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"SLA {name} is a share between 0 and 1, got {value!r}")
        object.__setattr__(self, "holidays", _dates(self.holidays))
        object.__setattr__(self, "activity_types", _activity_types(self.activity_types))
        _workday(self.workday_start, self.workday_end)  # validates
        object.__setattr__(self, "weekmask", _weekmask(self.weekmask))

    @classmethod
    def from_mapping(cls, settings: Mapping) -> SLA:
        """An SLA from a dict (unknown keys raise, naming the known ones)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(
                f"unknown SLA setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return cls(**dict(settings))

    @classmethod
    def from_yaml(cls, path: str | Path) -> SLA:
        """An SLA from a small YAML file of `setting: value` lines."""
        settings = load_yaml(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(settings, dict):
            raise ValueError(f"{path} must hold a mapping of SLA setting: value")
        return cls.from_mapping(settings)

    def replace(self, **changes) -> SLA:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["teams"] = dict(self.teams)
        out["holidays"] = list(self.holidays)
        out["activity_types"] = list(self.activity_types)
        return out


# ------------------------------------------------------------------------------ business hours
#: the SLA's numeric settings (`pipeline_target` and `revenue_target` may be None)
#: The SLA's windows, at most ten years: longer ones are typos, and overflow the nanosecond
#: timestamps they are added to.
_WINDOW_LIMITS = {
    "max_hours_to_first_activity": 87_600,
    "leakage_days": 3_650,
    "acceptance_days": 3_650,
}
_NUMBERS = (
    "mql_target", "pipeline_target", "revenue_target", "max_hours_to_first_activity",
    "share_to_work", "leakage_days", "max_leakage_share", "acceptance_target",
    "acceptance_days", "at_risk_margin",
)  # fmt: skip
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _activity_types(value) -> tuple[str, ...]:
    """The SLA's `activity_types` as the model writes them ("Call" is "call"; one type may be
    given as text), or a ValueError naming the unknown ones: a mistyped type (or "call" read
    letter by letter) left every MQL unworked without a word."""
    given = [value] if isinstance(value, str) else list(value)
    types = tuple(dict.fromkeys(str(t).strip().lower() for t in given))
    unknown = [t for t in given if str(t).strip().lower() not in ACTIVITY_TYPES]
    if unknown or not types:
        raise ValueError(
            f"SLA activity_types must name one or more of {', '.join(ACTIVITY_TYPES)}, got "
            f"{value!r}" + (f" ({', '.join(map(repr, unknown))} unknown)" if unknown else "")
        )
    return types


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def yaml_weekmask_hint(value) -> str:
    """A hint for a weekmask of 0s and 1s that YAML read as a number (`weekmask: 1111100`
    unquoted): ' (YAML read 1111100 as a number: write it in quotes, '1111100')', else ""."""
    if not isinstance(value, int) or isinstance(value, bool) or set(str(value)) - {"0", "1"}:
        return ""
    return f" (YAML read {value} as a number: write it in quotes, '{value:07d}')"


def _weekmask(value) -> str:
    """The working weekdays `value` names, as numpy's business days read them ("Sun Mon Tue
    Wed Thu", or seven 0/1 from Monday: "1111100"), in one spelling: the days' names from
    Monday ("Mon Tue Wed Thu Fri"), so that two spellings of one week are the same SLA. A
    ValueError for anything else (seven digits YAML read as a number: a hint to quote them), and
    for names that give a day twice ("Mon Mon Tue Wed Thu", which numpy reads as four days: a
    slip for another week, perhaps "Sun Mon Tue Wed Thu")."""
    try:
        days = np.busdaycalendar(weekmask=value).weekmask
    except (ValueError, TypeError):
        hint = yaml_weekmask_hint(value)
        raise ValueError(
            "SLA weekmask names the working weekdays, like 'Mon Tue Wed Thu Fri' (three-letter "
            f"names, capitalised) or '1111100' (Monday first), at least one; got {value!r}{hint}"
        ) from None
    named = re.findall("|".join(_WEEKDAYS), value) if isinstance(value, str) else []
    twice = [day for day in _WEEKDAYS if named.count(day) > 1]
    if twice:
        raise ValueError(
            "SLA weekmask names each working weekday once, like 'Mon Tue Wed Thu Fri'; got "
            f"{value!r}, which names {' and '.join(twice)} more than once"
        )
    return " ".join(day for day, on in zip(_WEEKDAYS, days, strict=True) if on)


def _dates(values) -> tuple[str, ...]:
    """Holidays as ISO dates, sorted, each once (the same holidays in another order are the
    same SLA); a text such as "2026-12-24, 2026-12-25" is split on commas.

    Text must be YYYY-MM-DD: `11/12/2026` is 11 December in Europe and 12 November in the
    US, and `Dec 24` has no year, so either is refused rather than read one way."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = [v for v in re.split(r"[\s,;\[\]\"']+", values) if v]
    out = []
    for value in values:
        try:
            if isinstance(value, str) and not _ISO_DAY.match(value.strip()):
                raise ValueError(value)
            if not isinstance(value, (str, datetime.date, np.datetime64)):
                raise TypeError(value)
            out.append(str(np.datetime64(pd.Timestamp(value).date(), "D")))
        except (ValueError, TypeError):
            raise ValueError(f"a holiday is a date like 2026-12-25, got {value!r}") from None
    return tuple(sorted(set(out)))


#: The SLA's times of day ("09:00"), which YAML 1.1 reads as numbers when not quoted.
CLOCK_SETTINGS = ("workday_start", "workday_end")


def yaml_clock_hint(value) -> str:
    """A hint for a time of day that YAML read as a number: unquoted, `17:00` is a base-60
    number to YAML 1.1 (PyYAML), 17 * 60 + 0 = 1020. ' ("17:00" read by YAML as 1020: write
    it in quotes)' for a whole number that can be one (60 to 1440), else ""."""
    if not isinstance(value, int) or isinstance(value, bool) or not 60 <= value <= 24 * 60:
        return ""
    hours, minutes = divmod(value, 60)
    return f' ("{hours:02d}:{minutes:02d}" read by YAML as {value}: write it in quotes)'


def _clock(text: str) -> pd.Timedelta:
    try:
        hours, minutes = str(text).split(":")
        value = pd.Timedelta(hours=int(hours), minutes=int(minutes))
    except ValueError:
        hint = yaml_clock_hint(text)
        raise ValueError(f"a time of day looks like 09:00, got {text!r}{hint}") from None
    if not pd.Timedelta(0) <= value <= pd.Timedelta(hours=24):
        raise ValueError(f"a time of day lies between 00:00 and 24:00, got {text!r}")
    return value


def _workday(start: str, end: str) -> tuple[pd.Timedelta, pd.Timedelta]:
    a, b = _clock(start), _clock(end)
    if not a < b:
        raise ValueError(f"the working day must start before it ends, got {start}-{end}")
    return a, b


def _utc_ns(times) -> np.ndarray:
    """Timestamps (Series, Index, array or scalar) as int64 UTC nanoseconds; NaT -> _NEVER."""
    if isinstance(times, pd.Series):
        return _as_int(times)
    series = pd.Series(pd.to_datetime(pd.Index(np.atleast_1d(times)), utc=True))
    return _as_int(series)


def business_hours_between(
    start,
    end,
    timezone: str = "UTC",
    workday_start: str = "09:00",
    workday_end: str = "17:00",
    weekmask: str = "Mon Tue Wed Thu Fri",
    holidays: Sequence[str] = (),
) -> np.ndarray:
    """Working hours elapsed between `start` and `end`, element-wise.

    Working time is the local window `workday_start`-`workday_end` of `timezone` on the days of
    `weekmask` that are not `holidays` (local dates). Each window is measured in real elapsed
    time, so a window that spans a daylight-saving change counts the hour that really passed.

    Parameters
    ----------
    start, end : tz-aware timestamps (Series, index or array; naive values are taken as UTC).
    timezone : IANA zone of the working day, e.g. "Europe/Berlin".
    workday_start, workday_end : local times "HH:MM" ("24:00" allowed as the end).
    weekmask : working weekdays, numpy busday style ("Mon Tue Wed Thu Fri" or "1111100").
    holidays : local dates that are not working days.

    Returns
    -------
    float64 array of hours; NaN where either timestamp is missing; negative when end < start.
    """
    a = _utc_ns(start)
    b = _utc_ns(end)
    if a.shape != b.shape:
        raise ValueError("start and end must have the same length")
    ok = (a != _NEVER) & (b != _NEVER)
    out = np.full(a.shape, np.nan)
    if not ok.any():
        return out
    day_start, day_end = _workday(workday_start, workday_end)
    both = np.concatenate([a[ok], b[ok]])
    local = pd.DatetimeIndex(both.view("datetime64[ns]")).tz_localize("UTC").tz_convert(timezone)
    days = local.tz_localize(None).normalize().to_numpy().astype("datetime64[D]")
    first, last = days.min(), days.max()
    calendar = np.arange(first, last + np.timedelta64(1, "D"), dtype="datetime64[D]")
    busy = np.is_busday(calendar, weekmask=weekmask, holidays=list(holidays))
    midnight = pd.DatetimeIndex(calendar.astype("datetime64[ns]"))

    def utc(offset: pd.Timedelta, first_occurrence: bool) -> np.ndarray:
        wall = midnight + offset
        stamps = wall.tz_localize(
            timezone,
            ambiguous=np.full(len(wall), first_occurrence),
            nonexistent="shift_forward",
        )
        return stamps.tz_convert("UTC").tz_localize(None).to_numpy().view("int64")

    open_at = utc(day_start, True)
    close_at = utc(day_end, False)
    length = np.where(busy, close_at - open_at, 0)
    before = np.concatenate([[0], np.cumsum(length)[:-1]])
    idx = (days - first).astype("int64")

    def elapsed(values: np.ndarray, index: np.ndarray) -> np.ndarray:
        inside = np.clip(values - open_at[index], 0, length[index])
        return before[index] + inside

    n = int(ok.sum())
    fa = elapsed(both[:n], idx[:n])
    fb = elapsed(both[n:], idx[n:])
    out[ok] = (fb - fa) / _NS_PER_HOUR
    return out


def _sla_hours(start: pd.Series, end: pd.Series, sla: SLA) -> np.ndarray:
    """Hours from each `start` to its `end` as `sla` counts them: working hours with
    `business_hours` (`business_hours_between`), else calendar hours; NaN where either is
    missing."""
    if sla.business_hours:
        return business_hours_between(
            start,
            end,
            sla.timezone,
            sla.workday_start,
            sla.workday_end,
            sla.weekmask,
            sla.holidays,
        )
    a, b = _utc_ns(start), _utc_ns(end)
    hours = (b.astype("float64") - a) / _NS_PER_HOUR
    return np.where((a != _NEVER) & (b != _NEVER), hours, np.nan)


# ------------------------------------------------------------------------------ first activity
def _first_answer(
    mqls: pd.DataFrame, activities: pd.DataFrame, since: pd.Series, as_of, sla: SLA
) -> pd.Series:
    """Each MQL's first sales activity at or after `since` (`first_activity_after`). A
    date-only activity (a Salesforce task's date: 00:00 UTC, the evening before west of UTC)
    is read at the start of that date in the team's time zone, as a date-only MQL date is
    (`day_start_in`), and answers an MQL of that local day whatever its time: the call may
    have come any time that day, so at the earliest, at once (`mql_leads` then reads it as
    0 hours). `as_of` cuts it by its date: a task dated the export's last day is in the
    export west of UTC too, and one dated after a month is not that month's work east of it."""
    stamps = activities["occurred_at"]
    dated = is_date_only(_as_int(stamps))
    types = sla.activity_types
    if not dated.any():
        return first_activity_after(mqls, activities, since, as_of, types)
    timed = first_activity_after(mqls, activities[~dated], since, as_of, types)
    dated &= _as_int(stamps) < _as_of_ns(as_of)
    days = activities[dated].assign(occurred_at=day_start_in(stamps[dated], sla.timezone))
    day_of = first_activity_after(mqls, days, local_day_start(since, sla.timezone), None, types)
    return timed.where(timed.notna() & ~(day_of < timed), day_of)


@checked_tables
def first_activity_after(
    contacts: pd.DataFrame,
    activities: pd.DataFrame,
    since: pd.Series,
    as_of: pd.Timestamp | str | None = None,
    activity_types: Sequence[str] | None = None,
) -> pd.Series:
    """Each contact's first sales activity at or after `since` (and before `as_of`).

    Returns a UTC datetime Series indexed like `contacts` (NaT: none, or `since` is missing).
    """
    cut = _as_of_ns(as_of)
    since_ns = _as_int(since)
    result = np.full(len(contacts), _NEVER, dtype="int64")
    acts = activities
    if activity_types is not None and len(acts):
        acts = acts[acts["type"].isin(list(activity_types))]
    wanted = since_ns != _NEVER
    if len(acts) and wanted.any():
        ids = pd.Index(contacts["contact_id"].to_numpy(dtype=object)[wanted])
        pos = ids.get_indexer(acts["contact_id"].to_numpy(dtype=object))
        rows = np.flatnonzero(wanted)
        hit = pos >= 0
        who = rows[pos[hit]]
        when = _as_int(acts["occurred_at"])[hit]
        keep = (when >= since_ns[who]) & (when < cut)
        who, when = who[keep], when[keep]
        if len(who):
            order = np.lexsort((when, who))
            who, when = who[order], when[order]
            first = np.concatenate([[True], who[1:] != who[:-1]])
            result[who[first]] = when[first]
    out = np.where(result == _NEVER, np.iinfo("int64").min, result).view("datetime64[ns]")
    return pd.Series(pd.DatetimeIndex(out).tz_localize("UTC"), index=contacts.index)


# ------------------------------------------------------------------------------ leads
@checked_tables
def data_end(crm: CRM) -> pd.Timestamp | None:
    """The default as-of date: just after the export's last event (`smk.periods.last_record`:
    its last dated record, stray dates left out, or a stage date within a month after it), or
    None when nothing in it is dated. `latest` ends there too.

    Windows (leakage, acceptance) still open at that moment are judged open, not passed.
    """
    return periods_data_end(crm)


#: Sales activities that end this many working days before the rest of the export stop early
#: (a partial export, or sales no longer logging their work); weekends and the SLA's holidays
#: do not count, so a bank-holiday weekend or a Christmas shutdown is no gap.
_EARLY_STOP_WORKING_DAYS = 3
#: The activities tables already warned about, by id, each with a weak reference that drops
#: its entry with the table: once per export, as a report's page calls mql_leads several times
#: (for other as-of dates too, which change the counts)
_WARNED: dict[int, weakref.ref] = {}


def _warn_if_activities_stop_early(
    crm: CRM, mql_at: pd.Series, worked: np.ndarray, cut: int, sla: SLA
) -> None:
    """Warn when the export's sales activities end `_EARLY_STOP_WORKING_DAYS` working days or
    more before its other records (contacts, deals, touchpoints) do, before `cut`, and MQLs
    after that end are not worked: true if sales stopped working them, wrong if the export
    holds only part of the activities (a sync that stopped). The figures are kept: the data
    cannot tell the two apart, the reader can. No warning when the export holds activities
    done at or after `cut` (a past month's end): its activities do not end there. A meeting
    booked ahead or a task's due date after `cut` (`periods.SCHEDULED_TYPES`) is no sign of
    that: a live export holds them whatever its sync did."""
    records = dated_records(crm)
    stamps = records.pop("activities", pd.Series(dtype="datetime64[ns, UTC]"))
    acts = _as_int(stamps)
    done = ~scheduled_ahead(crm, stamps).to_numpy(dtype=bool) if len(stamps) else acts < 0
    if (acts[done] >= cut).any():
        return
    acts = acts[acts < cut]
    others = [v[v < cut] for v in (_as_int(r) for r in records.values())]
    last_other = max((int(v.max()) for v in others if len(v)), default=None)
    if not len(acts) or last_other is None:
        return
    until = int(acts.max())
    after = ~worked & (_as_int(mql_at) > until)
    if not after.any() or last_other <= until:
        return
    stop = local_day(pd.Timestamp(until, tz="UTC"), sla)  # the team's day: its holidays
    days = pd.date_range(
        stop + pd.Timedelta(days=1), local_day(pd.Timestamp(last_other, tz="UTC"), sla)
    )
    working = working_days(days, sla)
    if working.sum() < _EARLY_STOP_WORKING_DAYS:
        return
    message = (
        f"the export's sales activities end on {day_text(pd.Timestamp(until, tz='UTC'), sla)}, "
        f"{int(working.sum())} working days before its other records: {int(after.sum())} MQLs "
        "after that count as not worked, which is true only if sales stopped working them, "
        "not if the export lacks their activities"
    )
    _warn_once(crm.activities, message + (f" ({crm.source})" if crm.source else ""))


def _warn_once(activities: pd.DataFrame, message: str) -> None:
    """Warn `message` about an export's `activities` table unless it was said for that table
    (another export, even with the same dates, is warned about); a warning that a filter
    ignored (`warnings.simplefilter("ignore")`) was not said, so a later call says it."""
    said = _WARNED.get(id(activities))
    if said is not None and said() is activities:
        return
    with warnings.catch_warnings(record=True) as caught:  # the caller's filters still apply
        warnings.warn(
            message, UserWarning, stacklevel=caller_stacklevel()
        )  # an "error" filter raises here
    if not caught:  # ignored
        return
    shown = caught[0]
    warnings.showwarning(shown.message, shown.category, shown.filename, shown.lineno)
    key = id(activities)
    _WARNED[key] = weakref.ref(
        activities, lambda ref: _WARNED.pop(key, None) if _WARNED.get(key) is ref else None
    )


@checked_tables
def mql_leads(
    crm: CRM,
    sla: SLA | None = None,
    as_of: pd.Timestamp | str | None = None,
    segments: pd.Series | Mapping | None = None,
    entries: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per MQL with everything the SLA judges: the list behind every SLA figure.

    Parameters
    ----------
    crm : the loaded export (contacts and activities are used).
    sla : the agreement (default `SLA()`).
    as_of : exclusive cut-off (e.g. the end of the report month); None: the end of the data
        (`data_end`), so windows still open when the export was taken are pending, not passed.
        A later `as_of` judges the windows closing in between as passed, with a warning.
    segments : optional contact_id/account_id -> segment mapping (see `smk.funnel.segment_of`).
    entries : precomputed `smk.funnel.stage_entry_dates(crm.contacts, as_of)` (same `as_of`).

    Every contact that reached the funnel's MQL stage by `as_of` is a row, at its MQL date
    (`smk.funnel.mql_entry_dates`): the recorded `became_mql_at`, or the date of the next
    stage it recorded when it skipped the stage, recorded it out of order or has only a
    lifecycle stage (`mql_date_inferred`). Speed to lead, leakage and acceptance run from that
    date for both kinds, except that work on an inferred MQL since the contact's creation
    counts (done before the MQL date: 0 hours); filter on `mql_date_inferred` to see the
    recorded MQLs alone.

    Returns
    -------
    DataFrame: contact_id, account_id, owner_id, team, segment, original_source, month
    (YYYY-MM of the MQL date), mql_at, mql_date_inferred, first_activity_at,
    hours_to_first_activity (calendar), speed_to_lead_hours (the SLA's measure: calendar or
    business hours), worked, within_sla, leaked, leak_pending, leak_due (the leakage window
    has passed: the leakage rate's MQLs), accepted, sql_at, rejected, rejection_reason, open,
    sla_pending (not worked yet, its SLA time still running), sla_due (its SLA time has passed:
    the MQLs the share within the SLA is of). The flags are bool; when the export has no sales
    activities at all (`crm.activities` empty) nobody can tell a worked MQL from a leaked one,
    so worked, within_sla, leaked, leak_pending and sla_pending (`ACTIVITY_FLAGS`) are
    unknown: pandas' nullable
    "boolean" dtype, all <NA> (the hours are NaN), and every figure built on them is unknown.
    """
    sla = sla or SLA()
    contacts = crm.contacts
    end = data_end(crm)
    if as_of is None:
        as_of = end
    else:
        warn_if_after_data(
            pd.Timestamp(_as_of_ns(as_of), tz="UTC"),
            end,
            "SLA times, leakage and acceptance windows that close in between count as passed "
            "(missed, leaked, rejected)",
            crm,
            sla,  # its working week: a Sunday-to-Thursday team's Friday is no gap
        )
    cut = _as_of_ns(as_of)
    if entries is None:
        entries = stage_entry_dates(contacts, as_of)
    dates = mql_entry_dates(contacts, entries=entries)
    is_mql = _as_int(dates["mql_at"]) < cut
    mqls = contacts[is_mql]
    entries = entries[is_mql]
    mql_at = dates.loc[is_mql, "mql_at"]
    inferred = dates.loc[is_mql, "mql_date_inferred"].to_numpy(dtype=bool)
    # the SLA's clock starts at the MQL date; a date-only one at the start of that date in the
    # team's time zone, so the team's work on that local day counts and none of the day before
    start = day_start_in(mql_at, sla.timezone)
    # an inferred MQL (sales took the lead straight to SQL) may have been worked before its
    # MQL date: sales already had it, so that work answers it at once (0 hours), not never
    since = start.mask(pd.Series(inferred, index=start.index), mqls["created_at"])
    first = _first_answer(mqls, crm.activities, since.fillna(start), as_of, sla)
    answered = first.where(first.isna() | (first > start), start)  # not before the MQL
    hours = (_as_int(answered).astype("float64") - _as_int(start)) / _NS_PER_HOUR
    worked = first.notna().to_numpy()
    hours = np.where(worked, hours, np.nan)
    speed = _sla_hours(start, answered, sla)
    within = worked & (speed <= sla.max_hours_to_first_activity)
    # past its SLA time by the cut: no activity still to come (at or after it) could be within
    cut_at = pd.Series(pd.Timestamp(cut, tz="UTC"), index=start.index)
    sla_due = _sla_hours(start, cut_at, sla) > sla.max_hours_to_first_activity
    sla_pending = ~sla_due & ~worked
    leak_limit = _as_int(start) + int(sla.leakage_days * 24 * _NS_PER_HOUR)
    first_ns = _as_int(answered)
    due = leak_limit <= cut
    leaked = due & (first_ns > leak_limit)
    leak_pending = ~due & ~worked
    sql_at = entries["sql"]
    accepted = sql_at.notna().to_numpy()
    reason = pd.Series(pd.NA, index=mqls.index, dtype="string")
    column = sla.rejection_reason_column
    if column:
        if column not in mqls:
            raise ValueError(
                f"rejection_reason_column {column!r} is not in the contacts table; the export's "
                f"extra columns are: {', '.join(_extra_columns(contacts)) or 'none'}"
            )
        recorded = mqls[column].astype("string").str.strip()
        reason = reason.fillna(recorded.where(recorded != ""))
    if "lifecycle_stage" in mqls:
        other = (mqls["lifecycle_stage"] == "other").fillna(False).astype(bool)
        if UNKNOWN_STAGE in mqls:  # a stage smk does not know reads other: judged by its dates
            other &= mqls[UNKNOWN_STAGE].isna()
        reason = reason.mask(other & reason.isna(), "disqualified (lifecycle stage other)")
    overdue = _as_int(start) + int(sla.acceptance_days * 24 * _NS_PER_HOUR) <= cut
    reason = reason.mask(
        pd.Series(overdue, index=mqls.index) & reason.isna(),
        f"no SQL within {sla.acceptance_days:g} days",
    )
    reason = reason.mask(pd.Series(accepted, index=mqls.index))
    rejected = reason.notna().to_numpy()
    month = mql_at.dt.tz_convert("UTC").dt.strftime("%Y-%m").astype("string")
    owner = mqls["owner_id"].astype("string").fillna(UNKNOWN)
    out = pd.DataFrame(
        {
            "contact_id": mqls["contact_id"],
            "account_id": mqls.get("account_id", pd.NA),
            "owner_id": owner,
            "team": team_of(owner, sla.teams),
            "segment": segment_of(mqls, segments),
            "original_source": mqls["original_source"].astype("string").fillna(UNKNOWN),
            "month": month,
            "mql_at": mql_at,
            "mql_date_inferred": inferred,
            "first_activity_at": first,
            "hours_to_first_activity": hours,
            "speed_to_lead_hours": speed,
            "worked": worked,
            "within_sla": within,
            "leaked": leaked,
            "leak_pending": leak_pending,
            "leak_due": due,
            "accepted": accepted,
            "sql_at": sql_at,
            "rejected": rejected,
            "rejection_reason": reason,
            "open": ~accepted & ~rejected,
            "sla_pending": sla_pending,
            "sla_due": sla_due,
        }
    )
    out = out.sort_values(["mql_at", "contact_id"]).reset_index(drop=True)
    if crm.activities.empty:  # no evidence of work either way: unknown, not "not worked"
        for column in ACTIVITY_FLAGS:
            out[column] = pd.Series(pd.NA, index=out.index, dtype="boolean")
    else:
        _warn_if_activities_stop_early(crm, start, worked, cut, sla)
    out.attrs[ACTIVITIES_IN_EXPORT] = not crm.activities.empty  # informative: the data decide
    return out


def _extra_columns(contacts: pd.DataFrame) -> list[str]:
    from smk.model import SCHEMA

    return [c for c in contacts.columns if c not in SCHEMA["contacts"] and not c.startswith("_")]


#: figure -> (flag column, statement). `leads_behind(leads, figure)` lists the rows.
FIGURES: dict[str, str] = {
    "mqls": "all MQLs",
    "worked": "worked (a sales activity after the MQL date)",
    "not_worked": "not worked yet",
    "within_sla": "worked within the maximum time",
    "within_sla_due": "worked within the maximum time, of the MQLs whose SLA time has passed",
    "outside_sla": "not worked within the maximum time",
    "leaked": "no sales activity within the leakage window (some worked later)",
    "leak_pending": "no sales activity yet, leakage window still open",
    "leak_due": "leakage window passed (the MQLs the leakage rate is of)",
    "sla_pending": "no sales activity yet, SLA time still running",
    "sla_due": "SLA time passed (the MQLs the share within the SLA is of)",
    "accepted": "accepted by sales (SQL or later)",
    "rejected": "rejected by sales",
    "open": "neither accepted nor rejected yet",
}


def _figure_mask(leads: pd.DataFrame, figure: str) -> pd.Series:
    """The rows of `figure` (<NA> where a flag is unknown: `leads_behind` refuses those)."""
    if figure == "mqls":
        return pd.Series(True, index=leads.index)
    if figure == "not_worked":
        return ~leads["worked"]
    if figure == "outside_sla":
        return ~leads["within_sla"]
    if figure == "within_sla_due":
        return leads["within_sla"] & leads["sla_due"]
    if figure in FIGURES:
        flag = leads[figure]
        return flag if flag.dtype == "boolean" else flag.astype(bool)
    raise ValueError(f"unknown figure {figure!r}; use one of {', '.join(FIGURES)}")


@checked_tables
def leads_behind(
    leads: pd.DataFrame,
    figure: str,
    month: Month | str | None = None,
    **equals,
) -> pd.DataFrame:
    """The MQLs behind one SLA figure, e.g. `leads_behind(leads, "leaked", "2026-10",
    owner_id="owner-07")`: each count in `sla_by_month` is the length of such a list.

    `equals` filters on any column of `mql_leads` (owner_id, team, segment, original_source).

    Raises `NoDataError` when the figure is unknown for the selected MQLs (worked, within the
    SLA, leaked and their kin of an export without sales activities: `mql_leads`), as its
    count in `sla_by_month` is: an empty list would claim that none leaked.
    """
    flags = _figure_mask(leads, figure)
    chosen = pd.Series(True, index=leads.index)
    if month is not None:
        chosen &= leads["month"] == as_month(month).label
    for column, value in equals.items():
        if column not in leads:
            raise ValueError(f"no column {column!r} in the leads table")
        chosen &= leads[column] == value
    chosen = chosen.fillna(False).astype(bool)
    unknown = int(flags[chosen].isna().sum())
    if unknown:
        where = f" of {as_month(month).label}" if month is not None else ""
        raise NoDataError(
            f"{figure} is unknown for {unknown} MQL{'s' if unknown > 1 else ''}{where}: no "
            "sales activity was loaded (the export has none, or every row of them was set "
            "aside), so nobody can tell a worked MQL from a leaked one"
        )
    mask = chosen & flags.fillna(False).astype(bool)
    return leads[mask].reset_index(drop=True)


# ------------------------------------------------------------------------------ owners
#: `mql_leads`' attrs key (whether the export had sales activities at all), and
#: `month_summary`'s key saying whether the month's activity figures are known. Informative:
#: the figures themselves are <NA> when unknown, and every consumer reads those.
ACTIVITIES_IN_EXPORT = "activities_in_export"

#: the `mql_leads` flags that need sales activities (nullable "boolean", <NA>, without them)
ACTIVITY_FLAGS = ("worked", "within_sla", "leaked", "leak_pending", "sla_pending")

#: the `sla_by_month` counts of those flags (nullable "Int64", <NA>, when unknown)
_ACTIVITY_COUNTS = (
    "worked",
    "not_worked",
    "within_sla",
    "leaked",
    "leak_pending",
    "within_sla_due",
    "sla_pending",
)

_OWNER_TABLES = ("contacts", "deals", "activities")


#: How owners are shown (`owner_aliases`; notebook 01's `owner_labels`)
OWNER_MODES = ("auto", "ids", "pseudonyms")


def check_owner_mode(mode: str) -> None:
    """Refuse an owner mode other than `OWNER_MODES`."""
    if mode not in OWNER_MODES:
        raise ValueError(f"owner mode must be auto, ids or pseudonyms, got {mode!r}")


@checked_tables
def owner_aliases(crm: CRM, mode: str = "auto") -> dict[str, str]:
    """Stable pseudonyms (``rep-3fa2c1``) for the export's owner values, or {} to keep them.

    Exports often name owners by display name ("Jane Doe"); reports must not show personal
    names. mode "pseudonyms" always replaces, "ids" never, "auto" replaces when any owner value
    looks like a personal name (`smk.pii`: "Jane Doe", "Doe, Jane", "J. Doe"). A pseudonym is
    drawn from the owner value itself, by a keyed hash (`smk.pii.pseudonym`, the key from
    `smk.pii.pseudonym_key`: ``SMK_OWNER_KEY`` or a key kept in the user's config folder), so
    an owner keeps it from month to month whoever else joins or leaves, and a reader who knows
    the team's names cannot hash them to map the pseudonyms back. Two owners whose pseudonyms
    would coincide get longer ones (only they).
    """
    check_owner_mode(mode)
    distinct = owner_values(crm)
    if not uses_pseudonyms(crm, mode):
        return {}
    key = pseudonym_key()
    aliases = {v: pseudonym(v, key) for v in distinct}
    length = 6
    while len(set(aliases.values())) < len(aliases):  # 16.7M labels: rare, and only for them
        length += 2
        shared = pd.Series(aliases).duplicated(keep=False)
        aliases.update({v: pseudonym(v, key, length) for v in shared[shared].index})
    return aliases


@checked_tables
def owner_values(crm: CRM) -> list[str]:
    """The distinct owner values (`owner_id`) of the contacts, deals and activities, as text."""
    values = pd.concat([getattr(crm, t)["owner_id"] for t in _OWNER_TABLES]).dropna()
    return sorted(values.astype("string").unique())


@checked_tables
def uses_pseudonyms(crm: CRM, mode: str = "auto") -> bool:
    """Whether `owner_aliases(crm, mode)` replaces the owners: "pseudonyms" always (when there
    are owners), "ids" never, "auto" when an owner value looks like a personal name."""
    distinct = owner_values(crm)
    if mode == "ids" or not distinct:
        return False
    return mode == "pseudonyms" or any(looks_like_personal_name(v) for v in distinct)


@checked_tables
def rename_owners(crm: CRM, aliases: Mapping[str, str]) -> CRM:
    """A copy of `crm` with owner_id values replaced through `aliases` (others unchanged)."""
    if not aliases:
        return crm
    changed = {}
    for t in _OWNER_TABLES:
        frame = getattr(crm, t)
        owner = frame["owner_id"].astype("string")
        changed[t] = frame.assign(owner_id=owner.map(dict(aliases)).astype("string").fillna(owner))
    return dataclasses.replace(crm, **changed)


@checked_tables
def pseudonymise_owners(crm: CRM, mode: str = "auto") -> CRM:
    """`rename_owners(crm, owner_aliases(crm, mode))`: see `owner_aliases`."""
    return rename_owners(crm, owner_aliases(crm, mode))


# ------------------------------------------------------------------------------ monthly SLA
def _month_range(first: str, last: str) -> list[str]:
    return [str(p) for p in pd.period_range(first, last, freq="M")]


def _month_labels(months) -> list[str]:
    """`YYYY-MM` labels of one month or a sequence of them (`periods.as_month` each)."""
    if isinstance(months, (str, Month, pd.Period, pd.Timestamp, datetime.date)):
        months = [months]
    return [as_month(m).label for m in months]


def _floats(counts: pd.Series) -> np.ndarray:
    """Counts as float64, NaN where unknown (<NA>)."""
    return counts.to_numpy(dtype="float64", na_value=np.nan)


@checked_tables
def report_months(crm: CRM, through: Month | str, leads: pd.DataFrame | None = None) -> list[str]:
    """The months a page shows month by month up to `through` (its report month): from the
    month of the export's first contact or deal, or an earlier MQL of `leads`, to `through`,
    gaps included, never before the data's first record (`smk.periods.data_span`, which sets
    stray dates aside: one contact dated 2016 adds no decade of empty rows), nor an MQL
    before the first of its dates and stage dates (`smk.periods.dates_start`: a stray
    `became_mql_at` of 1970 adds no half century). So a month with deals but no MQL (deals
    imported before the contacts), or neither, has its row in the SLA and pipeline tables (as
    the scorecard scores it: 0 MQLs), a touch logged before every contact and deal adds no
    month, and no month after `through` has one.
    """
    last = as_month(through).label
    try:
        start = data_span(crm)[0]
    except ValueError:  # nothing dated
        return _month_range(last, last)
    created = (crm.contacts["created_at"], crm.deals["created_at"])
    dated = [c[c >= start].min() for c in created]  # before `start`: strays
    dated = [t for t in dated if pd.notna(t)]
    first = max(start, min(dated)) if dated else start
    first = first.strftime("%Y-%m")
    if leads is not None:  # an MQL dated before `dates_start`: a stray stage date
        months = leads["month"][leads["mql_at"] >= dates_start(crm)].dropna()
        first = min(first, months.min()) if len(months) else first
    return _month_range(min(first, last), last)


@checked_tables
def sla_by_month(
    leads: pd.DataFrame,
    sla: SLA | None = None,
    by: str | None = None,
    months: Sequence[str] | str | None = None,
    through: Month | str | None = None,
) -> pd.DataFrame:
    """The SLA figures per month (and per `by`: "owner_id", "team", "segment", ...).

    Months without MQLs in the range show with 0 MQLs and empty rates (never a division by
    zero). Leads of an export without sales activities (`mql_leads` gives their worked,
    within_sla, leaked, leak_pending and sla_pending as <NA>) have unknown counts of those
    (<NA>, the columns then nullable "Int64") and empty SLA and leakage rates and hours: nobody
    can tell a worked MQL from a leaked one. Each known count equals `len(leads_behind(leads,
    <figure>, month, ...))` (an unknown one raises `NoDataError` there). `months="all"` gives
    one row over all the leads (month "all"). By default the rows run from the first to
    the last month with an MQL; `through` (e.g. the report month) extends them to that month,
    so it has a row even when it has no MQLs.

    Returns
    -------
    DataFrame: month, [by], mqls, mql_target (month rows only), worked, not_worked,
    median_hours, p80_hours, within_sla, share_within_sla (within_sla_due / sla_due: of the MQLs
    whose SLA time has passed), leaked, leak_pending, leak_due, leakage_rate (leaked /
    leak_due: of the MQLs whose leakage window has passed), accepted, acceptance_rate
    (accepted so far / mqls: a floor while some are open), rejected, rejection_rate, open,
    within_sla_due (within_sla among sla_due), sla_due, sla_pending (appended last, so the
    columns before keep their places).
    """
    sla = sla or SLA()
    if isinstance(months, str) and months == "all":
        leads = leads.assign(month="all")
        months = ["all"]
    elif months is not None:
        months = _month_labels(months)
    if months is None:
        found = sorted(leads["month"].dropna().unique())
        if through is not None:
            found = sorted({*found, as_month(through).label})
        months = _month_range(found[0], found[-1]) if found else []
    if by and by not in leads.columns:
        raise ValueError(
            f"no column {by!r} in the leads table to group by; use one of its columns, e.g. "
            "owner_id, team, segment or original_source"
        )
    keys = ["month"] + ([by] if by else [])
    flags = leads.assign(
        not_worked=~leads["worked"], within_sla_due=_figure_mask(leads, "within_sla_due")
    )
    worked_hours = leads["speed_to_lead_hours"].where(leads["worked"].fillna(False).astype(bool))
    flags = flags.assign(_hours=worked_hours)
    unknown = [c for c in _ACTIVITY_COUNTS if flags[c].isna().any()]  # no activities: <NA>
    flags = flags.assign(**{f"_unknown_{c}": flags[c].isna() for c in unknown})
    grouped = flags.groupby(keys, observed=True, sort=True)
    table = grouped.agg(
        **{f"_unknown_{c}": (f"_unknown_{c}", "sum") for c in unknown},
        mqls=("contact_id", "size"),
        worked=("worked", "sum"),
        not_worked=("not_worked", "sum"),
        median_hours=("_hours", "median"),
        p80_hours=("_hours", lambda h: h.quantile(0.8)),
        within_sla=("within_sla", "sum"),
        leaked=("leaked", "sum"),
        leak_pending=("leak_pending", "sum"),
        leak_due=("leak_due", "sum"),
        accepted=("accepted", "sum"),
        rejected=("rejected", "sum"),
        open=("open", "sum"),
        within_sla_due=("within_sla_due", "sum"),
        sla_due=("sla_due", "sum"),
        sla_pending=("sla_pending", "sum"),
    )
    if by:
        groups = sorted(leads[by].dropna().unique()) if len(leads) else []
        index = pd.MultiIndex.from_product([list(months), groups], names=keys)
    else:
        index = pd.Index(list(months), name="month")
    table = table.reindex(index)
    counts = [
        "mqls",
        "worked",
        "not_worked",
        "within_sla",
        "leaked",
        "leak_pending",
        "leak_due",
        "accepted",
        "rejected",
        "open",
        "within_sla_due",
        "sla_due",
        "sla_pending",
    ]
    table[counts] = table[counts].fillna(0).astype("int64")
    for column in unknown:  # a group with an unknown flag has an unknown count, not a low one
        missing = table[f"_unknown_{column}"].fillna(0) > 0
        table[column] = table[column].astype("Int64").mask(missing)
    table["share_within_sla"] = safe_ratio(_floats(table["within_sla_due"]), table["sla_due"])
    table["leakage_rate"] = safe_ratio(_floats(table["leaked"]), table["leak_due"])
    table["acceptance_rate"] = safe_ratio(table["accepted"], table["mqls"])
    table["rejection_rate"] = safe_ratio(table["rejected"], table["mqls"])
    out = table.reset_index()
    if not by:
        out.insert(2, "mql_target", sla.mql_target)
    return out[
        keys
        + (["mqls"] + ([] if by else ["mql_target"]))
        + [
            "worked",
            "not_worked",
            "median_hours",
            "p80_hours",
            "within_sla",
            "share_within_sla",
            "leaked",
            "leak_pending",
            "leak_due",
            "leakage_rate",
            "accepted",
            "acceptance_rate",
            "rejected",
            "rejection_rate",
            "open",
            "within_sla_due",
            "sla_due",
            "sla_pending",
        ]
    ]


@checked_tables
def month_summary(leads: pd.DataFrame, month: Month | str, sla: SLA | None = None) -> dict:
    """The month's SLA figures as a dict; raises `NoDataError` when the month has no MQLs."""
    label = as_month(month).label
    table = sla_by_month(leads, sla, months=[label])
    row = table.iloc[0]
    if row["mqls"] == 0:
        if not len(leads):
            raise NoDataError(f"no MQLs in {label}: no contact had reached the MQL stage by then")
        first, last = leads["month"].min(), leads["month"].max()
        span = f"the MQLs of these leads run from {first} to {last}"
        if label < first:
            raise NoDataError(f"no MQLs in {label} ({span}): choose a month in that range")
        if label > last:  # leads are cut at their as-of date: later MQLs may exist
            raise NoDataError(f"no MQLs in {label} (the last MQL of these leads is from {last})")
        raise NoDataError(f"no MQLs in {label} ({span}, none of them in {label})")
    summary = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
    summary[ACTIVITIES_IN_EXPORT] = _activity_known(summary)
    return summary


def _activity_known(summary: Mapping) -> bool:
    """Whether a summary's worked, within-SLA and leaked counts are known (not <NA>)."""
    return not any(pd.isna(summary.get(c, 0)) for c in _ACTIVITY_COUNTS)


def summary_text(
    summary: dict,
    sla: SLA,
    month: Month | str,
    unit: str = "hours",
    no_activities: str | None = None,
) -> str:
    """`month_summary` as the lines the funnel page prints. Without sales activities in the
    export, worked, speed to lead, the SLA share and leakage are unknown (<NA> in the summary)
    and say so (they printed "worked: 0", "nan%" and every MQL as leaked), and why:
    `no_activities` (`CRM.no_rows_text("activities")`: every activity row set aside), else
    "the export has no sales activities"."""
    s, a = summary, sla
    lines = [f"MQLs in {as_month(month)}: {s['mqls']} (target {a.mql_target})"]
    if _activity_known(s):
        lines += [
            f"worked: {s['worked']}, not worked yet: {s['not_worked']}",
            f"median speed to lead: {_median_text(s, unit)} (SLA "
            f"{a.max_hours_to_first_activity:g})",
            f"within the SLA (target {a.share_to_work:.0%}): {sla_share_text(s, a)}",
            f"leaked (no sales activity within {a.leakage_days:g} days): {leakage_text(s, a)}",
        ]
    else:
        why = no_activities or no_rows_text("activities")
        lines.append(f"worked, speed to lead, within the SLA and leaked: unknown ({why})")
    lines += [
        f"accepted (SQL) so far: {acceptance_text(s, a)}",
        f"rejected: {s['rejected']}, open (neither yet): {s['open']}",
    ]
    return "\n".join(lines)


def _median_text(summary: Mapping, unit: str) -> str:
    """A summary's median speed to lead with its unit ("1.5 working hours"), or "none worked
    yet"."""
    median = summary["median_hours"]
    return "none worked yet" if pd.isna(median) else f"{median:.1f} {unit}"


def measured_text(summary: Mapping, sla: SLA) -> str:
    """The funnel page's line for a month's MQLs measured as `sla` says (`month_summary` with
    it), each figure with its unit: "measured in working hours: median speed to lead 1.5
    working hours; within 24 working hours: 82.3% of the 62 MQLs past it" (`sla_share_text`;
    calendar hours without `business_hours`).
    """
    unit = "working hours" if sla.business_hours else "calendar hours"
    share, due = summary["share_within_sla"], counted(summary["sla_due"], "MQL")
    share_text = (
        "no MQL past that time yet" if pd.isna(share) else f"{share:.1%} of the {due} past it"
    )
    return (
        f"measured in {unit}: median speed to lead {_median_text(summary, unit)}; within "
        f"{sla.max_hours_to_first_activity:g} {unit}: {share_text}"
    )


def leakage_parts(summary: Mapping) -> dict[str, int]:
    """A month's MQLs (`month_summary`) split three ways by the leakage window: `in_window`
    (worked within it), `leaked` (no sales activity within it, worked later or not) and
    `pending` (no activity yet, the window still open), which add up to the MQLs; and two ways
    by the cut: `due` (the window has passed: the leakage rate's denominator) and `inside`
    (still inside it: worked already, or pending). Needs known activity counts."""
    mqls, leaked, pending = (int(summary[k]) for k in ("mqls", "leaked", "leak_pending"))
    due = int(summary["leak_due"])
    return {
        "in_window": mqls - leaked - pending,
        "leaked": leaked,
        "pending": pending,
        "due": due,
        "inside": mqls - due,
    }


def leakage_text(summary: Mapping, sla: SLA, with_rate: bool = True) -> str:
    """The leakage figure in words, with its denominator and the MQLs it leaves out: "3 of the
    43 MQLs past the 7-day window (7.0%); 19 more still inside it, 6 of them not worked yet".
    An MQL inside the window could only be known not to have leaked, so none counts."""
    parts = leakage_parts(summary)
    rate = summary["leakage_rate"] if with_rate else np.nan
    window = f"{sla.leakage_days:g}-day window"
    return _past_text(parts["leaked"], parts["due"], parts["pending"], summary, window, rate)


def sla_share_text(summary: Mapping, sla: SLA, with_rate: bool = True) -> str:
    """The share within the SLA in words, with its denominator and the MQLs it leaves out:
    "45 of the 58 MQLs past the SLA time of 24 hours (77.6%); 4 more still inside it, 2 of
    them not worked yet". An MQL inside its SLA time could only be known to be within it
    (worked already), never to have missed it, so none counts (`sla_due`)."""
    rate = summary["share_within_sla"] if with_rate else np.nan
    window = f"SLA time of {sla.max_hours_to_first_activity:g} {hours_unit(sla)}"
    due, pending = int(summary["sla_due"]), int(summary["sla_pending"])
    return _past_text(int(summary["within_sla_due"]), due, pending, summary, window, rate)


def _past_text(
    count: int, due: int, pending: int, summary: Mapping, window: str, rate: float
) -> str:
    """`count` of the `due` MQLs of `summary` past `window` (with `rate` unless NaN), then
    those still inside it and, of them, the `pending` ones not worked yet (`leakage_text`)."""
    rate_text = "" if pd.isna(rate) else f" ({rate:.1%})"
    if due:
        text = f"{count} of the {counted(due, 'MQL')} past the {window}{rate_text}"
    else:
        text = f"no MQL past the {window} yet"
    inside = int(summary["mqls"]) - due
    if inside:
        text += f"; {inside}{' more' if due else ''} still inside it"
    if pending:
        text += f", {pending} of them not worked yet"
    return text


def acceptance_cohort(month: Month | str, sla: SLA | None = None) -> Month:
    """The month of MQLs whose acceptance the scorecard judges in the report of `month`: as
    many months back as `acceptance_days` spans at 31 days a month (at least one), so that
    consecutive reports judge every month once. With 30 days, the previous month's (2026-10's
    report judges 2026-09's MQLs, all past their window); in February's report a few MQLs of
    the last days of January are still inside it (28 days to the end of February), which
    `acceptance_period` and the note say."""
    sla = sla or SLA()
    month = as_month(month)
    cohort = month.previous
    for _ in range(1, max(1, math.ceil(sla.acceptance_days / 31))):
        cohort = cohort.previous
    return cohort


def acceptance_period(
    cohort: Month | str, sla: SLA | None = None, month: Month | str | None = None
) -> str:
    """Whose acceptance the MQL to SQL figure is, in words: "2026-09's MQLs, all past their
    30 days" (`acceptance_cohort`), or "most past" when judged in the report of `month`
    before the last of them are (February's report of January's MQLs)."""
    sla = sla or SLA()
    cohort = as_month(cohort)
    window = pd.Timedelta(days=sla.acceptance_days)
    some_open = month is not None and cohort.end + window > as_month(month).end
    return (
        f"{cohort}'s MQLs, {'most' if some_open else 'all'} past their {sla.acceptance_days:g} days"
    )


def acceptance_text(summary: Mapping, sla: SLA) -> str:
    """The acceptance figure in words (`month_summary` or a `sla_by_month` row), with the MQLs
    still inside their window, whose share accepted so far may still rise: "25 of 62 MQLs
    (40.3%), 36 still inside the 30-day window"."""
    rate = summary["acceptance_rate"]
    rate = "" if pd.isna(rate) else f" ({rate:.1%})"
    text = f"{summary['accepted']} of {counted(summary['mqls'], 'MQL')}{rate}"
    if summary["open"]:
        text += f", {summary['open']} still inside the {sla.acceptance_days:g}-day window"
    return text


@checked_tables
def rejection_reasons(leads: pd.DataFrame, month: Month | str | None = None) -> pd.DataFrame:
    """Rejected MQLs by reason (for one month, or all), with their share of the rejections."""
    rejected = leads[leads["rejected"]]
    if month is not None:
        rejected = rejected[rejected["month"] == as_month(month).label]
    out = (
        rejected.groupby("rejection_reason", observed=True)
        .size()
        .rename("mqls")
        .sort_values(ascending=False)
        .reset_index()
    )
    out["share"] = safe_ratio(out["mqls"], out["mqls"].sum())
    return out


@checked_tables
def speed_to_lead_distribution(
    leads: pd.DataFrame,
    month: Month | str | None = None,
    bins: Sequence[float] = (0, 1, 4, 8, 24, 48, 72, 168),
    sla: SLA | None = None,
) -> pd.DataFrame:
    """MQLs by speed-to-lead band (hours), with 'not worked' as the last band, and their share
    of the MQLs. MQLs whose work is unknown (an export without sales activities: `mql_leads`)
    are a band of their own, "unknown (no sales activities)", after it, never counted as not
    worked; the other bands' counts are then unknown too (<NA>, the column nullable "Int64",
    as a group's counts in `sla_by_month`), not 0: those MQLs may sit in any of them.

    Each band holds its upper bound, as the SLA does ("8-24 h": more than 8 hours, at most
    24; the first band from 0): an MQL worked at exactly the SLA time is within it and in the
    band that ends there. With `sla`, its time (`max_hours_to_first_activity`) is a band edge
    too, so the bands up to it add up to the MQLs within the SLA."""
    rows = leads if month is None else leads[leads["month"] == as_month(month).label]
    limit = [] if sla is None else [sla.max_hours_to_first_activity]
    edges = sorted({*map(float, bins), *limit}) + [np.inf]
    labels = [
        f"{a:g}-{b:g} h" if np.isfinite(b) else f"over {a:g} h"
        for a, b in zip(edges[:-1], edges[1:], strict=True)
    ]
    band = pd.cut(rows["speed_to_lead_hours"], edges, labels=labels, include_lowest=True)
    counts = band.value_counts(sort=False).reindex(labels, fill_value=0)
    bands = [*labels, "not worked"]
    mqls = [*(int(n) for n in counts), int(rows["worked"].eq(False).sum())]
    unknown = int(rows["worked"].isna().sum())
    if unknown:
        bands.append("unknown (no sales activities)")
        mqls = [pd.NA] * len(mqls) + [unknown]
    out = pd.DataFrame(
        {"band": bands, "mqls": pd.array(mqls, dtype="Int64" if unknown else "int64")}
    )
    out["share"] = safe_ratio(_floats(out["mqls"]), len(rows))
    return out


# ------------------------------------------------------------------------------ money
@checked_tables
def deal_values(
    deals: pd.DataFrame,
    fx_rates: Mapping[str, float] | None = None,
    reporting_currency: str | None = None,
    what: str = "deal",
) -> pd.Series:
    """Deal amounts in one reporting currency (of another table with `amount` and
    `currency`, spend, named `what` in a refusal).

    `fx_rates` gives the value of one unit of each currency in the reporting currency
    ({"EUR": 1.0, "USD": 0.92}), or in any one base currency when the reporting currency has
    a rate too (amounts are divided by it: {"USD": 1.0, "EUR": 1.08} reports in EUR); rates
    that leave the reporting currency out are refused (`check_fx_rates`). Deals without a
    currency are taken as in the reporting currency. Without rates, all deals must share one
    currency, the reporting currency when one is named. Only the currencies of deals with an
    amount need a rate: a deal without one has nothing to convert (its value stays unknown).
    """
    check_fx_rates(fx_rates, reporting_currency)
    amount = deals["amount"].astype("float64")
    currency = deals["currency"].astype("string") if "currency" in deals else None
    if currency is None or not len(deals):
        return amount
    found = sorted(currency[amount.notna()].dropna().unique())
    are = "deals are" if what == "deal" else f"{what} amounts are"
    if not fx_rates:
        if len(found) > 1:
            raise ValueError(
                f"{are} in {', '.join(found)}: give fx_rates (e.g. {{'{found[0]}': 1.0, "
                f"'{found[1]}': ...}}) to convert them to one reporting currency"
            )
        if found and reporting_currency and found[0] != reporting_currency:
            raise ValueError(  # else USD amounts were shown as EUR, unconverted
                f"{are} in {found[0]}, the reporting currency is {reporting_currency}: "
                f"set reporting_currency to {found[0]}, or give fx_rates to convert them "
                f"(e.g. {{'{reporting_currency}': 1.0, '{found[0]}': ...}})"
            )
        return amount
    missing = [c for c in found if c not in fx_rates and c != reporting_currency]
    if missing:
        raise ValueError(
            f"no exchange rate for {', '.join(missing)}: add it to fx_rates "
            f"({', '.join(sorted(fx_rates))} given; for `smk report`, in the --params file, "
            f"see docs/examples/report-params.yaml){_sign_advice(missing)}"
        )
    # the reporting currency's own rate (`check_fx_rates`): 1.0 when the rates are given in it
    reporting = float(fx_rates.get(reporting_currency, 1.0)) if reporting_currency else 1.0
    rate = currency.map(dict(fx_rates)).astype("float64").fillna(reporting)  # none: reporting
    return amount * rate / reporting


def _sign_advice(currencies: list[str]) -> str:
    """For currencies that are no ISO code but a sign several currencies write, kept as the
    export wrote it (`kr`: `smk.io.parse.currency_codes`): how to name the currency."""
    signs = [c for c in currencies if not re.fullmatch(r"[A-Z]{3}", c)]
    if not signs:
        return ""
    return (
        f"; {signs[0]!r} is no currency code but a sign the export writes, which several "
        f"currencies use: translate it to its code in a mapping file (`values: {{currency: "
        f"{{{signs[0]!r}: <code>}}}}`, docs/mappings.md) or give its rate under that sign"
    )


def currency_code(value: object) -> object:
    """A currency code as a person may type it (`eur`, `Usd`) as the ISO 4217 code it names
    (EUR, USD): three letters, upper case. Any other value is returned as it is, for
    `check_fx_rates` to judge (`"USD "`, `euro`: refused where a rate is needed) or to match
    a sign the export writes as it is (`kr`: `smk.io.parse.currency_codes`)."""
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z]{3}", value):
        return value.upper()
    return value


def currency_settings(settings: Mapping, where: str = "") -> dict:
    """`settings` (a params file's section, a notebook's parameters) with the currency codes a
    person typed in them read as ISO codes, whatever their case (`currency_code`):
    `reporting_currency: eur` is EUR, `fx_rates: {usd: 0.92}` USD's rate, so that they name
    the currencies the export's deals are in (read the same way:
    `smk.io.parse.currency_codes`). The one rule of `smk report --params` and of the notebooks
    under papermill (`-p reporting_currency eur`). Two keys of `fx_rates` naming one currency
    (`EUR` and `eur`) are a ValueError naming the setting as `where` + `fx_rates`."""
    out = dict(settings)
    if "reporting_currency" in out:
        out["reporting_currency"] = currency_code(out["reporting_currency"])
    rates = out.get("fx_rates")
    if isinstance(rates, Mapping):
        keys: dict[object, list] = {}  # the keys naming each currency, in the order written
        for key in rates:
            keys.setdefault(currency_code(key), []).append(key)
        for code, same in keys.items():
            if len(same) > 1:
                raise ValueError(
                    f"{where}fx_rates gives the rate of {code} more than once "
                    f"({', '.join(map(repr, same))}): currency codes are read in any case"
                )
        out["fx_rates"] = {currency_code(code): rate for code, rate in rates.items()}
    return out


def check_fx_rates(
    fx_rates: Mapping[str, float] | None, reporting_currency: str | None = None
) -> None:
    """Refuse exchange rates that would turn amounts into nonsense without a word: a rate must
    be a finite number above 0 (a rate of 0 or -1 made a currency's revenue vanish or turn
    negative), keyed by a currency code; rates given (not empty) must include
    `reporting_currency`, when one is named (`_check_reporting_rate`). The one rule of the
    notebooks (`deal_values`) and of `smk report --params`'s check before they run.
    A currency code (a key, `reporting_currency`) with spaces around it (`"USD "`), which
    would name no deal's currency, is refused too."""
    if isinstance(reporting_currency, str) and reporting_currency != reporting_currency.strip():
        raise ValueError(
            f"reporting_currency must be a currency code like 'EUR', without spaces around it, "
            f"got {reporting_currency!r}"
        )
    if fx_rates is None:
        return
    if not isinstance(fx_rates, Mapping):
        raise TypeError(
            f"fx_rates must map currency codes to rates, e.g. {{'EUR': 1.0, 'USD': 0.92}}, "
            f"got {fx_rates!r}"
        )
    for code, rate in fx_rates.items():
        if not isinstance(code, str) or not code.strip():
            raise TypeError(f"fx_rates: each key must be a currency code like 'EUR', got {code!r}")
        if code != code.strip():
            raise ValueError(
                f"fx_rates: each key must be a currency code like 'EUR', without spaces around "
                f"it, got {code!r}"
            )
        if isinstance(rate, decimal.Decimal):  # a NUMERIC column read through SQLAlchemy
            rate = float(rate)
        check_number(f"fx_rates[{code!r}]", rate, 0, exclusive="low", note=" (a currency's value)")
    _check_reporting_rate(fx_rates, reporting_currency)


def base_currencies(fx_rates: Mapping[str, float]) -> list[str]:
    """The currencies of `fx_rates` whose rate is 1.0, sorted: the currency the rates are given
    in, when there is exactly one (`{"EUR": 1.0, "USD": 0.92}`: EUR)."""
    return sorted(str(code) for code, rate in fx_rates.items() if rate == 1)


def _check_reporting_rate(fx_rates: Mapping[str, float], reporting_currency) -> None:
    """Refuse rates without one for the reporting currency: the amounts would come out in the
    currency the rates are given in (`{"USD": 1.0, "CAD": 0.73}`: USD) yet be labelled
    `reporting_currency` (EUR). Its rate may be other than 1: rates given in another base
    currency (`{"USD": 1.0, "EUR": 1.08}`) are divided by it (`deal_values`)."""
    if not fx_rates or not isinstance(reporting_currency, str) or reporting_currency in fx_rates:
        return
    bases = base_currencies(fx_rates)
    within, instead = "the currency the rates are given in", " to the currency whose rate is 1.0"
    if len(bases) == 1:
        within, instead = bases[0], f": {bases[0]}"
    elif bases:  # which of them the rates are given in cannot be told
        within = f"{' or '.join(bases)} (each has the rate 1.0)"
        instead = f" to the one of {', '.join(bases)} the rates are given in"
    raise ValueError(
        f"fx_rates ({', '.join(sorted(map(str, fx_rates)))}) has no rate for the reporting "
        f"currency {reporting_currency} (reporting_currency): the money figures would be in "
        f"{within} but labelled {reporting_currency}. "
        f"Add {reporting_currency} to fx_rates ({reporting_currency}: 1.0 when each rate is "
        f"the value of one unit in {reporting_currency}; else its value in the rates' base "
        f"currency), or set reporting_currency{instead}"
    )


@checked_tables
def deal_amounts(
    deals: pd.DataFrame,
    fx_rates: Mapping[str, float] | None = None,
    reporting_currency: str | None = None,
    what: str = "deal",
) -> pd.Series:
    """`deal_values` for sums and medians whose API predates currencies (segments, spend: any
    table with `amount` and `currency`, named `what` in the warning): several currencies
    without `fx_rates` are added as they are, with a warning that names them, not refused."""
    valued = deals["amount"].notna()  # a deal without an amount has nothing to convert
    found = deals.loc[valued, "currency"].dropna().unique() if "currency" in deals else []
    if not fx_rates and len(found) > 1:
        warnings.warn(
            f"{what} amounts are in {', '.join(sorted(map(str, found)))} and no fx rates were "
            "given: they are added as they are; pass fx rates to convert them",
            stacklevel=caller_stacklevel(),
        )
        return deals["amount"].astype("float64")
    return deal_values(deals, fx_rates, reporting_currency, what)


@checked_tables
def deal_table(
    crm: CRM,
    fx_rates: Mapping[str, float] | None = None,
    reporting_currency: str | None = None,
    as_of: pd.Timestamp | str | None = None,
    entries: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Deals created before `as_of` (None: all) with their value in the reporting currency,
    created/closed month, whether they are MQL-sourced, and the closing facts as known at
    `as_of`.

    A deal is MQL-sourced (pipeline from MQLs) when a contact of it had been a
    marketing-qualified lead on record before it: the contact's own MQL date (`mql_recorded_at`
    of `smk.funnel.mql_entry_dates`) is at or before the deal's creation. A deal of several
    contacts (`deal_contacts`: `contact_id` and `contact_ids_all`) is judged by any of them, in
    whatever order the export lists them; `contact_mql_at` is the earliest such date of its
    contacts. The funnel's MQL date cannot tell: it dates a contact that skipped the stage at
    its next one, so every contact with a deal was an MQL by then. `mql_date_inferred` marks
    the deals whose contacts count as MQLs by the deal's creation only by such an inferred
    date (a lead sales took straight to SQL or opportunity: sales-sourced); they are not
    MQL-sourced. A deal's sourcing does not change with a later `as_of`.
    `entries`: precomputed `smk.funnel.stage_entry_dates(crm.contacts, as_of)`.

    A deal without an amount has no `value` (NaN, never 0). The table's attrs say whether the
    export has a deals table at all (`DEALS_IN_EXPORT`): without one, `pipeline_by_month`
    gives unknown figures, not zeros; and whether it records MQL dates (`MQL_DATES_IN_EXPORT`,
    `smk.funnel.records_mql_dates`): without any, no deal's sourcing can be told, and
    `mql_sourced` is <NA> (nullable "boolean") for every deal.
    """
    cut = _as_of_ns(as_of)
    deals = crm.deals
    created_ns = _as_int(deals["created_at"])
    keep = created_ns < cut
    deals = deals[keep]
    value = deal_values(deals, fx_rates, reporting_currency)
    closed_ns = _as_int(deals["closed_at"])
    closed = deals["is_closed"].fillna(False).astype(bool).to_numpy() & (closed_ns < cut)
    won = deals["is_won"].fillna(False).astype(bool).to_numpy() & closed
    contacts = crm.contacts.set_index("contact_id")
    contacts = contacts[~contacts.index.duplicated()]
    links = deal_contacts(deals)
    people = crm.contacts
    if entries is None:  # only the deals' contacts are needed
        people = people[people["contact_id"].isin(links["contact_id"].unique())]
        entries = stage_entry_dates(people, as_of)
    became_mql = mql_entry_dates(people, entries=entries)
    became_mql.index = pd.Index(people["contact_id"].to_numpy(dtype=object))
    became_mql = became_mql[~became_mql.index.duplicated()]  # as `contacts` above
    became_mql = _earliest_of_deal(became_mql[["mql_at", "mql_recorded_at"]], links, len(deals))
    created = _as_int(deals["created_at"])
    on_record = became_mql["mql_recorded_at"]
    mql_sourced = _as_int(on_record) <= created  # NaT (no MQL on record) is never
    inferred = ~mql_sourced & (_as_int(became_mql["mql_at"]) <= created)
    told = records_mql_dates(crm.contacts)
    sourced = pd.Series(mql_sourced, index=deals.index)
    if not told:  # no contact's MQL date is on record: the sourcing of no deal is known
        sourced = pd.Series(pd.NA, index=deals.index, dtype="boolean")
    owner = deals["owner_id"].astype("string")
    owner = owner.fillna(deals["contact_id"].map(contacts["owner_id"]).astype("string"))
    table = pd.DataFrame(
        {
            "deal_id": deals["deal_id"],
            "contact_id": deals["contact_id"],
            "account_id": deals["account_id"],
            "owner_id": owner.fillna(UNKNOWN),
            "created_at": deals["created_at"],
            "created_month": deals["created_at"].dt.strftime("%Y-%m").astype("string"),
            "closed_at": deals["closed_at"].where(closed),
            "closed_month": deals["closed_at"].where(closed).dt.strftime("%Y-%m").astype("string"),
            "value": value,
            "is_closed": closed,
            "is_won": won,
            "contact_mql_at": on_record.set_axis(deals.index),
            "mql_sourced": sourced,
            "mql_date_inferred": inferred,
        }
    ).reset_index(drop=True)
    table.attrs[DEALS_IN_EXPORT] = not crm.deals.empty
    table.attrs[MQL_DATES_IN_EXPORT] = told
    return table


@checked_tables
def deal_contacts(deals: pd.DataFrame) -> pd.DataFrame:
    """Each deal's contacts, one row per deal and contact: `row` (the deal's position in
    `deals`) and `contact_id`. A deal of several contacts (HubSpot's `Associated Contact IDs`
    `101;102`, a sync's association table, a Salesforce opportunity's contact roles) keeps
    one in `contact_id` and the whole list in `contact_ids_all` (`smk.io.mapping.map_frame`,
    `smk.io.sql`, `smk.io.salesforce`); HubSpot's first listed is any of them, so a judgement
    of the deal by its contacts reads them all. A deal that names no contact has no row."""
    first = pd.DataFrame(
        {"row": np.arange(len(deals)), "contact_id": deals["contact_id"].astype("string").array}
    )
    lists = deals.get(CONTACT_LISTS)
    if lists is None:
        return first.dropna(subset=["contact_id"]).reset_index(drop=True)
    listed = listed_ids(lists.reset_index(drop=True))  # labelled by the deal's position
    rest = pd.DataFrame({"row": listed.index.to_numpy(), "contact_id": listed.array})
    both = pd.concat([first, rest], ignore_index=True)
    both = both[both["contact_id"].fillna("").ne("").to_numpy(dtype=bool)]
    return both.drop_duplicates().reset_index(drop=True)


def _earliest_of_deal(dates: pd.DataFrame, links: pd.DataFrame, deals: int) -> pd.DataFrame:
    """Of `dates` (by contact id), each column's earliest among each deal's contacts
    (`links`: `deal_contacts`), one row per deal in order (NaT: none of them has one)."""
    per_link = dates.reindex(links["contact_id"].to_numpy(dtype=object))
    per_link.index = pd.Index(links["row"].to_numpy())
    return per_link.groupby(level=0).min().reindex(range(deals))


#: `deal_table`'s attrs key: whether the export has deals at all (False: every pipeline and
#: revenue figure is unknown, not 0)
DEALS_IN_EXPORT = "deals_in_export"
#: `deal_table`'s attrs key: whether the export records MQL dates (`smk.funnel.
#: records_mql_dates`; False: pipeline from MQLs is unknown, not 0)
MQL_DATES_IN_EXPORT = "mql_dates_in_export"
#: Why pipeline from MQLs is unknown in an export without MQL dates (`MQL_DATES_IN_EXPORT`)
NO_MQL_DATES = (
    "the export records no date contacts became MQLs: which deals came from MQLs cannot be told"
)
#: `pipeline_by_month`'s columns of the deals from MQLs, unknown without MQL dates
_MQL_COLUMNS = ("mql_pipeline", "mql_deals", "mql_deals_without_amount")

#: `pipeline_by_month`'s money columns: (money, deals it counts, those of them without an
#: amount, what those deals are in words)
MONEY_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("pipeline_created", "deals_created", "deals_created_without_amount", "deals created"),
    ("mql_pipeline", "mql_deals", "mql_deals_without_amount", "deals created from MQLs"),
    ("won_revenue", "deals_won", "deals_won_without_amount", "deals won"),
)


@checked_tables
def pipeline_by_month(
    deals: pd.DataFrame,
    months: Sequence[str] | None = None,
    by: str | None = None,
    teams: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Pipeline created per month (and `by`, e.g. "owner_id" or "team") from `deal_table`:
    deals and their value, the part from MQLs (`mql_pipeline`, `mql_deals`: deals whose
    contact was an MQL on record before the deal, see `deal_table`), and won revenue and deals
    closed in the month.

    `months` gives the rows (a month without deals shows zeros); by default every month from
    the first to the last with a deal, gaps included.

    A deal without an amount counts as a deal but adds no money: each money column
    (`MONEY_COLUMNS`) sums the known values, its `..._without_amount` column counts the deals
    it leaves out, and it is NaN (unknown, not 0) when every deal it counts lacks an amount.
    A `deal_table` of an export without deals (`DEALS_IN_EXPORT` False) gives unknown rows:
    counts <NA> (nullable "Int64"), money and win rate NaN; one of an export without MQL dates
    (`MQL_DATES_IN_EXPORT` False) gives the deals from MQLs so (`NO_MQL_DATES`): `mql_pipeline`
    NaN, `mql_deals` and `mql_deals_without_amount` <NA>. `deals_without_contact` counts the
    deals created that name no contact: they can never be from MQLs (`no_contact_text`).

    Returns
    -------
    DataFrame: month, [by], deals_created, pipeline_created, mql_pipeline, mql_deals,
    deals_closed, deals_won, won_revenue, win_rate, deals_created_without_amount,
    mql_deals_without_amount, deals_won_without_amount, deals_without_contact.
    """
    frame = deals.assign(team=team_of(deals["owner_id"], teams))
    frame["mql_sourced"] = frame["mql_sourced"].fillna(False).astype(bool)  # <NA>: below
    lacking = frame["value"].isna()
    frame["mql_value"] = frame["value"].where(frame["mql_sourced"], 0.0)
    frame["no_amount"] = lacking
    frame["mql_no_amount"] = lacking & frame["mql_sourced"]
    frame["no_contact"] = frame["contact_id"].isna()
    keys = ["created_month"] + ([by] if by else [])
    created = frame.groupby(keys, observed=True).agg(
        deals_created=("deal_id", "size"),
        pipeline_created=("value", "sum"),
        mql_pipeline=("mql_value", "sum"),
        mql_deals=("mql_sourced", "sum"),
        deals_created_without_amount=("no_amount", "sum"),
        mql_deals_without_amount=("mql_no_amount", "sum"),
        deals_without_contact=("no_contact", "sum"),
    )
    created.index = created.index.set_names(["month"] + ([by] if by else []))
    closed = frame[frame["is_closed"]]
    ckeys = ["closed_month"] + ([by] if by else [])
    won = closed.assign(
        won_value=closed["value"].where(closed["is_won"], 0.0),
        won_no_amount=closed["no_amount"] & closed["is_won"],
    )
    closing = won.groupby(ckeys, observed=True).agg(
        deals_closed=("deal_id", "size"),
        deals_won=("is_won", "sum"),
        won_revenue=("won_value", "sum"),
        deals_won_without_amount=("won_no_amount", "sum"),
    )
    closing.index = closing.index.set_names(["month"] + ([by] if by else []))
    out = created.join(closing, how="outer")
    if months is not None:
        months = _month_labels(months)
    elif not by and len(out):
        months = _month_range(out.index.min(), out.index.max())
    if months is not None:
        if by:
            groups = sorted(frame[by].dropna().unique())
            index = pd.MultiIndex.from_product([list(months), groups], names=["month", by])
        else:
            index = pd.Index(list(months), name="month")
        out = out.reindex(index)
    ints = ["deals_created", "mql_deals", "deals_closed", "deals_won"]
    ints += [c[2] for c in MONEY_COLUMNS] + ["deals_without_contact"]
    out[ints] = out[ints].fillna(0).astype("int64")
    for money, deals_of, without, _ in MONEY_COLUMNS:  # every deal without an amount: unknown
        out[money] = (
            out[money].fillna(0.0).mask((out[deals_of] > 0) & (out[without] == out[deals_of]))
        )
    out["win_rate"] = safe_ratio(out["deals_won"], out["deals_closed"])
    if not deals.attrs.get(DEALS_IN_EXPORT, True):  # no deals table: nothing is known
        out[ints] = pd.DataFrame(pd.NA, index=out.index, columns=ints, dtype="Int64")
        out[[c[0] for c in MONEY_COLUMNS] + ["win_rate"]] = np.nan
    elif not deals.attrs.get(MQL_DATES_IN_EXPORT, True):  # which deals are from MQLs: unknown
        counts = list(_MQL_COLUMNS[1:])
        out[counts] = pd.DataFrame(pd.NA, index=out.index, columns=counts, dtype="Int64")
        out["mql_pipeline"] = np.nan
    columns = ["deals_created", "pipeline_created", "mql_pipeline", "mql_deals", "deals_closed"]
    columns += ["deals_won", "won_revenue", "win_rate"] + [c[2] for c in MONEY_COLUMNS]
    columns += ["deals_without_contact"]
    return out.reset_index()[["month"] + ([by] if by else []) + columns]


def pipeline_text(
    row: Mapping,
    month: Month | str,
    currency: str = "",
    no_deals: str | None = None,
    untold: str | None = None,
    assumed: str | None = None,
) -> str:
    """A month's row of `pipeline_by_month` as the lines the funnel page prints: deals, pipeline
    created and from MQLs, deals won and won revenue. A figure whose deals all lack an amount
    is "unknown", one that leaves some out says how many (`amount_gap`); the deals from MQLs
    say how many name no contact (`no_contact_text`), or are unknown without MQL dates
    (`NO_MQL_DATES`); `assumed` (`assumed_currency_note`) is a line on the currency the money
    is only taken to be in; `untold` (`untold_stages_note`) is
    a last line on the deals taken as open that may have been won. Without deals in the
    model, one line says that all of it is unknown, and why: `no_deals`
    (`CRM.no_rows_text("deals")`: every deal row set aside), else "the export has no deals"."""
    label = as_month(month).label
    if pd.isna(row["deals_created"]):
        why = no_deals or no_rows_text("deals")
        return f"deals, pipeline and won revenue in {label}: unknown ({why})"
    money = {}
    for column, *_ in MONEY_COLUMNS:
        gap = amount_gap(row, column)
        if pd.isna(row[column]):
            money[column] = f"unknown ({gap})"
        else:
            money[column] = f"{row[column]:,.0f} {currency}".rstrip()
            money[column] += f" ({gap}, not counted)" if gap else ""
    from_mqls = f"unknown ({NO_MQL_DATES})"
    if not pd.isna(row["mql_deals"]):
        from_mqls = (
            f"{money['mql_pipeline']}, {row['mql_deals']:.0f} of "
            f"{counted(row['deals_created'], 'deal')}{no_contact_text(row)}"
        )
    return "\n".join(
        [
            f"deals created in {label}: {row['deals_created']:.0f}",
            f"pipeline created: {money['pipeline_created']}",
            f"from MQLs (the contact was an MQL before the deal): {from_mqls}",
            f"deals won: {row['deals_won']:.0f} of {row['deals_closed']:.0f} closed",
            f"won revenue: {money['won_revenue']}",
            *([assumed] if assumed else []),
            *([untold] if untold else []),
        ]
    )


def no_contact_text(row: Mapping) -> str:
    """What the deals from MQLs of a `pipeline_by_month` row leave out for want of a contact,
    as the end of their count: "; 8 name no contact" ("" when every deal names one): a deal
    of no one is never from MQLs, so "0 of 8 deals" does not say its contacts were no MQLs."""
    n = row.get("deals_without_contact", 0)
    if pd.isna(n) or not n:
        return ""
    return f"; {n:,.0f} name{'s' if n == 1 else ''} no contact"


@checked_tables
def untold_stages_note(crm: CRM) -> str | None:
    """The caveat of the deals won, won revenue and win rate when the load took deals at stage
    values it cannot tell open from closed as open (its warning, read back by `smk.io.mapping.
    untold_deals`): any of them that was won is missing from those figures. None: no such
    deal."""
    n = untold_deals(crm.quality.warnings)
    if not n:
        return None
    return (
        f"{counted(n, 'deal')} at stage values smk cannot tell open from closed "
        f"{'is' if n == 1 else 'are'} taken as open: any of them won is not counted (the "
        "data-quality page)"
    )


@checked_tables
def assumed_currency_note(
    crm: CRM, currency: str | None = None, role: str = "the reporting currency"
) -> str | None:
    """The caveat of the money figures when the export names no deal's currency
    (`smk.io.validate.unnamed_currency`: a Salesforce org without multiple currencies,
    HubSpot's `Amount in company currency`): they are in `currency`, the page's `role` (the
    reporting currency), only because the page takes them to be (the load's warning says how
    to name another).
    None: the export names the currency of its amounts, or has none."""
    if not unnamed_currency(crm.deals):
        return None
    unit = f"{currency}, {role}" if currency else role
    return (
        f"no deal names its currency: the amounts are taken to be in {unit} (the data-quality page)"
    )


def amount_gap(row: Mapping, money: str, month: Month | str | None = None) -> str | None:
    """What deals without an amount do to a money figure of a `pipeline_by_month` row
    (`MONEY_COLUMNS`), or None when every deal it counts has one (or the deals are unknown):
    "the 2 deals won in 2026-10 have no amount" (the figure is unknown), "1 of the 3 deals
    created in 2026-10 has no amount" (the figure leaves it out)."""
    _, counted, without, what = next(c for c in MONEY_COLUMNS if c[0] == money)
    lacking = row.get(without, 0)
    if pd.isna(lacking) or not lacking:
        return None
    lacking, of = int(lacking), int(row[counted])
    where = f" in {as_month(month).label}" if month is not None else ""
    if lacking == of == 1:
        return f"the {what.replace('deals', 'deal', 1)}{where} has no amount"
    if lacking == of:
        return f"the {of} {what}{where} have no amount"
    return f"{lacking} of the {of} {what}{where} {'has' if lacking == 1 else 'have'} no amount"


@checked_tables
def sla_by_owner(
    leads: pd.DataFrame, month: Month | str, sla: SLA | None = None, by: str = "owner_id"
) -> pd.DataFrame:
    """One month's SLA figures per owner (or team, segment, source)."""
    table = sla_by_month(leads, sla, by=by, months=[as_month(month).label])
    return table[table["mqls"] > 0].drop(columns="month").reset_index(drop=True)


#: The columns of `sla_by_month` and `sla_by_owner` counted in the SLA's hours, and what each
#: is of them (the page's header: `hours_headers`).
HOURS_COLUMNS = {"median_hours": "Median", "p80_hours": "80th percentile"}


def hours_unit(sla: SLA | None = None) -> str:
    """The unit speed to lead is counted in: "working hours" with `business_hours`, else
    "hours"."""
    return "working hours" if (sla or SLA()).business_hours else "hours"


def hours_headers(sla: SLA | None = None) -> dict[str, str]:
    """The page's headers of the `HOURS_COLUMNS` of `sla_by_month` and `sla_by_owner`, in the
    unit of `sla` (`hours_unit`: "Median working hours"), for `smk.presentation.as_table`'s
    `headers`; the columns (and CSV exports) keep their names."""
    unit = hours_unit(sla)
    return {column: f"{what} {unit}" for column, what in HOURS_COLUMNS.items()}


__all__ = [
    "ACTIVITY_FLAGS",
    "FIGURES",
    "SLA",
    "NoDataError",
    "business_hours_between",
    "data_end",
    "DEALS_IN_EXPORT",
    "MONEY_COLUMNS",
    "MQL_DATES_IN_EXPORT",
    "NO_MQL_DATES",
    "deal_table",
    "deal_values",
    "first_activity_after",
    "group_labels",
    "HOURS_COLUMNS",
    "hours_headers",
    "hours_unit",
    "leads_behind",
    "leakage_parts",
    "leakage_text",
    "sla_share_text",
    "acceptance_cohort",
    "acceptance_period",
    "acceptance_text",
    "month_summary",
    "summary_text",
    "mql_leads",
    "owner_aliases",
    "uses_pseudonyms",
    "pseudonymise_owners",
    "rename_owners",
    "pipeline_by_month",
    "pipeline_text",
    "no_contact_text",
    "untold_stages_note",
    "amount_gap",
    "report_months",
    "rejection_reasons",
    "sla_by_month",
    "sla_by_owner",
    "speed_to_lead_distribution",
]
