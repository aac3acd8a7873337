"""The attribution models follow scikit-learn's estimator conventions.

`MarkovAttribution` and `ShapleyAttribution` store their parameters in ``__init__`` and learn
in `fit`: `get_params`, `set_params` and `sklearn.base.clone` work, the repr names the
parameters, a learned attribute read before `fit` is a `NotFittedError`, `fit` refuses what is
not journeys (a path table must go through `from_paths`) and a fitted model pickles. None of it
changes a credit: the sample's credits are those computed before.
"""

from __future__ import annotations

import pickle
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

import smk
from smk import attribution as at
from smk import config

MODELS = {
    "markov": (at.MarkovAttribution, {"order": 1}, {"order": 2}),
    "shapley": (at.ShapleyAttribution, {"value": "incremental", "l2": 1.0},
                {"value": "conversions", "l2": 0.5}),
}  # fmt: skip
LEARNED = {
    "markov": [
        "states_",
        "transition_matrix_",
        "conversion_probability_",
        "expected_value_",
        "removal_effects_",
        "value_removal_effects_",
        "credit_",
    ],
    "shapley": ["game_", "shapley_values_", "coef_", "intercept_", "coalitions_", "credit_"],
}
PATHS = pd.DataFrame(
    {
        "path": ["a > b", "b", "a", "c > b"],
        "total_conversions": [3, 2, 1, 2],
        "total_null": [2, 5, 6, 3],
        "total_conversion_value": [30.0, 20.0, 10.0, 25.0],
    }
)

# the sample's credits (won deals, 90-day lookback, the notebook's fx rates), computed with
# the models as they were before they became scikit-learn estimators (at 601dd8d^, on the
# sample as regenerated when synth stopped squeezing touches before the cut-off)
BEFORE = {
    ("markov", 1): {
        "direct": (10.819444913470068, 288882.73665899393),
        "email": (12.102083145650571, 309408.7546054528),
        "offline": (4.468021953959415, 131995.62953768423),
        "organic_search": (13.066216213111288, 351744.1943826014),
        "organic_social": (6.778699481741477, 170563.29065867455),
        "paid_search": (9.324915094811642, 256879.903421654),
        "paid_social": (7.7955575470234715, 191380.01562402584),
        "referral": (4.64506165023207, 120697.47511091325),
    },
    ("shapley", "incremental"): {
        "direct": (7.392453668559943, 171172.35273925887),
        "email": (25.015115498444235, 662679.5073428802),
        "offline": (16.40323206473153, 445942.1177357971),
        "organic_search": (8.069575208039705, 213708.40348479568),
        "organic_social": (0.0, 0.0),
        "paid_search": (1.0569034976429428, 34319.337211149024),
        "paid_social": (0.0, 0.0),
        "referral": (11.062720062581649, 293730.2814861193),
    },
}


@pytest.fixture(scope="module")
def sample_journeys():
    crm = smk.load(config.SAMPLE_HUBSPOT)
    return at.journeys(crm, "won", lookback_days=90, fx={"EUR": 1.0, "USD": 0.92})


@pytest.fixture(scope="module")
def paths():
    return at.from_paths(PATHS)


@pytest.mark.parametrize("name", MODELS)
def test_get_params_set_params_and_clone(name, paths):
    cls, defaults, other = MODELS[name]
    model = cls()
    assert isinstance(model, BaseEstimator)
    assert model.get_params() == defaults
    assert model.set_params(**other) is model
    assert model.get_params() == other
    with pytest.raises(ValueError, match="Invalid parameter"):
        model.set_params(bogus=1)

    model.fit(paths)
    copy = clone(model)
    assert type(copy) is cls and copy is not model
    assert copy.get_params() == other
    assert not hasattr(copy, "credit_")  # a clone is unfitted
    with pytest.raises(NotFittedError):
        check_is_fitted(copy)
    pd.testing.assert_frame_equal(copy.fit(paths).credit_, model.credit_)


@pytest.mark.parametrize("name", MODELS)
def test_init_only_stores_what_it_is_given_and_fit_checks_it(name, paths):
    # no validation in __init__ (set_params and clone bypass it): fit checks, as it did
    cls = MODELS[name][0]
    bad, message = (
        ({"order": 0}, "order must be an integer from 1 to 4, got 0")
        if name == "markov"
        else ({"value": "bogus"}, "value must be one of incremental, conversions, got 'bogus'")
    )
    model = cls(**bad)
    assert clone(model).get_params()[next(iter(bad))] == next(iter(bad.values()))
    with pytest.raises(ValueError, match=message):
        model.fit(paths)


