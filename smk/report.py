"""The monthly report: run every notebook with papermill, publish HTML atomically.

`run_report` loads and validates the export once, caches it as Parquet, runs the numbered
notebooks in `notebooks/` in order (each gets `data_path`, `data_format`, `month`,
`output_dir` plus settings from a params file), renders each to a code-free, self-contained
HTML page, builds `index.html` from the notebooks' `metrics-<name>.json`, and only then moves
the finished month into `reports/YYYY-MM/`. A failing notebook leaves the published month as
it was and keeps the failed executed notebook in `reports/.failed/YYYY-MM/` for debugging.

`manifest.json` records which notebook wrote each file of a month. Re-running some notebooks
(`notebooks=[...]`) replaces those notebooks' files and keeps the other notebooks' pages and
outputs of the published month; the index and `metrics.json` then cover every page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import html
import json
import logging
import os
import re
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

import smk
from smk import config
from smk.model import CRM
from smk.outputs import format_kpi, mask_emails, read_metrics, write_metrics
from smk.periods import Month, resolve_month

log = logging.getLogger("smk.report")

NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
KERNEL_NAME = "smk"
SHARED_PARAMETERS = ("data_path", "data_format", "month", "output_dir")
MANIFEST = "manifest.json"
#: What the report writes into a month from the notebooks' files (rebuilt on every run).
REPORT_FILES = frozenset({"index.html", "metrics.json", MANIFEST})
_WORD = re.compile(r"\w+")
_DISPLAY_NAME = re.compile(r"^[^\W\d_]+(?:[ '-][^\W\d_]+)+$")  # two or more words of letters
_NAME_COLUMNS = re.compile(r"^(first ?name|last ?name|full ?name|firstname|lastname|name)$", re.I)
_FIRST_LAST = (re.compile(r"^first ?name$", re.I), re.compile(r"^last ?name$", re.I))


class ReportError(RuntimeError):
    """A report could not be published; the message says which notebook, cell and error."""


@dataclass
class NotebookRun:
    name: str
    path: Path
    seconds: float = 0.0
    cells_seconds: float = 0.0  # time spent in cells; the rest is kernel start and saving
    html: Path | None = None
    no_data: str | None = None  # the NoDataError that cut the page short, if one did
    files: list[str] = field(default_factory=list)  # what it wrote in the month's folder


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
    """The numbered notebooks in reading order, or those named (by file or short name)."""
    found = sorted(folder.glob(NOTEBOOK_GLOB))
    if not names:
        return found
    chosen = []
    for name in names:
        match = [p for p in found if name in (p.name, p.stem, notebook_name(p))]
        if not match:
            raise ValueError(
                f"no notebook {name!r} in {folder}; there are: {', '.join(p.stem for p in found)}"
            )
        chosen += match
    return chosen


def notebook_name(path: Path) -> str:
    """`01_funnel_sla.ipynb` -> `funnel_sla` (the name in `metrics-<name>.json`)."""
    return re.sub(r"^\d+_", "", Path(path).stem)


def ensure_kernel() -> str:
    """Register the `smk` kernel for this very Python (never a stray global `python3`)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        if Path(spec.argv[0]).resolve() == Path(sys.executable).resolve():
            return KERNEL_NAME
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    install(kernel_name=KERNEL_NAME, display_name="Python (smk)", prefix=sys.prefix)
    return KERNEL_NAME


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
        params = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read the params file {path}: {exc}") from None
    if not isinstance(params, dict):
        raise ValueError(f"the params file {path} must hold a mapping of parameter: value")
    clash = [k for k in SHARED_PARAMETERS if k in params]
    if clash:
        raise ValueError(
            f"the params file {path} may not set {', '.join(clash)}: use the command's options"
        )
    return params


def declared_parameters(notebook: Path) -> set[str]:
    """Names the notebook's `parameters` cell defines."""
    import papermill as pm

    return set(pm.inspect_notebook(str(notebook)))


def params_for(notebook: Path, params: dict, declared: set[str] | None = None) -> dict:
    """Settings for one notebook: the shared ones it declares, then its own section."""
    declared = declared_parameters(notebook) if declared is None else declared
    shared = {k: v for k, v in params.items() if k != "notebooks" and k in declared}
    own = (params.get("notebooks") or {}).get(notebook_name(notebook)) or {}
    return {**shared, **own}


