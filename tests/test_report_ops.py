"""`smk report` as operators (cron, CI schedulers) meet it: a failed run says why in its log
(fit to publish, as the reports folder is), a full disk is a failed report naming the file, a
params file PowerShell wrote is read, a blank owner key is no key, a fresh volume's
`lost+found` does not make a reports folder someone else's, and a month that compared with a
previous month re-published or backfilled since is marked out of date until it is re-run."""

from __future__ import annotations

import errno
import hashlib
import html
import json
import logging
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import smk
from smk import config
from smk.cli import main
from smk.outputs import EMAIL_ADDRESS
from smk.report import (
    COMPARED_WITH,
    EXPORT_CONTACTS,
    NAME_REMOVED,
    READS_PREVIOUS,
    _previous_reads,
    check_out_folder,
    declared_parameters,
    read_params,
)

SAMPLE = config.SAMPLE_HUBSPOT
PARAMS = """data_path: str = "data/sample/hubspot"
data_format: str = "auto"
month: str = "2026-10"
output_dir: str = "build/notebooks\""""
#: the cell of a notebook that fails with a contact's name and e-mail address and a path in
#: the home folder in its error, as a library's error may
FAILING = """from pathlib import Path
from smk.notebooks import open_crm
first = open_crm(data_path, data_format).contacts.iloc[0]
where = Path.home() / "exports" / "crm.csv"
raise RuntimeError(f"no row for {first['First Name']} {first['Last Name']} <{first['email']}> in {where}")"""


def _notebooks(tmp_path: Path, code: str, name: str = "01_boom", settings: str = "") -> Path:
    """A folder holding a notebook, `01_boom.ipynb` or `name`, whose cell after the parameters
    (and `settings`) is `code` (run by the project's kernel, as the report runs notebooks)."""
    folder = tmp_path / "notebooks"
    folder.mkdir(exist_ok=True)
    cells = [
        new_markdown_cell("# Boom"),
        new_code_cell(f"{PARAMS}\n{settings}".strip(), metadata={"tags": ["parameters"]}),
        new_code_cell(code),
    ]
    kernel = {"name": "smk", "display_name": "Python (smk)", "language": "python"}
    nbformat.write(
        new_notebook(cells=cells, metadata={"kernelspec": kernel}), folder / f"{name}.ipynb"
    )
    return folder


def _report(out: Path, *extra: str, month: str = "2026-09") -> list[str]:
    return ["report", "--data", str(SAMPLE), "--month", month, "--out", str(out), "--quiet", *extra]


def _last_line(out: Path) -> str:
    return (out / "smk-report.log").read_text(encoding="utf-8").splitlines()[-1]


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    """A home folder whose name is a person's, as HOME here and in the kernels."""
    import matplotlib

    monkeypatch.setenv("MPLCONFIGDIR", matplotlib.get_cachedir())  # of the real home: speed
    folder = tmp_path / "jane.doe"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


def test_a_failed_notebook_ends_the_log_with_its_error_fit_to_publish(home, tmp_path, capsys):
    # exit 3 left the log ending with the INFO start line; the error (a contact's name and
    # address, the home folder) must reach the published log and the terminal as it reaches
    # the kept notebook: without them
    out = home / "reports"
    first = smk.load(SAMPLE).contacts.iloc[0]
    name = f"{first['First Name']} {first['Last Name']}"
    folder = _notebooks(tmp_path, FAILING)
    assert main(_report(out, "--notebook-dir", str(folder))) == 3
    err = capsys.readouterr().err
    line = _last_line(out)
    kept = "~/reports/.failed/2026-09/01_boom.ipynb"
    for shown in (line, err):
        assert name not in shown and first["email"] not in shown and str(home) not in shown
        assert EMAIL_ADDRESS.search(shown) is None
        assert (
            f"RuntimeError: no row for {NAME_REMOVED} <[e-mail removed]> in ~/exports/crm.csv"
            in shown
        )
        assert f"The failed notebook is kept at {kept};" in shown
    # the line that failed, not the cell's first (`from pathlib import Path`)
    failed = 'notebook 01_boom.ipynb failed in cell 3, line 5 (`raise RuntimeError(f"no row for '
    assert f" ERROR exit code 3: report failed: {failed}" in line
    assert err.startswith(f"smk: report failed: {failed}")
    assert (out / ".failed" / "2026-09" / "01_boom.ipynb").is_file()


