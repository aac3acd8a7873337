"""Provenance lists every parameter a notebook ran with (`notebooks.parameters`), taken once
from its parameters cell: fx_rates, reporting_currency and models were left out by hand.

papermill reads every parameter of every notebook: its inference (`papermill --help-notebook`,
and its check of the names `-p` passes) reads annotations with a pattern that knows no
``str | int``, and skipped notebook 02's ``n_segments: str | int = "auto"``: a scheduled run
with ``-p n_segments 4`` logged "Passed unknown parameter"."""

from __future__ import annotations

import ast
import json
import logging
import re

import nbformat
import papermill as pm
import pytest

from smk import config, notebooks
from smk.report import (
    as_declared,
    check_params,
    declared_parameters,
    discover_notebooks,
    read_params,
)

# the notebooks that take their provenance from `notebooks.parameters` (00 and 01: the lead's),
# with parameters their provenance left out or that change the numbers, to give them
NOTEBOOKS = {
    "02_segmentation.ipynb": {"fx_rates": {"EUR": 1.0, "USD": 0.5}, "reporting_currency": "USD"},
    "03_lead_scoring.ipynb": {"capacity_per_month": 30, "model": "logistic"},
    "04_attribution.ipynb": {"fx_rates": {"EUR": 1.0, "USD": 0.5}, "models": ["linear"]},
}


