"""Bootstrap intervals do not depend on the order of the export's rows.

`bootstrap` draws counts by position: the same journeys in another order (the same export
with its rows sorted otherwise) gave other intervals for the same seed, though every point
estimate was the same. The journeys are now drawn in a canonical order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_attribution_models import mini_crm, utc

from smk import attribution as at
from smk.attribution.uncertainty import canonical_order
from smk.model import CRM

CHANNELS = ["email", "paid_search", "organic_search", "direct", "offline"]
INTERVALS = ["share_low", "share_high", "conversions_low", "conversions_high"]


def _crm(n_contacts: int = 40, seed: int = 3) -> CRM:
    """Contacts touched 1-5 times in January-March 2026; every third one wins a deal in
    April (one of them on a calendar date), with touches on the same days for several."""
    rng = np.random.default_rng(seed)
    contacts, touches, deals = [], [], []
    for c in range(n_contacts):
        cid = f"c{c:02d}"
        contacts.append(
            {"contact_id": cid, "account_id": f"A{c % 7}", "created_at": utc("2026-01-01")}
        )
        for _ in range(int(rng.integers(1, 6))):
            day = pd.Timestamp("2026-01-01") + pd.Timedelta(days=int(rng.integers(0, 90)))
            touches.append((cid, str(day.date()), CHANNELS[int(rng.integers(len(CHANNELS)))]))
        if c % 3 == 0:
            deals.append(_deal(f"D{c:02d}", cid, 100.0 + c, f"2026-04-{1 + c % 20:02d}"))
    return mini_crm(touches, contacts, deals)


def _deal(deal_id: str, contact_id: str, amount: float, closed: str) -> dict:
    return {
        "deal_id": deal_id,
        "contact_id": contact_id,
        "created_at": utc("2026-03-01"),
        "closed_at": utc(closed),
        "is_closed": True,
        "is_won": True,
        "amount": amount,
        "currency": "EUR",
    }


def _shuffled(crm: CRM, seed: int) -> CRM:
    """The same CRM with the rows of its contacts, deals and touchpoints in another order."""
    rng = np.random.default_rng(seed)

    def mix(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)

    return CRM(contacts=mix(crm.contacts), deals=mix(crm.deals), touchpoints=mix(crm.touchpoints))


@pytest.mark.parametrize(("model", "params"), [("markov", {"order": 1}), ("linear", {})])
def test_the_same_export_in_another_row_order_gives_the_same_intervals(model, params):
    crm = _crm()
    j = at.journeys(crm, lookback_days=None)
    orders = [at.journeys(_shuffled(crm, seed), lookback_days=None) for seed in (1, 2)]
    assert not all(j.table["journey_id"].equals(o.table["journey_id"]) for o in orders)
    want = at.bootstrap(j, model, n_boot=40, random_state=5, **params)
    for other in orders:
        got = at.bootstrap(other, model, n_boot=40, random_state=5, **params)
        pd.testing.assert_frame_equal(got[INTERVALS], want[INTERVALS], check_exact=True)
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)
    # the seed still decides the draws: another seed, other intervals
    other_seed = at.bootstrap(j, model, n_boot=40, random_state=6, **params)
    assert not other_seed[INTERVALS].equals(want[INTERVALS])


def test_a_path_table_in_another_row_order_gives_the_same_intervals():
    paths = at.journeys(_crm(), lookback_days=None).to_paths()
    assert len(paths) > 10
    reversed_rows = paths.iloc[::-1].reset_index(drop=True)
    want = at.bootstrap(at.from_paths(paths), "markov", n_boot=40, random_state=0)
    got = at.bootstrap(at.from_paths(reversed_rows), "markov", n_boot=40, random_state=0)
    pd.testing.assert_frame_equal(got[INTERVALS], want[INTERVALS], check_exact=True)
    again = at.bootstrap(at.from_paths(paths), "markov", n_boot=40, random_state=1)
    assert not again[INTERVALS].equals(want[INTERVALS])


def test_the_canonical_order_sorts_by_path_then_counts_then_id():
    j = at.journeys(_crm(), lookback_days=None)
    sorted_j = canonical_order(j)
    keys = sorted_j.table[["path", "conversions", "nulls", "value", "journey_id"]]
    expected = keys.sort_values(list(keys.columns), kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(keys, expected)
    # the touches travel with their journeys
    row = int(np.flatnonzero(sorted_j.table["journey_id"] == j.table["journey_id"].iloc[0])[0])
    first = slice(j.offsets[0], j.offsets[1])
    moved = slice(sorted_j.offsets[row], sorted_j.offsets[row + 1])
    np.testing.assert_array_equal(sorted_j.codes[moved], j.codes[first])
    np.testing.assert_array_equal(sorted_j.days_before[moved], j.days_before[first])
    assert canonical_order(sorted_j) is sorted_j  # already in order: no copy


def test_the_random_state_hint_says_what_bootstrap_takes():
    """The hint said `int` while the docstring (and the code) take a numpy Generator too."""
    import typing

    from smk.attribution import uncertainty

    for f in (at.bootstrap, uncertainty.data_driven_intervals, uncertainty.headline_intervals):
        hint = typing.get_type_hints(f)["random_state"]
        assert set(typing.get_args(hint)) >= {int, np.random.Generator}, f.__name__
    j = at.journeys(_crm(), lookback_days=None)
    by_seed = at.bootstrap(j, "linear", n_boot=5, random_state=3)
    by_generator = at.bootstrap(j, "linear", n_boot=5, random_state=np.random.default_rng(3))
    pd.testing.assert_frame_equal(by_seed, by_generator)
