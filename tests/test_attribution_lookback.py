"""The lookback window's cut of converting and non-converting journeys, measured on every run.

A converting journey keeps the touches in the `lookback_days` before its conversion, a
non-converting one those before its own last touch. With won deals after a long sales cycle
the window left out the early touches of converters far more often than of the others, and
the shares leaned toward channels that touch late, unsaid: on a 20k-contact synthetic export
the Shapley intervals covered the true shares of 4 channels of 8 (all 8 without a limit), and
the Salesforce sample's page published organic search at [0, 0] against a true 20%.
`Journeys.lookback_cut` measures it, `lookback_check` says when it biases the shares and the
attribution page says so at its top; the report index's top channel tiles, read without the
page, showed the biased figures as findings and now carry the caveat too.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import warnings

import nbformat
import numpy as np
import pandas as pd
import pytest
from test_attribution_models import mini_crm, utc, won_deal
from test_attribution_page import _run_page
from test_attribution_reliability import CONTEXT, OCTOBER, _kpis

import smk
from smk import attribution as at
from smk import config, outputs, periods
from smk.report import write_month_index

#: The window's default, decided on 2026-11-28 (it was 90): 90 days cut the converting
#: journeys' early touches far more often than the others' and tilted the shares toward
#: late-touch channels (docs/notebooks.md, "The lookback window").
DEFAULT_LOOKBACK_DAYS = 180

#: Six contacts; the window of 30 days. Contacts 1-3 win a deal closed on 2026-06-30 (their
#: window starts 2026-05-31 12:00), contacts 4-6 never convert (their window ends at their last touch).
TOUCHES = [
    ("1", "2026-03-01", "organic_search"),  # before the window: left out (cut)
    ("1", "2026-06-20", "direct"),
    ("2", "2026-05-31T12:00", "organic_search"),  # exactly 30 days before: in (not cut)
    ("2", "2026-06-25", "email"),
    ("3", "2026-03-01", "referral"),  # its only touch, before the window: emptied, cut
    ("4", "2026-02-15", "organic_search"),  # 45 days before its last touch: cut
    ("4", "2026-04-01", "paid_search"),
    ("5", "2026-05-01", "referral"),  # 19 days before its last touch: not cut
    ("5", "2026-05-20", "email"),
    ("6", "2026-05-10", "paid_social"),  # a single touch: nothing to cut
]
CONTACTS = [
    {
        "contact_id": c,
        "account_id": "A" if c in "14" else f"acc{c}",
        "created_at": utc("2026-01-01"),
    }
    for c in "123456"
]
DEALS = [won_deal(f"D{c}", c, 100.0, "2026-06-30T12:00") for c in "123"]


def _journeys(**kw) -> at.Journeys:
    crm = mini_crm(TOUCHES, contacts=CONTACTS, deals=DEALS)
    return at.journeys(crm, start="2026-01-01", end="2026-07-01", **kw)


def _cut(j: at.Journeys) -> dict[str, bool]:
    return dict(zip(j.table["journey_id"], j.cut_by_lookback.tolist(), strict=True))


def test_the_journeys_record_which_ones_the_window_cut():
    j = _journeys(lookback_days=30)
    assert _cut(j) == {"D1": True, "D2": False, "4": True, "5": False, "6": False}
    assert j.coverage()["no_touch"] == 1  # contact 3: every touch before its window
    # 2 of 3 converting journeys cut: D1, and D3, which the window emptied (contact 3's every
    # touch lies before it): unattributed, yet cut the most (it was 0.5, D3 left out of both)
    assert j.lookback_cut() == {
        "converting": pytest.approx(2 / 3),
        "converting_cut": 2,
        "non_converting": pytest.approx(1 / 3),
        "non_converting_cut": 1,
        "converting_emptied": 1,
    }
    # the journeys keep it through a subset and weigh it as the bootstrap reweights them; the
    # emptied conversion is no row of the table, and stays counted once, as `unattributed`
    assert _cut(j.subset(np.array([1, 2]))) == {"D2": False, "4": True}
    twice = j.reweighted([2.0, 1.0, 0, 0, 0], [0, 0, 1.0, 1.0, 1.0], j.value)
    assert twice.lookback_cut()["converting"] == pytest.approx(3 / 4)  # D1 twice, D2, D3
    assert twice.coverage()["no_touch"] == 1


def test_a_conversion_whose_every_touch_is_older_than_the_window_counts_as_cut():
    # contact 7 wins a deal on 2026-06-30 but was last touched on 2026-04-01: its journey is
    # empty, unattributed, and the window's doing
    touches = [*TOUCHES, ("7", "2026-02-01", "email"), ("7", "2026-04-01", "paid_search")]
    contacts = [
        *CONTACTS,
        {"contact_id": "7", "account_id": "acc7", "created_at": utc("2026-01-01")},
    ]
    deals = [*DEALS, won_deal("D7", "7", 50.0, "2026-06-30T12:00")]
    crm = mini_crm(touches, contacts=contacts, deals=deals)
    j = at.journeys(crm, start="2026-01-01", end="2026-07-01", lookback_days=30)
    assert "D7" not in set(j.table["journey_id"]) and j.coverage()["no_touch"] == 2
    cut = j.lookback_cut()
    assert (cut["converting"], cut["converting_cut"], cut["converting_emptied"]) == (
        pytest.approx(3 / 4),
        3,
        2,
    )
    # the attributed journeys and the coverage are those without the count
    assert j.total_conversions == 2 and j.coverage()["unattributed_value"] == 150.0
    # at account level too: D3's and D7's accounts had touches, none in the window
    acc = at.journeys(
        crm, start="2026-01-01", end="2026-07-01", lookback_days=30, account_level=True
    )
    assert acc.lookback_cut()["converting_emptied"] == 2
    # without a limit nothing is emptied: every conversion keeps its touches
    none = at.journeys(crm, start="2026-01-01", end="2026-07-01", lookback_days=None)
    assert none.lookback_cut()["converting_emptied"] == 0 and none.coverage()["no_touch"] == 0


def test_a_conversion_never_touched_is_not_cut():
    # a deal of a contact without any touch is unattributed too, but no window emptied it
    contacts = [
        *CONTACTS,
        {"contact_id": "8", "account_id": "acc8", "created_at": utc("2026-01-01")},
    ]
    deals = [*DEALS, won_deal("D8", "8", 10.0, "2026-06-30T12:00")]
    crm = mini_crm(TOUCHES, contacts=contacts, deals=deals)
    j = at.journeys(crm, start="2026-01-01", end="2026-07-01", lookback_days=30)
    assert j.coverage()["no_touch"] == 2
    assert j.lookback_cut()["converting_emptied"] == 1  # D3 only
    assert j.lookback_cut()["converting"] == pytest.approx(2 / 3)


def test_without_a_limit_nothing_is_cut():
    j = _journeys(lookback_days=None)
    assert not j.cut_by_lookback.any() and len(j) == 6  # contact 3's deal is attributed too
    assert j.lookback_cut() == {
        "converting": 0.0,
        "converting_cut": 0,
        "non_converting": 0.0,
        "non_converting_cut": 0,
        "converting_emptied": 0,
    }


def test_an_account_is_cut_when_any_of_its_contacts_was_touched_before_the_window():
    # contacts 1 and 4 share account A: its deal's window (from 2026-05-31) leaves out the
    # touches of both on 2026-02-15, 2026-03-01 and 2026-04-01
    j = _journeys(lookback_days=30, account_level=True)
    assert _cut(j)["D1"] is True and _cut(j)["D2"] is False
    assert "A" not in set(j.table["journey_id"])  # account A converted: no non-converting one


def test_a_path_table_has_no_cut_to_tell():
    paths = at.from_paths(pd.DataFrame({"path": ["a > b"], "total_conversions": [1]}))
    assert paths.lookback_cut() is None
    check = at.lookback_check(paths, 90)
    assert (check["converting"], check["lopsided"], at.lookback_note(check)) == (None, False, "")


class _Cut:
    """Journeys whose window cut these shares of converting and non-converting ones."""

    def __init__(self, converting, non_converting, emptied=0):
        self.cut = {
            "converting": converting,
            "converting_cut": 0,
            "non_converting": non_converting,
            "non_converting_cut": 0,
            "converting_emptied": emptied,
        }

    def lookback_cut(self):
        return self.cut


@pytest.mark.parametrize(
    ("converting", "non_converting", "leans_to"),
    [
        (0.30, 0.10, "late"),  # won deals after a long cycle: converters cut more
        (0.15, 0.10, "late"),  # 5 points apart, 15% of converters
        (0.14, 0.10, None),  # 4 points apart: within what the figures show harmless
        (0.09, 0.00, None),  # 9 points apart, but only 9% of converters cut
        (0.00, 0.20, "early"),  # MQLs, early in a contact's life: the others cut more
        (None, 0.30, None),  # no converting journey
        (0.0, 0.0, None),  # no limit
    ],
)
def test_the_check_calls_a_window_lopsided_by_gap_and_share(converting, non_converting, leans_to):
    check = at.lookback_check(_Cut(converting, non_converting), 90)
    assert (check["lopsided"], check["leans_to"]) == (leans_to is not None, leans_to)
    assert (check["min_gap"], check["min_share"]) == (at.LOOKBACK_GAP, at.LOOKBACK_SHARE)
    assert (at.lookback_note(check) != "") == check["lopsided"]
    assert (at.lookback_caveat(check) != "") == check["lopsided"]


def test_the_note_says_which_way_the_shares_lean_and_what_to_run():
    late = at.lookback_note(at.lookback_check(_Cut(0.455, 0.116), 90))
    assert late.startswith("> **The lookback window tilts these shares toward channels that")
    assert "Its 90 days cut the earlier touches of 46% of the converting journeys but of 12%" in (
        late
    )
    assert "`lookback_days: null` in the `smk report --params` file" in late
    early = at.lookback_note(at.lookback_check(_Cut(0.005, 0.3), 30.0))
    assert "can tilt the data-driven shares toward channels that open journeys" in early
    assert "Its 30 days" in early
    assert "of 30% of the non-converting journeys but of 0% of the converting ones" in early
    assert "no touch at all" not in late + early
    emptied = at.lookback_note(at.lookback_check(_Cut(0.455, 0.116, emptied=3), 90))
    assert "before the window began; 3 converting journeys kept no touch at all and are " in (
        emptied
    )


def _index_tiles(tmp_path, metrics: dict) -> dict[str, tuple[str, str]]:
    """The report index of October 2026 on the attribution page's `metrics`: each tile's
    class and detail, by id."""
    folder = tmp_path / "2026-10"
    outputs.write_metrics(folder, "attribution", metrics)
    page = write_month_index(folder, OCTOBER, [], CONTEXT, tmp_path).read_text()
    found = re.findall(
        r'class="([^"]*)" data-kpi="([^"]*)".*?<div class="detail">(.*?)</div>', page
    )
    return {kpi: (css, detail) for css, kpi, detail in found}


@pytest.mark.parametrize(
    ("converting", "non_converting", "caveat"),
    [
        (
            0.455,
            0.116,
            "46% of the converting journeys but of 12% of the non-converting ones, which tilts "
            "the shares toward channels that touch late",
        ),
        (
            0.005,
            0.3,
            "30% of the non-converting journeys but of 0% of the converting ones, which can "
            "tilt the data-driven shares toward channels that open journeys",
        ),
    ],
)
def test_the_index_s_share_tiles_carry_a_lopsided_window_s_caveat(
    tmp_path, converting, non_converting, caveat
):
    kpis = list(_kpis(30).values())
    cut = at.lookback_check(_Cut(converting, non_converting), 180)
    balanced = _index_tiles(tmp_path / "balanced", {"kpis": kpis})
    tiles = _index_tiles(tmp_path / "lopsided", {"kpis": kpis, "lookback_cut": cut})
    caveat = (
        f"biased by the lookback window: its 180 days cut the earlier touches of {caveat}; "
        "see the attribution page before acting on it"
    )
    for kpi in ("top_channel", "top_channel_share"):
        css, detail = tiles[kpi]
        assert detail.startswith(f"12 months to Oct 2026 · {caveat}")  # first after the window
        rest = detail.replace(f"{caveat}; ", "").replace(f"{caveat} · ", "")
        assert (css, rest) == balanced[kpi]  # the tile keeps its look and all else it said
    assert tiles["conversions_attributed"] == balanced["conversions_attributed"]  # a count


def test_the_index_s_tiles_carry_no_caveat_when_the_window_cut_both_kinds_alike(tmp_path):
    kpis = list(_kpis(30).values())
    older = _index_tiles(tmp_path / "older", {"kpis": kpis})  # published before lookback_cut
    for converting, non_converting in [(0.14, 0.10), (0.0, 0.0), (None, 0.3)]:
        cut = at.lookback_check(_Cut(converting, non_converting), 180)
        name = f"{converting}-{non_converting}"
        assert _index_tiles(tmp_path / name, {"kpis": kpis, "lookback_cut": cut}) == older
    assert set(older) == {"top_channel", "top_channel_share", "conversions_attributed"}
    assert "lookback" not in "".join(detail for _, detail in older.values())


def test_a_lopsided_window_s_caveat_joins_too_few_conversions_on_the_index(tmp_path):
    kpis = list(_kpis(1).values())
    cut = at.lookback_check(_Cut(0.455, 0.116), 90)
    tiles = _index_tiles(tmp_path, {"kpis": kpis, "lookback_cut": cut})
    css, detail = tiles["top_channel"]
    assert css == "tile status-no-data"  # still not to be relied on, and not compared
    assert detail == (
        "12 months to Oct 2026 · biased by the lookback window: its 90 days cut the earlier "
        "touches of 46% of the converting journeys but of 12% of the non-converting ones, "
        "which tilts the shares toward channels that touch late; see the attribution page "
        "before acting on it; too few conversions (1 of at least 30): not to be relied on"
        " · no data"
    )


def _shown(executed) -> str:
    return "".join(
        o.get("data", {}).get("text/markdown", "") + o.get("text", "")
        for c in executed.cells
        for o in c.get("outputs", [])
    )


@pytest.mark.parametrize("lookback_days", [90, None])
def test_the_page_says_when_the_window_biases_its_shares(tmp_path, lookback_days):
    # the Salesforce sample's won deals: the 90-day window cut 33% of the converting journeys
    # and 3% of the others; without a limit, none
    executed, out = _run_page(
        tmp_path, lookback_days=lookback_days, models=["linear", "shapley"], n_boot=10
    )
    metrics = json.loads((out / "metrics-attribution.json").read_text())
    cut = metrics["lookback_cut"]
    assert cut["lookback_days"] == lookback_days
    shown = _shown(executed)
    note = "**The lookback window tilts these shares toward channels that touch late.**"
    if lookback_days is None:
        assert (cut["converting"], cut["lopsided"]) == (0, False)
        assert note not in shown
    else:
        assert cut["converting"] - cut["non_converting"] > 0.2 and cut["lopsided"]
        assert cut["leans_to"] == "late"
        assert note in shown
        assert f"of {cut['converting']:.0%} of the converting journeys" in shown
    assert {"coverage", "reliability", "shares", "kpis"} <= set(metrics)  # kept


def _notebook_default(notebook: str, name: str):
    """The value `name` is given in `notebook`'s parameters cell."""
    cells = nbformat.read(config.NOTEBOOKS_DIR / notebook, as_version=4).cells
    cell = next(c for c in cells if "parameters" in c.metadata.get("tags", []))
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(getattr(t, "id", None) == name for t in targets):
                return ast.literal_eval(node.value)
    raise AssertionError(f"{notebook} sets no {name}")


