"""Rule-based attribution: the models marketing teams know from HubSpot's attribution reports.

Definitions follow HubSpot's knowledge base ("Understand attribution reporting",
knowledge.hubspot.com/reports/understand-attribution-reporting), which names the key
conversion points of a deal's journey: the *first interaction*, *lead creation* (the last
interaction before the record became a contact), *deal creation* (the last interaction before a
deal was associated) and *closed won* (the last interaction before the deal was won); every
other interaction is a *middle* one. Each interaction counts separately (three clicks on one
e-mail are three interactions).

==============  ==============================================================================
first_touch     100% to the first interaction
last_touch      100% to the last interaction before the conversion
last_non_direct 100% to the last interaction whose channel is not direct (the last one when
                all are direct), as in Google Analytics' classic model; a `channel_groups`
                group of direct channels only is direct, one that puts direct with other
                channels is not (a warning says so: `_direct`)
linear          equal credit to every interaction
time_decay      weight ``2 ** (-days_before_conversion / half_life)``, half-life 7 days by
                default (an interaction a week before the conversion gets half the credit of
                one on the day)
u_shaped        40% first interaction, 40% lead creation, 20% spread over the rest
w_shaped        30% each to first interaction, lead creation and deal (opportunity) creation,
                10% over the rest
full_path       22.5% each to first interaction, lead creation, deal creation and closed won,
                10% over the rest
j_shaped        20% first interaction, 60% last interaction, 20% over the rest
inverse_j       60% first interaction, 20% last interaction, 20% over the rest
==============  ==============================================================================

(J-shaped and inverse J are listed by HubSpot as models; their 20/60/20 and 60/20/20 splits are
the common definition, e.g. 6thman.digital's "J-shaped attribution model explained".)

How the shares combine on a real journey, so every journey's credit sums to one conversion:
a touch that holds several roles (the first interaction is also the lead creation one) gets the
sum of their weights; roles a journey does not have (no deal was created before an MQL
conversion) are dropped; the "rest" share is split evenly over the touches that hold no role
and is dropped when there are none; then the journey's weights are scaled to sum to 1. Path
tables (`from_paths`) have no stage dates, so their milestones are the last touch: U-shaped
becomes the familiar 40/20/40 position-based model.

Weights are configuration: pass ``weights={"first": 0.5, "lead": 0.3, "rest": 0.2}`` to
`attribute` (roles: first, lead, opportunity, close, last, rest).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

import numpy as np

from smk.attribution.journeys import Journeys
from smk.checks import caller_stacklevel, check_number, checked_tables

#: Position weights of the milestone models (roles: first, lead, opportunity, close, last, rest).
POSITION_WEIGHTS: dict[str, dict[str, float]] = {
    "first_touch": {"first": 1.0},
    "last_touch": {"last": 1.0},
    "u_shaped": {"first": 0.40, "lead": 0.40, "rest": 0.20},
    "w_shaped": {"first": 0.30, "lead": 0.30, "opportunity": 0.30, "rest": 0.10},
    "full_path": {
        "first": 0.225,
        "lead": 0.225,
        "opportunity": 0.225,
        "close": 0.225,
        "rest": 0.10,
    },
    "j_shaped": {"first": 0.20, "last": 0.60, "rest": 0.20},
    "inverse_j": {"first": 0.60, "last": 0.20, "rest": 0.20},
}
ROLES = ("first", "lead", "opportunity", "close", "last")
#: Channels `last_non_direct` skips.
DIRECT_CHANNELS = ("direct",)
#: Half-life of the time-decay model, in days (HubSpot's and Google's default).
HALF_LIFE_DAYS = 7.0


def _converting(j: Journeys) -> Journeys:
    """Only the rows that converted at least once (the only ones that receive credit)."""
    rows = j.conversions > 0
    return j if rows.all() else j.subset(rows)


def _credit(j: Journeys, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel conversions and value from per-touch weights (each journey's sum to 1)."""
    jt = j.journey_of_touch
    n = len(j.channels)
    conv = np.bincount(j.codes, weights=weights * j.conversions[jt], minlength=n)
    value = np.bincount(j.codes, weights=weights * j.value[jt], minlength=n)
    return conv, value


@checked_tables
def position_weights(j: Journeys, weights: Mapping[str, float]) -> np.ndarray:
    """Per-touch weights of a position model (see the module docstring for the rules)."""
    unknown = set(weights) - set(ROLES) - {"rest"}
    if unknown:
        raise ValueError(
            f"unknown role(s) {', '.join(sorted(unknown))}; roles are {', '.join(ROLES)} and rest"
        )
    if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise ValueError("position weights must be non-negative and not all zero")
    starts = j.offsets[:-1]
    lengths = j.n_touches
    n_touch = len(j.codes)
    w = np.zeros(n_touch)
    has_role = np.zeros(n_touch, dtype=bool)
    total = np.zeros(len(lengths))
    for role in ROLES:
        share = float(weights.get(role, 0.0))
        if role == "first":
            pos = np.zeros(len(lengths), dtype=np.int64)
        elif role == "last" or j.milestones is None:
            pos = lengths - 1
        else:
            pos = j.milestones[role]
        if share <= 0:
            continue  # an unweighted milestone is an ordinary ("rest") touch
        ok = pos >= 0
        g = starts[ok] + pos[ok]
        has_role[g] = True
        np.add.at(w, g, share)
        total[ok] += share
    rest = float(weights.get("rest", 0.0))
    jt = j.journey_of_touch
    if rest > 0:
        free = ~has_role
        n_free = np.bincount(jt[free], minlength=len(lengths))
        w[free] = rest / n_free[jt[free]]
        total += np.where(n_free > 0, rest, 0.0)
    if (total <= 0).any():
        raise ValueError(
            "some journeys hold none of the weighted roles; give 'first' or 'rest' a weight"
        )
    return w / total[jt]


