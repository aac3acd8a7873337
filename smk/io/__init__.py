"""`smk.load`: any supported CRM export in, one validated `smk.CRM` out.

Formats: ``hubspot``, ``salesforce``, ``canonical`` (a folder of CSV or Parquet files with our
own column names), ``sql`` (a SQLAlchemy URL), ``parquet`` (smk's own cache), or a mapping file
(``format="path/to/mapping.yaml"``) for any other CRM. ``auto`` detects the format from the
file names and headers.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

from smk.checks import check_bool
from smk.errors import CRMExportError
from smk.io import files as fileio
from smk.io.canonical import canonical_mapping
from smk.io.mapping import (
    FormatMapping,
    builtin_mapping,
    check_unread,
    data_files,
    inner_name,
    is_bare_name,
    load_mapped,
    mapping_path,
    no_export_files,
    read_mapping,
    refuse_special,
    shipped_file,
    shipped_mappings,
)
from smk.model import CRM, MODEL_MANIFEST, PRIMARY_KEYS, SCHEMA

FORMATS = ("auto", "hubspot", "salesforce", "canonical", "sql", "parquet", "mapping")
_SQL_URL = re.compile(r"^[a-z][a-z0-9+]*://", re.I)
#: the file types of a database file (SQLite, DuckDB) read as format "sql"
DATABASE_SUFFIXES = frozenset({".db", ".sqlite", ".sqlite3", ".duckdb"})
_SALESFORCE_FILES = {"lead", "contact", "account", "opportunity", "task", "event", "campaignmember"}
#: the mapping file in an export folder that detection (and format "mapping") reads it with
MAPPING_FILE = "smk-mapping.yaml"


def detect_format(source: str | Path) -> str:
    """Guess the export format from names and headers; raises CRMExportError if unknown."""
    return _detect(source)[0]


def _detect(source: str | Path) -> tuple[str, str | None]:
    """The format of `source` and, when it was guessed from file names or headers, what it
    was guessed from (for the error of a load that then fails: the guess may be wrong)."""
    text = str(source)
    if _SQL_URL.match(text):
        return "sql", None
    path = Path(source)
    if not path.exists():
        raise missing_source(text)
    if path.is_dir():
        _check_folder(path, text)
    if path.is_file() and path.suffix.lower() in {".yaml", ".yml"}:
        return "mapping", None
    if path.is_file() and path.suffix.lower() in DATABASE_SUFFIXES:
        return "sql", None
    folder = path if path.is_dir() else path.parent
    if _is_model(path):
        return "parquet", None
    if path.is_dir() and (folder / MAPPING_FILE).exists():
        return "mapping", None
    candidates = data_files(folder) if path.is_dir() else [path]
    if path.is_file():  # a file smk may not read: said as such (`load`), not as no format
        os.close(os.open(path, os.O_RDONLY))
    if not candidates and (error := no_export_files(folder, text)) is not None:
        raise error
    stems = {p.stem.lower() for p in candidates}
    if stems & _SALESFORCE_FILES and ({"lead", "contact"} & stems):
        return "salesforce", "Salesforce object file names"
    # a `spend.csv` alone is no sign: smk's own Salesforce and HubSpot layouts carry one too;
    # nor is a `contacts.csv` without contact_id (a HubSpot export renamed: `Record ID`)
    crm_tables = [p for p in candidates if p.stem.lower() != "spend"]
    if _has_canonical_headers(crm_tables):
        return "canonical", "file names and headers of smk's own tables"
    if (guess := _crm_format(candidates)) is not None:
        return guess
    if _has_canonical_headers(candidates, keyed=False):
        return "canonical", "file names and headers of smk's own tables"
    raise CRMExportError(
        "cannot tell the export format from its file names or headers; pass "
        "format='hubspot' | 'salesforce' | 'canonical' or a mapping file (docs/mappings.md), "
        f"one of your own or one smk ships: {_shipped_names()}" + _pipedrive_hint(candidates),
        file=text,
        # every file, not only the readable ones: a `.json` or `.zip` export shows up here
        found_columns=sorted(p.name for p in folder.iterdir() if p.is_file())
        if path.is_dir()
        else [path.name],
        found_label="Files found",
    )


#: headers that say a file is a Salesforce object's (normalised: `Id`, `LeadSource`, ...)
_SALESFORCE_HEADERS = frozenset({"id", "leadsource", "isconverted", "stagename"})


def _crm_format(candidates: list[Path]) -> tuple[str, str] | None:
    """HubSpot or Salesforce, told by a file's name or headers, and by what; None: neither."""
    for p in candidates:
        if (sign := _hubspot_sign(p)) is not None:
            return "hubspot", sign
    for p in candidates:  # (`Id` is no sign in a file named like smk's tables: a database dump's)
        if p.stem.lower() not in SCHEMA and _headers(p) & _SALESFORCE_HEADERS:
            return "salesforce", f"Salesforce headers in {p.name}"
    if any(_is_salesforce_report(p) for p in candidates):
        return "salesforce", "a Salesforce report file name"
    return None


