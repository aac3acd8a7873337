"""Thin months (an export's first month, a month in which no deal was won, few contacts): the
charts say "no data: <reason>" instead of drawing empty panels, and a table without rows can be
shown as a sentence instead of pandas' "Empty DataFrame" repr."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from smk import funnel, outputs, plots, scorecard, sla  # noqa: E402
from smk.model import CRM, make_table  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore:as_of .* after the export's last record:UserWarning"
)

FX = {"EUR": 1.0}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def drawn(ax) -> int:
    """Artists that show data: bars with an area, lines in data coordinates with a finite point
    (not axhline / axvline), non-empty collections and images."""
    n = sum(
        1
        for p in ax.patches
        if not isinstance(p, Rectangle) or (p.get_width() != 0 and p.get_height() != 0)
    )
    for line in ax.lines:
        if line.get_transform() != ax.transData:  # a target or SLA line spans the axes
            continue
        n += bool(np.isfinite(np.asarray(line.get_ydata(), dtype=float)).any())
    n += sum(1 for c in ax.collections if len(c.get_offsets()))
    return n + len(ax.images)


def says_no_data(ax) -> str:
    """The one "no data: ..." sentence on an empty panel (which must show no data artist)."""
    reason = plots.no_data_reason(ax)
    assert reason, "an empty panel must say why it is empty"
    texts = [" ".join(t.get_text().split()) for t in ax.texts]
    assert f"no data: {reason}" in texts
    assert drawn(ax) == 0
    return reason


# ------------------------------------------------------------------- small exports
def _crm(deals: list[dict], activities: bool = True) -> CRM:
    """Two MQLs in September 2026 (one worked after 2 h) and the given deals."""
    contacts = [
        {
            "contact_id": cid,
            "account_id": "a1",
            "created_at": "2026-09-01",
            "became_lead_at": "2026-09-01",
            "became_mql_at": mql,
            "owner_id": "rep",
            "original_source": "organic_search",
            "country": "Germany",
        }
        for cid, mql in (("c1", "2026-09-03 10:00"), ("c2", "2026-09-10 10:00"))
    ]
    acts = [
        {"activity_id": "x1", "contact_id": "c1", "occurred_at": "2026-09-03 12:00", "type": "call"}
    ]
    return CRM(
        contacts=make_table("contacts", contacts),
        activities=make_table("activities", acts if activities else []),
        deals=make_table("deals", deals),
        accounts=make_table("accounts", [{"account_id": "a1", "country": "Germany"}]),
    )


def _deal(deal_id: str, won: bool, amount: float | None = 8_000.0) -> dict:
    return {
        "deal_id": deal_id,
        "account_id": "a1",
        "contact_id": "c1",
        "created_at": "2026-09-05",
        "closed_at": "2026-09-20",
        "is_closed": True,
        "is_won": won,
        "amount": amount,
        "currency": "EUR",
        "product": "Core",
        "pipeline": "default",
    }


@pytest.fixture
def lost_only() -> CRM:
    """September 2026, the export's first month: two deals closed, both lost."""
    return _crm([_deal("d1", False), _deal("d2", False, 30_000.0)])


# ------------------------------------------------------------------- the marketing mix
def test_a_mix_panel_without_a_won_deal_says_so_instead_of_an_empty_panel(lost_only):
    mix = scorecard.marketing_mix(lost_only, "2026-09", months=12, fx_rates=FX)
    assert mix["won_revenue"].eq(0).all()  # closed deals, none won: a table, not an error
    assert mix.attrs["window"] == "the 12 months to 2026-09"
    reason = "no deal was won in the 12 months to 2026-09: 2 deals closed, all lost"
    assert scorecard.no_won_deal_reason(mix) == reason
    fig, axes = plt.subplots(2, 2)
    for ax, p in zip(axes.ravel(), plots.FOUR_PS, strict=True):
        assert plots.mix_panel(mix, p, ax=ax, currency="EUR") is ax
        assert says_no_data(ax) == reason
        assert ax.get_title() == p


