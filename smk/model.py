"""The canonical CRM data model: six tables every loader produces and every analysis reads.

The schema lives in one place (`SCHEMA`) so that loaders, validation, the Parquet cache, the
synthetic generator and the docs (`docs/data-model.md`) agree on column names and dtypes.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from smk.checks import is_whole
from smk.errors import CRMExportError, NoDataError
from smk.periods import as_of_time

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; leftovers are then told by their age alone
    fcntl = None

#: Lifecycle stages in funnel order (HubSpot's default vocabulary, lower-cased and shortened).
STAGES: tuple[str, ...] = (
    "subscriber",
    "lead",
    "mql",
    "sql",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
#: Column holding the date a contact first reached each stage.
STAGE_DATE_COLUMNS: dict[str, str] = {s: f"became_{s}_at" for s in STAGES if s != "other"}

#: Marketing channels, shared by contacts.original_source, touchpoints.channel and spend.channel.
#: They follow HubSpot's source vocabulary; `offline` covers events, trade shows and imports.
CHANNELS: tuple[str, ...] = (
    "organic_search",
    "paid_search",
    "email",
    "organic_social",
    "paid_social",
    "referral",
    "direct",
    "offline",
    "other_campaigns",
    "other",
)
TOUCH_TYPES: tuple[str, ...] = (
    "visit",
    "form",
    "email_click",
    "ad_click",
    "event",
    "content",
    "chat",
    "other",
)
ACTIVITY_TYPES: tuple[str, ...] = ("call", "email", "meeting", "task")

# Column kinds: id (string key), str, datetime (tz-aware UTC), float, int (nullable), bool
# (nullable), month (first day of the month, tz-naive), and the vocabulary kinds stage, channel,
# touch_type and activity_type (strings restricted to the tuples above).
_CONTACTS = {
    "contact_id": "id",
    "email": "str",
    "account_id": "id",
    "created_at": "datetime",
    "lifecycle_stage": "stage",
    **{col: "datetime" for col in STAGE_DATE_COLUMNS.values()},
    "original_source": "channel",
    "original_source_detail": "str",
    "owner_id": "id",
    "country": "str",
    "job_title": "str",
}
SCHEMA: dict[str, dict[str, str]] = {
    "contacts": _CONTACTS,
    "accounts": {
        "account_id": "id",
        "name": "str",
        "industry": "str",
        "employees": "int",
        "annual_revenue": "float",
        "country": "str",
        "created_at": "datetime",
    },
    "deals": {
        "deal_id": "id",
        "account_id": "id",
        "contact_id": "id",
        "pipeline": "str",
        "stage": "str",
        "created_at": "datetime",
        "closed_at": "datetime",
        "is_closed": "bool",
        "is_won": "bool",
        "amount": "float",
        "currency": "str",
        "product": "str",
        "owner_id": "id",
        "lost_reason": "str",
    },
    "touchpoints": {
        "touchpoint_id": "id",
        "contact_id": "id",
        "occurred_at": "datetime",
        "channel": "channel",
        "campaign": "str",
        "touch_type": "touch_type",
    },
    "activities": {
        "activity_id": "id",
        "contact_id": "id",
        "deal_id": "id",
        "occurred_at": "datetime",
        "type": "activity_type",
        "owner_id": "id",
    },
    "spend": {
        "month": "month",
        "channel": "channel",
        "campaign": "str",
        "amount": "float",
        "currency": "str",
    },
}
TABLES: tuple[str, ...] = tuple(SCHEMA)

#: Columns without which a table cannot be used at all (missing -> CRMExportError).
REQUIRED: dict[str, tuple[str, ...]] = {
    "contacts": ("contact_id", "created_at"),
    "accounts": ("account_id",),
    "deals": ("deal_id", "created_at"),
    "touchpoints": ("contact_id", "occurred_at", "channel"),
    "activities": ("contact_id", "occurred_at", "type"),
    "spend": ("month", "channel", "amount"),
}
#: Columns the report's pages read beyond the required ones: when one is empty in every loaded
#: row (most often: no header of the export maps to it, as in an export with translated or
#: renamed headers), a warning names it and the export's headers that were kept unmapped.
EXPECTED: dict[str, tuple[str, ...]] = {
    "contacts": ("email", "lifecycle_stage", "original_source", "owner_id"),
    "deals": ("stage", "amount"),
    "touchpoints": (),
    "accounts": (),
    "activities": (),
    "spend": (),
}
#: Lead scoring and account segmentation, the analyses that build features from columns of
#: `FEATURE_SOURCES`, as its warnings name them.
LEAD_SCORING, SEGMENTATION = "lead scoring", "account segmentation"
#: Columns the analyses build features from (beyond `EXPECTED`), by table, with the analyses
#: that read each: `smk.scoring.features._COLUMNS`, `smk.segmentation.FIRMOGRAPHIC_SOURCES`.
#: An analysis leaves out the features of a column empty in every loaded row (the export has
#: no column for it), and a warning says which (`smk.io.validate`).
FEATURE_SOURCES: dict[str, dict[str, tuple[str, ...]]] = {
    "contacts": {
        "job_title": (LEAD_SCORING,),
        "country": (LEAD_SCORING,),
        "original_source_detail": (LEAD_SCORING,),
    },
    "accounts": {
        "industry": (LEAD_SCORING, SEGMENTATION),
        "country": (SEGMENTATION,),
        "employees": (LEAD_SCORING, SEGMENTATION),
        "annual_revenue": (LEAD_SCORING, SEGMENTATION),
    },
}
#: Primary key of each table (None: no single-column key).
#: Set-aside reasons that are the model's own rules, not faults of the export: one person's
#: records folded into one, records the CRM marks deleted, campaign members who never responded,
#: the rows of a Salesforce lead history, the footer lines of a report download.
#: A data-quality page counts them apart, so that they do not read as problems to fix.
MERGED_SAME_EMAIL = "merged into contact with same email"
MERGED_CONVERTED_LEAD = "converted lead merged into contact"
#: a record the CRM merged into another (HubSpot's `hs_merged_object_ids` of the survivor,
#: a mapping's `merged_ids`) that the export still holds as a row of its own: the survivor is
#: loaded, and rows naming the merged record are re-pointed at it (`smk.io.merges`)
MERGED_IN_CRM = "merged into another record in the CRM"
#: Salesforce: a converted Lead whose Contact is in the export but marked deleted (the person
#: is deleted: the lead does not stand in for the contact)
CONVERTED_INTO_DELETED = "converted lead of a deleted contact"
DELETED_IN_SALESFORCE = "deleted in Salesforce"
DELETED_IN_CRM = "deleted in the CRM"
NO_RESPONSE = "campaign member did not respond"
#: a task nobody has done (Salesforce: a `Status` such as "Not Started" or "Deferred", or
#: `IsClosed` false): a reminder, not sales work, so it never counts as a touch of the lead
TASK_NOT_DONE = "task not done"
#: a Salesforce Task or Event logged on a business account (`WhatId` an Account, no `WhoId`):
#: work on a company, of no person, so of no lead's funnel
ACCOUNT_ACTIVITY = "logged on an account, no person"
#: a Salesforce Task or Event related to no one and nothing (no `WhoId`, no `WhatId`): an
#: internal calendar item or a personal to-do ("Vacation", "Team weekly"), of no lead's funnel
INTERNAL_ACTIVITY = "related to no person or record"
#: a Salesforce Task or Event logged on a record that is neither a person, an account nor a
#: deal (no `WhoId`, its `WhatId` a Case `500...`, a Contract `800...`, a Campaign `701...`,
#: a custom object): support or contract work, of no lead's funnel
OTHER_RECORD_ACTIVITY = "logged on another record, no person"
#: Salesforce LeadHistory (the Lead's field history): a row is no record of the model. A change
#: of the Lead's `Status` is read into the stage dates of the person the lead is
#: (`smk.io.salesforce`); a change of another field (`Owner`, `created`, `leadConverted`, ...)
#: says nothing the model holds
LEAD_STATUS_READ = "lead status change read into contact"
LEAD_OTHER_FIELD = "lead history of another field"
#: a Status change of a lead whose person was set aside for a fault of its own row (the lead's
#: or its contact's `unparseable created_at`, ...): the person's fault is counted once, there
LEAD_STATUS_OF_SET_ASIDE = "lead status change of a contact set aside"
#: how the rows of a Salesforce LeadHistory are told in the contacts' account (all set aside):
#: by this extra column and value
LEAD_HISTORY_ROWS = ("salesforce_object", "LeadHistory")
#: A contact's details as they were when it was a new lead, in extra columns that lead scoring
#: reads instead of the canonical ones (`smk.scoring.lead_features`): canonical column -> extra
#: column. The Salesforce loader writes them: a person that began as a Lead has its Lead's
#: (the account its `Company` names, matched by name for converted and unconverted leads alike,
#: its `Title` and `Country`), not the Contact's, created at conversion; another person its
#: Contact's. Other formats have none: scoring reads the canonical columns.
AS_LEAD_COLUMNS: dict[str, str] = {
    "account_id": "salesforce_lead_account_id",
    "job_title": "salesforce_lead_job_title",
    "country": "salesforce_lead_country",
}
#: The extra column of the contacts keeping, as the export writes it, a lifecycle stage smk
#: does not know (a HubSpot custom stage, `Sales Accepted Lead`, or its id `124866084`): its
#: `lifecycle_stage` reads `other`, but it is not the CRM's own Other stage (a disqualified
#: contact), which the SLA rejects (`smk.sla.mql_leads`). A column only when some contact has one.
UNKNOWN_STAGE = "lifecycle_stage_raw"
#: The extra column of a deal's or an activity's every contact id, `;`-separated, its
#: `contact_id` among them (HubSpot's "Associated Contact IDs", a sync's association table,
#: Salesforce's contact roles): `smk.sla.deal_contacts` judges a deal by them all.
CONTACT_LISTS = "contact_ids_all"
#: an e-mail the contact sent (HubSpot: engagement type or e-mail direction `INCOMING_EMAIL`)
#: or one a rep received and forwarded to the CRM to log it (`FORWARDED_EMAIL`): the lead's
#: own work, not sales work, so it never counts as a touch of the lead
INBOUND_EMAIL = "inbound email"
#: a line of a report download's footer ("Grand Totals (n records)", the confidentiality and
#: copyright lines): part of the export's format. The blank lines of that footer are set aside
#: as `EMPTY_ROW` and counted by design by their place (`smk.quality.set_aside_counts`).
REPORT_FOOTER = "report footer"
#: a row with no value in any cell of its file (judged before a loader fills one, a type from
#: the file's name, a Salesforce checkbox's false) or in any column of the model: a fault of
#: the export inside its data
EMPTY_ROW = "empty row"
#: Salesforce: a row of an opportunity report with contact roles ("Opportunities with Contact
#: Roles": a row per opportunity and role) other than the one its deal is loaded from (the
#: primary role's, else the first): its role is read as an OpportunityContactRole's
OTHER_CONTACT_ROLE = "another contact role of an opportunity"
#: a record's copy in one export of a table when a later export of it, in the same folder,
#: holds the record too (two downloads of one view): the newest copy is loaded
#: (`smk.io.validate`)
OLDER_COPY = "older copy of a record in a later export"
#: a deal of a pipeline the report's setting `pipelines` leaves out (`CRM.of_pipelines`): a
#: choice of what the deal analyses count (new business, not renewals), not a fault
PIPELINE_NOT_REPORTED = "pipeline not reported on"
#: a touchpoint or activity whose contact the CRM marks deleted (set aside as above); a deal
#: naming a deleted contact or account is loaded with no contact or account instead
#: (`smk.io.validate`), so no row gets the account_id reason any more
PARENT_DELETED = {col: f"{col} deleted in the CRM" for col in ("contact_id", "account_id")}
BY_DESIGN_REASONS: frozenset[str] = frozenset(
    {
        MERGED_SAME_EMAIL,
        MERGED_CONVERTED_LEAD,
        MERGED_IN_CRM,
        CONVERTED_INTO_DELETED,
        DELETED_IN_SALESFORCE,
        DELETED_IN_CRM,
        NO_RESPONSE,
        TASK_NOT_DONE,
        ACCOUNT_ACTIVITY,
        INTERNAL_ACTIVITY,
        OTHER_RECORD_ACTIVITY,
        LEAD_STATUS_READ,
        LEAD_OTHER_FIELD,
        LEAD_STATUS_OF_SET_ASIDE,
        INBOUND_EMAIL,
        REPORT_FOOTER,
        OLDER_COPY,
        OTHER_CONTACT_ROLE,
        PIPELINE_NOT_REPORTED,
    }
    | set(PARENT_DELETED.values())
)

PRIMARY_KEYS: dict[str, str | None] = {
    "contacts": "contact_id",
    "accounts": "account_id",
    "deals": "deal_id",
    "touchpoints": "touchpoint_id",
    "activities": "activity_id",
    "spend": None,
}

#: The id a touchpoint gets when its row has none (`tp-<file>-<row>`, `smk.io.validate`)
NUMBERED_TOUCHPOINT_ID = r"tp-.+-\d+"


def order_touches(ids: pd.Series, content: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """Positions that sort touches by `keys` (the first the most significant, e.g. contact
    and time), those equal on every key by touchpoint_id (`ids`), then by `content` (ranks,
    e.g. channel codes in channel name order): never by the export's row order. A numbered
    id (the export gave none) is that row order, so it is not compared: such touches are
    ordered by their content."""
    text = ids.astype("string")
    real = text.mask(text.str.fullmatch(NUMBERED_TOUCHPOINT_ID).fillna(False).to_numpy(bool))
    id_rank = pd.factorize(real, sort=True)[0]
    return np.lexsort((content, id_rank, *reversed(keys)))


VOCABULARIES: dict[str, tuple[str, ...]] = {
    "stage": STAGES,
    "channel": CHANNELS,
    "touch_type": TOUCH_TYPES,
    "activity_type": ACTIVITY_TYPES,
}

_DTYPES = {
    "id": "string",
    "str": "string",
    "datetime": "datetime64[ns, UTC]",
    "float": "float64",
    "int": "Int64",
    "bool": "boolean",
    "month": "datetime64[ns]",
}


def dtype_of(kind: str) -> str:
    """pandas dtype used for a column kind (vocabulary kinds are strings)."""
    return _DTYPES.get(kind, "string")


def _naive_times(values: pd.Series) -> bool:
    """Whether `values` are timestamps without a time zone (a datetime64 column without one)."""
    return (
        pd.api.types.is_datetime64_dtype(values.dtype) and getattr(values.dtype, "tz", None) is None
    )


#: Floats hold every whole number below this exactly; a larger float id may have lost digits.
_EXACT_FLOAT = 2**53


def _id_kind(value) -> str:
    """ "text", "whole" (an int, or a float holding one exactly), "inexact" (a whole float
    too large to be exact) or "other" (a fraction, a bool, a date, ...): how an id of a CRM
    built by hand is read (`_text_ids`)."""
    if isinstance(value, str):
        return "text"
    if isinstance(value, Decimal):  # exact, however large: 3, 4.0 and 1E+30 are whole
        return "whole" if value.is_finite() and value == value.to_integral_value() else "other"
    if not is_whole(value):
        return "other"
    exact = isinstance(value, int | np.integer) or abs(value) < _EXACT_FLOAT
    return "whole" if exact else "inexact"


#: What an id column of each refused kind holds, as `_text_ids` says it.
_REFUSED_IDS = {
    "other": "holds a value that is neither text nor a whole number",
    "inexact": "holds a float too large to hold a whole id exactly",
    "whole": "mixes numbers with text",
}


def _text_ids(values: pd.Series, table: str, col: str) -> pd.Series:
    """An id column as the model's text ids (`string`), by the loaders' rule
    (`smk.io.parse.parse_ids`: `123.0` is `123`): text is kept (as `string`, missing as
    `pd.NA`, also from pandas 3's default `str` dtype), whole numbers (an integer column;
    floats or objects holding only whole numbers, e.g. ids with gaps, or whole `Decimal`s)
    become their digits. A fraction, a bool, a date, a float too large to be exact or numbers
    mixed with text is a ValueError naming the table, column and first such row (index label)."""
    if isinstance(values.dtype, pd.StringDtype):  # pandas 3's `str` too: NaN for missing
        model = pd.api.types.pandas_dtype(dtype_of("id"))  # `== "string"` holds for `str`
        return values if values.dtype == model else values.astype(model)
    if pd.api.types.is_integer_dtype(values.dtype):
        return values.astype(dtype_of("id"))
    present = values.notna().to_numpy()
    objects = values.to_numpy(dtype=object, copy=True)
    kinds = np.array(
        [_id_kind(v) if p else "" for v, p in zip(objects, present, strict=True)], dtype=object
    )
    refused = np.flatnonzero(np.isin(kinds, ["other", "inexact"]))
    if not len(refused) and len(set(kinds[present])) > 1:  # text and numbers
        refused = np.flatnonzero(kinds == "whole")
    if len(refused):
        at = refused[0]
        raise ValueError(
            f"CRM {table}.{col} {_REFUSED_IDS[kinds[at]]} (index {values.index[at]!r}: "
            f"{objects[at]!r}); the model's ids are text (docs/data-model.md): give them "
            "as text, or as whole numbers (an integer column; Int64 when some are missing), which "
            "become their digits"
        )
    whole = kinds == "whole"
    objects[whole] = [str(int(v)) for v in objects[whole]]
    return pd.Series(objects, index=values.index, name=values.name, dtype=dtype_of("id"))


def empty_table(name: str) -> pd.DataFrame:
    """An empty table with the canonical columns and dtypes."""
    return pd.DataFrame(
        {col: pd.Series(dtype=dtype_of(kind)) for col, kind in SCHEMA[name].items()}
    )


def make_table(name: str, rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """A canonical table from records (dicts with some of its columns), with the model's dtypes.

    For building small CRMs by hand (tests, examples): missing columns are empty, timestamps
    given as ISO 8601 text become UTC.
    """
    frame = pd.DataFrame(rows)
    out = {}
    for col, kind in SCHEMA[name].items():
        dtype = dtype_of(kind)
        if col not in frame:
            out[col] = _empty_column(kind, frame.index)
        elif kind == "datetime":
            out[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601").astype(dtype)
        elif kind == "id":
            out[col] = _text_ids(frame[col], name, col)
        else:
            out[col] = frame[col].astype(dtype)
    return pd.DataFrame(out)


def _empty_column(kind: str, index: pd.Index) -> pd.Series:
    """A column of `kind` with no value, of the model's dtype, on `index`."""
    return pd.Series([None] * len(index), index=index, dtype=object).astype(dtype_of(kind))


