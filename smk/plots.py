"""Plot helpers for the notebooks and the report.

Each is a free function that takes the tidy table an analysis returns, draws on `ax` (a new
figure of a fixed size when None), passes styling keywords through to matplotlib, and returns
the axes. Titles say what the reader should see; callers may replace them with `ax.set_title`.

A helper given nothing to draw (an export's first month, a month in which no deal was won)
never leaves an empty panel: it writes "no data: <reason>" on the axes (`no_data`), with a
reason of its own or the caller's (`empty_reason=`). `outputs.show_table` does the same for a
table: a sentence instead of pandas' "Empty DataFrame".

Text that comes from the data (campaign, channel, segment, persona or stage names, the currency)
is drawn literally (`literal`): matplotlib would read the text between two `$` as a formula
and fail to draw "promo_$5_off_$10" or show "Give $50, get $50" in math italics. It is also
drawn on one line (a line break or other control character as a space) and at most
`MAX_LABEL_CHARS` long, cut with "…", so that no name stretches a chart. Titles and reasons
a caller passes are drawn as given; wrap names in `literal` when building them.

While `smk report` runs a notebook for publishing without `--include-pii`, every text drawn
from then on (these helpers' and any cell's own: titles, tick labels, legends, notes) first
passes through the report's removal of e-mail addresses and personal names
(`scrub_drawn_text`, set by `smk.notebooks.open_crm`): a chart is an image, which nothing can
scrub once drawn.

A colour that means something (a month below its target, a segment above the average) is
explained in the chart's legend (`colour_key`), never left to the colour alone.

Characters the default font (DejaVu Sans) has no glyph for (Chinese, Japanese, Korean, Thai,
the Indic scripts, emoji: `SCRIPT_FONTS`) are drawn with an installed font of their script,
where there is one (`use_fallback_fonts`, run when this module is imported: the default font
still draws every character it has, so charts look as before). A label with a character none
of the chart's fonts has is drawn with boxes in its place, without matplotlib's warning of each
glyph; `undrawable_labels` names such labels and `undrawable_note` says so in a line of the
page, with the scripts of those characters and a font to install for each
(`smk.notebooks.describe_charts`).

A chart shown in a notebook carries an alternative text for readers who cannot see it
(`chart_alt`: its title, what its axes show, its legend, a no-data reason), built from the
texts as drawn, so scrubbed as they are (`smk.notebooks.describe_charts` attaches it).
"""

from __future__ import annotations

import contextlib
import functools
import re
import textwrap
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Tick
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from smk.checks import checked_tables
from smk.io.parse import listed as listed_names
from smk.outputs import counted
from smk.presentation import share_text

#: Figure size of a single plot (inches); notebooks keep it fixed so pages look alike.
FIGSIZE = (8, 4.5)
MARKETING = "#2f6db5"
SALES = "#e07b39"
TARGET = "#b03a2e"
NEUTRAL = "#8c8c8c"
#: A month's MQL bar when the month fell short of the target (`mqls_vs_target`).
BELOW_TARGET = "#9ebfe3"


def colour_key(ax: Axes, entries: Sequence[tuple[str, str]], **legend_kwargs) -> None:
    """Say in the axes' legend what each colour means (a chart never means something by colour
    alone): a swatch per `(label, colour)` of `entries`, after the entries the axes already
    label (lines, bars); the legend's text is what `chart_alt` reads out too."""
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    swatches = [Patch(facecolor=colour, edgecolor="none", label=label) for label, colour in entries]
    ax.legend(handles + swatches, labels + [label for label, _ in entries], **legend_kwargs)


#: Where a `colour_key` goes: beside the axes, top right, so that it hides no bar or cell.
_KEY_BESIDE = {
    "loc": "upper left",
    "bbox_to_anchor": (1.01, 1),
    "fontsize": "small",
    "frameon": False,
}


def _thousands(value: float, _pos=None) -> str:
    """An amount as a short tick label: "250", "2.5k", "1.25M", "40M" (not "40.0M", wider;
    not "1.2M" for 1,250,000)."""
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:,.2f}".rstrip("0").rstrip(".") + suffix
    return f"{value:,.0f}"


class _SpacedTicks(MaxNLocator):
    """At most 5 nicely rounded ticks, fewer on a narrow axis: one per 5 tick-label font sizes
    of its length. matplotlib's own locator puts one per 3, room for about 4 characters, so
    the amounts of a panel narrowed by its neighbour's long names ran "010.0M20.0M30.0M"."""

    def __call__(self):
        room = self.axis.get_tick_space() * 3 // 5 if self.axis is not None else 4
        self.set_params(nbins=min(max(room, 1), 4))
        return super().__call__()


#: The most characters of a name from the data a chart draws (`literal`): a longer one is cut
#: with "…" (the page's tables and CSVs show it whole). A 10,000-character campaign name made
#: the four P's chart 83,710 pixels wide, its bars a sliver; the sample's longest label (a
#: segment's persona, "Lower mid-market: Hospital & Health Care / Medical Devices") fits.
MAX_LABEL_CHARS = 60
#: A run of control characters (C0, DEL, C1) or line and paragraph separators: matplotlib has
#: no glyph for a CR or a tab and warns on the page, and breaks the line at a LF.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def literal(text: object, most: int = MAX_LABEL_CHARS) -> str:
    """`text`, a name from the data, as a string matplotlib draws as it is, on one line and
    at most `most` characters: each run of control characters (a line break, a tab) as a
    space, cut with "…" when longer, and each `$` escaped as `\\$` (matplotlib's documented
    escape), so that a name with two `$` is not read as a math formula. The text is scrubbed
    (`scrub_drawn_text`) before it is cut, so that no part of a name is left that the scrub no
    longer knows. A short text without `$` or control characters is returned unchanged."""
    drawn = _drawn(_CONTROL.sub(" ", str(text)))
    if len(drawn) > most:
        drawn = drawn[: most - 1].rstrip() + "…"
    return drawn.replace("$", r"\$")