def test_repr_names_the_parameters_that_differ_from_the_defaults():
    assert repr(at.MarkovAttribution()) == "MarkovAttribution()"
    assert repr(at.MarkovAttribution(order=2)) == "MarkovAttribution(order=2)"
    assert repr(at.ShapleyAttribution()) == "ShapleyAttribution()"
    assert repr(at.ShapleyAttribution(value="conversions", l2=2.0)) == (
        "ShapleyAttribution(l2=2.0, value='conversions')"
    )


@pytest.mark.parametrize("name", MODELS)
def test_learned_attributes_before_fit_are_not_fitted_errors(name, paths):
    model = MODELS[name][0]()
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    for attribute in LEARNED[name]:
        with pytest.raises(
            NotFittedError, match=rf"not fitted yet: call fit\(journeys\).*{attribute}"
        ):
            getattr(model, attribute)
        assert not hasattr(model, attribute)  # NotFittedError is an AttributeError
    with pytest.raises(AttributeError, match="no attribute 'bogus_'") as info:
        model.bogus_  # noqa: B018
    assert not isinstance(info.value, NotFittedError)

    model.fit(paths)
    check_is_fitted(model)
    for attribute in LEARNED[name]:
        assert hasattr(model, attribute)


@pytest.mark.parametrize("name", MODELS)
def test_fit_refuses_what_is_not_journeys(name):
    model = MODELS[name][0]()
    table = pd.DataFrame({"path": ["a > b"], "total_conversions": [1]})
    with pytest.raises(TypeError, match=r"needs journeys, got a DataFrame.*from_paths\(table\)"):
        model.fit(table)
    with pytest.raises(TypeError, match=r"got list: build them with smk\.attribution\.journeys"):
        model.fit([["a", "b"]])
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    with pytest.raises(TypeError, match="from_paths"):
        model.fit(PATHS)
    # the path table, read with from_paths, fits
    assert model.fit(at.from_paths(PATHS)).credit_["conversions"].sum() == pytest.approx(8.0)


@pytest.mark.parametrize("name", MODELS)
def test_a_fitted_model_pickles(name, sample_journeys):
    model = MODELS[name][0]().fit(sample_journeys)
    loaded = pickle.loads(pickle.dumps(model))
    check_is_fitted(loaded)
    assert loaded.get_params() == model.get_params()
    assert repr(loaded) == repr(model)
    for attribute in LEARNED[name]:
        got, want = getattr(loaded, attribute), getattr(model, attribute)
        if isinstance(want, pd.DataFrame):
            pd.testing.assert_frame_equal(got, want)
        elif isinstance(want, pd.Series):
            pd.testing.assert_series_equal(got, want)
        elif attribute == "transition_matrix_":
            assert (got != want).nnz == 0
        else:
            assert got == want
    pd.testing.assert_frame_equal(loaded.fit(sample_journeys).credit_, model.credit_)


@pytest.mark.parametrize(
    ("name", "params"),
    [("markov", {"order": o}) for o in (1, 2, 3, 4)]
    + [("shapley", {"value": "incremental"}), ("shapley", {"value": "conversions"})],
)
def test_sample_credits_are_unchanged(name, params, sample_journeys):
    model = clone(MODELS[name][0]()).set_params(**params).fit(sample_journeys)
    credit = model.credit_
    assert list(credit["channel"]) == list(sample_journeys.channels)
    via_attribute = at.attribute(sample_journeys, name, **params)
    assert list(via_attribute["channel"]) == list(credit["channel"])
    pd.testing.assert_series_equal(
        via_attribute["conversions"], credit["conversions"], check_exact=True
    )
    pd.testing.assert_series_equal(via_attribute["value"], credit["value"], check_exact=True)
    before = BEFORE.get((name, next(iter(params.values()))))
    if before is not None:
        got = {row.channel: (row.conversions, row.value) for row in credit.itertuples()}
        assert set(got) == set(before)
        for channel, (conversions, value) in before.items():
            assert got[channel][0] == pytest.approx(conversions, rel=1e-9, abs=1e-9)
            assert got[channel][1] == pytest.approx(value, rel=1e-9, abs=1e-6)


