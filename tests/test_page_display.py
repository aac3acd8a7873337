"""What a published page shows a reader, as `smk.report.render_html` renders it: every chart
with an alternative text of its own (never nbconvert's placeholder), the set-aside listing and
the attribution page's path tables as tables (not pandas' text dumps), and the lead-scoring
page's caveat about an unusable model once, as text (not a Python warning on stderr).

The page tests read the notebooks as stored (re-executed on the bundled sample by
`python -m smk.notebooks`, checked by nbval); one test runs a small notebook in a kernel.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_notebook

import smk
from smk import config, notebooks, plots, quality
from smk.report import render_html

PLACEHOLDER = "No description has been provided for this image"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _page(notebook: Path, tmp_path: Path) -> BeautifulSoup:
    """The published page of a notebook (as stored, or executed here), parsed."""
    target = render_html(notebook, tmp_path / f"{notebook.stem}.html", {"month": "2026-10"}, None)
    return BeautifulSoup(target.read_text(encoding="utf-8"), "html.parser")


# ------------------------------------------------------------------ charts' alternative text
def test_chart_alt_says_titles_axes_legend_and_why_a_panel_is_empty():
    fig, axes = plt.subplots(1, 2)
    monthly = pd.DataFrame({"month": ["2026-09", "2026-10"], "mqls": [30, 70]})
    plots.mqls_vs_target(monthly, 60, ax=axes[0])
    plots.no_data(axes[1], "no deal closed", title=plots.literal("Won $ by channel"))
    fig.suptitle("SLA in 2026-10")
    alt = plots.chart_alt(fig)
    assert alt == (
        "Chart: SLA in 2026-10. Panel 1: MQLs delivered per month against the target; "
        "y axis: MQLs; legend: target 60, target met, below target. Panel 2: Won $ by channel; "
        "no data: no deal closed."
    )
    ax = plots.segment_selection(
        pd.DataFrame({"n_segments": [2, 3], "bic": [3.0, 2.0], "silhouette": [0.3, 0.4]}), 3
    )  # a twin y axis is part of its panel, not a panel of its own
    assert "Panel" not in plots.chart_alt(ax.figure)
    assert "y axis: BIC" in plots.chart_alt(ax.figure)
    assert "y axis: silhouette" in plots.chart_alt(ax.figure)


def test_chart_alt_passes_through_the_scrub_of_drawn_text():
    plots.scrub_drawn_text(lambda text: text.replace("Jane Roe", "[name removed]"))
    try:
        _, ax = plt.subplots()
        ax.set_title("Deals of Jane Roe")
        assert plots.chart_alt(ax.figure) == "Chart: Deals of [name removed]."
    finally:
        plots.scrub_drawn_text(None)


_SMALL = [
    "import matplotlib.pyplot as plt\n"
    "from smk import notebooks, plots\n"
    "from smk.report import scrub_pii\n"
    "notebooks.describe_charts()\n"
    "plots.scrub_drawn_text(lambda text: scrub_pii(text, {'Jane Roe'}))",
    # shown with plt.show()
    "_, ax = plt.subplots()\n"
    "ax.plot([1, 2], [3, 4])\n"
    "ax.set_title('Deals of Jane Roe <b>&\"x\"</b>')\n"
    "ax.set_xlabel('month')\n"
    "ax.set_ylabel('owner jane@acme.test')\n"
    "plt.show()",
    # left at the end of the cell (the inline backend shows it)
    "plots.no_data(reason='no deal closed', title='Won revenue')",
    # the inline backend's other formats, set after describe_charts: a retina PNG (whose own
    # metadata, its size, replaced an alt kept under image/png) and an SVG
    "%config InlineBackend.figure_formats = ['retina']\n"
    "plots.no_data(reason='none', title='Retina')",
    "%config InlineBackend.figure_formats = ['svg']\nplots.no_data(reason='none', title='Vector')",
    "%config InlineBackend.figure_formats = ['jpeg']\nplots.no_data(reason='none', title='Photo')",
]


def _executed(sources: list[str], tmp_path: Path):
    """A notebook of a code cell per source, executed in a kernel as `smk report` runs one."""
    from nbclient import NotebookClient

    from smk.report import ensure_kernel, kernel_manager_class

    book = new_notebook(cells=[new_code_cell(source) for source in sources])
    NotebookClient(
        book,
        timeout=120,
        kernel_name=ensure_kernel(),
        kernel_manager_class=kernel_manager_class(),
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    return book


def test_every_chart_of_a_page_has_its_alt_text_escaped_and_scrubbed(tmp_path):
    book = _executed(_SMALL, tmp_path)
    path = tmp_path / "small.ipynb"
    nbformat.write(book, path)
    images = ("image/png", "image/svg+xml", "image/jpeg")
    shown = [o for c in book.cells for o in c.outputs if set(images) & set(o.get("data", {}))]
    assert [next(k for k in images if k in o.data) for o in shown] == [
        *["image/png"] * 3,
        "image/svg+xml",
        "image/jpeg",
    ]
    assert all(o.metadata["alt"].startswith("Chart: ") for o in shown)
    page = _page(path, tmp_path)
    alts = [img.get("alt") for img in page.find_all("img")]
    assert alts == [
        'Chart: Deals of [name removed] <b>&"x"</b>; x axis: month; '
        "y axis: owner [e-mail removed].",
        "Chart: Won revenue; no data: no deal closed.",
        "Chart: Retina; no data: none.",
        "Chart: Vector; no data: none.",
        "Chart: Photo; no data: none.",
    ]
    raw = (tmp_path / "small.html").read_text(encoding="utf-8")
    assert "<b>&" not in raw and "Jane Roe" not in raw and "jane@acme.test" not in raw


_UNDRAWABLE = [
    "import matplotlib, matplotlib.pyplot as plt\n"
    "from smk import notebooks\n"
    "notebooks.describe_charts()",
    "_, ax = plt.subplots()\n"
    "ax.set_yticks([0, 1], ['パートナー', '🚀 Expansion'])\n"
    "ax.set_title('製品A')\n"
    "plt.show()",
    # once a page; matplotlib's own fallback turned off: DejaVu Sans' box, and its warning
    "with matplotlib.rc_context({'font.family': 'sans-serif', 'font.enable_last_resort': False}):\n"
    "    _, ax = plt.subplots()\n"
    "    ax.set_title('販売 of 製品B')\n"
    "    plt.show()",
]


def test_a_page_says_once_above_its_charts_which_labels_no_font_can_draw(tmp_path):
    """Names in Japanese and emoji put 16 lines of matplotlib's "warning: Glyph 35069 (\\N{CJK
    UNIFIED IDEOGRAPH-88FD}) missing from font(s) DejaVu Sans." above the four P's chart."""
    book = _executed(_UNDRAWABLE, tmp_path)
    outputs = [o for c in book.cells for o in c.outputs]
    texts = [o.text for o in outputs if o.output_type == "stream"]
    assert len(texts) == 1 and "Glyph" not in texts[0], texts
    assert texts[0].startswith("some chart labels below have characters the chart's fonts cannot")
    assert '"パートナー", "🚀 Expansion", "製品A"' in texts[0]
    assert "Chinese, Japanese and Korean (e.g. Noto Sans CJK JP) and emoji" in texts[0]
    first_chart = next(i for i, o in enumerate(outputs) if "image/png" in o.get("data", {}))
    assert outputs[first_chart - 1].output_type == "stream"  # the note is above the chart
    alts = [o.metadata["alt"] for o in outputs if "image/png" in o.get("data", {})]
    assert alts == ["Chart: 製品A.", "Chart: 販売 of 製品B."]