def _hubspot_sign(path: Path) -> str | None:
    """What in `path` says HubSpot (its name, its 'Record Id' header), or None."""
    if path.name.lower().startswith("hubspot"):
        return f"the file name {path.name}"
    if "record id" in _headers(path):
        return f"a 'Record Id' header in {path.name}"
    return None


def _shipped_names() -> str:
    """The mappings smk ships besides its formats' own, as a caller names them."""
    names = [n for n in shipped_mappings() if n not in FORMATS]
    return ", ".join(f"mapping='{n}' (--mapping {n})" for n in names)


#: a Pipedrive list-view export's header: `<Entity> - <Field>` (`Person - ID`, `Deal – Title`)
_PIPEDRIVE_HEADER = re.compile(r"^(?:deal|person|organi[sz]ation|activity|lead|product) - \S")


def _pipedrive_hint(candidates: list[Path]) -> str:
    """What the format error adds for files with Pipedrive's headers: the shipped mapping."""
    for p in candidates:
        shown = [h for h in _header_row(p) if _PIPEDRIVE_HEADER.match(fileio.normalise_header(h))]
        if len(shown) >= 2:
            return (
                f". {p.name} has headers like Pipedrive's ({shown[0]!r}, {shown[1]!r}): read it "
                "with the Pipedrive mapping smk ships, --mapping pipedrive (smk.load(..., "
                "mapping='pipedrive')), and --timezone set to the zone of the user who exported "
                "it (timezone=...)"
            )
    return ""


def missing_source(text: str) -> CRMExportError:
    """The error for a local path that `Path.exists()` denies: why it cannot be opened."""
    try:
        os.stat(text)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return CRMExportError("a loop of symbolic links: it leads to no file", file=text)
        if exc.errno == errno.EACCES:
            return CRMExportError("permission denied on a folder above it", file=text)
        if exc.errno == errno.ENOENT and os.path.islink(text):
            target = os.readlink(text)
            return CRMExportError(f"a symbolic link to {target}, which does not exist", file=text)
    return CRMExportError("no such file or folder", file=text)


def _check_folder(path: Path, text: str) -> None:
    """A folder smk may not list or open files in is refused as such (not as the first file
    looked for in it)."""
    try:
        names = os.listdir(path)
        if names:  # reaching a file in it needs the search (x) permission as well
            os.lstat(path / names[0])
    except PermissionError:
        raise CRMExportError("permission denied: smk may not read this folder", file=text) from None
    except FileNotFoundError:  # the file went away meanwhile: the load will tell
        pass


def _is_salesforce_report(path: Path) -> bool:
    """A Salesforce report download: `report<epoch ms>.csv` with a Salesforce object's labels."""
    from smk.io.salesforce import object_of_labels

    return bool(re.fullmatch(r"report\d{10,}(?: ?\(\d+\))?", path.stem.lower())) and (
        object_of_labels(_headers(path)) is not None
    )


def _headers(path: Path) -> set[str]:
    """The headers of a CSV file, normalised (`fileio.normalise_header`)."""
    return {fileio.normalise_header(h) for h in _header_row(path)}


def _header_row(path: Path) -> list[str]:
    """The headers of a CSV file as written (none for another file, or one smk cannot read)."""
    if path.suffix.lower() not in {".csv", ".tsv", ".txt"}:
        return []
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except OSError:
        return []
    if b"\x00" in head:
        return []
    return list(fileio.parse_bytes_header(head))


