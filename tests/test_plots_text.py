"""Names from the CRM are drawn literally: matplotlib reads the text between two `$` as a math
formula, so a campaign "promo_$5_off_$10" failed the marketing-mix chart (and the monthly
report) and "Give $50, get $50" was drawn as math italics. Each chart that draws CRM names must
render them without error and show each name as it is; names without `$` stay unchanged."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from smk import plots  # noqa: E402

#: CRM names by what matplotlib did with them: fail to draw, draw as math, draw as they are.
NAME_SETS = {
    "parse-error": ("promo_$5_off_$10", "{x}$", "a_b^c", r"back\$slash $x$", "plain"),
    "silent-math": ("Give $50, get $50", "$x$ off", "{x}$", "a_b^c", "plain"),
    "plain": ("brand-search", "a_b^c", "Paid Social (EMEA)", "{x}", "organic_search"),
}
names_param = pytest.mark.parametrize("names", list(NAME_SETS.values()), ids=list(NAME_SETS))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def shown(text: Text) -> str:
    """What a reader sees of `text`: matplotlib's own reading of it, which must not be math."""
    string, math = text._preprocess_math(text.get_text())
    assert math is False, f"{text.get_text()!r} is drawn as a math formula"
    return string


def rendered(fig) -> list[str]:
    """Draw `fig` with Agg (math is parsed here) and return every text a reader sees."""
    fig.canvas.draw()
    return [shown(t) for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def test_literal_escapes_dollars_only():
    assert plots.literal("promo_$5_off_$10") == r"promo_\$5_off_\$10"
    for name in NAME_SETS["plain"]:
        assert plots.literal(name) == name  # the sample's labels stay byte-identical
    assert plots.literal(3) == "3"


def _mix(values: tuple[str, ...]) -> pd.DataFrame:
    """A marketing mix (`smk.scorecard.marketing_mix`) with `values` in every dimension."""
    rows = []
    for p in plots.FOUR_PS:
        for dimension in ("campaign", "channel") if p == "Promotion" else ("product",):
            for i, value in enumerate(values):
                rows.append(
                    {
                        "p": p,
                        "dimension": dimension,
                        "value": value,
                        "deals_closed": 4,
                        "deals_won": 2,
                        "win_rate": 0.5,
                        "won_revenue": 1000.0 * (i + 1),
                        "share_of_won_revenue": 0.1,
                        "avg_won_deal": 500.0 * (i + 1),
                    }
                )
    return pd.DataFrame(rows)


@names_param
def test_mix_figure_draws_campaign_names_literally(names):
    seen = rendered(plots.mix_figure(_mix(names), currency="EUR", title="Four P's"))
    for name in names:
        assert name in seen  # Product, Price, Place: one dimension, the value alone
        assert f"campaign: {name}" in seen and f"channel: {name}" in seen


def test_mix_panel_draws_the_currency_literally():
    ax = plots.mix_panel(_mix(("a", "b")), "Price", currency="US$ ($)")
    assert "won revenue US$ ($)" in rendered(ax.figure)


@names_param
def test_tick_labels_without_dollar_are_unchanged(names):
    labels = [t.get_text() for t in plots.mix_panel(_mix(names), "Product").get_yticklabels()]
    assert labels == [n.replace("$", r"\$") for n in names]  # matplotlib's escape, only of `$`
    if "$" not in "".join(names):
        assert labels == list(names)


@names_param
def test_funnel_chart_draws_stage_labels_literally(names):
    counts = pd.DataFrame(
        {
            "stage": ["lead", "mql"],
            "label": list(names[:2]),
            "aida": ["Attention", "Action"],
            "contacts": [10, 4],
            "ratio_to_previous": [float("nan"), 0.4],
        }
    )
    seen = rendered(plots.funnel_chart(counts).figure)
    assert f"{names[0]} (Attention)" in seen and f"{names[1]} (Action)" in seen


@names_param
def test_attribution_models_chart_draws_channel_names_literally(names):
    shares = pd.DataFrame(
        {"last_touch": [0.2] * len(names), names[1]: [0.2] * len(names)},
        index=pd.Index(names, name="channel"),
    )
    ax = plots.attribution_models_chart(shares)
    assert set(names) <= set(rendered(ax.figure))
    assert [shown(t) for t in ax.get_legend().get_texts()] == ["last_touch", names[1]]


@names_param
def test_attribution_intervals_draws_channel_names_literally(names):
    intervals = pd.DataFrame(
        {
            "channel": list(names),
            "share": [0.1, 0.2, 0.3, 0.15, 0.25],
            "share_low": [0.05] * 5,
            "share_high": [0.4] * 5,
        }
    )
    assert set(names) <= set(rendered(plots.attribution_intervals(intervals).figure))


@names_param
def test_segment_profiles_heatmap_draws_persona_and_channel_names_literally(names):
    profiles = pd.DataFrame(
        {
            "segment": [0, 1],
            "persona": list(names[:2]),
            "share_of_accounts": [0.4, 0.6],
            f"channel_{names[1]}": [0.5, 0.1],
            f"channel_{names[0]}": [0.5, 0.9],
        }
    )
    seen = rendered(plots.segment_profiles_heatmap(profiles).figure)
    assert f"0: {names[0]}" in seen and f"1: {names[1]}" in seen
    assert names[1].replace("_", " ") in seen and names[0].replace("_", " ") in seen


@names_param
def test_segment_map_draws_segment_names_literally(names):
    points = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 0.5], "segment": names[:3]})
    ax = plots.segment_map(points)
    rendered(ax.figure)
    legend = [shown(t) for t in ax.get_legend().get_texts()]
    assert legend == [f"segment {s}" for s in sorted(names[:3])]