#: What a column of each kind holds, and how to convert one of another dtype, as a CRM built
#: by hand says it (`_typed_column`); the vocabulary kinds are text.
_KIND_WORDS: dict[str, tuple[str, str]] = {
    "datetime": ("UTC timestamps", "`pd.to_datetime(..., utc=True)`"),
    "month": (
        "months (timestamps without a time zone)",
        "`pd.to_datetime(...)` (the first day of each month)",
    ),
    "float": ("numbers", "`pd.to_numeric(...)`"),
    "int": ("whole numbers", "`pd.to_numeric(...).astype('Int64')`"),
    "bool": (
        "true/false flags",
        "`.str.lower().map({'true': True, 'false': False}).astype('boolean')` for text, or "
        "a `.map` of other values to True and False (a flag is never read from its text, "
        'where "False" would count as true)',
    ),
    "str": ("text", "`.astype('string')`"),
}


def _is_number(dtype) -> bool:
    """Whether `dtype` holds real numbers: an integer or float dtype, nullable or not (no bool)."""
    return pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype)


def _as_kind(values: pd.Series, kind: str) -> pd.Series | None:
    """`values` as a column of `kind` when their dtype is of its family (converted to the
    model's dtype when that loses nothing), else None. Judged from the dtype (a flag column of
    objects or numbers also by its values, vectorised), so cheap on any table."""
    dtype, model = values.dtype, pd.api.types.pandas_dtype(dtype_of(kind))
    if dtype == model:
        return values
    if kind == "datetime":  # another zone or unit: the same instants as the model holds them
        return _in_model_unit(values.dt.tz_convert("UTC")) if _zoned(dtype) else None
    if kind == "month":
        return _in_model_unit(values) if _naive_times(values) else None
    if kind in ("float", "int"):
        if not _is_number(dtype):
            return None
        try:
            return values.astype(model)
        except (TypeError, ValueError):  # a fraction in a column of whole numbers
            return None
    if kind == "bool":
        flags = (
            pd.api.types.is_bool_dtype(dtype)
            or (
                pd.api.types.is_object_dtype(dtype)
                and pd.api.types.infer_dtype(values) in ("boolean", "empty")
            )
            or (_is_number(dtype) and bool((values.isin([0, 1]) | values.isna()).all()))
        )
        return values.astype(model) if flags else None
    if isinstance(dtype, pd.StringDtype) or pd.api.types.is_object_dtype(dtype):
        return values  # text, as it was given
    text = pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype)
    return values.astype(model) if text else None  # Arrow text, categories