#: the header a canonical table's file has (its id, or the contact it is of), which a CRM's
#: own export of that name lacks (HubSpot's contacts.csv has `Record ID` and `Email`)
_CANONICAL_KEYS = {**PRIMARY_KEYS, "touchpoints": "contact_id", "activities": "contact_id"}


def _has_canonical_headers(candidates: list[Path], *, keyed: bool = True) -> bool:
    """Whether a file is one of smk's own tables by its name and headers: its key column
    (`_CANONICAL_KEYS`; not `keyed`: any of its columns, for a table that lacks its id, once
    no other format's signs are found), or for spend any of its columns; a Parquet file by
    its name."""

    def own(p: Path) -> bool:
        name = p.stem.lower()
        key = _CANONICAL_KEYS.get(name) if keyed else None
        wanted = {key} if key else set(SCHEMA[name])
        return p.suffix.lower() == ".parquet" or bool(wanted & _headers(p))

    return any(p.stem.lower() in SCHEMA and own(p) for p in candidates)


def load(
    source: str | Path,
    format: str = "auto",
    *,
    mapping: str | Path | None = None,
    timezone: str | None = None,
    dayfirst: bool | None = None,
    schema: str | None = None,
    decimal: str | None = None,
) -> CRM:
    """Load a CRM export into the canonical, validated model.

    Parameters
    ----------
    source : folder, file, SQLAlchemy URL (``sqlite:///crm.db``) or mapping file; a path may
        start with ``~`` (the home folder), as published reports write it.
    format : "auto" (default) or one of ``smk.io.FORMATS``, in any case (``"HubSpot"``); a
        path to a YAML mapping file also works here.
    mapping : a YAML mapping file for CRMs without a built-in loader (Pipedrive, Zoho, ...).
    timezone : zone of timestamps written without one (default: the format's, usually UTC).
    dayfirst : force European (True) or US (False) day order for ambiguous dates (anything
        but True, False or None is refused: ``"false"`` would be true).
    decimal : "." or ",": the decimal mark of every number column, for an export whose
        numbers do not show it (``1.500``); default: decided per column (docs/data-model.md).
    schema : for a SQL source, the database schema holding the tables (e.g. ``hubspot`` for a
        Fivetran connector); an error for any other source.

    A ``.zip`` of such a folder (Salesforce's weekly Data Export, a HubSpot download) is read
    as the folder it holds. Rows that cannot be used are set aside, never dropped: see
    ``crm.quality``.
    """
    if decimal not in (None, ".", ","):
        raise ValueError(f"decimal must be '.' or ',', not {decimal!r}")
    dayfirst = check_bool("dayfirst", dayfirst, optional=True)
    source, mapping = _expand_home(source), _expand_home(mapping)
    format = _expand_home(format_name(format))
    reading = {"timezone": timezone, "dayfirst": dayfirst, "decimal": decimal}
    _refuse_mapping_for_database(source, format, mapping)  # before --schema's: the real fault
    if schema is not None:
        _require_sql(source, format, mapping)
    if _SQL_URL.match(str(source)) and format not in ("auto", "sql"):
        from smk.io.sql import mask_url  # never a password in the message

        raise CRMExportError(
            f"a database URL is read with format 'sql' (or 'auto'), not {format!r}",
            file=mask_url(str(source)),
        )
    if str(source).lower().endswith(".zip") and Path(source).is_file():
        return _load_zip(Path(source), format, mapping, reading)
    try:
        return _load_source(source, format, mapping, reading, schema)
    except PermissionError as exc:  # `_load_source` only reads: a file or folder of the export
        raise permission_denied(exc, source) from None
    except UnicodeEncodeError:
        # Arrow (and pandas' Arrow-backed text) hold no file name that is not UTF-8 (a Windows
        # zip unpacked on Linux: `contacts-M\xe4rz.csv`); read such an export through links
        # with names that are (a rare export pays for a second start, the others nothing)
        path = Path(source)
        if _SQL_URL.match(str(source)) or path.suffix.lower() in {".yaml", ".yml"}:
            raise  # a mapping file's `data:` folder is found relative to it: not through links
        if not _names_not_utf8(path):
            raise
        return _load_renamed(path, format, mapping, reading, schema)


