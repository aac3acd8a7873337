"""Provenance lists every parameter a notebook ran with (`notebooks.parameters`), taken once
from its parameters cell: fx_rates, reporting_currency and models were left out by hand."""

from __future__ import annotations

import nbformat
import pytest

from smk import config, notebooks
from smk.report import declared_parameters

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
