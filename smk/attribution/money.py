"""Money: what each channel cost per conversion, and what it returned per unit of spend."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from smk.attribution.journeys import load_channel_groups, match_channel_groups, period_bound
from smk.checks import checked_tables
from smk.presentation import markdown_text
from smk.sla import deal_amounts


@checked_tables
def spend_by_channel(
    spend: pd.DataFrame,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    channel_groups: Mapping | str | Path | None = None,
    fx: Mapping[str, float] | None = None,
    reporting_currency: str | None = None,
) -> pd.DataFrame:
    """Spend per channel over the months that start in ``[start, end)`` (naive month dates;
    `start` and `end` as `journeys` takes them: `journeys.period_bound`).

    `fx` and `reporting_currency` convert each row's amount to the reporting currency as
    `journeys` converts deal values (`sla.deal_values`: rates in any base that has one for
    `reporting_currency`; None: the currency whose rate is 1.0; rows without a currency are
    taken as already in it). Without rates, spend in several currencies is added as it is,
    with a warning (`sla.deal_amounts`, as deal amounts are).
    """
    s = spend_in(spend, start, end)
    channel = s["channel"].astype("string")
    groups, _ = match_channel_groups(load_channel_groups(channel_groups), channel.dropna())
    if groups:
        channel = channel.map(lambda c: groups.get(c, c) if isinstance(c, str) else c)
    amount = deal_amounts(s, fx, reporting_currency, what="spend")
    out = (
        pd.DataFrame({"channel": channel.astype("string"), "spend": amount})
        .groupby("channel", observed=True)["spend"]
        .sum()
        .reset_index()
    )
    return out


@checked_tables
def spend_in(
    spend: pd.DataFrame,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The rows of `spend` whose month starts in ``[start, end)`` (`journeys.period_bound`;
    None: unbounded): what `spend_by_channel` adds up, and the report's currency pre-check
    converts."""
    month = pd.to_datetime(spend["month"])
    keep = np.ones(len(spend), dtype=bool)
    if start is not None:
        keep &= (month >= _naive(period_bound(start, "start"))).to_numpy(dtype=bool)
    if end is not None:
        keep &= (month < _naive(period_bound(end, "end"))).to_numpy(dtype=bool)
    return spend[keep]


def _naive(value) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts


@checked_tables
def return_on_spend(
    comparison: pd.DataFrame, spend: pd.DataFrame, valued: bool = True
) -> pd.DataFrame:
    """Cost per acquisition and return on ad spend per model and channel.

    `comparison`: `compare` output (model, channel, conversions, value, ...); `spend`: from
    `spend_by_channel`. Channels without spend get NaN ratios (free channels have no CPA);
    channels with spend but no credit get an infinite CPA reported as NaN and a ROAS of 0,
    also those on no journey at all (their spend bought nothing the models can see).
    `valued` False (`Journeys.valued`: conversions without a value, such as MQLs): value and
    ROAS are NaN, unknown rather than 0.
    """
    key = "channel" if "channel" in comparison.columns else comparison.columns[1]
    spend = spend.rename(columns={"channel": key})
    unseen = sorted(set(spend.loc[spend["spend"] > 0, key]) - set(comparison[key]))
    if unseen and "model" in comparison.columns:  # spent on, but on no journey: no credit
        blank = pd.DataFrame(
            [{"model": m, key: c} for m in comparison["model"].unique() for c in unseen]
        )
        zero = {col: 0 for col in ("conversions", "value") if col in comparison.columns}
        comparison = pd.concat([comparison, blank.assign(**zero)], ignore_index=True)
    merged = comparison.merge(spend, on=key, how="left")
    merged["spend"] = merged["spend"].astype("float64")
    paid = merged["spend"] > 0
    merged["cpa"] = np.where(
        paid & (merged["conversions"] > 0), merged["spend"] / merged["conversions"], np.nan
    )
    merged["roas"] = np.where(paid, merged["value"] / merged["spend"], np.nan)
    if not valued:
        merged[["value", "roas"]] = np.nan
    return merged


