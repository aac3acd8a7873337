"""Journeys: each contact's (or account's) ordered marketing touches up to a conversion.

A journey is the input of every attribution model. `journeys` builds them from a CRM: one
journey per conversion (a contact reaching a lifecycle stage, or a deal being created or won),
holding the touches in the lookback window before it, plus one journey per contact (or account)
that was touched in the period but did not convert, holding its touches up to its last one.
A won deal closed on a calendar date (`closed_at` at exactly 00:00:00 UTC, where the loaders
place a date without a time of day, e.g. Salesforce's `CloseDate`) takes the touches of its
whole close day (see `journeys`).
`from_paths` reads the aggregated path tables of the `ChannelAttribution` package instead
("a > b > c", total conversions, total nulls, total value); both give a `Journeys` that every
model accepts.

Touches are stored as flat arrays (a CSR layout: `offsets`, channel `codes`, days before the
journey's end), so the models run vectorised over millions of touches.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from smk.checks import MAX_DAYS, caller_stacklevel, check_integer, check_number, checked_tables
from smk.errors import NoDataError
from smk.funnel import STAGE_DATE_COLUMNS, stage_entry_dates
from smk.io.parse import arrow_text
from smk.model import CRM, TOUCH_TYPES, order_touches
from smk.outputs import counted, unmatched_text
from smk.periods import Month, as_of_time, data_span, is_date_only, names_no_day
from smk.presentation import markdown_text
from smk.sla import base_currencies, deal_amounts

NS_PER_DAY = 86_400 * 10**9
SEP = " > "

#: Conversions `journeys` understands: (source table, column holding the conversion time). A
#: contact stage converts at the funnel's entry date of the stage (`funnel.stage_entry_dates`:
#: a skipped stage at the next one recorded), which the named column holds when recorded.
CONVERSIONS: dict[str, tuple[str, str]] = {
    "lead": ("contacts", "became_lead_at"),
    "mql": ("contacts", "became_mql_at"),
    "sql": ("contacts", "became_sql_at"),
    "opportunity": ("deals", "created_at"),
    "won": ("deals", "closed_at"),
    "customer": ("contacts", "became_customer_at"),
}
#: Other names people use for the same conversions.
ALIASES = {
    "became_mql": "mql",
    "became_sql": "sql",
    "became_lead": "lead",
    "opportunity_created": "opportunity",
    "deal_created": "opportunity",
    "deal_won": "won",
    "closed_won": "won",
}


def check_conversion(conversion: str) -> str:
    """The conversion `journeys` counts, its alias resolved ("deal_won" is "won"), or a
    ValueError naming the known ones."""
    conversion = ALIASES.get(conversion, conversion) if isinstance(conversion, str) else conversion
    if conversion not in CONVERSIONS:
        raise ValueError(f"unknown conversion {conversion!r}; use one of {', '.join(CONVERSIONS)}")
    return conversion


#: Milestone touches the position-based models use (HubSpot's key conversion points).
MILESTONES = ("lead", "opportunity", "close")


@dataclass(frozen=True)
class EmptyPeriod:
    """What lies around a period of `journeys` without a conversion to credit: whether a
    longer window or a later period could add some."""

    start: pd.Timestamp | None  # the period's start (None: from the data's start)
    data_start: pd.Timestamp | None  # the export's first record (`smk.periods.data_span`)
    earlier: int  # dated conversions (of known contacts) before `start`
    next_at: pd.Timestamp | None  # the first such conversion at or after the period's end

    def advice(self, conversion: str, untouched: float = 0) -> str:
        """What is true of the data around the period, and what can add conversions."""
        facts, options = [], []
        if self.earlier:
            n = f"{self.earlier} {conversion} conversion{'s fall' if self.earlier > 1 else ' falls'}"
            options.append(f"a longer window ({n} before {self.start:%Y-%m-%d})")
        elif self.data_start is not None and (self.start is None or self.data_start >= self.start):
            facts.append(
                f"the export's data begins on {self.data_start:%Y-%m-%d}, so a longer window "
                "cannot add any"
            )
        elif self.start is not None:
            facts.append(
                f"the export has no {conversion} conversion before {self.start:%Y-%m-%d}, so a "
                "longer window cannot add any"
            )
        if untouched:
            options.append("a longer lookback")
        if self.next_at is not None:
            options.append(
                f"a later month (the next {conversion} conversion is on {self.next_at:%Y-%m-%d})"
            )
        else:
            facts.append(f"the export holds no {conversion} conversion after the period")
        options.append("another conversion")
        return "; ".join([*facts, "choose " + _either(options)])


def _either(options: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return options[0] if len(options) == 1 else f"{', '.join(options[:-1])} or {options[-1]}"


@dataclass
class Journeys:
    """Journeys (or rows of a path table) with their touches in a flat layout.

    Attributes
    ----------
    table : one row per journey: ``journey_id``, ``path`` (channels joined by `sep`),
        ``n_touches``, ``conversions`` and ``nulls`` (how many times the path did and did not
        end in a conversion: 1/0 for a CRM journey, counts for a path table row), ``value``
        (conversion value), ``conversion_at`` and ``first_touch_at`` (NaT when unknown).
    channels : the channel (or campaign) labels; touch code ``i`` is ``channels[i]``.
    offsets : int64, ``len(table) + 1``; the touches of journey ``j`` are
        ``codes[offsets[j]:offsets[j + 1]]``, oldest first.
    codes : int32 channel code of each touch.
    days_before : float64 days from each touch to the journey's end (its conversion, or its
        last touch when it did not convert; 0 for a touch on the close day of a won deal
        closed on a calendar date); None for path tables, which have no times.
    milestones : position within its journey of the last touch at or before the lead
        creation, opportunity creation and close of each journey (-1 when there is none, or
        the milestone came after the conversion; a won deal closed on a calendar date closes
        at the end of its close day); None for path tables.
    unattributed : conversions and value that cannot be credited to a channel, reported here
        instead: those with no touch in their lookback window, and those of `unlinked`.
    unlinked : conversions and value among `unattributed` that have no contact to follow:
        deals whose contact is not in the contacts table (`unknown_contact`, e.g. an export
        or a CRM filtered by contact; at account level, neither the deal's account nor its
        contact is a contact's there) and deals that name no contact (`no_contact`; at account
        level, no account either); ``<reason>_value`` their value.
    unvalued : conversions whose deal has no amount, among the attributed ones and the
        unattributed ones: their value is unknown, so the value figures (`value`, the value
        credited, the return on ad spend) leave them out; they count 0 in them.
    empty_period : set by `journeys` when the period has no conversion to credit: the data
        around it, for `require_conversions` to say what could add conversions.
    data_start : set by `journeys` when the export's data begin after the period's start
        (`smk.periods.data_span`): the period's conversions can only be counted from then,
        which `coverage_lines` says; None when they begin earlier, or no start was given.
    currency : set by `journeys`: the currency of the values (`value_currency`: its
        `reporting_currency`, else that of its rates), which `coverage_lines` names; None
        when it cannot be told (or for a path table).
    cut_by_lookback : set by `journeys`: bool per journey (row of `table`), whether the
        lookback window cut it, i.e. its contact (account) had touches before the window's
        start, which the journey leaves out; all False without a limit. None for a path
        table. `lookback_cut` gives the shares of converting and non-converting journeys.
    emptied_by_lookback : set by `journeys`: the conversions the window emptied, i.e. whose
        contact (account) had touches before the window's start but none inside it. They are
        no rows of `table` (unattributed, "no touch": counted in `unattributed`), but
        `lookback_cut` counts them as cut converting journeys. Like `unattributed`, `subset`
        and `reweighted` keep it as it is: they weigh only the rows of `table`. A
        non-converting journey is never emptied: its window ends at its own last touch.
    pipelines : set by `journeys` when the conversions are deals: the pipelines counted
        (`CRM.pipelines_basis`; {} when all count, the default), the `basis` of the report's
        tiles (`report_kpis`).
    channel_groups : set by `journeys`: the `channel_groups` setting as it applied, channel ->
        group for every channel of the touches, those it put in no group as themselves
        (`grouped_channels`); {} without one, or for a path table. `last_non_direct` reads from
        it which touches are direct.
    """

    table: pd.DataFrame
    channels: tuple[str, ...]
    offsets: np.ndarray
    codes: np.ndarray
    days_before: np.ndarray | None = None
    milestones: dict[str, np.ndarray] | None = None
    sep: str = SEP
    level: str = "channel"
    conversion: str = "conversion"
    unattributed: dict[str, float] = field(
        default_factory=lambda: {"conversions": 0.0, "value": 0.0}
    )
    empty_period: EmptyPeriod | None = None
    unvalued: dict[str, float] = field(
        default_factory=lambda: {"attributed": 0.0, "unattributed": 0.0}
    )
    unlinked: dict[str, float] = field(default_factory=lambda: dict.fromkeys(UNLINKED_KEYS, 0.0))
    data_start: pd.Timestamp | None = None
    currency: str | None = None
    cut_by_lookback: np.ndarray | None = None
    emptied_by_lookback: float = 0.0
    pipelines: dict[str, list[str]] = field(default_factory=dict)
    channel_groups: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.table)

    @property
    def n_touches(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def journey_of_touch(self) -> np.ndarray:
        """Index of the journey each touch belongs to."""
        return np.repeat(np.arange(len(self.table), dtype=np.int64), self.n_touches)

    @property
    def conversions(self) -> np.ndarray:
        return self.table["conversions"].to_numpy(dtype="float64")

    @property
    def nulls(self) -> np.ndarray:
        return self.table["nulls"].to_numpy(dtype="float64")

    @property
    def value(self) -> np.ndarray:
        return self.table["value"].to_numpy(dtype="float64")

    @property
    def total_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float:
        return float(self.value.sum())

    @property
    def valued(self) -> bool:
        """Whether the conversions carry a value: deals (won, opportunity) carry their amount,
        a path table its value column; a contact's stage (lead, mql, sql, customer) carries
        none, so its value of 0 is no figure (a return on spend of it is unknown, not 0)."""
        return CONVERSIONS.get(self.conversion, ("paths", ""))[0] != "contacts"

    def require_conversions(
        self, period: str | tuple[str | pd.Timestamp, str | pd.Timestamp] = "the period"
    ) -> Journeys:
        """These journeys, or `NoDataError` when no conversion can be credited to a channel.

        `period` names the period in the message: a text, or the (start, end) the journeys were
        built with, shown by its first and last day included (`period_label`). The message
        suggests a longer window only when the export holds earlier conversions, and says
        where its data begins when it begins inside the period (`EmptyPeriod`).
        """
        if self.total_conversions > 0:
            return self
        if not isinstance(period, str):
            period = period_label(*period)
        c = self.coverage()
        untouched = c["no_touch"]
        why = [f"{untouched:.0f} had no touch in their lookback window"] if untouched else []
        why += [f"{c[r]:.0f}: {_reasons(None)[r]}" for r in UNLINKED if c[r]]
        why = f" ({'; '.join(why)})" if why else ""
        if self.empty_period is not None:
            advice = self.empty_period.advice(self.conversion, untouched)
        else:  # a path table or reweighted journeys: the data around the period is unknown
            lookback = "a longer lookback, " if untouched else ""
            advice = f"choose another period, {lookback}or another conversion"
        raise NoDataError(
            f"no {self.conversion} conversions to attribute in {period}{why}: {advice}"
        )

    def coverage(self) -> dict[str, float | None]:
        """The period's conversions and their value: all of them (`conversions`, `value`),
        those credited to channels (`attributed`, `attributed_value`: every model's credit
        adds up to them) and those with nothing to credit (`unattributed`,
        `unattributed_value`: `Journeys.unattributed`), by reason: no touch in the lookback
        window (`no_touch`), a contact not in the contacts table (`unknown_contact`) or no
        contact on the deal (`no_contact`; `Journeys.unlinked`), each with its ``_value``;
        and how many of each have no value (`unvalued`, `attributed_unvalued`,
        `unattributed_unvalued`: deals without an amount, `Journeys.unvalued`), which the
        values leave out. Conversions that carry no value (a contact's stage, not
        `Journeys.valued`) have every value None: unknown, not 0."""
        missed, unvalued, unlinked = self.unattributed, self.unvalued, self.unlinked
        figures = _counts_whole(
            {
                "conversions": self.total_conversions + missed["conversions"],
                "attributed": self.total_conversions,
                "unattributed": missed["conversions"],
                "value": self.total_value + missed["value"],
                "attributed_value": self.total_value,
                "unattributed_value": missed["value"],
                "unvalued": unvalued["attributed"] + unvalued["unattributed"],
                "attributed_unvalued": unvalued["attributed"],
                "unattributed_unvalued": unvalued["unattributed"],
                "no_touch": missed["conversions"] - sum(unlinked[r] for r in UNLINKED),
                # the rest of a sum of floats: a rounding error is no negative value
                "no_touch_value": max(
                    missed["value"] - sum(unlinked[f"{r}_value"] for r in UNLINKED), 0.0
                ),
                **{key: unlinked[key] for key in UNLINKED_KEYS},
            }
        )
        if not self.valued:
            figures |= {key: None for key in figures if key.endswith("value")}
        return figures

    def coverage_lines(self, period: str, lookback_days: float | None) -> list[str]:
        """What a page says of the period's conversions, in lines: how many there were, how
        many are attributed to channels and how many had no touch in the lookback window
        (`lookback_days`, None: no limit), and, when there are some, how many have no contact
        to follow (`Journeys.unlinked`), each with its value (when conversions have one),
        how many have no amount (their value is unknown: the values leave them out), and the
        journeys; values in `Journeys.currency` when it is known. `period` names the period
        ("2025-11-01 to 2026-10-31"); when the export's data begin inside it
        (`Journeys.data_start`), the first line says so: "won conversions from 2025-06-01 to
        2026-05-31 (the data start on 2025-11-01): 72". Markdown: the currency, which the
        export or the params name, is escaped (`smk.presentation.markdown_text`)."""
        c = self.coverage()
        begins = (
            "" if self.data_start is None else f" (the data start on {self.data_start:%Y-%m-%d})"
        )
        unit = markdown_text(self.currency) if self.currency else None
        lines = [
            f"{self.conversion} conversions from {period}{begins}: {_figure(c, '', unit)}",
            f"attributed to channels: {_figure(c, 'attributed', unit)}",
        ]
        for reason, text in _reasons(lookback_days, " the conversion").items():
            if reason == "no_touch" or c[reason]:
                lines.append(f"unattributed ({text}): {_figure(c, reason, unit)}")
        if c["unattributed"]:
            lines[-1] += (
                f"; no model can credit them, so the figures below are about the "
                f"{c['attributed']:,.0f} attributed"
            )
        if c["unvalued"]:
            lines.append(_unvalued_line(c))
        converting, nulls = self.total_conversions, float(self.nulls.sum())
        lines.append(
            f"journeys: {len(self):,} ({converting:,.0f} converting, {nulls:,.0f} touched in "
            "the period without converting)"
        )
        return lines

    def coverage_detail(self, lookback_days: float | None) -> str:
        """The detail of a tile showing the attributed conversions: "of 72 won conversions;
        3 unattributed: no touch in the 90 days before" (with several reasons, how many of
        each: "5 unattributed: 3 no touch in the 90 days before, 2 contact not in the contacts
        table"), and how many of the attributed ones have no amount when some have none
        ("; 2 without an amount: value unknown")."""
        c = self.coverage()
        detail = (
            f"of {counted(c['conversions'], f'{self.conversion} conversion')}; "
            f"{_unattributed_text(c, lookback_days)}"
        )
        if c["attributed_unvalued"]:
            detail += f"; {c['attributed_unvalued']:,.0f} without an amount: value unknown"
        return detail

    def unattributed_detail(self, lookback_days: float | None) -> str:
        """How many of the period's conversions no model credits, of how many, and why: "6 of
        the 72 won conversions unattributed: no touch in the 90 days before" ("none of the 72
        ..." when every one is attributed); the detail of a tile whose figure is about the
        attributed conversions only, such as a channel's share of the credit."""
        c = self.coverage()
        return _unattributed_text(
            c,
            lookback_days,
            f" of the {counted(c['conversions'], f'{self.conversion} conversion')}",
        )

    def lookback_cut(self) -> dict[str, float | None] | None:
        """How often the lookback window cut the journeys (`cut_by_lookback`): `converting`
        and `non_converting`, the share of the converting and of the non-converting journeys
        whose contact had touches before the window's start, weighted by `conversions` and
        `nulls`, and `converting_cut` / `non_converting_cut` how many those are (None when
        there is no journey of the kind). The converting ones include the conversions the
        window emptied (`emptied_by_lookback`, also given as `converting_emptied`): every
        touch of their contact lay before the window, so they are unattributed and no rows
        of `table`, but the window cut them most of all. A window anchored on the conversion
        cuts the long journeys of converters more often than those of non-converters,
        anchored on their last touch: `smk.attribution.lookback_check` says when that biases
        the shares. None for a path table, which has no touch times."""
        if self.cut_by_lookback is None:
            return None
        cut = np.asarray(self.cut_by_lookback, dtype="float64")
        emptied = float(self.emptied_by_lookback)
        out: dict[str, float | None] = {}
        for kind, weight, extra in (
            ("converting", self.conversions, emptied),
            ("non_converting", self.nulls, 0.0),
        ):
            total, hit = float(weight.sum()) + extra, float((weight * cut).sum()) + extra
            out[kind] = hit / total if total > 0 else None
            out |= _counts_whole({f"{kind}_cut": hit})
        return out | _counts_whole({"converting_emptied": emptied})

    def reweighted(self, conversions, nulls, value) -> Journeys:
        """The same paths with other weights (used by the bootstrap)."""
        table = self.table.copy()
        table["conversions"] = np.asarray(conversions, dtype="float64")
        table["nulls"] = np.asarray(nulls, dtype="float64")
        table["value"] = np.asarray(value, dtype="float64")
        return replace(self, table=table)

    def subset(self, rows: np.ndarray) -> Journeys:
        """The journeys at positions `rows` (a boolean mask or indices), touches included."""
        idx = np.flatnonzero(rows) if np.asarray(rows).dtype == bool else np.asarray(rows)
        lengths = self.n_touches[idx]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        take = _ranges(self.offsets[idx], lengths)
        return replace(
            self,
            table=self.table.iloc[idx].reset_index(drop=True),
            offsets=offsets,
            codes=self.codes[take],
            days_before=None if self.days_before is None else self.days_before[take],
            milestones=None
            if self.milestones is None
            else {k: v[idx] for k, v in self.milestones.items()},
            cut_by_lookback=None if self.cut_by_lookback is None else self.cut_by_lookback[idx],
        )

    def to_paths(self) -> pd.DataFrame:
        """The aggregated path table, in the column names `ChannelAttribution` uses."""
        grouped = (
            self.table.groupby("path", sort=False, observed=True)[["conversions", "nulls", "value"]]
            .sum()
            .reset_index()
        )
        grouped.columns = ["path", "total_conversions", "total_null", "total_conversion_value"]
        return grouped.sort_values(
            ["total_conversions", "total_null", "path"], ascending=[False, False, True]
        ).reset_index(drop=True)


