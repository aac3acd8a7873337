"""What a reader or a scheduler of the published month notices: no ERROR in the log of a
good run (the kernels' shutdown noise is left out), floats in CSV exports and metrics files
without the noise of binary sums, no change on a tile whose value is not to be relied on, an
index listing every CSV and JSON export, two runs alike publishing the same files but for
their times, and a first month whose pages say why the funnel has nothing to score."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import smk
from smk import config, outputs, periods, scorecard
from smk.cli import main
from smk.errors import NoDataError
from smk.report import (
    _kernel_noise_logged,
    _log_to,
    month_exports,
    without_shutdown_noise,
    write_month_index,
)
from smk.sla import SLA

SHUTDOWN = "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel."
OCT = periods.as_month("2026-10")
CONTEXT = {"month": "2026-10", "source": "x", "generated": "now", "version": "0"}


# ------------------------------------------------------------ 1. the kernels' shutdown noise
def test_kernel_shutdown_noise_is_left_out_and_real_errors_kept():
    real = "[IPKernelApp] ERROR | Exception in message handler:\nTraceback (most recent call last):"
    text = f"{SHUTDOWN}\nwarning: x\n  {SHUTDOWN}  \n{real}\n{SHUTDOWN[:-1]}\n"
    assert without_shutdown_noise(text) == (f"warning: x\n{real}", 3)
    assert without_shutdown_noise(f"{SHUTDOWN} and more") == (f"{SHUTDOWN} and more", 0)
    assert without_shutdown_noise("") == ("", 0)


def test_a_good_run_s_log_holds_no_error_for_the_kernels_shutdown(tmp_path, capfd):
    # the line reached the log as "INFO the kernels wrote on stderr:\n[IPKernelApp] ERROR | ..."
    # on runs that exited 0: a scheduler grepping the log for ERROR took them for failures
    import os

    path = tmp_path / "smk-report.log"
    _log_to(path)
    with _kernel_noise_logged(quiet=True):
        os.write(2, f"{SHUTDOWN}\n{SHUTDOWN}\n".encode())
    with _kernel_noise_logged(quiet=True):
        os.write(2, f"{SHUTDOWN}\nreal trouble\n".encode())
    lines = path.read_text(encoding="utf-8").splitlines()
    assert not [line for line in lines if "ERROR" in line]
    assert lines[0].endswith(" INFO left out 2 lines the kernels wrote on stderr as they were "
                             "shut down (an interrupt caught in a kernel at shutdown: no fault)")  # fmt: skip
    assert lines[1].endswith(" INFO the kernels wrote on stderr:") and lines[2] == "real trouble"
    assert " INFO left out 1 line the kernels wrote" in lines[3]
    assert capfd.readouterr().err == ""


# ------------------------------------------------------------ 2. floats at their shortest
def test_csv_exports_write_floats_at_their_shortest_faithful_value(tmp_path):
    frame = pd.DataFrame(
        {
            "amount": [169639.3 + 44261.9, 3.0, None],  # 213901.19999999998
            "share": pd.array([0.1 + 0.2, None, 1 / 3], dtype="Float64"),
            "mixed": ["=1+1", 0.1 + 0.2, 2],
            "count": [1, 2, 3],
        }
    )
    assert repr(float(frame["amount"][0])) == "213901.19999999998"  # the noise, as summed
    text = outputs.export_csv(frame, tmp_path, "x.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines() == [
        "amount,share,mixed,count",
        "213901.2,0.3,'=1+1,1",
        "3.0,,0.3,2",
        ",0.3333333333333333,2,3",  # 16 digits it has: far from its rounding, no noise
    ]
    assert frame["amount"][0] == 169639.3 + 44261.9  # the frame itself is left as it was
    assert outputs.tidy_float(123456789.012345) == 123456789.012345  # 15 real digits stay
    assert outputs.tidy_float(250_000_000.0) == 250_000_000.0
    assert repr(outputs.tidy_float(1234567.8900000001)) == "1234567.89"
    # digits a value really has stay: whole numbers beyond 15 digits, a fraction from 1e15 on
    for real in (1234567890123456.0, 1e15 + 3, 1e15 + 0.5, 1 / 3, 1e-300):
        assert outputs.tidy_float(real) == real


def test_metrics_files_keep_floats_as_computed(tmp_path):
    """A threshold in a metrics file is compared with the scores of scored_leads.csv (written
    as computed): tidied, it put a lead at the threshold below it."""
    import numpy as np

    metrics = {"kpis": [{"id": "p", "value": np.float64(0.12549637210016096), "n": 3}],
               "none": float("nan")}  # fmt: skip
    data = json.loads(outputs.write_metrics(tmp_path, "x", metrics).read_text())
    assert data["kpis"][0]["value"] == 0.12549637210016096 and data["none"] is None


# ------------------------------------------------------------ 3. the month index
def _index(folder: Path, kpi: dict, previous: dict | None) -> str:
    """The month index of `folder` for one lead-scoring tile `kpi`, September published with
    `previous` (a tile of the same id) or not published."""
    out = folder / "out"
    (out / "2026-09").mkdir(parents=True)
    if previous is not None:
        (out / "2026-09" / "metrics.json").write_text(
            json.dumps({"lead_scoring": {"kpis": [previous]}})
        )
    (folder / "metrics-lead_scoring.json").write_text(json.dumps({"kpis": [kpi]}))
    return write_month_index(folder, OCT, [], CONTEXT, out).read_text()


def _detail(page: str) -> str:
    return re.search(r'<div class="detail">([^<]*)</div>', page).group(1)


TILE = {"id": "mqls_from_score", "label": "Leads above the score threshold vs sales capacity",
        "value": 39, "target": 40, "format": "int"}  # fmt: skip


def test_a_tile_whose_value_is_not_to_be_relied_on_shows_no_change(tmp_path):
    # "not usable ...; not to be relied on · target 40 · no data · +0 vs previous month"
    unusable = {**TILE, "status": "no data", "detail": "not usable; not to be relied on"}
    detail = _detail(_index(tmp_path, unusable, {**TILE, "status": "met"}))
    assert detail == "not usable; not to be relied on · target 40 · no data"
    # a usable month keeps its change, and a tile without a value still names the previous one
    (tmp_path / "usable").mkdir()
    usable = _detail(_index(tmp_path / "usable", {**TILE, "status": "met"}, TILE))
    assert usable == "target 40 · met · +0 vs previous month"
    (tmp_path / "none").mkdir()
    empty = _detail(_index(tmp_path / "none", {**TILE, "value": None, "status": "no data"}, TILE))
    assert empty == "target 40 · no data · n/a this month; was 39 the previous month"


def test_the_month_index_lists_every_csv_and_json_export(tmp_path):
    # lead_scorer.json and the metrics-*.json files were left out of the Exports list
    for name in ["b.csv", "a.csv", "lead_scorer.json", "lead_scorer.joblib", "manifest.json",
                 "metrics-funnel_sla.json", "metrics.json", "01_funnel_sla.html"]:  # fmt: skip
        (tmp_path / name).write_text("{}")
    listed = ["a.csv", "b.csv", "lead_scorer.json", "metrics-funnel_sla.json", "metrics.json"]
    assert month_exports(tmp_path) == listed
    (tmp_path / "metrics.json").unlink()  # written before the index; listed all the same
    assert month_exports(tmp_path) == listed
    page = _index(tmp_path, {**TILE, "status": "met"}, None)
    links = re.findall(r'<li><a href="([^"]+)">\1</a></li>', page.split("<h2>Exports</h2>")[1])
    assert links == [*listed[:-1], "metrics-lead_scoring.json", "metrics.json"]


# ------------------------------------------------------------ 4. two runs alike
NOTEBOOK = """from smk import outputs
import pandas as pd
outputs.export_csv(pd.DataFrame({"x": [0.1 + 0.2]}), output_dir, "x.csv")
outputs.write_metrics(output_dir, "one", {"kpis": [{"id": "n", "label": "n", "value": 1}]})
print(month)"""
#: a page the data cannot fill: smk adds a note cell to it (`_no_data_run`)
NO_DATA = "import smk\nraise smk.NoDataError('nothing to show')"
PARAMS = 'data_path: str = ""\ndata_format: str = "auto"\nmonth: str = ""\noutput_dir: str = ""'
#: what differs between two runs alike: their times (the page's and index's "generated", the
#: manifest's, papermill's and the kernel's timings in the executed notebook)
TIMES = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|\+00:00| UTC)?")


def _times_out(text: str) -> str:
    return re.sub(r'"duration": [0-9.e-]+', '"duration": D', TIMES.sub("T", text))


def test_two_runs_alike_publish_the_same_files_but_for_their_times(tmp_path):
    # papermill gave the injected-parameters cell a new random id each run (cell-id=e9445b4d
    # vs 2c70c670), in the executed notebook and its page; so did nbformat the note of a page
    # lacking data
    import nbformat

    folder = tmp_path / "notebooks"
    folder.mkdir()
    kernel = {"name": "smk", "display_name": "Python (smk)", "language": "python"}
    for name, code in (("01_one", NOTEBOOK), ("02_none", NO_DATA)):
        cells = [new_markdown_cell(f"# {name}"), new_code_cell(PARAMS, metadata={"tags": ["parameters"]}),
                 new_code_cell(code)]  # fmt: skip
        book = new_notebook(cells=cells, metadata={"kernelspec": kernel})
        nbformat.write(book, folder / f"{name}.ipynb")
    out, first = tmp_path / "reports", tmp_path / "first"
    run = ["report", "--data", str(config.SAMPLE_HUBSPOT), "--month", "2026-09", "--out", str(out),
           "--quiet", "--notebook-dir", str(folder)]  # fmt: skip
    assert main(run) == 0
    shutil.move(out / "2026-09", first)
    shutil.rmtree(out)
    assert main(run) == 0
    second = out / "2026-09"
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    assert {"01_one.html", "02_none.html", "x.csv", "metrics-none.json"} <= set(names)
    assert "nothing to show" in (second / "02_none.html").read_text(encoding="utf-8")
    for name in names:
        a, b = (first / name).read_bytes(), (second / name).read_bytes()
        if name.endswith((".html", ".ipynb", "manifest.json")):
            a, b = (_times_out(x.decode("utf-8")) for x in (a, b))
        assert a == b, name
    page = (second / "01_one.html").read_text(encoding="utf-8")
    injected = re.search(r'celltag_injected-parameters" id="cell-id=([0-9a-f]{8})"', page)
    assert injected, "the page names the injected cell by its id"


# ------------------------------------------------------------ 5. the first month
@pytest.fixture(scope="module")
def hubspot():
    return smk.load(config.SAMPLE_HUBSPOT)


def test_a_month_before_the_first_contact_says_why_its_funnel_has_nothing_to_score(hubspot):
    # 2025-10 is offered (touchpoints from 2025-10-21) and published; its funnel page said
    # "the export does not cover it", and 2025-11's "does not reach back to 2025-10"
    fx = {"EUR": 1.0, "USD": 0.92}
    assert periods.resolve_month(hubspot, "2025-10") == periods.as_month("2025-10")
    why = ("the export's contacts begin on 2025-11-01, after 2025-10 (its other records reach "
           "into 2025-10 from 2025-10-21)")  # fmt: skip
    with pytest.raises(NoDataError) as stopped:
        scorecard.kpi_scorecard(hubspot, "2025-10", SLA(), fx, "EUR")
    assert str(stopped.value).startswith(f"nothing to score in 2025-10: {why}; choose ")
    card = scorecard.kpi_scorecard(hubspot, "2025-11", SLA(), fx, "EUR")
    assert scorecard.comparison_gaps(card).startswith(f"previous month: not compared, {why}; ")
    # the index says why too: 2025-10 is published, "no previous month" would contradict it
    kpis = scorecard.scorecard_kpis(card)
    assert {k.get("previous_not_compared") for k in kpis} == {why}
    assert "does not reach back to 2024-11" in scorecard.comparison_gaps(card)  # truly before
