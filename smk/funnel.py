"""The shared lifecycle funnel: subscriber -> lead -> MQL -> SQL -> opportunity -> customer.

Marketing and sales read one funnel built from the contacts' stage dates (`became_<stage>_at`).

Counting rules (also in docs/data-model.md):

* **Skipped stages.** A contact is counted in every stage up to the furthest one it reached, so a
  lead that went straight to customer counts as an MQL, SQL and opportunity too. A stage it
  skipped (no date of its own) is entered at the date of the next stage it did record: the
  *entry date* of stage k is the earliest recorded date of stage k or any later stage. The
  `skipped` columns count these contacts, so the imputation stays visible. Evangelists count
  as customers.
* **Stage without any date.** A contact whose `lifecycle_stage` is further than its furthest
  dated stage (an import without history) enters those stages at its last recorded stage date,
  or at its creation when it has none.
* **One MQL date.** `mql_entry_dates` is the one rule for when a contact became an MQL: the
  funnel's entry date of the mql stage, with the above filled in. The funnel, the SLA
  (`smk.sla.mql_leads`) and the scorecard's MQL count all use it, so the MQL count of a month
  is the same on every view.
* **MQL on record.** Pipeline from MQLs (`smk.sla.deal_table`) asks another question: was the
  deal's contact a marketing-qualified lead *before* the deal? A date inferred from a later
  stage cannot say so (every contact with a deal has reached a later stage, so every deal would
  count), so it uses the contact's own MQL date (`mql_recorded_at` of `mql_entry_dates`): its
  recorded `became_mql_at`, or, for an import without stage history whose lifecycle stage is
  mql, the date the funnel gives it. A contact that skipped the stage (a lead sales took
  straight to SQL: sales-sourced) has none.
* **As-of date.** Every function takes an explicit, exclusive `as_of`: stage dates at or after it
  are ignored, so a report re-run on a later export gives the month's numbers as they were.
* **Periods and cohorts.** The period view counts contacts that *entered* each stage in the
  month; its ratios (`ratio_to_previous`) compare flows of the same month, which are no
  conversion and may exceed 1 (MQLs of last month's leads against this month's new leads).
  The cohort view follows the contacts that entered a stage in a month and counts how many
  reached the next stage by `as_of`; a cohort younger than the transition's maturity (by
  default its 80th-percentile velocity among the contacts that made it, `transition_maturity`)
  is flagged as immature, as is every cohort of a transition nobody has made yet, so a recent
  cohort that has not had time to convert is not read as a drop.

Months are UTC calendar months (`smk.periods.Month`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from smk.checks import check_integer, checked_tables
from smk.errors import NoDataError
from smk.model import STAGE_DATE_COLUMNS, no_rows_text
from smk.periods import Month, as_month, as_of_time

#: Funnel stages in order (evangelists count as customers).
FUNNEL_STAGES: tuple[str, ...] = ("subscriber", "lead", "mql", "sql", "opportunity", "customer")
#: Display labels of the stages.
STAGE_LABELS: dict[str, str] = {
    "subscriber": "Subscriber",
    "lead": "Lead",
    "mql": "MQL",
    "sql": "SQL",
    "opportunity": "Opportunity",
    "customer": "Customer",
}
#: The funnel mapped onto AIDA: marketing owns Attention, Interest and Desire, sales owns Action.
AIDA: dict[str, str] = {
    "subscriber": "Attention",
    "lead": "Interest",
    "mql": "Desire",
    "sql": "Action",
    "opportunity": "Action",
    "customer": "Action",
}
AIDA_OWNER: dict[str, str] = {
    "Attention": "marketing",
    "Interest": "marketing",
    "Desire": "marketing",
    "Action": "sales",
}
#: Stage-to-stage transitions of the funnel.
TRANSITIONS: tuple[tuple[str, str], ...] = tuple(
    zip(FUNNEL_STAGES, FUNNEL_STAGES[1:], strict=False)
)
#: Label of contacts without a value in a breakdown column.
UNKNOWN = "(unknown)"

_NS_PER_DAY = 86_400 * 10**9
_NAT = np.iinfo("int64").min
_NEVER = np.iinfo("int64").max


# ------------------------------------------------------------------------------ stage dates
def _as_int(times: pd.Series) -> np.ndarray:
    """UTC timestamps as int64 nanoseconds, NaT as `_NEVER`."""
    t = pd.to_datetime(times, utc=True)
    if t.dtype != "datetime64[ns, UTC]":
        t = t.astype("datetime64[ns, UTC]")
    values = np.asarray(t.array.asi8)
    return np.where(values == _NAT, _NEVER, values)


def _to_times(values: np.ndarray, index: pd.Index) -> pd.Series:
    out = np.where(values == _NEVER, _NAT, values).view("datetime64[ns]")
    return pd.Series(pd.DatetimeIndex(out).tz_localize("UTC"), index=index)


def _as_of_ns(as_of: pd.Timestamp | str | None) -> int:
    if as_of is None:
        return _NEVER
    return int(as_of_time(as_of).value)


@checked_tables
def stage_entry_dates(
    contacts: pd.DataFrame, as_of: pd.Timestamp | str | None = None
) -> pd.DataFrame:
    """When each contact entered each funnel stage, with skipped stages filled in.

    Parameters
    ----------
    contacts : the canonical contacts table.
    as_of : exclusive cut-off; stage dates at or after it are ignored (None: use every date).

    Returns
    -------
    DataFrame indexed like `contacts`: one UTC datetime column per stage of `FUNNEL_STAGES`
    (NaT: not reached by `as_of`), `skipped_<stage>` flags (reached without a date of its own)
    and `furthest_stage` (or <NA> for contacts outside the funnel).
    """
    cut = _as_of_ns(as_of)
    stages = list(FUNNEL_STAGES) + ["evangelist"]
    raw = (
        np.column_stack(
            [
                _as_int(contacts[STAGE_DATE_COLUMNS[s]])
                if STAGE_DATE_COLUMNS[s] in contacts
                else np.full(len(contacts), _NEVER, dtype="int64")
                for s in stages
            ]
        )
        if len(contacts)
        else np.empty((0, len(stages)), dtype="int64")
    )
    raw = raw.reshape(len(contacts), len(stages))
    # stages reached according to lifecycle_stage but never dated (imports without history)
    order = {s: i for i, s in enumerate(stages)}
    life = (
        contacts["lifecycle_stage"].map(order).astype("float64").fillna(-1).to_numpy().astype(int)
        if "lifecycle_stage" in contacts
        else np.full(len(contacts), -1)
    )
    dated = raw != _NEVER
    furthest_dated = np.where(
        dated.any(axis=1), len(stages) - 1 - np.argmax(dated[:, ::-1], axis=1), -1
    )
    undated = life > furthest_dated
    if undated.any():
        last = np.where(dated, raw, _NAT).max(axis=1)
        created = _as_int(contacts["created_at"])
        fill = np.where(last == _NAT, created, last)
        rows = np.flatnonzero(undated)
        raw[rows, life[rows]] = fill[rows]
    recorded = np.where(raw < cut, raw, _NEVER)
    # a customer who became an evangelist without a customer date is a customer at that date
    recorded[:, -2] = np.minimum(recorded[:, -2], recorded[:, -1])
    recorded = recorded[:, :-1]
    entry = np.minimum.accumulate(recorded[:, ::-1], axis=1)[:, ::-1]
    out = {s: _to_times(entry[:, i], contacts.index) for i, s in enumerate(FUNNEL_STAGES)}
    for i, s in enumerate(FUNNEL_STAGES):
        out[f"skipped_{s}"] = pd.Series(
            (entry[:, i] != _NEVER) & (recorded[:, i] == _NEVER), index=contacts.index
        )
    reached = entry != _NEVER
    furthest = np.where(
        reached.any(axis=1), len(FUNNEL_STAGES) - 1 - np.argmax(reached[:, ::-1], axis=1), -1
    )
    labels = np.array(list(FUNNEL_STAGES) + [None], dtype=object)
    out["furthest_stage"] = pd.Series(labels[furthest], index=contacts.index, dtype="string")
    return pd.DataFrame(out)


@checked_tables
def mql_entry_dates(
    contacts: pd.DataFrame,
    as_of: pd.Timestamp | str | None = None,
    entries: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """When each contact became an MQL: the funnel's entry date of the mql stage.

    This is the one rule for "became an MQL at", shared by the funnel's MQL row, the SLA's
    MQLs (`smk.sla.mql_leads`) and the scorecard's MQL count: the earliest recorded date of the
    mql stage or any later one, before `as_of`. So a contact that skipped the stage (lead
    straight to SQL) became an MQL at its next recorded stage date, one with out-of-order dates
    (SQL 20 Oct, MQL 2 Nov) at the earlier date, and one whose `lifecycle_stage` is mql or later
    without any stage date at its creation (see `stage_entry_dates`).

    `mql_recorded_at` is the contact's own MQL date, what MQL-sourced pipeline
    (`smk.sla.deal_table`) needs: its `became_mql_at` before `as_of` (even when a later stage
    was recorded earlier), or for a contact whose `lifecycle_stage` is mql without a date for it
    the date the funnel gives it; NaT for a contact that skipped the stage or reached it only
    after `as_of`.

    Parameters
    ----------
    contacts : the canonical contacts table.
    as_of : exclusive cut-off (None: every date); ignored when `entries` is given.
    entries : precomputed `stage_entry_dates(contacts, as_of)`.

    Returns
    -------
    DataFrame indexed like `contacts`: `mql_at` (UTC; NaT: not an MQL by `as_of`),
    `mql_date_inferred` (True where `mql_at` is not the contact's own recorded `became_mql_at`:
    a skipped stage, out-of-order dates, or a lifecycle stage without dates) and
    `mql_recorded_at` (UTC; the contact's own MQL date, see above).
    """
    if entries is None:
        entries = stage_entry_dates(contacts, as_of)
    mql_at = entries["mql"]
    entered = _as_int(mql_at)
    column = STAGE_DATE_COLUMNS["mql"]
    recorded = _as_int(contacts[column]) if column in contacts else np.full(len(contacts), _NEVER)
    inferred = (entered != _NEVER) & (recorded != entered)
    # a stage of its own (not skipped): its recorded date, else the lifecycle stage's fill-in
    # (when `recorded` is at or after as_of the stage counts as skipped or not reached)
    own = (entered != _NEVER) & ~entries["skipped_mql"].to_numpy(dtype=bool)
    on_record = np.where(own, np.where(recorded != _NEVER, recorded, entered), _NEVER)
    return pd.DataFrame(
        {
            "mql_at": mql_at,
            "mql_date_inferred": pd.Series(inferred, index=contacts.index),
            "mql_recorded_at": _to_times(on_record, contacts.index),
        }
    )


@checked_tables
def records_mql_dates(contacts: pd.DataFrame) -> bool:
    """Whether the export records when contacts became MQLs: any contact has a `became_mql_at`.

    Without one (a CRM whose export writes no stage dates: Pipedrive, Zoho through a mapping
    file) no contact has an MQL date on record but the creation date a lifecycle stage of mql
    stands in for, and a contact with a deal is raised past the stage by the deal's dates
    (`smk.io.deal_dates`): which deals came from MQLs cannot be told (`smk.sla.deal_table`).
    """
    column = STAGE_DATE_COLUMNS["mql"]
    return column in contacts and bool(contacts[column].notna().any())


# ------------------------------------------------------------------------------ groups
#: Segments as `segment_of` takes them: a Series or mapping of id -> segment, or a table with
#: an id column and a `segment` column (`AccountSegmenter.assign`, `read_segments`).
Segments = pd.Series | pd.DataFrame | Mapping


def _segments_table(frame: pd.DataFrame, source: str) -> tuple[pd.Series, str]:
    """A segments table's `segment` column keyed by its id column, and that column's name:
    contact_id, else account_id (a table with both is read by contact, the finer key).
    A table without either, or without `segment`, is a ValueError naming `source`."""
    key = next((c for c in ("contact_id", "account_id") if c in frame.columns), None)
    if key is None or "segment" not in frame.columns:
        raise ValueError(
            f"{source} needs a contact_id or account_id column and a segment column; it has "
            f"{', '.join(map(str, frame.columns))}"
        )
    return frame.set_index(key)["segment"], key


@checked_tables
def segment_of(
    contacts: pd.DataFrame,
    segments: Segments | None,
    key: str | None = None,
    missing: str = UNKNOWN,
) -> pd.Series:
    """Each contact's segment from a mapping keyed by contact_id or by account_id.

    Parameters
    ----------
    contacts : the canonical contacts table.
    segments : Series or mapping of contact_id -> segment or account_id -> segment (e.g. the
        output of the segmentation notebook), or a table with a `segment` column and an id
        column (`AccountSegmenter.assign`'s; see `_segments_table`), which is the key. An id
        may repeat with the same segment, not with another (a ValueError names it); a whole
        float segment (1.0) reads as the integer (1).
    key : "contact_id" or "account_id"; None picks the one more of the mapping's keys match.
    missing : label of contacts the mapping does not cover.
    """
    if segments is None:
        return pd.Series(missing, index=contacts.index, dtype="string")
    if isinstance(segments, pd.DataFrame):
        segments, column = _segments_table(segments, "the segments table")
        if key not in (None, column):
            raise ValueError(f"key={key!r}, but the segments table is keyed by its {column}")
        key = column
    mapping = _segment_labels(pd.Series(segments))
    mapping = mapping.set_axis(mapping.index.astype("string"))  # a new Series: input untouched
    if key is None:
        keys = set(mapping.index)
        on_contact = contacts["contact_id"].isin(keys).sum()
        on_account = contacts["account_id"].isin(keys).sum() if "account_id" in contacts else 0
        key = "account_id" if on_account > on_contact else "contact_id"
    if key not in ("contact_id", "account_id"):
        raise ValueError(f"segments are keyed by contact_id or account_id, not {key!r}")
    mapping = _one_segment_each(mapping, key, "the segments")
    return contacts[key].map(mapping).astype("string").fillna(missing)


def _segment_labels(segments: pd.Series) -> pd.Series:
    """Segments as text; a whole float as the integer it is (segment 1, not "1.0", also in a
    float column that a missing segment made of integers)."""
    text = segments.astype("string")
    if pd.api.types.is_float_dtype(segments):
        whole = (segments.notna() & (segments % 1 == 0) & (segments.abs() < 2**53)).fillna(False)
        text[whole.to_numpy(bool)] = segments[whole.to_numpy(bool)].astype("int64").astype("string")
    return text


def _one_segment_each(mapping: pd.Series, key: str, source: str) -> pd.Series:
    """`mapping` (id -> segment, missing segments left out) with each id once; an id given
    more than one segment is a ValueError naming it and `source` (which is meant cannot be
    told)."""
    mapping = mapping.dropna()
    repeated = mapping[mapping.index.duplicated(keep=False)]
    counts = repeated.groupby(level=0, sort=True).nunique()
    conflicting = counts.index[counts > 1]
    if len(conflicting):
        first = conflicting[0]
        given = ", ".join(repeated.loc[[first]].drop_duplicates())
        raise ValueError(
            f"{source}: {len(conflicting)} {key} value(s) with more than one segment, e.g. "
            f"{key} {first}: {given}; give each {key} one segment"
        )
    return mapping[~mapping.index.duplicated()]


def read_segments(path: str | Path) -> pd.Series:
    """Segments from a CSV with an id column (contact_id or account_id) and a `segment` column,
    as `segment_of` takes them (e.g. the segmentation notebook's export). A file pandas
    cannot read as a CSV (empty, ragged, not UTF-8) is a ValueError naming it."""
    try:
        table = pd.read_csv(path, dtype="string")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the segments CSV {path}: {exc}") from None
    segments, key = _segments_table(table, str(path))
    return _one_segment_each(segments, key, str(path))


@checked_tables
def group_labels(
    contacts: pd.DataFrame,
    by: str | pd.Series | None,
    segments: Segments | None = None,
    teams: Mapping[str, str] | None = None,
) -> pd.Series | None:
    """The breakdown column for `by`: a contacts column, "segment", "team" or a Series.

    "segment" uses `segments` (see `segment_of`); "team" maps owner_id through `teams`
    (owners not listed are "other"; no mapping puts every owner in "sales").
    """
    if by is None:
        return None
    if isinstance(by, pd.Series):
        return by.reindex(contacts.index).astype("string").fillna(UNKNOWN)
    if by == "segment":
        return segment_of(contacts, segments)
    if by == "team":
        return team_of(contacts["owner_id"], teams)
    if by not in contacts:
        raise ValueError(
            f"cannot break the funnel down by {by!r}: use a contacts column (e.g. "
            "original_source, owner_id, country), 'segment', 'team' or a Series"
        )
    return contacts[by].astype("string").fillna(UNKNOWN)


def team_of(owner_ids: pd.Series, teams: Mapping[str, str] | None = None) -> pd.Series:
    """Team of each owner: `teams` maps owner_id -> team, unlisted owners are "other"."""
    if not teams:
        return pd.Series("sales", index=owner_ids.index, dtype="string")
    return owner_ids.astype("string").map(dict(teams)).astype("string").fillna("other")


# ------------------------------------------------------------------------------ helpers
def safe_ratio(numerator, denominator):
    """numerator / denominator with NaN (never inf, never a warning) where the denominator is 0."""
    num = np.asarray(numerator, dtype="float64")
    den = np.asarray(denominator, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return out if out.ndim else float(out)


@checked_tables
def no_entries_text(contacts: pd.DataFrame, counts: pd.DataFrame, month: Month | str) -> str | None:
    """Why the funnel of `month` (`funnel_counts(contacts, month)`: `counts`) has nobody in it,
    for the page beside its stages of 0: the range of the export's stage entry dates (all of
    them, not only those before the month's end), and what to do; None when a contact entered
    a stage in the month."""
    if counts["contacts"].any():
        return None
    period = as_month(month)
    dates = stage_entry_dates(contacts)[list(FUNNEL_STAGES)]
    first, last = dates.min().min(), dates.max().max()
    if pd.isna(first):
        return f"no contact entered the funnel in {period}: the export has no stage dates"
    span = f"stage dates run from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    if period.end <= first or period.start > last:
        return f"no contact entered the funnel in {period} ({span}): choose a month in that range"
    return f"no contact entered the funnel in {period} ({span}, none of them in {period})"


@checked_tables
def outside_funnel(contacts: pd.DataFrame, month: Month | str) -> dict[str, int]:
    """The contacts no funnel stage holds, as of the end of `month`: those with no lifecycle
    stage and no stage date (a Pipedrive person without a label or a deal), which
    `stage_entry_dates` can give no entry. `created_in_month` counts those created in
    `month`, `created_by_month_end` all created before its end; `contacts_*` the contacts
    created so, with a stage or not, for the share."""
    period = as_month(month)
    created = pd.to_datetime(contacts["created_at"], utc=True)
    unstaged = contacts.get("lifecycle_stage", pd.Series(pd.NA, index=contacts.index)).isna()
    for column in STAGE_DATE_COLUMNS.values():
        if column in contacts:
            unstaged &= contacts[column].isna()
    in_month, by_end = period.contains(created), created < period.end
    return {
        "created_in_month": int((unstaged & in_month).sum()),
        "created_by_month_end": int((unstaged & by_end).sum()),
        "contacts_in_month": int(in_month.sum()),
        "contacts_by_month_end": int(by_end.sum()),
    }


def outside_funnel_text(counts: Mapping[str, int], month: Month | str) -> str | None:
    """What the funnel page says of `outside_funnel`'s contacts, and how to bring them in: a
    lifecycle stage in the CRM, or, for an export read through a mapping file, its stage
    values translated or a `became_lead_at` (a contact that is a lead when created); None when
    no contact is outside the funnel by the month's end. The month's own count leads when it
    has any."""
    if not counts["created_by_month_end"]:
        return None
    period, outside = as_month(month), counts["created_in_month"]
    by_end = f"{counts['created_by_month_end']:,} of the {counts['contacts_by_month_end']:,}"
    if outside:
        who = (
            f"{outside:,} of the {counts['contacts_in_month']:,} contacts created in {period} "
            f"({by_end} created by its end) {'has' if outside == 1 else 'have'}"
        )
    else:
        one = counts["created_by_month_end"] == 1
        who = (
            f"{by_end} contacts created by the end of {period} (none of those created in it) "
            f"{'has' if one else 'have'}"
        )
    return (
        f"{who} no lifecycle stage and no stage date: they are outside the funnel, in none of "
        "its stages. To count them, give them a lifecycle stage in the CRM (a Pipedrive "
        "person's label); an export read through a mapping file can also translate its stage "
        "values (`values: lifecycle_stage:`) or map a became_lead_at column, such as the "
        "creation date when every contact is a lead (docs/mappings.md)"
    )


# ------------------------------------------------------------------------------ counts
@checked_tables
def funnel_counts(
    contacts: pd.DataFrame,
    month: Month | str | None = None,
    as_of: pd.Timestamp | str | None = None,
    by: str | pd.Series | None = None,
    segments: Segments | None = None,
    teams: Mapping[str, str] | None = None,
    entries: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Contacts per funnel stage, in total or entering in one month, optionally by group.

    Parameters
    ----------
    contacts : the canonical contacts table.
    month : count contacts that entered each stage in this month (None: reached by `as_of`).
    as_of : exclusive cut-off (default: the end of `month`, or no cut-off).
    by : breakdown: a contacts column ("original_source", "owner_id", ...), "segment",
        "team" or a Series aligned to `contacts`.
    segments, teams : see `group_labels`.
    entries : precomputed `stage_entry_dates` (saves recomputing them).

    Returns
    -------
    Tidy DataFrame: [group,] stage, label, aida, contacts, skipped (counted via a later stage),
    ratio_to_previous (contacts over the previous stage's). Without `month` it is a
    conversion, the share of the previous stage's contacts that reached this one (at most 1);
    with `month` it compares two flows of the month, not a conversion, and may exceed 1 (10
    MQLs of leads that entered in earlier months against 2 new leads: 5.0). Conversion of
    the contacts that entered a stage in a month is `cohort_conversion`.

    A month in which no contact entered any stage is a funnel of 0s, not missing data
    (`no_entries_text` says why it is empty).

    Raises
    ------
    NoDataError : when `month` is given and the export has no contacts at all.
    """
    period = as_month(month) if month is not None else None
    if period is not None and contacts.empty:  # no export of contacts: nothing was measured
        raise NoDataError(f"no funnel for {period}: {no_rows_text('contacts')}")
    if as_of is None and period is not None:
        as_of = period.end
    if entries is None:
        entries = stage_entry_dates(contacts, as_of)
    groups = group_labels(contacts, by, segments, teams)
    counted = {}
    for s in FUNNEL_STAGES:
        mask = entries[s].notna()
        if period is not None:
            mask &= period.contains(entries[s])
        counted[s] = mask
    frame = pd.DataFrame(
        {
            **{f"n_{s}": counted[s] for s in FUNNEL_STAGES},
            **{f"k_{s}": counted[s] & entries[f"skipped_{s}"] for s in FUNNEL_STAGES},
        }
    )
    if groups is None:
        sums = frame.sum().to_frame().T
        sums.index = pd.Index(["all"], name="group")
    else:
        sums = frame.groupby(groups.rename("group"), observed=True).sum()
        # a group without any contact in the first stage still shows with zeros
    rows = []
    for group, row in sums.iterrows():
        previous = None
        for s in FUNNEL_STAGES:
            n = int(row[f"n_{s}"])
            rows.append(
                {
                    "group": group,
                    "stage": s,
                    "label": STAGE_LABELS[s],
                    "aida": AIDA[s],
                    "contacts": n,
                    "skipped": int(row[f"k_{s}"]),
                    "ratio_to_previous": np.nan if previous is None else safe_ratio(n, previous),
                }
            )
            previous = n
    out = pd.DataFrame(rows)
    if groups is None:
        out = out.drop(columns="group")
    else:
        name = by if isinstance(by, str) else (by.name or "group")
        out = out.rename(columns={"group": name})
    return out


@checked_tables
def funnel_wide(counts: pd.DataFrame, value: str = "contacts") -> pd.DataFrame:
    """A breakdown from `funnel_counts(by=...)` as one row per group, one column per stage."""
    group = counts.columns[0]
    wide = counts.pivot(index=group, columns="stage", values=value)[list(FUNNEL_STAGES)]
    wide.columns = [STAGE_LABELS[s] for s in FUNNEL_STAGES]
    return wide.sort_values(wide.columns[0], ascending=False)


@checked_tables
def aida_summary(counts: pd.DataFrame) -> pd.DataFrame:
    """The funnel as AIDA phases: contacts entering each phase's first stage, and who owns it."""
    if "group" in counts.columns or counts["stage"].duplicated().any():
        raise ValueError("aida_summary takes funnel_counts without a breakdown (by=None)")
    rows = []
    for phase in dict.fromkeys(AIDA.values()):
        stages = [s for s in FUNNEL_STAGES if AIDA[s] == phase]
        first = counts.set_index("stage").loc[stages[0], "contacts"]
        rows.append(
            {
                "phase": phase,
                "stages": ", ".join(STAGE_LABELS[s] for s in stages),
                "owner": AIDA_OWNER[phase],
                "contacts": int(first),
            }
        )
    out = pd.DataFrame(rows)
    out["share_of_attention"] = safe_ratio(out["contacts"], out["contacts"].iloc[0])
    return out


# ------------------------------------------------------------------------------ velocity
@checked_tables
def velocity(
    contacts: pd.DataFrame,
    as_of: pd.Timestamp | str | None = None,
    by: str | pd.Series | None = None,
    segments: Segments | None = None,
    teams: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Days between consecutive stages: median and 80th percentile, per transition.

    Only contacts with a recorded date for both stages count (a skipped stage has no duration
    of its own), and only when the later stage's date is not before the earlier one's: a
    contact whose dates are out of order (an import with historical stage dates) took no time
    one can measure, is left out, and counted in `dates_out_of_order`, so the table says why a
    step has fewer contacts than hold both dates. The last row, lead -> customer, is the whole
    way through.

    Returns
    -------
    DataFrame: [group,] from_stage, to_stage, contacts, median_days, p80_days,
    dates_out_of_order.
    """
    cut = _as_of_ns(as_of)
    groups = group_labels(contacts, by, segments, teams)
    pairs = list(TRANSITIONS) + [("lead", "customer")]
    parts = []
    for a, b in pairs:
        start = _as_int(contacts[STAGE_DATE_COLUMNS[a]])
        end = _as_int(contacts[STAGE_DATE_COLUMNS[b]])
        both = (start < cut) & (end < cut)
        days = pd.Series((end[both] - start[both]) / _NS_PER_DAY)
        part = pd.DataFrame({"from_stage": a, "to_stage": b, "days": days.to_numpy()})
        part["dates_out_of_order"] = part["days"] < 0
        part.loc[part["dates_out_of_order"], "days"] = np.nan
        if groups is not None:
            part["group"] = groups.to_numpy()[both]
        parts.append(part)
    data = pd.concat(parts, ignore_index=True)
    keys = (["group"] if groups is not None else []) + ["from_stage", "to_stage"]
    out = (
        data.groupby(keys, sort=False, observed=True)
        .agg(
            contacts=("days", "count"),
            median_days=("days", "median"),
            p80_days=("days", lambda d: d.quantile(0.8)),
            dates_out_of_order=("dates_out_of_order", "sum"),
        )
        .reset_index()
    )
    # every transition shows, with 0 contacts and NaN days where none was observed
    frame = pd.DataFrame(pairs, columns=["from_stage", "to_stage"])
    if groups is None:
        out = frame.merge(out, how="left", on=["from_stage", "to_stage"])
        for col in ("contacts", "dates_out_of_order"):
            out[col] = out[col].fillna(0).astype("int64")
    else:
        name = by if isinstance(by, str) else (by.name or "group")
        out = out.rename(columns={"group": name})
    return out


# ------------------------------------------------------------------------------ cohorts
@checked_tables
def transition_maturity(entries: pd.DataFrame, a: str, b: str, share: float = 0.8) -> float:
    """Days within which `share` of the contacts that made the transition `a` -> `b` made it
    (its 80th-percentile velocity), from `stage_entry_dates`. A contact that skipped `a`
    (created straight as a lead: it enters `a` when it enters a later stage) took 0 days that
    say nothing about how long the step takes, and is left out; one that skipped `b` (a lead
    taken straight to SQL) counts at the time it took to get past `b`. When every contact
    that made it skipped `a` (a Salesforce lead is never a subscriber), the step takes no
    time: 0 days, every cohort mature. NaN when nobody made it yet: no cohort of it can be
    judged mature."""
    made = entries[a].notna() & entries[b].notna()
    own = made & ~entries[f"skipped_{a}"]
    gap = (entries.loc[own, b] - entries.loc[own, a]).dt.total_seconds() / 86_400
    if len(gap):
        return float(gap.quantile(share))
    return 0.0 if made.any() else float("nan")


def _transitions(transitions) -> list[tuple[str, str]]:
    """(from_stage, to_stage) pairs of funnel stages; one pair may be given alone
    (("lead", "mql")). Anything else is a ValueError naming what is wrong."""
    pairs = list(transitions)
    if len(pairs) == 2 and all(isinstance(p, str) for p in pairs):
        pairs = [tuple(pairs)]
    for pair in pairs:
        if isinstance(pair, str) or len(pair) != 2 or not set(pair) <= set(FUNNEL_STAGES):
            raise ValueError(
                f"transitions must be (from_stage, to_stage) pairs of {', '.join(FUNNEL_STAGES)},"
                f" got {pair!r}"
            )
    return [tuple(p) for p in pairs]


@checked_tables
def cohort_conversion(
    contacts: pd.DataFrame,
    as_of: pd.Timestamp | str,
    transitions: tuple[tuple[str, str], ...] = TRANSITIONS,
    maturity_days: Mapping[tuple[str, str], float] | float | None = None,
    months: int | None = None,
    entries: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Stage-to-stage conversion by monthly cohort (the month contacts entered the first stage).

    Parameters
    ----------
    contacts : the canonical contacts table.
    as_of : exclusive cut-off; conversions after it are not seen.
    transitions : (from_stage, to_stage) pairs (default: consecutive stages).
    maturity_days : days a cohort needs after its month ends before its rate is final;
        a number, a mapping per transition, or None for each transition's 80th-percentile
        velocity (`transition_maturity`) among the contacts that made the transition, both
        stages entered on dates of their own (a contact that skipped one of them took no
        time over it); a transition nobody made yet has no usual time (NaN) and none of its
        cohorts counts as mature.
    months : keep only the last `months` cohorts.
    entries : precomputed `stage_entry_dates(contacts, as_of)`.

    Returns
    -------
    DataFrame: from_stage, to_stage, cohort (YYYY-MM), entered, converted, rate,
    days_since_cohort_end, maturity_days, mature (False where `maturity_days` is NaN).
    """
    cut = as_of_time(as_of)
    transitions = _transitions(transitions)
    if months is not None:
        months = check_integer("months", months, 1, None, " (cohorts kept)", whole_floats=True)
    if entries is None:
        entries = stage_entry_dates(contacts, cut)
    rows = []
    for a, b in transitions:
        start = entries[a]
        end = entries[b]
        has = start.notna()
        if maturity_days is None:
            mature_after = transition_maturity(entries, a, b)
        elif isinstance(maturity_days, Mapping):
            mature_after = float(maturity_days.get((a, b), 0.0))
        else:
            mature_after = float(maturity_days)
        cohort = start[has].dt.tz_localize(None).dt.to_period("M")
        converted = end[has].notna()
        table = (
            pd.DataFrame({"cohort": cohort, "converted": converted})
            .groupby("cohort")["converted"]
            .agg(entered="size", converted="sum")
        )
        for period, r in table.iterrows():
            month_end = (period + 1).to_timestamp().tz_localize("UTC")
            days = (cut - month_end).total_seconds() / 86_400
            rows.append(
                {
                    "from_stage": a,
                    "to_stage": b,
                    "cohort": str(period),
                    "entered": int(r["entered"]),
                    "converted": int(r["converted"]),
                    "days_since_cohort_end": days,
                    "maturity_days": mature_after,
                }
            )
    out = pd.DataFrame(
        rows,
        columns=[
            "from_stage",
            "to_stage",
            "cohort",
            "entered",
            "converted",
            "days_since_cohort_end",
            "maturity_days",
        ],
    )
    out["rate"] = safe_ratio(out["converted"], out["entered"])
    out["mature"] = out["days_since_cohort_end"] >= out["maturity_days"]
    if months is not None:
        keep = sorted(out["cohort"].unique())[-months:]
        out = out[out["cohort"].isin(keep)].reset_index(drop=True)
    return out[
        [
            "from_stage",
            "to_stage",
            "cohort",
            "entered",
            "converted",
            "rate",
            "days_since_cohort_end",
            "maturity_days",
            "mature",
        ]
    ]


@checked_tables
def cohort_table(cohorts: pd.DataFrame) -> pd.DataFrame:
    """`cohort_conversion` as cohorts x transitions of rates with the counts behind them
    ("100% (3 of 3)": a rate of a handful of contacts reads as what it is), immature cells
    marked with '*' ("0% (0 of 5)*")."""
    label = cohorts["from_stage"].map(STAGE_LABELS) + " -> " + cohorts["to_stage"].map(STAGE_LABELS)
    text = pd.Series(
        [
            "" if pd.isna(rate) else f"{rate * 100:.0f}% ({converted:,.0f} of {entered:,.0f})"
            for rate, converted, entered in zip(
                cohorts["rate"], cohorts["converted"], cohorts["entered"], strict=True
            )
        ],
        index=cohorts.index,
    )
    text = text.where(cohorts["mature"], text + "*")
    wide = pd.DataFrame({"cohort": cohorts["cohort"], "transition": label, "rate": text}).pivot(
        index="cohort", columns="transition", values="rate"
    )
    order = list(dict.fromkeys(label))
    return wide[order].fillna("")


# ------------------------------------------------------------------------------ leads behind
@checked_tables
def contacts_in_stage(
    contacts: pd.DataFrame,
    stage: str,
    month: Month | str | None = None,
    as_of: pd.Timestamp | str | None = None,
    entries: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The contacts behind a funnel count: ids, owner, source and the stage's entry date."""
    if stage not in FUNNEL_STAGES:
        raise ValueError(f"unknown stage {stage!r}; use one of {', '.join(FUNNEL_STAGES)}")
    period = as_month(month) if month is not None else None
    if as_of is None and period is not None:
        as_of = period.end
    if entries is None:
        entries = stage_entry_dates(contacts, as_of)
    mask = entries[stage].notna()
    if period is not None:
        mask &= period.contains(entries[stage])
    cols = [c for c in ("contact_id", "account_id", "owner_id", "original_source") if c in contacts]
    out = contacts.loc[mask, cols].copy()
    out["entered_at"] = entries.loc[mask, stage]
    out["skipped"] = entries.loc[mask, f"skipped_{stage}"]
    return out.sort_values("entered_at").reset_index(drop=True)
