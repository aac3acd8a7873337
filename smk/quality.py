"""Data-quality views for the report's first page: what was set aside, and how fresh the data is."""

from __future__ import annotations

import pandas as pd

from smk.model import BY_DESIGN_REASONS, CRM, EMPTY_ROW, PRIMARY_KEYS, REPORT_FOOTER
from smk.periods import Month, stray_masks

_DATE_COLUMNS = {
    "contacts": "created_at",
    "accounts": "created_at",
    "deals": "created_at",
    "touchpoints": "occurred_at",
    "activities": "occurred_at",
}


def reasons_table(crm: CRM) -> pd.DataFrame:
    """One row per table and reason a row was set aside, with the count (tidy)."""
    rows = [
        {"table": table, "reason": reason, "rows": n}
        for table, acc in crm.quality.tables.items()
        for reason, n in acc.reasons().items()
    ]
    return pd.DataFrame(rows, columns=["table", "reason", "rows"])


def set_aside_counts(crm: CRM) -> dict[str, int]:
    """Rows set aside in all tables: ``total``, those set aside by the model's own rules
    (``by_design``: merged duplicates, converted leads, deleted records, a report download's
    footer; `BY_DESIGN_REASONS` and `footer_blank_lines`) and the rest (``faults``: rows the
    export got wrong, to fix at the source)."""
    total = by_design = 0
    for acc in crm.quality.tables.values():
        reasons = acc.reasons()
        total += sum(reasons.values())
        by_design += sum(n for reason, n in reasons.items() if reason in BY_DESIGN_REASONS)
    by_design += footer_blank_lines(crm)
    return {"total": total, "by_design": by_design, "faults": total - by_design}


def footer_blank_lines(crm: CRM) -> int:
    """Rows set aside as empty that belong to a report download's footer: in a file with a
    report footer, after the file's last data row.

    The footer's own lines are `report footer`; its blank lines are set aside as empty rows,
    as a blank row inside the data is (a fault). Their place tells them apart. When where the
    loaded rows lie is not known (a model read with `columns=`, without `_file` and `_row`),
    none is counted: every empty row is then a fault.
    """
    asides = [crm.quality.set_aside(t) for t in crm.quality.tables]
    asides = [a for a in asides if len(a) and {"_file", "_row", "_reason"} <= set(a.columns)]
    footed = {str(f) for a in asides for f in a.loc[a["_reason"] == REPORT_FOOTER, "_file"]}
    blanks = [a[(a["_reason"] == EMPTY_ROW) & a["_file"].astype(str).isin(footed)] for a in asides]
    blanks = [b for b in blanks if len(b)]
    if not blanks:
        return 0
    last = _last_data_rows(crm, asides, footed)
    if last is None:
        return 0
    count = 0
    for blank in blanks:
        rows = pd.to_numeric(blank["_row"], errors="coerce")
        after = rows > blank["_file"].astype(str).map(last).fillna(0)  # no data row: all after
        count += int(after.sum())
    return count


def _last_data_rows(crm: CRM, asides: list[pd.DataFrame], files: set[str]) -> dict | None:
    """File name -> row number of its last data row (loaded, or set aside for anything but
    being empty or a footer line), for the `files` named; None when a loaded table does not
    say where its rows came from."""
    parts = []
    for frame in crm.tables().values():
        if frame.empty:
            continue
        if not {"_file", "_row"} <= set(frame.columns):
            return None
        parts.append(frame.loc[frame["_file"].isin(files), ["_file", "_row"]])
    for aside in asides:
        data = ~aside["_reason"].isin([EMPTY_ROW, REPORT_FOOTER])
        parts.append(aside.loc[data & aside["_file"].isin(files), ["_file", "_row"]])
    last: dict[str, float] = {}
    for part in parts:  # per part: a large table's rows are grouped where they are
        numbers = pd.to_numeric(part["_row"], errors="coerce")
        for file, row in numbers.groupby(part["_file"].astype(str)).max().items():
            last[file] = max(last.get(file, row), row)
    return last


#: what finds a set-aside row besides its file and row: the table's own id, then the deal it
#: belongs to (spend has no id: its month and channel)
_LOCATORS = {t: (key, "deal_id") for t, key in PRIMARY_KEYS.items() if key} | {
    "spend": ("month", "channel", "campaign")
}


def set_aside_rows(crm: CRM, table: str) -> pd.DataFrame:
    """Where the set-aside rows of a table are (file, row, reason, ids), without personal data."""
    aside = crm.quality.set_aside(table)
    wanted = dict.fromkeys(("_file", "_row", "_reason", *_LOCATORS[table]))  # each once
    keep = [c for c in wanted if c in aside.columns]
    return aside[keep].rename(columns={"_file": "file", "_row": "row", "_reason": "reason"})


def all_set_aside_rows(crm: CRM) -> pd.DataFrame:
    """`set_aside_rows` of every table in one frame (a `table` column first): the full list
    to fix at the source, for the data-quality CSV export."""
    frames = [set_aside_rows(crm, t).assign(table=t) for t in crm.quality.tables]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["table", "file", "row", "reason"])
    rows = pd.concat(frames, ignore_index=True)
    return rows[["table", *[c for c in rows.columns if c != "table"]]]


def set_aside_listing(crm: CRM, limit: int = 10, export: str = "") -> str:
    """The first `limit` set-aside rows of each table as text, saying how many more there are
    (and the file that lists them all, `export`), so a short page never hides a long list."""
    parts = []
    for table in crm.quality.tables:
        rows = set_aside_rows(crm, table)
        if len(rows):
            parts.append(f"{table}:\n{rows.head(limit).to_string(index=False)}")
        if len(rows) > limit:
            where = f": all of them in {export}" if export else ""
            parts.append(f"... and {len(rows) - limit} more{where}")
    return "\n".join(parts) if parts else "no rows set aside"


def freshness(crm: CRM, month: Month) -> pd.DataFrame:
    """Per table: the newest record by the end of the report month and how far it lies from
    that end (a month published again later is judged on what it held then).

    A table whose newest record is long before the month's end points at a stale or partial
    export (e.g. activities synced less often than contacts). Stray dates (a year mistyped,
    a 1970 placeholder; `periods.data_span`) are counted, and left out of the newest record:
    one mistyped 2036 must not make a stale table look current.
    """
    rows = []
    strays = stray_masks(crm)
    for table, col in _DATE_COLUMNS.items():
        values = getattr(crm, table)[col].dropna()
        # strays are counted; the newest record is the newest by the month's end
        stray = strays.get(table, pd.Series(False, index=values.index))
        kept = values[~stray.to_numpy(dtype=bool)]
        kept = kept[kept < month.end]  # a past month re-run: its newest record then
        newest = kept.max() if len(kept) else pd.NaT
        in_month = int(month.contains(values).sum()) if len(values) else 0
        gap = (month.end - newest).total_seconds() / 86400 if pd.notna(newest) else None
        rows.append(
            {
                "table": table,
                "newest record": newest,
                "records in month": in_month,
                "days from newest record to month end": None if gap is None else round(gap, 1),
                "stray dates": int(stray.sum()),  # far outside the export's span
            }
        )
    return pd.DataFrame(rows)
