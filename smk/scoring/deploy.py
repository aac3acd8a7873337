"""From a fitted scorer to sales: grades, the model file, scored leads and drift.

A `ScoringModel` bundles the fitted `LeadScorer` with what is needed to use it safely later:
its version, feature list, target, training period, grade and MQL thresholds, the typical
values behind the reasons and the training distribution of every feature (for drift). It is
saved as ``NAME.joblib`` with ``NAME.json`` beside it (the metadata, readable without Python;
`model_files`);
`load_model` checks the JSON first and refuses a file from an incompatible version.

The deployed scorer is refitted on every lead with a known outcome that was scored before the
report month (`refit` with ``before``), so it has seen the test leads but not the leads it
scores; its thresholds are set on scores it did not see in training: the test leads as
scored by a copy fitted on the training leads only (`fit_held_out`).

Only load model files you trust: a joblib file is a pickle and can run code when loaded.
"""

from __future__ import annotations

import json
import platform
import warnings
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.base import BaseEstimator, clone

import smk
from smk.checks import caller_stacklevel, checked_tables
from smk.errors import NoDataError
from smk.outputs import EXACT_FLOATS, counted
from smk.presentation import first_rows
from smk.scoring.evaluation import marked_by_score
from smk.scoring.explain import top_reasons, typical_values
from smk.scoring.features import (
    TimeSplit,
    empty_column_features,
    feature_matrix,
    labelled,
    lead_ids,
)
from smk.scoring.settings import load_config, section

if TYPE_CHECKING:
    from smk.periods import Month

#: Version of the model-file layout; bump when `ScoringModel` changes incompatibly.
MODEL_FORMAT = 1


class IncompatibleModelError(RuntimeError):
    """A model file that this version of smk cannot use."""


# ---------------------------------------------------------------------------- grades
def grade_thresholds(reference_scores, shares: dict[str, float] | None = None) -> dict:
    """Lowest probability of each grade, so that grade A holds the top `shares["A"]` of the
    reference leads, B the next share, and so on (the last grade takes the rest: 0)."""
    shares = shares or load_config()["grades"]
    s = np.asarray(reference_scores, dtype="float64")
    if not len(s):
        raise NoDataError("grade cut-offs need the scores of some reference leads; none given")
    names = list(shares)
    cum = np.cumsum([shares[k] for k in names])
    out = {}
    for name, c in zip(names[:-1], cum[:-1], strict=True):
        out[name] = float(np.quantile(s, 1 - c))
    out[names[-1]] = 0.0
    return out


def assign_grades(scores, thresholds: dict) -> np.ndarray:
    """Grade of each score: the first grade whose lowest probability it reaches."""
    s = np.asarray(scores, dtype="float64")
    out = np.full(len(s), list(thresholds)[-1], dtype=object)
    for name, low in reversed(list(thresholds.items())):
        out[s >= low] = name
    return out


# ---------------------------------------------------------------------------- drift
def _bins_of(s: pd.Series, bins: int) -> dict:
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        v = s.astype("float64").dropna().to_numpy()
        edges = np.unique(np.quantile(v, np.linspace(0, 1, bins + 1)[1:-1])) if len(v) else []
        return {"kind": "numeric", "edges": [float(e) for e in edges]}
    counts = s.astype("object").fillna("(missing)").astype(str).value_counts()
    return {"kind": "categorical", "categories": [str(c) for c in counts.index[: bins - 1]]}


def _shares(s: pd.Series, spec: dict) -> np.ndarray:
    if spec["kind"] == "numeric":
        v = s.astype("float64").to_numpy()
        idx = np.where(
            np.isnan(v), len(spec["edges"]) + 1, np.searchsorted(spec["edges"], v, "right")
        )
        counts = np.bincount(idx, minlength=len(spec["edges"]) + 2)
    else:
        cats = spec["categories"]
        text = s.astype("object").fillna("(missing)").astype(str)
        idx = pd.Index(cats).get_indexer(text)
        counts = np.bincount(np.where(idx < 0, len(cats), idx), minlength=len(cats) + 1)
    return counts / max(counts.sum(), 1)


