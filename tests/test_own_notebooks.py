"""An analyst's own notebook in `smk report --notebook-dir`: what the report refuses before
running it, and what fails the run rather than publish wrong or replaced figures.

* A notebook without a cell tagged `parameters`, or whose cell lacks `output_dir`, ran on its
  own defaults (the bundled sample, metrics written into the install) and was published as
  the user's export.
* `01_funnel_sla` and a copy `05_funnel_sla` both ran, and one's `metrics-funnel_sla.json`
  replaced the other's; a copy of a notebook that kept its short name in `output_folder` or
  `write_metrics` replaced or removed the other notebook's files (a removed one ended in "could
  not be finished: No such file or directory", which reads like a disk problem).
* The index compared a copy's tile with the previous month's tile of the same id of another
  page.
* A `metrics-<name>.json` that is no JSON object ended in "internal error ... a bug in smk"
  after every notebook ran; a KPI `format` of "percent" showed 0.25 as "0.25".
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from smk import config, periods
from smk.cli import main
from smk.outputs import read_metrics, write_metrics
from smk.report import check_params, discover_notebooks, write_month_index

SAMPLE = config.SAMPLE_HUBSPOT
PARAMS = """data_path: str = "data/sample/hubspot"
data_format: str = "auto"
month: str = "2026-10"
output_dir: str = "build/notebooks\""""
KERNEL = {"name": "smk", "display_name": "Python (smk)", "language": "python"}


def _notebook(folder: Path, name: str, code: str, params: str | None = PARAMS) -> Path:
    """`folder/name.ipynb`: a title, `params` in a cell tagged `parameters` (None: no such
    cell), then `code`."""
    folder.mkdir(exist_ok=True)
    cells = [new_markdown_cell(f"# {name}")]
    if params is not None:
        cells.append(new_code_cell(params, metadata={"tags": ["parameters"]}))
    cells.append(new_code_cell(code))
    path = folder / f"{name}.ipynb"
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": KERNEL}), path)
    return path


def _writes(name: str, folder_of: str | None = None, metrics_of: str | None = None) -> str:
    """A notebook's code: its output folder and metrics under `folder_of` and `metrics_of`
    (default: its own short name `name`), and an export `<name>.csv`."""
    return f"""import pandas as pd
from smk import notebooks, outputs
out = notebooks.output_folder(output_dir, {folder_of or name!r})
outputs.export_csv(pd.DataFrame({{"x": [1]}}), out, "{name}.csv")
outputs.write_metrics(out, {metrics_of or name!r}, {{"kpis": [
    {{"id": "n", "label": "N", "value": 1, "format": "int"}}]}})"""


def _report(out: Path, folder: Path, *extra: str) -> int:
    return main(
        ["report", "--data", str(SAMPLE), "--month", "2026-10", "--out", str(out), "--quiet"]
        + ["--notebook-dir", str(folder), *extra]
    )


def _last_line(out: Path) -> str:
    return (out / "smk-report.log").read_text(encoding="utf-8").splitlines()[-1]


# ------------------------------------------------------------------ refused before running
def test_a_notebook_without_the_four_parameters_is_refused_before_anything_runs(tmp_path, capsys):
    folder = tmp_path / "notebooks"
    _notebook(folder, "05_untagged", "print(1)", params=None)
    _notebook(folder, "06_own_folder", "print(1)", PARAMS.rsplit("\n", 1)[0])
    out = tmp_path / "reports"
    assert _report(out, folder) == 2
    err = capsys.readouterr().err
    assert "05_untagged.ipynb has no cell tagged parameters" in err
    assert "06_own_folder.ipynb's parameters cell lacks output_dir:" in err
    assert "declares data_path, data_format, month, output_dir in a cell tagged parameters" in err
    assert not (out / "2026-10").exists()
    chosen = discover_notebooks(["own_folder"], folder)  # one alone is refused too
    with pytest.raises(ValueError, match=r"^06_own_folder\.ipynb's parameters cell lacks"):
        check_params(chosen, {}, discover_notebooks(None, folder))