#: What every drawn text passes through (`scrub_drawn_text`); None: drawn as given.
_scrub: Callable[[str], str] | None = None
#: matplotlib's own `Text.set_text`, through which every text of a figure is set (not the
#: one `scrub_drawn_text` put in its place, should this module be imported again).
_SET_TEXT = getattr(Text.set_text, "matplotlib_set_text", Text.set_text)


def scrub_drawn_text(scrub: Callable[[str], str] | None) -> None:
    """From now on, pass every text matplotlib draws in this process through `scrub` (None:
    draw text as given again): titles, tick and axis labels, legends and notes, of these
    helpers and of any notebook cell's own plotting, as each is set on its `Text`, the one
    path by which text reaches a figure. A no-data reason is scrubbed before it is wrapped
    (`no_data`), so that a name is not split across lines first."""
    global _scrub
    _scrub = scrub
    Text.set_text = _SET_TEXT if scrub is None else _scrubbed_set_text


def _scrubbed_set_text(self: Text, s) -> None:
    """`Text.set_text` with the text passed through `_scrub` first."""
    _SET_TEXT(self, s if s is None or _scrub is None else _scrub(str(s)))


_scrubbed_set_text.matplotlib_set_text = _SET_TEXT


def _drawn(text: str) -> str:
    """`text` as it will be drawn (`scrub_drawn_text`)."""
    return text if _scrub is None else _scrub(text)


#: Scripts DejaVu Sans (the default font) has no glyph for: (the script's name, its Unicode
#: blocks as (first, last) code points, the families that draw it in order of preference).
#: The first installed family of each draws it (`use_fallback_fonts`); `undrawable_note` names
#: the scripts of the characters none of the chart's fonts has, and the first family as the one
#: to install. Colour emoji fonts (Noto Color Emoji, Apple Color Emoji) are left out:
#: matplotlib cannot draw their bitmaps.
SCRIPT_FONTS: tuple[tuple[str, tuple[tuple[int, int], ...], tuple[str, ...]], ...] = (
    (
        "Chinese, Japanese and Korean",
        (
            *((0x1100, 0x11FF), (0x2E80, 0x2FDF), (0x3000, 0x9FFF), (0xA960, 0xA97F)),
            *((0xAC00, 0xD7FF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF)),
            (0x20000, 0x3FFFF),
        ),
        (
            *("Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK KR"),
            *("Noto Sans CJK HK", "Noto Sans JP", "Noto Sans SC", "Noto Sans TC", "Noto Sans KR"),
            *("Noto Sans HK", "Source Han Sans", "Source Han Sans JP", "Source Han Sans SC"),
            *("Source Han Sans TC", "Source Han Sans KR", "Source Han Sans HK"),
            *("WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback"),
            *("Hiragino Sans", "PingFang SC", "Yu Gothic", "Microsoft YaHei", "Malgun Gothic"),
            *("IPAexGothic", "IPAGothic", "Arial Unicode MS"),
        ),
    ),
    ("Thai", ((0x0E00, 0x0E7F),), ("Noto Sans Thai", "Loma", "Garuda", "Leelawadee UI", "Tahoma")),
    ("Lao", ((0x0E80, 0x0EFF),), ("Noto Sans Lao", "Phetsarath OT", "Lao UI", "Leelawadee UI")),
    ("Khmer", ((0x1780, 0x17FF), (0x19E0, 0x19FF)), ("Noto Sans Khmer", "Khmer OS", "Khmer UI")),
    ("Myanmar", ((0x1000, 0x109F),), ("Noto Sans Myanmar", "Padauk", "Myanmar Text")),
    (
        "Devanagari",
        ((0x0900, 0x097F), (0xA8E0, 0xA8FF)),
        ("Noto Sans Devanagari", "Lohit Devanagari", "Kohinoor Devanagari", "Nirmala UI", "Mangal"),
    ),
    (
        "Bengali",
        ((0x0980, 0x09FF),),
        ("Noto Sans Bengali", "Lohit Bengali", "Nirmala UI", "Vrinda"),
    ),
    (
        "Gurmukhi",
        ((0x0A00, 0x0A7F),),
        ("Noto Sans Gurmukhi", "Lohit Gurmukhi", "Nirmala UI", "Raavi"),
    ),
    (
        "Gujarati",
        ((0x0A80, 0x0AFF),),
        ("Noto Sans Gujarati", "Lohit Gujarati", "Nirmala UI", "Shruti"),
    ),
    ("Oriya", ((0x0B00, 0x0B7F),), ("Noto Sans Oriya", "Lohit Odia", "Nirmala UI", "Kalinga")),
    ("Tamil", ((0x0B80, 0x0BFF),), ("Noto Sans Tamil", "Lohit Tamil", "Nirmala UI", "Latha")),
    ("Telugu", ((0x0C00, 0x0C7F),), ("Noto Sans Telugu", "Lohit Telugu", "Nirmala UI", "Gautami")),
    ("Kannada", ((0x0C80, 0x0CFF),), ("Noto Sans Kannada", "Lohit Kannada", "Nirmala UI", "Tunga")),
    (
        "Malayalam",
        ((0x0D00, 0x0D7F),),
        ("Noto Sans Malayalam", "Lohit Malayalam", "Nirmala UI", "Kartika"),
    ),
    ("Sinhala", ((0x0D80, 0x0DFF),), ("Noto Sans Sinhala", "Nirmala UI", "Iskoola Pota")),
    ("Tibetan", ((0x0F00, 0x0FFF),), ("Noto Serif Tibetan", "Jomolhari", "Microsoft Himalaya")),
    ("Ethiopic", ((0x1200, 0x139F),), ("Noto Sans Ethiopic", "Abyssinica SIL", "Ebrima", "Nyala")),
    ("emoji", ((0x1F000, 0x1FAFF),), ("Noto Emoji", "Segoe UI Emoji", "Symbola")),
)
#: The families of each script of `SCRIPT_FONTS`, a group per script, for `use_fallback_fonts`.
FALLBACK_FONTS = tuple(families for _, _, families in SCRIPT_FONTS)
#: matplotlib's (3.11 and later) font of boxes for characters no other font has: named last
#: among the families, it draws them as it would anyway, without warning of each glyph.
LAST_RESORT = "Last Resort High-Efficiency"


