"""The monthly report: run every notebook with papermill, publish HTML atomically.

`run_report` loads and validates the export once, caches it as Parquet, runs the numbered
notebooks in `notebooks/` in order (each gets `data_path`, `data_format`, `month`,
`output_dir` plus settings from a params file), renders each to a code-free, self-contained
HTML page, builds `index.html` from the notebooks' `metrics-<name>.json`, and only then moves
the finished month into `reports/YYYY-MM/`. A failing notebook leaves the published month as
it was and keeps the failed executed notebook in `reports/.failed/YYYY-MM/` for debugging,
until that notebook of that month is published.

Unless `include_pii`, e-mail addresses and the export's personal names leave what is published:
the pages (`scrub_pii`), the executed notebooks (`scrub_notebook`), the month's text files
(`scrub_file`), the log; charts are drawn without them in the kernels
(`smk.notebooks.publish_without_pii`).

`manifest.json` records which notebook wrote each file of a month (`files`) and, per page,
the data source and run it came from and whether it holds personal data (`pages`).
Re-running some notebooks (`notebooks=[...]`) replaces those notebooks' files and keeps the
other notebooks' pages and outputs of the published month; the index and `metrics.json` then cover every page. A partial re-run on
another export (or at another time) is allowed: the month's index then says so in its header
and names the data source and run time next to every page.

The reports folder: `out` must be new, empty (bar a README or .gitkeep, and what the
operating system makes: a volume's lost+found, Thumbs.db) or one smk already publishes into (its `index.html` is smk's, or it holds only what smk writes); any other folder
is refused, as `index.html` and the month folders would overwrite files smk does not own.

While a report runs, its temporary folders (`.cache-<month>-<id>/`, a Parquet copy of the
whole model with personal data, `.staging-<month>-<id>/` and, while swapping,
`.old-<month>-<id>/`) belong to `.run-<month>-<id>.lock`, which the run holds locked. Ctrl-C
and SIGTERM/SIGHUP (a scheduler's `timeout`) remove them (exit 130, 128 + the signal). What a
run killed outright (SIGKILL, power loss) leaves is removed by the next run in that folder: a
run lock nobody holds marks its folders as left over; folders with no lock file at all (left
by an smk before locks) once they are `STALE_AFTER` seconds old. Publishing holds
`.publish.lock` (removed by its holder when done), so two reports published into one folder at
once take turns (waiting up to `PUBLISH_WAIT` seconds) instead of swapping the same month at
once; meanwhile the holder removes a half-written `.index-*.tmp` a killed run left.
"""

from __future__ import annotations

import codecs
import collections
import contextlib
import csv
import dataclasses
import datetime as dt
import functools
import hashlib
import html
import importlib
import io
import json
import logging
import math
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
import unicodedata
import uuid
import zoneinfo
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

import smk
from smk import config
from smk.checks import checked_tables
from smk.model import CRM, export_changed, is_open_at, same_pipelines
from smk.notebooks import INCLUDE_PII, REPORT_SOURCE
from smk.outputs import (
    EMAIL_REMOVED,
    NO_DATA,
    format_kpi,
    mask_emails,
    may_hold_email,
    neutralised,
    read_metrics,
    read_metrics_file,
    terminal_safe,
    unmatched_text,
    write_metrics,
)
from smk.periods import Month, is_gap_text, month_coverage, resolve_month
from smk.pii import (
    INVISIBLE,
    first_last_columns,
    is_name_column,
    looks_like_personal_name,
    name_forms,
    removable_alone,
    unaccented_spellings,
    without_invisible,
)
from smk.scorecard import MONTH_PARTIAL, PARTIAL_MONTH, VERDICTS
from smk.yaml_files import load_yaml

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; leftovers are then told by their age alone
    fcntl = None

log = logging.getLogger("smk.report")

NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
KERNEL_NAME = "smk"
SHARED_PARAMETERS = ("data_path", "data_format", "month", "output_dir")
#: The parameter that carries how the export was read (`smk.notebooks.open_crm`'s
#: `read_options`: --mapping, --timezone, --dayfirst, --decimal, --schema), so that a
#: published notebook re-reads the export as the report did; notebooks that declare it get it.
READ_OPTIONS_PARAMETER = "read_options"
#: Parameters the report sets from its command's options: a params file may not set them.
COMMAND_PARAMETERS = (*SHARED_PARAMETERS, READ_OPTIONS_PARAMETER)
MANIFEST = "manifest.json"
#: The log of the report's runs, in the reports folder.
LOG_FILE = "smk-report.log"
#: What the report writes into a month from the notebooks' files (rebuilt on every run).
REPORT_FILES = frozenset({"index.html", "metrics.json", MANIFEST})
_WORD = re.compile(r"\w+")
#: An embedded base64 image: it ends at the first character base64 has not (whitespace, a
#: quote, `)`), as base64 in an HTML attribute has no spaces; text after it is the page's.
_DATA_URI = re.compile(r"(data:[\w/+.-]+;base64,[A-Za-z0-9+/=]*)")
#: A terminal colour code, as in a traceback's text: `\x1b[33mJane Doe` holds no word `33mJane`
_ANSI = re.compile(r"(\x1b\[[0-9;]*m)")
#: Where a path that starts at the home folder ends or goes on under it (`_home_patterns`): a
#: path separator (a backslash also starts a JSON or Python escape: `\"/home/jane\"`), the end
#: of the text or of a line, a quote, a closing bracket, an HTML tag or quote, a full stop,
#: or a space or punctuation that no more of a name then a separator follows. Anything else
#: names a sibling: ``/home/jane (copy)/x``, ``/home/jane+old``, ``/home/jane@corp/x``.
_HOME_ENDS = (
    r"(?=[/\\\r\n\"'`)\]}<>]|\Z|&(?:quot|#x27|#39|lt|gt);|\.(?!\w)"
    r"|[ \t,;:|!?](?![^\s/\\]+[/\\]))"
)


class ReportError(RuntimeError):
    """A report could not be published; the message says which notebook, cell and error."""


class Refusal(ValueError):
    """`run_report` refuses the export before any notebook runs (`check_export`; exit 2).

    `kind` says why: "contacts" (none loaded), "month" (the month cannot be reported: `latest`
    of an export that covers no full month yet, a month outside the data), "pipelines" (a
    notebook's `pipelines` names one the export's deals lack) or "currency" (a notebook's
    `fx_rates` lack one); `reason` says it without what the run then did, and for
    a currency, `rows` says which rows the notebook converts for `month`."""

    def __init__(
        self,
        message: str,
        kind: str,
        reason: str,
        rows: str | None = None,
        month: Month | None = None,
    ) -> None:
        super().__init__(message)
        self.kind, self.reason, self.rows, self.month = kind, reason, rows, month


@dataclass
class NotebookRun:
    name: str
    path: Path
    seconds: float = 0.0
    cells_seconds: float = 0.0  # time spent in cells; the rest is kernel start and saving
    html: Path | None = None
    no_data: str | None = None  # the NoDataError that cut the page short, if one did
    files: list[str] = field(default_factory=list)  # what it wrote in the month's folder
    started: float | None = None  # when it started (time.time()), for a run of it now
    # what it read of the previous month's folder: file -> `fingerprint` (None: not there)
    read_previous: dict[str, str | None] = field(default_factory=dict)


@dataclass
class ReportResult:
    month: Month
    folder: Path
    runs: list[NotebookRun] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


# ------------------------------------------------------------------ notebooks and kernel
def discover_notebooks(
    names: list[str] | None = None, folder: Path = config.NOTEBOOKS_DIR
) -> list[Path]:
    """The numbered notebooks in reading order, or those named (by file or short name; one
    named twice, "data_quality 00_data_quality", is run once)."""
    if not Path(folder).is_dir():
        raise ValueError(f"no notebook folder {folder}: it does not exist or is no folder")
    found = sorted(folder.glob(NOTEBOOK_GLOB))
    if not names:
        return found
    chosen = []
    for name in names:
        match = [p for p in found if name in (p.name, p.stem, notebook_name(p))]
        if not match:
            raise ValueError(
                f"no notebook {name!r} in {folder}; there are: "
                f"{', '.join(p.stem for p in found) or 'none (no NN_name.ipynb file)'}"
            )
        chosen += match
    return list(dict.fromkeys(chosen))


def notebook_name(path: Path) -> str:
    """`01_funnel_sla.ipynb` -> `funnel_sla` (the name in `metrics-<name>.json`)."""
    return re.sub(r"^\d+_", "", Path(path).stem)


def ensure_kernel() -> str:
    """Register the `smk` kernel for this very Python (never a stray global `python3`, nor
    another environment's `smk` kernel), and make sure the kernel of that name runs it."""
    found = _smk_kernel_python()
    if found is not None and _is_this_python(found):
        return KERNEL_NAME
    from ipykernel.kernelspec import install

    install(kernel_name=KERNEL_NAME, display_name="Python (smk)", prefix=sys.prefix)
    found = _smk_kernel_python()
    if found is None or not _is_this_python(found):
        raise ReportError(
            f"a Jupyter kernel named {KERNEL_NAME!r} runs {found}, another Python than this "
            f"smk's ({sys.executable}), and Jupyter finds it before this environment's: remove "
            f"it (jupyter kernelspec remove {KERNEL_NAME}, or take its folder out of "
            "JUPYTER_PATH)"
        )
    return KERNEL_NAME


def _smk_kernel_python() -> str | None:
    """The Python the kernel named `KERNEL_NAME` runs, as Jupyter finds it; None for none."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        return KernelSpecManager().get_kernel_spec(KERNEL_NAME).argv[0]
    except NoSuchKernel:
        return None


def _is_this_python(python: str) -> bool:
    """Whether `python` is this process's interpreter: the same path, or a name for the same
    file in the same folder (`bin/python` and `bin/python3` of one environment), or a bare
    `python`, `python3` or this minor version's `python3.N` (jupyter_client runs this Python
    for those, and only those). Paths are not compared resolved alone: every venv of one base
    Python links to the same file; its folder is resolved (a project under a symlinked path)."""
    major, minor = sys.version_info[:2]
    if python in {"python", f"python{major}", f"python{major}.{minor}"}:
        return True
    mine, theirs = Path(sys.executable).absolute(), Path(python).absolute()
    if mine == theirs:
        return True
    try:
        same_folder = mine.parent.resolve() == theirs.parent.resolve()
        return same_folder and mine.resolve() == theirs.resolve()
    except OSError:
        return False


def kernel_manager_class():
    """The kernel manager for our notebook runs: encrypted transport where the stack has it.

    ipykernel 7.4 warns on every start over plain TCP ("Kernel is running over TCP without
    encryption"), which would fill every scheduled run's log. jupyter_client 8.10 can give the
    kernel CurveZMQ keys when the kernelspec declares support (ipykernel's does); older stacks
    keep the default manager, which their kernels do not warn about.
    """
    import zmq
    from jupyter_client.manager import AsyncKernelManager

    supported = "transport_encryption" in AsyncKernelManager.class_trait_names()
    return _encrypted_kernel_manager() if supported and zmq.has("curve") else AsyncKernelManager


def report_kernel_arguments(cache: str | None) -> list[str]:
    """The kernel's arguments for a notebook of the report (none without a `cache`): IPython
    runs `smk.notebooks.prepare_report_kernel` with the report's cache before the first cell,
    so that a page published without personal data draws its charts without them whatever
    the notebook loads the export with (`smk.load` as well as `open_crm`). In the kernel's
    start, not checked after the run: a chart is an image, which nothing can scrub once
    drawn, and a page need not fail for reading the export its own way."""
    if not cache:
        return []
    line = f"__import__('smk.notebooks').notebooks.prepare_report_kernel({str(cache)!r})"
    return [f"--IPKernelApp.exec_lines={line}"]


@functools.cache
def _encrypted_kernel_manager() -> type:
    """The kernel manager class that asks for CurveZMQ keys (built once, on first use, so
    that importing smk does not import Jupyter)."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class EncryptedKernelManager(AsyncKernelManager):
        @default("transport_encryption")
        def _auto_encryption(self) -> str:
            return "auto"

    return EncryptedKernelManager


# ------------------------------------------------------------------ parameters
def read_params(path: str | Path | None) -> dict:
    """A params YAML: top-level keys go to every notebook, `notebooks: {name: {...}}` to one."""
    if path is None:
        return {}
    try:
        params = load_yaml(_params_text(Path(path))) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read the params file {path}: {exc}") from None
    if not isinstance(params, dict):
        raise ValueError(f"the params file {path} must hold a mapping of parameter: value")
    clash = [k for k in COMMAND_PARAMETERS if k in params]
    if clash:
        raise ValueError(
            f"the params file {path} may not set {', '.join(clash)}: use the command's options"
        )
    params = _paths_from(_as_json_text(params), Path(path).parent)
    return _in_own_sections(params, _currency_codes)


#: Settings that name a file: a relative path in a params file is read from the file's folder
#: (it was read from smk's own folder, and a missing file failed inside a notebook, exit 3).
#: Each with the package's reader the notebook reads it with (module, function), which
#: `_check_file_setting` reads it with before any notebook runs: a group named with the path
#: separator failed inside notebook 04 after two minutes of notebooks, exit 3.
FILE_SETTINGS = {
    "segments_csv": ("smk.funnel", "read_segments"),
    "channel_groups": ("smk.attribution.journeys", "check_channel_groups"),
}
#: `FILE_SETTINGS` whose reader also reads a URL (pandas reads CSVs from URLs): left to the
#: notebook, which fetches it; another's URL is refused (it was taken for a file by the notebook).
URL_SETTINGS = frozenset({"segments_csv"})


def _paths_from(params: dict, folder: Path) -> dict:
    """`params` with the relative paths of `FILE_SETTINGS`, at the top and in the sections of
    smk's own notebooks (`_in_own_sections`), made absolute from `folder` (the params
    file's). A URL (`https://...`) is left as it is."""

    def absolute(section: dict, where: str) -> dict:
        out = dict(section)
        for key in FILE_SETTINGS:
            value = out.get(key)
            if isinstance(value, str) and value.strip() and "://" not in value:
                path = Path(os.path.expanduser(value))
                out[key] = value if path.is_absolute() else str((folder / path).resolve())
        return out

    return _in_own_sections(params, absolute)


def _in_own_sections(params: dict, change) -> dict:
    """`params` with `change(section, where)` made to its top level (`where` ""), then to the
    sections of smk's own notebooks (`where` "notebooks.<name>."): a user's notebook may give
    the names `change` reads another meaning."""
    params = change(params, "")
    sections, packaged = params.get("notebooks"), _packaged_names()
    if isinstance(sections, dict):
        params["notebooks"] = {
            name: change(own, f"notebooks.{name}.")
            if isinstance(own, dict) and name in packaged
            else own
            for name, own in sections.items()
        }
    return params


def _currency_codes(section: dict, where: str) -> dict:
    """A section of a params file with its currency codes read in any case, by the notebooks'
    own rule (`smk.sla.currency_settings`): `reporting_currency: eur` is EUR. Two keys of
    `fx_rates` naming one currency (`EUR` and `eur`) are refused (ValueError)."""
    from smk.sla import currency_settings

    try:
        return currency_settings(section, where)
    except ValueError as exc:
        raise ValueError(f"the params file: {exc}") from None


def _check_file_setting(
    key: str, value, relative: str = "in the params file is read from the params file's folder"
) -> None:
    """A `FILE_SETTINGS` value names a file its notebook can read (empty or null: none): it
    is read here with the notebook's own reader, so that what the notebook would refuse in
    it (a channel group named with the path separator, a segments CSV without a segment
    column) is refused before the data is read, naming the setting and the file. `relative`
    says where a relative path was read from (`smk.notebooks` checks the notebooks' own
    values). A URL of `URL_SETTINGS` is left to the notebook to fetch."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return  # none
    if "://" in str(value):
        if key in URL_SETTINGS:
            return
        raise ValueError(f"{key}: {value} is a URL; give a file on this machine")
    path = Path(os.path.expanduser(str(value)))
    if not path.is_file():
        raise ValueError(f"{key}: no such file {value} (a relative path {relative})")
    module, reader = FILE_SETTINGS[key]
    try:
        getattr(importlib.import_module(module), reader)(path)
    except OSError as exc:
        raise ValueError(f"{key}: cannot read {value}: {exc.strerror or exc}") from None
    except ValueError as exc:
        if str(exc).startswith(key):
            raise
        raise ValueError(f"{key}: {exc}") from None


#: Byte-order marks of the texts a params file may be besides UTF-8, and the codec reading
#: past each: Windows PowerShell's `>` writes UTF-16 with one. UTF-32's come first, as
#: UTF-32-LE's starts with UTF-16-LE's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _params_text(path: Path) -> str:
    """The text of a params file: UTF-8, or UTF-16 or UTF-32 starting with a byte-order mark;
    anything else is refused (ValueError) naming the line and byte that are not text."""
    raw = path.read_bytes()
    codec = next((codec for bom, codec in _BOMS if raw.startswith(bom)), "utf-8")
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].decode(codec, errors="replace").count("\n") + 1
        encoding = codec.removesuffix("-sig").upper()
        raise ValueError(
            f"cannot read the params file {path}: it is not {encoding} text (line {line}: byte "
            f"0x{raw[exc.start]:02x}); save it as UTF-8"
        ) from None


def _as_json_text(value, key: bool = False):
    """YAML's unquoted dates (`holidays: [2026-12-24]`) as ISO text, and the keys of every
    mapping as text: papermill writes the parameters into the notebook as JSON, which has no
    dates and whose keys are text. A key YAML reads as a number (`teams: {1: inside}`) is
    an owner's or another record's id, which the model holds as text ("1"); keys partly
    numbers, partly text (`{1: inside, owner-02: field}`) could not be sorted for JSON."""
    if isinstance(value, dict):
        return {_as_json_text(k, key=True): _as_json_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json_text(v) for v in value]
    if isinstance(value, dt.date):  # a datetime too
        return value.isoformat()
    return str(value) if key else value


def declared_parameters(notebook: Path) -> set[str]:
    """Names the notebook's `parameters` cell defines."""
    import papermill as pm

    return set(_parameters_of(pm, notebook))


def params_for(notebook: Path, params: dict, declared: set[str] | None = None) -> dict:
    """Settings for one notebook: the shared ones it declares, then its own section. Lead
    scoring takes the team's week (`WEEK_KEYS`) the funnel page's section gives, unless its
    own section gives it too: the report's month is judged by that week (`working_week`), so
    the scoring page counts the same days."""
    declared = declared_parameters(notebook) if declared is None else declared
    shared = {k: v for k, v in params.items() if k != "notebooks" and k in declared}
    name = notebook_name(notebook)
    source = _section(params, _source_of(name))
    taken = {key: source[key] for key in _inherited(params, name) if key in declared}
    return {**shared, **taken, **_section(params, name)}


#: the settings that make a team's working week: the funnel page's SLA and lead scoring's
WEEK_KEYS = ("weekmask", "holidays", "timezone")
#: notebook -> (the notebook whose params-file section it takes settings from, which ones)
TAKES_FROM = {"lead_scoring": ("funnel_sla", WEEK_KEYS)}


def _source_of(name: str) -> str | None:
    """The notebook whose section notebook `name` takes settings from (`TAKES_FROM`)."""
    return TAKES_FROM.get(name, (None, ()))[0]


def _inherited(params: dict, name: str) -> dict[str, str]:
    """The settings notebook `name` takes from another's section of the params file
    (`TAKES_FROM`), by where the file writes them (`params_for`)."""
    source, keys = TAKES_FROM.get(name, (None, ()))
    given = _section(params, source) if source else {}
    return {key: f"notebooks.{source}.{key}" for key in keys if key in given}


#: What a parameters cell's annotation asks for, and the values that pass as it (an `int` also
#: takes a whole float, 40.0, as the package does: `smk.checks.is_whole`; `as_declared` makes
#: it the int 40 before it is checked or reaches the notebook).
_KINDS = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "list": (list,),
    "dict": (dict,),
}


#: Settings whose None (YAML's null) the package reads as something, and so may be null in a
#: params file although their parameter is annotated: `lookback_days` (attribution.journeys:
#: no limit), `pipeline_target` and `revenue_target` (smk.sla.SLA: no target) and
#: `rejection_reason_column` (smk.sla.SLA: no such column). Any other annotated parameter
#: refuses null (`teams: null` would fail inside the notebook), unless its annotation takes
#: None (``str | None``).
NULL_SETTINGS = frozenset(
    {
        "lookback_days",
        "pipeline_target",
        "revenue_target",
        "rejection_reason_column",
        "segments_csv",  # the notebooks read "" and None alike: no file
        "channel_groups",
        "pipelines",  # CRM.of_pipelines: every pipeline
    }
)


def _refuses_none(key: str, annotation: str) -> bool:
    """Whether the parameter `key`, annotated `annotation` ("None": not annotated), refuses
    None: see `NULL_SETTINGS`."""
    if key in NULL_SETTINGS or annotation in ("", "None"):
        return False
    return not re.search(r"\b(?:None|Optional|Any|object)\b", annotation)


def _takes_int(annotation: str) -> bool:
    """Whether the annotation asks for an int and not a float (`int`, ``str | int``)."""
    parts = {part.strip() for part in annotation.split("|")}
    return "int" in parts and "float" not in parts


#: Settings `_SETTING_CHECKS` checks as integers: a whole float (42.0) is made an int for them
#: even in a notebook that does not annotate them `int`.
_INTEGER_SETTINGS = frozenset(
    {"capacity_per_month", "window_months", "markov_order", "n_boot", "seed", "mix_months"}
)


def _whole_as_int(value):
    """A whole float (42.0, not a bool) as the int it is (42); any other value as it is."""
    from smk.checks import is_whole

    if isinstance(value, float) and is_whole(value):
        return int(value)
    return value


def as_declared(settings: dict, cell: dict) -> dict:
    """`settings` for a notebook whose parameters cell is `cell` (name -> papermill's spec),
    with whole floats made ints for the parameters annotated `int` (and `_INTEGER_SETTINGS`):
    YAML's `seed: 42.0` reaches the notebook as 42 (scikit-learn refuses a float
    random_state; a page would say "within 60.0 days")."""
    out = {}
    for key, value in settings.items():
        spec = cell.get(key) or {}
        if key in _INTEGER_SETTINGS or _takes_int(spec.get("inferred_type_name") or ""):
            value = _whole_as_int(value)
        out[key] = value
    return out


def _wrong_type(annotation: str, value) -> bool:
    """Whether `value` is no value of the annotation's type. None (YAML's null) is refused by
    `check_params` (`_refuses_none`) or left to the package's checks (`_check_sla_settings`,
    `_SETTING_CHECKS`) for the settings that take it (`NULL_SETTINGS`)."""
    from smk.checks import is_whole

    kinds = _KINDS.get(annotation)
    if kinds is None or value is None:
        return False
    if isinstance(value, bool) and annotation != "bool":
        return True  # YAML's yes/no is not a number or a name
    if annotation == "int" and isinstance(value, float):
        return not is_whole(value)  # 40.0 is 40, as smk.checks.is_whole has it; 40.5 is not
    return not isinstance(value, kinds)


def _check_sections(params: dict) -> None:
    """`notebooks:` must map notebook names to mappings of setting: value (or nothing)."""
    sections = params.get("notebooks")
    example = "(e.g. notebooks: {funnel_sla: {mql_target: 80}})"
    if sections is not None and not isinstance(sections, dict):
        raise ValueError(
            "the params file: notebooks must be a mapping of notebook name to its settings "
            f"{example}, got {type(sections).__name__} {sections!r}"
        )
    wrong = [
        f"notebooks.{name} must be a mapping of setting: value {example}, got {own!r}"
        for name, own in (sections or {}).items()
        if own is not None and not isinstance(own, dict)
    ]
    wrong += [  # a section must not redirect a notebook's data, month or output folder
        f"notebooks.{name}.{key} is set by the command's options, not the params file"
        for name, own in (sections or {}).items()
        if isinstance(own, dict)
        for key in own
        if key in COMMAND_PARAMETERS
    ]
    if wrong:
        raise ValueError("the params file: " + "; ".join(wrong))


def _parameters_of(pm, notebook: Path) -> dict:
    """The parameters cell of `notebook` (`papermill.inspect_notebook`); a file that is no
    readable notebook (not JSON, no cells) is bad input naming it, not a bug in smk."""
    try:
        found = pm.inspect_notebook(str(notebook))
    except Exception as exc:  # nbformat, json and papermill each raise their own
        raise ValueError(
            f"{notebook} is not a readable Jupyter notebook ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:200]})"
        ) from None
    return {**_unparsed_parameters(notebook, set(found)), **found}


def _unparsed_parameters(notebook: Path, found: set[str]) -> dict:
    """Parameters papermill's inspection skips (an annotation it cannot read, such as
    ``segments: str | int = "auto"`` in a notebook an analyst edited; the bundled notebooks
    avoid it, docs/notebooks.md), from the cell's own Python: without them a params file
    could not set them ("no notebook takes"). Their type is not checked here."""
    import ast

    cell = _parameters_cell(notebook)
    try:
        tree = ast.parse(cell.source) if cell is not None else None
    except SyntaxError:
        return {}
    out = {}
    for node in tree.body if tree is not None else []:
        target = _assigned_target(node)
        if isinstance(target, ast.Name) and target.id not in found:
            annotation = ast.unparse(node.annotation) if isinstance(node, ast.AnnAssign) else ""
            out[target.id] = {
                "name": target.id,
                "inferred_type_name": annotation or "None",
                "default": ast.unparse(node.value),
                "help": "",
            }
    return out


def _parameters_cell(notebook: Path):
    """The notebook's cell tagged `parameters` (papermill's), None when it has none."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    return _cell_tagged(nb, "parameters")


def _check_sla_settings(name: str, settings: dict, own: dict, via: dict | None = None) -> None:
    """The settings a notebook passes to `smk.sla.SLA` (its parameters named like the SLA's
    fields), checked by the SLA itself; a refusal says where the file writes the settings it
    refuses (each that the SLA refuses with the others at their defaults, else all given):
    `_where_written`, `own`: the notebook's section."""
    from smk.sla import SLA

    fields = {f.name for f in dataclasses.fields(SLA)}
    given = {k: v for k, v in settings.items() if k in fields}
    if not given:
        return
    try:
        SLA(**given)
    except (ValueError, TypeError) as exc:
        refused = [key for key in given if _refuses(SLA, {key: given[key]})] or list(given)
        where = _where_written(name, refused, own, via)
        raise ValueError(f"the params file: {where}: {exc}") from None


def _refuses(check, settings: dict) -> bool:
    """Whether `check(**settings)` refuses them (a ValueError or TypeError)."""
    try:
        check(**settings)
    except (ValueError, TypeError):
        return True
    return False


def _check_window_months(value) -> None:
    from smk.attribution import window_start

    window_start("2000-01-01", value)


def _check_markov_order(value) -> None:
    from smk.attribution.markov import MAX_ORDER
    from smk.checks import check_integer

    check_integer("markov_order", _whole_as_int(value), 1, MAX_ORDER)


def _check_n_boot(value) -> None:
    from smk.checks import check_integer

    check_integer("n_boot", _whole_as_int(value), 2)  # as attribution.bootstrap checks it


def _check_lookback_days(value) -> None:
    from smk.attribution import check_lookback_days

    check_lookback_days(value)  # as attribution.journeys checks it (None: no limit)


def _check_seed(value) -> None:
    from smk.checks import check_seed

    # notebooks 02-04 hand it to scikit-learn / numpy as a random_state; a whole float (YAML's
    # 42.0) is given to them as the int it is (`as_declared`)
    check_seed(_whole_as_int(value))


def _check_segmenter(key: str, value) -> None:
    """Notebook 02's `n_segments` / `method`, by `AccountSegmenter`'s own check of them."""
    from smk.segmentation import AccountSegmenter

    AccountSegmenter(**{key: value}).check_params()


def _check_target_spec(key: str, value) -> None:
    """Notebook 03's `target`, `within_days` / `score_after_days`, by the lead table's own
    check of them (`smk.scoring.TargetSpec`: a known target, a window of at least a day)."""
    from smk.scoring import TargetSpec

    TargetSpec(**{key: value})


#: The longest marketing-mix window, in months: 100 years, as attribution's `window_months`
#: (a million months failed inside notebook 01: a date before the year 1)
MAX_MIX_MONTHS = 1200


def _check_mix_months(value) -> None:
    from smk.checks import check_integer

    # notebook 01 passes it to scorecard.marketing_mix, whose window is `months` calendar
    # months (pd.DateOffset would take 0 or a negative number: an empty or reversed window)
    note = " (months of closed deals)"
    check_integer("mix_months", _whole_as_int(value), 1, MAX_MIX_MONTHS, note=note)


def _package_check(module: str, name: str):
    """The package's own check `module.name` of one setting, imported when a params file sets
    it (the command line starts without the analysis modules)."""

    def check(value) -> None:
        getattr(importlib.import_module(module), name)(value)

    return check


#: Notebook settings the package checks when a notebook uses them (01's marketing-mix window,
#: owner labels and exchange rates, 02's number of segments, method and features, 03's sales
#: capacity, target and its windows, model, test share and leakage, 04's conversion, window, models,
#: Markov order, bootstrap size and lookback, the seed of 02-04): setting -> the package's own
#: check (or its rule), run on a value from a params file.
_SETTING_CHECKS = {
    "capacity_per_month": _package_check("smk.scoring", "check_capacity"),
    "target": functools.partial(_check_target_spec, "target"),
    "within_days": functools.partial(_check_target_spec, "within_days"),
    "score_after_days": functools.partial(_check_target_spec, "score_after_days"),
    "window_months": _check_window_months,
    "markov_order": _check_markov_order,
    "n_boot": _check_n_boot,
    "lookback_days": _check_lookback_days,
    "seed": _check_seed,
    "n_segments": functools.partial(_check_segmenter, "n_segments"),
    "method": functools.partial(_check_segmenter, "method"),
    "mix_months": _check_mix_months,
    "owner_labels": _package_check("smk.sla", "check_owner_mode"),
    "pipelines": _package_check("smk.model", "check_pipelines"),
    "fx_rates": _package_check("smk.sla", "check_fx_rates"),
    "features": _package_check("smk.segmentation", "select_feature_groups"),
    "model": _package_check("smk.scoring.model", "check_model"),
    "test_share": _package_check("smk.scoring.features", "check_test_share"),
    "leakage": _package_check("smk.scoring.model", "check_leakage_action"),
    "conversion": _package_check("smk.attribution.journeys", "check_conversion"),
    "models": _package_check("smk.attribution.models", "check_models"),
    **{key: functools.partial(_check_file_setting, key) for key in FILE_SETTINGS},
}


def _check_known_settings(name: str, settings: dict, own: dict) -> None:
    """Settings in `_SETTING_CHECKS` checked by the package function the notebook passes them
    to, so that a value it refuses (a capacity of 0) fails here, not inside the notebook; a
    refusal says where the file writes the setting (`_where_written`, `own`: the notebook's
    section)."""
    for key, check in _SETTING_CHECKS.items():
        if key not in settings:
            continue
        try:
            check(settings[key])
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"the params file: {_where_written(name, [key], own)}: {exc}"
            ) from None
        except OverflowError as exc:  # a number too large for the check (a 401-digit one)
            shown = str(settings[key])
            shown = shown if len(shown) <= 40 else f"{shown[:20]}... ({len(shown)} characters)"
            raise ValueError(
                f"the params file: {_where_written(name, [key], own)}: {key} is too large "
                f"({exc}), got {shown}"
            ) from None