def test_two_notebooks_of_one_short_name_are_refused(tmp_path, capsys):
    folder = tmp_path / "notebooks"
    for name in ("01_funnel_sla", "05_funnel_sla", "06_other"):
        _notebook(folder, name, "print(1)")
    out = tmp_path / "reports"
    assert _report(out, folder, "--notebooks", "funnel_sla") == 2
    assert (
        "notebooks 01_funnel_sla.ipynb and 05_funnel_sla.ipynb share the short name funnel_sla,"
        in capsys.readouterr().err
    )
    # run alone, the other still publishes into the month the two would share
    with pytest.raises(ValueError, match="share the short name funnel_sla"):
        check_params(discover_notebooks(["06_other"], folder), {}, discover_notebooks(None, folder))


# ------------------------------------------------------------------ failed after running
def test_a_copy_that_replaces_another_notebooks_files_fails_the_run(tmp_path, capsys):
    # a copy of 00 that kept `output_folder(output_dir, "data_quality")` and `write_metrics(
    # out, "data_quality", ...)`: its figures replaced 00's on the published month
    folder = tmp_path / "notebooks"
    _notebook(folder, "01_first", _writes("first"))
    _notebook(folder, "02_copy", _writes("copy", folder_of="first", metrics_of="first"))
    out = tmp_path / "reports"
    assert _report(out, folder) == 3
    expected = (
        "notebook 02_copy.ipynb replaced metrics-first.json, which 01_first.ipynb wrote in "
        "this run: a notebook writes only files of its own, under its own short name (copy: "
        '`notebooks.output_folder(output_dir, "copy")`, `outputs.write_metrics(out, "copy", '
        "...)`). The published report for 2026-10 was left untouched."
    )
    assert expected in capsys.readouterr().err
    assert expected in _last_line(out)
    assert not (out / "2026-10").exists()


def test_a_copy_that_removes_another_notebooks_files_fails_the_run_saying_so(tmp_path, capsys):
    # it failed as "could not be finished: No such file or directory: .../metrics-first.json",
    # which reads like a disk problem; and alone, a copy wrote the other's metrics file
    folder = tmp_path / "notebooks"
    _notebook(folder, "01_first", _writes("first"))
    _notebook(folder, "02_copy", _writes("copy", folder_of="first"))
    _notebook(folder, "03_metrics", _writes("metrics", metrics_of="first"))
    out = tmp_path / "reports"
    assert _report(out, folder, "--notebooks", "first", "copy") == 3
    err = capsys.readouterr().err
    assert (
        "notebook 02_copy.ipynb removed metrics-first.json, which 01_first.ipynb wrote in this "
        "run: a notebook writes only files of its own" in err
    )
    assert "No such file" not in err
    assert _report(out, folder, "--notebooks", "metrics") == 3
    assert (
        "notebook 03_metrics.ipynb wrote metrics-first.json, not its own metrics-metrics.json: "
        in capsys.readouterr().err
    )