# ---------------------------------------------------------------------------- helpers
def _lookback_text(lookback_days: float | None) -> str:
    """The lookback window in words: "in the 90 days before", or "before" without a limit."""
    return "before" if lookback_days is None else f"in the {lookback_days:g} days before"


#: Why a conversion has no contact to follow (`Journeys.unlinked`): its contact is not in
#: the contacts table, or the deal names none.
UNLINKED = ("unknown_contact", "no_contact")
UNLINKED_KEYS = tuple(k for reason in UNLINKED for k in (reason, f"{reason}_value"))


def _reasons(lookback_days: float | None, tail: str = "") -> dict[str, str]:
    """Why conversions are unattributed, in words, by `Journeys.coverage` key: "no touch in
    the 90 days before" + `tail`, "contact not in the contacts table", "no contact on the
    deal"."""
    return {
        "no_touch": f"no touch {_lookback_text(lookback_days)}{tail}",
        "unknown_contact": "contact not in the contacts table",
        "no_contact": "no contact on the deal",
    }


def _unattributed_text(
    coverage: dict[str, float], lookback_days: float | None, of: str = ""
) -> str:
    """How many conversions of `Journeys.coverage` are unattributed (`of`: of what, e.g. " of
    the 72 won conversions") and why: "6 unattributed: no touch in the 90 days before", with
    several reasons how many of each ("5 unattributed: 3 no touch in the 90 days before, 2
    contact not in the contacts table"); "none unattributed: ..." when there are none."""
    missed = f"{coverage['unattributed']:,.0f}" if coverage["unattributed"] else "none"
    reasons = _reasons(lookback_days)
    given = [reason for reason in reasons if coverage[reason]]
    why = (
        ", ".join(f"{coverage[reason]:,.0f} {reasons[reason]}" for reason in given)
        if len(given) > 1
        else reasons[given[0] if given else "no_touch"]
    )
    return f"{missed}{of} unattributed: {why}"


