"""Data-quality views for the report's first page: what was set aside, and how fresh the data is."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from smk import model
from smk.checks import checked_tables
from smk.io.parse import listed_ids
from smk.model import (
    BY_DESIGN_REASONS,
    CONTACT_LISTS,
    CRM,
    EMPTY_ROW,
    PRIMARY_KEYS,
    REPORT_FOOTER,
    SCHEMA,
    DataQuality,
    TableAccount,
)
from smk.periods import Month, month_of, stray_masks

_DATE_COLUMNS = {
    "contacts": "created_at",
    "accounts": "created_at",
    "deals": "created_at",
    "touchpoints": "occurred_at",
    "activities": "occurred_at",
}


@checked_tables
def every_table_account(crm: CRM) -> DataQuality:
    """The data-quality account with every table of the model, in its order (read 0 for one
    the export lacks; then any table outside the model, should a loader ever add one), so that
    `smk validate --json` and the data-quality page's CSV and metrics list the same tables
    every month, whichever the export holds."""
    tables = {t: TableAccount() for t in SCHEMA} | crm.quality.tables  # the model's order
    return dataclasses.replace(crm.quality, tables=tables)


@checked_tables
def not_in_export(crm: CRM) -> list[str]:
    """The tables of the model the export does not have: no file of them read, no row."""
    read = {t for t, a in crm.quality.tables.items() if a.read}
    filed = {t for t, names in crm.quality.files.items() if names}  # a file, if only a header
    return [t for t in crm.missing_tables() if t not in read and t not in filed]


@checked_tables
def reasons_table(crm: CRM) -> pd.DataFrame:
    """One row per table and reason a row was set aside, with the count (tidy)."""
    rows = [
        {"table": table, "reason": reason, "rows": n}
        for table, acc in crm.quality.tables.items()
        for reason, n in acc.reasons().items()
    ]
    return pd.DataFrame(rows, columns=["table", "reason", "rows"])


#: The kind of each by-design reason (`BY_DESIGN_REASONS`), as a data-quality page names it.
BY_DESIGN_KINDS: dict[str, str] = {
    model.MERGED_SAME_EMAIL: "merged",
    model.MERGED_CONVERTED_LEAD: "merged",
    model.MERGED_IN_CRM: "merged",
    model.CONVERTED_INTO_DELETED: "deleted",
    model.DELETED_IN_SALESFORCE: "deleted",
    model.DELETED_IN_CRM: "deleted",
    **{reason: "deleted" for reason in model.PARENT_DELETED.values()},
    model.NO_RESPONSE: "no response",
    model.TASK_NOT_DONE: "tasks not done",
    model.ACCOUNT_ACTIVITY: "account activities",
    model.INTERNAL_ACTIVITY: "internal activities",
    model.OTHER_RECORD_ACTIVITY: "activities on other records",
    model.LEAD_STATUS_READ: "lead history",
    model.LEAD_OTHER_FIELD: "lead history",
    model.LEAD_STATUS_OF_SET_ASIDE: "lead history",
    model.INBOUND_EMAIL: "inbound e-mails",
    model.REPORT_FOOTER: "report footers",
    model.OLDER_COPY: "older copies",
    model.OTHER_CONTACT_ROLE: "contact roles",
    model.PIPELINE_NOT_REPORTED: "pipelines not reported on",
}


@checked_tables
def by_design_kinds(crm: CRM) -> dict[str, int]:
    """Rows set aside by the model's own rules (`by_design_rows`), by kind (`BY_DESIGN_KINDS`;
    a report footer's blank lines, `footer_blank_lines`, are report footers): the kinds this
    export has, the largest first (ties by name)."""
    kinds: dict[str, int] = {}
    for table, by_design in by_design_rows(crm).items():
        reasons = crm.quality.set_aside(table)["_reason"][by_design].astype("string")
        for reason, n in reasons.value_counts().items():
            kind = BY_DESIGN_KINDS[reason] if reason in BY_DESIGN_REASONS else "report footers"
            kinds[kind] = kinds.get(kind, 0) + int(n)
    return dict(sorted(kinds.items(), key=lambda kind: (-kind[1], kind[0])))


@checked_tables
def by_design_rows(crm: CRM) -> dict[str, np.ndarray]:
    """Per table of the account, which of its set-aside rows (`DataQuality.set_aside`, in
    their order) were set aside by the model's own rules: a reason of `BY_DESIGN_REASONS`, or
    a blank line of a report download's footer (`footer_blank_lines`). The one place rows
    are told by design from faults: the counts (`set_aside_counts`, `by_design_kinds`) and
    the listing's order (`set_aside_rows`) use it."""
    blanks = _footer_blank_masks(crm)
    rows = {}
    for table in crm.quality.tables:
        aside = crm.quality.set_aside(table)
        by_design = aside["_reason"].isin(BY_DESIGN_REASONS).to_numpy(dtype=bool)
        rows[table] = by_design | blanks[table] if table in blanks else by_design
    return rows