def _zoned(dtype) -> bool:
    """Whether `dtype` holds timestamps with a time zone."""
    return isinstance(dtype, pd.DatetimeTZDtype)


def _in_model_unit(values: pd.Series) -> pd.Series:
    """Timestamps in nanoseconds, the model's unit (`pd.to_datetime` gives microseconds):
    the analyses count time in nanoseconds. Raises OutOfBoundsDatetime for a time the unit
    cannot hold (before 1677 or after 2262)."""
    return values if values.dt.unit == "ns" else values.dt.as_unit("ns")


def _first_out_of_bounds(values: pd.Series) -> tuple[object, object]:
    """The row label and value of the first time in `values` that nanoseconds cannot hold."""
    zoned = values.dt.tz is not None  # compared in UTC: the bounds in a zone overflow
    times = values.dt.tz_convert("UTC") if zoned else values
    zone = "UTC" if zoned else None
    lo, hi = pd.Timestamp.min.tz_localize(zone), pd.Timestamp.max.tz_localize(zone)
    outside = values[(times < lo) | (times > hi)]
    return outside.index.tolist()[0], outside.iloc[0]


def _typed_column(values: pd.Series, table: str, col: str, kind: str) -> pd.Series:
    """Column `col` of table `table` as the model holds a column of `kind`: ids by
    `_text_ids`; another column as `_as_kind`; one with no value at all (an empty CSV column
    reads as floats) empty of the model's dtype. Naive timestamps, and any other dtype, are a
    ValueError naming the table, column, the dtype found and how to convert it: a flag given
    as text was read by its truthiness ("False" counted as won), text dates and amounts
    failed deep inside pandas."""
    if kind == "id":
        return _text_ids(values, table, col)
    if kind == "datetime" and _naive_times(values):
        raise ValueError(
            f"CRM {table}.{col} holds timestamps without a time zone "
            f"({values.dtype}); the model's are UTC: convert them with "
            f"`.dt.tz_localize('UTC')` (or `pd.to_datetime(..., utc=True)`)"
        )
    try:
        typed = _as_kind(values, kind)
    except pd.errors.OutOfBoundsDatetime:
        row, value = _first_out_of_bounds(values)
        raise ValueError(
            f"CRM {table}.{col} holds a time the model cannot: {value} (row {row!r}); the "
            "model's times lie between 1677 and 2262: set such placeholders to NaT"
        ) from None
    if typed is not None:
        return typed
    if not values.notna().any():
        return _empty_column(kind, values.index)
    what, how = _KIND_WORDS.get(kind, _KIND_WORDS["str"])
    raise ValueError(
        f"CRM {table}.{col} has dtype {values.dtype}, not {what} ({dtype_of(kind)}, "
        f"docs/data-model.md): convert it, e.g. with {how}"
    )


