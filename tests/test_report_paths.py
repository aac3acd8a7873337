"""`smk report` publishes local paths with the home folder as `~`, never an operator's name."""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import smk
from smk import config
from smk.report import home_as_tilde, published_path, reading_options

SAMPLE = config.SAMPLE_HUBSPOT
PUBLISHED = {".html", ".json", ".ipynb", ".csv", ".log"}  # the log is kept in the reports folder


def _home(tmp_path: Path, monkeypatch) -> Path:
    """A home folder whose name is a person's, as HOME for this process."""
    home = tmp_path / "jane.doe"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def test_a_report_publishes_no_path_with_the_operator_s_home_folder(tmp_path, monkeypatch):
    # /home/jane.doe/exports/hubspot was in manifest.json, every page's provenance table and
    # every published notebook's parameters: the operator's name, published
    import matplotlib

    fonts = matplotlib.get_cachedir()  # of the real home: no font cache to build (speed)
    home = _home(tmp_path, monkeypatch)
    export = home / "exports" / "hubspot"
    shutil.copytree(SAMPLE, export)
    out = home / "reports"
    result = subprocess.run(
        [
            # as a scheduler without a shell passes the paths the report publishes (`~/...`)
            sys.executable, "-m", "smk", "report", "--data", "~/exports/hubspot", "--month",
            "2026-10", "--out", "~/reports", "--notebooks", "data_quality", "--quiet",
        ],
        capture_output=True, text=True, timeout=600, env={**os.environ, "MPLCONFIGDIR": fonts},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    month = out / "2026-10"
    files = [p for p in out.rglob("*") if p.suffix in PUBLISHED]
    assert {p.suffix for p in files} >= {".html", ".json", ".ipynb", ".csv"}
    leaks = [p.name for p in files if str(home) in p.read_text(errors="ignore")]
    assert leaks == []
    pages = json.loads((month / "manifest.json").read_text())["pages"]
    assert pages["data_quality"]["data"] == "~/exports/hubspot"
    assert "<td>~/exports/hubspot</td>" in (month / "00_data_quality.html").read_text()
    book = nbformat.read(month / "00_data_quality.ipynb", as_version=4)
    parameters = book.metadata["papermill"]["parameters"]
    assert parameters["data_path"] == "~/exports/hubspot"
    assert parameters["output_dir"] == "~/reports/2026-10"
    # the recorded path reads the export again, as the report read it
    again = smk.load(parameters["data_path"], parameters["data_format"])
    assert len(again.contacts) == len(smk.load(export).contacts) > 0


def test_paths_under_the_home_folder_are_written_from_tilde(tmp_path, monkeypatch):
    home = _home(tmp_path, monkeypatch)
    assert published_path(home / "exports" / "x") == "~/exports/x"
    assert published_path("~/exports/x") == "~/exports/x"
    assert published_path(home) == "~"
    assert published_path(tmp_path / "elsewhere") == str((tmp_path / "elsewhere").resolve())
    # only where a path starts at the home folder, never inside another name or path
    text = f"read {home}/a.csv; {home}t/b.csv; /mnt{home}/c.csv; ({home})\n{home}/d"
    assert home_as_tilde(text) == (f"read ~/a.csv; {home}t/b.csv; /mnt{home}/c.csv; (~)\n~/d")


def test_a_home_folder_that_is_the_root_is_no_home_to_hide(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", "/")
    assert published_path(tmp_path) == str(tmp_path.resolve())


def test_the_mapping_a_re_run_reads_is_named_from_tilde_and_loads(tmp_path, monkeypatch):
    home = _home(tmp_path, monkeypatch)
    mapping = home / "crm.yaml"
    shutil.copy(config.ROOT / "smk" / "mappings" / "hubspot.yaml", mapping)
    assert reading_options(SAMPLE, mapping=mapping) == {"mapping": "~/crm.yaml"}
    assert reading_options(SAMPLE, str(mapping)) == {"mapping": "~/crm.yaml"}
    # smk.load takes `~` in the mapping, given as the mapping or as the format
    expected = len(smk.load(SAMPLE, mapping=mapping).contacts)
    assert len(smk.load(SAMPLE, mapping="~/crm.yaml").contacts) == expected
    assert len(smk.load(SAMPLE, "~/crm.yaml").contacts) == expected


def test_smk_load_reads_an_export_named_from_the_home_folder(tmp_path, monkeypatch):
    home = _home(tmp_path, monkeypatch)
    shutil.copytree(SAMPLE, home / "hubspot")
    expected = len(smk.load(SAMPLE).contacts)
    assert len(smk.load("~/hubspot").contacts) == expected
    assert len(smk.load(Path("~/hubspot"), "hubspot").contacts) == expected


def test_a_notebook_opens_an_export_named_from_the_home_folder(tmp_path, monkeypatch):
    """A published notebook's data_path is `~/...`: the notebooks read it against the project
    root (`<project>/~/hubspot`, no such folder) before `~` was expanded."""
    from smk.notebooks import open_crm, resolve_path

    home = _home(tmp_path, monkeypatch)
    shutil.copytree(SAMPLE, home / "hubspot")
    assert resolve_path("~/reports/2026-10") == str(home / "reports" / "2026-10")
    assert len(open_crm("~/hubspot", "hubspot").contacts) == len(smk.load(SAMPLE).contacts)


def test_a_page_kept_from_an_earlier_run_is_named_from_tilde_too(tmp_path, monkeypatch):
    # a partial re-run kept the other pages' provenance as published, absolute paths included
    from smk.periods import parse_month
    from smk.report import NotebookRun, publish_month

    home = _home(tmp_path, monkeypatch)
    out = home / "reports"
    month = out / "2026-10"
    month.mkdir(parents=True)
    earlier = {"source": "hubspot (hubspot)", "data": f"{home}/exports/hubspot", "generated": "x"}
    (month / "00_a.ipynb").write_text("{}")
    (month / "manifest.json").write_text(
        json.dumps({"files": {"00_a.ipynb": "a"}, "pages": {"a": earlier}})
    )
    staging = out / ".staging-2026-10-0000abcd"
    staging.mkdir()
    (staging / "01_b.ipynb").write_text("{}")
    runs = [NotebookRun("b", staging / "01_b.ipynb", files=["01_b.ipynb"])]
    context = {"month": "2026-10", "source": "hubspot (hubspot)", "generated": "y", "version": "0"}
    page = {**earlier, "data": "~/exports/hubspot", "generated": "y"}
    publish_month(staging, out, parse_month("2026-10"), runs, context, page, partial=True)
    pages = json.loads((month / "manifest.json").read_text())["pages"]
    assert pages["a"] == {**earlier, "data": "~/exports/hubspot"}
    assert pages["b"] == page


def test_a_database_file_in_the_home_folder_is_published_from_tilde(tmp_path, monkeypatch):
    """`sqlite:////home/jane.doe/crm.db` was published as it is; written from `~`, smk.load
    reads it again."""
    from test_sql import canonical_tables, make_db

    from smk.report import _shown_source

    home = _home(tmp_path, monkeypatch)
    url = make_db(home, "sqlite", canonical_tables(False))
    crm = smk.load(url)
    shown = _shown_source(crm, url)
    assert shown == "sqlite:///~/crm.db" and str(home) not in shown
    assert len(smk.load(shown).contacts) == len(crm.contacts) == 3


@pytest.mark.parametrize("backend", ["sqlite", "duckdb"])
def test_a_relative_database_url_is_published_absolute(tmp_path, monkeypatch, backend):
    """`--data sqlite:///db/crm.db` was published as it is: a published notebook re-run from
    another folder (the kernel starts in notebooks/) found no database file."""
    from test_sql import canonical_tables, make_db

    from smk.report import _shown_source

    (tmp_path / "db").mkdir()
    url = make_db(tmp_path / "db", backend, canonical_tables(False))
    monkeypatch.chdir(tmp_path)
    relative = f"{backend}:///db/{url.rsplit('/', 1)[1]}"
    crm = smk.load(relative)
    shown = _shown_source(crm, relative)
    assert shown == url.replace(str(tmp_path), str(tmp_path.resolve()))
    monkeypatch.chdir(tmp_path / "db")  # elsewhere: the relative URL names no file here
    assert len(smk.load(shown).contacts) == len(crm.contacts) == 3


@pytest.mark.parametrize("backend", ["sqlite", "duckdb"])
def test_a_notebook_reads_a_relative_database_url_from_the_project_root(
    tmp_path, monkeypatch, backend
):
    """A notebook's relative paths are read from the project root, and so is the database
    file of a relative SQLite or DuckDB URL (HC): JupyterLab's kernel starts in notebooks/,
    where `sqlite:///data/crm.db` named no file (or another one)."""
    from test_sql import canonical_tables, make_db

    from smk.notebooks import open_crm, resolve_path

    (tmp_path / "data").mkdir()
    (tmp_path / "notebooks").mkdir()
    url = make_db(tmp_path / "data", backend, canonical_tables(False))
    monkeypatch.setattr(config, "ROOT", tmp_path)
    monkeypatch.chdir(tmp_path / "notebooks")
    relative = f"{backend}:///data/{url.rsplit('/', 1)[1]}"
    assert resolve_path(relative) == url.replace(str(tmp_path), str(tmp_path.resolve()))
    assert len(open_crm(relative).contacts) == 3
    assert resolve_path(f"{backend}:///:memory:") == f"{backend}:///:memory:"


def test_a_home_path_ending_a_sentence_is_written_from_tilde(tmp_path, monkeypatch):
    home = _home(tmp_path, monkeypatch)
    assert home_as_tilde(f"see {home}.") == "see ~."
    assert home_as_tilde(f"{home}.bak and {home}2") == f"{home}.bak and {home}2"


def test_published_teams_keep_one_entry_per_owner_whose_name_is_removed():
    """Three owners' names became one key '[name removed]': the published teams said one
    person sat in the last team."""
    from smk.report import _names_pattern, _published_values

    teams = {"Jane Doe": "EMEA", "Jose Garcia": "NA", "Priya Desai": "DACH", "Sales Team": "x"}
    pattern = _names_pattern({"Jane Doe", "Jose Garcia", "Priya Desai"}, " ".join(teams))
    out, removed, _ = _published_values({"teams": teams}, pattern, {})
    assert out["teams"] == {
        "[name removed 1]": "EMEA",
        "[name removed 2]": "NA",
        "[name removed 3]": "DACH",
        "Sales Team": "x",
    }
    assert removed == ["teams"]


def test_a_parameter_holding_only_an_invisible_character_is_published_as_given():
    """A zero-width space in an owner key was dropped from the published notebook (its re-run
    had the owner in no team) and the note said the teams held personal names (H3 of session
    25); a name beside it still goes."""
    from smk.report import _names_pattern, _published_values

    teams = {"\u200bOWN1": "EMEA", "owner-2": "NA"}
    out, removed, _ = _published_values({"teams": teams, "month": "2026-10"}, None, {})
    assert (out, removed) == ({"teams": teams, "month": "2026-10"}, [])
    teams["Jane\u200b Doe"] = "DACH"
    pattern = _names_pattern({"Jane Doe"}, "Jane Doe")
    out, removed, _ = _published_values({"teams": teams}, pattern, {})
    assert removed == ["teams"] and "[name removed]" in out["teams"]
    assert "\u200bOWN1" in out["teams"]


def test_a_money_change_is_not_a_difference_of_two_currencies():
    from smk.report import _change, _kpis

    now = {
        "funnel_sla": {
            "currency": "USD",
            "kpis": [{"id": "won", "value": 250000, "format": "money"}],
        }
    }
    before = {
        "funnel_sla": {
            "currency": "EUR",
            "kpis": [{"id": "won", "value": 231109, "format": "money"}],
        }
    }
    previous = {k["id"]: k for k in _kpis(before)}
    assert _change(_kpis(now)[0], previous) == "was 231,109 EUR the previous month"
    same = {k["id"]: k for k in _kpis({"f": {**before["funnel_sla"], "currency": "USD"}})}
    assert _change(_kpis(now)[0], same) == "+18,891 USD vs previous month"
    own = {"id": "won", "value": 5, "previous": 3, "format": "money", "currency": "USD"}
    assert _change(own, {}) == "+2 USD vs previous month"


def test_a_notebook_shows_a_database_url_as_it_is_with_its_password_masked():
    from smk.notebooks import display_path

    assert display_path("sqlite:////data/crm.db") == "sqlite:////data/crm.db"
    assert display_path("postgresql://me:secret@db/crm") == "postgresql://me:***@db/crm"


def test_a_report_on_a_database_file_at_home_publishes_no_home_path(tmp_path, monkeypatch):
    """The pages' provenance tables, the notebooks' outputs and the log named the database as
    sqlite:////home/<name>/crm.db: only data_path and the manifest were written from `~`."""
    import matplotlib
    from test_sql import canonical_tables, make_db

    fonts = matplotlib.get_cachedir()
    home = _home(tmp_path, monkeypatch)
    make_db(home, "sqlite", canonical_tables(False))
    out = home / "reports"
    result = subprocess.run(
        [
            sys.executable, "-m", "smk", "report", "--data", "sqlite:///~/crm.db", "--month",
            "2026-01", "--out", str(out), "--notebooks", "data_quality", "--quiet",
        ],
        capture_output=True, text=True, timeout=600, env={**os.environ, "MPLCONFIGDIR": fonts},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    files = [p for p in out.rglob("*") if p.suffix in PUBLISHED]
    assert {".html", ".ipynb", ".log"} <= {p.suffix for p in files}
    assert [p.name for p in files if str(home) in p.read_text(errors="ignore")] == []
    page = next(out.glob("*/00_data_quality.html")).read_text()
    assert "sqlite:///~/crm.db" in page


def test_a_sibling_of_the_home_folder_is_no_path_under_it(tmp_path, monkeypatch):
    # with HOME=/home/jane, "/home/jane (copy)/x.csv" was published as "~ (copy)/x.csv"
    home = _home(tmp_path, monkeypatch)
    siblings = [
        f"{home} (copy)/x.csv",
        f"{home}+old/x",
        f"{home}@corp/x",
        f"{home}(1)/x",
        f"{home},old/x",
        f"{home}&amp;co/x",
        f"{home}%20(copy)/x",
        f"{home}#2/x",
    ]
    for text in siblings:
        assert home_as_tilde(f"read {text} now") == f"read {text} now"


def test_a_home_path_ends_where_a_text_goes_on_after_it(tmp_path, monkeypatch):
    """Log lines, JSON, HTML and notebooks' texts: what may follow a path, not a name."""
    home = _home(tmp_path, monkeypatch)
    endings = {
        f"{home}": "~",
        f"'{home}'": "'~'",
        f'"{home}/x.csv"': '"~/x.csv"',
        f'\\"{home}\\"': '\\"~\\"',  # a JSON text in a JSON text
        f"{home}\\\\x.csv": "~\\\\x.csv",  # a backslash, as JSON writes it
        f"sqlite:///{home}/crm.db": "sqlite:///~/crm.db",
        f"<td>{home}</td>": "<td>~</td>",
        f"&quot;{home}&quot;, &#x27;{home}&#x27;": "&quot;~&quot;, &#x27;~&#x27;",
        f"in {home}, then": "in ~, then",
        f"[{home}] {{{home}}} `{home}`": "[~] {~} `~`",
        f"PATH={home}:/usr/bin;{home}|x": "PATH=~:/usr/bin;~|x",
        f"{home}\nfoo/bar": "~\nfoo/bar",
        f"{home}\r\nfoo/bar": "~\r\nfoo/bar",
        f"is it {home}? yes: {home}!": "is it ~? yes: ~!",
        f"{home} and {home}\tor /tmp": "~ and ~\tor /tmp",
        f"{home} /tmp": "~ /tmp",
    }
    for text, shown in endings.items():
        assert home_as_tilde(text) == shown, text


def test_a_home_path_after_a_terminal_colour_code_is_written_from_tilde(tmp_path, monkeypatch):
    # a library's code in a traceback is coloured token by token: `\x1b[33m/home/...`
    home = _home(tmp_path, monkeypatch)
    line = f'\x1b[33m"\x1b[39m\x1b[33m{home}/exports\x1b[39m \x1b[33m{home}\x1b[39m'
    assert home_as_tilde(line) == '\x1b[33m"\x1b[39m\x1b[33m~/exports\x1b[39m \x1b[33m~\x1b[39m'


#: A folder name with what papermill escapes in the injected parameters cell (`\xdc`, `\"`,
#: `\\`, `\U0001f642`): the cell kept the run's deleted temporary folders when the reports
#: folder had one, as the paths were replaced as text, not as papermill writes them.
ODD_NAME = 'Berichte Übersicht "Q4" \\ 🙂'


KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _injected(book) -> dict:
    """The values the injected parameters cell of `book` assigns, as Python reads them."""
    cell = next(c for c in book.cells if "injected-parameters" in c.metadata.get("tags", []))
    values: dict = {}
    exec(cell.source, {}, values)  # noqa: S102 - the cell is papermill's assignments
    return values


def test_the_injected_parameters_name_any_published_path_as_papermill_writes_it(
    tmp_path, monkeypatch
):
    from nbformat.v4 import new_code_cell, new_notebook, new_output
    from papermill.parameterize import parameterize_notebook
    from papermill.translators import translate_parameters

    from smk.report import record_published_paths

    home = tmp_path / "jürgen"  # a home folder papermill escapes too: written from ~ all the same
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    cache = f"/srv/{ODD_NAME}/.cache-2026-10-8be51405"
    staging = f"/srv/{ODD_NAME}/.staging-2026-10-8be51405"
    export = home / "exports" / ODD_NAME
    shown = {cache: str(export), staging: f"/srv/{ODD_NAME}/2026-10"}
    shows_paths = new_code_cell(
        "print(data_path)",
        metadata={"tags": []},  # papermill reads every cell's
        outputs=[
            new_output("stream", name="stdout", text=f"read {cache}\n"),
            new_output("display_data", data={"text/html": f"<td>{html.escape(staging)}</td>"}),
        ],
    )
    book = new_notebook(
        cells=[new_code_cell('data_path = "x"', metadata={"tags": ["parameters"]}), shows_paths],
        metadata={"kernelspec": KERNELSPEC, "papermill": {}},
    )
    ran_with = {"output_dir": staging, "data_path": cache, "data_format": "parquet"}
    book = parameterize_notebook(book, ran_with, kernel_name="python3", language="python")
    path = tmp_path / "executed.ipynb"
    nbformat.write(book, path)
    record_published_paths(path, shown, "hubspot")
    published = nbformat.read(path, as_version=4)
    expected = {
        "output_dir": f"/srv/{ODD_NAME}/2026-10",
        "data_path": f"~/exports/{ODD_NAME}",
        "data_format": "hubspot",
    }
    assert published.metadata["papermill"]["parameters"] == expected
    assert _injected(published) == expected
    cell = next(c for c in published.cells if "injected-parameters" in c.metadata.get("tags", []))
    # as papermill writes it, in its order (nbformat writes the metadata's sorted by name)
    assert list(expected) != sorted(expected)
    assert cell.source == translate_parameters("python3", "python", expected, "Parameters")
    stream, page = published.cells[-1].outputs
    assert stream.text == f"read ~/exports/{ODD_NAME}\n"
    assert page.data["text/html"] == f"<td>{html.escape(expected['output_dir'])}</td>"
    assert "8be51405" not in path.read_text(encoding="utf-8")


def test_a_report_with_an_odd_out_folder_and_no_writable_home_publishes_clean_pages(tmp_path):
    # a read-only container: matplotlib warned into every page (naming a random temporary
    # folder, so no two runs were alike) and IPython on the terminal of a --quiet run; and an
    # `--out` with a non-ASCII character or a quote left the deleted temporary folders in
    # every published notebook's injected parameters cell
    home = tmp_path / "home"
    home.write_text("a file: no folder can be made in it\n")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    settings = {"MPLCONFIGDIR", "IPYTHONDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"}
    env = {k: v for k, v in os.environ.items() if k not in settings}
    out = tmp_path / ODD_NAME
    result = subprocess.run(
        [
            sys.executable, "-m", "smk", "report", "--data", str(SAMPLE), "--month", "2026-10",
            "--out", str(out), "--notebooks", "data_quality", "--quiet",
        ],
        capture_output=True, text=True, timeout=600,
        env={**env, "HOME": str(home), "TMPDIR": str(temporary)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # IPython's "not a writable location" went there
    book = nbformat.read(out / "2026-10" / "00_data_quality.ipynb", as_version=4)
    expected = {"data_path": str(SAMPLE.resolve()), "output_dir": str(out / "2026-10")}
    assert {k: _injected(book)[k] for k in expected} == expected
    streams = [o.text for c in book.cells for o in c.get("outputs", []) if "text" in o]
    assert not [s for s in streams if "atplotlib" in s or "IPython" in s]
    page = (out / "2026-10" / "00_data_quality.html").read_text()
    assert "Matplotlib" not in page and "mkdir -p failed" not in page
    # the kernels kept matplotlib's settings in a folder of this user's, made once
    assert (temporary / f"smk-{os.getuid()}" / "matplotlib").is_dir()


def test_the_kernels_get_settings_folders_of_their_own_only_where_theirs_cannot_be_written(
    tmp_path, monkeypatch
):
    import tempfile

    from smk.report import _settings_folders_for_kernels

    for name in ("MPLCONFIGDIR", "IPYTHONDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    run = tmp_path / "run"  # the run's own temporary folder
    run.mkdir()
    _home(tmp_path, monkeypatch)
    with _settings_folders_for_kernels(run):  # a home folder to write to: left alone
        assert "MPLCONFIGDIR" not in os.environ and "IPYTHONDIR" not in os.environ
    monkeypatch.setenv("HOME", "/dev/null")  # no folder can be made in it
    own = tmp_path / "tmp" / f"smk-{os.getuid()}"
    with _settings_folders_for_kernels(run):
        assert os.environ["MPLCONFIGDIR"] == str(own / "matplotlib")
        assert os.environ["IPYTHONDIR"] == str(own / "ipython")
    assert "MPLCONFIGDIR" not in os.environ and "IPYTHONDIR" not in os.environ
    assert oct(own.stat().st_mode & 0o777) == oct(0o700)
    own.chmod(0o777)  # one that others may write to (they could plant a matplotlibrc) is not used
    with _settings_folders_for_kernels(run):
        assert os.environ["MPLCONFIGDIR"] == str(run / "matplotlib")


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="names are UTF-8 there")
def test_a_folder_whose_name_is_no_text_is_refused_before_any_notebook(tmp_path, capsys):
    """RVB: a Windows zip's `M\\xe4rz` unpacked on a UTF-8 system reaches Python with a
    surrogate, which the notebooks' parameters cannot hold: the run failed after its first
    notebook as "internal error (UnicodeEncodeError ...)". It is refused up front, by name."""
    from smk import cli

    export = os.fsdecode(os.fsencode(tmp_path) + b"/M\xe4rz")
    shutil.copytree(config.SAMPLE_HUBSPOT, export)
    args = ["report", "--data", export, "--month", "2026-10", "--quiet"]
    assert cli.main([*args, "--out", str(tmp_path / "out")]) == 2
    said = capsys.readouterr().err
    assert "cannot use b'" in said and "M\\xe4rz' as the export: its name holds bytes" in said
    assert "internal error" not in said and not (tmp_path / "out").exists()
    assert cli.main(["report", "--data", str(config.SAMPLE_HUBSPOT), "--month", "2026-10",
                     "--quiet", "--out", export + "-out"]) == 2  # fmt: skip
    assert "as the reports folder: its name holds bytes" in capsys.readouterr().err
