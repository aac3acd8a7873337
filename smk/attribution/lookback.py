"""Whether the lookback window biases the attribution: it cuts one kind of journey more.

`journeys` keeps a converting journey's touches in the `lookback_days` before its conversion,
and a non-converting journey's in the `lookback_days` before its own last touch. Where
conversions come late in a contact's history (won deals after a long sales cycle), the window
leaves out the early touches of converting journeys far more often than those of the others;
where they come early (MQLs), the other way round. The data-driven models read the channels'
effect from the difference between the two kinds, so a window that cuts them unequally moves
credit between the channels that open journeys and those that touch late, whatever the
channels did. `lookback_check` measures it on every run (`Journeys.lookback_cut`) and
`lookback_note` says so at the top of the attribution page when it is lopsided enough to
bias the shares (`LOOKBACK_GAP`, `LOOKBACK_SHARE`; docs/notebooks.md, "The lookback window"),
and `lookback_tiles` on the report index's tiles of the shares, which a reader may see alone.
"""

from __future__ import annotations

from smk.attribution.journeys import Journeys
from smk.outputs import counted, detail_first

#: The window biases the shares when it cuts one kind of journey (converting or not) at least
#: this much more often than the other (5 points) ...
LOOKBACK_GAP = 0.05
#: ... and cuts at least this share of that kind (10%). On synthetic exports the windows this
#: rule lets pass moved the Shapley shares from those without a limit by 0.05 on average
#: (total variation distance), those it calls lopsided by 0.19 (non-converting journeys cut
#: more) and 0.35 (converting ones): docs/notebooks.md, "The lookback window", gives the
#: figures and the command that measures them (`bench/attribution_lookback.py --calibrate`).
LOOKBACK_SHARE = 0.10


def lookback_check(journeys: Journeys, lookback_days: float | None) -> dict:
    """How unequally the lookback window (`lookback_days`, None: no limit) cut the converting
    and the non-converting journeys of `journeys` (`Journeys.lookback_cut`): `converting` and
    `non_converting`, the share of each whose contact had touches before the window's start
    (None: no such journey, or a path table), with `converting_cut` / `non_converting_cut` how
    many, and `converting_emptied` how many of the converting ones the window left without
    any touch (unattributed, yet cut: counted in both the share and `converting_cut`);
    `lopsided`, whether one kind is cut at least `LOOKBACK_GAP` more often than the
    other and in at least `LOOKBACK_SHARE` of its journeys; and `leans_to`, which channels
    the shares then lean toward: "late" (those touching late in the journey: converting
    journeys cut more) or "early" (those opening journeys), None when not lopsided; and the
    rule's `min_gap` and `min_share`."""
    cut = journeys.lookback_cut() or {
        "converting": None,
        "converting_cut": 0,
        "non_converting": None,
        "non_converting_cut": 0,
        "converting_emptied": 0,
    }
    conv, non = cut["converting"], cut["non_converting"]
    leans_to = None
    if conv is not None and non is not None:
        if _lopsided(conv, non):
            leans_to = "late"
        elif _lopsided(non, conv):
            leans_to = "early"
    return {
        "lookback_days": lookback_days,
        **cut,
        "lopsided": leans_to is not None,
        "leans_to": leans_to,
        "min_gap": LOOKBACK_GAP,
        "min_share": LOOKBACK_SHARE,
    }


def _lopsided(more: float, less: float) -> bool:
    """Whether a share cut `more` is at least `LOOKBACK_GAP` above `less` and at least
    `LOOKBACK_SHARE` (up to float error: 0.15 - 0.10 is 5 points)."""
    tol = 1e-9
    return more - less >= LOOKBACK_GAP - tol and more >= LOOKBACK_SHARE - tol


def lookback_note(check: dict) -> str:
    """The page's box on a lopsided `lookback_check`, as Markdown: how often the window cut
    each kind of journey, which channels the shares lean toward and why, and what to run
    instead; "" when the window cuts both kinds alike (or there is none). The converting
    journeys cut include those the window left without a touch (`converting_emptied`),
    which the box counts."""
    if not check["lopsided"]:
        return ""
    late = check["leans_to"] == "late"
    n_emptied = check["converting_emptied"]
    emptied = (
        f"; {counted(n_emptied, 'converting journey')} kept no touch at all and "
        f"{'is' if n_emptied == 1 else 'are'} unattributed"
        if n_emptied
        else ""
    )
    cut = (
        f"Its {_cut_words(check)} (their contact was touched before the window "
        f"began{emptied}): a converting journey's window ends at its conversion, a "
        "non-converting one's at its last touch. "
    )
    if late:
        head = "The lookback window tilts these shares toward channels that touch late."
        why = (
            "Conversions here come long after the first touches, so the touches left out are "
            "the early ones of the people who converted: every model below credits the "
            "channels that open journeys less, and those that touch late more, than the "
            "journeys as a whole would. "
        )
    else:
        head = "The lookback window can tilt the data-driven shares toward channels that open "
        head += "journeys."
        why = (
            "Conversions here come early, so the touches left out are the early ones of the "
            "people who did not convert: the channels that open journeys seem to reach fewer "
            "of them, and the Markov and Shapley models can credit those channels more, and "
            "the channels that touch late less, than the journeys as a whole would. "
        )
    return (
        f"> **{head}** {cut}{why}This comes from the window, not from the channels: before "
        "acting on the shares, run the page without a limit (`lookback_days: null` in the "
        "`smk report --params` file, under `notebooks: attribution:`) or with a longer "
        'window, and compare (docs/notebooks.md, "The lookback window").'
    )


def _cut_words(check: dict) -> str:
    """How often a lopsided `lookback_check`'s window cut each kind of journey, the kind cut
    more first: "180 days cut the earlier touches of 46% of the converting journeys but of
    12% of the non-converting ones"."""
    late = check["leans_to"] == "late"
    more, less = ("converting", "non_converting") if late else ("non_converting", "converting")
    return (
        f"{check['lookback_days']:g} days cut the earlier touches of {check[more]:.0%} of the "
        f"{more.replace('_', '-')} journeys but of {check[less]:.0%} of the "
        f"{less.replace('_', '-')} ones"
    )


#: The tiles of the attribution page (`report_kpis`) that show its shares, which a lopsided
#: window biases; the count of conversions attributed is a fact and says what went unattributed.
SHARE_TILES = frozenset({"top_channel", "top_channel_share"})


def lookback_caveat(check: dict) -> str:
    """The caveat a tile of the shares carries on a lopsided `lookback_check` (as the page's
    metrics record it, `lookback_cut`), in one line: how often the window cut each kind of
    journey and which channels the shares lean toward; "" when it cuts both kinds alike."""
    if not check.get("lopsided"):
        return ""
    if check["leans_to"] == "late":
        lean = "which tilts the shares toward channels that touch late"
    else:
        lean = "which can tilt the data-driven shares toward channels that open journeys"
    return (
        f"biased by the lookback window: its {_cut_words(check)}, {lean}; see the attribution "
        "page before acting on it"
    )


def lookback_tiles(tiles: list[dict], check: dict) -> list[dict]:
    """The attribution page's report `tiles` with those of the shares (`SHARE_TILES`) starting
    their `detail` with `lookback_caveat` of `check` (the metrics' `lookback_cut`), so that the
    report index, read without the page, does not show a biased top channel as a finding;
    `tiles` as they are when the window cut both kinds of journey alike."""
    caveat = lookback_caveat(check)
    if not caveat:
        return tiles
    return [
        detail_first(t, caveat) if isinstance(t, dict) and t.get("id") in SHARE_TILES else t
        for t in tiles
    ]