def test_a_run_refused_after_opening_its_log_says_why_there(tmp_path, capsys, monkeypatch):
    # exit 2 (a month outside the data, a params file that is no text) left the log empty
    out = tmp_path / "reports"
    assert main(_report(out, month="2031-01")) == 2
    assert "month 2031-01 is outside the data" in capsys.readouterr().err
    assert " ERROR exit code 2: error: month 2031-01 is outside the data " in _last_line(out)
    params = tmp_path / "params.yaml"
    params.write_bytes("seed: 3\n# café\n".encode("cp1252"))
    assert main(_report(out, "--params", str(params))) == 2
    message = f"cannot read the params file {params}: it is not UTF-8 text (line 2: byte 0xe9)"
    assert message in capsys.readouterr().err and message in _last_line(out)
    # an internal error is logged as one, an e-mail address in it masked

    def broken(*args, **kwargs):
        raise RuntimeError("no row for ann@example.test")

    monkeypatch.setattr(smk, "load", broken)
    assert main(_report(out)) == 1
    message = "internal error (RuntimeError: no row for [e-mail removed]). This is a bug in smk"
    assert f"smk: {message}" in capsys.readouterr().err
    assert f" ERROR exit code 1: {message}" in _last_line(out)


def test_a_refused_folder_gets_no_log(tmp_path, capsys):
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("<html>someone's site</html>")
    assert main(_report(out)) == 2
    assert "is not an smk reports folder" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]


