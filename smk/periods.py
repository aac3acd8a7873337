"""Report months: parse `YYYY-MM`, resolve `latest`, and give a month's UTC bounds.

Every analysis takes an explicit month (never "today"), so a re-run of an old report gives the
same numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Month:
    """A calendar month in UTC: `start` inclusive, `end` exclusive."""

    label: str  # "2026-10"

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
    if not isinstance(text, str) or not _MONTH.match(text.strip()):
        raise ValueError(f"month must look like YYYY-MM (e.g. 2026-10), got {text!r}")
    return Month(text.strip())


def data_span(crm) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last timestamp of activity in the export (contacts, deals, touches, work)."""
    stamps = [
        crm.contacts["created_at"],
        crm.deals["created_at"],
        crm.touchpoints["occurred_at"],
        crm.activities["occurred_at"],
    ]
    stamps = [s.dropna() for s in stamps if len(s.dropna())]
    if not stamps:
        raise ValueError(f"the export {crm.source} has no dated records")
    return min(s.min() for s in stamps), max(s.max() for s in stamps)


def latest_full_month(crm) -> Month:
    """The last calendar month that the export covers completely.

    A month counts as complete when the data reaches its last day; an export taken on
    2026-11-03 gives 2026-10.
    """
    _, last = data_span(crm)
    month = Month(last.strftime("%Y-%m"))
    if last < month.end - pd.Timedelta(days=1):
        month = month.previous
    return month


def resolve_month(crm, text: str) -> Month:
    """`latest` or `YYYY-MM`, checked against the span of the data."""
    if str(text).strip().lower() == "latest":
        return latest_full_month(crm)
    month = parse_month(text)
    first, last = data_span(crm)
    if month.end <= first or month.start > last:
        raise ValueError(
            f"month {month} is outside the data ({first:%Y-%m-%d} to {last:%Y-%m-%d}); "
            "choose a month the export covers or use 'latest'"
        )
    return month