def test_metrics_the_index_cannot_read_fail_the_run_naming_notebook_and_file(tmp_path, capsys):
    # an "internal error ... This is a bug in smk" (exit 1) after every notebook ran
    folder = tmp_path / "notebooks"
    _notebook(folder, "01_listed", 'open(f"{output_dir}/metrics-listed.json", "w").write("[1]")')
    out = tmp_path / "reports"
    assert _report(out, folder) == 3
    err = capsys.readouterr().err
    assert (
        "smk: report failed: notebook 01_listed.ipynb wrote metrics the report cannot read: "
        "metrics-listed.json is no JSON object" in err
    )
    assert "bug" not in err


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{kpis: [oops", "metrics-x.json is not JSON (Expecting property name"),
        ("[1, 2, 3]", "metrics-x.json is no JSON object"),
        ('{"kpis": ["a", {"id": "n"}]}', "metrics-x.json: its kpis must be a list of objects"),
        ('{"kpis": {"id": "n"}}', "metrics-x.json: its kpis must be a list of objects"),
    ],
)
def test_a_malformed_metrics_file_is_refused_naming_it(tmp_path, text, problem):
    (tmp_path / "metrics-x.json").write_text(text)
    with pytest.raises(ValueError) as refused:
        read_metrics(tmp_path)
    assert str(refused.value).startswith(problem)


def test_a_kpi_format_smk_does_not_know_is_refused_where_it_is_written(tmp_path):
    kpi = {"id": "share", "label": "Share", "value": 0.25, "format": "percent"}
    with pytest.raises(ValueError) as refused:
        write_metrics(tmp_path, "mine", {"kpis": [kpi]})
    from smk.outputs import KPI_FORMATS

    assert str(refused.value) == (
        "KPI 'share' has the format 'percent', which smk does not know: use one of "
        f"{', '.join(KPI_FORMATS)} (or none)"
    )
    assert not (tmp_path / "metrics-mine.json").exists()
    for fmt in (*KPI_FORMATS, None):
        write_metrics(tmp_path, "mine", {"kpis": [kpi | {"format": fmt}]})


# ------------------------------------------------------------------ the month's index
def test_a_tile_is_compared_with_its_own_pages_previous_month_only(tmp_path):
    # a copy's "Pipeline created" was compared with smk's page's figure of September
    tile = {"id": "pipeline", "label": "Pipeline created", "format": "int"}
    (tmp_path / "2026-09").mkdir()
    september = {"funnel_sla": {"kpis": [tile | {"value": 100}]}}
    (tmp_path / "2026-09" / "metrics.json").write_text(json.dumps(september))
    folder = tmp_path / "2026-10"
    write_metrics(folder, "funnel_sla", {"kpis": [tile | {"value": 110}]})
    write_metrics(folder, "funnel_newbiz", {"kpis": [tile | {"value": 50}]})
    context = {"month": "2026-10", "source": "x", "generated": "now", "version": "0"}
    page = write_month_index(folder, periods.as_month("2026-10"), [], context, tmp_path)
    found = re.findall(
        r'<div class="value">([^<]*)</div><div class="detail">(.*?)</div>', page.read_text()
    )
    assert [(value, html.unescape(detail)) for value, detail in found] == [
        ("50", "no previous month"),
        ("110", "+10 vs previous month"),
    ]


def test_a_notebook_named_twice_runs_once():
    """`--notebooks data_quality 00_data_quality` ran it twice, and the second run 'replaced
    the files 00_data_quality.ipynb wrote in this run': exit 3, blaming the notebook."""
    chosen = discover_notebooks(["data_quality", "00_data_quality.ipynb", "00_data_quality"])
    assert chosen == [config.NOTEBOOKS_DIR / "00_data_quality.ipynb"]
    both = discover_notebooks(["attribution", "data_quality", "04_attribution"])
    assert [p.name for p in both] == ["04_attribution.ipynb", "00_data_quality.ipynb"]


@pytest.mark.parametrize(
    "params",
    [
        'data_path, data_format = "data/sample/hubspot", "auto"\nmonth = "2026-10"\n'
        'output_dir = "build"',
        'data_path = output_dir = "build"\ndata_format: str = "auto"; month = "2026-10"',
        '[data_path, data_format] = ["x", "auto"]\n(month, output_dir) = ("2026-10", "build")',
    ],
)
def test_parameters_declared_in_any_form_papermill_overrides_pass(tmp_path, params):
    """A tuple or chained assignment in the parameters cell (which papermill's own reading
    leaves out) was refused as lacking the parameters it declares; papermill sets them."""
    folder = tmp_path / "notebooks"
    path = _notebook(folder, "05_forms", "print(1)", params)
    check_params([path], {}, [path])
    with pytest.raises(ValueError, match="lacks output_dir"):
        check_params(
            [_notebook(folder, "06_lacks", "print(1)", "data_path, data_format, month = 1, 2, 3")],
            {},
        )
