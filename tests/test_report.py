"""`smk report`: end to end on the bundled sample, the atomic failure path, privacy and safety."""

from __future__ import annotations

import csv
import html as html_lib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from smk import config
from smk.report import discover_notebooks, render_html, scrub_pii, write_reports_index

SAMPLE = config.SAMPLE_HUBSPOT
PARAMS = '''data_path: str = "data/sample/hubspot"
data_format: str = "auto"
month: str = "2026-10"
output_dir: str = "build/notebooks"'''


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smk", *args], capture_output=True, text=True, timeout=900, cwd=cwd
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """One full report on the bundled sample (every notebook), as the README's main job runs it."""
    out = tmp_path_factory.mktemp("reports")
    result = run_cli(
        "report", "--data", str(SAMPLE), "--month", "latest", "--out", str(out), "--quiet"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "Executing" not in result.stderr  # --quiet is quiet
    return out


def test_report_publishes_every_notebook_page_and_export(published):
    month = published / "2026-10"
    notebooks = discover_notebooks()
    assert notebooks, "no notebooks found"
    for nb in notebooks:
        assert (month / f"{nb.stem}.html").is_file()
        executed = nbformat.read(month / nb.name, as_version=4)
        assert executed.metadata["papermill"]["parameters"]["month"] == "2026-10"
        assert executed.metadata["kernelspec"]["name"] == "smk"
    metrics = json.loads((month / "metrics.json").read_text())
    assert set(metrics) == {re.sub(r"^\d+_", "", nb.stem) for nb in notebooks}
    assert (month / "index.html").is_file() and (published / "index.html").is_file()
    assert '<a href="2026-10/index.html">2026-10</a>' in (published / "index.html").read_text()
    assert not list(published.glob(".staging-*")) and not list(published.glob(".cache-*"))
    assert (published / "smk-report.log").read_text().count("published") == 1


def test_index_shows_a_tile_per_kpi_and_links_every_page(published):
    month = published / "2026-10"
    page = (month / "index.html").read_text()
    kpis = [
        k
        for m in json.loads((month / "metrics.json").read_text()).values()
        for k in m.get("kpis", [])
    ]
    assert kpis and page.count('class="tile status-') == len(kpis)
    for nb in discover_notebooks():
        assert f'href="{nb.stem}.html"' in page
    assert "Report month <strong>2026-10</strong>" in page


def test_published_html_has_no_code_no_pii_and_no_outside_requests(published):
    for page in (published / "2026-10").glob("*.html"):
        text = page.read_text()
        assert "import smk" not in text, f"{page.name} shows code"
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text.replace("[e-mail removed]", "")), (
            page.name
        )
        loaded = re.findall(r'<(?:script|link|img|iframe)[^>]+(?:src|href)="(https?:)?//', text)
        assert not loaded, f"{page.name} loads from another host"


def test_csv_exports_are_spreadsheet_safe(published):
    for path in (published / "2026-10").glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in frame.columns:
            text_cells = frame[col][~frame[col].str.fullmatch(r"-?[\d.,eE+-]*")]
            assert not text_cells.str.match(r"[=+\-@]").any(), f"{path.name}:{col}"


def _tiles(page: str) -> list[str]:
    return re.findall(r'<div class="tile .*?</div></div>', page)


def test_rerunning_some_notebooks_keeps_the_rest_of_the_month(published, tmp_path):
    from smk.report import REPORT_FILES

    out = tmp_path / "reports"
    month = out / "2026-10"
    shutil.copytree(published / "2026-10", month)
    writers = json.loads((month / "manifest.json").read_text())["files"]
    assert set(writers) | REPORT_FILES == {p.name for p in month.iterdir()}
    assert writers["segmentation-model.joblib"] == "segmentation"
    # an export data_quality wrote last time but no longer writes goes with its old page
    writers["old_quality.csv"] = "data_quality"
    (month / "old_quality.csv").write_text("stale\n")
    (month / "manifest.json").write_text(json.dumps({"files": writers}))
    kept = {n: (month / n).read_bytes() for n, w in writers.items() if w != "data_quality"}
    before = (month / "00_data_quality.ipynb").read_bytes()

    result = run_cli(
        "report", "--data", str(SAMPLE), "--month", "2026-10", "--out", str(out),
        "--notebooks", "data_quality", "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert {n: (month / n).read_bytes() for n in kept} == kept
    assert (month / "00_data_quality.ipynb").read_bytes() != before  # it ran again
    assert not (month / "old_quality.csv").exists()
    assert set(json.loads((month / "metrics.json").read_text())) == {
        re.sub(r"^\d+_", "", nb.stem) for nb in discover_notebooks()
    }
    page = (month / "index.html").read_text()
    assert _tiles(page) == _tiles((published / "2026-10" / "index.html").read_text())
    assert all(f'href="{nb.stem}.html"' in page for nb in discover_notebooks())
    writers = json.loads((month / "manifest.json").read_text())["files"]
    assert set(writers) | REPORT_FILES == {p.name for p in month.iterdir()}


def _month_files(folder: Path, files: dict[str, str | None]) -> dict[str, str | None]:
    folder.mkdir()
    for name in files:
        (folder / name).write_text(f"{name} of {folder.name}")
    return files


def test_keep_published_replaces_exactly_the_files_of_the_notebooks_run_again(tmp_path):
    from smk.report import NotebookRun, keep_published, write_manifest

    last = {
        **dict.fromkeys(["00_a.ipynb", "00_a.html", "metrics-a.json", "a.csv"], "a"),
        **dict.fromkeys(["01_b.ipynb", "01_b.html", "metrics-b.json", "b.csv", "b_old.csv"], "b"),
        "index.html": None,
        "metrics.json": None,
    }
    month = tmp_path / "2026-10"
    write_manifest(month, _month_files(month, last))
    (month / "stray.txt").write_text("no notebook wrote this")
    now = ["01_b.ipynb", "01_b.html", "metrics-b.json", "b.csv"]  # b no longer writes b_old.csv
    staging = tmp_path / "staging"
    _month_files(staging, dict.fromkeys(now))
    run = NotebookRun("b", staging / "01_b.ipynb", files=now)

    writers = keep_published(month, staging, [run])
    assert writers == {n: w for n, w in last.items() if w == "a"} | dict.fromkeys(now, "b")
    assert {p.name for p in staging.iterdir()} == set(writers)
    assert (staging / "a.csv").read_text() == "a.csv of 2026-10"
    assert (staging / "b.csv").read_text() == "b.csv of staging"

    # a month published before manifests: what is not named after a notebook stays, unknown
    (month / "manifest.json").unlink()
    shutil.rmtree(staging)
    _month_files(staging, dict.fromkeys(now))
    writers = keep_published(month, staging, [run])
    assert writers["00_a.html"] == writers["metrics-a.json"] == "a" and writers["a.csv"] is None
    assert writers["b_old.csv"] is None and writers["stray.txt"] is None
    assert "index.html" not in writers and writers["b.csv"] == "b"


def test_the_report_cache_tells_the_notebooks_where_a_relative_export_is(tmp_path, monkeypatch):
    from smk import attribution
    from smk.model import CRM
    from smk.report import _with_absolute_source

    monkeypatch.chdir(config.ROOT)  # `make report`: --data data/sample/hubspot
    crm = CRM(source="data/sample/hubspot", format="hubspot")
    cache = _with_absolute_source(crm).to_parquet(tmp_path / "cache")
    assert attribution.truth_shares(cache) is not None
    url = CRM(source="postgresql://analyst:***@crm-db.example/crm", format="sql")
    assert _with_absolute_source(url) == url


def test_the_attribution_page_measures_the_distance_to_the_truth_on_the_sample(published):
    # as a direct papermill run of notebook 04 on the bundled (synthetic) sample does
    month = published / "2026-10"
    metrics = json.loads((month / "metrics-attribution.json").read_text())
    distance = metrics["distance_to_truth"]
    assert distance and {"shapley", "markov", "linear", "last_touch"} <= set(distance)
    assert all(0 <= d <= 1 for d in distance.values())
    page = (month / "04_attribution.html").read_text()
    assert "no ground truth for this export" not in page
    assert "<th>Total variation distance</th>" in page and "<th>Spearman</th>" in page


def _notebook_dir(tmp_path: Path, failing: bool) -> Path:
    folder = tmp_path / ("failing" if failing else "ok")
    folder.mkdir()
    shutil.copy(config.NOTEBOOKS_DIR / "00_data_quality.ipynb", folder)
    cells = [
        new_markdown_cell("# Boom"),
        new_code_cell(PARAMS, metadata={"tags": ["parameters"]}),
        new_code_cell("x = 1"),
        new_code_cell('y = x\nraise RuntimeError("pipeline exploded")' if failing else "print(x)"),
    ]
    nbformat.write(_smk_notebook(cells), folder / "01_boom.ipynb")
    return folder


def _smk_notebook(cells):
    """A notebook of `cells` run by the project's kernel (as the report runs notebooks)."""
    kernel = {"name": "smk", "display_name": "Python (smk)", "language": "python"}
    return new_notebook(cells=cells, metadata={"kernelspec": kernel})


def small_report(tmp_path: Path, out, *extra: str, failing: bool = False) -> list[str]:
    """`smk report` arguments: the sample's 2026-09 with the two-notebook folder."""
    folder = _notebook_dir(tmp_path, failing=failing)
    return ["report", "--data", str(SAMPLE), "--month", "2026-09", "--out", str(out)] + [
        "--notebook-dir",
        str(folder),
        *extra,
    ]


def test_failed_notebook_leaves_published_month_untouched(tmp_path):
    out = tmp_path / "reports"
    ok = run_cli(*small_report(tmp_path, out, "--quiet"))
    assert ok.returncode == 0, ok.stderr
    before = {p.name: p.read_bytes() for p in (out / "2026-09").iterdir()}

    bad = run_cli(
        "report",
        "--data",
        str(SAMPLE),
        "--month",
        "2026-09",
        "--out",
        str(out),
        "--notebook-dir",
        str(_notebook_dir(tmp_path, failing=True)),
        "--quiet",
    )
    assert bad.returncode == 3
    assert "Traceback" not in bad.stderr
    message = bad.stderr.strip()
    assert "01_boom.ipynb failed in cell 4, line 2 (`raise RuntimeError(" in message
    assert "RuntimeError: pipeline exploded" in message
    assert {p.name: p.read_bytes() for p in (out / "2026-09").iterdir()} == before
    kept = out / ".failed" / "2026-09" / "01_boom.ipynb"
    assert kept.is_file() and "pipeline exploded" in kept.read_text()
    assert not list(out.glob(".staging-*"))


def test_a_failed_cell_is_quoted_at_the_line_its_traceback_names(tmp_path):
    """The failure quoted the cell's first line (`import matplotlib.pyplot as plt`), not the
    line that failed: IPython's frame of the cell's own run names it; a frame of another
    run's code (a function an earlier cell defined) does not, and without one the first
    line is quoted, as before."""
    from smk.report import _cell_label

    source = "import os\n\nresult = compute(\n    1,\n)"
    path = tmp_path / "01_boom.ipynb"
    nbformat.write(_smk_notebook([new_markdown_cell("# Boom"), new_code_cell(source)]), path)
    frame = "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[{}]\x1b[39m\x1b[32m, line {}\x1b[39m\n"
    called = [frame.format(2, 3), frame.format(1, 2) + ", in compute()"]
    assert _cell_label(path, source, called, 2) == "cell 2, line 3 (`result = compute(`)"
    assert _cell_label(path, source, called[1:], 2) == "cell 2 (`import os`)"
    assert _cell_label(path, source, ["ValueError: x"], 2) == "cell 2 (`import os`)"
    assert _cell_label(path, source, [frame.format(2, 9)], 2) == "cell 2 (`import os`)"


def test_rerunning_a_month_replaces_it_cleanly(tmp_path):
    out = tmp_path / "reports"
    folder = _notebook_dir(tmp_path, failing=False)
    args = (
        "report",
        "--data",
        str(SAMPLE),
        "--month",
        "2026-08",
        "--out",
        str(out),
        "--notebook-dir",
        str(folder),
        "--notebooks",
        "00_data_quality",
        "--quiet",
    )
    assert run_cli(*args).returncode == 0
    (out / "2026-08" / "stale.txt").write_text("left over")
    assert run_cli(*args).returncode == 0
    assert not (out / "2026-08" / "stale.txt").exists()
    assert (out / "2026-08" / "index.html").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (("--month", "2026-13"), "YYYY-MM"),
        (("--month", "2030-01"), "outside the data"),
        (("--notebooks", "99_nope"), "no notebook '99_nope'"),
    ],
)
def test_bad_parameters_fail_before_any_notebook_runs(tmp_path, args, message):
    out = tmp_path / "reports"
    result = run_cli(
        "report",
        "--data",
        str(SAMPLE),
        "--out",
        str(out),
        *(("--month", "latest") if "--month" not in args else ()),
        *args,
    )
    assert result.returncode == 2 and message in result.stderr
    assert "Executing" not in result.stderr and "Traceback" not in result.stderr
    assert not [p for p in out.iterdir() if p.name != "smk-report.log"]


def test_missing_data_path_fails_with_a_clear_message(tmp_path):
    result = run_cli(
        "report", "--data", str(tmp_path / "nope"), "--month", "latest", "--out", str(tmp_path)
    )
    assert result.returncode == 2 and "no such file or folder" in result.stderr


def test_scrub_pii_removes_emails_and_known_names_only():
    text = "<td>Ada Lovelace</td><td>ada@example.test</td><td>Adams Ltd</td>"
    assert scrub_pii(text, {"Ada Lovelace", "Ada"}) == (
        "<td>[name removed]</td><td>[e-mail removed]</td><td>Adams Ltd</td>"
    )


def test_crm_text_in_tables_is_escaped_and_pii_removed(tmp_path):
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Accounts"),
            new_code_cell(
                "import pandas as pd\n"
                "pd.DataFrame({'company': ['<script>alert(1)</script>'], 'contact': ['Grace Hopper'],"
                " 'email': ['grace@example.test']})"
            ),
        ],
        metadata={
            "kernelspec": {"name": "smk", "display_name": "Python (smk)", "language": "python"}
        },
    )
    from nbclient import NotebookClient

    NotebookClient(nb, kernel_name="python3").execute()
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    page = render_html(
        path, tmp_path / "nb.html", {"month": "2026-10"}, {"Grace Hopper"}
    ).read_text()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Grace Hopper" not in page and "grace@example.test" not in page
    assert "[name removed]" in page
    # --include-pii (names None): nothing removed, e-mails included (they were still masked)
    kept = render_html(path, tmp_path / "kept.html", {"month": "2026-10"}, None).read_text()
    assert "Grace Hopper" in kept and "grace@example.test" in kept
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in kept  # still escaped