@checked_tables
def drift_reference(X: pd.DataFrame, scores, bins: int = 10) -> dict:
    """The training distribution of each feature and of the score, for `population_stability`."""
    frame = X.assign(__score__=np.asarray(scores, dtype="float64"))
    ref = {}
    for col in frame.columns:
        spec = _bins_of(frame[col], bins)
        spec["shares"] = _shares(frame[col], spec).tolist()
        ref[col] = spec
    return ref


def psi(expected: np.ndarray, actual: np.ndarray, floor: float = 1e-4) -> float:
    """Population stability index: sum over bins of (actual - expected) * ln(actual / expected)."""
    return float(_psi(expected, actual, floor))


def _psi(expected, actual, floor: float = 1e-4) -> np.ndarray:
    """`psi` over the last axis: one PSI per row of `actual` (bin shares)."""
    e = np.maximum(np.asarray(expected, dtype="float64"), floor)
    a = np.maximum(np.asarray(actual, dtype="float64"), floor)
    return np.sum((a - e) * np.log(a / e), axis=-1)


#: Random samples `chance_psi` draws: enough for the 99.8th percentile it is asked for when
#: some 30 features share a 5% false alarm (about 15 samples lie above it).
CHANCE_DRAWS = 10_000


def chance_psi(shares, n: int, level: float, draws: int = CHANCE_DRAWS, seed: int = 0) -> float:
    """The PSI that `level` of random samples of `n` leads from a population with the bin
    `shares` stay at or under: what sampling alone gives when nothing has moved.

    PSI grows as the leads get fewer: 50 leads spread over 10 bins leave some bins empty and
    others full by chance, and an empty bin alone adds about 0.7 (its share 0.1 against the
    floor). So a PSI is drift only above this level for as many leads. The samples are drawn
    with a fixed `seed`: the same shares and number of leads always give the same level
    (under one numpy release: numpy does not promise its distributions' draws across them).
    """
    p = np.asarray(shares, dtype="float64")
    p = p / p.sum()
    counts = np.random.default_rng(seed).multinomial(n, p, size=draws)
    return float(np.quantile(_psi(p, counts / max(n, 1)), level))


#: The drift status of a feature whose column holds no value for the leads scored
#: (`population_stability`'s `absent`): no distribution to compare, and no cause to retrain.
NOT_IN_EXPORT = "not in this export"
#: The drift status of a PSI at or above the ``watch`` limit but no larger than random samples
#: of as many training leads give (`chance_psi`): no sign that the population moved.
WITHIN_CHANCE = "within chance"


@checked_tables
def population_stability(
    reference: dict,
    X: pd.DataFrame,
    scores=None,
    config=None,
    absent: Collection[str] = (),
) -> pd.DataFrame:
    """PSI of each feature (and of the score) between training and the leads now scored.

    Status: "stable" below the ``watch`` limit, "watch" below ``retrain``, else "retrain"
    (``config.yaml``, section ``drift``; commonly 0.1 and 0.25) -- but `WITHIN_CHANCE` when
    the PSI is no more than ``psi_by_chance``: the PSI that random samples of as many leads
    from the training leads reach (`chance_psi`) with the chance ``false_alarm`` split over
    the features compared, so that a month without drift flags any of them with at most
    that chance. Few leads give a large PSI by chance alone: 50 of the HubSpot sample's own
    training leads at a time had a feature at "retrain" by the limits alone in 97% of draws
    (docs/notebooks.md). The features in `absent`, whose column the export holds no value of
    for these leads (`lead_features` left them out; `score_leads` gives them as missing),
    have no PSI and the status `NOT_IN_EXPORT`; they come last.
    """
    cfg = section(config, "drift")  # a key an older copy lacks: as shipped
    frame = X.copy()
    if scores is not None:
        frame["__score__"] = np.asarray(scores, dtype="float64")
    compared = [c for c in reference if c in frame and c not in absent]
    level = 1 - cfg["false_alarm"] / max(len(compared), 1)
    rows = []
    for col, spec in reference.items():
        if col not in frame:
            continue
        value, chance = np.nan, np.nan
        if col in compared:
            value = psi(spec["shares"], _shares(frame[col], spec))
            chance = chance_psi(spec["shares"], len(frame), level)
        rows.append(
            {
                "feature": "score" if col == "__score__" else col,
                "psi": value,
                "psi_by_chance": chance,
                "status": _drift_status(value, chance, cfg),
            }
        )
    return pd.DataFrame(rows).sort_values("psi", ascending=False, ignore_index=True)


