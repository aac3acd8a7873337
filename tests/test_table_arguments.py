"""The whole model where a table is expected, or a table where the model is: an analyst passing
`crm.deals` for `crm` got ``'DataFrame' object has no attribute 'contacts'`` or a KeyError from
deep inside pandas. Every public function of the analysis modules says at the call what to pass
(`smk.checks.checked_tables`)."""

from __future__ import annotations

import importlib
import inspect
import pickle

import numpy as np
import pandas as pd
import pytest

import smk
from smk.checks import _annotated_kind, checked_tables

MODULES = [
    "smk.funnel",
    "smk.sla",
    "smk.periods",
    "smk.segmentation",
    "smk.scorecard",
    "smk.quality",
    "smk.outputs",
    "smk.attribution.journeys",
    "smk.attribution.models",
    "smk.attribution.money",
    "smk.attribution.paths",
    "smk.attribution.uncertainty",
    "smk.scoring.deploy",
    "smk.scoring.evaluation",
    "smk.scoring.explain",
    "smk.scoring.features",
    "smk.scoring.model",
    "smk.scoring.rules",
    "smk.attribution.reliability",
    "smk.attribution.rules",
    "smk.attribution.shapley",
    "smk.plots",
    "smk.presentation",
    "smk.notebooks",
    "smk.report",
    "smk.cli",
    "smk.io.canonical",
    "smk.io.hubspot",
    "smk.io.salesforce",
]  # fmt: skip (attribution.lookback's check reads only the journeys' counts of cut ones)


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
JOURNEYS_PARAMETERS = _parameters("journeys")


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
    advice = (
        "the data-quality account is the load's: pass the model smk.load(path) returned"
        if function.__module__ == "smk.quality"  # a model built by hand sets nothing aside
        else "to analyse a table on its own, make a model that holds it: smk.CRM(deals=table)"
    )
    assert str(raised.value) == (
        f"{_where(function)}: {name} must be an smk.CRM (smk.load(path) returns one), got a "
        f"pandas DataFrame; {advice}"
    )


@pytest.mark.parametrize("table", ["contacts", "touchpoints", "spend"])
def test_the_advice_names_the_table_given(table):
    """H2: it said `smk.CRM(deals=table)` whatever was given, and contacts so failed."""
    given = getattr(smk.CRM(), table)
    named = table  # spend has no id of its own: the columns it shares tell
    with pytest.raises(TypeError, match=rf"make a model that holds it: smk\.CRM\({named}=table\)$"):
        smk.sla.mql_leads(given, smk.sla.SLA())


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
        (None, "None"),
        ("data/hubspot", "the text 'data/hubspot'"),
        (["c1"], "a list (1 item)"),
        ([{"first_name": "Maren", "email": "maren@acme.com"}] * 3, "a list (3 items)"),
        (pd.Series(["mql", "sql"]), "a pandas Series (2 values)"),
        (42, "an int"),
        (pd.DataFrame, "the class DataFrame"),  # RV3: "object of type 'type' has no len()"
        (np.array(5), "a ndarray"),  # RV3: "len() of unsized object"
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

    with pytest.raises(TypeError, match="no parameter annotated as a CRM, table or journeys"):
        checked_tables(nothing)


@pytest.mark.parametrize(("function", "name"), JOURNEYS_PARAMETERS)
def test_the_crm_or_a_table_given_for_journeys_says_how_to_build_them(function, name):
    """H2: `attribute(crm, "markov")` failed with "object of type 'CRM' has no len()"."""
    expected = (
        f"{_where(function)}: {name} must be journeys (smk.attribution.journeys(crm, ...) builds "
        "them), got "
    )
    with pytest.raises(TypeError) as raised:
        _call(function, name, smk.CRM())
    assert str(raised.value) == expected + "an smk.CRM"
    with pytest.raises(TypeError) as raised:
        _call(function, name, pd.DataFrame({"path": ["a > b"]}))
    assert str(raised.value) == (
        expected + "a pandas DataFrame; read a path table with smk.attribution.from_paths(table)"
    )


def test_the_attribution_functions_and_plots_are_checked():
    names = {p.values[0].__name__ for p in JOURNEYS_PARAMETERS}
    assert {"attribute", "bootstrap", "data_driven_intervals", "top_paths"} <= names
    assert "mix_figure" in {p.values[0].__name__ for p in TABLE_PARAMETERS}


def test_the_lead_scorer_given_the_crm_says_how_to_build_its_table():
    """H2: sklearn's "Expected 2D array" error printed the model's contact rows."""
    with pytest.raises(TypeError) as raised:
        smk.scoring.LeadScorer().fit(smk.CRM(), [0, 1])
    assert str(raised.value) == (
        "LeadScorer needs a table of lead features, got an smk.CRM: build it with "
        "smk.scoring.feature_matrix(smk.scoring.lead_features(crm))"
    )


def test_a_table_like_none_of_the_models_gets_a_placeholder_to_fill():
    with pytest.raises(TypeError, match=r"smk\.CRM\(<contacts, deals, \.\.\.>=table\)$"):
        smk.sla.mql_leads(pd.DataFrame({"x": [1]}), smk.sla.SLA())