def test_shapley_refit_keeps_no_state_of_an_earlier_fit(paths):
    model = at.ShapleyAttribution().fit(paths)
    assert set(model.coef_.index) == {"a", "b", "c"}
    # the conversions game has no exposure model: no coef_ left from the incremental fit
    model.set_params(value="conversions").fit(paths)
    for attribute in ("coef_", "intercept_"):
        with pytest.raises(AttributeError, match="incremental game only.*'conversions'"):
            getattr(model, attribute)
    fitted = model.credit_.copy()
    # a fit that fails leaves the model as it was
    nothing = at.from_paths(
        pd.DataFrame(
            {"path": ["a", "b", "a > b"], "total_conversions": [1, 1, 0], "total_null": [10] * 3}
        ),
        value_col=None,
    )
    with pytest.raises(at.NotEstimableError):
        model.set_params(value="incremental").fit(nothing)
    pd.testing.assert_frame_equal(model.credit_, fitted)
    assert model.coalitions_["conversions"].sum() == PATHS["total_conversions"].sum()


# a bool is not a number (True == 1 in Python, so order=True fitted order 1), nor is text
ORDER_ERRORS = [
    (True, TypeError, "got True (bool)"),
    (False, TypeError, "got False (bool)"),
    (np.True_, TypeError, "got np.True_ (bool)"),
    ("1", TypeError, "got '1' (str)"),
    (None, TypeError, "got None (NoneType)"),
    (1.0, ValueError, "got 1.0"),
    (float("nan"), ValueError, "got nan"),
    (0, ValueError, "got 0"),
    (5, ValueError, "got 5"),
]


@pytest.mark.parametrize(("order", "error", "got"), ORDER_ERRORS)
def test_markov_order_must_be_an_integer_and_a_bool_is_not_one(order, error, got, paths):
    model = at.MarkovAttribution(order=order)
    with pytest.raises(
        error, match="^" + re.escape(f"order must be an integer from 1 to 4, {got}")
    ):
        model.fit(paths)
    assert not hasattr(model, "credit_")
    with pytest.raises(error, match="^order must be"):  # the same through attribute
        at.attribute(paths, "markov", order=order)
    # numpy's integers are integers
    assert at.MarkovAttribution(order=np.int64(2)).fit(paths).states_


L2_ERRORS = [
    (-1.0, ValueError, "got -1.0"),
    (float("nan"), ValueError, "got nan"),
    (float("inf"), ValueError, "got inf"),
    (True, TypeError, "got True (bool)"),
    (False, TypeError, "got False (bool)"),
    ("1", TypeError, "got '1' (str)"),
    (None, TypeError, "got None (NoneType)"),
]


@pytest.mark.parametrize("value", ["incremental", "conversions"])
@pytest.mark.parametrize(("l2", "error", "got"), L2_ERRORS)
def test_shapley_l2_must_be_a_finite_number_not_below_zero(l2, error, got, value, paths):
    # l2=-1 and l2=NaN fitted (NaN credited nothing), True and "1" were taken as 1.0; the
    # conversions game does not use l2 but checks it, as scikit-learn checks every parameter
    model = at.ShapleyAttribution(value=value, l2=l2)
    with pytest.raises(error, match="^" + re.escape(f"l2 must be a finite number >= 0, {got}")):
        model.fit(paths)
    assert not hasattr(model, "credit_")
    # zero (no penalty) and numpy numbers are fine
    at.ShapleyAttribution(value=value, l2=0).fit(paths)
    at.ShapleyAttribution(value=value, l2=np.float64(0.5)).fit(paths)


def test_shapley_remembers_the_game_it_was_fitted_with(paths):
    model = at.ShapleyAttribution(value="conversions").fit(paths)
    # set_params without a refit changes the parameter, not what was learned: the message
    # read the parameter and said "fitted with value='incremental'"
    model.set_params(value="incremental")
    for attribute in ("coef_", "intercept_"):
        with pytest.raises(AttributeError, match="fitted with value='conversions'"):
            getattr(model, attribute)
    assert model.game_ == "conversions" and model.get_params()["value"] == "incremental"
    model.fit(paths)
    assert model.game_ == "incremental"
    assert set(model.coef_.index) == {"a", "b", "c"}
    with pytest.raises(NotFittedError, match="game_"):
        at.ShapleyAttribution().game_  # noqa: B018