#: The ratios of `return_on_spend`, in words.
RATIOS = {"cpa": "cost per acquisition", "roas": "return on ad spend"}


def ratio_caption(ratio: str, currency: str | None = None) -> str:
    """The caption of a table of `paid_ratios` ("cpa" or "roas"), which names the ratio and
    its unit (`currency`: the spend's and the values', `Journeys.currency`; None: not known):
    "**Cost per acquisition** (EUR per conversion): ...". Markdown: the currency, which the
    export or the params name, is escaped (`smk.presentation.markdown_text`)."""
    currency = markdown_text(currency) if currency else None
    unit = currency or "spend currency"
    if ratio == "cpa":
        return (
            f"**Cost per acquisition** ({unit} per conversion): each paid channel's spend "
            "divided by the conversions a model credits it; a row per channel, a column per "
            "model; lower is cheaper."
        )
    if ratio == "roas":
        each = currency or "unit"
        return (
            f"**Return on ad spend** (a ratio, value credited per {each} spent: 2.00 means each "
            f"{each} of spend brought 2 {currency or 'units'} of deal value): the value a model "
            "credits a paid channel divided by its spend; a row per channel, a column per "
            "model; higher is better."
        )
    raise ValueError(f"ratio must be one of {', '.join(RATIOS)}, got {ratio!r}")


@checked_tables
def paid_ratios(roi: pd.DataFrame, ratio: str) -> pd.DataFrame:
    """One ratio of `return_on_spend` ("cpa" or "roas") for the channels with spend: channels
    as rows, models as columns. No rows when no channel has spend or the ratio is unknown for
    every one of them (`why_no_ratio` says which)."""
    paid = roi[roi["spend"] > 0]
    table = paid.pivot(index="channel", columns="model", values=ratio)
    return table if table.notna().any(axis=None) else table.iloc[:0]


#: The channel the loaders give a source they map to no other channel (`smk.model.CHANNELS`).
POOLED_CHANNEL = "other"


@checked_tables
def pooled_channel_note(
    roi: pd.DataFrame, channel_groups: Mapping[str, str] | None = None
) -> str | None:
    """The line under the ratio tables when `return_on_spend`'s channel "other", or the group
    `channel_groups` (`Journeys.channel_groups`) put it in, has spend: it pools every source
    the export names that smk maps to no channel, so its spend and the conversions credited to
    it may be of different sources (one ad network's spend beside a podcast's conversions), and
    its ratios are no one channel's. None otherwise."""
    groups = dict(channel_groups or {})
    row = groups.get(POOLED_CHANNEL, POOLED_CHANNEL)
    if "channel" not in roi.columns:
        return None
    pooled = (roi["channel"] == row) & (roi["spend"] > 0)
    if not pooled.fillna(False).any():
        return None
    others = sorted(c for c, g in groups.items() if g == row and c != POOLED_CHANNEL)
    holds = f"'{row}' pools" if row == POOLED_CHANNEL else f"'{row}' holds '{POOLED_CHANNEL}',"
    also = f", and {', '.join(others)} (channel_groups)" if others else ""
    return (
        f"{holds} every source the export names that smk maps to no channel (the data-quality "
        f"page's warnings name them){also}: its spend and the conversions credited to it may "
        "be of different sources, so its cost per acquisition and return on ad spend are no "
        "one channel's."
    )


@checked_tables
def why_no_ratio(roi: pd.DataFrame, ratio: str, period: str, conversion: str = "") -> str:
    """Why `paid_ratios(roi, ratio)` has no rows, in words, for a page: no spend in `period`,
    conversions without a value (ROAS), or no conversion credited to a channel with spend."""
    name = RATIOS[ratio]
    if not (roi["spend"] > 0).any():
        return f"no ad spend from {period}: {name} needs spend"
    if ratio == "roas" and roi["value"].isna().all():
        return (
            f"{conversion or 'these'} conversions carry no value: {name} needs conversions "
            "with a value (conversion won or opportunity, valued by the deal amount)"
        )
    return f"no conversion of {period} is credited to a channel with spend: no {name}"