def _written_as(name: str, keys: list[str], own: dict, via: dict | None = None) -> str:
    """Settings `keys` of notebook `name` named as the params file writes them: one in the
    notebook's section `own` as `notebooks.<name>.<key>`, one another section gives it (`via`,
    `_inherited`) as written there, one at the file's top level (which every notebook taking
    it gets) as `<key>`, then `(for notebook <name>)` when any is not in `own`."""
    via = via or {}
    written = [f"notebooks.{name}.{key}" if key in own else via.get(key, key) for key in keys]
    whose = "" if all(key in own for key in keys) else f" (for notebook {name})"
    return " and ".join(written) + whose


def _where_written(name: str, keys: list[str], own: dict, via: dict | None = None) -> str:
    """Where the params file writes the settings `keys` of notebook `name`, for a refusal
    whose own text names them: the notebook's section `own` (`notebooks.<name>`) when all
    are there (or none is given), else the settings as written (`_written_as`: a top-level
    `seed` as `seed (for notebook segmentation)`)."""
    if all(key in own for key in keys):
        return f"notebooks.{name}"
    return _written_as(name, keys, own, via)


def _section(params: dict, name: str) -> dict:
    """The params file's section of notebook `name` (`notebooks: {name: {...}}`), or {}."""
    return (params.get("notebooks") or {}).get(name) or {}


def _check_rates_and_currency(name: str, given: dict, cell: dict, own: dict) -> None:
    """A notebook's `fx_rates` and `reporting_currency` together (the params file's, else the
    notebook's defaults), when the params file sets either: the rule the notebook applies
    itself (`smk.sla.check_fx_rates`), so that rates without one for the reporting currency
    are refused before any notebook runs, not published under the wrong currency's name.
    The refusal names the settings as the file writes them: `own` is the notebook's section
    (`notebooks.funnel_sla.fx_rates`), any other given setting is the file's top level
    (`reporting_currency`, for every notebook)."""
    keys = ("fx_rates", "reporting_currency")
    if not all(key in cell for key in keys) or not any(key in given for key in keys):
        return
    check = importlib.import_module("smk.sla").check_fx_rates
    try:
        check(*(_setting(given, cell, key) for key in keys))
    except (ValueError, TypeError) as exc:
        written = _written_as(name, [key for key in keys if key in given], own)
        raise ValueError(f"the params file: {written}: {exc}") from None


def check_params(notebooks: list[Path], params: dict, available: list[Path] | None = None) -> None:
    """Refuse settings no notebook takes (a typo would otherwise be silently ignored) and
    values of the wrong type for the parameter's annotation, before any notebook runs.

    `available`: every notebook of the folder, of which `notebooks` are being run: settings
    for the others (a params file made for the whole report, run with ``--notebooks``) are
    left unused, not refused. The others are read only when a setting is none of the run
    notebooks' (a half-saved draft in the folder does not stop a run that has nothing to
    explain); one that cannot be read declares nothing (a warning says so).
    """
    import papermill as pm

    _check_sections(params)
    _check_short_names([*notebooks, *(available or [])])
    cells = {notebook_name(nb): _parameters_of(pm, nb) for nb in notebooks}
    _check_contract(notebooks, cells)
    wrong = []
    for nb in notebooks:
        name = notebook_name(nb)
        given = as_declared(params_for(nb, params, set(cells[name])), cells[name])
        for key, value in given.items():
            spec = cells[name].get(key)  # unknown names are refused below
            inherited = key in _inherited(params, name) and key not in _section(params, name)
            if not spec or (inherited and _source_of(name) in cells):
                continue  # another section's setting: refused once, for its own notebook
            annotation = spec["inferred_type_name"]
            written = _written_as(name, [key], _section(params, name), _inherited(params, name))
            if _wrong_type(annotation, value):
                wrong.append(
                    f"{written} must be of type {annotation} like its "
                    f"default {spec['default']} ({spec['help']}), got {value!r}"
                    + _clock_hint(name, key, value)
                )
            elif value is None and _refuses_none(key, annotation):
                wrong.append(
                    f"{written} must be of type {annotation} like its default "
                    f"{spec['default']}, got None (null; only {', '.join(sorted(NULL_SETTINGS))} "
                    "may be null)"
                )
    if wrong:
        raise ValueError("the params file: " + "; ".join(wrong))
    # SLA values (a holiday, a share), a capacity of 0: refused here, not in a notebook; only
    # for smk's own notebooks (by name), whose settings mean what the package's checks know:
    # a user's notebook (`--notebook-dir`) may call its own setting `model` or `conversion`
    packaged = _packaged_names()
    for nb in notebooks:
        name = notebook_name(nb)
        if name not in packaged:
            continue
        given = as_declared(params_for(nb, params, set(cells[name])), cells[name])
        own = _section(params, name)
        _check_sla_settings(name, given, own, _inherited(params, name))
        _check_known_settings(name, given, own)
        _check_rates_and_currency(name, given, cells[name], own)
    declared = {name: set(cell) for name, cell in cells.items()}
    unknown = _unknown_settings(params, declared)
    others = [nb for nb in available or [] if notebook_name(nb) not in cells]
    unreadable: list[str] = []
    if unknown and others:  # perhaps settings of notebooks not being run: read those
        declared |= {notebook_name(nb): _declared_or_nothing(pm, nb, unreadable) for nb in others}
        unknown = _unknown_settings(params, declared)
    if unknown:
        why = f" ({'; '.join(unreadable)}: its settings cannot be known)" if unreadable else ""
        raise ValueError(
            f"the params file sets {', '.join(unknown)}, which no notebook takes{why}; "
            "see the notebooks' parameters cells"
        )


def _check_short_names(notebooks: list[Path]) -> None:
    """Refuse two notebooks of one short name (`01_funnel_sla`, `05_funnel_sla`): both would
    write `metrics-<name>.json` and be one page to the index and the published month, the one
    replacing the other's figures."""
    files: dict[str, list[str]] = {}
    for nb in dict.fromkeys(notebooks):
        files.setdefault(notebook_name(nb), []).append(nb.name)
    shared = [
        f"{' and '.join(names)} share the short name {name}"
        for name, names in files.items()
        if len(names) > 1
    ]
    if shared:
        raise ValueError(
            f"notebooks {'; '.join(shared)}, under which each writes its metrics and exports "
            "and is published: give one of them a name of its own (NN_<name>.ipynb, and that "
            "name in its output_folder, write_metrics and write_exports calls)"
        )


def _check_contract(notebooks: list[Path], cells: dict[str, dict]) -> None:
    """Refuse a notebook whose cell tagged `parameters` (`cells`: short name -> its parameters)
    lacks one of `SHARED_PARAMETERS`, or that has no such cell: papermill would run it on its
    own defaults (the bundled sample, another month, its own output folder) and its page be
    published as this export's."""
    wrong = []
    for nb in notebooks:
        missing = [key for key in SHARED_PARAMETERS if key not in cells[notebook_name(nb)]]
        cell = _parameters_cell(nb) if missing else None
        if missing and cell is None:
            wrong.append(f"{nb.name} has no cell tagged parameters")
            continue
        missing = [key for key in missing if key not in _assigned_names(cell.source)]
        if missing:
            wrong.append(f"{nb.name}'s parameters cell lacks {', '.join(missing)}")
    if wrong:
        raise ValueError(
            f"{'; '.join(wrong)}: a notebook the report runs declares "
            f"{', '.join(SHARED_PARAMETERS)} in a cell tagged parameters, which the report "
            "sets to the export, month and folder it publishes (docs/notebooks.md, "
            '"Adding your own notebook")'
        )


def _assigned_names(source: str) -> set[str]:
    """The names a cell's `source` assigns a value to at its top level, in any form papermill
    overrides (``a = 1``, ``a: int = 1``, ``a, b = 1, 2``, ``a = b = 1``), which papermill's
    own reading of a parameters cell leaves out in part; none for a cell that does not parse."""
    import ast

    def names(target: ast.expr) -> list[str]:
        if isinstance(target, ast.Name):
            return [target.id]
        if isinstance(target, (ast.Tuple, ast.List)):
            return [n for element in target.elts for n in names(element)]
        return []

    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError):
        return set()
    found = set()
    for node in body:
        if isinstance(node, ast.Assign):
            found.update(n for target in node.targets for n in names(target))
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            found.update(names(node.target))
    return found


def _clock_hint(name: str, key: str, value) -> str:
    """`smk.sla.yaml_clock_hint` for a time of day of smk's own notebook `name` (`workday_end:
    17:00` unquoted reaches it as 1020), `yaml_weekmask_hint` for its weekmask (`1111100`
    unquoted is a number), else ""."""
    from smk.sla import CLOCK_SETTINGS, yaml_clock_hint, yaml_weekmask_hint

    if name not in _packaged_names():
        return ""
    if key == "weekmask":
        return yaml_weekmask_hint(value)
    return yaml_clock_hint(value) if key in CLOCK_SETTINGS else ""


def _unknown_settings(params: dict, declared: dict[str, set[str]]) -> list[str]:
    """Settings of `params` that none of `declared` (notebook name -> its parameters) takes."""
    every = set().union(*declared.values()) if declared else set()
    unknown = [k for k in params if k != "notebooks" and k not in every]
    for name, own in (params.get("notebooks") or {}).items():
        if name not in declared:
            unknown.append(f"notebooks.{name}")
            continue
        unknown += [f"notebooks.{name}.{k}" for k in own or {} if k not in declared[name]]
    return unknown


def _declared_or_nothing(pm, notebook: Path, unreadable: list[str] | None = None) -> set[str]:
    """The parameters of a notebook not being run; nothing (and a warning, and the reason
    added to `unreadable` for the error that may follow) when it cannot be read (a half-saved
    draft): it is not run, so it is no reason to stop the report."""
    try:
        return set(_parameters_of(pm, notebook))
    except ValueError as exc:
        log.warning(
            "%s: it is not being run; the params file's settings are taken as none of its", exc
        )
        if unreadable is not None:
            unreadable.append(str(exc))
        return set()


# ------------------------------------------------------------------ the reports folder
#: Files that do not make a folder someone else's (placeholders smk never writes over), and
#: a README file (`_README`: README in any case, one extension or none: README.md, readme.txt).
PLACEHOLDERS = frozenset({".gitkeep", ".gitignore", ".keep", ".DS_Store"})
_README = re.compile(r"readme(?:\.[^.]+)?", re.IGNORECASE)
#: What operating systems make in a fresh volume or any folder they show (compared without
#: case, as Windows and macOS name them): a new disk's `lost+found`, macOS's `.DS_Store`,
#: `.Trashes`, `.Spotlight-V100`, `.fseventsd`, `.TemporaryItems`, Windows' `Thumbs.db`,
#: `desktop.ini`, `$RECYCLE.BIN`, `System Volume Information`: no one's files either.
SYSTEM_ENTRIES = frozenset(
    name.casefold()
    for name in (
        "lost+found",
        ".DS_Store",
        ".Trashes",
        ".Spotlight-V100",
        ".fseventsd",
        ".TemporaryItems",
        "Thumbs.db",
        "desktop.ini",
        "$RECYCLE.BIN",
        "System Volume Information",
    )
)
#: What smk writes at the top of a reports folder (besides the month folders and index.html).
_OWN_TOP = re.compile(
    r"^(?:smk-report\.log|\.failed|\.publish\.lock|\.index-[0-9a-f]+\.tmp"
    r"|\.(?:cache|staging|old)-\d{4}-\d{2}-[0-9a-f]+|\.run-\d{4}-\d{2}-[0-9a-f]+\.lock)$"
)
_MONTH_FOLDER = re.compile(r"^\d{4}-\d{2}$")
_GENERATOR = '<meta name="generator" content="smk">'
_LEFTOVER = re.compile(r"^\.(?:cache|staging|old)-(?P<id>\d{4}-\d{2}-[0-9a-f]+)$")
_INDEX_TMP = re.compile(r"^\.index-[0-9a-f]+\.tmp$")
_RUN_LOCK = re.compile(r"^\.run-(?P<id>\d{4}-\d{2}-[0-9a-f]+)\.lock$")
PUBLISH_LOCK = ".publish.lock"
#: Seconds after which a temporary folder with no run lock file at all counts as left over.
STALE_AFTER = 3600.0
#: Seconds a run waits for another one publishing into the same folder.
PUBLISH_WAIT = 600.0


def _smk_page(path: Path) -> bool:
    """An `index.html` that smk wrote (this version's generator tag, or an earlier title)."""
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        return False
    # before the generator tag: the title and the style of the reports and month indexes
    return _GENERATOR in head or ("<title>Smarketing report" in head and "ul.pages li" in head)


def _smk_month(folder: Path) -> bool:
    return (folder / MANIFEST).is_file() or _smk_page(folder / "index.html")


def _placeholder(path: Path) -> bool:
    """A placeholder (`PLACEHOLDERS`) or a README file, which smk never writes over."""
    return path.name in PLACEHOLDERS or (bool(_README.fullmatch(path.name)) and path.is_file())


