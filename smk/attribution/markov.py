"""Markov-chain attribution with removal effects, computed exactly.

The journeys define an absorbing Markov chain: a start state, one transient state per channel
(order 1) or per sequence of the last `order` channels (orders 2-4, padded at the start of a
journey), and two absorbing states, conversion and null. Transition probabilities are the
observed transition frequencies, every journey weighted by how often it occurred.

The probability of converting from the start state solves ``(I - Q) x = r``, where ``Q`` holds
the transient-to-transient probabilities and ``r`` the probabilities of moving to conversion
(``x = N r`` with the fundamental matrix ``N = (I - Q)^-1``). The *removal effect* of a channel
is the relative drop of that probability when every state that contains the channel sends the
walk to null instead: ``RE_c = 1 - x_-c / x``. Credit is shared in proportion to the removal
effects (Anderl et al., 2016, "Mapping the customer journey"), as in `ChannelAttribution`.

`ChannelAttribution` estimates ``x_-c`` by simulating random walks, so its shares move with the
seed and its tolerance (``conv_par``). Here each ``x_-c`` is one sparse linear solve
(`scipy.sparse.linalg.spsolve`) on the reduced chain: the result is exact and deterministic.
Value is attributed the same way with the expected conversion value instead of the conversion
probability (the reward of reaching conversion from a state is the mean value of the
conversions that followed it).

The chain is memoryless (within its order), so a channel that appears only on journeys that did
not convert can still get credit when it leads into states from which other journeys convert;
removal effects are properties of the chain, not of individual journeys.

Removal effects measure how much of the observed flow of journeys passes through a channel,
not what the channel caused: a channel that many journeys cross on their way to converting
gets a high removal effect whether or not it changed anything.
"""

from __future__ import annotations

from itertools import chain

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from smk.attribution.base import _AttributionEstimator
from smk.attribution.journeys import Journeys, journey_batches
from smk.checks import check_integer

MAX_ORDER = 4


#: Above this many state pairs, transitions are counted in a sparse matrix instead of a dense one.
DENSE_PAIRS = 1 << 22


def _state_ids(j: Journeys, order: int, first: int = 0, last: int | None = None) -> np.ndarray:
    """Integer id of the state of each touch of journeys ``first .. last - 1``: its channel and
    the `order - 1` before it (0 pads the start of a journey)."""
    base = len(j.channels) + 1
    if base**order >= 2**62:
        raise ValueError(f"order {order} with {len(j.channels)} channels is too many states")
    last = len(j) if last is None else last
    lo, hi = int(j.offsets[first]), int(j.offsets[last])
    codes = j.codes[lo:hi].astype(np.int64) + 1
    lengths = np.diff(j.offsets[first : last + 1])
    position = np.arange(hi - lo) - np.repeat(j.offsets[first:last] - lo, lengths)
    state = codes.copy()
    for lag in range(1, order):
        shifted = np.zeros_like(codes)
        shifted[lag:] = codes[:-lag]
        shifted[position < lag] = 0
        state += shifted * base**lag
    return state


def _compact(ids: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct ids and each id's position (int32) among them (O(n) when `bound` is
    small)."""
    if bound <= 1 << 22:
        present = np.zeros(bound, dtype=bool)
        present[ids] = True
        uniq = np.flatnonzero(present)
        remap = (np.cumsum(present) - 1).astype(np.int32)
        return uniq.astype(np.int64), remap[ids]
    uniq, inverse = np.unique(ids, return_inverse=True)
    return uniq, inverse.astype(np.int32 if len(uniq) < 2**31 else np.int64)


def _states(j: Journeys, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct state ids and the compact state index of every touch, computed a batch of
    journeys at a time (the per-touch arrays of a whole table would be many times larger)."""
    bound = (len(j.channels) + 1) ** order
    ids = np.empty(len(j.codes), dtype=np.int32 if bound < 2**31 else np.int64)
    for first, last in journey_batches(j.offsets):
        ids[j.offsets[first] : j.offsets[last]] = _state_ids(j, order, first, last)
    return _compact(ids, bound)


def _transition_counts(j: Journeys, sidx: np.ndarray, n_s: int) -> sp.csr_matrix:
    """Weighted transition counts over ``states + [start, conversion, null]``: start -> first
    state, state -> next state, last state -> conversion / null, every journey weighted by
    how often it occurred; the state-to-state pairs a batch of journeys at a time."""
    size = n_s + 3
    start, conv_s, null_s = n_s, n_s + 1, n_s + 2
    weight = j.conversions + j.nulls
    firsts = sidx[j.offsets[:-1]]
    lasts = sidx[j.offsets[1:] - 1]

    def journey_level():
        n = len(j)
        yield np.full(n, start), firsts, weight
        yield lasts, np.full(n, conv_s), j.conversions
        yield lasts, np.full(n, null_s), j.nulls

    def touch_level():
        for first, last in journey_batches(j.offsets):
            lo, hi = int(j.offsets[first]), int(j.offsets[last])
            states = sidx[lo:hi]
            inner = np.ones(hi - lo, dtype=bool)
            inner[j.offsets[first + 1 : last + 1] - 1 - lo] = False
            w = np.repeat(weight[first:last], np.diff(j.offsets[first : last + 1]))
            yield states[inner], states[1:][inner[:-1]], w[inner]

    if size * size <= DENSE_PAIRS:
        dense = np.zeros(size * size)
        for src, dst, w in chain(journey_level(), touch_level()):
            dense += np.bincount(
                src.astype(np.int64) * size + dst, weights=w, minlength=size * size
            )
        return sp.csr_matrix(dense.reshape(size, size))
    counts = sp.csr_matrix((size, size))
    for src, dst, w in (*journey_level(), *touch_level()):
        counts = counts + sp.csr_matrix((w, (src, dst)), shape=(size, size))
    return counts