def _checked_table(
    frame: pd.DataFrame, name: str, *, partial: bool = False, keys_checked: bool = False
) -> pd.DataFrame:
    """Table `name` of a CRM as the model holds it (`CRM.__post_init__`): each column of the
    schema typed (`_typed_column`); the columns it lacks added empty, as the loaders add those
    an export lacks (not for a `partial` table, read with only some columns); its id column
    required when it has rows and ids unique (`_check_unique`) unless `keys_checked` (the
    loader set repeated ids aside). `frame` itself when nothing changes."""
    changed = {}
    for col, kind in SCHEMA[name].items():
        if col in frame:
            values = frame[col]
            typed = _typed_column(values, name, col, kind)
            if typed is not values:
                changed[col] = typed
        elif not partial:
            changed[col] = _empty_column(kind, frame.index)
    key = PRIMARY_KEYS[name]
    if key in REQUIRED[name] and key not in frame and len(frame) and not partial:
        raise ValueError(
            f"CRM {name} has no {key} column, the id of each row (its columns: "
            f"{', '.join(map(str, frame.columns))}): name the column of its ids {key}"
        )
    if changed:
        added = any(c not in frame for c in changed)
        frame = frame.assign(**changed)
        if added:  # in the model's column order, the other columns after
            frame = frame[[*SCHEMA[name], *(c for c in frame.columns if c not in SCHEMA[name])]]
    if key is not None and key in frame and not keys_checked and not _REPEATED_IDS.get():
        _check_unique(frame[key], name, key)
    return frame


def _check_unique(ids: pd.Series, table: str, col: str) -> None:
    """A CRM's ids are unique: repeated ones (two loads concatenated) counted the funnel twice
    and failed deep in pandas elsewhere ("InvalidIndexError")."""
    repeated = (ids.duplicated() & ids.notna()).to_numpy(dtype=bool)
    if repeated.any():
        n, first = int(repeated.sum()), ids[repeated].iloc[0]
        rows = "1 row has" if n == 1 else f"{n:,} rows have"
        raise ValueError(
            f"CRM {table}.{col} repeats ids: {rows} the id of an earlier row (the first: "
            f"{first!r}); each id is one record (a load sets such rows "
            f"aside, as `duplicate {col}`): keep one row of each, e.g. with "
            f"`.drop_duplicates({col!r})`"
        )


#: Set while CRMs that may repeat ids are built (`repeated_ids_allowed`).
_REPEATED_IDS: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "smk_repeated_ids", default=False
)


@contextlib.contextmanager
def repeated_ids_allowed() -> Iterator[None]:
    """Build CRMs that keep repeated ids meanwhile: an export as smk.synth writes it, with
    the duplicate rows a loader must set aside (`write_export`), never a model to analyse."""
    token = _REPEATED_IDS.set(True)
    try:
        yield
    finally:
        _REPEATED_IDS.reset(token)


def check_pipelines(pipelines) -> list[str]:
    """The setting `pipelines` (`CRM.of_pipelines`) as a list of names: None or an empty list
    is every pipeline ([]); anything but a list of non-empty names is a ValueError naming it."""
    if pipelines is None:
        return []
    names = [pipelines] if isinstance(pipelines, str) else pipelines
    if not isinstance(names, list | tuple) or not all(
        isinstance(n, str) and n.strip() for n in names
    ):
        raise ValueError(
            "pipelines must be a list of the export's deal pipeline names, e.g. "
            f'["Sales Pipeline"] (empty: every pipeline), got {pipelines!r}'
        )
    return [n.strip() for n in names]


def same_pipelines(one: Iterable[str] | None, other: Iterable[str] | None) -> bool:
    """Whether two records of the setting `pipelines` (a tile's `basis`, a saved model's, the
    setting itself; None or empty: every pipeline) name the same pipelines, as `of_pipelines`
    reads a name: in any case, without the spaces around it."""
    return _pipeline_keys(one) == _pipeline_keys(other)


#: a Salesforce record type's id as a report or the UI writes it (15 characters, prefix 012)
_RECORD_TYPE_ID15 = re.compile(r"012[0-9A-Za-z]{12}")


def _as_loaded_pipeline(name: str, found: Mapping[str, list[str]]) -> str:
    """A pipeline name of a setting as the deals write it (`found`, by casefolded name): as
    given when a deal has it, else a record type's 15-character id in the 18-character form
    the Salesforce loader writes (`smk.io.salesforce._record_type_ids`)."""
    if name.casefold() in found or not _RECORD_TYPE_ID15.fullmatch(name.strip()):
        return name
    from smk.io.parse import salesforce_id18  # (smk.io imports the model)

    return salesforce_id18(name.strip())


def _pipeline_keys(names: Iterable[str] | None) -> set[str]:
    return {str(n).strip().casefold() for n in names or ()}


#: How the pipelines sentence (`CRM.pipelines_sentence`) names the deals without a pipeline
#: (a blank HubSpot Pipeline or Salesforce record type), listed after the pipelines.
NO_PIPELINE = "no pipeline"


def _pipeline_counts(
    deals: pd.DataFrame, as_of: pd.Timestamp | str | None = None
) -> dict[str, int]:
    """Pipeline name -> deals created before `as_of` (None: all), the most deals first (ties
    by name), then those without a pipeline as `NO_PIPELINE`."""
    if deals.empty:  # a set-aside account may hold no deal columns
        return {}
    if as_of is not None:
        created = pd.to_datetime(deals["created_at"], utc=True, errors="coerce", format="ISO8601")
        deals = deals[(created < as_of_time(as_of)).to_numpy(dtype=bool)]
    names = deals["pipeline"].astype("string").str.strip().replace("", pd.NA)
    counts = names.dropna().value_counts()
    named = sorted(((str(k), int(v)) for k, v in counts.items()), key=lambda c: (-c[1], c[0]))
    blank = int(names.isna().sum())
    return dict(named + ([(NO_PIPELINE, blank)] if blank else []))


def _listed_counts(counts: dict[str, int]) -> str:
    """ "Renewals (40 deals), Partner (12), no pipeline (3)": each entry with its deals."""
    parts = [f"{name} ({n:,})" for name, n in counts.items()]
    first = next(iter(counts.values()))
    parts[0] = parts[0][:-1] + (" deal)" if first == 1 else " deals)")
    return ", ".join(parts)


#: How `no_rows_text` names a table whose name alone says less than the pages mean.
TABLE_WORDS = {"activities": "sales activities"}


def no_rows_text(table: str, read: int = 0) -> str:
    """Why a table of the model has no row, in the words every page and tile uses: "the
    export has no deals" when none was read, or, when `read` rows were read and every one
    set aside (as `smk validate` says: "Read, but every row set aside"), "all 4 rows of the
    export's deals were set aside, see the data-quality page". Activities are named "sales
    activities" (`TABLE_WORDS`)."""
    noun = TABLE_WORDS.get(table, table)
    if not read:
        return f"the export has no {noun}"
    rows = "the one row" if read == 1 else f"all {read:,} rows"
    verb = "was" if read == 1 else "were"
    return f"{rows} of the export's {noun} {verb} set aside, see the data-quality page"


@dataclass
class TableAccount:
    """How many rows of one table were read, loaded and set aside, and why."""

    read: int = 0
    loaded: int = 0
    set_aside: pd.DataFrame = field(default_factory=pd.DataFrame)
    merged: int = 0  # rows folded into another row (duplicate e-mails); counted as set aside too
    #: the columns a mapping maps outside the model: the export's headers its rules read (a
    #: `derive` rule's `from`), kept under their own name, and the columns it names with
    #: `extra_ok` (`lead_score: [Score]`), kept under that name: never said to be columns smk
    #: did not map
    mapped_extras: list[str] = field(default_factory=list)
    #: the columns a mapping file leaves empty, as no file of the table has the headers it
    #: names for them: its warning says so and what that costs (`smk.io.mapping.
    #: unfound_warning`), the load's warning of empty columns does not say it again
    left_empty: list[str] = field(default_factory=list)
    #: the rows (`_file`, `_row`) whose month was read from a two-digit year (`Dec-31`, spend):
    #: the load warns of those far ahead of the export (`smk.io.validate._warn_spend_ahead`)
    two_digit_years: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def n_set_aside(self) -> int:
        return len(self.set_aside)

    def reasons(self) -> dict[str, int]:
        if self.set_aside.empty:
            return {}
        counts = self.set_aside["_reason"].value_counts()
        return {str(k): int(v) for k, v in counts.sort_index().items()}

    def to_dict(self) -> dict:
        return {
            "read": self.read,
            "loaded": self.loaded,
            "set_aside": self.n_set_aside,
            "reasons": self.reasons(),
        }


