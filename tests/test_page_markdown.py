"""Text from the export or the params in the Markdown a page shows (`smk.presentation.
markdown_text`): shown as written, never run as HTML, a link or emphasis.

nbconvert (mistune) passes raw HTML and `javascript:` links in a `text/markdown` output
straight into the published page: a deal currency `<IMG SRC=X ONERROR=...>` in the CRM export,
or an `fx_rates` key with rate 1.0 in the params file, ran script in 04_attribution.html
through the page's coverage lines, paths note and ratio captions.
"""

from __future__ import annotations

import csv
import dataclasses
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from smk import attribution as at
from smk import config

#: Values a CRM cell or a params key may hold, each meant to be read as HTML or Markdown.
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=X ONERROR=&#X61;&#X6C;&#X65;&#X72;&#X74;(1)>",
    "[x](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "[x]: javascript:alert(1)\n\n[x]",
    "<javascript:alert(1)>",
    "see https://evil.example/x",
    "*bold* _it_ __strong__ ~~gone~~ `code` $x$ $$y$$ ***z***",
    "&lt;img&gt; &amp; &#60;",
    "a\n\n# heading\n- item\n> quote",
    "| a | b |\n|---|---|\n| c | d |",
    "back\\slash \\[x](javascript:alert(1)) trailing\\",
]


#: An address that runs script or shows a page of its own when followed (an image's is inert).
_UNSAFE_ADDRESS = re.compile(
    r"\s*(?:javascript:|vbscript:|data:(?!image/(?:png|jpeg|gif|webp);))", re.I
)


