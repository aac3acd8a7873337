"""How good is a score: discrimination, calibration, lift, whether it beats chance, and the
threshold trade-off.

All functions take the outcomes `y` (1 converted, 0 not) and scores of the same leads. Tables are
tidy DataFrames; verdicts are dicts (`compare_scores`; `better_than_chance`: a seeded bootstrap
interval of the ROC AUC that must clear 0.5, on at least `MIN_OUTCOMES` conversions and
non-conversions; `choose_mql_threshold`). The `plot_*` helpers draw on a matplotlib axes
(``ax=None``: a new figure) and return the axes.
"""

from __future__ import annotations

import math
from collections.abc import Collection

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from smk.checks import checked_tables, is_number, is_whole
from smk.errors import NoDataError
from smk.outputs import NO_DATA, counted


def _arrays(y, score) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype="float64")
    s = np.asarray(score, dtype="float64")
    if y.shape != s.shape:
        raise ValueError(f"y has {len(y)} values but the score has {len(s)}")
    if np.isnan(y).any() or np.isnan(s).any():
        raise ValueError("y and the score must not have missing values")
    return y, s


def _is_probability(s: np.ndarray) -> bool:
    return bool(len(s)) and s.min() >= 0 and s.max() <= 1


def expected_calibration_error(y, proba, bins: int = 10) -> float:
    """Expected calibration error: the lead-weighted mean |predicted - observed| over bins of
    equal size (quantiles of the predicted probability)."""
    table = calibration_table(y, proba, bins=bins)
    w = table["leads"] / table["leads"].sum()
    return float((w * (table["predicted"] - table["observed"]).abs()).sum())


def calibration_table(y, proba, bins: int = 10) -> pd.DataFrame:
    """Predicted vs observed conversion rate in bins of equal size (quantiles of the score)."""
    y, p = _arrays(y, proba)
    order = np.argsort(p, kind="stable")
    groups = np.array_split(order, min(bins, len(p)))
    rows = [
        {
            "bin": i + 1,
            "leads": len(g),
            "predicted": float(p[g].mean()),
            "observed": float(y[g].mean()),
        }
        for i, g in enumerate(groups)
        if len(g)
    ]
    return pd.DataFrame(rows)