def test_reports_index_lists_months_newest_first(tmp_path):
    for month in ("2026-08", "2026-10", "2026-09", ".staging-x"):
        (tmp_path / month).mkdir()
    text = write_reports_index(tmp_path).read_text()
    assert re.findall(r'href="([\d-]+)/index.html"', text) == ["2026-10", "2026-09", "2026-08"]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _open_in_chromium(page_path: Path) -> dict:
    """Load a published page in headless Chromium; return console errors, requests and the DOM."""
    from playwright.sync_api import sync_playwright

    folder = page_path.parent.resolve().as_uri()
    seen = {"errors": [], "outside": [], "tiles": 0, "figures": 0}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page()
        page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: seen["errors"].append(str(e)))

        def route(r):
            url = r.request.url
            if url.startswith(folder) or url.startswith("data:"):
                return r.continue_()
            seen["outside"].append(url)
            return r.abort()

        page.route("**/*", route)
        page.goto(page_path.resolve().as_uri(), wait_until="load")
        seen["tiles"] = page.locator(".tile").count()
        seen["visible_tiles"] = sum(
            page.locator(".tile").nth(i).is_visible() for i in range(seen["tiles"])
        )
        imgs = page.locator("img[src^='data:image/png']")
        seen["figures"] = sum(
            imgs.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
            for i in range(imgs.count())
        )
        seen["text"] = page.inner_text("body")
        browser.close()
    return seen


def test_index_and_a_notebook_page_display_in_a_browser(published):
    assert CHROMIUM, "the browser test needs Debian's chromium: `make test` installs it (as root)"
    month = published / "2026-10"
    index = _open_in_chromium(month / "index.html")
    assert index["tiles"] >= 1 and index["visible_tiles"] == index["tiles"]
    assert index["errors"] == [] and index["outside"] == []
    pages = sorted(month.glob("[0-9][0-9]_*.html"))
    with_figures = [p for p in pages if '<img src="data:image/png' in p.read_text()] or pages
    page = _open_in_chromium(with_figures[-1])
    assert page["errors"] == [] and page["outside"] == []
    assert "report month 2026-10" in page["text"]
    if '<img src="data:image/png' in with_figures[-1].read_text():
        assert page["figures"] >= 1