class _Page(HTMLParser):
    """The tags, the attributes that run script or open a link, and the text of HTML."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.active: list[tuple[str, str, str]] = []
        self.parts: list[str] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            script = _UNSAFE_ADDRESS.match(value or "")
            if name.startswith("on") or (name in ("href", "src") and script):
                self.active.append((tag, name, value or ""))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _shown(markdown: str) -> _Page:
    """`markdown` as nbconvert renders a `text/markdown` output of a page."""
    return _Page(markdown2html_mistune(markdown))


def _as_written(value: str) -> str:
    return " ".join(value.split())


@pytest.mark.parametrize("value", HOSTILE)
def test_markdown_text_shows_hostile_text_as_written_and_nothing_else(value):
    from smk.presentation import markdown_text

    for markdown in (markdown_text(value), f"- before {markdown_text(value)} after"):
        page = _shown(markdown)
        assert set(page.tags) <= {"p", "ul", "li"}, (value, markdown)  # no link, image, em
        assert not page.active
    assert _shown(markdown_text(value)).text.strip() == _as_written(value)


@pytest.mark.parametrize(
    "value", ["EUR", "paid_search", "a_b_c", "Sales Team", "O'Brien", "jane.doe@example.com"]
)
def test_markdown_text_leaves_plain_words_names_and_addresses_as_written(value):
    # a page on the sample reads as before (EUR, paid_search), and the report's scrub still
    # finds a name or an address in it
    from smk.presentation import markdown_text

    assert markdown_text(value) == value
    assert _shown(f"in {markdown_text(value)} here").text.strip() == f"in {value} here"


def test_the_scrub_still_finds_a_name_and_an_address_in_escaped_text():
    from smk.presentation import markdown_text
    from smk.report import scrub_pii

    scrubbed = scrub_pii(markdown_text("*Jane Doe* <jane_doe@example.com>"), {"Jane Doe"})
    assert "Jane" not in scrubbed and "jane" not in scrubbed.lower()


CURRENCY = "<img src=x onerror=alert(1)> [x](javascript:alert(2)) *it*"


def _journeys(currency: str) -> at.Journeys:
    table = pd.DataFrame(
        {
            "path": ["a > b", "a", "b"],
            "total_conversions": [1, 0, 1],
            "total_null": [0, 1, 0],
            "total_conversion_value": [10.0, 0.0, 30.0],
        }
    )
    return dataclasses.replace(at.from_paths(table), currency=currency)


def test_the_attribution_texts_show_their_currency_as_written():
    # coverage lines, paths note, both ratio captions: the currency was written into the
    # Markdown as it came
    j = _journeys(CURRENCY)
    texts = [
        "\n".join(f"- {line}" for line in j.coverage_lines("January", 90)),
        at.paths_note(at.top_paths(j, n=None), shown=10, currency=j.currency),
        at.ratio_caption("cpa", j.currency),
        at.ratio_caption("roas", j.currency),
    ]
    for text in texts:
        page = _shown(text)
        assert not page.active and not {"img", "a", "em"} & set(page.tags), text
        assert CURRENCY in page.text, text
    assert at.ratio_caption("cpa", "EUR").startswith("**Cost per acquisition** (EUR per ")


# ------------------------------------------------------------------ the published page
def _published(tmp_path: Path, data: Path, fx_rates: dict) -> _Page:
    """Page 04 as `smk report` publishes it for the month of `data` with `fx_rates`, in the
    hostile reporting currency (the page's values are in its reporting currency)."""
    params = tmp_path / "params.yaml"
    own = {"fx_rates": fx_rates, "reporting_currency": CURRENCY}
    params.write_text(yaml.safe_dump({"notebooks": {"attribution": own}}))
    out = tmp_path / "reports"
    result = subprocess.run(
        [
            sys.executable, "-m", "smk", "report", "--data", str(data), "--month", "latest",
            "--out", str(out), "--params", str(params), "--notebooks", "attribution", "--quiet",
        ],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return _Page((out / "2026-10" / "04_attribution.html").read_text(encoding="utf-8"))


def _assert_shown_not_run(page: _Page, currency: str) -> None:
    """No script or link from `currency` on the page, which shows it as written in its
    coverage lines, paths note and both ratio captions."""
    assert page.active == []
    text = page.text
    assert re.search(
        rf"attributed to channels: [\d,]+ \(value [\d,]+ {re.escape(currency)}\)", text
    )
    assert f"Values in {currency}." in text  # the paths note
    assert f"Cost per acquisition ({currency} per conversion)" in text
    assert f"value credited per {currency} spent" in text


def test_a_crm_currency_is_shown_not_run_on_the_published_page(tmp_path):
    # every deal and spend row in one hostile currency; no rates: the page's values are in it
    data = tmp_path / "hubspot"
    shutil.copytree(config.SAMPLE_HUBSPOT, data, ignore=shutil.ignore_patterns("truth"))
    for name in ("hubspot-crm-exports-all-deals-2026-11-01.csv", "ad-spend.csv"):
        table = pd.read_csv(data / name, dtype=str, keep_default_na=False)
        table["Currency"] = CURRENCY
        table.to_csv(data / name, index=False, quoting=csv.QUOTE_ALL)
    page = _published(tmp_path, data, {})
    _assert_shown_not_run(page, CURRENCY)  # as written: no code (a code is upper-cased)


def test_a_params_fx_rates_key_is_shown_not_run_on_the_published_page(tmp_path):
    # the reporting currency, a key of the rates, kept as written
    page = _published(tmp_path, config.SAMPLE_HUBSPOT, {CURRENCY: 1.0, "EUR": 0.999, "USD": 0.92})
    _assert_shown_not_run(page, CURRENCY)


# ------------------------------------------------------------------ a page's Markdown outputs
# The second line of defence (`smk.page_markdown`): a Markdown output written without
# `markdown_text` (a future helper, an analyst's notebook) shows its HTML as text on the page.
ATTACK = "<img src=x onerror=alert(1)> [x](javascript:alert(1))"
#: The narrative of the page's notebook: its own Markdown cell, rendered as nbconvert does.
NARRATIVE = "# Page\n\nThe <b>narrative</b>, see [the docs](https://example.com/docs)."


def _page_with_output(tmp_path: Path, markdown: str) -> tuple[_Page, _Page]:
    """The page `render_html` publishes of an executed notebook whose one code cell showed
    `display(Markdown(markdown))`: the whole page, and its output alone."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from smk.report import render_html

    data = {"text/markdown": markdown, "text/plain": "<IPython.core.display.Markdown object>"}
    cell = new_code_cell("display(Markdown(text))", execution_count=1)
    cell.outputs = [new_output("display_data", data=data)]
    path = tmp_path / "00_page.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell(NARRATIVE), cell]), path)
    page = render_html(path, tmp_path / "00_page.html", {"month": "2026-10"}, None)
    html = page.read_text(encoding="utf-8")
    output = re.search(
        r'<div class="[^"]*jp-OutputArea-output[^"]*" data-mime-type="text/markdown"[^>]*>'
        r"(.*?)</div>",
        html,
        re.S,
    )
    assert output, "no Markdown output on the page"
    return _Page(html), _Page(output.group(1))


def test_a_markdown_output_written_without_the_helpers_shows_its_html_as_text(tmp_path):
    # nbconvert put the image with its onerror and the javascript: link into the page
    page, output = _page_with_output(tmp_path, ATTACK)
    assert page.active == [] and "img" not in output.tags
    assert output.text.strip() == "<img src=x onerror=alert(1)> x"  # shown, as written
    assert output.tags == ["p", "a"]  # the link is kept, pointing nowhere
    # the notebook's own Markdown cell is its narrative: rendered as before
    assert {"h1", "b"} <= set(page.tags) and "The narrative, see the docs." in page.text


@pytest.mark.parametrize(
    ("markdown", "shown"),
    [
        ("[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "d"),
        ("[v](vbscript:msgbox(1)) [j](JaVaScRiPt:alert(1)) [e](&#106;avascript:alert(1))", "v j e"),
        ("[x]: javascript:alert(1)\n\n[x] <javascript:alert(2)>", "x javascript:alert(2)"),
        ('<a href="javascript:alert(1)">a</a>', '<a href="javascript:alert(1)">a</a>'),
        ("<details open ontoggle=alert(1)>\n<script>alert(2)</script>\n</details>", "<details"),
        ("```mermaid\n<img src=x onerror=alert(1)>\n```", "<img src=x onerror=alert(1)>"),
        ("![chart](attachment:chart.png) seen", "seen"),  # nbconvert stopped: no attachment
    ],
)
def test_no_markdown_output_runs_script_or_links_to_one(tmp_path, markdown, shown):
    page, output = _page_with_output(tmp_path, markdown)
    assert page.active == [] and "script" not in output.tags, output.tags
    assert not {"details", "iframe", "object"} & set(output.tags)
    assert shown in output.text


def test_the_helpers_markdown_outputs_read_as_nbconvert_renders_them():
    # values through markdown_text, emphasis, lists, code spans, math, a heading, a quote, a
    # link, a table, entities: rendered as nbconvert renders them, the pages look the same
    from smk.page_markdown import output_markdown_html
    from smk.presentation import markdown_text

    j = _journeys(CURRENCY)
    texts = [
        "# Heading\n\n> quote [a link](https://example.com/?a=1&b=2)\n\n| a | b |\n|---|---|\n| 1 | 2 |",
        at.paths_note(at.top_paths(j, n=None), shown=10, currency=j.currency),
        *(
            f"**B** *i*: {markdown_text(v)} `c` $x^2$ &lt;b&gt; 5 &amp; 6\n\n- a\n- b"
            for v in HOSTILE
        ),
    ]
    for markdown in texts:
        assert output_markdown_html(markdown) == markdown2html_mistune(markdown), markdown
