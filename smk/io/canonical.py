"""Write a `CRM` in smk's own canonical format: one file per table, our column names.

The canonical format is what `smk.load(folder, format="canonical")` reads back: ``contacts.csv``,
``accounts.csv``, ``deals.csv``, ``touchpoints.csv``, ``activities.csv`` and ``spend.csv`` (or
``.parquet``), with exactly the columns of `smk.model.SCHEMA`. Timestamps are ISO 8601 in UTC
with a ``Z`` (``2026-03-01T09:30:00Z``), booleans ``true``/``false``, months ``YYYY-MM-DD`` (the
first of the month), numbers with a ``.`` decimal mark and no thousands separator. How such a
folder (or a database's canonical tables) is read is `canonical_mapping`: a deals table without
the flags takes them from the stage.

The text helpers here (`format_datetimes`, `format_numbers`, `write_text_csv`) are shared with the
HubSpot writer. They work on whole columns through Arrow, so that writing ten million
touchpoints takes seconds rather than minutes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from smk.checks import checked_tables
from smk.io.files import arrow_file
from smk.model import CONTACT_LISTS, CRM, SCHEMA, TABLES, UNKNOWN_STAGE

if TYPE_CHECKING:
    from smk.io.mapping import FormatMapping

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
#: stages known to be open beyond those of HubSpot's mapping: the plain word a table without a
#: pipeline of stages writes (Pipedrive's status)
OPEN_STAGES = ["Open"]
#: columns that may list several `;`-separated values: the first is used, the whole list kept
#: in `<column>s_all` (docs/data-model.md)
MULTI_VALUE = {"contacts": ["account_id"]}


def canonical_mapping() -> FormatMapping:
    """Our own format as a mapping: one file (or SQL table) per table, named after it, with the
    model's column names; `smk.load(..., format="canonical")` and `smk.io.sql` read it so.

    A deals table without `is_closed` or `is_won` takes the flag it lacks from the stage
    (`stage_rules`), and the deals whose stage says neither open nor closed are counted in a
    warning; a contact's `account_id` may list several (`MULTI_VALUE`). Rows a sync's
    `_fivetran_deleted` or `is_deleted` flags (`SYNC_DELETED`: a view or dbt model over a sync
    passes them on) are set aside as deleted in the CRM.
    """
    from smk.io.mapping import SYNC_DELETED, FormatMapping, TableMapping  # imports this module

    tables = {
        name: TableMapping(
            files=[f"{name}.{ext}" for ext in ("csv", "tsv", "txt", "parquet", "xlsx")],
            columns={col: [col] for col in cols},
            multi_value=list(MULTI_VALUE.get(name, ())),
            derive=stage_rules() if name == "deals" else {},
            deleted_flags=list(SYNC_DELETED),
        )
        for name, cols in SCHEMA.items()
    }
    return FormatMapping(name="canonical", tables=tables)


def stage_rules() -> dict[str, dict]:
    """The `derive` rules of the flags from the stage: smk's HubSpot mapping's ("Closed Won",
    "closedwon", "Won", "Closed Lost", "Lost"; its default pipeline's stages known open),
    `OPEN_STAGES` known open too."""
    from smk.io.mapping import builtin_mapping  # mapping imports this module

    rules = builtin_mapping("hubspot").tables["deals"].derive
    closed = rules["is_closed"]
    return {
        "is_closed": {**closed, "false_for": [*closed.get("false_for", ()), *OPEN_STAGES]},
        "is_won": rules["is_won"],
    }


def text(
    values: pd.Series | pa.Array | np.ndarray | list, index: pd.Index | None = None
) -> pd.Series:
    """A column of Arrow-backed strings (pandas "string" dtype), missing values as <NA>."""
    if isinstance(values, pd.Series):
        index = values.index if index is None else index
        arr = pa.array(values.astype("string"), from_pandas=True)
    elif isinstance(values, pa.ChunkedArray | pa.Array):
        arr = values
    else:
        arr = pa.array(values, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=index)


_TENS = (48 + np.arange(100) // 10).astype(np.uint8)
_ONES = (48 + np.arange(100) % 10).astype(np.uint8)
_NAT = np.iinfo("int64").min


def _fixed_width_timestamps(ns: np.ndarray, iso: bool) -> pa.Array:
    """``YYYY-MM-DDTHH:MM:SSZ`` (iso) or ``YYYY-MM-DD HH:MM`` from UTC epoch nanoseconds.

    Built digit by digit with NumPy (days -> civil date after H. Hinnant's algorithm), about
    ten times faster than `strftime` on ten million values; NaT becomes null.
    """
    n = len(ns)
    nat = ns == _NAT
    secs = np.where(nat, 0, ns) // 1_000_000_000
    days = secs // 86400
    sod = (secs - days * 86400).astype(np.int32)
    z = days + 719468
    era = z // 146097
    doe = (z - era * 146097).astype(np.int32)
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + np.where(mp < 10, 3, -9)
    year = (yoe + era * 400 + (month <= 2)).astype(np.int32)
    hour = sod // 3600
    rest = sod - hour * 3600
    minute = rest // 60
    second = rest - minute * 60
    width = 20 if iso else 16
    buf = np.empty((width, n), dtype=np.uint8)

    def put(pos: int, v: np.ndarray) -> None:
        buf[pos] = _TENS[v]
        buf[pos + 1] = _ONES[v]

    century = year // 100
    put(0, century)
    put(2, year - century * 100)
    buf[4] = ord("-")
    put(5, month)
    buf[7] = ord("-")
    put(8, day)
    buf[10] = ord("T") if iso else ord(" ")
    put(11, hour)
    buf[13] = ord(":")
    put(14, minute)
    if iso:
        buf[16] = ord(":")
        put(17, second)
        buf[19] = ord("Z")
    data = np.ascontiguousarray(buf.T)
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    validity = pa.array(~nat).buffers()[1] if nat.any() else None
    return pa.Array.from_buffers(
        pa.string(),
        n,
        [validity, pa.py_buffer(offsets), pa.py_buffer(data)],
        null_count=int(nat.sum()),
    )


def format_datetimes(values: pd.Series, fmt: str = ISO_FORMAT) -> pd.Series:
    """Tz-aware (UTC) timestamps as text in `fmt`; sub-second values keep their fraction.

    With `ISO_FORMAT`, whole-second values are written ``2026-03-01T09:30:00Z`` and values with
    a fraction ``2026-03-01T09:30:00.250000000Z``, both read back exactly. `ISO_FORMAT` and
    ``%Y-%m-%d %H:%M`` (seconds dropped) take a fast NumPy path; other formats use strftime.
    """
    ts = values
    if getattr(ts.dt, "tz", None) is None:
        ts = ts.dt.tz_localize("UTC")
    ts = ts.dt.tz_convert("UTC").dt.as_unit("ns")
    ns = np.asarray(ts.array.asi8)
    whole = bool(((ns == _NAT) | (ns % 1_000_000_000 == 0)).all())
    if fmt == "%Y-%m-%d %H:%M" or (fmt == ISO_FORMAT and whole):
        return text(_fixed_width_timestamps(ns, iso=fmt == ISO_FORMAT), index=values.index)
    arr = pa.array(ts, from_pandas=True)
    if "%S" not in fmt or whole:
        arr = arr.cast(pa.timestamp("s", tz="UTC"), safe=False)
    return text(pc.strftime(arr, format=fmt), index=values.index)


def format_numbers(values: pd.Series) -> pd.Series:
    """Numbers as plain text: whole values without a decimal part (``12500``), others as the
    shortest text that reads back to the same float (``1234.5``); never thousands separators."""
    num = pd.to_numeric(values, errors="coerce").astype("float64")
    arr = num.to_numpy(dtype="float64", na_value=np.nan)
    whole = np.isfinite(arr) & (arr == np.round(arr)) & (np.abs(arr) < 1e15)
    out = pa.array(arr, from_pandas=True).cast(pa.string())
    ints = pa.array(np.where(whole, arr, 0).astype("int64")).cast(pa.string())
    out = pc.if_else(pa.array(whole), ints, out)
    return text(out, index=values.index)


def format_bools(values: pd.Series) -> pd.Series:
    """Booleans as ``true`` / ``false``; missing stays empty."""
    b = values.astype("boolean")
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    out[b.fillna(False).astype(bool)] = "true"
    out[(~b).fillna(False).astype(bool)] = "false"
    return out


def format_months(values: pd.Series) -> pd.Series:
    """First-of-month dates (naive) as ``YYYY-MM-DD``."""
    return text(pc.strftime(pa.array(values, from_pandas=True), format="%Y-%m-%d"), values.index)


@checked_tables
def write_text_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a frame of text columns as an RFC 4180 CSV (UTF-8, text quoted, missing empty)."""
    table = pa.table({col: pa.array(text(frame[col]), from_pandas=True) for col in frame.columns})
    path.parent.mkdir(parents=True, exist_ok=True)
    with arrow_file(path, "wb") as target:
        pacsv.write_csv(table, target, pacsv.WriteOptions(quoting_style="needed"))
    return path


def _table_to_write(crm: CRM, name: str) -> pd.DataFrame:
    """Table `name` of `crm` as written: a contact's lifecycle stage smk does not know (kept
    in the extra column `UNKNOWN_STAGE`, which is not written) as the export wrote it, not as
    `other`, so that it loads back told apart from the CRM's own Other stage."""
    df = getattr(crm, name)
    if name != "contacts" or UNKNOWN_STAGE not in df:
        return df
    stage = df["lifecycle_stage"].astype("string")
    written = df[UNKNOWN_STAGE].astype("string").where(stage.eq("other"))
    return df.assign(lifecycle_stage=written.fillna(stage))


#: Extra columns an analysis reads, written beside the model's (`canonical_frames`): a
#: record's every contact (`smk.sla.deal_contacts` judges a deal by them all), which a
#: round trip through the canonical format would otherwise lose
ANALYSED_EXTRAS = {"deals": (CONTACT_LISTS,), "activities": (CONTACT_LISTS,)}


def _written_columns(df: pd.DataFrame, name: str) -> list[str]:
    """The columns of table `name` the canonical format writes: the model's, then those of
    `ANALYSED_EXTRAS` that `df` has."""
    return [*SCHEMA[name], *(c for c in ANALYSED_EXTRAS.get(name, ()) if c in df.columns)]


@checked_tables
def canonical_frames(crm: CRM) -> dict[str, pd.DataFrame]:
    """Each table as text in the canonical format (index kept: it names the source rows)."""
    frames = {}
    for name in TABLES:
        df = _table_to_write(crm, name)
        out = pd.DataFrame(index=df.index)
        for col, kind in SCHEMA[name].items():
            values = df[col] if col in df.columns else pd.Series(pd.NA, index=df.index)
            if kind == "datetime":
                out[col] = format_datetimes(pd.to_datetime(values, utc=True))
            elif kind == "month":
                out[col] = format_months(pd.to_datetime(values))
            elif kind in ("float", "int"):
                out[col] = format_numbers(values)
            elif kind == "bool":
                out[col] = format_bools(values)
            else:
                out[col] = text(values)
        for col in _written_columns(df, name)[len(SCHEMA[name]) :]:  # after the model's
            out[col] = text(df[col])
        frames[name] = out
    return frames


@checked_tables
def write_canonical(crm: CRM, out_dir: str | Path, fmt: str = "csv") -> list[Path]:
    """Write `crm` as one file per table (``contacts.csv`` ... or ``.parquet``) into `out_dir`.

    Only the columns of the data model are written, and the extra columns an analysis reads
    (`ANALYSED_EXTRAS`: a deal's every contact); other extra columns and ``_file``/``_row``
    are left out, so the folder loads back with ``smk.load(out_dir, format="canonical")`` into the
    same tables; a lifecycle stage smk does not know is written as the export wrote it
    (`UNKNOWN_STAGE`), so that it loads back as such, not as the CRM's own Other stage.

    Parameters
    ----------
    crm : the model to write.
    out_dir : folder to create or fill.
    fmt : "csv" (text, ISO 8601 timestamps with Z) or "parquet" (typed columns).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        paths = []
        for name in TABLES:
            df = _table_to_write(crm, name)
            cols = [c for c in _written_columns(df, name) if c in df.columns]
            path = out / f"{name}.parquet"
            with arrow_file(path, "wb") as target:
                df[cols].to_parquet(target, index=False)
            paths.append(path)
        return paths
    if fmt != "csv":
        raise ValueError(f"unknown canonical file format {fmt!r}; use 'csv' or 'parquet'")
    return [
        write_text_csv(frame, out / f"{name}.csv") for name, frame in canonical_frames(crm).items()
    ]