def _no_space(filename: str | None):
    def write(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", filename)

    return write


@pytest.mark.parametrize("named", [True, False])
def test_a_full_disk_while_publishing_fails_the_report_naming_the_file(
    tmp_path, capsys, monkeypatch, named
):
    # ENOSPC after every notebook ran: exit 2 (bad parameters, per README) and
    # "smk: error: No space left on device" naming nothing, not in the log
    import smk.report

    out = tmp_path / "reports"
    folder = _notebooks(tmp_path, "print('fine')")
    # the file being written, as OSError.filename names it (an open() that failed), or none
    # (a write() that failed): then the folder being written
    target = str(out.resolve() / "metrics.json") if named else None
    monkeypatch.setattr(smk.report, "write_metrics_json", _no_space(target))
    assert main(_report(out, "--notebook-dir", str(folder))) == 3
    err = capsys.readouterr().err
    where = f": {target}" if named else f" while writing into {out.resolve()}"
    message = (
        f"the report for 2026-09 could not be finished: No space left on device{where}. "
        "The published report for 2026-09 was left untouched."
    )
    assert err == f"smk: report failed: {message}\n"
    assert _last_line(out).endswith(f" ERROR exit code 3: report failed: {message}")
    assert sorted(p.name for p in out.iterdir()) == ["smk-report.log"]  # nothing half-made


def test_a_full_disk_after_the_month_is_published_says_so(tmp_path, capsys, monkeypatch):
    import smk.report

    out = tmp_path / "reports"
    folder = _notebooks(tmp_path, "print('fine')")
    index = out / ".index-0000abcd.tmp"
    monkeypatch.setattr(smk.report, "write_reports_index", _no_space(str(index)))
    assert main(_report(out, "--notebook-dir", str(folder))) == 3
    err = capsys.readouterr().err
    assert (
        f"smk: report failed: {out / '2026-09'} was published, but the reports index could not "
        f"be updated: No space left on device: {index}. Run the report again to list the month"
    ) in err
    assert " ERROR exit code 3: report failed: " in _last_line(out)
    assert (out / "2026-09" / "01_boom.html").is_file()


@pytest.mark.parametrize("said", ["the real news", "the real news."])
def test_a_failed_notebook_that_cannot_be_kept_still_says_why_it_failed(
    tmp_path, capsys, monkeypatch, said
):
    """(An error that ends with a full stop, as LeakageError's, read "columns.."; F7 of
    session 25.)"""
    import smk.report

    out = tmp_path / "reports"
    folder = _notebooks(tmp_path, f"raise ValueError({said!r})")
    kept = out / ".failed" / "2026-09" / "01_boom.ipynb"
    monkeypatch.setattr(smk.report, "_keep_failed", _no_space(str(kept)))
    assert main(_report(out, "--notebook-dir", str(folder))) == 3
    err = capsys.readouterr().err
    assert (
        f"failed in cell 3, line 1 (`raise ValueError({said!r})`): ValueError: the real "
        "news. The failed" in err
    )
    assert f"The failed notebook could not be kept (No space left on device: {kept});" in err


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-be", "utf-8-sig"])
def test_a_params_file_with_a_byte_order_mark_is_read(tmp_path, encoding):
    # PowerShell's `>` writes UTF-16 with a BOM: "internal error (UnicodeDecodeError ...)"
    path = tmp_path / "params.yaml"
    text = "seed: 3\nnotebooks:\n  funnel_sla:\n    teams: {Zoë Brandt: EMEA}\n"
    bom = {"utf-16-be": b"\xfe\xff", "utf-32-be": b"\x00\x00\xfe\xff"}.get(encoding, b"")
    path.write_bytes(bom + text.encode(encoding))
    assert read_params(path) == {
        "seed": 3,
        "notebooks": {"funnel_sla": {"teams": {"Zoë Brandt": "EMEA"}}},
    }


def test_a_params_file_that_is_no_text_is_bad_input_naming_it(tmp_path, capsys):
    path = tmp_path / "params.yaml"
    path.write_bytes(b"seed: 3\n\x89PNG\r\n")
    with pytest.raises(ValueError, match=r"it is not UTF-8 text \(line 2: byte 0x89\); save it"):
        read_params(path)
    path.write_bytes(b"\xff\xfes\x00\x00\xd8")  # UTF-16's mark, then half a character
    with pytest.raises(ValueError, match=r"it is not UTF-16 text \(line 1: byte 0x00\)"):
        read_params(path)


def test_a_blank_owner_key_is_no_key(tmp_path, monkeypatch, caplog):
    # SMK_OWNER_KEY="\n" (a secret holding a line break) passed as set here, while the kernels
    # stripped it and made the key file: its warning, with a home path, landed in the page
    from smk.pii import KEY_VARIABLE
    from smk.report import _owner_key_for_kernels

    monkeypatch.setenv(KEY_VARIABLE, " \n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    crm = smk.load(SAMPLE)
    settings = {"owner_labels": "pseudonyms"}
    with (
        caplog.at_level(logging.WARNING, logger="smk.report"),
        _owner_key_for_kernels(crm, settings, quiet=True),
    ):
        given = os.environ[KEY_VARIABLE]
    key = (tmp_path / "config" / "smk" / "owner-key").read_text().strip()
    assert given == key and len(key) > 10  # the kernels get the key the report made
    assert "owner pseudonyms: made a new key for owner pseudonyms in" in caplog.text
    assert os.environ[KEY_VARIABLE] == " \n"  # put back as it was


def test_what_operating_systems_make_in_a_folder_is_no_one_s_files(tmp_path):
    # `--out` on its own volume (holding only lost+found) was "not an smk reports folder"
    out = tmp_path / "volume"
    for name in ("lost+found", ".Trashes", ".Spotlight-V100", ".fseventsd"):
        (out / name).mkdir(parents=True)
    for name in ("Thumbs.db", "Desktop.ini", ".DS_Store"):
        (out / name).write_bytes(b"")
    check_out_folder(out)
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"\(it holds notes.txt\)"):
        check_out_folder(out)


def test_a_readme_of_any_case_and_extension_leaves_a_reports_folder_free(tmp_path):
    # README.txt or readme.md was refused (exit 2), though a reports folder may hold a README
    out = tmp_path / "reports"
    out.mkdir()
    for name in ("README", "README.md", "readme.md", "README.txt", "ReadMe.rst"):
        (out / name).write_text("about these reports")
        check_out_folder(out)
    for mine in ("readme-old.md", "README.md.bak"):  # not a README file: someone's
        (out / mine).write_text("mine")
        with pytest.raises(ValueError, match=rf"\(it holds {re.escape(mine)}\)"):
            check_out_folder(out)
        (out / mine).unlink()
    (out / "readme.d").mkdir()  # a folder is no README file
    with pytest.raises(ValueError, match=r"\(it holds readme.d\)"):
        check_out_folder(out)


# ------------------------------------------------------------- what kernels print, quietly
#: a kernel's (or a library's) own stderr: a contact's name, e-mail address and a home path
NOISE = """import os
from pathlib import Path
from smk.notebooks import open_crm
first = open_crm(data_path, data_format).contacts.iloc[0]
where = Path.home() / "exports" / "crm.csv"
os.write(2, f"warning: {first['First Name']} {first['Last Name']} <{first['email']}> in {where}\\n".encode())"""


def test_what_kernels_print_on_stderr_reaches_the_log_fit_to_publish(home, tmp_path, capfd):
    # --quiet sent the kernels' stderr into the log file straight, past its formatter: a name,
    # an e-mail address and the home folder reached the published log
    out = home / "reports"
    first = smk.load(SAMPLE).contacts.iloc[0]
    name = f"{first['First Name']} {first['Last Name']}"
    folder = _notebooks(tmp_path, NOISE)
    assert main(_report(out, "--notebook-dir", str(folder))) == 0
    log = (out / "smk-report.log").read_text(encoding="utf-8")
    assert f"warning: {NAME_REMOVED} <[e-mail removed]> in ~/exports/crm.csv\n" in log
    assert " INFO the kernels wrote on stderr:\nwarning: " in log
    assert name not in log and first["email"] not in log and str(home) not in log
    terminal = capfd.readouterr()
    assert "warning:" not in terminal.err + terminal.out  # quiet: nothing on the terminal


def test_a_kernel_like_writer_s_stderr_is_logged_scrubbed(tmp_path, monkeypatch, capfd):
    import subprocess
    import sys

    from smk.report import _kernel_noise_logged, _log_to

    monkeypatch.setenv("HOME", str(tmp_path / "jane.doe"))
    path = tmp_path / "smk-report.log"
    _log_to(path).names = {"Ann Lee", "Lee, Ann"}
    writer = (
        "import sys; from pathlib import Path; "
        "print('a', Path.home() / 'x.csv', 'ann@example.test', 'Ann Lee', file=sys.stderr); "
        "print('Lee, Ann', file=sys.stderr)"
    )
    with _kernel_noise_logged(quiet=True):
        subprocess.run([sys.executable, "-c", writer], check=True)
    with _kernel_noise_logged(quiet=True):  # nothing written: nothing logged
        pass
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith(" INFO the kernels wrote on stderr:")
    assert lines[1:] == [f"a ~/x.csv [e-mail removed] {NAME_REMOVED}", NAME_REMOVED]
    assert capfd.readouterr().err == ""


# ------------------------------------------------------------- scrubbing log lines, fast
def test_log_lines_are_scrubbed_with_one_index_of_the_names(tmp_path, monkeypatch):
    # each log line built the escaped forms of every name: 0.1 s a line with 100,000 names
    import smk.report
    from smk.report import _log_to, scrub_pii

    names = {f"Person{i} Family{i % 997}" for i in range(100_000)} | {"Ann O'Brien"}
    built = []
    index = smk.report._NameIndex
    monkeypatch.setattr(smk.report, "_NameIndex", lambda n: built.append(len(n)) or index(n))
    formatter = _log_to(tmp_path / "smk-report.log")
    formatter.names = names
    texts = [
        "ran 01_funnel_sla.ipynb in 12.3 s",
        "no row for Person17 Family17 <p17@example.test> or Ann O'Brien",
        "Person17 Family18, Person17 Family17x, Ann O&#x27;Brien",
    ]
    shown = [formatter.publishable(text) for text in texts * 20]
    assert built == [len(names)]  # one index for every line
    assert shown[:3] == [
        texts[0],
        f"no row for {NAME_REMOVED} <[e-mail removed]> or {NAME_REMOVED}",
        f"Person17 Family18, Person17 Family17x, {NAME_REMOVED}",  # escaped, as pages show it
    ]
    plain = {"Person17 Family17", "Ann O'Brien"}  # a plain set: the same text, as before
    assert [scrub_pii(t, plain) for t in texts] == [scrub_pii(t, names) for t in texts]


def test_the_log_s_times_are_utc_whatever_the_host_s_zone(tmp_path):
    # the log's times were the host's local time with no offset, while every other time smk
    # writes is UTC: the lines of runs on hosts in other zones sharing a folder had no order
    import datetime as dt
    import time

    from smk.report import _log_to

    zone = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Chatham"  # UTC+12:45 or +13:45
    time.tzset()
    try:
        _log_to(tmp_path / "smk-report.log")
        before = time.time()
        logging.getLogger("smk.report").info("published")
        after = time.time()
        # other loggers of the process (a user's, pytest's) keep their clock
        record = logging.makeLogRecord({"created": before, "msecs": 0.0})
        local = logging.Formatter("%(asctime)s").format(record)
        assert local.startswith(time.strftime("%Y-%m-%d %H:%M:%S,", time.localtime(before)))
    finally:
        if zone is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = zone
        time.tzset()
    line = (tmp_path / "smk-report.log").read_text().splitlines()[-1]
    stamp = re.fullmatch(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})Z run - INFO published", line)
    assert stamp, line
    when = dt.datetime.strptime(stamp[1], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=dt.UTC)
    assert before - 0.001 <= when.timestamp() <= after