#: What a parameters cell's annotation asks for, and the values that pass as it.
_KINDS = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "list": (list,),
    "dict": (dict,),
}


def _wrong_type(annotation: str, value) -> bool:
    kinds = _KINDS.get(annotation)
    if kinds is None or value is None:
        return False
    if isinstance(value, bool) and annotation != "bool":
        return True  # YAML's yes/no is not a number or a name
    return not isinstance(value, kinds)


def check_params(notebooks: list[Path], params: dict) -> None:
    """Refuse settings no notebook takes (a typo would otherwise be silently ignored) and
    values of the wrong type for the parameter's annotation, before any notebook runs."""
    import papermill as pm

    cells = {notebook_name(nb): pm.inspect_notebook(str(nb)) for nb in notebooks}
    wrong = []
    for nb in notebooks:
        name = notebook_name(nb)
        for key, value in params_for(nb, params, set(cells[name])).items():
            spec = cells[name].get(key)  # unknown names are refused below
            if spec and _wrong_type(spec["inferred_type_name"], value):
                wrong.append(
                    f"notebooks.{name}.{key} must be of type {spec['inferred_type_name']} like its "
                    f"default {spec['default']} ({spec['help']}), got {value!r}"
                )
    if wrong:
        raise ValueError("the params file: " + "; ".join(wrong))
    declared = {name: set(cell) for name, cell in cells.items()}
    every = set().union(*declared.values()) if declared else set()
    unknown = [k for k in params if k != "notebooks" and k not in every]
    for name, own in (params.get("notebooks") or {}).items():
        if name not in declared:
            unknown.append(f"notebooks.{name}")
            continue
        unknown += [f"notebooks.{name}.{k}" for k in own or {} if k not in declared[name]]
    if unknown:
        raise ValueError(
            f"the params file sets {', '.join(unknown)}, which no notebook being run takes; "
            "see the notebooks' parameters cells"
        )


# ------------------------------------------------------------------ the run
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
    as for `smk.load`; the notebooks then read the validated model from a Parquet cache. With
    `notebooks`, only those run: their pages and outputs replace theirs in the published
    month, the other notebooks' are kept.
    """
    out = Path(out).resolve()  # notebooks read relative paths against the project root
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file of that name, no permission: bad input, not a bug
        raise ValueError(f"cannot use {out} as the reports folder: {exc.strerror}") from None
    _log_to(out / "smk-report.log")
    timings: dict[str, float] = {}
    start = time.perf_counter()
    chosen = discover_notebooks(notebooks, Path(notebook_dir))
    if not chosen:
        raise ValueError(f"no notebooks to run in {notebook_dir}")
    settings = read_params(params)
    check_params(chosen, settings)
    crm = smk.load(
        data,
        format=data_format,
        mapping=mapping,
        timezone=timezone,
        dayfirst=dayfirst,
        schema=schema,
        decimal=decimal,
    )
    the_month = resolve_month(crm, month)
    timings["data load"] = time.perf_counter() - start
    log.info(  # crm.source: a database URL with its password masked
        "report %s on %s (%s), notebooks: %s",
        the_month,
        crm.source or data,
        crm.format,
        [p.name for p in chosen],
    )

    staging = out / f".staging-{the_month}-{uuid.uuid4().hex[:8]}"
    cache = out / f".cache-{the_month}-{uuid.uuid4().hex[:8]}"
    try:
        _with_absolute_source(crm).to_parquet(cache)
        kernel = ensure_kernel()
        with _kernel_noise_to(out / "smk-report.log", quiet):
            runs = _execute_all(chosen, staging, cache, the_month, settings, kernel, quiet, out)
        timings["analysis (cells)"] = sum(r.cells_seconds for r in runs)
        timings["kernel start + overhead"] = sum(r.seconds - r.cells_seconds for r in runs)
        t = time.perf_counter()
        context = _context(crm, the_month, data)
        names = personal_names(crm) if not include_pii else set()
        for run in runs:
            run.html = render_html(
                staging / run.path.name, staging / f"{run.path.stem}.html", context, names
            )
            run.files.append(run.html.name)
        published = out / str(the_month)
        writers = keep_published(published, staging, runs) if notebooks else _writers(runs)
        write_metrics_json(staging)
        write_month_index(staging, the_month, _pages(staging, runs), context, out)
        write_manifest(staging, writers)
        timings["rendering"] = time.perf_counter() - t
        final = _publish(staging, published)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
    write_reports_index(out)
    timings["total"] = time.perf_counter() - start
    log.info("published %s in %.1f s", final, timings["total"])
    return ReportResult(the_month, final, runs, timings)


def _with_absolute_source(crm: CRM) -> CRM:
    """`crm` with a local export's path made absolute for the cache: the notebooks run in
    another folder, and the truth lookup follows the cache's source (`truth_shares`)."""
    source = str(crm.source or "")
    if not source or "://" in source:
        return crm
    return replace(crm, source=str(Path(source).resolve()))


