"""Shapley-value attribution over coalitions of channels, computed exactly.

A coalition is a set of channels, held as a bitmask (channel ``i`` is bit ``i``); a game gives
each of the ``2**C`` coalitions a value, and the Shapley value of channel ``c`` is its marginal
contribution averaged over every order in which the channels could join::

    phi_c = sum over S not containing c of |S|! (C - |S| - 1)! / C! * (v(S + c) - v(S))

Everything is vectorised over the coalition bitmasks, so the sums are exact (no sampling) for
up to `MAX_CHANNELS` channels; above that the number of coalitions (``2**C``) makes exact
values impractical and `ShapleyAttribution` raises a clear error: group channels first
(`channel_groups`).

Two games are offered:

``value="incremental"`` (default)
    How many conversions the channels *cause*. A logistic model of conversion on channel
    exposure (which channels a journey touched), fitted by penalised Newton iterations on the
    table of coalitions (every journey, converting or not), gives ``p(S)``, the conversion
    probability of a journey exposed to the channels ``S``. For a journey exposed to ``T`` the
    game is ``S -> p(S)`` on the subsets of ``T``; its Shapley values split the journey's
    *incremental* probability ``p(T) - p({})`` among its channels. Summed over all journeys they
    are each channel's share of the conversions that would be lost without marketing (the
    approach of Shao & Li 2011 and Dalessandro et al. 2012, "Causally motivated attribution for
    online advertising"). Channels whose estimated effect is negative get no credit.
``value="conversions"``
    The classic game of Zhao et al. (2018): ``v(S)`` = conversions of the journeys whose channels
    are all in ``S``. It is additive over journeys, so each conversion ends up split evenly over
    the distinct channels of its journey; it measures presence, not effect. (It is not the game
    of `marketing-attribution-models`' ``run_shapley``, which by default values a coalition by
    the conversion *rate* of the journeys whose channel set is exactly that coalition, so its
    shares differ: by up to 0.05 per channel on the benchmark's journeys.)

Credit is scaled so that it sums to the total conversions and value.

The incremental game is only as causal as its exposure model: it compares converting and
non-converting journeys, so it needs the non-converting ones (a path table without nulls
cannot tell what a channel changed), and like any observational comparison it can be
misled when the same people are both more likely to see a channel and to buy.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import expit

from smk.attribution.base import _AttributionEstimator
from smk.attribution.journeys import Journeys
from smk.checks import check_number, checked_tables

MAX_CHANNELS = 20
#: Ridge penalty of the exposure model (a N(0, 1/l2) prior on each channel's logit effect).
L2 = 1.0
GAMES = ("incremental", "conversions")


def _check_size(n_channels: int) -> None:
    if n_channels > MAX_CHANNELS:
        raise ValueError(
            f"exact Shapley values need 2**C coalitions; {n_channels} channels is more than "
            f"{MAX_CHANNELS}. Group channels (journeys(..., channel_groups=...)) or use "
            "model='markov'"
        )


def popcount(masks: np.ndarray) -> np.ndarray:
    return np.bitwise_count(np.asarray(masks, dtype=np.uint64)).astype(np.int64)


def shapley_weights(n_players: int) -> np.ndarray:
    """``w[s] = s! (n - s - 1)! / n!`` for coalition sizes ``s = 0 .. n - 1``."""
    return np.array(
        [
            math.factorial(s) * math.factorial(n_players - s - 1) / math.factorial(n_players)
            for s in range(n_players)
        ]
    )


def shapley_values(v: np.ndarray) -> np.ndarray:
    """Exact Shapley values of the game ``v`` given on all ``2**C`` coalition bitmasks."""
    v = np.asarray(v, dtype="float64")
    n = int(round(math.log2(len(v)))) if len(v) else 0
    if len(v) != 2**n or n == 0:
        raise ValueError("v must have 2**C entries, one per coalition bitmask (C >= 1)")
    _check_size(n)
    masks = np.arange(2**n, dtype=np.int64)
    w = shapley_weights(n)[np.minimum(popcount(masks), n - 1)]
    phi = np.zeros(n)
    for c in range(n):
        without = masks[(masks >> c) & 1 == 0]
        phi[c] = np.sum(w[without] * (v[without | (1 << c)] - v[without]))
    return phi


def subset_sums(f: np.ndarray) -> np.ndarray:
    """Zeta transform: ``g[S] = sum of f[T] over T subset of S``, for all bitmasks at once."""
    g = np.asarray(f, dtype="float64").copy()
    n = int(round(math.log2(len(g))))
    for i in range(n):
        view = g.reshape(-1, 2, 2**i)
        view[:, 1, :] += view[:, 0, :]
    return g


@checked_tables
def journey_masks(j: Journeys) -> np.ndarray:
    """Bitmask of the distinct channels of each journey."""
    _check_size(len(j.channels))
    bits = np.left_shift(np.int64(1), j.codes.astype(np.int64))
    if len(bits) == 0:
        return np.zeros(len(j), dtype=np.int64)
    return np.bitwise_or.reduceat(bits, j.offsets[:-1])


@checked_tables
def coalition_table(j: Journeys) -> pd.DataFrame:
    """Journeys aggregated by channel set: mask, journeys, conversions, nulls, value."""
    masks = journey_masks(j)
    frame = pd.DataFrame(
        {"mask": masks, "conversions": j.conversions, "nulls": j.nulls, "value": j.value}
    )
    return frame.groupby("mask", sort=True).sum().reset_index()


def fit_exposure_logit(
    X: np.ndarray, successes: np.ndarray, trials: np.ndarray, l2: float = L2, max_iter: int = 100
) -> tuple[float, np.ndarray]:
    """Penalised binomial logistic regression (intercept free, ridge on the slopes), by Newton.

    Deterministic; on the coalition table it has at most ``2**C`` rows whatever the number of
    journeys.
    """
    n, k = X.shape
    A = np.column_stack([np.ones(n), X])
    pen = np.full(k + 1, check_number("l2", l2, 0.0))
    pen[0] = 0.0
    total = trials.sum()
    rate = np.clip(successes.sum() / total, 1e-9, 1 - 1e-9) if total > 0 else 0.5
    beta = np.zeros(k + 1)
    beta[0] = math.log(rate / (1 - rate))
    for _ in range(max_iter):
        p = expit(A @ beta)
        grad = A.T @ (successes - trials * p) - pen * beta
        H = (A * (trials * p * (1 - p))[:, None]).T @ A + np.diag(pen) + 1e-10 * np.eye(k + 1)
        step = np.linalg.solve(H, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(beta[0]), beta[1:]


def _journey_game_shapley(masks: np.ndarray, intercept: float, coef: np.ndarray) -> np.ndarray:
    """Shapley values of ``S -> expit(intercept + coef[S].sum())`` on the subsets of each mask.

    Returns an array (len(masks), C) with each channel's value (zero outside the mask).
    Masks are grouped by size ``k``; each group evaluates its ``2**k`` sub-coalitions at once.
    """
    C = len(coef)
    out = np.zeros((len(masks), C))
    sizes = popcount(masks)
    bit_matrix = ((masks[:, None] >> np.arange(C)) & 1).astype(bool)
    for k in np.unique(sizes):
        if k == 0:
            continue
        rows = np.flatnonzero(sizes == k)
        members = np.nonzero(bit_matrix[rows])[1].reshape(len(rows), k)  # channel of each slot
        local = np.arange(2**k, dtype=np.int64)
        local_bits = ((local[:, None] >> np.arange(k)) & 1).astype("float64")  # 2**k x k
        w = shapley_weights(k)[np.minimum(popcount(local), k - 1)]
        chunk = max(1, 4_000_000 // 2**k)
        for lo in range(0, len(rows), chunk):
            m = members[lo : lo + chunk]
            v = expit(intercept + local_bits @ coef[m].T)  # 2**k x rows
            phi = np.zeros((len(m), k))
            for slot in range(k):
                without = local[(local >> slot) & 1 == 0]
                phi[:, slot] = w[without] @ (v[without | (1 << slot)] - v[without])
            out[rows[lo : lo + chunk, None], m] = phi
    return out


class NotEstimableError(ValueError):
    """The incremental game has nothing to share: no channel raises the chance to convert on
    these journeys (a bootstrap replicate or a short period can be so), or the journeys cannot
    tell the channels' effects from the chance to convert without them."""