@names_param
def test_trend_draws_category_names_literally(names):
    table = pd.DataFrame({"owner": list(names), "rate": [0.1, 0.2, 0.3, 0.4, 0.5]})
    assert set(names) <= set(rendered(plots.trend(table, "rate", x="owner").figure))


@names_param
def test_feature_importance_draws_feature_descriptions_literally(names):
    """Lead scoring's importance chart labels bars with feature descriptions, which may name
    CRM values (a source, an industry)."""
    from smk.scoring.explain import plot_importance

    importance = pd.DataFrame(
        {"description": list(names), "importance": [0.1] * len(names), "std": [0.01] * len(names)}
    )
    ax = plot_importance(importance)
    texts = rendered(ax.figure)
    for name in names:
        assert name in texts


# ------------------------------------------------------------------ colours say what they mean
def _legend(ax) -> dict[str, tuple]:
    """The axes' legend: each entry's text -> the colour of its swatch or line (RGBA)."""
    legend = ax.get_legend()
    assert legend is not None, "no legend says what the colours mean"
    handles = legend.legend_handles
    colours = [h.get_facecolor() if hasattr(h, "get_facecolor") else h.get_color() for h in handles]
    return {
        t.get_text(): matplotlib.colors.to_rgba(c)
        for t, c in zip(legend.get_texts(), colours, strict=True)
    }


def test_the_monthly_mql_bars_say_which_shade_is_a_month_below_target():
    monthly = pd.DataFrame({"month": ["2026-08", "2026-09", "2026-10"], "mqls": [50, 70, 40]})
    ax = plots.mqls_vs_target(monthly, target=60)
    bars = [matplotlib.colors.to_rgba(p.get_facecolor()) for p in ax.patches]
    key = _legend(ax)
    assert bars[1] == key["target met"] and bars[0] == bars[2] == key["below target"]
    assert key["target met"] != key["below target"]
    assert "legend: target 60, target met, below target" in plots.chart_alt(ax.figure)
    every_month_met = plots.mqls_vs_target(monthly.assign(mqls=[60, 70, 80]), target=60)
    assert list(_legend(every_month_met)) == ["target 60", "target met"]  # no shade not drawn
    own_colour = plots.mqls_vs_target(monthly, target=60, color="grey")
    assert list(_legend(own_colour)) == ["target 60"]  # the caller's colour: no key of ours