class MarkovAttribution(_AttributionEstimator):
    """Removal-effect attribution on an absorbing Markov chain of order 1 to 4.

    A scikit-learn style estimator: `fit` takes journeys (`smk.attribution.journeys` or
    `smk.attribution.from_paths`); `get_params`, `set_params` and `sklearn.base.clone` work.
    `fit` learns the attributes below; reading one before it raises `NotFittedError`.

    Parameters
    ----------
    order : how many past channels a state remembers (1 = the current channel only).

    Attributes
    ----------
    states_ : list of tuples, the channels of each transient state (oldest first).
    transition_matrix_ : scipy.sparse CSR matrix over ``states_ + [start, conversion, null]``.
    conversion_probability_ : probability that a journey converts, from the start state.
    expected_value_ : expected conversion value of a journey, from the start state.
    removal_effects_ : pandas Series, channel -> removal effect on conversions.
    value_removal_effects_ : the same for conversion value.
    credit_ : the tidy credit table (channel, conversions, value).
    """

    _learned = (
        "states_",
        "transition_matrix_",
        "conversion_probability_",
        "expected_value_",
        "removal_effects_",
        "value_removal_effects_",
        "credit_",
    )

    def __init__(self, order: int = 1):
        self.order = order

    def fit(self, journeys: Journeys) -> MarkovAttribution:
        """Learn the chain and the removal effects of `journeys` (a `Journeys`)."""
        j = self._check_journeys(journeys)
        order = check_integer("order", self.order, 1, MAX_ORDER)  # True is no order 1
        channels = list(j.channels)
        n_ch = len(channels)
        uniq, sidx = _states(j, order)
        n_s = len(uniq)
        start, conv_s = n_s, n_s + 1
        size = n_s + 3
        counts = _transition_counts(j, sidx, n_s)
        out = np.asarray(counts.sum(axis=1)).ravel()
        inv = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
        P = sp.diags(inv) @ counts
        value_reward = np.bincount(sidx[j.offsets[1:] - 1], weights=j.value, minlength=size)
        del sidx
        value_reward = value_reward * inv

        transient = np.arange(n_s + 1)
        Q = P[transient][:, transient].tocsc()
        r = np.asarray(P[transient][:, [conv_s]].todense()).ravel()
        rv = value_reward[transient]

        # which channels each state contains
        digits = uniq.copy()
        contains = np.zeros((n_s, n_ch), dtype=bool)
        for _ in range(order):
            d = digits % (n_ch + 1)
            ok = d > 0
            contains[np.flatnonzero(ok), d[ok] - 1] = True
            digits //= n_ch + 1

        def solve(keep: np.ndarray) -> tuple[float, float]:
            idx = np.flatnonzero(keep)
            if r[idx].sum() == 0 and rv[idx].sum() == 0:
                return 0.0, 0.0
            A = sp.identity(len(idx), format="csc") - Q[idx][:, idx]
            x = spsolve(A, np.column_stack([r[idx], rv[idx]]))
            x = np.atleast_2d(x)
            pos = int(np.searchsorted(idx, start))
            return float(x[pos, 0]), float(x[pos, 1])

        everything = np.ones(n_s + 1, dtype=bool)
        p_conv, p_value = solve(everything)
        re = np.zeros(n_ch)
        re_value = np.zeros(n_ch)
        for c in range(n_ch):
            keep = everything.copy()
            keep[:n_s] = ~contains[:, c]
            x_c, v_c = solve(keep)
            re[c] = 1.0 - x_c / p_conv if p_conv > 0 else 0.0
            re_value[c] = 1.0 - v_c / p_value if p_value > 0 else 0.0
        re = np.clip(re, 0.0, None)
        re_value = np.clip(re_value, 0.0, None)

        labels = []
        for s in uniq:
            seq = []
            for _ in range(order):
                d = int(s % (n_ch + 1))
                if d:
                    seq.append(channels[d - 1])
                s //= n_ch + 1
            labels.append(tuple(reversed(seq)))
        self.states_ = labels
        self.transition_matrix_ = P.tocsr()
        self.conversion_probability_ = p_conv
        self.expected_value_ = p_value
        self.removal_effects_ = pd.Series(re, index=channels, name="removal_effect")
        self.value_removal_effects_ = pd.Series(re_value, index=channels, name="removal_effect")
        total_conv = j.total_conversions
        total_value = j.total_value
        conv = re / re.sum() * total_conv if re.sum() > 0 else np.zeros(n_ch)
        value = re_value / re_value.sum() * total_value if re_value.sum() > 0 else np.zeros(n_ch)
        self.credit_ = pd.DataFrame({"channel": channels, "conversions": conv, "value": value})
        return self