def format_name(format: str | Path) -> str | Path:
    """`format` as `FORMATS` spells it when it names one of them in any case (``"HubSpot"``
    is ``"hubspot"``, as the name of a mapping smk ships is read in any case); anything else
    (a mapping file's path or name) as it is."""
    if isinstance(format, str) and format.lower() in FORMATS:
        return format.lower()
    return format


#: a database file's URL whose path starts at the home folder (``sqlite:///~/crm.db``)
_FILE_URL_FROM_HOME = re.compile(r"^((?:sqlite|duckdb)[\w+]*:///)(~.*)$", re.I)


def _expand_home(value):
    """A local path written from the home folder (``~/exports/hubspot``, as published reports
    name it), or a database file's URL so written (``sqlite:///~/crm.db``), with the full path;
    anything else (a format name, another URL, None) as it is."""
    if isinstance(value, (str, Path)) and str(value).startswith("~"):
        expanded = os.path.expanduser(str(value))
        return Path(expanded) if isinstance(value, Path) else expanded
    found = _FILE_URL_FROM_HOME.match(value) if isinstance(value, str) else None
    if found:
        return found.group(1) + os.path.expanduser(found.group(2))
    return value


def _load_source(source, format: str, mapping, reading: dict, schema: str | None) -> CRM:
    """`load` of anything but a zip (the reading options checked)."""
    if not _SQL_URL.match(str(source)):
        refuse_special(Path(source), str(source))
    if mapping is not None or _names_mapping(format):
        _refuse_model(source, f"an export read through the mapping {mapping or format}")
        spec = _read_given_mapping(mapping or format)
        return _load_with_spec(source, spec, reading)
    if format not in FORMATS:
        raise CRMExportError(
            f"unknown format {format!r}; choose one of {', '.join(FORMATS)}, or give a mapping "
            f"file (.yaml) or the name of a mapping smk ships: {', '.join(_shipped_formats())}"
        )
    guessed = None
    if format == "auto":
        format, guessed = _detect(source)
    elif format not in ("parquet", "sql"):
        _refuse_model(source, f"a {format} export")
    if format == "parquet":
        _refuse_reading(source, reading)
    try:
        return _load_format(source, format, reading, schema)
    except CRMExportError as exc:
        if guessed is None or not _missing_column(exc):
            raise
        if format == "hubspot" and exc.file is not None:  # the failing file's own sign first
            guessed = _hubspot_sign(Path(exc.file)) or guessed
        hint = (
            f"; read as a {format} export (detected from {guessed}): if it is another CRM's "
            "export, give a mapping file (docs/mappings.md)"
        )
        raise exc.but(reason=exc.reason + hint) from None


#: the path in pyarrow's error for a file it may not open (an OSError with no `filename`)
_ARROW_PATH = re.compile(r"local file '([^']+)'")


def permission_denied(exc: PermissionError, source) -> CRMExportError:
    """A file or folder of the export that the operating system does not let smk read, as
    bad input naming it (the file in the error, else the one in pyarrow's message, else
    the source)."""
    name = exc.filename
    if name is None and (found := _ARROW_PATH.search(str(exc))):
        name = found.group(1)
    if name is None:
        from smk.io.sql import mask_url  # never a password in the message

        name = mask_url(str(source))
    shown = os.fsdecode(name)
    what = "folder" if os.path.isdir(shown) else "file"
    return CRMExportError(
        f"permission denied: smk may not read this {what} (give the user running smk read "
        "permission on it)",
        file=shown,
    )


def _missing_column(exc: CRMExportError) -> bool:
    """Whether `exc` says a required column is missing: it names the column and lists the
    headers found, with no row (as every loader's missing-column error does)."""
    return exc.column is not None and exc.found_columns is not None and exc.row is None


def _is_model(path: Path) -> bool:
    """Whether `path` is a folder written by `CRM.to_parquet` (an smk model)."""
    return path.is_dir() and (path / MODEL_MANIFEST).exists()


def _refuse_model(source, read_as: str) -> None:
    """An smk model read as an export would read its Parquet files as the export's tables."""
    if not _SQL_URL.match(str(source)) and _is_model(Path(source)):
        raise CRMExportError(
            f"this folder is an smk model (written by CRM.to_parquet, with {MODEL_MANIFEST}), "
            f"not {read_as}: load it with format 'parquet' (or 'auto')",
            file=str(source),
        )


