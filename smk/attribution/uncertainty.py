"""Bootstrap confidence intervals over journeys, to see which differences are real.

Each replicate resamples the journeys with replacement (for a path table: its conversions and
non-conversions, row by row, as if they were individual journeys), refits the model and
records every channel's share of the credit. The interval is the percentile interval of those
shares; two channels whose intervals overlap widely are not reliably different. A replicate
that draws no conversion has no shares (they are undefined, not 0) and is left out, as is one
the model cannot be fitted on; the intervals say how many replicates they rest on. The journeys
are drawn in a canonical order (`canonical_order`), so that the same seed gives the same
intervals whatever the order of the export's rows (or of a path table's).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from smk.attribution.journeys import Journeys
from smk.attribution.models import attribute
from smk.attribution.shapley import NotEstimableError
from smk.checks import caller_stacklevel, check_integer, check_number, checked_tables
from smk.io.parse import arrow_text, listed
from smk.outputs import counted

#: A bootstrap's `random_state`: a seed (an int >= 0), a numpy Generator (drawn from) or a
#: SeedSequence.
Seed = int | np.random.Generator | np.random.SeedSequence

#: The least share of the bootstrap resamples in which the report's top channel must be the
#: top one for its tiles to show it as a finding (`top_channel_check`): as sure as the page's
#: 90% intervals. Below it another channel is top in more than one resample in ten
#: (docs/notebooks.md, "How sure the top channel is").
MIN_TOP_SUPPORT = 0.9

#: The columns of `Journeys.table` that order the journeys for the draws, first to last.
CANONICAL_KEYS = ("path", "conversions", "nulls", "value", "journey_id")


@checked_tables
def canonical_order(j: Journeys) -> Journeys:
    """`j` with its journeys sorted by `CANONICAL_KEYS`: path, conversions, non-conversions,
    value, then journey id (a CRM journey's deal, contact or account id: the same whatever
    the export's row order). A bootstrap draws counts by position, so that a seed gives the
    same replicates for the same journeys in any order. Path table rows that tie on every
    key are the same row twice (their id is only their row number): their order changes no
    replicate."""
    t = j.table
    keys = pa.table(
        {
            key: arrow_text(t[key]) if key in ("path", "journey_id") else t[key].to_numpy("float64")
            for key in CANONICAL_KEYS
        }
    )
    order = pc.sort_indices(keys, sort_keys=[(key, "ascending") for key in CANONICAL_KEYS])
    order = order.to_numpy().astype(np.int64)
    return j if np.array_equal(order, np.arange(len(order))) else j.subset(order)


@checked_tables
def resample(j: Journeys, rng: np.random.Generator) -> Journeys:
    """One bootstrap replicate: the same paths with resampled counts."""
    conv, nulls, value = j.conversions, j.nulls, j.value
    counts = np.concatenate([conv, nulls])
    total = counts.sum()
    if total <= 0:
        return j
    if np.allclose(counts, np.round(counts)):
        draw = rng.multinomial(int(round(total)), counts / total)
    else:  # fractional weights: Poisson bootstrap
        draw = rng.poisson(counts)
    n = len(conv)
    new_conv, new_nulls = draw[:n].astype("float64"), draw[n:].astype("float64")
    per_conv = np.divide(value, conv, out=np.zeros(n), where=conv > 0)
    return j.reweighted(new_conv, new_nulls, new_conv * per_conv)


def _check_replicates(no_conversion: int, unfitted: int, n_boot: int, model: str) -> None:
    """An error when no resample is left for `model`'s intervals, else a warning that counts
    the resamples left out (`no_conversion`: drew no conversion; `unfitted`: could not be
    fitted) and says how many the intervals rest on."""
    why = []
    if no_conversion:
        why.append(
            f"{no_conversion} of {n_boot} bootstrap resamples drew no conversion (no share is "
            "defined; their conversions, 0, stay in the conversions' intervals)"
        )
    if unfitted:
        why.append(
            f"{unfitted} of {n_boot} bootstrap resamples could not be fitted (no channel with a "
            "positive effect, or journeys that leave the baseline free)"
        )
    kept = n_boot - no_conversion - unfitted
    if not kept:
        raise NotEstimableError(
            f"{model} could be fitted on none of the {n_boot} resamples: {'; '.join(why)}"
        )
    if why:
        warnings.warn(
            f"{'; '.join(why)}: left out of the {model} share intervals, which rest on the "
            f"other {kept} of {n_boot}",
            stacklevel=caller_stacklevel(),
        )


def _replicate(drawn: Journeys, rng: np.random.Generator, model: str, params: dict):
    """One resample's credit table under `model`; "no conversion" when it drew none (shares
    of nothing are undefined, not 0), "unfitted" when the model cannot be fitted on it."""
    sample = resample(drawn, rng)
    if sample.total_conversions <= 0:
        return "no conversion"
    try:
        return attribute(sample, model, **params)
    except NotEstimableError:
        return "unfitted"


@checked_tables
def bootstrap(
    j: Journeys,
    model: str = "shapley",
    n_boot: int = 200,
    level: float = 0.9,
    random_state: Seed = 0,
    **params,
) -> pd.DataFrame:
    """Percentile intervals of each channel's share (and conversions) under a model.

    Returns one row per channel: share (on the data as given), share_low, share_high,
    conversions, conversions_low, conversions_high, the intervals' `level`, resamples: how
    many of the `n_boot` resamples the share intervals rest on, and top_support: in which
    share of those the channel's share is the highest (a tie shared; `top_channel_check`
    reads it for the report's top channel). A resample that draws no conversion (its shares are
    undefined; its conversions, 0 for every channel, stay in the conversions' intervals) and
    one the model cannot be fitted on (incremental Shapley when no channel has a positive
    effect in that resample, or its journeys leave the baseline free: `NotEstimableError`) are
    left out of the share intervals, with a warning that counts them; all of them left out is
    an error.
    `random_state` is a seed (an int >= 0), a numpy Generator (drawn from) or a SeedSequence
    (`Seed`): the same seed, the same intervals, whatever the order of the journeys (the
    draws are made in `canonical_order`).
    """
    note = " (e.g. 0.9 for a 90% interval)"
    level = check_number("level", level, 0.0, 1.0, exclusive=True, note=note)
    n_boot = check_integer("n_boot", n_boot, 2)
    if not isinstance(random_state, np.random.Generator | np.random.SeedSequence):
        random_state = check_integer("random_state", random_state, 0, note=" (a seed)")
    rng = np.random.default_rng(random_state)
    point = attribute(j, model, **params)
    key = point.columns[0]
    drawn = canonical_order(j)
    tables = [_replicate(drawn, rng, model, params) for _ in range(n_boot)]
    kept = [t for t in tables if isinstance(t, pd.DataFrame)]
    left_out = [t for t in tables if isinstance(t, str)]  # why each was left out
    _check_replicates(left_out.count("no conversion"), left_out.count("unfitted"), n_boot, model)
    shares = np.array([t["share"].to_numpy() for t in kept]).reshape(len(kept), len(point))
    # a resample without conversions credits every channel 0 conversions (defined, unlike
    # its shares): it stays in the conversions' intervals
    none = np.zeros((left_out.count("no conversion"), len(point)))
    convs = np.array([t["conversions"].to_numpy() for t in kept]).reshape(len(kept), len(point))
    convs = np.concatenate([convs, none])
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    return pd.DataFrame(
        {
            key: point[key],
            "share": point["share"],
            "share_low": np.quantile(shares, lo, axis=0),
            "share_high": np.quantile(shares, hi, axis=0),
            "conversions": point["conversions"],
            "conversions_low": np.quantile(convs, lo, axis=0),
            "conversions_high": np.quantile(convs, hi, axis=0),
            "level": level,
            "resamples": len(kept),
            "top_support": _top_support(shares),
        }
    )


def _top_support(shares: np.ndarray) -> np.ndarray:
    """Per channel (a column of `shares`, one row per resample), the share of the resamples in
    which its share is the highest; a resample where k channels tie for the top counts 1/k
    for each (so that the supports add up to 1)."""
    top = np.isclose(shares, shares.max(axis=1, keepdims=True), rtol=0.0, atol=1e-12)
    return (top / top.sum(axis=1, keepdims=True)).mean(axis=0)


@checked_tables
def data_driven_intervals(
    j: Journeys, n_boot: int = 200, random_state: Seed = 0, markov_order: int = 1
) -> dict[str, pd.DataFrame]:
    """`bootstrap` intervals of the data-driven models, Shapley then Markov; a model that
    cannot be fitted on these journeys (`NotEstimableError`) is left out, with a warning,
    so that a page still shows the other."""
    out = {}
    for model, params in (("shapley", {}), ("markov", {"order": markov_order})):
        try:
            out[model] = bootstrap(j, model, n_boot=n_boot, random_state=random_state, **params)
        except NotEstimableError as exc:
            warnings.warn(f"no {model} intervals: {exc}", stacklevel=caller_stacklevel())
    return out


@checked_tables
def headline_intervals(
    j: Journeys,
    headline: str,
    computed: Mapping[str, pd.DataFrame] | None = None,
    n_boot: int = 200,
    random_state: Seed = 0,
    params: Mapping[str, Mapping] | None = None,
) -> pd.DataFrame:
    """The headline model's `bootstrap` intervals (`headline_model`), led by a ``model``
    column naming it, so that an export says whose intervals it holds.

    They are taken from `computed` (e.g. `data_driven_intervals`, made with the same `n_boot`
    and seed) when it holds that model, else bootstrapped: every model of `MODELS`, rule-based
    ones too, can be. `params` maps a model to its settings, as for `compare`.
    """
    if computed is not None and headline in computed:
        table = computed[headline].copy()
    else:
        settings = dict((params or {}).get(headline, {}))
        table = bootstrap(j, headline, n_boot=n_boot, random_state=random_state, **settings)
    table.insert(0, "model", headline)
    return table


@checked_tables
def top_channel_check(
    intervals: pd.DataFrame, channel: str, minimum: float = MIN_TOP_SUPPORT
) -> dict:
    """How sure the `bootstrap` `intervals` (or `headline_intervals`) are that `channel`, the
    top one of their model's shares, is the top channel: `support`, the share of the
    `resamples` in which it is (their `top_support`), `clear` when at least `minimum`
    (`MIN_TOP_SUPPORT`), the channel's `share_low` and `share_high` at the intervals' `level`,
    and the other channels whose share lies inside that interval (`within_interval`, highest
    first); `model` (when the intervals name it) and `detail`, the words of the report's
    tiles: "email top in 52% of 200 resamples, fewer than the 90% a finding needs; offline,
    referral and direct within its 90% interval (7.3% to 46.6%)"."""
    minimum = check_number("minimum", minimum, 0.0, 1.0, note=" (a share of the resamples)")
    key = next(c for c in intervals.columns if c in ("channel", "campaign"))
    table = intervals.set_index(intervals[key].astype(str)).sort_values("share", ascending=False)
    row = table.loc[str(channel)]
    others = table.drop(index=str(channel))
    low, high = float(row["share_low"]), float(row["share_high"])
    inside = others.index[others["share"].between(low, high)].tolist()
    support = float(row["top_support"])
    check = {
        "model": str(intervals["model"].iloc[0]) if "model" in intervals.columns else None,
        "channel": str(channel),
        "support": support,
        "resamples": int(row["resamples"]),
        "minimum": minimum,
        "clear": bool(support >= minimum - 1e-9),  # k of n resamples, up to float error
        "level": float(row["level"]),
        "share_low": low,
        "share_high": high,
        "within_interval": inside,
    }
    return check | {"detail": _top_detail(check, key)}


def _top_detail(check: dict, key: str = "channel") -> str:
    """`top_channel_check`'s words: how often the channel is top, and which others its
    interval holds; "no clear top channel: " first when that is too seldom. The share is
    cut, not rounded, so that 89.9% never reads as the 90% it falls short of."""
    shown = math.floor(check["support"] * 100 + 1e-9)
    often = f"{check['channel']} top in {shown}% of {counted(check['resamples'], 'resample')}"
    if not check["clear"]:
        often = (
            f"no clear top {key}: {often}, fewer than the {check['minimum']:.0%} a finding needs"
        )
    names = check["within_interval"]
    if len(names) > 3:
        names = names[:3] + [f"{len(names) - 3} more"]
    inside = f"{listed(names)} within" if names else f"no other {key} within"
    interval = f"{check['share_low']:.1%} to {check['share_high']:.1%}"
    return f"{often}; {inside} its {check['level']:.0%} interval ({interval})"