def _figure(coverage: dict[str, float], part: str, currency: str | None = None) -> str:
    """A count of `Journeys.coverage` (`part`: "" for all, "attributed", "unattributed")
    with its value, in `currency` when known, when the conversions have one: "69 (value
    1,821,552 EUR)"."""
    count = coverage[part or "conversions"]
    value = coverage[f"{part}_value" if part else "value"]
    unit = f" {currency}" if currency else ""
    return f"{count:,.0f}" + (f" (value {value:,.0f}{unit})" if coverage["value"] else "")


def _unvalued_line(coverage: dict[str, float]) -> str:
    """The line of `Journeys.coverage_lines` on the conversions without an amount."""
    n, attributed = coverage["unvalued"], coverage["attributed_unvalued"]
    return (
        f"without an amount (value unknown, not 0): {n:,.0f} ({attributed:,.0f} attributed); "
        "the values, the value credited and the return on ad spend leave them out"
    )


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + n)`` for each (start, length), vectorised."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    shift = np.repeat(np.asarray(starts, dtype=np.int64) - (ends - lengths), lengths)
    return np.arange(total, dtype=np.int64) + shift


def _ns(values: pd.Series, copy: bool = True) -> np.ndarray:
    """UTC timestamps as int64 nanoseconds (missing -> INT64 min); a read-only view of the
    column when it already is one and `copy` is False."""
    s = pd.Series(values)
    if len(s) == 0:
        return np.zeros(0, dtype=np.int64)
    if not isinstance(s.dtype, pd.DatetimeTZDtype):
        s = pd.to_datetime(s, utc=True)
    ns = pd.DatetimeIndex(s).as_unit("ns").asi8
    if copy:
        return ns.copy()
    view = ns.view()
    view.flags.writeable = False
    return view


NAT = np.iinfo(np.int64).min
#: Largest count of seconds the composite search key holds (33 bits, about 272 years).
SECONDS = (1 << 33) - 1
#: Touches handled per batch where a step would otherwise hold a large temporary for all of them.
BATCH = 1 << 20
#: Rows of a path table split per batch.
PATH_ROWS = 1 << 16


def _lookup(values, keys) -> np.ndarray:
    """Position (int32) of each value in `keys` (-1 when absent), hashed by Arrow in C++.

    `keys` may be an Arrow array already. Long inputs are looked up in two halves on two
    threads (Arrow's kernels release the GIL); the result does not depend on it.
    """
    vals = arrow_text(values)
    keyset = keys if isinstance(keys, pa.Array) else arrow_text(keys).combine_chunks()
    if keyset.type != vals.type:
        keyset = keyset.cast(vals.type)

    def find(part: pa.ChunkedArray) -> np.ndarray:
        found = pc.index_in(part, value_set=keyset).fill_null(-1)
        return found.to_numpy().astype(np.int32, copy=False)

    if len(vals) < 2 * BATCH:
        return find(vals)
    half = len(vals) // 2
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(find, vals.slice(0, half))
        second = find(vals.slice(half))
        return np.concatenate([first.result(), second])


def _encode(values) -> tuple[np.ndarray, list[str]]:
    """Dictionary codes (int32, -1 for missing) of text values, and the labels they index.

    Arrow does the hashing; pandas categoricals of strings keep their codes (no text copy).
    Labels may include values that no row uses (`_relabel` drops them).
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(s.dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(
        s.dtype.categories
    ):
        codes = s.cat.codes.to_numpy().astype(np.int32)
        return codes, [str(c) for c in s.dtype.categories]
    encoded = pc.dictionary_encode(arrow_text(s)).unify_dictionaries()
    if encoded.num_chunks == 0:
        return np.zeros(0, dtype=np.int32), []
    labels = encoded.chunk(0).dictionary.to_pylist()
    parts = [c.indices.fill_null(-1).to_numpy().astype(np.int32) for c in encoded.chunks]
    return np.concatenate(parts), labels


def _relabel(codes: np.ndarray, labels: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Codes into the sorted distinct labels the rows use (-1 stays -1), as `pd.factorize`
    with ``sort=True`` gives them."""
    used = np.bincount(codes + 1, minlength=len(labels) + 1)[1:] > 0
    names = sorted({labels[i] for i in np.flatnonzero(used)})
    if list(names) == list(labels):  # every label used, already in order
        return codes, tuple(names)
    rank = {name: i for i, name in enumerate(names)}
    remap = np.array([-1] + [rank.get(label, -1) for label in labels], dtype=np.int32)
    return remap[codes + 1], tuple(names)


def _stable_order_by(owner: np.ndarray, n_owners: int) -> np.ndarray:
    """Positions ordered by `owner` (non-negative ints below `n_owners`), ties in place:
    a least-significant-digit radix sort, 16 bits per pass (numpy's radix sort)."""
    order = None
    shift = 0
    while True:
        digit = ((owner if order is None else owner[order]) >> shift).astype(np.uint16)
        step = np.argsort(digit, kind="stable")
        del digit
        order = (
            step.astype(np.int32 if len(owner) < 2**31 else np.int64)
            if order is None
            else order[step]
        )
        del step
        shift += 16
        if max(n_owners - 1, 0) >> shift == 0:
            return order


def journey_batches(offsets: np.ndarray, touches: int | None = None) -> list[tuple[int, int]]:
    """Consecutive ranges ``(first, last)`` of journeys (``first <= j < last``) holding about
    `touches` touches each (default `BATCH`; at least one journey), for steps run a batch at a
    time."""
    touches = BATCH if touches is None else touches
    n = len(offsets) - 1
    bounds = [0]
    while bounds[-1] < n:
        first = bounds[-1]
        last = int(np.searchsorted(offsets, offsets[first] + touches, side="right")) - 1
        bounds.append(min(max(last, first + 1), n))
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _timestamps(ns: np.ndarray) -> pd.Series:
    """int64 nanoseconds (INT64 min for missing) as UTC timestamps."""
    return pd.Series(np.asarray(ns, dtype=np.int64).view("datetime64[ns]")).dt.tz_localize("UTC")


def _path_strings(offsets: np.ndarray, codes: np.ndarray, labels: Iterable[str], sep: str):
    """Each journey's channels joined by `sep` (Arrow does the joining in C++), a batch of
    journeys at a time so that the channel names of every touch never exist all at once."""
    names = pa.array(list(labels), pa.string())
    chunks = []
    for first, last in journey_batches(offsets):
        lo, hi = int(offsets[first]), int(offsets[last])
        lists = pa.ListArray.from_arrays(
            pa.array((offsets[first : last + 1] - lo).astype(np.int32)),
            names.take(pa.array(codes[lo:hi])),
        )
        chunks.append(pc.binary_join(lists, sep))
    joined = pa.chunked_array(chunks or [pa.array([], pa.string())], pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(joined))


def load_channel_groups(groups: Mapping | str | Path | None) -> dict[str, str]:
    """A channel -> group mapping from a dict or a YAML file.

    Two spellings are accepted: ``{group: [channel, ...]}`` (a grouping table) or
    ``{channel: group}``. Channels the mapping does not name keep their own name. A file
    that is no UTF-8 YAML or holds no mapping is a ValueError naming it.
    """
    if groups is None:
        return {}
    source = _groups_source(groups)
    if isinstance(groups, str | Path):
        import yaml

        try:
            with open(groups, encoding="utf-8") as fh:
                groups = yaml.safe_load(fh) or {}
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ValueError(f"{source}: cannot read it: {' '.join(str(exc).split())}") from None
    if not isinstance(groups, Mapping):
        raise ValueError(f"{source} must be a mapping (or a YAML file holding one)")
    out: dict[str, str] = {}
    for key, val in groups.items():
        if isinstance(val, list | tuple | set):
            for channel in val:
                out[_group_text(channel, source)] = _group_text(key, source)
        else:
            out[_group_text(key, source)] = _group_text(val, source)
    return out


