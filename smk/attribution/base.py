"""What the attribution models share: scikit-learn's estimator conventions."""

from __future__ import annotations

import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from smk.attribution.journeys import Journeys


class _AttributionEstimator(BaseEstimator):
    """What the attribution models share (`MarkovAttribution`, `ShapleyAttribution`): scikit-learn's
    estimator conventions (`get_params`, `set_params`, `sklearn.base.clone`, the repr) and
    clear errors for a model used before `fit` or fitted on something other than journeys.

    Reading a learned attribute (one of `_learned`) before `fit` raises `NotFittedError`, which
    is an `AttributeError` too, so ``hasattr`` and `check_is_fitted` work as usual.
    """

    #: The attributes `fit` learns.
    _learned: tuple[str, ...] = ()

    def __getattr__(self, name: str):
        # only called when normal lookup fails: an attribute that is not set
        if name in type(self)._learned and "credit_" not in vars(self):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet: call "
                f"fit(journeys) before reading {name} (build the journeys with "
                "smk.attribution.journeys or smk.attribution.from_paths)"
            )
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self
        )

    def _check_journeys(self, journeys) -> Journeys:
        """`journeys`, or a TypeError saying how to build them."""
        if isinstance(journeys, Journeys):
            return journeys
        who = f"{type(self).__name__}.fit needs journeys"
        if isinstance(journeys, pd.DataFrame):
            raise TypeError(
                f"{who}, got a DataFrame: read a path table (path, total_conversions, ...) with "
                "smk.attribution.from_paths(table), or build journeys from a CRM with "
                "smk.attribution.journeys(crm, ...)"
            )
        raise TypeError(
            f"{who}, got {type(journeys).__name__}: build them with "
            "smk.attribution.journeys(crm, ...) from a CRM or smk.attribution.from_paths(table) "
            "from a path table"
        )