def _stuck_old_months(monkeypatch) -> None:
    """Make parked months (`.old-<month>-<id>`) impossible to remove, as a month folder of
    another user's or a read-only one is (for real, that needs privileges a test lacks)."""
    rmtree = shutil.rmtree

    def stuck(path, *args, **kwargs):
        path = Path(path)
        if not path.name.startswith(".old-"):
            return rmtree(path, *args, **kwargs)
        if not kwargs.get("ignore_errors"):
            raise PermissionError(errno.EACCES, "Permission denied", "01_boom.html")  # as rmtree

    monkeypatch.setattr(shutil, "rmtree", stuck)


def test_a_month_replaced_that_cannot_be_removed_is_warned_of_and_not_swept_as_removed(
    tmp_path, capsys, monkeypatch
):
    # a re-run that could not delete the month it replaced (a month folder of another user's,
    # read-only) exited 0 with no word, leaving `.old-<month>-<id>/` (a new one each run); each
    # later sweep then said it had removed it, and returned it as removed
    from smk.report import sweep_leftovers

    out = tmp_path / "reports"
    folder = _notebooks(tmp_path, "print('fine')")
    assert main(_report(out, "--notebook-dir", str(folder))) == 0
    _stuck_old_months(monkeypatch)
    loud = [arg for arg in _report(out, "--notebook-dir", str(folder)) if arg != "--quiet"]
    assert main(loud) == 0
    (old,) = out.glob(".old-2026-09-*")
    said = f"could not remove {old}: Permission denied; remove it by hand"
    assert f"smk: warning: {said}\n" in capsys.readouterr().err
    log = (out / "smk-report.log").read_text()
    assert f" WARNING {said}\n" in log and log.count("could not remove") == 1  # not again
    assert sweep_leftovers(out, stale_after=0, quiet=False) == [] and old.is_dir()
    assert capsys.readouterr().err == f"smk: warning: {said}\n"
    assert "removed what killed reports left" not in (out / "smk-report.log").read_text()
    monkeypatch.undo()  # it can be removed now
    assert sweep_leftovers(out, stale_after=0) == [old.name] and not old.exists()


