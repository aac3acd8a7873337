"""Turn raw, canonically named frames into a validated `CRM`, accounting for every row.

Every loader ends here. A raw frame has canonical column names (values still text, or already
typed), any extra columns, and `_file` / `_row` telling where each row came from; a `_reason`
column may already mark rows the reader could not use (report footers, ragged rows).

Row-level problems set the row aside with a reason instead of failing the load; the reasons are
documented in docs/data-model.md. For every table: rows read == rows loaded + rows set aside.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

from smk import periods
from smk.errors import CRMExportError
from smk.io import parse
from smk.io.canonical import format_datetimes
from smk.io.files import normalise_header
from smk.io.merges import MERGED_IDS, merge_redirect
from smk.model import (
    AS_LEAD_COLUMNS,
    BY_DESIGN_REASONS,
    CONTACT_LISTS,
    CRM,
    DELETED_IN_CRM,
    DELETED_IN_SALESFORCE,
    EXPECTED,
    FEATURE_SOURCES,
    LEAD_SCORING,
    MERGED_IN_CRM,
    MERGED_SAME_EMAIL,
    OLDER_COPY,
    PARENT_DELETED,
    PRIMARY_KEYS,
    REQUIRED,
    SCHEMA,
    SEGMENTATION,
    STAGE_DATE_COLUMNS,
    STAGES,
    TABLES,
    UNKNOWN_STAGE,
    VOCABULARIES,
    DataQuality,
    dtype_of,
    empty_table,
)

#: `_text`: raw line of a malformed row; `_merged_into`: the contact a row set aside as merged
#: was merged into (a loader's, as a converted Salesforce Lead's; `_set_aside_merged`)
_META = ("_file", "_row", "_reason", "_text", "_merged_into")

#: A loader's step run once accounts, contacts, deals and spend are checked (rows set aside,
#: e-mail duplicates merged): it gets the tables, the quality account and the merge's
#: redirects (merged-away contact id -> survivor), and may derive values from the rows that
#: were loaded (the Salesforce loader's contacts' opportunity and customer dates from their
#: loaded deals) and add warnings; it sets no row aside, but may re-word the reason of a row
#: set aside by design that the checks made untrue (the Salesforce loader's LeadHistory rows
#: of a person then set aside), replacing the account's `set_aside` frame, never editing it.
AfterChecks = Callable[[dict[str, pd.DataFrame], DataQuality, dict[str, str]], None]

#: A loader's step on an event table (`_FILTERED_ONCE`) once the records are checked (and
#: `AfterChecks` run), before the table's own checks: it gets the table's typed rows (rows set
#: aside while typing still in place), to edit in place, and the checked tables. The
#: Salesforce loader gives an activity of an opportunity, not of a person, the contact of the
#: opportunity's loaded row, so that its contact is checked as any activity's is.
EventStep = Callable[[pd.DataFrame, dict[str, pd.DataFrame]], None]


@dataclass
class LazyTable:
    """A raw table read only when it is about to be typed.

    With lazy tables the raw text of one table at a time is in memory, not the whole export's.
    `size` (bytes on disk) tells which table is the largest.
    """

    read: Callable[[], pd.DataFrame]
    size: int

    def __call__(self) -> pd.DataFrame:
        return self.read()


def assemble(
    raw: dict[str, pd.DataFrame | LazyTable],
    *,
    source: str,
    format: str,
    options: parse.DateOptions = parse.DEFAULT_DATE_OPTIONS,
    warnings: list[str] | None = None,
    after_checks: AfterChecks | None = None,
    event_steps: dict[str, EventStep] | None = None,
) -> CRM:
    """Type, validate and cross-check raw tables; returns the CRM with its quality account.

    `raw` is consumed: each table is removed from it once typed, so that the raw text and the
    typed table of the whole export are never in memory at the same time. `after_checks` is a
    loader's own step on the checked records (`AfterChecks`), `event_steps` its steps on event
    tables, by name, before their checks (`EventStep`: those checks then wait for the records').
    """
    quality = DataQuality(warnings=list(warnings or []))
    tables = {name: empty_table(name) for name in TABLES if name not in raw}
    # The largest table is typed on a second thread while the others are typed on this one
    # (Arrow's kernels release the GIL); each table keeps its own account, merged in table
    # order so that the result and its warnings are the same on every run.
    present = [name for name in TABLES if name in raw]
    largest = max(present, key=lambda n: _size(raw[n]), default=None)
    accounts = {name: DataQuality() for name in present}
    for name in present:  # one account object per table, shared, in table order
        quality.tables[name] = accounts[name].account(name)
    contact_keys: list[pd.Series] = []  # the typed contacts' ids, once there
    merges: dict[str, dict[str, str]] = {}  # contacts the CRM merged: absorbed id -> survivor
    contacts_typed = threading.Event()  # the event tables' unknown-contact check waits for it
    if "contacts" not in present:
        contacts_typed.set()
    orders = _DayOrders(present, options)  # what the date columns show of their day order
    unchecked: dict[str, tuple[pd.DataFrame, np.ndarray | None]] = {}  # typed event tables
    event_steps = event_steps or {}
    records_checked = threading.Event()  # what the `event_steps` wait for

    def read(name: str) -> list[pd.DataFrame]:
        """The raw table, as a one-item list that hands over the only reference; its files
        noted and its date columns' day orders shown to the other tables."""
        try:
            frame = raw.pop(name)  # release each raw table once it is typed (peak memory)
            if isinstance(frame, LazyTable):
                frame = frame()
            accounts[name].files[name] = _file_names(frame["_file"])
            orders.show(name, frame)
            return [frame]
        finally:
            orders.show(name)  # a table that could not be read shows nothing: none waits for it

    def type_table(name: str, handed: list[pd.DataFrame] | None = None) -> None:
        """Type one table (read here unless `handed`); an event table waits in `unchecked`."""
        try:
            handed = handed if handed is not None else read(name)
            hints = orders.hints(name, accounts[name].files[name])  # may wait for other tables
            if name not in _FILTERED_ONCE:
                tables[name] = _normalise(name, handed, options, accounts[name], hints=hints)
                if name == "contacts":
                    aside = accounts[name].account(name).set_aside  # a survivor set aside
                    merges["contacts"] = merge_redirect(
                        tables[name], name, accounts[name].warnings, aside
                    )
                    contact_keys.append(tables[name]["contact_id"])
                return
            deferred: dict[str, np.ndarray] = {}  # rows set aside while typing, still in place
            typed = _normalise(name, handed, options, accounts[name], deferred, hints)
            unchecked[name] = (typed, deferred.get(name))
        finally:
            if name == "contacts":
                contacts_typed.set()

    def check_events(name: str) -> None:
        """An event table checked on the thread that typed it, and filtered once."""
        contacts_typed.wait()
        typed, aside = unchecked.pop(name)
        if name in event_steps:
            records_checked.wait()
            event_steps[name](typed, tables)
        _repoint({name: typed}, merges.get("contacts", {}), (name,))  # checked as the survivor's
        keys = contact_keys[0] if contact_keys else None
        unloaded = _unloaded(accounts["contacts"], "contacts") if "contacts" in accounts else None
        tables[name] = _check_events(
            name, typed, keys, accounts[name], aside, unloaded, options=options
        )

    def type_largest(name: str) -> None:
        type_table(name)
        if name in _FILTERED_ONCE:
            check_events(name)

    def type_others(names: list[str]) -> None:
        """Type these tables in order; one whose dates need the other tables' evidence
        (`_DayOrders.waits`) once all are read, the event tables' checks last (they wait for
        the contacts, which may be typed on the other thread, waiting for these reads)."""
        waiting = []
        try:
            for name in names:
                handed = read(name)
                if orders.waits(name):
                    waiting.append((name, handed))
                else:
                    type_table(name, handed)
            for name, handed in waiting:
                type_table(name, handed)
        except BaseException:
            orders.close()  # the other thread must not wait for tables that are never read
            contacts_typed.set()
            raise
        for name in names:
            if name in _FILTERED_ONCE and name not in event_steps:
                check_events(name)

    others = [name for name in present if name != largest]
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(type_largest, largest) if largest is not None else None
        try:
            type_others(others)
            if largest in _FILTERED_ONCE:  # the records' checks run while the events are typed
                redirects = _check_records(tables, quality, options, after_checks, merges, format)
        finally:
            # (the other thread's event table waits for it only when the records were checked
            # here, above); on an error too: that thread must not wait forever
            records_checked.set()
        if future is not None:
            future.result()
        if largest not in _FILTERED_ONCE:
            redirects = _check_records(tables, quality, options, after_checks, merges, format)
        for name in others:  # those typed on this thread that waited for the records' checks
            if name in _FILTERED_ONCE and name in event_steps:
                check_events(name)
    for name in present:
        quality.files[name] = accounts[name].files[name]
        quality.warnings += accounts[name].warnings
    _stale_untold_note(quality)
    _check_links(tables, quality, redirects)
    for name in TABLES:
        acc = quality.tables.get(name)
        if acc is not None:
            acc.loaded = len(tables[name])
            tables[name] = tables[name].reset_index(drop=True)
    parse.forget_int_ids()  # the model keeps its ids as text only
    quality.check()
    crm = CRM(**tables, quality=quality, source=source, format=format)
    _warn_spend_ahead(crm)
    _warn_stray_stage_dates(crm)
    _warn_unnamed_currency(crm)
    _warn_empty_months(crm)
    return crm


def _file_names(files: pd.Series) -> list[str]:
    """The files a raw table was read from: a categorical column's categories name a file
    even when it held only a header (no row)."""
    names = files.cat.categories if isinstance(files.dtype, pd.CategoricalDtype) else files
    return sorted(str(f) for f in pd.Series(names).dropna().unique())


def _size(item: pd.DataFrame | LazyTable) -> int:
    return item.size if isinstance(item, LazyTable) else len(item)


class _DayOrders:
    """The day order each date column of an export shows (`parse.day_order_shown`), noted as
    each table is read, before it is typed: the evidence for a column whose own numeric dates
    do not tell (one export tool writes all its dates one way).

    A column's evidence is the other date columns of its table, failing that those of the other
    tables. A table that needs the other tables' (`waits`) can only be typed once every table
    has been read: `hints` waits for that. Shared by the two threads that type the tables.
    Nothing is gathered when the load's `dayfirst` decides.
    """

    def __init__(self, names: list[str], options: parse.DateOptions) -> None:
        self._names = frozenset(names)
        self._gather = options.dayfirst is None
        self._shown: dict[str, dict[str, str | None]] = {}  # table -> column -> order shown
        self._read = threading.Condition()

    def show(self, name: str, frame: pd.DataFrame | None = None) -> None:
        """Note what the date columns of `name` show (nothing without `frame`); the first
        note of a table stands."""
        shown = {}
        if frame is not None and self._gather:
            dates = [c for c, kind in SCHEMA[name].items() if kind == "datetime" and c in frame]
            shown = {col: parse.day_order_shown(frame[col]) for col in dates}
        with self._read:
            self._shown.setdefault(name, shown)
            self._read.notify_all()

    def close(self) -> None:
        """Tables not read yet never will be (the load failed): nobody waits for them."""
        with self._read:
            for name in self._names:
                self._shown.setdefault(name, {})
            self._read.notify_all()

    def waits(self, name: str) -> bool:
        """A date column of `name` (read) holds numeric dates that do not tell their day order,
        and no other date column of the table tells it: the other tables' columns must."""
        with self._read:
            shown = set(self._shown[name].values())
        return parse.OPEN in shown and not shown & {"dmy", "mdy"}

    def hints(self, name: str, files: list[str]) -> dict[str, parse.OrderHint]:
        """The evidence for each date column of `name` (read) that has some; waits for every
        table to be read when the table needs theirs (`waits`)."""
        with self._read:
            if self.waits(name):
                self._read.wait_for(lambda: self._names <= self._shown.keys())
            shown = dict(self._shown)
        here = "in the same file" if len(files) <= 1 else "in the same table"
        hints = {}
        for col, own in shown[name].items():
            same = [(c, o) for c, o in shown[name].items() if c != col and o in ("dmy", "mdy")]
            if same:
                hints[col] = parse.OrderHint(tuple(same), here)
            elif own == parse.OPEN and (others := _shown_elsewhere(shown, name)):
                hints[col] = parse.OrderHint(others, "elsewhere in the export")
        return hints


def _shown_elsewhere(shown: dict[str, dict[str, str | None]], name: str):
    """The columns of the tables other than `name` that show a day order, in the model's table
    and column order (whichever thread read them first)."""
    return tuple(
        (f"{table}.{col}", order)
        for table in TABLES
        if table != name and table in shown
        for col, order in shown[table].items()
        if order in ("dmy", "mdy")
    )


# ------------------------------------------------------------------ one table
def _normalise(
    name: str,
    source: pd.DataFrame | list[pd.DataFrame],
    options: parse.DateOptions,
    quality: DataQuality,
    deferred: dict[str, np.ndarray] | None = None,
    hints: dict[str, parse.OrderHint] | None = None,
) -> pd.DataFrame:
    """Type one raw table; `source` may be a one-item list handing over the only reference.

    Rows that cannot be typed are set aside. They are filtered out here, or, when `deferred`
    is given, left in the table with their mask in ``deferred[name]`` so that the cross-table
    checks filter a large table once instead of twice. `hints` give, by date column, the day
    order the export's other date columns show (`_DayOrders.hints`).
    """
    frame = source.pop() if isinstance(source, list) else source
    schema = SCHEMA[name]
    missing = [c for c in REQUIRED[name] if c not in frame.columns]
    if missing:
        files = ", ".join(quality.files.get(name, [])) or name
        raise CRMExportError(
            f"the {name} table has no {missing[0]!r} column (required: {', '.join(REQUIRED[name])})",
            file=files,
            column=missing[0],
            found_columns=[c for c in frame.columns if c not in _META],
        )
    frame = frame.reset_index(drop=True)
    acc = quality.account(name)
    acc.read += len(frame)
    extras = [*acc.mapped_extras, *frame.attrs.get("mapped_extras", ())]
    acc.mapped_extras = list(dict.fromkeys(extras))  # for `_unmapped_hint`
    said = [*acc.left_empty, *frame.attrs.get("left_empty", ())]
    acc.left_empty = list(dict.fromkeys(said))  # for `_warn_empty_columns`
    quality.warnings.extend(frame.attrs.get("warnings", ()))  # the file reader's
    reason = _Reasons(frame["_reason"] if "_reason" in frame.columns else len(frame))
    out = pd.DataFrame(index=frame.index)
    filled = np.zeros(len(frame), dtype=bool)  # any canonical cell holds something
    source = parse.Source(tuple(quality.files.get(name, ())), frame.attrs.get("delimiter"))
    typed = _typed_columns(frame, schema, options, source, hints or {})
    short_years = np.zeros(len(frame), dtype=bool)  # a month read from a two-digit year
    custom_stages = False  # a lifecycle stage outside smk's (`_keep_unknown_stages`)
    for col, kind, (values, bad, notes, unknown, short) in typed:
        if short is not None:
            short_years |= short.to_numpy(dtype=bool)
        filled |= values.notna().to_numpy(dtype=bool) | bad.to_numpy(dtype=bool)
        for note in notes:
            quality.warnings.append(f"{name}.{col}: {note}")
        reason.flag(bad, f"unparseable {col}")
        if len(unknown):
            where = frame.attrs.get("translate_in")  # the mapping file read (or a copy)
            quality.warnings.append(_unknown_words_note(name, col, kind, unknown, where))
            custom_stages |= kind == "stage"
        out[col] = values
    for col, kind in schema.items():
        if col not in frame.columns:
            out[col] = pd.Series(index=frame.index, dtype=dtype_of(kind))  # NaN/NaT/<NA>
    out = out[[c for c in schema]]  # the model's column order
    reason.flag(~filled, "empty row")
    currency = _currency_column(out, frame) if "currency" in schema else None
    several = _several_emails(out, frame) if "email" in schema else None
    if custom_stages:
        _keep_unknown_stages(out, frame)
    for col in REQUIRED[name]:
        reason.flag(out[col].isna(), f"missing {col}")
    _cell_form_notes(name, out, frame, currency, several, reason.aside(), quality)
    extras = [c for c in frame.columns if c not in schema and c not in _META and c not in out]
    for col in extras:  # extra columns are kept as text, never dropped
        out[col] = parse.clean_text(frame[col])
    out["_file"] = frame["_file"].astype("category") if "_file" in frame else pd.NA
    out["_row"] = frame["_row"] if "_row" in frame else pd.RangeIndex(1, len(frame) + 1)
    if short_years.any():
        acc.two_digit_years = out.loc[short_years, ["_file", "_row"]].reset_index(drop=True)
    aside = reason.aside()
    if not aside.any():
        return out
    _set_aside(name, frame, aside, reason.labels(aside), quality)
    del frame  # the raw text is no longer needed: free it before the typed table is filtered
    if deferred is not None:
        deferred[name] = aside
        return out
    return _keep_rows(out, ~aside)


class _Reasons:
    """The first reason each row is set aside for, as small integer codes (not 10M strings)."""

    def __init__(self, initial: pd.Series | int) -> None:
        n = initial if isinstance(initial, int) else len(initial)
        self._labels: list[str | None] = [None]
        self._codes = np.zeros(n, dtype=np.int16)
        if isinstance(initial, int):
            return
        if parse.is_categorical(initial):  # reasons the reader gave: one code per row
            codes = initial.cat.codes.to_numpy()
            for i, label in enumerate(initial.cat.categories):
                self.flag(codes == i, str(label))
            return
        given = initial.astype("string")
        for label in given.dropna().unique():
            self.flag(given == label, str(label))

    def flag(self, mask, label: str) -> None:
        """Give rows in `mask` that have no reason yet this one."""
        rows = (self._codes == 0) & np.asarray(pd.Series(mask).fillna(False), dtype=bool)
        if rows.any():
            self._labels.append(label)
            self._codes[rows] = len(self._labels) - 1

    def aside(self) -> np.ndarray:
        return self._codes > 0

    def labels(self, rows: np.ndarray) -> np.ndarray:
        return np.array(self._labels, dtype=object)[self._codes[rows]]


def _keep_rows(frame: pd.DataFrame, keep: pd.Series) -> pd.DataFrame:
    """`frame[keep]`, one column at a time, so that a large table is never held twice.

    When a few rows go, text columns keep their Arrow buffers: the kept rows are zero-copy
    slices of them (a filter copies every string of a ten-million-row column).
    """
    mask = np.asarray(keep, dtype=bool)
    index = frame.index[mask]
    gone = np.flatnonzero(~mask)
    spans = None
    if 0 < len(gone) <= _FEW_ROWS:
        starts, stops = np.r_[0, gone + 1], np.r_[gone, len(mask)]
        spans = [(a, b) for a, b in zip(starts, stops, strict=True) if b > a]
    columns = {}
    for col in list(frame.columns):
        values = frame.pop(col)
        if spans is not None and type(values.array) is ArrowStringArray:
            text = values.array.__arrow_array__()
            kept = parse.text_pieces(text, spans)
            columns[col] = pd.Series(ArrowStringArray(kept), index=index, name=col)
        else:  # the array filtered, not the Series: its index is made once, above
            columns[col] = pd.Series(values.array[mask], index=index, name=col, copy=False)
    return pd.DataFrame(columns, index=index)


def _take_rows(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """`frame.iloc[rows]` for a few rows of a large frame: text columns are sliced, a take
    from a column of many Arrow chunks would first join them all."""
    if len(rows) > _FEW_ROWS:
        return frame.iloc[rows]
    columns = {}
    for col in frame.columns:
        values = frame[col]
        if type(values.array) is ArrowStringArray:
            text = values.array.__arrow_array__()
            columns[col] = ArrowStringArray(parse.text_pieces(text, [(r, r + 1) for r in rows]))
        else:
            columns[col] = values.take(rows).array
    return pd.DataFrame(columns, index=frame.index[rows])


#: Up to this many rows are cut out of, or taken from, a table by slicing its text columns.
_FEW_ROWS = parse.FEW_ROWS


#: Tables at least this long have their columns typed on two threads (Arrow's kernels and
#: most NumPy work release the GIL); the results are used in the schema's order either way.
_PARALLEL_ROWS = 1_000_000


def _typed_columns(
    frame: pd.DataFrame,
    schema: dict[str, str],
    options: parse.DateOptions,
    source: parse.Source,
    hints: dict[str, parse.OrderHint],
):
    """``(column, kind, (values, bad, notes, unknown, short))`` for each schema column in
    `frame` (`_typed_column`)."""
    present = [(col, kind, hints.get(col)) for col, kind in schema.items() if col in frame.columns]
    if len(frame) < _PARALLEL_ROWS:
        for col, kind, hint in present:
            yield col, kind, _typed_column(frame[col], kind, options, source, hint)
        return
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [
            pool.submit(_typed_column, frame[col], kind, options, source, hint)
            for col, kind, hint in present
        ]
        for (col, kind, _), job in zip(present, jobs, strict=True):
            yield col, kind, job.result()


def _typed_column(
    values: pd.Series,
    kind: str,
    options: parse.DateOptions,
    source: parse.Source,
    hint: parse.OrderHint | None = None,
):
    """One column typed: values in the model's dtype, the bad mask, parser notes, the counts of
    values outside the column's vocabulary (mapped to its fallback), and for a month column
    the values read from a two-digit year (`parse.parse_months`; else None). `hint`: the day
    order other date columns show (`parse.parse_datetimes`)."""
    values, bad, notes, short = _parse_column(values, kind, options, source, hint)
    unknown = pd.Series(dtype="int64")
    if kind in VOCABULARIES:
        values, unknown = _vocabulary(values, kind)
    # a column read dictionary-encoded is typed on its categories, then decoded once
    values = parse.as_text(values) if parse.is_categorical(values) else values
    return values, bad, notes, unknown, short


def _parse_column(
    values: pd.Series,
    kind: str,
    options: parse.DateOptions,
    source: parse.Source,
    hint: parse.OrderHint | None = None,
):
    """`_typed_column`'s values, bad mask, notes and two-digit years."""
    notes: list[str] = []
    if kind == "datetime":
        return (*parse.parse_datetimes(values, options, hint), None)
    if kind == "month":
        v, bad, short = parse.parse_months(values)
        return v, bad, _month_notes(values, bad), short
    if kind in ("float", "int"):
        decimal, notes = parse.decimal_for(values, options.decimal, source, whole=kind == "int")
        if kind == "float":
            v, bad = parse.parse_numbers(values, decimal)
        else:  # a count (employees): `11-50` is a band, counted in a note
            v, bad, counted = parse.parse_counts(values, decimal)
            notes = notes + counted
    elif kind == "bool":
        v, bad = parse.parse_bools(values)
    elif kind == "id":
        v, bad = parse.parse_ids(values)
    else:
        v, bad = parse.clean_text(values), pd.Series(False, index=values.index)
    return v, bad, notes, None


def _month_notes(values: pd.Series, bad: pd.Series, few: int = 3) -> list[str]:
    """A note on the unparseable months written as a month name and two digits after a space,
    a dot or a slash (`Sep 26`, LibreOffice's `MMM YY`; `parse.two_digit_days`): why they
    are no month, and how to write them."""
    if not bad.any():
        return []
    unread = values[bad.to_numpy(dtype=bool)]
    days = unread[parse.two_digit_days(unread).to_numpy(dtype=bool)]
    if days.empty:
        return []
    shown = ", ".join(f"`{v}`" for v in pd.unique(days.astype("string"))[:few])
    n = len(days)
    return [
        f"{n} of the values set aside as unparseable month {'are' if n > 1 else 'is'} a month "
        "name and two "
        f"digits ({shown}): after a space, a dot or a slash two digits may be a day as well "
        "as a year (`Sep 26` may be 26 September), so they are read as no month. Write the "
        "month with a hyphen or a four-digit year: `Sep-26`, `Sep 2026` or `2026-09` "
        "(docs/data-model.md)"
    ]


@parse.on_uniques
def _keyed(values: pd.Series) -> pd.Series:
    return values.str.lower().str.replace(r"[\s\-/]+", "_", regex=True)


def _vocabulary(values: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    vocab = VOCABULARIES[kind]
    keyed = _keyed(values)
    unknown = _outside(keyed, vocab)
    fallback = "task" if kind == "activity_type" else "other"
    if not unknown.any():
        counts = pd.Series(dtype="int64")
        return (keyed if parse.is_categorical(keyed) else keyed.astype("string")), counts
    counts = values[unknown].value_counts()
    counts = counts[counts > 0]  # a categorical counts every category, seen or not
    if parse.is_categorical(keyed):
        if fallback not in keyed.cat.categories:
            keyed = keyed.cat.add_categories([fallback])
        return keyed.mask(unknown, fallback), counts
    return keyed.mask(unknown, fallback).astype("string"), counts


def _unknown_words_note(
    name: str, col: str, kind: str, unknown: pd.Series, where: str | None = None
) -> str:
    """The warning for the values of `col` outside its vocabulary (`unknown`: their counts,
    most frequent first), read as its fallback; for lifecycle stages, what that does to the
    analyses. It says where to translate them into smk's words: under `values:` in `where`,
    the mapping file the load read (`smk.io.mapping.read_table`; "a copy of pipedrive.yaml"
    for one smk ships), else, for a lifecycle stage, in a mapping file of one's own."""
    listed = ", ".join(f"{v!r} ({n})" for v, n in unknown.head(10).items())
    listed += f", ... ({len(unknown)} values in all)" if len(unknown) > 10 else ""
    if kind != "stage":
        fallback = "task" if kind == "activity_type" else "other"
        said = f"{name}.{col}: values outside the vocabulary mapped to {fallback!r}: {listed}"
        if where is None:
            return said
        return f"{said}; translate them under `values: {col}:` in {where} (docs/mappings.md)"
    n = int(unknown.sum())
    place = (
        f"{where} (docs/mappings.md)"
        if where
        else "a mapping file (for a HubSpot export, a copy of smk's hubspot.yaml, given with "
        "--mapping; docs/mappings.md)"
    )
    return (
        f"{name}.{col}: {n:,} contact{'s are' if n > 1 else ' is'} at lifecycle stages smk "
        f"does not know (the CRM's custom stages, or their ids): {listed}. Their lifecycle_stage "
        f"reads other, the stage as written is kept in {UNKNOWN_STAGE}, and they are not taken "
        "for the CRM's own Other stage: the funnel counts them by their stage dates, and the "
        "SLA judges an MQL among them by its dates (open until its SQL date, or until the "
        "acceptance window passes without one), not as disqualified. To read such a stage as "
        "one of smk's (subscriber, lead, mql, sql, opportunity, customer, evangelist; other for "
        f"a disqualified one), translate it under `values: lifecycle_stage:` in {place}"
    )


def _keep_unknown_stages(out: pd.DataFrame, frame: pd.DataFrame) -> None:
    """Keep each lifecycle stage of `frame` outside smk's, as written, in the extra column
    `UNKNOWN_STAGE` of `out`, over what the export's own such column holds (a CRM's contacts
    saved with their extra columns): `other` stands for it in `lifecycle_stage`, and the SLA
    tells it from the CRM's own Other stage by that column."""
    written = parse.clean_text(frame["lifecycle_stage"])
    unknown = ~known_words(written, "stage")  # a missing stage is none
    given = frame.get(UNKNOWN_STAGE)
    kept = (
        parse.as_text(parse.clean_text(given))
        if given is not None
        else pd.Series(pd.NA, index=out.index, dtype="string")
    )
    out[UNKNOWN_STAGE] = kept.mask(unknown, parse.as_text(written)).astype("string")


def known_words(values: pd.Series, kind: str) -> np.ndarray:
    """Whether each value is a word of the `kind` vocabulary as `_vocabulary` reads it (any
    case; spaces, hyphens and slashes as `_`: `Paid Search` is paid_search)."""
    return ~_outside(_keyed(values), VOCABULARIES[kind])


def _outside(values: pd.Series, vocab) -> np.ndarray:
    """Present values not in `vocab`; a categorical column judged on its categories."""
    if not parse.is_categorical(values):
        return (values.notna() & ~values.isin(vocab)).to_numpy(dtype=bool)
    outside = ~values.cat.categories.isin(vocab)
    return np.append(outside, False)[values.cat.codes.to_numpy()]  # code -1: missing


def _set_aside(
    name: str,
    raw: pd.DataFrame,
    mask: pd.Series | np.ndarray,
    reason: pd.Series | np.ndarray | str,
    quality: DataQuality,
) -> None:
    """Keep the rows in `mask` as set aside; `reason` is one label, per row, or per kept row."""
    if not mask.any():
        return
    rows = _take_rows(raw, np.flatnonzero(np.asarray(mask, dtype=bool)))
    for col in rows.columns:  # as text; timestamps of typed rows as ISO 8601 (fast for many)
        if isinstance(rows[col].dtype, pd.DatetimeTZDtype):
            rows[col] = format_datetimes(rows[col])
        else:
            rows[col] = parse.as_text(rows[col])
    if isinstance(reason, pd.Series):
        reason = reason[mask].to_numpy()
    rows["_reason"] = pd.Series(reason, index=rows.index, dtype="string")
    acc = quality.account(name)
    acc.set_aside = (
        pd.concat([acc.set_aside, rows], ignore_index=True) if len(acc.set_aside) else rows
    )


# ------------------------------------------------------------------ across tables
#: The large event tables: their untypeable rows are filtered out together with the rows
#: that fail their checks (one copy of ten million rows instead of two), on the thread that
#: typed them.
_FILTERED_ONCE = ("touchpoints", "activities")


def _check_records(
    tables: dict[str, pd.DataFrame],
    quality: DataQuality,
    options: parse.DateOptions = parse.DEFAULT_DATE_OPTIONS,
    after_checks: AfterChecks | None = None,
    merges: dict[str, dict[str, str]] | None = None,
    format: str = "",
) -> dict[str, dict[str, str]]:
    """Checks of accounts, contacts, deals and spend; returns the merges' redirects by the
    column that references the records (``contact_id``: the CRM's and the e-mail merge's,
    ``deal_id``: the CRM's), for `_check_links`.

    Each table's failing rows are set aside in one pass. The event tables (`_FILTERED_ONCE`)
    are checked as they are typed (`_check_events`) and re-pointed later (`_check_links`).
    `options` read the records' last-modified times (`_flag_duplicates`); `merges` holds the
    contacts the CRM merged (`merge_redirect`, read while typing); `after_checks`, a loader's
    own step, runs last. `format` names what links a deal to its contact
    (`_warn_deals_without_contact`).
    """
    if not tables["accounts"].empty:
        reasons = _Reasons(len(tables["accounts"]))
        absorbed = _flag_merged("accounts", tables["accounts"], reasons, quality)
        kept = _flag_duplicates("accounts", tables["accounts"], reasons, quality, options)
        _drop_flagged("accounts", tables, reasons, quality, kept)
        _repoint(tables, absorbed, ("contacts", "deals"), "account_id")
    redirect = _contacts_rules(tables, quality, options, (merges or {}).get("contacts", {}))
    _repoint(tables, redirect, ("deals",))
    _repoint_lists(tables["deals"], redirect)
    if format != "salesforce":  # its loader chose: the opportunity's own ContactId first
        contacts = tables["contacts"]["contact_id"].astype("string")
        exported = _exported_ids(tables, quality, "contacts")
        _first_known_contact(tables["deals"], contacts, exported)
    _stage_dates_in_order(tables["contacts"], options.timezone)
    _fill_lifecycle(tables)
    deals_merged = _check_deals(tables, quality, options, format)
    spend = tables["spend"]
    if not spend.empty:
        reasons = _Reasons(len(spend))
        reasons.flag(spend["amount"] < 0, "negative amount")
        _drop_flagged("spend", tables, reasons, quality)
    if after_checks is not None:
        after_checks(tables, quality, redirect)
    return {"contact_id": redirect, "deal_id": deals_merged}


def _check_links(
    tables: dict[str, pd.DataFrame], quality: DataQuality, redirects: dict[str, dict[str, str]]
) -> None:
    """Once every table is checked: events of merged contacts (and activities of deals the
    CRM merged) re-pointed, unknown accounts."""
    _repoint(tables, redirects["contact_id"], _FILTERED_ONCE)
    _repoint_lists(tables["activities"], redirects["contact_id"])
    _repoint(tables, redirects["deal_id"], ("activities",), "deal_id")
    _warn_unknown_accounts(tables, quality)
    _warn_empty_columns(tables, quality)


def _warn_empty_columns(tables: dict[str, pd.DataFrame], quality: DataQuality) -> None:
    """Say which of the columns the pages read (`EXPECTED`) or the analyses build features
    from (`FEATURE_SOURCES`) are empty in every loaded row of a table that has rows, and which
    of the export's headers smk did not map: an export whose headers are translated or renamed
    loads without those columns, and its pages by source or owner would be blank. Not the
    columns a mapping file's warning already says are left empty, and what that costs
    (`TableAccount.left_empty`): one warning for one fault."""
    for name in TABLES:
        frame = tables[name]
        if frame.empty:
            continue
        said = quality.account(name).left_empty
        read = [c for c in _all_empty(frame, EXPECTED.get(name, ())) if c not in said]
        built = [c for c in _all_empty(frame, FEATURE_SOURCES.get(name, {})) if c not in said]
        texts = [_empty_text(name, read, "the pages that read {it} show nothing for {it}")]
        texts.append(_empty_text(name, built, features_lost(name, built)))
        texts = [t for t in texts if t]
        if texts:
            texts[0] = _unmapped_hint(texts[0], name, frame, quality.account(name).mapped_extras)
            quality.warnings.extend(texts)


def _all_empty(frame: pd.DataFrame, columns: Collection[str]) -> list[str]:
    """The `columns` of `frame` that hold no value in any row."""
    return [c for c in columns if c in frame and not frame[c].notna().any()]


def features_lost(name: str, empty: list[str]) -> str:
    """What the analyses lose by `empty` columns of table `name` (`FEATURE_SOURCES`), with
    "{it}" for the columns: "lead scoring leaves out the features built from {it}", naming
    each analysis's columns when they differ ("... (lead scoring: industry; account
    segmentation: industry, country)")."""
    by = {a: [c for c in empty if a in FEATURE_SOURCES[name][c]] for a in _ANALYSES}
    by = {a: columns for a, columns in by.items() if columns}
    leave = "leaves" if len(by) == 1 else "leave"
    text = f"{' and '.join(by)} {leave} out the features built from {{it}}"
    if all(columns == empty for columns in by.values()):
        return text
    each = "; ".join(f"{a}: {', '.join(columns)}" for a, columns in by.items())
    return f"{text} ({each})"


def _empty_text(name: str, empty: list[str], consequence: str) -> str:
    """The warning for `empty` columns of table `name` ("" for none), ending with what that
    costs (`consequence`, where "{it}" stands for the columns)."""
    if not empty:
        return ""
    it, are = ("it", "is") if len(empty) == 1 else ("them", "are")
    return (
        f"{name}: {', '.join(empty)} {are} empty in every row (the export has no column for "
        f"{it}, or leaves {it} blank): {consequence.format(it=it)}"
    )


def _unmapped_hint(text: str, name: str, frame: pd.DataFrame, mapped: Collection[str] = ()) -> str:
    """`text`, a warning on empty columns of table `name`, naming the headers smk did not
    map: not the columns a mapping maps outside the model (`TableAccount.mapped_extras`)."""
    kept = [c for c in frame.columns if c not in SCHEMA[name] and not c.startswith("_")]
    kept = [c for c in kept if not c.endswith("s_all") and c not in mapped]  # s_all: smk's
    kept = [c for c in kept if c != MERGED_IDS]  # a mapped source column (smk.io.merges)
    kept = [c for c in kept if c not in AS_LEAD_COLUMNS.values()]  # smk's own (Salesforce)
    kept = [c for c in kept if c not in (OTHER_EMAILS, UNKNOWN_STAGE)]  # smk's own
    if not kept:
        return text
    more = f" and {len(kept) - 12} more" if len(kept) > 12 else ""
    return (
        f"{text}. Columns smk did not map: {', '.join(repr(c) for c in kept[:12])}{more}; if "
        "the export's headers are translated or renamed, export with the CRM's English headers "
        "or name them in a mapping file (docs/mappings.md)"
    )


#: The analyses of `FEATURE_SOURCES`, in the order a warning names them.
_ANALYSES = (LEAD_SCORING, SEGMENTATION)

#: A table of the model named for one of its rows, where dropping the "s" does not do.
_ONE_ROW = {"activities": "activity"}


def _rows_name(n: int, table: str) -> str:
    """A warning's `n` rows of `table` that name a record, with the verb: "1 contact names",
    "3 contacts name"."""
    if n == 1:
        return f"1 {_ONE_ROW.get(table, table.removesuffix('s'))} names"
    return f"{n} {table} name"


def _them(n: int) -> str:
    """The pronoun for `n` rows a warning named: "it" for one, else "them"."""
    return "it" if n == 1 else "them"


def _warn_unknown_accounts(tables, quality: DataQuality) -> None:
    """Say how many contacts name an account that is not loaded: those whose account the
    export holds but marks deleted (the CRM's own doing), and those whose account's row was
    set aside (`_Unloaded.aside`), apart from truly unknown ones.

    Said as well when every account is deleted or set aside (no account loaded), as when some
    are; not when the export has no accounts at all (a contacts-only export is usable)."""
    contacts, unloaded = tables["contacts"], _unloaded(quality, "accounts")
    if contacts.empty or not _parent_in_export(tables["accounts"], unloaded):
        return
    refs = contacts["account_id"]
    orphans = _orphans(refs, tables["accounts"]["account_id"]).to_numpy(dtype=bool)
    gone, aside = _split_orphans(refs, orphans, unloaded)
    if gone.any():
        quality.warnings.append(
            f"contacts: {_rows_name(int(gone.sum()), 'contacts')} an account_id whose account is "
            f"deleted in the CRM (kept; account fields are missing for {_them(gone.sum())})"
        )
    _warn_parents_aside("contacts", refs, aside, unloaded, quality)
    unknown = int((orphans & ~gone & ~aside).sum())
    if unknown:
        quality.warnings.append(
            f"contacts: {_rows_name(unknown, 'contacts')} an account_id that is not in the "
            f"accounts table (kept; account fields are missing for {_them(unknown)})"
        )


#: the furthest a real zone lies west of UTC (UTC-12): a moment before this hour of its UTC
#: day is still the day before there
_WEST_HOURS = 12


def _closed_on_creation_day(deals: pd.DataFrame, timezone: str) -> tuple[pd.Series, np.ndarray]:
    """`closed_at`, where a close date without a time (00:00 UTC of its day: `parse._placed`)
    falls on the deal's creation day in the export's zone (`parse.on_day_of`: west of UTC, the
    next UTC day) yet before the creation moment, moved to that moment: a deal closed the day
    it was created was not closed before it (it was set aside as `closed_at before
    created_at`). A close at a true 00:00 UTC that day is taken the same way.

    In a load in UTC (no zone given: Data Loader writes every timestamp at +0000), a close
    date the day before the UTC creation day is moved too when the creation falls before
    12:00 UTC (`_WEST_HOURS`), so that some zone west of UTC puts it on the close date: a US
    org's deal created and closed the same local evening. Returns the dates and those rows
    (`_warn_west_closes`)."""
    closed, created = deals["closed_at"], deals["created_at"]
    early = (closed < created).fillna(False).to_numpy(dtype=bool)
    west = np.zeros(len(deals), dtype=bool)
    if not early.any():
        return closed, west
    midnight = (closed == closed.dt.normalize()).fillna(False).to_numpy(dtype=bool)
    same_day = parse.on_day_of(closed, created, timezone).to_numpy(dtype=bool)
    if timezone == "UTC":
        reach = closed + pd.Timedelta(days=1, hours=_WEST_HOURS)
        west = early & midnight & ~same_day & (created < reach).fillna(False).to_numpy(bool)
    return closed.mask((early & midnight & same_day) | west, created), west


def _warn_west_closes(west: np.ndarray, reasons: _Reasons, quality: DataQuality) -> None:
    """Say how many loaded deals `_closed_on_creation_day` took as closed on their creation
    day because a zone west of UTC puts their creation on their close date, and that
    `timezone=` (`--timezone`) gives the org's zone."""
    n = int((west & ~reasons.aside()).sum())
    if not n:
        return
    deals, its, are = ("deals", "their", "are") if n > 1 else ("deal", "its", "is")
    quality.warnings.append(
        f"deals: {n} {deals} with a close date without a time the day before {its} creation "
        f"day in UTC, created before {_WEST_HOURS}:00 UTC (still that evening somewhere west "
        f"of UTC), {are} taken as closed at {its} creation moment rather than set aside as "
        "closed before created. Give the org's time zone (--timezone, timezone=; e.g. "
        "America/Los_Angeles) to read creation days in it: a close date before the local "
        "creation day is then a fault"
    )


def _check_deals(
    tables: dict[str, pd.DataFrame],
    quality: DataQuality,
    options: parse.DateOptions,
    format: str = "",
) -> dict[str, str]:
    """Deals the CRM merged into others (`_flag_merged`), negative amounts, impossible dates,
    unknown account or contact, then duplicate ids: in
    a table read from one file, among the rows without such a fault (a deal whose first row is
    faulty loads from a later, sound copy; that copy was set aside as a duplicate of the faulty
    one, and the deal lost). Across files the newest copy decides, faulty or not: an older
    file's copy is not loaded in its place (a past state presented as the current one).
    Returns the merged deals' redirects (absorbed id -> survivor)."""
    deals = tables["deals"]
    if deals.empty:
        return {}
    reasons = _Reasons(len(deals))
    merged = _flag_merged("deals", deals, reasons, quality)
    reasons.flag(deals["amount"] < 0, "negative amount")
    deals["closed_at"], west = _closed_on_creation_day(deals, options.timezone)
    early = (deals["closed_at"] < deals["created_at"]).fillna(False).to_numpy(dtype=bool)
    open_ = _open_deals(deals)
    reasons.flag(early & ~open_, "closed_at before created_at")
    gone = {
        col: _flag_orphans(tables, reasons, "deals", col, parent, quality)
        for col, parent in (("account_id", "accounts"), ("contact_id", "contacts"))
    }
    sound = ~reasons.aside()
    among = None if sound.all() or _several_files(deals) else sound
    kept = _flag_duplicates("deals", deals, reasons, quality, options, among)
    cleared = _clear_deleted_parents(deals, gone, reasons, quality)
    _clear_stale_estimates(deals, early & open_ & ~reasons.aside(), quality)
    _warn_west_closes(west & ~open_, reasons, quality)
    _drop_flagged("deals", tables, reasons, quality, kept)
    _infer_closed(tables["deals"])
    _warn_undated_closes(tables["deals"], quality)
    _warn_missing_amounts(tables["deals"], quality)
    _warn_stage_ids(tables["deals"], quality)
    _warn_deals_without_contact(tables["deals"], quality, format, cleared)
    return merged


def _open_deals(deals: pd.DataFrame) -> np.ndarray:
    """Which deals are open: not closed and not won (`_infer_closed` takes a won deal as
    closed). A deal whose closed state is unknown is not."""
    not_closed = deals["is_closed"].eq(False).fillna(False).to_numpy(dtype=bool)
    return not_closed & ~deals["is_won"].eq(True).fillna(False).to_numpy(dtype=bool)


def _clear_stale_estimates(deals: pd.DataFrame, stale: np.ndarray, quality: DataQuality) -> None:
    """Clear the `closed_at` of the loaded open deals whose close date is before their
    creation (`stale`), and say how many: an open deal's close date is the date the CRM
    expects it to close (Zoho requires one on every deal, so it goes stale), not a fault of
    the deal. A date before the deal existed expects nothing, and kept it would date the deal
    before its creation (`smk.segmentation.deals_used`, `smk.periods` read every deal's
    `closed_at`)."""
    n = int(stale.sum())
    if not n:
        return
    deals.loc[stale, "closed_at"] = pd.NaT
    many = n > 1
    quality.warnings.append(
        f"deals: {n} open deal{'s' if many else ''} {'have' if many else 'has'} a close date "
        f"(closed_at) before {'their' if many else 'its'} creation: for an open deal it is the "
        f"date the CRM expects it to close, gone stale; {'they are' if many else 'it is'} "
        f"{_STALE_END}"
    )


#: How `_clear_stale_estimates`' warning ends (`_stale_untold_note` extends it).
_STALE_END = "loaded as open, with no closed_at"


def _stale_untold_note(quality: DataQuality) -> None:
    """Once the readers' warnings are in: when deals were taken as open at stage values smk
    cannot tell (`smk.io.mapping.untold_deals`), `_clear_stale_estimates`' warning says that
    its deals may be such, closed, their real close date lost."""
    from smk.io.mapping import untold_deals  # mapping reads with validate's helpers

    if not untold_deals(quality.warnings):
        return
    for i, text in enumerate(quality.warnings):
        if text.startswith("deals: ") and text.endswith(f"gone stale; it is {_STALE_END}"):
            who = "it may be"
        elif text.startswith("deals: ") and text.endswith(f"gone stale; they are {_STALE_END}"):
            who = "some may be"
        else:
            continue
        quality.warnings[i] = (
            f"{text}; {who} at a stage smk cannot tell open from closed (the warning of "
            "those), taken as open: a closed deal's close date is then lost until its stage "
            "is told"
        )


def _clear_deleted_parents(
    deals: pd.DataFrame, gone: dict[str, np.ndarray], reasons: _Reasons, quality: DataQuality
) -> int:
    """Clear the `account_id` / `contact_id` of the deals loaded (not set aside for a reason
    of their own) that name an account or contact the export marks deleted (`gone`, by
    column), and say how many: the deal itself is live (a CRM deletes no deal with its
    contact; Salesforce deletes opportunities with their account, and marks them deleted
    too), so it stays pipeline and won revenue, of no one. Returns how many lost their
    contact (`_warn_deals_without_contact`). The rows set aside keep what the export says."""
    counts = {}
    for col, rows in gone.items():
        rows = rows & ~reasons.aside()
        counts[col] = n = int(rows.sum())
        if not n:
            continue
        deals.loc[rows, col] = pd.NA
        noun = col.removesuffix("_id")
        quality.warnings.append(
            f"deals: {_rows_name(n, 'deals')} {_article(col)} {col} whose {noun} is deleted "
            f"in the CRM (kept, with no {noun}: the deal itself is not deleted)"
        )
    return counts.get("contact_id", 0)


def _flag_merged(
    name: str, frame: pd.DataFrame, reasons: _Reasons, quality: DataQuality
) -> dict[str, str]:
    """Rows of records the CRM merged into another (`merge_redirect`) get `MERGED_IN_CRM`;
    returns the redirects (empty, at no cost, without a ``merged_ids`` column)."""
    redirect = merge_redirect(frame, name, quality.warnings, quality.account(name).set_aside)
    if redirect:
        absorbed = pd.Series(list(redirect), dtype="string")
        reasons.flag(is_in(frame[PRIMARY_KEYS[name]], absorbed).to_numpy(), MERGED_IN_CRM)
    return redirect


def _warn_spend_ahead(crm: CRM, few: int = 3) -> None:
    """Say how many spend rows have a month written with a two-digit year (`Dec-31`:
    `TableAccount.two_digit_years`) that lands after the end of the calendar year following
    the export's last dated record (`smk.periods.last_record`: 2026-10 -> 2028-01 and later),
    with a few of them (month, file and row): a day written as a month reads as a far year.
    They are kept. Nothing is said for a four-digit year (a plan, a stale export) or when no
    other table is dated."""
    acc = crm.quality.tables.get("spend")
    if acc is None or acc.two_digit_years.empty or crm.spend.empty:
        return
    try:
        last = periods.last_record(crm)
    except ValueError:  # nothing but spend is dated: nothing to measure against
        return
    marked = pd.MultiIndex.from_frame(acc.two_digit_years.astype({"_file": str, "_row": str}))
    rows = pd.MultiIndex.from_frame(crm.spend[["_file", "_row"]].astype(str))
    limit = pd.Timestamp(year=last.year + 2, month=1, day=1)
    far = crm.spend[rows.isin(marked) & (crm.spend["month"] >= limit).to_numpy(dtype=bool)]
    if far.empty:
        return
    far = far.sort_values(["month", "_file", "_row"])
    shown = [
        f"{m:%Y-%m} ({f} row {r})"
        for m, f, r in zip(far["month"], far["_file"], far["_row"], strict=True)
    ][:few]
    more = f" and {len(far) - few} more" if len(far) > few else ""
    have, kept = (
        ("has", "It is kept; if it is a day")
        if len(far) == 1
        else ("have", "They are kept; if these are days")
    )
    crm.quality.warnings.append(
        f"spend: {len(far)} of {len(crm.spend)} rows {have} a month written with a two-digit "
        f"year, read as 20yy, after the end of {last.year + 1} (the export's last dated record: "
        f"{last:%Y-%m-%d}): {', '.join(shown)}{more}. {kept} "
        "(`Dec-31` for 31 December), write the months with their year: `Dec-26`, `Dec 2026` "
        "or `2026-12` (docs/data-model.md)"
    )


def _warn_stray_stage_dates(crm: CRM, few: int = 3) -> None:
    """Say, per stage-date column, how many of its dates are strays (`periods.stray_masks`: a
    1970 placeholder, a mistyped year), the earliest first, with the file and row of a few.
    They are kept, and count at their date, in months a page does not show
    (`smk.sla.report_months`). Only a stage date before every other dated record or a month
    after them all may be one: the masks, a pass over every table, are drawn only then."""
    if not periods.stage_dates_beyond_records(crm):
        return
    contacts = crm.contacts
    for column, stray in periods.stray_masks(crm).items():
        if not (column.startswith("contacts.") and stray.any()):
            continue
        dates = contacts.loc[stray[stray].index, column.removeprefix("contacts.")].sort_values()
        shown = [
            f"{d:%Y-%m-%d} ({_first_place(contacts, contacts.index == i)})"
            for i, d in dates.iloc[:few].items()
        ]
        more = f" and {len(dates) - few:,} more" if len(dates) > few else ""
        lie = "lies" if len(dates) == 1 else "lie"
        crm.quality.warnings.append(
            f"{column}: {len(dates):,} of {stray.size:,} dates {lie} more than a month before "
            "or after the export's other dates, a stray date (a mistyped year, a 1970 "
            f"placeholder): {', '.join(shown)}{more}. "
            "Kept: the funnel and the SLA count the contact at that date (its earlier stages "
            "too, when they have no earlier date), in a month the monthly tables do not show "
            "(docs/data-model.md)"
        )


def _warn_empty_months(crm: CRM, few: int = 3) -> None:
    """Say which months between the export's first and last date no record at all
    (`smk.periods.empty_months`): a gap in the export, which a report shows without figures
    and compares no month with, rather than as a month of zeros."""
    gaps = periods.empty_months(crm)
    if not gaps:
        return
    shown = ", ".join(map(str, gaps[:few])) + (
        f" and {len(gaps) - few} more" if len(gaps) > few else ""
    )
    months, it = ("month", "it") if len(gaps) == 1 else ("months", "them")
    crm.quality.warnings.append(
        f"the export has no record dated in the {months} {shown} (no contact, stage change, "
        "touch, activity or deal), while the months before and after have some: likely a gap "
        f"in the export (a failed sync, a lost file). The funnel page of {it} shows no "
        f"figures, no month is compared with {it}, and later pages mark {it} in their monthly "
        "tables; check the export"
    )


def _warn_missing_amounts(deals: pd.DataFrame, quality: DataQuality) -> None:
    """Deals without an amount are kept (they count as deals), but add nothing to pipeline or
    won revenue, whose figures say how many they leave out (`smk.sla.pipeline_by_month`): say
    how many, when some deals have an amount (none with one: the empty-columns warning)."""
    lacking = deals["amount"].isna()
    if not lacking.any() or lacking.all():
        return
    won = int((lacking & deals["is_won"].eq(True).fillna(False).astype(bool)).sum())
    n = int(lacking.sum())
    quality.warnings.append(
        f"deals: {n} of {len(deals)} deals ({won} of them won) {'has' if n == 1 else 'have'} no "
        "amount: they count as deals, but add nothing to pipeline or won revenue, whose "
        "figures say how many deals they leave out"
    )


#: how a mapping's warning says that the amounts are in the CRM's company currency, which the
#: export does not name (`smk.io.mapping._home_note`: HubSpot's `Amount in company currency`):
#: `_warn_unnamed_currency` does not say it again
COMPANY_CURRENCY_UNNAMED = "in the CRM's company currency, which the export does not name"

#: why an export's deals name no currency, and whose currency they are in, by format, for
#: `_warn_unnamed_currency`
_UNNAMED_CURRENCY_SOURCES = {
    "salesforce": (
        "Opportunity gives no CurrencyIsoCode, as in an org without multiple currencies",
        "the org's corporate currency",
    ),
}


def unnamed_currency(deals: pd.DataFrame) -> bool:
    """Whether `deals` have amounts but name the currency of none of them (no currency column,
    or one left empty wherever there is an amount): the report then takes every amount to be
    in the reporting currency (`smk.sla.deal_values`), a currency the export never wrote."""
    valued = deals["amount"].notna() if "amount" in deals else pd.Series(False, index=deals.index)
    if not valued.any():
        return False
    return "currency" not in deals or not deals.loc[valued, "currency"].notna().any()


def _warn_unnamed_currency(crm: CRM) -> None:
    """Say, once, that the deals' amounts are taken to be in the reporting currency when the
    export names no currency for any of them (`unnamed_currency`): a US org's dollars would
    be reported as euros without a word; or how many, when only some name none. Not when a
    mapping's warning already says so of amounts in the company currency
    (`COMPANY_CURRENCY_UNNAMED`)."""
    said, deals = crm.quality.warnings, crm.deals
    if any(COMPANY_CURRENCY_UNNAMED in w for w in said):
        return
    valued = deals["amount"].notna()
    lacking = int((valued & deals["currency"].isna()).sum()) if "currency" in deals else 0
    if unnamed_currency(deals):
        why, whose = _UNNAMED_CURRENCY_SOURCES.get(
            crm.format,
            ("the export has no currency column, or leaves it empty", "the amounts' currency"),
        )
        said.append(
            f"deals: no deal names the currency of its amount ({why}): the report takes the "
            "amounts to be in the reporting currency, EUR unless reporting_currency in the "
            f"params file names another (set it to {whose} if that is not EUR)"
        )
    elif lacking:  # others name theirs
        said.append(
            f"deals: {lacking:,} of {int(valued.sum()):,} deals with an amount name no currency: "
            "the report takes their amounts to be in the reporting currency (EUR unless "
            "reporting_currency in the params file names another), whatever the other deals' "
            "currencies; give each deal its currency"
        )


def _warn_stage_ids(deals: pd.DataFrame, quality: DataQuality) -> None:
    """Stages written as ids (a HubSpot API export of custom pipelines: `37336401`) say
    nothing of closed or won: when no deal is closed either, say so rather than report every
    deal as open."""
    stages = deals["stage"].dropna().astype("string").str.strip()
    if not len(stages) or deals["is_closed"].eq(True).any():
        return
    if stages.str.fullmatch(r"\d+").all():
        examples = ", ".join(sorted(stages.unique())[:3])
        quality.warnings.append(
            f"deals: every stage is an id ({examples}, ...), not a label, and no deal is marked "
            "closed: closed and won cannot be told, so every deal counts as open. Export the "
            "stage labels, or the hs_is_closed and hs_is_closed_won properties, or map the ids "
            "in a mapping file (docs/mappings.md)"
        )


#: where an export names each deal's contact, by format, for `_warn_deals_without_contact`
_DEAL_CONTACT_SOURCES = {
    "salesforce": (
        "no ContactId, OpportunityContactRole, converted Lead or person account names one",
        "export Opportunity.ContactId (a report's Contact ID) or OpportunityContactRole.csv",
    ),
    "hubspot": ("no Associated Contact IDs", "export the deals' Associated Contact IDs"),
}


def _warn_deals_without_contact(
    deals: pd.DataFrame, quality: DataQuality, format: str, deleted: int = 0
) -> None:
    """Deals that name no contact load (they are pipeline and won revenue) but are no one's:
    never pipeline from MQLs, no contact's opportunity or customer stage where those stages
    are dated by the deals (Salesforce, a mapping file's CRM), nothing for attribution to
    follow. Say how many, so a funnel without opportunities is not read as a fact of the
    sales process (an export without Opportunity.ContactId and contact roles names none).
    `deleted` of them named a contact the CRM marks deleted (`_clear_deleted_parents`): the
    count says so, and asks the export for nothing when they are all."""
    if deals.empty or deals["contact_id"].notna().all():
        return
    n, won = int(deals["contact_id"].isna().sum()), deals["is_won"].eq(True).fillna(False)
    won_n = int((deals["contact_id"].isna() & won.astype(bool)).sum())
    why, advice = _DEAL_CONTACT_SOURCES.get(
        format, ("an empty contact_id", "give each deal its contact_id")
    )
    if deleted:
        gone = f"{deleted:,} named a contact deleted in the CRM"
        others = f"the other{'s' if n - deleted > 1 else ''}: {why}"
        why = gone if deleted == n else f"{gone}; {others}"
    advice = "" if deleted == n else f": {advice}"
    quality.warnings.append(
        f"deals: {n:,} of {len(deals):,} deals ({won_n:,} of them won) name no contact ({why}): "
        "they count in pipeline created, won revenue and win rate, but none is pipeline from "
        "MQLs, none makes a contact an opportunity or a customer where those stages are dated "
        f"by the deals (Salesforce), and attribution has no one to follow for them{advice}"
    )


def _warn_undated_closes(deals: pd.DataFrame, quality: DataQuality) -> None:
    """Closed deals without closed_at are kept (they are pipeline), but no month's won revenue
    or win rate can hold them: say how many, so they are not missing unsaid."""
    undated = deals["is_closed"].eq(True).fillna(False).astype(bool) & deals["closed_at"].isna()
    if undated.any():
        won = deals[undated & deals["is_won"].eq(True).fillna(False).astype(bool)]
        n = int(undated.sum())
        quality.warnings.append(
            f"deals: {n} closed deal{'s' if n > 1 else ''} ({len(won)} won, {_won_amounts(won)}) "
            f"{'have' if n > 1 else 'has'} no closed_at: {'they count' if n > 1 else 'it counts'} "
            "in pipeline created, but in no month's won revenue, win rate or attribution"
        )


def _won_amounts(won: pd.DataFrame) -> str:
    """The amount of `won` deals by currency, and how many have none: "amount 900 USD",
    "amount 900 USD; 2 without an amount", "no amount" (not "amount 0" of deals whose amount
    the export does not give)."""
    priced = won[won["amount"].notna()]
    by_currency = priced.groupby(priced["currency"].fillna(""), dropna=False)["amount"].sum()
    amounts = ", ".join(f"{v:,.0f} {c}".strip() for c, v in by_currency.items())
    unpriced = len(won) - len(priced)
    if not amounts:
        return "no amount" if unpriced else "amount 0"
    return f"amount {amounts}" + (f"; {unpriced} without an amount" if unpriced else "")


def _check_events(
    name: str,
    frame: pd.DataFrame,
    contact_ids: pd.Series | None,
    quality: DataQuality,
    already: np.ndarray | None,
    unloaded: _Unloaded | None = None,
    options: parse.DateOptions = parse.DEFAULT_DATE_OPTIONS,
) -> pd.DataFrame:
    """Touchpoints or activities: duplicate ids and unknown contacts; returns the rows kept.

    `already` marks rows set aside while typing; they are removed in the same pass and count
    for nothing else. `unloaded`: the contacts in the export but not loaded (`_unloaded`): a
    row of a deleted one is set aside as such, a row of one set aside as a fault is kept, not
    unknown. `contact_ids` are the typed contacts' ids (None: no contacts table),
    taken before the e-mail merge: the merge keeps every id known (merged-away records are
    re-pointed at their survivor, `_repoint`), so the check need not wait for it. `options`
    read the last-modified times of records in several files (`_flag_duplicates`).
    """
    _number_missing_ids(frame, name)
    if frame.empty:
        return frame
    if already is None:
        already = np.zeros(len(frame), dtype=bool)
    reasons = _Reasons(len(frame))
    reasons.flag(already, _ALREADY)
    unloaded = unloaded or _Unloaded()
    known = contact_ids is not None and _parent_in_export(contact_ids, unloaded)
    with ThreadPoolExecutor(max_workers=2) as pool:  # two independent checks of long columns
        orphans = pool.submit(_orphans, frame["contact_id"], contact_ids) if known else None
        among = ~already if already.any() else None
        kept = _flag_duplicates(name, frame, reasons, quality, options, among)
        if orphans is not None:
            refs = frame["contact_id"]
            gone, parents_aside = _flag_unknown(reasons, refs, orphans.result(), unloaded)
            reasons.flag(gone, PARENT_DELETED[refs.name])  # no lead's any more
            _warn_parents_aside(name, refs, parents_aside, unloaded, quality)
    return _filter_flagged(name, frame, reasons, quality, kept)


def _number_missing_ids(frame: pd.DataFrame, name: str) -> None:
    """Exports without an id column: number the rows (`tp-<file>-<row>`; such a touchpoint id
    is the row order, which `smk.model.order_touches` does not compare)."""
    key = PRIMARY_KEYS[name]
    if frame.empty:
        return
    missing = frame[key].isna()
    if missing.any():
        prefix = "tp" if name == "touchpoints" else "act"
        frame.loc[missing, key] = [
            f"{prefix}-{f}-{r}"
            for f, r in zip(frame.loc[missing, "_file"], frame.loc[missing, "_row"], strict=True)
        ]


#: The reason of rows set aside earlier (while typing): they are removed, not listed again.
_ALREADY = "\0already set aside"


def _drop_flagged(
    name: str,
    tables: dict,
    reasons: _Reasons,
    quality: DataQuality,
    kept: pd.Series | None = None,
) -> None:
    """Move the rows that have a reason to the set-aside list, filtering the table once."""
    tables[name] = _filter_flagged(name, tables.pop(name), reasons, quality, kept)


def _filter_flagged(
    name: str,
    frame: pd.DataFrame,
    reasons: _Reasons,
    quality: DataQuality,
    kept: pd.Series | None = None,
) -> pd.DataFrame:
    """`frame` without the rows that have a reason; those are set aside (unless `_ALREADY`).
    `kept`: the file whose copy was loaded, by id, of records set aside as `OLDER_COPY`."""
    aside = reasons.aside()
    if not aside.any():
        return frame
    labels = reasons.labels(aside)
    new = labels != _ALREADY
    if new.any():
        rows = np.flatnonzero(aside)[new]
        listed = np.zeros(len(frame), dtype=bool)
        listed[rows] = True
        _set_aside(name, frame, listed, labels[new], quality)
        if kept is not None:
            _name_kept_copies(quality.account(name).set_aside, PRIMARY_KEYS[name], kept)
    return _keep_rows(frame, ~aside)


def _parent_in_export(parent: pd.DataFrame | pd.Series, unloaded: _Unloaded) -> bool:
    """Whether references to a table can be checked: it has rows loaded, or records that are
    in the export but not loaded (`_unloaded`: a table whose every record is marked deleted,
    or whose every row was set aside, is still a table in the export, not an absent one)."""
    return not parent.empty or unloaded.deleted is not None or unloaded.aside is not None


def _flag_orphans(
    tables, reasons: _Reasons, child: str, col: str, parent: str, quality: DataQuality
) -> np.ndarray:
    """Rows that point at a record the export does not contain get the reason `unknown <col>`
    (`_flag_unknown`); those whose record's row was set aside are kept, with a warning.
    Returns the rows that point at a record the export marks deleted (`_clear_deleted_parents`).

    Skipped when the parent table is absent altogether (an export of deals alone is usable).
    """
    ref, par = tables[child], tables[parent]
    unloaded = _unloaded(quality, parent)
    if ref.empty or not _parent_in_export(par, unloaded):
        return np.zeros(len(ref), dtype=bool)
    orphans = _orphans(ref[col], par[PRIMARY_KEYS[parent]])
    gone, parents_aside = _flag_unknown(reasons, ref[col], orphans, unloaded)
    _warn_parents_aside(child, ref[col], parents_aside, unloaded, quality)
    return gone


@dataclass(frozen=True)
class _Unloaded:
    """The records of a table that the export holds but that were not loaded."""

    #: ids of the rows set aside because the CRM marks them deleted (None: none)
    deleted: pd.Series | None = None
    #: `id` and `reason` of the rows set aside as faults of the export (an unreadable cell,
    #: a required value missing, ...): the record exists, its row could not be read (None: none)
    aside: pd.DataFrame | None = None


def _unloaded(quality: DataQuality, parent: str) -> _Unloaded:
    """The records of `parent` in the export but not loaded, from its set-aside rows (whose
    ids are read as the loaded ids are: a row set aside while typed keeps the export's text).
    By-design reasons other than deletions name no such record: a merged or older copy's id
    is loaded, or its rows are re-pointed; a report footer is no record."""
    account = quality.tables.get(parent)
    aside = account.set_aside if account is not None else pd.DataFrame()  # read once: threads
    if aside.empty:
        return _Unloaded()
    reason = aside["_reason"].astype("string")
    deleted = reason.isin([DELETED_IN_SALESFORCE, DELETED_IN_CRM]).to_numpy(dtype=bool)
    faults = ~reason.isin(BY_DESIGN_REASONS).to_numpy(dtype=bool)
    rows = deleted | faults  # (a million merged contacts need not be read)
    ids = parse.parse_ids(aside.loc[rows, PRIMARY_KEYS[parent]].astype("string"))[0]
    named = ids.notna().to_numpy(dtype=bool)
    deleted, faults = deleted[rows] & named, faults[rows] & named
    return _Unloaded(
        ids[deleted] if deleted.any() else None,
        pd.DataFrame({"id": ids[faults], "reason": reason[rows][faults]}) if faults.any() else None,
    )


def _flag_unknown(
    reasons: _Reasons, refs: pd.Series, orphans, unloaded: _Unloaded
) -> tuple[np.ndarray, np.ndarray]:
    """Give `orphans` (rows whose `refs` name no loaded record) that name no record of the
    export `unknown <col>` (a fault of the export). Returns those that name a record the
    export marks deleted (the caller sets them aside as `<col> deleted in the CRM`,
    `PARENT_DELETED`, or keeps them), and those whose record's own row was set aside
    (`_Unloaded.aside`; not set aside for another reason), which are kept: the record is in
    the export, and a fault of its row is no fault of this one."""
    orphans = np.asarray(orphans, dtype=bool)
    gone, parents_aside = _split_orphans(refs, orphans, unloaded)
    reasons.flag(orphans & ~gone & ~parents_aside, f"unknown {refs.name}")
    return gone, parents_aside & ~reasons.aside()


def _split_orphans(
    refs: pd.Series, orphans: np.ndarray, unloaded: _Unloaded
) -> tuple[np.ndarray, np.ndarray]:
    """Of the `orphans`, those that name a record the export marks deleted, and those that
    name a record whose row was set aside (the others name no record of the export)."""
    gone = _named(refs, orphans, unloaded.deleted)
    aside = unloaded.aside["id"] if unloaded.aside is not None else None
    return gone, _named(refs, orphans & ~gone, aside)


def _named(refs: pd.Series, rows: np.ndarray, ids: pd.Series | None) -> np.ndarray:
    """The `rows` whose `refs` are among `ids` (None: no id)."""
    hit = np.zeros(len(refs), dtype=bool)
    if ids is not None and rows.any():
        hit[rows] = is_in(refs[rows], ids).to_numpy(dtype=bool)
    return hit


def _warn_parents_aside(
    child: str, refs: pd.Series, rows: np.ndarray, unloaded: _Unloaded, quality: DataQuality
) -> None:
    """Say how many `rows` of `child` were kept though the record their `refs` name was set
    aside, and why it was (`_flag_unknown`)."""
    if not rows.any():
        return
    named = unloaded.aside["id"].isin(set(refs[rows].dropna()))
    why = ", ".join(sorted(unloaded.aside.loc[named, "reason"].unique()))
    noun = refs.name.removesuffix("_id")
    quality.warnings.append(
        f"{child}: {_rows_name(int(rows.sum()), child)} {_article(refs.name)} {refs.name} whose "
        f"{noun} is in the export but was set aside ({why}): kept; {noun} fields are missing for "
        f"{_them(rows.sum())}"
    )


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _orphans(refs: pd.Series, keys: pd.Series) -> pd.Series:
    """References that are given but name no key."""
    return refs.notna() & ~is_in(refs, keys)


#: Ids written as plain decimal numbers (HubSpot's, most SQL keys) compare as int64: hashing
#: ints is many times faster than hashing strings. `007` and `+7` are not plain: they differ
#: from `7` as ids.
def _int_ids(*columns: pd.Series) -> list[np.ndarray] | None:
    """The columns as int64 (missing = -1) when every id in them is a plain number, else None."""
    out = []
    for col in columns:
        arr = parse.arrow_text(col)
        ints = parse.int_ids(arr)
        if ints is None or not parse.plain_decimals(arr):
            return None
        out.append(_filled(ints))
    return out


def _filled(ints: pa.ChunkedArray) -> np.ndarray:
    """Int64 chunks as one NumPy array, missing -1: each chunk copied once, into place (a
    `fill_null` and `to_numpy` of the whole column made two more copies of 80 MB)."""
    out = np.empty(len(ints), dtype=np.int64)
    start = 0
    for chunk in ints.chunks:
        stop = start + len(chunk)
        whole = chunk.fill_null(-1) if chunk.null_count else chunk
        out[start:stop] = whole.to_numpy(zero_copy_only=False)
        start = stop
    return out


# ------------------------------------------------------------------ one record, several files
# `OLDER_COPY`: the set-aside reason of a record's copies in older exports (`_flag_duplicates`);
# the set-aside row's `_kept_copy_in` names the file whose copy was loaded.

#: Headers of a record's last-modified time, normalised (`normalise_header`): HubSpot's label
#: and internal names, Salesforce's. Of a record's copies in several files, the one modified
#: last is the newest; without them, the one in the file exported last (`export_key`).
_MODIFIED_HEADERS = frozenset(
    {
        "last modified date",
        "lastmodifieddate",
        "hs_lastmodifieddate",
        "property_lastmodifieddate",
        "property_hs_lastmodifieddate",
        "systemmodstamp",
    }
)

#: an export date at the end of a file name, `-YYYY-MM-DD`, then the number a browser adds to a
#: repeated download (`-1`, ` (1)`): HubSpot's `hubspot-crm-exports-all-deals-2026-01-15-1.csv`
_EXPORT_DATE = re.compile(r"(?:^|[-_ .])(\d{4}-\d{2}-\d{2})(?:-(\d{1,3})|\s?\((\d{1,3})\))?$")


def export_key(name: str) -> tuple[str, int] | None:
    """When a file was exported, by its name: ``(date, repeat)`` (`_EXPORT_DATE`), which sort
    in the order of the downloads; None when the name carries no date."""
    found = _EXPORT_DATE.search(PurePath(name).stem)
    if found is None:
        return None
    return found.group(1), int(found.group(2) or found.group(3) or 0)


def _flag_duplicates(
    name: str,
    frame: pd.DataFrame,
    reasons: _Reasons,
    quality: DataQuality,
    options: parse.DateOptions,
    among: np.ndarray | None = None,
) -> pd.Series | None:
    """Give the repeated ids of a typed table (of the rows `among`) their reason; returns the
    file whose copy is loaded, by id, of the records set aside as `OLDER_COPY` (None: none).

    In one file the first row of an id is kept, the others are `duplicate <id>`. A record
    that is in several files is loaded from the newest of them (`_newest_copies`); its copies
    in the others are `OLDER_COPY`. One file per table costs nothing beyond `duplicated`.
    """
    key = PRIMARY_KEYS[name]
    if among is None:
        dup = duplicated(frame[key])
    else:
        dup = np.zeros(len(frame), dtype=bool)
        dup[among] = duplicated(frame[key], among)
    kept = None
    if dup.any() and _several_files(frame):
        older, dup, kept = _newest_copies(name, frame, dup, among, quality, options)
        reasons.flag(older, OLDER_COPY)
    reasons.flag(dup, f"duplicate {key}")
    return kept


def _several_files(frame: pd.DataFrame) -> bool:
    """Whether a typed table was read from several files (its `_file` categories)."""
    files = frame["_file"]
    return isinstance(files.dtype, pd.CategoricalDtype) and len(files.cat.categories) > 1


def _newest_copies(
    name: str,
    frame: pd.DataFrame,
    dup: np.ndarray,
    among: np.ndarray | None,
    quality: DataQuality,
    options: parse.DateOptions,
) -> tuple[np.ndarray, np.ndarray, pd.Series | None]:
    """``(older copies, duplicates, file kept by id)`` of a table read from several files,
    given its duplicates by the first-row rule (`dup`).

    A record whose copies are in several files is loaded from the file of its newest copy:
    the one modified last (`_MODIFIED_HEADERS`, when every copy has that time), else the one
    in the file exported last (`export_key`, when every copy's file name has a date); its
    copies in the other files are older copies, its repeats in that file duplicates. A record
    that neither tells keeps the first-row rule. A warning names the files, either way.
    """
    key = PRIMARY_KEYS[name]
    ints = _int_ids(frame[key])  # the ints `duplicated` cast (remembered): no second hashing
    if ints is not None:
        pool = np.isin(ints[0], np.unique(ints[0][dup]))
    else:
        pool = is_in(frame[key], frame[key][dup].drop_duplicates()).to_numpy(dtype=bool)
    rows = np.flatnonzero(pool if among is None else pool & among)
    ids = ints[0][rows] if ints is not None else frame[key].iloc[rows].to_numpy()  # no text take
    codes = frame["_file"].cat.codes.to_numpy()[rows]
    copies = pd.DataFrame({"id": ids, "file": codes, "row": rows})
    copies = copies[copies.groupby("id", sort=False)["file"].transform("nunique").gt(1)]
    older = np.zeros(len(frame), dtype=bool)
    if copies.empty:
        return older, dup, None
    names = [str(c) for c in frame["_file"].cat.categories]
    copies["modified"] = _modified_seconds(frame, copies["row"].to_numpy(), options)
    copies["rank"] = _export_ranks(names)[copies["file"].to_numpy()]
    kept_file = _newest_file(copies)
    decided = copies["id"].isin(kept_file.index).to_numpy()
    settled = copies[decided]
    in_kept = (settled["file"] == settled["id"].map(kept_file)).to_numpy()
    _warn_several_files(name, copies, decided, int((~in_kept).sum()), names, quality)
    older[settled["row"].to_numpy()[~in_kept]] = True
    dup = dup.copy()
    dup[settled["row"].to_numpy()] = False
    repeats = settled[in_kept]  # rows in row order: the first of an id in its file is kept
    dup[repeats["row"].to_numpy()[repeats["id"].duplicated().to_numpy()]] = True
    kept_in = np.asarray(names, dtype=object)[kept_file.to_numpy()]
    return older, dup, pd.Series(kept_in, kept_file.index.astype(str), dtype="string")


def _newest_file(copies: pd.DataFrame) -> pd.Series:
    """The file code of each record's newest copy, by id, for the records whose copies tell
    it (`_newest_copies`): by `modified`, ties by `rank`; a measure some copy lacks is left
    out for that record, and a record whose newest copies are in several files is left out."""
    by_id = copies.groupby("id", sort=False)

    def measure(col: str) -> pd.Series:
        whole = by_id[col].transform("count").eq(by_id[col].transform("size"))
        return copies[col].where(whole, 0.0)

    first, then = measure("modified"), measure("rank")
    best = first.eq(first.groupby(copies["id"], sort=False).transform("max"))
    then = then.where(best)
    best &= then.eq(then.groupby(copies["id"], sort=False).transform("max"))
    files = copies.loc[best].groupby("id", sort=False)["file"].agg(["nunique", "first"])
    return files.loc[files["nunique"].eq(1), "first"]


def _modified_seconds(frame: pd.DataFrame, rows: np.ndarray, options: parse.DateOptions):
    """The last-modified time (`_MODIFIED_HEADERS`) of `rows`, in seconds (NaN: unknown)."""
    col = next((c for c in frame.columns if normalise_header(c) in _MODIFIED_HEADERS), None)
    if col is None:
        return np.full(len(rows), np.nan)
    values = frame[col]
    if not pd.api.types.is_datetime64_any_dtype(values):
        # the whole column, so that its day order shows (`03/02/2026` beside `30/09/2026`);
        # the duplicated rows alone may all be ambiguous
        values = parse.parse_datetimes(values.astype("string"), options)[0]
    stamps = pd.to_datetime(values.iloc[rows].reset_index(drop=True), utc=True)
    return (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()


def _export_ranks(names: list[str]) -> np.ndarray:
    """Each file's place in the order of export (`export_key`), NaN for a name without a date;
    files exported at the same time share a place."""
    keys = [export_key(n) for n in names]
    order = {k: i for i, k in enumerate(sorted({k for k in keys if k is not None}))}
    return np.array([np.nan if k is None else order[k] for k in keys], dtype=float)


def _warn_several_files(
    name: str,
    copies: pd.DataFrame,
    decided: np.ndarray,
    older: int,
    names: list[str],
    quality: DataQuality,
) -> None:
    """One warning for the records loaded from the newest of several files (`older`: their
    copies set aside), one for those whose files do not tell which copy is newest."""
    key = PRIMARY_KEYS[name]
    for told, rows in ((True, copies[decided]), (False, copies[~decided])):
        if rows.empty:
            continue
        records = rows["id"].nunique()
        are = "record is" if records == 1 else "records are"
        files = ", ".join(names[c] for c in sorted(rows["file"].unique(), key=_by_name(names)))
        if told:
            quality.warnings.append(
                f"{name}: {records} {are} in several exports ({files}): the newest copy of "
                "each is loaded (the last modified, else the one in the file exported last, "
                f"by the date in its name); {older} older {'copy' if older == 1 else 'copies'} "
                f"set aside as '{OLDER_COPY}'"
            )
        else:
            quality.warnings.append(
                f"{name}: {records} {are} in several files ({files}), and neither a Last "
                "Modified Date nor an export date in the file names tells which copy is newest: "
                f"the first copy read is loaded, the others set aside as 'duplicate {key}'"
            )


def _by_name(names: list[str]):
    """Sort key of a file code: its export order (`export_key`), then its name."""
    return lambda code: (export_key(names[code]) or ("", -1), names[code])


def _name_kept_copies(aside: pd.DataFrame, key: str, kept: pd.Series) -> None:
    """Give the older copies in the set-aside list `_kept_copy_in`: the file whose copy of
    the record was loaded."""
    older = aside["_reason"].eq(OLDER_COPY).to_numpy(dtype=bool)
    if older.any():
        if "_kept_copy_in" not in aside:
            aside["_kept_copy_in"] = pd.Series(pd.NA, index=aside.index, dtype="string")
        aside.loc[older, "_kept_copy_in"] = aside.loc[older, key].map(kept).astype("string")


def duplicated(values: pd.Series, among: np.ndarray | None = None) -> np.ndarray:
    """`values.duplicated()` (the first of each id is kept; missing ids equal each other),
    or `values[among].duplicated()` for a mask `among` (filtered as ints when they are)."""
    ints = _int_ids(values)
    if ints is not None:
        return _duplicated_ints(ints[0] if among is None else ints[0][among])
    fixed = parse.fixed_width_words(parse.arrow_text(values)) if len(values) >= 10_000 else None
    if fixed is not None:
        words, present, _width = fixed
        if among is not None:
            words, present = words[among], present[among]
        found = _duplicated_words(words, present)
        if found is not None:
            return found
    if among is not None:
        values = values[among]
    codes = pc.dictionary_encode(parse.arrow_text(values), null_encoding="encode")
    codes = np.concatenate([c.indices.to_numpy() for c in codes.chunks] or [np.zeros(0)])
    # codes number the values in order of first appearance: a repeat is not above the
    # largest code seen before it
    seen = np.maximum.accumulate(np.concatenate([[-1], codes[:-1]]))
    return codes <= seen


def _mixed(words: np.ndarray) -> np.ndarray:
    """One 64-bit key per row of words; equal rows give equal keys (not the reverse)."""
    key = words[:, 0].copy()
    for j in range(1, words.shape[1]):
        key = key * np.uint64(0x9E3779B97F4A7C15) + words[:, j]  # wraps around: a mix
    return key


def _duplicated_words(words: np.ndarray, present: np.ndarray) -> np.ndarray | None:
    """`duplicated` of values given as rows of words (`parse.fixed_width_words`): the words
    are mixed into one key per row, and only rows whose key repeats are compared word by word
    (two values may mix to the same key). Hashing ten million strings took seconds.

    Made for ids, which rarely repeat: None when more than a tenth of the rows share a key
    (comparing them word by word would cost more than hashing the text)."""
    key = _mixed(words)
    ordered = np.sort(key)  # (a sort beats a hash table of ten million random keys)
    repeats = ordered[1:][ordered[1:] == ordered[:-1]]
    if not len(repeats):
        return np.zeros(len(key), dtype=bool)
    suspects = np.flatnonzero(pd.Series(key).isin(np.unique(repeats)).to_numpy())
    if len(suspects) > len(key) // 10 + 1_000:
        return None
    exact = pd.DataFrame(words[suspects]).assign(present=present[suspects]).duplicated()
    out = np.zeros(len(key), dtype=bool)
    out[suspects] = exact.to_numpy()
    return out


def _duplicated_ints(ids: np.ndarray) -> np.ndarray:
    """`duplicated` of int64 ids. Ids from a counter (`_narrow`): one slot per possible id
    finds the few repeated values without hashing 10M ids."""
    n = len(ids)
    if n == 0:
        return np.zeros(0, dtype=bool)
    nearly_sorted = _duplicated_nearly_sorted(ids)
    if nearly_sorted is not None:
        return nearly_sorted
    low, high = int(ids.min()), int(ids.max())
    if not _narrow(low, high, n) or n >= 2**31:
        return pd.Index(ids).duplicated()
    offset = ids - low
    rows = np.arange(n, dtype=np.int32)
    slot = np.empty(high - low + 1, dtype=np.int32)
    slot[offset] = rows  # a repeated id keeps one of its rows, whichever
    lost = slot[offset] != rows  # rows of repeated ids, all but one per id
    out = np.zeros(n, dtype=bool)
    if lost.any():
        repeated_value = np.zeros(len(slot), dtype=bool)
        repeated_value[offset[lost]] = True
        repeated = repeated_value[offset]
        out[repeated] = pd.Index(ids[repeated]).duplicated()  # keep the first, in row order
    return out


def _narrow(low: int, high: int, n: int) -> bool:
    """`n` ids between `low` and `high` come from a counter: a table with one slot per
    possible id is not much larger than the ids themselves."""
    return high - low <= 4 * n + 1024


def _duplicated_nearly_sorted(ids: np.ndarray) -> np.ndarray | None:
    """`duplicated` of ids that are in increasing order but for a few rows (an export sorted
    by id or by creation, with some rows added at the end), else None.

    Without the rows that break the order the ids strictly increase, so every repeated id has
    a copy among those rows: only they and the ids equal to them need comparing.
    """
    gone = _strays(ids)
    if gone is None:
        return None
    ordered = np.delete(ids, gone)
    odd = ids[gone]
    at = np.minimum(np.searchsorted(ordered, odd), max(len(ordered) - 1, 0))
    same = ordered[at] == odd if len(ordered) else np.zeros(len(odd), dtype=bool)
    rows = np.union1d(gone, _rows_of(at[same], gone))  # sorted: first copy first
    out = np.zeros(len(ids), dtype=bool)
    out[rows] = pd.Index(ids[rows]).duplicated()
    return out


def _strays(ids: np.ndarray) -> np.ndarray | None:
    """The rows (sorted, at most `_FEW_ROWS`) without which `ids` strictly increase, or None.

    A row not above the one before it goes; then the rows on either side of each gap are
    compared, as they are neighbours now (a row that repeats the one before a stray is out of
    order only then). Four rounds at most; only the first reads all the ids.
    """
    breaks = np.flatnonzero(ids[1:] <= ids[:-1]) + 1
    gone = np.zeros(0, dtype=np.int64)
    for _ in range(4):
        if len(breaks) == 0:
            return gone
        if len(gone) + len(breaks) > _FEW_ROWS:
            return None
        gone = np.union1d(gone, breaks)
        gap = np.diff(gone) > 1  # between two runs of consecutive gone rows
        starts, stops = gone[np.r_[True, gap]], gone[np.r_[gap, True]] + 1
        inside = (starts > 0) & (stops < len(ids))
        before, after = starts[inside] - 1, stops[inside]
        breaks = after[ids[after] <= ids[before]]
    return None


def _rows_of(positions: np.ndarray, gone: np.ndarray) -> np.ndarray:
    """Rows of the table for `positions` in it without the (sorted) rows `gone`: each
    position moves past the gone rows before it (`np.flatnonzero(rest)[positions]` without a
    ten-million-row index)."""
    before = gone - np.arange(len(gone))  # where each gone row would sit among the rest
    return positions + np.searchsorted(before, positions, side="right")


def is_in(values: pd.Series, keys: pd.Series) -> pd.Series:
    """`values.isin(keys)` computed on int64 or by Arrow (pandas converts strings to Python)."""
    # a few keys: Arrow's hash lookup of the strings beats converting ten million ids
    ints = _int_ids(values, keys) if len(keys) > 10_000 else None
    if ints is not None:
        return pd.Series(_int_is_in(ints[0], ints[1][ints[1] >= 0]), index=values.index)
    arr = parse.arrow_text(values)
    key_set = pa.array(keys.dropna().astype("string"), type=arr.type, from_pandas=True)
    hit = pc.is_in(arr, value_set=key_set, skip_nulls=True).fill_null(False)
    return pd.Series(hit.to_numpy(zero_copy_only=False), index=values.index)


def _int_is_in(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """`values` (missing = -1) found among `keys` (none missing). Keys from a counter
    (`_narrow`): a table with one flag per possible key is looked up instead of hashing ten
    million values."""
    if len(keys) == 0:
        return np.zeros(len(values), dtype=bool)
    low, high = int(keys.min()), int(keys.max())
    if not _narrow(low, high, len(keys)):
        return pd.Series(values).isin(keys).to_numpy() & (values >= 0)
    known = np.zeros(high - low + 1, dtype=bool)
    known[keys - low] = True
    inside = (values >= low) & (values <= high)
    hit = np.zeros(len(values), dtype=bool)
    hit[inside] = known[values[inside] - low]
    return hit


def _contacts_rules(
    tables, quality, options: parse.DateOptions, in_crm: dict[str, str] | None = None
) -> dict[str, str]:
    """Duplicate contact ids are set aside; contacts the CRM merged (`in_crm`: absorbed id ->
    survivor, `merge_redirect`) and then contacts sharing an e-mail are merged (`_fold_into`).

    Returns the merged-away ids and their survivors: rows elsewhere that pointed at a merged
    record are re-pointed at the survivor (`_repoint`); an id the CRM merged into a contact
    then merged for its e-mail points at that contact's survivor.
    """
    contacts = tables["contacts"]
    if contacts.empty:  # every row set aside: references still go to the CRM's survivors
        return dict(in_crm or {})
    reasons = _Reasons(len(contacts))
    kept = _flag_duplicates("contacts", contacts, reasons, quality, options)
    _drop_flagged("contacts", tables, reasons, quality, kept)
    if in_crm:
        _merge_in_crm(tables, quality, in_crm)
    by_email = _merge_same_email(tables, quality)
    if not in_crm:
        return by_email
    chained = {k: by_email.get(v, v) for k, v in in_crm.items()}
    if by_email:  # a record the CRM merged into one then merged for its e-mail: the final one
        account = quality.account("contacts")
        aside = account.set_aside.copy()  # replaced, not edited: event checks may read it
        crm = aside["_reason"].eq(MERGED_IN_CRM).fillna(False).to_numpy(dtype=bool)
        aside.loc[crm, "_merged_into"] = aside.loc[crm, "contact_id"].map(chained)
        account.set_aside = aside
    return {**chained, **by_email}


def _merge_in_crm(tables, quality, redirect: dict[str, str]) -> None:
    """Rows of contacts the CRM merged into another (`redirect`) folded into their survivor
    (`_fold_into`) and set aside as `MERGED_IN_CRM`."""
    contacts = tables["contacts"]
    ids = contacts["contact_id"].astype("string")
    absorbed = is_in(ids, pd.Series(list(redirect), dtype="string")).to_numpy()
    if not absorbed.any():
        return
    survivor = ids.map(redirect).astype("string").fillna(ids)
    alone = absorbed & ~is_in(survivor, ids).to_numpy()  # the survivor's row set aside
    if alone.any():  # nothing to fold into: set aside, then the others merged
        into = dict(zip(ids[alone], survivor[alone], strict=True))
        _set_aside_merged(tables, quality, into, MERGED_IN_CRM)
        _merge_in_crm(tables, quality, redirect)
        return
    members = absorbed | ids.isin(set(survivor[absorbed])).to_numpy()
    group = contacts[members].assign(_absorbed=absorbed[members])
    group = group.sort_values(["_absorbed", "created_at", "contact_id"]).drop(columns="_absorbed")
    _fold_into(tables, quality, group, survivor[group.index], redirect, MERGED_IN_CRM)


def _merge_same_email(tables, quality) -> dict[str, str]:
    """Contacts sharing an e-mail merged (as HubSpot dedupes on e-mail): the earliest created
    record survives, of records created at the same time the lowest contact id (not the first
    row: rows are numbered per file) (`_fold_into`); returns the merged-away ids and their
    survivors."""
    contacts = tables["contacts"]
    email = _email_key(contacts["email"])
    dup = _shared(email)
    if not dup.any():
        return {}
    group = contacts[dup].assign(_email=email[dup])
    group = group.sort_values(["_email", "created_at", "contact_id"])
    survivor = group.groupby("_email", sort=False)["contact_id"].transform("first")
    merged_away = group["contact_id"] != survivor
    redirect = dict(zip(group.loc[merged_away, "contact_id"], survivor[merged_away], strict=True))
    _fold_into(tables, quality, group.drop(columns="_email"), survivor, redirect, MERGED_SAME_EMAIL)
    return redirect


def _fold_into(
    tables, quality, group: pd.DataFrame, survivor: pd.Series, redirect: dict, reason: str
) -> None:
    """Fold each row of `group` (its survivor's row first) into its `survivor`: the survivor
    keeps its fields, empty ones filled from the others; created_at and each stage date are
    the group's earliest, the lifecycle stage the furthest down the funnel (as HubSpot merges).
    The merged-away rows (`redirect`'s ids) are set aside with `reason`, with `_merged_into`."""
    contacts = tables["contacts"]
    agg = {c: "min" for c in (*STAGE_DATE_COLUMNS.values(), "created_at")}
    agg.update({c: "first" for c in contacts.columns if c not in agg and c != "contact_id"})
    agg["lifecycle_stage"] = _furthest_stage
    combined = group.groupby(survivor.values, sort=False).agg(agg)
    labels = pd.Series(group.index, index=group["contact_id"]).loc[combined.index]
    for col in combined.columns:  # the survivors take the group's combined values
        current = contacts.loc[labels, col]
        update = current.copy()
        update.iloc[:] = combined[col].to_numpy()
        if not update.equals(current):  # a column's copy only where a value changes
            contacts.loc[labels, col] = update
    _set_aside_merged(tables, quality, redirect, reason)


def _set_aside_merged(tables, quality, redirect: dict, reason: str) -> None:
    """The contacts merged away (`redirect`'s ids) set aside with `reason`, with
    `_merged_into` their survivor."""
    contacts = tables["contacts"]
    merged = contacts["contact_id"].isin(redirect).to_numpy()
    _set_aside("contacts", contacts, merged, reason, quality)
    account = quality.account("contacts")
    account.merged += int(merged.sum())
    aside = account.set_aside.copy()  # replaced, not edited: event checks may read it
    into = aside["contact_id"].map(redirect).astype("string")
    aside["_merged_into"] = aside["_merged_into"].fillna(into) if "_merged_into" in aside else into
    account.set_aside = aside
    tables["contacts"] = _keep_rows(contacts, ~merged).reset_index(drop=True)


def _email_key(email: pd.Series) -> pd.Series:
    """E-mail addresses as compared for the merge: trimmed and lower case."""
    text = parse.trimmed(parse.arrow_text(email))
    key = pc.ascii_lower(text) if parse.ascii_only(text) else pc.utf8_lower(text)
    return pd.Series(ArrowStringArray(key.cast(pa.large_string())), index=email.index)


def _shared(values: pd.Series) -> np.ndarray:
    """Rows whose (present) value occurs more than once: `duplicated(keep=False)`, by Arrow."""
    encoded = pc.dictionary_encode(parse.arrow_text(values)).combine_chunks()
    codes = pc.fill_null(encoded.indices, 0).to_numpy()  # nulls masked below
    present = pc.is_valid(encoded).to_numpy(zero_copy_only=False)
    counts = np.bincount(codes[present], minlength=max(1, len(encoded.dictionary)))
    return present & (counts[np.where(present, codes, 0)] > 1)


def _repoint(
    tables: dict[str, pd.DataFrame], redirect: dict[str, str], names, column: str = "contact_id"
) -> None:
    """Rows of `names` whose `column` points at a merged-away record point at its survivor."""
    if not redirect:
        return
    merged_ids = pd.Series(list(redirect), dtype="string")
    for name in names:
        frame = tables[name]
        if frame.empty or column not in frame:
            continue
        hit = is_in(frame[column], merged_ids).to_numpy()
        if hit.any():
            frame.loc[hit, column] = frame.loc[hit, column].map(redirect)


def _listed(frame: pd.DataFrame) -> pd.Series | None:
    """Each id of the rows of `frame` that list several contacts (`parse.listed_ids`); None
    when no row lists several."""
    if CONTACT_LISTS not in frame or frame.empty:
        return None
    ids = parse.listed_ids(frame[CONTACT_LISTS])
    return ids if len(ids) else None


def _repoint_lists(frame: pd.DataFrame, redirect: dict[str, str]) -> None:
    """The ids a record lists (`CONTACT_LISTS`) that point at a merged-away contact point at
    its survivor, as `_repoint` does its `contact_id`: else a deal listing an absorbed id was
    judged by it only where the export happened to list it first."""
    ids = _listed(frame) if redirect else None
    merged = None if ids is None else ids.isin(list(redirect))
    if merged is None or not merged.any():
        return
    ids = ids[ids.index.isin(ids.index[merged.to_numpy(dtype=bool)])]  # only their lists
    ids = ids.map(lambda i: redirect.get(i, i)).astype("string")
    joined = ids.groupby(level=0, sort=False).agg(
        lambda s: parse.MULTI_SEPARATOR.join(dict.fromkeys(s))
    )
    frame.loc[joined.index, CONTACT_LISTS] = joined.astype("string")


def _exported_ids(tables: dict[str, pd.DataFrame], quality: DataQuality, table: str) -> pd.Series:
    """The ids of `table`'s records the export holds: those loaded, and those whose rows were
    set aside as deleted in the CRM or as faults of the export (`_unloaded`), which a link to
    them is checked against as to a loaded one (`_flag_orphans`)."""
    unloaded = _unloaded(quality, table)
    parts = [tables[table][PRIMARY_KEYS[table]].astype("string")]
    parts += [ids.astype("string") for ids in (unloaded.deleted,) if ids is not None]
    if unloaded.aside is not None:
        parts.append(unloaded.aside["id"].astype("string"))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _first_known_contact(deals: pd.DataFrame, loaded: pd.Series, exported: pd.Series) -> None:
    """A deal whose `contact_id` (the first its export lists) is no loaded contact takes the
    first listed one that is (`loaded`); failing that, when its own is not even in the
    export, the first listed one the export holds (`exported`: set aside, deleted;
    `_exported_ids`), as a deal naming it alone keeps it. The order of a HubSpot deal's
    contacts means nothing: the deal was set aside as `unknown contact_id` when an unknown one
    came first, and lost its contact when a deleted one did."""
    ids = _listed(deals)
    if ids is None or exported.empty:
        return
    first = deals.loc[ids.index.unique(), "contact_id"].astype("string").fillna("")
    elsewhere = first[~is_in(first, loaded).to_numpy(dtype=bool)]
    if elsewhere.empty:
        return
    candidates = ids[ids.index.isin(elsewhere.index)]
    live = candidates[is_in(candidates, loaded).to_numpy(dtype=bool)]
    unknown = elsewhere.index[~is_in(elsewhere, exported).to_numpy(dtype=bool)]
    held = candidates[is_in(candidates, exported).to_numpy(dtype=bool)]
    held = held[held.index.isin(unknown) & ~held.index.isin(live.index)]
    chosen = pd.concat([live, held]).groupby(level=0, sort=False).first()
    deals.loc[chosen.index, "contact_id"] = chosen.astype("string")


_STAGE_RANK = {s: i for i, s in enumerate(STAGES) if s != "other"}


def _furthest_stage(stages: pd.Series) -> object:
    """The stage furthest down the funnel (`other` only when nothing else is known)."""
    known = stages.dropna()
    return max(known, key=lambda s: _STAGE_RANK.get(s, -1)) if len(known) else pd.NA


def _stage_dates_in_order(contacts: pd.DataFrame, timezone: str) -> None:
    """Each stage date without a time (00:00 UTC of its day) on the day of an earlier stage's
    date with a time, in the export's zone, moved to that moment (`parse.not_before_on_its_day`):
    a workflow that stamps a date field (`SQL_Date__c` 2026-03-10) on the day of an MQL at
    14:00 did not make the contact an SQL before it, which the funnel would read as out-of-order
    dates and take the MQL date from the SQL's midnight (inferred)."""
    columns = [c for c in STAGE_DATE_COLUMNS.values() if c in contacts]
    for k in range(1, len(columns)):
        earlier = [contacts[c] for c in columns[:k]]
        contacts[columns[k]] = parse.not_before_on_its_day(contacts[columns[k]], earlier, timezone)
    # and the mirror, east of UTC: an MQL date beside an SQL at 09:00 that day in Sydney
    # (22:00 UTC the day before) did not come after it: it starts at Sydney's midnight
    for k in range(len(columns) - 2, -1, -1):
        later = [contacts[c] for c in columns[k + 1 :]]
        contacts[columns[k]] = parse.not_after_on_its_day(contacts[columns[k]], later, timezone)


def _fill_lifecycle(tables) -> None:
    """A contact with stage dates but no lifecycle stage gets the furthest stage reached."""
    contacts = tables["contacts"]
    if contacts.empty:
        return
    missing = contacts["lifecycle_stage"].isna()
    if not missing.any():
        return
    furthest = pd.Series(pd.NA, index=contacts.index, dtype="string")
    for stage in STAGES:
        col = STAGE_DATE_COLUMNS.get(stage)
        if col:
            furthest = furthest.mask(contacts[col].notna(), stage)
    contacts.loc[missing, "lifecycle_stage"] = furthest[missing]


def _currency_column(
    out: pd.DataFrame, frame: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray | None]:
    """`out`'s currency as ISO codes (`parse.currency_codes`: ` eur ` and `€` are EUR), where
    missing the one its amount names (`1.234,50 €`); a sign several currencies write (`kr`) is
    kept as written. Where both name one and they differ (`$ 2,500.00`, currency EUR), the
    currency column's is kept: the export's field, which a sign in a formatted amount may not
    follow. Returns the masks of the ambiguous ones and of the conflicts (`_cell_form_notes`
    warns of both)."""
    out["currency"], unsure = parse.currency_codes(out["currency"])
    if "amount" not in frame.columns:
        return unsure, None
    symbols = parse.currency_symbols(frame["amount"]).astype("string")
    conflicts = parse.sign_conflicts(frame["amount"], symbols, out["currency"])
    out["currency"] = out["currency"].fillna(symbols)
    return unsure, conflicts


def _cell_form_notes(name, out, frame, currency, several, aside, quality: DataQuality) -> None:
    """The warnings for ambiguous currency signs and amounts whose sign is not their row's
    currency (`currency`: `_currency_column`'s masks) and cells of several e-mail addresses
    (`several`), counting and naming only the rows not set `aside` while typed."""
    unsure, conflicts = currency if currency is not None else (None, None)
    if unsure is not None and (unsure & ~aside).any():
        kept = unsure & ~aside
        note = parse.ambiguous_currency_note(out["currency"][kept], _first_place(frame, kept))
        quality.warnings.append(f"{name}.currency: {note}")
    if conflicts is not None and (conflicts & ~aside).any():
        kept = conflicts & ~aside
        signed = parse.currency_symbols(frame["amount"][kept]).reindex(frame.index)
        note = parse.sign_conflict_note(
            frame["amount"], signed, out["currency"], kept, _first_place(frame, kept)
        )
        quality.warnings.append(f"{name}.amount: {note}")
    note = _several_emails_note(name, frame, several, aside) if several is not None else None
    if note:
        quality.warnings.append(note)


#: one e-mail address inside a cell holding several (`Jane <jane@x.com>, "Doe, J" <j@y.com>`,
#: `q@x.com (work)`): display names, quotes, comments and a `mailto:` are not part of it; an
#: apostrophe may be inside its local part (o'brien@x.com), not at its start nor in its domain
#: (a quote around it: 'jane@x.com')
_EMAIL_ADDRESS = r"[^\s,;:<>()\[\]\"'@][^\s,;:<>()\[\]\"@]*@[^\s,;:<>()\[\]\"'@]+"
#: the extra column the addresses after a cell's first are kept in (`_several_emails`)
OTHER_EMAILS = "other_emails"


def _several_emails(out: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray | None:
    """A cell holding several e-mail addresses (Pipedrive's `a@x.com, b@y.com` for a person
    with more than one, `Jane <jane@x.com>, John <john@y.com>`): the first address is the
    record's `email` (the one the same-e-mail merge compares), the others are kept, joined by
    `, `, in the extra column `other_emails`, after the export's own `other_emails` if it has
    one (without repeating an address it holds). Returns the cells' mask, None if there are
    none (`_several_emails_note` words the warning)."""
    email = out["email"]
    several = _arrow_counts(pc.count_substring(parse.arrow_text(email), "@")) > 1
    if not several.any():
        return None
    found = email[several].str.findall(_EMAIL_ADDRESS).map(_each_once)
    once = found[found.str.len() == 1]  # one address written twice (`a@x.com <mailto:a@x.com>`)
    email = email.mask(email.index.isin(once.index), once.str[0])
    found = found[found.str.len() > 1]  # `a@b@c` holds no two addresses: left as written
    out["email"] = email.astype("string")
    if found.empty:
        return None
    several = email.index.isin(found.index)
    out["email"] = email.mask(several, found.str[0]).astype("string")
    given = parse.clean_text(frame[OTHER_EMAILS]) if OTHER_EMAILS in frame else None
    others = given.copy() if given is not None else pd.Series(pd.NA, out.index, dtype="string")
    before = others[found.index].tolist()
    joined = [_joined_addresses(g, a[1:]) for g, a in zip(before, found, strict=True)]
    others[found.index] = joined  # one assignment, not one per cell
    out[OTHER_EMAILS] = others.astype("string")
    return several


def _each_once(addresses: list[str]) -> list[str]:
    """A cell's addresses, each once (ignoring case), in the order written."""
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.casefold(), address)
    return list(seen.values())


def _joined_addresses(given: object, more: list[str]) -> str:
    """`given` (an export's `other_emails` cell, maybe empty) followed by the addresses of
    `more` it does not hold yet (ignoring case), `, `-joined."""
    text = "" if pd.isna(given) else str(given).strip()
    seen = {a.casefold() for a in re.findall(_EMAIL_ADDRESS, text)}
    new = []
    for address in more:
        if address.casefold() not in seen:
            seen.add(address.casefold())
            new.append(address)
    return ", ".join(x for x in (text, *new) if x)


def _several_emails_note(name: str, frame: pd.DataFrame, several, aside) -> str | None:
    """The warning for the loaded rows of `several` (`_several_emails`), not those `aside`."""
    kept = several & ~aside
    if not kept.any():
        return None
    n = int(kept.sum())
    where = OTHER_EMAILS + (
        " (after the addresses the export's own other_emails column gives)"
        if OTHER_EMAILS in frame
        else ""
    )
    return (
        f"{name}.email: {n} cell{'s hold' if n > 1 else ' holds'} several e-mail addresses "
        f"({_first_place(frame, kept)}): the first is the {name[:-1]}'s email (the one "
        f"contacts with the same e-mail are merged by), the others are kept in the column {where}"
    )


def _arrow_counts(counts) -> np.ndarray:
    """An Arrow count per row as a NumPy integer array, missing as 0."""
    return pc.fill_null(counts, 0).to_numpy().astype(np.int64)


def _first_place(frame: pd.DataFrame, mask: np.ndarray) -> str:
    """Where the first row `mask` marks was read: `deals.csv row 7` (the reader's `_file` and
    `_row`, else the table's row number)."""
    first = int(np.flatnonzero(mask)[0])
    row = frame["_row"].iloc[first] if "_row" in frame else first + 1
    file = frame["_file"].iloc[first] if "_file" in frame else None
    return f"{file} row {row}" if file is not None and not pd.isna(file) else f"row {row}"


def _infer_closed(deals: pd.DataFrame) -> None:
    """A won deal is closed, whatever is_closed says (a flag taken from the stage, when the
    export has only is_won, may say open); an open deal's missing is_won is false."""
    if deals.empty:
        return
    won = deals["is_won"].fillna(False).astype(bool)
    deals["is_closed"] = deals["is_closed"].mask(won, True)
    open_ = deals["is_closed"].eq(False).fillna(False).astype(bool)
    deals["is_won"] = deals["is_won"].mask(deals["is_won"].isna() & open_, False)