def use_fallback_fonts(groups: Sequence[Sequence[str]] = FALLBACK_FONTS) -> list[str]:
    """Add to matplotlib's font families (``font.family``), after the ones set, the first
    installed family of each of `groups`, then `LAST_RESORT`; return the families added of
    `groups`.

    matplotlib draws each character with the first family that has it, so the default font
    still draws every character it has (a chart of Latin names is drawn as before) and an
    installed font draws the Japanese or emoji it lacks. Installed fonts are those matplotlib's
    font manager has listed (once, in its cache): no font file is read here."""
    from matplotlib import font_manager

    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    families = [family for family in plt.rcParams["font.family"] if family != LAST_RESORT]
    found = [next(f for f in group if f in installed) for group in groups if installed & {*group}]
    added = [family for family in dict.fromkeys(found) if family not in families]
    last = plt.rcParams.get("font.enable_last_resort") and LAST_RESORT in installed
    plt.rcParams["font.family"] = families + added + ([LAST_RESORT] if last else [])
    return added


use_fallback_fonts()


def undrawable_labels(fig: Figure) -> list[str]:
    """The texts of `fig` (titles, tick and axis labels, legends, notes) with a character that
    none of their fonts but `LAST_RESORT` has, which matplotlib draws as a box: as drawn
    (scrubbed, `scrub_drawn_text`), read aloud (`_plain`), each once."""
    found = [_plain(t.get_text()) for t in _figure_texts(fig) if _missing_characters(t)]
    return list(dict.fromkeys(found))


def undrawable_characters(fig: Figure) -> str:
    """The characters of `fig`'s texts (`undrawable_labels`) that none of their fonts has,
    each once, for `undrawable_note` to name their scripts."""
    return "".join(dict.fromkeys(c for t in _figure_texts(fig) for c in _missing_characters(t)))


def undrawable_note(labels: Sequence[str], characters: str = "", most: int = 3) -> str | None:
    """The line above a chart whose `labels` (`undrawable_labels`) have `characters` its fonts
    cannot draw (`undrawable_characters`); None when there are none. It names at most `most`
    labels, and the fonts to install: one per script of `SCRIPT_FONTS` among `characters`,
    and for the others (or when `characters` is not given) a font that has them, which
    matplotlib uses once named in its ``font.family`` (only `FALLBACK_FONTS` are added)."""
    if not labels:
        return None
    named = ", ".join(f'"{label}"' for label in labels[:most])
    more = f" and {counted(len(labels) - most, 'other')}" if len(labels) > most else ""
    return (
        f"some chart labels below have characters the chart's fonts cannot draw, drawn as "
        f"boxes: {named}{more}; the tables and CSV exports show them whole. "
        f"{_font_advice(characters)}"
    )


def _font_advice(characters: str) -> str:
    """What draws `characters` (`undrawable_note`): a font per script of `SCRIPT_FONTS`, once
    installed and found by matplotlib, or a font named in ``font.family`` for the others."""
    scripts = {script: families[0] for script, _, families in SCRIPT_FONTS}
    found = dict.fromkeys(_script_of(c) for c in characters)
    listed = [f"{script} (e.g. {scripts[script]})" for script in found if script]
    others = None in found or not characters
    advice = []
    if listed:
        advice.append(
            f"A font for {listed_names(listed)}, once installed and in matplotlib's font list "
            "(rebuilt when its fontlist-*.json in matplotlib.get_cachedir() is deleted), "
            "draws them"
        )
    if others:
        which = "the other characters" if listed else "them"
        advice.append(
            f"{'a' if listed else 'A'} font that has {which} draws them once added to "
            "matplotlib's font.family"
        )
    return "; ".join(advice)


def _script_of(character: str) -> str | None:
    """The script of `SCRIPT_FONTS` whose blocks hold `character`, else None."""
    point = ord(character)
    for script, blocks, _ in SCRIPT_FONTS:
        if any(first <= point <= last for first, last in blocks):
            return script
    return None