@checked_tables
def set_aside_counts(crm: CRM) -> dict[str, int]:
    """Rows set aside in all tables: ``total``, those set aside by the model's own rules
    (``by_design``: merged duplicates, converted leads, deleted records, a Salesforce lead
    history, a report download's footer; `by_design_kinds`) and the rest (``faults``: rows the
    export got wrong, to fix at the source)."""
    total = sum(sum(acc.reasons().values()) for acc in crm.quality.tables.values())
    by_design = sum(int(rows.sum()) for rows in by_design_rows(crm).values())
    return {"total": total, "by_design": by_design, "faults": total - by_design}


@checked_tables
def by_design_text(crm: CRM) -> str:
    """The rows set aside by design, by kind, as a page says them: ``14,208 by design (lead
    history 14,022, merged 186)``, ``0 by design``."""
    kinds = by_design_kinds(crm)
    text = f"{sum(kinds.values()):,} by design"
    if kinds:
        text += " (" + ", ".join(f"{kind} {n:,}" for kind, n in kinds.items()) + ")"
    return text


@checked_tables
def set_aside_detail(crm: CRM) -> str:
    """What the rows set aside are, for a data-quality tile: ``of 15,708 read; 0 for a fault
    of the export, 14,208 by design (lead history 14,022, merged 186)``."""
    read = sum(acc.read for acc in crm.quality.tables.values())
    faults = set_aside_counts(crm)["faults"]
    return f"of {read:,} read; {faults:,} for a fault of the export, {by_design_text(crm)}"


#: Rows of another object a loader reads into a table to use them, all set aside (their
#: reasons say how each was used), told by an extra column's value: table -> (column, value,
#: what one is, the column of their own id, which the set-aside listing shows last when
#: the table has such rows: a LeadHistory row has no contact_id; what they hold)
_OTHER_ROWS = {
    "contacts": (
        *model.LEAD_HISTORY_ROWS,
        "Salesforce LeadHistory row",
        "salesforce_lead_id",
        "each lead's field history, read into its stage dates",
    )
}


@checked_tables
def other_rows(crm: CRM) -> dict[str, int]:
    """By table, how many of the rows read are another object's rows read into it
    (`_OTHER_ROWS`: a Salesforce LeadHistory's in the contacts); tables with none left out."""
    counts = {}
    for table in _OTHER_ROWS:
        aside = crm.quality.set_aside(table) if table in crm.quality.tables else None
        n = int(_other_object(aside, table).sum()) if aside is not None else 0
        if n:
            counts[table] = n
    return counts


def _other_object(aside: pd.DataFrame, table: str) -> np.ndarray:
    """Which of a table's set-aside rows are another object's rows read into it
    (`_OTHER_ROWS`)."""
    column, value = _OTHER_ROWS[table][:2] if table in _OTHER_ROWS else ("", "")
    if column not in aside.columns:
        return np.zeros(len(aside), dtype=bool)
    return aside[column].eq(value).fillna(False).to_numpy(dtype=bool)


@checked_tables
def account_notes(crm: CRM) -> list[str]:
    """Lines that make the account's counts readable: per table, how many of its rows read
    are another object's (`other_rows`), e.g. ``contacts: 14,208 of the 15,708 rows read are
    Salesforce LeadHistory rows (...), all set aside``; and how many activities loaded name
    several contacts (`several_contacts`), each read as the work on its first one only."""
    notes = []
    for table, n in other_rows(crm).items():
        read = crm.quality.tables[table].read
        kind, why = _OTHER_ROWS[table][2], _OTHER_ROWS[table][4]
        what = (
            f"is a {kind} ({why}), set aside" if n == 1 else f"are {kind}s ({why}), all set aside"
        )
        notes.append(f"{table}: {n:,} of the {read:,} rows read {what}")
    several = several_contacts(crm)
    if several:
        names = "names" if several == 1 else "name"
        notes.append(
            f"activities: {several:,} of the {len(crm.activities):,} loaded {names} several "
            "contacts (HubSpot's Associated Contact IDs): each counts as work on the first of "
            "them only (its contact_id; all are kept in contact_ids_all)"
        )
    return notes


