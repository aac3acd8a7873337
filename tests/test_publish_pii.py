"""What `smk report` publishes without `--include-pii` holds no e-mail address and no personal
name of the export: not in charts (drawn in the kernel, where nothing can scrub them later),
not in table cells pandas would cut short, not in parameter values, not in the month's CSV and
JSON files. A page published with personal data says so (index, manifest, log); a notebook
kept from a failed run goes once it is published; each log line names its run."""

from __future__ import annotations

import json
import logging
import os
import re
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook  # noqa: E402

import smk  # noqa: E402
from smk import config, notebooks, plots  # noqa: E402
from smk.notebooks import INCLUDE_PII, REPORT_SOURCE  # noqa: E402
from smk.outputs import EMAIL_REMOVED, export_csv, write_metrics  # noqa: E402
from smk.periods import as_month  # noqa: E402
from smk.report import (  # noqa: E402
    NAME_REMOVED,
    NAMES_NOTE_TAG,
    PERSONAL_DATA_NOTE,
    NotebookRun,
    ReportError,
    _forget_failed,
    _log_to,
    _scrub_table,
    as_personal_names,
    personal_names,
    run_report,
    scrub_file,
    scrub_notebook,
    scrub_pii,
    write_month_index,
)

SAMPLE = config.SAMPLE_HUBSPOT
#: the sample's contact 3000000001, and an address that is no contact's
NAME = "Xaneth Dunwick"
ADDRESS = "jane.doe@acme.test"


@pytest.fixture(scope="module")
def sample() -> smk.CRM:
    return smk.load(SAMPLE)


@pytest.fixture
def published_kernel():
    """Undo what `open_crm` does to this process for a publication (`publish_without_pii`)."""
    yield
    plots.scrub_drawn_text(None)
    pd.reset_option("display.max_colwidth")
    plt.close("all")


def _report_cache(tmp_path: Path, crm, include_pii: bool) -> str:
    """A Parquet cache of `crm` as `smk report` hands it to the notebooks."""
    cache = tmp_path / f"cache-{include_pii}"
    crm.to_parquet(cache)
    source = {"data_path": str(SAMPLE), "data_format": "hubspot", "read_options": {}}
    (cache / REPORT_SOURCE).write_text(json.dumps({**source, INCLUDE_PII: include_pii}))
    return str(cache)


def _drawn(fig) -> str:
    """Every text drawn in `fig` (tick labels are set when it is drawn), as one line."""
    fig.canvas.draw()
    return " ".join(" ".join(t.get_text() for t in fig.findobj(Text)).split())