#: one KPI tile, its value the `share` setting
TILES = """from smk import outputs
outputs.write_metrics(output_dir, "tiles", {"kpis": [
    {"id": "share", "label": "Share", "format": "pct", "value": share}]})"""
#: stands in for the segmentation notebook: a model file next month's run reads
SEGMENTS = """from pathlib import Path
from smk import outputs
Path(output_dir, "segmentation-model.joblib").write_text(f"segments of {month}, seed {seed}")
outputs.write_metrics(output_dir, "segmentation", {"kpis": []})"""


def _archive(tmp_path: Path) -> Path:
    """Two quick notebooks: `01_tiles` (a tile) and `02_segmentation` (a saved model)."""
    _notebooks(tmp_path, TILES, "01_tiles", "share: float = 0.5")
    return _notebooks(tmp_path, SEGMENTS, "02_segmentation", "seed: int = 0\nrefit: bool = False")


def _publish(tmp_path: Path, month: str, *extra: str, quiet: bool = True) -> None:
    args = _report(tmp_path / "reports", "--notebook-dir", str(tmp_path / "notebooks"), *extra)
    args[args.index("--month") + 1] = month
    assert main(args if quiet else [a for a in args if a != "--quiet"]) == 0


def _params(tmp_path: Path, text: str) -> str:
    path = tmp_path / f"params-{hashlib.sha256(text.encode()).hexdigest()[:8]}.yaml"
    path.write_text(text)
    return str(path)


