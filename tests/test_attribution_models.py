"""Attribution models on small journeys whose credit is worked out by hand.

One B2B journey with seven touches and every HubSpot milestone (first interaction, lead
creation, deal creation, closed won) checks each rule-based model against its published
weights; a two-channel chain checks the Markov removal effects and the Shapley values.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from smk import attribution as at
from smk.attribution.journeys import Journeys
from smk.attribution.shapley import _journey_game_shapley, shapley_values, subset_sums
from smk.model import CRM, SCHEMA, dtype_of


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def table(name: str, rows: list[dict]) -> pd.DataFrame:
    """A canonical table (schema columns and dtypes) from a few rows."""
    cols = {}
    for col, kind in SCHEMA[name].items():
        values = [r.get(col) for r in rows]
        cols[col] = pd.Series(values, dtype="object").astype(dtype_of(kind))
    return pd.DataFrame(cols)


def mini_crm(touches, contacts=None, deals=None) -> CRM:
    """touches: (contact_id, day, channel); contact 1 converts (won deal) by default."""
    contacts = contacts or [
        {"contact_id": "1", "account_id": "A", "created_at": utc("2026-01-05")},
        {"contact_id": "2", "account_id": "B", "created_at": utc("2026-01-02")},
    ]
    deals = (
        deals
        if deals is not None
        else [
            {
                "deal_id": "D1",
                "account_id": "A",
                "contact_id": "1",
                "created_at": utc("2026-01-16"),
                "closed_at": utc("2026-01-26"),
                "is_closed": True,
                "is_won": True,
                "amount": 1000.0,
                "currency": "EUR",
            },
        ]
    )
    tp = [
        {
            "touchpoint_id": f"t{i}",
            "contact_id": c,
            "occurred_at": utc(day),
            "channel": ch,
            "touch_type": "visit",
        }
        for i, (c, day, ch) in enumerate(touches)
    ]
    return CRM(
        contacts=table("contacts", contacts),
        deals=table("deals", deals),
        touchpoints=table("touchpoints", tp),
    )


B2B = [
    ("1", "2026-01-01", "organic_search"),  # first interaction
    ("1", "2026-01-04", "email"),
    ("1", "2026-01-05", "paid_search"),  # lead creation (contact created that day)
    ("1", "2026-01-10", "direct"),
    ("1", "2026-01-15", "offline"),  # deal creation (deal created 2026-01-16)
    ("1", "2026-01-20", "email"),
    ("1", "2026-01-25", "direct"),  # closed won (deal won 2026-01-26) and last interaction
    ("2", "2026-01-03", "paid_social"),  # contact 2 never converts
]


@pytest.fixture(scope="module")
def b2b() -> Journeys:
    return at.journeys(mini_crm(B2B), conversion="won", lookback_days=None)


def shares(frame: pd.DataFrame) -> dict[str, float]:
    return {r.channel: r.conversions for r in frame.itertuples() if r.conversions != 0}


EXPECTED = {
    "first_touch": {"organic_search": 1.0},
    "last_touch": {"direct": 1.0},
    "last_non_direct": {"email": 1.0},
    "linear": {
        "organic_search": 1 / 7,
        "email": 2 / 7,
        "paid_search": 1 / 7,
        "direct": 2 / 7,
        "offline": 1 / 7,
    },
    # 40% first, 40% lead creation, 20% over the 5 other touches
    "u_shaped": {
        "organic_search": 0.4,
        "paid_search": 0.4,
        "email": 0.08,
        "direct": 0.08,
        "offline": 0.04,
    },
    # 30% first, lead, deal creation; 10% over the 4 others
    "w_shaped": {
        "organic_search": 0.3,
        "paid_search": 0.3,
        "offline": 0.3,
        "email": 0.05,
        "direct": 0.05,
    },
    # 22.5% first, lead, deal creation, closed won; 10% over the 3 others
    "full_path": {
        "organic_search": 0.225,
        "paid_search": 0.225,
        "offline": 0.225,
        "direct": 0.225 + 0.1 / 3,
        "email": 0.2 / 3,
    },
    # 20% first, 60% last, 20% over the 5 others
    "j_shaped": {
        "organic_search": 0.2,
        "direct": 0.6 + 0.04,
        "email": 0.08,
        "paid_search": 0.04,
        "offline": 0.04,
    },
    "inverse_j": {
        "organic_search": 0.6,
        "direct": 0.2 + 0.04,
        "email": 0.08,
        "paid_search": 0.04,
        "offline": 0.04,
    },
}


def test_journey_holds_touches_milestones_and_value(b2b):
    converted = b2b.table[b2b.table["conversions"] == 1].iloc[0]
    assert converted["path"] == (
        "organic_search > email > paid_search > direct > offline > email > direct"
    )
    assert converted["value"] == 1000.0
    assert b2b.milestones["lead"][0] == 2
    assert b2b.milestones["opportunity"][0] == 4
    assert b2b.milestones["close"][0] == 6
    assert b2b.table["nulls"].sum() == 1  # contact 2, touched and not converted


@pytest.mark.parametrize("model", sorted(EXPECTED))
def test_rule_model_matches_hand_computed_credit(b2b, model):
    got = at.attribute(b2b, model)
    assert shares(got) == pytest.approx(EXPECTED[model])
    assert got["value"].sum() == pytest.approx(1000.0)
    assert dict(zip(got["channel"], got["value"], strict=True))["organic_search"] == (
        pytest.approx(1000.0 * EXPECTED[model].get("organic_search", 0.0))
    )


def test_time_decay_halves_credit_every_seven_days(b2b):
    days = np.array([25, 22, 21, 16, 11, 6, 1], dtype=float)  # before the 2026-01-26 win
    channels = ["organic_search", "email", "paid_search", "direct", "offline", "email", "direct"]
    w = 0.5 ** (days / 7)
    expected = pd.Series(w / w.sum()).groupby(channels).sum().to_dict()
    assert shares(at.attribute(b2b, "time_decay")) == pytest.approx(expected)
    w14 = 0.5 ** (days / 14)
    expected14 = pd.Series(w14 / w14.sum()).groupby(channels).sum().to_dict()
    assert shares(at.attribute(b2b, "time_decay", half_life_days=14)) == pytest.approx(expected14)


def test_custom_position_weights_are_configuration(b2b):
    got = at.attribute(b2b, "u_shaped", weights={"first": 0.5, "lead": 0.5})
    assert shares(got) == pytest.approx({"organic_search": 0.5, "paid_search": 0.5})
    with pytest.raises(ValueError, match="unknown role"):
        at.attribute(b2b, "u_shaped", weights={"middle": 1.0})


def test_lookback_drops_old_touches_and_milestones_outside_the_window():
    j = at.journeys(mini_crm(B2B), conversion="won", lookback_days=20)
    conv = j.table[j.table["conversions"] == 1].iloc[0]
    assert conv["path"] == "direct > offline > email > direct"
    # lead creation (2026-01-05) is before the window: first 40% + rest 20%, renormalised
    got = shares(at.attribute(j, "u_shaped"))
    assert got == pytest.approx(
        {"direct": (0.4 + 0.2 / 3) / 0.6, "offline": 0.2 / 3 / 0.6, "email": 0.2 / 3 / 0.6}
    )


def test_collapse_repeats_merges_consecutive_touches_of_one_channel():
    touches = [
        ("1", "2026-01-01", "email"),
        ("1", "2026-01-02", "email"),
        ("1", "2026-01-06", "direct"),
        ("1", "2026-01-07", "email"),
    ]
    j = at.journeys(mini_crm(touches), conversion="won", lookback_days=None, collapse_repeats=True)
    conv = j.table[j.table["conversions"] == 1].iloc[0]
    assert conv["path"] == "email > direct > email"
    assert j.milestones["lead"][0] == 0  # the lead touch (2026-01-02) maps to its run's head


def test_campaign_level_and_channel_groups():
    crm = mini_crm(B2B)
    crm.touchpoints["campaign"] = pd.array(
        ["seo", None, "brand", None, "fair", "news", None, None], dtype="string"
    )
    j = at.journeys(crm, conversion="won", lookback_days=None, level="campaign")
    assert set(j.channels) == {"seo", "brand", "fair", "news", "email", "direct", "paid_social"}
    assert at.attribute(j, "first_touch").columns[0] == "campaign"
    grouped = at.journeys(
        crm,
        conversion="won",
        lookback_days=None,
        channel_groups={"paid": ["paid_search", "paid_social"], "organic": ["organic_search"]},
    )
    assert set(grouped.channels) == {"paid", "organic", "email", "direct", "offline"}
    assert shares(at.attribute(grouped, "first_touch")) == {"organic": 1.0}


def test_last_non_direct_skips_a_group_of_direct_only_and_warns_of_direct_among_others():
    # HB: {owned: [direct, organic_search]} made last non-direct last touch, unsaid
    crm = mini_crm(B2B)
    web = at.journeys(crm, "won", lookback_days=None, channel_groups={"web": ["direct"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a group of direct channels only: no warning
        assert shares(at.attribute(web, "last_non_direct")) == {"email": 1.0}
    owned = {"owned": ["direct", "organic_search"]}
    mixed = at.journeys(crm, "won", lookback_days=None, channel_groups=owned)
    with pytest.warns(UserWarning) as caught:
        credit = at.compare(mixed, ["last_touch", "last_non_direct"])
    assert [str(w.message) for w in caught] == [
        "channel_groups puts direct in the group 'owned' with organic_search: last_non_direct "
        "cannot skip those direct touches without skipping the others', so it skips none and "
        "credits as last touch does (give a direct channel a group of its own, or none, for it "
        "to skip its touches)"
    ]
    by_model = credit.pivot(index="channel", columns="model", values="conversions")
    assert (by_model["last_non_direct"] == by_model["last_touch"]).all()
    assert by_model.loc["owned", "last_touch"] == 1.0
    # RV4: a group named as a channel holds that channel's touches too: {direct:
    # organic_search} skipped every organic_search touch, unsaid
    into = at.journeys(crm, "won", lookback_days=None, channel_groups={"direct": "organic_search"})
    with pytest.warns(UserWarning, match="'organic_search' with organic_search"):
        credit = at.compare(into, ["last_touch", "last_non_direct"])
    by_model = credit.pivot(index="channel", columns="model", values="conversions")
    assert (by_model["last_non_direct"] == by_model["last_touch"]).all()


def test_account_level_journeys_combine_the_contacts_of_an_account():
    contacts = [
        {"contact_id": "1", "account_id": "A", "created_at": utc("2026-01-05")},
        {"contact_id": "3", "account_id": "A", "created_at": utc("2026-01-01")},
    ]
    touches = [("3", "2026-01-02", "offline"), ("1", "2026-01-06", "email")]
    contact_level = at.journeys(mini_crm(touches, contacts), lookback_days=None)
    account_level = at.journeys(mini_crm(touches, contacts), lookback_days=None, account_level=True)
    assert shares(at.attribute(contact_level, "first_touch")) == {"email": 1.0}
    assert shares(at.attribute(account_level, "first_touch")) == {"offline": 1.0}


def test_contact_stage_conversion_has_no_value_and_stops_at_the_stage_date():
    contacts = [
        {
            "contact_id": "1",
            "account_id": "A",
            "created_at": utc("2026-01-05"),
            "became_mql_at": utc("2026-01-12"),
        }
    ]
    touches = [
        ("1", "2026-01-04", "email"),
        ("1", "2026-01-10", "direct"),
        ("1", "2026-01-20", "offline"),
    ]
    j = at.journeys(mini_crm(touches, contacts, deals=[]), conversion="mql", lookback_days=None)
    assert j.table["path"].tolist() == ["email > direct"]
    assert j.total_value == 0.0
    with pytest.raises(ValueError, match="unknown conversion"):
        at.journeys(mini_crm(touches, contacts), conversion="signup")


def won_deal(deal_id: str, contact_id: str | None, amount: float, closed_at: str) -> dict:
    """A won deal of `amount` closed at `closed_at`, created ten days before (no account)."""
    return {
        "deal_id": deal_id,
        "contact_id": contact_id,
        "created_at": utc(closed_at) - pd.Timedelta(days=10),
        "closed_at": utc(closed_at),
        "is_closed": True,
        "is_won": True,
        "amount": amount,
    }


@pytest.mark.parametrize("account_level", [False, True])
def test_a_won_deal_without_contact_is_unattributed_not_dropped(account_level):
    deals = [won_deal("D1", "1", 100.0, "2026-01-26"), won_deal("D2", None, 900.0, "2026-01-26")]
    j = at.journeys(mini_crm(B2B, deals=deals), lookback_days=None, account_level=account_level)
    assert (j.total_conversions, j.total_value) == (1.0, 100.0)
    assert j.unattributed == {"conversions": 1.0, "value": 900.0}


def test_windows_compare_exact_times_not_whole_seconds():
    won = "2026-04-01T10:00:00"
    touches = [
        ("1", "2026-01-01T09:59:59.600", "paid_search"),  # 90 days and 0.4 s before: out
        ("1", "2026-01-01T10:00:00", "organic_search"),  # exactly 90 days before: in
        ("1", "2026-03-22T10:00:00.400", "email"),  # 0.4 s after the deal was created
        ("1", won, "direct"),  # at the conversion: in
        ("1", "2026-04-01T10:00:00.400", "offline"),  # 0.4 s after the conversion: out
        ("2", "2026-03-01", "paid_social"),
        ("2", "2026-04-01T10:00:00.550", "email"),  # 0.05 s after the end: out
    ]
    crm = mini_crm(touches, deals=[won_deal("D1", "1", 100.0, won)])
    j = at.journeys(crm, lookback_days=90, end=utc("2026-04-01T10:00:00.500"))
    assert j.table["path"].tolist() == ["organic_search > email > direct", "paid_social"]
    assert shares(at.attribute(j, "last_touch")) == {"direct": 1.0}
    assert j.milestones["opportunity"][0] == 0  # the last touch at or before deal creation


# -------------------------------------------------------------------- Markov and Shapley
TWO = pd.DataFrame(
    {
        "path": ["a > b", "a", "b"],
        "total_conversions": [1, 0, 1],
        "total_null": [0, 1, 0],
        "total_conversion_value": [10.0, 0.0, 30.0],
    }
)


def test_markov_two_channel_removal_effects_by_hand():
    # start -> a 2/3, b 1/3; a -> b 1/2, null 1/2; b -> conversion 1
    # P(conv) = 2/3 * 1/2 + 1/3 = 2/3; without a: 1/3 (RE 1/2); without b: 0 (RE 1)
    j = at.from_paths(TWO)
    model = at.MarkovAttribution(order=1).fit(j)
    assert model.conversion_probability_ == pytest.approx(2 / 3)
    assert model.removal_effects_.to_dict() == pytest.approx({"a": 0.5, "b": 1.0})
    got = at.attribute(j, "markov")
    assert shares(got) == pytest.approx({"a": 2 / 3, "b": 4 / 3})
    # value: expected value 2/3 * 1/2 * 10... reward at b = 40/2 per visit; without a: 1/3*20
    assert model.value_removal_effects_["a"] == pytest.approx(0.5)
    assert got["value"].sum() == pytest.approx(40.0)


def test_markov_is_deterministic_for_every_order():
    j = at.from_paths(TWO)
    for order in (1, 2, 3, 4):
        first = at.attribute(j, "markov", order=order)
        again = at.attribute(j, "markov", order=order)
        pd.testing.assert_frame_equal(first, again)
        assert first["conversions"].sum() == pytest.approx(2.0)
    with pytest.raises(ValueError, match="order"):
        at.attribute(j, "markov", order=5)


def test_markov_order_two_remembers_the_previous_channel():
    # after "a > b" the walk always converts, after "c > b" never: order 1 cannot tell them apart
    paths = pd.DataFrame(
        {"path": ["a > b", "c > b"], "total_conversions": [5, 0], "total_null": [0, 5]}
    )
    j = at.from_paths(paths, value_col=None)
    order2 = at.MarkovAttribution(order=2).fit(j)
    assert order2.conversion_probability_ == pytest.approx(0.5)
    assert order2.removal_effects_["c"] == pytest.approx(0.0)
    order1 = at.MarkovAttribution(order=1).fit(j)
    assert order1.removal_effects_["c"] > 0.4  # memoryless: c leads to b, which sometimes converts


def test_classic_shapley_two_channel_by_hand():
    # v({a}) = 0, v({b}) = 1, v({a, b}) = 2: phi_a = (0 + 1) / 2, phi_b = (1 + 2) / 2
    got = at.attribute(at.from_paths(TWO), "shapley", value="conversions")
    assert shares(got) == pytest.approx({"a": 0.5, "b": 1.5})
    assert got["value"].sum() == pytest.approx(40.0)


def test_exact_shapley_equals_the_average_over_all_join_orders():
    rng = np.random.default_rng(3)
    v = rng.normal(size=2**4)
    v[0] = 0.0
    brute = np.zeros(4)
    for perm in itertools.permutations(range(4)):
        mask = 0
        for player in perm:
            brute[player] += v[mask | (1 << player)] - v[mask]
            mask |= 1 << player
    assert shapley_values(v) == pytest.approx(brute / math.factorial(4))


def test_subset_sums_add_every_subcoalition():
    f = np.array([1.0, 2.0, 4.0, 8.0])  # {}, {0}, {1}, {0, 1}
    assert subset_sums(f).tolist() == [1.0, 3.0, 5.0, 15.0]


def test_incremental_game_two_channel_by_hand():
    b, ca, cb = -2.0, 0.8, 0.3
    phi = _journey_game_shapley(np.array([0b11]), b, np.array([ca, cb]))[0]
    v0, va, vb, vab = expit(b), expit(b + ca), expit(b + cb), expit(b + ca + cb)
    assert phi[0] == pytest.approx(((va - v0) + (vab - vb)) / 2)
    assert phi[1] == pytest.approx(((vb - v0) + (vab - va)) / 2)
    assert phi.sum() == pytest.approx(vab - v0)


def test_incremental_shapley_credits_the_channel_that_lifts_conversion():
    # b converts half of its journeys, a only when with b, c never lifts anything
    paths = pd.DataFrame(
        {
            "path": ["a", "b", "a > b", "c", "c > b"],
            "total_conversions": [1, 50, 52, 1, 49],
            "total_null": [99, 50, 48, 99, 51],
        }
    )
    model = at.ShapleyAttribution().fit(at.from_paths(paths, value_col=None))
    assert model.coef_["b"] > 2.0
    credit = model.credit_.set_index("channel")["conversions"]
    assert credit["b"] > 0.9 * credit.sum()
    assert credit.sum() == pytest.approx(153.0)


def test_shapley_refuses_more_channels_than_it_can_enumerate():
    paths = pd.DataFrame(
        {
            "path": [" > ".join(f"c{i}" for i in range(21))],
            "total_conversions": [1],
            "total_null": [1],
        }
    )
    with pytest.raises(ValueError, match="channel_groups"):
        at.attribute(at.from_paths(paths, value_col=None), "shapley")
    # Markov has no such limit
    markov = at.attribute(at.from_paths(paths, value_col=None), "markov")
    assert markov["conversions"].sum() == pytest.approx(1.0)


# ---------------------------------------------------------------------------- path tables
def test_path_table_round_trip_and_position_models_use_the_last_touch():
    j = at.from_paths(TWO)
    assert j.channels == ("a", "b")
    assert j.to_paths()["total_conversions"].sum() == 2
    # no stage dates: U-shaped is the 40/20/40 position-based model
    three = pd.DataFrame({"path": ["a > c > b"], "total_conversions": [1]})
    got = at.attribute(at.from_paths(three, value_col=None, nulls_col=None), "u_shaped")
    assert shares(got) == pytest.approx({"a": 0.4, "b": 0.4, "c": 0.2})
    with pytest.raises(ValueError, match="time_decay needs"):
        at.attribute(j, "time_decay")


def test_path_analysis_counts_paths_lengths_and_positions(b2b):
    top = at.top_paths(at.from_paths(TWO))
    assert top["path"].tolist() == ["b", "a > b"]  # one conversion each: the higher value first
    lengths = at.path_lengths(at.from_paths(TWO), max_length=3)
    assert lengths["journeys"].tolist() == [2.0, 1.0, 0.0]
    pos = at.touch_positions(at.from_paths(TWO)).set_index("channel")
    assert pos.loc["a", "share_of_first"] == pytest.approx(0.5)
    assert pos.loc["b", "share_of_last"] == pytest.approx(1.0)
    days = at.time_to_conversion(b2b)["days"]
    assert days.tolist() == [25.0]


def test_top_paths_count_repeats_as_one_step_rank_ties_meaningfully_and_keep_every_path():
    # every path converted once: the table was all ties, broken alphabetically, cut at 50 rows
    table = pd.DataFrame(
        {
            "path": ["a > a > b", "a > b > b", "c", "b", "d > d", "a > c"],
            "total_conversions": [1, 1, 1, 1, 0, 1],
            "total_null": [0, 3, 5, 5, 9, 0],
            "total_conversion_value": [5.0, 1.0, 2.0, 9.0, 0.0, 4.0],
        }
    )
    j = at.from_paths(table)
    assert at.path_pattern("a > a > b > a > a") == "a > b > a"
    top = at.top_paths(j, n=None)
    assert top["path"].tolist() == ["a > b", "b", "c", "a > c"]  # conversions, journeys, value
    assert top.loc[0, ["journeys", "conversions", "value"]].tolist() == [5.0, 2.0, 6.0]
    assert top["conversions"].sum() == j.total_conversions  # every converting path kept
    assert at.top_paths(j, n=2)["path"].tolist() == ["a > b", "b"]
    raw = at.top_paths(j, n=None, collapse=False)["path"].tolist()
    assert raw == ["b", "c", "a > b > b", "a > a > b", "a > c"]  # ties: journeys, then value
    note = at.paths_note(top, shown=2)
    assert note == (
        "The 5 attributed conversions took 4 distinct paths (a channel's consecutive touches "
        "counted as one step); 1 path converted more than once (at most 2 times); paths with as "
        "many conversions are ranked by how many journeys took them (converting or not), then "
        "by value. The table shows the first 2; `attribution_paths.csv` holds all 4."
    )
    once = at.paths_note(at.top_paths(at.from_paths(TWO), n=None), shown=10)
    assert "; no path converted more than once, so the ranking is not by conversions; " in once
    assert once.endswith("The table shows all of them; `attribution_paths.csv` holds all 2.")


def test_bootstrap_interval_brackets_the_point_estimate():
    rng = np.random.default_rng(0)
    paths = pd.DataFrame(
        {
            "path": ["a", "b", "a > b", "b > a"],
            "total_conversions": rng.integers(20, 40, 4),
            "total_null": rng.integers(50, 90, 4),
        }
    )
    j = at.from_paths(paths, value_col=None)
    ci = at.bootstrap(j, "markov", n_boot=50, random_state=1)
    assert (ci["share_low"] <= ci["share"] + 1e-12).all()
    assert (ci["share"] <= ci["share_high"] + 1e-12).all()
    assert (ci["share_high"] > ci["share_low"]).all()
    again = at.bootstrap(j, "markov", n_boot=50, random_state=1)
    pd.testing.assert_frame_equal(ci, again)


def test_return_on_spend_gives_cpa_and_roas():
    credit = pd.DataFrame(
        {
            "model": ["m", "m", "m"],
            "channel": ["a", "b", "c"],
            "conversions": [2.0, 0.0, 1.0],
            "value": [300.0, 0.0, 50.0],
        }
    )
    spend = pd.DataFrame({"channel": ["a", "b"], "spend": [100.0, 40.0]})
    got = at.return_on_spend(credit, spend).set_index("channel")
    assert got.loc["a", "cpa"] == 50.0
    assert got.loc["a", "roas"] == 3.0
    assert np.isnan(got.loc["b", "cpa"]) and got.loc["b", "roas"] == 0.0
    assert np.isnan(got.loc["c", "roas"])  # no spend: free channel


def test_spend_on_a_channel_no_journey_touched_shows_as_spend_without_return():
    """Spend on a channel with no touch on any journey fell out of the table, and the
    attribution page then said there was no ad spend at all."""
    credit = pd.DataFrame(
        {"model": ["m", "n"], "channel": ["email", "email"], "conversions": [1.0, 1.0],
         "value": [100.0, 100.0]}
    )  # fmt: skip
    spend = pd.DataFrame({"channel": ["paid_search", "events"], "spend": [5000.0, 0.0]})
    got = at.return_on_spend(credit, spend)
    paid = got[got["channel"] == "paid_search"].set_index("model")
    assert list(paid.index) == ["m", "n"]
    assert (paid["roas"] == 0.0).all() and paid["cpa"].isna().all()
    assert (paid["spend"] == 5000.0).all() and (paid["conversions"] == 0).all()
    assert "events" not in set(got["channel"])  # no spend there: nothing to show


def test_spend_by_channel_sums_the_months_of_the_period():
    spend = pd.DataFrame(
        {
            "month": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]),
            "channel": ["a", "a", "b"],
            "amount": [1.0, 2.0, 4.0],
        }
    )
    got = at.spend_by_channel(spend, start=utc("2026-02-01"), end=utc("2026-04-01"))
    assert dict(zip(got["channel"], got["spend"], strict=True)) == {"a": 2.0, "b": 4.0}


def test_fx_converts_deal_amounts_and_mixed_currencies_warn():
    deals = [
        {
            "deal_id": "D1",
            "account_id": "A",
            "contact_id": "1",
            "created_at": utc("2026-01-16"),
            "closed_at": utc("2026-01-26"),
            "is_won": True,
            "amount": 100.0,
            "currency": "EUR",
        },
        {
            "deal_id": "D2",
            "account_id": "B",
            "contact_id": "2",
            "created_at": utc("2026-01-16"),
            "closed_at": utc("2026-01-27"),
            "is_won": True,
            "amount": 100.0,
            "currency": "USD",
        },
    ]
    crm = mini_crm(B2B, deals=deals)
    with pytest.warns(UserWarning, match="deal amounts are in EUR, USD and no fx rates"):
        at.journeys(crm, lookback_days=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        j = at.journeys(crm, lookback_days=None, fx={"EUR": 1.0, "USD": 0.5})
    assert j.total_value == pytest.approx(150.0)
    # the rule and the message of sla.deal_values: a missing rate is refused by name
    with pytest.raises(ValueError, match=r"no exchange rate for USD: add it to fx_rates"):
        at.journeys(crm, lookback_days=None, fx={"EUR": 1.0})
    # a deal without a currency is in the reporting currency; one without an amount is worth 0
    deals[1] = {**deals[1], "currency": None}
    deals.append({**deals[0], "deal_id": "D3", "amount": None})
    j = at.journeys(mini_crm(B2B, deals=deals), lookback_days=None, fx={"EUR": 1.0})
    assert j.total_value == pytest.approx(200.0)
    assert j.total_conversions == pytest.approx(3.0)


def test_require_conversions_names_the_period_when_nothing_can_be_credited(b2b):
    from dataclasses import replace

    from smk.errors import NoDataError

    assert b2b.require_conversions("2026") is b2b
    zeros = np.zeros(len(b2b))
    empty = b2b.reweighted(zeros, b2b.nulls, zeros)
    with pytest.raises(
        NoDataError, match=r"no won conversions to attribute in 2026-01 to 2026-02:"
    ):
        empty.require_conversions("2026-01 to 2026-02")
    untouched = replace(empty, unattributed={"conversions": 3.0, "value": 0.0})
    with pytest.raises(NoDataError, match=r"\(3 had no touch in their lookback window\)"):
        untouched.require_conversions()


def test_no_conversions_message_suggests_a_longer_window_only_when_earlier_data_holds_some():
    from smk.errors import NoDataError

    crm = mini_crm(B2B)  # data from 2026-01-01; the one won deal closes on 2026-01-26

    def message(start: str, end: str, **kw) -> str:
        j = at.journeys(crm, start=utc(start), end=utc(end), **kw)
        with pytest.raises(NoDataError) as err:
            j.require_conversions(f"{start} to {end}")
        return str(err.value)

    # a report month at the export's start: the window reaches back before the data
    text = message("2025-02-01", "2026-01-20")
    assert text == (
        "no won conversions to attribute in 2025-02-01 to 2026-01-20: the export's data begins "
        "on 2026-01-01, so a longer window cannot add any; choose a later month (the next won "
        "conversion is on 2026-01-26) or another conversion"
    )
    # data before the window, but no conversion in it: still no longer window
    text = message("2026-01-10", "2026-01-20")
    assert "the export has no won conversion before 2026-01-10, so a longer window cannot" in text
    assert "longer window (" not in text and "a later month (the next won" in text
    # a conversion before the window: a longer window can add it; nothing comes later
    text = message("2026-02-01", "2026-03-01")
    assert "choose a longer window (1 won conversion falls before 2026-02-01) or another" in text
    assert "the export holds no won conversion after the period; choose" in text
    # untouched conversions: a longer lookback may credit them
    text = message("2026-01-26", "2026-02-01", lookback_days=0.001)
    assert "(1 had no touch in their lookback window)" in text
    assert "choose a longer lookback or another conversion" in text


def test_spend_in_several_currencies_is_converted_or_warned_about():

    from smk.model import make_table

    spend = make_table(
        "spend",
        [
            {"month": "2026-10-01", "channel": "paid_search", "amount": 100.0, "currency": c}
            for c in ("EUR", "USD")
        ],
    )
    converted = at.spend_by_channel(spend, fx={"EUR": 1.0, "USD": 0.5})
    assert converted["spend"].tolist() == [150.0]
    with pytest.warns(
        UserWarning, match="spend amounts are in EUR, USD and no fx rates were given"
    ):
        assert at.spend_by_channel(spend)["spend"].tolist() == [200.0]
    with pytest.raises(ValueError, match="no exchange rate for USD"):
        at.spend_by_channel(spend, fx={"EUR": 1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one currency: nothing to say
        assert at.spend_by_channel(spend[spend["currency"] == "EUR"])["spend"].tolist() == [100.0]


def test_a_path_table_without_the_null_or_value_column_counts_them_as_zero():
    paths = pd.DataFrame({"path": ["email > direct", "email"], "total_conversions": [2, 1]})
    j = at.from_paths(paths)
    assert j.total_conversions == 3 and j.nulls.sum() == 0 and j.total_value == 0
    with pytest.raises(ValueError, match="no column 'conv'"):
        at.from_paths(paths, conversions_col="conv")
    with pytest.raises(ValueError, match="no column 'nulls'"):  # a name of one's own: a typo
        at.from_paths(paths, nulls_col="nulls")


def test_a_won_deal_without_close_date_is_no_null_journey_and_is_named():
    deals = [
        {"deal_id": "D1", "account_id": "A", "contact_id": "1", "created_at": utc("2026-01-16"),
         "closed_at": utc("2026-01-26"), "is_won": True, "amount": 100.0, "currency": "EUR"},
        {"deal_id": "D2", "account_id": "B", "contact_id": "2", "created_at": utc("2026-01-16"),
         "closed_at": pd.NaT, "is_won": True, "amount": 900.0, "currency": "EUR"},
    ]  # fmt: skip
    crm = mini_crm(B2B, deals=deals)
    with pytest.warns(UserWarning, match=r"1 won deal has no closed_at: it cannot be placed"):
        j = at.journeys(crm, lookback_days=None)
    assert j.total_conversions == 1 and j.nulls.sum() == 0  # contact 2 converted, when unknown
    assert j.coverage_detail(None).startswith("of 1 won conversion; none unattributed")
    assert j.unattributed_detail(None).startswith("none of the 1 won conversion unattributed")
    assert "2" not in set(j.table["journey_id"])


def test_the_truth_verdict_names_the_closest_model_and_the_headline_rank():
    distance = pd.DataFrame(
        {
            "model": ["linear", "markov", "shapley"],
            "total_variation_distance": [0.261, 0.305, 0.398],
            "spearman": [0.5, 0.33, 0.68],
        }
    )
    text = at.truth_verdict(distance, "shapley")
    assert text.startswith("Closest to the truth on this data: Linear (distance 0.261).")
    assert "Shapley, ranks 3 of 3 (distance 0.398, Spearman 0.68)" in text
    assert "ranks" not in at.truth_verdict(distance, "linear")


def test_a_model_that_cannot_be_fitted_is_left_out_of_the_comparison_with_a_warning():
    # touched by both channels, nobody converts: neither raises the chance to convert
    paths = pd.DataFrame(
        {"path": ["a", "b", "a > b"], "total_conversions": [1, 1, 0], "total_null": [10] * 3}
    )
    j = at.from_paths(paths, value_col=None)
    with pytest.raises(at.NotEstimableError):
        at.attribute(j, "shapley")
    with pytest.warns(UserWarning, match="shapley left out of the comparison: no channel"):
        comparison = at.compare(j, ["linear", "shapley"])
    assert set(comparison["model"]) == {"linear"}


def test_bootstrap_leaves_out_resamples_the_model_cannot_be_fitted_on(monkeypatch):
    import smk.attribution.uncertainty as unc

    paths = pd.DataFrame({"path": ["a", "b", "a > b"], "total_conversions": [20, 30, 40]})
    j = at.from_paths(paths, value_col=None)
    fitted = unc.attribute
    calls = iter(range(1000))

    def flaky(journeys, model, **params):  # the 2nd and 4th resample cannot be fitted
        if next(calls) in (2, 4):
            raise at.NotEstimableError("no channel has a positive estimated effect")
        return fitted(journeys, model, **params)

    monkeypatch.setattr(unc, "attribute", flaky)
    with pytest.warns(UserWarning, match="2 of 10 bootstrap resamples could not be fitted"):
        ci = at.bootstrap(j, "linear", n_boot=10, random_state=1)
    assert ci[["share_low", "share_high"]].notna().all().all()

    def never(journeys, model, **params):  # the data as given fits, no resample does
        if journeys is not j:
            raise at.NotEstimableError("no channel has a positive estimated effect")
        return fitted(journeys, model, **params)

    monkeypatch.setattr(unc, "attribute", never)
    with pytest.raises(at.NotEstimableError, match="none of the 5 resamples"):
        at.bootstrap(j, "linear", n_boot=5, random_state=1)


@pytest.mark.parametrize("conversion", ["mql", "sql", "customer"])
def test_contacts_that_never_reached_the_stage_are_non_converting_journeys(conversion):
    import smk
    from smk import config

    crm = smk.load(config.SAMPLE_HUBSPOT)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "undated conversions" for a stage never reached
        j = at.journeys(crm, conversion=conversion, lookback_days=90)
    assert j.nulls.sum() > 1000 and j.total_conversions > 0


def test_stage_conversions_are_the_funnels_entries_also_from_a_column_cache(tmp_path):
    import smk
    from smk import config, funnel
    from smk.model import CRM

    crm = smk.load(config.SAMPLE_HUBSPOT)
    crm.to_parquet(tmp_path / "cache")
    cached = CRM.from_parquet(tmp_path / "cache", columns=at.journey_columns("mql"))
    october = funnel.funnel_counts(crm.contacts, "2026-10").set_index("stage")
    for conversion in ("mql", "sql", "customer"):
        for source in (crm, cached):
            j = at.journeys(source, conversion, start="2026-10-01", end="2026-11-01",
                            lookback_days=None)  # fmt: skip
            converted = j.total_conversions + j.unattributed["conversions"]
            assert converted == october.loc[conversion, "contacts"], conversion


def test_the_data_driven_views_leave_out_shapley_when_it_cannot_be_fitted():
    paths = pd.DataFrame(
        {"path": ["a", "b", "a > b"], "total_conversions": [1, 1, 0], "total_null": [10] * 3}
    )
    j = at.from_paths(paths, value_col=None)
    with pytest.warns(UserWarning, match="Shapley's effects left out: no channel"):
        effects = at.data_driven_effects(j)
    assert list(effects.columns) == ["removal_effect"] and len(effects) == 2
    with pytest.warns(UserWarning, match="no shapley intervals"):
        boots = at.data_driven_intervals(j, n_boot=5, random_state=0)
    assert list(boots) == ["markov"] and len(boots["markov"]) == 2
    fine = at.from_paths(pd.DataFrame({"path": ["a", "b", "a > b"], "total_conversions": [9, 1, 5],
                                       "total_null": [10, 30, 10]}), value_col=None)  # fmt: skip
    assert list(at.data_driven_intervals(fine, n_boot=5, random_state=0)) == ["shapley", "markov"]
    assert list(at.data_driven_effects(fine).columns) == [
        "removal_effect", "logit_effect_of_exposure", "incremental_conversions"
    ]  # fmt: skip


def test_journeys_refuse_what_would_silently_give_no_journeys():
    # an empty contacts table was an IndexError deep inside; touch_types="form" kept the
    # touches of types "f", "o", "r", "m" (none), a misspelt type or an end before the start
    # gave 0 journeys without a word
    import dataclasses

    import smk
    from smk import config
    from smk.errors import NoDataError
    from smk.model import empty_table

    crm = smk.load(config.SAMPLE_HUBSPOT)
    fx = {"EUR": 1.0, "USD": 0.92}
    empty = dataclasses.replace(crm, contacts=empty_table("contacts"))
    with pytest.raises(NoDataError, match="needs the contacts"):
        at.journeys(empty, "won", fx=fx)
    one = at.journeys(crm, "won", fx=fx, touch_types="form")
    assert len(one) == len(at.journeys(crm, "won", fx=fx, touch_types=["form"])) > 0
    with pytest.raises(ValueError, match="unknown touch type.*'bogus'"):
        at.journeys(crm, "won", fx=fx, touch_types=["bogus"])
    with pytest.raises(ValueError, match="must come before its end"):
        at.journeys(crm, "won", fx=fx, start="2026-10-01", end="2026-09-01")
    with pytest.raises(ValueError, match=r"before its end \(2026-10-31 .*, the data's end\)"):
        at.journeys(crm, "won", fx=fx, start="2026-12-01")


def test_shapley_value_credit_sums_to_the_value_when_only_an_ineffective_channel_earned_it():
    # found by Hypothesis: the only valued conversion came on an e-mail-only journey, e-mail
    # showed no positive effect, and the value credit summed to 0 instead of 10
    from smk.attribution.journeys import from_paths

    table = pd.DataFrame(
        {
            "path": ["email", "direct", "email > direct"],
            "total_conversions": [1, 5, 4],
            "total_null": [9, 5, 6],
            "total_conversion_value": [10.0, 0.0, 0.0],
        }
    )
    got = at.attribute(from_paths(table), "shapley")
    assert got["value"].sum() == pytest.approx(10.0)
    assert got["conversions"].sum() == pytest.approx(10.0)


def test_channels_that_always_come_together_leave_the_baseline_told():
    """A rank test refused them ('5 channel combinations for 4 channels'): the baseline is
    still determined, and the pair's effect is split evenly."""
    from smk.attribution.journeys import from_paths

    table = pd.DataFrame(
        {
            "path": ["webinar > webinar_email", "paid_search", "webinar > webinar_email > "
                     "paid_search", "organic_search", "paid_search > organic_search"],
            "total_conversions": [5, 3, 4, 2, 3],
            "total_null": [20, 30, 10, 40, 10],
        }
    )  # fmt: skip
    got = at.attribute(from_paths(table), "shapley").set_index("channel")["conversions"]
    assert got.sum() == pytest.approx(17.0)
    assert got["webinar"] == pytest.approx(got["webinar_email"]) and got["webinar"] > 0