@pytest.mark.parametrize(
    "notebook",
    [
        "01_funnel_sla.ipynb",
        "02_segmentation.ipynb",
        "03_lead_scoring.ipynb",
        "04_attribution.ipynb",
    ],
)
def test_every_chart_of_the_stored_pages_has_an_alt_text_of_its_own(notebook, tmp_path):
    page = _page(config.NOTEBOOKS_DIR / notebook, tmp_path)
    alts = [img.get("alt", "") for img in page.find_all("img")]
    assert alts, f"{notebook} shows no chart"
    assert all(alt.startswith("Chart: ") and PLACEHOLDER not in alt for alt in alts), alts


# ------------------------------------------------------------------ tables, not text dumps
def _header(table) -> list[str]:
    """The header cells of a parsed HTML table (pandas' layout: the index's cell first; a
    named index's name in a second header row, under the first row's empty cell)."""
    rows = [
        [th.get_text(strip=True) for th in row.find_all("th")]
        for row in table.find("thead").find_all("tr")
    ]
    return [next((r[i] for r in rows if i < len(r) and r[i]), "") for i in range(len(rows[0]))]


def _column(table, name: str) -> list[str]:
    """The cells of column `name` of a parsed HTML table."""
    at = _header(table).index(name)
    return [row.find_all(["th", "td"])[at].get_text(strip=True) for row in table.tbody.find_all("tr")]  # fmt: skip


def _tables_with(page: BeautifulSoup, *columns: str) -> list:
    """The tables of the page with (at least) these header cells, in page order."""
    tables = [t for t in page.find_all("table") if t.find("thead")]
    return [t for t in tables if set(columns) <= set(_header(t))]


def _text_dumps(page: BeautifulSoup) -> list[str]:
    """Plain-text outputs that look like pandas' `to_string` (a header, aligned columns)."""
    return [
        pre.get_text()
        for pre in page.select(".jp-RenderedText pre")
        if "<NA>" in pre.get_text() or " file " in pre.get_text() or "quantile" in pre.get_text()
    ]