def _execute_all(chosen, staging, cache, month, settings, kernel, quiet, out) -> list[NotebookRun]:
    staging.mkdir(parents=True)
    runs = []
    for number, nb in enumerate(chosen, 1):
        parameters = {
            "data_path": str(cache),
            "data_format": "parquet",
            "month": str(month),
            "output_dir": str(staging),
            **params_for(nb, settings),
        }
        if not quiet:
            print(f"[{number}/{len(chosen)}] {nb.name}", file=sys.stderr, flush=True)
        before = _stamps(staging)
        run = _execute_one(nb, staging / nb.name, parameters, kernel, quiet, out, month)
        run.files = [name for name, stamp in _stamps(staging).items() if before.get(name) != stamp]
        runs.append(run)
    return runs


def _execute_one(nb, target, parameters, kernel, quiet, out, month) -> NotebookRun:
    """Run one notebook into `target`; a `NoDataError` gives a short page, any other error
    keeps the failed notebook and raises `ReportError`."""
    import papermill as pm

    t = time.perf_counter()
    try:
        _execute_with_kernel_retries(nb, target, parameters, kernel, quiet)
    except pm.PapermillExecutionError as exc:
        # nothing to show this month: a short page, not a failed report
        if exc.ename == "NoDataError":
            run = _no_data_run(nb, target, month, exc.evalue, time.perf_counter() - t)
            log.warning("%s: not enough data for %s: %s", nb.name, month, exc.evalue)
            if not quiet:
                print(f"  not enough data: {exc.evalue}", file=sys.stderr, flush=True)
            return run
        kept = _keep_failed(target, out, month)
        raise ReportError(
            f"notebook {nb.name} failed in {_cell_label(nb, exc.source)}: "
            f"{exc.ename}: {exc.evalue}. The failed notebook is kept at {kept}; "
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
    log.info("ran %s in %.1f s", nb.name, run.seconds)
    return run


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
            )
            return
        except RuntimeError as exc:
            if not _kernel_failed(exc) or attempt == KERNEL_START_TRIES:
                raise
            log.warning("%s: the kernel did not start (%s); try %d", nb.name, exc, attempt + 1)


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
    note = nbformat.v4.new_markdown_cell(
        f"> **Not enough data for {month}.** {html.escape(message)}\n>\n"
        "> The sections above are the ones that could be computed this month."
    )
    title = next((c.source.lstrip("# ").splitlines()[0] for c in cells if _is_title(c)), nb.stem)
    book.cells = cells[:failed] + [note]
    nbformat.write(book, executed)
    metrics = {"title": title, "month": str(month), "no_data": message, "kpis": []}
    write_metrics(executed.parent, notebook_name(nb), metrics)
    return NotebookRun(
        notebook_name(nb), executed, seconds, _cells_seconds(executed), no_data=message
    )


def _is_title(cell) -> bool:
    return cell.cell_type == "markdown" and cell.source.startswith("# ")


def _cells_seconds(executed: Path) -> float:
    """Seconds the kernel spent in cells, from papermill's per-cell metadata."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    return float(sum(c.metadata.get("papermill", {}).get("duration") or 0 for c in nb.cells))


def _cell_label(notebook: Path, source: str) -> str:
    """'cell 4 (`first line`)': the failing cell's position in the notebook as the analyst sees it."""
    import nbformat

    first = next((line for line in source.splitlines() if line.strip()), "").strip()[:80]
    cells = nbformat.read(notebook, as_version=4).cells
    position = next((i for i, c in enumerate(cells, 1) if c.source == source), None)
    where = f"cell {position}" if position else "a cell"
    return f"{where} (`{first}`)"


def _keep_failed(executed: Path, out: Path, month: Month) -> Path:
    folder = out / ".failed" / str(month)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / executed.name
    if executed.exists():
        shutil.copy2(executed, target)
    return target


