"""Attribution on too few conversions, as a startup's tiny CRM has (40 contacts, 1 won deal).

* The page published 12 models, removal effects, incremental effects and CPA/ROAS fitted on
  one conversion, and the index showed "Top channel (Shapley): direct" and its 29.5% share as
  facts. Below `MIN_CONVERSIONS` attributed conversions the page now says so at its top, the
  top channel's tiles are "no data" with the reason, and the metrics record it.
* A bootstrap resample that drew no conversion was counted as "every channel 0%" (shares
  summing to 0): 64 of 200 such resamples pulled every lower bound to 0. They are now left
  out like the unfittable ones, and the intervals say on how many resamples they rest.
"""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from test_attribution_page import _run_page as run_attribution_page

from smk import attribution as at
from smk import outputs, periods
from smk.attribution.uncertainty import canonical_order, resample
from smk.report import write_month_index

OCTOBER = periods.as_month("2026-10")
CONTEXT = {"month": "2026-10", "source": "x", "generated": "now", "version": "0"}


def _paths(conversions: int, nulls: int = 40) -> at.Journeys:
    """`conversions` journeys along "a > b" (all converting), `nulls` along "b" (none)."""
    table = pd.DataFrame(
        {"path": ["a > b", "b"], "total_conversions": [conversions, 0], "total_null": [0, nulls]}
    )
    return at.from_paths(table, value_col=None)


def _no_conversion_draws(j: at.Journeys, n_boot: int, seed: int) -> int:
    """How many of a seed's resamples draw no conversion, replayed as `bootstrap` draws them."""
    rng, drawn = np.random.default_rng(seed), canonical_order(j)
    return sum(resample(drawn, rng).total_conversions == 0 for _ in range(n_boot))


@pytest.mark.parametrize("model", ["linear", "markov"])
def test_resamples_without_a_conversion_are_left_out_not_counted_as_zero_shares(model):
    j = _paths(1)
    empty = _no_conversion_draws(j, 100, seed=0)
    assert 10 < empty < 90  # (40/41)^41: about a third draw the one conversion not at all
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ci = at.bootstrap(j, model, n_boot=100, random_state=0).set_index("channel")
    # every resample left in credits its conversions in full: no share's bound is pulled to 0
    assert (ci["share"] > 0).all() and (ci["share_low"] > 0).all()
    # a resample without the conversion credits 0 conversions, a count it does have: kept
    assert (ci["conversions_low"] == 0).all() and (ci["conversions_high"] > 0).all()
    if model == "linear":  # each resample with the conversion credits it half to a, half to b
        np.testing.assert_allclose(ci[["share_low", "share_high"]], 0.5)
    assert (ci["resamples"] == 100 - empty).all()
    assert [str(w.message) for w in caught] == [
        f"{empty} of 100 bootstrap resamples drew no conversion (no share is defined; their "
        "conversions, 0, stay in the conversions' intervals): left out of the "
        f"{model} share intervals, which rest on the other {100 - empty} of 100"
    ]


def test_the_warning_counts_both_reasons_and_none_left_is_an_error(monkeypatch):
    import smk.attribution.uncertainty as unc

    j = _paths(1)
    empty = _no_conversion_draws(j, 30, seed=2)
    fitted, calls = unc.attribute, iter(range(1000))

    def flaky(journeys, model, **params):  # the 2nd resample that is fitted cannot be
        if journeys is not j and next(calls) == 1:
            raise at.NotEstimableError("no channel has a positive estimated effect")
        return fitted(journeys, model, **params)

    monkeypatch.setattr(unc, "attribute", flaky)
    with pytest.warns(UserWarning) as caught:
        ci = at.bootstrap(j, "linear", n_boot=30, random_state=2)
    message = str(caught[0].message)
    assert f"{empty} of 30 bootstrap resamples drew no conversion" in message
    assert "1 of 30 bootstrap resamples could not be fitted" in message
    assert message.endswith(f"which rest on the other {29 - empty} of 30")
    assert (ci["resamples"] == 29 - empty).all()
    never = at.from_paths(
        pd.DataFrame({"path": ["a"], "total_conversions": [1e-9]}), value_col=None
    )
    with pytest.raises(at.NotEstimableError, match="none of the 5 resamples: 5 of 5 .* drew no"):
        at.bootstrap(never, "linear", n_boot=5, random_state=0)  # Poisson draws of ~0: none


def test_the_intervals_chart_names_how_many_resamples_it_rests_on():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from smk import plots

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ci = at.bootstrap(_paths(1), "linear", n_boot=50, random_state=0)
    ax = plots.attribution_intervals(ci)
    assert ax.get_xlabel() == (
        f"share of conversions credited (intervals on {ci['resamples'].iloc[0]} resamples)"
    )
    plt.close("all")


def test_reliability_needs_the_documented_minimum_of_attributed_conversions():
    few, enough = at.reliability(_paths(at.MIN_CONVERSIONS - 1)), at.reliability(_paths(30))
    assert at.MIN_CONVERSIONS == 30
    assert not few["reliable"] and few["reason"] == "too_few_conversions"
    assert few["caveat"] == "too few conversions (29 of at least 30)"
    assert enough["reliable"] and enough["caveat"] is None and enough["reason"] is None
    assert at.reliability_note(enough) == ""
    one = at.reliability(_paths(1))
    note = at.reliability_note(one)
    assert note.startswith(
        "> **Too few conversions to rely on this attribution: 1 attributed path table "
        "conversion, and at least 30 are needed.**"
    )  # a path table names its conversions so
    assert "none of them is a finding" in note and "more than 13 points" in note
    assert at.reliability(_paths(5), minimum=5)["reliable"]
    with pytest.raises(ValueError, match="minimum"):
        at.reliability(_paths(5), minimum=0)