# ------------------------------------------------------------------ 1. charts
def _charts(owner: str) -> plt.Figure:
    """smk's charts and a cell's own plotting, each drawing CRM text with `NAME`/`ADDRESS`."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    mix = pd.DataFrame(
        {
            "p": "Promotion",
            "dimension": "campaign",
            "value": [f"Webinar with {ADDRESS}", f"Dinner hosted by {NAME}"],
            "won_revenue": [1000.0, 500.0],
            "win_rate": [0.5, 0.25],
            "avg_won_deal": [500.0, 250.0],
        }
    )
    plots.mix_panel(mix, "Promotion", ax=axes[0, 0])
    profiles = pd.DataFrame(
        {"segment": [0, 1], "persona": [f"Run by {NAME} mary@major.test", "Retail"]}
    ).assign(share_of_accounts=[0.6, 0.4])
    plots.segment_profiles_heatmap(profiles, ax=axes[0, 1])
    # a no-data reason wrapped where the name would be split across two lines
    plots.no_data(axes[1, 0], "x" * 30 + f" {NAME}")
    axes[1, 1].bar([f"owner {owner}", ADDRESS], [1, 2])  # a cell's own chart
    axes[1, 1].set_title(f"Deals of {owner}")
    axes[1, 1].legend([f"{NAME} <{ADDRESS}>"])
    return fig


@pytest.mark.parametrize("include_pii", [False, True])
def test_charts_of_a_publication_without_pii_are_drawn_without_addresses_and_names(
    tmp_path, sample, published_kernel, include_pii
):
    # the marketing-mix table beside the four P's chart said "[e-mail removed]", the chart
    # (a PNG in the page and the notebook) the address; the segment heatmap drew the persona
    crm = notebooks.open_crm(_report_cache(tmp_path, sample, include_pii), "parquet")
    owner = sorted(n for n in personal_names(crm) if "," not in n)[0]
    drawn = _drawn(_charts(owner))
    for text in (NAME, *NAME.split(), ADDRESS, "mary@major.test", owner):
        assert (text in drawn) is include_pii, text
    assert (NAME_REMOVED in drawn and EMAIL_REMOVED in drawn) is not include_pii
    assert "Webinar with" in drawn and "Dinner hosted by" in drawn and "Retail" in drawn


def test_charts_of_a_publication_without_pii_lose_names_in_any_case_and_hidden_ones(
    tmp_path, sample, published_kernel
):
    """The marketing-mix chart drew "Webinar with XANETH DUNWICK", the name with zero-width
    spaces inside and "mailto:jane.doe%40example.com"."""
    notebooks.open_crm(_report_cache(tmp_path, sample, False), "parquet")
    fig, ax = plt.subplots()
    hidden = ["Webinar with XANETH DUNWICK", "xaneth dunwick", "Xa\u200bneth Dun\u200bwick"]
    ax.bar([*hidden, "mailto:jane.doe%40example.com", "\u202eCEO"], [1, 2, 3, 4, 5])
    drawn = _drawn(fig)
    assert drawn.count(NAME_REMOVED) == 3 * drawn.count("CEO") == 6  # each label drawn twice
    assert f"mailto:{EMAIL_REMOVED}" in drawn
    assert "\u202e" not in drawn and "\u200b" not in drawn and "CEO" in drawn
    assert "XANETH" not in drawn and "xaneth" not in drawn and "jane.doe" not in drawn


def test_charts_outside_a_report_are_drawn_as_given(tmp_path, sample, published_kernel):
    notebooks.open_crm(str(SAMPLE), "hubspot")  # an analyst's own run: nothing changes
    assert NAME in _drawn(_charts("Jane Doe"))
    crm_model = tmp_path / "model"
    sample.to_parquet(crm_model)  # a Parquet model of one's own: no report's cache
    notebooks.open_crm(str(crm_model), "parquet")
    assert ADDRESS in _drawn(_charts("Jane Doe"))


# ------------------------------------------------------------------ 2. cut table cells
def _long_cells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "campaign": [
                "Mail jane.doe@acmecorporation-international-holdings.test on the webinar",
                f"Dinner for regional sales, hosted by {NAME}",  # cut at "Xaneth Dun..."
            ]
        }
    )


def test_table_cells_of_a_publication_without_pii_are_whole_when_scrubbed(
    tmp_path, sample, published_kernel
):
    # pandas cut the cells at 50 characters ("jane.doe@acmecorporation-...", "hosted by
    # Xaneth Dun..."): the page's scrub no longer saw an address or a name, and left both
    names = as_personal_names(personal_names(sample))
    frame = _long_cells()
    cut = scrub_pii(frame._repr_html_(), names)
    assert f"{NAME_REMOVED} Du...</td>" in cut  # as pages were: a surname cut short stayed
    notebooks.open_crm(_report_cache(tmp_path, sample, False), "parquet")
    for shown in (frame._repr_html_(), repr(frame), frame.to_string()):
        page = scrub_pii(shown, names)
        assert "jane.doe" not in page and "acmecorporation" not in page
        assert "Xaneth" not in page and "Du..." not in page and "Dunwick" not in page
        assert f"hosted by {NAME_REMOVED}" in page and f"Mail {EMAIL_REMOVED} on" in page


def test_table_cells_of_a_publication_with_pii_are_whole_too(tmp_path, sample, published_kernel):
    """With --include-pii cells were still cut at 50 characters, so that page showed less
    than the one without ("merged into contact with same em...")."""
    frame = _long_cells()
    assert "..." in frame._repr_html_()
    notebooks.open_crm(_report_cache(tmp_path, sample, True), "parquet")
    assert (
        "..." not in frame._repr_html_() and "holdings.test on the webinar" in frame._repr_html_()
    )
    assert plots._scrub is None  # personal data asked for: charts drawn as given


def test_an_address_cut_short_is_removed_too():
    # text cut elsewhere (a message of another library) may still end in an address cut short
    assert scrub_pii("<td>mail jane.doe@gmail...</td>", set()) == f"<td>mail {EMAIL_REMOVED}</td>"
    assert scrub_pii("mail jane.doe@acme-c…", set()) == f"mail {EMAIL_REMOVED}"
    assert scrub_pii("CEO @ Acme...", set()) == "CEO @ Acme..."  # an "@" alone is none


# ------------------------------------------------------------------ 3. parameter values
def _executed(tmp_path: Path, values: dict) -> Path:
    """A small executed notebook as papermill leaves it, run with `values`."""
    injected = "".join(f"{k} = {v!r}\n" for k, v in values.items())
    book = new_notebook(
        cells=[
            new_code_cell("teams = {}\nnote = ''", metadata={"tags": ["parameters"]}),
            new_code_cell(injected, metadata={"tags": ["injected-parameters"]}),
        ],
        metadata={
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python"},
            "papermill": {"parameters": values},
        },
    )
    path = tmp_path / "executed.ipynb"
    nbformat.write(book, path)
    return path


def test_e_mail_addresses_leave_parameter_values_but_paths_and_urls_keep_working(tmp_path):
    # teams {"owner-01": "inside", "old.rep@acme.test": "field"} (an owner no longer in the
    # export) stayed in the parameters cell, the injected cell and papermill's metadata
    values = {
        "data_path": "postgresql://analyst@crm-db.example.com/crm",
        "segments_csv": "/srv/shared/jane.roe@acme.test/segments.csv",
        "teams": {"owner-01": "inside", "old.rep@acme.test": "field", "ex.rep@acme.test": "x"},
        "note": "asked by bob.jones@acme.test",
    }
    path = _executed(tmp_path, values)
    scrub_notebook(path, {"Somebody Else"}, {})
    book = nbformat.read(path, as_version=4)
    published = book.metadata["papermill"]["parameters"]
    assert published == {
        "data_path": values["data_path"],  # a URL's user@host: it must still connect
        "segments_csv": values["segments_csv"],  # a path: it must still be read
        # two addresses would become one key: numbered (in the notebook's order of keys,
        # nbformat's: sorted), one entry per owner
        "teams": {"owner-01": "inside", "[e-mail removed 1]": "x", "[e-mail removed 2]": "field"},
        "note": f"asked by {EMAIL_REMOVED}",
    }
    injected = next(c for c in book.cells if "injected-parameters" in c.metadata["tags"])
    assert "old.rep" not in injected.source and "bob.jones" not in injected.source
    assert "[e-mail removed 1]" in injected.source
    note = next(c for c in book.cells if NAMES_NOTE_TAG in c.metadata.get("tags", []))
    assert "`teams`" in note.source and "`note`" in note.source and EMAIL_REMOVED in note.source
    assert "`data_path`" not in note.source and "`segments_csv`" not in note.source


def test_an_owner_key_that_is_an_address_becomes_its_pseudonym(tmp_path):
    path = _executed(tmp_path, {"teams": {"sales.rep@acme.test": "field"}})
    scrub_notebook(path, set(), {"sales.rep@acme.test": "rep-aaaaaa"})
    values = nbformat.read(path, as_version=4).metadata["papermill"]["parameters"]
    assert values["teams"] == {"rep-aaaaaa": "field"}  # a re-run maps it to the same owner


# ------------------------------------------------------------------ 4. CSV and JSON files
#: owners as a hostile export has them: a person, an address, an id
OWNERS = ["Peter Parker", "sales.rep@acme.test", "owner-03"]


def _names() -> set[str]:
    from smk.model import CRM, make_table

    rows = [
        {"contact_id": str(i), "created_at": "2026-01-01T00:00:00Z", "owner_id": owner}
        for i, owner in enumerate([*OWNERS, "Jürgen Müller"])
    ]
    return personal_names(CRM(contacts=make_table("contacts", rows)))


def test_csv_exports_lose_addresses_and_names_cell_by_cell_and_stay_spreadsheet_safe(tmp_path):
    # marketing_mix.csv kept "Webinar with jane.doe@acme.test", scored_leads.csv "job title
    # Consultant for Peter Parker" (an owner): the pages removed both
    frame = pd.DataFrame(
        {
            "value": [f"Webinar with {ADDRESS}", '=HYPERLINK("x")', "Doe, Peter Parker", "-5"],
            "reasons": ["job title Consultant for Peter Parker", "@linkedin", "a\nb", ""],
            "owner": ["rep-3fa2c1", "owner-03", "Jürgen Müller", "Parker"],
            "won": [1.5, -2.0, 3.0, None],
        }
    )
    path = export_csv(frame, tmp_path, "marketing_mix.csv")
    assert scrub_file(path, _names())
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel's byte-order mark stays
    read = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert read.to_dict("list") == {
        "value": [
            f"Webinar with {EMAIL_REMOVED}",
            '\'=HYPERLINK("x")',
            "Doe, [name removed]",
            "-5",  # a number written as text: no formula, left as written by export_csv
        ],
        "reasons": ["job title Consultant for [name removed]", "'@linkedin", "a\nb", ""],
        "owner": ["rep-3fa2c1", "owner-03", NAME_REMOVED, "Parker"],  # ids, pseudonyms stay
        "won": ["1.5", "-2.0", "3.0", ""],
    }
    assert not scrub_file(path, _names())  # nothing left: the file is not written again
    clean = export_csv(frame.iloc[[1]], tmp_path, "clean.csv")
    before = clean.read_bytes()
    assert not scrub_file(clean, _names()) and clean.read_bytes() == before


def test_a_cell_the_scrub_changes_is_made_spreadsheet_safe_again(tmp_path):
    """A file written before export_csv judged cells as seen, or by a notebook's own
    to_csv: "\u200b=2+5" lost its zero-width space to the scrub and was published "=2+5"
    (a BOM before "+1+cmd|...", and "Acme;\u200b=cmd|..." too); a safe cell stays as it is."""
    rows = [
        "value,n",
        "\u200b=2+5,1",
        "\ufeff+1+cmd|' /C calc'!A0,2",
        "Acme;\u200b=cmd|' /C calc'!A0,3",
        "'\u200b=1+1,4",
        f'=HYPERLINK("mailto:{ADDRESS}"),5',
        "-5,6",
    ]
    text = "\ufeff" + "\n".join(rows) + "\n"
    assert _scrub_table(text, _names(), ",").splitlines() == [
        "\ufeffvalue,n",
        "'=2+5,1",
        "'+1+cmd|' /C calc'!A0,2",
        "Acme;'=cmd|' /C calc'!A0,3",
        "'=1+1,4",
        f'"\'=HYPERLINK(""mailto:{EMAIL_REMOVED}"")",5',
        "-5,6",
    ]
    path = export_csv(pd.DataFrame({"value": ["\u200b=2+5", "Acme;\u200b=cmd"]}), tmp_path, "a.csv")
    assert scrub_file(path, _names())
    assert path.read_text(encoding="utf-8-sig").splitlines() == ["value", "'=2+5", "Acme;'=cmd"]


#: CRM text a page, a CSV export, a notebook or a chart showed as written: a name in another
#: case or with zero-width spaces inside, an address URL-encoded, a right-to-left override
#: in a job title (U+202E: the rest of a "top reasons" cell, its points too, shown reversed)
HIDDEN = [
    "Webinar with PETER PARKER",
    "Webinar with Pe\u200bter Par\u200bker",
    "mailto:jane.doe%40example.com",
    "job title \u202eCEO (+6.2 pts); \u2066x\u2069\u200e\ufeff (-1.0 pts)",
]
#: ... as published
SHOWN = [
    f"Webinar with {NAME_REMOVED}",
    f"Webinar with {NAME_REMOVED}",
    f"mailto:{EMAIL_REMOVED}",
    "job title CEO (+6.2 pts); x (-1.0 pts)",
]


def test_csv_exports_lose_names_in_any_case_encoded_addresses_and_invisible_characters(tmp_path):
    path = export_csv(pd.DataFrame({"value": HIDDEN, "n": range(4)}), tmp_path, "mix.csv")
    assert scrub_file(path, _names())
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel's byte-order mark stays
    read = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert read.to_dict("list") == {"value": SHOWN, "n": ["0", "1", "2", "3"]}


def test_pages_and_notebooks_lose_them_too(tmp_path):
    page = "".join(f"<td>{text}</td>" for text in HIDDEN)
    assert scrub_pii(page, _names()) == "".join(f"<td>{text}</td>" for text in SHOWN)
    book = new_notebook(cells=[new_markdown_cell("\n".join(HIDDEN))])
    book.cells.append(new_code_cell("print(texts)"))
    book.cells[1].outputs = [nbformat.v4.new_output("stream", text="\n".join(HIDDEN))]
    path = tmp_path / "executed.ipynb"
    nbformat.write(book, path)
    scrub_notebook(path, _names())
    published = nbformat.read(path, as_version=4)
    assert published.cells[0].source == "\n".join(SHOWN)
    assert published.cells[1].outputs[0]["text"] == "\n".join(SHOWN)


def test_json_files_lose_addresses_and_names_in_values_and_keys(tmp_path):
    # metrics-funnel_sla.json kept teams {"old.rep@acme.test": "field"} (the SLA's settings),
    # metrics-segmentation.json persona labels with names and addresses
    metrics = {
        "title": "Funnel",
        "sla": {"teams": {"old.rep@acme.test": "field", "new.rep@acme.test": "inside"}},
        "personas": [f"Run by Jürgen Müller {ADDRESS}", "Retail"],
        "kpis": [{"id": "top", "value": "Peter Parker's deals", "format": "text"}],
        "count": 3,
    }
    path = write_metrics(tmp_path, "funnel_sla", metrics)
    assert "M\\u00fcller" in path.read_text()  # as json.dumps writes it
    assert scrub_file(path, _names())
    assert json.loads(path.read_text()) == {
        "count": 3,
        "kpis": [{"format": "text", "id": "top", "value": "[name removed]'s deals"}],
        "personas": [f"Run by {NAME_REMOVED} {EMAIL_REMOVED}", "Retail"],
        "sla": {"teams": {"[e-mail removed 1]": "inside", "[e-mail removed 2]": "field"}},
        "title": "Funnel",
    }
    model = tmp_path / "segmentation-model.joblib"
    model.write_bytes(b"\x80Peter Parker")
    assert not scrub_file(model, _names()) and model.read_bytes() == b"\x80Peter Parker"


# ------------------------------------------------------------------ 5-7. index, failed, log
def test_the_index_says_which_pages_hold_personal_data(tmp_path):
    out = tmp_path / "reports"
    folder = out / "2026-10"
    folder.mkdir(parents=True)
    runs = [
        NotebookRun("one", folder / "01_one.ipynb"),
        NotebookRun("two", folder / "02_two.ipynb"),
    ]
    context = {"month": "2026-10", "source": "x (hubspot)", "generated": "now", "version": "0"}
    origin = {"source": "x (hubspot)", "data": "~/x", "generated": "now", "smk": "0"}
    provenance = {
        "one": {**origin, "personal_data": True},
        "two": {**origin, "personal_data": False},
    }
    page = write_month_index(folder, as_month("2026-10"), runs, context, out, provenance, set())
    text = page.read_text()
    one, two = (
        re.search(rf"<li><a href=\"{n}.html\">.*?</li>", text)[0] for n in ("01_one", "02_two")
    )
    assert PERSONAL_DATA_NOTE in one and PERSONAL_DATA_NOTE not in two
    assert "<strong>Personal data:</strong> one was published with --include-pii" in text
    provenance["one"]["personal_data"] = False
    page = write_month_index(folder, as_month("2026-10"), runs, context, out, provenance, set())
    assert "Personal data" not in page.read_text() and PERSONAL_DATA_NOTE not in page.read_text()


def test_a_failed_copy_goes_once_its_notebook_is_published(tmp_path):
    out = tmp_path / "reports"
    failed = out / ".failed" / "2026-10"
    failed.mkdir(parents=True)
    older, newer, other = (failed / n for n in ("01_a.ipynb", "02_b.ipynb", "03_c.ipynb"))
    for path in (older, newer, other):
        path.write_text("{}")
    started = time.time()
    os.utime(older, (started - 60, started - 60))
    os.utime(newer, (started + 5, started + 5))  # a run at the same time failed after it
    runs = [
        NotebookRun("a", out / "01_a.ipynb", started=started),
        NotebookRun("b", out / "02_b.ipynb", started=started),
    ]
    _forget_failed(out, as_month("2026-10"), runs)
    assert sorted(p.name for p in failed.iterdir()) == ["02_b.ipynb", "03_c.ipynb"]
    newer.unlink()
    other.unlink()
    older.write_text("{}")
    os.utime(older, (started - 60, started - 60))
    _forget_failed(out, as_month("2026-10"), runs[:1])
    assert not (out / ".failed").exists()  # the empty folders go too


def test_each_log_line_names_its_run(tmp_path):
    formatter = _log_to(tmp_path / "smk-report.log")
    formatter.run = "1a2b3c4d"
    logging.getLogger("smk.report").info("report %s", "2026-10")
    _log_to(tmp_path / "smk-report.log")  # another run: no id until it has one
    logging.getLogger("smk.report").warning("x")
    first, second = (tmp_path / "smk-report.log").read_text().splitlines()
    assert re.fullmatch(r"\S+ \S+ run 1a2b3c4d INFO report 2026-10", first)
    assert re.fullmatch(r"\S+ \S+ run - WARNING x", second)


# ------------------------------------------------------------------ a report, end to end
PARAMS = """data_path: str = "data/sample/hubspot"
data_format: str = "auto"
month: str = "2026-10"
output_dir: str = "build/notebooks"
teams: dict = {}
fail: bool = False"""
#: a notebook that draws, exports and reports CRM text: a contact's name and address
CODE = """import matplotlib.pyplot as plt
import pandas as pd
from smk import notebooks, outputs
crm = notebooks.open_crm(data_path, data_format)
out = notebooks.output_folder(output_dir)
first = crm.contacts.iloc[0]
name, address = f"{first['First Name']} {first['Last Name']}", first["email"]
if fail:
    raise RuntimeError("asked to fail")
