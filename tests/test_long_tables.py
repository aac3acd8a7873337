"""Long tables on a page: the top rows and one row that adds up the rest.

* A large export (5,000 campaigns, 54 months) showed the marketing mix whole on page 01: 3,133
  rows, 3,102 of them first-touch campaigns, 637 KB of a 1.65 MB page; the chart above it shows
  the top 8 a dimension and marketing_mix.csv holds the full list.
"""

from __future__ import annotations

import matplotlib
import nbformat
import numpy as np
import pandas as pd
import pytest

from smk import config, notebooks, periods, plots, scorecard
from smk.model import CRM, make_table
from smk.outputs import export_csv

matplotlib.use("Agg")
NOTEBOOK = "01_funnel_sla.ipynb"
CAMPAIGNS, SOURCES = 50, 12


def _many_campaigns() -> CRM:
    """`CAMPAIGNS` contacts, each first touched by a campaign of its own (and one of `SOURCES`
    original sources), with a won deal of (i + 1) thousand EUR and a lost one; every seventh
    also won a deal without an amount."""
    contacts, touches, deals = [], [], []
    for i in range(CAMPAIGNS):
        contacts.append(
            {
                "contact_id": f"c{i}",
                "created_at": "2026-01-05",
                "original_source": f"source-{i % SOURCES}",
                "country": "Germany",
            }
        )
        touches.append(
            {
                "touchpoint_id": f"t{i}",
                "contact_id": f"c{i}",
                "occurred_at": "2026-02-01",
                "channel": "email",
                "campaign": f"campaign-{i:02d}",
            }
        )
        deal = {"contact_id": f"c{i}", "created_at": "2026-03-01", "closed_at": "2026-06-01"}
        deal |= {"is_closed": True, "currency": "EUR", "product": "Core", "pipeline": "default"}
        deals.append({**deal, "deal_id": f"w{i}", "is_won": True, "amount": (i + 1) * 1000.0})
        deals.append({**deal, "deal_id": f"l{i}", "is_won": False, "amount": 500.0})
        if i % 7 == 0:
            deals.append({**deal, "deal_id": f"n{i}", "is_won": True, "amount": None})
    return CRM(
        contacts=make_table("contacts", contacts),
        touchpoints=make_table("touchpoints", touches),
        deals=make_table("deals", deals),
    )


def _mix_cell() -> str:
    cells = nbformat.read(config.NOTEBOOKS_DIR / NOTEBOOK, as_version=4).cells
    (source,) = [c.source for c in cells if "scorecard.marketing_mix" in c.source]
    return source


@pytest.mark.filterwarnings("ignore")
def test_the_pages_mix_shows_the_top_campaigns_and_one_row_adding_up_the_rest(tmp_path):
    crm = _many_campaigns()
    shown, printed = [], []
    namespace = {
        "crm": crm,
        "report_month": periods.as_month("2026-10"),
        "mix_months": 12,
        "fx_rates": {"EUR": 1.0},
        "reporting_currency": "EUR",
        "notebooks": notebooks,
        "plots": plots,
        "scorecard": scorecard,
        "plt": matplotlib.pyplot,
        "display": shown.append,
        "print": lambda *args: printed.append(" ".join(map(str, args))),
    }
    exec(compile(_mix_cell(), NOTEBOOK, "exec"), namespace)
    matplotlib.pyplot.close("all")
    mix = namespace["mix"]
    # the CSV export keeps every campaign
    csv = pd.read_csv(export_csv(mix, tmp_path, "marketing_mix.csv"))
    assert (csv["dimension"] == "campaign").sum() == CAMPAIGNS
    # the page: the top rows by won revenue and one "other" row per long dimension
    [table] = shown
    campaigns = table[table["Dimension"] == "campaign"]
    assert len(table) < len(mix) and len(campaigns) < CAMPAIGNS  # was every row of the CSV
    n = scorecard.MIX_TABLE_ROWS
    assert len(campaigns) == n + 1
    assert campaigns["Value"].iloc[-1] == f"other ({CAMPAIGNS - n} campaigns)"
    top = mix[mix["dimension"] == "campaign"].nlargest(n, "won_revenue")["value"]
    assert list(campaigns["Value"].iloc[:n]) == list(top)
    sources = table[table["Dimension"] == "original source"]
    assert list(sources["Value"])[-1] == f"other ({SOURCES - n} original sources)"
    assert any("marketing_mix.csv" in line and "every row" in line for line in printed)