def _publish(staging: Path, final: Path) -> Path:
    """Swap the finished month into place; the old one is removed only after the swap."""
    old = None
    if final.exists():
        old = final.with_name(f".old-{final.name}-{uuid.uuid4().hex[:8]}")
        os.replace(final, old)
    os.replace(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
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
        return json.loads(manifest.read_text())["files"]
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


def write_manifest(folder: Path, writers: dict[str, str | None]) -> Path:
    """`manifest.json`: which notebook wrote each file of the month."""
    path = folder / MANIFEST
    path.write_text(json.dumps({"files": dict(sorted(writers.items()))}, indent=2) + "\n")
    return path


@contextlib.contextmanager
def _kernel_noise_to(path: Path, quiet: bool):
    """In quiet mode, what kernels print on stderr goes to the log file, not the terminal."""
    if not quiet:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with path.open("a") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _log_to(path: Path) -> None:
    if any(
        isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path for h in log.handlers
    ):
        return
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)


# ------------------------------------------------------------------ rendering
def _context(crm, month: Month, data) -> dict:
    source = Path(str(crm.source)).name if crm.source else Path(str(data)).name
    return {
        "month": str(month),
        "source": f"{source} ({crm.format})",
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": smk.__version__,
    }


def personal_names(crm) -> set[str]:
    """Personal names in the export, to keep out of published HTML.

    Contact name columns (First Name, Last Name, ...) and owners written as display names
    ("Jane Doe", as HubSpot exports them) rather than ids.
    """
    names = _full_names(crm.contacts)  # whole, so that short parts go too ("Wei Li")
    for col in crm.contacts.columns:
        if _NAME_COLUMNS.match(str(col).strip()):
            values = crm.contacts[col].dropna().astype(str).str.strip()
            names |= {v for v in values if len(v) >= 3}  # alone: "Li" could be any word
    for table in ("contacts", "deals", "activities"):
        owners = getattr(crm, table)["owner_id"].dropna().astype(str).str.strip().unique()
        names |= {o for o in owners if _DISPLAY_NAME.match(o)}
    return names


def _full_names(contacts) -> set[str]:
    """ "First Last" of every contact with both (the columns as HubSpot and others name them)."""
    columns = [
        next((c for c in contacts.columns if rule.match(str(c).strip())), None)
        for rule in _FIRST_LAST
    ]
    if None in columns:
        return set()
    first, last = (
        contacts[c].astype("string").str.strip().where(lambda v: v != "") for c in columns
    )
    return set((first + " " + last).dropna())


def scrub_pii(text: str, names: set[str]) -> str:
    """Remove e-mail addresses and known personal names from rendered HTML text."""
    text = mask_emails(text)
    # A name can only match where the text holds its first word as a whole word: keep those
    # names only, so that 100,000 contact names do not make one huge, slow alternation.
    words = set(_WORD.findall(text))
    # as the page may show it: "O'Brien" escaped in attributes, as is in table cells
    shown = {html.escape(n, quote=q) for n in names for q in (True, False)}
    shown = [n for n in shown if (first := _WORD.match(n)) is None or first.group() in words]
    if shown:
        pattern = re.compile(
            r"(?<![\w])("
            + "|".join(re.escape(n) for n in sorted(shown, key=len, reverse=True))
            + r")(?![\w])"
        )
        text = pattern.sub("[name removed]", text)
    return text


def render_html(notebook: Path, target: Path, context: dict, names: set[str] | None) -> Path:
    """A code-free, self-contained HTML page of an executed notebook."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    nb.cells = [c for c in nb.cells if not _hidden_in_report(c)]
    exporter = HTMLExporter(
        template_name="smk_report",
        extra_template_basedirs=[str(Path(__file__).parent / "templates")],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    title = next(
        (c.source.lstrip("# ").splitlines()[0] for c in nb.cells if _is_title(c)), notebook.stem
    )
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


def write_metrics_json(folder: Path) -> Path:
    """Merge every notebook's metrics into one `metrics.json`."""
    path = folder / "metrics.json"
    path.write_text(json.dumps(read_metrics(folder), indent=2, sort_keys=True) + "\n")
    return path


def _kpis(metrics: dict) -> list[dict]:
    return [k for m in metrics.values() for k in m.get("kpis", [])]