def _listed(out: Path, month: str) -> str:
    """The reports index's line for `month`."""
    page = (out / "index.html").read_text()
    start = page.index(f'<li><a href="{month}/index.html">')
    return page[start : page.index("</li>", start)]


def _tile(out: Path, month: str) -> str:
    page = (out / month / "index.html").read_text()
    start = page.index('data-kpi="share"')
    return page[start : page.index("</div></div>", start)]


def test_a_month_re_published_marks_the_next_one_out_of_date_until_it_is_re_run(tmp_path, capsys):
    # publishing 2026-09 again with other SLA settings left 2026-10's tiles comparing with
    # figures no longer published, and nothing said so
    out = tmp_path / "reports"
    _archive(tmp_path)
    tiles = ("--notebooks", "tiles")
    _publish(tmp_path, "2026-09", *tiles)
    _publish(tmp_path, "2026-10", *tiles)
    record = json.loads((out / "2026-10" / "manifest.json").read_text())[COMPARED_WITH]
    sha = hashlib.sha256((out / "2026-09" / "metrics.json").read_bytes()).hexdigest()
    assert record == {"month": "2026-09", "files": {"metrics.json": f"sha256:{sha}"}}
    assert "+0.0 pts vs previous month" in _tile(out, "2026-10")
    assert "out of date" not in (out / "index.html").read_text()

    # 2026-09 again with another setting: 2026-10's tile compared with a figure now gone
    _publish(tmp_path, "2026-09", *tiles, "--params", _params(tmp_path, "share: 0.4"), quiet=False)
    told = (
        "2026-10 compared with an earlier run of 2026-09 (key figures): "
        "re-run `smk report --month 2026-10` (with the --data and --params it was published "
        "with) to refresh it"
    )
    assert f"smk: warning: {told}" in capsys.readouterr().err
    assert told in (out / "smk-report.log").read_text()
    assert "out of date:</strong> 2026-10 compared with an earlier run of 2026-09" in _listed(
        out, "2026-10"
    )
    assert "<code>smk report --month 2026-10</code>" in _listed(out, "2026-10")
    assert "out of date" not in _listed(out, "2026-09")

    _publish(tmp_path, "2026-10", *tiles)  # refreshed: it now compares with what 2026-09 shows
    assert "+10.0 pts vs previous month" in _tile(out, "2026-10")
    assert "out of date" not in (out / "index.html").read_text()