def _group_text(value, source: str) -> str:
    """A channel or group name of `load_channel_groups`' mapping as text; an empty YAML value
    (`~`, nothing after the colon) or a mapping is a ValueError naming `source`, not the
    group "None" or "{'a': 1}"."""
    if value is None or isinstance(value, Mapping):
        shown = "an empty name (~ or nothing)" if value is None else f"a mapping, {value!r}"
        raise ValueError(f"{source} holds {shown} where a channel or group name belongs")
    return str(value)


def check_channel_groups(groups: Mapping | str | Path | None, sep: str = SEP) -> dict[str, str]:
    """`load_channel_groups(groups)` with its group names checked as `journeys` checks the
    channel names of a path (`_check_labels`): none empty, none holding `sep`. A ValueError
    naming the file and the group otherwise, whatever channels the export has: run before the
    data is read (a report's params file, a notebook's parameters), the file is refused
    before any notebook runs, not in one of them."""
    out = load_channel_groups(groups)
    try:
        _check_labels(dict.fromkeys(out.values()), sep, "group")
    except ValueError as exc:
        raise ValueError(f"{_groups_source(groups)}: {exc}") from None
    return out


def _groups_source(groups: Mapping | str | Path | None) -> str:
    """How messages name the `channel_groups` setting: with its file, when it is one."""
    return f"channel_groups {groups}" if isinstance(groups, str | Path) else "channel_groups"


def _loose_name(name: str) -> str:
    """A channel name as `match_channel_groups` compares it loosely: in any case, with spaces,
    '-' and '_' alike ("Paid Search", "paid-search" and "paid_search" are one name)."""
    return re.sub(r"[\s_-]+", "_", name.strip().casefold())


def match_channel_groups(
    groups: Mapping[str, str], channels: Iterable[str]
) -> tuple[dict[str, str], list[str]]:
    """`groups` (channel -> group, `load_channel_groups`) keyed by the `channels` it names, and
    its entries that name none of them. An entry names the channel it spells exactly, else
    the one channel it spells loosely (`_loose_name`): users write the export's labels,
    "Paid Search" for smk's paid_search. One that spells several channels loosely names none
    (which was meant cannot be told), and a channel spelled exactly keeps that entry's group."""
    names = list(dict.fromkeys(channels))
    loose: dict[str, list[str]] = {}
    for name in names:
        loose.setdefault(_loose_name(name), []).append(name)
    exact = set(names)
    out: dict[str, str] = {}
    unmatched = []
    for entry, group in groups.items():
        found = [entry] if entry in exact else loose.get(_loose_name(entry), [])
        if len(found) != 1:
            unmatched.append(entry)
        elif found[0] == entry or found[0] not in groups:
            out[found[0]] = group
    return out, unmatched


def unmatched_groups_text(
    where: str, unmatched: list[str], total: int, channels: Iterable[str], few: int = 3
) -> str:
    """The warning for the entries `unmatched` of the `channel_groups` setting `where` (of
    `total` entries) that name none of `channels` (`match_channel_groups`): a channel written
    otherwise than smk names it would silently form no group. It says which channels there are."""
    effect = (
        "no touch is put in a group by {them} (channels not listed keep their own name); the "
        f"channels are {', '.join(sorted(channels))}"
    )
    part = ("entry", "entries")
    return unmatched_text(where, unmatched, total, part, "channel of the journeys", effect, few)


def grouped_channels(
    groups: Mapping | str | Path | None, channels: Iterable[str], sep: str = SEP
) -> dict[str, str]:
    """The `channel_groups` setting `groups` (`check_channel_groups`) as channel -> group for
    the journeys' `channels` (`match_channel_groups`), with a warning naming its entries that
    name none of them (`unmatched_groups_text`)."""
    given = check_channel_groups(groups, sep)
    channels = list(channels)
    out, unmatched = match_channel_groups(given, channels)
    if unmatched:
        text = unmatched_groups_text(_groups_source(groups), unmatched, len(given), channels)
        warnings.warn(text, stacklevel=caller_stacklevel())
    return out


#: What `_check_labels` tells to do about an empty name and a name holding the separator, by
#: the kind of name: a touchpoint's channel (or campaign), or a group of `channel_groups`.
_LABEL_FIXES = {
    "channel": (
        "give every touchpoint a channel (or map empty channels to a name with channel_groups)",
        "rename it (channel_groups) or choose another sep",
    ),
    "group": ("name every group", "rename the group"),
}


def _check_labels(labels: Iterable[str], sep: str, kind: str = "channel") -> None:
    """Names a path joins (`kind`: "channel" or "group", `_LABEL_FIXES`) none empty and none
    holding `sep`: a path string could not be read back into its names (`from_paths`,
    `paths.path_pattern` split it at `sep`). A ValueError saying which and what to do."""
    empty, joined = _LABEL_FIXES[kind]
    for label in labels:
        if label is None or str(label).strip() == "":
            raise ValueError(f"a {kind} name is empty; {empty}")
        if sep and sep in str(label):
            raise ValueError(
                f"{kind} name {label!r} contains the path separator {sep!r}, which joins a "
                f"journey's channels into its path; {joined}"
            )


# ---------------------------------------------------------------------------- from a CRM
def _counts_whole(figures: dict[str, float]) -> dict[str, float]:
    """`coverage`'s counts as ints where whole (69, not 69.0, in a page's metrics JSON);
    values (``..._value``, ``value``) and fractional counts as they are."""
    return {
        k: int(v) if not k.endswith("value") and float(v).is_integer() else float(v)
        for k, v in figures.items()
    }


def window_start(end: str | pd.Timestamp | Month, window_months: int) -> pd.Timestamp:
    """Start of a conversion window of `window_months` calendar months that ends at `end`
    (exclusive, e.g. the end of the report month): 12 gives the year up to `end`.

    `window_months` must be a whole number from 1 to 1200 (12 or 12.0, as papermill or YAML
    may give it); anything else is a ValueError or TypeError that names it (``pd.DateOffset`` would
    take 0 or a negative number and give an empty or reversed period).
    """
    note = " (calendar months)"
    months = check_integer("window_months", window_months, 1, 1200, note, whole_floats=True)
    return period_bound(end, "end") - pd.DateOffset(months=months)


def last_day(end: str | pd.Timestamp | Month) -> dt.date:
    """The last calendar day of a period that ends at `end`, exclusive (`journeys`, the
    spend and the report months count start <= time < end): 2026-11-01 gives 2026-10-31
    (`end` as `period_bound` reads it: a Month is its own last day)."""
    return (period_bound(end, "end") - pd.Timedelta(1, "ns")).date()


def period_label(start: str | pd.Timestamp | Month, end: str | pd.Timestamp | Month) -> str:
    """A period counted as start <= time < end, as people read it: its first and last day
    included ("2025-11-01 to 2026-10-31"), so that the exclusive end does not read as a
    day of the period (`start` and `end` as `journeys` takes them)."""
    return f"{period_bound(start, 'start'):%Y-%m-%d} to {last_day(end):%Y-%m-%d}"


def check_lookback_days(lookback_days: float | None) -> float | None:
    """`lookback_days` as `journeys` takes it, unchanged (an int stays exact in ns): None (no
    limit) or a number of days (fractions too) above 0 and at most `MAX_DAYS` (100 years;
    longer reach past the dates pandas can hold). Else a ValueError / TypeError naming it."""
    if lookback_days is not None:
        note = f" (days, {MAX_DAYS} is 100 years; or None for no limit)"
        check_number("lookback_days", lookback_days, 0.0, MAX_DAYS, exclusive="low", note=note)
    return lookback_days


