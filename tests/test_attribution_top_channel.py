"""How sure the report's top channel is: its bootstrap support.

The index's "Top channel (Shapley)" tile named one channel and its share as a finding, with
a change against the previous month, whatever the bootstrap said: on the HubSpot sample
"email, 31.2%" while email is the top channel in only 52% of the resamples and offline and
referral lie inside its 90% interval; on synthetic exports the tile named the true top channel
in 3 of 8. The tiles now say how often the channel is top across the resamples and which
others its interval holds, and below `MIN_TOP_SUPPORT` are "no data": no finding, no change.
`attribution_intervals.csv` states its level.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from test_attribution_page import _run_page

from smk import attribution as at
from smk import outputs, periods
from smk.attribution.uncertainty import canonical_order, resample
from smk.report import write_month_index

OCTOBER = periods.as_month("2026-10")
CONTEXT = {"month": "2026-10", "source": "x", "generated": "now", "version": "0"}


def _paths(a: int, b: int, c: int = 5) -> at.Journeys:
    """Journeys of channels a, b and c alone, converting `a`, `b` and `c` times in 100 each."""
    table = pd.DataFrame(
        {
            "path": ["a", "b", "c"],
            "total_conversions": [a, b, c],
            "total_null": [100 - a, 100 - b, 100 - c],
        }
    )
    return at.from_paths(table, value_col=None)


def _ranked(j: at.Journeys, n_boot: int = 200) -> tuple[pd.DataFrame, dict]:
    """The linear model's top channel of `j`, its bootstrap intervals and its check."""
    intervals = at.headline_intervals(j, "linear", n_boot=n_boot, random_state=0)
    top = at.attribute(j, "linear").sort_values("share", ascending=False).iloc[0]
    return top, at.top_channel_check(intervals, top["channel"])


def _kpis(j: at.Journeys, month: periods.Month = OCTOBER) -> dict[str, dict]:
    top, ranking = _ranked(j)
    tiles = at.report_kpis(top, "linear", j, 90, month, 12, ranking=ranking)
    return {k["id"]: k for k in tiles}


def test_the_support_is_how_often_each_channel_is_top_across_the_resamples():
    j = _paths(20, 18)  # a and b near-tied
    ci = at.bootstrap(j, "linear", n_boot=200, random_state=0)
    rng, drawn = np.random.default_rng(0), canonical_order(j)
    replayed = pd.Series(0.0, index=["a", "b", "c"])
    for _ in range(200):  # as `bootstrap` draws them; equal counts tie: each shares the win
        shares = at.attribute(resample(drawn, rng), "linear").set_index("channel")["share"]
        winners = shares.index[shares == shares.max()]
        replayed[winners] += 1 / len(winners) / 200
    got = ci.set_index("channel")["top_support"]
    np.testing.assert_allclose(got, replayed)
    assert got.sum() == pytest.approx(1.0) and 0.3 < got["a"] < 0.9 and got["b"] > 0.1
    assert (ci["level"] == 0.9).all()  # the CSV says its level
    assert (at.bootstrap(j, "linear", n_boot=20, level=0.8)["level"] == 0.8).all()


def test_a_tie_for_the_top_is_shared_not_given_to_the_first_channel():
    table = pd.DataFrame(
        {"path": ["a > b", "b"], "total_conversions": [40, 0], "total_null": [0, 40]}
    )
    ci = at.bootstrap(at.from_paths(table, value_col=None), "linear", n_boot=50)
    np.testing.assert_allclose(ci["top_support"], [0.5, 0.5])  # a = b = 50% in every resample
    assert not at.top_channel_check(ci, "a")["clear"]