def test_the_set_aside_listing_is_shown_as_tables_with_missing_values_as_dashes(tmp_path):
    page = _page(config.NOTEBOOKS_DIR / "00_data_quality.ipynb", tmp_path)
    assert _text_dumps(page) == []
    assert "<NA>" not in page.get_text()
    listings = _tables_with(page, "File", "Row", "Reason")
    crm = smk.load(config.SAMPLE_HUBSPOT)
    sections = quality.set_aside_sections(crm, limit=10)
    assert len(listings) == len(sections) >= 2
    activities = listings[[s[0] for s in sections].index("activities")]
    assert _column(activities, "Deal ID")[0] == "–"  # a call of no deal: a dash, not <NA>
    assert _column(activities, "Row") == [str(r) for r in sections[-1][1]["row"]]
    assert _header(activities)[0] == "Row"  # the export's row labels each, first


def test_the_path_length_and_timing_sections_are_tables_of_counts_and_rounded_values(tmp_path):
    page = _page(config.NOTEBOOKS_DIR / "04_attribution.ipynb", tmp_path)
    assert _text_dumps(page) == []
    [lengths] = _tables_with(page, "Touches", "Journeys", "Conversions", "Conversion rate")
    counts = _column(lengths, "Journeys") + _column(lengths, "Conversions")
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", cell) for cell in counts)  # 1,204: no 1204.0
    assert all(re.fullmatch(r"\d+\.\d%", cell) for cell in _column(lengths, "Conversion rate"))
    [timing] = _tables_with(page, "Quantile", "Days")
    assert _column(timing, "Quantile") == ["25.0%", "50.0%", "75.0%", "90.0%"]
    assert all(len(cell.partition(".")[2]) == 1 for cell in _column(timing, "Days"))
    [paths] = _tables_with(page, "Path", "Journeys", "Conversions")
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", cell) for cell in _column(paths, "Journeys"))


def test_as_table_shows_whole_counts_as_integers_and_rounds_the_columns_given():
    frame = pd.DataFrame(
        {"journeys": [100.0, None], "share": [1.0, 0.0], "days": [59.048611, 1.0], "n": ["1", "2"]}
    ).set_index("n")
    shown = notebooks.as_table(frame, {"days": 1})
    assert shown["Journeys"].tolist() == ["100", "–"]
    assert shown["Share"].tolist() == ["100.0%", "0.0%"]  # a rate stays a rate, even when whole
    assert shown["Days"].tolist() == ["59.0", "1.0"] and shown["N"].tolist() == ["1", "2"]
    assert notebooks.as_table(pd.DataFrame({"v": [0.5]}))["V"].tolist() == ["0.500"]
    # rows numbered 0, 1, 2 ... tell a reader nothing: they are not shown
    counts = notebooks.as_table(pd.DataFrame({"touches": ["1", "2"], "journeys": [3.0, 4.0]}))
    assert list(counts.columns) == ["Touches", "Journeys"] and counts["Journeys"].tolist() == ["3", "4"]  # fmt: skip
    assert "<th>0</th>" not in counts._repr_html_()
    files = pd.DataFrame({"file": ["a.csv", "a.csv"], "row": [3, 9], "reason": ["x", "y"]})
    assert list(notebooks.as_table(files).columns) == ["File", "Row", "Reason"]
    assert list(notebooks.as_table(files, label="row").columns) == ["Row", "File", "Reason"]
    gaps = pd.DataFrame({"touches": ["1", None], "journeys": [1.0, 2.0]})
    assert notebooks.as_table(gaps, label="absent")["Touches"].tolist() == ["1", "–"]


def test_the_set_aside_listing_text_is_the_sections_as_text():
    crm = smk.load(config.SAMPLE_HUBSPOT)
    text = quality.set_aside_listing(crm, limit=1, export="all.csv")
    for table, rows, more in quality.set_aside_sections(crm, limit=1, export="all.csv"):
        assert f"{table}:\n{rows.to_string(index=False)}" in text
        assert more in text


# ------------------------------------------------------------------ the unusable model's caveat
def test_the_lead_scoring_page_says_the_model_is_unusable_once_as_text(tmp_path):
    page = _page(config.NOTEBOOKS_DIR / "03_lead_scoring.ipynb", tmp_path)
    assert page.select('[data-mime-type="application/vnd.jupyter.stderr"]') == []
    text = " ".join(page.get_text().split())
    assert text.count("not to be relied on: the model score they come from") == 1
    assert "warning: the MQL threshold and grades below are not to be relied on" in text


def test_score_leads_warns_unless_the_caller_says_it_itself():
    from smk import scoring

    crm = smk.load(config.SAMPLE_HUBSPOT)
    leads = scoring.lead_features(crm, as_of=pd.Timestamp("2026-11-01", tz="UTC"))
    month = scoring.leads_scored_in(leads, "2026-10")
    known = scoring.labelled(leads, before="2026-10")
    scorer = scoring.refit(scoring.LeadScorer(model="logistic", random_state=0), known)
    reference = scorer.score_leads(scoring.feature_matrix(month))
    metrics = {"model_usable": False, "model_usability": "not to be relied on (a test)"}
    model = scoring.build_model(scorer, known, reference, leads.attrs["spec"], metrics=metrics)
    with pytest.warns(UserWarning, match="grades and MQL flags are not to be relied on"):
        scoring.score_leads(model, month)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scored = scoring.score_leads(model, month, warn=False)
    assert len(scored) == len(month) and not scored["model_usable"].any()