#: The drift statuses a page never leaves out of its drift table (`drift_rows`).
DRIFTED = ("watch", "retrain")


@checked_tables
def drift_rows(table: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """`drift_report`'s table as a page shows it: every feature at "watch" or "retrain"
    (`DRIFTED`), however many, then those of highest PSI of the others, up to `n` rows in
    all; `smk.presentation.cut_note` says what the page leaves out."""
    drifted = table["status"].isin(DRIFTED)
    return first_rows(table, n, noun="feature", keep=drifted, kept="at watch or retrain")


def _drift_status(value: float, chance: float, cfg: dict) -> str:
    """The status of a PSI by the limits of `cfg` (``drift``) and the PSI sampling alone
    gives (`chance`); `NOT_IN_EXPORT` for none (NaN)."""
    if np.isnan(value):
        return NOT_IN_EXPORT
    if value < cfg["watch"]:
        return "stable"
    if value <= chance:
        return WITHIN_CHANCE
    return "watch" if value < cfg["retrain"] else "retrain"


# ---------------------------------------------------------------------------- the bundle
@dataclass
class ScoringModel:
    """A fitted scorer with everything needed to use and audit it later."""

    scorer: object
    features: list[str]
    target: dict
    training_period: tuple[str, str]
    version: str
    grade_thresholds: dict
    mql_threshold: float | None
    typical: dict
    reference: dict
    metrics: dict = field(default_factory=dict)
    created_with: dict = field(default_factory=dict)
    #: The end of the data it was fitted on (its lead table's ``as_of``): the outcomes known
    #: then are all it could learn from (None: not recorded, e.g. a file from before 0.1).
    trained_as_of: str | None = None

    def metadata(self) -> dict:
        """What the JSON beside the model file says."""
        return {
            "format": MODEL_FORMAT,
            "version": self.version,
            "features": self.features,
            "target": self.target,
            "training_period": list(self.training_period),
            "trained_as_of": self.trained_as_of,
            "grade_thresholds": self.grade_thresholds,
            "mql_threshold": self.mql_threshold,
            "model": {k: _plain(v) for k, v in self.scorer.get_params().items()},
            "metrics": self.metrics,
            "created_with": self.created_with,
        }


def _plain(v):
    return v if isinstance(v, (str, int, float, bool, type(None))) else str(v)


def _versions() -> dict:
    return {
        "smk": smk.__version__,
        "scikit-learn": sklearn.__version__,
        "python": platform.python_version(),
        "model_format": MODEL_FORMAT,
    }


class HeldOut(NamedTuple):
    """A scorer fitted on the training leads of a time split, and its scores of the test leads."""

    scorer: BaseEstimator
    scores: np.ndarray


@checked_tables
def refit(
    scorer: BaseEstimator, leads: pd.DataFrame, before: Month | str | None = None
) -> BaseEstimator:
    """A copy of `scorer` with the same settings, fitted on the leads of `leads` whose outcome
    is known (`scorer` itself is left as it was). With `before` (the report month), the leads
    scored in it or later are left out (`labelled`): they are the ones the copy will score."""
    known = labelled(leads, before=before)
    return clone(scorer).fit(feature_matrix(known), known["label"].astype(int))


def fit_held_out(scorer: BaseEstimator, split: TimeSplit) -> HeldOut:
    """Fit a copy of `scorer` on ``split.train`` only and score ``split.test`` with it.

    These scores come from a model that did not see the test leads: they measure the score, and
    they stand for a refitted model's scores of new leads when setting its grade and MQL
    thresholds (its own scores of the test leads are in-sample, too confident).
    """
    model = refit(scorer, split.train)
    scores = model.score_leads(feature_matrix(split.test))
    if len(np.unique(scores)) < 2:  # e.g. trees with too few leads to split: no ranking
        train = split.train["label"]
        raise NoDataError(
            f"the lead score cannot rank leads yet: every test lead got the same score from a "
            f"model trained on {counted(len(train), 'lead')} with "
            f"{counted(int(train.sum()), 'conversion')}; it needs "
            "more months of history (a later month, or a shorter outcome window)"
        )
    return HeldOut(model, scores)


def carry_mql_threshold(mql: dict, scores: np.ndarray | pd.Series) -> dict:
    """`choose_mql_threshold`'s choice, carried to the model that scores new leads: `scores`
    are its scores of this month's leads, and the carried threshold marks the same share of
    them as the held-out choice planned (`threshold_for_share`), so sales get the leads the
    capacity allows, not the number a differently spread score would give. The held-out
    threshold stays as ``held_out_threshold``; ``mqls_this_month`` counts the leads the
    carried one marks."""
    scores = np.asarray(scores, dtype="float64")
    share = min(mql["leads_per_month"] / len(scores), 1.0) if len(scores) else 0.0
    threshold = threshold_for_share(scores, share)
    return {
        **mql,
        "threshold": threshold,
        "held_out_threshold": mql["threshold"],
        "mqls_this_month": int((scores >= threshold).sum()),
    }


def threshold_for_share(scores: np.ndarray | pd.Series, share: float) -> float:
    """The lowest threshold that marks at most `share` of `scores` (ties count together);
    when the leads tied at the top score are already more, that score (those leads).

    The MQL threshold is chosen on held-out scores (`choose_mql_threshold`), but the model
    that scores new leads is refitted and spreads its scores differently: the same threshold
    would hand sales another number of leads. This carries the chosen share over to the
    scores of the model that is used.
    """
    if not 0 <= share <= 1:  # NaN too
        raise ValueError(f"share must be between 0 and 1, got {share}")
    values = np.sort(np.asarray(scores, dtype="float64"))[::-1]
    if not len(values):
        raise NoDataError("no scores to set a threshold on")
    distinct, marked = marked_by_score(values)  # how many score >= each, highest first
    if share == 0:
        return float(np.nextafter(distinct[0], np.inf))  # nobody
    fits = distinct[marked <= share * len(values)]
    # the top score alone marks more (leads tied at it): those leads, never none
    return float(fits[-1]) if len(fits) else float(distinct[0])


@checked_tables
def build_model(
    scorer,
    train: pd.DataFrame,
    reference_scores,
    target: dict,
    mql_threshold: float | None = None,
    metrics: dict | None = None,
    bins: int | None = None,
) -> ScoringModel:
    """Bundle a fitted scorer.

    Parameters
    ----------
    scorer : the fitted `LeadScorer`.
    train : the lead table it was trained on (features, `scored_at`); its ``attrs["as_of"]``
        (`lead_features` sets it) is kept as ``trained_as_of``, for `drift_report`.
    reference_scores : scores that set the grade thresholds, of leads `scorer` did not see
        in training: its scores of this month's new leads (what the report passes, so the
        grades keep their configured shares), or ``fit_held_out(scorer, split).scores``.
        `scorer`'s own scores of its training leads would not do (in-sample, too confident).
    target : the target specification (``lead_table.attrs["spec"]``).
    mql_threshold : set on the same reference scores (`threshold_tradeoff`).
    metrics : test figures kept in the model file; ``model_usable`` (bool) and
        ``model_usability`` (the `better_than_chance` caveat) make `score_leads` warn when
        the score was not shown to beat chance.
    """
    if isinstance(reference_scores, pd.DataFrame):
        raise TypeError(
            "reference_scores are scores, not a lead table: pass the held-out scores of the "
            "test leads (smk.scoring.fit_held_out(scorer, split).scores)"
        )
    X_train = feature_matrix(train)
    features = list(X_train.columns)
    start, end = train["scored_at"].min(), train["scored_at"].max()
    bins = bins or load_config()["drift"]["bins"]
    version = (
        f"{target.get('target', 'lead')}-{scorer.model}-{end:%Y%m%d}-{len(X_train)}x{len(features)}"
    )
    return ScoringModel(
        scorer=scorer,
        features=features,
        target=dict(target),
        training_period=(start.isoformat(), end.isoformat()),
        version=version,
        grade_thresholds=grade_thresholds(reference_scores),
        mql_threshold=mql_threshold,
        typical=typical_values(X_train),
        reference=drift_reference(X_train, scorer.score_leads(X_train), bins),
        metrics=dict(metrics or {}),
        created_with=_versions(),
        trained_as_of=train.attrs.get("as_of"),
    )


def model_files(path: str | Path) -> tuple[Path, Path]:
    """The model file and its metadata file of `path`: ``PATH.joblib`` and ``PATH.json``.

    The suffixes are added to the whole name, so a name with a dot of its own
    (``lead-model-2026.08``) keeps it: replacing its "suffix" wrote ``lead-model-2026.joblib``,
    which the model of 2026.10 then overwrote. A path ending in ``.joblib`` or ``.json`` (as
    `save_model` returns) names the same two files, ``lead_scorer.joblib`` and
    ``lead_scorer.json``, as ``lead_scorer`` does."""
    path = Path(path)
    if path.suffix.lower() in (".joblib", ".json"):
        path = path.with_suffix("")
    return path.with_name(path.name + ".joblib"), path.with_name(path.name + ".json")


def save_model(model: ScoringModel, path: str | Path) -> Path:
    """Write ``PATH.joblib`` and its metadata ``PATH.json`` (`model_files`); returns the
    joblib path."""
    path, meta_path = model_files(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)
    meta_path.write_text(
        json.dumps(model.metadata(), indent=2, default=str) + "\n", encoding="utf-8"
    )
    return path


def _minor(version: str) -> list[str]:
    return str(version).split(".")[:2]


def _incompatibilities(meta: dict) -> list[str]:
    """Why a model file's metadata rules it out here: its format, or the smk or scikit-learn
    minor version it was saved with (empty when it can be used)."""
    problems = []
    if meta.get("format") != MODEL_FORMAT:
        problems.append(f"model-file format {meta.get('format')} (this smk reads {MODEL_FORMAT})")
    made = meta.get("created_with", {})
    for name, installed in (("smk", smk.__version__), ("scikit-learn", sklearn.__version__)):
        theirs = str(made.get(name, "unknown"))
        if _minor(theirs) != _minor(installed):
            problems.append(f"{name} {theirs} (installed: {installed})")
    return problems


def load_model(path: str | Path) -> ScoringModel:
    """Read a model saved by `save_model`, refusing one from an incompatible version.

    The metadata is checked before the pickle is opened: a model-file format other than
    `MODEL_FORMAT`, or another smk or scikit-learn minor version (pickled models do not carry
    over, and smk's lead features may be computed differently), raises `IncompatibleModelError`
    that says what to do. Another patch version (0.1.0 and 0.1.3) loads. `path` names the
    files as for `save_model` (`model_files`).
    """
    path, meta_path = model_files(path)
    if not path.exists():
        raise FileNotFoundError(f"no model file {path}{_saved_as_before(path)}")
    if not meta_path.exists():
        raise IncompatibleModelError(
            f"{path} has no metadata file {meta_path.name}: it was not saved by "
            "smk.scoring.save_model; retrain and save the model with this version of smk"
        )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    problems = _incompatibilities(meta)
    if problems:
        raise IncompatibleModelError(
            f"cannot use model {meta.get('version', '?')} from {path}: it was saved with "
            + " and ".join(problems)
            + ". Retrain it with this version (notebook 03_lead_scoring) or install the "
            "versions it was saved with."
        )
    model = joblib.load(path)
    if not isinstance(model, ScoringModel):
        raise IncompatibleModelError(f"{path} does not hold an smk ScoringModel")
    return model


def _saved_as_before(path: Path) -> str:
    """For a model name with a dot of its own (``lead-model-2026.08``) that earlier smk saved
    without it (``lead-model-2026.joblib``, `model_files`): a hint naming that file, which is
    not read in its place (a model saved later under another such name may have replaced
    it); else ""."""
    stem = path.with_suffix("")  # models/lead-model-2026.08
    before = stem.with_suffix(".joblib") if stem.suffix else None
    if before is None or not before.is_file():
        return ""
    return (
        f" (earlier smk saved this name as {before}, as every name differing only after its "
        "last dot: load that file by its own name if it holds the model you want)"
    )


# ---------------------------------------------------------------------------- scoring
@checked_tables
def score_leads(
    model: ScoringModel, leads: pd.DataFrame, reasons: int = 3, warn: bool = True
) -> pd.DataFrame:
    """Scores for CRM import: contact_id, score (probability), grade, mql, top_reasons,
    model_version, scored_at (when `leads` has it) and model_usable, best first (equal scores
    by contact id, not in the export's row order). No leads (a day without new ones) give the
    table without rows, its columns typed as ever.

    The contact ids come from the `contact_id` column of `leads` when it has one, else from
    its index (`lead_ids`: an index of row numbers, as ``reset_index()`` leaves, is refused).
    A feature of the model that `leads` left out because its column holds no value for any of
    them (`lead_features`: a small batch of new leads without a job title) is given to every
    lead as missing (`_features`); one left out for a table the export lacks is an error.

    ``score`` is the probability as computed, not rounded: the grade and the MQL flag follow
    from it and the model's thresholds (``grade_thresholds``, ``mql_threshold`` in the model's
    JSON; a lead is an MQL when its score is at or above the threshold), so a CRM rule on the
    imported score gives the same flags. A score rounded to 4 decimals showed two leads alike
    (0.2665) of which one was an MQL and one not.

    ``model_usable`` repeats the model's ``model_usable`` metric on every row (from
    `better_than_chance` on its held-out test), so that the file imported into the CRM says
    itself whether its grades and MQL flags can be relied on: False when they cannot, empty
    when the model was built without that check. A False also warns here
    (``model_usability`` says why), unless `warn` is False: a caller that tells its readers
    itself (the lead-scoring page says it in its text, above the list) would show it twice.
    """
    if warn and model.metrics.get("model_usable") is False:
        why = model.metrics.get("model_usability") or "not to be relied on (held-out test)"
        warnings.warn(
            f"model {model.version}: its grades and MQL flags are {why}",
            UserWarning,
            stacklevel=caller_stacklevel(),
        )
    ids = lead_ids(leads)
    X = _features(model, leads)
    scores, why = _scores_and_reasons(model, X, reasons)
    out = pd.DataFrame(
        {
            "contact_id": ids.to_numpy(),
            "score": scores,  # whole: its grade and MQL flag follow from the value shown
            "grade": assign_grades(scores, model.grade_thresholds),
            "mql": scores >= model.mql_threshold if model.mql_threshold is not None else False,
            "top_reasons": why,
            "model_version": model.version,
        }
    )
    if "scored_at" in leads:
        out["scored_at"] = leads["scored_at"].dt.strftime("%Y-%m-%d").to_numpy()
    usable = model.metrics.get("model_usable")
    out["model_usable"] = pd.array(
        [None if usable is None else bool(usable)] * len(out), dtype="boolean"
    )
    out = out.astype({c: "str" for c in _TEXT_COLUMNS if c in out})  # also without leads
    out = out.sort_values(["score", "contact_id"], ascending=[False, True], ignore_index=True)
    # written as computed by `outputs.export_csv` (no tidying: a score 1 ulp off would pass or
    # miss a threshold it does not, `outputs.EXACT_FLOATS`)
    out.attrs[EXACT_FLOATS] = ["score"]
    return out


#: the text columns of `score_leads`' table (typed as text also when it has no rows)
_TEXT_COLUMNS = ("contact_id", "grade", "top_reasons", "model_version", "scored_at")


def _scores_and_reasons(model: ScoringModel, X: pd.DataFrame, n: int) -> tuple:
    """Each lead's score and its `n` top reasons (`top_reasons`), as arrays; empty ones for
    no leads (a daily run on a day without new leads), which scikit-learn refuses to score."""
    if len(X) == 0:
        return np.empty(0, dtype="float64"), np.empty(0, dtype=object)
    return model.scorer.score_leads(X), top_reasons(model.scorer, X, model.typical, n=n).to_numpy()


def _features(model: ScoringModel, leads: pd.DataFrame) -> pd.DataFrame:
    """The model's feature columns of `leads`. A feature `lead_features` left out because its
    column holds no value for these leads (`empty_column_features`: in a small batch of new
    leads, no original source detail is ordinary) is given to every lead as a lead without a
    value of it has it in training (missing; no colleagues without an account); a clear error
    names any other it lacks (and the tables of the export it lacks, when `lead_features` left
    them out for that)."""
    empty = empty_column_features(leads)
    missing = [f for f in model.features if f not in leads.columns and f not in empty]
    if missing:
        absent = leads.attrs.get("features_left_out") or {}
        tables = [t for t, names in absent.items() if set(names) & set(missing)]
        how = (
            f"the export has no {' and no '.join(tables)}: retrain the model on it"
            if tables
            else "build them with smk.scoring.lead_features"
        )
        raise ValueError(
            f"the leads lack {len(missing)} feature(s) model {model.version} was trained on: "
            f"{', '.join(missing)}; {how}"
        )
    given = {
        f: _no_values(model, f, empty[f], leads.index) for f in model.features if f not in leads
    }
    return leads.assign(**given)[model.features] if given else leads[model.features]


def _no_values(model: ScoringModel, feature: str, value: float, index: pd.Index) -> pd.Series:
    """`feature` at `value` (NaN: missing) for every lead, typed as in training (numbers, or
    text)."""
    numeric = model.reference.get(feature, {}).get("kind") == "numeric"
    return pd.Series(value, index=index, dtype="float64" if numeric else "object")


@checked_tables
def drift_report(model: ScoringModel, leads: pd.DataFrame, as_of=None, config=None) -> dict:
    """Feature drift of newly scored leads against training, and whether to retrain.

    Returns a dict: `table` (PSI per feature and for the score), `retrain` (bool), `reasons`
    (plain sentences) and `model_age_days`: with `as_of`, the days since the newest outcome
    the model learnt from was known (its newest training lead's scoring date plus the target's
    ``within_days``; the window the model waits for outcomes is not age). Warns when the model
    should be retrained: a feature's PSI at ``retrain`` or more and above what chance gives
    as many leads (`population_stability`), or that age above ``max_age_days``
    (``config.yaml``, section ``drift``).

    A model fitted on the data up to `as_of` or later (its ``trained_as_of``: a model fitted
    in this run) is never due: it has learnt from every outcome known by then, and a retrain
    would give it back. Its drift is then warned about as a note, ``retrain`` stays False.
    """
    cfg = section(config, "drift")  # a key an older copy lacks: as shipped
    X = _features(model, leads)
    absent = [f for f in model.features if f not in leads]  # given as missing by `_features`
    scores = model.scorer.score_leads(X)
    table = population_stability(model.reference, X, scores, config, absent=absent)
    reasons = [
        f"{r.feature} has drifted (PSI {r.psi:.2f} >= {cfg['retrain']}; chance alone gives up "
        f"to {r.psi_by_chance:.2f} on {counted(len(X), 'lead')})"
        for r in table.itertuples()
        if r.status == "retrain"
    ]
    age = None if as_of is None else _outcome_age(model, as_of)
    if _fitted_by(model, as_of):
        if reasons:
            warnings.warn(_fresh_note(model, reasons), stacklevel=caller_stacklevel())
        return {"table": table, "retrain": False, "reasons": [], "model_age_days": age}
    if age is not None and age > cfg["max_age_days"]:
        reasons.append(
            f"the newest outcome it learnt from is {age} days old (> {cfg['max_age_days']})"
        )
    if reasons:
        warnings.warn(
            f"model {model.version} should be retrained: " + "; ".join(reasons),
            stacklevel=caller_stacklevel(),
        )
    return {"table": table, "retrain": bool(reasons), "reasons": reasons, "model_age_days": age}


def _outcome_age(model: ScoringModel, as_of) -> int:
    """Whole days from when the outcome of the model's newest training lead was known (its
    scoring date plus the target's ``within_days``) to `as_of`."""
    from smk.periods import as_of_time

    within = pd.Timedelta(days=int(model.target.get("within_days") or 0))
    known = as_of_time(model.training_period[1]) + within
    return int((as_of_time(as_of) - known) / pd.Timedelta(days=1))


def _fitted_by(model: ScoringModel, as_of) -> bool:
    """Whether `model` was fitted on the data up to `as_of` or later (`trained_as_of`)."""
    if as_of is None or model.trained_as_of is None:
        return False
    from smk.periods import as_of_time

    return as_of_time(as_of) <= as_of_time(model.trained_as_of)


def _fresh_note(model: ScoringModel, drifted: list[str]) -> str:
    """The drift of a model fitted on every outcome known: why it is not due for a retrain."""
    from smk.periods import as_of_time

    last_day = as_of_time(model.trained_as_of) - pd.Timedelta(1)  # as_of is exclusive
    return (
        f"the leads have moved since the training leads of model {model.version}: "
        + "; ".join(drifted)
        + f". It was fitted on every outcome known by the end of {last_day:%Y-%m-%d}, so it "
        "is not due for retraining: retrain when the outcomes of the newer leads are known"
    )