def test_params_file_with_an_unknown_setting_fails_before_running(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("notebooks:\n  data_quality:\n    mql_targett: 3\n")
    result = run_cli(
        "report",
        "--data",
        str(SAMPLE),
        "--month",
        "latest",
        "--out",
        str(tmp_path / "r"),
        "--notebooks",
        "00_data_quality",
        "--params",
        str(params),
    )
    assert result.returncode == 2
    assert "notebooks.data_quality.mql_targett" in result.stderr


def test_params_reach_only_the_notebooks_that_declare_them(tmp_path):
    from smk.report import params_for

    folder = _notebook_dir(tmp_path, failing=False)
    boom = folder / "01_boom.ipynb"
    settings = {"month_x": 1, "notebooks": {"boom": {"output_dir": "x"}}}
    assert params_for(boom, settings) == {"output_dir": "x"}
    assert params_for(boom, {"data_format": "hubspot", "seed": 3}) == {"data_format": "hubspot"}


def test_no_personal_name_of_the_export_reaches_the_html(published):
    import smk

    contacts = smk.load(SAMPLE).contacts
    names = set()
    for col in ("First Name", "Last Name"):
        names |= {n for n in contacts[col].dropna().astype(str) if len(n) >= 4}
    assert len(names) > 100
    for page in (published / "2026-10").glob("*.html"):
        # an embedded chart's base64 text holds letter runs by chance ("Feno" once)
        text = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+", "", page.read_text())
        words = set(re.findall(r"[A-Za-zÀ-ÿ'-]{4,}", text))
        leaked = sorted(names & words)
        assert not leaked, f"{page.name} shows personal names: {leaked[:5]}"


def test_kpi_tiles_follow_the_notebook_order(published):
    page = (published / "2026-10" / "index.html").read_text()
    ids = re.findall(r'data-kpi="([^"]+)"', page)
    assert (
        ids.index("rows_set_aside")
        < ids.index("mqls")
        < ids.index("lead_score_auc")
        < ids.index("top_channel")
    )


def test_crm_text_is_escaped_in_a_published_report(tmp_path):
    """A company industry written as markup reaches the segmentation page as text."""
    export = tmp_path / "hubspot"
    shutil.copytree(SAMPLE, export)
    companies = next(export.glob("*companies*.csv"))
    frame = pd.read_csv(companies, dtype=str, keep_default_na=False)
    top = frame["Industry"].value_counts().index[0]
    frame.loc[frame["Industry"] == top, "Industry"] = "<script>alert(1)</script>"
    frame.to_csv(companies, index=False)
    out = tmp_path / "reports"
    result = run_cli(
        "report",
        "--data",
        str(export),
        "--month",
        "latest",
        "--out",
        str(out),
        "--notebooks",
        "02_segmentation",
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    page = (out / "2026-10" / "02_segmentation.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


def test_a_not_enough_data_note_shows_the_export_s_text_as_written_not_as_markdown(tmp_path):
    """An export folder named `hs4-[click](javascript:alert(1))` reached a segmentation page
    stopped for lack of data as a link: the note's message (HTML-escaped) was Markdown."""
    from smk.periods import parse_month
    from smk.report import _no_data_run

    failed = new_code_cell("raise NoDataError()")
    failed.outputs = [nbformat.v4.new_output("error", ename="NoDataError", evalue="", traceback=[])]
    shown = new_code_cell("1", outputs=[nbformat.v4.new_output("stream", text="kept\n")])
    executed = tmp_path / "02_segmentation.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("# Segments"), shown, failed]), executed)
    message = (
        "the export (hubspot: hs4-[click](javascript:alert(1))) has no rows in them; "
        "see https://evil.example, <b>*bold*</b> & `code`\n\n[two](javascript:alert(2)) $x$"
    )
    _no_data_run(executed, executed, parse_month("2026-10"), message, 0.0)
    assert json.loads((tmp_path / "metrics-segmentation.json").read_text())["no_data"] == message
    page = render_html(executed, tmp_path / "page.html", {"month": "2026-10"}, None).read_text()
    note = page.split("Not enough data for 2026-10.</strong> ")[1].split("</p>")[0]
    as_text = html_lib.escape(message, quote=False).replace("\n", "<br>\n")
    as_text = as_text.replace("`code`", "<code>code</code>")  # a code span, as on the index
    assert note.replace("<br/>", "<br>") == as_text  # as written: no link, no emphasis
    assert 'href="javascript' not in page and 'href="https://evil' not in page
    assert "kept" in page and "The sections above are the ones that could be computed" in page


def test_month_over_month_change_uses_the_kpis_own_previous_value(tmp_path):
    from smk.periods import parse_month
    from smk.report import write_month_index

    (tmp_path / "metrics-funnel.json").write_text(
        json.dumps(
            {
                "kpis": [
                    {"id": "mqls", "label": "MQLs", "value": 63, "previous": 66, "format": "int"},
                    {
                        "id": "rate",
                        "label": "Rate",
                        "value": 0.25,
                        "previous": 0.2,
                        "format": "pct",
                    },
                    {"id": "new", "label": "New", "value": 1, "format": "int"},
                    {"id": "fall", "label": "Fall", "value": 0.2, "previous": 0.3, "format": "pct"},
                    {"id": "top", "label": "Top", "value": "offline", "previous": "email",
                     "format": "text"},
                    {"id": "same", "label": "Same", "value": "email", "previous": "email",
                     "format": "text"},
                ]
            }
        )
    )  # fmt: skip
    context = {"month": "2026-10", "source": "x", "generated": "now", "version": "0"}
    page = write_month_index(tmp_path, parse_month("2026-10"), [], context, tmp_path).read_text()
    assert "−3 vs previous month" in page
    assert "+5.0 pts vs previous month" in page and "−10.0 pts vs previous month" in page
    assert "was email the previous month" in page and "same as previous month" in page
    assert page.count("no previous month") == 1


def test_money_tiles_name_their_currency(tmp_path):
    """The index showed "Pipeline from MQLs 437,517 · target 500,000" with no currency (the
    notebook's metrics carry it at their top level)."""
    from smk.periods import parse_month
    from smk.report import write_month_index

    kpis = [
        {"id": "pipe", "label": "Pipeline", "value": 437517, "target": 500000,
         "previous": 400000, "format": "money"},
        {"id": "own", "label": "Own", "value": 12, "format": "money", "currency": "USD"},
        {"id": "mqls", "label": "MQLs", "value": 63, "format": "int"},
    ]  # fmt: skip
    metrics = {"currency": "EUR", "kpis": kpis}
    (tmp_path / "metrics-funnel.json").write_text(json.dumps(metrics))
    context = {"month": "2026-10", "source": "x", "generated": "now", "version": "0"}
    page = write_month_index(tmp_path, parse_month("2026-10"), [], context, tmp_path).read_text()
    assert ">437,517 EUR<" in page and "target 500,000 EUR" in page
    assert "+37,517 EUR vs previous month" in page
    assert ">12 USD<" in page and ">63<" in page


def test_owner_display_names_are_treated_as_personal_names():
    from smk.model import CRM, make_table
    from smk.report import personal_names

    contacts = make_table(
        "contacts",
        [
            {"contact_id": "1", "created_at": "2026-01-01T00:00:00Z", "owner_id": "Jane Doe"},
            {"contact_id": "2", "created_at": "2026-01-01T00:00:00Z", "owner_id": "owner-07"},
        ],
    )
    contacts["First Name"] = pd.Series(["Ada", "Bo"], dtype="string")
    deals = make_table(
        "deals",
        [{"deal_id": "d", "created_at": "2026-01-02T00:00:00Z", "owner_id": "Zoë Ångström-Li"}],
    )
    names = personal_names(CRM(contacts=contacts, deals=deals))
    assert names == {"Jane Doe", "Doe, Jane", "Ada", "Zoë Ångström-Li", "Ångström-Li, Zoë"}


#: owner values as CRMs write people ("Last, First" and initials too), and ids that are none
NAMED_OWNERS = {
    "owner-01": "Doe, Jane",
    "owner-02": "DOE, John",
    "owner-03": "van der Berg, Anna",
    "owner-04": "O'Neil, Siobhan",
    "owner-05": "Müller-Lüdenscheidt, Hans-Peter",
    "owner-06": "Li, Wei",
}


def test_owners_written_last_first_or_with_initials_are_personal_names():
    # "Doe, Jane" and the like were no display names: the funnel page's owner tables showed them
    from smk.model import CRM, make_table
    from smk.report import personal_names

    people = [*NAMED_OWNERS.values(), "J. Doe", "Doe, J.", "Doe,Jane", "Jane Doe"]
    ids = ["owner-07", "005Dn000001AbCd", "12345", "owner_08", "Jane"]
    contacts = make_table(
        "contacts",
        [
            {"contact_id": str(i), "created_at": "2026-01-01T00:00:00Z", "owner_id": owner}
            for i, owner in enumerate(people[:5] + ids[:3])
        ],
    )
    deals = make_table(
        "deals",
        [
            {"deal_id": str(i), "created_at": "2026-01-02T00:00:00Z", "owner_id": owner}
            for i, owner in enumerate(people[5:] + ids[3:])
        ],
    )
    names = personal_names(CRM(contacts=contacts, deals=deals))
    assert set(people) <= names
    assert {"Jane Doe", "John DOE", "Anna van der Berg", "Siobhan O'Neil", "J. Doe"} <= names
    assert not set(ids) & names  # ids stay readable
    page = "".join(f"<td>{html_lib.escape(o)}</td>" for o in [*people, *ids])
    scrubbed = scrub_pii(page, names)
    assert scrubbed == "<td>[name removed]</td>" * len(people) + "".join(
        f"<td>{o}</td>" for o in ids
    )


def test_a_contact_written_last_first_is_a_personal_name_too():
    from smk.model import CRM, make_table
    from smk.report import personal_names

    contacts = make_table(
        "contacts",
        [{"contact_id": str(i), "created_at": "2026-01-01T00:00:00Z"} for i in range(2)],
    )
    contacts["First Name"] = pd.Series(["Jane", "Wei"], dtype="string")
    contacts["Last Name"] = pd.Series(["Doe", "Li"], dtype="string")
    contacts["Full Name"] = pd.Series(["van der Berg, Anna", pd.NA], dtype="string")
    names = personal_names(CRM(contacts=contacts))
    assert {"Doe, Jane", "Li, Wei", "Anna van der Berg", "van der Berg, Anna"} <= names


def _export_with_named_owners(tmp_path: Path) -> Path:
    """The sample with owners written as names (`NAMED_OWNERS`: "Doe, Jane", ...), not ids."""
    data = tmp_path / "export"
    shutil.copytree(SAMPLE, data)
    for path in data.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        for owner, name in NAMED_OWNERS.items():
            text = text.replace(f'"{owner}"', json.dumps(name, ensure_ascii=False))
        path.write_text(text, encoding="utf-8")
    return data


def test_the_funnel_page_hides_owners_written_last_first(tmp_path):
    # the sample with owners as names ("Doe, Jane", ...) rather than ids: the owner tables of
    # the funnel page showed every one of them
    data = _export_with_named_owners(tmp_path)
    out = tmp_path / "reports"
    result = run_cli(
        "report", "--data", str(data), "--month", "2026-10", "--out", str(out),
        "--notebooks", "funnel_sla", "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    month = out / "2026-10"
    page = (month / "01_funnel_sla.html").read_text()
    assert re.search(r"<td>rep-[0-9a-f]{6}</td>", page)  # stable pseudonyms (sla.owner_aliases)
    published = ("index.html", "manifest.json", "sla_by_owner.csv", "sla_mql_leads.csv")
    texts = [page, *((month / f).read_text() for f in published)]
    for text in texts:
        for name in NAMED_OWNERS.values():
            for shown in {name, html_lib.escape(name), *name.replace(",", " ").split()}:
                assert not re.search(rf"(?<![\w+/]){re.escape(shown)}(?![\w+/])", text), shown


def test_a_scheduled_run_logs_no_kernel_transport_warning(tmp_path):
    # ipykernel >= 7.4 warns on every kernel start over unencrypted TCP; a monthly cron log
    # full of security warnings hides the lines that matter. Our runs provision CurveZMQ keys.
    result = run_cli(*small_report(tmp_path, tmp_path / "reports"))
    assert result.returncode == 0, result.stderr
    assert "Executing" in result.stderr  # not quiet: the progress is there, the warning is not
    assert "without encryption" not in result.stderr


def test_a_database_password_never_reaches_the_report_log(tmp_path, monkeypatch):
    import sqlalchemy as sa

    import smk
    from smk.report import run_report

    db = tmp_path / "crm.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        for name, frame in smk.load(SAMPLE).tables().items():
            frame.drop(columns=[c for c in frame if c.startswith("_")]).to_sql(name, conn)
    engine.dispose()
    # No PostgreSQL server in CI: the URL below is opened as the SQLite file, the rest is real.
    real = sa.create_engine
    monkeypatch.setattr(sa, "create_engine", lambda url, **kw: real(f"sqlite:///{db}"))
    out = tmp_path / "reports"
    run_report(
        "postgresql://analyst:sekret42@crm-db.example/crm",
        "2026-09",
        out,
        quiet=True,
        notebook_dir=_notebook_dir(tmp_path, failing=False),
    )
    log = (out / "smk-report.log").read_text()
    assert "postgresql://analyst:***@crm-db.example/crm (sql)" in log
    leaked = [
        p for p in out.rglob("*") if p.is_file() and "sekret42" in p.read_text(errors="ignore")
    ]
    assert leaked == []


def test_relative_out_dir_works_from_any_working_directory(tmp_path):
    # a scheduler's cron job runs in its own directory; the notebooks resolve relative paths
    # against the project root, so the report must hand them absolute ones
    result = run_cli(*small_report(tmp_path, "monthly", "--quiet"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "monthly" / "2026-09" / "01_boom.html").is_file()
    assert (tmp_path / "monthly" / "2026-09" / "metrics-data_quality.json").is_file()


def test_a_month_with_too_little_history_publishes_pages_that_say_so(tmp_path):
    # 2025-11 is the sample's first full month: no deal has closed and no lead has a known
    # outcome yet. The month is still published; the pages that need history say what is missing.
    out = tmp_path / "reports"
    result = run_cli("report", "--data", str(SAMPLE), "--month", "2025-11", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert (
        "03_lead_scoring.ipynb" in result.stdout and "(not enough data this month)" in result.stdout
    )
    month = out / "2025-11"
    metrics = json.loads((month / "metrics.json").read_text())
    assert "only 0 leads have a known outcome" in metrics["lead_scoring"]["no_data"]
    assert "no won conversions to attribute" in metrics["attribution"]["no_data"]
    assert metrics["lead_scoring"]["kpis"] == []
    # the funnel page loses only its optional marketing-mix section, not its KPIs
    assert "no_data" not in metrics["funnel_sla"] and len(metrics["funnel_sla"]["kpis"]) >= 5
    assert not (month / "marketing_mix.csv").exists() and (month / "sla_by_owner.csv").exists()
    funnel = (month / "01_funnel_sla.html").read_text()
    assert (
        "Not enough data for this section: no deal closed in the 12 months up to 2025-11" in funnel
    )
    scoring = (month / "03_lead_scoring.html").read_text()
    assert "Not enough data for 2025-11." in scoring and "only 0 leads" in scoring
    assert "Traceback" not in scoring and "papermill" not in scoring.lower()
    index = (month / "index.html").read_text()
    assert index.count("not enough data:") == 2
    assert not (out / ".failed").exists()


def test_the_first_month_says_why_win_rate_and_attribution_are_missing(tmp_path):
    # 2025-11, the sample's first full month (its data begin on 2025-10-21, its first deal
    # closes on 2025-12-16): the win-rate tile says why it is empty, and attribution does not
    # ask for a longer window that would reach before the data
    out = tmp_path / "reports"
    result = run_cli(
        "report", "--data", str(SAMPLE), "--month", "2025-11", "--out", str(out),
        "--notebooks", "funnel_sla", "attribution", "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    month = out / "2025-11"
    metrics = json.loads((month / "metrics.json").read_text())
    win_rate = {k["id"]: k for k in metrics["funnel_sla"]["kpis"]}["win_rate"]
    assert win_rate["value"] is None and win_rate["detail"] == "no deal closed yet"
    funnel = (month / "01_funnel_sla.html").read_text()
    assert "no deal closed yet" in funnel
    assert "no deal closed yet" in (month / "index.html").read_text()
    why = metrics["attribution"]["no_data"]
    assert why == (
        "no won conversions to attribute in 2024-12-01 to 2025-11-30: the export's data begins "
        "on 2025-10-21, so a longer window cannot add any; choose a later month (the next won "
        "conversion is on 2025-12-16) or another conversion"
    )
    assert why in (month / "04_attribution.html").read_text()


def _sample_with_contacts(tmp_path: Path, edit) -> Path:
    """A copy of the bundled sample whose contacts table is `edit(contacts)` (all text)."""
    export = tmp_path / "export"
    shutil.copytree(SAMPLE, export, ignore=shutil.ignore_patterns("truth"))
    path = next(export.glob("*contacts*.csv"))
    contacts = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(contacts).to_csv(path, index=False, quoting=csv.QUOTE_ALL)
    return export


def _lead_scoring_report(export: Path, out: Path) -> subprocess.CompletedProcess:
    return run_cli(
        "report", "--data", str(export), "--month", "2026-10", "--out", str(out),
        "--notebooks", "lead_scoring", "--quiet",
    )  # fmt: skip


def test_a_month_with_history_but_no_new_leads_publishes_a_lead_scoring_page_that_says_so(
    tmp_path,
):
    # no contact created after mid-September: the model trains, but nobody is scored in October
    export = _sample_with_contacts(tmp_path, lambda c: c[c["Create Date"] < "2026-09-20"])
    out = tmp_path / "reports"
    result = _lead_scoring_report(export, out)
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "2026-10" / "metrics.json").read_text())
    assert metrics["lead_scoring"]["no_data"].startswith("no leads were scored in 2026-10: ")
    page = (out / "2026-10" / "03_lead_scoring.html").read_text()
    assert "Not enough data for 2026-10." in page and "no leads were scored in 2026-10" in page
    assert "Traceback" not in page and not (out / ".failed").exists()


def test_job_titles_with_an_at_sign_stay_readable_and_addresses_never_reach_the_exports(tmp_path):
    # both titles are common in the sample's reasons for 2026-10 ("Founder", "Student")
    renamed = {"Founder": "Founder @ Acme", "Student": "student@university.edu"}
    export = _sample_with_contacts(tmp_path, lambda c: c.replace({"Job Title": renamed}))
    out = tmp_path / "reports"
    result = _lead_scoring_report(export, out)
    assert result.returncode == 0, result.stderr
    scored = (out / "2026-10" / "scored_leads.csv").read_text(encoding="utf-8-sig")
    assert "job title Founder @ Acme (" in scored and "job title [e-mail removed] (" in scored
    published = [p for p in (out / "2026-10").iterdir() if p.suffix in {".csv", ".html", ".json"}]
    assert len(published) > 3
    for path in published:
        assert "student@university" not in path.read_text(), path.name


def test_an_export_of_contacts_only_publishes_what_it_can(tmp_path):
    # no companies, deals, activities or touchpoints: the funnel and the lead score still run
    export = tmp_path / "export"
    export.mkdir()
    for path in SAMPLE.glob("*contacts*.csv"):
        shutil.copy(path, export)
    out = tmp_path / "reports"
    result = run_cli(
        "report", "--data", str(export), "--month", "latest", "--out", str(out), "--quiet"
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "2026-10" / "metrics.json").read_text())
    assert "needs the accounts table" in metrics["segmentation"]["no_data"]
    assert "needs the touchpoints table" in metrics["attribution"]["no_data"]
    assert "no_data" not in metrics["lead_scoring"] and metrics["lead_scoring"]["kpis"]
    funnel = {k["id"]: k for k in metrics["funnel_sla"]["kpis"]}
    assert funnel["mqls"]["value"] > 0
    assert funnel["won_revenue"]["value"] is None
    assert funnel["won_revenue"]["detail"] == "the export has no deals"
    assert funnel["share_within_sla"]["status"] == "no data"
    page = (out / "2026-10" / "01_funnel_sla.html").read_text()
    assert "The export has no deals: pipeline and revenue are unknown, not zero." in page
    assert "The export has no sales activities" in page


def test_the_documented_params_example_is_accepted_by_every_notebook_it_names():
    from smk.report import check_params, read_params

    example = config.ROOT / "docs" / "examples" / "report-params.yaml"
    params = read_params(example)
    check_params(discover_notebooks(), params)  # an unknown setting would raise
    assert {"CHF", "GBP", "PLN"} <= set(params["fx_rates"])


def test_report_reads_the_export_with_the_given_reading_options(tmp_path, monkeypatch):
    import smk
    from smk import cli

    seen = {}
    real_load = smk.load

    def load(source, format="auto", **options):
        seen.update(options)
        return real_load(source, format, **options)

    monkeypatch.setattr(smk, "load", load)
    options = ("--timezone", "Europe/Berlin", "--dayfirst", "--decimal", ".", "--quiet")
    code = cli.main(small_report(tmp_path, tmp_path / "reports", *options))
    assert code == 0
    assert seen == {
        "mapping": None,
        "timezone": "Europe/Berlin",
        "dayfirst": True,
        "schema": None,
        "decimal": ".",
    }
    # and the published notebooks re-read the export so (their read_options parameter)
    published = nbformat.read(tmp_path / "reports" / "2026-09" / "00_data_quality.ipynb", 4)
    assert published.metadata["papermill"]["parameters"]["read_options"] == {
        "timezone": "Europe/Berlin",
        "dayfirst": True,
        "decimal": ".",
    }


@pytest.mark.parametrize(
    "setting, message",
    [
        (
            "notebooks:\n  funnel_sla:\n    workday_start: 8\n",
            'workday_start must be of type str like its default "09:00"',
        ),
        (
            "notebooks:\n  funnel_sla:\n    business_hours: 'yes'\n",
            "business_hours must be of type bool",
        ),
        ("seed: true\n", "seed (for notebook segmentation) must be of type int"),  # top level
        ("fx_rates: [1.0]\n", "fx_rates (for notebook funnel_sla) must be of type dict"),
    ],
)
def test_params_of_the_wrong_type_fail_before_any_notebook_runs(tmp_path, setting, message):
    from smk.report import check_params

    params = tmp_path / "params.yaml"
    params.write_text(setting)
    out = tmp_path / "r"
    result = run_cli("report", "--data", str(SAMPLE), "--out", str(out), "--params", str(params))
    assert result.returncode == 2 and message in result.stderr
    assert "Executing" not in result.stderr and not list(out.glob("20*"))
    check_params(
        discover_notebooks(), {"mql_target": 80, "pipeline_target": 250_000}
    )  # int as float


def test_scrub_pii_with_many_names_removes_the_same_as_one_alternation_of_all_of_them():
    import html as html_lib
    import random
    import re as re_lib

    rng = random.Random(0)
    syllables = ["an", "bel", "cor", "da", "el", "fa", "gor", "hal", "is", "jo", "ka", "lu"]
    names = {
        "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).title()
        for _ in range(20_000)
    }
    names |= {"O'Brien", "Van der Berg", "Ann", "Anna Maria"}
    picked = sorted(names)[:50] + ["O'Brien", "Van der Berg", "Anna Maria", "Ann"]
    cells = [html_lib.escape(f"{n} x{i}") for i, n in enumerate(picked)]
    text = "<td>" + "</td><td>".join(cells + ["Annabel", "Van der Bergen", "Ann-Kathrin"]) + "</td>"

    slow = re_lib.compile(
        r"(?<![\w])("
        + "|".join(re_lib.escape(html_lib.escape(n)) for n in sorted(names, key=len, reverse=True))
        + r")(?![\w])"
    )
    assert scrub_pii(text, names) == slow.sub("[name removed]", text)
    assert "O&#x27;Brien" not in scrub_pii(text, names) and "Annabel" in scrub_pii(text, names)


def test_names_with_an_apostrophe_or_short_parts_are_removed_from_pages():
    from smk.model import CRM, make_table
    from smk.report import personal_names

    contacts = make_table(
        "contacts",
        [{"contact_id": str(i), "created_at": "2026-01-01T00:00:00Z"} for i in range(4)],
    )
    contacts["First Name"] = pd.Series(["Siobhan", "Wei", "Li", ""], dtype="string")
    contacts["Last Name"] = pd.Series(["O'Brien", "Li", pd.NA, "Ng"], dtype="string")
    names = personal_names(CRM(contacts=contacts))
    assert {"Siobhan O'Brien", "Wei Li", "O'Brien", "Siobhan"} <= names
    assert not {"Li", "Ng", " Ng", "Li <NA>"} & names  # a short name alone could be any word
    page = (
        "<td>Dinner with O'Brien</td><td>Coffee with Wei Li</td><td>Li Bai</td>"
        '<img alt="O&#x27;Brien"><td>Ng</td>'
    )
    assert scrub_pii(page, names) == (
        "<td>Dinner with [name removed]</td><td>Coffee with [name removed]</td><td>Li Bai</td>"
        '<img alt="[name removed]"><td>Ng</td>'
    )


def test_missing_values_in_published_tables_show_a_dash_not_pandas_marks():
    from smk.report import blank_missing

    page = (
        "<tr><td>NaN</td><td class='n'> &lt;NA&gt; </td><td>NaT</td><td>None</td>"
        "<td>NaN rate</td><td>0.5</td></tr><pre>NaN</pre>"
    )
    assert blank_missing(page) == (
        "<tr><td>–</td><td class='n'>–</td><td>–</td><td>–</td>"
        "<td>NaN rate</td><td>0.5</td></tr><pre>NaN</pre>"
    )


def test_a_kernel_that_does_not_start_is_started_again_then_named(tmp_path, monkeypatch):
    import papermill

    from smk import report
    from smk.periods import parse_month

    calls = []

    def flaky(source, target, **kwargs):  # a port race between kernels started at once
        calls.append(1)
        if len(calls) < report.KERNEL_START_TRIES:
            raise RuntimeError("Kernel died before replying to kernel_info")
        nbformat.write(new_notebook(), target)  # papermill writes the executed notebook

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    report._execute_with_kernel_retries(Path("nb.ipynb"), tmp_path / "nb.ipynb", {}, "smk", True)
    assert len(calls) == report.KERNEL_START_TRIES

    def never(*args, **kwargs):
        raise RuntimeError("Kernel didn't respond in 60 seconds")

    monkeypatch.setattr(papermill, "execute_notebook", never)
    with pytest.raises(report.ReportError, match=r"nb.ipynb: the Python kernel Kernel didn't"):
        report._execute_one(
            Path("nb.ipynb"), tmp_path / "nb.ipynb", {}, "smk", True, None,
            parse_month("2026-10"),
        )  # fmt: skip

    def broken(*args, **kwargs):  # any other error stays what it is: a bug, not a retry
        raise RuntimeError("something else")

    monkeypatch.setattr(papermill, "execute_notebook", broken)
    with pytest.raises(RuntimeError, match="something else"):
        report._execute_with_kernel_retries(Path("nb.ipynb"), tmp_path / "x", {}, "smk", True)


#: A cell's writes, each flushed (sent as its own stream message, as a busy kernel's timed flush
#: did between a print's text and its "\n": one run's page then differed from another's), with
#: stderr's between stdout's.
STREAM_WRITES = """import sys
from IPython.display import display
sys.stdout.write("first"); sys.stdout.flush()
sys.stdout.write(" line\\n"); sys.stdout.flush()
sys.stderr.write("a warning\\n"); sys.stderr.flush()
for name in "AB":
    print("heading", name); sys.stdout.flush()
    display({"text/plain": "table " + name}, raw=True)"""


def _last_cell_run(tmp_path: Path, code: str) -> list:
    """The outputs of `code`'s cell, the last of a notebook run as `smk report` runs one
    (`_execute_with_kernel_retries`: `tmp_path/executed.ipynb`)."""
    from smk.report import _execute_with_kernel_retries, ensure_kernel

    cells = [
        new_markdown_cell("# Streams"),
        new_code_cell("month = '2026-10'", metadata={"tags": ["parameters"]}),
        new_code_cell(code),
    ]
    kernelspec = {"name": "smk", "display_name": "Python (smk)", "language": "python"}
    source, executed = tmp_path / "01_streams.ipynb", tmp_path / "executed.ipynb"
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": kernelspec}), source)
    _execute_with_kernel_retries(source, executed, {"month": "2026-10"}, ensure_kernel(), True)
    return nbformat.read(executed, as_version=4).cells[-1].outputs


def test_a_cell_s_stream_outputs_are_joined_where_they_follow_one_another(tmp_path):
    """A print's pieces, flushed apart, are one output (two runs publish alike), but text is
    never moved past a table: each heading stays above its own table (nbclient's
    `coalesce_streams` put both headings above both tables)."""
    outputs = _last_cell_run(tmp_path, STREAM_WRITES)
    shown = [o.get("text") or o["data"]["text/plain"] for o in outputs]
    assert shown == [
        "first line\n",
        "a warning\n",
        "heading A\n",
        "table A",
        "heading B\n",
        "table B",
    ]


PROGRESS_THEN_FAIL = """import sys, warnings
from smk import notebooks
warnings.showwarning = notebooks.show_plain_warnings
for p in (0, 50, 100):
    print(f"{p}%", end="\\r"); sys.stdout.flush()
print("done"); sys.stdout.flush()
warnings.warn("a caveat")
print("after the caveat")
sys.stdout.write("cut"); sys.stdout.flush()
sys.stdout.write(" short\\n"); sys.stdout.flush()
raise ValueError("stop")"""


def test_a_failed_notebook_s_streams_are_joined_too_and_show_a_progress_line_as_left(tmp_path):
    """A page cut short ("not enough data") publishes the cells before the error, and a failed
    notebook is kept to read: their streams are joined as a finished one's; a counter that
    rewrites its line shows its last state; smk's warning keeps its place among the prints."""
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError):
        _last_cell_run(tmp_path, PROGRESS_THEN_FAIL)
    outputs = nbformat.read(tmp_path / "executed.ipynb", as_version=4).cells[-1].outputs
    streams = [(o.name, o.text) for o in outputs if o.output_type == "stream"]
    assert streams == [
        ("stdout", "done\n"),  # the counter's line, rewritten by "done"
        ("stderr", "warning: a caveat\n"),
        ("stdout", "after the caveat\ncut short\n"),
    ]


# ------------------------------------------------------------------ signals, leftovers, locks
def _slow_notebook_dir(tmp_path: Path) -> Path:
    """A notebook folder whose one notebook sleeps long enough to be stopped mid-run."""
    folder = tmp_path / "slow"
    folder.mkdir()
    cells = [
        new_markdown_cell("# Slow"),
        new_code_cell(PARAMS, metadata={"tags": ["parameters"]}),
        new_code_cell("import time\ntime.sleep(300)"),
    ]
    nb = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "smk", "display_name": "Python (smk)", "language": "python"}
        },
    )
    nbformat.write(nb, folder / "01_slow.ipynb")
    return folder