@dataclass
class DataQuality:
    """The data-quality account of one load: per table counts, set-aside rows and warnings.

    Invariant, checked by `check()`: for every table, read == loaded + set aside.
    """

    tables: dict[str, TableAccount] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    files: dict[str, list[str]] = field(default_factory=dict)  # table -> source files
    #: the export folder's files the load did not read (a note, a sync log), by name
    unread: list[str] = field(default_factory=list)

    def account(self, table: str) -> TableAccount:
        return self.tables.setdefault(table, TableAccount())

    def set_aside(self, table: str) -> pd.DataFrame:
        """The rows of `table` that were set aside, with `_reason`, `_file` and `_row` columns
        (none set aside: no rows, the same columns). A name not in the model is an error, not
        a new, empty table in the account."""
        if table not in SCHEMA:
            raise ValueError(
                f"no table {table!r} in the data model; tables are {', '.join(SCHEMA)}"
            )
        aside = self.tables[table].set_aside if table in self.tables else pd.DataFrame()
        if len(aside.columns):
            return aside
        columns = [*SCHEMA[table], "_file", "_row", "_reason"]
        return pd.DataFrame({c: pd.Series(dtype="string") for c in columns})

    def check(self) -> None:
        for name, acc in self.tables.items():
            if acc.read != acc.loaded + acc.n_set_aside:
                raise AssertionError(
                    f"{name}: read {acc.read} != loaded {acc.loaded} + set aside {acc.n_set_aside}"
                )

    def to_dict(self) -> dict:
        return {
            "tables": {t: a.to_dict() for t, a in self.tables.items()},
            "warnings": list(self.warnings),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per table: rows read, loaded and set aside, and the reasons as one text
        (``"duplicate deal_id: 1; ..."``); per reason, see `to_dict` or `set_aside`."""
        rows = []
        for t, acc in self.tables.items():
            rows.append(
                {
                    "table": t,
                    "read": acc.read,
                    "loaded": acc.loaded,
                    "set_aside": acc.n_set_aside,
                    "reasons": "; ".join(f"{r}: {n}" for r, n in acc.reasons().items()),
                }
            )
        return pd.DataFrame(rows, columns=["table", "read", "loaded", "set_aside", "reasons"])


@dataclass
class CRM:
    """A validated CRM export in the canonical model (see docs/data-model.md)."""

    contacts: pd.DataFrame = field(default_factory=lambda: empty_table("contacts"))
    accounts: pd.DataFrame = field(default_factory=lambda: empty_table("accounts"))
    deals: pd.DataFrame = field(default_factory=lambda: empty_table("deals"))
    touchpoints: pd.DataFrame = field(default_factory=lambda: empty_table("touchpoints"))
    activities: pd.DataFrame = field(default_factory=lambda: empty_table("activities"))
    spend: pd.DataFrame = field(default_factory=lambda: empty_table("spend"))
    quality: DataQuality = field(default_factory=DataQuality)
    source: str = ""
    format: str = ""
    #: read from a Parquet model (`to_parquet`), not from the export itself: a re-run of a
    #: published notebook then reads that model (`format` stays the export's)
    from_model: bool = field(default=False, compare=False)
    #: the deal pipelines the setting `pipelines` named (`of_pipelines`), as the export
    #: writes them (each spelling its deals have), sorted; empty: every pipeline
    #: (`pipelines_basis`)
    counted_pipelines: tuple[str, ...] = ()
    #: the tables of a model read with only some of their columns (`from_parquet`'s
    #: `columns`), and those columns: the others are not added empty, which would take the
    #: memory `columns` saves
    read_columns: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        """Check every table as the model holds it (`_checked_table`, docs/data-model.md): a
        CRM built by hand with naive timestamps, text flags, dates or amounts, int ids, missing
        columns or repeated ids failed deep inside pandas, or counted wrongly ("False" flags as
        won, concatenated loads twice). Ids that are whole numbers become text (`_text_ids`)."""
        for name in TABLES:
            object.__setattr__(self, name, self._checked(name, getattr(self, name)))
        object.__setattr__(self, "_tables_checked", True)

    def __setattr__(self, name: str, value) -> None:
        """A table assigned after construction (`crm.contacts = frame`) is checked as one
        given to the constructor (`_checked`)."""
        if name in SCHEMA and self.__dict__.get("_tables_checked"):
            value = self._checked(name, value)
        object.__setattr__(self, name, value)

    def _checked(self, name: str, frame: pd.DataFrame) -> pd.DataFrame:
        """Table `name` checked (`_checked_table`); its ids are not checked for repeats when
        the load's account has the table with as many rows (the loader set repeats aside)."""
        account = self.quality.tables.get(name)
        return _checked_table(
            frame,
            name,
            partial=name in self.read_columns,
            keys_checked=account is not None and account.loaded == len(frame),
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in TABLES}

    def missing_tables(self) -> list[str]:
        """Tables the export did not contain (present but empty)."""
        return [name for name, df in self.tables().items() if df.empty]

    def no_rows_text(self, table: str) -> str:
        """Why the model's `table` has no row, as the pages and tiles say it (`no_rows_text`):
        the export has none, or its rows were read and every one set aside."""
        return no_rows_text(table, self._read_all_set_aside(table))

    def no_rows_sentence(self, table: str, consequence: str) -> str:
        """`no_rows_text` as a sentence a page prints, with what it leaves unknown: "The export
        has no deals: pipeline and revenue are unknown, not zero." """
        why = self.no_rows_text(table)
        return f"{why[:1].upper()}{why[1:]}: {consequence}"

    def _read_all_set_aside(self, table: str) -> int:
        """How many rows of `table` were read when none was loaded (every one set aside), else
        0 (none read; a table emptied by hand after the load)."""
        account = self.quality.tables.get(table)
        return account.read if account is not None and not account.loaded else 0

    def of_pipelines(self, pipelines: Iterable[str] | None) -> CRM:
        """This model with the deals of `pipelines` only (names as the export's `pipeline`
        column writes them, read in any case; None or empty: every pipeline, the model
        itself): the other deals, and those without a pipeline, are set aside by design
        (`PIPELINE_NOT_REPORTED`), so that every deal analysis counts the pipelines chosen
        and the data-quality account still adds up (read = loaded + set aside). A name no
        deal of the export has is a ValueError naming the pipelines it has."""
        wanted = check_pipelines(pipelines)
        if not wanted:
            return self
        names = self.deals["pipeline"].astype("string")
        found: dict[str, list[str]] = {}  # every spelling of a name, by casefolded name
        for name in sorted(str(n) for n in names.dropna().unique()):
            found.setdefault(name.casefold(), []).append(name)
        wanted = [_as_loaded_pipeline(name, found) for name in wanted]
        unknown = [n for n in wanted if n.casefold() not in found]
        if unknown:
            spelt = sorted(name for spellings in found.values() for name in spellings)
            has = ", ".join(spelt) if found else "none (no deal names one)"
            raise ValueError(
                f"the export has no deal pipeline {', '.join(map(repr, unknown))} (setting "
                f"pipelines); its deals' pipelines are: {has}"
            )
        keep = names.str.casefold().isin([n.casefold() for n in wanted]).fillna(False)
        keep = keep.to_numpy(dtype=bool)
        counted = tuple(sorted({name for n in wanted for name in found[n.casefold()]}))
        loaded = len(self.deals)  # a model built by hand has no account: all read were loaded
        account = self.quality.tables.get("deals") or TableAccount(read=loaded, loaded=loaded)
        aside = self.deals[~keep].astype("string").assign(_reason=PIPELINE_NOT_REPORTED)
        account = replace(
            account,
            loaded=account.loaded - len(aside),
            set_aside=pd.concat([account.set_aside, aside], ignore_index=True),
        )
        quality = replace(self.quality, tables={**self.quality.tables, "deals": account})
        deals = self.deals[keep].reset_index(drop=True)
        return replace(self, deals=deals, quality=quality, counted_pipelines=counted)

    def pipelines_sentence(self, as_of: pd.Timestamp | str | None = None) -> str:
        """Which deal pipelines the deal analyses count, of the deals created before `as_of`
        (the report month's end; None: every deal), as every page that uses deals says it
        when they span more than one pipeline, deals without one (`NO_PIPELINE`) counting as
        an entry of their own, or when `of_pipelines` set some aside ("" otherwise): "Deals
        of 3 pipelines, counted together: Sales Pipeline (120 deals), Renewals (40), Partner
        (12) (params: pipelines can choose which count)." or "Deals of Sales Pipeline only
        (params: pipelines); not counted: Renewals (40 deals), no pipeline (3)." """
        counted = _pipeline_counts(self.deals, as_of)
        aside = self.quality.set_aside("deals")
        left_out = _pipeline_counts(aside[aside["_reason"] == PIPELINE_NOT_REPORTED], as_of)
        named = len(counted) - (NO_PIPELINE in counted)
        pipelines = f"{named} pipeline{'' if named == 1 else 's'}"
        if not left_out:
            if len(counted) < 2:
                return ""
            which = f"{pipelines} and deals without one" if NO_PIPELINE in counted else pipelines
            return (
                f"Deals of {which}, counted together: {_listed_counts(counted)} "
                "(params: pipelines can choose which count)."
            )
        if not counted:
            which = "No deal counted"
        elif len(counted) == 1:
            which = f"Deals of {next(iter(counted))} only"
        else:
            which = f"Deals of {pipelines}: {', '.join(counted)}"
        return f"{which} (params: pipelines); not counted: {_listed_counts(left_out)}."

    def pipelines_basis(self) -> dict[str, list[str]]:
        """The pipelines the deal analyses count, as a deal tile's `basis` records them
        (docs/notebooks.md): {"pipelines": [...]} when the setting `pipelines` named some
        (`of_pipelines`), as the export writes them (every spelling counted: "Renewals" and
        "renewals" both, which `same_pipelines` reads as one), sorted, whichever deals the
        export holds (one whose deals are all of them counts the same deals as the month
        before); {} when
        every pipeline counts, the default. The report's index compares a figure only with
        one of the same pipelines (`same_pipelines`)."""
        return {"pipelines": list(self.counted_pipelines)} if self.counted_pipelines else {}

    def require(self, *names: str, analysis: str = "this analysis") -> None:
        """Raise a clear error when an analysis needs a table the export lacks, or whose every
        row was set aside (which it then says: `no_rows_text`)."""
        missing = [n for n in names if getattr(self, n).empty]
        if missing:
            source = str(self.source or "")
            shown = source if "://" in source else Path(source).name  # no local path in reports
            emptied = [self.no_rows_text(n) for n in missing if self._read_all_set_aside(n)]
            raise NoDataError(
                f"{analysis} needs the {', '.join(missing)} table(s), but the export "
                f"({self.format or 'unknown format'}: {shown}) has no "
                + (f"usable rows in them: {'; '.join(emptied)}" if emptied else "rows in them")
            )

    def summary(self) -> pd.DataFrame:
        """Rows per table and the time span each covers."""
        rows = []
        for name, df in self.tables().items():
            col = {"touchpoints": "occurred_at", "activities": "occurred_at", "spend": "month"}.get(
                name, "created_at"
            )
            dates = df[col] if col in df.columns else pd.Series(dtype="datetime64[ns, UTC]")
            rows.append(
                {
                    "table": name,
                    "rows": len(df),
                    "first": dates.min() if len(dates.dropna()) else None,
                    "last": dates.max() if len(dates.dropna()) else None,
                }
            )
        return pd.DataFrame(rows)

    # -- Parquet cache -------------------------------------------------------------------------
    def to_parquet(self, directory: str | Path) -> Path:
        """Write the model (and its data-quality account) as Parquet, for fast re-loading.

        The folder then holds this model alone: an earlier model's files that this write does
        not produce (a table's set-aside rows) are removed, other files are left alone; a
        folder holding an export's files is refused (`_refuse_export_folder`). The files are
        written into a hidden folder inside first and moved in, and `smk-model.json` (which
        lists them) comes last: a write cut short leaves the earlier model, or a folder that
        reads as a write that did not finish, never a mix of two models. Writes into one folder
        take turns (`_writing`): the last one's model stays.
        """
        out = Path(directory)
        _refuse_export_folder(out)
        out.mkdir(parents=True, exist_ok=True)
        with _writing(out):
            _remove_leftovers(out)
            staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=out))
            try:
                _move_in(staging, out, self._write_model(staging))
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return out

    def _write_model(self, folder: Path) -> list[str]:
        """Write the tables, set-aside rows and `smk-model.json` into `folder`; the names of
        the Parquet files written."""
        from smk.io.files import arrow_file

        written = []
        for name, df in self.tables().items():
            with arrow_file(folder / f"{name}.parquet", "wb") as target:
                df.to_parquet(target, index=False)
            written.append(f"{name}.parquet")
            aside = self.quality.set_aside(name)
            if not aside.empty:
                with arrow_file(folder / _aside_file(name), "wb") as target:
                    aside.astype("string").to_parquet(target, index=False)
                written.append(_aside_file(name))
        meta = {
            "source": _stored_source(self),
            "format": self.format,
            "quality": self.quality.to_dict(),
            "files": self.quality.files,
            "merged": {t: a.merged for t, a in self.quality.tables.items()},
            # the rows written: a model filtered after loading holds fewer than it loaded
            "rows": {name: len(df) for name, df in self.tables().items()},
            # the files of this model: `from_parquet` reads no other (a stale one stays unread)
            "model_files": written,
            # the export folder's files its load did not read: a change to one changes no model
            "unread": self.quality.unread,
            # the setting `pipelines` a filtered model was made with (`of_pipelines`)
            "pipelines": list(self.counted_pipelines),
        }
        (folder / MODEL_MANIFEST).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return written

    @classmethod
    def from_parquet(
        cls, directory: str | Path, columns: Mapping[str, Iterable[str]] | None = None
    ) -> CRM:
        """Read a model written by `to_parquet`.

        `columns` reads only some tables and columns, to save memory when an analysis needs
        little of a large export: ``{"touchpoints": ["contact_id", "occurred_at", "channel"]}``
        reads those three columns of the touchpoints (in the model's column order) and leaves
        every other table empty (``empty_table``); the data-quality account then covers the
        tables read. ``smk.attribution.journey_columns`` gives what attribution needs.
        An unknown table or column raises ValueError. A model being written meanwhile is read
        again once (`_read_steadily`); one whose export has changed since it was written says
        so in its warnings (`_export_changed`).
        """
        src = Path(directory)
        wanted = _columns_to_read(columns)
        return _read_steadily(lambda: cls._read_model(src, wanted), src / MODEL_MANIFEST)

    @classmethod
    def _read_model(cls, src: Path, wanted: dict[str, list[str] | None]) -> CRM:
        """`from_parquet` of the model in `src`, read once."""
        meta = _read_meta(src / MODEL_MANIFEST)
        quality = DataQuality(
            warnings=meta["quality"]["warnings"],
            files=meta.get("files", {}),
            unread=meta.get("unread", []),
        )
        changed = _export_changed(meta, src / MODEL_MANIFEST)
        if changed is not None and changed not in quality.warnings:
            quality.warnings.append(changed)
        tables = {}
        for name in TABLES:
            if name not in wanted:
                tables[name] = empty_table(name)
                continue
            path = src / f"{name}.parquet"
            tables[name] = _read_cached(path, wanted[name])
            _check_cached_columns(tables[name], name, wanted[name], path)
            counts = meta["quality"]["tables"].get(name)
            if counts is not None:
                aside_path = src / _aside_file(name)
                listed = meta.get("model_files")  # None: a model of before 2026-12
                has_aside = aside_path.exists() if listed is None else aside_path.name in listed
                aside = _read_cached(aside_path) if has_aside else pd.DataFrame()
                quality.tables[name] = TableAccount(
                    read=counts["read"],
                    loaded=counts["loaded"],
                    set_aside=aside,
                    merged=meta.get("merged", {}).get(name, 0),
                )
                written = meta.get("rows", {}).get(name)  # None: a cache of before 2026-11-27
                _check_cached_counts(quality.tables[name], len(tables[name]), src, name, written)
        return cls(
            **tables,
            quality=quality,
            source=meta["source"],
            format=meta["format"],
            from_model=True,
            counted_pipelines=_model_pipelines(meta, tables["deals"], quality),
            read_columns={n: tuple(c) for n, c in wanted.items() if c is not None},
        )