@checked_tables
def journeys(
    crm: CRM,
    conversion: str = "won",
    lookback_days: float | None = 180,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    touch_types: Iterable[str] | None = None,
    channel_groups: Mapping | str | Path | None = None,
    collapse_repeats: bool = False,
    account_level: bool = False,
    level: str = "channel",
    fx: Mapping[str, float] | None = None,
    sep: str = SEP,
    reporting_currency: str | None = None,
) -> Journeys:
    """Build journeys from a CRM's touchpoints, one per conversion and one per non-converter.

    Parameters
    ----------
    crm : the loaded CRM (needs touchpoints; deals for the deal conversions).
    conversion : "lead", "mql", "sql", "customer" (a contact's lifecycle stage date),
        "opportunity" (deal created) or "won" (deal closed won); the deal conversions carry
        the deal amount as value (a deal without one: value unknown, counted 0 and in
        `Journeys.unvalued`), the others a value of 0.
    lookback_days : only touches this many days before the conversion (or, for a journey that
        did not convert, before its last touch) count; None keeps every earlier touch. At most
        `MAX_DAYS` (100 years): see `check_lookback_days`. Which journeys the window cut is
        recorded (`Journeys.cut_by_lookback`, `Journeys.lookback_cut`): the two anchors can
        cut one kind far more often, which biases the shares (`lookback_check`). Default 180
        (90 until 2026-11-28, which cut the converting journeys of long sales cycles far more
        often: docs/notebooks.md, "The lookback window").
    start, end : the period: conversions with ``start <= time < end`` are converting journeys;
        contacts (accounts) touched in the period and not converted by `end` are
        non-converting journeys. Defaults: the whole data (end just after its last record).
        Dates and times as every as-of date (UTC when without a zone; text that reads two
        ways, such as 01/10/2026, is refused); a `periods.Month` or a pandas Period counts
        whole (``start=Month("2025-11"), end=Month("2026-10")`` is November to October), and
        ``start="2025-11"`` is that month's first day.
    touch_types : keep only these touch types (e.g. ``["form", "event"]``); default all.
    channel_groups : mapping (or YAML file) of channels to groups, e.g.
        ``{"paid": ["paid_search", "paid_social"]}``; unnamed channels keep their name. A
        channel may be written in any case, with spaces, '-' and '_' alike ("Paid Search"),
        when that fits one channel alone; entries naming no channel are warned of
        (`grouped_channels`). A group name may be neither empty nor hold `sep`
        (`check_channel_groups`).
    collapse_repeats : merge consecutive touches of the same channel into one (the first).
    account_level : B2B journeys: the touches of all contacts of the account, one journey per
        account (per deal for the deal conversions).
    level : "channel" or "campaign" (touches without a campaign use their channel's name).
    fx : multiply deal amounts by ``fx[currency]`` (to one reporting currency; a deal without
        a currency is taken as in it), the rule of ``sla.deal_amounts``. Without it, amounts
        in several currencies are summed as they are, with a warning. Only the deals
        converting in the period are converted: a deal outside it needs no rate.
    sep : separator of the path strings.
    reporting_currency : the currency of the values, as the funnel and segmentation pages
        name theirs (`sla.deal_values`): `fx` may then be given in any base currency that
        has a rate for it (amounts are divided by that rate), a deal without a currency is
        taken as in it, and without `fx` the deals must be in it. None: the values are in
        the currency whose `fx` rate is 1.0 (`value_currency`).

    Returns
    -------
    Journeys. Conversions without any touch in their lookback window cannot be credited to a
    channel: they are counted in ``Journeys.unattributed`` instead of being dropped silently.

    Notes
    -----
    A won deal whose `closed_at` is exactly 00:00:00 UTC closed on a calendar date (the
    loaders place a date without a time of day there: Salesforce's `CloseDate`, a close
    column exported without a time), at some unknown time of that day. Its journey takes
    the touches of the whole close day, up to (not including) 00:00 of the next day, but none
    at or after the period's `end`: a demo or a click on the close day counts, as it would
    before a close recorded at 17:00. The lookback window still starts `lookback_days` before
    the close date; the close milestone (closed won, `full_path`) is the close day's last
    touch; and a touch on the close day is 0 days before the conversion (time-decay, time to
    conversion), as a touch at the close itself is. The deal stays in the period of its
    close date, and `conversion_at` shows that date. The cost: a deal that truly closed at
    midnight UTC is read as closing some time that day, so the touches later that day count
    too (in a load with another `timezone`, a close at that zone's time of 00:00 UTC, such
    as 01:00 in Berlin in winter; the close day is the UTC day, as report months are UTC
    months). A close with any other time of day ends its journey at that time, and so does a
    close date on the deal's creation day, which the loaders place at the creation moment.
    """
    conversion = check_conversion(conversion)
    if level not in ("channel", "campaign"):
        raise ValueError("level must be 'channel' or 'campaign'")
    lookback_days = check_lookback_days(lookback_days)
    source, time_col = CONVERSIONS[conversion]
    crm.require("contacts", "touchpoints", analysis="attribution")
    if source == "deals":
        crm.require("deals", analysis=f"attribution of {conversion} deals")

    # -- touches: channel code, owner and time of each; touches that cannot be placed (unknown
    #    contact, no time) are dropped. The touch-level arrays are the large ones: they are kept
    #    narrow (int32 where it suffices, a view of the time column) and freed early.
    tp = crm.touchpoints
    rows = None
    if touch_types is not None:
        touch_types = _touch_types(touch_types)
        rows = tp["touch_type"].isin(list(touch_types)).fillna(False).to_numpy(dtype=bool)
    codes, labels = _encode(tp["channel"])
    groups = grouped_channels(channel_groups, labels, sep)
    # every channel of the touches, grouped or not: a group named as a channel (direct into
    # organic_search) holds that channel's own touches too (`rules._default_direct`)
    applied = {label: groups.get(label, label) for label in labels} if groups else {}
    if groups:
        grouped = [groups.get(label, label) for label in labels]
        names = sorted(set(grouped))
        rank = {name: i for i, name in enumerate(names)}
        remap = np.array([rank[g] for g in grouped] + [-1], dtype=np.int32)
        codes, labels = remap[codes], names
    if level == "campaign":
        c_codes, c_labels = _encode(tp["campaign"])
        codes = np.where(c_codes >= 0, c_codes, np.where(codes >= 0, codes + len(c_labels), -1))
        labels = [*c_labels, *labels]
        del c_codes
    if rows is not None:
        codes = codes[rows]
    codes, channels = _relabel(codes, labels)
    if (codes < 0).any():
        raise ValueError(
            f"{int((codes < 0).sum())} touchpoints have no {level}; give them one before "
            "building journeys"
        )
    _check_labels(channels, sep)

    contacts = crm.contacts
    contact_ids = contacts["contact_id"].astype("string")
    contact_keys = arrow_text(contact_ids).combine_chunks()
    if account_level:
        owner_of_contact = contacts["account_id"].astype("string").fillna("contact:" + contact_ids)
    else:
        owner_of_contact = contact_ids
    owner_codes, owners = pd.factorize(owner_of_contact)
    owner_codes = owner_codes.astype(np.int32)
    owner_index = pd.Index(owners)
    # owner of each touch (touches of unknown contacts are their own owner, never converting)
    t_owner = _lookup(tp["contact_id"] if rows is None else tp["contact_id"][rows], contact_keys)
    if not np.array_equal(owner_codes, np.arange(len(owner_codes), dtype=np.int32)):
        t_owner = np.where(t_owner >= 0, owner_codes[np.maximum(t_owner, 0)], -1)
    t_time = _ns(tp["occurred_at"], copy=False)
    if rows is not None:
        t_time = t_time[rows]
    keep = (t_owner >= 0) & (t_time != NAT)
    if not keep.all():
        t_owner, t_time, codes = t_owner[keep], t_time[keep], codes[keep]

    # -- conversion events: (owner, time, journey id, milestones, deals); values: `_values`
    ev = _events(crm, conversion, time_col, contact_keys, owner_codes, owner_index, account_level)
    ev_owner, ev_time = ev["owner"], ev["time"]

    # -- the period (default: everything, up to just after the last touch or conversion)
    last = max((int(a.max()) for a in (t_time, ev_time) if len(a)), default=0)
    t_start = _bound(start, np.iinfo(np.int64).min + 1, "start")
    t_end = _bound(end, last + 1, "end")
    if t_start >= t_end:  # an empty period would give no journeys, unsaid
        shown = end if end is not None else f"{pd.Timestamp(t_end, tz='UTC')}, the data's end"
        raise ValueError(f"the period's start ({start}) must come before its end ({shown})")
    in_window = (ev_time != NAT) & (ev_time >= t_start) & (ev_time < t_end)
    ev_value, ev_unvalued = _values(ev["deals"], in_window, fx, reporting_currency)
    in_period = in_window & (ev_owner >= 0)
    ownerless = in_window & (ev_owner < 0)  # no known contact (or account): never touched
    converted_before = np.zeros(len(owners), dtype=bool)
    # a won deal without closed_at converted, when is unknown (it may lie before `end`): its
    # owner is no non-converting journey. (A contact's stage event without a date is a contact
    # that never reached the stage: it did not convert.)
    undated = (ev_time == NAT) & (ev_owner >= 0) & (conversion == "won")
    before = ((ev_time != NAT) & (ev_time < t_end) & (ev_owner >= 0)) | undated
    converted_before[ev_owner[before]] = True
    _warn_undated(undated)
    touched = np.zeros(len(owners), dtype=bool)  # owners touched in the period
    touched[t_owner[(t_time >= t_start) & (t_time < t_end)]] = True

    # -- touches sorted by (owner, time): a radix sort by owner, which is enough when the
    #    table is in time order (checked); otherwise a sort on both keys. Touches of one owner
    #    at the same time are ordered by touchpoint_id (not one numbered from its row), then
    #    channel, not by their rows.
    order = _stable_order_by(t_owner, len(owners))
    s_owner, s_time = t_owner[order], t_time[order]
    if ((s_owner[1:] == s_owner[:-1]) & (s_time[1:] < s_time[:-1])).any():
        order = np.lexsort((t_time, t_owner)).astype(order.dtype)
        s_owner, s_time = t_owner[order], t_time[order]
    rows = np.flatnonzero(keep) if rows is None else np.flatnonzero(rows)[keep]
    _break_ties(order, s_owner, s_time, codes, tp, rows)
    del keep, rows
    s_code = codes[order]
    del t_owner, t_time, codes, order
    key, tmin = _search_key(s_owner, s_time)
    del s_owner
    search = partial(_search, key, s_time, tmin)  # search(owner, when, side)

    lookback = None if lookback_days is None else int(lookback_days * NS_PER_DAY)

    # converting journeys: touches in [time - lookback, until]; `until` is the conversion,
    # or the close day's last moment for a won deal closed on a calendar date
    c_owner, c_time = ev_owner[in_period], ev_time[in_period]
    c_until = _close_day_end(c_time, t_end) if conversion == "won" else c_time
    c_hi = search(c_owner, c_until, "right")
    c_lo = (
        search(c_owner, np.full_like(c_time, np.iinfo(np.int64).min // 2), "left")
        if lookback is None
        else search(c_owner, c_time - lookback, "left")
    )
    # non-converting journeys: owners touched in the period, never converted before `end`
    n_owner = np.flatnonzero(touched & ~converted_before)
    n_hi = search(n_owner, np.full(len(n_owner), t_end - 1, dtype=np.int64), "right")
    n_last = s_time[n_hi - 1] if len(n_owner) else np.zeros(0, dtype=np.int64)
    n_lo = (
        search(n_owner, np.full_like(n_last, np.iinfo(np.int64).min // 2), "left")
        if lookback is None
        else search(n_owner, n_last - lookback, "left")
    )

    lo = np.concatenate([c_lo, n_lo])
    hi = np.concatenate([c_hi, n_hi])
    j_end = np.concatenate([c_time, n_last])
    j_until = np.concatenate([c_until, n_last])
    lengths = (hi - lo).astype(np.int64)
    n_conv = len(c_owner)
    conv_flag = np.arange(len(lo)) < n_conv
    value = np.concatenate([ev_value[in_period], np.zeros(len(n_owner))])
    unvalued = np.concatenate([ev_unvalued[in_period], np.zeros(len(n_owner), dtype=bool)])
    ids = pa.concat_arrays(
        [
            arrow_text(ev["id"][in_period]).combine_chunks().cast(pa.large_string()),
            arrow_text(owners).combine_chunks().cast(pa.large_string()).take(n_owner),
        ]
    )

    # milestones: position of the last touch at or before each milestone time (a won deal's
    # close: its journey's last moment, the whole close day for a calendar date)
    milestone_pos = {}
    owner_all = np.concatenate([c_owner, n_owner])
    for name in MILESTONES:
        m_conv = c_until if name == "close" and conversion == "won" else ev[name][in_period]
        m_time = np.concatenate([m_conv, np.full(len(n_owner), NAT)])
        valid = (m_time != NAT) & conv_flag & (m_time <= j_until)
        p = np.full(len(lo), -1, dtype=np.int64)
        if valid.any():
            hit = search(owner_all[valid], m_time[valid], "right")
            p[valid] = np.minimum(hit - lo[valid], lengths[valid]) - 1
        milestone_pos[name] = np.where(p >= 0, p, -1)
    cut = _touched_before(key, owner_all, lo)  # the window left earlier touches out
    del search, key, owner_all

    # journeys without touches: converting ones are reported, the others are not journeys
    # (a non-converting journey holds at least its own last touch); those the window emptied
    # still count as cut in `lookback_cut`
    empty = lengths == 0
    emptied = float((empty & conv_flag & cut).sum())
    unattributed = {
        "conversions": float(conv_flag[empty].sum() + ownerless.sum()),
        "value": float(value[empty & conv_flag].sum() + ev_value[ownerless].sum()),
    }
    unknown = {
        "attributed": float((unvalued & ~empty).sum()),
        "unattributed": float((unvalued & empty).sum() + ev_unvalued[ownerless].sum()),
    }
    unlinked = _unlinked(ownerless, ev["named"], ev_value)
    keep_j = ~empty
    if empty.any():
        lo, lengths, j_end, conv_flag, value, cut = (
            lo[keep_j],
            lengths[keep_j],
            j_end[keep_j],
            conv_flag[keep_j],
            value[keep_j],
            cut[keep_j],
        )
        ids = ids.filter(pa.array(keep_j))
        milestone_pos = {k: v[keep_j] for k, v in milestone_pos.items()}

    take = _ranges(lo, lengths)
    codes_j = s_code[take]
    times_j = s_time[take]
    del take, s_code, s_time
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    first_touch = times_j[offsets[:-1]] if len(lengths) else np.zeros(0, dtype=np.int64)
    days_before = np.repeat(j_end, lengths)
    days_before -= times_j
    np.maximum(days_before, 0, out=days_before)  # a touch on a date-only close day: 0 days
    days_before = days_before / NS_PER_DAY

    if collapse_repeats and len(codes_j):
        jidx = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        first_of_journey = np.zeros(len(codes_j), dtype=bool)
        first_of_journey[offsets[:-1][lengths > 0]] = True
        same = np.concatenate([[False], codes_j[1:] == codes_j[:-1]]) & ~first_of_journey
        kept = ~same
        run_head = np.cumsum(kept)  # a dropped touch maps to the kept head of its run
        for name, p in milestone_pos.items():
            ok = p >= 0
            p = p.copy()
            p[ok] = run_head[offsets[:-1][ok] + p[ok]] - run_head[offsets[:-1][ok]]
            milestone_pos[name] = p
        codes_j, days_before, jidx = codes_j[kept], days_before[kept], jidx[kept]
        lengths = np.bincount(jidx, minlength=len(lengths)).astype(np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    del times_j

    empty_period = None
    if not conv_flag.any():  # nothing to credit: what could add conversions (see EmptyPeriod)
        empty_period = _empty_period(crm, ev_owner, ev_time, start, t_start, t_end)
    first = None if start is None else _data_start(crm)

    table = pd.DataFrame(
        {
            "journey_id": pd.Series(pd.arrays.ArrowStringArray(ids)).astype("string"),
            "path": _path_strings(offsets, codes_j, channels, sep),
            "n_touches": lengths,
            "conversions": conv_flag.astype("float64"),
            "nulls": (~conv_flag).astype("float64"),
            "value": value.astype("float64"),
            "conversion_at": _timestamps(np.where(conv_flag, j_end, NAT)),
            "first_touch_at": _timestamps(first_touch),
        }
    )
    return Journeys(
        table=table,
        channels=channels,
        offsets=offsets,
        codes=codes_j.astype(np.int32, copy=False),
        days_before=days_before.astype("float64", copy=False),
        milestones=milestone_pos,
        sep=sep,
        level=level,
        conversion=conversion,
        unattributed=unattributed,
        empty_period=empty_period,
        unvalued=unknown,
        unlinked=unlinked,
        data_start=_starts_later(first, t_start),
        currency=value_currency(fx, crm, reporting_currency),
        cut_by_lookback=cut,
        emptied_by_lookback=emptied,
        pipelines=crm.pipelines_basis() if source == "deals" else {},
        channel_groups=applied,
    )


@checked_tables
def value_currency(
    fx: Mapping[str, float] | None, crm: CRM | None = None, reporting_currency: str | None = None
) -> str | None:
    """The currency that deal values and spend are in after `fx` (`journeys`,
    `spend_by_channel`): `reporting_currency` when one is named (`sla.deal_values` converts
    to it, or refuses), unless several currencies are added as they are without rates; else
    the one currency whose rate is 1.0 (`{"EUR": 1.0, "USD": 0.92}`: EUR); without rates,
    the one currency that the valued deals and spend rows of `crm` are in. None when that
    cannot be told: no rate or several of 1.0, or several currencies (or none) without
    rates."""
    if fx:
        base = [reporting_currency] if reporting_currency else base_currencies(fx)
        return base[0] if len(base) == 1 else None
    found: set[str] = set()
    for table in (getattr(crm, "deals", None), getattr(crm, "spend", None)):
        if table is not None and {"amount", "currency"} <= set(table.columns):
            found |= set(table.loc[table["amount"].notna(), "currency"].dropna().astype(str))
    if reporting_currency and len(found) <= 1:  # another one alone is refused (`deal_values`)
        return reporting_currency
    return found.pop() if len(found) == 1 else None


def _close_day_end(closed: np.ndarray, t_end: int) -> np.ndarray:
    """The last moment (UTC nanoseconds) a won deal's journey takes touches up to, from its
    `closed_at` (nanoseconds, before the period's exclusive end `t_end`).

    A close at exactly 00:00:00 UTC is a calendar date (`smk.periods.is_date_only`: the
    loaders place a date without a time of day there, `docs/data-model.md`): the deal closed
    at some time of that day, so its journey takes the touches of the whole close day, up to (not including) 00:00 of the
    next day, and none at or after `t_end`. A close with a time of day is its own end. The
    cost: a deal that truly closed at midnight UTC is read as closing on the whole day.
    """
    ends = np.array(closed, dtype=np.int64)
    date_only = is_date_only(ends)
    whole_day = date_only & (ends <= t_end - NS_PER_DAY)  # the day ends inside the period
    ends[whole_day] += NS_PER_DAY - 1
    ends[date_only & ~whole_day] = t_end - 1
    return ends


def _break_ties(
    order: np.ndarray,
    s_owner: np.ndarray,
    s_time: np.ndarray,
    codes: np.ndarray,
    tp: pd.DataFrame,
    rows: np.ndarray,
) -> None:
    """Order the touches of one owner at the same time (in `order`, sorted by owner and
    time) by touchpoint_id, then channel code (channels sorted by name), in place
    (`order_touches`): the journeys do not depend on the export's row order. `rows`: each
    touch's row in `tp`."""
    tied = (s_owner[1:] == s_owner[:-1]) & (s_time[1:] == s_time[:-1])
    if not tied.any():
        return
    slots = np.zeros(len(order), dtype=bool)
    slots[1:] |= tied
    slots[:-1] |= tied
    touches = order[slots]  # groups of equal (owner, time) stay in their slots
    ids = tp["touchpoint_id"] if "touchpoint_id" in tp else pd.Series(pd.NA, index=tp.index)
    ranked = order_touches(ids.iloc[rows[touches]], codes[touches], s_owner[slots], s_time[slots])
    order[slots] = touches[ranked]


def _unlinked(ownerless: np.ndarray, named: np.ndarray, value: np.ndarray) -> dict[str, float]:
    """`Journeys.unlinked` of the period's conversions without a known contact (`ownerless`):
    those naming one that the contacts table lacks, and those naming none."""
    out = {}
    for reason, rows in (
        ("unknown_contact", ownerless & named),
        ("no_contact", ownerless & ~named),
    ):
        out[reason] = float(rows.sum())
        out[f"{reason}_value"] = float(value[rows].sum())
    return out


def _touch_types(values: Iterable[str] | str) -> list[str]:
    """The touch types asked for, checked against the model's vocabulary (one type may be
    given as text: "form"; a misspelt one would keep no touch at all, unsaid)."""
    chosen = [values] if isinstance(values, str) else list(values)
    unknown = sorted(set(chosen) - set(TOUCH_TYPES))
    if unknown or not chosen:
        raise ValueError(
            f"unknown touch type(s) {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"use some of {', '.join(TOUCH_TYPES)}"
        )
    return chosen


def _empty_period(crm, ev_owner, ev_time, start, t_start: int, t_end: int) -> EmptyPeriod:
    """The data around a period without conversions to credit (conversions of known
    contacts before it and after it, and where the export's data begins)."""
    known = (ev_owner >= 0) & (ev_time != NAT)
    after = ev_time[known & (ev_time >= t_end)]
    return EmptyPeriod(
        start=None if start is None else pd.Timestamp(t_start, tz="UTC"),
        data_start=_data_start(crm),
        earlier=int((known & (ev_time < t_start)).sum()),
        next_at=pd.Timestamp(int(after.min()), tz="UTC") if len(after) else None,
    )


def _data_start(crm) -> pd.Timestamp | None:
    """Where the export's data begin (`smk.periods.data_span`); None when nothing is dated."""
    try:
        return data_span(crm)[0]
    except ValueError:  # nothing in the export is dated
        return None


def _starts_later(first: pd.Timestamp | None, t_start: int) -> pd.Timestamp | None:
    """`first` (where the data begin) when on a later day than the period's start `t_start`
    (UTC nanoseconds), else None: data that begin at 08:00 on the period's first day miss
    none of it."""
    return (
        first if first is not None and first.normalize() > pd.Timestamp(t_start, tz="UTC") else None
    )


def _warn_undated(undated: np.ndarray) -> None:
    n = int(undated.sum())
    if not n:
        return
    said = (
        "1 won deal has no closed_at: it cannot be placed in the period and is left out of the "
        "journeys; its contact is not counted as non-converting"
        if n == 1
        else f"{n} won deals have no closed_at: they cannot be placed in the period and are "
        "left out of the journeys; their contacts are not counted as non-converting"
    )
    warnings.warn(
        said, stacklevel=caller_stacklevel()
    )  # their amounts are in the load's warning, per currency


def _touched_before(key: np.ndarray, owner: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Whether `owner` has a touch before position `lo` of the touches sorted by (owner,
    time), whose search `key` holds the owner in its high bits (`_search_key`): the
    journey starting at `lo` leaves earlier touches of its owner out."""
    if not len(key):
        return np.zeros(len(lo), dtype=bool)
    before = np.maximum(lo - 1, 0)
    return (lo > 0) & ((key[before] >> 33) == owner)


def _search_key(owner: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, int]:
    """The composite search key of touches sorted by (owner, time), and the first time: owner
    in the high bits, whole seconds since the first time (at most `SECONDS`) below. Touches
    sharing a second are told apart by `_search` on their exact times."""
    tmin = int(times.min()) if len(times) else 0
    key = owner.astype(np.int64) << 33
    key |= _seconds(times, tmin)
    return key, tmin


def _seconds(times: np.ndarray, tmin: int) -> np.ndarray:
    """Whole seconds from `tmin` to each of `times` (0 before it, at most `SECONDS`); the
    difference is taken in uint64, so that it cannot overflow."""
    sec = np.maximum(times, tmin).view(np.uint64)
    sec -= np.array(tmin, dtype=np.int64).view(np.uint64)
    sec //= 10**9
    np.minimum(sec, SECONDS, out=sec)
    return sec.view(np.int64)


def _search(
    key: np.ndarray, times: np.ndarray, tmin: int, owner: np.ndarray, when: np.ndarray, side: str
) -> np.ndarray:
    """Positions of (owner, when) in the touches sorted by (owner, time), as `searchsorted`
    with `side` gives them on exact times: `key` holds owner and whole seconds since `tmin`,
    and the touches sharing a query's second are searched on their `times` (nanoseconds)."""
    coarse = (owner.astype(np.int64) << 33) | _seconds(when, tmin)
    pos = np.searchsorted(key, coarse, side=side)
    if not len(key):
        return pos
    # the touches of the query's second lie before `pos` (side right) or from it (side left)
    near = np.clip(pos - 1 if side == "right" else pos, 0, len(key) - 1)
    tied = np.flatnonzero(key[near] == coarse)
    other = np.searchsorted(key, coarse[tied], side="left" if side == "right" else "right")
    lo, hi = (other, pos[tied]) if side == "right" else (pos[tied], other)
    pos[tied] = _bisect(times, when[tied], lo, hi, side)
    return pos


def _bisect(
    times: np.ndarray, when: np.ndarray, lo: np.ndarray, hi: np.ndarray, side: str
) -> np.ndarray:
    """``lo + searchsorted(times[lo:hi], when, side)`` for each query, vectorised (the ranges
    are sorted)."""
    lo, hi = lo.copy(), hi.copy()
    active = np.flatnonzero(lo < hi)
    while len(active):
        mid = (lo[active] + hi[active]) // 2
        t, w = times[mid], when[active]
        after = t <= w if side == "right" else t < w  # the answer lies after `mid`
        lo[active] = np.where(after, mid + 1, lo[active])
        hi[active] = np.where(after, hi[active], mid)
        active = active[lo[active] < hi[active]]
    return lo


def journey_columns(
    conversion: str = "won",
    account_level: bool = False,
    level: str = "channel",
    touch_types: Iterable[str] | None = None,
) -> dict[str, list[str]]:
    """The tables and columns `journeys` reads with these settings.

    For loading no more than that from a Parquet cache:
    ``CRM.from_parquet(folder, columns=journey_columns("won"))``.
    """
    conversion = check_conversion(conversion)
    if level not in ("channel", "campaign"):
        raise ValueError("level must be 'channel' or 'campaign'")
    source, time_col = CONVERSIONS[conversion]
    # touchpoint_id orders the touches of a contact at the same time (`_break_ties`)
    touchpoints = ["touchpoint_id", "contact_id", "occurred_at", "channel"]
    touchpoints += ["campaign"] if level == "campaign" else []
    touchpoints += ["touch_type"] if touch_types is not None else []
    contacts = ["contact_id", "created_at"] + (["account_id"] if account_level else [])
    needed = {"touchpoints": touchpoints, "contacts": contacts}
    if source == "contacts":  # every stage date: the entry date of a skipped stage
        contacts += [*STAGE_DATE_COLUMNS.values(), "lifecycle_stage"]
    else:
        deals = ["deal_id", "contact_id", "created_at", "amount", "currency"]
        deals += ["closed_at", "is_won"] if conversion == "won" else []
        deals += ["account_id"] if account_level else []
        needed["deals"] = deals
    return {name: list(dict.fromkeys(cols)) for name, cols in needed.items()}


def _bound(value, default: int, name: str) -> int:
    """`period_bound` in UTC nanoseconds; `default` for None."""
    return int(default) if value is None else int(period_bound(value, name).as_unit("ns").value)


def period_bound(value, name: str) -> pd.Timestamp:
    """A bound of a period (`journeys`, `spend_by_channel`; `name`: "start" or "end") in
    UTC. A Month or Period counts whole: its first moment as the start, the moment after it
    as the (exclusive) end; `YYYY-MM` text as the start is that month's first day. Anything
    else is read as every as-of date is (`periods.as_of_time`: no zone is UTC; text that
    reads two ways, 01/10/2026, is refused), a ValueError naming `name`."""
    if isinstance(value, Month):
        value = pd.Period(value.label, freq="M")
    if isinstance(value, pd.Period):
        ts = (value if name == "start" else value + 1).start_time.tz_localize("UTC")
    elif name == "start" and _names_a_month(value):  # "2026-10", "2026/10", "October 2026"
        ts = pd.Timestamp(str(value)).to_period("M").start_time.tz_localize("UTC")
    else:
        try:
            ts = as_of_time(value)
        except ValueError as exc:  # its words name as_of, an end
            message = str(exc).replace("as_of", name, 1)
            if name == "start":
                message = message.replace("a month's end", "a month's first day")
                message = message.replace("(meaning its end)", "(meaning its start)")
            raise ValueError(message) from None
    return ts


_YEAR = re.compile(r"\d{4}")


def _names_a_month(value) -> bool:
    """Whether `value` names a month and no day: text such as `YYYY-MM`, "2026/10" or
    "October 2026" (`periods.names_no_day`), or a numpy month ("2026-10" as datetime64[M])."""
    if isinstance(value, np.datetime64):
        return np.datetime_data(value.dtype)[0] in ("Y", "M")
    # "October" names no year either: left to `as_of_time`, which refuses it
    return isinstance(value, str) and bool(_YEAR.search(value)) and names_no_day(value)


def _events(
    crm, conversion, time_col, contact_keys, owner_codes, owner_index, account_level
) -> dict:
    """Conversion events with owner code, time, id (a pandas string array), whether the event
    names a contact (`named`: a deal's contact, or at account level its account too) and
    milestone times, and for the deal conversions the deals themselves (`deals`, one row per event; None
    for a contact's stage), whose amounts `_values` converts for the period's events only.
    `contact_keys`: the contact ids as an Arrow array."""
    contacts = crm.contacts
    created = _ns(contacts["created_at"])
    if CONVERSIONS[conversion][0] == "contacts":
        # the funnel's entry date of the stage (a skipped stage at the next one recorded):
        # one rule with the funnel, the SLA and the scorecard
        t = _ns(stage_entry_dates(contacts)[conversion])
        opp = _ns(contacts["became_opportunity_at"])
        close = _ns(contacts["became_customer_at"])
        ids = contacts["contact_id"].astype("string").array
        owner = owner_codes.astype(np.int64)
        if account_level:  # an account converts when its first contact does
            frame = pd.DataFrame(
                {
                    "owner": owner,
                    "t": np.where(t == NAT, np.iinfo(np.int64).max, t),
                    "created": created,
                    "opp": np.where(opp == NAT, np.iinfo(np.int64).max, opp),
                    "close": np.where(close == NAT, np.iinfo(np.int64).max, close),
                }
            )
            agg = frame.groupby("owner").min()
            big = np.iinfo(np.int64).max

            def back(a):
                a = a.to_numpy()
                return np.where(a == big, NAT, a)

            owner = agg.index.to_numpy(dtype=np.int64)
            t, created, opp, close = (
                back(agg["t"]),
                agg["created"].to_numpy(),
                back(agg["opp"]),
                back(agg["close"]),
            )
            ids = owner_index[owner].astype("string").array
        return {
            "owner": owner,
            "time": t,
            "id": ids,
            "named": np.ones(len(owner), dtype=bool),
            "deals": None,
            "lead": created,
            "opportunity": opp,
            "close": close,
        }

    deals = crm.deals
    if conversion == "won":
        deals = deals[deals["is_won"].fillna(False).to_numpy(dtype=bool)]
    t = _ns(deals[time_col])
    contact_pos = _lookup(deals["contact_id"], contact_keys)
    if account_level:
        acc = deals["account_id"].astype("string")
        fallback = np.where(contact_pos >= 0, owner_codes[np.maximum(contact_pos, 0)], -1)
        owner = _lookup(acc, owner_index)
        owner = np.where(owner >= 0, owner, fallback)
    else:
        owner = np.where(contact_pos >= 0, owner_codes[np.maximum(contact_pos, 0)], -1)
    lead = np.where(contact_pos >= 0, created[np.maximum(contact_pos, 0)], NAT)
    if account_level and len(contacts):
        first_created = (
            pd.Series(created).groupby(owner_codes).min().reindex(range(len(owner_index)))
        )
        first = first_created.to_numpy(dtype="float64")
        fill = np.where(owner >= 0, first[np.maximum(owner, 0)], np.nan)
        lead = np.where(lead == NAT, np.nan_to_num(fill, nan=NAT).astype(np.int64), lead)
    close = _ns(deals["closed_at"]) if conversion == "won" else np.full(len(deals), NAT)
    named = deals["contact_id"].notna().to_numpy()
    if account_level:
        named = named | deals["account_id"].notna().to_numpy()
    return {
        "owner": owner.astype(np.int64),
        "time": t,
        "id": deals["deal_id"].astype("string").array,
        "named": named,
        "deals": deals,
        "lead": lead,
        "opportunity": _ns(deals["created_at"]),
        "close": close,
    }


def _values(
    deals: pd.DataFrame | None,
    in_window: np.ndarray,
    fx: Mapping[str, float] | None,
    reporting_currency: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The value of each conversion event of `_events`, and whether it is unknown: the amount
    of each deal converting in the period (`in_window`), in the reporting currency by the one
    currency rule for every deal amount in smk (`sla.deal_amounts`); a deal without an amount
    is unknown and counts 0. Only the period's deals are converted: nothing reads the value of
    the others, so a deal outside the period needs no rate. A contact's stage carries no value
    (0, and not unknown: `Journeys.valued`)."""
    value, unknown = np.zeros(len(in_window)), np.zeros(len(in_window), dtype=bool)
    if deals is None:
        return value, unknown
    amount = deal_amounts(deals[in_window], fx, reporting_currency, what="deal")
    amount = amount.to_numpy(dtype="float64", na_value=np.nan)
    unknown[in_window] = np.isnan(amount)
    value[in_window] = np.nan_to_num(amount, nan=0.0)
    return value, unknown


# ---------------------------------------------------------------------------- path tables
@checked_tables
def from_paths(
    table: pd.DataFrame,
    path_col: str = "path",
    sep: str = SEP,
    conversions_col: str | None = "total_conversions",
    value_col: str | None = "total_conversion_value",
    nulls_col: str | None = "total_null",
) -> Journeys:
    """Read an aggregated path table in the `ChannelAttribution` form.

    Each row is one distinct path (``"email > paid_search > direct"``) with how many journeys
    took it and converted (`conversions_col`), did not convert (`nulls_col`) and the value of
    its conversions (`value_col`). A table without the default null or value column
    (``total_null``, ``total_conversion_value``) counts them as 0, as does None; a column
    named otherwise, and the conversions column, must exist. Channel names are stripped of
    surrounding spaces. Path tables carry no touch times and no stage dates: the
    time-decay model needs journeys from `journeys`, and the position models take the
    lead/opportunity/close milestones to be the last touch.

    Raises ValueError naming the row for an empty path, an empty channel name (``"a >  > b"``)
    or a negative count.
    """
    if path_col not in table.columns:
        raise ValueError(f"the path table has no column {path_col!r}")
    n = len(table)

    optional = {"total_null", "total_conversion_value"}  # the defaults, absent: 0

    def column(name):
        if name is None or (name in optional and name not in table.columns):
            return np.zeros(n)
        if name not in table.columns:
            raise ValueError(f"the path table has no column {name!r}")
        values = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype="float64")
        bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
        if len(bad):
            raise ValueError(
                f"row {int(bad[0])} of the path table: {name} must be a non-negative number, "
                f"got {table[name].iloc[bad[0]]!r}"
            )
        return values

    conv = column(conversions_col)
    nulls = column(nulls_col)
    value = column(value_col)
    # The paths are split a batch of rows at a time, so that the names of every touch never
    # exist all at once: each batch gives channel codes (into the labels seen so far) and its
    # path strings, the input's own when no channel name needed stripping.
    paths = arrow_text(table[path_col])
    label_ids: dict[str, int] = {}
    codes_parts, length_parts, path_parts = [], [], []
    first_blank = first_empty_name = None
    for start in range(0, n, PATH_ROWS):
        rows = paths.slice(start, PATH_ROWS)
        batch = rows.combine_chunks()
        blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(batch), ""), True)
        if first_blank is None and pc.any(blank).as_py():
            first_blank = start + int(np.flatnonzero(blank.to_numpy(zero_copy_only=False))[0])
        parts = pc.split_pattern(batch, sep)
        raw = parts.flatten()
        names = pc.utf8_trim_whitespace(raw)
        lengths = pc.list_value_length(parts).fill_null(0).to_numpy().astype(np.int64)
        empty = pc.equal(names, "").to_numpy(zero_copy_only=False)
        if first_empty_name is None and empty.any():
            at_touch = int(np.flatnonzero(empty)[0])
            first_empty_name = start + int(
                np.searchsorted(np.cumsum(lengths), at_touch, side="right")
            )
        encoded = pc.dictionary_encode(names)
        ids = [label_ids.setdefault(x, len(label_ids)) for x in encoded.dictionary.to_pylist()]
        codes_parts.append(
            np.asarray(ids, dtype=np.int32)[encoded.indices.to_numpy(zero_copy_only=False)]
        )
        length_parts.append(lengths)
        if pc.sum(pc.binary_length(names)).as_py() == pc.sum(pc.binary_length(raw)).as_py():
            path_parts += rows.chunks  # nothing stripped: each path is its names joined, as is
        else:
            offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
            lists = pa.ListArray.from_arrays(pa.array(offsets), names)
            path_parts.append(pc.binary_join(lists, pa.scalar(sep, names.type)))
    if first_blank is not None:
        raise ValueError(
            f"row {first_blank} of the path table has an empty path: every row needs at least "
            "one channel"
        )
    if first_empty_name is not None:
        raise ValueError(
            f"row {first_empty_name} of the path table: empty channel name in path "
            f"{paths[first_empty_name].as_py()!r} (separator {sep!r})"
        )
    labels = list(label_ids)
    order = np.argsort(np.asarray(labels, dtype=object), kind="stable")
    rank = np.empty(len(labels), dtype=np.int32)
    rank[order] = np.arange(len(labels))
    codes = np.concatenate(codes_parts) if codes_parts else np.zeros(0, dtype=np.int32)
    del codes_parts
    codes = rank[codes]
    channels = tuple(str(labels[i]) for i in order)
    lengths = np.concatenate(length_parts) if length_parts else np.zeros(0, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    path = pa.chunked_array(
        [p.cast(pa.large_string()) for p in path_parts] or [pa.array([], pa.large_string())]
    )
    journey_id = pc.cast(pa.array(np.arange(n, dtype=np.int64)), pa.large_string())
    out = pd.DataFrame(
        {
            "journey_id": pd.Series(pd.arrays.ArrowStringArray(journey_id)).astype("string"),
            "path": pd.Series(pd.arrays.ArrowStringArray(path)),
            "n_touches": lengths,
            "conversions": conv,
            "nulls": nulls,
            "value": value,
            "conversion_at": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]"),
            "first_touch_at": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]"),
        }
    )
    return Journeys(
        table=out,
        channels=channels,
        offsets=offsets,
        codes=codes,
        days_before=None,
        milestones=None,
        sep=sep,
        level="channel",
        conversion="path table",
    )
