"""Load any CRM export described by a mapping file (YAML): their columns -> our columns.

A mapping says, per canonical table, which files hold it, which of their column headers mean
which of our columns, how their values (lifecycle stages, sources) map to our vocabulary, and
which columns can be derived (e.g. `is_won` from a "Closed Won" stage). HubSpot is read through
the mapping shipped in `smk/mappings/hubspot.yaml`; `smk/mappings/pipedrive.yaml` is a worked
example for a CRM with no built-in loader. See docs/mappings.md for the format.
"""

from __future__ import annotations

import contextlib
import difflib
import fnmatch
import functools
import os
import re
import stat
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from smk.errors import CRMExportError
from smk.io import files as fileio
from smk.io.canonical import format_datetimes
from smk.io.deal_dates import from_deals
from smk.io.parse import (  # MULTI_SEPARATOR: read from here by other modules too
    MULTI_SEPARATOR,
    DateOptions,
    as_text,
    blank,
    blank_rows,
    clean_text,
    holds,
    is_categorical,
    on_uniques,
    parse_bools,
    plain_words,
)
from smk.io.validate import (
    COMPANY_CURRENCY_UNNAMED,
    LazyTable,
    assemble,
    features_lost,
    known_words,
)
from smk.model import (
    CRM,
    DELETED_IN_CRM,
    EMPTY_ROW,
    FEATURE_SOURCES,
    INBOUND_EMAIL,
    MODEL_MANIFEST,
    PRIMARY_KEYS,
    REPORT_FOOTER,
    REQUIRED,
    SCHEMA,
    TABLES,
    TASK_NOT_DONE,
    VOCABULARIES,
)
from smk.yaml_files import load_yaml

_READER_META = ("_file", "_row")  # columns read_any adds to every frame
_DATA_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".parquet"}


@dataclass
class TableMapping:
    files: list[str] = field(default_factory=list)
    columns: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    multi_value: list[str] = field(default_factory=list)
    #: the separator of each `multi_value` column's values given one (`;` for the others)
    separators: dict[str, str] = field(default_factory=dict)
    derive: dict[str, dict] = field(default_factory=dict)
    #: `derive` columns whose empty cell means false (Salesforce's checkboxes, which API
    #: extracts write empty when false): a rule fills one only where a file leaves it empty in
    #: every row, not row by row (`_to_derive`)
    empty_false: list[str] = field(default_factory=list)
    constants: dict[str, str] = field(default_factory=dict)
    strip: dict[str, str] = field(default_factory=dict)
    type_from_file: dict[str, str] = field(default_factory=dict)
    #: columns whose aliases are all read and combined row by row (first non-empty value),
    #: e.g. Pipedrive's `Deal - Won time` / `Deal - Lost time` -> closed_at
    coalesce: list[str] = field(default_factory=list)
    #: rows the CRM marks deleted, set aside as `DELETED_IN_CRM`: {from, pattern}, as a
    #: `derive` rule (Pipedrive's `Deal - Status` `Deleted`)
    deleted: dict = field(default_factory=dict)
    #: headers whose true values (`parse_bools`: 1, true, t, yes, ...) mark the rows the CRM
    #: deleted, set aside as `DELETED_IN_CRM` too: a sync's soft deletes (`SYNC_DELETED`),
    #: which smk's own mappings read (canonical tables, HubSpot as Fivetran syncs it)
    deleted_flags: list[str] = field(default_factory=list)
    #: the headers, by column, holding the one value of a `multi_value` column's list that
    #: is the record's primary (HubSpot's `Primary Associated Company ID` beside `Associated
    #: Company IDs`): the column's value where a row has one, the list kept (`_primary`)
    primary: dict[str, list[str]] = field(default_factory=dict)
    #: `amount` headers holding the amount in the company's own currency, which the export
    #: does not name (HubSpot's `Amount in company currency`): read only when the file has no
    #: other amount or no currency column, and then never with a currency (`_home_amount`)
    home_currency: list[str] = field(default_factory=list)
    #: the user's mapping file this table was read from, whose headers a file of the table
    #: must have (`_unfound`); None for smk's own mappings, which list many aliases on purpose
    #: (HubSpot's labels, API names and sync columns), most of them absent from any one export
    origin: Path | None = None
    #: the mapping file the load was given (`read_mapping`: the user's own or one shipped,
    #: such as pipedrive.yaml), whose rules a warning's advice names (`rule_remedy`); None
    #: for a format's own mapping (HubSpot, canonical tables), chosen by smk
    given: Path | None = None


#: keys a table section of a mapping file may have (a misspelt key is an error, not ignored)
_TABLE_KEYS = set(TableMapping.__dataclass_fields__) - {
    "origin",
    "given",
    "separators",
    "deleted_flags",
    "empty_false",
} | {"extra_ok"}
#: the columns a sync (Fivetran; a view or dbt model over one that passes them on) marks the
#: rows the CRM deleted with, keeping them (soft deletes)
SYNC_DELETED = ("_fivetran_deleted", "is_deleted")
#: keys of a table section that name our columns (each must be in the data model)
_COLUMN_KEYS = (
    "columns",
    "derive",
    "constants",
    "values",
    "strip",
    "multi_value",
    "coalesce",
    "primary",
)
#: columns a mapping may name that the model does not hold, by table, with their kinds: read to
#: tell a task nobody has done and when a done one was done (`_task_work`), and which records
#: the CRM merged into a record (`merged_ids`: `smk.io.merges`), then kept as extra columns
#: under these names
SOURCE_COLUMNS: dict[str, dict[str, str]] = {
    "activities": {"task_status": "str", "completed_at": "datetime", "email_direction": "str"},
    **{table: {"merged_ids": "str"} for table in ("contacts", "accounts", "deals")},
}
#: An activity type that is an e-mail nobody in sales wrote (HubSpot's engagement types
#: `INCOMING_EMAIL`, a contact's reply, and `FORWARDED_EMAIL`, one a rep received and forwarded
#: to the CRM to log it), matched in any case, `_` as a space: set aside as `INBOUND_EMAIL`
INBOUND_EMAIL_TYPES = frozenset({"incoming email", "forwarded email"})
#: ... and an e-mail's direction that says so (`email_direction`: HubSpot's `Email direction`,
#: `hs_email_direction`, values `EMAIL`, `INCOMING_EMAIL`, `FORWARDED_EMAIL`)
INBOUND_EMAIL_DIRECTIONS = INBOUND_EMAIL_TYPES | {"inbound", "incoming", "inbound email"}
#: ... and one that says sales sent it (HubSpot's `EMAIL`, and the opposites of the inbound
#: words): it counts. A direction none of these name counts too, with a warning naming it
OUTBOUND_EMAIL_DIRECTIONS = frozenset(
    {"email", "outbound", "outgoing", "outbound email", "outgoing email"}
)
#: A task's status -> whether it is done, matched in any case: Salesforce's default Task
#: statuses (only `Completed` is closed) and common additions, and HubSpot's `hs_task_status`
#: (labels as above, values `NOT_STARTED`, `IN_PROGRESS`, `WAITING`, `COMPLETED`, `DEFERRED`),
#: Pipedrive's and Zoho's. A status none of these names counts as done, with a warning.
#: A task not done is a reminder, not sales work: it is set aside as `TASK_NOT_DONE`.
TASK_STATUS_DONE: dict[str, str] = {
    "Completed": "done",
    "Complete": "done",
    "Closed": "done",
    "Done": "done",
    "Not Started": "not done",
    "NOT_STARTED": "not done",
    "Open": "not done",
    "In Progress": "not done",
    "IN_PROGRESS": "not done",
    "Waiting on someone else": "not done",
    "Waiting": "not done",
    "Deferred": "not done",
    "To do": "not done",  # Pipedrive's `Activity - Done`: Done / To do
    "Waiting for input": "not done",  # Zoho CRM's task statuses
    "Cancelled": "not done",
    "Canceled": "not done",
}


@dataclass
class FormatMapping:
    name: str
    tables: dict[str, TableMapping]
    timezone: str = "UTC"
    dayfirst: bool | None = None
    decimal: str | None = None  # "." or ",": the decimal mark of every number column
    data: str | None = None  # folder of the export, relative to the mapping file
    path: Path | None = None
    #: a contact's missing opportunity and customer dates taken from its loaded deals
    #: (`deal_dates.from_deals`); HubSpot's mapping says false: HubSpot's own dates stand
    stage_dates_from_deals: bool = True

    def date_options(
        self,
        timezone: str | None = None,
        dayfirst: bool | None = None,
        decimal: str | None = None,
    ) -> DateOptions:
        """The file's reading options; what the caller gives wins over the mapping's."""
        return DateOptions(
            timezone=timezone or self.timezone,
            dayfirst=self.dayfirst if dayfirst is None else dayfirst,
            decimal=decimal or self.decimal,
        )


def read_mapping(path: str | Path) -> FormatMapping:
    """Parse and check a mapping file; errors name the file and the offending key. A user's
    file (not one shipped in `smk/mappings`) is told apart (`TableMapping.origin`): the
    headers it names that no file of a table has are said in a warning."""
    path = Path(path)
    try:
        mapping = _parsed(path.read_text(encoding="utf-8"), path)
    except (OSError, UnicodeDecodeError) as exc:
        raise CRMExportError(f"cannot read the mapping file: {exc}", file=str(path)) from None
    for tm in mapping.tables.values():
        tm.given = path
        if path.resolve().parent != _SHIPPED:
            tm.origin = path
    return mapping


def builtin_mapping(name: str) -> FormatMapping:
    """A mapping shipped with smk (`hubspot`, `pipedrive`)."""
    ref = resources.files("smk.mappings") / f"{name}.yaml"
    return _parsed(ref.read_text(encoding="utf-8"), Path(str(ref)))


def shipped_mappings() -> list[str]:
    """The names of the mappings shipped with smk (`hubspot`, `pipedrive`), by which
    `mapping_path` finds them."""
    return sorted(p.stem for p in _SHIPPED.glob("*.yaml"))


def shipped_file(given: str | Path) -> Path | None:
    """The file of the mapping smk ships (`shipped_mappings`) that `given` names by its file
    name without a suffix, in any case (`pipedrive`, `Pipedrive.yaml`, `maps/pipedrive.yml`),
    or None."""
    stem = Path(given).stem.lower()
    path = _SHIPPED / f"{stem}.yaml"
    return path if stem and path.is_file() else None


def mapping_path(given: str | Path) -> Path:
    """The file of the mapping a caller names (`mapping=`, `--mapping`): `given` itself, except
    that a bare name (no folder, no suffix, any case: `pipedrive`) of a mapping smk ships
    (`shipped_mappings`) with no file by that name in the current folder is that mapping's
    file in the package (`smk/mappings/pipedrive.yaml`). A file named so wins; a folder named
    so (an export folder `pipedrive/`) is no mapping file and does not."""
    path = Path(given)
    if path.is_file() or not is_bare_name(given):
        return path
    return shipped_file(path) or path


def is_bare_name(given: str | Path) -> bool:
    """Whether `given` is a mapping's bare name (`pipedrive`), as written: no folder, not even
    `./` (`./pipedrive` names a file there, which `Path` would make `pipedrive`), no suffix."""
    text = os.fspath(given)
    seps = {"/", os.sep, os.altsep} - {None}
    return bool(Path(text).name) and not Path(text).suffix and not any(s in text for s in seps)


def _parsed(text: str, path: Path) -> FormatMapping:
    try:
        spec = load_yaml(text, _Loader)
    except yaml.YAMLError as exc:  # its marks name the file, not "<unicode string>"
        said = str(exc).replace('"<unicode string>"', path.name)
        raise CRMExportError(
            f"cannot read the mapping file, which is not valid YAML: {said}", file=str(path)
        ) from None
    return _mapping_from_dict(spec, path)


#: the folder of the mappings shipped with smk
_SHIPPED = Path(str(resources.files("smk.mappings"))).resolve()


class _Int(int):
    """An integer as YAML read it, with the text it was written as: YAML 1.1 reads `0123`
    as the octal 83 and `1_000` as 1000, so only a number written as Python prints it can
    stand for the text (a stage id `37336401` written unquoted)."""

    text: str


class _Float(float):
    """A float as YAML read it, with the text it was written as (`1.50` is 1.5)."""

    text: str


def _plain(value: object) -> object:
    """A number as Python's own type (`_Int` and `_Float` keep their text for the checks)."""
    if isinstance(value, _Int):
        return int(value)
    return float(value) if isinstance(value, _Float) else value


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, numbers keeping the text they were written as (`_Int`), that
    refuses a key written twice in one section: YAML keeps only the last, so a second
    `values:` (or `contacts:`) would drop the first without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[object, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                key_node, yaml.ScalarNode
            ):
                continue  # `<<: *anchor` merges keys that this section may override
            key = self.construct_object(key_node)
            if key in seen:
                first = seen[key].start_mark.line + 1
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"the key {key_node.value!r} is written twice in one section (first at "
                    f"line {first}), and YAML would keep only the last: merge them into one",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep)