def _run_setup(notebook: str, injected: dict) -> dict:
    """A notebook's parameters cell, `injected` after it (as papermill does) and its setup cell
    (the first code cell after them), run in a fresh namespace; the namespace."""
    cells = [c for c in nbformat.read(config.NOTEBOOKS_DIR / notebook, as_version=4).cells]
    code = [c for c in cells if c.cell_type == "code"]
    at = next(i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", []))
    namespace: dict = {}
    for source in (code[at].source, "\n".join(f"{k} = {v!r}" for k, v in injected.items())):
        exec(compile(source, notebook, "exec"), namespace)
    exec(compile(code[at + 1].source, notebook, "exec"), namespace)
    return namespace


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("notebook", list(NOTEBOOKS))
def test_each_notebook_gives_provenance_every_parameter_with_its_value(tmp_path, notebook):
    injected = {"output_dir": str(tmp_path / "out"), **NOTEBOOKS[notebook]}
    namespace = _run_setup(notebook, injected)
    given = namespace["given"]
    declared = declared_parameters(config.NOTEBOOKS_DIR / notebook)
    assert set(given) == declared - notebooks.NOT_PROVENANCE == declared - {"output_dir"}
    assert {k: given[k] for k in injected if k != "output_dir"} == NOTEBOOKS[notebook]
    source = "".join(
        c.source for c in nbformat.read(config.NOTEBOOKS_DIR / notebook, as_version=4).cells
    )
    assert "notebooks.provenance(crm, given" in source or "{**given" in source


def test_parameters_reads_the_annotated_names_of_a_namespace():
    namespace: dict = {}
    cell = 'month: str = "2026-10"\noutput_dir: str = "out"\nseed: int = 0\nother = 5'
    exec(cell + '\nmonth = "2026-09"', namespace)  # a value papermill injected
    assert notebooks.parameters(namespace) == {"month": "2026-09", "seed": 0}
    with pytest.raises(ValueError, match="declare each parameter .* with its type"):
        notebooks.parameters({"month": "2026-10"})


def test_parameters_are_listed_in_the_order_of_their_values():
    """Notebook 02 types `n_segments` on a line of its own at the top of its cell (papermill
    cannot read `str | int`): provenance listed it first, ahead of data_path."""
    namespace: dict = {}
    source = 'n: str | int\ndata_path: str = "x"\nmonth: str = "2026-10"\nn = "auto"\n'
    exec(compile(source, "cell", "exec", dont_inherit=True), namespace)
    assert list(notebooks.parameters(namespace)) == ["data_path", "month", "n"]


# ------------------------------------------------------------------ papermill's reading
SEGMENTATION = config.NOTEBOOKS_DIR / "02_segmentation.ipynb"


def _parameters_cell(path) -> str:
    nb = nbformat.read(path, as_version=4)
    return next(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", []))


def _assigned(source: str) -> dict[str, ast.expr]:
    """The names a parameters cell assigns a value to (`a = 1`, `a: int = 1`), with the value."""
    values = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            values[node.target.id] = node.value
        elif isinstance(node, ast.Assign):
            values.update({t.id: node.value for t in node.targets if isinstance(t, ast.Name)})
    return values


@pytest.mark.parametrize("path", sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")), ids=lambda p: p.name)
def test_papermill_reads_every_parameter_a_notebook_assigns_with_its_value(path):
    assigned = _assigned(_parameters_cell(path))
    inferred = pm.inspect_notebook(str(path))
    assert assigned and set(inferred) == set(assigned)
    for name, value in assigned.items():  # the default papermill shows is the cell's value
        assert ast.literal_eval(inferred[name]["default"]) == ast.literal_eval(value), name
    # and its help: a value wrapped in parentheses over several lines loses its comment
    assert [name for name, spec in inferred.items() if not spec["help"]] == []


def test_papermill_lists_n_segments_with_its_type_default_and_help():
    inferred = pm.inspect_notebook(str(SEGMENTATION))
    spec = inferred["n_segments"]
    assert (spec["default"], spec["inferred_type_name"]) == ('"auto"', "str|int")
    assert spec["help"] == 'number of account segments, or "auto" (chosen from the data)'
    assert all(p["help"] for p in inferred.values())  # data_path's was lost in parentheses


def test_a_run_given_n_segments_passes_no_unknown_parameter(tmp_path, caplog):
    out = tmp_path / "02.ipynb"
    with caplog.at_level(logging.WARNING, logger="papermill"):
        pm.execute_notebook(
            str(SEGMENTATION), str(out), parameters={"n_segments": 4}, prepare_only=True
        )
    assert "unknown parameter" not in caplog.text
    # the parameters cell and papermill's injected cell, run: 4, annotated "str | int"
    nb = nbformat.read(out, as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    namespace: dict = {}
    source = _parameters_cell(SEGMENTATION) + "\n" + injected.source
    exec(compile(source, "cell", "exec", dont_inherit=True), namespace)  # as a kernel runs it
    assert namespace["__annotations__"]["n_segments"] == str | int
    assert notebooks.parameters(namespace)["n_segments"] == 4


def test_smk_report_reads_n_segments_as_auto_or_a_whole_number():
    segmentation = discover_notebooks(["segmentation"])
    for value in ("auto", 4, 4.0):
        check_params(segmentation, {"notebooks": {"segmentation": {"n_segments": value}}})
    cell = {"n_segments": pm.inspect_notebook(str(SEGMENTATION))["n_segments"]}
    assert as_declared({"n_segments": 4.0}, cell) == {"n_segments": 4}  # as an int
    assert as_declared({"n_segments": "auto"}, cell) == {"n_segments": "auto"}
    refused = {
        "4": r"n_segments must be 'auto' or a whole number, got '4'",  # as for any int setting
        None: r"n_segments must be of type str\|int like its default .*, got None",
    }
    for value, message in refused.items():
        with pytest.raises(ValueError, match=message):
            check_params(segmentation, {"notebooks": {"segmentation": {"n_segments": value}}})


# ------------------------------------------------------------------ the seed, checked up front
@pytest.mark.parametrize(
    "notebook, seed, error",
    [
        ("03_lead_scoring.ipynb", -1, ValueError),
        ("03_lead_scoring.ipynb", 2**32, ValueError),
        ("02_segmentation.ipynb", -1, ValueError),
        ("02_segmentation.ipynb", "abc", TypeError),
    ],
)
def test_a_bad_seed_is_refused_naming_it_before_the_data_is_read(tmp_path, notebook, seed, error):
    """Under papermill a bad seed failed deep in scikit-learn / numpy ("The 'random_state'
    parameter of HistGradientBoostingClassifier must be ...", "'abc' cannot be used to seed a
    numpy.random.RandomState instance"), after the data was read and models fitted."""
    injected = {"output_dir": str(tmp_path / "out"), "data_path": str(tmp_path / "missing")}
    with pytest.raises(error, match=r"^seed must be an integer from 0 to 4294967295, got "):
        _run_setup(notebook, {**injected, "seed": seed})  # the data is never looked for


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_the_notebooks_say_what_smk_report_says_of_a_bad_seed(seed):
    with pytest.raises(ValueError) as by_report:
        check_params(
            discover_notebooks(["segmentation"]), {"notebooks": {"segmentation": {"seed": seed}}}
        )
    with pytest.raises(ValueError) as by_notebook:
        notebooks.parameters({"__annotations__": {"seed": int}, "seed": seed})
    assert str(by_report.value).endswith(": " + str(by_notebook.value))
    assert notebooks.parameters({"__annotations__": {"seed": int}, "seed": 2**32 - 1})


# ------------------------------------------------------------------ checked at the top
@pytest.mark.parametrize(
    "notebook, given, error, message",
    [
        ("01_funnel_sla.ipynb", {"mix_months": 0}, ValueError, "mix_months must be an integer"),
        ("01_funnel_sla.ipynb", {"mix_months": "12"}, TypeError, "mix_months must be an integer"),
        ("01_funnel_sla.ipynb", {"owner_labels": "names"}, ValueError, "owner_labels: owner mode"),
        ("01_funnel_sla.ipynb", {"segments_csv": "nope.csv"}, ValueError, "segments_csv: no such"),
        ("04_attribution.ipynb", {"channel_groups": "no.yaml"}, ValueError, "channel_groups: no "),
    ],
)
def test_a_bad_parameter_is_refused_naming_it_before_the_data_is_read(
    tmp_path, notebook, given, error, message
):
    """In a kernel, `mix_months=0` failed at notebook 01's last section, after the rest of the
    page had run, naming `months`; `owner_labels="names"` said "owner mode" only."""
    injected = {"output_dir": str(tmp_path / "out"), "data_path": str(tmp_path / "missing")}
    with pytest.raises(error, match=f"^{message}"):
        _run_setup(notebook, {**injected, **given})  # the data is never looked for


def test_a_channel_groups_file_journeys_would_refuse_is_refused_before_the_data_is_read(tmp_path):
    """Notebook 04 read its channel_groups file only when it built the journeys, after the
    data was read: a group 'Paid > Search' failed there, in a report after two minutes."""
    groups = tmp_path / "groups.yaml"
    groups.write_text("Paid > Search: [paid_search]\n")
    injected = {"output_dir": str(tmp_path / "out"), "data_path": str(tmp_path / "missing")}
    with pytest.raises(ValueError) as refused:
        _run_setup("04_attribution.ipynb", {**injected, "channel_groups": str(groups)})
    assert str(refused.value) == (
        f"channel_groups {groups}: group name 'Paid > Search' contains the path separator "
        "' > ', which joins a journey's channels into its path; rename the group"
    )


@pytest.mark.parametrize("notebook", ["01_funnel_sla.ipynb", "02_segmentation.ipynb"])
def test_the_notebooks_refuse_rates_without_the_reporting_currency_as_smk_report_does(
    tmp_path, notebook
):
    """Rates in USD under the default reporting currency EUR: the page showed USD figures
    labelled EUR. Refused, naming both, before the data is read, as `smk report --params`
    refuses them (one rule: `smk.sla.check_fx_rates`)."""
    rates = {"fx_rates": {"USD": 1.0, "CAD": 0.73}}
    injected = {"output_dir": str(tmp_path / "out"), "data_path": str(tmp_path / "missing")}
    with pytest.raises(ValueError) as by_notebook:
        _run_setup(notebook, {**injected, **rates})  # the data is never looked for
    assert "reporting currency EUR (reporting_currency)" in str(by_notebook.value)
    name = notebook[3:].removesuffix(".ipynb")
    with pytest.raises(ValueError) as by_report:
        check_params(discover_notebooks([name]), rates)
    said = f"the params file: fx_rates (for notebook {name}): {by_notebook.value}"
    assert str(by_report.value) == said  # the setting as the file writes it: at its top
    cell = {"__annotations__": {"fx_rates": dict, "reporting_currency": str}}
    for good in ({**rates, "reporting_currency": "USD"}, {"fx_rates": {"USD": 1.0, "EUR": 1.2}}):
        assert notebooks.parameters({**cell, "reporting_currency": "EUR", **good})
    assert notebooks.parameters(
        {"__annotations__": {"fx_rates": dict}, **rates}
    )  # no reporting_currency


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("notebook", ["01_funnel_sla.ipynb", "02_segmentation.ipynb"])
def test_the_notebooks_read_currency_codes_in_any_case_as_a_params_file_does(tmp_path, notebook):
    """`-p reporting_currency usd` was refused ("Add usd to fx_rates ... or set
    reporting_currency: USD"), and rates keyed `usd` left USD deals without a rate, though a
    params file's `reporting_currency: usd` is USD: one rule now (`sla.currency_settings`),
    whose codes the notebook's later cells and its provenance get."""
    text = "reporting_currency: usd\nfx_rates: {Eur: 1.087, usd: 1.0, kr: 0.1}\n"
    params = tmp_path / "params.yaml"
    params.write_text(text, encoding="utf-8")
    as_read = read_params(params)
    assert as_read == {
        "reporting_currency": "USD",
        "fx_rates": {"EUR": 1.087, "USD": 1.0, "kr": 0.1},
    }
    given = {"reporting_currency": "usd", "fx_rates": {"Eur": 1.087, "usd": 1.0, "kr": 0.1}}
    namespace = _run_setup(notebook, {"output_dir": str(tmp_path / "out"), **given})  # sample
    assert {key: namespace[key] for key in given} == as_read  # what the later cells read
    assert {key: namespace["given"][key] for key in given} == as_read  # the provenance


@pytest.mark.parametrize(
    "given",
    [
        {"fx_rates": {"eur": 1.0, "EUR": 1.0, "usd": 0.92}},  # one currency twice
        {"reporting_currency": "usd ", "fx_rates": {"USD": 1.0}},  # spaces around
        {"reporting_currency": "euro"},  # no rate for it
    ],
)
def test_the_notebooks_refuse_a_currency_code_as_smk_report_does(tmp_path, given):
    """The refusals of the two ways to give the settings are one, but for where the params
    file writes them."""
    params = tmp_path / "params.yaml"
    params.write_text(json.dumps(given), encoding="utf-8")  # JSON is YAML
    with pytest.raises(ValueError) as by_report:
        check_params(discover_notebooks(["funnel_sla"]), read_params(params))
    cell = {"__annotations__": {"fx_rates": dict, "reporting_currency": str}}
    defaults = {"reporting_currency": "EUR", "fx_rates": {"EUR": 1.0, "USD": 0.92}}
    with pytest.raises(ValueError) as by_notebook:
        notebooks.parameters({**cell, **defaults, **given})
    said = str(by_report.value)
    assert said.startswith("the params file: ") and said.endswith(f": {by_notebook.value}")


def test_notebook_01_refuses_a_weekmask_naming_a_day_twice_as_smk_report_does(tmp_path):
    """Under papermill `-p weekmask "Mon Mon Tue Wed Thu"` was taken as four working days."""
    from test_report_precheck import TWICE, TWICE_REFUSED

    injected = {"output_dir": str(tmp_path / "out"), "weekmask": TWICE}
    with pytest.raises(ValueError) as refused:
        _run_setup("01_funnel_sla.ipynb", injected)  # the bundled sample
    assert str(refused.value) == TWICE_REFUSED


def test_segments_csv_is_read_from_the_project_root(tmp_path, monkeypatch):
    cell = {"__annotations__": {"segments_csv": str}}
    monkeypatch.setattr(config, "ROOT", tmp_path)
    (tmp_path / "segments.csv").write_text("contact_id,segment\n1,A\n")
    assert notebooks.parameters({**cell, "segments_csv": "segments.csv"})  # relative: the root
    assert notebooks.parameters({**cell, "segments_csv": ""})  # none
    with pytest.raises(ValueError, match=f"no such file {config.ROOT / 'nope.csv'} "):
        notebooks.parameters({**cell, "segments_csv": "nope.csv"})


def test_an_output_dir_that_is_a_file_is_refused_naming_it(tmp_path):
    """It failed with a bare `FileExistsError: [Errno 17] File exists: '.../drv.py'`."""
    file = tmp_path / "notes.txt"
    file.write_text("mine\n")
    with pytest.raises(ValueError, match=f"^output_dir {file} is a file, not a folder; give"):
        notebooks.output_folder(str(file))
    with pytest.raises(ValueError, match=f"^output_dir {file / 'sub'}: {file} is a file, not"):
        notebooks.output_folder(str(file / "sub"))
    assert file.read_text() == "mine\n"


# ------------------------------------------------------------------ what a run leaves
# every notebook's short name (as in metrics-<name>.json)
SHORT_NAMES = {path.name: path.stem[3:] for path in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))}


def _csv_names(notebook: str) -> set[str]:
    """The CSV file names a notebook's code names (its exports)."""
    cells = nbformat.read(config.NOTEBOOKS_DIR / notebook, as_version=4).cells
    return set(
        re.findall(r'"(\w+\.csv)"', "".join(c.source for c in cells if c.cell_type == "code"))
    )


@pytest.mark.parametrize("notebook", list(SHORT_NAMES))
def test_a_run_that_stops_early_leaves_none_of_its_earlier_files(tmp_path, notebook):
    """A run that stopped (a NoDataError for a month the export does not reach, here a missing
    export) left the metrics and CSVs of the earlier run in output_dir, for another month."""
    name, out = SHORT_NAMES[notebook], tmp_path / "out"
    out.mkdir()
    earlier = [f"metrics-{name}.json", *_csv_names(notebook)]
    assert len(earlier) > 3
    others = ["metrics-other.json", "other.csv", "lead_scorer.json", "segmentation-model.joblib"]
    for file in earlier + others:
        (out / file).write_text("an earlier run's\n")
    injected = {"output_dir": str(out), "data_path": str(tmp_path / "missing")}
    with pytest.raises((ValueError, FileNotFoundError), match="missing"):
        _run_setup(notebook, injected)
    assert sorted(p.name for p in out.iterdir()) == sorted(others)


@pytest.mark.parametrize("notebook", list(SHORT_NAMES))
def test_each_notebook_writes_its_exports_by_its_short_name(notebook):
    """`notebooks.EXPORTS` is what `output_folder` removes: each notebook names itself to both
    (`write_exports` refuses a file name not listed), and writes every export listed."""
    name = SHORT_NAMES[notebook]
    source = "".join(
        c.source for c in nbformat.read(config.NOTEBOOKS_DIR / notebook, as_version=4).cells
    )
    assert f'notebooks.output_folder(output_dir, "{name}")' in source
    assert f'notebooks.write_exports(out, "{name}", tables)' in source
    assert "export_csv" not in source
    for file in notebooks.EXPORTS[name]:
        assert f'"{file}":' in source, file
    assert set(notebooks.EXPORTS[name]) == _csv_names(notebook)


def test_an_export_without_data_is_not_written_and_its_earlier_file_removed(tmp_path):
    import pandas as pd

    (tmp_path / "marketing_mix.csv").write_text("an earlier run's\n")
    table = pd.DataFrame({"a": [1]})
    tables = {"funnel_sla_scorecard.csv": table, "marketing_mix.csv": None}
    exports = notebooks.write_exports(tmp_path, "funnel_sla", tables)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["funnel_sla_scorecard.csv"]
    assert exports.line(tmp_path / "metrics-funnel_sla.json") == (
        "wrote metrics-funnel_sla.json and 1 CSV export; marketing_mix.csv not written, as its "
        "section has no data (no copy is kept from an earlier run)"
    )
    with pytest.raises(ValueError, match="funnel_sla writes no mix.csv: add it to smk.notebooks"):
        notebooks.write_exports(tmp_path, "funnel_sla", {"mix.csv": table})


# ------------------------------------------------------------------ a published notebook
def _published(tmp_path):
    """Notebook 00 as `smk report` publishes it (papermill's injected-parameters cell after
    the parameters cell, output_dir the month) and its month folder."""
    month = tmp_path / "reports" / "2026-10"
    month.mkdir(parents=True)
    (month / "manifest.json").write_text("{}\n")
    path = tmp_path / "00_data_quality.ipynb"
    parameters = {"data_path": str(config.SAMPLE_HUBSPOT), "output_dir": str(month)}
    pm.execute_notebook(
        str(config.NOTEBOOKS_DIR / "00_data_quality.ipynb"), str(path), parameters=parameters,
        prepare_only=True,
    )  # fmt: skip
    return nbformat.read(path, as_version=4).cells, month


def _run_until_setup(cells) -> dict:
    """The parameters cell, papermill's injected cell and the setup cell, run in order."""
    namespace: dict = {}
    code = [c for c in cells if c.cell_type == "code"]
    for cell in code[:3]:
        exec(compile(cell.source, "cell", "exec", dont_inherit=True), namespace)
    return namespace


def _set_output_dir(cell, value: str) -> None:
    lines = cell.source.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("output_dir"))
    lines[at] = f"{lines[at].split('=')[0]}= {value!r}"  # as an analyst edits it
    cell.source = "\n".join(lines)


@pytest.mark.filterwarnings("ignore")
def test_a_published_notebook_says_where_to_change_output_dir_and_that_works(tmp_path):
    """Opened in JupyterLab, the refusal said "re-run this notebook with another output_dir":
    set in the parameters cell, papermill's injected-parameters cell after it set it back."""
    cells, month = _published(tmp_path)
    tags = [c.metadata.get("tags", []) for c in cells if c.cell_type == "code"][:2]
    assert tags == [["parameters"], ["injected-parameters"]]
    with pytest.raises(ValueError, match="is a published report month") as refused:
        _run_until_setup(cells)
    message = str(refused.value)
    assert "injected-parameters cell" in message and "output_dir = 'rerun'" in message
    parameters, injected = [c for c in cells if c.cell_type == "code"][:2]
    _set_output_dir(parameters, str(tmp_path / "rerun"))  # what did not work
    with pytest.raises(ValueError, match="is a published report month"):
        _run_until_setup(cells)
    _set_output_dir(injected, str(tmp_path / "rerun"))  # what the message says
    namespace = _run_until_setup(cells)
    assert namespace["out"] == tmp_path / "rerun" and str(namespace["report_month"]) == "2026-10"
    assert sorted(p.name for p in month.iterdir()) == ["manifest.json"]