def test_the_lookback_default_is_one_in_the_function_the_page_and_the_docs():
    function = inspect.signature(at.journeys).parameters["lookback_days"].default
    page = _notebook_default("04_attribution.ipynb", "lookback_days")
    docs = (config.ROOT / "docs" / "notebooks.md").read_text(encoding="utf-8")
    section = docs.split("## The lookback window", 1)[1].split("\n## ", 1)[0]
    stated = re.findall(r"`lookback_days` \(default (\d+)\)", section)
    table = re.findall(r"^\| (\d+) days \(the default\) \|", section, flags=re.M)
    said = re.findall(r"the default is (\d+) days", section)
    assert len(stated) == len(table) == len(said) == 1
    assert function == page == int(stated[0]) == int(table[0]) == int(said[0])
    assert function == DEFAULT_LOOKBACK_DAYS


@pytest.mark.parametrize("sample", [config.SAMPLE_HUBSPOT, config.SAMPLE_SALESFORCE])
def test_the_default_window_does_not_tilt_the_samples_shares(sample):
    # the page's run (won deals, 12 months to 2026-10): 90 days cut 38% (HubSpot) and 33%
    # (Salesforce) of the converting journeys against 9% and 3% of the others
    crm = smk.load(sample)
    end = periods.resolve_month(crm, "2026-10").end
    bounds = {"start": at.window_start(end, 12), "end": end, "fx": {"EUR": 1.0, "USD": 0.92}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        default = at.journeys(crm, "won", **bounds)
        ninety = at.journeys(crm, "won", lookback_days=90, **bounds)
    check = at.lookback_check(default, DEFAULT_LOOKBACK_DAYS)
    assert not check["lopsided"] and check["converting"] < 0.05
    assert at.lookback_check(ninety, 90)["lopsided"]
    assert default.coverage()["unattributed"] < ninety.coverage()["unattributed"]
