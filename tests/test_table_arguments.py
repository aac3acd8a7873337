"""The whole model where a table is expected, or a table where the model is: an analyst passing
`crm.deals` for `crm` got ``'DataFrame' object has no attribute 'contacts'`` or a KeyError from
deep inside pandas. Every public function of the analysis modules says at the call what to pass
(`smk.checks.checked_tables`)."""

from __future__ import annotations

import importlib
import inspect
import pickle

import pandas as pd
import pytest

import smk
from smk.checks import _annotated_kind, checked_tables

MODULES = [
    "smk.funnel", "smk.sla", "smk.periods", "smk.segmentation", "smk.scorecard", "smk.quality",
    "smk.outputs", "smk.attribution.journeys", "smk.attribution.models", "smk.attribution.money",
    "smk.attribution.paths", "smk.attribution.uncertainty", "smk.scoring.deploy",
    "smk.scoring.evaluation", "smk.scoring.explain", "smk.scoring.features", "smk.scoring.model",
    "smk.scoring.rules",
]  # fmt: skip


def _public_functions():
    for name in MODULES:
        module = importlib.import_module(name)
        for attribute, function in vars(module).items():
            if (
                not attribute.startswith("_")
                and inspect.isfunction(function)
                and function.__module__ == name
            ):
                yield function


def _parameters(kind: str) -> list:
    """(function, parameter name) for every parameter annotated as a CRM ("crm") or a table
    ("table") of the public functions of `MODULES`."""
    found = []
    for function in _public_functions():
        for parameter in inspect.signature(function).parameters.values():
            annotated = _annotated_kind(parameter.annotation)
            if annotated and annotated[0] == kind:
                found.append(pytest.param(function, parameter.name, id=_where(function)))
    return found


def _where(function) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def _call(function, wrong: str, value) -> None:
    """Call `function` with `value` for parameter `wrong`, the right kind of argument for
    every other CRM or table parameter and None for any other one it needs."""
    crm, table = smk.CRM(), pd.DataFrame({"contact_id": ["c1"]})
    kwargs = {}
    for parameter in inspect.signature(function).parameters.values():
        annotated = _annotated_kind(parameter.annotation)
        if parameter.name == wrong:
            kwargs[wrong] = value
        elif annotated:
            kwargs[parameter.name] = crm if annotated[0] == "crm" else table
        elif parameter.default is parameter.empty:
            kwargs[parameter.name] = None
    function(**kwargs)


CRM_PARAMETERS = _parameters("crm")
TABLE_PARAMETERS = _parameters("table")


def test_the_modules_have_both_kinds_of_parameter_to_check():
    """periods' `crm` parameters were not annotated; they are now, and so are checked."""
    names = {(p.values[0].__name__, p.values[1]) for p in CRM_PARAMETERS}
    assert {("latest_month", "crm"), ("mql_leads", "crm"), ("journeys", "crm")} <= names
    assert ("value_currency", "crm") in names and len(CRM_PARAMETERS) > 60
    assert len(TABLE_PARAMETERS) > 100


@pytest.mark.parametrize(("function", "name"), CRM_PARAMETERS)
def test_a_table_given_for_the_crm_says_to_pass_a_crm(function, name):
    deals = smk.CRM().deals
    with pytest.raises(TypeError) as raised:
        _call(function, name, deals)
    assert str(raised.value) == (
        f"{_where(function)}: {name} must be an smk.CRM (smk.load(path) returns one), got a "
        "pandas DataFrame; to analyse a table on its own, make a model that holds it, e.g. "
        "smk.CRM(deals=table)"
    )


@pytest.mark.parametrize(("function", "name"), TABLE_PARAMETERS)
def test_the_crm_given_for_a_table_says_which_table_to_pass(function, name):
    with pytest.raises(TypeError) as raised:
        _call(function, name, smk.CRM())
    table = f"crm.{name}" if name in smk.model.TABLES else f"the table help({_where(function)})"
    assert str(raised.value).startswith(
        f"{_where(function)}: {name} must be a pandas DataFrame, got an smk.CRM; pass {table}"
    )
    assert str(raised.value).endswith(", not the whole model")


def test_the_table_named_like_a_crm_table_is_named_in_full():
    with pytest.raises(TypeError, match=r"contacts must be .* pass crm\.contacts, not the whole"):
        smk.funnel.funnel_counts(smk.CRM(), "2026-10")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "None (NoneType)"),
        ("data/hubspot", "'data/hubspot' (str)"),
        (["c1"], "['c1'] (list)"),
    ],
)
def test_something_else_is_shown_as_given(value, shown):
    with pytest.raises(TypeError) as raised:
        smk.sla.mql_leads(value, smk.sla.SLA(), as_of="2026-11-01")
    assert str(raised.value) == (
        f"smk.sla.mql_leads: crm must be an smk.CRM (smk.load(path) returns one), got {shown}"
    )


def test_none_is_taken_where_the_annotation_says_so():
    """`mql_leads(..., entries=None)`: an optional table given as None is no error."""
    assert smk.sla.mql_leads(smk.CRM(), smk.sla.SLA(), as_of="2026-11-01", entries=None).empty


def test_a_checked_function_keeps_its_name_signature_and_pickles():
    function = smk.funnel.funnel_counts
    assert function.__name__ == "funnel_counts" and function.__wrapped__.__name__ == "funnel_counts"
    assert inspect.signature(function) == inspect.signature(function.__wrapped__)
    assert "contacts" in inspect.signature(function).parameters
    assert pickle.loads(pickle.dumps(function)) is function


def test_a_function_with_nothing_to_check_is_refused_at_the_decorator():
    def nothing(frame: pd.Series, crm=None) -> None:
        pass

    with pytest.raises(TypeError, match="no parameter annotated as a CRM or table"):
        checked_tables(nothing)