def test_the_other_row_sums_the_counts_and_recomputes_the_rates_from_them():
    mix = scorecard.marketing_mix(_many_campaigns(), "2026-10", 12, {"EUR": 1.0}, "EUR")
    cut = scorecard.mix_table(mix)
    for dimension, full in mix.groupby("dimension"):
        part = cut[cut["dimension"] == dimension]
        for column in scorecard.MIX_SUMS:  # each view adds up as the CSV does
            assert part[column].sum() == pytest.approx(full[column].sum())
        assert part["share_of_won_revenue"].sum() == pytest.approx(1.0)
    full = mix[mix["dimension"] == "campaign"]
    rest = full[~full["value"].isin(cut["value"])]
    assert len(rest) == CAMPAIGNS - scorecard.MIX_TABLE_ROWS
    other = cut[cut["value"].str.startswith("other (")].set_index("dimension").loc["campaign"]
    won, lacking = rest["deals_won"].sum(), rest["deals_won_without_amount"].sum()
    assert other["win_rate"] == pytest.approx(won / rest["deals_closed"].sum())
    assert other["win_rate"] != pytest.approx(rest["win_rate"].mean())  # never averaged
    assert other["avg_won_deal"] == pytest.approx(rest["won_revenue"].sum() / (won - lacking))
    assert other["p"] == "Promotion" and other["deals_won_without_amount"] == lacking > 0
    # short dimensions (one product, the price bands in price order) are shown whole
    for dimension in ("product line", "price band", "pipeline"):
        shown = cut[cut["dimension"] == dimension].reset_index(drop=True)
        whole = mix.loc[mix["dimension"] == dimension, shown.columns]  # no "includes" to show
        pd.testing.assert_frame_equal(shown, whole.reset_index(drop=True))


def test_top_rows_folds_only_what_it_must_and_leaves_ratios_it_cannot_recompute_missing():
    from smk.presentation import folded_note, top_rows  # new: the tests above fail, not import

    frame = pd.DataFrame(
        {
            "group": ["a"] * 5 + ["b"] * 3,
            "name": list("pqrst") + list("xyz"),
            "amount": [1.0, np.nan, 5.0, 3.0, 2.0, 9.0, 8.0, 7.0],
            "deals": [1, 2, 3, 4, 5, 6, 7, 8],
            "rate": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
        }
    )
    cut = top_rows(
        frame, "amount", 2, label="name", other="rest of {group} ({n})", sums=["amount", "deals"],
        within=["group"],
    )  # fmt: skip
    # group a: r and s kept in the frame's order, p, q (no amount: last) and t folded
    assert list(cut["name"]) == ["r", "s", "rest of a (3)", "x", "y", "z"]  # b: 1 left: whole
    other = cut.iloc[2]
    assert other["amount"] == 3.0 and other["deals"] == 8 and other["group"] == "a"
    assert pd.isna(other["rate"])  # a ratio is not summed, nor averaged
    assert folded_note(cut, "x.csv") == (
        "The table shows the 2 rows with the most amount of each group; the other 3 of its 8 "
        'rows are added up in one "other" row. x.csv, published with this page, lists every row.'
    )
    whole = top_rows(frame, "amount", 10, label="name", other="rest ({n})", sums=["amount"])
    assert whole.equals(frame) and folded_note(whole, "x.csv") is None


def _drift(statuses: list[str]) -> pd.DataFrame:
    """A drift table as `drift_report` gives it: one feature per status, highest PSI first."""
    n = len(statuses)
    return pd.DataFrame(
        {
            "feature": [f"f{i}" for i in range(n)],
            "psi": np.linspace(0.5, 0.0, n),
            "psi_by_chance": 0.2,
            "status": statuses,
        }
    )


def test_drift_rows_never_hide_a_feature_to_watch_or_retrain_and_say_what_they_leave_out():
    # the page showed drift["table"].head(10): 10 of 32 features, without a word, and a
    # feature at "watch" below ten of higher PSI within chance was not on the page at all
    from smk.presentation import cut_note
    from smk.scoring import drift_rows

    table = _drift(["within chance"] * 10 + ["watch", "retrain"] + ["stable"] * 20)
    shown = drift_rows(table)
    assert list(shown["feature"]) == [f"f{i}" for i in range(8)] + ["f10", "f11"]
    assert cut_note(shown, "lead_score_drift.csv") == (
        "Shown: the 2 features at watch or retrain, then the top 8 of the other 30 features; "
        "all in lead_score_drift.csv, published with this page."
    )
    many = drift_rows(_drift(["watch"] * 12 + ["stable"] * 20))  # more than 10: all of them
    assert list(many["status"]) == ["watch"] * 12
    assert cut_note(many, "d.csv") == (
        "Shown: the 12 features at watch or retrain (of 32 features); all in d.csv, published "
        "with this page."
    )
    calm = drift_rows(_drift(["stable"] * 32))
    assert len(calm) == 10 and cut_note(calm, "d.csv") == (
        "Shown: the top 10 of 32 features (none at watch or retrain); all in d.csv, published "
        "with this page."
    )
    whole = drift_rows(_drift(["stable"] * 10))
    assert whole.equals(_drift(["stable"] * 10)) and cut_note(whole, "d.csv") is None


def test_first_rows_say_how_many_of_how_many_a_page_shows_and_where_the_rest_are():
    # "What drives the score" showed importance.head(10), 10 of 31 features, with no export
    from smk.presentation import cut_note, first_rows

    frame = pd.DataFrame({"feature": [f"f{i}" for i in range(31)], "importance": range(31, 0, -1)})
    shown = first_rows(frame, 10, noun="feature")
    assert shown.equals(frame.head(10))
    assert cut_note(shown, "lead_score_drivers.csv") == (
        "Shown: the top 10 of 31 features; all in lead_score_drivers.csv, published with this page."
    )
    assert cut_note(first_rows(frame.head(3), 10, noun="lead"), "x.csv") is None
    assert "lead_score_drivers.csv" in notebooks.EXPORTS["lead_scoring"]