#: What `smk report` writes next to its Parquet cache: the export the cache stands for (or the
#: Parquet model the report was given), as a re-run of a published notebook reads it
#: (`data_path`, `data_format`, `read_options`).
REPORT_SOURCE = "smk-report-source.json"
_DAMAGED_CACHE = (
    "a damaged smk model cache, or one of another shape ({what}): write it again from the "
    "export (smk.load(export).to_parquet(folder)), or load the export itself"
)
#: the manifest of a model folder: what `smk.load` recognises it by, written last
MODEL_MANIFEST = "smk-model.json"
#: hidden folder inside the model folder where `to_parquet` writes before moving files in
_STAGING_PREFIX = ".smk-write-"
#: the lock file a write of a model holds in its folder (`_writing`), removed when it is done
_WRITE_LOCK = ".smk-write.lock"
#: where no lock tells (Windows), a hidden write folder this old (seconds) is a killed write's
_LEFTOVER_AGE = 3600
#: what `smk-model.json` holds while the files of a new model are moved in
_UNFINISHED = {"smk_model_write": "unfinished"}
_WRITE_UNFINISHED = (
    f"{MODEL_MANIFEST} says the model is being written: a write in progress (load it again "
    "once it is done), or one stopped midway (write it again from the export: "
    "smk.load(export).to_parquet(folder))"
)
#: how long a read of a model written meanwhile waits before it reads it again (seconds)
_REREAD_WAIT = 0.5