def _check_utf8_name(path: str | Path, what: str) -> None:
    """Refuse (ValueError) a path whose name holds bytes that are no text in the file system's
    encoding (a Windows zip's `M\xe4rz` unpacked on a UTF-8 system; any name beyond ASCII under
    LC_ALL=C): Python holds them as surrogates, which the notebooks' parameters and files
    cannot hold, so the run would fail after its first notebook as an internal error."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raw = os.fsencode(path)
        raise ValueError(
            f"cannot use {raw!r} as {what}: its name holds bytes that are not text in the "
            f"system's encoding ({sys.getfilesystemencoding()}), which the notebooks cannot "
            "be given; rename it (or run smk in a UTF-8 locale, if the name is UTF-8)"
        ) from None


def check_out_folder(out: Path) -> None:
    """Refuse a reports folder that holds files smk does not own (ValueError).

    A folder that does not exist, is empty (bar `_placeholder`s and what the operating system
    makes, `SYSTEM_ENTRIES`: a volume's `lost+found`), has smk's `index.html`, or
    holds only what smk writes (its month folders, log, temporary folders) is fine. Anything
    else (a web site's own `index.html`, someone's documents) is refused rather than
    overwritten: the report writes `index.html` and replaces `YYYY-MM/` folders.
    """
    if not out.exists():
        return
    if not out.is_dir():
        raise ValueError(f"cannot use {out} as the reports folder: it is not a folder")
    if _MONTH_FOLDER.match(out.name) and _smk_month(out):
        raise ValueError(
            f"{out} is a published month, not a reports folder: give its parent folder"
        )
    if _smk_page(out / "index.html"):
        return
    foreign = sorted(
        p.name
        for p in out.iterdir()
        if not _placeholder(p)
        and p.name.casefold() not in SYSTEM_ENTRIES
        and not _OWN_TOP.match(p.name)
        and not (_MONTH_FOLDER.match(p.name) and p.is_dir() and _smk_month(p))
    )
    if foreign:
        shown = ", ".join(foreign[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        )
        raise ValueError(
            f"{out} is not an smk reports folder and is not empty (it holds {shown}): the "
            "report would overwrite its index.html and month folders. Choose a new or empty "
            "folder, or one that smk report already publishes into"
        )


class Terminated(SystemExit):
    """SIGTERM or SIGHUP while a report ran: its temporary folders were removed; the process
    exits with 128 + the signal number, as if the signal had ended it."""

    def __init__(self, signum: int):
        super().__init__(128 + signum)
        self.signum = signum


class _Signals:
    """SIGTERM and SIGHUP as `Terminated` while a report runs (main thread only).

    Only signals whose handler is the default (end the process without clean-up) are taken
    over; ignored ones (`nohup`) and a caller's own handlers are left alone. The previous
    handlers are restored on exit. In `deferred()` (the clean-up), a signal waits until the
    block ends, so that the clean-up is not cut short.
    """

    SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))

    def __init__(self):
        self.saved: dict[int, object] = {}
        self.pending: int | None = None
        self.raised = False
        self.deferring = 0

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                if signal.getsignal(signum) is signal.SIG_DFL:
                    self.saved[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, previous in self.saved.items():
            signal.signal(signum, previous)
        self.saved.clear()

    def _handle(self, signum, frame) -> None:
        if self.raised or self.pending is not None:
            return  # already ending: let the clean-up finish
        self.pending = signum
        _quiet_dead_kernels()
        if not self.deferring:
            self.raised = True
            raise Terminated(signum)

    @contextlib.contextmanager
    def deferred(self):
        self.deferring += 1
        try:
            yield
        finally:
            self.deferring -= 1
        if not self.deferring and self.pending is not None and not self.raised:
            self.raised = True
            raise Terminated(self.pending)


def _quiet_dead_kernels() -> None:
    """Once a signal stops the run, its kernels die with it (the signal reaches them too): a
    notebook's cell task of nbclient then holds a `DeadKernelError`, which asyncio logs as
    "Task exception was never retrieved", with its traceback, on the terminal of a run that
    stops cleanly (exit 143). Leave that one out."""
    logger = logging.getLogger("asyncio")
    if _not_a_dead_kernel not in logger.filters:
        logger.addFilter(_not_a_dead_kernel)


def _not_a_dead_kernel(record: logging.LogRecord) -> bool:
    """A log record of anything but a kernel that died (`_quiet_dead_kernels`)."""
    exc = record.exc_info[1] if record.exc_info else None
    return type(exc).__name__ != "DeadKernelError"


def _lock(fd: int) -> bool:
    """An exclusive advisory lock on `fd` (released when it is closed, or the process ends
    however it ends); False when another open file holds it."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class _RunLock:
    """`.run-<month>-<id>.lock`, held by the run that owns `.cache-/.staging-/.old-<month>-<id>`."""

    def __init__(self, out: Path, month: Month, token: str | None = None):
        """Lock a new run of `month` in `out`, its id `<month>-<token>` (`token`: 8 hex digits,
        the run's as its log lines name it; another one if that is taken)."""
        for attempt in range(10):
            self.id = f"{month}-{token if token and not attempt else uuid.uuid4().hex[:8]}"
            self.path = out / f".run-{self.id}.lock"
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            # a sweep may take a fresh lock file for a dead run's between open and lock: then
            # it is held or unlinked, and this run takes another id
            try:
                same = _lock(fd) and os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                os.write(fd, f"pid {os.getpid()}\n".encode())
                self.fd = fd
                return
            os.close(fd)
        raise ReportError(f"could not lock a run of {month} in {out}")  # pragma: no cover

    def folder(self, kind: str) -> Path:
        return self.path.with_name(f".{kind}-{self.id}")

    def release(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        os.close(self.fd)


@contextlib.contextmanager
def _publishing(out: Path, month: Month, quiet: bool = True):
    """Hold `out/.publish.lock` while a month is swapped in and the indexes rewritten; wait
    up to `PUBLISH_WAIT` seconds for another run publishing into `out`, then give up.

    The holder removes the lock file before it lets go of it, so that none stays in the
    reports folder; a run that locks a file so removed (it opened it before the removal)
    holds no lock anyone else sees, and opens the path again. As only the holder writes
    the reports index, a half-written `.index-*.tmp` found meanwhile is a killed run's: it
    goes.
    """
    path = out / PUBLISH_LOCK
    deadline = time.monotonic() + PUBLISH_WAIT
    told = False
    fd = None
    try:
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            if _lock(fd) and is_open_at(fd, path):
                break
            os.close(fd)
            fd = None
            holder = _read_holder(path)
            if time.monotonic() >= deadline:
                raise ReportError(
                    f"another report ({holder}) is being published into {out}: gave up waiting "
                    f"after {PUBLISH_WAIT:.0f} s; the published report for {month} was left "
                    "untouched. Run it again when the other one is done"
                )
            if not told:
                told = True
                log.info(
                    "%s: waiting for another report (%s) publishing into %s", month, holder, out
                )
                if not quiet:
                    print(
                        f"waiting: another report ({holder}) is being published into {out}",
                        file=sys.stderr,
                        flush=True,
                    )
            time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{month}, pid {os.getpid()}\n".encode(), 0)
        if fcntl is not None:  # held exclusively: no other run is writing an index now
            _remove([p for p in out.iterdir() if _INDEX_TMP.match(p.name)], quiet)
        yield
    finally:
        if fd is not None:
            if fcntl is not None:  # while still held: a waiting run then locks a new file
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            os.close(fd)  # closing releases the lock


def _read_holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "unknown"
    except OSError:
        return "unknown"


def sweep_leftovers(out: Path, stale_after: float | None = None, quiet: bool = True) -> list[str]:
    """Remove temporary folders of reports that no longer run; returns the names of those
    removed (one that cannot be removed is warned of, on the terminal too unless `quiet`).

    A run's `.cache-`, `.staging-` and `.old-<month>-<id>` folders belong to its
    `.run-<month>-<id>.lock`: while the run lives it holds the lock and nothing is touched;
    once nobody holds it (the run was killed) the folders and the lock file go. Folders with
    no lock file at all (left by an smk before run locks, or a sweep cut short) go once they
    are `stale_after` seconds (default `STALE_AFTER`) old, as does a half-written index. A
    parked month whose month folder is gone (a run killed between the two renames of
    `_publish`) is put back, not removed: it is the only copy.
    """
    stale_after = STALE_AFTER if stale_after is None else stale_after
    groups: dict[str, list[Path]] = {}
    locks: dict[str, Path] = {}
    stray_tmp = []  # an index a killed run was writing (no run id: judged by age)
    for p in out.iterdir():
        if _INDEX_TMP.match(p.name):
            stray_tmp.append(p)
        elif m := _LEFTOVER.match(p.name):
            groups.setdefault(m["id"], []).append(p)
        elif m := _RUN_LOCK.match(p.name):
            locks[m["id"]] = p
            groups.setdefault(m["id"], [])
    removed = _remove([p for p in stray_tmp if _age(p) >= stale_after], quiet)
    for run_id, folders in sorted(groups.items()):
        lock = locks.get(run_id)
        if lock is None:
            old = [p for p in folders if _age(p) >= stale_after]
            removed += _remove(old, quiet)
            continue
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:  # the run just ended and removed it
            continue
        try:
            if fcntl is None:  # no locks to tell: by age
                if _age(lock) < stale_after:
                    continue
            elif not _lock(fd):
                continue  # a running report
            removed += _remove(folders, quiet)
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
            removed.append(lock.name)
        finally:
            os.close(fd)
    if removed:
        log.warning("removed what killed reports left in %s: %s", out, ", ".join(removed))
    return removed


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _remove(paths: list[Path], quiet: bool = True) -> list[str]:
    """Remove leftovers; returns the names of those removed. A parked month (`.old-YYYY-MM-<id>`)
    whose month folder is gone (a run stopped between the two renames of `_publish`) is put back
    instead: it is the only copy. One that cannot be removed is left, with a warning
    (`_discard`)."""
    removed = []
    for p in paths:
        if not _restore_parked(p) and _discard(p, quiet):
            removed.append(p.name)
    return removed


def _discard(path: Path, quiet: bool = True) -> bool:
    """Delete the file or folder `path` (of a folder, all that can go); True once it is gone.
    What cannot go (a folder of another user's, or read-only) is left with a warning naming it
    and why (`_warn`, on the terminal too unless `quiet`): it is a month published before, or a
    cache with personal data, that stays in the reports folder."""
    try:
        if path.is_dir() and not path.is_symlink():
            try:
                shutil.rmtree(path)
            except OSError:
                shutil.rmtree(path, ignore_errors=True)  # the rest of it
                raise
        else:
            path.unlink(missing_ok=True)
    except OSError as exc:
        if os.path.lexists(path):
            # not the file it names: shutil.rmtree names it without its folder
            _warn(f"could not remove {path}: {exc.strerror or exc}; remove it by hand", quiet)
            return False
    return True


def _restore_parked(path: Path) -> bool:
    """Put a parked published month back when its month folder is missing; True if done."""
    if not (path.name.startswith(".old-") and path.is_dir() and not path.is_symlink()):
        return False
    month_dir = path.with_name(path.name[len(".old-") : len(".old-") + 7])
    if month_dir.exists():
        return False
    os.replace(path, month_dir)
    log.warning("restored the published month %s from %s", month_dir, path.name)
    return True


# ------------------------------------------------------------------ the run
@checked_tables
def report_blocker(crm: CRM) -> str | None:
    """Why `run_report` refuses the export `crm`, or None: it loaded no contact (its contacts
    file holds only a header, every row was set aside, or it has none). Every page but the
    account segmentation counts contacts, so the report would publish a month of "not enough
    data" pages and succeed: a silent failure for a scheduler. The text names the contacts
    file(s) and, when rows were set aside, the commonest reasons."""
    if len(crm.contacts):
        return None
    files = crm.quality.files.get("contacts") or []
    account = crm.quality.tables.get("contacts")
    if not files:
        why = "the export has no contacts table"
    elif account is None or not account.read:
        held = "holds only its header" if len(files) == 1 else "hold only their headers"
        why = f"{', '.join(files)} {held} (0 rows read)"
    else:
        rows = "the one row" if account.read == 1 else f"all {account.read:,} rows"
        were, them = ("was", "it") if account.read == 1 else ("were", "them")
        why = (
            f"{rows} read from {', '.join(files)} {were} set aside, for "
            f"{_commonest(account.reasons())} (`smk validate --set-aside DIR` lists {them})"
        )
    return (
        f"{crm.source or 'the export'}: no contact was loaded: {why}. The report needs "
        "contacts; without them its pages would only say 'not enough data'"
    )


#: smk's own notebooks that convert amounts with `fx_rates` (`_converted`): funnel_sla the
#: deals created by the month's end (`sla.deal_table`: `sla.deal_values`), segmentation the
#: deals created or closed by then (`segmentation.rfm_table`), attribution the deals won in its
#: window (created, for `conversion: opportunity`: `attribution.journeys`) and the spend of its
#: window (`spend_by_channel`); the last two by `sla.deal_amounts`, which without rates adds
#: several currencies as they are, with a warning, but refuses one other than the reporting one.
_CONVERTS = ("funnel_sla", "segmentation", "attribution")


@checked_tables
def check_currencies(crm: CRM, notebooks: list[Path], params: dict, month: Month) -> None:
    """Refuse (`Refusal`), before any notebook runs, deals or spend in a currency that the
    `fx_rates` of one of smk's own notebooks (given, or the notebook's default) cannot
    convert, among the rows that notebook converts (`_CONVERTS`): it would fail half-way with
    the same message (a scheduler's exit 3, "report failed", for what is the params file's
    gap)."""
    gap = currency_gap(crm, notebooks, params, month)
    if gap:
        message = f"{gap[0]}. No notebook was run ({gap[1]})"
        raise Refusal(message, "currency", gap[0], rows=gap[1], month=month)


@checked_tables
def currency_gap(
    crm: CRM, notebooks: list[Path], params: dict, month: Month
) -> tuple[str, str] | None:
    """The first of `notebooks` whose `fx_rates` cannot convert the rows it converts for
    `month` (`check_currencies`): the message naming where the params file writes the rates
    (`_where_written`: the notebook's section, or its top-level settings) and the
    currencies, and which rows that notebook converts; None when every notebook can."""
    import warnings

    import papermill as pm

    packaged = _packaged_names()
    for nb in notebooks:
        name = notebook_name(nb)
        cell = _parameters_of(pm, nb) if name in _CONVERTS and name in packaged else {}
        if "fx_rates" not in cell:
            continue
        given = params_for(nb, params, set(cell))
        rates, currency = (_setting(given, cell, key) for key in ("fx_rates", "reporting_currency"))
        if rates is None:
            continue  # rates the cell does not tell
        currency = currency if isinstance(currency, str) else None
        counted = crm.of_pipelines(_setting(given, cell, "pipelines"))  # its deals only
        for which, rows, convert in _converted(name, counted, given, cell, month):
            if rows.empty or "currency" not in rows:
                continue
            try:
                with warnings.catch_warnings():  # the notebook gives the warning, if any
                    warnings.simplefilter("ignore")
                    convert(rows, rates, currency)
            except TypeError:  # rates of another kind: a notebook of that name but the user's
                break
            except ValueError as exc:
                keys = [key for key in ("fx_rates", "reporting_currency") if key in given]
                where = _where_written(name, keys, _section(params, name))
                return f"{where}: {exc}", f"{name} converts {which}"
    return None


@checked_tables
def check_pipelines(crm: CRM, notebooks: list[Path], params: dict) -> None:
    """Refuse (`Refusal`), before any notebook runs, a `pipelines` setting of the params file
    that names a deal pipeline the export lacks (`CRM.of_pipelines`, whose message names the
    pipelines it has): every one of smk's notebooks given it would stop at its first cell (a
    user's notebook may mean something else by the name)."""
    import papermill as pm

    sections = [params, *(params.get("notebooks") or {}).values()]
    if not any(isinstance(section, dict) and section.get("pipelines") for section in sections):
        return  # every pipeline: nothing to check
    packaged = _packaged_names()
    for nb in notebooks:
        name = notebook_name(nb)
        cell = _parameters_of(pm, nb) if name in packaged else {}
        given = params_for(nb, params, set(cell))
        if "pipelines" not in cell or "pipelines" not in given:
            continue
        try:
            crm.of_pipelines(given["pipelines"])
        except ValueError as exc:
            where = _where_written(name, ["pipelines"], _section(params, name))
            reason = f"the params file: {where}: {exc}"
            raise Refusal(f"{reason}. No notebook was run", "pipelines", reason) from None


def _converted(name: str, crm: CRM, given: dict, cell: dict, month: Month) -> list[tuple]:
    """What smk's notebook `name` converts with its `fx_rates` for `month`: (which rows, the
    rows, the function of `smk.sla` it converts them with: `deal_values`, or `deal_amounts`,
    which adds several currencies without rates instead of refusing them)."""
    from smk.sla import deal_amounts, deal_values

    if name == "funnel_sla":
        deals = crm.deals[crm.deals["created_at"] < month.end]
        return [(f"deals created by the end of {month}", deals, deal_values)]
    if name == "segmentation":
        from smk.segmentation import deals_used

        which = f"the deals created or closed by the end of {month}"
        return [(which, deals_used(crm, month.end), deal_amounts)]
    from smk.attribution.journeys import CONVERSIONS, check_conversion, window_start
    from smk.attribution.money import spend_in

    try:
        conversion = check_conversion(_setting(given, cell, "conversion"))
        start = window_start(month.end, _setting(given, cell, "window_months"))
    except (TypeError, ValueError):  # the notebook says so itself, first
        return []
    spend = spend_in(crm.spend, start, month.end)
    spend_amounts = functools.partial(deal_amounts, what="spend")
    window = f"the spend of {start:%Y-%m} to {month}"
    source, time_col = CONVERSIONS[conversion]
    if source != "deals":
        return [(window, spend, spend_amounts)]
    deals, verb = crm.deals, "created"
    if conversion == "won":
        deals, verb = deals[deals["is_won"].fillna(False).astype(bool)], "won"
    converting = (deals[time_col] >= start) & (deals[time_col] < month.end)  # journeys' period
    which = f"the deals {verb} from {start:%Y-%m} to {month}"
    return [
        (which, deals[converting.fillna(False).to_numpy(dtype=bool)], deal_amounts),
        (window, spend, spend_amounts),
    ]


@checked_tables
def check_export(crm: CRM, chosen: list[Path], settings: dict, month: str) -> Month:
    """The month `run_report` reports for `month` (YYYY-MM or `latest`) with the notebooks
    `chosen` and the params file's `settings`, or its refusal of the export before any
    notebook runs (`Refusal`, a ValueError): no contact loaded while one of smk's notebooks
    that need contacts is chosen (`report_blocker`); a month it cannot report
    (`resolve_month`: `latest` of an export that covers no full month yet, a month outside
    the data); a deal pipeline a notebook's `pipelines` names that the export lacks
    (`check_pipelines`); deals or spend in a currency a notebook's `fx_rates` lack, among the
    deals of the pipelines it counts (`check_currencies`). `smk validate`'s `report_ready` asks the same (`default_report_blocker`)."""
    blocker = report_blocker(crm) if _need_contacts(chosen) else None
    if blocker:
        raise Refusal(f"{blocker}. No notebook was run", "contacts", blocker)
    try:
        the_month = resolve_month(crm, month, working_week(settings, chosen))
    except ValueError as exc:
        raise Refusal(str(exc), "month", str(exc)) from None
    check_pipelines(crm, chosen, settings)
    check_currencies(crm, chosen, settings, the_month)
    return the_month


def working_week(settings: dict, notebooks: list[Path] | None = None):
    """The working week whose days cover a report month (`smk.periods.working_days`: `latest`
    and partial months): an `smk.sla.SLA` of the `weekmask`, `holidays` and `timezone` the
    params file's `settings` give the funnel page (its section, else the top level), which its
    scorecard judges months by, in the team's `timezone` (the day a record falls on,
    `smk.periods.local_day`). A key the file does not give is the funnel notebook's default
    (Europe/Berlin's days, as its page judges them): the one among `notebooks` (a
    `--notebook-dir` copy), else smk's own, whichever pages run, so that refreshing one page
    with `latest` publishes into the month the whole report did. None (Monday to Friday, no
    holidays, UTC days) when neither the file nor a funnel notebook gives one."""
    from smk.sla import SLA

    keys = WEEK_KEYS
    given = {**settings, **_section(settings, "funnel_sla")}
    cell = _funnel_defaults(notebooks or [])
    week = {key: _setting(given, cell, key) for key in keys if key in given or key in cell}
    week = {key: value for key, value in week.items() if value is not None}
    return SLA(**week) if week else None


def _funnel_defaults(notebooks: list[Path]) -> dict:
    """The parameters cell (`_parameters_of`) of the funnel notebook among `notebooks`, else
    in their folder (a `--notebook-dir` run of other pages), else smk's own (none: {})."""
    import papermill as pm

    if "funnel_sla" not in _packaged_names():
        return {}
    folders = dict.fromkeys([*(nb.parent for nb in notebooks), config.NOTEBOOKS_DIR])
    around = [nb for folder in folders for nb in discover_notebooks(None, folder)]
    funnel = [nb for nb in [*notebooks, *around] if notebook_name(nb) == "funnel_sla"]
    return _parameters_of(pm, funnel[0])


@checked_tables
def default_report_blocker(crm: CRM, params: dict | None = None) -> str | None:
    """Why `smk report --month latest`, run with smk's own notebooks and their default
    parameters (or the settings `params` of a params file, `read_params`), refuses `crm`
    before any notebook runs, or None (`smk validate`'s `report_ready`): `check_export`, the
    check `run_report` makes, so that the two cannot disagree (no contact loaded, no full
    month yet, deals or spend in a currency the notebooks' `fx_rates` lack: a params file's
    rates mend that). Without smk's own notebooks folder, only the month is checked, as
    `smk report --notebook-dir` checks it for a user's notebooks."""
    folder = Path(config.NOTEBOOKS_DIR)
    chosen = discover_notebooks(None, folder) if folder.is_dir() else []
    try:
        check_export(crm, chosen, params or {}, "latest")
    except Refusal as refusal:
        return _refusal_text(refusal, params is not None)
    return None


def _refusal_text(refusal: Refusal, with_params: bool) -> str:
    """A `Refusal` of `smk report --month latest` as `smk validate` says it."""
    if refusal.kind == "contacts":
        return refusal.reason
    if refusal.kind in ("month", "pipelines"):
        return f"`smk report --month latest` refuses the export: {refusal.reason}"
    settings = "the params file's settings" if with_params else "the notebooks' default parameters"
    mend = (
        "add the rates to the params file" if with_params else "give the rates with `--params FILE`"
    )
    return (
        f"{refusal.reason}. `smk report --month {refusal.month}` with {settings} refuses the "
        f"export ({refusal.rows}); {mend}"
    )


def _setting(given: dict, cell: dict, key: str):
    """A notebook's setting: given in the params, else its parameters cell's default (None
    when that is no literal or the cell has no such parameter)."""
    import ast

    if key in given:
        return given[key]
    try:
        return ast.literal_eval(cell[key]["default"]) if key in cell else None
    except (ValueError, SyntaxError):
        return None


#: smk's own notebooks that make a full page without contacts (accounts and deals suffice)
WITHOUT_CONTACTS = frozenset({"segmentation"})


def _need_contacts(chosen: list[Path]) -> bool:
    """Whether any notebook of `chosen` needs contacts: smk's own but `WITHOUT_CONTACTS`; a
    user's notebook is left to say what it needs."""
    names = {notebook_name(nb) for nb in chosen}
    return bool(names & _packaged_names() - WITHOUT_CONTACTS)


def _packaged_names() -> set[str]:
    """The names of smk's own notebooks (`funnel_sla`, ...), whose settings and needs the
    package knows; a `--notebook-dir` notebook of another name is the user's. None when smk's
    own folder of notebooks is not there (an install without them, run with --notebook-dir)."""
    folder = config.NOTEBOOKS_DIR
    if not folder.is_dir():
        return set()
    return {notebook_name(nb) for nb in discover_notebooks(None, folder)}


def _commonest(reasons: dict[str, int], shown: int = 3) -> str:
    """The `shown` commonest reasons rows were set aside for, with their counts."""
    ranked = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    text = ", ".join(f"{reason} ({n:,})" for reason, n in ranked[:shown])
    more = len(ranked) - shown
    return text + (f" and {more} more reason{'s' * (more > 1)}" if more > 0 else "")


def run_report(
    data: str | Path,
    month: str = "latest",
    out: str | Path = config.REPORTS_DIR,
    *,
    data_format: str = "auto",
    mapping: str | Path | None = None,
    timezone: str | None = None,
    dayfirst: bool | None = None,
    schema: str | None = None,
    decimal: str | None = None,
    notebooks: list[str] | None = None,
    params: str | Path | None = None,
    quiet: bool = False,
    include_pii: bool = False,
    notebook_dir: str | Path = config.NOTEBOOKS_DIR,
) -> ReportResult:
    """Run the notebooks on one month of an export and publish `out/YYYY-MM/` atomically.

    `data_format`, `mapping`, `timezone`, `dayfirst`, `schema` and `decimal` say how to read the export,
    as for `smk.load`; the notebooks then read the validated model from a Parquet cache, and
    the published ones name the export and these options (or, for a Parquet model given as
    `data`, that model: `CRM.from_model`), so that a re-run reads what this run read. With
    `notebooks`, only those run: their pages and outputs replace theirs in the published
    month, the other notebooks' are kept, and `manifest.json` keeps each page's data source
    and run time (the index names them next to each page when the pages come from more than
    one run, and says so in its header when they come from more than one export). A previous
    month published from another export (`other_export_pages`) is warned of and not read:
    no tile compares with it, segmentation refits. Pages a run started later published meanwhile are
    kept, not replaced (`publish_month`: `ReportError` when this run has no other page).

    `out` must be new, empty or smk's (`check_out_folder`, ValueError otherwise), and the
    export must pass `check_export` (a `Refusal`, a ValueError, before any notebook runs). Once
    the run writes its own files (its lock, cache, notebooks, pages), an OSError (a full disk)
    raises `ReportError` naming the file, as a failed notebook does. SIGTERM or
    SIGHUP during the run removes its temporary folders and raises `Terminated` (a
    `SystemExit` with code 128 + the signal); each run first removes what killed runs left
    (`sweep_leftovers`). Runs publishing into the same `out` at once take turns.
    """
    out = Path(out).resolve()  # notebooks read relative paths against the project root
    for path, what in ((data, "the export"), (out, "the reports folder")):
        _check_utf8_name(path, what)
    check_out_folder(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file of that name, no permission: bad input, not a bug
        raise ValueError(f"cannot use {out} as the reports folder: {exc.strerror}") from None
    log_lines = _log_to(out / LOG_FILE)
    log_lines.run = uuid.uuid4().hex[:8]  # in each line: runs into one folder at once
    with _Signals() as signals:
        try:
            sweep_leftovers(out, quiet=quiet)
        except OSError as exc:  # never a reason to fail this run
            log.warning("could not remove what earlier reports left in %s: %s", out, exc)
        timings: dict[str, float] = {}
        start, started = time.perf_counter(), dt.datetime.now(dt.UTC)
        chosen = discover_notebooks(notebooks, Path(notebook_dir))
        if not chosen:
            raise ValueError(f"no notebooks to run in {notebook_dir}")
        settings = read_params(params)
        if not include_pii:  # a refusal of the params may quote them; the export's come later
            log_lines.names = setting_names(settings)
        check_params(chosen, settings, discover_notebooks(None, Path(notebook_dir)))
        crm = smk.load(
            data,
            format=data_format,
            mapping=mapping,
            timezone=timezone,
            dayfirst=dayfirst,
            schema=schema,
            decimal=decimal,
        )
        the_month = check_export(crm, chosen, settings, month)
        coverage = month_coverage(crm, the_month, working_week(settings, chosen))  # None: all
        if coverage:
            _warn(f"{the_month} is a partial month: {partial_month_text(coverage)}", quiet)
        hashes = contact_hashes(crm)  # which export: `other_export`
        previous_other = other_export_pages(out / str(the_month.previous), hashes)
        other_previous = (
            other_previous_text(the_month, previous_other, [notebook_name(nb) for nb in chosen])
            if previous_other
            else None
        )
        if other_previous:
            _warn(other_previous, quiet)
        timings["data load"] = time.perf_counter() - start
        log.info(  # crm.source: a database URL with its password masked
            "report %s on %s (%s), notebooks: %s",
            the_month,
            crm.source or data,
            crm.format,
            [p.name for p in chosen],
        )
        # how a re-run of a published notebook reads the data: as this run did; a Parquet
        # model (`CRM.to_parquet`) is the data itself, read as it is (the export it was made
        # from may have been read with other options, or have changed since)
        model = crm.from_model
        shown = published_path(data) if model else _shown_source(crm, data)
        rerun = {
            "data_path": shown,
            "data_format": "parquet" if model else _rerun_format(crm),
            "read_options": {}
            if model
            else reading_options(
                data,
                data_format,
                mapping=mapping,
                timezone=timezone,
                dayfirst=dayfirst,
                schema=schema,
                decimal=decimal,
            ),
        }
        published = out / str(the_month)
        try:
            run_lock = _RunLock(out, the_month, log_lines.run)
        except OSError as exc:  # a full disk: from here on, a failed report, not bad input
            raise ReportError(_unfinished(the_month, exc, out)) from None
        staging, cache = run_lock.folder("staging"), run_lock.folder("cache")
        try:
            # None: nothing removed; indexed once for the pages, notebooks and log lines
            # (and the names `teams` gives that are no owner's: `setting_names`)
            named = personal_names(crm) | setting_names(settings)
            names = as_personal_names(named) if not include_pii else None
            log_lines.names = names  # the log is published with the reports folder
            paths = {str(cache): shown, str(staging): published_path(published)}
            publication = _Publication(crm, settings, paths, rerun["data_format"], names)
            _with_absolute_source(crm).to_parquet(cache)
            # and whether the kernels run the notebooks for a publication without personal
            # data (`smk.notebooks.publish_without_pii`: charts cannot be scrubbed afterwards)
            source = {**rerun, INCLUDE_PII: include_pii}
            (cache / REPORT_SOURCE).write_text(
                json.dumps(source, indent=2) + "\n", encoding="utf-8"
            )
            with (
                _settings_folders_for_kernels(cache),
                _owner_key_for_kernels(crm, settings, quiet),
                _kernel_noise_logged(quiet),
            ):
                aliases = publication.aliases()  # with the key the kernels have
                for text in team_owner_warnings(crm, chosen, settings, aliases):
                    _warn(text, quiet)  # the log removes names; the terminal shows the key
                for text in channel_group_warnings(crm, chosen, settings):
                    _warn(text, quiet)
                kernel = ensure_kernel()
                runs = _execute_all(
                    chosen,
                    staging,
                    cache,
                    the_month,
                    settings,
                    kernel,
                    quiet,
                    functools.partial(
                        _keep_failed, out=out, month=the_month, publication=publication
                    ),
                    rerun["read_options"],
                    own_fit=other_previous_refit(the_month, previous_other),
                )
            changed = export_changed(cache)  # the pages show the export as it was loaded
            if changed is not None:
                _warn(changed, quiet)
            timings["analysis (cells)"] = sum(r.cells_seconds for r in runs)
            timings["kernel start + overhead"] = sum(r.seconds - r.cells_seconds for r in runs)
            t = time.perf_counter()
            context = _context(crm, the_month, data, model) | {
                MONTH_PARTIAL: coverage,
                PREVIOUS_OTHER_EXPORT: other_previous,
            }
            for run in runs:
                publication.notebook(staging / run.path.name, aliases)
                publication.exports(staging, run.files)
                run.html = render_html(
                    staging / run.path.name, staging / f"{run.path.stem}.html", context, names
                )
                run.files.append(run.html.name)
            page = {
                "source": context["source"],
                "data": shown,
                "generated": context["generated"],
                "smk": context["version"],
                PERSONAL_DATA: include_pii,
                RUN_STARTED: started.isoformat(timespec="seconds"),
            } | ({MONTH_PARTIAL: coverage} if coverage else {})
            page |= {EXPORT_CONTACTS: export_sample(hashes)} if hashes else {}
            final = publish_month(
                staging,
                out,
                the_month,
                runs,
                context,
                page,
                partial=bool(notebooks),
                quiet=quiet,
                signals=signals,
                names=names,
                hashes=hashes,
            )
            timings["rendering"] = time.perf_counter() - t
        except OSError as exc:  # a full disk, a folder no longer writable: not the user's input
            raise ReportError(_unfinished(the_month, exc, out)) from None
        finally:
            with signals.deferred():  # a signal now waits until the clean-up is done
                if signals.pending is not None:
                    log.warning(
                        "signal %d: stopping the report and removing its temporary folders",
                        signals.pending,
                    )
                shutil.rmtree(cache, ignore_errors=True)
                shutil.rmtree(staging, ignore_errors=True)
                _restore_parked(run_lock.folder("old"))  # if the swap was cut short
                run_lock.release()
    timings["total"] = time.perf_counter() - start
    log.info("published %s in %.1f s", final, timings["total"])
    return ReportResult(the_month, final, runs, timings)


def publish_month(
    staging: Path,
    out: Path,
    month: Month,
    runs: list[NotebookRun],
    context: dict,
    page: dict,
    *,
    partial: bool,
    quiet: bool = True,
    signals: _Signals | None = None,
    names: set[str] | None = None,
    hashes: set[str] | None = None,
) -> Path:
    """Finish the month in `staging` and swap it in as `out/YYYY-MM`, then list it in
    `out/index.html`; all under `out/.publish.lock`, so that runs publishing at once take turns.

    `page` (data source, masked `data`, `generated`, `smk` version, `RUN_STARTED`,
    `EXPORT_CONTACTS`) is what every page run now came from; with `partial`, the published
    month's other pages are kept with theirs. A published page this run would replace whose
    run started after this one is kept (an older run finishing last), with a warning, and the
    run's other pages published; `ReportError`, the month left as it is, when that leaves none. Pages published from another export than the one whose contacts
    hash to `hashes` (`other_export`) are replaced with a warning.
    """
    published = out / str(month)
    with _publishing(out, month, quiet):
        if published.exists() and not _smk_month(published):
            raise ValueError(
                f"{published} exists but is no month smk published (no manifest or smk index): "
                "smk will not replace it; move it away or choose another reports folder"
            )
        earlier = published_pages(published)
        replaced = {n for n in earlier if n in {run.name for run in runs} or not partial}
        later = _started_later({n: earlier[n] for n in replaced}, page.get(RUN_STARTED))
        if later:
            text = _overtaken_text(month, later, page[RUN_STARTED])
            if {run.name for run in runs} <= set(later):
                raise ReportError(f"{text}, so the published {month} is left as it is")
            _warn(f"{text}: those are kept, this run publishes its other pages", quiet)
            runs, partial = _without_overtaken(staging, runs, later), True
            replaced -= set(later)
        ran = {run.name for run in runs}
        if others := {n: p for n, p in earlier.items() if other_export(p, hashes or set())}:
            _warn(_replaced_text(month, others, replaced), quiet)
        writers = keep_published(published, staging, runs) if partial else _writers(runs)
        pages = _pages(staging, runs)
        earlier = earlier if partial else {}
        provenance = {
            p.name: page if p.name in ran else _home_as_tilde_in(earlier.get(p.name, {}))
            for p in pages
        }
        if names is not None:  # the manifest is published too
            provenance = {k: _publishable_strings(v, names) for k, v in provenance.items()}
        _tell_personal_data(month, provenance, names is None or quiet)
        write_metrics_json(staging, names)
        write_month_index(staging, month, pages, context, out, provenance, names)
        kept = (_recorded(published) or {}) if partial else {}
        compared = _compared_with(out, month, runs, kept, not context.get(PREVIOUS_OTHER_EXPORT))
        write_manifest(staging, writers, provenance, compared)
        with signals.deferred() if signals else contextlib.nullcontext():
            final = _publish(staging, published, quiet)  # never cut between its two renames
            _forget_failed(out, month, runs)
            try:
                stale = out_of_date(out)
                write_reports_index(out, stale)  # nor before the month is listed
            except OSError as exc:
                raise ReportError(
                    f"{final} was published, but the reports index could not be updated: "
                    f"{_os_problem(exc, out)}. Run the report again to list the month"
                ) from None
        for text in stale.values():  # months that compared with what has changed since
            _warn(text, quiet)
    return final


#: The key of a page's provenance (the manifest's `pages`) that says whether it was published
#: with personal data (``--include-pii``); a page published before smk recorded it has none.
PERSONAL_DATA = "personal_data"


def _tell_personal_data(month: Month, provenance: dict[str, dict], quiet: bool) -> None:
    """Log which pages of the month were published with personal data (`PERSONAL_DATA`), and
    say so on the terminal too unless `quiet` (a run without ``--include-pii`` that keeps
    such pages of an earlier run: they stay as they were published)."""
    held = [name for name, origin in provenance.items() if origin.get(PERSONAL_DATA) is True]
    if held:
        text = f"pages of {month} published with personal data (--include-pii): {', '.join(held)}"
        _warn(text, quiet)


def partial_month_text(coverage: str) -> str:
    """What the report says of a month the export covers only in part (`coverage`, from
    `smk.periods.month_coverage`): on the terminal and in the log ("2026-11 is a partial
    month: ...") and atop the month's index."""
    return (
        f"{coverage}; its figures count only what the export holds of the month, so its tiles "
        "are neither judged against targets nor compared with the previous month (--month "
        "latest names the last month the export covers in full)"
    )


def _warn(text: str, quiet: bool) -> None:
    """Log a warning, and say it on the terminal too (``smk: warning: ...``) unless `quiet`."""
    log.warning("%s", text)
    if not quiet:
        print(f"smk: warning: {text}", file=sys.stderr, flush=True)


def _forget_failed(out: Path, month: Month, runs: list[NotebookRun]) -> None:
    """Remove what `_keep_failed` kept of `runs`' notebooks for `month` from an earlier failed
    run (``.failed/<month>/<notebook>``; the folders too once empty), now that they have been
    published: a copy kept after the notebook started in this run (a run at the same time
    that failed) stays. A file that cannot be removed is left, with a warning."""
    folder = out / ".failed" / str(month)
    for run in runs:
        kept = folder / run.path.name
        try:
            if kept.is_file() and (run.started is None or kept.stat().st_mtime < run.started):
                kept.unlink()
                log.info("removed %s: %s was published", kept.relative_to(out), run.path.name)
        except OSError as exc:
            log.warning("could not remove %s: %s", kept, _os_problem(exc))
    for empty in (folder, folder.parent):
        with contextlib.suppress(OSError):  # not empty, or not there
            empty.rmdir()


def _shown_source(crm: CRM, data) -> str:
    """The export as the published report names it: a local path made absolute with the home
    folder as `~` (`published_path`), a database URL with its password masked."""
    source = str(crm.source or data)
    if "://" in source:
        from smk.io.sql import absolute_file_url, mask_url

        # a database file at home: sqlite:///~/crm.db
        return home_as_tilde(mask_url(absolute_file_url(source)))
    return published_path(source)


def published_path(path: str | Path) -> str:
    """A local path as published reports name it: absolute, with the user's home folder as
    `~` (``~/exports/hubspot``), so that an operator's name in ``/home/<name>`` is not
    published. `smk.load` (and the notebooks' `data_path`) read such a path again."""
    return home_as_tilde(str(Path(os.path.expanduser(str(path))).resolve()))


def _home_patterns() -> list[tuple[str, re.Pattern]]:
    """(the home folder as text may hold it, its pattern) for `home_as_tilde`: as written and
    resolved, raw and HTML-escaped, longest first. None when the home folder cannot be told or
    is a root (``HOME=/``: every path would be under it)."""
    try:
        home = Path.home()
        homes = {str(home), str(home.resolve())}
    except (RuntimeError, KeyError, OSError):  # no HOME and no user entry
        return []
    homes = {h for h in homes if Path(h) != Path(Path(h).anchor)}
    forms = {f for h in homes for f in (h, html.escape(h), html.escape(h, quote=False))}
    # where a path starts (not inside another; after a file URL's `:///`, as in
    # `sqlite:////home/jane/crm.db`), and where it ends or goes on under the home folder
    return [
        (form, re.compile(rf"(?:(?<=:///)|(?<![\w.~/\\-])){re.escape(form)}{_HOME_ENDS}"))
        for form in sorted(forms, key=len, reverse=True)
    ]


def home_as_tilde(text: str, patterns: list | None = None) -> str:
    """`text` with every path that starts at the user's home folder written from `~`:
    ``see /home/jane/exports/x`` -> ``see ~/exports/x``. A longer name (``/home/janet``,
    ``/home/jane (copy)/x``: `_HOME_ENDS`) or a home inside another path (``/mnt/home/jane``)
    is left alone; terminal colour codes (a traceback's) part paths. `patterns`: those of
    `_home_patterns` (worked out once for many texts)."""
    for form, pattern in _home_patterns() if patterns is None else patterns:
        if form in text:
            text = _outside_colours(text, functools.partial(pattern.sub, "~"))
    return text


def _texts_changed(value, change, key: str = ""):
    """A notebook's JSON (or a manifest's page: `value`) with `change` applied to every text
    in it (dicts' values, not their keys), bar embedded images (base64, no paths)."""
    if isinstance(value, str):
        return value if key.startswith("image/") else change(value)
    if isinstance(value, list):
        return [_texts_changed(v, change, key) for v in value]
    if isinstance(value, dict):
        return {k: _texts_changed(v, change, str(k)) for k, v in value.items()}
    return value


def _home_as_tilde_in(value):
    """`value` (a notebook's JSON, a manifest's page) with `home_as_tilde` applied to every
    text in it, bar embedded images (`_texts_changed`)."""
    return _texts_changed(value, functools.partial(home_as_tilde, patterns=_home_patterns()))


def record_published_paths(
    executed: Path, paths: dict[str, str], data_format: str | None = None
) -> None:
    """Name the export and the published folder in an executed notebook, not the run's
    temporary cache and staging folders (deleted after the run): in papermill's parameters
    and any output that shows them, as written or HTML-escaped (`paths`: temporary -> shown).
    Any path under the user's home folder is then written from `~` (`home_as_tilde`), and the
    injected parameters cell is written anew from the parameters so changed (as papermill
    writes it: `_write_injected_parameters`), which holds any path as papermill escapes it
    (``"Berichte \\xdcbersicht"``, ``\\"``), not as the text it replaces.

    `data_format` (the export's format, e.g. "hubspot") replaces the cache's `parquet` in the
    parameters, so that an analyst can re-run the published notebook on the export itself
    (the reading options, such as `--timezone`, are its `read_options` parameter already).
    """
    import nbformat

    escapes = (str, html.escape, functools.partial(html.escape, quote=False))
    forms = [(f(old), f(new)) for old, new in paths.items() for f in escapes]

    def shown(text: str) -> str:
        for old, new in forms:
            text = text.replace(old, new)
        return text

    book = nbformat.read(executed, as_version=4)  # a cell's source as one text
    nb = nbformat.from_dict(_home_as_tilde_in(_texts_changed(book, shown)))
    values = nb.metadata.get("papermill", {}).get("parameters")
    if isinstance(values, dict):
        if data_format is not None and values.get("data_format") == "parquet":
            values["data_format"] = data_format
        _write_injected_parameters(nb, values)
    nbformat.write(nb, executed)


def carry_parameters(executed: Path) -> None:
    """Make the values an executed notebook ran with (papermill's parameters) the defaults of
    its `parameters` cell (`with_defaults`).

    papermill replaces an earlier injected-parameters cell when it runs a notebook again: a
    published notebook re-run with ``-p month 2026-09`` would otherwise fall back to the
    parameters cell's defaults (the bundled sample) for `data_path` and every other setting
    not given again, and silently report on other data.
    """
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    values = nb.metadata.get("papermill", {}).get("parameters") or {}
    cell = _cell_tagged(nb, "parameters")
    if cell is None or not values:
        return
    if _as_python(cell.source) is None:
        log.warning(
            "%s: its parameters cell is not Python smk can read: the values it ran with are "
            "appended to the cell, which stays as it was above them",
            executed.name,
        )
    cell.source = with_defaults(cell.source, values)
    nbformat.write(nb, executed)


#: Parameters keyed by owner that a notebook maps to the owners' pseudonyms when it shows them
#: (notebook 01: ``teams={aliases.get(owner, owner): team ...}``, so that a key given as a
#: pseudonym names that pseudonym's owner): `scrub_notebook` writes their owners' names as
#: pseudonyms, and a re-run of the published notebook still puts each owner in their team.
OWNER_KEYED_PARAMETERS = frozenset({"teams"})

#: The tag of the note `scrub_notebook` adds to a published notebook (not shown in its page).
NAMES_NOTE_TAG = "smk-names-removed"


#: Parameters whose values are paths or URLs: the export (`data_path`, a database URL's
#: ``user@host`` is no e-mail address), the output folder, files a notebook reads and the
#: mapping file in `read_options`. `scrub_notebook` removes names from them but keeps what
#: reads as an e-mail address, so that they still work; any other parameter loses both.
PATH_PARAMETERS = frozenset({"data_path", "output_dir", READ_OPTIONS_PARAMETER, *FILE_SETTINGS})


def scrub_notebook(executed: Path, names: set[str], aliases: dict[str, str] | None = None) -> None:
    """Keep the personal names in `names` out of an executed notebook before it is published,
    as `scrub_pii` keeps them out of its HTML page, and keep it re-runnable.

    Text outputs (streams, HTML and plain text, SVG, errors) and markdown lose e-mail
    addresses and names as the page does; images (base64) stay whole; code cells lose them in
    their comments and string literals (`_scrubbed_code`), which stay valid Python. Parameter
    values (papermill's parameters, hence its injected cell and, by `carry_parameters`, the
    parameters cell, and the parameters cell's own values: `_scrub_parameters_cell`) lose
    names and e-mail addresses, bar the addresses in the paths and URLs of
    `PATH_PARAMETERS`, which must still work. In an `OWNER_KEYED_PARAMETERS` value, an
    owner's name or address with a pseudonym in `aliases` (the owners' pseudonyms, when the
    notebook showed them: `_shown_pseudonyms`) becomes that pseudonym, which a re-run maps to
    the same owner with the same owner key; any other becomes `NAME_REMOVED` or
    `EMAIL_REMOVED` (numbered where two keys would become one: `_map_strings`), and a note
    after the parameters says which parameters must be given again to re-run the notebook as
    it ran.
    """
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    papermill = nb.metadata.get("papermill", {})
    values = papermill.get("parameters") or {}
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    code = [c for c in nb.cells if c.cell_type == "code" and not _tagged(c, "injected-parameters")]
    texts = [*_strings(values), *_strings(outputs), *(c.source for c in markdown + code)]
    pattern = _names_pattern(names, "\n".join(texts))  # None: no name, e-mails still go
    scrubbed, removed, renamed = _published_values(values, pattern, aliases or {})
    own_removed, own_renamed = _scrub_parameters_cell(nb, set(values), pattern, aliases or {})
    for output in outputs:
        _scrub_output(output, pattern)
    for cell in markdown:
        cell.source = _scrubbed(cell.source, pattern)
    for cell in code:
        cell.source = _scrubbed_code(cell.source, pattern)
    if scrubbed != values:
        papermill["parameters"] = scrubbed
        _write_injected_parameters(nb, scrubbed)
    if removed or renamed or own_removed or own_renamed:
        _add_names_note(nb, removed + own_removed, renamed + own_renamed)
    nbformat.write(nb, executed)


def _tagged(cell, tag: str) -> bool:
    return tag in cell.metadata.get("tags", [])


def _cell_tagged(nb, tag: str):
    """The first cell of `nb` tagged `tag` (papermill's `parameters`, `injected-parameters`),
    None when none is."""
    return next((c for c in nb.cells if _tagged(c, tag)), None)


def _scrub_parameters_cell(
    nb, given: set[str], pattern: re.Pattern | None, aliases: dict[str, str]
) -> tuple[list[str], list[str]]:
    """The parameters cell's own literal values, those papermill did not give (`given`, which
    `carry_parameters` writes there), published as papermill's are (`_published_values`:
    owners of `teams` as their pseudonyms), written in place (`with_defaults`); the parameters
    that lost a name or address, and those whose owners became pseudonyms."""
    cell = _cell_tagged(nb, "parameters")
    if cell is None or cell.cell_type != "code":
        return [], []
    own = {k: v for k, v in _literal_values(cell.source).items() if k not in given}
    scrubbed, removed, renamed = _published_values(own, pattern, aliases)
    changed = {k: v for k, v in scrubbed.items() if v != own[k]}
    if changed:
        cell.source = with_defaults(cell.source, changed)
    return removed, renamed


def _assigned_target(node) -> object | None:
    """The target of a statement that assigns one target a value (``a = 1``, ``a: int = 1``),
    None for any other statement (``a: int``, ``a = b = 1``, a call)."""
    import ast

    if isinstance(node, ast.AnnAssign) and node.value is not None:
        return node.target
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        return node.targets[0]
    return None


def _literal_values(source: str) -> dict:
    """The names a cell's `source` assigns a literal value to, as statements of their own
    (``a = 1``, ``a: dict = {...}``), and their values (the last, for a name assigned twice)."""
    import ast

    python = _as_python(source)
    found = {}
    for node in ast.parse(python).body if python is not None else []:
        target = _assigned_target(node)
        if isinstance(target, ast.Name):
            with contextlib.suppress(ValueError, TypeError, SyntaxError, MemoryError):
                found[target.id] = ast.literal_eval(node.value)
    return found


def _scrubbed_code(source: str, pattern: re.Pattern | None) -> str:
    """A code cell's `source` without e-mail addresses and the names of `pattern` in its
    comments and string literals (`_scrubbed`, as its outputs lose them), its code left as it
    is: a name that is also a word of the code ("Path") stays, and the cell still runs. A line
    of IPython's syntax (``!echo ...``) is scrubbed whole, and so is a cell that is not even
    that (it could not have run)."""

    python = _as_python(source)
    if python is None:
        return _scrubbed(source, pattern)
    lines = io.StringIO(source, newline="").readlines()
    read = io.StringIO(python, newline="").readlines()
    pairs = enumerate(zip(lines, read, strict=False))  # as many lines (`_as_python`)
    magic = {i for i, (line, as_read) in pairs if line.rstrip("\r\n") != as_read.rstrip("\r\n")}
    for i in magic:
        lines[i] = _scrubbed(lines[i], pattern)
    spans = [
        (start, end, text)
        for start, end, text in _literal_spans(python, read)
        if not magic & set(range(start[0] - 1, end[0]))
    ]
    for (first, col), (last, end), text in reversed(spans):  # the last first: columns hold
        new = _scrubbed(text, pattern)
        if new != text:
            literal = _still_literal(new) if text[0] != "#" else new
            lines[first - 1 : last] = [lines[first - 1][:col] + literal + lines[last - 1][end:]]
    return "".join(lines)


def _literal_spans(python: str, lines: list[str]) -> list[tuple[tuple, tuple, str]]:
    """The comments and string literals of `python` (its `lines`): (start, end, text) of each,
    an f-string whole, the expressions in its braces too, as Python 3.11's tokenizer gives it
    (3.12's gives its parts as tokens of their own, PEP 701: their text went unscrubbed)."""
    import tokenize

    spans, opened = [], []  # the starts of the f-strings open at this token
    for t in tokenize.generate_tokens(io.StringIO(python, newline="").readline):
        kind = tokenize.tok_name[t.type]
        if kind == "FSTRING_START":
            opened.append(t.start)
        elif kind == "FSTRING_END":
            start = opened.pop()
            if not opened:  # an f-string in another's braces goes with the outer one
                spans.append((start, t.end, _source_between(lines, start, t.end)))
        elif not opened and t.type in (tokenize.COMMENT, tokenize.STRING):
            spans.append((t.start, t.end, t.string))
    return spans


def _source_between(lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> str:
    """The text of `lines` from `start` to `end` (tokenize's 1-based row, 0-based column)."""
    (first, col), (last, stop) = start, end
    if first == last:
        return lines[first - 1][col:stop]
    return lines[first - 1][col:] + "".join(lines[first : last - 1]) + lines[last - 1][:stop]


def _still_literal(text: str) -> str:
    """A scrubbed string literal `text` as it is when it is still one, else `NAME_REMOVED` as
    a literal of its own (the scrub never takes a quote, but a name may be written across
    one: ``f"{Doe}"``)."""
    import ast

    try:
        ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        return repr(NAME_REMOVED)
    return text


def _published_values(
    values: dict, pattern: re.Pattern | None, aliases: dict[str, str]
) -> tuple[dict, list[str], list[str]]:
    """Parameter values without names and e-mail addresses (`scrub_notebook`), the parameters
    that lost one to `NAME_REMOVED` or `EMAIL_REMOVED` and those whose owners became
    pseudonyms."""
    out, removed, renamed = {}, [], []
    for key, value in values.items():
        change = _named_only(
            functools.partial(
                _without_names if key in PATH_PARAMETERS else _scrubbed, pattern=pattern
            )
        )
        if key in OWNER_KEYED_PARAMETERS and isinstance(value, dict):
            keyed = {_owner_key(k, change, aliases): v for k, v in value.items()}
            if keyed != value:
                renamed.append(key)
            value = keyed
        out[key] = _map_strings(value, change)
        if out[key] != value:
            removed.append(key)
    return out, removed, renamed


def _named_only(change):
    """`change` of a parameter's text where it removes a name or an e-mail address; the text
    as given where it would only drop invisible characters (a zero-width space in an owner
    key: the published notebook would run without that owner in their team, and the note would
    say a name was removed; papermill writes such characters escaped, `\u200b`, in any case)."""

    def apply(text: str) -> str:
        changed = change(text)
        return text if changed == without_invisible(text) else changed

    return apply


def _owner_key(key, change, aliases: dict[str, str]):
    """An owner key as published: its pseudonym when `change` would change it (it holds a
    name or an e-mail address) and it has one."""
    if isinstance(key, str) and key in aliases and change(key) != key:
        return aliases[key]
    return key


def _scrub_output(output: dict, pattern: re.Pattern | None) -> None:
    """Remove e-mail addresses and names from one output's text, as `scrub_pii` does."""

    def scrub(text: str) -> str:
        return _scrubbed(text, pattern)

    for key in ("text", "ename", "evalue", "traceback"):
        if key in output:
            output[key] = _map_strings(output[key], scrub)
    data = output.get("data") or {}
    for mime in list(data):
        binary = mime.startswith(("image/", "audio/", "video/")) and not mime.endswith("+xml")
        if not binary and mime != "application/pdf":  # base64 stays whole
            data[mime] = _map_strings(data[mime], scrub)


def _strings(node) -> list[str]:
    """Every string in `node` (dicts' keys too)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(node, (list, tuple)):
        return [s for item in node for s in _strings(item)]
    return []


def _map_strings(node, change):
    """`node` with `change` applied to each string in it (dicts' keys too: `_changed_keys`)."""
    if isinstance(node, str):
        return change(node)
    if isinstance(node, dict):
        return _changed_keys(node, change)
    if isinstance(node, (list, tuple)):
        return [_map_strings(item, change) for item in node]
    return node


def _changed_keys(value: dict, change) -> dict:
    """`value` with `change` applied to its keys and values (`_map_strings`). Where two keys
    would become one (three owners' names as one `[name removed]`: three owners' teams would
    read as one owner's), each key `change` changed is numbered instead: `[name removed 1]`,
    `[e-mail removed 2]`."""
    keys = [_map_strings(k, change) for k in value]
    if len(set(keys)) == len(keys):
        return {new: _map_strings(v, change) for new, v in zip(keys, value.values(), strict=True)}
    out: dict = {}
    numbered = 0
    for (old, v), new in zip(value.items(), keys, strict=True):
        if new != old or new in out:
            numbered += 1
            mark = (
                NAME_REMOVED if NAME_REMOVED in new or EMAIL_REMOVED not in new else EMAIL_REMOVED
            )
            new = f"{mark[:-1]} {numbered}]"
        out[new] = _map_strings(v, change)
    return out


def stable_cell_id(*parts) -> str:
    """A cell id made from `parts` (the notebook, what the cell holds): the same on every run
    alike, where nbformat and papermill give a cell they add a random one."""
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def name_injected_cell(executed: Path) -> None:
    """Give papermill's injected-parameters cell of `executed` an id made from the notebook's
    name and the parameters it ran with, as published (`stable_cell_id`), in place of
    papermill's random one: two runs alike publish the same notebook and page."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    cell = _cell_tagged(nb, "injected-parameters")
    if cell is None:
        return
    values = nb.metadata.get("papermill", {}).get("parameters") or {}
    cell.id = stable_cell_id(executed.name, values)
    nbformat.write(nb, executed)


def _write_injected_parameters(nb, values: dict) -> None:
    """papermill's injected-parameters cell of `nb` written anew from `values`, as papermill
    writes it, in the order the cell had (the notebook's metadata has them sorted by name)."""
    from papermill.translators import translate_parameters

    cell = _cell_tagged(nb, "injected-parameters")
    if cell is None:
        return
    kernel = nb.metadata.get("kernelspec", {})
    language = kernel.get("language") or nb.metadata.get("language_info", {}).get("name")
    first = {name: i for i, name in enumerate(re.findall(r"^(\w+) = ", cell.source, re.M))}
    values = dict(sorted(values.items(), key=lambda item: first.get(item[0], len(first))))
    cell.source = translate_parameters(kernel.get("name"), language, values, "Parameters")


def _add_names_note(nb, removed: list[str], renamed: list[str]) -> None:
    """A note after the parameters on what `scrub_notebook` changed in them (hidden from the
    page: `_hidden_in_report`)."""
    import nbformat

    lines = []
    if renamed:
        lines.append(
            f"> **Owners by pseudonym.** {_listed(renamed)} named owners by personal names; "
            "this copy names them by their pseudonyms, as its tables do. A re-run maps them "
            "to the same owners with the same owner key (`SMK_OWNER_KEY` or smk's key file)."
        )
    if removed:
        lines.append(
            f"> **Personal names and e-mail addresses removed.** {_listed(removed)} held "
            f"personal names or e-mail addresses, shown here as `{NAME_REMOVED}` or "
            f"`{EMAIL_REMOVED}`: give {'it' if len(removed) == 1 else 'them'} again to "
            "re-run this notebook as it ran (papermill's `-y`, e.g. "
            f"`-y '{removed[0]}: ...'`); else the re-run uses the values shown."
        )
    tags = {"tags": [NAMES_NOTE_TAG, "hide-in-report"]}
    note = nbformat.v4.new_markdown_cell("\n>\n".join(lines), metadata=tags)
    note.id = stable_cell_id(NAMES_NOTE_TAG, note.source)
    tagged = ("injected-parameters", "parameters")
    after = max(
        (i for i, c in enumerate(nb.cells) if set(tagged) & set(c.metadata.get("tags", []))),
        default=-1,
    )
    nb.cells.insert(after + 1, note)


def _listed(parameters: list[str]) -> str:
    return ", ".join(f"`{p}`" for p in parameters)


def _owner_pseudonyms(crm: CRM, settings: dict) -> dict[str, str]:
    """Owner value -> pseudonym (`smk.sla.owner_aliases`) when a notebook may show pseudonyms
    (`_may_show_pseudonyms`), else {}: called where the kernels' owner key is set."""
    from smk.sla import owner_aliases

    return owner_aliases(crm, "pseudonyms") if _may_show_pseudonyms(crm, settings) else {}


@checked_tables
def team_owner_warnings(
    crm: CRM, chosen: list[Path], settings: dict, aliases: dict[str, str]
) -> list[str]:
    """Warnings (`run_report` says each once) for the `teams` (owner -> team) of smk's own
    notebooks in `chosen`, given by the params file `settings`, with keys that name no owner
    of the export: a typo in an owner id would put nobody in that team, and the owner meant
    silently in 'other'. Each names the setting as the file writes it (`_written_as`), up to
    three such keys and how many. A key names an owner when it is an owner value of the
    export or, for a notebook that shows owners by pseudonym (its `owner_labels`), one of
    their pseudonyms `aliases` (`_owner_pseudonyms`). No warning for an export without owners."""
    import papermill as pm

    from smk.sla import OWNER_MODES, owner_values, uses_pseudonyms

    owners, packaged, found = set(owner_values(crm)), _packaged_names(), {}
    for nb in chosen if owners else []:
        name = notebook_name(nb)
        cell = _parameters_of(pm, nb) if name in packaged else {}
        given = params_for(nb, settings, set(cell))
        if "teams" not in cell or not isinstance(given.get("teams"), dict):
            continue
        mode = _setting(given, cell, "owner_labels") or "auto"
        pseudonyms = mode in OWNER_MODES and uses_pseudonyms(crm, mode)
        known = owners | set(aliases.values()) if pseudonyms else owners
        unknown = [key for key in given["teams"] if key not in known]
        if unknown:
            where = _written_as(name, ["teams"], _section(settings, name))
            found[_unknown_owners_text(where, unknown, len(given["teams"]))] = None
    return list(found)


@checked_tables
def team_warnings_before_report(crm: CRM, settings: dict) -> list[str]:
    """`team_owner_warnings` for every notebook, as `smk report` would give them with the
    params file `settings`, for `smk validate --params`: owners' pseudonyms are those of the
    key the report would use (`_owner_pseudonyms`) when one is kept (`smk.pii.key_kept`).
    None is made here, nor its warnings given (the report gives them): a report would make a
    new one, whose pseudonyms no params file can name yet, so without it the keys are judged
    against the owners' values alone."""
    import warnings

    from smk.pii import key_kept

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        aliases = _owner_pseudonyms(crm, settings) if key_kept() else {}
    return team_owner_warnings(crm, discover_notebooks(), settings, aliases)


@checked_tables
def channel_group_warnings(crm: CRM, chosen: list[Path], settings: dict) -> list[str]:
    """Warnings (`run_report` says each once, before the notebooks run) for the
    `channel_groups` file of smk's own notebooks in `chosen`, given by the params file
    `settings`, with entries that name no channel of the export's touchpoints
    (`smk.attribution.journeys.match_channel_groups`), in the words notebook 04 warns of
    them on its page: a label written otherwise than smk names the channel forms no group.
    No warning for an export without touchpoints."""
    import papermill as pm

    from smk.attribution.journeys import (
        check_channel_groups,
        match_channel_groups,
        unmatched_groups_text,
    )

    channels = sorted(crm.touchpoints["channel"].dropna().astype(str).unique())
    packaged, found = _packaged_names(), {}
    for nb in chosen if channels else []:
        name = notebook_name(nb)
        cell = _parameters_of(pm, nb) if name in packaged else {}
        value = params_for(nb, settings, set(cell)).get("channel_groups")
        if "channel_groups" not in cell or not value:
            continue
        groups = check_channel_groups(value)  # read and checked before the load
        unmatched = match_channel_groups(groups, channels)[1]
        if unmatched:
            where = _written_as(name, ["channel_groups"], _section(settings, name))
            found[unmatched_groups_text(where, unmatched, len(groups), channels)] = None
    return list(found)


def _unknown_owners_text(where: str, unknown: list[str], total: int, few: int = 3) -> str:
    """`team_owner_warnings`' text for the owner keys `unknown` of the setting `where`."""
    effect = "no owner is put in a team by {them} (owners not listed count as 'other'); check the owner ids"
    return unmatched_text(
        where, unknown, total, ("key", "keys"), "owner in the export", effect, few
    )


def _shown_pseudonyms(executed: Path, crm: CRM, aliases: dict[str, str]) -> dict[str, str]:
    """`aliases` if the executed notebook showed owners by pseudonym (its `owner_labels`, as
    given or as its parameters cell has it, replaces them: `smk.sla.uses_pseudonyms`), else
    {}: a notebook without `owner_labels`, or one it cannot tell, shows owners as they are."""
    import ast

    import papermill as pm

    from smk.sla import uses_pseudonyms

    cell = _parameters_of(pm, executed) if aliases else {}
    if "owner_labels" not in cell:
        return {}
    book = json.loads(executed.read_text(encoding="utf-8"))
    given = book["metadata"].get("papermill", {}).get("parameters") or {}
    try:
        mode = given.get("owner_labels", ast.literal_eval(cell["owner_labels"]["default"]))
    except (ValueError, TypeError, SyntaxError):
        return {}
    valid = mode is None or mode in ("auto", "ids", "pseudonyms")
    return aliases if valid and uses_pseudonyms(crm, mode or "auto") else {}


@dataclass(frozen=True)
class _Publication:
    """What `run_report` publishes executed notebooks with, and a failed one is kept with."""

    crm: CRM
    settings: dict  # the notebooks' (`read_params`)
    paths: dict[str, str]  # temporary folder -> as published (`record_published_paths`)
    data_format: str  # the export's, for a re-run
    names: set[str] | None  # personal names to remove (`scrub_notebook`); None: keep all

    def aliases(self) -> dict[str, str]:
        """The owners' pseudonyms (`_owner_pseudonyms`): called with the kernels' owner key."""
        return _owner_pseudonyms(self.crm, self.settings)

    def notebook(self, executed: Path, aliases: dict[str, str]) -> None:
        """Make `executed` fit to publish: its paths as published, from `~`; without e-mail
        addresses and `names` (unless None); the values it ran with as its defaults."""
        record_published_paths(executed, self.paths, self.data_format)
        if self.names is not None:
            scrub_notebook(executed, self.names, _shown_pseudonyms(executed, self.crm, aliases))
        carry_parameters(executed)
        name_injected_cell(executed)

    def exports(self, folder: Path, files: list[str]) -> None:
        """Make the text files a notebook wrote into `folder` (`files`) fit to publish: without
        e-mail addresses and `names` (`scrub_file`; unless `names` is None). Its executed
        notebook and page are made so by `notebook` and `render_html`."""
        if self.names is None:
            return
        for name in files:
            if Path(name).suffix != ".ipynb":
                scrub_file(folder / name, self.names)


#: The line above the assignments `with_defaults` appends to a parameters cell.
CARRIED_NOTE = "# the values this notebook ran with (smk report)"


def with_defaults(source: str, values: dict) -> str:
    """A parameters cell's `source` with the values in `values` (papermill's parameters) as
    its own: run, it leaves every name as the cell followed by papermill's injected cell did.

    A name the cell assigns exactly once, to a literal value, as a statement of its own
    (``a = 1``, ``a: int = 1  # note``), and reads nowhere, gets its value in place (written
    as papermill writes parameters): the annotation and the comments of that line stay;
    comments inside a value written over several lines go with the value they described; a
    value equal to the one written is left as written. Any other name (one the cell does not
    assign, or assigns more than once, by ``a += 1``, in a loop or a branch, by unpacking, to
    a computed value, or reads, as in ``b = a * 2``) is assigned at the end of the cell, after
    `CARRIED_NOTE`, where nothing after it changes it, and the cell's own lines stay as they
    are (so that ``b`` is what it was in the run the values come from).

    IPython's syntax (``%matplotlib inline``, ``!pip ...``) is read as IPython reads it. A
    cell that is not even that (it could not have run) has every value appended: it stays
    broken as it was, and `carry_parameters` says so in the log.
    """
    import ast

    from papermill.translators import PythonTranslator

    def written(value) -> str:
        return PythonTranslator.translate(value)

    python = _as_python(source)
    tree = ast.parse(python) if python is not None else ast.Module(body=[], type_ignores=[])
    uses: collections.Counter = collections.Counter()  # name -> times the cell binds or reads it
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            uses[node.id] += 1
        elif isinstance(node, ast.AnnAssign) and node.value is None:
            uses[getattr(node.target, "id", None)] -= 1  # `a: int` neither binds nor reads
    # lines as Python counts them (not at a form feed, as str.splitlines would)
    lines = io.StringIO(source, newline="").readlines()
    read = [line.rstrip("\r\n") for line in io.StringIO(python or "", newline="")]
    spans = {}  # name -> the value's (first line, first column, last line, end column)
    for node in tree.body:
        target = _assigned_target(node)
        if target is None:
            continue
        name, value = getattr(target, "id", None), node.value
        first, last = node.lineno - 1, node.end_lineno - 1
        as_read = [line.rstrip("\r\n") for line in lines[first : last + 1]]
        if as_read != read[first : last + 1]:
            continue  # a line of IPython's syntax (`a = !ls`) stays as written
        if name not in values or uses[name] != 1:
            continue  # assigned again, or read: the cell's own lines must see its own value
        try:
            default = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue  # `Path.home() / "x"`: not a value to write over, it may do more
        spans[name] = (
            value.lineno - 1,
            value.col_offset,
            value.end_lineno - 1,
            value.end_col_offset,
        )
        if written(default) == written(values[name]):
            spans[name] = None  # the value it ran with is the one written
    # from the last to the first, so that earlier spans stay where they are; ast's columns
    # count UTF-8 bytes
    replaced = sorted(((v, k) for k, v in spans.items() if v is not None), reverse=True)
    for (first, col, last, end), name in replaced:
        head = lines[first].encode()[:col].decode()
        tail = lines[last].encode()[end:].decode()
        lines[first : last + 1] = [head + written(values[name]) + tail]
    text = "".join(lines)
    appended = [name for name in values if name not in spans]
    if appended:
        text = text.rstrip("\r\n") + "\n" if text.strip() else ""
        text += CARRIED_NOTE + "\n"
        text += "".join(f"{n} = {written(values[n])}\n" for n in appended)
    return text.rstrip("\r\n")


def _as_python(source: str) -> str | None:
    """`source` as Python with its lines where they are: as written, or with IPython's syntax
    (magics, shell escapes) turned into Python line for line; None when it is neither."""
    import ast

    try:
        ast.parse(source)
        return source
    except SyntaxError:
        pass
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        python = TransformerManager().transform_cell(source)
        ast.parse(python)
    except Exception:  # no IPython, or not IPython's syntax either
        return None
    same = len(python.splitlines()) == len(source.splitlines())
    return python if same else None


def reading_options(
    data: str | Path,
    data_format: str = "auto",
    *,
    mapping: str | Path | None = None,
    timezone: str | None = None,
    dayfirst: bool | None = None,
    schema: str | None = None,
    decimal: str | None = None,
) -> dict:
    """The options `smk.load` read the export with, as a notebook's `read_options` (those
    given; a mapping file as an absolute path from `~` when in the home folder
    (`published_path`), also one given as the format or as the data, or named as a mapping
    smk ships, `smk.io.resolve_mapping`)."""
    local = "://" not in str(data)
    # a mapping smk ships, named by its name (`pipedrive`), as its file: a re-run reads that
    data_format, mapping = importlib.import_module("smk.io").resolve_mapping(data_format, mapping)
    if mapping is None and str(data_format).lower().endswith((".yaml", ".yml")):
        mapping = data_format
    if mapping is None and local and Path(data).suffix.lower() in {".yaml", ".yml"}:
        mapping = data  # the mapping file names its data folder: the export is that folder
    options = {
        "mapping": published_path(mapping) if mapping is not None else None,
        "timezone": timezone,
        "dayfirst": dayfirst,
        "decimal": decimal,
        "schema": schema,
    }
    return {k: v for k, v in options.items() if v is not None}


def _rerun_format(crm: CRM) -> str:
    """The format to re-read the export with: its own when smk names it, else detected."""
    return crm.format if crm.format in ("hubspot", "salesforce", "canonical", "sql") else "auto"


def _with_absolute_source(crm: CRM) -> CRM:
    """`crm` with a local export's path made absolute for the cache: the notebooks run in
    another folder, and the truth lookup follows the cache's source (`truth_shares`)."""
    source = str(crm.source or "")
    if not source or "://" in source:
        return crm
    return replace(crm, source=str(Path(source).resolve()))


def _may_show_pseudonyms(crm: CRM, settings: dict) -> bool:
    """Whether a notebook may replace owners by pseudonyms (`smk.sla.uses_pseudonyms` for the
    `owner_labels` the params file gives, or its default "auto")."""
    from smk.sla import uses_pseudonyms

    given = [settings.get("owner_labels")]  # the default of every notebook without its own
    given += [
        own["owner_labels"]
        for own in (settings.get("notebooks") or {}).values()
        if isinstance(own, dict) and "owner_labels" in own
    ]
    # a bad value (a list, a mapping) is refused by the notebook's own checks, not here
    valid = {v or "auto" for v in given if v is None or isinstance(v, str)}
    valid &= {"auto", "ids", "pseudonyms"}
    return any(uses_pseudonyms(crm, mode) for mode in valid)


@contextlib.contextmanager
def _owner_key_for_kernels(crm: CRM, settings: dict, quiet: bool = True):
    """While the notebooks run, `SMK_OWNER_KEY` holds the key for owners' pseudonyms
    (`smk.pii.pseudonym_key`), resolved here, in the report's process, when a notebook may use
    it: its warnings (a key file just made, one other users can read, no key to be had) go to
    the report's log (and the terminal unless `quiet`), not into the published pages with the
    operator's home folder; every kernel (which inherits this process's environment) uses the
    same key. The environment is put back afterwards: `run_report` is a library call too."""
    import warnings

    from smk.pii import KEY_VARIABLE, pseudonym_key

    # white space alone is no key (`pseudonym_key` strips it): a secret holding a line break
    given = (os.environ.get(KEY_VARIABLE) or "").strip()
    if given or not _may_show_pseudonyms(crm, settings):
        yield
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        key = pseudonym_key()
    for warning in caught:
        log.warning("owner pseudonyms: %s", warning.message)
        if not quiet:
            print(f"smk: warning: {warning.message}", file=sys.stderr, flush=True)
    with _environment({KEY_VARIABLE: key.decode("utf-8")}):
        yield


@contextlib.contextmanager
def _environment(changes: dict[str, str]):
    """`os.environ` with `changes` while in the block (the kernels started in it inherit
    them), put back as it was afterwards: `run_report` is a library call too."""
    before = {name: os.environ.get(name) for name in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _settings_folders_for_kernels(fallback: Path):
    """While the notebooks run, matplotlib and IPython (in the kernels, and in this process,
    which looks up the kernel) keep their settings and caches in folders they can write to,
    where theirs cannot be written (a read-only home folder, an arbitrary user id without
    one: a container): matplotlib would otherwise warn in each page's first chart cell,
    naming a random temporary folder (the pages of two runs would differ), and IPython on the
    terminal. Such folders are made in `_own_folder` (`MPLCONFIGDIR`, `IPYTHONDIR`); folders
    that can be written, given or the libraries' own, are left alone."""
    names = {"MPLCONFIGDIR": "matplotlib", "IPYTHONDIR": "ipython"}
    wanted = [name for name, usable in _settings_folders_usable().items() if not usable]
    if not wanted:
        yield
        return
    base = _own_folder(fallback)
    changes = {name: str(base / names[name]) for name in wanted}
    for folder in changes.values():
        Path(folder).mkdir(mode=0o700, exist_ok=True)
    log.info("the kernels' settings folders cannot be written; using %s", changes)
    with _environment(changes):
        yield


def _settings_folders_usable() -> dict[str, bool]:
    """Whether matplotlib's and IPython's folders for settings and caches can be written (or
    made, as the library would make them: matplotlib with its parents), by the variable that
    names them."""
    plots, shell = _matplotlib_folders(), _ipython_folder()
    return {
        "MPLCONFIGDIR": bool(plots) and all(_writable_folder(p, parents=True) for p in plots),
        "IPYTHONDIR": shell is not None and _writable_folder(shell, parents=False),
    }


def _home() -> Path | None:
    """The user's home folder, None when it cannot be told."""
    try:
        return Path.home()
    except (RuntimeError, KeyError):  # no HOME and no user entry
        return None


def _matplotlib_folders() -> list[Path]:
    """matplotlib's settings and cache folders, as `matplotlib.get_configdir` and
    `get_cachedir` find them ([] when there is no home folder to find them in)."""
    given, home = os.environ.get("MPLCONFIGDIR"), _home()
    if given or home is None:
        return [Path(given)] if given else []
    if sys.platform.startswith(("linux", "freebsd")):
        xdg = [("XDG_CONFIG_HOME", ".config"), ("XDG_CACHE_HOME", ".cache")]
        return [Path(os.environ.get(name) or home / base, "matplotlib") for name, base in xdg]
    if sys.platform == "win32":
        return [Path(os.environ.get("LOCALAPPDATA") or home, "matplotlib")]
    return [home / ".matplotlib"]  # macOS


def _ipython_folder() -> Path | None:
    """IPython's folder, as `IPython.paths.get_ipython_dir` finds it (None: no home folder)."""
    given, home = os.environ.get("IPYTHONDIR"), _home()
    if given or home is None:
        return Path(given).expanduser() if given else None
    return home / ".ipython"


def _writable_folder(folder: Path, parents: bool) -> bool:
    """Whether `folder` is a folder this process can write to, made if need be (with its
    `parents`, or only where its parent is there)."""
    try:
        folder.mkdir(parents=parents, exist_ok=True)
    except OSError:
        return False
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def _own_folder(fallback: Path) -> Path:
    """A folder for the kernels' settings that only this user can write to: ``smk-<uid>`` in
    the system's temporary folder, kept from run to run (matplotlib's font cache is made
    once), or else `fallback` (the run's own temporary folder)."""
    try:
        folder = Path(tempfile.gettempdir()) / f"smk-{os.getuid()}"
        folder.mkdir(mode=0o700, exist_ok=True)
        status = folder.lstat()  # one another user made, or a link to elsewhere, is not used
        mine = stat.S_ISDIR(status.st_mode) and status.st_uid == os.getuid()
        if mine and not status.st_mode & 0o077:
            return folder
    except (OSError, AttributeError):  # no temporary folder to write to; no user ids (Windows)
        pass
    return fallback


def _execute_all(
    chosen,
    staging,
    cache,
    month,
    settings,
    kernel,
    quiet,
    keep_failed,
    read_options=None,
    own_fit: str | None = None,
) -> list[NotebookRun]:
    staging.mkdir(parents=True)
    runs = []
    import papermill as pm

    for number, nb in enumerate(chosen, 1):
        cell = _parameters_of(pm, nb)
        declared = set(cell)
        parameters = {
            "data_path": str(cache),
            "data_format": "parquet",
            "month": str(month),
            "output_dir": str(staging),
            **as_declared(params_for(nb, settings, declared), cell),
        }
        own = READS_PREVIOUS.get(notebook_name(nb), (None, None))[1]
        if own_fit and own in declared:  # the previous month came from another export
            parameters[own] = True
            if REFIT_REASON_PARAMETER in declared:  # and the page says so
                parameters[REFIT_REASON_PARAMETER] = own_fit
        if READ_OPTIONS_PARAMETER in declared:  # the cache is read as it is; a re-run needs them
            parameters[READ_OPTIONS_PARAMETER] = dict(read_options or {})
        elif read_options:
            log.warning(
                "%s has no %s parameter: a re-run of its published copy reads the export "
                "without %s",
                nb.name,
                READ_OPTIONS_PARAMETER,
                ", ".join(f"{k}={v!r}" for k, v in read_options.items()),
            )
        if not quiet:
            print(f"[{number}/{len(chosen)}] {nb.name}", file=sys.stderr, flush=True)
        before = _stamps(staging)
        reads = _previous_reads(nb, parameters, staging.parent / str(month.previous))
        run = _execute_one(nb, staging / nb.name, parameters, kernel, quiet, keep_failed, month)
        after = _stamps(staging)
        run.files = [name for name, stamp in after.items() if before.get(name) != stamp]
        run.read_previous = reads
        problem = _output_problem(run, runs, set(after))
        if problem is not None:
            raise ReportError(
                f"notebook {nb.name} {problem}. The published report for {month} was left "
                "untouched."
            )
        runs.append(run)
    return runs


def _output_problem(run: NotebookRun, earlier: list[NotebookRun], now: set[str]) -> str | None:
    """What is wrong with what notebook `run` left in the month's folder (`now`: the files it
    holds), None when nothing: it replaced or removed a file a notebook run before it wrote,
    wrote another metrics file than its own, or metrics the index cannot read
    (`outputs.read_metrics_file`). Each would publish one page's figures over another's, or
    fail the index after every notebook ran."""
    own = f"metrics-{run.name}.json"
    rule = (
        f"a notebook writes only files of its own, under its own short name ({run.name}: "
        f'`notebooks.output_folder(output_dir, "{run.name}")`, '
        f'`outputs.write_metrics(out, "{run.name}", ...)`)'
    )
    for other in earlier:
        for name in other.files:
            if name in run.files or name not in now:
                done = "replaced" if name in now else "removed"
                return f"{done} {name}, which {other.path.name} wrote in this run: {rule}"
    for name in run.files:
        if name.startswith("metrics-") and name.endswith(".json") and name != own:
            return f"wrote {name}, not its own {own}: {rule}"
    if own in run.files:
        try:
            read_metrics_file(run.path.parent / own)
        except ValueError as exc:
            return f"wrote metrics the report cannot read: {exc}"
    return None


def _execute_one(nb, target, parameters, kernel, quiet, keep_failed, month) -> NotebookRun:
    """Run one notebook into `target`; a `NoDataError` gives a short page, any other error
    keeps the failed notebook (`keep_failed(target)`: `_keep_failed`, which says where) and
    raises `ReportError`."""
    import papermill as pm

    t, started = time.perf_counter(), time.time()
    try:
        _execute_with_kernel_retries(nb, target, parameters, kernel, quiet)
    except pm.PapermillExecutionError as exc:
        # nothing to show this month: a short page, not a failed report
        if exc.ename == "NoDataError":
            run = _no_data_run(nb, target, month, exc.evalue, time.perf_counter() - t)
            run.started = started
            log.warning("%s: not enough data for %s: %s", nb.name, month, exc.evalue)
            if not quiet:
                print(f"  not enough data: {exc.evalue}", file=sys.stderr, flush=True)
            return run
        try:
            kept = f"The failed notebook is kept at {keep_failed(target)}"
        except OSError as error:  # a full disk: the notebook's error is still the news
            kept = f"The failed notebook could not be kept ({_os_problem(error)})"
        raise ReportError(
            f"notebook {nb.name} failed in "
            f"{_cell_label(nb, exc.source, exc.traceback, exc.exec_count)}: "
            f"{exc.ename}: {str(exc.evalue).rstrip('.')}. {kept}; "
            f"the published report for {month} was left untouched."
        ) from None
    except RuntimeError as exc:  # the kernel would not start, or died (memory?) in a cell
        if not (_kernel_failed(exc) or type(exc).__name__ == "DeadKernelError"):
            raise
        raise ReportError(
            f"notebook {nb.name}: the Python kernel {exc} (a busy or short-of-memory machine "
            f"is the usual cause; run the report again). The published report for {month} "
            "was left untouched."
        ) from None
    run = NotebookRun(notebook_name(nb), target, time.perf_counter() - t, _cells_seconds(target))
    run.started = started
    log.info("ran %s in %.1f s", nb.name, run.seconds)
    return run


def join_adjacent_streams(path: Path) -> None:
    """The notebook at `path` with each run of stream outputs that follow one another on one
    stream (stdout, stderr) joined into one output, and a line a carriage return or a
    backspace rewrote shown as it was left (a progress counter's last state, as a terminal
    shows it). The kernel sends what a cell writes when its timer fires, so one run may
    publish a print's text and its line break as two outputs and the next as one: joined, two
    runs alike publish alike. Only neighbours are joined, so text, tables and charts keep the
    order the cell made them in (nbclient's `coalesce_streams` gathers all of a cell's stdout
    into its first output, which put every heading a cell prints above all the tables it shows
    between them); smk's own warnings keep their place among a cell's prints
    (`smk.notebooks.show_plain_warnings` flushes both streams)."""
    import nbformat

    book = nbformat.read(path, as_version=4)
    changed = False
    for cell in book.cells:
        joined: list = []
        for output in cell.get("outputs", []):
            last = joined[-1] if joined else None
            if _same_stream(last, output):
                last["text"] += output["text"]
                changed = True
            else:
                joined.append(output)
        for output in joined:
            if output.get("output_type") == "stream":
                shown = _as_terminal_shows(output["text"])
                changed |= shown != output["text"]
                output["text"] = shown
        if "outputs" in cell:
            cell["outputs"] = joined
    if changed:  # written beside it, then put in its place: never a notebook half written
        partial = path.with_name(f".{path.name}.joining")
        nbformat.write(book, partial)
        os.replace(partial, path)


def _same_stream(last, output) -> bool:
    return (
        last is not None
        and last.get("output_type") == output.get("output_type") == "stream"
        and last.get("name") == output.get("name")
    )


#: a character a backspace takes back; a line's text up to a carriage return that is not the
#: end of the line (the text written after it replaces it; a lone "\r" at the end stays)
_BACKSPACED = re.compile(r"[^\n]\x08")
_RETURNED = re.compile(r"[^\n]*\r(?=[^\n])")


def _as_terminal_shows(text: str) -> str:
    """A stream's text as a terminal leaves it: backspaces take back the character before
    them, a carriage return lets the rest of its line replace what came before it."""
    while True:
        shorter = _BACKSPACED.sub("", text)
        if shorter == text:
            break
        text = shorter
    return _RETURNED.sub("", text)


def _join_streams_of_failed(target: Path) -> None:
    """`join_adjacent_streams` of the notebook a failed run left (a page cut short by
    "not enough data" publishes its cells; a failed one is kept to read): never in the way of
    the failure's own report."""
    if not target.is_file():
        return
    try:
        join_adjacent_streams(target)
    except Exception as exc:  # a notebook papermill left half written: said, not raised
        log.info("%s: its stream outputs were left as written (%s)", target.name, exc)


#: jupyter_client's errors for a kernel that did not come up (a port race between kernels
#: started at once, a machine too busy to answer in time): worth another try
_KERNEL_START_FAILURES = ("Kernel died before replying to kernel_info", "Kernel didn't respond")
KERNEL_START_TRIES = 3


def _kernel_failed(exc: BaseException) -> bool:
    return isinstance(exc, RuntimeError) and str(exc).startswith(_KERNEL_START_FAILURES)


def _execute_with_kernel_retries(nb: Path, target: Path, parameters, kernel, quiet) -> None:
    """papermill's run of one notebook; a kernel that fails to start (before any cell ran) is
    started again, up to `KERNEL_START_TRIES` times, with a note in the log."""
    import papermill as pm

    for attempt in range(1, KERNEL_START_TRIES + 1):
        try:
            pm.execute_notebook(
                str(nb),
                str(target),
                parameters=parameters,
                kernel_name=kernel,
                cwd=str(nb.parent),
                progress_bar=not quiet,
                log_output=False,
                request_save_on_cell_execute=False,
                kernel_manager_class=kernel_manager_class(),
                extra_arguments=report_kernel_arguments(parameters.get("data_path")),
            )
        except Exception as exc:
            if _kernel_failed(exc) and attempt < KERNEL_START_TRIES:
                log.warning("%s: the kernel did not start (%s); try %d", nb.name, exc, attempt + 1)
                continue
            _join_streams_of_failed(target)
            raise
        join_adjacent_streams(target)
        return


# ------------------------------------------------------------------ what a month compared with
#: The manifest's record of what the month's run read of the previous month's published folder
#: (`compared_with`: that month and file -> `fingerprint`, None for a file that was not there).
COMPARED_WITH = "compared_with"
#: The previous month's file the index's tiles compare with.
PREVIOUS_METRICS = "metrics.json"
#: The previous month's file a notebook reads, unless the setting named is true: segmentation
#: assigns the accounts to last month's saved model (`smk.segmentation.MODEL_FILE`).
READS_PREVIOUS = {"segmentation": ("segmentation-model.joblib", "refit")}
#: The parameter in which a notebook of `READS_PREVIOUS` that declares it is told why the run
#: set its setting (`other_previous_refit`), for its page to say.
REFIT_REASON_PARAMETER = "refit_reason"
#: How the reports index and the log name such files.
_READ_AS = {PREVIOUS_METRICS: "key figures", "segmentation-model.joblib": "segmentation model"}


def fingerprint(path: Path) -> str | None:
    """`sha256:<hex>` of a file's bytes, None when there is no such file."""
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"


def _previous_reads(nb: Path, parameters: dict, previous: Path) -> dict[str, str | None]:
    """What notebook `nb`, run with `parameters`, reads of the previous month's folder
    `previous` (`READS_PREVIOUS`), fingerprinted before it runs: a month published meanwhile
    then reads as changed, never as the one it read."""
    read = READS_PREVIOUS.get(notebook_name(nb))
    if read is None or parameters.get(read[1]) is True:
        return {}
    return {read[0]: fingerprint(previous / read[0])}


def _compared_with(
    out: Path, month: Month, runs: list[NotebookRun], kept: dict, tiles: bool = True
) -> dict[str, str | dict]:
    """The month's `compared_with` record: the previous month's `metrics.json` (read now for
    the tiles, unless not `tiles`: that month came from another export) and what the
    notebooks run now read of it; a kept page's reads come from the published manifest's
    record `kept` (a run of some notebooks)."""
    previous = out / str(month.previous) / PREVIOUS_METRICS
    files = {PREVIOUS_METRICS: fingerprint(previous)} if tiles else {}
    ran = {run.name for run in runs}
    for name, (file, _) in READS_PREVIOUS.items():
        if name not in ran and file in kept.get("files", {}):
            files[file] = kept["files"][file]
    for run in runs:
        files.update(run.read_previous)
    return {"month": str(month.previous), "files": files}


def _recorded(month_dir: Path) -> dict | None:
    """A published month's `compared_with` record, None when it has none (published before smk
    recorded it) or it is not one."""
    record = _manifest(month_dir).get(COMPARED_WITH)
    if not isinstance(record, dict) or not isinstance(record.get("files"), dict):
        return None
    return record if _MONTH_FOLDER.match(str(record.get("month"))) else None


def out_of_date(out: Path) -> dict[str, str]:
    """Published month -> why it is out of date: the previous month's files it compared with
    (`compared_with`) have changed since (re-published, backfilled or removed), so that its
    tiles (and segments) disagree with what the archive shows now. Only notes it: re-running
    the month refreshes it."""
    stale = {}
    for folder in sorted(p for p in out.iterdir() if _MONTH_FOLDER.match(p.name) and p.is_dir()):
        record = _recorded(folder)
        if record is None:
            continue
        before = out / record["month"]
        try:
            changed = {
                file: was
                for file, was in record["files"].items()
                if fingerprint(before / Path(str(file)).name) != was
            }
        except OSError as exc:  # an unreadable file: this run is no worse for it
            log.warning("could not tell whether %s is out of date: %s", folder.name, exc)
            continue
        if changed:
            stale[folder.name] = _stale_text(folder.name, record["month"], changed, before)
    return stale


def _stale_text(month: str, previous: str, changed: dict, before: Path) -> str:
    """Why `month` is out of date, and what to do: '2026-10 compared with an earlier run of
    2026-09 (key figures): re-run `smk report --month 2026-10` to refresh it'."""
    what = " and ".join(_READ_AS.get(file, file) for file in changed)
    if all(was is None for was in changed.values()):
        how = f"was published before {previous} ({what})"
    elif not before.is_dir():
        how = f"compared with {previous}, which is no longer published ({what})"
    else:
        how = f"compared with an earlier run of {previous} ({what})"
    return (
        f"{month} {how}: re-run `smk report --month {month}` (with the --data and --params it "
        "was published with) to refresh it"
    )


def _stamps(folder: Path) -> dict[str, tuple[int, int]]:
    """File name -> (modification time, size), to tell which files a notebook wrote."""
    return {
        p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir() if p.is_file()
    }


def _no_data_run(nb: Path, executed: Path, month: Month, message: str, seconds: float):
    """Publish a notebook stopped by `NoDataError` as a short page, with its metrics saying so.

    The page keeps the sections computed before the stop, then says what data is missing in
    place of the rest; papermill's error markers and the traceback are dropped. The report
    index lists the page as lacking data, and the month is still published.
    """
    import nbformat
    from papermill.execute import ERROR_MARKER_TAG

    book = nbformat.read(executed, as_version=4)
    cells = [c for c in book.cells if ERROR_MARKER_TAG not in c.metadata.get("tags", [])]
    failed = next(
        i
        for i, c in enumerate(cells)
        if any(o.get("output_type") == "error" for o in c.get("outputs", []))
    )
    note = nbformat.v4.new_markdown_cell(_no_data_note(month, message))
    note.id = stable_cell_id(nb.name, note.source)
    title = notebook_title(cells, nb.stem)
    book.cells = cells[:failed] + [note]
    nbformat.write(book, executed)
    metrics = {"title": title, "month": str(month), "no_data": message, "kpis": []}
    write_metrics(executed.parent, notebook_name(nb), metrics)
    return NotebookRun(
        notebook_name(nb), executed, seconds, _cells_seconds(executed), no_data=message
    )


def _no_data_note(month: Month, message: str) -> str:
    """The note ending a page stopped by `NoDataError` (`_no_data_run`): a Markdown cell's
    source that is one HTML block, so that `message`, which names what the export holds (its
    folder, files, values), is shown as plain text, never read as Markdown (a link
    `[x](javascript:...)`, a bare URL, emphasis): escaped, what it quotes in backticks shown as
    code (`_code`), its lines joined by `<br>`, as no line of the block may be blank (that
    would end it). Its quotes stay as written, so that
    an address or a name in it is still found by the notebook's scrub (`scrub_notebook`)."""
    text = "<br>\n".join(_code(message, quote=False).splitlines())
    return (
        f"<blockquote><p><strong>Not enough data for {month}.</strong> {text}</p>\n"
        "<p>The sections above are the ones that could be computed this month.</p></blockquote>"
    )


def _is_title(cell) -> bool:
    return cell.cell_type == "markdown" and cell.source.startswith("# ")


def notebook_title(cells: list, fallback: str) -> str:
    """A notebook's title: the text of its first ``# `` heading (its H1), else `fallback`."""
    heading = next((c.source.lstrip("# ").strip() for c in cells if _is_title(c)), "")
    return heading.splitlines()[0] if heading else fallback


def page_title(notebook: Path) -> str:
    """The title of an executed notebook's page (`notebook_title`), for the month's index;
    its file's stem when it has no H1 or cannot be read."""
    import nbformat

    try:
        book = nbformat.read(notebook, as_version=4)
    except Exception:  # noqa: BLE001 - no notebook nbformat reads (jsonschema's errors too)
        return notebook.stem
    return notebook_title(book.cells, notebook.stem)


def _cells_seconds(executed: Path) -> float:
    """Seconds the kernel spent in cells, from papermill's per-cell metadata."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    return float(sum(c.metadata.get("papermill", {}).get("duration") or 0 for c in nb.cells))


#: Where IPython's traceback places a frame of a cell's code: "Cell In[3], line 12" (colour
#: codes removed), the cell's run number and the line of its source
_CELL_FRAME = re.compile(r"^\s*Cell In\[(\d+)\], line (\d+)")


def _cell_label(
    notebook: Path, source: str, traceback: list[str] | None = None, run: int | None = None
) -> str:
    """'cell 4, line 2 (`the line`)': the failing cell's position in the notebook as the
    analyst sees it, and the line of it that failed: the first frame of `traceback` (the
    kernel's, IPython's text) in the cell's own run `run` names it. Without one (another
    kernel's traceback), the cell's first line, as 'cell 4 (`first line`)'."""
    import nbformat

    lines = source.splitlines()
    number = _failed_line(traceback, run, len(lines))
    shown = lines[number - 1] if number else next((ln for ln in lines if ln.strip()), "")
    cells = nbformat.read(notebook, as_version=4).cells
    position = next((i for i, c in enumerate(cells, 1) if c.source == source), None)
    where = f"cell {position}" if position else "a cell"
    return f"{where}{f', line {number}' if number else ''} (`{shown.strip()[:80]}`)"


def _failed_line(traceback: list[str] | None, run: int | None, count: int) -> int | None:
    """The line (1 to `count`) of the cell run as number `run` that `traceback` says failed:
    its first frame of that run's code ("Cell In[3], line 12"), or None."""
    for entry in traceback or []:
        frame = _CELL_FRAME.match(_ANSI.sub("", entry))
        if frame and run is not None and int(frame[1]) == run:
            number = int(frame[2])
            return number if 1 <= number <= count else None
    return None


def _keep_failed(executed: Path, out: Path, month: Month, publication: _Publication) -> Path:
    """Keep a failed notebook in `out/.failed/<month>/` for debugging, made fit to publish as
    the published ones are (`_Publication.notebook`: the reports folder is published); its
    errors keep their names, messages and line numbers. Called with the kernels' owner key."""
    folder = out / ".failed" / str(month)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / executed.name
    if executed.exists():
        publication.notebook(executed, publication.aliases())
        shutil.copy2(executed, target)
    return target


def _unfinished(month: Month, exc: OSError, out: Path) -> str:
    """The `ReportError` message of a run into `out` that an OSError stopped before it
    published anything (`_os_problem`)."""
    return (
        f"the report for {month} could not be finished: {_os_problem(exc, out)}. "
        f"The published report for {month} was left untouched."
    )


def _os_problem(exc: OSError, folder: Path | None = None) -> str:
    """What an OSError says and the file (or files) it names: "No space left on device:
    /srv/reports/.staging-2026-10-1a2b/01_funnel_sla.html"; without one, `folder`, the
    folder being written."""
    what = str(exc.strerror or exc)
    named = [str(f) for f in (exc.filename, exc.filename2) if f is not None]
    if named:
        return f"{what}: {' -> '.join(named)}"
    return f"{what} while writing into {folder}" if folder else what


def _publish(staging: Path, final: Path, quiet: bool = True) -> Path:
    """Swap the finished month into place; the old one is removed only after the swap.

    The old month is parked as `.old-<month>-<id>` with the id of the run (the staging
    folder's), so that a sweep knows whose it is; if the swap fails, it is put back. An old
    month that cannot be removed is left, with a warning (`_discard`); later runs' sweeps
    try again.
    """
    old = None
    if final.exists():
        tag = staging.name.removeprefix(".staging-").removeprefix(f"{final.name}-")
        if tag == staging.name:
            tag = uuid.uuid4().hex[:8]
        old = final.with_name(f".old-{final.name}-{tag}")
        os.replace(final, old)
    try:
        os.replace(staging, final)
    except BaseException:
        if old is not None and not final.exists():
            os.replace(old, final)
        raise
    if old is not None:
        _discard(old, quiet)
    return final


# ------------------------------------------------------------------ re-running some notebooks
def _writers(runs: list[NotebookRun]) -> dict[str, str | None]:
    """File -> the notebook that wrote it, for the notebooks run now."""
    return {name: run.name for run in runs for name in run.files}


def published_writers(month_dir: Path) -> dict[str, str | None]:
    """File -> the notebook that wrote it (None: not known), for a published month.

    From its `manifest.json`; a month published without one is read by file names: each
    notebook's executed copy, page and metrics are its own, other files are not known.
    """
    manifest = month_dir / MANIFEST
    if manifest.is_file():
        return json.loads(manifest.read_text(encoding="utf-8"))["files"]
    return {p.name: _named_writer(p.name) for p in month_dir.iterdir() if p.is_file()}


def _named_writer(filename: str) -> str | None:
    """The notebook a file name belongs to: `00_x.ipynb`, `00_x.html`, `metrics-x.json` -> x."""
    if filename.startswith("metrics-") and filename.endswith(".json"):
        return filename.removeprefix("metrics-").removesuffix(".json")
    if re.fullmatch(r"\d\d_.+\.(ipynb|html)", filename):
        return notebook_name(Path(filename))
    return None


def keep_published(
    month_dir: Path, staging: Path, runs: list[NotebookRun]
) -> dict[str, str | None]:
    """Copy into `staging` what the published month holds of notebooks not run now.

    A file stays unless the report rebuilds it, or a notebook run now wrote it this time or
    last time (an output it no longer writes goes too). A file the manifest does not list (a
    stray file) goes; one it lists with no known writer (a month published before manifests:
    an export not named after its notebook) stays, as nothing says which notebook owns it.
    Returns file -> writer for the whole month. Only copies: the published month is untouched
    until `_publish` swaps the finished one in.
    """
    writers = _writers(runs)
    if not month_dir.is_dir():
        return writers
    rerun = {run.name for run in runs}
    for name, writer in published_writers(month_dir).items():
        source = month_dir / name
        replaced = name in REPORT_FILES or name in writers or writer in rerun
        if replaced or Path(name).name != name or not source.is_file():
            continue  # rebuilt now, or not a file of the month's folder
        shutil.copy2(source, staging / name)
        writers[name] = writer
    return writers


def _pages(folder: Path, runs: list[NotebookRun]) -> list[NotebookRun]:
    """Every notebook page of the month in reading order: those run now and those kept."""
    ran = {run.path.name: run for run in runs}
    metrics = read_metrics(folder)
    return [
        ran.get(p.name)
        or NotebookRun(
            notebook_name(p), p, no_data=metrics.get(notebook_name(p), {}).get("no_data")
        )
        for p in sorted(folder.glob(NOTEBOOK_GLOB))
    ]


def write_manifest(
    folder: Path,
    writers: dict[str, str | None],
    pages: dict[str, dict] | None = None,
    compared_with: dict | None = None,
) -> Path:
    """`manifest.json`: which notebook wrote each file of the month (`files`), per page what
    it came from (`pages`: notebook -> data source, `data`, `generated`, `smk`; empty for a
    page kept from a month published before smk recorded it) and what the month compared
    with of the previous month (`compared_with`: `_compared_with`)."""
    path = folder / MANIFEST
    manifest: dict = {"files": dict(sorted(writers.items()))}
    if pages is not None:
        manifest["pages"] = pages
    if compared_with is not None:
        manifest[COMPARED_WITH] = compared_with
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def _manifest(month_dir: Path) -> dict:
    """A published month's `manifest.json` ({} when it has none or it is no mapping)."""
    try:
        manifest = json.loads((month_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def published_pages(month_dir: Path) -> dict[str, dict]:
    """Notebook -> what its page came from, for a published month ({} if not recorded)."""
    pages = _manifest(month_dir).get("pages")
    return (
        {k: v for k, v in pages.items() if isinstance(v, dict)} if isinstance(pages, dict) else {}
    )


# ------------------------------------------------------------------ which run and export a page came from
#: A page's provenance key (the manifest's `pages`): the `SAMPLED_CONTACTS` smallest 64-bit
#: BLAKE2b hashes of its export's contacts (`contact_hashes`: id and day created; hex, no id
#: itself), so that a later run can tell a month published from another CRM export from one
#: of the same CRM (`other_export`).
EXPORT_CONTACTS = "export_contacts"
SAMPLED_CONTACTS = 128
#: A page's provenance key: when its run started (UTC, ISO 8601), so that a run that started
#: earlier does not replace it (`_started_later`).
RUN_STARTED = "run_started"
#: The run's `context` key holding `other_previous_text` when the previous month came from
#: another export: the index then neither compares with it nor records that it read it.
PREVIOUS_OTHER_EXPORT = "previous_other_export"


@checked_tables
def contact_hashes(crm: CRM) -> set[str]:
    """The 64-bit BLAKE2b hash (16 hex digits) of each contact of `crm`, its id with the day
    it was created (UTC): the same in every process and version, as a fingerprint kept in the
    manifest must be. The day tells apart two CRMs that both number their contacts 1, 2, 3..."""
    contacts = crm.contacts.dropna(subset=["contact_id"])
    days = contacts["created_at"].dt.strftime("%Y-%m-%d").fillna("")
    keys = (contacts["contact_id"].astype(str) + "|" + days).unique()
    return {hashlib.blake2b(k.encode(), digest_size=8).hexdigest() for k in keys}


def export_sample(hashes: set[str]) -> list[str]:
    """The `SAMPLED_CONTACTS` smallest of an export's `hashes` (`contact_hashes`): what the
    manifest records of the export (`EXPORT_CONTACTS`)."""
    return sorted(hashes)[:SAMPLED_CONTACTS]


def other_export(page: dict, hashes: set[str]) -> bool:
    """Whether a published page (its manifest provenance) came from another CRM export than
    the one whose contacts hash to `hashes`: fewer than half of the contacts it sampled are in
    it. The same CRM a month later, in whatever folder, still holds nearly all of them; a page
    published before smk sampled them, or a run without contacts, tells nothing (False)."""
    sample = page.get(EXPORT_CONTACTS)
    if not hashes or not isinstance(sample, list) or not sample:
        return False
    return 2 * sum(h in hashes for h in sample) < len(sample)


def other_export_pages(month_dir: Path, hashes: set[str]) -> dict[str, dict]:
    """Notebook -> provenance of the published month's pages that came from another export."""
    return {n: p for n, p in published_pages(month_dir).items() if other_export(p, hashes)}


def _sources(pages: dict[str, dict]) -> str:
    """The data sources `pages` (manifest provenance) name, each once."""
    return ", ".join(dict.fromkeys(str(p.get("source") or "not recorded") for p in pages.values()))


def other_previous_text(month: Month, pages: dict[str, dict], running: list[str]) -> str:
    """What the run of the notebooks `running` warns of, and the month's index notes, when the
    previous month's `pages` came from another export (`other_export_pages`): this run does
    not read that month."""
    model = (
        " and its segmentation model is not used (segments are fitted afresh)"
        if "segmentation" in running
        else ""
    )
    return (
        f"{_other_export_text(month.previous, pages)}, so {month}'s key figures are not "
        f"compared with it{model}; does --out hold another export's reports?"
    )


def other_previous_refit(month: Month, pages: dict[str, dict]) -> str | None:
    """Why the run sets the setting of `READS_PREVIOUS` (refit) when the previous month's
    `pages` came from another export, for the page to say (`REFIT_REASON_PARAMETER`); None
    when they did not (no `pages`)."""
    if not pages:
        return None
    return f"{_other_export_text(month.previous, pages)}, so smk report does not use its model"


def _other_export_text(month: Month, pages: dict[str, dict]) -> str:
    """That `month`'s published `pages` came from another export, and how that is told."""
    return (
        f"{month} was published from another export ({_sources(pages)}: fewer than half of "
        "its contacts are in this one)"
    )


def _replaced_text(month: Month, others: dict[str, dict], replaced: set[str]) -> str:
    """The warning of a run publishing into `month` whose pages `others` came from another
    export: which of them it replaces, which it keeps."""
    gone = [n for n in others if n in replaced]
    kept = [n for n in others if n not in replaced]
    text = _other_export_text(month, others)
    if gone:
        text += f"; this run replaces its pages {', '.join(gone)}"
    if kept:
        text += f"; its pages {', '.join(kept)} are kept, so the month mixes two exports"
    return text


def _start_time(value) -> dt.datetime | None:
    """A `RUN_STARTED` value as a time, None when there is none or it is no such time."""
    try:
        started = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return started if started.tzinfo is not None else None


def _started_later(pages: dict[str, dict], started) -> dict[str, dt.datetime]:
    """Notebook -> its run's start, for the `pages` (manifest provenance) whose run started
    after `started` (this run's `RUN_STARTED`)."""
    mine, now = _start_time(started), dt.datetime.now(dt.UTC)
    later = {n: _start_time(p.get(RUN_STARTED)) for n, p in pages.items()} if mine else {}
    # a start after now is no run's (another host's clock ahead): it blocks nothing
    return {n: t for n, t in later.items() if t is not None and mine < t <= now}


def _shown_time(time_: dt.datetime) -> str:
    return time_.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _overtaken_text(month: Month, later: dict[str, dt.datetime], started) -> str:
    """Why a run does not publish `month`'s pages `later`: a run that started after it
    published them meanwhile (perhaps from a refreshed export)."""
    return (
        f"{month} was published meanwhile by a run that started later "
        f"({_shown_time(max(later.values()))}; this run started {_shown_time(_start_time(started))}): "
        f"this run would replace its pages {', '.join(later)} with figures of an older run"
    )


def _without_overtaken(
    staging: Path, runs: list[NotebookRun], later: dict[str, dt.datetime]
) -> list[NotebookRun]:
    """`runs` but those whose pages a later run published (`later`), their files removed from
    `staging`: the month keeps the later run's pages, as a run of some notebooks keeps others'."""
    for run in runs:
        if run.name in later:
            for name in run.files:
                (staging / name).unlink(missing_ok=True)
    return [run for run in runs if run.name not in later]


@contextlib.contextmanager
def _kernel_noise_logged(quiet: bool):
    """In quiet mode, what kernels (and the libraries running them) print on stderr goes to
    the log, not the terminal: kept in an unnamed temporary file while they run, then logged
    as one entry of the log (`_log_noise`), fit to publish as its other lines are. (Written
    into the log file straight, it skipped the log's formatter: home paths, e-mail addresses
    and names reached the published log.) A run killed outright leaves no copy behind."""
    if not quiet:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)  # the kernels started from here on inherit it
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            _log_noise(held.read())


#: A line kernels write on stderr that is no fault (`without_shutdown_noise`): jupyter_client
#: interrupts (SIGINT) each kernel as it shuts it down, after its notebook ran to its end, and
#: a kernel still inside a message handler then logs this at its ERROR level.
KERNEL_SHUTDOWN_NOISE = re.compile(
    r"\[IPKernelApp\] ERROR \| KeyboardInterrupt caught in kernel\.?"
)


def without_shutdown_noise(text: str) -> tuple[str, int]:
    """`text` (what the kernels wrote on stderr) without its lines of kernel shutdown noise
    (`KERNEL_SHUTDOWN_NOISE`, matched as whole lines), and how many lines were left out;
    every other line, a kernel's real error too, is kept."""
    lines = text.splitlines()
    kept = [line for line in lines if not KERNEL_SHUTDOWN_NOISE.fullmatch(line.strip())]
    return "\n".join(kept), len(lines) - len(kept)


def _log_noise(noise: bytes) -> None:
    """Log what the kernels wrote on stderr (if anything), through the log's formatter; the
    kernels' shutdown noise (`without_shutdown_noise`) only as a count, with no ERROR in it,
    so that an ERROR in the log is always a fault."""
    text, shutdown = without_shutdown_noise(noise.decode("utf-8", errors="replace"))
    if text.strip():
        log.info("the kernels wrote on stderr:\n%s", text.rstrip())
    if shutdown:
        log.info(
            "left out %d line%s the kernels wrote on stderr as they were shut down (an "
            "interrupt caught in a kernel at shutdown: no fault)",
            shutdown,
            "" if shutdown == 1 else "s",
        )


#: A log line: its time in UTC (`2026-11-29 14:39:54.625Z`: `_Publishable`), the run that
#: wrote it (`_Publishable.run`), its level and message.
LOG_FORMAT = "%(asctime)s run %(smk_run)s %(levelname)s %(message)s"


class _Publishable(logging.Formatter):
    """Log lines fit to publish: the log is kept in the reports folder, which is published.
    The home folder is written as `~` (`home_as_tilde`: paths would name the operator), e-mail
    addresses are masked and, once the run knows them, the export's personal names removed
    (`names`, as `_Publication` removes them from the notebooks: `scrub_pii`); an error's
    message (a failed notebook's) may hold any of them. Each line names its run (`run`: the
    last part of the id of its temporary folders, `.cache-<month>-<run>`), so that the lines
    of runs into one reports folder at once can be told apart. Its time is UTC, marked `Z`, as
    every time smk writes: runs in other time zones may share the log."""

    converter = time.gmtime  # this formatter's only: other loggers keep their local time
    default_time_format = "%Y-%m-%d %H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def __init__(self, fmt: str | None = None):
        super().__init__(fmt)
        self.names = None  # None: none known, or --include-pii
        self.run = "-"  # the run's id, once it starts (`run_report`)

    @property
    def names(self) -> PersonalNames | None:
        """The personal names removed from each line (indexed once: `PersonalNames`)."""
        return self._names

    @names.setter
    def names(self, names: set[str] | None) -> None:
        self._names = None if names is None else as_personal_names(names)

    def format(self, record: logging.LogRecord) -> str:
        record.smk_run = self.run
        return self.publishable(super().format(record))

    def publishable(self, text: str) -> str:
        """`text` as the log writes it (and the terminal shows it: `terminal_safe`)."""
        return terminal_safe(scrub_pii(home_as_tilde(text), self.names or _NO_NAMES))


def _log_to(path: Path) -> _Publishable:
    """Log this run to `path`, and only there (a log of an earlier run in this process gets no
    more lines); returns its formatter, which knows no personal names yet."""
    handler = _log_handler(path)
    for other in [h for h in log.handlers if h is not handler and _ours(h)]:
        log.removeHandler(other)
        other.close()
    if handler is None:
        # UTF-8 whatever the locale, and a name Python holds with surrogates (bytes that are no
        # UTF-8) is written as `\udcc3`: a line is never lost
        handler = logging.FileHandler(path, encoding="utf-8", errors="backslashreplace")
        handler.setFormatter(_Publishable(LOG_FORMAT))
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    handler.formatter.names = None
    handler.formatter.run = "-"
    return handler.formatter


def _ours(handler: logging.Handler) -> bool:
    """Whether `handler` writes a run's log (`_log_to`)."""
    return isinstance(handler, logging.FileHandler) and isinstance(handler.formatter, _Publishable)


def _log_handler(path: Path) -> logging.FileHandler | None:
    """The handler that logs a run to `path`, if a run opened that log."""
    return next((h for h in log.handlers if _ours(h) and Path(h.baseFilename) == path), None)


def log_failure(out: str | Path, message: str, code: int) -> str:
    """Log why a report into `out` failed, and the exit code it ends with, as an ERROR line of
    its log (when a run opened that log: not for a folder the run refused to use); returns
    `message` as fit to publish (`_Publishable`), as the log has it, for the terminal too (a
    scheduler's output often ends in published CI logs)."""
    handler = _log_handler(Path(os.path.expanduser(str(out))).resolve() / LOG_FILE)
    if handler is not None:
        log.error("exit code %d: %s", code, message)
        return handler.formatter.publishable(message)
    return _Publishable().publishable(message)


# ------------------------------------------------------------------ rendering
def _context(crm, month: Month, data, model: bool = False) -> dict:
    source = Path(str(crm.source)).name if crm.source else Path(str(data)).name
    if model:  # the pages come from the model, which may differ from its export read anew
        source = f"{Path(data).resolve().name}: Parquet model of {source}"
    return {
        "month": str(month),
        "source": source_label(source, crm.format),
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": smk.__version__,
    }


def source_label(source: str, data_format: str | None) -> str:
    """How the pages name their data: the export's folder or file and its format,
    "exports (hubspot)", or the one word when they are the same ("hubspot", not "hubspot
    (hubspot)", in any case: "HubSpot")."""
    same = not data_format or source.casefold() == str(data_format).casefold()
    return source if same else f"{source} ({data_format})"


def personal_names(crm) -> set[str]:
    """Personal names in the export, to keep out of published HTML.

    The name columns of every table (`smk.pii.is_name_column`: First Name, Last Name, a
    contact's Name, Pipedrive's Person - Name, a deal's or activity's Contact person, ...; not
    a company's name or a deal's title) and owners written as names rather than ids, in any of
    the ways CRMs write them ("Jane Doe" as HubSpot exports them, "Doe, Jane", "DOE, Jane",
    "van der Berg, Anna", "J. Doe": `smk.pii.looks_like_personal_name`); a name written "Last,
    First" goes as "First Last" too. Ids ("owner-02") are no names.
    """
    names: set[str] = set()
    for table in ("contacts", "accounts", "deals", "touchpoints", "activities"):
        frame = getattr(crm, table)
        names |= _full_names(frame)  # whole, so that short parts go too ("Wei Li")
        for col in frame.columns:
            if is_name_column(col, table):
                names |= _name_cells(frame[col])
    for table in ("contacts", "deals", "activities"):
        owners = getattr(crm, table)["owner_id"].dropna().astype(str).str.strip().unique()
        for owner in owners:
            if looks_like_personal_name(owner):
                names |= name_forms(owner)
    return names


def setting_names(settings: dict) -> set[str]:
    """Personal names a params file (`read_params`) writes as owner keys
    (`OWNER_KEYED_PARAMETERS`, at its top level or in any notebook's section), in each form a
    page may show them (`smk.pii.name_forms`): one that names no owner of the export (a typo,
    an owner no longer in it) is a person's all the same, and leaves the published files as the
    export's owners' names do. Ids ("owner-07") and pseudonyms ("rep-3fa2c1") are no names."""
    notebooks = settings.get("notebooks")
    sections = [settings, *(notebooks.values() if isinstance(notebooks, dict) else ())]
    keys = [
        key
        for section in sections
        if isinstance(section, dict)
        for name in OWNER_KEYED_PARAMETERS
        if isinstance(section.get(name), dict)
        for key in section[name]
    ]
    return {
        form
        for key in keys
        if isinstance(key, str) and looks_like_personal_name(key)
        for form in name_forms(key)
    }


def _name_cells(values) -> set[str]:
    """The cells of a name column that a page loses wherever they stand (`removable_alone`:
    not "Li", not "Won"), a "Doe, Jane" as "Jane Doe" too."""
    names = set()
    for value in values.dropna().astype(str).str.strip().unique():
        if removable_alone(value):
            names.add(value)
            if "," in value:
                names |= name_forms(value)
    return names


def _full_names(frame) -> set[str]:
    """ "First Last" and "Last, First" of every record with both, for each pair of first and
    last name columns (`smk.pii.first_last_columns`)."""
    names: set[str] = set()
    for pair in first_last_columns(list(frame.columns)):
        first, last = (frame[c].astype("string").str.strip().where(lambda v: v != "") for c in pair)
        names |= set((first + " " + last).dropna()) | set((last + ", " + first).dropna())
    return names


#: what a personal name is replaced by in published pages, notebooks and the month's index
NAME_REMOVED = "[name removed]"


def scrub_pii(text: str, names: set[str] | frozenset[str]) -> str:
    """Remove e-mail addresses and known personal names from rendered HTML text, and the
    invisible characters that would hide them or reorder the text (`smk.pii.INVISIBLE`)."""
    outside = "".join(_DATA_URI.split(text)[::2])  # the names it may hold: not in images
    return _scrubbed(text, _names_pattern(names, outside))


def _scrubbed(text: str, pattern: re.Pattern | None) -> str:
    """`text` without invisible characters (`smk.pii.without_invisible`: a name or address
    is matched as it is seen, and no direction control reorders what follows it), e-mail
    addresses and the names of `pattern` (`_names_pattern`), outside its embedded images
    (`_outside_images`) and terminal colour codes (`_outside_colours`)."""

    def scrub(part: str) -> str:
        part = mask_emails(without_invisible(part))
        return part if pattern is None else pattern.sub(_name_removed, part)

    return _outside_images(text, functools.partial(_outside_colours, change=scrub))


def _outside_images(text: str, change) -> str:
    """`text` with `change` applied outside its images embedded as base64 `data:` URIs: they
    hold no address or name, a short name between a `+` and a `/` of their text must not be
    replaced (it breaks the image), and they are most of a page's text (the address pattern
    tried at every letter of them took 0.5 s a page, the sample's funnel page, 2026-11-27)."""
    return _outside(_DATA_URI, text, change)


def _outside_colours(text: str, change) -> str:
    """`text` with `change` applied between its terminal colour codes (`_ANSI`), which stay:
    in a traceback, ``ESC[33m/home/jane`` starts a path and ``ESC[33mJane Doe`` a name."""
    return _outside(_ANSI, text, change) if "\x1b" in text else change(text)


def _outside(pattern: re.Pattern, text: str, change) -> str:
    """`text` with `change` applied to its parts outside the matches of `pattern` (one group)."""
    parts = pattern.split(text)
    parts[::2] = [change(p) for p in parts[::2]]
    return "".join(parts)


class PersonalNames(frozenset):
    """A set of personal names (`personal_names`) that indexes, once, the forms in which a page
    shows them by their first word (`_NameIndex`): the pages, notebooks and every log line of a
    run are scrubbed with the same names, and building the index of 100,000 contact names took
    0.1 s, for each text (2026-11-27). `scrub_pii` takes a plain set as well."""

    @functools.cached_property
    def index(self) -> _NameIndex:
        """The names' shown forms by their first word."""
        return _NameIndex(self)


def as_personal_names(names: set[str] | frozenset[str]) -> PersonalNames:
    """`names` as `PersonalNames`: itself when it is one, else the one made for the same names
    last (`_indexed`), so that the pages of a run given a plain set index it once too."""
    return names if isinstance(names, PersonalNames) else _indexed(frozenset(names))


@functools.lru_cache(maxsize=2)
def _indexed(names: frozenset[str]) -> PersonalNames:
    return PersonalNames(names)


class _NameIndex:
    """The forms of a set of names as a page may show them ("O'Brien" escaped in attributes,
    as is in table cells; as seen, without invisible characters: `smk.pii.without_invisible`)
    by their first word in any case, which a text must hold for one to match.

    A form of two words or more of two letters or more ("Jane Doe", "Doe, Jane") matches in
    any case ("JANE DOE", "doe, jane"; `_any_case`: "JÜRGEN STRAUSS" for "Jürgen Strauß" too)
    and written without its accents ("Zoe Mueller", `smk.pii.unaccented_spellings`);
    one of one such word or none ("Dunwick", "J. Doe", "N/A") as written only: a contact named
    "Grant", "Aida" or "Dach" must not take "grant", the "AIDA model" or the marketing mix's
    region "DACH" from a page or a CSV file, nor a "Sla" or "Roi" its "SLA" or "ROI"."""

    def __init__(self, names: frozenset[str]):
        self.by_word: dict[str, list[str]] = {}
        self.always: list[str] = []  # forms not starting with a word: tried in every text
        seen = {without_invisible(n) for n in names}
        composed = {unicodedata.normalize("NFC", n) for n in seen}
        seen |= composed | {unicodedata.normalize("NFD", n) for n in composed}
        seen |= {s for n in composed if _two_name_words(n) for s in unaccented_spellings(n)}
        for shown in {html.escape(n, quote=q) for n in seen if n for q in (True, False)}:
            first = _WORD.match(shown)
            key = None if first is None else _folded(first.group())
            kept = self.always if key is None else self.by_word.setdefault(key, [])
            kept.append(shown)

    def pattern(self, text: str) -> re.Pattern | None:
        """One pattern of the names that `text` (as seen: `smk.pii.without_invisible`) may
        hold (None: none)."""
        # A name can only match where the text holds each of its words as a whole word, in
        # some case: keep those names only (found by their first word), so that 100,000
        # contact names do not make one huge, slow alternation (one in any case is tried
        # letter by letter). Forms of two words before those of one: where both match at
        # one place, the one of two words matches the longer text ("Ann Lee" before "Ann").
        text = without_invisible(_ANSI.sub(" ", text) if "\x1b" in text else text)
        words = {_folded(word) for word in set(_WORD.findall(text))}
        found = [*self.always, *(n for w in words & self.by_word.keys() for n in self.by_word[w])]
        shown = [n for n in found if words.issuperset(map(_folded, _WORD.findall(n)))]
        if not shown:
            return None
        any_case = set(filter(_two_name_words, shown))
        as_written = set(shown) - any_case
        return re.compile(
            rf"(?<!\w)(?:(?i:{_longest_first(_any_case(any_case))})|{_longest_first(as_written)})(?!\w)"
        )


def _folded(word: str) -> str:
    """`word` case-folded as a pattern in any case matches it: "İ", "ı" and "i" alike (for
    such a pattern, "YILMAZ" is "Yılmaz"; `str.casefold` makes "ı" no "i", "İ" two letters)."""
    return word.casefold().replace("i\u0307", "i").replace("ı", "i")


#: a word of a name of two letters or more: a form of two of them matches in any case
_NAME_WORD = re.compile(r"[^\W\d_]{2,}")


def _two_name_words(form: str) -> bool:
    """Whether `form` has two words of a name or more (`_NAME_WORD`): such a form matches in
    any case, and written without its accents too ("Zoe Mueller" for "Zoë Müller"), not a
    word alone ("Bär" is no "Bar" of a bar chart)."""
    return len(_NAME_WORD.findall(html.unescape(form))) > 1


def _any_case(forms: set[str]) -> set[str]:
    """`forms` with their spellings in capitals and case-folded where they differ, so that a
    pattern in any case matches them in every case: Python's `(?i:...)` takes no "ß" for "SS"
    ("Jürgen Strauß" is "JÜRGEN STRAUSS" in capitals, "jürgen strauss" case-folded)."""
    return {spelt for form in forms for spelt in (form, form.upper(), form.casefold())}


def _longest_first(forms) -> str:
    """An alternation of `forms`, longest first ("Ann Lee" before "Ann"; forms of one length
    match the same text where both match, so their order, fixed for the cache, changes no
    match); one that matches nothing when there are none. Each form matches as a page or a
    file may write it (`_as_written_anyhow`)."""
    if not forms:
        return "(?!)"
    return "|".join(_as_written_anyhow(n) for n in sorted(forms, key=lambda n: (-len(n), n)))


#: what stands between two words of a name in a text, and what stands for an apostrophe in it
_BETWEEN_WORDS = r"(?:(?:\s|&nbsp;|&#160;|&#xa0;)+|[-.])"
_APOSTROPHE = r"(?:['\u2019\u02bc]|&#x27;|&#39;|&rsquo;)"
_GAP_OR_APOSTROPHE = re.compile(r"( +|'|&#x27;|\u2019)")


def _as_written_anyhow(form: str) -> str:
    """The pattern of a name `form` as texts write it: its words apart by any white space (two
    spaces, a no-break space, a line break; pandas writes two spaces as `&nbsp;&nbsp;`) or by
    one `-` or `.` (a slug, a UTM value, an e-mail address's local part:
    "maren-holloway"), and a typographic apostrophe for a straight one ("O’Neill")."""
    pieces = _GAP_OR_APOSTROPHE.split(form)
    return "".join(
        re.escape(piece) if i % 2 == 0 else _BETWEEN_WORDS if piece.isspace() else _APOSTROPHE
        for i, piece in enumerate(pieces)
    )


_NO_NAMES = PersonalNames()

#: What may stand before a time zone's city in a text: its area, or two ("Europe/",
#: "America/Argentina/"), at the start of a word (`_in_zone_name`)
_ZONE_AREAS = re.compile(r"(?<![\w/])(?:[A-Z][A-Za-z_]*/){1,2}\Z")


@functools.cache
def _zone_names() -> frozenset[str]:
    """The IANA time zones' names this machine knows (`zoneinfo`: the system's database, or
    the tzdata package pandas requires)."""
    return frozenset(zoneinfo.available_timezones())


def _in_zone_name(match: re.Match) -> bool:
    """Whether a name's `match` is the city of a time zone's name, "Berlin" of
    "Europe/Berlin": a contact surnamed Berlin took it from the timezone setting a page and
    its metrics show. Only a zone's whole name: "US/Jane Doe" or "North America/Jane Doe" (a
    territory) is no zone, and the name goes."""
    start, text = match.start(), match.string
    if text[start - 1 : start] != "/":
        return False
    area = _ZONE_AREAS.search(text, max(0, start - 40), start)
    return area is not None and area.group() + match.group() in _zone_names()


def _name_removed(match: re.Match) -> str:
    """What a name's `match` in a text becomes: `NAME_REMOVED`, unless it is the city of a
    time zone's name (`_in_zone_name`), which stays."""
    return match.group() if _in_zone_name(match) else NAME_REMOVED


def _names_pattern(names: set[str], text: str) -> re.Pattern | None:
    """One pattern of the `names` that `text` may hold (None: none), as a page shows them
    (`_NameIndex`: built once for `PersonalNames`, and for the last sets given as plain sets:
    `as_personal_names`)."""
    return as_personal_names(names).index.pattern(text)


def _without_names(text: str, pattern: re.Pattern | None) -> str:
    """`text` with each match of `pattern` (`_names_pattern`) replaced by `NAME_REMOVED`."""
    if pattern is None:
        return text
    return _outside_images(text, lambda part: pattern.sub(_name_removed, part))


#: Text files of a month that `scrub_file` scrubs cell by cell, and their delimiters.
_TABLE_FILES = {".csv": ",", ".tsv": "\t"}
#: Other text files a notebook may write into a month, scrubbed as a whole text.
_TEXT_FILES = frozenset({".txt", ".md", ".html", ".htm", ".svg", ".xml", ".yaml", ".yml"})


def scrub_file(path: Path, names: set[str] | frozenset[str]) -> bool:
    """Remove e-mail addresses and the personal names `names` from a text file a notebook
    wrote into a month, as its page loses them (`scrub_pii`); returns whether it changed.

    Each cell of a CSV or TSV (`_scrub_table`: a cell that was spreadsheet-safe stays so),
    each string of a JSON file, keys too (`_scrub_json`), the whole text of `_TEXT_FILES`.
    Any other file (a model, an image, Parquet) is left as it is. The text is read as UTF-8,
    bytes that are not kept as they were.
    """
    suffix = path.suffix.lower()
    if suffix not in _TABLE_FILES and suffix != ".json" and suffix not in _TEXT_FILES:
        return False
    text = path.read_bytes().decode("utf-8", errors="surrogateescape")
    if suffix in _TABLE_FILES:
        scrubbed = _scrub_table(text, names, _TABLE_FILES[suffix])
    elif suffix == ".json":
        scrubbed = _scrub_json(text, names)
    else:
        scrubbed = scrub_pii(text, names)
    if scrubbed == text:
        return False
    path.write_bytes(scrubbed.encode("utf-8", errors="surrogateescape"))
    return True


def _scrub_table(text: str, names: set[str] | frozenset[str], delimiter: str) -> str:
    """A CSV's (or TSV's) `text` with each cell scrubbed (`_scrubbed`), written again in the
    dialect pandas writes (minimal quoting, its line ends; a byte-order mark stays) only when
    a cell changed. The marks put in a cell's place start with `[`, which no spreadsheet runs
    as a formula, a cell `outputs.neutralise_formulas` prefixed keeps its `'`, and a cell
    changed is made spreadsheet-safe again (`_scrubbed_cell`)."""
    mark = "\ufeff" if text.startswith("\ufeff") else ""  # Excel's: before the first cell
    body = text[len(mark) :]
    pattern = _names_pattern(names, body)
    if _scrubbed(body, pattern) == body:  # nothing to remove (the usual case): one pass
        return text
    rows = list(csv.reader(io.StringIO(body, newline=""), delimiter=delimiter))
    cells = [[_scrubbed_cell(cell, pattern) for cell in row] for row in rows]
    if cells == rows:
        return text
    buffer = io.StringIO(newline="")
    ends = "\r\n" if "\r\n" in text else "\n"
    csv.writer(buffer, delimiter=delimiter, lineterminator=ends).writerows(cells)
    return mark + buffer.getvalue()


def _scrubbed_cell(cell: str, pattern: re.Pattern | None) -> str:
    """`_scrubbed` for one short text, tried only where it may hold an address, a name or an
    invisible character; a cell it changed made spreadsheet-safe again (`outputs.neutralised`:
    a zero-width space removed before "=2+5" must leave no formula)."""
    if may_hold_email(cell) or INVISIBLE.search(cell) or (pattern and pattern.search(cell)):
        scrubbed = _scrubbed(cell, pattern)
        return cell if scrubbed == cell else neutralised(scrubbed)
    return cell


def _scrub_json(text: str, names: set[str] | frozenset[str]) -> str:
    """A JSON file's `text` with each string scrubbed, keys too (`_map_strings`: keys that
    would become one are numbered), written again (indented by 2, its keys in their order)
    only when one changed; text that is no JSON is scrubbed as a whole."""
    try:
        data = json.loads(text)
    except ValueError:
        return scrub_pii(text, names)
    scrubbed = _publishable_strings(data, names)
    if scrubbed == data:
        return text
    return json.dumps(scrubbed, indent=2, ensure_ascii=text.isascii()) + "\n"


def _publishable_strings(node, names: set[str] | frozenset[str]):
    """`node` (parsed JSON) with each string, keys too, scrubbed (`_scrubbed`, `_map_strings`)."""
    pattern = _names_pattern(names, "\n".join(_strings(node)))
    return _map_strings(node, functools.partial(_scrubbed, pattern=pattern))


def render_html(notebook: Path, target: Path, context: dict, names: set[str] | None) -> Path:
    """A code-free, self-contained HTML page of an executed notebook, titled (its <title>,
    which tabs and bookmarks show) by its H1, the report month and "Smarketing report"; its
    Markdown outputs show raw HTML as written and link to no script (`smk.page_markdown`)."""
    import nbformat
    from nbconvert import HTMLExporter

    from smk.page_markdown import output_markdown_html

    nb = nbformat.read(notebook, as_version=4)
    nb.cells = [c for c in nb.cells if not _hidden_in_report(c)]
    exporter = HTMLExporter(
        template_name="smk_report",
        extra_template_basedirs=[str(Path(__file__).parent / "templates")],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        filters={"output_markdown2html": output_markdown_html},  # the template's
    )
    title = notebook_title(nb.cells, notebook.stem)
    # nbconvert takes the page's <title> from the notebook's metadata, else the resources'
    nb.metadata["title"] = f"{title} · {context.get('month', '')} · Smarketing report"
    resources = {"smk": {**context, "title": title}, "metadata": {"name": title}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    if names is not None:
        body = scrub_pii(body, names)
    target.write_text(blank_missing(body), encoding="utf-8")
    return target


#: a table cell that holds only pandas' mark of a missing value
_MISSING_CELL = re.compile(r"(<td[^>]*>)\s*(?:NaN|NaT|nan|None|&lt;NA&gt;|<NA>)\s*(</td>)")


def blank_missing(html_text: str) -> str:
    """Table cells showing pandas' NaN, NaT, <NA> or None show an en dash: readers of the
    report are not pandas users. Only whole cells change, never text around them."""
    return _MISSING_CELL.sub("\\1–\\2", html_text)


def _hidden_in_report(cell) -> bool:
    """Cells readers need not see: nbval's plain-text checks and cells tagged `hide-in-report`."""
    tags = cell.get("metadata", {}).get("tags", [])
    return "hide-in-report" in tags or (
        cell.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in cell.source.split("\n", 1)[0]
    )


def write_metrics_json(folder: Path, names: set[str] | None = None) -> Path:
    """Merge every notebook's metrics into one `metrics.json`; without e-mail addresses and
    `names` (`scrub_file`) unless `names` is None (a page kept from a run with
    ``--include-pii`` keeps its own metrics file as it was)."""
    path = folder / "metrics.json"
    path.write_text(
        json.dumps(read_metrics(folder), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    if names is not None:
        scrub_file(path, names)
    return path


def _kpis(metrics: dict) -> list[dict]:
    """Every KPI of the notebooks' metrics; a money KPI carries its notebook's `currency`
    (the metrics' top level) unless it names its own."""
    return [kpi for _, kpi in _notebook_kpis(metrics)]


def _notebook_kpis(metrics: dict) -> list[tuple[str, dict]]:
    """Every KPI of the notebooks' metrics (notebook -> its metrics) with its notebook's
    name, as `_kpis` gives them."""
    return [
        (name, {"currency": m["currency"], **k} if isinstance(m.get("currency"), str) else k)
        for name, m in metrics.items()
        for k in m.get("kpis", [])
    ]


def _kpi_text(value, kpi: dict) -> str:
    """A KPI's value or target as a tile shows it (money with its currency)."""
    currency = kpi.get("currency") if isinstance(kpi.get("currency"), str) else ""
    return format_kpi(value, kpi.get("format"), currency)


#: The `scope` of a tile whose figure counts the whole export, not the month (the rows set
#: aside): no change against the previous month is shown (docs/notebooks.md).
EXPORT_SCOPE = "export"

#: What a KPI's figure means besides its id (`basis`: the settings it depends on, e.g. the
#: SLA's working hours): the index compares two months' figures only when these agree.
_MEANING = ("label", "format", "basis")


def _with_page_pipelines(previous: dict[str, dict[str, dict]], folder: Path) -> dict:
    """The previous month's published tiles (notebook -> KPI id -> tile, of the month folder
    `folder`), each that records no pipelines with the setting its page ran with
    (`PAGE_PIPELINES`, `published_pipelines`)."""
    out = {}
    for name, tiles in previous.items():
        setting = published_pipelines(folder, name)
        out[name] = {
            kpi: tile if _pipelines(tile) is not None else tile | {PAGE_PIPELINES: setting}
            for kpi, tile in tiles.items()
        }
    return out


def _with_page_parts(previous: dict[str, dict[str, dict]], folder: Path) -> dict:
    """The previous month's published tiles (notebook -> KPI id -> tile, of the month folder
    `folder`), each of a page its manifest records as covering part of that month (a gap in
    the export, data that start inside it: `month_partial`) marked so, as the index marked
    them then (`_month_parts`): no base for a change (`_change`). Only the funnel page's own
    tiles carry the mark in their metrics."""
    pages = published_pages(folder)
    return {
        name: {
            kpi: tile | {MONTH_PARTIAL: part}
            if (part := pages.get(name, {}).get(MONTH_PARTIAL)) and not tile.get(MONTH_PARTIAL)
            else tile
            for kpi, tile in tiles.items()
        }
        for name, tiles in previous.items()
    }


def _measured_alike(kpi: dict, before: dict, month: Month | None = None) -> bool:
    """Whether the previous month's published tile `before` measured what `kpi` measures: the
    same label, format and basis (its holidays those of `month`, the tile's: `_compared_basis`),
    and for money the same currency. A tile published before tiles recorded their basis
    cannot tell how it was measured: when the notebook gives its own previous value (measured
    as this month is) that one is used, else the old tile is taken at its label and format
    (lead scoring's tiles after an upgrade), but never as of other pipelines
    (`_pipelines_before`; a deal tile's basis of its pipelines only is its page's setting:
    `_page_basis`)."""
    before = _page_basis(before, kpi)
    if "basis" not in before and kpi.get("basis") is not None and kpi.get("previous") is not None:
        return False
    if not same_pipelines(_pipelines_before(before, kpi), _pipelines(kpi)):
        return False
    meaning = _MEANING if "basis" in before else [k for k in _MEANING if k != "basis"]
    kpi, before = (t | {"basis": _compared_basis(_other_settings(t), month)} for t in (kpi, before))
    if any(kpi.get(key) != before.get(key) for key in meaning) or _other_window(kpi, before):
        return False
    return kpi.get("format") != "money" or kpi.get("currency") == before.get("currency")


#: The `basis` key naming the deal pipelines a figure counts (`smk.model.CRM.pipelines_basis`).
PIPELINES = "pipelines"
#: What `write_month_index` adds to a previous month's published tile that records no
#: pipelines: the setting `pipelines` its page ran with (`published_pipelines`; [] for all,
#: None when not known), for a deal tile published before tiles recorded it.
PAGE_PIPELINES = "page_pipelines"


def _pipelines(tile: dict) -> list | None:
    """The deal pipelines a tile's figure counts (its `basis`'s `PIPELINES`); None when it
    records none: every pipeline, or a figure of no deals (or one published before tiles
    recorded it: `_pipelines_before`)."""
    basis = tile.get("basis")
    return basis.get(PIPELINES) or None if isinstance(basis, dict) else None


def _pipelines_before(before: dict, kpi: dict) -> list | None:
    """The deal pipelines the previous month's tile `before` counted, as `kpi`'s are compared
    with: its record; for one that records none while `kpi` records some (a deal tile, so
    that one was too), the setting its page ran with (`PAGE_PIPELINES`: a tile published
    before tiles recorded it counted those; [] for every pipeline), or `kpi`'s own when that
    is not known (compared as before tiles recorded them). Else None: every pipeline, or a
    figure of no deals."""
    recorded = _pipelines(before)
    if recorded is not None or _pipelines(kpi) is None:
        return recorded
    page = before.get(PAGE_PIPELINES)
    return _pipelines(kpi) if page is None else page or None


def _page_basis(before: dict, kpi: dict) -> dict:
    """The previous month's tile `before` with the `basis` it had when it recorded none (one
    published before deal tiles recorded their pipelines) and `kpi`'s records its pipelines
    alone (a deal tile's of the funnel, segmentation or attribution page): those its page ran
    with (`PAGE_PIPELINES`), when known. Else `before` as it is."""
    page = before.get(PAGE_PIPELINES)
    if "basis" in before or page is None or _pipelines(kpi) is None or _other_settings(kpi):
        return before
    return before | {"basis": {PIPELINES: page} if page else None}


def published_pipelines(folder: Path, page: str) -> list[str] | None:
    """The setting `pipelines` (`smk.model.check_pipelines`) that the notebook of `page`
    published in the month folder `folder` ran with: as given (papermill's parameters), else
    its `parameters` cell's value; [] for every pipeline, also for a notebook without the
    setting (published before it existed). None when not known: no such notebook, or one
    that cannot be read, or whose value is not a list of names. Tiles and the segmentation
    model published before they recorded their pipelines counted those."""
    import nbformat

    from smk.model import check_pipelines as setting_names  # this module's own checks the export

    found = [p for p in sorted(folder.glob("*.ipynb")) if notebook_name(p) == page]
    if len(found) != 1:
        return None
    try:
        nb = nbformat.read(found[0], as_version=4)
        given = nb.metadata.get("papermill", {}).get("parameters") or {}
        cell = _cell_tagged(nb, "parameters")
        if cell is None:  # no parameters cell: not known
            return None
        own = _literal_values(cell.source)
        assigned = _assigned_names(_as_python(cell.source) or "")
        if PIPELINES not in given and PIPELINES not in own and PIPELINES in assigned:
            return None  # assigned, not as a literal: not known
        return setting_names(given.get(PIPELINES, own.get(PIPELINES)))
    except Exception:  # nbformat, json and the setting's check each raise their own
        return None


def _other_settings(tile: dict):
    """A tile's `basis` but its `PIPELINES`, which `_how_measured` names apart (None when
    nothing else is left: a deal tile's basis is its pipelines only)."""
    basis = tile.get("basis")
    if not isinstance(basis, dict) or PIPELINES not in basis:
        return basis
    return {k: v for k, v in basis.items() if k != PIPELINES} or None


def _other_window(kpi: dict, before: dict) -> bool:
    """Whether a tile over a window (`outputs.over_period`) and the previous month's tile
    `before` cover different windows, not the same one a month apart (12 months to Oct 2026
    against 6 months to Sep 2026). A tile that names no window tells nothing."""
    return bool(before.get("period") and kpi.get("previous_period")) and (
        before["period"] != kpi["previous_period"]
    )


def _compared_basis(basis, month: Month | None):
    """A tile's `basis` as the previous month's published tile is compared with (`month`:
    that tile's): its `holidays` only those that can change that month's figure, the dates of
    the month and a day either side (a working day's local date in a zone east or west of
    UTC), sorted, each once. The same holidays in another order, or a holiday after the month
    added, measure that month alike."""
    if not isinstance(basis, dict) or not isinstance(basis.get("holidays"), list):
        return basis
    if month is None:
        return basis | {"holidays": sorted(set(map(str, basis["holidays"])))}
    first = (month.start - dt.timedelta(days=1)).strftime("%Y-%m-%d")
    last = month.end.strftime("%Y-%m-%d")  # the day after the month
    days = {str(d) for d in basis["holidays"] if first <= str(d) <= last}
    return basis | {"holidays": sorted(days)}


def _setting_text(value) -> str:
    """A basis setting's value as the tile names it: ``false``, ``09:00``, ``["2026-12-24"]``."""
    return value if isinstance(value, str) else json.dumps(value)


def _how_measured(before: dict, kpi: dict, month: Month | None = None) -> str:
    """What differed in how the previous month's tile `before` (of `month`) was measured, from
    `kpi`: its label and the basis settings it had otherwise (“Median speed to lead”,
    business_hours false; holidays as `_compared_basis` compares them), or smk's rule when
    the basis's `rate_of` (what the rate is over, no setting) differs or is new
    (`_rule_changed`); "" when only the currency differs (the value names it)."""
    parts = []
    if before.get("label") and before.get("label") != kpi.get("label"):
        parts.append(f"“{before['label']}”")
    then = _pipelines_before(before, kpi)
    if not same_pipelines(then, _pipelines(kpi)):  # the deals of other pipelines
        parts.append(f"{PIPELINES} {_setting_text(then or 'all')}")
    old, new = (_compared_basis(_other_settings(t), month) for t in (before, kpi))
    rule = _rule_changed(old, new)
    parts += [rule] if rule else []
    if isinstance(old, dict):
        new = new if isinstance(new, dict) else {}
        changed = [k for k, v in old.items() if k != RATE_OF and new.get(k, v) != v]
        parts += [f"{k} {_setting_text(old[k])}" for k in changed]
        parts += [] if parts or old == new else ["other settings"]
    elif old is None and new is not None:
        parts += [] if rule else ["its basis not recorded"]
    elif old != new:
        parts.append(_setting_text(old))
    if _other_window(kpi, before):
        parts.append(f"over {before['period']}")
    if not parts and before.get("format") != kpi.get("format"):
        parts.append(f"as {before.get('format')}")
    return ", ".join(parts)


#: The `basis` key saying what a rate is over (`smk.scorecard.kpi_basis`): smk's rule, not a
#: setting the user chose.
RATE_OF = "rate_of"


def _rule_changed(old, new) -> str:
    """That smk's rule changed between two tiles' `basis`, when the newer one's `rate_of`
    differs from the older's or the older has none: "now counted over MQLs past the leakage
    window (smk's rule changed)"; "" otherwise."""
    rate_of = new.get(RATE_OF) if isinstance(new, dict) else None
    if rate_of is None or (isinstance(old, dict) and old.get(RATE_OF) == rate_of):
        return ""
    return f"now counted over {rate_of} (smk's rule changed)"


def _change(kpi: dict, previous: dict[str, dict], month: Month | None = None) -> str:
    """A tile's change against the previous month (`month`; None: not known); when this
    month's value is n/a, that it is (the tile's detail says why) and the previous month's
    value ("n/a this month; no previous value" when that month is known but its figure is
    not, "no previous month" when there is none: `_versus`).

    The previous month is its published tile of the same id (`previous`: the tiles its page
    published then, by id; another page's tile of that id is another figure), compared only when
    it was measured alike (`_measured_alike`: label, format, `basis`, currency); else the
    notebook's own `previous` value (the previous month measured as this month is), which the
    text says, naming what was published; without one, no difference is computed: "was 4.5 h
    the previous month, measured differently: “Median speed to lead”". A KPI whose notebook
    says the previous month is not to be compared (`previous_not_compared`: the data start
    inside it, or too few deals closed to compare win rates), or that this month is covered only in part (`month_partial`), gets no change,
    only why; a previous month published covering only part of it is no base either (the
    notebook's own `previous`, if any, is); a figure of the whole export (`scope` "export")
    gets none, and nor does a value not to be relied on (status `NO_DATA`, e.g. the leads
    above an unusable score's threshold): ""."""
    if kpi.get("scope") == EXPORT_SCOPE:  # a figure of the whole export: no month to compare
        return ""
    na = "n/a this month; " if _unknown(kpi.get("value")) else ""
    if kpi.get("status") == NO_DATA and not na:
        return ""
    if kpi.get(MONTH_PARTIAL):  # this month's figure counts only part of it
        return (
            f"{na}not compared with the previous month: the export does not cover all of this month"
        )
    if kpi.get("previous_not_compared"):  # data start inside it, or too few deals closed
        return f"{na}previous month not compared: {kpi['previous_not_compared']}"
    published = previous.get(kpi.get("id"))
    own = None
    if kpi.get("previous") is not None:  # the notebook computed it itself, measured alike
        own = {"value": kpi["previous"], "currency": kpi.get("currency")}
    # its page published that month, or the notebook computed that month's figure (n/a)
    seen = bool(previous) or "previous" in kpi
    if published is None or published.get("value") is None:  # none published: the own one
        return _versus(kpi, own or published, seen)
    if published.get(MONTH_PARTIAL):  # published covering part of its month: no base
        if is_gap_text(published[MONTH_PARTIAL]):  # nothing measured: not even the own figure
            return f"{na}previous month not compared: {published[MONTH_PARTIAL]}"
        why = "the previous month was published covering only part of it"
        return f"{_versus(kpi, own)} ({why})" if own is not None else f"{na}not compared: {why}"
    if _measured_alike(kpi, published, month):
        if "previous" not in kpi or _same_figure(kpi["previous"], published["value"]):
            return _versus(kpi, published)
        # the notebook measured the previous month otherwise than it was published (a newer
        # smk loading the export by other rules, a backfilled export): its own figure is the
        # base, and the published one is named (it was compared unmarked, H4 of session 25)
        reported = _kpi_text(published["value"], kpi | published)
        return f"{_versus(kpi, own, seen=True)} measured this way (reported then: {reported})"
    how = _how_measured(published, kpi, month)
    how = f", measured differently: {how}" if how else ""
    reported = _kpi_text(published["value"], kpi | published)
    if own is not None:
        return f"{_versus(kpi, own)} measured this way (reported then: {reported}{how})"
    return f"{na}was {reported} the previous month{how}"


def _same_figure(one, other) -> bool:
    """Whether two values of a tile are the same figure (numbers to within float noise; n/a
    only as n/a)."""
    if _unknown(one) or _unknown(other):
        return _unknown(one) and _unknown(other)
    if isinstance(one, int | float) and isinstance(other, int | float):
        return math.isclose(one, other, rel_tol=1e-9, abs_tol=1e-12)
    return one == other


def _unknown(value) -> bool:
    """Whether a tile's value is n/a (None or NaN)."""
    return value is None or (isinstance(value, float) and value != value)


def _versus(kpi: dict, before: dict | None, seen: bool = False) -> str:
    """The change of `kpi` against `before` (a previous value measured alike, with its
    currency), or why there is none: "no previous value" when the previous month is known
    (`before` without a value, or `seen`: its page was published, or the notebook computed
    that month and its figure is n/a), "no previous month" otherwise."""
    value = kpi.get("value")
    known = before and before.get("value") is not None
    missing = "no previous value" if before or seen else "no previous month"
    if _unknown(value):  # n/a this month
        if not known:
            return f"n/a this month; {missing}"
        return f"n/a this month; was {_kpi_text(before['value'], kpi | before)} the previous month"
    if not known:
        return missing
    versus = _previous_period(kpi, before)
    if isinstance(value, str) or isinstance(before["value"], str):  # a text KPI: top channel
        same = value == before["value"]
        if versus == "previous month":
            return "same as previous month" if same else f"was {before['value']} the previous month"
        return f"same for {versus}" if same else f"was {before['value']} for {versus}"
    if not isinstance(value, (int, float)) or not isinstance(before["value"], (int, float)):
        return "no previous month"
    delta = value - before["value"]
    if kpi.get("format") == "pct":
        shown = f"{abs(delta) * 100:.1f} pts"
    else:
        shown = _kpi_text(abs(delta), kpi)
    # one minus sign for every format; a change that shows as 0 (no digit but 0) is "+0"
    # ("−0.0 pts" was shown for 0.124% after 0.130%)
    sign = "−" if delta < 0 and re.search(r"[1-9]", shown) else "+"
    return f"{sign}{shown} vs {versus}"


def _previous_period(kpi: dict, before: dict) -> str:
    """What a tile's change compares with: "previous month", or for a figure over another
    period than the month (`outputs.over_period`) that period of the previous month's tile
    ("12 months to Sep 2026"; the KPI's own `previous_period` when that tile names none)."""
    if not kpi.get("period"):
        return "previous month"
    return str(before.get("period") or kpi.get("previous_period") or "previous month")


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="smk">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0; color: #1a202c; background: #fafbfc; }}
header {{ padding: 16px 24px; border-bottom: 3px solid #2b6cb0; background: #f5f8fc; }}
header h1 {{ margin: 0 0 4px 0; font-size: 1.4em; }}
header p {{ margin: 2px 0; font-size: 0.9em; color: #333; }}
main {{ padding: 16px 24px; }}
.tiles {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 12px; }}
.tile {{ background: white; border: 1px solid #dde3ea; border-radius: 8px; padding: 12px 14px; }}
.tile .label {{ font-size: 0.85em; color: #4a5568; }}
.tile .value {{ font-size: 1.6em; font-weight: 600; margin: 4px 0; }}
.tile .detail {{ font-size: 0.8em; color: #4a5568; }}
.status-met {{ border-left: 6px solid #2f855a; }} .status-at-risk {{ border-left: 6px solid #d69e2e; }}
.status-missed {{ border-left: 6px solid #c53030; }} .status-no-data {{ border-left: 6px solid #a0aec0; }}
.status-partial-month {{ border-left: 6px solid #a0aec0; }}
ul.pages li {{ margin: 4px 0; }}
</style></head>
<body><header><h1>{title}</h1>{subtitle}</header><main>{body}</main></body></html>
"""


def write_month_index(
    folder: Path,
    month: Month,
    runs: list[NotebookRun],
    context: dict,
    out: Path,
    provenance: dict[str, dict] | None = None,
    names: set[str] | None = None,
) -> Path:
    """The month's `index.html`: KPI tiles, pages and exports; e-mail addresses and `names`
    (personal names) removed as on the pages (`scrub_pii`), unless `names` is None. A page
    published with personal data (its provenance's `PERSONAL_DATA`) says so, as does the
    header.

    `provenance` (notebook -> data source, `data`, `generated`, as in the manifest's `pages`)
    says where each page came from: when the pages come from more than one run, each page
    names its source and run time, and when from more than one export, the header says so.
    """
    metrics = read_metrics(folder)
    previous_file = out / str(month.previous) / PREVIOUS_METRICS
    previous: dict[str, dict[str, dict]] = {}  # notebook -> KPI id -> its published tile
    other_previous = context.get(PREVIOUS_OTHER_EXPORT)
    if previous_file.exists() and not other_previous:  # a tile compares with its own page's
        for name, k in _notebook_kpis(json.loads(previous_file.read_text(encoding="utf-8"))):
            if "id" in k:
                previous.setdefault(name, {})[k["id"]] = k
        before = previous_file.parent
        previous = _with_page_parts(_with_page_pipelines(previous, before), before)
    tiles = []
    in_order = {r.name: metrics[r.name] for r in runs if r.name in metrics}  # notebook order
    parts = _month_parts(_lookback_caveats(in_order | metrics), context, provenance)
    for name, kpi in _notebook_kpis(parts["metrics"]):
        if kpi.get(MONTH_PARTIAL) and kpi.get("status") in VERDICTS:  # no verdict on a part
            kpi = kpi | {"status": PARTIAL_MONTH}
        status = str(kpi.get("status") or "").replace(" ", "-")
        target = kpi.get("target")
        detail = [str(kpi[k]) for k in ("period", "detail") if kpi.get(k)]  # period first
        if target is not None:
            detail.append(f"target {_kpi_text(target, kpi)}")
        if kpi.get("status"):
            detail.append(str(kpi["status"]))
        change = _change(kpi, previous.get(name, {}), month.previous)
        if change:  # none for a value not to be relied on
            detail.append(change)
        tiles.append(
            f'<div class="tile status-{html.escape(status)}" data-kpi="{html.escape(str(kpi.get("id", "")))}">'
            f'<div class="label">{html.escape(str(kpi.get("label", "")))}</div>'
            f'<div class="value">{html.escape(_kpi_text(kpi.get("value"), kpi))}</div>'
            f'<div class="detail">{html.escape(" · ".join(detail))}</div></div>'
        )
    origin = {r.name: (provenance or {}).get(r.name) or {} for r in runs}
    several_runs = provenance is not None and (
        len({(o.get("data"), o.get("generated")) for o in origin.values()}) > 1
    )
    personal = [r.name for r in runs if origin[r.name].get(PERSONAL_DATA) is True]
    pages = "".join(
        f'<li><a href="{html.escape(r.path.stem)}.html">{html.escape(page_title(r.path))}</a> '
        f'(<a href="{html.escape(r.path.name)}">notebook</a>)'
        + (f" · {html.escape(_origin(origin[r.name]))}" if several_runs else "")
        + (f" · not enough data: {_code(r.no_data)}" if r.no_data else "")
        + (f" · <strong>{PERSONAL_DATA_NOTE}</strong>" if r.name in personal else "")
        + "</li>"
        for r in runs
    )
    exports = "".join(
        f'<li><a href="{html.escape(name)}">{html.escape(name)}</a></li>'
        for name in month_exports(folder)
    )
    body = (
        f'<h2>Key figures</h2><div class="tiles">{"".join(tiles) or "<p>No KPIs were reported.</p>"}</div>'
        f'<h2>Pages</h2><ul class="pages">{pages}</ul>'
        f'<h2>Exports</h2><ul class="pages">{exports}</ul>'
        f'<p><a href="../index.html">All months</a></p>'
    )
    sources: dict[str, list[str]] = {}  # data -> its pages, in notebook order
    labels = {}
    for name, o in origin.items():
        key = o.get("data") or o.get("source") or ""
        sources.setdefault(key, []).append(name)
        labels[key] = o.get("source") or "data source not recorded"
    if provenance is not None and len(sources) > 1:
        source = "data sources differ between pages: " + "; ".join(
            f"{labels[key]} for {', '.join(names)}" for key, names in sources.items()
        )
    else:
        source = f"data source {context['source']}"
    subtitle = (
        f"<p>Report month <strong>{html.escape(context['month'])}</strong> · "
        f"{html.escape(source)} · generated {html.escape(context['generated'])}"
        + (" (pages from more than one run: see Pages)" if several_runs else "")
        + f" · smk {html.escape(context['version'])}</p>"
        + "".join(
            f"<p><strong>Partial month:</strong> {html.escape(partial_month_text(text))}</p>"
            for text in parts["texts"]
        )
        + (
            f"<p><strong>Previous month:</strong> {html.escape(other_previous)}</p>"
            if other_previous
            else ""
        )
        + (
            f"<p><strong>Personal data:</strong> {html.escape(', '.join(personal))} "
            f"{'was' if len(personal) == 1 else 'were'} published with --include-pii and may "
            "show e-mail addresses and personal names, as may their exports.</p>"
            if personal
            else ""
        )
    )
    path = folder / "index.html"
    page = _PAGE.format(
        title=f"Smarketing report {html.escape(str(month))}", subtitle=subtitle, body=body
    )
    path.write_text(scrub_pii(page, names) if names is not None else page, encoding="utf-8")
    return path


def _lookback_caveats(metrics: dict) -> dict:
    """The notebooks' `metrics` with the tiles of the attribution shares carrying the caveat
    of a lopsided lookback window (`smk.attribution.lookback_tiles`: the page's metrics record
    the cut, `lookback_cut`, and its note says so at the page's top only); a page published
    before smk recorded the cut is shown as it was."""
    marked = {}
    for name, m in metrics.items():
        cut = m.get("lookback_cut")
        if isinstance(cut, dict) and isinstance(m.get("kpis"), list):
            from smk.attribution import lookback_tiles

            m = m | {"kpis": lookback_tiles(m["kpis"], cut)}
        marked[name] = m
    return marked


def _month_parts(metrics: dict, context: dict, provenance: dict[str, dict] | None) -> dict:
    """The notebooks' `metrics` with every KPI of a page whose data cover only part of the
    month marked so (`month_partial`, the text of `smk.periods.month_coverage`), and those
    texts, each once: {"metrics": ..., "texts": [...]}. Which pages: those whose provenance
    (the manifest's `pages`) records it, or, without provenance, all when the run's `context`
    does; a KPI its notebook marked itself (`smk.scorecard.scorecard_kpis`) stays marked."""
    if provenance is None:
        parts = dict.fromkeys(metrics, context.get(MONTH_PARTIAL))
    else:
        parts = {name: (provenance.get(name) or {}).get(MONTH_PARTIAL) for name in metrics}
    marked = {
        name: m | {"kpis": [{MONTH_PARTIAL: parts[name]} | k for k in m.get("kpis", [])]}
        if parts[name] and isinstance(m.get("kpis"), list)
        else m
        for name, m in metrics.items()
    }
    texts = [k[MONTH_PARTIAL] for k in _kpis(marked) if k.get(MONTH_PARTIAL)]
    texts += [t for t in parts.values() if t]  # a page without tiles says it too
    return {"metrics": marked, "texts": list(dict.fromkeys(texts))}


def month_exports(folder: Path) -> list[str]:
    """The files the month's index lists as its exports: the CSV exports, then the JSON files
    (`lead_scorer.json`, each notebook's `metrics-<name>.json`, `metrics.json`, which is always
    listed as the index writes it), each group by name; not the pages, notebooks, model files
    (`*.joblib`) or `manifest.json`."""
    csvs = sorted(p.name for p in folder.glob("*.csv"))
    jsons = {p.name for p in folder.glob("*.json")} - {MANIFEST}
    return csvs + sorted(jsons | {"metrics.json"})


#: What the month's index says next to a page published with personal data.
PERSONAL_DATA_NOTE = "holds personal data (published with --include-pii)"


def write_reports_index(out: Path, stale: dict[str, str] | None = None) -> Path:
    """`reports/index.html`: every published month, newest first; a month out of date (`stale`,
    by default `out_of_date(out)`: it compared with a previous month changed since) says so."""
    stale = out_of_date(out) if stale is None else stale
    months = sorted(
        (p.name for p in out.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}-\d{2}", p.name)),
        reverse=True,
    )
    items = "".join(
        f'<li><a href="{m}/index.html">{m}</a>'
        + (f" · <strong>{OUT_OF_DATE}</strong> {_code(stale[m])}" if m in stale else "")
        + "</li>"
        for m in months
    )
    path = out / "index.html"
    page = _PAGE.format(
        title="Smarketing reports",
        subtitle="<p>Monthly reports for marketing and sales leadership.</p>",
        body=f'<ul class="pages">{items or "<li>none yet</li>"}</ul>',
    )
    temporary = out / f".index-{uuid.uuid4().hex[:8]}.tmp"  # readers never see half a page
    temporary.write_text(page, encoding="utf-8")
    os.replace(temporary, path)
    return path


#: What the reports index says before why a month is out of date (`out_of_date`).
OUT_OF_DATE = "out of date:"


def _code(text: str, quote: bool = True) -> str:
    """`text` escaped for HTML (quotes too unless not `quote`), what it quotes in backticks
    (Markdown's code spans: a note's setting names) shown as code, the backticks gone."""
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(text, quote=quote))


def _origin(page: dict) -> str:
    """'data hubspot (hubspot), generated 2026-11-02 07:00 UTC' for a page's provenance."""
    if not page:
        return "data source and run not recorded (published before smk recorded them)"
    return f"data {page.get('source') or 'not recorded'}, generated {page.get('generated') or '?'}"