def test_a_backfilled_month_marks_the_later_one_until_each_page_that_read_it_is_re_run(
    tmp_path,
):
    # a backfill left the month after it with "no previous month" tiles and segments fitted
    # without the model a re-run would now use, and nothing said so
    out = tmp_path / "reports"
    _archive(tmp_path)
    _publish(tmp_path, "2026-10")  # no 2026-09 yet: no previous tiles, segments fitted afresh
    record = json.loads((out / "2026-10" / "manifest.json").read_text())[COMPARED_WITH]
    assert record["files"] == {"metrics.json": None, "segmentation-model.joblib": None}

    _publish(tmp_path, "2026-09", "--notebooks", "segmentation")  # backfilled
    backfilled = "2026-10 was published before 2026-09 (key figures and segmentation model)"
    assert f"out of date:</strong> {backfilled}" in _listed(out, "2026-10")

    # the tiles re-run: the index is rebuilt, but the segmentation page kept still read no model
    _publish(tmp_path, "2026-10", "--notebooks", "tiles")
    assert "2026-10 was published before 2026-09 (segmentation model): re-run" in _listed(
        out, "2026-10"
    )
    _publish(tmp_path, "2026-10", "--notebooks", "segmentation")
    assert "out of date" not in (out / "index.html").read_text()


def test_a_month_of_another_export_is_not_compared_with_and_its_replacement_is_told(
    tmp_path, capsys
):
    # two clients given one --out: the second client's October compared with the first's
    # September (tiles and segmentation model) and replaced its October without a word
    out = tmp_path / "reports"
    _archive(tmp_path)
    refits = "seed: int = 0\nrefit: bool = False\nrefit_reason: str = ''"  # told why it refits
    _notebooks(tmp_path, SEGMENTS, "02_segmentation", refits)
    client = tmp_path / "client-b"
    synth = ["synth", "--contacts", "200", "--format", "salesforce", "--out", str(client)]
    assert main(synth) == 0
    _publish(tmp_path, "2026-09")  # the first client: the sample
    _publish(tmp_path, "2026-10", "--data", str(client), quiet=False)
    told = (
        "2026-09 was published from another export (hubspot: fewer than half of its contacts "
        "are in this one), so 2026-10's key figures are not compared with it and its "
        "segmentation model is not used (segments are fitted afresh); does --out hold "
        "another export's reports?"
    )
    assert f"smk: warning: {told}\n" in capsys.readouterr().err
    assert told in (out / "smk-report.log").read_text()
    index = (out / "2026-10" / "index.html").read_text()
    assert f"<strong>Previous month:</strong> {html.escape(told)}</p>" in index
    assert "vs previous month" not in _tile(out, "2026-10")
    segments = nbformat.read(out / "2026-10" / "02_segmentation.ipynb", as_version=4)
    assert segments.metadata["papermill"]["parameters"]["refit"] is True
    assert segments.metadata["papermill"]["parameters"]["refit_reason"] == (
        "2026-09 was published from another export (hubspot: fewer than half of its contacts "
        "are in this one), so smk report does not use its model"
    )
    manifest = json.loads((out / "2026-10" / "manifest.json").read_text())
    assert manifest[COMPARED_WITH] == {"month": "2026-09", "files": {}}  # it read nothing
    sample = manifest["pages"]["tiles"][EXPORT_CONTACTS]
    assert len(sample) == 128 and all(re.fullmatch("[0-9a-f]{16}", h) for h in sample)
    ids = set(smk.load(client).contacts["contact_id"].astype(str))
    assert not any(i in (out / "2026-10" / "manifest.json").read_text() for i in ids)

    _publish(tmp_path, "2026-10", quiet=False)  # the first client's October, over the second's
    err = capsys.readouterr().err
    assert "smk: warning: 2026-10 was published from another export (client-b (salesforce): " \
        "fewer than half of its contacts are in this one); this run replaces its pages tiles, " \
        "segmentation\n" in err  # fmt: skip
    assert "2026-09 was published from another export" not in err
    assert "+0.0 pts vs previous month" in _tile(out, "2026-10")