def _ranked_pairs(score: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Converter-over-non-converter pair mass of one score, ties counted half.

    `pos` and `neg` give each lead's converter and non-converter mass (last axis: leads; a
    leading axis holds bootstrap replicates). The leads are grouped by score level once; the
    rest is cumulative sums, so thousands of replicates cost about as much as a few AUCs.
    """
    _, level = np.unique(score, return_inverse=True)
    order = np.argsort(level, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(level[order]) != 0])
    pos_level = np.add.reduceat(pos[..., order], starts, axis=-1)
    neg_level = np.add.reduceat(neg[..., order], starts, axis=-1)
    below = np.cumsum(neg_level, axis=-1) - neg_level  # non-converter mass strictly below
    return (pos_level * (below + 0.5 * neg_level)).sum(axis=-1)


def expected_auc(q, score) -> float:
    """AUC of `score` in expectation over labels drawn as Bernoulli(q), ties counted half.

    For synthetic data, where each lead's true probability q is known: it judges a score
    without the noise of which test leads happened to convert. It is the sum over ordered pairs
    i != j of q_i (1 - q_j) [s_i > s_j], over the sum of q_i (1 - q_j).
    """
    q, score = np.asarray(q, dtype=float), np.asarray(score, dtype=float)
    same = (q * (1 - q)).sum()  # the i == j terms, counted as ties by _ranked_pairs
    pairs = _ranked_pairs(score, q, 1 - q) - 0.5 * same
    return float(pairs / (q.sum() * (1 - q).sum() - same))


def score_metrics(y, scores: dict[str, np.ndarray], bins: int = 10) -> pd.DataFrame:
    """Side-by-side quality of several scores of the same leads.

    Columns: roc_auc, pr_auc (average precision), top_decile_lift, and for scores that are
    probabilities brier, ece (expected calibration error) and mean_predicted; base_rate.
    Point scores (the rule-based score) get no Brier or ECE: they are not probabilities.
    """
    rows = []
    for name, score in scores.items():
        yy, s = _arrays(y, score)
        prob = _is_probability(s) and name != "rules"
        deciles = decile_table(yy, s, deciles=bins)
        rows.append(
            {
                "score": name,
                "leads": len(yy),
                "conversions": int(yy.sum()),
                "base_rate": float(yy.mean()),
                "roc_auc": float(roc_auc_score(yy, s)),
                "pr_auc": float(average_precision_score(yy, s)),
                "top_decile_lift": float(deciles["lift"].iloc[0]),
                "brier": float(brier_score_loss(yy, s)) if prob else np.nan,
                "ece": expected_calibration_error(yy, s, bins) if prob else np.nan,
                "mean_predicted": float(s.mean()) if prob else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("score")


def _bootstrap_resamples(y, n_boot: int, rng, batch: int = 100):
    """Converter and non-converter mass of each lead in `n_boot` resamples of the leads (as
    resampling weights, `batch` resamples at a time); a resample needs both kinds of lead."""
    n = len(y)
    for start in range(0, n_boot, batch):
        draws = rng.integers(0, n, size=(min(batch, n_boot - start), n))
        weights = np.stack([np.bincount(d, minlength=n) for d in draws]).astype("float64")
        both = ((weights * y).sum(axis=1) > 0) & ((weights * (1 - y)).sum(axis=1) > 0)
        weights = weights[both]
        yield weights * y, weights * (1 - y)


def _bootstrap_auc_differences(y, a, b, n_boot: int, rng, batch: int = 100) -> np.ndarray:
    """AUC(a) - AUC(b) on `n_boot` paired resamples of the leads (as resampling weights)."""
    diffs = []
    for pos, neg in _bootstrap_resamples(y, n_boot, rng, batch):
        pairs = pos.sum(axis=1) * neg.sum(axis=1)
        diffs.append((_ranked_pairs(a, pos, neg) - _ranked_pairs(b, pos, neg)) / pairs)
    return np.concatenate(diffs)


def _bootstrap_aucs(y, score, n_boot: int, rng, batch: int = 100) -> np.ndarray:
    """AUC of `score` on `n_boot` resamples of the leads (as resampling weights)."""
    aucs = []
    for pos, neg in _bootstrap_resamples(y, n_boot, rng, batch):
        aucs.append(_ranked_pairs(score, pos, neg) / (pos.sum(axis=1) * neg.sum(axis=1)))
    return np.concatenate(aucs)


def compare_scores(
    y,
    first,
    second,
    names: tuple[str, str] = ("model", "rules"),
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> dict:
    """Which of two scores of the same leads ranks them better, and is the difference real?

    A paired bootstrap of the test leads (both scores resampled together) gives an interval for
    the difference in ROC AUC. With a few dozen conversions the interval is wide, and a model
    that looks worse or better than simple points may be neither: the verdict says so instead
    of crowning the larger number. Returns auc (per name), difference (first - second), ci,
    verdict (a name or "no clear difference"), conversions and a plain-words `text`.
    """
    y, a = _arrays(y, first)
    _, b = _arrays(y, second)
    if len(np.unique(y)) < 2:
        raise ValueError("comparing scores needs both converted and unconverted leads")
    auc_a, auc_b = float(roc_auc_score(y, a)), float(roc_auc_score(y, b))
    diffs = _bootstrap_auc_differences(y, a, b, n_boot, np.random.default_rng(seed))
    tail = (1 - level) / 2 * 100
    lo, hi = (float(v) for v in np.percentile(diffs, [tail, 100 - tail]))
    verdict = names[0] if lo > 0 else names[1] if hi < 0 else "no clear difference"
    first_name, second_name = names
    text = (
        f"On {counted(len(y), 'test lead')} with {counted(int(y.sum()), 'conversion')}, ROC AUC is "
        f"{auc_a:.3f} for the {first_name} score and {auc_b:.3f} for the {second_name} score: "
        f"a difference of {auc_a - auc_b:+.3f} ({level:.0%} interval {lo:+.3f} to {hi:+.3f}). "
    )
    if verdict == "no clear difference":
        text += (
            f"Neither ranks leads clearly better at this size: the {second_name} score is as "
            f"good a guide until more converted leads show a real difference."
        )
    else:
        other = second_name if verdict == first_name else first_name
        text += f"The {verdict} score ranks leads better than the {other} score, beyond noise."
    return {
        "auc": {first_name: auc_a, second_name: auc_b},
        "difference": auc_a - auc_b,
        "ci": [lo, hi],
        "level": level,
        "verdict": verdict,
        "conversions": int(y.sum()),
        "text": text,
    }


#: Fewer test conversions (or non-conversions) than this cannot show a score beats chance.
MIN_OUTCOMES = 5

#: why `better_than_chance` finds a score unusable, in words ("the model score ...")
_NOT_USABLE = {
    "too_few_outcomes": (
        f"cannot be shown to rank leads better than chance: the test holds fewer than "
        f"{MIN_OUTCOMES} conversions or non-conversions"
    ),
    "below_chance": "ranks leads worse than chance, giving converters the lower scores",
    "at_or_below_chance": "ranks leads no better than chance",
    "interval_includes_chance": "is not shown to rank leads better than chance",
}


def better_than_chance(
    y,
    score,
    name: str = "model",
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> dict:
    """Is `score` usable: does it rank these (held-out) leads better than a coin toss, beyond
    sampling noise?

    Usable when its ROC AUC is above 0.5 and so is the lower end of the AUC's `level`
    interval, from a bootstrap of the leads seeded like `compare_scores`', and the test holds
    at least `MIN_OUTCOMES` conversions and non-conversions. Returns usable, reason (None
    when usable, else "too_few_outcomes", "below_chance": the interval lies under 0.5,
    "at_or_below_chance": AUC <= 0.5, or "interval_includes_chance"), auc, ci, level, leads,
    conversions, a plain-words `headline` and `text`, and `caveat`: what to print beside the
    grades and MQL threshold built from the score (None when usable).
    """
    y, s = _arrays(y, score)
    if len(np.unique(y)) < 2:
        raise NoDataError(
            "judging a score needs both converted and unconverted test leads: use more months "
            "of data or a more common target"
        )
    auc = float(roc_auc_score(y, s))
    few = min(int(y.sum()), int(len(y) - y.sum())) < MIN_OUTCOMES
    aucs = _bootstrap_aucs(y, s, n_boot, np.random.default_rng(seed))
    tail = (1 - level) / 2 * 100
    lo, hi = (float(v) for v in np.percentile(aucs, [tail, 100 - tail]))
    if few:  # a bootstrap of one or two conversions collapses to a point: no evidence
        reason = "too_few_outcomes"
    elif hi < 0.5:
        reason = "below_chance"
    elif auc <= 0.5:
        reason = "at_or_below_chance"
    elif lo <= 0.5:
        reason = "interval_includes_chance"
    else:
        reason = None
    measured = (
        f"On {counted(len(y), 'test lead')} with {counted(int(y.sum()), 'conversion')} its ROC "
        f"AUC is {auc:.3f} "
        f"({level:.0%} interval {lo:.3f} to {hi:.3f}; 0.5 is a coin toss)."
    )
    if reason is None:
        headline = f"The {name} score ranks leads better than chance."
        text, caveat = measured, None
    else:
        headline = f"The {name} score is not usable: it {_NOT_USABLE[reason]}."
        text = (
            f"{measured} The grades and the MQL threshold set from it are not shown to be a "
            "better guide than working leads in random order: do not rely on them. A fitted "
            "model needs more history to learn from (more months of data, a later month or a "
            "shorter outcome window); until a test shows it beats chance, do not let it decide "
            "which leads sales works first."
        )
        caveat = (
            f"not to be relied on: the {name} score they come from {_NOT_USABLE[reason]} "
            f"(ROC AUC {auc:.2f}, {level:.0%} interval {lo:.2f} to {hi:.2f})"
        )
    return {
        "usable": reason is None,
        "reason": reason,
        "auc": auc,
        "ci": [lo, hi],
        "level": level,
        "leads": len(y),
        "conversions": int(y.sum()),
        "headline": headline,
        "text": text,
        "caveat": caveat,
    }


def usability_note(
    checks: dict[str, dict], main: str = "model", calibration: dict | None = None
) -> str:
    """The page's verdict on `better_than_chance` checks of several scores, as Markdown: the
    `main` score's headline and text and, when it is not usable, how the others fared; then,
    when `calibration` (`calibration_check` of the `main` score) finds its probabilities far
    from what happened, that verdict too."""
    first = checks[main]
    note = f"> **{first['headline']}** {first['text']}"
    for name, other in checks.items():
        if name != main and not first["usable"]:
            lo, hi = other["ci"]
            note += (
                f"\n>\n> {other['headline']} Its ROC AUC is {other['auc']:.3f} "
                f"({other['level']:.0%} interval {lo:.3f} to {hi:.3f})."
            )
    if calibration is not None and not calibration["calibrated"]:
        note += f"\n>\n> **{calibration['headline']}** {calibration['text']}"
    return note


#: Above this expected calibration error (ECE) a score's probabilities are far from what happened.
MAX_ECE = 0.15


@checked_tables
def calibration_check(quality: pd.DataFrame, name: str = "model", max_ece: float = MAX_ECE) -> dict:
    """Are the `name` score's predicted probabilities close to what happened on the test leads:
    is its ECE (its row of `score_metrics`) at most `max_ece`?

    A verdict the page prints, not a check that stops it: with a few hundred test leads a model
    can miss by more (small data is valid data). Returns calibrated, ece, max_ece, a plain-words
    `headline` and `text`, and `caveat` (None when calibrated): what to print beside figures
    read from the probabilities (expected conversions, their share above the MQL threshold).
    A score without probabilities (no ECE) is a ValueError: there is nothing to check.
    """
    ece = float(quality.loc[name, "ece"])
    if not 0.0 <= ece <= 1.0:
        raise ValueError(
            f"the {name} score has no calibration error (ECE {ece}): not probabilities"
        )
    calibrated = ece <= max_ece
    measured = f"expected calibration error {ece:.3f}, above {max_ece:g}"
    return {
        "calibrated": calibrated,
        "ece": ece,
        "max_ece": max_ece,
        "headline": None if calibrated else f"The {name} score's probabilities are off.",
        "text": None
        if calibrated
        else (
            f"On the test leads its predicted probabilities are far from what happened "
            f"({measured}): read the score as a ranking, not as a chance of converting; the "
            "expected conversions computed from it are not to be relied on."
        ),
        "caveat": None
        if calibrated
        else f"not to be relied on: the {name} score's probabilities are off ({measured})",
    }


def capacity_kpi(mqls: int, capacity: int, check: dict) -> dict:
    """The report tile "Leads above the score threshold vs sales capacity" (an item of
    ``metrics-lead_scoring.json``'s `kpis`, docs/notebooks.md): this month's scored leads above
    the score's MQL threshold against the leads sales can work a month (`capacity`, notebook
    03's ``capacity_per_month``). Not the funnel's MQLs (the funnel page's "MQLs (funnel stage)
    vs target": contacts at the CRM's MQL stage), hence the label and its wording ("leads above
    the MQL threshold", never "MQLs").

    The threshold is chosen to fill the capacity, not merely to stay within it: the status is
    "met" when those leads fit the capacity and are at least `MIN_CAPACITY_FILLED` of it (90%,
    rounded down, at least 1 lead), else "at risk" with `detail` saying which way (more than
    sales can work, or fewer: sales could work more leads, e.g. the month brought fewer leads
    than the capacity); but when `check`
    (`better_than_chance` of the score that puts them above it) says the score is not usable, the
    count is what a score not shown to beat chance hands sales, not a figure to meet: the
    status is then "no data" (the report's grey tile: no reliable value) and `detail` says
    why. The tile is never "met" for an unusable score.
    """
    capacity = check_capacity(capacity)
    mqls = int(mqls)
    tile = {
        "id": "mqls_from_score",
        "label": "Leads above the score threshold vs sales capacity",
        "value": mqls,
        "target": capacity,
        "format": "int",
    }
    if check["usable"]:
        return {**tile, **_capacity_status(mqls, capacity)}
    lo, hi = check["ci"]
    return {
        **tile,
        "detail": (
            "not usable: the score that puts these leads above the MQL threshold "
            f"{_NOT_USABLE[check['reason']]} "
            f"(ROC AUC {check['auc']:.2f}, {check['level']:.0%} "
            f"interval {lo:.2f} to {hi:.2f}); not to be relied on"
        ),
        "status": NO_DATA,
    }


#: The capacity tile is "met" when the leads above the MQL threshold are at least this share
#: of the sales capacity (rounded down, at least 1 lead) and no more than it.
MIN_CAPACITY_FILLED = 0.9


def _capacity_status(mqls: int, capacity: int) -> dict:
    """The capacity tile's status, with a `detail` when it is "at risk"."""
    least = max(1, math.floor(MIN_CAPACITY_FILLED * capacity))
    if mqls > capacity:
        why = f"more than the {counted(capacity, 'lead')} sales can work a month"
    elif mqls < least:
        why = (
            f"fewer than {least} ({MIN_CAPACITY_FILLED:.0%} of the capacity of {capacity}): "
            "sales could work more leads"
        )
    else:
        return {"status": "met"}
    return {"detail": why, "status": "at risk"}


@checked_tables
def model_kpis(
    quality: pd.DataFrame, comparison: dict, check: dict, leaking: Collection[str] = ()
) -> list[dict]:
    """The report tiles of the predictive score's test (items of ``metrics-lead_scoring.json``'s
    `kpis`): its ROC AUC and its top-decile lift on the test leads (`quality`: `score_metrics`
    of "model" and "rules"), each with the rule-based score's figure. Both come from the same
    model, so both carry the same caveat: when `check` (`better_than_chance` of the model)
    says it is not usable, each says "not usable" in its detail and is marked "missed"; the
    features left out as `leaking` (`drop_leaking`) are named in both details."""
    caveat = "" if check["usable"] else "not usable: not shown to beat chance; "
    if leaking:
        caveat += f"fitted without {', '.join(leaking)} (leakage); "
    status = {} if check["usable"] else {"status": "missed"}
    rules = quality.loc["rules"]
    auc = {
        "id": "lead_score_auc",
        "label": "Lead score ROC AUC (test leads)",
        "value": float(quality.loc["model", "roc_auc"]),
        "format": "float",
        "detail": f"{caveat}rule-based score: {rules['roc_auc']:.2f}; "
        f"better: {comparison['verdict']}",
    }
    lift = {
        "id": "lead_score_top_decile_lift",
        "label": "Top-decile lift",
        "value": float(quality.loc["model", "top_decile_lift"]),
        "format": "float",
        "detail": f"{caveat}rule-based score: {rules['top_decile_lift']:.1f}",
    }
    return [{**auc, **status}, {**lift, **status}]


def decile_table(y, score, deciles: int = 10) -> pd.DataFrame:
    """Leads ranked by score in equal groups (1 = highest scores): conversion rate, lift over
    the average, and the cumulative share of all conversions captured (gains)."""
    y, s = _arrays(y, score)
    order = np.argsort(-s, kind="stable")
    groups = [g for g in np.array_split(order, min(deciles, len(s))) if len(g)]
    base = y.mean() if len(y) else np.nan
    total = y.sum()
    rows, captured = [], 0.0
    for i, g in enumerate(groups):
        captured += y[g].sum()
        rate = float(y[g].mean())
        rows.append(
            {
                "decile": i + 1,
                "leads": len(g),
                "min_score": float(s[g].min()),
                "max_score": float(s[g].max()),
                "conversions": int(y[g].sum()),
                "conversion_rate": rate,
                "lift": rate / base if base else np.nan,
                "cumulative_share_of_conversions": captured / total if total else np.nan,
            }
        )
    return pd.DataFrame(rows)


def cumulative_gains(y, score) -> pd.DataFrame:
    """Share of conversions captured when working the top share of leads by score."""
    y, s = _arrays(y, score)
    order = np.argsort(-s, kind="stable")
    captured = np.cumsum(y[order])
    n = len(y)
    share = np.arange(1, n + 1) / n
    total = captured[-1] if n else 0
    gains = captured / total if total else np.full(n, np.nan)
    return pd.DataFrame(
        {
            "share_of_leads": np.r_[0.0, share],
            "share_of_conversions": np.r_[0.0, gains],
            "lift": np.r_[np.nan, gains / share],
        }
    )


#: The trade-off's candidate thresholds include, for every whole number of leads a month up to
#: this, the lowest threshold that hands sales no more: a capacity up to it is filled to the
#: lead (tied scores aside), however many leads a month bring. The rest of the table is the
#: 201 quantiles of the scores (steps of 0.5% of the leads: 100 leads at 20,000 a month).
EXACT_LEADS_PER_MONTH = 1000


def threshold_tradeoff(
    proba,
    leads_per_month: float,
    y=None,
    value_per_conversion: float | None = None,
    cost_per_lead: float = 0.0,
    thresholds=None,
    capacity: int | None = None,
) -> pd.DataFrame:
    """What each MQL threshold means per month: leads handed to sales, expected conversions
    among them, share of all conversions captured, and the expected value when a conversion's
    value is known.

    Parameters
    ----------
    proba : calibrated conversion probabilities of a reference set of leads (e.g. the test
        period), standing for a typical month.
    leads_per_month : how many leads a month brings (scales the reference set to a month).
    y : observed outcomes of the reference leads, when known (adds the observed columns).
    value_per_conversion, cost_per_lead : the value of a conversion and the cost of working a
        lead; the expected value is ``sum(p) * value - leads * cost``. Without a value (None)
        the table has no ``expected_value_per_month``: it would be the expected conversions
        under a money-looking name.
    thresholds : candidate thresholds (default: the 201 quantiles of `proba`, and the lowest
        threshold within each whole number of leads a month up to `EXACT_LEADS_PER_MONTH`
        and up to `capacity`, so that `choose_mql_threshold` can fill a capacity).
    capacity : the leads sales can work a month, when known: the threshold that fills it is
        a candidate too, even above `EXACT_LEADS_PER_MONTH`.
    """
    p = np.asarray(proba, dtype="float64")
    scale = leads_per_month / len(p)
    desc = np.sort(p)[::-1]
    if thresholds is None:
        thresholds = _candidate_thresholds(desc, scale, capacity)
    thresholds = np.sort(np.asarray(thresholds, dtype="float64"))[::-1]
    marked = np.searchsorted(-desc, -thresholds, side="right")  # leads scoring >= each
    expected = np.r_[0.0, np.cumsum(desc)][marked]
    table = pd.DataFrame(
        {
            "threshold": thresholds,
            "share_of_leads": marked / len(p),
            "leads_per_month": marked * scale,
            "expected_conversions_per_month": expected * scale,
            "expected_share_of_conversions": expected / p.sum(),
        }
    )
    if y is not None:
        yy = np.asarray(y, dtype="float64")[np.argsort(-p, kind="stable")]
        observed = np.r_[0.0, np.cumsum(yy)][marked]
        table["observed_share_of_conversions"] = observed / yy.sum() if yy.sum() else np.nan
    if value_per_conversion is not None:
        table["expected_value_per_month"] = (
            table["expected_conversions_per_month"] * value_per_conversion
            - table["leads_per_month"] * cost_per_lead
        )
    return table


def marked_by_score(desc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct score of `desc` (scores sorted highest first), highest first, and how
    many of the scores a threshold at it marks (those at or above it: ties count together)."""
    distinct = np.unique(desc)[::-1]
    return distinct, np.searchsorted(-desc, -distinct, side="right")


def _candidate_thresholds(desc: np.ndarray, scale: float, capacity: int | None) -> np.ndarray:
    """The 201 quantiles of the scores `desc` (highest first), and for each whole number of
    leads a month up to `EXACT_LEADS_PER_MONTH` (and `capacity`) the lowest score that hands
    sales at most that many (`scale`: leads a month per reference lead)."""
    distinct, marked = marked_by_score(desc)
    leads = marked * scale  # as the table counts them
    wanted = np.arange(1, EXACT_LEADS_PER_MONTH + 1)
    if capacity is not None:
        wanted = np.r_[wanted, check_capacity(capacity)]
    lowest = np.searchsorted(leads, wanted, side="right") - 1  # the last within each
    grid = np.quantile(desc, np.linspace(0, 1, 201))
    return np.unique(np.r_[grid, distinct[lowest[lowest >= 0]]])


#: What the sales capacity is called where analysts set it (notebook 03's parameter).
CAPACITY_NAME = "capacity_per_month"


def check_capacity(capacity) -> int:
    """`capacity` (leads sales can work per month) as an int; a ValueError that names the
    parameter and the value when it is not a whole number above 0.

    Whole floats (``40.0``) pass as ints; a bool, a text, a fraction (``40.5``), NaN or
    infinity is refused, as is 0 or less (sales would be handed no lead at all).
    """
    what = (
        f"the sales capacity ({CAPACITY_NAME}, the leads sales can work per month) must be a "
        f"whole number of leads above 0, e.g. 40; got {capacity!r}"
    )
    if not is_number(capacity):
        raise ValueError(f"{what} ({type(capacity).__name__})")
    if not is_whole(capacity):
        raise ValueError(f"{what} (not a whole number)")
    if capacity <= 0:
        raise ValueError(f"{what} (sales would be handed no lead)")
    if capacity > _MAX_CAPACITY:  # a 401-digit capacity overflowed inside notebook 03
        raise ValueError(f"{what} (more than {_MAX_CAPACITY:,} leads a month: a typo?)")
    return int(capacity)


#: No sales team works more leads a month; numpy's int64 holds it.
_MAX_CAPACITY = 10**9


@checked_tables
def choose_mql_threshold(tradeoff: pd.DataFrame, capacity: float | None = None) -> dict:
    """The MQL threshold: the lowest that keeps the leads handed to sales within `capacity`
    per month; without a capacity, the one with the best expected value (a ValueError when
    `tradeoff` has none: `threshold_tradeoff` was given no value per conversion).

    `capacity` (notebook 03's ``capacity_per_month``) is the number of leads sales can work
    in a month: a whole number above 0 (``40`` or ``40.0``); anything else (0, -5, 40.5, "40",
    True) raises a ValueError that names it and the value given.

    Returns a dict: rule ("capacity" or "value"), threshold, leads_per_month,
    expected_conversions_per_month, expected_share_of_conversions, expected_value_per_month
    when the trade-off was given a value per conversion, and observed_share_of_conversions
    when it was given the outcomes.
    """
    table = tradeoff.sort_values("threshold", ascending=False)
    if capacity is not None:
        capacity = check_capacity(capacity)
        fits = table[table["leads_per_month"] <= capacity]
        if fits.empty:
            raise ValueError(
                f"even the highest threshold hands sales {table['leads_per_month'].min():.0f} "
                f"leads a month, more than the sales capacity of {capacity} "
                f"({CAPACITY_NAME}): raise the capacity"
            )
        row, rule = fits.iloc[-1], "capacity"
    elif "expected_value_per_month" in table:
        row, rule = table.loc[table["expected_value_per_month"].idxmax()], "value"
    else:
        raise ValueError(
            "no sales capacity and no value per conversion to choose the MQL threshold by: "
            f"give a capacity ({CAPACITY_NAME}), or threshold_tradeoff a value_per_conversion"
        )
    keys = (
        "threshold",
        "leads_per_month",
        "expected_conversions_per_month",
        "expected_share_of_conversions",
        "expected_value_per_month",
        "observed_share_of_conversions",
    )
    return {"rule": rule, **{k: float(row[k]) for k in keys if k in row}}


# ---------------------------------------------------------------------------- plots
def _axes(ax, figsize=(6, 4)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_calibration(y, scores: dict[str, np.ndarray], bins: int = 10, ax=None, **kwargs):
    """Predicted vs observed conversion rate per bin, one line per score; the diagonal is
    perfect calibration."""
    ax = _axes(ax)
    top = 0.0
    for name, p in scores.items():
        table = calibration_table(y, p, bins)
        ax.plot(table["predicted"], table["observed"], marker="o", label=name, **kwargs)
        top = max(top, table["predicted"].max(), table["observed"].max())
    ax.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1, label="perfect")
    ax.set_xlabel("predicted conversion rate")
    ax.set_ylabel("observed conversion rate")
    ax.set_title("Calibration: do predicted rates come true?")
    ax.legend()
    return ax


def plot_gains(y, scores: dict[str, np.ndarray], ax=None, **kwargs):
    """Cumulative gains: share of conversions captured by working the top x% of leads."""
    ax = _axes(ax)
    for name, s in scores.items():
        g = cumulative_gains(y, s)
        ax.plot(g["share_of_leads"], g["share_of_conversions"], label=name, **kwargs)
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="random")
    ax.set_xlabel("share of leads worked (best scores first)")
    ax.set_ylabel("share of conversions captured")
    ax.set_title("Cumulative gains: how many conversions the top leads hold")
    ax.legend()
    return ax


@checked_tables
def plot_deciles(deciles: pd.DataFrame, ax=None, **kwargs):
    """Conversion rate per score decile, with the average rate as a line."""
    ax = _axes(ax)
    ax.bar(deciles["decile"], deciles["conversion_rate"], **kwargs)
    base = (deciles["conversions"].sum() / deciles["leads"].sum()) if len(deciles) else 0
    ax.axhline(base, color="grey", linestyle="--", linewidth=1, label=f"average {base:.1%}")
    ax.set_xticks(deciles["decile"])
    ax.set_xlabel("score decile (1 = highest scores)")
    ax.set_ylabel("conversion rate")
    ax.set_title("Conversion rate by score decile")
    ax.yaxis.set_major_formatter(_percent())
    ax.legend()
    return ax


@checked_tables
def plot_threshold_tradeoff(tradeoff: pd.DataFrame, choice: dict | None = None, ax=None):
    """Leads handed to sales per month vs the share of conversions they hold, with the chosen
    MQL threshold marked."""
    ax = _axes(ax)
    t = tradeoff.sort_values("leads_per_month")
    ax.plot(t["leads_per_month"], t["expected_share_of_conversions"], label="expected (model)")
    if "observed_share_of_conversions" in t:
        ax.plot(
            t["leads_per_month"],
            t["observed_share_of_conversions"],
            linestyle=":",
            label="observed (test period)",
        )
    if choice:
        ax.axvline(choice["leads_per_month"], color="grey", linestyle="--", linewidth=1)
        ax.scatter(
            [choice["leads_per_month"]],
            [choice["expected_share_of_conversions"]],
            color="black",
            zorder=3,
            label=f"MQL threshold {choice['threshold']:.1%} ({choice['rule']})",
        )
    ax.set_xlabel("leads handed to sales per month")
    ax.set_ylabel("share of conversions captured")
    ax.yaxis.set_major_formatter(_percent())
    ax.set_title("The MQL threshold: sales effort vs conversions captured")
    ax.legend()
    return ax


def _percent():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)