def _figure_texts(fig: Figure) -> list[Text]:
    """The visible, non-empty texts of `fig`: its tick labels as they will be drawn (a tick
    matplotlib keeps unused holds a label of before), every other text as it is."""
    texts = []
    for ax in fig.axes:
        texts += ax.get_xticklabels(which="both") + ax.get_yticklabels(which="both")
    texts += [t for t in _texts_beside_ticks(fig) if t.get_visible()]
    return [t for t in texts if t.get_text()]


def _texts_beside_ticks(artist) -> list[Text]:
    """The `Text`s among `artist` and its children, those of its ticks left out."""
    if isinstance(artist, Tick):
        return []
    texts = [artist] if isinstance(artist, Text) else []
    for child in artist.get_children():
        texts += _texts_beside_ticks(child)
    return texts


def _missing_characters(text: Text) -> str:
    """The characters `text` draws that are in none of the fonts it is drawn with."""
    charmaps = [_charmap(path) for path in _font_files(text.get_fontproperties())]
    drawn = dict.fromkeys(text.get_text().replace("\n", ""))  # a line break is not drawn
    return "".join(c for c in drawn if all(ord(c) not in charmap for charmap in charmaps))


def _font_files(prop) -> list[str]:
    """The files of the fonts matplotlib draws text of `prop` with, one per family it has a
    font of (matplotlib's own choice, cached by it), `LAST_RESORT`'s left out."""
    from matplotlib import font_manager

    files = []
    for family in prop.get_family():
        if family == LAST_RESORT:
            continue
        one = prop.copy()
        one.set_family(family)
        with contextlib.suppress(ValueError):  # no font of that family: none draws the text
            files.append(font_manager.findfont(one, fallback_to_default=False))
    return files


@functools.lru_cache(maxsize=16)
def _charmap(path: str) -> frozenset[int]:
    """The characters the font of `path` has a glyph for."""
    from matplotlib import font_manager

    return frozenset(font_manager.get_font(path).get_charmap())


def chart_alt(fig: Figure) -> str:
    """A chart's alternative text, for readers who cannot see the image: "Chart:", its figure
    title, then per panel (twin axes sharing a place are one panel), its title, its axis
    labels ("x axis: ...", "y axis: ..."), its legend's entries and its no-data reason, all as
    drawn: without `literal`'s `$` escapes, on one line, and passed through `scrub_drawn_text`'s
    scrub (no e-mail address or personal name where the chart's texts hold none)."""
    panels: dict[tuple[float, ...], list[str]] = {}
    for ax in fig.axes:
        if ax.get_visible():
            place = tuple(np.round(ax.get_position().bounds, 3))
            panels.setdefault(place, []).extend(_panel_texts(ax))
    said = [parts for parts in panels.values() if parts]
    title = _plain(fig.get_suptitle())
    text = f"Chart: {title}." if title else "Chart:"
    for number, parts in enumerate(said, start=1):
        label = f" Panel {number}: " if len(said) > 1 else " "
        text += label + "; ".join(dict.fromkeys(parts)) + "."
    return _drawn(text if said or title else "Chart without a title or axis labels.")


def _panel_texts(ax: Axes) -> list[str]:
    """What `chart_alt` says of one axes: title, axis labels, legend entries, no-data reason."""
    titles = [_plain(ax.get_title(where)) for where in ("left", "center", "right")]
    parts = [t for t in titles if t]
    for name, label in (("x", ax.get_xlabel()), ("y", ax.get_ylabel())):
        if _plain(label):
            parts.append(f"{name} axis: {_plain(label)}")
    legend = ax.get_legend()
    entries = [_plain(t.get_text()) for t in legend.get_texts()] if legend is not None else []
    if any(entries):
        parts.append("legend: " + ", ".join(e for e in entries if e))
    reason = no_data_reason(ax)
    if reason:
        parts.append(NO_DATA.format(reason=_plain(reason)))
    return parts


def _plain(text: str) -> str:
    """A drawn text as read aloud: `literal`'s `\\$` as `$`, whitespace squeezed to one line."""
    return " ".join(str(text).replace(r"\$", "$").split())


def _axes(ax: Axes | None, figsize=FIGSIZE) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


#: What an empty panel says; `reason` says what is missing and why.
NO_DATA = "no data: {reason}"


def no_data(
    ax: Axes | None = None,
    reason: str = "nothing to show",
    title: str | None = None,
    figsize=FIGSIZE,
) -> Axes:
    """Write "no data: <reason>" across the axes instead of leaving an empty panel.

    The ticks and the frame go (there is no scale to read); the title stays, or is `title`.
    """
    ax = _axes(ax, figsize)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.text(
        0.5,
        0.5,
        textwrap.fill(_drawn(NO_DATA.format(reason=reason)), width=48),
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=10,
        color="#595959",
        gid="smk-no-data",
    )
    if title is not None:
        ax.set_title(title)
    return ax


def no_data_reason(ax: Axes) -> str | None:
    """The reason `no_data` wrote on `ax` (None: the axes show data)."""
    for text in ax.texts:
        if text.get_gid() == "smk-no-data":
            return " ".join(text.get_text().split()).removeprefix(NO_DATA.format(reason=""))
    return None