def _refuse_reading(source, reading: dict) -> None:
    """A model is typed already: options for reading an export would be silently ignored."""
    given = [k for k, v in reading.items() if v is not None]
    if given:
        options = ", ".join(f"{k}=" for k in given)
        flags = " ".join(f"--{k}" for k in given)
        raise CRMExportError(
            f"{options} ({flags}) cannot apply to an smk model (a folder written by "
            "CRM.to_parquet): the model was read with the options of its export, which are "
            f"given when the model is written: smk.load(export, {given[0]}=...)"
            ".to_parquet(folder); leave it out here",
            file=str(source),
        )


def _load_format(source, format: str, reading: dict, schema: str | None) -> CRM:
    """Load `source` in a known `format` (not "auto")."""
    if format == "hubspot":
        return load_mapped(source, builtin_mapping("hubspot"), **reading)
    if format == "canonical":
        return load_mapped(source, canonical_mapping(), **reading)
    if format == "parquet":
        return CRM.from_parquet(source)
    if format == "mapping":
        path = Path(source)
        if path.is_dir() and not (path / MAPPING_FILE).exists():
            raise CRMExportError(
                "format 'mapping' reads an export through a mapping file, and none was given: "
                "give one (--mapping FILE.yaml; smk.load(..., mapping=...)), or save it as "
                f"{MAPPING_FILE} in the export folder (docs/mappings.md)",
                file=str(source),
            )
        spec = read_mapping(path if path.is_file() else path / MAPPING_FILE)
        return _load_with_spec(source, spec, reading)
    if format == "salesforce":
        from smk.io.salesforce import load_salesforce

        notes = _salesforce_unread(Path(source)) if Path(source).is_dir() else []
        crm = load_salesforce(source, **reading)
        crm.quality.warnings.extend(notes)
        return crm
    if format == "sql":
        from smk.io.sql import load_sql

        return load_sql(str(source), **reading, schema=schema)
    raise AssertionError(format)


def _shipped_formats() -> list[str]:
    """The shipped mappings a format may name (`format="pipedrive"`): not a format's own."""
    return [n for n in shipped_mappings() if n not in FORMATS]


def _names_mapping(format: str | Path) -> bool:
    """Whether `format` names a mapping: a .yaml file, or a mapping smk ships (`pipedrive`)."""
    text = str(format)
    return text not in FORMATS and (
        text.lower().endswith((".yaml", ".yml")) or text.lower() in _shipped_formats()
    )


def resolve_mapping(format: str, mapping: str | Path | None) -> tuple[str, str | None]:
    """`format` and `mapping` as `load` reads them, a mapping smk ships named by its name
    (`mapping="pipedrive"`, `format="pipedrive"`; `mapping_path`) given as the path of its
    file, format "auto": a re-run of a published report reads the export with that file."""
    if mapping is None and _names_mapping(format):
        format, mapping = "auto", format
    if mapping is None or not is_bare_name(mapping):  # a path as given: `./pipedrive` stays
        return format, None if mapping is None else os.fspath(mapping)  # one (no bare name)
    return format, str(mapping_path(mapping))


def _read_given_mapping(given: str | Path) -> FormatMapping:
    """`read_mapping` of the mapping file a caller named (`mapping=`, `--mapping`, or a
    format), which must be a file, or a mapping smk ships named by its name (`pipedrive`,
    `mapping_path`): a clear error naming it when there is none (or a folder) by that name."""
    path = mapping_path(given)
    if path.is_dir():
        raise CRMExportError(
            "this is a folder, not a mapping file: give the mapping's .yaml file", file=str(path)
        )
    bare = is_bare_name(given)  # a name, not a file's path
    if not path.exists():
        raise CRMExportError("no such mapping file" + _shipped_hint(path, bare), file=str(path))
    try:
        return read_mapping(path)
    except CRMExportError as exc:
        shipped = shipped_file(path) if bare else None
        if shipped is None:
            raise
        raise exc.but(  # a local file named like a shipped mapping, read instead of it
            file=str(path.resolve()),
            reason=f"{exc.reason} (this file in the current folder was read as the mapping "
            f"{path.name}, not the one smk ships by that name: rename it, or give the shipped "
            f"one's path, {shipped})",
        ) from None