def _direct(j: Journeys, channels: Iterable[str] | str | None) -> list[str]:
    """The channels `last_non_direct` skips: `DIRECT_CHANNELS` by default (`_default_direct`),
    a text is one channel ("direct", not its letters). Given names that are none of the
    journeys' channels would skip nothing (last touch), unsaid: a warning names them and the
    channels there are."""
    if channels is None:
        return _default_direct(j)
    chosen = [channels] if isinstance(channels, str) else list(channels)
    bad = [c for c in chosen if not isinstance(c, str)]
    if bad:
        raise TypeError(f"direct_channels must be channel names (text), got {bad[0]!r}")
    unknown = [c for c in chosen if c not in j.channels]
    if unknown:
        warnings.warn(
            f"direct_channels {', '.join(map(repr, unknown))} not among the journeys' "
            f"{j.level}s ({', '.join(j.channels)}): last_non_direct skips no such touch",
            UserWarning,
            stacklevel=caller_stacklevel(),
        )
    return chosen


def _default_direct(j: Journeys) -> list[str]:
    """`DIRECT_CHANNELS` under the journeys' `channel_groups`: a group holding direct channels
    only is direct (``{web: [direct]}`` skips web). A group that puts a direct channel with
    others is not, as skipping it would skip their touches too: its direct touches then count
    as any other's, and a warning says so (with no direct channel left, last non-direct is
    last touch), which the page shows as it is."""
    groups = j.channel_groups
    skipped, mixed = [], []
    for channel in DIRECT_CHANNELS:
        group = groups.get(channel, channel)
        others = sorted(c for c, g in groups.items() if g == group and c not in DIRECT_CHANNELS)
        if others:
            mixed.append(f"{channel} in the group '{group}' with {', '.join(others)}")
        else:
            skipped.append(group)
    if mixed:
        what = (
            "counts them as not direct" if skipped else "skips none and credits as last touch does"
        )
        warnings.warn(
            f"channel_groups puts {'; '.join(mixed)}: last_non_direct cannot skip those direct "
            f"touches without skipping the others', so it {what} (give a direct channel a "
            "group of its own, or none, for it to skip its touches)",
            UserWarning,
            stacklevel=caller_stacklevel(),
        )
    return skipped


@checked_tables
def attribute_rule(
    j: Journeys,
    model: str,
    weights: Mapping[str, float] | None = None,
    half_life_days: float = HALF_LIFE_DAYS,
    direct_channels: Iterable[str] | str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Conversions and value credited to each channel by a rule-based model.

    `direct_channels` (last_non_direct): the channels to skip, one name or several (default
    `DIRECT_CHANNELS`); names that are none of the journeys' channels are warned about."""
    conv_j = _converting(j)
    if len(conv_j) == 0:
        n = len(j.channels)
        return np.zeros(n), np.zeros(n)
    jt = conv_j.journey_of_touch
    lengths = conv_j.n_touches
    if model == "linear":
        w = 1.0 / lengths[jt]
    elif model == "time_decay":
        if conv_j.days_before is None:
            raise ValueError(
                "time_decay needs the time of each touch, which a path table does not have; "
                "build journeys from the CRM (smk.attribution.journeys) or choose another model"
            )
        half_life = check_number("half_life_days", half_life_days, 0.0, exclusive=True)
        raw = np.exp2(-np.maximum(conv_j.days_before, 0.0) / half_life)
        w = raw / np.bincount(jt, weights=raw, minlength=len(lengths))[jt]
    elif model == "last_non_direct":
        direct = np.isin(np.asarray(conv_j.channels, dtype=object), _direct(j, direct_channels))
        touch_direct = direct[conv_j.codes]
        idx = np.arange(len(conv_j.codes))
        candidate = np.where(touch_direct, -1, idx)
        last_nd = np.maximum.reduceat(candidate, conv_j.offsets[:-1])
        pick = np.where(last_nd >= 0, last_nd, conv_j.offsets[1:] - 1)
        w = np.zeros(len(conv_j.codes))
        w[pick] = 1.0
    elif model in POSITION_WEIGHTS:
        w = position_weights(conv_j, weights or POSITION_WEIGHTS[model])
    else:
        raise ValueError(f"{model!r} is not a rule-based model")
    return _credit(conv_j, w)