@checked_tables
def funnel_chart(
    counts: pd.DataFrame,
    ax: Axes | None = None,
    title: str | None = None,
    owner_colors: dict[str, str] | None = None,
    empty_reason: str | None = None,
    **bar_kwargs,
) -> Axes:
    """A centred horizontal funnel from `smk.funnel.funnel_counts` (no breakdown).

    Bars are coloured by the AIDA owner (marketing: Attention, Interest, Desire; sales: Action)
    and labelled with the count and its ratio to the stage above (`ratio_to_previous`: in a
    month a ratio of two flows, "5.00×" when 10 MQLs came of earlier leads and 2 leads are
    new, not a conversion). Without a contact in any stage the axes say so (`empty_reason`,
    or a reason of its own).
    """
    from smk.funnel import AIDA_OWNER

    ax = _axes(ax)
    title = title or "Lifecycle funnel: contacts per stage (blue: marketing, orange: sales)"
    if not len(counts) or not (counts["contacts"].fillna(0) > 0).any():
        return no_data(ax, empty_reason or "no contact entered a funnel stage", title)
    colors = owner_colors or {"marketing": MARKETING, "sales": SALES}
    rows = counts.reset_index(drop=True)
    y = np.arange(len(rows))[::-1]
    widths = rows["contacts"].to_numpy(dtype=float)
    color = [colors[AIDA_OWNER[a]] for a in rows["aida"]]
    ax.barh(y, widths, left=-widths / 2, color=color, **bar_kwargs)
    top = widths.max() if len(widths) and widths.max() > 0 else 1.0
    for yi, row in zip(y, rows.itertuples(), strict=True):
        text = f"{row.contacts:,}"
        if not pd.isna(row.ratio_to_previous):
            text += f"  ({row.ratio_to_previous:.2f}× the stage above)"
        ax.text(top / 2 + top * 0.02, yi, text, va="center", fontsize=9)
    ax.set_yticks(y, [f"{literal(row.label)} ({row.aida})" for row in rows.itertuples()])
    ax.set_xlim(-top / 2 * 1.05, top * 1.15)
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title(title)
    return ax


def speed_to_lead_histogram(
    hours: pd.Series | Sequence[float],
    sla_hours: float,
    ax: Axes | None = None,
    max_hours: float | None = None,
    bins: int = 30,
    title: str | None = None,
    unit: str = "hours",
    empty_reason: str | None = None,
    **hist_kwargs,
) -> Axes:
    """Distribution of speed to lead (worked MQLs) with the SLA's maximum as a vertical line.

    Values above `max_hours` (default: 4x the SLA) are gathered in the last bin so the tail
    stays visible. Without a worked MQL the axes say so (`empty_reason`, or how many MQLs
    there were).
    """
    ax = _axes(ax)
    given = pd.Series(hours, dtype="float64")
    values = given.dropna()
    if values.empty:
        title = title or "Speed to lead: most MQLs should sit left of the SLA line"
        if empty_reason is None:
            n = len(given)
            who = "the one MQL has no" if n == 1 else f"none of the {n:,} MQLs has a"
            empty_reason = (
                "no MQLs to time"
                if n == 0
                else f"{who} first sales activity yet (not worked, or none was loaded)"
            )
        return no_data(ax, empty_reason, title)
    limit = max_hours if max_hours is not None else 4 * sla_hours
    clipped = values.clip(upper=limit)
    hist_kwargs.setdefault("color", SALES)
    ax.hist(clipped, bins=np.linspace(0, limit, bins + 1), **hist_kwargs)
    ax.axvline(sla_hours, color=TARGET, linestyle="--", linewidth=2)
    share = float((values <= sla_hours).mean()) if len(values) else float("nan")
    label = f"SLA: {sla_hours:g} {unit}"
    if not np.isnan(share):
        label += f" ({share:.0%} of worked MQLs within)"
    ax.text(sla_hours, ax.get_ylim()[1] * 0.95, " " + label, color=TARGET, va="top", fontsize=9)
    ax.set_xlabel(f"{unit} from MQL to first sales activity (last bin: {limit:g} or more)")
    ax.set_ylabel("MQLs")
    ax.set_title(title or "Speed to lead: most MQLs should sit left of the SLA line")
    return ax


@checked_tables
def mqls_vs_target(
    monthly: pd.DataFrame,
    target: float | None = None,
    ax: Axes | None = None,
    value: str = "mqls",
    title: str | None = None,
    empty_reason: str | None = None,
    **bar_kwargs,
) -> Axes:
    """Monthly MQLs (bars, from `smk.sla.sla_by_month`) against the target (dashed line);
    months below target are drawn lighter, and the legend says which shade is which
    (`colour_key`; not when the caller's `color` replaces the shades). Without a month, or
    with no MQL in any month, the axes say so (`empty_reason`, or a reason of their own)."""
    ax = _axes(ax)
    if not len(monthly) or not (monthly[value].astype(float).fillna(0) > 0).any():
        if empty_reason is None:
            label = "MQLs" if value == "mqls" else value.replace("_", " ")
            empty_reason = f"no {label} " + (
                _span(monthly["month"]) if len(monthly) else "in any month"
            )
        return no_data(ax, empty_reason, title or "MQLs delivered per month against the target")
    months = monthly["month"].astype(str).tolist()
    values = monthly[value].to_numpy(dtype=float)
    if target is None and "mql_target" in monthly:
        target = float(monthly["mql_target"].iloc[0]) if len(monthly) else None
    below = values < target if target is not None else np.zeros(len(values), dtype=bool)
    keyed = "color" not in bar_kwargs  # a caller's own colours are the caller's to explain
    bar_kwargs.setdefault("color", np.where(below, BELOW_TARGET, MARKETING))
    ax.bar(months, values, **bar_kwargs)
    if target is not None:
        ax.axhline(target, color=TARGET, linestyle="--", linewidth=2, label=f"target {target:g}")
        met = [("target met", MARKETING)] if (~below).any() else []
        missed = [("below target", BELOW_TARGET)] if below.any() else []
        colour_key(ax, met + missed if keyed else [], **_KEY_BESIDE)
    ax.set_ylabel("MQLs")
    month_ticks(ax, months)
    ax.set_title(title or "MQLs delivered per month against the target")
    return ax


