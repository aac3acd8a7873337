"""Whether a period has enough conversions for its attribution to be relied on.

Every model credits whatever conversions there are, even one: the shares then follow from
which channels happened to touch those few journeys, not from what the channels do. Below
`MIN_CONVERSIONS` attributed conversions the page still computes every figure, so that an
analyst can look, but says at its top that none of them is a finding, and the report's tiles
mark the top channel and its share as not to be relied on (docs/notebooks.md). Journeys of
one channel only are no finding either, however many: every model gives it all the credit,
and with no journey without it its incremental effect cannot be told from the chance to
convert anyway.
"""

from __future__ import annotations

import math

from smk.attribution.journeys import CONVERSIONS, Journeys, _either
from smk.checks import check_integer, checked_tables

#: The fewest attributed conversions whose attribution is relied on. With n conversions a
#: channel's share p is known to about +-1.645 * sqrt(p(1 - p) / n) (90%) even under a fixed
#: rule: below 30 that is more than +-13 points for a 25% share, and one conversion more or
#: less moves a share by more than 3 points, so the ranking of the channels is noise; the
#: data-driven models, which fit one effect per channel, have less still to go on.
MIN_CONVERSIONS = 30
#: Each conversion of `CONVERSIONS` as `reliability_note` suggests it instead of a later one.
CONVERSION_NAMES = {
    "lead": "a lead",
    "mql": "an MQL",
    "sql": "an SQL",
    "opportunity": "an opportunity",
    "won": "a won deal",
    "customer": "a customer",
}


def _count(n: float) -> str:
    """A count of conversions in words: 1,234; a path table's fractional weights to two
    places, cut, not rounded (29.96 is 29.96 and 29.999 is 29.99, never "30 of at least 30")."""
    if float(n).is_integer():
        return f"{n:,.0f}"
    return f"{math.floor(n * 100) / 100:,.2f}".rstrip("0").rstrip(".")


@checked_tables
def reliability(journeys: Journeys, minimum: int = MIN_CONVERSIONS) -> dict:
    """Are there enough attributed conversions (`journeys.total_conversions`, those a model
    can credit) for the attribution of `journeys` to be relied on: at least `minimum`
    (`MIN_CONVERSIONS`)? Returns reliable, reason (None, "too_few_conversions", or
    "one_channel": the journeys touch one channel only, whose share is trivially all and whose
    incremental effect is not identifiable), conversions (attributed), minimum, conversion
    (what converts), a plain-words `headline` and `caveat` (a short text for a tile or line:
    None when reliable)."""
    minimum = check_integer("minimum", minimum, 1)
    n = journeys.total_conversions
    n = int(n) if n.is_integer() else n  # a path table's weights may be fractions
    reliable = n >= minimum
    if reliable and len(journeys.channels) == 1:
        return _one_channel(journeys, n, minimum)
    noun = "conversion" if n == 1 else "conversions"
    caveat = (
        None if reliable else f"too few conversions ({_count(n)} of at least {_count(minimum)})"
    )
    headline = (
        f"{_count(n)} attributed {journeys.conversion} {noun}: enough for attribution "
        f"(at least {_count(minimum)})."
        if reliable
        else f"Too few conversions to rely on this attribution: {_count(n)} attributed "
        f"{journeys.conversion} {noun}, and at least {_count(minimum)} are needed."
    )
    return {
        "reliable": bool(reliable),
        "reason": None if reliable else "too_few_conversions",
        "conversions": n,
        "minimum": minimum,
        "conversion": journeys.conversion,
        "headline": headline,
        "caveat": caveat,
    }


def _one_channel(journeys: Journeys, n: float, minimum: int) -> dict:
    """`reliability` of journeys that touch one channel only."""
    (channel,) = journeys.channels
    return {
        "reliable": False,
        "reason": "one_channel",
        "conversions": n,
        "minimum": minimum,
        "conversion": journeys.conversion,
        "headline": f"One channel only ({channel}) touched these journeys.",
        "caveat": f"one channel only ({channel})",
    }


def _more_conversions(conversion: str) -> str:
    """Where more `conversion` conversions come from, for `reliability_note`: a longer window,
    a later month, or a conversion earlier in the funnel (`CONVERSIONS` order, the nearest
    first), of which there are more; only the first two for the funnel's first (a lead) or
    a path table's conversions."""
    funnel = list(CONVERSIONS)
    earlier = funnel[: funnel.index(conversion)][::-1] if conversion in funnel else []
    if not earlier:
        return "More conversions come with a longer `window_months` or a later month."
    names = _either([CONVERSION_NAMES[c] for c in earlier])
    return (
        "More conversions come with a longer `window_months`, a later month or a more "
        f"frequent `conversion`, earlier in the funnel ({names})."
    )


def reliability_note(check: dict) -> str:
    """The page's box on `reliability` when it finds too few conversions, as Markdown: how
    many there are, how many are needed and why, what the figures below still are and where
    more conversions come from (`_more_conversions`); "" when the attribution can be relied
    on."""
    if check["reliable"]:
        return ""
    if check["reason"] == "one_channel":
        return (
            f"> **{check['headline']}** Every model gives it all the credit, so the split "
            "between channels is trivial, and with no journey without it, its incremental "
            "effect is not identifiable: Shapley's incremental conversions below are all the "
            "attributed conversions, not conversions it caused, and its logit effect says "
            "nothing. The report's tiles mark the top channel and its share as not to be "
            "relied on."
        )
    return (
        f"> **{check['headline']}** With fewer than {_count(check['minimum'])}, a channel's "
        "share is uncertain by more than 13 points either way (90%) even under a fixed rule, "
        "and one conversion more or less moves a share by more than 3 points: every model's "
        "shares below, the Markov removal effects, Shapley's incremental effects, the "
        "bootstrap intervals and the cost per acquisition and return on ad spend follow from "
        "which channels happened to touch these few journeys, not from what the channels do. "
        "They are computed so that they can be looked at, but none of them is a finding: do "
        "not move budget on them. The report's tiles mark the top channel and its share as "
        f"not to be relied on. {_more_conversions(check['conversion'])}"
    )