def test_sigterm_mid_run_removes_the_personal_data_cache_and_staging(tmp_path):
    # `timeout` in a scheduler sends SIGTERM: it used to end the run with no clean-up, leaving
    # a Parquet copy of the whole model (e-mails, names) in the reports folder for good
    import os
    import signal
    import time

    out = tmp_path / "reports"
    out.mkdir()
    # what a run killed outright (SIGKILL) left: its lock file, held by nobody, and its folders
    (out / ".run-2026-08-0badc0de.lock").write_text("pid 1\n")
    (out / ".cache-2026-08-0badc0de").mkdir()
    (out / ".cache-2026-08-0badc0de" / "contacts.parquet").write_text("personal data")
    args = ["report", "--data", str(SAMPLE), "--month", "2026-09", "--out", str(out), "--quiet"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "smk", *args, "--notebook-dir", str(_slow_notebook_dir(tmp_path))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while not list(out.glob(".staging-*")) and proc.poll() is None:
            assert time.monotonic() < deadline, "the report never started its notebooks"
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()
        assert list(out.glob(".cache-2026-09-*"))  # the personal data, mid-run
        time.sleep(2)  # inside the notebook's kernel by now
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    assert sorted(p.name for p in out.iterdir()) == ["smk-report.log"]  # the old leftover too
    log = (out / "smk-report.log").read_text()
    assert "signal 15: stopping the report" in log
    assert log.rstrip().endswith("ERROR exit code 143: terminated by signal 15")  # a failure


def test_sigterm_and_sighup_become_terminated_only_while_a_report_runs():
    import os
    import signal
    import threading
    import time

    from smk.report import Terminated, _Signals

    saved = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        with pytest.raises(Terminated) as caught, _Signals():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises at once
        assert caught.value.code == 143 and isinstance(caught.value, SystemExit)
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored

        cleaned = []  # a signal during the clean-up waits until it is done
        with pytest.raises(Terminated), _Signals() as signals, signals.deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.2)
            cleaned.append("all")
        assert cleaned == ["all"]

        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # nohup-like: stays ignored
        with _Signals():
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

        taken = []  # in another thread (a library caller's worker) nothing is changed
        worker = threading.Thread(target=lambda: taken.append(_Signals().__enter__().saved))
        worker.start()
        worker.join()
        assert taken == [{}] and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, saved)


def test_the_sweep_removes_what_killed_runs_left_but_never_a_running_report_s_folders(tmp_path):
    import fcntl
    import os
    import time

    from smk.report import sweep_leftovers

    def leftover(name: str, age: float = 0) -> Path:
        (tmp_path / name).mkdir()
        (tmp_path / name / "contacts.parquet").write_text("personal data")
        stamp = time.time() - age
        os.utime(tmp_path / name, (stamp, stamp))
        return tmp_path / name

    # a killed run: its lock file is held by nobody
    (tmp_path / ".run-2026-10-000dead0.lock").write_text("pid 1\n")
    for kind in ("cache", "staging", "old"):
        leftover(f".{kind}-2026-10-000dead0")
    # a running report (here: another open file holding the lock)
    (tmp_path / ".run-2026-10-0a11fe00.lock").write_text("pid 2\n")
    running = [leftover(f".{kind}-2026-10-0a11fe00", age=7200) for kind in ("cache", "staging")]
    held = os.open(tmp_path / ".run-2026-10-0a11fe00.lock", os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)
    # no lock file at all (an smk before run locks): by age
    leftover(".cache-2026-09-0001d000", age=7200)
    young = leftover(".staging-2026-09-000ne000", age=60)
    (tmp_path / "2026-10").mkdir()
    (tmp_path / ".staging-notours").mkdir()
    try:
        removed = sweep_leftovers(tmp_path)
    finally:
        os.close(held)
    assert sorted(removed) == sorted(
        [".cache-2026-10-000dead0", ".staging-2026-10-000dead0", ".old-2026-10-000dead0"]
        + [".run-2026-10-000dead0.lock", ".cache-2026-09-0001d000"]
    )
    assert all(p.is_dir() for p in running) and young.is_dir()
    assert (tmp_path / ".run-2026-10-0a11fe00.lock").is_file()
    assert (tmp_path / "2026-10").is_dir() and (tmp_path / ".staging-notours").is_dir()
    # once that run has ended (it holds its lock no more), its folders go as well
    assert sorted(sweep_leftovers(tmp_path)) == sorted(
        [p.name for p in running] + [".run-2026-10-0a11fe00.lock"]
    )


@pytest.mark.parametrize(
    "setting, message",
    [
        ("notebooks: [1, 2]\n", "notebooks must be a mapping of notebook name to its settings"),
        ("notebooks:\n  funnel_sla: 5\n", "notebooks.funnel_sla must be a mapping of setting"),
        ("notebooks: 3\n", "notebooks must be a mapping"),
        (
            "notebooks:\n  funnel_sla:\n    output_dir: /tmp/elsewhere\n",
            "notebooks.funnel_sla.output_dir is set by the command's options",
        ),
    ],
)
def test_a_malformed_notebooks_section_is_bad_parameters_not_a_bug(tmp_path, setting, message):
    from smk.report import check_params

    params = tmp_path / "params.yaml"
    params.write_text(setting)
    out = tmp_path / "r"
    result = run_cli("report", "--data", str(SAMPLE), "--out", str(out), "--params", str(params))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "internal error" not in result.stderr
    assert "Executing" not in result.stderr and not list(out.glob("20*"))
    check_params(discover_notebooks(), {"notebooks": None})  # an empty section is fine
    check_params(discover_notebooks(), {"notebooks": {"funnel_sla": None}})


@pytest.mark.parametrize("text", ["{bad\n", "{}\n", ""])
def test_a_file_in_the_notebook_folder_that_is_no_notebook_is_bad_input(tmp_path, text):
    # `{bad` in --notebook-dir was an internal error (exit 1)
    folder = tmp_path / "nbs"
    folder.mkdir()
    shutil.copy(discover_notebooks()[0], folder)
    (folder / "01_broken.ipynb").write_text(text)
    out = tmp_path / "r"
    result = run_cli(
        "report", "--data", str(SAMPLE), "--out", str(out), "--notebook-dir", str(folder)
    )
    assert result.returncode == 2, result.stderr
    assert "01_broken.ipynb is not a readable Jupyter notebook" in result.stderr
    assert "internal error" not in result.stderr and not list(out.glob("20*"))