def test_the_mix_figure_is_one_sentence_when_no_deal_was_won(lost_only):
    mix = scorecard.marketing_mix(lost_only, "2026-09", months=1, fx_rates=FX)
    fig = plots.mix_figure(mix, currency="EUR", title="Won revenue by the four P's")
    assert len(fig.axes) == 1  # not four empty panels
    assert says_no_data(fig.axes[0]) == "no deal was won in 2026-09: 2 deals closed, all lost"
    assert fig.axes[0].get_title() == "Won revenue by the four P's"


def test_the_mix_figure_draws_four_panels_when_a_deal_was_won():
    crm = _crm([_deal("d1", True), _deal("d2", False, 30_000.0)])
    mix = scorecard.marketing_mix(crm, "2026-09", months=12, fx_rates=FX)
    assert scorecard.no_won_deal_reason(mix) is None
    fig = plots.mix_figure(mix, currency="EUR", title="four P's")
    assert [ax.get_title() for ax in fig.axes] == list(plots.FOUR_PS)
    for ax in fig.axes:
        assert plots.no_data_reason(ax) is None and drawn(ax) > 0
    assert fig.get_suptitle() == "four P's"


def test_won_deals_without_an_amount_are_not_called_lost():
    crm = _crm([_deal("d1", True, None)])
    mix = scorecard.marketing_mix(crm, "2026-09", months=12, fx_rates=FX)
    reason = scorecard.no_won_deal_reason(mix)
    assert reason == "the deal won in the 12 months to 2026-09 has no amount"
    assert says_no_data(plots.mix_panel(mix, "Price")) == reason


def test_a_mix_without_rows_of_a_p_says_which():
    mix = pd.DataFrame(
        {"p": ["Product"], "dimension": ["product line"], "value": ["Core"], "deals_closed": [1],
         "deals_won": [1], "win_rate": [1.0], "won_revenue": [5.0],
         "share_of_won_revenue": [1.0], "avg_won_deal": [5.0]}
    )  # fmt: skip
    assert says_no_data(plots.mix_panel(mix, "Price")) == "the marketing mix has no Price rows"
    assert plots.no_data_reason(plots.mix_panel(mix, "Product")) is None


# ------------------------------------------------------------------- the funnel and SLA page
def test_speed_to_lead_without_a_worked_mql_says_why():
    crm = _crm([], activities=False)
    leads = sla.mql_leads(crm, as_of="2026-10-01")
    hours = leads.loc[leads["month"] == "2026-09", "speed_to_lead_hours"]
    assert len(hours) == 2 and hours.isna().all()
    ax = plots.speed_to_lead_histogram(hours, 24, title="Speed to lead in 2026-09")
    reason = says_no_data(ax)
    assert reason.startswith("none of the 2 MQLs has a first sales activity yet")
    assert ax.get_title() == "Speed to lead in 2026-09"
    assert says_no_data(plots.speed_to_lead_histogram([], 24)) == "no MQLs to time"
    ax = plots.speed_to_lead_histogram([np.nan], 24, empty_reason="the export has no activities")
    assert says_no_data(ax) == "the export has no activities"


def test_speed_to_lead_with_a_worked_mql_is_drawn_as_before():
    ax = plots.speed_to_lead_histogram([2.0, np.nan], 24)
    assert plots.no_data_reason(ax) is None
    assert sum(p.get_height() for p in ax.patches) == 1  # the worked MQL; the other is unworked


def test_monthly_charts_without_a_value_say_so():
    monthly = pd.DataFrame(
        {"month": ["2026-08", "2026-09"], "mqls": [0, 0], "mql_target": [60, 60],
         "share_within_sla": [np.nan, np.nan]}
    )  # fmt: skip
    ax = plots.mqls_vs_target(monthly, 60)
    assert says_no_data(ax) == "no MQLs from 2026-08 to 2026-09"
    assert ax.get_title() == "MQLs delivered per month against the target"
    assert says_no_data(plots.mqls_vs_target(monthly.iloc[:0], 60)) == "no MQLs in any month"
    ax = plots.trend(monthly, "share_within_sla", 0.8, percent=True, title="Within the SLA")
    assert says_no_data(ax) == "share within sla is unknown from 2026-08 to 2026-09"
    assert ax.get_title() == "Within the SLA"
    assert says_no_data(plots.trend(monthly.iloc[:0], "share_within_sla")) == "no months to show"