def test_the_segment_heatmap_says_which_colour_is_above_and_which_below_average():
    profiles = pd.DataFrame(
        {"segment": [1, 2, 3], "persona": ["a", "b", "c"], "conversion_rate": [0.1, 0.2, 0.3]}
    )
    ax = plots.segment_profiles_heatmap(profiles)
    image = ax.get_images()[0]
    key = _legend(ax)
    cells = image.to_rgba(image.get_array())[:, 0]  # segment 3 above average, 1 below

    def nearest(cell) -> str:  # the key entry whose swatch has the cell's colour, or nearest
        return min(key, key=lambda k: sum((a - b) ** 2 for a, b in zip(cell, key[k], strict=True)))

    assert [nearest(c) for c in cells] == [
        "below the average segment",
        "about average",
        "above the average segment",
    ]
    alt = plots.chart_alt(ax.figure)
    assert "legend: above the average segment, about average, below the average segment" in alt


# ------------------------------------------------------------------ long names, control characters
def _profiles(name: str) -> pd.DataFrame:
    """Two segments' profiles (`smk.segmentation.persona_profiles`): `name` is a persona and
    a channel."""
    return pd.DataFrame(
        {
            "segment": [0, 1],
            "persona": [name, "b"],
            "share_of_accounts": [0.4, 0.6],
            f"channel_{name}": [0.5, 0.1],
        }
    )


def _importance(name: str):
    from smk.scoring.explain import plot_importance

    frame = pd.DataFrame({"description": [name, "b"], "importance": [0.1, 0.2], "std": [0.01] * 2})
    return plot_importance(frame).figure


#: Each chart that draws names from the CRM, drawn with `name` as one of them.
CHARTS = {
    "four P's": lambda name: plots.mix_figure(_mix((name, "b")), currency="EUR", title="t"),
    "segment profiles": lambda name: plots.segment_profiles_heatmap(_profiles(name)).figure,
    "segment map": lambda name: (
        plots.segment_map(
            pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0], "segment": [name, "b"]})
        ).figure
    ),
    "funnel": lambda name: (
        plots.funnel_chart(
            pd.DataFrame(
                {
                    "stage": ["lead", "mql"],
                    "label": [name, "b"],
                    "aida": ["Attention", "Action"],
                    "contacts": [10, 4],
                    "ratio_to_previous": [float("nan"), 0.4],
                }
            )
        ).figure
    ),
    "attribution models": lambda name: (
        plots.attribution_models_chart(
            pd.DataFrame({"last_touch": [0.2, 0.8]}, index=pd.Index([name, "b"], name="channel"))
        ).figure
    ),
    "attribution intervals": lambda name: (
        plots.attribution_intervals(
            pd.DataFrame(
                {
                    "channel": [name, "b"],
                    "share": [0.2, 0.8],
                    "share_low": [0.1] * 2,
                    "share_high": [0.9] * 2,
                }
            )
        ).figure
    ),
    "trend": lambda name: (
        plots.trend(
            pd.DataFrame({"owner": [name, "b"], "rate": [0.1, 0.2]}), "rate", x="owner"
        ).figure
    ),
    "importance": _importance,
}
charts_param = pytest.mark.parametrize("chart", list(CHARTS.values()), ids=list(CHARTS))


def _drawn_size(fig) -> tuple[int, int]:
    """The size in pixels of the image the page shows of `fig` (the inline backend saves the
    figure's tight bounding box: every text drawn, however far it reaches)."""
    fig.canvas.draw()
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    return round(box.width * fig.dpi), round(box.height * fig.dpi)


def test_literal_cuts_a_long_name_with_an_ellipsis_after_counting_what_is_drawn():
    most = plots.MAX_LABEL_CHARS
    assert plots.literal("x" * most) == "x" * most  # a name that fits stays whole
    assert plots.literal("x" * 10_000) == "x" * (most - 1) + "…"
    assert plots.literal("$" * 10_000) == r"\$" * (most - 1) + "…"  # `$` counts once, as drawn
    assert plots.literal("word " * 100) == ("word " * 12).rstrip() + "…"  # no space before "…"
    assert len(plots.literal("Information Technology and Services", most=20)) == 20


def test_literal_scrubs_a_name_before_cutting_it():
    """A personal name the cut would split is removed whole first: the drawn text's own scrub
    would not know "Zoe Mue…" as a name."""
    plots.scrub_drawn_text(lambda text: text.replace("Zoe Mueller", "(name removed)"))
    try:
        drawn = plots.literal("x" * (plots.MAX_LABEL_CHARS - 8) + " Zoe Mueller")
    finally:
        plots.scrub_drawn_text(None)
    assert "Zoe" not in drawn and drawn.endswith("…")