@pytest.mark.parametrize(
    "paths",
    [
        ["email", "paid_search", "direct"],  # one channel each, no journey without one
        ["email", "email > direct"],  # every journey touched e-mail
    ],
)
def test_incremental_shapley_refuses_journeys_that_cannot_tell_the_baseline(paths):
    """Journeys of one channel each left the chance to convert without marketing free: the
    penalty set it near the mean rate and e-mail, above the mean, took all 10 conversions, 5
    of them from journeys that never touched it."""
    from smk.attribution.journeys import from_paths

    n = len(paths)
    table = pd.DataFrame(
        {
            "path": paths,
            "total_conversions": [5, 3, 2][:n],
            "total_null": [50] * n,
            "total_conversion_value": [500, 300, 200][:n],
        }
    )
    with pytest.raises(
        at.NotEstimableError, match="cannot tell the chance to convert without any channel"
    ):
        at.attribute(from_paths(table), "shapley")
    assert at.attribute(from_paths(table), "markov")["conversions"].sum() == pytest.approx(
        sum([5, 3, 2][:n])
    )


PATHS_SMALL = pd.DataFrame(
    {"path": ["a > b", "b", "a"], "total_conversions": [3, 2, 1], "total_null": [2, 5, 6]}
)


def test_numeric_settings_refuse_bools_text_and_nan_with_their_name(b2b):
    # half_life_days=True was a one-day half-life, NaN credited NaN; n_boot=2.5 and "5" failed
    # deep in numpy; lookback_days="90" and NaN failed deep in the window arithmetic
    paths = at.from_paths(PATHS_SMALL, value_col=None)
    for bad, error in ((True, TypeError), ("7", TypeError), (float("nan"), ValueError),
                       (0, ValueError), (-7, ValueError)):  # fmt: skip
        with pytest.raises(
            error, match=rf"^half_life_days must be a finite number > 0, got {bad!r}"
        ):
            at.attribute(b2b, "time_decay", half_life_days=bad)
    for bad, error in ((True, TypeError), ("5", TypeError), (2.5, ValueError),
                       (float("nan"), ValueError), (1, ValueError)):  # fmt: skip
        with pytest.raises(error, match=rf"^n_boot must be an integer >= 2, got {bad!r}"):
            at.bootstrap(paths, "linear", n_boot=bad)
    for bad, error in ((True, TypeError), ("0.9", TypeError), (float("nan"), ValueError),
                       (0, ValueError), (1, ValueError), (90, ValueError)):  # fmt: skip
        with pytest.raises(error, match=r"^level must be a number strictly between 0 and 1 \(e\.g"):
            at.bootstrap(paths, "linear", n_boot=5, level=bad)
    crm = mini_crm(B2B)
    for bad, error in ((True, TypeError), ("90", TypeError), (float("nan"), ValueError),
                       (0, ValueError), (-1, ValueError)):  # fmt: skip
        with pytest.raises(
            error, match=r"^lookback_days must be a number > 0 and at most 36500 \(days, .*None"
        ):
            at.journeys(crm, lookback_days=bad)
    # what was fine still is
    assert at.bootstrap(paths, "linear", n_boot=np.int64(5), level=np.float64(0.8)).shape[0] == 2
    assert at.attribute(b2b, "time_decay", half_life_days=np.float64(3.5))["share"].sum() == (
        pytest.approx(1.0)
    )
    assert len(at.journeys(crm, lookback_days=0.5)) >= 1


