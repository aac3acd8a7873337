"""Path analysis: which paths people take, how long they are, how long they take, and where
each channel sits in them (first, middle or last touch)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from smk.attribution.journeys import SEP, Journeys
from smk.checks import checked_tables
from smk.outputs import counted
from smk.presentation import markdown_text


def path_pattern(path: str, sep: str = SEP) -> str:
    """A path with each run of consecutive touches of one channel as one step:
    ``"email > email > direct > email"`` is ``"email > direct > email"``."""
    channels = path.split(sep)
    return sep.join(c for i, c in enumerate(channels) if i == 0 or c != channels[i - 1])


@checked_tables
def top_paths(
    j: Journeys, n: int | None = 10, converting_only: bool = True, collapse: bool = True
) -> pd.DataFrame:
    """The most common paths: journeys, conversions, conversion rate and value per path.

    With `collapse` a path is its pattern (`path_pattern`: a channel's consecutive touches
    are one step), so that journeys differing only in how often a channel repeated count
    together; without, every touch is a step. With `converting_only` only converting paths,
    ranked by conversions, then by journeys (how many took the path, converting or not),
    else every path, ranked by journeys, then by conversions; remaining ties by value (highest
    first), then alphabetically. `n` None keeps every path. Conversions without a value
    (`Journeys.valued`: lead, mql, sql, customer) leave the value blank (NaN: unknown, not 0)
    and the ranking without it.
    """
    paths = j.to_paths()
    if collapse:
        paths["path"] = paths["path"].map(path_pattern)
        paths = paths.groupby("path", sort=False, as_index=False).sum()
    paths["journeys"] = paths["total_conversions"] + paths["total_null"]
    paths["conversion_rate"] = paths["total_conversions"] / paths["journeys"].where(
        paths["journeys"] > 0
    )
    paths = paths.rename(
        columns={"total_conversions": "conversions", "total_conversion_value": "value"}
    )
    keys = ["conversions", "journeys"] if converting_only else ["journeys", "conversions"]
    if converting_only:
        paths = paths[paths["conversions"] > 0]
    if j.valued:
        keys.append("value")
    else:
        paths = paths.assign(value=np.nan)  # unknown, not 0
    ascending = [False] * len(keys) + [True]
    paths = paths.sort_values([*keys, "path"], ascending=ascending, na_position="last")
    cols = ["path", "journeys", "conversions", "conversion_rate", "value"]
    return (paths if n is None else paths.head(n))[cols].reset_index(drop=True)


@checked_tables
def paths_note(
    paths: pd.DataFrame,
    shown: int,
    file: str = "attribution_paths.csv",
    currency: str | None = None,
) -> str:
    """What a table of `top_paths` (every path: `n` None) shows when its first `shown` rows
    are on the page: how many paths there are, how many occur more than once, how ties are
    ranked, that `file` holds them all and, given its `currency` (`Journeys.currency`), what
    currency the values are in. Of paths without a value (all blank: `top_paths` of
    conversions that carry none), neither the ranking by value nor the currency is said.
    Markdown: the currency, which the export or the params name, is escaped
    (`smk.presentation.markdown_text`)."""
    repeated = int((paths["conversions"] > 1).sum())
    total = len(paths)
    conversions = counted(float(paths["conversions"].sum()), "attributed conversion")
    text = (
        f"The {conversions} took {counted(total, 'distinct path')} (a channel's consecutive "
        "touches counted as one step); "
    )
    if repeated == 0:
        text += "no path converted more than once, so the ranking is not by conversions; "
    else:
        most = paths["conversions"].max()
        text += (
            f"{counted(repeated, 'path')} converted more than once (at most {most:,.0f} times); "
        )
    valued = bool(paths["value"].notna().any())
    text += (
        "paths with as many conversions are ranked by how many journeys took them (converting "
        f"or not){', then by value' if valued else ''}. "
    )
    listed = "all of them" if shown >= total else f"the first {shown:,}"
    unit = f" Values in {markdown_text(currency)}." if currency and valued else ""
    return text + f"The table shows {listed}; `{file}` holds all {total:,}.{unit}"


@checked_tables
def path_lengths(j: Journeys, max_length: int = 10) -> pd.DataFrame:
    """Journeys and conversions by number of touches (the last row gathers `max_length`+)."""
    length = np.minimum(j.n_touches, max_length)
    frame = pd.DataFrame(
        {"touches": length, "journeys": j.conversions + j.nulls, "conversions": j.conversions}
    )
    out = frame.groupby("touches").sum().reindex(range(1, max_length + 1), fill_value=0.0)
    out["conversion_rate"] = out["conversions"] / out["journeys"].where(out["journeys"] > 0)
    out = out.reset_index()
    out["touches"] = out["touches"].astype(str)
    out.loc[out.index[-1], "touches"] = f"{max_length}+"
    return out


@checked_tables
def time_to_conversion(j: Journeys) -> pd.DataFrame:
    """Days from the first touch (in the lookback window) to the conversion, per converting
    journey: journey_id, days, touches. Empty for path tables (they have no times). A first
    touch on the close day of a deal closed on a calendar date (00:00 UTC, `journeys`) is 0
    days from it, as its `days_before` is."""
    conv = j.table["conversions"] > 0
    t = j.table[conv]
    if j.days_before is None or t["conversion_at"].isna().all():
        return pd.DataFrame({"journey_id": [], "days": [], "touches": []})
    days = (t["conversion_at"] - t["first_touch_at"]).dt.total_seconds().clip(lower=0) / 86_400
    return pd.DataFrame(
        {"journey_id": t["journey_id"], "days": days.to_numpy(), "touches": t["n_touches"]}
    ).reset_index(drop=True)


@checked_tables
def time_to_conversion_summary(j: Journeys, quantiles=(0.25, 0.5, 0.75, 0.9)) -> pd.DataFrame:
    """Quantiles of the days from first touch to conversion (weighted by conversions)."""
    days = time_to_conversion(j)["days"]
    if len(days) == 0:
        return pd.DataFrame({"quantile": list(quantiles), "days": [np.nan] * len(quantiles)})
    return pd.DataFrame(
        {"quantile": list(quantiles), "days": [float(days.quantile(q)) for q in quantiles]}
    )


@checked_tables
def touch_positions(j: Journeys, converting_only: bool = True) -> pd.DataFrame:
    """Per channel, its share of first, middle and last touches (and of single-touch paths).

    A one-touch journey counts as both first and last. Journeys are weighted by their
    conversions (or by journeys when `converting_only` is False).
    """
    weight = j.conversions if converting_only else j.conversions + j.nulls
    jt = j.journey_of_touch
    w = weight[jt]
    n = len(j.channels)
    idx = np.arange(len(j.codes))
    first = idx == j.offsets[:-1][jt]
    last = idx == (j.offsets[1:] - 1)[jt]
    middle = ~first & ~last
    cols = {}
    for name, mask in (("first", first), ("middle", middle), ("last", last)):
        counts = np.bincount(j.codes[mask], weights=w[mask], minlength=n)
        total = counts.sum()
        cols[f"{name}_touches"] = counts
        cols[f"share_of_{name}"] = counts / total if total > 0 else np.zeros(n)
    frame = pd.DataFrame({j.level: pd.array(list(j.channels), dtype="string"), **cols})
    return frame