@checked_tables
def several_contacts(crm: CRM) -> int:
    """How many loaded activities name more than one contact: a HubSpot call, meeting, task
    or e-mail associated with several (`Associated Contact IDs`, a sync's association
    table), whose ids the load keeps `;`-separated in `contact_ids_all` and whose first is its
    `contact_id` (`smk.io.mapping.map_frame`, `smk.io.sql`): the analyses read the activity as
    the work on that contact only. A list of one id (`;205`, `101;101`) is one contact."""
    lists = crm.activities.get(CONTACT_LISTS)
    if lists is None:
        return 0
    ids = listed_ids(lists.reset_index(drop=True))  # labelled by position: one per activity
    return int((ids.groupby(level=0).nunique() > 1).sum())


@checked_tables
def footer_blank_lines(crm: CRM) -> int:
    """Rows set aside that are blank lines of a report download's footer: in a file with a
    report footer, rows with nothing in them after the file's last data row.

    The footer's own lines are `report footer`; its blank lines are set aside as empty rows,
    as a blank row inside the data is (a fault). Their place tells them apart. A blank line
    written as delimiters (`,,,,`) is a record of empty cells, an empty row too (judged on the
    file's cells, before a loader derives a value from nothing: `mapping.map_frame`); a row
    set aside for another reason counts too when it holds nothing but what each of the file's
    footer lines holds as well (`_footer_blanks`); one set aside by design already (a campaign
    member that did not respond) is not counted twice. When where the loaded rows lie is not
    known (a model read with `columns=`, without `_file` and `_row`), none is counted: every
    empty row is then a fault.
    """
    return sum(int(mask.sum()) for mask in _footer_blank_masks(crm).values())


def _footer_blank_masks(crm: CRM) -> dict[str, np.ndarray]:
    """`footer_blank_lines` per table: which of its set-aside rows (in their order) are such
    blank lines; tables that cannot have any left out."""
    asides = {t: crm.quality.set_aside(t) for t in crm.quality.tables}
    meta = {"_file", "_row", "_reason"}
    asides = {t: a for t, a in asides.items() if len(a) and meta <= set(a.columns)}
    footed = {
        str(f) for a in asides.values() for f in a.loc[a["_reason"] == REPORT_FOOTER, "_file"]
    }
    last = _last_loaded_rows(crm, footed) if footed else None
    if last is None:
        return {}
    blanks = {}  # per table: blank lines after the last loaded row of a footed file
    for table, aside in asides.items():
        tail = _after_rows(aside, footed, last)
        if tail.any():
            blanks[table] = np.zeros(len(aside), dtype=bool)
            blanks[table][tail] = _footer_blanks(aside[tail])
    for table, blank in blanks.items():  # the last data row: set aside for anything but blank
        tail = _after_rows(asides[table], footed, last)  # or footer
        data = asides[table][tail & ~blank & (asides[table]["_reason"] != REPORT_FOOTER)]
        for file, row in _row_numbers(data).groupby(data["_file"].astype(str)).max().items():
            last[file] = max(last.get(file, row), row)
    for table, blank in blanks.items():  # after it, and not by design already
        aside = asides[table]
        blank &= _after_rows(aside, footed, last)
        blank &= ~aside["_reason"].isin(BY_DESIGN_REASONS).to_numpy(dtype=bool)
    return blanks


def _row_numbers(frame: pd.DataFrame) -> pd.Series:
    return pd.to_numeric(frame["_row"], errors="coerce")


def _after_rows(aside: pd.DataFrame, files: set[str], last: dict[str, float]) -> np.ndarray:
    """Which rows of a table's set-aside rows are of the `files` after their `last` row (a
    file with none loaded: all of them)."""
    names = aside["_file"].astype(str)
    after = names.isin(files) & (_row_numbers(aside) > names.map(last).fillna(0))
    return after.to_numpy(dtype=bool)


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


@checked_tables
def set_aside_in_order(crm: CRM, table: str) -> pd.DataFrame:
    """A table's set-aside rows (`DataQuality.set_aside`, every column) with the faults of the
    export first, then the rows set aside by design (`by_design_rows`), each in the order
    read (`_order_read`: by file, then row; not the order they were set aside in, as a row set
    aside while read comes before one set aside by a later check): the order of the page's
    listing, its CSV and `smk validate --set-aside`."""
    aside = crm.quality.set_aside(table)
    if table not in crm.quality.tables or aside.empty:
        return aside
    read = _order_read(aside, crm.quality.files.get(table, []))
    by_design = by_design_rows(crm)[table][read]
    return aside.iloc[np.concatenate([read[~by_design], read[by_design]])].reset_index(drop=True)