@pytest.mark.parametrize(
    ("conversion", "advice"),
    [
        ("won", "a longer `window_months`, a later month or a more frequent `conversion`, "
         "earlier in the funnel (an opportunity, an SQL, an MQL or a lead)."),
        ("mql", "a longer `window_months`, a later month or a more frequent `conversion`, "
         "earlier in the funnel (a lead)."),
        ("lead", "a longer `window_months` or a later month."),
        ("path table conversion", "a longer `window_months` or a later month."),
    ],
)  # fmt: skip
def test_the_note_suggests_only_conversions_earlier_in_the_funnel(conversion, advice):
    # HB: an MQL page was advised "a more frequent conversion (an opportunity, an SQL or an MQL)"
    check = at.reliability(_paths(1)) | {"conversion": conversion}
    note = at.reliability_note(check)
    assert note.endswith(f"More conversions come with {advice}")
    if conversion != "won":
        assert "opportunity" not in note and "an SQL" not in note


def _kpis(conversions: int, month: periods.Month = OCTOBER) -> dict[str, dict]:
    j = _paths(conversions)
    top = at.attribute(j, "linear").iloc[0]
    return {k["id"]: k for k in at.report_kpis(top, "linear", j, 90, month, 12)}


def test_the_top_channel_tiles_are_no_data_below_the_minimum_not_a_finding():
    few, enough = _kpis(1), _kpis(30)
    for kpi in ("top_channel", "top_channel_share"):
        assert few[kpi]["status"] == "no data", kpi
        assert few[kpi]["detail"].startswith(
            "too few conversions (1 of at least 30): not to be relied on"
        ), kpi
        assert "status" not in enough[kpi] and "too few" not in enough[kpi].get("detail", "")
    assert (
        "Linear credit: 0.5 of the 1 attributed; none of the 1 "
        in few["top_channel_share"]["detail"]
    )
    count = few["conversions_attributed"]
    assert "status" not in count and count["value"] == 1  # a count is a fact
    assert count["detail"].endswith("; too few for attribution (at least 30)")
    assert "too few" not in enough["conversions_attributed"]["detail"]


def test_the_index_shows_the_reason_and_compares_no_unreliable_top_channel(tmp_path):
    september = {"attribution": {"kpis": list(_kpis(30, OCTOBER.previous).values())}}
    (tmp_path / "2026-09").mkdir()
    (tmp_path / "2026-09" / "metrics.json").write_text(json.dumps(september))
    folder = tmp_path / "2026-10"
    folder.mkdir()
    outputs.write_metrics(folder, "attribution", {"kpis": list(_kpis(1).values())})
    page = write_month_index(folder, OCTOBER, [], CONTEXT, tmp_path).read_text()
    tiles = dict(re.findall(r'data-kpi="([^"]*)".*?<div class="detail">(.*?)</div>', page))
    assert re.search(r'class="tile status-no-data" data-kpi="top_channel"', page)
    assert tiles["top_channel"] == (
        "12 months to Oct 2026 · too few conversions (1 of at least 30): not to be relied on"
        " · no data"
    )  # no "same for 12 months to Sep 2026": nothing to compare
    assert tiles["conversions_attributed"].endswith("−29 vs 12 months to Sep 2026")


def _run_page(tmp_path, **settings):
    """Notebook 04 on the Salesforce sample with `settings`: its Markdown and printed text,
    and its metrics."""
    executed, out = run_attribution_page(tmp_path, **settings)
    shown = [
        o.get("data", {}).get("text/markdown") or o.get("text", "")
        for c in executed.cells
        for o in c.get("outputs", [])
    ]
    return shown, json.loads((out / "metrics-attribution.json").read_text())


def test_the_page_says_at_its_top_that_a_month_of_won_deals_is_too_few(tmp_path):
    shown, metrics = _run_page(tmp_path, window_months=1, models=["linear", "shapley"], n_boot=10)
    check = metrics["reliability"]
    n = metrics["coverage"]["attributed"]
    assert 0 < n < at.MIN_CONVERSIONS and check["conversions"] == n
    assert check["reliable"] is False and check["minimum"] == at.MIN_CONVERSIONS
    intro = next(i for i, text in enumerate(shown) if text.startswith("This page credits"))
    after = [t for t in shown[intro + 1 :] if not t.startswith("Deals of ")]  # pipelines said
    assert after[0].startswith(  # right under the introduction, before any figure
        f"> **Too few conversions to rely on this attribution: {n} attributed won conversion"
    )
    tiles = {k["id"]: k for k in metrics["kpis"]}
    assert tiles["top_channel"]["status"] == tiles["top_channel_share"]["status"] == "no data"
    assert f"too few conversions ({n} of at least 30)" in tiles["top_channel"]["detail"]


@pytest.mark.parametrize(
    ("weights", "shown"), [(29.96, "29.96"), (29.999, "29.99"), (29.5, "29.5")]
)
def test_a_fractional_count_below_the_minimum_never_reads_as_the_minimum(weights, shown):
    """A path table's weights: 29.96 attributed conversions read "30.0 ... at least 30"."""
    table = pd.DataFrame({"path": ["a > b"], "total_conversions": [weights], "total_null": [5]})
    check = at.reliability(at.from_paths(table, value_col=None))
    assert not check["reliable"]
    assert (
        f"{shown} attributed" in check["headline"] and "at least 30 are needed" in check["headline"]
    )
