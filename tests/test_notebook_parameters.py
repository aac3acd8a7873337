"""Provenance lists every parameter a notebook ran with (`notebooks.parameters`), taken once
from its parameters cell: fx_rates, reporting_currency and models were left out by hand.

papermill reads every parameter of every notebook: its inference (`papermill --help-notebook`,
and its check of the names `-p` passes) reads annotations with a pattern that knows no
``str | int``, and skipped notebook 02's ``n_segments: str | int = "auto"``: a scheduled run
with ``-p n_segments 4`` logged "Passed unknown parameter"."""

from __future__ import annotations

import ast
import logging

import nbformat
import papermill as pm
import pytest

from smk import config, notebooks
from smk.report import as_declared, check_params, declared_parameters, discover_notebooks

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
