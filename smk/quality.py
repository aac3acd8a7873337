"""Data-quality views for the report's first page: what was set aside, and how fresh the data is."""

from __future__ import annotations

import numpy as np
import pandas as pd

from smk.model import BY_DESIGN_REASONS, CRM, EMPTY_ROW, PRIMARY_KEYS, REPORT_FOOTER
from smk.periods import Month, month_of, stray_masks

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
    """Rows set aside that are blank lines of a report download's footer: in a file with a
    report footer, rows with nothing in them after the file's last data row.

    The footer's own lines are `report footer`; its blank lines are set aside as empty rows,
    as a blank row inside the data is (a fault). Their place tells them apart. A blank line
    written as delimiters (`,,,,`) is a record of empty cells, which is set aside for a missing
    id instead when the loader derives a value from nothing (a deal's `is_won`: false): it
    counts too when it holds nothing but what each of the file's footer lines holds as well
    (`_footer_blanks`); one set aside by design already (a campaign member that did not
    respond) is not counted twice. When where the loaded rows lie is not known (a model read
    with `columns=`, without `_file` and `_row`), none is counted: every empty row is then a
    fault.
    """
    asides = [crm.quality.set_aside(t) for t in crm.quality.tables]
    asides = [a for a in asides if len(a) and {"_file", "_row", "_reason"} <= set(a.columns)]
    footed = {str(f) for a in asides for f in a.loc[a["_reason"] == REPORT_FOOTER, "_file"]}
    last = _last_loaded_rows(crm, footed) if footed else None
    if last is None:
        return 0
    tails = [(tail, _footer_blanks(tail)) for tail in _after_rows(asides, footed, last)]
    for tail, blank in tails:  # the last data row: set aside for anything but blank or footer
        data = tail[~blank & (tail["_reason"] != REPORT_FOOTER).to_numpy(dtype=bool)]
        for file, row in _row_numbers(data).groupby(data["_file"].astype(str)).max().items():
            last[file] = max(last.get(file, row), row)
    count = 0
    for tail, blank in tails:
        after = _row_numbers(tail) > tail["_file"].astype(str).map(last).fillna(0)
        counted = blank & ~tail["_reason"].isin(BY_DESIGN_REASONS).to_numpy(dtype=bool)
        count += int((counted & after.to_numpy(dtype=bool)).sum())
    return count


def _row_numbers(frame: pd.DataFrame) -> pd.Series:
    return pd.to_numeric(frame["_row"], errors="coerce")


def _after_rows(
    asides: list[pd.DataFrame], files: set[str], last: dict[str, float]
) -> list[pd.DataFrame]:
    """Per table, its set-aside rows of the `files` after their `last` row (a file with none
    loaded: all of them); tables with none left out."""
    tails = []
    for aside in asides:
        names = aside["_file"].astype(str)
        after = names.isin(files) & (_row_numbers(aside) > names.map(last).fillna(0))
        if after.any():
            tails.append(aside[after.to_numpy(dtype=bool)])
    return tails


def _last_loaded_rows(crm: CRM, files: set[str]) -> dict[str, float] | None:
    """File name -> row number of its last loaded row, for the `files` named (none loaded:
    not in it); None when a loaded table does not say where its rows came from."""
    last: dict[str, float] = {}
    for frame in crm.tables().values():
        if frame.empty:
            continue
        if not {"_file", "_row"} <= set(frame.columns):
            return None
        part = frame.loc[frame["_file"].isin(files), ["_file", "_row"]]
        # per table: a large table's rows are grouped where they are
        for file, row in _row_numbers(part).groupby(part["_file"].astype(str)).max().items():
            last[file] = max(last.get(file, row), row)
    return last


def _footer_blanks(tail: pd.DataFrame) -> np.ndarray:
    """Which set-aside rows of footed files, after their last loaded row, are blank lines:
    set aside as empty, or holding in each column nothing, or the value each of the file's
    footer lines holds there too (a flag or constant the loader gives every row)."""
    blank = (tail["_reason"] == EMPTY_ROW).to_numpy(dtype=bool)
    footer = (tail["_reason"] == REPORT_FOOTER).to_numpy(dtype=bool)
    files = tail["_file"].astype(str).to_numpy()
    cells = [c for c in tail.columns if not str(c).startswith("_")]
    others = ~blank & ~footer
    for file in pd.unique(files[others]):
        rows, lines = others & (files == file), tail[footer & (files == file)]
        nothing = np.ones(int(rows.sum()), dtype=bool)
        for col in cells:
            values = tail.loc[rows, col].astype("string")
            empty = values.isna() | (values.str.strip() == "")
            held = lines[col].astype("string").unique()
            if len(held) == 1 and not pd.isna(held[0]):
                empty |= values == held[0]
            nothing &= empty.fillna(False).to_numpy(dtype=bool)
        blank[np.flatnonzero(rows)[nothing]] = True
    return blank


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


def freshness(crm: CRM, month: Month | pd.Period | str) -> pd.DataFrame:
    """Per table: the newest record by the end of the report month and how far it lies from
    that end (a month published again later is judged on what it held then). `month` as
    every analysis takes it (`periods.month_of`: a Month, a monthly Period, `YYYY-MM` or
    `latest`).

    A table whose newest record is long before the month's end points at a stale or partial
    export (e.g. activities synced less often than contacts). Stray dates (a year mistyped,
    a 1970 placeholder; `periods.data_span`) are counted, and left out of the newest record:
    one mistyped 2036 must not make a stale table look current.
    """
    month = month_of(crm, month)
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