def _change(kpi: dict, previous: dict[str, dict]) -> str:
    before = previous.get(kpi.get("id"))
    if before is None and kpi.get("previous") is not None:  # the notebook computed it itself
        before = {"value": kpi["previous"]}
    value = kpi.get("value")
    if not before or before.get("value") is None:
        return "no previous month"
    if isinstance(value, str) or isinstance(before["value"], str):  # a text KPI: top channel
        return (
            "same as previous month"
            if value == before["value"]
            else (f"was {before['value']} the previous month")
        )
    if not isinstance(value, (int, float)) or not isinstance(before["value"], (int, float)):
        return "no previous month"
    delta = value - before["value"]
    sign = "+" if delta >= 0 else "−"  # one minus sign for every format
    if kpi.get("format") == "pct":
        return f"{sign}{abs(delta) * 100:.1f} pts vs previous month"
    return f"{sign}{format_kpi(abs(delta), kpi.get('format'))} vs previous month"


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
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
ul.pages li {{ margin: 4px 0; }}
</style></head>
<body><header><h1>{title}</h1>{subtitle}</header><main>{body}</main></body></html>
"""


def write_month_index(
    folder: Path, month: Month, runs: list[NotebookRun], context: dict, out: Path
) -> Path:
    metrics = read_metrics(folder)
    previous_file = out / str(month.previous) / "metrics.json"
    previous = {}
    if previous_file.exists():
        previous = {k["id"]: k for k in _kpis(json.loads(previous_file.read_text())) if "id" in k}
    tiles = []
    in_order = {r.name: metrics[r.name] for r in runs if r.name in metrics}  # notebook order
    for kpi in _kpis(in_order | metrics):
        status = str(kpi.get("status") or "").replace(" ", "-")
        target = kpi.get("target")
        detail = [str(kpi["detail"])] if kpi.get("detail") else []
        if target is not None:
            detail.append(f"target {format_kpi(target, kpi.get('format'))}")
        if kpi.get("status"):
            detail.append(str(kpi["status"]))
        detail.append(_change(kpi, previous))
        tiles.append(
            f'<div class="tile status-{html.escape(status)}" data-kpi="{html.escape(str(kpi.get("id", "")))}">'
            f'<div class="label">{html.escape(str(kpi.get("label", "")))}</div>'
            f'<div class="value">{html.escape(format_kpi(kpi.get("value"), kpi.get("format")))}</div>'
            f'<div class="detail">{html.escape(" · ".join(detail))}</div></div>'
        )
    pages = "".join(
        f'<li><a href="{html.escape(r.path.stem)}.html">{html.escape(r.path.stem)}</a> '
        f'(<a href="{html.escape(r.path.name)}">notebook</a>)'
        + (f" · not enough data: {html.escape(r.no_data)}" if r.no_data else "")
        + "</li>"
        for r in runs
    )
    exports = "".join(
        f'<li><a href="{html.escape(p.name)}">{html.escape(p.name)}</a></li>'
        for p in sorted(folder.glob("*.csv"))
    )
    body = (
        f'<h2>Key figures</h2><div class="tiles">{"".join(tiles) or "<p>No KPIs were reported.</p>"}</div>'
        f'<h2>Pages</h2><ul class="pages">{pages}</ul>'
        f'<h2>Exports</h2><ul class="pages">{exports or "<li>none</li>"}'
        f'<li><a href="metrics.json">metrics.json</a></li></ul>'
        f'<p><a href="../index.html">All months</a></p>'
    )
    subtitle = (
        f"<p>Report month <strong>{html.escape(context['month'])}</strong> · data source "
        f"{html.escape(context['source'])} · generated {html.escape(context['generated'])} · "
        f"smk {html.escape(context['version'])}</p>"
    )
    path = folder / "index.html"
    path.write_text(
        _PAGE.format(
            title=f"Smarketing report {html.escape(str(month))}", subtitle=subtitle, body=body
        )
    )
    return path


def write_reports_index(out: Path) -> Path:
    """`reports/index.html`: every published month, newest first."""
    months = sorted(
        (p.name for p in out.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}-\d{2}", p.name)),
        reverse=True,
    )
    items = "".join(f'<li><a href="{m}/index.html">{m}</a></li>' for m in months)
    path = out / "index.html"
    path.write_text(
        _PAGE.format(
            title="Smarketing reports",
            subtitle="<p>Monthly reports for marketing and sales leadership.</p>",
            body=f'<ul class="pages">{items or "<li>none yet</li>"}</ul>',
        )
    )
    return path