def test_monthly_charts_with_one_value_are_drawn_as_before():
    monthly = pd.DataFrame(
        {"month": ["2026-08", "2026-09"], "mqls": [0, 3], "share_within_sla": [np.nan, 0.5]}
    )
    ax = plots.mqls_vs_target(monthly, 60)
    assert [p.get_height() for p in ax.patches] == [0, 3]
    ax = plots.trend(monthly, "share_within_sla", 0.8)
    assert plots.no_data_reason(ax) is None and drawn(ax) == 1


def test_a_funnel_without_contacts_says_so():
    counts = funnel.funnel_counts(_crm([]).contacts, as_of="2026-10-01")
    empty = counts.iloc[:0]
    assert says_no_data(plots.funnel_chart(empty)) == "no contact entered a funnel stage"
    zeros = counts.assign(contacts=0)
    ax = plots.funnel_chart(zeros, empty_reason="no contact entered the funnel in 2026-11")
    assert says_no_data(ax) == "no contact entered the funnel in 2026-11"
    assert plots.no_data_reason(plots.funnel_chart(counts)) is None


# ------------------------------------------------------------------- segmentation and attribution
EMPTY_INPUTS = {
    "attribution_models_chart": (plots.attribution_models_chart, pd.DataFrame()),
    "attribution_intervals": (
        plots.attribution_intervals,
        pd.DataFrame(columns=["channel", "share", "share_low", "share_high"]),
    ),
    "segment_selection": (
        plots.segment_selection,
        pd.DataFrame(columns=["n_segments", "bic", "silhouette"]),
    ),
    "segment_profiles_heatmap": (
        plots.segment_profiles_heatmap,
        pd.DataFrame(columns=["segment", "persona", "share_of_accounts"]),
    ),
    "segment_map": (plots.segment_map, pd.DataFrame(columns=["x", "y", "segment"])),
}


@pytest.mark.parametrize("name", sorted(EMPTY_INPUTS))
def test_every_chart_given_nothing_says_no_data(name):
    draw, empty = EMPTY_INPUTS[name]
    ax = draw(empty)
    says_no_data(ax)
    assert ax.get_title()  # the panel still says what it would show
    assert says_no_data(draw(empty, empty_reason="why")) == "why"
    fig, given = plt.subplots()
    assert draw(empty, ax=given) is given


# ------------------------------------------------------------------- tables
def test_show_table_gives_the_table_itself_or_a_sentence():
    table = pd.DataFrame({"rejection_reason": ["no budget"], "mqls": [1]})
    assert outputs.show_table(table, empty="no MQL was rejected") is table  # shown as before
    empty = table.iloc[:0]
    assert "Empty DataFrame" in repr(empty)  # what a cell ending in the table would show
    note = outputs.show_table(empty, empty="no MQL of 2026-09 was rejected by sales")
    assert repr(note) == str(note) == "no MQL of 2026-09 was rejected by sales"
    assert (
        note._repr_html_() == '<p class="smk-no-data">no MQL of 2026-09 was rejected by sales</p>'
    )
    assert "Empty DataFrame" not in repr(note)
    assert str(outputs.show_table(None, empty="none")) == "none"
    assert str(outputs.show_table(pd.DataFrame(index=[0, 1]), empty="no columns")) == "no columns"
    assert str(outputs.show_table(pd.Series([], dtype=float), empty="no rows")) == "no rows"
    escaped = outputs.show_table(empty, empty="<b>&")._repr_html_()
    assert escaped == '<p class="smk-no-data">&lt;b&gt;&amp;</p>'