@checked_tables
def trend(
    table: pd.DataFrame,
    column: str,
    target: float | None = None,
    ax: Axes | None = None,
    x: str = "month",
    title: str | None = None,
    percent: bool = False,
    empty_reason: str | None = None,
    **plot_kwargs,
) -> Axes:
    """A monthly line of any column (e.g. share_within_sla) with an optional target line; the
    axes say "no data" when no month has a value (`empty_reason`, or a reason of their own).
    An x of months ("YYYY-MM") is labelled as `month_ticks` says; any other x, every value."""
    ax = _axes(ax)
    if not len(table) or table[column].astype(float).isna().all():
        if empty_reason is None:
            what = column.replace("_", " ")
            empty_reason = (
                f"{what} is unknown {_span(table[x])}" if len(table) else "no months to show"
            )
        return no_data(ax, empty_reason, title or column.replace("_", " "))
    plot_kwargs.setdefault("marker", "o")
    labels = table[x].astype(str).map(literal).tolist()
    at = np.arange(len(labels))  # by place: two long names cut alike stay two points
    ax.plot(at, table[column].astype(float), **plot_kwargs)
    if target is not None:
        ax.axhline(target, color=TARGET, linestyle="--", linewidth=1.5)
    if percent:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    if all(_MONTH.fullmatch(label) for label in labels):
        month_ticks(ax, labels)
    else:
        ax.set_xticks(at, labels, rotation=45)  # names (owners, stages): every one stays
    ax.set_title(title or column.replace("_", " "))
    return ax


#: At most this many months are labelled on a monthly chart's x axis (`month_ticks`).
MAX_MONTH_LABELS = 12
#: A month as the monthly tables write it ("2026-10").
_MONTH = re.compile(r"\d{4}-\d{2}")


def month_ticks(ax: Axes, months: Sequence[str], most: int = MAX_MONTH_LABELS) -> None:
    """Label at most `most` of the months on a chart's x axis (one bar or point per month, in
    order): every month, or every 2nd, 3rd, 4th, 6th, 12th, 24th... month counted back from
    the last, which is always labelled; every month keeps a tick mark. All 54 months of a long
    export, labelled at 45 degrees, ran together into a black band."""
    step = _month_step(len(months), most)
    shown = list(range(len(months) - 1, -1, -step))[::-1]
    ax.set_xticks(range(len(months)), minor=True)
    ax.set_xticks(shown, [months[i] for i in shown], rotation=45)