@charts_param
def test_a_long_crm_name_is_cut_and_the_chart_keeps_its_size(chart):
    """A 10,000-character name drew the four P's chart 83,710 pixels wide ("Tight layout not
    applied" on the page) and the segment profiles 105,315: cut, it takes the room of the
    longest name a chart draws whole, whatever its length."""
    name = "Give $50, get $50 " * 600  # `$` stays literal in what is kept
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = chart(name)
        seen = rendered(fig)
        size = _drawn_size(fig)
    assert [str(w.message) for w in caught] == []
    kept = name[: plots.MAX_LABEL_CHARS - 1].rstrip() + "…"
    assert any(kept in text for text in seen), seen
    assert max(len(text) for text in seen) < 2 * plots.MAX_LABEL_CHARS
    assert size == _drawn_size(chart(name[: plots.MAX_LABEL_CHARS + 1]))


@charts_param
@pytest.mark.parametrize(
    "control", ["\r\n", "\r", "\n", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028"]
)
def test_a_control_character_in_a_crm_name_is_drawn_as_a_space_without_a_warning(chart, control):
    """A product line "PROD2\\r\\n=1+1" put matplotlib's ") missing from font(s) DejaVu Sans."
    (its warning of no glyph for the CR) on the published funnel page."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seen = rendered(chart(f"PROD2{control}=1+1"))
    assert [str(w.message) for w in caught] == []
    assert any("PROD2 =1+1" in text for text in seen), seen
    assert not any(plots._CONTROL.search(text) for text in seen)


def test_two_long_names_cut_alike_stay_two_points_of_a_trend():
    """`trend` places its values by position: on a category axis, two owners whose names
    differ only after the cut would have been drawn as one."""
    same_start = "x" * plots.MAX_LABEL_CHARS
    table = pd.DataFrame({"owner": [same_start + "a", same_start + "b"], "rate": [0.1, 0.2]})
    ax = plots.trend(table, "rate", x="owner")
    assert list(ax.get_lines()[0].get_xdata()) == [0, 1]
    assert [t.get_text() for t in ax.get_xticklabels()] == [plots.literal(same_start + "a")] * 2


# ------------------------------------------------------------------ characters no font has
#: A name in scripts the machine's fonts lack (DejaVu Sans, the Last Resort font's boxes aside).
UNDRAWABLE = "🚀 パートナー 製品A"


def _pixels(fig):
    """The image Agg draws of `fig`, as an array."""
    import numpy as np

    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


@charts_param
def test_a_crm_name_no_installed_font_has_is_drawn_without_a_warning_and_named(chart):
    """A HubSpot export's pipeline, product and campaign names in Japanese and emoji put 16 of
    matplotlib's "Glyph 35069 (\\N{CJK UNIFIED IDEOGRAPH-88FD}) missing from font(s) DejaVu
    Sans." above the four P's chart of the published page; the chart's label is kept whole
    (its alternative text and the note read it) and named among the undrawable labels."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = chart(UNDRAWABLE)
        seen = rendered(fig)
    assert any(UNDRAWABLE in text for text in seen), seen
    assert any(UNDRAWABLE in label for label in plots.undrawable_labels(fig))


def test_the_note_names_a_few_labels_as_drawn_and_says_what_shows_them_whole():
    _, ax = plt.subplots()
    ax.set_yticks(range(5), ["パートナー", "製品A", "Give $5, get $5", "🚀 Expansion", "販売"])
    ax.set_xticks([0, 1], ["plain", "مرحبا שלום"])  # Arabic and Hebrew: DejaVu Sans has them
    plots.scrub_drawn_text(lambda text: text.replace("Jane Roe", "[name removed]"))
    try:
        ax.set_title(plots.literal("製品A deals of Jane Roe $"))
    finally:
        plots.scrub_drawn_text(None)
    labels = plots.undrawable_labels(ax.figure)
    assert labels == [
        "パートナー",
        "製品A",
        "🚀 Expansion",
        "販売",
        "製品A deals of [name removed] $",
    ]
    note = plots.undrawable_note(labels, plots.undrawable_characters(ax.figure))
    assert note.startswith(
        "some chart labels below have characters the chart's fonts cannot draw, drawn as "
        'boxes: "パートナー", "製品A", "🚀 Expansion" and 2 others; the tables and CSV exports '
        "show them whole. A font for Chinese, Japanese and Korean (e.g. Noto Sans CJK JP) and "
        "emoji (e.g. Noto Emoji), once installed"
    )
    assert "font.family" not in note and "\n" not in note  # no character of another script
    assert plots.undrawable_note([]) is None
    assert plots.chart_alt(ax.figure) == "Chart: 製品A deals of [name removed] $."


def test_the_note_claims_only_what_was_checked_and_names_the_font_of_each_script():
    """Thai, Devanagari, Bengali and Tamil labels are no Chinese or emoji, and "⌒" is in an
    installed font (DejaVu Sans Mono) that is not among the chart's: the note said "no installed
    font has" them and advised Noto Sans CJK and Noto Emoji, which draw none of them."""
    _, ax = plt.subplots()
    ax.set_yticks(range(5), ["ภาษาไทย", "हिन्दी", "বাংলা", "தமிழ்", "⌒ plan"])
    labels = plots.undrawable_labels(ax.figure)
    assert labels == ["ภาษาไทย", "हिन्दी", "বাংলা", "தமிழ்", "⌒ plan"]
    characters = plots.undrawable_characters(ax.figure)
    assert "⌒" in characters and "p" not in characters
    note = plots.undrawable_note(labels, characters)
    assert "no installed font" not in note and "the chart's fonts cannot draw" in note
    assert (
        "A font for Thai (e.g. Noto Sans Thai), Devanagari (e.g. Noto Sans Devanagari), Bengali "
        "(e.g. Noto Sans Bengali) and Tamil (e.g. Noto Sans Tamil), once installed" in note
    )
    assert note.endswith(
        "a font that has the other characters draws them once added to matplotlib's font.family"
    )
    assert "CJK" not in note and "Emoji" not in note
    symbol = plots.undrawable_note(["⌒ plan"], "⌒")
    assert symbol.endswith("A font that has them draws them once added to matplotlib's font.family")
    for family in ("Noto Sans JP", "Noto Sans SC", "Noto Sans TC", "Noto Sans KR"):
        assert family in plots.FALLBACK_FONTS[0]
    for family in ("Source Han Sans JP", "Source Han Sans SC", "Noto Sans Thai", "Noto Sans Tamil"):
        assert any(family in group for group in plots.FALLBACK_FONTS)


def test_latin_arabic_and_hebrew_labels_are_drawn_as_before_with_no_note():
    """The fallback fonts come after the default one: it draws every character it has, so a
    chart without such characters is the same image, pixel for pixel, as matplotlib's own."""
    names = ("brand-search", "Paid Social (EMEA)", "مرحبا", "שלום", "Ünïcødé €")
    fig = plots.mix_figure(_mix(names), currency="EUR", title="t")
    assert plots.undrawable_labels(fig) == []
    assert plots.LAST_RESORT in matplotlib.rcParams["font.family"]
    ours = _pixels(fig)
    with matplotlib.rc_context({"font.family": ["sans-serif"]}):
        default = _pixels(plots.mix_figure(_mix(names), currency="EUR", title="t"))
    assert (ours == default).all()


def test_an_installed_font_draws_a_character_the_default_font_lacks():
    """DejaVu Sans Mono stands in for an installed CJK font: it has "⌒", DejaVu Sans has not."""
    with matplotlib.rc_context():
        added = plots.use_fallback_fonts([("No Such Font", "DejaVu Sans Mono"), ("None Either",)])
        assert added == ["DejaVu Sans Mono"]
        assert matplotlib.rcParams["font.family"] == [
            "sans-serif",
            "DejaVu Sans Mono",
            plots.LAST_RESORT,
        ]
        assert plots.use_fallback_fonts([("DejaVu Sans Mono",)]) == []  # once is enough
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fig = plots.mix_figure(_mix(("⌒ plan", "b")), currency="EUR", title="t")
            drawn = _pixels(fig)
        assert plots.undrawable_labels(fig) == []
    without = plots.mix_figure(_mix(("⌒ plan", "b")), currency="EUR", title="t")
    boxed = _pixels(without)
    assert "⌒ plan" in plots.undrawable_labels(without)
    assert (drawn != boxed).any()  # drawn with the installed font, not as a box
