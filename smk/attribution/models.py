"""One entry point for every attribution model, and helpers to compare them.

`attribute(journeys, model=..., **params)` returns the same tidy table whatever the model:
``channel`` (or ``campaign``), ``conversions`` and ``value`` credited, and ``share`` (of the
conversions). Credit sums to the journeys' total conversions and value.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from smk.attribution import rules
from smk.attribution.journeys import (
    Journeys,
    check_conversion,
    load_channel_groups,
    match_channel_groups,
)
from smk.attribution.markov import MarkovAttribution
from smk.attribution.reliability import reliability
from smk.attribution.shapley import NotEstimableError, ShapleyAttribution
from smk.checks import caller_stacklevel, checked_tables
from smk.io.parse import listed
from smk.outputs import NO_DATA, detail_first, over_period
from smk.periods import Month

RULE_MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "u_shaped",
    "w_shaped",
    "full_path",
    "j_shaped",
    "inverse_j",
)
DATA_DRIVEN = ("markov", "shapley")
MODELS = RULE_MODELS + DATA_DRIVEN
#: Readable names for tables and charts.
LABELS = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "last_non_direct": "Last non-direct",
    "linear": "Linear",
    "time_decay": "Time decay",
    "u_shaped": "U-shaped",
    "w_shaped": "W-shaped",
    "full_path": "Full path",
    "j_shaped": "J-shaped",
    "inverse_j": "Inverse J",
    "markov": "Markov",
    "shapley": "Shapley",
}


def _table(j: Journeys, conv: np.ndarray, value: np.ndarray) -> pd.DataFrame:
    """`attribute`'s table of the credit `conv` and `value`; the value blank (NaN) when the
    conversions carry none (`Journeys.valued`: an MQL's value is unknown, not 0)."""
    total = float(np.sum(conv))
    frame = pd.DataFrame(
        {
            j.level: pd.array(list(j.channels), dtype="string"),
            "conversions": np.asarray(conv, dtype="float64"),
            "value": np.asarray(value, dtype="float64") if j.valued else np.nan,
        }
    )
    frame["share"] = frame["conversions"] / total if total > 0 else 0.0
    return frame


@checked_tables
def attribute(journeys: Journeys, model: str = "linear", **params) -> pd.DataFrame:
    """Credit conversions and value to channels with one model.

    Parameters
    ----------
    journeys : from `journeys` or `from_paths`.
    model : one of `MODELS`: first_touch, last_touch, last_non_direct, linear, time_decay,
        u_shaped, w_shaped, full_path, j_shaped, inverse_j (rule-based, see
        `smk.attribution.rules`), markov (`order=1..4`) or shapley (`value="incremental"` or
        "conversions", `l2`).
    **params : the model's settings: ``weights`` (position models), ``half_life_days``
        (time_decay), ``direct_channels`` (last_non_direct), ``order`` (markov), ``value`` and
        ``l2`` (shapley).

    Returns
    -------
    DataFrame with one row per channel: channel (or campaign), conversions, value, share.
    With no conversions every credit is 0. The value is blank (NaN) when the conversions
    carry none (`Journeys.valued`: lead, mql, sql, customer): unknown, not 0.
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    if len(journeys) == 0 or len(journeys.channels) == 0:
        raise ValueError(
            "there are no touches to attribute: no journey has a touchpoint (check the "
            "period, the lookback window and the touch types)"
        )
    if model == "markov":
        fitted = MarkovAttribution(**params).fit(journeys)
        return _table(journeys, fitted.credit_["conversions"], fitted.credit_["value"])
    if model == "shapley":
        if journeys.total_conversions == 0:
            return _table(
                journeys, np.zeros(len(journeys.channels)), np.zeros(len(journeys.channels))
            )
        fitted = ShapleyAttribution(**params).fit(journeys)
        return _table(journeys, fitted.credit_["conversions"], fitted.credit_["value"])
    conv, value = rules.attribute_rule(journeys, model, **params)
    return _table(journeys, conv, value)


def check_models(models: Iterable[str]) -> list[str]:
    """`models` as a list when it names one or more known models (`MODELS`), else a
    ValueError (a list of nothing failed deep inside pandas; a typo only at its turn)."""
    if isinstance(models, str):  # "markov" would be read letter by letter
        raise ValueError(f"models must be a list of model names, got the text {models!r}")
    models = list(models)
    unknown = [m for m in models if m not in MODELS]
    if unknown or not models:
        raise ValueError(
            f"unknown model(s) {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"choose from {', '.join(MODELS)}"
        )
    return models


@checked_tables
def compare(
    journeys: Journeys,
    models: Iterable[str] = MODELS,
    params: Mapping[str, Mapping] | None = None,
) -> pd.DataFrame:
    """Every model's credit in one long table: model, channel, conversions, value, share
    (the value blank when the conversions carry none, as in `attribute`).

    A model that cannot be fitted on these journeys (incremental Shapley when no channel has a
    positive effect, or the journeys leave its baseline free: `NotEstimableError`) is left
    out, with a warning that names it and says why."""
    models = check_models(models)
    params = params or {}
    frames = []
    for model in models:
        try:
            table = attribute(journeys, model, **dict(params.get(model, {})))
        except NotEstimableError as exc:
            warnings.warn(
                f"{model} left out of the comparison: {exc}", stacklevel=caller_stacklevel()
            )
            continue
        table.insert(0, "model", model)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


@checked_tables
def check_credit(
    comparison: pd.DataFrame, journeys: Journeys, rtol: float = 1e-9, atol: float = 1e-6
) -> None:
    """smk's own promise of `compare`: every model credits all of the journeys' conversions
    and value, no more and no less. An AssertionError naming the models that do not, else
    nothing. The value is the known one: a conversion without an amount counts 0 in it and in
    every model's credit (`Journeys.unvalued` counts them).

    Totals are compared up to float error relative to their size (`rtol`; `atol` where the
    total is about zero): a value credited over a year in IDR or VND (~1e13) differs from
    its total by ~0.01 in float arithmetic alone, which is no error.
    """
    totals = comparison.groupby("model")[["conversions", "value"]].sum()
    for column, total in (
        ("conversions", journeys.total_conversions),
        ("value", journeys.total_value),
    ):
        credited = totals[column]
        off = credited[~np.isclose(credited.to_numpy(), total, rtol=rtol, atol=atol)]
        if len(off):
            each = ", ".join(f"{m} {v:,.6g}" for m, v in off.items())
            raise AssertionError(f"credit must sum to the {column} ({total:,.6g}): {each}")


@checked_tables
def data_driven_effects(journeys: Journeys, markov_order: int = 1) -> pd.DataFrame:
    """Per channel: Markov's removal effect beside Shapley's logit effect of exposure and
    incremental conversions. Shapley's columns are left out, with a warning, when it cannot
    be fitted on these journeys (`NotEstimableError`)."""
    markov = MarkovAttribution(order=markov_order).fit(journeys)
    try:
        shapley = ShapleyAttribution().fit(journeys)
    except NotEstimableError as exc:
        warnings.warn(f"Shapley's effects left out: {exc}", stacklevel=caller_stacklevel())
        return pd.DataFrame({"removal_effect": markov.removal_effects_})
    return pd.DataFrame(
        {
            "removal_effect": markov.removal_effects_,
            "logit_effect_of_exposure": shapley.coef_,
            "incremental_conversions": shapley.shapley_values_,
        }
    )


@checked_tables
def shares_wide(comparison: pd.DataFrame, column: str = "share") -> pd.DataFrame:
    """Channels as rows, models as columns (in the order they appear)."""
    key = [c for c in comparison.columns if c in ("channel", "campaign")][0]
    wide = comparison.pivot(index=key, columns="model", values=column)
    return wide[list(dict.fromkeys(comparison["model"]))]


def total_variation_distance(p, q) -> float:
    """Half the L1 distance between two share vectors (each normalised to sum to 1)."""
    p = np.clip(np.asarray(p, dtype="float64"), 0, None)
    q = np.clip(np.asarray(q, dtype="float64"), 0, None)
    if p.sum() <= 0 or q.sum() <= 0:
        return float("nan")
    return float(0.5 * np.abs(p / p.sum() - q / q.sum()).sum())


@checked_tables
def distance_to_truth(comparison: pd.DataFrame, truth_shares: pd.Series) -> pd.DataFrame:
    """Each model's total variation distance and Spearman rank correlation to true shares.

    `truth_shares`: channel -> true share (e.g. the synthetic generator's
    ``channel_effects.share_of_incremental``). Channels missing on either side count as 0.
    """
    from scipy.stats import spearmanr

    wide = shares_wide(comparison)
    channels = sorted(set(wide.index) | set(truth_shares.index))
    truth = truth_shares.reindex(channels).fillna(0.0).astype("float64")
    rows = []
    for model in wide.columns:
        est = wide[model].reindex(channels).fillna(0.0).astype("float64")
        rho = spearmanr(est.to_numpy(), truth.to_numpy())[0] if est.nunique() > 1 else np.nan
        rows.append(
            {
                "model": model,
                "total_variation_distance": total_variation_distance(est, truth),
                "spearman": float(rho),
            }
        )
    return pd.DataFrame(rows).sort_values("total_variation_distance", ignore_index=True)


@checked_tables
def truth_verdict(distance: pd.DataFrame, headline: str) -> str:
    """One sentence on `distance_to_truth`: the model closest to the truth on this data and
    where the page's headline model ranks, so the text never claims more than the table."""
    ranked = distance.reset_index(drop=True)
    best = ranked.iloc[0]
    text = (
        f"Closest to the truth on this data: {LABELS.get(best.model, best.model)} "
        f"(distance {best.total_variation_distance:.3f})."
    )
    if headline != best.model and headline in set(ranked["model"]):
        rank = int(ranked.index[ranked["model"] == headline][0]) + 1
        row = ranked.iloc[rank - 1]
        text += (
            f" The headline model, {LABELS.get(headline, headline)}, ranks {rank} of "
            f"{len(ranked)} (distance {row.total_variation_distance:.3f}, Spearman "
            f"{row.spearman:.2f}): read its shares with that in mind."
        )
    return text


#: The conversions the synthetic ground truth is about: `smk synth` computes each channel's
#: effect on the expected number of customers, and every customer there is a won deal.
TRUTH_CONVERSIONS = ("won", "customer")
NO_TRUTH = "no ground truth for this export"


def truth_unavailable(data_path: str | Path, conversion: str = "won") -> str | None:
    """Why `conversion` attribution of the export at `data_path` has no ground truth to be
    compared with, or None when it has one (see `truth_shares`).

    A real export has no truth; a synthetic one has ``truth/channel_effects.csv``, which is
    about customers (won deals), so MQL, SQL, lead or opportunity credit cannot be scored
    against it: the page would grade the models on a question they were not asked.
    """
    conversion = check_conversion(conversion)
    if not _truth_file(data_path).is_file():
        return (
            f"{NO_TRUTH} (only a synthetic export from `smk synth` has truth/channel_effects.csv)"
        )
    if conversion in TRUTH_CONVERSIONS:
        return None
    return (
        f"no comparison with the ground truth: it is the share of customers (won deals) each "
        f"channel caused, and this page attributes {conversion} conversions"
    )


def truth_shares(
    data_path: str | Path,
    channel_groups: Mapping | str | Path | None = None,
    conversion: str = "won",
) -> pd.Series | None:
    """The true incremental shares of a synthetic export (``truth/channel_effects.csv``, written
    by `smk synth`), or None when there is none to compare `conversion` attribution with: a
    real export has no ground truth, and the synthetic truth is about customers, so any other
    conversion than won or customer has none either (`truth_unavailable` says why).

    `data_path` may be a Parquet cache of the export (`CRM.to_parquet`; `smk report` hands the
    notebooks one): the truth is then looked up beside the export the cache records as its
    source, when that is an absolute local path (as the report writes it). `channel_groups`
    (as for `journeys`) sums the shares by group, so that grouped models meet a grouped truth.
    """
    if truth_unavailable(data_path, conversion) is not None:
        return None
    effects = pd.read_csv(_truth_file(data_path))
    shares = effects.set_index(effects["channel"].astype(str))["share_of_incremental"]
    groups, _ = match_channel_groups(load_channel_groups(channel_groups), shares.index)
    if not groups:
        return shares
    return shares.groupby(shares.index.map(lambda c: groups.get(c, c)), sort=True).sum()


def _truth_file(data_path: str | Path) -> Path:
    return _export_of(data_path) / "truth" / "channel_effects.csv"


#: What notebook 04's introduction calls each conversion it credits (`page_intro`).
CONVERSION_WORDS = {
    "won": "every deal won",
    "opportunity": "every deal created (an opportunity)",
    "customer": "every contact that became a customer",
    "sql": "every contact that became a sales-qualified lead (SQL)",
    "mql": "every contact that became a marketing-qualified lead (MQL)",
    "lead": "every contact that became a lead",
}


def page_intro(conversion: str, window_months: int, period: str, models: Iterable[str]) -> str:
    """What notebook 04 does, in the words of its parameters: "This page credits every deal
    won in the last 12 months (2025-11-01 to 2026-10-31) to the channels that touched it,
    under every model a marketing team knows, and checks which view is closest to what the
    channels actually caused." (`period`: `period_label` of the window; the last clause only
    for the conversions a ground truth can be about, `TRUTH_CONVERSIONS`). `models` is checked
    first (`check_models`): the notebook shows this before it runs any model."""
    conversion = check_conversion(conversion)
    models = check_models(models)
    months = int(window_months)
    window = "month" if months == 1 else f"{months} months"
    if set(models) >= set(MODELS):
        chosen = "every model a marketing team knows"
    else:
        names = [LABELS.get(m, m) for m in models]
        chosen = f"the {'model' if len(names) == 1 else 'models'} chosen ({listed(names)})"
    truth = (
        ", and checks which view is closest to what the channels actually caused"
        if conversion in TRUTH_CONVERSIONS
        else ""
    )
    return (
        f"This page credits {CONVERSION_WORDS[conversion]} in the last {window} ({period}) "
        f"to the channels that touched it, under {chosen}{truth}."
    )


#: the models a report leads with, best first: the data-driven ones
HEADLINE_ORDER = ("shapley", "markov")


def headline_model(models: Iterable[str]) -> str:
    """The model whose shares a report leads with: Shapley, else Markov, else the first of
    `models` (a comparison of rule-based models only)."""
    models = list(models)
    if not models:
        raise ValueError("no attribution model to compare: give at least one in `models`")
    return next((m for m in HEADLINE_ORDER if m in models), models[0])


@checked_tables
def top_share_kpi(
    top: pd.Series,
    headline: str,
    journeys: Journeys,
    lookback_days: float | None,
    check: dict | None = None,
    ranking: dict | None = None,
) -> dict:
    """The report's tile of the top channel's share (`top`: its row of `compare`, of the
    `headline` model). A share of the attributed conversions only, which every model's credit
    adds up to, so its label says so and its detail gives the credit, of how many, and how
    many of the period's conversions no model credits: "Shapley credit: 34.2 of the 66
    attributed; 6 of the 72 won conversions unattributed: no touch in the 90 days before".
    `ranking` (`top_channel_check` of the headline model's bootstrap) starts the detail with
    how sure the channel is the top one, and when not sure enough marks the tile "no data"
    (`_ranked`); so does `check` (`reliability` of `journeys`, computed when None) when it
    finds too few conversions (`_unreliable`)."""
    credit = (
        f"{LABELS.get(headline, headline)} credit: {top['conversions']:,.1f} of the "
        f"{journeys.total_conversions:,.0f} attributed"
    )
    tile = {
        "id": "top_channel_share",
        "label": "Top channel's share of attributed conversions",
        "value": float(top["share"]),
        "format": "pct",
        "detail": f"{credit}; {journeys.unattributed_detail(lookback_days)}",
    }
    return _unreliable(_ranked(tile, ranking), check or reliability(journeys))


def _ranked(tile: dict, ranking: dict | None) -> dict:
    """`tile`, of the top channel or its share, with its detail starting with how sure the
    bootstrap is that the channel is the top one (`ranking`: `top_channel_check`); when it is
    top in too few resamples (not `clear`), with status "no data" as well: the ranking is no
    finding, and the index compares it with no previous month. `tile` as it is without a
    `ranking`."""
    if ranking is None:
        return tile
    ranked = detail_first(tile, ranking["detail"])
    return ranked if ranking["clear"] else ranked | {"status": NO_DATA}


def _unreliable(tile: dict, check: dict) -> dict:
    """`tile` as it is when `check` (`reliability`) finds enough conversions; else with status
    "no data" (the report's grey tile: no reliable value, and no change against the previous
    month) and a detail that starts with why: "too few conversions (1 of at least 30): not to
    be relied on"."""
    if check["reliable"]:
        return tile
    return detail_first(tile, f"{check['caveat']}: not to be relied on") | {"status": NO_DATA}


@checked_tables
def report_kpis(
    top: pd.Series,
    headline: str,
    journeys: Journeys,
    lookback_days: float | None,
    month: Month | str,
    window_months: int,
    check: dict | None = None,
    ranking: dict | None = None,
) -> list[dict]:
    """The report's tiles of the attribution page: the top channel (`top`: its row of
    `compare`, of the `headline` model), its share (`top_share_kpi`) and the conversions
    attributed, of how many. Each names its period, the `window_months` up to the end of the
    report `month` ("12 months to Oct 2026", `outputs.over_period`), beside the month's own
    figures on the index, and its change compares with the same window a month earlier.

    Below the minimum of attributed conversions (`check`: `reliability` of `journeys`,
    computed when None) the top channel and its share are marked "no data" with the reason
    ("too few conversions (1 of at least 30): not to be relied on"), never shown as a
    finding; the count of conversions, a fact, keeps its status and says it is too few.
    `ranking` (`top_channel_check` of the `headline` model's bootstrap intervals) starts the
    detail of the top channel and its share with how often it is the top one across the
    resamples and which channels its interval holds ("email top in 52% of 200 resamples,
    ..."), and marks both "no data" when that is below its minimum (`MIN_TOP_SUPPORT`): a
    ranking the data cannot tell is no finding, nor is a change of it from the previous
    month. Of deal conversions of some pipelines only, every tile records them as its `basis`
    (`Journeys.pipelines`): the index compares it only with figures of the same pipelines."""
    check = check or reliability(journeys)
    count = journeys.coverage_detail(lookback_days)  # of how many; unattributed
    if check["reason"] == "too_few_conversions":
        count += f"; too few for attribution (at least {check['minimum']:,})"
    channel = {
        "id": "top_channel",
        "label": f"Top channel ({LABELS.get(headline, headline)})",
        "value": str(top["channel"]),
        "format": "text",
    }
    tiles = [
        _unreliable(_ranked(channel, ranking), check),
        # of the attributed conversions only: the detail says how many were not attributed
        top_share_kpi(top, headline, journeys, lookback_days, check, ranking),
        {
            "id": "conversions_attributed",
            "label": f"Conversions attributed ({journeys.conversion})",
            "value": int(round(journeys.total_conversions)),
            "format": "int",
            "detail": count,
        },
    ]
    basis = {"basis": journeys.pipelines} if journeys.pipelines else {}
    return [over_period(tile, month, window_months) | basis for tile in tiles]


def _export_of(data_path: str | Path) -> Path:
    """`data_path`, or for a Parquet cache the local export it was made from (its recorded
    absolute source; a relative one is ambiguous, a URL is no folder: the cache itself then)."""
    folder = Path(str(data_path))
    meta = folder / "smk-model.json"
    if not meta.is_file():
        return folder
    source = str(json.loads(meta.read_text(encoding="utf-8")).get("source") or "")
    return Path(source) if "://" not in source and Path(source).is_absolute() else folder
