"""A notebook that fails in `smk report` is kept in `reports/.failed/` for debugging: as the
reports folder is published, it is kept as the published notebooks are, without e-mail
addresses, personal names or the operator's home folder, its error still readable."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import smk
from smk import config
from smk.outputs import EMAIL_ADDRESS
from smk.report import NAME_REMOVED, ReportError, record_published_paths, run_report, scrub_notebook

SAMPLE = config.SAMPLE_HUBSPOT
PARAMS = """data_path: str = "data/sample/hubspot"
data_format: str = "auto"
month: str = "2026-10"
output_dir: str = "build/notebooks"
teams: dict = {}"""
#: a library of the operator's, under their home folder, whose code fails with a path there
HELPER = """def read_export(owner, email):
    where = "{home}/exports/crm.csv"
    raise FileNotFoundError(f"no export for {{owner}} <{{email}}> at " + where)
"""
_COLOURS = re.compile(r"\x1b\[[0-9;]*m")


def _failing_notebook(folder: Path, home: Path) -> None:
    """One notebook that prints the first contacts (names, e-mail addresses) and a path in the
    home folder, then fails in a library under the home folder with all three in its error."""
    (home / "lib").mkdir()
    (home / "lib" / "crm_helpers.py").write_text(HELPER.format(home=home))
    cells = [
        new_markdown_cell("# Boom"),
        new_code_cell(PARAMS, metadata={"tags": ["parameters"]}),
        new_code_cell(
            "import sys\n"
            "from pathlib import Path\n"
            "from smk.notebooks import open_crm\n"
            "sys.path.insert(0, str(Path.home() / 'lib'))\n"
            "import crm_helpers\n"
            "crm = open_crm(data_path, data_format)\n"
            "first = crm.contacts.iloc[0]\n"
            "print(Path.home() / 'exports', teams)\n"
            "print(crm.contacts[['First Name', 'Last Name', 'email']].head(3).to_string())"
        ),
        new_code_cell(
            "owner = f\"{first['First Name']} {first['Last Name']}\"\n"
            "crm_helpers.read_export(owner, first['email'])"
        ),
    ]
    kernel = {"name": "smk", "display_name": "Python (smk)", "language": "python"}
    book = new_notebook(cells=cells, metadata={"kernelspec": kernel})
    nbformat.write(book, folder / "01_boom.ipynb")


def test_a_failed_notebook_is_kept_without_addresses_names_or_the_home_folder(
    tmp_path, monkeypatch
):
    # the kept notebook was a copy of the executed one: the contacts it printed, the teams
    # given by name, the address in its error and /home/<name>/... in its traceback, in the
    # reports folder that gets published
    import matplotlib

    monkeypatch.setenv("MPLCONFIGDIR", matplotlib.get_cachedir())  # of the real home: speed
    home = tmp_path / "jane.doe"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # the kernel's too
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _failing_notebook(folder, home)
    first = smk.load(SAMPLE).contacts.iloc[0]
    name = f"{first['First Name']} {first['Last Name']}"
    params = home / "params.yaml"
    params.write_text(yaml.safe_dump({"teams": {name: "EMEA"}}))
    out = home / "reports"
    with pytest.raises(ReportError) as failed:
        run_report(SAMPLE, "2026-09", out, params=params, quiet=True, notebook_dir=folder)
    kept = out / ".failed" / "2026-09" / "01_boom.ipynb"
    # the operator is told where, and the kept file is there
    assert f"The failed notebook is kept at {kept};" in str(failed.value)
    assert "FileNotFoundError" in str(failed.value)
    text = kept.read_text(encoding="utf-8")
    assert str(home) not in text and str(home.resolve()) not in text
    assert first["email"] not in text and EMAIL_ADDRESS.search(text) is None
    assert name not in text
    book = nbformat.read(kept, as_version=4)
    assert book.metadata["papermill"]["parameters"]["teams"] == {NAME_REMOVED: "EMEA"}
    code = [c for c in book.cells if c.cell_type == "code"]
    printed = "".join(o.get("text", "") for o in code[-2].outputs)
    assert printed.startswith("~/exports {'[name removed]': 'EMEA'}\n")
    rows = printed.splitlines()[2:]  # under the header line: three contacts
    assert len(rows) == 3 and all(NAME_REMOVED in r for r in rows)  # first and last: one or two
    assert all(r.endswith("[e-mail removed]") for r in rows)
    # the error as it was, bar the name, the address and the home folder
    error = next(o for o in code[-1].outputs if o.output_type == "error")
    message = f"no export for {NAME_REMOVED} <[e-mail removed]> at ~/exports/crm.csv"
    assert (error.ename, error.evalue) == ("FileNotFoundError", message)
    traceback = _COLOURS.sub("", "\n".join(error.traceback))
    assert f"FileNotFoundError: {message}" in traceback
    assert re.search(r"Cell In\[\d+\], line 2\n", traceback)
    assert "File ~/lib/crm_helpers.py:3, in read_export(owner, email)" in traceback
    assert '      2     where = "~/exports/crm.csv"' in traceback


def test_a_traceback_s_colour_codes_hide_no_name_address_or_home_folder(tmp_path, monkeypatch):
    # a library's code in a traceback is coloured token by token: `\x1b[33mJane Doe` held no
    # word "Jane" for the names' pattern, and no path started at `m/home/...`
    home = tmp_path / "jane.doe"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    line = (
        '\x1b[32m      2\x1b[39m owners = {\x1b[33m"\x1b[39m\x1b[33mJane Doe\x1b[39m\x1b[33m"'
        f'\x1b[39m: \x1b[33m"\x1b[39m\x1b[33m{home}/x.csv\x1b[39m\x1b[33m"\x1b[39m, '
        '\x1b[33m"\x1b[39m\x1b[33mjane@acme.test\x1b[39m\x1b[33m"\x1b[39m}'
    )
    error = new_output("error", ename="KeyError", evalue="'x'", traceback=[line])
    book = new_notebook(cells=[new_code_cell("f()", outputs=[error])])
    path = tmp_path / "executed.ipynb"
    nbformat.write(book, path)
    record_published_paths(path, {})
    scrub_notebook(path, {"Jane Doe"}, {})
    (shown,) = nbformat.read(path, as_version=4).cells[0].outputs[0].traceback
    assert shown == (
        '\x1b[32m      2\x1b[39m owners = {\x1b[33m"\x1b[39m\x1b[33m[name removed]\x1b[39m\x1b[33m"'
        '\x1b[39m: \x1b[33m"\x1b[39m\x1b[33m~/x.csv\x1b[39m\x1b[33m"\x1b[39m, '
        '\x1b[33m"\x1b[39m\x1b[33m[e-mail removed]\x1b[39m\x1b[33m"\x1b[39m}'
    )