def _aside_file(table: str) -> str:
    return f"{table}.set_aside.parquet"


#: the files a model may hold besides its manifest
_MODEL_FILES = frozenset({f"{t}.parquet" for t in TABLES} | {_aside_file(t) for t in TABLES})


def _refuse_export_folder(out: Path) -> None:
    """A model is not written into a folder holding an export's files (those a load of the
    folder as an export reads: `data_files`, the model's own left out): a load of it then
    reads the model, never the export, and a refreshed export copied in would go unread (as
    `smk validate --set-aside` refuses the export's folder). A folder that already holds a
    model is the model's: its other files (notes, a CSV extract) are left alone, as before;
    so are text files (a README.txt) in a folder that is no export of a format smk knows."""
    from smk.io import detect_format
    from smk.io.mapping import data_files

    if not out.is_dir() or (out / MODEL_MANIFEST).exists():
        return
    found = [p.name for p in data_files(out)]
    if found and all(name.lower().endswith(".txt") for name in found):
        try:
            detect_format(out)
        except CRMExportError:
            return  # notes, not an export
    if found:
        listed = ", ".join(found[:3]) + (f", ... ({len(found)} in all)" if len(found) > 3 else "")
        raise CRMExportError(
            f"this folder holds export files ({listed}): a load of it would read a model written "
            "here, never the export, and a new export copied in would go unread; choose "
            "another folder for the model, one of its own",
            file=str(out),
        )


@contextlib.contextmanager
def _writing(out: Path) -> Iterator[None]:
    """Hold `out/.smk-write.lock` while a model is written into `out`: writes into one folder
    take turns, and a `.smk-write-*` folder found meanwhile is a killed write's (a lock goes
    with its process), never another live write's. The holder removes the file before it
    lets go of it; a write that locked a file so removed opens the path again. Without
    advisory locks (Windows), writes do not wait for each other."""
    if fcntl is None:
        yield
        return
    path = out / _WRITE_LOCK
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        if is_open_at(fd, path):
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)  # closing releases the lock


def is_open_at(fd: int, path: Path) -> bool:
    """Whether `fd` is the file at `path` now (not one removed since it was opened): a lock
    taken on a lock file its holder removed before letting go is no lock (`_writing`, and the
    report's publish lock)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _remove_leftovers(out: Path) -> None:
    """Remove the hidden write folders of writes killed midway: every one while `_writing`
    holds the lock (a live write holds it too); without locks, those older than an hour."""
    for leftover in out.glob(f"{_STAGING_PREFIX}*"):
        with contextlib.suppress(FileNotFoundError):
            if fcntl is None and time.time() - leftover.stat().st_mtime < _LEFTOVER_AGE:
                continue
        shutil.rmtree(leftover, ignore_errors=True)


def _read_steadily(read: Callable[[], CRM], manifest: Path) -> CRM:
    """`read()` of a model whose `manifest` stays as it was while it is read (a write replaces
    it first and last, `_move_in`): read again once after a short wait when a write replaced
    it meanwhile or is moving its files in; then an error that says a write is in progress,
    never that the model is damaged (one stopped midway leaves the same unfinished manifest:
    its own error, `_WRITE_UNFINISHED`)."""
    from smk.io.files import file_stamp

    stamps, error = [], None
    for attempt in range(2):
        if attempt:
            time.sleep(_REREAD_WAIT)
        stamps.append(file_stamp(manifest))
        try:
            crm = read()
        except CRMExportError as exc:
            if file_stamp(manifest) == stamps[-1] and exc.reason != _WRITE_UNFINISHED:
                raise
            error = exc
            continue
        if file_stamp(manifest) == stamps[-1]:
            return crm
        error = None
    if error is not None and error.reason == _WRITE_UNFINISHED and len(set(stamps)) == 1:
        raise error
    raise CRMExportError(
        "the model changed while it was read (a write in progress?): load it again once the "
        "write is done",
        file=str(manifest.parent),
    )


def _export_changed(meta: dict, manifest: Path) -> str | None:
    """The warning for a model whose export changed after it was written: a file it was
    read from (`files`; the export file itself), or another file of a type smk reads in the
    export's folder (a new export's, named by its date), is newer than `manifest`. None when
    none is, or when smk cannot tell (a database URL, an export no longer there)."""
    from smk.io.mapping import data_files

    source, files = str(meta.get("source") or ""), meta.get("files")
    if not source or "://" in source:
        return None
    path = Path(source)
    folder = path if path.is_dir() else path.parent
    names = [n for v in files.values() for n in v] if isinstance(files, dict) else []
    paths = [folder / str(n) for n in names] + ([path] if path.is_file() else [])
    if path.is_dir():  # the model's own files left out, of a model written into the export
        own = _MODEL_FILES if folder.resolve() == manifest.parent.resolve() else frozenset()
        own |= set(meta.get("unread") or ())  # a note or a sync log the load did not read
        paths += [p for p in data_files(folder) if p.name not in own]
    written, now = manifest.stat().st_mtime_ns, time.time_ns()
    # a time after now tells nothing (a file server's clock ahead, times kept from an archive)
    newer = [p.name for p in dict.fromkeys(paths) if written < _modified(p) <= now]
    if not newer:
        return None
    listed = ", ".join(newer[:3]) + (f" and {len(newer) - 3} more" if len(newer) > 3 else "")
    verb = "is" if len(newer) == 1 else "are"
    if (manifest.parent / REPORT_SOURCE).is_file():  # the cache of `smk report` under way
        return (
            f"the export changed while this report ran: {listed} in {folder} {verb} newer "
            "than the report's load of it, which its pages show; run the report again for "
            "the export as it is now"
        )
    return (
        f"the export changed after this model was written: {listed} in {folder} {verb} "
        "newer than the model, which holds the export as it was; write the model again "
        "(smk.load(export).to_parquet(folder)), or load the export itself"
    )


def export_changed(model: str | Path) -> str | None:
    """The warning that the export of the model in folder `model` changed after the model was
    written (`_export_changed`), or None: `smk report` asks it of its cache after the notebooks
    ran, as the pages show the export as the report loaded it."""
    manifest = Path(model) / MODEL_MANIFEST
    return _export_changed(_read_meta(manifest), manifest)


def _modified(path: Path) -> int:
    """When the file at `path` was last modified (ns), or 0 for none."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _stored_source(crm: CRM) -> str:
    """`crm.source` as a model stores it: a relative path of a local export made absolute, so
    that the model names its export from any working folder (a URL, an absolute path, a label
    such as ``smk.synth`` and the source of a model read back stay as they are)."""
    source = str(crm.source or "")
    path = Path(source)
    if not source or "://" in source or crm.from_model or path.is_absolute():
        return source
    return str(path.resolve()) if path.exists() else source