def test_window_start_counts_whole_months_back_and_names_a_bad_window_months():
    end = utc("2026-11-01")
    assert at.window_start(end, 12) == utc("2025-11-01")
    assert at.window_start(end, np.int64(1)) == utc("2026-10-01")
    assert at.window_start(utc("2026-03-01"), 1) == utc("2026-02-01")
    # a whole float, as papermill -p or a notebook edit may give it, was taken by pandas before
    assert at.window_start(end, 12.0) == at.window_start(end, np.float64(12.0)) == utc("2025-11-01")
    # 0 and -3 were refused only by journeys ("the period's start ... must come before its
    # end"), 1.5 by pandas ("Non-integer years and months are ambiguous"), neither naming
    # window_months; True was one month
    for bad, error in ((0, ValueError), (-3, ValueError), (1.5, ValueError), (10**400, ValueError),
                       (float("nan"), ValueError), (True, TypeError), ("12", TypeError),
                       (None, TypeError)):  # fmt: skip
        with pytest.raises(
            error,
            match=r"^window_months must be an integer from 1 to 1200 \(calendar months\), got ",
        ):
            at.window_start(end, bad)


@pytest.mark.parametrize("seed", [True, 1.5, "7", -1])
def test_bootstrap_takes_a_seed_not_a_bool_text_or_fraction(seed):
    """`random_state=True` was seed 1 and 1.5 failed inside numpy's SeedSequence."""
    with pytest.raises((TypeError, ValueError), match="random_state"):
        at.bootstrap(at.from_paths(TWO), "linear", n_boot=2, random_state=seed)