def test_an_out_folder_smk_does_not_own_is_refused_not_overwritten(tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    (www / "index.html").write_text("<h1>my site</h1>\n")
    (www / "about.html").write_text("<h1>about</h1>\n")
    result = run_cli(
        "report", "--data", str(SAMPLE), "--out", str(www), "--notebooks", "data_quality"
    )
    assert result.returncode == 2, result.stderr
    assert "is not an smk reports folder and is not empty" in result.stderr
    assert "about.html, index.html" in result.stderr and "Traceback" not in result.stderr
    assert (www / "index.html").read_text() == "<h1>my site</h1>\n"
    assert sorted(p.name for p in www.iterdir()) == ["about.html", "index.html"]  # no log either


def test_new_empty_and_smk_s_own_reports_folders_are_accepted(tmp_path):
    from smk.report import check_out_folder

    check_out_folder(tmp_path / "new")
    check_out_folder(tmp_path)  # empty
    (tmp_path / "README.md").write_text("# reports\n")  # the project's reports/ in a fresh clone
    (tmp_path / ".gitkeep").write_text("")
    check_out_folder(tmp_path)
    month = tmp_path / "2026-10"  # only what smk writes, without the top index
    month.mkdir()
    (month / "manifest.json").write_text('{"files": {}}')
    (tmp_path / "smk-report.log").write_text("")
    (tmp_path / ".cache-2026-10-abcdef12").mkdir()
    check_out_folder(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="holds notes.txt"):
        check_out_folder(tmp_path)
    write_reports_index(tmp_path)  # smk's index: its folder
    check_out_folder(tmp_path)
    # an index written before the generator tag (an earlier smk) counts as smk's too
    legacy = (
        (tmp_path / "index.html").read_text().replace('<meta name="generator" content="smk">', "")
    )
    (tmp_path / "index.html").write_text(legacy)
    check_out_folder(tmp_path)
    (tmp_path / "index.html").write_text("<h1>my site</h1>")
    with pytest.raises(ValueError, match="index.html"):
        check_out_folder(tmp_path)


def test_a_partial_rerun_on_another_export_records_and_shows_each_page_s_source(tmp_path):
    out = tmp_path / "reports"
    first = run_cli(*small_report(tmp_path, out, "--quiet"))
    assert first.returncode == 0, first.stderr
    clean = tmp_path / "clean"
    shutil.copytree(SAMPLE, clean)
    again = run_cli(
        "report", "--data", str(clean), "--month", "2026-09", "--out", str(out),
        "--notebook-dir", str(tmp_path / "ok"), "--notebooks", "boom", "--quiet",
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    month = out / "2026-09"
    pages = json.loads((month / "manifest.json").read_text())["pages"]
    assert pages["data_quality"]["data"] == str(SAMPLE.resolve())
    assert pages["data_quality"]["source"] == "hubspot"  # the folder is named as its format: once
    assert pages["boom"]["data"] == str(clean) and pages["boom"]["source"] == "clean (hubspot)"
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", p["generated"]) for p in pages.values()
    )
    index = (month / "index.html").read_text()
    assert (
        "data sources differ between pages: hubspot for data_quality; "
        "clean (hubspot) for boom" in index
    )
    assert "data source clean" not in index  # the header no longer claims one source
    assert re.search(
        r'href="00_data_quality.ipynb">notebook</a>\) · data hubspot, generated', index
    )
    assert re.search(
        r'href="01_boom.ipynb">notebook</a>\) · data clean \(hubspot\), generated', index
    )


def test_month_index_says_where_each_page_came_from_only_when_they_differ(tmp_path):
    from smk.periods import parse_month
    from smk.report import NotebookRun, write_month_index

    context = {"month": "2026-10", "source": "crm (hubspot)", "generated": "now", "version": "0"}
    runs = [NotebookRun("a", tmp_path / "00_a.ipynb"), NotebookRun("b", tmp_path / "01_b.ipynb")]
    same = {"source": "crm (hubspot)", "data": "/x/crm", "generated": "now"}
    one = write_month_index(
        tmp_path, parse_month("2026-10"), runs, context, tmp_path, {"a": same, "b": same}
    ).read_text()
    assert "data source crm (hubspot) · generated now · smk 0" in one and "· data crm" not in one
    # b kept from a month published before smk recorded sources
    mixed = write_month_index(
        tmp_path, parse_month("2026-10"), runs, context, tmp_path, {"a": same, "b": {}}
    ).read_text()
    assert (
        "data sources differ between pages: crm (hubspot) for a; data source not recorded for b"
        in mixed
    )
    assert "pages from more than one run: see Pages" in mixed
    assert "· data crm (hubspot), generated now</li>" in mixed
    assert "data source and run not recorded (published before smk recorded them)" in mixed


def _staged_month(folder: Path, label: str, page: str = "00_a"):
    from smk.report import NotebookRun, notebook_name

    name = notebook_name(Path(page))
    folder.mkdir()
    (folder / f"{page}.ipynb").write_text("{}")
    (folder / f"{page}.html").write_text(label)
    (folder / f"metrics-{name}.json").write_text(json.dumps({"kpis": []}))
    return [NotebookRun(name, folder / f"{page}.ipynb", files=[f"{page}.ipynb", f"{page}.html"])]


def test_a_run_that_started_earlier_does_not_replace_what_a_later_run_published(tmp_path):
    # a scheduled run, then a re-run on the refreshed export 8 s later that published first:
    # the scheduled run published last and replaced the month with the old export's figures
    from smk import report
    from smk.periods import parse_month

    out = tmp_path / "reports"
    out.mkdir()
    month = parse_month("2026-10")
    context = {"month": "2026-10", "source": "x", "generated": "now", "version": "0"}

    def publish(tag: str, started: str, page: str = "00_a", partial: bool = False) -> Path:
        staging = out / f".staging-2026-10-{tag}"
        runs = _staged_month(staging, tag, page)
        origin = {"source": "x", "data": "x", "generated": "now", report.RUN_STARTED: started}
        return report.publish_month(staging, out, month, runs, context, origin, partial=partial)

    publish("0000000b", "2026-11-01T06:00:08+00:00")  # the re-run, published first
    told = (
        "2026-10 was published meanwhile by a run that started later (2026-11-01 06:00:08 UTC; "
        "this run started 2026-11-01 06:00:00 UTC): this run would replace its pages a with "
        "figures of an older run, so the published 2026-10 is left as it is"
    )
    for partial in (False, True):
        with pytest.raises(report.ReportError, match=re.escape(told)):
            publish(f"0000000{'cd'[partial]}", "2026-11-01T06:00:00+00:00", partial=partial)
    manifest = json.loads((out / "2026-10" / "manifest.json").read_text())
    assert (out / "2026-10" / "00_a.html").read_text() == "0000000b"
    assert manifest["pages"]["a"][report.RUN_STARTED] == "2026-11-01T06:00:08+00:00"

    # the older run's other page, which the later run did not publish, is added
    publish("0000000e", "2026-11-01T06:00:00+00:00", "01_b", partial=True)
    assert (out / "2026-10" / "00_a.html").read_text() == "0000000b"
    assert (out / "2026-10" / "01_b.html").read_text() == "0000000e"
    publish("0000000f", "2026-11-01T07:00:00+00:00")  # a re-run started later replaces as before
    assert (out / "2026-10" / "00_a.html").read_text() == "0000000f"
    assert not (out / "2026-10" / "01_b.html").exists()


def test_a_full_run_overtaken_on_one_page_keeps_that_page_and_publishes_its_others(
    tmp_path, capsys
):
    # a quick `--notebooks 00_data_quality` run, started after the scheduled full run, published
    # first: the full run then threw all its pages away (exit 3) and left a one-page month
    from smk import report
    from smk.periods import parse_month

    out = tmp_path / "reports"
    out.mkdir()
    month = parse_month("2026-10")
    context = {"month": "2026-10", "source": "x", "generated": "now", "version": "0"}

    def origin(started: str) -> dict:
        return {"source": "x", "data": "x", "generated": "now", report.RUN_STARTED: started}

    quick = out / ".staging-2026-10-0000000a"
    runs = _staged_month(quick, "quick", "00_a")
    report.publish_month(
        quick, out, month, runs, context, origin("2026-11-01T06:00:05+00:00"), partial=True
    )
    full = out / ".staging-2026-10-0000000b"
    runs = _staged_month(full, "full", "00_a")
    (full / "01_b.ipynb").write_text("{}")
    (full / "01_b.html").write_text("full")
    (full / "metrics-b.json").write_text(json.dumps({"kpis": []}))
    (full / "b.csv").write_text("x\n1\n")
    runs.append(report.NotebookRun("b", full / "01_b.ipynb", files=["01_b.ipynb", "01_b.html"]))
    runs[-1].files.append("b.csv")
    report.publish_month(
        full,
        out,
        month,
        runs,
        context,
        origin("2026-11-01T06:00:00+00:00"),
        partial=False,
        quiet=False,
    )
    published = out / "2026-10"
    assert (published / "00_a.html").read_text() == "quick"  # the later run's page kept
    assert (published / "01_b.html").read_text() == "full"
    assert (published / "b.csv").is_file()
    manifest = json.loads((published / "manifest.json").read_text())
    assert manifest["pages"]["a"][report.RUN_STARTED] == "2026-11-01T06:00:05+00:00"
    assert manifest["pages"]["b"][report.RUN_STARTED] == "2026-11-01T06:00:00+00:00"
    assert manifest["files"]["00_a.html"] == "a" and manifest["files"]["01_b.html"] == "b"
    err = capsys.readouterr().err
    assert "would replace its pages a with figures of an older run: those are kept" in err


def test_a_recorded_start_later_than_now_holds_no_run_back(tmp_path):
    # another host's clock two hours ahead wrote the page: every run of the month was refused
    # until the clock passed that time
    import datetime as dt

    from smk import report
    from smk.periods import parse_month

    out = tmp_path / "reports"
    out.mkdir()
    month = parse_month("2026-10")
    context = {"month": "2026-10", "source": "x", "generated": "now", "version": "0"}
    now = dt.datetime.now(dt.UTC)
    for tag, started in (("0000000a", now + dt.timedelta(hours=2)), ("0000000b", now)):
        staging = out / f".staging-2026-10-{tag}"
        runs = _staged_month(staging, tag)
        origin = {"source": "x", "generated": "now", report.RUN_STARTED: started.isoformat()}
        report.publish_month(staging, out, month, runs, context, origin, partial=False)
    assert (out / "2026-10" / "00_a.html").read_text() == "0000000b"


def test_two_reports_publishing_the_same_month_at_once_take_turns(tmp_path, monkeypatch):
    # two scheduled runs of one month finishing together: both swapped the month at once, the
    # loser failed with OSError 39 and left `.old-2026-10-<id>/` behind for good
    import os
    import threading
    import time

    from smk import report
    from smk.periods import parse_month

    out = tmp_path / "reports"
    out.mkdir()
    month = parse_month("2026-10")
    context = {"month": "2026-10", "source": "x", "generated": "now", "version": "0"}
    real_replace = os.replace

    def slow_replace(src, dst):  # a slow disk between moving the old month away and the new in
        real_replace(src, dst)
        if Path(dst).name.startswith(".old-"):
            time.sleep(0.5)

    monkeypatch.setattr(report.os, "replace", slow_replace)
    first = _staged_month(out / ".staging-2026-10-00000001", "first")
    report.publish_month(
        out / ".staging-2026-10-00000001", out, month, first, context, {}, partial=False
    )
    errors, finished = [], []

    def publish(tag: str) -> None:
        staging = out / f".staging-2026-10-{tag}"
        try:
            report.publish_month(staging, out, month, runs[tag], context, {}, partial=False)
            finished.append(tag)
        except Exception as exc:
            errors.append(exc)

    runs = {
        tag: _staged_month(out / f".staging-2026-10-{tag}", tag) for tag in ("0000000a", "0000000b")
    }
    threads = [threading.Thread(target=publish, args=(tag,)) for tag in runs]
    for thread in threads:
        thread.start()
        time.sleep(0.1)
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(finished) == ["0000000a", "0000000b"]
    assert (out / "2026-10" / "00_a.html").read_text() == finished[-1]
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []  # no lock left


def test_publishing_gives_up_clearly_when_another_report_keeps_the_folder(tmp_path, monkeypatch):
    import fcntl
    import os

    from smk import report
    from smk.periods import parse_month

    monkeypatch.setattr(report, "PUBLISH_WAIT", 0.5)
    out = tmp_path / "reports"
    out.mkdir()
    runs = _staged_month(out / ".staging-2026-10-0000000a", "mine")
    held = os.open(out / ".publish.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(held, fcntl.LOCK_EX)
    os.write(held, b"2026-10, pid 4242\n")
    try:
        with pytest.raises(report.ReportError, match=r"another report \(2026-10, pid 4242\) is "
                           r"being published into .*reports: gave up waiting after 0 s"):  # fmt: skip
            report.publish_month(
                out / ".staging-2026-10-0000000a", out, parse_month("2026-10"), runs,
                {"month": "2026-10", "source": "x", "generated": "now", "version": "0"}, {},
                partial=False,
            )  # fmt: skip
    finally:
        os.close(held)
    assert not (out / "2026-10").exists()


def test_published_notebooks_name_the_export_and_the_month_not_deleted_temporary_folders(
    published,
):
    month = published / "2026-10"
    for nb in discover_notebooks():
        executed = nbformat.read(month / nb.name, as_version=4)
        parameters = executed.metadata["papermill"]["parameters"]
        assert parameters["data_path"] == str(SAMPLE.resolve())
        assert parameters["output_dir"] == str(month)
        injected = next(c for c in executed.cells if "injected-parameters" in c.metadata["tags"])
        assert f'data_path = "{SAMPLE.resolve()}"' in injected.source
        # re-runnable on the export itself (the cache's `parquet` would not read it)
        assert parameters["data_format"] == "hubspot"
        assert 'data_format = "hubspot"' in injected.source
        assert parameters["read_options"] == {}  # read with no option
        # as papermill replaces the injected cell on a re-run, the parameters cell says so too
        cell = next(c for c in executed.cells if "parameters" in c.metadata["tags"])
        assert f'data_path: str = "{SAMPLE.resolve()}"' in cell.source.replace("(\n    ", "")
        assert 'data_format: str = "hubspot"' in cell.source
        assert f'output_dir: str = "{month}"' in cell.source.replace("(\n    ", "")
        # and so does the provenance table (it said data_format parquet, the deleted cache)
        rows = _provenance_rows(executed)
        assert rows["parameter data_format"] == "hubspot", nb.name
        assert rows["parameter read_options"] == "{}", nb.name
        assert "read via" in rows
    from smk.notebooks import open_crm, output_folder

    assert len(open_crm(parameters["data_path"], parameters["data_format"]).contacts) > 0
    # but not into the published month: its files would change under its pages
    with pytest.raises(ValueError, match="is a published report month: re-run"):
        output_folder(parameters["output_dir"])
    leaks = [
        p.name
        for p in month.iterdir()
        if p.suffix in {".ipynb", ".html", ".json", ".csv"}
        and re.search(r"\.(cache|staging)-2026-10-", p.read_text(errors="ignore"))
    ]
    assert leaks == []


def test_unquoted_yaml_dates_in_the_params_are_read_as_iso_text(tmp_path):
    # `holidays: [2026-04-03]` (YAML dates) ran the notebooks, then failed as an internal
    # error: papermill writes the parameters as JSON, which has no dates
    from smk.report import check_params, read_params

    path = tmp_path / "params.yaml"
    path.write_text("notebooks:\n  funnel_sla:\n    holidays: [2026-04-03, 2026-04-06]\n")
    params = read_params(path)
    assert params["notebooks"]["funnel_sla"]["holidays"] == ["2026-04-03", "2026-04-06"]
    json.dumps(params)
    check_params(discover_notebooks(["funnel_sla"]), params)


@pytest.mark.parametrize(
    "setting, message",
    [
        ('holidays: ["24/12/2026"]', "a holiday is a date like 2026-12-25"),
        ("share_to_work: 80", "SLA share_to_work is a share between 0 and 1"),
    ],
)
def test_bad_sla_values_in_the_params_are_refused_before_any_notebook(tmp_path, setting, message):
    # they failed inside notebook 01 (exit 3) after the data-quality page had run
    result = _report_with_setting(tmp_path, "funnel_sla", setting)
    assert f"notebooks.funnel_sla: {message}" in result.stderr


def _report_with_setting(tmp_path: Path, notebook: str, setting: str):
    """`smk report` on the sample with one notebook setting in a params file; it must stop
    before any notebook runs (exit 2, no month published)."""
    params = tmp_path / "params.yaml"
    params.write_text(f"notebooks:\n  {notebook}:\n    {setting}\n")
    out = tmp_path / "r"
    result = run_cli("report", "--data", str(SAMPLE), "--out", str(out), "--params", str(params))
    assert result.returncode == 2, result.stderr
    assert "Executing" not in result.stderr and not list(out.glob("20*"))
    return result


def test_a_parked_month_whose_month_folder_is_gone_is_put_back_not_swept(tmp_path):
    # a run killed between the two renames of the swap left the published month only as
    # `.old-<month>-<id>`: the next run's sweep deleted the only copy
    from smk.report import sweep_leftovers

    (tmp_path / ".run-2026-10-000dead0.lock").write_text("pid 1\n")  # nobody holds it
    parked = tmp_path / ".old-2026-10-000dead0"
    parked.mkdir()
    (parked / "manifest.json").write_text("{}")
    (tmp_path / ".staging-2026-10-000dead0").mkdir()
    removed = sweep_leftovers(tmp_path)
    assert (tmp_path / "2026-10" / "manifest.json").is_file() and not parked.exists()
    assert ".old-2026-10-000dead0" not in removed
    assert ".staging-2026-10-000dead0" in removed
    # with the month in place, a parked copy is an old version: it goes
    parked.mkdir()
    (tmp_path / ".run-2026-10-000dead0.lock").write_text("pid 1\n")
    assert ".old-2026-10-000dead0" in sweep_leftovers(tmp_path) and not parked.exists()


def test_a_month_folder_smk_did_not_publish_is_never_replaced(tmp_path):
    # with smk's index.html at the top, a user's own 2026-10/ was moved aside and deleted
    from smk.periods import parse_month
    from smk.report import check_out_folder, publish_month

    out = tmp_path / "reports"
    (out / "2026-10").mkdir(parents=True)
    (out / "2026-10" / "board-notes.docx").write_text("mine")
    (out / "index.html").write_text('<html><meta name="generator" content="smk"></html>')
    staging = out / ".staging-2026-10-00000001"
    staging.mkdir()
    with pytest.raises(ValueError, match="no month smk published"):
        publish_month(staging, out, parse_month("2026-10"), [], {}, {}, partial=False)
    assert (out / "2026-10" / "board-notes.docx").read_text() == "mine"
    # and a published month is no reports folder
    month = tmp_path / "r2" / "2026-09"
    month.mkdir(parents=True)
    (month / "manifest.json").write_text("{}")
    with pytest.raises(ValueError, match="is a published month, not a reports folder"):
        check_out_folder(month)


def test_the_month_index_removes_e_mails_and_names_like_the_pages(tmp_path):
    # an export folder named like an e-mail, or a NoDataError naming it, reached the month's
    # index.html unmasked (the pages were scrubbed, the index was not)
    from smk.periods import parse_month
    from smk.report import NotebookRun, write_month_index

    context = {
        "month": "2026-10",
        "source": "jane.doe@acme.com (hubspot)",
        "generated": "now",
        "version": "0",
    }
    runs = [NotebookRun("a", tmp_path / "00_a.ipynb"), NotebookRun("b", tmp_path / "01_b.ipynb")]
    pages = {
        "a": {"source": "jane.doe@acme.com (hubspot)", "data": "/x", "generated": "now"},
        "b": {"source": "Garix Elmford (hubspot)", "data": "/y", "generated": "later"},
    }
    month = parse_month("2026-10")
    text = write_month_index(
        tmp_path, month, runs, context, tmp_path, pages, {"Garix Elmford"}
    ).read_text()
    assert "jane.doe@acme.com" not in text and "Garix Elmford" not in text
    assert "[name removed] (hubspot)" in text
    kept = write_month_index(tmp_path, month, runs, context, tmp_path, pages).read_text()
    assert "Garix Elmford" in kept  # --include-pii: nothing removed


def test_scrubbing_names_leaves_embedded_images_whole():
    """A name between a `+` and a `/` of a base64 image's text was replaced, breaking the
    image; the same name in the page's text is still removed."""
    from smk.report import scrub_pii

    image = '<img src="data:image/png;base64,iVBOR+Anna/xyz+Doe, Jane/Q==">'
    page = f"{image}<td>Anna</td><td>Doe, Jane</td>"
    out = scrub_pii(page, {"Anna", "Doe, Jane"})
    assert out == f"{image}<td>[name removed]</td><td>[name removed]</td>"


# ------------------------------------------------------------------ re-running a published notebook
_COUNT_CELLS = [
    PARAMS + "\nread_options: dict = {}  # how to read the export (smk.load options)",
    "from smk import notebooks, outputs, periods\n\n"
    "crm = notebooks.open_crm(data_path, data_format, read_options)\n"
    "report_month = periods.resolve_month(crm, month)\n"
    'created = crm.contacts["created_at"]\n'
    "n = int(((created >= report_month.start) & (created < report_month.end)).sum())\n"
    "out = notebooks.output_folder(output_dir)\n"
    'kpi = {"id": "created", "label": "contacts created", "value": n, "format": "int"}\n'
    'outputs.write_metrics(out, "count", {"title": "Count", "kpis": [kpi]})\n'
    'print("source:", crm.source)',
    "notebooks.provenance(\n"
    "    crm,\n"
    '    {"data_path": data_path, "data_format": data_format, "read_options": read_options},\n'
    ")",
]


def _count_notebook_dir(tmp_path: Path) -> Path:
    """A folder with one quick notebook whose number depends on how the export is read."""
    folder = tmp_path / "count-notebooks"
    folder.mkdir()
    cells = [new_markdown_cell("# Count")]
    cells.append(new_code_cell(_COUNT_CELLS[0], metadata={"tags": ["parameters"]}))
    cells += [new_code_cell(source) for source in _COUNT_CELLS[1:]]
    nbformat.write(_smk_notebook(cells), folder / "00_count.ipynb")
    return folder


def _provenance_rows(book) -> dict[str, str]:
    """The provenance table of an executed notebook, item -> value (from its HTML output)."""
    table = next(
        o["data"]["text/html"]
        for c in book.cells
        for o in c.get("outputs", [])
        if "parameter data_format" in o.get("data", {}).get("text/html", "")
    )
    cells = re.findall(r"<td>(.*?)</td>\s*<td>(.*?)</td>", table, re.S)
    return {html_lib.unescape(k): html_lib.unescape(v) for k, v in cells}


def test_a_published_notebook_re_run_with_papermill_reads_the_export_as_the_report_did(tmp_path):
    # The published notebooks named the export but not how the report read it (--timezone
    # ...), and `papermill published.ipynb out.ipynb -p month ...` replaced their injected
    # parameters, so data_path fell back to the bundled sample: other numbers, unsaid
    import smk

    export = tmp_path / "export"
    shutil.copytree(SAMPLE, export)  # not the parameters cell's default (the sample)
    out = tmp_path / "reports"
    zone = "Pacific/Kiritimati"  # UTC+14: moves contacts created near the month's edges
    result = run_cli(
        "report", "--data", str(export), "--month", "2026-09", "--out", str(out),
        "--notebook-dir", str(_count_notebook_dir(tmp_path)), "--timezone", zone, "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    month = out / "2026-09"
    published = json.loads((month / "metrics-count.json").read_text())["kpis"][0]["value"]
    book = nbformat.read(month / "00_count.ipynb", as_version=4)
    assert book.metadata["papermill"]["parameters"]["read_options"] == {"timezone": zone}
    # the provenance table names what a re-run reads, not the deleted cache
    rows = _provenance_rows(book)
    assert rows["parameter data_format"] == "hubspot"
    assert rows["parameter read_options"] == str({"timezone": zone})
    table = json.dumps([o for c in book.cells for o in c.get("outputs", [])])
    assert "parquet" not in table and ".cache-" not in table

    # the option matters here: read without it, the month holds another number of contacts
    utc = smk.load(export).contacts["created_at"]
    assert published != int(((utc >= "2026-09-01") & (utc < "2026-10-01")).sum())

    rerun = tmp_path / "rerun"
    done = subprocess.run(
        [
            sys.executable, "-m", "papermill", str(month / "00_count.ipynb"),
            str(tmp_path / "rerun.ipynb"), "-p", "month", "2026-09", "-p", "output_dir", str(rerun),
        ],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    again = nbformat.read(tmp_path / "rerun.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in again.cells for o in c.get("outputs", []))
    assert f"source: {export.resolve()}" in printed  # the export, not the bundled sample
    assert json.loads((rerun / "metrics-count.json").read_text())["kpis"][0]["value"] == published


def test_a_report_on_a_parquet_model_publishes_notebooks_that_re_read_that_model(tmp_path):
    # On a Parquet model of one's own (smk.load(export, timezone=...).to_parquet(folder)), the
    # published notebooks named the model's export (its smk-model.json `source`) with
    # data_format hubspot and no read_options: a re-run read the export without the timezone
    # and gave other numbers (62 MQLs instead of 60)
    import smk

    export = tmp_path / "export"
    shutil.copytree(SAMPLE, export)
    model = tmp_path / "tzmodel"
    zone = "Pacific/Kiritimati"  # UTC+14: moves contacts created near the month's edges
    smk.load(export, timezone=zone).to_parquet(model)
    out = tmp_path / "reports"
    result = run_cli(
        "report", "--data", str(model), "--month", "2026-09", "--out", str(out),
        "--notebook-dir", str(_count_notebook_dir(tmp_path)), "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    month = out / "2026-09"
    published = json.loads((month / "metrics-count.json").read_text())["kpis"][0]["value"]
    utc = smk.load(export).contacts["created_at"]  # the export read anew: another number
    assert published != int(((utc >= "2026-09-01") & (utc < "2026-10-01")).sum())
    book = nbformat.read(month / "00_count.ipynb", as_version=4)
    parameters = book.metadata["papermill"]["parameters"]
    assert parameters["data_path"] == str(model.resolve())
    assert parameters["data_format"] == "parquet" and parameters["read_options"] == {}
    rows = _provenance_rows(book)  # (long paths are cut short in the table)
    assert rows["parameter data_format"] == "parquet" and rows["parameter read_options"] == "{}"
    assert rows["data format"] == "hubspot"  # the export the model came from
    pages = json.loads((month / "manifest.json").read_text())["pages"]
    assert pages["count"]["data"] == str(model.resolve())
    assert pages["count"]["source"] == "tzmodel: Parquet model of export (hubspot)"

    rerun = tmp_path / "rerun"
    done = subprocess.run(
        [
            sys.executable, "-m", "papermill", str(month / "00_count.ipynb"),
            str(tmp_path / "rerun.ipynb"), "-p", "output_dir", str(rerun),
        ],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads((rerun / "metrics-count.json").read_text())["kpis"][0]["value"] == published


def test_a_parquet_model_is_told_from_an_export_as_smk_load_tells_it(tmp_path):
    import zipfile

    import smk

    model = smk.load(SAMPLE).to_parquet(tmp_path / "model")
    assert smk.load(model).from_model and smk.load(model, "parquet").from_model
    assert not smk.load(SAMPLE).from_model and not smk.load(SAMPLE, "hubspot").from_model
    with zipfile.ZipFile(tmp_path / "model.zip", "w") as archive:  # a zip of the folder
        for path in model.iterdir():
            archive.write(path, f"model/{path.name}")
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as archive:
        for path in SAMPLE.iterdir():
            archive.write(path, f"hubspot/{path.name}")
    assert smk.load(tmp_path / "model.zip").from_model
    assert not smk.load(tmp_path / "export.zip").from_model


def _ran(source: str) -> dict:
    namespace: dict = {}
    exec(source, namespace)
    return {k: v for k, v in namespace.items() if not k.startswith("__")}


def test_a_carried_value_is_the_value_after_the_parameters_cell_has_run():
    # `a = 1` then `a += 1` gave 6 where 5 was carried: the first assignment was rewritten
    from smk.report import with_defaults

    cell = "a: int = 1  # a setting\na += 1\nb = 2  # another\nfor c in range(3):\n    pass"
    carried = with_defaults(cell, {"a": 5, "b": 7, "c": 9, "d": "new"})
    assert _ran(carried) == {"a": 5, "b": 7, "c": 9, "d": "new"}
    assert carried.startswith("a: int = 1  # a setting\na += 1\nb = 7  # another\n")
    assert carried.endswith(
        '# the values this notebook ran with (smk report)\na = 5\nc = 9\nd = "new"'
    )
    # assigned in a branch, twice, by unpacking, to a computed value, or read by the cell:
    # at the end too, so that the cell leaves what the cell and papermill's injected cell did
    for cell in (
        "if True:\n    a = 1",
        "a = 1\na = 2",
        "a, b = 1, 2",
        "a = 1\ndel a",
        "a = int('1')",
        "a = 1\nb = a * 2",
    ):
        carried = with_defaults(cell, {"a": 5})
        assert _ran(carried) == _ran(f"{cell}\na = 5"), cell
        assert carried.startswith(cell + "\n"), cell


def test_carrying_values_keeps_comments_and_reads_ipython_syntax():
    from smk.report import with_defaults

    rates = (
        'fx_rates: dict = {\n    "EUR": 1.0,  # the base\n    "USD": 0.92,  # set yours\n}  # fx\n'
    )
    # the value it ran with is the one written: left as written, comments and all
    assert with_defaults(rates, {"fx_rates": {"EUR": 1.0, "USD": 0.92}}) == rates.rstrip()
    # another value: the comments of the old value go with it, the line's comment stays
    assert with_defaults(rates, {"fx_rates": {"EUR": 1.0}}) == 'fx_rates: dict = {"EUR": 1.0}  # fx'
    assert with_defaults("a = 60  # target", {"a": 60.0}) == "a = 60.0  # target"
    # a magic or shell escape (valid in the notebook's kernel) no longer sends every value to
    # the end of the cell; a line of IPython's own syntax is not rewritten
    cell = "%matplotlib inline\na: int = 1  # one\nfiles = !ls\nb = 2"
    assert with_defaults(cell, {"a": 5, "files": [], "b": 2}) == (
        "%matplotlib inline\na: int = 5  # one\nfiles = !ls\nb = 2\n"
        "# the values this notebook ran with (smk report)\nfiles = []"
    )


def test_a_parameters_cell_that_is_not_python_gets_the_values_after_it_and_a_warning(
    tmp_path, caplog
):
    from smk.report import carry_parameters, with_defaults

    broken = "a = (1\nb = 2"
    assert with_defaults(broken, {"a": 5}) == (
        "a = (1\nb = 2\n# the values this notebook ran with (smk report)\na = 5"
    )
    nb = new_notebook(cells=[new_code_cell(broken, metadata={"tags": ["parameters"]})])
    nb.metadata["papermill"] = {"parameters": {"a": 5}}
    nbformat.write(nb, tmp_path / "00_x.ipynb")
    with caplog.at_level("WARNING", logger="smk.report"):
        carry_parameters(tmp_path / "00_x.ipynb")
    assert "00_x.ipynb: its parameters cell is not Python smk can read" in caplog.text
    assert nbformat.read(tmp_path / "00_x.ipynb", as_version=4).cells[0].source.endswith("a = 5")


def test_every_notebook_takes_the_reading_options_and_reads_the_export_with_them():
    import papermill as pm

    for nb in discover_notebooks():
        spec = pm.inspect_notebook(str(nb))
        assert list(spec)[:4] == ["data_path", "data_format", "month", "output_dir"], nb.name
        assert spec["read_options"]["inferred_type_name"] == "dict", nb.name
        assert spec["read_options"]["default"] == "{}", nb.name
        code = "\n".join(
            c.source for c in nbformat.read(nb, as_version=4).cells if c.cell_type == "code"
        )
        # the report-wide settings too: the reading options and the pipelines counted
        assert spec["pipelines"]["default"] == "[]", nb.name
        assert "notebooks.open_crm(data_path, data_format, read_options, pipelines)" in code, (
            nb.name
        )
        # in the provenance table: listed, or with every parameter (`notebooks.parameters`)
        listed = '"read_options": read_options' in code
        assert listed or "notebooks.parameters(globals())" in code, nb.name


def test_open_crm_reads_the_export_with_the_reading_options_it_is_given():
    import smk
    from smk import notebooks

    mapped = notebooks.open_crm(  # relative paths: the project root, as for data_path
        "tests/fixtures/pipedrive", "auto", {"mapping": "smk/mappings/pipedrive.yaml"}
    )
    assert mapped.format == "pipedrive" and len(mapped.contacts) > 0
    shifted = notebooks.open_crm(str(SAMPLE), "hubspot", {"timezone": "Pacific/Kiritimati"})
    plain = smk.load(SAMPLE)
    assert shifted.contacts["created_at"].min() < plain.contacts["created_at"].min()
    with pytest.raises(ValueError, match=r"read_options: unknown option\(s\) timezon; the op"):
        notebooks.open_crm(str(SAMPLE), "auto", {"timezon": "UTC"})
    with pytest.raises(ValueError, match="read_options must be a mapping"):
        notebooks.open_crm(str(SAMPLE), "auto", "UTC")


def test_the_reading_options_a_re_run_needs_are_those_the_export_was_read_with(tmp_path):
    from smk.report import read_params, reading_options

    mapping = config.ROOT / "smk" / "mappings" / "pipedrive.yaml"
    assert reading_options(SAMPLE) == {}
    assert reading_options(
        SAMPLE, "hubspot", timezone="Europe/Berlin", dayfirst=False, decimal=","
    ) == {"timezone": "Europe/Berlin", "dayfirst": False, "decimal": ","}
    assert reading_options("sqlite:///crm.db", schema="hubspot") == {"schema": "hubspot"}
    # a mapping file given as --mapping, as --format or as --data is what a re-run needs
    assert reading_options(SAMPLE, mapping=mapping) == {"mapping": str(mapping)}
    assert reading_options(SAMPLE, str(mapping)) == {"mapping": str(mapping)}
    spec = tmp_path / "crm.yaml"
    spec.write_text("name: x\n")
    assert reading_options(spec) == {"mapping": str(spec)}
    # and a params file cannot set them
    params = tmp_path / "params.yaml"
    params.write_text("read_options: {dayfirst: true}\n")
    with pytest.raises(ValueError, match="may not set read_options: use the command's options"):
        read_params(params)


@pytest.mark.parametrize(
    "notebook, setting, message",
    [
        (
            "lead_scoring",
            "capacity_per_month: 0",
            "notebooks.lead_scoring: the sales capacity (capacity_per_month, the leads sales can "
            "work per month) must be a whole number of leads above 0",
        ),
        (
            "attribution",
            "window_months: 0",
            "notebooks.attribution: window_months must be an integer from 1 to 1200 (calendar months), got 0",
        ),
    ],
)
def test_notebook_settings_the_package_refuses_fail_before_any_notebook(
    tmp_path, notebook, setting, message
):
    # they passed the params check and failed inside notebook 03 / 04 (exit 3)
    params = tmp_path / "params.yaml"
    params.write_text(f"notebooks:\n  {notebook}:\n    {setting}\n")
    out = tmp_path / "r"
    result = run_cli("report", "--data", str(SAMPLE), "--out", str(out), "--params", str(params))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Executing" not in result.stderr and not list(out.glob("20*"))


@pytest.mark.parametrize(
    "setting, message",
    [
        ("within_days: 0", r"notebooks\.lead_scoring: within_days must be .*got 0$"),
        ("within_days: -30", r"notebooks\.lead_scoring: within_days must be .*got -30$"),
        (
            "target: mql",
            r"notebooks\.lead_scoring: target must be one of sql, customer, won_deal; got 'mql'$",
        ),
        ("score_after_days: -1", r"notebooks\.lead_scoring: score_after_days must be .*got -1$"),
        ("within_days: 2.5", r"notebooks\.lead_scoring\.within_days must be of type int"),
    ],
)
def test_the_lead_scoring_target_is_checked_before_any_notebook(tmp_path, setting, message):
    # within_days 0 and an unknown target passed the params check: notebooks 00-02 ran, then
    # notebook 03 failed (exit 3); now smk.scoring.TargetSpec refuses them first (exit 2)
    result = _report_with_setting(tmp_path, "lead_scoring", setting)
    assert result.stderr.startswith("smk: error: the params file: ")
    assert re.search(message, result.stderr.strip()), result.stderr


def test_the_segments_check_is_the_segmenter_s_public_one(monkeypatch):
    # the params check called the private AccountSegmenter._check_params with an empty table
    from smk.report import check_params
    from smk.segmentation import AccountSegmenter

    def private(self, X):
        raise AssertionError("the params check used AccountSegmenter._check_params")

    monkeypatch.setattr(AccountSegmenter, "_check_params", private)
    segmentation = discover_notebooks(["segmentation"])
    with pytest.raises(ValueError, match="notebooks.segmentation: n_segments must be 'auto' or a"):
        check_params(segmentation, {"notebooks": {"segmentation": {"n_segments": 0}}})
    with pytest.raises(ValueError, match="notebooks.segmentation: method must be 'gmm' or"):
        check_params(segmentation, {"notebooks": {"segmentation": {"method": "dbscan"}}})
    check_params(segmentation, {"notebooks": {"segmentation": {"n_segments": 4}}})


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"n_segments": 0}, r"n_segments must be 'auto' or a whole number >= 1, got 0"),
        ({"n_segments": "six"}, r"n_segments must be 'auto' or a whole number, got 'six'"),
        ({"method": "dbscan"}, r"method must be 'gmm' or 'kmeans', got 'dbscan'"),
        ({"max_segments": 1}, r"max_segments must be a whole number >= 2"),
        ({"random_state": "x"}, r"cannot be used to seed"),
    ],
)
def test_the_segmenter_checks_its_settings_without_data_as_fit_does(settings, message):
    from smk.segmentation import AccountSegmenter

    segmenter = AccountSegmenter(**settings)
    with pytest.raises(ValueError, match=message):
        segmenter.check_params()
    with pytest.raises(ValueError, match=message):
        segmenter.fit(pd.DataFrame({"x": [1.0, 2.0]}))
    assert AccountSegmenter(n_segments=3).check_params().n_segments == 3


def test_fit_still_checks_the_method_then_the_table_then_the_counts():
    from smk.segmentation import AccountSegmenter

    with pytest.raises(ValueError, match="method must be"):
        AccountSegmenter(method="x", n_segments=0).fit([[1.0]])
    with pytest.raises(TypeError, match="needs the feature table"):
        AccountSegmenter(n_segments=0).fit([[1.0]])


def test_a_setting_too_large_for_the_package_s_check_is_bad_input_not_an_internal_error(
    tmp_path, monkeypatch
):
    # a 401-digit number overflowed inside the check: "internal error (OverflowError)", exit 1
    from smk import report

    params = tmp_path / "params.yaml"
    params.write_text(f"notebooks:\n  attribution:\n    window_months: {'9' * 401}\n")
    out = tmp_path / "r"
    result = run_cli("report", "--data", str(SAMPLE), "--out", str(out), "--params", str(params))
    assert result.returncode == 2, result.stderr
    assert "the params file: notebooks.attribution: window_months" in result.stderr
    assert "internal error" not in result.stderr and not list(out.glob("20*"))

    def overflows(value):
        raise OverflowError("int too large to convert to float")

    monkeypatch.setitem(report._SETTING_CHECKS, "capacity_per_month", overflows)
    with pytest.raises(ValueError, match=r"notebooks.lead_scoring: capacity_per_month is too "
                       r"large \(int too large to convert to float\), got 99999999999999999999"
                       r"\.\.\. \(401 characters\)"):  # fmt: skip
        settings = {"capacity_per_month": 10**401 - 1}  # in the notebook's section
        report._check_known_settings("lead_scoring", settings, settings)


@pytest.mark.parametrize(
    ("notebook", "setting", "value", "message"),
    [
        ("lead_scoring", "test_share", 1.5, "test_share must be a number strictly between 0 and 1"),
        ("lead_scoring", "test_share", 0.0, "test_share must be a number strictly between 0 and 1"),
        ("lead_scoring", "model", "xgb", "model must be one of hgb, logistic; got 'xgb'"),
        ("attribution", "conversion", "foo", "unknown conversion 'foo'"),
        ("attribution", "models", ["nope"], r"unknown model\(s\) 'nope'"),
        ("attribution", "models", [], r"unknown model\(s\) \(none given\)"),
        ("funnel_sla", "owner_labels", "names", "owner mode must be auto, ids or pseudonyms"),
        ("funnel_sla", "fx_rates", {"EUR": 1.0, "USD": -1}, r"fx_rates\['USD'\] must be a fin"),
        ("segmentation", "features", ["nope"], r"unknown feature group\(s\) 'nope'"),
        ("segmentation", "fx_rates", {"EUR": 0}, r"fx_rates\['EUR'\] must be a finite number"),
    ],
)
def test_the_params_pre_flight_refuses_what_a_notebook_would_fail_on(
    notebook, setting, value, message
):
    """Each of these passed the pre-flight and failed in its notebook after the notebooks
    before it had run (a wrong conversion after 49 s), or gave wrong numbers (a rate of -1)."""
    from smk.report import check_params

    chosen = discover_notebooks([notebook])
    with pytest.raises(ValueError, match=f"the params file: notebooks.{notebook}: {message}"):
        check_params(chosen, {"notebooks": {notebook: {setting: value}}})


def test_the_params_pre_flight_leaves_a_users_own_notebooks_settings_to_them(tmp_path):
    """A `--notebook-dir` notebook's own `model` or `conversion` was judged by the lead-scoring
    and attribution checks ("model must be one of hgb, logistic")."""
    import nbformat

    from smk.report import check_params

    shared = 'data_path = "data/sample/hubspot"\ndata_format = "auto"\nmonth = "latest"\n'
    cell = nbformat.v4.new_code_cell(  # with the four parameters every notebook declares
        shared + 'output_dir = "build"\nmodel: str = "linear"\nconversion: str = "signup"\n'
        'features: list = ["recency"]'
    )
    cell.metadata["tags"] = ["parameters"]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path / "05_custom.ipynb"
    nbformat.write(notebook, path)
    own = {"model": "ridge", "conversion": "trial", "features": ["recency", "frequency"]}
    check_params([path], {"notebooks": {"custom": own}})
    with pytest.raises(ValueError, match="model must be one of hgb, logistic"):
        check_params(
            discover_notebooks(["lead_scoring"]),
            {"notebooks": {"lead_scoring": {"model": "ridge"}}},
        )


def test_the_params_pre_flight_takes_the_settings_the_notebooks_take():
    from smk.report import check_params

    settings = {
        "lead_scoring": {"test_share": 0.3, "model": "logistic"},
        "attribution": {"conversion": "deal_won", "models": ["linear", "markov"]},
        "funnel_sla": {"owner_labels": "ids", "fx_rates": {"EUR": 1.0, "USD": 0.9}},
        "segmentation": {"features": ["size", "industry"]},
    }
    check_params(discover_notebooks(list(settings)), {"notebooks": settings})


def test_publishing_leaves_no_lock_file_and_removes_a_killed_run_s_half_written_index(tmp_path):
    from smk import report
    from smk.periods import parse_month

    out = tmp_path / "reports"
    out.mkdir()
    (out / ".index-0badc0de.tmp").write_text("<!DOCTYPE html><html><head>")  # killed mid-write
    runs = _staged_month(out / ".staging-2026-10-0000000a", "mine")
    context = {"month": "2026-10", "source": "x", "generated": "now", "version": "0"}
    report.publish_month(
        out / ".staging-2026-10-0000000a", out, parse_month("2026-10"), runs, context, {},
        partial=False,
    )  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == ["2026-10", "index.html"]


def test_a_run_waiting_to_publish_never_holds_the_lock_with_the_next_one(tmp_path):
    # the holder removes the lock file before it lets go: a run that was waiting on the
    # removed file must not take it as its lock while a third run holds the new one
    import fcntl
    import os
    import threading
    import time

    from smk import report
    from smk.periods import parse_month

    out = tmp_path / "reports"
    out.mkdir()
    path = out / ".publish.lock"
    first = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(first, fcntl.LOCK_EX)
    entered = threading.Event()

    def wait_and_publish():
        with report._publishing(out, parse_month("2026-10")):
            entered.set()

    waiter = threading.Thread(target=wait_and_publish)
    waiter.start()
    time.sleep(0.3)  # the waiter waits on the first holder's file
    path.unlink()  # the first holder is done: it removes the file, then lets go
    third = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL)  # another run gets in first
    fcntl.flock(third, fcntl.LOCK_EX)
    os.close(first)
    try:
        assert not entered.wait(0.6), "two runs held the publishing lock at once"
    finally:
        os.close(third)
    waiter.join(10)
    assert entered.is_set() and not path.exists()


def test_a_setting_papermill_cannot_inspect_can_still_be_given(tmp_path):
    """`segments: str | int = "auto"` is skipped by papermill's inspection, so a params file
    setting it was refused as 'no notebook takes' (notebook 02's `n_segments` was so written
    until papermill was given its `# type:` comment; an analyst's edit may write it again)."""
    import nbformat
    import papermill as pm

    from smk.report import declared_parameters

    cell = nbformat.v4.new_code_cell('month: str = "2026-10"\nsegments: str | int = "auto"\n')
    cell.metadata["tags"] = ["parameters"]
    path = tmp_path / "edited.ipynb"
    kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    nbformat.write(nbformat.v4.new_notebook(cells=[cell], metadata=kernel), path)
    assert "segments" not in pm.inspect_notebook(str(path))  # papermill's own reading
    assert declared_parameters(path) == {"month", "segments"}


def test_a_params_file_for_the_whole_report_serves_a_run_of_some_notebooks(tmp_path):
    """docs/examples/report-params.yaml with --notebooks data_quality exited 2: its settings
    for notebooks not being run were refused. They are left unused; a typo is still refused."""
    from smk.report import check_params, read_params

    params = read_params(Path(__file__).parents[1] / "docs" / "examples" / "report-params.yaml")
    every = discover_notebooks()
    check_params(discover_notebooks(["data_quality"]), params, every)
    typo = {**params, "notebooks": {"lead_scoring": {"capacity_per_mnth": 40}}}
    with pytest.raises(ValueError, match=r"notebooks.lead_scoring.capacity_per_mnth, which no"):
        check_params(discover_notebooks(["data_quality"]), typo, every)


@pytest.mark.parametrize(
    "setting, message",
    [
        ({"markov_order": 9}, "markov_order must be an integer from 1 to 4, got 9"),
        ({"n_boot": 0}, "n_boot must be an integer >= 2, got 0"),
        ({"lookback_days": -3}, r"lookback_days must be a number > 0 and at most 36500 .*got -3"),
        ({"lookback_days": 200000}, r"lookback_days .* at most 36500 .*got 200000"),
        ({"lookback_days": 1e12}, r"lookback_days .* at most 36500 .*got 1"),
    ],
)
def test_attribution_settings_are_checked_before_any_notebook(setting, message):
    """They passed the params check and failed inside notebook 04, after 00-03 had run."""
    from smk.report import check_params

    with pytest.raises(ValueError, match=f"notebooks.attribution: {message}"):
        check_params(discover_notebooks(["attribution"]), {"notebooks": {"attribution": setting}})


def test_a_half_saved_notebook_not_being_run_does_not_stop_the_run(tmp_path, caplog):
    """`--notebooks data_quality` read every numbered notebook of the folder: a half-saved
    `05_draft.ipynb` made it exit 2 even with no params file. The others are read only when
    there are settings to explain, and one that cannot be read declares nothing (a warning)."""
    from smk.report import check_params

    for name in ("00_data_quality.ipynb", "01_funnel_sla.ipynb"):
        shutil.copy(config.NOTEBOOKS_DIR / name, tmp_path / name)
    (tmp_path / "05_draft.ipynb").write_text((tmp_path / "01_funnel_sla.ipynb").read_text()[:300])
    chosen = discover_notebooks(["data_quality"], tmp_path)
    every = discover_notebooks(None, tmp_path)
    check_params(chosen, {}, every)  # no settings: the other notebooks are not read
    assert "05_draft" not in caplog.text
    for_01 = {"notebooks": {"funnel_sla": {"mql_target": 80}}}
    with caplog.at_level("WARNING", logger="smk.report"):
        check_params(chosen, for_01, every)  # 01's setting, left unused
    assert "05_draft.ipynb is not a readable Jupyter notebook" in caplog.text
    with pytest.raises(ValueError, match=r"sets notebooks.draft.x, which no notebook takes"):
        check_params(chosen, {"notebooks": {"draft": {"x": 1}}}, every)


@pytest.mark.parametrize(
    "notebook, setting",
    [
        ("lead_scoring", {"capacity_per_month": 40.0}),
        ("attribution", {"window_months": 12.0}),
        ("funnel_sla", {"mql_target": 60.0, "mix_months": 12.0}),
        ("attribution", {"lookback_days": None}),  # journeys: None is no limit
        ("attribution", {"lookback_days": 90.0}),
    ],
)
def test_whole_floats_and_no_lookback_limit_pass_as_the_package_takes_them(notebook, setting):
    """`int` annotations refused 40.0 and 12.0 ("must be of type int"), which the package
    takes (smk.checks.is_whole), and `lookback_days: null` (no limit in attribution.journeys)."""
    from smk.report import check_params

    check_params(discover_notebooks([notebook]), {"notebooks": {notebook: setting}})


@pytest.mark.parametrize(
    "setting, message",
    [
        ({"capacity_per_month": 40.5}, "capacity_per_month must be of type int"),
        ({"capacity_per_month": True}, "capacity_per_month must be of type int"),
        ({"within_days": 60.5}, "within_days must be of type int"),
        ({"seed": 3.5}, "seed must be of type int"),
        ({"seed": -3.0}, "seed must be an integer from 0 to 4294967295, got -3"),
    ],
)
def test_a_fraction_or_a_bool_is_still_no_int(setting, message):
    from smk.report import check_params

    with pytest.raises(ValueError, match=message):
        check_params(discover_notebooks(["lead_scoring"]), {"notebooks": {"lead_scoring": setting}})


@pytest.mark.parametrize(
    "notebook, setting, message",
    [
        ("segmentation", {"seed": -1}, r"seed must be an integer from 0 to 4294967295, got -1"),
        ("lead_scoring", {"seed": 2**32}, r"seed must be an integer from 0 to 4294967295"),
        ("attribution", {"seed": -1}, r"seed must be an integer from 0 to 4294967295, got -1"),
        ("segmentation", {"n_segments": "seven"}, r"n_segments must be 'auto' or a whole number"),
        ("segmentation", {"n_segments": 0}, r"n_segments must be 'auto' or a whole number >= 1"),
        ("segmentation", {"n_segments": [1]}, r"n_segments must be 'auto' or a whole number >= 1"),
        ("segmentation", {"method": "dbscan"}, r"method must be 'gmm' or 'kmeans'"),
        ("funnel_sla", {"mix_months": 0}, r"mix_months must be an integer from 1 to 1200"),
        ("funnel_sla", {"mix_months": -1}, r"mix_months must be an integer from 1 to 1200"),
        ("funnel_sla", {"mix_months": 2.5}, r"mix_months must be of type int"),
        ("funnel_sla", {"mix_months": True}, r"mix_months must be of type int"),
    ],
)
def test_seed_segments_and_mix_window_are_checked_before_any_notebook(notebook, setting, message):
    """They passed the params check and failed inside notebooks 01-04, after earlier ones ran."""
    from smk.report import check_params

    with pytest.raises(ValueError, match=f"notebooks.{notebook}[:.] ?{message}"):
        check_params(discover_notebooks([notebook]), {"notebooks": {notebook: setting}})
    # the shared seed too, as a top-level key: named as the file writes it, not as a section's
    (key,) = setting
    written = rf"the params file: {key} \(for notebook {notebook}\)(: {key})? "
    with pytest.raises(ValueError, match=written + message.removeprefix(f"{key} ")):
        check_params(discover_notebooks([notebook]), {**setting, "notebooks": None})


@pytest.mark.parametrize("value", [0, -1, 2.5, True, "12", None])
def test_the_mix_window_check_refuses_what_marketing_mix_cannot_use(value):
    from smk.report import _check_known_settings

    with pytest.raises(ValueError, match="mix_months must be an integer from 1 to 1200"):
        _check_known_settings("funnel_sla", {"mix_months": value}, {"mix_months": value})


def test_text_after_an_embedded_image_is_still_scrubbed():
    """`_DATA_URI` ran on past whitespace: a name after an image's base64 text was kept."""
    out = scrub_pii("data:image/png;base64,AAAA Jane Doe called", {"Jane Doe"})
    assert out == "data:image/png;base64,AAAA [name removed] called"
    quoted = '<img src="data:image/png;base64,AA+B/C==">Jane Doe</img>'
    assert scrub_pii(quoted, {"Jane Doe"}) == quoted.replace("Jane Doe", "[name removed]")
    css = "url(data:image/png;base64,AA==)Jane Doe"
    assert scrub_pii(css, {"Jane Doe"}) == "url(data:image/png;base64,AA==)[name removed]"


def test_the_owner_key_is_made_by_the_report_and_its_warning_logged_not_published(
    tmp_path, monkeypatch
):
    """The warning of a new key file ("made a new key for owner pseudonyms in
    /home/<user>/.config/smk/owner-key") was raised in notebook 01's kernel: published in the
    page and the executed notebook with the operator's home folder, and not in the log. The
    report resolves the key itself, logs the warning and hands the key to the kernels."""
    import os

    from smk.pii import pseudonym
    from smk.report import run_report

    data = _export_with_named_owners(tmp_path)
    monkeypatch.delenv("SMK_OWNER_KEY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    out = tmp_path / "reports"
    run_report(data, "2026-10", out, notebooks=["funnel_sla"], quiet=True)
    key_file = tmp_path / "config" / "smk" / "owner-key"
    month = out / "2026-10"
    for published in (month / "01_funnel_sla.html", month / "01_funnel_sla.ipynb"):
        text = published.read_text(encoding="utf-8")
        assert "owner-key" not in text and str(key_file.parent) not in text, published.name
    log_text = (out / "smk-report.log").read_text()
    assert f"made a new key for owner pseudonyms in {key_file}" in log_text
    assert "SMK_OWNER_KEY" not in os.environ  # set for the kernels only, then taken back
    key = key_file.read_text().strip().encode()
    page = (month / "01_funnel_sla.html").read_text(encoding="utf-8")
    assert f"<td>{pseudonym('Doe, Jane', key)}</td>" in page  # the kernels used the same key


def test_the_owner_key_variable_is_put_back_as_it_was(monkeypatch):
    import os

    import smk
    from smk.report import _owner_key_for_kernels

    crm = smk.load(SAMPLE)  # owners are ids: nothing to pseudonymise, no key made
    monkeypatch.setenv("SMK_OWNER_KEY", "")
    with _owner_key_for_kernels(crm, {"owner_labels": "pseudonyms"}):
        assert os.environ["SMK_OWNER_KEY"]  # "" is no key: one is resolved for the kernels
    assert os.environ["SMK_OWNER_KEY"] == ""
    monkeypatch.delenv("SMK_OWNER_KEY")
    with _owner_key_for_kernels(crm, {}):
        assert "SMK_OWNER_KEY" not in os.environ


@pytest.mark.parametrize(
    "notebook, setting, expected",
    [
        ("lead_scoring", {"seed": 42.0, "within_days": 60.0}, {"seed": 42, "within_days": 60}),
        ("attribution", {"markov_order": 1.0, "n_boot": 200.0}, {"markov_order": 1, "n_boot": 200}),
        ("funnel_sla", {"mix_months": 12.0, "max_hours_to_first_activity": 24.0}, None),
        ("segmentation", {"n_segments": 4.0, "seed": 0.0}, {"n_segments": 4, "seed": 0}),
    ],
)
def test_whole_floats_for_int_parameters_pass_and_reach_the_notebook_as_ints(
    notebook, setting, expected
):
    """`seed: 42.0`, `markov_order: 1.0`, `n_boot: 200.0` were refused although the README
    counts a whole float as an int, and those that passed (`within_days: 60.0`) reached the
    notebook as floats ("within 60.0 days"; scikit-learn refuses random_state=42.0)."""
    import papermill as pm

    from smk.report import _parameters_of, as_declared, check_params, params_for

    chosen = discover_notebooks([notebook])
    params = {"notebooks": {notebook: setting}}
    check_params(chosen, params)
    cell = _parameters_of(pm, chosen[0])
    injected = as_declared(params_for(chosen[0], params, set(cell)), cell)
    expected = expected or {"mix_months": 12, "max_hours_to_first_activity": 24.0}
    assert injected == expected
    assert [type(v) for v in injected.values()] == [type(v) for v in expected.values()]


@pytest.mark.parametrize("value", [1201, 1_000_000, 1201.0])
def test_the_mix_window_has_the_attribution_window_s_upper_bound(value):
    """`mix_months: 1000000` passed and failed inside notebook 01 (exit 3)."""
    from smk.report import check_params

    with pytest.raises(ValueError, match=r"mix_months must be an integer from 1 to 1200"):
        check_params(discover_notebooks(["funnel_sla"]), {"mix_months": value})
    check_params(discover_notebooks(["funnel_sla"]), {"mix_months": 1200})


@pytest.mark.parametrize(
    "notebook, setting",
    [
        ("funnel_sla", "teams"),
        ("funnel_sla", "fx_rates"),
        ("funnel_sla", "owner_labels"),
        ("funnel_sla", "mql_target"),
        ("lead_scoring", "within_days"),
        ("segmentation", "n_segments"),
    ],
)
def test_null_is_refused_for_a_setting_that_has_no_meaning_for_it(notebook, setting):
    """`teams: null` passed the check and failed inside notebook 01 (exit 3)."""
    from smk.report import check_params

    with pytest.raises(
        ValueError, match=rf"notebooks.{notebook}.{setting} must be of type .*got None"
    ):
        check_params(discover_notebooks([notebook]), {"notebooks": {notebook: {setting: None}}})


def test_null_still_passes_where_the_package_reads_it():
    from smk.report import NULL_SETTINGS, check_params

    documented = [
        "channel_groups",
        "lookback_days",
        "pipeline_target",
        "pipelines",
        "rejection_reason_column",
        "revenue_target",
        "segments_csv",
    ]
    assert sorted(NULL_SETTINGS) == documented
    nulls = {"pipeline_target": None, "revenue_target": None, "rejection_reason_column": None}
    check_params(
        discover_notebooks(["funnel_sla", "attribution"]),
        {
            "notebooks": {"funnel_sla": nulls, "attribution": {"lookback_days": None}},
            "pipelines": None,  # every pipeline
        },
    )


def test_a_setting_for_an_unreadable_notebook_says_it_could_not_be_read(tmp_path):
    """`notebooks: {draft: {x: 1}}` with a half-saved 05_draft.ipynb said only "which no
    notebook takes"; the reason was a warning in the log."""
    from smk.report import check_params

    shutil.copy(config.NOTEBOOKS_DIR / "00_data_quality.ipynb", tmp_path)
    (tmp_path / "05_draft.ipynb").write_text('{"cells": [')
    with pytest.raises(ValueError) as raised:
        check_params(
            discover_notebooks(["data_quality"], tmp_path),
            {"notebooks": {"draft": {"x": 1}}},
            discover_notebooks(None, tmp_path),
        )
    message = str(raised.value)
    assert "notebooks.draft.x, which no notebook takes" in message
    assert "05_draft.ipynb is not a readable Jupyter notebook" in message


def test_owner_labels_of_another_type_in_a_section_not_run_are_no_internal_error():
    """`notebooks: {funnel_sla: {owner_labels: {a: 1}}}` with --notebooks data_quality was an
    internal error (unhashable dict) in the pseudonym-key check."""
    from smk.model import CRM
    from smk.report import _may_show_pseudonyms

    settings = {"owner_labels": ["ids"], "notebooks": {"funnel_sla": {"owner_labels": {"a": 1}}}}
    assert _may_show_pseudonyms(CRM(), settings) is False


def test_null_means_no_file_for_segments_csv_and_channel_groups():
    """`segments_csv: null` and `channel_groups: null` worked (the notebooks read them as no
    file) until the null check refused them."""
    from smk.report import check_params

    params = {
        "notebooks": {"funnel_sla": {"segments_csv": None}, "attribution": {"channel_groups": None}}
    }
    check_params(discover_notebooks(["funnel_sla", "attribution"]), params)


def test_a_section_without_owner_labels_does_not_ask_for_pseudonyms(monkeypatch):
    """`owner_labels: ids` with any other notebook section (n_boot, say) read that section as
    "auto": the key was made, with its warning, though no pseudonym was shown."""
    import smk
    from smk import sla
    from smk.report import _may_show_pseudonyms

    crm = smk.load(config.SAMPLE_HUBSPOT)
    monkeypatch.setattr(sla, "looks_like_personal_name", lambda value: True)  # names as owners
    ids = {"owner_labels": "ids", "notebooks": {"attribution": {"n_boot": 100}}}
    assert _may_show_pseudonyms(crm, ids) is False
    assert _may_show_pseudonyms(crm, {"notebooks": {"attribution": {"n_boot": 100}}}) is True


# ------------------------------------------------------------------ the pages' HTML
def _page_notebook(path: Path, title: str, metadata: dict | None = None) -> Path:
    """An executed notebook of one H1 and one output, as render_html reads it."""
    from nbformat.v4 import new_output

    output = new_output("execute_result", data={"text/plain": "42"}, execution_count=1)
    cells = [new_markdown_cell(f"# {title}\n\nWhat it shows."), new_code_cell("42")]
    cells[1].outputs = [output]
    nbformat.write(new_notebook(cells=cells, metadata=metadata or {}), path)
    return path


#: What a page would load from another host: a script's, a link's, an image's or a frame's
#: address, an address a script builds, a style sheet's `url(...)` or `@import`.
_LOADED = re.compile(
    r"<(?:script|link|img|iframe|source|embed)\b[^>]*\b(?:src|href)=[\"']?(?:https?:)?//"
    r"|<script\b[^>]*>(?:(?!</script>).)*?(?:https?:)?//[\w-]+\.[\w.-]+(?:(?!</script>).)*?</script>"
    r"|url\([\"']?(?:https?:)?//|@import\s+[\"']?(?:https?:)?//",
    re.S | re.I,
)


def test_a_page_of_a_notebook_with_widget_state_loads_nothing_from_another_host(tmp_path):
    # nbconvert's lab template loaded the widgets' HTML manager from unpkg.com for a notebook
    # with widget state in its metadata (a custom notebook, or ipywidgets installed)
    state = {"state": {}, "version_major": 2, "version_minor": 0}
    metadata = {"widgets": {"application/vnd.jupyter.widget-state+json": state}}
    path = _page_notebook(tmp_path / "00_widgets.ipynb", "Widgets", metadata)
    page = render_html(path, tmp_path / "page.html", {"month": "2026-10"}, None).read_text()
    assert "<h1" in page and "42" in page  # the page itself is there
    assert not _LOADED.search(page), _LOADED.search(page).group(0)[:300]


def test_the_pattern_of_outside_requests_finds_each_kind_it_names():
    for loaded in (
        '<script src="https://cdn.example.com/x.js"></script>',
        "<script>var s = 'https://unpkg.com/@jupyter-widgets/html-manager@*/dist/x.js';</script>",
        '<link rel="stylesheet" href="//fonts.example.com/a.css">',
        "<style>body { background: url('https://example.com/a.png') }</style>",
        '<style>@import "https://example.com/a.css";</style>',
    ):
        assert _LOADED.search(loaded), loaded
    assert not _LOADED.search('<a href="https://example.com">a link</a><script>1 // 2</script>')


def test_a_page_s_title_names_its_heading_and_month_and_the_index_lists_pages_by_title(tmp_path):
    from smk.periods import parse_month
    from smk.report import NotebookRun, write_month_index

    path = _page_notebook(tmp_path / "00_data_quality.ipynb", "Data quality <of the export>")
    page = render_html(path, tmp_path / "00_data_quality.html", {"month": "2026-10"}, None)
    title = re.search(r"<title>(.*?)</title>", page.read_text(), re.S).group(1)
    assert title == "Data quality &lt;of the export&gt; · 2026-10 · Smarketing report"
    untitled = tmp_path / "01_untitled.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("1")]), untitled)
    runs = [NotebookRun("data_quality", path), NotebookRun("untitled", untitled)]
    context = {"month": "2026-10", "source": "crm (hubspot)", "generated": "now", "version": "0"}
    index = write_month_index(tmp_path, parse_month("2026-10"), runs, context, tmp_path)
    listed = re.findall(r'<li><a href="([^"]+)">(.*?)</a>', index.read_text())
    assert listed[:2] == [
        ("00_data_quality.html", "Data quality &lt;of the export&gt;"),
        ("01_untitled.html", "01_untitled"),  # no heading: its file's name
    ]


def test_a_no_data_note_shows_its_code_spans_as_code_on_the_index_and_the_page(tmp_path):
    # a month with too little data: the index showed the note's Markdown backticks literally
    # ("`within_days`"); the index is HTML, so they are code there, the rest still escaped
    from smk.periods import parse_month
    from smk.report import NotebookRun, _no_data_note, write_month_index

    month = parse_month("2025-10")
    note = "too few leads: choose a later month (`month`) or a shorter window (`within_days`)"
    unsafe = "<script>x</script> & `a<b>`"
    runs = [NotebookRun("a", tmp_path / "00_a.ipynb", no_data=f"{note}; {unsafe}")]
    context = {"month": "2025-10", "source": "crm", "generated": "now", "version": "0"}
    index = write_month_index(tmp_path, month, runs, context, tmp_path).read_text()
    shown = "(<code>month</code>) or a shorter window (<code>within_days</code>)"
    assert shown in index and "`" not in index
    assert "&lt;script&gt;x&lt;/script&gt; &amp; <code>a&lt;b&gt;</code>" in index
    page = _no_data_note(month, f"{note}; {unsafe}\nthe export's data begin later")
    assert shown in page and "`" not in page and "<script>" not in page
    assert "the export's data begin later" in page  # quotes kept for the notebook's scrub
    nb = new_notebook(cells=[new_markdown_cell(page)])
    nbformat.write(nb, tmp_path / "page.ipynb")
    rendered = render_html(tmp_path / "page.ipynb", tmp_path / "page.html", {}, None).read_text()
    assert shown in rendered and "`within_days`" not in rendered


@pytest.mark.parametrize(
    ("folder", "data_format", "said"),
    [
        ("hubspot", "hubspot", "hubspot"),
        ("HubSpot", "hubspot", "HubSpot"),
        ("exports", "hubspot", "exports (hubspot)"),
        ("crm.db", None, "crm.db"),
    ],
)
def test_the_page_header_names_a_source_named_like_its_format_once(folder, data_format, said):
    from types import SimpleNamespace

    from smk.periods import parse_month
    from smk.report import _context

    crm = SimpleNamespace(source=f"/data/{folder}", format=data_format)
    assert _context(crm, parse_month("2026-10"), f"/data/{folder}")["source"] == said