def _move_in(staging: Path, out: Path, names: list[str]) -> None:
    """Replace the model in `out` by the one written in `staging` (`names`, then its
    manifest): the earlier manifest first says a write is under way, the earlier model's
    files that `names` lacks go, and the new manifest comes last."""
    marker = staging / f"{MODEL_MANIFEST}.unfinished"
    marker.write_text(json.dumps(_UNFINISHED), encoding="utf-8")
    os.replace(marker, out / MODEL_MANIFEST)
    for name in names:
        os.replace(staging / name, out / name)
    stale = {_aside_file(t) for t in TABLES} - set(names)  # table files are always written
    for name in sorted(stale):
        path = out / name
        if path.is_file() or path.is_symlink():
            path.unlink()
    os.replace(staging / MODEL_MANIFEST, out / MODEL_MANIFEST)


def _model_pipelines(meta: dict, deals: pd.DataFrame, quality: DataQuality) -> tuple[str, ...]:
    """The pipelines setting a model was written under (`CRM.counted_pipelines`): its record;
    for a model written before models recorded it, the pipelines of its deals when it set
    some aside as `PIPELINE_NOT_REPORTED` (as smk then told them), else none. A filtered model
    of before was read as one of every pipeline: its report compared it with a month "measured
    differently" and refitted its segmentation (H4 of session 25)."""
    if "pipelines" in meta:
        return tuple(check_pipelines(meta["pipelines"]))
    account = quality.tables.get("deals")
    aside = account.set_aside if account is not None else pd.DataFrame()
    if "_reason" not in aside or not (aside["_reason"] == PIPELINE_NOT_REPORTED).any():
        return ()
    return tuple(sorted(deals["pipeline"].dropna().astype(str).unique()))


def _read_meta(path: Path) -> dict:
    """The cache's `smk-model.json`, checked for what `from_parquet` reads from it: a damaged
    or hand-edited file is a `CRMExportError` naming it, not a KeyError deep in the reader."""
    if not path.exists() and path.parent.is_dir():  # `--format parquet` on an export's folder
        raise CRMExportError(
            f"no {MODEL_MANIFEST} here: not an smk model folder (written by "
            "CRM.to_parquet); for an export, leave the format to smk (auto) or name its own",
            file=str(path.parent),
        )
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        if meta == _UNFINISHED:  # to_parquet is moving the files in, or was stopped meanwhile
            raise CRMExportError(_WRITE_UNFINISHED, file=str(path))
        tables = meta["quality"]["tables"]
        accounts_ok = all(
            isinstance(c, dict)
            and isinstance(c.get("read"), int)
            and isinstance(c.get("loaded"), int)
            for c in tables.values()
        )
        if not (accounts_ok and isinstance(meta["quality"]["warnings"], list)):
            raise ValueError("row counts or warnings of another shape")
        if not {"source", "format"} <= meta.keys():
            raise ValueError("no source or format")
        listed = meta.get("model_files", [])
        if not (isinstance(listed, list) and all(isinstance(n, str) for n in listed)):
            raise ValueError("model_files is no list of file names")
        check_pipelines(meta.get("pipelines"))  # a list of names, or none (before 2026-12)
    except CRMExportError:  # a write under way: no damage
        raise
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        _refuse_unpermitted(exc, path)
        what = f"{type(exc).__name__}: {exc}" if not isinstance(exc, KeyError) else f"no {exc}"
        raise CRMExportError(_DAMAGED_CACHE.format(what=what), file=str(path)) from None
    return meta


def _refuse_unpermitted(exc: Exception, path: Path) -> None:
    """A model file smk may not read is no damage: said as such (`smk.io.permission_denied`),
    not with the advice to write the model again."""
    if isinstance(exc, PermissionError):
        from smk.io import permission_denied

        raise permission_denied(exc, path) from None


def _check_cached_columns(
    frame: pd.DataFrame, name: str, wanted: list[str] | None, path: Path
) -> None:
    """A cached table holds the model's columns (those asked for): a file of another table
    or a hand-made one is damage, not a usable table."""
    missing = [c for c in (wanted or SCHEMA[name]) if c not in frame.columns]
    if missing:
        what = f"the {name} table has no {missing[0]!r} column"
        raise CRMExportError(
            _DAMAGED_CACHE.format(what=what),
            file=str(path),
            column=missing[0],
            found_columns=list(frame.columns),
        )


def _check_cached_counts(
    account: TableAccount, rows: int, src: Path, name: str, written: int | None = None
) -> None:
    """The cached account adds up (read = loaded + set aside) and the table has the rows
    written (`written`; the rows loaded for a cache that does not record them): a model
    filtered after loading reads back as written, its account still that of the load."""
    counts = (account.read, account.loaded)
    expected = account.loaded if written is None else written
    if any(isinstance(n, bool) or n < 0 for n in counts) or (
        account.read != account.loaded + account.n_set_aside or expected != rows
    ):
        what = (
            f"{name}: read {account.read}, loaded {account.loaded}, set aside "
            f"{account.n_set_aside}, but the table has {rows} rows"
        )
        raise CRMExportError(_DAMAGED_CACHE.format(what=what), file=str(src / "smk-model.json"))


def _read_cached(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """One Parquet file of the cache; a missing or damaged one (or a folder in its place) is
    a `CRMExportError`."""
    import pyarrow as pa

    from smk.io.files import arrow_file

    if path.exists() and not path.is_file():
        what = "a folder where a Parquet file belongs"
        raise CRMExportError(_DAMAGED_CACHE.format(what=what), file=str(path))
    try:
        with arrow_file(path) as source:
            return pd.read_parquet(source, columns=columns)
    except pa.ArrowMemoryError:
        raise  # out of memory is no damage
    except (OSError, pa.ArrowException, ValueError) as exc:
        _refuse_unpermitted(exc, path)
        what = f"{type(exc).__name__}: {exc}"
        raise CRMExportError(_DAMAGED_CACHE.format(what=what), file=str(path)) from None


def _columns_to_read(
    columns: Mapping[str, Iterable[str]] | None,
) -> dict[str, list[str] | None]:
    """Table -> columns to read (None: all of them), checked against the schema."""
    if columns is None:
        return dict.fromkeys(TABLES)
    unknown = sorted(set(columns) - set(TABLES))
    if unknown:
        raise ValueError(f"unknown table(s) {', '.join(unknown)}; tables are {', '.join(TABLES)}")
    out: dict[str, list[str] | None] = {}
    for name, cols in columns.items():
        if isinstance(cols, str):
            cols = [cols]
        cols = set(cols)
        bad = sorted(cols - set(SCHEMA[name]))
        if bad:
            raise ValueError(
                f"{name} has no column(s) {', '.join(bad)}; its columns are "
                f"{', '.join(SCHEMA[name])}"
            )
        out[name] = [c for c in SCHEMA[name] if c in cols]
    return out