fig, ax = plt.subplots()
ax.set_title(f"Dinner hosted by {name} <{address}>")
print("chart holds the name:", name in ax.get_title(), "the address:", address in ax.get_title())
table = pd.DataFrame({"campaign": [f"Dinner hosted by {name}"], "contact": [address]})
outputs.export_csv(table, out, f"{NOTEBOOK}.csv")
kpi = {"id": f"{NOTEBOOK}_top", "label": "Top", "value": f"by {name}", "format": "text"}
outputs.write_metrics(out, NOTEBOOK, {"title": NOTEBOOK, "teams": teams, "kpis": [kpi]})"""


def _notebook_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    kernel = {"name": "smk", "display_name": "Python (smk)", "language": "python"}
    for name in ("01_mail", "02_other"):
        cells = [
            new_markdown_cell(f"# {name}"),
            new_code_cell(PARAMS, metadata={"tags": ["parameters"]}),
            new_code_cell(f"NOTEBOOK = {name[3:]!r}\n" + CODE),
        ]
        book = new_notebook(cells=cells, metadata={"kernelspec": kernel})
        nbformat.write(book, folder / f"{name}.ipynb")
    return folder


def test_a_month_published_with_and_without_personal_data(tmp_path, sample, monkeypatch):
    import matplotlib as mpl

    monkeypatch.setenv("MPLCONFIGDIR", mpl.get_cachedir())
    first = sample.contacts.iloc[0]
    name, address = f"{first['First Name']} {first['Last Name']}", first["email"]
    folder, out = _notebook_dir(tmp_path), tmp_path / "reports"
    params = tmp_path / "p.yaml"

    def report(notebook: str, include_pii: bool = False, **settings) -> None:
        params.write_text(json.dumps({"notebooks": {notebook: settings}}))
        run_report(
            SAMPLE, "2026-10", out, notebooks=[notebook], params=params, quiet=True,
            include_pii=include_pii, notebook_dir=folder,
        )  # fmt: skip

    with pytest.raises(ReportError):
        report("mail", fail=True)
    assert (out / ".failed" / "2026-10" / "01_mail.ipynb").is_file()
    report("mail", include_pii=True)
    assert not (out / ".failed").exists()  # published now: the failed copy went
    report("other", teams={"owner-01": "inside", "old.rep@acme.test": "field"})

    month = out / "2026-10"
    manifest = json.loads((month / "manifest.json").read_text())
    assert manifest["pages"]["mail"]["personal_data"] is True
    assert manifest["pages"]["other"]["personal_data"] is False
    index = (month / "index.html").read_text()
    assert re.search(rf'01_mail.html">.*?{re.escape(PERSONAL_DATA_NOTE)}.*?</li>', index)
    assert not re.search(rf'02_other.html">[^\n]*?{re.escape(PERSONAL_DATA_NOTE)}', index)
    assert name in (month / "mail.csv").read_text(encoding="utf-8-sig")  # as published then
    # the page run without personal data: in its chart, export, metrics and parameters
    published = (month / "02_other.ipynb").read_text()
    assert "chart holds the name: False the address: False" in published
    for path in [month / p for p in ("02_other.ipynb", "other.csv", "metrics-other.json")]:
        text = path.read_text(encoding="utf-8-sig")
        assert name not in text and address not in text and "old.rep@acme.test" not in text
    assert json.loads((month / "metrics-other.json").read_text())["teams"] == {
        "owner-01": "inside",
        EMAIL_REMOVED: "field",
    }
    merged = (month / "metrics.json").read_text()
    assert name not in merged and NAME_REMOVED in merged  # the kept page's KPI too
    log = (out / "smk-report.log").read_text().splitlines()
    stamped = [line for line in log if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z ", line)]
    ids = [re.match(r"\S+ \S+ run ([0-9a-f]{8}) [A-Z]+ ", line) for line in stamped]
    assert all(ids) and len({i[1] for i in ids}) == 3  # each run's lines, with its own id
    assert any("published with personal data (--include-pii): mail" in line for line in log)