def test_the_check_says_how_often_and_which_channels_its_interval_holds():
    # the HubSpot sample's Shapley intervals (12 months to Oct 2026, 200 resamples, seed 0)
    hubspot = pd.DataFrame(
        {
            "model": "shapley",
            "channel": ["direct", "email", "offline", "organic_search", "referral"],
            "share": [0.0764, 0.3117, 0.2626, 0.0704, 0.1935],
            "share_low": [0.0, 0.0726, 0.1195, 0.0, 0.0566],
            "share_high": [0.2617, 0.4658, 0.3461, 0.3071, 0.3341],
            "level": 0.9,
            "resamples": 200,
            "top_support": [0.06, 0.52, 0.22, 0.10, 0.10],
        }
    )
    check = at.top_channel_check(hubspot, "email")
    assert check["support"] == 0.52 and check["clear"] is False and check["minimum"] == 0.9
    assert check["within_interval"] == ["offline", "referral", "direct"]  # highest first
    assert check["model"] == "shapley" and check["resamples"] == 200
    assert check["detail"] == (
        "no clear top channel: email top in 52% of 200 resamples, fewer than the 90% a finding "
        "needs; offline, referral and direct within its 90% interval (7.3% to 46.6%)"
    )
    just_below = hubspot.assign(top_support=[0.0, 0.8975, 0.1025, 0.0, 0.0])
    assert "email top in 89% of 200" in at.top_channel_check(just_below, "email")["detail"]
    clear = at.top_channel_check(hubspot.assign(top_support=[0, 0.9, 0.1, 0, 0]), "email")
    assert clear["clear"] and clear["detail"].startswith("email top in 90% of 200 resamples; ")
    assert at.top_channel_check(hubspot, "email", minimum=0.5)["clear"]


def test_near_tied_channels_make_no_finding_and_a_clear_winner_does():
    tied, clear = _kpis(_paths(20, 18)), _kpis(_paths(60, 10))
    for kpi in ("top_channel", "top_channel_share"):
        assert tied[kpi]["status"] == "no data", kpi
        assert re.match(
            r"no clear top channel: a top in \d\d% of 200 resamples, fewer than the 90% a "
            r"finding needs; b within its 90% interval \(",
            tied[kpi]["detail"],
        ), tied[kpi]["detail"]
        assert "status" not in clear[kpi]
        assert clear[kpi]["detail"].startswith(
            "a top in 100% of 200 resamples; no other channel within its 90% interval ("
        )
    assert tied["top_channel_share"]["detail"].endswith(
        "none of the 43 path table conversions unattributed: no touch in the 90 days before"
    )
    assert "status" not in tied["conversions_attributed"]  # a count is a fact


def test_the_index_compares_no_top_channel_the_bootstrap_cannot_tell(tmp_path):
    september = {"attribution": {"kpis": list(_kpis(_paths(10, 60), OCTOBER.previous).values())}}
    (tmp_path / "2026-09").mkdir()
    (tmp_path / "2026-09" / "metrics.json").write_text(json.dumps(september))
    folder = tmp_path / "2026-10"
    outputs.write_metrics(folder, "attribution", {"kpis": list(_kpis(_paths(20, 18)).values())})
    page = write_month_index(folder, OCTOBER, [], CONTEXT, tmp_path).read_text()
    tiles = dict(re.findall(r'data-kpi="([^"]*)".*?<div class="detail">(.*?)</div>', page))
    for kpi in ("top_channel", "top_channel_share"):
        assert re.search(rf'class="tile status-no-data" data-kpi="{kpi}"', page), kpi
        assert tiles[kpi].startswith("12 months to Oct 2026 · no clear top channel: a top in ")
        assert tiles[kpi].endswith(" · no data"), tiles[kpi]  # no "was b for 12 months to Sep"
    assert "vs 12 months to Sep 2026" in tiles["conversions_attributed"]


def test_the_page_records_the_support_and_its_intervals_level(tmp_path):
    executed, out = _run_page(tmp_path, month="2026-10", models=["linear"], n_boot=20)
    metrics = json.loads((out / "metrics-attribution.json").read_text())
    support = metrics["top_channel_support"]
    intervals = pd.read_csv(out / "attribution_intervals.csv").set_index("channel")
    top = {k["id"]: k for k in metrics["kpis"]}["top_channel"]
    assert support["channel"] == top["value"] and support["model"] == "linear"
    assert support["resamples"] == 20 and support["minimum"] == at.MIN_TOP_SUPPORT
    assert support["support"] == pytest.approx(intervals.loc[top["value"], "top_support"])
    assert (intervals["level"] == 0.9).all()
    assert top["detail"].startswith(support["detail"])
    assert (top.get("status") == "no data") is (not support["clear"])
