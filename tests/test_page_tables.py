"""Tables for people (`smk.presentation.as_table`): what a page shows of a frame, rule by
rule, and the published pages' tables read by a manager (no Python names in a header, no
row numbers, shares as percentages). The frames, CSV exports and metrics stay raw.

The page tests read the notebooks as stored (re-executed on the bundled sample by
`python -m smk.notebooks`, checked by nbval).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from smk import config, notebooks
from smk.outputs import Note, export_csv
from smk.presentation import Table, as_table, column_format, header
from smk.report import render_html

NOTEBOOKS = [
    "00_data_quality.ipynb",
    "01_funnel_sla.ipynb",
    "02_segmentation.ipynb",
    "03_lead_scoring.ipynb",
    "04_attribution.ipynb",
]


def _raw() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "owner_id": ["owner-01", "owner-02"],
            "mqls": [1204, 3],
            "share_within_sla": [0.096774, None],
            "median_hours": [2.24, 15.0],
            "p80_days": [55.896, 1.0],
            "won_revenue": [1424569.2, 47540.0],
            "deals_won_without_amount": [0.0, 2.0],
            "top_decile_lift": [1.214, 0.8],
            "mql_at": pd.to_datetime(["2026-10-10 11:55", None]).tz_localize("Europe/Berlin"),
            "mql": [True, False],
            "roc_auc": [0.5623, 0.6],
        }
    )


# ------------------------------------------------------------------ the rules, one by one
def test_headers_are_words_in_sentence_case_with_their_acronyms_currency_and_utc():
    shown = as_table(_raw(), currency="EUR")
    assert list(shown.columns) == [
        "Owner ID",
        "MQLs",
        "Share within SLA",
        "Median hours",
        "80th percentile days",
        "Won revenue (EUR)",
        "Deals won without amount",
        "Top decile lift",
        "MQL at (UTC)",
        "MQL",
        "ROC AUC",
    ]
    assert header("u_shaped") == "U shaped" and header("newest record") == "Newest record"
    assert header("KPI") == "KPI" and header("Subscriber -> Lead") == "Subscriber -> Lead"
    assert header("won_revenue", "money") == "Won revenue"  # no currency given: none said


def test_each_kind_of_value_is_shown_as_a_reader_reads_it():
    shown = as_table(_raw(), currency="EUR")
    rows = shown.to_dict("records")
    assert rows[0] == {
        "Owner ID": "owner-01",
        "MQLs": "1,204",
        "Share within SLA": "9.7%",
        "Median hours": "2.2",
        "80th percentile days": "55.9",
        "Won revenue (EUR)": "1,424,569",
        "Deals won without amount": "0",
        "Top decile lift": "1.21x",
        "MQL at (UTC)": "2026-10-10 09:55",  # 11:55 in Berlin (summer time)
        "MQL": "yes",
        "ROC AUC": "0.562",
    }
    assert rows[1]["Share within SLA"] == "–" and rows[1]["MQL at (UTC)"] == "–"
    assert rows[1]["MQL"] == "no" and rows[1]["Deals won without amount"] == "2"


def test_formats_are_chosen_by_name():
    assert column_format("contact_id") == column_format("row") == "label"
    assert column_format("with_clv") == column_format("deals_created_without_amount") == "count"
    assert column_format("lift") == column_format("roas") == "times"
    assert column_format("share_of_won_revenue") == column_format("ratio_to_previous") == "pct"
    assert column_format("median_deal_size") == column_format("mql_pipeline") == "money"
    assert column_format("median_days_to_customer") == "days"
    assert column_format("psi") == "number"


def test_plain_numbers_show_whole_values_as_counts_and_others_to_their_size():
    frame = pd.DataFrame({"psi": [0.22812, 0.1], "employees": [370.5, 24.0], "n": [2.0, 3.0]})
    shown = as_table(frame).to_dict("list")
    assert shown == {"PSI": ["0.228", "0.100"], "Employees": ["370.5", "24.0"], "N": ["2", "3"]}
    dates = pd.DataFrame({"scored_at": pd.to_datetime(["2026-10-07", "2026-10-09"], utc=True)})
    assert as_table(dates).to_dict("list") == {"Scored at": ["2026-10-07", "2026-10-09"]}
    ids = pd.DataFrame({"contact_id": [3000004578, 12], "row": [18204.0, 7.0], "x": ["a", "b"]})
    assert as_table(ids).to_dict("list")["Contact ID"] == ["3000004578", "12"]  # no 3,000,...
    assert as_table(ids).to_dict("list")["Row"] == ["18204", "7"]


def test_explicit_formats_and_headers_override_the_names():
    shares = pd.DataFrame(
        {"first_touch": [0.0721, 0.6], "u_shaped": [0.1, 0.2]},
        index=pd.Index(["direct", "email"], name="channel"),
    ).rename_axis(columns="model")
    shown = as_table(shares, every="pct")
    assert list(shown.columns) == ["Channel", "First touch", "U shaped"]
    assert shown.iloc[0].tolist() == ["direct", "7.2%", "10.0%"]  # the label keeps its text
    cpa = as_table(shares, every="money", currency="EUR")
    assert list(cpa.columns)[1] == "First touch (EUR)" and cpa.iloc[1, 1] == "1"
    frame = pd.DataFrame({"importance": [0.02851], "std": [0.1], "lead_to_customer": [0.0462]})
    shown = as_table(frame, {"importance": 4, "lead_to_customer": "pct"}, headers={"std": "Spread"})
    assert shown.to_dict("list") == {
        "Importance": ["0.0285"],
        "Spread": ["0.100"],
        "Lead to customer": ["4.6%"],
    }


def test_a_format_that_does_not_exist_is_refused_naming_the_column():
    with pytest.raises(ValueError, match=r"format 'percent' for 'lift' is none of pct"):
        as_table(pd.DataFrame({"lift": [1.0]}), {"lift": "percent"})
    with pytest.raises(ValueError, match="for 'every'"):
        as_table(pd.DataFrame({"lift": [1.0]}), every="money!")


def test_a_text_column_named_like_money_keeps_its_text_without_a_currency():
    mix = pd.DataFrame({"value": ["Core Platform"], "won_revenue": [10.0]})
    assert list(as_table(mix, currency="EUR").columns) == ["Value", "Won revenue (EUR)"]


def test_rows_are_labelled_never_numbered_and_no_index_name_line():
    numbered = pd.DataFrame({"file": ["a.csv", "a.csv"], "row": [3, 9], "reason": ["x", "y"]})
    shown = as_table(numbered, label="row")
    assert list(shown.columns) == ["Row", "File", "Reason"]
    page = shown._repr_html_()
    assert page.count("<tr") == 3 and "<th></th>" not in page and "<th>0</th>" not in page
    assert ">0<" not in page and page.count("<th>") == 3  # headers only: no row numbers
    named = pd.DataFrame({"journeys": [3.0]}, index=pd.Index(["1"], name="touches"))
    assert as_table(named).to_dict("list") == {"Touches": ["1"], "Journeys": ["3"]}
    unnamed = pd.DataFrame({"removal_effect": [0.5]}, index=["email"])
    assert list(as_table(unnamed, label="channel").columns) == ["Channel", "Removal effect"]
    assert repr(shown).splitlines()[0].split() == ["Row", "File", "Reason"]


def test_an_empty_section_says_why_and_the_frame_itself_is_left_raw():
    assert as_table(None, empty="no MQL leaked") == Note("no MQL leaked")
    assert as_table(pd.DataFrame({"a": []}), empty="none") == Note("none")
    raw = _raw()
    before = raw.copy()
    shown = as_table(raw, currency="EUR")
    pd.testing.assert_frame_equal(raw, before)  # only the display changes
    assert isinstance(shown, Table) and isinstance(shown, pd.DataFrame)


def test_the_html_is_escaped_whole_and_the_same_on_every_run():
    text = "<b>Ada & Co</b> " + "x" * 80
    frame = pd.DataFrame({"top_reasons": [text], "share": [0.5]})
    first, second = as_table(frame)._repr_html_(), as_table(frame.copy())._repr_html_()
    assert first == second and "<b>" not in first and "..." not in first
    assert "&lt;b&gt;Ada &amp; Co&lt;/b&gt; " + "x" * 80 in first
    assert "uuid" not in first and "<style" not in first


def test_a_csv_export_is_written_from_the_raw_frame_as_before(tmp_path):
    raw = _raw()
    before = export_csv(raw, tmp_path, "before.csv").read_bytes()
    notebooks.as_table(raw, currency="EUR")
    assert export_csv(raw, tmp_path, "after.csv").read_bytes() == before
    assert b"0.096774" in before and b"1424569.2" in before  # raw values, not the page's


# ------------------------------------------------------------------ the published pages
@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, BeautifulSoup]:
    out = tmp_path_factory.mktemp("pages")
    return {
        name: BeautifulSoup(
            render_html(
                config.NOTEBOOKS_DIR / name,
                out / f"{Path(name).stem}.html",
                {"month": "2026-10"},
                None,
            ).read_text(encoding="utf-8"),
            "html.parser",
        )
        for name in NOTEBOOKS
    }


def _headers(table) -> list[list[str]]:
    return [
        [th.get_text(strip=True) for th in tr.find_all("th")] for tr in table.thead.find_all("tr")
    ]


def _column(table, name: str) -> list[str]:
    at = _headers(table)[0].index(name)
    return [tr.find_all(["td", "th"])[at].get_text(strip=True) for tr in table.tbody.find_all("tr")]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_table_of_a_page_is_one_for_people(pages, notebook):
    tables = pages[notebook].find_all("table")
    assert tables, f"{notebook} shows no table"
    for table in tables:
        [headers] = _headers(table)  # one header line: no index name on a line of its own
        assert all(h and "_" not in h for h in headers), headers  # words, not Python names
        assert all(h[:1] == h[:1].upper() for h in headers), headers  # sentence case
        body = [[c.get_text(strip=True) for c in tr.find_all(["td", "th"])] for tr in table.tbody.find_all("tr")]  # fmt: skip
        assert not any(tr.find("th") for tr in table.tbody.find_all("tr"))  # no row numbers
        assert [row[0] for row in body] != [str(i) for i in range(len(body))]
        if headers != ["Item", "Value"]:  # the provenance table: parameters as given
            text = " ".join(" ".join(row) for row in body)
            assert not re.search(r"\d:\d\d:\d\d|\+00:00|\bTrue\b|\bFalse\b|\bNaN\b", text)


@pytest.mark.parametrize(
    ("notebook", "columns"),
    [
        ("01_funnel_sla.ipynb", ["Share within SLA", "Leakage rate", "Acceptance rate"]),
        ("01_funnel_sla.ipynb", ["Share"]),
        ("02_segmentation.ipynb", ["Share of accounts", "Conversion rate"]),
        ("03_lead_scoring.ipynb", ["Conversion rate", "Cumulative share of conversions"]),
        ("04_attribution.ipynb", ["Conversion rate"]),
    ],
)
def test_shares_and_rates_are_percentages_on_the_pages(pages, notebook, columns):
    tables = [t for t in pages[notebook].find_all("table") if set(columns) <= set(_headers(t)[0])]
    assert tables
    for table in tables:
        for column in columns:
            assert all(re.fullmatch(r"\d+\.\d%|–", c) for c in _column(table, column))


def test_money_carries_the_reporting_currency_and_no_cents(pages):
    tables = pages["01_funnel_sla.ipynb"].find_all("table")
    [pipeline] = [t for t in tables if "Pipeline created (EUR)" in _headers(t)[0]]
    cells = _column(pipeline, "Won revenue (EUR)")
    assert cells and all(re.fullmatch(r"\d{1,3}(,\d{3})*|–", c) for c in cells)
    assert "47,540" in _column(pipeline, "Pipeline created (EUR)")  # was 47540.0
    [leaked] = [t for t in tables if "MQL at (UTC)" in _headers(t)[0]]
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", c) for c in _column(leaked, "MQL at (UTC)")
    )


def test_nothing_to_show_shows_nothing():
    """A frame `notebooks.optional` gave up on (None, its reason already printed) shows
    nothing; with `empty` it shows that sentence."""
    assert as_table(None) is None
    assert isinstance(as_table(None, empty="no data"), Note)


def test_a_filtered_frame_duplicate_names_and_two_level_headers_read_right():
    """A frame filtered without a reset (rows 0, 2, 3) showed its row numbers; two columns of
    one name came out as four; headers over two levels as tuples, shares as plain numbers."""
    frame = pd.DataFrame({"owner_id": ["a", "b", "c", "d"], "mqls": [1, 2, 3, 4]}).iloc[[0, 2, 3]]
    shown = as_table(frame)
    assert list(shown.columns) == ["Owner ID", "MQLs"] and list(shown["Owner ID"]) == [
        "a",
        "c",
        "d",
    ]
    twice = as_table(pd.DataFrame([[1, 2]], columns=["mqls", "mqls"]))
    assert list(twice.columns) == ["MQLs", "MQLs"] and twice.iloc[0].tolist() == ["1", "2"]
    levels = as_table(pd.DataFrame({("share", "email"): [0.25], ("share", "direct"): [0.75]}))
    assert list(levels.columns) == ["Share email", "Share direct"]
    assert levels.iloc[0].tolist() == ["25.0%", "75.0%"]
    named = pd.DataFrame({"mqls": [5]}, index=pd.Index([7], name="decile"))
    assert as_table(named).iloc[0].tolist() == ["7", "5"]  # a named index is a label, kept
