"""Load a CRM held in a SQL database (SQLite, DuckDB, PostgreSQL, ... through SQLAlchemy).

Two shapes are recognised, table by table:

* **canonical**: tables named after the model (``contacts``, ``accounts``, ``deals``,
  ``touchpoints``, ``activities``, ``spend``) with the model's column names, e.g. each of a
  CRM's tables written with pandas' ``DataFrame.to_sql``, or a dbt model;
* **HubSpot as synced by Fivetran** (reference §1.11): ``contact``, ``company`` and ``deal``
  tables whose properties are ``property_<internal name>`` columns, read through the HubSpot
  mapping; ``deal_pipeline_stage`` / ``deal_pipeline`` resolve stage and pipeline ids to labels,
  the stage's ``closed_won`` / ``is_closed``, probability or label give the won/closed flags
  (rule in ``_stage_flags``), ``deal_contact`` / ``deal_company`` give the deal's contact and
  company, and ``engagement`` (+ ``engagement_<type>``, ``engagement_contact``,
  ``engagement_deal``) gives the sales activities.

A Salesforce schema as Fivetran syncs it (``lead``, ``opportunity``, ``account``, ``contact``)
or a Pipedrive one (``person``, ``organization``, ``deal``, ...) is not read: it is refused
with a message saying so, never taken for HubSpot's (told by its tables and its record table's
API-name columns, unless HubSpot's own tables or ``property_*`` columns say HubSpot;
`_other_sync`).

Values are read as the database types them: timestamps stay native, the numbers of a column
that feeds an amount or a count stay numbers (never re-read by the text rules, whose
decimal-mark detection sees only a column's text values), and all else is text, a number as the
database writes it (an id in a ``DECIMAL(38,0)`` keeps its exact digits; `_column`).

A canonical table wins over its Fivetran counterpart when both exist. Every row carries
``_file`` = the table name and ``_row`` = its 1-based position in the table as read, so that a
row set aside can be found again. Rows Fivetran marks as deleted (``_fivetran_deleted`` or
``is_deleted``), in its tables or in canonical ones over them, are set aside as "deleted in
the CRM", never silently dropped (`mapping.SYNC_DELETED`).
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, unquote_plus

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from smk.errors import CRMExportError
from smk.io import canonical_mapping
from smk.io import files as fileio
from smk.io.canonical import text as canonical_text
from smk.io.deal_dates import from_deals
from smk.io.mapping import (
    SYNC_DELETED,
    TableMapping,
    builtin_mapping,
    lost_untold,
    map_frame,
    marked_deleted,
    untold_counts,
    untold_warning,
)
from smk.io.merges import MERGED_IDS
from smk.io.parse import MULTI_SEPARATOR, DateOptions, as_text, clean_text, parse_bools
from smk.io.validate import assemble
from smk.model import (
    CRM,
    DELETED_IN_CRM,
    INBOUND_EMAIL,
    PRIMARY_KEYS,
    REQUIRED,
    SCHEMA,
    TABLES,
    TASK_NOT_DONE,
)

_URL = re.compile(r"^[a-z][a-z0-9+]*://", re.I)
# the password of `user:password@host` runs to the LAST `@` before the host, so that an unencoded
# `@` or `/` in it stays inside the mask, but never into the query (`?x=me@corp` is no host)
_USERINFO_PASSWORD = re.compile(
    r"^[a-z][a-z0-9+.\-]*://[^:/?#]*:(?P<secret>[^?#]*)@[^@/?#]*(?=[/?#]|$)", re.I | re.S
)
_SECRET_NAME = r"[\w.\-]*(?:pass|pwd|secret|token|credential|key)[\w.\-]*"
# a query parameter (or a `key=value` pair of an encoded connection string such as odbc_connect)
_QUERY_SECRET = re.compile(
    rf"(?:[?&;=]|%3B|%26)\s*{_SECRET_NAME}\s*(?:=|%3D)"
    r"(?P<secret>%7B.*?%7D|(?:(?!%3B|%26)[^&;#])+)",  # ODBC: {a;b} is one value
    re.I,
)
_SQLITE_MAGIC = b"SQLite format 3\x00"
_CHUNK = 100_000  # rows fetched per round trip: bounds the memory of Python row objects

#: Fivetran HubSpot table -> canonical table it feeds.
_FIVETRAN = {"contact": "contacts", "company": "accounts", "deal": "deals"}
#: Fivetran HubSpot tables of merges, by the canonical table: (table, surviving id's column,
#: absorbed id's column), read into the survivors' `merged_ids` (`_merge_table`)
_MERGE_TABLES = {
    "contacts": ("contact_merge_audit", "canonical_vid", "vid_to_merge"),
    "deals": ("merged_deal", "deal_id", "merged_deal_id"),
}
_ENGAGEMENT_TYPES = ("call", "email", "meeting", "note", "task")
#: the mapping's source columns an engagement type's own table gives (`_engagements`), as
#: (type, its columns: current syncs' property columns, older syncs' own): a task's status
#: and completion time in `engagement_task`, an e-mail's direction in `engagement_email`
_DETAIL_COLUMNS = {
    "task_status": ("task", ("property_hs_task_status", "status")),
    "completed_at": ("task", ("property_hs_task_completion_date", "completion_date")),
    "email_direction": ("email", ("property_hs_email_direction",)),
}
#: tables of a HubSpot schema as Fivetran syncs it that no other CRM's sync has: one of them
#: (or `property_*` columns in its contact, company or deal table) tells a HubSpot sync
_HUBSPOT_SYNC_ONLY = frozenset(
    {
        "company",
        "deal_pipeline",
        "deal_pipeline_stage",
        "deal_contact",
        "deal_company",
        "engagement",
        "engagement_contact",
        "engagement_deal",
        *(f"engagement_{t}" for t in _ENGAGEMENT_TYPES),
        *(name for name, _, _ in _MERGE_TABLES.values()),
    }
)
#: the column prefix of the properties of a HubSpot record as Fivetran syncs it
_HUBSPOT_PROPERTY = "property_"
#: tables of a Salesforce schema as Fivetran syncs it (snake_case objects), which smk does not read
_SALESFORCE_SYNC = (
    "lead",
    "opportunity",
    "account",
    "contact",
    "opportunity_contact_role",
    "campaign",
    "campaign_member",
    "task",
    "event",
    "lead_history",
    "user",
)
#: tables of a Pipedrive schema as Fivetran syncs it, which smk does not read either
_PIPEDRIVE_SYNC = ("person", "organization", "deal", "activity", "stage", "pipeline")
#: another CRM's sync schema, which smk refuses rather than take it for HubSpot's (its `deal`
#: or `contact` table would be read as HubSpot's): (CRM, its tables, the tables that tell it,
#: each with the canonical table of its records, the API-name columns of its table that HubSpot's
#: sync also has (two of them tell it), what to load instead). A telling table tells nothing
#: beside its canonical table: a database with canonical `contacts` may hold an unrelated
#: `person` table. HubSpot's own tables or columns outweigh it all (`_other_sync`).
_OTHER_SYNCS = (
    (
        "Salesforce",
        _SALESFORCE_SYNC,
        {
            "lead": "contacts",
            "lead_history": "contacts",
            "opportunity": "deals",
            "opportunity_contact_role": "deals",
            "account": "accounts",
            "campaign_member": "touchpoints",
        },
        (
            "contact",
            frozenset(
                {
                    "created_date",
                    "created_by_id",
                    "last_modified_date",
                    "system_modstamp",
                    "is_deleted",
                    "master_record_id",
                    "account_id",
                    "first_name",
                    "last_name",
                    "mailing_country",
                    "lead_source",
                }
            ),
        ),
        "load Salesforce report exports (CSV) instead",
    ),
    (
        "Pipedrive",
        _PIPEDRIVE_SYNC,
        {"person": "contacts", "organization": "accounts"},
        (
            "deal",
            frozenset(
                {
                    "stage_id",
                    "pipeline_id",
                    "person_id",
                    "org_id",
                    "user_id",
                    "add_time",
                    "update_time",
                    "won_time",
                    "lost_time",
                    "stage_change_time",
                }
            ),
        ),
        "load Pipedrive's list-view exports (CSV or XLSX) with the mapping smk ships "
        "(--mapping pipedrive; docs/mappings.md) instead",
    ),
)
_DELETED = DELETED_IN_CRM
_BINARY = (bytes, bytearray, memoryview)  # BLOB, bytea, VARBINARY as drivers return them
_NUMBERS = (int, float, Decimal)  # INTEGER, REAL/DOUBLE, DECIMAL/NUMERIC as drivers return them
#: what pandas' `infer_dtype` says of a column of typed numbers only
_NUMBER_KINDS = {"integer", "floating", "mixed-integer-float", "decimal"}
#: what pandas' `infer_dtype` says of an object column that holds binary values
_MAY_BE_BINARY = {"bytes", "mixed", "mixed-integer"}

T = TypeVar("T")
#: `load_sql`'s reader of one table: ``read(table, numbers=())`` (`_read_table`)
Reader = Callable[..., pd.DataFrame]


# ------------------------------------------------------------------ URLs
def sql_url(source: str | Path) -> str:
    """A SQLAlchemy URL for `source`: URLs pass through, database files get the right scheme.

    A bare ``.db`` / ``.sqlite`` / ``.duckdb`` path is sniffed by its header bytes (SQLite files
    start with ``SQLite format 3``, DuckDB files carry ``DUCK`` at byte 8), so a DuckDB file
    named ``crm.db`` still opens with the DuckDB driver.
    """
    text = str(source)
    if _URL.match(text):
        return text
    path = Path(text)
    if not path.is_file():
        raise CRMExportError("no such database file", file=text)
    scheme = _sniffed(path)
    if scheme is None and path.stat().st_size == 0:
        scheme = "duckdb" if path.suffix.lower() == ".duckdb" else "sqlite"
    elif scheme is None:
        raise CRMExportError(
            "not a SQLite or DuckDB database file (unrecognised header bytes)", file=text
        )
    return f"{scheme}:///{path.resolve().as_posix()}"


def _sniffed(path: Path) -> str | None:
    """The driver the file's first bytes call for: "sqlite" (a SQLite file starts with
    ``SQLite format 3``), "duckdb" (a DuckDB file carries ``DUCK`` at byte 8), else None."""
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(_SQLITE_MAGIC):
        return "sqlite"
    return "duckdb" if head[8:12] == b"DUCK" else None


def _secret_spans(url: str) -> list[tuple[int, int]]:
    """Where `url` carries a secret: the password of ``user:password@host`` and the values of
    password-like query parameters (``password``, ``sslpassword``, ``passwd``, ``pwd``,
    ``token``, ``secret``, ``..._key``, ``credentials...``), also inside an encoded
    ``odbc_connect`` string (``...%3BPWD%3D<secret>%3B...``)."""
    spans = []
    start = 0
    userinfo = _USERINFO_PASSWORD.match(url)
    if userinfo:
        if userinfo.group("secret"):
            spans.append(userinfo.span("secret"))
        start = userinfo.end()  # the query starts after the host
    elif (raw := _raw_password(url)) is not None:  # `s3c#ret`: SQLAlchemy reads up to the @
        spans.append(raw)
        start = raw[1]
    query = url.find("?", start)
    if query >= 0:
        spans += [m.span("secret") for m in _QUERY_SECRET.finditer(url, query)]
    return spans


def _raw_password(url: str) -> tuple[int, int] | None:
    """The span of a ``user:password@`` password holding a `#` or `?`, which SQLAlchemy takes
    as part of the password (it reads up to the `@`) where a URL parser would stop."""
    m = re.match(r"^[a-z][a-z0-9+.\-]*://[^:/?#@]*:([^@/]*[?#][^@]*)@", url, re.I | re.S)
    if m is None:
        return None
    try:
        password = sa.engine.make_url(url).password
    except Exception:  # not a URL SQLAlchemy reads: nothing connects with it either
        return None
    return m.span(1) if password == m.group(1) else None


def absolute_file_url(url: str, base: Path | None = None) -> str:
    """A SQLite or DuckDB URL whose database file is a relative path (``sqlite:///db/crm.db``)
    with that path made absolute from `base` (None: the current folder, as `load_sql` reads
    it), so that a notebook whose kernel starts elsewhere (`notebooks/`) reads the same file;
    any other URL as it is."""
    try:
        parsed = sa.engine.make_url(url)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: `load_sql` says why
        return url
    db = parsed.database or ""
    if parsed.get_backend_name() not in {"sqlite", "duckdb"} or db in ("", ":memory:"):
        return url
    if db.startswith("file:") or Path(os.path.expanduser(db)).is_absolute():
        return url
    path = Path(db) if base is None else Path(base) / db
    return parsed.set(database=str(path.resolve())).render_as_string(hide_password=False)


def mask_url(url: str) -> str:
    """The URL with every password, token or key replaced by ``***`` (safe to print or log)."""
    for start, end in reversed(_secret_spans(url)):
        url = f"{url[:start]}***{url[end:]}"
    return url


def url_secrets(url: str) -> list[str]:
    """The secrets of `url`, as written and URL-decoded, longest first (to scrub messages)."""
    written = [url[start:end] for start, end in _secret_spans(url)]
    found = {form for s in written for form in (s, unquote(s), unquote_plus(s))}
    return sorted(found, key=len, reverse=True)


def _scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _engine(url: str, shown: str, secrets: Iterable[str]) -> sa.engine.Engine:
    try:
        parsed = sa.engine.make_url(url)
    except Exception:
        raise CRMExportError(
            "not a database URL (expected e.g. sqlite:///crm.db, duckdb:///crm.duckdb or "
            "postgresql://user:password@host/db)",
            file=shown,
        ) from None
    if parsed.host and "@" in parsed.host:  # SQLAlchemy and libpq end the password at the 1st @
        raise CRMExportError(
            "the user name or password holds an '@': write it as %40 in a URL "
            "(postgresql://user:p%40ss@host/db)",
            file=shown,
        )
    backend = parsed.get_backend_name()
    connect_args: dict = {}
    if backend in {"sqlite", "duckdb"} and parsed.database not in (None, "", ":memory:"):
        db = parsed.database
        if not db.startswith("file:") and not Path(db).is_file():
            # never let the driver create an empty database where the user meant an export
            raise CRMExportError("database file not found", file=shown)
        if not db.startswith("file:"):
            _check_driver(backend, Path(db), shown)
        if backend == "duckdb":
            # read only; and never download an extension (DuckDB fetches `sqlite_scanner`,
            # `httpfs`, ... from the network when a query needs one)
            connect_args.update(read_only=True, config={"autoinstall_known_extensions": False})
    try:
        return sa.create_engine(parsed, connect_args=connect_args)
    except sa.exc.NoSuchModuleError:
        raise CRMExportError(
            f"unknown database type {backend!r} in the URL: SQLAlchemy has no dialect for it "
            "(sqlite, duckdb, postgresql, mysql, mssql, snowflake, ... with their drivers)",
            file=shown,
        ) from None
    except ImportError as exc:
        raise CRMExportError(
            f"the Python driver for {backend!r} is not installed ({exc}); install it with pip "
            "(e.g. 'psycopg[binary]' for PostgreSQL, pymysql for MySQL, duckdb-engine for "
            "DuckDB) or name an installed driver in the URL (postgresql+psycopg2://...)",
            file=shown,
        ) from None
    except (sa.exc.ArgumentError, ValueError, TypeError) as exc:  # the dialect refuses the URL
        detail = _scrub(" ".join(str(exc).split()), secrets)
        raise CRMExportError(f"not a valid {backend} URL ({detail})", file=shown) from None


def _check_driver(backend: str, path: Path, shown: str) -> None:
    """Refuse a SQLite file named in a duckdb:// URL, or a DuckDB file in a sqlite:// one,
    before the driver tries (DuckDB would try to download its SQLite extension)."""
    kind = _sniffed(path)
    if kind is not None and kind != backend:
        names = {"sqlite": "SQLite", "duckdb": "DuckDB"}
        raise CRMExportError(
            f"a {names[kind]} database file given to the {backend} driver: write "
            f"{kind}:///{path.as_posix()} or give the file's path alone (smk tells SQLite "
            "from DuckDB files by their first bytes)",
            file=shown,
        )


def _db_call(shown: str, what: str, fn: Callable[[], T], secrets: Iterable[str] = ()) -> T:
    """Run a database call; any driver/SQLAlchemy error becomes a one-line CRMExportError."""
    try:
        return fn()
    except CRMExportError:
        raise
    except Exception as exc:
        orig: BaseException = exc
        while orig.__cause__ is not None:  # pandas wraps SQLAlchemy, which wraps the driver
            orig = orig.__cause__
        orig = getattr(orig, "orig", None) or orig
        detail = re.sub(r"\(Background on this error at: \S+\)", "", str(orig))
        detail = _scrub(" ".join(detail.split()), secrets)[:300] or type(orig).__name__
        raise CRMExportError(f"{what}: {type(orig).__name__}: {detail}", file=shown) from None


# ------------------------------------------------------------------ reading
def _read_table(
    conn: sa.Connection,
    name: str,
    schema: str | None,
    numbers: Collection[str] = (),
    native: bool = True,
) -> pd.DataFrame:
    """All rows of one table, each column as `_column` types it; `_file`, `_row`.

    `numbers`: the normalised headers that feed a number of the model (`_number_headers`);
    `native`: whether their typed numbers may stay numbers (`_column`).
    """
    query = sa.select(sa.text("*")).select_from(sa.table(name, schema=schema))
    result = conn.execution_options(stream_results=True).execute(query)
    columns = fileio._dedupe_names([str(c) for c in result.keys()])  # noqa: SIM118 - the rows
    number = [fileio.normalise_header(c) in numbers for c in columns]
    binary: dict[str, list[int]] = {}
    chunks, start = [], 0
    for rows in result.partitions(_CHUNK):
        chunks.append(_chunk(rows, columns, number, native, binary, start))
        start += len(rows)
    frame = _joined(chunks) if chunks else _chunk([], columns, number, native, binary, 0)
    frame.attrs["binary"] = binary  # read by `_binary_warnings` and `_check_binary`
    frame["_file"] = name
    frame["_row"] = pd.RangeIndex(1, len(frame) + 1)
    return frame


def _chunk(
    rows: Sequence[Sequence[object]],
    columns: list[str],
    number: list[bool],
    native: bool,
    binary: dict[str, list[int]],
    start: int,
) -> pd.DataFrame:
    """Rows as the driver returns them as a frame of `_column`s (`number[i]`: column i feeds a
    number of the model; `native`: as `_column`). Binary values that are no UTF-8 are counted
    in `binary[column]` as [first row, count] (rows counted from `start`, 1-based), for a
    warning or, in a required column, an error."""
    data = {}
    for i in range(len(columns)):  # column by column: five times faster than zip(*rows)
        objects = np.fromiter((row[i] for row in rows), dtype=object, count=len(rows))
        data[i], bad = _column(objects, number[i], native)
        if bad:
            seen = binary.setdefault(columns[i], [start + bad[0] + 1, 0])
            seen[1] += len(bad)
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    frame.columns = columns
    return frame


def _column(objects: np.ndarray, number: bool, native: bool = True) -> tuple[pd.Series, list[int]]:
    """One column from the driver's Python values, and the positions of its binary values that
    are no UTF-8 text.

    Timestamps stay native (their zone is meaningful). In a column that feeds a number of the
    model (`number`: an amount, a count) the values the database types as numbers are never
    re-read by the text rules: they stay numbers (Int64, or Float64: a Decimal's value as a
    float), or, where the column holds text too or not `native` (the load's decimal mark is
    ',', which the text rules would apply to a number's text, `99.99`), are written without a
    decimal mark (`_number_text`). All else becomes text for parsing: a number as the database
    writes it (`_number_text`: an id keeps its exact digits), binary data decoded (`_decoded`).
    """
    kind = pd.api.types.infer_dtype(objects, skipna=True)
    if kind in ("datetime", "datetime64"):
        values = _inferred(objects)
        if pd.api.types.is_datetime64_any_dtype(values):
            return pd.Series(values), []
    elif number and (
        kind in _NUMBER_KINDS
        or kind == "empty"
        or (kind in _MAY_BE_BINARY and _all_numbers(objects))
    ):
        values = _numbers(objects, kind)
        return (values if native else _neutral_texts(values)), []
    elif kind in _NUMBER_KINDS:
        return _number_texts(objects, kind), []
    elif kind in _MAY_BE_BINARY:
        texts, bad = _decoded(objects, neutral=number)
        return pd.Series(pd.array(texts, dtype="string")), bad
    elif kind in ("string", "empty"):
        return canonical_text(pa.array(objects, type=pa.string(), from_pandas=True)), []
    return pd.Series(pd.array(objects, dtype="string")), []  # dates, booleans, UUIDs, ...


def _inferred(objects: np.ndarray) -> object:
    """Python values as a nullable pandas array (Int64, string, ...); as objects if none fits."""
    try:
        return pd.array(objects)
    except (TypeError, ValueError):
        return objects


def _all_numbers(objects: np.ndarray) -> bool:
    """Whether every value (but None) is a number (a bool is none)."""
    return all(
        isinstance(v, _NUMBERS) and not isinstance(v, bool) for v in objects if v is not None
    )


def _numbers(objects: np.ndarray, kind: str) -> pd.Series:
    """Typed numbers as Int64 (integers in its range) or Float64."""
    if kind == "integer":
        try:
            return pd.Series(pd.array(objects, dtype="Int64"))
        except (OverflowError, TypeError, ValueError):
            pass  # beyond int64 (DuckDB HUGEINT): as a float, as an amount is
    return pd.Series(pd.array(objects, dtype="Float64"))


def _number_texts(objects: np.ndarray, kind: str) -> pd.Series:
    """A column of typed numbers as text, each as `_number_text` writes it (fast for the
    whole numbers that ids are)."""
    if kind == "integer":
        return pd.Series(pd.array(objects, dtype="string"))
    if kind == "decimal" and (texts := _decimal_texts(objects)) is not None:
        return texts
    floats = pd.Series(pd.array(objects, dtype="Float64"))
    whole = (floats == floats.round()) & (floats.abs() <= fileio._EXACT_INT)
    whole = whole.fillna(False).to_numpy(dtype=bool)
    out = pd.Series(pd.NA, index=floats.index, dtype="string")
    out[whole] = floats[whole].astype("Int64").astype("string")
    rest = np.flatnonzero(~whole & pd.notna(objects))
    out.iloc[rest] = [_number_text(v) for v in objects[rest]]
    return out


def _decimal_texts(objects: np.ndarray) -> pd.Series | None:
    """Decimals as the database writes them, through Arrow (`1234.50`; a whole one as its
    digits: `5` for 5.00); None where Arrow cannot (NaN, exponents): `_number_text` then."""
    try:
        arr = pa.array(objects, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if not pa.types.is_decimal(arr.type) or arr.null_count != int(pd.isna(objects).sum()):
        return None  # Arrow takes a Decimal NaN for a null
    text = pc.replace_substring_regex(arr.cast(pa.string()), r"\.0+$", "")
    if pc.any(pc.match_substring(text, "E")).as_py():
        return None
    return canonical_text(text)


def _number_text(value: int | float | Decimal, neutral: bool = False) -> str:
    """A number as text: as the database writes it, a whole one as its digits (`5` for a
    DECIMAL 5.00, `900000000000000001`; a float beyond 2**53 in scientific notation, as no
    id check takes it); or, `neutral`, with no decimal mark at all (`9999e-2` for 99.99), which
    the text rules read as the same number whichever decimal mark the column's text values show.
    """
    if isinstance(value, float):
        if not neutral or not math.isfinite(value):
            return str(fileio._excel_cell(value))
        value = Decimal(repr(value))
    if not isinstance(value, Decimal):
        return str(value)
    if not value.is_finite():
        return str(value)
    if value == value.to_integral_value():
        return str(int(value))
    if not neutral:
        return format(value, "f")
    sign, digits, exponent = value.as_tuple()
    return f"{'-' if sign else ''}{''.join(map(str, digits))}e{exponent}"


def _decoded(objects: np.ndarray, neutral: bool = False) -> tuple[np.ndarray, list[int]]:
    """A column of mixed values as text: binary values decoded as UTF-8, or as ``0x`` + hex
    where they are no UTF-8 (never an error, never a `repr`; their positions are returned),
    numbers by `_number_text` (`neutral` in a column that feeds a number of the model)."""
    out = objects.copy()
    bad = []
    for i, value in enumerate(out):
        if isinstance(value, _BINARY):
            raw = bytes(value)
            try:
                out[i] = raw.decode("utf-8")
            except UnicodeDecodeError:
                out[i] = "0x" + raw.hex()
                bad.append(i)
        elif isinstance(value, float) and math.isnan(value):
            out[i] = None
        elif isinstance(value, _NUMBERS) and not isinstance(value, bool):
            out[i] = _number_text(value, neutral)
    return out, bad


def _joined(chunks: list[pd.DataFrame]) -> pd.DataFrame:
    """The chunks of one table as one frame, each column of one type: a chunk without a value
    in a column takes the type the others give it, and a number column that holds text in some
    chunk (SQLite stores any value in any column) holds text in all, its typed numbers written
    with no decimal mark (`_number_text`), which the text rules read as they are."""
    if len(chunks) == 1:
        return chunks[0]
    for col in chunks[0].columns:
        filled = [c[col] for c in chunks if c[col].notna().any()]
        if 0 < sum(map(_is_number, filled)) < len(filled):
            for c in chunks:
                if _is_number(c[col]):
                    c[col] = _neutral_texts(c[col])
        dtypes = {c[col].dtype for c in chunks if c[col].notna().any()}
        if len(dtypes) == 1:
            dtype = dtypes.pop()
            for c in chunks:
                if c[col].dtype != dtype:
                    c[col] = pd.Series(index=c.index, dtype=dtype)
    return pd.concat(chunks, ignore_index=True)


def _is_number(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _neutral_texts(values: pd.Series) -> pd.Series:
    """Typed numbers as text with no decimal mark (`_number_text`)."""
    texts = [None if pd.isna(v) else _number_text(v, neutral=True) for v in values.astype(object)]
    return pd.Series(texts, index=values.index, dtype="string")


def _binary_warnings(frame: pd.DataFrame, table: str) -> list[str]:
    """One warning per column whose binary values were kept as hexadecimal text."""
    return [
        f"{table}: column {col!r} holds binary data that is not UTF-8 text ({count} value(s), "
        f"first at row {first}); kept as hexadecimal text (0x...)"
        for col, (first, count) in frame.attrs.get("binary", {}).items()
    ]


def _lookup(names: Iterable[str]) -> dict[str, str]:
    """Lower-cased table name -> name as the database spells it (Snowflake upper-cases)."""
    return {n.lower(): n for n in names}


def _recognised(found: dict[str, str]) -> bool:
    return any(t in found for t in TABLES) or any(
        t in found
        for t in (*_FIVETRAN, "engagement", *(f"engagement_{e}" for e in _ENGAGEMENT_TYPES))
    )


# ------------------------------------------------------------------ public entry point
def load_sql(
    url: str,
    *,
    timezone: str | None = None,
    dayfirst: bool | None = None,
    schema: str | None = None,
    decimal: str | None = None,
) -> CRM:
    """Load the CRM tables of a SQL database into the canonical, validated model.

    Parameters
    ----------
    url : SQLAlchemy URL (``sqlite:///crm.db``, ``duckdb:///crm.duckdb``,
        ``postgresql://user:pw@host/db``) or the path of a SQLite / DuckDB file.
    timezone : zone of timestamps stored without one (default UTC, as warehouses store them).
    dayfirst : day order of dates stored as ambiguous text.
    decimal : "." or ",": the decimal mark of numbers stored as text (default: per column).
    schema : database schema holding the tables (e.g. ``hubspot`` for a Fivetran connector);
        default: the connection's default schema.

    Raises
    ------
    CRMExportError
        The database cannot be reached, the URL scheme is unknown, no table has a name smk
        recognises or the tables are a Salesforce or Pipedrive sync schema, a SQLite file is
        given to the duckdb driver (or the reverse), or a SQLite database lacks `schema`; the
        message names the URL (password masked) and lists the tables found.
    """
    url = sql_url(url)
    shown, secrets = mask_url(url), url_secrets(url)
    engine = _engine(url, shown, secrets)
    options = DateOptions(timezone=timezone or "UTC", dayfirst=dayfirst, decimal=decimal)
    try:
        with _db_call(shown, "cannot connect to the database", engine.connect, secrets) as conn:
            insp = _db_call(shown, "cannot list the tables", lambda: sa.inspect(conn), secrets)
            if schema is not None and conn.dialect.name == "sqlite":
                _check_sqlite_schema(insp, schema, shown)
            # duckdb-engine lists the tables of every schema when none is named: name one
            listed = schema if schema is not None else insp.default_schema_name
            names = _db_call(
                shown,
                "cannot list the tables",
                lambda: [*insp.get_table_names(schema=listed), *insp.get_view_names(schema=listed)],
                secrets,
            )
            found = _lookup(names)
            _check_tables(conn, found, names, schema, shown, secrets)
            warnings: list[str] = []

            def read(table: str, numbers: Collection[str] = ()) -> pd.DataFrame:
                frame = _db_call(
                    shown,
                    f"cannot read table {table!r}",
                    lambda: _read_table(conn, found[table], schema, numbers, decimal != ","),
                    secrets,
                )
                warnings.extend(_binary_warnings(frame, found[table]))
                return frame

            with _in_database(shown, names):
                raw = _canonical_tables(found, read)
                synced = _fivetran_tables(found, read, skip=set(raw), warnings=warnings)
            raw.update(synced)
    finally:
        engine.dispose()
    for table, frame in raw.items():
        _told(frame, table)
    # canonical contacts take missing opportunity and customer dates from their deals; a
    # HubSpot sync's are HubSpot's own (`FormatMapping.stage_dates_from_deals`)
    step = from_deals if "contacts" not in synced else None
    with _in_database(shown, names):
        return assemble(
            raw, source=shown, format="sql", options=options, warnings=warnings, after_checks=step
        )


@contextmanager
def _in_database(shown: str, names: list[str]) -> Iterator[None]:
    """An error that names one of the database's tables as its file names the database too
    (``sqlite:///crm.db, table 'contacts'``): the user gave the database, not the table."""
    try:
        yield
    except CRMExportError as err:
        if err.file not in names:
            raise
        raise err.but(file=f"{shown}, table {err.file!r}") from None


def _check_sqlite_schema(insp: sa.Inspector, schema: str, shown: str) -> None:
    """Refuse a schema a SQLite database does not have: it has none, only attached databases
    (``main``), which SQLite would take `schema` for."""
    attached = _db_call(shown, "cannot list the attached databases", insp.get_schema_names)
    if schema.lower() not in {a.lower() for a in attached}:
        raise CRMExportError(
            f"no schema {schema!r}: a SQLite database has no schemas, only attached databases, "
            f"and this one has {', '.join(map(repr, attached))}; leave out the schema (--schema)",
            file=shown,
        )


def _check_tables(
    conn: sa.Connection,
    found: dict[str, str],
    names: list[str],
    schema: str | None,
    shown: str,
    secrets: Iterable[str] = (),
) -> None:
    """Refuse another CRM's schema as Fivetran syncs it (`_other_sync`: its `contact` or `deal`
    would be read as HubSpot's), and a database without a table smk recognises."""
    columns = _db_call(
        shown, "cannot read the tables", lambda: _synced_columns(conn, found, schema), secrets
    )
    sync = _other_sync(found, columns)
    if sync is not None:
        raise _other_sync_error(sync, found, names, shown)
    if not _recognised(found):
        raise CRMExportError(
            "no table smk recognises: expected canonical tables ("
            + ", ".join(TABLES)
            + ") or a Fivetran HubSpot schema (contact, company, deal, engagement)"
            + _other_schemas_hint(conn, schema),
            file=shown,
            found_columns=sorted(names),
            found_label="Tables found",
        )


def _synced(found: dict[str, str]) -> list[str]:
    """The HubSpot record tables (`_FIVETRAN`) smk would read: those without a canonical table."""
    return [s for s, table in _FIVETRAN.items() if s in found and table not in found]


def _synced_columns(
    conn: sa.Connection, found: dict[str, str], schema: str | None
) -> dict[str, set[str]]:
    """The lower-cased columns of the HubSpot record tables smk would read (`_synced`), as a
    query of no rows gives them (DuckDB's inspector cannot list a table's columns)."""
    columns = {}
    for table in _synced(found):
        query = sa.select(sa.text("*")).select_from(sa.table(found[table], schema=schema))
        with conn.execute(query.limit(0)) as result:
            columns[table] = {str(c).lower() for c in result.keys()}  # noqa: SIM118
    return columns


def _other_sync(found: dict[str, str], columns: dict[str, set[str]]) -> tuple | None:
    """The other CRM (an `_OTHER_SYNCS` entry) whose sync schema the tables are, or None.

    Only where smk would read a HubSpot record table (`_synced`), or recognises no table. A
    HubSpot sync's own tables (`_HUBSPOT_SYNC_ONLY`, a record table the other CRM has not) or
    its ``property_*`` columns say HubSpot, whatever else the schema holds; failing these, the
    other CRM's telling tables or two API-name columns of its table (`columns`) say it.
    """
    synced = _synced(found)
    if not synced and _recognised(found):
        return None
    if any(c.startswith(_HUBSPOT_PROPERTY) for t in synced for c in columns.get(t, ())):
        return None
    for sync in _OTHER_SYNCS:
        _, tables, telling, (table, api_names), _ = sync
        if (_HUBSPOT_SYNC_ONLY | (set(_FIVETRAN) - set(tables))) & set(found):
            continue
        told = any(t in found and canonical not in found for t, canonical in telling.items())
        if told or len(columns.get(table, set()) & api_names) >= 2:
            return sync
    return None


def _other_sync_error(
    sync: tuple, found: dict[str, str], names: list[str], shown: str
) -> CRMExportError:
    """The refusal of another CRM's sync schema: what smk reads of a database, what instead."""
    crm, tables, _, _, instead = sync
    synced = _synced(found)
    lead_in = "the database's tables"
    if synced:
        source, table = synced[0], _FIVETRAN[synced[0]]
        lead_in = (
            f"smk reads a database with a {source!r} table and no canonical {table!r} table "
            "as a HubSpot schema synced by Fivetran, but its tables"
        )
    return CRMExportError(
        f"{lead_in} ({', '.join(t for t in tables if t in found)}) are those of a {crm} sync "
        "schema, which smk does not read (it reads a database's canonical tables or a HubSpot "
        f"schema synced by Fivetran): {instead}, or write the model's canonical tables ("
        + ", ".join(TABLES)
        + ") into the database, e.g. views or a dbt model that rename the columns "
        '(docs/mappings.md, "SQL databases")',
        file=shown,
        found_columns=sorted(names),
        found_label="Tables found",
    )


def _other_schemas_hint(conn: sa.Connection, schema: str | None) -> str:
    """Name another schema whose tables smk reads (Fivetran writes one per connector), else
    one that holds another CRM's sync schema, which smk refuses (`_other_sync`)."""
    insp = sa.inspect(conn)
    try:
        schemas = [s for s in insp.get_schema_names() if s != schema]
    except Exception:
        return ""
    refused = ""
    for name in schemas:
        # DuckDB names schemas `catalog.schema`; the short name is what users type
        for candidate in dict.fromkeys([name.split(".")[-1], name]):
            try:
                found = _lookup(insp.get_table_names(schema=candidate))
                sync = _other_sync(found, _synced_columns(conn, found, candidate))
            except Exception:
                continue
            if sync is None and _recognised(found):
                return (
                    f"; schema {candidate!r} has some: pass schema={candidate!r} "
                    f"(smk validate/report: --schema {candidate})"
                )
            if sync is not None and not refused:
                refused = (
                    f"; schema {candidate!r} holds a {sync[0]} sync schema, which smk does not "
                    f"read: {sync[4]}"
                )
    return refused


# ------------------------------------------------------------------ canonical shape
def _canonical_tables(found: dict[str, str], read: Reader) -> dict[str, pd.DataFrame]:
    mapping = canonical_mapping()
    raw = {}
    for table in TABLES:
        if table in found:
            tm = mapping.tables[table]
            frame = read(table, _number_headers(tm, table))
            raw[table] = _mapped(frame, table, tm)
    return raw


def _number_headers(tm: TableMapping, table: str) -> frozenset[str]:
    """The normalised headers that feed a number of the model's `table` (an amount, a count):
    their typed numbers are read as numbers (`_column`)."""
    return frozenset(
        fileio.normalise_header(header)
        for col, kind in SCHEMA[table].items()
        if kind in ("float", "int")
        for header in (col, *tm.columns.get(col, ()))
    )


#: what deals at stages smk cannot tell open from closed need, by the table they come from
#: (`_told`): a database is read without a mapping file, so the advice for files is no help
_STAGE_REMEDIES = {
    "deal": (
        "list their stages in the deal_pipeline_stage table with closed_won and is_closed "
        "set, or sync the deals' hs_is_closed and hs_is_closed_won properties (columns "
        "property_hs_is_closed, property_hs_is_closed_won)"
    ),
    "deals": "fill the deals table's is_closed and is_won columns (true or false)",
}


def _told(frame: pd.DataFrame, table: str) -> None:
    """Add to `frame`'s warnings one for each `derive` rule's values smk cannot tell (the deal
    stages it cannot tell open from closed), as `mapping.read_table` does for files, with
    the advice for the database table they come from (`_STAGE_REMEDIES`)."""
    source = str(frame["_file"].iloc[0]).lower() if len(frame) else table
    remedy = _STAGE_REMEDIES.get(source, _STAGE_REMEDIES["deals"])
    for col, origin, counts in frame.attrs.pop("untold", ()):
        if counts:
            frame.attrs.setdefault("warnings", []).append(
                untold_warning(table, col, origin, Counter(counts), remedy)
            )


def _mapped(frame: pd.DataFrame, table: str, tm: TableMapping) -> pd.DataFrame:
    """map_frame for a table: no report footers in a database, `_file` is the table name."""
    name = str(frame["_file"].iloc[0]) if len(frame) else table
    _check_binary(frame, table, tm, name)
    out = map_frame(frame, table, tm, Path(name))
    said = out["_reason"].astype("string")  # no report footers in a database: the rules' own
    own = said.isin([TASK_NOT_DONE, INBOUND_EMAIL, DELETED_IN_CRM]).fillna(False)
    out["_reason"] = said.where(own)
    return out


def _check_binary(frame: pd.DataFrame, table: str, tm: TableMapping, name: str) -> None:
    """A required column read from binary data that is no UTF-8 text is fatal: its
    hexadecimal form would not match the ids or dates it stands for."""
    binary = frame.attrs.get("binary") or {}
    if not binary:
        return
    headers = {fileio.normalise_header(c): c for c in frame.columns}
    for col in REQUIRED.get(table, ()):
        aliases = (fileio.normalise_header(a) for a in tm.columns.get(col, [col]))
        source = next((headers[a] for a in aliases if a in headers), None)
        if source in binary:
            first, count = binary[source]
            raise CRMExportError(
                f"the {table} table's required {col!r} is read from a column of binary data "
                f"that is not UTF-8 text ({count} value(s)): store it as text, or load a view "
                "that converts it",
                file=name,
                column=source,
                row=first,
            )


# ------------------------------------------------------------------ Fivetran HubSpot shape
def _fivetran_tables(
    found: dict[str, str],
    read: Reader,
    *,
    skip: set[str],
    warnings: list[str],
) -> dict[str, pd.DataFrame]:
    """The canonical tables a Fivetran HubSpot schema provides (those not in `skip`)."""
    hubspot = builtin_mapping("hubspot")
    raw: dict[str, pd.DataFrame] = {}
    for source, table in _FIVETRAN.items():
        if source not in found or table in skip:
            continue
        tm = replace(hubspot.tables[table], deleted_flags=list(SYNC_DELETED))
        frame = read(source, _number_headers(tm, table))
        out = _mapped(frame, table, tm)
        if table == "deals":
            out = _resolve_deals(out, frame, found, read, tm)
        if table in _MERGE_TABLES and _MERGE_TABLES[table][0] in found:
            _merge_table(out, table, read(_MERGE_TABLES[table][0]), warnings)
        raw[table] = out
    if "activities" not in skip:
        activities = _engagements(found, read, hubspot.tables["activities"], warnings)
        if activities is not None:
            raw["activities"] = activities
    return raw


def _merge_table(out: pd.DataFrame, table: str, merges: pd.DataFrame, warnings: list[str]) -> None:
    """The absorbed ids of a merges table (`_MERGE_TABLES`: ``contact_merge_audit``,
    ``merged_deal``) added to their survivors' ``merged_ids`` (`smk.io.merges`); merges whose
    survivor the table does not hold are said in a warning, not read."""
    name, survivor, absorbed = _MERGE_TABLES[table]
    kept, lost = _col(merges, survivor), _col(merges, absorbed)
    key = PRIMARY_KEYS[table]
    if kept is None or lost is None or merges.empty or key not in out:
        return
    pairs = merges.loc[~marked_deleted(merges), [kept, lost]].dropna().astype("string")
    listed = pairs.groupby(kept, sort=True)[lost].agg(MULTI_SEPARATOR.join)
    ids = out[key].astype("string")
    found = ids.map(listed).astype("string")
    unknown = int((~pairs[kept].isin(set(ids.dropna()))).sum())
    if unknown:
        warnings.append(
            f"{table}: {unknown} {'row' if unknown == 1 else 'rows'} of {name} "
            f"{'names' if unknown == 1 else 'name'} a surviving record the {table} table does "
            f"not hold ({survivor}): not read"
        )
    if not found.notna().any():
        return
    own = as_text(out[MERGED_IDS]) if MERGED_IDS in out else pd.Series(pd.NA, index=out.index)
    own = own.astype("string")
    out[MERGED_IDS] = (own + ";" + found).fillna(own).fillna(found)


def _has_alias(frame: pd.DataFrame, tm: TableMapping, col: str) -> bool:
    headers = {fileio.normalise_header(c) for c in frame.columns}
    return any(fileio.normalise_header(a) in headers for a in tm.columns.get(col, []))


def _col(frame: pd.DataFrame, *names: str) -> str | None:
    """The first of `names` that `frame` has (case-insensitive), as the frame spells it."""
    lower = {c.lower(): c for c in frame.columns}
    return next((lower[n] for n in names if n in lower), None)


def _resolve_deals(
    out: pd.DataFrame,
    frame: pd.DataFrame,
    found: dict[str, str],
    read: Reader,
    tm: TableMapping,
) -> pd.DataFrame:
    """Stage/pipeline ids -> labels and won/closed flags; contact/company associations."""
    if "deal_pipeline_stage" in found and "stage" in out:
        _resolve_stages(out, frame, read("deal_pipeline_stage"), tm)
    if "deal_pipeline" in found and "pipeline" in out:
        pipes = read("deal_pipeline")
        pid, label = _col(pipes, "pipeline_id", "id"), _col(pipes, "label")
        if pid is not None and label is not None:
            labels = pipes.drop_duplicates(pid).set_index(pid)[label]
            out["pipeline"] = out["pipeline"].map(labels).astype("string").fillna(out["pipeline"])
    for assoc, col, other in (
        ("deal_contact", "contact_id", "contact_id"),
        ("deal_company", "account_id", "company_id"),
    ):
        if assoc in found and "deal_id" in out:
            links = read(assoc)
            _fill_association(
                out, "deal_id", links, _col(links, "deal_id"), _col(links, other), col
            )
    return out


def _resolve_stages(
    out: pd.DataFrame, frame: pd.DataFrame, stages: pd.DataFrame, tm: TableMapping
) -> None:
    """Stage ids -> labels, and won/closed flags by `_stage_flags` unless the deal has its own;
    the stages smk cannot tell open from closed counted again (`_untold_stages`)."""
    sid, label = _col(stages, "stage_id", "id"), _col(stages, "label")
    if sid is None:
        return
    stages = stages.drop_duplicates(sid).set_index(sid)
    known = out["stage"].isin(stages.index)
    out["stage_id"] = out["stage"]
    flags = _stage_flags(stages, tm)
    for col in ("is_won", "is_closed"):
        # the deal's own hs_is_closed... wins where it has a value: a blank one (synced
        # before the property existed) is the stage table's, not the stage id's pattern
        text = flags[col].map({True: "true", False: "false"}).astype("string")
        listed = known.to_numpy(dtype=bool) & _blank_flags(frame, tm, col)
        out[col] = out["stage"].map(text).astype("string").where(listed, out.get(col))
    if label is not None:
        out["stage"] = out["stage"].map(stages[label]).astype("string").where(known, out["stage"])
    told = stages.index[flags["told"].to_numpy(dtype=bool)]
    _untold_stages(out, told, tm, _blank_flags(frame, tm, "is_closed"))
    _lost_stages(out, frame, stages.index[flags["won_told"].to_numpy(dtype=bool)], tm)


def _blank_flags(frame: pd.DataFrame, tm: TableMapping, col: str) -> np.ndarray:
    """The rows whose own flag `col` the deal table leaves blank: all when it has no column
    for it (`_has_alias`)."""
    headers = {fileio.normalise_header(c): c for c in frame.columns}
    aliases = (fileio.normalise_header(a) for a in tm.columns.get(col, []))
    own = next((headers[a] for a in aliases if a in headers), None)
    if own is None:
        return np.ones(len(frame), dtype=bool)
    return as_text(clean_text(frame[own])).isna().to_numpy(dtype=bool)


def _untold_stages(out: pd.DataFrame, told: pd.Index, tm: TableMapping, blank: np.ndarray) -> None:
    """Count again, in `out.attrs["untold"]`, the deals at stages smk cannot tell open from
    closed (`map_frame` counted the stage ids): the open deals at a stage that
    ``deal_pipeline_stage`` does not list, or lists with nothing that tells (`told`: its
    closed flag or probability), whose stage (label, else id) the rule does not name, bar
    the rows `map_frame` sets aside (deleted in the CRM, as `map_frame`'s own count), of the
    deals whose own closed flag is `blank` (all, without the column)."""
    rule = tm.derive.get("is_closed")
    if rule is None or "false_for" not in rule or not blank.any():
        return
    taken_open = out["is_closed"].eq("false").fillna(False).to_numpy(dtype=bool)
    kept = out["_reason"].isna().to_numpy(dtype=bool) if "_reason" in out else True
    untold = taken_open & kept & blank & ~out["stage_id"].isin(told).to_numpy(dtype=bool)
    counts = untold_counts(as_text(clean_text(out["stage"]))[untold], rule)
    kept = [u for u in out.attrs.get("untold", ()) if u[0] != "is_closed"]
    out.attrs["untold"] = [*kept, ("is_closed", rule["from"], counts)]


def _lost_stages(out: pd.DataFrame, frame: pd.DataFrame, told: pd.Index, tm: TableMapping) -> None:
    """Count again, in `out.attrs["untold"]`, the closed deals taken as lost at a stage that
    names no loss (`mapping.lost_untold`: `map_frame` counted them by stage id, before the
    stage table won some): those whose own won flag is blank and whose stage
    ``deal_pipeline_stage`` does not tell won or lost (`told`: its closed_won or
    probability), by stage (label, else id), bar the rows `map_frame` sets aside."""
    if not {"is_closed", "is_won"} <= set(tm.derive):
        return
    blank = _blank_flags(frame, tm, "is_won") & ~out["stage_id"].isin(told).to_numpy(dtype=bool)
    won = parse_bools(out["is_won"])[0].where(blank)
    by_rule = pd.Series(_blank_flags(frame, tm, "is_closed"), index=out.index)
    aside = out["_reason"].notna().to_numpy(dtype=bool)  # `map_frame`'s reasons
    stage = as_text(clean_text(out["stage"]))
    counted = lost_untold(stage, out["is_closed"], won, by_rule, tm, aside)
    keys = {key for key, _, _ in counted}
    out.attrs["untold"] = [*(u for u in out.attrs.get("untold", ()) if u[0] not in keys), *counted]


def _stage_flags(stages: pd.DataFrame, tm: TableMapping) -> pd.DataFrame:
    """Won and closed per stage of ``deal_pipeline_stage`` (indexed by stage id), and whether
    its row tells open from closed (``told``: a closed flag, or a probability that says) and
    won from lost (``won_told``: closed_won, or a probability that says).

    Fivetran's ``closed_won`` (and ``is_closed``, which older syncs carry) decide where set.
    Otherwise a stage is won at probability 1 and closed at probability 0 or 1 (HubSpot fixes
    closed-won at 100 % and closed-lost at 0 %) in a pipeline that uses probabilities (some
    stage between 0 and 1), or when the mapping's ``derive`` rule matches its label ("Closed
    Won", "Closed Lost"): a custom pipeline's stage id is a number that says neither.
    """
    label = _col(stages, "label")
    names = stages[label] if label is not None else stages.index.to_series(index=stages.index)
    won_at, end_at, said = _probability_ends(stages)
    won = _flag(stages, "closed_won").fillna(won_at | _derived(names, tm, "is_won"))
    flag = _flag(stages, "is_closed")
    closed = flag.fillna(won | end_at | _derived(names, tm, "is_closed"))
    told = flag.notna().to_numpy(dtype=bool) | said.to_numpy(dtype=bool)
    won_told = _flag(stages, "closed_won").notna().to_numpy(dtype=bool) | said.to_numpy(dtype=bool)
    return pd.DataFrame(
        {"is_won": won, "is_closed": closed, "told": told, "won_told": won_told},
        index=stages.index,
    )


def _flag(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column `name` read as flags (boolean, <NA> where blank or missing)."""
    col = _col(frame, name)
    if col is None:
        return pd.Series(pd.NA, index=frame.index, dtype="boolean")
    return parse_bools(frame[col])[0]


def _derived(names: pd.Series, tm: TableMapping, col: str) -> pd.Series:
    """Whether the mapping's `derive` rule for `col` (e.g. ``^closed``) matches `names`."""
    rule = tm.derive.get(col)
    if rule is None:
        return pd.Series(False, index=names.index)
    hits = as_text(clean_text(names)).str.contains(rule["pattern"], regex=True, flags=re.I)
    return hits.fillna(False).astype(bool)


def _probability_ends(stages: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Stages at probability 1, and at 0 or 1, in pipelines whose stages use probabilities;
    and the stages whose probability so says open or closed (any, in such a pipeline)."""
    col, pipe = _col(stages, "probability"), _col(stages, "pipeline_id")
    p = (
        pd.to_numeric(stages[col], errors="coerce")
        if col is not None
        else pd.Series(pd.NA, index=stages.index, dtype="Float64")
    )
    group = stages[pipe].fillna("") if pipe is not None else pd.Series("", index=stages.index)
    used = (p.gt(0) & p.lt(1)).fillna(False).groupby(group).transform("any").astype(bool)
    said = p.notna().to_numpy(dtype=bool) & used
    return (p.eq(1).fillna(False) & used), ((p.eq(0) | p.eq(1)).fillna(False) & used), said


def _fill_association(
    out: pd.DataFrame,
    key: str,
    links: pd.DataFrame,
    link_key: str | None,
    link_value: str | None,
    col: str,
) -> None:
    """Fill `out[col]` with the first associated id (all of them in `<col>s_all` if several)."""
    if link_key is None or link_value is None or links.empty:
        return
    pairs = links.loc[~marked_deleted(links), [link_key, link_value]].dropna()
    pairs = pairs.drop_duplicates()
    first = pairs.drop_duplicates(link_key).set_index(link_key)[link_value]
    current = out[col] if col in out else pd.Series(pd.NA, index=out.index, dtype="string")
    out[col] = current.astype("string").fillna(out[key].map(first).astype("string"))
    counts = pairs.groupby(link_key)[link_value].size()
    if (counts > 1).any():
        joined = pairs.groupby(link_key, sort=False)[link_value].agg(MULTI_SEPARATOR.join)
        out[f"{col}s_all"] = out[key].map(joined).astype("string")


def _detail_values(part: pd.DataFrame, kind: str, source: tuple) -> pd.Series | object:
    """The first of a `_DETAIL_COLUMNS` `source`'s columns that the `engagement_<kind>` table
    `part` has, if it is that source's type (<NA> otherwise)."""
    of_type, names = source
    col = _col(part, *names) if kind == of_type else None
    return part[col] if col is not None else pd.NA


def _engagements(
    found: dict[str, str],
    read: Reader,
    tm: TableMapping,
    warnings: list[str],
) -> pd.DataFrame | None:
    """Fivetran HubSpot engagements -> activities (type, time, owner, contact, deal)."""
    typed = [t for t in _ENGAGEMENT_TYPES if f"engagement_{t}" in found]
    if "engagement" not in found and not typed:
        return None
    if "engagement_contact" not in found:
        warnings.append(
            "activities: engagement tables found but no engagement_contact table to link them "
            "to contacts; activities not loaded"
        )
        return None
    details = []
    for t in typed:
        part = read(f"engagement_{t}")
        key = _col(part, "engagement_id", "id")
        if key is None:
            continue
        details.append(
            pd.DataFrame(
                {
                    "activity_id": part[key],
                    "type": t,
                    "_t": part[_col(part, "property_hs_timestamp")]
                    if _col(part, "property_hs_timestamp")
                    else pd.NA,
                    "_o": part[_col(part, "property_hubspot_owner_id")]
                    if _col(part, "property_hubspot_owner_id")
                    else pd.NA,
                    "_file": part["_file"],
                    "_row": part["_row"],
                    "_del": marked_deleted(part),
                    **{c: _detail_values(part, t, src) for c, src in _DETAIL_COLUMNS.items()},
                }
            )
        )
    detail = pd.concat(details, ignore_index=True) if details else None
    if "engagement" in found:
        base = read("engagement")
        rename = {
            _col(base, "id"): "activity_id",
            _col(base, "type"): "type",
            _col(base, "timestamp"): "occurred_at",
            _col(base, "owner_id"): "owner_id",
        }
        frame = base.rename(columns={k: v for k, v in rename.items() if k is not None})
        deleted = marked_deleted(base)
        if detail is not None and "activity_id" in frame:
            per_id = detail.drop_duplicates("activity_id").set_index("activity_id")
            ids = frame["activity_id"]
            when = ids.map(per_id["_t"])
            frame["occurred_at"] = (
                frame["occurred_at"].astype(object).where(frame["occurred_at"].notna(), when)
                if "occurred_at" in frame
                else when
            )
            who = ids.map(per_id["_o"]).astype("string")
            frame["owner_id"] = (
                frame["owner_id"].astype("string").fillna(who) if "owner_id" in frame else who
            )
            if "type" not in frame:
                frame["type"] = ids.map(per_id["type"]).astype("string")
            for col in _DETAIL_COLUMNS:
                frame[col] = ids.map(per_id[col])
    elif detail is not None:
        frame = detail.rename(columns={"_t": "occurred_at", "_o": "owner_id"})
        deleted = frame.pop("_del")
    else:
        return None
    for assoc, col in (("engagement_contact", "contact_id"), ("engagement_deal", "deal_id")):
        if assoc in found and "activity_id" in frame:
            links = read(assoc)
            _fill_association(
                frame, "activity_id", links, _col(links, "engagement_id"), _col(links, col), col
            )
    out = _mapped(frame.reset_index(drop=True), "activities", tm)
    out["_file"] = frame["_file"].to_numpy()
    out["_reason"] = out["_reason"].mask(pd.Series(deleted).to_numpy(), _DELETED)
    return out