def test_a_new_folder_each_month_for_the_same_crm_is_no_other_export(tmp_path, capsys):
    # each month's export in its own dated folder: the same CRM, compared with as before
    out = tmp_path / "reports"
    _archive(tmp_path)
    september, october = tmp_path / "hubspot-2026-09", tmp_path / "hubspot-2026-10"
    shutil.copytree(SAMPLE, september)
    shutil.copytree(SAMPLE, october)
    contacts = next(october.glob("*-contacts-*.csv"))  # a month later: some contacts deleted
    contacts.write_text("".join(contacts.read_text().splitlines(True)[:-200]))
    _publish(tmp_path, "2026-09", "--data", str(september))
    _publish(tmp_path, "2026-10", "--data", str(october), "--notebooks", "tiles", quiet=False)
    assert "another export" not in capsys.readouterr().err
    assert "+0.0 pts vs previous month" in _tile(out, "2026-10")


def test_the_model_file_the_report_watches_is_the_one_segmentation_reads(tmp_path):
    from smk import segmentation

    file, setting = READS_PREVIOUS["segmentation"]
    notebook = config.NOTEBOOKS_DIR / "02_segmentation.ipynb"
    assert file == segmentation.MODEL_FILE and setting in declared_parameters(notebook)
    (tmp_path / file).write_text("a model")
    sha = f"sha256:{hashlib.sha256(b'a model').hexdigest()}"
    assert _previous_reads(notebook, {"refit": False}, tmp_path) == {file: sha}
    assert _previous_reads(notebook, {"refit": True}, tmp_path) == {}  # refitted on request
    assert _previous_reads(config.NOTEBOOKS_DIR / "01_funnel_sla.ipynb", {}, tmp_path) == {}


def test_the_other_export_warning_names_the_segmentation_model_only_when_segmentation_runs():
    # a `--notebooks 01_funnel_sla` run said "its segmentation model is not used" of a page
    # it did not make
    from smk.periods import parse_month
    from smk.report import other_previous_text

    pages = {"funnel_sla": {"source": "c4 (salesforce)"}}
    month = parse_month("2026-10")
    alone = other_previous_text(month, pages, ["funnel_sla"])
    assert "segmentation" not in alone
    assert alone.startswith("2026-09 was published from another export (c4 (salesforce): ")
    assert "segments are fitted afresh" in other_previous_text(month, pages, ["segmentation"])


def test_an_export_refreshed_while_the_report_ran_is_said(tmp_path, capsys):
    """An export refreshed after the report's load: the pages show the export as loaded, and
    nothing told the scheduler (the data-quality page advised writing a model again)."""
    export = tmp_path / "export"
    shutil.copytree(SAMPLE, export)
    for f in export.iterdir():  # an export written a minute ago
        os.utime(f, (f.stat().st_mtime - 60, f.stat().st_mtime - 60))
    refreshed = sorted(p.name for p in export.glob("*deals*.csv"))[0]
    # the notebook refreshes a file of the export after the report loaded it
    code = f"import os\nos.utime({str(export / refreshed)!r})\nprint('fine')"
    folder = _notebooks(tmp_path, code)
    out = tmp_path / "reports"
    args = ["report", "--data", str(export), "--month", "2026-09", "--out", str(out)]
    assert main([*args, "--notebook-dir", str(folder)]) == 0
    said = (
        f"the export changed while this report ran: {refreshed} in {export.resolve()} is newer "
        "than the report's load of it, which its pages show; run the report again for the "
        "export as it is now"
    )
    assert f"smk: warning: {said}\n" in capsys.readouterr().err
    assert f" WARNING {said}" in (out / "smk-report.log").read_text(encoding="utf-8")