def _number(kind: type, construct: Callable) -> Callable:
    def constructor(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> object:
        value = kind(construct(loader, node))
        value.text = node.value
        return value

    return constructor


_Loader.add_constructor("tag:yaml.org,2002:int", _number(_Int, yaml.SafeLoader.construct_yaml_int))
_Loader.add_constructor(
    "tag:yaml.org,2002:float", _number(_Float, yaml.SafeLoader.construct_yaml_float)
)


def _mapping_from_dict(spec: object, path: Path) -> FormatMapping:
    if spec is None:
        raise CRMExportError(
            "the mapping file is empty: it needs a 'tables:' section (see docs/mappings.md)",
            file=str(path),
        )
    if not isinstance(spec, dict):
        raise CRMExportError(
            "a mapping file must be a section of keys (name:, timezone:, tables:, ...), not "
            f"{type(spec).__name__} {spec!r} (see docs/mappings.md)",
            file=str(path),
        )
    _check_settings(spec, path)
    if spec.get("tables") is None:
        raise CRMExportError(
            "a mapping file needs a 'tables:' section naming its tables "
            f"({', '.join(TABLES)}; see docs/mappings.md)",
            file=str(path),
        )
    tables = {table: _table_mapping(table, body, path) for table, body in spec["tables"].items()}
    return FormatMapping(
        name=str(spec.get("name", path.stem)),
        tables=tables,
        timezone=spec.get("timezone", "UTC"),
        dayfirst=spec.get("dayfirst"),
        decimal=spec.get("decimal"),
        data=spec.get("data"),
        path=path,
        stage_dates_from_deals=spec.get("stage_dates_from_deals", True) is not False,
    )


def _table_mapping(table: str, body: object, path: Path) -> TableMapping:
    """One table section of a mapping file, checked (errors name the file and the key)."""
    if table not in SCHEMA:
        raise CRMExportError(
            f"unknown table {table!r} in the mapping; tables are {', '.join(TABLES)}",
            file=str(path),
        )
    body = body or {}
    if not isinstance(body, dict):
        raise CRMExportError(
            f"the mapping for {table} must be a section of keys (files:, columns:, ...), "
            f"not {type(body).__name__} (see docs/mappings.md)",
            file=str(path),
        )
    _check_shapes(table, body, path)
    unknown_keys = sorted(set(body) - _TABLE_KEYS)
    if unknown_keys:
        raise CRMExportError(
            f"unknown key(s) {', '.join(map(repr, unknown_keys))} in the mapping for "
            f"{table}; keys are {', '.join(sorted(_TABLE_KEYS))} (see docs/mappings.md)",
            file=str(path),
        )
    _check_columns(table, body, path)
    _check_targets(table, body, path)
    fields = {k: body[k] for k in TableMapping.__dataclass_fields__ if body.get(k) is not None}
    fields["values"] = {  # a stage id written unquoted (37336401) is that text
        col: {str(k): v for k, v in tr.items()} for col, tr in (body.get("values") or {}).items()
    }
    fields["constants"] = {c: _plain(v) for c, v in (body.get("constants") or {}).items()}
    for key in ("columns", "primary"):  # {column: header or headers}
        fields[key] = {k: _as_list(v) for k, v in (body.get(key) or {}).items()}
    fields["home_currency"] = _as_list(body.get("home_currency"))
    if isinstance(body.get("multi_value"), dict):  # {column: separator}
        fields["separators"] = dict(body["multi_value"])
        fields["multi_value"] = list(body["multi_value"])
    fields["files"] = _as_list(body.get("files"))
    return TableMapping(**fields)


def _as_list(value: object) -> list:
    """A mapping file's one text or list of them (or nothing) as a list."""
    return [value] if isinstance(value, str) else list(value or [])


_SETTINGS = {  # top-level keys of a mapping file: what each must be
    "name": ("a name (quote yes/no/on/off)", lambda v: _one_value(v)),
    "timezone": ("a time zone name such as Europe/Berlin", lambda v: isinstance(v, str)),
    "dayfirst": ("true, false or null", lambda v: isinstance(v, bool)),
    "decimal": ('"." or "," (quoted)', lambda v: v in (".", ",")),
    "data": ("a folder, relative to the mapping file", lambda v: isinstance(v, str)),
    "stage_dates_from_deals": ("true or false", lambda v: isinstance(v, bool)),
    "tables": ("a section of tables", lambda v: isinstance(v, dict)),
}


def _one_value(value: object) -> bool:
    """Text or a number, not a YAML yes/no: `bool` is an `int` to Python, so it is refused
    by name (`country: NO` is false to YAML, and would become the text "False")."""
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _texts(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _text_or_texts(value: object) -> bool:
    return isinstance(value, str) or _texts(value)


@dataclass(frozen=True)
class _Each:
    """A section's shape: keys each with a value that `check` passes, `what` it must be (an
    error names the first entry that is not: `derive: is_won`)."""

    what: str
    check: Callable[[object], bool]

    def __call__(self, value: object) -> bool:
        return isinstance(value, dict) and all(map(self.check, value.values()))


def _each(keys: str, what: str, check: Callable[[object], bool]) -> tuple[str, _Each]:
    """A `_SHAPES` entry: `keys` (our columns), each with a value that is `what`."""
    return f"{keys}, each with {what}", _Each(what, check)


def _rule(value: object) -> bool:
    """A `derive` rule: `from` and `pattern` (text), and optionally `false_for`, the values
    known to be false (a list of texts or numbers: a custom pipeline's stage ids `[37336401]`
    as YAML reads them unquoted): then values neither names are counted in a warning."""
    return (
        isinstance(value, dict)
        and {"from", "pattern"} <= set(value) <= {"from", "pattern", "false_for"}
        and _texts([value["from"], value["pattern"]])
        and isinstance(value.get("false_for", []), list)
        and all(map(_one_value, value.get("false_for", [])))
    )


def _deleted_rule(value: object) -> bool:
    """A `deleted` rule: `from` and `pattern` (text), as a `derive` rule without `false_for`."""
    return isinstance(value, dict) and set(value) == {"from", "pattern"} and _rule(value)


def _separator(value: object) -> bool:
    """A `multi_value` column's separator: text that is not blank (`,`, `;`, ` | `)."""
    return isinstance(value, str) and value.strip() != ""


def _translation(value: object) -> bool:
    """{their value: our value}, texts; a key may be a number YAML read as written (`_Int`:
    a stage id `37336401`)."""
    return (
        isinstance(value, dict)
        and all(isinstance(k, str) or _as_written(k) for k in value)
        and all(isinstance(v, str) for v in value.values())
    )


def _as_written(value: object) -> bool:
    """An integer (not a YAML yes/no) whose digits are the text it was written as."""
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and getattr(value, "text", str(value)) == str(int(value))
    )


_RULE = "{from: column, pattern: regular expression}"
_SHAPES = {  # table-section keys: what each must be (docs/mappings.md)
    "files": ("a file-name pattern or a list of them", _text_or_texts),
    "columns": _each("our columns", "a header or a list of headers", _text_or_texts),
    "values": _each("our columns", "{their value: our value} (quote yes/no/on/off)", _translation),
    "multi_value": (
        "a list of our columns, or our columns each with the text that separates its values "
        '(lifecycle_stage: ",")',
        lambda v: _texts(v) or (isinstance(v, dict) and all(map(_separator, v.values()))),
    ),
    "coalesce": ("a list of our columns", _texts),
    "primary": _each("our columns", "a header or a list of headers", _text_or_texts),
    "home_currency": (
        "a header or a list of headers of an amount in the company's own currency",
        _text_or_texts,
    ),
    "derive": _each("our columns", f"{_RULE} and optionally false_for: [values]", _rule),
    # a YAML yes/no is told apart by column (`_check_yes_no`): true/false for a flag only
    "constants": _each(
        "our columns",
        "one value (quote yes/no/on/off)",
        lambda v: isinstance(v, str | int | float),
    ),
    "strip": _each("our columns", "a regular expression", lambda v: isinstance(v, str)),
    "type_from_file": (
        "file-name patterns, each with an activity type",
        lambda v: isinstance(v, dict) and all(isinstance(t, str) for t in [*v, *v.values()]),
    ),
    "deleted": (_RULE, _deleted_rule),
    "extra_ok": ("true or false", lambda v: isinstance(v, bool)),
}
#: the keys of a rule, by the table-section key that holds rules (`_rule_note`)
_RULE_KEYS = {"derive": ("from", "pattern", "false_for"), "deleted": ("from", "pattern")}


def _check_settings(spec: dict, path: Path) -> None:
    """Top-level keys: known, and each of the right kind (`dayfirst: "false"` is not false)."""
    unknown = sorted(set(map(str, spec)) - set(_SETTINGS))
    if unknown:
        raise CRMExportError(
            f"unknown key(s) {', '.join(map(repr, unknown))} at the top of the mapping; keys "
            f"are {', '.join(_SETTINGS)} (see docs/mappings.md)",
            file=str(path),
        )
    for key, (what, check) in _SETTINGS.items():  # a key left empty takes its default
        if spec.get(key) is not None and not check(spec[key]):
            raise CRMExportError(f"{key}: must be {what}, not {spec[key]!r}", file=str(path))
    try:  # a time zone no one knows (`Europe/Berln`) is named with the file and the key
        DateOptions(timezone=spec.get("timezone") or "UTC")
    except CRMExportError as exc:
        raise exc.but(reason=f"timezone: {exc.reason}", file=str(path)) from None


def _check_columns(table: str, body: dict, path: Path) -> None:
    """Every column a table section names (under `columns`, `derive`, `values`, `coalesce`,
    ...) is one of the data model's; any column with `extra_ok`."""
    if body.get("extra_ok"):
        return
    unknown = []
    known = {**SCHEMA[table], **SOURCE_COLUMNS.get(table, {})}
    for key in _COLUMN_KEYS:
        for col in body.get(key) or ():
            if col not in known:
                close = difflib.get_close_matches(str(col), list(known), n=1, cutoff=0.8)
                unknown.append(f"{key}: {col}" + (f" (did you mean {close[0]}?)" if close else ""))
    if unknown:
        raise CRMExportError(
            f"mapping for {table} names columns that are not in the data model: "
            f"{'; '.join(unknown)} (see docs/data-model.md)",
            file=str(path),
        )


#: how a column's vocabulary is named in an error, by its kind (`_vocabulary_of`)
_VOCABULARY_NAMES = {
    "stage": "lifecycle stages",
    "channel": "channels",
    "touch_type": "touch types",
    "activity_type": "activity types",
    "bool": "flag values (true, false, yes, no, 1, 0, ...)",
    "task_status": "task statuses (smk.io.mapping.TASK_STATUS_DONE)",
    "email_direction": "e-mail directions",
}


def _vocabulary_of(table: str, col: str) -> tuple[str, Callable, list[str]] | None:
    """The vocabulary the loader reads `table.col` with: its kind, a test of values (a mask:
    known as the loader tells them) and the values it knows; None for a free-text column
    (campaign, industry, a deal's stage)."""
    kind = SCHEMA.get(table, {}).get(col)
    if kind is None and col in SOURCE_COLUMNS.get(table, {}):
        kind = col  # `task_status`, `email_direction` (`merged_ids`: free text)
    if kind in VOCABULARIES:
        return kind, lambda s: known_words(s, kind), list(VOCABULARIES[kind])
    if kind == "bool":
        return kind, lambda s: ~parse_bools(s)[1].to_numpy(dtype=bool), ["true", "false"]
    if kind == "task_status":
        return kind, lambda s: task_done(s).notna().to_numpy(dtype=bool), list(TASK_STATUS_DONE)
    if kind == "email_direction":
        known = INBOUND_EMAIL_DIRECTIONS | OUTBOUND_EMAIL_DIRECTIONS
        told = ["INCOMING_EMAIL", "FORWARDED_EMAIL", "EMAIL", "Inbound", "Outbound"]
        return kind, lambda s: _words(s, s.index).isin(known).to_numpy(dtype=bool), told
    return None


def _targets(body: dict) -> dict[str, dict[str, str]]:
    """What a table section makes a column's values, by column: its `values:` translations
    ({their value: ours}), its `constants` and its `type_from_file` types, each keyed by
    where the mapping says it (`values: type: Call`, `constants: channel`)."""
    found: dict[str, dict[str, str]] = {}
    for col, translation in (body.get("values") or {}).items():
        found[col] = {f"values: {col}: {k}": v for k, v in translation.items()}
    for col, value in (body.get("constants") or {}).items():
        if not isinstance(value, bool):  # a flag's YAML true/false is just that
            found.setdefault(col, {})[f"constants: {col}"] = str(_plain(value))
    for pattern, kind in (body.get("type_from_file") or {}).items():
        found.setdefault("type", {})[f"type_from_file: {pattern}"] = kind
    return found


def _check_targets(table: str, body: dict, path: Path) -> None:
    """Each value a table section makes of a column with a vocabulary (a `values:`
    translation's target, a constant, a `type_from_file` type) is one of that vocabulary as
    the loader reads it: `{Contacted: marketing qualified lead}` would load every such
    contact at `other`, under a warning that reads as if the export held that value. A blank
    target (`{"-": ""}`: the export's placeholder for "unknown") is a blank cell, as in the
    export, and spaces around a target are dropped, as the loader drops them."""
    for col, made in _targets(body).items():
        vocabulary = _vocabulary_of(table, col)
        made = {where: v.strip() for where, v in made.items() if str(v).strip()}
        if vocabulary is None or not made:
            continue
        kind, known, words = vocabulary
        told = known(pd.Series(list(made.values()), dtype="string"))
        bad = [(where, v) for (where, v), ok in zip(made.items(), told, strict=True) if not ok]
        if bad:
            said = "; ".join(f"{where}: {v!r}{_hint(kind, v, words)}" for where, v in bad)
            raise CRMExportError(
                f"{said} in the mapping for {table} {'is' if len(bad) == 1 else 'are'} not "
                f"one of smk's {_VOCABULARY_NAMES[kind]}, which are {', '.join(words)} (any "
                "case): write one of them (see docs/mappings.md, `values`)",
                file=str(path),
            )


def _hint(kind: str, value: str, words: list[str]) -> str:
    """What to write instead of `value`: for an activity type that says an inbound e-mail,
    how smk tells one (not `email`, which counts as sales work); else `_closest`."""
    if kind == "activity_type" and plain_words(value) in INBOUND_EMAIL_TYPES:
        return (
            " (an e-mail sales did not write is told by its type as the export writes it, "
            "INCOMING_EMAIL or FORWARDED_EMAIL, or by its email_direction: map that column "
            "and translate its values under `values: email_direction:`)"
        )
    return _closest(value, words)


def _closest(value: str, words: list[str]) -> str:
    """` (did you mean mql?)`: the word of `words` that `value` most likely means, by its
    spelling (`Complete!`), its initials (`marketing qualified lead`: mql) or a word of it
    (`phone call`: call); empty when none is obvious."""
    forms = {plain_words(w): w for w in words}
    key = plain_words(value)
    initials = "".join(part[0] for part in key.split()) if " " in key else None
    parts = [w for form, w in forms.items() if form in key.split()]
    close = difflib.get_close_matches(key, list(forms), n=1, cutoff=0.75)
    guess = forms.get(initials) or (parts[0] if len(parts) == 1 else None)
    guess = guess or (forms[close[0]] if close else None)
    return f" (did you mean {guess}?)" if guess else ""


def _check_shapes(table: str, body: dict, path: Path) -> None:
    """Each key of a table section holds what it must; its regular expressions compile."""
    _check_yes_no(table, body.get("constants"), path)
    _check_number_keys(table, body.get("values"), path)
    for key, (what, check) in _SHAPES.items():
        if key in body and body[key] is not None and not check(body[key]):
            where, what, found = _misshapen(key, what, check, body[key])
            raise CRMExportError(
                f"{where} in the mapping for {table} must be {what}; found {found!r}"
                f"{_rule_note(key, found)} (see docs/mappings.md)",
                file=str(path),
            )
    # each pattern is checked by the engine that runs it: strip by Arrow (RE2 syntax, `\pL`),
    # derive by Python's re (case-insensitive, lookarounds)
    patterns = [(f"strip: {c}", p, _arrow_regex) for c, p in (body.get("strip") or {}).items()]
    patterns += [
        (f"derive: {c}", r["pattern"], _python_regex) for c, r in (body.get("derive") or {}).items()
    ]
    if body.get("deleted"):
        patterns.append(("deleted", body["deleted"]["pattern"], _python_regex))
    for where, pattern, compiles in patterns:
        try:
            compiles(pattern)
        except (re.error, pa.ArrowInvalid) as exc:
            raise CRMExportError(
                f"{where} in the mapping for {table} is not a valid regular expression "
                f"{pattern!r}: {exc}",
                file=str(path),
            ) from None


def _misshapen(key: str, what: str, check: Callable, value: object) -> tuple[str, str, object]:
    """Where a value of the wrong shape is, what it must be and what it is: for a section of
    entries, its first wrong entry (`derive: is_won`), not the whole section."""
    if isinstance(check, _Each) and isinstance(value, dict):
        name, entry = next((k, v) for k, v in value.items() if not check.check(v))
        return f"{key}: {name}", check.what, entry
    return f"{key}:", what, value


def _rule_note(key: str, rule: object) -> str:
    """What a `derive` or `deleted` rule lacks or has too much: ` (no from)`."""
    if key not in _RULE_KEYS or not isinstance(rule, dict):
        return ""
    missing = [f"no {k}" for k in ("from", "pattern") if k not in rule]
    unknown = [f"unknown key {k!r}" for k in rule if k not in _RULE_KEYS[key]]
    return f" ({', '.join(missing + unknown)})" if missing or unknown else ""


def _check_yes_no(table: str, constants: object, path: Path) -> None:
    """A constant YAML read as true/false is refused with how to quote it, unless its column
    is a flag (`is_won: false` means just that): the file may say `country: NO` (Norway), and
    what was written is gone once YAML read it."""
    if not isinstance(constants, dict):
        return
    for col, value in constants.items():
        if isinstance(value, bool) and SCHEMA.get(table, {}).get(col) != "bool":
            example = "yes" if value else "NO"
            raise CRMExportError(
                f"constants: {col} in the mapping for {table} is {str(value).lower()} to YAML, "
                "which reads yes/no/on/off/true/false (any case) as true or false: quote the "
                f'value as written, e.g. {col}: "{example}" (see docs/mappings.md)',
                file=str(path),
            )


def _check_number_keys(table: str, values: object, path: Path) -> None:
    """A `values` key YAML read as a number that may not be the text written (`0123` is the
    octal 83, `1.50` is 1.5, `1_000` is 1000) is refused with how to quote it; an integer
    written as Python prints it (`37336401`) is that text (`_as_written`)."""
    if not isinstance(values, dict):
        return
    for col, translation in values.items():
        for key, ours in translation.items() if isinstance(translation, dict) else ():
            if isinstance(key, int | float) and not isinstance(key, bool) and not _as_written(key):
                written = getattr(key, "text", str(key))
                raise CRMExportError(
                    f"values: {col} in the mapping for {table} has the key {written}, which "
                    f"YAML reads as the number {key!r}, not as the text written (a leading "
                    "zero, a decimal point, a _ are lost): quote the key as written, e.g. "
                    f'"{written}": {ours} (see docs/mappings.md)',
                    file=str(path),
                )


def _arrow_regex(pattern: str) -> None:
    pc.replace_substring_regex(pa.array([""]), pattern=pattern, replacement="")


def _python_regex(pattern: str) -> None:
    re.compile(pattern, re.I)


# ------------------------------------------------------------------ files -> raw tables
#: names of files that sit beside an export but are not data: macOS's AppleDouble twins
#: (`._contacts.csv`, written on FAT/exFAT drives and network shares) and Office lock files
#: (`~$deals.xlsx`, present while the workbook is open)
_NOT_DATA = ("._", "~$")


def data_files(folder: Path) -> list[Path]:
    """The folder's files that may hold an export table (by suffix), metadata twins left out."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in _DATA_SUFFIXES and not p.name.startswith(_NOT_DATA)
    )


#: compressed files and archives, with the command that unpacks one: smk reads a whole export
#: zipped (`smk.load("export.zip")`), never a compressed file inside a folder
_COMPRESSED = {
    ".gz": "gunzip",
    ".tgz": "tar -xzf",
    ".bz2": "bunzip2",
    ".xz": "unxz",
    ".zst": "unzstd",
    ".lz4": "unlz4",
    ".zip": "unzip",
    ".7z": "7z x",
    ".rar": "unrar x",
    ".tar": "tar -xf",
}
#: what a browser names a file while it downloads it (Chrome, Firefox, Edge, Safari)
_DOWNLOADING = {".crdownload", ".part", ".partial", ".download"}
#: formats a CRM or a spreadsheet may write a table in that smk does not read
_OTHER_FORMATS = {".json", ".jsonl", ".ndjson", ".xml", ".ods", ".numbers", ".avro", ".orc"}


@dataclass(frozen=True)
class Unread:
    """A folder entry named like a table file that smk cannot read: what it is, what to do."""

    path: Path
    what: str
    fix: str
    #: a table file for sure (compressed, a link, a pipe, a download): an error when no file of
    #: its name's kind was read; else (`.json`, `.xml`: maybe another tool's file named like
    #: one, `marketing-emails-report.json`) only when its table read no file at all
    sure: bool = True


def unread_files(folder: Path) -> list[Unread]:
    """The folder's entries that may hold an export table but are not read: compressed files
    (`deals.csv.gz`, `deals.zip`), tables in a format smk does not read (`.json`, `.xml`,
    `.ods`), and data files that are no regular file (a symbolic link to nothing, a named
    pipe). Metadata twins, hidden entries and folders are left out; so are files of other
    types (`.pdf`, `.md`), which hold no table."""
    readable = set(data_files(folder))
    found = []
    for path in sorted(folder.iterdir()):
        if path not in readable and not path.name.startswith((*_NOT_DATA, ".")):
            entry = _unread_entry(path)
            if entry is not None:
                found.append(entry)
    return found


def _unread_entry(path: Path) -> Unread | None:
    """`path`, a folder entry not among `data_files`, as an `Unread`; None when it holds no
    table (a folder, a file of another type, a metadata twin)."""
    inner, outer = inner_name(path.name), Path(path.name).suffix.lower()
    wrapped, suffix = inner != path.name.lower(), Path(inner).suffix
    if not (wrapped or suffix in _DATA_SUFFIXES or suffix in _OTHER_FORMATS) or path.is_dir():
        return None
    if path.is_symlink() and not path.exists():
        what = (
            f"a symbolic link to {os.readlink(path)}, which does not exist (it points to nothing)"
        )
        return Unread(path, what, "put the file itself (or a link to it) in its place")
    if not path.is_file():
        what = f"{_file_kind(path)}, not a regular file"
        return Unread(path, what, "put the export file itself in its place")
    if outer in _DOWNLOADING:
        what = f"a download that has not finished ({outer})"
        return Unread(path, what, "let the download finish, or download the file again")
    if wrapped:
        what = f"a compressed file ({outer}), which smk does not read inside a folder"
        return Unread(path, what, f"decompress it ({_COMPRESSED[outer]} '{path.name}')")
    if suffix in _DATA_SUFFIXES:
        return None
    what = f"a {suffix} file, which smk does not read"
    return Unread(path, what, "export the table as CSV (or .xlsx or .parquet)", sure=False)


def inner_name(name: str) -> str:
    """`name` lower-cased, without its compression and download suffixes (`deals.csv.gz`,
    `deals.csv.crdownload`: `deals.csv`)."""
    name = name.lower()
    while Path(name).suffix in _COMPRESSED.keys() | _DOWNLOADING and Path(name).stem:
        name = Path(name).stem
    return name


def _file_kind(path: Path) -> str:
    """What a folder entry that is no regular file is (by `stat`: a pipe is never opened)."""
    mode = path.stat().st_mode
    kinds = [
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ]
    return next((kind for test, kind in kinds if test(mode)), "a special file")


def refuse_special(path: Path, shown: str) -> None:
    """A source that is neither a folder nor a regular file (a named pipe, a device) is
    refused before anything opens it: reading a pipe waits for a writer, for ever."""
    if path.exists() and not path.is_dir() and not path.is_file():
        raise CRMExportError(
            f"{_file_kind(path)}, not a regular file: give smk the export's file or folder",
            file=shown,
        )


def name_forms(name: str) -> set[str]:
    """The forms a file's name is matched in, lower-cased: as it is, without its compression
    suffixes and without its type suffix (`deals.csv.gz`: that, `deals.csv` and `deals`)."""
    inner = inner_name(name)
    return {name.lower(), inner, Path(inner).stem or inner}


def check_unread(
    folder: Path, groups_of: Callable[[str], list[str]], readable: dict[str, list[str]]
) -> list[str]:
    """Warnings for the folder's `unread_files`; `groups_of(name)` names the groups of files
    (a table's files, a Salesforce object) a file of that name belongs to, and `readable`
    maps a group to the readable files in it.

    An unread file with no readable file in its group is an error, not a warning: its table
    would load none of its rows (a deals table of 0 rows reads as "no deals", a revenue of
    0), and a report run by a scheduler publishes that without anyone reading a warning. One
    beside a readable file of its group (an older `.csv.gz` copy) is a warning.
    """
    notes = []
    fed = {_owner(g) for g, files in readable.items() if files}  # tables that read a file
    for entry in unread_files(folder):
        groups = groups_of(entry.path.name)
        alone = [g for g in groups if not readable.get(g)]
        if not entry.sure:
            alone = [g for g in alone if _owner(g) not in fed]
        if alone:
            raise CRMExportError(
                f"{entry.what}: {entry.fix}, and run again. It is the only file for "
                f"{alone[0]}: without it none of those rows would be loaded, and the figures "
                "drawn from them would be wrong (a file that holds none of them: move it out "
                "of the export folder)",
                file=str(entry.path),
            )
        if groups:
            read = readable.get(groups[0])
            source = f"{', '.join(read)} alone" if read else "its other files"
            notes.append(
                f"{entry.path.name} was not read ({entry.what}): {groups[0]} was read from {source}"
            )
    return notes


def _owner(group: str) -> str:
    """The table (or object) of a `check_unread` group: `the activities table`."""
    return group.split(" (names like", 1)[0]


def table_groups(mapping: FormatMapping) -> Callable[[str], list[str]]:
    """`groups_of` for `check_unread` by a mapping's `files:` patterns: a group per table and
    pattern without its type suffix (`deals.csv` and `deals.parquet` are one group, HubSpot's
    `*calls*` and `*emails*` two), matched by `name_forms`."""

    def groups_of(name: str) -> list[str]:
        forms = name_forms(name)
        groups = (
            _group(table, pattern)
            for table, tm in mapping.tables.items()
            for pattern in tm.files
            if any(fnmatch.fnmatch(form, _pattern_stem(pattern)) for form in forms)
        )
        return list(dict.fromkeys(groups))  # `deals.csv`, `deals.tsv`, ...: one group

    return groups_of


def _pattern_stem(pattern: str) -> str:
    pattern = pattern.lower()
    stem, suffix = os.path.splitext(pattern)
    return stem if suffix in _DATA_SUFFIXES and stem else pattern


def _group(table: str, pattern: str) -> str:
    return f"the {table} table (names like '{_pattern_stem(pattern)}')"


def _readable_groups(mapping: FormatMapping, candidates: list[Path]) -> dict[str, list[str]]:
    """Group (`table_groups`) -> the readable files in it."""
    found: dict[str, list[str]] = {}
    for table, tm in mapping.tables.items():
        for pattern in tm.files:
            for p in candidates:
                names = found.setdefault(_group(table, pattern), [])
                if fnmatch.fnmatch(p.name.lower(), pattern.lower()) and p.name not in names:
                    names.append(p.name)
    return found


def files_for(table: TableMapping, candidates: list[Path]) -> list[Path]:
    return [
        p
        for p in candidates
        if any(fnmatch.fnmatch(p.name.lower(), pat.lower()) for pat in table.files)
    ]


def map_frame(frame: pd.DataFrame, table: str, tm: TableMapping, path: Path) -> pd.DataFrame:
    """Rename one file's columns to canonical names and translate its values."""
    copies = _header_columns(frame)  # a header given twice read once (`_copy_read`)
    headers = {key: _copy_read(frame, columns) for key, columns in copies.items()}
    out = pd.DataFrame(index=frame.index)
    used: set[str] = set()  # headers mapped: not kept again under their own name
    home = _home_amount(tm, headers)
    read: dict[str, str] = {}  # our column -> the header it is read from (the first)
    for canonical in tm.columns:
        # a header may feed several of our columns (one Zoho date for created_at and
        # became_lead_at): each gets its values, transformed on its own
        sources: list[str] = []
        for alias in _aliases(tm, canonical, home):
            source = headers.get(fileio.normalise_header(alias))
            if source is not None and source not in sources:
                sources.append(source)
                if canonical not in tm.coalesce:
                    break
        if sources:
            out[canonical] = frame[sources[0]]
            read[canonical] = sources[0]
            for other in sources[1:]:  # `coalesce`: first non-empty value, row by row
                first, then = clean_text(out[canonical]), clean_text(frame[other])
                out[canonical] = as_text(first).fillna(as_text(then))
            used.update(sources)
    for col in tm.multi_value:
        if col in out:
            full = as_text(clean_text(out[col]))
            multi = holds(full, _separator_of(tm, col))
            if multi.any():
                out[col] = full.mask(multi, _first_value(full[multi], _separator_of(tm, col)))
                out[f"{col}s_all"] = full
            else:
                out[col] = full
    used.update(_primary(out, frame, headers, tm))
    for col, pattern in tm.strip.items():
        if col in out:
            out[col] = _strip_pattern(out[col], pattern)
    raw_type = out.get("type")  # as written, before `values` translate it (INCOMING_EMAIL)
    for col, mapping in tm.values.items():
        if col in out:
            out[col] = translate(out[col], mapping)
    if "lifecycle_stage" in tm.multi_value and "lifecycle_stages_all" in out:
        out["lifecycle_stage"] = _furthest_stage(out, tm)
    deleted = _deleted(out, frame, headers, tm)
    untold, filled = _derive(out, frame, headers, tm, deleted)
    for col, value in tm.constants.items():
        if col not in out:
            out[col] = value
    for pattern, value in tm.type_from_file.items():
        if "type" not in out and fnmatch.fnmatch(path.name.lower(), pattern.lower()):
            out["type"] = value
    not_done, notes = _task_work(out, table, path)
    inbound, said = _inbound_emails(out, raw_type, table, path)
    notes += said + _home_note(table, tm, headers, home, path)
    notes += _derived_notes(filled, read, tm, f"{table}: {path.name}")
    notes += unread_flag_notes(frame, tm.deleted_flags, f"{table}: {path.name}")
    extras = _mapped_extras(tm, headers, table)
    notes += _twice_notes(frame, copies, headers, used.union(extras), f"{table}: {path.name}")
    for col in frame.columns:  # keep what we did not map, under its own name
        if col not in used and col not in _READER_META and col not in out:
            out[col] = frame[col]
    unfound = _unfound(tm, out, headers) if tm.origin is not None else []
    _check_required(out, table, tm, frame, path)
    # file name and reason as categoricals: one code per row, not ten million strings
    out["_file"] = pd.Categorical.from_codes(np.zeros(len(frame), np.int8), [path.name])
    out["_row"] = frame["_row"]
    footer = fileio.footer_mask(frame).to_numpy()
    empty = blank_rows(frame, [c for c in frame.columns if c not in _READER_META])
    reasons = ["report footer", TASK_NOT_DONE, INBOUND_EMAIL, DELETED_IN_CRM, EMPTY_ROW]
    # each row's first reason of empty, footer, deleted, not done, inbound (-1: none), set in
    # the reverse order so that the first one wins; one byte per row. An empty row is judged
    # on the file's own cells, before a value the loader gives it (a type from the file's
    # name, a Salesforce checkbox's false) fills one
    codes = np.full(len(frame), -1, dtype=np.int8)
    for code, rows in ((2, inbound), (1, not_done), (3, deleted), (0, footer), (4, empty)):
        codes[np.asarray(rows, dtype=bool)] = code
    out["_reason"] = pd.Categorical.from_codes(codes, reasons)
    mapped = _with_malformed(out, frame, path, _key_read(table, read), tm.strip)
    mapped.attrs["delimiter"] = frame.attrs.get("delimiter")  # evidence for `parse.decimal_for`
    # the reader's warnings, for the load, and the tasks' (`_task_work`)
    mapped.attrs["warnings"] = [*frame.attrs.get("warnings", ()), *notes]
    mapped.attrs["untold"] = untold  # for `read_table`'s warning, once for all its files
    # by `derive` column, the header it is read from (None: the file lacks it) and the rows
    # the rule filled, for that warning's advice (`_fill_advice`)
    mapped.attrs["flags"] = {col: [read.get(col), filled.get(col, 0)] for col in tm.derive}
    mapped.attrs["unfound"] = unfound  # the same (`unfound_warning`)
    mapped.attrs["headers"] = [c for c in frame.columns if c not in _READER_META] if unfound else []
    mapped.attrs["mapped_extras"] = extras  # validate's warnings
    return mapped


def _header_columns(frame: pd.DataFrame) -> dict[str, list[str]]:
    """The file's columns by header as aliases match it (`fileio.normalise_header`), in file
    order: a header given twice has two, the reader's renamed copy too (`Amount.1`, its own
    name also a key, as a mapping may name it). The reader's own columns are left out (only
    them: a source header may start with `_`)."""
    named = frame.attrs.get("copies", {})
    columns: dict[str, list[str]] = {}
    for col in frame.columns:
        if col not in _READER_META:
            columns.setdefault(fileio.normalise_header(named.get(col, col)), []).append(col)
    for col in named:
        columns.setdefault(fileio.normalise_header(col), [col])
    return columns


def _copy_read(frame: pd.DataFrame, columns: list[str]) -> str:
    """The copy `map_frame` reads of a header given more than once: the first that is not
    empty in every row (a second `Amount` filled, the first blank), else the first."""
    if len(columns) == 1:  # the usual case: no column scanned
        return columns[0]
    return next((c for c in columns if not blank(frame[c]).all()), columns[0])


def _twice_notes(
    frame: pd.DataFrame,
    copies: dict[str, list[str]],
    headers: dict[str, str],
    read: set[str],
    where: str,
) -> list[str]:
    """The warnings for headers the mapping reads that the file gives more than once, when
    the copy read is not the first (the first is empty in every row) or another copy holds
    a value the one read has not in some rows: which columns, the one read and why, in how
    many rows they differ. Never merged: a value of a copy not read is not read."""
    order = [c for c in frame.columns if c not in _READER_META]
    said = []
    for key, columns in copies.items():
        chosen = headers[key]
        if len(columns) < 2 or chosen not in read:
            continue
        other, gaps = _unread_values(frame, chosen, columns)
        if chosen == columns[0] and not other + gaps:
            continue  # the others hold the same values, or none
        letters = [_column_letter(order.index(c)) for c in columns]
        at = columns.index(chosen)
        why = "the first" if not at else f"as {_columns_said(letters[:at])} empty in every row"
        header = frame.attrs.get("copies", {}).get(chosen, chosen)
        times = "twice" if len(columns) == 2 else f"{len(columns)} times"
        text = (
            f"{where} has the header {header!r} {times} (columns {', '.join(letters)}): "
            f"read from column {letters[at]}, {why}"
        )
        if other + gaps:
            kept = ", ".join(repr(c) for c in columns if c != chosen)
            text += (
                f"; another copy holds other values in {other + gaps:,} of {len(frame):,} rows "
                f"(in {gaps:,} of them column {letters[at]} is empty), kept unread as {kept}: "
                f"if it holds the values to read, delete or rename column {letters[at]} in the "
                "export (an export of all properties can give two properties one label)"
            )
        said.append(text)
    return said


def _unread_values(frame: pd.DataFrame, chosen: str, columns: list[str]) -> tuple[int, int]:
    """In how many rows a copy not read of a header holds another value than the `chosen`
    copy's: (rows where the chosen holds one too, rows where it is empty)."""
    values = as_text(clean_text(frame[chosen]))
    other = np.zeros(len(frame), dtype=bool)
    for col in columns:
        if col != chosen:
            cells = as_text(clean_text(frame[col]))
            other |= (cells.notna() & (cells != values).fillna(True)).to_numpy()
    empty = values.isna().to_numpy()
    return int((other & ~empty).sum()), int((other & empty).sum())


def _columns_said(letters: list[str]) -> str:
    """`column B is`, `columns B, C are`."""
    if len(letters) == 1:
        return f"column {letters[0]} is"
    return f"columns {', '.join(letters)} are"


def _column_letter(i: int) -> str:
    """A spreadsheet's letters for the column at position `i` (0: `A`, 26: `AA`)."""
    letters = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _found(headers: dict[str, str], names: Iterable[str]) -> list[str]:
    """The file's headers of `names` (aliases, in their order) that it has."""
    keys = (fileio.normalise_header(n) for n in names)
    return list(dict.fromkeys(headers[k] for k in keys if k in headers))


def _home_amount(tm: TableMapping, headers: dict[str, str]) -> str | None:
    """The header of the amount in the company's own currency (`home_currency`) that
    `map_frame` reads as `amount`: when the file has no other amount, or no currency column
    to say that amount's currency; None when the file has no such header, or the others."""
    home = _found(headers, tm.home_currency)
    own = _found(headers, _own_amounts(tm))
    if not home or (own and _found(headers, tm.columns.get("currency", ()))):
        return None
    return home[0]


def _own_amounts(tm: TableMapping) -> list[str]:
    """The `amount` aliases in each record's own currency (not `home_currency`)."""
    home = {fileio.normalise_header(h) for h in tm.home_currency}
    return [a for a in tm.columns.get("amount", ()) if fileio.normalise_header(a) not in home]


def _aliases(tm: TableMapping, col: str, home: str | None) -> list[str]:
    """The aliases `map_frame` reads `col` from: an amount in the company's currency only as
    `_home_amount` chose it, and then no currency (that of each record is not its)."""
    if col == "amount" and tm.home_currency:
        return [home] if home is not None else _own_amounts(tm)
    if col == "currency" and home is not None:
        return []
    return tm.columns[col]


def _home_note(
    table: str, tm: TableMapping, headers: dict[str, str], home: str | None, path: Path
) -> list[str]:
    """The warning that `amount` is read from a header in the company's own currency
    (`_home_amount`), with the headers that are not read because of it."""
    if home is None:
        return []
    one = table.removesuffix("s")
    said = [
        f"{table}: amount of {path.name} is read from {headers[fileio.normalise_header(home)]!r}, "
        f"{COMPANY_CURRENCY_UNNAMED}: the currency is left empty, so the report takes the "
        "amounts to be in the reporting currency (set reporting_currency to the company "
        "currency if it is another)"
    ]
    if own := _found(headers, _own_amounts(tm)):
        said.append(
            f"{own[0]!r} is not read: it is in each {one}'s own currency, which no column names"
        )
    if currency := _found(headers, tm.columns.get("currency", ())):
        said.append(
            f"{currency[0]!r}, each {one}'s own currency, is not that of these amounts: kept "
            "under its own name"
        )
    return ["; ".join(said)]


def _primary(
    out: pd.DataFrame, frame: pd.DataFrame, headers: dict[str, str], tm: TableMapping
) -> list[str]:
    """Each `primary` column's value from its primary header where a row has one, else the
    first of its list as `map_frame` read it (`<column>s_all` keeps the list); returns the
    headers read. HubSpot's first associated company is any of them, not the primary."""
    read = []
    for col, names in tm.primary.items():
        found = _found(headers, names)
        if not found:
            continue
        primary = _first_value(as_text(clean_text(frame[found[0]])), _separator_of(tm, col))
        out[col] = primary.fillna(as_text(clean_text(out[col]))) if col in out else primary
        read.append(found[0])
    return read


def _mapped_extras(tm: TableMapping, headers: dict[str, str], table: str) -> list[str]:
    """The columns the mapping maps that are not the model's: the file's headers that its
    `derive` and `deleted` rules read (a `from` that is no column the mapping names), kept
    under their own name (`map_frame`), and the columns it names outside the model (with
    `extra_ok`, e.g. `lead_score: [Score]`), kept under that name. Mapped, never said to be
    columns smk did not map. (A Salesforce object's `table` is no model's: no such columns.)"""
    rules = [*tm.derive.values(), tm.deleted]
    named = [*(str(rule["from"]) for rule in rules if "from" in rule), *tm.deleted_flags]
    found = (headers.get(fileio.normalise_header(h)) for h in named if h not in tm.columns)
    own = (c for names in (tm.columns, tm.derive, tm.constants) for c in names)
    extras = (c for c in own if table in SCHEMA and c not in SCHEMA[table])
    return list(dict.fromkeys([*(h for h in found if h is not None), *extras]))


def task_done(status: pd.Series) -> pd.Series:
    """Whether each task is done by its status (`TASK_STATUS_DONE`, any case): True, False, or
    <NA> where the status is missing or says neither."""
    said = as_text(translate(status, TASK_STATUS_DONE))
    done = pd.Series(pd.NA, index=status.index, dtype="boolean")
    done[said.eq("done").fillna(False).to_numpy(dtype=bool)] = True
    done[said.eq("not done").fillna(False).to_numpy(dtype=bool)] = False
    return done


def _tasks_words(n: int) -> tuple[str, str, str]:
    """The subject, verb and how they count of a warning on `n` tasks whose status says
    neither done nor open: ("1 task", "has", "it counts"), ("3 tasks", "have", "they count")."""
    if n == 1:
        return "1 task", "has", "it counts"
    return f"{n:,} tasks", "have", "they count"


def _task_work(out: pd.DataFrame, table: str, path: Path) -> tuple[np.ndarray, list[str]]:
    """A task's status and completion time (`SOURCE_COLUMNS`), for `map_frame`: the rows of
    tasks nobody has done (set aside as `TASK_NOT_DONE`), and a warning naming the statuses
    that say neither (those tasks count as done). A task's `occurred_at` (HubSpot's `Activity
    date`: a task's due date) gives way to its `completed_at` where the export has one."""
    if table != "activities":  # a mapping with `extra_ok` may name them elsewhere: extras
        return np.zeros(len(out), dtype=bool), []
    if "completed_at" in out:
        out["occurred_at"] = _first_of(out["completed_at"], out.get("occurred_at"))
    if "task_status" not in out:
        return np.zeros(len(out), dtype=bool), []
    status = as_text(clean_text(out["task_status"]))
    done = task_done(status)
    unknown = status[done.isna().to_numpy(dtype=bool)].dropna()
    notes = []
    if len(unknown):
        names = ", ".join(repr(v) for v in sorted(unknown.unique())[:5])
        some, have, they = _tasks_words(len(unknown))
        notes.append(
            f"activities: {some} of {path.name} {have} a task status that says neither done nor "
            f"open ({names}): {they} as sales work; translate the statuses to Completed or Not "
            "started under `values: task_status:` in a mapping file (docs/mappings.md)"
        )
    return done.eq(False).fillna(False).to_numpy(dtype=bool), notes


def _inbound_emails(
    out: pd.DataFrame, raw_type: pd.Series | None, table: str, path: Path
) -> tuple[np.ndarray, list[str]]:
    """The activities that are e-mails nobody in sales wrote, for `map_frame`: by their type
    as written (`INBOUND_EMAIL_TYPES`) or, for an e-mail (its type, after `values:`, is
    `email`), by its `email_direction` (`INBOUND_EMAIL_DIRECTIONS`); and a warning naming the
    e-mails' directions that say neither (`OUTBOUND_EMAIL_DIRECTIONS`): those count."""
    inbound = np.zeros(len(out), dtype=bool)
    if table != "activities":
        return inbound, []
    by_type = _words(raw_type, out.index).isin(INBOUND_EMAIL_TYPES).to_numpy(dtype=bool)
    direction = _words(out.get("email_direction"), out.index)
    typed = _words(out.get("type"), out.index).eq("email")
    email = by_type | typed.to_numpy(dtype=bool, na_value=False)
    inbound = by_type | (email & direction.isin(INBOUND_EMAIL_DIRECTIONS).to_numpy(dtype=bool))
    known = INBOUND_EMAIL_DIRECTIONS | OUTBOUND_EMAIL_DIRECTIONS
    unknown = email & direction.notna().to_numpy(dtype=bool) & ~direction.isin(known).to_numpy()
    if not unknown.any():
        return inbound, []
    written = as_text(clean_text(out["email_direction"]))[unknown].value_counts()
    ranked = sorted(written.items(), key=lambda vn: (-vn[1], vn[0]))
    names = ", ".join(f"{v!r} ({n})" for v, n in ranked[:5])
    n = int(unknown.sum())
    return inbound, [
        f"activities: {n} e-mail{'s' if n > 1 else ''} of {path.name} "
        f"{'have' if n > 1 else 'has'} an e-mail direction that says neither inbound nor sent "
        f"({names}{', ...' if len(ranked) > 5 else ''}): "
        f"{'they count' if n > 1 else 'it counts'} as sales work; translate the directions "
        "to INCOMING_EMAIL (the contact's own) or EMAIL (sent by sales) under "
        "`values: email_direction:` in a mapping file (docs/mappings.md)"
    ]


def _words(values: pd.Series | None, index: pd.Index) -> pd.Series:
    """Values as words to match (any case, `_` as a space); <NA> where empty, all of `index`
    without values."""
    if values is None:
        return pd.Series(pd.NA, index=index, dtype="string")
    return as_text(clean_text(values)).str.replace("_", " ").str.casefold()


def _first_of(first: pd.Series, then: pd.Series | None) -> pd.Series:
    """`first`, else `then`, row by row: timestamps when both are of one type, else text
    (a timestamp as ISO 8601 text, `_iso_text`)."""
    if then is None:
        return first
    if first.dtype == then.dtype and pd.api.types.is_datetime64_any_dtype(first):
        return first.fillna(then)
    return _date_text(first).fillna(_date_text(then))


def _date_text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return _iso_text(values)
    return as_text(clean_text(values))


def _unfound(
    tm: TableMapping, out: pd.DataFrame, headers: dict[str, str]
) -> list[tuple[str, str, str]]:
    """What a user's mapping looks for in one file in vain, as (key, column, header): the
    headers of a column left empty (`columns.amount`), each absent header of a `coalesce`
    column, the `from` of a `derive` rule whose column is left empty (`derive.is_won.from`)."""
    found = [
        (f"columns.{col}", col, alias)
        for col, aliases in tm.columns.items()
        if col not in out or col in tm.coalesce
        for alias in aliases
        if fileio.normalise_header(alias) not in headers
    ]
    found += [
        (f"derive.{col}.from", col, str(rule["from"]))
        for col, rule in tm.derive.items()
        if col not in out
    ]
    origin = tm.deleted.get("from")
    if origin is not None and origin not in out and not _has(headers, origin):
        found.append(("deleted.from", "deleted", str(origin)))
    return found


def _has(headers: dict[str, str], header: object) -> bool:
    return fileio.normalise_header(str(header)) in headers


def unfound_warning(
    table: str, tm: TableMapping, frames: list[pd.DataFrame], names: list[str]
) -> tuple[str, list[str]] | None:
    """The warning for the headers a user's mapping looks for in vain in every file of a
    table (`_unfound`; a header one file has is found): it names the mapping file, each key
    with those headers, what is left empty and what the analyses lose by it, and the files
    with their headers; with the columns it says are left empty. None when nothing is
    missing (or the mapping is smk's own)."""
    missing = set.intersection(*(set(f.attrs.get("unfound", ())) for f in frames))
    if tm.origin is None or not missing:
        return None
    looked: dict[tuple[str, str], list[str]] = {}  # (key, column) -> headers
    for key, col, header in frames[0].attrs["unfound"]:
        if (key, col, header) in missing:
            looked.setdefault((key, col), []).append(header)
    groups: dict[tuple[str, ...], list[str]] = {}  # files with the same headers, said once
    for frame, name in zip(frames, names, strict=True):
        groups.setdefault(tuple(frame.attrs["headers"]), []).append(name)
    every = list(dict.fromkeys(h for hs in groups for h in hs))
    keys = "; ".join(f"{k} looks for {_looked_for(hs, every)}" for (k, _), hs in looked.items())
    files = "; ".join(
        f"{', '.join(n)} {'has' if len(n) == 1 else 'have'} the headers {', '.join(map(repr, hs))}"
        for hs, n in groups.items()
    )
    empty, fewer = _left_empty(tm, looked)
    text = (
        f"{table}: the mapping file {tm.origin.name} names headers that no {table} file has: "
        f"{keys}. {_left_empty_text(table, empty, fewer, looked)}: correct the headers in the "
        f"mapping file (or remove the lines, if the export has no such column; "
        f"docs/mappings.md). {files}"
    )
    return text, empty


def _looked_for(headers: list[str], every: list[str]) -> str:
    """`'Deal - State' (similar: 'Deal - Stage', 'Deal - Status')`, for `unfound_warning`."""
    said = []
    for header in headers:
        close = difflib.get_close_matches(header, every, n=2, cutoff=0.75)
        said.append(repr(header) + (f" (similar: {', '.join(map(repr, close))})" if close else ""))
    return ", ".join(said)


def _left_empty(
    tm: TableMapping, looked: dict[tuple[str, str], list[str]]
) -> tuple[list[str], list[str]]:
    """The columns `unfound_warning`'s missing headers leave empty, and the `coalesce`
    columns they leave read from their other headers alone."""
    empty, fewer = [], []
    for (key, col), headers in looked.items():
        partial = key.startswith("columns.") and len(headers) < len(tm.columns[col])
        if key != "deleted.from":
            (fewer if partial else empty).append(col)
    return list(dict.fromkeys(empty)), fewer


#: Columns whose emptiness changes a rule rather than leaving figures at none or 0, by table,
#: with what the load then does: `unfound_warning` says it of such a column left empty.
EMPTY_MEANS: dict[str, dict[str, str]] = {
    "contacts": {
        "lifecycle_stage": "a contact without a stage date or a deal is outside the funnel",
    },
    "deals": {
        "is_closed": "every deal not won counts as open, a lost one too, so the win rate "
        "counts no deal lost; one with a close date before its creation is set aside, as "
        "its state is unknown",
        "is_won": "every closed deal counts as lost, so won revenue and the win rate read 0",
        "currency": "every amount is taken to be in the reporting currency",
    },
    "activities": {
        "task_status": "every task counts as done sales work, one still to do at its due "
        "date, so an MQL with only a planned task reads as worked",
        "email_direction": "every e-mail counts as sales work, the contact's own replies too",
    },
}


def _left_empty_text(
    table: str, empty: list[str], fewer: list[str], looked: dict[tuple[str, str], list[str]]
) -> str:
    """What `unfound_warning`'s missing headers do: columns left empty (what a column of
    `EMPTY_MEANS` being empty does instead), and the features the analyses build from them
    left out (`features_lost`), `coalesce` columns read from their other headers alone, no
    row set aside by the `deleted` rule."""
    said = []
    means = EMPTY_MEANS.get(table, {})
    plain = [c for c in empty if c not in means]
    if plain:
        verb, pron = ("is", "it") if len(plain) == 1 else ("are", "them")
        said.append(
            f"{', '.join(plain)} {verb} left empty (the figures drawn from {pron} read as none or 0)"
        )
    built = [c for c in plain if c in FEATURE_SOURCES.get(table, {})]
    if built:
        said.append(
            features_lost(table, built).format(it=pron if built == plain else ", ".join(built))
        )
    said += [f"{c} is left empty ({means[c]})" for c in empty if c in means]
    if fewer:
        said.append(f"{', '.join(fewer)} is read from its other headers alone")
    if ("deleted.from", "deleted") in looked:
        said.append("no row is set aside as deleted")
    return "So " + "; ".join(said)  # a clause may hold a list: "features built from a, b"


def _rule_source(
    out: pd.DataFrame, frame: pd.DataFrame, headers: dict[str, str], origin: object
) -> pd.Series | None:
    """The text a `derive` or `deleted` rule reads: `from` names one of our columns or,
    failing that, a header of the file (kept as is); None when there is neither."""
    if origin is None:
        return None
    if origin in out:
        return as_text(clean_text(out[origin]))
    if (header := headers.get(fileio.normalise_header(origin))) is not None:
        return as_text(clean_text(frame[header]))
    return None


def _matches(src: pd.Series, pattern: str) -> pd.Series:
    """Whether each value matches a rule's pattern (any case): True, False, <NA> when empty."""
    with warnings.catch_warnings():  # a pattern with groups, e.g. ^(won|lost)$, is fine
        warnings.filterwarnings("ignore", "This pattern .* has match groups", UserWarning)
        return src.str.contains(pattern, regex=True, flags=re.I)


def _deleted(
    out: pd.DataFrame, frame: pd.DataFrame, headers: dict[str, str], tm: TableMapping
) -> np.ndarray:
    """The rows the `deleted` rule says the CRM marks deleted, and those a `deleted_flags`
    header flags (none without either)."""
    flagged = marked_deleted(frame, tm.deleted_flags).to_numpy(dtype=bool)
    src = _rule_source(out, frame, headers, tm.deleted.get("from"))
    if src is None:
        return flagged
    return flagged | _matches(src, tm.deleted["pattern"]).to_numpy(dtype=bool, na_value=False)


def marked_deleted(frame: pd.DataFrame, headers: Iterable[str] = SYNC_DELETED) -> pd.Series:
    """The rows that a column of `headers` (any case) flags true (`parse_bools`: 1, true, t,
    yes, ...): the rows a sync keeps but the CRM deleted. A blank or unreadable flag is false
    (`unread_flag_notes` says so of an unreadable one)."""
    mask = pd.Series(False, index=frame.index)
    for col in _flag_columns(frame, headers):
        mask |= parse_bools(frame[col])[0].fillna(False).astype(bool)
    return mask


def _flag_columns(frame: pd.DataFrame, headers: Iterable[str]) -> list[str]:
    """The columns of `frame` that are one of `headers`, in any case."""
    wanted = {fileio.normalise_header(h) for h in headers}
    return [
        c for c in frame.columns if c not in _READER_META and fileio.normalise_header(c) in wanted
    ]


def unread_flag_notes(frame: pd.DataFrame, headers: Iterable[str], where: str) -> list[str]:
    """A warning for each deleted-flag column of `headers` (`marked_deleted`) holding values
    that are no flag (`Deleted`, `Active`): their rows are loaded as not deleted, which the
    load must say (RV3 of session 25: a canonical `is_deleted` of words set nothing aside)."""
    notes = []
    for col in _flag_columns(frame, headers):
        bad = parse_bools(frame[col])[1]
        if bad.any():
            shown = ", ".join(repr(v) for v in frame.loc[bad, col].astype(str).unique()[:3])
            notes.append(
                f"{where}: {int(bad.sum()):,} rows' {col} is no true/false flag ({shown}): "
                "they are loaded as not deleted in the CRM (write the flag as true/false or 1/0)"
            )
    return notes


def _derive(
    out: pd.DataFrame,
    frame: pd.DataFrame,
    headers: dict[str, str],
    tm: TableMapping,
    aside: np.ndarray,
) -> tuple[list[tuple[str, str, dict[str, int]]], dict[str, int]]:
    """Give each `derive` column its rule's values: the whole column where `out` lacks it,
    else the rows where it is blank (`_to_derive`: a flag column an export leaves empty, for
    some deals or all), a value given winning. Returns ``(column, from, counts)`` for each rule
    with `false_for`, and for an `is_closed` rule without one: the counts of the values neither
    the pattern nor that list names, of the rows the rule gave and did not set `aside`
    (deleted) (plain values: a frame's attrs are copied with it); and, by column the file has,
    how many of its blank rows the rule gave a value (`_derived_notes`)."""
    untold, derived, filled = [], {}, {}
    for col, rule in tm.derive.items():
        src = _rule_source(out, frame, headers, rule.get("from"))
        given = as_text(clean_text(out[col])) if col in out else None
        fill = _to_derive(given, col, tm, len(out))
        if src is None or (given is not None and not fill.any()):
            continue
        hit = _matches(src, rule["pattern"]).where(fill)
        out[col] = hit.map({True: "true", False: "false"}).astype("string")
        if given is not None:
            out[col] = given.fillna(out[col])
            filled[col] = int(hit.notna().sum())
        derived[col] = hit
        # an is_won rule's `false_for` beside an is_closed rule names lost stages: the closed
        # values it leaves untold are said by `_closed_not_won`, open ones are no news
        if col == "is_closed" or ("false_for" in rule and not _won_beside_closed(col, tm)):
            unmatched = hit.eq(False).to_numpy(dtype=bool, na_value=False) & ~aside
            untold.append((col, rule["from"], untold_counts(src[unmatched], rule)))
    if "is_won" in derived and "is_closed" in tm.derive and "is_closed" in out:
        untold += _lost_untold(out, frame, headers, tm, derived, aside)
    return untold, {col: n for col, n in filled.items() if n}


def _lost_untold(
    out: pd.DataFrame,
    frame: pd.DataFrame,
    headers: dict[str, str],
    tm: TableMapping,
    derived: dict[str, pd.Series],
    aside: np.ndarray,
) -> list[tuple[str, str, dict[str, int]]]:
    """`_derive`'s ``(key, from, counts)`` of the deals closed and taken as not won by the
    is_won rule at a stage that names no loss (`_closed_not_won`): `CLOSED_NOT_WON` where the
    is_closed rule closed them, `CLOSED_BY_FLAG_NOT_WON` where their own closed flag did (a
    HubSpot export's `Is Deal Closed?` given, `Is Closed Won` blank: lost, silently)."""
    src = _rule_source(out, frame, headers, tm.derive["is_closed"]["from"])
    if src is None:
        return []
    by_rule = derived.get("is_closed", pd.Series(pd.NA, index=out.index)).notna()
    return lost_untold(src, out["is_closed"], derived["is_won"], by_rule, tm, aside)


def lost_untold(
    src: pd.Series,
    closed: pd.Series,
    won: pd.Series,
    by_rule: pd.Series,
    tm: TableMapping,
    aside: np.ndarray,
) -> list[tuple[str, str, dict[str, int]]]:
    """The ``untold`` entries of the deals `closed` (flags as text) and not `won` (the is_won
    rule's: <NA> where the deal has its own) at stage values `src` that name no loss
    (`_closed_not_won`), split by whether the is_closed rule closed them (`by_rule`) or their
    own flag did; a database's sync counts them again after its stage table
    (`smk.io.sql`)."""
    flags = parse_bools(closed)[0]
    return [
        (
            key,
            tm.derive["is_closed"]["from"],
            _closed_not_won(src, flags.where(rows), won, tm, aside),
        )
        for key, rows in ((CLOSED_NOT_WON, by_rule), (CLOSED_BY_FLAG_NOT_WON, ~by_rule))
    ]


def _to_derive(given: pd.Series | None, col: str, tm: TableMapping, n: int) -> np.ndarray:
    """The rows whose `col` its `derive` rule gives: all when the file has no such column
    (`given` None), else the blank ones (`given` cleaned: <NA>); none of a column whose empty
    cell means false (`TableMapping.empty_false`) unless it is empty in every row."""
    if given is None:
        return np.ones(n, dtype=bool)
    fill = given.isna().to_numpy(dtype=bool)
    return fill if fill.all() or col not in tm.empty_false else np.zeros(n, dtype=bool)


def _derived_notes(
    filled: dict[str, int], read: dict[str, str], tm: TableMapping, where: str
) -> list[str]:
    """A warning for each flag column a file has that `_derive` filled in some rows (`filled`:
    how many, by column): the load says their values come from the rule, not the column."""
    return [
        f"{where}: {read.get(col, col)!r} is empty in {n:,} row{'s' if n > 1 else ''}: "
        f"{'their' if n > 1 else 'its'} {col} is read from {read.get(origin, origin)!r}, as "
        "for a file without that column"
        for col, n in filled.items()
        for origin in [str(tm.derive[col]["from"])]
    ]


def _won_beside_closed(col: str, tm: TableMapping) -> bool:
    return col == "is_won" and "is_closed" in tm.derive


#: the `untold` key of the deals the is_closed rule calls closed and the is_won rule not won,
#: at a stage that names no loss (`_closed_not_won`)
CLOSED_NOT_WON = "closed, not won"
#: the same for the deals whose own closed flag closed them, the is_won rule giving their
#: blank won flag (`_lost_untold`)
CLOSED_BY_FLAG_NOT_WON = "closed by its flag, not won"
#: a stage that names a loss: `Lost`, `Closed Lost`, `closedlost`, `Closed-Lost to
#: Competition`, or any `Closed ...` stage the is_won rule does not call won (HubSpot's and
#: Zoho's convention, which the HubSpot mapping and the Zoho example follow: `Closed: abandoned`)
KNOWN_LOST = re.compile(r"\blost|lost\b|^\s*closed\b", re.I)


def _closed_not_won(
    src: pd.Series, closed: pd.Series, won: pd.Series, tm: TableMapping, aside: np.ndarray
) -> dict[str, int]:
    """Counts of the values of the rows (not set `aside`) that the is_closed rule calls
    closed and the is_won rule does not call won, at a stage the mapping does not know as
    lost: one that names no loss (`KNOWN_LOST`) and that the is_won rule's `false_for` (its
    lost stages) does not list. Such a deal is loaded as lost; a custom won stage added to
    the is_closed rule alone (`Contract Signed`) would be one, silently."""
    lost = closed.eq(True) & won.eq(False)
    rows = lost.to_numpy(dtype=bool, na_value=False) & ~aside
    counts = untold_counts(src[rows], tm.derive["is_won"])
    return {v: n for v, n in counts.items() if not KNOWN_LOST.search(v)}


def untold_counts(values: pd.Series, rule: dict) -> dict[str, int]:
    """Counts of `values` (the ones a rule's pattern did not match) that its `false_for`
    does not name either (ignoring case and spacing)."""
    known = {fileio.normalise_header(str(v)) for v in rule.get("false_for", ())}
    return {
        str(v): int(n)
        for v, n in values.value_counts(sort=False).items()
        if n and fileio.normalise_header(v) not in known
    }


_MAP_VALUES = "map the values with a mapping file (docs/mappings.md)"
#: what the warning of deals at stages smk cannot tell open from closed advises for files
#: without the flag columns (`_remedy`: for files that leave them empty, to fill them)
STAGE_REMEDY = (
    "export the deals' closed and won flags too (HubSpot: Is Deal Closed?, Is Closed Won), or "
    + _MAP_VALUES
)
#: what the warning of deals closed by their own flag without a won one advises for files
#: without the won flag column (`CLOSED_BY_FLAG_NOT_WON`)
WON_FLAG_REMEDY = "export the deals' won flag too (HubSpot: Is Closed Won), or " + _MAP_VALUES


def rule_remedy(tm: TableMapping, origin: str) -> str:
    """What `untold_warning` advises a load through a mapping file (`TableMapping.given`):
    the rules of that file (of a copy, for one smk ships), for the values read from `origin`."""
    keys = [
        "each closed value to the is_closed rule's `pattern` (a won one to the is_won rule's "
        "`pattern` as well)",
        "each open one to its `false_for`",
    ]
    if str(tm.deleted.get("from")) == str(origin):
        keys.append("a deleted record's to the `deleted` rule's `pattern`")
    said = f"add {', '.join(keys[:-1])} and {keys[-1]} in {_where(tm)}"
    return said + _translate_note(tm, origin) + " (docs/mappings.md)"


def _where(tm: TableMapping) -> str:
    """The mapping file whose rules a warning's advice names: a copy of one smk ships."""
    name = tm.given.name if tm.given is not None else "the mapping file"
    return name if tm.origin is not None or tm.given is None else f"a copy of {name}"


def _translate_note(tm: TableMapping, origin: str) -> str:
    """`rule_remedy`'s other way, for values read from one of our columns."""
    if origin not in tm.columns:
        return ""
    return (
        f", or translate the values under `values: {origin}:` (a won one to a value the "
        "is_won rule calls won)"
    )


def won_remedy(tm: TableMapping, origin: str) -> str:
    """What the warning of closed deals at stages the is_won rule does not call won and that
    name no loss (`_closed_not_won`) advises."""
    return (
        f"add a won value to the is_won rule's `pattern` in {_where(tm)}"
        f"{_translate_note(tm, origin)}; list a lost one under the is_won rule's `false_for` "
        "(docs/mappings.md)"
    )


def untold_warning(
    table: str,
    col: str,
    origin: str,
    counts: Counter,
    remedy: str = STAGE_REMEDY,
    *,
    false_for: bool = True,
) -> str:
    """The warning for values a `derive` rule cannot tell (`untold_counts`), most frequent
    first; for deal stages, with `remedy` (`rule_remedy` for a mapping file's; a database's
    differs: no mapping file reads it). `false_for`: whether the rule lists the values known
    false (an `is_closed` rule without the list takes every value it does not match as open,
    and says which). The deals taken as open are counted as read (as the account's rows
    read): the checks after the reading may set some aside."""
    ranked = sorted(counts.items(), key=lambda vn: (-vn[1], vn[0]))
    listed = ", ".join(f"{v!r} ({n})" for v, n in ranked[:10])
    listed += f", ... ({len(ranked)} values in all)" if len(ranked) > 10 else ""
    n = counts.total()
    rows = f"{n} {table if n > 1 else table.removesuffix('s')}"
    if col == "is_closed" and not false_for:
        return (
            f"{table}.{origin}: the is_closed rule lists no open values (`false_for`), so "
            f"{rows} read at {origin} values its pattern does not match {'are' if n > 1 else 'is'} "
            f"taken as open, closed or not: {listed}; {remedy}"
        )
    if col in (CLOSED_NOT_WON, CLOSED_BY_FLAG_NOT_WON):
        closed = (
            f"at {origin} values the is_closed rule calls closed and"
            if col == CLOSED_NOT_WON
            else f"closed by {'their' if n > 1 else 'its'} own closed flag, with no won flag, "
            f"at {origin} values"
        )
        return (
            f"{table}.{origin}: {rows} {closed} the is_won rule does not call won, which name "
            f"no lost stage: {listed}; {'they are' if n > 1 else 'it is'} taken as lost, with no "
            f"won revenue: {remedy}"
        )
    if col == "is_closed":
        return (
            f"{table}.{origin}: {rows} read at {origin} values smk cannot tell open from closed: "
            f"{listed}; {'they are' if n > 1 else 'it is'} taken as open: {remedy}"
        )
    return (
        f"{table}.{origin}: {n} row{'s' if n > 1 else ''} at values that say nothing of {col}: "
        f"{listed}; {col} is taken as false for them: map the values with a mapping file "
        "(docs/mappings.md)"
    )


#: `untold_warning`'s deal warnings that take deals as open though they may be closed: the
#: deals smk cannot tell open from closed, and those an is_closed rule without `false_for`
#: does not match (their count is the number read back by `untold_deals`)
_UNTOLD_DEALS = (
    re.compile(  # "read" since afb28ec; a model saved before says "N deals at"
        r"deals\.[^\n]*?: (\d+) deals? (?:read )?at [^\n]*? values smk cannot tell open from "
        r"closed: "
    ),
    re.compile(
        r"deals\.[^\n]*?: the is_closed rule lists no open values \(`false_for`\), "
        r"so (\d+) deals? (?:read )?at "
    ),
)


def untold_deals(warnings: Iterable[str]) -> int:
    """How many deals a load's `warnings` say it took as open at stage values it cannot tell
    open from closed (`untold_warning`): the model keeps its warnings, so the pages whose won
    revenue and win rate leave out any of them that were won can say so (`smk.sla.
    untold_stages_note`). Rows read: some may have been set aside since."""
    found = (rule.match(text) for text in warnings for rule in _UNTOLD_DEALS)
    return sum(int(m.group(1)) for m in found if m)


def _separator_of(tm: TableMapping, col: str) -> str:
    return tm.separators.get(col, MULTI_SEPARATOR)


def _first_value(lists: pd.Series, sep: str = MULTI_SEPARATOR) -> pd.Series:
    """The first non-empty value of each `sep`-separated list (`;205`, HubSpot's append form,
    is 205); missing when every value is empty."""
    lead = rf"^(?:\s|{re.escape(sep)})+"
    first = lists.str.replace(lead, "", regex=True).str.split(sep, regex=False).str[0].str.strip()
    return first.mask(first == "")


def _furthest_stage(out: pd.DataFrame, tm: TableMapping) -> pd.Series:
    """A contact's lifecycle stage when the export gives several (Pipedrive's labels `Warm
    lead, Hot lead`): the furthest in funnel order of the stages they translate to (`values:
    lifecycle_stage:`), `other` ranking last; the first value where none is a stage."""
    sep, stages = _separator_of(tm, "lifecycle_stage"), VOCABULARIES["stage"]
    lists = out["lifecycle_stages_all"]
    multi = holds(lists, sep)
    best = {}
    for text in lists[multi].dropna().unique():
        items = pd.Series([v.strip() for v in str(text).split(sep) if v.strip()], dtype="string")
        said = translate(items, tm.values.get("lifecycle_stage", {}))
        words = (
            said[known_words(said, "stage")].str.lower().str.replace(r"[\s\-/]+", "_", regex=True)
        )
        ranked = sorted(words, key=lambda w: (w != "other", stages.index(w)))
        if ranked:
            best[text] = ranked[-1]
    chosen = lists.map(best).astype("string")
    return as_text(out["lifecycle_stage"]).mask(multi & chosen.notna(), chosen)


@on_uniques
def _strip_pattern(values: pd.Series, pattern: str) -> pd.Series:
    return values.astype("string").str.replace(pattern, "", regex=True)


def _check_required(
    out: pd.DataFrame, table: str, tm: TableMapping, frame: pd.DataFrame, path: Path
) -> None:
    """A required column with no matching header is fatal: name the headers we looked for."""
    for col in REQUIRED.get(table, ()):  # loaders also map source objects (Salesforce Task)
        if col not in out.columns:
            found = [c for c in frame.columns if not c.startswith("_")]
            expected = _looked_for(tm.columns.get(col, [col])[:6], found)
            raise CRMExportError(
                f"no column for the {table} table's required {col!r} (looked for {expected})"
                + _type_from_file_note(tm, col, path)
                + fileio.sheet_note(frame),
                file=str(path),
                column=col,
                found_columns=found,
            )


def _type_from_file_note(tm: TableMapping, col: str, path: Path) -> str:
    """For a missing `type` in a table with `type_from_file`: that no pattern matched the
    file's name, the likely mistake (`Call_*` written for `Calls_001.csv`), not a header."""
    if col != "type" or not tm.type_from_file:
        return ""
    patterns = ", ".join(map(repr, tm.type_from_file))
    return (
        f", and the file's name {path.name!r} matches none of the type_from_file patterns "
        f"({patterns}): correct the pattern meant for it (a pattern matches the whole name, "
        "in any case; `*` stands for any text)"
    )


def _with_malformed(
    out: pd.DataFrame,
    frame: pd.DataFrame,
    path: Path,
    key: tuple[str, str] | None,
    strip: dict[str, str],
) -> pd.DataFrame:
    """Rows the CSV reader skipped (wrong number of fields) come back as set-aside rows, with
    the record's id where their text shows it (`_malformed_ids`; `key`: our id column and the
    header it is read from), `strip`ped as the other rows' ids are."""
    bad = frame.attrs.get("malformed_rows") or []
    if not bad:
        return out
    last = int(frame["_row"].max()) if len(frame) else 1
    rows = [n if n is not None else -1 for n, _ in bad]
    reasons = [
        fileio.malformed_reason(t, trailing=n > last) for n, (_, t) in zip(rows, bad, strict=True)
    ]
    extra = pd.DataFrame(
        {
            "_file": pd.Categorical([path.name] * len(rows), categories=[path.name]),
            "_row": rows,
            "_reason": reasons,
            "_text": [t[:200] for _, t in bad],
        }
    )
    if key is not None:
        records = [r not in (REPORT_FOOTER, EMPTY_ROW) for r in reasons]
        texts = [t if record else None for record, (_, t) in zip(records, bad, strict=True)]
        ids = pd.Series(_malformed_ids(texts, frame, key[1]), dtype="string")
        extra[key[0]] = _strip_pattern(ids, strip[key[0]]) if key[0] in strip else ids
    return pd.concat(_same_categories([out, extra]), ignore_index=True)


def _malformed_ids(texts: list[str | None], frame: pd.DataFrame, header: str) -> list:
    """The id in each malformed row's text (None: not looked at), read from the place of its
    `header` in the file (`fileio.leading_values`). A record whose row is set aside for its
    shape is in the export all the same: the deals and events naming it are kept, as those of
    a record set aside for an unreadable cell are (`validate._unloaded`), not set aside as
    `unknown <id>`; a report footer or an empty row names no record."""
    columns = [c for c in frame.columns if c not in _READER_META]
    if header not in columns:  # not a column as read (nothing to place it by): no id
        return [None] * len(texts)
    delimiter = frame.attrs.get("delimiter", ",")
    return fileio.leading_values(texts, delimiter, columns.index(header), frame[header])


def _key_read(table: str, read: dict[str, str]) -> tuple[str, str] | None:
    """The table's id column and the header it is read from, when it is read from one."""
    key = PRIMARY_KEYS.get(table)
    return (key, read[key]) if key in read else None


@on_uniques
def translate(values: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """Map source vocabulary to ours, matching case- and space-insensitively."""
    keyed = {fileio.normalise_header(k): v for k, v in mapping.items()}
    s = clean_text(values)
    norm = s.map(lambda v: fileio.normalise_header(v) if isinstance(v, str) else v)
    return norm.map(keyed).astype("string").fillna(s)


def _headers_of_kinds(path: Path, table: str, tm: TableMapping, kinds: set[str]) -> set[str]:
    """Headers of a CSV `path` that map to canonical columns of these kinds (or names)."""
    if path.suffix.lower() not in {".csv", ".tsv", ".txt"}:
        return set()
    by_name = {fileio.normalise_header(h): h for h in fileio.csv_header(path)}
    found = set()
    for col, kind in {**SCHEMA[table], **SOURCE_COLUMNS.get(table, {})}.items():
        if kind not in kinds and col not in kinds:
            continue
        for alias in tm.columns.get(col, []):
            header = by_name.get(fileio.normalise_header(alias))
            if header is not None:
                found.add(header)
                break
    return found


#: Columns with few distinct values, read dictionary-encoded (memory): the vocabularies, campaigns.
_REPEATED = set(VOCABULARIES) | {"campaign"}


def _read_mapped(path: Path, table: str, tm: TableMapping) -> pd.DataFrame:
    frame = fileio.read_any(
        path,
        timestamps=_headers_of_kinds(path, table, tm, {"datetime"}),
        categories=_headers_of_kinds(path, table, tm, _REPEATED),
        sheet_fits=functools.partial(_has_required, table, tm),
    )
    return map_frame(frame, table, tm, path)


def _has_required(table: str, tm: TableMapping, headers: list[str]) -> bool:
    """Whether `headers` (a sheet's) have a column for each of the table's required columns,
    as `_check_required` looks for them."""
    found = {fileio.normalise_header(h) for h in headers}
    return all(
        any(fileio.normalise_header(a) in found for a in tm.columns.get(col, [col]))
        for col in REQUIRED.get(table, ())
    )


def read_table(table: str, tm: TableMapping, paths: list[Path]) -> pd.DataFrame:
    """Read and map the files of one table (several files are concatenated)."""
    frames = [_read_mapped(p, table, tm) for p in paths]
    if len(frames) == 1:
        out = frames[0]
    else:
        out = pd.concat(_same_categories(_common_date_types(frames)), ignore_index=True)
        out = _joined_attrs(out, frames)
    untold: dict[tuple[str, str], Counter] = {}
    for f in frames:
        for col, origin, counts in _untold(f):
            untold.setdefault((col, origin), Counter()).update(counts)
    for (col, origin), counts in untold.items():  # one warning per rule, for all the files
        if counts:  # advice from the files whose rows are counted
            said = [f for f in frames if any(u[:2] == (col, origin) and u[2] for u in _untold(f))]
            remedy = _remedy(tm, col, origin, said)
            listed = "false_for" in tm.derive.get(col, {})
            out.attrs["warnings"].append(
                untold_warning(table, col, origin, counts, remedy, false_for=listed)
            )
    if tm.given is not None:  # validate's vocabulary warnings name it (`_unknown_words_note`)
        out.attrs["translate_in"] = _where(tm)
    unfound = unfound_warning(table, tm, frames, [p.name for p in paths])
    if unfound:
        out.attrs["warnings"].append(unfound[0])
        out.attrs["left_empty"] = unfound[1]  # said: not again by validate's warnings
    return out


def _untold(frame: pd.DataFrame) -> list:
    """`map_frame`'s counts of the values a rule cannot tell in one file (``(column, from,
    counts)``)."""
    return list(frame.attrs.get("untold", ()))


def _remedy(tm: TableMapping, col: str, origin: str, frames: list[pd.DataFrame]) -> str:
    """The advice of `read_table`'s warning of values a rule cannot tell: for deals whose
    flags the rules gave in files that have the flag columns, to fill them (`_fill_advice`)."""
    if col == CLOSED_NOT_WON:
        return won_remedy(tm, origin)
    if col == CLOSED_BY_FLAG_NOT_WON:
        fill = _fill_advice(frames, ["is_won"], "won flag")
        if tm.given is not None:
            return f"{fill}, or {won_remedy(tm, origin)}" if fill else won_remedy(tm, origin)
        return f"{fill}, or {_MAP_VALUES}" if fill else WON_FLAG_REMEDY
    if tm.given is not None:
        return rule_remedy(tm, origin)
    fill = _fill_advice(frames, ["is_closed", "is_won"], "closed and won flags")
    return f"{fill}, or {_MAP_VALUES}" if fill else STAGE_REMEDY


def _fill_advice(frames: list[pd.DataFrame], cols: list[str], flags: str) -> str:
    """`fill the deals' won flag where it is empty (Is Closed Won: 3 rows)`, when a file has
    a column for one of `cols` that it leaves empty in some rows (`map_frame`'s ``flags``),
    with `and export it from the files without it` when another file lacks the column; ""
    when no file has an empty one (the advice is then to export the columns)."""
    empty: Counter = Counter()
    lacking = False
    for f in frames:
        for col in cols:
            header, n = f.attrs.get("flags", {}).get(col, (None, 0))
            lacking |= header is None
            if header is not None:
                empty[header] += n
    said = ", ".join(f"{h}: {n:,} row{'s' if n > 1 else ''}" for h, n in empty.items() if n)
    where, it = ("they are", "them") if len(cols) > 1 else ("it is", "it")
    also = f" and export {it} from the files without {it}" if lacking else ""
    return f"fill the deals' {flags} where {where} empty ({said}){also}" if said else ""


def _joined_attrs(out: pd.DataFrame, frames: list[pd.DataFrame]) -> pd.DataFrame:
    """`out`, the frames concatenated, with their readers' warnings in file order and their
    delimiter when they share one (`pd.concat` keeps attrs only when all are the same)."""
    delimiters = {f.attrs.get("delimiter") for f in frames}
    out.attrs["delimiter"] = delimiters.pop() if len(delimiters) == 1 else None
    out.attrs["warnings"] = [w for f in frames for w in f.attrs.get("warnings", ())]
    extras = (h for f in frames for h in f.attrs.get("mapped_extras", ()))
    out.attrs["mapped_extras"] = list(dict.fromkeys(extras))
    return out


def _same_categories(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """Give each categorical column the union of its categories in all frames, so that
    `pd.concat` keeps it categorical instead of expanding it to one object per row."""
    for col in {c for f in frames for c in f.columns}:
        parts = [f[col] for f in frames if col in f]
        if not any(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            continue
        union = pd.Index(
            pd.unique(
                np.concatenate(
                    [
                        np.asarray(p.cat.categories if is_categorical(p) else p.dropna(), object)
                        for p in parts
                    ]
                )
            )
        )
        if len(union) and all(isinstance(v, str) for v in union):
            union = union.astype("str")
        for f in frames:
            if col in f:
                f[col] = (
                    pd.Categorical(f[col], categories=union)
                    if not is_categorical(f[col])
                    else f[col].cat.set_categories(union)
                )
    return frames


def _common_date_types(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """A date column that Arrow read as timestamps in one file and left as text in another
    (because of a bad value) becomes text in all of them, not a slow column of objects."""
    for col in {c for f in frames for c in f.columns}:
        kinds = {pd.api.types.is_datetime64_any_dtype(f[col]) for f in frames if col in f}
        if len(kinds) == 2:
            for f in frames:
                if col in f and pd.api.types.is_datetime64_any_dtype(f[col]):
                    f[col] = _iso_text(f[col])
    return frames


def _iso_text(stamps: pd.Series) -> pd.Series:
    """Timestamps as ISO 8601 text: zoned ones as UTC (``2026-01-05T09:30:00Z``), naive ones
    as they are (``2026-01-05 09:30:00.000000000``).

    Neither by strftime nor by Arrow's cast of zoned values, which take over a second per
    million values: zoned values by smk's fixed-width formatter, naive ones by Arrow's cast.
    """
    if stamps.dt.tz is not None:
        return format_datetimes(stamps)
    text = pc.cast(pa.array(stamps, from_pandas=True), pa.string())
    return pd.Series(pd.StringDtype("pyarrow").__from_arrow__(text), index=stamps.index)


def read_tables(
    mapping: FormatMapping, folder: Path, warnings: list[str] | None = None
) -> dict[str, LazyTable]:
    """Every table of an export folder, to be read when typed; tables with no file are left out.

    A data file that no table's `files:` patterns match is named in `warnings`, unread
    (nothing is skipped unsaid), unless it is a HubSpot view's export whose headers tell its
    table (`view_table`: "hubspot-crm-exports-q1-pipeline-..." is read as deals, with a
    warning that says so), or one of a table whose own export is in the folder (not read, and
    a warning says why: `_claim_views`); a file named like a table's that cannot be read
    (compressed, a `.json`, a link to nothing) is an error or a warning (`check_unread`)."""
    candidates = data_files(folder)
    notes = check_unread(folder, table_groups(mapping), _readable_groups(mapping, candidates))
    raw: dict[str, LazyTable] = {}
    found = {table: files_for(tm, candidates) for table, tm in mapping.tables.items()}
    matched = {p for paths in found.values() for p in paths}
    said, views, beside = _claim_views([p for p in candidates if p not in matched], found, mapping)
    notes += said
    matched |= views
    for table, tm in mapping.tables.items():
        paths = found[table]
        if paths:
            raw[table] = LazyTable(
                functools.partial(read_table, table, tm, paths),
                sum(p.stat().st_size for p in paths),
            )
    fileio.not_read([*beside, *(p for p in candidates if p not in matched)])
    unread = [p.name for p in candidates if p not in matched]
    if warnings is not None:
        warnings.extend(notes + ([_unread(unread, mapping)] if unread else []))
    return raw


def _claim_views(
    paths: list[Path], found: dict[str, list[Path]], mapping: FormatMapping
) -> tuple[list[str], set[Path], set[Path]]:
    """The HubSpot views' exports among `paths` (files no table's patterns match), each added
    to `found` under the table its headers show (`view_table`), with a warning; but not when
    that table has its own export in the folder, which holds the view's records with all their
    columns (read, a later view of a few columns would be their newest copy): then a warning
    says why they are not read. The warnings, the views (read or not), and those not read
    (files of the load's `quality.unread`: their change is not the export's)."""
    own = {table for table, files in found.items() if files}
    views: dict[str, list[Path]] = {}
    for path in paths:
        table = view_table(path, mapping)
        if table is not None:
            views.setdefault(table, []).append(path)
    notes, beside = [], set()
    for table, files in views.items():
        if table in own:
            notes.append(_view_beside_note(files, table, found[table]))
            beside.update(files)
        else:
            found[table] = sorted(files)
            notes += [_view_note(path, table) for path in files]
    return notes, {path for files in views.values() for path in files}, beside


def _unread(names: list[str], mapping: FormatMapping) -> str:
    """One warning for the files no table claims (a Zoho backup holds many modules)."""
    patterns = "; ".join(f"{t}: {', '.join(tm.files)}" for t, tm in mapping.tables.items())
    return (
        f"not read, as their names match no {mapping.name} table's file patterns ({patterns}): "
        f"{', '.join(sorted(names))}. If one holds a table, rename it to match its pattern "
        "(or add the pattern to a mapping file's `files:`)"
    )


def table_of_file(path: Path, mapping: FormatMapping) -> str:
    """The table a single file holds, by the mapping's `files:` patterns (the first table in
    the mapping's order whose patterns match), else by its headers when it is a HubSpot
    view's export (`view_table`); contacts when neither tells."""
    for table, tm in mapping.tables.items():
        if files_for(tm, [path]):
            return table
    table = view_table(path, mapping)
    if table is not None:
        return table
    return "contacts" if "contacts" in mapping.tables else next(iter(mapping.tables))


#: HubSpot names a UI export after the exported view (`hubspot-crm-exports-<view>-<date>`,
#: e.g. `...-ytd-mqls-2026-2026-01-15.csv`): a saved view's name need not name its object
VIEW_EXPORTS = "hubspot-crm-exports-*"


def view_table(path: Path, mapping: FormatMapping) -> str | None:
    """The table of a HubSpot view's export (`VIEW_EXPORTS`) by its headers: of the tables
    whose required columns it has a header for, the one with the most headers that no other
    of them reads (a contacts view has `Email`, `Lifecycle Stage`, ...; `Record ID` and
    `Create Date` are every object's), at least `_VIEW_HEADERS` of them (a tickets export
    shares only `Pipeline` with deals, a products export only `Name` with companies). None
    for another name, or when no one table stands out (the file is then named among those
    not read)."""
    if not fnmatch.fnmatch(path.name.lower(), VIEW_EXPORTS):
        return None
    headers = {fileio.normalise_header(h) for h in _file_headers(path)}
    fits = {}
    for table, tm in mapping.tables.items():
        read = {
            col: {fileio.normalise_header(a) for a in aliases} & headers
            for col, aliases in tm.columns.items()
        }
        if all(read.get(col) or col in tm.constants for col in REQUIRED.get(table, ())):
            fits[table] = set().union(*read.values())
    own = {
        table: len(reads.difference(*(o for t, o in fits.items() if t != table)))
        for table, reads in fits.items()
    }
    best = max(own.values(), default=0)
    winners = [t for t, n in own.items() if n == best]
    return winners[0] if best >= _VIEW_HEADERS and len(winners) == 1 else None


#: headers of its own a view's export must have to be read as a table's (`view_table`)
_VIEW_HEADERS = 2


def _file_headers(path: Path) -> list[str]:
    """The column names of a CSV, an .xlsx or a Parquet file without reading its rows ([] for
    another kind, or a file they cannot be read from)."""
    suffix = path.suffix.lower()
    if suffix in {".csv", ".tsv", ".txt"}:
        return fileio.csv_header(path)
    try:
        if suffix == ".parquet":
            with fileio.arrow_file(path) as source:
                return list(pq.read_schema(source).names)
        if suffix in {".xlsx", ".xlsm"}:
            import openpyxl

            with path.open("rb") as fh:
                book = openpyxl.load_workbook(fh, read_only=True, data_only=True)
                try:
                    first = next(book.worksheets[0].iter_rows(max_row=1, values_only=True), ())
                finally:
                    book.close()
            return [str(v).strip() for v in first if v is not None]
    except Exception:  # a damaged file: not read, and named so (openpyxl raises many types)
        return []
    return []


def _view_note(path: Path, table: str) -> str:
    return (
        f"{path.name} is read as {table}: its name (a HubSpot view's) matches no table's "
        f"file pattern, its headers are those of {table}"
    )


def _view_beside_note(views: list[Path], table: str, own: list[Path]) -> str:
    """The warning for HubSpot views' exports of `table` not read beside its `own` export."""
    views_ = "a HubSpot view" if len(views) == 1 else "HubSpot views"
    return (
        f"not read: {', '.join(p.name for p in views)}, exported from {views_} (headers of "
        f"{table}), as the {table} table's own export is in the folder "
        f"({', '.join(p.name for p in own)}) and holds a view's records with all their columns: "
        "read, a view's copy of a record could become its newest (docs/data-model.md) and "
        "leave the columns the view lacks empty. A record only in a view is not loaded: to "
        f"load a view's columns, export them with the {table} table's own export"
    )


def load_mapped(
    source: str | Path,
    mapping: FormatMapping,
    *,
    timezone: str | None = None,
    dayfirst: bool | None = None,
    decimal: str | None = None,
) -> CRM:
    """Load an export folder, or a single file (its table told by the mapping's `files:`
    patterns, contacts when none matches), through a mapping."""
    source = Path(source)
    if not source.exists():  # never the folder around a mistyped name
        raise CRMExportError("no such file or folder", file=str(source))
    with read_whole(source) as unread:
        crm = _load_files(source, mapping, timezone=timezone, dayfirst=dayfirst, decimal=decimal)
    return with_unread(crm, unread)


def with_unread(crm: CRM, unread: set[Path]) -> CRM:
    """`crm` with the names of the export's files its load did not read (`quality.unread`)."""
    crm.quality.unread = sorted({p.name for p in unread})
    return crm


def read_whole(source: Path) -> contextlib.AbstractContextManager[set[Path]]:
    """The block of a load of the export `source` (the one file, or the folder's `data_files`,
    as the loaders find them): a file changed meanwhile is an error
    (`fileio.unchanged_while_read`)."""
    files = [source] if source.is_file() else data_files(source) if source.is_dir() else []
    return fileio.unchanged_while_read(files)


def _load_files(source: Path, mapping: FormatMapping, **reading) -> CRM:
    """`load_mapped` of an export file or folder that exists."""
    folder = source if source.is_dir() else source.parent
    unread: list[str] = []
    if source.is_file():
        table = table_of_file(source, mapping)
        raw = {table: read_table(table, mapping.tables[table], [source])}
    else:
        raw = read_tables(mapping, folder, unread)
    if not raw and not data_files(folder):
        error = no_export_files(folder, str(source))
        if error is not None:
            raise error
    if not raw:
        patterns = {t: tm.files for t, tm in mapping.tables.items()}
        raise CRMExportError(
            f"no export files found for the {mapping.name} format; expected file names like "
            f"{patterns}",
            file=str(source),
            found_columns=[p.name for p in data_files(folder)],
            found_label="Files found",
        )
    return assemble(
        raw,  # consumed table by table
        source=str(source),
        format=mapping.name,
        options=mapping.date_options(**reading),
        warnings=unread,
        after_checks=from_deals if mapping.stage_dates_from_deals else None,
    )


# ------------------------------------------------------------------ a folder with no export
def no_export_files(folder: Path, shown: str) -> CRMExportError | None:
    """The error for a folder with no file smk reads directly in it, saying what it holds
    instead: nothing, files smk cannot read (`unread_files`), folders that hold an export,
    the answer key `smk synth` writes beside one. None for a folder of files of other types
    only (a README): the caller's error names them."""
    entries = [p for p in sorted(folder.iterdir()) if not p.name.startswith((*_NOT_DATA, "."))]
    if not entries:
        return CRMExportError("the folder is empty: no export files in it", file=shown)
    unread, folders = unread_files(folder), [p for p in entries if p.is_dir()]
    if not unread and not folders:
        return None
    parts = [f"{u.path.name} is {u.what}: {u.fix}" for u in unread[:3]]
    if len(unread) > 3:
        parts.append(f"so are {_listed([u.path.name for u in unread[3:]])}")
    parts += [_folder_note(p) for p in folders]
    said = {u.path for u in unread} | set(folders)
    others = [p.name for p in entries if p not in said]
    if others:
        parts.append(f"also {_listed(others)}, of no type smk reads")
    kinds = ", ".join(sorted(_DATA_SUFFIXES))
    return CRMExportError(
        f"no export files directly in it (smk reads {kinds} files): " + "; ".join(parts),
        file=shown,
        found_columns=[p.name + ("/" if p in folders else "") for p in entries],
        found_label="Files found",
    )


def _listed(names: list[str]) -> str:
    return ", ".join(names[:5]) + (f", ... ({len(names)} in all)" if len(names) > 5 else "")


def _folder_note(path: Path) -> str:
    """What a folder inside a folder smk was pointed at holds, for `no_export_files`."""
    if path.name == "truth" and (path / "channel_effects.csv").is_file():
        return (
            f"the folder '{path.name}' is the answer key `smk synth` writes beside an export, "
            "not an export"
        )
    try:
        if (path / MODEL_MANIFEST).is_file():
            return f"the folder '{path.name}' is an smk model: point smk at that folder"
        found = data_files(path)
    except OSError:  # a folder smk may not list: named, not looked into
        return f"the folder '{path.name}', which smk may not read"
    if not found:
        return f"the folder '{path.name}', which holds no export files either"
    return (
        f"the folder '{path.name}' holds {len(found)} export file(s) ({found[0].name}, ...): "
        "point smk at that folder"
    )