def _month_step(count: int, most: int) -> int:
    """The fewest months between two labels (1, 2, 3, 4, 6, or a multiple of 12) that labels
    at most `most` of `count` months."""
    for step in (1, 2, 3, 4, 6):
        if -(-count // step) <= most:
            return step
    return 12 * -(-count // (12 * most))


def _span(months: pd.Series) -> str:
    """'in 2026-09' or 'from 2026-07 to 2026-09' for a column of months."""
    labels = months.astype(str)
    first, last = labels.iloc[0], labels.iloc[-1]
    return f"in {first}" if first == last else f"from {first} to {last}"


@checked_tables
def mix_panel(
    mix: pd.DataFrame,
    p: str,
    ax: Axes | None = None,
    top: int = 8,
    currency: str = "",
    title: str | None = None,
    empty_reason: str | None = None,
    **bar_kwargs,
) -> Axes:
    """One of the four P's from `smk.scorecard.marketing_mix`: won revenue per value (bars),
    labelled with the win rate and the average won deal; several dimensions stack.

    When no deal of the window was won (`smk.scorecard.no_won_deal_reason`), or the mix has no
    row of `p`, the axes say so instead (`empty_reason` replaces the reason).
    """
    from smk.scorecard import no_won_deal_reason

    ax = _axes(ax, figsize=(6, 4))
    rows = mix[mix["p"] == p]
    if rows.empty or not (rows["won_revenue"].astype(float).fillna(0) != 0).any():
        if empty_reason is None:
            empty_reason = (
                no_won_deal_reason(rows) if len(rows) else f"the marketing mix has no {p} rows"
            )
        return no_data(ax, empty_reason, title or literal(p))
    parts = []
    for _, group in rows.groupby("dimension", sort=False):
        parts.append(group.head(top))  # in the table's order (revenue; price bands by price)
    data = pd.concat(parts) if parts else rows
    labels = [
        f"{r.dimension}: {literal(r.value)}" if len(parts) > 1 else literal(r.value)
        for r in data.itertuples()
    ]
    y = np.arange(len(data))[::-1]
    bar_kwargs.setdefault("color", MARKETING if p == "Promotion" else SALES)
    ax.barh(y, data["won_revenue"].to_numpy(dtype=float), **bar_kwargs)
    ax.set_yticks(y, labels, fontsize=8)
    peak = float(data["won_revenue"].max()) if len(data) else 0.0
    for yi, r in zip(y, data.itertuples(), strict=True):
        rate = "-" if pd.isna(r.win_rate) else f"{r.win_rate:.0%}"
        avg = "-" if pd.isna(r.avg_won_deal) else f"{r.avg_won_deal:,.0f}"
        ax.text(r.won_revenue + peak * 0.01, yi, f"win {rate}, avg {avg}", va="center", fontsize=7)
    ax.set_xlim(0, peak * 1.45 if peak > 0 else 1)
    ax.xaxis.set_major_locator(_SpacedTicks(steps=[1, 2, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.set_xlabel(literal(f"won revenue {currency}".strip()))
    ax.set_title(title or literal(p))
    return ax


#: The four P's in the order `mix_figure` draws them.
FOUR_PS = ("Product", "Price", "Place", "Promotion")


@checked_tables
def mix_figure(mix: pd.DataFrame, currency: str = "", title: str | None = None, **bar_kwargs):
    """The four P's of `smk.scorecard.marketing_mix` as a 2 x 2 figure of `mix_panel`s; when
    no deal of the window was won, one panel that says so (not four empty ones)."""
    from smk.scorecard import no_won_deal_reason

    reason = no_won_deal_reason(mix)
    if reason is not None:
        fig, ax = plt.subplots(figsize=(8, 2.5))
        no_data(ax, reason, title or "Won revenue by the four P's")
        return fig
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    for ax, p in zip(axes.ravel(), FOUR_PS, strict=True):
        mix_panel(mix, p, ax=ax, currency=currency, **bar_kwargs)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


@checked_tables
def attribution_models_chart(
    shares: pd.DataFrame,
    ax: Axes | None = None,
    title: str | None = None,
    highlight: Sequence[str] = ("markov", "shapley"),
    empty_reason: str | None = None,
    **bar_kwargs,
) -> Axes:
    """Side-by-side bars of each channel's share of the credit under every model.

    `shares`: channels as rows, models as columns (`smk.attribution.shares_wide`). Data-driven
    models (`highlight`) are drawn in the marketing colour, rule-based ones in greys. Without
    a share the axes say so (`empty_reason`).
    """
    ax = _axes(ax, figsize=(10, 4.8))
    if shares.empty or shares.astype(float).isna().all().all():
        return no_data(
            ax,
            empty_reason or "no conversion was credited to a channel",
            title or "Credit per channel: rule-based models (grey) vs data-driven (colour)",
        )
    channels = list(shares.index)
    models = list(shares.columns)
    x = np.arange(len(channels))
    width = 0.85 / max(len(models), 1)
    greys = plt.get_cmap("Greys")(np.linspace(0.3, 0.75, max(len(models), 1)))
    for i, model in enumerate(models):
        color = MARKETING if model in highlight else greys[i]
        if model == "shapley":
            color = SALES
        ax.bar(
            x + (i - (len(models) - 1) / 2) * width,
            shares[model].to_numpy(dtype=float),
            width,
            label=literal(model),
            color=color,
            **bar_kwargs,
        )
    ax.set_xticks(x, [literal(c) for c in channels], rotation=30, ha="right")
    ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylabel("share of conversions credited")
    ax.legend(ncol=4, fontsize=7, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(title or "Credit per channel: rule-based models (grey) vs data-driven (colour)")
    return ax


@checked_tables
def attribution_intervals(
    intervals: pd.DataFrame,
    ax: Axes | None = None,
    title: str | None = None,
    color: str = SALES,
    empty_reason: str | None = None,
    **errorbar_kwargs,
) -> Axes:
    """Each channel's share with its bootstrap interval (`smk.attribution.bootstrap`).

    Channels whose bars overlap widely are not reliably different. Without a channel's share
    the axes say so (`empty_reason`). The x-axis label says on how many resamples the
    intervals rest, when `intervals` has bootstrap's ``resamples`` column.
    """
    ax = _axes(ax)
    if intervals.empty or intervals["share"].astype(float).isna().all():
        return no_data(
            ax,
            empty_reason or "no channel has a share to draw an interval around",
            title or "Data-driven credit with bootstrap intervals: overlapping bars are ties",
        )
    key = intervals.columns[0]
    frame = intervals.sort_values("share")
    y = np.arange(len(frame))
    share = frame["share"].to_numpy(dtype=float)
    err = np.vstack(
        [
            share - frame["share_low"].to_numpy(dtype=float),
            frame["share_high"].to_numpy(dtype=float) - share,
        ]
    )
    ax.errorbar(
        share, y, xerr=np.clip(err, 0, None), fmt="o", color=color, capsize=4, **errorbar_kwargs
    )
    ax.set_yticks(y, frame[key].astype(str).map(literal).tolist())
    ax.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    label = "share of conversions credited"
    if "resamples" in frame.columns:  # some may have been left out: no conversion drawn
        label += f" (intervals on {int(frame['resamples'].iloc[0]):,} resamples)"
    ax.set_xlabel(label)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(title or "Data-driven credit with bootstrap intervals: overlapping bars are ties")
    return ax


# ------------------------------------------------------------------ segmentation (notebook 02)
#: Profile measures the segment heatmap shows by default (plus every channel_<c> share).
SEGMENT_PROFILE_COLUMNS: tuple[str, ...] = (
    "share_of_accounts",
    "share_of_revenue",
    "conversion_rate",
    "median_deal_size",
    "median_employees",
    "median_days_to_customer",
)


@checked_tables
def segment_selection(
    selection: pd.DataFrame,
    chosen: int | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    empty_reason: str | None = None,
    **line_kwargs,
) -> Axes:
    """BIC (lower is better) and silhouette (higher is better) per number of segments, from
    `AccountSegmenter.selection_`, with the chosen number marked; "no data" on the axes when
    no number was scored (`empty_reason`)."""
    ax = _axes(ax, figsize=(7, 3.5))
    if selection.empty or selection[["bic", "silhouette"]].isna().all().all():
        return no_data(
            ax,
            empty_reason or "no number of segments could be scored",
            title or "How many segments?",
        )
    x = selection["n_segments"]
    has_bic = selection["bic"].notna().any()
    if has_bic:
        ax.plot(
            x,
            selection["bic"],
            marker="o",
            color=MARKETING,
            label="BIC (lower is better)",
            **line_kwargs,
        )
        ax.set_ylabel("BIC")
        other = ax.twinx()
    else:
        other = ax
    other.plot(
        x,
        selection["silhouette"],
        marker="s",
        color=SALES,
        label="silhouette (higher is better)",
        **line_kwargs,
    )
    other.set_ylabel("silhouette")
    handles = ax.get_legend_handles_labels()[0] + (
        other.get_legend_handles_labels()[0] if other is not ax else []
    )
    ax.legend(handles, [h.get_label() for h in handles], loc="upper right", fontsize="small")
    if chosen is not None:
        ax.axvline(chosen, color=NEUTRAL, linestyle="--")
    ax.set_xticks(list(x))
    ax.set_xlabel("number of segments")
    ax.set_title(
        title
        or (f"How many segments? The data supports {chosen}" if chosen else "How many segments?")
    )
    return ax


@checked_tables
def segment_profiles_heatmap(
    profiles: pd.DataFrame,
    columns: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    empty_reason: str | None = None,
    **imshow_kwargs,
) -> Axes:
    """Segments (rows) x profile measures (columns) from `smk.segmentation.persona_profiles`,
    coloured by how far each segment is from the average segment (a key beside the map says
    which colour is above and which below: `colour_key`), annotated with the values; "no data"
    on the axes without a segment (`empty_reason`)."""
    if profiles.empty:
        return no_data(
            ax,
            empty_reason or "no segments to profile",
            title or "Segment profiles: red = above the average segment, blue = below",
            figsize=(8, 2.5),
        )
    if columns is None:
        columns = [c for c in SEGMENT_PROFILE_COLUMNS if c in profiles] + [
            c for c in profiles.columns if c.startswith("channel_")
        ]
    values = profiles[list(columns)].astype("float64")
    spread = values.std(ddof=0).replace(0, 1.0)
    z = ((values - values.mean()) / spread).fillna(0.0)
    ax = _axes(ax, figsize=(max(8, 0.9 * len(columns)), 0.6 * len(profiles) + 1.8))
    imshow_kwargs.setdefault("cmap", "RdBu_r")
    image = ax.imshow(z.to_numpy(), vmin=-2, vmax=2, aspect="auto", **imshow_kwargs)
    shades = (
        (1.5, "above the average segment"),
        (0, "about average"),
        (-1.5, "below the average segment"),
    )
    colour_key(
        ax,
        [(label, image.cmap(image.norm(level))) for level, label in shades],
        title="cell colour",
        title_fontsize="small",
        **_KEY_BESIDE,
    )
    names = profiles["persona"] if "persona" in profiles else profiles["segment"].astype(str)
    ax.set_yticks(
        range(len(profiles)),
        [f"{literal(s)}: {literal(p)}" for s, p in zip(profiles["segment"], names, strict=True)],
    )
    ax.set_xticks(
        range(len(columns)),
        [literal(c.removeprefix("channel_").replace("_", " ")) for c in columns],
        rotation=45,
        ha="right",
    )
    for i in range(values.shape[0]):
        for j, col in enumerate(columns):
            v = values.iat[i, j]
            share = "share" in col or "rate" in col or col.startswith("channel_")
            text = "" if pd.isna(v) else (share_text(v) if share else f"{v:,.0f}")
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=7,
                color="white" if abs(z.iat[i, j]) > 1.2 else "black",
            )
    ax.set_title(title or "Segment profiles: red = above the average segment, blue = below")
    return ax


@checked_tables
def segment_map(
    points: pd.DataFrame,
    ax: Axes | None = None,
    title: str | None = None,
    empty_reason: str | None = None,
    **scatter_kwargs,
) -> Axes:
    """Accounts in two dimensions coloured by segment, from `smk.segmentation.segment_projection`
    (columns x, y, segment): clouds that sit apart are segments that really differ; "no data"
    on the axes without an account (`empty_reason`)."""
    ax = _axes(ax, figsize=(7, 5))
    if points.empty:
        return no_data(
            ax,
            empty_reason or "no accounts to place",
            title or "Accounts by segment (a 2-D projection of their features)",
        )
    scatter_kwargs.setdefault("s", 8)
    scatter_kwargs.setdefault("alpha", 0.6)
    for segment, group in points.groupby("segment", sort=True):
        ax.scatter(group["x"], group["y"], label=f"segment {literal(segment)}", **scatter_kwargs)
    ax.set_xlabel("first principal component")
    ax.set_ylabel("second principal component")
    ax.legend(fontsize="small", markerscale=2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(title or "Accounts by segment (a 2-D projection of their features)")
    return ax