def _order_read(aside: pd.DataFrame, files: list[str]) -> np.ndarray:
    """The positions of set-aside rows in the order read: by file (`files`, the table's in
    the order read, then any other in the order its rows come), then by row number (a row
    without one after its file's numbered rows); a frame without `_file` and `_row` keeps
    its order."""
    if not {"_file", "_row"} <= set(aside.columns):
        return np.arange(len(aside))
    names = aside["_file"].astype("string")
    known = list(dict.fromkeys([*files, *names.dropna()]))
    rank = names.map(dict(zip(known, range(len(known)), strict=True)))
    rows = _row_numbers(aside).to_numpy(dtype=float, na_value=np.inf)
    return np.lexsort((rows, rank.to_numpy(dtype=float, na_value=np.inf)))


#: The column of the set-aside rows that holds the id of the record a merged one was merged
#: into (`smk.io.validate._fold_into`: a duplicate contact's survivor; a converted Salesforce
#: Lead's contact, `smk.io.salesforce`), as `smk validate --set-aside` writes it: an id,
#: never the survivor's e-mail or name
_MERGED_INTO = "_merged_into"
#: The listing's names of the set-aside rows' own columns
_SHOWN = {"_file": "file", "_row": "row", "_reason": "reason", _MERGED_INTO: "merged_into"}


@checked_tables
def set_aside_rows(crm: CRM, table: str) -> pd.DataFrame:
    """Where the set-aside rows of a table are (file, row, reason, ids), without personal data,
    in `set_aside_in_order`'s order; last, only when the table has such rows, the id of the
    record each merged one was merged into (`merged_into`) and another object's id
    (`_OTHER_ROWS`: a Salesforce LeadHistory row's `salesforce_lead_id`)."""
    aside = set_aside_in_order(crm, table)
    merged = [_MERGED_INTO] if _MERGED_INTO in aside and aside[_MERGED_INTO].notna().any() else []
    ids = [_OTHER_ROWS[table][3]] if _other_object(aside, table).any() else []
    wanted = dict.fromkeys(("_file", "_row", "_reason", *_LOCATORS[table], *merged, *ids))
    keep = [c for c in wanted if c in aside.columns]  # each once
    return aside[keep].reset_index(drop=True).rename(columns=_SHOWN)


#: The columns of `all_set_aside_rows`, the same every month whatever was set aside, so that
#: month after month its CSV appends to one table: where each row is, every table's ids and
#: spend's month, channel and campaign (`_LOCATORS`), then the id a merged record was merged
#: into and another object's id (`_OTHER_ROWS`); empty where a row has none
SET_ASIDE_COLUMNS: tuple[str, ...] = (
    "table",
    "file",
    "row",
    "reason",
    *dict.fromkeys(
        [
            *(key for key in PRIMARY_KEYS.values() if key),
            *(c for t in _LOCATORS.values() for c in t),
        ]
    ),
    _SHOWN[_MERGED_INTO],
    *(other[3] for other in _OTHER_ROWS.values()),
)


@checked_tables
def all_set_aside_rows(crm: CRM) -> pd.DataFrame:
    """`set_aside_rows` of every table in one frame, in `SET_ASIDE_COLUMNS` (no row set
    aside: none, the same columns): the full list to fix at the source, for the data-quality
    CSV export."""
    frames = [set_aside_rows(crm, t).assign(table=t) for t in crm.quality.tables]
    frames = [f for f in frames if len(f)]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return rows.reindex(columns=list(SET_ASIDE_COLUMNS))


@checked_tables
def set_aside_sections(
    crm: CRM, limit: int = 10, export: str = ""
) -> list[tuple[str, pd.DataFrame, str]]:
    """Per table with rows set aside: its name, its first `limit` set-aside rows
    (`set_aside_rows`: faults first) and, when it has more, the line saying how many (and the
    file that lists them all, `export`), so a short page never hides a long list; the page
    shows each as a table (`smk.notebooks.show_sections`)."""
    sections = []
    for table in crm.quality.tables:
        rows = set_aside_rows(crm, table)
        if len(rows):
            more = ""
            if len(rows) > limit:
                where = f": all of them in {export}" if export else ""
                more = f"... and {len(rows) - limit} more{where}"
            sections.append((table, rows.head(limit), more))
    return sections


@checked_tables
def set_aside_listing(crm: CRM, limit: int = 10, export: str = "") -> str:
    """`set_aside_sections` as plain text (for a console or a log; a page shows them as
    tables)."""
    parts = []
    for table, rows, more in set_aside_sections(crm, limit, export):
        parts.append(f"{table}:\n{rows.to_string(index=False)}")
        if more:
            parts.append(more)
    return "\n".join(parts) if parts else "no rows set aside"


@checked_tables
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
