"""`LeadScorer`: a scikit-learn classifier for lead tables, and the guard against leakage.

`LeadScorer` takes any feature table (a DataFrame with numeric and text or categorical columns,
missing values allowed, or an all-numeric array) and predicts the probability that a lead
converts. Inside is a `ColumnTransformer` feeding a `HistGradientBoostingClassifier`
(``model="hgb"``) or, as a transparent baseline, a logistic regression (``model="logistic"``).
It follows the scikit-learn conventions, so `cross_val_score`, `GridSearchCV` and pipelines work.

Before fitting, the leakage guard refuses columns that record what happened after a lead was
scored (stage dates, the current lifecycle stage, deal fields; patterns in ``config.yaml``) and
any single column that separates converters from the rest almost perfectly.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d, validate_data

from smk.checks import caller_stacklevel, checked_tables
from smk.model import CRM
from smk.scoring.features import feature_matrix, labelled, time_split
from smk.scoring.rules import FIT_POINT_FEATURES
from smk.scoring.settings import load_config

MODELS = ("hgb", "logistic")
#: Below this many rows the boosting runs on one thread: starting OpenMP threads costs more
#: than it saves on small tables (ten times slower on a busy two-core machine).
PARALLEL_FROM_ROWS = 20_000


def _threads_for(n_rows: int):
    """One thread for small inputs, the machine's default for large ones."""
    from contextlib import nullcontext

    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="openmp") if n_rows < PARALLEL_FROM_ROWS else nullcontext()


