"""Tick labels stay legible on long histories and narrow panels: a monthly chart of 54 months
labelled all 54 months at 45 degrees (a black band under the bars of page 01), and the Price
panel of the four P's ran its amounts together ("010.0M20.0M30.0M40.0M50.0M") when the
panel beside or below it had long names."""

from __future__ import annotations

from itertools import pairwise

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from smk import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _monthly(count: int) -> pd.DataFrame:
    """`count` months to 2026-10, as `smk.sla.sla_by_month` returns them."""
    months = pd.period_range(end="2026-10", periods=count, freq="M").astype(str)
    return pd.DataFrame(
        {
            "month": months,
            "mqls": 50 + np.arange(count) % 20,
            "mql_target": 60,
            "share_within_sla": np.linspace(0.5, 0.9, count),
        }
    )


def _page_charts(monthly: pd.DataFrame) -> list:
    """Page 01's two monthly charts side by side, as the notebook draws them, drawn."""
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    plots.mqls_vs_target(monthly, 60, ax=axes[0])
    plots.trend(monthly, "share_within_sla", 0.8, ax=axes[1], percent=True, title="Within SLA")
    fig.tight_layout()
    fig.canvas.draw()
    return [axes[0], axes[1]]


def labelled(ax, axis: str = "x") -> list:
    """The tick labels a reader sees on `axis` of `ax` (major ticks in view, with text)."""
    lo, hi = sorted(getattr(ax, f"get_{axis}lim")())
    ticks = getattr(ax, f"{axis}axis").get_major_ticks()
    return [
        t.label1
        for t in ticks
        if t.label1.get_visible() and t.label1.get_text() and lo <= t.get_loc() <= hi
    ]


def overlapping(labels: list) -> list[tuple[str, str]]:
    """Pairs of neighbouring labels whose drawn boxes overlap (as the Agg renderer drew them)."""
    return crowded(labels, gap=0.0)


def crowded(labels: list, gap: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of neighbouring labels less than `gap` font sizes apart as drawn (Agg renderer's
    boxes): a word's space (a third of the font size) between "0 10.0M 20.0M" reads as one
    line of text, not as a scale."""
    boxes = sorted(((t.get_window_extent(), t) for t in labels), key=lambda b: b[0].x0)
    return [
        (a.get_text(), b.get_text())
        for (box_a, a), (box_b, b) in pairwise(boxes)
        if box_b.x0 - box_a.x1 < gap * a.get_fontsize() * a.figure.dpi / 72
    ]


def test_a_long_history_labels_at_most_twelve_months_and_always_the_last():
    monthly = _monthly(54)
    for ax in _page_charts(monthly):
        shown = [t.get_text() for t in labelled(ax)]
        assert len(shown) <= plots.MAX_MONTH_LABELS, ax.get_title()
        assert shown[-1] == "2026-10"
        positions = [monthly["month"].tolist().index(m) for m in shown]
        assert len(set(np.diff(positions))) == 1  # evenly spaced: every 6th month
        assert not overlapping(labelled(ax)), ax.get_title()
        marks = {*ax.xaxis.get_minorticklocs(), *ax.xaxis.get_majorticklocs()}
        assert marks == set(range(54))  # every month keeps its tick mark


@pytest.mark.parametrize(("count", "every"), [(12, 1), (13, 2), (24, 2), (36, 3), (54, 6)])
def test_months_are_labelled_every_month_or_every_few_counted_back_from_the_last(count, every):
    monthly = _monthly(count)
    months = monthly["month"].tolist()
    expected = months[::-1][::every][::-1]
    for ax in _page_charts(monthly):
        assert [t.get_text() for t in labelled(ax)] == expected, ax.get_title()


def test_a_trend_of_names_labels_every_name():
    owners = [f"owner {i}" for i in range(20)]
    ax = plots.trend(
        pd.DataFrame({"owner": owners, "rate": np.linspace(0, 1, 20)}), "rate", x="owner"
    )
    ax.figure.canvas.draw()
    assert [t.get_text() for t in labelled(ax)] == owners  # not months: none is left out


def _mix(long_names: bool) -> pd.DataFrame:
    """A marketing mix whose Product, Place and Promotion values are long names (when
    `long_names`) and whose Price bands are short, with tens of millions won."""
    names = (
        [f"Enterprise platform subscription, {region} region, annual" for region in "ABCD"]
        if long_names
        else ["Core", "Pro", "Team", "Add-on"]
    )
    rows = []
    for p in plots.FOUR_PS:
        values = ["0-10k", "10k-50k", "50k-100k", "100k+"] if p == "Price" else names
        for dimension in ("campaign", "channel") if p == "Promotion" else (p.lower(),):
            for i, value in enumerate(values):
                rows.append(
                    {"p": p, "dimension": dimension, "value": value, "deals_closed": 40,
                     "deals_won": 20, "win_rate": 0.5, "won_revenue": 9.5e6 * (i + 1),
                     "share_of_won_revenue": 0.1, "avg_won_deal": 5e5}
                )  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize("long_names", [True, False], ids=["long names beside", "short names"])
def test_the_amounts_of_every_four_ps_panel_stay_apart(long_names):
    fig = plots.mix_figure(_mix(long_names), currency="EUR", title="Won revenue by the four P's")
    fig.canvas.draw()
    for ax in fig.axes:
        amounts = labelled(ax)
        assert len(amounts) >= 2, ax.get_title()  # a scale to read, not a single tick
        assert not crowded(amounts), (ax.get_title(), [t.get_text() for t in amounts])


@pytest.mark.parametrize("peak", [120e3, 1.4e6, 3.5e6, 35e6, 350e6])
def test_the_price_panel_keeps_its_amounts_apart_however_narrow(peak):
    """The Price panel as wide as its neighbours' long names leave it: 1 to 5 inches."""
    mix = _mix(long_names=False)
    mix["won_revenue"] *= peak / mix["won_revenue"].max()
    for width in np.arange(1.0, 5.0, 0.2):
        fig = plt.figure(figsize=(width + 1, 3))
        ax = fig.add_axes((0.8 / (width + 1), 0.3, width / (width + 1), 0.6))
        plots.mix_panel(mix, "Price", ax=ax, currency="EUR")
        fig.canvas.draw()
        amounts = labelled(ax)
        assert len(amounts) >= 2 and not crowded(amounts), (
            f"{width:.1f} inches",
            [t.get_text() for t in amounts],
        )
        plt.close(fig)


def test_amount_labels_are_short():
    assert [plots._thousands(v) for v in (0, 250, 2500, 25_000, 1.5e6, 40e6)] == [
        "0",
        "250",
        "2.5k",
        "25k",
        "1.5M",
        "40M",
    ]
    assert plots._thousands(1_250_000) == "1.25M"  # not "1.2M": a tick names its own amount
