"""Support for the numbered notebooks: open the data, record provenance, refresh stored outputs.

Notebooks stay thin: they call these and the analysis modules, never re-implement them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import json
import os
import platform
import sys
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

import pandas as pd

import smk
from smk import config
from smk.checks import check_seed, checked_tables
from smk.errors import NoDataError
from smk.io import format_name
from smk.io.parse import listed
from smk.model import CRM, REPORT_SOURCE
from smk.outputs import counted, export_csv
from smk.periods import is_latest, resolve_month
from smk.presentation import as_table
from smk.presentation import cut_note as cut_note  # for the pages, as `as_table`
from smk.presentation import first_rows as first_rows  # for the pages, as `as_table`
from smk.presentation import folded_note as folded_note  # for the pages, as `as_table`


def resolve_path(path: str | Path) -> str:
    """A path relative to the project root (how parameters defaults are written), else as given;
    `~` is the home folder (published reports name local paths from it). So is the database
    file of a SQLite or DuckDB URL (``sqlite:///data/crm.db``): SQLAlchemy would read it from
    the kernel's folder, `notebooks/` in JupyterLab, the project root in a script."""
    text = os.path.expanduser(str(path))
    if "://" in text:
        from smk.io.sql import absolute_file_url

        return absolute_file_url(text, config.ROOT)
    if Path(text).is_absolute():
        return text
    return str((config.ROOT / text).resolve())


def display_path(path: str | Path) -> str:
    """A path as shown in outputs: relative to the project root when inside it; a database
    URL as it is, its password masked (it is no path: it was shown as `notebooks/sqlite:/...`)."""
    if "://" in str(path):
        from smk.io.sql import mask_url

        return mask_url(str(path))
    try:
        return str(Path(path).resolve().relative_to(config.ROOT))
    except (ValueError, OSError):
        return str(path)


#: The options of `smk.load` that say how to read an export (a notebook's `read_options`).
READ_OPTIONS = ("mapping", "timezone", "dayfirst", "decimal", "schema")
#: The key of `REPORT_SOURCE` that says whether the report publishes personal data
#: (``smk report --include-pii``): false, the notebook is run for a publication without it.
INCLUDE_PII = "include_pii"


def check_read_options(read_options: dict | None) -> dict:
    """`read_options` as keyword arguments of `smk.load` (a copy); a ValueError naming the
    parameter for anything but a mapping of the reading options (`READ_OPTIONS`)."""
    if read_options is None:
        return {}
    if not isinstance(read_options, dict):
        raise ValueError(
            "read_options must be a mapping of reading option: value, e.g. "
            f'{{"timezone": "Europe/Berlin"}}; got {read_options!r}'
        )
    unknown = sorted(str(k) for k in read_options if k not in READ_OPTIONS)
    if unknown:
        raise ValueError(
            f"read_options: unknown option(s) {', '.join(unknown)}; the options are "
            f"{', '.join(READ_OPTIONS)} (as for smk.load and smk validate)"
        )
    return dict(read_options)


def open_crm(
    data_path: str,
    data_format: str = "auto",
    read_options: dict | None = None,
    pipelines: list[str] | None = None,
) -> CRM:
    """Load the export a notebook was given (the report runner passes a Parquet cache).

    `pipelines` names the deal pipelines the page counts (`CRM.of_pipelines`; None or empty:
    all): the deals of the others are set aside by design, here, once for every analysis of
    the page, and `CRM.pipelines_sentence` says which count.

    `read_options` are the reading options of `smk.load` (`READ_OPTIONS`: ``mapping``,
    ``timezone``, ``dayfirst``, ``decimal``, ``schema``; a relative mapping path is read
    against the project root), the ones `smk report --timezone ...` read the export with.
    A Parquet cache (``data_format="parquet"``) holds the model as it was read with them, so
    they are not applied to it again.

    In a Jupyter kernel, from here on a warning prints as one plain ``warning: ...`` line
    (`show_plain_warnings`): a published page says what smk warns about, never the kernel's
    temporary file and line; and every chart it shows carries an alternative text
    (`describe_charts`). Elsewhere (scripts, tests) warnings are left as they are.

    Given the cache of `smk report` (`REPORT_SOURCE`), tables show their cells whole; when the
    report publishes without personal data (``include_pii`` false), the rest of the notebook
    runs as one to publish (`publish_without_pii`).
    """
    options = check_read_options(read_options)
    data_format = format_name(data_format)  # "Parquet" is the cache too, as smk.load reads it
    if _in_kernel():
        warnings.showwarning = show_plain_warnings
        describe_charts()
    if data_format == "parquet":
        options = {}
    if options.get("mapping"):
        options["mapping"] = resolve_path(options["mapping"])
    crm = smk.load(resolve_path(data_path), format=data_format, **options).of_pipelines(pipelines)
    report = _report_source(data_path) if data_format == "parquet" else None
    if report is not None:  # a page to publish: its table cells whole, as its scrub needs
        pd.set_option("display.max_colwidth", None)
    if report is not None and report.get(INCLUDE_PII) is False:
        publish_without_pii(crm)
    return crm


def publish_without_pii(crm: CRM | Callable[[], CRM]) -> None:
    """Run the rest of this process (a notebook's kernel) as a notebook `smk report` publishes
    without personal data, so that what the report cannot scrub afterwards holds none (`crm`:
    the export, or what loads it when the first text is drawn, `prepare_report_kernel`):

    - every text drawn into a chart loses its e-mail addresses and the export's personal names
      (`smk.report.scrub_pii` with `smk.report.personal_names`) before it is drawn
      (`smk.plots.scrub_drawn_text`): an image cannot be scrubbed once drawn;
    - pandas shows every table cell whole (``display.max_colwidth`` None): a cell cut short
      ("jane.doe@acmecorporation-...", "Xaneth Dun...") no longer reads as an address or a
      name, and the report's scrub of the page would leave it (`open_crm` sets this for
      every page `smk report` publishes, so pages with and without personal data show the
      same cells).
    """
    from smk import plots
    from smk.report import as_personal_names, personal_names, scrub_pii

    load = crm if callable(crm) else lambda: crm
    names = functools.cache(lambda: as_personal_names(personal_names(load())))
    plots.scrub_drawn_text(functools.lru_cache(maxsize=4096)(lambda text: scrub_pii(text, names())))
    pd.set_option("display.max_colwidth", None)


def prepare_report_kernel(data_path: str) -> None:
    """Run by each kernel of `smk report` before the notebook's first cell
    (`smk.report.report_kernel_arguments`), with the report's cache: what `open_crm` does for a
    page to publish, whatever the notebook loads the export with (`smk.load` too). Tables show
    their cells whole; without personal data, charts are drawn without them
    (`publish_without_pii`), the cache read at the first text drawn: a notebook that draws
    none does not read it twice, and one that cannot read it fails there, never drawing a
    name."""
    report = _report_source(data_path)
    if report is None:
        return
    pd.set_option("display.max_colwidth", None)
    if report.get(INCLUDE_PII) is False:
        publish_without_pii(functools.partial(smk.load, resolve_path(data_path), format="parquet"))


def _in_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def describe_charts() -> None:
    """In this IPython kernel, show every matplotlib figure with its alternative text
    (`smk.plots.chart_alt`, from the texts as drawn: scrubbed as they are when the page is
    published without personal data) in its output's metadata (``alt``), which the report's
    page template writes as the image's ``alt`` (nbconvert's lab template writes none, and
    gives every image without one the placeholder "No description has been provided for this
    image"). Registered as the figures' mime-bundle formatter, which adds the text and leaves
    the image to the formatters the inline backend sets (PNG, retina PNG or SVG, as
    `%config InlineBackend.figure_formats` says, before or after this call): it holds however
    the figure is shown (``plt.show()``, a figure left at the end of a cell).

    The first chart with labels its fonts cannot draw has the page's note of them above
    it (`_note_undrawable`), and matplotlib's warning of each such character is not shown."""
    from IPython import get_ipython
    from matplotlib.figure import Figure

    shell = get_ipython()
    if shell is not None:  # outside IPython there is no display to describe figures for
        shell.display_formatter.mimebundle_formatter.for_type(Figure, _described_chart)
        warnings.filterwarnings("ignore", message=_MISSING_GLYPH)  # the chart's note says it


#: matplotlib's warning of a character no font has a glyph for, one per character drawn as a
#: box (without `smk.plots.LAST_RESORT`: matplotlib before 3.11, or its fallback turned off).
_MISSING_GLYPH = r"Glyph \d+ \(.*\) missing from font\(s\)"
#: Whether this kernel's page has said that its charts draw characters as boxes (once a page).
_undrawable_noted = False


def _described_chart(fig) -> tuple[dict, dict]:
    """`describe_charts`' bundle of `fig`: no data of its own (the backend's formatters render
    the image, once) and the alt text as the output's top-level metadata, where nbconvert's
    `get_metadata(output, "alt", mimetype)` finds it for any image type (a retina PNG's own
    metadata, its size, would replace an ``alt`` kept under ``image/png``)."""
    from smk.plots import chart_alt

    _note_undrawable(fig)
    return {}, {"alt": chart_alt(fig)}


def _note_undrawable(fig) -> None:
    """Print the note of labels the chart's fonts cannot draw (`smk.plots.undrawable_note`)
    above the first chart of the page that has some, in place of matplotlib's warning of each
    character: once a page, which the note's "chart labels below" covers."""
    from smk import plots

    global _undrawable_noted
    labels = [] if _undrawable_noted else plots.undrawable_labels(fig)
    if labels:
        _undrawable_noted = True
        print(plots.undrawable_note(labels, plots.undrawable_characters(fig)))
        _flush(sys.stdout)


def show_plain_warnings(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """`warnings.showwarning` for notebooks: the message alone, on stderr, in its place among
    the cell's prints (both streams flushed: the kernel sends each on a timer of its own, so
    a page could show the warning before a line printed ahead of it in one run, after it in
    the next)."""
    out = file or sys.stderr
    _flush(sys.stdout)
    print(f"warning: {message}", file=out)
    _flush(out)


def _flush(stream) -> None:
    """`stream.flush()` where there is a stream that can be flushed (none, or a closed one, is
    no reason for a warning to fail)."""
    with contextlib.suppress(AttributeError, ValueError, OSError):
        stream.flush()


#: The CSV exports each of smk's notebooks writes to its `output_dir`, by the notebook's name
#: (as in `metrics-<name>.json`): `write_exports` writes no others, and `output_folder` removes
#: them (with the metrics file) before a run, so that none is left from an earlier run.
EXPORTS: dict[str, tuple[str, ...]] = {
    "data_quality": ("data_quality.csv", "data_quality_reasons.csv", "data_quality_set_aside.csv"),
    "funnel_sla": (
        "funnel_sla_scorecard.csv",
        "funnel_month.csv",
        "funnel_cohorts.csv",
        "sla_by_month.csv",
        "sla_by_owner.csv",
        "sla_mql_leads.csv",
        "pipeline_by_month.csv",
        "marketing_mix.csv",
    ),
    "segmentation": (
        "segments.csv",
        "segment_profiles.csv",
        "rfm.csv",
        "segment_by_channel.csv",
        "segment_by_stage.csv",
    ),
    "lead_scoring": (
        "scored_leads.csv",
        "lead_score_quality.csv",
        "lead_score_deciles.csv",
        "lead_score_drift.csv",
        "lead_score_drivers.csv",
    ),
    "attribution": (
        "attribution.csv",
        "attribution_roi.csv",
        "attribution_intervals.csv",
        "attribution_paths.csv",
    ),
}


def output_folder(output_dir: str, notebook: str | None = None) -> Path:
    """The folder a notebook writes its metrics and exports to (made if need be).

    A published month (it holds the report's `manifest.json`) is refused: an executed
    notebook from `reports/YYYY-MM/` names its month as `output_dir`, and re-running it there
    would change the month's files under its published pages and the next month's inputs.
    So is a file (or a folder under one): a ValueError naming `output_dir`.

    Given the notebook's name (``"funnel_sla"``), its files from an earlier run into the same
    folder are removed first: `metrics-<name>.json` and its `EXPORTS`. A run that stops early
    (a `NoDataError`, a wrong parameter) so leaves no metrics or export of another month
    looking current; model files (`lead_scorer.*`, `segmentation-model.joblib`) stay.
    """
    folder = Path(resolve_path(output_dir))
    if (folder / "manifest.json").is_file():
        raise ValueError(
            f"output_dir {folder} is a published report month: re-run this notebook with "
            "another output_dir, so the published files stay as published. Set it in the "
            "injected-parameters cell (papermill's '# Parameters' cell, after the parameters "
            "cell: it sets smk report's values again), e.g. output_dir = 'rerun' there; a "
            "value set only in the parameters cell is set back by it"
        )
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        where = f"output_dir {folder}" + ("" if existing == folder else f": {existing}")
        raise ValueError(
            f"{where} is a file, not a folder; give output_dir a folder for the metrics and "
            "CSV exports (e.g. output_dir = 'build/notebooks')"
        )
    folder.mkdir(parents=True, exist_ok=True)
    if notebook is not None:
        for name in (f"metrics-{notebook}.json", *EXPORTS.get(notebook, ())):
            (folder / name).unlink(missing_ok=True)
    return folder


@dataclasses.dataclass(frozen=True)
class Exports:
    """What `write_exports` did: the CSV files it wrote, and the exports it left out because
    their section had no data (an earlier run's copy removed)."""

    written: tuple[Path, ...]
    left_out: tuple[str, ...]

    def line(self, metrics: Path) -> str:
        """What a notebook's outputs cell prints: "wrote metrics-funnel_sla.json and 7 CSV
        exports; marketing_mix.csv not written, as its section has no data (...)"."""
        text = f"wrote {metrics.name} and {counted(len(self.written), 'CSV export')}"
        if not self.left_out:
            return text
        one = len(self.left_out) == 1
        return (
            f"{text}; {listed(list(self.left_out))} not written, as "
            f"{'its section has' if one else 'their sections have'} no data "
            f"({'no copy is' if one else 'no copies are'} kept from an earlier run)"
        )


def write_exports(out: Path, notebook: str, tables: dict[str, pd.DataFrame | None]) -> Exports:
    """Write a notebook's CSV exports (`smk.outputs.export_csv`): file name -> table, None
    for an export whose section had no data (`optional`), which is not written and whose
    file from an earlier run is removed, so that it does not pass for this run's.

    For one of smk's notebooks (`EXPORTS`), a file name that is not among its exports is a
    ValueError: `output_folder` removes exactly those before a run.
    """
    known = EXPORTS.get(notebook)
    unknown = sorted(set(tables) - set(known)) if known is not None else []
    if unknown:
        raise ValueError(
            f"{notebook} writes no {', '.join(unknown)}: add it to smk.notebooks.EXPORTS"
        )
    written, left_out = [], []
    for name, table in tables.items():
        if table is None:
            (out / name).unlink(missing_ok=True)
            left_out.append(name)
        else:
            written.append(export_csv(table, out, name))
    return Exports(tuple(written), tuple(left_out))


def optional(compute, *args, **kwargs):
    """`compute(*args, **kwargs)`, or None when the data hold nothing for it (`NoDataError`).

    The reason is printed where the section's result would be: one optional section without
    data (no deal closed yet in a young CRM) must not take the rest of the page with it.
    """
    try:
        return compute(*args, **kwargs)
    except NoDataError as exc:
        print(f"Not enough data for this section: {exc}")
        return None


def show_sections(sections: list[tuple[str, pd.DataFrame, str]], empty: str) -> None:
    """Display each (heading, table, note) of `sections` (`smk.quality.set_aside_sections`):
    the heading in bold, the table as the page shows tables (`as_table`), the note below it;
    the sentence `empty` when there is no section."""
    import html

    from IPython.display import HTML, display

    if not sections:
        print(empty)
    for heading, table, note in sections:
        display(HTML(f"<p><strong>{html.escape(heading)}</strong></p>"))
        display(as_table(table, label="row"))  # the export's row: where to look
        if note:
            display(HTML(f"<p>{html.escape(note)}</p>"))


class _WholeValues(pd.DataFrame):
    """A table whose display shows every value whole, for `provenance`: pandas cuts a cell
    at `display.max_colwidth` (50 characters, "..."), so long parameters (`models`, `fx_rates`)
    showed cut. It is shown as every table of a page (`as_table`: headers in words, no row
    numbers); its HTML is pandas' own (`to_html`, which escapes the text)."""

    def _repr_html_(self) -> str:
        return as_table(pd.DataFrame(self))._repr_html_()

    def __repr__(self) -> str:
        return repr(as_table(pd.DataFrame(self)))


@checked_tables
def provenance(crm: CRM, parameters: dict) -> pd.DataFrame:
    """What produced this notebook's numbers: versions, data source, parameters, run time,
    every value shown whole on the page (not cut at pandas' 50 characters).

    Run by `smk report` (on its Parquet cache of the export), the data parameters shown are
    those of the export, as the published notebook names them and a re-run reads them
    (`data_path`, `data_format`, `read_options`), never the cache, which is deleted after
    the run. For a report on a Parquet model of one's own, they name that model (the data
    source row, the model's own record, names the export it was made from). A `month` of
    ``latest`` is shown with the month it resolved to: "2026-10 (latest)".
    """
    from importlib.metadata import version

    import numpy as np

    parameters, cached = _as_published(parameters)
    if is_latest(parameters.get("month")):
        parameters = {**parameters, "month": _latest_shown(crm, parameters["month"])}
    rows = {
        "smk": smk.__version__,
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "scikit-learn": version("scikit-learn"),  # lead scoring's figures change with it
        "data source": display_path(crm.source),
        "data format": crm.format,
        **(
            {"read via": "smk report's validated Parquet copy of the data source"} if cached else {}
        ),
        "run at (UTC)": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        **{f"parameter {k}": v for k, v in parameters.items()},
    }
    return _WholeValues({"item": list(rows), "value": [str(v) for v in rows.values()]})


def _latest_shown(crm: CRM, month: str) -> str:
    """A `month` of ``latest`` as `provenance` shows it, with the month it stands for
    ("2026-10 (latest)", as `smk report` resolves it before the run); as given when the export
    covers no full month (the notebook stopped at `periods.resolve_month`)."""
    try:
        return f"{resolve_month(crm, month)} (latest)"
    except ValueError:
        return month


def _as_published(parameters: dict) -> tuple[dict, bool]:
    """`parameters` with the export's data parameters in place of `smk report`'s cache (from
    the cache's `REPORT_SOURCE`), and whether they were replaced."""
    if parameters.get("data_format") != "parquet" or not parameters.get("data_path"):
        return parameters, False
    export = _report_source(parameters["data_path"])
    if export is None:
        return parameters, False  # a Parquet model of one's own: shown as given
    shown = {k: export[k] for k in ("data_path", "data_format", "read_options") if k in export}
    return {k: shown.get(k, v) for k, v in parameters.items()}, True


def _report_source(data_path: str) -> dict | None:
    """What `smk report` wrote next to its Parquet cache at `data_path` (`REPORT_SOURCE`), or
    None: a Parquet model of one's own has no such file."""
    try:
        source = json.loads(
            (Path(resolve_path(data_path)) / REPORT_SOURCE).read_text(encoding="utf-8")
        )
    except (OSError, ValueError):
        return None
    return source if isinstance(source, dict) else None


def refresh(paths: list[Path] | None = None, timeout: int = 600) -> list[Path]:
    """Re-execute notebooks in place (their parameters' defaults: the bundled sample).

    Run after an intended change (`make notebooks`), so the stored outputs that nbval compares
    are the new ones.
    """
    import nbformat
    from nbclient import NotebookClient

    from smk.report import discover_notebooks, ensure_kernel, kernel_manager_class

    kernel = ensure_kernel()
    done = []
    for path in paths or discover_notebooks():
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name=kernel,
            kernel_manager_class=kernel_manager_class(),
            record_timing=False,  # keeps re-runs from rewriting every cell's metadata in git
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        nb.metadata["kernelspec"] = {
            "name": kernel,
            "display_name": "Python (smk)",
            "language": "python",
        }
        nbformat.write(nb, path)
        done.append(path)
        print(f"refreshed {path}", file=sys.stderr)
    return done


def main(argv: list[str] | None = None) -> int:
    """`python -m smk.notebooks [NOTEBOOK ...]` (`make notebooks`): refresh stored outputs."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m smk.notebooks",
        description="Re-execute notebooks in place on the bundled sample (all when none given).",
    )
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebook files (default: all)")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.notebooks if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    refresh(args.notebooks or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())


#: Parameters that say where a notebook writes, not what produced its numbers: left out of
#: `parameters` (under `smk report`, `output_dir` is a temporary folder, deleted after the run).
NOT_PROVENANCE = frozenset({"output_dir"})


def _report_check(name: str):
    """`smk report --params`'s own check of the setting `name` (`smk.report`), run on a value."""

    def check(value) -> None:
        from smk.report import _SETTING_CHECKS

        _SETTING_CHECKS[name](value)

    return check


def check_file_parameter(name: str, value: str | None) -> None:
    """A parameter naming a file to read (`segments_csv`, `channel_groups`; relative: the
    project root, as the notebooks read it) names a file the notebook can read, by
    `smk report --params`'s rule for the same setting (`smk.report._check_file_setting`: read
    with the notebook's own reader; empty or None is none). A ValueError naming the parameter
    otherwise."""
    from smk.report import _check_file_setting

    if value and "://" not in str(value):
        value = resolve_path(value)
    _check_file_setting(name, value, f"is read from the project root, {config.ROOT}")


#: Parameters `parameters` checks before the data is read, each by the rule the notebook
#: applies later (a wrong `mix_months` failed at the marketing mix, after the rest of the
#: page had run, naming `months`): `seed` and `mix_months` as `smk report --params` checks
#: them (same message; a seed out of range failed deep inside scikit-learn or numpy),
#: `owner_labels` by `smk.sla.check_owner_mode`, `pipelines` by `smk.model.check_pipelines`
#: (whether the export has them is `open_crm`'s to say), the files a notebook reads by
#: `check_file_parameter`.
PARAMETER_CHECKS = {
    "seed": check_seed,
    "mix_months": _report_check("mix_months"),
    "owner_labels": _report_check("owner_labels"),
    "pipelines": _report_check("pipelines"),
    "segments_csv": functools.partial(check_file_parameter, "segments_csv"),
    "channel_groups": functools.partial(check_file_parameter, "channel_groups"),
}


def _check_parameter(name: str, value) -> None:
    """`PARAMETER_CHECKS[name]` on `value`; its TypeError / ValueError names the parameter."""
    try:
        PARAMETER_CHECKS[name](value)
    except (TypeError, ValueError) as exc:
        if str(exc).startswith(name):
            raise
        raise type(exc)(f"{name}: {exc}") from None


def parameters(namespace: dict) -> dict:
    """A notebook's parameters with the values they hold, for `provenance`: every name its
    `parameters` cell declares with a type (``month: str = "2026-10"``), in the cell's order,
    from `namespace` (the notebook's ``globals()``, where papermill's injected values have
    replaced the defaults), but `NOT_PROVENANCE`. The parameters are so listed once, in their
    cell: call it in the cell after them, before any cell could reuse a name.

    A name annotated in a later cell counts too (the notebooks annotate nothing else). No
    annotated name at all is a ValueError: the parameters cell must declare each parameter
    with its type. The parameters of `PARAMETER_CHECKS` (``seed``, ``mix_months``,
    ``owner_labels``, ``pipelines``, ``segments_csv``, ``channel_groups``) are checked here, before the data
    is read: a TypeError / ValueError naming the parameter (``seed`` and ``mix_months`` worded
    as ``smk report --params`` words them); so are ``fx_rates`` and ``reporting_currency``
    together (`_check_money`), their currency codes first read in any case, in `namespace`
    too, as a params file's are (`_currency_parameters`: ``-p reporting_currency eur`` is EUR).
    """
    names = namespace.get("__annotations__") or {}
    # in the order the cell gives them values: a name typed on a line of its own ahead of
    # its value (02's `n_segments: str | int`, docs/notebooks.md) is listed where its value is
    found = {name: value for name, value in namespace.items() if name in names}
    if not found:
        raise ValueError(
            "no parameters found: declare each parameter in the notebook's parameters cell with "
            'its type (month: str = "2026-10"), and pass globals()'
        )
    for name in PARAMETER_CHECKS:
        if name in found:
            _check_parameter(name, found[name])
    found |= _currency_parameters(namespace, found)
    _check_money(found)
    return {name: value for name, value in found.items() if name not in NOT_PROVENANCE}


def _currency_parameters(namespace: dict, found: dict) -> dict:
    """`reporting_currency` and the keys of `fx_rates` among `found` read in any case, as a
    params file's are (`smk.sla.currency_settings`: `-p reporting_currency eur` is EUR), also
    in `namespace` (the notebook's ``globals()``), where the notebook's later cells read them;
    the others are left as they are. Two keys of `fx_rates` naming one currency: ValueError."""
    from smk.sla import currency_settings

    given = {name: found[name] for name in ("reporting_currency", "fx_rates") if name in found}
    read = currency_settings(given)
    namespace.update(read)
    return read


def _check_money(found: dict) -> None:
    """`fx_rates` with the `reporting_currency` beside it (01, 02, 04) by the rule
    `smk report --params` applies to them (`smk.sla.check_fx_rates`): rates that leave the
    reporting currency out are refused before the data is read, not published under the wrong
    currency's name. Rates that are no mapping are left to the notebook (a user's notebook
    may mean something else by the name; smk's refuse them where they convert)."""
    if isinstance(found.get("fx_rates"), Mapping):
        from smk.sla import check_fx_rates

        check_fx_rates(found["fx_rates"], found.get("reporting_currency"))