def _shipped_hint(path: Path, bare: bool) -> str:
    """What "no such mapping file" adds for `path`: the mappings smk ships, for a bare name;
    the one whose name `path`'s file name is without its suffix (`pipedrive.yaml`), if any."""
    if bare:
        return f" (the mappings smk ships by name: {', '.join(shipped_mappings())})"
    shipped = shipped_file(path)
    if shipped is None:
        return ""
    name = shipped.stem
    return f"; smk ships one called {name}: mapping={name!r} (--mapping {name})"


def _salesforce_unread(folder: Path) -> list[str]:
    """`check_unread` for a Salesforce export folder: a group per object, told by the file's
    name (`Opportunity.csv.gz`: Opportunity) and, for a readable CSV, by its headers (a
    report download)."""
    from smk.io.salesforce import object_of_labels, object_of_name

    def group(obj: str | None) -> list[str]:
        return [f"the Salesforce {obj} object"] if obj else []

    readable: dict[str, list[str]] = {}
    for p in data_files(folder):
        for g in group(object_of_name(p) or object_of_labels(_headers(p))):
            readable.setdefault(g, []).append(p.name)
    return check_unread(
        folder, lambda name: group(object_of_name(Path(inner_name(name)))), readable
    )


def _is_database(source: str | Path) -> bool:
    """Whether `source` is a database: a SQLAlchemy URL, or a SQLite / DuckDB file."""
    path = Path(source)
    return bool(_SQL_URL.match(str(source))) or (
        path.suffix.lower() in DATABASE_SUFFIXES and path.is_file()
    )


def _refuse_mapping_for_database(
    source: str | Path, format: str, mapping: str | Path | None
) -> None:
    """A mapping file (`mapping`, or one given as `format`) names the headers of files: a
    database is read as its tables are (canonical tables, or a HubSpot schema synced by
    Fivetran), never through one."""
    if mapping is None and _names_mapping(format):
        mapping = format
    if mapping is None or not _is_database(source):
        return
    from smk.io.sql import mask_url  # never a password in the message

    raise CRMExportError(
        f"a mapping file ({mapping}) is not read for a database: smk reads a database's "
        "canonical tables (" + ", ".join(SCHEMA) + ") or a HubSpot schema synced by Fivetran as "
        "they are; leave out the mapping (--mapping), or write the canonical tables into the "
        "database (a view or a dbt model that renames your columns)",
        file=mask_url(str(source)),
    )


def _require_sql(source: str | Path, format: str, mapping: str | Path | None) -> None:
    """`schema=` names a schema of a database: refuse it for any other source."""
    text = str(source)
    auto = format == "auto" and not text.lower().endswith(".zip")
    if mapping is None and (format == "sql" or (auto and detect_format(source) == "sql")):
        return
    from smk.io.sql import mask_url

    raise CRMExportError(
        "schema= (--schema) applies only to a SQL database (a SQLAlchemy URL or a SQLite / "
        "DuckDB file, read with format 'auto' or 'sql'): leave it out for this source",
        file=mask_url(text),
    )


def _names_not_utf8(path: Path) -> bool:
    """Whether the path, or a name in the folder it is, holds bytes that are no UTF-8."""
    try:
        names = [str(path)] + (os.listdir(path) if path.is_dir() else [])
    except OSError:
        return False
    return any(fileio.shown_name(n) != n for n in names)


def _load_renamed(path: Path, format: str, mapping, reading: dict, schema: str | None) -> CRM:
    """Load a folder (or one file) through a temporary folder of symbolic links named as the
    names are shown (`contacts-M\\xe4rz.csv`); the CRM's source and the messages keep the
    real folder."""
    import dataclasses
    import tempfile

    folder = path if path.is_dir() else path.parent
    with tempfile.TemporaryDirectory(prefix="smk-names-") as tmp:
        for entry in folder.iterdir() if path.is_dir() else [path]:
            link = Path(tmp) / fileio.shown_name(entry.name)
            if link.is_symlink():  # `M\xe4rz.csv` beside a file literally named so
                raise CRMExportError(
                    f"two files of the export are both shown as {link.name!r} (one name is no "
                    "UTF-8): rename one of them",
                    file=str(folder / entry.name),
                )
            link.symlink_to(entry.absolute())
        root = Path(tmp) if path.is_dir() else Path(tmp) / fileio.shown_name(path.name)
        try:
            crm = load(root, format, mapping=mapping, schema=schema, **reading)
        except CRMExportError as exc:  # name the real folder, not the links
            raise _moved(
                exc, tmp, lambda inner: str(folder / inner) if inner else str(path)
            ) from None
    return dataclasses.replace(crm, source=str(path))