def check_model(model: str) -> None:
    """Refuse a model other than `MODELS` ("hgb", "logistic")."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")


class LeakageError(ValueError):
    """A feature table holds columns that could not have been known when the lead was scored."""


def outcome_columns(columns, patterns: list[str] | None = None) -> list[str]:
    """The columns whose names match an outcome-field pattern (``config.yaml``, ``leakage``)."""
    patterns = patterns or load_config()["leakage"]["outcome_columns"]
    compiled = [re.compile(p, re.IGNORECASE) for p in patterns]
    return [str(c) for c in columns if any(p.fullmatch(str(c)) for p in compiled)]


@checked_tables
def single_feature_auc(X: pd.DataFrame, y, max_rows: int = 100_000, seed: int = 0) -> pd.Series:
    """How well each column alone separates the two classes (ROC AUC, 0.5 to 1).

    Numeric columns are ranked as they are (either direction, missing values lowest); text
    columns by their category's conversion rate among the *other* rows (leave-one-out, so a
    unique id does not look predictive). At most `max_rows` rows (a seeded sample).
    """
    y = np.asarray(y)
    if len(y) > max_rows:
        pick = np.random.default_rng(seed).choice(len(y), size=max_rows, replace=False)
        X, y = X.iloc[pick], y[pick]
    classes = np.unique(y)
    if len(classes) != 2:
        return pd.Series(dtype="float64")
    pos = (y == classes[1]).astype("float64")
    out = {}
    for col in X.columns:
        s = X[col]
        if _is_numeric(s):
            v = s.astype("float64").to_numpy()
            v = np.where(np.isnan(v), np.nanmin(v) - 1 if np.isfinite(v).any() else 0, v)
            auc = roc_auc_score(pos, v)
            out[col] = max(auc, 1 - auc)
        else:
            key = s.astype("object").where(s.notna(), "\0missing").astype(str)
            grp = pd.DataFrame({"k": key.to_numpy(), "y": pos})
            g = grp.groupby("k")["y"]
            total, count = g.transform("sum").to_numpy(), g.transform("size").to_numpy()
            rate = np.where(count > 1, (total - pos) / np.maximum(count - 1, 1), pos.mean())
            out[col] = roc_auc_score(pos, rate)
    return pd.Series(out, dtype="float64").sort_values(ascending=False)


#: What `LeadScorer`'s ``leakage_guard`` and `check_no_leakage`'s ``action`` take.
GUARD_ACTIONS = ("error", "warn", "off")
#: What `drop_leaking` (the lead-scoring page's ``leakage`` parameter) takes.
LEAKAGE_ACTIONS = ("drop", "error")


@checked_tables
def leaking_columns(X: pd.DataFrame, y=None, config: dict | None = None) -> dict[str, str]:
    """The columns of `X` that look like leakage, each with why in words: outcome fields by
    name (``config.yaml``, ``leakage``), and with labels `y` any column that alone separates
    converters almost perfectly (``max_single_feature_auc``), said to be known only for the
    leads that converted when the others have no value of it."""
    cfg = (config or load_config())["leakage"]
    named = outcome_columns(X.columns, cfg["outcome_columns"])
    found = {c: "an outcome field: it records what happened after scoring" for c in named}
    if y is not None:
        aucs = single_feature_auc(X.drop(columns=named), y)
        for col, auc in aucs[aucs >= cfg["max_single_feature_auc"]].items():
            found[col] = (
                f"{_known_only_for(X[col], y)}alone it separates converters with AUC {auc:.3f}"
            )
    return found


def _known_only_for(s: pd.Series, y) -> str:
    """Why `s` leaks when only the converters (the last class of `y`) have a value of it, or
    only the others ("known only for leads that converted; "); "" when both have some."""
    y = np.asarray(y)
    converted = y == np.unique(y)[-1]
    has = s.notna().to_numpy()
    if has[converted].any() and not has[~converted].any():
        return "known only for leads that converted; "
    if has[~converted].any() and not has[converted].any():
        return "known only for leads that did not convert; "
    return ""


@checked_tables
def check_no_leakage(X: pd.DataFrame, y=None, action: str = "error", config: dict | None = None):
    """Refuse outcome fields and too-good-to-be-true columns as features.

    Parameters
    ----------
    X : the feature table.
    y : the labels; when given, each column's own AUC is checked too.
    action : "error" raises `LeakageError`, "warn" warns, "off" does nothing.

    Returns
    -------
    The names of the suspect columns (empty when clean; `leaking_columns` says why).
    """
    if action == "off":
        return []
    found = leaking_columns(X, y, config)
    if found:
        message = (
            "these columns look like leakage and cannot be features: "
            + "; ".join(f"{col} ({why})" for col, why in found.items())
            + ". Compute features as of each lead's scoring date (smk.scoring.lead_features), "
            "or drop the columns (smk.scoring.drop_leaking drops them from a lead table)"
        )
        if action == "error":
            raise LeakageError(message)
        warnings.warn(message, stacklevel=caller_stacklevel())
    return list(found)


def check_leakage_action(action: str) -> str:
    """Refuse a `drop_leaking` action other than `LEAKAGE_ACTIONS` ("drop", "error")."""
    if action not in LEAKAGE_ACTIONS:
        raise ValueError(f"leakage must be one of {', '.join(LEAKAGE_ACTIONS)}; got {action!r}")
    return action


@checked_tables
def drop_leaking(
    leads: pd.DataFrame, action: str = "drop", test_share: float | None = None
) -> pd.DataFrame:
    """The lead table `leads` without the features that look like leakage (`leaking_columns`,
    judged on its leads with a known outcome and, given the `test_share` of `time_split`, on
    the training leads too, which a scorer fitted on them judges again: a feature at the
    threshold on those alone failed the report after this kept it, RV3 of session 25),
    recorded with why in ``attrs["features_leaking"]`` (feature -> reason; `leakage_note`
    says so on the page); with `action` "error" a `LeakageError` instead.

    An export can hold a value only for the leads that converted: a Salesforce org read
    through SQL views gives a Lead no account until it converts, so company industry, size
    and revenue then tell converters apart perfectly, and a model fitted on them learns the
    outcome, not what predicts it. Left out, the lead score is still computed from the rest
    (the monthly report publishes its pages, and says which features were left out and why).
    """
    check_leakage_action(action)
    judged = [labelled(leads)]
    if test_share is not None:
        judged.append(time_split(leads, test_share=test_share).train)
    found: dict[str, str] = {}
    for known in judged:
        X, y = feature_matrix(known), known["label"].astype(int)
        if action == "error":
            check_no_leakage(X, y)
        found = leaking_columns(X, y) | found  # the reason on every labelled lead first
    out = leads.drop(columns=list(found))
    out.attrs = {**leads.attrs, "features_leaking": found}
    return out


@checked_tables
def leakage_note(leads: pd.DataFrame) -> str:
    """What the lead-scoring page says of the features `drop_leaking` left out of a lead table
    (``attrs["features_leaking"]``): which, why (each one's reason), the rule-based points
    every lead then gets alike and the features the score uses; "" when none."""
    found = leads.attrs.get("features_leaking") or {}
    if not found:
        return ""
    names = list(found)
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    reasons = "\n".join(f"- {col}: {why}" for col, why in found.items())
    alike = [c for c in FIT_POINT_FEATURES if c in found]
    points = (
        f"The rule-based score gives every lead the same points for {' and '.join(alike)}. "
        if alike
        else ""
    )
    used = ", ".join(feature_matrix(leads).columns)
    return (
        f"**Left out as leakage: {listed}.** The model was fitted without "
        f"{'it' if len(names) == 1 else 'them'}: alone, "
        f"{'it tells' if len(names) == 1 else 'each tells'} the leads that converted from the "
        "others almost perfectly, which no feature known when a lead was scored does (a "
        "model fitted on it would learn the outcome, not what predicts it).\n\n"
        f"{reasons}\n\n{points}The score uses only: {used}. (The setting `leakage: error` "
        "stops this page instead.)"
    )


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


class LeadScorer(ClassifierMixin, BaseEstimator):
    """Probability that a lead converts, from any table of lead features.

    Parameters
    ----------
    model : "hgb" (histogram gradient boosting) or "logistic" (a logistic-regression baseline).
    learning_rate, max_iter, max_leaf_nodes, min_samples_leaf, l2_regularization :
        the boosting settings (ignored by "logistic"). The defaults are deliberately
        conservative (small trees, strong regularisation): a CRM often has only a few hundred
        conversions to learn from. With more data, tune them with `GridSearchCV`.
    C : inverse regularisation strength of the logistic regression.
    max_categories : most frequent categories kept per text column; the rarer ones share one
        "infrequent" category. Categories never seen in training are treated as missing.
    calibration : None, "sigmoid" or "isotonic": recalibrate the probabilities with 3-fold
        cross-validation (`CalibratedClassifierCV`) when the calibration curve asks for it.
    leakage_guard : "error" (default), "warn" or "off": see `check_no_leakage`.
    random_state : seed of the boosting's internal validation split and subsampling.

    Attributes
    ----------
    classes_, n_features_in_, feature_names_in_ (DataFrame input), columns_ (the columns
    fitted on, as text, in order: x0, x1, ... for an array), numeric_features_,
    categorical_features_, pipeline_ : the fitted preprocessing and classifier.

    Notes
    -----
    A DataFrame keeps its column types: numbers are numeric features, text, categorical and
    boolean columns are categorical. A NumPy array is read as all-numeric. Timestamps are not
    features: turn them into ages (days since ...) first.
    """

    def __init__(
        self,
        model: str = "hgb",
        learning_rate: float = 0.03,
        max_iter: int = 100,
        max_leaf_nodes: int = 6,
        min_samples_leaf: int = 30,
        l2_regularization: float = 10.0,
        C: float = 1.0,
        max_categories: int = 30,
        calibration: str | None = None,
        leakage_guard: str = "error",
        random_state=None,
    ) -> None:
        self.model = model
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.C = C
        self.max_categories = max_categories
        self.calibration = calibration
        self.leakage_guard = leakage_guard
        self.random_state = random_state

    # -- input -------------------------------------------------------------------------------
    def _frame(self, X, reset: bool) -> pd.DataFrame:
        """Validate X and return it as a DataFrame with the training column order.

        As scikit-learn does, a scorer fitted on a DataFrame takes an array of as many
        columns in their order (warning that it has no feature names), and one fitted
        without feature names (an array) takes a DataFrame by position (warning that it has
        them)."""
        if isinstance(X, CRM):  # else sklearn's error printed the model's contact rows
            raise TypeError(
                f"{type(self).__name__} needs a table of lead features, got an smk.CRM: build "
                "it with smk.scoring.feature_matrix(smk.scoring.lead_features(crm))"
            )
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=reset, skip_check_array=True)
            if len(X) == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is "
                    "required."
                )
            if X.shape[1] == 0:
                raise ValueError("Found array with 0 feature(s): LeadScorer needs features.")
            dates = [c for c in X.columns if pd.api.types.is_datetime64_any_dtype(X[c])]
            if dates:
                raise TypeError(
                    f"timestamp columns are not features: {', '.join(map(str, dates))}; "
                    "turn them into ages (days before the scoring date) first"
                )
            frame = X.copy()
            frame.columns = [str(c) for c in frame.columns]
            if not reset and not hasattr(self, "feature_names_in_"):  # fitted without names
                frame.columns = self.columns_
            numeric = [c for c in frame.columns if _is_numeric(frame[c])]
            if numeric:
                check_array(frame[numeric], ensure_all_finite="allow-nan", dtype="numeric")
            return frame
        text = not reset and bool(self.categorical_features_)  # keep its text columns
        arr = validate_data(
            self,
            X,
            reset=reset,
            ensure_all_finite="allow-nan",
            dtype=None if text else "numeric",
            ensure_2d=True,
        )
        columns = [f"x{i}" for i in range(arr.shape[1])] if reset else self.columns_
        return pd.DataFrame(arr, columns=columns)

    def _preprocessor(self, frame: pd.DataFrame) -> ColumnTransformer:
        # a column with no value in training carries nothing, and the booster's binning cannot
        # take it (an export without touchpoints leaves every touch age empty): left out
        numeric = self._observed(self.numeric_features_)
        categorical = self._observed(self.categorical_features_)
        if self.model == "hgb":
            parts = [("numeric", "passthrough", numeric)]
            if categorical:
                encoder = OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                    encoded_missing_value=np.nan,
                    max_categories=max(2, min(self.max_categories, 250)),
                    dtype=np.float64,
                )
                parts.append(("categorical", encoder, categorical))
        else:
            parts = [
                (
                    "numeric",
                    make_pipeline(
                        SimpleImputer(
                            strategy="median", add_indicator=True, keep_empty_features=True
                        ),
                        StandardScaler(),
                    ),
                    numeric,
                )
            ]
            if categorical:
                encoder = OneHotEncoder(
                    handle_unknown="infrequent_if_exist",
                    max_categories=max(2, self.max_categories),
                    sparse_output=False,
                )
                parts.append(
                    (
                        "categorical",
                        make_pipeline(
                            SimpleImputer(strategy="constant", fill_value="(missing)"), encoder
                        ),
                        categorical,
                    )
                )
        return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False)

    def _observed(self, columns: list[str]) -> list[str]:
        return [c for c in columns if c not in self.empty_features_]

    def _as_model_input(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[self.numeric_features_ + self.categorical_features_].copy()
        for c in self.numeric_features_:
            out[c] = out[c].astype("float64")
        for c in self.categorical_features_:
            s = out[c]
            text = np.array(s.astype("string").astype("object"), dtype=object)
            text[s.isna().to_numpy()] = np.nan
            out[c] = text
        return out

    # -- fit / predict -----------------------------------------------------------------------
    def fit(self, X, y):
        """Fit the scorer on a feature table `X` and outcomes `y` (two or more classes)."""
        check_model(self.model)
        if self.calibration not in (None, "sigmoid", "isotonic"):
            raise ValueError(
                f"calibration must be None, 'sigmoid' or 'isotonic'; got {self.calibration!r}"
            )
        if self.leakage_guard not in GUARD_ACTIONS:
            raise ValueError(
                f"leakage_guard must be 'error', 'warn' or 'off'; got {self.leakage_guard!r}"
            )
        frame = self._frame(X, reset=True)
        if y is None:
            raise ValueError("LeadScorer requires y to be passed, but the target y is None")
        y = column_or_1d(np.asarray(y), warn=True)
        if len(y) != len(frame):
            raise ValueError(f"X has {len(frame)} rows but y has {len(y)}")
        if pd.isna(pd.Series(y)).any():
            raise ValueError("y has missing values: keep only leads with a known outcome")
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has one class only ({self.classes_[0]!r}): a scorer needs leads that "
                "converted and leads that did not"
            )
        check_no_leakage(frame, y, action=self.leakage_guard)
        self.columns_ = list(frame.columns)
        self.numeric_features_ = [c for c in frame.columns if _is_numeric(frame[c])]
        self.categorical_features_ = [c for c in frame.columns if c not in self.numeric_features_]
        self.empty_features_ = [c for c in frame.columns if frame[c].isna().all()]
        if len(self.empty_features_) == frame.shape[1]:
            raise ValueError("every feature column is empty: LeadScorer needs values to learn from")
        data = self._as_model_input(frame)
        prep = self._preprocessor(data)
        if self.model == "hgb":
            n_cat = len(self._observed(self.categorical_features_))
            categorical = [False] * len(self._observed(self.numeric_features_)) + [True] * n_cat
            clf = HistGradientBoostingClassifier(
                learning_rate=self.learning_rate,
                max_iter=self.max_iter,
                max_leaf_nodes=self.max_leaf_nodes,
                min_samples_leaf=self.min_samples_leaf,
                l2_regularization=self.l2_regularization,
                categorical_features=categorical if n_cat else None,
                random_state=self.random_state,
            )
        else:
            clf = LogisticRegression(C=self.C, max_iter=2000)
        pipeline = Pipeline([("prepare", prep), ("classify", clf)])
        if self.calibration:
            pipeline = CalibratedClassifierCV(pipeline, method=self.calibration, cv=3)
        with _threads_for(len(data)):
            pipeline.fit(data, y)
        self.pipeline_ = pipeline
        fitted = (
            [c.estimator for c in pipeline.calibrated_classifiers_]
            if self.calibration
            else [pipeline]
        )
        self.n_iter_ = int(max(np.max(p.named_steps["classify"].n_iter_) for p in fitted))
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class (columns in `classes_` order); for leads, column 1."""
        check_is_fitted(self, "pipeline_")
        frame = self._frame(X, reset=False)
        missing = [c for c in self.numeric_features_ + self.categorical_features_ if c not in frame]
        if missing:
            raise ValueError(f"X lacks the feature columns {missing} the scorer was fitted on")
        with _threads_for(len(frame)):
            return self.pipeline_.predict_proba(self._as_model_input(frame))

    def predict(self, X) -> np.ndarray:
        """The most probable class."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score_leads(self, X) -> np.ndarray:
        """Probability of conversion (the positive class, ``classes_[-1]``) for each lead."""
        return self.predict_proba(X)[:, -1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags
