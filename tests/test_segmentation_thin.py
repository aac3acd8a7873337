"""Notebook 02 in a month before any contact: no "nan%" in the persona lines, and a sentence
instead of pandas' "Empty DataFrame" where the channel mix per segment would be."""

from __future__ import annotations

import ast
import contextlib
import io
from types import SimpleNamespace

import nbformat
import pandas as pd
import pytest

import smk
from smk import config, notebooks, outputs
from smk import segmentation as sg
from smk.periods import as_month

NOTEBOOK = config.ROOT / "notebooks" / "02_segmentation.ipynb"
#: The samples start on 2025-10-21: by the end of October there are accounts, no contacts yet.
EARLY = as_month("2025-10")
FX = {"EUR": 1.0, "USD": 0.92}  # the notebook's default rates


@pytest.fixture(scope="module")
def early() -> SimpleNamespace:
    """The sample by the end of its first month, its accounts in two segments."""
    crm = smk.load(config.SAMPLE_HUBSPOT)
    ids = crm.accounts["account_id"].sort_values(ignore_index=True)
    assignments = pd.DataFrame({"account_id": ids, "segment": ids.index % 2 + 1})
    return SimpleNamespace(crm=crm, assignments=assignments)


def _profiles(crm, assignments, as_of) -> pd.DataFrame:
    profiles = sg.persona_profiles(crm, assignments, as_of, fx_rates=FX, reporting_currency="EUR")
    profiles.insert(1, "persona", sg.name_personas(profiles))
    return profiles


def _run_cell(source: str, namespace: dict):
    """Run a notebook cell's code in `namespace`; the value of its last expression, if any."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, str(NOTEBOOK), "exec"), namespace)
    return (
        None if last is None else eval(compile(ast.Expression(last.value), "", "eval"), namespace)
    )


def _cell(marker: str) -> str:
    """The source of notebook 02's code cell that holds `marker`."""
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    (source,) = [c.source for c in cells if c.cell_type == "code" and marker in c.source]
    return source


def test_a_segment_without_contacts_says_so_instead_of_nan_percent(early):
    profiles = _profiles(early.crm, early.assignments, EARLY.end)
    assert profiles["conversion_rate"].isna().all()  # the case: no contact yet
    lines = sg.persona_lines(profiles)
    assert len(lines) == 2
    for line, row in zip(lines, profiles.itertuples(), strict=True):
        assert "nan" not in line.lower()
        assert line == (
            f"segment {row.segment}: {row.persona} | {row.accounts} accounts, "
            "0.0% of won revenue, no contacts"
        )


def test_persona_lines_keep_the_conversion_share_when_there_are_contacts(early):
    profiles = _profiles(early.crm, early.assignments, "2026-11-01")
    lines = sg.persona_lines(profiles)
    for line, row in zip(lines, profiles.itertuples(), strict=True):
        assert line.endswith(f"{row.conversion_rate:.1%} of contacts became customers")
        assert f"| {row.accounts} accounts, {row.share_of_revenue:.1%} of won revenue" in line


def test_notebook_02_prints_no_nan_percent_for_a_month_without_contacts(early):
    profiles = _profiles(early.crm, early.assignments, EARLY.end)
    namespace = {
        "seg": sg,
        "profiles": profiles,
        "model": SimpleNamespace(n_segments_=2),
        "run": SimpleNamespace(assignments=early.assignments),
        "linked": sg.unlinked_contacts(early.crm, early.assignments, EARLY.end),
    }
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        _run_cell(_cell("segment{plural} of"), namespace)
    assert "nan" not in printed.getvalue().lower()
    assert printed.getvalue().count("no contacts") == 2


def test_notebook_02_says_why_there_is_no_channel_mix_per_segment(early):
    namespace = {
        "seg": sg,
        "outputs": outputs,
        "notebooks": notebooks,
        "crm": early.crm,
        "run": SimpleNamespace(assignments=early.assignments),
        "as_of": EARLY.end,
        "report_month": EARLY,
    }
    shown = _run_cell(_cell("segment_by_channel("), namespace)
    assert namespace["by_channel"].columns.empty  # the case: no touch yet
    assert isinstance(shown, outputs.Note)
    assert "no marketing touch" in str(shown) and str(EARLY) in str(shown)