def _load_zip(path: Path, format: str, mapping, reading: dict) -> CRM:
    """Unpack an export zip into a temporary folder and load that (its one top folder, if all
    files sit in one); the CRM's source stays the zip."""
    import dataclasses
    import tempfile
    import zipfile

    try:
        with _open_zip(path) as archive:
            members = [
                m
                for m in archive.infolist()
                if not m.is_dir() and not m.filename.startswith("__MACOSX/")
            ]
            names = [m.filename for m in members]
            unsafe = [n for n in names if n.startswith(("/", "\\")) or ".." in Path(n).parts]
            if unsafe:
                raise CRMExportError(
                    f"the zip holds a path outside its folder ({unsafe[0]!r}); refusing to unpack",
                    file=str(path),
                )
            locked = [m.filename for m in members if m.flag_bits & 0x1]
            if locked:
                raise CRMExportError(
                    "the zip is password-protected (encrypted) and smk cannot unpack it: unpack "
                    "it yourself and load the folder, or download the export without a password",
                    file=f"{path} ({locked[0]})",
                )
            with tempfile.TemporaryDirectory(prefix="smk-zip-") as tmp:
                for member in members:
                    _unpack(archive, member, tmp, path)
                tops = {Path(n).parts[0] for n in names}
                root = Path(tmp) / tops.pop() if len(tops) == 1 and len(names) > 1 else Path(tmp)
                if not root.is_dir():
                    root = Path(tmp)
                try:
                    crm = load(root, format, mapping=mapping, **reading)
                except CRMExportError as exc:  # name the file inside the zip, not the temp copy
                    raise _moved(
                        exc, tmp, lambda inner: f"{path}" + (f" ({inner})" if inner else "")
                    ) from None
    except zipfile.BadZipFile as exc:
        raise CRMExportError(f"not a readable zip file ({exc})", file=str(path)) from None
    return dataclasses.replace(crm, source=str(path))


def _open_zip(path: Path):
    """The zip at `path`, opened for reading; one smk may not read is bad input."""
    import zipfile

    try:
        return zipfile.ZipFile(path)
    except PermissionError as exc:
        raise permission_denied(exc, path) from None


def _unpack(archive, member, tmp: str, path: Path) -> None:
    """Extract one member of the zip at `path`; a member that cannot be unpacked (damaged
    data, a compression method Python lacks) is bad input naming the zip and the member."""
    import zipfile
    import zlib

    damaged: tuple[type[Exception], ...] = (zipfile.BadZipFile, zlib.error, EOFError)
    try:
        import lzma

        damaged += (lzma.LZMAError,)
    except ImportError:  # a Python built without lzma: zipfile cannot read such members either
        pass
    try:
        archive.extract(member, tmp)
    except (*damaged, NotImplementedError, RuntimeError, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:
            raise  # a full disk, no permission: the operating system's error
        what = (  # NotImplementedError: "That compression method is not supported"
            "uses a compression method smk cannot unpack"
            if isinstance(exc, NotImplementedError)
            else "is damaged and cannot be unpacked"
        )
        raise CRMExportError(
            f"the zip {what} ({exc}); download or zip the export again",
            file=f"{path} ({member.filename})",
        ) from None


def _moved(exc: CRMExportError, tmp: str, shown_as) -> CRMExportError:
    """`exc` with a file under the temporary folder `tmp` named by `shown_as(inner path)`."""
    shown = exc.file
    if shown and shown.startswith(tmp):
        shown = shown_as(shown[len(tmp) :].lstrip("/\\"))
    return exc.but(file=shown)


def _load_with_spec(source, spec: FormatMapping, reading: dict) -> CRM:
    path = Path(source)
    if path.is_file() and path.suffix.lower() in {".yaml", ".yml"}:
        data = spec.data or "."
        path = (path.parent / data).resolve()
        if not path.is_dir():
            raise CRMExportError(
                f"the mapping's data: {data!r} is no folder ({path}); it is read relative to "
                "the mapping file",
                file=str(source),
            )
    return load_mapped(path, spec, **reading)