def _check_identifiable(X: np.ndarray) -> None:
    """Raise `NotEstimableError` unless the coalitions seen (rows of `X`) determine the
    exposure model's baseline, the chance to convert without any channel: the baseline must
    be a combination of the coalitions' rows of ``[1, X]``. Journeys of one channel each, and
    no journey without one, leave it free: the penalty then sets it near the mean rate, and
    the channels above the mean took all the credit (one channel of three took 10 of 10
    conversions, 5 of them from journeys that never touched it). Channels that always come
    together leave the baseline determined (the penalty splits their effect evenly)."""
    X = X[:, X.any(axis=0)]  # channels no journey touched have no effect to tell
    C = X.shape[1]
    if C < 2:
        return
    A = np.column_stack([np.ones(len(X)), X])
    baseline = np.zeros(C + 1)
    baseline[0] = 1.0
    weights, *_ = np.linalg.lstsq(A.T, baseline, rcond=None)
    if np.abs(A.T @ weights - baseline).max() > 1e-8:
        raise NotEstimableError(
            "the journeys cannot tell the chance to convert without any channel from the "
            f"channels' effects (their {len(X)} channel combinations, e.g. one channel each, "
            "leave it free); use value='conversions' or another model"
        )


class ShapleyAttribution(_AttributionEstimator):
    """Exact Shapley-value attribution over coalitions of channels.

    A scikit-learn style estimator: `fit` takes journeys (`smk.attribution.journeys` or
    `smk.attribution.from_paths`); `get_params`, `set_params` and `sklearn.base.clone` work.
    `fit` learns the attributes below; reading one before it raises `NotFittedError`.

    Parameters
    ----------
    value : the game, "incremental" (default: effect on conversion, from an exposure model)
        or "conversions" (the classic game; see the module docstring).
    l2 : ridge penalty of the exposure model (incremental game only; a finite number >= 0,
        checked by `fit` whatever the game).

    Attributes
    ----------
    game_ : the game `fit` played ("incremental" or "conversions"): the `value` it was fitted
        with, which `set_params` does not change.
    shapley_values_ : pandas Series, channel -> Shapley value (incremental: expected
        conversions caused, before scaling; conversions: conversions credited).
    coef_, intercept_ : the exposure model's logit effects (incremental game only).
    coalitions_ : the coalition table (mask, journeys' conversions, nulls, value).
    credit_ : the tidy credit table (channel, conversions, value), summing to the totals.
    """

    _learned = ("game_", "shapley_values_", "coef_", "intercept_", "coalitions_", "credit_")

    def __init__(self, value: str = "incremental", l2: float = L2):
        self.value = value
        self.l2 = l2

    def __getattr__(self, name: str):
        if name in ("coef_", "intercept_") and "credit_" in vars(self):
            # what fit played, not the parameter (set_params may have changed it since); a
            # model pickled before game_ existed lacks coef_ only after the conversions game
            game = vars(self).get("game_", "conversions")
            raise AttributeError(
                f"{name} is learned by the incremental game only; this ShapleyAttribution "
                f"was fitted with value={game!r}",
                name=name,
                obj=self,
            )
        return super().__getattr__(name)

    def fit(self, journeys: Journeys) -> ShapleyAttribution:
        """Learn the game of `journeys` (a `Journeys`) and its Shapley values.

        Raises `NotEstimableError` when the incremental game has nothing to share, or when the
        journeys do not combine channels enough to tell each channel's effect from the chance
        to convert without it (`_check_identifiable`; the model is then left as it was).
        """
        j = self._check_journeys(journeys)
        game = self.value
        if not isinstance(game, str) or game not in GAMES:
            raise ValueError(f"value must be one of {', '.join(GAMES)}, got {game!r}")
        l2 = check_number("l2", self.l2, 0.0)
        channels = list(j.channels)
        C = len(channels)
        _check_size(C)
        table = coalition_table(j)
        masks = table["mask"].to_numpy(dtype=np.int64)
        conv = table["conversions"].to_numpy()
        value = table["value"].to_numpy()
        total_conv, total_value = float(conv.sum()), float(value.sum())
        if game == "conversions":
            v = np.zeros(2**C)
            np.add.at(v, masks, conv)
            phi = shapley_values(subset_sums(v))
            vv = np.zeros(2**C)
            np.add.at(vv, masks, value)
            phi_value = shapley_values(subset_sums(vv))
        else:
            trials = conv + table["nulls"].to_numpy()
            X = ((masks[:, None] >> np.arange(C)) & 1).astype("float64")
            _check_identifiable(X[trials > 0])
            intercept, coef = fit_exposure_logit(X, conv, trials, l2=l2)
            per_mask = _journey_game_shapley(masks, intercept, coef)
            phi = trials @ per_mask  # expected conversions caused, per channel
            # value: each coalition's game in money, at its mean value per conversion
            mean_value = total_value / total_conv if total_conv > 0 else 0.0
            per_conv = np.divide(value, conv, out=np.full(len(conv), mean_value), where=conv > 0)
            phi_value = (trials * per_conv) @ per_mask
        if C == 1:  # one player: the whole game is its own (its effect is not identifiable)
            phi, phi_value = np.array([total_conv]), np.array([total_value])
        phi_series = pd.Series(phi, index=channels, name="shapley_value")
        credit = np.clip(phi, 0.0, None)
        credit_value = np.clip(phi_value, 0.0, None)
        conv_out = credit / credit.sum() * total_conv if credit.sum() > 0 else np.zeros(C)
        if credit_value.sum() <= 0 < credit.sum():
            # the value sits only on coalitions whose channels show no positive effect (a
            # converting journey of one such channel): spread it like the conversions
            credit_value = credit
        value_out = (
            credit_value / credit_value.sum() * total_value
            if credit_value.sum() > 0
            else np.zeros(C)
        )
        if total_conv > 0 and credit.sum() <= 0:
            raise NotEstimableError(
                "no channel has a positive estimated effect on conversion, so the incremental "
                "Shapley game has nothing to share; use value='conversions' or another model"
            )
        # learned state is set only once the fit has succeeded, and none is left from an
        # earlier fit (a conversions game has no exposure model)
        for name in self._learned:
            self.__dict__.pop(name, None)
        self.game_ = game
        self.coalitions_ = table
        if game == "incremental":
            self.intercept_ = intercept
            self.coef_ = pd.Series(coef, index=channels, name="logit_effect")
        self.shapley_values_ = phi_series
        self.credit_ = pd.DataFrame(
            {"channel": channels, "conversions": conv_out, "value": value_out}
        )
        return self