def test_a_period_is_shown_by_its_last_day_included_not_its_exclusive_end(b2b):
    # journeys count start <= time < end: October 2026's window ends at 2026-11-01, exclusive
    from smk.errors import NoDataError
    from smk.periods import Month

    october = Month("2026-10")
    start = at.window_start(october.end, 12)
    assert at.period_label(start, october.end) == "2025-11-01 to 2026-10-31"
    assert str(at.last_day(october.end)) == "2026-10-31"
    assert str(at.last_day(utc("2026-01-20 12:00"))) == "2026-01-20"  # a part-day is included
    empty = b2b.reweighted(np.zeros(len(b2b)), b2b.nulls, np.zeros(len(b2b)))
    with pytest.raises(NoDataError, match=r"to attribute in 2024-12-01 to 2025-11-30:"):
        empty.require_conversions((utc("2024-12-01"), utc("2025-12-01")))


@pytest.mark.parametrize(
    ("models", "message"),
    [
        ([], r"unknown model\(s\) \(none given\)"),  # was pandas' 'No objects to concatenate'
        (["linear", "lineer"], r"unknown model\(s\) 'lineer'"),
        ("markov", "models must be a list of model names, got the text 'markov'"),
    ],
)
def test_compare_refuses_a_list_of_no_known_models_before_fitting_any(models, message):
    from smk.attribution.models import compare

    with pytest.raises(ValueError, match=message):
        compare(at.from_paths(TWO), models)
